//! Our answer SDP becomes the session-accept Jicofo or a P2P peer expects.

use super::*;
use crate::jid::EndpointId;

fn chromium_local_sources() -> Vec<LocalSource> {
    let ep = EndpointId::new("d1e2f3a4");
    vec![
        LocalSource::microphone(
            &ep,
            2624497571,
            "8b1d6a3c-2f4e-4d7a-b9c0-3e5f6a7b8c9d 0e2f4a6c-8d1b-4e3f-a5c7-9b1d3f5a7c9e",
        ),
        LocalSource::camera(
            &ep,
            3306224581,
            Some(1873524108),
            "8b1d6a3c-2f4e-4d7a-b9c0-3e5f6a7b8c9d 7c4e2a0b-1d3f-4a5b-8c7d-9e0f1a2b3c4d",
        ),
    ]
}

fn bridge_accept(sdp_name: &str, local: &[LocalSource]) -> Jingle {
    let opts = AnswerOptions {
        peer: Peer::Bridge,
        creator: Creator::Responder,
        local_sources: local,
    };
    sdp_to_jingle(&sdp(sdp_name), &opts).unwrap().into_jingle(
        Action::SessionAccept,
        "7kq3b0c8ufhg6",
        Some("focus@auth.meet.test/focus".into()),
        Some("conf1@conference.meet.test/d1e2f3a4".into()),
    )
}

#[test]
fn chromium_answer_matches_what_lib_jitsi_meet_sends_for_it() {
    let ours = wire_round_trip(&bridge_accept(
        "chromium-answer-bridge.sdp",
        &chromium_local_sources(),
    ));
    let theirs = jingle("lib-jitsi-meet-session-accept.xml");
    assert_eq!(ours.action, Action::SessionAccept);
    assert_eq!(ours.responder, theirs.responder);
    assert_eq!(
        content_views(&ours.contents),
        content_views(&theirs.contents)
    );
    assert_eq!(ours.bundle(), theirs.bundle());
    assert!(ours
        .contents
        .iter()
        .all(|c| c.creator == Creator::Responder));

    let sources = |j: &Jingle, content: usize| -> Vec<(u32, Option<String>, Option<String>)> {
        j.contents[content]
            .description
            .as_ref()
            .unwrap()
            .sources
            .iter()
            .map(|s| (s.ssrc, s.name.clone(), s.video_type.clone()))
            .collect()
    };
    assert_eq!(
        sources(&ours, 0),
        vec![(2624497571, Some("d1e2f3a4-a0".into()), None)]
    );
    assert_eq!(sources(&ours, 1), sources(&theirs, 1));
    assert_eq!(
        sources(&ours, 1)[1],
        (
            1873524108,
            Some("d1e2f3a4-v0".into()),
            Some("camera".into())
        )
    );
}

#[test]
fn recvonly_mlines_of_remote_tracks_add_no_sources() {
    let accept = bridge_accept("chromium-answer-bridge.sdp", &chromium_local_sources());
    let all: Vec<u32> = accept
        .contents
        .iter()
        .filter_map(|c| c.description.as_ref())
        .flat_map(|d| d.sources.iter().map(|s| s.ssrc))
        .collect();
    assert_eq!(all, [2624497571, 3306224581, 1873524108]);
}

#[test]
fn firefox_answer_takes_session_level_fingerprint_and_skips_recvonly_ssrcs() {
    let ep = EndpointId::new("f0e1d2c3");
    let local = [
        LocalSource::microphone(&ep, 1198812722, "m"),
        LocalSource::camera(&ep, 2011462214, Some(656281035), "c"),
    ];
    let accept = bridge_accept("firefox-answer-bridge.sdp", &local);
    let names: Vec<&str> = accept.contents.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["audio", "video", "data"]);
    for c in &accept.contents {
        let t = c.transport.as_ref().unwrap();
        assert_eq!(t.fingerprints.len(), 1, "{}", c.name);
        assert!(t.fingerprints[0].value.starts_with("3C:51:58"));
        assert_eq!(t.fingerprints[0].setup, Some(Setup::Active));
        assert_eq!(t.ufrag.as_deref(), Some("5b2c9a1e"));
    }
    let audio = accept.contents[0].description.as_ref().unwrap();
    assert_eq!(audio.sources.len(), 1);
    assert_eq!(
        audio.sources[0].msid(),
        Some("{4f1a2b3c-5d6e-4f70-8192-a3b4c5d6e7f8} {0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d}")
    );
    assert_eq!(audio.sources[0].name.as_deref(), Some("f0e1d2c3-a0"));
    assert_eq!(audio.payload_types[1].channels, 1);
    let video = accept.contents[1].description.as_ref().unwrap();
    let ssrcs: Vec<u32> = video.sources.iter().map(|s| s.ssrc).collect();
    assert_eq!(ssrcs, [2011462214, 656281035]);
    assert_eq!(video.ssrc_groups[0].ssrcs, vec![2011462214, 656281035]);
    let candidates = &accept.contents[0].transport.as_ref().unwrap().candidates;
    assert_eq!(candidates.len(), 3);
    assert_eq!(candidates[1].protocol, "tcp");
    assert_eq!(candidates[1].tcptype.as_deref(), Some("active"));
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
}

#[test]
fn p2p_answer_names_contents_by_mid() {
    let opts = AnswerOptions {
        peer: Peer::P2p,
        creator: Creator::Initiator,
        local_sources: &[],
    };
    let media = sdp_to_jingle(&sdp("chromium-offer-p2p.sdp"), &opts).unwrap();
    let names: Vec<&str> = media.contents.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["0", "1"]);
    assert_eq!(
        media.groups[0].contents,
        vec!["0".to_string(), "1".to_string()]
    );
    let video = media.contents[1].description.as_ref().unwrap();
    // Without a local source list the names come from the munged a=ssrc name:/videoType: lines.
    assert_eq!(video.sources[0].name.as_deref(), Some("a8f7g30b-v0"));
    assert_eq!(video.sources[0].video_type.as_deref(), Some("camera"));
}

#[test]
fn trickled_candidate_round_trips_through_transport_info() {
    let line = "candidate:1545629987 1 udp 1686052607 198.51.100.4 54321 typ srflx raddr 192.168.1.23 rport 54321 generation 0 ufrag Fq3E network-id 1";
    let mut j = Jingle::new(Action::TransportInfo, "7kq3b0c8ufhg6");
    j.contents.push(Content {
        creator: Creator::Responder,
        name: "audio".into(),
        senders: None,
        frame_heights: Vec::new(),
        description: None,
        transport: Some(IceUdpTransport {
            ufrag: Some("Fq3E".into()),
            pwd: Some("pTn3yP0Vv0Jc9m3tLhWcsoSg".into()),
            candidates: vec![Candidate::from_sdp_value(line).unwrap()],
            ..IceUdpTransport::default()
        }),
    });
    let back = wire_round_trip(&j);
    assert_eq!(back.action, Action::TransportInfo);
    let c = &back.contents[0].transport.as_ref().unwrap().candidates[0];
    assert_eq!(
        c.to_sdp_value(),
        "1545629987 1 udp 1686052607 198.51.100.4 54321 typ srflx raddr 192.168.1.23 rport 54321 generation 0"
    );
    assert_eq!(c.network, Some(1));
}

#[test]
fn candidate_lines_from_browsers_parse() {
    let tcp = Candidate::from_sdp_value("a=candidate:4233069003 1 tcp 1518280447 192.168.1.23 9 typ host tcptype active generation 0").unwrap();
    assert_eq!(
        (tcp.protocol.as_str(), tcp.port, tcp.tcptype.as_deref()),
        ("tcp", 9, Some("active"))
    );
    let relay = Candidate::from_sdp_value(
        "candidate:3 1 UDP 92216831 203.0.113.50 3478 typ relay raddr 198.51.100.9 rport 61722",
    )
    .unwrap();
    assert_eq!(relay.kind, CandidateType::Relay);
    assert_eq!(relay.protocol, "udp");
    assert_eq!(relay.rel_addr.as_deref(), Some("198.51.100.9"));
}

#[test]
fn webrtc_rs_answer_becomes_a_session_accept_jicofo_can_use() {
    let ep = EndpointId::new("d1e2f3a4");
    let local = [
        LocalSource::microphone(&ep, 3482915117, "omni-d1e2f3a4 omni-d1e2f3a4-a0"),
        LocalSource::camera(
            &ep,
            2758130021,
            Some(913377402),
            "omni-d1e2f3a4 omni-d1e2f3a4-v0",
        ),
    ];
    let accept = wire_round_trip(&bridge_accept("webrtc-rs-answer-bridge.sdp", &local));
    let views = content_views(&accept.contents);
    let names: Vec<&str> = views.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["audio", "video", "data"]);
    assert_eq!(
        views[0].sources,
        BTreeMap::from([(
            3482915117,
            Some("omni-d1e2f3a4 omni-d1e2f3a4-a0".to_string())
        )])
    );
    assert_eq!(
        views[1].sources.keys().copied().collect::<Vec<_>>(),
        [913377402, 2758130021]
    );
    assert_eq!(
        views[1].ssrc_groups,
        BTreeSet::from([("FID".to_string(), vec![2758130021, 913377402])])
    );
    assert_eq!(
        views[0].candidates,
        [
            "3894727612 1 udp 2130706431 192.168.1.77 51234 typ host",
            "1193876245 1 udp 1694498815 198.51.100.77 51234 typ srflx raddr 0.0.0.0 rport 51234"
        ],
        "component 2 duplicates are dropped under rtcp-mux"
    );
    assert_eq!(views[2].sctp_port, Some(5000));
    assert!(views
        .iter()
        .all(|c| c.fingerprints.iter().all(|f| f.2 == Some(Setup::Active))));
    let video = accept.contents[1].description.as_ref().unwrap();
    assert!(video
        .sources
        .iter()
        .all(|s| s.name.as_deref() == Some("d1e2f3a4-v0")
            && s.video_type.as_deref() == Some("camera")));
    assert_eq!(
        accept.bundle().unwrap().contents,
        ["audio", "video", "data"]
    );
}
