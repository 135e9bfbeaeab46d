//! The TURN server's protocol, as a client sees coturn with `use-auth-secret`: it answers requests
//! arriving on the listening socket and moves data between clients and their peers, one datagram
//! at a time. Anything malformed is dropped without an answer.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::crypto::{CryptoError, RTCCryptoProvider};
use rtc::stun::attributes::{
    ATTR_FINGERPRINT, ATTR_MESSAGE_INTEGRITY, ATTR_NONCE, ATTR_REALM, ATTR_USERNAME,
};
use rtc::stun::error_code::{
    ErrorCode, CODE_ALLOC_MISMATCH, CODE_ALLOC_QUOTA_REACHED, CODE_BAD_REQUEST,
    CODE_INSUFFICIENT_CAPACITY, CODE_PEER_ADDR_FAMILY_MISMATCH, CODE_STALE_NONCE,
    CODE_UNAUTHORIZED, CODE_UNSUPPORTED_TRANS_PROTO, CODE_WRONG_CREDENTIALS,
};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    is_stun_message, Getter, Message, MessageType, TransactionId, CLASS_INDICATION, CLASS_REQUEST,
    CLASS_SUCCESS_RESPONSE, METHOD_ALLOCATE, METHOD_BINDING, METHOD_CHANNEL_BIND,
    METHOD_CREATE_PERMISSION, METHOD_DATA, METHOD_REFRESH, METHOD_SEND,
};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;
use rtc::turn::proto::chandata::ChannelData;
use rtc::turn::proto::channum::ChannelNumber;
use rtc::turn::proto::data::Data;
use rtc::turn::proto::lifetime::Lifetime;
use rtc::turn::proto::peeraddr::PeerAddress;
use rtc::turn::proto::relayaddr::RelayedAddress;
use rtc::turn::proto::reqtrans::RequestedTransport;
use rtc::turn::proto::PROTO_UDP;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::allocation::{Allocation, Grant, PeerPacket};
use super::credentials::{long_term_key, unix_now};
use super::nonce::Nonces;
use super::wire::{peer_addresses, Answer};
use super::{Shared, Toward};

/// Jitsi's coturn (the jitsi-meet-turnserver package) uses the XMPP domain as its realm.
pub(super) const REALM: &str = crate::prosody::DOMAIN;
/// RFC 8656 §7.2: the default allocation lifetime, and the floor of any requested one.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(600);
/// coturn's default `max-allocate-lifetime`.
const MAX_LIFETIME: Duration = Duration::from_secs(3600);
/// Past this many allocations an Allocate gets 486, as a quota would: tests need a handful.
const MAX_ALLOCATIONS: usize = 256;
/// HMAC-SHA1's length; rtc-stun's check assumes the attribute has it.
const INTEGRITY_LEN: usize = 20;

pub(super) struct Server {
    socket: Arc<UdpSocket>,
    provider: Arc<dyn RTCCryptoProvider>,
    secret: String,
    nonces: Nonces,
    allocations: HashMap<SocketAddr, Allocation>,
    peers: mpsc::Sender<PeerPacket>,
    shared: Arc<Shared>,
    next_id: u64,
}

struct Authenticated {
    username: String,
    key: Vec<u8>,
}

impl Server {
    /// Answers on `socket`, accepting credentials made from `secret`; relay sockets forward
    /// what peers send into `peers`, which the driver feeds back through `handle_peer`.
    pub(super) fn new(
        socket: Arc<UdpSocket>,
        provider: Arc<dyn RTCCryptoProvider>,
        secret: &str,
        peers: mpsc::Sender<PeerPacket>,
        shared: Arc<Shared>,
    ) -> Result<Server, CryptoError> {
        Ok(Server {
            socket,
            nonces: Nonces::new(provider.clone())?,
            provider,
            secret: secret.to_string(),
            allocations: HashMap::new(),
            peers,
            shared,
            next_id: 0,
        })
    }

    /// A datagram on the listening socket: STUN or ChannelData, told apart by the first two
    /// bits (RFC 8656 §12: channel numbers start at 0x4000, STUN messages with 00).
    pub(super) fn handle_client(&mut self, from: SocketAddr, data: &[u8], now: Instant) {
        match data.first().map(|b| b >> 6) {
            Some(0) => self.stun(from, data, now),
            Some(1) => self.channel_data(from, data, now),
            _ => {}
        }
    }

    /// A datagram a peer sent to a relay address: to the client if the peer is permitted, over
    /// its channel when one is bound, else in a Data indication (RFC 8656 §11.5, §12.6).
    pub(super) fn handle_peer(&mut self, packet: PeerPacket, now: Instant) {
        let Some(allocation) = self
            .allocations
            .get(&packet.client)
            .filter(|a| a.id == packet.allocation && a.expires > now)
        else {
            return;
        };
        if !allocation.permits(packet.from.ip(), now) {
            return;
        }
        let framed = match allocation.channel_to(packet.from, now) {
            Some(number) => {
                let mut framed = ChannelData {
                    data: packet.data,
                    number: ChannelNumber(number),
                    raw: Vec::new(),
                };
                framed.encode();
                Some(framed.raw)
            }
            None => data_indication(packet.from, packet.data),
        };
        if let Some(framed) = framed {
            self.shared
                .relay(&self.socket, &framed, packet.client, Toward::Client);
        }
    }

    /// Forgets expired allocations (closing their relay sockets), permissions and channels.
    pub(super) fn expire(&mut self, now: Instant) {
        self.allocations.retain(|_, a| a.expires > now);
        for allocation in self.allocations.values_mut() {
            allocation.prune(now);
        }
    }

    fn stun(&mut self, from: SocketAddr, data: &[u8], now: Instant) {
        let mut m = Message::new();
        if !is_stun_message(data) || m.unmarshal_binary(data).is_err() {
            return;
        }
        if m.contains(ATTR_FINGERPRINT) && FINGERPRINT.check(&m).is_err() {
            return;
        }
        match (m.typ.class, m.typ.method) {
            (CLASS_REQUEST, METHOD_BINDING) => {
                let answer = Answer::success(vec![Box::new(XorMappedAddress {
                    ip: from.ip(),
                    port: from.port(),
                })]);
                self.answer(from, &m, answer, None);
            }
            (
                CLASS_REQUEST,
                METHOD_ALLOCATE | METHOD_REFRESH | METHOD_CREATE_PERMISSION | METHOD_CHANNEL_BIND,
            ) => match self.authenticate(&mut m) {
                Ok(user) => self.authenticated(from, &m, user, now),
                Err(challenge) => {
                    self.answer(from, &m, challenge, None);
                }
            },
            (CLASS_REQUEST, _) => {
                self.answer(from, &m, Answer::error(CODE_BAD_REQUEST), None);
            }
            (CLASS_INDICATION, METHOD_SEND) => self.send_indication(from, &m, now),
            _ => {}
        }
    }

    /// The long-term credential check of RFC 8489 §9.2.4, in its order.
    fn authenticate(&self, m: &mut Message) -> Result<Authenticated, Answer<'static>> {
        if !m.contains(ATTR_MESSAGE_INTEGRITY) {
            return Err(self.challenge(CODE_UNAUTHORIZED));
        }
        let (Ok(username), Ok(_), Ok(nonce)) = (
            TextAttribute::get_from_as(m, ATTR_USERNAME),
            TextAttribute::get_from_as(m, ATTR_REALM),
            TextAttribute::get_from_as(m, ATTR_NONCE),
        ) else {
            return Err(Answer::error(CODE_BAD_REQUEST));
        };
        if m.get(ATTR_MESSAGE_INTEGRITY).map(|v| v.len()).ok() != Some(INTEGRITY_LEN) {
            return Err(Answer::error(CODE_BAD_REQUEST));
        }
        if !self.nonces.valid(&nonce.text, unix_now()) {
            return Err(self.challenge(CODE_STALE_NONCE));
        }
        let crypto = self.provider.crypto();
        let Some(key) = long_term_key(crypto, &self.secret, REALM, &username.text) else {
            return Err(self.challenge(CODE_UNAUTHORIZED));
        };
        if MessageIntegrity::check(m, &key, crypto).is_err() {
            return Err(self.challenge(CODE_UNAUTHORIZED));
        }
        Ok(Authenticated {
            username: username.text,
            key,
        })
    }

    fn challenge(&self, code: ErrorCode) -> Answer<'static> {
        Answer::error(code)
            .with(TextAttribute::new(ATTR_REALM, REALM.to_string()))
            .with(TextAttribute::new(
                ATTR_NONCE,
                self.nonces.issue(unix_now()),
            ))
    }

    fn authenticated(&mut self, from: SocketAddr, m: &Message, user: Authenticated, now: Instant) {
        let current = self.allocations.get(&from).filter(|a| a.expires > now);
        let answer = match (m.typ.method, current) {
            (METHOD_ALLOCATE, Some(a)) if a.created_by == m.transaction_id => {
                let _ = self.socket.try_send_to(&a.created_answer, from);
                return;
            }
            (METHOD_ALLOCATE, Some(_)) => Answer::error(CODE_ALLOC_MISMATCH),
            (METHOD_ALLOCATE, None) => self.allocate(from, m, &user, now),
            (_, None) => Answer::error(CODE_ALLOC_MISMATCH),
            (_, Some(a)) if a.username != user.username => Answer::error(CODE_WRONG_CREDENTIALS),
            (METHOD_REFRESH, Some(_)) => self.refresh(from, m, now),
            (METHOD_CREATE_PERMISSION, Some(_)) => self.create_permission(from, m, now),
            (_, Some(_)) => self.channel_bind(from, m, now),
        };
        let created = m.typ.method == METHOD_ALLOCATE && answer.class == CLASS_SUCCESS_RESPONSE;
        if let Some(sent) = self.answer(from, m, answer, Some(&user.key)) {
            if let Some(a) = self.allocations.get_mut(&from).filter(|_| created) {
                a.created_answer = sent;
            }
        }
    }

    fn allocate(
        &mut self,
        from: SocketAddr,
        m: &Message,
        user: &Authenticated,
        now: Instant,
    ) -> Answer<'static> {
        let mut transport = RequestedTransport::default();
        if transport.get_from(m).is_err() {
            return Answer::error(CODE_BAD_REQUEST);
        }
        if transport.protocol != PROTO_UDP {
            return Answer::error(CODE_UNSUPPORTED_TRANS_PROTO);
        }
        if self.allocations.len() >= MAX_ALLOCATIONS {
            return Answer::error(CODE_ALLOC_QUOTA_REACHED);
        }
        let lifetime = requested_lifetime(m).unwrap_or(DEFAULT_LIFETIME);
        self.next_id += 1;
        let grant = Grant {
            id: self.next_id,
            client: from,
            username: user.username.clone(),
            created_by: m.transaction_id,
            expires: now + lifetime,
        };
        let allocation = match Allocation::open(grant, self.peers.clone()) {
            Ok(a) => a,
            Err(e) => {
                log::warn!("turn: no relay socket for {from}: {e}");
                return Answer::error(CODE_INSUFFICIENT_CAPACITY);
            }
        };
        let relayed = allocation.relayed;
        log::debug!("turn: {from} allocated {relayed} for {lifetime:?}");
        // Replaces an expired allocation of this 5-tuple the sweep has not removed yet.
        self.allocations.insert(from, allocation);
        self.shared.allocations.fetch_add(1, Ordering::Relaxed);
        Answer::success(vec![
            Box::new(RelayedAddress {
                ip: relayed.ip(),
                port: relayed.port(),
            }),
            Box::new(Lifetime(lifetime)),
            Box::new(XorMappedAddress {
                ip: from.ip(),
                port: from.port(),
            }),
        ])
    }

    fn refresh(&mut self, from: SocketAddr, m: &Message, now: Instant) -> Answer<'static> {
        match requested_lifetime(m) {
            None => {
                self.allocations.remove(&from);
                log::debug!("turn: {from} deleted its allocation");
                Answer::success(vec![Box::new(Lifetime(Duration::ZERO))])
            }
            Some(lifetime) => {
                if let Some(a) = self.allocations.get_mut(&from) {
                    a.expires = now + lifetime;
                }
                Answer::success(vec![Box::new(Lifetime(lifetime))])
            }
        }
    }

    fn create_permission(
        &mut self,
        from: SocketAddr,
        m: &Message,
        now: Instant,
    ) -> Answer<'static> {
        let peers = match peer_addresses(m) {
            Some(peers) if !peers.is_empty() => peers,
            _ => return Answer::error(CODE_BAD_REQUEST),
        };
        // The relay address is IPv4, so IPv6 peers are of the wrong family (RFC 8656 §9.2).
        if peers.iter().any(|p| !p.is_ipv4()) {
            return Answer::error(CODE_PEER_ADDR_FAMILY_MISMATCH);
        }
        if let Some(a) = self.allocations.get_mut(&from) {
            for peer in peers {
                a.permit(peer.ip(), now);
            }
        }
        Answer::success(Vec::new())
    }

    fn channel_bind(&mut self, from: SocketAddr, m: &Message, now: Instant) -> Answer<'static> {
        let mut number = ChannelNumber::default();
        let peer = peer_addresses(m).and_then(|p| p.first().copied());
        let (Ok(()), Some(peer)) = (number.get_from(m), peer) else {
            return Answer::error(CODE_BAD_REQUEST);
        };
        if !number.valid() {
            return Answer::error(CODE_BAD_REQUEST);
        }
        if !peer.is_ipv4() {
            return Answer::error(CODE_PEER_ADDR_FAMILY_MISMATCH);
        }
        let bound = self
            .allocations
            .get_mut(&from)
            .map(|a| a.bind(number.0, peer, now));
        match bound {
            Some(Ok(())) => Answer::success(Vec::new()),
            _ => Answer::error(CODE_BAD_REQUEST),
        }
    }

    /// Indications carry no credentials (RFC 8656 §11.3): the 5-tuple and the permission are
    /// the whole check.
    fn send_indication(&mut self, from: SocketAddr, m: &Message, now: Instant) {
        let mut data = Data::default();
        let peer = peer_addresses(m).and_then(|p| p.first().copied());
        let (Ok(()), Some(peer)) = (data.get_from(m), peer) else {
            return;
        };
        if let Some(a) = self.allocations.get(&from).filter(|a| a.expires > now) {
            if a.permits(peer.ip(), now) {
                self.shared.relay(&a.relay, &data.0, peer, Toward::Peer);
            }
        }
    }

    fn channel_data(&mut self, from: SocketAddr, data: &[u8], now: Instant) {
        let mut framed = ChannelData {
            raw: data.to_vec(),
            ..ChannelData::default()
        };
        if framed.decode().is_err() {
            return;
        }
        let Some(a) = self.allocations.get(&from).filter(|a| a.expires > now) else {
            return;
        };
        if let Some(peer) = a.peer_on(framed.number.0, now) {
            self.shared
                .relay(&a.relay, &framed.data, peer, Toward::Peer);
        }
    }

    /// Sends `answer` to `request`'s sender; returns what was sent.
    fn answer(
        &self,
        to: SocketAddr,
        request: &Message,
        answer: Answer<'_>,
        key: Option<&[u8]>,
    ) -> Option<Vec<u8>> {
        let answer = match key {
            Some(key) => answer.signed(key),
            None => answer,
        };
        let encoded = answer.encode(request, self.provider.crypto())?;
        let _ = self.socket.try_send_to(&encoded, to);
        Some(encoded)
    }
}

/// RFC 8656 §7.2 and §8: a requested LIFETIME of zero (None) deletes; any other is capped at
/// the maximum and raised to the default, which is also what no LIFETIME gets.
fn requested_lifetime(m: &Message) -> Option<Duration> {
    let mut requested = Lifetime::default();
    if requested.get_from(m).is_err() {
        return Some(DEFAULT_LIFETIME);
    }
    if requested.0.is_zero() {
        return None;
    }
    Some(requested.0.min(MAX_LIFETIME).max(DEFAULT_LIFETIME))
}

fn data_indication(from: SocketAddr, data: Vec<u8>) -> Option<Vec<u8>> {
    let mut m = Message::new();
    m.build(&[
        Box::new(TransactionId::new()),
        Box::new(MessageType::new(METHOD_DATA, CLASS_INDICATION)),
        Box::new(PeerAddress {
            ip: from.ip(),
            port: from.port(),
        }),
        Box::new(Data(data)),
    ])
    .ok()?;
    Some(m.raw)
}
