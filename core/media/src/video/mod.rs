//! Video: I420 frames, H.264 (OpenH264) encode and decode, Annex B access units from platform
//! encoders, and the send bitrate that follows receiver feedback.

pub mod annexb;
mod bitrate;
mod frame;
mod h264;

pub use bitrate::{BitrateController, BitrateLimits};
pub use frame::{Rotation, VideoFrame};
pub use h264::{EncodedFrame, H264Decoder, H264Encoder, H264EncoderConfig};
