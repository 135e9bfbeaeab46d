//! One error type for apps: a variant per thing an app can act on, each with a readable message.

use omni_jitsi_core::Error;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum MeetingError {
    #[error("{message}")]
    InvalidRoomName { message: String },
    #[error("{message}")]
    InvalidServerUrl { message: String },
    #[error("{message}")]
    ServerUnreachable { message: String },
    #[error("{message}")]
    Tls { message: String },
    #[error("{message}")]
    AuthenticationRequired { message: String },
    #[error("{message}")]
    NotAuthorized { message: String },
    #[error("{message}")]
    PasswordRequired { message: String },
    #[error("{message}")]
    WrongPassword { message: String },
    #[error("{message}")]
    LobbyRequired {
        message: String,
        lobby_room: Option<String>,
    },
    #[error("{message}")]
    NicknameConflict { message: String },
    #[error("{message}")]
    RoomFull { message: String },
    #[error("{message}")]
    FocusTimeout { message: String },
    #[error("{message}")]
    FocusUnavailable { message: String },
    #[error("{message}")]
    ReservationFailed { message: String, code: String },
    #[error("{message}")]
    Timeout { message: String },
    #[error("{message}")]
    NotModerator { message: String },
    #[error("{message}")]
    Refused { message: String },
    #[error("{message}")]
    ConnectionLost { message: String },
    #[error("{message}")]
    Protocol { message: String },
    #[error("{message}")]
    MeetingEnded { message: String },
    #[error("{message}")]
    InvalidArgument { message: String },
}

impl From<Error> for MeetingError {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::InvalidRoomName(_) => MeetingError::InvalidRoomName { message },
            Error::InvalidServerUrl { .. } => MeetingError::InvalidServerUrl { message },
            Error::ServerUnreachable { .. } => MeetingError::ServerUnreachable { message },
            Error::Tls { .. } => MeetingError::Tls { message },
            Error::AuthenticationRequired => MeetingError::AuthenticationRequired { message },
            Error::NotAuthorized(_) => MeetingError::NotAuthorized { message },
            Error::PasswordRequired => MeetingError::PasswordRequired { message },
            Error::WrongPassword => MeetingError::WrongPassword { message },
            Error::LobbyRequired { lobby_room } => MeetingError::LobbyRequired {
                message,
                lobby_room,
            },
            Error::NicknameConflict => MeetingError::NicknameConflict { message },
            Error::RoomFull => MeetingError::RoomFull { message },
            Error::FocusTimeout => MeetingError::FocusTimeout { message },
            Error::FocusUnavailable(_) => MeetingError::FocusUnavailable { message },
            Error::ReservationFailed { code, .. } => {
                MeetingError::ReservationFailed { message, code }
            }
            Error::Timeout(_) => MeetingError::Timeout { message },
            Error::NotModerator => MeetingError::NotModerator { message },
            Error::Refused(_) => MeetingError::Refused { message },
            Error::ConnectionLost(_) => MeetingError::ConnectionLost { message },
            Error::Protocol(_) => MeetingError::Protocol { message },
            Error::MeetingEnded => MeetingError::MeetingEnded { message },
            Error::InvalidArgument(_) => MeetingError::InvalidArgument { message },
        }
    }
}
