//! The focus, as Jicofo behaves towards a client, as a plain state machine: stanzas in, stanzas
//! out. It answers the conference request (after joining the room itself, so `ready` means the
//! room exists with the focus in it), hands ownership to the first participant and to the next one
//! when the owner leaves (Jicofo's AutoOwnerRoleManager), relays moderators' mute requests
//! (`focus::mute`), and leaves a room once it is alone.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use omni_jitsi_core::xml::Element;
use omni_jitsi_core::xmpp::ns;

pub use crate::bridge::signalling::ReinviteMethod;

/// Stanzas on a XEP-0114 stream are in the component namespace; Prosody rewrites them for clients.
pub const COMPONENT_NS: &str = "jabber:component:accept";
pub const NICK: &str = "focus";
/// Jicofo's disco feature for "a session-terminate with `<bridge-session restart>` gets a new
/// session" (`XmppProvider`): lib-jitsi-meet asks for restarts this way only when it is listed.
const TERMINATE_RESTART: &str = "https://jitsi.org/meet/jicofo/terminate-restart";

#[derive(Debug, Clone)]
pub struct FocusBehaviour {
    /// Answer this many conference requests with `ready='false'` first, as Jicofo does while it
    /// is still setting a conference up.
    pub not_ready_replies: usize,
    /// Never answer conference requests: a focus that is down behind a live component.
    pub silent: bool,
    /// A Jibri is available for recording and streaming (see `jibri`); off by default, as on a
    /// deployment without one.
    pub jibri: bool,
    /// Run the testbed videobridge and invite participants that advertise Jingle RTP audio or
    /// video to it (see `bridge::signalling`); others are left alone, as the SDK is today.
    pub bridge: bool,
    /// Jicofo's `enable-ice-restart` (on by default): off, in-place ICE restart requests are
    /// refused with `feature-not-implemented`.
    pub ice_restart: bool,
    /// Every participant has spent its session-restart budget (Jicofo's rate limit): a restart
    /// request ends the session with no new one, which only a room rejoin gets back from.
    pub restarts_exhausted: bool,
    /// Jicofo's `reinvite-method`: how participants move when their bridge goes away.
    pub reinvite: ReinviteMethod,
}

impl Default for FocusBehaviour {
    fn default() -> Self {
        FocusBehaviour {
            not_ready_replies: 0,
            silent: false,
            jibri: false,
            bridge: true,
            ice_restart: true,
            restarts_exhausted: false,
            reinvite: ReinviteMethod::RestartJingle,
        }
    }
}

/// Commands for a running focus.
pub enum FocusControl {
    /// Jicofo's answer to a bridge going away (`bridgeRemoved`): every participant on the
    /// current bridge is re-invited onto `bridge`.
    MoveTo(std::sync::Arc<crate::bridge::Bridge>),
}

/// How many conference requests the focus has received, readable while it runs in its task:
/// what a test checks to see that the client asked again, and how often.
#[derive(Debug, Clone, Default)]
pub struct ConferenceRequests(Arc<AtomicUsize>);

impl ConferenceRequests {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug)]
pub(crate) struct Occupant {
    nick: String,
    real_jid: Option<String>,
    affiliation: String,
    role: String,
}

#[derive(Debug, Default)]
struct Room {
    joined: bool,
    /// Conference requests waiting for the focus to be in the room: (requester, iq id).
    waiting: Vec<(String, String)>,
    /// In join order: ownership goes to the longest-present participant.
    occupants: Vec<Occupant>,
    granted_to: Option<String>,
    recording: Option<jibri::Session>,
}

pub struct Focus {
    behaviour: FocusBehaviour,
    component: String,
    muc: String,
    jid: String,
    rooms: HashMap<String, Room>,
    not_ready_left: usize,
    next_id: u64,
    media: Option<crate::bridge::signalling::JingleSessions>,
    requests: ConferenceRequests,
}

impl Focus {
    pub fn new(behaviour: FocusBehaviour, muc: &str, component: &str) -> Focus {
        Focus {
            not_ready_left: behaviour.not_ready_replies,
            behaviour,
            component: component.to_string(),
            muc: muc.to_string(),
            jid: format!("focus@{component}"),
            rooms: HashMap::new(),
            next_id: 0,
            media: None,
            requests: ConferenceRequests::default(),
        }
    }

    /// Counts into `requests` instead of a count of its own: a focus started again after a
    /// Prosody restart goes on with the same count.
    pub fn counting_into(mut self, requests: ConferenceRequests) -> Focus {
        self.requests = requests;
        self
    }

    /// Hands media sessions to the bridge: offers go out from the focus occupant.
    pub fn with_bridge(mut self, bridge: std::sync::Arc<crate::bridge::Bridge>) -> Focus {
        let from = format!("{}/{NICK}", self.jid);
        let mut sessions =
            crate::bridge::signalling::JingleSessions::new(bridge, &from, COMPONENT_NS)
                .with_reinvite_method(self.behaviour.reinvite);
        if !self.behaviour.ice_restart {
            sessions = sessions.without_ice_restart();
        }
        if self.behaviour.restarts_exhausted {
            sessions = sessions.with_restarts_exhausted();
        }
        self.media = Some(sessions);
        self
    }

    /// The bare JID Jicofo reports as `focusjid`; its occupant's real JID starts with it.
    pub fn jid(&self) -> &str {
        &self.jid
    }

    /// What the testbed asks of the focus from outside the XMPP stream.
    pub fn control(&mut self, command: FocusControl) -> Vec<Element> {
        match command {
            FocusControl::MoveTo(bridge) => match self.media.as_mut() {
                Some(media) => media.move_to(bridge),
                None => Vec::new(),
            },
        }
    }

    pub fn handle(&mut self, stanza: &Element) -> Vec<Element> {
        match stanza.name() {
            "iq" => self.on_iq(stanza),
            "presence" => self.on_presence(stanza),
            _ => Vec::new(),
        }
    }

    fn on_iq(&mut self, iq: &Element) -> Vec<Element> {
        let kind = iq.get_attr("type").unwrap_or("");
        if let Some(media) = self.media.as_mut() {
            let answered = match iq.get_child("jingle", ns::JINGLE) {
                Some(jingle) if kind == "set" => media.on_jingle(iq, jingle),
                _ => media.on_response(iq),
            };
            if let Some(out) = answered {
                return out;
            }
        }
        if kind == "result" || kind == "error" {
            if kind == "error" {
                log::warn!("focus: request failed: {}", iq.to_xml());
            }
            return Vec::new();
        }
        let from = iq.get_attr("from").unwrap_or("").to_string();
        let id = iq.get_attr("id").unwrap_or("").to_string();
        if let Some(conference) = iq.get_child("conference", ns::FOCUS) {
            return self.on_conference_request(&from, &id, conference);
        }
        if kind == "set" {
            for namespace in [ns::JITMEET_AUDIO, ns::JITMEET_VIDEO] {
                if let Some(mute) = iq.get_child("mute", namespace) {
                    return self.on_mute(iq, mute, namespace);
                }
            }
        }
        if iq.get_child("ping", ns::PING).is_some() {
            return vec![reply(iq, "result")];
        }
        if let Some(request) = iq.get_child("jibri", omni_jitsi_core::recording::NS) {
            return self.on_jibri(iq, request);
        }
        if kind == "get" && iq.get_child("query", ns::DISCO_INFO).is_some() {
            let query = Element::new("query", ns::DISCO_INFO)
                .child(
                    Element::new("identity", ns::DISCO_INFO)
                        .attr("category", "component")
                        .attr("type", "generic")
                        .attr("name", "Jicofo"),
                )
                .children_from(
                    [ns::DISCO_INFO, ns::PING, ns::FOCUS, TERMINATE_RESTART]
                        .into_iter()
                        .map(|f| Element::new("feature", ns::DISCO_INFO).attr("var", f)),
                );
            return vec![reply(iq, "result").child(query)];
        }
        vec![error_reply(iq, "cancel", "service-unavailable")]
    }

    fn on_conference_request(
        &mut self,
        from: &str,
        id: &str,
        conference: &Element,
    ) -> Vec<Element> {
        self.requests.0.fetch_add(1, Ordering::Relaxed);
        if self.behaviour.silent {
            return Vec::new();
        }
        let room = conference.get_attr("room").unwrap_or("").to_lowercase();
        let valid = room
            .split_once('@')
            .is_some_and(|(node, host)| !node.is_empty() && host == self.muc);
        if !valid {
            return vec![self.conference_error(from, id, "modify", "bad-request")];
        }
        if self.not_ready_left > 0 {
            self.not_ready_left -= 1;
            return vec![self.conference_reply(from, id, &room, false)];
        }
        let state = self.rooms.entry(room.clone()).or_default();
        if state.joined {
            return vec![self.conference_reply(from, id, &room, true)];
        }
        let first = state.waiting.is_empty();
        state.waiting.push((from.to_string(), id.to_string()));
        if !first {
            return Vec::new();
        }
        vec![Element::new("presence", COMPONENT_NS)
            .attr("from", format!("{}/{NICK}", self.jid))
            .attr("to", format!("{room}/{NICK}"))
            .child(Element::new("x", ns::MUC))
            // Jicofo advertises its version this way (ComponentVersionsExtension).
            .child(
                Element::new("versions", ns::JITMEET).child(
                    Element::new("component", ns::JITMEET)
                        .attr("name", NICK)
                        .text(concat!("omni-jitsi-testbed ", env!("CARGO_PKG_VERSION"))),
                ),
            )
            .child(conference_properties())]
    }

    fn on_mute(&self, iq: &Element, element: &Element, namespace: &str) -> Vec<Element> {
        let Some(request) = mute::parse(element, namespace) else {
            return vec![error_reply(iq, "modify", "bad-request")];
        };
        let from = iq.get_attr("from").unwrap_or("");
        let room = from.split('/').next().unwrap_or("");
        match self.rooms.get(room) {
            Some(state) => mute::handle(
                iq,
                &request,
                room,
                &state.occupants,
                &format!("{}/{NICK}", self.jid),
            ),
            None => vec![error_reply(iq, "cancel", "item-not-found")],
        }
    }

    fn conference_error(&self, to: &str, id: &str, kind: &str, condition: &str) -> Element {
        conference_error(&self.component, to, id, kind, condition)
    }

    fn conference_reply(&self, to: &str, id: &str, room: &str, ready: bool) -> Element {
        Element::new("iq", COMPONENT_NS)
            .attr("type", "result")
            .attr("id", id)
            .attr("to", to)
            .attr("from", &self.component)
            .child(
                Element::new("conference", ns::FOCUS)
                    .attr("room", room)
                    .attr("ready", ready.to_string())
                    .attr("focusjid", &self.jid)
                    .child(
                        Element::new("property", ns::FOCUS)
                            .attr("name", "authentication")
                            .attr("value", "false"),
                    ),
            )
    }

    fn on_jibri(&mut self, iq: &Element, request: &Element) -> Vec<Element> {
        let from = iq.get_attr("from").unwrap_or("");
        let room = from.split_once('/').map(|(r, _)| r).unwrap_or(from);
        let Some(state) = self.rooms.get_mut(room) else {
            return vec![error_reply(iq, "auth", "forbidden")];
        };
        let outcome = jibri::handle(
            iq,
            request,
            &state.occupants,
            &mut state.recording,
            self.behaviour.jibri,
            &mut self.next_id,
        );
        let room = room.to_string();
        let mut out = vec![outcome.answer];
        out.extend(
            outcome
                .publish
                .into_iter()
                .map(|status| self.presence_update(&room, status)),
        );
        out
    }

    /// Jicofo republishes its whole presence when an extension changes.
    fn presence_update(&self, room: &str, extension: Element) -> Element {
        Element::new("presence", COMPONENT_NS)
            .attr("from", format!("{}/{NICK}", self.jid))
            .attr("to", format!("{room}/{NICK}"))
            .child(conference_properties())
            .child(extension)
    }

    fn on_presence(&mut self, presence: &Element) -> Vec<Element> {
        let from = presence.get_attr("from").unwrap_or("");
        let Some((room, nick)) = from.split_once('/') else {
            return Vec::new();
        };
        let room = room.to_string();
        let nick = nick.to_string();
        let Some(state) = self.rooms.get_mut(&room) else {
            return Vec::new();
        };
        let kind = presence.get_attr("type").unwrap_or("");
        if nick == NICK {
            return self.on_own_presence(&room, kind, presence);
        }
        let item = presence
            .get_child("x", ns::MUC_USER)
            .and_then(|x| x.get_child("item", ns::MUC_USER));
        let mut media = Vec::new();
        if kind == "unavailable" {
            if let Some(m) = self.media.as_mut() {
                media = m.on_left(&room, &nick);
            }
            state.occupants.retain(|o| o.nick != nick);
            if state.granted_to.as_deref() == Some(nick.as_str()) {
                state.granted_to = None;
            }
        } else if kind.is_empty() {
            let occupant = Occupant {
                nick: nick.clone(),
                real_jid: item.and_then(|i| i.get_attr("jid")).map(str::to_string),
                affiliation: item
                    .and_then(|i| i.get_attr("affiliation"))
                    .unwrap_or("none")
                    .to_string(),
                role: item
                    .and_then(|i| i.get_attr("role"))
                    .unwrap_or("participant")
                    .to_string(),
            };
            match state.occupants.iter_mut().find(|o| o.nick == nick) {
                Some(o) => *o = occupant,
                None => {
                    state.occupants.push(occupant);
                    if let Some(m) = self.media.as_mut() {
                        media = m.on_joined(&room, &nick);
                    }
                }
            }
        }
        if state.joined && state.occupants.is_empty() {
            self.rooms.remove(&room);
            return vec![Element::new("presence", COMPONENT_NS)
                .attr("from", format!("{}/{NICK}", self.jid))
                .attr("to", format!("{room}/{NICK}"))
                .attr("type", "unavailable")];
        }
        media.extend(self.grant_owner_if_needed(&room));
        media
    }

    fn on_own_presence(&mut self, room: &str, kind: &str, presence: &Element) -> Vec<Element> {
        let Some(state) = self.rooms.get_mut(room) else {
            return Vec::new();
        };
        let waiting = std::mem::take(&mut state.waiting);
        let component = self.component.clone();
        match kind {
            "" => {
                state.joined = true;
                let mut out: Vec<Element> = waiting
                    .iter()
                    .map(|(to, id)| self.conference_reply(to, id, room, true))
                    .collect();
                out.extend(self.grant_owner_if_needed(room));
                out
            }
            "error" => {
                log::warn!("focus: could not join {room}: {}", presence.to_xml());
                self.rooms.remove(room);
                waiting
                    .iter()
                    .map(|(to, id)| {
                        conference_error(&component, to, id, "wait", "service-unavailable")
                    })
                    .collect()
            }
            _ => {
                self.rooms.remove(room);
                Vec::new()
            }
        }
    }

    fn grant_owner_if_needed(&mut self, room: &str) -> Vec<Element> {
        let Some(state) = self.rooms.get_mut(room) else {
            return Vec::new();
        };
        if !state.joined
            || state.granted_to.is_some()
            || state
                .occupants
                .iter()
                .any(|o| o.affiliation == "owner" || o.role == "moderator")
        {
            return Vec::new();
        }
        let Some(first) = state.occupants.iter().find(|o| o.real_jid.is_some()) else {
            return Vec::new();
        };
        let real = first.real_jid.clone().unwrap_or_default();
        let bare = real.split('/').next().unwrap_or_default().to_string();
        state.granted_to = Some(first.nick.clone());
        self.next_id += 1;
        vec![Element::new("iq", COMPONENT_NS)
            .attr("type", "set")
            .attr("id", format!("focus-owner-{}", self.next_id))
            .attr("from", format!("{}/{NICK}", self.jid))
            .attr("to", room)
            .child(
                Element::new("query", ns::MUC_ADMIN).child(
                    Element::new("item", ns::MUC_ADMIN)
                        .attr("affiliation", "owner")
                        .attr("jid", bare),
                ),
            )]
    }
}

fn conference_properties() -> Element {
    Element::new("conference-properties", ns::FOCUS).child(
        Element::new("property", ns::FOCUS)
            .attr("key", "support-terminate-restart")
            .attr("value", "true"),
    )
}

fn reply(iq: &Element, kind: &str) -> Element {
    Element::new("iq", COMPONENT_NS)
        .attr("type", kind)
        .attr("id", iq.get_attr("id").unwrap_or(""))
        .attr_opt("to", iq.get_attr("from"))
        .attr_opt("from", iq.get_attr("to"))
}

fn error_reply(iq: &Element, kind: &str, condition: &str) -> Element {
    reply(iq, "error").child(stanza_error(kind, condition))
}

fn conference_error(from: &str, to: &str, id: &str, kind: &str, condition: &str) -> Element {
    Element::new("iq", COMPONENT_NS)
        .attr("type", "error")
        .attr("id", id)
        .attr("to", to)
        .attr("from", from)
        .child(stanza_error(kind, condition))
}

fn stanza_error(kind: &str, condition: &str) -> Element {
    Element::new("error", COMPONENT_NS)
        .attr("type", kind)
        .child(Element::new(condition, ns::STANZAS))
}

mod jibri;
mod mute;
#[cfg(test)]
mod tests;
