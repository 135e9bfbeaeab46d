use crate::video::VideoFrame;

/// Identical pictures have infinite PSNR; report this instead so results stay comparable.
const IDENTICAL_DB: f64 = 100.0;

/// Peak signal-to-noise ratio over all three planes, in dB; `None` when the sizes differ.
pub fn psnr(a: &VideoFrame, b: &VideoFrame) -> Option<f64> {
    if (a.width, a.height) != (b.width, b.height) {
        return None;
    }
    let (cw, ch) = a.chroma_size();
    let planes = [
        (
            &a.y,
            a.stride_y,
            &b.y,
            b.stride_y,
            a.width as usize,
            a.height as usize,
        ),
        (&a.u, a.stride_u, &b.u, b.stride_u, cw, ch),
        (&a.v, a.stride_v, &b.v, b.stride_v, cw, ch),
    ];
    let (mut squared, mut count) = (0.0f64, 0usize);
    for (pa, sa, pb, sb, w, h) in planes {
        for row in 0..h {
            let ra = pa.get(row * sa..row * sa + w)?;
            let rb = pb.get(row * sb..row * sb + w)?;
            squared += ra
                .iter()
                .zip(rb)
                .map(|(&x, &y)| f64::from(x.abs_diff(y)).powi(2))
                .sum::<f64>();
        }
        count += w * h;
    }
    if squared == 0.0 {
        return Some(IDENTICAL_DB);
    }
    let mse = squared / count as f64;
    Some((10.0 * (255.0 * 255.0 / mse).log10()).min(IDENTICAL_DB))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::TestPattern;

    #[test]
    fn identical_frames_score_the_maximum_and_noise_lowers_it() {
        let pattern = TestPattern::new(64, 48);
        let frame = pattern.frame(3);
        assert_eq!(psnr(&frame, &frame), Some(IDENTICAL_DB));
        let mut noisy = frame.clone();
        for (i, px) in noisy.y.iter_mut().enumerate() {
            *px = px.saturating_add((i % 7) as u8);
        }
        let score = psnr(&frame, &noisy).unwrap();
        assert!(score > 30.0 && score < 50.0, "{score}");
        assert!(psnr(&frame, &pattern.frame(20)).unwrap() < 20.0);
    }

    #[test]
    fn different_sizes_are_not_comparable() {
        assert_eq!(
            psnr(
                &TestPattern::new(128, 48).frame(0),
                &TestPattern::new(64, 48).frame(0)
            ),
            None
        );
    }
}
