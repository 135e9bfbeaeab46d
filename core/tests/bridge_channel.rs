//! The bridge channel against a real WebSocket server on loopback, playing the videobridge's
//! colibri-ws endpoint: what a client must do on open, on bridge messages and after a drop.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use omni_jitsi_core::bridge::{
    BridgeEvent, BridgeHandle, ReceiverVideoConstraints, ToBridge, VideoConstraints,
};
use omni_jitsi_core::transport::Policy;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

const WAIT: Duration = Duration::from_secs(10);

type Ws = WebSocketStream<tokio::net::TcpStream>;

// The handshake callback's Result type is tungstenite's, not ours to shrink.
#[allow(clippy::result_large_err)]
async fn accept(listener: &TcpListener) -> (Ws, String) {
    let (tcp, _) = tokio::time::timeout(WAIT, listener.accept())
        .await
        .expect("the client connects")
        .expect("accept");
    let mut path = String::new();
    let ws = tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, res: Response| {
        path = req.uri().to_string();
        Ok(res)
    })
    .await
    .expect("WebSocket handshake");
    (ws, path)
}

async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("a message from the client")
            .expect("the socket is open")
            .expect("a frame");
        if let Message::Text(text) = msg {
            return serde_json::from_str(text.as_str()).expect("JSON from the client");
        }
    }
}

async fn next_event(events: &mut mpsc::UnboundedReceiver<BridgeEvent>) -> BridgeEvent {
    tokio::time::timeout(WAIT, events.recv())
        .await
        .expect("an event in time")
        .expect("the channel task is alive")
}

#[tokio::test]
async fn the_channel_follows_the_bridge_through_a_drop_and_a_clean_close() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let url = format!("ws://127.0.0.1:{port}/colibri-ws/jvb-1/conf-1/a1b2c3d4?pwd=s3cret")
        .parse()
        .unwrap();
    let (tx, mut events) = mpsc::unbounded_channel();
    let handle = BridgeHandle::spawn(url, Policy::default(), tx);
    handle.set_receiver_constraints(ReceiverVideoConstraints {
        last_n: Some(1),
        default_constraints: Some(VideoConstraints { max_height: 180 }),
        ..Default::default()
    });

    let (mut ws, path) = accept(&listener).await;
    assert_eq!(path, "/colibri-ws/jvb-1/conf-1/a1b2c3d4?pwd=s3cret");
    assert_eq!(next_event(&mut events).await, BridgeEvent::Opened);
    let constraints = next_json(&mut ws).await;
    assert_eq!(constraints["colibriClass"], "ReceiverVideoConstraints");
    assert_eq!(constraints["lastN"], 1);

    ws.send(Message::text(
        r#"{"colibriClass":"ServerHello","version":"2.3"}"#,
    ))
    .await
    .unwrap();
    ws.send(Message::text("this is not JSON")).await.unwrap();
    ws.send(Message::text(
        r#"{"colibriClass":"DominantSpeakerEndpointChangeEvent","dominantSpeakerEndpoint":"e5f6a7b8","previousSpeakers":["a1b2c3d4"]}"#,
    ))
    .await
    .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        BridgeEvent::DominantSpeakerChanged {
            endpoint: "e5f6a7b8".into(),
            previous: vec!["a1b2c3d4".into()],
            silence: false
        }
    );

    handle
        .send(ToBridge::EndpointMessage {
            to: "e5f6a7b8".into(),
            payload: json!({"type": "hello"}),
        })
        .await
        .expect("sent while open");
    let message = next_json(&mut ws).await;
    assert_eq!(
        message,
        json!({"colibriClass": "EndpointMessage", "to": "e5f6a7b8", "msgPayload": {"type": "hello"}})
    );

    // The bridge goes away without a close frame: the client reports it and comes back.
    drop(ws);
    assert!(matches!(
        next_event(&mut events).await,
        BridgeEvent::Closed { .. }
    ));
    let (mut ws, _) = accept(&listener).await;
    assert_eq!(next_event(&mut events).await, BridgeEvent::Opened);
    let again = next_json(&mut ws).await;
    assert_eq!(again["colibriClass"], "ReceiverVideoConstraints");

    ws.send(Message::text(
        r#"{"colibriClass":"EndpointMessage","from":"e5f6a7b8","to":"","msgPayload":{"n":2}}"#,
    ))
    .await
    .unwrap();
    assert_eq!(
        next_event(&mut events).await,
        BridgeEvent::EndpointMessageReceived {
            from: Some("e5f6a7b8".into()),
            payload: json!({"n": 2})
        }
    );

    let closing = tokio::spawn(async move {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(_))) | None => return true,
                Some(Ok(_)) => continue,
                Some(Err(_)) => return false,
            }
        }
    });
    tokio::time::timeout(WAIT, handle.close())
        .await
        .expect("close returns");
    assert!(closing.await.unwrap(), "the bridge saw a close frame");
    assert!(handle
        .send(ToBridge::EndpointMessage {
            to: String::new(),
            payload: json!({})
        })
        .await
        .is_err());
}
