//! Three participants on the testbed bridge, each sending a tone at its own frequency: each
//! hears the other two at the right frequencies, the colibri-ws channel says hello, and the
//! dominant speaker follows the loudest.

mod bridge_common;

use std::collections::HashMap;
use std::time::Duration;

use bridge_common::{join, Participant, WAIT};
use futures_util::{SinkExt, StreamExt};
use omni_jitsi_core::bridge::message::{parse, FromBridge};
use omni_jitsi_media::audio::{Channels, FrameDuration, RemoteAudio};
use omni_jitsi_media::session::SessionEvent;
use omni_jitsi_media::signal::{dominant_frequency, ToneGenerator};
use omni_jitsi_testbed::bridge::Bridge;
use tokio::net::TcpStream;
use tokio::time::{interval, timeout, MissedTickBehavior};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const FRAME: FrameDuration = FrameDuration::Ms20;
type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn colibri(url: &str) -> Ws {
    let (ws, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("colibri-ws connects");
    ws
}

async fn next_message(ws: &mut Ws) -> FromBridge {
    loop {
        let frame = timeout(WAIT, ws.next())
            .await
            .expect("a bridge message in time")
            .expect("the socket stays open")
            .expect("a frame");
        if let Message::Text(text) = frame {
            return parse(&text).expect("the SDK reads what the bridge sends");
        }
    }
}

/// Sends tones until `until` sees what it waits for in a bridge message, pulling remote audio
/// like a device would; gives back what each participant heard from each source.
struct Room {
    participants: Vec<Participant>,
    tones: Vec<ToneGenerator>,
    remote: Vec<HashMap<String, RemoteAudio>>,
    heard: Vec<HashMap<String, Vec<i16>>>,
}

impl Room {
    async fn tick(&mut self) {
        for (p, tone) in self.participants.iter().zip(&mut self.tones) {
            p.session.send_audio(&tone.next_frame(FRAME)).await.unwrap();
        }
        for (i, p) in self.participants.iter_mut().enumerate() {
            while let Ok(event) = p.events.try_recv() {
                if let SessionEvent::RemoteAudio { source, audio } = event {
                    let name = source.name.expect("remote audio named from the offer");
                    self.remote[i].insert(name, audio);
                }
            }
            for (name, audio) in &self.remote[i] {
                let frame = audio.pull(FRAME.samples_per_channel()).unwrap();
                self.heard[i]
                    .entry(name.clone())
                    .or_default()
                    .extend(frame.samples);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_participants_hear_each_other_and_the_loudest_is_dominant() {
    let bridge = Bridge::start().await.expect("bridge");
    let ids = ["ann", "bob", "cat"];
    let participants = join(&bridge, &ids).await;
    let mut sockets = Vec::new();
    for p in &participants {
        let mut ws = colibri(&p.web_socket).await;
        assert!(
            matches!(next_message(&mut ws).await, FromBridge::ServerHello { .. }),
            "ServerHello comes first"
        );
        sockets.push(ws);
    }
    let frequencies = [440.0, 660.0, 990.0];
    // Ann is loud, the others quiet: Ann should become the dominant speaker.
    let amplitudes = [12000, 600, 600];
    let mut room = Room {
        tones: frequencies
            .iter()
            .zip(amplitudes)
            .map(|(hz, a)| ToneGenerator::new(*hz, a, Channels::Mono))
            .collect(),
        participants,
        remote: vec![HashMap::new(); 3],
        heard: vec![HashMap::new(); 3],
    };
    let mut clock = interval(Duration::from_millis(20));
    clock.set_missed_tick_behavior(MissedTickBehavior::Delay);
    for _ in 0..150 {
        clock.tick().await;
        room.tick().await;
    }
    let first = timeout(WAIT, async {
        loop {
            if let FromBridge::DominantSpeaker { endpoint, .. } =
                next_message(&mut sockets[1]).await
            {
                return endpoint;
            }
        }
    })
    .await
    .expect("a dominant speaker message in time");
    assert_eq!(first, "ann");

    for (i, id) in ids.iter().enumerate() {
        for (j, other) in ids.iter().enumerate() {
            let name = format!("{other}-a0");
            let heard = room.heard[i].get(&name);
            if i == j {
                assert!(heard.is_none(), "{id} hears itself");
                continue;
            }
            let heard = heard.unwrap_or_else(|| panic!("{id} never got {name}"));
            let last_second = &heard[heard.len().saturating_sub(48_000)..];
            let hz = dominant_frequency(last_second, 48_000);
            assert!(
                (hz - frequencies[j]).abs() < 15.0,
                "{id} hears {other} at {hz} Hz, sent {} Hz",
                frequencies[j]
            );
        }
    }

    // Cat gets loud and Ann quiet: the dominant speaker follows.
    room.tones[0] = ToneGenerator::new(frequencies[0], 300, Channels::Mono);
    room.tones[2] = ToneGenerator::new(frequencies[2], 16000, Channels::Mono);
    let followed = timeout(WAIT, async {
        loop {
            tokio::select! {
                _ = clock.tick() => room.tick().await,
                message = next_message(&mut sockets[0]) => {
                    if let FromBridge::DominantSpeaker { endpoint, .. } = message {
                        if endpoint == "cat" {
                            return;
                        }
                    }
                }
            }
        }
    })
    .await;
    assert!(followed.is_ok(), "the dominant speaker did not move to cat");
    assert!(bridge.stats().rtp_forwarded > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_messages_reach_one_or_everyone_and_junk_is_dropped() {
    let bridge = Bridge::start().await.expect("bridge");
    let participants = join(&bridge, &["ann", "bob", "cat"]).await;
    let mut sockets = Vec::new();
    for p in &participants {
        let mut ws = colibri(&p.web_socket).await;
        assert!(matches!(
            next_message(&mut ws).await,
            FromBridge::ServerHello { .. }
        ));
        sockets.push(ws);
    }
    let to_bob =
        r#"{"colibriClass":"EndpointMessage","to":"bob","msgPayload":{"type":"hi","n":1}}"#;
    sockets[0].send(Message::text(to_bob)).await.unwrap();
    let everyone = r#"{"colibriClass":"EndpointMessage","to":"","msgPayload":{"type":"all"}}"#;
    sockets[2].send(Message::text(everyone)).await.unwrap();

    let mut bob_got = Vec::new();
    timeout(WAIT, async {
        while bob_got.len() < 2 {
            if let FromBridge::EndpointMessage { from, payload } =
                next_message(&mut sockets[1]).await
            {
                bob_got.push((from, payload["type"].as_str().unwrap_or("").to_string()));
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("Bob got only {bob_got:?}"));
    bob_got.sort();
    assert_eq!(
        bob_got,
        [
            (Some("ann".to_string()), "hi".to_string()),
            (Some("cat".to_string()), "all".to_string())
        ]
    );
    // Ann gets only the broadcast: the message to Bob was his alone.
    let (from, payload) = timeout(WAIT, async {
        loop {
            if let FromBridge::EndpointMessage { from, payload } =
                next_message(&mut sockets[0]).await
            {
                return (from, payload);
            }
        }
    })
    .await
    .expect("an endpoint message for Ann in time");
    assert_eq!(from.as_deref(), Some("cat"));
    assert_eq!(payload["type"], "all");
}

#[tokio::test]
async fn a_wrong_colibri_password_is_refused() {
    let bridge = Bridge::start().await.expect("bridge");
    let transport = bridge.allocate("conf", "ann").unwrap();
    let wrong = transport.web_socket.replace("pwd=", "pwd=x");
    assert!(tokio_tungstenite::connect_async(&wrong).await.is_err());
    assert!(tokio_tungstenite::connect_async(&transport.web_socket)
        .await
        .is_ok());
}
