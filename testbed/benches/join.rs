//! Join latency on the local testbed: the time from `join()` to the room confirming it, for a
//! fresh room (the focus joins first) and for a room that is already running, 20 times each.
//! Run by `cargo xtask bench`; prints one JSON line per measurement set.

use std::time::{Duration, Instant};

use omni_jitsi_core::{MeetingOptions, TerminationReason};
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::sync::mpsc;

const RUNS: usize = 20;

async fn timed_join(
    options: MeetingOptions,
) -> (
    Duration,
    omni_jitsi_core::Meeting,
    mpsc::UnboundedReceiver<omni_jitsi_core::ConferenceEvent>,
) {
    let (tx, rx) = mpsc::unbounded_channel();
    let start = Instant::now();
    let meeting = omni_jitsi_core::join(options, tx).await.expect("join");
    (start.elapsed(), meeting, rx)
}

async fn leave(
    meeting: omni_jitsi_core::Meeting,
    mut events: mpsc::UnboundedReceiver<omni_jitsi_core::ConferenceEvent>,
) {
    meeting.hang_up().await.expect("hang up");
    while let Some(e) = events.recv().await {
        if let omni_jitsi_core::ConferenceEvent::ConferenceTerminated { reason, .. } = e {
            assert_eq!(reason, TerminationReason::HungUp);
            break;
        }
    }
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let line = serde_json::json!({
        "bench": name,
        "runs": samples.len(),
        "median_ms": ms(samples[samples.len() / 2]),
        "min_ms": ms(samples[0]),
        "max_ms": ms(samples[samples.len() - 1]),
    });
    println!("{line}");
}

#[tokio::main]
async fn main() {
    let tb = Testbed::start(TestbedOptions::default())
        .await
        .expect("testbed");
    let options = |room: &str, name: &str| {
        let mut o = MeetingOptions::new(tb.server_url(), room);
        o.display_name = Some(name.into());
        o
    };

    let mut fresh = Vec::new();
    for i in 0..RUNS {
        let (took, meeting, events) =
            timed_join(options(&format!("bench-fresh-{i}"), "Solo")).await;
        fresh.push(took);
        leave(meeting, events).await;
    }
    report("join_fresh_room", fresh);

    let (_, host, host_events) = timed_join(options("bench-running", "Host")).await;
    let mut running = Vec::new();
    for _ in 0..RUNS {
        let (took, meeting, events) = timed_join(options("bench-running", "Guest")).await;
        running.push(took);
        leave(meeting, events).await;
    }
    report("join_running_room", running);
    leave(host, host_events).await;
    tb.stop().await;
}
