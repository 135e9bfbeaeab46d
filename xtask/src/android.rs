//! `cargo xtask android`: the bindings library for each Android ABI, plus the Kotlin sources,
//! into android-sample/.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::kotlin::collect_kotlin;
use crate::mobile::{copy, generate_bindings, missing_targets, refuse};
use crate::process::{self, succeeds};
use crate::workspace::Workspace;

/// (Rust target, Android ABI, the NDK clang's target prefix)
const TARGETS: [(&str, &str, &str); 3] = [
    (
        "aarch64-linux-android",
        "arm64-v8a",
        "aarch64-linux-android",
    ),
    (
        "armv7-linux-androideabi",
        "armeabi-v7a",
        "armv7a-linux-androideabi",
    ),
    ("x86_64-linux-android", "x86_64", "x86_64-linux-android"),
];
/// The lowest API level the SDK supports; the NDK ships one clang wrapper per level.
const MIN_API: u32 = 24;
const JNI_LIBS: &str = "android-sample/app/src/main/jniLibs";
const KOTLIN_OUT: &str = "android-sample/app/src/main/java";

enum Linker {
    CargoNdk,
    /// `toolchains/llvm/prebuilt/<host>/bin` of the NDK.
    Clang(PathBuf),
}

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    crate::no_args("android", args)?;
    let mut missing = Vec::new();
    let ndk = ["ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"]
        .iter()
        .filter_map(env::var_os)
        .map(PathBuf::from)
        .find(|dir| dir.is_dir());
    if ndk.is_none() {
        missing.push(
            "the Android NDK: set ANDROID_NDK_HOME (or ANDROID_NDK_ROOT) to its directory, \
             e.g. $ANDROID_HOME/ndk/<version> after `sdkmanager \"ndk;<version>\"`"
                .to_string(),
        );
    }
    let linker = if succeeds(ws.cargo().args(["ndk", "--version"])) {
        Some(Linker::CargoNdk)
    } else {
        ndk.as_deref().and_then(ndk_clang_dir).map(Linker::Clang)
    };
    if linker.is_none() {
        missing.push(
            "cargo-ndk (`cargo install cargo-ndk`), or an NDK with clang under \
             toolchains/llvm/prebuilt/<host>/bin"
                .to_string(),
        );
    }
    let targets: Vec<&str> = TARGETS.iter().map(|t| t.0).collect();
    let absent = missing_targets(ws, &targets);
    if !absent.is_empty() {
        missing.push(format!(
            "Rust targets {}: `rustup target add {}`",
            absent.join(", "),
            absent.join(" ")
        ));
    }
    refuse("Android", &missing)?;
    let (Some(ndk), Some(linker)) = (ndk, linker) else {
        return Err("internal: prerequisites checked but absent".into());
    };

    match linker {
        Linker::CargoNdk => {
            let mut cmd = ws.cargo();
            cmd.arg("ndk");
            for (_, abi, _) in TARGETS {
                cmd.args(["-t", abi]);
            }
            cmd.args([
                "-o",
                JNI_LIBS,
                "build",
                "--release",
                "-p",
                "omni-jitsi-meet",
            ])
            .env("ANDROID_NDK_HOME", &ndk);
            process::run(&mut cmd)?;
        }
        Linker::Clang(bin) => build_with_clang(ws, &bin)?,
    }

    let out = ws.root.join(KOTLIN_OUT);
    generate_bindings(ws, "kotlin", &out)?;
    // The hand-written Kotlin layer belongs with the generated code it wraps.
    let src = ws.root.join("bindings/kotlin/src");
    let mut sources = Vec::new();
    collect_kotlin(&src, &mut sources)?;
    for file in sources {
        let relative = file.strip_prefix(&src).unwrap_or(&file);
        copy(&file, &out.join(relative))?;
    }
    println!("Android libraries in {JNI_LIBS}/<abi>/, Kotlin sources in {KOTLIN_OUT}");
    Ok(())
}

fn ndk_clang_dir(ndk: &Path) -> Option<PathBuf> {
    let prebuilt = ndk.join("toolchains/llvm/prebuilt");
    fs::read_dir(prebuilt)
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .find(|bin| {
            bin.join(format!("{}{MIN_API}-clang", TARGETS[0].2))
                .is_file()
        })
}

/// What cargo-ndk would do: point cargo and the cc crate at the NDK's per-API clang wrappers.
fn build_with_clang(ws: &Workspace, bin: &Path) -> Result<(), String> {
    for (target, abi, clang_prefix) in TARGETS {
        let clang = bin.join(format!("{clang_prefix}{MIN_API}-clang"));
        let ar = bin.join("llvm-ar");
        let upper = target.to_uppercase().replace('-', "_");
        let lower = target.replace('-', "_");
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
                .env(format!("CARGO_TARGET_{upper}_LINKER"), &clang)
                .env(format!("CC_{lower}"), &clang)
                .env(format!("AR_{lower}"), &ar),
        )?;
        let lib = ws.target.join(target).join("release/libomni_jitsi_meet.so");
        copy(
            &lib,
            &ws.root
                .join(JNI_LIBS)
                .join(abi)
                .join("libomni_jitsi_meet.so"),
        )?;
    }
    Ok(())
}
