//! Who receives what, as jitsi-videobridge decides it for one conference: audio goes to every
//! other endpoint; a video source goes to a receiver when its sender is within the receiver's
//! last-N (endpoints ordered by how recently they were dominant speaker, then by join order) and
//! the receiver's constraints for that source allow a height above 0. Keyframe requests go to
//! the endpoint that owns the SSRC they name. SSRCs and sequence numbers are forwarded as sent,
//! except one simulcast layer per source, whose SSRC is rewritten onto the SIM group's first.

use std::collections::{BTreeMap, HashMap};

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
    /// The forwarded layer of each simulcast source, by the source's first SSRC.
    selected_layers: HashMap<u32, usize>,
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
        self.selected_layers
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
        // A source that stays keeps its forwarded layer: switching would break its sequence.
        let owners = &self.owners;
        self.selected_layers
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

    /// The SSRC a packet that arrived on `ssrc` is forwarded with, `None` to drop it. Of a
    /// simulcast source one layer goes out, rewritten onto the SIM group's first SSRC (its RTX
    /// onto that SSRC's RTX), as jitsi-videobridge forwards one layer per receiver and
    /// lib-jitsi-meet's receiver keeps only that SSRC of the group. Without layer selection or
    /// sequence number rewriting, the layer is the first one that sends and stays so: Chromium
    /// sends only the layers its bandwidth estimate allows, not always the lowest.
    pub fn outgoing_ssrc(&mut self, ssrc: u32) -> Option<u32> {
        let (_, source) = self.owner(ssrc)?;
        let Some(layers) = source.layers() else {
            return Some(ssrc);
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
        let selected = match self.selected_layers.get(&first) {
            Some(selected) => *selected,
            None if rtx => return None,
            None => *self.selected_layers.entry(first).or_insert(index),
        };
        match (selected == index, rtx) {
            (false, _) => None,
            (true, false) => Some(first),
            (true, true) => first_rtx,
        }
    }

    /// The SSRC a keyframe request for `ssrc` must name at its sender: the forwarded layer's.
    pub fn sender_ssrc(&self, ssrc: u32) -> u32 {
        let layer = self
            .owner(ssrc)
            .and_then(|(_, source)| source.layers())
            .zip(self.selected_layers.get(&ssrc))
            .and_then(|(layers, selected)| layers.get(*selected).map(|(layer, _)| *layer));
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
        let group = |semantics: &str, ssrcs: &[u32]| SsrcGroup {
            semantics: semantics.into(),
            ssrcs: ssrcs.to_vec(),
        };
        r.set_sources(
            "c",
            vec![SourceDesc {
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
            }],
        );
        assert_eq!(
            r.outgoing_ssrc(21),
            None,
            "no RTX before its layer is chosen"
        );
        assert_eq!(
            r.outgoing_ssrc(11),
            Some(10),
            "the first layer to send is rewritten"
        );
        assert_eq!(r.outgoing_ssrc(21), Some(20));
        assert_eq!(r.outgoing_ssrc(10), None, "other layers are dropped");
        assert_eq!(r.outgoing_ssrc(12), None);
        assert_eq!(r.outgoing_ssrc(22), None);
        assert_eq!(
            r.sender_ssrc(10),
            11,
            "keyframes are asked of the forwarded layer"
        );
        assert_eq!(r.outgoing_ssrc(2), Some(2), "other sources are unchanged");
        assert_eq!(r.rtp_destinations("c", 11), ["a", "b"]);
        let same = r.sources("c").to_vec();
        r.set_sources("c", same);
        assert_eq!(
            r.outgoing_ssrc(10),
            None,
            "re-signalled sources keep their layer"
        );
        assert_eq!(r.outgoing_ssrc(11), Some(10));
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
