//! The `session-initiate` Jicofo sends a participant on a bridge: contents `audio` and `video`
//! (jicofo's `JingleOfferFactory`, codecs and header extensions from jicofo-selector's
//! reference.conf), the bridge transport cloned into each content with the colibri
//! `web-socket` (`ParticipantInviteRunnable.updateOffer`), the other participants' sources with
//! their owners (`ssrc-info`), a BUNDLE group. Only H.264 is offered for video: it is what the
//! SDK encodes, and the testbed forwards without transcoding; Jicofo would list AV1, VP8, VP9
//! first. No `data` content: the testbed has no SCTP, the bridge channel is colibri-ws.

use std::net::SocketAddr;

use omni_jitsi_core::jingle::{
    Action, Candidate, CandidateType, Content, Creator, Fingerprint, Group, IceUdpTransport,
    Jingle, Media, Parameter, PayloadType, RtcpFb, RtpDescription, RtpHdrExt, Senders, Setup,
    Source, SsrcGroup, WebSocket,
};

use super::router::{Kind, SourceDesc};
use super::transport::HOST_PRIORITY;

pub const OPUS_PT: u8 = 111;
pub const H264_PT: u8 = 107;
pub const H264_RTX_PT: u8 = 99;
pub const TELEPHONE_EVENT_PT: u8 = 126;
/// reference.conf `rtp-extensions`: audio-level 1, abs-send-time 3, tcc 5.
pub const AUDIO_LEVEL_EXT: u8 = 1;
const ABS_SEND_TIME_EXT: u16 = 3;
const TCC_EXT: u16 = 5;

/// The bridge side of one endpoint's transport, as the offer carries it.
#[derive(Clone)]
pub struct BridgeTransport {
    pub ufrag: String,
    pub pwd: String,
    pub fingerprint: String,
    pub candidate: SocketAddr,
    pub web_socket: String,
}

impl std::fmt::Debug for BridgeTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BridgeTransport")
            .field("ufrag", &self.ufrag)
            .field("candidate", &self.candidate)
            .finish_non_exhaustive()
    }
}

/// A remote source with the endpoint that owns it.
#[derive(Debug, Clone)]
pub struct OwnedSource {
    pub owner: String,
    pub source: SourceDesc,
}

/// The bridge's own "feedback" sources come first, owned by `jvb` with msid `mixedmslabel`
/// (colibri `Extensions.kt`): lib-jitsi-meet attaches its sending track to their m-line.
pub fn session_initiate(
    sid: &str,
    initiator: &str,
    transport: &BridgeTransport,
    feedback_ssrcs: (u32, u32),
    remote: &[OwnedSource],
) -> Jingle {
    let mut j = Jingle::new(Action::SessionInitiate, sid);
    j.initiator = Some(initiator.to_string());
    for media in [Media::Audio, Media::Video] {
        let mut description = description(media);
        let ssrc = match media {
            Media::Audio => feedback_ssrcs.0,
            _ => feedback_ssrcs.1,
        };
        description.sources.push(Source {
            ssrc,
            name: Some(format!("jvb-{}0", &media.as_str()[..1])),
            video_type: None,
            parameters: vec![Parameter::new(
                "msid",
                format!("mixedmslabel mixedlabel{}0", media.as_str()),
            )],
            owner: Some("jvb".into()),
        });
        add_sources(&mut description, media, remote);
        j.contents.push(Content {
            creator: Creator::Initiator,
            name: media.as_str().to_string(),
            senders: Some(Senders::Both),
            frame_heights: Vec::new(),
            description: Some(description),
            transport: Some(ice_transport(transport)),
        });
    }
    j.groups.push(Group {
        semantics: "BUNDLE".into(),
        contents: vec!["audio".into(), "video".into()],
    });
    j
}

/// `source-add` / `source-remove` for sources of other endpoints, contents by media type.
pub fn source_update(action: Action, sid: &str, sources: &[OwnedSource]) -> Jingle {
    let mut j = Jingle::new(action, sid);
    for media in [Media::Audio, Media::Video] {
        let mut description = RtpDescription::new(media);
        add_sources(&mut description, media, sources);
        if !description.sources.is_empty() {
            j.contents.push(Content {
                creator: Creator::Initiator,
                name: media.as_str().to_string(),
                senders: None,
                frame_heights: Vec::new(),
                description: Some(description),
                transport: None,
            });
        }
    }
    j
}

fn kind_of(media: Media) -> Option<Kind> {
    match media {
        Media::Audio => Some(Kind::Audio),
        Media::Video => Some(Kind::Video),
        _ => None,
    }
}

fn add_sources(description: &mut RtpDescription, media: Media, sources: &[OwnedSource]) {
    for owned in sources
        .iter()
        .filter(|o| Some(o.source.kind) == kind_of(media))
    {
        let s = &owned.source;
        let msid = s
            .signalled
            .msid
            .clone()
            .unwrap_or_else(|| format!("{}-{} {}-track", s.name, media.as_str(), s.name));
        for ssrc in &s.ssrcs {
            description.sources.push(Source {
                ssrc: *ssrc,
                name: (!s.signalled.unnamed).then(|| s.name.clone()),
                video_type: s.video_type.clone(),
                parameters: vec![Parameter::new("msid", msid.clone())],
                owner: Some(owned.owner.clone()),
            });
        }
        if !s.signalled.groups.is_empty() {
            description
                .ssrc_groups
                .extend(s.signalled.groups.iter().cloned());
        } else if s.ssrcs.len() == 2 && media == Media::Video {
            description.ssrc_groups.push(SsrcGroup {
                semantics: "FID".into(),
                ssrcs: s.ssrcs.clone(),
            });
        }
    }
}

fn fb(kind: &str, subtype: Option<&str>) -> RtcpFb {
    RtcpFb {
        kind: kind.into(),
        subtype: subtype.map(str::to_string),
    }
}

fn payload_type(id: u8, name: &str, clockrate: u32, channels: u16) -> PayloadType {
    PayloadType {
        id,
        name: name.into(),
        clockrate,
        channels,
        parameters: Vec::new(),
        rtcp_fbs: Vec::new(),
        trr_int: None,
    }
}

fn hdrext(id: u16, uri: &str) -> RtpHdrExt {
    RtpHdrExt {
        id,
        uri: uri.into(),
        senders: None,
    }
}

fn description(media: Media) -> RtpDescription {
    let mut d = RtpDescription::new(media);
    d.rtcp_mux = true;
    d.extmap_allow_mixed = true;
    let tcc = hdrext(
        TCC_EXT,
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    );
    let abs_send_time = hdrext(
        ABS_SEND_TIME_EXT,
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
    );
    match media {
        Media::Audio => {
            let mut opus = payload_type(OPUS_PT, "opus", 48_000, 2);
            opus.parameters = vec![
                Parameter::new("minptime", "10"),
                Parameter::new("useinbandfec", "1"),
            ];
            opus.rtcp_fbs = vec![fb("transport-cc", None)];
            let mut dtmf = payload_type(TELEPHONE_EVENT_PT, "telephone-event", 8000, 1);
            dtmf.parameters = vec![Parameter::new("", "0-15")];
            d.payload_types = vec![opus, dtmf];
            d.hdrexts = vec![
                hdrext(
                    u16::from(AUDIO_LEVEL_EXT),
                    "urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                ),
                abs_send_time,
                tcc,
            ];
        }
        _ => {
            let feedback = vec![
                fb("ccm", Some("fir")),
                fb("nack", None),
                fb("nack", Some("pli")),
                fb("goog-remb", None),
                fb("transport-cc", None),
            ];
            let mut h264 = payload_type(H264_PT, "H264", 90_000, 1);
            h264.parameters = vec![
                Parameter::new("profile-level-id", "42e01f"),
                Parameter::new("level-asymmetry-allowed", "1"),
                Parameter::new("packetization-mode", "1"),
            ];
            h264.rtcp_fbs = feedback.clone();
            let mut rtx = payload_type(H264_RTX_PT, "rtx", 90_000, 1);
            rtx.parameters = vec![Parameter::new("apt", H264_PT.to_string())];
            rtx.rtcp_fbs = feedback;
            d.payload_types = vec![h264, rtx];
            d.hdrexts = vec![abs_send_time, tcc];
        }
    }
    d
}

/// Jicofo's `transport-info` relaying the bridge's new ICE generation after an in-place restart:
/// one `audio` content from the initiator, the whole transport with its candidates.
pub fn ice_restart_info(sid: &str, t: &BridgeTransport, generation: u32) -> Jingle {
    let mut transport = ice_transport(t);
    transport.ice_generation = Some(generation);
    let mut jingle = Jingle::new(Action::TransportInfo, sid);
    jingle.contents.push(Content {
        creator: Creator::Initiator,
        name: "audio".into(),
        senders: None,
        frame_heights: Vec::new(),
        description: None,
        transport: Some(transport),
    });
    jingle
}

fn ice_transport(t: &BridgeTransport) -> IceUdpTransport {
    IceUdpTransport {
        ufrag: Some(t.ufrag.clone()),
        pwd: Some(t.pwd.clone()),
        fingerprints: vec![Fingerprint {
            hash: "sha-256".into(),
            value: t.fingerprint.clone(),
            setup: Some(Setup::Actpass),
            required: Some(false),
            cryptex: false,
        }],
        candidates: vec![Candidate {
            component: 1,
            foundation: "1".into(),
            generation: 0,
            id: Some(super::transport::random_token(10)),
            ip: t.candidate.ip().to_string(),
            port: t.candidate.port(),
            priority: HOST_PRIORITY,
            protocol: "udp".into(),
            kind: CandidateType::Host,
            rel_addr: None,
            rel_port: None,
            network: Some(0),
            tcptype: None,
        }],
        web_sockets: vec![WebSocket {
            url: t.web_socket.clone(),
            active: None,
        }],
        sctp: None,
        rtcp_mux: true,
        ice_generation: None,
    }
}
