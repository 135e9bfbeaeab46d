//! A hostile occupant sends oversized, deeply nested and entity-laden stanzas; the SDK clients in
//! the room drop what they cannot accept and carry on.

mod common;

use common::*;
use futures_util::{SinkExt, StreamExt};
use omni_jitsi_core::ConferenceEvent;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn recv_until(ws: &mut Ws, needle: &str) {
    let found = tokio::time::timeout(WAIT, async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                if t.contains(needle) {
                    return true;
                }
            }
        }
        false
    })
    .await;
    assert_eq!(found, Ok(true), "raw client never saw {needle}");
}

async fn send(ws: &mut Ws, xml: String) {
    ws.send(Message::text(xml)).await.expect("raw send");
}

/// Logs in anonymously and joins the room without any SDK code: an attacker's client.
async fn hostile_occupant(websocket_url: &str, domain: &str, room_jid: &str) -> Ws {
    let mut request = websocket_url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "xmpp".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let open =
        format!("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0'/>");
    send(&mut ws, open.clone()).await;
    recv_until(&mut ws, "ANONYMOUS").await;
    send(
        &mut ws,
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>".into(),
    )
    .await;
    recv_until(&mut ws, "success").await;
    send(&mut ws, open).await;
    recv_until(&mut ws, "bind").await;
    send(&mut ws, "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".into()).await;
    recv_until(&mut ws, "</jid>").await;
    send(&mut ws, format!("<presence xmlns='jabber:client' to='{room_jid}/mallory'><x xmlns='http://jabber.org/protocol/muc'/>\
        <nick xmlns='http://jabber.org/protocol/nick'>Mallory</nick></presence>")).await;
    recv_until(&mut ws, "110").await;
    ws
}

#[tokio::test]
async fn hostile_stanzas_do_not_disturb_the_others() {
    let tb = testbed().await;
    let mut clients = join_all(&tb, "meet-hostile", &["Ann", "Bob"]).await;
    let room_jid = format!("meet-hostile@{}", tb.muc_domain());
    let mut ws = hostile_occupant(&tb.websocket_url(), tb.domain(), &room_jid).await;
    for c in clients.iter_mut() {
        c.expect_joined_participant("Mallory").await;
    }

    let deep = format!("{}x{}", "<b xmlns='urn:x'>".repeat(200), "</b>".repeat(200));
    send(&mut ws, format!("<message xmlns='jabber:client' to='{room_jid}' type='groupchat'><body>deep</body>{deep}</message>")).await;
    send(&mut ws, format!("<message xmlns='jabber:client' to='{room_jid}' type='groupchat'><body>{}</body></message>", "A".repeat(200 * 1024))).await;
    send(
        &mut ws,
        format!(
            "<presence xmlns='jabber:client' to='{room_jid}/mallory'><SourceInfo>{}</SourceInfo>\
        <nick xmlns='http://jabber.org/protocol/nick'>{}</nick></presence>",
            "{\"x\":".repeat(3000),
            "M".repeat(5000)
        ),
    )
    .await;
    send(&mut ws, format!("<message xmlns='jabber:client' to='{room_jid}' type='groupchat'><body>&#x1F600; &amp;amp; &lt;script&gt;</body></message>")).await;
    // Last, because Prosody rightly closes a stream that declares a DTD.
    send(&mut ws, format!("<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;'>]>\
        <message xmlns='jabber:client' to='{room_jid}' type='groupchat'><body>&lol2;</body></message>")).await;

    // Mallory's stanzas travel in order on one stream: when the harmless one arrives, the
    // deep and the oversized ones have been handled before it.
    let before = clients[1].chats_until("\u{1F600} &amp; <script>").await;
    assert!(
        before.is_empty(),
        "hostile stanzas reached the app: {:?}",
        before.iter().map(|m| m.text.len()).collect::<Vec<_>>()
    );

    clients[0]
        .meeting
        .send_chat("still here", None)
        .await
        .unwrap();
    let after = clients[1].chats_until("still here").await;
    assert!(
        after.iter().all(|m| !m.text.contains("lol")),
        "entities must never expand"
    );
    for c in clients.iter_mut() {
        while let Ok(e) = c.events.try_recv() {
            assert!(
                !matches!(e, ConferenceEvent::ConferenceTerminated { .. }),
                "{} was disturbed",
                c.name
            );
        }
        let others: Vec<String> = c
            .meeting
            .participants()
            .into_iter()
            .filter_map(|p| p.display_name)
            .collect();
        let expected = if c.name == "Ann" { "Bob" } else { "Ann" };
        assert!(
            others.iter().any(|n| n == expected),
            "{} lost track of the room: {others:?}",
            c.name
        );
    }
    for c in clients {
        c.hang_up().await;
    }
}
