//! The colibri-ws server: `/colibri-ws/BRIDGE/CONF/ENDPOINT?pwd=...`, one WebSocket per
//! endpoint, JSON text frames (jitsi-videobridge's `ColibriWebSocketService`). A wrong path or
//! password gets HTTP 404/401 before the upgrade, as there.

use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::Message;

use super::conference::Core;
use super::{lock, send, MAX_MESSAGE_BYTES};

/// Serves the colibri-ws connections of the bridge named `bridge` (its id in the URL path).
pub(crate) async fn serve(listener: TcpListener, core: Arc<Mutex<Core>>, bridge: &'static str) {
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(connection(stream, core.clone(), bridge));
            }
            Err(e) => log::debug!("bridge: colibri-ws accept: {e}"),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Target {
    conference: String,
    endpoint: String,
    pwd: String,
}

fn parse_target(uri: &str, bridge_id: &str) -> Option<Target> {
    let (path, query) = uri.split_once('?')?;
    let mut parts = path.strip_prefix("/colibri-ws/")?.split('/');
    let (bridge, conference, endpoint) = (parts.next()?, parts.next()?, parts.next()?);
    if bridge != bridge_id || parts.next().is_some() || conference.is_empty() || endpoint.is_empty()
    {
        return None;
    }
    let pwd = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("pwd="))?
        .to_string();
    Some(Target {
        conference: conference.to_string(),
        endpoint: endpoint.to_string(),
        pwd,
    })
}

fn refuse(status: StatusCode) -> ErrorResponse {
    let mut response = ErrorResponse::new(None);
    *response.status_mut() = status;
    response
}

// The handshake callback's signature is tungstenite's; its error is the HTTP refusal itself.
#[allow(clippy::result_large_err)]
async fn connection(stream: TcpStream, core: Arc<Mutex<Core>>, bridge: &'static str) {
    let mut target = None;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let callback = |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
        let uri = request.uri().to_string();
        let Some(t) = parse_target(&uri, bridge) else {
            return Err(refuse(StatusCode::NOT_FOUND));
        };
        let opened = lock(&core).on_ws_open(&t.conference, &t.endpoint, &t.pwd, tx.clone());
        match opened {
            Ok(outs) => {
                target = Some((t, outs));
                Ok(response)
            }
            Err(super::BridgeError::Unauthorized) => Err(refuse(StatusCode::UNAUTHORIZED)),
            Err(_) => Err(refuse(StatusCode::NOT_FOUND)),
        }
    };
    let ws = match tokio_tungstenite::accept_hdr_async(stream, callback).await {
        Ok(ws) => ws,
        Err(e) => {
            log::debug!("bridge: colibri-ws handshake: {e}");
            return;
        }
    };
    let Some((target, outs)) = target else {
        return;
    };
    send(outs).await;
    let (mut sink, mut stream) = ws.split();
    loop {
        tokio::select! {
            text = rx.recv() => {
                let Some(text) = text else { break };
                if sink.send(Message::text(text)).await.is_err() {
                    break;
                }
            }
            message = stream.next() => {
                match message {
                    Some(Ok(Message::Text(text))) if text.len() <= MAX_MESSAGE_BYTES => {
                        let outs = lock(&core).on_ws_text(&target.conference, &target.endpoint, &text);
                        send(outs).await;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
        }
    }
    lock(&core).on_ws_closed(&target.conference, &target.endpoint);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_jitsi_videobridge_paths() {
        assert_eq!(
            parse_target("/colibri-ws/jvb1/c1/ep1?pwd=secret", "jvb1"),
            Some(Target {
                conference: "c1".into(),
                endpoint: "ep1".into(),
                pwd: "secret".into()
            })
        );
        assert_eq!(parse_target("/colibri-ws/jvb2/c1/ep1?pwd=x", "jvb1"), None);
        assert_eq!(parse_target("/colibri-ws/jvb1/c1/ep1", "jvb1"), None);
        assert_eq!(
            parse_target("/colibri-ws/jvb1/c1/ep1/x?pwd=x", "jvb1"),
            None
        );
    }
}
