//! The contract between the conference state machine and the media engine. The state machine
//! decides (offer, answer, which candidates and sources belong where) and names sessions by their
//! Jingle sid; the driver owns the engine's sessions and reports what they produce.

/// What the conference asks of the media engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaCommand {
    /// Create our side of a session and make an offer (P2P initiator).
    Offer {
        sid: String,
        muted: Muted,
    },
    /// Create our side of a session for this remote offer and answer it.
    Answer {
        sid: String,
        offer: String,
        remote_names: Vec<(u32, String)>,
        muted: Muted,
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
}
