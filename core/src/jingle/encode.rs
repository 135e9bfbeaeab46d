//! [`Jingle`] -> `<jingle>` element, laid out as lib-jitsi-meet's `SDP.toJingle` writes it
//! (description, then transport; sources inside the description).

use crate::xml::Element;
use crate::xmpp::ns;

use super::model::*;

pub fn encode_jingle(j: &Jingle) -> Element {
    let mut el = Element::new("jingle", ns::JINGLE)
        .attr("action", j.action.as_str())
        .attr("sid", &j.sid)
        .attr_opt("initiator", j.initiator.as_deref())
        .attr_opt("responder", j.responder.as_deref());
    for g in &j.groups {
        el.push_child(
            Element::new("group", ns::JINGLE_GROUPING)
                .attr("semantics", &g.semantics)
                .children_from(
                    g.contents
                        .iter()
                        .map(|c| Element::new("content", ns::JINGLE_GROUPING).attr("name", c)),
                ),
        );
    }
    for c in &j.contents {
        el.push_child(encode_content(c));
    }
    if let Some(b) = &j.bridge_session {
        el.push_child(
            Element::new("bridge-session", ns::FOCUS)
                .attr_opt("id", b.id.as_deref())
                .attr_opt("region", b.region.as_deref())
                .attr_opt("ice-restart", b.ice_restart.then_some("true"))
                .attr_opt("restart", b.restart.then_some("true")),
        );
    }
    if let Some(m) = &j.start_muted {
        el.push_child(
            Element::new("startmuted", ns::JITMEET_START_MUTED)
                .attr("audio", m.audio.to_string())
                .attr("video", m.video.to_string()),
        );
    }
    if let Some(r) = &j.reason {
        let mut reason =
            Element::new("reason", ns::JINGLE).child(Element::new(&r.condition, ns::JINGLE));
        if let Some(text) = &r.text {
            reason.push_child(Element::new("text", ns::JINGLE).text(text));
        }
        el.push_child(reason);
    }
    el
}

fn encode_content(c: &Content) -> Element {
    let mut el = Element::new("content", ns::JINGLE)
        .attr("creator", c.creator.as_str())
        .attr("name", &c.name)
        .attr_opt("senders", c.senders.map(Senders::as_str));
    for f in &c.frame_heights {
        el.push_child(
            Element::new("source-frame-height", ns::JITMEET_VIDEO)
                .attr("maxHeight", f.max_height.to_string())
                .attr("sourceName", &f.source_name),
        );
    }
    if let Some(d) = &c.description {
        el.push_child(encode_description(d));
    }
    if let Some(t) = &c.transport {
        el.push_child(encode_transport(t));
    }
    el
}

fn encode_description(d: &RtpDescription) -> Element {
    let mut el = Element::new("description", ns::JINGLE_RTP)
        .attr("media", d.media.as_str())
        .attr_opt("maxptime", d.maxptime.map(|v| v.to_string()));
    for pt in &d.payload_types {
        let mut p = Element::new("payload-type", ns::JINGLE_RTP)
            .attr("id", pt.id.to_string())
            .attr("name", &pt.name)
            .attr("clockrate", pt.clockrate.to_string());
        if pt.channels != 1 {
            p.set_attr("channels", pt.channels.to_string());
        }
        for param in &pt.parameters {
            p.push_child(encode_parameter(param, ns::JINGLE_RTP));
        }
        encode_feedback(&mut p, &pt.rtcp_fbs, pt.trr_int);
        el.push_child(p);
    }
    for s in &d.sources {
        el.push_child(encode_source(s));
    }
    for g in &d.ssrc_groups {
        el.push_child(encode_ssrc_group(g));
    }
    if d.rtcp_mux {
        el.push_child(Element::new("rtcp-mux", ns::JINGLE_RTP));
    }
    encode_feedback(&mut el, &d.rtcp_fbs, d.trr_int);
    for h in &d.hdrexts {
        el.push_child(
            Element::new("rtp-hdrext", ns::JINGLE_RTP_HDREXT)
                .attr("id", h.id.to_string())
                .attr("uri", &h.uri)
                .attr_opt("senders", h.senders.map(Senders::as_str)),
        );
    }
    if d.extmap_allow_mixed {
        el.push_child(Element::new("extmap-allow-mixed", ns::JINGLE_RTP_HDREXT));
    }
    el
}

fn encode_feedback(el: &mut Element, fbs: &[RtcpFb], trr_int: Option<u32>) {
    if let Some(v) = trr_int {
        el.push_child(
            Element::new("rtcp-fb-trr-int", ns::JINGLE_RTCP_FB).attr("value", v.to_string()),
        );
    }
    for fb in fbs {
        el.push_child(
            Element::new("rtcp-fb", ns::JINGLE_RTCP_FB)
                .attr("type", &fb.kind)
                .attr_opt("subtype", fb.subtype.as_deref()),
        );
    }
}

fn encode_parameter(p: &Parameter, namespace: &str) -> Element {
    Element::new("parameter", namespace)
        .attr("name", &p.name)
        .attr("value", &p.value)
}

pub(crate) fn encode_source(s: &Source) -> Element {
    let mut el = Element::new("source", ns::JINGLE_SSMA)
        .attr("ssrc", s.ssrc.to_string())
        .attr_opt("name", s.name.as_deref())
        .attr_opt("videoType", s.video_type.as_deref());
    for p in &s.parameters {
        el.push_child(encode_parameter(p, ns::JINGLE_SSMA));
    }
    if let Some(owner) = &s.owner {
        el.push_child(Element::new("ssrc-info", ns::JITMEET).attr("owner", owner));
    }
    el
}

pub(crate) fn encode_ssrc_group(g: &SsrcGroup) -> Element {
    Element::new("ssrc-group", ns::JINGLE_SSMA)
        .attr("semantics", &g.semantics)
        .children_from(
            g.ssrcs
                .iter()
                .map(|ssrc| Element::new("source", ns::JINGLE_SSMA).attr("ssrc", ssrc.to_string())),
        )
}

fn encode_transport(t: &IceUdpTransport) -> Element {
    let mut el = Element::new("transport", ns::JINGLE_ICE_UDP)
        .attr_opt("ufrag", t.ufrag.as_deref())
        .attr_opt("pwd", t.pwd.as_deref())
        .attr_opt("ice-generation", t.ice_generation.map(|g| g.to_string()));
    if let Some(s) = &t.sctp {
        el.push_child(
            Element::new("sctpmap", ns::JINGLE_DTLS_SCTP)
                .attr("number", s.port.to_string())
                .attr("protocol", &s.protocol)
                // lib-jitsi-meet writes 0 when SDP has no count: Jicofo's parser requires it.
                .attr("streams", s.streams.unwrap_or(0).to_string()),
        );
    }
    for f in &t.fingerprints {
        el.push_child(
            Element::new("fingerprint", ns::JINGLE_DTLS)
                .attr("hash", &f.hash)
                .attr_opt("setup", f.setup.map(Setup::as_str))
                .attr_opt("required", f.required.map(|r| r.to_string()))
                .attr_opt("cryptex", f.cryptex.then_some("true"))
                .text(&f.value),
        );
    }
    for w in &t.web_sockets {
        el.push_child(
            Element::new("web-socket", ns::COLIBRI)
                .attr("url", &w.url)
                .attr_opt("active", w.active.map(|a| a.to_string())),
        );
    }
    if t.rtcp_mux {
        el.push_child(Element::new("rtcp-mux", ns::JINGLE_ICE_UDP));
    }
    for c in &t.candidates {
        el.push_child(encode_candidate(c));
    }
    el
}

fn encode_candidate(c: &Candidate) -> Element {
    Element::new("candidate", ns::JINGLE_ICE_UDP)
        .attr("component", c.component.to_string())
        .attr("foundation", &c.foundation)
        .attr("generation", c.generation.to_string())
        .attr_opt("id", c.id.as_deref())
        .attr("ip", &c.ip)
        .attr("port", c.port.to_string())
        .attr("priority", c.priority.to_string())
        .attr("protocol", &c.protocol)
        .attr("type", c.kind.as_str())
        .attr_opt("rel-addr", c.rel_addr.as_deref())
        .attr_opt("rel-port", c.rel_port.map(|p| p.to_string()))
        .attr_opt("network", c.network.map(|n| n.to_string()))
        .attr_opt("tcptype", c.tcptype.as_deref())
}
