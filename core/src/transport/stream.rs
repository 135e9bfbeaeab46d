use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types::ServerName};
use tokio_rustls::TlsConnector;

use crate::error::Error;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type BoxedIo = Box<dyn Io>;

fn tls_config() -> Arc<rustls::ClientConfig> {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let roots =
                rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let mut config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("ring supports the default protocol versions")
                .with_root_certificates(roots)
                .with_no_client_auth();
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            Arc::new(config)
        })
        .clone()
}

/// Opens TCP (and TLS when `tls`) to `host:port`, with typed errors for each way it can fail.
pub async fn connect(
    host: &str,
    port: u16,
    tls: bool,
    timeout: Duration,
) -> Result<BoxedIo, Error> {
    let url = format!("{host}:{port}");
    let unreachable = |detail: String| Error::ServerUnreachable {
        url: url.clone(),
        detail,
    };
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| unreachable("connection timed out".into()))?
        .map_err(|e| unreachable(e.to_string()))?;
    let _ = tcp.set_nodelay(true);
    if !tls {
        return Ok(Box::new(tcp));
    }
    let name = ServerName::try_from(host.to_string()).map_err(|_| Error::InvalidServerUrl {
        url: host.to_string(),
        reason: "not a valid TLS server name".into(),
    })?;
    let stream = tokio::time::timeout(timeout, TlsConnector::from(tls_config()).connect(name, tcp))
        .await
        .map_err(|_| unreachable("TLS handshake timed out".into()))?
        .map_err(|e| Error::Tls {
            host: host.to_string(),
            detail: e.to_string(),
        })?;
    Ok(Box::new(stream))
}
