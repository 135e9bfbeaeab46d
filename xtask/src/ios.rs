//! `cargo xtask ios`: static libraries for device and simulator, wrapped in an XCFramework
//! with the FFI headers, inside the Swift package (bindings/swift plus the generated sources).

use std::env;

use crate::mobile::{copy, generate_bindings, missing_targets, refuse};
use crate::process::{self, which};
use crate::swift::{assemble, Link};
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

    let package = out.join("OmniJitsiMeet");
    // A fresh package directory also spares xcodebuild an existing framework, which it refuses
    // to overwrite.
    assemble(ws, &swift, &package, Link::XcFramework)?;
    let framework = package.join("OmniJitsiMeet.xcframework");
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
        "Swift package {} (add it to Xcode as a local package)",
        package.display()
    );
    Ok(())
}
