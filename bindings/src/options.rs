//! `MeetingOptions` as apps fill it: every field of the omni_jitsi_meet Flutter plugin, with
//! defaults, so `MeetingOptions(room = "standup")` is enough to join meet.jit.si.

use std::collections::HashMap;
use std::time::Duration;

use omni_jitsi_core::options::DEFAULT_SERVER_URL;
use omni_jitsi_core::EndpointId;

use crate::Secret;

#[derive(Debug, Clone, uniffi::Record)]
pub struct Timeouts {
    #[uniffi(default = 15000)]
    pub connect_ms: u64,
    #[uniffi(default = 30000)]
    pub focus_ms: u64,
    #[uniffi(default = 15000)]
    pub join_ms: u64,
    #[uniffi(default = 15000)]
    pub request_ms: u64,
    /// How long a dropped connection may take to resume or rejoin before the meeting ends.
    #[uniffi(default = 60000)]
    pub reconnect_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        let t = omni_jitsi_core::Timeouts::default();
        let ms = |d: Duration| d.as_millis() as u64;
        Timeouts {
            connect_ms: ms(t.connect),
            focus_ms: ms(t.focus),
            join_ms: ms(t.muc_join),
            request_ms: ms(t.iq),
            reconnect_ms: ms(t.reconnect),
        }
    }
}

#[derive(Clone, uniffi::Record)]
pub struct MeetingOptions {
    pub room: String,
    /// `https://HOST` of a Jitsi deployment, or a direct `ws://`/`wss://` XMPP WebSocket URL.
    #[uniffi(default = "https://meet.jit.si")]
    pub server_url: String,
    #[uniffi(default = None)]
    pub subject: Option<String>,
    /// JWT for token-authenticated deployments. Never logged.
    #[uniffi(default = None)]
    pub token: Option<Secret>,
    #[uniffi(default = None)]
    pub display_name: Option<String>,
    #[uniffi(default = None)]
    pub email: Option<String>,
    #[uniffi(default = None)]
    pub avatar_url: Option<String>,
    /// Password of a locked room. Never logged.
    #[uniffi(default = None)]
    pub password: Option<Secret>,
    #[uniffi(default = false)]
    pub audio_muted: bool,
    #[uniffi(default = false)]
    pub video_muted: bool,
    #[uniffi(default = false)]
    pub audio_only: bool,
    #[uniffi(default)]
    pub feature_flags: HashMap<String, bool>,
    /// config.js keys that win over the server's: `hosts.domain`, `hosts.muc`, `hosts.focus`,
    /// `websocket`.
    #[uniffi(default)]
    pub config_overrides: HashMap<String, String>,
    #[uniffi(default = None)]
    pub timeouts: Option<Timeouts>,
    /// Certificates (PEM) trusted as roots beside the public ones, for a deployment behind a
    /// private certificate authority.
    #[uniffi(default)]
    pub trusted_certificates: Vec<String>,
    /// Allow plain `ws://`/`http://` to hosts other than this device (the token, passwords and
    /// chat then cross the network in clear).
    #[uniffi(default = false)]
    pub allow_insecure_transport: bool,
}

impl std::fmt::Debug for MeetingOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Delegate to the core's redacting Debug so secrets never reach a log.
        std::fmt::Debug::fmt(&omni_jitsi_core::MeetingOptions::from(self.clone()), f)
    }
}

impl From<MeetingOptions> for omni_jitsi_core::MeetingOptions {
    fn from(o: MeetingOptions) -> Self {
        let t = o.timeouts.unwrap_or_default();
        let server_url = if o.server_url.trim().is_empty() {
            DEFAULT_SERVER_URL.to_string()
        } else {
            o.server_url
        };
        omni_jitsi_core::MeetingOptions {
            server_url,
            room: o.room,
            subject: o.subject,
            token: o.token.map(String::from),
            display_name: o.display_name,
            email: o.email,
            avatar_url: o.avatar_url,
            password: o.password.map(String::from),
            audio_muted: o.audio_muted,
            video_muted: o.video_muted,
            audio_only: o.audio_only,
            feature_flags: o.feature_flags.into_iter().collect(),
            config_overrides: o.config_overrides.into_iter().collect(),
            endpoint_id: None::<EndpointId>,
            timeouts: omni_jitsi_core::Timeouts {
                connect: Duration::from_millis(t.connect_ms),
                focus: Duration::from_millis(t.focus_ms),
                muc_join: Duration::from_millis(t.join_ms),
                iq: Duration::from_millis(t.request_ms),
                reconnect: Duration::from_millis(t.reconnect_ms),
            },
            trusted_certificates: o.trusted_certificates,
            allow_insecure_transport: o.allow_insecure_transport,
        }
    }
}
