//! Generated media for `--send-tone` / `--send-pattern`, pushed in real time, and the periodic
//! `media_stats` lines: the CLI plays the part of a phone's audio device (pulling each remote
//! source every 20 ms) and of its renderer (counting decoded pictures).

use std::collections::BTreeMap;
use std::time::Duration;

use omni_jitsi_core::media::audio::{Channels, FrameDuration, SAMPLE_RATE};
use omni_jitsi_core::media::signal::{dominant_frequency, rms, TestPattern, ToneGenerator};
use omni_jitsi_core::{EndpointId, MediaKind, Meeting};
use serde_json::json;
use tokio::sync::broadcast::error::TryRecvError;
use tokio::sync::mpsc;
use tokio::time::{interval, MissedTickBehavior};

const AUDIO_FRAME: FrameDuration = FrameDuration::Ms20;
const AUDIO_TICK: Duration = Duration::from_millis(20);
const VIDEO_TICK: Duration = Duration::from_millis(33);
/// 25 pulls of 20 ms: the stats cover the last half second of audio.
const ANALYSIS_FRAMES: usize = 25;
const STATS_EVERY_TICKS: u32 = 50;

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
    for tick in 1u32.. {
        clock.tick().await;
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
            if let Ok(frame) = audio.pull(AUDIO_FRAME.samples_per_channel()) {
                t.recent.push(frame.samples);
                if t.recent.len() > ANALYSIS_FRAMES {
                    t.recent.remove(0);
                }
            }
            t.frames = audio.stats().decoded_frames;
        }
        if tick % STATS_EVERY_TICKS == 0 {
            for (source, t) in &known {
                let samples: Vec<i16> = t.recent.concat();
                let line = match t.kind {
                    MediaKind::Audio => json!({
                        "event": "media_stats",
                        "endpoint_id": t.endpoint_id,
                        "source_name": source,
                        "kind": t.kind,
                        "frames_decoded": t.frames,
                        "dominant_hz": (dominant_frequency(&samples, SAMPLE_RATE) * 10.0).round() / 10.0,
                        "level_rms": rms(&samples).round(),
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
