use super::*;
use crate::xml::parse;

const ROOM: &str = "standup@conference.meet.test";
const ME: &str = "me000001";

pub(super) fn config() -> ConferenceConfig {
    ConferenceConfig {
        room: Jid::parse(ROOM).unwrap(),
        room_name: "standup".into(),
        focus: "focus.meet.test".into(),
        domain: "meet.test".into(),
        presence: LocalPresence {
            endpoint_id: EndpointId::new(ME),
            display_name: Some("Me".into()),
            email: None,
            avatar_url: None,
            stats_id: "Me-1".into(),
            audio_muted: false,
            video_muted: false,
            audio_only: false,
            hand_raised_at: None,
            hand_ever_raised: false,
            screen_sharing: false,
        },
        password: None,
        subject: Some("Daily".into()),
        request: ConferenceRequest {
            room: Jid::parse(ROOM).unwrap(),
            machine_uid: "m".into(),
            token: None,
            start_audio_muted: false,
            start_video_muted: false,
        },
        timeouts: Timeouts::default(),
        local_ssrcs: LocalSsrcs {
            audio: 1111,
            video: 2222,
            screen: 3333,
        },
        p2p: P2pPolicy::default(),
    }
}

pub(super) fn el(s: &str) -> Element {
    parse(s, &Default::default()).unwrap()
}

pub(super) fn drain(c: &mut Conference) -> Vec<Output> {
    std::iter::from_fn(|| c.poll_output()).collect()
}

pub(super) fn sent(outputs: &[Output]) -> Vec<&Element> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Send(e) => Some(e),
            _ => None,
        })
        .collect()
}

pub(super) fn events(outputs: &[Output]) -> Vec<&ConferenceEvent> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn focus_result(id: &str, ready: bool) -> Element {
    el(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='focus.meet.test'>\
         <conference xmlns='http://jitsi.org/protocol/focus' ready='{ready}' focusjid='focus@auth.meet.test'/></iq>"
    ))
}

pub(super) fn occupant(nick: &str, extra: &str, item: &str) -> Element {
    el(&format!(
        "<presence xmlns='jabber:client' from='{ROOM}/{nick}'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>{item}</x>{extra}</presence>"
    ))
}

/// Drives a conference through the focus request and the room join.
fn joined(now: Instant) -> (Conference, Vec<Output>) {
    let mut c = Conference::new(config(), now);
    let out = drain(&mut c);
    let id = sent(&out)[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_result(&id, true), now);
    drain(&mut c);
    c.handle_stanza(
        &occupant(
            "focus",
            "",
            "<item jid='focus@auth.meet.test/focus' role='moderator' affiliation='owner'/>",
        ),
        now,
    );
    c.handle_stanza(
        &occupant(
            "bob00002",
            "<nick xmlns='http://jabber.org/protocol/nick'>Bob</nick><email>bob@example.org</email>",
            "<item jid='b@meet.test/r' role='participant' affiliation='none'/>",
        ),
        now,
    );
    c.handle_stanza(
        &occupant(
            ME,
            "",
            "<item jid='me@meet.test/r' role='participant' affiliation='none'/><status code='110'/>",
        ),
        now,
    );
    let out = drain(&mut c);
    (c, out)
}

#[test]
fn join_sends_the_focus_request_then_the_room_presence() {
    let now = Instant::now();
    let mut c = Conference::new(config(), now);
    let out = drain(&mut c);
    let request = sent(&out)[0];
    assert_eq!(request.get_attr("to"), Some("focus.meet.test"));
    assert!(request.get_child("conference", ns::FOCUS).is_some());

    let id = request.get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_result(&id, true), now);
    let out = drain(&mut c);
    let join = sent(&out)[0];
    assert_eq!(join.get_attr("to"), Some(&*format!("{ROOM}/{ME}")));
    assert!(join.get_child("x", ns::MUC).is_some());
}

#[test]
fn joined_comes_before_the_participants_already_there_and_the_focus_is_hidden() {
    let (c, out) = joined(Instant::now());
    let names: Vec<&str> = events(&out).iter().map(|e| e.name()).collect();
    assert_eq!(names, vec!["conference_joined", "participant_joined"]);
    assert!(out.contains(&Output::Joined));
    let ConferenceEvent::ParticipantJoined { participant } = events(&out)[1] else {
        panic!()
    };
    assert_eq!(participant.display_name.as_deref(), Some("Bob"));
    assert_eq!(participant.email.as_deref(), Some("bob@example.org"));
    assert_eq!(c.participants().len(), 1);
}

#[test]
fn not_ready_focus_is_asked_again_with_backoff_until_the_deadline() {
    let t0 = Instant::now();
    let mut c = Conference::new(config(), t0);
    let id = sent(&drain(&mut c))[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_result(&id, false), t0);
    assert!(drain(&mut c).is_empty());
    assert_eq!(c.poll_timeout(), Some(t0 + Duration::from_secs(1)));
    c.handle_timeout(t0 + Duration::from_secs(1));
    let retry = drain(&mut c);
    assert!(sent(&retry)[0].get_child("conference", ns::FOCUS).is_some());

    c.handle_timeout(t0 + Timeouts::default().focus);
    let out = drain(&mut c);
    assert!(out.contains(&Output::Ended {
        reason: TerminationReason::JoinFailed,
        error: Some(Error::FocusTimeout)
    }));
}

#[test]
fn room_join_errors_end_the_join_with_typed_errors() {
    let cases = [
        ("not-authorized", Error::PasswordRequired),
        ("conflict", Error::NicknameConflict),
        ("service-unavailable", Error::RoomFull),
        (
            "registration-required",
            Error::LobbyRequired { lobby_room: None },
        ),
        (
            "not-allowed",
            Error::NotAuthorized("the token does not allow this room".into()),
        ),
    ];
    for (condition, expected) in cases {
        let now = Instant::now();
        let mut c = Conference::new(config(), now);
        let id = sent(&drain(&mut c))[0].get_attr("id").unwrap().to_string();
        c.handle_stanza(&focus_result(&id, true), now);
        drain(&mut c);
        c.handle_stanza(
            &el(&format!(
                "<presence xmlns='jabber:client' from='{ROOM}/{ME}' type='error'><error type='auth'>\
                 <{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></presence>"
            )),
            now,
        );
        let out = drain(&mut c);
        assert!(
            out.contains(&Output::Ended {
                reason: TerminationReason::JoinFailed,
                error: Some(expected.clone())
            }),
            "{condition}: {out:?}"
        );
        let terminated = events(&out)
            .into_iter()
            .find(|e| e.name() == "conference_terminated");
        assert!(terminated.is_some());
    }
}

#[test]
fn a_presence_flood_while_we_join_is_held_as_one_change_per_participant() {
    let now = Instant::now();
    let mut c = Conference::new(config(), now);
    let id = sent(&drain(&mut c))[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_result(&id, true), now);
    drain(&mut c);
    let item = "<item jid='b@meet.test/r' role='participant' affiliation='none'/>";
    for i in 0..1000 {
        let muted = if i % 2 == 0 { "false" } else { "true" };
        let mute =
            format!("<audiomuted xmlns='http://jitsi.org/jitmeet/audio'>{muted}</audiomuted>");
        c.handle_stanza(&occupant("bob00002", &mute, item), now);
        c.handle_stanza(&occupant("cat00003", "", item), now);
        c.handle_stanza(
            &el(&format!(
                "<presence xmlns='jabber:client' from='{ROOM}/cat00003' type='unavailable'/>"
            )),
            now,
        );
    }
    assert_eq!(c.early.len(), 1);
    c.handle_stanza(
        &occupant(
            ME,
            "<status code='110'/>",
            "<item role='participant' affiliation='none'/>",
        ),
        now,
    );
    let out = drain(&mut c);
    let names: Vec<&str> = events(&out).iter().map(|e| e.name()).collect();
    assert_eq!(names, ["conference_joined", "participant_joined"]);
    let ConferenceEvent::ParticipantJoined { participant } = events(&out)[1] else {
        panic!()
    };
    assert!(participant.audio_muted, "the last state is the one told");
}

/// The driver keeps the app's participant list by folding the roster events into it; after
/// every stanza that must be the roster itself.
#[test]
fn the_roster_events_fold_into_the_participant_list() {
    use crate::conference::driver::follow_roster;
    let now = Instant::now();
    let mut c = Conference::new(config(), now);
    let id = sent(&drain(&mut c))[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_result(&id, true), now);
    let item = "<item jid='x@meet.test/r' role='participant' affiliation='none'/>";
    let gone = |nick: &str| {
        el(&format!(
            "<presence xmlns='jabber:client' from='{ROOM}/{nick}' type='unavailable'/>"
        ))
    };
    let nick = |i: usize| format!("p{:03}", (i * 37) % 101);
    let mut list = Vec::new();
    let mut stanzas: Vec<Element> = (0..20).map(|i| occupant(&nick(i), "", item)).collect();
    stanzas.push(gone(&nick(3)));
    stanzas.push(occupant(
        ME,
        "<status code='110'/>",
        "<item role='participant' affiliation='none'/>",
    ));
    for i in 0..200 {
        stanzas.push(match i % 3 {
            0 => occupant(
                &nick(i),
                "<nick xmlns='http://jabber.org/protocol/nick'>N</nick>",
                item,
            ),
            1 => gone(&nick(i / 2)),
            _ => occupant(&nick(i + 7), "", item),
        });
    }
    for stanza in stanzas {
        c.handle_stanza(&stanza, now);
        for out in drain(&mut c) {
            if let Output::Event(event) = out {
                follow_roster(&mut list, &event);
            }
        }
        if c.ever_joined {
            assert_eq!(list, c.participants());
        }
    }
    assert!(!list.is_empty());
}

#[test]
fn a_chat_flood_with_long_ids_leaves_a_fixed_window_of_remembered_messages() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    let message = |i: usize| {
        let id = format!("{i:08}{}", "x".repeat(8 * 1024));
        el(&format!(
            "<message xmlns='jabber:client' type='groupchat' id='{id}' from='{ROOM}/bob00002'>\
             <body>m{i}</body></message>"
        ))
    };
    let flood = SEEN_MESSAGES + 10;
    for i in 0..flood {
        c.handle_stanza(&message(i), now);
    }
    drain(&mut c);
    assert_eq!(c.seen.len(), SEEN_MESSAGES);
    c.handle_stanza(&message(flood - 1), now);
    assert!(drain(&mut c).is_empty(), "the latest message came twice");
    c.handle_stanza(&message(0), now);
    assert_eq!(events(&drain(&mut c)).len(), 1, "the oldest is forgotten");
}

#[test]
fn chat_goes_out_and_comes_in_with_the_senders_name() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_command(
        1,
        Command::SendChat {
            text: "hi all".into(),
            to: None,
        },
        now,
    );
    c.handle_command(
        2,
        Command::SendChat {
            text: "hi bob".into(),
            to: Some(EndpointId::new("bob00002")),
        },
        now,
    );
    c.handle_command(
        3,
        Command::SendChat {
            text: "x".into(),
            to: Some(EndpointId::new("nobody00")),
        },
        now,
    );
    let out = drain(&mut c);
    let msgs = sent(&out);
    assert_eq!(msgs[0].get_attr("type"), Some("groupchat"));
    assert_eq!(msgs[1].get_attr("to"), Some(&*format!("{ROOM}/bob00002")));
    assert!(out.contains(&Output::Reply(1, Ok(()))));
    assert!(matches!(
        &out[..],
        [.., Output::Reply(3, Err(Error::InvalidArgument(_)))]
    ));

    c.handle_stanza(
        &el(&format!(
            "<message xmlns='jabber:client' type='chat' from='{ROOM}/bob00002'><body>psst</body></message>"
        )),
        now,
    );
    let out = drain(&mut c);
    let ConferenceEvent::ChatMessageReceived { message } = events(&out)[0] else {
        panic!("{out:?}")
    };
    assert_eq!(message.from_name.as_deref(), Some("Bob"));
    assert!(message.private);
}

#[test]
fn mute_and_hand_update_presence_and_emit_once() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_command(1, Command::SetAudioMuted(true), now);
    c.handle_command(2, Command::SetAudioMuted(true), now);
    c.handle_command(3, Command::SetHandRaised(true), now);
    let out = drain(&mut c);
    let presences = sent(&out);
    assert_eq!(presences.len(), 2, "repeated mute sends nothing");
    assert!(presences[0]
        .to_xml()
        .contains("<audiomuted xmlns=\"http://jitsi.org/jitmeet/audio\">true"));
    assert!(presences[1]
        .get_child("jitsi_participant_raisedHand", ns::CLIENT)
        .is_some());
    let names: Vec<_> = events(&out).iter().map(|e| e.name()).collect();
    assert_eq!(names, vec!["audio_muted_changed", "hand_raised_changed"]);
}

#[test]
fn moderator_actions_need_the_role_and_the_rooms_answer() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_command(1, Command::SetPassword(Some("pw".into())), now);
    assert_eq!(
        drain(&mut c),
        vec![Output::Reply(1, Err(Error::NotModerator))]
    );

    c.handle_stanza(
        &occupant(
            ME,
            "",
            "<item jid='me@meet.test/r' role='moderator' affiliation='owner'/><status code='110'/>",
        ),
        now,
    );
    let out = drain(&mut c);
    assert!(events(&out).contains(&&ConferenceEvent::RoleChanged {
        role: Role::Moderator
    }));
    assert!(sent(&out)
        .iter()
        .any(|s| s.child_text("subject", ns::CLIENT).as_deref() == Some("Daily")));

    c.handle_command(2, Command::SetPassword(Some("pw".into())), now);
    let out = drain(&mut c);
    let request = sent(&out)[0];
    assert!(
        out.iter().all(|o| !matches!(o, Output::Reply(..))),
        "replied before the room answered"
    );
    let id = request.get_attr("id").unwrap();
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{id}' from='{ROOM}'/>"
        )),
        now,
    );
    assert_eq!(drain(&mut c), vec![Output::Reply(2, Ok(()))]);
}

#[test]
fn leaving_waits_for_the_room_then_ends_as_hung_up() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_command(9, Command::Leave, now);
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("unavailable"));
    c.handle_stanza(
        &el(&format!(
            "<presence xmlns='jabber:client' type='unavailable' from='{ROOM}/{ME}'>\
             <x xmlns='http://jabber.org/protocol/muc#user'><status code='110'/></x></presence>"
        )),
        now,
    );
    let out = drain(&mut c);
    assert!(
        events(&out).contains(&&ConferenceEvent::ConferenceTerminated {
            reason: TerminationReason::HungUp,
            error: None,
            message: None
        })
    );
    assert!(out.contains(&Output::Reply(9, Ok(()))));
    c.handle_command(10, Command::SetAudioMuted(true), now);
    assert_eq!(
        drain(&mut c),
        vec![Output::Reply(10, Err(Error::MeetingEnded))]
    );
}

#[test]
fn being_kicked_ends_the_meeting() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_stanza(
        &el(&format!(
            "<presence xmlns='jabber:client' type='unavailable' from='{ROOM}/{ME}'>\
             <x xmlns='http://jabber.org/protocol/muc#user'><item role='none'/><status code='307'/><status code='110'/></x></presence>"
        )),
        now,
    );
    let out = drain(&mut c);
    assert!(matches!(
        out.last(),
        Some(Output::Ended {
            reason: TerminationReason::Kicked,
            ..
        })
    ));
}

#[test]
fn answers_disco_and_pings_and_refuses_unknown_requests() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_stanza(&el(&format!("<iq xmlns='jabber:client' type='get' id='d1' from='{ROOM}/focus'>\
        <query xmlns='http://jabber.org/protocol/disco#info' node='https://jitsi.org/jitsi-meet#x'/></iq>")), now);
    c.handle_stanza(&el("<iq xmlns='jabber:client' type='get' id='p1' from='meet.test'><ping xmlns='urn:xmpp:ping'/></iq>"), now);
    c.handle_stanza(&el("<iq xmlns='jabber:client' type='set' id='j1' from='x@y/z'><jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/></iq>"), now);
    let out = drain(&mut c);
    let replies = sent(&out);
    assert_eq!(replies[0].get_attr("type"), Some("result"));
    assert!(replies[0]
        .to_xml()
        .contains("node=\"https://jitsi.org/jitsi-meet#x\""));
    assert_eq!(replies[1].get_attr("id"), Some("p1"));
    assert!(replies[2].to_xml().contains("item-not-found"));
}

#[test]
fn a_silent_server_is_detected_by_pings_and_handed_to_reconnection() {
    let t0 = Instant::now();
    let (mut c, _) = joined(t0);
    let mut now = t0;
    let mut broken = false;
    for _ in 0..10 {
        let Some(next) = c.poll_timeout() else { break };
        now = next.max(now);
        c.handle_timeout(now);
        if drain(&mut c)
            .iter()
            .any(|o| matches!(o, Output::ConnectionBroken(_)))
        {
            broken = true;
            break;
        }
    }
    assert!(broken, "two unanswered pings break the link");
    assert!(!c.is_ended(), "the driver reconnects; the meeting goes on");
    // lib-jitsi-meet's keepalive: 10 s between pings, 5 s to answer, two misses.
    assert!(now - t0 <= Duration::from_secs(40), "{:?}", now - t0);
}

#[test]
fn forced_mute_only_from_the_focus() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    let mute = |from: &str| {
        el(&format!(
            "<iq xmlns='jabber:client' type='set' id='m' from='{from}'>\
        <mute xmlns='http://jitsi.org/jitmeet/audio' actor='{ROOM}/bob00002'>true</mute></iq>"
        ))
    };
    c.handle_stanza(&mute(&format!("{ROOM}/bob00002")), now);
    assert!(events(&drain(&mut c)).is_empty());
    c.handle_stanza(&mute(&format!("{ROOM}/focus")), now);
    assert_eq!(
        events(&drain(&mut c)),
        vec![&ConferenceEvent::AudioMutedChanged { muted: true }]
    );
}

#[test]
fn recording_goes_through_the_focus_and_only_the_focus_reports_it() {
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.handle_command(1, Command::StartRecording(RecordingRequest::File), now);
    assert_eq!(
        drain(&mut c),
        vec![Output::Reply(1, Err(Error::NotModerator))]
    );
    c.handle_stanza(
        &occupant(
            ME,
            "",
            "<item jid='me@meet.test/r' role='moderator' affiliation='owner'/><status code='110'/>",
        ),
        now,
    );
    drain(&mut c);

    c.handle_command(2, Command::StartRecording(RecordingRequest::File), now);
    let out = drain(&mut c);
    let request = sent(&out)[0];
    assert_eq!(request.get_attr("to"), Some(&*format!("{ROOM}/focus")));
    let id = request.get_attr("id").unwrap();
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='error' id='{id}' from='{ROOM}/focus'>\
             <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )),
        now,
    );
    assert!(matches!(
        drain(&mut c).as_slice(),
        [Output::Reply(2, Err(Error::RecordingUnavailable(_)))]
    ));

    let status = "<jibri-recording-status xmlns='http://jitsi.org/protocol/jibri' status='on' \
                  recording_mode='file' session_id='s1'/>";
    c.handle_stanza(
        &occupant(
            "bob00002",
            status,
            "<item jid='b@meet.test/r' role='participant' affiliation='none'/>",
        ),
        now,
    );
    let from_bob = drain(&mut c);
    assert!(!events(&from_bob)
        .iter()
        .any(|e| matches!(e, ConferenceEvent::RecordingStatusChanged { .. })));
    let focus_item =
        "<item jid='focus@auth.meet.test/focus' role='moderator' affiliation='owner'/>";
    c.handle_stanza(&occupant("focus", status, focus_item), now);
    let out = drain(&mut c);
    assert_eq!(
        events(&out),
        vec![&ConferenceEvent::RecordingStatusChanged {
            recording: RecordingState {
                status: crate::recording::RecordingStatus::On,
                mode: Some(RecordingMode::File),
                session_id: Some("s1".into()),
                initiator: None,
                error: None,
            }
        }]
    );
    c.handle_stanza(&occupant("focus", status, focus_item), now);
    assert!(
        events(&drain(&mut c)).is_empty(),
        "unchanged status repeated"
    );
}

#[test]
fn with_p2p_off_a_participants_offer_is_acknowledged_then_declined_as_lib_jitsi_meet_does() {
    // Found by interop: lib-jitsi-meet only clears a pending offer on a session-terminate; an IQ
    // error leaves it holding the session.
    let now = Instant::now();
    let (mut c, _) = joined(now);
    c.cfg.p2p.enabled = false;
    c.handle_stanza(&el(&format!("<iq xmlns='jabber:client' type='set' id='j2' from='{ROOM}/bob00002'>\
        <jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='{ROOM}/bob00002' sid='s9'/></iq>")), now);
    let out = drain(&mut c);
    let replies = sent(&out);
    assert_eq!(replies.len(), 2);
    assert_eq!(replies[0].get_attr("type"), Some("result"));
    assert_eq!(replies[0].get_attr("id"), Some("j2"));
    let terminate = replies[1].to_xml();
    assert!(
        terminate.contains("action=\"session-terminate\""),
        "{terminate}"
    );
    assert!(terminate.contains("sid=\"s9\""), "{terminate}");
    assert!(terminate.contains("<decline/>"), "{terminate}");
    assert!(terminate.contains("P2P disabled"), "{terminate}");
    assert!(!c.is_ended());
}

/// lib-jitsi-meet's `getStunAndTurnCredentials`: `extdisco:2` to the domain at login, then
/// `extdisco:1` when refused; what comes back is for P2P sessions, with the relay policy of
/// `p2p.iceTransportPolicy`.
#[test]
fn stun_and_turn_servers_are_asked_of_the_domain_and_given_to_p2p() {
    let now = Instant::now();
    let mut cfg = config();
    cfg.p2p.relay_only = true;
    let mut c = Conference::new(cfg, now);
    let out = drain(&mut c);
    let query = |out: &[Output], ns: &str| {
        sent(out)
            .into_iter()
            .find(|e| e.get_child("services", ns).is_some())
            .map(|e| {
                assert_eq!(e.get_attr("to"), Some("meet.test"));
                e.get_attr("id").unwrap().to_string()
            })
    };
    let v2 = query(&out, extdisco::V2).expect("extdisco:2 asked at once");
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='error' id='{v2}' from='meet.test'>\
             <error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )),
        now,
    );
    let out = drain(&mut c);
    let v1 = query(&out, extdisco::V1).expect("then extdisco:1");
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{v1}' from='meet.test'>\
             <services xmlns='urn:xmpp:extdisco:1'>\
             <service type='turn' host='127.0.0.1' port='3478' transport='udp' username='1765000000' password='pw'/>\
             </services></iq>"
        )),
        now,
    );
    let out = drain(&mut c);
    let set: Vec<&MediaCommand> = out
        .iter()
        .filter_map(|o| match o {
            Output::Media(m @ MediaCommand::SetP2pIce { .. }) => Some(m),
            _ => None,
        })
        .collect();
    let [MediaCommand::SetP2pIce {
        servers,
        relay_only: true,
    }] = &set[..]
    else {
        panic!("expected the servers for P2P, got {out:?}");
    };
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].url, "turn:127.0.0.1:3478");
    assert_eq!(servers[0].credential, "pw");
}
