//! omni-jitsi-core: a Jitsi Meet client in Rust.
//!
//! Protocol modules (`xmpp`, `focus`, `muc`, `conference::state`) are sans-IO state machines over
//! parsed stanzas and the current time, and `jingle` is a pure Jingle <-> SDP translator;
//! `conference::driver` and `transport` do the I/O.

pub mod bridge;
pub mod conference;
pub mod error;
pub mod events;
pub mod focus;
pub mod jid;
pub mod jingle;
pub mod muc;
pub mod options;
pub mod recording;
mod redact;
pub mod room_name;
pub mod server;
pub mod time;
pub mod transport;
pub mod xml;
pub mod xmpp;

pub use conference::{join, Meeting, ReceiverConstraints, RemoteVideoFrame};
pub use error::{Error, Result};
pub use events::{
    Affiliation, ChatMessage, ConferenceEvent, ConnectionState, MediaKind, Participant, Role,
    TerminationReason,
};
pub use jid::{EndpointId, Jid};
/// The media engine: frame types (`media::audio::AudioFrame`, `media::video::VideoFrame`) and
/// test signals.
pub use omni_jitsi_media as media;
pub use options::{MeetingOptions, Timeouts};
pub use recording::{RecordingMode, RecordingRequest, RecordingState, RecordingStatus};
pub use room_name::RoomName;
