use std::f64::consts::TAU;
use std::time::Duration;

use crate::audio::{AudioFrame, Channels, FrameDuration, SAMPLE_RATE};

/// A continuous sine wave cut into frames, the same tone on every channel.
pub struct ToneGenerator {
    hz: f64,
    amplitude: i16,
    channels: Channels,
    phase: f64,
    samples_emitted: u64,
}

impl ToneGenerator {
    pub fn new(hz: f64, amplitude: i16, channels: Channels) -> Self {
        ToneGenerator {
            hz,
            amplitude,
            channels,
            phase: 0.0,
            samples_emitted: 0,
        }
    }

    pub fn next_frame(&mut self, duration: FrameDuration) -> AudioFrame {
        let per_channel = duration.samples_per_channel();
        let step = TAU * self.hz / f64::from(SAMPLE_RATE);
        let mut samples = Vec::with_capacity(per_channel * self.channels.count());
        for _ in 0..per_channel {
            let value = (self.phase.sin() * f64::from(self.amplitude)) as i16;
            samples.extend(std::iter::repeat_n(value, self.channels.count()));
            self.phase = (self.phase + step) % TAU;
        }
        let timestamp =
            Duration::from_micros(self.samples_emitted * 1_000_000 / u64::from(SAMPLE_RATE));
        self.samples_emitted += per_channel as u64;
        AudioFrame {
            sample_rate: SAMPLE_RATE,
            channels: self.channels as u16,
            samples,
            timestamp,
        }
    }
}
