//! Chaos over one long three-party call on the local testbed: a seeded series of the faults
//! `tests/reconnect.rs` names, one after the other, each with a chat message sent while it
//! lasts. Ann reaches Prosody through a fault proxy; Bob and Cat directly; P2P is off, so media
//! goes through the bridge. After each fault: the time from the fault's end to both Ann and Bob
//! hearing each other again, and whether Ann's message reached Bob exactly once.
//!
//! `cargo bench -p omni-jitsi-testbed --bench chaos -- [FAULTS] [SEED]` (30 and 7 by default);
//! run by `cargo xtask bench`. One JSON line per fault kind, then a summary line (messages lost
//! and duplicated). A meeting that ends, or a call that does not recover within 40 s, stops the
//! run with the error: a summary means no meeting ended.

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::*;
use omni_jitsi_core::{ConferenceEvent, MeetingOptions, Timeouts};
use omni_jitsi_testbed::fault_proxy::FaultProxy;
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const ROOM: &str = "chaos";
const RECOVERY_WITHIN: Duration = Duration::from_secs(40);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fault {
    /// Ann's socket cut; the server still holds her session (resumed).
    SocketCut,
    /// Prosody killed and started again: sessions and rooms gone (everyone rejoins).
    ProsodyRestart,
    /// Ann's path to the bridge dead until her app hears it is interrupted (5 s), then back.
    BridgeOutage,
    /// The path from Ann's address to the bridge dies, as when a phone's network goes away
    /// without the app hearing of it: her ICE gives up and restarts in place on new sockets.
    MediaPathDead,
    /// The same with the app's network-change hint at once, as the OS gives it.
    NetworkChange,
    /// Ann's bridge allocation unreachable for good: the in-place restart cannot help, and she
    /// gets a new bridge session.
    AllocationDead,
    /// The bridge goes away and the focus moves everyone to another one.
    BridgeMove,
    /// The bridge's port for Ann changes: her ICE restarts onto the new one.
    BridgePortChange,
}

const FAULTS: [Fault; 8] = [
    Fault::SocketCut,
    Fault::ProsodyRestart,
    Fault::BridgeOutage,
    Fault::MediaPathDead,
    Fault::NetworkChange,
    Fault::AllocationDead,
    Fault::BridgeMove,
    Fault::BridgePortChange,
];

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::SocketCut => "socket_cut",
            Fault::ProsodyRestart => "prosody_restart",
            Fault::BridgeOutage => "bridge_outage",
            Fault::MediaPathDead => "media_path_dead",
            Fault::NetworkChange => "network_change",
            Fault::AllocationDead => "allocation_dead",
            Fault::BridgeMove => "bridge_move",
            Fault::BridgePortChange => "bridge_port_change",
        }
    }
}

fn on_the_bridge(mut o: MeetingOptions) -> MeetingOptions {
    o.config_overrides
        .insert("p2p.enabled".into(), "false".into());
    o.timeouts = Timeouts {
        reconnect: Duration::from_secs(45),
        ..Timeouts::default()
    };
    o
}

/// Waits until Ann's app was last told that her media connection is not interrupted: audio may
/// flow again before ICE says so, and a fault that starts before would find it still
/// interrupted.
async fn settled(ann: &mut Client) {
    ann.take_arrived();
    let last = ann.history.iter().rev().find_map(|e| match e {
        ConferenceEvent::MediaConnectionChanged { interrupted } => Some(*interrupted),
        _ => None,
    });
    if last == Some(true) {
        ann.expect("media_connection_changed restored", |e| {
            matches!(
                e,
                ConferenceEvent::MediaConnectionChanged { interrupted: false }
            )
            .then_some(())
        })
        .await;
    }
}

async fn interrupted(ann: &mut Client) {
    ann.expect("media_connection_changed interrupted", |e| {
        matches!(
            e,
            ConferenceEvent::MediaConnectionChanged { interrupted: true }
        )
        .then_some(())
    })
    .await;
}

/// Injects `fault` while Ann's message `text` is sent; returns when the fault ended (the path
/// back, Prosody back, the hint given; for a path that never comes back, its start).
async fn inject(
    fault: Fault,
    tb: &mut Testbed,
    proxy: &FaultProxy,
    ann: &mut Client,
    text: &str,
) -> Instant {
    let id = ann.id();
    let blackhole = |tb: &Testbed, on| {
        tb.bridge()
            .expect("the testbed runs a bridge")
            .blackhole(ROOM, id.as_str(), on)
    };
    let kill_path = |tb: &Testbed| {
        tb.bridge()
            .expect("the testbed runs a bridge")
            .kill_path(ROOM, id.as_str())
            .expect("Ann has a path to the bridge")
    };
    let sent = {
        let meeting = ann.meeting.clone();
        let text = text.to_string();
        move || tokio::spawn(async move { meeting.send_chat(&text, None).await })
    };
    match fault {
        Fault::SocketCut => {
            proxy.cut();
            let ended = Instant::now();
            sent();
            ended
        }
        Fault::ProsodyRestart => {
            let back = tb.restart_prosody().await.expect("Prosody starts again");
            sent();
            back
        }
        Fault::BridgeOutage => {
            assert!(blackhole(tb, true), "Ann is on the bridge");
            sent();
            interrupted(ann).await;
            assert!(blackhole(tb, false), "the same allocation");
            Instant::now()
        }
        Fault::MediaPathDead => {
            kill_path(tb);
            sent();
            Instant::now()
        }
        Fault::NetworkChange => {
            kill_path(tb);
            sent();
            let hinted = Instant::now();
            ann.meeting
                .network_changed()
                .await
                .expect("the hint is taken");
            hinted
        }
        Fault::AllocationDead => {
            assert!(blackhole(tb, true), "Ann is on the bridge");
            sent();
            Instant::now()
        }
        Fault::BridgeMove => {
            let moved = Instant::now();
            tb.move_bridge().await.expect("another bridge starts");
            sent();
            moved
        }
        Fault::BridgePortChange => {
            let changed = Instant::now();
            tb.bridge()
                .expect("the testbed runs a bridge")
                .change_port(ROOM, id.as_str())
                .expect("a new port")
                .expect("Ann is on the bridge");
            sent();
            changed
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1).filter(|a| a != "--bench");
    let faults: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(30);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let mut rng = StdRng::seed_from_u64(seed);

    let mut tb = testbed_with(TestbedOptions {
        session_hibernation: Some(Duration::from_secs(60)),
        ..TestbedOptions::default()
    })
    .await;
    let proxy = relay_to(&tb).await;
    let mut bob = join(on_the_bridge(options(&tb, ROOM, "Bob"))).await;
    let mut ann = join(on_the_bridge(options_via(&tb, &proxy, ROOM, "Ann"))).await;
    let cat = join(on_the_bridge(options(&tb, ROOM, "Cat"))).await;
    bob.expect_joined_participants(&["Ann", "Cat"]).await;
    both_hear_within(&ann, &bob, RECOVERY_WITHIN)
        .await
        .expect("the call starts");

    let mut recoveries: BTreeMap<Fault, Vec<Duration>> = BTreeMap::new();
    let (mut lost, mut duplicated) = (0usize, 0usize);
    for i in 0..faults {
        let fault = FAULTS[rng.random_range(0..FAULTS.len())];
        settled(&mut ann).await;
        let text = format!("during fault {i} ({})", fault.name());
        eprintln!("chaos: {text}");
        let ended = inject(fault, &mut tb, &proxy, &mut ann, &text).await;
        both_hear_within(&ann, &bob, RECOVERY_WITHIN)
            .await
            .unwrap_or_else(|e| panic!("fault {i} ({}): {e}", fault.name()));
        let took = ended.elapsed();
        eprintln!(
            "chaos: fault {i} ({}): audio both ways {took:?} after its end",
            fault.name()
        );
        recoveries.entry(fault).or_default().push(took);
        let marker = format!("after fault {i}");
        ann.meeting
            .send_chat(&marker, None)
            .await
            .unwrap_or_else(|e| panic!("fault {i} ({}): {e}", fault.name()));
        let got = bob.chats_until(&marker).await;
        let copies = got.iter().filter(|m| m.text == text).count();
        lost += usize::from(copies == 0);
        duplicated += copies.saturating_sub(1);
    }

    for (fault, mut times) in recoveries {
        times.sort();
        let line = serde_json::json!({
            "bench": format!("chaos_{}", fault.name()),
            "runs": times.len(),
            "median_ms": percentile(&times, 0.5),
            "p95_ms": percentile(&times, 0.95),
            "max_ms": percentile(&times, 1.0),
        });
        println!("{line}");
    }
    let summary = serde_json::json!({
        "bench": "chaos_summary",
        "faults": faults,
        "seed": seed,
        "chat_lost": lost,
        "chat_duplicated": duplicated,
    });
    println!("{summary}");
    ann.hang_up().await;
    bob.hang_up().await;
    cat.hang_up().await;
}
