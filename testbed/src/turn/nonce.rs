//! Nonces for the long-term credential mechanism (RFC 8489 §9.2). Stateless: a nonce is its issue
//! time and a MAC over it, so unauthenticated Allocates (which anyone can send) cost no memory.

use std::sync::Arc;

use rtc::crypto::{constant_time_eq, CryptoError, HmacAlgorithm, RTCCryptoProvider};

/// coturn's default `stale-nonce` lifetime.
const LIFETIME_SECS: u64 = 600;
/// Hex digits of the MAC kept in a nonce: 64 bits are plenty against guessing on loopback.
const MAC_HEX: usize = 16;

pub(super) struct Nonces {
    provider: Arc<dyn RTCCryptoProvider>,
    key: [u8; 20],
}

impl Nonces {
    pub(super) fn new(provider: Arc<dyn RTCCryptoProvider>) -> Result<Nonces, CryptoError> {
        let mut key = [0u8; 20];
        provider.random().fill(&mut key)?;
        Ok(Nonces { provider, key })
    }

    pub(super) fn issue(&self, unix_now: u64) -> String {
        // Without a MAC (a failing provider) the nonce is issued but never accepted.
        format!("{unix_now:x}-{}", self.mac(unix_now).unwrap_or_default())
    }

    /// False for a nonce we did not issue and for one older than its lifetime: both get 438.
    pub(super) fn valid(&self, nonce: &str, unix_now: u64) -> bool {
        let Some((issued, mac)) = nonce.split_once('-') else {
            return false;
        };
        let Ok(issued) = u64::from_str_radix(issued, 16) else {
            return false;
        };
        self.mac(issued)
            .is_some_and(|ours| constant_time_eq(mac.as_bytes(), ours.as_bytes()))
            && issued <= unix_now
            && unix_now - issued <= LIFETIME_SECS
    }

    fn mac(&self, issued: u64) -> Option<String> {
        let mut tag = [0u8; HmacAlgorithm::Sha1.output_len()];
        self.provider
            .crypto()
            .new_hmac(HmacAlgorithm::Sha1, &self.key)
            .and_then(|mut mac| mac.sign(&[&issued.to_be_bytes()], &mut tag))
            .ok()?;
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        Some(hex[..MAC_HEX].to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_nonces_are_valid_until_they_go_stale() {
        let nonces = Nonces::new(rtc::crypto::default_provider().unwrap()).unwrap();
        let nonce = nonces.issue(1_000);
        assert!(nonces.valid(&nonce, 1_000));
        assert!(nonces.valid(&nonce, 1_000 + LIFETIME_SECS));
        assert!(!nonces.valid(&nonce, 1_001 + LIFETIME_SECS));
        assert!(!nonces.valid("3e8-0000000000000000", 1_000));
        assert!(!nonces.valid("garbage", 1_000));
        assert!(!nonces.valid("", 1_000));
    }
}
