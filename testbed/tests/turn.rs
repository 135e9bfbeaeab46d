//! The testbed's TURN server as clients see it: Prosody hands out credentials for it through
//! XEP-0215 as a docker-jitsi-meet deployment does, webrtc-rs's TURN client relays through it, and
//! a hand-built client checks RFC 8656 answer by answer (long-term credentials, permissions,
//! channels). Blackholed, it drops relayed media both ways until restored; hostile datagrams do not
//! stop it.

mod common;
mod raw_xmpp;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use omni_jitsi_core::xmpp::extdisco;
use omni_jitsi_media::session::IceServer;
use omni_jitsi_testbed::turn::{TurnCredentials, TurnServer};
use omni_jitsi_testbed::Testbed;
use rand::{Rng, SeedableRng};
use rtc::sansio::Protocol;
use rtc::shared::{TaggedBytesMut, TransportContext, TransportProtocol};
use rtc::stun::attributes::{ATTR_MESSAGE_INTEGRITY, ATTR_NONCE, ATTR_REALM, ATTR_USERNAME};
use rtc::stun::error_code::ErrorCodeAttribute;
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    Getter, Message, MessageType, Method, Setter, TransactionId, BINDING_REQUEST, BINDING_SUCCESS,
    CLASS_INDICATION, CLASS_REQUEST, CLASS_SUCCESS_RESPONSE, METHOD_ALLOCATE, METHOD_CHANNEL_BIND,
    METHOD_CREATE_PERMISSION, METHOD_DATA, METHOD_REFRESH, METHOD_SEND,
};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::client::{Client, ClientConfig, Event};
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use rtc::turn::proto::{Protocol as Transport, PROTO_UDP};
use tokio::net::UdpSocket;
use tokio::time::timeout;

use common::{init_logging, testbed_with_turn, WAIT};

/// How long "nothing arrives" is watched for: loopback delivers in microseconds, and the same
/// exchange is checked to work right before.
const SILENCE: Duration = Duration::from_millis(500);
const SECRET: &str = "the testbed's TURN secret";
const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn prosody_hands_out_turn_credentials_the_turn_server_accepts() {
    let mut tb = testbed_with_turn().await;
    let turn = tb.turn().expect("the testbed runs a TURN server");
    let port = turn.port();
    let server = turn.addr();

    let servers = ask_for_ice_servers(&tb).await;
    let urls: Vec<&str> = servers.iter().map(|s| s.url.as_str()).collect();
    let stun = format!("stun:127.0.0.1:{port}");
    let relay = format!("turn:127.0.0.1:{port}");
    assert_eq!(urls, [stun.as_str(), relay.as_str()]);

    let offered = &servers[1];
    let credentials = TurnCredentials {
        username: offered.username.clone(),
        password: offered.credential.clone(),
    };
    let mut client = WebrtcTurn::new(server, &credentials).await;
    client.allocate().await;
    assert_eq!(tb.turn().map(|t| t.stats().allocations), Some(1));

    tb.restart_prosody().await.expect("prosody restarts");
    let again = ask_for_ice_servers(&tb).await;
    let urls_again: Vec<&str> = again.iter().map(|s| s.url.as_str()).collect();
    assert_eq!(
        urls_again, urls,
        "a restarted Prosody advertises the same server"
    );
}

#[tokio::test]
async fn webrtc_s_turn_client_relays_to_a_peer_and_back() {
    let turn = turn_server().await;
    let credentials = turn.credentials(HOUR).unwrap();
    let mut client = WebrtcTurn::new(turn.addr(), &credentials).await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();

    let relayed = client.allocate().await;
    client.permit(relayed, peer_addr).await;
    // The first datagram goes in a Send indication while the client binds a channel.
    client.send(relayed, b"ping", peer_addr).await;
    assert_eq!(receive(&peer).await, (b"ping".to_vec(), relayed));

    // Once the channel is bound the server answers on it.
    let on_channel = timeout(WAIT, async {
        loop {
            peer.send_to(b"pong", relayed).await.unwrap();
            match client.next_event().await {
                Event::DataIndicationOrChannelData(channel, from, data) => {
                    assert_eq!((from, &data[..]), (peer_addr, &b"pong"[..]));
                    if channel.is_some() {
                        return;
                    }
                }
                other => panic!("expected the peer's data, got {other:?}"),
            }
        }
    })
    .await;
    assert!(
        on_channel.is_ok(),
        "the peer's data never came on a channel"
    );

    client.send(relayed, b"over the channel", peer_addr).await;
    assert_eq!(
        receive(&peer).await,
        (b"over the channel".to_vec(), relayed)
    );
    let stats = turn.stats();
    assert_eq!(stats.allocations, 1);
    assert_eq!(stats.relayed_to_peers, 2);
    assert!(stats.relayed_to_clients >= 1, "{stats:?}");
}

#[tokio::test]
async fn allocate_takes_time_limited_credentials_from_the_shared_secret() {
    let turn = turn_server().await;
    let client = Raw::new(turn.addr()).await;

    let challenge = client.ask(&allocate(PROTO_UDP, None)).await;
    assert_eq!(error_code(&challenge), Some(401));
    assert!(!challenge.contains(ATTR_MESSAGE_INTEGRITY));
    let realm = text(&challenge, ATTR_REALM);
    let nonce = text(&challenge, ATTR_NONCE);
    assert_eq!(
        realm, "meet.test",
        "Jitsi's coturn uses the XMPP domain as realm"
    );
    let login = |credentials: &TurnCredentials| Auth::new(credentials, &realm, &nonce);

    let mut wrong = turn.credentials(HOUR).unwrap();
    wrong.password = "not the password".into();
    let refused = client.ask(&allocate(PROTO_UDP, Some(&login(&wrong)))).await;
    assert_eq!(error_code(&refused), Some(401), "a wrong password");
    let expired = turn.credentials_for("1000000000:ann").unwrap();
    let refused = client
        .ask(&allocate(PROTO_UDP, Some(&login(&expired))))
        .await;
    assert_eq!(error_code(&refused), Some(401), "an expired username");

    let credentials = turn.credentials(HOUR).unwrap();
    let forged = Auth::new(&credentials, &realm, "1-0123456789abcdef");
    let stale = client.ask(&allocate(PROTO_UDP, Some(&forged))).await;
    assert_eq!(error_code(&stale), Some(438));
    assert!(
        !text(&stale, ATTR_NONCE).is_empty(),
        "438 brings a fresh nonce"
    );

    let auth = login(&credentials);
    let tcp = client.ask(&allocate(Transport(6), Some(&auth))).await;
    assert_eq!(error_code(&tcp), Some(442));

    let request = signed(
        METHOD_ALLOCATE,
        vec![
            Box::new(RequestedTransport {
                protocol: PROTO_UDP,
            }),
            Box::new(Lifetime(Duration::from_secs(7200))),
        ],
        &auth,
    );
    let mut granted = client.ask(&request).await;
    assert_success(&granted, METHOD_ALLOCATE);
    let provider = rtc::crypto::default_provider().unwrap();
    MessageIntegrity::check(&mut granted, &auth.key, provider.crypto())
        .expect("the answer is signed with the credential's key");
    let mut relayed = RelayedAddress::default();
    relayed.get_from(&granted).unwrap();
    assert_eq!(relayed.ip.to_string(), "127.0.0.1");
    let mut mapped = XorMappedAddress::default();
    mapped.get_from(&granted).unwrap();
    assert_eq!(SocketAddr::new(mapped.ip, mapped.port), client.addr());
    let mut lifetime = Lifetime::default();
    lifetime.get_from(&granted).unwrap();
    assert_eq!(lifetime.0, HOUR, "capped at the maximum");

    let retransmitted = client.ask(&request).await;
    assert_eq!(
        retransmitted.raw, granted.raw,
        "a retransmission gets the same answer"
    );
    let second = client.ask(&allocate(PROTO_UDP, Some(&auth))).await;
    assert_eq!(error_code(&second), Some(437));

    let deleted = client
        .ask(&signed(
            METHOD_REFRESH,
            vec![Box::new(Lifetime(Duration::ZERO))],
            &auth,
        ))
        .await;
    assert_success(&deleted, METHOD_REFRESH);
    let gone = client
        .ask(&signed(
            METHOD_CREATE_PERMISSION,
            vec![Box::new(peer_address(client.addr()))],
            &auth,
        ))
        .await;
    assert_eq!(error_code(&gone), Some(437), "the allocation is gone");
    assert_eq!(turn.stats().allocations, 1);
}

#[tokio::test]
async fn permitted_peers_exchange_data_by_indications_then_over_a_channel() {
    let turn = turn_server().await;
    let (client, auth, relayed) = allocated(&turn).await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();

    client.send(&send_indication(peer_addr, b"early")).await;
    assert_silent(&peer, "data for a peer without permission").await;
    let permitted = client
        .ask(&signed(
            METHOD_CREATE_PERMISSION,
            vec![Box::new(peer_address(peer_addr))],
            &auth,
        ))
        .await;
    assert_success(&permitted, METHOD_CREATE_PERMISSION);

    client.send(&send_indication(peer_addr, b"hello")).await;
    assert_eq!(receive(&peer).await, (b"hello".to_vec(), relayed));
    peer.send_to(b"hi", relayed).await.unwrap();
    let indication = client.receive_message().await;
    assert_eq!(
        indication.typ,
        MessageType::new(METHOD_DATA, CLASS_INDICATION)
    );
    let mut from = PeerAddress::default();
    from.get_from(&indication).unwrap();
    assert_eq!(SocketAddr::new(from.ip, from.port), peer_addr);
    let mut data = Data::default();
    data.get_from(&indication).unwrap();
    assert_eq!(data.0, b"hi");

    bind_channel(&client, &auth, peer_addr).await;
    assert_relays_over_channel(&client, &peer, relayed).await;

    let out_of_range = client
        .ask(&signed(
            METHOD_CHANNEL_BIND,
            vec![
                Box::new(ChannelNumber(0x3fff)),
                Box::new(peer_address(peer_addr)),
            ],
            &auth,
        ))
        .await;
    assert_eq!(error_code(&out_of_range), Some(400));
    let another = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let taken = client
        .ask(&signed(
            METHOD_CHANNEL_BIND,
            vec![
                Box::new(ChannelNumber(CHANNEL)),
                Box::new(peer_address(another.local_addr().unwrap())),
            ],
            &auth,
        ))
        .await;
    assert_eq!(
        error_code(&taken),
        Some(400),
        "the channel is another peer's"
    );
}

#[tokio::test]
async fn a_blackholed_relay_drops_media_both_ways_until_restored() {
    let turn = turn_server().await;
    let (client, auth, relayed) = allocated(&turn).await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    bind_channel(&client, &auth, peer_addr).await;
    assert_relays_over_channel(&client, &peer, relayed).await;

    turn.blackhole(true);
    let before = turn.stats();
    client.send(&channel_data(b"into the void")).await;
    client
        .send(&send_indication(peer_addr, b"into the void"))
        .await;
    assert_silent(&peer, "relayed data while blackholed").await;
    peer.send_to(b"anyone there?", relayed).await.unwrap();
    assert_eq!(
        timeout(SILENCE, client.receive()).await.ok(),
        None,
        "the peer's data reached the client while blackholed"
    );
    let refreshed = client
        .ask(&signed(
            METHOD_REFRESH,
            vec![Box::new(Lifetime(Duration::from_secs(600)))],
            &auth,
        ))
        .await;
    assert_success(&refreshed, METHOD_REFRESH);
    assert_eq!(turn.stats(), before, "nothing counted as relayed");

    turn.blackhole(false);
    assert_relays_over_channel(&client, &peer, relayed).await;
}

#[tokio::test]
async fn hostile_datagrams_leave_the_server_answering_and_relaying() {
    let turn = turn_server().await;
    let (client, auth, relayed) = allocated(&turn).await;
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    bind_channel(&client, &auth, peer_addr).await;

    let mut rng = rand::rngs::StdRng::seed_from_u64(0x7e57);
    let mut hostile: Vec<Vec<u8>> = Vec::new();
    for len in 0..300 {
        let mut noise = vec![0u8; len];
        rng.fill(&mut noise[..]);
        hostile.push(noise.clone());
        // The same noise behind a STUN header with the magic cookie, and as ChannelData.
        if len >= 20 {
            noise[0] &= 0x3f;
            noise[4..8].copy_from_slice(&0x2112_a442_u32.to_be_bytes());
            hostile.push(noise.clone());
            noise[0] = 0x40;
            hostile.push(noise);
        }
    }
    let permission = signed(
        METHOD_CREATE_PERMISSION,
        vec![Box::new(peer_address(peer_addr))],
        &auth,
    );
    let send = send_indication(peer_addr, b"truncated");
    // Without its padding: a cut into the padding would still be whole ChannelData.
    let framed = channel_data(b"truncated");
    let unpadded = &framed[..4 + b"truncated".len()];
    for valid in [&permission.raw[..], &send[..], unpadded] {
        for len in 0..valid.len() {
            hostile.push(valid[..len].to_vec());
        }
    }
    for i in 0..permission.raw.len() {
        let mut flipped = permission.raw.clone();
        flipped[i] ^= 0xff;
        hostile.push(flipped);
    }
    // An attribute claiming more bytes than the message has, and a channel claiming more data.
    let mut overrun = permission.raw.clone();
    overrun[22..24].copy_from_slice(&u16::MAX.to_be_bytes());
    hostile.push(overrun);
    hostile.push(vec![0x40, 0x00, 0xff, 0xff, 1, 2, 3]);

    let stranger = Raw::new(turn.addr()).await;
    for datagram in &hostile {
        stranger.send(datagram).await;
        client.send(datagram).await;
    }

    let answer = stranger.ask(&binding()).await;
    assert_eq!(answer.typ, BINDING_SUCCESS, "the server still answers");
    let mut mapped = XorMappedAddress::default();
    mapped.get_from(&answer).unwrap();
    assert_eq!(SocketAddr::new(mapped.ip, mapped.port), stranger.addr());
    // The client's own answers to the hostile requests come before this one.
    assert_eq!(client.ask(&binding()).await.typ, BINDING_SUCCESS);
    assert_relays_over_channel(&client, &peer, relayed).await;
}

/// What the SDK does at login: extdisco:2 to the domain, read as the SDK reads it.
/// A TURN server alone, without Prosody.
async fn turn_server() -> TurnServer {
    init_logging();
    TurnServer::start(SECRET)
        .await
        .expect("the TURN server starts")
}

async fn ask_for_ice_servers(tb: &Testbed) -> Vec<IceServer> {
    let mut xmpp = raw_xmpp::connect(&tb.websocket_url(), tb.domain()).await;
    let query = extdisco::query("services", tb.domain(), extdisco::V2);
    xmpp.send(query.to_xml()).await;
    let result = xmpp
        .expect("the answer to extdisco:2", |e| {
            e.name() == "iq" && e.get_attr("id") == Some("services")
        })
        .await;
    assert_eq!(
        result.get_attr("type"),
        Some("result"),
        "{}",
        result.to_xml()
    );
    extdisco::parse(&result)
}

/// webrtc-rs's sans-IO TURN client, which the SDK's ICE agent uses, driven on a UDP socket.
struct WebrtcTurn {
    client: Client,
    socket: UdpSocket,
}

impl WebrtcTurn {
    async fn new(server: SocketAddr, credentials: &TurnCredentials) -> WebrtcTurn {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let config = ClientConfig {
            stun_serv_addr: server.to_string(),
            turn_serv_addr: server.to_string(),
            local_addr: socket.local_addr().unwrap(),
            transport_protocol: TransportProtocol::UDP,
            username: credentials.username.clone(),
            password: credentials.password.clone(),
            ..ClientConfig::default()
        };
        let provider = rtc::crypto::default_provider().unwrap();
        let client = Client::new(config, provider).expect("a TURN client");
        WebrtcTurn { client, socket }
    }

    async fn allocate(&mut self) -> SocketAddr {
        self.client.allocate(Instant::now()).unwrap();
        match self.next_event().await {
            Event::AllocateResponse(_, relayed) => relayed,
            other => panic!("no allocation: {other:?}"),
        }
    }

    async fn permit(&mut self, relayed: SocketAddr, peer: SocketAddr) {
        let mut relay = self.client.relay(relayed).unwrap();
        relay.create_permission(Instant::now(), peer).unwrap();
        match self.next_event().await {
            Event::CreatePermissionResponse(_, permitted) => assert_eq!(permitted, peer),
            other => panic!("no permission: {other:?}"),
        }
    }

    async fn send(&mut self, relayed: SocketAddr, data: &[u8], peer: SocketAddr) {
        let mut relay = self.client.relay(relayed).unwrap();
        relay.send_to(Instant::now(), data, peer).unwrap();
        self.flush().await;
    }

    async fn flush(&mut self) {
        while let Some(out) = self.client.poll_write() {
            let to = out.transport.peer_addr;
            self.socket.send_to(&out.message, to).await.unwrap();
        }
    }

    /// Runs the client (its sends, its timers, what arrives) until it reports something.
    async fn next_event(&mut self) -> Event {
        let local_addr = self.socket.local_addr().unwrap();
        let mut buf = vec![0u8; 65_535];
        let event = timeout(WAIT, async {
            loop {
                self.flush().await;
                if let Some(event) = self.client.poll_event() {
                    return event;
                }
                let wake = self.client.poll_timeout().unwrap_or(Instant::now() + WAIT);
                tokio::select! {
                    received = self.socket.recv_from(&mut buf) => {
                        let (n, from) = received.unwrap();
                        let _ = self.client.handle_read(TaggedBytesMut {
                            now: Instant::now(),
                            transport: TransportContext {
                                local_addr,
                                peer_addr: from,
                                transport_protocol: TransportProtocol::UDP,
                                ecn: None,
                            },
                            message: BytesMut::from(&buf[..n]),
                        });
                    }
                    // The client's own retransmission and refresh timers.
                    _ = tokio::time::sleep_until(wake.into()) => {
                        let _ = self.client.handle_timeout(Instant::now());
                    }
                }
            }
        })
        .await;
        event.expect("the TURN client never reported anything")
    }
}

/// A client that builds each STUN message itself, to check the server's every answer.
struct Raw {
    socket: UdpSocket,
    server: SocketAddr,
}

impl Raw {
    async fn new(server: SocketAddr) -> Raw {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        Raw { socket, server }
    }

    fn addr(&self) -> SocketAddr {
        self.socket.local_addr().unwrap()
    }

    async fn send(&self, datagram: &[u8]) {
        self.socket.send_to(datagram, self.server).await.unwrap();
    }

    /// Sends `request` and returns the answer to it, skipping anything else.
    async fn ask(&self, request: &Message) -> Message {
        self.send(&request.raw).await;
        let answer = timeout(WAIT, async {
            loop {
                let Some(m) = parse(&self.receive().await) else {
                    continue;
                };
                if m.transaction_id == request.transaction_id {
                    return m;
                }
            }
        })
        .await;
        answer.expect("the server never answered")
    }

    async fn receive(&self) -> Vec<u8> {
        let mut buf = vec![0u8; 65_535];
        let (n, _) = self.socket.recv_from(&mut buf).await.unwrap();
        buf.truncate(n);
        buf
    }

    async fn receive_message(&self) -> Message {
        let datagram = timeout(WAIT, self.receive()).await.expect("nothing came");
        parse(&datagram).expect("a STUN message")
    }
}

/// The long-term credential for signing requests (RFC 8489 §9.2).
struct Auth {
    username: String,
    realm: String,
    nonce: String,
    key: Vec<u8>,
}

impl Auth {
    fn new(credentials: &TurnCredentials, realm: &str, nonce: &str) -> Auth {
        let provider = rtc::crypto::default_provider().unwrap();
        let key = MessageIntegrity::long_term_integrity_key(
            credentials.username.clone(),
            realm.to_string(),
            credentials.password.clone(),
            provider.crypto(),
        )
        .unwrap();
        Auth {
            username: credentials.username.clone(),
            realm: realm.to_string(),
            nonce: nonce.to_string(),
            key,
        }
    }
}

const CHANNEL: u16 = 0x4000;

/// A client with an allocation, logged in as the 401 asked; and its relayed address.
async fn allocated(turn: &TurnServer) -> (Raw, Auth, SocketAddr) {
    let client = Raw::new(turn.addr()).await;
    let challenge = client.ask(&allocate(PROTO_UDP, None)).await;
    let auth = Auth::new(
        &turn.credentials(HOUR).unwrap(),
        &text(&challenge, ATTR_REALM),
        &text(&challenge, ATTR_NONCE),
    );
    let granted = client.ask(&allocate(PROTO_UDP, Some(&auth))).await;
    assert_success(&granted, METHOD_ALLOCATE);
    let mut relayed = RelayedAddress::default();
    relayed.get_from(&granted).unwrap();
    let relayed = SocketAddr::new(relayed.ip, relayed.port);
    (client, auth, relayed)
}

async fn bind_channel(client: &Raw, auth: &Auth, peer: SocketAddr) {
    let bound = client
        .ask(&signed(
            METHOD_CHANNEL_BIND,
            vec![
                Box::new(ChannelNumber(CHANNEL)),
                Box::new(peer_address(peer)),
            ],
            auth,
        ))
        .await;
    assert_success(&bound, METHOD_CHANNEL_BIND);
}

/// ChannelData from the client reaches the peer from the relayed address, and the peer's answer
/// comes back on the channel.
async fn assert_relays_over_channel(client: &Raw, peer: &UdpSocket, relayed: SocketAddr) {
    client.send(&channel_data(b"to the peer")).await;
    assert_eq!(receive(peer).await, (b"to the peer".to_vec(), relayed));
    peer.send_to(b"to the client", relayed).await.unwrap();
    let datagram = timeout(WAIT, client.receive()).await.expect("nothing came");
    let mut framed = ChannelData {
        raw: datagram,
        ..ChannelData::default()
    };
    framed.decode().expect("ChannelData");
    assert_eq!(framed.number, ChannelNumber(CHANNEL));
    assert_eq!(framed.data, b"to the client");
}

async fn receive(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    let (n, from) = timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .expect("nothing came")
        .unwrap();
    buf.truncate(n);
    (buf, from)
}

async fn assert_silent(socket: &UdpSocket, what: &str) {
    let mut buf = vec![0u8; 65_535];
    let arrived = timeout(SILENCE, socket.recv_from(&mut buf)).await;
    assert!(arrived.is_err(), "{what} arrived");
}

fn allocate(transport: Transport, auth: Option<&Auth>) -> Message {
    let attributes: Vec<Box<dyn Setter>> = vec![Box::new(RequestedTransport {
        protocol: transport,
    })];
    match auth {
        Some(auth) => signed(METHOD_ALLOCATE, attributes, auth),
        None => build(MessageType::new(METHOD_ALLOCATE, CLASS_REQUEST), attributes),
    }
}

fn binding() -> Message {
    build(BINDING_REQUEST, vec![Box::new(FINGERPRINT)])
}

fn signed(method: Method, unsigned: Vec<Box<dyn Setter>>, auth: &Auth) -> Message {
    let provider = rtc::crypto::default_provider().unwrap();
    let mut attributes: Vec<Box<dyn Setter + '_>> = Vec::new();
    for attribute in unsigned {
        attributes.push(attribute);
    }
    attributes.push(Box::new(TextAttribute::new(
        ATTR_USERNAME,
        auth.username.clone(),
    )));
    attributes.push(Box::new(TextAttribute::new(ATTR_REALM, auth.realm.clone())));
    attributes.push(Box::new(TextAttribute::new(ATTR_NONCE, auth.nonce.clone())));
    attributes.push(Box::new(MessageIntegrity::new_raw_integrity_with_provider(
        auth.key.clone(),
        provider.crypto(),
    )));
    attributes.push(Box::new(FINGERPRINT));
    build(MessageType::new(method, CLASS_REQUEST), attributes)
}

fn send_indication(peer: SocketAddr, data: &[u8]) -> Vec<u8> {
    build(
        MessageType::new(METHOD_SEND, CLASS_INDICATION),
        vec![Box::new(peer_address(peer)), Box::new(Data(data.to_vec()))],
    )
    .raw
}

fn channel_data(data: &[u8]) -> Vec<u8> {
    let mut framed = ChannelData {
        data: data.to_vec(),
        number: ChannelNumber(CHANNEL),
        raw: Vec::new(),
    };
    framed.encode();
    framed.raw
}

fn build(typ: MessageType, attributes: Vec<Box<dyn Setter + '_>>) -> Message {
    let mut setters: Vec<Box<dyn Setter + '_>> =
        vec![Box::new(TransactionId::new()), Box::new(typ)];
    setters.extend(attributes);
    let mut m = Message::new();
    m.build(&setters).expect("the message encodes");
    m
}

fn peer_address(addr: SocketAddr) -> PeerAddress {
    PeerAddress {
        ip: addr.ip(),
        port: addr.port(),
    }
}

fn parse(datagram: &[u8]) -> Option<Message> {
    let mut m = Message::new();
    m.unmarshal_binary(datagram).ok()?;
    Some(m)
}

fn error_code(m: &Message) -> Option<u16> {
    let mut code = ErrorCodeAttribute::default();
    code.get_from(m).ok()?;
    Some(code.code.0)
}

fn text(m: &Message, attribute: rtc::stun::attributes::AttrType) -> String {
    TextAttribute::get_from_as(m, attribute)
        .map(|t| t.text)
        .unwrap_or_default()
}

fn assert_success(answer: &Message, method: Method) {
    assert_eq!(
        answer.typ,
        MessageType::new(method, CLASS_SUCCESS_RESPONSE),
        "error {:?}",
        error_code(answer)
    );
}
