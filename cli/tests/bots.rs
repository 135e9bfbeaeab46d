//! The CLI as a bot author uses it: spawn it, read JSON lines, write commands.

use std::process::Stdio;
use std::time::Duration;

use omni_jitsi_testbed::{Testbed, TestbedOptions};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const WAIT: Duration = Duration::from_secs(20);

struct Bot {
    name: &'static str,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Bot {
    fn spawn(args: &[&str], name: &'static str) -> Bot {
        let mut child = cli()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn omni-jitsi");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Bot {
            name,
            child,
            stdin,
            stdout,
        }
    }

    fn join(tb: &Testbed, room: &str, name: &'static str) -> Bot {
        let email = format!("{}@example.org", name.to_lowercase());
        Bot::spawn(
            &[
                "join",
                "--server",
                &tb.server_url(),
                "--room",
                room,
                "--name",
                name,
                "--email",
                &email,
            ],
            name,
        )
    }

    async fn say(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
    }

    /// The first event line matching `pred`; every line must be a JSON object with an `event`.
    async fn expect(&mut self, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(WAIT, async {
            while let Ok(Some(line)) = self.stdout.next_line().await {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                let name = v["event"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no event name: {line}"))
                    .to_string();
                if pred(&v) {
                    return Some(v);
                }
                seen.push(name);
            }
            None
        })
        .await;
        match found {
            Ok(Some(v)) => v,
            _ => panic!("{} never printed {what}; printed {seen:?}", self.name),
        }
    }
}

async fn testbed() -> Testbed {
    Testbed::start(TestbedOptions::default())
        .await
        .expect("the testbed starts (is prosody installed? `cargo xtask test` installs it)")
}

fn is(v: &Value, event: &str) -> bool {
    v["event"] == event
}

#[tokio::test]
async fn bots_join_chat_mute_and_leave_through_json_lines() {
    let tb = testbed().await;
    let mut ann = Bot::join(&tb, "bot-room", "Ann");
    let joined = ann
        .expect("conference_joined", |v| is(v, "conference_joined"))
        .await;
    assert_eq!(joined["room"], "bot-room");
    let ann_id = joined["endpoint_id"].as_str().unwrap().to_string();
    let mut bob = Bot::join(&tb, "bot-room", "Bob");
    let seen = bob
        .expect("Ann joined", |v| is(v, "participant_joined"))
        .await;
    assert_eq!(seen["participant"]["display_name"], "Ann");
    assert_eq!(seen["participant"]["email"], "ann@example.org");
    assert_eq!(seen["participant"]["endpoint_id"], ann_id.as_str());
    ann.expect("Bob joined", |v| {
        is(v, "participant_joined") && v["participant"]["display_name"] == "Bob"
    })
    .await;

    ann.say("chat hello bots").await;
    let chat = bob.expect("chat", |v| is(v, "chat_message_received")).await;
    assert_eq!(chat["message"]["text"], "hello bots");
    assert_eq!(chat["message"]["from_name"], "Ann");
    assert_eq!(chat["message"]["private"], false);

    bob.say(&format!("chat-to {ann_id} just you")).await;
    let chat = ann
        .expect("private chat", |v| is(v, "chat_message_received"))
        .await;
    assert_eq!(chat["message"]["text"], "just you");
    assert_eq!(chat["message"]["private"], true);

    ann.say("mute audio on").await;
    ann.expect("own mute", |v| {
        is(v, "audio_muted_changed") && v["muted"] == true
    })
    .await;
    bob.expect("Ann muted", |v| {
        is(v, "participant_updated") && v["participant"]["audio_muted"] == true
    })
    .await;

    bob.say("chat-to nobody-here hi").await;
    let failed = bob
        .expect("command_failed", |v| is(v, "command_failed"))
        .await;
    assert!(failed["error"].is_string(), "{failed}");

    ann.say("leave").await;
    let end = ann
        .expect("terminated", |v| is(v, "conference_terminated"))
        .await;
    assert_eq!(end["reason"], "hung_up");
    let status = tokio::time::timeout(WAIT, ann.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}");
    let left = bob.expect("Ann left", |v| is(v, "participant_left")).await;
    assert_eq!(left["endpoint_id"], ann_id.as_str());

    bob.stdin = None;
    bob.expect("terminated on end of input", |v| {
        is(v, "conference_terminated")
    })
    .await;
}

/// The CLI built with this test. When the test runs under an emulator (xtask's ARM phase), the
/// CLI is for the same foreign processor and needs the same emulator, which that phase names.
fn cli() -> Command {
    let bin = env!("CARGO_BIN_EXE_omni-jitsi");
    let runner = std::env::var("OMNI_JITSI_TEST_RUNNER").unwrap_or_default();
    let mut words = runner.split_whitespace();
    match words.next() {
        Some(emulator) => {
            let mut cmd = Command::new(emulator);
            cmd.args(words).arg(bin);
            cmd
        }
        None => Command::new(bin),
    }
}

/// Runs the CLI to its end, within `WAIT`.
async fn run(args: &[&str]) -> std::process::Output {
    let out = cli().args(args).kill_on_drop(true).output();
    tokio::time::timeout(WAIT, out)
        .await
        .unwrap_or_else(|_| panic!("omni-jitsi {args:?} did not end within {WAIT:?}"))
        .expect("run omni-jitsi")
}

#[tokio::test]
async fn usage_errors_and_failed_joins_exit_non_zero() {
    let out = run(&["join"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--room"),
        "usage names what is missing"
    );

    let out = run(&[
        "join",
        "--server",
        "https://meet.example",
        "--room",
        "no rooms with spaces",
        "--name",
        "X",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("\"conference_terminated\""), "{stdout}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("room"),
        "the error is explained"
    );
}

/// A direct WebSocket URL on an address that is not the XMPP domain: the CLI learns the domain
/// from the deployment's config.js beside the WebSocket, as a browser client does, and joins.
#[tokio::test]
async fn a_websocket_url_on_an_address_learns_the_domain_from_config_js() {
    let tb = testbed().await;
    let ws = tb.websocket_url();
    assert!(ws.starts_with("ws://127.0.0.1:"), "{ws}");
    let mut ann = Bot::spawn(
        &[
            "join", "--server", &ws, "--room", "ws-room", "--name", "Ann",
        ],
        "Ann",
    );
    let joined = ann
        .expect("conference_joined", |v| {
            assert!(!is(v, "conference_terminated"), "{v}");
            is(v, "conference_joined")
        })
        .await;
    assert_eq!(joined["room"], "ws-room");
    ann.say("leave").await;
    ann.expect("terminated", |v| is(v, "conference_terminated"))
        .await;
}

/// When the server does not serve the XMPP domain asked for, the error names the server URL and
/// the domain, and says which setting to change.
#[tokio::test]
async fn an_unserved_domain_names_the_url_and_the_setting_to_change() {
    let tb = testbed().await;
    let ws = tb.websocket_url();
    let out = run(&[
        "join",
        "--server",
        &ws,
        "--room",
        "r",
        "--name",
        "X",
        "--set",
        "hosts.domain=elsewhere.test",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("invalid server URL \"{ws}\"")),
        "the URL is named: {stderr}"
    );
    assert!(
        stderr.contains("\"elsewhere.test\" is not served here (host-unknown)")
            && stderr.contains("set the config override hosts.domain"),
        "says what to set: {stderr}"
    );
}
