//! `cargo xtask fuzz`: the coverage-guided targets in fuzz/, run with libFuzzer.
//!
//! cargo-fuzz needs nightly for its sanitizer flags; the only toolchain here is stable, so the
//! targets link libFuzzer through the libfuzzer-sys crate (which builds its C++ with the cc crate)
//! and we pass the coverage instrumentation cargo-fuzz passes, all of it stable codegen options.
//! Everything instrumented lives in target/fuzz, apart from the normal builds.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::apt::Apt;
use crate::process::{kill_tree, output, run_with_timeout, Supervised};
use crate::report::Report;
use crate::tools::{self, Server};
use crate::workspace::{is_ci, Workspace};

const USAGE: &str = "usage: fuzz [TARGET] [--runs N | --seconds S]";

/// cargo-fuzz's defaults (edge coverage with 8-bit counters, the PC table for `cov:`, comparison
/// tracing so the fuzzer learns the element names and keywords we compare against), minus
/// AddressSanitizer, which needs nightly and finds little in code without `unsafe`.
const INSTRUMENTATION: [&str; 8] = [
    "--cfg fuzzing",
    "-Cpasses=sancov-module",
    "-Cllvm-args=-sanitizer-coverage-level=4",
    "-Cllvm-args=-sanitizer-coverage-inline-8bit-counters",
    "-Cllvm-args=-sanitizer-coverage-pc-table",
    "-Cllvm-args=-sanitizer-coverage-trace-compares",
    "-Cdebug-assertions",
    "-Coverflow-checks",
];

/// A cold build of core with the media engine took 4 minutes here.
const BUILD_LIMIT: Duration = Duration::from_secs(30 * 60);
/// One input taking this long is a hang.
const HANG_SECS: u64 = 10;
/// Time for libFuzzer to load the corpus and write its final stats past the run's own budget.
const GRACE: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Budget {
    Runs(u64),
    Seconds(u64),
    /// Whichever comes first.
    RunsWithin(u64, u64),
}

impl Budget {
    fn flags(self) -> Vec<String> {
        match self {
            Budget::Runs(n) => vec![format!("-runs={n}")],
            Budget::Seconds(s) => vec![format!("-max_total_time={s}")],
            Budget::RunsWithin(n, s) => vec![format!("-runs={n}"), format!("-max_total_time={s}")],
        }
    }

    fn limit(self) -> Duration {
        match self {
            Budget::Seconds(s) | Budget::RunsWithin(_, s) => Duration::from_secs(s) + GRACE,
            // A million runs of the slowest target take a few minutes.
            Budget::Runs(_) => Duration::from_secs(3600),
        }
    }
}

/// What one run did, from libFuzzer's final stats.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Outcome {
    pub target: String,
    pub execs: u64,
    pub seconds: f64,
    /// Coverage points (edges) and features reached, as libFuzzer's last status line says.
    pub cov: u64,
    pub ft: u64,
    pub corpus: u64,
    /// The reproducer of a crash or hang, with its kind.
    pub failure: Option<String>,
}

impl Outcome {
    pub fn execs_per_sec(&self) -> f64 {
        if self.seconds > 0.0 {
            self.execs as f64 / self.seconds
        } else {
            0.0
        }
    }

    fn line(&self) -> String {
        format!(
            "{:<14} {:>10} execs {:>9.0}/s  cov {:>5}  ft {:>6}  corpus {:>5}  {}",
            self.target,
            self.execs,
            self.execs_per_sec(),
            self.cov,
            self.ft,
            self.corpus,
            self.failure.as_deref().unwrap_or("ok")
        )
    }
}

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let (only, budget) = parse(args)?;
    let mut report = Report::new();
    let ready = tools::ensure_base(&mut report, &mut Apt::default(), Server::Remote, is_ci());
    ready.codecs?;
    let targets = select(ws, only.as_deref())?;
    let bins = build(ws)?;
    let outcomes = run_all(ws, &bins, &targets, budget)?;
    verdict(&outcomes)
}

/// For `cargo xtask test`: every target, briefly.
pub fn test_phase(ws: &Workspace, seconds: u64) -> Result<(), String> {
    let bins = build(ws)?;
    let outcomes = run_side_by_side(ws, &bins, &targets(ws)?, Budget::Seconds(seconds))?;
    verdict(&outcomes)
}

fn parse(args: &[String]) -> Result<(Option<String>, Budget), String> {
    let mut only = None;
    let mut budget = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let n = args
                .next()
                .ok_or_else(|| format!("{flag} needs a number; {USAGE}"))?;
            n.parse()
                .map_err(|_| format!("{flag} takes a whole number: {n:?}"))
        };
        match arg.as_str() {
            "--runs" if budget.is_none() => budget = Some(Budget::Runs(number("--runs")?)),
            "--seconds" if budget.is_none() => budget = Some(Budget::Seconds(number("--seconds")?)),
            "--runs" | "--seconds" => return Err(format!("one budget at a time; {USAGE}")),
            flag if flag.starts_with('-') => {
                return Err(format!("unknown option {flag:?}; {USAGE}"))
            }
            target if only.is_none() => only = Some(target.to_string()),
            extra => return Err(format!("one target at a time, got {extra:?} too; {USAGE}")),
        }
    }
    Ok((only, budget.unwrap_or(Budget::Seconds(20))))
}

/// The targets are the binaries in fuzz/src/bin, one file each.
pub fn targets(ws: &Workspace) -> Result<Vec<String>, String> {
    let dir = ws.root.join("fuzz/src/bin");
    let entries = fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_suffix(".rs").map(str::to_string)
        })
        .collect();
    names.sort();
    Ok(names)
}

fn select(ws: &Workspace, only: Option<&str>) -> Result<Vec<String>, String> {
    let all = targets(ws)?;
    match only {
        None => Ok(all),
        Some(t) if all.iter().any(|a| a == t) => Ok(vec![t.to_string()]),
        Some(t) => Err(format!(
            "no fuzz target {t:?}; there are {}",
            all.join(", ")
        )),
    }
}

fn fuzz_dir(ws: &Workspace) -> PathBuf {
    ws.target.join("fuzz")
}

/// Builds every target and returns the directory holding them. `--target` keeps the
/// instrumentation off build scripts and proc macros, which are linked without libFuzzer.
pub fn build(ws: &Workspace) -> Result<PathBuf, String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let version = output(Command::new(rustc).arg("-vV"))?;
    let host = version
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .ok_or("rustc -vV names no host")?
        .to_string();
    run_with_timeout(
        ws.cargo()
            .args(["build", "--locked", "--release", "--bins"])
            .arg("--manifest-path")
            .arg(ws.root.join("fuzz/Cargo.toml"))
            .args(["--target", &host])
            .arg("--target-dir")
            .arg(fuzz_dir(ws))
            .env("RUSTFLAGS", INSTRUMENTATION.join(" "))
            .env_remove("CARGO_ENCODED_RUSTFLAGS"),
        BUILD_LIMIT,
    )?;
    Ok(fuzz_dir(ws).join(host).join("release"))
}

pub fn run_all(
    ws: &Workspace,
    bins: &Path,
    targets: &[String],
    budget: Budget,
) -> Result<Vec<Outcome>, String> {
    let mut outcomes = Vec::new();
    for target in targets {
        let outcome = run_target(ws, bins, target, budget)?;
        println!("{}", outcome.line());
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Two targets at a time, one per core: for a fixed time each, the count of executions is not
/// the point, so the bench keeps `run_all`'s one at a time.
fn run_side_by_side(
    ws: &Workspace,
    bins: &Path,
    targets: &[String],
    budget: Budget,
) -> Result<Vec<Outcome>, String> {
    let (first, second) = targets.split_at(targets.len().div_ceil(2));
    let (a, b) = std::thread::scope(|scope| {
        let a = scope.spawn(|| run_all(ws, bins, first, budget));
        let b = run_all(ws, bins, second, budget);
        (a.join(), b)
    });
    let mut outcomes = a.map_err(|_| "a fuzz run panicked".to_string())??;
    outcomes.extend(b?);
    Ok(outcomes)
}

/// One libFuzzer run, its output in target/fuzz/logs. New inputs go to the corpus under
/// target/fuzz; the seeds in fuzz/corpus are only read.
fn run_target(
    ws: &Workspace,
    bins: &Path,
    target: &str,
    budget: Budget,
) -> Result<Outcome, String> {
    let dir = fuzz_dir(ws);
    let corpus = dir.join("corpus").join(target);
    let artifacts = dir.join("artifacts").join(target);
    let logs = dir.join("logs");
    for d in [&corpus, &artifacts, &logs] {
        fs::create_dir_all(d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    let log_path = logs.join(format!("{target}.log"));
    let log = File::create(&log_path)
        .map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
    let log_err = log
        .try_clone()
        .map_err(|e| format!("cannot share {}: {e}", log_path.display()))?;
    let mut cmd = Command::new(bins.join(target));
    cmd.args(budget.flags())
        .args([
            "-print_final_stats=1".to_string(),
            format!("-timeout={HANG_SECS}"),
            "-rss_limit_mb=2048".to_string(),
            format!("-artifact_prefix={}/", artifacts.display()),
        ])
        .arg(&corpus)
        .arg(ws.root.join("fuzz/corpus").join(target))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    let start = Instant::now();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run the {target} fuzz target: {e}"))?;
    let mut child = Supervised::new(target, child);
    let status = child.wait_for_exit(budget.limit())?;
    let seconds = start.elapsed().as_secs_f64();
    if status.is_none() {
        kill_tree(child.id());
    }
    let text = fs::read_to_string(&log_path).unwrap_or_default();
    let mut outcome = stats(target, &text);
    outcome.seconds = seconds;
    outcome.failure = match status {
        Some(s) if s.success() => None,
        Some(_) => Some(failure(&text, &log_path)),
        None => Some(format!(
            "libFuzzer did not stop; see {}",
            log_path.display()
        )),
    };
    Ok(outcome)
}

/// libFuzzer's final stats and its last status line (`#N DONE cov: C ft: F corp: K/...`).
fn stats(target: &str, log: &str) -> Outcome {
    let stat = |name: &str| {
        log.lines()
            .find_map(|l| l.strip_prefix(&format!("stat::{name}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    let status = log
        .lines()
        .rev()
        .find(|l| l.contains(" cov: "))
        .unwrap_or("");
    let field = |name: &str| {
        status
            .split_whitespace()
            .skip_while(|w| *w != name)
            .nth(1)
            .and_then(|v| v.split('/').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Outcome {
        target: target.to_string(),
        execs: stat("number_of_executed_units"),
        cov: field("cov:"),
        ft: field("ft:"),
        corpus: field("corp:"),
        ..Outcome::default()
    }
}

/// What libFuzzer reported and where it left the reproducer.
fn failure(log: &str, log_path: &Path) -> String {
    let kind = if log.contains("ERROR: libFuzzer: timeout") {
        "hang"
    } else {
        "crash"
    };
    match log
        .lines()
        .find_map(|l| l.split_once("Test unit written to ").map(|(_, p)| p.trim()))
    {
        Some(path) => format!("{kind}: reproducer {path}, log {}", log_path.display()),
        None => format!("{kind}: see {}", log_path.display()),
    }
}

fn verdict(outcomes: &[Outcome]) -> Result<(), String> {
    let failed: Vec<String> = outcomes
        .iter()
        .filter_map(|o| Some(format!("{}: {}", o.target, o.failure.as_ref()?)))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!("fuzzing found:\n  {}", failed.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn one_target_and_one_budget() {
        assert_eq!(parse(&[]).unwrap(), (None, Budget::Seconds(20)));
        assert_eq!(
            parse(&args(&["jid", "--runs", "1000"])).unwrap(),
            (Some("jid".into()), Budget::Runs(1000))
        );
        assert!(parse(&args(&["--runs", "1", "--seconds", "2"])).is_err());
        assert!(parse(&args(&["jid", "sdp"])).is_err());
        assert!(parse(&args(&["--runs", "many"])).is_err());
    }

    #[test]
    fn reads_libfuzzer_s_final_stats_and_reproducer() {
        let log =
            "#1000000\tDONE   cov: 812 ft: 3120 corp: 301/18Kb lim: 4096 exec/s: 0 rss: 60Mb\n\
                   stat::number_of_executed_units: 1000000\n\
                   stat::average_exec_per_sec:     52631\n";
        let o = stats("xml_parse", log);
        assert_eq!(
            (o.execs, o.cov, o.ft, o.corpus),
            (1_000_000, 812, 3120, 301)
        );
        let crash = "==1== ERROR: libFuzzer: deadly signal\n\
                     artifact_prefix='a/'; Test unit written to a/crash-46de\n";
        assert_eq!(
            failure(crash, Path::new("x.log")),
            "crash: reproducer a/crash-46de, log x.log"
        );
    }
}
