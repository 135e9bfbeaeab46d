//! A deliberately small HTTP/1.1 GET, enough to read a deployment's config.js without pulling
//! a full HTTP client into a mobile library.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use url::Url;

use super::policy::Policy;
use super::stream::connect;
use crate::error::Error;

const MAX_BODY: usize = 512 * 1024;

pub async fn get(url: &Url, timeout: Duration, policy: &Policy) -> Result<String, Error> {
    policy.check(url)?;
    let tls = (url.scheme() == "https").then_some(policy);
    let host = url.host_str().ok_or_else(|| Error::InvalidServerUrl {
        url: url.to_string(),
        reason: "no host".into(),
    })?;
    let port = url.port_or_known_default().unwrap_or(80);
    let fetch = async {
        let mut io = connect(host, port, tls, timeout).await?;
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_string(),
        };
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: omni-jitsi-meet\r\n\
             Accept: */*\r\nConnection: close\r\n\r\n"
        );
        let lost = |e: std::io::Error| Error::ServerUnreachable {
            url: url.to_string(),
            detail: e.to_string(),
        };
        io.write_all(request.as_bytes()).await.map_err(lost)?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = io.read(&mut chunk).await.map_err(lost)?;
            if n == 0 {
                break;
            }
            raw.extend_from_slice(&chunk[..n]);
            if raw.len() > MAX_BODY {
                return Err(Error::Protocol("config.js is too large".into()));
            }
        }
        parse_response(&raw)
    };
    tokio::time::timeout(timeout, fetch)
        .await
        .map_err(|_| Error::ServerUnreachable {
            url: url.to_string(),
            detail: "timed out".into(),
        })?
}

fn parse_response(raw: &[u8]) -> Result<String, Error> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| Error::Protocol("malformed HTTP response".into()))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.lines();
    let status: u16 = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| Error::Protocol("malformed HTTP status line".into()))?;
    if status != 200 {
        return Err(Error::Protocol(format!("HTTP {status}")));
    }
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    String::from_utf8(body).map_err(|_| Error::Protocol("config.js is not UTF-8".into()))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = || Error::Protocol("malformed chunked encoding".into());
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size + 2 || out.len() + size > MAX_BODY {
            return Err(bad());
        }
        out.extend_from_slice(&body[..size]);
        body = &body[size + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_chunked_bodies() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_response(plain).unwrap(), "hello");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2;x=y\r\nlo\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked).unwrap(), "hello");
        assert!(parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n").is_err());
        assert!(
            parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_err()
        );
        assert!(parse_response(b"garbage").is_err());
    }
}
