//! Runs the Debian Prosody from a generated config in a temp dir, on free loopback ports, with the
//! settings a docker-jitsi-meet install uses for what a client can observe: anonymous login,
//! WebSocket with stream management, an unlocked MUC, and an external component for the focus.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use crate::token::TokenAuth;
use crate::TestbedError;

pub const DOMAIN: &str = "meet.test";
pub const MUC: &str = "conference.meet.test";
pub const FOCUS: &str = "focus.meet.test";

/// Prosody modules of ours, written to the plugin path: Debian's Prosody has none of these.
/// - Jitsi deployments log anonymous users in with an auth plugin that keeps the user name
///   across stream resumption (`anonymous_resumable`);
/// - token authentication as jitsi-meet's `mod_auth_token` and `mod_token_verification` behave;
/// - Prosody 0.12 measures connections and rooms but not stanzas; the scale benchmark needs
///   those (`stanza_counter`).
const PLUGINS: [(&str, &str); 5] = [
    (
        "mod_auth_anonymous_resumable.lua",
        include_str!("../prosody-plugins/mod_auth_anonymous_resumable.lua"),
    ),
    (
        "mod_auth_token_testbed.lua",
        include_str!("../prosody-plugins/mod_auth_token_testbed.lua"),
    ),
    (
        "mod_token_verification_testbed.lua",
        include_str!("../prosody-plugins/mod_token_verification_testbed.lua"),
    ),
    (
        "resumable.lib.lua",
        include_str!("../prosody-plugins/resumable.lib.lua"),
    ),
    (
        "mod_stanza_counter.lua",
        include_str!("../prosody-plugins/mod_stanza_counter.lua"),
    ),
];
const PROSODY: &str = "/usr/bin/prosody";
const READY_WITHIN: Duration = Duration::from_secs(15);
/// mod_websocket sometimes fails to initialise on this Prosody build (seen about once in five
/// starts); a fresh process starts cleanly.
const STARTS: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub http: u16,
    pub c2s: u16,
    pub component: u16,
}

/// A TURN server for Prosody to advertise through XEP-0215, with credentials from `secret`, as
/// docker-jitsi-meet configures `mod_turn_external`.
#[derive(Debug, Clone)]
pub struct ExternalTurn {
    pub port: u16,
    pub secret: String,
}

pub struct Prosody {
    child: Child,
    pub ports: Ports,
    pub component_secret: String,
    dir: tempfile::TempDir,
}

impl Prosody {
    /// `hibernation` is how long a dropped client session stays resumable (smacks).
    pub async fn start(
        hibernation: Duration,
        turn: Option<&ExternalTurn>,
        token: Option<&TokenAuth>,
    ) -> Result<Prosody, TestbedError> {
        if !Path::new(PROSODY).exists() {
            return Err(TestbedError::ProsodyMissing);
        }
        let mut last = String::new();
        for _ in 0..STARTS {
            let dir = tempfile::Builder::new()
                .prefix("omni-jitsi-prosody-")
                .tempdir()
                .map_err(|e| TestbedError::Io(format!("temp dir: {e}")))?;
            let ports = Ports {
                http: free_port()?,
                c2s: free_port()?,
                component: free_port()?,
            };
            let component_secret = format!("{:032x}", rand::random::<u128>());
            let config = dir.path().join("prosody.cfg.lua");
            let lua = config_lua(
                dir.path(),
                ports,
                &component_secret,
                hibernation,
                turn,
                token,
            );
            std::fs::write(&config, lua)
                .map_err(|e| TestbedError::Io(format!("writing the config: {e}")))?;
            std::fs::create_dir_all(dir.path().join("data"))
                .and_then(|()| std::fs::create_dir_all(dir.path().join("certs")))
                .and_then(|()| std::fs::create_dir_all(dir.path().join("plugins")))
                .and_then(|()| {
                    PLUGINS.iter().try_for_each(|(name, text)| {
                        std::fs::write(dir.path().join("plugins").join(name), text)
                    })
                })
                .and_then(|()| std::fs::create_dir_all(dir.path().join("www")))
                .and_then(|()| std::fs::write(dir.path().join("www/config.js"), config_js(ports)))
                .map_err(|e| {
                    TestbedError::Io(format!("preparing {}: {e}", dir.path().display()))
                })?;
            let child = spawn(dir.path())?;
            let mut prosody = Prosody {
                child,
                ports,
                component_secret,
                dir,
            };
            match prosody.wait_ready().await {
                Ok(()) => return Ok(prosody),
                Err(e) => {
                    last = format!("{e}; log tail:\n{}", prosody.log_tail());
                    log::warn!("prosody did not come up, retrying: {last}");
                    let _ = prosody.child.kill().await;
                }
            }
        }
        Err(TestbedError::ProsodyFailed(last))
    }

    /// Kills Prosody, as a crash or an OOM kill would, and starts it again on the same ports
    /// with the same config (the same TURN server among it): every client session and every room
    /// is gone.
    pub async fn restart(&mut self) -> Result<(), TestbedError> {
        let _ = self.child.kill().await;
        let mut last = String::new();
        for _ in 0..STARTS {
            self.child = spawn(self.dir.path())?;
            match self.wait_ready().await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    last = format!("{e}; log tail:\n{}", self.log_tail());
                    let _ = self.child.kill().await;
                }
            }
        }
        Err(TestbedError::ProsodyFailed(last))
    }

    pub fn websocket_url(&self) -> String {
        format!("ws://127.0.0.1:{}/xmpp-websocket", self.ports.http)
    }

    pub fn server_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.http)
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("prosody.log")
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Stanzas delivered to client sessions since start (mod_stanza_counter).
    pub async fn stanzas_delivered(&self) -> Result<u64, TestbedError> {
        let body = http_get(self.ports.http, "/stanza_counter")
            .await
            .map_err(|e| TestbedError::Io(format!("reading the stanza counter: {e}")))?;
        body.trim()
            .parse()
            .map_err(|_| TestbedError::Io(format!("the stanza counter said {body:?}")))
    }

    fn log_tail(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let all = read("console.log") + &read("prosody.log");
        let lines: Vec<&str> = all.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Ready means the WebSocket endpoint answers an upgrade with 101: the listening socket alone
    /// is not enough, as mod_websocket can fail after the HTTP server is up.
    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("prosody exited with {status}"));
            }
            match probe_websocket(self.ports.http).await {
                Ok(101) => return Ok(()),
                Ok(404) => {
                    return Err("the WebSocket endpoint answers 404 (mod_websocket failed)".into())
                }
                Ok(_) | Err(_) if Instant::now() < deadline => {}
                Ok(code) => return Err(format!("the WebSocket endpoint answers {code}")),
                Err(e) => return Err(format!("no WebSocket endpoint: {e}")),
            }
            // Polling a child process that offers no readiness signal; the deadline bounds it.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
}

fn spawn(dir: &Path) -> Result<Child, TestbedError> {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("console.log"))
        .map_err(|e| TestbedError::Io(format!("console log: {e}")))?;
    let log2 = log
        .try_clone()
        .map_err(|e| TestbedError::Io(format!("console log: {e}")))?;
    Command::new(PROSODY)
        .arg("-F")
        .arg("--config")
        .arg(dir.join("prosody.cfg.lua"))
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| TestbedError::Io(format!("starting {PROSODY}: {e}")))
}

async fn probe_websocket(port: u16) -> std::io::Result<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!(
        "GET /xmpp-websocket HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n\r\n"
    );
    s.write_all(request.as_bytes()).await?;
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no HTTP answer"))??;
    let head = String::from_utf8_lossy(&buf[..n]);
    head.split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, head.to_string()))
}

async fn http_get(port: u16, path: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).await?;
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut response))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no HTTP answer"))??;
    let response = String::from_utf8_lossy(&response);
    match response.split_once("\r\n\r\n") {
        Some((head, body)) if head.starts_with("HTTP/1.1 200") => Ok(body.to_string()),
        _ => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            response.lines().next().unwrap_or("").to_string(),
        )),
    }
}

fn free_port() -> Result<u16, TestbedError> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| TestbedError::Io(format!("no free port: {e}")))
}

fn config_lua(
    dir: &Path,
    ports: Ports,
    secret: &str,
    hibernation: Duration,
    turn: Option<&ExternalTurn>,
    token: Option<&TokenAuth>,
) -> String {
    let dir = dir.display();
    let (authentication, muc_modules) = match token {
        Some(token) => (
            format!(
                r#""token_testbed"
    app_id = "{}"
    app_secret = "{}""#,
                token.app_id, token.secret
            ),
            r#"    modules_enabled = { "token_verification_testbed" }
"#,
        ),
        None => (r#""anonymous_resumable""#.to_string(), ""),
    };
    let hibernation = hibernation.as_secs().max(1);
    let (turn_module, turn_options) = match turn {
        Some(turn) => (
            r#", "turn_external""#,
            format!(
                r#"    turn_external_secret = "{}"
    turn_external_host = "127.0.0.1"
    turn_external_port = {}
"#,
                turn.secret, turn.port
            ),
        ),
        None => ("", String::new()),
    };
    format!(
        r#"-- Generated by omni-jitsi-testbed.
run_as_root = true
pidfile = "{dir}/prosody.pid"
data_path = "{dir}/data"
plugin_paths = {{ "{dir}/plugins" }}
certificates = "{dir}/certs"
log = {{ info = "{dir}/prosody.log" }}
interfaces = {{ "127.0.0.1" }}
c2s_ports = {{ {c2s} }}
s2s_ports = {{ }}
component_ports = {{ {component} }}
component_interface = "127.0.0.1"
http_ports = {{ {http} }}
http_interfaces = {{ "127.0.0.1" }}
https_ports = {{ }}
http_default_host = "{DOMAIN}"
modules_enabled = {{ "disco", "ping", "saslauth", "websocket", "smacks", "http_files", "posix" }}
modules_disabled = {{ "s2s", "tls" }}
c2s_require_encryption = false
allow_unencrypted_plain_auth = false
consider_websocket_secure = true
smacks_hibernation_time = {hibernation}
smacks_max_unacked_stanzas = 5
http_files_dir = "{dir}/www"
http_paths = {{ files = "/" }}

VirtualHost "{DOMAIN}"
    authentication = {authentication}
    modules_enabled = {{ "stanza_counter"{turn_module} }}
{turn_options}
Component "{MUC}" "muc"
    restrict_room_creation = false
    muc_room_locking = false
    muc_room_default_public_jids = true
    muc_tombstones = false
{muc_modules}
Component "{FOCUS}"
    component_secret = "{secret}"
"#,
        c2s = ports.c2s,
        component = ports.component,
        http = ports.http,
    )
}

/// What a Jitsi deployment publishes for its web app and SDKs (the subset clients read).
fn config_js(ports: Ports) -> String {
    format!(
        r#"// Generated by omni-jitsi-testbed, shaped like jitsi-meet's config.js.
var config = {{
    hosts: {{
        domain: '{DOMAIN}',
        muc: '{MUC}',
        focus: '{FOCUS}'
    }},
    // bosh: '//meet.test/http-bind',
    websocket: 'ws://127.0.0.1:{http}/xmpp-websocket',
    p2p: {{ enabled: true }}
}};
"#,
        http = ports.http
    )
}
