//! Events as Kotlin sealed classes / Swift enums, converted one to one from the core's.

use omni_jitsi_core::events as core;

use crate::recording::Recording;

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    Moderator,
    Participant,
    Visitor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Affiliation {
    Owner,
    Admin,
    Member,
    None,
    Outcast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ConnectionState {
    Connecting,
    Connected,
    Reconnecting,
    Disconnected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TerminationReason {
    HungUp,
    Kicked,
    RoomDestroyed,
    ConnectionLost,
    JoinFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MediaKind {
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Participant {
    pub endpoint_id: String,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub affiliation: Affiliation,
    pub audio_muted: bool,
    pub video_muted: bool,
    /// When the hand went up, in ms since the Unix epoch; null when it is down.
    pub hand_raised_at: Option<u64>,
    pub stats_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ChatMessage {
    pub from: String,
    pub from_name: Option<String>,
    pub text: String,
    pub private: bool,
    pub timestamp_ms: u64,
    pub delayed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum MeetingEvent {
    ConferenceWillJoin {
        room: String,
    },
    ConferenceJoined {
        room: String,
        endpoint_id: String,
        role: Role,
    },
    /// The last event of every meeting, a failed join included.
    ConferenceTerminated {
        reason: TerminationReason,
        error: Option<String>,
        message: Option<String>,
    },
    ConnectionStateChanged {
        state: ConnectionState,
    },
    ParticipantJoined {
        participant: Participant,
    },
    ParticipantLeft {
        endpoint_id: String,
        display_name: Option<String>,
    },
    ParticipantUpdated {
        participant: Participant,
    },
    RoleChanged {
        role: Role,
    },
    AudioMutedChanged {
        muted: bool,
    },
    VideoMutedChanged {
        muted: bool,
    },
    HandRaisedChanged {
        raised: bool,
    },
    ChatMessageReceived {
        message: ChatMessage,
    },
    SubjectChanged {
        subject: String,
    },
    RecordingStatusChanged {
        recording: Recording,
    },
    LobbyEntered {
        lobby_room: Option<String>,
    },
    /// Another participant's source joined our media session: pull its audio with
    /// `Meeting.pullRemoteAudio(sourceName, ...)`; its pictures reach `RemoteVideoSink`.
    RemoteTrackAdded {
        endpoint_id: String,
        source_name: String,
        kind: MediaKind,
    },
    RemoteTrackRemoved {
        endpoint_id: String,
        source_name: String,
        kind: MediaKind,
    },
    /// Media moved to a direct peer-to-peer session (`true`) or back to the bridge (`false`).
    P2pStatusChanged {
        active: bool,
    },
    /// The connection carrying our media (P2P or the bridge) stopped hearing from the other
    /// side (`true`) or hears it again (`false`); one that stays interrupted is replaced by a new
    /// session without an app call.
    MediaConnectionChanged {
        interrupted: bool,
    },
    /// A participant (which can be us) started or stopped sharing their screen; its pictures
    /// arrive as the video source `ENDPOINT-v1`.
    ScreenShareToggled {
        endpoint_id: String,
        on: bool,
    },
    /// The bridge names a new loudest speaker (which can be us).
    DominantSpeakerChanged {
        endpoint_id: String,
    },
    /// The video sources the bridge now forwards to us (after last-N and constraints).
    ForwardedSourcesChanged {
        sources: Vec<String>,
    },
    /// A JSON text another participant sent over the bridge channel.
    EndpointMessageReceived {
        from: String,
        json: String,
    },
    Error {
        error: String,
        message: String,
    },
}

impl From<core::Role> for Role {
    fn from(r: core::Role) -> Self {
        match r {
            core::Role::Moderator => Role::Moderator,
            core::Role::Participant => Role::Participant,
            core::Role::Visitor => Role::Visitor,
        }
    }
}

impl From<core::Affiliation> for Affiliation {
    fn from(a: core::Affiliation) -> Self {
        match a {
            core::Affiliation::Owner => Affiliation::Owner,
            core::Affiliation::Admin => Affiliation::Admin,
            core::Affiliation::Member => Affiliation::Member,
            core::Affiliation::None => Affiliation::None,
            core::Affiliation::Outcast => Affiliation::Outcast,
        }
    }
}

impl From<core::ConnectionState> for ConnectionState {
    fn from(s: core::ConnectionState) -> Self {
        match s {
            core::ConnectionState::Connecting => ConnectionState::Connecting,
            core::ConnectionState::Connected => ConnectionState::Connected,
            core::ConnectionState::Reconnecting => ConnectionState::Reconnecting,
            core::ConnectionState::Disconnected => ConnectionState::Disconnected,
        }
    }
}

impl From<core::TerminationReason> for TerminationReason {
    fn from(r: core::TerminationReason) -> Self {
        match r {
            core::TerminationReason::HungUp => TerminationReason::HungUp,
            core::TerminationReason::Kicked => TerminationReason::Kicked,
            core::TerminationReason::RoomDestroyed => TerminationReason::RoomDestroyed,
            core::TerminationReason::ConnectionLost => TerminationReason::ConnectionLost,
            core::TerminationReason::JoinFailed => TerminationReason::JoinFailed,
        }
    }
}

impl From<core::MediaKind> for MediaKind {
    fn from(k: core::MediaKind) -> Self {
        match k {
            core::MediaKind::Audio => MediaKind::Audio,
            core::MediaKind::Video => MediaKind::Video,
        }
    }
}

impl From<core::Participant> for Participant {
    fn from(p: core::Participant) -> Self {
        Participant {
            endpoint_id: p.endpoint_id.to_string(),
            display_name: p.display_name,
            email: p.email,
            avatar_url: p.avatar_url,
            role: p.role.into(),
            affiliation: p.affiliation.into(),
            audio_muted: p.audio_muted,
            video_muted: p.video_muted,
            hand_raised_at: p.hand_raised_at,
            stats_id: p.stats_id,
        }
    }
}

impl From<core::ChatMessage> for ChatMessage {
    fn from(m: core::ChatMessage) -> Self {
        ChatMessage {
            from: m.from.to_string(),
            from_name: m.from_name,
            text: m.text,
            private: m.private,
            timestamp_ms: m.timestamp_ms,
            delayed: m.delayed,
        }
    }
}

impl From<core::ConferenceEvent> for MeetingEvent {
    fn from(e: core::ConferenceEvent) -> Self {
        use core::ConferenceEvent as E;
        match e {
            E::ConferenceWillJoin { room } => MeetingEvent::ConferenceWillJoin { room },
            E::ConferenceJoined {
                room,
                endpoint_id,
                role,
            } => MeetingEvent::ConferenceJoined {
                room,
                endpoint_id: endpoint_id.to_string(),
                role: role.into(),
            },
            E::ConferenceTerminated {
                reason,
                error,
                message,
            } => MeetingEvent::ConferenceTerminated {
                reason: reason.into(),
                error,
                message,
            },
            E::ConnectionStateChanged { state } => MeetingEvent::ConnectionStateChanged {
                state: state.into(),
            },
            E::ParticipantJoined { participant } => MeetingEvent::ParticipantJoined {
                participant: participant.into(),
            },
            E::ParticipantLeft {
                endpoint_id,
                display_name,
            } => MeetingEvent::ParticipantLeft {
                endpoint_id: endpoint_id.to_string(),
                display_name,
            },
            E::ParticipantUpdated { participant } => MeetingEvent::ParticipantUpdated {
                participant: participant.into(),
            },
            E::RoleChanged { role } => MeetingEvent::RoleChanged { role: role.into() },
            E::AudioMutedChanged { muted } => MeetingEvent::AudioMutedChanged { muted },
            E::VideoMutedChanged { muted } => MeetingEvent::VideoMutedChanged { muted },
            E::HandRaisedChanged { raised } => MeetingEvent::HandRaisedChanged { raised },
            E::ChatMessageReceived { message } => MeetingEvent::ChatMessageReceived {
                message: message.into(),
            },
            E::SubjectChanged { subject } => MeetingEvent::SubjectChanged { subject },
            E::RecordingStatusChanged { recording } => MeetingEvent::RecordingStatusChanged {
                recording: recording.into(),
            },
            E::LobbyEntered { lobby_room } => MeetingEvent::LobbyEntered { lobby_room },
            E::RemoteTrackAdded {
                endpoint_id,
                source_name,
                kind,
            } => MeetingEvent::RemoteTrackAdded {
                endpoint_id: endpoint_id.to_string(),
                source_name,
                kind: kind.into(),
            },
            E::RemoteTrackRemoved {
                endpoint_id,
                source_name,
                kind,
            } => MeetingEvent::RemoteTrackRemoved {
                endpoint_id: endpoint_id.to_string(),
                source_name,
                kind: kind.into(),
            },
            E::P2pStatusChanged { active } => MeetingEvent::P2pStatusChanged { active },
            E::MediaConnectionChanged { interrupted } => {
                MeetingEvent::MediaConnectionChanged { interrupted }
            }
            E::ScreenShareToggled { endpoint_id, on } => MeetingEvent::ScreenShareToggled {
                endpoint_id: endpoint_id.to_string(),
                on,
            },
            E::DominantSpeakerChanged { endpoint_id } => MeetingEvent::DominantSpeakerChanged {
                endpoint_id: endpoint_id.to_string(),
            },
            E::ForwardedSourcesChanged { sources } => {
                MeetingEvent::ForwardedSourcesChanged { sources }
            }
            E::EndpointMessageReceived { from, json } => MeetingEvent::EndpointMessageReceived {
                from: from.to_string(),
                json,
            },
            E::Error { error, message } => MeetingEvent::Error { error, message },
        }
    }
}
