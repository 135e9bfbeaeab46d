use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use tokio::net::UdpSocket;

use super::Side;

/// Packets larger than this are media (video); smaller ones are STUN, DTLS, RTCP and audio.
const MEDIA_PACKET: usize = 300;

/// A UDP relay between A and B: each side is told the other's candidate is a relay port, so
/// every packet crosses it and the test can drop video packets from A to B on demand.
pub struct Relay {
    facing_a: Arc<UdpSocket>,
    facing_b: Arc<UdpSocket>,
    drop_a_to_b: Arc<AtomicU32>,
    drop_every_nth: AtomicU32,
    media_from_a: AtomicU32,
    a_addr: std::sync::Mutex<Option<SocketAddr>>,
    b_addr: std::sync::Mutex<Option<SocketAddr>>,
}

impl Relay {
    pub async fn start() -> Arc<Relay> {
        let relay = Arc::new(Relay {
            facing_a: Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap()),
            facing_b: Arc::new(UdpSocket::bind("127.0.0.1:0").await.unwrap()),
            drop_a_to_b: Arc::new(AtomicU32::new(0)),
            drop_every_nth: AtomicU32::new(0),
            media_from_a: AtomicU32::new(0),
            a_addr: std::sync::Mutex::new(None),
            b_addr: std::sync::Mutex::new(None),
        });
        tokio::spawn(relay.clone().forward(Side::A));
        tokio::spawn(relay.clone().forward(Side::B));
        relay
    }

    /// Drops the next `count` media-sized packets from A to B.
    pub fn drop_video_from_a(&self, count: u32) {
        self.drop_a_to_b.store(count, Ordering::SeqCst);
    }

    /// From now on drops every `n`th media-sized packet from A to B (0: none).
    pub fn drop_every_nth_video_from_a(&self, n: u32) {
        self.drop_every_nth.store(n, Ordering::SeqCst);
    }

    pub fn dropped_pending(&self) -> u32 {
        self.drop_a_to_b.load(Ordering::SeqCst)
    }

    /// Remembers where `from` really listens and returns the candidate the other side should
    /// get: the relay port facing it.
    pub fn rewrite(&self, from: Side, candidate: &str) -> String {
        let mut fields: Vec<String> = candidate.split_whitespace().map(str::to_owned).collect();
        let real: SocketAddr = format!("{}:{}", fields[4], fields[5])
            .parse()
            .expect("host candidate");
        let facing_other = match from {
            Side::A => {
                *self.a_addr.lock().unwrap() = Some(real);
                &self.facing_b
            }
            Side::B => {
                *self.b_addr.lock().unwrap() = Some(real);
                &self.facing_a
            }
        };
        fields[5] = facing_other.local_addr().unwrap().port().to_string();
        fields.join(" ")
    }

    fn should_drop(&self) -> bool {
        if self
            .drop_a_to_b
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            return true;
        }
        let every = self.drop_every_nth.load(Ordering::SeqCst);
        let count = self.media_from_a.fetch_add(1, Ordering::SeqCst) + 1;
        every > 0 && count.is_multiple_of(every)
    }

    /// Packets arriving on the socket facing `from` go out of the other socket to the other side.
    async fn forward(self: Arc<Self>, from: Side) {
        let (inbound, outbound) = match from {
            Side::A => (&self.facing_a, &self.facing_b),
            Side::B => (&self.facing_b, &self.facing_a),
        };
        let mut buf = vec![0u8; 2048];
        while let Ok((len, _)) = inbound.recv_from(&mut buf).await {
            let target = match from {
                Side::A => *self.b_addr.lock().unwrap(),
                Side::B => *self.a_addr.lock().unwrap(),
            };
            if from == Side::A && len > MEDIA_PACKET && self.should_drop() {
                continue;
            }
            if let Some(target) = target {
                let _ = outbound.send_to(&buf[..len], target).await;
            }
        }
    }
}
