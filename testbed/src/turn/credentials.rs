//! TURN REST API credentials (draft-uberti-behave-turn-rest), as coturn checks them with
//! `use-auth-secret` and as Prosody's `mod_external_services` hands them out: the username is
//! `<unix-expiry>` or `<unix-expiry>:<user>`, the password base64(HMAC-SHA1(secret, username)).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rtc::crypto::{CryptoError, HmacAlgorithm, RTCCrypto};
use rtc::stun::integrity::MessageIntegrity;

/// A username and password a client presents to the TURN server, valid until the expiry the
/// username carries.
#[derive(Clone, PartialEq, Eq)]
pub struct TurnCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for TurnCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TurnCredentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl TurnCredentials {
    pub(super) fn derive(
        crypto: &dyn RTCCrypto,
        secret: &str,
        username: String,
    ) -> Result<TurnCredentials, CryptoError> {
        let password = password(crypto, secret, &username)?;
        Ok(TurnCredentials { username, password })
    }
}

/// The username Prosody generates for a service with a `ttl` and no `turn_external_user`.
pub(super) fn username_valid_for(valid_for: Duration) -> String {
    (unix_now() + valid_for.as_secs()).to_string()
}

fn password(crypto: &dyn RTCCrypto, secret: &str, username: &str) -> Result<String, CryptoError> {
    let mut tag = [0u8; HmacAlgorithm::Sha1.output_len()];
    crypto
        .new_hmac(HmacAlgorithm::Sha1, secret.as_bytes())?
        .sign(&[username.as_bytes()], &mut tag)?;
    Ok(base64(&tag))
}

/// The MESSAGE-INTEGRITY key for `username` if it is one of ours and has not expired: coturn
/// answers an expired or malformed REST username as it answers a wrong password, with 401.
pub(super) fn long_term_key(
    crypto: &dyn RTCCrypto,
    secret: &str,
    realm: &str,
    username: &str,
) -> Option<Vec<u8>> {
    let expiry: u64 = username.split(':').next()?.parse().ok()?;
    if expiry < unix_now() {
        return None;
    }
    let password = password(crypto, secret, username).ok()?;
    MessageIntegrity::long_term_integrity_key(
        username.to_string(),
        realm.to_string(),
        password,
        crypto,
    )
    .ok()
}

pub(super) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Standard base64 with padding (RFC 4648 §4), as Prosody's `base64.encode`: the one encoding
/// this needs, not worth a dependency.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from_be_bytes([0, b[0], b[1], b[2]]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 0x3f) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let vectors = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in vectors {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    /// The TURN REST draft's password, computed independently:
    /// `echo -n 1700000000:ann | openssl dgst -sha1 -hmac secret -binary | base64`.
    #[test]
    fn password_is_base64_hmac_sha1_of_the_username() {
        let provider = rtc::crypto::default_provider().unwrap();
        let password = password(provider.crypto(), "secret", "1700000000:ann").unwrap();
        assert_eq!(password, "vQnWXBtsqkQms4Ddse1rYmcjgqM=");
    }

    #[test]
    fn expired_or_malformed_usernames_have_no_key() {
        let provider = rtc::crypto::default_provider().unwrap();
        let crypto = provider.crypto();
        let future = username_valid_for(Duration::from_secs(60));
        assert!(long_term_key(crypto, "s", "realm", &future).is_some());
        assert!(long_term_key(crypto, "s", "realm", &format!("{future}:ann")).is_some());
        assert!(long_term_key(crypto, "s", "realm", "1000:ann").is_none());
        assert!(long_term_key(crypto, "s", "realm", "ann").is_none());
        assert!(long_term_key(crypto, "s", "realm", "").is_none());
    }
}
