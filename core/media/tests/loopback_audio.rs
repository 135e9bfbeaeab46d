//! Two sessions exchange Opus audio over loopback: tones are recognised on the other side, and
//! muting silences the receiver within a bounded number of frames.

mod common;

use std::time::Duration;

use common::{connected_pair, Peer};
use omni_jitsi_media::audio::{Channels, FrameDuration, RemoteAudio, SAMPLE_RATE};
use omni_jitsi_media::session::SessionEvent;
use omni_jitsi_media::signal::{dominant_frequency, rms, ToneGenerator};
use tokio::time::{interval, MissedTickBehavior};

const FRAME: FrameDuration = FrameDuration::Ms20;
/// The test's "audio device": 20 ms ticks. A clock, not a synchronisation sleep.
const TICK: Duration = Duration::from_millis(20);
/// Frames (20 ms) allowed between a change at the sender and the receiver hearing it:
/// network + jitter buffer (2 packets) + concealment fade (3 frames) + scheduling slack.
const MAX_REACTION_FRAMES: usize = 15;

/// Keeps the remote audio handle once it appears, checking it is named as the test named it.
fn take_remote_audio(peer: &mut Peer, slot: &mut Option<RemoteAudio>) {
    while let Ok(event) = peer.events.try_recv() {
        if let SessionEvent::RemoteAudio { audio, source } = event {
            assert_eq!(
                source.name.as_deref(),
                Some(REMOTE_AUDIO_NAME),
                "{source:?}"
            );
            *slot = Some(audio);
        }
    }
}

const REMOTE_AUDIO_NAME: &str = "peer-a0";

/// Names each side's remote audio source as the signalling layer would from Jingle `<source>`.
fn name_audio_sources(a: &Peer, b: &Peer) {
    b.session
        .set_remote_source_name(a.session.local_ssrcs().0, REMOTE_AUDIO_NAME);
    a.session
        .set_remote_source_name(b.session.local_ssrcs().0, REMOTE_AUDIO_NAME);
}

fn pull(audio: &Option<RemoteAudio>) -> Vec<i16> {
    audio.as_ref().map_or_else(Vec::new, |a| {
        a.pull(FRAME.samples_per_channel()).unwrap().samples
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_side_hears_the_others_tone() {
    let (mut a, mut b) = connected_pair().await;
    name_audio_sources(&a, &b);
    let mut tone_a = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut tone_b = ToneGenerator::new(880.0, 8000, Channels::Mono);
    let (mut at_a, mut at_b) = (None, None);
    let (mut heard_by_a, mut heard_by_b) = (Vec::new(), Vec::new());
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for _ in 0..60 {
        clock.tick().await;
        a.session
            .send_audio(&tone_a.next_frame(FRAME))
            .await
            .unwrap();
        b.session
            .send_audio(&tone_b.next_frame(FRAME))
            .await
            .unwrap();
        take_remote_audio(&mut a, &mut at_a);
        take_remote_audio(&mut b, &mut at_b);
        heard_by_a.extend(pull(&at_a));
        heard_by_b.extend(pull(&at_b));
    }
    assert!(
        at_a.is_some() && at_b.is_some(),
        "remote audio did not start on both sides"
    );
    let last_half_second =
        |pcm: &[i16]| pcm[pcm.len().saturating_sub(SAMPLE_RATE as usize / 2)..].to_vec();
    let at_b_hz = dominant_frequency(&last_half_second(&heard_by_b), SAMPLE_RATE);
    let at_a_hz = dominant_frequency(&last_half_second(&heard_by_a), SAMPLE_RATE);
    assert!(
        (at_b_hz - 440.0).abs() <= 5.0,
        "B heard {at_b_hz} Hz, A sent 440 Hz"
    );
    assert!(
        (at_a_hz - 880.0).abs() <= 5.0,
        "A heard {at_a_hz} Hz, B sent 880 Hz"
    );

    let stats = a.session.stats().await;
    let sent = stats
        .sent
        .iter()
        .find(|s| s.ssrc == a.session.local_ssrcs().0)
        .expect("audio stats");
    assert!(
        sent.frames >= 50 && sent.packets >= 50 && sent.bytes > 0,
        "{sent:?}"
    );
    a.session.close().await.unwrap();
    b.session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muting_silences_the_receiver_and_unmuting_brings_the_tone_back() {
    let (a, mut b) = connected_pair().await;
    name_audio_sources(&a, &b);
    let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
    let mut at_b = None;
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);

    // Phase 1: audible.
    let mut audible_at = None;
    for i in 0..50 {
        clock.tick().await;
        a.session.send_audio(&tone.next_frame(FRAME)).await.unwrap();
        take_remote_audio(&mut b, &mut at_b);
        if rms(&pull(&at_b)) > 1000.0 {
            audible_at.get_or_insert(i);
            if i - audible_at.unwrap() >= 5 {
                break;
            }
        }
    }
    assert!(audible_at.is_some(), "B never heard A");

    // Phase 2: A mutes; B must go silent and stay silent.
    a.session.set_audio_muted(true);
    let mut silent_after = None;
    for i in 0..MAX_REACTION_FRAMES + 10 {
        clock.tick().await;
        a.session.send_audio(&tone.next_frame(FRAME)).await.unwrap();
        let level = rms(&pull(&at_b));
        if level == 0.0 && silent_after.is_none() {
            silent_after = Some(i);
        }
        if silent_after.is_some() {
            assert_eq!(level, 0.0, "audio came back while muted (frame {i})");
        }
    }
    let silent_after = silent_after.expect("B still hears A after muting");
    assert!(
        silent_after <= MAX_REACTION_FRAMES,
        "silent only after {silent_after} frames"
    );

    // Phase 3: unmute; the 440 Hz tone is back within the bound.
    a.session.set_audio_muted(false);
    let mut heard = Vec::new();
    let mut audible_after = None;
    for i in 0..MAX_REACTION_FRAMES + 15 {
        clock.tick().await;
        a.session.send_audio(&tone.next_frame(FRAME)).await.unwrap();
        let pcm = pull(&at_b);
        if audible_after.is_none() && rms(&pcm) > 1000.0 {
            audible_after = Some(i);
        }
        if audible_after.is_some() {
            heard.extend(pcm);
        }
    }
    let audible_after = audible_after.expect("B did not hear A after unmuting");
    assert!(
        audible_after <= MAX_REACTION_FRAMES,
        "audible only after {audible_after} frames"
    );
    let hz = dominant_frequency(&heard[heard.len() / 3..], SAMPLE_RATE);
    assert!((hz - 440.0).abs() <= 5.0, "after unmute B heard {hz} Hz");
    assert!(
        a.session.stats().await.frames_dropped > 0,
        "muted frames were not dropped"
    );
    a.session.close().await.unwrap();
    b.session.close().await.unwrap();
}

/// The conference closes a session while the app's capture thread may still be pushing into it
/// (media moving between P2P and the bridge): such a frame is `Closed`, which the SDK drops, not
/// a failure the app would have to handle. It used to surface webrtc's internal send error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frames_pushed_into_a_closed_session_are_closed_not_errors() {
    let (a, b) = connected_pair().await;
    let mut tone = ToneGenerator::new(440.0, 8000, Channels::Mono);
    a.session
        .send_audio(&tone.next_frame(FRAME))
        .await
        .expect("a negotiated session sends");
    a.session.close().await.unwrap();
    for _ in 0..5 {
        let sent = a.session.send_audio(&tone.next_frame(FRAME)).await;
        assert!(
            matches!(sent, Err(omni_jitsi_media::MediaError::Closed)),
            "{sent:?}"
        );
    }
    b.session.close().await.unwrap();
}
