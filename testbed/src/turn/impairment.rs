//! What the relayed path does to each datagram, as tests set it: a dead path (blackhole), loss
//! drawn from a seeded generator (the same seed drops the same datagrams of the same
//! sequence), and a fixed delay each way.

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

pub(super) struct Impairment {
    blackhole: bool,
    loss: f64,
    delay: Duration,
    rng: StdRng,
}

impl Default for Impairment {
    fn default() -> Self {
        Impairment {
            blackhole: false,
            loss: 0.0,
            delay: Duration::ZERO,
            rng: StdRng::seed_from_u64(0),
        }
    }
}

impl Impairment {
    pub(super) fn set_blackhole(&mut self, on: bool) {
        self.blackhole = on;
    }

    /// `loss` is clamped to 0..=1; NaN counts as none.
    pub(super) fn set_loss_and_delay(&mut self, loss: f64, delay: Duration, seed: u64) {
        self.loss = if loss.is_nan() {
            0.0
        } else {
            loss.clamp(0.0, 1.0)
        };
        self.delay = delay;
        self.rng = StdRng::seed_from_u64(seed);
    }

    /// `None`: the datagram is lost; else how long it takes.
    pub(super) fn fate(&mut self) -> Option<Duration> {
        if self.blackhole || (self.loss > 0.0 && self.rng.random::<f64>() < self.loss) {
            return None;
        }
        Some(self.delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_follows_the_seed_and_the_rate() {
        let lost = |seed| {
            let mut i = Impairment::default();
            i.set_loss_and_delay(0.1, Duration::from_millis(40), seed);
            (0..10_000)
                .map(|_| i.fate())
                .filter(|f| {
                    assert!(f.is_none_or(|d| d == Duration::from_millis(40)));
                    f.is_none()
                })
                .count()
        };
        assert_eq!(lost(7), lost(7));
        assert!((900..1100).contains(&lost(7)), "{}", lost(7));
        let mut i = Impairment::default();
        assert_eq!(i.fate(), Some(Duration::ZERO));
        i.set_blackhole(true);
        assert_eq!(i.fate(), None);
        i.set_loss_and_delay(f64::NAN, Duration::ZERO, 1);
        i.set_blackhole(false);
        assert_eq!(i.fate(), Some(Duration::ZERO));
    }
}
