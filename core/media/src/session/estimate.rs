use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use webrtc::peer_connection::{PeerConnection, StatsSelector};

use super::send::VideoSender;
use super::Shared;

/// How often the congestion controller's estimate is handed to the encoder: GCC itself reacts
/// on each TWCC report (about every 100 ms); the encoder needs no finer steps than this.
const INTERVAL: Duration = Duration::from_millis(500);

/// Copies webrtc's send-side estimate (GCC over TWCC feedback, exposed only as the outbound
/// `target_bitrate` statistic) into the video bitrate controller until the session ends.
pub(crate) async fn follow(
    pc: Weak<dyn PeerConnection>,
    video: Arc<VideoSender>,
    shared: Arc<Shared>,
) {
    let mut ticks = tokio::time::interval(INTERVAL);
    loop {
        ticks.tick().await;
        if shared.closed.load(Ordering::Relaxed) {
            return;
        }
        let Some(pc) = pc.upgrade() else { return };
        let report = pc.get_stats(Instant::now(), StatsSelector::None).await;
        let target = report
            .outbound_rtp_streams()
            .find(|s| s.sent_rtp_stream_stats.rtp_stream_stats.ssrc == video.ssrc())
            .map(|s| s.target_bitrate)
            .filter(|bps| bps.is_finite() && *bps > 0.0);
        if let Some(bps) = target {
            if let Err(err) = video.set_bandwidth_estimate(bps as u64) {
                log::warn!("could not follow the bandwidth estimate: {err}");
            }
        }
    }
}
