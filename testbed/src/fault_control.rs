//! The fault proxy and the bridge's faults driven over HTTP, for tests that are not Rust (Kotlin,
//! Swift, the interop benchmarks): `POST /cut`, `/down`, `/blackhole` or `/restore` on a loopback
//! port does what `FaultProxy`'s method of that name does; `POST /bridge/blackhole/CONF/ENDPOINT`,
//! `/bridge/restore/CONF/ENDPOINT` and `/bridge/kill-path/CONF/ENDPOINT` do what `Bridge::blackhole`
//! and `Bridge::kill_path` do to an endpoint of the current bridge. Each answers
//! `204 No Content`; anything else, or an endpoint the bridge does not have, gets `404`.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fault_proxy::FaultProxy;
use crate::CurrentBridge;

/// A request line and headers longer than this are refused: the clients are our tests.
const MAX_REQUEST: usize = 4096;

pub struct FaultControl {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl FaultControl {
    /// Controls `proxy`, and the bridge in `bridge` when there is one.
    pub async fn start(
        proxy: Arc<FaultProxy>,
        bridge: Option<CurrentBridge>,
    ) -> std::io::Result<FaultControl> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(answer(stream, proxy.clone(), bridge.clone()));
            }
        });
        Ok(FaultControl { addr, task })
    }

    /// `http://127.0.0.1:PORT`, to which the fault's name is appended as the path.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FaultControl {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(mut stream: TcpStream, proxy: Arc<FaultProxy>, bridge: Option<CurrentBridge>) {
    let mut request = Vec::new();
    let mut buf = [0u8; 512];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) if request.len() + n > MAX_REQUEST => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&request);
    let mut words = line.split_whitespace();
    let status = match (words.next(), words.next()) {
        (Some("POST"), Some(path)) => match apply(&proxy, bridge.as_ref(), path) {
            true => "204 No Content",
            false => "404 Not Found",
        },
        _ => "405 Method Not Allowed",
    };
    let response = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn apply(proxy: &FaultProxy, bridge: Option<&CurrentBridge>, path: &str) -> bool {
    if let Some(rest) = path.strip_prefix("/bridge/") {
        let Some(bridge) = bridge.map(|b| b.lock().unwrap_or_else(|p| p.into_inner()).clone())
        else {
            return false;
        };
        let done = match rest.split('/').collect::<Vec<_>>()[..] {
            ["blackhole", conference, endpoint] => bridge.blackhole(conference, endpoint, true),
            ["restore", conference, endpoint] => bridge.blackhole(conference, endpoint, false),
            ["kill-path", conference, endpoint] => bridge.kill_path(conference, endpoint).is_some(),
            _ => false,
        };
        if done {
            log::info!("fault control: {path}");
        }
        return done;
    }
    match path {
        "/cut" => proxy.cut(),
        "/down" => proxy.down(),
        "/blackhole" => proxy.blackhole(),
        "/restore" => {
            proxy.restore();
        }
        _ => return false,
    }
    log::info!("fault control: {path}");
    true
}
