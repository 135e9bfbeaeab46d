//! The XMPP WebSocket (RFC 7395): subprotocol `xmpp`, one XML element per text message.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;
use url::Url;

use super::stream::{connect, BoxedIo};
use crate::error::Error;
use crate::redact;
use crate::xml::{self, Element, XmlLimits};

pub struct XmppSocket {
    ws: WebSocketStream<BoxedIo>,
    limits: XmlLimits,
}

/// What arrived: a stanza, something unusable (dropped, the stream goes on), or the end.
pub enum Incoming {
    Element(Element),
    Dropped(String),
    Closed(String),
}

impl XmppSocket {
    pub async fn connect(url: &Url, timeout: Duration) -> Result<XmppSocket, Error> {
        let limits = XmlLimits::default();
        // The frame limit sits above the stanza limit so that one oversized stanza relayed from
        // a hostile occupant is dropped by the parser instead of tearing down our connection.
        let ws = open(url, Some("xmpp"), limits.max_bytes * 4, timeout).await?;
        Ok(XmppSocket { ws, limits })
    }

    pub async fn send(&mut self, el: &Element) -> Result<(), Error> {
        self.ws
            .send(Message::text(el.to_xml()))
            .await
            .map_err(|e| Error::ConnectionLost(e.to_string()))
    }

    pub async fn recv(&mut self) -> Incoming {
        loop {
            let msg = match self.ws.next().await {
                None => return Incoming::Closed("the server closed the connection".into()),
                Some(Err(tungstenite::Error::Capacity(e))) => {
                    return Incoming::Closed(format!("oversized message from the server: {e}"))
                }
                Some(Err(e)) => return Incoming::Closed(e.to_string()),
                Some(Ok(m)) => m,
            };
            let text = match msg {
                Message::Text(t) => t,
                Message::Close(_) => {
                    return Incoming::Closed("the server closed the connection".into())
                }
                Message::Binary(_) => return Incoming::Dropped("binary WebSocket message".into()),
                _ => continue,
            };
            return match xml::parse(text.as_str(), &self.limits) {
                Ok(el) => Incoming::Element(el),
                Err(e) => Incoming::Dropped(e.to_string()),
            };
        }
    }

    pub async fn close(&mut self) {
        let _ = self
            .ws
            .send(Message::text(
                Element::new("close", crate::xmpp::ns::FRAMING).to_xml(),
            ))
            .await;
        let _ = self.ws.close(None).await;
    }
}

/// A WebSocket over our TCP/TLS stack (rustls, webpki roots), with a bound on message size.
pub async fn open(
    url: &Url,
    subprotocol: Option<&'static str>,
    max_message_bytes: usize,
    timeout: Duration,
) -> Result<WebSocketStream<BoxedIo>, Error> {
    let shown = redact::url(url.as_str());
    let tls = match url.scheme() {
        "wss" => true,
        "ws" => false,
        other => {
            return Err(Error::InvalidServerUrl {
                url: shown,
                reason: format!("unsupported WebSocket scheme {other}"),
            })
        }
    };
    let host = url.host_str().ok_or_else(|| Error::InvalidServerUrl {
        url: shown.clone(),
        reason: "no host".into(),
    })?;
    let port = url
        .port_or_known_default()
        .unwrap_or(if tls { 443 } else { 80 });
    let io = connect(host, port, tls, timeout).await?;
    let mut request = url
        .as_str()
        .into_client_request()
        .map_err(|e| Error::InvalidServerUrl {
            url: shown.clone(),
            reason: e.to_string(),
        })?;
    if let Some(protocol) = subprotocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static(protocol));
    }
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(max_message_bytes);
    config.max_frame_size = Some(max_message_bytes);
    let (ws, _) = tokio::time::timeout(
        timeout,
        tokio_tungstenite::client_async_with_config(request, io, Some(config)),
    )
    .await
    .map_err(|_| Error::ServerUnreachable {
        url: shown.clone(),
        detail: "WebSocket handshake timed out".into(),
    })?
    .map_err(|e| Error::ServerUnreachable {
        url: shown,
        detail: handshake_error(&e),
    })?;
    Ok(ws)
}

fn handshake_error(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::Http(response) => format!(
            "the server answered HTTP {} instead of opening the WebSocket",
            response.status()
        ),
        other => other.to_string(),
    }
}
