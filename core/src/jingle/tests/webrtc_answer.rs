//! The whole translation against webrtc 0.21's own PeerConnection (its sans-IO core `rtc`, no
//! sockets): Jicofo's session-initiate -> remote SDP -> the engine's answer -> session-accept.

use std::time::Instant;

use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_H264, MIME_TYPE_OPUS,
};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::{RTCPeerConnection, RTCPeerConnectionBuilder};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodingParameters, RTCRtpEncodingParameters, RTCRtpRtxParameters,
    RtpCodecKind,
};

use super::*;
use crate::jid::EndpointId;

const MIC_SSRC: u32 = 3482915117;
const CAMERA_SSRC: u32 = 2758130021;
const CAMERA_RTX_SSRC: u32 = 913377402;

fn track(
    kind: RtpCodecKind,
    mime: &str,
    clock_rate: u32,
    channels: u16,
    ssrc: u32,
    rtx: Option<u32>,
) -> MediaStreamTrack {
    MediaStreamTrack::new(
        "omni-d1e2f3a4".to_string(),
        format!("omni-d1e2f3a4-{kind}"),
        format!("omni-d1e2f3a4-{kind}"),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                rtx: rtx.map(|ssrc| RTCRtpRtxParameters { ssrc }),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_string(),
                clock_rate,
                channels,
                ..Default::default()
            },
            active: true,
            ..Default::default()
        }],
    )
}

fn peer_connection() -> RTCPeerConnection {
    let mut media_engine = MediaEngine::default();
    media_engine.register_default_codecs().unwrap();
    let mut pc = RTCPeerConnectionBuilder::new()
        .with_media_engine(media_engine)
        .build(Instant::now())
        .unwrap();
    pc.add_track(track(
        RtpCodecKind::Audio,
        MIME_TYPE_OPUS,
        48000,
        2,
        MIC_SSRC,
        None,
    ))
    .unwrap();
    pc.add_track(track(
        RtpCodecKind::Video,
        MIME_TYPE_H264,
        90000,
        0,
        CAMERA_SSRC,
        Some(CAMERA_RTX_SSRC),
    ))
    .unwrap();
    pc
}

#[test]
fn jicofo_offer_answered_by_webrtc_rs_becomes_a_session_accept() {
    let offer = jingle("jicofo-session-initiate.xml");
    let remote = jingle_to_sdp(&offer, &OFFER).unwrap();

    let mut pc = peer_connection();
    pc.set_remote_description(
        Instant::now(),
        RTCSessionDescription::offer(remote.to_string()).unwrap(),
    )
    .unwrap_or_else(|e| panic!("webrtc-rs refused our remote SDP: {e}\n{remote}"));
    let answer = pc.create_answer(None).unwrap();
    pc.set_local_description(Instant::now(), answer).unwrap();
    let local = Sdp::parse(&pc.local_description().unwrap().sdp).unwrap();
    assert_eq!(
        local.media.len(),
        remote.media.len(),
        "one answer m-line per offered m-line"
    );

    let ep = EndpointId::new("d1e2f3a4");
    let sources = [
        LocalSource::microphone(&ep, MIC_SSRC, "omni-d1e2f3a4 omni-d1e2f3a4-audio"),
        LocalSource::camera(
            &ep,
            CAMERA_SSRC,
            Some(CAMERA_RTX_SSRC),
            "omni-d1e2f3a4 omni-d1e2f3a4-video",
        ),
    ];
    let opts = AnswerOptions {
        peer: Peer::Bridge,
        creator: Creator::Responder,
        local_sources: &sources,
    };
    let accept = wire_round_trip(&sdp_to_jingle(&local, &opts).unwrap().into_jingle(
        Action::SessionAccept,
        &offer.sid,
        offer.initiator.clone(),
        Some("conf1@conference.meet.test/d1e2f3a4".into()),
    ));

    let names: Vec<&str> = accept.contents.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["audio", "video", "data"]);
    let sent: Vec<(u32, Option<&str>)> = accept
        .contents
        .iter()
        .filter_map(|c| c.description.as_ref())
        .flat_map(|d| d.sources.iter().map(|s| (s.ssrc, s.name.as_deref())))
        .collect();
    assert_eq!(
        sent,
        [
            (MIC_SSRC, Some("d1e2f3a4-a0")),
            (CAMERA_SSRC, Some("d1e2f3a4-v0")),
            (CAMERA_RTX_SSRC, Some("d1e2f3a4-v0"))
        ]
    );
    let video = accept.contents[1].description.as_ref().unwrap();
    assert_eq!(
        video.ssrc_groups,
        vec![SsrcGroup {
            semantics: "FID".into(),
            ssrcs: vec![CAMERA_SSRC, CAMERA_RTX_SSRC]
        }]
    );
    assert!(video
        .payload_types
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case("H264")));
    assert!(accept.contents[0]
        .description
        .as_ref()
        .unwrap()
        .payload_types
        .iter()
        .any(|p| p.name == "opus" && p.id == 111));
    for c in &accept.contents {
        let t = c.transport.as_ref().unwrap();
        assert!(t.ufrag.is_some() && t.pwd.is_some(), "{}", c.name);
        let f = &t.fingerprints[0];
        assert_eq!(f.hash, "sha-256");
        // The bridge offers actpass; the answerer picks a DTLS role.
        assert!(
            matches!(f.setup, Some(Setup::Active | Setup::Passive)),
            "{:?}",
            f.setup
        );
    }
    assert_eq!(
        accept.contents[2]
            .transport
            .as_ref()
            .unwrap()
            .sctp
            .as_ref()
            .map(|s| s.port),
        Some(5000)
    );
    assert_eq!(
        accept.bundle().unwrap().contents,
        ["audio", "video", "data"]
    );
}

fn renegotiate(pc: &mut RTCPeerConnection, remote: &Sdp) -> Sdp {
    pc.set_remote_description(
        Instant::now(),
        RTCSessionDescription::offer(remote.to_string()).unwrap(),
    )
    .unwrap_or_else(|e| panic!("webrtc-rs refused our remote SDP: {e}\n{remote}"));
    let answer = pc.create_answer(None).unwrap();
    pc.set_local_description(Instant::now(), answer).unwrap();
    Sdp::parse(&pc.local_description().unwrap().sdp).unwrap()
}

#[test]
fn webrtc_rs_takes_our_source_add_and_source_remove_renegotiations() {
    let offer = jingle("jicofo-session-initiate.xml");
    let remote = jingle_to_sdp(&offer, &OFFER).unwrap();
    let sources = remote_sources(&offer.contents, None).unwrap();
    let mut pc = peer_connection();
    renegotiate(&mut pc, &remote);

    let mut change = jingle("jicofo-source-add.xml");
    let added = apply_source_update(&sources, &change, &remote, Peer::Bridge, None).unwrap();
    let local = renegotiate(&mut pc, &added.sdp);
    let directions: Vec<Option<Direction>> =
        local.media.iter().map(MediaSection::direction).collect();
    assert_eq!(local.media.len(), 8);
    assert_eq!(
        directions[6..],
        [Some(Direction::RecvOnly), Some(Direction::RecvOnly)]
    );
    assert_eq!(local.media[7].mid(), Some("7"));

    change.action = Action::SourceRemove;
    let removed =
        apply_source_update(&added.sources, &change, &added.sdp, Peer::Bridge, None).unwrap();
    let local = renegotiate(&mut pc, &removed.sdp);
    assert_eq!(local.media.len(), 8, "m-lines stay in the answer");
    // Still receiving, so not stopped: webrtc-rs answers a transceiver it stopped `inactive`.
    assert!(
        local.media[6..]
            .iter()
            .all(|m| m.direction() == Some(Direction::RecvOnly)),
        "{local}"
    );
    // What we send is untouched by other participants coming and going.
    assert_eq!(local.media[0].ssrcs(), [MIC_SSRC]);
    assert_eq!(local.media[2].ssrcs(), [CAMERA_SSRC, CAMERA_RTX_SSRC]);

    // The sources come back (a browser leaving P2P): webrtc-rs takes them on the same,
    // never-stopped transceivers. A stopped transceiver keeps its receive SSRCs and is the
    // first to claim their packets, which it then drops.
    change.action = Action::SourceAdd;
    let back =
        apply_source_update(&removed.sources, &change, &removed.sdp, Peer::Bridge, None).unwrap();
    let local = renegotiate(&mut pc, &back.sdp);
    assert_eq!(local.media.len(), 8);
    assert!(
        local
            .media
            .iter()
            .all(|m| m.direction() != Some(Direction::Inactive)),
        "{local}"
    );
}

#[test]
fn p2p_offer_from_lib_jitsi_meet_answered_by_webrtc_rs() {
    let offer = jingle("p2p-session-initiate.xml");
    let mut pc = peer_connection();
    let local = renegotiate(&mut pc, &jingle_to_sdp(&offer, &P2P_OFFER).unwrap());
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Responder,
        local_sources: &[],
    };
    let accept = wire_round_trip(&sdp_to_jingle(&local, &opts).unwrap().into_jingle(
        Action::SessionAccept,
        &offer.sid,
        offer.initiator.clone(),
        None,
    ));
    let names: Vec<&str> = accept.contents.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["0", "1"], "P2P contents keep the offer's mids");
    assert_eq!(accept.bundle().unwrap().contents, ["0", "1"]);
    let ssrcs: Vec<Vec<u32>> = accept
        .contents
        .iter()
        .map(|c| {
            c.description
                .as_ref()
                .unwrap()
                .sources
                .iter()
                .map(|s| s.ssrc)
                .collect()
        })
        .collect();
    assert_eq!(ssrcs, [vec![MIC_SSRC], vec![CAMERA_SSRC, CAMERA_RTX_SSRC]]);
    assert!(accept
        .contents
        .iter()
        .all(|c| c.senders == Some(Senders::Both)));
}
