//! Recording and live streaming through Jibri, as lib-jitsi-meet's JibriSession asks for it and
//! Jicofo answers (jicofo `BaseJibri`, `JibriRecorder`): a `<jibri action='start|stop'>` IQ to the
//! focus occupant, a result carrying the session id, and the status afterwards in the focus's
//! room presence as `<jibri-recording-status>`. Only moderators may start or stop.

use serde::Serialize;

use crate::error::Error;
use crate::jid::{EndpointId, Jid};
use crate::xml::Element;
use crate::xmpp::stanza::{iq, StanzaError};

pub const NS: &str = "http://jitsi.org/protocol/jibri";

/// What to record: a file the deployment stores, or a live stream to an RTMP service.
#[derive(Clone, PartialEq, Eq)]
pub enum RecordingRequest {
    File,
    Stream {
        /// The stream key (YouTube's, or a full RTMP URL). Never logged.
        stream_key: String,
        broadcast_id: Option<String>,
    },
}

/// The stream key is a credential: it never reaches a log through `Debug`.
impl std::fmt::Debug for RecordingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RecordingRequest::File => f.write_str("File"),
            RecordingRequest::Stream { broadcast_id, .. } => f
                .debug_struct("Stream")
                .field("stream_key", &"<redacted>")
                .field("broadcast_id", broadcast_id)
                .finish(),
        }
    }
}

impl RecordingRequest {
    pub fn mode(&self) -> RecordingMode {
        match self {
            RecordingRequest::File => RecordingMode::File,
            RecordingRequest::Stream { .. } => RecordingMode::Stream,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingMode {
    File,
    Stream,
}

impl RecordingMode {
    fn as_str(self) -> &'static str {
        match self {
            RecordingMode::File => "file",
            RecordingMode::Stream => "stream",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordingStatus {
    Off,
    Pending,
    On,
}

/// What the focus publishes about the room's recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordingState {
    pub status: RecordingStatus,
    pub mode: Option<RecordingMode>,
    pub session_id: Option<String>,
    /// Who started it (status on) or stopped it (status off), when the focus says.
    pub initiator: Option<EndpointId>,
    /// Jibri's failure reason when it could not record.
    pub error: Option<String>,
}

pub fn start(id: &str, focus_occupant: &Jid, request: &RecordingRequest) -> Element {
    let jibri = Element::new("jibri", NS)
        .attr("action", "start")
        .attr("recording_mode", request.mode().as_str());
    let jibri = match request {
        RecordingRequest::File => jibri,
        RecordingRequest::Stream {
            stream_key,
            broadcast_id,
        } => jibri
            .attr("streamid", stream_key.as_str())
            .attr_opt("you_tube_broadcast_id", broadcast_id.as_deref()),
    };
    iq("set", id, &focus_occupant.to_string()).child(jibri)
}

pub fn stop(id: &str, focus_occupant: &Jid, mode: RecordingMode) -> Element {
    iq("set", id, &focus_occupant.to_string()).child(
        Element::new("jibri", NS)
            .attr("action", "stop")
            .attr("recording_mode", mode.as_str()),
    )
}

/// The session id from the focus's result to a start request.
pub fn session_id(result: &Element) -> Option<String> {
    result
        .get_child("jibri", NS)
        .and_then(|j| j.get_attr("session_id"))
        .map(str::to_string)
}

/// Jicofo's refusals, each as something an app can act on.
pub fn request_error(e: StanzaError) -> Error {
    let detail = e.text.clone().unwrap_or_else(|| e.condition.clone());
    match e.condition.as_str() {
        "forbidden" | "not-allowed" => Error::NotModerator,
        "service-unavailable" => {
            Error::RecordingUnavailable("no recorder (Jibri) is available".into())
        }
        "resource-constraint" => {
            Error::RecordingUnavailable("every recorder (Jibri) is busy".into())
        }
        "unexpected-request" => Error::Refused("recording or streaming is already on".into()),
        "item-not-found" => Error::Refused("no recording is running".into()),
        "bad-request" => Error::InvalidArgument(detail),
        _ => Error::Refused(format!("recording request refused: {detail}")),
    }
}

/// The recording status in a presence from the focus, if it carries one.
pub fn status_in(presence: &Element) -> Option<RecordingState> {
    let el = presence.get_child("jibri-recording-status", NS)?;
    let status = match el.get_attr("status")? {
        "on" => RecordingStatus::On,
        "pending" => RecordingStatus::Pending,
        "off" => RecordingStatus::Off,
        other => {
            log::debug!("ignoring jibri status {other:?}");
            return None;
        }
    };
    let mode = match el.get_attr("recording_mode") {
        Some("file") => Some(RecordingMode::File),
        Some("stream") => Some(RecordingMode::Stream),
        _ => None,
    };
    // Jicofo names the initiator by occupant JID (room@muc/endpoint).
    let initiator = el
        .get_attr("initiator")
        .and_then(Jid::parse)
        .and_then(|j| j.resource().map(EndpointId::new));
    Some(RecordingState {
        status,
        mode,
        session_id: el.get_attr("session_id").map(str::to_string),
        initiator,
        error: el
            .get_attr("failure_reason")
            .filter(|r| !r.is_empty())
            .map(str::to_string),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{parse, XmlLimits};

    fn el(xml: &str) -> Element {
        parse(xml, &XmlLimits::default()).unwrap()
    }

    fn focus() -> Jid {
        Jid::parse("standup@conference.meet.test/focus").unwrap()
    }

    #[test]
    fn start_and_stop_requests_carry_what_jicofo_reads() {
        let file = start("r1", &focus(), &RecordingRequest::File);
        assert_eq!(
            file.get_attr("to"),
            Some("standup@conference.meet.test/focus")
        );
        let jibri = file.get_child("jibri", NS).unwrap();
        assert_eq!(jibri.get_attr("action"), Some("start"));
        assert_eq!(jibri.get_attr("recording_mode"), Some("file"));
        assert_eq!(jibri.get_attr("streamid"), None);

        let stream = start(
            "r2",
            &focus(),
            &RecordingRequest::Stream {
                stream_key: "abcd-efgh".into(),
                broadcast_id: None,
            },
        );
        let jibri = stream.get_child("jibri", NS).unwrap();
        assert_eq!(jibri.get_attr("recording_mode"), Some("stream"));
        assert_eq!(jibri.get_attr("streamid"), Some("abcd-efgh"));

        let stop = stop("r3", &focus(), RecordingMode::File);
        assert_eq!(
            stop.get_child("jibri", NS).unwrap().get_attr("action"),
            Some("stop")
        );
    }

    #[test]
    fn the_focus_presence_tells_the_status() {
        let presence = el("<presence xmlns='jabber:client' from='standup@conference.meet.test/focus'>\
            <jibri-recording-status xmlns='http://jitsi.org/protocol/jibri' status='on' \
              recording_mode='file' session_id='5f1c' initiator='standup@conference.meet.test/a1b2c3d4'/>\
            </presence>");
        assert_eq!(
            status_in(&presence),
            Some(RecordingState {
                status: RecordingStatus::On,
                mode: Some(RecordingMode::File),
                session_id: Some("5f1c".into()),
                initiator: Some(EndpointId::new("a1b2c3d4")),
                error: None,
            })
        );
        let failed = el("<presence xmlns='jabber:client'><jibri-recording-status \
            xmlns='http://jitsi.org/protocol/jibri' status='off' failure_reason='error'/></presence>");
        let state = status_in(&failed).unwrap();
        assert_eq!(state.status, RecordingStatus::Off);
        assert_eq!(state.error.as_deref(), Some("error"));
        let odd = el("<presence xmlns='jabber:client'><jibri-recording-status \
            xmlns='http://jitsi.org/protocol/jibri' status='exploded' initiator='::::'/></presence>");
        assert_eq!(status_in(&odd), None);
        assert_eq!(status_in(&el("<presence xmlns='jabber:client'/>")), None);
    }

    #[test]
    fn the_stream_key_stays_out_of_debug_output() {
        let request = RecordingRequest::Stream {
            stream_key: "abcd-efgh-secret".into(),
            broadcast_id: None,
        };
        assert!(!format!("{request:?}").contains("secret"));
    }

    #[test]
    fn refusals_are_typed() {
        let e = |condition: &str| StanzaError {
            condition: condition.into(),
            kind: Some("cancel".into()),
            text: None,
        };
        assert_eq!(request_error(e("not-allowed")), Error::NotModerator);
        assert!(matches!(
            request_error(e("service-unavailable")),
            Error::RecordingUnavailable(_)
        ));
        assert!(matches!(
            request_error(e("resource-constraint")),
            Error::RecordingUnavailable(_)
        ));
        assert!(matches!(
            request_error(e("unexpected-request")),
            Error::Refused(_)
        ));
    }
}
