//! A minimal XMPP client over WebSocket (anonymous login, resource binding), for tests that
//! check Prosody and the focus stanza by stanza, apart from the SDK.

#![allow(dead_code)] // each test binary uses a different subset

use futures_util::{SinkExt, StreamExt};
use omni_jitsi_core::xml::{parse, Element, XmlLimits};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::common::WAIT;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct Client {
    ws: Ws,
    /// Stanzas read but not yet asked for.
    unread: Vec<Element>,
}

impl Client {
    pub async fn send(&mut self, xml: String) {
        self.ws.send(Message::text(xml)).await.expect("send");
    }

    pub async fn expect(&mut self, what: &str, matches: impl Fn(&Element) -> bool) -> Element {
        if let Some(i) = self.unread.iter().position(&matches) {
            return self.unread.remove(i);
        }
        let found = timeout(WAIT, async {
            while let Some(Ok(frame)) = self.ws.next().await {
                let Message::Text(text) = frame else { continue };
                let Ok(el) = parse(&text, &XmlLimits::default()) else {
                    continue;
                };
                if matches(&el) {
                    return Some(el);
                }
                self.unread.push(el);
            }
            None
        })
        .await;
        found
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("never got {what}"))
    }

    pub async fn expect_text(&mut self, needle: &str) {
        let found = timeout(WAIT, async {
            while let Some(Ok(frame)) = self.ws.next().await {
                if let Message::Text(t) = frame {
                    if t.contains(needle) {
                        return true;
                    }
                }
            }
            false
        })
        .await;
        assert_eq!(found, Ok(true), "never saw {needle}");
    }
}

pub async fn connect(url: &str, domain: &str) -> Client {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "xmpp".parse().unwrap());
    let (ws, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("connect");
    let mut c = Client {
        ws,
        unread: Vec::new(),
    };
    let open =
        format!("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0'/>");
    c.send(open.clone()).await;
    c.expect_text("ANONYMOUS").await;
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>".into())
        .await;
    c.expect_text("success").await;
    c.send(open).await;
    c.expect_text("bind").await;
    c.send("<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>".into()).await;
    c.expect_text("</jid>").await;
    c
}
