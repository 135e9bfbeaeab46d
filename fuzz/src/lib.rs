//! What the fuzz targets in `src/bin/` share: bytes made into what the core is handed from the
//! network, and the conference harness.

pub mod conference;

use omni_jitsi_core::xml::{self, Element, XmlLimits};

/// A stanza as the WebSocket transport hands it over: a text frame parsed with the limits the
/// connection uses. Input that transport would refuse is of no interest past this point.
pub fn stanza(data: &[u8]) -> Option<Element> {
    let text = std::str::from_utf8(data).ok()?;
    xml::parse(text, &XmlLimits::default()).ok()
}

/// What we send must be XML the server can parse: a stanza we built from hostile input (a chat
/// message, a nick, an echoed attribute) serialises to a document that parses back, and the
/// second round trip changes nothing (the serialiser drops what XML cannot carry, only once).
pub fn assert_serialises(el: &Element) {
    let generous = XmlLimits {
        max_bytes: usize::MAX,
        ..XmlLimits::default()
    };
    let text = el.to_xml();
    let again = xml::parse(&text, &generous)
        .unwrap_or_else(|e| panic!("we wrote XML that does not parse ({e}): {text}"));
    assert_eq!(
        xml::parse(&again.to_xml(), &generous).as_ref(),
        Ok(&again),
        "serialising is not stable: {text}"
    );
}

/// The fuzz input split at NUL bytes: one step of a scripted sequence each.
pub fn steps(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    data.split(|b| *b == 0).filter(|s| !s.is_empty())
}

/// The round trips the Jingle translator promises (jingle/tests/round_trip.rs): whatever we
/// parse or build survives being written to the wire and read back, and an SDP we write parses
/// back to itself.
pub mod round_trip {
    use omni_jitsi_core::jingle::{encode_jingle, parse_jingle, Jingle, Sdp};
    use omni_jitsi_core::xml::{self, XmlLimits};

    pub fn assert_wire_stable(j: &Jingle) {
        let mut j = j.clone();
        // An sctpmap without a stream count is written `streams="0"`, as lib-jitsi-meet does
        // for Jicofo (encode.rs): the one thing the wire adds.
        for t in j.contents.iter_mut().filter_map(|c| c.transport.as_mut()) {
            if let Some(sctp) = t.sctp.as_mut() {
                sctp.streams.get_or_insert(0);
            }
        }
        let xml = encode_jingle(&j).to_xml();
        let generous = XmlLimits {
            max_bytes: usize::MAX,
            ..XmlLimits::default()
        };
        let el = xml::parse(&xml, &generous)
            .unwrap_or_else(|e| panic!("our Jingle is not XML ({e}): {xml}"));
        assert_eq!(
            parse_jingle(&el).as_ref(),
            Ok(&j),
            "Jingle changed on the wire: {xml}"
        );
    }

    pub fn assert_text_stable(sdp: &Sdp) {
        let text = sdp.to_string();
        assert_eq!(
            Sdp::parse(&text).as_ref(),
            Ok(sdp),
            "SDP changed through its text: {text}"
        );
    }
}
