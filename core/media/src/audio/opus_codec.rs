use std::time::Duration;

use crate::audio::{AudioFrame, Channels, SAMPLE_RATE};
use crate::MediaError;

/// RFC 7587 recommends room for 1275 bytes per Opus frame; a 20 ms packet never needs more.
pub const MAX_OPUS_PACKET: usize = 1275;

/// Opus never decodes more than 120 ms from one packet.
const MAX_PACKET_SAMPLES_PER_CHANNEL: usize = 5760;

pub struct OpusEncoder {
    inner: opus::Encoder,
    channels: Channels,
}

impl OpusEncoder {
    pub fn new(channels: Channels, bitrate_bps: Option<i32>) -> Result<Self, MediaError> {
        let mut inner =
            opus::Encoder::new(SAMPLE_RATE, channels.to_opus(), opus::Application::Voip)?;
        // In-band FEC lets the receiver rebuild a lost packet from the next one, as browsers do.
        inner.set_inband_fec(true)?;
        inner.set_packet_loss_perc(5)?;
        if let Some(bps) = bitrate_bps {
            inner.set_bitrate(opus::Bitrate::Bits(bps))?;
        }
        Ok(OpusEncoder { inner, channels })
    }

    /// One Opus packet for one 10 or 20 ms frame.
    pub fn encode(&mut self, frame: &AudioFrame) -> Result<Vec<u8>, MediaError> {
        let (channels, _) = frame.validate()?;
        if channels != self.channels {
            return Err(MediaError::InvalidAudioFrame(format!(
                "{} channels given to a {}-channel encoder",
                channels.count(),
                self.channels.count()
            )));
        }
        Ok(self.inner.encode_vec(&frame.samples, MAX_OPUS_PACKET)?)
    }
}

pub struct OpusDecoder {
    inner: opus::Decoder,
    channels: Channels,
    buffer: Vec<i16>,
}

impl OpusDecoder {
    /// `channels` is the output layout: a stereo stream decodes to mono and vice versa.
    pub fn new(channels: Channels) -> Result<Self, MediaError> {
        Ok(OpusDecoder {
            inner: opus::Decoder::new(SAMPLE_RATE, channels.to_opus())?,
            channels,
            buffer: vec![0; MAX_PACKET_SAMPLES_PER_CHANNEL * channels.count()],
        })
    }

    pub fn channels(&self) -> Channels {
        self.channels
    }

    /// Decodes one packet; corrupt packets are an error, never a panic.
    pub fn decode(&mut self, packet: &[u8], timestamp: Duration) -> Result<AudioFrame, MediaError> {
        if packet.is_empty() {
            return Err(MediaError::InvalidAudioFrame("empty Opus packet".into()));
        }
        let samples = self.inner.decode(packet, &mut self.buffer, false)?;
        Ok(self.frame(samples, timestamp))
    }

    /// Packet loss concealment: `samples_per_channel` of audio extrapolated from what came before.
    pub fn conceal(
        &mut self,
        samples_per_channel: usize,
        timestamp: Duration,
    ) -> Result<AudioFrame, MediaError> {
        let wanted =
            samples_per_channel.min(MAX_PACKET_SAMPLES_PER_CHANNEL) * self.channels.count();
        let samples = self.inner.decode(&[], &mut self.buffer[..wanted], false)?;
        Ok(self.frame(samples, timestamp))
    }

    fn frame(&self, samples_per_channel: usize, timestamp: Duration) -> AudioFrame {
        AudioFrame {
            sample_rate: SAMPLE_RATE,
            channels: self.channels as u16,
            samples: self.buffer[..samples_per_channel * self.channels.count()].to_vec(),
            timestamp,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::FrameDuration;
    use crate::signal::{dominant_frequency, ToneGenerator};

    fn decode_tone(channels: Channels, duration: FrameDuration, hz: f64) -> f64 {
        let mut tone = ToneGenerator::new(hz, 8000, channels);
        let mut encoder = OpusEncoder::new(channels, None).unwrap();
        let mut decoder = OpusDecoder::new(Channels::Mono).unwrap();
        let mut decoded = Vec::new();
        for _ in 0..(400 / duration.duration().as_millis()) {
            let frame = tone.next_frame(duration);
            let packet = encoder.encode(&frame).unwrap();
            decoded.extend(decoder.decode(&packet, frame.timestamp).unwrap().samples);
        }
        // The codec's look-ahead makes the first few milliseconds a fade-in.
        dominant_frequency(&decoded[4800..], SAMPLE_RATE)
    }

    #[test]
    fn a_tone_survives_opus_in_every_supported_layout() {
        for channels in [Channels::Mono, Channels::Stereo] {
            for duration in [FrameDuration::Ms10, FrameDuration::Ms20] {
                let hz = decode_tone(channels, duration, 440.0);
                assert!(
                    (hz - 440.0).abs() <= 5.0,
                    "{channels:?} {duration:?}: {hz} Hz"
                );
            }
        }
        let hz = decode_tone(Channels::Mono, FrameDuration::Ms20, 1000.0);
        assert!((hz - 1000.0).abs() <= 5.0, "{hz} Hz");
    }

    #[test]
    fn corrupt_packets_are_errors() {
        let mut decoder = OpusDecoder::new(Channels::Stereo).unwrap();
        assert!(decoder.decode(&[], Duration::ZERO).is_err());
        // A code-3 packet announcing 63 frames with no payload is invalid.
        assert!(decoder.decode(&[0x03, 0xff], Duration::ZERO).is_err());
    }

    #[test]
    fn concealment_fills_the_requested_length() {
        let mut decoder = OpusDecoder::new(Channels::Stereo).unwrap();
        let frame = decoder.conceal(960, Duration::ZERO).unwrap();
        assert_eq!(frame.samples.len(), 1920);
    }

    #[test]
    fn encoder_refuses_a_frame_with_the_wrong_channel_count() {
        let mut encoder = OpusEncoder::new(Channels::Mono, None).unwrap();
        let stereo = AudioFrame::silence(Channels::Stereo, FrameDuration::Ms20, Duration::ZERO);
        assert!(matches!(
            encoder.encode(&stereo),
            Err(MediaError::InvalidAudioFrame(_))
        ));
    }
}
