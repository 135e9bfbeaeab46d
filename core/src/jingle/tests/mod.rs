//! Fixture loading and a semantic view of SDPs, so tests compare what a PeerConnection acts on
//! (payloads, SSRCs, fingerprints, candidates, directions, mids, BUNDLE), never the exact text.

mod answer;
mod hostile;
mod json_sources;
mod offer;
mod round_trip;
mod scale;
mod source_updates;
mod transport;
mod webrtc_answer;
mod webrtc_rs;
mod wire;

use std::collections::{BTreeMap, BTreeSet};

use crate::jingle::*;
use crate::xml::{parse, Element, XmlLimits};

pub(super) fn fixture(name: &str) -> &'static str {
    match name {
        "jicofo-session-initiate.xml" => include_str!("../fixtures/jicofo-session-initiate.xml"),
        "jicofo-session-initiate-json.xml" => {
            include_str!("../fixtures/jicofo-session-initiate-json.xml")
        }
        "jicofo-source-add.xml" => include_str!("../fixtures/jicofo-source-add.xml"),
        "p2p-session-initiate.xml" => include_str!("../fixtures/p2p-session-initiate.xml"),
        "lib-jitsi-meet-session-accept.xml" => {
            include_str!("../fixtures/lib-jitsi-meet-session-accept.xml")
        }
        "chromium-answer-bridge.sdp" => include_str!("../fixtures/chromium-answer-bridge.sdp"),
        "firefox-answer-bridge.sdp" => include_str!("../fixtures/firefox-answer-bridge.sdp"),
        "webrtc-rs-answer-bridge.sdp" => include_str!("../fixtures/webrtc-rs-answer-bridge.sdp"),
        "chromium-offer-p2p.sdp" => include_str!("../fixtures/chromium-offer-p2p.sdp"),
        other => panic!("no fixture {other}"),
    }
}

pub(super) fn element(xml: &str) -> Element {
    parse(xml, &XmlLimits::default()).expect("well-formed XML")
}

pub(super) fn jingle(name: &str) -> Jingle {
    parse_jingle(&element(fixture(name))).expect("fixture parses")
}

/// SDP fixtures open with `#` provenance comments, which SDP itself does not allow.
pub(super) fn sdp(name: &str) -> Sdp {
    let text: String = fixture(name)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\r\n"))
        .collect();
    Sdp::parse(&text).expect("fixture SDP parses")
}

pub(super) const OFFER: OfferOptions = OfferOptions {
    peer: Peer::Bridge,
    session_id: 1_700_000_000_000,
};

pub(super) const P2P_OFFER: OfferOptions = OfferOptions {
    peer: Peer::P2p,
    session_id: 1_700_000_000_000,
};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Codec {
    pub id: String,
    pub encoding: String,
    pub clockrate: u32,
    pub channels: u16,
    pub fmtp: BTreeMap<String, String>,
    pub feedback: BTreeSet<String>,
}

/// What one m-line means to a PeerConnection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct MediaView {
    pub media: String,
    pub mid: Option<String>,
    pub direction: Option<Direction>,
    pub rejected: bool,
    pub codecs: Vec<Codec>,
    pub extmaps: BTreeSet<(String, String)>,
    pub extmap_allow_mixed: bool,
    pub rtcp_mux: bool,
    pub ssrcs: BTreeMap<u32, Option<String>>,
    pub ssrc_groups: BTreeSet<String>,
    pub ufrag: Option<String>,
    pub pwd: Option<String>,
    pub fingerprints: BTreeSet<String>,
    pub setup: Option<String>,
    pub candidates: Vec<String>,
    pub sctp_port: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SdpView {
    pub bundle: Option<Vec<String>>,
    pub media: Vec<MediaView>,
}

pub(super) fn view(sdp: &Sdp) -> SdpView {
    let session_or =
        |m: &MediaSection, name: &str| m.attr(name).or_else(|| sdp.attr(name)).map(str::to_string);
    let media = sdp
        .media
        .iter()
        .map(|m| MediaView {
            media: m.media.clone(),
            mid: m.mid().map(str::to_string),
            direction: m.direction(),
            rejected: m.port == 0,
            codecs: m
                .formats
                .iter()
                .filter_map(|f| {
                    let rtpmap = m.attrs("rtpmap").find(|v| v.split(' ').next() == Some(f))?;
                    let mut enc = rtpmap.split(' ').nth(1)?.split('/');
                    Some(Codec {
                        id: f.clone(),
                        encoding: enc.next()?.to_string(),
                        clockrate: enc.next()?.parse().ok()?,
                        channels: enc.next().map_or(1, |c| c.parse().unwrap()),
                        fmtp: m
                            .attrs("fmtp")
                            .find(|v| v.split(' ').next() == Some(f))
                            .map(|v| {
                                v.split_once(' ')
                                    .map_or("", |(_, p)| p)
                                    .split(';')
                                    .map(|p| match p.trim().split_once('=') {
                                        Some((k, v)) => (k.to_string(), v.to_string()),
                                        None => (String::new(), p.trim().to_string()),
                                    })
                                    .collect()
                            })
                            .unwrap_or_default(),
                        feedback: m
                            .attrs("rtcp-fb")
                            .filter_map(|v| {
                                v.split_once(' ').filter(|(pt, _)| pt == f || *pt == "*")
                            })
                            .map(|(_, fb)| fb.to_string())
                            .collect(),
                    })
                })
                .collect(),
            extmaps: m
                .attrs("extmap")
                .filter_map(|v| v.split_once(' '))
                .map(|(id, uri)| (id.to_string(), uri.to_string()))
                .collect(),
            extmap_allow_mixed: m.has_attr("extmap-allow-mixed")
                || sdp.has_attr("extmap-allow-mixed"),
            rtcp_mux: m.has_attr("rtcp-mux"),
            ssrcs: m
                .ssrcs()
                .into_iter()
                .map(|s| {
                    (
                        s,
                        m.ssrc_attr(s, "msid")
                            .or(m.attr("msid"))
                            .map(str::to_string),
                    )
                })
                .collect(),
            ssrc_groups: m.attrs("ssrc-group").map(str::to_string).collect(),
            ufrag: session_or(m, "ice-ufrag"),
            pwd: session_or(m, "ice-pwd"),
            fingerprints: m
                .attrs("fingerprint")
                .chain(sdp.attrs("fingerprint"))
                .map(str::to_string)
                .collect(),
            setup: session_or(m, "setup"),
            candidates: m.attrs("candidate").map(candidate_essentials).collect(),
            sctp_port: m.attr("sctp-port").map(str::to_string),
        })
        .collect();
    SdpView {
        bundle: sdp
            .bundle()
            .map(|b| b.into_iter().map(str::to_string).collect()),
        media,
    }
}

/// Foundation, component, transport, priority, address, port, type and related address: the
/// fields ICE uses (network-cost, network-id and ufrag are hints only).
pub(super) fn candidate_essentials(line: &str) -> String {
    let parts: Vec<&str> = line.split(' ').collect();
    let mut out: Vec<String> = parts[..8].iter().map(|p| p.to_ascii_lowercase()).collect();
    for pair in parts[8..].chunks(2) {
        if matches!(pair[0], "raddr" | "rport" | "tcptype") {
            out.extend(pair.iter().map(|p| p.to_string()));
        }
    }
    out.join(" ")
}

/// Id, encoding, clock rate, channels, fmtp parameters in order, feedback.
pub(super) type PayloadView = (
    u8,
    String,
    u32,
    u16,
    Vec<(String, String)>,
    BTreeSet<String>,
);

/// What a Jingle content means, independent of attribute order, ids and Jicofo-only extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ContentView {
    pub name: String,
    pub senders: Option<Senders>,
    pub media: Option<Media>,
    pub payloads: Vec<PayloadView>,
    pub hdrexts: BTreeSet<(u16, String)>,
    pub rtcp_mux: bool,
    pub sources: BTreeMap<u32, Option<String>>,
    pub ssrc_groups: BTreeSet<(String, Vec<u32>)>,
    pub ufrag: Option<String>,
    pub pwd: Option<String>,
    pub fingerprints: BTreeSet<(String, String, Option<Setup>)>,
    pub candidates: Vec<String>,
    pub sctp_port: Option<u16>,
}

pub(super) fn content_views(contents: &[Content]) -> Vec<ContentView> {
    contents
        .iter()
        .map(|c| {
            let d = c.description.as_ref();
            let t = c.transport.as_ref();
            ContentView {
                name: c.name.clone(),
                senders: c.senders,
                media: d.map(|d| d.media),
                payloads: d
                    .map(|d| {
                        d.payload_types
                            .iter()
                            .map(|p| {
                                let mut fb: BTreeSet<String> = p
                                    .rtcp_fbs
                                    .iter()
                                    .chain(&d.rtcp_fbs)
                                    .map(|f| {
                                        format!(
                                            "{} {}",
                                            f.kind,
                                            f.subtype.clone().unwrap_or_default()
                                        )
                                    })
                                    .collect();
                                fb.extend(p.trr_int.or(d.trr_int).map(|v| format!("trr-int {v}")));
                                let params = p
                                    .parameters
                                    .iter()
                                    .map(|x| (x.name.clone(), x.value.clone()))
                                    .collect();
                                (p.id, p.name.clone(), p.clockrate, p.channels, params, fb)
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                hdrexts: d
                    .map(|d| d.hdrexts.iter().map(|h| (h.id, h.uri.clone())).collect())
                    .unwrap_or_default(),
                rtcp_mux: d.is_some_and(|d| d.rtcp_mux),
                sources: d
                    .map(|d| {
                        d.sources
                            .iter()
                            .map(|s| (s.ssrc, s.msid().map(str::to_string)))
                            .collect()
                    })
                    .unwrap_or_default(),
                ssrc_groups: d
                    .map(|d| {
                        d.ssrc_groups
                            .iter()
                            .map(|g| (g.semantics.clone(), g.ssrcs.clone()))
                            .collect()
                    })
                    .unwrap_or_default(),
                ufrag: t.and_then(|t| t.ufrag.clone()),
                pwd: t.and_then(|t| t.pwd.clone()),
                fingerprints: t
                    .map(|t| {
                        t.fingerprints
                            .iter()
                            .map(|f| (f.hash.clone(), f.value.clone(), f.setup))
                            .collect()
                    })
                    .unwrap_or_default(),
                candidates: t
                    .map(|t| {
                        t.candidates
                            .iter()
                            .map(|c| candidate_essentials(&c.to_sdp_value()))
                            .collect()
                    })
                    .unwrap_or_default(),
                sctp_port: t.and_then(|t| t.sctp.as_ref()).map(|s| s.port),
            }
        })
        .collect()
}

pub(super) fn wire_round_trip(j: &Jingle) -> Jingle {
    let xml = encode_jingle(j).to_xml();
    parse_jingle(&element(&xml)).expect("what we encode parses")
}
