//! What the app asks for when it joins. Field names follow the omni_jitsi_meet Flutter plugin.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::jid::EndpointId;

#[derive(Clone)]
pub struct MeetingOptions {
    /// `https://HOST` of a Jitsi deployment (its config.js is read when reachable), or a direct
    /// `ws://`/`wss://` XMPP WebSocket URL for local setups.
    pub server_url: String,
    pub room: String,
    pub subject: Option<String>,
    /// A JWT for token-authenticated deployments. Never logged.
    pub token: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    /// Room password for locked rooms. Never logged.
    pub password: Option<String>,
    pub audio_muted: bool,
    pub video_muted: bool,
    pub audio_only: bool,
    /// jitsi-meet feature flags (`chat.enabled`, `raise-hand.enabled`, ...), kept for parity with
    /// the Flutter plugin; flags that gate UI are the app's business.
    pub feature_flags: BTreeMap<String, bool>,
    /// config.js keys that win over what the server publishes: `hosts.domain`, `hosts.muc`,
    /// `hosts.focus`, `websocket`.
    pub config_overrides: BTreeMap<String, String>,
    /// The MUC nickname; random like lib-jitsi-meet's when unset.
    pub endpoint_id: Option<EndpointId>,
    pub timeouts: Timeouts,
    /// Certificates (PEM) trusted as roots beside the public ones, for a deployment behind a
    /// private certificate authority.
    pub trusted_certificates: Vec<String>,
    /// Allow plain `ws://`/`http://` to hosts other than this device, which sends the token,
    /// passwords and chat in clear. Off: such URLs are `invalid_server_url`.
    pub allow_insecure_transport: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// How long the focus may take to answer, across its "not ready" retries.
    pub focus: Duration,
    pub muc_join: Duration,
    pub iq: Duration,
    /// How long a dropped connection may take to come back (resumed or rejoined) before the
    /// meeting ends with `connection_lost`.
    pub reconnect: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(15),
            focus: Duration::from_secs(30),
            muc_join: Duration::from_secs(15),
            iq: Duration::from_secs(15),
            reconnect: Duration::from_secs(60),
        }
    }
}

pub const DEFAULT_SERVER_URL: &str = "https://meet.jit.si";

impl MeetingOptions {
    pub fn new(server_url: impl Into<String>, room: impl Into<String>) -> MeetingOptions {
        MeetingOptions {
            server_url: server_url.into(),
            room: room.into(),
            ..MeetingOptions::default()
        }
    }
}

impl Default for MeetingOptions {
    fn default() -> Self {
        MeetingOptions {
            server_url: DEFAULT_SERVER_URL.to_string(),
            room: String::new(),
            subject: None,
            token: None,
            display_name: None,
            email: None,
            avatar_url: None,
            password: None,
            audio_muted: false,
            video_muted: false,
            audio_only: false,
            feature_flags: BTreeMap::new(),
            config_overrides: BTreeMap::new(),
            endpoint_id: None,
            timeouts: Timeouts::default(),
            trusted_certificates: Vec::new(),
            allow_insecure_transport: false,
        }
    }
}

/// Hand-written so that secrets can never reach a log through `{:?}`.
impl fmt::Debug for MeetingOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |o: &Option<String>| o.as_ref().map(|_| "<redacted>");
        f.debug_struct("MeetingOptions")
            .field("server_url", &crate::redact::url(&self.server_url))
            .field("room", &self.room)
            .field("subject", &self.subject)
            .field("token", &redacted(&self.token))
            .field("display_name", &self.display_name)
            .field("email", &self.email)
            .field("avatar_url", &self.avatar_url)
            .field("password", &redacted(&self.password))
            .field("audio_muted", &self.audio_muted)
            .field("video_muted", &self.video_muted)
            .field("audio_only", &self.audio_only)
            .field("feature_flags", &self.feature_flags)
            .field("config_overrides", &self.config_overrides)
            .field("endpoint_id", &self.endpoint_id)
            .field("timeouts", &self.timeouts)
            .field("trusted_certificates", &self.trusted_certificates.len())
            .field("allow_insecure_transport", &self.allow_insecure_transport)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_secrets() {
        let mut o = MeetingOptions::new("https://meet.example?token=eyJsecret", "room");
        o.token = Some("eyJhbGciOiJIUzI1NiJ9.secret".into());
        o.password = Some("hunter2".into());
        let shown = format!("{o:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }
}
