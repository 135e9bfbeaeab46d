//! A peer whose DTLS certificate is not the one its SDP fingerprint names (a man in the middle
//! who could rewrite the signalling but holds another key): no media key is made, nothing is
//! heard, and both sides report the failed handshake once ICE has connected.

mod common;

use std::time::Duration;

use common::{config, peer, Peer};
use omni_jitsi_media::audio::{Channels, FrameDuration};
use omni_jitsi_media::session::{ConnectionState, SessionEvent};
use omni_jitsi_media::signal::ToneGenerator;
use tokio::time::{interval, timeout, Instant};

fn fingerprint_line(sdp: &str) -> &str {
    sdp.lines()
        .find(|l| l.starts_with("a=fingerprint:"))
        .expect("the SDP has a fingerprint")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_other_than_the_signalled_one_gets_no_media_and_both_sides_are_told() {
    let mut a = peer(config("a")).await;
    let mut b = peer(config("b")).await;
    let stranger = peer(config("c")).await;
    let strangers_offer = stranger.session.create_offer().await.unwrap();

    let offer = a.session.create_offer().await.unwrap();
    let answer = b.session.accept_offer(&offer).await.unwrap();
    // What reaches `a` names another certificate than the one `b` will present.
    let forged = answer.replace(
        fingerprint_line(&answer),
        fingerprint_line(&strangers_offer),
    );
    assert_ne!(forged, answer);
    a.session.set_answer(&forged).await.unwrap();

    let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut clock = interval(Duration::from_millis(20));
    let mut failed = (false, false);
    let deadline = Instant::now() + Duration::from_secs(30);
    let outcome = timeout(Duration::from_secs(30), async {
        while failed != (true, true) {
            tokio::select! {
                _ = clock.tick() => {
                    for p in [&a, &b] {
                        p.session.send_audio(&tone.next_frame(FrameDuration::Ms20)).await.unwrap();
                    }
                }
                Some(event) = a.events.recv() => note(&event, &b, &mut failed.0, "a").await,
                Some(event) = b.events.recv() => note(&event, &a, &mut failed.1, "b").await,
            }
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "both sides report the failed handshake before {deadline:?}: {failed:?}"
    );
    for p in [&a, &b] {
        let stats = p.session.stats().await;
        assert!(
            stats.received.iter().all(|s| s.packets == 0)
                && stats.sent.iter().all(|s| s.packets == 0),
            "{stats:?}"
        );
    }
    for p in [a, b, stranger] {
        p.session.close().await.unwrap();
    }
}

/// Passes candidates on, marks a reported handshake failure, and fails on any sign of media.
async fn note(event: &SessionEvent, other: &Peer, failed: &mut bool, who: &str) {
    match event {
        SessionEvent::LocalCandidate(c) => other.session.add_remote_candidate(c).await.unwrap(),
        SessionEvent::HandshakeFailed => *failed = true,
        SessionEvent::ConnectionState(ConnectionState::Connected) => {
            panic!("{who} connected to a peer whose certificate is not the signalled one")
        }
        SessionEvent::RemoteAudio { .. } | SessionEvent::RemoteVideo { .. } => {
            panic!("{who} received media from an impostor")
        }
        _ => {}
    }
}
