//! A TURN server on loopback (RFC 8656 over UDP, long-term credentials from a shared secret as
//! coturn's `use-auth-secret`), which is also the STUN server. Prosody advertises it through
//! XEP-0215 as docker-jitsi-meet does (`mod_turn_external`), so clients get credentials it
//! accepts; with `p2p.iceTransportPolicy = relay` all P2P media crosses it.
//!
//! It is also a fault point for media: `blackhole` kills the relayed path both ways (Send
//! indications, ChannelData and whatever peers send to relay addresses are dropped, silently),
//! while requests (Binding, Allocate, Refresh, CreatePermission, ChannelBind) are still answered.
//! That is a relay whose media path died but whose control plane lives, so a client notices only
//! through its media and ICE consent checks, which travel relayed too. `impair` makes the path
//! lossy (seeded) and slow instead.

mod allocation;
mod credentials;
mod impairment;
mod nonce;
mod server;
mod wire;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rtc::crypto::RTCCryptoProvider;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

pub use credentials::TurnCredentials;

use allocation::PeerPacket;
use impairment::Impairment;
use server::Server;

/// Datagrams from peers waiting for the server task; past this the relay drops them, as a
/// congested one would.
const PEER_QUEUE: usize = 1024;
/// How often expired allocations are closed when no traffic prompts it.
const SWEEP: Duration = Duration::from_secs(1);
/// The largest UDP payload.
const DATAGRAM: usize = 65_535;

#[derive(Debug, thiserror::Error)]
pub enum TurnError {
    #[error("cannot open the TURN server's socket: {0}")]
    Socket(#[from] std::io::Error),
    #[error("the crypto provider failed: {0}")]
    Crypto(String),
}

/// Counters since the server started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TurnStats {
    /// Allocations made (a retransmitted Allocate does not count twice).
    pub allocations: u64,
    /// Datagrams sent from a relay address to a peer.
    pub relayed_to_peers: u64,
    /// Datagrams from peers delivered to clients (ChannelData or Data indications).
    pub relayed_to_clients: u64,
}

/// What the server task and the handle share.
#[derive(Default)]
struct Shared {
    impairment: Mutex<Impairment>,
    allocations: AtomicU64,
    relayed_to_peers: AtomicU64,
    relayed_to_clients: AtomicU64,
}

/// Which way relayed media goes, for the counters.
#[derive(Clone, Copy)]
enum Toward {
    Peer,
    Client,
}

impl Shared {
    fn impairment(&self) -> std::sync::MutexGuard<'_, Impairment> {
        self.impairment
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Sends relayed media from `socket` as the path's impairment lets it: maybe not at all,
    /// maybe later.
    fn relay(
        self: &Arc<Self>,
        socket: &Arc<UdpSocket>,
        data: &[u8],
        to: SocketAddr,
        toward: Toward,
    ) {
        let Some(delay) = self.impairment().fate() else {
            return;
        };
        if delay.is_zero() {
            return self.sent(socket.try_send_to(data, to).is_ok(), toward);
        }
        let (shared, socket, data) = (self.clone(), socket.clone(), data.to_vec());
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            shared.sent(socket.send_to(&data, to).await.is_ok(), toward);
        });
    }

    fn sent(&self, ok: bool, toward: Toward) {
        if !ok {
            return;
        }
        match toward {
            Toward::Peer => &self.relayed_to_peers,
            Toward::Client => &self.relayed_to_clients,
        }
        .fetch_add(1, Ordering::Relaxed);
    }
}

/// The running server; dropping it stops it and closes every relay socket.
pub struct TurnServer {
    addr: SocketAddr,
    secret: String,
    provider: Arc<dyn RTCCryptoProvider>,
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl TurnServer {
    /// Listens on 127.0.0.1 (a free port) and accepts credentials made from `secret`.
    pub async fn start(secret: &str) -> Result<TurnServer, TurnError> {
        let socket = Arc::new(UdpSocket::bind(("127.0.0.1", 0)).await?);
        let addr = socket.local_addr()?;
        let provider =
            rtc::crypto::default_provider().map_err(|e| TurnError::Crypto(e.to_string()))?;
        let shared = Arc::new(Shared::default());
        let (peers, from_peers) = mpsc::channel(PEER_QUEUE);
        let server = Server::new(
            socket.clone(),
            provider.clone(),
            secret,
            peers,
            shared.clone(),
        )
        .map_err(|e| TurnError::Crypto(e.to_string()))?;
        let task = tokio::spawn(serve(socket, server, from_peers));
        log::debug!("turn: listening on {addr}");
        Ok(TurnServer {
            addr,
            secret: secret.to_string(),
            provider,
            shared,
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub(crate) fn secret(&self) -> &str {
        &self.secret
    }

    /// While on, relayed media is dropped both ways; requests are still answered (see the
    /// module documentation).
    pub fn blackhole(&self, on: bool) {
        self.shared.impairment().set_blackhole(on);
    }

    /// From now on each relayed datagram, either way, is lost with probability `loss` (drawn
    /// from `seed`) or else delivered `delay` late.
    pub fn impair(&self, loss: f64, delay: Duration, seed: u64) {
        self.shared
            .impairment()
            .set_loss_and_delay(loss, delay, seed);
    }

    pub fn stats(&self) -> TurnStats {
        TurnStats {
            allocations: self.shared.allocations.load(Ordering::Relaxed),
            relayed_to_peers: self.shared.relayed_to_peers.load(Ordering::Relaxed),
            relayed_to_clients: self.shared.relayed_to_clients.load(Ordering::Relaxed),
        }
    }

    /// What Prosody's `mod_turn_external` hands a client now: a username expiring after
    /// `valid_for`, and its password.
    pub fn credentials(&self, valid_for: Duration) -> Result<TurnCredentials, TurnError> {
        self.credentials_for(&credentials::username_valid_for(valid_for))
    }

    /// The password for any REST username (`<unix-expiry>` or `<unix-expiry>:<user>`), expired
    /// or not.
    pub fn credentials_for(&self, username: &str) -> Result<TurnCredentials, TurnError> {
        TurnCredentials::derive(self.provider.crypto(), &self.secret, username.to_string())
            .map_err(|e| TurnError::Crypto(e.to_string()))
    }
}

impl Drop for TurnServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    socket: Arc<UdpSocket>,
    mut server: Server,
    mut from_peers: mpsc::Receiver<PeerPacket>,
) {
    let mut buf = vec![0u8; DATAGRAM];
    let mut sweep = tokio::time::interval(SWEEP);
    loop {
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => server.handle_client(from, &buf[..n], Instant::now()),
                // An ICMP report about an earlier send; the socket is still fine.
                Err(e) => log::debug!("turn: receiving: {e}"),
            },
            Some(packet) = from_peers.recv() => server.handle_peer(packet, Instant::now()),
            _ = sweep.tick() => server.expire(Instant::now()),
        }
    }
}
