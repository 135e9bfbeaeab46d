//! Media engine of omni-jitsi-meet: one WebRTC peer connection per Jingle session, Opus audio and
//! H.264 video, and plain frame records for the app's capture and rendering.
//!
//! The engine speaks SDP and ICE candidate strings; translating them to and from Jingle is the
//! job of the signalling layer. Codecs and the jitter buffer are usable on their own (and are
//! tested without sockets); [`session::MediaSession`] wires them to a webrtc `PeerConnection`.

pub mod audio;
mod error;
pub mod session;
pub mod signal;
pub mod video;

pub use error::MediaError;
