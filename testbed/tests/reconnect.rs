//! Faults a phone meets, injected on purpose, each a named scenario: the signalling socket cut
//! while the server can still resume the session, cut until the server forgot it (full rejoin),
//! Prosody restarted mid-call (sessions and rooms gone), a network-change hint while the path
//! is a blackhole; and on the bridge's side: an outage, a phone's path that dies (with and
//! without the hint), a dead allocation, a focus without ICE restarts, and the bridge going
//! away (both of Jicofo's ways of moving participants).
//! After each, both sides hear each other again, the one who stayed is not reported as leaving
//! and joining, and a chat message sent during a signalling outage arrives once.
//! Ann reaches Prosody through the fault proxy; Bob directly. Times from the end of the fault to
//! audio are printed for the README.

mod common;

use std::time::{Duration, Instant};

use common::*;
use omni_jitsi_core::{ConferenceEvent, ConnectionState, MeetingOptions, Timeouts};
use omni_jitsi_testbed::bridge::BridgeStats;
use omni_jitsi_testbed::fault_proxy::FaultProxy;
use omni_jitsi_testbed::{FocusBehaviour, ReinviteMethod, Testbed, TestbedOptions};

/// Every recovery must be heard within this; the reconnection total is 45 s below it.
const AUDIO_WITHIN: Duration = Duration::from_secs(40);

/// Prosody keeps a dropped session for `hibernation`: 60 s as deployed, 1 s to make it forget.
async fn hibernating(hibernation: Duration) -> Testbed {
    testbed_with(TestbedOptions {
        session_hibernation: Some(hibernation),
        ..TestbedOptions::default()
    })
    .await
}

fn with_timeouts(mut o: MeetingOptions) -> MeetingOptions {
    o.timeouts = Timeouts {
        reconnect: Duration::from_secs(45),
        ..Timeouts::default()
    };
    o
}

/// Ann through the proxy, Bob directly, each seeing the other.
async fn call(tb: &Testbed, room: &str) -> (FaultProxy, Client, Client) {
    let proxy = relay_to(tb).await;
    let mut bob = join(with_timeouts(options(tb, room, "Bob"))).await;
    let mut ann = join(with_timeouts(options_via(tb, &proxy, room, "Ann"))).await;
    bob.expect_joined_participant("Ann").await;
    ann.expect_joined_participant("Bob").await;
    (proxy, ann, bob)
}

/// Plays a tone from each side and returns once each has heard the other for 10 frames in a
/// row; the time it took.
async fn until_both_hear(ann: &Client, bob: &Client) -> Duration {
    both_hear_within(ann, bob, AUDIO_WITHIN)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// With Ann's path down: once the server has forgotten her session (Bob sees her leave), the
/// path comes back and Ann rejoins. When the path came back, and Ann's events until she was
/// connected, in which Bob neither left nor joined.
async fn forgotten_and_back(
    proxy: &FaultProxy,
    ann: &mut Client,
    bob: &mut Client,
) -> (Instant, Vec<ConferenceEvent>) {
    bob.expect_left("Ann").await;
    let restored = proxy.restore();
    let during = ann.reconnects().await;
    assert!(roster_flicker(&during, "Bob").is_empty(), "{during:?}");
    (restored, during)
}

fn roster_flicker(events: &[ConferenceEvent], who: &str) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            ConferenceEvent::ParticipantJoined { participant }
                if participant.display_name.as_deref() == Some(who) =>
            {
                Some(format!("joined {who}"))
            }
            ConferenceEvent::ParticipantLeft { display_name, .. }
                if display_name.as_deref() == Some(who) =>
            {
                Some(format!("left {who}"))
            }
            _ => None,
        })
        .collect()
}

/// What the apps of `clients` saw since last asked that a user would call trouble: someone
/// leaving, an error, a change of the signalling connection's state, a remote track going, and
/// whatever `more` names.
fn trouble(
    clients: &mut [&mut Client],
    more: fn(&ConferenceEvent) -> Option<String>,
) -> Vec<String> {
    clients
        .iter_mut()
        .flat_map(|c| c.take_arrived())
        .filter_map(|e| match &e {
            ConferenceEvent::ParticipantLeft { display_name, .. } => {
                Some(format!("left {display_name:?}"))
            }
            ConferenceEvent::Error { error, .. } => Some(error.clone()),
            ConferenceEvent::ConnectionStateChanged { state } => Some(format!("{state:?}")),
            ConferenceEvent::RemoteTrackRemoved { source_name, .. } => {
                Some(format!("removed {source_name}"))
            }
            other => more(other),
        })
        .collect()
}

/// Sends a chat message without waiting for the answer: sent while the connection is down, its
/// answer comes once the message is out after the reconnection.
fn send_during_outage(client: &Client, text: &str) -> tokio::task::JoinHandle<()> {
    let meeting = client.meeting.clone();
    let text = text.to_string();
    tokio::spawn(async move { meeting.send_chat(&text, None).await.unwrap() })
}

/// The message sent during the outage arrives exactly once, before a marker sent after.
async fn arrives_once(from: &Client, to: &mut Client, text: &str) {
    let marker = format!("after {text}");
    let got = to.chats_until(text).await;
    assert!(got.is_empty(), "unexpected chats before {text:?}: {got:?}");
    from.meeting.send_chat(&marker, None).await.unwrap();
    let got = to.chats_until(&marker).await;
    assert!(got.is_empty(), "{text:?} or others arrived again: {got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_cut_with_a_resumable_session_resumes_without_a_rejoin() {
    let tb = hibernating(Duration::from_secs(60)).await;
    let (proxy, mut ann, mut bob) = call(&tb, "fault-cut-resume").await;
    until_both_hear(&ann, &bob).await;

    proxy.cut();
    let restored = Instant::now();
    let sent = send_during_outage(&ann, "cut, resumable");
    let during = ann.reconnects().await;
    assert!(roster_flicker(&during, "Bob").is_empty(), "{during:?}");
    assert!(
        !during
            .iter()
            .any(|e| matches!(e, ConferenceEvent::RemoteTrackRemoved { .. })),
        "a resumption keeps the media session: {during:?}"
    );
    sent.await.unwrap();
    arrives_once(&ann, &mut bob, "cut, resumable").await;
    let audio = until_both_hear(&ann, &bob).await;
    eprintln!(
        "measured: cut+resume: connected {:?} after the cut, audio checked in {audio:?}",
        restored.elapsed()
    );
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_cut_after_the_server_forgot_the_session_rejoins_with_the_roster_intact() {
    // Prosody keeps a dropped session resumable for 1 s here (a deployment: 60 s).
    let tb = hibernating(Duration::from_secs(1)).await;
    let (proxy, mut ann, mut bob) = call(&tb, "fault-cut-rejoin").await;
    ann.meeting.set_hand_raised(true).await.unwrap();
    ann.meeting.set_video_muted(true).await.unwrap();
    until_both_hear(&ann, &bob).await;

    proxy.down();
    let sent = send_during_outage(&ann, "cut, forgotten");
    let (restored, _) = forgotten_and_back(&proxy, &mut ann, &mut bob).await;
    let back = bob.expect_joined_participant("Ann").await;
    assert_eq!(back.endpoint_id, ann.id(), "the same endpoint rejoined");
    assert_eq!(back.email.as_deref(), Some("ann@example.org"));
    assert_eq!(
        back.avatar_url.as_deref(),
        Some("https://example.org/ann.png")
    );
    assert!(back.hand_raised_at.is_some(), "the hand stays raised");
    assert!(back.video_muted, "video stays muted");
    sent.await.unwrap();
    arrives_once(&ann, &mut bob, "cut, forgotten").await;
    let audio = until_both_hear(&ann, &bob).await;
    let participants = ann.meeting.participants();
    assert_eq!(participants.len(), 1);
    assert_eq!(participants[0].display_name.as_deref(), Some("Bob"));
    eprintln!(
        "measured: cut+rejoin: audio both ways {:?} after the path was restored",
        restored.elapsed()
    );
    let _ = audio;
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prosody_restart_mid_call_both_rejoin_and_hear_each_other() {
    let mut tb = hibernating(Duration::from_secs(60)).await;
    let (_proxy, mut ann, mut bob) = call(&tb, "fault-prosody-restart").await;
    until_both_hear(&ann, &bob).await;

    let back = tb.restart_prosody().await.expect("prosody starts again");
    let sent = send_during_outage(&ann, "restart");
    ann.reconnects().await;
    bob.reconnects().await;
    sent.await.unwrap();
    arrives_once(&ann, &mut bob, "restart").await;
    until_both_hear(&ann, &bob).await;
    eprintln!(
        "measured: prosody restart: audio both ways {:?} after prosody was back",
        back.elapsed()
    );
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_change_hint_during_a_blackhole_is_detected_in_seconds() {
    let tb = hibernating(Duration::from_secs(60)).await;
    let (proxy, mut ann, mut bob) = call(&tb, "fault-blackhole-hint").await;
    until_both_hear(&ann, &bob).await;

    proxy.blackhole();
    let hinted = Instant::now();
    ann.meeting.network_changed().await.unwrap();
    ann.expect_state(ConnectionState::Reconnecting).await;
    let detected = hinted.elapsed();
    // The probe allows 2 s; keepalive alone would take 15 to 35 s.
    assert!(
        detected < Duration::from_secs(3),
        "detected after {detected:?}"
    );
    let sent = send_during_outage(&ann, "blackhole");
    let restored = proxy.restore();
    // The app hears from the OS that the network is usable again.
    ann.meeting.network_changed().await.unwrap();
    ann.connected_again_within(WAIT).await;
    let connected = restored.elapsed();
    sent.await.unwrap();
    arrives_once(&ann, &mut bob, "blackhole").await;
    until_both_hear(&ann, &bob).await;
    eprintln!(
        "measured: blackhole+hint: detected {detected:?} after the hint, connected {connected:?} after restore, audio {:?} after restore",
        restored.elapsed()
    );
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejoin_in_a_bridged_call_takes_media_back_through_the_bridge() {
    let tb = hibernating(Duration::from_secs(1)).await;
    let (proxy, mut ann, mut bob) = call(&tb, "fault-bridge-rejoin").await;
    let mut cat = join(with_timeouts(options(&tb, "fault-bridge-rejoin", "Cat"))).await;
    cat.expect_joined_participants(&["Ann", "Bob"]).await;
    // Three people: media goes through the bridge.
    until_both_hear(&ann, &bob).await;

    proxy.down();
    let (restored, during) = forgotten_and_back(&proxy, &mut ann, &mut bob).await;
    assert!(roster_flicker(&during, "Cat").is_empty(), "{during:?}");
    // The old bridge session was torn down: hearing each other again means the focus's new
    // offer was answered and the others' bridge sessions took Ann's new sources.
    until_both_hear(&ann, &bob).await;
    eprintln!(
        "measured: cut+rejoin (bridge): audio both ways {:?} after the path was restored",
        restored.elapsed()
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_path_to_the_bridge_gets_a_new_bridge_session_without_anyone_leaving() {
    let room = "fault-bridge-path";
    let tb = hibernating(Duration::from_secs(60)).await;
    let (mut ann, mut bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    ann.take_arrived();
    bob.take_arrived();

    let bridge = tb.bridge().expect("the testbed runs a bridge");
    assert!(
        bridge.blackhole(room, ann.id().as_str(), true),
        "Ann is on the bridge"
    );
    let cut = Instant::now();
    // Ann hears nothing for 5 s and restarts ICE in place, which cannot get through either
    // (6 s); she asks the focus for a new session, and the
    // focus offers one on a fresh allocation.
    until_both_hear(&ann, &bob).await;
    let recovered = cut.elapsed();
    assert!(
        recovered > Duration::from_secs(5),
        "audio both ways {recovered:?} after the cut: the path was not cut"
    );
    let bob_source = format!("{}-a0", bob.id());
    let flicker: Vec<String> = ann
        .take_arrived()
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::RemoteTrackRemoved { source_name, .. }
                if source_name == bob_source =>
            {
                Some(format!("removed {source_name}"))
            }
            ConferenceEvent::Error { error, .. } => Some(error),
            ConferenceEvent::ConnectionStateChanged { state } => Some(format!("{state:?}")),
            _ => None,
        })
        .collect();
    assert!(flicker.is_empty(), "Ann's app saw the restart: {flicker:?}");
    let left: Vec<String> = bob
        .take_arrived()
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::ParticipantLeft { display_name, .. } => display_name,
            _ => None,
        })
        .collect();
    assert!(left.is_empty(), "nobody left the room: {left:?}");
    eprintln!(
        "measured: bridge allocation dead: audio both ways {recovered:?} after the cut (5 s to \
         notice, 6 s for the ICE restart, then a new session)"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

/// Ann's path to the bridge goes dead; returns once her app hears that the connection carrying
/// media is interrupted (5 s without a packet).
async fn interrupt_bridge_path(tb: &Testbed, room: &str, ann: &mut Client) {
    let bridge = tb.bridge().expect("the testbed runs a bridge");
    assert!(
        bridge.blackhole(room, ann.id().as_str(), true),
        "Ann is on the bridge"
    );
    ann.expect("media_connection_changed interrupted", |e| {
        matches!(
            e,
            ConferenceEvent::MediaConnectionChanged { interrupted: true }
        )
        .then_some(())
    })
    .await;
}

/// Three on the bridge with P2P off, so that media never moves while a path is cut.
async fn bridged_call(tb: &Testbed, room: &str) -> (Client, Client, Client) {
    let on_the_bridge = |mut o: MeetingOptions| {
        o.config_overrides
            .insert("p2p.enabled".into(), "false".into());
        with_timeouts(o)
    };
    let bob = join(on_the_bridge(options(tb, room, "Bob"))).await;
    let ann = join(on_the_bridge(options(tb, room, "Ann"))).await;
    let mut cat = join(on_the_bridge(options(tb, room, "Cat"))).await;
    cat.expect_joined_participants(&["Ann", "Bob"]).await;
    (ann, bob, cat)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_path_back_after_an_outage_carries_media_again_in_the_same_session() {
    let room = "fault-bridge-outage";
    let tb = hibernating(Duration::from_secs(60)).await;
    let (mut ann, bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    ann.take_arrived();

    interrupt_bridge_path(&tb, room, &mut ann).await;
    // Back after the 5 s it took to notice, while the in-place ICE restart is under way.
    let bridge = tb.bridge().expect("the testbed runs a bridge");
    assert!(
        bridge.blackhole(room, ann.id().as_str(), false),
        "the same allocation"
    );
    let restored = Instant::now();
    until_both_hear(&ann, &bob).await;
    let recovered = restored.elapsed();
    ann.expect("media_connection_changed restored", |e| match e {
        ConferenceEvent::MediaConnectionChanged { interrupted: false } => Some(()),
        ConferenceEvent::RemoteTrackRemoved { .. } => panic!("a track went away: {e:?}"),
        _ => None,
    })
    .await;
    // A new session would have waited for the ICE restart to give up, 6 s after it began.
    assert!(
        recovered < Duration::from_secs(5),
        "audio {recovered:?} after the path was back"
    );
    // A second outage on the same path is noticed as the first was.
    interrupt_bridge_path(&tb, room, &mut ann).await;
    eprintln!(
        "measured: 5 s bridge path outage: audio both ways {recovered:?} after the path was back"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

/// Ann's phone leaves the network its media went through: the path from that address dies,
/// while the bridge stays reachable from any other. Returns the dead address.
fn kill_media_path(tb: &Testbed, room: &str, ann: &Client) -> std::net::SocketAddr {
    let bridge = tb.bridge().expect("the testbed runs a bridge");
    bridge
        .kill_path(room, ann.id().as_str())
        .expect("Ann has a path to the bridge")
}

/// Asserts that media recovered through an in-place ICE restart: one more restart on the
/// bridge, no new allocation (so no new Jingle session and no new SSRCs).
fn restarted_in_place(tb: &Testbed, before: BridgeStats) {
    let after = tb.bridge().expect("the testbed runs a bridge").stats();
    assert_eq!(
        after.allocations, before.allocations,
        "a new bridge session was set up: {before:?} -> {after:?}"
    );
    assert!(
        after.ice_restarts > before.ice_restarts,
        "no ICE restart: {before:?} -> {after:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_network_change_hint_moves_media_to_the_new_path_by_an_ice_restart() {
    let room = "fault-bridge-hint";
    let tb = hibernating(Duration::from_secs(60)).await;
    let (mut ann, mut bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    ann.take_arrived();
    bob.take_arrived();
    let before = tb.bridge().expect("the testbed runs a bridge").stats();

    let dead = kill_media_path(&tb, room, &ann);
    // The OS reports the new network at once: the SDK restarts ICE without waiting for the
    // old path to look dead.
    let hinted = Instant::now();
    ann.meeting.network_changed().await.unwrap();
    until_both_hear(&ann, &bob).await;
    let recovered = hinted.elapsed();
    assert!(
        recovered < Duration::from_secs(3),
        "audio both ways {recovered:?} after the hint ({dead} died)"
    );
    restarted_in_place(&tb, before);
    let flicker = trouble(&mut [&mut ann, &mut bob], |_| None);
    assert!(flicker.is_empty(), "the apps saw the restart: {flicker:?}");
    eprintln!("measured: network hint after the media path died: audio both ways {recovered:?} after the hint");
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_media_path_without_a_hint_is_restarted_in_place_once_it_looks_interrupted() {
    let room = "fault-bridge-dead-path";
    let tb = hibernating(Duration::from_secs(60)).await;
    let (mut ann, bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    ann.take_arrived();
    let before = tb.bridge().expect("the testbed runs a bridge").stats();

    kill_media_path(&tb, room, &ann);
    let cut = Instant::now();
    ann.expect("media_connection_changed interrupted", |e| {
        matches!(
            e,
            ConferenceEvent::MediaConnectionChanged { interrupted: true }
        )
        .then_some(())
    })
    .await;
    until_both_hear(&ann, &bob).await;
    let recovered = cut.elapsed();
    restarted_in_place(&tb, before);
    eprintln!(
        "measured: media path dead, no hint: audio both ways {recovered:?} after the cut (5 s \
         without a packet, then an in-place ICE restart)"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

/// The bridge's port for Ann changes (it came back on another port, or a NAT in front of it
/// rebound): her old pair hears nothing, and only the candidate of the restarted generation
/// leads to the new port, since the testbed's bridge never checks towards the client first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_port_change_is_followed_through_the_restarted_generation_s_candidate() {
    let room = "fault-bridge-port";
    let tb = hibernating(Duration::from_secs(60)).await;
    let (ann, bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    let bridge = tb.bridge().expect("the testbed runs a bridge");
    let before = bridge.stats();

    let changed = Instant::now();
    bridge
        .change_port(room, ann.id().as_str())
        .expect("a new port")
        .expect("Ann is on the bridge");
    until_both_hear(&ann, &bob).await;
    let recovered = changed.elapsed();
    restarted_in_place(&tb, before);
    eprintln!(
        "measured: bridge port change: audio both ways {recovered:?} after it (5 s to notice, \
         then an in-place ICE restart)"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_focus_without_ice_restarts_gets_a_restart_request_for_a_new_session_instead() {
    let room = "fault-no-ice-restart";
    let tb = testbed_with(TestbedOptions {
        focus: FocusBehaviour {
            ice_restart: false,
            ..FocusBehaviour::default()
        },
        ..TestbedOptions::default()
    })
    .await;
    let (mut ann, bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    let before = tb.bridge().expect("the testbed runs a bridge").stats();

    interrupt_bridge_path(&tb, room, &mut ann).await;
    let hinted = Instant::now();
    ann.meeting.network_changed().await.unwrap();
    until_both_hear(&ann, &bob).await;
    let recovered = hinted.elapsed();
    let after = tb.bridge().expect("the testbed runs a bridge").stats();
    assert_eq!(
        (after.ice_restarts, after.allocations),
        (before.ice_restarts, before.allocations + 1),
        "refused, then a new bridge session"
    );
    assert!(
        recovered < Duration::from_secs(5),
        "audio both ways {recovered:?} after the hint"
    );
    eprintln!("measured: network hint, focus without ICE restarts: audio both ways {recovered:?} after the hint");
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

/// The last resort, as jitsi-meet's reload: Ann's path to the bridge dies, the focus refuses
/// ICE restarts and has no session restart left for her (Jicofo's rate limit), so no new
/// session comes; Ann leaves the room and joins it again on the same connection, the focus
/// invites her afresh, and the call is heard again. Her app hears `reconnecting` then
/// `connected`, and nobody else leaves or joins for her.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_session_restart_gets_media_back_by_joining_the_room_again() {
    let room = "fault-restart-refused";
    let tb = testbed_with(TestbedOptions {
        focus: FocusBehaviour {
            ice_restart: false,
            restarts_exhausted: true,
            ..FocusBehaviour::default()
        },
        ..TestbedOptions::default()
    })
    .await;
    let (mut ann, bob, cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    ann.take_arrived();

    kill_media_path(&tb, room, &ann);
    let hinted = Instant::now();
    ann.meeting.network_changed().await.unwrap();
    ann.expect("connection_state_changed reconnecting", |e| {
        matches!(
            e,
            ConferenceEvent::ConnectionStateChanged {
                state: ConnectionState::Reconnecting
            }
        )
        .then_some(())
    })
    .await;
    ann.expect("connection_state_changed connected", |e| {
        matches!(
            e,
            ConferenceEvent::ConnectionStateChanged {
                state: ConnectionState::Connected
            }
        )
        .then_some(())
    })
    .await;
    until_both_hear(&ann, &bob).await;
    let recovered = hinted.elapsed();
    let stayed = roster_flicker(&ann.take_arrived(), "Bob");
    assert!(stayed.is_empty(), "{stayed:?}");
    eprintln!(
        "measured: session restart refused: audio both ways {recovered:?} after the hint (5 s to \
         see the path dead, then a room rejoin)"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_going_away_moves_everyone_to_another_without_anyone_leaving() {
    let seen = move_bridge("fault-bridge-move", ReinviteMethod::RestartJingle).await;
    assert!(seen.is_empty(), "{seen:?}");
}

/// Jicofo set to `reinvite-method = ReplaceTransport`: the sessions themselves move, with the
/// same SSRCs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_going_away_with_transport_replace_moves_everyone_without_a_track_flicker() {
    let seen = move_bridge("fault-bridge-replace", ReinviteMethod::ReplaceTransport).await;
    assert!(seen.is_empty(), "{seen:?}");
}

/// Three on the bridge when it goes away, moved by the focus with `method`: each hears its media
/// leave the old bridge and come back on the new one, and audio flows both ways through it.
/// Returns what a user would call trouble meanwhile: someone leaving, an error, a connection
/// state change, a remote track removed.
async fn move_bridge(room: &str, method: ReinviteMethod) -> Vec<String> {
    let tb = testbed_with(TestbedOptions {
        focus: FocusBehaviour {
            reinvite: method,
            ..FocusBehaviour::default()
        },
        session_hibernation: Some(Duration::from_secs(60)),
        ..TestbedOptions::default()
    })
    .await;
    let (mut ann, mut bob, mut cat) = bridged_call(&tb, room).await;
    until_both_hear(&ann, &bob).await;
    for c in [&mut ann, &mut bob, &mut cat] {
        c.take_arrived();
    }
    let old = tb.bridge().expect("the testbed runs a bridge");

    let moved = Instant::now();
    tb.move_bridge().await.expect("a second bridge starts");
    for c in [&mut ann, &mut bob, &mut cat] {
        c.expect("media leaves the old bridge", |e| {
            matches!(
                e,
                ConferenceEvent::MediaConnectionChanged { interrupted: true }
            )
            .then_some(())
        })
        .await;
        c.expect("media on the new bridge", |e| {
            matches!(
                e,
                ConferenceEvent::MediaConnectionChanged { interrupted: false }
            )
            .then_some(())
        })
        .await;
    }
    until_both_hear(&ann, &bob).await;
    let recovered = moved.elapsed();
    let new = tb.bridge().expect("the testbed runs a bridge");
    assert_ne!(new.id(), old.id());
    let stats = new.stats();
    assert_eq!(stats.allocations, 3, "everyone moved: {stats:?}");
    assert!(
        stats.rtp_forwarded > 0,
        "media goes through the new bridge: {stats:?}"
    );
    let seen = trouble(&mut [&mut ann, &mut bob, &mut cat], |_| None);
    eprintln!(
        "measured: bridge move ({method:?}): audio both ways {recovered:?} after the move began; \
         meanwhile: {seen:?}"
    );
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
    seen
}

/// Waits until `client` hears that media moved onto P2P (`active`) or off it.
async fn p2p_becomes(client: &mut Client, active: bool) {
    client
        .expect(&format!("p2p_status_changed active={active}"), |e| {
            matches!(e, ConferenceEvent::P2pStatusChanged { active: a } if *a == active)
                .then_some(())
        })
        .await;
}

/// Ann and Bob in a P2P call through the testbed's TURN relay only, hearing each other.
async fn relayed_p2p_call(tb: &Testbed, room: &str) -> (Client, Client) {
    let relayed = |mut o: MeetingOptions| {
        o.config_overrides
            .insert("p2p.iceTransportPolicy".into(), "relay".into());
        with_timeouts(o)
    };
    let mut bob = join(relayed(options(tb, room, "Bob"))).await;
    let mut ann = join(relayed(options(tb, room, "Ann"))).await;
    p2p_becomes(&mut ann, true).await;
    p2p_becomes(&mut bob, true).await;
    until_both_hear(&ann, &bob).await;
    (ann, bob)
}

/// A poor mobile path: a tenth of the datagrams lost each way and 80 ms more each way. The
/// call stays P2P, and each still hears the other's tone at its frequency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lossy_slow_p2p_path_still_carries_the_tones() {
    let tb = testbed_with_turn().await;
    let (mut ann, mut bob) = relayed_p2p_call(&tb, "fault-p2p-lossy").await;
    let turn = tb.turn().expect("the testbed runs a TURN server");
    for c in [&mut ann, &mut bob] {
        c.take_arrived();
    }

    turn.impair(0.1, Duration::from_millis(80), 11);
    let impaired = Instant::now();
    until_both_hear(&ann, &bob).await;
    let heard = impaired.elapsed();
    let seen = trouble(&mut [&mut ann, &mut bob], |e| match e {
        ConferenceEvent::P2pStatusChanged { active } => Some(format!("p2p {active}")),
        ConferenceEvent::MediaConnectionChanged { interrupted } => {
            Some(format!("interrupted {interrupted}"))
        }
        _ => None,
    });
    assert!(seen.is_empty(), "{seen:?}");
    eprintln!("measured: 10% loss and 80 ms each way: both heard in {heard:?}");
    ann.hang_up().await;
    bob.hang_up().await;
}

/// Ann and Bob talk P2P through the deployment's TURN relay (`p2p.iceTransportPolicy = relay`,
/// the relay advertised by Prosody), as two phones behind carrier NATs do. The relayed path
/// dies: media moves to the bridge once the path looks interrupted, then P2P fails and media
/// stays on the bridge, as lib-jitsi-meet does, without anyone leaving; once the path is back
/// and Ann's app says the network changed, P2P is offered again, whichever side offered
/// before, and carries the call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p2p_path_loss_falls_back_to_the_bridge_and_a_network_change_brings_p2p_back() {
    let tb = testbed_with_turn().await;
    let (mut ann, mut bob) = relayed_p2p_call(&tb, "fault-p2p-path").await;
    let turn = tb.turn().expect("the testbed runs a TURN server");
    let before = turn.stats();
    until_both_hear(&ann, &bob).await;
    let during = turn.stats();
    assert!(
        during.relayed_to_clients > before.relayed_to_clients,
        "P2P media crosses the relay: {before:?} -> {during:?}"
    );
    let bridge = tb.bridge().expect("the testbed runs a bridge");
    for c in [&mut ann, &mut bob] {
        c.take_arrived();
    }

    turn.blackhole(true);
    let cut = Instant::now();
    let forwarded = bridge.stats().rtp_forwarded;
    until_both_hear(&ann, &bob).await;
    let on_bridge = cut.elapsed();
    assert!(
        bridge.stats().rtp_forwarded > forwarded,
        "media goes through the bridge"
    );
    p2p_becomes(&mut ann, false).await;
    p2p_becomes(&mut bob, false).await;

    turn.blackhole(false);
    let hinted = Instant::now();
    ann.meeting.network_changed().await.unwrap();
    p2p_becomes(&mut ann, true).await;
    p2p_becomes(&mut bob, true).await;
    let relayed_before = turn.stats().relayed_to_clients;
    until_both_hear(&ann, &bob).await;
    let back = hinted.elapsed();
    assert!(
        turn.stats().relayed_to_clients > relayed_before,
        "P2P through the relay again"
    );
    let seen = trouble(&mut [&mut ann, &mut bob], |_| None);
    assert!(seen.is_empty(), "{seen:?}");
    eprintln!(
        "measured: P2P path loss: audio both ways through the bridge {on_bridge:?} after the \
         cut; P2P back and heard {back:?} after the hint"
    );
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_down_longer_than_the_reconnect_total_ends_with_connection_lost() {
    let tb = hibernating(Duration::from_secs(1)).await;
    let proxy = relay_to(&tb).await;
    let mut o = options_via(&tb, &proxy, "fault-give-up", "Ann");
    o.timeouts.reconnect = Duration::from_secs(4);
    let mut ann = join(o).await;

    // Taken before the cut: the SDK's limit runs from when it saw the socket close, which can
    // be a moment before a clock read after `down()` returns.
    let cut = Instant::now();
    proxy.down();
    ann.expect_state(ConnectionState::Reconnecting).await;
    // Issued while reconnecting: queued, and failed with a typed error when the meeting ends.
    let sent = {
        let meeting = ann.meeting.clone();
        tokio::spawn(async move { meeting.send_chat("never", None).await })
    };
    ann.expect("conference_terminated connection_lost", |e| match e {
        ConferenceEvent::ConferenceTerminated {
            reason: omni_jitsi_core::TerminationReason::ConnectionLost,
            ..
        } => Some(()),
        ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Connected,
        } => panic!("connected through a path that is down"),
        _ => None,
    })
    .await;
    let ended = cut.elapsed();
    assert!(
        ended >= Duration::from_secs(4) && ended < Duration::from_secs(10),
        "ended {ended:?} after the cut"
    );
    ann.expect_state(ConnectionState::Disconnected).await;
    let result = sent.await.unwrap();
    assert!(
        matches!(
            result,
            Err(omni_jitsi_core::Error::ConnectionLost(_))
                | Err(omni_jitsi_core::Error::MeetingEnded)
        ),
        "the queued message failed with a typed error: {result:?}"
    );
}
