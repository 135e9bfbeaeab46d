//! Running commands and supervising long-lived children.

use std::env;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
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
    println!("$ {}", show(cmd));
    let _ = std::io::stdout().flush();
    let child = cmd
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program(cmd)))?;
    let mut child = Supervised::new(&program(cmd), child);
    match child.wait_for_exit(limit)? {
        Some(status) => check(cmd, status),
        None => Err(format!(
            "`{}` did not finish within {} s and was killed",
            show(cmd),
            limit.as_secs()
        )),
    }
}

fn check(cmd: &Command, status: ExitStatus) -> Result<(), String> {
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{}` failed ({status})", show(cmd)))
    }
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
        let _ = self.child.kill();
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
