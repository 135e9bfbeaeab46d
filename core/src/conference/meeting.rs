//! The app's handle on a meeting. Cheap to clone; every call is a message to the conference task,
//! which alone owns the state.

use std::time::Instant;

use tokio::sync::{mpsc, oneshot, watch};

use omni_jitsi_media::audio::{AudioFrame, RemoteAudio};
use omni_jitsi_media::video::VideoFrame;
use omni_jitsi_media::MediaError;
use tokio::sync::broadcast;

use super::driver::{open_session, CommandMsg, Driver, EventSink, Session};
use super::media_engine::{MediaEngine, MediaHandles, RemoteVideoFrame};
use super::p2p::P2pPolicy;
use super::state::{Command, Conference, ConferenceConfig, LocalSsrcs};
use crate::bridge::{ReceiverVideoConstraints, VideoConstraints};
use crate::error::Error;
use crate::events::{ConferenceEvent, ConnectionState, Participant, TerminationReason};
use crate::focus::ConferenceRequest;
use crate::jid::{EndpointId, Jid};
use crate::muc::presence::LocalPresence;
use crate::options::MeetingOptions;
use crate::recording::RecordingRequest;
use crate::redact;
use crate::room_name::RoomName;
use crate::server;
use crate::transport::websocket::XmppSocket;
use crate::transport::Policy;
use crate::xmpp::negotiation::Established;
use crate::xmpp::sm::StreamManagement;

/// What the app wants the bridge to forward; see `Meeting::set_receiver_constraints`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverConstraints {
    pub last_n: Option<i32>,
    pub selected_sources: Vec<String>,
    pub max_height: Option<u32>,
}

#[derive(Clone)]
pub struct Meeting {
    endpoint_id: EndpointId,
    room: String,
    commands: mpsc::UnboundedSender<CommandMsg>,
    participants: watch::Receiver<Vec<Participant>>,
    media: MediaHandles,
}

impl std::fmt::Debug for Meeting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Meeting")
            .field("room", &self.room)
            .field("endpoint_id", &self.endpoint_id)
            .field("ended", &self.commands.is_closed())
            .finish()
    }
}

/// Joins a conference. Events go to `events` from the first `ConferenceWillJoin` to the final
/// `ConferenceTerminated`, which is sent on every way out, a failed join included. Resolves once
/// the room has confirmed the join.
pub async fn join(options: MeetingOptions, events: EventSink) -> Result<Meeting, Error> {
    let result = start(options, &events).await;
    if let Err(e) = &result {
        let _ = events.send(ConferenceEvent::ConferenceTerminated {
            reason: TerminationReason::JoinFailed,
            error: Some(e.kind().to_string()),
            message: Some(e.to_string()),
        });
    }
    result
}

async fn start(options: MeetingOptions, events: &EventSink) -> Result<Meeting, Error> {
    let room = RoomName::parse(&options.room)?;
    let _ = events.send(ConferenceEvent::ConferenceWillJoin {
        room: room.to_string(),
    });
    let _ = events.send(ConferenceEvent::ConnectionStateChanged {
        state: ConnectionState::Connecting,
    });
    let deadline = tokio::time::Instant::now() + options.timeouts.connect;
    let policy = Policy::new(
        &options.trusted_certificates,
        options.allow_insecure_transport,
    )?;
    let endpoints =
        server::resolve(&options.server_url, &options.config_overrides, &policy).await?;
    let url = endpoints.websocket_for(&room, options.token.as_deref());
    let mut socket = XmppSocket::connect(&url, options.timeouts.connect, &policy).await?;
    let established = open_session(&mut socket, &endpoints.domain, None, deadline)
        .await
        .map_err(|e| match e {
            Error::InvalidServerUrl { url, reason } if url.is_empty() => Error::InvalidServerUrl {
                url: redact::url(&options.server_url),
                reason,
            },
            e => e,
        })?;
    let (jid, sm, sm_id) = match established {
        Established::Bound {
            jid,
            sm_id,
            sm_enabled,
        } => {
            let sm = if sm_enabled {
                StreamManagement::enabled()
            } else {
                StreamManagement::disabled()
            };
            (jid, sm, sm_id)
        }
        Established::Resumed { .. } => {
            return Err(Error::Protocol(
                "the server resumed a session we did not ask for".into(),
            ))
        }
    };
    log::info!("logged in as {jid}");
    let _ = events.send(ConferenceEvent::ConnectionStateChanged {
        state: ConnectionState::Connected,
    });

    let endpoint_id = options
        .endpoint_id
        .clone()
        .unwrap_or_else(EndpointId::random);
    let room_jid = Jid::new(Some(&room.muc_node()), &endpoints.muc, None);
    let display_name = options
        .display_name
        .clone()
        .filter(|n| !n.trim().is_empty());
    let config = ConferenceConfig {
        room: room_jid.clone(),
        room_name: room.to_string(),
        focus: endpoints.focus.clone(),
        domain: endpoints.domain.clone(),
        presence: LocalPresence {
            stats_id: format!(
                "{}-{endpoint_id}",
                display_name.as_deref().unwrap_or("guest")
            ),
            endpoint_id: endpoint_id.clone(),
            display_name,
            email: options.email.clone(),
            avatar_url: options.avatar_url.clone(),
            audio_muted: options.audio_muted,
            video_muted: options.video_muted || options.audio_only,
            audio_only: options.audio_only,
            hand_raised_at: None,
            hand_ever_raised: false,
            screen_sharing: false,
        },
        password: options.password.clone(),
        subject: options.subject.clone(),
        request: ConferenceRequest {
            room: room_jid,
            machine_uid: machine_uid(),
            token: options.token.clone(),
            start_audio_muted: options.audio_muted,
            start_video_muted: options.video_muted,
        },
        timeouts: options.timeouts,
        local_ssrcs: LocalSsrcs::random(),
        p2p: P2pPolicy::from_overrides(&options.config_overrides),
    };
    let (media, media_handles) = MediaEngine::new(endpoint_id.clone(), config.local_ssrcs);

    let (commands_tx, commands) = mpsc::unbounded_channel();
    let (participants_tx, participants) = watch::channel(Vec::new());
    let (joined_tx, joined_rx) = oneshot::channel();
    let (bridge_events_tx, bridge_events) = mpsc::unbounded_channel();
    let driver = Driver {
        socket,
        session: Session {
            url,
            domain: endpoints.domain.clone(),
            connect_timeout: options.timeouts.connect,
            policy,
            reconnect_within: options.timeouts.reconnect,
            sm_id,
        },
        sm,
        conference: Conference::new(config, Instant::now()),
        media,
        bridge: None,
        bridge_events,
        bridge_events_tx,
        commands,
        events: events.clone(),
        participants: participants_tx,
        joined: Some(joined_tx),
        broken: None,
        reconnect: None,
        replies: std::collections::HashMap::new(),
        next_reply: 0,
        commands_open: true,
    };
    tokio::spawn(driver.run());
    joined_rx
        .await
        .map_err(|_| Error::ConnectionLost("the conference task stopped".into()))??;
    Ok(Meeting {
        endpoint_id,
        room: room.to_string(),
        commands: commands_tx,
        participants,
        media: media_handles,
    })
}

/// A frame racing the session's end is dropped like one sent before it started.
fn media_result(result: Result<(), MediaError>) -> Result<(), Error> {
    match result {
        Ok(()) | Err(MediaError::Closed) => Ok(()),
        Err(e) => Err(media_error(e)),
    }
}

fn media_error(e: MediaError) -> Error {
    match e {
        MediaError::InvalidAudioFrame(_)
        | MediaError::InvalidVideoFrame(_)
        | MediaError::InvalidAccessUnit(_) => Error::InvalidArgument(e.to_string()),
        other => Error::Protocol(format!("media: {other}")),
    }
}

/// lib-jitsi-meet keeps one random id per installation; per process is the closest we get
/// without storage, and jicofo only uses it to correlate a client's requests.
fn machine_uid() -> String {
    static UID: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    UID.get_or_init(|| format!("{:032x}", rand::random::<u128>()))
        .clone()
}

impl Meeting {
    pub fn endpoint_id(&self) -> &EndpointId {
        &self.endpoint_id
    }

    pub fn room(&self) -> &str {
        &self.room
    }

    /// Everyone else in the room (the focus excluded), as of the last presence.
    pub fn participants(&self) -> Vec<Participant> {
        self.participants.borrow().clone()
    }

    async fn call(&self, command: Command) -> Result<(), Error> {
        let (reply, rx) = oneshot::channel();
        self.commands
            .send(CommandMsg { command, reply })
            .map_err(|_| Error::MeetingEnded)?;
        rx.await.map_err(|_| Error::MeetingEnded)?
    }

    /// Sends a chat message to the room, or privately to one participant.
    pub async fn send_chat(&self, text: &str, to: Option<&EndpointId>) -> Result<(), Error> {
        self.call(Command::SendChat {
            text: text.to_string(),
            to: to.cloned(),
        })
        .await
    }

    pub async fn set_audio_muted(&self, muted: bool) -> Result<(), Error> {
        self.call(Command::SetAudioMuted(muted)).await
    }

    pub async fn set_video_muted(&self, muted: bool) -> Result<(), Error> {
        self.call(Command::SetVideoMuted(muted)).await
    }

    pub async fn set_hand_raised(&self, raised: bool) -> Result<(), Error> {
        self.call(Command::SetHandRaised(raised)).await
    }

    /// What the bridge should forward to us: at most `last_n` videos (`None`: the bridge's
    /// default, `-1`: all), these sources first, none taller than `max_height`. Kept for the
    /// whole meeting and sent again whenever the bridge channel (re)opens.
    pub async fn set_receiver_constraints(
        &self,
        constraints: ReceiverConstraints,
    ) -> Result<(), Error> {
        if constraints.last_n.is_some_and(|n| n < -1) {
            return Err(Error::InvalidArgument(
                "last_n is -1 (no limit) or more".into(),
            ));
        }
        let selected =
            (!constraints.selected_sources.is_empty()).then_some(constraints.selected_sources);
        let message = ReceiverVideoConstraints {
            last_n: constraints.last_n,
            on_stage_sources: selected.clone(),
            selected_sources: selected,
            default_constraints: constraints.max_height.map(|h| VideoConstraints {
                max_height: i32::try_from(h).unwrap_or(i32::MAX),
            }),
            constraints: None,
        };
        self.call(Command::SetReceiverConstraints(message)).await
    }

    /// Counters of the session our media goes out on (P2P or bridge): what we sent and
    /// received, keyframes, the video bitrate target. `None` before there is a session.
    pub async fn media_stats(&self) -> Option<omni_jitsi_media::session::SessionStats> {
        let session = self.media.active.borrow().clone();
        Some(session?.stats().await)
    }

    /// Starts sharing the screen: a second video source (`ENDPOINT-v1`, videoType desktop) fed by
    /// `push_screen_frame`, through the bridge (P2P pauses while sharing). Others get
    /// `screen_share_toggled` and the source's pictures.
    pub async fn start_screen_share(&self) -> Result<(), Error> {
        self.call(Command::StartScreenShare).await
    }

    pub async fn stop_screen_share(&self) -> Result<(), Error> {
        self.call(Command::StopScreenShare).await
    }

    /// Sends one screen picture, encoded to H.264 by the SDK; dropped when not sharing.
    pub async fn push_screen_frame(&self, frame: &VideoFrame) -> Result<(), Error> {
        let session = self.media.active.borrow().clone();
        match session {
            Some(s) => media_result(s.send_screen(frame).await),
            // A malformed frame is the app's bug: say so before media is up too (the session
            // checks it otherwise).
            None => frame.validate().map(drop).map_err(media_error),
        }
    }

    /// Sends a JSON text to one participant, or to everyone when `to` is `None`, over the
    /// bridge channel (lib-jitsi-meet's `sendEndpointMessage` / `broadcastEndpointMessage`).
    pub async fn send_endpoint_message(
        &self,
        to: Option<EndpointId>,
        json: &str,
    ) -> Result<(), Error> {
        self.call(Command::SendEndpointMessage {
            to,
            json: json.to_string(),
        })
        .await
    }

    /// Moderators only.
    pub async fn set_subject(&self, subject: &str) -> Result<(), Error> {
        self.call(Command::SetSubject(subject.to_string())).await
    }

    /// Locks the room with a password, or unlocks it with None. Moderators only.
    pub async fn set_room_password(&self, password: Option<&str>) -> Result<(), Error> {
        self.call(Command::SetPassword(password.map(str::to_string)))
            .await
    }

    /// Switches the lobby on or off: newcomers then need a moderator's approval. Moderators only.
    pub async fn set_lobby_enabled(&self, enabled: bool) -> Result<(), Error> {
        self.call(Command::SetLobbyEnabled(enabled)).await
    }

    pub async fn kick(&self, who: &EndpointId) -> Result<(), Error> {
        self.call(Command::Kick(who.clone())).await
    }

    pub async fn grant_moderator(&self, who: &EndpointId) -> Result<(), Error> {
        self.call(Command::GrantModerator(who.clone())).await
    }

    /// Asks the deployment's Jibri to record the room to a file or stream it. Resolves when the
    /// focus accepted (status `pending`); `RecordingStatusChanged` events follow. Moderators only.
    pub async fn start_recording(&self, request: RecordingRequest) -> Result<(), Error> {
        self.call(Command::StartRecording(request)).await
    }

    pub async fn stop_recording(&self) -> Result<(), Error> {
        self.call(Command::StopRecording).await
    }

    /// Sends one 10 or 20 ms frame of 48 kHz PCM from the microphone. Dropped (Ok) while no media
    /// session is connected or while audio is muted.
    pub async fn push_audio(&self, frame: &AudioFrame) -> Result<(), Error> {
        let session = self.media.active.borrow().clone();
        match session {
            Some(s) => media_result(s.send_audio(frame).await),
            // A malformed frame is the app's bug: say so before media is up too (the session
            // checks it otherwise).
            None => frame.validate().map(drop).map_err(media_error),
        }
    }

    /// Sends one camera picture (I420); encoded to H.264 on the calling task. Dropped (Ok) while
    /// no media session is up or while video is muted.
    pub async fn push_video(&self, frame: &VideoFrame) -> Result<(), Error> {
        let session = self.media.active.borrow().clone();
        match session {
            Some(s) => media_result(s.send_video(frame).await),
            // A malformed frame is the app's bug: say so before media is up too (the session
            // checks it otherwise).
            None => frame.validate().map(drop).map_err(media_error),
        }
    }

    /// Sends one H.264 access unit (Annex B, constrained baseline) from a platform encoder.
    pub async fn push_h264(
        &self,
        access_unit: &[u8],
        duration: std::time::Duration,
    ) -> Result<(), Error> {
        let session = self.media.active.borrow().clone();
        match session {
            Some(s) => media_result(s.send_h264(access_unit, duration).await),
            None => Ok(()),
        }
    }

    /// The audio of one remote source (named in `RemoteTrackAdded`), once its first packet
    /// arrived: call `pull(n)` from the audio output callback.
    pub fn remote_audio(&self, source_name: &str) -> Option<RemoteAudio> {
        self.media.audio.borrow().get(source_name).cloned()
    }

    /// Decoded remote pictures of every source, from now on. A receiver that falls behind skips
    /// the oldest pictures (`RecvError::Lagged`).
    pub fn remote_video(&self) -> broadcast::Receiver<RemoteVideoFrame> {
        self.media.video.subscribe()
    }

    /// Resolves when the meeting has ended, whoever ended it.
    pub async fn ended(&self) {
        self.commands.closed().await
    }

    /// The device's network changed (another Wi-Fi, Wi-Fi to cellular, back from no network):
    /// the SDK probes the server at once with a ping that must be answered within 2 s, and
    /// reconnects (resuming, else rejoining) when it is not, instead of waiting up to 20 s for
    /// keepalive to notice. While already reconnecting, the next try starts now. ICE with the
    /// bridge restarts in place at once, gathering on the new network (or, where the focus
    /// cannot restart ICE now, the bridge session is restarted); P2P media is left to its
    /// fallback to the bridge.
    pub async fn network_changed(&self) -> Result<(), Error> {
        self.call(Command::NetworkChanged).await
    }

    /// Leaves the room; resolves once the meeting has ended (`ConferenceTerminated` sent).
    pub async fn hang_up(&self) -> Result<(), Error> {
        self.call(Command::Leave).await
    }
}
