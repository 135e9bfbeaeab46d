//! Which Jingle values may go into an SDP line: a hostile value with a space or a line break
//! would add words or whole lines to the SDP we hand the media engine.

use super::limits;

/// A value that becomes one word of an SDP line.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && is_token_or_empty(s)
}

pub(crate) fn is_token_or_empty(s: &str) -> bool {
    s.len() <= limits::MAX_VALUE_LEN && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A value that becomes the tail of an SDP line (msid holds a space).
pub(crate) fn is_line_safe(s: &str) -> bool {
    !s.is_empty() && s.len() <= limits::MAX_VALUE_LEN && !s.chars().any(char::is_control)
}
