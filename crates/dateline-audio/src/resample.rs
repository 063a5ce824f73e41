//! Sample-rate conversion for engines that do not speak at the pipeline rate (espeak-ng: 22,050 Hz).

const HALF_TAPS: usize = 16;
const TAPS: usize = 2 * HALF_TAPS;
/// Rates in a small whole ratio (22,050 → 24,000 is 147:160) repeat the same fractional
/// positions; their filters are computed once per phase instead of once per sample.
const MAX_PHASES: u64 = 4096;

/// Converts mono samples from one rate to another by windowed-sinc interpolation: linear
/// interpolation audibly dulls speech, and this is cheap next to synthesis.
pub fn resample(samples: &[f32], from: u32, to: u32) -> Vec<f32> {
    if from == to || samples.is_empty() || from == 0 || to == 0 {
        return samples.to_vec();
    }
    let divisor = gcd(u64::from(from), u64::from(to));
    let (step, phases) = (u64::from(from) / divisor, u64::from(to) / divisor);
    // When downsampling, the filter's cut-off moves down to the new Nyquist frequency.
    let cutoff = (f64::from(to) / f64::from(from)).min(1.0);
    let table: Vec<[f32; TAPS]> = if phases <= MAX_PHASES {
        (0..phases)
            .map(|p| filter(p as f64 / phases as f64, cutoff))
            .collect()
    } else {
        Vec::new()
    };
    let out_len = (samples.len() as u64 * phases).div_ceil(step) as usize;
    (0..out_len as u64)
        .map(|n| {
            let numerator = n * step;
            let centre = (numerator / phases) as usize;
            let phase = numerator % phases;
            let computed;
            let taps = match table.get(phase as usize) {
                Some(taps) => taps,
                None => {
                    computed = filter(phase as f64 / phases as f64, cutoff);
                    &computed
                }
            };
            // Tap j weighs input sample centre - HALF_TAPS + 1 + j; outside the input is silence.
            let first = centre as isize - HALF_TAPS as isize + 1;
            taps.iter()
                .enumerate()
                .filter_map(|(j, c)| {
                    let k = first + j as isize;
                    (k >= 0 && (k as usize) < samples.len()).then(|| samples[k as usize] * c)
                })
                .sum()
        })
        .collect()
}

/// The windowed-sinc taps for an output `fraction` of the way past an input sample, normalised
/// to unit gain.
fn filter(fraction: f64, cutoff: f64) -> [f32; TAPS] {
    let mut taps = [0f64; TAPS];
    for (j, tap) in taps.iter_mut().enumerate() {
        let x = fraction + HALF_TAPS as f64 - 1.0 - j as f64;
        let sinc = if x.abs() < 1e-9 {
            1.0
        } else {
            let px = std::f64::consts::PI * x * cutoff;
            px.sin() / px
        };
        // Blackman window over the filter span.
        let span = HALF_TAPS as f64;
        let window = 0.42
            + 0.5 * (std::f64::consts::PI * x / span).cos()
            + 0.08 * (2.0 * std::f64::consts::PI * x / span).cos();
        *tap = sinc * window.max(0.0);
    }
    let sum: f64 = taps.iter().sum();
    taps.map(|t| {
        if sum.abs() < 1e-12 {
            0.0
        } else {
            (t / sum) as f32
        }
    })
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
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
    fn downsampling_keeps_duration_too() {
        let input = tone(48_000, 300.0, 0.5);
        assert_eq!(resample(&input, 48_000, 24_000).len(), 12_000);
        assert_eq!(resample(&input, 48_000, 48_000), input);
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
