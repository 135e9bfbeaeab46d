/// Bounds for the video send bitrate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BitrateLimits {
    pub min_bps: u32,
    pub max_bps: u32,
}

impl Default for BitrateLimits {
    fn default() -> Self {
        // Jitsi's default ceiling for 360p-720p camera video is in this range.
        BitrateLimits {
            min_bps: 100_000,
            max_bps: 2_500_000,
        }
    }
}

/// Below this relative change the encoder is left alone: reconfiguring it for every small
/// fluctuation of the estimate costs more than it gains.
const HYSTERESIS: f64 = 0.05;

/// Decides the encoder target from what the receiving side says it can take: the REMB value the
/// receiver (or the bridge) sends, the send-side estimate from transport-wide feedback (TWCC),
/// and a cap the app or the bridge's sender constraints may set. The lowest wins, within limits.
#[derive(Debug, Clone)]
pub struct BitrateController {
    limits: BitrateLimits,
    remb: Option<u32>,
    estimate: Option<u32>,
    cap: Option<u32>,
    applied: u32,
}

impl BitrateController {
    pub fn new(limits: BitrateLimits, start_bps: u32) -> Self {
        let applied = start_bps.clamp(limits.min_bps, limits.max_bps);
        BitrateController {
            limits,
            remb: None,
            estimate: None,
            cap: None,
            applied,
        }
    }

    pub fn target_bps(&self) -> u32 {
        self.applied
    }

    /// A REMB from the receiver. Returns the new encoder target when it should change.
    pub fn on_remb(&mut self, bps: u64) -> Option<u32> {
        self.remb = Some(saturate(bps));
        self.update()
    }

    /// The congestion controller's estimate from transport-wide feedback.
    pub fn on_estimate(&mut self, bps: u64) -> Option<u32> {
        self.estimate = (bps > 0).then(|| saturate(bps));
        self.update()
    }

    /// A ceiling set by the app (or from the bridge's sender constraints); `None` lifts it.
    pub fn set_cap(&mut self, bps: Option<u32>) -> Option<u32> {
        self.cap = bps;
        self.update()
    }

    fn update(&mut self) -> Option<u32> {
        let wanted = [self.remb, self.estimate, self.cap]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.applied)
            .clamp(self.limits.min_bps, self.limits.max_bps);
        let change = (f64::from(wanted) - f64::from(self.applied)).abs() / f64::from(self.applied);
        if change < HYSTERESIS {
            return None;
        }
        self.applied = wanted;
        Some(wanted)
    }
}

fn saturate(bps: u64) -> u32 {
    u32::try_from(bps).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn controller() -> BitrateController {
        BitrateController::new(
            BitrateLimits {
                min_bps: 100_000,
                max_bps: 2_000_000,
            },
            800_000,
        )
    }

    #[test]
    fn follows_remb_down_and_up_within_limits() {
        let mut c = controller();
        assert_eq!(c.on_remb(300_000), Some(300_000));
        assert_eq!(c.on_remb(10_000), Some(100_000));
        assert_eq!(c.on_remb(50_000_000), Some(2_000_000));
        assert_eq!(c.target_bps(), 2_000_000);
    }

    #[test]
    fn the_lowest_of_remb_estimate_and_cap_wins() {
        let mut c = controller();
        c.on_remb(1_500_000);
        assert_eq!(c.on_estimate(600_000), Some(600_000));
        assert_eq!(c.set_cap(Some(400_000)), Some(400_000));
        assert_eq!(c.set_cap(None), Some(600_000));
    }

    #[test]
    fn small_fluctuations_leave_the_encoder_alone() {
        let mut c = controller();
        assert_eq!(c.on_remb(810_000), None);
        assert_eq!(c.on_remb(790_000), None);
        assert_eq!(c.target_bps(), 800_000);
    }
}
