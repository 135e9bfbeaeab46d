//! Two sessions in one process, connected over loopback UDP, optionally through a relay that
//! can drop packets.

#![allow(dead_code)]

pub mod relay;

use std::time::Duration;

use omni_jitsi_media::session::{ConnectionState, MediaSession, SessionConfig, SessionEvent};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};
use tokio::time::timeout;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Peer {
    pub session: MediaSession,
    pub events: UnboundedReceiver<SessionEvent>,
}

pub fn config(endpoint: &str) -> SessionConfig {
    let mut config = SessionConfig::new(endpoint);
    config.udp_addrs = vec!["127.0.0.1:0".into()];
    config
}

pub async fn peer(config: SessionConfig) -> Peer {
    let _ = env_logger::builder().is_test(true).try_init();
    let (tx, events) = unbounded_channel();
    Peer {
        session: MediaSession::new(config, tx).await.expect("session"),
        events,
    }
}

/// Offer from `a`, answer from `b`, candidates passed through `rewrite` (the relay's address
/// translation, or unchanged), until both report Connected.
pub async fn connect(a: &mut Peer, b: &mut Peer, rewrite: &dyn Fn(Side, &str) -> String) {
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b
        .session
        .accept_offer(&strip_candidates(&offer))
        .await
        .expect("answer");
    a.session
        .set_answer(&strip_candidates(&answer))
        .await
        .expect("set answer");
    let mut connected = (false, false);
    let result = timeout(CONNECT_TIMEOUT, async {
        while connected != (true, true) {
            tokio::select! {
                Some(event) = a.events.recv() => match event {
                    SessionEvent::LocalCandidate(c) => b.session.add_remote_candidate(&rewrite(Side::A, &c)).await.expect("candidate"),
                    SessionEvent::ConnectionState(ConnectionState::Connected) => connected.0 = true,
                    _ => {}
                },
                Some(event) = b.events.recv() => match event {
                    SessionEvent::LocalCandidate(c) => a.session.add_remote_candidate(&rewrite(Side::B, &c)).await.expect("candidate"),
                    SessionEvent::ConnectionState(ConnectionState::Connected) => connected.1 = true,
                    _ => {}
                },
            }
        }
    })
    .await;
    assert!(
        result.is_ok(),
        "not connected within {CONNECT_TIMEOUT:?}: {connected:?}"
    );
}

pub async fn connected_pair() -> (Peer, Peer) {
    let mut a = peer(config("a")).await;
    let mut b = peer(config("b")).await;
    connect(&mut a, &mut b, &|_, c| c.to_owned()).await;
    (a, b)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// Candidates travel only by trickle here, so the relay can translate every one of them.
fn strip_candidates(sdp: &str) -> String {
    sdp.split_inclusive('\n')
        .filter(|line| !line.starts_with("a=candidate") && !line.starts_with("a=end-of-candidates"))
        .collect()
}
