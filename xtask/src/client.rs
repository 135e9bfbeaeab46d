//! One `omni-jitsi join` process: its JSON events are printed as they arrive and kept, so the
//! demo can wait for an event whether it came before or after it started looking.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::events;
use crate::process::Supervised;
use crate::workspace::Workspace;

pub const WAIT: Duration = Duration::from_secs(20);

#[derive(Default)]
struct Log {
    events: Vec<Value>,
    /// stdout reached end of file: nothing more will arrive.
    closed: bool,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Log>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Log> {
        // A printer thread that panicked mid-push leaves a log that is still worth reading.
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

pub struct Client {
    pub name: String,
    label: String,
    process: Supervised,
    shared: Arc<Shared>,
}

impl Client {
    pub fn spawn(
        ws: &Workspace,
        name: &str,
        label_width: usize,
        server: &str,
        room: &str,
        extra: &[&str],
    ) -> Result<Client, String> {
        Client::spawn_binary(
            ws,
            &ws.debug_bin("omni-jitsi"),
            name,
            label_width,
            server,
            room,
            extra,
        )
    }

    /// The same with another build of the CLI (the benchmark measures the release build).
    pub fn spawn_binary(
        ws: &Workspace,
        bin: &Path,
        name: &str,
        label_width: usize,
        server: &str,
        room: &str,
        extra: &[&str],
    ) -> Result<Client, String> {
        let email = format!("{}@example.org", name.to_lowercase());
        let mut child = ws
            .command(bin)
            .args(["join", "--server", server, "--room", room])
            .args(["--name", name, "--email", &email])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {} for {name}: {e}", bin.display()))?;
        let label = format!("{:<width$}", format!("[{name}]"), width = label_width + 2);
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let process = Supervised::new(name, child);
        let shared = Arc::new(Shared::default());
        if let Some(out) = stdout {
            let (shared, label) = (Arc::clone(&shared), label.clone());
            thread::spawn(move || read_events(out, &label, &shared));
        }
        if let Some(err) = stderr {
            let label = label.clone();
            thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    println!("{label} log: {line}");
                }
            });
        }
        Ok(Client {
            name: name.to_string(),
            label,
            process,
            shared,
        })
    }

    pub fn send(&mut self, command: &str) -> Result<(), String> {
        println!("{} <- {command}", self.label);
        self.process.send_line(command)
    }

    /// The first event matching `pred`, waiting up to `WAIT`. Gives up early when the client's
    /// conference ended or its output closed, since nothing more can arrive then.
    pub fn wait_for(&self, pred: impl Fn(&Value) -> bool) -> Result<Value, String> {
        self.wait_for_since(0, pred)
    }

    /// Where the event log stands now, for `wait_for_since`.
    pub fn mark(&self) -> usize {
        self.shared.lock().events.len()
    }

    /// Like `wait_for`, ignoring the events before `mark`: what happened before a change does
    /// not prove anything about after it.
    pub fn wait_for_since(
        &self,
        mark: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Result<Value, String> {
        let deadline = Instant::now() + WAIT;
        let mut seen = mark;
        let mut log = self.shared.lock();
        loop {
            for v in &log.events[seen..] {
                if pred(v) {
                    return Ok(v.clone());
                }
                if events::name(v) == "conference_terminated" {
                    return Err(format!("{} {}", self.name, events::render(v)));
                }
            }
            seen = log.events.len();
            if log.closed {
                return Err(format!("{}'s client exited", self.name));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("not within {} s", WAIT.as_secs()));
            }
            log = self
                .shared
                .changed
                .wait_timeout(log, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Whether any event so far matches: for checking what must *not* have arrived.
    pub fn saw(&self, pred: impl Fn(&Value) -> bool) -> bool {
        self.shared.lock().events.iter().any(pred)
    }

    /// Waits for the process to exit and for its last line to be read.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    pub fn wait_exit(&mut self) -> Result<ExitStatus, String> {
        let status = self
            .process
            .wait_for_exit(WAIT)?
            .ok_or_else(|| format!("{} did not exit within {} s", self.name, WAIT.as_secs()))?;
        let deadline = Instant::now() + WAIT;
        let mut log = self.shared.lock();
        while !log.closed && Instant::now() < deadline {
            log = self
                .shared
                .changed
                .wait_timeout(log, deadline.saturating_duration_since(Instant::now()))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Ok(status)
    }
}

fn read_events(out: impl Read, label: &str, shared: &Shared) {
    for line in BufReader::new(out).lines().map_while(Result::ok) {
        match serde_json::from_str::<Value>(&line) {
            Ok(v) => {
                println!("{label} {}", events::render(&v));
                shared.lock().events.push(v);
                shared.changed.notify_all();
            }
            Err(_) => println!("{label} (not JSON) {line}"),
        }
    }
    shared.lock().closed = true;
    shared.changed.notify_all();
}

pub fn exists(ws: &Workspace) -> Result<(), String> {
    let bin = ws.debug_bin("omni-jitsi");
    if Path::new(&bin).is_file() {
        Ok(())
    } else {
        Err(format!("{} is missing after the build", bin.display()))
    }
}
