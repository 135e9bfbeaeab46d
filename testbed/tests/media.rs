//! Two SDK participants in one room talk peer to peer through the public API: each hears the
//! other's tone at the right frequency, muting silences the other side within a bounded number
//! of frames and keeps it silent, and the moving test pattern arrives intact. Real Prosody, real
//! Jingle, real UDP.

mod common;

use std::time::Duration;

use common::{join_all, pictures_of, testbed, Client, WAIT};
use omni_jitsi_core::media::audio::{Channels, FrameDuration, RemoteAudio, SAMPLE_RATE};
use omni_jitsi_core::media::signal::{dominant_frequency, psnr, rms, TestPattern, ToneGenerator};
use omni_jitsi_core::{ConferenceEvent, MediaKind, ReceiverConstraints};
use tokio::sync::broadcast::error::TryRecvError;
use tokio::time::{interval, MissedTickBehavior};

const FRAME: FrameDuration = FrameDuration::Ms20;
/// The test's audio device: 20 ms ticks. A clock, not a synchronisation sleep.
const TICK: Duration = Duration::from_millis(20);
/// Frames allowed between a mute change at the sender and the receiver hearing it: network,
/// the 2-packet jitter buffer, Opus concealment fading out, scheduling slack.
const MAX_REACTION_FRAMES: usize = 15;
/// Ticks the call may take to connect (ICE + DTLS) before the tone must be heard.
const MAX_TICKS: usize = (20_000 / 20) as usize;
/// A tone at amplitude 8000 has an RMS near 5660; silence and concealment fade-out stay far below.
const AUDIBLE_RMS: f64 = 500.0;
/// What counts as silence: well under the tone, above the noise a muted stream may decode to.
const SILENT_RMS: f64 = AUDIBLE_RMS / 10.0;
/// Frames of silence in a row that show a mute holds, not one quiet packet: half a second.
const SILENT_STRETCH: usize = 25;

/// Waits for the other participant's track of `kind` and returns its source name.
async fn remote_track(client: &mut Client, from: &Client, kind: MediaKind) -> String {
    let peer = from.id();
    client
        .expect(
            &format!("remote_track_added {kind:?} of {}", from.name),
            |e| match e {
                ConferenceEvent::RemoteTrackAdded {
                    endpoint_id,
                    source_name,
                    kind: k,
                } if *endpoint_id == peer && *k == kind => Some(source_name.clone()),
                _ => None,
            },
        )
        .await
}

/// One side of the call: what it sends, and what it heard from the other.
struct Ear {
    source: String,
    audio: Option<RemoteAudio>,
    heard: Vec<Vec<i16>>,
}

impl Ear {
    fn new(source: String) -> Ear {
        Ear {
            source,
            audio: None,
            heard: Vec::new(),
        }
    }

    /// One 20 ms pull, as an audio output callback would do it.
    fn pull(&mut self, client: &Client) {
        if self.audio.is_none() {
            self.audio = client.meeting.remote_audio(&self.source);
        }
        let samples = match &self.audio {
            Some(a) => a.pull(FRAME.samples_per_channel()).unwrap().samples,
            None => vec![0; FRAME.samples_per_channel()],
        };
        self.heard.push(samples);
    }

    fn last_frames_audible(&self, n: usize) -> bool {
        self.heard.len() >= n
            && self.heard[self.heard.len() - n..]
                .iter()
                .all(|f| rms(f) > AUDIBLE_RMS)
    }

    fn last_frames_silent(&self, n: usize) -> bool {
        self.heard.len() >= n
            && self.heard[self.heard.len() - n..]
                .iter()
                .all(|f| rms(f) <= SILENT_RMS)
    }

    fn frequency_of_last(&self, n: usize) -> f64 {
        let tail: Vec<i16> = self.heard[self.heard.len() - n..].concat();
        dominant_frequency(&tail, SAMPLE_RATE)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_participants_hear_each_others_tone_and_mute_silences_it() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "tones", &["Ann", "Bob"]).await;
    let mut b = clients.pop().unwrap();
    let mut a = clients.pop().unwrap();
    let mut at_a = Ear::new(remote_track(&mut a, &b, MediaKind::Audio).await);
    let mut at_b = Ear::new(remote_track(&mut b, &a, MediaKind::Audio).await);
    assert_eq!(at_b.source, format!("{}-a0", a.id()));
    assert_eq!(at_a.source, format!("{}-a0", b.id()));

    let mut tone_a = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut tone_b = ToneGenerator::new(880.0, 8000, Channels::Mono);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tick = |a: &Client, b: &Client, at_a: &mut Ear, at_b: &mut Ear| {
        let (fa, fb) = (tone_a.next_frame(FRAME), tone_b.next_frame(FRAME));
        let (ma, mb) = (a.meeting.clone(), b.meeting.clone());
        at_a.pull(a);
        at_b.pull(b);
        async move {
            ma.push_audio(&fa).await.unwrap();
            mb.push_audio(&fb).await.unwrap();
        }
    };

    let mut ticks = 0;
    while !(at_a.last_frames_audible(25) && at_b.last_frames_audible(25)) {
        assert!(
            ticks < MAX_TICKS,
            "no steady audio within {MAX_TICKS} frames (Ann heard {}, Bob heard {} frames)",
            at_a.heard.iter().filter(|f| rms(f) > AUDIBLE_RMS).count(),
            at_b.heard.iter().filter(|f| rms(f) > AUDIBLE_RMS).count()
        );
        clock.tick().await;
        tick(&a, &b, &mut at_a, &mut at_b).await;
        ticks += 1;
    }
    let (heard_by_b, heard_by_a) = (at_b.frequency_of_last(25), at_a.frequency_of_last(25));
    assert!(
        (heard_by_b - 440.0).abs() <= 5.0,
        "Bob hears {heard_by_b:.1} Hz"
    );
    assert!(
        (heard_by_a - 880.0).abs() <= 5.0,
        "Ann hears {heard_by_a:.1} Hz"
    );

    a.meeting.set_audio_muted(true).await.unwrap();
    let mut frames = 0;
    while !at_b.last_frames_silent(SILENT_STRETCH) {
        assert!(
            frames < MAX_REACTION_FRAMES + SILENT_STRETCH,
            "Bob does not hear {SILENT_STRETCH} silent frames in a row within \
             {MAX_REACTION_FRAMES} frames of Ann muting; levels since: {:?}",
            at_b.heard[at_b.heard.len() - frames..]
                .iter()
                .map(|f| rms(f) as u32)
                .collect::<Vec<_>>()
        );
        clock.tick().await;
        tick(&a, &b, &mut at_a, &mut at_b).await;
        frames += 1;
    }
    a.meeting.set_audio_muted(false).await.unwrap();
    let mut frames = 0;
    while !at_b.last_frames_audible(5) {
        assert!(
            frames < MAX_REACTION_FRAMES + 5,
            "Bob does not hear Ann again {frames} frames after she unmuted"
        );
        clock.tick().await;
        tick(&a, &b, &mut at_a, &mut at_b).await;
        frames += 1;
    }
    assert!((at_b.frequency_of_last(5) - 440.0).abs() <= 5.0);
    b.hang_up().await;
    a.hang_up().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moving_pattern_arrives_intact_at_the_other_participant() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "pattern", &["Ann", "Bob"]).await;
    let mut b = clients.pop().unwrap();
    let a = clients.pop().unwrap();
    let source = remote_track(&mut b, &a, MediaKind::Video).await;
    assert_eq!(source, format!("{}-v0", a.id()));
    let mut pictures = b.meeting.remote_video();
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(Duration::from_millis(33));
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut decoded = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut index = 0;
    while decoded.len() < 30 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} pictures decoded after {index} sent",
            decoded.len()
        );
        clock.tick().await;
        a.meeting.push_video(&pattern.frame(index)).await.unwrap();
        index += 1;
        loop {
            match pictures.try_recv() {
                Ok(p) => {
                    assert_eq!(p.source_name, source);
                    let n = pattern
                        .read_index(&p.frame)
                        .expect("a decoded picture without a readable index");
                    decoded.push((n, p.frame));
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(_) => break,
            }
        }
    }
    for (n, frame) in &decoded {
        let score = psnr(&pattern.frame(*n), frame).expect("same size");
        assert!(score > 30.0, "picture {n}: {score:.1} dB");
    }
    assert!(
        decoded.windows(2).all(|w| w[1].0 > w[0].0),
        "pictures out of order or repeated"
    );
    b.hang_up().await;
}

/// The bridge's sender constraints bind the bridge session only: when Bob tells the bridge he
/// wants no video, the bridge tells Ann nobody watches her camera, and her camera still reaches
/// Bob over P2P.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn p2p_video_keeps_flowing_when_the_bridge_says_nobody_watches() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "p2p-constraints", &["Ann", "Bob"]).await;
    let mut b = clients.pop().unwrap();
    let mut a = clients.pop().unwrap();
    a.expect("p2p_status_changed true", |e| {
        matches!(e, ConferenceEvent::P2pStatusChanged { active: true }).then_some(())
    })
    .await;
    let camera = format!("{}-v0", a.id());
    let mut pictures = b.meeting.remote_video();
    let pattern = TestPattern::new(160, 90);
    let mut clock = interval(Duration::from_millis(33));
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut index = 0;
    // Sends Ann's pattern for `ticks` pictures; how many of them Bob decoded.
    let mut send = async |ticks: u32, a: &Client| {
        let mut decoded = 0;
        for _ in 0..ticks {
            clock.tick().await;
            a.meeting.push_video(&pattern.frame(index)).await.unwrap();
            index += 1;
            decoded += pictures_of(&mut pictures, &camera);
        }
        decoded
    };
    // The P2P session is announced before ICE, DTLS and a first keyframe have gone through:
    // Ann's camera is first seen arriving (within 10 s), then counted.
    let mut sent = 0;
    while send(1, &a).await == 0 {
        sent += 1;
        assert!(
            sent < 300,
            "no picture of Ann's camera reached Bob over P2P in 10 s"
        );
    }
    let before = send(60, &a).await;
    assert!(before >= 20, "Bob decoded {before} of 60 pictures over P2P");

    b.meeting
        .set_receiver_constraints(ReceiverConstraints {
            last_n: Some(0),
            ..Default::default()
        })
        .await
        .unwrap();
    b.expect("forwarded_sources_changed to none", |e| match e {
        ConferenceEvent::ForwardedSourcesChanged { sources } if sources.is_empty() => Some(()),
        _ => None,
    })
    .await;
    // The bridge's SenderSourceConstraints (height 0) went to Ann with that; a second of slack
    // for it to arrive, then Ann's camera must still reach Bob.
    send(30, &a).await;
    let after = send(60, &a).await;
    assert!(
        after >= 20,
        "Bob decoded {after} of 60 pictures over P2P once the bridge said nobody watches"
    );
    b.hang_up().await;
    a.hang_up().await;
}
