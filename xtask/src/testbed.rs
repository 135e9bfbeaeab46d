//! The `omni-jitsi-testbed` binary as a child process: Prosody plus the focus on loopback.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use serde_json::Value;

use crate::process::{Supervised, GRACE};
use crate::workspace::Workspace;

/// Prosody starts within a second, but the testbed retries it when mod_websocket fails to load.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Testbed {
    process: Supervised,
    pub server_url: String,
    /// The server URL through a fault proxy, and the URL that drives it (`POST /cut`, ...).
    relayed_server_url: String,
    faults_url: String,
    /// The JSON line it printed (all its endpoints), for harnesses that need more than the URL.
    pub ready: String,
}

impl Testbed {
    pub fn start(ws: &Workspace) -> Result<Testbed, String> {
        let bin = ws.debug_bin("omni-jitsi-testbed");
        if !bin.is_file() {
            return Err(format!(
                "{} is missing: `cargo build -p omni-jitsi-testbed` did not produce it",
                bin.display()
            ));
        }
        println!("$ {} (until its input closes)", bin.display());
        let mut child = ws
            .command(&bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
        let stdout = child.stdout.take();
        // From here on, an early return stops the testbed (and with it Prosody).
        let mut process = Supervised::new("omni-jitsi-testbed", child);
        let stdout = stdout.ok_or("the testbed's stdout was not captured")?;

        let (ready_tx, ready_rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = ready_tx.send(lines.next());
            // Keep draining so a chatty testbed can never block on a full pipe.
            for line in lines.map_while(Result::ok) {
                println!("[testbed] {line}");
            }
        });
        let line = match ready_rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            Ok(Some(Err(e))) => return Err(format!("cannot read the testbed's output: {e}")),
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = process.finish(GRACE)?;
                return Err(format!("the testbed exited before it was ready ({status})"));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(format!(
                    "the testbed did not report ready within {} s",
                    READY_TIMEOUT.as_secs()
                ))
            }
        };
        let ready: Value = serde_json::from_str(&line)
            .map_err(|e| format!("the testbed's ready line is not JSON ({e}): {line}"))?;
        let field = |name: &str| {
            ready[name]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("the testbed's ready line has no {name}: {line}"))
        };
        let server_url = field("server_url")?;
        let relayed_server_url = field("relayed_server_url")?;
        let faults_url = field("faults_url")?;
        println!("testbed ready (pid {}): {server_url}", process.id());
        Ok(Testbed {
            process,
            server_url,
            relayed_server_url,
            faults_url,
            ready: line,
        })
    }

    /// What the Kotlin and Swift tests read: the server URL, and the same server through a
    /// fault proxy with the URL that drives it.
    pub fn env(&self) -> [(&'static str, &str); 3] {
        [
            ("OMNI_JITSI_SERVER_URL", &self.server_url),
            ("OMNI_JITSI_RELAYED_SERVER_URL", &self.relayed_server_url),
            ("OMNI_JITSI_FAULTS_URL", &self.faults_url),
        ]
    }

    /// End of input is the testbed's cue to stop Prosody and exit.
    pub fn stop(mut self) -> Result<(), String> {
        let status = self.process.finish(GRACE)?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("the testbed exited with {status}"))
        }
    }
}
