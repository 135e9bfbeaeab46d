use std::time::Duration;

use crate::MediaError;

/// How the receiver must rotate the picture to display it upright (the camera's orientation);
/// pixels are never rotated by the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    #[default]
    Deg0,
    Deg90,
    Deg180,
    Deg270,
}

/// An I420 picture: full-resolution Y plane, U and V planes at half width and height.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoFrame {
    pub width: u32,
    pub height: u32,
    /// Capture time for sent frames; for received frames, media time since the start of the
    /// remote stream (from the RTP clock).
    pub timestamp: Duration,
    pub rotation: Rotation,
    pub y: Vec<u8>,
    pub u: Vec<u8>,
    pub v: Vec<u8>,
    pub stride_y: usize,
    pub stride_u: usize,
    pub stride_v: usize,
}

impl VideoFrame {
    pub fn chroma_size(&self) -> (usize, usize) {
        (
            self.width.div_ceil(2) as usize,
            self.height.div_ceil(2) as usize,
        )
    }

    /// Checks sizes, strides and plane lengths so that no codec ever reads out of bounds.
    pub fn validate(&self) -> Result<(), MediaError> {
        let invalid = |why: String| Err(MediaError::InvalidVideoFrame(why));
        if self.width == 0 || self.height == 0 || self.width % 2 == 1 || self.height % 2 == 1 {
            return invalid(format!(
                "{}x{}: sizes must be even and non-zero",
                self.width, self.height
            ));
        }
        if self.width > 3840 || self.height > 3840 {
            return invalid(format!(
                "{}x{} is larger than 3840 pixels",
                self.width, self.height
            ));
        }
        let (cw, ch) = self.chroma_size();
        let planes = [
            (
                "y",
                self.y.len(),
                self.stride_y,
                self.width as usize,
                self.height as usize,
            ),
            ("u", self.u.len(), self.stride_u, cw, ch),
            ("v", self.v.len(), self.stride_v, cw, ch),
        ];
        for (name, len, stride, width, rows) in planes {
            if stride < width {
                return invalid(format!(
                    "{name} stride {stride} is less than the width {width}"
                ));
            }
            // Checked: on a 32-bit phone (armeabi-v7a) a hostile stride times the rows could
            // wrap around and pass.
            let needed = stride.checked_mul(rows);
            if needed.is_none_or(|needed| len < needed) {
                return invalid(format!(
                    "{name} plane has {len} bytes, needs {stride} x {rows}"
                ));
            }
        }
        if self.stride_u != self.stride_v {
            return invalid("u and v strides differ".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::signal::TestPattern;

    #[test]
    fn pattern_frames_are_valid_and_broken_ones_are_refused() {
        let frame = TestPattern::new(64, 32).frame(0);
        frame.validate().unwrap();
        let mut odd = frame.clone();
        odd.width = 63;
        assert!(odd.validate().is_err());
        let mut short = frame.clone();
        short.u.truncate(10);
        assert!(short.validate().is_err());
        let mut narrow = frame.clone();
        narrow.stride_y = 10;
        assert!(narrow.validate().is_err());
        // A stride whose product with the rows wraps around (as u32 strides do on 32-bit).
        let mut wrapping = frame;
        wrapping.stride_y = usize::MAX / 2;
        assert!(wrapping.validate().is_err());
    }
}
