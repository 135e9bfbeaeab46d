use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::media::Sample;
use rtc::media_stream::MediaStreamTrack;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtcp::payload_feedbacks::receiver_estimated_maximum_bitrate::ReceiverEstimatedMaximumBitrate;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RtpCodecKind,
};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::{TrackLocal, TrackLocalEvent};
use webrtc::peer_connection::PeerConnection;

use super::config::SessionConfig;
use super::events::SessionEvent;
use super::negotiation::{h264_codec, opus_codec};
use super::{lock, Shared};
use crate::audio::{AudioFrame, OpusEncoder};
use crate::video::{annexb, BitrateController, H264Encoder, VideoFrame};
use crate::MediaError;

const NO_PAYLOAD_TYPE: u16 = u16::MAX;
const DEFAULT_FRAME_INTERVAL: Duration = Duration::from_micros(33_333);

/// Counters of one local stream, read by `stats()`.
#[derive(Default)]
pub(crate) struct SendCounters {
    pub(crate) frames: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) keyframes: AtomicU64,
    pub(crate) keyframe_requests: AtomicU64,
}

/// A local track plus what it needs to put samples on the wire.
struct Outbound {
    track: Arc<TrackLocalStaticSample>,
    ssrc: u32,
    payload_type: AtomicU16,
    muted: AtomicBool,
    counters: SendCounters,
}

impl Outbound {
    fn new(
        config: &SessionConfig,
        kind: RtpCodecKind,
        ssrc: u32,
        codec: RTCRtpCodec,
        track_id: &str,
    ) -> Result<Self, MediaError> {
        let encoding = RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec,
            ..Default::default()
        };
        let track = MediaStreamTrack::new(
            config.stream_id.clone(),
            track_id.to_owned(),
            track_id.to_owned(),
            kind,
            vec![encoding],
        );
        Ok(Outbound {
            track: Arc::new(TrackLocalStaticSample::new(Instant::now(), track)?),
            ssrc,
            payload_type: AtomicU16::new(NO_PAYLOAD_TYPE),
            muted: AtomicBool::new(false),
            counters: SendCounters::default(),
        })
    }

    /// The payload type once negotiated; `None` means the frame must be dropped.
    fn ready(&self) -> Option<u8> {
        if self.muted.load(Ordering::Relaxed) {
            return None;
        }
        u8::try_from(self.payload_type.load(Ordering::Relaxed)).ok()
    }

    async fn write(
        &self,
        payload_type: u8,
        data: Vec<u8>,
        duration: Duration,
    ) -> Result<(), MediaError> {
        let sample = Sample {
            data: Bytes::from(data),
            duration,
            ..Sample::new(Instant::now())
        };
        self.track
            .write_sample(self.ssrc, payload_type, &sample, &[])
            .await?;
        self.counters.frames.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

pub(crate) struct AudioSender {
    out: Outbound,
    encoder: Mutex<OpusEncoder>,
}

impl AudioSender {
    pub(crate) fn new(config: &SessionConfig) -> Result<Self, MediaError> {
        Ok(AudioSender {
            out: Outbound::new(
                config,
                RtpCodecKind::Audio,
                config.audio_ssrc,
                opus_codec(),
                &config.audio_track_id,
            )?,
            encoder: Mutex::new(OpusEncoder::new(config.audio_send_channels, None)?),
        })
    }

    pub(crate) async fn attach(&self, pc: &Arc<dyn PeerConnection>) -> Result<(), MediaError> {
        pc.add_track(self.out.track.clone() as Arc<dyn TrackLocal>)
            .await?;
        Ok(())
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.out.ssrc
    }

    pub(crate) fn counters(&self) -> &SendCounters {
        &self.out.counters
    }

    pub(crate) fn negotiated(&self, payload_type: u8) {
        self.out
            .payload_type
            .store(u16::from(payload_type), Ordering::Relaxed);
    }

    pub(crate) fn set_muted(&self, muted: bool) {
        self.out.muted.store(muted, Ordering::Relaxed);
    }

    pub(crate) async fn send(&self, frame: &AudioFrame) -> Result<(), MediaError> {
        let (_, duration) = frame.validate()?;
        let Some(payload_type) = self.out.ready() else {
            self.out.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        let packet = lock(&self.encoder).encode(frame)?;
        self.out
            .write(payload_type, packet, duration.duration())
            .await
    }
}

pub(crate) struct VideoSender {
    out: Outbound,
    encoder: Mutex<H264Encoder>,
    bitrate: Mutex<BitrateController>,
    keyframe_wanted: AtomicBool,
    last_timestamp: Mutex<Option<Duration>>,
    shared: Arc<Shared>,
}

impl VideoSender {
    /// The camera's sender.
    pub(crate) fn new(config: &SessionConfig, shared: Arc<Shared>) -> Result<Self, MediaError> {
        Self::with_track(config, shared, config.video_ssrc, &config.video_track_id)
    }

    /// The screen share's sender: its own SSRC, track and encoder.
    pub(crate) fn screen(config: &SessionConfig, shared: Arc<Shared>) -> Result<Self, MediaError> {
        Self::with_track(config, shared, config.screen_ssrc, &config.screen_track_id)
    }

    fn with_track(
        config: &SessionConfig,
        shared: Arc<Shared>,
        ssrc: u32,
        track_id: &str,
    ) -> Result<Self, MediaError> {
        let controller = BitrateController::new(
            config.video_bitrate_limits,
            config.video_encoder.bitrate_bps,
        );
        let mut encoder_config = config.video_encoder;
        encoder_config.bitrate_bps = controller.target_bps();
        Ok(VideoSender {
            out: Outbound::new(config, RtpCodecKind::Video, ssrc, h264_codec(), track_id)?,
            encoder: Mutex::new(H264Encoder::new(encoder_config)?),
            bitrate: Mutex::new(controller),
            keyframe_wanted: AtomicBool::new(false),
            last_timestamp: Mutex::new(None),
            shared,
        })
    }

    /// Adds the track and starts reading the RTCP feedback addressed to it.
    pub(crate) async fn attach(
        self: &Arc<Self>,
        pc: &Arc<dyn PeerConnection>,
    ) -> Result<(), MediaError> {
        pc.add_track(self.out.track.clone() as Arc<dyn TrackLocal>)
            .await?;
        Ok(())
    }

    pub(crate) fn ssrc(&self) -> u32 {
        self.out.ssrc
    }

    pub(crate) fn counters(&self) -> &SendCounters {
        &self.out.counters
    }

    pub(crate) fn target_bps(&self) -> u32 {
        lock(&self.bitrate).target_bps()
    }

    /// Called once the track is bound to a negotiated transceiver: only then does webrtc hand
    /// it RTCP, so the feedback reader starts here.
    pub(crate) fn negotiated(self: &Arc<Self>, payload_type: u8) {
        let first = self
            .out
            .payload_type
            .swap(u16::from(payload_type), Ordering::Relaxed)
            == NO_PAYLOAD_TYPE;
        if first {
            tokio::spawn(read_feedback(self.clone()));
        }
    }

    pub(crate) fn set_muted(&self, muted: bool) {
        let was = self.out.muted.swap(muted, Ordering::Relaxed);
        if was && !muted {
            // Receivers dropped their reference pictures while we were silent.
            self.keyframe_wanted.store(true, Ordering::Relaxed);
        }
    }

    pub(crate) fn set_bitrate_cap(&self, bps: Option<u32>) -> Result<(), MediaError> {
        let change = lock(&self.bitrate).set_cap(bps);
        self.apply_bitrate(change)
    }

    pub(crate) fn set_bandwidth_estimate(&self, bps: u64) -> Result<(), MediaError> {
        let change = lock(&self.bitrate).on_estimate(bps);
        self.apply_bitrate(change)
    }

    fn apply_bitrate(&self, change: Option<u32>) -> Result<(), MediaError> {
        match change {
            Some(bps) => lock(&self.encoder).set_bitrate(bps),
            None => Ok(()),
        }
    }

    fn on_keyframe_request(&self) {
        self.out
            .counters
            .keyframe_requests
            .fetch_add(1, Ordering::Relaxed);
        self.keyframe_wanted.store(true, Ordering::Relaxed);
        self.shared.emit(SessionEvent::KeyframeRequested);
    }

    pub(crate) async fn send(&self, frame: &VideoFrame) -> Result<(), MediaError> {
        frame.validate()?;
        let Some(payload_type) = self.out.ready() else {
            self.out.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        let duration = self.frame_interval(frame.timestamp);
        let encoded = {
            let mut encoder = lock(&self.encoder);
            if self.keyframe_wanted.swap(false, Ordering::Relaxed) {
                encoder.request_keyframe();
            }
            encoder.encode(frame)?
        };
        let Some(encoded) = encoded else {
            self.out.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        if encoded.keyframe {
            self.out.counters.keyframes.fetch_add(1, Ordering::Relaxed);
        }
        self.out.write(payload_type, encoded.data, duration).await
    }

    pub(crate) async fn send_encoded(
        &self,
        access_unit: &[u8],
        duration: Duration,
    ) -> Result<(), MediaError> {
        let keyframe = annexb::contains_idr(access_unit)?;
        let Some(payload_type) = self.out.ready() else {
            self.out.counters.dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        };
        if keyframe {
            self.out.counters.keyframes.fetch_add(1, Ordering::Relaxed);
        }
        self.out
            .write(payload_type, access_unit.to_vec(), duration)
            .await
    }

    // The RTP clock advances by the capture interval, so receivers see the app's real timing.
    fn frame_interval(&self, timestamp: Duration) -> Duration {
        let mut last = lock(&self.last_timestamp);
        let interval = match *last {
            Some(previous) if timestamp > previous => {
                (timestamp - previous).min(Duration::from_secs(1))
            }
            _ => DEFAULT_FRAME_INTERVAL,
        };
        *last = Some(timestamp);
        interval
    }
}

async fn read_feedback(video: Arc<VideoSender>) {
    while let Some(event) = video.out.track.poll().await {
        let TrackLocalEvent::OnRtcpPacket(packets) = event else {
            continue;
        };
        for packet in packets {
            let any = packet.as_any();
            if any.is::<PictureLossIndication>() || any.is::<FullIntraRequest>() {
                video.on_keyframe_request();
            } else if let Some(remb) = any.downcast_ref::<ReceiverEstimatedMaximumBitrate>() {
                let change = lock(&video.bitrate).on_remb(remb.bitrate.max(0.0) as u64);
                if let Err(err) = video.apply_bitrate(change) {
                    log::warn!("could not follow the receiver's bandwidth estimate: {err}");
                }
            }
        }
    }
}
