use crate::audio::RemoteAudio;
use crate::video::VideoFrame;

/// A remote stream: its SSRC and, once the signalling layer named it, its Jitsi source name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RemoteSource {
    pub ssrc: u32,
    pub name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionState {
    New,
    Connecting,
    Connected,
    Disconnected,
    Failed,
    Closed,
}

pub enum SessionEvent {
    /// A local ICE candidate line (`candidate:...`) to trickle in a Jingle `transport-info`.
    LocalCandidate(String),
    /// All local candidates are known (and in [`super::MediaSession::local_description`]).
    CandidatesGathered,
    ConnectionState(ConnectionState),
    /// A remote audio stream started: pull its PCM from the app's audio callback.
    RemoteAudio {
        source: RemoteSource,
        audio: RemoteAudio,
    },
    /// A decoded remote picture.
    RemoteVideo {
        source: RemoteSource,
        frame: VideoFrame,
    },
    /// The receiver lost the picture and asked for a keyframe (PLI or FIR). The built-in encoder
    /// already obeys; apps feeding [`super::MediaSession::send_h264`] must make their encoder
    /// emit an IDR.
    KeyframeRequested,
    /// ICE connected but the DTLS handshake did not complete: no media can flow, and the likely
    /// cause is a peer whose certificate is not the one its fingerprint names (someone in the
    /// middle). webrtc verifies the fingerprint; this only reports the outcome.
    HandshakeFailed,
}

impl std::fmt::Debug for SessionEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionEvent::LocalCandidate(c) => write!(f, "LocalCandidate({c})"),
            SessionEvent::CandidatesGathered => write!(f, "CandidatesGathered"),
            SessionEvent::ConnectionState(s) => write!(f, "ConnectionState({s:?})"),
            SessionEvent::RemoteAudio { source, .. } => write!(f, "RemoteAudio({source:?})"),
            SessionEvent::RemoteVideo { source, frame } => {
                write!(
                    f,
                    "RemoteVideo({source:?}, {}x{} at {:?})",
                    frame.width, frame.height, frame.timestamp
                )
            }
            SessionEvent::KeyframeRequested => write!(f, "KeyframeRequested"),
            SessionEvent::HandshakeFailed => write!(f, "HandshakeFailed"),
        }
    }
}
