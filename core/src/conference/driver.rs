//! The task that owns one conference: it connects, negotiates the XMPP session, then shuttles
//! between the socket, the app's commands and the state machine's timers until the end.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::{sleep_until, timeout_at};
use url::Url;

use super::media_command::BridgeCommand;
use super::media_engine::MediaEngine;
use super::state::{Command, Conference, Output, ReplyId};
use crate::bridge::{BridgeEvent, BridgeHandle};
use crate::error::Error;
use crate::events::{ConferenceEvent, ConnectionState, Participant, TerminationReason};
use crate::transport::websocket::{Incoming, XmppSocket};
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
    /// The XEP-0198 resumption id; None when the server does not offer resumption.
    pub sm_id: Option<String>,
}

/// lib-jitsi-meet's ResumeTask: three tries, with growing, jittered delays.
const RESUME_DELAYS_MS: [(u64, u64); 3] = [(1500, 3000), (3000, 9000), (4500, 27000)];

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
}

impl Driver {
    pub async fn run(mut self) {
        let mut replies: HashMap<ReplyId, oneshot::Sender<Result<(), Error>>> = HashMap::new();
        let mut next_reply: ReplyId = 0;
        let mut commands_open = true;
        loop {
            if let Some(ended) = self.flush(&mut replies).await {
                self.finish(ended).await;
                return;
            }
            if let Some(why) = self.broken.take() {
                self.recover(&why).await;
                continue;
            }
            let deadline = self.conference.poll_timeout();
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Incoming::Element(el) => self.on_element(el).await,
                    Incoming::Dropped(why) => log::warn!("dropped a stanza from the server: {why}"),
                    Incoming::Closed(why) => self.broken = Some(why),
                },
                msg = self.commands.recv(), if commands_open => match msg {
                    Some(CommandMsg { command, reply }) => {
                        next_reply += 1;
                        replies.insert(next_reply, reply);
                        self.conference.handle_command(next_reply, command, Instant::now());
                    }
                    None => {
                        // The app dropped every handle without hanging up: leave politely.
                        commands_open = false;
                        next_reply += 1;
                        self.conference.handle_command(next_reply, Command::Leave, Instant::now());
                    }
                },
                Some(input) = self.media.inputs.recv() => self.conference.handle_media(input),
                Some(event) = self.bridge_events.recv() => self.conference.handle_bridge_event(event),
                _ = sleep_until(deadline.map_or_else(far_future, tokio::time::Instant::from_std)) => {
                    self.conference.handle_timeout(Instant::now());
                }
            }
        }
    }

    async fn on_element(&mut self, el: Element) {
        if let Some(reply) = self.sm.on_receive(&el) {
            if let Some(reply) = reply {
                self.send(&reply).await;
            }
            return;
        }
        log::trace!("<- {}", el.to_xml());
        self.conference.handle_stanza(&el, Instant::now());
    }

    /// Carries out what the state machine decided; returns the end when it came.
    async fn flush(
        &mut self,
        replies: &mut HashMap<ReplyId, oneshot::Sender<Result<(), Error>>>,
    ) -> Option<(TerminationReason, Option<Error>)> {
        let mut ended = None;
        while let Some(out) = self.conference.poll_output() {
            match out {
                Output::Send(el) => self.send(&el).await,
                Output::Media(command) => {
                    if let Some(input) = self.media.execute(command).await {
                        self.conference.handle_media(input);
                    }
                }
                Output::Bridge(command) => self.on_bridge_command(command, replies).await,
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
                    let roster_event = matches!(
                        event,
                        ConferenceEvent::ParticipantJoined { .. }
                            | ConferenceEvent::ParticipantLeft { .. }
                            | ConferenceEvent::ParticipantUpdated { .. }
                    );
                    // An app reacting to the event must already find the new list, even when
                    // a media command later in this batch takes a while.
                    if roster_event {
                        let _ = self.participants.send(self.conference.participants());
                    }
                    let _ = self.events.send(event);
                }
                Output::Reply(id, result) => {
                    if let Some(tx) = replies.remove(&id) {
                        let _ = tx.send(result);
                    }
                }
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

    async fn on_bridge_command(
        &mut self,
        command: BridgeCommand,
        replies: &mut HashMap<ReplyId, oneshot::Sender<Result<(), Error>>>,
    ) {
        match command {
            BridgeCommand::Open { url } => match Url::parse(&url) {
                Ok(url) => {
                    if let Some(old) = self.bridge.take() {
                        old.close().await;
                    }
                    self.bridge = Some(BridgeHandle::spawn(url, self.bridge_events_tx.clone()));
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
                if let Some(tx) = replies.remove(&reply) {
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
        // Outgoing stanzas can carry the token or a room password: log their shape only.
        log::trace!(
            "-> <{} to={:?} type={:?}>",
            el.name(),
            el.get_attr("to"),
            el.get_attr("type")
        );
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
    /// not acknowledged, or end the meeting when that is impossible.
    async fn recover(&mut self, why: &str) {
        let Some(previd) = self
            .session
            .sm_id
            .clone()
            .filter(|_| !self.conference.is_ended())
        else {
            return self.conference.connection_lost(why);
        };
        log::warn!("connection lost ({why}); resuming the session");
        let _ = self.events.send(ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Reconnecting,
        });
        for (low, high) in RESUME_DELAYS_MS {
            let delay = Duration::from_millis(rand::random_range(low..=high));
            sleep_until(tokio::time::Instant::now() + delay).await;
            match self.try_resume(&previd).await {
                Ok(true) => {
                    let _ = self.events.send(ConferenceEvent::ConnectionStateChanged {
                        state: ConnectionState::Connected,
                    });
                    return;
                }
                Ok(false) => break,
                Err(e) => log::warn!("resumption attempt failed: {e}"),
            }
        }
        self.conference.connection_lost(why);
    }

    /// Ok(false) when the server answered but no longer knows the session.
    async fn try_resume(&mut self, previd: &str) -> Result<bool, Error> {
        let mut url = self.session.url.clone();
        // mod_auth_token reads previd to give the resumed session its old identity.
        url.query_pairs_mut().append_pair("previd", previd);
        let mut socket = XmppSocket::connect(&url, self.session.connect_timeout).await?;
        let deadline = tokio::time::Instant::now() + self.session.connect_timeout;
        let resume = ResumeRequest {
            previd: previd.to_string(),
            h: self.sm.handled(),
        };
        match open_session(&mut socket, &self.session.domain, Some(resume), deadline).await? {
            Established::Resumed { h } => {
                self.socket = socket;
                for stanza in self.sm.replay_after_resume(h) {
                    self.send(&stanza).await;
                }
                Ok(true)
            }
            Established::Bound { .. } => {
                socket.close().await;
                Ok(false)
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

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(86_400)
}
