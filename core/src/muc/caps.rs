//! What we tell others we support: disco#info features and their XEP-0115 caps hash.

use base64::Engine as _;
use sha1::{Digest, Sha1};

use crate::xml::Element;
use crate::xmpp::ns;

/// lib-jitsi-meet's caps node; jicofo and clients key feature caches on it.
pub const NODE: &str = "https://jitsi.org/jitsi-meet";

/// Only what this client really does, named as lib-jitsi-meet's `initFeaturesList` names them
/// (it leaves rtcp-fb and rtp-hdrext out: SDP offer/answer negotiates those). Not advertised
/// because not done: SCTP data channels (`dtls-sctp:1`), RTX (`urn:ietf:rfc:4588`), Opus RED,
/// multi-stream from a bridge (`receive-multiple-video-streams`), SSRC rewriting.
pub const FEATURES: &[&str] = &[
    ns::CAPS,
    ns::DISCO_INFO,
    ns::PING,
    ns::JINGLE,
    ns::JINGLE_RTP,
    "urn:xmpp:jingle:apps:rtp:audio",
    "urn:xmpp:jingle:apps:rtp:video",
    "urn:xmpp:jingle:transports:ice-udp:1",
    "urn:xmpp:jingle:apps:dtls:0",
    // rtcp-mux and BUNDLE
    "urn:ietf:rfc:5761",
    "urn:ietf:rfc:5888",
    // Jicofo's compact sources, expanded by `jingle::json_sources`.
    "http://jitsi.org/json-encoded-sources",
    "http://jitsi.org/source-name",
    // The engine answers REMB and runs GCC over transport-wide CC feedback.
    "http://jitsi.org/remb",
    "http://jitsi.org/tcc",
];

/// XEP-0115 §5.1 verification string with no identities, as lib-jitsi-meet registers none.
pub fn ver(features: &[&str]) -> String {
    let mut sorted: Vec<&str> = features.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut s = String::new();
    for f in sorted {
        s.push_str(f);
        s.push('<');
    }
    base64::engine::general_purpose::STANDARD.encode(Sha1::digest(s.as_bytes()))
}

pub fn caps_element() -> Element {
    Element::new("c", ns::CAPS)
        .attr("hash", "sha-1")
        .attr("node", NODE)
        .attr("ver", ver(FEATURES))
}

/// The answer to a disco#info query addressed to us; the queried node is echoed back.
pub fn disco_info_result(query: &Element) -> Element {
    let mut result = Element::new("iq", ns::CLIENT).attr("type", "result");
    if let Some(id) = query.get_attr("id") {
        result.set_attr("id", id);
    }
    if let Some(from) = query.get_attr("from") {
        result.set_attr("to", from);
    }
    let node = query
        .get_child("query", ns::DISCO_INFO)
        .and_then(|q| q.get_attr("node"));
    result.child(
        Element::new("query", ns::DISCO_INFO)
            .attr_opt("node", node)
            .children_from(
                FEATURES
                    .iter()
                    .map(|f| Element::new("feature", ns::DISCO_INFO).attr("var", *f)),
            ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ver_matches_the_xep_0115_algorithm() {
        // Expected value computed independently (Python hashlib) over the sorted feature string.
        assert_eq!(
            ver(&[
                "http://jabber.org/protocol/muc",
                "http://jabber.org/protocol/disco#info"
            ]),
            "LWXTvc0BuD8DCJVbmEOcpc9GLAI="
        );
        assert_eq!(ver(&["b", "a", "a"]), ver(&["a", "b"]));
    }
}
