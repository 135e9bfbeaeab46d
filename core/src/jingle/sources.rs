//! Media sources as Jitsi names them: `ENDPOINT-a0` for the microphone, `ENDPOINT-v0` for the
//! camera, `ENDPOINT-v1` for a screen share (videoType `desktop`), following lib-jitsi-meet's
//! `getSourceNameForJitsiTrack`. Local sources are what we announce; remote sources are what the
//! focus (or a P2P peer) announced, with the endpoint that owns each.

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::jid::{EndpointId, Jid};

use super::error::JingleError;
use super::limits;
use super::model::{
    Action, Content, Creator, Jingle, Media, Parameter, RtpDescription, Source, SsrcGroup,
};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceName(String);

impl SourceName {
    pub fn new(endpoint: &EndpointId, media: Media, index: u8) -> SourceName {
        let letter = match media {
            Media::Audio => 'a',
            Media::Video | Media::Application => 'v',
        };
        SourceName(format!("{endpoint}-{letter}{index}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SourceName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoType {
    Camera,
    Desktop,
}

impl VideoType {
    pub fn as_str(self) -> &'static str {
        match self {
            VideoType::Camera => "camera",
            VideoType::Desktop => "desktop",
        }
    }

    /// lib-jitsi-meet folds `desktop_high_fps` into `desktop` for remote tracks.
    pub fn parse(s: &str) -> Option<VideoType> {
        match s.to_ascii_lowercase().as_str() {
            "camera" => Some(VideoType::Camera),
            "desktop" | "desktop_high_fps" => Some(VideoType::Desktop),
            _ => None,
        }
    }
}

/// One source we send: its SSRC, the RTX SSRC paired with it by an FID group, and the msid the
/// media engine put on its track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalSource {
    pub name: SourceName,
    pub media: Media,
    pub ssrc: u32,
    pub rtx_ssrc: Option<u32>,
    pub msid: String,
    pub video_type: Option<VideoType>,
}

impl LocalSource {
    pub fn microphone(endpoint: &EndpointId, ssrc: u32, msid: impl Into<String>) -> LocalSource {
        LocalSource {
            name: SourceName::new(endpoint, Media::Audio, 0),
            media: Media::Audio,
            ssrc,
            rtx_ssrc: None,
            msid: msid.into(),
            video_type: None,
        }
    }

    pub fn camera(
        endpoint: &EndpointId,
        ssrc: u32,
        rtx_ssrc: Option<u32>,
        msid: impl Into<String>,
    ) -> LocalSource {
        LocalSource {
            name: SourceName::new(endpoint, Media::Video, 0),
            media: Media::Video,
            ssrc,
            rtx_ssrc,
            msid: msid.into(),
            video_type: Some(VideoType::Camera),
        }
    }

    pub fn screen(
        endpoint: &EndpointId,
        ssrc: u32,
        rtx_ssrc: Option<u32>,
        msid: impl Into<String>,
    ) -> LocalSource {
        LocalSource {
            name: SourceName::new(endpoint, Media::Video, 1),
            media: Media::Video,
            ssrc,
            rtx_ssrc,
            msid: msid.into(),
            video_type: Some(VideoType::Desktop),
        }
    }

    pub fn owns(&self, ssrc: u32) -> bool {
        self.ssrc == ssrc || self.rtx_ssrc == Some(ssrc)
    }

    pub fn ssrcs(&self) -> impl Iterator<Item = u32> {
        std::iter::once(self.ssrc).chain(self.rtx_ssrc)
    }

    /// The `<source>` elements (primary, then RTX) as lib-jitsi-meet's `_addSourceElement` writes
    /// them, and the FID group when there is an RTX SSRC.
    pub fn to_jingle(&self) -> (Vec<Source>, Option<SsrcGroup>) {
        let sources = self
            .ssrcs()
            .map(|ssrc| Source {
                ssrc,
                name: Some(self.name.to_string()),
                video_type: self.video_type.map(|v| v.as_str().to_string()),
                parameters: vec![Parameter::new("msid", &self.msid)],
                owner: None,
            })
            .collect();
        let group = self.rtx_ssrc.map(|rtx| SsrcGroup {
            semantics: "FID".to_string(),
            ssrcs: vec![self.ssrc, rtx],
        });
        (sources, group)
    }
}

/// A `source-add` or `source-remove` announcing our own sources (a screen share starting or
/// stopping); contents are named by media type as Jicofo expects.
pub fn local_sources_jingle(action: Action, sid: &str, sources: &[LocalSource]) -> Jingle {
    let mut j = Jingle::new(action, sid);
    for media in [Media::Audio, Media::Video] {
        let mut description = RtpDescription::new(media);
        for s in sources.iter().filter(|s| s.media == media) {
            let (elements, group) = s.to_jingle();
            description.sources.extend(elements);
            description.ssrc_groups.extend(group);
        }
        if !description.sources.is_empty() {
            j.contents.push(Content {
                creator: Creator::Responder,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    Endpoint(EndpointId),
    /// Jicofo's `jvb` owner: the bridge's own feedback sources (`mixedmslabel`).
    Bridge,
}

impl Owner {
    /// The owner is an occupant JID from older Jicofos and a bare endpoint id from newer ones,
    /// as lib-jitsi-meet's `getEndpointId` and gst-meet's `participant_id_for_owner` accept.
    pub fn parse(owner: &str) -> Owner {
        if owner == "jvb" {
            return Owner::Bridge;
        }
        match Jid::parse(owner).and_then(|j| j.resource().map(str::to_string)) {
            Some(resource) => Owner::Endpoint(EndpointId::new(resource)),
            None => Owner::Endpoint(EndpointId::new(owner)),
        }
    }
}

/// One remote source: all the SSRCs (primary first, then RTX/simulcast) of one named source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSource {
    pub media: Media,
    pub name: Option<String>,
    pub owner: Option<Owner>,
    pub ssrcs: Vec<u32>,
    pub groups: Vec<SsrcGroup>,
    pub msid: Option<String>,
    pub video_type: Option<VideoType>,
    /// The mid the bridge stamps on this source's packets under SSRC rewriting.
    pub mid: Option<String>,
    /// Every `<parameter>` of the primary SSRC (cname, msid, ...), for the SDP.
    pub parameters: Vec<Parameter>,
}

impl RemoteSource {
    pub fn primary_ssrc(&self) -> Option<u32> {
        self.ssrcs.first().copied()
    }

    pub fn endpoint(&self) -> Option<&EndpointId> {
        match &self.owner {
            Some(Owner::Endpoint(e)) => Some(e),
            _ => None,
        }
    }
}

/// Group SSRC semantics lib-jitsi-meet accepts (`SSRC_GROUP_SEMANTICS`); others are ignored.
const KNOWN_GROUP_SEMANTICS: &[&str] = &["FID", "SIM", "FEC-FR"];

/// For each SSRC, the indexes of the groups that list it.
pub(super) fn groups_by_ssrc<'a>(
    groups: impl Iterator<Item = &'a SsrcGroup>,
) -> HashMap<u32, Vec<usize>> {
    let mut index: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, g) in groups.enumerate() {
        for s in &g.ssrcs {
            index.entry(*s).or_default().push(i);
        }
    }
    index
}

/// The indexes that `index` lists for any of `ssrcs` (the groups or the sources holding them), in
/// ascending order, each once.
pub(super) fn touching(
    ssrcs: &[u32],
    index: &HashMap<u32, Vec<usize>>,
) -> impl Iterator<Item = usize> {
    let mut found: Vec<usize> = ssrcs
        .iter()
        .filter_map(|s| index.get(s))
        .flatten()
        .copied()
        .collect();
    found.sort_unstable();
    found.dedup();
    found.into_iter()
}

/// Unnamed sources of `out[first..]` that one group ties together become one source, whatever
/// order their SSRCs came in (an RTX listed before the layer it repairs started a source alone).
fn merge_grouped_unnamed(
    out: &mut Vec<RemoteSource>,
    first: usize,
    groups_of: &HashMap<u32, Vec<usize>>,
) {
    // The groups each source's SSRCs are in: two sources are tied when theirs meet. Looked up
    // once, so that a peer's thousand unnamed sources cost pairs of short lists, not of groups.
    let mut tied_by: Vec<Vec<usize>> = out[first..]
        .iter()
        .map(|r| touching(&r.ssrcs, groups_of).collect())
        .collect();
    let mut i = first;
    while i < out.len() {
        if out[i].name.is_some() {
            i += 1;
            continue;
        }
        let mine = &tied_by[i - first];
        let tied = (i + 1..out.len()).find(|&j| {
            out[j].name.is_none() && tied_by[j - first].iter().any(|g| mine.contains(g))
        });
        match tied {
            Some(j) => {
                let merged = out.remove(j);
                out[i].ssrcs.extend(merged.ssrcs);
                let groups = tied_by.remove(j - first);
                tied_by[i - first].extend(groups);
            }
            None => i += 1,
        }
    }
}

/// The remote sources in Jingle contents. Sources are keyed by name (lib-jitsi-meet's
/// `_processSourceMapFromJingle`); unnamed ones (old clients) by their FID/SIM group. In P2P the
/// sources carry no `ssrc-info` and belong to the peer, `default_owner`.
pub fn remote_sources(
    contents: &[Content],
    default_owner: Option<&EndpointId>,
) -> Result<Vec<RemoteSource>, JingleError> {
    let mut out: Vec<RemoteSource> = Vec::new();
    let mut seen: HashSet<u32> = HashSet::new();
    for d in contents.iter().filter_map(|c| c.description.as_ref()) {
        let groups: Vec<&SsrcGroup> = d
            .ssrc_groups
            .iter()
            .filter(|g| {
                KNOWN_GROUP_SEMANTICS.contains(&g.semantics.as_str()) && !g.ssrcs.is_empty()
            })
            .collect();
        // Indexes keep an offer for a large conference linear in its sources: the groups each
        // SSRC is in, and which source of this description each name and unnamed SSRC joined.
        let groups_of = groups_by_ssrc(groups.iter().copied());
        let mut by_name: HashMap<&str, usize> = HashMap::new();
        let mut unnamed: HashMap<u32, usize> = HashMap::new();
        let first = out.len();
        for s in &d.sources {
            if !seen.insert(s.ssrc) {
                return Err(JingleError::DuplicateSsrc(s.ssrc));
            }
            let existing = match &s.name {
                Some(name) => by_name.get(name.as_str()).copied(),
                // Any SSRC of the source, not only its first: a simulcast layer's RTX is tied
                // to that layer by FID, and to the lowest layer only through SIM.
                None => groups_of
                    .get(&s.ssrc)
                    .into_iter()
                    .flatten()
                    .flat_map(|&g| &groups[g].ssrcs)
                    .filter_map(|x| unnamed.get(x).copied())
                    .min(),
            };
            let index = match existing {
                Some(i) => {
                    out[i].ssrcs.push(s.ssrc);
                    i
                }
                None => {
                    if out.len() == limits::MAX_REMOTE_SOURCES {
                        return Err(JingleError::TooMany {
                            what: "remote sources",
                            limit: limits::MAX_REMOTE_SOURCES,
                        });
                    }
                    out.push(RemoteSource {
                        media: d.media,
                        name: s.name.clone(),
                        owner: s
                            .owner
                            .as_deref()
                            .map(Owner::parse)
                            .or_else(|| default_owner.cloned().map(Owner::Endpoint)),
                        ssrcs: vec![s.ssrc],
                        groups: Vec::new(),
                        msid: s.msid().map(str::to_string),
                        video_type: s.video_type.as_deref().and_then(VideoType::parse),
                        mid: s.parameter("mid").map(str::to_string),
                        parameters: s
                            .parameters
                            .iter()
                            .filter(|p| p.name != "mid")
                            .cloned()
                            .collect(),
                    });
                    out.len() - 1
                }
            };
            match &s.name {
                Some(name) => {
                    by_name.insert(name, index);
                }
                None => {
                    unnamed.insert(s.ssrc, index);
                }
            }
        }
        merge_grouped_unnamed(&mut out, first, &groups_of);
        for r in &mut out[first..] {
            for g in touching(&r.ssrcs, &groups_of).map(|i| groups[i]) {
                if g.ssrcs.iter().all(|s| r.ssrcs.contains(s)) {
                    r.groups.push(g.clone());
                }
            }
            // The group order names the primary SSRC (FID: primary then RTX; SIM: lowest layer).
            if let Some(primary) = r
                .groups
                .iter()
                .find(|g| g.semantics == "SIM")
                .or(r.groups.first())
            {
                let p = primary.ssrcs[0];
                if let Some(i) = r.ssrcs.iter().position(|s| *s == p) {
                    r.ssrcs.swap(0, i);
                }
            }
        }
    }
    Ok(out)
}
