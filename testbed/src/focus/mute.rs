//! Mute requests, as jicofo treats them (MuteIqHandler, JitsiMeetConferenceImpl.handleMuteRequest):
//! a participant asks the focus occupant to mute someone; moderators may mute anyone, anyone may
//! mute themselves, nobody may unmute someone else. On success the requester gets a result and,
//! when someone else was muted, that participant gets the same `<mute>` from the focus with the
//! requester as `actor`.

use omni_jitsi_core::xml::Element;

use super::{error_reply, reply, Occupant, COMPONENT_NS};

pub struct MuteRequest<'a> {
    pub namespace: &'a str,
    pub target: &'a str,
    pub mute: bool,
}

/// `None` when the jid or the value is missing: jicofo answers those with `bad-request`.
pub fn parse<'a>(mute: &'a Element, namespace: &'a str) -> Option<MuteRequest<'a>> {
    let target = mute.get_attr("jid").filter(|j| !j.is_empty())?;
    let text = mute.text_content();
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    Some(MuteRequest {
        namespace,
        target,
        // Java's Boolean.valueOf: "true" in any case is true, anything else false.
        mute: text.eq_ignore_ascii_case("true"),
    })
}

/// The stanzas jicofo sends for a request from the occupant `from` of `room` (`None`: no such
/// conference), whose occupants (the focus excluded) are `occupants`.
pub fn handle(
    iq: &Element,
    request: &MuteRequest,
    room: &str,
    occupants: &[Occupant],
    focus_jid: &str,
) -> Vec<Element> {
    let from = iq.get_attr("from").unwrap_or("");
    let occupant = |jid: &str| {
        jid.strip_prefix(room)
            .and_then(|rest| rest.strip_prefix('/'))
            .and_then(|nick| occupants.iter().find(|o| o.nick == nick))
    };
    let Some(muter) = occupant(from) else {
        return vec![error_reply(iq, "wait", "internal-server-error")];
    };
    let someone_else = request.target != from;
    if someone_else && muter.role != "moderator" {
        return vec![error_reply(iq, "cancel", "not-allowed")];
    }
    if occupant(request.target).is_none() {
        return vec![error_reply(iq, "wait", "internal-server-error")];
    }
    if someone_else && !request.mute {
        return vec![error_reply(iq, "cancel", "not-allowed")];
    }
    let mut out = vec![reply(iq, "result")];
    if someone_else {
        out.push(
            Element::new("iq", COMPONENT_NS)
                .attr("type", "set")
                .attr(
                    "id",
                    format!("focus-mute-{}", iq.get_attr("id").unwrap_or("")),
                )
                .attr("from", focus_jid)
                .attr("to", request.target)
                .child(
                    Element::new("mute", request.namespace)
                        .attr("actor", from)
                        .text(request.mute.to_string()),
                ),
        );
    }
    out
}
