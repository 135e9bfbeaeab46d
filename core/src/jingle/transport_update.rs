//! ICE after the offer/answer: trickled candidates both ways (`transport-info`, lib-jitsi-meet's
//! `_sendIceCandidates` and `TRANSPORT_INFO` handling) and the bridge's new transport after an
//! in-place ICE restart (`transport-info` with `ice-generation`, `onBridgeIceRestartTransport`).

use super::model::{Action, Candidate, Content, Creator, IceUdpTransport, Jingle};
use super::sdp::{Attributes, MediaSection, Sdp, SdpLine};
use super::source_update::bump_version;
use super::to_sdp::Peer;

/// A remote candidate for the PeerConnection: the m-line (by mid) and the attribute value
/// after `candidate:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteCandidate {
    pub mid: String,
    pub candidate: String,
}

/// Candidates of a received `transport-info`. Towards the bridge contents are named by media type
/// while the remote SDP's m-lines are numbered, so a candidate goes to the first m-line of that
/// type; BUNDLE makes every m-line share the one transport anyway.
pub fn remote_candidates(j: &Jingle, remote_sdp: &Sdp, peer: Peer) -> Vec<RemoteCandidate> {
    let mut out = Vec::new();
    for c in &j.contents {
        let Some(t) = &c.transport else { continue };
        let mid = match peer {
            Peer::P2p => remote_sdp.media_by_mid(&c.name).and_then(MediaSection::mid),
            Peer::Bridge => {
                let media = if c.name == "data" {
                    "application"
                } else {
                    c.name.as_str()
                };
                remote_sdp
                    .media
                    .iter()
                    .find(|m| m.media == media)
                    .and_then(MediaSection::mid)
            }
        };
        if let Some(mid) = mid {
            out.extend(t.candidates.iter().map(|cand| RemoteCandidate {
                mid: mid.to_string(),
                candidate: cand.to_sdp_value(),
            }));
        }
    }
    out
}

/// The content a local m-line is signalled under: its media type towards the bridge (`data` for
/// SCTP, as Jicofo names it), its mid in P2P.
pub fn content_name_for_mid(local_sdp: &Sdp, mid: &str, peer: Peer) -> Option<String> {
    let m = local_sdp.media_by_mid(mid)?;
    Some(match peer {
        Peer::P2p => mid.to_string(),
        Peer::Bridge if m.media == "application" => "data".to_string(),
        Peer::Bridge => m.media.clone(),
    })
}

/// A `transport-info` trickling our candidates for one content, with the ICE credentials the
/// candidates belong to.
pub fn transport_info(
    sid: &str,
    creator: Creator,
    content_name: &str,
    local_sdp: &Sdp,
    mid: &str,
    candidates: Vec<Candidate>,
) -> Jingle {
    let m = local_sdp.media_by_mid(mid);
    let credential = |name: &str| {
        m.and_then(|m| m.attr(name))
            .or_else(|| local_sdp.attr(name))
            .map(str::to_string)
    };
    let mut j = Jingle::new(Action::TransportInfo, sid);
    j.contents.push(Content {
        creator,
        name: content_name.to_string(),
        senders: None,
        frame_heights: Vec::new(),
        description: None,
        transport: Some(IceUdpTransport {
            ufrag: credential("ice-ufrag"),
            pwd: credential("ice-pwd"),
            candidates,
            ..IceUdpTransport::default()
        }),
    });
    j
}

/// The remote SDP with the bridge's new ICE agent: credentials, fingerprints and candidates of
/// every live m-line replaced, for the renegotiation that applies an in-place ICE restart.
pub fn replace_remote_transport(remote_sdp: &Sdp, transport: &IceUdpTransport) -> Sdp {
    let mut sdp = remote_sdp.clone();
    for m in sdp.media.iter_mut().filter(|m| m.port != 0) {
        if let Some(ufrag) = &transport.ufrag {
            m.set_attr("ice-ufrag", ufrag);
        }
        if let Some(pwd) = &transport.pwd {
            m.set_attr("ice-pwd", pwd);
        }
        let replace_fingerprints = !transport.fingerprints.is_empty();
        m.retain_lines(|l| match l {
            SdpLine::Attr { name, .. } => {
                name != "candidate" && !(replace_fingerprints && name == "fingerprint")
            }
            SdpLine::Field { .. } => true,
        });
        for f in &transport.fingerprints {
            m.lines.push(SdpLine::attr(
                "fingerprint",
                format!("{} {}", f.hash, f.value),
            ));
        }
        for c in &transport.candidates {
            m.lines.push(SdpLine::attr("candidate", c.to_sdp_value()));
        }
    }
    bump_version(&mut sdp);
    sdp
}
