use std::f64::consts::TAU;

const LOWEST_HZ: f64 = 50.0;
const HIGHEST_HZ: f64 = 4000.0;
const COARSE_STEP_HZ: f64 = 10.0;
const FINE_STEP_HZ: f64 = 0.5;

/// The strongest frequency between 50 Hz and 4 kHz in mono PCM, to within about 1 Hz: a coarse
/// Goertzel scan finds the peak, a fine one around it refines it. Returns 0 for silence or
/// fewer than 64 samples.
pub fn dominant_frequency(samples: &[i16], sample_rate: u32) -> f64 {
    if samples.len() < 64 || rms(samples) < 1.0 {
        return 0.0;
    }
    let windowed = hann(samples);
    let rate = f64::from(sample_rate);
    let peak = |from: f64, to: f64, step: f64| {
        let mut best = (from, f64::MIN);
        let mut hz = from;
        while hz <= to {
            let power = goertzel_power(&windowed, hz, rate);
            if power > best.1 {
                best = (hz, power);
            }
            hz += step;
        }
        best.0
    };
    let coarse = peak(LOWEST_HZ, HIGHEST_HZ.min(rate / 2.0), COARSE_STEP_HZ);
    peak(
        coarse - COARSE_STEP_HZ,
        coarse + COARSE_STEP_HZ,
        FINE_STEP_HZ,
    )
}

/// Root mean square level, in sample units (a full-scale sine is about 23170).
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / samples.len() as f64).sqrt()
}

// The window keeps a strong tone's leakage from hiding where its peak is.
fn hann(samples: &[i16]) -> Vec<f64> {
    let n = samples.len() as f64;
    samples
        .iter()
        .enumerate()
        .map(|(i, &s)| f64::from(s) * (0.5 - 0.5 * (TAU * i as f64 / (n - 1.0)).cos()))
        .collect()
}

fn goertzel_power(samples: &[f64], hz: f64, rate: f64) -> f64 {
    let coeff = 2.0 * (TAU * hz / rate).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for &x in samples {
        let s0 = x + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{Channels, FrameDuration};
    use crate::signal::ToneGenerator;

    fn tone(hz: f64, frames: usize) -> Vec<i16> {
        let mut generator = ToneGenerator::new(hz, 10_000, Channels::Mono);
        (0..frames)
            .flat_map(|_| generator.next_frame(FrameDuration::Ms20).samples)
            .collect()
    }

    #[test]
    fn finds_the_frequency_of_a_pure_tone() {
        for hz in [100.0, 440.0, 880.0, 1234.0, 3000.0] {
            let found = dominant_frequency(&tone(hz, 10), 48_000);
            assert!((found - hz).abs() <= 1.0, "{hz} Hz detected as {found} Hz");
        }
    }

    #[test]
    fn finds_the_stronger_of_two_tones() {
        let mixed: Vec<i16> = tone(440.0, 10)
            .iter()
            .zip(tone(2000.0, 10))
            .map(|(&a, b)| a / 3 + b / 2)
            .collect();
        assert!((dominant_frequency(&mixed, 48_000) - 2000.0).abs() <= 1.0);
    }

    #[test]
    fn silence_and_short_input_have_no_frequency() {
        assert_eq!(dominant_frequency(&[0; 4800], 48_000), 0.0);
        assert_eq!(dominant_frequency(&[1000; 10], 48_000), 0.0);
        assert_eq!(rms(&[]), 0.0);
    }
}
