//! JUnit 4 on the JVM for the Kotlin phases: which classes are tests, a runner that names each
//! test as it starts (xtask/junit/NamingRunner.kt, compiled with the tests), and a verdict that
//! refuses a run in which no test ran.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::time::Duration;

use crate::kotlin_sources::collect_kotlin;
use crate::process::{run_watched, Watch};
use crate::testbed::Testbed;
use crate::tools::{join_paths, KotlinTools};
use crate::workspace::Workspace;

/// Compiled with every set of test classes.
pub const RUNNER_SOURCE: &str = "xtask/junit/NamingRunner.kt";
/// The class kotlinc makes for the file's top-level `main`.
const RUNNER_CLASS: &str = "org.omnijitsi.xtask.NamingRunnerKt";

/// Runs `tests` (class names) with `classes` and the JUnit jars on the class path; the summary
/// line when at least one test ran and none failed.
pub fn run(
    ws: &Workspace,
    tools: &KotlinTools,
    classes: &[PathBuf],
    tests: &[String],
    testbed: Option<&Testbed>,
    limit: Duration,
) -> Result<String, String> {
    if tests.is_empty() {
        return Err("no test classes found".into());
    }
    let mut classpath = classes.to_vec();
    classpath.extend(tools.run_classpath());
    let mut cmd = ws.command("java");
    cmd.arg(format!("-Djna.library.path={}", ws.debug_dir().display()))
        .arg("-cp")
        .arg(join_paths(&classpath, ":"))
        .arg(RUNNER_CLASS)
        .args(tests);
    for (name, value) in testbed.iter().flat_map(|t| t.env()) {
        println!("{name}={value}");
        cmd.env(name, value);
    }
    run_watched(&mut cmd, limit, JUnit::default(), verdict)
}

fn verdict(status: ExitStatus, seen: &JUnit) -> Result<String, String> {
    match &seen.summary {
        None => Err(format!(
            "JUnit ended ({status}) without its summary (`OK (N tests)` or `Tests run: N`)"
        )),
        Some(Summary::Failed(line)) => Err(format!("JUnit: {line} ({status})")),
        Some(Summary::Passed(0)) => Err("JUnit ran no test: OK (0 tests)".into()),
        Some(Summary::Passed(_)) if !status.success() => {
            Err(format!("JUnit reported OK but exited with {status}"))
        }
        Some(Summary::Passed(n)) => Ok(format!("{n} tests passed")),
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Summary {
    /// `OK (N tests)`.
    Passed(u32),
    /// `Tests run: N,  Failures: F`, as printed.
    Failed(String),
}

/// The runner's `junit: started NAME` / `junit: finished NAME` lines and JUnitCore's summary.
#[derive(Default)]
struct JUnit {
    running: Vec<String>,
    summary: Option<Summary>,
}

impl Watch for JUnit {
    fn line(&mut self, line: &str) {
        if let Some(name) = line.strip_prefix("junit: started ") {
            self.running.push(name.to_string());
        } else if let Some(name) = line.strip_prefix("junit: finished ") {
            self.running.retain(|r| r != name);
        } else if let Some(count) = line
            .strip_prefix("OK (")
            .and_then(|rest| rest.split_once(' '))
            .and_then(|(n, _)| n.parse().ok())
        {
            self.summary = Some(Summary::Passed(count));
        } else if line.starts_with("Tests run: ") {
            self.summary = Some(Summary::Failed(line.trim().to_string()));
        }
    }

    fn running(&self) -> Vec<String> {
        self.running.clone()
    }
}

/// Every source under `dir` with a `@Test` method, as a class name: `FooTest.kt` declaring
/// `package a.b` holds the class `a.b.FooTest`. A file with tests that does not declare the
/// class it is named after is an error, since its tests would otherwise silently not run.
pub fn test_classes(dir: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    collect_kotlin(dir, &mut files)?;
    let mut classes = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if !text.contains("@Test") {
            continue;
        }
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        classes.push(test_class(&text, stem).map_err(|e| format!("{}: {e}", file.display()))?);
    }
    Ok(classes)
}

/// JUnit is given classes by name, taken from the file name.
fn test_class(source: &str, stem: &str) -> Result<String, String> {
    let declared = source.lines().any(|l| {
        l.split_whitespace()
            .skip_while(|w| *w != "class")
            .nth(1)
            .is_some_and(|name| name.split(['(', '{', ':', '<']).next() == Some(stem))
    });
    if !declared {
        return Err(format!(
            "it has @Test methods but no class {stem}, the name JUnit would be given"
        ));
    }
    let package = package_of(source).ok_or("it declares no package")?;
    Ok(format!("{package}.{stem}"))
}

fn package_of(source: &str) -> Option<&str> {
    source
        .lines()
        .find_map(|l| l.trim().strip_prefix("package "))
        .map(str::trim)
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::ExitStatusExt;

    use super::*;

    #[test]
    fn the_package_line_names_the_test_class_package() {
        let source = "// Tests of the flow.\n\npackage org.example.flow\n\nimport org.junit.Test\n";
        assert_eq!(package_of(source), Some("org.example.flow"));
    }

    #[test]
    fn a_file_with_tests_must_declare_the_class_it_is_named_after() {
        let source = "package a.b\n\nclass FlowTests {\n    @Test fun works() {}\n}\n";
        assert_eq!(test_class(source, "FlowTests"), Ok("a.b.FlowTests".into()));
        let open = "package a.b\nopen class FlowTest() : Base() {\n";
        assert_eq!(test_class(open, "FlowTest"), Ok("a.b.FlowTest".into()));
        let err = test_class(source, "Flows").unwrap_err();
        assert!(err.contains("no class Flows"), "{err}");
        assert!(test_class("class FlowTests {}\n", "FlowTests").is_err());
    }

    #[test]
    fn a_source_without_a_package_line_has_none() {
        assert_eq!(package_of("class LostTest\n"), None);
    }

    fn watch(output: &str) -> JUnit {
        let mut seen = JUnit::default();
        output.lines().for_each(|l| seen.line(l));
        seen
    }

    const PASSED: i32 = 0;
    const FAILED: i32 = 1 << 8;

    #[test]
    fn a_run_of_n_tests_passes_and_zero_tests_fail() {
        let ok = watch(
            "junit: started a(x.ATest)\njunit: finished a(x.ATest)\n\nTime: 1.2\n\nOK (5 tests)\n",
        );
        assert_eq!(
            verdict(ExitStatus::from_raw(PASSED), &ok),
            Ok("5 tests passed".into())
        );
        let one = watch("OK (1 test)\n");
        assert_eq!(one.summary, Some(Summary::Passed(1)));
        let none = watch("\nTime: 0.001\n\nOK (0 tests)\n\n");
        assert!(verdict(ExitStatus::from_raw(PASSED), &none).is_err());
    }

    #[test]
    fn failures_and_a_missing_summary_fail() {
        let failed = watch("FAILURES!!!\nTests run: 3,  Failures: 1\n");
        let err = verdict(ExitStatus::from_raw(FAILED), &failed).unwrap_err();
        assert!(err.contains("Tests run: 3,  Failures: 1"), "{err}");
        let crashed =
            watch("Exception in thread \"main\" java.lang.ClassNotFoundException: x.Gone\n");
        assert!(verdict(ExitStatus::from_raw(FAILED), &crashed)
            .unwrap_err()
            .contains("without its summary"));
    }

    #[test]
    fn the_test_that_started_and_never_finished_is_running() {
        let seen = watch(
            "junit: started a(x.ATest)\njunit: finished a(x.ATest)\njunit: started b(x.ATest)\n",
        );
        assert_eq!(seen.running(), ["b(x.ATest)"]);
    }
}
