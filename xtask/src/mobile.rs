//! What the Android and iOS builds share: prerequisite checks and host-side binding generation.

use std::fs;
use std::path::Path;
use std::time::Duration;

use crate::process::{output, run, run_with_timeout};
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
    println!(
        "without them, `cargo xtask test --only arm` builds the same Rust and C for aarch64 and \
         armv7 Linux and runs their tests under qemu: what can be proved without them"
    );
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
    bindgen(ws, language, out)
}

/// Generation takes a second or two; the limit only keeps a hung generator from hanging a phase.
const BINDGEN_LIMIT: Duration = Duration::from_secs(300);

/// Generates into a fresh `out`; expects the bindings crate already built with `--features bindgen`.
pub fn bindgen(ws: &Workspace, language: &str, out: &Path) -> Result<(), String> {
    let bindgen = ws.debug_bin("uniffi-bindgen");
    let lib = ws.host_bindings_lib();
    for needed in [&bindgen, &lib] {
        if !needed.is_file() {
            return Err(format!(
                "{} is missing: `cargo build -p omni-jitsi-meet --features bindgen` did not produce it",
                needed.display()
            ));
        }
    }
    // Stale files from a renamed type would otherwise still compile in.
    recreate(out)?;
    run_with_timeout(
        ws.command(&bindgen)
            .args(["generate", "--library"])
            .arg(&lib)
            .args(["--language", language, "--out-dir"])
            .arg(out)
            .args(["--no-format", "--config", "uniffi.toml"]),
        BINDGEN_LIMIT,
    )
}

pub fn recreate(dir: &Path) -> Result<(), String> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(|e| format!("cannot remove {}: {e}", dir.display()))?;
    }
    fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
}

pub fn copy(from: &Path, to: &Path) -> Result<(), String> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
