//! Peer-to-peer offers from other participants, refused the way lib-jitsi-meet refuses them when
//! its own P2P is disabled (`JitsiConference._onIncomingCallP2P`): acknowledge the
//! `session-initiate`, then end the session with `<decline/>` and the text "P2P disabled".
//!
//! An IQ error instead (what we answered before interop testing) leaves the browser holding a
//! pending P2P session it never clears, so it never returns to a clean state for this peer.

use crate::jid::Jid;
use crate::xml::Element;
use crate::xmpp::ns;

const JINGLE: &str = "urn:xmpp:jingle:1";

/// Whether `iq` is a Jingle session offer sent by another occupant of `room`, never the focus
/// (the focus's offers are bridge sessions, a different matter).
pub fn is_peer_offer(iq: &Element, room: &Jid, focus_nick: Option<&str>) -> bool {
    let Some(jingle) = iq.get_child("jingle", JINGLE) else {
        return false;
    };
    if iq.get_attr("type") != Some("set") || jingle.get_attr("action") != Some("session-initiate") {
        return false;
    }
    let Some(from) = iq.get_attr("from").and_then(Jid::parse) else {
        return false;
    };
    from.bare() == *room && from.resource().is_some_and(|nick| Some(nick) != focus_nick)
}

/// The acknowledgement and the `session-terminate` that follows it. `None` when the offer has no
/// session id, which no terminate could name: the caller answers it with an error instead.
pub fn decline(offer: &Element) -> Option<[Element; 2]> {
    let jingle = offer.get_child("jingle", JINGLE)?;
    let sid = jingle.get_attr("sid").filter(|s| !s.is_empty())?;
    let from = offer.get_attr("from")?;
    let ack = Element::new("iq", ns::CLIENT)
        .attr("type", "result")
        .attr("to", from)
        .attr_opt("id", offer.get_attr("id"));
    let terminate = Element::new("iq", ns::CLIENT)
        .attr("type", "set")
        .attr("to", from)
        .attr("id", format!("p2p-decline-{sid}"))
        .child(
            Element::new("jingle", JINGLE)
                .attr("action", "session-terminate")
                .attr_opt("initiator", jingle.get_attr("initiator"))
                .attr("sid", sid)
                .child(
                    Element::new("reason", JINGLE)
                        .child(Element::new("decline", JINGLE))
                        .child(Element::new("text", JINGLE).text("P2P disabled")),
                ),
        );
    Some([ack, terminate])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    const ROOM: &str = "room@conference.meet.test";

    fn offer(from: &str, sid: &str) -> Element {
        parse(&format!(
            "<iq xmlns='jabber:client' type='set' id='o1' from='{from}' to='me@meet.test/r'>\
             <jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='{from}' sid='{sid}'>\
             <content name='audio'/></jingle></iq>"
        ), &Default::default())
        .expect("valid xml")
    }

    #[test]
    fn an_offer_from_another_occupant_is_a_peer_offer_but_the_focus_and_strangers_are_not() {
        let room = Jid::parse(ROOM).expect("jid");
        assert!(is_peer_offer(
            &offer(&format!("{ROOM}/a1b2c3d4"), "s1"),
            &room,
            Some("focus")
        ));
        assert!(!is_peer_offer(
            &offer(&format!("{ROOM}/focus"), "s1"),
            &room,
            Some("focus")
        ));
        assert!(!is_peer_offer(
            &offer("other@conference.meet.test/a1b2c3d4", "s1"),
            &room,
            Some("focus")
        ));
        assert!(!is_peer_offer(&offer(ROOM, "s1"), &room, Some("focus")));
    }

    #[test]
    fn a_declined_offer_is_acknowledged_then_terminated_as_lib_jitsi_meet_does() {
        let from = format!("{ROOM}/a1b2c3d4");
        let [ack, terminate] = decline(&offer(&from, "abc123")).expect("has a sid");
        assert_eq!(ack.get_attr("type"), Some("result"));
        assert_eq!(ack.get_attr("id"), Some("o1"));
        assert_eq!(ack.get_attr("to"), Some(from.as_str()));

        assert_eq!(terminate.get_attr("type"), Some("set"));
        assert_eq!(terminate.get_attr("to"), Some(from.as_str()));
        let jingle = terminate.get_child("jingle", JINGLE).expect("jingle");
        assert_eq!(jingle.get_attr("action"), Some("session-terminate"));
        assert_eq!(jingle.get_attr("sid"), Some("abc123"));
        assert_eq!(jingle.get_attr("initiator"), Some(from.as_str()));
        let reason = jingle.get_child("reason", JINGLE).expect("reason");
        assert!(reason.get_child("decline", JINGLE).is_some());
        assert_eq!(
            reason.child_text("text", JINGLE).as_deref(),
            Some("P2P disabled")
        );
    }

    #[test]
    fn an_offer_without_a_session_id_cannot_be_declined() {
        assert!(decline(&offer(&format!("{ROOM}/a1b2c3d4"), "")).is_none());
    }
}
