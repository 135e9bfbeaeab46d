use std::time::Duration;

use crate::video::{Rotation, VideoFrame};

const INDEX_BITS: usize = 16;
const BAND_HEIGHT: usize = 16;
const FPS: u64 = 30;

/// A moving picture (a sliding gradient with a box crossing it) whose top 16 rows carry the
/// frame number as a 16-bit black/white bar code, so a receiver can find which sent frame a
/// decoded one corresponds to even after losses.
pub struct TestPattern {
    width: u32,
    height: u32,
}

impl TestPattern {
    /// At least 64x32 so that each bar of the code is 4 pixels wide; even sizes only.
    pub fn new(width: u32, height: u32) -> Self {
        TestPattern {
            width: (width.max(64) + 1) & !1,
            height: (height.max(32) + 1) & !1,
        }
    }

    pub fn frame(&self, index: u32) -> VideoFrame {
        let (w, h) = (self.width as usize, self.height as usize);
        let (cw, ch) = (w / 2, h / 2);
        let step = index as usize;
        let box_size = h / 4;
        let box_x = (step * 4) % (w - box_size);
        let box_y = h / 2 - box_size / 2;
        let mut y = vec![0u8; w * h];
        for row in 0..h {
            for col in 0..w {
                let inside_box = (box_x..box_x + box_size).contains(&col)
                    && (box_y..box_y + box_size).contains(&row);
                y[row * w + col] = if inside_box {
                    230
                } else {
                    ((col + row + step * 3) % 200 + 20) as u8
                };
            }
        }
        let bar_width = w / INDEX_BITS;
        for bit in 0..INDEX_BITS {
            let value = if index >> bit & 1 == 1 { 235 } else { 16 };
            for row in 0..BAND_HEIGHT {
                y[row * w + bit * bar_width..row * w + (bit + 1) * bar_width].fill(value);
            }
        }
        let u = (0..cw * ch)
            .map(|i| ((i % cw) * 2 + step) as u8 / 2 + 64)
            .collect();
        let v = (0..cw * ch)
            .map(|i| ((i / cw) * 2 + step * 2) as u8 / 2 + 64)
            .collect();
        VideoFrame {
            width: self.width,
            height: self.height,
            timestamp: Duration::from_micros(u64::from(index) * 1_000_000 / FPS),
            rotation: Rotation::Deg0,
            y,
            u,
            v,
            stride_y: w,
            stride_u: cw,
            stride_v: cw,
        }
    }

    /// The frame number a (possibly decoded, slightly distorted) pattern frame carries.
    pub fn read_index(&self, frame: &VideoFrame) -> Option<u32> {
        if (frame.width, frame.height) != (self.width, self.height) {
            return None;
        }
        let bar_width = frame.width as usize / INDEX_BITS;
        let mut index = 0u32;
        for bit in 0..INDEX_BITS {
            let (x0, x1) = (
                bit * bar_width + bar_width / 4,
                (bit + 1) * bar_width - bar_width / 4,
            );
            let mut sum = 0u32;
            let mut count = 0u32;
            for row in BAND_HEIGHT / 4..BAND_HEIGHT * 3 / 4 {
                for px in frame
                    .y
                    .get(row * frame.stride_y + x0..row * frame.stride_y + x1)?
                {
                    sum += u32::from(*px);
                    count += 1;
                }
            }
            let mean = sum / count.max(1);
            if mean > 170 {
                index |= 1 << bit;
            } else if mean > 80 {
                return None;
            }
        }
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_carry_their_index_and_move() {
        let pattern = TestPattern::new(320, 180);
        for index in [0, 1, 77, 1000, 65535] {
            let frame = pattern.frame(index);
            assert_eq!(pattern.read_index(&frame), Some(index));
        }
        assert_ne!(pattern.frame(1).y, pattern.frame(2).y);
    }

    #[test]
    fn a_frame_of_another_size_has_no_index() {
        assert_eq!(
            TestPattern::new(320, 180).read_index(&TestPattern::new(64, 32).frame(1)),
            None
        );
    }
}
