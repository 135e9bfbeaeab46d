//! A dropped socket is resumed (XEP-0198) and what was sent meanwhile is not lost; when the
//! server forgot the session the SDK rejoins, and when nothing answers until the reconnect
//! limit the meeting ends with `connection_lost`. `reconnect.rs` has the other fault scenarios.

mod common;

use std::time::Duration;

use common::*;
use omni_jitsi_core::{ConferenceEvent, ConnectionState, TerminationReason};
use omni_jitsi_testbed::TestbedOptions;

/// The reconnect limit below (45 s) and a little more.
const ALL_RETRIES: Duration = Duration::from_secs(75);

/// Waits for the meeting to end with `connection_lost`; resuming instead is a failure.
async fn ends_with_connection_lost(client: &mut Client) {
    let error = client
        .expect_within(
            ALL_RETRIES,
            "conference_terminated connection_lost",
            |e| match e {
                ConferenceEvent::ConferenceTerminated {
                    reason: TerminationReason::ConnectionLost,
                    error,
                    ..
                } => Some(error.clone()),
                ConferenceEvent::ConferenceTerminated { .. }
                | ConferenceEvent::ConnectionStateChanged {
                    state: ConnectionState::Connected,
                } => panic!("expected the meeting to end with connection_lost, got {e:?}"),
                _ => None,
            },
        )
        .await;
    assert_eq!(error.as_deref(), Some("connection_lost"));
}

#[tokio::test]
async fn a_dropped_socket_is_resumed_without_losing_a_message() {
    let tb = testbed().await;
    let relay = relay_to(&tb).await;
    let mut bob = join(options(&tb, "meet-resume", "Bob")).await;
    let mut ann = join(options_via(&tb, &relay, "meet-resume", "Ann")).await;
    bob.expect_joined_participant("Ann").await;

    relay.cut();
    // Sent while the socket is dead or dying: kept for replay until the server acknowledges it.
    ann.meeting
        .send_chat("sent during the outage", None)
        .await
        .unwrap();
    ann.reconnects().await;

    let got = bob.chats_until("sent during the outage").await;
    assert!(got.is_empty(), "{got:?}");
    ann.meeting.send_chat("after", None).await.unwrap();
    let got = bob.chats_until("after").await;
    assert!(got.is_empty(), "the outage message arrived twice: {got:?}");
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test]
async fn when_every_attempt_fails_the_meeting_ends_at_the_reconnect_limit() {
    let tb = testbed().await;
    let relay = relay_to(&tb).await;
    let mut o = options_via(&tb, &relay, "meet-no-network", "Ann");
    // Long enough for lib-jitsi-meet's three resumption tries (3 + 9 + 27 s at the most).
    o.timeouts.reconnect = Duration::from_secs(45);
    let mut ann = join(o).await;

    let before = relay.attempts();
    relay.down();
    ann.expect_state(ConnectionState::Reconnecting).await;
    ends_with_connection_lost(&mut ann).await;
    assert!(
        relay.attempts() - before >= 3,
        "lib-jitsi-meet's three resumption tries at least, then rejoin tries until the limit; saw {}",
        relay.attempts() - before
    );
}

#[tokio::test]
async fn when_the_server_no_longer_knows_the_session_the_sdk_rejoins() {
    // Prosody forgets a dropped session after a second instead of a minute.
    let tb = testbed_with(TestbedOptions {
        session_hibernation: Some(Duration::from_secs(1)),
        ..TestbedOptions::default()
    })
    .await;
    let relay = relay_to(&tb).await;
    let mut bob = join(options(&tb, "meet-forgotten", "Bob")).await;
    let mut ann = join(options_via(&tb, &relay, "meet-forgotten", "Ann")).await;
    bob.expect_joined_participant("Ann").await;

    // Ann's network is down until the server has dropped her session (Bob sees her leave).
    relay.down();
    ann.expect_state(ConnectionState::Reconnecting).await;
    bob.expect_left("Ann").await;
    relay.restore();
    ann.connected_again_within(ALL_RETRIES).await;
    bob.expect_joined_participant("Ann").await;
    ann.hang_up().await;
    bob.hang_up().await;
}
