//! Where each image format keeps its XMP packet, read and written by walking the container's own
//! structure (never by searching the bytes for `<x:xmpmeta`, which would also find a packet quoted
//! inside a comment or another packet).

use std::borrow::Cow;
use std::io::Read;

use crate::ImageFormat;

/// JPEG APP1 namespace signature for the main XMP packet (XMP Specification Part 3, 1.1.3).
const JPEG_XMP_SIGNATURE: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";
/// PNG `iTXt` keyword for XMP (XMP Specification Part 3, 1.1.5).
const PNG_XMP_KEYWORD: &[u8] = b"XML:com.adobe.xmp";
/// GIF application extension identifier and authentication code for XMP (Part 3, 1.1.2).
const GIF_XMP_APPLICATION: &[u8] = b"XMP DataXMP";
/// An XMP packet is metadata, not a payload: a compressed PNG one inflating past this is refused
/// rather than decompressed into memory.
const MAX_INFLATED_XMP: u64 = 4 * 1024 * 1024;

/// WebP VP8X feature flags (RFC 9649, 2.7).
const VP8X_XMP: u8 = 0x04;
const VP8X_ALPHA: u8 = 0x10;

/// The bytes of the image's XMP packet, `None` if it has none; an error describes a container
/// too damaged to walk.
pub(crate) fn find_xmp(bytes: &[u8], format: ImageFormat) -> Result<Option<Cow<'_, [u8]>>, String> {
    match format {
        ImageFormat::Jpeg => Ok(jpeg_xmp(bytes)?.map(Cow::Borrowed)),
        ImageFormat::Png => png_xmp(bytes),
        ImageFormat::Webp => Ok(webp_chunks(bytes)?
            .into_iter()
            .find(|chunk| &chunk.fourcc == b"XMP ")
            .map(|chunk| Cow::Borrowed(&bytes[chunk.data]))),
        ImageFormat::Gif => Ok(gif_xmp(bytes)?.map(Cow::Borrowed)),
    }
}

/// A JPEG marker segment before the image data: its marker code and where it lies, marker
/// included.
struct JpegSegment {
    code: u8,
    span: std::ops::Range<usize>,
    payload: std::ops::Range<usize>,
}

/// The marker segments from after SOI up to (not including) SOS, and the offset where SOS
/// starts. Metadata lives only in this header part (ITU-T T.81 Annex B; JFIF and Exif put their
/// APPn segments there too).
fn jpeg_header(bytes: &[u8]) -> Result<(Vec<JpegSegment>, usize), String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("the JPEG has no start marker".to_owned());
    }
    let mut segments = Vec::new();
    let mut at = 2;
    loop {
        // Decoders skip stray bytes between segments (some writers leave padding), so do we.
        at += bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
            .ok_or("the JPEG ends inside its header")?;
        let start = at;
        while bytes.get(at) == Some(&0xFF) {
            at += 1;
        }
        let code = *bytes.get(at).ok_or("the JPEG ends inside its header")?;
        at += 1;
        match code {
            // SOS or EOI: the header is over.
            0xDA | 0xD9 => return Ok((segments, start)),
            // TEM and RSTn stand alone, without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let length = bytes
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or("the JPEG ends inside its header")?;
        if length < 2 || at + length > bytes.len() {
            return Err("a JPEG segment runs past the end of the file".to_owned());
        }
        segments.push(JpegSegment {
            code,
            span: start..at + length,
            payload: at + 2..at + length,
        });
        at += length;
    }
}

fn is_jpeg_xmp(bytes: &[u8], segment: &JpegSegment) -> bool {
    segment.code == 0xE1 && bytes[segment.payload.clone()].starts_with(JPEG_XMP_SIGNATURE)
}

fn jpeg_xmp(bytes: &[u8]) -> Result<Option<&[u8]>, String> {
    let (segments, _) = jpeg_header(bytes)?;
    Ok(segments
        .iter()
        .find(|segment| is_jpeg_xmp(bytes, segment))
        .map(|segment| {
            &bytes[segment.payload.start + JPEG_XMP_SIGNATURE.len()..segment.payload.end]
        }))
}

fn png_xmp(bytes: &[u8]) -> Result<Option<Cow<'_, [u8]>>, String> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) {
        return Err("the PNG has no signature".to_owned());
    }
    let mut at = SIGNATURE.len();
    while let Some(header) = bytes.get(at..at + 8) {
        let length = u32::from_be_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let kind = &header[4..8];
        let data = bytes
            .get(at + 8..(at + 8).saturating_add(length))
            .ok_or("a PNG chunk runs past the end of the file")?;
        match kind {
            b"iTXt" => {
                if let Some(packet) = png_itxt_xmp(data)? {
                    return Ok(Some(packet));
                }
            }
            b"IEND" => return Ok(None),
            _ => {}
        }
        // Length, type, data, CRC.
        at = at + 12 + length;
    }
    Ok(None)
}

/// The text of an `iTXt` chunk if its keyword is the XMP one (PNG 3rd edition, 11.3.3.4: keyword,
/// NUL, compression flag, compression method, language tag, NUL, translated keyword, NUL, text).
fn png_itxt_xmp(data: &[u8]) -> Result<Option<Cow<'_, [u8]>>, String> {
    let malformed = || "the PNG's XMP text chunk is malformed".to_owned();
    let Some(keyword_end) = data.iter().position(|&b| b == 0) else {
        return Err(malformed());
    };
    if &data[..keyword_end] != PNG_XMP_KEYWORD {
        return Ok(None);
    }
    let compressed = *data.get(keyword_end + 1).ok_or_else(malformed)? != 0;
    let mut rest = data.get(keyword_end + 3..).ok_or_else(malformed)?;
    for _ in 0..2 {
        let end = rest.iter().position(|&b| b == 0).ok_or_else(malformed)?;
        rest = &rest[end + 1..];
    }
    if !compressed {
        return Ok(Some(Cow::Borrowed(rest)));
    }
    // The XMP specification asks for uncompressed text, but some tools compress it anyway.
    let mut inflated = Vec::new();
    flate2::read::ZlibDecoder::new(rest)
        .take(MAX_INFLATED_XMP + 1)
        .read_to_end(&mut inflated)
        .map_err(|_| "the PNG's compressed XMP does not decompress".to_owned())?;
    if inflated.len() as u64 > MAX_INFLATED_XMP {
        return Err("the PNG's compressed XMP is implausibly large".to_owned());
    }
    Ok(Some(Cow::Owned(inflated)))
}

/// One RIFF chunk of a WebP file.
struct RiffChunk {
    fourcc: [u8; 4],
    data: std::ops::Range<usize>,
}

/// The top-level chunks of a WebP file (RFC 9649, 2.4: a RIFF form of type `WEBP`; chunk
/// payloads are padded to an even length).
fn webp_chunks(bytes: &[u8]) -> Result<Vec<RiffChunk>, String> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WEBP" {
        return Err("the WebP has no RIFF header".to_owned());
    }
    let riff_size = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) as usize;
    // Encoders append nothing after the form, but a mismatch should not hide metadata: read up
    // to whichever ends first.
    let end = bytes.len().min(riff_size.saturating_add(8));
    let mut chunks = Vec::new();
    let mut at = 12;
    while at + 8 <= end {
        let fourcc = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]])
            as usize;
        let data = at + 8..(at + 8).saturating_add(size);
        if data.end > end {
            return Err("a WebP chunk runs past the end of the file".to_owned());
        }
        at = data.end + (size & 1);
        chunks.push(RiffChunk { fourcc, data });
    }
    Ok(chunks)
}

/// The XMP packet of a GIF: an application extension `XMP DataXMP` whose data is the raw packet
/// followed by a 258-byte "magic trailer" (0x01, 0xFF … 0x00, 0x00) that makes it parse as valid
/// sub-blocks for readers that do not know it (XMP Specification Part 3, 1.1.2).
fn gif_xmp(bytes: &[u8]) -> Result<Option<&[u8]>, String> {
    let truncated = || "the GIF ends before its trailer".to_owned();
    if !(bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a")) {
        return Err("the GIF has no header".to_owned());
    }
    let flags = *bytes.get(10).ok_or_else(truncated)?;
    let mut at = 13 + color_table_size(flags);
    loop {
        match *bytes.get(at).ok_or_else(truncated)? {
            0x21 => {
                let label = *bytes.get(at + 1).ok_or_else(truncated)?;
                at += 2;
                if label == 0xFF
                    && bytes.get(at) == Some(&11)
                    && bytes.get(at + 1..at + 12) == Some(GIF_XMP_APPLICATION)
                {
                    let start = at + 12;
                    let data = bytes.get(start..).ok_or_else(truncated)?;
                    let end = data
                        .windows(3)
                        .position(|w| w == [0x01, 0xFF, 0xFE])
                        .ok_or("the GIF's XMP has no trailer")?;
                    return Ok(Some(&data[..end]));
                }
                at = skip_sub_blocks(bytes, at).ok_or_else(truncated)?;
            }
            0x2C => {
                let flags = *bytes.get(at + 9).ok_or_else(truncated)?;
                // Descriptor, local colour table, LZW minimum code size, then the image data.
                at += 10 + color_table_size(flags) + 1;
                at = skip_sub_blocks(bytes, at).ok_or_else(truncated)?;
            }
            0x3B => return Ok(None),
            _ => return Err("the GIF has an unknown block".to_owned()),
        }
    }
}

fn color_table_size(flags: u8) -> usize {
    if flags & 0x80 == 0 {
        0
    } else {
        3 << ((flags & 0x07) + 1)
    }
}

/// Offset just past a chain of GIF data sub-blocks starting at `at`.
fn skip_sub_blocks(bytes: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let size = usize::from(*bytes.get(at)?);
        at += 1;
        if size == 0 {
            return Some(at);
        }
        at += size;
    }
}

/// The JPEG with `packet` as its XMP: placed right after SOI and any JFIF APP0, as the XMP
/// specification asks, replacing a packet that was there.
pub(crate) fn jpeg_with_xmp(bytes: &[u8], packet: &[u8]) -> Result<Vec<u8>, String> {
    let (segments, image_data) = jpeg_header(bytes)?;
    let payload_length = JPEG_XMP_SIGNATURE.len() + packet.len() + 2;
    let length = u16::try_from(payload_length)
        .map_err(|_| "the XMP packet is too large for one JPEG segment".to_owned())?;

    let mut out = Vec::with_capacity(bytes.len() + payload_length + 2);
    out.extend_from_slice(&bytes[..2]);
    let leading_app0 = segments
        .iter()
        .take_while(|segment| segment.code == 0xE0)
        .count();
    for segment in &segments[..leading_app0] {
        out.extend_from_slice(&bytes[segment.span.clone()]);
    }
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(JPEG_XMP_SIGNATURE);
    out.extend_from_slice(packet);
    for segment in &segments[leading_app0..] {
        if !is_jpeg_xmp(bytes, segment) {
            out.extend_from_slice(&bytes[segment.span.clone()]);
        }
    }
    out.extend_from_slice(&bytes[image_data..]);
    Ok(out)
}

/// The WebP with `packet` as its XMP. A simple (VP8 or VP8L) file becomes an extended one: a
/// VP8X chunk with the canvas size and the XMP flag (plus the alpha flag a VP8L bitstream
/// declares), then the image, then the `XMP ` chunk last, as RFC 9649, 2.7 orders them.
pub(crate) fn webp_with_xmp(bytes: &[u8], packet: &[u8]) -> Result<Vec<u8>, String> {
    let chunks = webp_chunks(bytes)?;
    let first = chunks.first().ok_or("the WebP has no image chunk")?;
    let vp8x = match &first.fourcc {
        b"VP8X" => {
            let mut header = bytes[first.data.clone()].to_vec();
            let flags = header.first_mut().ok_or("the WebP's VP8X chunk is empty")?;
            *flags |= VP8X_XMP;
            header
        }
        b"VP8 " | b"VP8L" => {
            let (width, height, alpha) =
                simple_webp_canvas(&first.fourcc, &bytes[first.data.clone()])?;
            let mut header = vec![VP8X_XMP | if alpha { VP8X_ALPHA } else { 0 }, 0, 0, 0];
            header.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
            header.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
            header
        }
        _ => return Err("the WebP does not start with an image chunk".to_owned()),
    };

    let mut body = Vec::with_capacity(bytes.len() + packet.len() + 32);
    push_riff_chunk(&mut body, b"VP8X", &vp8x)?;
    for chunk in &chunks {
        if &chunk.fourcc != b"VP8X" && &chunk.fourcc != b"XMP " {
            push_riff_chunk(&mut body, &chunk.fourcc, &bytes[chunk.data.clone()])?;
        }
    }
    push_riff_chunk(&mut body, b"XMP ", packet)?;

    let form_size =
        u32::try_from(body.len() + 4).map_err(|_| "the WebP is too large".to_owned())?;
    let mut out = Vec::with_capacity(body.len() + 12);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&form_size.to_le_bytes());
    out.extend_from_slice(b"WEBP");
    out.extend_from_slice(&body);
    Ok(out)
}

fn push_riff_chunk(out: &mut Vec<u8>, fourcc: &[u8; 4], data: &[u8]) -> Result<(), String> {
    let size = u32::try_from(data.len()).map_err(|_| "a WebP chunk is too large".to_owned())?;
    out.extend_from_slice(fourcc);
    out.extend_from_slice(&size.to_le_bytes());
    out.extend_from_slice(data);
    if data.len() % 2 == 1 {
        out.push(0);
    }
    Ok(())
}

/// Canvas width, height and whether alpha is used, from a simple WebP's bitstream header:
/// VP8 (RFC 6386, 9.1: frame tag, start code 9D 01 2A, 14-bit sizes) or VP8L (RFC 9649, 3.2:
/// signature 0x2F, then 14-bit width − 1, 14-bit height − 1, one alpha bit).
fn simple_webp_canvas(fourcc: &[u8; 4], data: &[u8]) -> Result<(u32, u32, bool), String> {
    if fourcc == b"VP8 " {
        if data.len() < 10 || data[3..6] != [0x9D, 0x01, 0x2A] {
            return Err("the WebP's VP8 header is malformed".to_owned());
        }
        let width = u32::from(u16::from_le_bytes([data[6], data[7]]) & 0x3FFF);
        let height = u32::from(u16::from_le_bytes([data[8], data[9]]) & 0x3FFF);
        if width == 0 || height == 0 {
            return Err("the WebP's VP8 header has no size".to_owned());
        }
        Ok((width, height, false))
    } else {
        if data.len() < 5 || data[0] != 0x2F {
            return Err("the WebP's VP8L header is malformed".to_owned());
        }
        let bits = u32::from_le_bytes([data[1], data[2], data[3], data[4]]);
        let width = (bits & 0x3FFF) + 1;
        let height = ((bits >> 14) & 0x3FFF) + 1;
        let alpha = (bits >> 28) & 1 == 1;
        Ok((width, height, alpha))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_container_is_an_error_never_a_panic() {
        let cases: &[(&[u8], ImageFormat)] = &[
            (b"\xFF\xD8\xFF\xE1\xFF\xFF", ImageFormat::Jpeg),
            (b"\xFF\xD8\xFF", ImageFormat::Jpeg),
            (b"\xFF\xD8\x00", ImageFormat::Jpeg),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x10\x00iTXt", ImageFormat::Png),
            (
                b"\x89PNG\r\n\x1a\n\x00\x00\x00\x05iTXtXML:c\x00\x00\x00\x00",
                ImageFormat::Png,
            ),
            (
                b"RIFF\xFF\xFF\xFF\xFFWEBPXMP \xFF\x00\x00\x00ab",
                ImageFormat::Webp,
            ),
            (b"RIFF", ImageFormat::Webp),
            (b"GIF89a\x01\x00\x01\x00\xF7", ImageFormat::Gif),
            (
                b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x21\xFF\x0BXMP DataXMP<x/>",
                ImageFormat::Gif,
            ),
        ];
        for (bytes, format) in cases {
            assert!(find_xmp(bytes, *format).is_err(), "{format:?} {bytes:?}");
        }
    }

    #[test]
    fn a_gif_packet_ends_at_the_magic_trailer() {
        let mut gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
        // A comment extension before the XMP one is skipped as sub-blocks.
        gif.extend_from_slice(b"\x21\xFE\x03abc\x00");
        gif.extend_from_slice(b"\x21\xFF\x0BXMP DataXMP<packet/>");
        gif.push(0x01);
        gif.extend((0x00..=0xFF).rev());
        gif.push(0x00);
        gif.push(0x3B);
        let packet = find_xmp(&gif, ImageFormat::Gif).expect("walks");
        assert_eq!(packet.as_deref(), Some(&b"<packet/>"[..]));
    }

    #[test]
    fn vp8l_canvas_and_alpha_come_from_the_bitstream_header() {
        // width 300, height 200, alpha used: (299) | (199 << 14) | (1 << 28)
        let bits: u32 = 299 | (199 << 14) | (1 << 28);
        let mut data = vec![0x2F];
        data.extend_from_slice(&bits.to_le_bytes());
        assert_eq!(simple_webp_canvas(b"VP8L", &data), Ok((300, 200, true)));
    }
}
