//! Everything a UI needs to know, as one event stream. The JSON form (serde) is the CLI's output
//! and is documented in the README.

use serde::Serialize;

use crate::jid::EndpointId;
use crate::recording::RecordingState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Moderator,
    Participant,
    Visitor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Affiliation {
    Owner,
    Admin,
    Member,
    None,
    Outcast,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub endpoint_id: EndpointId,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub role: Role,
    pub affiliation: Affiliation,
    pub audio_muted: bool,
    pub video_muted: bool,
    /// When the hand went up (ms since the Unix epoch), as lib-jitsi-meet signals it.
    pub hand_raised_at: Option<u64>,
    pub stats_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    pub from: EndpointId,
    pub from_name: Option<String>,
    pub text: String,
    pub private: bool,
    /// ms since the Unix epoch: the sender's time for history (XEP-0203), else arrival time.
    pub timestamp_ms: u64,
    /// True for messages the room replays from its history on join.
    pub delayed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    Connecting,
    Connected,
    Reconnecting,
    Disconnected,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TerminationReason {
    /// The app hung up.
    HungUp,
    /// A moderator removed us.
    Kicked,
    /// The room was destroyed under us.
    RoomDestroyed,
    /// The connection dropped and could not be recovered.
    ConnectionLost,
    /// Joining failed; `error` says why.
    JoinFailed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ConferenceEvent {
    ConnectionStateChanged {
        state: ConnectionState,
    },
    ConferenceWillJoin {
        room: String,
    },
    ConferenceJoined {
        room: String,
        endpoint_id: EndpointId,
        role: Role,
    },
    ConferenceTerminated {
        reason: TerminationReason,
        /// The error kind (see `Error::kind`) when the ending was not asked for.
        error: Option<String>,
        message: Option<String>,
    },
    ParticipantJoined {
        participant: Participant,
    },
    ParticipantLeft {
        endpoint_id: EndpointId,
        display_name: Option<String>,
    },
    ParticipantUpdated {
        participant: Participant,
    },
    /// Our own role changed (a moderator granted or revoked moderation).
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
    /// The room's recording or live stream started, is starting, or stopped (as the focus says).
    RecordingStatusChanged {
        recording: RecordingState,
    },
    /// The room turned out to have a lobby; the join ends with `LobbyRequired`.
    LobbyEntered {
        lobby_room: Option<String>,
    },
    /// A remote participant's audio or video source is now part of our media session: pull its
    /// audio with `Meeting::remote_audio`, receive its pictures from `Meeting::remote_video`.
    RemoteTrackAdded {
        endpoint_id: EndpointId,
        source_name: String,
        kind: MediaKind,
    },
    RemoteTrackRemoved {
        endpoint_id: EndpointId,
        source_name: String,
        kind: MediaKind,
    },
    /// Media moved to a direct peer-to-peer session (`true`) or back to the bridge (`false`).
    P2pStatusChanged {
        active: bool,
    },
    /// The connection carrying our media (P2P or the bridge) stopped hearing from the other
    /// side (`true`: lib-jitsi-meet's CONNECTION_INTERRUPTED) or hears it again (`false`). An
    /// interruption that lasts becomes a new session, without an app call.
    MediaConnectionChanged {
        interrupted: bool,
    },
    /// A participant (which can be us) started or stopped sharing their screen; its pictures
    /// arrive as the video source `ENDPOINT-v1`.
    ScreenShareToggled {
        endpoint_id: EndpointId,
        on: bool,
    },
    /// The bridge names a new loudest speaker (which can be us).
    DominantSpeakerChanged {
        endpoint_id: EndpointId,
    },
    /// The video sources the bridge now forwards to us (after last-N and constraints).
    ForwardedSourcesChanged {
        sources: Vec<String>,
    },
    /// A JSON message another participant sent over the bridge channel.
    EndpointMessageReceived {
        from: EndpointId,
        json: String,
    },
    /// A non-fatal problem the app may want to show or log.
    Error {
        error: String,
        message: String,
    },
}

impl ConferenceEvent {
    pub fn name(&self) -> &'static str {
        match self {
            ConferenceEvent::ConnectionStateChanged { .. } => "connection_state_changed",
            ConferenceEvent::ConferenceWillJoin { .. } => "conference_will_join",
            ConferenceEvent::ConferenceJoined { .. } => "conference_joined",
            ConferenceEvent::ConferenceTerminated { .. } => "conference_terminated",
            ConferenceEvent::ParticipantJoined { .. } => "participant_joined",
            ConferenceEvent::ParticipantLeft { .. } => "participant_left",
            ConferenceEvent::ParticipantUpdated { .. } => "participant_updated",
            ConferenceEvent::RoleChanged { .. } => "role_changed",
            ConferenceEvent::AudioMutedChanged { .. } => "audio_muted_changed",
            ConferenceEvent::VideoMutedChanged { .. } => "video_muted_changed",
            ConferenceEvent::HandRaisedChanged { .. } => "hand_raised_changed",
            ConferenceEvent::ChatMessageReceived { .. } => "chat_message_received",
            ConferenceEvent::SubjectChanged { .. } => "subject_changed",
            ConferenceEvent::RecordingStatusChanged { .. } => "recording_status_changed",
            ConferenceEvent::LobbyEntered { .. } => "lobby_entered",
            ConferenceEvent::RemoteTrackAdded { .. } => "remote_track_added",
            ConferenceEvent::RemoteTrackRemoved { .. } => "remote_track_removed",
            ConferenceEvent::P2pStatusChanged { .. } => "p2p_status_changed",
            ConferenceEvent::MediaConnectionChanged { .. } => "media_connection_changed",
            ConferenceEvent::ScreenShareToggled { .. } => "screen_share_toggled",
            ConferenceEvent::DominantSpeakerChanged { .. } => "dominant_speaker_changed",
            ConferenceEvent::ForwardedSourcesChanged { .. } => "forwarded_sources_changed",
            ConferenceEvent::EndpointMessageReceived { .. } => "endpoint_message_received",
            ConferenceEvent::Error { .. } => "error",
        }
    }
}
