//! Recording and live streaming through the deployment's Jibri, mirroring core `recording`.

use omni_jitsi_core::recording as core;

use crate::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordingStatus {
    Off,
    Pending,
    On,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RecordingMode {
    File,
    Stream,
}

/// What to ask Jibri for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum RecordingRequest {
    /// A file the deployment stores (Dropbox or its own storage, as it is configured).
    File,
    /// A live stream: a YouTube stream key or an RTMP URL.
    Stream {
        stream_key: Secret,
        broadcast_id: Option<String>,
    },
}

/// The room's recording as the conference focus publishes it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Recording {
    pub status: RecordingStatus,
    pub mode: Option<RecordingMode>,
    pub session_id: Option<String>,
    /// Who started it (status on) or stopped it (status off), when known.
    pub initiator: Option<String>,
    /// Jibri's failure reason, when it could not record.
    pub error: Option<String>,
}

impl From<RecordingRequest> for core::RecordingRequest {
    fn from(r: RecordingRequest) -> Self {
        match r {
            RecordingRequest::File => core::RecordingRequest::File,
            RecordingRequest::Stream {
                stream_key,
                broadcast_id,
            } => core::RecordingRequest::Stream {
                stream_key: stream_key.into(),
                broadcast_id,
            },
        }
    }
}

impl From<core::RecordingState> for Recording {
    fn from(r: core::RecordingState) -> Self {
        Recording {
            status: match r.status {
                core::RecordingStatus::Off => RecordingStatus::Off,
                core::RecordingStatus::Pending => RecordingStatus::Pending,
                core::RecordingStatus::On => RecordingStatus::On,
            },
            mode: r.mode.map(|m| match m {
                core::RecordingMode::File => RecordingMode::File,
                core::RecordingMode::Stream => RecordingMode::Stream,
            }),
            session_id: r.session_id,
            initiator: r.initiator.map(|e| e.to_string()),
            error: r.error,
        }
    }
}
