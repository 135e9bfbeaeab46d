//! `cargo xtask test`: every check CI runs, in one command that installs what it needs.

use std::time::{Duration, Instant};

use crate::android_api;
use crate::arm;
use crate::browser;
use crate::fresh;
use crate::fuzz;
use crate::kotlin;
use crate::libtest::Libtest;
use crate::msrv;
use crate::process::{self, run_watched, run_with_timeout};
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

/// Wall-clock limits, so that nothing can hang the run. The whole suite takes about eight
/// minutes on this shared 2-core machine; each limit is several times what its step took there
/// under load (other builds running, load average 15), so only a hang fails. fmt takes seconds.
const FMT_LIMIT: Duration = Duration::from_secs(120);
/// A cold build (webrtc, OpenH264 and libopus from source) took 21 minutes with other builds
/// sharing the two cores.
const BUILD_LIMIT: Duration = Duration::from_secs(60 * 60);
/// clippy re-checks the built workspace: less work than a cold build.
const CLIPPY_LIMIT: Duration = Duration::from_secs(30 * 60);
/// `cargo test` took 75 s here after the build (302 tests in 28 binaries; doc-tests still
/// compile). On a kill the error names the tests libtest reported as running for over 60 s
/// and the binary they were in.
const CARGO_TEST_LIMIT: Duration = Duration::from_secs(15 * 60);

/// Each fuzz target's share of the test run: the instrumented build took under 4 minutes cold on
/// this shared 2-core machine and 13 targets at 10 s add about 2.5, so the phase stays near 6.
const FUZZ_SECONDS: u64 = 10;

const USAGE: &str = "usage: test [--fresh] [--skip-kotlin] [--skip-swift] [--skip-arm] \
                     [--skip-browser] \
                     [--only cargo-test|fuzz|kotlin|samples|android-api|swift|arm|interop]";

/// The phases after the build; `--only` runs one of them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    CargoTest,
    Fuzz,
    Kotlin,
    Samples,
    AndroidApi,
    Swift,
    Arm,
    Interop,
}

impl Phase {
    fn parse(name: &str) -> Result<Phase, String> {
        Ok(match name {
            "cargo-test" => Phase::CargoTest,
            "fuzz" => Phase::Fuzz,
            "kotlin" => Phase::Kotlin,
            "samples" => Phase::Samples,
            "android-api" => Phase::AndroidApi,
            "swift" => Phase::Swift,
            "arm" => Phase::Arm,
            "interop" => Phase::Interop,
            other => return Err(format!("unknown phase {other:?}; {USAGE}")),
        })
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Options {
    kotlin: bool,
    swift: bool,
    arm: bool,
    browser: bool,
    only: Option<Phase>,
    /// Both README commands on a fresh machine too, not only the demo CI runs there.
    fresh: bool,
}

impl Options {
    fn runs(&self, phase: Phase) -> bool {
        self.only.is_none_or(|only| only == phase)
    }
}

/// CI must run everything: a flag that leaves a phase out is refused there.
fn parse(args: &[String], ci: bool) -> Result<Options, String> {
    let mut options = Options {
        kotlin: true,
        swift: true,
        arm: true,
        browser: true,
        only: None,
        fresh: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // Adds a phase, so CI may ask for it.
            "--fresh" => {
                options.fresh = true;
                continue;
            }
            "--skip-kotlin" => options.kotlin = false,
            "--skip-swift" => options.swift = false,
            "--skip-arm" => options.arm = false,
            "--skip-browser" => options.browser = false,
            "--only" => {
                let phase = args
                    .next()
                    .ok_or_else(|| format!("--only needs a phase; {USAGE}"))?;
                options.only = Some(Phase::parse(phase)?);
            }
            other => return Err(format!("unknown option {other:?}; {USAGE}")),
        }
        if ci {
            return Err(format!(
                "{arg} is refused with CI=true: CI runs every phase, so none can pass by being left out"
            ));
        }
    }
    if let Some(only) = options.only {
        options.kotlin = matches!(only, Phase::Kotlin | Phase::Samples | Phase::AndroidApi);
        options.swift = only == Phase::Swift;
        // android.jar comes with the ARM toolchain's chroot.
        options.arm = matches!(only, Phase::Arm | Phase::AndroidApi);
        options.browser = only == Phase::Interop;
    }
    Ok(options)
}

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let ci = is_ci();
    let options = parse(args, ci)?;
    let start = Instant::now();
    let mut report = Report::new();

    let want = Wanted {
        kotlin: options.kotlin,
        swift: options.swift,
        arm: options.arm,
        browser: options.browser,
    };
    let tools = tools::ensure(ws, &mut report, want, ci);

    if options.only.is_none() {
        report.step("cargo fmt --check", || {
            run_with_timeout(
                ws.cargo().args(["fmt", "--all", "--", "--check"]),
                FMT_LIMIT,
            )
        });
    }
    if options.only.is_none() {
        report.step("rust-version against the dependencies", || {
            msrv::check(ws).map(|found| println!("msrv: {found}"))
        });
    }
    let built = report
        .step("cargo build", || {
            run_with_timeout(ws.cargo().arg("build").args(SELECTION), BUILD_LIMIT)
        })
        .is_some();
    if options.only.is_none() {
        report.step("cargo clippy", || {
            run_with_timeout(
                ws.cargo()
                    .arg("clippy")
                    .args(SELECTION)
                    .args(["--", "-D", "warnings"]),
                CLIPPY_LIMIT,
            )
        });
    }

    match (&tools.prosody, built) {
        _ if !options.runs(Phase::CargoTest) => {}
        (_, false) => report.skip("cargo test", "the build failed"),
        (Ok(()), true) => {
            report.step("cargo test", || {
                cargo_test(
                    ws.cargo()
                        .args(["test", "--workspace"])
                        .args(&SELECTION[2..]),
                )
            });
        }
        (Err(why), true) => {
            // Unit tests need no server; only the integration tests start Prosody.
            report.step("cargo test (unit tests only)", || {
                cargo_test(
                    ws.cargo()
                        .args(["test", "--workspace", "--lib", "--bins"])
                        .args(&SELECTION[2..]),
                )
            });
            report.skip("integration tests (testbed/tests, cli/tests)", why);
        }
    }

    if options.runs(Phase::Fuzz) {
        // Its own build, instrumented, in target/fuzz: it does not wait on the main one.
        report.step("fuzz (every target, briefly)", || {
            fuzz::test_phase(ws, FUZZ_SECONDS)
        });
    }

    let kotlin_phases = [Phase::Kotlin, Phase::Samples, Phase::AndroidApi];
    match (&tools.kotlin, built) {
        _ if !kotlin_phases.into_iter().any(|p| options.runs(p)) => {}
        (Err(why), _) => report.skip("Kotlin binding and sample tests", why),
        (Ok(_), false) => report.skip("Kotlin binding and sample tests", "the build failed"),
        (Ok(kotlin_tools), true) => {
            if options.runs(Phase::Kotlin) {
                kotlin::run_phase(ws, kotlin_tools, &tools.prosody, &mut report);
            }
            if options.runs(Phase::Samples) {
                samples::run_phase(ws, kotlin_tools, &tools.prosody, &mut report);
            }
            if options.runs(Phase::AndroidApi) {
                match &tools.arm {
                    Ok(arm) => {
                        android_api::run_phase(ws, kotlin_tools, &arm.android_jar(), &mut report)
                    }
                    Err(why) => report.skip("android-api: the sample against android.jar", why),
                }
            }
        }
    }

    match (&tools.swift, built) {
        _ if !options.runs(Phase::Swift) => {}
        (Err(why), _) => report.skip("Swift binding tests", why),
        (Ok(_), false) => report.skip("Swift binding tests", "the build failed"),
        (Ok(toolchain), true) => swift::run_phase(ws, toolchain, &tools.prosody, &mut report),
    }

    match &tools.arm {
        _ if !options.runs(Phase::Arm) => {}
        Err(why) => report.skip("ARM builds and tests", why),
        // Its own build, in the chroot: it does not wait on the host's.
        Ok(toolchain) => arm::run_phase(ws, toolchain, &mut report),
    }

    match (&tools.browser, &tools.prosody, built) {
        _ if !options.runs(Phase::Interop) => {}
        (Err(why), _, _) | (_, Err(why), _) => {
            report.skip("interop: lib-jitsi-meet in Chromium", why)
        }
        (Ok(_), Ok(()), false) => {
            report.skip("interop: lib-jitsi-meet in Chromium", "the build failed")
        }
        (Ok(browser_tools), Ok(()), true) => browser::run_phase(ws, browser_tools, &mut report),
    }

    fresh::test_phase(ws, &mut report, options.fresh);

    report.print_summary(&format!("summary ({} total)", secs(start.elapsed())));
    match report.failures().as_slice() {
        [] => Ok(()),
        failed => Err(format!("failed: {}", failed.join(", "))),
    }
}

fn cargo_test(cmd: &mut std::process::Command) -> Result<(), String> {
    let shown = process::show(cmd);
    run_watched(cmd, CARGO_TEST_LIMIT, Libtest::default(), |status, _| {
        process::succeeded(&shown, status)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn skipping_or_picking_a_phase_is_refused_in_ci() {
        for flags in [
            &["--skip-kotlin"][..],
            &["--skip-swift"],
            &["--skip-arm"],
            &["--skip-browser"],
            &["--only", "kotlin"],
        ] {
            let err = parse(&args(flags), true).unwrap_err();
            assert!(err.contains("refused with CI=true"), "{err}");
            assert!(parse(&args(flags), false).is_ok());
        }
        assert!(parse(&[], true).is_ok());
    }

    #[test]
    fn only_one_phase_wants_only_its_tools() {
        let only = parse(&args(&["--only", "samples"]), false).unwrap();
        assert_eq!(
            (only.kotlin, only.swift, only.arm, only.browser),
            (true, false, false, false)
        );
        assert!(only.runs(Phase::Samples) && !only.runs(Phase::Kotlin));
        let android = parse(&args(&["--only", "android-api"]), false).unwrap();
        assert!(android.kotlin && android.arm && android.runs(Phase::AndroidApi));
        assert!(!android.runs(Phase::Samples));
        let fuzz = parse(&args(&["--only", "fuzz"]), false).unwrap();
        assert_eq!(
            (fuzz.kotlin, fuzz.swift, fuzz.arm, fuzz.browser),
            (false, false, false, false)
        );
        assert!(fuzz.runs(Phase::Fuzz) && !fuzz.runs(Phase::CargoTest));
        assert!(parse(&args(&["--only", "everything"]), false).is_err());
        assert!(parse(&args(&["--only"]), false).is_err());
    }
}
