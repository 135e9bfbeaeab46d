//! The sample apps' code that needs no Android SDK, on the JVM: the permission flow on its own
//! (proving it depends on nothing else), then the app's Android-free sources against the real
//! generated bindings; their JUnit tests, and the app's screen logic against the testbed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::junit::{self, test_classes};
use crate::kotlin::compile_sources;
use crate::kotlin_sources::collect_kotlin;
use crate::mobile::bindgen;
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::tools::KotlinTools;
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
/// The unit tests take under a second, the testbed ones 2 s, waiting at most 20 s per step;
/// this only ends a hang (the error names the test that was running).
const RUN_LIMIT: Duration = Duration::from_secs(300);

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
            compile_sources(ws, tools, &sources, &[], &permissions)
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
                    sources.push(ws.root.join(junit::RUNNER_SOURCE));
                    compile_sources(
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
                let result = run_tests(ws, tools, &classes, &tests, Some(&testbed));
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

fn run_tests(
    ws: &Workspace,
    tools: &KotlinTools,
    classes: &[PathBuf],
    tests: &[String],
    testbed: Option<&Testbed>,
) -> Result<(), String> {
    let summary = junit::run(ws, tools, classes, tests, testbed, RUN_LIMIT)?;
    println!("samples: {summary}");
    Ok(())
}
