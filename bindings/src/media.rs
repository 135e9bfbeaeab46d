//! Media frames as plain records, and the `Meeting` methods that move them: the app pushes its
//! microphone and camera frames, pulls each remote source's audio from its output callback, and
//! receives decoded remote pictures on a sink it registers.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use omni_jitsi_core::media::audio::AudioFrame as CoreAudio;
use omni_jitsi_core::media::video::{Rotation, VideoFrame as CoreVideo};
use tokio::sync::broadcast::error::RecvError;

use crate::error::MeetingError;
use crate::meeting::Meeting;
use crate::runtime;

/// 48 kHz signed 16-bit PCM, interleaved when stereo; 10 or 20 ms per frame.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AudioFrame {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
    pub timestamp_us: u64,
}

/// An I420 picture: Y at full resolution, U and V at half width and height, each with its stride.
/// `rotation_degrees` (0, 90, 180, 270) says how to turn it upright.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct VideoFrame {
    pub width: u32,
    pub height: u32,
    pub timestamp_us: u64,
    pub rotation_degrees: u16,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
    pub stride_y: u32,
    pub stride_u: u32,
    pub stride_v: u32,
}

/// Receives decoded pictures of every remote video source, in order, on one SDK thread.
#[uniffi::export(with_foreign)]
pub trait RemoteVideoSink: Send + Sync {
    fn on_frame(&self, source_name: String, frame: VideoFrame);
}

/// Stops a remote video subscription: no frame is delivered after `cancel` returns, except one
/// already being delivered.
#[derive(uniffi::Object)]
pub struct VideoSubscription {
    cancelled: Arc<AtomicBool>,
}

#[uniffi::export]
impl VideoSubscription {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
}

impl From<AudioFrame> for CoreAudio {
    fn from(f: AudioFrame) -> Self {
        CoreAudio {
            sample_rate: f.sample_rate,
            channels: f.channels,
            samples: f.samples,
            timestamp: Duration::from_micros(f.timestamp_us),
        }
    }
}

impl From<CoreAudio> for AudioFrame {
    fn from(f: CoreAudio) -> Self {
        AudioFrame {
            sample_rate: f.sample_rate,
            channels: f.channels,
            samples: f.samples,
            timestamp_us: f.timestamp.as_micros() as u64,
        }
    }
}

impl TryFrom<VideoFrame> for CoreVideo {
    type Error = MeetingError;

    fn try_from(f: VideoFrame) -> Result<Self, MeetingError> {
        let rotation = match f.rotation_degrees {
            0 => Rotation::Deg0,
            90 => Rotation::Deg90,
            180 => Rotation::Deg180,
            270 => Rotation::Deg270,
            other => {
                return Err(MeetingError::InvalidArgument(format!(
                    "rotation {other} is not 0, 90, 180 or 270"
                )))
            }
        };
        Ok(CoreVideo {
            width: f.width,
            height: f.height,
            timestamp: Duration::from_micros(f.timestamp_us),
            rotation,
            y: f.y,
            u: f.u,
            v: f.v,
            stride_y: f.stride_y as usize,
            stride_u: f.stride_u as usize,
            stride_v: f.stride_v as usize,
        })
    }
}

impl From<&CoreVideo> for VideoFrame {
    fn from(f: &CoreVideo) -> Self {
        VideoFrame {
            width: f.width,
            height: f.height,
            timestamp_us: f.timestamp.as_micros() as u64,
            rotation_degrees: match f.rotation {
                Rotation::Deg0 => 0,
                Rotation::Deg90 => 90,
                Rotation::Deg180 => 180,
                Rotation::Deg270 => 270,
            },
            y: f.y.clone(),
            u: f.u.clone(),
            v: f.v.clone(),
            stride_y: f.stride_y as u32,
            stride_u: f.stride_u as u32,
            stride_v: f.stride_v as u32,
        }
    }
}

#[uniffi::export]
impl Meeting {
    /// Sends one microphone frame. Dropped while muted or before a media session is up.
    pub async fn push_audio(&self, frame: AudioFrame) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move { m.push_audio(&frame.into()).await }).await
    }

    /// Sends one camera picture, encoded to H.264 by the SDK.
    pub async fn push_video(&self, frame: VideoFrame) -> Result<(), MeetingError> {
        let frame = CoreVideo::try_from(frame)?;
        let m = self.inner.clone();
        runtime::run(async move { m.push_video(&frame).await }).await
    }

    /// Sends one screen picture while sharing (`start_screen_share`), encoded to H.264 by the
    /// SDK; dropped otherwise.
    pub async fn push_screen_frame(&self, frame: VideoFrame) -> Result<(), MeetingError> {
        let frame = CoreVideo::try_from(frame)?;
        let m = self.inner.clone();
        runtime::run(async move { m.push_screen_frame(&frame).await }).await
    }

    /// Sends one H.264 access unit (Annex B, constrained baseline) from MediaCodec or
    /// VideoToolbox (convert AVCC first).
    pub async fn push_h264(
        &self,
        access_unit: Vec<u8>,
        duration_us: u64,
    ) -> Result<(), MeetingError> {
        let m = self.inner.clone();
        runtime::run(async move {
            m.push_h264(&access_unit, Duration::from_micros(duration_us))
                .await
        })
        .await
    }

    /// `samples_per_channel` samples (48 kHz) of one remote source's audio, for the audio output
    /// callback; null until that source's first packet arrived. Never blocks on the network.
    pub fn pull_remote_audio(
        &self,
        source_name: String,
        samples_per_channel: u32,
    ) -> Result<Option<AudioFrame>, MeetingError> {
        runtime::guard(|| {
            let Some(audio) = self.inner.remote_audio(&source_name) else {
                return Ok(None);
            };
            audio
                .pull(samples_per_channel as usize)
                .map(|f| Some(f.into()))
                .map_err(|e| MeetingError::InvalidArgument(e.to_string()))
        })
    }

    /// Delivers decoded remote pictures to `sink` on a thread of its own until cancelled or the
    /// meeting ends. A sink that falls behind skips the oldest pictures.
    pub fn subscribe_remote_video(&self, sink: Arc<dyn RemoteVideoSink>) -> Arc<VideoSubscription> {
        let cancelled = Arc::new(AtomicBool::new(false));
        let mut frames = self.inner.remote_video();
        let stop = cancelled.clone();
        let spawned = std::thread::Builder::new()
            .name("omni-jitsi-video".into())
            .spawn(move || loop {
                let frame = match frames.blocking_recv() {
                    Ok(f) => f,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return,
                };
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let record = VideoFrame::from(frame.frame.as_ref());
                let delivered = catch_unwind(AssertUnwindSafe(|| {
                    sink.on_frame(frame.source_name.clone(), record)
                }));
                if delivered.is_err() {
                    log::error!("the video sink threw; continuing with the next picture");
                }
            });
        if let Err(e) = spawned {
            log::error!("could not start the video thread: {e}");
        }
        Arc::new(VideoSubscription { cancelled })
    }
}
