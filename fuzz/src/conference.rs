//! The conference state machine joined to a bridge conference with real stanzas, then driven by
//! a script: each step is a stanza from the server, an answer or event from the media engine, a
//! colibri-ws message, an app command, lost or regained connectivity, or time passing.
//!
//! A step's first byte says which; the rest is its payload, so mutating a seed mutates the
//! stanzas themselves (seeds in corpus/conference are captured stanzas, NUL-separated).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use omni_jitsi_core::bridge::channel::{self, BridgeChannel};
use omni_jitsi_core::conference::media_command::{LocalSsrcs, MediaInput};
use omni_jitsi_core::conference::p2p::P2pPolicy;
use omni_jitsi_core::conference::state::{Command, Conference, ConferenceConfig, Output};
use omni_jitsi_core::focus::ConferenceRequest;
use omni_jitsi_core::muc::presence::LocalPresence;
use omni_jitsi_core::xml::Element;
use omni_jitsi_core::xmpp::ns;
use omni_jitsi_core::{EndpointId, Jid, RecordingRequest, Timeouts};

use crate::{assert_serialises, stanza};

pub const ROOM: &str = "standup@conference.meet.test";
pub const ME: &str = "me000001";
/// The session id of the Jicofo offer fixture.
pub const BRIDGE_SID: &str = "7kq3b0c8ufhg6";
/// The longest time one step may let pass: beyond every timeout the conference has.
const MAX_STEP: Duration = Duration::from_secs(600);

const JICOFO_OFFER: &str =
    include_str!("../../core/src/jingle/fixtures/jicofo-session-initiate.xml");
const OUR_ANSWER: &str = include_str!("../../core/src/jingle/fixtures/webrtc-rs-answer-bridge.sdp");

pub struct Harness {
    conference: Conference,
    bridge: BridgeChannel,
    now: Instant,
    next_reply: u64,
}

impl Harness {
    /// In a bridge conference with three others and the focus, the offer answered and the
    /// colibri channel open: the state most stanzas act on.
    pub fn joined() -> Harness {
        static SETUP: OnceLock<Vec<Element>> = OnceLock::new();
        let now = Instant::now();
        let mut h = Harness {
            conference: Conference::new(config(), now),
            bridge: BridgeChannel::new(),
            now,
            next_reply: 0,
        };
        // Parsed once: the join is the same every run, and checked by the harness's own test.
        for el in SETUP.get_or_init(setup_stanzas) {
            h.conference.handle_stanza(el, now);
        }
        h.conference.handle_media(
            MediaInput::LocalDescription {
                sid: BRIDGE_SID.into(),
                sdp: answer_sdp(),
            },
            now,
        );
        let (mut joined, mut accepted) = (false, false);
        while let Some(out) = h.conference.poll_output() {
            match out {
                Output::Joined => joined = true,
                Output::Send(el) => {
                    accepted |= el
                        .get_child("jingle", ns::JINGLE)
                        .is_some_and(|j| j.get_attr("action") == Some("session-accept"))
                }
                _ => {}
            }
        }
        assert!(joined && accepted, "the setup no longer joins and answers");
        h.bridge.start();
        h.bridge_input(channel::Input::Opened);
        h.drain_sent();
        h
    }

    pub fn step(&mut self, step: &[u8]) {
        let Some((&op, rest)) = step.split_first() else {
            return;
        };
        let text = String::from_utf8_lossy(rest);
        match op {
            b'<' => {
                if let Some(el) = stanza(step) {
                    self.conference.handle_stanza(&el, self.now);
                }
            }
            b'S' | b'C' | b'F' | b'I' | b'R' => {
                let (sid, payload) = text.split_once('\n').unwrap_or((&text, ""));
                let (sid, payload) = (sid.to_string(), payload.to_string());
                let input = match op {
                    b'S' => MediaInput::LocalDescription { sid, sdp: payload },
                    b'C' => MediaInput::LocalCandidate {
                        sid,
                        candidate: payload,
                    },
                    b'F' => MediaInput::Failed {
                        sid,
                        reason: payload,
                    },
                    b'I' => MediaInput::Connection {
                        sid,
                        interrupted: payload.starts_with('1'),
                    },
                    _ => MediaInput::IceRestarted { sid, sdp: payload },
                };
                self.conference.handle_media(input, self.now);
            }
            b'B' => self.bridge_input(channel::Input::Text(text.into_owned())),
            b'O' => self.bridge_input(channel::Input::Opened),
            b'X' => self.bridge_input(channel::Input::Closed {
                code: text.trim().parse().ok(),
                reason: String::new(),
            }),
            b'K' => {
                if let Some(command) = command(rest) {
                    self.next_reply += 1;
                    self.conference
                        .handle_command(self.next_reply, command, self.now);
                }
            }
            b'T' => {
                let ms = text.trim().parse().unwrap_or(1000);
                self.now += Duration::from_millis(ms).min(MAX_STEP);
                self.conference.handle_timeout(self.now);
            }
            b'L' => self.conference.connection_lost(&text),
            b'P' => self.conference.suspend(),
            b'U' => self.conference.resumed(self.now),
            b'J' => self.conference.rejoin(self.now, Vec::new()),
            _ => {}
        }
        self.drain_sent();
    }

    fn bridge_input(&mut self, input: channel::Input) {
        for out in self.bridge.handle(input, false) {
            if let channel::Output::Event(event) = out {
                self.conference.handle_bridge_event(event);
            }
        }
    }

    /// Every output is consumed the way the driver would; the stanzas must be sendable.
    fn drain_sent(&mut self) {
        while let Some(out) = self.conference.poll_output() {
            if let Output::Send(el) = out {
                assert_serialises(&el);
            }
        }
    }
}

/// The focus's reply (to the first IQ, `c1`), the occupants, ourselves, then Jicofo's offer.
fn setup_stanzas() -> Vec<Element> {
    let mut setup = vec![
        "<iq xmlns='jabber:client' type='result' id='c1' from='focus.meet.test'>\
         <conference xmlns='http://jitsi.org/protocol/focus' ready='true' \
         focusjid='focus@auth.meet.test'/></iq>"
            .to_string(),
    ];
    for nick in ["a8f7g30b", "c3d4e5f6", "e5f6a7b8"] {
        let jid = format!("{nick}@meet.test/r");
        setup.push(occupant(nick, &jid, "participant", "none", ""));
    }
    let focus = "focus@auth.meet.test/focus";
    setup.push(occupant("focus", focus, "moderator", "owner", ""));
    let me = "me@meet.test/r";
    setup.push(occupant(
        ME,
        me,
        "participant",
        "none",
        "<status code='110'/>",
    ));
    let offer = &JICOFO_OFFER[JICOFO_OFFER.find("<jingle").expect("a jingle fixture")..];
    setup.push(format!(
        "<iq xmlns='jabber:client' type='set' id='f1' from='{ROOM}/focus' \
         to='me@meet.test/r'>{offer}</iq>"
    ));
    setup
        .iter()
        .map(|xml| stanza(xml.as_bytes()).expect("the setup stanzas parse"))
        .collect()
}

/// An app command from the step's bytes: which one, then its text argument.
fn command(bytes: &[u8]) -> Option<Command> {
    let (&which, arg) = bytes.split_first()?;
    let text = String::from_utf8_lossy(arg).into_owned();
    let flag = !arg.is_empty();
    Some(match which % 18 {
        0 => Command::SendChat { text, to: None },
        1 => Command::SendChat {
            text: String::new(),
            to: Some(EndpointId::new(text)),
        },
        2 => Command::SetAudioMuted(flag),
        3 => Command::SetVideoMuted(flag),
        4 => Command::SetHandRaised(flag),
        5 => Command::SetSubject(text),
        6 => Command::SetPassword(flag.then_some(text)),
        7 => Command::SetLobbyEnabled(flag),
        8 => Command::Kick(EndpointId::new(text)),
        9 => Command::GrantModerator(EndpointId::new(text)),
        10 if flag => Command::StartRecording(RecordingRequest::Stream {
            stream_key: text,
            broadcast_id: None,
        }),
        10 => Command::StartRecording(RecordingRequest::File),
        11 => Command::StopRecording,
        12 => Command::StartScreenShare,
        13 => Command::StopScreenShare,
        14 => Command::SendEndpointMessage {
            to: None,
            json: text,
        },
        15 => Command::NetworkChanged,
        16 => Command::Leave,
        _ => Command::SendEndpointMessage {
            to: Some(EndpointId::new("a8f7g30b")),
            json: text,
        },
    })
}

fn occupant(nick: &str, jid: &str, role: &str, affiliation: &str, extra: &str) -> String {
    format!(
        "<presence xmlns='jabber:client' from='{ROOM}/{nick}'>\
         <x xmlns='http://jabber.org/protocol/muc#user'>\
         <item jid='{jid}' role='{role}' affiliation='{affiliation}'/>{extra}</x>\
         </presence>"
    )
}

/// The SDP fixture opens with `#` provenance comments, which SDP itself does not allow; its
/// SSRCs are made ours.
pub fn answer_sdp() -> String {
    OUR_ANSWER
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\r\n"))
        .collect::<String>()
        .replace("3482915117", "2002")
        .replace("2758130021", "4004")
}

fn config() -> ConferenceConfig {
    let room = Jid::parse(ROOM).expect("a valid room JID");
    ConferenceConfig {
        room: room.clone(),
        room_name: "standup".into(),
        focus: "focus.meet.test".into(),
        domain: "meet.test".into(),
        presence: LocalPresence {
            endpoint_id: EndpointId::new(ME),
            display_name: Some("Me".into()),
            email: None,
            avatar_url: None,
            stats_id: "Me-1".into(),
            audio_muted: false,
            video_muted: false,
            audio_only: false,
            hand_raised_at: None,
            hand_ever_raised: false,
            screen_sharing: false,
        },
        password: None,
        subject: None,
        request: ConferenceRequest {
            room,
            machine_uid: "m".into(),
            token: None,
            start_audio_muted: false,
            start_video_muted: false,
        },
        timeouts: Timeouts::default(),
        local_ssrcs: LocalSsrcs {
            audio: 2002,
            video: 4004,
            screen: 6006,
        },
        p2p: P2pPolicy::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_harness_reaches_a_joined_bridge_session() {
        let h = Harness::joined();
        assert_eq!(h.conference.participants().len(), 3);
        assert!(h.bridge.is_open());
    }
}
