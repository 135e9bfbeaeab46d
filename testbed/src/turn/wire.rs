//! The STUN messages the server sends, and reading every XOR-PEER-ADDRESS of a request (rtc-turn's
//! getter reads only the first; CreatePermission may carry several, RFC 8656 §9.1).

use std::net::SocketAddr;

use rtc::crypto::RTCCrypto;
use rtc::stun::attributes::{ATTR_FINGERPRINT, ATTR_XOR_PEER_ADDRESS};
use rtc::stun::error_code::{ErrorCode, ErrorCodeAttribute};
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    Getter, Message, MessageClass, MessageType, Setter, CLASS_ERROR_RESPONSE,
};
use rtc::turn::proto::peeraddr::PeerAddress;

/// What the server answers with: the attributes, signed with `key` when the request was
/// authenticated (RFC 8489 §9.2.4), and fingerprinted when the request was (coturn's habit).
pub(super) struct Answer<'a> {
    pub class: MessageClass,
    pub attributes: Vec<Box<dyn Setter + 'a>>,
    pub key: Option<&'a [u8]>,
}

impl<'a> Answer<'a> {
    pub(super) fn success(attributes: Vec<Box<dyn Setter + 'a>>) -> Answer<'a> {
        Answer {
            class: rtc::stun::message::CLASS_SUCCESS_RESPONSE,
            attributes,
            key: None,
        }
    }

    pub(super) fn error(code: ErrorCode) -> Answer<'a> {
        Answer {
            class: CLASS_ERROR_RESPONSE,
            attributes: vec![Box::new(ErrorCodeAttribute {
                code,
                reason: reason(code).as_bytes().to_vec(),
            })],
            key: None,
        }
    }

    pub(super) fn with(mut self, attribute: impl Setter + 'a) -> Answer<'a> {
        self.attributes.push(Box::new(attribute));
        self
    }

    pub(super) fn signed(mut self, key: &'a [u8]) -> Answer<'a> {
        self.key = Some(key);
        self
    }

    /// The encoded answer to `request`; None when encoding fails, which only a bug can cause.
    pub(super) fn encode(self, request: &Message, crypto: &dyn RTCCrypto) -> Option<Vec<u8>> {
        let mut setters: Vec<Box<dyn Setter + '_>> = vec![
            Box::new(request.transaction_id),
            Box::new(MessageType::new(request.typ.method, self.class)),
        ];
        setters.extend(self.attributes);
        if let Some(key) = self.key {
            setters.push(Box::new(MessageIntegrity::new_raw_integrity_with_provider(
                key.to_vec(),
                crypto,
            )));
        }
        if request.contains(ATTR_FINGERPRINT) {
            setters.push(Box::new(FINGERPRINT));
        }
        let mut answer = Message::new();
        match answer.build(&setters) {
            Ok(()) => Some(answer.raw),
            Err(e) => {
                log::warn!("turn: cannot encode an answer: {e}");
                None
            }
        }
    }
}

/// Every XOR-PEER-ADDRESS in `m`, in order; None if one of them does not decode.
pub(super) fn peer_addresses(m: &Message) -> Option<Vec<SocketAddr>> {
    m.attributes
        .0
        .iter()
        .filter(|a| a.typ == ATTR_XOR_PEER_ADDRESS)
        .map(|a| {
            // The address is XORed with the request's transaction id, so each attribute is read
            // from a message carrying that id and nothing else.
            let mut one = Message::new();
            one.transaction_id = m.transaction_id;
            one.write_header();
            one.add(ATTR_XOR_PEER_ADDRESS, &a.value);
            let mut peer = PeerAddress::default();
            peer.get_from(&one).ok()?;
            Some(SocketAddr::new(peer.ip, peer.port))
        })
        .collect()
}

fn reason(code: ErrorCode) -> &'static str {
    match code.0 {
        400 => "Bad Request",
        401 => "Unauthorized",
        437 => "Allocation Mismatch",
        438 => "Stale Nonce",
        441 => "Wrong Credentials",
        442 => "Unsupported Transport Protocol",
        443 => "Peer Address Family Mismatch",
        486 => "Allocation Quota Reached",
        508 => "Insufficient Capacity",
        _ => "Error",
    }
}
