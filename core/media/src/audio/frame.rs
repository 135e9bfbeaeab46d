use std::time::Duration;

use crate::MediaError;

/// Opus runs at 48 kHz inside WebRTC (RFC 7587), whatever the capture rate; apps resample.
pub const SAMPLE_RATE: u32 = 48_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channels {
    Mono = 1,
    Stereo = 2,
}

impl Channels {
    pub fn count(self) -> usize {
        self as usize
    }

    pub fn from_count(count: u16) -> Option<Self> {
        match count {
            1 => Some(Channels::Mono),
            2 => Some(Channels::Stereo),
            _ => None,
        }
    }

    pub(crate) fn to_opus(self) -> opus::Channels {
        match self {
            Channels::Mono => opus::Channels::Mono,
            Channels::Stereo => opus::Channels::Stereo,
        }
    }
}

/// The frame lengths the engine accepts: what mobile audio callbacks commonly deliver and what
/// WebRTC peers expect in one RTP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameDuration {
    Ms10,
    Ms20,
}

impl FrameDuration {
    pub fn samples_per_channel(self) -> usize {
        match self {
            FrameDuration::Ms10 => 480,
            FrameDuration::Ms20 => 960,
        }
    }

    pub fn duration(self) -> Duration {
        match self {
            FrameDuration::Ms10 => Duration::from_millis(10),
            FrameDuration::Ms20 => Duration::from_millis(20),
        }
    }

    fn from_samples_per_channel(samples: usize) -> Option<Self> {
        match samples {
            480 => Some(FrameDuration::Ms10),
            960 => Some(FrameDuration::Ms20),
            _ => None,
        }
    }
}

/// 16-bit PCM, interleaved when stereo.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioFrame {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<i16>,
    /// Capture time for sent frames; for received frames, media time of the first sample since
    /// the start of the remote stream.
    pub timestamp: Duration,
}

impl AudioFrame {
    pub fn silence(channels: Channels, duration: FrameDuration, timestamp: Duration) -> Self {
        AudioFrame {
            sample_rate: SAMPLE_RATE,
            channels: channels as u16,
            samples: vec![0; duration.samples_per_channel() * channels.count()],
            timestamp,
        }
    }

    pub fn samples_per_channel(&self) -> usize {
        self.samples.len() / usize::from(self.channels.max(1))
    }

    /// Checks the frame is something Opus can encode as one packet.
    pub fn validate(&self) -> Result<(Channels, FrameDuration), MediaError> {
        if self.sample_rate != SAMPLE_RATE {
            return Err(MediaError::InvalidAudioFrame(format!(
                "sample rate {} Hz, expected {SAMPLE_RATE}",
                self.sample_rate
            )));
        }
        let channels = Channels::from_count(self.channels).ok_or_else(|| {
            MediaError::InvalidAudioFrame(format!("{} channels, expected 1 or 2", self.channels))
        })?;
        if !self.samples.len().is_multiple_of(channels.count()) {
            return Err(MediaError::InvalidAudioFrame(
                "sample count is not a multiple of the channel count".into(),
            ));
        }
        let duration = FrameDuration::from_samples_per_channel(self.samples_per_channel())
            .ok_or_else(|| {
                MediaError::InvalidAudioFrame(format!(
                    "{} samples per channel, expected 480 (10 ms) or 960 (20 ms)",
                    self.samples_per_channel()
                ))
            })?;
        Ok((channels, duration))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_10_and_20_ms_mono_and_stereo() {
        for channels in [Channels::Mono, Channels::Stereo] {
            for duration in [FrameDuration::Ms10, FrameDuration::Ms20] {
                let frame = AudioFrame::silence(channels, duration, Duration::ZERO);
                assert_eq!(frame.validate().unwrap(), (channels, duration));
            }
        }
    }

    #[test]
    fn refuses_other_rates_lengths_and_channel_counts() {
        let mut frame = AudioFrame::silence(Channels::Mono, FrameDuration::Ms20, Duration::ZERO);
        frame.sample_rate = 44_100;
        assert!(matches!(
            frame.validate(),
            Err(MediaError::InvalidAudioFrame(_))
        ));
        frame.sample_rate = SAMPLE_RATE;
        frame.samples.truncate(441);
        assert!(matches!(
            frame.validate(),
            Err(MediaError::InvalidAudioFrame(_))
        ));
        frame.channels = 3;
        assert!(matches!(
            frame.validate(),
            Err(MediaError::InvalidAudioFrame(_))
        ));
    }
}
