//! The interop phase: lib-jitsi-meet in headless Chromium against the testbed and the `omni-jitsi`
//! CLI (interop/, run with node's built-in test runner). Installs Chromium (apt), the npm project's
//! locked dependencies and the lib-jitsi-meet bundle on demand, and caches them.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::apt::Apt;
use crate::process::{output, run_watched, run_with_timeout, which, Watch};
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::workspace::Workspace;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Jitsi publishes no lib-jitsi-meet on npm; this is a third party's copy of a December 2021
/// build (UMD bundle). Pinned by version and by the tarball's SHA-1 as npm reports it.
const LJM_PACKAGE: &str = "@lyno/lib-jitsi-meet@2.6726.2";
const LJM_TARBALL: &str = "lyno-lib-jitsi-meet-2.6726.2.tgz";
const LJM_SHA1: &str = "c3cd6ca0c41406f9acdc6d97ce8c85fe81197468";
/// The suite took 142 s here under load before the P2P <-> bridge moves added about three
/// minutes; each scenario waits at most 15 s per step, so this only ends a hang (the error
/// names the test that was running).
const LIMIT: Duration = Duration::from_secs(900);
/// `npm ci` and `npm pack` download; a stalled registry must fail the phase, not hang it.
const NPM_LIMIT: Duration = Duration::from_secs(600);
/// Prints each test's name as it starts and ends, for the error when the limit is reached.
const PROGRESS_REPORTER: &str = "./lib/progress-reporter.mjs";

pub struct BrowserTools {
    pub node: PathBuf,
    pub lib_jitsi_meet: PathBuf,
}

pub fn ensure(ws: &Workspace, apt: &mut Apt) -> Result<BrowserTools, String> {
    let mut packages = Vec::new();
    if !Path::new(CHROMIUM).is_file() {
        packages.push("chromium");
    }
    if which("node").is_none() || which("npm").is_none() {
        packages.extend(["nodejs", "npm"]);
    }
    if !packages.is_empty() {
        apt.install(&packages)?;
    }
    if !Path::new(CHROMIUM).is_file() {
        return Err(format!(
            "apt-get installed chromium but {CHROMIUM} is missing"
        ));
    }
    let node = which("node").ok_or("node is still not on PATH")?;
    install_npm_project(ws)?;
    let lib_jitsi_meet = ensure_lib_jitsi_meet(ws)?;
    println!(
        "{CHROMIUM}, {}, {} are installed",
        node.display(),
        lib_jitsi_meet.display()
    );
    Ok(BrowserTools {
        node,
        lib_jitsi_meet,
    })
}

/// `npm ci` from the committed lock file, skipped while node_modules matches it.
fn install_npm_project(ws: &Workspace) -> Result<(), String> {
    let dir = ws.root.join("interop");
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.omni-jitsi-installed-lock");
    let wanted = fs::read(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    if fs::read(&stamp).is_ok_and(|installed| installed == wanted) {
        return Ok(());
    }
    run_with_timeout(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir),
        NPM_LIMIT,
    )?;
    fs::write(&stamp, wanted).map_err(|e| format!("cannot write {}: {e}", stamp.display()))
}

/// Its package.json names GitHub-only dependencies that npm cannot resolve here, so the tarball
/// is fetched with `npm pack` and only its self-contained bundle is used.
fn ensure_lib_jitsi_meet(ws: &Workspace) -> Result<PathBuf, String> {
    let dir = ws.tools_dir().join("lib-jitsi-meet");
    let bundle = dir.join("package/lib-jitsi-meet.min.js");
    if bundle.is_file() {
        return Ok(bundle);
    }
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    run_with_timeout(
        Command::new("npm")
            .args(["pack", LJM_PACKAGE])
            .current_dir(&dir),
        NPM_LIMIT,
    )?;
    let tarball = dir.join(LJM_TARBALL);
    let sum = output(Command::new("sha1sum").arg(&tarball))?;
    if sum.split_whitespace().next() != Some(LJM_SHA1) {
        let _ = fs::remove_file(&tarball);
        return Err(format!(
            "{LJM_TARBALL} has SHA-1 {}, expected {LJM_SHA1}",
            sum.trim()
        ));
    }
    run_with_timeout(
        Command::new("tar")
            .args(["xzf", LJM_TARBALL])
            .current_dir(&dir),
        NPM_LIMIT,
    )?;
    let _ = fs::remove_file(&tarball);
    if bundle.is_file() {
        Ok(bundle)
    } else {
        Err(format!("{LJM_PACKAGE} has no {}", bundle.display()))
    }
}

/// Expects the CLI and the testbed binaries already built (the shared build does).
pub fn run_phase(ws: &Workspace, tools: &BrowserTools, report: &mut Report) {
    let start = Instant::now();
    report.step("interop: lib-jitsi-meet in Chromium", || {
        run_tests(ws, tools)
    });
    println!("==> interop phase: {}", secs(start.elapsed()));
}

/// An interop benchmark (`interop/bench-*.mjs`: lib-jitsi-meet's join latency, its P2P time to
/// media and Chromium's memory beside the release CLI's, its time to audio again after bridge
/// faults beside the CLI's, how often P2P <-> bridge moves fail),
/// `runs` times on a fresh testbed with the release CLI; its results as JSON lines.
pub fn bench(
    ws: &Workspace,
    tools: &BrowserTools,
    script: &str,
    runs: usize,
) -> Result<String, String> {
    let cli = ws.target.join("release/omni-jitsi");
    if !cli.is_file() {
        return Err(format!("{} is missing", cli.display()));
    }
    let testbed = Testbed::start(ws)?;
    let result = crate::process::output(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .arg(script)
            .arg(runs.to_string())
            .env("OMNI_JITSI_TESTBED", &testbed.ready)
            .env("OMNI_JITSI_CLI", &cli)
            .env("CHROMIUM", CHROMIUM)
            .env("LIB_JITSI_MEET", &tools.lib_jitsi_meet),
    );
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    result
}

fn run_tests(ws: &Workspace, tools: &BrowserTools) -> Result<(), String> {
    let cli = ws.debug_bin("omni-jitsi");
    if !cli.is_file() {
        return Err(format!("{} is missing", cli.display()));
    }
    let testbed = Testbed::start(ws)?;
    let result = run_watched(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .args(["--test", "--test-concurrency=1"])
            .args(["--test-reporter=spec", "--test-reporter-destination=stdout"])
            .arg(format!("--test-reporter={PROGRESS_REPORTER}"))
            .arg("--test-reporter-destination=stderr")
            .env("OMNI_JITSI_TESTBED", &testbed.ready)
            .env("OMNI_JITSI_CLI", &cli)
            .env("CHROMIUM", CHROMIUM)
            .env("LIB_JITSI_MEET", &tools.lib_jitsi_meet),
        LIMIT,
        NodeTests::default(),
        |status, seen| match (seen.tests, seen.passed) {
            (_, _) if !status.success() => Err(format!("node --test failed ({status})")),
            (Some(tests), Some(passed)) if tests > 0 && passed == tests => {
                Ok(format!("{passed} tests passed"))
            }
            (tests, passed) => Err(format!(
                "node --test ran {} tests and {} passed: nothing may pass by running nothing",
                count(tests),
                count(passed)
            )),
        },
    );
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    println!("interop: {}", result?);
    Ok(())
}

fn count(n: Option<u32>) -> String {
    n.map_or_else(|| "an unknown number of".to_string(), |n| n.to_string())
}

/// The progress reporter's `interop: started PATH` / `interop: finished PATH` lines (PATH is
/// `file: suite > test`) and the spec reporter's closing counts.
#[derive(Default)]
struct NodeTests {
    running: Vec<String>,
    tests: Option<u32>,
    passed: Option<u32>,
}

impl Watch for NodeTests {
    fn line(&mut self, line: &str) {
        if let Some(test) = line.strip_prefix("interop: started ") {
            self.running.push(test.to_string());
        } else if let Some(test) = line.strip_prefix("interop: finished ") {
            self.running.retain(|r| r != test);
        } else if let Some(n) = closing_count(line, "tests") {
            self.tests = Some(n);
        } else if let Some(n) = closing_count(line, "pass") {
            self.passed = Some(n);
        }
    }

    /// The innermost: a suite is running while one of its tests is.
    fn running(&self) -> Vec<String> {
        self.running
            .iter()
            .filter(|outer| {
                !self
                    .running
                    .iter()
                    .any(|inner| inner.starts_with(&format!("{outer} > ")))
            })
            .cloned()
            .collect()
    }
}

/// `ℹ pass 18` (spec reporter) or `# pass 18` (TAP).
fn closing_count(line: &str, what: &str) -> Option<u32> {
    let rest = line
        .strip_prefix("\u{2139} ")
        .or_else(|| line.strip_prefix("# "))?;
    rest.strip_prefix(what)?
        .strip_prefix(' ')?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(output: &str) -> NodeTests {
        let mut seen = NodeTests::default();
        output.lines().for_each(|l| seen.line(l));
        seen
    }

    #[test]
    fn the_closing_counts_are_read_from_spec_or_tap() {
        let spec =
            watch("\u{2139} tests 18\n\u{2139} suites 6\n\u{2139} pass 17\n\u{2139} fail 1\n");
        assert_eq!((spec.tests, spec.passed), (Some(18), Some(17)));
        let tap = watch("# tests 0\n# pass 0\n");
        assert_eq!((tap.tests, tap.passed), (Some(0), Some(0)));
        let neither = watch("\u{2139} duration_ms 2033.5\n# Subtest: pass 3\n");
        assert_eq!((neither.tests, neither.passed), (None, None));
    }

    #[test]
    fn the_innermost_unfinished_test_is_running() {
        let seen = watch(
            "interop: started test/media.test.mjs: P2P\n\
             interop: started test/media.test.mjs: P2P > audio\n\
             interop: finished test/media.test.mjs: P2P > audio\n\
             interop: started test/media.test.mjs: P2P > video\n",
        );
        assert_eq!(seen.running(), ["test/media.test.mjs: P2P > video"]);
    }
}
