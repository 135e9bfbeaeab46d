//! The P2P Jingle session as the state machine runs it, without sockets or a media engine: the
//! media engine's answers are fed back by hand.

use super::media::MAX_PENDING_CANDIDATES;
use super::tests::{config, drain, el, events, occupant, sent};
use super::*;
use crate::conference::media_command::MediaInput;
use crate::events::MediaKind;
use crate::jingle::{limits, parse_jingle, Action};

const ROOM: &str = "standup@conference.meet.test";
const ME: &str = "me000001";

fn local_offer() -> String {
    include_str!("../../jingle/fixtures/chromium-offer-p2p.sdp")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\r\n"))
        .collect()
}

pub(super) fn lib_jitsi_meet_offer() -> String {
    let xml = include_str!("../../jingle/fixtures/p2p-session-initiate.xml");
    xml[xml.find("<jingle").unwrap()..].to_string()
}

pub(super) fn member(nick: &str) -> Element {
    occupant(
        nick,
        "",
        &format!("<item jid='{nick}@meet.test/r' role='participant' affiliation='none'/>"),
    )
}

/// Joined with the given other participants; our SSRCs are the fixture SDP's.
pub(super) fn joined_with(peers: &[&str], now: Instant) -> (Conference, Vec<Output>) {
    let mut cfg = config();
    cfg.local_ssrcs = LocalSsrcs {
        audio: 2002,
        video: 4004,
        screen: 6006,
    };
    let mut c = Conference::new(cfg, now);
    let out = drain(&mut c);
    let id = sent(&out)[0].get_attr("id").unwrap().to_string();
    c.handle_stanza(
        &el(&format!(
            "<iq xmlns='jabber:client' type='result' id='{id}' from='focus.meet.test'>\
             <conference xmlns='http://jitsi.org/protocol/focus' ready='true'/></iq>"
        )),
        now,
    );
    drain(&mut c);
    for p in peers {
        c.handle_stanza(&member(p), now);
    }
    c.handle_stanza(
        &occupant(
            ME,
            "",
            "<item jid='me@meet.test/r' role='participant' affiliation='none'/><status code='110'/>",
        ),
        now,
    );
    let out = drain(&mut c);
    (c, out)
}

pub(super) fn media(outputs: &[Output]) -> Vec<&MediaCommand> {
    outputs
        .iter()
        .filter_map(|o| match o {
            Output::Media(m) => Some(m),
            _ => None,
        })
        .collect()
}

pub(super) fn jingle_sent(outputs: &[Output]) -> Vec<(String, Jingle)> {
    sent(outputs)
        .into_iter()
        .filter_map(|e| {
            let j = e.get_child("jingle", ns::JINGLE)?;
            Some((e.get_attr("to")?.to_string(), parse_jingle(j).unwrap()))
        })
        .collect()
}

pub(super) fn jingle_iq(from: &str, id: &str, jingle: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:client' type='set' id='{id}' from='{from}' to='me@meet.test/r'>{jingle}</iq>"
    ))
}

use crate::jingle::Jingle;

#[test]
fn with_one_peer_the_smaller_id_offers_trickles_and_applies_the_answer() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["zed00003"], now);
    // Media stays where it is until the new session connects.
    let [MediaCommand::SuspendP2p(true), MediaCommand::Offer { sid, muted }] = media(&out)[..]
    else {
        panic!("expected one offer command, got {:?}", media(&out));
    };
    assert_eq!(*muted, Muted::default());
    let sid = sid.clone();

    // A candidate the engine found before its offer was handed over waits for the offer.
    c.handle_media(
        MediaInput::LocalCandidate {
            sid: sid.clone(),
            candidate: "candidate:1 1 udp 2130706431 192.0.2.1 40000 typ host".into(),
        },
        now,
    );
    assert!(jingle_sent(&drain(&mut c)).is_empty());
    c.handle_media(
        MediaInput::LocalDescription {
            sid: sid.clone(),
            sdp: local_offer(),
        },
        now,
    );
    let sent_now = jingle_sent(&drain(&mut c));
    let [(to, initiate), (to2, info)] = &sent_now[..] else {
        panic!("expected session-initiate then transport-info, got {sent_now:?}");
    };
    assert_eq!(to, &format!("{ROOM}/zed00003"));
    assert_eq!(to2, to);
    assert_eq!(initiate.action, Action::SessionInitiate);
    assert_eq!(initiate.sid, sid);
    let named = |ssrc: u32| {
        initiate
            .contents
            .iter()
            .flat_map(|c| &c.description.as_ref().unwrap().sources)
            .find(|s| s.ssrc == ssrc)
            .and_then(|s| s.name.clone())
    };
    assert_eq!(named(2002), Some(format!("{ME}-a0")));
    assert_eq!(named(4004), Some(format!("{ME}-v0")));
    assert!(
        initiate
            .contents
            .iter()
            .all(|c| c.transport.as_ref().unwrap().candidates.is_empty()),
        "candidates go by trickle only"
    );
    assert_eq!(info.action, Action::TransportInfo);
    let cand = &info.contents[0].transport.as_ref().unwrap().candidates[0];
    assert_eq!((cand.ip.as_str(), cand.port), ("192.0.2.1", 40000));

    // The peer trickles before it answers: its candidates wait for the answer.
    let early = trickle(&sid, "0", ("u", "p"), 5000);
    c.handle_stanza(&jingle_iq(&format!("{ROOM}/zed00003"), "t1", &early), now);
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    assert!(media(&out).is_empty());

    let accept = lib_jitsi_meet_offer()
        .replace("session-initiate", "session-accept")
        .replace("p2p8s2k1bq5", &sid)
        .replace("a8f7g30b", "zed00003");
    c.handle_stanza(&jingle_iq(&format!("{ROOM}/zed00003"), "a1", &accept), now);
    let out = drain(&mut c);
    assert_eq!(
        sent(&out)[0].get_attr("type"),
        Some("result"),
        "acked first"
    );
    let commands = media(&out);
    let MediaCommand::SetAnswer { remote_names, .. } = commands[0] else {
        panic!("{commands:?}");
    };
    assert!(remote_names.contains(&(2002, "zed00003-a0".to_string())));
    let trickled: Vec<_> = commands[1..]
        .iter()
        .filter_map(|m| match m {
            MediaCommand::AddCandidate { candidate, .. } => Some(candidate.as_str()),
            _ => None,
        })
        .collect();
    assert!(
        trickled.iter().any(|c| c.contains("192.0.2.9 5000")),
        "{trickled:?}"
    );
    let added: Vec<_> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::RemoteTrackAdded {
                endpoint_id,
                source_name,
                kind,
            } => Some((endpoint_id.as_str().to_string(), source_name.clone(), *kind)),
            _ => None,
        })
        .collect();
    assert_eq!(
        added,
        [
            ("zed00003".into(), "zed00003-a0".into(), MediaKind::Audio),
            ("zed00003".into(), "zed00003-v0".into(), MediaKind::Video)
        ]
    );

    // A third participant ends P2P: terminate to the peer, close the session, tracks removed.
    c.handle_stanza(&member("yan00004"), now);
    let out = drain(&mut c);
    let terminate = jingle_sent(&out);
    assert_eq!(terminate[0].1.action, Action::SessionTerminate);
    assert!(media(&out).contains(&&MediaCommand::Close { sid: sid.clone() }));
    let removed = events(&out)
        .iter()
        .filter(|e| matches!(e, ConferenceEvent::RemoteTrackRemoved { .. }))
        .count();
    assert_eq!(removed, 2);
}

#[test]
fn an_offer_from_the_one_peer_is_acked_then_answered() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["a8f7g30b"], now);
    assert!(media(&out).is_empty(), "the smaller id offers, not us");
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "o1", &lib_jitsi_meet_offer()),
        now,
    );
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    let MediaCommand::Answer {
        sid,
        offer,
        remote_names,
        ..
    } = media(&out)[1]
    else {
        panic!("{:?}", media(&out));
    };
    assert_eq!(media(&out)[0], &MediaCommand::SuspendP2p(true));
    assert_eq!(sid, "p2p8s2k1bq5");
    assert!(offer.contains("a=ssrc:2002"));
    assert_eq!(
        remote_names,
        &[(2002, "a8f7g30b-a0".into()), (4004, "a8f7g30b-v0".into())]
    );
    c.handle_media(
        MediaInput::LocalDescription {
            sid: sid.clone(),
            sdp: local_offer(),
        },
        now,
    );
    let accept = jingle_sent(&drain(&mut c));
    assert_eq!(accept[0].1.action, Action::SessionAccept);
    assert_eq!(accept[0].1.sid, "p2p8s2k1bq5");

    // The peer ends it: the session closes.
    let terminate = "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='p2p8s2k1bq5'><reason><success/></reason></jingle>";
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "x1", terminate),
        now,
    );
    let out = drain(&mut c);
    assert!(media(&out).contains(&&MediaCommand::Close { sid: sid.clone() }));
}

#[test]
fn offers_outside_a_two_person_room_are_declined_and_strangers_are_refused() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a8f7g30b", "b9b9b9b9"], now);
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "o1", &lib_jitsi_meet_offer()),
        now,
    );
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    let declined = jingle_sent(&out);
    assert_eq!(declined[0].1.action, Action::SessionTerminate);
    assert_eq!(declined[0].1.reason.as_ref().unwrap().condition, "decline");
    assert!(media(&out).is_empty());

    // An offer from an address that is neither the focus nor an occupant: refused, and we stay.
    c.handle_stanza(
        &jingle_iq("focus@auth.meet.test/focus", "f1", &lib_jitsi_meet_offer()),
        now,
    );
    let out = drain(&mut c);
    let reply = sent(&out)[0];
    assert_eq!(reply.get_attr("type"), Some("error"));
    assert!(reply.to_xml().contains("item-not-found"));
    assert!(media(&out).is_empty());
    assert!(!c.is_ended());
}

#[test]
fn a_malformed_jingle_from_the_peer_is_a_bad_request_and_changes_nothing() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a8f7g30b"], now);
    let hostile = "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/>";
    c.handle_stanza(&jingle_iq(&format!("{ROOM}/a8f7g30b"), "h1", hostile), now);
    let out = drain(&mut c);
    assert!(sent(&out)[0].to_xml().contains("bad-request"));
    assert!(media(&out).is_empty());
}

#[test]
fn muting_reaches_the_media_engine() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["zed00003"], now);
    c.handle_command(1, Command::SetAudioMuted(true), now);
    let out = drain(&mut c);
    assert!(media(&out).contains(&&MediaCommand::SetMuted(Muted {
        audio: true,
        video: false
    })));
}

/// lib-jitsi-meet (SDPDiffer.toJingle) names the m-line by its mid in `<description media>`: in a
/// P2P session `0`, `1`. Refusing it made the browser drop its new source (and the track).
#[test]
fn a_source_add_naming_the_mid_as_media_adds_the_track() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a8f7g30b"], now);
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "o1", &lib_jitsi_meet_offer()),
        now,
    );
    drain(&mut c);
    c.handle_media(
        MediaInput::LocalDescription {
            sid: "p2p8s2k1bq5".into(),
            sdp: local_offer(),
        },
        now,
    );
    drain(&mut c);

    let add = |mid: &str, ssrc: u32| {
        format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='p2p8s2k1bq5'>\
             <content name='{mid}'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='{mid}'>\
             <source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{ssrc}'>\
             <parameter name='msid' value='s t'/></source></description></content></jingle>"
        )
    };
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "s1", &add("1", 7007)),
        now,
    );
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    let added: Vec<_> = events(&out)
        .into_iter()
        .filter_map(|e| match e {
            ConferenceEvent::RemoteTrackAdded {
                source_name, kind, ..
            } => Some((source_name.clone(), *kind)),
            _ => None,
        })
        .collect();
    // Unnamed (no sourceNameSignaling): named as lib-jitsi-meet would, after the offer's `-v0`.
    assert_eq!(added, [("a8f7g30b-v1".to_string(), MediaKind::Video)]);
    assert!(media(&out).contains(&&MediaCommand::NameSources {
        sid: "p2p8s2k1bq5".into(),
        names: vec![(7007, "a8f7g30b-v1".into())],
    }));

    // A mid the session does not have is still malformed.
    c.handle_stanza(
        &jingle_iq(&format!("{ROOM}/a8f7g30b"), "s2", &add("7", 8008)),
        now,
    );
    let out = drain(&mut c);
    assert!(sent(&out)[0].to_xml().contains("bad-request"));
    assert!(events(&out).is_empty());
}

/// A `transport-info` trickling one host candidate on `port` of content `content`, under the
/// given ICE credentials.
pub(super) fn trickle(sid: &str, content: &str, (ufrag, pwd): (&str, &str), port: u16) -> String {
    format!(
        "<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='{sid}'>\
         <content creator='initiator' name='{content}'>\
         <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='{ufrag}' pwd='{pwd}'>\
         <candidate foundation='2' component='1' protocol='udp' priority='1' ip='192.0.2.9' \
         port='{port}' type='host' generation='0'/></transport></content></jingle>"
    )
}

/// Until ICE restarts are implemented, the peer's new credentials in a `transport-info` are
/// refused rather than its candidates being added under the old ones.
#[test]
fn an_in_place_ice_restart_from_the_peer_is_refused_while_trickle_still_works() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a8f7g30b"], now);
    let from = format!("{ROOM}/a8f7g30b");
    c.handle_stanza(&jingle_iq(&from, "o1", &lib_jitsi_meet_offer()), now);
    drain(&mut c);
    let (ufrag, pwd) = ("wK9z", "d0QmYtXk3yq9mXH7fVhc8Lq1");

    c.handle_stanza(
        &jingle_iq(
            &from,
            "t1",
            &trickle("p2p8s2k1bq5", "0", (ufrag, pwd), 5000),
        ),
        now,
    );
    let out = drain(&mut c);
    assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
    assert!(media(&out).iter().any(|m| matches!(
        m,
        MediaCommand::AddCandidate { candidate, .. } if candidate.contains("192.0.2.9 5000")
    )));

    c.handle_stanza(
        &jingle_iq(
            &from,
            "t2",
            &trickle("p2p8s2k1bq5", "0", ("n3wu", "n3wpwd0000000000000000"), 5001),
        ),
        now,
    );
    let out = drain(&mut c);
    let reply = sent(&out)[0];
    assert_eq!(reply.get_attr("type"), Some("error"));
    assert!(
        reply.to_xml().contains("feature-not-implemented"),
        "{reply:?}"
    );
    assert!(media(&out).is_empty(), "the old credentials were kept");
    assert!(c.p2p.is_some(), "the session stays");
}

#[test]
fn after_a_p2p_failure_a_network_change_tries_p2p_again() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["zed00003"], now);
    let [MediaCommand::SuspendP2p(true), MediaCommand::Offer { sid: first, .. }] = media(&out)[..]
    else {
        panic!("expected an offer: {:?}", media(&out));
    };
    let first = first.clone();
    c.handle_media(
        MediaInput::Failed {
            sid: first.clone(),
            reason: "ICE failed".into(),
        },
        now,
    );
    let out = drain(&mut c);
    assert!(jingle_sent(&out)
        .iter()
        .any(|(_, j)| j.action == Action::SessionTerminate && j.sid == first));
    // Nothing more until something changes.
    c.handle_timeout(now + Duration::from_secs(60));
    assert!(media(&drain(&mut c)).is_empty());

    c.handle_command(1, Command::NetworkChanged, now + Duration::from_secs(61));
    let out = drain(&mut c);
    let [MediaCommand::SuspendP2p(true), MediaCommand::Offer { sid, .. }] = media(&out)[..] else {
        panic!("a new P2P offer: {:?}", media(&out));
    };
    assert_ne!(sid, &first);
}

/// The peer offered P2P (its id is smaller), and the session failed: after our network changed,
/// we offer, since the peer cannot know. Without a failure, a network change leaves the offer
/// to the peer.
#[test]
fn after_a_p2p_failure_the_side_that_answered_offers_on_a_network_change() {
    let now = Instant::now();
    let (mut c, _) = joined_with(&["a0000001"], now);
    c.handle_command(1, Command::NetworkChanged, now);
    assert!(
        !media(&drain(&mut c))
            .iter()
            .any(|m| matches!(m, MediaCommand::Offer { .. })),
        "the peer offers"
    );
    let from = format!("{ROOM}/a0000001");
    c.handle_stanza(&jingle_iq(&from, "o1", &lib_jitsi_meet_offer()), now);
    drain(&mut c);
    let terminate =
        "<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='p2p8s2k1bq5'>\
                     <reason><connectivity-error/><text>ICE FAILED</text></reason></jingle>";
    c.handle_stanza(&jingle_iq(&from, "t1", terminate), now);
    drain(&mut c);

    c.handle_command(2, Command::NetworkChanged, now + Duration::from_secs(1));
    let out = drain(&mut c);
    assert!(
        media(&out)
            .iter()
            .any(|m| matches!(m, MediaCommand::Offer { .. })),
        "we offer: {:?}",
        media(&out)
    );
}

/// One participant signals what Jicofo would let it: a peer flooding source-adds, or trickling
/// candidates while never answering, is held to that and to a fixed queue.
#[test]
fn a_flooding_peer_is_held_to_one_participants_sources_and_a_bounded_trickle() {
    let now = Instant::now();
    let (mut c, out) = joined_with(&["zed00003"], now);
    let [MediaCommand::SuspendP2p(true), MediaCommand::Offer { sid, .. }] = media(&out)[..] else {
        panic!("expected an offer, got {:?}", media(&out));
    };
    let sid = sid.clone();
    c.handle_media(
        MediaInput::LocalDescription {
            sid: sid.clone(),
            sdp: local_offer(),
        },
        now,
    );
    drain(&mut c);
    let peer = format!("{ROOM}/zed00003");
    for port in 0..MAX_PENDING_CANDIDATES as u16 + 50 {
        let info = trickle(&sid, "0", ("u", "p"), 5000 + port);
        c.handle_stanza(&jingle_iq(&peer, &format!("t{port}"), &info), now);
    }
    drain(&mut c);
    let accept = lib_jitsi_meet_offer()
        .replace("session-initiate", "session-accept")
        .replace("p2p8s2k1bq5", &sid)
        .replace("a8f7g30b", "zed00003");
    c.handle_stanza(&jingle_iq(&peer, "a1", &accept), now);
    let out = drain(&mut c);
    let queued = media(&out)
        .iter()
        .filter(|m| {
            matches!(m, MediaCommand::AddCandidate { candidate, .. } if candidate.contains("192.0.2.9"))
        })
        .count();
    assert_eq!(queued, MAX_PENDING_CANDIDATES);

    let mut named = 2;
    for ssrc in 7000..7000 + 2 * limits::MAX_PEER_SOURCES as u32 {
        let add = format!(
            "<jingle xmlns='urn:xmpp:jingle:1' action='source-add' sid='{sid}'>\
             <content name='1'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'>\
             <source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='{ssrc}'>\
             <parameter name='msid' value='s t{ssrc}'/></source></description></content></jingle>"
        );
        c.handle_stanza(&jingle_iq(&peer, &format!("s{ssrc}"), &add), now);
        let out = drain(&mut c);
        assert_eq!(sent(&out)[0].get_attr("type"), Some("result"));
        named += media(&out)
            .iter()
            .filter(|m| matches!(m, MediaCommand::NameSources { .. }))
            .count();
    }
    assert_eq!(named, limits::MAX_PEER_SOURCES);
    assert!(!c.is_ended());
}
