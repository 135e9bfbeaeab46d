//! Which servers the SDK will talk to, and how: TLS 1.2/1.3 (rustls implements nothing older)
//! against Mozilla's roots (webpki-roots) plus the app's own, for deployments behind a private
//! certificate authority; plain `ws://`/`http://` only to this device unless the app allows it,
//! since the token, room passwords and chat would cross the network in clear.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use tokio_rustls::rustls::{self, pki_types::pem::PemObject, pki_types::CertificateDer};
use url::{Host, Url};

use crate::error::Error;
use crate::redact;

#[derive(Clone)]
pub struct Policy {
    tls: Arc<rustls::ClientConfig>,
    allow_insecure: bool,
}

impl std::fmt::Debug for Policy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policy")
            .field("allow_insecure", &self.allow_insecure)
            .finish_non_exhaustive()
    }
}

impl Default for Policy {
    fn default() -> Self {
        static PUBLIC: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
        Policy {
            tls: PUBLIC
                .get_or_init(|| {
                    client_config(rustls::RootCertStore::from_iter(
                        webpki_roots::TLS_SERVER_ROOTS.iter().cloned(),
                    ))
                })
                .clone(),
            allow_insecure: false,
        }
    }
}

impl Policy {
    /// `trusted_pem`: certificates in PEM, each text holding one or more, trusted as roots
    /// beside the public ones. `allow_insecure`: plain WebSocket/HTTP to other hosts too.
    pub fn new(trusted_pem: &[String], allow_insecure: bool) -> Result<Policy, Error> {
        if trusted_pem.is_empty() {
            return Ok(Policy {
                allow_insecure,
                ..Policy::default()
            });
        }
        let mut extra = Vec::new();
        for (i, pem) in trusted_pem.iter().enumerate() {
            let before = extra.len();
            for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                extra.push(cert.map_err(|e| {
                    invalid(format!("trusted certificate {i} is not valid PEM: {e}"))
                })?);
            }
            if extra.len() == before {
                return Err(invalid(format!(
                    "trusted certificate {i} holds no `BEGIN CERTIFICATE` block"
                )));
            }
        }
        let mut roots =
            rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let (_, rejected) = roots.add_parsable_certificates(extra);
        if rejected > 0 {
            return Err(invalid(format!(
                "{rejected} trusted certificate(s) could not be read as X.509"
            )));
        }
        Ok(Policy {
            tls: client_config(roots),
            allow_insecure,
        })
    }

    pub(crate) fn tls(&self) -> Arc<rustls::ClientConfig> {
        self.tls.clone()
    }

    /// Refuses a plain-text URL to a host other than this device, unless allowed.
    pub fn check(&self, url: &Url) -> Result<(), Error> {
        let plain = matches!(url.scheme(), "ws" | "http");
        if !plain || self.allow_insecure || is_loopback(url) {
            return Ok(());
        }
        Err(Error::InvalidServerUrl {
            url: redact::url(url.as_str()),
            reason: "plain ws:// or http:// to another host would send the token, passwords and \
                     chat in clear: use https:// or wss://, or allow insecure transport"
                .into(),
        })
    }
}

fn client_config(roots: rustls::RootCertStore) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn invalid(detail: String) -> Error {
    Error::InvalidArgument(detail)
}
