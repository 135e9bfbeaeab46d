//! Generated media for `--send-tone` / `--send-pattern`, pushed in real time, and the periodic
//! `media_stats` lines: the CLI plays the part of a phone's audio device (pulling each remote
//! source every 20 ms) and of its renderer (counting decoded pictures).

use std::collections::BTreeMap;
use std::time::Duration;

use omni_jitsi_core::media::audio::{Channels, FrameDuration, SAMPLE_RATE};
use omni_jitsi_core::media::signal::{
    dominant_frequency, loudest_stretch, rms, TestPattern, ToneGenerator,
};
use omni_jitsi_core::{EndpointId, MediaKind, Meeting};
use serde_json::json;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::mpsc;
use tokio::time::{interval, Instant, MissedTickBehavior};

const AUDIO_FRAME: FrameDuration = FrameDuration::Ms20;
const AUDIO_TICK: Duration = Duration::from_millis(20);
const VIDEO_TICK: Duration = Duration::from_millis(33);
/// The stats measure half a second of audio around the loudest moment of the last second (a
/// browser's fake microphone beeps twice a second).
const ANALYSIS_FRAMES: usize = 25;
const HISTORY_FRAMES: usize = 2 * ANALYSIS_FRAMES;
/// One report per second of device time.
const STATS_EVERY_FRAMES: u64 = 50;
/// At most this many frames are caught up in one tick: a longer stall is not played back late.
const MAX_CATCH_UP_FRAMES: u64 = 25;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MediaFlags {
    pub send_tone: Option<f64>,
    pub send_pattern: bool,
    pub pattern_size: (u32, u32),
}

impl Default for MediaFlags {
    fn default() -> Self {
        MediaFlags {
            send_tone: None,
            send_pattern: false,
            pattern_size: (320, 180),
        }
    }
}

/// A remote track appeared (true) or went away (false).
pub type TrackChange = (bool, String, EndpointId, MediaKind);

pub fn start(meeting: &Meeting, flags: MediaFlags, tracks: mpsc::UnboundedReceiver<TrackChange>) {
    if let Some(hz) = flags.send_tone {
        let m = meeting.clone();
        tokio::spawn(async move {
            let mut tone = ToneGenerator::new(hz, 8000, Channels::Mono);
            let mut clock = interval(AUDIO_TICK);
            clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
            loop {
                clock.tick().await;
                if let Err(e) = m.push_audio(&tone.next_frame(AUDIO_FRAME)).await {
                    log::warn!("tone not sent: {e}");
                    return;
                }
            }
        });
    }
    if flags.send_pattern {
        let m = meeting.clone();
        tokio::spawn(async move {
            let (width, height) = flags.pattern_size;
            let pattern = TestPattern::new(width, height);
            let mut clock = interval(VIDEO_TICK);
            clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
            for index in 0.. {
                clock.tick().await;
                let frame = pattern.frame(index);
                // The screen share shows the pattern too; it is dropped unless sharing.
                let sent = match m.push_video(&frame).await {
                    Ok(()) => m.push_screen_frame(&frame).await,
                    Err(e) => Err(e),
                };
                if let Err(e) = sent {
                    log::warn!("pattern not sent: {e}");
                    return;
                }
            }
        });
    }
    tokio::spawn(report_stats(meeting.clone(), tracks));
}

struct Track {
    endpoint_id: EndpointId,
    kind: MediaKind,
    recent: Vec<Vec<i16>>,
    frames: u64,
    /// The last decoded picture's size, for video.
    size: Option<(u32, u32)>,
}

async fn report_stats(meeting: Meeting, mut tracks: mpsc::UnboundedReceiver<TrackChange>) {
    let mut known: BTreeMap<String, Track> = BTreeMap::new();
    let mut pictures = meeting.remote_video();
    let mut clock = interval(AUDIO_TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let start = Instant::now();
    let mut device = DeviceClock::default();
    let mut next_report = STATS_EVERY_FRAMES;
    loop {
        clock.tick().await;
        // A device's callback asks for all the audio its clock has played, however late the
        // callback runs. Pulling one frame per (delayed) tick would read the jitter buffer slower
        // than the network fills it, and its overflow would discard most of what arrived.
        let due = device.due(start.elapsed());
        while let Ok((added, source, endpoint_id, kind)) = tracks.try_recv() {
            if added {
                known.insert(
                    source,
                    Track {
                        endpoint_id,
                        kind,
                        recent: Vec::new(),
                        frames: 0,
                        size: None,
                    },
                );
            } else {
                known.remove(&source);
            }
        }
        loop {
            match pictures.try_recv() {
                Ok(p) => {
                    if let Some(t) = known.get_mut(&p.source_name) {
                        t.frames += 1;
                        t.size = Some((p.frame.width, p.frame.height));
                    }
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
        for (source, t) in known.iter_mut().filter(|(_, t)| t.kind == MediaKind::Audio) {
            let Some(audio) = meeting.remote_audio(source) else {
                // No session carries it (media moving between P2P and the bridge, or lost):
                // the stats say silence rather than repeat what was heard before.
                t.recent.clear();
                continue;
            };
            for _ in 0..due {
                if let Ok(frame) = audio.pull(AUDIO_FRAME.samples_per_channel()) {
                    t.recent.push(frame.samples);
                }
            }
            let excess = t.recent.len().saturating_sub(HISTORY_FRAMES);
            t.recent.drain(..excess);
            t.frames = audio.stats().decoded_frames;
        }
        if device.played >= next_report {
            next_report = device.played + STATS_EVERY_FRAMES;
            for (source, t) in &known {
                let history: Vec<i16> = t.recent.concat();
                let block = AUDIO_FRAME.samples_per_channel();
                let samples = loudest_stretch(&history, ANALYSIS_FRAMES * block, block);
                let line = match t.kind {
                    MediaKind::Audio => json!({
                        "event": "media_stats",
                        "endpoint_id": t.endpoint_id,
                        "source_name": source,
                        "kind": t.kind,
                        "frames_decoded": t.frames,
                        "dominant_hz": (dominant_frequency(samples, SAMPLE_RATE) * 10.0).round() / 10.0,
                        "level_rms": rms(samples).round(),
                    }),
                    MediaKind::Video => json!({
                        "event": "media_stats",
                        "endpoint_id": t.endpoint_id,
                        "source_name": source,
                        "kind": t.kind,
                        "frames_decoded": t.frames,
                        "width": t.size.map(|s| s.0),
                        "height": t.size.map(|s| s.1),
                    }),
                };
                println!("{line}");
            }
        }
    }
}

/// The playout clock of the simulated audio device: which 20 ms frames are due at a given time.
#[derive(Debug, Default)]
struct DeviceClock {
    played: u64,
}

impl DeviceClock {
    /// Frames to pull now, `elapsed` after the device started: at least one per tick, and at
    /// most `MAX_CATCH_UP_FRAMES`, so that a long stall is skipped rather than played back late.
    fn due(&mut self, elapsed: Duration) -> u64 {
        let now = (elapsed.as_micros() / AUDIO_TICK.as_micros()) as u64 + 1;
        let due = now
            .saturating_sub(self.played)
            .clamp(1, MAX_CATCH_UP_FRAMES);
        self.played = now.max(self.played + due);
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn one_frame_per_tick_on_time() {
        let mut device = DeviceClock::default();
        assert_eq!(device.due(ms(0)), 1);
        assert_eq!(device.due(ms(20)), 1);
        assert_eq!(device.due(ms(40)), 1);
        assert_eq!(device.played, 3);
    }

    #[test]
    fn a_late_tick_pulls_what_the_clock_played_meanwhile() {
        let mut device = DeviceClock::default();
        assert_eq!(device.due(ms(0)), 1);
        assert_eq!(device.due(ms(20)), 1);
        // The loop ran 200 ms late: the device played ten more frames meanwhile.
        assert_eq!(device.due(ms(220)), 10);
        assert_eq!(device.due(ms(240)), 1);
    }

    #[test]
    fn a_long_stall_is_capped_and_skipped_not_replayed() {
        let mut device = DeviceClock::default();
        assert_eq!(device.due(ms(0)), 1);
        assert_eq!(device.due(Duration::from_secs(10)), MAX_CATCH_UP_FRAMES);
        assert_eq!(device.due(ms(10_020)), 1);
    }

    #[test]
    fn an_early_tick_still_pulls_one() {
        let mut device = DeviceClock::default();
        assert_eq!(device.due(ms(0)), 1);
        assert_eq!(device.due(ms(5)), 1);
        assert_eq!(device.played, 2);
    }
}
