//! Our local SDP (the PeerConnection's answer) -> Jingle contents for `session-accept`, following
//! lib-jitsi-meet's `SDP.toJingle`/`transportToJingle`.
//!
//! Towards the bridge the contents are named by media type (`audio`, `video`, and `data` for the
//! SCTP m-line, which Jicofo expects under that name); the extra m-lines a unified-plan answer has
//! for remote tracks only contribute the sources we send on them. In P2P every m-line is a content
//! named by its mid.

use super::error::JingleError;
use super::limits;
use super::model::*;
use super::parse::push_bounded;
use super::sdp::{Attributes, Direction, MediaSection, Sdp, SdpError};
use super::sdp_text::{is_token, is_token_or_empty};
use super::sources::LocalSource;
use super::to_sdp::Peer;

#[derive(Debug, Clone, Copy)]
pub struct AnswerOptions<'a> {
    pub peer: Peer,
    pub creator: Creator,
    /// Names and video types for the SSRCs we send; the SDP only knows SSRCs and msids.
    pub local_sources: &'a [LocalSource],
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JingleMedia {
    pub contents: Vec<Content>,
    pub groups: Vec<Group>,
}

impl JingleMedia {
    /// The stanza carrying this media: `session-accept` for an answered `session-initiate`,
    /// `transport-accept` for an answered `transport-replace`, `session-initiate` when we offer
    /// in P2P.
    pub fn into_jingle(
        self,
        action: Action,
        sid: &str,
        initiator: Option<String>,
        responder: Option<String>,
    ) -> Jingle {
        let mut j = Jingle::new(action, sid);
        j.initiator = initiator;
        j.responder = responder;
        j.contents = self.contents;
        j.groups = self.groups;
        j
    }
}

pub fn sdp_to_jingle(sdp: &Sdp, opts: &AnswerOptions<'_>) -> Result<JingleMedia, JingleError> {
    let mut out = JingleMedia::default();
    for m in &sdp.media {
        let name = match opts.peer {
            Peer::P2p => m
                .mid()
                .filter(|mid| token_ok(mid))
                .ok_or(SdpError::MalformedAttribute("mid"))?
                .to_string(),
            Peer::Bridge if m.media == "application" => "data".to_string(),
            Peer::Bridge => m.media.clone(),
        };
        let sends = !matches!(
            m.direction(),
            Some(Direction::RecvOnly | Direction::Inactive)
        );
        if let Some(existing) = out.contents.iter_mut().find(|c| c.name == name) {
            if let (true, Some(d)) = (sends, existing.description.as_mut()) {
                add_sources(d, m, opts.local_sources)?;
            }
            continue;
        }
        if out.contents.len() == limits::MAX_CONTENTS {
            return Err(JingleError::TooMany {
                what: "contents",
                limit: limits::MAX_CONTENTS,
            });
        }
        out.contents
            .push(media_to_content(sdp, m, name, sends, opts)?);
    }
    let names: Vec<String> = out.contents.iter().map(|c| c.name.clone()).collect();
    for g in sdp.attrs("group") {
        let mut parts = g.split(' ').filter(|p| !p.is_empty());
        let Some(semantics) = parts.next() else {
            continue;
        };
        let semantics = word(semantics, "group")?;
        // Towards the bridge the m-lines were regrouped under media-type names, so BUNDLE names
        // those contents; other groupings have no meaning there.
        let contents = match opts.peer {
            Peer::P2p => {
                let mut members = Vec::new();
                for p in parts {
                    let member = word(p, "group")?;
                    push_bounded(
                        &mut members,
                        member,
                        "grouped contents",
                        limits::MAX_CONTENTS,
                    )?;
                }
                members
            }
            Peer::Bridge if semantics == "BUNDLE" => names.clone(),
            Peer::Bridge => continue,
        };
        // The bounds parse_jingle puts on a peer's Jingle hold for ours too.
        let group = Group {
            semantics,
            contents,
        };
        push_bounded(&mut out.groups, group, "groups", limits::MAX_GROUPS)?;
    }
    Ok(out)
}

fn media_to_content(
    sdp: &Sdp,
    m: &MediaSection,
    name: String,
    sends: bool,
    opts: &AnswerOptions<'_>,
) -> Result<Content, JingleError> {
    let media = Media::parse(&m.media).ok_or(SdpError::MalformedAttribute("m"))?;
    let description = if media == Media::Application {
        None
    } else {
        let mut d = description(sdp, m, media)?;
        if sends {
            add_sources(&mut d, m, opts.local_sources)?;
        }
        Some(d)
    };
    let senders = if m.port == 0 && !m.has_attr("bundle-only") {
        Some(Senders::Rejected)
    } else {
        m.direction().map(|d| match d {
            Direction::SendRecv => Senders::Both,
            Direction::SendOnly => Senders::Initiator,
            Direction::RecvOnly => Senders::Responder,
            Direction::Inactive => Senders::None,
        })
    };
    Ok(Content {
        creator: opts.creator,
        name,
        senders,
        frame_heights: Vec::new(),
        description,
        transport: Some(transport(sdp, m)?),
    })
}

fn description(sdp: &Sdp, m: &MediaSection, media: Media) -> Result<RtpDescription, JingleError> {
    let mut d = RtpDescription::new(media);
    for fmt in &m.formats {
        let Some(rtpmap) = m.attrs("rtpmap").find(|v| v.split(' ').next() == Some(fmt)) else {
            continue;
        };
        let mut pt = parse_rtpmap(rtpmap)?;
        if let Some(fmtp) = m.attrs("fmtp").find(|v| v.split(' ').next() == Some(fmt)) {
            pt.parameters = parse_fmtp(fmtp)?;
        }
        (pt.rtcp_fbs, pt.trr_int) = feedback(m, fmt)?;
        push_bounded(
            &mut d.payload_types,
            pt,
            "payload types",
            limits::MAX_PAYLOAD_TYPES,
        )?;
    }
    (d.rtcp_fbs, d.trr_int) = feedback(m, "*")?;
    d.rtcp_mux = m.has_attr("rtcp-mux");
    d.maxptime = m
        .attr("maxptime")
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| SdpError::MalformedAttribute("maxptime"))
        })
        .transpose()?;
    for v in m.attrs("extmap").chain(sdp.attrs("extmap")) {
        if d.hdrexts.len() == limits::MAX_HDREXTS {
            return Err(JingleError::TooMany {
                what: "header extensions",
                limit: limits::MAX_HDREXTS,
            });
        }
        d.hdrexts.push(parse_extmap(v)?);
    }
    d.extmap_allow_mixed = m.has_attr("extmap-allow-mixed") || sdp.has_attr("extmap-allow-mixed");
    Ok(d)
}

fn parse_rtpmap(v: &str) -> Result<PayloadType, SdpError> {
    let bad = || SdpError::MalformedAttribute("rtpmap");
    let (id, encoding) = v.split_once(' ').ok_or_else(bad)?;
    let mut enc = encoding.trim().split('/');
    let name = enc.next().filter(|n| token_ok(n)).ok_or_else(bad)?;
    let clockrate = enc.next().and_then(|c| c.parse().ok()).ok_or_else(bad)?;
    let channels = match enc.next() {
        Some(c) => c.parse().ok().filter(|c| *c > 0).ok_or_else(bad)?,
        None => 1,
    };
    Ok(PayloadType {
        id: id.parse().ok().filter(|id| *id <= 127).ok_or_else(bad)?,
        name: name.to_string(),
        clockrate,
        channels,
        parameters: Vec::new(),
        rtcp_fbs: Vec::new(),
        trr_int: None,
    })
}

fn parse_fmtp(v: &str) -> Result<Vec<Parameter>, SdpError> {
    let params = v.split_once(' ').map(|(_, p)| p).unwrap_or("");
    let mut out = Vec::new();
    for part in params.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        if out.len() == limits::MAX_PARAMETERS {
            return Err(SdpError::MalformedAttribute("fmtp"));
        }
        let (name, value) = match part.split_once('=') {
            Some((name, value)) => (name.trim(), value.trim()),
            None => ("", part),
        };
        // What parse_jingle requires of a peer's fmtp parameter: our session-accept must be
        // Jingle that we, and so Jicofo, read back as sent.
        if !is_token_or_empty(name) || !is_token(value) {
            return Err(SdpError::MalformedAttribute("fmtp"));
        }
        out.push(Parameter::new(name, value));
    }
    Ok(out)
}

fn feedback(m: &MediaSection, pt: &str) -> Result<(Vec<RtcpFb>, Option<u32>), SdpError> {
    let mut fbs = Vec::new();
    let mut trr_int = None;
    for v in m.attrs("rtcp-fb") {
        let mut parts = v.split(' ').filter(|p| !p.is_empty());
        if parts.next() != Some(pt) {
            continue;
        }
        let kind = parts
            .next()
            .ok_or(SdpError::MalformedAttribute("rtcp-fb"))?;
        let kind = word(kind, "rtcp-fb")?;
        let param = parts.next().map(|p| word(p, "rtcp-fb")).transpose()?;
        if kind == "trr-int" {
            trr_int = Some(
                param
                    .and_then(|p| p.parse().ok())
                    .ok_or(SdpError::MalformedAttribute("rtcp-fb"))?,
            );
        } else if fbs.len() < limits::MAX_RTCP_FB {
            fbs.push(RtcpFb {
                kind,
                subtype: param,
            });
        }
    }
    Ok((fbs, trr_int))
}

fn parse_extmap(v: &str) -> Result<RtpHdrExt, SdpError> {
    let bad = || SdpError::MalformedAttribute("extmap");
    let mut parts = v.split(' ').filter(|p| !p.is_empty());
    let id_dir = parts.next().ok_or_else(bad)?;
    let (id, direction) = match id_dir.split_once('/') {
        Some((id, dir)) => (id, Some(dir)),
        None => (id_dir, None),
    };
    // lib-jitsi-meet's toJingle mapping, which reads the direction from the receiver's side.
    let senders = match direction {
        None => None,
        Some("sendonly") => Some(Senders::Responder),
        Some("recvonly") => Some(Senders::Initiator),
        Some("sendrecv") => Some(Senders::Both),
        Some("inactive") => Some(Senders::None),
        Some(_) => return Err(bad()),
    };
    Ok(RtpHdrExt {
        id: id
            .parse()
            .ok()
            .filter(|id| (1..=255).contains(id))
            .ok_or_else(bad)?,
        uri: parts
            .next()
            .filter(|u| token_ok(u))
            .ok_or_else(bad)?
            .to_string(),
        senders,
    })
}

fn add_sources(
    d: &mut RtpDescription,
    m: &MediaSection,
    local: &[LocalSource],
) -> Result<(), JingleError> {
    let media_msid = m.attr("msid");
    for ssrc in m.ssrcs() {
        if d.sources.len() == limits::MAX_SOURCES {
            return Err(JingleError::TooMany {
                what: "sources",
                limit: limits::MAX_SOURCES,
            });
        }
        let known = local.iter().find(|s| s.owns(ssrc));
        let msid = m
            .ssrc_attr(ssrc, "msid")
            .or(media_msid)
            .or(known.map(|k| k.msid.as_str()))
            .filter(|v| super::sdp_text::is_line_safe(v));
        d.sources.push(Source {
            ssrc,
            name: known.map(|k| k.name.to_string()).or_else(|| {
                m.ssrc_attr(ssrc, "name")
                    .filter(|n| token_ok(n))
                    .map(str::to_string)
            }),
            video_type: known
                .and_then(|k| k.video_type)
                .map(|v| v.as_str().to_string())
                .or_else(|| {
                    m.ssrc_attr(ssrc, "videoType")
                        .filter(|n| token_ok(n))
                        .map(str::to_string)
                }),
            parameters: msid
                .map(|v| vec![Parameter::new("msid", v)])
                .unwrap_or_default(),
            owner: None,
        });
    }
    for g in m.attrs("ssrc-group") {
        let mut parts = g.split(' ').filter(|p| !p.is_empty());
        let semantics = parts
            .next()
            .ok_or(SdpError::MalformedAttribute("ssrc-group"))?;
        let ssrcs = parts
            .take(limits::MAX_GROUP_SSRCS)
            .map(|s| {
                s.parse()
                    .map_err(|_| SdpError::MalformedAttribute("ssrc-group"))
            })
            .collect::<Result<Vec<u32>, _>>()?;
        if !ssrcs.is_empty() {
            let group = SsrcGroup {
                semantics: word(semantics, "ssrc-group")?,
                ssrcs,
            };
            push_bounded(
                &mut d.ssrc_groups,
                group,
                "ssrc groups",
                limits::MAX_SOURCES,
            )?;
        }
    }
    Ok(())
}

fn transport(sdp: &Sdp, m: &MediaSection) -> Result<IceUdpTransport, JingleError> {
    let media_or_session = |name: &'static str| m.attr(name).or_else(|| sdp.attr(name));
    let mut t = IceUdpTransport {
        ufrag: media_or_session("ice-ufrag")
            .map(|u| word(u, "ice-ufrag"))
            .transpose()?,
        pwd: media_or_session("ice-pwd")
            .map(|p| word(p, "ice-pwd"))
            .transpose()?,
        ..IceUdpTransport::default()
    };
    let setup = media_or_session("setup").and_then(Setup::parse);
    let cryptex = m.has_attr("cryptex") || sdp.has_attr("cryptex");
    for f in m
        .attrs("fingerprint")
        .chain(sdp.attrs("fingerprint"))
        .take(limits::MAX_FINGERPRINTS)
    {
        let (hash, value) = f
            .split_once(' ')
            .ok_or(SdpError::MalformedAttribute("fingerprint"))?;
        t.fingerprints.push(Fingerprint {
            hash: word(hash, "fingerprint")?,
            value: word(value.trim(), "fingerprint")?,
            setup,
            required: None,
            cryptex,
        });
    }
    // With RTCP multiplexed (and for SCTP) only component 1 exists; webrtc-rs still lists every
    // candidate a second time as component 2, which would only make the bridge probe in vain.
    let rtp_only = m.has_attr("rtcp-mux") || m.media == "application";
    for c in m.attrs("candidate").chain(sdp.attrs("candidate")) {
        if t.candidates.len() == limits::MAX_CANDIDATES {
            return Err(JingleError::TooMany {
                what: "candidates",
                limit: limits::MAX_CANDIDATES,
            });
        }
        let candidate = Candidate::from_sdp_value(c)?;
        if !(rtp_only && candidate.component != 1) {
            t.candidates.push(candidate);
        }
    }
    if let Some(port) = m.attr("sctp-port") {
        t.sctp = Some(SctpMap {
            port: port
                .trim()
                .parse()
                .map_err(|_| SdpError::MalformedAttribute("sctp-port"))?,
            protocol: "webrtc-datachannel".to_string(),
            streams: None,
        });
    } else if let Some(map) = m.attr("sctpmap") {
        let mut parts = map.split(' ');
        let port = parts.next().and_then(|p| p.parse().ok());
        let protocol = parts.next().filter(|p| token_ok(p));
        let (Some(port), Some(protocol)) = (port, protocol) else {
            return Err(SdpError::MalformedAttribute("sctpmap").into());
        };
        t.sctp = Some(SctpMap {
            port,
            protocol: protocol.to_string(),
            streams: parts.next().and_then(|s| s.parse().ok()),
        });
    }
    Ok(t)
}

fn token_ok(s: &str) -> bool {
    super::sdp_text::is_token(s)
}

/// A value that becomes one word of a Jingle attribute: what parse_jingle, like Jicofo, accepts
/// there. Our answer must read back as we wrote it.
fn word(s: &str, attr: &'static str) -> Result<String, SdpError> {
    if token_ok(s) {
        Ok(s.to_string())
    } else {
        Err(SdpError::MalformedAttribute(attr))
    }
}
