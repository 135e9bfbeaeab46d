//! One conference as a plain state machine: fed parsed stanzas, app commands and the time; drained
//! of stanzas to send, events for the app, command replies and the end. The driver owns the
//! socket and the timers; everything a conference decides is here, testable without a server.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use sha1::{Digest, Sha1};

use super::media_command::{BridgeCommand, MediaCommand, Muted};
use super::p2p::P2pPolicy;
use crate::bridge::ReceiverVideoConstraints;
use crate::error::Error;
use crate::events::{ConferenceEvent, ConnectionState, Participant, Role, TerminationReason};
use crate::focus::{self, ConferenceRequest, FocusReply};
use crate::jid::{EndpointId, Jid};
use crate::muc::presence::{self, LocalPresence, RoomPresence};
use crate::muc::roster::{Roster, RosterChange};
use crate::muc::{admin, caps, chat};

pub use super::media_command::{LocalSsrcs, ReplyId};
use crate::options::Timeouts;
use crate::recording::{self, RecordingMode, RecordingRequest, RecordingState};
use crate::time::unix_ms;
use crate::xml::Element;
use crate::xmpp::extdisco;
use crate::xmpp::iq::{IqOutcome, IqTracker};
use crate::xmpp::ns;
use crate::xmpp::ping::{PingAction, Pinger};
use crate::xmpp::stanza::{error_reply, iq, StanzaError};

/// How long we wait for the room to confirm we left before ending anyway.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);
/// The least time between two room rejoins for the sake of bridge media.
const MEDIA_REJOIN_INTERVAL: Duration = Duration::from_secs(60);
/// How long the server may take to answer the probe after a network-change hint: a live
/// loopback or mobile path answers in well under a second; keepalive would take 20 s.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Commands the app may issue while the connection is down; beyond this they are refused.
const MAX_QUEUED: usize = 256;
/// Chat messages remembered to recognise the room's history replay after a rejoin.
const SEEN_MESSAGES: usize = 256;

/// A remembered message's `from|id`, hashed to a fixed size.
type SeenKey = [u8; 20];

#[derive(Debug, Clone)]
pub struct ConferenceConfig {
    /// The bare MUC JID of the room.
    pub room: Jid,
    /// The room name as the app gave it (normalised), for events.
    pub room_name: String,
    /// The focus component's address (`focus.DOMAIN`).
    pub focus: String,
    /// The XMPP domain, target of keepalive pings.
    pub domain: String,
    pub presence: LocalPresence,
    pub password: Option<String>,
    pub subject: Option<String>,
    pub request: ConferenceRequest,
    pub timeouts: Timeouts,
    /// The SSRCs our media session sends with, announced in Jingle.
    pub local_ssrcs: LocalSsrcs,
    pub p2p: P2pPolicy,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    SendChat {
        text: String,
        to: Option<EndpointId>,
    },
    SetAudioMuted(bool),
    SetVideoMuted(bool),
    SetHandRaised(bool),
    SetSubject(String),
    SetPassword(Option<String>),
    SetLobbyEnabled(bool),
    Kick(EndpointId),
    GrantModerator(EndpointId),
    StartRecording(RecordingRequest),
    StopRecording,
    /// What we want the bridge to forward (last-N, selected sources, maximum height).
    SetReceiverConstraints(ReceiverVideoConstraints),
    StartScreenShare,
    StopScreenShare,
    /// A JSON message over the bridge channel, to one participant or (`None`) everyone.
    SendEndpointMessage {
        to: Option<EndpointId>,
        json: String,
    },
    /// The app saw the network change: probe the server now rather than at the next keepalive.
    NetworkChanged,
    Leave,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    Send(Element),
    Event(ConferenceEvent),
    Reply(ReplyId, Result<(), Error>),
    /// The room confirmed our join.
    Joined,
    /// For the media engine, in order.
    Media(MediaCommand),
    /// For the colibri-ws bridge channel, in order.
    Bridge(BridgeCommand),
    /// The connection is dead although the socket is open (pings or the network-change probe
    /// went unanswered): the driver drops it and reconnects.
    ConnectionBroken(String),
    /// A rejoin after a lost session completed: the driver's reconnection is over.
    Rejoined,
    /// Nothing more will happen; the driver closes the connection.
    Ended {
        reason: TerminationReason,
        error: Option<Error>,
    },
}

#[derive(Debug)]
enum Phase {
    RequestingFocus {
        attempt: u32,
        give_up_at: Instant,
        retry_at: Option<Instant>,
    },
    Joining {
        give_up_at: Instant,
    },
    Joined,
    Leaving {
        give_up_at: Instant,
    },
    /// Leaving the room to join it again at once on the same connection (see
    /// `rejoin_for_media`).
    LeavingToRejoin {
        give_up_at: Instant,
    },
    Ended,
}

#[derive(Debug)]
enum IqPurpose {
    Conference,
    Ping,
    /// The quick ping after a network-change hint.
    Probe,
    /// A moderator request; the reply goes to the command when there is one.
    Admin(Option<ReplyId>),
    Recording(ReplyId),
    /// A Jingle request we sent; errors are logged.
    Jingle,
    /// Our request for an in-place ICE restart of bridge session `sid`.
    IceRestart {
        sid: String,
    },
    /// Our request for a new bridge session (terminate-restart).
    BridgeRestart,
    /// Our XEP-0215 query for STUN/TURN servers, in this namespace.
    IceServers(&'static str),
}

pub struct Conference {
    cfg: ConferenceConfig,
    phase: Phase,
    roster: Roster,
    iqs: IqTracker<IqPurpose>,
    pinger: Pinger,
    /// Roster changes seen before our own join was confirmed, released after `ConferenceJoined`
    /// so apps always learn that they joined before they learn who else is there.
    early: Vec<RosterChange>,
    leave_replies: Vec<ReplyId>,
    /// The room's recording as the focus last published it.
    recording: Option<RecordingState>,
    out: VecDeque<Output>,
    next_msg_id: u64,
    p2p: Option<media::P2pSession>,
    /// When a delayed P2P start (after a third participant left) is due.
    p2p_restart_at: Option<Instant>,
    /// The last P2P session ended on a connectivity failure (ours or the peer's).
    p2p_failed: bool,
    jvb: Option<bridge::JvbSession>,
    /// A new bridge session is on its way: asked for in place of one whose connection failed,
    /// or announced by the focus moving us to another bridge.
    bridge_restart: Option<bridge::BridgeRestart>,
    /// When we asked for bridge session restarts lately, to stay within the focus's rate limit.
    bridge_restarts: VecDeque<Instant>,
    /// The same for in-place ICE restarts, which Jicofo limits separately.
    ice_restarts: VecDeque<Instant>,
    /// The focus answered an ICE restart request with `feature-not-implemented`.
    focus_refuses_ice_restarts: bool,
    /// Whether the app was last told that the connection carrying media is interrupted.
    media_interrupted: bool,
    /// Remote tracks announced to the app: source name -> owner, kind, and whether it is a
    /// screen share.
    tracks: std::collections::BTreeMap<String, bridge::Track>,
    receiver_constraints: ReceiverVideoConstraints,
    bridge_open: bool,
    /// Whether the app was last told that media goes peer to peer.
    p2p_announced: bool,
    /// The socket is gone and the driver is reconnecting: nothing can be sent.
    link_down: bool,
    /// Set from a rejoin's conference request until the room confirms us again.
    rejoining: bool,
    ever_joined: bool,
    role_before_rejoin: Option<Role>,
    /// Commands issued while the connection was down or the rejoin under way, run once the room
    /// has us again, in order, each exactly once.
    queued: Vec<(ReplyId, Command)>,
    /// Our chat messages the old session never had acknowledged, sent again after the rejoin.
    resend: Vec<Element>,
    /// `from|id` of recent room messages (ours included): the room's history replay on a rejoin
    /// must not deliver a message twice, nor make us send again one the room already has. Kept
    /// as digests: the sender picks the id, up to the stanza limit in length.
    seen: VecDeque<SeenKey>,
    /// Local media identities renewed so far (rejoins, bridge restarts): names the msid track
    /// ids of the sessions after each.
    renewals: u32,
    /// When we last left and joined the room again to get bridge media back.
    media_rejoined_at: Option<Instant>,
    /// Bridge sessions moved by `transport-replace` so far: names each new PeerConnection.
    transport_replaces: u32,
    /// Our request to change the room password (IQ id, new password) until the room answers.
    password_change: Option<(String, Option<String>)>,
}

impl Conference {
    pub fn new(cfg: ConferenceConfig, now: Instant) -> Conference {
        let roster = Roster::new(cfg.presence.endpoint_id.clone());
        let mut c = Conference {
            phase: Phase::RequestingFocus {
                attempt: 0,
                give_up_at: now + cfg.timeouts.focus,
                retry_at: None,
            },
            roster,
            iqs: IqTracker::new("c"),
            pinger: Pinger::new(now),
            early: Vec::new(),
            leave_replies: Vec::new(),
            recording: None,
            out: VecDeque::new(),
            next_msg_id: 0,
            p2p: None,
            p2p_restart_at: None,
            p2p_failed: false,
            jvb: None,
            bridge_restart: None,
            bridge_restarts: VecDeque::new(),
            ice_restarts: VecDeque::new(),
            focus_refuses_ice_restarts: false,
            media_interrupted: false,
            tracks: std::collections::BTreeMap::new(),
            receiver_constraints: ReceiverVideoConstraints::default(),
            bridge_open: false,
            p2p_announced: false,
            link_down: false,
            rejoining: false,
            ever_joined: false,
            role_before_rejoin: None,
            queued: Vec::new(),
            resend: Vec::new(),
            seen: VecDeque::new(),
            renewals: 0,
            transport_replaces: 0,
            media_rejoined_at: None,
            password_change: None,
            cfg,
        };
        c.send_conference_request(now);
        c.ask_for_ice_servers(extdisco::V2, now);
        c
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// Outputs a caller took but leaves for later, kept in their order.
    pub fn push_back_outputs(&mut self, outputs: Vec<Output>) {
        for out in outputs.into_iter().rev() {
            self.out.push_front(out);
        }
    }

    pub fn participants(&self) -> Vec<Participant> {
        self.roster.participants()
    }

    pub fn is_ended(&self) -> bool {
        matches!(self.phase, Phase::Ended)
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let phase = match self.phase {
            Phase::RequestingFocus {
                give_up_at,
                retry_at,
                ..
            } => Some(retry_at.map_or(give_up_at, |r| r.min(give_up_at))),
            Phase::Joining { give_up_at }
            | Phase::Leaving { give_up_at }
            | Phase::LeavingToRejoin { give_up_at } => Some(give_up_at),
            Phase::Joined => None,
            Phase::Ended => return None,
        };
        [
            phase,
            self.iqs.next_deadline(),
            Some(self.pinger.next_deadline()),
            self.p2p_restart_at,
            self.bridge_restart.as_ref().map(|r| r.due),
            self.jvb
                .as_ref()
                .and_then(|s| s.ice_restart.as_ref())
                .map(|r| r.due),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        for purpose in self.iqs.expire(now) {
            match purpose {
                IqPurpose::Conference => return self.fail_join(Error::FocusTimeout),
                IqPurpose::Ping => self.ping_failed(),
                IqPurpose::Probe => self.out.push_back(Output::ConnectionBroken(
                    "the server did not answer the probe after a network change".into(),
                )),
                IqPurpose::Admin(Some(reply)) => self.reply(
                    reply,
                    Err(Error::Timeout("the room did not answer the request".into())),
                ),
                IqPurpose::Admin(None) | IqPurpose::Jingle | IqPurpose::BridgeRestart => {}
                IqPurpose::IceServers(version) => self.no_ice_servers(version, now),
                IqPurpose::IceRestart { sid } => self.ice_restart_unanswered(&sid, now),
                IqPurpose::Recording(reply) => self.reply(
                    reply,
                    Err(Error::Timeout(
                        "the focus did not answer the recording request".into(),
                    )),
                ),
            }
            if self.is_ended() {
                return;
            }
        }
        match self.phase {
            Phase::RequestingFocus {
                give_up_at,
                retry_at,
                ..
            } => {
                if now >= give_up_at {
                    return self.fail_join(Error::FocusTimeout);
                }
                if retry_at.is_some_and(|r| now >= r) {
                    self.send_conference_request(now);
                }
            }
            Phase::Joining { give_up_at } if now >= give_up_at => {
                return self.fail_join(Error::Timeout("the room did not confirm our join".into()));
            }
            Phase::LeavingToRejoin { give_up_at } if now >= give_up_at => {
                // The room never confirmed; joining again tells it anyway.
                self.rejoin(now, Vec::new());
            }
            Phase::Leaving { give_up_at } if now >= give_up_at => {
                return self.end(TerminationReason::HungUp, None);
            }
            _ => {}
        }
        if self.p2p_restart_at.is_some_and(|at| now >= at) {
            self.p2p_restart_at = None;
            self.update_p2p(false);
        }
        self.poll_bridge_restart(now);
        self.poll_ice_restart(now);
        if self.pinger.poll(now) == PingAction::SendPing {
            let id = self
                .iqs
                .track(IqPurpose::Ping, now, crate::xmpp::ping::TIMEOUT);
            self.send(iq("get", &id, &self.cfg.domain).child(Element::new("ping", ns::PING)));
        }
    }

    /// The transport failed under us and will not come back.
    pub fn connection_lost(&mut self, detail: &str) {
        let error = Error::ConnectionLost(detail.to_string());
        match self.phase {
            Phase::Ended => {}
            Phase::Leaving { .. } => self.end(TerminationReason::HungUp, None),
            _ if self.ever_joined => self.end(TerminationReason::ConnectionLost, Some(error)),
            _ => self.fail_join(error),
        }
    }

    /// Whether a lost connection is worth reconnecting: not once we are leaving or gone.
    pub fn can_reconnect(&self) -> bool {
        !matches!(self.phase, Phase::Leaving { .. } | Phase::Ended)
    }

    /// The socket died; the driver is reconnecting. Commands wait until it is back.
    pub fn suspend(&mut self) {
        self.link_down = true;
    }

    /// The XEP-0198 session resumed: everything continues, and what the app asked meanwhile
    /// is done now.
    pub fn resumed(&mut self, now: Instant) {
        self.link_down = false;
        self.pinger = Pinger::new(now);
        if matches!(self.phase, Phase::Joined) {
            self.run_queued(now);
        }
    }

    /// The server no longer knew our session and we are logged in afresh: join the room again
    /// as jitsi-meet does, with the same identity, presence (name, email, avatar, mute, hand)
    /// and conference request. The old media sessions cannot continue (their signalling partner
    /// saw us leave); the focus and the peer offer new ones once we are back. `unacked` is what
    /// the old stream never had acknowledged: its chat messages are sent again after the join,
    /// unless the room already reflected them.
    pub fn rejoin(&mut self, now: Instant, unacked: Vec<Element>) {
        if !self.can_reconnect() {
            return;
        }
        self.link_down = false;
        self.pinger = Pinger::new(now);
        self.close_media_sessions();
        self.end_screen_share_quietly();
        self.sync_tracks();
        // The others saw us leave; like jitsi-meet reloading, we come back with new SSRCs.
        self.renew_local_identity();
        for purpose in self.iqs.drain().collect::<Vec<_>>() {
            if let IqPurpose::Admin(Some(id)) | IqPurpose::Recording(id) = purpose {
                self.reply(
                    id,
                    Err(Error::ConnectionLost(
                        "the connection dropped before the answer came; ask again".into(),
                    )),
                );
            }
        }
        self.early.clear();
        if self.ever_joined {
            let role = self.roster.begin_resync();
            // After leaving on purpose the roster no longer knows it; `rejoin_for_media` kept it.
            self.role_before_rejoin = role.or(self.role_before_rejoin.take());
        }
        for el in unacked {
            let chat = el.name() == "message" && el.get_child("body", ns::CLIENT).is_some();
            let reflected = el
                .get_attr("id")
                .is_some_and(|id| self.seen.contains(&self.seen_key(&self.occupant(), id)));
            if chat && !reflected {
                self.resend.push(el);
            }
        }
        self.rejoining = true;
        self.phase = Phase::RequestingFocus {
            attempt: 0,
            give_up_at: now + self.cfg.timeouts.focus,
            retry_at: None,
        };
        self.send_conference_request(now);
        // TURN credentials are time-limited, and the server may be another one now.
        self.ask_for_ice_servers(extdisco::V2, now);
    }

    /// Bridge media cannot come back within this session: the focus refused a new bridge
    /// session or sent none. jitsi-meet reloads then; we leave the room and join it again on the
    /// same connection, so the focus invites us afresh, with the rejoin's events
    /// (`reconnecting`, then `connected`; those who stayed are not reported again). At most
    /// once a minute; `false` when not done, and the caller fails media instead.
    pub(super) fn rejoin_for_media(&mut self, why: &str, now: Instant) -> bool {
        let recent = self
            .media_rejoined_at
            .is_some_and(|at| now.duration_since(at) < MEDIA_REJOIN_INTERVAL);
        if recent || self.link_down || !matches!(self.phase, Phase::Joined) {
            return false;
        }
        log::warn!("joining the room again to get bridge media back: {why}");
        self.media_rejoined_at = Some(now);
        self.role_before_rejoin = self.roster.self_role();
        self.rejoining = true;
        self.emit(ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Reconnecting,
        });
        self.send_unavailable();
        self.phase = Phase::LeavingToRejoin {
            give_up_at: now + LEAVE_TIMEOUT,
        };
        true
    }

    /// Closes the P2P and bridge sessions and the bridge channel, and forgets any P2P start or
    /// bridge restart still to come: the room is being left or joined again.
    fn close_media_sessions(&mut self) {
        self.p2p_restart_at = None;
        self.bridge_restart = None;
        if let Some(session) = self.p2p.take() {
            self.media(MediaCommand::Close { sid: session.sid });
        }
        if let Some(session) = self.jvb.take() {
            self.drop_jvb_media(session);
        }
    }

    /// New SSRCs and msid track ids for the media sessions opened from now on (after a rejoin
    /// or a bridge restart), as a browser's new PeerConnection would bring. A receiver must
    /// never take back a source it saw removed: its SRTP replay window drops the new session's
    /// packets, whose sequence numbers start afresh under the old SSRC, and a webrtc-rs
    /// receiver does not surface a track whose msid it saw removed before.
    pub(super) fn renew_local_identity(&mut self) {
        self.cfg.local_ssrcs = LocalSsrcs::random();
        self.renewals += 1;
        self.media(MediaCommand::SetLocalIdentity {
            ssrcs: self.cfg.local_ssrcs,
            track_suffix: self.track_suffix(),
        });
    }

    /// What our msid track ids end with: nothing before the first renewal.
    pub(super) fn track_suffix(&self) -> String {
        match self.renewals {
            0 => String::new(),
            n => format!("-r{n}"),
        }
    }

    fn run_queued(&mut self, now: Instant) {
        for (id, command) in std::mem::take(&mut self.queued) {
            self.handle_command(id, command, now);
        }
    }

    fn seen_key(&self, from: &Jid, id: &str) -> SeenKey {
        let mut digest = Sha1::new();
        digest.update(from.resource().unwrap_or("").as_bytes());
        digest.update(b"|");
        digest.update(id.as_bytes());
        digest.finalize().into()
    }

    pub fn handle_stanza(&mut self, el: &Element, now: Instant) {
        if self.is_ended() {
            return;
        }
        self.pinger.heard_from_server();
        match el.name() {
            "iq" => self.handle_iq(el, now),
            "presence" => self.handle_presence(el, now),
            "message" => self.handle_message(el),
            _ => {}
        }
    }

    pub fn handle_command(&mut self, id: ReplyId, command: Command, now: Instant) {
        if matches!(self.phase, Phase::Ended) {
            return self.reply(id, Err(Error::MeetingEnded));
        }
        if command == Command::Leave {
            return self.leave(id, now);
        }
        if command == Command::NetworkChanged {
            if !self.link_down {
                self.probe(now);
            }
            self.network_changed(now);
            return self.reply(id, Ok(()));
        }
        if self.link_down || self.rejoining {
            if self.queued.len() >= MAX_QUEUED {
                return self.reply(
                    id,
                    Err(Error::Refused(format!(
                        "{MAX_QUEUED} commands already wait for the connection to come back"
                    ))),
                );
            }
            return self.queued.push((id, command));
        }
        if !matches!(self.phase, Phase::Joined) {
            return self.reply(id, Err(Error::MeetingEnded));
        }
        let result = self.run_command(id, command, now);
        if let Err(e) = result {
            self.reply(id, Err(e));
        }
    }

    fn run_command(&mut self, id: ReplyId, command: Command, now: Instant) -> Result<(), Error> {
        let room = self.cfg.room.clone();
        match command {
            Command::SendChat { text, to } => {
                if text.trim().is_empty() {
                    return Err(Error::InvalidArgument("the message is empty".into()));
                }
                if text.len() > chat::MAX_CHAT_BYTES {
                    return Err(Error::InvalidArgument(format!(
                        "the message is longer than {} bytes",
                        chat::MAX_CHAT_BYTES
                    )));
                }
                let msg_id = self.message_id();
                let stanza = match &to {
                    None => chat::room_message(&room, &msg_id, &text),
                    Some(who) if self.roster.get(who).is_some() => {
                        chat::private_message(&room, who, &msg_id, &text)
                    }
                    Some(who) => {
                        return Err(Error::InvalidArgument(format!(
                            "no participant {who} in the room"
                        )))
                    }
                };
                self.send(stanza);
                self.reply(id, Ok(()));
            }
            Command::SetAudioMuted(muted) => {
                if self.cfg.presence.audio_muted != muted {
                    self.cfg.presence.audio_muted = muted;
                    self.media(MediaCommand::SetMuted(self.muted()));
                    self.send_presence();
                    self.emit(ConferenceEvent::AudioMutedChanged { muted });
                }
                self.reply(id, Ok(()));
            }
            Command::SetVideoMuted(muted) => {
                if self.cfg.presence.audio_only && !muted {
                    return Err(Error::InvalidArgument(
                        "video cannot be unmuted in an audio-only meeting".into(),
                    ));
                }
                if self.cfg.presence.video_muted != muted {
                    self.cfg.presence.video_muted = muted;
                    self.media(MediaCommand::SetMuted(self.muted()));
                    self.send_presence();
                    self.emit(ConferenceEvent::VideoMutedChanged { muted });
                }
                self.reply(id, Ok(()));
            }
            Command::SetHandRaised(raised) => {
                if self.cfg.presence.hand_raised_at.is_some() != raised {
                    self.cfg.presence.hand_raised_at = raised.then(unix_ms);
                    self.cfg.presence.hand_ever_raised |= raised;
                    self.send_presence();
                    self.emit(ConferenceEvent::HandRaisedChanged { raised });
                }
                self.reply(id, Ok(()));
            }
            Command::SetSubject(subject) => {
                self.require_moderator()?;
                self.send(chat::subject_message(&room, &subject));
                self.reply(id, Ok(()));
            }
            Command::SetPassword(password) => {
                self.require_moderator()?;
                let iq_id = self.track_admin(Some(id), now);
                self.send(admin::set_password(&iq_id, &room, password.as_deref()));
                self.password_change = Some((iq_id, password));
            }
            Command::SetLobbyEnabled(enabled) => {
                self.require_moderator()?;
                if enabled {
                    let jids: Vec<Jid> = self.roster.real_jids().cloned().collect();
                    if !jids.is_empty() {
                        let iq_id = self.track_admin(None, now);
                        self.send(admin::grant_membership(&iq_id, &room, &jids));
                    }
                }
                let iq_id = self.track_admin(Some(id), now);
                self.send(admin::set_members_only(&iq_id, &room, enabled));
            }
            Command::Kick(who) => {
                self.require_moderator()?;
                self.require_participant(&who)?;
                let iq_id = self.track_admin(Some(id), now);
                self.send(admin::kick(&iq_id, &room, &who));
            }
            Command::GrantModerator(who) => {
                self.require_moderator()?;
                self.require_participant(&who)?;
                let jid = self.roster.real_jid(&who).cloned().ok_or_else(|| {
                    Error::Refused(format!("the room does not reveal {who}'s address"))
                })?;
                let iq_id = self.track_admin(Some(id), now);
                self.send(admin::grant_owner(&iq_id, &room, &jid));
            }
            Command::StartRecording(request) => {
                self.require_moderator()?;
                let focus = self.focus_occupant()?;
                let iq_id = self
                    .iqs
                    .track(IqPurpose::Recording(id), now, self.cfg.timeouts.iq);
                self.send(recording::start(&iq_id, &focus, &request));
            }
            Command::StopRecording => {
                self.require_moderator()?;
                let focus = self.focus_occupant()?;
                let mode = self
                    .recording
                    .as_ref()
                    .and_then(|r| r.mode)
                    .unwrap_or(RecordingMode::File);
                let iq_id = self
                    .iqs
                    .track(IqPurpose::Recording(id), now, self.cfg.timeouts.iq);
                self.send(recording::stop(&iq_id, &focus, mode));
            }
            Command::SetReceiverConstraints(constraints) => {
                self.set_receiver_constraints(constraints);
                self.reply(id, Ok(()));
            }
            Command::StartScreenShare => {
                self.start_screen_share()?;
                self.reply(id, Ok(()));
            }
            Command::StopScreenShare => {
                self.stop_screen_share();
                self.reply(id, Ok(()));
            }
            Command::SendEndpointMessage { to, json } => {
                self.send_endpoint_message(id, to, &json)?;
            }
            Command::Leave | Command::NetworkChanged => unreachable!("handled before"),
        }
        Ok(())
    }

    /// Jibri requests go to the focus as a room occupant, which is how Jicofo checks the sender.
    fn focus_occupant(&self) -> Result<Jid, Error> {
        self.roster
            .focus_nick()
            .map(|nick| self.cfg.room.with_resource(nick.as_str()))
            .ok_or_else(|| Error::Refused("the conference focus is not in the room".into()))
    }

    fn require_moderator(&self) -> Result<(), Error> {
        match self.roster.self_role() {
            Some(Role::Moderator) => Ok(()),
            _ => Err(Error::NotModerator),
        }
    }

    fn require_participant(&self, who: &EndpointId) -> Result<(), Error> {
        self.roster
            .get(who)
            .map(|_| ())
            .ok_or_else(|| Error::InvalidArgument(format!("no participant {who} in the room")))
    }

    fn track_admin(&mut self, reply: Option<ReplyId>, now: Instant) -> String {
        self.iqs
            .track(IqPurpose::Admin(reply), now, self.cfg.timeouts.iq)
    }

    fn leave(&mut self, id: ReplyId, now: Instant) {
        self.leave_replies.push(id);
        if self.link_down {
            // Nobody to tell: the room drops us when the server's session goes.
            return self.end(TerminationReason::HungUp, None);
        }
        match self.phase {
            Phase::Leaving { .. } => {}
            Phase::Joined | Phase::Joining { .. } => {
                self.send_unavailable();
                self.phase = Phase::Leaving {
                    give_up_at: now + LEAVE_TIMEOUT,
                };
            }
            _ => self.end(TerminationReason::HungUp, None),
        }
    }

    fn handle_iq(&mut self, el: &Element, now: Instant) {
        if let Some((purpose, outcome)) = self.iqs.resolve(el) {
            return self.on_iq_outcome(purpose, outcome, el, now);
        }
        let kind = el.get_attr("type").unwrap_or("");
        if !matches!(kind, "get" | "set") {
            return;
        }
        let child = el.children().next();
        match child.map(|c| (c.name(), c.ns())) {
            Some(("query", ns::DISCO_INFO)) if kind == "get" => {
                self.send(caps::disco_info_result(el))
            }
            Some(("ping", ns::PING)) => self.send(result_for(el)),
            Some(("mute", ns::JITMEET_AUDIO)) if kind == "set" => self.muted_by_focus(el, true),
            Some(("mute", ns::JITMEET_VIDEO)) if kind == "set" => self.muted_by_focus(el, false),
            Some(("jingle", ns::JINGLE)) if kind == "set" => {
                if let Some(jingle) = child {
                    self.handle_jingle(el, jingle, now);
                }
            }
            _ => self.send(error_reply(el, "cancel", "service-unavailable")),
        }
    }

    /// The focus relays a moderator's mute; lib-jitsi-meet honours it only from the focus occupant
    /// and only for "true", and sends no result.
    fn muted_by_focus(&mut self, el: &Element, audio: bool) {
        let focus = self
            .roster
            .focus_nick()
            .map(|nick| self.cfg.room.with_resource(nick.as_str()).to_string());
        if focus.is_none() || el.get_attr("from").map(str::to_string) != focus {
            return;
        }
        let mute = el.children().next().map(|m| m.text_content());
        if mute.as_deref().map(str::trim) != Some("true") {
            return;
        }
        let changed = if audio {
            !std::mem::replace(&mut self.cfg.presence.audio_muted, true)
        } else {
            !std::mem::replace(&mut self.cfg.presence.video_muted, true)
        };
        if changed {
            self.media(MediaCommand::SetMuted(self.muted()));
            self.send_presence();
            self.emit(if audio {
                ConferenceEvent::AudioMutedChanged { muted: true }
            } else {
                ConferenceEvent::VideoMutedChanged { muted: true }
            });
        }
    }

    fn on_iq_outcome(
        &mut self,
        purpose: IqPurpose,
        outcome: IqOutcome,
        el: &Element,
        now: Instant,
    ) {
        match purpose {
            IqPurpose::Conference => {
                if let Some(err) = focus::reservation_error(el) {
                    return self.fail_join(err);
                }
                match focus::parse_reply(outcome) {
                    Ok(FocusReply::Ready { focus_jid }) => {
                        if let Some(jid) = focus_jid {
                            self.roster.add_focus_jid(&jid);
                        }
                        self.join_room(now);
                    }
                    // After a server restart the focus may not have reconnected its component
                    // yet when we are back: a rejoin asks again, within its deadline, as for a
                    // focus that is not ready.
                    Err(Error::FocusUnavailable(why)) if self.rejoining => {
                        log::info!("the focus is not there yet ({why}); asking again");
                        self.retry_conference_request(now);
                    }
                    Ok(FocusReply::NotReady) => self.retry_conference_request(now),
                    Err(e) => self.fail_join(e),
                }
            }
            IqPurpose::Ping => self.pinger.on_pong(),
            IqPurpose::Probe => log::debug!("the server answered the network-change probe"),
            IqPurpose::Jingle => {
                if let IqOutcome::Error(e) = outcome {
                    log::warn!("the peer refused a Jingle request: {}", e.condition);
                }
            }
            IqPurpose::IceServers(version) => match outcome {
                IqOutcome::Result(result) => {
                    let servers = extdisco::parse(&result);
                    log::info!("the server offers {} STUN/TURN servers", servers.len());
                    self.use_ice_servers(servers);
                }
                IqOutcome::Error(_) => self.no_ice_servers(version, now),
            },
            IqPurpose::BridgeRestart => {
                if let IqOutcome::Error(e) = outcome {
                    log::warn!("the focus refused a new bridge session: {}", e.condition);
                    self.bridge_restart_refused(&e.condition, now);
                }
            }
            IqPurpose::IceRestart { sid } => {
                let refused = match &outcome {
                    IqOutcome::Error(e) => Some(e),
                    IqOutcome::Result(_) => None,
                };
                self.on_ice_restart_answer(&sid, refused, now);
            }
            IqPurpose::Recording(reply) => {
                let result = match outcome {
                    IqOutcome::Result(_) => Ok(()),
                    IqOutcome::Error(e) => Err(recording::request_error(e)),
                };
                self.reply(reply, result);
            }
            IqPurpose::Admin(reply) => {
                let result = match outcome {
                    IqOutcome::Result(_) => Ok(()),
                    IqOutcome::Error(e) => Err(admin_error(e)),
                };
                let id = el.get_attr("id");
                if let Some((_, password)) = self
                    .password_change
                    .take_if(|(pending, _)| Some(pending.as_str()) == id)
                {
                    if result.is_ok() {
                        // A rejoin must unlock the room we locked ourselves.
                        self.cfg.password = password;
                    }
                }
                match reply {
                    Some(id) => self.reply(id, result),
                    None => {
                        if let Err(e) = result {
                            self.emit_error(&e);
                        }
                    }
                }
            }
        }
    }

    fn handle_presence(&mut self, el: &Element, now: Instant) {
        self.recording_status_from(el);
        let Some(parsed) = presence::parse(el, &self.cfg.room) else {
            return;
        };
        match parsed {
            RoomPresence::Error { error, lobby_room } => {
                let err = join_error(&error, lobby_room, self.cfg.password.is_some());
                if let Error::LobbyRequired { lobby_room } = &err {
                    self.emit(ConferenceEvent::LobbyEntered {
                        lobby_room: lobby_room.clone(),
                    });
                }
                if matches!(self.phase, Phase::Joining { .. }) {
                    self.fail_join(err);
                } else {
                    self.emit_error(&err);
                }
            }
            RoomPresence::Occupant(p) => {
                for change in self.roster.apply(&p) {
                    self.on_roster_change(change, now);
                }
            }
        }
    }

    fn on_roster_change(&mut self, change: RosterChange, now: Instant) {
        match change {
            RosterChange::SelfJoined { role } => {
                if !matches!(self.phase, Phase::Joining { .. }) {
                    return;
                }
                self.phase = Phase::Joined;
                if std::mem::take(&mut self.rejoining) {
                    // Also when the connection was lost before the first join completed.
                    self.emit(ConferenceEvent::ConnectionStateChanged {
                        state: ConnectionState::Connected,
                    });
                    self.out.push_back(Output::Rejoined);
                }
                if self.ever_joined {
                    if self.role_before_rejoin.take() != Some(role) {
                        self.emit(ConferenceEvent::RoleChanged { role });
                    }
                } else {
                    self.ever_joined = true;
                    self.emit(ConferenceEvent::ConferenceJoined {
                        room: self.cfg.room_name.clone(),
                        endpoint_id: self.cfg.presence.endpoint_id.clone(),
                        role,
                    });
                    self.out.push_back(Output::Joined);
                }
                for early in std::mem::take(&mut self.early) {
                    self.on_roster_change(early, now);
                }
                for gone in self.roster.end_resync() {
                    self.on_roster_change(gone, now);
                }
                self.maybe_set_subject();
                for message in std::mem::take(&mut self.resend) {
                    self.send(message);
                }
                self.run_queued(now);
                self.update_p2p(false);
            }
            RosterChange::SelfRoleChanged { role } => {
                self.emit(ConferenceEvent::RoleChanged { role });
                self.maybe_set_subject();
            }
            RosterChange::SelfLeft { .. }
                if matches!(self.phase, Phase::LeavingToRejoin { .. }) =>
            {
                self.rejoin(now, Vec::new());
            }
            RosterChange::SelfLeft {
                statuses,
                destroyed,
            } => {
                let reason = if matches!(self.phase, Phase::Leaving { .. }) {
                    TerminationReason::HungUp
                } else if statuses.contains(&307) {
                    TerminationReason::Kicked
                } else if destroyed {
                    TerminationReason::RoomDestroyed
                } else {
                    TerminationReason::ConnectionLost
                };
                let error = match reason {
                    TerminationReason::HungUp => None,
                    TerminationReason::Kicked => Some(Error::Refused(
                        "a moderator removed you from the room".into(),
                    )),
                    TerminationReason::RoomDestroyed => {
                        Some(Error::Refused("the room was closed".into()))
                    }
                    _ => Some(Error::ConnectionLost("the room removed us".into())),
                };
                self.end(reason, error);
            }
            other if matches!(self.phase, Phase::Joining { .. }) => self.defer(other),
            RosterChange::Joined(participant) => {
                self.emit(ConferenceEvent::ParticipantJoined { participant });
                self.update_p2p(false);
                self.update_bridge_alone();
            }
            RosterChange::Updated(participant) => {
                self.emit(ConferenceEvent::ParticipantUpdated { participant });
                self.update_p2p(false);
            }
            RosterChange::Left {
                endpoint_id,
                display_name,
            } => {
                self.emit(ConferenceEvent::ParticipantLeft {
                    endpoint_id,
                    display_name,
                });
                self.update_p2p_after_leave(now);
                self.update_bridge_alone();
            }
            RosterChange::FocusLeft => self.emit(ConferenceEvent::Error {
                error: "focus_left".into(),
                message: "the conference focus left the room".into(),
            }),
        }
    }

    /// Holds a roster change until our join is confirmed, folded into what is already held for
    /// the same participant: however many presences the room relays meanwhile, at most a leave
    /// and a join (or an update) wait for each.
    fn defer(&mut self, change: RosterChange) {
        let subject = |c: &RosterChange| match c {
            RosterChange::Joined(p) | RosterChange::Updated(p) => Some(p.endpoint_id.clone()),
            RosterChange::Left { endpoint_id, .. } => Some(endpoint_id.clone()),
            _ => None,
        };
        let id = subject(&change);
        let held = match &id {
            Some(id) => self
                .early
                .iter()
                .rposition(|c| subject(c).as_ref() == Some(id)),
            None => self.early.iter().position(|c| *c == change),
        };
        let Some(i) = held else {
            return self.early.push(change);
        };
        match (&self.early[i], change) {
            (RosterChange::Joined(_), RosterChange::Updated(p)) => {
                self.early[i] = RosterChange::Joined(p)
            }
            // The app never learns of someone who came and went before it was told anything.
            (RosterChange::Joined(_), RosterChange::Left { .. }) => {
                self.early.remove(i);
            }
            (
                RosterChange::Updated(_),
                later @ (RosterChange::Updated(_) | RosterChange::Left { .. }),
            ) => self.early[i] = later,
            (_, RosterChange::FocusLeft) => {}
            (_, other) => self.early.push(other),
        }
    }

    /// Only the focus speaks for Jibri; the same extension from anyone else is ignored.
    fn recording_status_from(&mut self, el: &Element) {
        let from_focus = self
            .focus_occupant()
            .ok()
            .is_some_and(|focus| el.get_attr("from").and_then(Jid::parse).as_ref() == Some(&focus));
        if !from_focus {
            return;
        }
        let Some(state) = recording::status_in(el) else {
            return;
        };
        if self.recording.as_ref() != Some(&state) {
            self.recording = Some(state.clone());
            self.emit(ConferenceEvent::RecordingStatusChanged { recording: state });
        }
    }

    /// The subject option applies once we may set it: the focus makes the first participant a
    /// moderator just after the join.
    fn maybe_set_subject(&mut self) {
        if self.roster.self_role() == Some(Role::Moderator) {
            if let Some(subject) = self.cfg.subject.take() {
                self.send(chat::subject_message(&self.cfg.room, &subject));
            }
        }
    }

    fn handle_message(&mut self, el: &Element) {
        let me = self.cfg.presence.endpoint_id.clone();
        let key = el
            .get_attr("from")
            .and_then(Jid::parse)
            .zip(el.get_attr("id"))
            .map(|(from, id)| self.seen_key(&from, id));
        if let Some(key) = key {
            if self.seen.contains(&key) {
                // The room's history replay after a rejoin: delivered before.
                return;
            }
            if self.seen.len() == SEEN_MESSAGES {
                self.seen.pop_front();
            }
            self.seen.push_back(key);
        }
        match chat::parse(el, &self.cfg.room, &me, unix_ms()) {
            Some(chat::RoomMessage::Chat(mut message)) => {
                message.from_name = self
                    .roster
                    .get(&message.from)
                    .and_then(|p| p.display_name.clone());
                self.emit(ConferenceEvent::ChatMessageReceived { message });
            }
            Some(chat::RoomMessage::Subject(subject)) => {
                self.emit(ConferenceEvent::SubjectChanged { subject })
            }
            Some(chat::RoomMessage::Error(e)) => self.emit_error(&admin_error(e)),
            None => {}
        }
    }

    fn retry_conference_request(&mut self, now: Instant) {
        if let Phase::RequestingFocus {
            attempt, retry_at, ..
        } = &mut self.phase
        {
            *retry_at = Some(now + focus::retry_delay(*attempt));
            *attempt += 1;
        }
    }

    fn send_conference_request(&mut self, now: Instant) {
        let id = self
            .iqs
            .track(IqPurpose::Conference, now, self.cfg.timeouts.focus);
        let request = self.cfg.request.to_iq(&id, &self.cfg.focus);
        if let Phase::RequestingFocus { retry_at, .. } = &mut self.phase {
            *retry_at = None;
        }
        self.send(request);
    }

    /// lib-jitsi-meet's `getStunAndTurnCredentials`, once logged in: `extdisco:2`, then
    /// `extdisco:1` when that fails. P2P sessions opened before the answer go without.
    fn ask_for_ice_servers(&mut self, version: &'static str, now: Instant) {
        let id = self
            .iqs
            .track(IqPurpose::IceServers(version), now, self.cfg.timeouts.iq);
        self.send(extdisco::query(&id, &self.cfg.domain, version));
    }

    fn no_ice_servers(&mut self, version: &'static str, now: Instant) {
        if version == extdisco::V2 {
            return self.ask_for_ice_servers(extdisco::V1, now);
        }
        log::info!("the server offers no STUN/TURN servers");
        self.use_ice_servers(Vec::new());
    }

    fn use_ice_servers(&mut self, servers: Vec<omni_jitsi_media::session::IceServer>) {
        let relay_only = self.cfg.p2p.relay_only;
        if relay_only && !servers.iter().any(|s| s.url.starts_with("turn")) {
            log::warn!(
                "P2P is set to go through a TURN relay only, and the server offers none: \
                 media will go through the bridge"
            );
        }
        self.media(MediaCommand::SetP2pIce {
            servers,
            relay_only,
        });
    }

    fn join_room(&mut self, now: Instant) {
        self.phase = Phase::Joining {
            give_up_at: now + self.cfg.timeouts.muc_join,
        };
        let join = self
            .cfg
            .presence
            .to_element(&self.occupant(), Some(self.cfg.password.as_deref()));
        self.send(join);
    }

    /// Leaves the room: the room answers with our own unavailable presence.
    fn send_unavailable(&mut self) {
        let occupant = self.occupant();
        self.send(
            Element::new("presence", ns::CLIENT)
                .attr("to", occupant.to_string())
                .attr("type", "unavailable"),
        );
    }

    fn send_presence(&mut self) {
        let p = self.cfg.presence.to_element(&self.occupant(), None);
        self.send(p);
    }

    fn occupant(&self) -> Jid {
        self.cfg
            .room
            .with_resource(self.cfg.presence.endpoint_id.as_str())
    }

    fn message_id(&mut self) -> String {
        self.next_msg_id += 1;
        format!("{}-m{}", self.cfg.presence.endpoint_id, self.next_msg_id)
    }

    fn ping_failed(&mut self) {
        if self.pinger.on_failure() {
            self.out.push_back(Output::ConnectionBroken(
                "the server stopped answering pings".into(),
            ));
        }
    }

    fn probe(&mut self, now: Instant) {
        let id = self.iqs.track(IqPurpose::Probe, now, PROBE_TIMEOUT);
        self.send(iq("get", &id, &self.cfg.domain).child(Element::new("ping", ns::PING)));
    }

    fn fail_join(&mut self, error: Error) {
        if self.ever_joined {
            // The rejoin after a lost session failed: to the app the meeting was lost.
            return self.end(TerminationReason::ConnectionLost, Some(error));
        }
        self.end(TerminationReason::JoinFailed, Some(error));
    }

    fn end(&mut self, reason: TerminationReason, error: Option<Error>) {
        if self.is_ended() {
            return;
        }
        self.phase = Phase::Ended;
        self.close_media_sessions();
        for purpose in self.iqs.drain().collect::<Vec<_>>() {
            if let IqPurpose::Admin(Some(id)) = purpose {
                self.out
                    .push_back(Output::Reply(id, Err(Error::MeetingEnded)));
            }
        }
        self.emit(ConferenceEvent::ConferenceTerminated {
            reason,
            error: error.as_ref().map(|e| e.kind().to_string()),
            message: error.as_ref().map(ToString::to_string),
        });
        for id in std::mem::take(&mut self.leave_replies) {
            self.out.push_back(Output::Reply(id, Ok(())));
        }
        for (id, _) in std::mem::take(&mut self.queued) {
            let why = error.clone().unwrap_or(Error::MeetingEnded);
            self.out.push_back(Output::Reply(id, Err(why)));
        }
        self.out.push_back(Output::Ended { reason, error });
    }

    fn media(&mut self, command: MediaCommand) {
        self.out.push_back(Output::Media(command));
    }

    fn muted(&self) -> Muted {
        Muted {
            audio: self.cfg.presence.audio_muted,
            video: self.cfg.presence.video_muted,
        }
    }

    fn send(&mut self, el: Element) {
        self.out.push_back(Output::Send(el));
    }

    fn emit(&mut self, event: ConferenceEvent) {
        self.out.push_back(Output::Event(event));
    }

    fn emit_error(&mut self, error: &Error) {
        self.emit(ConferenceEvent::Error {
            error: error.kind().to_string(),
            message: error.to_string(),
        });
    }

    fn reply(&mut self, id: ReplyId, result: Result<(), Error>) {
        self.out.push_back(Output::Reply(id, result));
    }
}

fn result_for(request: &Element) -> Element {
    let mut reply = Element::new("iq", ns::CLIENT).attr("type", "result");
    if let Some(id) = request.get_attr("id") {
        reply.set_attr("id", id);
    }
    if let Some(from) = request.get_attr("from") {
        reply.set_attr("to", from);
    }
    reply
}

fn join_error(error: &StanzaError, lobby_room: Option<String>, had_password: bool) -> Error {
    match error.condition.as_str() {
        "not-authorized" if had_password => Error::WrongPassword,
        "not-authorized" => Error::PasswordRequired,
        "registration-required" => Error::LobbyRequired { lobby_room },
        "conflict" => Error::NicknameConflict,
        "service-unavailable" => Error::RoomFull,
        // mod_token_verification: the token's room claim names another room (lib-jitsi-meet's
        // NOT_ALLOWED_ERROR).
        "not-allowed" => Error::NotAuthorized(
            error
                .text
                .clone()
                .unwrap_or_else(|| "the token does not allow this room".into()),
        ),
        "forbidden" => Error::Refused("you are banned from this room".into()),
        "not-acceptable" => Error::Refused(
            error
                .text
                .clone()
                .unwrap_or_else(|| "the room requires a display name".into()),
        ),
        other => Error::Refused(format!("the room refused the join ({other})")),
    }
}

fn admin_error(error: StanzaError) -> Error {
    match error.condition.as_str() {
        "forbidden" | "not-allowed" | "not-authorized" => Error::NotModerator,
        other => Error::Refused(match error.text {
            Some(text) => format!("{other}: {text}"),
            None => other.to_string(),
        }),
    }
}

mod bridge;
#[cfg(test)]
mod bridge_tests;
mod ice_restart;
#[cfg(test)]
mod ice_restart_tests;
mod media;
#[cfg(test)]
mod p2p_tests;
#[cfg(test)]
mod rejoin_tests;
#[cfg(test)]
mod tests;
