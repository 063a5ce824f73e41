//! Reads the 16-bit PCM WAV that espeak-ng writes to stdout.
//!
//! When it streams, espeak-ng cannot seek back to fill in the RIFF and `data` sizes, so it leaves
//! them at 0 or 0xFFFFFFFF: a `data` chunk that claims more than is there runs to the end of input.

use crate::AudioError;

/// Mono samples in [-1, 1] and their rate.
#[derive(Debug, Clone, PartialEq)]
pub struct Pcm {
    pub sample_rate: u32,
    pub samples: Vec<f32>,
}

pub fn parse(bytes: &[u8]) -> Result<Pcm, AudioError> {
    let err = |m: &str| AudioError::Wav(m.to_string());
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err(err("missing RIFF/WAVE header"));
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let declared =
            u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]);
        let body_start = at + 8;
        let available = bytes.len() - body_start;
        if id == b"fmt " {
            if declared < 16 || (declared as usize) > available {
                return Err(err("short fmt chunk"));
            }
            let b = &bytes[body_start..];
            let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
            let rate = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
            format = Some((u16_at(0), u16_at(2), rate, u16_at(14)));
        } else if id == b"data" {
            let (encoding, channels, rate, bits) = format.ok_or_else(|| err("data before fmt"))?;
            if encoding != 1 || bits != 16 {
                return Err(err("only 16-bit integer PCM is supported"));
            }
            if channels == 0 {
                return Err(err("no channels"));
            }
            let len = if declared == 0 || declared as usize > available {
                available
            } else {
                declared as usize
            };
            let frame = 2 * channels as usize;
            let samples = bytes[body_start..body_start + len - len % frame]
                .chunks_exact(frame)
                .map(|f| {
                    // Mixes down to mono: espeak-ng is mono already, this only keeps others safe.
                    let sum: f32 = f
                        .chunks_exact(2)
                        .map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32768.0)
                        .sum();
                    sum / f32::from(channels)
                })
                .collect();
            return Ok(Pcm {
                sample_rate: rate,
                samples,
            });
        }
        let padded = declared as usize + (declared as usize & 1);
        at = body_start.saturating_add(padded);
    }
    Err(err("no data chunk"))
}

/// Writes 16-bit mono WAV; used to hand samples to encoders that read WAV and in tests.
pub fn to_wav(pcm: &Pcm) -> Vec<u8> {
    let data_len = (pcm.samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&pcm.sample_rate.to_le_bytes());
    out.extend_from_slice(&(pcm.sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in &pcm.samples {
        out.extend_from_slice(&to_i16(*s).to_le_bytes());
    }
    out
}

/// Clamps and scales a sample to 16 bits.
pub fn to_i16(sample: f32) -> i16 {
    (sample.clamp(-1.0, 1.0) * 32767.0).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_accepts_streamed_sizes() {
        let pcm = Pcm {
            sample_rate: 22_050,
            samples: vec![0.0, 0.5, -0.5, 1.0, -1.0],
        };
        let mut bytes = to_wav(&pcm);
        let parsed = parse(&bytes).expect("parses");
        assert_eq!(parsed.sample_rate, 22_050);
        assert_eq!(parsed.samples.len(), 5);
        assert!((parsed.samples[1] - 0.5).abs() < 1e-3);
        // As espeak-ng streams it: sizes unknown.
        bytes[4..8].copy_from_slice(&u32::MAX.to_le_bytes());
        bytes[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(parse(&bytes).expect("parses streamed").samples.len(), 5);
    }

    #[test]
    fn rejects_what_is_not_pcm_wav() {
        assert!(parse(b"ID3\x04 not a wav file").is_err());
        let mut bytes = to_wav(&Pcm {
            sample_rate: 8_000,
            samples: vec![0.0],
        });
        bytes[20] = 3; // IEEE float
        assert!(parse(&bytes).is_err());
    }
}
