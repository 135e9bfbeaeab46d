//! `cargo xtask android`: the bindings library for each Android ABI, plus the Kotlin sources,
//! into the android-sample/sdk module, which Gradle packs as an AAR and the sample app uses.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};

use crate::kotlin_sources::collect_kotlin;
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
/// The lowest API level the SDK supports, as the omni_jitsi_meet Flutter plugin (minSdk 21).
/// Rust supports every level the current LTS NDK does, and NDK r26 and later start at 21; the
/// NDK ships one clang wrapper per level, so this also picks the libc the library links against.
const MIN_API: u32 = 21;
const JNI_LIBS: &str = "android-sample/sdk/src/main/jniLibs";
const KOTLIN_OUT: &str = "android-sample/sdk/src/main/java";
/// Android 15 devices may use 16 KB memory pages (64-bit ABIs only), and Google Play requires
/// libraries aligned for them; NDK r28+ links that way by default, older NDKs need the flag.
/// cargo-ndk adds it itself for NDKs up to r27, so only the plain clang path passes it.
const PAGE_ALIGNMENT: &str = "-C link-arg=-Wl,-z,max-page-size=16384";

enum Linker {
    CargoNdk,
    /// `toolchains/llvm/prebuilt/<host>/bin` of the NDK.
    Clang(PathBuf),
}

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    crate::no_args("android", args)?;
    let mut missing = Vec::new();
    let ndk = locate_ndk();
    if ndk.is_none() {
        missing.push(
            "the Android NDK (r26 or later; r28+ aligns for 16 KB pages by itself): set \
             ANDROID_NDK_HOME (or ANDROID_NDK_ROOT) to its directory, or ANDROID_HOME to an SDK \
             with one under ndk/, e.g. after `sdkmanager \"ndk;<version>\"` or Android Studio's \
             SDK Manager (SDK Tools, NDK (Side by side))"
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
            cmd.arg("--platform")
                .arg(MIN_API.to_string())
                .args([
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
    // Generated files of a renamed type would otherwise linger and still compile in.
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| format!("cannot remove {}: {e}", out.display()))?;
    }
    generate_bindings(ws, "kotlin", &out)?;
    // The hand-written Kotlin layer belongs with the generated code it wraps.
    let src = ws.root.join("bindings/kotlin/src");
    let mut sources = Vec::new();
    collect_kotlin(&src, &mut sources)?;
    for file in sources {
        let relative = file.strip_prefix(&src).unwrap_or(&file);
        copy(&file, &out.join(relative))?;
    }
    println!(
        "Android libraries in {JNI_LIBS}/<abi>/, Kotlin sources in {KOTLIN_OUT}; \
         `./gradlew :sdk:assembleRelease` in android-sample/ packs them as an AAR"
    );
    Ok(())
}

/// ANDROID_NDK_HOME or ANDROID_NDK_ROOT, else the newest NDK that Android Studio's SDK Manager
/// installed under $ANDROID_HOME/ndk/ (or the older $ANDROID_SDK_ROOT).
fn locate_ndk() -> Option<PathBuf> {
    let explicit = ["ANDROID_NDK_HOME", "ANDROID_NDK_ROOT"]
        .iter()
        .filter_map(env::var_os)
        .map(PathBuf::from)
        .find(|dir| dir.is_dir());
    explicit.or_else(|| {
        ["ANDROID_HOME", "ANDROID_SDK_ROOT"]
            .iter()
            .filter_map(env::var_os)
            .map(|sdk| PathBuf::from(sdk).join("ndk"))
            .find_map(|dir| newest_version(&dir))
    })
}

fn newest_version(dir: &Path) -> Option<PathBuf> {
    let mut versions: Vec<(Vec<u64>, PathBuf)> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?;
            Some((version_key(name)?, p.clone()))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

/// "28.2.13676358" -> [28, 2, 13676358]; anything else is not an NDK directory.
fn version_key(name: &str) -> Option<Vec<u64>> {
    name.split('.').map(|part| part.parse().ok()).collect()
}

fn rustflags_var(target: &str) -> String {
    format!(
        "CARGO_TARGET_{}_RUSTFLAGS",
        target.to_uppercase().replace('-', "_")
    )
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
        let mut cmd = ws.cargo();
        if target.starts_with("aarch64") || target.starts_with("x86_64") {
            cmd.env(rustflags_var(target), PAGE_ALIGNMENT);
        }
        let clang = bin.join(format!("{clang_prefix}{MIN_API}-clang"));
        let ar = bin.join("llvm-ar");
        let upper = target.to_uppercase().replace('-', "_");
        let lower = target.replace('-', "_");
        process::run(
            cmd.args([
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

#[cfg(test)]
mod tests {
    use super::version_key;

    #[test]
    fn ndk_versions_compare_numerically() {
        assert!(version_key("28.2.13676358") > version_key("26.3.11579264"));
        assert!(version_key("27.0.12077973") > version_key("9.1.0"));
    }

    #[test]
    fn other_directories_are_not_ndk_versions() {
        assert_eq!(version_key("android-ndk-r28"), None);
        assert_eq!(version_key(".DS_Store"), None);
    }
}
