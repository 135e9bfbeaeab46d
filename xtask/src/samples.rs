//! The sample apps' code that needs no Android SDK, on the JVM: the permission flow on its own
//! (proving it depends on nothing else), then the app's Android-free sources against the real
//! generated bindings; their JUnit tests, and the app's screen logic against the testbed.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::kotlin::collect_kotlin;
use crate::mobile::bindgen;
use crate::process::run_with_timeout;
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::tools::{join_paths, KotlinTools};
use crate::workspace::Workspace;

const PERMISSIONS: &str = "android-sample/permissions/src";
/// The app's sources under `session/` and `media/` must not use Android classes; compiling
/// them here is what enforces it.
const APP_PLAIN: [&str; 5] = [
    "android-sample/app/src/main/java/org/omnijitsi/sample/session",
    "android-sample/app/src/main/java/org/omnijitsi/sample/media",
    APP_UNIT_TESTS[0],
    APP_UNIT_TESTS[1],
    TESTBED_TESTS,
];
const APP_UNIT_TESTS: [&str; 2] = [
    "android-sample/app/src/test/java/org/omnijitsi/sample/session",
    "android-sample/app/src/test/java/org/omnijitsi/sample/media",
];
/// Tests that need Prosody and the testbed; Gradle does not know this source folder.
const TESTBED_TESTS: &str = "android-sample/app/src/testbedTest/java/org/omnijitsi/sample/session";
const LIMIT: Duration = Duration::from_secs(600);

/// Expects the bindings crate already built with `--features bindgen` (the shared build does).
pub fn run_phase(
    ws: &Workspace,
    tools: &KotlinTools,
    prosody: &Result<(), String>,
    report: &mut Report,
) {
    let start = Instant::now();
    let out = ws.target.join("samples");
    let permissions = out.join("permissions");
    let app = out.join("app");
    let compiled = report
        .step("samples: compile the permission flow (-Werror)", || {
            let sources = sources(ws, &[PERMISSIONS])?;
            compile(ws, tools, &sources, &[], &permissions)
        })
        .and_then(|()| {
            report.step(
                "samples: compile the app's Android-free sources (-Werror)",
                || {
                    let generated = out.join("generated");
                    bindgen(ws, "kotlin", &generated)?;
                    let mut sources = sources(ws, &APP_PLAIN)?;
                    collect_kotlin(&generated, &mut sources)?;
                    collect_kotlin(&ws.root.join("bindings/kotlin/src"), &mut sources)?;
                    compile(
                        ws,
                        tools,
                        &sources,
                        std::slice::from_ref(&permissions),
                        &app,
                    )
                },
            )
        });
    let classes = [permissions, app];
    match compiled {
        Some(()) => {
            report.step("samples: run unit tests", || {
                let mut tests = test_classes(&ws.root.join(PERMISSIONS).join("test"))?;
                for dir in APP_UNIT_TESTS {
                    tests.extend(test_classes(&ws.root.join(dir))?);
                }
                run_tests(ws, tools, &classes, &tests, None)
            });
        }
        None => report.skip("samples: run unit tests", "nothing to run"),
    }
    let against_testbed = "samples: run the app's screen logic against the testbed";
    match (compiled, prosody) {
        (None, _) => report.skip(against_testbed, "nothing to run"),
        (Some(()), Err(why)) => report.skip(against_testbed, why),
        (Some(()), Ok(())) => {
            report.step(against_testbed, || {
                let tests = test_classes(&ws.root.join(TESTBED_TESTS))?;
                let testbed = Testbed::start(ws)?;
                let result = run_tests(ws, tools, &classes, &tests, Some(&testbed.server_url));
                // The tests' verdict matters more than an untidy testbed exit.
                if let Err(e) = testbed.stop() {
                    eprintln!("xtask: warning: {e}");
                }
                result
            });
        }
    }
    println!("==> samples phase: {}", secs(start.elapsed()));
}

fn sources(ws: &Workspace, dirs: &[&str]) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    for dir in dirs {
        collect_kotlin(&ws.root.join(dir), &mut found)?;
    }
    Ok(found)
}

fn compile(
    ws: &Workspace,
    tools: &KotlinTools,
    sources: &[PathBuf],
    extra_classpath: &[PathBuf],
    classes: &Path,
) -> Result<(), String> {
    if sources.is_empty() {
        return Err("no .kt sources found".into());
    }
    // Stale classes from a deleted source would otherwise still be tested.
    if classes.exists() {
        fs::remove_dir_all(classes)
            .map_err(|e| format!("cannot remove {}: {e}", classes.display()))?;
    }
    let mut classpath = tools.compile_classpath();
    classpath.extend_from_slice(extra_classpath);
    run_with_timeout(
        ws.command(&tools.kotlinc)
            .arg("-Werror")
            .arg("-cp")
            .arg(join_paths(&classpath, ":"))
            .arg("-d")
            .arg(classes)
            .args(sources),
        LIMIT,
    )
}

fn run_tests(
    ws: &Workspace,
    tools: &KotlinTools,
    classes: &[PathBuf],
    tests: &[String],
    server_url: Option<&str>,
) -> Result<(), String> {
    if tests.is_empty() {
        return Err("no test classes found".into());
    }
    let mut classpath = classes.to_vec();
    classpath.extend(tools.run_classpath());
    let mut cmd = ws.command("java");
    cmd.arg(format!("-Djna.library.path={}", ws.debug_dir().display()))
        .arg("-cp")
        .arg(join_paths(&classpath, ":"))
        .arg("org.junit.runner.JUnitCore")
        .args(tests);
    if let Some(url) = server_url {
        println!("OMNI_JITSI_SERVER_URL={url}");
        cmd.env("OMNI_JITSI_SERVER_URL", url);
    }
    run_with_timeout(&mut cmd, LIMIT)
}

/// `FooTest.kt` declaring `package a.b` holds the class `a.b.FooTest`.
fn test_classes(dir: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    collect_kotlin(dir, &mut files)?;
    let mut classes = Vec::new();
    for file in files {
        let Some(stem) = file.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        if !stem.ends_with("Test") {
            continue;
        }
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        match package_of(&text) {
            Some(package) => classes.push(format!("{package}.{stem}")),
            None => return Err(format!("{} declares no package", file.display())),
        }
    }
    Ok(classes)
}

fn package_of(source: &str) -> Option<&str> {
    source
        .lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::package_of;

    #[test]
    fn the_package_line_names_the_test_class_package() {
        let source = "// Tests of the flow.\n\npackage org.example.flow\n\nimport org.junit.Test\n";
        assert_eq!(package_of(source), Some("org.example.flow"));
    }

    #[test]
    fn a_source_without_a_package_line_has_none() {
        assert_eq!(package_of("class LostTest\n"), None);
    }
}
