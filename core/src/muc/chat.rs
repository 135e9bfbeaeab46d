//! Room and private chat, and the room subject, as lib-jitsi-meet sends and reads them.

use crate::events::ChatMessage;
use crate::jid::{EndpointId, Jid};
use crate::xml::Element;
use crate::xmpp::ns;
use crate::xmpp::stanza::{stanza_error, StanzaError};

/// Generous for people, small enough that nobody floods the room with megabytes.
pub const MAX_CHAT_BYTES: usize = 16 * 1024;

pub fn room_message(room: &Jid, id: &str, text: &str) -> Element {
    Element::new("message", ns::CLIENT)
        .attr("to", room.to_string())
        .attr("type", "groupchat")
        .attr("id", id)
        .child(Element::new("body", ns::CLIENT).text(text))
}

/// XEP-0045 §7.5: a private message goes to the occupant JID, type chat, marked as MUC traffic.
pub fn private_message(room: &Jid, to: &EndpointId, id: &str, text: &str) -> Element {
    Element::new("message", ns::CLIENT)
        .attr("to", room.with_resource(to.as_str()).to_string())
        .attr("type", "chat")
        .attr("id", id)
        .child(Element::new("body", ns::CLIENT).text(text))
        .child(Element::new("x", ns::MUC_USER))
}

pub fn subject_message(room: &Jid, subject: &str) -> Element {
    Element::new("message", ns::CLIENT)
        .attr("to", room.to_string())
        .attr("type", "groupchat")
        .child(Element::new("subject", ns::CLIENT).text(subject))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomMessage {
    /// A chat message; `from` is the sender's nick, without its display name (the roster has it).
    Chat(ChatMessage),
    Subject(String),
    Error(StanzaError),
}

/// Decodes a message from the room. Our own echoes and messages from outside the room give None.
pub fn parse(el: &Element, room: &Jid, me: &EndpointId, now_ms: u64) -> Option<RoomMessage> {
    if el.name() != "message" {
        return None;
    }
    let from = Jid::parse(el.get_attr("from")?)?;
    if from.bare() != *room {
        return None;
    }
    let kind = el.get_attr("type").unwrap_or("normal");
    if kind == "error" {
        return Some(RoomMessage::Error(stanza_error(el)?));
    }
    let nick = from.resource().map(EndpointId::new);
    if kind == "groupchat" {
        if let Some(subject) = el.child_text("subject", ns::CLIENT) {
            if el.get_child("body", ns::CLIENT).is_none() {
                return Some(RoomMessage::Subject(subject));
            }
        }
    }
    let nick = nick?;
    if nick == *me || !matches!(kind, "groupchat" | "chat") {
        return None;
    }
    let text = el.child_text("body", ns::CLIENT)?;
    if text.is_empty() {
        return None;
    }
    if text.len() > MAX_CHAT_BYTES {
        log::warn!("dropped a {} byte chat message from {nick}", text.len());
        return None;
    }
    let stamp = delay_stamp(el);
    Some(RoomMessage::Chat(ChatMessage {
        from: nick,
        from_name: None,
        text,
        private: kind == "chat",
        timestamp_ms: stamp.unwrap_or(now_ms),
        delayed: stamp.is_some(),
    }))
}

fn delay_stamp(el: &Element) -> Option<u64> {
    el.get_child("delay", ns::DELAY)
        .or_else(|| el.get_child("x", ns::LEGACY_DELAY))
        .and_then(|d| d.get_attr("stamp"))
        .and_then(crate::time::parse_xmpp_datetime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse as parse_xml;

    fn room() -> Jid {
        Jid::parse("room@conference.meet.test").unwrap()
    }

    fn me() -> EndpointId {
        EndpointId::new("me000001")
    }

    fn msg(s: &str) -> Element {
        parse_xml(s, &Default::default()).unwrap()
    }

    #[test]
    fn builds_room_and_private_messages() {
        assert_eq!(
            room_message(&room(), "m1", "hi & bye").to_xml(),
            "<message xmlns=\"jabber:client\" to=\"room@conference.meet.test\" type=\"groupchat\" id=\"m1\">\
             <body>hi &amp; bye</body></message>"
        );
        let private = private_message(&room(), &EndpointId::new("bob12345"), "m2", "psst").to_xml();
        assert!(private.starts_with("<message xmlns=\"jabber:client\" to=\"room@conference.meet.test/bob12345\" type=\"chat\""));
        assert!(private.contains("<x xmlns=\"http://jabber.org/protocol/muc#user\"/>"));
    }

    #[test]
    fn parses_room_private_and_delayed_messages() {
        let live = msg("<message xmlns='jabber:client' from='room@conference.meet.test/bob12345' type='groupchat'><body>hello</body></message>");
        assert_eq!(
            parse(&live, &room(), &me(), 42),
            Some(RoomMessage::Chat(ChatMessage {
                from: EndpointId::new("bob12345"),
                from_name: None,
                text: "hello".into(),
                private: false,
                timestamp_ms: 42,
                delayed: false,
            }))
        );
        let private = msg("<message xmlns='jabber:client' from='room@conference.meet.test/bob12345' type='chat'><body>psst</body></message>");
        assert!(
            matches!(parse(&private, &room(), &me(), 0), Some(RoomMessage::Chat(m)) if m.private)
        );
        let history = msg("<message xmlns='jabber:client' from='room@conference.meet.test/bob12345' type='groupchat'><body>old</body>\
            <delay xmlns='urn:xmpp:delay' stamp='1970-01-01T00:00:01Z'/></message>");
        assert!(
            matches!(parse(&history, &room(), &me(), 99), Some(RoomMessage::Chat(m)) if m.delayed && m.timestamp_ms == 1000)
        );
    }

    #[test]
    fn subject_echo_and_foreign_messages() {
        let subject = msg("<message xmlns='jabber:client' from='room@conference.meet.test/focus' type='groupchat'><subject>Standup</subject></message>");
        assert_eq!(
            parse(&subject, &room(), &me(), 0),
            Some(RoomMessage::Subject("Standup".into()))
        );
        let echo = msg("<message xmlns='jabber:client' from='room@conference.meet.test/me000001' type='groupchat'><body>mine</body></message>");
        assert_eq!(parse(&echo, &room(), &me(), 0), None);
        let foreign = msg("<message xmlns='jabber:client' from='other@conference.meet.test/x' type='groupchat'><body>x</body></message>");
        assert_eq!(parse(&foreign, &room(), &me(), 0), None);
        let huge = format!("<message xmlns='jabber:client' from='room@conference.meet.test/x' type='groupchat'><body>{}</body></message>", "a".repeat(MAX_CHAT_BYTES + 1));
        assert_eq!(parse(&msg(&huge), &room(), &me(), 0), None);
    }
}
