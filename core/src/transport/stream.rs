use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::TlsConnector;

use super::policy::Policy;
use crate::error::Error;

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub type BoxedIo = Box<dyn Io>;

/// Opens TCP (and TLS under `tls`'s trust when given) to `host:port`, with typed errors for
/// each way it can fail.
pub async fn connect(
    host: &str,
    port: u16,
    tls: Option<&Policy>,
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
    let Some(policy) = tls else {
        return Ok(Box::new(tcp));
    };
    let name = ServerName::try_from(host.to_string()).map_err(|_| Error::InvalidServerUrl {
        url: host.to_string(),
        reason: "not a valid TLS server name".into(),
    })?;
    let stream = tokio::time::timeout(timeout, TlsConnector::from(policy.tls()).connect(name, tcp))
        .await
        .map_err(|_| unreachable("TLS handshake timed out".into()))?
        .map_err(|e| Error::Tls {
            host: host.to_string(),
            detail: e.to_string(),
        })?;
    Ok(Box::new(stream))
}
