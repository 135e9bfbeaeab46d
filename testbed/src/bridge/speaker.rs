//! Dominant speaker, a simplified form of jitsi-videobridge's `DominantSpeakerIdentification`:
//! per endpoint, audio levels (RFC 6464 -dBov, 0 loudest, 127 silence) are smoothed over about
//! half a second; the speaker changes when another endpoint is louder than the current one by a
//! margin, so that crosstalk does not flap it. Levels come from the ssrc-audio-level header
//! extension when the sender adds it, else from the decoded Opus signal.

use std::collections::HashMap;

/// RFC 6464 level of silence.
pub const SILENCE: u8 = 127;
/// Louder than the current speaker by this many dB (smoothed) to take over.
const MARGIN_DB: f64 = 6.0;
/// Below this (dBov) nobody is speaking.
const SPEECH_THRESHOLD_DBOV: f64 = -60.0;
/// Smoothing per 20 ms packet: about 25 packets (0.5 s) to settle.
const SMOOTHING: f64 = 0.08;

#[derive(Debug, Default)]
pub struct Speakers {
    /// Smoothed loudness in dBov (<= 0) per endpoint.
    loudness: HashMap<String, f64>,
    current: Option<String>,
}

impl Speakers {
    /// One packet's level from `endpoint`; `Some(endpoint)` when the dominant speaker changes.
    pub fn level(&mut self, endpoint: &str, level: u8) -> Option<String> {
        let dbov = -f64::from(level.min(SILENCE));
        let entry = self
            .loudness
            .entry(endpoint.to_string())
            .or_insert(-f64::from(SILENCE));
        *entry += (dbov - *entry) * SMOOTHING;
        let loudness = *entry;
        if loudness < SPEECH_THRESHOLD_DBOV || self.current.as_deref() == Some(endpoint) {
            return None;
        }
        let current = self
            .current
            .as_ref()
            .and_then(|c| self.loudness.get(c))
            .copied()
            .unwrap_or(f64::NEG_INFINITY);
        if loudness > current + MARGIN_DB {
            self.current = Some(endpoint.to_string());
            return self.current.clone();
        }
        None
    }

    pub fn current(&self) -> Option<&str> {
        self.current.as_deref()
    }

    pub fn remove(&mut self, endpoint: &str) {
        self.loudness.remove(endpoint);
        if self.current.as_deref() == Some(endpoint) {
            self.current = None;
        }
    }
}

/// RFC 6464 level of 16-bit PCM: -dBov of its RMS, 0..=127.
pub fn pcm_level(samples: &[i16]) -> u8 {
    if samples.is_empty() {
        return SILENCE;
    }
    let energy: f64 = samples.iter().map(|&s| f64::from(s).powi(2)).sum();
    let rms = (energy / samples.len() as f64).sqrt() / 32768.0;
    if rms <= 0.0 {
        return SILENCE;
    }
    (-20.0 * rms.log10()).clamp(0.0, f64::from(SILENCE)) as u8
}

/// The ssrc-audio-level value from an RTP packet's one-byte header extensions (RFC 8285), when
/// `id` is present.
pub fn audio_level_extension(packet: &[u8], id: u8) -> Option<u8> {
    let first = *packet.first()?;
    if first & 0x10 == 0 {
        return None;
    }
    let csrcs = usize::from(first & 0x0f);
    let start = 12 + 4 * csrcs;
    let header = packet.get(start..start + 4)?;
    if header[0..2] != [0xbe, 0xde] {
        return None;
    }
    let words = usize::from(u16::from_be_bytes([header[2], header[3]]));
    let body = packet.get(start + 4..start + 4 + 4 * words)?;
    let mut i = 0;
    while i < body.len() {
        let b = body[i];
        if b == 0 {
            i += 1;
            continue;
        }
        let ext_id = b >> 4;
        let len = usize::from(b & 0x0f) + 1;
        if ext_id == 15 {
            return None;
        }
        if ext_id == id {
            return body.get(i + 1).map(|v| v & 0x7f);
        }
        i += 1 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(s: &mut Speakers, levels: &[(&str, u8)], packets: usize) -> Vec<String> {
        let mut changes = Vec::new();
        for _ in 0..packets {
            for (e, l) in levels {
                changes.extend(s.level(e, *l));
            }
        }
        changes
    }

    #[test]
    fn the_loudest_becomes_dominant_and_a_louder_one_takes_over() {
        let mut s = Speakers::default();
        assert_eq!(feed(&mut s, &[("a", 30), ("b", 127)], 50), ["a"]);
        assert_eq!(feed(&mut s, &[("a", 40), ("b", 10)], 50), ["b"]);
        assert_eq!(s.current(), Some("b"));
    }

    #[test]
    fn silence_and_small_differences_do_not_flap() {
        let mut s = Speakers::default();
        assert!(feed(&mut s, &[("a", 127), ("b", 127)], 50).is_empty());
        assert_eq!(feed(&mut s, &[("a", 20), ("b", 22)], 100), ["a"]);
    }

    #[test]
    fn pcm_levels_follow_rfc_6464() {
        assert_eq!(pcm_level(&[0; 960]), SILENCE);
        let full: Vec<i16> = (0..960)
            .map(|i| if i % 2 == 0 { 32767 } else { -32767 })
            .collect();
        assert_eq!(pcm_level(&full), 0);
        let quiet: Vec<i16> = full.iter().map(|s| s / 100).collect();
        assert_eq!(pcm_level(&quiet), 40);
    }

    #[test]
    fn reads_the_level_from_a_one_byte_extension() {
        let mut p = vec![0x90, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 7];
        p.extend([0xbe, 0xde, 0, 1, 0x10, 0x80 | 33, 0, 0]);
        assert_eq!(audio_level_extension(&p, 1), Some(33));
        assert_eq!(audio_level_extension(&p, 2), None);
        assert_eq!(audio_level_extension(&p[..14], 1), None, "truncated");
    }
}
