//! A dropped socket is resumed (XEP-0198) and what was sent meanwhile is not lost.

mod common;

use common::*;
use omni_jitsi_core::{ConferenceEvent, ConnectionState};

#[tokio::test]
async fn a_dropped_socket_is_resumed_without_losing_a_message() {
    let tb = testbed().await;
    let ws = tb.websocket_url();
    let prosody_port = url::Url::parse(&ws).unwrap().port().unwrap();
    let relay = Relay::start(prosody_port).await;

    let mut bob = join(options(&tb, "meet-resume", "Bob")).await;
    let mut ann_options = options(&tb, "meet-resume", "Ann");
    ann_options.server_url = format!("ws://127.0.0.1:{}/xmpp-websocket", relay.port);
    ann_options
        .config_overrides
        .insert("hosts.domain".into(), tb.domain().into());
    let mut ann = join(ann_options).await;
    bob.expect_joined_participant("Ann").await;

    relay.cut();
    // Sent while the socket is dead or dying: kept for replay until the server acknowledges it.
    ann.meeting
        .send_chat("sent during the outage", None)
        .await
        .unwrap();
    ann.expect("reconnecting", |e| {
        matches!(
            e,
            ConferenceEvent::ConnectionStateChanged {
                state: ConnectionState::Reconnecting
            }
        )
        .then_some(())
    })
    .await;
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
