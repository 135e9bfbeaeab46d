//! What the signalling layer relies on: our SDP carries the SSRCs it will put in Jingle
//! `<source>` elements and the codecs Jitsi expects, and bad input is refused with typed errors.

mod common;

use common::{config, peer};
use omni_jitsi_media::MediaError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_offer_announces_our_ssrcs_and_jitsi_codecs() {
    let mut cfg = config("abcd1234");
    cfg.audio_ssrc = 1_111_111;
    cfg.video_ssrc = 2_222_222;
    let a = peer(cfg).await;
    assert_eq!(a.session.local_ssrcs(), (1_111_111, 2_222_222));
    let offer = a.session.create_offer().await.unwrap();
    assert!(offer.contains("a=ssrc:1111111 "), "{offer}");
    assert!(offer.contains("a=ssrc:2222222 "), "{offer}");
    assert!(offer.contains("a=rtpmap:111 opus/48000/2"), "{offer}");
    assert!(offer.contains("a=rtpmap:107 H264/90000"), "{offer}");
    assert!(offer.contains("packetization-mode=1"), "{offer}");
    assert!(offer.contains("profile-level-id=42e01f"), "{offer}");
    assert!(offer.contains("a=rtcp-fb:107 nack pli"), "{offer}");
    assert!(offer.contains("a=rtcp-fb:107 ccm fir"), "{offer}");
    assert!(
        offer.contains("a=msid:abcd1234-stream abcd1234-v0"),
        "{offer}"
    );
    a.session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_keeps_the_offerers_payload_types() {
    let a = peer(config("a")).await;
    let b = peer(config("b")).await;
    let offer = a
        .session
        .create_offer()
        .await
        .unwrap()
        .replace(" 107", " 100")
        .replace(":107 ", ":100 ");
    let answer = b.session.accept_offer(&offer).await.unwrap();
    assert!(answer.contains("a=rtpmap:100 H264/90000"), "{answer}");
    assert!(
        answer.contains(&format!("a=ssrc:{} ", b.session.local_ssrcs().1)),
        "{answer}"
    );
    a.session.close().await.unwrap();
    b.session.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_sdp_and_candidates_are_refused_with_typed_errors() {
    let b = peer(config("b")).await;
    for sdp in [
        "",
        "garbage",
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        &"a=x\r\n".repeat(10_000),
    ] {
        match b.session.accept_offer(sdp).await {
            Err(MediaError::InvalidSdp(_)) => {}
            other => panic!(
                "{:?} accepted: {other:?}",
                sdp.chars().take(30).collect::<String>()
            ),
        }
    }
    for candidate in [
        "",
        "candidate",
        "foo:1 2 3",
        &format!("candidate:{}", "x".repeat(600)),
    ] {
        assert!(
            matches!(
                b.session.add_remote_candidate(candidate).await,
                Err(MediaError::InvalidCandidate(_))
            ),
            "{candidate:?} accepted"
        );
    }
    let mut frame = omni_jitsi_media::signal::TestPattern::new(64, 32).frame(0);
    frame.y.truncate(3);
    assert!(matches!(
        b.session.send_video(&frame).await,
        Err(MediaError::InvalidVideoFrame(_))
    ));
    assert!(matches!(
        b.session
            .send_h264(&[1, 2, 3], std::time::Duration::from_millis(33))
            .await,
        Err(MediaError::InvalidAccessUnit(_))
    ));
    b.session.close().await.unwrap();
}
