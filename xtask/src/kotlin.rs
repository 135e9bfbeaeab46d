//! The Kotlin SDK on the JVM: generate the UniFFI bindings, compile them with the hand-written
//! layer and its JUnit tests, and run those against the testbed.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::mobile::{bindgen, recreate};
use crate::process::run_with_timeout;
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::tools::{join_paths, KotlinTools};
use crate::workspace::Workspace;

const TEST_CLASS: &str = "org.omnijitsi.meet.MeetingTest";
/// Generous: the tests themselves time out after 20 s per wait, so this only catches hangs.
const LIMIT: Duration = Duration::from_secs(600);

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
    match (compiled, prosody) {
        (None, _) => report.skip("kotlin: run MeetingTest", "nothing to run"),
        (Some(()), Err(why)) => report.skip("kotlin: run MeetingTest", why),
        (Some(()), Ok(())) => {
            report.step("kotlin: run MeetingTest", || run_tests(ws, tools, &classes));
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
        ws.root.join("bindings/kotlin/tests"),
    ] {
        collect_kotlin(&dir, &mut sources)?;
    }
    compile_sources(ws, tools, &sources, classes)
}

pub fn compile_sources(
    ws: &Workspace,
    tools: &KotlinTools,
    sources: &[PathBuf],
    classes: &Path,
) -> Result<(), String> {
    if sources.is_empty() {
        return Err("no .kt sources found".into());
    }
    recreate(classes)?;
    run_with_timeout(
        ws.command(&tools.kotlinc)
            .arg("-Werror")
            .arg("-cp")
            .arg(join_paths(&tools.compile_classpath(), ":"))
            .arg("-d")
            .arg(classes)
            .args(sources),
        LIMIT,
    )
}

fn run_tests(ws: &Workspace, tools: &KotlinTools, classes: &Path) -> Result<(), String> {
    let testbed = Testbed::start(ws)?;
    let mut classpath = vec![classes.to_path_buf()];
    classpath.extend(tools.run_classpath());
    println!("OMNI_JITSI_SERVER_URL={}", testbed.server_url);
    let result = run_with_timeout(
        ws.command("java")
            .arg(format!("-Djna.library.path={}", ws.debug_dir().display()))
            .arg("-cp")
            .arg(join_paths(&classpath, ":"))
            .args(["org.junit.runner.JUnitCore", TEST_CLASS])
            .env("OMNI_JITSI_SERVER_URL", &testbed.server_url),
        LIMIT,
    );
    // The tests' verdict matters more than an untidy testbed exit, so that is only a warning.
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    result
}

/// Sorted, so the compiler sees the same order on every machine.
pub fn collect_kotlin(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut found = Vec::new();
    walk(dir, &mut found)?;
    found.sort();
    out.extend(found);
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", dir.display()))?
            .path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "kt") {
            out.push(path);
        }
    }
    Ok(())
}
