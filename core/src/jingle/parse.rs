//! `<jingle>` element -> [`Jingle`]. Strict where a value flows into SDP (numbers must parse,
//! tokens carry no whitespace or control characters), tolerant elsewhere: unknown children and
//! children in foreign namespaces are ignored, as lib-jitsi-meet's namespace-filtered selectors
//! ignore them.

use crate::xml::Element;
use crate::xmpp::ns;

use super::error::JingleError;
use super::json_sources;
use super::limits;
use super::model::*;
use super::sdp_text::{is_line_safe, is_token, is_token_or_empty};

pub fn parse_jingle(el: &Element) -> Result<Jingle, JingleError> {
    parse_jingle_in_session(el, &|_| None)
}

/// As [`parse_jingle`], for a stanza within a session whose m-lines are known: lib-jitsi-meet's
/// source-add/remove (SDPDiffer.toJingle) puts the mid in `<description media>`, which in a
/// unified-plan P2P session is `0`, `1`..., so `kind_of_mid` names the kind of such a mid.
pub fn parse_jingle_in_session(
    el: &Element,
    kind_of_mid: &dyn Fn(&str) -> Option<Media>,
) -> Result<Jingle, JingleError> {
    if !el.is("jingle", ns::JINGLE) {
        return Err(JingleError::WrongElement {
            expected: "jingle",
            ns: ns::JINGLE,
            got: format!("{}:{}", el.ns(), el.name()),
        });
    }
    let action_str = required(el, "jingle", "action")?;
    let action = Action::parse(action_str)
        .ok_or_else(|| JingleError::UnknownAction(super::error::truncate(action_str)))?;
    let sid = token(el, "jingle", "sid")?.to_string();

    let mut contents = Vec::new();
    for c in el.children_named("content", ns::JINGLE) {
        if contents.len() == limits::MAX_CONTENTS {
            return Err(too_many("contents", limits::MAX_CONTENTS));
        }
        let content = parse_content(c, kind_of_mid)?;
        // Names key contents (and become mids in P2P): a repeated one would make two m-lines
        // with one mid.
        if contents
            .iter()
            .any(|other: &Content| other.name == content.name)
        {
            return Err(JingleError::invalid("content", "name", &content.name));
        }
        contents.push(content);
    }
    for json in el.children_named("json-message", ns::JITMEET) {
        json_sources::expand(&mut contents, &json.text_content())?;
    }
    let mut groups = Vec::new();
    for g in el.children_named("group", ns::JINGLE_GROUPING) {
        if groups.len() == limits::MAX_GROUPS {
            return Err(too_many("groups", limits::MAX_GROUPS));
        }
        groups.push(parse_group(g)?);
    }
    let reason = el.get_child("reason", ns::JINGLE).map(parse_reason);
    let bridge_session = el
        .get_child("bridge-session", ns::FOCUS)
        .map(|b| BridgeSession {
            id: b.get_attr("id").map(str::to_string),
            region: b.get_attr("region").map(str::to_string),
            ice_restart: b.get_attr("ice-restart") == Some("true"),
            restart: b.get_attr("restart") == Some("true"),
        });

    let start_muted = el
        .get_child("startmuted", ns::JITMEET_START_MUTED)
        .map(|m| -> Result<StartMuted, JingleError> {
            Ok(StartMuted {
                audio: optional_bool(m, "startmuted", "audio")?.unwrap_or(false),
                video: optional_bool(m, "startmuted", "video")?.unwrap_or(false),
            })
        })
        .transpose()?;

    Ok(Jingle {
        action,
        sid,
        initiator: el.get_attr("initiator").map(str::to_string),
        responder: el.get_attr("responder").map(str::to_string),
        contents,
        groups,
        reason,
        bridge_session,
        start_muted,
    })
}

fn parse_content(
    el: &Element,
    kind_of_mid: &dyn Fn(&str) -> Option<Media>,
) -> Result<Content, JingleError> {
    // Jicofo's source-add contents carry no creator; XEP-0166 makes the initiator the default.
    let creator = match el.get_attr("creator") {
        None | Some("initiator") => Creator::Initiator,
        Some("responder") => Creator::Responder,
        Some(other) => return Err(JingleError::invalid("content", "creator", other)),
    };
    let senders = match el.get_attr("senders") {
        None => None,
        Some(s) => {
            Some(Senders::parse(s).ok_or_else(|| JingleError::invalid("content", "senders", s))?)
        }
    };
    let description = el
        .get_child("description", ns::JINGLE_RTP)
        .map(|d| parse_description(d, kind_of_mid))
        .transpose()?;
    let transport = el
        .get_child("transport", ns::JINGLE_ICE_UDP)
        .map(parse_transport)
        .transpose()?;
    let mut frame_heights = Vec::new();
    for f in el.children_named("source-frame-height", ns::JITMEET_VIDEO) {
        push_bounded(
            &mut frame_heights,
            SourceFrameHeight {
                source_name: token(f, "source-frame-height", "sourceName")?.to_string(),
                max_height: number(f, "source-frame-height", "maxHeight")?,
            },
            "source frame heights",
            limits::MAX_SOURCES,
        )?;
    }
    Ok(Content {
        creator,
        name: token(el, "content", "name")?.to_string(),
        senders,
        frame_heights,
        description,
        transport,
    })
}

fn parse_description(
    el: &Element,
    kind_of_mid: &dyn Fn(&str) -> Option<Media>,
) -> Result<RtpDescription, JingleError> {
    let media_str = required(el, "description", "media")?;
    let media = Media::parse(media_str)
        .or_else(|| kind_of_mid(media_str))
        .ok_or_else(|| JingleError::invalid("description", "media", media_str))?;
    let mut d = RtpDescription::new(media);
    d.maxptime = optional_number(el, "description", "maxptime")?;
    for child in el.children() {
        match (child.ns(), child.name()) {
            (ns::JINGLE_RTP, "payload-type") => push_bounded(
                &mut d.payload_types,
                parse_payload_type(child)?,
                "payload types",
                limits::MAX_PAYLOAD_TYPES,
            )?,
            (ns::JINGLE_RTP, "rtcp-mux") => d.rtcp_mux = true,
            (ns::JINGLE_RTCP_FB, "rtcp-fb") => push_bounded(
                &mut d.rtcp_fbs,
                parse_rtcp_fb(child)?,
                "rtcp-fb",
                limits::MAX_RTCP_FB,
            )?,
            (ns::JINGLE_RTCP_FB, "rtcp-fb-trr-int") => d.trr_int = Some(trr_int(child)?),
            (ns::JINGLE_RTP_HDREXT, "rtp-hdrext") => push_bounded(
                &mut d.hdrexts,
                parse_hdrext(child)?,
                "header extensions",
                limits::MAX_HDREXTS,
            )?,
            (ns::JINGLE_RTP_HDREXT, "extmap-allow-mixed") => d.extmap_allow_mixed = true,
            // Simulcast by RID (`<source rid>`) has no SSRC; it is not used towards the bridge.
            (ns::JINGLE_SSMA, "source")
                if child.get_attr("ssrc").is_some() || child.get_attr("rid").is_none() =>
            {
                push_bounded(
                    &mut d.sources,
                    parse_source(child)?,
                    "sources",
                    limits::MAX_SOURCES,
                )?
            }
            (ns::JINGLE_SSMA, "ssrc-group") => push_bounded(
                &mut d.ssrc_groups,
                parse_ssrc_group(child)?,
                "ssrc groups",
                limits::MAX_SOURCES,
            )?,
            _ => {}
        }
    }
    Ok(d)
}

fn parse_payload_type(el: &Element) -> Result<PayloadType, JingleError> {
    const E: &str = "payload-type";
    let id: u8 = number(el, E, "id")?;
    if id > 127 {
        return Err(JingleError::invalid(E, "id", &id.to_string()));
    }
    let channels = optional_number(el, E, "channels")?.unwrap_or(1);
    if channels == 0 {
        return Err(JingleError::invalid(E, "channels", "0"));
    }
    let mut pt = PayloadType {
        id,
        name: token(el, E, "name")?.to_string(),
        clockrate: number(el, E, "clockrate")?,
        channels,
        parameters: Vec::new(),
        rtcp_fbs: Vec::new(),
        trr_int: None,
    };
    for child in el.children() {
        match (child.ns(), child.name()) {
            (ns::JINGLE_RTP, "parameter") => push_bounded(
                &mut pt.parameters,
                parse_parameter(child, true)?,
                "parameters",
                limits::MAX_PARAMETERS,
            )?,
            (ns::JINGLE_RTCP_FB, "rtcp-fb") => push_bounded(
                &mut pt.rtcp_fbs,
                parse_rtcp_fb(child)?,
                "rtcp-fb",
                limits::MAX_RTCP_FB,
            )?,
            (ns::JINGLE_RTCP_FB, "rtcp-fb-trr-int") => pt.trr_int = Some(trr_int(child)?),
            _ => {}
        }
    }
    Ok(pt)
}

/// fmtp parameters become `name=value;...`, so neither may hold `;` or `=` in the name, and no
/// part may hold whitespace that would split the line.
fn parse_parameter(el: &Element, fmtp: bool) -> Result<Parameter, JingleError> {
    const E: &str = "parameter";
    let name = el.get_attr("name").unwrap_or("");
    let value = required(el, E, "value")?;
    if fmtp {
        if name.contains([';', '=']) || !is_token_or_empty(name) {
            return Err(JingleError::invalid(E, "name", name));
        }
        if value.contains(';') || !is_token(value) {
            return Err(JingleError::invalid(E, "value", value));
        }
    } else {
        if !is_token(name) {
            return Err(JingleError::invalid(E, "name", name));
        }
        if !is_line_safe(value) {
            return Err(JingleError::invalid(E, "value", value));
        }
    }
    Ok(Parameter::new(name, value))
}

fn parse_rtcp_fb(el: &Element) -> Result<RtcpFb, JingleError> {
    Ok(RtcpFb {
        kind: token(el, "rtcp-fb", "type")?.to_string(),
        subtype: optional_token(el, "rtcp-fb", "subtype")?,
    })
}

fn trr_int(el: &Element) -> Result<u32, JingleError> {
    Ok(optional_number(el, "rtcp-fb-trr-int", "value")?.unwrap_or(0))
}

fn parse_hdrext(el: &Element) -> Result<RtpHdrExt, JingleError> {
    const E: &str = "rtp-hdrext";
    let id: u16 = number(el, E, "id")?;
    if !(1..=255).contains(&id) {
        return Err(JingleError::invalid(E, "id", &id.to_string()));
    }
    let senders = match el.get_attr("senders") {
        None => None,
        Some(s) => Some(Senders::parse(s).ok_or_else(|| JingleError::invalid(E, "senders", s))?),
    };
    Ok(RtpHdrExt {
        id,
        uri: token(el, E, "uri")?.to_string(),
        senders,
    })
}

fn parse_source(el: &Element) -> Result<Source, JingleError> {
    const E: &str = "source";
    let mut parameters = Vec::new();
    for p in el.children().filter(|c| c.name() == "parameter") {
        // Jicofo and lib-jitsi-meet inherit the ssma namespace; some writers keep the RTP one.
        if p.ns() == ns::JINGLE_SSMA || p.ns() == ns::JINGLE_RTP {
            push_bounded(
                &mut parameters,
                parse_parameter(p, false)?,
                "parameters",
                limits::MAX_PARAMETERS,
            )?;
        }
    }
    let owner = el
        .get_child("ssrc-info", ns::JITMEET)
        .map(|info| token(info, "ssrc-info", "owner").map(str::to_string))
        .transpose()?;
    Ok(Source {
        ssrc: number(el, E, "ssrc")?,
        name: optional_token(el, E, "name")?,
        video_type: optional_token(el, E, "videoType")?,
        parameters,
        owner,
    })
}

fn parse_ssrc_group(el: &Element) -> Result<SsrcGroup, JingleError> {
    const E: &str = "ssrc-group";
    let mut ssrcs = Vec::new();
    for s in el.children().filter(|c| c.name() == "source") {
        push_bounded(
            &mut ssrcs,
            number(s, "source", "ssrc")?,
            "ssrcs in a group",
            limits::MAX_GROUP_SSRCS,
        )?;
    }
    Ok(SsrcGroup {
        semantics: token(el, E, "semantics")?.to_string(),
        ssrcs,
    })
}

fn parse_transport(el: &Element) -> Result<IceUdpTransport, JingleError> {
    const E: &str = "transport";
    let mut t = IceUdpTransport {
        ufrag: optional_token(el, E, "ufrag")?,
        pwd: optional_token(el, E, "pwd")?,
        ice_generation: optional_number(el, E, "ice-generation")?,
        ..IceUdpTransport::default()
    };
    for child in el.children() {
        match (child.ns(), child.name()) {
            (ns::JINGLE_ICE_UDP, "candidate") => push_bounded(
                &mut t.candidates,
                parse_candidate(child)?,
                "candidates",
                limits::MAX_CANDIDATES,
            )?,
            (ns::JINGLE_ICE_UDP, "rtcp-mux") => t.rtcp_mux = true,
            (ns::JINGLE_DTLS, "fingerprint") => push_bounded(
                &mut t.fingerprints,
                parse_fingerprint(child)?,
                "fingerprints",
                limits::MAX_FINGERPRINTS,
            )?,
            (ns::COLIBRI, "web-socket") => {
                let ws = WebSocket {
                    url: token(child, "web-socket", "url")?.to_string(),
                    active: optional_bool(child, "web-socket", "active")?,
                };
                push_bounded(
                    &mut t.web_sockets,
                    ws,
                    "web sockets",
                    limits::MAX_WEB_SOCKETS,
                )?
            }
            (ns::JINGLE_DTLS_SCTP, "sctpmap") => {
                t.sctp = Some(SctpMap {
                    port: number(child, "sctpmap", "number")?,
                    protocol: token(child, "sctpmap", "protocol")?.to_string(),
                    streams: optional_number(child, "sctpmap", "streams")?,
                })
            }
            _ => {}
        }
    }
    Ok(t)
}

fn parse_fingerprint(el: &Element) -> Result<Fingerprint, JingleError> {
    const E: &str = "fingerprint";
    let value = el.text_content();
    let value = value.trim();
    if value.is_empty() || !is_token(value) {
        return Err(JingleError::invalid(E, "value", value));
    }
    let setup = match el.get_attr("setup") {
        None => None,
        Some(s) => Some(Setup::parse(s).ok_or_else(|| JingleError::invalid(E, "setup", s))?),
    };
    Ok(Fingerprint {
        hash: token(el, E, "hash")?.to_string(),
        value: value.to_string(),
        setup,
        required: optional_bool(el, E, "required")?,
        cryptex: optional_bool(el, E, "cryptex")?.unwrap_or(false),
    })
}

fn parse_candidate(el: &Element) -> Result<Candidate, JingleError> {
    const E: &str = "candidate";
    let kind_str = required(el, E, "type")?;
    let kind =
        CandidateType::parse(kind_str).ok_or_else(|| JingleError::invalid(E, "type", kind_str))?;
    Ok(Candidate {
        component: number(el, E, "component")?,
        foundation: token(el, E, "foundation")?.to_string(),
        generation: optional_number(el, E, "generation")?.unwrap_or(0),
        id: optional_token(el, E, "id")?,
        ip: token(el, E, "ip")?.to_string(),
        port: number(el, E, "port")?,
        priority: number(el, E, "priority")?,
        protocol: token(el, E, "protocol")?.to_ascii_lowercase(),
        kind,
        rel_addr: optional_token(el, E, "rel-addr")?,
        rel_port: optional_number(el, E, "rel-port")?,
        network: optional_number(el, E, "network")?,
        tcptype: optional_token(el, E, "tcptype")?,
    })
}

fn parse_group(el: &Element) -> Result<Group, JingleError> {
    // XEP-0338 says `semantics`; the pre-standard `type` still appears from old peers.
    let semantics = el
        .get_attr("semantics")
        .or_else(|| el.get_attr("type"))
        .ok_or(JingleError::MissingAttribute {
            element: "group",
            attr: "semantics",
        })?;
    if !is_token(semantics) {
        return Err(JingleError::invalid("group", "semantics", semantics));
    }
    let mut contents = Vec::new();
    for c in el.children().filter(|c| c.name() == "content") {
        push_bounded(
            &mut contents,
            token(c, "content", "name")?.to_string(),
            "grouped contents",
            limits::MAX_CONTENTS,
        )?;
    }
    Ok(Group {
        semantics: semantics.to_string(),
        contents,
    })
}

fn parse_reason(el: &Element) -> Reason {
    let condition = el
        .children()
        .find(|c| c.name() != "text")
        .map(|c| c.name().to_string())
        .unwrap_or_else(|| "undefined".to_string());
    Reason {
        condition,
        text: el.get_child("text", ns::JINGLE).map(Element::text_content),
    }
}

pub(crate) fn push_bounded<T>(
    v: &mut Vec<T>,
    item: T,
    what: &'static str,
    limit: usize,
) -> Result<(), JingleError> {
    if v.len() >= limit {
        return Err(too_many(what, limit));
    }
    v.push(item);
    Ok(())
}

fn too_many(what: &'static str, limit: usize) -> JingleError {
    JingleError::TooMany { what, limit }
}

fn required<'a>(
    el: &'a Element,
    element: &'static str,
    attr: &'static str,
) -> Result<&'a str, JingleError> {
    el.get_attr(attr)
        .ok_or(JingleError::MissingAttribute { element, attr })
}

fn token<'a>(
    el: &'a Element,
    element: &'static str,
    attr: &'static str,
) -> Result<&'a str, JingleError> {
    let v = required(el, element, attr)?;
    if is_token(v) {
        Ok(v)
    } else {
        Err(JingleError::invalid(element, attr, v))
    }
}

fn optional_token(
    el: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<Option<String>, JingleError> {
    match el.get_attr(attr) {
        None => Ok(None),
        Some(_) => token(el, element, attr).map(|v| Some(v.to_string())),
    }
}

fn number<T: std::str::FromStr>(
    el: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<T, JingleError> {
    let v = required(el, element, attr)?;
    parse_number(v).ok_or_else(|| JingleError::invalid(element, attr, v))
}

fn optional_number<T: std::str::FromStr>(
    el: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<Option<T>, JingleError> {
    match el.get_attr(attr) {
        None => Ok(None),
        Some(v) => parse_number(v)
            .map(Some)
            .ok_or_else(|| JingleError::invalid(element, attr, v)),
    }
}

/// Plain decimal digits only: Rust's parsers accept a leading `+`, which no peer sends.
fn parse_number<T: std::str::FromStr>(v: &str) -> Option<T> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

fn optional_bool(
    el: &Element,
    element: &'static str,
    attr: &'static str,
) -> Result<Option<bool>, JingleError> {
    match el.get_attr(attr) {
        None => Ok(None),
        Some("true") | Some("1") => Ok(Some(true)),
        Some("false") | Some("0") => Ok(Some(false)),
        Some(v) => Err(JingleError::invalid(element, attr, v)),
    }
}
