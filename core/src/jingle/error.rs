//! Why a Jingle stanza or an SDP was refused. Values quoted in errors are truncated so a hostile
//! peer cannot blow up log lines.

use super::model::{Action, Media};
use super::sdp::SdpError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JingleError {
    #[error("expected <{expected}> in {ns}, got <{got}>")]
    WrongElement {
        expected: &'static str,
        ns: &'static str,
        got: String,
    },
    #[error("unknown Jingle action {0:?}")]
    UnknownAction(String),
    #[error("<{element}> lacks the {attr} attribute")]
    MissingAttribute {
        element: &'static str,
        attr: &'static str,
    },
    #[error("<{element}> has an invalid {attr}: {value:?}")]
    InvalidAttribute {
        element: &'static str,
        attr: &'static str,
        value: String,
    },
    #[error("more than {limit} {what}")]
    TooMany { what: &'static str, limit: usize },
    #[error("content {0:?} has neither an RTP description nor an SCTP map")]
    EmptyContent(String),
    #[error("{0} is not a source-add or source-remove")]
    UnexpectedAction(Action),
    #[error("the remote SDP has no {0} m-line to clone for a new source")]
    NoMediaSection(Media),
    #[error("SSRC {0} is signalled twice")]
    DuplicateSsrc(u32),
    #[error(transparent)]
    Sdp(#[from] SdpError),
}

impl JingleError {
    pub(crate) fn invalid(element: &'static str, attr: &'static str, value: &str) -> Self {
        // Even a malformed credential may be most of a real one.
        let value = match attr {
            "pwd" | "url" => "<redacted>".to_string(),
            _ => truncate(value),
        };
        JingleError::InvalidAttribute {
            element,
            attr,
            value,
        }
    }
}

pub(crate) fn truncate(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &value[..i]),
        None => value.to_string(),
    }
}
