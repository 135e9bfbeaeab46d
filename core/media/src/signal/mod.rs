//! Test signals and measurements: a tone generator and dominant-frequency detector for audio, a
//! moving I420 pattern that carries its own frame number, and PSNR. Used by the tests, the
//! benchmark and (later) the CLI and demo to prove media flows end to end.

mod frequency;
mod pattern;
mod psnr;
mod tone;

pub use frequency::{dominant_frequency, loudest_stretch, rms};
pub use pattern::TestPattern;
pub use psnr::psnr;
pub use tone::ToneGenerator;
