//! Malformed and hostile input gets a typed error, never a panic, and never smuggles lines into
//! the SDP we hand the PeerConnection.

use super::*;
use crate::xml::Node;

const SOURCE_TEMPLATE: &str = "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='s'>\
    <content name='audio'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>\
    <source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' SSRC_ATTR>\
    <parameter name='msid' value='MSID'/></source></description></content></jingle>";

fn source_add(ssrc_attr: &str, msid: &str) -> Result<Jingle, JingleError> {
    parse_jingle(&element(
        &SOURCE_TEMPLATE
            .replace("SSRC_ATTR", ssrc_attr)
            .replace("MSID", msid),
    ))
}

#[test]
fn missing_attributes_are_named() {
    assert_eq!(
        source_add("", "a b").unwrap_err(),
        JingleError::MissingAttribute {
            element: "source",
            attr: "ssrc"
        }
    );
    let no_sid = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-accept'/>",
    ));
    assert_eq!(
        no_sid.unwrap_err(),
        JingleError::MissingAttribute {
            element: "jingle",
            attr: "sid"
        }
    );
    let pt = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s'><content name='audio'>\
         <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='111' name='opus'/>\
         </description></content></jingle>",
    ));
    assert_eq!(
        pt.unwrap_err(),
        JingleError::MissingAttribute {
            element: "payload-type",
            attr: "clockrate"
        }
    );
}

#[test]
fn absurd_numbers_are_refused() {
    for ssrc in [
        "4294967296",
        "-1",
        "+5",
        "1e3",
        "",
        "99999999999999999999999",
    ] {
        assert!(
            matches!(
                source_add(&format!("ssrc='{ssrc}'"), "a b"),
                Err(JingleError::InvalidAttribute {
                    element: "source",
                    attr: "ssrc",
                    ..
                })
            ),
            "{ssrc}"
        );
    }
    assert_eq!(
        source_add("ssrc='4294967295'", "a b").unwrap().contents[0]
            .description
            .as_ref()
            .unwrap()
            .sources[0]
            .ssrc,
        u32::MAX
    );

    let mut offer = jingle("jicofo-session-initiate.xml");
    let candidate = |port: &str| {
        format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='s'><content name='audio'>\
             <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'><candidate component='1' foundation='1' \
             ip='10.0.0.1' port='{port}' priority='1' protocol='udp' type='host'/></transport></content></jingle>"
        )
    };
    assert!(matches!(
        parse_jingle(&element(&candidate("70000"))),
        Err(JingleError::InvalidAttribute {
            element: "candidate",
            attr: "port",
            ..
        })
    ));
    assert!(parse_jingle(&element(&candidate("65535"))).is_ok());

    let pt = |id: &str| {
        parse_jingle(&element(&format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s'><content name='audio'>\
             <description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>\
             <payload-type id='{id}' name='opus' clockrate='48000'/></description></content></jingle>"
        )))
    };
    assert!(matches!(
        pt("128"),
        Err(JingleError::InvalidAttribute { attr: "id", .. })
    ));
    assert!(matches!(
        pt("300"),
        Err(JingleError::InvalidAttribute { attr: "id", .. })
    ));
    offer.contents[0]
        .description
        .as_mut()
        .unwrap()
        .payload_types
        .clear();
    assert!(
        jingle_to_sdp(&offer, &OFFER).is_ok(),
        "an offer without payloads is odd, not fatal"
    );
}

#[test]
fn ten_thousand_candidates_are_cut_off() {
    let mut transport = Element::new("transport", "urn:xmpp:jingle:transports:ice-udp:1");
    for i in 0..10_000u32 {
        transport.push_child(
            Element::new("candidate", "urn:xmpp:jingle:transports:ice-udp:1")
                .attr("component", "1")
                .attr("foundation", i.to_string())
                .attr("ip", "10.0.0.1")
                .attr("port", "10000")
                .attr("priority", "1")
                .attr("protocol", "udp")
                .attr("type", "host"),
        );
    }
    let j = Element::new("jingle", "urn:xmpp:jingle:1")
        .attr("action", "transport-info")
        .attr("sid", "s")
        .child(
            Element::new("content", "urn:xmpp:jingle:1")
                .attr("name", "audio")
                .child(transport),
        );
    assert_eq!(
        parse_jingle(&j).unwrap_err(),
        JingleError::TooMany {
            what: "candidates",
            limit: limits::MAX_CANDIDATES
        }
    );
}

#[test]
fn too_many_sources_and_payloads_are_cut_off() {
    let mut description =
        Element::new("description", "urn:xmpp:jingle:apps:rtp:1").attr("media", "video");
    for ssrc in 1..=3000u32 {
        description.push_child(
            Element::new("source", "urn:xmpp:jingle:apps:rtp:ssma:0")
                .attr("ssrc", ssrc.to_string()),
        );
    }
    let j = Element::new("jingle", "urn:xmpp:jingle:1")
        .attr("action", "source-add")
        .attr("sid", "s")
        .child(
            Element::new("content", "urn:xmpp:jingle:1")
                .attr("name", "video")
                .child(description),
        );
    assert_eq!(
        parse_jingle(&j).unwrap_err(),
        JingleError::TooMany {
            what: "sources",
            limit: limits::MAX_SOURCES
        }
    );

    let mut offer = jingle("jicofo-session-initiate.xml");
    let template = offer.contents[1].description.as_ref().unwrap().sources[0].clone();
    let sources = &mut offer.contents[1].description.as_mut().unwrap().sources;
    sources.clear();
    sources.extend(
        (1..=limits::MAX_REMOTE_SOURCES as u32 + 1).map(|ssrc| Source {
            ssrc,
            name: Some(format!("ep{ssrc}-v0")),
            ..template.clone()
        }),
    );
    assert_eq!(
        remote_sources(&offer.contents, None).unwrap_err(),
        JingleError::TooMany {
            what: "remote sources",
            limit: limits::MAX_REMOTE_SOURCES
        }
    );

    // Found by the sdp fuzz target: an answer with five BUNDLE groups became a session-accept
    // that parse_jingle refuses. Our Jingle keeps the bounds we hold a peer's to.
    let base = sdp("chromium-offer-p2p.sdp").to_string();
    let bundle = base.lines().find(|l| l.starts_with("a=group:")).unwrap();
    let five = format!("{bundle}\r\n").repeat(5);
    let answer = Sdp::parse(&base.replacen(&format!("{bundle}\r\n"), &five, 1)).unwrap();
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    assert_eq!(
        sdp_to_jingle(&answer, &opts).unwrap_err(),
        JingleError::TooMany {
            what: "groups",
            limit: limits::MAX_GROUPS
        }
    );
}

#[test]
fn the_same_ssrc_twice_is_refused() {
    let mut offer = jingle("jicofo-session-initiate.xml");
    let audio = offer.contents[0].description.as_mut().unwrap();
    let mut copy = audio.sources[1].clone();
    copy.name = Some("impostor-a0".into());
    audio.sources.push(copy);
    assert_eq!(
        remote_sources(&offer.contents, None).unwrap_err(),
        JingleError::DuplicateSsrc(1757014965)
    );
}

#[test]
fn line_breaks_cannot_be_smuggled_into_the_sdp() {
    let injected = "a b&#13;&#10;a=candidate:1 1 udp 1 6.6.6.6 1 typ host";
    assert!(matches!(
        source_add("ssrc='1'", injected),
        Err(JingleError::InvalidAttribute {
            element: "parameter",
            attr: "value",
            ..
        })
    ));
    let xml = fixture("p2p-session-initiate.xml")
        .replace("ufrag=\"wK9z\"", "ufrag=\"wK9z&#10;a=ice-lite\"");
    assert!(matches!(
        parse_jingle(&element(&xml)),
        Err(JingleError::InvalidAttribute {
            element: "transport",
            attr: "ufrag",
            ..
        })
    ));
    let xml = fixture("p2p-session-initiate.xml").replace("value=\"10\"", "value=\"10;x=y\"");
    assert!(matches!(
        parse_jingle(&element(&xml)),
        Err(JingleError::InvalidAttribute { attr: "value", .. })
    ));
    // NEL (U+0085) is a line break to some parsers.
    assert!(matches!(
        source_add("ssrc='1' name='a&#x85;b'", "a b"),
        Err(JingleError::InvalidAttribute { attr: "name", .. })
    ));
}

#[test]
fn odd_unicode_is_data_not_structure() {
    let j = source_add("ssrc='7' name='&#xFFFD;&#x202E;&#x1F600;'", "&#xFEFF; x").unwrap();
    let source = &j.contents[0].description.as_ref().unwrap().sources[0];
    assert_eq!(source.name.as_deref(), Some("\u{FFFD}\u{202E}\u{1F600}"));
    assert_eq!(source.msid(), Some("\u{FEFF} x"));
    // Not characters at all in XML 1.0, so not data either.
    for refused in ["ssrc='&#0;'", "ssrc='7' name='&#xFFFF;'"] {
        assert!(crate::xml::parse(
            &SOURCE_TEMPLATE.replace("SSRC_ATTR", refused),
            &XmlLimits::default()
        )
        .is_err());
    }
}

#[test]
fn wrong_namespaces_are_not_jingle() {
    let err = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' sid='s'/>",
    ))
    .unwrap_err();
    assert!(matches!(
        err,
        JingleError::WrongElement {
            expected: "jingle",
            ..
        }
    ));

    let xml = fixture("p2p-session-initiate.xml").replace(
        "<description xmlns=\"urn:xmpp:jingle:apps:rtp:1\" media=\"audio\">",
        "<description xmlns=\"urn:xmpp:jingle:apps:rtp:0\" media=\"audio\">",
    );
    let j = parse_jingle(&element(&xml)).unwrap();
    assert!(j.contents[0].description.is_none());
    assert_eq!(
        jingle_to_sdp(&j, &P2P_OFFER).unwrap_err(),
        JingleError::EmptyContent("0".into())
    );

    let xml = fixture("p2p-session-initiate.xml").replace(
        "urn:xmpp:jingle:transports:ice-udp:1",
        "urn:xmpp:jingle:transports:raw-udp:1",
    );
    assert!(parse_jingle(&element(&xml))
        .unwrap()
        .contents
        .iter()
        .all(|c| c.transport.is_none()));

    let unknown = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-explode' sid='s'/>",
    ));
    assert_eq!(
        unknown.unwrap_err(),
        JingleError::UnknownAction("session-explode".into())
    );
}

#[test]
fn errors_quote_hostile_values_briefly() {
    let long = "9".repeat(10_000);
    let err = source_add(&format!("ssrc='{long}'"), "a b").unwrap_err();
    assert!(err.to_string().len() < 200, "{err}");
}

#[test]
fn malformed_sdp_is_refused_with_a_reason() {
    let cases: [(&str, SdpError); 6] = [
        ("o=- 1 1 IN IP4 0.0.0.0\r\n", SdpError::MissingVersion),
        (
            "v=0\r\nm=audio notaport UDP/TLS/RTP/SAVPF 111\r\n",
            SdpError::MalformedMedia { line: 2 },
        ),
        (
            "v=0\r\nm=audio 99999 UDP/TLS/RTP/SAVPF 111\r\n",
            SdpError::MalformedMedia { line: 2 },
        ),
        ("v=0\r\nm=audio\r\n", SdpError::MalformedMedia { line: 2 }),
        (
            "v=0\r\nthis is not sdp\r\n",
            SdpError::MalformedLine { line: 2 },
        ),
        (
            "v=0\r\na=ice-ufrag:x\0y\r\n",
            SdpError::MalformedLine { line: 2 },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(Sdp::parse(text).unwrap_err(), expected, "{text:?}");
    }
    let huge = format!("v=0\r\n{}", "a=x\r\n".repeat(limits::MAX_SDP_BYTES / 5));
    assert!(matches!(Sdp::parse(&huge), Err(SdpError::TooLarge(_))));
    let many = format!("v=0\r\n{}", "a=\r\n".repeat(limits::MAX_SDP_LINES + 1));
    assert_eq!(
        Sdp::parse(&many).unwrap_err(),
        SdpError::TooManyLines(limits::MAX_SDP_LINES)
    );
}

#[test]
fn malformed_answer_lines_are_typed_errors() {
    let opts = AnswerOptions {
        peer: Peer::Bridge,
        creator: Creator::Responder,
        local_sources: &[],
    };
    let base = sdp("chromium-answer-bridge.sdp").to_string();
    for (from, to) in [
        ("a=rtpmap:111 opus/48000/2", "a=rtpmap:111 opus/fast"),
        ("a=fingerprint:sha-256 6B", "a=fingerprint:sha-2566B"),
        ("a=extmap:1 urn", "a=extmap:0 urn"),
        (
            "a=candidate:2999745851 1 udp",
            "a=candidate:2999745851 1 udp x",
        ),
        ("a=sctp-port:5000", "a=sctp-port:lots"),
        // Found by the sdp fuzz target: a value with spaces became a session-accept parameter
        // that parse_jingle (like Jicofo) refuses.
        (
            "a=fmtp:111 minptime=10",
            "a=fmtp:111 minptime=ate:0 1 UDP 2122252543",
        ),
        (
            "a=fingerprint:sha-256 6B",
            "a=fingerprint:sha-256 f3a4 omni-6B",
        ),
        ("a=ice-ufrag:Fq3E", "a=ice-ufrag:Fq 3E"),
        (
            "a=ssrc-group:FID 3306224581",
            "a=ssrc-group:FID 33062245810000",
        ),
    ] {
        assert!(base.contains(from), "{from}");
        let broken = Sdp::parse(&base.replacen(from, to, 1)).unwrap();
        assert!(sdp_to_jingle(&broken, &opts).is_err(), "{to}");
    }
}

/// Every attribute of every fixture replaced by hostile values: parsing never panics, and any
/// stanza that still parses gives an SDP that reads back with the same m-lines.
#[test]
fn mutated_fixtures_never_panic_or_break_the_sdp() {
    const VALUES: [&str; 8] = [
        "",
        "-1",
        "4294967296",
        "a\r\nb=c",
        "\u{0}",
        "\u{85}",
        " ",
        "99999",
    ];
    for name in [
        "jicofo-session-initiate.xml",
        "p2p-session-initiate.xml",
        "lib-jitsi-meet-session-accept.xml",
    ] {
        let original = element(fixture(name));
        let paths = attribute_paths(&original, &mut Vec::new());
        assert!(paths.len() > 50, "{name}: {}", paths.len());
        for (path, attr) in &paths {
            for value in VALUES {
                let mut mutated = original.clone();
                set_attr_at(&mut mutated, path, attr, value);
                let Ok(j) = parse_jingle(&mutated) else {
                    continue;
                };
                for opts in [OFFER, P2P_OFFER] {
                    if let Ok(sdp) = jingle_to_sdp(&j, &opts) {
                        let reparsed = Sdp::parse(&sdp.to_string())
                            .unwrap_or_else(|e| panic!("{name} {attr}={value:?}: {e}"));
                        assert_eq!(
                            reparsed.media.len(),
                            sdp.media.len(),
                            "{name} {attr}={value:?}"
                        );
                    }
                }
            }
        }
    }
}

fn attribute_paths(el: &Element, path: &mut Vec<usize>) -> Vec<(Vec<usize>, String)> {
    let mut out: Vec<(Vec<usize>, String)> = el
        .attrs()
        .map(|(n, _)| (path.clone(), n.to_string()))
        .collect();
    for (i, node) in el.nodes().iter().enumerate() {
        if let Node::Element(child) = node {
            path.push(i);
            out.extend(attribute_paths(child, path));
            path.pop();
        }
    }
    out
}

fn set_attr_at(el: &mut Element, path: &[usize], attr: &str, value: &str) {
    match path.split_first() {
        None => el.set_attr(attr, value),
        Some((i, rest)) => {
            let mut children: Vec<Node> = el.nodes().to_vec();
            if let Node::Element(child) = &mut children[*i] {
                set_attr_at(child, rest, attr, value);
            }
            let mut rebuilt = Element::new(el.name(), el.ns());
            for (n, v) in el.attrs() {
                rebuilt.set_attr(n, v);
            }
            for node in children {
                match node {
                    Node::Element(e) => rebuilt.push_child(e),
                    Node::Text(t) => rebuilt = rebuilt.text(t),
                }
            }
            *el = rebuilt;
        }
    }
}

#[test]
fn p2p_mlines_need_a_usable_mid() {
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    let base = sdp("chromium-offer-p2p.sdp").to_string();
    for broken in [
        base.replacen("a=mid:1\r\n", "", 1),
        base.replacen("a=mid:1", "a=mid:1 2", 1),
    ] {
        assert_eq!(
            sdp_to_jingle(&Sdp::parse(&broken).unwrap(), &opts).unwrap_err(),
            JingleError::Sdp(SdpError::MalformedAttribute("mid"))
        );
    }
}

#[test]
fn a_malformed_password_is_not_quoted_in_the_error() {
    let xml = fixture("jicofo-session-initiate.xml").replacen(
        "pwd=\"1ouls4k2u4h6lqqh1mb4bn0amf\"",
        "pwd=\"1ouls4k2u4h6 lqqh1mb4bn0amf\"",
        1,
    );
    let err = parse_jingle(&element(&xml)).unwrap_err();
    assert!(matches!(
        err,
        JingleError::InvalidAttribute { attr: "pwd", .. }
    ));
    assert!(!err.to_string().contains("lqqh1mb4bn0amf"), "{err}");
}
