use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use webrtc::peer_connection::{PeerConnection, StatsSelector};

use super::send::{AudioSender, VideoSender};
use super::{lock, Shared};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    Audio,
    Video,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamStats {
    pub ssrc: u32,
    pub kind: MediaKind,
    pub packets: u64,
    pub bytes: u64,
    /// Encoded and sent (local streams) or decoded (remote video) frames.
    pub frames: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionStats {
    pub sent: Vec<StreamStats>,
    pub received: Vec<StreamStats>,
    /// Frames given while muted or before negotiation, and frames rate control skipped.
    pub frames_dropped: u64,
    pub keyframes_sent: u64,
    pub keyframe_requests_received: u64,
    pub keyframe_requests_sent: u64,
    pub video_target_bps: u32,
}

pub(crate) async fn collect(
    pc: &Arc<dyn PeerConnection>,
    shared: &Shared,
    audio: &AudioSender,
    video: &VideoSender,
) -> SessionStats {
    let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
    let kind_of = |ssrc: u32| {
        if ssrc == audio.ssrc() {
            MediaKind::Audio
        } else {
            MediaKind::Video
        }
    };
    let mut sent = Vec::new();
    for stream in report.outbound_rtp_streams() {
        let ssrc = stream.sent_rtp_stream_stats.rtp_stream_stats.ssrc;
        let counters = if ssrc == audio.ssrc() {
            audio.counters()
        } else {
            video.counters()
        };
        sent.push(StreamStats {
            ssrc,
            kind: kind_of(ssrc),
            packets: stream.sent_rtp_stream_stats.packets_sent,
            bytes: stream.sent_rtp_stream_stats.bytes_sent,
            frames: counters.frames.load(Ordering::Relaxed),
        });
    }
    let frames_received = lock(&shared.frames_received).clone();
    let mut received = Vec::new();
    for stream in report.inbound_rtp_streams() {
        let rtp = &stream.received_rtp_stream_stats.rtp_stream_stats;
        received.push(StreamStats {
            ssrc: rtp.ssrc,
            kind: if rtp.kind == webrtc_kind_audio() {
                MediaKind::Audio
            } else {
                MediaKind::Video
            },
            packets: stream.received_rtp_stream_stats.packets_received,
            bytes: stream.bytes_received,
            frames: frames_received
                .get(&rtp.ssrc)
                .map_or(0, |c| c.load(Ordering::Relaxed)),
        });
    }
    SessionStats {
        sent,
        received,
        frames_dropped: audio.counters().dropped.load(Ordering::Relaxed)
            + video.counters().dropped.load(Ordering::Relaxed),
        keyframes_sent: video.counters().keyframes.load(Ordering::Relaxed),
        keyframe_requests_received: video.counters().keyframe_requests.load(Ordering::Relaxed),
        keyframe_requests_sent: shared.keyframe_requests_sent.load(Ordering::Relaxed),
        video_target_bps: video.target_bps(),
    }
}

fn webrtc_kind_audio() -> rtc::rtp_transceiver::rtp_sender::RtpCodecKind {
    rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio
}
