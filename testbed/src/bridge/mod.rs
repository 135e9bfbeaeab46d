//! The testbed videobridge: an SFU that behaves, as a client sees it, like jitsi-videobridge
//! with Jicofo in front of it. Per endpoint one UDP socket on loopback carrying ICE, DTLS-SRTP,
//! bundled RTP and muxed RTCP (`transport`); RTP forwarded with its original sequence numbers,
//! one layer of a simulcast source on the SIM group's first SSRC (`router`), padding-only probes
//! dropped; keyframe requests to the sender; a colibri-ws endpoint per participant
//! (`colibri`) with ServerHello, endpoint messages, receiver constraints, dominant speaker
//! (`speaker`), ForwardedSources and SenderSourceConstraints. `offer` writes the Jingle Jicofo
//! would send.
//!
//! Not done: simulcast layer selection and switching (max height is "forward or not"), NACK/RTX
//! retransmission from a cache, RTCP reports of its own, bandwidth estimation, SCTP data
//! channels, ICE beyond loopback host candidates.

mod colibri;
mod conference;
pub mod offer;
pub mod router;
pub mod signalling;
pub mod speaker;
pub mod transport;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

pub use conference::BridgeStats;
pub use offer::{BridgeTransport, OwnedSource};
pub use router::{Kind, Signalled, SourceDesc};
pub use transport::{IceCredentials, RemoteParameters, TransportError};

use conference::{Core, Endpoint, Out};
use transport::{Identity, Transport};

/// The bridge's name in colibri-ws URLs (`/colibri-ws/BRIDGE/CONF/ENDPOINT`).
/// The bridges a testbed runs, by their ids in colibri-ws URLs: the first, and the one a
/// conference moves to when the first is taken away (`Testbed::move_bridge`).
pub const BRIDGE_IDS: [&str; 2] = ["jvb1", "jvb2"];
pub(crate) const MAX_MESSAGE_BYTES: usize = 256 * 1024;
pub(crate) const MAX_LIST: usize = 1024;
/// DTLS retransmissions are the only timer; jitsi-videobridge's are as coarse.
const TICK: Duration = Duration::from_millis(50);

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("bridge I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("no such endpoint on the bridge")]
    UnknownEndpoint,
    #[error("wrong colibri-ws password")]
    Unauthorized,
    #[error(transparent)]
    Transport(TransportError),
}

pub struct Bridge {
    id: &'static str,
    core: Arc<Mutex<Core>>,
    fingerprint: String,
    feedback_ssrcs: (u32, u32),
    ws_addr: SocketAddr,
    /// The runtime the bridge started on: its sockets and tasks stay there whoever calls, so a
    /// bridge on its own thread can be measured alone.
    runtime: tokio::runtime::Handle,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl Bridge {
    pub async fn start() -> Result<Bridge, BridgeError> {
        Bridge::start_as(BRIDGE_IDS[0]).await
    }

    /// A bridge of its own (sockets, certificate, conferences) under the id `id`.
    pub async fn start_as(id: &'static str) -> Result<Bridge, BridgeError> {
        let identity = Identity::generate().map_err(BridgeError::Transport)?;
        let fingerprint = identity.fingerprint.clone();
        Bridge::start_with(id, identity, fingerprint).await
    }

    /// A man in the middle of the media path: the offers carry the fingerprint of one
    /// certificate (the real bridge's, which an attacker on the path can read from the signalling
    /// but cannot hold the key of), and DTLS is answered with another.
    pub async fn start_impostor(id: &'static str) -> Result<Bridge, BridgeError> {
        let identity = Identity::generate().map_err(BridgeError::Transport)?;
        let announced = Identity::generate()
            .map_err(BridgeError::Transport)?
            .fingerprint;
        Bridge::start_with(id, identity, announced).await
    }

    async fn start_with(
        id: &'static str,
        identity: Identity,
        fingerprint: String,
    ) -> Result<Bridge, BridgeError> {
        let core = Arc::new(Mutex::new(Core {
            identity,
            conferences: Default::default(),
            stats: BridgeStats::default(),
        }));
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let ws_addr = listener.local_addr()?;
        let tasks = vec![
            tokio::spawn(colibri::serve(listener, core.clone(), id)),
            tokio::spawn(tick(core.clone())),
        ];
        Ok(Bridge {
            id,
            core,
            fingerprint,
            feedback_ssrcs: (rand::random::<u32>().max(1), rand::random::<u32>().max(1)),
            ws_addr,
            runtime: tokio::runtime::Handle::current(),
            tasks: Mutex::new(tasks),
        })
    }

    pub fn id(&self) -> &'static str {
        self.id
    }

    /// The SSRCs of the bridge's own audio and video sources (never sent on here: the testbed
    /// sends no padding or probes), for the offer.
    pub fn feedback_ssrcs(&self) -> (u32, u32) {
        self.feedback_ssrcs
    }

    /// Allocates `endpoint` in `conference` (colibri2 `create` for one endpoint): its UDP
    /// socket, ICE credentials and colibri-ws URL. Not async: nothing in it blocks.
    pub fn allocate(
        &self,
        conference: &str,
        endpoint: &str,
    ) -> Result<BridgeTransport, BridgeError> {
        let socket = self.bind()?;
        let local = socket.local_addr()?;
        let transport = Transport::new(local);
        let ws_pwd = transport::random_token(26);
        let allocated = BridgeTransport {
            ufrag: transport.local_credentials().ufrag.clone(),
            pwd: transport.local_credentials().pwd.clone(),
            fingerprint: self.fingerprint.clone(),
            candidate: local,
            web_socket: self.web_socket_url(conference, endpoint, &ws_pwd),
        };
        {
            let mut core = lock(&self.core);
            core.stats.allocations += 1;
            let conf = core.conferences.entry(conference.to_string()).or_default();
            conf.router.add_endpoint(endpoint);
            conf.endpoints.insert(
                endpoint.to_string(),
                Endpoint::new(transport, socket.clone(), ws_pwd),
            );
        }
        self.serve(socket, conference, endpoint);
        Ok(allocated)
    }

    /// A UDP socket on a free loopback port, on the bridge's runtime. Binding a loopback port
    /// does not block.
    fn bind(&self) -> Result<Arc<UdpSocket>, BridgeError> {
        let socket = std::net::UdpSocket::bind(("127.0.0.1", 0))?;
        socket.set_nonblocking(true)?;
        let _runtime = self.runtime.enter();
        Ok(Arc::new(UdpSocket::from_std(socket)?))
    }

    /// Receives `endpoint`'s datagrams on `socket` until the endpoint leaves it.
    fn serve(&self, socket: Arc<UdpSocket>, conference: &str, endpoint: &str) {
        let task = self.runtime.spawn(receive(
            socket,
            self.core.clone(),
            conference.to_string(),
            endpoint.to_string(),
        ));
        lock(&self.tasks).push(task);
    }

    fn web_socket_url(&self, conference: &str, endpoint: &str, ws_pwd: &str) -> String {
        format!(
            "ws://{}/colibri-ws/{}/{conference}/{endpoint}?pwd={ws_pwd}",
            self.ws_addr, self.id
        )
    }

    /// The endpoint's answer (colibri2 `update` with its transport and sources). Returns the
    /// sources kept: an SSRC another endpoint owns is refused.
    pub fn accept(
        &self,
        conference: &str,
        endpoint: &str,
        remote: RemoteParameters,
        sources: Vec<SourceDesc>,
    ) -> Result<Vec<SourceDesc>, BridgeError> {
        lock(&self.core).accept(conference, endpoint, remote, sources)
    }

    /// Sources `endpoint` sends from now on (source-add / source-remove).
    pub fn set_sources(&self, conference: &str, endpoint: &str, sources: Vec<SourceDesc>) {
        if let Some(conf) = lock(&self.core).conferences.get_mut(conference) {
            conf.router.set_sources(endpoint, sources);
        }
    }

    /// Expires an endpoint (the participant left, or refused the session).
    pub fn expire(&self, conference: &str, endpoint: &str) {
        let outs = lock(&self.core).remove(conference, endpoint);
        self.runtime.spawn(send(outs));
    }

    /// Expires every endpoint of every conference: the focus that allocated them is gone.
    pub fn expire_all(&self) {
        let mut core = lock(&self.core);
        let endpoints: Vec<(String, String)> = core
            .conferences
            .iter()
            .flat_map(|(c, conf)| conf.endpoints.keys().map(move |e| (c.clone(), e.clone())))
            .collect();
        for (conference, endpoint) in endpoints {
            drop(core.remove(&conference, &endpoint));
        }
    }

    /// A fault for tests: while `blackholed`, nothing reaches `endpoint`'s socket or leaves it,
    /// as when the participant's path to the bridge dies (its ICE fails after a while; a new
    /// allocation, the focus's new offer after a restart request, has a path again). Whether
    /// the endpoint is allocated.
    pub fn blackhole(&self, conference: &str, endpoint: &str, blackholed: bool) -> bool {
        lock(&self.core)
            .conferences
            .get_mut(conference)
            .and_then(|c| c.endpoints.get_mut(endpoint))
            .map(|e| e.blackholed = blackholed)
            .is_some()
    }

    /// An in-place ICE restart for `endpoint` (colibri2 `transport` with `ice-restart`): its
    /// new generation's transport, for the focus to send in a `transport-info`.
    pub fn restart_ice(
        &self,
        conference: &str,
        endpoint: &str,
    ) -> Result<BridgeTransport, BridgeError> {
        let mut core = lock(&self.core);
        let ep = core
            .conferences
            .get_mut(conference)
            .and_then(|c| c.endpoints.get_mut(endpoint))
            .ok_or(BridgeError::UnknownEndpoint)?;
        let ice = ep.transport.restart_ice().clone();
        let candidate = ep.socket.local_addr()?;
        let web_socket = self.web_socket_url(conference, endpoint, &ep.ws_pwd);
        core.stats.ice_restarts += 1;
        Ok(BridgeTransport {
            ufrag: ice.ufrag,
            pwd: ice.pwd,
            fingerprint: self.fingerprint.clone(),
            candidate,
            web_socket,
        })
    }

    /// The client's ICE credentials after a restart (its `transport-info`, which Jicofo relays
    /// to the bridge); the same ones again change nothing.
    pub fn set_remote_ice(
        &self,
        conference: &str,
        endpoint: &str,
        ice: IceCredentials,
    ) -> Result<(), BridgeError> {
        let mut core = lock(&self.core);
        let core = &mut *core;
        let ep = core
            .conferences
            .get_mut(conference)
            .and_then(|c| c.endpoints.get_mut(endpoint))
            .ok_or(BridgeError::UnknownEndpoint)?;
        ep.transport
            .set_remote_ice(&core.identity, ice)
            .map_err(BridgeError::Transport)?;
        let outs = conference::drain_endpoint(ep);
        self.runtime.spawn(send(outs));
        Ok(())
    }

    /// A fault for tests: the path the endpoint's media uses now dies (datagrams from or to
    /// that client address are dropped), as when a phone leaves the network it was on. The
    /// allocation itself stays reachable from any other address, so an ICE restart that
    /// gathers new sockets finds a way back. The address, when the endpoint had a path.
    pub fn kill_path(&self, conference: &str, endpoint: &str) -> Option<SocketAddr> {
        let mut core = lock(&self.core);
        let ep = core
            .conferences
            .get_mut(conference)
            .and_then(|c| c.endpoints.get_mut(endpoint))?;
        let path = ep.transport.selected()?;
        ep.dead_paths.push(path);
        Some(path)
    }

    /// A fault for tests: the endpoint's UDP port changes, as jitsi-videobridge's does when it
    /// comes back on another port (or a NAT in front of it rebinds): nothing is answered on the
    /// old port any more, and the next ICE restart's transport names the new one. The new
    /// address, when the endpoint is allocated.
    pub fn change_port(
        &self,
        conference: &str,
        endpoint: &str,
    ) -> Result<Option<SocketAddr>, BridgeError> {
        let socket = self.bind()?;
        let addr = socket.local_addr()?;
        {
            let mut core = lock(&self.core);
            let Some(ep) = core
                .conferences
                .get_mut(conference)
                .and_then(|c| c.endpoints.get_mut(endpoint))
            else {
                return Ok(None);
            };
            ep.socket = socket.clone();
        }
        self.serve(socket, conference, endpoint);
        Ok(Some(addr))
    }

    pub fn is_connected(&self, conference: &str, endpoint: &str) -> bool {
        lock(&self.core)
            .conferences
            .get(conference)
            .and_then(|c| c.endpoints.get(endpoint))
            .is_some_and(|e| e.transport.is_connected())
    }

    pub fn stats(&self) -> BridgeStats {
        lock(&self.core).stats
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
    }
}

/// A panic elsewhere must not take the bridge down with a poisoned lock: the state is only ever
/// changed through whole method calls.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

async fn receive(
    socket: Arc<UdpSocket>,
    core: Arc<Mutex<Core>>,
    conference: String,
    endpoint: String,
) {
    let mut buf = vec![0u8; 2048];
    loop {
        let (n, from) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP port unreachable from a client that went away shows up here on Linux.
                log::debug!("bridge: receive for {endpoint}: {e}");
                continue;
            }
        };
        let outs = {
            let mut core = lock(&core);
            // The endpoint is gone, or moved to another port (or allocation) that has a task of
            // its own: what still arrives here reaches nobody.
            if !core
                .conferences
                .get(&conference)
                .and_then(|c| c.endpoints.get(&endpoint))
                .is_some_and(|e| Arc::ptr_eq(&e.socket, &socket))
            {
                return;
            }
            core.on_datagram(&conference, &endpoint, from, &buf[..n], Instant::now())
        };
        send(outs).await;
    }
}

async fn tick(core: Arc<Mutex<Core>>) {
    let mut clock = tokio::time::interval(TICK);
    loop {
        clock.tick().await;
        let outs = lock(&core).on_timeout(Instant::now());
        send(outs).await;
    }
}

pub(crate) async fn send(outs: Vec<Out>) {
    for out in outs {
        match out {
            Out::Udp(socket, to, data) => {
                if let Err(e) = socket.send_to(&data, to).await {
                    log::debug!("bridge: send to {to}: {e}");
                }
            }
            Out::Ws(ws, text) => {
                // A closed channel is a client that left; its socket task cleans up.
                let _ = ws.send(text);
            }
        }
    }
}
