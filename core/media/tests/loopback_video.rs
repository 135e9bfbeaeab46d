//! Two sessions exchange H.264 over loopback: decoded pictures match what was sent, and after
//! packet loss a keyframe request brings the picture back.

mod common;

use std::time::Duration;

use common::relay::Relay;
use common::{config, connect, connected_pair, peer, Peer};
use omni_jitsi_media::session::SessionEvent;
use omni_jitsi_media::signal::{psnr, TestPattern};
use omni_jitsi_media::video::{H264Encoder, H264EncoderConfig, VideoFrame};
use tokio::time::{interval, MissedTickBehavior};

/// 30 fps camera clock (a clock for the sender, not a synchronisation sleep).
const TICK: Duration = Duration::from_millis(33);
const MIN_PSNR_DB: f64 = 30.0;

/// Every picture B decoded since the last call, with the index its bar code carries.
fn received(peer: &mut Peer, pattern: &TestPattern) -> Vec<(u32, VideoFrame)> {
    let mut frames = Vec::new();
    while let Ok(event) = peer.events.try_recv() {
        if let SessionEvent::RemoteVideo { frame, .. } = event {
            let index = pattern
                .read_index(&frame)
                .expect("a decoded frame without a readable index");
            frames.push((index, frame));
        }
    }
    frames
}

fn assert_matches_sent(pattern: &TestPattern, index: u32, frame: &VideoFrame) {
    let score = psnr(&pattern.frame(index), frame).expect("same size");
    assert!(score > MIN_PSNR_DB, "frame {index}: {score:.1} dB");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_moving_pattern_arrives_intact_and_keeps_coming() {
    let (a, mut b) = connected_pair().await;
    let a_video = a.session.local_ssrcs().1;
    b.session.set_remote_source_name(a_video, "a-v0");
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut decoded = Vec::new();
    let mut counts = Vec::new();
    for index in 0..45 {
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
        while let Ok(event) = b.events.try_recv() {
            if let SessionEvent::RemoteVideo { source, frame } = event {
                assert_eq!(
                    (source.ssrc, source.name.as_deref()),
                    (a_video, Some("a-v0"))
                );
                decoded.push((pattern.read_index(&frame).expect("a readable index"), frame));
            }
        }
        if index % 15 == 14 {
            counts.push(decoded.len());
        }
    }
    assert!(
        counts.windows(2).all(|w| w[1] > w[0]),
        "frame count stalled: {counts:?}"
    );
    assert!(
        decoded.len() >= 30,
        "only {} of 45 frames decoded",
        decoded.len()
    );
    for (index, frame) in &decoded {
        assert_matches_sent(&pattern, *index, frame);
    }
    assert!(
        decoded.windows(2).all(|w| w[1].0 > w[0].0),
        "frames out of order"
    );
    let stats = b.session.stats().await;
    let video = stats
        .received
        .iter()
        .find(|s| s.ssrc == a.session.local_ssrcs().1)
        .expect("video stats");
    // B may have decoded one more picture since the last drain.
    assert!(video.frames as usize >= decoded.len(), "{video:?}");
    assert!(
        video.packets >= video.frames && video.bytes > 0,
        "{video:?}"
    );
    a.session.close().await.unwrap();
    b.session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_packet_loss_a_keyframe_request_recovers_the_picture() {
    let relay = Relay::start().await;
    let mut a = peer(config("a")).await;
    let mut b = peer(config("b")).await;
    connect(&mut a, &mut b, &|side, candidate| {
        relay.rewrite(side, candidate)
    })
    .await;
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);

    let mut index = 0;
    let mut before_loss = Vec::new();
    while before_loss.len() < 10 {
        assert!(index < 90, "no steady picture before the loss");
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
        before_loss.extend(received(&mut b, &pattern));
        index += 1;
    }
    let requests_before = a.session.stats().await.keyframe_requests_received;
    let keyframes_before = a.session.stats().await.keyframes_sent;

    relay.drop_video_from_a(3);
    let lost_at = index;
    let mut recovered = Vec::new();
    while recovered.len() < 5 {
        if index >= lost_at + 90 {
            panic!(
                "the picture did not recover: A {:?}, B {:?}",
                a.session.stats().await,
                b.session.stats().await
            );
        }
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
        recovered.extend(
            received(&mut b, &pattern)
                .into_iter()
                .filter(|(i, _)| *i > lost_at),
        );
        index += 1;
    }
    assert_eq!(
        relay.dropped_pending(),
        0,
        "the relay did not drop the packets"
    );
    let stats = a.session.stats().await;
    assert!(
        stats.keyframe_requests_received > requests_before,
        "B never asked for a keyframe"
    );
    assert!(
        stats.keyframes_sent > keyframes_before,
        "A never sent a new keyframe"
    );
    for (index, frame) in &recovered {
        assert_matches_sent(&pattern, *index, frame);
    }
    a.session.close().await.unwrap();
    b.session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn muting_video_stops_pictures_and_unmuting_resumes_with_a_keyframe() {
    let (a, mut b) = connected_pair().await;
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut index = 0;
    let mut send = async |index: u32| {
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
    };
    let mut decoded = 0;
    while decoded < 5 {
        assert!(index < 60, "no picture before muting");
        send(index).await;
        decoded += received(&mut b, &pattern).len();
        index += 1;
    }
    a.session.set_video_muted(true);
    let muted_at = index;
    let keyframes_before = a.session.stats().await.keyframes_sent;
    for _ in 0..15 {
        send(index).await;
        index += 1;
    }
    let late: Vec<u32> = received(&mut b, &pattern)
        .into_iter()
        .map(|(i, _)| i)
        .filter(|i| *i >= muted_at)
        .collect();
    assert!(
        late.is_empty(),
        "pictures sent while muted arrived: {late:?}"
    );

    a.session.set_video_muted(false);
    let unmuted_at = index;
    let mut resumed = Vec::new();
    while resumed.iter().filter(|(i, _)| *i >= unmuted_at).count() < 5 {
        assert!(index < unmuted_at + 60, "no picture after unmuting");
        send(index).await;
        resumed.extend(received(&mut b, &pattern));
        index += 1;
    }
    let indices: Vec<u32> = resumed.iter().map(|(i, _)| *i).collect();
    assert!(
        indices.iter().all(|i| !(muted_at..unmuted_at).contains(i)),
        "pictures sent while muted arrived: {indices:?} (muted {muted_at}..{unmuted_at})"
    );
    for (index, frame) in &resumed {
        assert_matches_sent(&pattern, *index, frame);
    }
    assert!(
        a.session.stats().await.keyframes_sent > keyframes_before,
        "unmuting did not start with a keyframe"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_units_from_a_platform_encoder_arrive_and_keyframe_requests_reach_the_app() {
    let (mut a, mut b) = connected_pair().await;
    let pattern = TestPattern::new(320, 180);
    // Stands in for MediaCodec / VideoToolbox: the app owns the encoder.
    let mut platform_encoder = H264Encoder::new(H264EncoderConfig::default()).unwrap();
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut requests = 0;
    let mut decoded = Vec::new();
    let mut index = 0;
    while decoded.len() < 20 {
        assert!(index < 120, "only {} pictures decoded", decoded.len());
        clock.tick().await;
        while let Ok(event) = a.events.try_recv() {
            if let SessionEvent::KeyframeRequested = event {
                requests += 1;
                platform_encoder.request_keyframe();
            }
        }
        if let Some(unit) = platform_encoder.encode(&pattern.frame(index)).unwrap() {
            a.session.send_h264(&unit.data, TICK).await.unwrap();
        }
        decoded.extend(received(&mut b, &pattern));
        index += 1;
    }
    for (index, frame) in &decoded {
        assert_matches_sent(&pattern, *index, frame);
    }
    let sent = a.session.stats().await;
    assert_eq!(requests as u64, sent.keyframe_requests_received);
    assert!(sent.keyframes_sent >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sent_bitrate_follows_the_target() {
    let (a, b) = connected_pair().await;
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let received_bytes = async || -> u64 {
        b.session
            .stats()
            .await
            .received
            .iter()
            .map(|s| s.bytes)
            .sum()
    };
    let mut index = 0;
    let mut rate = async |frames: u32| -> u64 {
        let start = received_bytes().await;
        for _ in 0..frames {
            clock.tick().await;
            a.session.send_video(&pattern.frame(index)).await.unwrap();
            index += 1;
        }
        received_bytes().await - start
    };
    rate(15).await;
    let high = rate(30).await;
    a.session.set_video_bitrate_cap(Some(120_000)).unwrap();
    assert_eq!(a.session.video_target_bitrate(), 120_000);
    rate(15).await;
    let low = rate(30).await;
    assert!(
        low * 2 < high,
        "{low} bytes per second at 120 kbit/s vs {high} at 800 kbit/s"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loss_reported_through_twcc_lowers_the_send_bitrate() {
    let relay = Relay::start().await;
    let mut a = peer(config("a")).await;
    let mut b = peer(config("b")).await;
    connect(&mut a, &mut b, &|side, candidate| {
        relay.rewrite(side, candidate)
    })
    .await;
    let pattern = TestPattern::new(320, 180);
    let mut clock = interval(TICK);
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut index = 0;
    for _ in 0..30 {
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
        index += 1;
    }
    let before = a.session.video_target_bitrate();
    relay.drop_every_nth_video_from_a(3);
    let mut after = before;
    while after * 10 > before * 8 {
        if index > 30 + 150 {
            panic!(
                "target still {after} bit/s after 5 s of 33% loss (was {before}): {:?}",
                a.session.stats().await
            );
        }
        clock.tick().await;
        a.session.send_video(&pattern.frame(index)).await.unwrap();
        after = a.session.video_target_bitrate();
        index += 1;
    }
}
