//! In-place ICE restarts of the bridge session with Jicofo's stanzas (as its
//! `onIceRestartRequest` and `JingleSession.sendTransportInfo` send them) and the engine's
//! answers fed back by hand.

use super::bridge_tests::{
    accepted, added_candidates, bridge_connection, errors, in_a_bridge_room, jicofo_offer_again,
    media_connection, restart_requested, tracks, FOCUS, SID,
};
use super::p2p_tests::{jingle_iq, jingle_sent, media};
use super::tests::{drain, el, sent};
use super::*;
use crate::conference::media_command::MediaInput;
use crate::jingle::{Action, Attributes, Jingle, Sdp};

/// The id of the `session-info` asking the focus for an ICE restart, when one went out.
pub(super) fn ice_restart_request(outputs: &[Output]) -> Option<String> {
    sent(outputs).into_iter().find_map(|iq| {
        let jingle = iq.children().find(|c| c.name() == "jingle")?;
        let asks = jingle.get_attr("action") == Some("session-info")
            && jingle
                .children()
                .any(|b| b.name() == "bridge-session" && b.get_attr("ice-restart") == Some("true"));
        asks.then(|| iq.get_attr("id").unwrap_or_default().to_string())
    })
}

/// The focus refusing our request `id` with `condition`.
pub(super) fn refusal(id: &str, condition: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:client' type='error' id='{id}' from='{FOCUS}' to='me@meet.test/r'>\
         <error type='cancel'><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    ))
}

fn ack(id: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:client' type='result' id='{id}' from='{FOCUS}' to='me@meet.test/r'/>"
    ))
}

const NEW_UFRAG: &str = "9q2wbridgegen1";
const NEW_PWD: &str = "5t7ynewbridgepassword00000";

/// Jicofo's `transport-info` with the bridge's generation `generation`.
fn bridge_generation(generation: u32) -> String {
    format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='{SID}'>\
         <content creator='initiator' name='audio'>\
         <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='{NEW_UFRAG}' \
         pwd='{NEW_PWD}' ice-generation='{generation}'>\
         <fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>\
         AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89\
         </fingerprint>\
         <candidate component='1' foundation='1' generation='0' id='c1' ip='10.0.0.1' \
         network='0' port='10000' priority='2130706431' protocol='udp' type='host'/>\
         </transport></content></jingle>"
    )
}

/// Our answer after the restart: the engine rotated our credentials.
fn our_restarted_answer() -> String {
    super::bridge_tests::our_bridge_answer()
        .replace("yKzPqLmNoRsTuVwX", "ourNewUfrag00001")
        .replace(
            "aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
            "ourNewPasswordForGenerationOne00",
        )
}

/// The focus acks request `id` and sends generation 1, and the engine answers it.
fn restarted(c: &mut Conference, id: &str, now: Instant) {
    c.handle_stanza(&ack(id), now);
    c.handle_stanza(&jingle_iq(FOCUS, "t1", &bridge_generation(1)), now);
    c.handle_media(
        MediaInput::IceRestarted {
            sid: SID.into(),
            sdp: our_restarted_answer(),
        },
        now,
    );
    drain(c);
}

/// Ask for a restart with a network-change hint; returns the request's id.
fn hint(c: &mut Conference, now: Instant) -> String {
    c.handle_command(1, Command::NetworkChanged, now);
    ice_restart_request(&drain(c)).expect("an ICE restart request")
}

#[test]
fn a_network_change_restarts_ice_in_place_and_the_session_and_tracks_stay() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);

    // At once, before the old path is seen interrupted.
    c.handle_command(1, Command::NetworkChanged, now);
    let out = drain(&mut c);
    let (to, info) = jingle_sent(&out)
        .into_iter()
        .find(|(_, j)| j.action == Action::SessionInfo)
        .expect("a session-info to the focus");
    assert_eq!((to.as_str(), info.sid.as_str()), (FOCUS, SID));
    let asked = info.bridge_session.expect("<bridge-session>");
    assert!(asked.ice_restart && !asked.restart, "{asked:?}");
    assert_eq!(asked.id.as_deref(), Some("5f9b4d1a-6c3e-4a8b"));
    assert!(!restart_requested(&out), "no new session is asked for");
    let id = ice_restart_request(&out).unwrap();
    c.handle_stanza(&ack(&id), now);
    assert!(drain(&mut c).is_empty());

    c.handle_stanza(&jingle_iq(FOCUS, "t1", &bridge_generation(1)), now);
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    let [MediaCommand::RestartIce { sid, offer }, MediaCommand::AddCandidate { .. }] =
        &media(&out)[..]
    else {
        panic!("the restart, then the candidates: {:?}", media(&out));
    };
    assert_eq!(sid, SID);
    let offer = Sdp::parse(offer).unwrap();
    for m in offer.media.iter().filter(|m| m.port != 0) {
        assert_eq!(m.attr("ice-ufrag"), Some(NEW_UFRAG));
        assert_eq!(m.attr("ice-pwd"), Some(NEW_PWD));
        assert!(
            m.attr("candidate").is_none(),
            "candidates come after the answer"
        );
    }
    assert!(added_candidates(&out)[0].contains("10.0.0.1 10000"));

    // A candidate gathered before the answer is back waits for the new credentials.
    c.handle_media(
        MediaInput::LocalCandidate {
            sid: SID.into(),
            candidate: "candidate:1 1 udp 2130706431 192.0.2.4 50000 typ host".into(),
        },
        now,
    );
    assert!(jingle_sent(&drain(&mut c)).is_empty());
    c.handle_media(
        MediaInput::IceRestarted {
            sid: SID.into(),
            sdp: our_restarted_answer(),
        },
        now,
    );
    let out = drain(&mut c);
    let infos: Vec<Jingle> = jingle_sent(&out)
        .into_iter()
        .filter(|(to, j)| to == FOCUS && j.action == Action::TransportInfo)
        .map(|(_, j)| j)
        .collect();
    assert_eq!(
        infos.len(),
        2,
        "credentials, then the waiting candidate: {infos:?}"
    );
    let ours = infos[0].contents[0].transport.as_ref().unwrap();
    assert_eq!(ours.ufrag.as_deref(), Some("ourNewUfrag00001"));
    assert_eq!(ours.ice_generation, Some(1));
    let trickled = infos[1].contents[0].transport.as_ref().unwrap();
    assert_eq!(trickled.ufrag.as_deref(), Some("ourNewUfrag00001"));
    assert_eq!(trickled.candidates.len(), 1);

    // The connection never looked interrupted, so the restart is done: a later break is a new
    // one, restarted in place again.
    let later = now + Duration::from_secs(30);
    c.handle_timeout(later);
    let out = drain(&mut c);
    assert!(
        !restart_requested(&out) && errors(&out).is_empty(),
        "{out:?}"
    );
    let out = bridge_connection(&mut c, true, later);
    assert_eq!(media_connection(&out), [true]);
    assert!(ice_restart_request(&out).is_some(), "{out:?}");
    assert!(tracks(&out).is_empty(), "{out:?}");
}

#[test]
fn a_failed_connection_tries_an_in_place_restart_before_a_new_session() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    c.handle_media(
        MediaInput::Failed {
            sid: SID.into(),
            reason: "ICE failed".into(),
        },
        now,
    );
    let out = drain(&mut c);
    let id = ice_restart_request(&out).expect("an in-place restart first");
    assert!(!restart_requested(&out));
    assert!(!media(&out).contains(&&MediaCommand::Close { sid: SID.into() }));
    assert_eq!(media_connection(&out), [true]);

    // The focus acks but its transport never comes: a new session, in time.
    c.handle_stanza(&ack(&id), now);
    drain(&mut c);
    c.handle_timeout(now + Duration::from_secs(4));
    assert!(!restart_requested(&drain(&mut c)));
    c.handle_timeout(now + Duration::from_secs(5));
    let out = drain(&mut c);
    assert!(restart_requested(&out), "{out:?}");
    assert!(
        tracks(&out).is_empty(),
        "tracks stay through the restart: {out:?}"
    );
}

#[test]
fn a_new_generation_that_does_not_connect_falls_back_to_a_new_session() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    // Nothing heard for 5 s: restarted in place, without waiting for ICE to fail.
    let out = bridge_connection(&mut c, true, now);
    let id = ice_restart_request(&out).expect("an ICE restart request");
    assert!(!restart_requested(&out));
    restarted(&mut c, &id, now);
    // The old generation gives up meanwhile: left to the restart.
    c.handle_media(
        MediaInput::Failed {
            sid: SID.into(),
            reason: "ICE failed".into(),
        },
        now + Duration::from_secs(1),
    );
    let out = drain(&mut c);
    assert!(
        ice_restart_request(&out).is_none() && !restart_requested(&out),
        "{out:?}"
    );

    c.handle_timeout(now + Duration::from_secs(6));
    let out = drain(&mut c);
    assert!(restart_requested(&out), "{out:?}");
    c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer_again()), now);
    assert!(errors(&drain(&mut c)).is_empty());
}

#[test]
fn a_refused_or_unanswered_restart_of_a_working_connection_changes_nothing() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = hint(&mut c, now);
    c.handle_stanza(&refusal(&id, "resource-constraint"), now);
    let out = drain(&mut c);
    assert!(
        !restart_requested(&out) && errors(&out).is_empty(),
        "{out:?}"
    );

    let later = now + Duration::from_secs(10);
    hint(&mut c, later);
    // Nobody answers: given up without a new session, since media flows.
    c.handle_timeout(later + Duration::from_secs(60));
    let out = drain(&mut c);
    assert!(
        !restart_requested(&out) && errors(&out).is_empty(),
        "{out:?}"
    );
    assert!(!c.is_ended());
}

#[test]
fn a_focus_without_ice_restarts_gets_a_new_session_request_on_the_next_break() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = hint(&mut c, now);
    c.handle_stanza(&refusal(&id, "feature-not-implemented"), now);
    assert!(!restart_requested(&drain(&mut c)), "media flows");

    // Long after, beyond any rate limit: the focus is not asked again.
    let out = bridge_connection(&mut c, true, now + Duration::from_secs(120));
    assert!(ice_restart_request(&out).is_none());
    assert!(restart_requested(&out), "{out:?}");
}

#[test]
fn a_stale_or_malformed_generation_changes_nothing() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    c.handle_stanza(&jingle_iq(FOCUS, "t1", &bridge_generation(2)), now);
    assert_eq!(
        media(&drain(&mut c)).len(),
        2,
        "a push we did not ask for still applies"
    );

    for (id, jingle) in [("t2", bridge_generation(2)), ("t3", bridge_generation(1))] {
        c.handle_stanza(&jingle_iq(FOCUS, id, &jingle), now);
        let out = drain(&mut c);
        assert_eq!(sent(&out)[0].get_attr("type"), Some("result"), "{id}");
        assert!(media(&out).is_empty(), "{id}: {:?}", media(&out));
    }
    for (id, jingle) in [
        ("t4", bridge_generation(0)),
        (
            "t5",
            bridge_generation(3).replace(&format!(" pwd='{NEW_PWD}'"), ""),
        ),
    ] {
        c.handle_stanza(&jingle_iq(FOCUS, id, &jingle), now);
        let out = drain(&mut c);
        assert!(sent(&out)[0].to_xml().contains("bad-request"), "{id}");
        assert!(media(&out).is_empty(), "{id}");
    }
    assert!(!c.is_ended());
}

#[test]
fn a_break_within_the_rate_limit_gets_a_new_session_at_once() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = hint(&mut c, now);
    c.handle_stanza(&refusal(&id, "resource-constraint"), now);
    drain(&mut c);

    // Jicofo would refuse another ICE restart within 5 s; a session restart has its own budget.
    let out = bridge_connection(&mut c, true, now + Duration::from_secs(2));
    assert!(ice_restart_request(&out).is_none());
    assert!(restart_requested(&out), "{out:?}");

    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = hint(&mut c, now);
    c.handle_stanza(&refusal(&id, "resource-constraint"), now);
    drain(&mut c);
    c.handle_command(1, Command::NetworkChanged, now + Duration::from_secs(2));
    assert!(
        restart_requested(&drain(&mut c)),
        "a second network change soon after"
    );
}

#[test]
fn an_interrupted_connection_restarted_in_place_is_done_once_it_hears_the_bridge() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = ice_restart_request(&bridge_connection(&mut c, true, now)).unwrap();
    restarted(&mut c, &id, now);
    assert_eq!(
        media_connection(&bridge_connection(&mut c, false, now)),
        [false]
    );
    c.handle_timeout(now + Duration::from_secs(30));
    let out = drain(&mut c);
    assert!(
        !restart_requested(&out) && errors(&out).is_empty(),
        "{out:?}"
    );
}

#[test]
fn a_break_waits_for_the_ice_restart_budget_when_it_frees_up_before_the_new_session_one() {
    let now = Instant::now();
    let mut c = in_a_bridge_room(now);
    accepted(&mut c, now);
    let id = ice_restart_request(&bridge_connection(&mut c, true, now)).unwrap();
    c.handle_stanza(&refusal(&id, "resource-constraint"), now);
    assert!(restart_requested(&drain(&mut c)), "a new session instead");
    c.handle_stanza(&jingle_iq(FOCUS, "f2", &jicofo_offer_again()), now);
    c.handle_media(
        MediaInput::LocalDescription {
            sid: "9m2x4c7v1b3n5".into(),
            sdp: super::bridge_tests::our_bridge_answer(),
        },
        now,
    );
    drain(&mut c);

    // Both budgets allow a request 6 s after the last: the in-place restart waits for its own.
    let soon = now + Duration::from_secs(1);
    c.handle_media(
        MediaInput::Connection {
            sid: "9m2x4c7v1b3n5".into(),
            interrupted: true,
        },
        soon,
    );
    let out = drain(&mut c);
    assert!(
        ice_restart_request(&out).is_none() && !restart_requested(&out),
        "{out:?}"
    );
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(6)));
    c.handle_timeout(now + Duration::from_secs(6));
    let out = drain(&mut c);
    assert!(ice_restart_request(&out).is_some(), "{out:?}");
    assert!(!restart_requested(&out));
}
