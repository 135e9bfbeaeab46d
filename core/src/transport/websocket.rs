//! The XMPP WebSocket (RFC 7395): subprotocol `xmpp`, one XML element per text message.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::handshake::client::generate_key;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::WebSocketStream;
use url::Url;

use super::policy::Policy;
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
    pub async fn connect(
        url: &Url,
        timeout: Duration,
        policy: &Policy,
    ) -> Result<XmppSocket, Error> {
        let limits = XmlLimits::default();
        // The frame limit sits above the stanza limit so that one oversized stanza relayed from
        // a hostile occupant is dropped by the parser instead of tearing down our connection.
        let ws = open(url, Some("xmpp"), limits.max_bytes * 4, timeout, policy).await?;
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

/// A WebSocket over our TCP/TLS stack (rustls, webpki roots and the app's), with a bound on
/// message size.
pub async fn open(
    url: &Url,
    subprotocol: Option<&'static str>,
    max_message_bytes: usize,
    timeout: Duration,
    policy: &Policy,
) -> Result<WebSocketStream<BoxedIo>, Error> {
    let shown = redact::url(url.as_str());
    policy.check(url)?;
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
    let mut io = connect(host, port, tls.then_some(policy), timeout).await?;
    let read_ahead = tokio::time::timeout(timeout, upgrade(&mut io, url, subprotocol))
        .await
        .map_err(|_| Error::ServerUnreachable {
            url: shown.clone(),
            detail: "WebSocket handshake timed out".into(),
        })?
        .map_err(|detail| Error::ServerUnreachable { url: shown, detail })?;
    let mut config = WebSocketConfig::default();
    config.max_message_size = Some(max_message_bytes);
    config.max_frame_size = Some(max_message_bytes);
    Ok(WebSocketStream::from_partially_read(io, read_ahead, Role::Client, Some(config)).await)
}

/// The opening handshake (RFC 6455 4.1), done here rather than by tungstenite, whose client
/// handshake logs the whole request at trace level: the URL's query with it, and so the token
/// (`?token=`) or the bridge password (`?pwd=`). Returns what the server sent after its answer.
async fn upgrade(
    io: &mut BoxedIo,
    url: &Url,
    subprotocol: Option<&str>,
) -> Result<Vec<u8>, String> {
    let key = generate_key();
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => return Err("no host".into()),
    };
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let protocol = subprotocol
        .map(|p| format!("Sec-WebSocket-Protocol: {p}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\
         Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {key}\r\n{protocol}\r\n"
    );
    io.write_all(request.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 2048];
    let end = loop {
        if let Some(i) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if raw.len() > MAX_RESPONSE_HEAD {
            return Err("the server's handshake answer is too long".into());
        }
        let n = io.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the server closed the connection during the WebSocket handshake".into());
        }
        raw.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    if status != "101" {
        return Err(format!(
            "the server answered HTTP {status} instead of opening the WebSocket"
        ));
    }
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    if header("Sec-WebSocket-Accept") != Some(derive_accept_key(key.as_bytes())) {
        return Err("the server's WebSocket handshake answer does not match our key".into());
    }
    if let Some(wanted) = subprotocol {
        if header("Sec-WebSocket-Protocol").as_deref() != Some(wanted) {
            return Err(format!(
                "the server did not agree to the {wanted} subprotocol"
            ));
        }
    }
    Ok(raw[end..].to_vec())
}

/// Far above any real handshake answer; a server sending more is not one.
const MAX_RESPONSE_HEAD: usize = 16 * 1024;
