//! Video through the testbed bridge: Ann's moving pattern reaches Bob and Cat intact (PSNR),
//! with its original SSRC; a receiver that sets max height 0 for it stops getting it and is
//! told so in ForwardedSources, while the other receiver keeps getting it; Ann is told the
//! height still wanted. Lifting the constraint brings the video back: the receiver's keyframe
//! request (it saw a gap) goes through the bridge to Ann.

mod bridge_common;

use std::time::Duration;

use bridge_common::{join, Participant, WAIT};
use futures_util::{SinkExt, StreamExt};
use omni_jitsi_core::bridge::message::{parse, FromBridge};
use omni_jitsi_media::session::SessionEvent;
use omni_jitsi_media::signal::{psnr, TestPattern};
use omni_jitsi_testbed::bridge::Bridge;
use tokio::time::{interval, timeout, Interval, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;

const MIN_PSNR_DB: f64 = 30.0;

/// Frames from Ann's source decoded by `p`: (frame index, PSNR).
fn decoded(p: &mut Participant, ann_video: u32, pattern: &TestPattern) -> Vec<(u32, f64)> {
    let mut out = Vec::new();
    while let Ok(event) = p.events.try_recv() {
        if let SessionEvent::RemoteVideo { source, frame } = event {
            assert_eq!(source.ssrc, ann_video, "forwarded with the sender's SSRC");
            assert_eq!(source.name.as_deref(), Some("ann-v0"));
            let index = pattern.read_index(&frame).expect("a readable frame index");
            out.push((
                index,
                psnr(&pattern.frame(index), &frame).expect("same size"),
            ));
        }
    }
    out
}

/// Ann's camera: the moving test pattern at 30 pictures a second.
struct Camera {
    pattern: TestPattern,
    clock: Interval,
    index: u32,
}

impl Camera {
    fn new() -> Camera {
        let mut clock = interval(Duration::from_millis(33));
        clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Camera {
            pattern: TestPattern::new(320, 180),
            clock,
            index: 0,
        }
    }

    /// Waits for the next tick and sends the next picture from `sender`.
    async fn picture(&mut self, sender: &Participant) {
        self.clock.tick().await;
        sender
            .session
            .send_video(&self.pattern.frame(self.index))
            .await
            .unwrap();
        self.index += 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn video_is_forwarded_intact_and_max_height_zero_stops_it() {
    let bridge = Bridge::start().await.expect("bridge");
    let mut participants = join(&bridge, &["ann", "bob", "cat"]).await;
    let ann_video = participants[0].session.local_ssrcs().1;
    let (mut ann_ws, _) = tokio_tungstenite::connect_async(&participants[0].web_socket)
        .await
        .unwrap();
    let (mut cat_ws, _) = tokio_tungstenite::connect_async(&participants[2].web_socket)
        .await
        .unwrap();
    let mut camera = Camera::new();
    let (mut at_bob, mut at_cat) = (Vec::new(), Vec::new());
    for _ in 0..45 {
        camera.picture(&participants[0]).await;
        at_bob.extend(decoded(&mut participants[1], ann_video, &camera.pattern));
        at_cat.extend(decoded(&mut participants[2], ann_video, &camera.pattern));
    }
    for (who, frames) in [("bob", &at_bob), ("cat", &at_cat)] {
        assert!(frames.len() >= 30, "{who} decoded {} of 45", frames.len());
        for (i, db) in frames {
            assert!(*db > MIN_PSNR_DB, "{who}, frame {i}: {db:.1} dB");
        }
    }

    let constraints =
        r#"{"colibriClass":"ReceiverVideoConstraints","constraints":{"ann-v0":{"maxHeight":0}}}"#;
    cat_ws.send(Message::text(constraints)).await.unwrap();
    let forwarded = timeout(WAIT, async {
        while let Some(Ok(frame)) = cat_ws.next().await {
            if let Message::Text(text) = frame {
                if let Ok(FromBridge::ForwardedSources(sources)) = parse(&text) {
                    if !sources.contains(&"ann-v0".to_string()) {
                        return sources;
                    }
                }
            }
        }
        panic!("colibri-ws closed")
    })
    .await
    .expect("ForwardedSources without ann-v0");
    assert_eq!(forwarded, ["bob-v0"]);

    // Frames in flight when the constraint arrived may still land; after that, only Bob.
    let (bob_before, cat_before) = (at_bob.len(), at_cat.len());
    for _ in 0..30 {
        camera.picture(&participants[0]).await;
        at_bob.extend(decoded(&mut participants[1], ann_video, &camera.pattern));
        at_cat.extend(decoded(&mut participants[2], ann_video, &camera.pattern));
    }
    assert!(
        at_bob.len() - bob_before >= 20,
        "bob stopped getting Ann's video"
    );
    assert!(
        at_cat.len() - cat_before <= 3,
        "cat got {} frames after asking for none",
        at_cat.len() - cat_before
    );

    // Ann hears what receivers still want of her camera: Bob has no constraint.
    let wanted = timeout(WAIT, async {
        while let Some(Ok(frame)) = ann_ws.next().await {
            if let Message::Text(text) = frame {
                if let Ok(FromBridge::SenderSourceConstraints {
                    source_name,
                    max_height,
                }) = parse(&text)
                {
                    assert_eq!(source_name, "ann-v0");
                    return max_height;
                }
            }
        }
        panic!("colibri-ws closed")
    })
    .await
    .expect("SenderSourceConstraints for ann-v0");
    assert_eq!(wanted, 2160);

    let lifted =
        r#"{"colibriClass":"ReceiverVideoConstraints","constraints":{"ann-v0":{"maxHeight":360}}}"#;
    let requests_before = bridge.stats().keyframe_requests_forwarded;
    cat_ws.send(Message::text(lifted)).await.unwrap();
    let cat_before = at_cat.len();
    let mut sent = 0;
    while at_cat.len() - cat_before < 10 {
        assert!(sent < 150, "cat's video did not come back within 5 s");
        camera.picture(&participants[0]).await;
        sent += 1;
        at_cat.extend(decoded(&mut participants[2], ann_video, &camera.pattern));
    }
    for (i, db) in &at_cat[cat_before..] {
        assert!(
            *db > MIN_PSNR_DB,
            "cat, frame {i} after resuming: {db:.1} dB"
        );
    }
    assert!(
        bridge.stats().keyframe_requests_forwarded > requests_before,
        "the keyframe request reached Ann through the bridge"
    );
}
