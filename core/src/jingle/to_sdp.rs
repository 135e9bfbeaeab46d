//! A Jingle offer (`session-initiate`, `transport-replace`) -> the remote SDP to give the
//! PeerConnection, following lib-jitsi-meet's `SDP.fromJingle`/`jingle2media`.
//!
//! Towards the bridge, Jicofo puts every remote source of a media type in one content; a
//! unified-plan PeerConnection needs one m-line per remote track, so each source (with its
//! RTX/simulcast SSRCs) gets its own m-line, mids are renumbered `0..n` and BUNDLE regenerated,
//! exactly as lib-jitsi-meet does. In P2P the contents map one to one onto m-lines named by
//! content name.

use std::collections::{HashMap, HashSet};

use super::error::JingleError;
use super::model::*;
use super::sdp::{Direction, MediaSection, Sdp, SdpLine};
use super::sources::{groups_by_ssrc, touching};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Bridge,
    P2p,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferOptions {
    pub peer: Peer,
    /// `o=` session id; lib-jitsi-meet uses the current time so every PeerConnection differs.
    pub session_id: u64,
}

pub fn jingle_to_sdp(j: &Jingle, opts: &OfferOptions) -> Result<Sdp, JingleError> {
    let mut sdp = Sdp {
        session: vec![
            SdpLine::field('o', format!("- {} 2 IN IP4 0.0.0.0", opts.session_id)),
            SdpLine::field('s', "-"),
            SdpLine::field('t', "0 0"),
            SdpLine::attr("msid-semantic", " WMS *"),
        ],
        media: Vec::new(),
    };
    let fingerprints = j
        .contents
        .iter()
        .filter_map(|c| c.transport.as_ref())
        .flat_map(|t| &t.fingerprints);
    if fingerprints.clone().any(|f| f.cryptex) {
        sdp.session.push(SdpLine::flag("cryptex"));
    }
    let mut sections = Vec::new();
    for c in &j.contents {
        match opts.peer {
            Peer::P2p => sections.extend(content_to_media(c, c.description.as_ref(), c.senders)?),
            Peer::Bridge => sections.extend(bridge_sections(c)?),
        }
    }
    match opts.peer {
        Peer::P2p => {
            for g in &j.groups {
                let present: Vec<&str> = g
                    .contents
                    .iter()
                    .map(String::as_str)
                    .filter(|name| sections.iter().any(|m| m.mid() == Some(name)))
                    .collect();
                if !present.is_empty() {
                    sdp.session.push(SdpLine::attr(
                        "group",
                        format!("{} {}", g.semantics, present.join(" ")),
                    ));
                }
            }
            sdp.media = sections;
        }
        Peer::Bridge => {
            for (i, m) in sections.iter_mut().enumerate() {
                m.set_attr("mid", &i.to_string());
            }
            sdp.media = sections;
            if j.bundle().is_some() {
                let mids: Vec<String> = (0..sdp.media.len()).map(|i| i.to_string()).collect();
                sdp.set_bundle(&mids.iter().map(String::as_str).collect::<Vec<_>>());
            }
        }
    }
    Ok(sdp)
}

/// Towards the bridge each remote source (one track: its SSRC plus the RTX and simulcast SSRCs
/// its groups tie to it) gets its own m-line; the first, which holds the bridge's own feedback
/// source, is `sendrecv` and carries what we send, the others are `sendonly`.
fn bridge_sections(c: &Content) -> Result<Vec<MediaSection>, JingleError> {
    let sctp = c.transport.as_ref().is_some_and(|t| t.sctp.is_some());
    match &c.description {
        Some(d) if !sctp && !d.sources.is_empty() => {
            let mut out = Vec::new();
            for (i, unit) in one_description_per_track(d).iter().enumerate() {
                let senders = if i == 0 {
                    Senders::Both
                } else {
                    Senders::Initiator
                };
                out.extend(content_to_media(c, Some(unit), Some(senders))?);
            }
            Ok(out)
        }
        d => Ok(content_to_media(c, d.as_ref(), c.senders)?
            .into_iter()
            .collect()),
    }
}

fn one_description_per_track(d: &RtpDescription) -> Vec<RtpDescription> {
    // Indexed, so that an offer for a large conference translates in time linear in its
    // sources: the groups each SSRC is in, the sources each SSRC is signalled by.
    let groups_of = groups_by_ssrc(d.ssrc_groups.iter());
    let mut sources_of: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, s) in d.sources.iter().enumerate() {
        sources_of.entry(s.ssrc).or_default().push(i);
    }
    let shared = RtpDescription {
        sources: Vec::new(),
        ssrc_groups: Vec::new(),
        ..d.clone()
    };
    let mut out = Vec::new();
    let mut placed: HashSet<u32> = HashSet::new();
    for s in bridge_first(&d.sources) {
        if placed.contains(&s.ssrc) {
            continue;
        }
        let all = track_ssrcs(s.ssrc, &d.ssrc_groups, &groups_of);
        placed.extend(&all);
        // Every group touching the track lies within it: `track_ssrcs` followed them all.
        let groups: Vec<SsrcGroup> = touching(&all, &groups_of)
            .map(|i| d.ssrc_groups[i].clone())
            .collect();
        let unit = received_layer(all, &groups);
        let members: Vec<usize> = touching(&unit, &sources_of).collect();
        out.push(RtpDescription {
            sources: members.iter().map(|&i| d.sources[i].clone()).collect(),
            ssrc_groups: groups
                .into_iter()
                .filter(|g| g.ssrcs.iter().all(|s| unit.contains(s)))
                .collect(),
            ..shared.clone()
        });
    }
    out
}

/// Of a simulcast track only the SIM group's first SSRC and its RTX: the bridge forwards one
/// layer, on that SSRC, and lib-jitsi-meet's receiver implodes remote simulcast the same way
/// (sdp-simulcast `_implodeRemoteSimulcast`); the SIM group itself goes too.
pub(super) fn received_layer(unit: Vec<u32>, groups: &[SsrcGroup]) -> Vec<u32> {
    let Some(&first) = groups
        .iter()
        .find(|g| g.semantics == "SIM" && g.ssrcs.iter().all(|s| unit.contains(s)))
        .and_then(|g| g.ssrcs.first())
    else {
        return unit;
    };
    let mut kept = vec![first];
    for g in groups.iter().filter(|g| g.semantics == "FID") {
        if g.ssrcs.first() == Some(&first) {
            kept.extend(g.ssrcs.iter().skip(1).filter(|s| unit.contains(s)));
        }
    }
    kept
}

/// The bridge's own feedback source (msid `mixedmslabel`) must come first: its m-line is the one
/// our sending track is attached to (lib-jitsi-meet `jingle2media`).
fn bridge_first(sources: &[Source]) -> impl Iterator<Item = &Source> {
    let is_bridge = |s: &&Source| s.msid().is_some_and(|m| m.contains("mixedmslabel"));
    sources
        .iter()
        .filter(is_bridge)
        .chain(sources.iter().filter(move |s| !is_bridge(s)))
}

/// An SSRC with every SSRC its groups tie it to (FID RTX, SIM layers and their RTX): one track.
fn track_ssrcs(ssrc: u32, groups: &[SsrcGroup], groups_of: &HashMap<u32, Vec<usize>>) -> Vec<u32> {
    let mut unit = vec![ssrc];
    let mut next = 0;
    while let Some(&s) = unit.get(next) {
        for &g in groups_of.get(&s).into_iter().flatten() {
            for x in &groups[g].ssrcs {
                if !unit.contains(x) {
                    unit.push(*x);
                }
            }
        }
        next += 1;
    }
    unit
}

fn content_to_media(
    c: &Content,
    description: Option<&RtpDescription>,
    senders: Option<Senders>,
) -> Result<Option<MediaSection>, JingleError> {
    let transport = c.transport.as_ref();
    let sctp = transport.and_then(|t| t.sctp.as_ref());
    let port = if senders == Some(Senders::Rejected) {
        0
    } else {
        9
    };
    let mut m = match (sctp, description) {
        (Some(sctp), _) => {
            let mut m = MediaSection {
                media: "application".into(),
                port,
                proto: "UDP/DTLS/SCTP".into(),
                formats: vec!["webrtc-datachannel".into()],
                lines: Vec::new(),
            };
            m.lines
                .push(SdpLine::attr("sctp-port", sctp.port.to_string()));
            m.lines.push(SdpLine::attr("max-message-size", "262144"));
            m.lines.push(SdpLine::field('c', "IN IP4 0.0.0.0"));
            m
        }
        // Jicofo's data content without an SCTP map offers nothing we can open.
        (None, Some(d)) if d.media == Media::Application => return Ok(None),
        (None, Some(d)) => MediaSection {
            media: d.media.as_str().into(),
            port,
            proto: "UDP/TLS/RTP/SAVPF".into(),
            formats: d.payload_types.iter().map(|p| p.id.to_string()).collect(),
            lines: vec![
                SdpLine::field('c', "IN IP4 0.0.0.0"),
                SdpLine::attr("rtcp", "1 IN IP4 0.0.0.0"),
            ],
        },
        (None, None) => return Err(JingleError::EmptyContent(c.name.clone())),
    };
    if let Some(t) = transport {
        push_transport(&mut m.lines, t);
    }
    let direction = match senders {
        Some(Senders::Initiator) => Some(Direction::SendOnly),
        Some(Senders::Responder) => Some(Direction::RecvOnly),
        Some(Senders::None) => Some(Direction::Inactive),
        Some(Senders::Both) => Some(Direction::SendRecv),
        Some(Senders::Rejected) | None => None,
    };
    if let Some(d) = direction {
        m.lines.push(SdpLine::flag(d.as_str()));
    }
    m.lines.push(SdpLine::attr("mid", &c.name));
    if let (None, Some(d)) = (sctp, description) {
        push_description(&mut m.lines, d);
    }
    Ok(Some(m))
}

fn push_transport(lines: &mut Vec<SdpLine>, t: &IceUdpTransport) {
    if let Some(ufrag) = &t.ufrag {
        lines.push(SdpLine::attr("ice-ufrag", ufrag));
    }
    if let Some(pwd) = &t.pwd {
        lines.push(SdpLine::attr("ice-pwd", pwd));
    }
    for f in &t.fingerprints {
        lines.push(SdpLine::attr(
            "fingerprint",
            format!("{} {}", f.hash, f.value),
        ));
        if let Some(setup) = f.setup {
            lines.push(SdpLine::attr("setup", setup.as_str()));
        }
    }
    for c in &t.candidates {
        lines.push(SdpLine::attr("candidate", c.to_sdp_value()));
    }
}

fn push_description(lines: &mut Vec<SdpLine>, d: &RtpDescription) {
    if d.rtcp_mux {
        lines.push(SdpLine::flag("rtcp-mux"));
    }
    for pt in &d.payload_types {
        let mut rtpmap = format!("{} {}/{}", pt.id, pt.name, pt.clockrate);
        if pt.channels != 1 {
            rtpmap.push_str(&format!("/{}", pt.channels));
        }
        lines.push(SdpLine::attr("rtpmap", rtpmap));
        if !pt.parameters.is_empty() {
            let params: Vec<String> = pt
                .parameters
                .iter()
                .map(|p| match p.name.as_str() {
                    "" => p.value.clone(),
                    name => format!("{name}={}", p.value),
                })
                .collect();
            lines.push(SdpLine::attr(
                "fmtp",
                format!("{} {}", pt.id, params.join(";")),
            ));
        }
        push_feedback(lines, &pt.id.to_string(), &pt.rtcp_fbs, pt.trr_int);
    }
    push_feedback(lines, "*", &d.rtcp_fbs, d.trr_int);
    if let Some(maxptime) = d.maxptime {
        lines.push(SdpLine::attr("maxptime", maxptime.to_string()));
    }
    for h in &d.hdrexts {
        lines.push(SdpLine::attr("extmap", format!("{} {}", h.id, h.uri)));
    }
    if d.extmap_allow_mixed {
        lines.push(SdpLine::flag("extmap-allow-mixed"));
    }
    for g in &d.ssrc_groups {
        lines.push(ssrc_group_line(g));
    }
    for s in bridge_first(&d.sources) {
        push_source_lines(lines, s.ssrc, &s.parameters);
    }
}

fn push_feedback(lines: &mut Vec<SdpLine>, pt: &str, fbs: &[RtcpFb], trr_int: Option<u32>) {
    if let Some(v) = trr_int {
        lines.push(SdpLine::attr("rtcp-fb", format!("{pt} trr-int {v}")));
    }
    for fb in fbs {
        let value = match &fb.subtype {
            Some(sub) => format!("{pt} {} {sub}", fb.kind),
            None => format!("{pt} {}", fb.kind),
        };
        lines.push(SdpLine::attr("rtcp-fb", value));
    }
}

pub(crate) fn ssrc_group_line(g: &SsrcGroup) -> SdpLine {
    let ssrcs: Vec<String> = g.ssrcs.iter().map(u32::to_string).collect();
    SdpLine::attr("ssrc-group", format!("{} {}", g.semantics, ssrcs.join(" ")))
}

/// `a=ssrc:` lines for one SSRC. RFC 5576 wants a cname for every source; Jicofo does not always
/// send one, so the first SSRC's msid stream stands in.
pub(crate) fn push_source_lines(lines: &mut Vec<SdpLine>, ssrc: u32, parameters: &[Parameter]) {
    if !parameters.iter().any(|p| p.name == "cname") {
        let cname = parameters
            .iter()
            .find(|p| p.name == "msid")
            .and_then(|p| p.value.split(' ').next())
            .unwrap_or("jitsi");
        lines.push(SdpLine::attr("ssrc", format!("{ssrc} cname:{cname}")));
    }
    for p in parameters.iter().filter(|p| p.name != "mid") {
        lines.push(SdpLine::attr(
            "ssrc",
            format!("{ssrc} {}:{}", p.name, p.value),
        ));
    }
}

/// The section without its sources: the template for a new remote track's m-line.
pub(crate) fn strip_sources(m: &MediaSection) -> MediaSection {
    let mut t = m.clone();
    t.retain_lines(|l| !matches!(l, SdpLine::Attr { name, .. } if matches!(name.as_str(), "ssrc" | "ssrc-group" | "msid" | "bundle-only")));
    t
}
