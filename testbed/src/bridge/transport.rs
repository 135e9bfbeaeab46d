//! One endpoint's transport as jitsi-videobridge runs it: ICE, DTLS-SRTP, bundle and rtcp-mux on
//! one UDP port, as a sans-IO state machine (datagrams and the time in, datagrams out).
//!
//! ICE: the bridge is the *controlling* agent. Jicofo offers, the client answers, and an
//! answering full agent facing a full agent is controlled (RFC 8445 §6.1.1; lib-jitsi-meet's
//! browsers and webrtc-rs both do this), so the bridge has to nominate, as ice4j does in
//! jitsi-videobridge (`IceTransport`, controlling unless Jicofo says otherwise). It is a full
//! agent cut to what loopback needs: it offers one host candidate and, on each authenticated
//! check from the client, answers and sends a triggered check with USE-CANDIDATE back to that
//! address (aggressive nomination); the first success selects the pair. It gathers nothing else
//! and never checks the client's own candidates, which a real network would need.
//!
//! DTLS: Jicofo offers `setup=actpass`; clients answer `active`, so the bridge is the DTLS server
//! and checks the client's certificate against the fingerprint from `session-accept`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::BytesMut;
use rtc::crypto::{HashAlgorithm, RTCCryptoProvider};
use rtc::dtls::config::{ClientAuthType, ConfigBuilder, ExtendedMasterSecretType};
use rtc::dtls::crypto::Certificate;
use rtc::dtls::endpoint::{Endpoint, EndpointEvent};
use rtc::dtls::extension::extension_use_srtp::SrtpProtectionProfile;
use rtc::ice::attributes::control::AttrControlling;
use rtc::ice::attributes::priority::PriorityAttr;
use rtc::ice::attributes::use_candidate::UseCandidateAttr;
use rtc::shared::TransportProtocol;
use rtc::srtp::context::Context;
use rtc::srtp::protection_profile::ProtectionProfile;
use rtc::stun::attributes::ATTR_USERNAME;
use rtc::stun::fingerprint::FINGERPRINT;
use rtc::stun::integrity::MessageIntegrity;
use rtc::stun::message::{
    is_stun_message, Message, TransactionId, BINDING_REQUEST, BINDING_SUCCESS,
};
use rtc::stun::textattrs::TextAttribute;
use rtc::stun::xoraddr::XorMappedAddress;

#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("STUN: {0}")]
    Stun(String),
    #[error("DTLS: {0}")]
    Dtls(String),
    #[error("SRTP: {0}")]
    Srtp(String),
    #[error("the client's fingerprint is not sha-256 hex")]
    BadFingerprint,
    #[error("media before the DTLS handshake completed")]
    NotConnected,
}

/// The bridge's DTLS identity, shared by all its endpoints as jitsi-videobridge shares one.
pub struct Identity {
    pub provider: Arc<dyn RTCCryptoProvider>,
    pub certificate: Certificate,
    /// `sha-256` fingerprint, upper-case hex pairs as Jicofo writes them.
    pub fingerprint: String,
}

impl Identity {
    pub fn generate() -> Result<Identity, TransportError> {
        let provider =
            rtc::crypto::default_provider().map_err(|e| TransportError::Dtls(e.to_string()))?;
        let certificate = Certificate::generate_self_signed(
            vec!["omni-jitsi-testbed-jvb".into()],
            provider.crypto(),
        )
        .map_err(|e| TransportError::Dtls(e.to_string()))?;
        let der = certificate
            .certificate
            .first()
            .ok_or_else(|| TransportError::Dtls("no certificate".into()))?;
        let fingerprint = sha256_hex(&provider, der.as_ref())?;
        Ok(Identity {
            provider,
            certificate,
            fingerprint,
        })
    }
}

fn sha256_hex(
    provider: &Arc<dyn RTCCryptoProvider>,
    data: &[u8],
) -> Result<String, TransportError> {
    let digest = provider
        .crypto()
        .hash(HashAlgorithm::Sha256, data)
        .map_err(|e| TransportError::Dtls(e.to_string()))?;
    Ok(digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

#[derive(Clone, PartialEq, Eq)]
pub struct IceCredentials {
    pub ufrag: String,
    pub pwd: String,
}

impl std::fmt::Debug for IceCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IceCredentials({}, pwd <redacted>)", self.ufrag)
    }
}

impl IceCredentials {
    pub fn random() -> IceCredentials {
        IceCredentials {
            ufrag: random_token(8),
            pwd: random_token(24),
        }
    }
}

pub fn random_token(len: usize) -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// What the client told us in `session-accept`.
#[derive(Debug, Clone)]
pub struct RemoteParameters {
    pub ice: IceCredentials,
    /// sha-256 fingerprint, hex pairs (any case).
    pub fingerprint: String,
}

/// A decrypted packet from the client.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    Rtp(Vec<u8>),
    Rtcp(Vec<u8>),
}

pub struct Transport {
    local: IceCredentials,
    /// The generation before an ICE restart: its checks (consent on the pair still carrying
    /// media) are answered until the client's new credentials arrive.
    previous: Option<IceCredentials>,
    remote: Option<RemoteParameters>,
    /// Between an ICE restart and the client's new credentials (its `transport-info`): checks
    /// are answered but nothing is nominated, since our checks could not be authenticated.
    awaiting_remote_ice: bool,
    tie_breaker: u64,
    /// Our nominating checks in flight: transaction and the address they went to.
    checks: Vec<(TransactionId, SocketAddr)>,
    selected: Option<SocketAddr>,
    /// Whether a pair of the current ICE generation was nominated (after a restart the old
    /// generation's pair stays selected until then).
    nominated: bool,
    /// Where the client's last authenticated check came from: RFC 8445's triggered-check
    /// queue, kept until a nomination there succeeds (the client may have checked before its
    /// `session-accept` told us how to answer, and webrtc-rs then only checks every 2 s).
    triggered: Option<SocketAddr>,
    last_nomination: Option<Instant>,
    dtls: Option<Endpoint>,
    srtp: Option<(Context, Context)>,
    local_addr: SocketAddr,
    outgoing: Vec<(SocketAddr, Vec<u8>)>,
}

/// Bounds what an unanswered client can make us remember.
const MAX_CHECKS_IN_FLIGHT: usize = 16;

impl Transport {
    pub fn new(local_addr: SocketAddr) -> Transport {
        Transport {
            local: IceCredentials::random(),
            previous: None,
            remote: None,
            awaiting_remote_ice: false,
            tie_breaker: rand::random(),
            checks: Vec::new(),
            selected: None,
            nominated: false,
            triggered: None,
            last_nomination: None,
            dtls: None,
            srtp: None,
            local_addr,
            outgoing: Vec::new(),
        }
    }

    pub fn local_credentials(&self) -> &IceCredentials {
        &self.local
    }

    pub fn selected(&self) -> Option<SocketAddr> {
        self.selected
    }

    pub fn is_connected(&self) -> bool {
        self.srtp.is_some() && self.selected.is_some()
    }

    /// The client's ICE credentials and certificate fingerprint: from here on its checks are
    /// answered with nominations and its DTLS handshake accepted.
    pub fn set_remote(
        &mut self,
        identity: &Identity,
        remote: RemoteParameters,
    ) -> Result<(), TransportError> {
        let expected = parse_fingerprint(&remote.fingerprint)?;
        let provider = identity.provider.clone();
        let verify: rtc::dtls::config::VerifyPeerCertificateFn = Arc::new(
            move |certs: &[Vec<u8>], _chains: &[rustls::pki_types::CertificateDer<'static>]| {
                let first = certs
                    .first()
                    .ok_or(rtc::shared::error::Error::ErrNonCertificate)?;
                let digest = provider
                    .crypto()
                    .hash(HashAlgorithm::Sha256, first)
                    .map_err(|e| rtc::shared::error::Error::Crypto(e.to_string()))?;
                if digest == expected {
                    Ok(())
                } else {
                    Err(rtc::shared::error::Error::ErrFingerprintMismatch)
                }
            },
        );
        let config = ConfigBuilder::default()
            .with_crypto_provider(identity.provider.clone())
            .with_certificates(vec![identity.certificate.clone()])
            .with_srtp_protection_profiles(vec![
                SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
                SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
            ])
            .with_client_auth(ClientAuthType::RequireAnyClientCert)
            .with_insecure_skip_verify(true)
            .with_verify_peer_certificate(Some(verify))
            .with_extended_master_secret(ExtendedMasterSecretType::Require)
            .build(false, None)
            .map_err(|e| TransportError::Dtls(e.to_string()))?;
        self.dtls = Some(Endpoint::new(
            self.local_addr,
            TransportProtocol::UDP,
            Some(Arc::new(config)),
        ));
        self.remote = Some(remote);
        if let Some(to) = self.triggered {
            self.nominate(identity, to, Instant::now())?;
        }
        Ok(())
    }

    /// jitsi-videobridge's in-place ICE restart: a new generation with fresh credentials, while
    /// the selected pair keeps carrying media until a pair of the new generation is nominated.
    /// DTLS and SRTP carry on, on whichever pair is selected.
    pub fn restart_ice(&mut self) -> &IceCredentials {
        let fresh = IceCredentials::random();
        self.previous = Some(std::mem::replace(&mut self.local, fresh));
        self.awaiting_remote_ice = true;
        self.nominated = false;
        self.triggered = None;
        self.checks.clear();
        &self.local
    }

    /// The client's credentials for the current generation (its `transport-info` after an ICE
    /// restart); a pair its checks arrived on meanwhile is nominated now.
    pub fn set_remote_ice(
        &mut self,
        identity: &Identity,
        ice: IceCredentials,
    ) -> Result<(), TransportError> {
        let Some(remote) = self.remote.as_mut() else {
            return Err(TransportError::NotConnected);
        };
        if remote.ice == ice {
            return Ok(());
        }
        remote.ice = ice;
        self.awaiting_remote_ice = false;
        self.previous = None;
        self.checks.clear();
        if let Some(to) = self.triggered {
            self.nominate(identity, to, Instant::now())?;
        }
        Ok(())
    }

    /// A datagram from `from`. STUN and DTLS are handled here (answers queue in
    /// [`Transport::poll_transmit`]); SRTP/SRTCP come back decrypted.
    pub fn handle_datagram(
        &mut self,
        identity: &Identity,
        now: Instant,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<Option<Received>, TransportError> {
        match data.first() {
            // RFC 7983 demultiplexing by the first byte.
            Some(0..=3) if is_stun_message(data) => {
                self.handle_stun(identity, from, data)?;
                Ok(None)
            }
            Some(20..=63) => {
                self.handle_dtls(identity, now, from, data)?;
                Ok(None)
            }
            Some(128..=191) => {
                if self.selected != Some(from) {
                    return Ok(None);
                }
                let (_, remote) = self.srtp.as_mut().ok_or(TransportError::NotConnected)?;
                // rtcp-mux: RTCP packet types 192..=223 sit where RTP has marker + PT.
                let packet_type = data.get(1).copied().unwrap_or(0);
                if (192..=223).contains(&packet_type) {
                    let plain = remote
                        .decrypt_rtcp(data)
                        .map_err(|e| TransportError::Srtp(e.to_string()))?;
                    Ok(Some(Received::Rtcp(plain.to_vec())))
                } else {
                    let plain = remote
                        .decrypt_rtp(data)
                        .map_err(|e| TransportError::Srtp(e.to_string()))?;
                    Ok(Some(Received::Rtp(plain.to_vec())))
                }
            }
            _ => Ok(None),
        }
    }

    /// Encrypts and queues an RTP packet for the client.
    pub fn send_rtp(&mut self, packet: &[u8]) -> Result<(), TransportError> {
        let to = self.selected.ok_or(TransportError::NotConnected)?;
        let (local, _) = self.srtp.as_mut().ok_or(TransportError::NotConnected)?;
        let encrypted = local
            .encrypt_rtp(packet)
            .map_err(|e| TransportError::Srtp(e.to_string()))?;
        self.outgoing.push((to, encrypted.to_vec()));
        Ok(())
    }

    pub fn send_rtcp(&mut self, packet: &[u8]) -> Result<(), TransportError> {
        let to = self.selected.ok_or(TransportError::NotConnected)?;
        let (local, _) = self.srtp.as_mut().ok_or(TransportError::NotConnected)?;
        let encrypted = local
            .encrypt_rtcp(packet)
            .map_err(|e| TransportError::Srtp(e.to_string()))?;
        self.outgoing.push((to, encrypted.to_vec()));
        Ok(())
    }

    /// Nomination and DTLS retransmissions.
    pub fn handle_timeout(&mut self, identity: &Identity, now: Instant) {
        if let (false, Some(to), Some(last)) =
            (self.nominated, self.triggered, self.last_nomination)
        {
            if now.duration_since(last) >= NOMINATION_RETRY {
                if let Err(e) = self.nominate(identity, to, now) {
                    log::debug!("bridge: nomination: {e}");
                }
            }
        }
        let Some(dtls) = self.dtls.as_mut() else {
            return;
        };
        let remotes: Vec<SocketAddr> = dtls.get_connections_keys().copied().collect();
        for remote in remotes {
            if let Err(e) = dtls.handle_timeout(remote, now) {
                log::debug!("bridge: DTLS timeout with {remote}: {e}");
            }
        }
        self.drain_dtls();
    }

    pub fn poll_transmit(&mut self) -> Vec<(SocketAddr, Vec<u8>)> {
        std::mem::take(&mut self.outgoing)
    }

    fn handle_stun(
        &mut self,
        identity: &Identity,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<(), TransportError> {
        let stun = |e: rtc::shared::error::Error| TransportError::Stun(e.to_string());
        let mut message = Message::new();
        message.unmarshal_binary(data).map_err(stun)?;
        let crypto = identity.provider.crypto();
        if message.typ == BINDING_REQUEST {
            let username = TextAttribute::get_from_as(&message, ATTR_USERNAME).map_err(stun)?;
            let ours = username.text.split(':').next().unwrap_or("");
            let current = ours == self.local.ufrag;
            let pwd = if current {
                self.local.pwd.clone()
            } else {
                match &self.previous {
                    Some(p) if p.ufrag == ours => p.pwd.clone(),
                    _ => return Err(TransportError::Stun("check for another ufrag".into())),
                }
            };
            MessageIntegrity::check(&mut message, pwd.as_bytes(), crypto).map_err(stun)?;
            let mut answer = Message::new();
            answer
                .build(&[
                    Box::new(message.clone()),
                    Box::new(BINDING_SUCCESS),
                    Box::new(XorMappedAddress {
                        ip: from.ip(),
                        port: from.port(),
                    }),
                    Box::new(MessageIntegrity::new_short_term_integrity_with_provider(
                        pwd, crypto,
                    )),
                    Box::new(FINGERPRINT),
                ])
                .map_err(stun)?;
            self.outgoing.push((from, answer.raw.clone()));
            if current && !(self.nominated && self.selected == Some(from)) {
                self.triggered = Some(from);
                self.nominate(identity, from, Instant::now())?;
            }
        } else if message.typ == BINDING_SUCCESS {
            let Some(index) = self
                .checks
                .iter()
                .position(|(id, to)| *id == message.transaction_id && *to == from)
            else {
                return Err(TransportError::Stun("answer to no check of ours".into()));
            };
            let remote = self.remote.as_ref().ok_or(TransportError::NotConnected)?;
            MessageIntegrity::check(&mut message, remote.ice.pwd.as_bytes(), crypto)
                .map_err(stun)?;
            self.checks.remove(index);
            if !self.nominated || self.selected != Some(from) {
                log::debug!("bridge: ICE selected {from}");
            }
            self.selected = Some(from);
            self.nominated = true;
        }
        Ok(())
    }

    /// A triggered check that nominates the pair the client's check arrived on.
    fn nominate(
        &mut self,
        identity: &Identity,
        to: SocketAddr,
        now: Instant,
    ) -> Result<(), TransportError> {
        let Some(remote) = self.remote.as_ref().filter(|_| !self.awaiting_remote_ice) else {
            // Before session-accept (or the client's credentials after a restart) we cannot
            // authenticate to the client; its retransmitted checks trigger the nomination once
            // we can.
            return Ok(());
        };
        let stun = |e: rtc::shared::error::Error| TransportError::Stun(e.to_string());
        let crypto = identity.provider.crypto();
        let id = TransactionId::new();
        let mut check = Message::new();
        check
            .build(&[
                Box::new(BINDING_REQUEST),
                Box::new(id),
                Box::new(TextAttribute::new(
                    ATTR_USERNAME,
                    format!("{}:{}", remote.ice.ufrag, self.local.ufrag),
                )),
                Box::<UseCandidateAttr>::default(),
                Box::new(AttrControlling(self.tie_breaker)),
                Box::new(PriorityAttr(HOST_PRIORITY)),
                Box::new(MessageIntegrity::new_short_term_integrity_with_provider(
                    remote.ice.pwd.clone(),
                    crypto,
                )),
                Box::new(FINGERPRINT),
            ])
            .map_err(stun)?;
        if self.checks.len() >= MAX_CHECKS_IN_FLIGHT {
            self.checks.remove(0);
        }
        self.checks.push((id, to));
        self.last_nomination = Some(now);
        self.outgoing.push((to, check.raw.clone()));
        Ok(())
    }

    fn handle_dtls(
        &mut self,
        identity: &Identity,
        now: Instant,
        from: SocketAddr,
        data: &[u8],
    ) -> Result<(), TransportError> {
        let dtls = self.dtls.as_mut().ok_or(TransportError::NotConnected)?;
        let events = dtls.read(now, from, None, BytesMut::from(data));
        self.drain_dtls();
        let events = events.map_err(|e| TransportError::Dtls(e.to_string()))?;
        if events
            .iter()
            .any(|e| matches!(e, EndpointEvent::HandshakeComplete))
        {
            let dtls = self.dtls.as_ref().ok_or(TransportError::NotConnected)?;
            let state = dtls
                .get_connection_state(from)
                .ok_or_else(|| TransportError::Dtls("no state after the handshake".into()))?;
            self.srtp = Some(srtp_contexts(identity, state)?);
            log::debug!("bridge: DTLS-SRTP up with {from}");
        }
        Ok(())
    }

    fn drain_dtls(&mut self) {
        if let Some(dtls) = self.dtls.as_mut() {
            while let Some(t) = dtls.poll_transmit() {
                self.outgoing
                    .push((t.transport.peer_addr, t.message.to_vec()));
            }
        }
    }
}

/// RFC 8445's Ta-paced retransmission, coarser: loopback loses nothing but ordering.
const NOMINATION_RETRY: std::time::Duration = std::time::Duration::from_millis(200);

/// The priority of our one host candidate (type preference 126, local 65535, component 1).
pub const HOST_PRIORITY: u32 = (126 << 24) | (65535 << 8) | 255;

fn parse_fingerprint(hex: &str) -> Result<Vec<u8>, TransportError> {
    let bytes: Result<Vec<u8>, _> = hex
        .split(':')
        .map(|pair| u8::from_str_radix(pair, 16))
        .collect();
    match bytes {
        Ok(b) if b.len() == 32 => Ok(b),
        _ => Err(TransportError::BadFingerprint),
    }
}

fn srtp_contexts(
    identity: &Identity,
    state: &rtc::dtls::state::State,
) -> Result<(Context, Context), TransportError> {
    let srtp = |e: rtc::shared::error::Error| TransportError::Srtp(e.to_string());
    let profile = match state.srtp_protection_profile() {
        SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm => ProtectionProfile::AeadAes128Gcm,
        SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80 => {
            ProtectionProfile::Aes128CmHmacSha1_80
        }
        other => return Err(TransportError::Srtp(format!("profile {other:?}"))),
    };
    let mut config = rtc::srtp::config::Config {
        profile,
        ..Default::default()
    };
    let material = state
        .export_keying_material(
            rtc::srtp::config::LABEL_EXTRACTOR_DTLS_SRTP,
            &[],
            config.keying_material_len(),
        )
        .map_err(srtp)?;
    config
        .set_session_keys_from_keying_material(material.as_ref(), state.is_client())
        .map_err(srtp)?;
    let crypto = identity.provider.crypto();
    let local = Context::new(
        &config.keys.local_master_key,
        &config.keys.local_master_salt,
        config.profile,
        None,
        None,
        crypto,
    )
    .map_err(srtp)?;
    let remote = Context::new(
        &config.keys.remote_master_key,
        &config.keys.remote_master_salt,
        config.profile,
        Some(rtc::srtp::option::srtp_replay_protection(64)),
        Some(rtc::srtp::option::srtcp_replay_protection(64)),
        crypto,
    )
    .map_err(srtp)?;
    Ok((local, remote))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(username: &str, pwd: &str) -> Vec<u8> {
        let provider = rtc::crypto::default_provider().unwrap();
        let mut m = Message::new();
        m.build(&[
            Box::new(BINDING_REQUEST),
            Box::new(TransactionId::new()),
            Box::new(TextAttribute::new(ATTR_USERNAME, username.to_string())),
            Box::new(MessageIntegrity::new_short_term_integrity_with_provider(
                pwd.to_string(),
                provider.crypto(),
            )),
            Box::new(FINGERPRINT),
        ])
        .unwrap();
        m.raw.clone()
    }

    fn remote() -> RemoteParameters {
        RemoteParameters {
            ice: IceCredentials {
                ufrag: "cli1".into(),
                pwd: "clientpasswordclientpass".into(),
            },
            fingerprint: vec!["AB"; 32].join(":"),
        }
    }

    #[test]
    fn an_authenticated_check_is_answered_and_nominated_back() {
        let identity = Identity::generate().unwrap();
        let mut t = Transport::new("127.0.0.1:10000".parse().unwrap());
        let client: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let local = t.local_credentials().clone();
        let request = check(&format!("{}:cli1", local.ufrag), &local.pwd);
        assert_eq!(
            t.handle_datagram(&identity, Instant::now(), client, &request)
                .unwrap(),
            None
        );
        let sent = t.poll_transmit();
        assert_eq!(
            sent.len(),
            1,
            "answered, but no nomination before session-accept"
        );
        let mut answer = Message::new();
        answer.unmarshal_binary(&sent[0].1).unwrap();
        assert_eq!((answer.typ, sent[0].0), (BINDING_SUCCESS, client));

        t.set_remote(&identity, remote()).unwrap();
        let sent = t.poll_transmit();
        assert_eq!(sent.len(), 1, "the queued triggered check goes out");
        let mut nomination = Message::new();
        nomination.unmarshal_binary(&sent[0].1).unwrap();
        assert_eq!(nomination.typ, BINDING_REQUEST);
        assert!(nomination.contains(rtc::stun::attributes::ATTR_USE_CANDIDATE));
        let username = TextAttribute::get_from_as(&nomination, ATTR_USERNAME).unwrap();
        assert_eq!(username.text, format!("cli1:{}", local.ufrag));
        assert_eq!(t.selected(), None, "selected only once the client answers");
    }

    /// Answers the nominating check `sent` (from the client at `client`, with its `pwd`).
    fn answer_nomination(sent: &[u8], pwd: &str) -> Vec<u8> {
        let provider = rtc::crypto::default_provider().unwrap();
        let mut request = Message::new();
        request.unmarshal_binary(sent).unwrap();
        let mut m = Message::new();
        m.build(&[
            Box::new(request),
            Box::new(BINDING_SUCCESS),
            Box::new(MessageIntegrity::new_short_term_integrity_with_provider(
                pwd.to_string(),
                provider.crypto(),
            )),
            Box::new(FINGERPRINT),
        ])
        .unwrap();
        m.raw.clone()
    }

    #[test]
    fn an_ice_restart_keeps_the_old_pair_until_the_new_generation_is_nominated() {
        let identity = Identity::generate().unwrap();
        let now = Instant::now();
        let mut t = Transport::new("127.0.0.1:10000".parse().unwrap());
        let old_path: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let new_path: SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let old = t.local_credentials().clone();
        t.set_remote(&identity, remote()).unwrap();
        t.handle_datagram(
            &identity,
            now,
            old_path,
            &check(&format!("{}:cli1", old.ufrag), &old.pwd),
        )
        .unwrap();
        let sent = t.poll_transmit();
        let reply = answer_nomination(&sent[1].1, &remote().ice.pwd);
        t.handle_datagram(&identity, now, old_path, &reply).unwrap();
        assert_eq!(t.selected(), Some(old_path));

        let new = t.restart_ice().clone();
        assert_ne!(new, old, "a new generation has new credentials");
        // The old generation's consent checks are still answered; nothing is nominated before
        // the client's new credentials are known.
        t.handle_datagram(
            &identity,
            now,
            old_path,
            &check(&format!("{}:cli1", old.ufrag), &old.pwd),
        )
        .unwrap();
        t.handle_datagram(
            &identity,
            now,
            new_path,
            &check(&format!("{}:cli2", new.ufrag), &new.pwd),
        )
        .unwrap();
        let sent = t.poll_transmit();
        assert_eq!(sent.len(), 2, "two answers, no nomination: {sent:?}");
        assert_eq!(t.selected(), Some(old_path), "media stays on the old pair");

        let cli2 = IceCredentials {
            ufrag: "cli2".into(),
            pwd: "clientpasswordnumbertwo!".into(),
        };
        t.set_remote_ice(&identity, cli2.clone()).unwrap();
        let sent = t.poll_transmit();
        assert_eq!(sent.len(), 1, "the new path is nominated");
        let mut nomination = Message::new();
        nomination.unmarshal_binary(&sent[0].1).unwrap();
        let username = TextAttribute::get_from_as(&nomination, ATTR_USERNAME).unwrap();
        assert_eq!(
            (username.text, sent[0].0),
            (format!("cli2:{}", new.ufrag), new_path)
        );
        let reply = answer_nomination(&sent[0].1, &cli2.pwd);
        t.handle_datagram(&identity, now, new_path, &reply).unwrap();
        assert_eq!(t.selected(), Some(new_path));
        assert!(
            t.handle_datagram(
                &identity,
                now,
                old_path,
                &check(&format!("{}:cli1", old.ufrag), &old.pwd)
            )
            .is_err(),
            "the old generation is gone once the client named its new one"
        );
    }

    #[test]
    fn hostile_datagrams_get_typed_errors() {
        let identity = Identity::generate().unwrap();
        let mut t = Transport::new("127.0.0.1:10000".parse().unwrap());
        let from: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let now = Instant::now();
        let local = t.local_credentials().clone();
        let wrong_pwd = check(&format!("{}:cli1", local.ufrag), "not-the-password-at-all");
        assert!(matches!(
            t.handle_datagram(&identity, now, from, &wrong_pwd),
            Err(TransportError::Stun(_))
        ));
        let other_ufrag = check("someone:cli1", &local.pwd);
        assert!(t
            .handle_datagram(&identity, now, from, &other_ufrag)
            .is_err());
        assert!(matches!(
            t.handle_datagram(&identity, now, from, &[22, 254, 253, 0, 0]),
            Err(TransportError::NotConnected)
        ));
        assert_eq!(
            t.handle_datagram(&identity, now, from, &[0x80, 111, 0, 1])
                .unwrap(),
            None,
            "media from an unselected address is ignored"
        );
        for first in [0u8, 3, 20, 63, 128, 200, 255] {
            let junk: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ first).collect();
            let mut data = vec![first];
            data.extend(junk);
            let _ = t.handle_datagram(&identity, now, from, &data);
        }
        assert!(t.poll_transmit().is_empty(), "nothing answers junk");
        let mut bad = remote();
        bad.fingerprint = "zz".into();
        assert!(matches!(
            t.set_remote(&identity, bad),
            Err(TransportError::BadFingerprint)
        ));
    }
}
