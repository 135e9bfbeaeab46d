//! The driver's half of media: carries out the state machine's `MediaCommand`s on
//! omni-jitsi-media sessions and turns what the sessions report into `MediaInput`s, remote audio
//! handles (pulled by the app) and decoded pictures (broadcast to the app).
//!
//! Decoded media never passes through the conference task: each session's events go to a small
//! forwarding task that files audio handles and publishes pictures directly, and only what the
//! signalling needs (candidates, failures) reaches the state machine.
//!
//! A conference can hold a bridge session and a P2P session at once. As in lib-jitsi-meet, our
//! media goes out on the P2P session while one is open and on the bridge's otherwise, and a
//! remote source's audio is taken from the P2P session when it has it: the peer does the same,
//! so that is where its packets are.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use omni_jitsi_media::audio::RemoteAudio;
use omni_jitsi_media::session::{
    ConnectionState, IceServer, MediaSession, SessionConfig, SessionEvent,
};
use omni_jitsi_media::video::VideoFrame;
use tokio::sync::{broadcast, mpsc, watch};

use super::media_command::{MediaCommand, MediaInput, Muted, Peer};
use super::state::LocalSsrcs;
use crate::jid::EndpointId;

/// Pictures the app has not taken yet are dropped oldest first beyond this many: a late picture
/// is worth less than the next one.
const VIDEO_QUEUE: usize = 8;

/// A decoded picture of one remote video source.
#[derive(Debug, Clone)]
pub struct RemoteVideoFrame {
    pub source_name: String,
    pub frame: Arc<VideoFrame>,
}

/// What the `Meeting` handle reads: the session our media goes out on, and remote media.
#[derive(Clone)]
pub(super) struct MediaHandles {
    pub active: watch::Receiver<Option<Arc<MediaSession>>>,
    pub audio: watch::Receiver<HashMap<String, RemoteAudio>>,
    pub video: broadcast::Sender<RemoteVideoFrame>,
}

pub(super) struct MediaEngine {
    endpoint: EndpointId,
    ssrcs: LocalSsrcs,
    /// Appended to the msid track ids after a rejoin (see `Conference::rejoin`).
    track_suffix: String,
    muted: Muted,
    /// What the bridge last asked of our camera and screen (`SenderSourceConstraints`).
    limits: Limits,
    /// Whether we are sharing the screen.
    sharing: bool,
    p2p_ice_servers: Vec<IceServer>,
    p2p_relay_only: bool,
    /// The P2P path is interrupted: media goes through the bridge meanwhile.
    p2p_suspended: bool,
    sessions: HashMap<String, Session>,
    active: watch::Sender<Option<Arc<MediaSession>>>,
    audio: Arc<AudioRegistry>,
    video: broadcast::Sender<RemoteVideoFrame>,
    inputs_tx: mpsc::UnboundedSender<MediaInput>,
    pub inputs: mpsc::UnboundedReceiver<MediaInput>,
}

struct Session {
    media: Arc<MediaSession>,
    peer: Peer,
}

#[derive(Debug, Clone, Copy, Default)]
struct Limits {
    camera: Option<i32>,
    screen: Option<i32>,
}

/// A bitrate cap for the tallest picture wanted, after lib-jitsi-meet's quality levels (180p
/// low, 360p standard, 720p high): the SDK sends the app's pictures at their size, so the cap is
/// how it spends less when less is wanted.
fn bitrate_cap(max_height: Option<i32>) -> Option<u32> {
    match max_height? {
        h if h <= 180 => Some(200_000),
        h if h <= 360 => Some(500_000),
        h if h <= 720 => Some(1_500_000),
        _ => None,
    }
}

/// Every session's remote audio handles, and the view of them the app reads: one handle per
/// source name that is in the conference, the P2P session's when it has one.
///
/// A source that leaves keeps its handle, out of the view: webrtc-rs opens a remote track once
/// per msid and session and never ends it, so when the source comes back (a browser back on
/// the bridge after P2P, with the same SSRCs and msid) its packets reach the same handle again,
/// and no new one would ever be announced.
struct AudioRegistry {
    by_session: Mutex<HashMap<String, HashMap<String, RemoteAudio>>>,
    preferred: Mutex<Option<String>>,
    /// Sources announced as removed and not added back since.
    gone: Mutex<HashSet<String>>,
    published: watch::Sender<HashMap<String, RemoteAudio>>,
}

impl AudioRegistry {
    fn insert(&self, sid: &str, name: String, audio: RemoteAudio) {
        lock(&self.by_session)
            .entry(sid.to_string())
            .or_default()
            .insert(name, audio);
        self.publish();
    }

    fn remove_session(&self, sid: &str) {
        lock(&self.by_session).remove(sid);
        self.publish();
    }

    fn source_gone(&self, name: &str, gone: bool) {
        let changed = if gone {
            lock(&self.gone).insert(name.to_string())
        } else {
            lock(&self.gone).remove(name)
        };
        if changed {
            self.publish();
        }
    }

    fn prefer(&self, sid: Option<String>) {
        *lock(&self.preferred) = sid;
        self.publish();
    }

    fn publish(&self) {
        let preferred = lock(&self.preferred).clone();
        let gone = lock(&self.gone).clone();
        let sessions = lock(&self.by_session);
        let mut view: HashMap<String, RemoteAudio> = HashMap::new();
        for (sid, handles) in sessions.iter() {
            let wins = preferred.as_deref() == Some(sid.as_str());
            for (name, audio) in handles.iter().filter(|(name, _)| !gone.contains(*name)) {
                if wins || !view.contains_key(name) {
                    view.insert(name.clone(), audio.clone());
                }
            }
        }
        self.published.send_replace(view);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl MediaEngine {
    pub fn new(endpoint: EndpointId, ssrcs: LocalSsrcs) -> (MediaEngine, MediaHandles) {
        let (active, active_rx) = watch::channel(None);
        let (audio, audio_rx) = watch::channel(HashMap::new());
        let (video, _) = broadcast::channel(VIDEO_QUEUE);
        let (inputs_tx, inputs) = mpsc::unbounded_channel();
        let handles = MediaHandles {
            active: active_rx,
            audio: audio_rx,
            video: video.clone(),
        };
        let engine = MediaEngine {
            endpoint,
            ssrcs,
            track_suffix: String::new(),
            muted: Muted::default(),
            limits: Limits::default(),
            sharing: false,
            p2p_ice_servers: Vec::new(),
            p2p_relay_only: false,
            p2p_suspended: false,
            sessions: HashMap::new(),
            active,
            audio: Arc::new(AudioRegistry {
                by_session: Mutex::new(HashMap::new()),
                preferred: Mutex::new(None),
                gone: Mutex::new(HashSet::new()),
                published: audio,
            }),
            video,
            inputs_tx,
            inputs,
        };
        (engine, handles)
    }

    /// Carries out one command; the result the state machine must hear at once, if any.
    pub async fn execute(&mut self, command: MediaCommand) -> Option<MediaInput> {
        let sid = match &command {
            MediaCommand::Offer { sid, .. }
            | MediaCommand::Answer { sid, .. }
            | MediaCommand::SetAnswer { sid, .. }
            | MediaCommand::Renegotiate { sid, .. }
            | MediaCommand::RestartIce { sid, .. }
            | MediaCommand::AddCandidate { sid, .. }
            | MediaCommand::NameSources { sid, .. }
            | MediaCommand::StartScreen { sid, .. }
            | MediaCommand::StopScreen { sid }
            | MediaCommand::Close { sid } => Some(sid.clone()),
            MediaCommand::SetMuted(_)
            | MediaCommand::SetP2pIce { .. }
            | MediaCommand::SuspendP2p(_)
            | MediaCommand::SetLocalIdentity { .. }
            | MediaCommand::LimitVideo { .. } => None,
        };
        match self.run(command).await {
            Ok(input) => input,
            Err(reason) => sid.map(|sid| MediaInput::Failed { sid, reason }),
        }
    }

    async fn run(&mut self, command: MediaCommand) -> Result<Option<MediaInput>, String> {
        match command {
            MediaCommand::Offer { sid, muted } => {
                self.muted = muted;
                let media = self.open(&sid, Peer::P2p).await?;
                let sdp = media.create_offer().await.map_err(|e| e.to_string())?;
                Ok(Some(MediaInput::LocalDescription { sid, sdp }))
            }
            MediaCommand::Answer {
                sid,
                peer,
                offer,
                remote_names,
                muted,
            } => {
                self.muted = muted;
                let media = self.open(&sid, peer).await?;
                self.name(&sid, &remote_names);
                let sdp = media
                    .accept_offer(&offer)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Some(MediaInput::LocalDescription { sid, sdp }))
            }
            MediaCommand::SetAnswer {
                sid,
                answer,
                remote_names,
            } => {
                self.name(&sid, &remote_names);
                let media = self.session(&sid)?;
                media.set_answer(&answer).await.map_err(|e| e.to_string())?;
                Ok(None)
            }
            MediaCommand::Renegotiate {
                sid,
                offer,
                remote_names,
            } => {
                self.name(&sid, &remote_names);
                let media = self.session(&sid)?;
                media
                    .accept_offer(&offer)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(None)
            }
            MediaCommand::RestartIce { sid, offer } => {
                let media = self.session(&sid)?;
                let sdp = media
                    .accept_offer(&offer)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(Some(MediaInput::IceRestarted { sid, sdp }))
            }
            MediaCommand::AddCandidate { sid, candidate } => {
                let media = self.session(&sid)?;
                if let Err(e) = media.add_remote_candidate(&candidate).await {
                    // One bad candidate from the peer does not end the session.
                    log::warn!("ignoring a remote candidate: {e}");
                }
                Ok(None)
            }
            MediaCommand::NameSources { sid, names } => {
                self.name(&sid, &names);
                Ok(None)
            }
            MediaCommand::SetLocalIdentity {
                ssrcs,
                track_suffix,
            } => {
                self.ssrcs = ssrcs;
                self.track_suffix = track_suffix;
                Ok(None)
            }
            MediaCommand::SetP2pIce {
                servers,
                relay_only,
            } => {
                self.p2p_ice_servers = servers;
                self.p2p_relay_only = relay_only;
                Ok(None)
            }
            MediaCommand::SuspendP2p(suspended) => {
                self.p2p_suspended = suspended;
                self.choose_active();
                Ok(None)
            }
            MediaCommand::SetMuted(muted) => {
                self.muted = muted;
                for s in self.sessions.values() {
                    self.apply(s);
                }
                Ok(None)
            }
            MediaCommand::LimitVideo { screen, max_height } => {
                if screen {
                    self.limits.screen = Some(max_height);
                } else {
                    self.limits.camera = Some(max_height);
                }
                for s in self.sessions.values() {
                    self.apply(s);
                }
                Ok(None)
            }
            MediaCommand::StartScreen { sid, offer } => {
                let media = self.session(&sid)?;
                media.add_screen_track().await.map_err(|e| e.to_string())?;
                if let Some(offer) = offer {
                    media
                        .accept_offer(&offer)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                self.sharing = true;
                self.apply_to(&sid);
                Ok(None)
            }
            MediaCommand::StopScreen { sid } => {
                self.sharing = false;
                self.apply_to(&sid);
                Ok(None)
            }
            MediaCommand::Close { sid } => {
                self.close(&sid).await;
                Ok(None)
            }
        }
    }

    async fn open(&mut self, sid: &str, peer: Peer) -> Result<Arc<MediaSession>, String> {
        let me = self.endpoint.as_str();
        log::debug!("{me} opens a {peer:?} media session {sid}");
        let mut config = SessionConfig::new(me);
        config.audio_ssrc = self.ssrcs.audio;
        config.video_ssrc = self.ssrcs.video;
        config.screen_ssrc = self.ssrcs.screen;
        // Matches the msid `LocalSource`s announce in Jingle.
        config.stream_id = format!("{me}-stream");
        let suffix = &self.track_suffix;
        config.audio_track_id = format!("{me}-a0{suffix}");
        config.video_track_id = format!("{me}-v0{suffix}");
        config.screen_track_id = format!("{me}-v1{suffix}");
        // lib-jitsi-meet gives the bridge TURN over TCP only (`useTurnUdp` off), which webrtc
        // cannot use: the bridge is reached directly.
        if peer == Peer::P2p {
            self.p2p_suspended = false;
            config.ice_servers.clone_from(&self.p2p_ice_servers);
            config.relay_only = self.p2p_relay_only;
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        let media = Arc::new(
            MediaSession::new(config, events_tx)
                .await
                .map_err(|e| e.to_string())?,
        );
        tokio::spawn(forward(
            sid.to_string(),
            events,
            Forwarding {
                inputs: self.inputs_tx.clone(),
                audio: self.audio.clone(),
                video: self.video.clone(),
            },
        ));
        let session = Session {
            media: media.clone(),
            peer,
        };
        self.apply(&session);
        self.sessions.insert(sid.to_string(), session);
        self.choose_active();
        Ok(media)
    }

    /// The P2P session when there is one (and its path is not interrupted while there is a
    /// bridge session), else the bridge's. Chosen as soon as a session opens rather than on
    /// Connected: webrtc drops what comes before DTLS is up (with a warning), and waiting for the
    /// Connected event measured 160 ms slower to first audio (`cargo xtask bench`).
    fn choose_active(&mut self) {
        let find = |peer: Peer| self.sessions.iter().find(|(_, s)| s.peer == peer);
        let pick = if self.p2p_suspended {
            find(Peer::Bridge).or_else(|| find(Peer::P2p))
        } else {
            find(Peer::P2p).or_else(|| find(Peer::Bridge))
        };
        let (sid, media) = match pick {
            Some((sid, s)) => (Some(sid.clone()), Some(s.media.clone())),
            None => (None, None),
        };
        self.active.send_if_modified(|active| {
            let same = match (active.as_ref(), media.as_ref()) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                (None, None) => true,
                _ => false,
            };
            *active = media;
            !same
        });
        self.audio.prefer(sid);
    }

    /// Mute state and the bridge's limits on one session. The limits are the bridge's and only
    /// bind the bridge session; a P2P peer sees everything we send.
    fn apply(&self, s: &Session) {
        let limits = match s.peer {
            Peer::Bridge => self.limits,
            Peer::P2p => Limits::default(),
        };
        s.media.set_audio_muted(self.muted.audio);
        s.media
            .set_video_muted(self.muted.video || limits.camera == Some(0));
        s.media
            .set_screen_muted(!self.sharing || limits.screen == Some(0));
        if let Err(e) = s.media.set_video_bitrate_cap(bitrate_cap(limits.camera)) {
            log::warn!("could not cap the camera's bitrate: {e}");
        }
    }

    fn apply_to(&self, sid: &str) {
        if let Some(s) = self.sessions.get(sid) {
            self.apply(s);
        }
    }

    fn session(&self, sid: &str) -> Result<Arc<MediaSession>, String> {
        self.sessions
            .get(sid)
            .map(|s| s.media.clone())
            .ok_or_else(|| format!("no media session {sid}"))
    }

    fn name(&mut self, sid: &str, names: &[(u32, String)]) {
        if let Some(s) = self.sessions.get(sid) {
            for (ssrc, name) in names {
                s.media.set_remote_source_name(*ssrc, name);
            }
        }
    }

    /// The source left the conference (`gone`) or is back: its audio handle is offered to the
    /// app only while it is there.
    pub fn track_changed(&self, source_name: &str, gone: bool) {
        self.audio.source_gone(source_name, gone);
    }

    async fn close(&mut self, sid: &str) {
        let Some(session) = self.sessions.remove(sid) else {
            return;
        };
        self.audio.remove_session(sid);
        self.choose_active();
        if let Err(e) = session.media.close().await {
            log::warn!("closing media session {sid}: {e}");
        }
    }

    pub async fn close_all(&mut self) {
        let sids: Vec<String> = self.sessions.keys().cloned().collect();
        for sid in sids {
            self.close(&sid).await;
        }
    }
}

/// What a session's forwarding task feeds.
struct Forwarding {
    inputs: mpsc::UnboundedSender<MediaInput>,
    audio: Arc<AudioRegistry>,
    video: broadcast::Sender<RemoteVideoFrame>,
}

async fn forward(sid: String, mut events: mpsc::UnboundedReceiver<SessionEvent>, to: Forwarding) {
    let Forwarding {
        inputs,
        audio,
        video,
    } = to;
    while let Some(event) = events.recv().await {
        match event {
            SessionEvent::LocalCandidate(candidate) => {
                let _ = inputs.send(MediaInput::LocalCandidate {
                    sid: sid.clone(),
                    candidate,
                });
            }
            SessionEvent::ConnectionState(ConnectionState::Failed) => {
                let _ = inputs.send(MediaInput::Failed {
                    sid: sid.clone(),
                    reason: "ICE/DTLS connection failed".into(),
                });
            }
            SessionEvent::ConnectionState(
                state @ (ConnectionState::Connected | ConnectionState::Disconnected),
            ) => {
                log::debug!("media session {sid}: {state:?}");
                let _ = inputs.send(MediaInput::Connection {
                    sid: sid.clone(),
                    interrupted: state == ConnectionState::Disconnected,
                });
            }
            SessionEvent::ConnectionState(state) => {
                log::debug!("media session {sid}: {state:?}")
            }
            SessionEvent::RemoteAudio {
                source,
                audio: handle,
            } => match source.name {
                Some(name) => audio.insert(&sid, name, handle),
                None => log::warn!("audio on unsignalled SSRC {} ignored", source.ssrc),
            },
            SessionEvent::RemoteVideo { source, frame } => {
                let Some(source_name) = source.name else {
                    continue;
                };
                // No subscriber is fine: nobody is rendering.
                let _ = video.send(RemoteVideoFrame {
                    source_name,
                    frame: Arc::new(frame),
                });
            }
            SessionEvent::HandshakeFailed => {
                let _ = inputs.send(MediaInput::HandshakeFailed { sid: sid.clone() });
            }
            SessionEvent::CandidatesGathered | SessionEvent::KeyframeRequested => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use omni_jitsi_media::audio::Channels;

    fn engine() -> MediaEngine {
        let ssrcs = LocalSsrcs {
            audio: 2002,
            video: 4004,
            screen: 6006,
        };
        MediaEngine::new(EndpointId::new("me000001"), ssrcs).0
    }

    fn target(engine: &MediaEngine, sid: &str) -> u32 {
        engine.sessions[sid].media.video_target_bitrate()
    }

    fn active_is(engine: &MediaEngine, sid: &str) -> bool {
        engine
            .active
            .borrow()
            .as_ref()
            .is_some_and(|a| Arc::ptr_eq(a, &engine.sessions[sid].media))
    }

    #[tokio::test]
    async fn media_leaves_an_interrupted_p2p_path_for_the_bridge_and_comes_back() {
        let mut engine = engine();
        engine.open("jvb", Peer::Bridge).await.unwrap();
        engine.open("p2p", Peer::P2p).await.unwrap();
        assert!(active_is(&engine, "p2p"));
        engine.execute(MediaCommand::SuspendP2p(true)).await;
        assert!(active_is(&engine, "jvb"));
        engine.execute(MediaCommand::SuspendP2p(false)).await;
        assert!(active_is(&engine, "p2p"));
        engine.execute(MediaCommand::SuspendP2p(true)).await;
        engine.open("p2p2", Peer::P2p).await.unwrap();
        engine.close("p2p").await;
        assert!(
            active_is(&engine, "p2p2"),
            "a new P2P session starts unsuspended"
        );
    }

    /// The bridge's `SenderSourceConstraints` cap the camera on the bridge session at
    /// lib-jitsi-meet's bitrates per height; the P2P session, which the bridge does not see, keeps
    /// its own.
    #[tokio::test]
    async fn sender_constraints_cap_the_bridge_session_per_height_and_spare_p2p() {
        let mut engine = engine();
        engine.open("jvb", Peer::Bridge).await.unwrap();
        engine.open("p2p", Peer::P2p).await.unwrap();
        let p2p_start = target(&engine, "p2p");
        for (height, cap) in [
            (720, 1_500_000),
            (360, 500_000),
            (180, 200_000),
            (90, 200_000),
            (360, 500_000),
            (720, 1_500_000),
        ] {
            let input = engine
                .execute(MediaCommand::LimitVideo {
                    screen: false,
                    max_height: height,
                })
                .await;
            assert!(input.is_none());
            assert_eq!(
                target(&engine, "jvb"),
                cap,
                "the bridge session at {height}p"
            );
            assert_eq!(
                target(&engine, "p2p"),
                p2p_start,
                "P2P with {height}p asked"
            );
        }
        for sid in ["jvb", "p2p"] {
            engine.close(sid).await;
        }
    }

    fn registry() -> (AudioRegistry, watch::Receiver<HashMap<String, RemoteAudio>>) {
        let (published, view) = watch::channel(HashMap::new());
        let registry = AudioRegistry {
            by_session: Mutex::new(HashMap::new()),
            preferred: Mutex::new(None),
            gone: Mutex::new(HashSet::new()),
            published,
        };
        (registry, view)
    }

    /// A browser leaves P2P: its sources leave the conference for a moment (P2P over, the
    /// bridge not carrying them yet) and come back on the bridge session, whose track for them
    /// webrtc-rs opened before and does not open again. The app must get that handle back.
    #[test]
    fn a_source_that_leaves_and_comes_back_is_heard_on_the_handle_it_had() {
        let (registry, view) = registry();
        // Told apart by their channel counts.
        let bridge = RemoteAudio::new(Channels::Mono, 3).unwrap();
        let p2p = RemoteAudio::new(Channels::Stereo, 3).unwrap();
        registry.insert("jvb", "b-a0".into(), bridge);
        registry.insert("p2p", "b-a0".into(), p2p);
        registry.prefer(Some("p2p".into()));
        assert_eq!(
            view.borrow()["b-a0"].channels(),
            Channels::Stereo,
            "P2P wins"
        );

        registry.remove_session("p2p");
        registry.prefer(None);
        registry.source_gone("b-a0", true);
        assert!(!view.borrow().contains_key("b-a0"));

        registry.source_gone("b-a0", false);
        assert_eq!(view.borrow()["b-a0"].channels(), Channels::Mono);
    }
}
