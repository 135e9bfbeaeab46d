use super::*;
use omni_jitsi_core::xml::{parse, XmlLimits};

const MUC: &str = "conference.meet.test";

fn el(xml: &str) -> Element {
    parse(xml, &XmlLimits::default()).unwrap()
}

fn focus(behaviour: FocusBehaviour) -> Focus {
    Focus::new(behaviour, MUC, "focus.meet.test")
}

fn request(id: &str, room: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='{id}' from='ann@meet.test/r' to='focus.meet.test'>\
         <conference xmlns='http://jitsi.org/protocol/focus' room='{room}' machine-uid='m'/></iq>"
    ))
}

fn occupant(
    room: &str,
    nick: &str,
    jid: &str,
    affiliation: &str,
    role: &str,
    kind: &str,
) -> Element {
    el(&format!(
        "<presence xmlns='jabber:component:accept' from='{room}/{nick}' to='focus@focus.meet.test/focus' {kind}>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item jid='{jid}' affiliation='{affiliation}' role='{role}'/></x>\
         </presence>"
    ))
}

fn self_presence(room: &str) -> Element {
    el(&format!(
        "<presence xmlns='jabber:component:accept' from='{room}/focus' to='focus@focus.meet.test/focus'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x></presence>"
    ))
}

fn joined(f: &mut Focus, room: &str) {
    let out = f.handle(&request("1", room));
    assert_eq!(out[0].name(), "presence");
    let out = f.handle(&self_presence(room));
    assert_eq!(
        out[0]
            .get_child("conference", ns::FOCUS)
            .unwrap()
            .get_attr("ready"),
        Some("true")
    );
}

#[test]
fn ready_only_once_the_focus_is_in_the_room() {
    let mut f = focus(FocusBehaviour::default());
    let room = "r@conference.meet.test";
    let out = f.handle(&request("1", room));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].get_attr("to"), Some("r@conference.meet.test/focus"));
    assert!(out[0].get_child("x", ns::MUC).is_some());
    let versions = out[0].get_child("versions", ns::JITMEET).unwrap();
    let component = versions.get_child("component", ns::JITMEET).unwrap();
    assert_eq!(component.get_attr("name"), Some("focus"));
    assert!(component.text_content().starts_with("omni-jitsi-testbed "));
    let properties = out[0]
        .get_child("conference-properties", ns::FOCUS)
        .unwrap();
    assert_eq!(
        properties
            .get_child("property", ns::FOCUS)
            .and_then(|p| p.get_attr("key")),
        Some("support-terminate-restart")
    );
    assert!(f.handle(&request("2", room)).is_empty(), "joins once");

    let out = f.handle(&self_presence(room));
    let ids: Vec<_> = out.iter().map(|e| e.get_attr("id").unwrap()).collect();
    assert_eq!(ids, ["1", "2"]);
    let conference = out[0].get_child("conference", ns::FOCUS).unwrap();
    assert_eq!(
        conference.get_attr("focusjid"),
        Some("focus@focus.meet.test")
    );
    assert_eq!(out[0].get_attr("to"), Some("ann@meet.test/r"));

    let out = f.handle(&request("3", room));
    assert_eq!(
        out[0].get_attr("type"),
        Some("result"),
        "already there: answered at once"
    );
}

#[test]
fn not_ready_then_ready_and_silent_says_nothing() {
    let mut f = focus(FocusBehaviour {
        not_ready_replies: 1,
        ..Default::default()
    });
    let out = f.handle(&request("1", "r@conference.meet.test"));
    assert_eq!(
        out[0]
            .get_child("conference", ns::FOCUS)
            .unwrap()
            .get_attr("ready"),
        Some("false")
    );
    assert_eq!(
        f.handle(&request("2", "r@conference.meet.test"))[0].name(),
        "presence"
    );

    let mut silent = focus(FocusBehaviour {
        silent: true,
        ..Default::default()
    });
    assert!(silent
        .handle(&request("1", "r@conference.meet.test"))
        .is_empty());
}

#[test]
fn requests_for_other_services_are_refused() {
    let mut f = focus(FocusBehaviour::default());
    for room in ["r@elsewhere.test", "", "@conference.meet.test"] {
        let out = f.handle(&request("1", room));
        assert_eq!(out[0].get_attr("type"), Some("error"), "{room}");
        assert!(out[0].to_xml().contains("bad-request"));
    }
    let other = el("<iq xmlns='jabber:component:accept' type='get' id='q' from='a@meet.test/r' to='focus.meet.test'><query xmlns='jabber:iq:version'/></iq>");
    assert!(f.handle(&other)[0].to_xml().contains("service-unavailable"));
    let ping = el("<iq xmlns='jabber:component:accept' type='get' id='p' from='a@meet.test/r' to='focus.meet.test'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert_eq!(f.handle(&ping)[0].get_attr("type"), Some("result"));
}

#[test]
fn ownership_goes_to_the_first_and_passes_on_then_the_focus_leaves() {
    let mut f = focus(FocusBehaviour::default());
    let room = "r@conference.meet.test";
    joined(&mut f, room);
    let out = f.handle(&occupant(
        room,
        "ann",
        "a1@meet.test/x",
        "none",
        "participant",
        "",
    ));
    assert_eq!(out.len(), 1);
    let item = out[0]
        .get_child("query", ns::MUC_ADMIN)
        .unwrap()
        .get_child("item", ns::MUC_ADMIN)
        .unwrap();
    assert_eq!(
        (item.get_attr("affiliation"), item.get_attr("jid")),
        (Some("owner"), Some("a1@meet.test"))
    );
    assert!(f
        .handle(&occupant(
            room,
            "bob",
            "b1@meet.test/x",
            "none",
            "participant",
            ""
        ))
        .is_empty());
    assert!(f
        .handle(&occupant(
            room,
            "ann",
            "a1@meet.test/x",
            "owner",
            "moderator",
            ""
        ))
        .is_empty());

    let out = f.handle(&occupant(
        room,
        "ann",
        "a1@meet.test/x",
        "owner",
        "moderator",
        "type='unavailable'",
    ));
    let item = out[0]
        .get_child("query", ns::MUC_ADMIN)
        .unwrap()
        .get_child("item", ns::MUC_ADMIN)
        .unwrap();
    assert_eq!(item.get_attr("jid"), Some("b1@meet.test"));

    let out = f.handle(&occupant(
        room,
        "bob",
        "b1@meet.test/x",
        "owner",
        "moderator",
        "type='unavailable'",
    ));
    assert_eq!(out[0].get_attr("type"), Some("unavailable"));
    assert_eq!(
        f.handle(&request("9", room))[0].name(),
        "presence",
        "a new conference joins again"
    );
}

fn mute_request(room: &str, from_nick: &str, target: &str, value: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='m1' from='{room}/{from_nick}' to='focus@focus.meet.test/focus'>\
         <mute xmlns='http://jitsi.org/jitmeet/audio' jid='{target}'>{value}</mute></iq>"
    ))
}

fn room_with_moderator_and_guest(f: &mut Focus, room: &str) {
    joined(f, room);
    f.handle(&occupant(
        room,
        "mod1",
        "a@meet.test/x",
        "owner",
        "moderator",
        "",
    ));
    f.handle(&occupant(
        room,
        "guest",
        "b@meet.test/y",
        "none",
        "participant",
        "",
    ));
}

fn condition(stanza: &Element) -> Option<String> {
    let error = stanza.get_child("error", COMPONENT_NS)?;
    error.children().next().map(|c| c.name().to_string())
}

#[test]
fn a_moderator_mutes_a_participant_who_hears_it_from_the_focus_with_the_actor() {
    let mut f = focus(FocusBehaviour::default());
    let room = "m@conference.meet.test";
    room_with_moderator_and_guest(&mut f, room);
    let out = f.handle(&mute_request(
        room,
        "mod1",
        &format!("{room}/guest"),
        "true",
    ));
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].get_attr("type"), Some("result"));
    assert_eq!(out[0].get_attr("to"), Some("m@conference.meet.test/mod1"));
    assert_eq!(out[1].get_attr("to"), Some("m@conference.meet.test/guest"));
    let mute = out[1].get_child("mute", ns::JITMEET_AUDIO).unwrap();
    assert_eq!(mute.get_attr("actor"), Some("m@conference.meet.test/mod1"));
    assert_eq!(mute.text_content(), "true");
}

#[test]
fn only_moderators_mute_others_and_nobody_unmutes_someone_else() {
    let mut f = focus(FocusBehaviour::default());
    let room = "m@conference.meet.test";
    room_with_moderator_and_guest(&mut f, room);
    let guest_mutes_mod = f.handle(&mute_request(
        room,
        "guest",
        &format!("{room}/mod1"),
        "true",
    ));
    assert_eq!(
        condition(&guest_mutes_mod[0]).as_deref(),
        Some("not-allowed")
    );
    let mod_unmutes_guest = f.handle(&mute_request(
        room,
        "mod1",
        &format!("{room}/guest"),
        "false",
    ));
    assert_eq!(
        condition(&mod_unmutes_guest[0]).as_deref(),
        Some("not-allowed")
    );
    let guest_unmutes_self = f.handle(&mute_request(
        room,
        "guest",
        &format!("{room}/guest"),
        "false",
    ));
    assert_eq!(guest_unmutes_self.len(), 1, "no notice to oneself");
    assert_eq!(guest_unmutes_self[0].get_attr("type"), Some("result"));
}

#[test]
fn malformed_or_unknown_mute_requests_get_jicofos_errors() {
    let mut f = focus(FocusBehaviour::default());
    let room = "m@conference.meet.test";
    room_with_moderator_and_guest(&mut f, room);
    let no_value = f.handle(&mute_request(room, "mod1", &format!("{room}/guest"), ""));
    assert_eq!(condition(&no_value[0]).as_deref(), Some("bad-request"));
    let elsewhere = f.handle(&mute_request(
        "other@conference.meet.test",
        "mod1",
        "x",
        "true",
    ));
    assert_eq!(condition(&elsewhere[0]).as_deref(), Some("item-not-found"));
    let nobody = f.handle(&mute_request(
        room,
        "mod1",
        &format!("{room}/ghost"),
        "true",
    ));
    assert_eq!(
        condition(&nobody[0]).as_deref(),
        Some("internal-server-error")
    );
}
