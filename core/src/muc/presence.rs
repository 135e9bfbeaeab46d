//! Jitsi MUC presence, both ways. Jitsi's own payloads (`SourceInfo`, `stats-id`, `email`,
//! `avatar-url`, `jitsi_participant_*`) carry no namespace of their own (they are `jabber:client`),
//! and jicofo looks them up that way; only nick, caps, muc and the legacy mute elements are
//! namespaced.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::events::{Affiliation, Role};
use crate::jid::{EndpointId, Jid};
use crate::xml::Element;
use crate::xmpp::ns;
use crate::xmpp::stanza::{stanza_error, StanzaError};

use super::caps;

/// Video codecs we can send, in preference order, as `jitsi_participant_codecList` lists them.
const CODEC_LIST: &str = "h264";
/// SourceInfo is attacker-controlled JSON; bound the work spent on it.
const MAX_SOURCE_INFO_BYTES: usize = 16 * 1024;
/// A display name, email, avatar URL or stats id longer than this is taken as absent: the roster
/// keeps these for every occupant, and the stanza limit alone would let each one hold 256 KiB.
/// Real values (signed avatar URLs from a token included) stay well below.
pub const MAX_PROFILE_TEXT_BYTES: usize = 2048;

/// What we publish about ourselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPresence {
    pub endpoint_id: EndpointId,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub stats_id: String,
    pub audio_muted: bool,
    pub video_muted: bool,
    pub audio_only: bool,
    pub hand_raised_at: Option<u64>,
    /// Once raised, a lowered hand is sent as an empty element so receivers see the change.
    pub hand_ever_raised: bool,
    /// Our screen share (`ENDPOINT-v1`, videoType desktop) is on.
    pub screen_sharing: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SourceState {
    muted: bool,
    #[serde(rename = "videoType", skip_serializing_if = "Option::is_none")]
    video_type: Option<String>,
}

impl LocalPresence {
    /// The presence to send to our occupant JID. `join` adds the MUC join element (and the
    /// password), which lib-jitsi-meet sends only on the initial presence.
    pub fn to_element(&self, occupant: &Jid, join: Option<Option<&str>>) -> Element {
        let mut p = Element::new("presence", ns::CLIENT).attr("to", occupant.to_string());
        if let Some(password) = join {
            let mut x = Element::new("x", ns::MUC);
            if let Some(pw) = password {
                x.push_child(Element::new("password", ns::MUC).text(pw));
            }
            p.push_child(x);
        }
        p.push_child(Element::new("stats-id", ns::CLIENT).text(&self.stats_id));
        p.push_child(caps::caps_element());
        p.push_child(Element::new("jitsi_participant_codecList", ns::CLIENT).text(CODEC_LIST));
        if let Some(name) = &self.display_name {
            p.push_child(Element::new("nick", ns::NICK).text(name));
        }
        if let Some(email) = &self.email {
            p.push_child(Element::new("email", ns::CLIENT).text(email));
        }
        if let Some(avatar) = &self.avatar_url {
            p.push_child(Element::new("avatar-url", ns::CLIENT).text(avatar));
        }
        p.push_child(Element::new("SourceInfo", ns::CLIENT).text(self.source_info()));
        // Legacy mute elements for jigasi and older clients that predate SourceInfo.
        p.push_child(
            Element::new("audiomuted", ns::JITMEET_AUDIO).text(self.audio_muted.to_string()),
        );
        p.push_child(
            Element::new("videomuted", ns::JITMEET_VIDEO)
                .text((self.video_muted || self.audio_only).to_string()),
        );
        match self.hand_raised_at {
            Some(at) => p.push_child(
                Element::new("jitsi_participant_raisedHand", ns::CLIENT).text(at.to_string()),
            ),
            None if self.hand_ever_raised => {
                p.push_child(Element::new("jitsi_participant_raisedHand", ns::CLIENT))
            }
            None => {}
        }
        p
    }

    fn source_info(&self) -> String {
        let mut sources = BTreeMap::new();
        sources.insert(
            format!("{}-a0", self.endpoint_id),
            SourceState {
                muted: self.audio_muted,
                video_type: None,
            },
        );
        if !self.audio_only {
            sources.insert(
                format!("{}-v0", self.endpoint_id),
                SourceState {
                    muted: self.video_muted,
                    video_type: Some("camera".into()),
                },
            );
        }
        if self.screen_sharing {
            sources.insert(
                format!("{}-v1", self.endpoint_id),
                SourceState {
                    muted: false,
                    video_type: Some("desktop".into()),
                },
            );
        }
        serde_json::to_string(&sources).expect("plain map serializes")
    }
}

/// A presence received from the room, decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccupantPresence {
    pub nick: EndpointId,
    pub available: bool,
    pub real_jid: Option<Jid>,
    pub role: Role,
    pub affiliation: Affiliation,
    pub statuses: Vec<u16>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub avatar_url: Option<String>,
    pub stats_id: Option<String>,
    pub audio_muted: bool,
    pub video_muted: bool,
    pub hand_raised_at: Option<u64>,
    /// The room was destroyed (an unavailable presence with `<destroy>`).
    pub destroyed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoomPresence {
    Occupant(OccupantPresence),
    /// An error in answer to our join or presence update.
    Error {
        error: StanzaError,
        lobby_room: Option<String>,
    },
}

pub fn parse(el: &Element, room: &Jid) -> Option<RoomPresence> {
    if el.name() != "presence" {
        return None;
    }
    let from = Jid::parse(el.get_attr("from")?)?;
    if from.bare() != *room {
        return None;
    }
    if el.get_attr("type") == Some("error") {
        return Some(RoomPresence::Error {
            error: stanza_error(el)?,
            lobby_room: lobby_room(el),
        });
    }
    let nick = EndpointId::new(from.resource()?);
    let available = el.get_attr("type") != Some("unavailable");
    let x = el.get_child("x", ns::MUC_USER);
    let item = x.and_then(|x| x.get_child("item", ns::MUC_USER));
    let statuses = x
        .map(|x| {
            x.children_named("status", ns::MUC_USER)
                .filter_map(|s| s.get_attr("code")?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let (audio_muted, video_muted) = mute_state(el, &nick);
    let text = |name: &str| profile_text(el.child_text(name, ns::CLIENT), name, &nick);
    Some(RoomPresence::Occupant(OccupantPresence {
        real_jid: item.and_then(|i| i.get_attr("jid")).and_then(Jid::parse),
        role: item
            .and_then(|i| i.get_attr("role"))
            .map(parse_role)
            .unwrap_or(Role::Participant),
        affiliation: item
            .and_then(|i| i.get_attr("affiliation"))
            .map(parse_affiliation)
            .unwrap_or(Affiliation::None),
        statuses,
        display_name: profile_text(el.child_text("nick", ns::NICK), "nick", &nick),
        email: text("email"),
        avatar_url: text("avatar-url"),
        stats_id: text("stats-id"),
        audio_muted,
        video_muted,
        hand_raised_at: text("jitsi_participant_raisedHand").and_then(|t| parse_raised_hand(&t)),
        destroyed: x
            .and_then(|x| x.get_child("destroy", ns::MUC_USER))
            .is_some(),
        nick,
        available,
    }))
}

fn profile_text(text: Option<String>, what: &str, nick: &EndpointId) -> Option<String> {
    let text = text?.trim().to_string();
    if text.len() > MAX_PROFILE_TEXT_BYTES {
        log::debug!("ignoring a {} byte {what} from {nick}", text.len());
        return None;
    }
    Some(text).filter(|t| !t.is_empty())
}

/// Mute state the way jicofo derives it: from SourceInfo when present (muted unless some source
/// of that kind, named after the sender, is unmuted), else from the legacy elements, else muted.
fn mute_state(el: &Element, nick: &EndpointId) -> (bool, bool) {
    if let Some(info) = el.get_child("SourceInfo", ns::CLIENT) {
        let json = info.text_content();
        if json.len() <= MAX_SOURCE_INFO_BYTES {
            if let Ok(map) = serde_json::from_str::<BTreeMap<String, SourceState>>(&json) {
                let unmuted = |kind: &str| {
                    map.iter().any(|(name, s)| {
                        !s.muted
                            && name
                                .strip_prefix(nick.as_str())
                                .and_then(|rest| rest.strip_prefix('-'))
                                .is_some_and(|rest| rest.starts_with(kind))
                            && s.video_type.as_deref() != Some("desktop")
                    })
                };
                return (!unmuted("a"), !unmuted("v"));
            }
        }
        log::debug!("ignoring malformed SourceInfo from {nick}");
    }
    let legacy = |name: &str, namespace: &str| {
        el.get_child(name, namespace)
            .or_else(|| el.get_child(name, ns::CLIENT))
            .map(|e| e.text_content().trim() != "false")
            .unwrap_or(true)
    };
    (
        legacy("audiomuted", ns::JITMEET_AUDIO),
        legacy("videomuted", ns::JITMEET_VIDEO),
    )
}

/// lib-jitsi-meet: a timestamp in ms; "true" from old clients means "now"; empty or "false" is down.
fn parse_raised_hand(text: &str) -> Option<u64> {
    match text {
        "false" | "0" => None,
        "true" => Some(crate::time::unix_ms()),
        t => t.parse().ok().filter(|v| *v > 0),
    }
}

fn lobby_room(el: &Element) -> Option<String> {
    let error = el.get_child("error", ns::CLIENT);
    error
        .and_then(|e| e.get_child_any_ns("lobbyroom"))
        .or_else(|| el.get_child_any_ns("lobbyroom"))
        .map(|l| l.text_content().trim().to_string())
        .filter(|t| !t.is_empty())
}

pub fn parse_role(s: &str) -> Role {
    match s {
        "moderator" => Role::Moderator,
        "visitor" | "none" => Role::Visitor,
        _ => Role::Participant,
    }
}

pub fn parse_affiliation(s: &str) -> Affiliation {
    match s {
        "owner" => Affiliation::Owner,
        "admin" => Affiliation::Admin,
        "member" => Affiliation::Member,
        "outcast" => Affiliation::Outcast,
        _ => Affiliation::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse as parse_xml;

    fn room() -> Jid {
        Jid::parse("room@conference.meet.test").unwrap()
    }

    fn local() -> LocalPresence {
        LocalPresence {
            endpoint_id: EndpointId::new("abcd1234"),
            display_name: Some("Ann".into()),
            email: Some("ann@example.org".into()),
            avatar_url: Some("https://example.org/a.png".into()),
            stats_id: "Ann-x1".into(),
            audio_muted: true,
            video_muted: false,
            audio_only: false,
            hand_raised_at: Some(1_700_000_000_000),
            hand_ever_raised: true,
            screen_sharing: false,
        }
    }

    #[test]
    fn join_presence_carries_every_jitsi_element() {
        let occupant = room().with_resource("abcd1234");
        let xml = local().to_element(&occupant, Some(Some("s3cret"))).to_xml();
        for needle in [
            "<x xmlns=\"http://jabber.org/protocol/muc\"><password>s3cret</password></x>",
            "<stats-id>Ann-x1</stats-id>",
            "<c xmlns=\"http://jabber.org/protocol/caps\" hash=\"sha-1\" node=\"https://jitsi.org/jitsi-meet\"",
            "<jitsi_participant_codecList>h264</jitsi_participant_codecList>",
            "<nick xmlns=\"http://jabber.org/protocol/nick\">Ann</nick>",
            "<email>ann@example.org</email>",
            "<avatar-url>https://example.org/a.png</avatar-url>",
            r#"<SourceInfo>{"abcd1234-a0":{"muted":true},"abcd1234-v0":{"muted":false,"videoType":"camera"}}</SourceInfo>"#,
            "<audiomuted xmlns=\"http://jitsi.org/jitmeet/audio\">true</audiomuted>",
            "<videomuted xmlns=\"http://jitsi.org/jitmeet/video\">false</videomuted>",
            "<jitsi_participant_raisedHand>1700000000000</jitsi_participant_raisedHand>",
        ] {
            assert!(xml.contains(needle), "missing {needle} in {xml}");
        }
        let update = local().to_element(&occupant, None).to_xml();
        assert!(
            !update.contains("protocol/muc\""),
            "update repeats the join element"
        );
    }

    #[test]
    fn our_presence_decodes_to_what_we_sent() {
        let occupant = room().with_resource("abcd1234");
        let mut sent = local().to_element(&occupant, None);
        sent.set_attr("from", occupant.to_string());
        let Some(RoomPresence::Occupant(p)) = parse(
            &parse_xml(&sent.to_xml(), &Default::default()).unwrap(),
            &room(),
        ) else {
            panic!("not an occupant presence");
        };
        assert_eq!(p.display_name.as_deref(), Some("Ann"));
        assert_eq!(p.email.as_deref(), Some("ann@example.org"));
        assert_eq!(p.avatar_url.as_deref(), Some("https://example.org/a.png"));
        assert_eq!(p.stats_id.as_deref(), Some("Ann-x1"));
        assert!(p.audio_muted);
        assert!(!p.video_muted);
        assert_eq!(p.hand_raised_at, Some(1_700_000_000_000));
        let lowered = LocalPresence {
            hand_raised_at: None,
            ..local()
        }
        .to_element(&occupant, None)
        .to_xml();
        assert!(lowered.contains("<jitsi_participant_raisedHand/>"));
    }

    #[test]
    fn decodes_a_lib_jitsi_meet_occupant() {
        let el = parse_xml("<presence xmlns='jabber:client' from='room@conference.meet.test/5e6f7a8b'>\
            <x xmlns='http://jabber.org/protocol/muc#user'><item jid='u1@meet.test/r' affiliation='owner' role='moderator'/>\
            <status code='110'/></x><nick xmlns='http://jabber.org/protocol/nick'>Bo</nick>\
            <SourceInfo>{\"5e6f7a8b-a0\":{\"muted\":false},\"5e6f7a8b-v0\":{\"muted\":true,\"videoType\":\"camera\"},\
            \"intruder-a0\":{\"muted\":false}}</SourceInfo></presence>", &Default::default()).unwrap();
        let Some(RoomPresence::Occupant(p)) = parse(&el, &room()) else {
            panic!()
        };
        assert_eq!(p.nick.as_str(), "5e6f7a8b");
        assert_eq!(p.role, Role::Moderator);
        assert_eq!(p.affiliation, Affiliation::Owner);
        assert_eq!(p.statuses, vec![110]);
        assert_eq!(p.real_jid.unwrap().to_string(), "u1@meet.test/r");
        assert!(!p.audio_muted);
        assert!(p.video_muted);
    }

    #[test]
    fn legacy_mute_elements_and_hostile_source_info() {
        let legacy = parse_xml("<presence xmlns='jabber:client' from='room@conference.meet.test/x'>\
            <audiomuted xmlns='http://jitsi.org/jitmeet/audio'>false</audiomuted><videomuted>false</videomuted></presence>", &Default::default()).unwrap();
        let Some(RoomPresence::Occupant(p)) = parse(&legacy, &room()) else {
            panic!()
        };
        assert!(!p.audio_muted && !p.video_muted);
        let hostile = format!("<presence xmlns='jabber:client' from='room@conference.meet.test/x'><SourceInfo>{}</SourceInfo></presence>", "[".repeat(20000));
        let Some(RoomPresence::Occupant(p)) =
            parse(&parse_xml(&hostile, &Default::default()).unwrap(), &room())
        else {
            panic!()
        };
        assert!(p.audio_muted && p.video_muted);
    }

    #[test]
    fn absurdly_long_profile_fields_are_taken_as_absent() {
        let long = "n".repeat(MAX_PROFILE_TEXT_BYTES + 1);
        let fits = "f".repeat(MAX_PROFILE_TEXT_BYTES);
        let el = parse_xml(
            &format!(
                "<presence xmlns='jabber:client' from='room@conference.meet.test/x'>\
            <nick xmlns='http://jabber.org/protocol/nick'>{long}</nick><email>{long}</email>\
            <avatar-url>{long}</avatar-url><stats-id>{fits}</stats-id></presence>"
            ),
            &Default::default(),
        )
        .unwrap();
        let Some(RoomPresence::Occupant(p)) = parse(&el, &room()) else {
            panic!()
        };
        assert_eq!((p.display_name, p.email, p.avatar_url), (None, None, None));
        assert_eq!(p.stats_id, Some(fits));
    }

    #[test]
    fn join_errors_carry_the_lobby_room() {
        let el = parse_xml("<presence xmlns='jabber:client' from='room@conference.meet.test/me' type='error'>\
            <error type='auth' code='407'><registration-required xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>\
            <lobbyroom xmlns='http://jitsi.org/jitmeet'>room@lobby.meet.test</lobbyroom></error>\
            <lobbyroom>room@lobby.meet.test</lobbyroom></presence>", &Default::default()).unwrap();
        let Some(RoomPresence::Error { error, lobby_room }) = parse(&el, &room()) else {
            panic!()
        };
        assert_eq!(error.condition, "registration-required");
        assert_eq!(lobby_room.as_deref(), Some("room@lobby.meet.test"));
    }

    #[test]
    fn ignores_presence_from_elsewhere() {
        let el = parse_xml(
            "<presence xmlns='jabber:client' from='other@conference.meet.test/x'/>",
            &Default::default(),
        )
        .unwrap();
        assert!(parse(&el, &room()).is_none());
    }
}
