//! The bridge (JVB) Jingle session, as lib-jitsi-meet runs it with Jicofo: the focus offers
//! (`session-initiate` with the bridge's transport, the colibri-ws URL and everyone else's
//! sources), we ack, answer with `session-accept` naming our own sources and trickle our
//! candidates; the focus's `source-add`/`source-remove` change the remote description, which is
//! applied again locally without sending anything back; `session-terminate` ends it. The
//! colibri-ws channel opens as soon as the offer arrives (`JitsiConference._setBridgeChannel`).
//!
//! Only the focus may start this session (`JitsiConference.onIncomingCall`: "Only focus can
//! start new sessions").

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::ice_restart::{allowed_at, IceRestart};
use super::media::{
    bundle_trickle, ice_credentials, name_unnamed, names, offer_candidates, restarts_ice,
    without_candidates,
};
use super::{Conference, Output};
use crate::bridge::{BridgeEvent, ReceiverVideoConstraints, ToBridge};
use crate::conference::media_command::{BridgeCommand, MediaCommand, MediaInput};
use crate::error::Error;
use crate::events::{ConferenceEvent, MediaKind};
use crate::jid::{EndpointId, Jid};
use crate::jingle::{
    add_mline_for_local_source, apply_source_update, encode_jingle, jingle_to_sdp,
    local_sources_jingle, parse_jingle, remote_sources, sdp_to_jingle, Action, AnswerOptions,
    BridgeSession, Creator, Jingle, LocalSource, Media, OfferOptions, Peer, Reason, RemoteSource,
    Sdp, VideoType,
};
use crate::xml::Element;
use crate::xmpp::stanza::{error_reply, iq};

/// A remote track as announced to the app: its owner, its kind, whether it is a screen share.
pub(super) type Track = (EndpointId, MediaKind, bool);

/// Jicofo re-invites at once; without a new offer by then, the bridge media is given up.
const RESTART_WAIT: Duration = Duration::from_secs(20);
/// The reason text of Jicofo's `session-terminate` when it re-invites a participant elsewhere.
const MOVING: &str = "moving";

/// A bridge session that ended (its connection failed, or the focus moves us to another
/// bridge) while the focus starts a new one in its place: its remote sources stay announced
/// meanwhile, so the app's tracks do not flicker.
pub(super) struct BridgeRestart {
    sources: Vec<RemoteSource>,
    /// The request, until Jicofo's rate limit lets it go out.
    pending: Option<RestartRequest>,
    /// When the pending request goes out, or, once it went, when a new offer is given up on.
    pub due: Instant,
}

/// What names the failed session in the restart request.
struct RestartRequest {
    focus: Jid,
    sid: String,
    bridge_session: String,
    reason: String,
}

pub(super) struct JvbSession {
    pub sid: String,
    /// The media engine's name for the session's PeerConnection: the sid, until a
    /// `transport-replace` moves the session onto a new one.
    pub(super) media_id: String,
    /// How our answer goes back: `session-accept`, or `transport-accept` after a
    /// `transport-replace`.
    accept_with: Action,
    /// Who offered: the focus occupant, to which every request of the session goes.
    pub(super) focus: Jid,
    /// Jicofo's id for our bridge allocation (`<bridge-session id>`), named again when we ask
    /// for a restart.
    pub(super) bridge_session: Option<String>,
    pub(super) remote_sdp: Sdp,
    pub remote_sources: Vec<RemoteSource>,
    pub(super) local_sdp: Option<Sdp>,
    pub(super) pending_local_candidates: Vec<String>,
    /// Whether the remote description has the m-line our screen share goes out on.
    screen_mline: bool,
    /// The connection stopped hearing from the bridge (a new session after a restart counts as
    /// interrupted until it connects).
    pub(super) interrupted: bool,
    /// An in-place ICE restart underway.
    pub(super) ice_restart: Option<IceRestart>,
    /// The bridge's last ICE generation applied (0: the offer's).
    pub(super) ice_generation: u32,
}

impl Conference {
    pub(super) fn is_focus(&self, from: Option<&Jid>) -> bool {
        from.is_some_and(|f| self.focus_occupant().ok().as_ref() == Some(f))
    }

    pub(super) fn handle_bridge_jingle(
        &mut self,
        request: &Element,
        el: &Element,
        focus: Jid,
        now: Instant,
    ) {
        let jingle = match parse_jingle(el) {
            Ok(j) => j,
            Err(e) => {
                log::warn!("dropping a malformed Jingle request from the focus: {e}");
                return self.send(error_reply(request, "modify", "bad-request"));
            }
        };
        if jingle.action == Action::SessionInitiate {
            return self.on_bridge_offer(request, focus, jingle);
        }
        if self.jvb.as_ref().is_none_or(|s| s.sid != jingle.sid) {
            return self.send(error_reply(request, "cancel", "item-not-found"));
        }
        if let Some(transport) = ice_generation_transport(&jingle) {
            return self.on_bridge_ice_transport(request, transport, now);
        }
        match jingle.action {
            Action::SourceAdd | Action::SourceRemove => {
                self.send(super::result_for(request));
                self.on_bridge_sources(&jingle);
            }
            Action::SessionTerminate => {
                self.send(super::result_for(request));
                // The next session is a new PeerConnection, where a browser sends under new
                // SSRCs: receivers' SRTP replay windows would drop a new RTP sequence under the
                // old ones.
                self.renew_local_identity();
                let moving = jingle
                    .reason
                    .as_ref()
                    .is_some_and(|r| r.text.as_deref() == Some(MOVING));
                if let Some(session) = self.jvb.take() {
                    if moving {
                        self.await_moved_session(session, now);
                    } else {
                        self.close_jvb(session);
                    }
                }
            }
            Action::TransportInfo
                if self.jvb.as_ref().is_some_and(|s| {
                    restarts_ice(&jingle, ice_credentials(&s.remote_sdp).as_ref())
                }) =>
            {
                log::info!("refusing the bridge's ICE restart: not supported yet");
                self.send(error_reply(request, "cancel", "feature-not-implemented"));
            }
            Action::TransportInfo => {
                self.send(super::result_for(request));
                let Some(sid) = self.jvb.as_ref().map(|s| s.media_id.clone()) else {
                    return;
                };
                for candidate in offer_candidates(&jingle) {
                    self.media(MediaCommand::AddCandidate {
                        sid: sid.clone(),
                        candidate,
                    });
                }
            }
            Action::TransportReplace => self.on_bridge_offer(request, focus, jingle),
            // New credentials without an ICE generation (above) are no restart Jicofo sends:
            // saying so lets it fall back to a new session-initiate.
            other => {
                log::info!("bridge Jingle {} is not supported yet", other.as_str());
                self.send(error_reply(request, "cancel", "feature-not-implemented"));
            }
        }
    }

    /// A `session-initiate`, or a `transport-replace` of the current session: Jicofo moving us
    /// to another bridge with `reinvite-method = ReplaceTransport`. That one keeps the session
    /// and our sources as the others know them, so nobody's tracks change and our SSRCs stay;
    /// but the new bridge is a new DTLS association, which a PeerConnection makes once, so media
    /// moves to a new PeerConnection, and the answer goes back as `transport-accept` with our
    /// transport only, as lib-jitsi-meet sent it (Jicofo has our sources, and would refuse them
    /// named again as already in use).
    fn on_bridge_offer(&mut self, request: &Element, focus: Jid, jingle: Jingle) {
        let prepared = remote_sources(&jingle.contents, None).and_then(|mut sources| {
            name_unnamed(&mut sources, &[]);
            let sdp = jingle_to_sdp(
                &jingle,
                &OfferOptions {
                    peer: Peer::Bridge,
                    session_id: rand::random::<u32>().into(),
                },
            )?;
            Ok((sources, sdp))
        });
        let (sources, sdp) = match prepared {
            Ok(ok) => ok,
            Err(e) => {
                log::warn!("refusing the focus's {}: {e}", jingle.action);
                return self.send(error_reply(request, "modify", "bad-request"));
            }
        };
        self.send(super::result_for(request));
        let replace = jingle.action == Action::TransportReplace;
        if replace {
            log::info!("the focus moves our bridge session to another bridge");
            // The new PeerConnection has no m-line for it, and Jicofo still has its source.
            self.stop_screen_share();
        }
        let restarting = self.bridge_restart.take().is_some();
        let mut media_id = jingle.sid.clone();
        if let Some(old) = self.jvb.take() {
            if replace {
                self.transport_replaces += 1;
                media_id = format!("{}~{}", jingle.sid, self.transport_replaces);
            }
            // Jicofo re-inviting (after a bridge failure): the new offer replaces the session,
            // and a screen share has no m-line in it. The tracks are the new offer's to tell.
            self.drop_jvb_media(old);
            self.end_screen_share();
        }
        let web_socket = jingle.web_socket_url().map(str::to_string);
        self.jvb = Some(JvbSession {
            sid: jingle.sid.clone(),
            media_id: media_id.clone(),
            accept_with: if replace {
                Action::TransportAccept
            } else {
                Action::SessionAccept
            },
            focus,
            bridge_session: jingle.bridge_session.as_ref().and_then(|b| b.id.clone()),
            remote_sdp: sdp.clone(),
            remote_sources: sources.clone(),
            local_sdp: None,
            pending_local_candidates: Vec::new(),
            screen_mline: false,
            interrupted: restarting || replace,
            ice_restart: None,
            ice_generation: 0,
        });
        let muted = self.muted();
        self.media(MediaCommand::Answer {
            sid: media_id.clone(),
            peer: Peer::Bridge,
            offer: sdp.to_string(),
            remote_names: names(&sources),
            muted,
        });
        for candidate in offer_candidates(&jingle) {
            self.media(MediaCommand::AddCandidate {
                sid: media_id.clone(),
                candidate,
            });
        }
        match web_socket {
            Some(url) => {
                self.bridge(BridgeCommand::Constraints(
                    self.receiver_constraints.clone(),
                ));
                self.bridge(BridgeCommand::Alone(self.roster.is_empty()));
                self.bridge(BridgeCommand::Open { url });
            }
            None => log::info!("the bridge offers no colibri-ws channel"),
        }
        self.sync_tracks();
    }

    fn on_bridge_sources(&mut self, jingle: &Jingle) {
        let Some(session) = self.jvb.as_ref() else {
            return;
        };
        let update = match apply_source_update(
            &session.remote_sources,
            jingle,
            &session.remote_sdp,
            Peer::Bridge,
            None,
        ) {
            Ok(u) => u,
            Err(e) => return log::warn!("dropping a malformed source update from the focus: {e}"),
        };
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        let mut added = update.added;
        name_unnamed(&mut added, &session.remote_sources);
        let mut sources = update.sources;
        for source in &mut sources {
            if let Some(named) = added.iter().find(|a| a.ssrcs == source.ssrcs) {
                source.name.clone_from(&named.name);
            }
        }
        session.remote_sources = sources;
        let sid = session.media_id.clone();
        log::debug!(
            "bridge {}: {} added, {} removed; remote description now: {}",
            jingle.action.as_str(),
            added.len(),
            update.removed.len(),
            update.sdp.outline()
        );
        let changed = !added.is_empty() || !update.removed.is_empty();
        let offer = changed.then(|| update.sdp.to_string());
        session.remote_sdp = update.sdp;
        if let Some(offer) = offer {
            self.media(MediaCommand::Renegotiate {
                sid,
                offer,
                remote_names: names(&added),
            });
        }
        self.sync_tracks();
    }

    /// Jicofo moving us to another bridge (`reInviteParticipants` with its default
    /// `RestartJingle`: `session-terminate` "moving", then a new `session-initiate`): the
    /// tracks stay announced until the new session carries them, as through a restart.
    fn await_moved_session(&mut self, session: JvbSession, now: Instant) {
        log::info!("the focus moves us to another bridge");
        self.bridge_restart = Some(BridgeRestart {
            sources: session.remote_sources.clone(),
            pending: None,
            due: now + RESTART_WAIT,
        });
        self.close_jvb(session);
        self.end_screen_share();
    }

    fn close_jvb(&mut self, session: JvbSession) {
        self.drop_jvb_media(session);
        self.sync_tracks();
    }

    /// Closes the session's PeerConnection and channel, leaving its tracks to whoever knows
    /// what comes next.
    pub(super) fn drop_jvb_media(&mut self, session: JvbSession) {
        self.media(MediaCommand::Close {
            sid: session.media_id,
        });
        self.bridge(BridgeCommand::Close);
        self.bridge_open = false;
    }

    /// Our screen share goes out through the bridge: lib-jitsi-meet's way of adding a local
    /// source there (an m-line for it in the remote description, a local renegotiation, then
    /// `source-add` to the focus). P2P carries camera and microphone only, so it stops while we
    /// share, and media moves to the bridge.
    pub(super) fn start_screen_share(&mut self) -> Result<(), Error> {
        if self.cfg.presence.screen_sharing {
            return Ok(());
        }
        if self.cfg.presence.audio_only {
            return Err(Error::InvalidArgument(
                "there is no screen sharing in an audio-only meeting".into(),
            ));
        }
        let Some(session) = self.jvb.as_mut().filter(|s| s.local_sdp.is_some()) else {
            return Err(Error::Refused(
                "screen sharing goes through the bridge, and the focus has not set up a bridge \
                 session (yet)"
                    .into(),
            ));
        };
        let offer = if session.screen_mline {
            None
        } else {
            let mut sdp = session.remote_sdp.clone();
            add_mline_for_local_source(&mut sdp, Media::Video).map_err(|e| {
                Error::Refused(format!("the bridge session cannot carry a screen: {e}"))
            })?;
            session.remote_sdp = sdp.clone();
            session.screen_mline = true;
            Some(sdp.to_string())
        };
        let (sid, media_id, focus) = (
            session.sid.clone(),
            session.media_id.clone(),
            session.focus.clone(),
        );
        self.cfg.presence.screen_sharing = true;
        self.apply_p2p_decision(crate::conference::p2p::P2pDecision::Stop);
        self.media(MediaCommand::StartScreen {
            sid: media_id,
            offer,
        });
        let add = local_sources_jingle(Action::SourceAdd, &sid, &[self.screen_source()]);
        self.send_to_focus(&focus, &add);
        self.send_presence();
        self.emit(ConferenceEvent::ScreenShareToggled {
            endpoint_id: self.cfg.presence.endpoint_id.clone(),
            on: true,
        });
        Ok(())
    }

    pub(super) fn stop_screen_share(&mut self) {
        if !self.cfg.presence.screen_sharing {
            return;
        }
        if let Some(session) = self.jvb.as_ref() {
            let (sid, focus) = (session.sid.clone(), session.focus.clone());
            self.media(MediaCommand::StopScreen {
                sid: session.media_id.clone(),
            });
            let remove = local_sources_jingle(Action::SourceRemove, &sid, &[self.screen_source()]);
            self.send_to_focus(&focus, &remove);
        }
        self.end_screen_share();
        self.update_p2p(false);
    }

    /// The screen share is over, whether we stopped it or lost its session.
    /// A rejoin drops the bridge session our screen went out on: the share ends, and the app is
    /// told, but the presence saying so goes with the rejoin's join.
    pub(super) fn end_screen_share_quietly(&mut self) {
        if std::mem::take(&mut self.cfg.presence.screen_sharing) {
            self.emit(ConferenceEvent::ScreenShareToggled {
                endpoint_id: self.cfg.presence.endpoint_id.clone(),
                on: false,
            });
        }
    }

    fn end_screen_share(&mut self) {
        if !std::mem::take(&mut self.cfg.presence.screen_sharing) {
            return;
        }
        self.send_presence();
        self.emit(ConferenceEvent::ScreenShareToggled {
            endpoint_id: self.cfg.presence.endpoint_id.clone(),
            on: false,
        });
    }

    fn screen_source(&self) -> LocalSource {
        let me = &self.cfg.presence.endpoint_id;
        LocalSource::screen(
            me,
            self.cfg.local_ssrcs.screen,
            None,
            format!("{me}-stream {me}-v1{}", self.track_suffix()),
        )
    }

    /// What the bridge session produced, when `sid` is that session.
    pub(super) fn handle_bridge_media(
        &mut self,
        input: MediaInput,
        now: Instant,
    ) -> Option<MediaInput> {
        if self.jvb.as_ref().is_none_or(|s| s.media_id != input.sid()) {
            return Some(input);
        }
        match input {
            MediaInput::LocalDescription { sdp, .. } => self.on_bridge_answer(&sdp),
            MediaInput::LocalCandidate { candidate, .. } => {
                let applying = self.applying_ice_restart();
                let session = self.jvb.as_mut()?;
                if session.local_sdp.is_none() || applying {
                    session.pending_local_candidates.push(candidate);
                } else {
                    self.trickle_to_bridge(&[candidate]);
                }
            }
            MediaInput::IceRestarted { sdp, .. } => self.on_ice_restarted(&sdp),
            MediaInput::HandshakeFailed { .. } => {
                self.emit(super::media::dtls_failed("the bridge"));
                // An ICE restart keeps the DTLS association: only a new session can help.
                self.on_bridge_failed("the DTLS handshake failed", now);
            }
            MediaInput::Failed { reason, .. } => {
                if let Some(session) = self.jvb.as_mut() {
                    session.interrupted = true;
                }
                if self.ice_restarting() {
                    // The old generation giving up while the new one is on its way.
                    log::info!("the bridge connection failed during an ICE restart: {reason}");
                } else {
                    self.request_ice_restart(&reason, now, false);
                }
                self.announce_media_connection();
            }
            MediaInput::Connection { interrupted, .. } => {
                if let Some(session) = self.jvb.as_mut() {
                    session.interrupted = interrupted;
                }
                if interrupted {
                    // Nothing heard for 5 s: restarting in place costs a request and keeps the
                    // old pair if it comes back, where waiting for ICE to fail costs 7 s more
                    // (lib-jitsi-meet waits for failed, which browsers reach after 30 s).
                    self.request_ice_restart("no packet from the bridge for 5 s", now, false);
                } else {
                    self.ice_restart_connected();
                }
                self.announce_media_connection();
            }
        }
        None
    }

    /// The app says the network changed: ICE with the bridge restarts at once, gathering on the
    /// network the phone is on now, rather than when the old path is found dead; P2P, when it
    /// is not running, is tried again.
    pub(super) fn network_changed(&mut self, now: Instant) {
        self.request_ice_restart("the network changed", now, true);
        // A P2P session that failed on the old network may work on the new one, where
        // lib-jitsi-meet would only try again once the room changes.
        self.retry_p2p_on_new_network();
    }

    /// Tells the app when the connection carrying media (P2P while there is one and it is not
    /// interrupted, else the bridge's, or its restart) is interrupted or hears the other side
    /// again.
    pub(super) fn announce_media_connection(&mut self) {
        let interrupted = match (&self.p2p, &self.jvb) {
            (Some(p2p), Some(jvb)) => p2p.interrupted && jvb.interrupted,
            (Some(p2p), None) => p2p.interrupted,
            (None, Some(jvb)) => jvb.interrupted,
            (None, None) if self.bridge_restart.is_some() => true,
            (None, None) => return,
        };
        if interrupted != self.media_interrupted {
            self.media_interrupted = interrupted;
            self.emit(ConferenceEvent::MediaConnectionChanged { interrupted });
        }
    }

    /// The bridge connection is broken and an in-place ICE restart cannot help (or was not
    /// possible): as lib-jitsi-meet does with a Jicofo that supports it (`IceFailedHandling`,
    /// "terminate-restart"), we end the session asking for a new one, which Jicofo offers at
    /// once on a fresh allocation (`terminateSession` with `reinvite`). Jicofo ends a request
    /// beyond its rate limit without a new session, so such a request waits until the limit
    /// allows it: the failed session carries nothing meanwhile. Without a bridge session id to
    /// name, the session just ends and the app is told that bridge media failed.
    pub(super) fn on_bridge_failed(&mut self, reason: &str, now: Instant) {
        log::warn!("bridge media session failed: {reason}");
        let Some(session) = self.jvb.take() else {
            return;
        };
        let Some(bridge_session) = session.bridge_session.clone() else {
            let terminate = Jingle::terminate(
                session.sid.clone(),
                Reason::new("connectivity-error", Some(reason.to_string())),
            );
            self.send_to_focus(&session.focus, &terminate);
            self.close_jvb(session);
            self.end_screen_share();
            return self.emit(ConferenceEvent::Error {
                error: "media_failed".into(),
                message: format!("the bridge media session failed: {reason}"),
            });
        };
        self.bridge_restart = Some(BridgeRestart {
            sources: session.remote_sources.clone(),
            pending: Some(RestartRequest {
                focus: session.focus.clone(),
                sid: session.sid.clone(),
                bridge_session,
                reason: reason.to_string(),
            }),
            due: self.restart_allowed_at(now),
        });
        self.close_jvb(session);
        // The new session has no m-line for a screen share; lib-jitsi-meet's desktop track
        // would be added back to it, ours ends here and the app is told.
        self.end_screen_share();
        self.poll_bridge_restart(now);
    }

    /// The earliest a restart request stays within Jicofo's limits (5 s after the last one, and
    /// no more than 5 in a minute).
    pub(super) fn restart_allowed_at(&mut self, now: Instant) -> Instant {
        allowed_at(&mut self.bridge_restarts, now)
    }

    /// Sends a restart request that is due; gives up on a new offer that is overdue: its tracks
    /// are gone, and the app is told.
    pub(super) fn poll_bridge_restart(&mut self, now: Instant) {
        let Some(restart) = self.bridge_restart.as_mut().filter(|r| now >= r.due) else {
            return;
        };
        let Some(request) = restart.pending.take() else {
            self.bridge_restart = None;
            let why = format!(
                "the focus started no new bridge session within {RESTART_WAIT:?} of the old \
                 one's end"
            );
            if self.rejoin_for_media(&why, now) {
                return;
            }
            self.sync_tracks();
            return self.emit(ConferenceEvent::Error {
                error: "media_failed".into(),
                message: why,
            });
        };
        restart.due = now + RESTART_WAIT;
        let mut terminate = Jingle::terminate(
            request.sid,
            Reason::new("connectivity-error", Some(request.reason)),
        );
        terminate.bridge_session = Some(BridgeSession {
            id: Some(request.bridge_session),
            region: None,
            ice_restart: false,
            restart: true,
        });
        let id = self
            .iqs
            .track(super::IqPurpose::BridgeRestart, now, self.cfg.timeouts.iq);
        self.send(iq("set", &id, &request.focus.to_string()).child(encode_jingle(&terminate)));
        log::info!("asked the focus for a new bridge session");
        self.bridge_restarts.push_back(now);
        self.renew_local_identity();
    }

    fn on_bridge_answer(&mut self, sdp: &str) {
        let parsed = match without_candidates(sdp) {
            Ok(s) => s,
            Err(e) => {
                return log::warn!("our own bridge answer does not parse: {e}");
            }
        };
        let local_sources = self.local_sources();
        let options = AnswerOptions {
            peer: Peer::Bridge,
            creator: Creator::Responder,
            local_sources: &local_sources,
        };
        let media = match sdp_to_jingle(&parsed, &options) {
            Ok(m) => m,
            Err(e) => return log::warn!("our bridge answer has no Jingle form: {e}"),
        };
        let me = self.occupant().to_string();
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        let focus = session.focus.clone();
        let mut accept = media.into_jingle(
            session.accept_with,
            &session.sid,
            Some(focus.to_string()),
            Some(me),
        );
        if accept.action == Action::TransportAccept {
            accept.groups.clear();
            for content in &mut accept.contents {
                content.description = None;
            }
        }
        session.local_sdp = Some(parsed);
        let pending = std::mem::take(&mut session.pending_local_candidates);
        self.send_to_focus(&focus, &accept);
        if !pending.is_empty() {
            self.trickle_to_bridge(&pending);
        }
    }

    pub(super) fn trickle_to_bridge(&mut self, lines: &[String]) {
        let Some(session) = self.jvb.as_ref() else {
            return;
        };
        let Some(local) = &session.local_sdp else {
            return;
        };
        let Some(info) =
            bundle_trickle(&session.sid, Creator::Responder, local, Peer::Bridge, lines)
        else {
            return;
        };
        let focus = session.focus.clone();
        self.send_to_focus(&focus, &info);
    }

    /// The focus refused our restart request. Jicofo has ended the session anyway (beyond its
    /// rate limit) or does not know it (`item-not-found`): no new offer is coming, so we join the
    /// room again (or, right after doing so, the tracks go and the app is told) now rather than
    /// when the wait runs out.
    pub(super) fn bridge_restart_refused(&mut self, condition: &str, now: Instant) {
        if self
            .bridge_restart
            .as_ref()
            .is_none_or(|r| r.pending.is_some())
        {
            return;
        }
        self.bridge_restart = None;
        let why = format!("the focus refused a new bridge session ({condition})");
        if self.rejoin_for_media(&why, now) {
            return;
        }
        self.sync_tracks();
        self.emit(ConferenceEvent::Error {
            error: "media_failed".into(),
            message: format!(
                "{why}; media through the bridge stops until the room is joined again"
            ),
        });
    }

    pub(super) fn send_to_focus(&mut self, focus: &Jid, jingle: &Jingle) {
        let id = self.iqs.track(
            super::IqPurpose::Jingle,
            std::time::Instant::now(),
            self.cfg.timeouts.iq,
        );
        self.send(iq("set", &id, &focus.to_string()).child(encode_jingle(jingle)));
    }

    /// Remote tracks as the app sees them: a source is there while any session (P2P or bridge)
    /// carries it, so moving between the two does not flicker tracks away and back. Also tells
    /// the app when media moves between P2P and the bridge.
    pub(super) fn sync_tracks(&mut self) {
        self.announce_media_connection();
        if self.p2p.is_some() != self.p2p_announced {
            self.p2p_announced = self.p2p.is_some();
            self.emit(ConferenceEvent::P2pStatusChanged {
                active: self.p2p_announced,
            });
        }
        let mut now: BTreeMap<String, Track> = BTreeMap::new();
        let p2p = self.p2p.iter().flat_map(|s| s.remote_sources.iter());
        let jvb = self.jvb.iter().flat_map(|s| s.remote_sources.iter());
        let restarting = self.bridge_restart.iter().flat_map(|r| r.sources.iter());
        for source in p2p.chain(jvb).chain(restarting) {
            let (Some(endpoint), Some(name)) = (source.endpoint(), source.name.as_ref()) else {
                continue;
            };
            let kind = match source.media {
                Media::Audio => MediaKind::Audio,
                Media::Video => MediaKind::Video,
                _ => continue,
            };
            let desktop = source.video_type == Some(VideoType::Desktop);
            now.entry(name.clone())
                .or_insert_with(|| (endpoint.clone(), kind, desktop));
        }
        let before = std::mem::take(&mut self.tracks);
        let gone = before.iter().filter(|(name, _)| !now.contains_key(*name));
        let came = now.iter().filter(|(name, _)| !before.contains_key(*name));
        let changes: Vec<(bool, String, Track)> = gone
            .map(|(n, t)| (false, n.clone(), t.clone()))
            .chain(came.map(|(n, t)| (true, n.clone(), t.clone())))
            .collect();
        for (added, source_name, (endpoint_id, kind, desktop)) in changes {
            self.emit(if added {
                ConferenceEvent::RemoteTrackAdded {
                    endpoint_id: endpoint_id.clone(),
                    source_name,
                    kind,
                }
            } else {
                ConferenceEvent::RemoteTrackRemoved {
                    endpoint_id: endpoint_id.clone(),
                    source_name,
                    kind,
                }
            });
            if desktop {
                self.emit(ConferenceEvent::ScreenShareToggled {
                    endpoint_id,
                    on: added,
                });
            }
        }
        self.tracks = now;
    }

    pub(super) fn bridge(&mut self, command: BridgeCommand) {
        self.out.push_back(Output::Bridge(command));
    }

    /// Tells the bridge channel whether we are alone, when there is a channel.
    pub(super) fn update_bridge_alone(&mut self) {
        if self.jvb.is_some() {
            let alone = self.roster.is_empty();
            self.bridge(BridgeCommand::Alone(alone));
        }
    }

    pub(super) fn set_receiver_constraints(&mut self, constraints: ReceiverVideoConstraints) {
        self.receiver_constraints = constraints.clone();
        self.bridge(BridgeCommand::Constraints(constraints));
    }

    pub(super) fn send_endpoint_message(
        &mut self,
        reply: super::ReplyId,
        to: Option<EndpointId>,
        json: &str,
    ) -> Result<(), Error> {
        if json.len() > crate::muc::chat::MAX_CHAT_BYTES {
            return Err(Error::InvalidArgument(format!(
                "the message is longer than {} bytes",
                crate::muc::chat::MAX_CHAT_BYTES
            )));
        }
        let payload: serde_json::Value = serde_json::from_str(json)
            .map_err(|e| Error::InvalidArgument(format!("the message is not JSON: {e}")))?;
        if let Some(who) = &to {
            self.require_participant(who)?;
        }
        if !self.bridge_open {
            return Err(Error::Refused("the bridge channel is not open".into()));
        }
        let message = ToBridge::EndpointMessage {
            to: to.map(|t| t.as_str().to_string()).unwrap_or_default(),
            payload,
        };
        self.bridge(BridgeCommand::Send { message, reply });
        Ok(())
    }

    /// What the colibri-ws channel reported.
    pub fn handle_bridge_event(&mut self, event: BridgeEvent) {
        if self.is_ended() {
            return;
        }
        match event {
            BridgeEvent::Opened => self.bridge_open = true,
            BridgeEvent::Closed { code, reason } => {
                self.bridge_open = false;
                log::info!("bridge channel closed ({code:?}): {reason}");
            }
            BridgeEvent::DominantSpeakerChanged { endpoint, .. } => {
                self.emit(ConferenceEvent::DominantSpeakerChanged {
                    endpoint_id: EndpointId::new(&endpoint),
                });
            }
            BridgeEvent::ForwardedSourcesChanged(sources) => {
                self.emit(ConferenceEvent::ForwardedSourcesChanged { sources });
            }
            BridgeEvent::EndpointMessageReceived { from, payload } => {
                let Some(from) = from.map(|f| EndpointId::new(&f)) else {
                    return;
                };
                self.emit(ConferenceEvent::EndpointMessageReceived {
                    from,
                    json: payload.to_string(),
                });
            }
            BridgeEvent::SenderConstraintChanged {
                source_name,
                max_height,
            } => {
                let me = &self.cfg.presence.endpoint_id;
                let screen = if source_name == format!("{me}-v0") {
                    false
                } else if source_name == format!("{me}-v1") {
                    true
                } else {
                    return;
                };
                self.media(MediaCommand::LimitVideo { screen, max_height });
            }
            BridgeEvent::EndpointConnectivityChanged { .. }
            | BridgeEvent::SourcesRemapped { .. } => {}
        }
    }
}

/// The transport of a `transport-info` that carries the bridge's new ICE generation.
fn ice_generation_transport(jingle: &Jingle) -> Option<crate::jingle::IceUdpTransport> {
    if jingle.action != Action::TransportInfo {
        return None;
    }
    jingle
        .contents
        .iter()
        .filter_map(|c| c.transport.as_ref())
        .find(|t| t.ice_generation.is_some())
        .cloned()
}
