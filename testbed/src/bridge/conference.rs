//! The bridge's state for all conferences, driven by the I/O in `mod.rs`: datagrams, colibri-ws
//! messages and timer ticks in; datagrams and colibri-ws messages out. No sockets here beyond
//! the handles that say where an output goes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{json, Value};
use tokio::net::UdpSocket;
use tokio::sync::mpsc::UnboundedSender;

use super::offer::AUDIO_LEVEL_EXT;
use super::router::{Kind, Outgoing, Router, SourceDesc};
use super::speaker::{audio_level_extension, pcm_level, Speakers};
use super::transport::{Identity, Received, RemoteParameters, Transport, TransportError};
use super::BridgeError;

/// The height jitsi-videobridge never asks above.
const MAX_HEIGHT: i32 = 2160;

pub(crate) enum Out {
    Udp(Arc<UdpSocket>, SocketAddr, Vec<u8>),
    Ws(UnboundedSender<String>, String),
}

pub(crate) struct Endpoint {
    pub transport: Transport,
    pub socket: Arc<UdpSocket>,
    /// A fault injected by a test: nothing reaches the endpoint's socket or leaves it, as when
    /// the path between the participant and the bridge dies.
    pub blackholed: bool,
    /// Client addresses whose path died (`Bridge::kill_path`): nothing from or to them passes.
    pub dead_paths: Vec<SocketAddr>,
    pub ws_pwd: String,
    ws: Option<UnboundedSender<String>>,
    forwarded: Option<Vec<String>>,
    sender_heights: HashMap<String, i32>,
}

impl Endpoint {
    pub fn new(transport: Transport, socket: Arc<UdpSocket>, ws_pwd: String) -> Endpoint {
        Endpoint {
            transport,
            socket,
            blackholed: false,
            dead_paths: Vec::new(),
            ws_pwd,
            ws: None,
            forwarded: None,
            sender_heights: HashMap::new(),
        }
    }
}

#[derive(Default)]
pub(crate) struct Conference {
    pub router: Router,
    pub endpoints: HashMap<String, Endpoint>,
    speakers: Speakers,
    /// Opus decoders for levels when a sender does not add ssrc-audio-level.
    decoders: HashMap<u32, opus::Decoder>,
}

/// Counters a test or benchmark reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeStats {
    pub rtp_received: u64,
    pub rtp_forwarded: u64,
    pub keyframe_requests_forwarded: u64,
    pub dropped: u64,
    /// Endpoints allocated (a new bridge session after a restart request is a new one).
    pub allocations: u64,
    /// In-place ICE restarts done.
    pub ice_restarts: u64,
}

pub(crate) struct Core {
    pub identity: Identity,
    pub conferences: HashMap<String, Conference>,
    pub stats: BridgeStats,
}

impl Core {
    pub fn accept(
        &mut self,
        conference: &str,
        endpoint: &str,
        remote: RemoteParameters,
        sources: Vec<SourceDesc>,
    ) -> Result<Vec<SourceDesc>, BridgeError> {
        let conf = self
            .conferences
            .get_mut(conference)
            .ok_or(BridgeError::UnknownEndpoint)?;
        let ep = conf
            .endpoints
            .get_mut(endpoint)
            .ok_or(BridgeError::UnknownEndpoint)?;
        ep.transport
            .set_remote(&self.identity, remote)
            .map_err(BridgeError::Transport)?;
        Ok(conf.router.set_sources(endpoint, sources))
    }

    pub fn on_datagram(
        &mut self,
        conference: &str,
        endpoint: &str,
        from: SocketAddr,
        data: &[u8],
        now: Instant,
    ) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(conf) = self.conferences.get_mut(conference) else {
            return out;
        };
        let Some(ep) = conf.endpoints.get_mut(endpoint) else {
            return out;
        };
        if ep.blackholed || ep.dead_paths.contains(&from) {
            return out;
        }
        let received = ep
            .transport
            .handle_datagram(&self.identity, now, from, data);
        drain(ep, &mut out);
        match received {
            Ok(Some(Received::Rtp(packet))) => {
                self.stats.rtp_received += 1;
                forward_rtp(conf, endpoint, &packet, now, &mut self.stats, &mut out);
            }
            Ok(Some(Received::Rtcp(packet))) => {
                forward_feedback(conf, &packet, &mut self.stats, &mut out)
            }
            Ok(None) => {}
            Err(e) => {
                self.stats.dropped += 1;
                log::debug!("bridge: dropped a datagram from {endpoint}: {e}");
            }
        }
        out
    }

    pub fn on_timeout(&mut self, now: Instant) -> Vec<Out> {
        let mut out = Vec::new();
        for conf in self.conferences.values_mut() {
            for ep in conf.endpoints.values_mut() {
                ep.transport.handle_timeout(&self.identity, now);
                drain(ep, &mut out);
            }
        }
        out
    }

    /// A colibri-ws connection for `endpoint` with the right password: ServerHello first, as
    /// jitsi-videobridge's `ColibriWebSocket` does, then what the endpoint receives now.
    pub fn on_ws_open(
        &mut self,
        conference: &str,
        endpoint: &str,
        pwd: &str,
        sender: UnboundedSender<String>,
    ) -> Result<Vec<Out>, BridgeError> {
        let conf = self
            .conferences
            .get_mut(conference)
            .ok_or(BridgeError::UnknownEndpoint)?;
        let ep = conf
            .endpoints
            .get_mut(endpoint)
            .ok_or(BridgeError::UnknownEndpoint)?;
        if ep.ws_pwd != pwd {
            return Err(BridgeError::Unauthorized);
        }
        let mut out = vec![Out::Ws(
            sender.clone(),
            json!({"colibriClass": "ServerHello", "version": "omni-jitsi-testbed"}).to_string(),
        )];
        ep.ws = Some(sender.clone());
        ep.forwarded = None;
        ep.sender_heights.clear();
        if let Some(speaker) = conf.speakers.current() {
            out.push(Out::Ws(
                sender,
                dominant_speaker_json(speaker, &conf.router),
            ));
        }
        announce_forwarding(conf, &mut out);
        Ok(out)
    }

    pub fn on_ws_closed(&mut self, conference: &str, endpoint: &str) {
        if let Some(ep) = self
            .conferences
            .get_mut(conference)
            .and_then(|c| c.endpoints.get_mut(endpoint))
        {
            ep.ws = None;
        }
    }

    pub fn on_ws_text(&mut self, conference: &str, endpoint: &str, text: &str) -> Vec<Out> {
        let mut out = Vec::new();
        let Some(conf) = self.conferences.get_mut(conference) else {
            return out;
        };
        let body = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(body)) if text.len() <= super::MAX_MESSAGE_BYTES => body,
            _ => {
                log::debug!("bridge: unreadable colibri-ws message from {endpoint}");
                return out;
            }
        };
        match body.get("colibriClass").and_then(Value::as_str) {
            Some("EndpointMessage") => {
                let to = body.get("to").and_then(Value::as_str).unwrap_or("");
                let mut message = body.clone();
                message.insert("from".into(), endpoint.into());
                let text = Value::Object(message).to_string();
                for (id, ep) in &conf.endpoints {
                    if id != endpoint && (to.is_empty() || to == id) {
                        if let Some(ws) = &ep.ws {
                            out.push(Out::Ws(ws.clone(), text.clone()));
                        }
                    }
                }
            }
            Some("ReceiverVideoConstraints") => {
                conf.router.set_constraints(endpoint, &body);
                announce_forwarding(conf, &mut out);
            }
            Some(other) => log::debug!("bridge: ignoring {other} from {endpoint}"),
            None => log::debug!("bridge: colibri-ws message without class from {endpoint}"),
        }
        out
    }

    pub fn remove(&mut self, conference: &str, endpoint: &str) -> Vec<Out> {
        let mut out = Vec::new();
        if let Some(conf) = self.conferences.get_mut(conference) {
            conf.endpoints.remove(endpoint);
            conf.router.remove_endpoint(endpoint);
            conf.speakers.remove(endpoint);
            let router = &conf.router;
            conf.decoders
                .retain(|ssrc, _| router.owner(*ssrc).is_some());
            announce_forwarding(conf, &mut out);
            if conf.endpoints.is_empty() {
                self.conferences.remove(conference);
            }
        }
        out
    }
}

/// What the endpoint's transport has to send, as outputs.
pub(crate) fn drain_endpoint(ep: &mut Endpoint) -> Vec<Out> {
    let mut out = Vec::new();
    drain(ep, &mut out);
    out
}

fn drain(ep: &mut Endpoint, out: &mut Vec<Out>) {
    for (to, data) in ep.transport.poll_transmit() {
        if !ep.blackholed && !ep.dead_paths.contains(&to) {
            out.push(Out::Udp(ep.socket.clone(), to, data));
        }
    }
}

fn forward_rtp(
    conf: &mut Conference,
    from: &str,
    packet: &[u8],
    now: Instant,
    stats: &mut BridgeStats,
    out: &mut Vec<Out>,
) {
    let Some(ssrc) = packet
        .get(8..12)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    else {
        return;
    };
    if conf.router.owner(ssrc).map(|(_, s)| s.kind) == Some(Kind::Audio) {
        if let Some(level) = audio_level(conf, ssrc, packet) {
            if let Some(speaker) = conf.speakers.level(from, level) {
                conf.router.speaker_changed(&speaker);
                let text = dominant_speaker_json(&speaker, &conf.router);
                for ep in conf.endpoints.values() {
                    if let Some(ws) = &ep.ws {
                        out.push(Out::Ws(ws.clone(), text.clone()));
                    }
                }
                announce_forwarding(conf, out);
            }
        }
    }
    // Chromium probes bandwidth with padding-only packets on the RTX SSRC; jitsi-videobridge's
    // PaddingTermination discards them (it probes receivers itself), so receivers never see them.
    if rtp_payload(packet).is_some_and(<[u8]>::is_empty) {
        return;
    }
    let (Some(seq), Some(timestamp)) = (
        packet.get(2..4).map(|b| u16::from_be_bytes([b[0], b[1]])),
        packet
            .get(4..8)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])),
    ) else {
        return;
    };
    let Some(outgoing) = conf.router.outgoing(ssrc, seq, timestamp, now) else {
        return;
    };
    let rewritten;
    let packet = if (outgoing.ssrc, outgoing.seq, outgoing.timestamp) == (ssrc, seq, timestamp)
        && outgoing.original_seq_delta.unwrap_or(0) == 0
    {
        packet
    } else {
        let Some(copy) = rewrite(packet, &outgoing) else {
            return;
        };
        rewritten = copy;
        &rewritten[..]
    };
    let destinations: Vec<String> = conf
        .router
        .rtp_destinations(from, ssrc)
        .into_iter()
        .map(str::to_string)
        .collect();
    for to in destinations {
        let Some(ep) = conf.endpoints.get_mut(&to) else {
            continue;
        };
        match ep.transport.send_rtp(packet) {
            Ok(()) => stats.rtp_forwarded += 1,
            Err(TransportError::NotConnected) => {}
            Err(e) => log::debug!("bridge: cannot forward to {to}: {e}"),
        }
        drain(ep, out);
    }
}

/// The packet as it leaves: SSRC, sequence number and timestamp from `outgoing`, and in a
/// retransmission the original sequence number it carries (RFC 4588) moved by the same delta.
fn rewrite(packet: &[u8], outgoing: &Outgoing) -> Option<Vec<u8>> {
    let mut copy = packet.to_vec();
    copy.get_mut(2..4)?
        .copy_from_slice(&outgoing.seq.to_be_bytes());
    copy.get_mut(4..8)?
        .copy_from_slice(&outgoing.timestamp.to_be_bytes());
    copy.get_mut(8..12)?
        .copy_from_slice(&outgoing.ssrc.to_be_bytes());
    if let Some(delta) = outgoing.original_seq_delta.filter(|d| *d != 0) {
        let start = rtp_payload(packet)?.as_ptr() as usize - packet.as_ptr() as usize;
        let original = copy.get_mut(start..start + 2)?;
        let moved = u16::from_be_bytes([original[0], original[1]]).wrapping_add(delta);
        original.copy_from_slice(&moved.to_be_bytes());
    }
    Some(copy)
}

fn audio_level(conf: &mut Conference, ssrc: u32, packet: &[u8]) -> Option<u8> {
    if let Some(level) = audio_level_extension(packet, AUDIO_LEVEL_EXT) {
        return Some(level);
    }
    let payload = rtp_payload(packet)?;
    let decoder = match conf.decoders.entry(ssrc) {
        std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(opus::Decoder::new(48_000, opus::Channels::Mono).ok()?)
        }
    };
    let mut pcm = [0i16; 5760];
    let n = decoder.decode(payload, &mut pcm, false).ok()?;
    Some(pcm_level(&pcm[..n]))
}

fn rtp_payload(packet: &[u8]) -> Option<&[u8]> {
    let first = *packet.first()?;
    let mut start = 12 + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let words = packet.get(start + 2..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([words[0], words[1]]));
    }
    let mut end = packet.len();
    if first & 0x20 != 0 {
        end = end.checked_sub(usize::from(*packet.last()?))?;
    }
    packet.get(start..end)
}

/// PLI and FIR go to the endpoint that sends the SSRC they name; everything else ends here
/// (the bridge terminates RTCP, as jitsi-videobridge does).
fn forward_feedback(
    conf: &mut Conference,
    packet: &[u8],
    stats: &mut BridgeStats,
    out: &mut Vec<Out>,
) {
    use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
    use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
    let Ok(packets) = rtc::rtcp::packet::unmarshal(&mut &packet[..]) else {
        return;
    };
    for p in packets {
        let any = p.as_any();
        if any.downcast_ref::<PictureLossIndication>().is_none()
            && any.downcast_ref::<FullIntraRequest>().is_none()
        {
            continue;
        }
        let Some((owner, media_ssrc)) = p.destination_ssrc().into_iter().find_map(|ssrc| {
            let (owner, _) = conf.router.owner(ssrc)?;
            Some((owner.to_string(), ssrc))
        }) else {
            continue;
        };
        let layer = conf.router.sender_ssrc(media_ssrc);
        let raw = if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
            rtc::rtcp::packet::marshal(&[Box::new(PictureLossIndication {
                media_ssrc: layer,
                ..pli.clone()
            }) as Box<dyn rtc::rtcp::packet::Packet>])
        } else {
            rtc::rtcp::packet::marshal(&[p])
        };
        let Ok(raw) = raw else {
            continue;
        };
        if let Some(ep) = conf.endpoints.get_mut(&owner) {
            if ep.transport.send_rtcp(&raw).is_ok() {
                stats.keyframe_requests_forwarded += 1;
            }
            drain(ep, out);
        }
    }
}

fn dominant_speaker_json(speaker: &str, router: &Router) -> String {
    json!({
        "colibriClass": "DominantSpeakerEndpointChangeEvent",
        "dominantSpeakerEndpoint": speaker,
        "previousSpeakers": router.recent_speakers().filter(|e| *e != speaker).collect::<Vec<_>>(),
        "silence": false,
    })
    .to_string()
}

/// ForwardedSources to each receiver whose set changed, SenderSourceConstraints to each sender
/// whose wanted height changed.
fn announce_forwarding(conf: &mut Conference, out: &mut Vec<Out>) {
    let ids: Vec<String> = conf.router.endpoints().map(str::to_string).collect();
    for id in &ids {
        let forwarded = conf.router.forwarded_video(id);
        let heights: Vec<(String, i32)> = conf
            .router
            .sources(id)
            .iter()
            .filter(|s| s.kind == Kind::Video)
            .map(|s| {
                (
                    s.name.clone(),
                    conf.router.wanted_height(id, &s.name).min(MAX_HEIGHT),
                )
            })
            .collect();
        let Some(ep) = conf.endpoints.get_mut(id) else {
            continue;
        };
        let Some(ws) = ep.ws.clone() else {
            continue;
        };
        if ep.forwarded.as_ref() != Some(&forwarded) {
            out.push(Out::Ws(
                ws.clone(),
                json!({"colibriClass": "ForwardedSources", "forwardedSources": forwarded})
                    .to_string(),
            ));
            ep.forwarded = Some(forwarded);
        }
        for (name, height) in heights {
            if ep.sender_heights.get(&name) != Some(&height) {
                out.push(Out::Ws(
                    ws.clone(),
                    json!({"colibriClass": "SenderSourceConstraints", "sourceName": name, "maxHeight": height})
                        .to_string(),
                ));
                ep.sender_heights.insert(name, height);
            }
        }
    }
}
