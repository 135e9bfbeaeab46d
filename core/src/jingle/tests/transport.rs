//! Trickled candidates and the bridge's ICE restart.

use super::*;

fn bridge_transport_info(ice_generation: Option<&str>) -> Jingle {
    let generation = ice_generation.map_or(String::new(), |g| format!(" ice-generation='{g}'"));
    parse_jingle(&element(&format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='7kq3b0c8ufhg6'>\
         <content creator='initiator' name='video'>\
         <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='n3wufrag' pwd='n3wpwd0123456789abcdef'{generation}>\
         <candidate component='1' foundation='7' generation='1' id='c' ip='192.0.2.10' network='0' port='10001' priority='2130706431' protocol='udp' type='host'/>\
         </transport></content></jingle>"
    )))
    .unwrap()
}

#[test]
fn bridge_candidates_go_to_the_first_mline_of_their_media() {
    let sdp = jingle_to_sdp(&jingle("jicofo-session-initiate.xml"), &OFFER).unwrap();
    assert_eq!(
        remote_candidates(&bridge_transport_info(None), &sdp, Peer::Bridge),
        [RemoteCandidate {
            mid: "2".into(),
            candidate: "7 1 udp 2130706431 192.0.2.10 10001 typ host generation 1".into(),
        }]
    );
}

#[test]
fn p2p_candidates_go_to_the_mline_named_by_the_content() {
    let offer = jingle("p2p-session-initiate.xml");
    let sdp = jingle_to_sdp(&offer, &P2P_OFFER).unwrap();
    let mut info = Jingle::new(Action::TransportInfo, "p2p8s2k1bq5");
    info.contents = vec![offer.contents[0].clone()];
    let mids: Vec<String> = remote_candidates(&info, &sdp, Peer::P2p)
        .into_iter()
        .map(|c| c.mid)
        .collect();
    assert_eq!(mids, ["0", "0"]);
}

#[test]
fn our_trickled_candidate_is_signalled_under_the_content_jicofo_knows() {
    let answer = sdp("chromium-answer-bridge.sdp");
    assert_eq!(
        content_name_for_mid(&answer, "3", Peer::Bridge).as_deref(),
        Some("video")
    );
    assert_eq!(
        content_name_for_mid(&answer, "5", Peer::Bridge).as_deref(),
        Some("data")
    );
    assert_eq!(
        content_name_for_mid(&answer, "5", Peer::P2p).as_deref(),
        Some("5")
    );
    assert_eq!(content_name_for_mid(&answer, "9", Peer::Bridge), None);

    let candidate = Candidate::from_sdp_value("candidate:3 1 udp 41885439 203.0.113.50 3478 typ relay raddr 198.51.100.4 rport 54321 generation 0").unwrap();
    let info = transport_info(
        "7kq3b0c8ufhg6",
        Creator::Responder,
        "audio",
        &answer,
        "0",
        vec![candidate.clone()],
    );
    let received = wire_round_trip(&info);
    let t = received.contents[0].transport.as_ref().unwrap();
    assert_eq!(
        (
            received.contents[0].name.as_str(),
            received.contents[0].creator
        ),
        ("audio", Creator::Responder)
    );
    assert_eq!(
        (t.ufrag.as_deref(), t.pwd.as_deref()),
        (Some("Fq3E"), Some("pTn3yP0Vv0Jc9m3tLhWcsoSg"))
    );
    assert_eq!(t.candidates, vec![candidate]);
}

#[test]
fn ice_restart_replaces_credentials_and_candidates_of_live_mlines() {
    let offer = jingle("jicofo-session-initiate.xml");
    let sources = remote_sources(&offer.contents, None).unwrap();
    let sdp = jingle_to_sdp(&offer, &OFFER).unwrap();
    let mut remove = jingle("jicofo-source-add.xml");
    let with_rejected = apply_source_update(&sources, &remove, &sdp, Peer::Bridge, None).unwrap();
    remove.action = Action::SourceRemove;
    let mut with_rejected = apply_source_update(
        &with_rejected.sources,
        &remove,
        &with_rejected.sdp,
        Peer::Bridge,
        None,
    )
    .unwrap()
    .sdp;
    // A removed source's m-line stays open (see `source_update`); rejected m-lines, which an
    // ICE restart must leave alone, still come in offers.
    for m in with_rejected.media.iter_mut().rev().take(2) {
        assert!(m.ssrcs().is_empty());
        m.port = 0;
    }

    let restart = bridge_transport_info(Some("1"));
    let transport = restart.contents[0].transport.as_ref().unwrap();
    assert_eq!(transport.ice_generation, Some(1));
    let restarted = replace_remote_transport(&with_rejected, transport);
    let before = view(&with_rejected);
    let after = view(&restarted);
    for (b, a) in before.media.iter().zip(&after.media) {
        if a.rejected {
            assert_eq!(a, b);
            continue;
        }
        assert_eq!(
            (a.ufrag.as_deref(), a.pwd.as_deref()),
            (Some("n3wufrag"), Some("n3wpwd0123456789abcdef"))
        );
        assert_eq!(
            a.candidates,
            ["7 1 udp 2130706431 192.0.2.10 10001 typ host"]
        );
        assert_eq!(
            (&a.fingerprints, &a.ssrcs, &a.codecs),
            (&b.fingerprints, &b.ssrcs, &b.codecs)
        );
    }
    assert_eq!(after.media.iter().filter(|m| m.rejected).count(), 2);
    assert!(restarted.to_string().contains("o=- 1700000000000 5 IN IP4"));
    super::webrtc_rs::assert_webrtc_reads(&restarted);
}

#[test]
fn a_content_name_given_twice_is_refused() {
    let xml =
        fixture("p2p-session-initiate.xml").replace("name=\"1\" senders", "name=\"0\" senders");
    assert!(matches!(
        parse_jingle(&element(&xml)),
        Err(JingleError::InvalidAttribute {
            element: "content",
            attr: "name",
            ..
        })
    ));
}
