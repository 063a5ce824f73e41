//! The CPU side of ingesting a picture: identify, check, decode, resize, encode. No IO here; the
//! store decides what to write. Everything runs on the blocking pool.

use std::io::{Cursor, ErrorKind};

use bytes::Bytes;
use dateline_provenance::{ImageFormat as MetadataFormat, Provenance, embed_source_type};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits, RgbImage};
use sha2::{Digest, Sha256};

use crate::{ImageLimits, ImageVariant, MediaError, StoredImage, VARIANT_WIDTHS, VariantFormat};

/// JPEG quality: 80–85 is where libjpeg-family encoders stop showing artefacts in photographs
/// at normal viewing size, and files are still about a tenth of the raw size.
const JPEG_QUALITY: u8 = 82;
/// libwebp quality: about 75–80 matches JPEG at 82–85 visually while saving roughly a quarter to
/// a third of the bytes.
const WEBP_QUALITY: f32 = 78.0;
/// libwebp effort (0 fastest … 6 smallest): 4 is cwebp's default balance.
const WEBP_METHOD: i32 = 4;

/// The formats an upload may be in, identified from its first bytes, never from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceFormat {
    Jpeg,
    Png,
    Webp,
    Gif,
}

impl SourceFormat {
    fn from_image_format(format: ImageFormat) -> Option<Self> {
        match format {
            ImageFormat::Jpeg => Some(SourceFormat::Jpeg),
            ImageFormat::Png => Some(SourceFormat::Png),
            ImageFormat::WebP => Some(SourceFormat::Webp),
            ImageFormat::Gif => Some(SourceFormat::Gif),
            _ => None,
        }
    }

    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::Webp => ImageFormat::WebP,
            SourceFormat::Gif => ImageFormat::Gif,
        }
    }

    fn metadata_format(self) -> MetadataFormat {
        match self {
            SourceFormat::Jpeg => MetadataFormat::Jpeg,
            SourceFormat::Png => MetadataFormat::Png,
            SourceFormat::Webp => MetadataFormat::Webp,
            SourceFormat::Gif => MetadataFormat::Gif,
        }
    }

    fn mime(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "image/jpeg",
            SourceFormat::Png => "image/png",
            SourceFormat::Webp => "image/webp",
            SourceFormat::Gif => "image/gif",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpg",
            SourceFormat::Png => "png",
            SourceFormat::Webp => "webp",
            SourceFormat::Gif => "gif",
        }
    }
}

/// Everything known about an upload before its pixels are decoded.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    format: SourceFormat,
    orientation: Orientation,
    pub(crate) original_key: String,
    /// Displayed size, orientation applied.
    width: u32,
    height: u32,
    /// Keys and sizes to produce; `bytes` is filled in once encoded or found in the store.
    pub(crate) variants: Vec<ImageVariant>,
    /// What the original's own metadata declares about how it was made.
    pub(crate) provenance: Provenance,
}

impl Plan {
    pub(crate) fn stored(&self, variants: Vec<ImageVariant>) -> StoredImage {
        StoredImage {
            original_key: self.original_key.clone(),
            original_mime: self.format.mime(),
            width: self.width,
            height: self.height,
            variants,
        }
    }
}

/// Identifies the upload, checks it against `limits` from its header alone, and decides keys and
/// variant sizes.
pub(crate) fn plan(original: &[u8], limits: &ImageLimits) -> Result<Plan, MediaError> {
    if original.len() > limits.max_bytes {
        return Err(MediaError::TooLarge {
            bytes: original.len(),
            max: limits.max_bytes,
        });
    }
    let format = identify(original)?;
    // Dimensions are left open here so an oversized picture gets a message with its real size;
    // the allocation cap still bounds what header parsing may allocate (PNG text and ICC chunks
    // are compressed and could otherwise inflate).
    let mut decoder = decoder(original, format, header_limits(limits))?;
    let (stored_width, stored_height) = decoder.dimensions();
    if stored_width == 0 || stored_height == 0 {
        return Err(MediaError::Broken("the picture has no pixels".into()));
    }
    if stored_width.max(stored_height) > limits.max_dimension {
        return Err(MediaError::TooWide {
            width: stored_width,
            height: stored_height,
            max: limits.max_dimension,
        });
    }
    if u64::from(stored_width) * u64::from(stored_height) > limits.max_pixels {
        return Err(MediaError::TooManyPixels {
            width: stored_width,
            height: stored_height,
            max_pixels: limits.max_pixels,
        });
    }
    if format == SourceFormat::Jpeg {
        check_jpeg_complete(original)?;
    }
    // A damaged EXIF block should not cost the upload; the picture is then shown as stored.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (width, height) = if swaps_sides(orientation) {
        (stored_height, stored_width)
    } else {
        (stored_width, stored_height)
    };

    let hash = hex::encode(Sha256::digest(original));
    let folder = format!("images/{}/{hash}", &hash[..2]);
    let variants = variant_sizes(width, height)
        .into_iter()
        .flat_map(|(w, h)| {
            [VariantFormat::Jpeg, VariantFormat::Webp].map(|format| ImageVariant {
                key: format!("{folder}/w{w}.{}", format.extension()),
                format,
                width: w,
                height: h,
                bytes: 0,
            })
        })
        .collect();
    // Only once the file has passed every check: the C2PA reader hashes the whole upload.
    let provenance = dateline_provenance::read_provenance(original, format.metadata_format());
    Ok(Plan {
        format,
        orientation,
        original_key: format!("{folder}/original.{}", format.extension()),
        width,
        height,
        variants,
        provenance,
    })
}

/// Decodes the upload and produces every planned variant with its encoded bytes.
pub(crate) fn encode_variants(
    original: &[u8],
    plan: &Plan,
) -> Result<Vec<(ImageVariant, Bytes)>, MediaError> {
    let decoder = decoder(original, plan.format, decode_limits(plan))?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(read_error)?;
    picture.apply_orientation(plan.orientation);
    let picture = flatten_on_white(picture);
    if picture.dimensions() != (plan.width, plan.height) {
        return Err(MediaError::Broken(
            "the picture's size differs from what its header says".into(),
        ));
    }

    let mut resizer = Resizer::new();
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    let mut out = Vec::with_capacity(plan.variants.len());
    for pair in plan.variants.chunks(2) {
        let Some(first) = pair.first() else { continue };
        let resized;
        let source = if first.width == picture.width() {
            &picture
        } else {
            let mut target = RgbImage::new(first.width, first.height);
            resizer
                .resize(&picture, &mut target, &options)
                .map_err(|error| MediaError::Processing(format!("resizing: {error}")))?;
            resized = target;
            &resized
        };
        for variant in pair {
            let bytes = match variant.format {
                VariantFormat::Jpeg => encode_jpeg(source)?,
                VariantFormat::Webp => encode_webp(source)?,
            };
            let bytes = with_source_type(bytes, variant.format, &plan.provenance)?;
            out.push((
                ImageVariant {
                    bytes: bytes.len() as u64,
                    ..variant.clone()
                },
                bytes,
            ));
        }
    }
    Ok(out)
}

/// Sizes of the variants for a picture of `width` × `height`: every standard width that does not
/// upscale, or the picture's own width when it is narrower than all of them.
fn variant_sizes(width: u32, height: u32) -> Vec<(u32, u32)> {
    let mut widths: Vec<u32> = VARIANT_WIDTHS
        .iter()
        .copied()
        .filter(|&w| w <= width)
        .collect();
    if widths.is_empty() {
        widths.push(width);
    }
    widths
        .into_iter()
        .map(|w| {
            let scaled =
                (u64::from(height) * u64::from(w) + u64::from(width) / 2) / u64::from(width);
            (w, u32::try_from(scaled).unwrap_or(u32::MAX).max(1))
        })
        .collect()
}

fn identify(original: &[u8]) -> Result<SourceFormat, MediaError> {
    image::guess_format(original)
        .ok()
        .and_then(SourceFormat::from_image_format)
        .ok_or(MediaError::UnsupportedFormat)
}

fn decoder(
    original: &[u8],
    format: SourceFormat,
    limits: Limits,
) -> Result<impl ImageDecoder + '_, MediaError> {
    let mut reader = ImageReader::with_format(Cursor::new(original), format.image_format());
    reader.limits(limits);
    reader.into_decoder().map_err(read_error)
}

/// Limits for reading headers: no size cap (checked by hand for a clear message), but a cap on
/// allocations worth a maximal picture at 16-bit RGBA.
fn header_limits(limits: &ImageLimits) -> Limits {
    let mut image_limits = Limits::default();
    image_limits.max_image_width = None;
    image_limits.max_image_height = None;
    image_limits.max_alloc = Some(decode_budget(limits.max_pixels));
    image_limits
}

/// Limits for decoding a planned picture: exactly its stored size, and no more memory than that
/// size needs at 16-bit RGBA, so the decoder cannot be talked into more than the check allowed.
fn decode_limits(plan: &Plan) -> Limits {
    let (stored_width, stored_height) = if swaps_sides(plan.orientation) {
        (plan.height, plan.width)
    } else {
        (plan.width, plan.height)
    };
    let mut limits = Limits::default();
    limits.max_image_width = Some(stored_width);
    limits.max_image_height = Some(stored_height);
    limits.max_alloc = Some(decode_budget(
        u64::from(stored_width) * u64::from(stored_height),
    ));
    limits
}

/// Bytes a decoder may hold for `pixels`: 8 bytes a pixel (16-bit RGBA, the widest layout our
/// formats decode to) plus room for tables and line buffers.
fn decode_budget(pixels: u64) -> u64 {
    pixels.saturating_mul(8).saturating_add(16 * 1024 * 1024)
}

fn swaps_sides(orientation: Orientation) -> bool {
    matches!(
        orientation,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn read_error(error: ImageError) -> MediaError {
    match error {
        ImageError::Unsupported(_) => MediaError::UnsupportedFormat,
        ImageError::Limits(limit) => MediaError::Broken(format!(
            "it needs more memory to open than allowed: {limit}"
        )),
        ImageError::IoError(io) if io.kind() == ErrorKind::UnexpectedEof => {
            MediaError::Broken("the file ends before the picture does".into())
        }
        other => MediaError::Broken(other.to_string()),
    }
}

/// JPEG and WebP variants have no alpha channel worth serving, and a news page is light:
/// transparent areas are composed onto white (sRGB values, as browsers composite). 16-bit and
/// grey pictures become 8-bit RGB on the way.
fn flatten_on_white(picture: DynamicImage) -> RgbImage {
    if !picture.color().has_alpha() {
        return picture.into_rgb8();
    }
    let rgba = picture.into_rgba8();
    let mut flat = RgbImage::new(rgba.width(), rgba.height());
    for (from, to) in rgba.pixels().zip(flat.pixels_mut()) {
        let alpha = u32::from(from[3]);
        for channel in 0..3 {
            let value = (u32::from(from[channel]) * alpha + 255 * (255 - alpha) + 127) / 255;
            to[channel] = u8::try_from(value).unwrap_or(u8::MAX);
        }
    }
    flat
}

fn encode_jpeg(picture: &RgbImage) -> Result<Bytes, MediaError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(picture)
        .map_err(|error| MediaError::Processing(format!("JPEG encoding: {error}")))?;
    Ok(Bytes::from(out))
}

fn encode_webp(picture: &RgbImage) -> Result<Bytes, MediaError> {
    let mut config = webp::WebPConfig::new()
        .map_err(|()| MediaError::Processing("libwebp refused its default settings".into()))?;
    config.lossless = 0;
    config.quality = WEBP_QUALITY;
    config.method = WEBP_METHOD;
    let encoded = webp::Encoder::from_rgb(picture.as_raw(), picture.width(), picture.height())
        .encode_advanced(&config)
        .map_err(|error| MediaError::Processing(format!("WebP encoding: {error:?}")))?;
    Ok(Bytes::copy_from_slice(&encoded))
}

/// Re-encoding drops all metadata, which is what public variants want (no GPS, no camera serial
/// numbers), except the digital source type: a picture saved from the site must still say it was
/// AI-generated. So the original's term, if it declared an IPTC one, goes back in as XMP. A
/// C2PA manifest cannot follow: its signature covers the original's bytes only.
fn with_source_type(
    encoded: Bytes,
    format: VariantFormat,
    provenance: &Provenance,
) -> Result<Bytes, MediaError> {
    let Some(source_type) = provenance.source_type else {
        return Ok(encoded);
    };
    let format = match format {
        VariantFormat::Jpeg => MetadataFormat::Jpeg,
        VariantFormat::Webp => MetadataFormat::Webp,
    };
    embed_source_type(&encoded, format, source_type)
        .map(Bytes::from)
        .map_err(|error| MediaError::Processing(format!("writing the source type: {error}")))
}

/// Refuses a JPEG that stops before its End Of Image marker, typically an upload cut off in
/// transit. The decoder would otherwise fill the missing rows with grey and publish that.
///
/// Walks the marker segments as laid out in ITU-T T.81 Annex B: after SOI, each marker is 0xFF
/// then a code; all but SOI, EOI, TEM and RSTn carry a two-byte length; after SOS comes
/// entropy-coded data, where 0xFF is only ever followed by a stuffed 0x00 or a RSTn marker, so
/// the next real marker is found by scanning. Bytes after EOI (some cameras append data) are
/// allowed.
fn check_jpeg_complete(data: &[u8]) -> Result<(), MediaError> {
    let incomplete = || MediaError::Broken("the file ends before the picture does".into());
    if !data.starts_with(&[0xFF, 0xD8]) {
        return Err(MediaError::Broken("it has no JPEG start marker".into()));
    }
    let mut at = 2;
    loop {
        // Tolerate stray bytes between segments as decoders do: resynchronise on the next 0xFF.
        at += data
            .get(at..)
            .and_then(|rest| rest.iter().position(|&b| b == 0xFF))
            .ok_or_else(incomplete)?;
        // Any number of 0xFF fill bytes may precede a marker code (T.81 B.1.1.2).
        while data.get(at) == Some(&0xFF) {
            at += 1;
        }
        let code = *data.get(at).ok_or_else(incomplete)?;
        at += 1;
        match code {
            0xD9 => return Ok(()),
            0x01 | 0xD0..=0xD7 | 0x00 => continue,
            _ => {
                let length = data.get(at..at + 2).ok_or_else(incomplete)?;
                let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
                if length < 2 {
                    return Err(MediaError::Broken("a JPEG segment has a bad length".into()));
                }
                at += length;
                if at > data.len() {
                    return Err(incomplete());
                }
                if code == 0xDA {
                    at = end_of_entropy_data(data, at).ok_or_else(incomplete)?;
                }
            }
        }
    }
}

/// Position of the 0xFF that starts the first marker after entropy-coded data beginning at
/// `from`, or `None` if the data runs to the end of the file.
fn end_of_entropy_data(data: &[u8], mut from: usize) -> Option<usize> {
    loop {
        let ff = from + data.get(from..)?.iter().position(|&b| b == 0xFF)?;
        match *data.get(ff + 1)? {
            // Stuffed zero, restart marker, or a fill byte before a marker: keep scanning.
            0x00 | 0xD0..=0xD7 | 0xFF => from = ff + 1,
            _ => return Some(ff),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_sizes_never_upscale_and_keep_the_aspect_ratio() {
        assert_eq!(
            variant_sizes(4000, 3000),
            [(480, 360), (960, 720), (1600, 1200)]
        );
        assert_eq!(variant_sizes(1000, 500), [(480, 240), (960, 480)]);
        assert_eq!(variant_sizes(960, 540), [(480, 270), (960, 540)]);
        assert_eq!(variant_sizes(300, 200), [(300, 200)]);
        assert_eq!(variant_sizes(480, 1), [(480, 1)]);
        // A thin strip still gets at least one row.
        assert_eq!(variant_sizes(5000, 2), [(480, 1), (960, 1), (1600, 1)]);
    }

    #[test]
    fn flattening_puts_transparency_on_white() {
        let mut rgba = image::RgbaImage::new(3, 1);
        rgba.put_pixel(0, 0, image::Rgba([0, 0, 0, 0]));
        rgba.put_pixel(1, 0, image::Rgba([0, 0, 0, 255]));
        rgba.put_pixel(2, 0, image::Rgba([255, 0, 0, 128]));
        let flat = flatten_on_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(flat.get_pixel(0, 0).0, [255, 255, 255]);
        assert_eq!(flat.get_pixel(1, 0).0, [0, 0, 0]);
        assert_eq!(flat.get_pixel(2, 0).0, [255, 127, 127]);
    }

    #[test]
    fn flattening_widens_grey_and_narrows_16_bit() {
        let grey = image::GrayImage::from_pixel(2, 2, image::Luma([40]));
        assert_eq!(
            flatten_on_white(DynamicImage::ImageLuma8(grey))
                .get_pixel(1, 1)
                .0,
            [40, 40, 40]
        );
        let deep = image::ImageBuffer::from_pixel(1, 1, image::Rgb([65535u16, 0, 32896]));
        assert_eq!(
            flatten_on_white(DynamicImage::ImageRgb16(deep))
                .get_pixel(0, 0)
                .0,
            [255, 0, 128]
        );
    }

    #[test]
    fn jpeg_walk_finds_the_end_marker_past_stuffing_and_restarts() {
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend([0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB]); // APP0, 2 bytes of payload
        jpeg.extend([0xFF, 0xDA, 0x00, 0x02]); // SOS with an empty header
        jpeg.extend([0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF]); // entropy data
        jpeg.extend([0xD9]); // EOI after a fill byte
        assert!(check_jpeg_complete(&jpeg).is_ok());
        let complete = jpeg.len();
        jpeg.extend(b"trailing camera data");
        assert!(check_jpeg_complete(&jpeg).is_ok());

        for cut in 2..complete {
            assert!(
                matches!(
                    check_jpeg_complete(&jpeg[..cut]),
                    Err(MediaError::Broken(_))
                ),
                "cut at {cut}"
            );
        }
        assert!(check_jpeg_complete(b"\x89PNG").is_err());
    }

    #[test]
    fn a_segment_length_past_the_end_is_incomplete() {
        let jpeg = [0xFF, 0xD8, 0xFF, 0xE1, 0x40, 0x00, 0x00];
        assert!(matches!(
            check_jpeg_complete(&jpeg),
            Err(MediaError::Broken(_))
        ));
    }
}
