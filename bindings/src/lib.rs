//! The UniFFI surface of omni-jitsi-core for Kotlin (`org.omnijitsi.meet`) and Swift
//! (`OmniJitsiMeet`). Only conversions live here: each module mirrors the core type it wraps.

mod error;
mod events;
mod media;
mod meeting;
mod options;
mod platform;
mod recording;
mod runtime;
mod secret;
mod stats;

pub use error::MeetingError;
pub use events::{
    Affiliation, ChatMessage, ConnectionState, MediaKind, MeetingEvent, Participant, Role,
    TerminationReason,
};
pub use media::{AudioFrame, RemoteVideoSink, VideoFrame, VideoSubscription};
pub use meeting::{join, Meeting, MeetingListener};
pub use options::{MeetingOptions, Timeouts};
pub use platform::logging::{set_log_level, set_log_sink, LogLevel, LogSink};
pub use recording::{Recording, RecordingMode, RecordingRequest, RecordingStatus};
pub use secret::Secret;

uniffi::setup_scaffolding!();
