//! The fresh-machine check: the README's two commands, `cargo xtask demo` then `cargo xtask
//! test`, in a clean clone of the commit under test on a minimal Debian bookworm that has only
//! what a new user with Rust has. The base is made once by debootstrap in target/tools/fresh;
//! each run sees it through an overlay whose writable layer is thrown away afterwards, so what a
//! run installs (cmake, Prosody, Chromium, ...) and builds never reaches the next one.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::apt::{is_root, Apt};
use crate::chroot::{unmount_stale, Chroot, Mounts};
use crate::process::{output, run, run_with_timeout};
use crate::report::{secs, Report};
use crate::signals::DeferSignals;
use crate::workspace::{is_ci, Workspace};

const SUITE: &str = "bookworm";
/// A fresh Debian machine with Rust: rustup installs no linker, and the Rust book's installation
/// chapter tells the user to install a C compiler for one (xtask itself must be linked before it
/// can install anything); rustup's own download needs CA certificates, and so does cargo's.
/// Nothing more: cmake, g++, Prosody, Chromium and the rest are the commands' own business. No
/// git either: the clone is made from outside.
const BASE: [&str; 3] = ["gcc", "libc6-dev", "ca-certificates"];
/// Set inside, so the `cargo xtask test` there does not start a fresh machine of its own.
const INSIDE: &str = "OMNI_JITSI_FRESH_MACHINE";
/// Where the clone lives inside, as a new user's would.
const CLONE: &str = "/root/omni-jitsi-meet";
/// A run's directory in target/tools/fresh, followed by the process id.
const RUN_PREFIX: &str = "run-";
/// Both start from a cold build on two shared cores; these only catch a hang.
const DEMO_LIMIT: Duration = Duration::from_secs(40 * 60);
const TEST_LIMIT: Duration = Duration::from_secs(120 * 60);

/// Which README commands run on the fresh machine.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Commands {
    Demo,
    DemoAndTest,
}

const USAGE: &str = "usage: fresh [--demo-only]";

/// `cargo xtask fresh [--demo-only]`.
pub fn run_command(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let commands = match args {
        [] => Commands::DemoAndTest,
        [flag] if flag == "--demo-only" => Commands::Demo,
        [other, ..] => return Err(format!("unknown option {other:?}; {USAGE}")),
    };
    let start = Instant::now();
    let mut report = Report::new();
    run_phase(ws, &mut report, commands);
    report.print_summary(&format!("fresh machine ({} total)", secs(start.elapsed())));
    match report.failures().as_slice() {
        [] => Ok(()),
        failed => Err(format!("failed: {}", failed.join(", "))),
    }
}

/// The phase of `cargo xtask test`: the demo on every CI run (a cold build of the CLI and the
/// testbed, minutes), both commands with `--fresh` (a cold build of everything, the Swift
/// chroot and every phase: too long for every run). Outside CI it waits to be asked for.
pub fn test_phase(ws: &Workspace, report: &mut Report, asked: bool) {
    if asked {
        run_phase(ws, report, Commands::DemoAndTest);
    } else if is_ci() {
        run_phase(ws, report, Commands::Demo);
    } else {
        report.skip(
            "fresh bookworm machine",
            "runs with CI=true (the demo) or --fresh (demo and test)",
        );
    }
}

/// The check as steps of `report`.
pub fn run_phase(ws: &Workspace, report: &mut Report, commands: Commands) {
    let phase = "fresh bookworm machine";
    if env::var_os(INSIDE).is_some() {
        report.skip(phase, "this run is already on the fresh machine");
        return;
    }
    if !is_root() {
        // Like any other missing tool: a failure in CI, a skip elsewhere.
        let why = "needs root (debootstrap, mount, chroot)";
        report.step_or_skip(phase, is_ci(), || Err::<(), _>(why.to_string()));
        return;
    }
    let start = Instant::now();
    let Some(base) = report.step("fresh: bookworm base", || ensure_base(ws)) else {
        return;
    };
    let Some(commit) = report.step("fresh: commit under test", || commit_under_test(ws)) else {
        return;
    };
    let fresh = ws.tools_dir().join("fresh");
    if let Err(e) = discard_stale_runs(&fresh) {
        eprintln!("xtask: {e}");
    }
    // One directory per run, so two runs in one worktree do not share a machine.
    let run_dir = fresh.join(format!("{RUN_PREFIX}{}", std::process::id()));
    let Some(mut machine) = report.step("fresh: clean machine and clone", || {
        Machine::start(&base, &run_dir, &ws.root, &commit)
    }) else {
        return;
    };
    let demo = report.step("fresh: cargo xtask demo", || {
        machine.run("demo", DEMO_LIMIT)
    });
    if commands == Commands::DemoAndTest {
        match demo {
            Some(()) => {
                report.step("fresh: cargo xtask test", || {
                    machine.run("test", TEST_LIMIT)
                });
            }
            None => report.skip("fresh: cargo xtask test", "the demo failed"),
        }
    }
    report.step("fresh: discard the machine", || machine.discard());
    println!("==> fresh machine: {}", secs(start.elapsed()));
}

/// The cached base, made on first use.
fn ensure_base(ws: &Workspace) -> Result<Chroot, String> {
    Chroot::new(ws.tools_dir().join("fresh").join(SUITE), SUITE, &BASE).ensure(&mut Apt::default())
}

/// HEAD, the commit a clone gets; uncommitted changes are not part of it, so say so.
fn commit_under_test(ws: &Workspace) -> Result<String, String> {
    let commit = output(ws.command("git").args(["rev-parse", "HEAD"]))?
        .trim()
        .to_string();
    let changes = output(ws.command("git").args(["status", "--porcelain"]))?;
    if !changes.trim().is_empty() {
        println!("note: uncommitted changes are not on the fresh machine, only {commit}");
    }
    println!("testing {commit}");
    Ok(commit)
}

/// The base with a throw-away layer on top, the host's Rust toolchain and a clone inside.
/// Dropped without `discard`, it still discards itself.
struct Machine {
    chroot: Chroot,
    run_dir: PathBuf,
    cargo_home: PathBuf,
    rustup_home: PathBuf,
    /// `None` once discarded.
    mounts: Option<Mounts>,
    /// Outlives `mounts`, so an interrupted run still deletes its layer before it stops.
    _signals: DeferSignals,
}

impl Machine {
    fn start(base: &Chroot, run_dir: &Path, repo: &Path, commit: &str) -> Result<Machine, String> {
        discard(run_dir)?;
        let home = env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
        let from_env = |var: &str, default: &str| {
            env::var_os(var)
                .map(PathBuf::from)
                .unwrap_or_else(|| home.join(default))
        };
        let root = run_dir.join("root");
        let mut machine = Machine {
            chroot: Chroot::new(root.clone(), SUITE, &BASE),
            run_dir: run_dir.to_path_buf(),
            cargo_home: from_env("CARGO_HOME", ".cargo"),
            rustup_home: from_env("RUSTUP_HOME", ".rustup"),
            _signals: DeferSignals::install(),
            mounts: Some(Mounts::new()),
        };
        // From here on, an early return discards what was made so far.
        let inside = |path: &Path| root.join(path.strip_prefix("/").unwrap_or(path));
        let mounts = machine.mounts.as_mut().ok_or("the machine is discarded")?;
        mounts.overlay(
            &base.root,
            &run_dir.join("upper"),
            &run_dir.join("work"),
            &root,
        )?;
        mounts.bind(Path::new("/dev"), &inside(Path::new("/dev")))?;
        // Chromium's shared memory; a tmpfs of its own keeps the host's /dev/shm out of reach.
        mounts.fresh("tmpfs", "mode=1777", &inside(Path::new("/dev/shm")))?;
        mounts.fresh("proc", "rw", &inside(Path::new("/proc")))?;
        mounts.fresh("sysfs", "ro", &inside(Path::new("/sys")))?;
        // The whole cargo home, not only its download caches: cargo's locks live at its top,
        // and a host build sharing the caches must see them. It holds rustup's proxies too.
        mounts.bind(&machine.cargo_home, &inside(&machine.cargo_home))?;
        mounts.bind_read_only(&machine.rustup_home, &inside(&machine.rustup_home))?;

        let clone = inside(Path::new(CLONE));
        run(std::process::Command::new("git")
            .args(["clone", "--quiet", "--no-checkout"])
            .arg(repo)
            .arg(&clone))?;
        run(std::process::Command::new("git")
            .arg("-C")
            .arg(&clone)
            .args(["checkout", "--quiet", "--detach", commit]))?;
        Ok(machine)
    }

    /// Stops what is left running inside, unmounts and deletes the layer with everything the
    /// run installed and built.
    fn discard(&mut self) -> Result<(), String> {
        let Some(mounts) = self.mounts.take() else {
            return Ok(());
        };
        // A timed-out or crashed command can leave processes behind (the nested xtask,
        // Prosody, a browser); they would keep the mounts busy and write into the layer.
        for pid in processes_inside(&self.chroot.root) {
            println!("killing process {pid}, left running on the fresh machine");
            // SAFETY: kill has no memory-safety preconditions.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        // SIGKILL is not instant; a process still exiting keeps its mounts busy.
        let deadline = Instant::now() + Duration::from_secs(10);
        while !processes_inside(&self.chroot.root).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        drop(mounts);
        discard(&self.run_dir)
    }

    /// `cargo xtask COMMAND` in the clone, as a user would type it.
    fn run(&self, command: &str, limit: Duration) -> Result<(), String> {
        let path = format!(
            "{}/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
            self.cargo_home.display()
        );
        let cargo_home = self.cargo_home.display().to_string();
        let rustup_home = self.rustup_home.display().to_string();
        let toolchain = env::var("RUSTUP_TOOLCHAIN").unwrap_or_default();
        let mut env = vec![
            ("PATH", path.as_str()),
            ("CARGO_HOME", &cargo_home),
            ("RUSTUP_HOME", &rustup_home),
            // A new user has no CI=true, but without it a tool xtask failed to install would
            // be a skip, and the check would pass having checked nothing.
            ("CI", "true"),
            (INSIDE, "1"),
        ];
        // The toolchain this run was started with, not whatever rustup defaults to.
        if !toolchain.is_empty() {
            env.push(("RUSTUP_TOOLCHAIN", &toolchain));
        }
        let script = format!("cd {CLONE} && exec cargo xtask {command}");
        run_with_timeout(&mut self.chroot.command(&env, "sh", ["-c", &script]), limit)
    }
}

impl Drop for Machine {
    fn drop(&mut self) {
        if let Err(e) = self.discard() {
            eprintln!("xtask: {e}");
        }
    }
}

/// Processes whose root directory is `root` or below it (a chroot made inside).
fn processes_inside(root: &Path) -> Vec<libc::pid_t> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<libc::pid_t>().ok())
        .filter(|pid| fs::read_link(format!("/proc/{pid}/root")).is_ok_and(|r| r.starts_with(root)))
        .collect()
}

/// What a killed run left: directories of runs whose process is gone.
fn discard_stale_runs(fresh: &Path) -> Result<(), String> {
    let Ok(entries) = fs::read_dir(fresh) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name.to_str().and_then(|n| n.strip_prefix(RUN_PREFIX));
        if pid.is_some_and(|pid| !Path::new("/proc").join(pid).exists()) {
            println!(
                "removing {} (left by an interrupted run)",
                entry.path().display()
            );
            discard(&entry.path())?;
        }
    }
    Ok(())
}

/// Removes a run's layer, clone and build; refuses while anything is still mounted inside,
/// since deleting through a mount would delete the host's /dev or cargo home.
fn discard(run_dir: &Path) -> Result<(), String> {
    unmount_stale(run_dir)?;
    match fs::remove_dir_all(run_dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", run_dir.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::succeeds;
    use std::process::Command;

    /// The layer is deleted after the run while the host's cargo home was mounted inside it:
    /// a mount left behind must be taken down first, never deleted through.
    #[test]
    fn discarding_a_run_never_deletes_through_a_mount() {
        if !is_root() {
            assert!(!is_ci(), "this test mounts, so CI runs it as root");
            eprintln!("skipped: mounting needs root");
            return;
        }
        let dir = env::temp_dir().join(format!("xtask-fresh-discard-{}", std::process::id()));
        let host = dir.join("host-cargo-home");
        fs::create_dir_all(&host).unwrap();
        fs::write(host.join("keep"), "host data").unwrap();
        let run_dir = dir.join(format!("{RUN_PREFIX}1"));
        let inside = run_dir.join("root/root/.cargo");
        fs::create_dir_all(&inside).unwrap();
        run(Command::new("mount").arg("--bind").arg(&host).arg(&inside)).unwrap();

        let discarded = discard(&run_dir);

        let kept = fs::read_to_string(host.join("keep"));
        // Only needed if discard failed to unmount it.
        succeeds(Command::new("umount").arg(&inside));
        fs::remove_dir_all(&dir).unwrap();
        discarded.unwrap();
        assert_eq!(kept.unwrap(), "host data");
        assert!(!run_dir.exists());
    }
}
