//! Audio: PCM frames, the Opus codec and per-participant playout.

mod frame;
mod jitter;
mod opus_codec;
mod playout;

pub use frame::{AudioFrame, Channels, FrameDuration, SAMPLE_RATE};
pub use jitter::{JitterBuffer, JitterStats, Popped};
pub use opus_codec::{OpusDecoder, OpusEncoder, MAX_OPUS_PACKET};
pub use playout::{RemoteAudio, RemoteAudioStats};
