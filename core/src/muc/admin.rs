//! Moderator requests: room configuration (password, lobby) through the muc#owner form, and
//! role/affiliation changes through muc#admin, shaped as lib-jitsi-meet's ChatRoom sends them.

use crate::jid::{EndpointId, Jid};
use crate::xml::Element;
use crate::xmpp::ns;
use crate::xmpp::stanza::iq;

const ROOMCONFIG: &str = "http://jabber.org/protocol/muc#roomconfig";

fn field(var: &str, value: &str) -> Element {
    Element::new("field", ns::DATA_FORMS)
        .attr("var", var)
        .child(Element::new("value", ns::DATA_FORMS).text(value))
}

fn owner_form(id: &str, room: &Jid, fields: Vec<Element>) -> Element {
    let form = Element::new("x", ns::DATA_FORMS)
        .attr("type", "submit")
        .child(field("FORM_TYPE", ROOMCONFIG))
        .children_from(fields);
    iq("set", id, &room.to_string()).child(Element::new("query", ns::MUC_OWNER).child(form))
}

/// Sets or clears the room password (ChatRoom.lockRoom).
pub fn set_password(id: &str, room: &Jid, password: Option<&str>) -> Element {
    let pw = password.unwrap_or("");
    owner_form(
        id,
        room,
        vec![
            field("muc#roomconfig_roomsecret", pw),
            field(
                "muc#roomconfig_passwordprotectedroom",
                if pw.is_empty() { "0" } else { "1" },
            ),
            field("muc#roomconfig_whois", "anyone"),
        ],
    )
}

/// Makes the room members-only, which is how Jitsi's lobby is switched on (Lobby.enable).
pub fn set_members_only(id: &str, room: &Jid, enabled: bool) -> Element {
    owner_form(
        id,
        room,
        vec![field(
            "muc#roomconfig_membersonly",
            if enabled { "true" } else { "false" },
        )],
    )
}

/// Makes the given occupants members first, so switching the lobby on does not expel them.
pub fn grant_membership<'a>(
    id: &str,
    room: &Jid,
    jids: impl IntoIterator<Item = &'a Jid>,
) -> Element {
    let items = jids.into_iter().map(|j| {
        Element::new("item", ns::MUC_ADMIN)
            .attr("affiliation", "member")
            .attr("jid", j.bare().to_string())
    });
    iq("set", id, &room.to_string())
        .child(Element::new("query", ns::MUC_ADMIN).children_from(items))
}

pub fn kick(id: &str, room: &Jid, who: &EndpointId) -> Element {
    iq("set", id, &room.to_string()).child(
        Element::new("query", ns::MUC_ADMIN).child(
            Element::new("item", ns::MUC_ADMIN)
                .attr("nick", who.as_str())
                .attr("role", "none"),
        ),
    )
}

pub fn grant_owner(id: &str, room: &Jid, real_jid: &Jid) -> Element {
    iq("set", id, &room.to_string()).child(
        Element::new("query", ns::MUC_ADMIN).child(
            Element::new("item", ns::MUC_ADMIN)
                .attr("affiliation", "owner")
                .attr("jid", real_jid.bare().to_string()),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> Jid {
        Jid::parse("room@conference.meet.test").unwrap()
    }

    #[test]
    fn password_form_matches_lock_room() {
        let xml = set_password("a1", &room(), Some("s3cret")).to_xml();
        assert!(xml.contains("<query xmlns=\"http://jabber.org/protocol/muc#owner\"><x xmlns=\"jabber:x:data\" type=\"submit\">"));
        assert!(
            xml.contains("<field var=\"muc#roomconfig_roomsecret\"><value>s3cret</value></field>")
        );
        assert!(xml.contains(
            "<field var=\"muc#roomconfig_passwordprotectedroom\"><value>1</value></field>"
        ));
        let cleared = set_password("a2", &room(), None).to_xml();
        assert!(cleared.contains(
            "<field var=\"muc#roomconfig_passwordprotectedroom\"><value>0</value></field>"
        ));
    }

    #[test]
    fn admin_items() {
        let me = EndpointId::new("bob12345");
        assert!(kick("k", &room(), &me)
            .to_xml()
            .contains("<item nick=\"bob12345\" role=\"none\"/>"));
        let jid = Jid::parse("u@meet.test/res").unwrap();
        assert!(grant_owner("g", &room(), &jid)
            .to_xml()
            .contains("<item affiliation=\"owner\" jid=\"u@meet.test\"/>"));
        assert!(grant_membership("m", &room(), [&jid])
            .to_xml()
            .contains("affiliation=\"member\" jid=\"u@meet.test\""));
        assert!(set_members_only("l", &room(), true)
            .to_xml()
            .contains("<field var=\"muc#roomconfig_membersonly\"><value>true</value></field>"));
    }
}
