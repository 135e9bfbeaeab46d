//! In-place ICE restart of the bridge session, as lib-jitsi-meet and Jicofo do it
//! (`JingleSessionPC.restartIce` and `onBridgeIceRestartTransport`, Jicofo's
//! `onIceRestartRequest`): we ask the focus with a `session-info` carrying
//! `<bridge-session id ice-restart="true">`; it acks, and the bridge's new ICE generation comes
//! back in a `transport-info` whose transport has an `ice-generation`. We apply it as a local
//! renegotiation (its credentials in the remote offer, its candidates added after the answer),
//! and our own new credentials go back in a `transport-info` tagged with the same generation.
//! The session, its sources and its DTLS association stay, so nobody's tracks change.
//!
//! When the focus refuses, does not answer, or the new generation does not connect in time, a
//! connection that is still interrupted falls back to a new session (`bridge.rs`), as
//! lib-jitsi-meet's `_restartJvbIceWithFallback` does; one that carries media again needs
//! nothing more.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::media::without_candidates;
use super::{Conference, IqPurpose};
use crate::conference::media_command::MediaCommand;
use crate::jingle::{
    encode_jingle, replace_remote_transport, transport_info, Action, BridgeSession,
    IceUdpTransport, Jingle, Peer,
};
use crate::xml::Element;
use crate::xmpp::stanza::{error_reply, iq, StanzaError};

/// Jicofo relays the bridge's new transport as soon as the bridge answers its colibri2 request.
const TRANSPORT_WAIT: Duration = Duration::from_secs(5);
/// How long the new generation may take to connect. lib-jitsi-meet waits 15 s
/// (`JVB_ICE_RESTART_RECOVERY_TIMEOUT`); the restart exists to beat ICE's own 12 s verdict, and
/// a new session after that takes about a second.
const RECOVERY_WAIT: Duration = Duration::from_secs(6);

/// An in-place ICE restart of the bridge session, from the moment it is wanted until the new
/// generation carries media.
pub(super) struct IceRestart {
    stage: Stage,
    /// When the request goes out (`Waiting`), or when the restart is given up.
    pub due: Instant,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Until Jicofo's rate limit allows the request (sooner than it allows a new session).
    Waiting,
    /// Asked; the bridge's transport is on its way.
    Requested,
    /// Its transport arrived and the media engine is answering it.
    Applying,
    /// Our new credentials went out; the new generation's checks are running.
    Applied,
}

/// Jicofo's limits on restart requests (`restart-request-rate-limits`: at least 5 s apart, at
/// most 5 a minute), for session restarts and in-place ICE restarts each; it terminates a
/// session restart beyond them without starting a new one, so a request waits until they allow
/// it. Each with a second to spare: Jicofo times requests as they arrive, and one sent exactly
/// 5 s after the last may arrive sooner after it than that.
pub(super) const RESTART_MIN_INTERVAL: Duration = Duration::from_secs(6);
pub(super) const RESTART_WINDOW: Duration = Duration::from_secs(61);
pub(super) const RESTARTS_PER_WINDOW: usize = 5;

/// The earliest a request keeps within Jicofo's limits, given when the last ones of its kind
/// went (older ones are forgotten).
pub(super) fn allowed_at(history: &mut VecDeque<Instant>, now: Instant) -> Instant {
    while history
        .front()
        .is_some_and(|at| now.duration_since(*at) >= RESTART_WINDOW)
    {
        history.pop_front();
    }
    let mut at = now;
    if let Some(last) = history.back() {
        at = at.max(*last + RESTART_MIN_INTERVAL);
    }
    if history.len() >= RESTARTS_PER_WINDOW {
        if let Some(oldest) = history.front() {
            at = at.max(*oldest + RESTART_WINDOW);
        }
    }
    at
}

impl Conference {
    /// Restarts ICE of the bridge session in place, one restart at a time and only on a session
    /// we answered. `hinted`: the app said the network changed, so the old path is taken for
    /// dead even before it looks interrupted. When Jicofo would refuse the request now (its rate
    /// limit), a broken connection gets whichever of an ICE restart and a new session its
    /// limits allow first; when it refused one for good, a new session.
    pub(super) fn request_ice_restart(&mut self, reason: &str, now: Instant, hinted: bool) {
        // Jicofo limits ICE restart requests as it limits session restarts
        // (`restart-request-rate-limits`), with a budget of their own.
        let due = allowed_at(&mut self.ice_restarts, now);
        let new_session_due = self.restart_allowed_at(now);
        let refused = self.focus_refuses_ice_restarts;
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        if session.ice_restart.is_some() {
            return;
        }
        let broken = session.interrupted || hinted;
        if session.local_sdp.is_none() || session.bridge_session.is_none() {
            // Nothing to restart in place yet, or nothing to name in the request: only a new
            // session can help, and only one seen broken needs it.
            if session.interrupted {
                self.on_bridge_failed(reason, now);
            }
            return;
        }
        if refused || (due > now && new_session_due < due) {
            if broken {
                self.on_bridge_failed(reason, now);
            }
            return;
        }
        if due > now && !broken {
            return;
        }
        session.ice_restart = Some(IceRestart {
            stage: Stage::Waiting,
            due,
            reason: reason.to_string(),
        });
        self.poll_ice_restart(now);
    }

    /// Sends a request that is due, or gives up on a restart that is overdue.
    pub(super) fn poll_ice_restart(&mut self, now: Instant) {
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        let Some(restart) = session.ice_restart.as_mut().filter(|r| now >= r.due) else {
            return;
        };
        if restart.stage != Stage::Waiting {
            let why = format!(
                "the ICE restart ({}) did not bring the connection back in time ({:?})",
                restart.reason, restart.stage
            );
            return self.ice_restart_failed(&why, now);
        }
        log::info!("restarting ICE with the bridge: {}", restart.reason);
        restart.stage = Stage::Requested;
        restart.due = now + TRANSPORT_WAIT;
        let mut info = Jingle::new(Action::SessionInfo, session.sid.clone());
        info.bridge_session = Some(BridgeSession {
            id: session.bridge_session.clone(),
            region: None,
            ice_restart: true,
            restart: false,
        });
        let (sid, focus) = (session.sid.clone(), session.focus.clone());
        self.ice_restarts.push_back(now);
        let id = self
            .iqs
            .track(IqPurpose::IceRestart { sid }, now, self.cfg.timeouts.iq);
        self.send(iq("set", &id, &focus.to_string()).child(encode_jingle(&info)));
    }

    /// The focus's answer to our request: a refusal (Jicofo's `feature-not-implemented` when
    /// disabled, `resource-constraint` beyond its rate limit, `item-not-found` for a stale
    /// session) ends the attempt; an ack means the transport is on its way.
    pub(super) fn on_ice_restart_answer(
        &mut self,
        sid: &str,
        refused: Option<&StanzaError>,
        now: Instant,
    ) {
        let Some(error) = refused else { return };
        if error.condition == "feature-not-implemented" {
            // Jicofo's `enable-ice-restart = false`: later breaks go straight to a new session.
            self.focus_refuses_ice_restarts = true;
        }
        if self.awaiting_ice_transport(sid) {
            let why = format!("the focus refused the ICE restart ({})", error.condition);
            self.ice_restart_failed(&why, now);
        }
    }

    /// No answer to the request in time: as a refusal.
    pub(super) fn ice_restart_unanswered(&mut self, sid: &str, now: Instant) {
        if self.awaiting_ice_transport(sid) {
            self.ice_restart_failed("the focus did not answer the ICE restart request", now);
        }
    }

    /// Whether bridge session `sid` still waits for the answer to its request (an answer
    /// arriving after the restart was given up, or after the transport came, changes nothing).
    fn awaiting_ice_transport(&self, sid: &str) -> bool {
        self.jvb.as_ref().is_some_and(|s| {
            s.sid == sid
                && s.ice_restart
                    .as_ref()
                    .is_some_and(|r| r.stage == Stage::Requested)
        })
    }

    /// A restart that did not help: a connection still interrupted gets a new session; one
    /// that carries media again is left alone.
    fn ice_restart_failed(&mut self, why: &str, now: Instant) {
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        session.ice_restart = None;
        if session.interrupted {
            self.on_bridge_failed(why, now);
        } else {
            log::info!("{why}; the connection carries media, nothing more to do");
        }
    }

    /// A `transport-info` from the focus with an `ice-generation`: the bridge's new ICE agent.
    /// Acked unless malformed; a generation not newer than the last applied one is a duplicate
    /// or reordered push and changes nothing (`onBridgeIceRestartTransport`).
    pub(super) fn on_bridge_ice_transport(
        &mut self,
        request: &Element,
        transport: IceUdpTransport,
        now: Instant,
    ) {
        let generation = transport.ice_generation.unwrap_or(0);
        if generation == 0 || transport.ufrag.is_none() || transport.pwd.is_none() {
            return self.send(error_reply(request, "modify", "bad-request"));
        }
        self.send(super::result_for(request));
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        if generation <= session.ice_generation {
            return log::info!(
                "ignoring the bridge's ICE generation {generation}: {} is applied",
                session.ice_generation
            );
        }
        session.ice_generation = generation;
        let candidates = super::media::offer_candidates_of(&transport);
        // lib-jitsi-meet strips the candidates from the offer and adds them after the answer:
        // together they would tear down the selected pair before the new one is up.
        let credentials = IceUdpTransport {
            candidates: Vec::new(),
            ..transport
        };
        session.remote_sdp = replace_remote_transport(&session.remote_sdp, &credentials);
        let reason = match session.ice_restart.take() {
            Some(r) => r.reason,
            None => "the focus restarted ICE".to_string(),
        };
        session.ice_restart = Some(IceRestart {
            stage: Stage::Applying,
            due: now + RECOVERY_WAIT,
            reason,
        });
        let sid = session.media_id.clone();
        let offer = session.remote_sdp.to_string();
        log::info!("applying the bridge's ICE generation {generation}");
        self.media(MediaCommand::RestartIce {
            sid: sid.clone(),
            offer,
        });
        for candidate in candidates {
            self.media(MediaCommand::AddCandidate {
                sid: sid.clone(),
                candidate,
            });
        }
    }

    /// Our answer to the bridge's new generation: our new credentials go to the focus, tagged
    /// with the generation they answer, and candidates gathered meanwhile follow.
    pub(super) fn on_ice_restarted(&mut self, sdp: &str) {
        let parsed = match without_candidates(sdp) {
            Ok(s) => s,
            Err(e) => return log::warn!("our own answer to the ICE restart does not parse: {e}"),
        };
        let Some(session) = self.jvb.as_mut() else {
            return;
        };
        let Some(mid) = parsed
            .media
            .first()
            .and_then(|m| m.mid())
            .map(str::to_string)
        else {
            return log::warn!("our answer to the ICE restart has no m-line");
        };
        let Some(content) = crate::jingle::content_name_for_mid(&parsed, &mid, Peer::Bridge) else {
            return;
        };
        let mut info = transport_info(
            &session.sid,
            crate::jingle::Creator::Responder,
            &content,
            &parsed,
            &mid,
            Vec::new(),
        );
        for c in &mut info.contents {
            if let Some(t) = c.transport.as_mut() {
                t.ice_generation = Some(session.ice_generation);
            }
        }
        session.local_sdp = Some(parsed);
        if session.interrupted {
            if let Some(r) = session.ice_restart.as_mut() {
                r.stage = Stage::Applied;
            }
        } else {
            // A connection that never looked interrupted reports nothing when the new
            // generation takes over, so there is nothing to wait for: a break from here on is
            // a new one.
            session.ice_restart = None;
        }
        let focus = session.focus.clone();
        let pending = std::mem::take(&mut session.pending_local_candidates);
        self.send_to_focus(&focus, &info);
        if !pending.is_empty() {
            self.trickle_to_bridge(&pending);
        }
    }

    /// Whether our local candidates wait: while the engine answers a new generation, they
    /// belong to credentials the focus has not heard yet.
    pub(super) fn applying_ice_restart(&self) -> bool {
        self.jvb
            .as_ref()
            .and_then(|s| s.ice_restart.as_ref())
            .is_some_and(|r| r.stage == Stage::Applying)
    }

    /// The bridge connection carries media again: a restart underway (or waiting to be asked
    /// for) is done.
    pub(super) fn ice_restart_connected(&mut self) {
        if let Some(session) = self.jvb.as_mut() {
            if session
                .ice_restart
                .as_ref()
                .is_some_and(|r| matches!(r.stage, Stage::Applied | Stage::Waiting))
            {
                log::info!(
                    "ICE generation {} with the bridge is connected",
                    session.ice_generation
                );
                session.ice_restart = None;
            }
        }
    }

    /// Whether an in-place restart is underway (a failure of the old generation meanwhile is
    /// expected, and left to it).
    pub(super) fn ice_restarting(&self) -> bool {
        self.jvb.as_ref().is_some_and(|s| s.ice_restart.is_some())
    }
}
