//! `cargo xtask demo`: CLI clients meet in one room and the run checks that each saw what the
//! others did, waiting on events rather than on the clock.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::Instant;

use serde_json::Value;

use crate::apt::Apt;
use crate::client::{self, Client};
use crate::events;
use crate::process;
use crate::report::{secs, Outcome, Report};
use crate::testbed::Testbed;
use crate::tools::{self, Server};
use crate::workspace::Workspace;

const USAGE: &str = "usage: demo [--server URL] [--room NAME]";
const LOCAL_ROOM: &str = "demo-room";
/// Longest client name, so the `[Name]` prefixes line up.
const NAME_WIDTH: usize = 5;

pub fn run(ws: &Workspace, args: &[String]) -> Result<(), String> {
    let mut server = None;
    let mut room = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value; {USAGE}"))
        };
        match flag.as_str() {
            "--server" => server = Some(value()?),
            "--room" => room = Some(value()?),
            other => return Err(format!("unknown option {other:?}; {USAGE}")),
        }
    }

    let server_kind = if server.is_some() {
        Server::Remote
    } else {
        Server::Local
    };
    tools::ensure_base(&mut Report::new(), &mut Apt::default(), server_kind, true).ready()?;

    let mut build = ws.cargo();
    build.args(["build", "--bins", "-p", "omni-jitsi-cli"]);
    if server.is_none() {
        build.args(["-p", "omni-jitsi-testbed"]);
    }
    process::run(&mut build)?;
    client::exists(ws)?;

    match server {
        None => local(ws, room.as_deref().unwrap_or(LOCAL_ROOM)),
        // A fresh name by default, so the demo never walks into someone's real meeting.
        Some(url) => remote(ws, &url, &room.unwrap_or_else(random_room)),
    }
}

fn random_room() -> String {
    let n = RandomState::new().build_hasher().finish();
    format!("omni-jitsi-demo-{:08x}", n as u32)
}

/// The expectations of one run, printed as they are met and tabulated at the end.
struct Checks {
    report: Report,
}

impl Checks {
    fn new() -> Checks {
        Checks {
            report: Report::new(),
        }
    }

    fn expect(
        &mut self,
        what: &str,
        client: &Client,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        self.expect_since(what, client, 0, pred)
    }

    /// `expect`, counting only events from `mark` on.
    fn expect_since(
        &mut self,
        what: &str,
        client: &Client,
        mark: usize,
        pred: impl Fn(&Value) -> bool,
    ) -> Option<Value> {
        let start = Instant::now();
        let result = client.wait_for_since(mark, pred);
        self.note(what, start, result)
    }

    fn note<T>(&mut self, what: &str, start: Instant, result: Result<T, String>) -> Option<T> {
        let took = start.elapsed();
        match result {
            Ok(v) => {
                println!("  ok       {what} ({})", secs(took));
                self.report.record(what, Outcome::Ok, took);
                Some(v)
            }
            Err(e) => {
                println!("  MISSING  {what}: {e}");
                self.report.record(what, Outcome::Failed(e), took);
                None
            }
        }
    }

    fn all_ok(&self) -> bool {
        self.report.failures().is_empty()
    }

    fn finish(&self) -> Result<(), String> {
        self.report.print_summary("demo summary");
        match self.report.failures().as_slice() {
            [] => Ok(()),
            missing => Err(format!("did not happen: {}", missing.join("; "))),
        }
    }
}

fn is(v: &Value, event: &str) -> bool {
    events::name(v) == event
}

fn endpoint_id(v: Value) -> Option<String> {
    v["endpoint_id"].as_str().map(str::to_string)
}

fn sees(name: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| {
        (is(v, "participant_joined") || is(v, "participant_updated"))
            && v["participant"]["display_name"] == name
    }
}

fn chat<'a>(text: &'a str, from: &'a str, private: bool) -> impl Fn(&Value) -> bool + 'a {
    move |v| {
        is(v, "chat_message_received")
            && v["message"]["text"] == text
            && v["message"]["from"] == from
            && v["message"]["private"] == private
    }
}

fn any_chat_with(text: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| is(v, "chat_message_received") && v["message"]["text"] == text
}

fn updated<'a>(id: &'a str, pred: impl Fn(&Value) -> bool + 'a) -> impl Fn(&Value) -> bool + 'a {
    move |v| {
        is(v, "participant_updated")
            && v["participant"]["endpoint_id"] == id
            && pred(&v["participant"])
    }
}

fn left(id: &str) -> impl Fn(&Value) -> bool + '_ {
    move |v| is(v, "participant_left") && v["endpoint_id"] == id
}

fn hung_up(v: &Value) -> bool {
    is(v, "conference_terminated") && v["reason"] == "hung_up"
}

/// Joins one client and waits for the room to confirm it before the next one starts, so the
/// first is reliably the moderator and the output reads in order.
fn join(
    ws: &Workspace,
    checks: &mut Checks,
    name: &str,
    server: &str,
    room: &str,
    media: &[&str],
) -> Result<(Client, Option<String>), String> {
    let client = Client::spawn(ws, name, NAME_WIDTH, server, room, media)?;
    let id = checks
        .expect(&format!("{name} joined {room}"), &client, |v| {
            is(v, "conference_joined")
        })
        .and_then(endpoint_id);
    Ok((client, id))
}

/// Sends `leave` and checks the client says goodbye and exits 0, as a bot author relies on.
fn leave(checks: &mut Checks, client: &mut Client) {
    let name = client.name.clone();
    if let Err(e) = client.send("leave") {
        checks.note(
            &format!("{name} left cleanly"),
            Instant::now(),
            Err::<(), _>(e),
        );
        return;
    }
    if checks
        .expect(&format!("{name} hung up"), client, hung_up)
        .is_none()
    {
        return;
    }
    let start = Instant::now();
    let exit = client.wait_exit().and_then(|status| {
        if status.success() {
            Ok(())
        } else {
            Err(format!("exited with {status}"))
        }
    });
    checks.note(&format!("{name}'s client exited 0"), start, exit);
}

/// Alice sends a 440 Hz tone and the moving test pattern, Bob an 880 Hz tone, Carol 660 Hz.
const ALICE_MEDIA: &[&str] = &["--send-tone", "440", "--send-pattern"];
const BOB_MEDIA: &[&str] = &["--send-tone", "880"];
const CAROL_MEDIA: &[&str] = &["--send-tone", "660"];
const TONE_TOLERANCE_HZ: f64 = 5.0;
/// The tones are sent at amplitude 8000 (RMS about 5660); silence and noise stay far below this.
const AUDIBLE_RMS: f64 = 500.0;

fn media_stats<'a>(
    from: &'a str,
    kind: &'a str,
    pred: impl Fn(&Value) -> bool + 'a,
) -> impl Fn(&Value) -> bool + 'a {
    move |v| is(v, "media_stats") && v["endpoint_id"] == from && v["kind"] == kind && pred(v)
}

fn hears(hz: f64) -> impl Fn(&Value) -> bool {
    move |v| {
        v["dominant_hz"]
            .as_f64()
            .is_some_and(|f| (f - hz).abs() <= TONE_TOLERANCE_HZ)
            && v["level_rms"].as_f64().is_some_and(|l| l > AUDIBLE_RMS)
    }
}

/// With three in the room everyone hears the two others through the videobridge.
fn bridge_exchange(checks: &mut Checks, tones: [(&Client, &str, f64); 3]) {
    for (listener, listener_id, _) in tones {
        for (speaker, speaker_id, hz) in tones {
            if speaker_id == listener_id {
                continue;
            }
            let what = format!(
                "{} hears {}'s {hz} Hz tone through the bridge",
                listener.name, speaker.name
            );
            checks.expect(&what, listener, media_stats(speaker_id, "audio", hears(hz)));
        }
    }
}

/// Real audio and video between Alice and Bob, judged from the clients' `media_stats` lines
/// logged from `marks` (Alice's, Bob's) on.
fn media_exchange(
    checks: &mut Checks,
    (alice, alice_id): (&Client, &str),
    (bob, bob_id): (&Client, &str),
    marks: (usize, usize),
) {
    for (listener, speaker_id, speaker, hz, mark) in [
        (bob, alice_id, "Alice", 440.0, marks.1),
        (alice, bob_id, "Bob", 880.0, marks.0),
    ] {
        let what = format!("{} hears {speaker}'s {hz} Hz tone", listener.name);
        if let Some(v) = checks.expect_since(
            &what,
            listener,
            mark,
            media_stats(speaker_id, "audio", hears(hz)),
        ) {
            println!(
                "           {:.1} Hz at RMS level {}, {} frames decoded",
                v["dominant_hz"].as_f64().unwrap_or_default(),
                v["level_rms"],
                v["frames_decoded"]
            );
        }
    }
    let frames = |v: &Value| v["frames_decoded"].as_u64().unwrap_or(0);
    let first = checks.expect_since(
        "Bob decodes Alice's video",
        bob,
        marks.1,
        media_stats(alice_id, "video", move |v| frames(v) >= 30),
    );
    if let Some(first) = first.map(|v| frames(&v)) {
        let later = checks.expect(
            "Bob's count of Alice's pictures keeps growing",
            bob,
            media_stats(alice_id, "video", move |v| frames(v) > first),
        );
        if let Some(later) = later {
            println!(
                "           {first} then {} pictures decoded",
                frames(&later)
            );
        }
    }
}

fn local(ws: &Workspace, room: &str) -> Result<(), String> {
    // Declared first so it is dropped last: clients leave before Prosody goes away.
    let testbed = Testbed::start(ws)?;
    let server = testbed.server_url.clone();
    let mut checks = Checks::new();

    let (mut alice, Some(alice_id)) = join(ws, &mut checks, "Alice", &server, room, ALICE_MEDIA)?
    else {
        return checks.finish();
    };
    let (mut bob, Some(bob_id)) = join(ws, &mut checks, "Bob", &server, room, BOB_MEDIA)? else {
        return checks.finish();
    };
    let (mut carol, Some(carol_id)) = join(ws, &mut checks, "Carol", &server, room, CAROL_MEDIA)?
    else {
        return checks.finish();
    };
    for (client, others) in [
        (&alice, ["Bob", "Carol"]),
        (&bob, ["Alice", "Carol"]),
        (&carol, ["Alice", "Bob"]),
    ] {
        for other in others {
            checks.expect(
                &format!("{} sees {other}", client.name),
                client,
                sees(other),
            );
        }
    }
    if !checks.all_ok() {
        return checks.finish();
    }

    let hello = "Hello everyone, Alice here";
    alice.send(&format!("chat {hello}"))?;
    for client in [&bob, &carol] {
        let what = format!("{} got Alice's room chat", client.name);
        checks.expect(&what, client, chat(hello, &alice_id, false));
    }

    let secret = "Psst Alice, this one is just for you";
    bob.send(&format!("chat-to {alice_id} {secret}"))?;
    checks.expect(
        "Alice got Bob's private chat",
        &alice,
        chat(secret, &bob_id, true),
    );

    bridge_exchange(
        &mut checks,
        [
            (&alice, &alice_id, 440.0),
            (&bob, &bob_id, 880.0),
            (&carol, &carol_id, 660.0),
        ],
    );

    carol.send("mute audio on")?;
    checks.expect("Carol's own audio muted", &carol, |v| {
        is(v, "audio_muted_changed") && v["muted"] == true
    });
    for client in [&alice, &bob] {
        let what = format!("{} sees Carol muted", client.name);
        checks.expect(
            &what,
            client,
            updated(&carol_id, |p| p["audio_muted"] == true),
        );
    }

    bob.send("hand up")?;
    checks.expect("Bob's own hand up", &bob, |v| {
        is(v, "hand_raised_changed") && v["raised"] == true
    });
    for client in [&alice, &carol] {
        let what = format!("{} sees Bob's hand up", client.name);
        checks.expect(
            &what,
            client,
            updated(&bob_id, |p| !p["hand_raised_at"].is_null()),
        );
    }

    let marks_at_leave = (alice.mark(), bob.mark());
    leave(&mut checks, &mut carol);
    for client in [&alice, &bob] {
        let what = format!("{} sees Carol leave", client.name);
        checks.expect(&what, client, left(&carol_id));
    }

    // Carol's output is complete now that she has exited, so absence there is conclusive.
    let start = Instant::now();
    let leaked: Vec<&str> = [&bob, &carol]
        .into_iter()
        .filter(|c| c.saw(any_chat_with(secret)))
        .map(|c| c.name.as_str())
        .collect();
    let private = if leaked.is_empty() {
        Ok(())
    } else {
        Err(format!("also delivered to {}", leaked.join(", ")))
    };
    checks.note("the private chat reached only Alice", start, private);

    // Two left: Alice and Bob go peer to peer (after lib-jitsi-meet's 5 s back-to-P2P delay).
    for (client, mark) in [(&alice, marks_at_leave.0), (&bob, marks_at_leave.1)] {
        let what = format!("{} is back on P2P", client.name);
        checks.expect_since(&what, client, mark, |v| {
            is(v, "p2p_status_changed") && v["active"] == true
        });
    }
    media_exchange(
        &mut checks,
        (&alice, &alice_id),
        (&bob, &bob_id),
        (alice.mark(), bob.mark()),
    );

    leave(&mut checks, &mut alice);
    leave(&mut checks, &mut bob);
    drop((alice, bob, carol));
    if let Err(e) = testbed.stop() {
        eprintln!("xtask: warning: {e}");
    }
    checks.finish()
}

fn remote(ws: &Workspace, server: &str, room: &str) -> Result<(), String> {
    println!("joining {room} on {server}");
    let mut checks = Checks::new();
    let (mut alice, Some(alice_id)) = join(ws, &mut checks, "Alice", server, room, ALICE_MEDIA)?
    else {
        return checks.finish();
    };
    let (mut bob, Some(bob_id)) = join(ws, &mut checks, "Bob", server, room, BOB_MEDIA)? else {
        return checks.finish();
    };
    checks.expect("Alice sees Bob", &alice, sees("Bob"));
    checks.expect("Bob sees Alice", &bob, sees("Alice"));

    let hello = "Hello Bob, Alice here";
    alice.send(&format!("chat {hello}"))?;
    checks.expect("Bob got Alice's chat", &bob, chat(hello, &alice_id, false));
    let reply = "Hi Alice, Bob here";
    bob.send(&format!("chat {reply}"))?;
    checks.expect("Alice got Bob's reply", &alice, chat(reply, &bob_id, false));
    media_exchange(
        &mut checks,
        (&alice, &alice_id),
        (&bob, &bob_id),
        (alice.mark(), bob.mark()),
    );

    leave(&mut checks, &mut alice);
    leave(&mut checks, &mut bob);
    checks.finish()
}
