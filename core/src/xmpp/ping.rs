//! XEP-0199 keepalive with lib-jitsi-meet's numbers: a ping every 10 s unless the server spoke,
//! 5 s to answer, and the connection is declared dead after 2 failures in a row.

use std::time::{Duration, Instant};

pub const INTERVAL: Duration = Duration::from_secs(10);
pub const TIMEOUT: Duration = Duration::from_secs(5);
pub const THRESHOLD: u32 = 2;

#[derive(Debug)]
pub struct Pinger {
    next_at: Instant,
    heard_since_last: bool,
    failures: u32,
}

#[derive(Debug, PartialEq, Eq)]
pub enum PingAction {
    Idle,
    SendPing,
}

impl Pinger {
    pub fn new(now: Instant) -> Self {
        Pinger {
            next_at: now + INTERVAL,
            heard_since_last: false,
            failures: 0,
        }
    }

    pub fn heard_from_server(&mut self) {
        self.heard_since_last = true;
    }

    pub fn next_deadline(&self) -> Instant {
        self.next_at
    }

    pub fn poll(&mut self, now: Instant) -> PingAction {
        if now < self.next_at {
            return PingAction::Idle;
        }
        self.next_at = now + INTERVAL;
        if std::mem::take(&mut self.heard_since_last) {
            return PingAction::Idle;
        }
        PingAction::SendPing
    }

    pub fn on_pong(&mut self) {
        self.failures = 0;
    }

    /// Records a failed or unanswered ping; true when the connection should be considered dead.
    pub fn on_failure(&mut self) -> bool {
        self.failures += 1;
        self.failures >= THRESHOLD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pings_only_when_the_server_was_quiet_and_gives_up_after_threshold() {
        let t0 = Instant::now();
        let mut p = Pinger::new(t0);
        assert_eq!(p.poll(t0), PingAction::Idle);
        p.heard_from_server();
        assert_eq!(p.poll(t0 + INTERVAL), PingAction::Idle);
        assert_eq!(p.poll(t0 + INTERVAL * 2), PingAction::SendPing);
        assert!(!p.on_failure());
        p.on_pong();
        assert!(!p.on_failure());
        assert!(p.on_failure());
    }
}
