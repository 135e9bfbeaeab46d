//! Running commands and supervising long-lived children.

use std::collections::{BTreeSet, HashMap};
use std::env;
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// The command as it can be pasted into a shell at the repository root.
pub fn show(cmd: &Command) -> String {
    let dir = cmd.get_current_dir().map(Path::to_path_buf);
    let shorten = |s: String| match &dir {
        Some(d) => {
            let prefix = format!("{}/", d.display());
            s.replace(&prefix, "")
        }
        None => s,
    };
    // Cargo arrives as a toolchain path via $CARGO; "cargo" is what a reader would type.
    let program = if env::var_os("CARGO").is_some_and(|c| c == cmd.get_program()) {
        "cargo".to_string()
    } else {
        shorten(cmd.get_program().to_string_lossy().into_owned())
    };
    let mut parts = vec![program];
    parts.extend(
        cmd.get_args()
            .map(|a| shorten(a.to_string_lossy().into_owned())),
    );
    parts.join(" ")
}

fn program(cmd: &Command) -> String {
    cmd.get_program().to_string_lossy().into_owned()
}

pub fn run(cmd: &mut Command) -> Result<(), String> {
    println!("$ {}", show(cmd));
    // Our own output is line-buffered separately from the child's; flush so they stay in order.
    let _ = std::io::stdout().flush();
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {}: {e}", program(cmd)))?;
    check(cmd, status)
}

/// Like `run`, but a hung child (a test waiting forever on a socket) cannot hang us.
pub fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Result<(), String> {
    let shown = show(cmd);
    run_watched(cmd, limit, Silent, |status, _| succeeded(&shown, status))
}

/// The error for a command (as `show` gives it) that exited unsuccessfully.
pub fn succeeded(shown: &str, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{shown}` failed ({status})"))
    }
}

/// What a test runner's output says while it runs, so that a run killed at its limit can name
/// the tests that were still running.
pub trait Watch: Send + 'static {
    fn line(&mut self, line: &str);
    /// What was running when the limit was reached, as a reader would look for it.
    fn running(&self) -> Vec<String>;
}

/// For commands whose output names nothing worth reporting.
struct Silent;

impl Watch for Silent {
    fn line(&mut self, _: &str) {}
    fn running(&self) -> Vec<String> {
        Vec::new()
    }
}

/// How long the output may keep flowing after the child exited: a grandchild it left behind
/// can hold the pipes open forever, and that must not hang us either.
const DRAIN: Duration = Duration::from_secs(10);

/// Runs `cmd` with its stdout and stderr echoed line by line and shown to `watch`. After
/// `limit` the child and everything below it are killed and the error names what `watch` saw
/// running; otherwise `verdict` judges the exit status with what `watch` saw.
pub fn run_watched<W: Watch, T>(
    cmd: &mut Command,
    limit: Duration,
    watch: W,
    verdict: impl FnOnce(ExitStatus, &W) -> Result<T, String>,
) -> Result<T, String> {
    println!("$ {}", show(cmd));
    let _ = std::io::stdout().flush();
    supervise(cmd, limit, watch, Sink::Terminal, verdict)
}

/// As `run_watched`, with the output written to `log` instead of ours: for commands that run
/// side by side, whose lines would otherwise interleave.
pub fn run_watched_into<W: Watch, T>(
    cmd: &mut Command,
    limit: Duration,
    watch: W,
    log: &Path,
    verdict: impl FnOnce(ExitStatus, &W) -> Result<T, String>,
) -> Result<T, String> {
    if let Some(dir) = log.parent() {
        fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut file =
        fs::File::create(log).map_err(|e| format!("cannot create {}: {e}", log.display()))?;
    writeln!(file, "$ {}", show(cmd))
        .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    supervise(
        cmd,
        limit,
        watch,
        Sink::File(Arc::new(Mutex::new(file))),
        verdict,
    )
}

/// Where a child's output goes.
#[derive(Clone)]
enum Sink {
    Terminal,
    File(Arc<Mutex<fs::File>>),
}

impl Sink {
    fn line(&self, line: &str, to_stderr: bool) {
        match self {
            Sink::Terminal if to_stderr => eprintln!("{line}"),
            Sink::Terminal => println!("{line}"),
            Sink::File(file) => {
                let mut file = file.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                let _ = writeln!(file, "{line}");
            }
        }
    }
}

fn supervise<W: Watch, T>(
    cmd: &mut Command,
    limit: Duration,
    watch: W,
    sink: Sink,
    verdict: impl FnOnce(ExitStatus, &W) -> Result<T, String>,
) -> Result<T, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program(cmd)))?;
    let watch = Arc::new(Mutex::new(watch));
    let (done_tx, done_rx) = mpsc::channel();
    let mut readers = 0;
    if let Some(out) = child.stdout.take() {
        readers += 1;
        echo(
            out,
            false,
            sink.clone(),
            Arc::clone(&watch),
            done_tx.clone(),
        );
    }
    if let Some(err) = child.stderr.take() {
        readers += 1;
        echo(err, true, sink, Arc::clone(&watch), done_tx);
    }
    let mut child = Supervised::new(&program(cmd), child);
    let status = child.wait_for_exit(limit)?;
    if status.is_none() {
        kill_tree(child.id());
    }
    let drain_until = Instant::now() + DRAIN;
    for _ in 0..readers {
        let left = drain_until.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            eprintln!(
                "xtask: the output of `{}` is still open; not waiting for it",
                show(cmd)
            );
            break;
        }
    }
    let watch = watch
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match status {
        Some(status) => verdict(status, &watch),
        None => Err(format!(
            "killed after {} s, {} (`{}`)",
            limit.as_secs(),
            still_running(&watch.running()),
            show(cmd)
        )),
    }
}

fn still_running(running: &[String]) -> String {
    match running {
        [] => "its output named no running test".to_string(),
        names => format!("still running: {}", names.join(", ")),
    }
}

/// Copies a child's output to `sink` a line at a time (so the two streams keep their order as
/// well as the child gave it) and to `watch`.
fn echo<R: Read + Send + 'static, W: Watch>(
    from: R,
    to_stderr: bool,
    sink: Sink,
    watch: Arc<Mutex<W>>,
    done: mpsc::Sender<()>,
) {
    thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut buf = Vec::new();
        // Lines, not `lines()`: a test printing invalid UTF-8 must not end the echo.
        while reader.read_until(b'\n', &mut buf).is_ok_and(|n| n > 0) {
            let line = String::from_utf8_lossy(&buf);
            let line = line.trim_end_matches(['\n', '\r']);
            sink.line(line, to_stderr);
            watch
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .line(line);
            buf.clear();
        }
        let _ = done.send(());
    });
}

/// Kills `root` and every process below it. They are stopped first, so that none can start
/// another while the tree is collected, then killed together: a test runner killed alone would
/// leave its test processes (and their Prosody, Chromium, ...) running as orphans.
pub fn kill_tree(root: u32) {
    let mut stopped = BTreeSet::new();
    let mut found = vec![root];
    while !found.is_empty() {
        for pid in found {
            signal(pid, libc::SIGSTOP);
            stopped.insert(pid);
        }
        found = descendants(root)
            .into_iter()
            .filter(|pid| !stopped.contains(pid))
            .collect();
    }
    for pid in stopped {
        signal(pid, libc::SIGKILL);
    }
}

fn signal(pid: u32, signal: libc::c_int) {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return;
    };
    // SAFETY: kill has no memory preconditions; a process that is gone gives ESRCH.
    unsafe {
        libc::kill(pid, signal);
    }
}

/// From /proc: a process knows its parent, not its children.
fn descendants(root: u32) -> Vec<u32> {
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for entry in fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
            continue;
        };
        if let Some(parent) = fs::read_to_string(entry.path().join("stat"))
            .ok()
            .and_then(|stat| parent_of(&stat))
        {
            children.entry(parent).or_default().push(pid);
        }
    }
    let mut out = Vec::new();
    let mut queue = vec![root];
    while let Some(pid) = queue.pop() {
        for &child in children.get(&pid).into_iter().flatten() {
            out.push(child);
            queue.push(child);
        }
    }
    out
}

/// `/proc/PID/stat` is `pid (comm) state ppid ...`, and comm may hold spaces and parentheses.
fn parent_of(stat: &str) -> Option<u32> {
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(1)?.parse().ok()
}

fn check(cmd: &Command, status: ExitStatus) -> Result<(), String> {
    succeeded(&show(cmd), status)
}

/// Runs quietly and answers only whether it worked: for probing what is installed.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

pub fn output(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program(cmd)))?;
    if !out.status.success() {
        return Err(format!("`{}` failed ({})", show(cmd), out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn which(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A child that must not outlive us: on drop, its stdin is closed (our children treat end of
/// input as "stop cleanly"), and if it has not exited after a grace period it is killed.
pub struct Supervised {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
}

/// Long enough for the testbed to stop Prosody, short enough not to stall an error path.
pub const GRACE: Duration = Duration::from_secs(15);

impl Supervised {
    pub fn new(name: &str, mut child: Child) -> Supervised {
        let stdin = child.stdin.take();
        Supervised {
            name: name.to_string(),
            child,
            stdin,
        }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn send_line(&mut self, line: &str) -> Result<(), String> {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{}'s input is already closed", self.name))?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("cannot write to {}: {e}", self.name))
    }

    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// `None` if it is still running after `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Result<Option<ExitStatus>, String> {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Ok(Some(status)),
                Ok(None) if Instant::now() >= deadline => return Ok(None),
                // std offers no blocking wait with a timeout; polling a process is cheap.
                Ok(None) => thread::sleep(Duration::from_millis(50)),
                Err(e) => return Err(format!("cannot wait for {}: {e}", self.name)),
            }
        }
    }

    /// Closes stdin and waits up to `limit`, then kills: the status says which happened.
    pub fn finish(&mut self, limit: Duration) -> Result<ExitStatus, String> {
        self.close_stdin();
        if let Some(status) = self.wait_for_exit(limit)? {
            return Ok(status);
        }
        eprintln!(
            "xtask: {} did not exit within {} s; killing it",
            self.name,
            limit.as_secs()
        );
        kill_tree(self.child.id());
        self.child
            .wait()
            .map_err(|e| format!("cannot wait for {}: {e}", self.name))
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        let _ = self.finish(GRACE);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_follows_the_command_name_whatever_it_holds() {
        assert_eq!(parent_of("4242 (cargo) S 17 4242 17 0 -1"), Some(17));
        assert_eq!(parent_of("99 (a (b) c) R 3 99 3 0"), Some(3));
        assert_eq!(parent_of("garbage"), None);
    }

    /// Shares the first line (the pid of the grandchild below) with the test.
    struct FirstLine(Arc<Mutex<Option<String>>>);

    impl Watch for FirstLine {
        fn line(&mut self, line: &str) {
            self.0
                .lock()
                .unwrap()
                .get_or_insert_with(|| line.to_string());
        }
        fn running(&self) -> Vec<String> {
            vec!["the sleeper".to_string()]
        }
    }

    #[test]
    fn a_hung_child_and_its_children_are_killed_at_the_limit() {
        let first_line = Arc::new(Mutex::new(None));
        let started = Instant::now();
        let err = run_watched(
            Command::new("sh").args(["-c", "sleep 300 & echo $!; wait"]),
            Duration::from_secs(1),
            FirstLine(Arc::clone(&first_line)),
            |_, _| Ok(()),
        )
        .unwrap_err();
        assert!(err.starts_with("killed after 1 s"), "{err}");
        assert!(err.contains("still running: the sleeper"), "{err}");
        // The grandchild held the output open: had it survived, draining would have waited.
        assert!(started.elapsed() < DRAIN, "took {:?}", started.elapsed());
        let pid = first_line.lock().unwrap().clone().expect("the pid line");
        // SIGKILL is delivered when the process is next scheduled: on a loaded machine it can
        // still be listed as running for a moment after kill() returned.
        let deadline = Instant::now() + Duration::from_secs(5);
        let stat = loop {
            let stat = fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let alive = stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| !rest.starts_with('Z'));
            if !alive || Instant::now() >= deadline {
                break alive.then_some(stat);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert!(stat.is_none(), "sleep {pid} outlived the kill: {stat:?}");
    }
}
