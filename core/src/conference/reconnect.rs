//! When to try the server again after the socket died, as a plain schedule: no socket, no timer.
//!
//! The first three tries follow lib-jitsi-meet's ResumeTask (growing, jittered delays); each one
//! resumes the XEP-0198 session while the server may still know it. Once the server has said it
//! does not (or there was never a resumable session), the next try logs in afresh and the
//! conference rejoins, as jitsi-meet does when resumption fails. jitsi-meet reloads the
//! conference after a 10-30 s countdown (its PageReloadDialog); we rejoin at once instead, since
//! the server just answered and the countdown is there for a person to read. When the three
//! tries could not reach the server at all, later tries (fresh logins) come every 10-30 s, as
//! jitsi-meet's reloads do. Everything stops at the bounded total (`Timeouts::reconnect`), after
//! which the meeting ends with `connection_lost`.
//! A network-change hint from the app cuts the current wait short, as ResumeTask retries when
//! the browser comes back online.

use std::time::{Duration, Instant};

/// lib-jitsi-meet's ResumeTask: three tries, with growing, jittered delays (ms, low..=high).
pub const RESUME_DELAYS_MS: [(u64, u64); 3] = [(1500, 3000), (3000, 9000), (4500, 27000)];
/// jitsi-meet's reload countdown, `10 + randomInt(0, 20)` seconds, for every try after those.
pub const REJOIN_DELAY_MS: (u64, u64) = (10_000, 30_000);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Resume the XEP-0198 session on a new socket.
    Resume,
    /// Log in afresh and rejoin the room.
    Fresh,
}

#[derive(Debug)]
pub struct Reconnect {
    give_up_at: Instant,
    tries: usize,
    resumable: bool,
    next_at: Instant,
}

impl Reconnect {
    /// `jitter` picks a delay in `low..=high` ms; tests pass a fixed one.
    pub fn new(
        now: Instant,
        total: Duration,
        resumable: bool,
        jitter: &mut impl FnMut(u64, u64) -> u64,
    ) -> Reconnect {
        let mut r = Reconnect {
            give_up_at: now + total,
            tries: 0,
            resumable,
            next_at: now,
        };
        r.next_at = now + r.delay(jitter);
        r
    }

    /// When the next try is due; None once the total is spent.
    pub fn next_at(&self) -> Option<Instant> {
        (self.next_at <= self.give_up_at).then_some(self.next_at)
    }

    pub fn give_up_at(&self) -> Instant {
        self.give_up_at
    }

    /// What the try due now should do.
    pub fn attempt(&self) -> Attempt {
        if self.resumable {
            Attempt::Resume
        } else {
            Attempt::Fresh
        }
    }

    /// The server answered that it no longer knows the session: rejoin at once.
    pub fn session_unknown(&mut self, now: Instant) {
        self.resumable = false;
        self.next_at = now;
    }

    /// A try failed (the server could not be reached, or the rejoin failed on the way). The
    /// last try is made at the deadline itself rather than skipped.
    pub fn failed(&mut self, now: Instant, jitter: &mut impl FnMut(u64, u64) -> u64) {
        self.tries += 1;
        self.next_at = now + self.delay(jitter);
        if now < self.give_up_at {
            self.next_at = self.next_at.min(self.give_up_at);
        }
    }

    /// The app says the network changed: the path may be back, so try now.
    pub fn network_changed(&mut self, now: Instant) {
        self.next_at = self.next_at.min(now);
    }

    fn delay(&self, jitter: &mut impl FnMut(u64, u64) -> u64) -> Duration {
        let (low, high) = RESUME_DELAYS_MS
            .get(self.tries)
            .copied()
            .unwrap_or(REJOIN_DELAY_MS);
        Duration::from_millis(jitter(low, high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn low(l: u64, _: u64) -> u64 {
        l
    }

    #[test]
    fn resumes_with_resume_task_delays_then_rejoins_at_once_when_the_session_is_gone() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(t0, Duration::from_secs(60), true, &mut low);
        assert_eq!(r.next_at(), Some(t0 + Duration::from_millis(1500)));
        assert_eq!(r.attempt(), Attempt::Resume);
        let t1 = t0 + Duration::from_millis(1500);
        r.failed(t1, &mut low);
        assert_eq!(r.next_at(), Some(t1 + Duration::from_millis(3000)));
        let t2 = t1 + Duration::from_millis(3000);
        r.session_unknown(t2);
        assert_eq!(r.attempt(), Attempt::Fresh);
        assert_eq!(r.next_at(), Some(t2));
    }

    #[test]
    fn later_tries_follow_the_reload_countdown_and_stop_at_the_total() {
        let t0 = Instant::now();
        let mut r = Reconnect::new(t0, Duration::from_secs(40), false, &mut low);
        assert_eq!(r.attempt(), Attempt::Fresh);
        let mut now = t0;
        let mut tries = 0;
        while let Some(at) = r.next_at() {
            now = at;
            tries += 1;
            r.failed(now, &mut low);
        }
        // ResumeTask's tries at 1.5, 4.5 and 9 s; then jitsi-meet's reload countdown (10 s at
        // the low end): 19, 29, 39 s; then a last try at the deadline, 40 s.
        assert_eq!(tries, 7);
        assert_eq!(now, t0 + Duration::from_secs(40));
        assert_eq!(r.give_up_at(), now);
    }

    #[test]
    fn a_network_change_cuts_the_wait_short() {
        let t0 = Instant::now();
        let mut high = |_: u64, h: u64| h;
        let mut r = Reconnect::new(t0, Duration::from_secs(60), true, &mut high);
        assert_eq!(r.next_at(), Some(t0 + Duration::from_secs(3)));
        let t1 = t0 + Duration::from_millis(200);
        r.network_changed(t1);
        assert_eq!(r.next_at(), Some(t1));
        assert_eq!(r.attempt(), Attempt::Resume);
    }
}
