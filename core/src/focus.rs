//! The conference request to the focus (Jicofo), as lib-jitsi-meet's moderator.js makes it:
//! sent before the MUC join, retried with exponential backoff while the focus says "not ready",
//! and every refusal mapped to a typed error.

use std::time::Duration;

use crate::error::Error;
use crate::jid::Jid;
use crate::xml::Element;
use crate::xmpp::iq::IqOutcome;
use crate::xmpp::ns;
use crate::xmpp::stanza::iq;

#[derive(Debug, Clone)]
pub struct ConferenceRequest {
    pub room: Jid,
    pub machine_uid: String,
    /// The JWT, sent as an attribute as lib-jitsi-meet does; never logged.
    pub token: Option<String>,
    pub start_audio_muted: bool,
    pub start_video_muted: bool,
}

impl ConferenceRequest {
    pub fn to_iq(&self, id: &str, focus: &str) -> Element {
        let mut properties = vec![("rtcstatsEnabled", "false"), ("visitors-version", "1")];
        if self.start_audio_muted {
            properties.push(("startAudioMuted", "1"));
        }
        if self.start_video_muted {
            properties.push(("startVideoMuted", "1"));
        }
        let conference = Element::new("conference", ns::FOCUS)
            .attr("machine-uid", &self.machine_uid)
            .attr("room", self.room.to_string())
            .attr_opt("token", self.token.as_deref())
            .children_from(properties.into_iter().map(|(name, value)| {
                Element::new("property", ns::FOCUS)
                    .attr("name", name)
                    .attr("value", value)
            }));
        iq("set", id, focus).child(conference)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FocusReply {
    /// The focus is in the room: join the MUC. `focus_jid` identifies its occupant.
    Ready { focus_jid: Option<String> },
    /// Ask again later.
    NotReady,
}

pub fn parse_reply(outcome: IqOutcome) -> Result<FocusReply, Error> {
    match outcome {
        IqOutcome::Result(iq) => {
            let conference = iq
                .get_child("conference", ns::FOCUS)
                .ok_or_else(|| Error::Protocol("focus reply without <conference>".into()))?;
            let focus_jid = conference.get_attr("focusjid").map(str::to_string);
            let live = conference
                .children_named("property", ns::FOCUS)
                .find(|p| p.get_attr("name") == Some("live"))
                .and_then(|p| p.get_attr("value"));
            if live == Some("false") {
                return Err(Error::Refused(
                    "the conference has not started yet (visitors queue)".into(),
                ));
            }
            if conference.get_attr("ready") == Some("true") {
                Ok(FocusReply::Ready { focus_jid })
            } else {
                Ok(FocusReply::NotReady)
            }
        }
        IqOutcome::Error(error) => Err(match error.condition.as_str() {
            "not-authorized" => Error::AuthenticationRequired,
            "service-unavailable" | "item-not-found" | "remote-server-not-found" => {
                Error::FocusUnavailable(error.text.unwrap_or(error.condition))
            }
            other => Error::Refused(format!(
                "the focus refused the conference request ({other}{})",
                error.text.map(|t| format!(": {t}")).unwrap_or_default()
            )),
        }),
    }
}

/// A reservation system rejects the request with a `<reservation-error>` next to the condition;
/// it must be recognised before the generic `service-unavailable`.
pub fn reservation_error(iq: &Element) -> Option<Error> {
    let error = iq.get_child("error", iq.ns())?;
    let reservation = error.get_child("reservation-error", ns::FOCUS)?;
    Some(Error::ReservationFailed {
        code: reservation.get_attr("error-code").unwrap_or("").to_string(),
        message: error
            .child_text("text", ns::STANZAS)
            .unwrap_or_else(|| "no reason given".into()),
    })
}

/// lib-jitsi-meet's backoff: 1 s, 2 s, 4 s, ... capped at 120 s.
pub fn retry_delay(attempt: u32) -> Duration {
    let secs = 1u64 << attempt.min(7);
    Duration::from_secs(secs.min(120))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;
    use crate::xmpp::stanza::stanza_error;

    fn el(s: &str) -> Element {
        parse(s, &Default::default()).unwrap()
    }

    fn request() -> ConferenceRequest {
        ConferenceRequest {
            room: Jid::parse("room@conference.meet.test").unwrap(),
            machine_uid: "0123456789abcdef0123456789abcdef".into(),
            token: Some("eyJ.t.s".into()),
            start_audio_muted: true,
            start_video_muted: false,
        }
    }

    #[test]
    fn request_matches_lib_jitsi_meet() {
        let xml = request().to_iq("f1", "focus.meet.test").to_xml();
        assert_eq!(
            xml,
            "<iq xmlns=\"jabber:client\" type=\"set\" id=\"f1\" to=\"focus.meet.test\">\
             <conference xmlns=\"http://jitsi.org/protocol/focus\" machine-uid=\"0123456789abcdef0123456789abcdef\" \
             room=\"room@conference.meet.test\" token=\"eyJ.t.s\">\
             <property name=\"rtcstatsEnabled\" value=\"false\"/>\
             <property name=\"visitors-version\" value=\"1\"/>\
             <property name=\"startAudioMuted\" value=\"1\"/></conference></iq>"
        );
    }

    #[test]
    fn ready_and_not_ready_replies() {
        let ready = el("<iq xmlns='jabber:client' type='result' id='f1'><conference xmlns='http://jitsi.org/protocol/focus' \
             ready='true' focusjid='focus@auth.meet.test' room='room@conference.meet.test'>\
             <property name='authentication' value='false'/></conference></iq>");
        assert_eq!(
            parse_reply(IqOutcome::Result(ready)),
            Ok(FocusReply::Ready {
                focus_jid: Some("focus@auth.meet.test".into())
            })
        );
        let not_ready = el("<iq xmlns='jabber:client' type='result' id='f1'><conference xmlns='http://jitsi.org/protocol/focus' ready='false'/></iq>");
        assert_eq!(
            parse_reply(IqOutcome::Result(not_ready)),
            Ok(FocusReply::NotReady)
        );
        let queue = el("<iq xmlns='jabber:client' type='result' id='f1'><conference xmlns='http://jitsi.org/protocol/focus' ready='false'>\
             <property name='live' value='false'/></conference></iq>");
        assert!(matches!(
            parse_reply(IqOutcome::Result(queue)),
            Err(Error::Refused(_))
        ));
    }

    #[test]
    fn errors_are_typed() {
        let cases = [
            ("not-authorized", Error::AuthenticationRequired),
            (
                "service-unavailable",
                Error::FocusUnavailable("service-unavailable".into()),
            ),
        ];
        for (condition, expected) in cases {
            let iq = el(&format!(
                "<iq xmlns='jabber:client' type='error' id='f1'><error type='cancel'>\
                 <{condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            ));
            assert_eq!(
                parse_reply(IqOutcome::Error(stanza_error(&iq).unwrap())),
                Err(expected)
            );
        }
        let reservation = el("<iq xmlns='jabber:client' type='error' id='f1'><error type='cancel'>\
             <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Reservation expired</text>\
             <reservation-error xmlns='http://jitsi.org/protocol/focus' error-code='419'/></error></iq>");
        assert_eq!(
            reservation_error(&reservation),
            Some(Error::ReservationFailed {
                code: "419".into(),
                message: "Reservation expired".into()
            })
        );
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let delays: Vec<u64> = (0..9).map(|a| retry_delay(a).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 32, 64, 120, 120]);
    }
}
