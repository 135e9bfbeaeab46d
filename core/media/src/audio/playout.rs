use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use crate::audio::{
    AudioFrame, Channels, JitterBuffer, JitterStats, OpusDecoder, Popped, SAMPLE_RATE,
};
use crate::MediaError;

/// After this many concealed 20 ms frames in a row the stream is treated as stopped (muted
/// sender, closed session) and plain silence follows instead of an ever-fading extrapolation.
const MAX_CONCEALED_RUN: u32 = 3;
const CONCEALED_SAMPLES: usize = 960;
/// A pull never asks for more than one second: anything larger is a caller bug, refused.
const MAX_PULL: usize = SAMPLE_RATE as usize;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RemoteAudioStats {
    pub jitter: JitterStats,
    pub decoded_frames: u64,
    pub concealed_frames: u64,
    pub decode_errors: u64,
    pub buffered_packets: usize,
}

struct Playout {
    jitter: JitterBuffer,
    decoder: OpusDecoder,
    pcm: VecDeque<i16>,
    played_per_channel: u64,
    concealed_run: u32,
    stats: RemoteAudioStats,
}

/// The audio of one remote source, pulled by the app's audio callback.
///
/// Pull rather than push because mobile audio output is clock-driven: Android's AudioTrack and
/// Oboe callbacks, and iOS AVAudioSourceNode / AudioUnit render blocks, ask for N samples on a
/// real-time thread at the device's own rate. A per-participant jitter buffer read at exactly
/// that pace absorbs network jitter and the drift between the sender's and the device's clocks
/// in one place, and the app needs no queue of its own; it mixes participants itself (or plays
/// one track per participant). Packets go in from the network task; decoding happens on pull so
/// that loss concealment knows how much audio the device actually needs.
#[derive(Clone)]
pub struct RemoteAudio {
    inner: Arc<Mutex<Playout>>,
    channels: Channels,
}

impl RemoteAudio {
    /// `target_depth` packets (20 ms each from browsers and from this engine) are buffered before
    /// playout starts.
    pub fn new(channels: Channels, target_depth: usize) -> Result<Self, MediaError> {
        Ok(RemoteAudio {
            inner: Arc::new(Mutex::new(Playout {
                jitter: JitterBuffer::new(target_depth, target_depth * 4 + 10),
                decoder: OpusDecoder::new(channels)?,
                pcm: VecDeque::new(),
                played_per_channel: 0,
                concealed_run: 0,
                stats: RemoteAudioStats::default(),
            })),
            channels,
        })
    }

    pub fn channels(&self) -> Channels {
        self.channels
    }

    pub(crate) fn push_packet(&self, sequence: u16, payload: Vec<u8>) {
        self.lock().jitter.push(sequence, payload);
    }

    /// Exactly `samples_per_channel` samples at 48 kHz: decoded audio, concealment for a lost
    /// packet, or silence while buffering or when the remote stopped sending.
    pub fn pull(&self, samples_per_channel: usize) -> Result<AudioFrame, MediaError> {
        if samples_per_channel == 0 || samples_per_channel > MAX_PULL {
            return Err(MediaError::InvalidAudioFrame(format!(
                "cannot pull {samples_per_channel} samples (1..={MAX_PULL})"
            )));
        }
        let channels = self.channels.count();
        let wanted = samples_per_channel * channels;
        let mut playout = self.lock();
        while playout.pcm.len() < wanted {
            if !playout.refill() {
                let missing = wanted - playout.pcm.len();
                playout.pcm.extend(std::iter::repeat_n(0, missing));
            }
        }
        let samples: Vec<i16> = playout.pcm.drain(..wanted).collect();
        let timestamp =
            Duration::from_micros(playout.played_per_channel * 1_000_000 / u64::from(SAMPLE_RATE));
        playout.played_per_channel += samples_per_channel as u64;
        Ok(AudioFrame {
            sample_rate: SAMPLE_RATE,
            channels: channels as u16,
            samples,
            timestamp,
        })
    }

    pub fn stats(&self) -> RemoteAudioStats {
        let playout = self.lock();
        RemoteAudioStats {
            jitter: playout.jitter.stats(),
            buffered_packets: playout.jitter.depth(),
            ..playout.stats
        }
    }

    fn lock(&self) -> MutexGuard<'_, Playout> {
        // A panic elsewhere must not silence the audio thread forever.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Playout {
    /// Appends the next slot's audio; false when there is nothing to play (buffering or stopped).
    fn refill(&mut self) -> bool {
        let frame = match self.jitter.pop() {
            Popped::Packet(payload) => match self.decoder.decode(&payload, Duration::ZERO) {
                Ok(frame) => {
                    self.concealed_run = 0;
                    self.stats.decoded_frames += 1;
                    frame
                }
                Err(err) => {
                    log::debug!("dropping an undecodable Opus packet: {err}");
                    self.stats.decode_errors += 1;
                    return self.conceal();
                }
            },
            Popped::Lost => return self.conceal(),
            Popped::Buffering => return self.concealed_run > 0 && self.conceal(),
        };
        self.pcm.extend(frame.samples);
        true
    }

    fn conceal(&mut self) -> bool {
        if self.concealed_run >= MAX_CONCEALED_RUN {
            return false;
        }
        match self.decoder.conceal(CONCEALED_SAMPLES, Duration::ZERO) {
            Ok(frame) => {
                self.concealed_run += 1;
                self.stats.concealed_frames += 1;
                self.pcm.extend(frame.samples);
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{FrameDuration, OpusEncoder};
    use crate::signal::{dominant_frequency, rms, ToneGenerator};

    fn packets(hz: f64, count: usize) -> Vec<Vec<u8>> {
        let mut tone = ToneGenerator::new(hz, 8000, Channels::Mono);
        let mut encoder = OpusEncoder::new(Channels::Mono, None).unwrap();
        (0..count)
            .map(|_| {
                encoder
                    .encode(&tone.next_frame(FrameDuration::Ms20))
                    .unwrap()
            })
            .collect()
    }

    #[test]
    fn pulls_of_any_size_play_the_tone_that_was_pushed() {
        let audio = RemoteAudio::new(Channels::Mono, 2).unwrap();
        for (seq, packet) in packets(440.0, 15).into_iter().enumerate() {
            audio.push_packet(seq as u16, packet);
        }
        // 441 samples: a device callback size that is not a multiple of the packet size.
        let pcm: Vec<i16> = (0..30)
            .flat_map(|_| audio.pull(441).unwrap().samples)
            .collect();
        assert_eq!(pcm.len(), 30 * 441);
        let hz = dominant_frequency(&pcm[4800..], SAMPLE_RATE);
        assert!((hz - 440.0).abs() <= 5.0, "{hz} Hz");
        let stats = audio.stats();
        assert_eq!((stats.decoded_frames, stats.concealed_frames), (14, 0));
    }

    #[test]
    fn silence_while_buffering_and_shortly_after_the_sender_stops() {
        let audio = RemoteAudio::new(Channels::Stereo, 3).unwrap();
        let packets = packets(880.0, 10);
        audio.push_packet(0, packets[0].clone());
        let frame = audio.pull(960).unwrap();
        assert_eq!((frame.channels, frame.samples.len()), (2, 1920));
        assert_eq!(rms(&frame.samples), 0.0);
        for (seq, packet) in packets.into_iter().enumerate().skip(1) {
            audio.push_packet(seq as u16, packet);
        }
        for _ in 0..10 {
            audio.pull(960).unwrap();
        }
        // Concealment fades out over a few frames, then the output is silent.
        let quiet = (0..10).position(|_| rms(&audio.pull(960).unwrap().samples) == 0.0);
        assert!(
            quiet.is_some_and(|frames| frames <= MAX_CONCEALED_RUN as usize),
            "{quiet:?}"
        );
    }

    #[test]
    fn a_lost_packet_is_concealed_and_garbage_does_not_stop_playout() {
        let audio = RemoteAudio::new(Channels::Mono, 1).unwrap();
        let packets = packets(440.0, 6);
        audio.push_packet(0, packets[0].clone());
        audio.push_packet(1, vec![0x03, 0xff]);
        audio.push_packet(3, packets[3].clone());
        for _ in 0..4 {
            assert_eq!(audio.pull(960).unwrap().samples.len(), 960);
        }
        let stats = audio.stats();
        assert_eq!(
            (stats.decoded_frames, stats.decode_errors, stats.jitter.lost),
            (2, 1, 1)
        );
        assert_eq!(stats.concealed_frames, 2);
    }

    #[test]
    fn absurd_pull_sizes_are_refused() {
        let audio = RemoteAudio::new(Channels::Mono, 1).unwrap();
        assert!(audio.pull(0).is_err());
        assert!(audio.pull(10_000_000).is_err());
    }
}
