//! A loopback TCP proxy in front of a server port whose faults tests drive: cut every open
//! connection, take the path down (connections are refused), blackhole it (connections are
//! accepted and bytes read, but nothing goes through until it is restored, as TCP behaves when
//! packets vanish and are retransmitted once the path is back), or delay every chunk. It can also
//! act as a man in the middle of the signalling: forge every DTLS fingerprint the server sends
//! the client.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Path {
    Up,
    /// New connections are closed as soon as they are accepted; open ones were cut.
    Down,
    /// Nothing goes through, either way, until the path is restored; then it all flows.
    Blackhole,
    /// Every chunk waits this long before it is passed on.
    Delay(Duration),
}

pub struct FaultProxy {
    port: u16,
    path: watch::Sender<Path>,
    cuts: watch::Sender<u64>,
    attempts: Arc<AtomicUsize>,
    forge: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on a free loopback port and relays each connection to `target_port`.
    pub async fn start(target_port: u16) -> std::io::Result<FaultProxy> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let port = listener.local_addr()?.port();
        let (path, paths) = watch::channel(Path::Up);
        let (cuts, cut_rx) = watch::channel(0u64);
        let attempts = Arc::new(AtomicUsize::new(0));
        let counted = attempts.clone();
        let forge = Arc::new(AtomicBool::new(false));
        let forging = forge.clone();
        let task = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                if *paths.borrow() == Path::Down {
                    drop(inbound);
                    continue;
                }
                let mut cut = cut_rx.clone();
                cut.mark_unchanged();
                tokio::spawn(relay(
                    inbound,
                    target_port,
                    paths.clone(),
                    cut,
                    forging.clone(),
                ));
            }
        });
        Ok(FaultProxy {
            port,
            path,
            cuts,
            attempts,
            forge,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Closes every connection open now; new ones are relayed as the path allows.
    pub fn cut(&self) {
        self.cuts.send_modify(|n| *n += 1);
    }

    /// Cuts every connection and refuses new ones until `restore`.
    pub fn down(&self) {
        self.path.send_replace(Path::Down);
        self.cut();
    }

    /// Holds every byte, on open and new connections alike, until `restore`.
    pub fn blackhole(&self) {
        self.path.send_replace(Path::Blackhole);
    }

    pub fn delay(&self, by: Duration) {
        self.path.send_replace(Path::Delay(by));
    }

    /// From now on, every DTLS fingerprint in what the server sends the client is replaced by
    /// another of the same length, as an attacker on the signalling path would to put its own
    /// certificate in the middle of the media.
    pub fn forge_fingerprints(&self) {
        self.forge.store(true, Ordering::SeqCst);
    }

    /// Connections clients have opened so far, refused ones included: how often a client tried.
    pub fn attempts(&self) -> usize {
        self.attempts.load(Ordering::SeqCst)
    }

    /// The path works again; returns when that happened, to measure recovery from.
    pub fn restore(&self) -> Instant {
        self.path.send_replace(Path::Up);
        Instant::now()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
        self.cut();
    }
}

async fn relay(
    inbound: TcpStream,
    target_port: u16,
    path: watch::Receiver<Path>,
    mut cut: watch::Receiver<u64>,
    forge: Arc<AtomicBool>,
) {
    let Ok(outbound) = TcpStream::connect(("127.0.0.1", target_port)).await else {
        return;
    };
    let (in_read, in_write) = inbound.into_split();
    let (out_read, out_write) = outbound.into_split();
    tokio::select! {
        _ = pump(in_read, out_write, path.clone(), None) => {}
        _ = pump(out_read, in_write, path, Some(forge)) => {}
        _ = cut.changed() => {}
    }
}

/// One direction: read, wait for the path to let the chunk through, write. `forge` is the
/// server-to-client direction's switch for forging fingerprints.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    mut path: watch::Receiver<Path>,
    forge: Option<Arc<AtomicBool>>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        loop {
            let now = *path.borrow_and_update();
            match now {
                Path::Up => break,
                Path::Delay(by) => {
                    tokio::time::sleep(by).await;
                    break;
                }
                Path::Blackhole => {
                    if path.changed().await.is_err() {
                        return;
                    }
                }
                Path::Down => return,
            }
        }
        if forge.as_ref().is_some_and(|f| f.load(Ordering::SeqCst)) {
            forge_fingerprints(&mut buf[..n]);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// Shifts each hex digit of every `<fingerprint ...>AB:CD:...</fingerprint>` in `chunk` by one,
/// in place: the same length, so the WebSocket frame around it stays valid (server frames are
/// not masked). A fingerprint split across two reads is left alone; on loopback a stanza comes
/// in one read.
fn forge_fingerprints(chunk: &mut [u8]) {
    const OPEN: &[u8] = b"<fingerprint";
    const CLOSE: &[u8] = b"</fingerprint>";
    let find = |hay: &[u8], needle: &[u8], from: usize| {
        hay.get(from..)?
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| from + at)
    };
    let mut at = 0;
    while let Some(open) = find(chunk, OPEN, at) {
        let Some(gt) = find(chunk, b">", open) else {
            return;
        };
        let Some(close) = find(chunk, CLOSE, gt) else {
            return;
        };
        for byte in &mut chunk[gt + 1..close] {
            *byte = match *byte {
                b'0'..=b'8' | b'a'..=b'e' | b'A'..=b'E' => *byte + 1,
                b'9' => b'A',
                b'f' | b'F' => b'0',
                other => other,
            };
        }
        at = close + CLOSE.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forged_fingerprint_keeps_its_length_and_nothing_else_changes() {
        let stanza = "<x><fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' \
                      setup='actpass'>09:AF:fe</fingerprint><y>09</y></x>";
        let mut forged = stanza.as_bytes().to_vec();
        forge_fingerprints(&mut forged);
        assert_eq!(
            String::from_utf8(forged).unwrap(),
            stanza.replace(">09:AF:fe<", ">1A:B0:0f<")
        );
    }

    async fn echo_server() -> u16 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        port
    }

    async fn round_trip(s: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
        s.write_all(b"ping").await.ok()?;
        let mut buf = [0u8; 4];
        tokio::time::timeout(within, s.read_exact(&mut buf))
            .await
            .ok()?
            .ok()?;
        Some(buf.to_vec())
    }

    #[tokio::test]
    async fn blackhole_holds_bytes_until_restored_and_cut_closes() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        let mut s = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .unwrap();
        let short = Duration::from_millis(300);
        assert_eq!(
            round_trip(&mut s, Duration::from_secs(5)).await.unwrap(),
            b"ping"
        );
        proxy.blackhole();
        assert_eq!(
            round_trip(&mut s, short).await,
            None,
            "a blackhole passes nothing"
        );
        proxy.restore();
        let mut held = [0u8; 4];
        tokio::time::timeout(Duration::from_secs(5), s.read_exact(&mut held))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&held, b"ping", "what was held arrives once restored");
        proxy.cut();
        let mut rest = Vec::new();
        let n = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(n, 0, "a cut closes the connection");
    }

    #[tokio::test]
    async fn down_refuses_connections_until_restored() {
        let proxy = FaultProxy::start(echo_server().await).await.unwrap();
        proxy.down();
        let mut s = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .unwrap();
        assert_eq!(round_trip(&mut s, Duration::from_secs(5)).await, None);
        proxy.restore();
        let mut s = TcpStream::connect(("127.0.0.1", proxy.port()))
            .await
            .unwrap();
        assert_eq!(
            round_trip(&mut s, Duration::from_secs(5)).await.unwrap(),
            b"ping"
        );
    }
}
