//! `cargo xtask ios`: static libraries for device and simulator, wrapped in an XCFramework
//! with the FFI headers, plus the Swift sources.

use std::env;
use std::fs;

use crate::mobile::{copy, generate_bindings, missing_targets, refuse};
use crate::process::{self, which};
use crate::workspace::Workspace;

const TARGETS: [&str; 2] = ["aarch64-apple-ios", "aarch64-apple-ios-sim"];
const FFI_MODULE: &str = "OmniJitsiMeetFFI";

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    crate::no_args("ios", args)?;
    let mut missing = Vec::new();
    if env::consts::OS != "macos" {
        missing.push(format!(
            "macOS: Xcode, which links for iOS, only runs there (this is {})",
            env::consts::OS
        ));
    }
    if which("xcodebuild").is_none() {
        missing.push("xcodebuild: install Xcode and run `xcode-select --install`".to_string());
    }
    let absent = missing_targets(ws, &TARGETS);
    if !absent.is_empty() {
        missing.push(format!(
            "Rust targets {}: `rustup target add {}`",
            absent.join(", "),
            absent.join(" ")
        ));
    }
    refuse("iOS", &missing)?;

    for target in TARGETS {
        process::run(ws.cargo().args([
            "build",
            "--release",
            "-p",
            "omni-jitsi-meet",
            "--target",
            target,
        ]))?;
    }

    let out = ws.target.join("ios");
    let swift = out.join("swift");
    generate_bindings(ws, "swift", &swift)?;
    // Clang finds a module only through a file named exactly module.modulemap.
    let headers = out.join("headers");
    copy(
        &swift.join(format!("{FFI_MODULE}.h")),
        &headers.join(format!("{FFI_MODULE}.h")),
    )?;
    copy(
        &swift.join(format!("{FFI_MODULE}.modulemap")),
        &headers.join("module.modulemap"),
    )?;

    let framework = out.join("OmniJitsiMeet.xcframework");
    // xcodebuild refuses to overwrite an existing framework.
    if framework.exists() {
        fs::remove_dir_all(&framework)
            .map_err(|e| format!("cannot remove {}: {e}", framework.display()))?;
    }
    let mut cmd = ws.command("xcodebuild");
    cmd.arg("-create-xcframework");
    for target in TARGETS {
        cmd.arg("-library")
            .arg(ws.target.join(target).join("release/libomni_jitsi_meet.a"))
            .arg("-headers")
            .arg(&headers);
    }
    cmd.arg("-output").arg(&framework);
    process::run(&mut cmd)?;
    println!(
        "{} and the Swift sources in {}",
        framework.display(),
        swift.display()
    );
    Ok(())
}
