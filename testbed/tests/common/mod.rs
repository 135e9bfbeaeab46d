//! What every signalling test needs: a testbed, SDK clients joined to it, and waiting for the
//! events a user would look for (never sleeping).

#![allow(dead_code)] // each test binary uses a different subset

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use omni_jitsi_core::media::audio::{Channels, FrameDuration};
use omni_jitsi_core::media::signal::{rms, ToneGenerator};
use omni_jitsi_core::{
    ConferenceEvent, ConnectionState, EndpointId, Error, Meeting, MeetingOptions, Participant,
    RemoteVideoFrame, TerminationReason,
};
use omni_jitsi_testbed::fault_proxy::FaultProxy;
use omni_jitsi_testbed::{FocusBehaviour, Testbed, TestbedOptions};
use tokio::sync::{broadcast, mpsc};

/// Generous: CI machines are slow, and a wait only takes this long when a test fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub async fn testbed() -> Testbed {
    testbed_with(TestbedOptions::default()).await
}

/// A testbed whose focus behaves as `focus` says.
pub async fn testbed_with_focus(focus: FocusBehaviour) -> Testbed {
    testbed_with(TestbedOptions {
        focus,
        ..TestbedOptions::default()
    })
    .await
}

pub async fn testbed_with(options: TestbedOptions) -> Testbed {
    init_logging();
    Testbed::start(options)
        .await
        .expect("the testbed starts (is prosody installed? `cargo xtask test` installs it)")
}

/// A testbed with a TURN server, which Prosody advertises through XEP-0215.
pub async fn testbed_with_turn() -> Testbed {
    testbed_with(TestbedOptions {
        turn: true,
        ..TestbedOptions::default()
    })
    .await
}

/// The test binary's logger: env_logger for what RUST_LOG asks to print, and, while a test
/// captures, every record at every level, formatted, for tests that check what the SDK logs.
struct CapturingLogger {
    print: env_logger::Logger,
    capturing: AtomicBool,
    records: Mutex<Vec<String>>,
}

impl log::Log for CapturingLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.capturing.load(Ordering::Relaxed) || log::Log::enabled(&self.print, metadata)
    }

    fn log(&self, record: &log::Record) {
        if self.capturing.load(Ordering::Relaxed) {
            let line = format!("{} {}: {}", record.level(), record.target(), record.args());
            self.records.lock().unwrap().push(line);
        }
        log::Log::log(&self.print, record);
    }

    fn flush(&self) {
        log::Log::flush(&self.print);
    }
}

static LOGGER: OnceLock<&'static CapturingLogger> = OnceLock::new();

fn logger() -> &'static CapturingLogger {
    LOGGER.get_or_init(|| {
        let logger: &'static CapturingLogger = Box::leak(Box::new(CapturingLogger {
            print: env_logger::Builder::from_default_env()
                .is_test(true)
                .build(),
            capturing: AtomicBool::new(false),
            records: Mutex::new(Vec::new()),
        }));
        log::set_logger(logger).expect("no other logger in a testbed test binary");
        log::set_max_level(log::LevelFilter::Trace);
        logger
    })
}

pub fn init_logging() {
    logger();
}

/// Records every log line, at every level and from every crate, until the returned capture
/// ends; tests running meanwhile in the same binary are recorded too.
pub fn capture_logs() -> LogCapture {
    let logger = logger();
    logger.records.lock().unwrap().clear();
    logger.capturing.store(true, Ordering::Relaxed);
    LogCapture
}

pub struct LogCapture;

impl LogCapture {
    /// Stops recording and hands over what was logged.
    pub fn finish(self) -> Vec<String> {
        let logger = logger();
        logger.capturing.store(false, Ordering::Relaxed);
        std::mem::take(&mut *logger.records.lock().unwrap())
    }
}

pub fn options(tb: &Testbed, room: &str, name: &str) -> MeetingOptions {
    let mut o = MeetingOptions::new(tb.server_url().to_string(), room);
    o.display_name = Some(name.to_string());
    o.email = Some(format!("{}@example.org", name.to_lowercase()));
    o.avatar_url = Some(format!("https://example.org/{}.png", name.to_lowercase()));
    o
}

pub struct Client {
    pub name: String,
    pub meeting: Meeting,
    pub events: mpsc::UnboundedReceiver<ConferenceEvent>,
    /// Every event `expect` has taken from `events`, in order.
    pub history: Vec<ConferenceEvent>,
}

impl Client {
    pub fn id(&self) -> EndpointId {
        self.meeting.endpoint_id().clone()
    }

    /// Waits for the first event matching `pred`, returning it; panics with what arrived instead.
    pub async fn expect<T>(
        &mut self,
        what: &str,
        pred: impl FnMut(&ConferenceEvent) -> Option<T>,
    ) -> T {
        self.expect_within(WAIT, what, pred).await
    }

    /// `expect` with a bound of its own, for what legitimately takes longer than `WAIT`.
    pub async fn expect_within<T>(
        &mut self,
        wait: Duration,
        what: &str,
        mut pred: impl FnMut(&ConferenceEvent) -> Option<T>,
    ) -> T {
        let mut seen = Vec::new();
        let found = tokio::time::timeout(wait, async {
            while let Some(event) = self.events.recv().await {
                let found = pred(&event);
                seen.push(event.name());
                self.history.push(event);
                if found.is_some() {
                    return found;
                }
            }
            None
        })
        .await;
        match found {
            Ok(Some(t)) => t,
            _ => panic!("{} never got {what}; saw {seen:?}", self.name),
        }
    }

    pub async fn expect_joined_participant(&mut self, name: &str) -> Participant {
        self.expect(&format!("participant_joined {name}"), |e| match e {
            ConferenceEvent::ParticipantJoined { participant }
                if participant.display_name.as_deref() == Some(name) =>
            {
                Some(participant.clone())
            }
            _ => None,
        })
        .await
    }

    /// Waits until every one of `names` but this client has joined, in any order: a MUC sends
    /// the occupants already present in no particular order.
    pub async fn expect_joined_participants(&mut self, names: &[&str]) {
        let mut missing: Vec<String> = names
            .iter()
            .filter(|n| **n != self.name)
            .map(|n| n.to_string())
            .collect();
        let what = format!("participant_joined for each of {missing:?}");
        self.expect(&what, |e| {
            if let ConferenceEvent::ParticipantJoined { participant } = e {
                missing.retain(|n| participant.display_name.as_deref() != Some(n));
            }
            missing.is_empty().then_some(())
        })
        .await;
    }

    /// The events that arrived and nobody waited for, in order; they join `history`.
    pub fn take_arrived(&mut self) -> Vec<ConferenceEvent> {
        let arrived: Vec<ConferenceEvent> =
            std::iter::from_fn(|| self.events.try_recv().ok()).collect();
        self.history.extend(arrived.iter().cloned());
        arrived
    }

    /// Waits for the connection state to become `state`.
    pub async fn expect_state(&mut self, state: ConnectionState) {
        self.expect(&format!("connection_state_changed {state:?}"), |e| {
            matches!(e, ConferenceEvent::ConnectionStateChanged { state: s } if *s == state)
                .then_some(())
        })
        .await;
    }

    /// Waits for the connection to be back (`connected`) within `wait`, returning the events
    /// that came meanwhile; the meeting ending instead is a failure.
    pub async fn connected_again_within(&mut self, wait: Duration) -> Vec<ConferenceEvent> {
        let mut seen = Vec::new();
        self.expect_within(wait, "connected again", |e| match e {
            ConferenceEvent::ConnectionStateChanged {
                state: ConnectionState::Connected,
            } => Some(()),
            ConferenceEvent::ConferenceTerminated { .. } => panic!("the meeting ended: {e:?}"),
            other => {
                seen.push(other.clone());
                None
            }
        })
        .await;
        seen
    }

    /// `reconnecting`, then `connected` again: the events in between.
    pub async fn reconnects(&mut self) -> Vec<ConferenceEvent> {
        self.expect_state(ConnectionState::Reconnecting).await;
        self.connected_again_within(WAIT).await
    }

    /// Waits for the participant called `name` to leave.
    pub async fn expect_left(&mut self, name: &str) {
        self.expect(&format!("participant_left {name}"), |e| match e {
            ConferenceEvent::ParticipantLeft { display_name, .. }
                if display_name.as_deref() == Some(name) =>
            {
                Some(())
            }
            _ => None,
        })
        .await;
    }

    /// Every chat message until (and excluding) the one whose text is `marker`.
    pub async fn chats_until(&mut self, marker: &str) -> Vec<omni_jitsi_core::ChatMessage> {
        let mut got = Vec::new();
        self.expect(&format!("chat {marker:?}"), |e| match e {
            ConferenceEvent::ChatMessageReceived { message } if message.text == marker => Some(()),
            ConferenceEvent::ChatMessageReceived { message } => {
                got.push(message.clone());
                None
            }
            _ => None,
        })
        .await;
        got
    }

    pub async fn hang_up(mut self) {
        self.meeting.hang_up().await.expect("hang up");
        self.expect("conference_terminated hung_up", |e| match e {
            ConferenceEvent::ConferenceTerminated {
                reason: TerminationReason::HungUp,
                ..
            } => Some(()),
            _ => None,
        })
        .await;
    }
}

pub async fn try_join(
    options: MeetingOptions,
) -> (
    Result<Meeting, Error>,
    mpsc::UnboundedReceiver<ConferenceEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    (omni_jitsi_core::join(options, tx).await, rx)
}

pub async fn join(options: MeetingOptions) -> Client {
    let name = options.display_name.clone().unwrap_or_default();
    let (result, events) = try_join(options).await;
    let meeting = result.unwrap_or_else(|e| panic!("{name} could not join: {e}"));
    Client {
        name,
        meeting,
        events,
        history: Vec::new(),
    }
}

/// Joins `names` in order and waits until everyone has seen everyone.
pub async fn join_all(tb: &Testbed, room: &str, names: &[&str]) -> Vec<Client> {
    let mut clients = Vec::new();
    for name in names {
        clients.push(join(options(tb, room, name)).await);
    }
    for client in clients.iter_mut() {
        client.expect_joined_participants(names).await;
    }
    clients
}

/// How many decoded pictures of `source` have arrived since the last call; others are skipped,
/// and pictures the receiver was too slow for are not counted.
pub fn pictures_of(pictures: &mut broadcast::Receiver<RemoteVideoFrame>, source: &str) -> usize {
    let mut n = 0;
    loop {
        match pictures.try_recv() {
            Ok(p) if p.source_name == source => n += 1,
            Ok(_) | Err(broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => return n,
        }
    }
}

/// Waits until this client is a moderator (the focus grants it to the first participant).
pub async fn until_moderator(client: &mut Client) {
    client
        .expect("role_changed moderator", |e| match e {
            ConferenceEvent::RoleChanged {
                role: omni_jitsi_core::Role::Moderator,
            } => Some(()),
            ConferenceEvent::ConferenceJoined {
                role: omni_jitsi_core::Role::Moderator,
                ..
            } => Some(()),
            _ => None,
        })
        .await;
}

/// `name` joins `room` through `relay` (a WebSocket URL on the relay's port, the testbed's
/// domain given, as the relay's address is not it).
pub fn options_via(tb: &Testbed, relay: &FaultProxy, room: &str, name: &str) -> MeetingOptions {
    let mut o = options(tb, room, name);
    o.server_url = format!("ws://127.0.0.1:{}/xmpp-websocket", relay.port());
    o.config_overrides
        .insert("hosts.domain".into(), tb.domain().into());
    o
}

/// A fault proxy in front of the testbed's Prosody WebSocket.
pub async fn relay_to(tb: &Testbed) -> FaultProxy {
    let port = url::Url::parse(&tb.websocket_url())
        .unwrap()
        .port()
        .expect("the testbed's WebSocket URL has a port");
    FaultProxy::start(port)
        .await
        .expect("the fault proxy listens")
}

/// Plays a tone from each side (440 Hz from `a`, 880 Hz from `b`) on a 20 ms device clock and
/// returns once each has heard the other for 10 frames in a row: the time it took, or what was
/// heard when `within` ran out.
pub async fn both_hear_within(
    a: &Client,
    b: &Client,
    within: Duration,
) -> Result<Duration, String> {
    const FRAME: FrameDuration = FrameDuration::Ms20;
    const AUDIBLE_RMS: f64 = 500.0;
    let started = std::time::Instant::now();
    let sources = (format!("{}-a0", b.id()), format!("{}-a0", a.id()));
    let mut tones = (
        ToneGenerator::new(440.0, 8000, Channels::Mono),
        ToneGenerator::new(880.0, 8000, Channels::Mono),
    );
    let mut audible = (0usize, 0usize);
    // The test's audio device: a clock, not a synchronisation sleep.
    let mut clock = tokio::time::interval(Duration::from_millis(20));
    clock.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while audible.0 < 10 || audible.1 < 10 {
        if started.elapsed() >= within {
            return Err(format!(
                "no audio both ways within {within:?} ({} heard {} frames in a row, {} heard {})",
                a.name, audible.0, b.name, audible.1
            ));
        }
        clock.tick().await;
        a.meeting
            .push_audio(&tones.0.next_frame(FRAME))
            .await
            .map_err(|e| format!("{} cannot send: {e}", a.name))?;
        b.meeting
            .push_audio(&tones.1.next_frame(FRAME))
            .await
            .map_err(|e| format!("{} cannot send: {e}", b.name))?;
        let heard = |c: &Client, source: &str| {
            c.meeting
                .remote_audio(source)
                .and_then(|audio| audio.pull(FRAME.samples_per_channel()).ok())
                .is_some_and(|frame| rms(&frame.samples) > AUDIBLE_RMS)
        };
        audible.0 = if heard(a, &sources.0) {
            audible.0 + 1
        } else {
            0
        };
        audible.1 = if heard(b, &sources.1) {
            audible.1 + 1
        } else {
            0
        };
    }
    Ok(started.elapsed())
}
