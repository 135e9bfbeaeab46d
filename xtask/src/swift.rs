//! The Swift SDK on Linux: Debian bookworm has no Swift, trixie's `swiftlang` needs trixie's
//! glibc, so the toolchain lives in a cached trixie chroot. The package in bindings/swift is
//! assembled with the generated bindings under target/swift and its XCTest suite runs inside
//! the chroot against the testbed, which it reaches over the shared loopback.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::apt::{is_root, Apt};
use crate::chroot::Chroot;
use crate::mobile::{bindgen, copy, recreate};
use crate::process::{run_watched, Watch};
use crate::readme;
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::workspace::Workspace;

const SUITE: &str = "trixie";
const PACKAGES: [&str; 4] = ["swiftlang", "libc6-dev", "libstdc++-14-dev", "binutils"];
const MODULE: &str = "OmniJitsiMeet";
const FFI_MODULE: &str = "OmniJitsiMeetFFI";
/// Per `swift test`: 15-35 s here, building the package from scratch included, and the tests
/// wait at most 20 s per story, so this only ends a hang (the error names the test case that
/// was running).
const LIMIT: Duration = Duration::from_secs(600);

pub struct SwiftToolchain {
    chroot: Chroot,
}

/// Installs debootstrap if needed and builds the chroot once; later runs reuse it.
pub fn ensure_toolchain(ws: &Workspace, apt: &mut Apt) -> Result<SwiftToolchain, String> {
    // Entering a cached chroot needs mounts as much as creating one does.
    if !is_root() {
        return Err("the Swift chroot needs root (debootstrap, mount, chroot)".into());
    }
    let chroot = Chroot::new(ws.tools_dir().join("swift").join(SUITE), SUITE, &PACKAGES);
    Ok(SwiftToolchain {
        chroot: chroot.ensure(apt)?,
    })
}

/// Expects the bindings crate already built with `--features bindgen` (the shared build does).
pub fn run_phase(
    ws: &Workspace,
    toolchain: &SwiftToolchain,
    prosody: &Result<(), String>,
    report: &mut Report,
) {
    let start = Instant::now();
    let generated = ws.target.join("swift/generated");
    let package = ws.target.join("swift/package");
    let assembled = report
        .step("swift: generate bindings", || {
            bindgen(ws, "swift", &generated)
        })
        .and_then(|()| {
            report.step(
                "swift: assemble package, with the README quick start in its tests",
                || {
                    assemble(ws, &generated, &package, Link::Cdylib)?;
                    add_quick_start(ws, &package)
                },
            )
        });
    match (assembled, prosody) {
        (None, _) => report.skip("swift: swift test", "nothing to run"),
        (Some(()), Err(why)) => report.skip("swift: swift test", why),
        (Some(()), Ok(())) => {
            report.step("swift: swift test", || run_tests(ws, toolchain, &package));
        }
    }
    for (package, scratch) in SAMPLE_PACKAGES {
        report.step(&format!("swift: ios-sample {package} tests"), || {
            run_sample_tests(ws, toolchain, package, scratch)
        });
    }
    println!("==> Swift phase: {}", secs(start.elapsed()));
}

/// How the assembled package reaches the Rust library.
pub enum Link {
    /// A system-library target over the generated header; the host cdylib in target/debug.
    Cdylib,
    /// The XCFramework `cargo xtask ios` puts next to Package.swift (it carries the headers).
    XcFramework,
}

/// Package.swift, the hand-written sources and tests from bindings/swift, and the generated
/// ones, in a fresh `package` directory.
pub fn assemble(
    ws: &Workspace,
    generated: &Path,
    package: &Path,
    link: Link,
) -> Result<(), String> {
    recreate(package)?;
    let checked_in = ws.root.join("bindings/swift");
    copy(
        &checked_in.join("Package.swift"),
        &package.join("Package.swift"),
    )?;
    copy_tree(&checked_in.join("Sources"), &package.join("Sources"))?;
    copy_tree(&checked_in.join("Tests"), &package.join("Tests"))?;
    copy(
        &generated.join(format!("{MODULE}.swift")),
        &package.join(format!("Sources/{MODULE}/{MODULE}.swift")),
    )?;
    if let Link::Cdylib = link {
        let ffi = package.join(format!("Sources/{FFI_MODULE}"));
        copy(
            &generated.join(format!("{FFI_MODULE}.h")),
            &ffi.join(format!("{FFI_MODULE}.h")),
        )?;
        // SwiftPM finds a system library's module only through this exact file name.
        copy(
            &generated.join(format!("{FFI_MODULE}.modulemap")),
            &ffi.join("module.modulemap"),
        )?;
    }
    Ok(())
}

/// Compiled with the tests (warnings as errors), so a quick start that no longer compiles fails
/// `swift test`; it is never called.
fn add_quick_start(ws: &Workspace, package: &Path) -> Result<(), String> {
    let snippet = readme::read(ws, "swift")?;
    readme::write(
        &package.join("Tests/OmniJitsiMeetTests/ReadmeQuickStart.swift"),
        &snippet.swift_file(),
    )
}

fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let entries = fs::read_dir(from).map_err(|e| format!("cannot list {}: {e}", from.display()))?;
    for entry in entries {
        let path = entry
            .map_err(|e| format!("cannot list {}: {e}", from.display()))?
            .path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}

fn run_tests(ws: &Workspace, toolchain: &SwiftToolchain, package: &Path) -> Result<(), String> {
    let testbed = Testbed::start(ws)?;
    for (name, value) in testbed.env() {
        println!("{name}={value}");
    }
    let scratch = ws.target.join("swift/build");
    let result = toolchain
        .chroot
        .enter(Some(&ws.root))
        .and_then(|_mounts| swift_test(ws, toolchain, package, &scratch, Some(&testbed)));
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    let summary = result?;
    println!("swift test: {summary}");
    Ok(())
}

/// The iOS sample's plain-Swift packages (under ios-sample/) and their build directories.
const SAMPLE_PACKAGES: [(&str, &str); 2] = [
    ("PermissionFlow", "sample-build"),
    ("SampleMedia", "sample-media-build"),
];

/// The iOS sample's permission flow and media glue are plain Swift, so their XCTests run here
/// too; no server needed.
fn run_sample_tests(
    ws: &Workspace,
    toolchain: &SwiftToolchain,
    package: &str,
    scratch: &str,
) -> Result<(), String> {
    let path = ws.root.join("ios-sample").join(package);
    let scratch = ws.target.join("swift").join(scratch);
    let summary = toolchain
        .chroot
        .enter(Some(&ws.root))
        .and_then(|_mounts| swift_test(ws, toolchain, &path, &scratch, None))?;
    println!("swift test ({package}): {summary}");
    Ok(())
}

/// Runs `swift test`, echoing its output, and insists on XCTest's own summary: a run that
/// built nothing or skipped every test must not pass.
fn swift_test(
    ws: &Workspace,
    toolchain: &SwiftToolchain,
    package: &Path,
    scratch: &Path,
    testbed: Option<&Testbed>,
) -> Result<String, String> {
    let lib_dir = path_str(&ws.debug_dir())?;
    let mut env: Vec<(&str, &str)> = testbed.iter().flat_map(|t| t.env()).collect();
    env.push(("OMNI_JITSI_LIB_DIR", &lib_dir));
    let mut cmd = toolchain.chroot.command(
        &env,
        // Into a pipe the test binary's stdio is block-buffered, and a test killed for hanging
        // would take its `Test Case '...' started` line with it.
        "stdbuf",
        [
            "-oL",
            "-eL",
            "swift",
            "test",
            "-Xswiftc",
            "-warnings-as-errors",
            "--package-path",
            &path_str(package)?,
            // Outside the package directory, so reassembling it keeps the build cache.
            "--scratch-path",
            &path_str(scratch)?,
        ],
    );
    run_watched(
        &mut cmd,
        LIMIT,
        XcTest::default(),
        |status, seen| match &seen.summary {
            None => Err(format!(
                "swift test ended ({status}) without XCTest's \"Executed N tests\" summary"
            )),
            Some(s) if !status.success() || s.failures > 0 => {
                Err(format!("swift test failed ({status}): {s}"))
            }
            Some(s) if s.tests == 0 || s.skipped > 0 => Err(format!("nothing really ran: {s}")),
            Some(s) => Ok(s.line.clone()),
        },
    )
}

/// XCTest's `Test Case 'X' started` / `passed` / `failed` / `skipped` lines and its summary.
#[derive(Default)]
struct XcTest {
    running: Vec<String>,
    summary: Option<Summary>,
}

impl Watch for XcTest {
    fn line(&mut self, line: &str) {
        if let Some((case, what)) = line
            .trim()
            .strip_prefix("Test Case '")
            .and_then(|rest| rest.split_once("' "))
        {
            if what.starts_with("started") {
                self.running.push(case.to_string());
            } else {
                self.running.retain(|r| r != case);
            }
        } else if let Some(summary) = Summary::parse(line) {
            self.summary = Some(summary);
        }
    }

    fn running(&self) -> Vec<String> {
        self.running.clone()
    }
}

fn path_str(path: &Path) -> Result<String, String> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{} is not UTF-8", path.display()))
}

/// XCTest's closing line, e.g. `Executed 5 tests, with 1 test skipped and 0 failures (0
/// unexpected) in 0.58 (0.58) seconds`.
#[derive(Debug, PartialEq, Eq)]
struct Summary {
    tests: u32,
    skipped: u32,
    failures: u32,
    line: String,
}

impl Summary {
    fn parse(line: &str) -> Option<Summary> {
        let line = line.trim();
        let rest = line.strip_prefix("Executed ")?;
        let (tests, rest) = rest.split_once(' ')?;
        let (_, counts) = rest.split_once(", with ")?;
        let words: Vec<&str> = counts.split_whitespace().collect();
        let count_before = |at: usize, back: usize| -> Option<u32> {
            words.get(at.checked_sub(back)?)?.parse().ok()
        };
        let mut skipped = 0;
        let mut failures = None;
        for (at, word) in words.iter().enumerate() {
            if word.starts_with("skipped") {
                skipped = count_before(at, 2)?;
            } else if word.starts_with("failure") && failures.is_none() {
                failures = Some(count_before(at, 1)?);
            }
        }
        Some(Summary {
            tests: tests.parse().ok()?,
            skipped,
            failures: failures?,
            line: line.to_string(),
        })
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_passing_run() {
        let s = Summary::parse(
            "\t Executed 5 tests, with 0 failures (0 unexpected) in 0.58 (0.58) seconds",
        )
        .unwrap();
        assert_eq!((s.tests, s.skipped, s.failures), (5, 0, 0));
    }

    #[test]
    fn reads_failures_and_skips() {
        let one = Summary::parse(
            "Executed 5 tests, with 1 failure (0 unexpected) in 0.664 (0.664) seconds",
        )
        .unwrap();
        assert_eq!((one.tests, one.failures), (5, 1));
        let skipped = Summary::parse(
            "Executed 5 tests, with 2 tests skipped and 3 failures (3 unexpected) in 0.1 (0.1) seconds",
        )
        .unwrap();
        assert_eq!((skipped.skipped, skipped.failures), (2, 3));
    }

    #[test]
    fn the_case_that_started_and_never_ended_is_running() {
        let mut seen = XcTest::default();
        for line in [
            "Test Case 'MeetingTests.testJoin' started at 2026-12-04 21:00:00.000",
            "Test Case 'MeetingTests.testJoin' passed (0.5 seconds)",
            "Test Case 'MeetingTests.testChat' started at 2026-12-04 21:00:01.000",
        ] {
            seen.line(line);
        }
        assert_eq!(seen.running(), ["MeetingTests.testChat"]);
    }

    #[test]
    fn other_lines_are_not_summaries() {
        assert_eq!(
            Summary::parse("Test Suite 'All tests' passed at 2026-11-25"),
            None
        );
        assert_eq!(Summary::parse("Executed lots of tests"), None);
        assert_eq!(Summary::parse(""), None);
    }
}
