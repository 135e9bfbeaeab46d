//! `cargo xtask ios`: static libraries for device and simulator, wrapped in an XCFramework
//! with the FFI headers, inside the Swift package (bindings/swift plus the generated sources).

use std::env;
use std::fs;

use crate::mobile::{copy, generate_bindings, missing_targets, refuse};
use crate::process::{self, which};
use crate::swift::{assemble, Link};
use crate::workspace::Workspace;

const DEVICE: &str = "aarch64-apple-ios";
/// Apple-silicon and Intel Macs' simulators, merged into one library with lipo.
const SIMULATOR: [&str; 2] = ["aarch64-apple-ios-sim", "x86_64-apple-ios"];
const TARGETS: [&str; 3] = [DEVICE, SIMULATOR[0], SIMULATOR[1]];
const FFI_MODULE: &str = "OmniJitsiMeetFFI";
/// As ios-sample/project.yml; without it rustc's default may be newer than the app's and the
/// linker warns for every object file.
const DEPLOYMENT_TARGET: &str = "15.0";
const LIB: &str = "libomni_jitsi_meet.a";

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    crate::no_args("ios", args)?;
    let mut missing = Vec::new();
    if env::consts::OS != "macos" {
        missing.push(format!(
            "macOS: Xcode, which links for iOS, only runs there (this is {})",
            env::consts::OS
        ));
    }
    for tool in ["xcodebuild", "lipo"] {
        if which(tool).is_none() {
            missing.push(format!(
                "{tool}: install Xcode from the App Store, then `xcode-select --install`"
            ));
        }
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
        process::run(
            ws.cargo()
                .args([
                    "build",
                    "--release",
                    "-p",
                    "omni-jitsi-meet",
                    "--target",
                    target,
                ])
                .env("IPHONEOS_DEPLOYMENT_TARGET", DEPLOYMENT_TARGET),
        )?;
    }

    let out = ws.target.join("ios");
    let swift = out.join("swift");
    generate_bindings(ws, "swift", &swift)?;
    // Clang finds a module only through a file named exactly module.modulemap. In a folder of
    // the module's name, so that it cannot collide with another XCFramework's module.modulemap
    // when Xcode copies every framework's headers into one include directory.
    let headers = out.join("headers");
    // Headers of an earlier layout would otherwise be packed into the framework too.
    if headers.exists() {
        fs::remove_dir_all(&headers)
            .map_err(|e| format!("cannot remove {}: {e}", headers.display()))?;
    }
    let module_headers = headers.join(FFI_MODULE);
    copy(
        &swift.join(format!("{FFI_MODULE}.h")),
        &module_headers.join(format!("{FFI_MODULE}.h")),
    )?;
    copy(
        &swift.join(format!("{FFI_MODULE}.modulemap")),
        &module_headers.join("module.modulemap"),
    )?;

    let simulator = out.join("simulator").join(LIB);
    if let Some(dir) = simulator.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut lipo = ws.command("lipo");
    lipo.arg("-create");
    for target in SIMULATOR {
        lipo.arg(ws.target.join(target).join("release").join(LIB));
    }
    lipo.arg("-output").arg(&simulator);
    process::run(&mut lipo)?;

    let package = out.join("OmniJitsiMeet");
    // A fresh package directory also spares xcodebuild an existing framework, which it refuses
    // to overwrite.
    assemble(ws, &swift, &package, Link::XcFramework)?;
    let framework = package.join("OmniJitsiMeet.xcframework");
    let mut cmd = ws.command("xcodebuild");
    cmd.arg("-create-xcframework");
    for library in [ws.target.join(DEVICE).join("release").join(LIB), simulator] {
        cmd.arg("-library")
            .arg(library)
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
