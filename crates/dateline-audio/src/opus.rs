//! Ogg Opus at 24 kb/s (RFC 7845): the smaller file for browsers that play Opus.

use crate::ogg::OggWriter;
use crate::{AudioError, PIPELINE_SAMPLE_RATE};

pub const BITRATE_BPS: i32 = 24_000;
/// 20 ms frames: Opus's default, the best trade of quality and overhead for speech.
const FRAME_SAMPLES: usize = PIPELINE_SAMPLE_RATE as usize / 50;
/// Ogg Opus granule positions always count 48 kHz samples (RFC 7845 §4).
const GRANULE_RATE: u64 = 48_000;
const GRANULE_PER_SAMPLE: u64 = GRANULE_RATE / PIPELINE_SAMPLE_RATE as u64;
/// Close a page after about a second of audio, so players can seek without reading far.
const PAGE_BYTES: usize = 3_000;
const VENDOR: &str = "Dateline narration (libopus)";

/// The identification header (RFC 7845 §5.1): mono, mapping family 0.
pub fn opus_head(pre_skip: u16, input_rate: u32) -> Vec<u8> {
    let mut head = Vec::with_capacity(19);
    head.extend_from_slice(b"OpusHead");
    head.push(1); // version
    head.push(1); // channels
    head.extend_from_slice(&pre_skip.to_le_bytes());
    head.extend_from_slice(&input_rate.to_le_bytes());
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family
    head
}

/// The comment header (RFC 7845 §5.2), Vorbis-comment style: vendor, then `KEY=value` fields.
pub fn opus_tags(comments: &[(&str, &str)]) -> Vec<u8> {
    let mut tags = Vec::new();
    tags.extend_from_slice(b"OpusTags");
    tags.extend_from_slice(&(VENDOR.len() as u32).to_le_bytes());
    tags.extend_from_slice(VENDOR.as_bytes());
    tags.extend_from_slice(&(comments.len() as u32).to_le_bytes());
    for (key, value) in comments {
        let field = format!("{}={}", key.to_ascii_uppercase(), value);
        tags.extend_from_slice(&(field.len() as u32).to_le_bytes());
        tags.extend_from_slice(field.as_bytes());
    }
    tags
}

/// Encodes mono samples at [`PIPELINE_SAMPLE_RATE`] to an Ogg Opus file.
pub fn encode(
    samples: &[f32],
    comments: &[(&str, &str)],
    serial: u32,
) -> Result<Vec<u8>, AudioError> {
    let fail = |e: opus::Error| AudioError::Encoding(format!("opus: {e}"));
    let mut encoder = opus::Encoder::new(
        PIPELINE_SAMPLE_RATE,
        opus::Channels::Mono,
        opus::Application::Voip,
    )
    .map_err(fail)?;
    encoder
        .set_bitrate(opus::Bitrate::Bits(BITRATE_BPS))
        .map_err(fail)?;
    let lookahead = usize::try_from(encoder.get_lookahead().map_err(fail)?)
        .map_err(|_| AudioError::Encoding("negative lookahead".into()))?;
    // The decoder drops `pre_skip` samples (48 kHz) of encoder delay at the start.
    let pre_skip = u16::try_from(lookahead as u64 * GRANULE_PER_SAMPLE)
        .map_err(|_| AudioError::Encoding("lookahead too long".into()))?;

    let mut ogg = OggWriter::new(serial);
    ogg.write_packet(&opus_head(pre_skip, PIPELINE_SAMPLE_RATE), 0);
    ogg.flush();
    ogg.write_packet(&opus_tags(comments), 0);
    ogg.flush();

    // Feed the lookahead's worth of silence after the audio so its last samples come out, and
    // pad the final frame; the last granule then trims the padding back off (end trimming).
    let mut input = samples.to_vec();
    input.resize(samples.len() + lookahead, 0.0);
    let frames = input.len().div_ceil(FRAME_SAMPLES);
    input.resize(frames * FRAME_SAMPLES, 0.0);
    let end_granule = u64::from(pre_skip) + samples.len() as u64 * GRANULE_PER_SAMPLE;
    let mut packet = vec![0u8; 4_000];
    for (index, frame) in input.chunks_exact(FRAME_SAMPLES).enumerate() {
        let len = encoder.encode_float(frame, &mut packet).map_err(fail)?;
        let decoded_so_far = (index as u64 + 1) * FRAME_SAMPLES as u64 * GRANULE_PER_SAMPLE;
        let granule = if index + 1 == frames {
            end_granule
        } else {
            decoded_so_far
        };
        if ogg.pending_len() >= PAGE_BYTES {
            ogg.flush();
        }
        ogg.write_packet(&packet[..len], granule);
    }
    Ok(ogg.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ogg::{read_packets, read_pages};

    #[test]
    fn headers_follow_rfc_7845() {
        let head = opus_head(312, 24_000);
        assert_eq!(head.len(), 19);
        assert_eq!(&head[..8], b"OpusHead");
        assert_eq!(head[8], 1);
        assert_eq!(head[9], 1);
        assert_eq!(u16::from_le_bytes([head[10], head[11]]), 312);
        assert_eq!(
            u32::from_le_bytes([head[12], head[13], head[14], head[15]]),
            24_000
        );
        let tags = opus_tags(&[("title", "Vote delayed")]);
        assert_eq!(&tags[..8], b"OpusTags");
        let vendor_len = u32::from_le_bytes([tags[8], tags[9], tags[10], tags[11]]) as usize;
        let after_vendor = 12 + vendor_len;
        assert_eq!(&tags[after_vendor..after_vendor + 4], &1u32.to_le_bytes());
        assert!(tags.ends_with(b"TITLE=Vote delayed"));
    }

    #[test]
    fn encoded_stream_has_header_pages_and_exact_end_granule() {
        let samples: Vec<f32> = (0..PIPELINE_SAMPLE_RATE as usize)
            .map(|i| (i as f32 * 0.05).sin() * 0.3)
            .collect();
        let bytes = encode(&samples, &[("title", "Tone")], 7).expect("encodes");
        let pages = read_pages(&bytes).expect("valid pages");
        // OpusHead alone on the first page, OpusTags starting the second, audio after that.
        assert!(pages[0].is_first());
        assert_eq!(read_packets(&pages[..1]).len(), 1);
        assert_eq!(&read_packets(&pages[1..2])[0][..8], b"OpusTags");
        assert_eq!(pages[1].granule, 0);
        let last = pages.last().expect("pages");
        assert!(last.is_last());
        let pre_skip = u64::from(u16::from_le_bytes([pages[0].body[10], pages[0].body[11]]));
        assert_eq!(last.granule, pre_skip + 48_000);
        // Granules never go back.
        let audio_granules: Vec<u64> = pages[2..]
            .iter()
            .map(|p| p.granule)
            .filter(|&g| g != u64::MAX)
            .collect();
        assert!(audio_granules.windows(2).all(|w| w[0] <= w[1]));
        // 24 kb/s for one second is about 3 KB of audio packets.
        let audio_bytes: usize = read_packets(&pages[2..]).iter().map(Vec::len).sum();
        assert!((2_000..4_500).contains(&audio_bytes), "{audio_bytes} bytes");
    }
}
