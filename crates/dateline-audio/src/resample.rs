//! Sample-rate conversion for engines that do not speak at the pipeline rate (espeak-ng: 22,050 Hz).

/// Converts mono samples from one rate to another by windowed-sinc interpolation: linear
/// interpolation audibly dulls speech, and this is cheap next to synthesis.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() {
        return samples.to_vec();
    }
    const HALF_TAPS: isize = 16;
    let ratio = f64::from(to) / f64::from(from);
    // When downsampling, the filter's cut-off moves down to the new Nyquist frequency.
    let cutoff = ratio.min(1.0);
    let out_len = (samples.len() as f64 * ratio).round() as usize;
    (0..out_len)
        .map(|n| {
            let position = n as f64 / ratio;
            let centre = position.floor() as isize;
            let mut acc = 0.0f64;
            let mut weight = 0.0f64;
            for k in (centre - HALF_TAPS + 1)..=(centre + HALF_TAPS) {
                if k < 0 || k as usize >= samples.len() {
                    continue;
                }
                let x = position - k as f64;
                let sinc = if x.abs() < 1e-9 {
                    1.0
                } else {
                    let px = std::f64::consts::PI * x * cutoff;
                    px.sin() / px
                };
                // Blackman window over the filter span.
                let w = 0.42
                    + 0.5 * (std::f64::consts::PI * x / HALF_TAPS as f64).cos()
                    + 0.08 * (2.0 * std::f64::consts::PI * x / HALF_TAPS as f64).cos();
                let coefficient = sinc * w.max(0.0);
                acc += f64::from(samples[k as usize]) * coefficient;
                weight += coefficient;
            }
            if weight.abs() < 1e-12 {
                0.0
            } else {
                (acc / weight) as f32
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, hz: f64, seconds: f64) -> Vec<f32> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|i| {
                (2.0 * std::f64::consts::PI * hz * i as f64 / f64::from(rate)).sin() as f32 * 0.5
            })
            .collect()
    }

    #[test]
    fn keeps_duration_and_pitch() {
        let input = tone(22_050, 440.0, 1.0);
        let output = resample(&input, 22_050, 24_000);
        assert_eq!(output.len(), 24_000);
        let expected = tone(24_000, 440.0, 1.0);
        // Away from the edges the resampled tone is the same tone at the new rate.
        let worst = output[100..23_900]
            .iter()
            .zip(&expected[100..23_900])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 0.01, "worst deviation {worst}");
    }
}
