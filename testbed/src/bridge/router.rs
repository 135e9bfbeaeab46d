//! Who receives what, as jitsi-videobridge decides it for one conference: audio goes to every
//! other endpoint; a video source goes to a receiver when its sender is within the receiver's
//! last-N (endpoints ordered by how recently they were dominant speaker, then by join order) and
//! the receiver's constraints for that source allow a height above 0. Keyframe requests go to
//! the endpoint that owns the SSRC they name. SSRCs and sequence numbers are forwarded as sent,
//! except one simulcast layer per source, whose SSRC is rewritten onto the SIM group's first and
//! whose sequence numbers and timestamps continue across a switch to another layer.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use omni_jitsi_core::jingle::SsrcGroup;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

/// One signalled source: its name (`ENDPOINT-a0`, `-v0`) and every SSRC it uses (RTX and
/// simulcast layers too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDesc {
    pub name: String,
    pub kind: Kind,
    pub ssrcs: Vec<u32>,
    pub video_type: Option<String>,
    pub signalled: Signalled,
}

/// What the participant's Jingle said beyond what forwarding needs, relayed to the others as
/// Jicofo relays a `Source` and its `SsrcGroup`s: clients without source names (lib-jitsi-meet
/// before `sourceNameSignaling`) send none, and Jicofo names such a source `ENDPOINT-a0`/`-v0`
/// only towards the bridge (jicofo-selector `colibri/Extensions.kt`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Signalled {
    pub unnamed: bool,
    pub msid: Option<String>,
    pub groups: Vec<SsrcGroup>,
}

impl SourceDesc {
    /// A simulcast source's layers, lowest first (the SIM group's order), each with its RTX.
    fn layers(&self) -> Option<Vec<(u32, Option<u32>)>> {
        let groups = &self.signalled.groups;
        let sim = groups
            .iter()
            .find(|g| g.semantics == "SIM" && g.ssrcs.len() > 1)?;
        Some(
            sim.ssrcs
                .iter()
                .map(|layer| {
                    let rtx = groups
                        .iter()
                        .find(|g| g.semantics == "FID" && g.ssrcs.first() == Some(layer))
                        .and_then(|g| g.ssrcs.get(1).copied());
                    (*layer, rtx)
                })
                .collect(),
        )
    }
}

/// ReceiverVideoConstraints as far as forwarding goes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Constraints {
    /// `None` or negative in the message: unlimited.
    pub last_n: Option<usize>,
    pub default_max_height: Option<i32>,
    pub per_source: HashMap<String, i32>,
}

impl Constraints {
    /// Reads lib-jitsi-meet's message; fields left out keep their previous value, as the bridge
    /// does.
    pub fn update(&mut self, body: &serde_json::Map<String, Value>) {
        if let Some(n) = body.get("lastN").and_then(Value::as_i64) {
            self.last_n = usize::try_from(n).ok();
        }
        if let Some(h) = body
            .get("defaultConstraints")
            .and_then(|c| c.get("maxHeight"))
            .and_then(Value::as_i64)
        {
            self.default_max_height = i32::try_from(h).ok();
        }
        if let Some(map) = body.get("constraints").and_then(Value::as_object) {
            self.per_source = map
                .iter()
                .take(crate::bridge::MAX_LIST)
                .filter_map(|(name, c)| {
                    let h = c.get("maxHeight")?.as_i64()?;
                    Some((name.clone(), i32::try_from(h).ok()?))
                })
                .collect();
        }
    }

    fn max_height(&self, source: &str) -> i32 {
        self.per_source
            .get(source)
            .copied()
            .or(self.default_max_height)
            .unwrap_or(i32::MAX)
    }
}

#[derive(Debug, Default)]
struct Member {
    sources: Vec<SourceDesc>,
    constraints: Constraints,
}

#[derive(Debug, Default)]
pub struct Router {
    /// Join order.
    order: Vec<String>,
    members: BTreeMap<String, Member>,
    owners: HashMap<u32, (String, usize)>,
    /// Most recent dominant speaker first.
    speakers: Vec<String>,
    /// How each simulcast source is forwarded, by the source's first SSRC.
    forwarding: HashMap<u32, Forwarding>,
}

/// A layer that sent nothing for this long is given up for one that sends. Chromium stops a
/// layer when its bandwidth estimate or its content changes (a camera replaced by a screen goes
/// out on another layer of the same SIM group); jitsi-videobridge then forwards another layer.
const LAYER_SILENCE: Duration = Duration::from_millis(500);
/// The gap a layer switch leaves in the outgoing timestamps: one frame at 30 fps, 90 kHz.
const SWITCH_TIMESTAMP_STEP: u32 = 3000;

/// One simulcast source's forwarded layer and what keeps its outgoing stream continuous.
#[derive(Debug, Clone, Copy)]
struct Forwarding {
    layer: usize,
    last_sent: Instant,
    /// Added to the forwarded layer's sequence numbers and timestamps; zero until a switch.
    seq_delta: u16,
    ts_delta: u32,
    /// The newest sequence number and timestamp that went out.
    last_out: Option<(u16, u32)>,
}

/// How a forwarded packet leaves: its SSRC, sequence number and timestamp, and for a
/// retransmission (RTX) what to add to the original sequence number it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outgoing {
    pub ssrc: u32,
    pub seq: u16,
    pub timestamp: u32,
    pub original_seq_delta: Option<u16>,
}

impl Router {
    pub fn add_endpoint(&mut self, endpoint: &str) {
        if !self.members.contains_key(endpoint) {
            self.order.push(endpoint.to_string());
            self.members.insert(endpoint.to_string(), Member::default());
        }
    }

    pub fn remove_endpoint(&mut self, endpoint: &str) {
        self.order.retain(|e| e != endpoint);
        self.speakers.retain(|e| e != endpoint);
        self.members.remove(endpoint);
        self.owners.retain(|_, (owner, _)| owner != endpoint);
        let owners = &self.owners;
        self.forwarding
            .retain(|first, _| owners.contains_key(first));
    }

    pub fn endpoints(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    /// Replaces an endpoint's sources; SSRCs another endpoint already owns are refused, as
    /// Jicofo's source validation does.
    pub fn set_sources(&mut self, endpoint: &str, sources: Vec<SourceDesc>) -> Vec<SourceDesc> {
        let Some(member) = self.members.get_mut(endpoint) else {
            return Vec::new();
        };
        self.owners.retain(|_, (owner, _)| owner != endpoint);
        let mut kept = Vec::new();
        for source in sources {
            let taken = source
                .ssrcs
                .iter()
                .any(|s| self.owners.get(s).is_some_and(|(o, _)| o != endpoint));
            if taken {
                log::warn!("bridge: {endpoint} signalled an SSRC of another endpoint");
                continue;
            }
            for ssrc in &source.ssrcs {
                self.owners
                    .insert(*ssrc, (endpoint.to_string(), kept.len()));
            }
            kept.push(source);
        }
        member.sources = kept.clone();
        // A source that stays keeps its forwarded layer and its outgoing numbering.
        let owners = &self.owners;
        self.forwarding
            .retain(|first, _| owners.contains_key(first));
        kept
    }

    pub fn sources(&self, endpoint: &str) -> &[SourceDesc] {
        self.members
            .get(endpoint)
            .map_or(&[], |m| m.sources.as_slice())
    }

    pub fn owner(&self, ssrc: u32) -> Option<(&str, &SourceDesc)> {
        let (owner, index) = self.owners.get(&ssrc)?;
        let source = self.members.get(owner)?.sources.get(*index)?;
        Some((owner.as_str(), source))
    }

    pub fn set_constraints(&mut self, endpoint: &str, body: &serde_json::Map<String, Value>) {
        if let Some(m) = self.members.get_mut(endpoint) {
            m.constraints.update(body);
        }
    }

    /// Moves `endpoint` to the front of the speaker order.
    pub fn speaker_changed(&mut self, endpoint: &str) {
        self.speakers.retain(|e| e != endpoint);
        self.speakers.insert(0, endpoint.to_string());
    }

    /// Past dominant speakers, most recent first.
    pub fn recent_speakers(&self) -> impl Iterator<Item = &str> {
        self.speakers.iter().map(String::as_str)
    }

    /// Where an RTP packet on `ssrc` from `from` goes. Unknown SSRCs go nowhere: a receiver's
    /// PeerConnection could not map them to a signalled source anyway.
    pub fn rtp_destinations(&self, from: &str, ssrc: u32) -> Vec<&str> {
        let Some((owner, source)) = self.owner(ssrc) else {
            return Vec::new();
        };
        if owner != from {
            return Vec::new();
        }
        self.order
            .iter()
            .filter(|r| r.as_str() != from)
            .filter(|r| source.kind == Kind::Audio || self.forwards_video(r, from, &source.name))
            .map(String::as_str)
            .collect()
    }

    /// How a packet that arrived on `ssrc` (sequence number `seq`, timestamp `timestamp`) is
    /// forwarded, `None` to drop it. Of a simulcast source one layer goes out, rewritten onto the
    /// SIM group's first SSRC (its RTX onto that SSRC's RTX), as jitsi-videobridge forwards one
    /// layer per receiver and lib-jitsi-meet's receiver keeps only that SSRC of the group. The
    /// layer is the first one that sends, until it is silent for `LAYER_SILENCE` while another
    /// sends: then that one goes out, numbered on from the last packet forwarded. The receiver
    /// asks for the keyframe it needs (the bridge sends no keyframe requests of its own).
    pub fn outgoing(
        &mut self,
        ssrc: u32,
        seq: u16,
        timestamp: u32,
        now: Instant,
    ) -> Option<Outgoing> {
        let (_, source) = self.owner(ssrc)?;
        let unchanged = Outgoing {
            ssrc,
            seq,
            timestamp,
            original_seq_delta: None,
        };
        let Some(layers) = source.layers() else {
            return Some(unchanged);
        };
        let (index, rtx) = layers.iter().enumerate().find_map(|(i, (layer, rtx))| {
            if *layer == ssrc {
                Some((i, false))
            } else if *rtx == Some(ssrc) {
                Some((i, true))
            } else {
                None
            }
        })?;
        let (first, first_rtx) = layers[0];
        let state = match self.forwarding.get_mut(&first) {
            Some(state) => state,
            None if rtx => return None,
            None => self.forwarding.entry(first).or_insert(Forwarding {
                layer: index,
                last_sent: now,
                seq_delta: 0,
                ts_delta: 0,
                last_out: None,
            }),
        };
        if state.layer != index {
            if rtx || now.duration_since(state.last_sent) < LAYER_SILENCE {
                return None;
            }
            state.layer = index;
            if let Some((last_seq, last_ts)) = state.last_out {
                state.seq_delta = last_seq.wrapping_add(1).wrapping_sub(seq);
                state.ts_delta = last_ts
                    .wrapping_add(SWITCH_TIMESTAMP_STEP)
                    .wrapping_sub(timestamp);
            }
        }
        let timestamp = timestamp.wrapping_add(state.ts_delta);
        if rtx {
            return Some(Outgoing {
                ssrc: first_rtx?,
                seq,
                timestamp,
                original_seq_delta: Some(state.seq_delta),
            });
        }
        state.last_sent = now;
        let seq = seq.wrapping_add(state.seq_delta);
        let newer = state
            .last_out
            .is_none_or(|(last, _)| seq.wrapping_sub(last) < 0x8000);
        if newer {
            state.last_out = Some((seq, timestamp));
        }
        Some(Outgoing {
            ssrc: first,
            seq,
            timestamp,
            original_seq_delta: None,
        })
    }

    /// The SSRC a keyframe request for `ssrc` must name at its sender: the forwarded layer's.
    pub fn sender_ssrc(&self, ssrc: u32) -> u32 {
        let layer = self
            .owner(ssrc)
            .and_then(|(_, source)| source.layers())
            .zip(self.forwarding.get(&ssrc))
            .and_then(|(layers, state)| layers.get(state.layer).map(|(layer, _)| *layer));
        layer.unwrap_or(ssrc)
    }

    /// The video source names `receiver` gets (ForwardedSources).
    pub fn forwarded_video(&self, receiver: &str) -> Vec<String> {
        self.order
            .iter()
            .filter(|e| e.as_str() != receiver)
            .flat_map(|e| {
                self.sources(e)
                    .iter()
                    .filter(|s| s.kind == Kind::Video)
                    .filter(|s| self.forwards_video(receiver, e, &s.name))
                    .map(|s| s.name.clone())
            })
            .collect()
    }

    /// The highest any receiver wants of `source`: what SenderSourceConstraints tells its owner.
    pub fn wanted_height(&self, owner: &str, source: &str) -> i32 {
        self.order
            .iter()
            .filter(|r| r.as_str() != owner && self.in_last_n(r, owner))
            .filter_map(|r| self.members.get(r))
            .map(|m| m.constraints.max_height(source))
            .max()
            .unwrap_or(0)
    }

    fn forwards_video(&self, receiver: &str, sender: &str, source: &str) -> bool {
        let Some(member) = self.members.get(receiver) else {
            return false;
        };
        member.constraints.max_height(source) > 0 && self.in_last_n(receiver, sender)
    }

    fn in_last_n(&self, receiver: &str, sender: &str) -> bool {
        let Some(n) = self
            .members
            .get(receiver)
            .and_then(|m| m.constraints.last_n)
        else {
            return true;
        };
        self.speakers
            .iter()
            .chain(self.order.iter().filter(|e| !self.speakers.contains(e)))
            .filter(|e| e.as_str() != receiver)
            .take(n)
            .any(|e| e == sender)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router() -> Router {
        let mut r = Router::default();
        for (e, a, v) in [("a", 1, 2), ("b", 3, 4), ("c", 5, 6)] {
            r.add_endpoint(e);
            r.set_sources(
                e,
                vec![
                    SourceDesc {
                        name: format!("{e}-a0"),
                        kind: Kind::Audio,
                        ssrcs: vec![a],
                        video_type: None,
                        signalled: Signalled::default(),
                    },
                    SourceDesc {
                        name: format!("{e}-v0"),
                        kind: Kind::Video,
                        ssrcs: vec![v, v + 100],
                        video_type: Some("camera".into()),
                        signalled: Signalled::default(),
                    },
                ],
            );
        }
        r
    }

    fn constraints(json: &str) -> serde_json::Map<String, Value> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn audio_and_video_go_to_everyone_else_by_default() {
        let r = router();
        assert_eq!(r.rtp_destinations("a", 1), ["b", "c"]);
        assert_eq!(r.rtp_destinations("b", 104), ["a", "c"]);
        assert_eq!(r.forwarded_video("c"), ["a-v0", "b-v0"]);
    }

    #[test]
    fn a_packet_on_someone_elses_or_an_unknown_ssrc_goes_nowhere() {
        let r = router();
        assert!(r.rtp_destinations("a", 3).is_empty());
        assert!(r.rtp_destinations("a", 999).is_empty());
    }

    #[test]
    fn last_n_follows_the_dominant_speaker() {
        let mut r = router();
        r.set_constraints("a", &constraints(r#"{"lastN":1}"#));
        assert_eq!(r.forwarded_video("a"), ["b-v0"]);
        r.speaker_changed("c");
        assert_eq!(r.forwarded_video("a"), ["c-v0"]);
        assert_eq!(r.rtp_destinations("b", 4), ["c"]);
        assert_eq!(r.rtp_destinations("b", 3), ["a", "c"], "audio is not cut");
    }

    #[test]
    fn max_height_zero_stops_a_source() {
        let mut r = router();
        r.set_constraints(
            "a",
            &constraints(r#"{"constraints":{"b-v0":{"maxHeight":0}},"defaultConstraints":{"maxHeight":180}}"#),
        );
        assert_eq!(r.forwarded_video("a"), ["c-v0"]);
        assert_eq!(
            r.wanted_height("c", "c-v0"),
            i32::MAX,
            "b has no constraints"
        );
        r.set_constraints(
            "b",
            &constraints(r#"{"defaultConstraints":{"maxHeight":360}}"#),
        );
        assert_eq!(r.wanted_height("c", "c-v0"), 360);
        assert_eq!(
            r.wanted_height("b", "b-v0"),
            i32::MAX,
            "a refuses it, c still wants it unconstrained"
        );
    }

    #[test]
    fn one_simulcast_layer_goes_out_on_the_first_ssrc() {
        let mut r = router();
        r.set_sources("c", vec![simulcast_camera()]);
        let now = Instant::now();
        let out =
            |r: &mut Router, ssrc: u32, seq: u16| r.outgoing(ssrc, seq, 9000, now).map(|o| o.ssrc);
        assert_eq!(
            out(&mut r, 21, 1),
            None,
            "no RTX before its layer is chosen"
        );
        assert_eq!(
            out(&mut r, 11, 1),
            Some(10),
            "the first layer to send is rewritten"
        );
        assert_eq!(out(&mut r, 21, 1), Some(20));
        assert_eq!(out(&mut r, 10, 1), None, "other layers are dropped");
        assert_eq!(out(&mut r, 12, 1), None);
        assert_eq!(out(&mut r, 22, 1), None);
        assert_eq!(
            r.sender_ssrc(10),
            11,
            "keyframes are asked of the forwarded layer"
        );
        assert_eq!(out(&mut r, 2, 1), Some(2), "other sources are unchanged");
        assert_eq!(r.rtp_destinations("c", 11), ["a", "b"]);
        let same = r.sources("c").to_vec();
        r.set_sources("c", same);
        assert_eq!(
            out(&mut r, 10, 2),
            None,
            "re-signalled sources keep their layer"
        );
        assert_eq!(out(&mut r, 11, 2), Some(10));
    }

    /// Chromium replacing a camera with a screen on the same sender: the layer that was going
    /// out stops and another layer of the SIM group starts. Its packets go out on the same SSRC,
    /// numbered on from the last one forwarded.
    #[test]
    fn a_silent_layer_gives_way_to_one_that_sends() {
        let mut r = router();
        r.set_sources("c", vec![simulcast_camera()]);
        let start = Instant::now();
        let at = |ms: u64| start + Duration::from_millis(ms);
        let first = r.outgoing(11, 500, 90_000, at(0)).unwrap();
        assert_eq!((first.ssrc, first.seq, first.timestamp), (10, 500, 90_000));
        r.outgoing(11, 501, 93_000, at(33)).unwrap();
        assert_eq!(
            r.outgoing(12, 7000, 5_000, at(100)),
            None,
            "the layer still sends"
        );

        let switched = r.outgoing(12, 7010, 8_000, at(600)).unwrap();
        assert_eq!(
            (switched.ssrc, switched.seq, switched.timestamp),
            (10, 502, 96_000),
            "continues the outgoing stream"
        );
        let next = r.outgoing(12, 7011, 11_000, at(633)).unwrap();
        assert_eq!((next.seq, next.timestamp), (503, 99_000));
        assert_eq!(
            r.sender_ssrc(10),
            12,
            "keyframes are asked of the new layer"
        );
        assert_eq!(
            r.outgoing(11, 502, 96_000, at(650)),
            None,
            "the old layer is dropped now"
        );
        let rtx = r.outgoing(22, 40, 11_000, at(660)).unwrap();
        assert_eq!((rtx.ssrc, rtx.seq), (20, 40));
        assert_eq!(
            rtx.original_seq_delta.map(|d| 7011u16.wrapping_add(d)),
            Some(503),
            "a retransmission names the packet as it went out"
        );
    }

    fn simulcast_camera() -> SourceDesc {
        let group = |semantics: &str, ssrcs: &[u32]| SsrcGroup {
            semantics: semantics.into(),
            ssrcs: ssrcs.to_vec(),
        };
        SourceDesc {
            name: "c-v0".into(),
            kind: Kind::Video,
            ssrcs: vec![10, 11, 12, 20, 21, 22],
            video_type: Some("camera".into()),
            signalled: Signalled {
                groups: vec![
                    group("SIM", &[10, 11, 12]),
                    group("FID", &[10, 20]),
                    group("FID", &[11, 21]),
                    group("FID", &[12, 22]),
                ],
                ..Signalled::default()
            },
        }
    }

    #[test]
    fn an_ssrc_cannot_be_claimed_twice() {
        let mut r = router();
        let kept = r.set_sources(
            "c",
            vec![SourceDesc {
                name: "c-a0".into(),
                kind: Kind::Audio,
                ssrcs: vec![1],
                video_type: None,
                signalled: Signalled::default(),
            }],
        );
        assert!(kept.is_empty());
        assert_eq!(r.owner(1).map(|(o, _)| o), Some("a"));
    }
}
