//! Jingle <-> SDP, as a pure translator. The conference hands a parsed `<jingle>` to
//! [`parse_jingle`], turns an offer into the remote SDP with [`jingle_to_sdp`], gives the media
//! engine's answer to [`sdp_to_jingle`] for `session-accept`, and folds later `source-add` /
//! `source-remove` into the remote SDP with [`apply_source_update`], and trickles candidates with
//! [`transport_info`] / [`remote_candidates`]. Nothing here does I/O.

mod candidate;
mod encode;
mod error;
mod from_sdp;
mod json_sources;
mod model;
mod parse;
mod sdp;
mod sdp_text;
mod source_update;
mod sources;
mod to_sdp;
mod transport_update;

#[cfg(test)]
mod tests;

pub use encode::encode_jingle;
pub use error::JingleError;
pub use from_sdp::{sdp_to_jingle, AnswerOptions, JingleMedia};
pub use model::*;
pub use parse::{parse_jingle, parse_jingle_in_session};
pub use sdp::{Attributes, Direction, MediaSection, Sdp, SdpError, SdpLine};
pub use source_update::{add_mline_for_local_source, apply_source_update, SourceUpdate};
pub use sources::{
    local_sources_jingle, remote_sources, LocalSource, Owner, RemoteSource, SourceName, VideoType,
};
pub use to_sdp::{jingle_to_sdp, OfferOptions, Peer};
pub use transport_update::{
    content_name_for_mid, remote_candidates, replace_remote_transport, transport_info,
    RemoteCandidate,
};

/// Bounds on what a peer may make us hold. A Jicofo offer for a large conference carries a
/// source (plus RTX) per participant and media type; the XML parser's 8192-element cap is the
/// outer bound, these keep each list proportionate.
pub mod limits {
    pub const MAX_CONTENTS: usize = 16;
    pub const MAX_GROUPS: usize = 4;
    pub const MAX_PAYLOAD_TYPES: usize = 64;
    pub const MAX_PARAMETERS: usize = 32;
    pub const MAX_RTCP_FB: usize = 32;
    pub const MAX_HDREXTS: usize = 32;
    pub const MAX_SOURCES: usize = 2048;
    pub const MAX_GROUP_SSRCS: usize = 16;
    pub const MAX_REMOTE_SOURCES: usize = 2048;
    /// What one participant may signal: Jicofo's default `max-ssrcs-per-user`. A P2P peer is
    /// one participant (a microphone, a camera, a screen share), and nobody vets what it sends.
    pub const MAX_PEER_SOURCES: usize = 20;
    pub const MAX_CANDIDATES: usize = 64;
    pub const MAX_FINGERPRINTS: usize = 4;
    pub const MAX_WEB_SOCKETS: usize = 4;
    pub const MAX_VALUE_LEN: usize = 1024;
    /// Unified plan repeats codecs and transport in every m-line: about 1.1 KiB and 40 lines per
    /// remote track, so a full `MAX_MEDIA_SECTIONS` SDP stays below these.
    pub const MAX_SDP_BYTES: usize = 4 * 1024 * 1024;
    pub const MAX_SDP_LINES: usize = 128 * 1024;
    pub const MAX_MEDIA_SECTIONS: usize = 2048;
}
