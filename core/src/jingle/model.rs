//! Typed Jingle as Jitsi speaks it (XEP-0166/0167/0176/0293/0294/0320/0338/0339/0343 plus
//! Jitsi's `ssrc-info` and colibri `web-socket`). Every string that can end up in an SDP line has
//! been checked by the parser to carry no line breaks, so the SDP side can trust it.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    SessionInitiate,
    SessionAccept,
    SessionTerminate,
    SourceAdd,
    SourceRemove,
    TransportInfo,
    TransportReplace,
    /// The answer to `transport-replace`, carrying the new local transport like a session-accept;
    /// Jicofo handles it as one (`onSessionOrTransportAccept`).
    TransportAccept,
    TransportReject,
    ContentModify,
    /// lib-jitsi-meet asks Jicofo for an in-place ICE restart with a `session-info` carrying
    /// `<bridge-session ice-restart="true">`.
    SessionInfo,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::SessionInitiate => "session-initiate",
            Action::SessionAccept => "session-accept",
            Action::SessionTerminate => "session-terminate",
            Action::SourceAdd => "source-add",
            Action::SourceRemove => "source-remove",
            Action::TransportInfo => "transport-info",
            Action::TransportReplace => "transport-replace",
            Action::TransportAccept => "transport-accept",
            Action::TransportReject => "transport-reject",
            Action::ContentModify => "content-modify",
            Action::SessionInfo => "session-info",
        }
    }

    /// Jicofo still accepts (and old Jicofos send) `addsource`/`removesource`, the names from
    /// before XEP-0166 grew source actions (jitsi-xmpp-extensions `JingleAction`).
    pub fn parse(s: &str) -> Option<Action> {
        Some(match s {
            "session-initiate" => Action::SessionInitiate,
            "session-accept" => Action::SessionAccept,
            "session-terminate" => Action::SessionTerminate,
            "source-add" | "addsource" => Action::SourceAdd,
            "source-remove" | "removesource" => Action::SourceRemove,
            "transport-info" => Action::TransportInfo,
            "transport-replace" => Action::TransportReplace,
            "transport-accept" => Action::TransportAccept,
            "transport-reject" => Action::TransportReject,
            "content-modify" => Action::ContentModify,
            "session-info" => Action::SessionInfo,
            _ => return None,
        })
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jingle {
    pub action: Action,
    pub sid: String,
    pub initiator: Option<String>,
    pub responder: Option<String>,
    pub contents: Vec<Content>,
    pub groups: Vec<Group>,
    pub reason: Option<Reason>,
    /// Jicofo's `<bridge-session xmlns="http://jitsi.org/protocol/focus" id=... region=...>`.
    pub bridge_session: Option<BridgeSession>,
    /// Jicofo's `<startmuted xmlns="http://jitsi.org/jitmeet/start-muted" audio video>`: the
    /// room asks newcomers to join muted.
    pub start_muted: Option<StartMuted>,
}

impl Jingle {
    pub fn new(action: Action, sid: impl Into<String>) -> Self {
        Jingle {
            action,
            sid: sid.into(),
            initiator: None,
            responder: None,
            contents: Vec::new(),
            groups: Vec::new(),
            reason: None,
            bridge_session: None,
            start_muted: None,
        }
    }

    pub fn terminate(sid: impl Into<String>, reason: Reason) -> Self {
        let mut j = Jingle::new(Action::SessionTerminate, sid);
        j.reason = Some(reason);
        j
    }

    pub fn bundle(&self) -> Option<&Group> {
        self.groups.iter().find(|g| g.semantics == "BUNDLE")
    }

    /// The colibri-ws URL of the bridge, when the focus offered one.
    pub fn web_socket_url(&self) -> Option<&str> {
        self.contents
            .iter()
            .filter_map(|c| c.transport.as_ref())
            .flat_map(|t| t.web_sockets.iter())
            .map(|w| w.url.as_str())
            .next()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BridgeSession {
    pub id: Option<String>,
    pub region: Option<String>,
    pub ice_restart: bool,
    /// On our `session-terminate`: start a new session in place of this one (Jicofo's
    /// "terminate-restart", lib-jitsi-meet's answer to a failed bridge connection).
    pub restart: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartMuted {
    pub audio: bool,
    pub video: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creator {
    Initiator,
    Responder,
}

impl Creator {
    pub fn as_str(self) -> &'static str {
        match self {
            Creator::Initiator => "initiator",
            Creator::Responder => "responder",
        }
    }
}

/// Who sends on a content. lib-jitsi-meet reads and writes it as the direction of the SDP its
/// author holds (`initiator` = sendonly, `responder` = recvonly) whatever the author's role, and
/// adds `rejected` for a port-0 m-line; we do the same so P2P with it agrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Senders {
    Both,
    Initiator,
    Responder,
    None,
    Rejected,
}

impl Senders {
    pub fn as_str(self) -> &'static str {
        match self {
            Senders::Both => "both",
            Senders::Initiator => "initiator",
            Senders::Responder => "responder",
            Senders::None => "none",
            Senders::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<Senders> {
        Some(match s {
            "both" => Senders::Both,
            "initiator" => Senders::Initiator,
            "responder" => Senders::Responder,
            "none" => Senders::None,
            "rejected" => Senders::Rejected,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    pub creator: Creator,
    pub name: String,
    pub senders: Option<Senders>,
    /// In P2P `content-modify`: the highest video the peer wants from each of our sources.
    pub frame_heights: Vec<SourceFrameHeight>,
    pub description: Option<RtpDescription>,
    pub transport: Option<IceUdpTransport>,
}

/// `<source-frame-height xmlns="http://jitsi.org/jitmeet/video" sourceName maxHeight>`
/// (lib-jitsi-meet `_sendContentModify`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFrameHeight {
    pub source_name: String,
    pub max_height: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Media {
    Audio,
    Video,
    Application,
}

impl Media {
    pub fn as_str(self) -> &'static str {
        match self {
            Media::Audio => "audio",
            Media::Video => "video",
            Media::Application => "application",
        }
    }

    pub fn parse(s: &str) -> Option<Media> {
        Some(match s {
            "audio" => Media::Audio,
            "video" => Media::Video,
            "application" => Media::Application,
            _ => return None,
        })
    }
}

impl fmt::Display for Media {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpDescription {
    pub media: Media,
    /// Jicofo sets `maxptime="60"` on audio.
    pub maxptime: Option<u32>,
    pub payload_types: Vec<PayloadType>,
    /// Feedback for every payload type (`a=rtcp-fb:*`).
    pub rtcp_fbs: Vec<RtcpFb>,
    pub trr_int: Option<u32>,
    pub hdrexts: Vec<RtpHdrExt>,
    pub extmap_allow_mixed: bool,
    pub rtcp_mux: bool,
    pub sources: Vec<Source>,
    pub ssrc_groups: Vec<SsrcGroup>,
}

impl RtpDescription {
    pub fn new(media: Media) -> Self {
        RtpDescription {
            media,
            maxptime: None,
            payload_types: Vec::new(),
            rtcp_fbs: Vec::new(),
            trr_int: None,
            hdrexts: Vec::new(),
            extmap_allow_mixed: false,
            rtcp_mux: false,
            sources: Vec::new(),
            ssrc_groups: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadType {
    pub id: u8,
    pub name: String,
    pub clockrate: u32,
    pub channels: u16,
    pub parameters: Vec<Parameter>,
    pub rtcp_fbs: Vec<RtcpFb>,
    pub trr_int: Option<u32>,
}

/// A `<parameter name value>`. An empty name is lib-jitsi-meet's way of carrying a bare fmtp
/// value such as telephone-event's `0-15`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub value: String,
}

impl Parameter {
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Parameter {
            name: name.into(),
            value: value.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb {
    pub kind: String,
    pub subtype: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpHdrExt {
    pub id: u16,
    pub uri: String,
    pub senders: Option<Senders>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub ssrc: u32,
    pub name: Option<String>,
    pub video_type: Option<String>,
    /// In document order; `msid`, `cname` and, for mid-based demuxing, `mid`.
    pub parameters: Vec<Parameter>,
    /// `<ssrc-info xmlns="http://jitsi.org/jitmeet" owner=...>`: an occupant JID, a bare endpoint
    /// id, or `jvb` for the bridge's own sources.
    pub owner: Option<String>,
}

impl Source {
    pub fn parameter(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }

    pub fn msid(&self) -> Option<&str> {
        self.parameter("msid")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup {
    pub semantics: String,
    pub ssrcs: Vec<u32>,
}

#[derive(Clone, PartialEq, Eq, Default)]
pub struct IceUdpTransport {
    pub ufrag: Option<String>,
    pub pwd: Option<String>,
    pub fingerprints: Vec<Fingerprint>,
    pub candidates: Vec<Candidate>,
    pub web_sockets: Vec<WebSocket>,
    pub sctp: Option<SctpMap>,
    pub rtcp_mux: bool,
    /// Set on the bridge's transport-info after an in-place ICE restart.
    pub ice_generation: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Setup {
    Active,
    Passive,
    Actpass,
    Holdconn,
}

impl Setup {
    pub fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
            Setup::Holdconn => "holdconn",
        }
    }

    pub fn parse(s: &str) -> Option<Setup> {
        Some(match s {
            "active" => Setup::Active,
            "passive" => Setup::Passive,
            "actpass" => Setup::Actpass,
            "holdconn" => Setup::Holdconn,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    pub hash: String,
    pub value: String,
    pub setup: Option<Setup>,
    pub required: Option<bool>,
    pub cryptex: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CandidateType {
    Host,
    Srflx,
    Prflx,
    Relay,
}

impl CandidateType {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
        }
    }

    pub fn parse(s: &str) -> Option<CandidateType> {
        Some(match s {
            "host" => CandidateType::Host,
            "srflx" => CandidateType::Srflx,
            "prflx" => CandidateType::Prflx,
            "relay" => CandidateType::Relay,
            _ => return None,
        })
    }
}

/// An ICE candidate (XEP-0176 §5.3). `ip` stays a string: Chromium hides host addresses behind
/// mDNS names (`<uuid>.local`) in P2P.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub component: u8,
    pub foundation: String,
    pub generation: u32,
    pub id: Option<String>,
    pub ip: String,
    pub port: u16,
    pub priority: u32,
    pub protocol: String,
    pub kind: CandidateType,
    pub rel_addr: Option<String>,
    pub rel_port: Option<u16>,
    pub network: Option<u32>,
    pub tcptype: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct WebSocket {
    pub url: String,
    pub active: Option<bool>,
}

/// The ICE password and the colibri-ws `pwd` are credentials: a stanza logged with `{:?}` must not
/// hand them to whoever reads the logs.
impl fmt::Debug for IceUdpTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceUdpTransport")
            .field("ufrag", &self.ufrag)
            .field("pwd", &self.pwd.as_ref().map(|_| "<redacted>"))
            .field("fingerprints", &self.fingerprints)
            .field("candidates", &self.candidates)
            .field("web_sockets", &self.web_sockets)
            .field("sctp", &self.sctp)
            .field("rtcp_mux", &self.rtcp_mux)
            .field("ice_generation", &self.ice_generation)
            .finish()
    }
}

impl fmt::Debug for WebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocket")
            .field("url", &redacted_url(&self.url))
            .field("active", &self.active)
            .finish()
    }
}

fn redacted_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("pwd", _)) => "pwd=<redacted>".to_string(),
            _ => pair.to_string(),
        })
        .collect();
    crate::redact::url(&format!("{base}?{}", query.join("&")))
}

/// XEP-0343's `<sctpmap>`: older Jicofo puts it in the `data` content's transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SctpMap {
    pub port: u16,
    pub protocol: String,
    pub streams: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub semantics: String,
    pub contents: Vec<String>,
}

/// XEP-0166 §7.4 reason; `condition` is the child element's name (`success`, `gone`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub condition: String,
    pub text: Option<String>,
}

impl Reason {
    pub fn new(condition: impl Into<String>, text: Option<String>) -> Self {
        Reason {
            condition: condition.into(),
            text,
        }
    }
}
