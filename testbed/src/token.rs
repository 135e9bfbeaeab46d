//! JWT token authentication as Jitsi deployments configure it (`authentication = "token"`,
//! `app_id`, `app_secret`, HS256): Prosody runs our `mod_auth_token_testbed` and
//! `mod_token_verification_testbed`, and tests mint tokens with [`TokenAuth::token`].

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use ring::hmac;

#[derive(Clone)]
pub struct TokenAuth {
    pub app_id: String,
    pub secret: String,
}

impl std::fmt::Debug for TokenAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenAuth")
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// The claims jitsi's token/util.lib.lua checks; `room` `*` allows every room.
#[derive(Debug, Clone)]
pub struct Claims {
    /// None leaves the claim out, which the deployment refuses.
    pub room: Option<String>,
    pub sub: String,
    pub aud: String,
    /// Seconds since the Unix epoch.
    pub exp: u64,
    pub name: Option<String>,
}

impl TokenAuth {
    pub fn random() -> TokenAuth {
        TokenAuth {
            app_id: "omni-jitsi-testbed".into(),
            secret: format!("{:032x}", rand::random::<u128>()),
        }
    }

    /// A token signed with the deployment's secret, as a deployment's backend would issue it.
    pub fn token(&self, claims: &Claims) -> String {
        self.sign(&self.payload(claims), &self.secret)
    }

    /// A token with the same claims signed with another secret: what a forger can make.
    pub fn forged(&self, claims: &Claims) -> String {
        self.sign(&self.payload(claims), "not the deployment's secret")
    }

    fn payload(&self, claims: &Claims) -> serde_json::Value {
        let mut payload = serde_json::json!({
            "iss": self.app_id,
            "aud": claims.aud,
            "sub": claims.sub,
            "exp": claims.exp,
        });
        if let Some(room) = &claims.room {
            payload["room"] = room.as_str().into();
        }
        if let Some(name) = &claims.name {
            payload["context"] = serde_json::json!({ "user": { "name": name } });
        }
        payload
    }

    fn sign(&self, payload: &serde_json::Value, secret: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signed = format!("{header}.{body}");
        let key = hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes());
        let signature = URL_SAFE_NO_PAD.encode(hmac::sign(&key, signed.as_bytes()).as_ref());
        format!("{signed}.{signature}")
    }
}

/// Seconds since the Unix epoch, for `exp`.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_the_rfc7519_hs256_shape_and_a_forgery_differs_only_in_its_signature() {
        let auth = TokenAuth {
            app_id: "app".into(),
            secret: "s3cr3t-value".into(),
        };
        let claims = Claims {
            room: Some("r".into()),
            sub: "meet.test".into(),
            aud: "jitsi".into(),
            exp: 2_000_000_000,
            name: None,
        };
        let token = auth.token(&claims);
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(payload["iss"], "app");
        assert_eq!(payload["room"], "r");
        let forged = auth.forged(&claims);
        assert_eq!(
            forged.rsplit_once('.').unwrap().0,
            token.rsplit_once('.').unwrap().0
        );
        assert_ne!(forged, token);
        assert!(!format!("{auth:?}").contains("s3cr3t-value"));
    }
}
