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

/// A P2P offer as Chromium 156 makes it for lib-jitsi-meet (hand-written in its layout): VP8
/// first, then H.264 in Baseline (42001f) before Constrained Baseline (42e01f), each in both
/// packetization modes with RTX, and RED/ULPFEC; Opus with RED. Checked against the browser in
/// interop/test/media.test.mjs, where it decodes what this answer selects.
const CHROMIUM_P2P_OFFER: &str = "v=0\r\n\
o=- 313029397891100764 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0 1\r\n\
a=extmap-allow-mixed\r\n\
a=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111 63 126\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:6ahO\r\n\
a=ice-pwd:VOtGSCmxdvM08H0qvMMglXzU\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 F3:3D:15:32:D7:93:7E:6B:C7:9D:61:C8:E7:83:F7:10:39:F2:35:CB:59:AB:2D:1A:E8:23:68:2C:EB:FE:36:F7\r\n\
a=setup:actpass\r\n\
a=mid:0\r\n\
a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
a=sendrecv\r\n\
a=msid:stream-a audio-a\r\n\
a=rtcp-mux\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=rtcp-fb:111 transport-cc\r\n\
a=fmtp:111 minptime=10;useinbandfec=1\r\n\
a=rtpmap:63 red/48000/2\r\n\
a=fmtp:63 111/111\r\n\
a=rtpmap:126 telephone-event/8000\r\n\
a=ssrc:839760875 cname:E6uTTQ14GM4M0aBM\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 104 107 108 109 114 115 118 119 120\r\n\
c=IN IP4 0.0.0.0\r\n\
a=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:6ahO\r\n\
a=ice-pwd:VOtGSCmxdvM08H0qvMMglXzU\r\n\
a=ice-options:trickle\r\n\
a=fingerprint:sha-256 F3:3D:15:32:D7:93:7E:6B:C7:9D:61:C8:E7:83:F7:10:39:F2:35:CB:59:AB:2D:1A:E8:23:68:2C:EB:FE:36:F7\r\n\
a=setup:actpass\r\n\
a=mid:1\r\n\
a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r\n\
a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01\r\n\
a=extmap:13 urn:3gpp:video-orientation\r\n\
a=sendrecv\r\n\
a=msid:stream-a video-a\r\n\
a=rtcp-mux\r\n\
a=rtcp-rsize\r\n\
a=rtpmap:96 VP8/90000\r\n\
a=rtcp-fb:96 nack pli\r\n\
a=rtpmap:97 rtx/90000\r\n\
a=fmtp:97 apt=96\r\n\
a=rtpmap:102 H264/90000\r\n\
a=rtcp-fb:102 transport-cc\r\n\
a=rtcp-fb:102 nack pli\r\n\
a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f\r\n\
a=rtpmap:103 rtx/90000\r\n\
a=fmtp:103 apt=102\r\n\
a=rtpmap:104 H264/90000\r\n\
a=fmtp:104 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42001f\r\n\
a=rtpmap:107 rtx/90000\r\n\
a=fmtp:107 apt=104\r\n\
a=rtpmap:108 H264/90000\r\n\
a=rtcp-fb:108 goog-remb\r\n\
a=rtcp-fb:108 transport-cc\r\n\
a=rtcp-fb:108 ccm fir\r\n\
a=rtcp-fb:108 nack\r\n\
a=rtcp-fb:108 nack pli\r\n\
a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n\
a=rtpmap:109 rtx/90000\r\n\
a=fmtp:109 apt=108\r\n\
a=rtpmap:114 H264/90000\r\n\
a=fmtp:114 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f\r\n\
a=rtpmap:115 rtx/90000\r\n\
a=fmtp:115 apt=114\r\n\
a=rtpmap:118 red/90000\r\n\
a=rtpmap:119 rtx/90000\r\n\
a=fmtp:119 apt=118\r\n\
a=rtpmap:120 ulpfec/90000\r\n\
a=ssrc-group:FID 1911010101 1911010102\r\n\
a=ssrc:1911010101 cname:E6uTTQ14GM4M0aBM\r\n\
a=ssrc:1911010102 cname:E6uTTQ14GM4M0aBM\r\n";

/// The payload types of the answer's m-line of `kind`.
fn answered_payload_types<'a>(answer: &'a str, kind: &str) -> Vec<&'a str> {
    answer
        .lines()
        .find_map(|l| l.strip_prefix(&format!("m={kind} ")))
        .map(|l| l.split_whitespace().skip(2).collect())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chromium_offer_is_answered_with_constrained_baseline_h264_in_mode_1_only() {
    let b = peer(config("b")).await;
    let answer = b.session.accept_offer(CHROMIUM_P2P_OFFER).await.unwrap();
    // What OpenH264 decodes and what we packetize (FU-A needs mode 1), not the first H.264 the
    // browser lists (Baseline 42001f) nor mode 0; no RTX, RED or FEC, which we would not send.
    assert_eq!(
        answered_payload_types(&answer, "video"),
        ["108"],
        "{answer}"
    );
    assert!(
        answer.contains(
            "a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f"
        ),
        "{answer}"
    );
    assert_eq!(
        answered_payload_types(&answer, "audio"),
        ["111"],
        "{answer}"
    );
    // Transport-wide congestion control keeps the browser's extension id, so its feedback and
    // our sequence numbers line up.
    assert!(
        answer.contains(
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
        ),
        "{answer}"
    );
    assert!(!answer.contains("rtx/") && !answer.contains("red/") && !answer.contains("ulpfec"));
    b.session.close().await.unwrap();
}
