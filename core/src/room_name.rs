//! Jitsi's room-name rules. jitsi-meet lowercases names before they reach the backend and the
//! name becomes a JID localpart, so characters that XMPP forbids there are refused up front with
//! a clear message rather than failing later as an opaque server error.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct RoomName(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoomNameError {
    #[error("the room name is empty")]
    Empty,
    #[error("the room name is longer than 1023 bytes")]
    TooLong,
    #[error("the room name contains {0:?}, which Jitsi room names cannot contain")]
    ForbiddenChar(char),
}

impl RoomName {
    pub fn parse(raw: &str) -> Result<RoomName, RoomNameError> {
        let name = raw.trim().to_lowercase();
        if name.is_empty() {
            return Err(RoomNameError::Empty);
        }
        if name.len() > 1023 {
            return Err(RoomNameError::TooLong);
        }
        if let Some(c) = name.chars().find(|c| is_forbidden(*c)) {
            return Err(RoomNameError::ForbiddenChar(c));
        }
        Ok(RoomName(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The MUC localpart: jitsi-meet's `getBackendSafeRoomName` percent-encodes the lowercased
    /// name as `encodeURIComponent` does, with lowercase hex.
    pub fn muc_node(&self) -> String {
        let mut out = String::with_capacity(self.0.len());
        for b in self.0.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02x}"));
            }
        }
        out
    }
}

/// RFC 7622 localpart exclusions, plus whitespace and `?#%` which would break the room URL.
fn is_forbidden(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '@' | '/' | '\\' | '"' | '&' | '\'' | ':' | '<' | '>' | '?' | '#' | '%'
        )
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercases_and_trims_like_jitsi_meet() {
        assert_eq!(
            RoomName::parse(" MyTeamStandup ").unwrap().as_str(),
            "myteamstandup"
        );
        let accented = RoomName::parse("Équipe-42_b.c").unwrap();
        assert_eq!(accented.as_str(), "équipe-42_b.c");
        assert_eq!(accented.muc_node(), "%c3%a9quipe-42_b.c");
    }

    #[test]
    fn refuses_names_jitsi_cannot_host() {
        assert_eq!(RoomName::parse("  "), Err(RoomNameError::Empty));
        assert_eq!(
            RoomName::parse("my room"),
            Err(RoomNameError::ForbiddenChar(' '))
        );
        assert_eq!(
            RoomName::parse("a@b"),
            Err(RoomNameError::ForbiddenChar('@'))
        );
        assert_eq!(
            RoomName::parse("a/b"),
            Err(RoomNameError::ForbiddenChar('/'))
        );
        assert_eq!(
            RoomName::parse(&"a".repeat(1024)),
            Err(RoomNameError::TooLong)
        );
    }
}
