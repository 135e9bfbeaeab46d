//! CPU cost of media on this machine, and one-way audio latency on loopback.
//!
//! `cargo run -p omni-jitsi-media --example media_bench --profile media-bench [SECONDS]`
//!
//! Two sessions in one process over loopback UDP. For each scenario the process's CPU time
//! (getrusage, user + system, all threads) is read around a fixed-length run, so the figure
//! covers both ends: capture-side encode, packetization, SRTP both ways, depacketization,
//! decode, and the webrtc driver tasks. Each result is printed for people, then as one JSON
//! line for `cargo xtask bench`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::connected_pair;
use omni_jitsi_media::audio::{AudioFrame, Channels, FrameDuration, RemoteAudio};
use omni_jitsi_media::session::SessionEvent;
use omni_jitsi_media::signal::{rms, TestPattern, ToneGenerator};
use tokio::time::{interval, MissedTickBehavior};

fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

async fn video(seconds: u64) {
    let (a, mut b) = connected_pair().await;
    let pattern = TestPattern::new(640, 360);
    let frames: Vec<_> = (0..30).map(|i| pattern.frame(i)).collect();
    let mut clock = interval(Duration::from_micros(33_333));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    let mut received = 0u64;
    let total = seconds * 30;
    for index in 0..total {
        clock.tick().await;
        let mut frame = frames[index as usize % frames.len()].clone();
        frame.timestamp = Duration::from_micros(index * 33_333);
        a.session.send_video(&frame).await.expect("send");
        while let Ok(event) = b.events.try_recv() {
            received += u64::from(matches!(event, SessionEvent::RemoteVideo { .. }));
        }
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    let stats = a.session.stats().await;
    let bytes: u64 = stats.sent.iter().map(|s| s.bytes).sum();
    println!(
        "H.264 640x360 30 fps send+receive: {:.3} CPU s per s ({cpu:.2} s CPU over {wall:.2} s), \
         {received}/{total} frames decoded, {:.0} kbit/s sent",
        cpu / wall,
        bytes as f64 * 8.0 / wall / 1000.0
    );
    println!(
        "{}",
        serde_json::json!({"bench": "h264_640x360_30fps_send_receive_cpu", "value": cpu / wall,
            "unit": "CPU s/s", "what": format!("both ends in one process, {received}/{total} frames decoded")})
    );
    a.session.close().await.ok();
    b.session.close().await.ok();
}

async fn audio(seconds: u64) {
    let (a, mut b) = connected_pair().await;
    let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut remote: Option<RemoteAudio> = None;
    let mut clock = interval(Duration::from_millis(20));
    clock.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let (wall, cpu) = (Instant::now(), cpu_seconds());
    for _ in 0..seconds * 50 {
        clock.tick().await;
        a.session
            .send_audio(&tone.next_frame(FrameDuration::Ms20))
            .await
            .expect("send");
        while let Ok(event) = b.events.try_recv() {
            if let SessionEvent::RemoteAudio { audio, .. } = event {
                remote = Some(audio);
            }
        }
        if let Some(audio) = &remote {
            audio.pull(960).expect("pull");
        }
    }
    let (wall, cpu) = (wall.elapsed().as_secs_f64(), cpu_seconds() - cpu);
    println!(
        "Opus 48 kHz mono 20 ms send+receive: {:.4} CPU s per s ({cpu:.2} s CPU over {wall:.2} s)",
        cpu / wall
    );
    println!(
        "{}",
        serde_json::json!({"bench": "opus_send_receive_cpu", "value": cpu / wall,
            "unit": "CPU s/s", "what": "48 kHz mono 20 ms frames, both ends in one process"})
    );
    a.session.close().await.ok();
    b.session.close().await.ok();
}

/// Bursts of tone after silence: the time from `send_audio` of the first tone frame to the first
/// 10 ms pull at the receiver that is not silent. This includes the network path, depacketizing,
/// the jitter buffer (2 packets), decoding and the 10 ms pull granularity; it excludes device
/// buffers on either side, which the platform adds.
async fn latency(bursts: usize) {
    let (a, mut b) = connected_pair().await;
    let mut remote: Option<RemoteAudio> = None;
    let silence = AudioFrame::silence(Channels::Mono, FrameDuration::Ms10, Duration::ZERO);
    let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut clock = interval(Duration::from_millis(10));
    clock.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut samples = Vec::new();
    let mut tick = 0u64;
    let mut burst_started: Option<Instant> = None;
    while samples.len() < bursts {
        clock.tick().await;
        // 600 ms cycles: 300 ms of silence, then 300 ms of tone.
        let phase = tick % 60;
        let frame = if phase < 30 {
            silence.clone()
        } else {
            tone.next_frame(FrameDuration::Ms10)
        };
        if phase == 30 {
            burst_started = Some(Instant::now());
        }
        a.session.send_audio(&frame).await.expect("send");
        while let Ok(event) = b.events.try_recv() {
            if let SessionEvent::RemoteAudio { audio, .. } = event {
                remote = Some(audio);
            }
        }
        if let Some(audio) = &remote {
            let heard = rms(&audio.pull(480).expect("pull").samples) > 500.0;
            if let (true, Some(started)) = (heard, burst_started) {
                // The first cycle only fills the jitter buffer.
                if tick > 60 {
                    samples.push(started.elapsed());
                }
                burst_started = None;
            }
        }
        tick += 1;
    }
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "one-way audio latency, send_audio -> pull (10 ms frames, jitter target 2 packets): \
         median {:.1} ms, min {:.1} ms, max {:.1} ms over {} bursts",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    );
    println!(
        "{}",
        serde_json::json!({"bench": "audio_one_way_latency", "runs": samples.len(),
            "median_ms": ms(samples[samples.len() / 2]), "min_ms": ms(samples[0]),
            "max_ms": ms(samples[samples.len() - 1])})
    );
    a.session.close().await.ok();
    b.session.close().await.ok();
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let seconds = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    video(seconds).await;
    audio(seconds).await;
    latency(10).await;
}
