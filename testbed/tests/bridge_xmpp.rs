//! The bridge end to end through Prosody: two minimal XMPP clients (WebSocket, anonymous login)
//! that advertise Jingle RTP ask the focus for the room, join, answer its disco#info, get a
//! session-initiate routed through the MUC, answer it with webrtc-rs via the SDK's Jingle
//! translator, and Bob hears Ann's tone through the bridge; Ann gets Bob's sources in a
//! source-add. Raw clients, so the focus and bridge are checked stanza by stanza apart from the
//! SDK's conference (which `conference_bridge.rs` runs on them).

mod bridge_common;
mod common;
mod raw_xmpp;

use omni_jitsi_core::jingle::{encode_jingle, parse_jingle, remote_sources, Jingle};
use omni_jitsi_core::xml::Element;
use omni_jitsi_core::xmpp::ns;
use omni_jitsi_media::session::{MediaSession, SessionEvent};
use tokio::sync::mpsc::UnboundedReceiver;

use bridge_common::{answer_offer, tone_heard, until_connected};
use common::testbed;
use raw_xmpp::{connect, Client};

struct Member {
    client: Client,
    session: MediaSession,
    events: UnboundedReceiver<SessionEvent>,
    offer: Jingle,
}

/// Asks the focus for the room and joins it as `nick`.
async fn arrive(url: &str, domain: &str, focus: &str, room: &str, nick: &str) -> Client {
    let mut client = connect(url, domain).await;
    client
        .send(format!(
            "<iq xmlns='jabber:client' type='set' id='conf' to='{focus}'>\
             <conference xmlns='http://jitsi.org/protocol/focus' room='{room}' machine-uid='{nick}'/></iq>"
        ))
        .await;
    client
        .expect("the room ready", |e| {
            e.get_child("conference", "http://jitsi.org/protocol/focus")
                .and_then(|c| c.get_attr("ready"))
                == Some("true")
        })
        .await;
    client
        .send(format!(
            "<presence xmlns='jabber:client' to='{room}/{nick}'><x xmlns='http://jabber.org/protocol/muc'/></presence>"
        ))
        .await;
    client
}

/// Advertises Jingle RTP when the focus asks, and answers its offer.
async fn take_offer(mut client: Client, room: &str, nick: &str) -> Member {
    let disco = client
        .expect("the focus's disco#info", |e| {
            e.get_attr("type") == Some("get") && e.get_child("query", ns::DISCO_INFO).is_some()
        })
        .await;
    client
        .send(format!(
            "<iq xmlns='jabber:client' type='result' id='{}' to='{}'><query xmlns='{}'>\
             <feature var='urn:xmpp:jingle:1'/><feature var='urn:xmpp:jingle:apps:rtp:audio'/>\
             <feature var='urn:xmpp:jingle:apps:rtp:video'/></query></iq>",
            disco.get_attr("id").unwrap(),
            disco.get_attr("from").unwrap(),
            ns::DISCO_INFO
        ))
        .await;
    let initiate = client
        .expect("session-initiate", |e| {
            e.get_child("jingle", ns::JINGLE)
                .is_some_and(|j| j.get_attr("action") == Some("session-initiate"))
        })
        .await;
    let focus_occupant = initiate.get_attr("from").unwrap().to_string();
    assert_eq!(
        focus_occupant,
        format!("{room}/focus"),
        "routed through the MUC"
    );
    client
        .send(format!(
            "<iq xmlns='jabber:client' type='result' id='{}' to='{focus_occupant}'/>",
            initiate.get_attr("id").unwrap()
        ))
        .await;
    let offer = parse_jingle(initiate.get_child("jingle", ns::JINGLE).unwrap()).unwrap();

    let (session, events, accept) = answer_offer(nick, &offer, None).await;
    let iq = Element::new("iq", "jabber:client")
        .attr("type", "set")
        .attr("id", "accept")
        .attr("to", &focus_occupant)
        .child(encode_jingle(&accept));
    client.send(iq.to_xml()).await;
    let acked = client
        .expect("the accept acknowledged", |e| {
            e.get_attr("id") == Some("accept")
        })
        .await;
    assert_eq!(acked.get_attr("type"), Some("result"), "{}", acked.to_xml());
    Member {
        client,
        session,
        events,
        offer,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jingle_clients_meet_on_the_bridge_through_prosody() {
    let tb = testbed().await;
    assert!(
        tb.bridge().is_some(),
        "the testbed runs a bridge by default"
    );
    let room = format!("bridgee2e@{}", tb.muc_domain());
    let (url, domain, focus) = (tb.websocket_url(), tb.domain(), tb.focus_domain());
    // The focus invites nobody alone (min-participants 2): Bob's arrival brings both offers.
    let ann = arrive(&url, domain, focus, &room, "ann").await;
    let bob = arrive(&url, domain, focus, &room, "bob").await;
    let mut ann = take_offer(ann, &room, "ann").await;
    assert!(remote_sources(&ann.offer.contents, None)
        .unwrap()
        .iter()
        .all(|s| s.endpoint().is_none()));
    let mut bob = take_offer(bob, &room, "bob").await;
    let names: Vec<String> = remote_sources(&bob.offer.contents, None)
        .unwrap()
        .into_iter()
        .filter(|s| s.endpoint().map(|e| e.to_string()).as_deref() == Some("ann"))
        .filter_map(|s| s.name)
        .collect();
    assert_eq!(
        names.len(),
        2,
        "bob's offer has ann's audio and video: {names:?}"
    );
    let add = ann
        .client
        .expect("source-add with bob's sources", |e| {
            e.get_child("jingle", ns::JINGLE)
                .is_some_and(|j| j.get_attr("action") == Some("source-add"))
        })
        .await;
    let add = parse_jingle(add.get_child("jingle", ns::JINGLE).unwrap()).unwrap();
    assert!(remote_sources(&add.contents, None)
        .unwrap()
        .iter()
        .all(|s| s.endpoint().map(|e| e.to_string()).as_deref() == Some("bob")));

    until_connected(&mut ann.events, "ann").await;
    until_connected(&mut bob.events, "bob").await;
    let hz = tone_heard(&ann.session, &mut bob.events, "ann-a0", 587.0).await;
    assert!((hz - 587.0).abs() < 15.0, "bob hears {hz} Hz");
}
