//! The focus's Jingle side towards participants on the bridge, as Jicofo does it
//! (`ParticipantInviteRunnable`, `JingleSession`, `Participant.sourcesAdded`): a participant
//! whose disco#info lists Jingle RTP audio or video gets a `session-initiate` with a bridge
//! allocation and everyone else's sources; its `session-accept` gives the bridge its transport
//! and sources and the others a `source-add`; its later `source-add`/`source-remove` are
//! relayed; when it leaves, the bridge endpoint expires and the others get `source-remove`. A
//! participant that answers the offer with an error is dropped from media and stays in the room,
//! as Jicofo tolerates it. Nobody is invited while alone in the room (`min-participants` 2).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_jitsi_core::jingle::{
    encode_jingle, parse_jingle, remote_sources, Action, BridgeSession, Jingle, Media, Reason,
    RemoteSource,
};
use omni_jitsi_core::xml::Element;
use omni_jitsi_core::xmpp::ns;

use super::offer::{self, OwnedSource};
use super::router::{Kind, Signalled, SourceDesc};
use super::transport::{IceCredentials, RemoteParameters};
use super::Bridge;

/// What a participant's disco#info must list for the focus to invite it to media.
pub const JINGLE_AUDIO: &str = "urn:xmpp:jingle:apps:rtp:audio";
pub const JINGLE_VIDEO: &str = "urn:xmpp:jingle:apps:rtp:video";
const ID_PREFIX: &str = "focus-media-";
/// Jicofo's `conference.min-participants` default: nobody gets media while alone in the room;
/// the second to arrive brings invitations for both (`JitsiMeetConferenceImpl.onMemberJoined`).
const MIN_PARTICIPANTS: usize = 2;
/// Jicofo's `restart-request-rate-limits`: a participant's restart requests at least 5 s apart
/// and at most 5 a minute; one beyond them ends the session without a new one.
const RESTART_MIN_INTERVAL: Duration = Duration::from_secs(5);
const RESTART_INTERVAL: Duration = Duration::from_secs(60);
const RESTART_MAX_REQUESTS: usize = 5;

struct Session {
    sid: String,
    occupant: String,
    accepted: bool,
    sources: Vec<SourceDesc>,
    /// Source changes of others that happened while our offer was out, sent once it is
    /// accepted (Jicofo's `Participant` queues them the same way until the session is up).
    queued: Vec<(Action, Vec<OwnedSource>)>,
    /// The last in-place ICE restart's `ice-generation` (0: none yet).
    ice_generation: u32,
}

enum Pending {
    Disco { room: String, nick: String },
    Offer { room: String, nick: String },
    Replace { room: String, nick: String },
    Other,
}

/// Jicofo's `conference.reinvite-method`: how a participant is moved to another bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReinviteMethod {
    /// The default: the session ends ("moving") and a new one starts; the others see its
    /// sources removed and added again.
    #[default]
    RestartJingle,
    /// A `transport-replace` of the same session: sources stay as they are, and the client
    /// answers with `transport-accept`.
    ReplaceTransport,
}

pub struct JingleSessions {
    bridge: Arc<Bridge>,
    /// The focus occupant's full JID: the `from` and `initiator` of every offer.
    from: String,
    component_ns: &'static str,
    rooms: HashMap<String, HashMap<String, Session>>,
    /// Occupants other than the focus, in join order, and whether each was asked for its
    /// features (the first step of an invitation) yet.
    members: HashMap<String, Vec<(String, bool)>>,
    pending: HashMap<String, Pending>,
    /// Each room's colibri session id, the `<bridge-session id>` of its offers (Jicofo's is per
    /// conference and bridge; the testbed has one bridge).
    bridge_sessions: HashMap<String, String>,
    /// When each occupant (room/nick) asked for restarts lately.
    restart_requests: HashMap<String, VecDeque<Instant>>,
    /// The same for in-place ICE restarts: Jicofo keeps them a budget of their own.
    ice_restart_requests: HashMap<String, VecDeque<Instant>>,
    /// Jicofo's `enable-ice-restart` (on by default).
    ice_restart: bool,
    /// Every session restart request counts as beyond Jicofo's rate limit.
    restarts_exhausted: bool,
    reinvite: ReinviteMethod,
    next_id: u64,
}

impl JingleSessions {
    pub fn new(bridge: Arc<Bridge>, from: &str, component_ns: &'static str) -> JingleSessions {
        JingleSessions {
            bridge,
            from: from.to_string(),
            component_ns,
            rooms: HashMap::new(),
            members: HashMap::new(),
            pending: HashMap::new(),
            bridge_sessions: HashMap::new(),
            restart_requests: HashMap::new(),
            ice_restart_requests: HashMap::new(),
            ice_restart: true,
            restarts_exhausted: false,
            reinvite: ReinviteMethod::default(),
            next_id: 0,
        }
    }

    /// Each participant's restart budget spent already (Jicofo's `restart-request-rate-limits`):
    /// a restart request ends the session without a new one.
    pub fn with_restarts_exhausted(mut self) -> JingleSessions {
        self.restarts_exhausted = true;
        self
    }

    pub fn with_reinvite_method(mut self, method: ReinviteMethod) -> JingleSessions {
        self.reinvite = method;
        self
    }

    /// A focus configured with `enable-ice-restart = false`: it refuses in-place ICE restarts,
    /// and clients fall back to asking for a new session.
    pub fn without_ice_restart(mut self) -> JingleSessions {
        self.ice_restart = false;
        self
    }

    pub fn bridge(&self) -> &Arc<Bridge> {
        &self.bridge
    }

    fn iq(&mut self, kind: &str, to: &str, pending: Pending) -> Element {
        self.next_id += 1;
        let id = format!("{ID_PREFIX}{}", self.next_id);
        self.pending.insert(id.clone(), pending);
        Element::new("iq", self.component_ns)
            .attr("type", kind)
            .attr("id", id)
            .attr("from", &self.from)
            .attr("to", to)
    }

    /// A new occupant. Once the room has `MIN_PARTICIPANTS`, everyone not invited yet is asked
    /// what it supports, as Jicofo does before inviting.
    pub fn on_joined(&mut self, room: &str, nick: &str) -> Vec<Element> {
        let members = self.members.entry(room.to_string()).or_default();
        members.push((nick.to_string(), false));
        if members.len() < MIN_PARTICIPANTS {
            return Vec::new();
        }
        let ask: Vec<String> = members
            .iter_mut()
            .filter(|(_, asked)| !*asked)
            .map(|(n, asked)| {
                *asked = true;
                n.clone()
            })
            .collect();
        ask.into_iter()
            .map(|nick| {
                let to = format!("{room}/{nick}");
                let pending = Pending::Disco {
                    room: room.to_string(),
                    nick,
                };
                self.iq("get", &to, pending)
                    .child(Element::new("query", ns::DISCO_INFO))
            })
            .collect()
    }

    pub fn on_left(&mut self, room: &str, nick: &str) -> Vec<Element> {
        if let Some(members) = self.members.get_mut(room) {
            members.retain(|(n, _)| n != nick);
            if members.is_empty() {
                self.members.remove(room);
            }
        }
        self.pending.retain(|_, p| match p {
            Pending::Disco { room: r, nick: n }
            | Pending::Offer { room: r, nick: n }
            | Pending::Replace { room: r, nick: n } => r != room || n != nick,
            Pending::Other => true,
        });
        self.restart_requests.remove(&format!("{room}/{nick}"));
        self.ice_restart_requests.remove(&format!("{room}/{nick}"));
        self.end_media(room, nick)
    }

    /// Ends `nick`'s media session: its bridge endpoint expires and the others get a
    /// `source-remove` for its sources.
    fn end_media(&mut self, room: &str, nick: &str) -> Vec<Element> {
        let Some(session) = self.rooms.get_mut(room).and_then(|r| r.remove(nick)) else {
            return Vec::new();
        };
        self.bridge.expire(&conference_id(room), nick);
        let out = if session.accepted {
            self.relay(room, nick, Action::SourceRemove, &session.sources)
        } else {
            Vec::new()
        };
        if self.rooms.get(room).is_some_and(HashMap::is_empty) {
            self.rooms.remove(room);
            self.bridge_sessions.remove(room);
        }
        out
    }

    /// Jicofo's `onSessionTerminate` with `<bridge-session restart="true">`: a request naming
    /// another bridge session is refused; otherwise the session ends as any other, and within
    /// the rate limit a new one is offered at once on a fresh allocation.
    fn on_restart_request(
        &mut self,
        iq: &Element,
        room: &str,
        nick: &str,
        requested: &BridgeSession,
    ) -> Vec<Element> {
        if requested.id.as_ref() != self.bridge_sessions.get(room) {
            log::info!("focus: {nick} asked to restart a bridge session that is not its own");
            return vec![self.error(iq, "cancel", "item-not-found")];
        }
        let accepted = !self.restarts_exhausted
            && within_rate_limit(
                self.restart_requests
                    .entry(format!("{room}/{nick}"))
                    .or_default(),
                Instant::now(),
            );
        log::info!("focus: {nick} asked for a new bridge session; accepted: {accepted}");
        let mut out = vec![if accepted {
            self.result(iq)
        } else {
            self.error(iq, "wait", "resource-constraint")
        }];
        out.extend(self.end_media(room, nick));
        if accepted {
            out.extend(self.invite(room, nick));
        }
        out
    }

    /// Jicofo's `reInviteParticipants` after the current bridge went away, each participant
    /// under a new bridge session on `bridge`; the old bridge's endpoints expire. With
    /// `RestartJingle` the others get a `source-remove` of its sources, its session ends
    /// (`success`, "moving") and a new one is offered; with `ReplaceTransport` it gets a
    /// `transport-replace` and its sources stay.
    pub fn move_to(&mut self, bridge: Arc<Bridge>) -> Vec<Element> {
        let old = std::mem::replace(&mut self.bridge, bridge);
        self.bridge_sessions.clear();
        let participants: Vec<(String, String)> = self
            .rooms
            .iter()
            .flat_map(|(room, sessions)| {
                sessions
                    .keys()
                    .map(move |nick| (room.clone(), nick.clone()))
            })
            .collect();
        let mut out = Vec::new();
        for (room, nick) in participants {
            log::info!("focus: moving {nick} to bridge {}", self.bridge.id());
            old.expire(&conference_id(&room), &nick);
            if self.reinvite == ReinviteMethod::ReplaceTransport {
                out.extend(self.replace_transport(&room, &nick));
                continue;
            }
            let Some(session) = self.rooms.get_mut(&room).and_then(|r| r.remove(&nick)) else {
                continue;
            };
            if session.accepted {
                out.extend(self.relay(&room, &nick, Action::SourceRemove, &session.sources));
            }
            let terminate = Jingle::terminate(
                session.sid.clone(),
                Reason::new("success", Some("moving".into())),
            );
            out.push(
                self.iq("set", &session.occupant, Pending::Other)
                    .child(encode_jingle(&terminate)),
            );
            out.extend(self.invite(&room, &nick));
        }
        out
    }

    /// `ParticipantInviteRunnable` re-inviting with `ReplaceTransport`: the same session gets
    /// the new bridge's transport and everyone else's sources (`JingleSession.replaceTransport`).
    fn replace_transport(&mut self, room: &str, nick: &str) -> Vec<Element> {
        let transport = match self.bridge.allocate(&conference_id(room), nick) {
            Ok(t) => t,
            Err(e) => {
                log::warn!("focus: no bridge allocation for {nick}: {e}");
                return self.end_media(room, nick);
            }
        };
        let others = self.accepted_sources(room, Some(nick));
        let feedback = self.bridge.feedback_ssrcs();
        let bridge_session = self.bridge_session(room);
        let Some(session) = self.rooms.get_mut(room).and_then(|r| r.get_mut(nick)) else {
            return Vec::new();
        };
        session.ice_generation = 0;
        let mut jingle =
            offer::session_initiate(&session.sid, &self.from, &transport, feedback, &others);
        jingle.action = Action::TransportReplace;
        jingle.bridge_session = Some(bridge_session);
        let occupant = session.occupant.clone();
        let pending = Pending::Replace {
            room: room.to_string(),
            nick: nick.to_string(),
        };
        vec![self.offer_to(&occupant, pending, &jingle)]
    }

    /// An offer (`session-initiate`, `transport-replace`) whose answer is `pending`.
    fn offer_to(&mut self, occupant: &str, pending: Pending, jingle: &Jingle) -> Element {
        self.iq("set", occupant, pending)
            .child(encode_jingle(jingle))
    }

    /// The room's `<bridge-session>` on the current bridge.
    fn bridge_session(&mut self, room: &str) -> BridgeSession {
        let id = self
            .bridge_sessions
            .entry(room.to_string())
            .or_insert_with(|| super::transport::random_token(16))
            .clone();
        BridgeSession {
            id: Some(id),
            region: None,
            ice_restart: false,
            restart: false,
        }
    }

    /// Jicofo's `onIceRestartRequest` (`session-info` with `<bridge-session ice-restart>`):
    /// refused when disabled, for another bridge session or beyond the rate limit; otherwise
    /// acked, and the bridge's new generation goes out in a `transport-info` tagged with its
    /// `ice-generation` (`JingleSession.sendTransportInfo`), the client's media untouched.
    fn on_ice_restart_request(
        &mut self,
        iq: &Element,
        room: &str,
        nick: &str,
        requested: &BridgeSession,
    ) -> Vec<Element> {
        if !self.ice_restart {
            return vec![self.error(iq, "cancel", "feature-not-implemented")];
        }
        if !within_rate_limit(
            self.ice_restart_requests
                .entry(format!("{room}/{nick}"))
                .or_default(),
            Instant::now(),
        ) {
            log::info!("focus: {nick}'s ICE restart request is beyond the rate limit");
            return vec![self.error(iq, "wait", "resource-constraint")];
        }
        if requested.id.as_ref() != self.bridge_sessions.get(room) {
            log::info!("focus: {nick} asked to restart ICE of a bridge session not its own");
            return vec![self.error(iq, "cancel", "item-not-found")];
        }
        let transport = match self.bridge.restart_ice(&conference_id(room), nick) {
            Ok(t) => t,
            Err(e) => {
                log::warn!("focus: the bridge did not restart ICE for {nick}: {e}");
                return vec![self.error(iq, "cancel", "item-not-found")];
            }
        };
        let Some(session) = self.rooms.get_mut(room).and_then(|r| r.get_mut(nick)) else {
            return vec![self.error(iq, "cancel", "item-not-found")];
        };
        session.ice_generation += 1;
        let info = offer::ice_restart_info(&session.sid, &transport, session.ice_generation);
        let to = session.occupant.clone();
        log::info!(
            "focus: ICE restart for {nick}, generation {}",
            session.ice_generation
        );
        vec![
            self.result(iq),
            self.iq("set", &to, Pending::Other)
                .child(encode_jingle(&info)),
        ]
    }

    /// A participant's `transport-info`: the credentials of its new ICE generation after a
    /// restart go to the bridge (Jicofo relays any transport it gets there); trickled
    /// candidates alone change nothing, since the bridge answers whatever checks arrive.
    fn on_transport_info(
        &mut self,
        room: &str,
        nick: &str,
        jingle: &Jingle,
    ) -> Result<(), &'static str> {
        let Some(transport) = jingle
            .contents
            .iter()
            .filter_map(|c| c.transport.as_ref())
            .find(|t| t.ufrag.is_some() && t.pwd.is_some())
        else {
            return Ok(());
        };
        let ice = IceCredentials {
            ufrag: transport.ufrag.clone().ok_or("bad-request")?,
            pwd: transport.pwd.clone().ok_or("bad-request")?,
        };
        self.bridge
            .set_remote_ice(&conference_id(room), nick, ice)
            .map_err(|e| {
                log::warn!("focus: {nick}'s new ICE credentials: {e}");
                "item-not-found"
            })
    }

    /// An IQ result or error: `Some` when it answered one of ours.
    pub fn on_response(&mut self, iq: &Element) -> Option<Vec<Element>> {
        let id = iq.get_attr("id")?;
        if !id.starts_with(ID_PREFIX) {
            return None;
        }
        let pending = self.pending.remove(id)?;
        let ok = iq.get_attr("type") == Some("result");
        Some(match pending {
            Pending::Disco { room, nick } if ok => {
                let features: Vec<&str> = iq
                    .get_child("query", ns::DISCO_INFO)
                    .into_iter()
                    .flat_map(|q| q.children())
                    .filter(|f| f.name() == "feature")
                    .filter_map(|f| f.get_attr("var"))
                    .collect();
                if features
                    .iter()
                    .any(|f| *f == JINGLE_AUDIO || *f == JINGLE_VIDEO)
                {
                    self.invite(&room, &nick)
                } else {
                    Vec::new()
                }
            }
            Pending::Replace { room, nick } if !ok => {
                // Jicofo expires the channels of a participant that does not ack the
                // transport-replace ("no RESULT for transport-replace").
                log::info!("focus: {nick} refused the transport-replace; its media ends");
                self.end_media(&room, &nick)
            }
            Pending::Offer { room, nick } if !ok => {
                log::info!("focus: {nick} refused the media session; it stays without media");
                if let Some(r) = self.rooms.get_mut(&room) {
                    r.remove(&nick);
                }
                self.bridge.expire(&conference_id(&room), &nick);
                Vec::new()
            }
            _ => Vec::new(),
        })
    }

    fn invite(&mut self, room: &str, nick: &str) -> Vec<Element> {
        let transport = match self.bridge.allocate(&conference_id(room), nick) {
            Ok(t) => t,
            Err(e) => {
                log::warn!("focus: no bridge allocation for {nick}: {e}");
                return Vec::new();
            }
        };
        let others = self.accepted_sources(room, Some(nick));
        self.next_id += 1;
        let sid = format!("{}{}", super::transport::random_token(8), self.next_id);
        let mut jingle = offer::session_initiate(
            &sid,
            &self.from,
            &transport,
            self.bridge.feedback_ssrcs(),
            &others,
        );
        jingle.bridge_session = Some(self.bridge_session(room));
        let occupant = format!("{room}/{nick}");
        self.rooms.entry(room.to_string()).or_default().insert(
            nick.to_string(),
            Session {
                sid,
                occupant: occupant.clone(),
                accepted: false,
                sources: Vec::new(),
                queued: Vec::new(),
                ice_generation: 0,
            },
        );
        let pending = Pending::Offer {
            room: room.to_string(),
            nick: nick.to_string(),
        };
        vec![self.offer_to(&occupant, pending, &jingle)]
    }

    fn accepted_sources(&self, room: &str, except: Option<&str>) -> Vec<OwnedSource> {
        let Some(sessions) = self.rooms.get(room) else {
            return Vec::new();
        };
        sessions
            .iter()
            .filter(|(nick, s)| s.accepted && Some(nick.as_str()) != except)
            .flat_map(|(nick, s)| {
                s.sources.iter().map(|source| OwnedSource {
                    owner: nick.clone(),
                    source: source.clone(),
                })
            })
            .collect()
    }

    /// `source-add`/`source-remove` of `nick`'s sources to every other accepted session.
    fn relay(
        &mut self,
        room: &str,
        nick: &str,
        action: Action,
        sources: &[SourceDesc],
    ) -> Vec<Element> {
        if sources.is_empty() {
            return Vec::new();
        }
        let owned: Vec<OwnedSource> = sources
            .iter()
            .map(|s| OwnedSource {
                owner: nick.to_string(),
                source: s.clone(),
            })
            .collect();
        let mut targets: Vec<(String, String)> = Vec::new();
        for (n, s) in self
            .rooms
            .get_mut(room)
            .into_iter()
            .flat_map(|r| r.iter_mut())
        {
            if n.as_str() == nick {
                continue;
            }
            if s.accepted {
                targets.push((s.occupant.clone(), s.sid.clone()));
            } else {
                s.queued.push((action, owned.clone()));
            }
        }
        targets
            .into_iter()
            .map(|(to, sid)| {
                let jingle = offer::source_update(action, &sid, &owned);
                self.iq("set", &to, Pending::Other)
                    .child(encode_jingle(&jingle))
            })
            .collect()
    }

    /// A Jingle IQ set from an occupant; `None` when it is not about a session of ours.
    pub fn on_jingle(&mut self, iq: &Element, jingle: &Element) -> Option<Vec<Element>> {
        let from = iq.get_attr("from")?;
        let (room, nick) = from.split_once('/')?;
        let (room, nick) = (room.to_string(), nick.to_string());
        let session = self.rooms.get(&room)?.get(&nick)?;
        let parsed = match parse_jingle(jingle) {
            Ok(j) if j.sid == session.sid => j,
            Ok(_) => return Some(vec![self.error(iq, "cancel", "item-not-found")]),
            Err(e) => {
                log::warn!("focus: unreadable Jingle from {nick}: {e}");
                return Some(vec![self.error(iq, "modify", "bad-request")]);
            }
        };
        let mut out = vec![self.result(iq)];
        match parsed.action {
            Action::SessionAccept => match self.accept(&room, &nick, &parsed) {
                Ok(more) => out.extend(more),
                Err(condition) => return Some(vec![self.error(iq, "modify", condition)]),
            },
            Action::TransportAccept => match self.accept_transport(&room, &nick, &parsed) {
                Ok(more) => out.extend(more),
                Err(condition) => return Some(vec![self.error(iq, "modify", condition)]),
            },
            Action::SourceAdd | Action::SourceRemove => {
                let Ok(changed) = sources_of(&nick, &parsed) else {
                    return Some(vec![self.error(iq, "modify", "bad-request")]);
                };
                if parsed.action == Action::SourceAdd && self.any_in_use(&room, &changed) {
                    // lib-jitsi-meet 2021 repeats its session-accept's sources in a source-add
                    // right after it; Jicofo refuses SSRCs already in use, even by the same
                    // endpoint (`ValidatingConferenceSourceMap.tryToAdd`), and relays nothing.
                    log::debug!("focus: {nick} added an SSRC already in use");
                    return Some(vec![self.error(iq, "modify", "bad-request")]);
                }
                let Some(session) = self.rooms.get_mut(&room).and_then(|r| r.get_mut(&nick)) else {
                    return Some(out);
                };
                if parsed.action == Action::SourceAdd {
                    session.sources.extend(changed.iter().cloned());
                } else {
                    session
                        .sources
                        .retain(|s| !changed.iter().any(|c| same_source(c, s)));
                }
                let all = session.sources.clone();
                self.bridge.set_sources(&conference_id(&room), &nick, all);
                out.extend(self.relay(&room, &nick, parsed.action, &changed));
            }
            Action::SessionInfo => {
                if let Some(requested) = parsed.bridge_session.as_ref().filter(|b| b.ice_restart) {
                    return Some(self.on_ice_restart_request(iq, &room, &nick, requested));
                }
            }
            Action::TransportInfo => {
                if let Err(condition) = self.on_transport_info(&room, &nick, &parsed) {
                    return Some(vec![self.error(iq, "modify", condition)]);
                }
            }
            Action::SessionTerminate => {
                match parsed.bridge_session.as_ref().filter(|b| b.restart) {
                    Some(requested) => {
                        return Some(self.on_restart_request(iq, &room, &nick, requested))
                    }
                    None => out.extend(self.end_media(&room, &nick)),
                }
            }
            other => log::debug!("focus: ignoring {other} from {nick}"),
        }
        Some(out)
    }

    fn any_in_use(&self, room: &str, added: &[SourceDesc]) -> bool {
        self.rooms
            .get(room)
            .into_iter()
            .flat_map(HashMap::values)
            .flat_map(|s| &s.sources)
            .flat_map(|s| &s.ssrcs)
            .any(|ssrc| added.iter().any(|a| a.ssrcs.contains(ssrc)))
    }

    fn accept(
        &mut self,
        room: &str,
        nick: &str,
        jingle: &Jingle,
    ) -> Result<Vec<Element>, &'static str> {
        let remote = remote_parameters(jingle)?;
        let sources = sources_of(nick, jingle).map_err(|_| "bad-request")?;
        let kept = self.to_bridge(room, nick, remote, sources)?;
        let mut out = Vec::new();
        if let Some(session) = self.rooms.get_mut(room).and_then(|r| r.get_mut(nick)) {
            session.accepted = true;
            session.sources = kept.clone();
            let (to, sid) = (session.occupant.clone(), session.sid.clone());
            for (action, owned) in std::mem::take(&mut session.queued) {
                let jingle = offer::source_update(action, &sid, &owned);
                out.push(
                    self.iq("set", &to, Pending::Other)
                        .child(encode_jingle(&jingle)),
                );
            }
        }
        out.extend(self.relay(room, nick, Action::SourceAdd, &kept));
        Ok(out)
    }

    /// The participant's transport and sources to its bridge endpoint; the sources it keeps.
    fn to_bridge(
        &self,
        room: &str,
        nick: &str,
        remote: RemoteParameters,
        sources: Vec<SourceDesc>,
    ) -> Result<Vec<SourceDesc>, &'static str> {
        self.bridge
            .accept(&conference_id(room), nick, remote, sources)
            .map_err(|e| {
                log::warn!("focus: the bridge refused {nick}'s answer: {e}");
                "not-acceptable"
            })
    }

    /// `transport-accept`, which Jicofo takes as a `session-accept` (`acceptSession`): the
    /// transport goes to the new bridge with the sources the participant already has; sources
    /// named in it again are refused as already in use (`tryToAdd`).
    fn accept_transport(
        &mut self,
        room: &str,
        nick: &str,
        jingle: &Jingle,
    ) -> Result<Vec<Element>, &'static str> {
        let remote = remote_parameters(jingle)?;
        let named = sources_of(nick, jingle).map_err(|_| "bad-request")?;
        if self.any_in_use(room, &named) {
            log::info!("focus: {nick}'s transport-accept names sources already in use");
            return Err("bad-request");
        }
        let session = self
            .rooms
            .get(room)
            .and_then(|r| r.get(nick))
            .ok_or("item-not-found")?;
        let mut sources = session.sources.clone();
        sources.extend(named.iter().cloned());
        let kept = self.to_bridge(room, nick, remote, sources)?;
        if let Some(session) = self.rooms.get_mut(room).and_then(|r| r.get_mut(nick)) {
            session.sources = kept;
        }
        Ok(self.relay(room, nick, Action::SourceAdd, &named))
    }

    fn result(&self, iq: &Element) -> Element {
        Element::new("iq", self.component_ns)
            .attr("type", "result")
            .attr("id", iq.get_attr("id").unwrap_or(""))
            .attr_opt("to", iq.get_attr("from"))
            .attr_opt("from", iq.get_attr("to"))
    }

    fn error(&self, iq: &Element, kind: &str, condition: &str) -> Element {
        self.result(iq).attr("type", "error").child(
            Element::new("error", self.component_ns)
                .attr("type", kind)
                .child(Element::new(condition, ns::STANZAS)),
        )
    }
}

/// The ICE credentials and DTLS fingerprint of a participant's answer.
fn remote_parameters(jingle: &Jingle) -> Result<RemoteParameters, &'static str> {
    let transport = jingle
        .contents
        .iter()
        .filter_map(|c| c.transport.as_ref())
        .find(|t| t.ufrag.is_some())
        .ok_or("bad-request")?;
    let fingerprint = transport
        .fingerprints
        .iter()
        .find(|f| f.hash.eq_ignore_ascii_case("sha-256"))
        .ok_or("bad-request")?;
    Ok(RemoteParameters {
        ice: IceCredentials {
            ufrag: transport.ufrag.clone().ok_or("bad-request")?,
            pwd: transport.pwd.clone().ok_or("bad-request")?,
        },
        fingerprint: fingerprint.value.clone(),
    })
}

/// Jicofo's `RateLimit` over one participant's requests: at least `RESTART_MIN_INTERVAL` apart
/// and at most `RESTART_MAX_REQUESTS` per `RESTART_INTERVAL`; an accepted request is counted.
fn within_rate_limit(requests: &mut VecDeque<Instant>, now: Instant) -> bool {
    requests.retain(|at| now.duration_since(*at) < RESTART_INTERVAL);
    let accepted = requests.len() < RESTART_MAX_REQUESTS
        && requests
            .back()
            .is_none_or(|at| now.duration_since(*at) >= RESTART_MIN_INTERVAL);
    if accepted {
        requests.push_back(now);
    }
    accepted
}

/// A `source-remove` names a source by its name or, from clients without names, its SSRCs (as
/// Jicofo removes them).
fn same_source(removed: &SourceDesc, kept: &SourceDesc) -> bool {
    if removed.signalled.unnamed {
        removed.ssrcs.iter().any(|ssrc| kept.ssrcs.contains(ssrc))
    } else {
        removed.name == kept.name
    }
}

/// The conference id in bridge URLs: the room's node (MUC nodes are already URL-safe).
fn conference_id(room: &str) -> String {
    room.split('@').next().unwrap_or(room).to_string()
}

/// The sources in `jingle` as the bridge keeps them; an unnamed one is named towards the bridge
/// as Jicofo names it (`Source.nameForIdAndMediaType`), and relayed to the others unnamed.
fn sources_of(
    endpoint: &str,
    jingle: &Jingle,
) -> Result<Vec<SourceDesc>, omni_jitsi_core::jingle::JingleError> {
    Ok(remote_sources(&jingle.contents, None)?
        .into_iter()
        .filter_map(|s: RemoteSource| {
            let (kind, letter) = match s.media {
                Media::Audio => (Kind::Audio, 'a'),
                Media::Video => (Kind::Video, 'v'),
                _ => return None,
            };
            Some(SourceDesc {
                signalled: Signalled {
                    unnamed: s.name.is_none(),
                    msid: s.msid,
                    groups: s.groups,
                },
                name: s.name.unwrap_or_else(|| format!("{endpoint}-{letter}0")),
                kind,
                ssrcs: s.ssrcs,
                video_type: s.video_type.map(|v| v.as_str().to_string()),
            })
        })
        .collect())
}
