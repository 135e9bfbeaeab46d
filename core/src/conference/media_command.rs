//! The contract between the conference state machine and the media engine. The state machine
//! decides (offer, answer, which candidates and sources belong where) and names sessions (by
//! their Jingle sid, or a media id of its own when one Jingle session moves to a new
//! PeerConnection); the driver owns the engine's sessions and reports what they produce.

pub use crate::jingle::Peer;

use crate::bridge::{ReceiverVideoConstraints, ToBridge};

/// The SSRCs our sessions send under, announced in Jingle; a rejoin or a new bridge session
/// renews them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSsrcs {
    pub audio: u32,
    pub video: u32,
    pub screen: u32,
}

impl LocalSsrcs {
    pub fn random() -> LocalSsrcs {
        // Zero is avoided: some stacks treat it as "no SSRC".
        let ssrc = || rand::random::<u32>().max(1);
        LocalSsrcs {
            audio: ssrc(),
            video: ssrc(),
            screen: ssrc(),
        }
    }
}

/// Identifies a command so its reply can be routed back by the driver.
pub type ReplyId = u64;

/// What the conference asks of the media engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Create our side of a session and make an offer (P2P initiator).
    Offer {
        sid: String,
        muted: Muted,
    },
    /// Create our side of a session for this remote offer and answer it. While a P2P session
    /// is open our media goes there, otherwise to the bridge, as lib-jitsi-meet switches.
    Answer {
        sid: String,
        peer: Peer,
        offer: String,
        remote_names: Vec<(u32, String)>,
        muted: Muted,
    },
    /// The remote offer changed (the focus's source-add/-remove towards the bridge): apply it
    /// again and answer locally, as lib-jitsi-meet's local renegotiation does; nothing is sent.
    Renegotiate {
        sid: String,
        offer: String,
        remote_names: Vec<(u32, String)>,
    },
    /// The bridge's new ICE generation (in-place ICE restart): `offer` is the remote description
    /// with its credentials and no candidates; the answer rotates ours and comes back as
    /// [`MediaInput::IceRestarted`].
    RestartIce {
        sid: String,
        offer: String,
    },
    /// The peer's answer to our offer.
    SetAnswer {
        sid: String,
        answer: String,
        remote_names: Vec<(u32, String)>,
    },
    /// A trickled remote ICE candidate line (`candidate:...`).
    AddCandidate {
        sid: String,
        candidate: String,
    },
    /// Source names announced after the offer/answer (source-add).
    NameSources {
        sid: String,
        names: Vec<(u32, String)>,
    },
    SetMuted(Muted),
    /// The P2P path is interrupted (true) or back: meanwhile media goes out, and is listened
    /// for, on the bridge session, so a call whose P2P path died is heard again before P2P is
    /// declared failed.
    SuspendP2p(bool),
    /// How P2P sessions opened from now on reach the peer: the deployment's STUN/TURN servers,
    /// and whether through a TURN relay only (`p2p.iceTransportPolicy = relay`).
    SetP2pIce {
        servers: Vec<omni_jitsi_media::session::IceServer>,
        relay_only: bool,
    },
    /// The SSRCs, and the suffix of the msid track ids, that sessions opened from now on send
    /// with: a rejoin announces fresh ones.
    SetLocalIdentity {
        ssrcs: LocalSsrcs,
        track_suffix: String,
    },
    /// Add (or unmute) the screen-share track; `offer` is the remote description with the m-line
    /// it goes out on, to apply first, when that m-line is new.
    StartScreen {
        sid: String,
        offer: Option<String>,
    },
    StopScreen {
        sid: String,
    },
    /// The bridge's `SenderSourceConstraints` for our camera (or screen): the tallest picture
    /// anyone it forwards to wants; 0 means nobody watches, so nothing needs to go out.
    LimitVideo {
        screen: bool,
        max_height: i32,
    },
    Close {
        sid: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Muted {
    pub audio: bool,
    pub video: bool,
}

/// What a media session produced, fed back to the state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaInput {
    /// Our offer or answer, once the session made it.
    LocalDescription { sid: String, sdp: String },
    /// A local ICE candidate line (`candidate:...`) to trickle.
    LocalCandidate { sid: String, candidate: String },
    /// The session could not be created, negotiated or connected.
    Failed { sid: String, reason: String },
    /// The session stopped hearing from the other side (ICE `disconnected`), or hears it again.
    Connection { sid: String, interrupted: bool },
    /// Our answer after an in-place ICE restart, with our new ICE credentials.
    IceRestarted { sid: String, sdp: String },
    /// ICE connected but DTLS did not: the peer's certificate is not the one its fingerprint
    /// names, or its DTLS is not one we accept. Nothing was sent or received on it.
    HandshakeFailed { sid: String },
}

impl MediaInput {
    /// The session it comes from.
    pub fn sid(&self) -> &str {
        match self {
            MediaInput::LocalDescription { sid, .. }
            | MediaInput::LocalCandidate { sid, .. }
            | MediaInput::Failed { sid, .. }
            | MediaInput::Connection { sid, .. }
            | MediaInput::IceRestarted { sid, .. }
            | MediaInput::HandshakeFailed { sid } => sid,
        }
    }
}

/// What the conference asks of the colibri-ws bridge channel, which the driver owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BridgeCommand {
    /// Open the channel at the URL the focus's offer named (`<web-socket>`).
    Open {
        url: String,
    },
    /// What we want to receive; kept by the channel and sent again on every reconnect.
    Constraints(ReceiverVideoConstraints),
    /// Whether we are alone in the room: the bridge's 1001 close is then a goodbye.
    Alone(bool),
    /// An endpoint message; its outcome answers the command `reply`.
    Send {
        message: ToBridge,
        reply: ReplyId,
    },
    Close,
}
