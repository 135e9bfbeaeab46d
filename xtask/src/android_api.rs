//! The Android sample's Kotlin against a real android.jar (API 23, the one Debian packages):
//! the AAR's sources (the generated bindings and bindings/kotlin/src), then the whole app with
//! the permission flow. `-no-jdk` leaves the platform's own java.* as the only JDK, so a JDK
//! class Android lacks fails too. Calls to later APIs compile against android-sample/api-stubs/.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::android_resources::Resources;
use crate::kotlin::kotlinc;
use crate::kotlin_sources::collect_kotlin;
use crate::mobile::bindgen;
use crate::report::{secs, Report};
use crate::tools::KotlinTools;
use crate::workspace::Workspace;

const STUBS: &str = "android-sample/api-stubs";
const SDK_SOURCES: &str = "bindings/kotlin/src";
const APP: [&str; 2] = [
    "android-sample/permissions/src/main/kotlin",
    "android-sample/app/src/main/java",
];
const APP_RES: &str = "android-sample/app/src/main/res";
const APP_PACKAGE: &str = "org.omnijitsi.sample";
/// The JDK is not Android's class library; kotlin-reflect is no dependency of the app.
const ANDROID_ONLY: [&str; 2] = ["-no-jdk", "-no-reflect"];

/// Expects the bindings crate already built with `--features bindgen` (the shared build does).
pub fn run_phase(ws: &Workspace, tools: &KotlinTools, android_jar: &Path, report: &mut Report) {
    let start = Instant::now();
    let out = ws.target.join("android-api");
    let stubs = out.join("stubs");
    let sdk = out.join("sdk");
    let platform = vec![stubs.clone(), android_jar.to_path_buf()];
    let compiled = report
        .step("android-api: compile the stubs of APIs above 23", || {
            if !android_jar.is_file() {
                return Err(format!("{} is missing", android_jar.display()));
            }
            let mut sources = Vec::new();
            collect_kotlin(&ws.root.join(STUBS), &mut sources)?;
            kotlinc(
                ws,
                tools,
                &ANDROID_ONLY,
                &[android_jar.to_path_buf()],
                &sources,
                &stubs,
            )
        })
        .and_then(|()| {
            report.step("android-api: compile the SDK's Kotlin (-Werror)", || {
                let generated = out.join("generated");
                bindgen(ws, "kotlin", &generated)?;
                let mut sources = Vec::new();
                collect_kotlin(&generated, &mut sources)?;
                collect_kotlin(&ws.root.join(SDK_SOURCES), &mut sources)?;
                let classpath = [platform.clone(), tools.sdk_libraries()].concat();
                kotlinc(ws, tools, &ANDROID_ONLY, &classpath, &sources, &sdk)
            })
        });
    let app = "android-api: compile the app and its permission flow (-Werror)";
    match compiled {
        Some(()) => {
            report.step(app, || {
                let mut sources = vec![write_r(ws, &out.join("r/R.kt"))?];
                for dir in APP {
                    collect_kotlin(&ws.root.join(dir), &mut sources)?;
                }
                let classpath = [platform, vec![sdk], tools.sdk_libraries()].concat();
                kotlinc(
                    ws,
                    tools,
                    &ANDROID_ONLY,
                    &classpath,
                    &sources,
                    &out.join("app"),
                )
            });
        }
        None => report.skip(app, "the SDK's Kotlin did not compile"),
    }
    println!("==> android-api phase: {}", secs(start.elapsed()));
}

fn write_r(ws: &Workspace, file: &Path) -> Result<PathBuf, String> {
    let kotlin = Resources::read(&ws.root.join(APP_RES))?.kotlin(APP_PACKAGE);
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    fs::write(file, kotlin).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(file.to_path_buf())
}
