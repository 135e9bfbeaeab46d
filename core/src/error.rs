//! The errors an app can act on. Each carries a message a person can read; none carries a token.

use crate::room_name::RoomNameError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("invalid room name: {0}")]
    InvalidRoomName(#[from] RoomNameError),
    #[error("invalid server URL {url:?}: {reason}")]
    InvalidServerUrl { url: String, reason: String },
    #[error("cannot reach the server at {url}: {detail}")]
    ServerUnreachable { url: String, detail: String },
    #[error("TLS failure talking to {host}: {detail}")]
    Tls { host: String, detail: String },
    #[error("this conference requires authentication")]
    AuthenticationRequired,
    #[error("the server refused our credentials or token: {0}")]
    NotAuthorized(String),
    #[error("the room is locked: a password is required")]
    PasswordRequired,
    #[error("the room password is wrong")]
    WrongPassword,
    #[error("the room has a lobby: a moderator must let you in")]
    LobbyRequired { lobby_room: Option<String> },
    #[error("another participant already uses this nickname in the room")]
    NicknameConflict,
    #[error("the room is full")]
    RoomFull,
    #[error("the conference focus did not answer in time")]
    FocusTimeout,
    #[error("the conference focus is unavailable: {0}")]
    FocusUnavailable(String),
    #[error("the conference could not be reserved: {message} (code {code})")]
    ReservationFailed { code: String, message: String },
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("only a moderator may do that")]
    NotModerator,
    #[error("recording is not available: {0}")]
    RecordingUnavailable(String),
    #[error("the server refused the request: {0}")]
    Refused(String),
    #[error("the connection was lost: {0}")]
    ConnectionLost(String),
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("the meeting has ended")]
    MeetingEnded,
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl Error {
    /// A stable machine-readable name, used in JSON events and for mapping to FFI errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::InvalidRoomName(_) => "invalid_room_name",
            Error::InvalidServerUrl { .. } => "invalid_server_url",
            Error::ServerUnreachable { .. } => "server_unreachable",
            Error::Tls { .. } => "tls",
            Error::AuthenticationRequired => "authentication_required",
            Error::NotAuthorized(_) => "not_authorized",
            Error::PasswordRequired => "password_required",
            Error::WrongPassword => "wrong_password",
            Error::LobbyRequired { .. } => "lobby_required",
            Error::NicknameConflict => "nickname_conflict",
            Error::RoomFull => "room_full",
            Error::FocusTimeout => "focus_timeout",
            Error::FocusUnavailable(_) => "focus_unavailable",
            Error::ReservationFailed { .. } => "reservation_failed",
            Error::Timeout(_) => "timeout",
            Error::NotModerator => "not_moderator",
            Error::RecordingUnavailable(_) => "recording_unavailable",
            Error::Refused(_) => "refused",
            Error::ConnectionLost(_) => "connection_lost",
            Error::Protocol(_) => "protocol",
            Error::MeetingEnded => "meeting_ended",
            Error::InvalidArgument(_) => "invalid_argument",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
