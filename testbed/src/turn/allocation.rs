//! One client's allocation (RFC 8656 §2.2): its relay socket and what may pass through it, the
//! permissions (by peer IP, §9) and channels (§12), each expiring on its own.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::stun::message::TransactionId;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// RFC 8656 §9: permissions last five minutes; CreatePermission and ChannelBind refresh them.
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);
/// RFC 8656 §12: channel bindings last ten minutes.
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);
/// The largest UDP payload; anything a peer sends fits.
const DATAGRAM: usize = 65_535;

/// A datagram a peer sent to a relay address, on its way to the allocation's client.
pub(super) struct PeerPacket {
    pub client: SocketAddr,
    pub allocation: u64,
    pub from: SocketAddr,
    pub data: Vec<u8>,
}

/// Why a ChannelBind cannot be honoured (RFC 8656 §12.2: both answer 400).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum BindConflict {
    ChannelTaken,
    PeerOnAnotherChannel,
}

pub(super) struct Allocation {
    pub id: u64,
    pub relay: Arc<UdpSocket>,
    pub relayed: SocketAddr,
    /// Later requests must come from the same user (RFC 8656 §5: 441 otherwise).
    pub username: String,
    /// The Allocate that made it and our answer: a retransmission of that request gets the same
    /// answer instead of 437 (RFC 8656 §7.2).
    pub created_by: TransactionId,
    pub created_answer: Vec<u8>,
    pub expires: Instant,
    permissions: HashMap<IpAddr, Instant>,
    channels: HashMap<u16, (SocketAddr, Instant)>,
    reader: JoinHandle<()>,
}

pub(super) struct Grant {
    pub id: u64,
    pub client: SocketAddr,
    pub username: String,
    pub created_by: TransactionId,
    pub expires: Instant,
}

impl Allocation {
    /// Binds a relay socket on loopback and forwards what peers send to it into `peers`.
    pub(super) fn open(
        grant: Grant,
        peers: mpsc::Sender<PeerPacket>,
    ) -> std::io::Result<Allocation> {
        let socket = std::net::UdpSocket::bind(("127.0.0.1", 0))?;
        socket.set_nonblocking(true)?;
        let relay = Arc::new(UdpSocket::from_std(socket)?);
        let relayed = relay.local_addr()?;
        let reader = tokio::spawn(read_peers(relay.clone(), grant.client, grant.id, peers));
        Ok(Allocation {
            id: grant.id,
            relay,
            relayed,
            username: grant.username,
            created_by: grant.created_by,
            created_answer: Vec::new(),
            expires: grant.expires,
            permissions: HashMap::new(),
            channels: HashMap::new(),
            reader,
        })
    }

    pub(super) fn permit(&mut self, peer: IpAddr, now: Instant) {
        self.permissions.insert(peer, now + PERMISSION_LIFETIME);
    }

    pub(super) fn permits(&self, peer: IpAddr, now: Instant) -> bool {
        self.permissions
            .get(&peer)
            .is_some_and(|until| *until > now)
    }

    /// Binds `number` to `peer`, or refreshes that binding; installs or refreshes the permission
    /// for the peer's IP too (RFC 8656 §12.2).
    pub(super) fn bind(
        &mut self,
        number: u16,
        peer: SocketAddr,
        now: Instant,
    ) -> Result<(), BindConflict> {
        if let Some((bound, until)) = self.channels.get(&number) {
            if *bound != peer && *until > now {
                return Err(BindConflict::ChannelTaken);
            }
        }
        if self.channel_to(peer, now).is_some_and(|n| n != number) {
            return Err(BindConflict::PeerOnAnotherChannel);
        }
        self.channels.insert(number, (peer, now + CHANNEL_LIFETIME));
        self.permit(peer.ip(), now);
        Ok(())
    }

    /// The peer a channel is bound to, while both the binding and the peer's permission hold.
    pub(super) fn peer_on(&self, number: u16, now: Instant) -> Option<SocketAddr> {
        self.channels
            .get(&number)
            .filter(|(peer, until)| *until > now && self.permits(peer.ip(), now))
            .map(|(peer, _)| *peer)
    }

    pub(super) fn channel_to(&self, peer: SocketAddr, now: Instant) -> Option<u16> {
        self.channels
            .iter()
            .find(|(_, (bound, until))| *bound == peer && *until > now)
            .map(|(number, _)| *number)
    }

    /// Forgets expired permissions and channels, so a long-lived allocation stays small.
    pub(super) fn prune(&mut self, now: Instant) {
        self.permissions.retain(|_, until| *until > now);
        self.channels.retain(|_, (_, until)| *until > now);
    }
}

impl Drop for Allocation {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

async fn read_peers(
    relay: Arc<UdpSocket>,
    client: SocketAddr,
    allocation: u64,
    peers: mpsc::Sender<PeerPacket>,
) {
    let mut buf = vec![0u8; DATAGRAM];
    loop {
        // An error here is an ICMP report about an earlier send (Linux surfaces those on UDP
        // sockets); the socket itself is still fine.
        let Ok((n, from)) = relay.recv_from(&mut buf).await else {
            continue;
        };
        let packet = PeerPacket {
            client,
            allocation,
            from,
            data: buf[..n].to_vec(),
        };
        match peers.try_send(packet) {
            Ok(()) => {}
            // A full queue drops the datagram, as a congested relay would.
            Err(mpsc::error::TrySendError::Full(_)) => {}
            Err(mpsc::error::TrySendError::Closed(_)) => return,
        }
    }
}
