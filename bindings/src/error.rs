//! One error type for apps: a variant per thing an app can act on. It crosses the FFI as a flat
//! error, so each variant becomes an exception (Kotlin) or error case (Swift) whose message is
//! the core's readable text. The lobby room travels in the `LobbyEntered` event.

use omni_jitsi_core::Error;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum MeetingError {
    #[error("{0}")]
    InvalidRoomName(String),
    #[error("{0}")]
    InvalidServerUrl(String),
    #[error("{0}")]
    ServerUnreachable(String),
    #[error("{0}")]
    Tls(String),
    #[error("{0}")]
    AuthenticationRequired(String),
    #[error("{0}")]
    NotAuthorized(String),
    #[error("{0}")]
    PasswordRequired(String),
    #[error("{0}")]
    WrongPassword(String),
    #[error("{0}")]
    LobbyRequired(String),
    #[error("{0}")]
    NicknameConflict(String),
    #[error("{0}")]
    RoomFull(String),
    #[error("{0}")]
    FocusTimeout(String),
    #[error("{0}")]
    FocusUnavailable(String),
    #[error("{0}")]
    ReservationFailed(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    NotModerator(String),
    #[error("{0}")]
    RecordingUnavailable(String),
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    ConnectionLost(String),
    #[error("{0}")]
    Protocol(String),
    #[error("{0}")]
    MeetingEnded(String),
    #[error("{0}")]
    InvalidArgument(String),
    /// A bug inside the SDK (a Rust panic), caught before it reached the app: the call failed,
    /// the meeting goes on where it can. Please report the message.
    #[error("{0}")]
    Internal(String),
}

impl From<Error> for MeetingError {
    fn from(e: Error) -> Self {
        let m = e.to_string();
        match e {
            Error::InvalidRoomName(_) => MeetingError::InvalidRoomName(m),
            Error::InvalidServerUrl { .. } => MeetingError::InvalidServerUrl(m),
            Error::ServerUnreachable { .. } => MeetingError::ServerUnreachable(m),
            Error::Tls { .. } => MeetingError::Tls(m),
            Error::AuthenticationRequired => MeetingError::AuthenticationRequired(m),
            Error::NotAuthorized(_) => MeetingError::NotAuthorized(m),
            Error::PasswordRequired => MeetingError::PasswordRequired(m),
            Error::WrongPassword => MeetingError::WrongPassword(m),
            Error::LobbyRequired { .. } => MeetingError::LobbyRequired(m),
            Error::NicknameConflict => MeetingError::NicknameConflict(m),
            Error::RoomFull => MeetingError::RoomFull(m),
            Error::FocusTimeout => MeetingError::FocusTimeout(m),
            Error::FocusUnavailable(_) => MeetingError::FocusUnavailable(m),
            Error::ReservationFailed { .. } => MeetingError::ReservationFailed(m),
            Error::Timeout(_) => MeetingError::Timeout(m),
            Error::NotModerator => MeetingError::NotModerator(m),
            Error::RecordingUnavailable(_) => MeetingError::RecordingUnavailable(m),
            Error::Refused(_) => MeetingError::Refused(m),
            Error::ConnectionLost(_) => MeetingError::ConnectionLost(m),
            Error::Protocol(_) => MeetingError::Protocol(m),
            Error::MeetingEnded => MeetingError::MeetingEnded(m),
            Error::InvalidArgument(_) => MeetingError::InvalidArgument(m),
        }
    }
}
