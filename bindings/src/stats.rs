//! Counters of the media session our media goes out on, as plain records for the app's UI
//! (bitrate, frames, keyframes).

use omni_jitsi_core::media::session::{
    MediaKind as CoreKind, SessionStats as CoreStats, StreamStats as CoreStream,
};

use crate::events::MediaKind;
use crate::meeting::Meeting;
use crate::runtime;

/// One RTP stream, sent or received.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StreamStats {
    pub ssrc: u32,
    pub kind: MediaKind,
    pub packets: u64,
    pub bytes: u64,
    /// Encoded and sent (our streams) or decoded (remote video) frames.
    pub frames: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MediaStats {
    pub sent: Vec<StreamStats>,
    pub received: Vec<StreamStats>,
    /// Frames given while muted or before negotiation, and frames rate control skipped.
    pub frames_dropped: u64,
    pub keyframes_sent: u64,
    pub keyframe_requests_received: u64,
    pub keyframe_requests_sent: u64,
    /// What the congestion controller currently lets our video use.
    pub video_target_bps: u32,
}

impl From<CoreStream> for StreamStats {
    fn from(s: CoreStream) -> Self {
        StreamStats {
            ssrc: s.ssrc,
            kind: match s.kind {
                CoreKind::Audio => MediaKind::Audio,
                CoreKind::Video => MediaKind::Video,
            },
            packets: s.packets,
            bytes: s.bytes,
            frames: s.frames,
        }
    }
}

impl From<CoreStats> for MediaStats {
    fn from(s: CoreStats) -> Self {
        MediaStats {
            sent: s.sent.into_iter().map(Into::into).collect(),
            received: s.received.into_iter().map(Into::into).collect(),
            frames_dropped: s.frames_dropped,
            keyframes_sent: s.keyframes_sent,
            keyframe_requests_received: s.keyframe_requests_received,
            keyframe_requests_sent: s.keyframe_requests_sent,
            video_target_bps: s.video_target_bps,
        }
    }
}

#[uniffi::export]
impl Meeting {
    /// Counters of the session our media goes out on (P2P or the bridge); null before there is
    /// one.
    pub async fn media_stats(&self) -> Option<MediaStats> {
        let m = self.inner.clone();
        runtime::run_or(async move { m.media_stats().await }, None)
            .await
            .map(Into::into)
    }
}
