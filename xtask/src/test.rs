//! `cargo xtask test`: every check CI runs, in one command that installs what it needs.

use std::time::Instant;

use crate::browser;
use crate::fresh;
use crate::kotlin;
use crate::process;
use crate::report::{secs, Report};
use crate::samples;
use crate::swift;
use crate::tools::{self, Wanted};
use crate::workspace::{is_ci, Workspace};

/// One feature set for build, clippy and test: cargo rebuilds a crate whenever its features
/// differ, and the Kotlin phase needs the bindgen binary, so everything is built with it once.
const SELECTION: [&str; 4] = [
    "--workspace",
    "--all-targets",
    "--features",
    "omni-jitsi-meet/bindgen",
];

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let mut want = Wanted {
        kotlin: true,
        swift: true,
        browser: true,
    };
    let mut fresh = false;
    for arg in args {
        match arg.as_str() {
            "--fresh" => fresh = true,
            "--skip-kotlin" => want.kotlin = false,
            "--skip-swift" => want.swift = false,
            "--skip-browser" => want.browser = false,
            other => {
                return Err(format!(
                    "unknown option {other:?}; usage: test [--fresh] [--skip-kotlin] [--skip-swift] [--skip-browser]"
                ))
            }
        }
    }
    let ci = is_ci();
    let start = Instant::now();
    let mut report = Report::new();

    let tools = tools::ensure(ws, &mut report, want, ci);

    report.step("cargo fmt --check", || {
        process::run(ws.cargo().args(["fmt", "--all", "--", "--check"]))
    });
    let built = report
        .step("cargo build", || {
            process::run(ws.cargo().arg("build").args(SELECTION))
        })
        .is_some();
    report.step("cargo clippy", || {
        process::run(
            ws.cargo()
                .arg("clippy")
                .args(SELECTION)
                .args(["--", "-D", "warnings"]),
        )
    });

    if !built {
        report.skip("cargo test", "the build failed");
    } else {
        match &tools.prosody {
            Ok(()) => {
                report.step("cargo test", || {
                    process::run(
                        ws.cargo()
                            .args(["test", "--workspace"])
                            .args(&SELECTION[2..]),
                    )
                });
            }
            Err(why) => {
                // Unit tests need no server; only the integration tests start Prosody.
                report.step("cargo test (unit tests only)", || {
                    process::run(
                        ws.cargo()
                            .args(["test", "--workspace", "--lib", "--bins"])
                            .args(&SELECTION[2..]),
                    )
                });
                report.skip("integration tests (testbed/tests, cli/tests)", why);
            }
        }
    }

    match (&tools.kotlin, built) {
        (Err(why), _) => report.skip("Kotlin binding and sample tests", why),
        (Ok(_), false) => report.skip("Kotlin binding and sample tests", "the build failed"),
        (Ok(kotlin_tools), true) => {
            kotlin::run_phase(ws, kotlin_tools, &tools.prosody, &mut report);
            samples::run_phase(ws, kotlin_tools, &tools.prosody, &mut report);
        }
    }

    match (&tools.swift, built) {
        (Err(why), _) => report.skip("Swift binding tests", why),
        (Ok(_), false) => report.skip("Swift binding tests", "the build failed"),
        (Ok(toolchain), true) => swift::run_phase(ws, toolchain, &tools.prosody, &mut report),
    }

    match (&tools.browser, &tools.prosody, built) {
        (Err(why), _, _) | (_, Err(why), _) => {
            report.skip("interop: lib-jitsi-meet in Chromium", why)
        }
        (Ok(_), Ok(()), false) => {
            report.skip("interop: lib-jitsi-meet in Chromium", "the build failed")
        }
        (Ok(browser_tools), Ok(()), true) => browser::run_phase(ws, browser_tools, &mut report),
    }

    fresh::test_phase(ws, &mut report, fresh);

    report.print_summary(&format!("summary ({} total)", secs(start.elapsed())));
    match report.failures().as_slice() {
        [] => Ok(()),
        failed => Err(format!("failed: {}", failed.join(", "))),
    }
}
