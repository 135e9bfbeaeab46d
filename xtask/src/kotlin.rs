//! The Kotlin SDK on the JVM: generate the UniFFI bindings, compile them with the hand-written
//! layer and its JUnit tests, and run those against the testbed.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::junit;
use crate::kotlin_sources::collect_kotlin;
use crate::mobile::{bindgen, recreate};
use crate::process::run_with_timeout;
use crate::readme;
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::tools::{join_paths, KotlinTools};
use crate::workspace::Workspace;

const TESTS: &str = "bindings/kotlin/tests";
/// kotlinc took 70-150 s for the generated bindings and tests, 180 s for the samples' app
/// sources, on this shared 2-core machine under load; ten minutes still ends a hung compiler.
pub const COMPILE_LIMIT: Duration = Duration::from_secs(600);
/// The suite takes 5 s and each of its waits gives up after 20 s, so this only ends a hang
/// (the error names the test that was running).
const RUN_LIMIT: Duration = Duration::from_secs(300);

/// Expects the bindings crate already built with `--features bindgen` (the shared build does).
pub fn run_phase(
    ws: &Workspace,
    tools: &KotlinTools,
    prosody: &Result<(), String>,
    report: &mut Report,
) {
    let start = Instant::now();
    let generated = ws.target.join("kotlin/generated");
    let classes = ws.target.join("kotlin/classes");
    let compiled = report
        .step("kotlin: generate bindings", || {
            bindgen(ws, "kotlin", &generated)
        })
        .and_then(|()| {
            report.step("kotlin: compile (-Werror)", || {
                compile(ws, tools, &generated, &classes)
            })
        });
    let quick_start = "kotlin: compile the README quick start (-Werror)";
    match compiled {
        Some(()) => {
            report.step(quick_start, || compile_quick_start(ws, tools, &classes));
        }
        None => report.skip(quick_start, "the bindings did not compile"),
    }
    let run = "kotlin: run the tests in bindings/kotlin/tests";
    match (compiled, prosody) {
        (None, _) => report.skip(run, "nothing to run"),
        (Some(()), Err(why)) => report.skip(run, why),
        (Some(()), Ok(())) => {
            report.step(run, || run_tests(ws, tools, &classes));
        }
    }
    println!("==> Kotlin phase: {}", secs(start.elapsed()));
}

fn compile(
    ws: &Workspace,
    tools: &KotlinTools,
    generated: &Path,
    classes: &Path,
) -> Result<(), String> {
    let mut sources = Vec::new();
    for dir in [
        generated.to_path_buf(),
        ws.root.join("bindings/kotlin/src"),
        ws.root.join(TESTS),
    ] {
        collect_kotlin(&dir, &mut sources)?;
    }
    sources.push(ws.root.join(junit::RUNNER_SOURCE));
    compile_sources(ws, tools, &sources, &[], classes)
}

/// Against the classes just compiled, so only the snippet is compiled again.
fn compile_quick_start(ws: &Workspace, tools: &KotlinTools, classes: &Path) -> Result<(), String> {
    let snippet = readme::read(ws, "kotlin")?;
    let source = ws.target.join("kotlin/readme/ReadmeQuickStart.kt");
    readme::write(&source, &snippet.kotlin_file())?;
    compile_sources(
        ws,
        tools,
        &[source],
        &[classes.to_path_buf()],
        &ws.target.join("kotlin/readme/classes"),
    )
    .map_err(|e| {
        format!(
            "the Kotlin quick start ({}) does not compile as written: {e}",
            snippet.place()
        )
    })
}

pub fn compile_sources(
    ws: &Workspace,
    tools: &KotlinTools,
    sources: &[PathBuf],
    extra_classpath: &[PathBuf],
    classes: &Path,
) -> Result<(), String> {
    let mut classpath = tools.compile_classpath();
    classpath.extend_from_slice(extra_classpath);
    kotlinc(ws, tools, &[], &classpath, sources, classes)
}

/// With `-Werror` and the given `flags`, against exactly `classpath` (and the stdlib).
pub fn kotlinc(
    ws: &Workspace,
    tools: &KotlinTools,
    flags: &[&str],
    classpath: &[PathBuf],
    sources: &[PathBuf],
    classes: &Path,
) -> Result<(), String> {
    if sources.is_empty() {
        return Err("no .kt sources found".into());
    }
    // Stale classes from a deleted source would otherwise still be tested.
    recreate(classes)?;
    run_with_timeout(
        ws.command(&tools.kotlinc)
            .arg("-Werror")
            .args(flags)
            .arg("-cp")
            .arg(join_paths(classpath, ":"))
            .arg("-d")
            .arg(classes)
            .args(sources),
        COMPILE_LIMIT,
    )
}

fn run_tests(ws: &Workspace, tools: &KotlinTools, classes: &Path) -> Result<(), String> {
    let tests = junit::test_classes(&ws.root.join(TESTS))?;
    let testbed = Testbed::start(ws)?;
    let result = junit::run(
        ws,
        tools,
        &[classes.to_path_buf()],
        &tests,
        Some(&testbed),
        RUN_LIMIT,
    );
    // The tests' verdict matters more than an untidy testbed exit, so that is only a warning.
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    println!("kotlin: {}", result?);
    Ok(())
}
