//! The bridge Jingle session and the colibri channel as the state machine runs them, with
//! Jicofo's stanzas (hand-written fixtures) and the engines' answers fed back by hand.

use super::p2p_tests::{
    jingle_iq, jingle_sent, joined_with, lib_jitsi_meet_offer, media, member, trickle,
};
use super::tests::{drain, events, occupant};
use super::*;
use crate::bridge::BridgeEvent;
use crate::conference::media_command::{MediaInput, Peer};
use crate::events::MediaKind;
use crate::jingle::Action;

pub(super) const ROOM: &str = "standup@conference.meet.test";
pub(super) const FOCUS: &str = "standup@conference.meet.test/focus";
pub(super) const SID: &str = "7kq3b0c8ufhg6";

fn fixture(xml: &str) -> String {
    xml[xml.find("<jingle").unwrap()..].to_string()
}

fn jicofo_offer() -> String {
    fixture(include_str!(
        "../../jingle/fixtures/jicofo-session-initiate.xml"
    ))
}

fn jicofo_source_add() -> String {
    fixture(include_str!("../../jingle/fixtures/jicofo-source-add.xml"))
}

pub(super) fn our_bridge_answer() -> String {
    include_str!("../../jingle/fixtures/webrtc-rs-answer-bridge.sdp")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        // Our SSRCs as `joined_with` configures them.
        .replace("3482915117", "2002")
        .replace("2758130021", "4004")
}

fn focus_arrives(c: &mut Conference, now: Instant) {
    c.handle_stanza(
        &occupant(
            "focus",
            "",
            "<item jid='focus@auth.meet.test/focus' role='moderator' affiliation='owner'/>",
        ),
        now,
    );
    drain(c);
}

/// Joined with three others (so no P2P) and the focus in the room.
pub(super) fn in_a_bridge_room(now: Instant) -> Conference {
    let (mut c, _) = joined_with(&["a8f7g30b", "c3d4e5f6", "e5f6a7b8"], now);
    focus_arrives(&mut c, now);
    c
}

fn bridge_commands(outputs: &[Output]) -> Vec<&BridgeCommand> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Bridge(b) => Some(b),
            _ => None,
        })
        .collect()
}

pub(super) fn tracks(outputs: &[Output]) -> Vec<(bool, String, MediaKind)> {
    events(outputs)
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::RemoteTrackAdded {
                source_name, kind, ..
            } => Some((true, source_name.clone(), *kind)),
            ConferenceEvent::RemoteTrackRemoved {
                source_name, kind, ..
            } => Some((false, source_name.clone(), *kind)),
            _ => None,
        })
        .collect()
}

pub(super) fn accepted(c: &mut Conference, now: Instant) -> Vec<Output> {
    c.handle_stanza(&jingle_iq(FOCUS, "f1", &jicofo_offer()), now);
    let out = drain(c);
    c.handle_media(
        MediaInput::LocalDescription {
            sid: SID.into(),
            sdp: our_bridge_answer(),
        },
        now,
    );
    let mut all = out;
    all.extend(drain(c));
    all
}

#[test]
fn the_focus_offer_is_acked_answered_and_opens_the_bridge_channel() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    c.handle_stanza(&jingle_iq(FOCUS, "f1", &jicofo_offer()), now);
    let out = drain(&mut c);

    let acks = super::tests::sent(&out);
    assert_eq!(acks[0].get_attr("type"), Some("result"));
    assert_eq!(acks[0].get_attr("id"), Some("f1"));
    let [MediaCommand::Answer {
        sid,
        peer,
        offer,
        remote_names,
        ..
    }, ..] = &media(&out)[..]
    else {
        panic!("expected an answer command, got {:?}", media(&out));
    };
    assert_eq!(sid, SID);
    assert_eq!(*peer, Peer::Bridge);
    assert!(offer.contains("a=ssrc:1757014965"));
    assert!(remote_names.contains(&(1757014965, "a8f7g30b-a0".into())));
    assert!(remote_names.contains(&(918244605, "c3d4e5f6-v1".into())));
    let bridge = bridge_commands(&out);
    assert!(bridge.contains(&&BridgeCommand::Open {
        url: "wss://jvb1.meet.test/colibri-ws/jvb1/3b4f7a5d9c2e6a10/a9c1e2f3?pwd=6c2rsl0lmcfj7e0pf5d2m4ivs3".into()
    }));
    assert!(bridge.contains(&&BridgeCommand::Alone(false)));
    // The others' sources are tracks; the bridge's own feedback sources are not.
    let mut added = tracks(&out);
    added.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        added,
        vec![
            (true, "a8f7g30b-a0".into(), MediaKind::Audio),
            (true, "a8f7g30b-v0".into(), MediaKind::Video),
            (true, "c3d4e5f6-v1".into(), MediaKind::Video),
        ]
    );

    // The engine's answer goes to the focus occupant as session-accept with our sources, and
    // candidates found afterwards trickle to it.
    c.handle_media(
        MediaInput::LocalDescription {
            sid: SID.into(),
            sdp: our_bridge_answer(),
        },
        now,
    );
    let out = drain(&mut c);
    let sent_now = jingle_sent(&out);
    let [(to, accept)] = &sent_now[..] else {
        panic!("expected one session-accept, got {sent_now:?}");
    };
    assert_eq!(to, FOCUS);
    assert_eq!(accept.action, Action::SessionAccept);
    assert_eq!(accept.sid, SID);
    assert_eq!(accept.initiator.as_deref(), Some(FOCUS));
    let ours: Vec<(u32, Option<String>)> = accept
        .contents
        .iter()
        .filter_map(|c| c.description.as_ref())
        .flat_map(|d| &d.sources)
        .map(|s| (s.ssrc, s.name.clone()))
        .collect();
    assert!(
        ours.contains(&(2002, Some("me000001-a0".into()))),
        "{ours:?}"
    );
    assert!(
        ours.contains(&(4004, Some("me000001-v0".into()))),
        "{ours:?}"
    );

    c.handle_media(
        MediaInput::LocalCandidate {
            sid: SID.into(),
            candidate: "candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host".into(),
        },
        now,
    );
    let sent_now = jingle_sent(&drain(&mut c));
    let [(to, info)] = &sent_now[..] else {
        panic!("expected one transport-info, got {sent_now:?}");
    };
    assert_eq!(to, FOCUS);
    assert_eq!(info.action, Action::TransportInfo);
    let candidate = &info.contents[0].transport.as_ref().unwrap().candidates[0];
    assert_eq!(candidate.port, 40000);
}

#[test]
fn the_focus_source_updates_renegotiate_locally_and_move_tracks() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    c.handle_stanza(&jingle_iq(FOCUS, "s1", &jicofo_source_add()), now);
    let out = drain(&mut c);
    assert_eq!(super::tests::sent(&out)[0].get_attr("type"), Some("result"));
    assert!(
        jingle_sent(&out).is_empty(),
        "nothing goes back to the focus"
    );
    let [MediaCommand::Renegotiate {
        sid,
        offer,
        remote_names,
    }] = &media(&out)[..]
    else {
        panic!("expected a renegotiation, got {:?}", media(&out));
    };
    assert_eq!(sid, SID);
    assert!(offer.contains("a=ssrc:581140233"));
    assert!(remote_names.contains(&(581140233, "e5f6a7b8-a0".into())));
    let mut added = tracks(&out);
    added.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        added,
        vec![
            (true, "e5f6a7b8-a0".into(), MediaKind::Audio),
            (true, "e5f6a7b8-v0".into(), MediaKind::Video),
        ]
    );

    let remove = jicofo_source_add().replace("source-add", "source-remove");
    c.handle_stanza(&jingle_iq(FOCUS, "s2", &remove), now);
    let out = drain(&mut c);
    let [MediaCommand::Renegotiate { offer, .. }] = &media(&out)[..] else {
        panic!("expected a renegotiation, got {:?}", media(&out));
    };
    assert!(!offer.contains("a=ssrc:581140233"));
    let mut removed = tracks(&out);
    removed.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        removed,
        vec![
            (false, "e5f6a7b8-a0".into(), MediaKind::Audio),
            (false, "e5f6a7b8-v0".into(), MediaKind::Video),
        ]
    );

    // The focus ends the session: every bridge track goes, and so does the channel.
    let terminate = format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='{SID}'>\
         <reason><success/></reason></jingle>"
    );
    c.handle_stanza(&jingle_iq(FOCUS, "t1", &terminate), now);
    let out = drain(&mut c);
    assert!(media(&out).contains(&&MediaCommand::Close { sid: SID.into() }));
    assert!(bridge_commands(&out).contains(&&BridgeCommand::Close));
    assert_eq!(tracks(&out).len(), 3);
    assert!(tracks(&out).iter().all(|(added, ..)| !added));
}

#[test]
fn only_the_focus_offers_and_a_malformed_offer_changes_nothing() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    // A participant pretending to be the focus: its offer is a P2P offer in a four-person room.
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "x1", &jicofo_offer()),
        now,
    );
    let out = drain(&mut c);
    assert!(media(&out).iter().all(|m| !matches!(
        m,
        MediaCommand::Answer {
            peer: Peer::Bridge,
            ..
        }
    )));
    assert!(bridge_commands(&out).is_empty());

    let hostile = "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='z'>\
        <content name='audio'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>\
        <payload-type id='999999' name='opus'/></description></content></jingle>";
    c.handle_stanza(&jingle_iq(FOCUS, "h1", hostile), now);
    let out = drain(&mut c);
    let reply = super::tests::sent(&out)[0];
    assert_eq!(reply.get_attr("type"), Some("error"));
    assert!(reply.to_xml().contains("bad-request"));
    assert!(media(&out).is_empty());
    assert!(tracks(&out).is_empty());

    // Requests for a session we do not have.
    let terminate = "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='nope'/>";
    c.handle_stanza(&jingle_iq(FOCUS, "h2", terminate), now);
    let reply = drain(&mut c);
    assert!(super::tests::sent(&reply)[0]
        .to_xml()
        .contains("item-not-found"));
    assert!(!c.is_ended());
}

#[test]
fn bridge_channel_events_reach_the_app_and_endpoint_messages_need_the_channel() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    c.handle_command(
        7,
        Command::SendEndpointMessage {
            to: None,
            json: "{\"hello\":1}".into(),
        },
        now,
    );
    let out = drain(&mut c);
    assert!(matches!(
        &out[..],
        [Output::Reply(7, Err(Error::Refused(_)))]
    ));

    c.handle_bridge_event(BridgeEvent::Opened);
    c.handle_command(
        8,
        Command::SendEndpointMessage {
            to: Some(EndpointId::new("a8f7g30b")),
            json: "{\"hello\":1}".into(),
        },
        now,
    );
    let out = drain(&mut c);
    let [BridgeCommand::Send { message, reply: 8 }] = &bridge_commands(&out)[..] else {
        panic!("expected the message to go to the channel, got {out:?}");
    };
    assert_eq!(
        message.to_json(),
        "{\"colibriClass\":\"EndpointMessage\",\"msgPayload\":{\"hello\":1},\"to\":\"a8f7g30b\"}"
    );
    for (json, to) in [("not json", None), ("{}", Some("nobody00"))] {
        c.handle_command(
            9,
            Command::SendEndpointMessage {
                to: to.map(EndpointId::new),
                json: json.into(),
            },
            now,
        );
        let out = drain(&mut c);
        assert!(
            matches!(&out[..], [Output::Reply(9, Err(Error::InvalidArgument(_)))]),
            "{out:?}"
        );
    }

    c.handle_bridge_event(BridgeEvent::DominantSpeakerChanged {
        endpoint: "c3d4e5f6".into(),
        previous: vec![],
        silence: false,
    });
    c.handle_bridge_event(BridgeEvent::EndpointMessageReceived {
        from: Some("a8f7g30b".into()),
        payload: serde_json::json!({"hi": "there"}),
    });
    let out = drain(&mut c);
    assert_eq!(
        events(&out),
        vec![
            &ConferenceEvent::DominantSpeakerChanged {
                endpoint_id: EndpointId::new("c3d4e5f6")
            },
            &ConferenceEvent::EndpointMessageReceived {
                from: EndpointId::new("a8f7g30b"),
                json: "{\"hi\":\"there\"}".into()
            }
        ]
    );

    let wanted = ReceiverVideoConstraints {
        last_n: Some(1),
        ..Default::default()
    };
    c.handle_command(10, Command::SetReceiverConstraints(wanted.clone()), now);
    let out = drain(&mut c);
    assert_eq!(
        bridge_commands(&out),
        vec![&BridgeCommand::Constraints(wanted)]
    );
}

#[test]
fn a_source_on_both_sessions_is_one_track_until_both_lose_it() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["a8f7g30b"], now);
    assert!(
        media(&out).is_empty(),
        "the peer with the smaller id offers P2P"
    );
    focus_arrives(&mut c, now);
    let out = accepted(&mut c, now);
    assert!(tracks(&out).contains(&(true, "a8f7g30b-a0".into(), MediaKind::Audio)));

    let p2p = include_str!("../../jingle/fixtures/p2p-session-initiate.xml");
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "p1", &fixture(p2p)),
        now,
    );
    let out = drain(&mut c);
    assert!(media(&out).iter().any(|m| matches!(
        m,
        MediaCommand::Answer {
            peer: Peer::P2p,
            ..
        }
    )));
    assert!(
        tracks(&out).is_empty(),
        "the peer's sources are known from the bridge already: {:?}",
        tracks(&out)
    );

    // The peer ends P2P (a third participant came): the bridge still carries its sources.
    let sid = "p2p8s2k1bq5";
    c.handle_stanza(
        &jingle_iq(
            &format!("{ROOM}/a8f7g30b"),
            "p2",
            &format!(
                "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='{sid}'>\
                 <reason><success/></reason></jingle>"
            ),
        ),
        now,
    );
    let out = drain(&mut c);
    assert!(media(&out).contains(&&MediaCommand::Close { sid: sid.into() }));
    assert!(tracks(&out).is_empty(), "{:?}", tracks(&out));
}

#[test]
fn screen_share_adds_an_m_line_then_announces_the_desktop_source_and_stops_p2p() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    c.handle_command(1, Command::StartScreenShare, now);
    let out = drain(&mut c);
    assert!(
        matches!(&out[..], [Output::Reply(1, Err(Error::Refused(_)))]),
        "no bridge session yet: {out:?}"
    );

    accepted(&mut c, now);
    c.handle_command(2, Command::StartScreenShare, now);
    let out = drain(&mut c);
    let [MediaCommand::StartScreen {
        sid,
        offer: Some(offer),
    }] = &media(&out)[..]
    else {
        panic!(
            "expected the screen track with a new m-line, got {:?}",
            media(&out)
        );
    };
    assert_eq!(sid, SID);
    let sdp = crate::jingle::Sdp::parse(offer).unwrap();
    let last = sdp.media.last().unwrap();
    assert_eq!(last.media, "video");
    assert_eq!(last.direction(), Some(crate::jingle::Direction::RecvOnly));
    assert!(last.ssrcs().is_empty());
    let sent_now = jingle_sent(&out);
    let [(to, add)] = &sent_now[..] else {
        panic!("expected one source-add, got {sent_now:?}");
    };
    assert_eq!(to, FOCUS);
    assert_eq!(add.action, Action::SourceAdd);
    let source = &add.contents[0].description.as_ref().unwrap().sources[0];
    assert_eq!(source.ssrc, 6006);
    assert_eq!(source.name.as_deref(), Some("me000001-v1"));
    assert_eq!(source.video_type.as_deref(), Some("desktop"));
    let presence = super::tests::sent(&out)
        .into_iter()
        .find(|e| e.name() == "presence")
        .expect("presence with the new source");
    assert!(presence.to_xml().contains("me000001-v1"));
    assert!(
        events(&out).contains(&&ConferenceEvent::ScreenShareToggled {
            endpoint_id: EndpointId::new("me000001"),
            on: true
        })
    );
    assert!(matches!(out.last(), Some(Output::Reply(2, Ok(())))));

    // Stopping: the track is muted, source-remove goes to the focus; starting again reuses the
    // m-line.
    c.handle_command(3, Command::StopScreenShare, now);
    let out = drain(&mut c);
    assert_eq!(
        media(&out),
        vec![&MediaCommand::StopScreen { sid: SID.into() }]
    );
    assert_eq!(jingle_sent(&out)[0].1.action, Action::SourceRemove);
    assert!(
        events(&out).contains(&&ConferenceEvent::ScreenShareToggled {
            endpoint_id: EndpointId::new("me000001"),
            on: false
        })
    );
    c.handle_command(4, Command::StartScreenShare, now);
    let out = drain(&mut c);
    assert_eq!(
        media(&out),
        vec![&MediaCommand::StartScreen {
            sid: SID.into(),
            offer: None
        }]
    );
}

#[test]
fn a_remote_desktop_source_toggles_screen_share_for_its_owner() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    let out = accepted(&mut c, now);
    // c3d4e5f6-v1 in Jicofo's offer is a desktop source.
    assert!(
        events(&out).contains(&&ConferenceEvent::ScreenShareToggled {
            endpoint_id: EndpointId::new("c3d4e5f6"),
            on: true
        })
    );
    let remove = "<jingle xmlns='urn:xmpp:jingle:1' action='source-remove' sid='7kq3b0c8ufhg6'>\
        <content name='video'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'>\
        <source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='918244605' name='c3d4e5f6-v1' videoType='desktop'>\
        <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='c3d4e5f6'/></source>\
        <source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='3010273531' name='c3d4e5f6-v1' videoType='desktop'>\
        <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='c3d4e5f6'/></source>\
        <ssrc-group xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' semantics='FID'>\
        <source ssrc='918244605'/><source ssrc='3010273531'/></ssrc-group>\
        </description></content></jingle>";
    c.handle_stanza(&jingle_iq(FOCUS, "r1", remove), now);
    let out = drain(&mut c);
    assert!(
        events(&out).contains(&&ConferenceEvent::ScreenShareToggled {
            endpoint_id: EndpointId::new("c3d4e5f6"),
            on: false
        })
    );
}

#[test]
fn the_bridge_s_sender_constraints_on_our_sources_reach_the_engine() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    for (source, screen) in [("me000001-v0", false), ("me000001-v1", true)] {
        c.handle_bridge_event(BridgeEvent::SenderConstraintChanged {
            source_name: source.into(),
            max_height: 0,
        });
        assert_eq!(
            media(&drain(&mut c)),
            vec![&MediaCommand::LimitVideo {
                screen,
                max_height: 0
            }]
        );
    }
    // Someone else's source is not ours to limit.
    c.handle_bridge_event(BridgeEvent::SenderConstraintChanged {
        source_name: "a8f7g30b-v0".into(),
        max_height: 180,
    });
    assert!(drain(&mut c).is_empty());
}

pub(super) fn added_candidates(outputs: &[Output]) -> Vec<&str> {
    media(outputs)
        .into_iter()
        .filter_map(|m| match m {
            MediaCommand::AddCandidate { candidate, .. } => Some(candidate.as_str()),
            _ => None,
        })
        .collect()
}

/// New credentials in a `transport-info` without an `ice-generation` are no restart Jicofo
/// sends: refused, so it re-invites instead of the session keeping the old ones
/// (`ice_restart_tests` has the restart it does send).
#[test]
fn new_credentials_without_an_ice_generation_are_refused_while_trickle_still_works() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let (ufrag, pwd) = ("4h8cc1ifj3qp2o", "1ouls4k2u4h6lqqh1mb4bn0amf");

    c.handle_stanza(
        &jingle_iq(FOCUS, "t1", &trickle(SID, "audio", (ufrag, pwd), 10000)),
        now,
    );
    let out = drain(&mut c);
    assert_eq!(super::tests::sent(&out)[0].get_attr("type"), Some("result"));
    let added = added_candidates(&out);
    assert!(
        added.len() == 1 && added[0].contains("192.0.2.9 10000"),
        "{added:?}"
    );

    c.handle_stanza(
        &jingle_iq(
            FOCUS,
            "t2",
            &trickle(SID, "audio", ("n3wufr4g", "n3wpwd0000000000000000"), 10001),
        ),
        now,
    );
    let out = drain(&mut c);
    let reply = super::tests::sent(&out)[0];
    assert_eq!(reply.get_attr("type"), Some("error"));
    assert_eq!(reply.get_attr("id"), Some("t2"));
    assert!(
        reply.to_xml().contains("feature-not-implemented"),
        "{reply:?}"
    );
    assert!(media(&out).is_empty(), "the old credentials were kept");
    assert!(!c.is_ended());
}

/// lib-jitsi-meet 2021 (no source names) suspends its bridge media while it talks P2P: the
/// focus relays a `source-remove` of its sources, and the same `source-add` (same SSRCs and
/// msid) when a third participant ends P2P. `action` is either.
fn browser_sources(action: &str) -> String {
    let source = |ssrc: u32, msid: &str| {
        format!(
            "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{ssrc}'>\
             <ssrc-info xmlns='http://jitsi.org/jitmeet' owner='{ROOM}/a8f7g30b'/>\
             <parameter name='msid' value='{msid}'/></source>"
        )
    };
    let audio = source(1757014965, "a8f7g30b-audio-0 9f2c6b7e");
    let camera = "a8f7g30b-video-0 1d8d1b47";
    format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='{action}' sid='{SID}'>\
         <content name='audio'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>\
         {audio}</description></content>\
         <content name='video'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'>\
         {}{}<ssrc-group xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' semantics='FID'>\
         <source ssrc='2290418313'/><source ssrc='1407282347'/></ssrc-group>\
         </description></content></jingle>",
        source(2290418313, camera),
        source(1407282347, camera),
    )
}

fn renegotiated_offer(out: &[Output]) -> crate::jingle::Sdp {
    let [MediaCommand::Renegotiate { offer, .. }] = &media(out)[..] else {
        panic!("expected one renegotiation, got {:?}", media(out));
    };
    crate::jingle::Sdp::parse(offer).unwrap()
}

/// The P2P -> bridge move with a browser. webrtc-rs stops the transceiver of a rejected or
/// `inactive` m-line for good but keeps its receive SSRCs, and hands each packet to the first
/// transceiver listing its SSRC: with the browser's sources back on fresh m-lines, all its
/// packets went to the stopped transceivers and were dropped, and the browser was never heard
/// on the bridge. Its sources must come back on the m-lines they left, which never close.
#[test]
fn a_browser_back_from_p2p_is_received_on_the_mlines_its_sources_left() {
    use crate::jingle::Direction;
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a8f7g30b"], now);
    focus_arrives(&mut c, now);
    let out = accepted(&mut c, now);
    let offered = media(&out)
        .iter()
        .find_map(|m| match m {
            MediaCommand::Answer { offer, .. } => Some(crate::jingle::Sdp::parse(offer).unwrap()),
            _ => None,
        })
        .unwrap();
    let p2p = include_str!("../../jingle/fixtures/p2p-session-initiate.xml");
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "p1", &fixture(p2p)),
        now,
    );
    drain(&mut c);

    c.handle_stanza(
        &jingle_iq(FOCUS, "s1", &browser_sources("source-remove")),
        now,
    );
    let out = drain(&mut c);
    let suspended = renegotiated_offer(&out);
    assert!(tracks(&out).is_empty(), "P2P still carries the browser");
    let mids = |sdp: &crate::jingle::Sdp, ssrc: u32| -> Vec<String> {
        sdp.media
            .iter()
            .filter(|m| m.ssrcs().contains(&ssrc))
            .filter_map(|m| m.mid().map(str::to_string))
            .collect()
    };
    assert!(mids(&suspended, 1757014965).is_empty());

    c.handle_stanza(&jingle_iq(FOCUS, "s2", &browser_sources("source-add")), now);
    let out = drain(&mut c);
    let back = renegotiated_offer(&out);
    let [MediaCommand::Renegotiate { remote_names, .. }] = &media(&out)[..] else {
        unreachable!()
    };
    assert!(remote_names.contains(&(1757014965, "a8f7g30b-a0".into())));
    assert!(remote_names.contains(&(2290418313, "a8f7g30b-v0".into())));
    assert_eq!(back.media.len(), suspended.media.len(), "no new m-lines");
    for m in back.media.iter().chain(&suspended.media) {
        assert!(
            m.port != 0 && m.direction() != Some(Direction::Inactive),
            "an m-line webrtc-rs would stop: mid {:?}",
            m.mid()
        );
    }
    for ssrc in [1757014965, 2290418313] {
        assert_eq!(mids(&back, ssrc), mids(&offered, ssrc), "SSRC {ssrc}");
        assert_eq!(mids(&back, ssrc).len(), 1);
    }
    assert!(tracks(&out).is_empty(), "{:?}", tracks(&out));
}

/// The bridge connection fails and the focus refuses the in-place ICE restart we ask for (a
/// Jicofo with `enable-ice-restart = false`, or one beyond its limit): what follows is the
/// request for a new session.
pub(super) fn bridge_failed(c: &mut Conference, now: Instant) -> Vec<Output> {
    c.handle_media(
        MediaInput::Failed {
            sid: SID.into(),
            reason: "ICE/DTLS connection failed".into(),
        },
        now,
    );
    let mut out = drain(c);
    if let Some(id) = super::ice_restart_tests::ice_restart_request(&out) {
        c.handle_stanza(
            &super::ice_restart_tests::refusal(&id, "feature-not-implemented"),
            now,
        );
        out.extend(drain(c));
    }
    out
}

pub(super) fn errors(outputs: &[Output]) -> Vec<String> {
    events(outputs)
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::Error { error, .. } => Some(error.clone()),
            _ => None,
        })
        .collect()
}

/// The focus's new offer after a restart: a new session id, the same sources.
pub(super) fn jicofo_offer_again() -> String {
    jicofo_offer().replace(SID, "9m2x4c7v1b3n5")
}

#[test]
fn a_failed_bridge_connection_asks_the_focus_for_a_new_session_and_keeps_the_tracks() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    let out = bridge_failed(&mut c, now);
    let terminate = jingle_sent(&out)
        .into_iter()
        .find(|(_, j)| j.action == Action::SessionTerminate)
        .expect("a session-terminate to the focus");
    assert_eq!(terminate.0, FOCUS);
    assert_eq!(terminate.1.sid, SID);
    assert_eq!(
        terminate.1.reason.as_ref().map(|r| r.condition.as_str()),
        Some("connectivity-error")
    );
    let asked = terminate.1.bridge_session.expect("<bridge-session>");
    assert_eq!(asked.id.as_deref(), Some("5f9b4d1a-6c3e-4a8b"));
    assert!(
        asked.restart,
        "restart=\"true\" asks Jicofo to invite us again"
    );
    assert!(media(&out).contains(&&MediaCommand::Close { sid: SID.into() }));
    // The new session sends under new SSRCs: the others' SRTP replay windows would drop a new
    // RTP sequence under the old ones.
    assert!(
        media(&out).iter().any(|m| matches!(
            m,
            MediaCommand::SetLocalIdentity { ssrcs, track_suffix }
                if track_suffix == "-r1" && ssrcs.audio != 2002
        )),
        "{:?}",
        media(&out)
    );
    assert!(tracks(&out).is_empty(), "tracks stay announced: {out:?}");
    assert!(errors(&out).is_empty(), "{out:?}");

    c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer_again()), now);
    let out = drain(&mut c);
    assert!(
        matches!(media(&out)[..], [MediaCommand::Answer { sid, .. }, ..] if sid == "9m2x4c7v1b3n5"),
        "{:?}",
        media(&out)
    );
    assert!(
        tracks(&out).is_empty(),
        "the same sources came back: {out:?}"
    );
    // The restart is over: nothing is given up later.
    c.handle_timeout(now + Duration::from_secs(25));
    assert!(errors(&drain(&mut c)).is_empty());
}

#[test]
fn a_restart_beyond_the_focus_rate_limit_waits_until_the_limit_allows_it() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    bridge_failed(&mut c, now);
    c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer_again()), now);
    drain(&mut c);

    // Again within Jicofo's 5 s minimum interval (6 s with our margin): it would end the session
    // without a new one.
    let soon = now + Duration::from_secs(2);
    c.handle_media(
        MediaInput::Failed {
            sid: "9m2x4c7v1b3n5".into(),
            reason: "ICE/DTLS connection failed".into(),
        },
        soon,
    );
    let out = drain(&mut c);
    assert!(!restart_requested(&out), "{out:?}");
    assert!(
        errors(&out).is_empty() && tracks(&out).is_empty(),
        "{out:?}"
    );
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(6)));

    c.handle_timeout(now + Duration::from_secs(6));
    let out = drain(&mut c);
    let (_, terminate) = jingle_sent(&out)
        .into_iter()
        .find(|(_, j)| j.action == Action::SessionTerminate)
        .expect("the request, once allowed");
    assert_eq!(terminate.sid, "9m2x4c7v1b3n5");
    assert!(terminate.bridge_session.is_some_and(|b| b.restart));
    assert!(
        errors(&out).is_empty() && tracks(&out).is_empty(),
        "{out:?}"
    );
}

#[test]
fn at_most_five_restarts_a_minute_go_out() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let mut at = now;
    for n in 0..5 {
        let out = bridge_failed(&mut c, at);
        assert!(restart_requested(&out), "restart {n} at once");
        c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer()), at);
        drain(&mut c);
        at += Duration::from_secs(6);
    }
    // The sixth within the minute waits until the first leaves it (with a second to spare).
    assert!(!restart_requested(&bridge_failed(&mut c, at)));
    c.handle_timeout(now + Duration::from_secs(60));
    assert!(!restart_requested(&drain(&mut c)));
    c.handle_timeout(now + Duration::from_secs(61));
    assert!(restart_requested(&drain(&mut c)));
}

/// Asks for a new bridge session after the bridge connection failed, and has the focus refuse
/// it (Jicofo ended the session anyway, beyond its rate limit: no offer will come).
fn restart_refused(c: &mut Conference, now: Instant) -> Vec<Output> {
    let out = bridge_failed(c, now);
    let (id, _) = jingle_sent(&out)
        .into_iter()
        .zip(
            super::tests::sent(&out)
                .into_iter()
                .filter(|iq| iq.children().any(|c| c.name() == "jingle")),
        )
        .find(|((_, j), _)| j.action == Action::SessionTerminate)
        .map(|((_, j), iq)| (iq.get_attr("id").unwrap().to_string(), j))
        .expect("the restart request");
    c.handle_stanza(
        &super::ice_restart_tests::refusal(&id, "resource-constraint"),
        now,
    );
    drain(c)
}

/// We left the room on purpose, and the room says so; then the focus is asked again, and the
/// room has us back (the others were announced before, as a MUC does).
fn back_in_the_room(c: &mut Conference, left: &[Output], now: Instant) -> Vec<Output> {
    let leave = super::tests::sent(left)
        .into_iter()
        .find(|p| p.name() == "presence")
        .expect("we leave the room");
    assert_eq!(leave.get_attr("type"), Some("unavailable"));
    assert_eq!(leave.get_attr("to"), Some(&format!("{ROOM}/me000001")[..]));
    c.handle_stanza(
        &super::tests::el(&format!(
            "<presence xmlns='jabber:client' type='unavailable' from='{ROOM}/me000001'>\
             <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x></presence>"
        )),
        now,
    );
    let out = drain(c);
    let request = super::tests::sent(&out)
        .into_iter()
        .find(|iq| iq.get_child("conference", crate::xmpp::ns::FOCUS).is_some())
        .expect("the conference request again");
    let id = request.get_attr("id").unwrap().to_string();
    c.handle_stanza(
        &super::tests::el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{id}' from='focus.meet.test'>\
             <conference xmlns='http://jitsi.org/protocol/focus' ready='true'/></iq>"
        )),
        now,
    );
    let mut all = out;
    all.extend(drain(c));
    for nick in ["a8f7g30b", "c3d4e5f6", "e5f6a7b8"] {
        c.handle_stanza(&member(nick), now);
    }
    focus_arrives(c, now);
    c.handle_stanza(
        &occupant(
            "me000001",
            "",
            "<item jid='me@meet.test/r' role='participant' affiliation='none'/><status code='110'/>",
        ),
        now,
    );
    all.extend(drain(c));
    all
}

/// jitsi-meet reloads when bridge media cannot come back; we leave the room and join it again
/// on the same connection, so the focus invites us afresh, and the app hears `reconnecting`
/// then `connected`, nobody leaving or joining. Once a minute at most: a second refusal right
/// after fails bridge media.
#[test]
fn a_refused_restart_request_joins_the_room_again_then_fails_media_within_a_minute() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let out = restart_refused(&mut c, now);
    assert!(errors(&out).is_empty(), "{out:?}");
    assert!(
        events(&out).contains(&&ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Reconnecting
        })
    );

    let out = back_in_the_room(&mut c, &out, now);
    let seen: Vec<&ConferenceEvent> = events(&out)
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                ConferenceEvent::ParticipantJoined { .. }
                    | ConferenceEvent::ParticipantLeft { .. }
                    | ConferenceEvent::Error { .. }
            )
        })
        .collect();
    assert!(seen.is_empty(), "{seen:?}");
    assert!(
        events(&out).contains(&&ConferenceEvent::ConnectionStateChanged {
            state: ConnectionState::Connected
        })
    );

    accepted(&mut c, now);
    let out = restart_refused(&mut c, now + Duration::from_secs(10));
    assert_eq!(errors(&out), vec!["media_failed".to_string()]);
    assert_eq!(tracks(&out).len(), 3, "{out:?}");
}

#[test]
fn without_a_new_offer_the_room_is_joined_again() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    bridge_failed(&mut c, now);

    let deadline = c.poll_timeout().expect("a deadline for the restart");
    assert!(deadline <= now + Duration::from_secs(20));
    c.handle_timeout(now + Duration::from_secs(19));
    let out = drain(&mut c);
    assert!(errors(&out).is_empty(), "still waiting for the offer");
    assert!(!super::tests::sent(&out)
        .iter()
        .any(|p| p.name() == "presence"));
    c.handle_timeout(now + Duration::from_secs(20));
    let out = drain(&mut c);
    assert!(errors(&out).is_empty());
    back_in_the_room(&mut c, &out, now + Duration::from_secs(20));
}

pub(super) fn bridge_connection(
    c: &mut Conference,
    interrupted: bool,
    now: Instant,
) -> Vec<Output> {
    connection(c, SID, interrupted, now)
}

/// The engine reporting that media session `sid` hears nothing (or hears the other side again).
pub(super) fn connection(
    c: &mut Conference,
    sid: &str,
    interrupted: bool,
    now: Instant,
) -> Vec<Output> {
    c.handle_media(
        MediaInput::Connection {
            sid: sid.into(),
            interrupted,
        },
        now,
    );
    drain(c)
}

pub(super) fn media_connection(outputs: &[Output]) -> Vec<bool> {
    events(outputs)
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::MediaConnectionChanged { interrupted } => Some(*interrupted),
            _ => None,
        })
        .collect()
}

pub(super) fn restart_requested(outputs: &[Output]) -> bool {
    jingle_sent(outputs).iter().any(|(_, j)| {
        j.action == Action::SessionTerminate && j.bridge_session.as_ref().is_some_and(|b| b.restart)
    })
}

#[test]
fn the_app_hears_when_the_bridge_connection_is_interrupted_and_back() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    assert!(media_connection(&bridge_connection(&mut c, false, now)).is_empty());

    let out = bridge_connection(&mut c, true, now);
    assert_eq!(media_connection(&out), [true]);
    assert!(
        !restart_requested(&out),
        "restarted in place first: the old pair may still come back"
    );
    assert_eq!(
        media_connection(&bridge_connection(&mut c, false, now)),
        [false]
    );
}

/// Two in the room, the bridge session accepted, and the peer's P2P offer taken.
fn on_p2p_beside_the_bridge(now: Instant) -> (Conference, String) {
    let (mut c, _) = joined_with(&["a8f7g30b"], now);
    focus_arrives(&mut c, now);
    accepted(&mut c, now);
    let peer = format!("{ROOM}/a8f7g30b");
    c.handle_stanza(&jingle_iq(&peer, "p1", &lib_jitsi_meet_offer()), now);
    drain(&mut c);
    (c, peer)
}

/// lib-jitsi-meet's `_stopP2PSession` after P2P ICE failed: the session ends with
/// `connectivity-error` and media carries on through the bridge, which is not a media failure.
#[test]
fn a_failed_p2p_connection_ends_p2p_and_media_stays_on_the_bridge() {
    let now = Instant::now();
    let (mut c, peer) = on_p2p_beside_the_bridge(now);

    c.handle_media(
        MediaInput::Failed {
            sid: "p2p8s2k1bq5".into(),
            reason: "ICE/DTLS connection failed".into(),
        },
        now,
    );
    let out = drain(&mut c);
    let (to, terminate) = jingle_sent(&out)
        .into_iter()
        .find(|(_, j)| j.action == Action::SessionTerminate)
        .expect("a session-terminate to the peer");
    assert_eq!(to, peer);
    assert_eq!(
        terminate.reason.map(|r| r.condition),
        Some("connectivity-error".to_string())
    );
    assert!(errors(&out).is_empty(), "{out:?}");
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ConferenceEvent::P2pStatusChanged { active: false })));
    assert!(!restart_requested(&out), "the bridge session is fine");
}

/// ICE connected but the bridge's certificate is not the one its offer names: the app is told,
/// and since an ICE restart would keep the failed DTLS association, a new session is asked for
/// at once instead of one.
#[test]
fn a_failed_dtls_handshake_with_the_bridge_is_reported_and_asks_for_a_new_session() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    c.handle_media(MediaInput::HandshakeFailed { sid: SID.into() }, now);
    let out = drain(&mut c);
    assert_eq!(errors(&out), ["dtls_failed"]);
    assert!(restart_requested(&out), "{out:?}");
    assert!(super::ice_restart_tests::ice_restart_request(&out).is_none());
}

/// The media engine's report on the session `on_p2p_beside_the_bridge` took.
fn p2p_handshake_failed() -> MediaInput {
    MediaInput::HandshakeFailed {
        sid: "p2p8s2k1bq5".into(),
    }
}

/// The same with a P2P peer: P2P ends and media stays on the bridge.
#[test]
fn a_failed_dtls_handshake_with_a_p2p_peer_is_reported_and_ends_p2p() {
    let now = Instant::now();
    let (mut c, peer) = on_p2p_beside_the_bridge(now);

    c.handle_media(p2p_handshake_failed(), now);
    let out = drain(&mut c);
    assert_eq!(errors(&out), ["dtls_failed"]);
    assert!(jingle_sent(&out).iter().any(|(to, j)| *to == peer
        && j.action == Action::SessionTerminate
        && j.reason
            .as_ref()
            .is_some_and(|r| r.condition == "security-error")));
    assert!(!restart_requested(&out), "the bridge session is fine");
}

/// The peer's handshake gave up first and said so: we are told as it was, once, even when our
/// own watchdog fires afterwards for the session already gone.
#[test]
fn a_peer_ending_p2p_for_a_failed_dtls_handshake_is_reported_once() {
    let now = Instant::now();
    let (mut c, peer) = on_p2p_beside_the_bridge(now);

    let terminate = "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' \
                     sid='p2p8s2k1bq5'><reason><security-error/>\
                     <text>the DTLS handshake failed</text></reason></jingle>";
    c.handle_stanza(&jingle_iq(&peer, "p2", terminate), now);
    c.handle_media(p2p_handshake_failed(), now);
    let out = drain(&mut c);
    assert_eq!(errors(&out), ["dtls_failed"]);
    assert!(events(&out)
        .iter()
        .any(|e| matches!(e, ConferenceEvent::P2pStatusChanged { active: false })));
    assert!(!restart_requested(&out), "the bridge session is fine");
}

/// Jicofo moving everyone off a bridge that went away (`reInviteParticipants`, `RestartJingle`).
fn moving_terminate(sid: &str) -> String {
    format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='{sid}'>\
         <reason><success/><text>moving</text></reason></jingle>"
    )
}

#[test]
fn a_move_to_another_bridge_keeps_the_tracks_and_sends_under_new_ssrcs() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    c.handle_stanza(&jingle_iq(FOCUS, "m1", &moving_terminate(SID)), now);
    let out = drain(&mut c);
    assert_eq!(super::tests::sent(&out)[0].get_attr("type"), Some("result"));
    assert!(media(&out).contains(&&MediaCommand::Close { sid: SID.into() }));
    assert!(
        media(&out)
            .iter()
            .any(|m| matches!(m, MediaCommand::SetLocalIdentity { track_suffix, .. } if track_suffix == "-r1")),
        "{:?}",
        media(&out)
    );
    assert!(tracks(&out).is_empty(), "tracks stay while moving: {out:?}");
    assert!(jingle_sent(&out).is_empty(), "nothing asked of the focus");

    c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer_again()), now);
    let out = drain(&mut c);
    assert!(
        tracks(&out).is_empty(),
        "the same sources on the new bridge: {out:?}"
    );
    c.handle_timeout(now + Duration::from_secs(25));
    assert!(errors(&drain(&mut c)).is_empty());
}

#[test]
fn a_plain_session_terminate_from_the_focus_ends_the_tracks_and_a_move_without_offer_rejoins() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let ended = jicofo_offer()
        .replace("session-initiate", "session-terminate")
        .split("<content")
        .next()
        .unwrap()
        .to_string()
        + "</jingle>";
    c.handle_stanza(&jingle_iq(FOCUS, "e1", &ended), now);
    let out = drain(&mut c);
    assert_eq!(tracks(&out).len(), 3, "{out:?}");
    assert!(errors(&out).is_empty());

    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    c.handle_stanza(&jingle_iq(FOCUS, "m1", &moving_terminate(SID)), now);
    drain(&mut c);
    c.handle_timeout(now + Duration::from_secs(20));
    let out = drain(&mut c);
    back_in_the_room(&mut c, &out, now + Duration::from_secs(20));
}

/// Jicofo's `transport-replace` (`reinvite-method = ReplaceTransport`): the same session and
/// sources, another bridge's transport.
fn jicofo_transport_replace() -> String {
    jicofo_offer().replace("session-initiate", "transport-replace")
}

#[test]
fn a_transport_replace_moves_media_to_a_new_connection_with_the_same_ssrcs_and_tracks() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    bridge_connection(&mut c, false, now);

    c.handle_stanza(&jingle_iq(FOCUS, "r1", &jicofo_transport_replace()), now);
    let out = drain(&mut c);
    assert_eq!(super::tests::sent(&out)[0].get_attr("type"), Some("result"));
    let commands = media(&out);
    assert_eq!(commands[0], &MediaCommand::Close { sid: SID.into() });
    let new_id = match commands[1] {
        MediaCommand::Answer { sid, peer, .. } if sid != SID && *peer == Peer::Bridge => {
            sid.clone()
        }
        other => panic!("expected an answer on a new connection, got {other:?}"),
    };
    assert!(
        !commands
            .iter()
            .any(|m| matches!(m, MediaCommand::SetLocalIdentity { .. })),
        "our SSRCs stay: {commands:?}"
    );
    assert!(tracks(&out).is_empty(), "nobody's tracks change: {out:?}");
    assert!(events(&out).iter().any(|e| matches!(
        e,
        ConferenceEvent::MediaConnectionChanged { interrupted: true }
    )));
    assert!(bridge_commands(&out)
        .iter()
        .any(|b| matches!(b, BridgeCommand::Open { .. })));

    c.handle_media(
        MediaInput::LocalDescription {
            sid: new_id.clone(),
            sdp: our_bridge_answer(),
        },
        now,
    );
    let out = drain(&mut c);
    let [(to, accept)] = &jingle_sent(&out)[..] else {
        panic!("expected one transport-accept, got {out:?}");
    };
    assert_eq!(to, FOCUS);
    assert_eq!(
        (accept.action, accept.sid.as_str()),
        (Action::TransportAccept, SID)
    );
    assert!(!accept.contents.is_empty());
    for content in &accept.contents {
        assert!(content.description.is_none(), "no sources named again");
        let transport = content.transport.as_ref().expect("our transport");
        assert!(transport.ufrag.is_some() && !transport.fingerprints.is_empty());
    }

    // The old connection's last words are not the new one's.
    assert!(events(&bridge_connection(&mut c, false, now)).is_empty());
    assert!(events(&connection(&mut c, &new_id, false, now))
        .iter()
        .any(|e| matches!(
            e,
            ConferenceEvent::MediaConnectionChanged { interrupted: false }
        )));
}

#[test]
fn a_transport_replace_for_another_session_or_from_another_occupant_is_refused() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let other = jicofo_transport_replace().replace(SID, "9m2x4c7v1b3n5");
    c.handle_stanza(&jingle_iq(FOCUS, "r1", &other), now);
    let out = drain(&mut c);
    assert!(super::tests::sent(&out)[0]
        .to_xml()
        .contains("item-not-found"));
    assert!(media(&out).is_empty());

    let intruder = format!("{ROOM}/c3d4e5f6");
    c.handle_stanza(
        &jingle_iq(&intruder, "r2", &jicofo_transport_replace()),
        now,
    );
    let out = drain(&mut c);
    assert!(media(&out).is_empty(), "{out:?}");
}

/// A P2P path that hears nothing for 5 s hands media to the bridge session until it is back,
/// rather than until ICE declares it failed; the app hears of no interruption meanwhile, since
/// the bridge carries the call.
#[test]
fn an_interrupted_p2p_path_hands_media_to_the_bridge_until_it_is_back() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["zed00003"], now);
    let [MediaCommand::SuspendP2p(true), MediaCommand::Offer { sid: p2p, .. }] = media(&out)[..]
    else {
        panic!("expected a P2P offer: {:?}", media(&out));
    };
    let p2p = p2p.clone();
    focus_arrives(&mut c, now);
    accepted(&mut c, now);
    bridge_connection(&mut c, false, now);
    let p2p_path = |c: &mut Conference, interrupted| connection(c, &p2p, interrupted, now);

    // Media moves to P2P once it connects, as lib-jitsi-meet moves it on ICE connected.
    let out = p2p_path(&mut c, false);
    assert_eq!(media(&out), [&MediaCommand::SuspendP2p(false)]);
    let out = p2p_path(&mut c, true);
    assert!(media(&out).contains(&&MediaCommand::SuspendP2p(true)));
    assert!(
        events(&out).is_empty(),
        "the bridge carries the call: {out:?}"
    );
    let out = p2p_path(&mut c, true);
    assert!(media(&out).is_empty(), "once");
    let out = p2p_path(&mut c, false);
    assert!(media(&out).contains(&&MediaCommand::SuspendP2p(false)));
    assert!(c.p2p.is_some());
}
