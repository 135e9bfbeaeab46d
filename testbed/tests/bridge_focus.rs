//! The focus's side of media, stanza by stanza (no Prosody): participants advertising Jingle RTP
//! get a session-initiate with the bridge transport, the colibri-ws URL and everyone else's
//! sources; session-accept brings source-add to the others; leaving brings source-remove; a
//! participant that refuses the offer or advertises no Jingle is left alone. The later joiner
//! then hears the earlier one's tone through the bridge, with the SDK's translator on both sides.

mod bridge_common;

use std::sync::Arc;

use bridge_common::{answer_offer, tone_heard, until_connected};
use omni_jitsi_core::jingle::{encode_jingle, parse_jingle, remote_sources, Action, Jingle, Owner};
use omni_jitsi_core::xml::{parse, Element, XmlLimits};
use omni_jitsi_core::xmpp::ns;
use omni_jitsi_core::EndpointId;
use omni_jitsi_media::session::{MediaSession, SessionEvent};
use omni_jitsi_testbed::bridge::Bridge;
use omni_jitsi_testbed::focus::Focus;
use omni_jitsi_testbed::{FocusBehaviour, FocusControl, ReinviteMethod};
use tokio::sync::mpsc::UnboundedReceiver;

const MUC: &str = "conference.meet.test";
const ROOM: &str = "standup@conference.meet.test";

fn el(xml: &str) -> Element {
    parse(xml, &XmlLimits::default()).unwrap()
}

fn joined_focus(bridge: Arc<Bridge>) -> Focus {
    joined_focus_as(FocusBehaviour::default(), bridge)
}

fn joined_focus_as(behaviour: FocusBehaviour, bridge: Arc<Bridge>) -> Focus {
    let mut focus = Focus::new(behaviour, MUC, "focus.meet.test").with_bridge(bridge);
    focus.handle(&el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='c1' from='ann@meet.test/r' to='focus.meet.test'>\
         <conference xmlns='http://jitsi.org/protocol/focus' room='{ROOM}'/></iq>"
    )));
    focus.handle(&el(&format!(
        "<presence xmlns='jabber:component:accept' from='{ROOM}/focus' to='focus@focus.meet.test/focus'>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='owner' role='moderator'/><status code='110'/></x></presence>"
    )));
    focus
}

fn presence(nick: &str, kind: &str) -> Element {
    el(&format!(
        "<presence xmlns='jabber:component:accept' from='{ROOM}/{nick}' to='focus@focus.meet.test/focus' {kind}>\
         <x xmlns='http://jabber.org/protocol/muc#user'><item jid='{nick}@meet.test/r' affiliation='none' role='participant'/></x></presence>"
    ))
}

/// The IQ the focus sent `nick` that carries a `<jingle>`, parsed.
fn jingle_to(out: &[Element], nick: &str) -> Option<(Element, Jingle)> {
    out.iter()
        .filter(|e| e.get_attr("to") == Some(&format!("{ROOM}/{nick}")))
        .find_map(|iq| {
            let j = iq.get_child("jingle", ns::JINGLE)?;
            Some((
                iq.clone(),
                parse_jingle(j).expect("the SDK parses the focus's Jingle"),
            ))
        })
}

/// Joins `nick`; with `features` its disco#info lists them. Returns what the focus sent back.
fn join(focus: &mut Focus, nick: &str, features: &[&str]) -> Vec<Element> {
    let out = focus.handle(&presence(nick, ""));
    answer_disco(focus, &out, nick, features)
}

/// Answers the focus's disco#info query to `nick` in `out` with `features`.
fn answer_disco(focus: &mut Focus, out: &[Element], nick: &str, features: &[&str]) -> Vec<Element> {
    let disco = out
        .iter()
        .find(|e| {
            e.get_attr("to") == Some(&format!("{ROOM}/{nick}"))
                && e.get_child("query", ns::DISCO_INFO).is_some()
        })
        .expect("the focus asks what the participant supports");
    let id = disco.get_attr("id").unwrap();
    let vars: String = features
        .iter()
        .map(|f| format!("<feature var='{f}'/>"))
        .collect();
    focus.handle(&el(&format!(
        "<iq xmlns='jabber:component:accept' type='result' id='{id}' from='{ROOM}/{nick}' to='focus@focus.meet.test/focus'>\
         <query xmlns='{}'>{vars}</query></iq>",
        ns::DISCO_INFO
    )))
}

struct Member {
    session: MediaSession,
    events: UnboundedReceiver<SessionEvent>,
}

/// Answers an offer as the SDK will: SDP through the translator, session-accept with our sources.
async fn answer(focus: &mut Focus, nick: &str, offer: &Jingle) -> (Member, Vec<Element>) {
    let (session, events, accept) =
        answer_offer(nick, offer, Some(format!("{nick}@meet.test/r"))).await;
    let iq = Element::new("iq", "jabber:component:accept")
        .attr("type", "set")
        .attr("id", format!("accept-{nick}"))
        .attr("from", format!("{ROOM}/{nick}"))
        .attr("to", "focus@focus.meet.test/focus")
        .child(encode_jingle(&accept));
    let out = focus.handle(&iq);
    assert!(
        out.iter()
            .any(|e| e.get_attr("id") == Some(&format!("accept-{nick}"))
                && e.get_attr("type") == Some("result")),
        "session-accept acknowledged"
    );
    (Member { session, events }, out)
}

fn owners(j: &Jingle) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = remote_sources(&j.contents, None)
        .unwrap()
        .into_iter()
        .filter_map(|s| match s.owner {
            Some(Owner::Endpoint(e)) => Some((e.to_string(), s.name?)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_focus_puts_jingle_participants_on_the_bridge() {
    let _ = env_logger::builder().is_test(true).try_init();
    let bridge = Arc::new(Bridge::start().await.unwrap());
    let mut focus = joined_focus(bridge.clone());
    let av = [
        "urn:xmpp:jingle:apps:rtp:audio",
        "urn:xmpp:jingle:apps:rtp:video",
    ];

    // Alone in the room, nobody is invited (Jicofo's min-participants, 2).
    let out = focus.handle(&presence("dan", ""));
    assert!(
        out.iter()
            .all(|e| e.get_child("query", ns::DISCO_INFO).is_none()),
        "the focus asked dan while alone"
    );
    // Ann's arrival brings both invitations; dan lists no Jingle features, so no offer for him.
    let both = focus.handle(&presence("ann", ""));
    let out = answer_disco(&mut focus, &both, "dan", &[]);
    assert!(jingle_to(&out, "dan").is_none());
    let out = answer_disco(&mut focus, &both, "ann", &av);
    let (_, ann_offer) = jingle_to(&out, "ann").expect("a session-initiate for ann");
    assert_eq!(ann_offer.action, Action::SessionInitiate);
    let url = ann_offer.web_socket_url().expect("a colibri-ws URL");
    assert!(
        url.starts_with("ws://127.0.0.1:") && url.contains("/colibri-ws/jvb1/standup/ann?pwd="),
        "{url}"
    );
    assert!(owners(&ann_offer).is_empty(), "nobody else yet");
    let (mut ann, _) = answer(&mut focus, "ann", &ann_offer).await;

    // An offer answered with an error: the participant stays, without media.
    let out = join(&mut focus, "eve", &av);
    let (iq, _) = jingle_to(&out, "eve").unwrap();
    let refused = focus.handle(&el(&format!(
        "<iq xmlns='jabber:component:accept' type='error' id='{}' from='{ROOM}/eve' to='focus@focus.meet.test/focus'>\
         <error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        iq.get_attr("id").unwrap()
    )));
    assert!(refused.is_empty());

    let out = join(&mut focus, "bob", &av);
    let (_, bob_offer) = jingle_to(&out, "bob").unwrap();
    assert_eq!(
        owners(&bob_offer),
        [
            ("ann".to_string(), "ann-a0".to_string()),
            ("ann".to_string(), "ann-v0".to_string())
        ]
    );
    let (mut bob, out) = answer(&mut focus, "bob", &bob_offer).await;
    let (_, add) = jingle_to(&out, "ann").expect("ann hears of bob's sources");
    assert_eq!(add.action, Action::SourceAdd);
    assert_eq!(
        owners(&add),
        [
            ("bob".to_string(), "bob-a0".to_string()),
            ("bob".to_string(), "bob-v0".to_string())
        ]
    );

    // Bob's offer had Ann's audio: he hears her tone through the bridge.
    until_connected(&mut bob.events, "bob").await;
    until_connected(&mut ann.events, "ann").await;
    let hz = tone_heard(&ann.session, &mut bob.events, "ann-a0", 523.0).await;
    assert!((hz - 523.0).abs() < 15.0, "bob hears {hz} Hz");

    let out = focus.handle(&presence("ann", "type='unavailable'"));
    let (_, remove) = jingle_to(&out, "bob").expect("bob hears ann's sources go");
    assert_eq!(remove.action, Action::SourceRemove);
    assert_eq!(owners(&remove).len(), 2);
    assert!(
        !bridge.is_connected("standup", "ann"),
        "ann's endpoint expired"
    );
}

/// A browser's `session-accept` as lib-jitsi-meet 2021 sends it without `sourceNameSignaling`:
/// unnamed sources, simulcast with RTX. `action` and `transport` vary for a later source-add.
fn browser_sources(action: &str, sid: &str, transport: &str) -> Element {
    let ssma = "urn:xmpp:jingle:apps:rtp:ssma:0";
    let source = |ssrc: u32, msid: &str| {
        format!(
            "<source xmlns='{ssma}' ssrc='{ssrc}'><parameter name='msid' value='{msid}'/></source>"
        )
    };
    let group = |semantics: &str, ssrcs: &[u32]| {
        let members: String = ssrcs
            .iter()
            .map(|s| format!("<source ssrc='{s}'/>"))
            .collect();
        format!("<ssrc-group xmlns='{ssma}' semantics='{semantics}'>{members}</ssrc-group>")
    };
    let video: String = [10, 20, 11, 12, 21, 22]
        .iter()
        .map(|s| source(*s, "bea-video-1 cam"))
        .collect();
    el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='{action}-bea' from='{ROOM}/bea' to='focus@focus.meet.test/focus'>\
         <jingle xmlns='urn:xmpp:jingle:1' action='{action}' sid='{sid}' responder='bea@meet.test/r'>\
         <content creator='initiator' name='audio'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>{}</description>{transport}</content>\
         <content creator='initiator' name='video'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='video'>{video}{}{}{}{}</description>{transport}</content>\
         </jingle></iq>",
        source(5, "bea-audio-1 mic"),
        group("FID", &[10, 20]),
        group("SIM", &[10, 11, 12]),
        group("FID", &[11, 21]),
        group("FID", &[12, 22]),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unnamed_simulcast_sources_are_relayed_as_jicofo_relays_them() {
    let bridge = Arc::new(Bridge::start().await.unwrap());
    let mut focus = joined_focus(bridge);
    let av = ["urn:xmpp:jingle:apps:rtp:audio"];
    // Someone without Jingle is there first, so bea's arrival reaches min-participants.
    focus.handle(&presence("dan", ""));
    let both = focus.handle(&presence("bea", ""));
    answer_disco(&mut focus, &both, "dan", &[]);
    let out = answer_disco(&mut focus, &both, "bea", &av);
    let (_, offer) = jingle_to(&out, "bea").unwrap();
    let transport = "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u1' pwd='p1p1p1p1p1p1p1p1p1p1p1p1'>\
         <fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='active'>AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB:AB</fingerprint></transport>";
    let out = focus.handle(&browser_sources("session-accept", &offer.sid, transport));
    assert!(
        out.iter().any(|e| e.get_attr("type") == Some("result")),
        "{out:?}"
    );

    let out = join(&mut focus, "cal", &av);
    let (_, cal_offer) = jingle_to(&out, "cal").unwrap();
    let bea: Vec<_> = remote_sources(&cal_offer.contents, None)
        .unwrap()
        .into_iter()
        .filter(|s| s.endpoint() == Some(&EndpointId::new("bea")))
        .collect();
    assert_eq!(bea.len(), 2, "one audio and one video source: {bea:?}");
    assert!(bea.iter().all(|s| s.name.is_none()), "relayed unnamed");
    let video = bea
        .iter()
        .find(|s| s.ssrcs.len() == 6)
        .expect("every layer and RTX");
    assert_eq!(video.primary_ssrc(), Some(10));
    assert_eq!(video.groups.len(), 4, "SIM and the three FIDs");
    assert_eq!(video.msid.as_deref(), Some("bea-video-1 cam"));

    // lib-jitsi-meet 2021 repeats its sources in a source-add: refused, nothing relayed.
    let out = focus.handle(&browser_sources("source-add", &offer.sid, ""));
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].get_attr("type"), Some("error"));
    assert!(out[0]
        .get_child("error", "jabber:component:accept")
        .and_then(|e| e.get_child("bad-request", ns::STANZAS))
        .is_some());
}

/// `session-terminate` from `nick` for `sid`, asking for a restart of `bridge_session`.
fn restart_request(id: &str, nick: &str, sid: &str, bridge_session: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='{id}' from='{ROOM}/{nick}' to='focus@focus.meet.test/focus'>\
         <jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='{sid}'>\
         <reason><connectivity-error/><text>ICE FAILED</text></reason>\
         <bridge-session xmlns='http://jitsi.org/protocol/focus' id='{bridge_session}' restart='true'/>\
         </jingle></iq>"
    ))
}

fn answered(out: &[Element], id: &str) -> Option<(String, Option<String>)> {
    let iq = out.iter().find(|e| e.get_attr("id") == Some(id))?;
    let condition = iq
        .get_child("error", "jabber:component:accept")
        .and_then(|e| e.children().next())
        .map(|c| c.name().to_string());
    Some((iq.get_attr("type")?.to_string(), condition))
}

/// Ann and Bob join with Jingle audio: Ann answers her offer, Bob's is out. Ann's media, her
/// offer, Bob's offer and the bridge session id the offers name.
async fn ann_on_the_bridge_bob_offered(focus: &mut Focus) -> (Member, Jingle, Jingle, String) {
    let av = ["urn:xmpp:jingle:apps:rtp:audio"];
    focus.handle(&presence("ann", ""));
    let both = focus.handle(&presence("bob", ""));
    let out = answer_disco(focus, &both, "ann", &av);
    let (_, ann_offer) = jingle_to(&out, "ann").unwrap();
    let (ann, _) = answer(focus, "ann", &ann_offer).await;
    let out = answer_disco(focus, &both, "bob", &av);
    let (_, bob_offer) = jingle_to(&out, "bob").unwrap();
    let session_id = ann_offer
        .bridge_session
        .as_ref()
        .and_then(|b| b.id.clone())
        .expect("Jicofo's offer names the bridge session");
    (ann, ann_offer, bob_offer, session_id)
}

/// Jicofo's terminate-restart (`Participant.onSessionTerminate`): a request naming the current
/// bridge session ends the session, tells the others the sources went, and offers a new session
/// at once; one naming another session is refused; requests beyond the rate limit (5 s apart)
/// end the session without a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_request_gets_a_new_session_within_jicofos_rules() {
    let bridge = Arc::new(Bridge::start().await.unwrap());
    let mut focus = joined_focus(bridge.clone());
    let (_ann, ann_offer, bob_offer, session_id) = ann_on_the_bridge_bob_offered(&mut focus).await;
    let (_bob, _) = answer(&mut focus, "bob", &bob_offer).await;

    let out = focus.handle(&restart_request("r0", "ann", &ann_offer.sid, "not-ours"));
    assert_eq!(
        answered(&out, "r0"),
        Some(("error".into(), Some("item-not-found".into())))
    );
    assert!(jingle_to(&out, "bob").is_none(), "nothing ended");

    let out = focus.handle(&restart_request("r1", "ann", &ann_offer.sid, &session_id));
    assert_eq!(answered(&out, "r1"), Some(("result".into(), None)));
    let (_, removed) = jingle_to(&out, "bob").expect("bob hears ann's sources go");
    assert_eq!(removed.action, Action::SourceRemove);
    let (_, again) = jingle_to(&out, "ann").expect("a new offer for ann");
    assert_eq!(again.action, Action::SessionInitiate);
    assert_ne!(again.sid, ann_offer.sid);
    assert_ne!(again.contents[0].transport, ann_offer.contents[0].transport);
    assert_eq!(
        owners(&again),
        [
            ("bob".to_string(), "bob-a0".to_string()),
            ("bob".to_string(), "bob-v0".to_string())
        ]
    );

    // At once again: inside Jicofo's 5 s minimum interval.
    let out = focus.handle(&restart_request("r2", "ann", &again.sid, &session_id));
    assert_eq!(
        answered(&out, "r2"),
        Some(("error".into(), Some("resource-constraint".into())))
    );
    assert!(jingle_to(&out, "ann").is_none(), "no new offer");
    assert!(!bridge.is_connected("standup", "ann"));
}

/// `session-info` from `nick` for `sid`, asking for an in-place ICE restart of `bridge_session`.
fn ice_restart_request(id: &str, nick: &str, sid: &str, bridge_session: &str) -> Element {
    el(&format!(
        "<iq xmlns='jabber:component:accept' type='set' id='{id}' from='{ROOM}/{nick}' to='focus@focus.meet.test/focus'>\
         <jingle xmlns='urn:xmpp:jingle:1' action='session-info' sid='{sid}'>\
         <bridge-session xmlns='http://jitsi.org/protocol/focus' id='{bridge_session}' ice-restart='true'/>\
         </jingle></iq>"
    ))
}

/// Jicofo's `onIceRestartRequest`: refused when disabled, beyond the rate limit (a budget of its
/// own) or for another bridge session; otherwise acked, and the bridge's new generation goes to
/// the participant alone in a `transport-info` with an `ice-generation`, the session and the
/// others untouched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_restart_request_gets_the_bridge_s_new_generation_within_jicofos_rules() {
    let bridge = Arc::new(Bridge::start().await.unwrap());
    let mut focus = joined_focus(bridge.clone());
    let (_ann, offer, bob_offer, session_id) = ann_on_the_bridge_bob_offered(&mut focus).await;
    let first = offer.contents[0].transport.clone().unwrap();

    let out = focus.handle(&ice_restart_request(
        "i0",
        "bob",
        &bob_offer.sid,
        "not-ours",
    ));
    assert_eq!(
        answered(&out, "i0"),
        Some(("error".into(), Some("item-not-found".into())))
    );

    let out = focus.handle(&ice_restart_request("i1", "ann", &offer.sid, &session_id));
    assert_eq!(answered(&out, "i1"), Some(("result".into(), None)));
    let (_, info) = jingle_to(&out, "ann").expect("the new generation for ann");
    assert_eq!(
        (info.action, info.sid.as_str()),
        (Action::TransportInfo, offer.sid.as_str())
    );
    let generation = info.contents[0].transport.clone().unwrap();
    assert_eq!(generation.ice_generation, Some(1));
    assert_ne!(generation.ufrag, first.ufrag);
    assert_ne!(generation.pwd, first.pwd);
    assert_eq!(
        generation.fingerprints, first.fingerprints,
        "DTLS carries on"
    );
    assert_eq!(generation.candidates.len(), 1);
    assert!(jingle_to(&out, "bob").is_none(), "nobody else hears of it");
    assert_eq!(bridge.stats().allocations, 2, "the same allocations");

    // Within Jicofo's 5 s minimum interval, a second one is refused; a session restart has a
    // budget of its own and still goes.
    let out = focus.handle(&ice_restart_request("i2", "ann", &offer.sid, &session_id));
    assert_eq!(
        answered(&out, "i2"),
        Some(("error".into(), Some("resource-constraint".into())))
    );
    let out = focus.handle(&restart_request("r1", "ann", &offer.sid, &session_id));
    assert_eq!(answered(&out, "r1"), Some(("result".into(), None)));
}

/// `jingle` from `nick`, as a `transport-accept`.
fn transport_accept(id: &str, nick: &str, mut jingle: Jingle) -> Element {
    jingle.action = Action::TransportAccept;
    Element::new("iq", "jabber:component:accept")
        .attr("type", "set")
        .attr("id", id)
        .attr("from", format!("{ROOM}/{nick}"))
        .attr("to", "focus@focus.meet.test/focus")
        .child(encode_jingle(&jingle))
}

/// Jicofo moving participants with `reinvite-method = ReplaceTransport`
/// (`ParticipantInviteRunnable` with `reInvite`): the same session gets a `transport-replace`
/// with the new bridge's transport, a new bridge session and everyone else's sources, and
/// nobody hears of sources going; the `transport-accept` gives the new bridge the transport,
/// and naming sources already in use in it is refused, as Jicofo's `tryToAdd` refuses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_with_transport_replace_keeps_the_sessions_and_their_sources() {
    let bridge = Arc::new(Bridge::start().await.unwrap());
    let behaviour = FocusBehaviour {
        reinvite: ReinviteMethod::ReplaceTransport,
        ..FocusBehaviour::default()
    };
    let mut focus = joined_focus_as(behaviour, bridge.clone());
    let (_ann, ann_offer, bob_offer, session_id) = ann_on_the_bridge_bob_offered(&mut focus).await;
    let (_bob, _) = answer(&mut focus, "bob", &bob_offer).await;
    let next = Arc::new(Bridge::start_as("jvb2").await.unwrap());

    let out = focus.control(FocusControl::MoveTo(next.clone()));
    let (_, replace) = jingle_to(&out, "ann").expect("ann's session moves");
    assert_eq!(
        (replace.action, replace.sid.as_str()),
        (Action::TransportReplace, ann_offer.sid.as_str())
    );
    let transport = replace.contents[0].transport.clone().unwrap();
    assert_ne!(transport, ann_offer.contents[0].transport.clone().unwrap());
    assert_ne!(
        replace.bridge_session.as_ref().and_then(|b| b.id.clone()),
        Some(session_id)
    );
    assert_eq!(
        owners(&replace),
        [
            ("bob".to_string(), "bob-a0".to_string()),
            ("bob".to_string(), "bob-v0".to_string())
        ]
    );
    assert!(
        out.iter()
            .filter_map(|e| e.get_child("jingle", ns::JINGLE))
            .all(|j| j.get_attr("action") == Some("transport-replace")),
        "no source-remove, no session-terminate"
    );

    // Bob's offer carries Ann's sources: Ann naming them again.
    let mut with_sources = bob_offer.clone();
    with_sources.sid.clone_from(&replace.sid);
    let out = focus.handle(&transport_accept("a1", "ann", with_sources));
    assert_eq!(
        answered(&out, "a1"),
        Some(("error".into(), Some("bad-request".into()))),
        "sources in use named again"
    );

    let mut transport_only = replace.clone();
    transport_only.groups.clear();
    for content in &mut transport_only.contents {
        content.description = None;
    }
    let out = focus.handle(&transport_accept("a2", "ann", transport_only));
    assert_eq!(answered(&out, "a2"), Some(("result".into(), None)));
    assert!(jingle_to(&out, "bob").is_none(), "bob hears of nothing");
    assert_eq!(next.stats().allocations, 2, "both on the new bridge");
}
