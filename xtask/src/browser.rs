//! The interop phase: lib-jitsi-meet in headless Chromium against the testbed and the `omni-jitsi`
//! CLI (interop/, run with node's built-in test runner). Installs Chromium (apt), the npm project's
//! locked dependencies and the lib-jitsi-meet bundle on demand, and caches them.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::process::{output, run, run_with_timeout, which};
use crate::report::{secs, Report};
use crate::testbed::Testbed;
use crate::tools::Apt;
use crate::workspace::Workspace;

const CHROMIUM: &str = "/usr/bin/chromium";
/// Jitsi publishes no lib-jitsi-meet on npm; this is a third party's copy of a December 2021
/// build (UMD bundle). Pinned by version and by the tarball's SHA-1 as npm reports it.
const LJM_PACKAGE: &str = "@lyno/lib-jitsi-meet@2.6726.2";
const LJM_TARBALL: &str = "lyno-lib-jitsi-meet-2.6726.2.tgz";
const LJM_SHA1: &str = "c3cd6ca0c41406f9acdc6d97ce8c85fe81197468";
/// Each scenario waits at most 15 s per step; this only catches a hung browser (the P2P <-> bridge
/// moves add about three minutes to the suite).
const LIMIT: Duration = Duration::from_secs(900);

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
    run(std::process::Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir))?;
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
    run(std::process::Command::new("npm")
        .args(["pack", LJM_PACKAGE])
        .current_dir(&dir))?;
    let tarball = dir.join(LJM_TARBALL);
    let sum = output(std::process::Command::new("sha1sum").arg(&tarball))?;
    if sum.split_whitespace().next() != Some(LJM_SHA1) {
        let _ = fs::remove_file(&tarball);
        return Err(format!(
            "{LJM_TARBALL} has SHA-1 {}, expected {LJM_SHA1}",
            sum.trim()
        ));
    }
    run(std::process::Command::new("tar")
        .args(["xzf", LJM_TARBALL])
        .current_dir(&dir))?;
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

/// lib-jitsi-meet's join latency on a fresh testbed, as JSON lines (interop/bench-join.mjs).
pub fn bench_join(ws: &Workspace, tools: &BrowserTools, runs: usize) -> Result<String, String> {
    let testbed = Testbed::start(ws)?;
    let result = crate::process::output(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .arg("bench-join.mjs")
            .arg(runs.to_string())
            .env("OMNI_JITSI_TESTBED", &testbed.ready)
            .env("CHROMIUM", CHROMIUM)
            .env("LIB_JITSI_MEET", &tools.lib_jitsi_meet),
    );
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    result
}

/// lib-jitsi-meet's P2P time to media and Chromium's memory beside the release CLI's, as JSON
/// lines (interop/bench-media.mjs).
pub fn bench_media(ws: &Workspace, tools: &BrowserTools, runs: usize) -> Result<String, String> {
    let cli = ws.target.join("release/omni-jitsi");
    if !cli.is_file() {
        return Err(format!("{} is missing", cli.display()));
    }
    let testbed = Testbed::start(ws)?;
    let result = crate::process::output(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .arg("bench-media.mjs")
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

/// How often the P2P <-> bridge moves with lib-jitsi-meet fail, each scenario `runs` times
/// with the release CLI, as JSON lines (interop/bench-moves.mjs).
pub fn bench_moves(ws: &Workspace, tools: &BrowserTools, runs: usize) -> Result<String, String> {
    let cli = ws.target.join("release/omni-jitsi");
    if !cli.is_file() {
        return Err(format!("{} is missing", cli.display()));
    }
    let testbed = Testbed::start(ws)?;
    let result = crate::process::output(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .arg("bench-moves.mjs")
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
    let result = run_with_timeout(
        ws.command(&tools.node)
            .current_dir(ws.root.join("interop"))
            .args(["--test", "--test-concurrency=1", "--test-reporter=spec"])
            .env("OMNI_JITSI_TESTBED", &testbed.ready)
            .env("OMNI_JITSI_CLI", &cli)
            .env("CHROMIUM", CHROMIUM)
            .env("LIB_JITSI_MEET", &tools.lib_jitsi_meet),
        LIMIT,
    );
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    result
}
