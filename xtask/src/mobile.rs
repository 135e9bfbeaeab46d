//! What the Android and iOS builds share: prerequisite checks and host-side binding generation.

use std::fs;
use std::path::Path;

use crate::process::{output, run};
use crate::workspace::Workspace;

/// Rust targets from `wanted` that rustup has not installed (all of them without rustup).
pub fn missing_targets(ws: &Workspace, wanted: &[&str]) -> Vec<String> {
    let installed =
        output(ws.command("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    wanted
        .iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == **t))
        .map(|t| t.to_string())
        .collect()
}

/// One message naming everything missing, so a single read tells the whole setup story.
pub fn refuse(platform: &str, missing: &[String]) -> Result<(), String> {
    if missing.is_empty() {
        return Ok(());
    }
    println!("cannot build for {platform}; missing:");
    for m in missing {
        println!("  - {m}");
    }
    Err(format!(
        "{} prerequisite(s) missing for {platform}",
        missing.len()
    ))
}

/// UniFFI reads the interface from a library's metadata, which is the same on every target,
/// so the host build (which can also run the bindgen binary) serves every platform.
pub fn generate_bindings(ws: &Workspace, language: &str, out: &Path) -> Result<(), String> {
    run(ws
        .cargo()
        .args(["build", "-p", "omni-jitsi-meet", "--features", "bindgen"]))?;
    fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    run(ws
        .command(ws.debug_bin("uniffi-bindgen"))
        .args(["generate", "--library"])
        .arg(ws.host_bindings_lib())
        .args(["--language", language, "--out-dir"])
        .arg(out)
        .args(["--no-format", "--config", "uniffi.toml"]))
}

pub fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
