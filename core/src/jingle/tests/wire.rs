//! Actions and reasons on the wire.

use super::*;

#[test]
fn session_terminate_carries_its_reason() {
    let j = Jingle::terminate("7kq3b0c8ufhg6", Reason::new("success", Some("bye".into())));
    let xml = encode_jingle(&j).to_xml();
    assert!(
        xml.contains("<reason><success/><text>bye</text></reason>"),
        "{xml}"
    );
    assert_eq!(wire_round_trip(&j), j);
}

#[test]
fn session_terminate_from_jicofo_reads_condition_and_text() {
    let j = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='s1'>\
         <reason><gone/><text>bridge failed</text></reason></jingle>",
    ))
    .unwrap();
    assert_eq!(
        j.reason,
        Some(Reason::new("gone", Some("bridge failed".into())))
    );
}

#[test]
fn legacy_source_action_names_are_understood() {
    for (name, action) in [
        ("addsource", Action::SourceAdd),
        ("removesource", Action::SourceRemove),
    ] {
        let j = parse_jingle(&element(&format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='{name}' sid='s'/>"
        )))
        .unwrap();
        assert_eq!(j.action, action);
    }
    for action in [
        Action::TransportReplace,
        Action::TransportAccept,
        Action::TransportReject,
        Action::ContentModify,
        Action::SessionInfo,
    ] {
        let xml = format!("<jingle xmlns='urn:xmpp:jingle:1' action='{action}' sid='s'/>");
        assert_eq!(parse_jingle(&element(&xml)).unwrap().action, action);
    }
    let source_add = encode_jingle(&Jingle::new(Action::SourceAdd, "s")).to_xml();
    assert!(source_add.contains("action=\"source-add\""));
}

#[test]
fn bridge_ice_restart_transport_info_keeps_its_generation() {
    let j = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='s'>\
         <content creator='initiator' name='audio'>\
         <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='new' pwd='newpwd' ice-generation='2'>\
         <candidate component='1' foundation='1' generation='0' id='c' ip='10.0.0.1' network='0' port='10000' priority='2130706431' protocol='udp' type='host'/>\
         </transport></content></jingle>",
    ))
    .unwrap();
    let t = j.contents[0].transport.as_ref().unwrap();
    assert_eq!(
        (t.ufrag.as_deref(), t.ice_generation),
        (Some("new"), Some(2))
    );
    assert_eq!(wire_round_trip(&j), j);
}

#[test]
fn ice_restart_request_is_a_session_info_with_bridge_session() {
    let mut j = Jingle::new(Action::SessionInfo, "7kq3b0c8ufhg6");
    j.bridge_session = Some(BridgeSession {
        id: Some("5f9b4d1a-6c3e-4a8b".into()),
        region: None,
        ice_restart: true,
        restart: false,
    });
    let xml = encode_jingle(&j).to_xml();
    assert!(xml.contains("action=\"session-info\""), "{xml}");
    assert!(
        xml.contains("<bridge-session xmlns=\"http://jitsi.org/protocol/focus\" id=\"5f9b4d1a-6c3e-4a8b\" ice-restart=\"true\"/>"),
        "{xml}"
    );
    assert_eq!(wire_round_trip(&j), j);
}

#[test]
fn a_restart_request_is_a_session_terminate_with_bridge_session_restart() {
    let mut j = Jingle::terminate(
        "7kq3b0c8ufhg6",
        Reason::new("connectivity-error", Some("ICE FAILED".into())),
    );
    j.bridge_session = Some(BridgeSession {
        id: Some("5f9b4d1a-6c3e-4a8b".into()),
        region: None,
        ice_restart: false,
        restart: true,
    });
    let xml = encode_jingle(&j).to_xml();
    assert!(
        xml.contains("<bridge-session xmlns=\"http://jitsi.org/protocol/focus\" id=\"5f9b4d1a-6c3e-4a8b\" restart=\"true\"/>"),
        "{xml}"
    );
    assert!(xml.contains("<connectivity-error/>"), "{xml}");
    assert_eq!(wire_round_trip(&j), j);
}

#[test]
fn content_modify_carries_video_senders_and_frame_heights() {
    let j = parse_jingle(&element(
        "<jingle xmlns='urn:xmpp:jingle:1' action='content-modify' initiator='a@b/c' sid='p2p8s2k1bq5'>\
         <content name='video' senders='none'>\
         <source-frame-height xmlns='http://jitsi.org/jitmeet/video' maxHeight='180' sourceName='a8f7g30b-v0'/>\
         </content></jingle>",
    ))
    .unwrap();
    assert_eq!(j.action, Action::ContentModify);
    assert_eq!(j.contents[0].senders, Some(Senders::None));
    assert_eq!(
        j.contents[0].frame_heights,
        vec![SourceFrameHeight {
            source_name: "a8f7g30b-v0".into(),
            max_height: 180
        }]
    );
    assert_eq!(wire_round_trip(&j), j);
}

#[test]
fn debug_output_hides_ice_and_bridge_passwords() {
    let j = jingle("jicofo-session-initiate.xml");
    let printed = format!("{j:?}");
    assert!(
        printed.contains("colibri-ws/jvb1/3b4f7a5d9c2e6a10/a9c1e2f3?pwd=<redacted>"),
        "{printed}"
    );
    assert!(!printed.contains("6c2rsl0lmcfj7e0pf5d2m4ivs3"));
    assert!(!printed.contains("1ouls4k2u4h6lqqh1mb4bn0amf"));
    assert!(printed.contains("4h8cc1ifj3qp2o"), "the ufrag is no secret");
}
