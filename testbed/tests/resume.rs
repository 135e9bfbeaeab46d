//! A dropped socket is resumed (XEP-0198) and what was sent meanwhile is not lost; when the
//! session cannot be resumed, the meeting ends with `connection_lost`.

mod common;

use std::time::Duration;

use common::*;
use omni_jitsi_core::{ConferenceEvent, ConnectionState, TerminationReason};
use omni_jitsi_testbed::TestbedOptions;

/// lib-jitsi-meet's three resumption tries wait up to 3 + 9 + 27 s; a little more for the rest.
const ALL_RETRIES: Duration = Duration::from_secs(75);

async fn reconnecting(client: &mut Client) {
    client
        .expect("reconnecting", |e| {
            matches!(
                e,
                ConferenceEvent::ConnectionStateChanged {
                    state: ConnectionState::Reconnecting
                }
            )
            .then_some(())
        })
        .await;
}

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
    reconnecting(&mut ann).await;
    ann.expect("connected again", |e| match e {
        ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Connected,
        } => Some(()),
        ConferenceEvent::ConferenceTerminated { .. } => {
            panic!("the meeting ended instead of resuming: {e:?}")
        }
        _ => None,
    })
    .await;

    let got = bob.chats_until("sent during the outage").await;
    assert!(got.is_empty(), "{got:?}");
    ann.meeting.send_chat("after", None).await.unwrap();
    let got = bob.chats_until("after").await;
    assert!(got.is_empty(), "the outage message arrived twice: {got:?}");
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test]
async fn when_every_resumption_attempt_fails_the_meeting_ends_after_three() {
    let tb = testbed().await;
    let relay = relay_to(&tb).await;
    let mut ann = join(options_via(&tb, &relay, "meet-no-network", "Ann")).await;

    relay.refuse(true);
    let before = relay.attempts();
    relay.cut();
    reconnecting(&mut ann).await;
    ends_with_connection_lost(&mut ann).await;
    assert_eq!(
        relay.attempts() - before,
        3,
        "lib-jitsi-meet's three resumption attempts, no more"
    );
}

#[tokio::test]
async fn when_the_server_no_longer_knows_the_session_the_meeting_ends() {
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
    relay.refuse(true);
    relay.cut();
    reconnecting(&mut ann).await;
    bob.expect("participant_left Ann", |e| match e {
        ConferenceEvent::ParticipantLeft { display_name, .. }
            if display_name.as_deref() == Some("Ann") =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    let before = relay.attempts();
    relay.refuse(false);
    ends_with_connection_lost(&mut ann).await;
    assert!(
        relay.attempts() > before,
        "the meeting ended on the server's answer, not on refused connections"
    );
    bob.hang_up().await;
}
