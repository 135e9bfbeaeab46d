use std::time::Duration;

use openh264::decoder::Decoder;
use openh264::encoder::{
    BitRate, Encoder, EncoderConfig, FrameRate, FrameType, Level, Profile, RateControlMode,
};
use openh264::formats::{YUVSlices, YUVSource};
use openh264::OpenH264API;

use crate::video::annexb;
use crate::video::{Rotation, VideoFrame};
use crate::MediaError;

#[derive(Debug, Clone, Copy)]
pub struct H264EncoderConfig {
    pub bitrate_bps: u32,
    pub max_fps: f32,
}

impl Default for H264EncoderConfig {
    fn default() -> Self {
        H264EncoderConfig {
            bitrate_bps: 800_000,
            max_fps: 30.0,
        }
    }
}

/// One encoded picture as an Annex B access unit.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    pub data: Vec<u8>,
    pub keyframe: bool,
}

/// OpenH264 in constrained-baseline mode, which is what `profile-level-id=42e01f` with
/// `packetization-mode=1` promises the peer (every browser and the bridge accept it).
pub struct H264Encoder {
    inner: Encoder,
    config: H264EncoderConfig,
    /// What rate control should aim for.
    bitrate_bps: u32,
    /// What the OpenH264 instance is set to; it falls back to `config.bitrate_bps` whenever the
    /// picture size changes, because the crate re-initialises from its config then.
    applied_bps: u32,
    size: Option<(u32, u32)>,
    keyframe_pending: bool,
}

impl H264Encoder {
    pub fn new(config: H264EncoderConfig) -> Result<Self, MediaError> {
        Ok(H264Encoder {
            inner: open(config)?,
            config,
            bitrate_bps: config.bitrate_bps,
            applied_bps: config.bitrate_bps,
            size: None,
            keyframe_pending: false,
        })
    }

    pub fn bitrate_bps(&self) -> u32 {
        self.bitrate_bps
    }

    /// Makes the next encoded picture an IDR (after a PLI/FIR, an unmute or a new receiver).
    pub fn request_keyframe(&mut self) {
        self.keyframe_pending = true;
    }

    /// Changes the target without restarting the encoder (no forced keyframe).
    pub fn set_bitrate(&mut self, bps: u32) -> Result<(), MediaError> {
        i32::try_from(bps).map_err(|_| MediaError::H264(format!("bitrate {bps} too large")))?;
        if self.size.is_none() {
            // OpenH264 initialises on the first picture and refuses options before it; until
            // then the instance is only a configuration and is cheap to replace.
            self.config.bitrate_bps = bps;
            self.inner = open(self.config)?;
            self.applied_bps = bps;
        } else {
            self.apply(bps)?;
        }
        self.bitrate_bps = bps;
        Ok(())
    }

    fn apply(&mut self, bps: u32) -> Result<(), MediaError> {
        use openh264_sys2::{
            ENCODER_OPTION_BITRATE, ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_0, SPATIAL_LAYER_ALL,
        };
        let bitrate =
            i32::try_from(bps).map_err(|_| MediaError::H264(format!("bitrate {bps} too large")))?;
        // OpenH264 refuses a target above the maximum (the layer's as well as the overall one,
        // both set to the initial target) and a maximum below the target, so the order depends
        // on the direction.
        let max = [
            (ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_0),
            (ENCODER_OPTION_MAX_BITRATE, SPATIAL_LAYER_ALL),
        ];
        let target = [(ENCODER_OPTION_BITRATE, SPATIAL_LAYER_ALL)];
        let steps: Vec<_> = if bps >= self.applied_bps {
            max.into_iter().chain(target).collect()
        } else {
            target.into_iter().chain(max).collect()
        };
        for (option, layer) in steps {
            let mut info = openh264_sys2::TagBitrateInfo {
                iLayer: layer,
                iBitrate: bitrate,
            };
            // SAFETY: the encoder is initialised (a picture was encoded) and `info` is the
            // SBitrateInfo these options are documented to take; OpenH264 only reads it.
            let status = unsafe {
                self.inner
                    .raw_api()
                    .set_option(option, std::ptr::addr_of_mut!(info).cast())
            };
            if status != 0 {
                return Err(MediaError::H264(format!(
                    "SetOption bitrate {bps} failed ({status})"
                )));
            }
        }
        self.applied_bps = bps;
        Ok(())
    }

    /// `None` when rate control skipped the picture.
    pub fn encode(&mut self, frame: &VideoFrame) -> Result<Option<EncodedFrame>, MediaError> {
        frame.validate()?;
        let (w, h) = (frame.width as usize, frame.height as usize);
        let (_, ch) = frame.chroma_size();
        let source = YUVSlices::new(
            (
                &frame.y[..frame.stride_y * h],
                &frame.u[..frame.stride_u * ch],
                &frame.v[..frame.stride_v * ch],
            ),
            (w, h),
            (frame.stride_y, frame.stride_u, frame.stride_v),
        );
        if std::mem::take(&mut self.keyframe_pending) {
            self.inner.force_intra_frame();
        }
        let resized = self.size != Some((frame.width, frame.height));
        let timestamp = openh264::Timestamp::from_millis(frame.timestamp.as_millis() as u64);
        let (keyframe, skipped, data) = {
            let bitstream = self.inner.encode_at(&source, timestamp)?;
            let frame_type = bitstream.frame_type();
            (
                matches!(frame_type, FrameType::IDR | FrameType::I),
                matches!(frame_type, FrameType::Skip),
                bitstream.to_vec(),
            )
        };
        if resized {
            self.size = Some((frame.width, frame.height));
            self.applied_bps = self.config.bitrate_bps;
            if self.bitrate_bps != self.applied_bps {
                self.apply(self.bitrate_bps)?;
            }
        }
        if data.is_empty() || skipped {
            return Ok(None);
        }
        Ok(Some(EncodedFrame { data, keyframe }))
    }
}

fn open(config: H264EncoderConfig) -> Result<Encoder, MediaError> {
    let encoder_config = EncoderConfig::new()
        .bitrate(BitRate::from_bps(config.bitrate_bps))
        .max_frame_rate(FrameRate::from_hz(config.max_fps))
        .rate_control_mode(RateControlMode::Bitrate)
        .profile(Profile::Baseline)
        .level(Level::Level_3_1)
        // Rate control may drop a frame when over budget; a dropped frame is just not sent.
        .skip_frames(true);
    Ok(Encoder::with_api_config(
        OpenH264API::from_source(),
        encoder_config,
    )?)
}

pub struct H264Decoder {
    inner: Decoder,
}

impl H264Decoder {
    pub fn new() -> Result<Self, MediaError> {
        Ok(H264Decoder {
            inner: Decoder::new()?,
        })
    }

    /// Decodes one Annex B access unit. `None` while the decoder has no picture to show (waiting
    /// for parameter sets or an IDR); a corrupt unit is an error and the caller should ask the
    /// sender for a keyframe.
    pub fn decode(
        &mut self,
        access_unit: &[u8],
        timestamp: Duration,
    ) -> Result<Option<VideoFrame>, MediaError> {
        annexb::nal_units(access_unit)?;
        let Some(picture) = self.inner.decode(access_unit)? else {
            return Ok(None);
        };
        let (w, h) = picture.dimensions();
        let (stride_y, stride_u, stride_v) = picture.strides();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        // The openh264 crate sizes chroma planes as height * stride / 2, which for an odd cropped
        // height may be shorter than the rows asked for here: refuse, never read out of bounds.
        let copy = |plane: &[u8], stride: usize, width: usize, rows: usize| {
            let mut out = Vec::with_capacity(width * rows);
            for row in 0..rows {
                let line = plane
                    .get(row * stride..row * stride + width)
                    .ok_or_else(|| {
                        MediaError::H264(format!("decoded plane too short for {w}x{h}"))
                    })?;
                out.extend_from_slice(line);
            }
            Ok::<_, MediaError>(out)
        };
        Ok(Some(VideoFrame {
            width: w as u32,
            height: h as u32,
            timestamp,
            rotation: Rotation::Deg0,
            y: copy(picture.y(), stride_y, w, h)?,
            u: copy(picture.u(), stride_u, cw, ch)?,
            v: copy(picture.v(), stride_v, cw, ch)?,
            stride_y: w,
            stride_u: cw,
            stride_v: cw,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{psnr, TestPattern};

    #[test]
    fn encoded_pattern_decodes_to_the_same_picture() {
        let pattern = TestPattern::new(320, 180);
        let mut encoder = H264Encoder::new(H264EncoderConfig {
            bitrate_bps: 1_000_000,
            max_fps: 30.0,
        })
        .unwrap();
        let mut decoder = H264Decoder::new().unwrap();
        let mut decoded = 0;
        for index in 0..15 {
            let sent = pattern.frame(index);
            let Some(encoded) = encoder.encode(&sent).unwrap() else {
                continue;
            };
            assert_eq!(encoded.keyframe, index == 0, "frame {index}");
            let frame = decoder
                .decode(&encoded.data, sent.timestamp)
                .unwrap()
                .expect("a picture");
            assert_eq!(pattern.read_index(&frame), Some(index));
            let score = psnr(&sent, &frame).unwrap();
            assert!(score > 30.0, "frame {index}: {score} dB");
            decoded += 1;
        }
        assert!(decoded >= 10, "only {decoded} of 15 frames were encoded");
    }

    #[test]
    fn the_bitrate_can_be_set_before_the_first_picture() {
        let mut encoder = H264Encoder::new(H264EncoderConfig::default()).unwrap();
        encoder.set_bitrate(2_000_000).unwrap();
        encoder.set_bitrate(150_000).unwrap();
        assert!(
            encoder
                .encode(&TestPattern::new(128, 64).frame(0))
                .unwrap()
                .unwrap()
                .keyframe
        );
        encoder.set_bitrate(1_000_000).unwrap();
    }

    #[test]
    fn a_keyframe_request_makes_the_next_frame_an_idr() {
        let pattern = TestPattern::new(128, 64);
        let mut encoder = H264Encoder::new(H264EncoderConfig::default()).unwrap();
        let first = encoder.encode(&pattern.frame(0)).unwrap().unwrap();
        assert!(first.keyframe);
        let second = encoder.encode(&pattern.frame(1)).unwrap().unwrap();
        assert!(!second.keyframe);
        encoder.request_keyframe();
        let third = encoder.encode(&pattern.frame(2)).unwrap().unwrap();
        assert!(third.keyframe);
        assert!(annexb::contains_idr(&third.data).unwrap());
    }

    #[test]
    fn a_lower_bitrate_gives_smaller_frames() {
        let pattern = TestPattern::new(320, 180);
        let mut encoder = H264Encoder::new(H264EncoderConfig {
            bitrate_bps: 2_000_000,
            max_fps: 30.0,
        })
        .unwrap();
        let bytes = |encoder: &mut H264Encoder, range: std::ops::Range<u32>| -> usize {
            range
                .filter_map(|i| encoder.encode(&pattern.frame(i)).unwrap())
                .map(|f| f.data.len())
                .sum()
        };
        bytes(&mut encoder, 0..10);
        let high = bytes(&mut encoder, 10..40);
        encoder.set_bitrate(150_000).unwrap();
        bytes(&mut encoder, 40..50);
        let low = bytes(&mut encoder, 50..80);
        assert_eq!(encoder.bitrate_bps(), 150_000);
        assert!(
            low * 2 < high,
            "{low} bytes at 150 kbit/s vs {high} at 2 Mbit/s"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_crash() {
        let mut decoder = H264Decoder::new().unwrap();
        assert!(decoder.decode(&[1, 2, 3, 4, 5], Duration::ZERO).is_err());
        let garbage: Vec<u8> = [0, 0, 0, 1, 0x65]
            .into_iter()
            .chain((0..500).map(|i| (i * 37) as u8))
            .collect();
        // A slice without parameter sets can never become a picture.
        assert!(!matches!(
            decoder.decode(&garbage, Duration::ZERO),
            Ok(Some(_))
        ));
    }
}
