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

/// The `len` samples of `samples` centred on its loudest block of `block` samples, for measuring
/// a sound that comes and goes: Chromium's fake microphone beeps for 20 ms every 500 ms, and a
/// window that puts the beep at its faded edges measures what rings on after it (a high-pass
/// filter's 60 Hz ring) instead. Only blocks with room for `len` around them are candidates, so
/// that the beep never lands on an edge again; with fewer than `len` samples, all of them.
pub fn loudest_stretch(samples: &[i16], len: usize, block: usize) -> &[i16] {
    if samples.len() <= len || block == 0 {
        return samples;
    }
    let energy = |start: usize| -> f64 {
        samples[start..(start + block).min(samples.len())]
            .iter()
            .map(|&s| f64::from(s) * f64::from(s))
            .sum()
    };
    let half = (len - block.min(len)) / 2;
    let last_start = samples.len() - len + half;
    let loudest = (half..=last_start)
        .step_by(block)
        .max_by(|&a, &b| energy(a).total_cmp(&energy(b)))
        .unwrap_or(half);
    &samples[loudest - half..loudest - half + len]
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

    /// Chromium's fake microphone as heard after its high-pass filter: a 400 Hz square wave for
    /// 20 ms every 500 ms, then a ring at 59 Hz that dies away (both read from a dump of the SDK's
    /// playout).
    fn chromium_beeps(first_beep_at: usize, samples: usize) -> Vec<i16> {
        let rate = 48_000.0;
        (0..samples)
            .map(|i| {
                let since = ((i + 24_000 - first_beep_at) % 24_000) as f64 / rate;
                let value = if since < 0.020 {
                    if (since * 400.0).fract() < 0.5 {
                        20_000.0
                    } else {
                        -20_000.0
                    }
                } else {
                    3_500.0 * (-(since - 0.020) / 0.08).exp() * (TAU * 59.0 * since).sin()
                };
                value as i16
            })
            .collect()
    }

    #[test]
    fn a_beep_on_the_windows_edges_reads_as_its_ring_but_its_loudest_stretch_as_the_beep() {
        let half_second = 24_000;
        let second = chromium_beeps(half_second - 960, 2 * half_second);
        let edges = &second[half_second..];
        assert!((dominant_frequency(edges, 48_000) - 59.0).abs() <= 2.0);

        let stretch = loudest_stretch(&second, half_second, 960);
        assert_eq!(stretch.len(), half_second);
        let hz = dominant_frequency(stretch, 48_000);
        assert!((hz - 400.0).abs() <= 2.0, "{hz} Hz");
    }

    #[test]
    fn every_phase_of_the_beep_reads_as_400_hz() {
        for first_beep_at in (0..24_000).step_by(480) {
            let second = chromium_beeps(first_beep_at, 48_000);
            let hz = dominant_frequency(loudest_stretch(&second, 24_000, 960), 48_000);
            assert!(
                (hz - 400.0).abs() <= 2.0,
                "beep at {first_beep_at}: {hz} Hz"
            );
        }
    }

    #[test]
    fn a_steady_tone_reads_the_same_from_its_loudest_stretch() {
        let second = tone(440.0, 50);
        let hz = dominant_frequency(loudest_stretch(&second, 24_000, 960), 48_000);
        assert!((hz - 440.0).abs() <= 1.0, "{hz} Hz");
        assert_eq!(loudest_stretch(&second[..1000], 24_000, 960).len(), 1000);
    }

    #[test]
    fn silence_and_short_input_have_no_frequency() {
        assert_eq!(dominant_frequency(&[0; 4800], 48_000), 0.0);
        assert_eq!(dominant_frequency(&[1000; 10], 48_000), 0.0);
        assert_eq!(rms(&[]), 0.0);
    }
}
