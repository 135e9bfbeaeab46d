//! The peer-to-peer Jingle session, as lib-jitsi-meet's JingleSessionPC runs it between two
//! participants: the side `p2p::decide` picks sends `session-initiate` with its offer to the other's
//! occupant JID, the other acks and answers with `session-accept`, candidates trickle both ways in
//! `transport-info`, and either side ends it with `session-terminate`. Every Jingle IQ is acked
//! before anything else happens, as Strophe's Jingle plugin does.
//!
//! Jingle from the focus is the bridge session's (`bridge.rs`).

use std::time::Instant;

use super::{Conference, IqPurpose};
use crate::conference::media_command::{MediaCommand, MediaInput};
use crate::conference::p2p::{self, P2pDecision, Peer as P2pPeer};
use crate::events::ConferenceEvent;
use crate::jid::{EndpointId, Jid};
use crate::jingle::{
    content_name_for_mid, encode_jingle, jingle_to_sdp, limits, parse_jingle_in_session,
    remote_sources, sdp_to_jingle, transport_info, Action, AnswerOptions, Attributes, Candidate,
    Creator, IceUdpTransport, Jingle, JingleError, LocalSource, Media, OfferOptions, Peer, Reason,
    RemoteSource, Sdp, SdpLine, SourceName,
};
use crate::xml::Element;
use crate::xmpp::stanza::{error_reply, iq};

/// The Jingle reason lib-jitsi-meet ends a failed P2P session with (`_stopP2PSession`).
const CONNECTIVITY_ERROR: &str = "connectivity-error";
/// XEP-0166's reason for ending a session over a security error: ours for a DTLS handshake that
/// failed, so the peer learns it too, whichever side's handshake gave up first. lib-jitsi-meet
/// ends P2P on any reason and logs it.
const SECURITY_ERROR: &str = "security-error";
/// Candidates a peer may trickle before its description is applied. A browser gathers a few
/// dozen at most; a peer that never answers must not make us hold every one it sends.
pub(super) const MAX_PENDING_CANDIDATES: usize = 256;

pub(super) struct P2pSession {
    pub sid: String,
    pub peer: EndpointId,
    pub initiator: bool,
    /// Our offer or answer, once the engine made it: trickled candidates name its mid.
    local_sdp: Option<Sdp>,
    /// False until the peer's answer is applied; candidates wait until then.
    remote_described: bool,
    pending_candidates: Vec<String>,
    pending_local_candidates: Vec<String>,
    pub remote_sources: Vec<RemoteSource>,
    /// The peer's ICE credentials from its offer or answer; a `transport-info` with others is
    /// an ICE restart.
    remote_ice: Option<IceCredentials>,
    /// The connection stopped hearing from the peer.
    pub interrupted: bool,
    /// The connection has been up once. Until then media stays on the bridge, as
    /// lib-jitsi-meet moves it to P2P only when P2P's ICE connects: a session that is still
    /// negotiating would carry nothing, and the move from the bridge would be a silence.
    pub connected: bool,
}

impl P2pSession {
    /// Whether the media engine should keep this session's media on the bridge.
    fn suspended(&self) -> bool {
        !self.connected || self.interrupted
    }
}

impl Conference {
    pub(super) fn local_sources(&self) -> Vec<LocalSource> {
        let me = &self.cfg.presence.endpoint_id;
        let ssrcs = self.cfg.local_ssrcs;
        let suffix = self.track_suffix();
        // The msid the media engine gives its tracks (stream id, track id).
        vec![
            LocalSource::microphone(me, ssrcs.audio, format!("{me}-stream {me}-a0{suffix}")),
            LocalSource::camera(
                me,
                ssrcs.video,
                None,
                format!("{me}-stream {me}-v0{suffix}"),
            ),
        ]
    }

    /// Two at most: P2P needs exactly one other participant, and two already say "not one".
    fn p2p_peers(&self) -> Vec<P2pPeer> {
        self.roster
            .first_participants(2)
            .map(|p| P2pPeer {
                endpoint_id: p.endpoint_id.clone(),
                role: p.role,
                is_bot: false,
            })
            .collect()
    }

    pub(super) fn update_p2p_after_leave(&mut self, now: Instant) {
        if let Some(s) = &self.p2p {
            if self.roster.get(&s.peer).is_none() {
                // The peer is gone: nobody to tell, just stop.
                let session = self.p2p.take().expect("checked above");
                self.close_p2p(session);
            }
        }
        let decision = p2p::decide(
            &self.cfg.p2p,
            &self.cfg.presence.endpoint_id,
            &self.p2p_peers(),
            self.p2p.as_ref().map(|s| &s.peer),
            true,
        );
        match decision {
            P2pDecision::InitiateAfter(_, delay) => self.p2p_restart_at = Some(now + delay),
            other => self.apply_p2p_decision(other),
        }
    }

    /// After a P2P failure, the network changed: P2P is tried again from our side whichever
    /// side offered before, since the peer cannot know our network changed (lib-jitsi-meet
    /// takes an offer from either side).
    pub(super) fn retry_p2p_on_new_network(&mut self) {
        if self.p2p.is_some() || !matches!(self.phase, super::Phase::Joined) {
            return;
        }
        if self.cfg.presence.screen_sharing {
            return;
        }
        let decision = p2p::decide(
            &self.cfg.p2p,
            &self.cfg.presence.endpoint_id,
            &self.p2p_peers(),
            None,
            false,
        );
        self.apply_p2p_decision(match decision {
            P2pDecision::AwaitOffer(peer) if self.p2p_failed => P2pDecision::Initiate(peer),
            other => other,
        });
    }

    pub(super) fn update_p2p(&mut self, after_leave: bool) {
        if !matches!(self.phase, super::Phase::Joined) || self.cfg.presence.screen_sharing {
            return;
        }
        let decision = p2p::decide(
            &self.cfg.p2p,
            &self.cfg.presence.endpoint_id,
            &self.p2p_peers(),
            self.p2p.as_ref().map(|s| &s.peer),
            after_leave,
        );
        self.apply_p2p_decision(decision);
    }

    pub(super) fn apply_p2p_decision(&mut self, decision: P2pDecision) {
        match decision {
            P2pDecision::Initiate(peer) => {
                self.p2p_restart_at = None;
                self.p2p_failed = false;
                let sid = format!("p2p{:016x}", rand::random::<u64>());
                self.p2p = Some(P2pSession {
                    sid: sid.clone(),
                    peer,
                    initiator: true,
                    local_sdp: None,
                    remote_described: false,
                    pending_candidates: Vec::new(),
                    pending_local_candidates: Vec::new(),
                    remote_sources: Vec::new(),
                    remote_ice: None,
                    interrupted: false,
                    connected: false,
                });
                let muted = self.muted();
                self.media(MediaCommand::SuspendP2p(true));
                self.media(MediaCommand::Offer { sid, muted });
                self.sync_tracks();
            }
            P2pDecision::Stop => {
                self.p2p_restart_at = None;
                if let Some(session) = self.p2p.take() {
                    let terminate = Jingle::terminate(
                        session.sid.clone(),
                        Reason::new("success", Some("Turning off P2P session".into())),
                    );
                    self.send_jingle(&session.peer, &terminate);
                    self.close_p2p(session);
                }
            }
            P2pDecision::InitiateAfter(..) | P2pDecision::AwaitOffer(_) | P2pDecision::Keep => {}
        }
    }

    fn close_p2p(&mut self, session: P2pSession) {
        self.media(MediaCommand::Close { sid: session.sid });
        self.sync_tracks();
    }

    fn send_jingle(&mut self, to: &EndpointId, jingle: &Jingle) {
        let id = self
            .iqs
            .track(IqPurpose::Jingle, Instant::now(), self.cfg.timeouts.iq);
        let to = self.cfg.room.with_resource(to.as_str());
        self.send(iq("set", &id, &to.to_string()).child(encode_jingle(jingle)));
    }

    pub(super) fn handle_jingle(&mut self, request: &Element, el: &Element, now: Instant) {
        let from = request.get_attr("from").and_then(Jid::parse);
        if self.is_focus(from.as_ref()) {
            let focus = from.expect("the focus has an address");
            return self.handle_bridge_jingle(request, el, focus, now);
        }
        let peer = from
            .as_ref()
            .filter(|j| j.bare() == self.cfg.room)
            .and_then(|j| j.resource())
            .map(EndpointId::new)
            .filter(|p| self.roster.get(p).is_some());
        let Some(peer) = peer else {
            return self.send(error_reply(request, "cancel", "item-not-found"));
        };
        let local = self
            .p2p
            .as_ref()
            .filter(|s| s.peer == peer)
            .and_then(|s| s.local_sdp.as_ref());
        let kind_of_mid = |mid: &str| Media::parse(&local?.media_by_mid(mid)?.media);
        let jingle = match parse_jingle_in_session(el, &kind_of_mid) {
            Ok(j) => j,
            Err(e) => {
                log::warn!("dropping a malformed Jingle request from {peer}: {e}");
                return self.send(error_reply(request, "modify", "bad-request"));
            }
        };
        if jingle.action == Action::SessionInitiate {
            self.send(super::result_for(request));
            return self.on_p2p_offer(peer, jingle);
        }
        let ours = self
            .p2p
            .as_ref()
            .is_some_and(|s| s.sid == jingle.sid && s.peer == peer);
        if !ours {
            return self.send(error_reply(request, "cancel", "item-not-found"));
        }
        let known = self.p2p.as_ref().and_then(|s| s.remote_ice.as_ref());
        if jingle.action == Action::TransportInfo && restarts_ice(&jingle, known) {
            log::info!("refusing an ICE restart from {peer}: not supported yet");
            return self.send(error_reply(request, "cancel", "feature-not-implemented"));
        }
        self.send(super::result_for(request));
        match jingle.action {
            Action::SessionAccept => self.on_p2p_answer(jingle),
            Action::TransportInfo => {
                let lines: Vec<String> = jingle
                    .contents
                    .iter()
                    .filter_map(|c| c.transport.as_ref())
                    .flat_map(|t| &t.candidates)
                    .map(|c| format!("candidate:{}", c.to_sdp_value()))
                    .collect();
                let Some(session) = self.p2p.as_mut() else {
                    return;
                };
                if !session.remote_described {
                    let room =
                        MAX_PENDING_CANDIDATES.saturating_sub(session.pending_candidates.len());
                    if lines.len() > room {
                        log::warn!("dropping candidates {peer} trickled before its description");
                    }
                    session
                        .pending_candidates
                        .extend(lines.into_iter().take(room));
                    return;
                }
                let sid = session.sid.clone();
                for candidate in lines {
                    self.media(MediaCommand::AddCandidate {
                        sid: sid.clone(),
                        candidate,
                    });
                }
            }
            Action::SessionTerminate => {
                if let Some(session) = self.p2p.take() {
                    let condition = jingle.reason.as_ref().map(|r| r.condition.as_str());
                    self.p2p_failed =
                        matches!(condition, Some(CONNECTIVITY_ERROR | SECURITY_ERROR));
                    if condition == Some(SECURITY_ERROR) {
                        self.emit(dtls_failed_at_the_peer());
                    }
                    self.close_p2p(session);
                }
            }
            Action::SourceAdd | Action::SourceRemove => self.on_p2p_sources(jingle),
            other => log::debug!("ignoring P2P Jingle {}", other.as_str()),
        }
    }

    fn on_p2p_offer(&mut self, peer: EndpointId, jingle: Jingle) {
        if self.cfg.presence.screen_sharing {
            let terminate = Jingle::terminate(
                jingle.sid,
                Reason::new(
                    "decline",
                    Some("P2P disabled while sharing the screen".into()),
                ),
            );
            return self.send_jingle(&peer, &terminate);
        }
        let current = self.p2p.as_ref().map(|s| s.peer.clone());
        if let Err(decline) =
            p2p::accept_offer(&self.cfg.p2p, &peer, &self.p2p_peers(), current.as_ref())
        {
            let terminate = Jingle::terminate(
                jingle.sid,
                Reason::new(decline.reason, Some(decline.text.to_string())),
            );
            return self.send_jingle(&peer, &terminate);
        }
        if let Some(old) = self.p2p.take() {
            // The same peer restarting: its new offer replaces the old session.
            self.close_p2p(old);
        }
        let prepared = remote_description(&jingle, &peer);
        let (sources, sdp) = match prepared {
            Ok(ok) => ok,
            Err(e) => {
                log::warn!("refusing a P2P offer from {peer}: {e}");
                let terminate = Jingle::terminate(
                    jingle.sid,
                    Reason::new("failed-application", Some(e.to_string())),
                );
                return self.send_jingle(&peer, &terminate);
            }
        };
        let pending = offer_candidates(&jingle);
        self.p2p_failed = false;
        self.p2p = Some(P2pSession {
            sid: jingle.sid.clone(),
            peer,
            initiator: false,
            local_sdp: None,
            remote_described: true,
            pending_candidates: Vec::new(),
            pending_local_candidates: Vec::new(),
            remote_sources: sources.clone(),
            remote_ice: ice_credentials(&sdp),
            interrupted: false,
            connected: false,
        });
        let muted = self.muted();
        self.media(MediaCommand::SuspendP2p(true));
        self.media(MediaCommand::Answer {
            sid: jingle.sid.clone(),
            peer: Peer::P2p,
            offer: sdp.to_string(),
            remote_names: names(&sources),
            muted,
        });
        for candidate in pending {
            self.media(MediaCommand::AddCandidate {
                sid: jingle.sid.clone(),
                candidate,
            });
        }
        self.sync_tracks();
    }

    fn on_p2p_answer(&mut self, jingle: Jingle) {
        let Some(session) = self.p2p.as_ref() else {
            return;
        };
        if !session.initiator || session.remote_described {
            return log::warn!("ignoring an unexpected session-accept");
        }
        let peer = session.peer.clone();
        let prepared = remote_description(&jingle, &peer);
        let (sources, sdp) = match prepared {
            Ok(ok) => ok,
            Err(e) => {
                log::warn!("the P2P answer from {peer} is unusable: {e}");
                return self.fail_p2p(&format!("unusable answer: {e}"));
            }
        };
        let candidates = offer_candidates(&jingle);
        let Some(session) = self.p2p.as_mut() else {
            return;
        };
        session.remote_described = true;
        session.remote_sources = sources.clone();
        session.remote_ice = ice_credentials(&sdp);
        let sid = session.sid.clone();
        let mut queued = std::mem::take(&mut session.pending_candidates);
        queued.extend(candidates);
        self.media(MediaCommand::SetAnswer {
            sid: sid.clone(),
            answer: sdp.to_string(),
            remote_names: names(&sources),
        });
        for candidate in queued {
            self.media(MediaCommand::AddCandidate {
                sid: sid.clone(),
                candidate,
            });
        }
        self.sync_tracks();
    }

    /// Source announcements are reflected in names and track events; the renegotiation they
    /// would need for a new SSRC is not done yet (our own clients never change sources mid-call).
    fn on_p2p_sources(&mut self, jingle: Jingle) {
        let Some(session) = self.p2p.as_ref() else {
            return;
        };
        let peer = session.peer.clone();
        let mut announced = match remote_sources(&jingle.contents, Some(&peer)) {
            Ok(s) => s,
            Err(e) => return log::warn!("dropping a malformed source update from {peer}: {e}"),
        };
        let adding = jingle.action == Action::SourceAdd;
        let Some(session) = self.p2p.as_mut() else {
            return;
        };
        if adding {
            name_unnamed(&mut announced, &session.remote_sources);
        }
        let sid = session.sid.clone();
        if adding {
            announced.retain(|a| {
                !session
                    .remote_sources
                    .iter()
                    .any(|s| s.ssrcs.iter().any(|x| a.ssrcs.contains(x)))
            });
            if session.remote_sources.len() + announced.len() > limits::MAX_PEER_SOURCES {
                return log::warn!(
                    "dropping a source-add from {peer}: more than {} sources from one peer",
                    limits::MAX_PEER_SOURCES
                );
            }
        }
        let mut changed = Vec::new();
        for source in announced {
            if adding {
                session.remote_sources.push(source.clone());
                changed.push(source);
            } else if let Some(i) = session
                .remote_sources
                .iter()
                .position(|s| s.ssrcs.iter().any(|x| source.ssrcs.contains(x)))
            {
                changed.push(session.remote_sources.remove(i));
            }
        }
        if adding && !changed.is_empty() {
            self.media(MediaCommand::NameSources {
                sid,
                names: names(&changed),
            });
        }
        self.sync_tracks();
    }

    pub fn handle_media(&mut self, input: MediaInput, now: Instant) {
        let Some(input) = self.handle_bridge_media(input, now) else {
            return;
        };
        if self.p2p.as_ref().is_none_or(|s| s.sid != input.sid()) {
            return; // a session we already left
        }
        match input {
            MediaInput::LocalDescription { sdp, .. } => self.on_local_description(&sdp),
            MediaInput::LocalCandidate { candidate, .. } => {
                let Some(session) = self.p2p.as_mut() else {
                    return;
                };
                if session.local_sdp.is_none() {
                    session.pending_local_candidates.push(candidate);
                } else {
                    self.trickle(&[candidate]);
                }
            }
            MediaInput::Failed { reason, .. } => self.fail_p2p(&reason),
            MediaInput::HandshakeFailed { .. } => {
                self.emit(dtls_failed("the peer"));
                self.end_failed_p2p(SECURITY_ERROR, "the DTLS handshake failed");
            }
            MediaInput::IceRestarted { .. } => log::warn!("an ICE restart answer for P2P"),
            MediaInput::Connection { interrupted, .. } => {
                let Some(session) = self.p2p.as_mut() else {
                    return;
                };
                let was_suspended = session.suspended();
                session.interrupted = interrupted;
                session.connected |= !interrupted;
                let suspended = session.suspended();
                if suspended != was_suspended {
                    // lib-jitsi-meet stays on P2P until ICE fails (30 s in a browser); with the
                    // bridge session there, media need not wait for that. Without one the
                    // engine sends on P2P whatever this says.
                    if self.jvb.is_some() {
                        log::info!(
                            "the P2P path is {}",
                            if interrupted {
                                "interrupted: media goes through the bridge meanwhile"
                            } else {
                                "up: media moves to it"
                            }
                        );
                    }
                    self.media(MediaCommand::SuspendP2p(suspended));
                }
                self.announce_media_connection();
            }
        }
    }

    fn on_local_description(&mut self, sdp: &str) {
        let parsed = match without_candidates(sdp) {
            Ok(s) => s,
            Err(e) => return self.fail_p2p(&format!("our own SDP does not parse: {e}")),
        };
        let Some(session) = self.p2p.as_ref() else {
            return;
        };
        let initiator = session.initiator;
        let local_sources = self.local_sources();
        let options = AnswerOptions {
            peer: Peer::P2p,
            creator: if initiator {
                Creator::Initiator
            } else {
                Creator::Responder
            },
            local_sources: &local_sources,
        };
        let media = match sdp_to_jingle(&parsed, &options) {
            Ok(m) => m,
            Err(e) => return self.fail_p2p(&format!("our SDP has no Jingle form: {e}")),
        };
        let me = self.occupant().to_string();
        let peer_jid = self
            .cfg
            .room
            .with_resource(session.peer.as_str())
            .to_string();
        let (action, initiator_jid, responder) = if initiator {
            (Action::SessionInitiate, me, None)
        } else {
            (Action::SessionAccept, peer_jid, Some(me))
        };
        let jingle = media.into_jingle(action, &session.sid, Some(initiator_jid), responder);
        let peer = session.peer.clone();
        self.send_jingle(&peer, &jingle);
        let Some(session) = self.p2p.as_mut() else {
            return;
        };
        session.local_sdp = Some(parsed);
        let pending = std::mem::take(&mut session.pending_local_candidates);
        if !pending.is_empty() {
            self.trickle(&pending);
        }
    }

    fn trickle(&mut self, lines: &[String]) {
        let Some(session) = self.p2p.as_ref() else {
            return;
        };
        let Some(local) = &session.local_sdp else {
            return;
        };
        let creator = if session.initiator {
            Creator::Initiator
        } else {
            Creator::Responder
        };
        let Some(info) = bundle_trickle(&session.sid, creator, local, Peer::P2p, lines) else {
            return;
        };
        let peer = session.peer.clone();
        self.send_jingle(&peer, &info);
    }

    /// As lib-jitsi-meet's `_stopP2PSession` after P2P ICE failed: the session ends with
    /// `connectivity-error` and media goes back to the bridge. Only without a bridge session is
    /// that a media failure for the app.
    fn fail_p2p(&mut self, reason: &str) {
        self.end_failed_p2p(CONNECTIVITY_ERROR, reason);
    }

    fn end_failed_p2p(&mut self, condition: &str, reason: &str) {
        log::warn!("P2P media session failed: {reason}");
        if let Some(session) = self.p2p.take() {
            self.p2p_failed = true;
            let terminate = Jingle::terminate(
                session.sid.clone(),
                Reason::new(condition, Some(reason.to_string())),
            );
            self.send_jingle(&session.peer, &terminate);
            self.close_p2p(session);
        }
        if self.jvb.is_none() {
            self.emit(ConferenceEvent::Error {
                error: "media_failed".into(),
                message: format!("the peer-to-peer media session failed: {reason}"),
            });
        }
    }
}

/// Candidates carried inside an offer or answer (lib-jitsi-meet may include the ones it already
/// has), as lines for the engine.
/// The peer's sources (owned by it unless the Jingle says otherwise) and its description as SDP.
fn remote_description(
    jingle: &Jingle,
    peer: &EndpointId,
) -> Result<(Vec<RemoteSource>, Sdp), JingleError> {
    let mut sources = remote_sources(&jingle.contents, Some(peer))?;
    if sources.len() > limits::MAX_PEER_SOURCES {
        return Err(JingleError::TooMany {
            what: "sources from one peer",
            limit: limits::MAX_PEER_SOURCES,
        });
    }
    name_unnamed(&mut sources, &[]);
    let sdp = jingle_to_sdp(
        jingle,
        &OfferOptions {
            peer: Peer::P2p,
            session_id: rand::random::<u32>().into(),
        },
    )?;
    Ok((sources, sdp))
}

/// A remote description's ICE credentials: (ufrag, pwd) of its first m-line, or the session's.
pub(super) type IceCredentials = (String, String);

/// The app's `error` event when ICE connected but DTLS did not, with `whom`.
pub(super) fn dtls_failed(whom: &str) -> ConferenceEvent {
    ConferenceEvent::Error {
        error: "dtls_failed".into(),
        message: format!(
            "{whom} did not complete DTLS with the certificate its offer names (someone in the \
             middle?): no media was sent to it or taken from it"
        ),
    }
}

/// The peer's handshake gave up before ours: its certificate check failed, which is what an
/// attacker on the signalling path causes.
fn dtls_failed_at_the_peer() -> ConferenceEvent {
    ConferenceEvent::Error {
        error: "dtls_failed".into(),
        message: "the peer ended the peer-to-peer session: DTLS with the certificates the offer \
                  and answer name failed on its side (someone in the middle?); no media was \
                  exchanged with it"
            .into(),
    }
}

pub(super) fn ice_credentials(sdp: &Sdp) -> Option<IceCredentials> {
    let first = sdp.media.first();
    let get = |name: &str| {
        first
            .and_then(|m| m.attr(name))
            .or_else(|| sdp.attr(name))
            .map(str::to_string)
    };
    Some((get("ice-ufrag")?, get("ice-pwd")?))
}

/// Whether a `transport-info` carries ICE credentials other than `known`: an in-place ICE
/// restart. Those are not done yet, and adding the new candidates under the old credentials
/// would fail every connectivity check silently, so the caller refuses the request instead.
pub(super) fn restarts_ice(jingle: &Jingle, known: Option<&IceCredentials>) -> bool {
    let Some((ufrag, pwd)) = known else {
        return false;
    };
    jingle
        .contents
        .iter()
        .filter_map(|c| c.transport.as_ref())
        .any(|t| {
            t.ufrag.as_deref().is_some_and(|u| u != ufrag)
                || t.pwd.as_deref().is_some_and(|p| p != pwd)
        })
}

/// Our SDP as Jingle describes it: every candidate is trickled, so the description goes without
/// them (no duplicates).
pub(super) fn without_candidates(sdp: &str) -> Result<Sdp, crate::jingle::SdpError> {
    let mut parsed = Sdp::parse(sdp)?;
    for m in &mut parsed.media {
        m.retain_lines(|l| {
            !matches!(l, SdpLine::Attr { name, .. } if name == "candidate" || name == "end-of-candidates")
        });
    }
    Ok(parsed)
}

/// A `transport-info` trickling our candidate `lines`, on the transport every m-line shares
/// (BUNDLE: the first one's); `None` when there is nothing to send.
pub(super) fn bundle_trickle(
    sid: &str,
    creator: Creator,
    local: &Sdp,
    peer: Peer,
    lines: &[String],
) -> Option<Jingle> {
    let mid = local.media.first().and_then(|m| m.mid())?;
    let content = content_name_for_mid(local, mid, peer)?;
    let candidates = local_candidates(lines);
    if candidates.is_empty() {
        return None;
    }
    Some(transport_info(
        sid, creator, &content, local, mid, candidates,
    ))
}

/// Our engine's candidate lines as Jingle candidates; one that does not translate is skipped.
fn local_candidates(lines: &[String]) -> Vec<Candidate> {
    lines
        .iter()
        .filter_map(|l| match Candidate::from_sdp_value(l) {
            Ok(c) => Some(c),
            Err(e) => {
                log::warn!("not trickling a local candidate: {e}");
                None
            }
        })
        .collect()
}

pub(super) fn offer_candidates(jingle: &Jingle) -> Vec<String> {
    jingle
        .contents
        .iter()
        .filter_map(|c| c.transport.as_ref())
        .flat_map(offer_candidates_of)
        .collect()
}

/// A transport's candidates as the engine takes them (`candidate:...`).
pub(super) fn offer_candidates_of(transport: &IceUdpTransport) -> Vec<String> {
    transport
        .candidates
        .iter()
        .map(|c| format!("candidate:{}", c.to_sdp_value()))
        .collect()
}

pub(super) fn names(sources: &[RemoteSource]) -> Vec<(u32, String)> {
    sources
        .iter()
        .filter_map(|s| Some((s.primary_ssrc()?, s.name.clone()?)))
        .collect()
}

/// Without lib-jitsi-meet's `sourceNameSignaling` flag (the 2021 default) a browser's sources
/// carry no name; they get the one lib-jitsi-meet derives (`getSourceNameForJitsiTrack`:
/// `ENDPOINT-a0`, `-v0`...), the first index of their kind not yet taken by that endpoint.
pub(super) fn name_unnamed(sources: &mut [RemoteSource], known: &[RemoteSource]) {
    let mut taken: Vec<String> = known
        .iter()
        .chain(sources.iter())
        .filter_map(|s| s.name.clone())
        .collect();
    for source in sources.iter_mut().filter(|s| s.name.is_none()) {
        let Some(endpoint) = source.endpoint().cloned() else {
            continue;
        };
        let free = (0..=u8::MAX)
            .map(|i| {
                SourceName::new(&endpoint, source.media, i)
                    .as_str()
                    .to_string()
            })
            .find(|name| !taken.contains(name));
        if let Some(name) = free {
            taken.push(name.clone());
            source.name = Some(name);
        }
    }
}
