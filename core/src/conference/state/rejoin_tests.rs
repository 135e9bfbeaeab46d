//! Reconnection as the state machine sees it: commands wait while the link is down, a rejoin
//! repeats the focus request and the join with the same presence, reports only real roster
//! changes, and sends each chat message exactly once.

use super::tests::{config, drain, el, events, occupant, sent};
use super::*;

const ROOM: &str = "standup@conference.meet.test";
const ME: &str = "me000001";

fn focus_ready(id: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='focus.meet.test'>\
         <conference xmlns='http://jitsi.org/protocol/focus' ready='true'/></iq>"
    ))
}

fn bob() -> Element {
    occupant(
        "bob00002",
        "<nick xmlns='http://jabber.org/protocol/nick'>Bob</nick>",
        "<item jid='b@meet.test/r' role='participant' affiliation='none'/>",
    )
}

fn cat() -> Element {
    occupant(
        "cat00003",
        "<nick xmlns='http://jabber.org/protocol/nick'>Cat</nick>",
        "<item jid='c@meet.test/r' role='participant' affiliation='none'/>",
    )
}

fn me() -> Element {
    occupant(
        ME,
        "",
        "<item jid='me@meet.test/r' role='moderator' affiliation='owner'/><status code='110'/>",
    )
}

/// Focus request answered, Bob and Cat present, then us.
fn join_room(c: &mut Conference, now: Instant, others: &[Element]) -> Vec<Output> {
    let out = drain(c);
    let request = sent(&out)
        .into_iter()
        .find(|e| e.get_child("conference", ns::FOCUS).is_some())
        .expect("a conference request")
        .clone();
    c.handle_stanza(&focus_ready(request.get_attr("id").unwrap()), now);
    let mut out = drain(c);
    for other in others {
        c.handle_stanza(other, now);
    }
    c.handle_stanza(&me(), now);
    out.extend(drain(c));
    out
}

fn in_call(now: Instant) -> Conference {
    let mut c = Conference::new(config(), now);
    join_room(&mut c, now, &[bob(), cat()]);
    drain(&mut c);
    c
}

fn names(out: &[Output]) -> Vec<&'static str> {
    events(out).iter().map(|e| e.name()).collect()
}

#[test]
fn commands_wait_while_the_link_is_down_and_run_once_after_resumption() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.suspend();
    c.handle_command(
        1,
        Command::SendChat {
            text: "during".into(),
            to: None,
        },
        now,
    );
    c.handle_command(2, Command::SetHandRaised(true), now);
    assert!(drain(&mut c).is_empty(), "nothing is sent on a dead link");
    c.resumed(now);
    let out = drain(&mut c);
    let bodies: Vec<String> = sent(&out)
        .iter()
        .filter(|e| e.name() == "message")
        .map(|e| e.child_text("body", ns::CLIENT).unwrap())
        .collect();
    assert_eq!(bodies, ["during"]);
    assert!(out.contains(&Output::Reply(1, Ok(()))));
    assert!(out.contains(&Output::Reply(2, Ok(()))));
    assert_eq!(names(&out), ["hand_raised_changed"]);
}

#[test]
fn a_rejoin_repeats_the_request_and_join_and_reports_only_real_changes() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.handle_command(1, Command::SetAudioMuted(true), now);
    drain(&mut c);
    c.suspend();
    c.handle_command(
        2,
        Command::SendChat {
            text: "queued".into(),
            to: None,
        },
        now,
    );
    // The old stream never had this one acknowledged, nor did the room reflect it.
    let unacked = el(&format!(
        "<message xmlns='jabber:client' to='{ROOM}' type='groupchat' id='{ME}-m9'><body>in flight</body></message>"
    ));
    c.rejoin(now, vec![unacked]);
    // Bob stayed, Cat left while we were away, Dan arrived.
    let dan = occupant(
        "dan00004",
        "<nick xmlns='http://jabber.org/protocol/nick'>Dan</nick>",
        "<item jid='d@meet.test/r' role='participant' affiliation='none'/>",
    );
    let out = join_room(&mut c, now, &[bob(), dan]);
    let join = sent(&out)
        .into_iter()
        .find(|e| e.name() == "presence")
        .expect("the join presence");
    assert_eq!(join.get_attr("to"), Some(&*format!("{ROOM}/{ME}")));
    let xml = join.to_xml();
    assert!(
        xml.contains("<audiomuted xmlns=\"http://jitsi.org/jitmeet/audio\">true</audiomuted>"),
        "{xml}"
    );
    assert_eq!(
        names(&out),
        [
            "connection_state_changed",
            "participant_joined",
            "participant_left"
        ]
    );
    assert!(out.contains(&Output::Rejoined));
    assert!(!out.contains(&Output::Joined), "the app joined once");
    let bodies: Vec<String> = sent(&out)
        .iter()
        .filter(|e| e.name() == "message")
        .filter_map(|e| e.child_text("body", ns::CLIENT))
        .collect();
    assert_eq!(bodies, ["in flight", "queued"]);
    assert!(out.contains(&Output::Reply(2, Ok(()))));
}

#[test]
fn a_message_the_room_reflected_is_not_sent_again_and_history_is_not_delivered_twice() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.handle_command(
        1,
        Command::SendChat {
            text: "hello".into(),
            to: None,
        },
        now,
    );
    let ours = sent(&drain(&mut c))[0].clone();
    let id = ours.get_attr("id").unwrap().to_string();
    c.handle_stanza(
        &el(&format!(
            "<message xmlns='jabber:client' from='{ROOM}/{ME}' type='groupchat' id='{id}'><body>hello</body></message>"
        )),
        now,
    );
    let from_bob = el(&format!(
        "<message xmlns='jabber:client' from='{ROOM}/bob00002' type='groupchat' id='b1'><body>hi</body></message>"
    ));
    c.handle_stanza(&from_bob, now);
    assert_eq!(names(&drain(&mut c)), ["chat_message_received"]);
    c.suspend();
    c.rejoin(now, vec![ours]);
    let out = join_room(&mut c, now, &[bob(), cat()]);
    assert!(sent(&out).iter().all(|e| e.name() != "message"));
    // The room replays its history after the join: Bob's message was delivered already.
    c.handle_stanza(&from_bob, now);
    assert!(drain(&mut c).is_empty());
}

#[test]
fn a_leave_while_reconnecting_ends_at_once_and_queued_commands_get_an_answer() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.suspend();
    c.handle_command(1, Command::SetVideoMuted(true), now);
    c.handle_command(2, Command::Leave, now);
    let out = drain(&mut c);
    assert!(sent(&out).is_empty());
    assert!(out.contains(&Output::Reply(1, Err(Error::MeetingEnded))));
    assert!(out.contains(&Output::Reply(2, Ok(()))));
    assert!(c.is_ended());
}

#[test]
fn giving_up_ends_with_connection_lost_and_fails_what_waited() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.suspend();
    c.handle_command(
        1,
        Command::SendChat {
            text: "lost".into(),
            to: None,
        },
        now,
    );
    c.connection_lost("no route");
    let out = drain(&mut c);
    assert!(matches!(
        out.iter().find(|o| matches!(o, Output::Reply(1, _))),
        Some(Output::Reply(1, Err(Error::ConnectionLost(_))))
    ));
    assert!(out.iter().any(|o| matches!(
        o,
        Output::Ended {
            reason: TerminationReason::ConnectionLost,
            ..
        }
    )));
}

#[test]
fn a_network_change_probes_with_a_short_timeout_and_an_unanswered_probe_breaks_the_link() {
    let t0 = Instant::now();
    let mut c = in_call(t0);
    c.handle_command(1, Command::NetworkChanged, t0);
    let out = drain(&mut c);
    let ping = sent(&out)[0];
    assert!(ping.get_child("ping", ns::PING).is_some());
    assert!(out.contains(&Output::Reply(1, Ok(()))));
    assert_eq!(c.poll_timeout(), Some(t0 + PROBE_TIMEOUT));
    c.handle_timeout(t0 + PROBE_TIMEOUT);
    assert!(matches!(drain(&mut c)[..], [Output::ConnectionBroken(_)]));
}

#[test]
fn a_connection_lost_before_the_first_join_rejoins_and_then_reports_the_join() {
    let now = Instant::now();
    let mut c = Conference::new(config(), now);
    drain(&mut c);
    c.suspend();
    c.rejoin(now, Vec::new());
    let out = join_room(&mut c, now, &[bob()]);
    assert_eq!(
        names(&out),
        [
            "connection_state_changed",
            "conference_joined",
            "participant_joined"
        ]
    );
    assert!(out.contains(&Output::Joined));
    assert!(out.contains(&Output::Rejoined));
}

#[test]
fn a_rejoin_unlocks_the_room_with_the_password_we_set() {
    let now = Instant::now();
    let mut c = in_call(now);
    c.handle_command(1, Command::SetPassword(Some("s3cret".into())), now);
    let out = drain(&mut c);
    let id = sent(&out)[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{id}' from='{ROOM}'/>"
        )),
        now,
    );
    assert_eq!(drain(&mut c), vec![Output::Reply(1, Ok(()))]);
    c.suspend();
    c.rejoin(now, Vec::new());
    let out = drain(&mut c);
    let request = sent(&out)[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(&focus_ready(&request), now);
    let join = drain(&mut c);
    let xml = sent(&join)[0].to_xml();
    assert!(xml.contains("<password>s3cret</password>"), "{xml}");
}

#[test]
fn a_rejoin_comes_back_with_new_ssrcs_and_msid_track_ids() {
    let now = Instant::now();
    let mut c = in_call(now);
    let before = config().local_ssrcs;
    c.suspend();
    c.rejoin(now, Vec::new());
    let out = drain(&mut c);
    let identity = out.iter().find_map(|o| match o {
        Output::Media(MediaCommand::SetLocalIdentity {
            ssrcs,
            track_suffix,
        }) => Some((*ssrcs, track_suffix.clone())),
        _ => None,
    });
    let (ssrcs, suffix) = identity.expect("the media engine learns the new identity");
    assert_ne!(ssrcs.audio, before.audio);
    assert_eq!(suffix, "-r1");
    let msids: Vec<String> = c.local_sources().iter().map(|s| format!("{s:?}")).collect();
    assert!(msids[0].contains(&format!("{ME}-a0-r1")), "{msids:?}");
}
