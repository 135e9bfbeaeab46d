//! `source-add` / `source-remove` from the focus or a P2P peer, as a pure step: the current remote
//! sources and remote SDP in, the new ones out, plus what changed for the conference to report.
//!
//! A new source gets a `sendonly` m-line cloned from the first one of its media type, and a
//! removed source's m-line stays (unified plan never lets m-lines disappear) without its SSRCs.
//! An m-line left without sources is reused first by the next source of its media type.
//!
//! Towards the bridge lib-jitsi-meet rejects a removed source's m-line (port 0, `inactive`,
//! `SDP.updateRemoteSources`) and gives a source that comes back a fresh m-line; the 2021 bundle
//! set it `inactive` and let sdp-interop reuse it. Neither works with webrtc-rs (0.21): it stops
//! the transceiver of an `inactive` or rejected m-line for good but keeps that receiver's SSRCs,
//! and it hands an incoming packet to the first transceiver that lists its SSRC. A browser that
//! talked P2P removes its sources from the bridge session and later adds them back with the same
//! SSRCs, so every packet of theirs went to the stopped transceiver and was dropped ("Failed to
//! get track_remote"): the participant was never heard on the bridge. So here a removed source's
//! m-line stays open (`sendonly` from the bridge, no SSRCs: nothing arrives on it) and the source
//! that comes back, or the next one, takes it again; its transceiver never stops.

use std::collections::HashSet;

use crate::jid::EndpointId;

use super::error::JingleError;
use super::limits;
use super::model::{Action, Jingle, Media};
use super::sdp::{Direction, MediaSection, Sdp, SdpLine};
use super::sources::{remote_sources, RemoteSource};
use super::to_sdp::{push_source_lines, ssrc_group_line, strip_sources, Peer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceUpdate {
    pub sources: Vec<RemoteSource>,
    pub added: Vec<RemoteSource>,
    pub removed: Vec<RemoteSource>,
    /// The remote description to apply before answering again.
    pub sdp: Sdp,
}

pub fn apply_source_update(
    current: &[RemoteSource],
    change: &Jingle,
    remote_sdp: &Sdp,
    peer: Peer,
    default_owner: Option<&EndpointId>,
) -> Result<SourceUpdate, JingleError> {
    let announced = remote_sources(&change.contents, default_owner)?;
    let announced = match change.action {
        Action::SourceAdd => {
            // A repeated announcement (a source-add racing the session-initiate) is not news.
            let known: HashSet<u32> = current.iter().flat_map(|s| &s.ssrcs).copied().collect();
            let new: Vec<RemoteSource> = announced
                .into_iter()
                .filter(|s| !s.ssrcs.iter().any(|x| known.contains(x)))
                .collect();
            // Refused before the remote SDP is copied: a storm of source-adds past the limits
            // costs little each.
            if current.len() + new.len() > limits::MAX_REMOTE_SOURCES {
                return Err(JingleError::TooMany {
                    what: "remote sources",
                    limit: limits::MAX_REMOTE_SOURCES,
                });
            }
            let fresh = new
                .iter()
                .filter(|s| reusable_mline(remote_sdp, s, peer).is_none())
                .count();
            if remote_sdp.media.len() + fresh > limits::MAX_MEDIA_SECTIONS {
                return Err(too_many_media_sections());
            }
            new
        }
        Action::SourceRemove => announced,
        other => return Err(JingleError::UnexpectedAction(other)),
    };
    let mut update = SourceUpdate {
        sources: current.to_vec(),
        added: Vec::new(),
        removed: Vec::new(),
        sdp: remote_sdp.clone(),
    };
    if change.action == Action::SourceAdd {
        for source in announced {
            add_to_sdp(&mut update.sdp, &source, peer)?;
            update.sources.push(source.clone());
            update.added.push(source);
        }
    } else {
        for source in announced {
            let Some(i) = update
                .sources
                .iter()
                .position(|s| s.ssrcs.iter().any(|x| source.ssrcs.contains(x)))
            else {
                continue;
            };
            let existing = update.sources.remove(i);
            remove_from_sdp(&mut update.sdp, &existing, peer);
            update.removed.push(existing);
        }
    }
    if !update.added.is_empty() || !update.removed.is_empty() {
        bump_version(&mut update.sdp);
    }
    Ok(update)
}

/// An m-line a new source can take instead of a new one.
fn reusable_mline(sdp: &Sdp, source: &RemoteSource, peer: Peer) -> Option<usize> {
    let media = source.media.as_str();
    match peer {
        Peer::P2p => sdp
            .media
            .iter()
            .position(|m| m.media == media && !m.has_ssrcs()),
        // Only an m-line a removed source left: the offer's own m-lines carry the bridge's
        // SSRCs and ours for a screen share is `recvonly`. A source the bridge demuxes by mid
        // must keep that mid.
        Peer::Bridge => sdp.media.iter().position(|m| {
            m.media == media
                && m.port != 0
                && m.direction() == Some(Direction::SendOnly)
                && !m.has_ssrcs()
                && source.mid.as_deref().is_none_or(|mid| m.mid() == Some(mid))
        }),
    }
}

fn too_many_media_sections() -> JingleError {
    JingleError::TooMany {
        what: "media sections",
        limit: limits::MAX_MEDIA_SECTIONS,
    }
}

fn add_to_sdp(sdp: &mut Sdp, source: &RemoteSource, peer: Peer) -> Result<(), JingleError> {
    let media = source.media.as_str();
    let reusable = reusable_mline(sdp, source, peer);
    let index = match reusable {
        Some(i) => {
            let m = &mut sdp.media[i];
            let direction = match m.direction() {
                Some(Direction::RecvOnly | Direction::SendRecv) => Direction::SendRecv,
                _ => Direction::SendOnly,
            };
            m.set_direction(direction);
            i
        }
        None => {
            if sdp.media.len() == limits::MAX_MEDIA_SECTIONS {
                return Err(too_many_media_sections());
            }
            let template = sdp
                .media
                .iter()
                .find(|m| m.media == media)
                .ok_or(JingleError::NoMediaSection(source.media))?;
            let mut m = strip_sources(template);
            if m.port == 0 {
                m.port = 9;
            }
            let mid = source
                .mid
                .clone()
                .filter(|mid| sdp.media_by_mid(mid).is_none())
                .unwrap_or_else(|| free_mid(sdp));
            m.set_attr("mid", &mid);
            m.set_direction(Direction::SendOnly);
            if let Some(mut bundle) = sdp
                .bundle()
                .map(|b| b.into_iter().map(str::to_string).collect::<Vec<_>>())
            {
                bundle.push(mid);
                sdp.set_bundle(&bundle.iter().map(String::as_str).collect::<Vec<_>>());
            }
            sdp.media.push(m);
            sdp.media.len() - 1
        }
    };
    let ssrcs = match peer {
        Peer::Bridge => super::to_sdp::received_layer(source.ssrcs.clone(), &source.groups),
        Peer::P2p => source.ssrcs.clone(),
    };
    let m = &mut sdp.media[index];
    for g in source
        .groups
        .iter()
        .filter(|g| g.ssrcs.iter().all(|s| ssrcs.contains(s)))
    {
        m.lines.push(ssrc_group_line(g));
    }
    for ssrc in &ssrcs {
        push_source_lines(&mut m.lines, *ssrc, &source.parameters);
    }
    Ok(())
}

/// Towards the bridge the remote description is the focus's offer, which has no m-line for a
/// source we start later (a screen share): as lib-jitsi-meet's `addMlineForNewLocalSource`, a
/// `recvonly` m-line of that media type (from the focus's side) is added for our answer to send
/// on. Returns its mid.
pub fn add_mline_for_local_source(sdp: &mut Sdp, media: Media) -> Result<String, JingleError> {
    if sdp.media.len() == limits::MAX_MEDIA_SECTIONS {
        return Err(too_many_media_sections());
    }
    let template = sdp
        .media
        .iter()
        .find(|m| m.media == media.as_str())
        .ok_or(JingleError::NoMediaSection(media))?;
    let mut m = strip_sources(template);
    m.port = 9;
    let mid = free_mid(sdp);
    m.set_attr("mid", &mid);
    m.set_direction(Direction::RecvOnly);
    if let Some(mut bundle) = sdp
        .bundle()
        .map(|b| b.into_iter().map(str::to_string).collect::<Vec<_>>())
    {
        bundle.push(mid.clone());
        sdp.set_bundle(&bundle.iter().map(String::as_str).collect::<Vec<_>>());
    }
    sdp.media.push(m);
    bump_version(sdp);
    Ok(mid)
}

fn remove_from_sdp(sdp: &mut Sdp, source: &RemoteSource, peer: Peer) {
    let Some(primary) = source.primary_ssrc() else {
        return;
    };
    let Some(m) = sdp.media.iter_mut().find(|m| m.ssrcs().contains(&primary)) else {
        return;
    };
    strip_ssrcs(m, &source.ssrcs);
    match peer {
        // Open and `sendonly`, not rejected: see the module comment.
        Peer::Bridge => m.set_direction(Direction::SendOnly),
        Peer::P2p => {
            let direction = match m.direction() {
                Some(Direction::SendRecv | Direction::RecvOnly) => Direction::RecvOnly,
                _ => Direction::Inactive,
            };
            m.set_direction(direction);
        }
    }
}

fn strip_ssrcs(m: &mut MediaSection, ssrcs: &[u32]) {
    let mentions = |v: &str| {
        v.split(' ')
            .any(|t| t.parse::<u32>().is_ok_and(|s| ssrcs.contains(&s)))
    };
    m.retain_lines(|l| match l {
        SdpLine::Attr {
            name,
            value: Some(v),
        } if name == "ssrc" => !v
            .split(' ')
            .next()
            .and_then(|s| s.parse::<u32>().ok())
            .is_some_and(|s| ssrcs.contains(&s)),
        SdpLine::Attr {
            name,
            value: Some(v),
        } if name == "ssrc-group" => !mentions(v),
        _ => true,
    });
}

/// lib-jitsi-meet names a new m-line by its index; skip ahead if that mid is taken.
fn free_mid(sdp: &Sdp) -> String {
    let mut n = sdp.media.len();
    while sdp.media_by_mid(&n.to_string()).is_some() {
        n += 1;
    }
    n.to_string()
}

/// RFC 3264 §8: every new offer/answer increments the `o=` version.
pub(crate) fn bump_version(sdp: &mut Sdp) {
    for l in &mut sdp.session {
        if let SdpLine::Field { kind: 'o', value } = l {
            let mut parts: Vec<String> = value.split(' ').map(str::to_string).collect();
            if let Some(version) = parts.get(2).and_then(|v| v.parse::<u64>().ok()) {
                parts[2] = version.wrapping_add(1).to_string();
            }
            *value = parts.join(" ");
        }
    }
}
