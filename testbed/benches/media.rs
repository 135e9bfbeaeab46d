//! Media start-up on the local testbed: from the second participant's join (the room confirmed
//! it) to the first decoded audio frame and the first decoded picture of the first participant,
//! who sends a tone and the test pattern from the moment it joined. P2P: ICE, DTLS and the first
//! keyframe are all in the number. Then through the bridge: with two and with four participants
//! sending, one more joins, and we time until it hears every one of them and sees a first picture.
//! Last, the moves between P2P and the bridge: the longest silence a listener hears in a talker's
//! tone while a third joins (P2P -> bridge) and leaves again (bridge -> P2P).
//! 10 fresh rooms each; run by `cargo xtask bench`; one JSON line per measurement set.

use std::time::{Duration, Instant};

use omni_jitsi_core::media::audio::{Channels, FrameDuration};
use omni_jitsi_core::media::signal::{rms, TestPattern, ToneGenerator};
use omni_jitsi_core::{ConferenceEvent, MediaKind, Meeting, MeetingOptions};
use omni_jitsi_testbed::{Testbed, TestbedOptions};
use tokio::sync::mpsc;
use tokio::time::{interval, timeout, MissedTickBehavior};

const RUNS: usize = 10;
const GIVE_UP: Duration = Duration::from_secs(20);
/// The receiver's audio device: 10 ms pulls.
const PULL_TICK: Duration = Duration::from_millis(10);

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

fn send_media(meeting: Meeting) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
        let pattern = TestPattern::new(320, 180);
        let mut clock = interval(Duration::from_millis(20));
        clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        for tick in 0u32.. {
            clock.tick().await;
            if meeting
                .push_audio(&tone.next_frame(FrameDuration::Ms20))
                .await
                .is_err()
            {
                return;
            }
            // 25 fps on the 20 ms clock: four pictures every five ticks.
            if tick % 5 != 4 && meeting.push_video(&pattern.frame(tick)).await.is_err() {
                return;
            }
        }
    })
}

/// Times from `joined` to the first audible pulled frame and to the first decoded picture.
async fn first_media(
    meeting: &Meeting,
    events: &mut mpsc::UnboundedReceiver<ConferenceEvent>,
    joined: Instant,
) -> (Duration, Duration) {
    let mut pictures = meeting.remote_video();
    let mut audio_source = None;
    let (mut audio_at, mut video_at) = (None, None);
    let mut clock = interval(PULL_TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let waited = timeout(GIVE_UP, async {
        while audio_at.is_none() || video_at.is_none() {
            tokio::select! {
                _ = clock.tick() => {}
                Some(event) = events.recv() => {
                    if let ConferenceEvent::RemoteTrackAdded { source_name, kind: MediaKind::Audio, .. } = event {
                        audio_source = Some(source_name);
                    }
                    continue;
                }
                Ok(_) = pictures.recv(), if video_at.is_none() => {
                    video_at = Some(joined.elapsed());
                    continue;
                }
            }
            if audio_at.is_none() {
                let audio = audio_source.as_deref().and_then(|s| meeting.remote_audio(s));
                if let Some(audio) = audio {
                    let frame = audio.pull(480).expect("pull");
                    if rms(&frame.samples) > 500.0 {
                        audio_at = Some(joined.elapsed());
                    }
                }
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "no media within {GIVE_UP:?}: audio {audio_at:?}, video {video_at:?}"
    );
    (audio_at.unwrap(), video_at.unwrap())
}

/// Times from `joined` until audio from every one of `sources` is audible.
async fn all_audible(meeting: &Meeting, sources: &[String], joined: Instant) -> Duration {
    let mut heard = vec![false; sources.len()];
    let mut clock = interval(PULL_TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let waited = timeout(GIVE_UP, async {
        while heard.contains(&false) {
            clock.tick().await;
            for (source, heard) in sources.iter().zip(heard.iter_mut()) {
                if let Some(audio) = meeting.remote_audio(source) {
                    *heard |= rms(&audio.pull(480).expect("pull").samples) > 500.0;
                }
            }
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "not every source audible within {GIVE_UP:?}: {heard:?}"
    );
    joined.elapsed()
}

/// Through the bridge: `senders` participants send from the moment they joined, then one more
/// joins; from its join to the first decoded picture and to audio from all of them. The first
/// two talk P2P until the third arrives, as in any Jitsi room.
async fn bridge_runs(tb: &Testbed, senders: usize) -> (Vec<Duration>, Vec<Duration>) {
    let (mut all_audio, mut first_video) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let room = format!("bench-bridge{senders}-{i}");
        let mut joined_senders = Vec::new();
        for s in 0..senders {
            let mut o = MeetingOptions::new(tb.server_url(), &room);
            o.display_name = Some(format!("Sender{s}"));
            let (m, events) = join(o).await;
            joined_senders.push((m.clone(), events, send_media(m)));
        }
        let mut o = MeetingOptions::new(tb.server_url(), &room);
        o.display_name = Some("Receiver".into());
        let (receiver, _events) = join(o).await;
        let joined = Instant::now();
        let mut pictures = receiver.remote_video();
        let sources: Vec<String> = joined_senders
            .iter()
            .map(|(m, ..)| format!("{}-a0", m.endpoint_id()))
            .collect();
        let (audio, video) = tokio::join!(all_audible(&receiver, &sources, joined), async {
            timeout(GIVE_UP, pictures.recv())
                .await
                .expect("a picture through the bridge")
                .expect("pictures");
            joined.elapsed()
        });
        all_audio.push(audio);
        first_video.push(video);
        receiver.hang_up().await.expect("hang up");
        for (m, _, pushing) in joined_senders {
            m.hang_up().await.expect("hang up");
            pushing.abort();
        }
    }
    (all_audio, first_video)
}

/// How long the listener keeps listening after the status change, for a gap that comes late.
const AFTER_MOVE: Duration = Duration::from_millis(1500);

/// Ann talks, Bob listens; Cat joins and leaves. Per run, the longest silence Bob hears in Ann's
/// tone from Cat's join (or leave) until `AFTER_MOVE` after Bob's P2P status changed.
async fn move_runs(tb: &Testbed) -> (Vec<Duration>, Vec<Duration>) {
    let (mut to_bridge, mut to_p2p) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let room = format!("bench-moves-{i}");
        let options = |name: &str| {
            let mut o = MeetingOptions::new(tb.server_url(), &room);
            o.display_name = Some(name.into());
            // lib-jitsi-meet's backToP2PDelay is 5 s; the wait is not part of the silence.
            o.config_overrides
                .insert("p2p.backToP2PDelay".into(), "1".into());
            o
        };
        let (ann, _ann_events) = join(options("Ann")).await;
        let talking = send_media(ann.clone());
        let (bob, mut events) = join(options("Bob")).await;
        let tone = format!("{}-a0", ann.endpoint_id());
        p2p_status(&mut events, true).await;
        all_audible(&bob, std::slice::from_ref(&tone), Instant::now()).await;

        // Bob listens from before Cat's join and leave, so no gap can start unheard.
        let ((cat, _cat_events), silence) = tokio::join!(
            join(options("Cat")),
            longest_silence(&bob, &tone, &mut events, false)
        );
        to_bridge.push(silence);
        let (left, silence) = tokio::join!(
            cat.hang_up(),
            longest_silence(&bob, &tone, &mut events, true)
        );
        left.expect("hang up");
        to_p2p.push(silence);

        bob.hang_up().await.expect("hang up");
        ann.hang_up().await.expect("hang up");
        talking.abort();
    }
    (to_bridge, to_p2p)
}

async fn p2p_status(events: &mut mpsc::UnboundedReceiver<ConferenceEvent>, active: bool) {
    let changed = timeout(GIVE_UP, async {
        while let Some(event) = events.recv().await {
            if matches!(event, ConferenceEvent::P2pStatusChanged { active: a } if a == active) {
                return;
            }
        }
    })
    .await;
    assert!(changed.is_ok(), "P2P never became {active}");
}

/// Pulls `source` every 10 ms, as an audio device would, until `AFTER_MOVE` after P2P became
/// `active`; the longest run of inaudible pulls.
async fn longest_silence(
    meeting: &Meeting,
    source: &str,
    events: &mut mpsc::UnboundedReceiver<ConferenceEvent>,
    active: bool,
) -> Duration {
    let mut clock = interval(PULL_TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let (mut gap, mut longest) = (0u32, 0u32);
    let mut until = None;
    let listened = timeout(GIVE_UP, async {
        while until.is_none_or(|t| Instant::now() < t) {
            tokio::select! {
                _ = clock.tick() => {}
                Some(event) = events.recv(), if until.is_none() => {
                    if matches!(event, ConferenceEvent::P2pStatusChanged { active: a } if a == active) {
                        until = Some(Instant::now() + AFTER_MOVE);
                    }
                    continue;
                }
            }
            let audible = meeting
                .remote_audio(source)
                .is_some_and(|audio| rms(&audio.pull(480).expect("pull").samples) > 500.0);
            gap = if audible { 0 } else { gap + 1 };
            longest = longest.max(gap);
        }
    })
    .await;
    assert!(listened.is_ok(), "P2P never became {active}");
    PULL_TICK * longest
}

async fn join(options: MeetingOptions) -> (Meeting, mpsc::UnboundedReceiver<ConferenceEvent>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let meeting = omni_jitsi_core::join(options, tx).await.expect("join");
    (meeting, rx)
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
    let (mut audio, mut video) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let room = format!("bench-media-{i}");
        let (sender, _sender_events) = join(options(&room, "Sender")).await;
        let pushing = send_media(sender.clone());
        let (receiver, mut events) = join(options(&room, "Receiver")).await;
        let joined = Instant::now();
        let (a, v) = first_media(&receiver, &mut events, joined).await;
        audio.push(a);
        video.push(v);
        receiver.hang_up().await.expect("hang up");
        sender.hang_up().await.expect("hang up");
        pushing.abort();
    }
    report("p2p_first_remote_audio_after_join", audio);
    report("p2p_first_remote_video_after_join", video);
    let (audio, video) = bridge_runs(&tb, 2).await;
    report("bridge3_all_remote_audio_after_join", audio);
    report("bridge3_first_remote_video_after_join", video);
    let (audio, video) = bridge_runs(&tb, 4).await;
    report("bridge5_all_remote_audio_after_join", audio);
    report("bridge5_first_remote_video_after_join", video);
    let (to_bridge, to_p2p) = move_runs(&tb).await;
    report("move_p2p_to_bridge_longest_silence", to_bridge);
    report("move_bridge_to_p2p_longest_silence", to_p2p);
}
