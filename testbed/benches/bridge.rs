//! CPU the testbed bridge spends per forwarded stream. The bridge runs alone on its own thread
//! (a current-thread runtime), so getrusage(RUSAGE_THREAD) read on that thread measures it and
//! nothing else; three participants on the main runtime each send Opus audio (20 ms) and H.264
//! video (320x180, 30 fps) for a fixed 10 s, and each stream is forwarded to the two others:
//! 12 forwarded streams. `cargo bench -p omni-jitsi-testbed --bench bridge`

#[path = "../tests/bridge_common/mod.rs"]
mod bridge_common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use omni_jitsi_media::audio::{Channels, FrameDuration};
use omni_jitsi_media::signal::{TestPattern, ToneGenerator};
use omni_jitsi_testbed::bridge::Bridge;
use tokio::sync::{mpsc, oneshot};
use tokio::time::{interval, MissedTickBehavior};

const RUN: Duration = Duration::from_secs(10);

fn thread_cpu() -> Duration {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: getrusage writes a whole rusage into the pointer we give it.
    let usage = unsafe {
        libc::getrusage(libc::RUSAGE_THREAD, usage.as_mut_ptr());
        usage.assume_init()
    };
    let t = |tv: libc::timeval| Duration::new(tv.tv_sec as u64, tv.tv_usec as u32 * 1000);
    t(usage.ru_utime) + t(usage.ru_stime)
}

/// Starts the bridge on its own thread; the channel asks that thread for its CPU time.
fn bridge_thread() -> (
    Arc<Bridge>,
    mpsc::UnboundedSender<oneshot::Sender<Duration>>,
) {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("bridge runtime");
        runtime.block_on(async move {
            let bridge = Arc::new(Bridge::start().await.expect("bridge"));
            let (tx, mut rx) = mpsc::unbounded_channel::<oneshot::Sender<Duration>>();
            ready_tx.send((bridge, tx)).expect("main thread waits");
            while let Some(reply) = rx.recv().await {
                let _ = reply.send(thread_cpu());
            }
        });
    });
    ready_rx.recv().expect("bridge started")
}

async fn bridge_cpu(ask: &mpsc::UnboundedSender<oneshot::Sender<Duration>>) -> Duration {
    let (tx, rx) = oneshot::channel();
    ask.send(tx).expect("bridge thread alive");
    rx.await.expect("bridge thread answers")
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let (bridge, ask) = bridge_thread();
        let participants = bridge_common::join(&bridge, &["ann", "bob", "cat"]).await;
        let mut tones: Vec<ToneGenerator> = [440.0, 660.0, 990.0]
            .iter()
            .map(|hz| ToneGenerator::new(*hz, 8000, Channels::Mono))
            .collect();
        let pattern = TestPattern::new(320, 180);
        // One 10 ms clock: audio every second tick (20 ms), video every third (33 ms).
        let mut clock = interval(Duration::from_millis(10));
        clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let before = (bridge_cpu(&ask).await, bridge.stats());
        let start = Instant::now();
        let mut tick = 0u32;
        while start.elapsed() < RUN {
            clock.tick().await;
            tick += 1;
            let (audio_due, video_due) = (tick % 2 == 1, tick % 3 == 1);
            for (p, tone) in participants.iter().zip(&mut tones) {
                if audio_due {
                    p.session
                        .send_audio(&tone.next_frame(FrameDuration::Ms20))
                        .await
                        .unwrap();
                }
                if video_due {
                    p.session
                        .send_video(&pattern.frame(tick / 3))
                        .await
                        .unwrap();
                }
            }
        }
        let elapsed = start.elapsed().as_secs_f64();
        let cpu = (bridge_cpu(&ask).await - before.0).as_secs_f64();
        let stats = bridge.stats();
        let forwarded = stats.rtp_forwarded - before.1.rtp_forwarded;
        let received = stats.rtp_received - before.1.rtp_received;
        let streams = 12.0;
        println!(
            "bridge: {elapsed:.1} s, {received} RTP packets in, {forwarded} forwarded ({:.0}/s), \
             {:.4} CPU s per s in total, {:.4} per forwarded stream, {:.1} us per forwarded packet",
            forwarded as f64 / elapsed,
            cpu / elapsed,
            cpu / elapsed / streams,
            cpu * 1e6 / forwarded.max(1) as f64,
        );
        println!(
            "{}",
            serde_json::json!({
                "bench": "testbed_bridge_cpu_per_forwarded_stream",
                "value": cpu / elapsed / streams,
                "unit": "CPU s/s",
                "what": format!(
                    "testbed SFU thread (RUSAGE_THREAD), 3 senders of Opus + H.264 320x180 30 fps, \
                     12 forwarded streams, {elapsed:.0} s, {:.1} us per forwarded packet",
                    cpu * 1e6 / forwarded.max(1) as f64
                ),
            })
        );
        assert!(forwarded > 0, "nothing was forwarded");
    });
}
