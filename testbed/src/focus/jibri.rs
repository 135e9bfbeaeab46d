//! Jibri requests as Jicofo handles them (jicofo `BaseJibri`, `JibriRecorder`): only from an
//! occupant of the room, only from a moderator, one session per room, a stream key exactly when
//! streaming. Without a recorder (the default, like a deployment that runs no Jibri) a start is
//! refused with `service-unavailable`, as Jicofo does. With `FocusBehaviour::jibri` a stand-in
//! Jibri accepts: the status then goes pending, on, and off after a stop, published in the
//! focus's presence. The stand-in records nothing yet: media reaches the testbed with the bridge.

use omni_jitsi_core::recording::NS;
use omni_jitsi_core::xml::Element;

use super::{error_reply, reply, Occupant};

#[derive(Debug, Clone)]
pub struct Session {
    id: String,
    mode: String,
    initiator: String,
}

/// What the focus does with a Jibri request: the IQ answer, and the status to publish.
pub struct Outcome {
    pub answer: Element,
    pub publish: Vec<Element>,
}

pub fn handle(
    iq: &Element,
    jibri: &Element,
    occupants: &[Occupant],
    session: &mut Option<Session>,
    recorder_available: bool,
    next_id: &mut u64,
) -> Outcome {
    let from = iq.get_attr("from").unwrap_or("");
    let nick = from.split_once('/').map(|(_, n)| n).unwrap_or("");
    let refuse = |condition: &str, kind: &str| Outcome {
        answer: error_reply(iq, kind, condition),
        publish: Vec::new(),
    };
    let Some(sender) = occupants.iter().find(|o| o.nick == nick) else {
        return refuse("forbidden", "auth");
    };
    if sender.role != "moderator" {
        return refuse("not-allowed", "cancel");
    }
    let mode = jibri.get_attr("recording_mode").unwrap_or("").to_string();
    let stream_id = jibri.get_attr("streamid").unwrap_or("").trim();
    match jibri.get_attr("action") {
        Some("start") => {
            if session.is_some() {
                return refuse("unexpected-request", "cancel");
            }
            if (mode == "file") != stream_id.is_empty() {
                return refuse("bad-request", "modify");
            }
            if !recorder_available {
                return refuse("service-unavailable", "cancel");
            }
            *next_id += 1;
            let started = Session {
                id: format!("testbed-jibri-{next_id}"),
                mode,
                initiator: from.to_string(),
            };
            let answer = reply(iq, "result")
                .child(Element::new("jibri", NS).attr("session_id", started.id.as_str()));
            let publish = vec![
                status(&started, "pending", None),
                status(&started, "on", Some(&started.initiator)),
            ];
            *session = Some(started);
            Outcome { answer, publish }
        }
        Some("stop") => match session.take() {
            None => refuse("item-not-found", "cancel"),
            Some(stopped) => Outcome {
                answer: reply(iq, "result"),
                publish: vec![status(&stopped, "off", Some(from))],
            },
        },
        _ => refuse("bad-request", "modify"),
    }
}

fn status(session: &Session, status: &str, initiator: Option<&str>) -> Element {
    Element::new("jibri-recording-status", NS)
        .attr("status", status)
        .attr("session_id", session.id.as_str())
        .attr("recording_mode", session.mode.as_str())
        .attr_opt("initiator", initiator)
}
