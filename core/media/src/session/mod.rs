//! One WebRTC peer connection per Jingle session (the bridge's, or a peer-to-peer one).
//!
//! The interface is what Jingle carries: SDP strings (`accept_offer` turns the remote offer into
//! our answer, `create_offer`/`set_answer` serve the P2P initiator) and ICE candidate lines.
//! Everything the session notices arrives as a [`SessionEvent`] on the channel given at creation.

mod config;
mod estimate;
mod events;
mod feedback;
mod handler;
mod negotiation;
mod receive;
mod send;
mod stats;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::mpsc;
use webrtc::peer_connection::{PeerConnection, RTCIceCandidateInit, RTCSessionDescription};

pub use config::{IceServer, SessionConfig};
pub use events::{ConnectionState, RemoteSource, SessionEvent};
pub use stats::{MediaKind, SessionStats, StreamStats};

use crate::audio::AudioFrame;
use crate::video::VideoFrame;
use crate::MediaError;
use send::{AudioSender, VideoSender};

/// State shared by the session handle, the webrtc callbacks and the per-track tasks.
pub(crate) struct Shared {
    pub(crate) events: mpsc::UnboundedSender<SessionEvent>,
    pub(crate) config: SessionConfig,
    pub(crate) source_names: Mutex<HashMap<u32, String>>,
    pub(crate) frames_received: Mutex<HashMap<u32, Arc<AtomicU64>>>,
    pub(crate) keyframe_requests_sent: AtomicU64,
    pub(crate) closed: AtomicBool,
    /// The PeerConnection reached `connected`: ICE and DTLS are both up.
    pub(crate) connected: AtomicBool,
    /// The DTLS handshake is being watched since ICE connected (once per session).
    pub(crate) handshake_watched: AtomicBool,
    /// ICE connected and DTLS never did: nothing can be sent (see `handler::watch_handshake`).
    pub(crate) handshake_failed: AtomicBool,
}

impl Shared {
    pub(crate) fn emit(&self, event: SessionEvent) {
        // The app dropping its receiver just means nobody listens any more.
        let _ = self.events.send(event);
    }

    pub(crate) fn source(&self, ssrc: u32) -> RemoteSource {
        let name = lock(&self.source_names).get(&ssrc).cloned();
        RemoteSource { ssrc, name }
    }

    pub(crate) fn frame_counter(&self, ssrc: u32) -> Arc<AtomicU64> {
        lock(&self.frames_received).entry(ssrc).or_default().clone()
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub struct MediaSession {
    pc: Arc<dyn PeerConnection>,
    shared: Arc<Shared>,
    audio: Arc<AudioSender>,
    video: Arc<VideoSender>,
    /// The screen share, once `add_screen_track` added it.
    screen: Mutex<Option<Arc<VideoSender>>>,
}

impl MediaSession {
    /// Binds the UDP sockets and adds the local audio (Opus/48000/2) and video (H.264,
    /// packetization-mode=1, profile-level-id=42e01f) tracks with the configured SSRCs.
    pub async fn new(
        config: SessionConfig,
        events: mpsc::UnboundedSender<SessionEvent>,
    ) -> Result<Self, MediaError> {
        let shared = Arc::new(Shared {
            events,
            config: config.clone(),
            source_names: Mutex::new(HashMap::new()),
            frames_received: Mutex::new(HashMap::new()),
            keyframe_requests_sent: AtomicU64::new(0),
            closed: AtomicBool::new(false),
            connected: AtomicBool::new(false),
            handshake_watched: AtomicBool::new(false),
            handshake_failed: AtomicBool::new(false),
        });
        let pc = negotiation::build_peer_connection(&shared).await?;
        let audio = Arc::new(AudioSender::new(&config)?);
        let video = Arc::new(VideoSender::new(&config, shared.clone())?);
        audio.attach(&pc).await?;
        video.attach(&pc).await?;
        tokio::spawn(estimate::follow(
            Arc::downgrade(&pc),
            video.clone(),
            shared.clone(),
        ));
        Ok(MediaSession {
            pc,
            shared,
            audio,
            video,
            screen: Mutex::new(None),
        })
    }

    /// SSRCs of our audio and video streams, for the Jingle `<source>` elements.
    pub fn local_ssrcs(&self) -> (u32, u32) {
        (self.audio.ssrc(), self.video.ssrc())
    }

    /// P2P initiator: our offer. Candidates follow as [`SessionEvent::LocalCandidate`].
    pub async fn create_offer(&self) -> Result<String, MediaError> {
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer).await?;
        self.local_description().await
    }

    /// Responder (the bridge's `session-initiate`, or a P2P offer): applies the remote offer and
    /// returns our answer.
    pub async fn accept_offer(&self, sdp: &str) -> Result<String, MediaError> {
        let offer = RTCSessionDescription::offer(sdp.to_owned())
            .map_err(|e| MediaError::InvalidSdp(e.to_string()))?;
        self.pc
            .set_remote_description(offer)
            .await
            .map_err(|e| MediaError::InvalidSdp(e.to_string()))?;
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer).await?;
        self.after_negotiation().await;
        if log::log_enabled!(log::Level::Debug) {
            log::debug!(
                "{} transceivers after the offer: {}",
                self.shared.config.stream_id,
                self.transceivers_outline().await
            );
        }
        self.local_description().await
    }

    /// mid, direction and receiving track of each transceiver, for logs.
    async fn transceivers_outline(&self) -> String {
        let mut out = Vec::new();
        for t in self.pc.get_transceivers().await {
            let mid = t.mid().await.ok().flatten();
            let direction = t
                .direction()
                .await
                .map(|d| d.to_string())
                .unwrap_or_default();
            let current = t
                .current_direction()
                .await
                .map(|d| d.to_string())
                .unwrap_or_default();
            let receiving = match t.receiver().await.ok().flatten() {
                Some(r) => format!("{:?}", r.track().ssrcs().await),
                None => "-".into(),
            };
            out.push(format!(
                "mid {mid:?} {direction}/{current} receiving {receiving}"
            ));
        }
        out.join("; ")
    }

    /// P2P initiator: applies the peer's `session-accept`.
    pub async fn set_answer(&self, sdp: &str) -> Result<(), MediaError> {
        let answer = RTCSessionDescription::answer(sdp.to_owned())
            .map_err(|e| MediaError::InvalidSdp(e.to_string()))?;
        self.pc
            .set_remote_description(answer)
            .await
            .map_err(|e| MediaError::InvalidSdp(e.to_string()))?;
        self.after_negotiation().await;
        Ok(())
    }

    /// Our current SDP, including the candidates gathered so far.
    pub async fn local_description(&self) -> Result<String, MediaError> {
        self.pc
            .local_description()
            .await
            .map(|d| d.sdp)
            .ok_or(MediaError::NotNegotiated("the local description"))
    }

    /// A remote candidate line (`candidate:...`, with or without the `a=` prefix).
    pub async fn add_remote_candidate(&self, candidate: &str) -> Result<(), MediaError> {
        let line = candidate.trim().trim_start_matches("a=");
        if !line.starts_with("candidate:") || line.len() > 512 {
            return Err(MediaError::InvalidCandidate(
                line.chars().take(80).collect(),
            ));
        }
        let init = RTCIceCandidateInit {
            candidate: line.to_owned(),
            sdp_mline_index: Some(0),
            ..Default::default()
        };
        self.pc
            .add_ice_candidate(init)
            .await
            .map_err(|e| MediaError::InvalidCandidate(e.to_string()))
    }

    /// Names a remote SSRC with its Jitsi source name (`<endpoint>-a0`, `<endpoint>-v0`), as
    /// signalled in Jingle `<source>` elements. Frames carry the name from then on.
    pub fn set_remote_source_name(&self, ssrc: u32, name: &str) {
        lock(&self.shared.source_names).insert(ssrc, name.to_owned());
    }

    /// Encodes and sends one 10 or 20 ms frame; dropped while muted, before negotiation, or
    /// after the DTLS handshake failed.
    pub async fn send_audio(&self, frame: &AudioFrame) -> Result<(), MediaError> {
        if self.handshake_failed() {
            return frame.validate().map(drop);
        }
        self.unless_closed(self.audio.send(frame).await)
    }

    /// Encodes and sends one picture; dropped while muted, before negotiation, or after the
    /// DTLS handshake failed.
    pub async fn send_video(&self, frame: &VideoFrame) -> Result<(), MediaError> {
        if self.handshake_failed() {
            return frame.validate().map(drop);
        }
        self.unless_closed(self.video.send(frame).await)
    }

    /// Without DTLS there are no SRTP keys, and webrtc refuses every packet with a warning after
    /// we paid for the encoding: hundreds a second, forever, once the handshake has failed.
    /// Before that, frames go to webrtc as soon as the session is negotiated: its SRTP keys are
    /// ready before the Connected callback reaches us, and waiting for that callback delayed the
    /// first P2P audio by about 100 ms (testbed `media` bench).
    fn handshake_failed(&self) -> bool {
        self.shared.handshake_failed.load(Ordering::SeqCst)
    }

    /// Sends one access unit already encoded by a platform encoder (Annex B, H.264 constrained
    /// baseline). Keyframe requests then arrive as [`SessionEvent::KeyframeRequested`].
    pub async fn send_h264(
        &self,
        access_unit: &[u8],
        duration: Duration,
    ) -> Result<(), MediaError> {
        self.unless_closed(self.video.send_encoded(access_unit, duration).await)
    }

    /// A frame that raced the session's closing (the conference moving media between P2P and
    /// the bridge) fails inside webrtc with a send error; it is `Closed`, which callers drop,
    /// not a failure of the app's frame. Before the connection is up, webrtc's queue towards a
    /// path without SRTP keys can fill: such a frame is dropped, as webrtc drops the packets.
    fn unless_closed(&self, result: Result<(), MediaError>) -> Result<(), MediaError> {
        match result {
            Err(_) if self.shared.closed.load(Ordering::SeqCst) => Err(MediaError::Closed),
            // The error quotes the whole packet: not worth a log line per frame.
            Err(MediaError::WebRtc(_)) if !self.shared.connected.load(Ordering::SeqCst) => Ok(()),
            other => other,
        }
    }

    /// Muting stops sending packets (the bridge and peers see the stream go quiet, as with
    /// browsers); unmuting resumes, starting video with a keyframe.
    pub fn set_audio_muted(&self, muted: bool) {
        self.audio.set_muted(muted);
    }

    pub fn set_video_muted(&self, muted: bool) {
        self.video.set_muted(muted);
    }

    /// Adds the screen-share track (SSRC `screen_ssrc`). It goes out once a renegotiation gives
    /// it an m-line; until then, and while muted, pictures are dropped. Adding it twice is a
    /// no-op.
    pub async fn add_screen_track(&self) -> Result<(), MediaError> {
        if lock(&self.screen).is_some() {
            return Ok(());
        }
        let sender = Arc::new(VideoSender::screen(
            &self.shared.config,
            self.shared.clone(),
        )?);
        sender.attach(&self.pc).await?;
        *lock(&self.screen) = Some(sender);
        Ok(())
    }

    /// Encodes and sends one screen picture; dropped before the screen track is negotiated or
    /// while it is muted.
    pub async fn send_screen(&self, frame: &VideoFrame) -> Result<(), MediaError> {
        if self.handshake_failed() {
            return frame.validate().map(drop);
        }
        let sender = lock(&self.screen).clone();
        match sender {
            Some(s) => self.unless_closed(s.send(frame).await),
            None => frame.validate().map(drop),
        }
    }

    pub fn set_screen_muted(&self, muted: bool) {
        if let Some(s) = lock(&self.screen).as_ref() {
            s.set_muted(muted);
        }
    }

    /// Caps the video bitrate (e.g. from the bridge's sender constraints); `None` lifts the cap.
    pub fn set_video_bitrate_cap(&self, bps: Option<u32>) -> Result<(), MediaError> {
        self.video.set_bitrate_cap(bps)
    }

    pub fn video_target_bitrate(&self) -> u32 {
        self.video.target_bps()
    }

    pub async fn stats(&self) -> SessionStats {
        stats::collect(&self.pc, &self.shared, &self.audio, &self.video).await
    }

    /// Ends the session; tracks end and the sockets close.
    pub async fn close(&self) -> Result<(), MediaError> {
        if self.shared.closed.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        self.pc.close().await?;
        Ok(())
    }

    async fn after_negotiation(&self) {
        for sender in self.pc.get_senders().await {
            let Ok(parameters) = sender.get_parameters().await else {
                continue;
            };
            let Some(codec) = parameters.rtp_parameters.codecs.first() else {
                continue;
            };
            let mime = codec.rtp_codec.mime_type.to_ascii_lowercase();
            let ssrc = parameters
                .encodings
                .first()
                .and_then(|e| e.rtp_coding_parameters.ssrc);
            let screen = lock(&self.screen).clone();
            if mime == "audio/opus" {
                self.audio.negotiated(codec.payload_type);
            } else if mime == "video/h264" {
                match screen {
                    Some(s) if ssrc == Some(s.ssrc()) => s.negotiated(codec.payload_type),
                    _ => self.video.negotiated(codec.payload_type),
                }
            }
        }
    }
}
