//! Nobody in the middle of the media path: a peer whose DTLS certificate is not the one its
//! Jingle fingerprint names gets no media from us and none to us, and the app is told.

mod common;

use std::time::Duration;

use common::*;
use omni_jitsi_core::{ConferenceEvent, MeetingOptions};
use omni_jitsi_testbed::{FocusBehaviour, TestbedOptions};

fn on_the_bridge(mut o: MeetingOptions) -> MeetingOptions {
    o.config_overrides
        .insert("p2p.enabled".into(), "false".into());
    o
}

async fn expect_dtls_failed(client: &mut Client) -> String {
    client
        .expect("error dtls_failed", |e| match e {
            ConferenceEvent::Error { error, message } if error == "dtls_failed" => {
                Some(message.clone())
            }
            _ => None,
        })
        .await
}

/// Signalling does not depend on the media path: chat still crosses, then both leave.
async fn the_meeting_goes_on(ann: Client, mut bob: Client, text: &str) {
    ann.meeting.send_chat(text, None).await.unwrap();
    bob.chats_until(text).await;
    ann.hang_up().await;
    bob.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_whose_certificate_is_not_the_announced_one_gets_no_media_and_the_app_is_told() {
    let tb = testbed_with(TestbedOptions {
        bridge_impostor: true,
        ..TestbedOptions::default()
    })
    .await;
    let room = "mitm-bridge";
    let mut ann = join(on_the_bridge(options(&tb, room, "Ann"))).await;
    let mut bob = join(on_the_bridge(options(&tb, room, "Bob"))).await;
    ann.expect_joined_participant("Bob").await;

    // Both send their tones all along: none may come out at the other end.
    let heard = both_hear_within(&ann, &bob, Duration::from_secs(12)).await;
    assert!(
        heard.is_err(),
        "media crossed an impostor bridge: {heard:?}"
    );
    let message = expect_dtls_failed(&mut ann).await;
    assert!(message.contains("certificate"), "{message}");
    expect_dtls_failed(&mut bob).await;

    for client in [&ann, &bob] {
        let stats = client.meeting.media_stats().await;
        if let Some(stats) = stats {
            assert!(
                stats.sent.iter().all(|s| s.packets == 0) && stats.received.is_empty(),
                "{}: {stats:?}",
                client.name
            );
        }
    }

    the_meeting_goes_on(ann, bob, "the bridge is not who it says").await;
}

/// Two SDK clients peer to peer, one of them behind an attacker on the signalling path who
/// replaces the fingerprint in everything the server sends it: each side's certificate no longer
/// matches what the other was told, so no media flows either way and both are told.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_p2p_peer_whose_fingerprint_was_forged_on_the_way_gets_no_media_and_both_are_told() {
    // No bridge: the only media path is the P2P one under attack.
    let tb = testbed_with(TestbedOptions {
        focus: FocusBehaviour {
            bridge: false,
            ..FocusBehaviour::default()
        },
        ..TestbedOptions::default()
    })
    .await;
    let room = "mitm-p2p";
    let relay = relay_to(&tb).await;
    relay.forge_fingerprints();
    let mut ann = join(options(&tb, room, "Ann")).await;
    let mut bob = join(options_via(&tb, &relay, room, "Bob")).await;
    ann.expect_joined_participant("Bob").await;

    let heard = both_hear_within(&ann, &bob, Duration::from_secs(12)).await;
    assert!(
        heard.is_err(),
        "media crossed a forged P2P session: {heard:?}"
    );
    expect_dtls_failed(&mut ann).await;
    expect_dtls_failed(&mut bob).await;

    the_meeting_goes_on(ann, bob, "someone changed our fingerprints").await;
}
