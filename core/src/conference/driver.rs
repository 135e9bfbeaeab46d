//! The task that owns one conference: it connects, negotiates the XMPP session, then shuttles
//! between the socket, the app's commands and the state machine's timers until the end.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{sleep_until, timeout_at};
use url::Url;

use super::media_command::BridgeCommand;
use super::media_engine::MediaEngine;
use super::reconnect::{Attempt, Reconnect};
use super::state::{Command, Conference, Output, ReplyId};
use crate::bridge::{BridgeEvent, BridgeHandle};
use crate::error::Error;
use crate::events::{ConferenceEvent, ConnectionState, Participant, TerminationReason};
use crate::jid::EndpointId;
use crate::transport::websocket::{Incoming, XmppSocket};
use crate::transport::Policy;
use crate::xml::Element;
use crate::xmpp::negotiation::{Established, Negotiation, ResumeRequest, Step};
use crate::xmpp::sm::StreamManagement;

pub(super) struct CommandMsg {
    pub command: Command,
    pub reply: oneshot::Sender<Result<(), Error>>,
}

pub(super) type EventSink = mpsc::UnboundedSender<ConferenceEvent>;

/// Negotiates the XMPP session, resuming `resume` when given.
pub(super) async fn open_session(
    socket: &mut XmppSocket,
    domain: &str,
    resume: Option<ResumeRequest>,
    deadline: tokio::time::Instant,
) -> Result<Established, Error> {
    let mut negotiation = Negotiation::new(domain, resume);
    socket.send(&negotiation.open()).await?;
    let work = async {
        loop {
            let el = match socket.recv().await {
                Incoming::Element(el) => el,
                Incoming::Dropped(why) => {
                    log::warn!("dropped a malformed element during login: {why}");
                    continue;
                }
                Incoming::Closed(why) => return Err(Error::ConnectionLost(why)),
            };
            match negotiation.handle(&el)? {
                Step::Send(out) => {
                    for e in out {
                        socket.send(&e).await?;
                    }
                }
                Step::Done(established) => return Ok(established),
            }
        }
    };
    timeout_at(deadline, work)
        .await
        .map_err(|_| Error::Timeout("logging in to the XMPP server".into()))?
}

/// Where the session lives, to reconnect to it.
pub(super) struct Session {
    pub url: Url,
    pub domain: String,
    pub connect_timeout: Duration,
    /// The TLS trust and plain-text rule of the join, for reconnecting and the bridge channel.
    pub policy: Policy,
    /// How long reconnecting (resumed or rejoined) may take in all.
    pub reconnect_within: Duration,
    /// The XEP-0198 resumption id; None when the server does not offer resumption.
    pub sm_id: Option<String>,
}

/// How long closing a socket we gave up on may take: on a dead path it never completes.
const CLOSE_WITHIN: Duration = Duration::from_millis(500);

fn jitter(low: u64, high: u64) -> u64 {
    rand::random_range(low..=high)
}

/// What one reconnection try achieved.
enum Reconnected {
    Resumed,
    /// A new session, bound on this socket: the conference rejoins over it.
    Fresh {
        socket: Box<XmppSocket>,
        sm: StreamManagement,
        sm_id: Option<String>,
    },
}

pub(super) struct Driver {
    pub socket: XmppSocket,
    pub session: Session,
    pub sm: StreamManagement,
    pub conference: Conference,
    pub media: MediaEngine,
    /// The colibri-ws channel, while the bridge session has one.
    pub bridge: Option<BridgeHandle>,
    pub bridge_events: mpsc::UnboundedReceiver<BridgeEvent>,
    pub bridge_events_tx: mpsc::UnboundedSender<BridgeEvent>,
    pub commands: mpsc::UnboundedReceiver<CommandMsg>,
    pub events: EventSink,
    pub participants: watch::Sender<Vec<Participant>>,
    pub joined: Option<oneshot::Sender<Result<(), Error>>>,
    /// Set when the socket failed; the loop then tries to resume.
    pub broken: Option<String>,
    /// While reconnecting (from the socket's death until resumed or rejoined): the schedule.
    pub reconnect: Option<Reconnect>,
    pub replies: HashMap<ReplyId, oneshot::Sender<Result<(), Error>>>,
    pub next_reply: ReplyId,
    pub commands_open: bool,
}

impl Driver {
    pub async fn run(mut self) {
        loop {
            if let Some(ended) = self.flush().await {
                self.finish(ended).await;
                return;
            }
            if let Some(why) = self.broken.take() {
                self.recover(&why).await;
                continue;
            }
            let deadline = self.conference.poll_timeout();
            // A rejoin under way is bounded by the same total as the tries before it.
            let give_up_at = self.reconnect.as_ref().map(Reconnect::give_up_at);
            let wake = [deadline, give_up_at].into_iter().flatten().min();
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Incoming::Element(el) => self.on_element(el).await,
                    Incoming::Dropped(why) => log::warn!("dropped a stanza from the server: {why}"),
                    Incoming::Closed(why) => self.broken = Some(why),
                },
                msg = self.commands.recv(), if self.commands_open => self.on_command(msg),
                Some(input) = self.media.inputs.recv() => self.conference.handle_media(input, Instant::now()),
                Some(event) = self.bridge_events.recv() => self.conference.handle_bridge_event(event),
                _ = sleep_until(wake.map_or_else(far_future, tokio::time::Instant::from_std)) => {
                    let now = Instant::now();
                    if give_up_at.is_some_and(|at| now >= at) {
                        self.conference
                            .connection_lost("the rejoin did not complete in time");
                    } else {
                        self.conference.handle_timeout(now);
                    }
                }
            }
        }
    }

    fn on_command(&mut self, msg: Option<CommandMsg>) {
        self.next_reply += 1;
        let command = match msg {
            Some(CommandMsg { command, reply }) => {
                self.replies.insert(self.next_reply, reply);
                command
            }
            None => {
                // The app dropped every handle without hanging up: leave politely.
                self.commands_open = false;
                Command::Leave
            }
        };
        self.conference
            .handle_command(self.next_reply, command, Instant::now());
    }

    async fn on_element(&mut self, el: Element) {
        if let Some(reply) = self.sm.on_receive(&el) {
            if let Some(reply) = reply {
                self.send(&reply).await;
            }
            return;
        }
        log::debug!("<- {}", shape(&el));
        self.conference.handle_stanza(&el, Instant::now());
    }

    /// Carries out what the state machine decided; returns the end when it came.
    async fn flush(&mut self) -> Option<(TerminationReason, Option<Error>)> {
        let mut ended = None;
        while let Some(out) = self.conference.poll_output() {
            match out {
                Output::Send(el) => self.send(&el).await,
                Output::Media(command) => {
                    if let Some(input) = self.media.execute(command).await {
                        self.conference.handle_media(input, Instant::now());
                    }
                }
                Output::Bridge(command) => self.on_bridge_command(command).await,
                Output::Event(event) => {
                    match &event {
                        ConferenceEvent::RemoteTrackRemoved { source_name, .. } => {
                            self.media.track_changed(source_name, true)
                        }
                        ConferenceEvent::RemoteTrackAdded { source_name, .. } => {
                            self.media.track_changed(source_name, false)
                        }
                        _ => {}
                    }
                    // An app reacting to the event must already find the new list, even when
                    // a media command later in this batch takes a while.
                    self.participants
                        .send_if_modified(|list| follow_roster(list, &event));
                    let _ = self.events.send(event);
                }
                Output::Reply(id, result) => {
                    if let Some(tx) = self.replies.remove(&id) {
                        let _ = tx.send(result);
                    }
                }
                Output::ConnectionBroken(why) => {
                    self.broken.get_or_insert(why);
                }
                Output::Rejoined => self.reconnect = None,
                Output::Joined => {
                    if let Some(tx) = self.joined.take() {
                        let _ = tx.send(Ok(()));
                    }
                }
                Output::Ended { reason, error } => ended = Some((reason, error)),
            }
        }
        ended
    }

    async fn on_bridge_command(&mut self, command: BridgeCommand) {
        match command {
            BridgeCommand::Open { url } => match Url::parse(&url) {
                Ok(url) => {
                    if let Some(old) = self.bridge.take() {
                        old.close().await;
                    }
                    self.bridge = Some(BridgeHandle::spawn(
                        url,
                        self.session.policy.clone(),
                        self.bridge_events_tx.clone(),
                    ));
                }
                Err(e) => log::warn!("the bridge's colibri-ws URL is unusable: {e}"),
            },
            BridgeCommand::Constraints(c) => {
                if let Some(b) = &self.bridge {
                    b.set_receiver_constraints(c);
                }
            }
            BridgeCommand::Alone(alone) => {
                if let Some(b) = &self.bridge {
                    b.set_alone(alone);
                }
            }
            BridgeCommand::Send { message, reply } => {
                let result = match &self.bridge {
                    Some(b) => b.send(message).await.map_err(|e| {
                        Error::Refused(format!("the bridge channel cannot send: {e}"))
                    }),
                    None => Err(Error::Refused("the bridge channel is not open".into())),
                };
                if let Some(tx) = self.replies.remove(&reply) {
                    let _ = tx.send(result);
                }
            }
            BridgeCommand::Close => {
                if let Some(b) = self.bridge.take() {
                    b.close().await;
                }
            }
        }
    }

    async fn send(&mut self, el: &Element) {
        log::debug!("-> {}", shape(el));
        let request = self.sm.on_send(el);
        let mut result = self.socket.send(el).await;
        if let (Ok(()), Some(r)) = (&result, request) {
            result = self.socket.send(&r).await;
        }
        if let Err(e) = result {
            // What was not acknowledged stays queued in `sm` and is replayed on resumption.
            self.broken.get_or_insert(e.to_string());
        }
    }

    /// The socket died: resume the XEP-0198 session on a new one, replaying what the server had
    /// not acknowledged; when the server no longer knows the session, log in afresh and let the
    /// conference rejoin. Commands keep coming meanwhile (the conference queues them, a leave
    /// ends it); the meeting ends when nothing worked within `Timeouts::reconnect`.
    async fn recover(&mut self, why: &str) {
        if !self.conference.can_reconnect() {
            return self.conference.connection_lost(why);
        }
        log::warn!("connection lost ({why}); reconnecting");
        let _ = tokio::time::timeout(CLOSE_WITHIN, self.socket.close()).await;
        self.conference.suspend();
        let now = Instant::now();
        match &mut self.reconnect {
            // The socket of a rejoin under way died: the next try after a pause.
            Some(policy) => policy.failed(now, &mut jitter),
            None => {
                let _ = self.events.send(ConferenceEvent::ConnectionStateChanged {
                    state: ConnectionState::Reconnecting,
                });
                let resumable = self.session.sm_id.is_some() && self.sm.is_enabled();
                self.reconnect = Some(Reconnect::new(
                    now,
                    self.session.reconnect_within,
                    resumable,
                    &mut jitter,
                ));
            }
        }
        loop {
            let Some(policy) = &self.reconnect else {
                return;
            };
            let Some(at) = policy.next_at() else {
                self.reconnect = None;
                self.report_undelivered();
                return self.conference.connection_lost(why);
            };
            let attempt = policy.attempt();
            if !self.wait_serving_commands(at).await {
                continue;
            }
            if self.conference.is_ended() {
                self.reconnect = None;
                return;
            }
            match self.try_reconnect(attempt).await {
                Ok(Reconnected::Resumed) => {
                    self.reconnect = None;
                    self.conference.resumed(Instant::now());
                    let _ = self.events.send(ConferenceEvent::ConnectionStateChanged {
                        state: ConnectionState::Connected,
                    });
                    return;
                }
                Ok(Reconnected::Fresh { socket, sm, sm_id }) => {
                    log::info!("the server no longer knew our session; rejoining the room");
                    self.socket = *socket;
                    let unacked = std::mem::replace(&mut self.sm, sm).abandon();
                    self.session.sm_id = sm_id;
                    if let Some(policy) = &mut self.reconnect {
                        policy.session_unknown(Instant::now());
                    }
                    // `Output::Rejoined` ends the reconnection once the room has us again.
                    self.conference.rejoin(Instant::now(), unacked);
                    return;
                }
                Err(e) => {
                    log::warn!("reconnection attempt failed: {e}");
                    if let Some(policy) = &mut self.reconnect {
                        policy.failed(Instant::now(), &mut jitter);
                    }
                }
            }
        }
    }

    /// Chat messages handed to the socket before it died, which the server never acknowledged,
    /// are lost with the meeting: the app was told they were sent, so it is told they were not.
    fn report_undelivered(&mut self) {
        let lost = self
            .sm
            .abandon()
            .iter()
            .filter(|e| {
                e.name() == "message" && e.get_child("body", crate::xmpp::ns::CLIENT).is_some()
            })
            .count();
        if lost > 0 {
            let _ = self.events.send(ConferenceEvent::Error {
                error: "chat_not_delivered".into(),
                message: format!(
                    "{lost} chat message(s) sent just before the connection was lost never reached the server"
                ),
            });
        }
    }

    /// Waits until `at` while handling the app's commands. False when a network-change hint
    /// moved the next try, so the caller looks at the schedule again.
    async fn wait_serving_commands(&mut self, at: Instant) -> bool {
        loop {
            if self.conference.is_ended() {
                return true;
            }
            tokio::select! {
                _ = sleep_until(tokio::time::Instant::from_std(at)) => return true,
                msg = self.commands.recv(), if self.commands_open => {
                    let hint = matches!(&msg, Some(m) if m.command == Command::NetworkChanged);
                    self.on_command(msg);
                    self.answer_replies();
                    if hint {
                        if let Some(policy) = &mut self.reconnect {
                            policy.network_changed(Instant::now());
                        }
                        return false;
                    }
                }
            }
        }
    }

    /// While the socket is down the conference only answers commands (or ends on a leave):
    /// pass its replies on at once, leave the rest for the main loop.
    fn answer_replies(&mut self) {
        let mut rest = Vec::new();
        while let Some(out) = self.conference.poll_output() {
            match out {
                Output::Reply(id, result) => {
                    if let Some(tx) = self.replies.remove(&id) {
                        let _ = tx.send(result);
                    }
                }
                other => rest.push(other),
            }
        }
        self.conference.push_back_outputs(rest);
    }

    async fn try_reconnect(&mut self, attempt: Attempt) -> Result<Reconnected, Error> {
        let mut url = self.session.url.clone();
        let resume = match (attempt, &self.session.sm_id) {
            (Attempt::Resume, Some(previd)) => {
                // mod_auth_token reads previd to give the resumed session its old identity.
                url.query_pairs_mut().append_pair("previd", previd);
                Some(ResumeRequest {
                    previd: previd.clone(),
                    h: self.sm.handled(),
                })
            }
            _ => None,
        };
        let mut socket =
            XmppSocket::connect(&url, self.session.connect_timeout, &self.session.policy).await?;
        let deadline = tokio::time::Instant::now() + self.session.connect_timeout;
        match open_session(&mut socket, &self.session.domain, resume, deadline).await? {
            Established::Resumed { h } => {
                self.socket = socket;
                for stanza in self.sm.replay_after_resume(h) {
                    self.send(&stanza).await;
                }
                Ok(Reconnected::Resumed)
            }
            Established::Bound {
                jid,
                sm_id,
                sm_enabled,
            } => {
                log::info!("logged in again as {jid}");
                let sm = if sm_enabled {
                    StreamManagement::enabled()
                } else {
                    StreamManagement::disabled()
                };
                Ok(Reconnected::Fresh {
                    socket: Box::new(socket),
                    sm,
                    sm_id,
                })
            }
        }
    }

    async fn finish(mut self, (reason, error): (TerminationReason, Option<Error>)) {
        self.media.close_all().await;
        if let Some(b) = self.bridge.take() {
            b.close().await;
        }
        if let Some(ack) = self.sm.closing_ack() {
            let _ = self.socket.send(&ack).await;
        }
        self.socket.close().await;
        let _ = self.events.send(ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Disconnected,
        });
        if let Some(tx) = self.joined.take() {
            let _ = tx.send(Err(error.unwrap_or(match reason {
                TerminationReason::HungUp => Error::MeetingEnded,
                _ => Error::ConnectionLost("the meeting ended while joining".into()),
            })));
        }
        let _ = self.participants.send(Vec::new());
        // Commands that raced with the end still get an answer.
        self.commands.close();
        while let Ok(msg) = self.commands.try_recv() {
            let _ = msg.reply.send(Err(Error::MeetingEnded));
        }
    }
}

/// Brings the participant list the app reads up to date with one event, in the roster's order
/// (by endpoint id). Patched rather than copied from the roster: in a full room a copy per
/// presence was megabytes. Returns whether the list changed.
pub(super) fn follow_roster(list: &mut Vec<Participant>, event: &ConferenceEvent) -> bool {
    let find =
        |list: &[Participant], id: &EndpointId| list.binary_search_by(|p| p.endpoint_id.cmp(id));
    match event {
        ConferenceEvent::ParticipantJoined { participant }
        | ConferenceEvent::ParticipantUpdated { participant } => {
            match find(list, &participant.endpoint_id) {
                Ok(i) => list[i] = participant.clone(),
                Err(i) => list.insert(i, participant.clone()),
            }
            true
        }
        ConferenceEvent::ParticipantLeft { endpoint_id, .. } => match find(list, endpoint_id) {
            Ok(i) => {
                list.remove(i);
                true
            }
            Err(_) => false,
        },
        _ => false,
    }
}

/// A stanza as logged: name, addresses and type only, as stanzas can carry the token or a
/// room password both ways.
fn shape(el: &Element) -> String {
    format!(
        "<{} from={:?} to={:?} type={:?}>",
        el.name(),
        el.get_attr("from"),
        el.get_attr("to"),
        el.get_attr("type")
    )
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}
