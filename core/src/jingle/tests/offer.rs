//! Jicofo's and a P2P peer's offers become the SDP a unified-plan PeerConnection expects.

use super::*;

#[test]
fn jicofo_offer_reads_as_jicofo_wrote_it() {
    let j = jingle("jicofo-session-initiate.xml");
    assert_eq!(j.action, Action::SessionInitiate);
    assert_eq!(j.sid, "7kq3b0c8ufhg6");
    assert_eq!(j.initiator.as_deref(), Some("focus@auth.meet.test/focus"));
    let names: Vec<&str> = j.contents.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["audio", "video", "data"]);
    assert_eq!(
        j.bundle().map(|g| g.contents.clone()),
        Some(vec!["audio".into(), "video".into(), "data".into()])
    );
    assert_eq!(
        j.web_socket_url(),
        Some("wss://jvb1.meet.test/colibri-ws/jvb1/3b4f7a5d9c2e6a10/a9c1e2f3?pwd=6c2rsl0lmcfj7e0pf5d2m4ivs3")
    );
    assert_eq!(
        j.bridge_session.as_ref().and_then(|b| b.region.as_deref()),
        Some("eu-west")
    );

    assert_eq!(
        j.start_muted,
        Some(StartMuted {
            audio: true,
            video: false
        })
    );
    let audio = j.contents[0].description.as_ref().unwrap();
    assert_eq!(audio.maxptime, Some(60));
    let opus = &audio.payload_types[0];
    assert_eq!(
        (opus.id, opus.name.as_str(), opus.clockrate, opus.channels),
        (111, "opus", 48000, 2)
    );
    assert_eq!(opus.parameters[1], Parameter::new("useinbandfec", "1"));
    assert_eq!(
        audio.payload_types[1].parameters,
        vec![Parameter::new("", "0-15")]
    );
    assert_eq!(audio.sources[0].owner.as_deref(), Some("jvb"));
    assert_eq!(
        audio.sources[1].owner.as_deref(),
        Some("conf1@conference.meet.test/a8f7g30b")
    );

    let video = j.contents[1].description.as_ref().unwrap();
    let desktop = video.sources.iter().find(|s| s.ssrc == 918244605).unwrap();
    assert_eq!(desktop.name.as_deref(), Some("c3d4e5f6-v1"));
    assert_eq!(desktop.video_type.as_deref(), Some("desktop"));
    assert_eq!(video.ssrc_groups[0].ssrcs, vec![2290418313, 1407282347]);

    let transport = j.contents[0].transport.as_ref().unwrap();
    assert_eq!(transport.fingerprints[0].setup, Some(Setup::Actpass));
    assert_eq!(transport.candidates[1].kind, CandidateType::Srflx);
    assert_eq!(transport.candidates[1].rel_port, Some(10000));
    let sctp = j.contents[2]
        .transport
        .as_ref()
        .unwrap()
        .sctp
        .as_ref()
        .unwrap();
    assert_eq!(
        (sctp.port, sctp.protocol.as_str(), sctp.streams),
        (5000, "webrtc-datachannel", Some(1024))
    );
}

#[test]
fn bridge_offer_gets_one_mline_per_remote_source() {
    let sdp = jingle_to_sdp(&jingle("jicofo-session-initiate.xml"), &OFFER).unwrap();
    let v = view(&sdp);

    let layout: Vec<(&str, Option<&str>, Option<Direction>)> = v
        .media
        .iter()
        .map(|m| (m.media.as_str(), m.mid.as_deref(), m.direction))
        .collect();
    assert_eq!(
        layout,
        [
            ("audio", Some("0"), Some(Direction::SendRecv)),
            ("audio", Some("1"), Some(Direction::SendOnly)),
            ("video", Some("2"), Some(Direction::SendRecv)),
            ("video", Some("3"), Some(Direction::SendOnly)),
            ("video", Some("4"), Some(Direction::SendOnly)),
            ("application", Some("5"), Some(Direction::SendRecv)),
        ]
    );
    assert_eq!(
        v.bundle,
        Some(["0", "1", "2", "3", "4", "5"].map(String::from).to_vec())
    );

    let ssrcs: Vec<Vec<u32>> = v
        .media
        .iter()
        .map(|m| m.ssrcs.keys().copied().collect())
        .collect();
    assert_eq!(
        ssrcs,
        [
            vec![4039389863],
            vec![1757014965],
            vec![3758540092],
            vec![1407282347, 2290418313],
            vec![918244605, 3010273531],
            vec![]
        ]
    );
    assert_eq!(
        v.media[0].ssrcs[&4039389863].as_deref(),
        Some("mixedmslabel mixedlabelaudio0")
    );
    assert_eq!(
        v.media[3].ssrc_groups,
        BTreeSet::from(["FID 2290418313 1407282347".to_string()])
    );
    assert!(v.media[4].ssrc_groups.contains("FID 918244605 3010273531"));

    for m in &v.media {
        assert_eq!(m.ufrag.as_deref(), Some("4h8cc1ifj3qp2o"));
        assert_eq!(m.setup.as_deref(), Some("actpass"));
        assert_eq!(m.fingerprints.len(), 1);
        assert_eq!(
            m.candidates,
            [
                "1 1 udp 2130706431 10.0.0.1 10000 typ host",
                "2 1 udp 1694498815 203.0.113.7 10000 typ srflx raddr 10.0.0.1 rport 10000"
            ]
        );
    }
    let opus = &v.media[1].codecs[0];
    assert_eq!(
        (opus.encoding.as_str(), opus.clockrate, opus.channels),
        ("opus", 48000, 2)
    );
    assert_eq!(opus.fmtp.get("minptime").map(String::as_str), Some("10"));
    assert!(opus.feedback.contains("transport-cc"));
    assert_eq!(v.media[0].codecs[1].fmtp.get(""), Some(&"0-15".to_string()));
    let h264 = v.media[2]
        .codecs
        .iter()
        .find(|c| c.encoding == "H264")
        .unwrap();
    assert_eq!(
        h264.fmtp.get("profile-level-id").map(String::as_str),
        Some("42e01f")
    );
    assert!(h264.feedback.contains("nack pli"));
    assert_eq!(v.media[5].sctp_port.as_deref(), Some("5000"));
    assert!(v
        .media
        .iter()
        .take(5)
        .all(|m| m.rtcp_mux && m.extmap_allow_mixed));
    assert_eq!(sdp.media[0].attr("maxptime"), Some("60"));
}

#[test]
fn offer_sdp_text_is_crlf_and_reparses_identically() {
    let sdp = jingle_to_sdp(&jingle("jicofo-session-initiate.xml"), &OFFER).unwrap();
    let text = sdp.to_string();
    assert!(text.starts_with("v=0\r\no=- 1700000000000 2 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"));
    assert!(text.lines().all(|l| !l.is_empty()) && !text.replace("\r\n", "").contains('\n'));
    assert_eq!(Sdp::parse(&text).unwrap(), sdp);
}

#[test]
fn p2p_offer_keeps_contents_as_mlines_named_by_mid() {
    let sdp = jingle_to_sdp(&jingle("p2p-session-initiate.xml"), &P2P_OFFER).unwrap();
    let v = view(&sdp);
    assert_eq!(v.bundle, Some(vec!["0".to_string(), "1".to_string()]));
    assert_eq!(v.media.len(), 2);
    assert_eq!(v.media[1].mid.as_deref(), Some("1"));
    assert_eq!(v.media[1].direction, Some(Direction::SendRecv));
    assert_eq!(
        v.media[1].ssrcs.keys().copied().collect::<Vec<_>>(),
        [4004, 4005]
    );
    assert_eq!(
        v.media[0].candidates[0],
        "3361934591 1 udp 2113937151 6c0f2a4e-9b1d-4c3e-8f7a-5d6b2e1c0a9f.local 50412 typ host"
    );
    let h264 = v.media[1].codecs.iter().find(|c| c.id == "102").unwrap();
    assert!(h264.feedback.contains("trr-int 100"), "{:?}", h264.feedback);
    assert_eq!(
        sdp.media[1]
            .attrs("rtcp-fb")
            .find(|f| f.contains("trr-int")),
        Some("102 trr-int 100")
    );
}

#[test]
fn rejected_and_directional_contents_map_to_port_and_direction() {
    let mut j = jingle("p2p-session-initiate.xml");
    j.contents[0].senders = Some(Senders::Initiator);
    j.contents[1].senders = Some(Senders::Rejected);
    let v = view(&jingle_to_sdp(&j, &P2P_OFFER).unwrap());
    assert_eq!(v.media[0].direction, Some(Direction::SendOnly));
    assert!(!v.media[0].rejected);
    assert!(v.media[1].rejected);
}

#[test]
fn cryptex_on_a_fingerprint_becomes_session_level_cryptex() {
    let mut j = jingle("p2p-session-initiate.xml");
    j.contents[0].transport.as_mut().unwrap().fingerprints[0].cryptex = true;
    let sdp = jingle_to_sdp(&j, &P2P_OFFER).unwrap();
    assert_eq!(sdp.attrs("cryptex").count(), 1);
}

#[test]
/// The bridge forwards one layer on the SIM group's first SSRC; lib-jitsi-meet's receiver keeps
/// only that SSRC and its RTX (sdp-simulcast's implode), and so do we: the other layers' SSRCs
/// in the m-line would have webrtc-rs wait for streams that never come.
fn simulcast_is_received_as_its_first_layer_and_rtx_on_one_mline() {
    let mut j = jingle("jicofo-session-initiate.xml");
    let video = j.contents[1].description.as_mut().unwrap();
    let template = video.sources[1].clone();
    let layers = [11, 12, 13, 21, 22, 23];
    video.sources.truncate(1);
    video.sources.extend(layers.map(|ssrc| Source {
        ssrc,
        ..template.clone()
    }));
    video.ssrc_groups = vec![
        SsrcGroup {
            semantics: "SIM".into(),
            ssrcs: vec![11, 12, 13],
        },
        SsrcGroup {
            semantics: "FID".into(),
            ssrcs: vec![11, 21],
        },
        SsrcGroup {
            semantics: "FID".into(),
            ssrcs: vec![12, 22],
        },
        SsrcGroup {
            semantics: "FID".into(),
            ssrcs: vec![13, 23],
        },
    ];
    let v = view(&jingle_to_sdp(&j, &OFFER).unwrap());
    let video: Vec<&MediaView> = v.media.iter().filter(|m| m.media == "video").collect();
    assert_eq!(
        video.len(),
        2,
        "the other layers get no m-line of their own"
    );
    assert_eq!(video[1].ssrcs.keys().copied().collect::<Vec<_>>(), [11, 21]);
    assert_eq!(video[1].ssrc_groups.len(), 1);
}
