use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnectionEventHandler, RTCIceConnectionState, RTCIceGatheringState,
    RTCPeerConnectionIceEvent, RTCPeerConnectionState,
};

use super::events::{ConnectionState, SessionEvent};
use super::receive;
use super::Shared;

/// Turns webrtc's callbacks into [`SessionEvent`]s and starts a receive task per remote track.
pub(crate) struct Handler {
    shared: Arc<Shared>,
}

impl Handler {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        Handler { shared }
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => self
                .shared
                .emit(SessionEvent::LocalCandidate(init.candidate)),
            Err(err) => log::debug!("skipping a local candidate that cannot be written: {err}"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.shared.emit(SessionEvent::CandidatesGathered);
        }
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        if matches!(
            state,
            RTCIceConnectionState::Connected | RTCIceConnectionState::Completed
        ) {
            watch_handshake(&self.shared);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        if state == RTCPeerConnectionState::Connected {
            self.shared.connected.store(true, Ordering::SeqCst);
        }
        let state = match state {
            RTCPeerConnectionState::Connecting => ConnectionState::Connecting,
            RTCPeerConnectionState::Connected => ConnectionState::Connected,
            RTCPeerConnectionState::Disconnected => ConnectionState::Disconnected,
            RTCPeerConnectionState::Failed => ConnectionState::Failed,
            RTCPeerConnectionState::Closed => ConnectionState::Closed,
            _ => ConnectionState::New,
        };
        self.shared.emit(SessionEvent::ConnectionState(state));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        tokio::spawn(receive::run(track, self.shared.clone()));
    }
}

/// ICE has shown the path works, so a DTLS handshake that has not finished by now (about seven
/// flight retransmissions) never will: the peer's certificate does not match the fingerprint it
/// signalled, which webrtc refuses without a state change of its own, or it speaks no DTLS we
/// accept.
const DTLS_HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

fn watch_handshake(shared: &Arc<Shared>) {
    if shared.connected.load(Ordering::SeqCst)
        || shared.handshake_watched.swap(true, Ordering::SeqCst)
    {
        return;
    }
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(DTLS_HANDSHAKE_LIMIT).await;
        if !shared.connected.load(Ordering::SeqCst) && !shared.closed.load(Ordering::SeqCst) {
            shared.handshake_failed.store(true, Ordering::SeqCst);
            shared.emit(SessionEvent::HandshakeFailed);
        }
    });
}
