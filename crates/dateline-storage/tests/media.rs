//! Media storage through its public API, on a real folder and a real S3 server (SeaweedFS):
//! what is stored, under which keys, what the variants decode to, and what is refused with which
//! message. Each test runs on both (`local::NAME`, `s3::NAME`).

// The workspace denies `unwrap` outside tests; `allow-unwrap-in-tests` only covers `#[test]`
// functions, and these tests are plain `async fn`s that `both_stores!` wraps.
#![allow(clippy::unwrap_used)]

#[path = "media/s3_bucket.rs"]
mod s3_bucket;
#[path = "media/transfer.rs"]
mod transfer;

use std::io::Cursor;
use std::path::Path;

use bytes::Bytes;
use dateline_storage::testing::TestMedia;
use dateline_storage::{
    DigitalSourceType, ImageLimits, MediaError, MediaStore, Origin, Provenance, StoredImage,
    VARIANT_WIDTHS, VariantFormat,
};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use sha2::{Digest, Sha256};

dateline_storage::both_stores!(
    put_and_get_round_trip_and_missing_is_none,
    keys_cannot_leave_the_store,
    a_photo_gets_every_variant_that_does_not_upscale,
    ingesting_the_same_bytes_twice_changes_nothing,
    a_small_picture_gets_one_variant_at_its_own_width,
    transparency_is_flattened_on_white,
    grey_16_bit_webp_and_gif_inputs_are_accepted,
    exif_orientation_is_applied_to_size_and_variants,
    a_header_promising_too_many_pixels_is_refused_before_decoding,
    a_header_promising_an_enormous_side_is_refused,
    limits_are_the_callers,
    an_oversized_file_is_refused_by_its_byte_count,
    truncated_files_are_refused_as_broken,
    other_formats_are_refused_as_unsupported,
    keys_are_safe_url_paths,
    xmp_source_type_is_reported_and_every_variant_keeps_it,
    a_png_without_metadata_declares_nothing_and_its_variants_carry_nothing,
    metadata_does_not_rescue_a_truncated_file_or_a_bomb,
    unreadable_metadata_is_a_warning_not_a_refusal,
    a_streamed_upload_appears_whole_when_finished_and_never_in_part,
);

/// Tip attachments are streamed in parts (`MediaStore::start_upload`): on S3 that is a multipart
/// upload, which must not show a single byte until it is finished, and nothing at all when given
/// up or dropped.
async fn a_streamed_upload_appears_whole_when_finished_and_never_in_part(store: TestMedia) {
    let piece = Bytes::from(vec![7u8; 999_983]);
    let mut upload = store.start_upload("tips/9/a.age").await.unwrap();
    for _ in 0..12 {
        upload.write(piece.clone()).await.unwrap();
    }
    assert_eq!(
        store.get("tips/9/a.age").await.unwrap(),
        None,
        "not before finish"
    );
    assert_eq!(upload.finish().await.unwrap(), 12 * 999_983);
    let stored = store.get("tips/9/a.age").await.unwrap().unwrap();
    assert_eq!(stored.len(), 12 * 999_983);
    assert!(stored.iter().all(|b| *b == 7));

    let mut aborted = store.start_upload("tips/9/b.age").await.unwrap();
    aborted.write(piece.clone()).await.unwrap();
    aborted.write(piece.clone()).await.unwrap();
    aborted.abort().await.unwrap();
    let mut dropped = store.start_upload("tips/9/c.age").await.unwrap();
    for _ in 0..6 {
        dropped.write(piece.clone()).await.unwrap();
    }
    drop(dropped);
    assert_eq!(store.get("tips/9/b.age").await.unwrap(), None);
    assert_eq!(store.get("tips/9/c.age").await.unwrap(), None);
    assert_eq!(store.keys().await, vec!["tips/9/a.age".to_owned()]);
    let swept = store.keys_modified_before("tips/", i64::MAX).await.unwrap();
    assert_eq!(swept, vec!["tips/9/a.age".to_owned()]);
}

/// A picture with structure at every scale, so resizing and compression have real work to do.
fn scene(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let stripe = if (x / 7 + y / 11) % 2 == 0 { 40 } else { 0 };
        Rgb([
            (x * 255 / width) as u8,
            (y * 255 / height) as u8,
            (120 + stripe) as u8,
        ])
    })
}

fn encode(picture: &DynamicImage, format: ImageFormat) -> Bytes {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, format)
        .expect("test picture encodes");
    Bytes::from(out.into_inner())
}

fn jpeg(width: u32, height: u32) -> Bytes {
    encode(
        &DynamicImage::ImageRgb8(scene(width, height)),
        ImageFormat::Jpeg,
    )
}

/// CRC-32 as PNG chunks use it (ISO 3309 / ITU-T V.42, reflected, polynomial 0xEDB88320).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A real, valid 1×1 PNG whose IHDR then claims `width` × `height`, with a correct CRC, so the
/// only thing wrong with it is the promise of an enormous picture.
fn png_claiming(width: u32, height: u32) -> Bytes {
    let tiny = DynamicImage::ImageRgb8(RgbImage::new(1, 1));
    let mut png = encode(&tiny, ImageFormat::Png).to_vec();
    // Signature (8), length (4), "IHDR" (4), then width and height.
    assert_eq!(&png[12..16], b"IHDR");
    png[16..20].copy_from_slice(&width.to_be_bytes());
    png[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&png[12..29]);
    png[29..33].copy_from_slice(&crc.to_be_bytes());
    Bytes::from(png)
}

/// A valid one-pixel GIF whose logical screen claims `width` × `height` (GIF89a, section 18).
fn gif_claiming(width: u16, height: u16) -> Bytes {
    let mut gif = b"GIF89a".to_vec();
    gif.extend(width.to_le_bytes());
    gif.extend(height.to_le_bytes());
    gif.extend([0x80, 0, 0]); // two-colour global palette, background 0, square pixels
    gif.extend([0, 0, 0, 255, 255, 255]); // the palette: black, white
    gif.extend([0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]); // a 1×1 frame at the origin
    gif.extend([0x02, 0x02, 0x44, 0x01, 0x00]); // LZW: clear, pixel 0, end; then block end
    gif.push(0x3B); // trailer
    Bytes::from(gif)
}

/// Inserts an EXIF APP1 segment carrying only an Orientation tag right after the JPEG's SOI.
fn with_exif_orientation(jpeg: &[u8], orientation: u16) -> Bytes {
    let mut tiff = b"MM\0\x2A\0\0\0\x08".to_vec(); // big-endian TIFF header, IFD at offset 8
    tiff.extend(1u16.to_be_bytes()); // one entry
    tiff.extend(0x0112u16.to_be_bytes()); // Orientation
    tiff.extend(3u16.to_be_bytes()); // SHORT
    tiff.extend(1u32.to_be_bytes()); // one value
    tiff.extend(orientation.to_be_bytes());
    tiff.extend([0, 0]); // value padded to four bytes
    tiff.extend(0u32.to_be_bytes()); // no next IFD
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(
        u16::try_from(app1.len() + 2)
            .expect("short segment")
            .to_be_bytes(),
    );
    out.extend(app1);
    out.extend(&jpeg[2..]);
    Bytes::from(out)
}

async fn ingest(store: &MediaStore, bytes: Bytes) -> Result<StoredImage, MediaError> {
    store.ingest_image(bytes, &ImageLimits::default()).await
}

async fn decode_variant(store: &MediaStore, key: &str, format: VariantFormat) -> DynamicImage {
    let bytes = store
        .get(key)
        .await
        .expect("store readable")
        .expect("variant stored");
    let format = match format {
        VariantFormat::Jpeg => ImageFormat::Jpeg,
        VariantFormat::Webp => ImageFormat::WebP,
    };
    image::load_from_memory_with_format(&bytes, format).expect("variant decodes")
}

async fn put_and_get_round_trip_and_missing_is_none(store: TestMedia) {
    store
        .put("audio/ab/episode.mp3", Bytes::from_static(b"ID3 tag"))
        .await
        .unwrap();
    assert_eq!(
        store.get("audio/ab/episode.mp3").await.unwrap().as_deref(),
        Some(&b"ID3 tag"[..])
    );
    store
        .put("audio/ab/episode.mp3", Bytes::from_static(b"replaced"))
        .await
        .unwrap();
    assert_eq!(
        store.get("audio/ab/episode.mp3").await.unwrap().as_deref(),
        Some(&b"replaced"[..])
    );
    assert_eq!(store.get("audio/ab/nothing.mp3").await.unwrap(), None);
    assert_eq!(store.get("never-written").await.unwrap(), None);
}

async fn keys_cannot_leave_the_store(store: TestMedia) {
    for key in ["../outside", "a/../../b", "/etc/passwd", "a//b", ""] {
        let put = store.put(key, Bytes::from_static(b"x")).await;
        assert!(matches!(put, Err(MediaError::InvalidKey(_))), "{key}");
        assert!(matches!(
            store.get(key).await,
            Err(MediaError::InvalidKey(_))
        ));
    }
    if let Some(folder) = store.folder() {
        assert!(!folder.parent().unwrap().join("outside").exists());
    }
    assert!(store.keys().await.is_empty(), "nothing stored");
}

#[tokio::test]
async fn local_creates_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("data").join("media");
    let store = MediaStore::local(&root).unwrap();
    store.put("k", Bytes::from_static(b"v")).await.unwrap();
    assert!(root.join("k").is_file());
}

async fn a_photo_gets_every_variant_that_does_not_upscale(store: TestMedia) {
    let original = jpeg(2000, 1125);
    let stored = ingest(&store, original.clone()).await.unwrap();

    let hash = hex::encode(Sha256::digest(&original));
    let folder = format!("images/{}/{hash}", &hash[..2]);
    assert_eq!(stored.original_key, format!("{folder}/original.jpg"));
    assert_eq!(stored.original_mime, "image/jpeg");
    assert_eq!((stored.width, stored.height), (2000, 1125));
    assert_eq!(
        store.get(&stored.original_key).await.unwrap(),
        Some(original),
        "the original is kept byte for byte"
    );

    let expected: Vec<(String, VariantFormat, u32, u32)> = [(480, 270), (960, 540), (1600, 900)]
        .into_iter()
        .flat_map(|(w, h)| {
            [
                (format!("{folder}/w{w}.jpg"), VariantFormat::Jpeg, w, h),
                (format!("{folder}/w{w}.webp"), VariantFormat::Webp, w, h),
            ]
        })
        .collect();
    let actual: Vec<(String, VariantFormat, u32, u32)> = stored
        .variants
        .iter()
        .map(|v| (v.key.clone(), v.format, v.width, v.height))
        .collect();
    assert_eq!(actual, expected);

    for variant in &stored.variants {
        let stored = store.get(&variant.key).await.unwrap().unwrap();
        assert_eq!(stored.len() as u64, variant.bytes);
        let picture = decode_variant(&store, &variant.key, variant.format).await;
        assert_eq!(
            (picture.width(), picture.height()),
            (variant.width, variant.height)
        );
        // Resized, not cropped or blanked: the left-to-right red ramp survives.
        let rgb = picture.to_rgb8();
        let row = variant.height / 2;
        let left = rgb.get_pixel(2, row)[0];
        let right = rgb.get_pixel(variant.width - 3, row)[0];
        assert!(left < 20 && right > 235, "{}: {left}..{right}", variant.key);
    }
    // WebP earns its place by being smaller than the JPEG at the same size.
    for pair in stored.variants.chunks(2) {
        assert!(pair[1].bytes < pair[0].bytes, "{pair:?}");
    }
}

async fn ingesting_the_same_bytes_twice_changes_nothing(store: TestMedia) {
    let original = jpeg(1000, 700);
    let first = ingest(&store, original.clone()).await.unwrap();
    // Mark every stored object: a second ingest that wrote anything would overwrite a mark.
    let mut keys: Vec<&String> = first.variants.iter().map(|v| &v.key).collect();
    keys.push(&first.original_key);
    for key in &keys {
        store
            .put(key, Bytes::from(format!("mark {key}")))
            .await
            .unwrap();
    }
    let second = ingest(&store, original.clone()).await.unwrap();
    assert_eq!(second.original_key, first.original_key);
    for key in &keys {
        assert_eq!(
            store.get(key).await.unwrap().unwrap(),
            format!("mark {key}").as_bytes(),
            "{key} was rewritten"
        );
    }

    // A missing variant (say, a crash halfway) is produced again on the next ingest.
    for key in &keys {
        store.delete(key).await.unwrap();
    }
    let again = ingest(&store, original.clone()).await.unwrap();
    assert_eq!(first, again);
    let missing = &first.variants[1];
    store.delete(&missing.key).await.unwrap();
    assert_eq!(store.get(&missing.key).await.unwrap(), None);
    let third = ingest(&store, original).await.unwrap();
    assert_eq!(first, third);
    let restored = decode_variant(&store, &missing.key, missing.format).await;
    assert_eq!(restored.width(), missing.width);

    // Different bytes, different keys.
    let other = ingest(&store, jpeg(1000, 701)).await.unwrap();
    assert_ne!(other.original_key, first.original_key);
}

async fn a_small_picture_gets_one_variant_at_its_own_width(store: TestMedia) {
    let stored = ingest(&store, jpeg(300, 200)).await.unwrap();
    assert!(300 < VARIANT_WIDTHS[0]);
    let sizes: Vec<_> = stored
        .variants
        .iter()
        .map(|v| (v.format, v.width, v.height))
        .collect();
    assert_eq!(
        sizes,
        [
            (VariantFormat::Jpeg, 300, 200),
            (VariantFormat::Webp, 300, 200)
        ]
    );
    for variant in &stored.variants {
        let picture = decode_variant(&store, &variant.key, variant.format).await;
        assert_eq!((picture.width(), picture.height()), (300, 200));
    }
}

async fn transparency_is_flattened_on_white(store: TestMedia) {
    // Left half transparent, right half opaque dark blue.
    let rgba = RgbaImage::from_fn(600, 300, |x, _| {
        if x < 300 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([10, 20, 120, 255])
        }
    });
    let stored = ingest(
        &store,
        encode(&DynamicImage::ImageRgba8(rgba), ImageFormat::Png),
    )
    .await
    .unwrap();
    assert_eq!(stored.original_mime, "image/png");
    assert!(stored.original_key.ends_with("/original.png"));
    for variant in &stored.variants {
        let rgb = decode_variant(&store, &variant.key, variant.format)
            .await
            .to_rgb8();
        let white = rgb.get_pixel(variant.width / 8, variant.height / 2);
        let blue = rgb.get_pixel(variant.width * 7 / 8, variant.height / 2);
        assert!(
            white.0.iter().all(|&c| c > 245),
            "{}: {white:?}",
            variant.key
        );
        assert!(blue[2] > 100 && blue[0] < 40, "{}: {blue:?}", variant.key);
    }
}

async fn grey_16_bit_webp_and_gif_inputs_are_accepted(store: TestMedia) {
    let grey16 = image::ImageBuffer::from_fn(640, 480, |x, _| image::Luma([(x * 100) as u16]));
    let cases = [
        (
            encode(&DynamicImage::ImageLuma16(grey16), ImageFormat::Png),
            "image/png",
        ),
        (
            encode(
                &DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(scene(500, 400)).to_rgba8()),
                ImageFormat::WebP,
            ),
            "image/webp",
        ),
        (
            encode(
                &DynamicImage::ImageRgba8(DynamicImage::ImageRgb8(scene(200, 100)).to_rgba8()),
                ImageFormat::Gif,
            ),
            "image/gif",
        ),
    ];
    for (bytes, mime) in cases {
        let stored = ingest(&store, bytes).await.unwrap();
        assert_eq!(stored.original_mime, mime);
        assert!(!stored.variants.is_empty());
        for variant in &stored.variants {
            let picture = decode_variant(&store, &variant.key, variant.format).await;
            assert_eq!(
                (picture.width(), picture.height()),
                (variant.width, variant.height)
            );
        }
    }
}

async fn exif_orientation_is_applied_to_size_and_variants(store: TestMedia) {
    // Stored landscape, camera says "rotate 90° clockwise to display" (EXIF orientation 6).
    let stored = ingest(&store, with_exif_orientation(&jpeg(800, 500), 6))
        .await
        .unwrap();
    assert_eq!((stored.width, stored.height), (500, 800));
    let first = &stored.variants[0];
    assert_eq!((first.width, first.height), (480, 768));
    let picture = decode_variant(&store, &first.key, first.format).await;
    assert_eq!((picture.width(), picture.height()), (480, 768));
}

async fn a_header_promising_too_many_pixels_is_refused_before_decoding(store: TestMedia) {
    // 11,000 × 11,000 fits the side limit but is 121 megapixels.
    let bomb = png_claiming(11_000, 11_000);
    assert!(bomb.len() < 100);
    let refused = ingest(&store, bomb).await.unwrap_err();
    assert!(
        matches!(
            refused,
            MediaError::TooManyPixels {
                width: 11_000,
                height: 11_000,
                max_pixels: 50_000_000
            }
        ),
        "{refused:?}"
    );
    assert_eq!(
        refused.to_string(),
        "The image is 121 megapixels (11000 × 11000); the limit is 50."
    );
    assert!(store.keys().await.is_empty(), "nothing stored");
}

async fn a_header_promising_an_enormous_side_is_refused(store: TestMedia) {
    let refused = ingest(&store, gif_claiming(65_535, 65_535))
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            MediaError::TooWide {
                width: 65_535,
                height: 65_535,
                max: 12_000
            }
        ),
        "{refused:?}"
    );
    let refused = ingest(&store, png_claiming(40_000, 10)).await.unwrap_err();
    assert!(matches!(refused, MediaError::TooWide { .. }), "{refused:?}");
}

async fn limits_are_the_callers(store: TestMedia) {
    let tight = ImageLimits {
        max_bytes: 1_000_000,
        max_pixels: 1_000,
        max_dimension: 100,
    };
    let refused = store.ingest_image(jpeg(50, 50), &tight).await.unwrap_err();
    assert!(
        matches!(refused, MediaError::TooManyPixels { .. }),
        "{refused:?}"
    );
    let refused = store.ingest_image(jpeg(101, 5), &tight).await.unwrap_err();
    assert!(matches!(refused, MediaError::TooWide { .. }), "{refused:?}");
    assert!(store.ingest_image(jpeg(20, 20), &tight).await.is_ok());
}

async fn an_oversized_file_is_refused_by_its_byte_count(store: TestMedia) {
    let limits = ImageLimits {
        max_bytes: 10_000,
        ..ImageLimits::default()
    };
    let big = jpeg(400, 400);
    assert!(big.len() > 10_000);
    let refused = store.ingest_image(big.clone(), &limits).await.unwrap_err();
    assert!(
        matches!(refused, MediaError::TooLarge { bytes, max: 10_000 } if bytes == big.len()),
        "{refused:?}"
    );
    assert_eq!(ImageLimits::default().max_bytes, 25_000_000);
    assert_eq!(ImageLimits::default().max_pixels, 50_000_000);
    assert_eq!(ImageLimits::default().max_dimension, 12_000);
}

async fn truncated_files_are_refused_as_broken(store: TestMedia) {
    let whole = jpeg(800, 600);
    let cut = whole.slice(..whole.len() * 6 / 10);
    let refused = ingest(&store, cut).await.unwrap_err();
    assert!(matches!(refused, MediaError::Broken(_)), "{refused:?}");
    assert!(
        refused
            .to_string()
            .starts_with("The image file is damaged or incomplete")
    );

    let png = encode(&DynamicImage::ImageRgb8(scene(800, 600)), ImageFormat::Png);
    let refused = ingest(&store, png.slice(..png.len() / 2))
        .await
        .unwrap_err();
    assert!(matches!(refused, MediaError::Broken(_)), "{refused:?}");

    assert!(store.keys().await.is_empty(), "nothing stored");
}

async fn other_formats_are_refused_as_unsupported(store: TestMedia) {
    let samples: [&[u8]; 4] = [
        b"%PDF-1.7\n1 0 obj << >> endobj",
        b"BM\x3a\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0", // a BMP header
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        b"",
    ];
    for sample in samples {
        let refused = ingest(&store, Bytes::from_static(sample))
            .await
            .unwrap_err();
        assert!(
            matches!(refused, MediaError::UnsupportedFormat),
            "{refused:?}"
        );
    }
    assert_eq!(
        MediaError::UnsupportedFormat.to_string(),
        "This file is not an image we can use: upload a JPEG, PNG, WebP or GIF."
    );
}

async fn keys_are_safe_url_paths(store: TestMedia) {
    let stored = ingest(&store, jpeg(500, 300)).await.unwrap();
    let keys = std::iter::once(&stored.original_key).chain(stored.variants.iter().map(|v| &v.key));
    for key in keys {
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/._".contains(&b)),
            "{key}"
        );
        assert!(Path::new(key).components().count() == 4, "{key}");
    }
}

// Provenance: what the original's metadata declares, and that variants keep it.

const AI_GENERATED: &str = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

/// The JPEG with an XMP APP1 segment after SOI declaring `source_type` in the element form, under
/// a namespace prefix of the writer's choosing, as some DAM tools write it.
fn with_xmp_source_type(jpeg: &[u8], source_type: &str) -> Bytes {
    let packet = format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
         <x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
         xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
         <rdf:Description rdf:about=\"\" \
         xmlns:ext=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\">\
         <ext:DigitalSourceType>{source_type}</ext:DigitalSourceType>\
         </rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>"
    );
    let mut app1 = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    app1.extend(packet.as_bytes());
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(
        u16::try_from(app1.len() + 2)
            .expect("short segment")
            .to_be_bytes(),
    );
    out.extend(app1);
    out.extend(&jpeg[2..]);
    Bytes::from(out)
}

async fn variant_provenance(
    store: &MediaStore,
    variant: &dateline_storage::ImageVariant,
) -> Provenance {
    let bytes = store
        .get(&variant.key)
        .await
        .expect("store readable")
        .expect("variant stored");
    let format = match variant.format {
        VariantFormat::Jpeg => dateline_provenance::ImageFormat::Jpeg,
        VariantFormat::Webp => dateline_provenance::ImageFormat::Webp,
    };
    dateline_provenance::read_provenance(&bytes, format)
}

async fn xmp_source_type_is_reported_and_every_variant_keeps_it(store: TestMedia) {
    let upload = with_xmp_source_type(&jpeg(1000, 600), AI_GENERATED);
    let ingested = store
        .ingest_image_with_provenance(upload.clone(), &ImageLimits::default())
        .await
        .unwrap();
    assert_eq!(
        ingested.provenance.source_type,
        Some(DigitalSourceType::TrainedAlgorithmicMedia)
    );
    assert_eq!(ingested.provenance.origin, Origin::Xmp);
    assert_eq!(ingested.provenance.explanation(), "from XMP");
    assert_eq!(ingested.stored.variants.len(), 4);

    for variant in &ingested.stored.variants {
        let carried = variant_provenance(&store, variant).await;
        assert_eq!(
            carried.source_type,
            Some(DigitalSourceType::TrainedAlgorithmicMedia),
            "{}",
            variant.key
        );
        assert_eq!(carried.origin, Origin::Xmp, "{}", variant.key);
        assert!(carried.warnings.is_empty(), "{:?}", carried.warnings);
        // Still a picture every decoder opens, at the size the listing says.
        let decoded = decode_variant(&store, &variant.key, variant.format).await;
        assert_eq!(
            (decoded.width(), decoded.height()),
            (variant.width, variant.height)
        );
        let stored = store.get(&variant.key).await.unwrap().unwrap();
        assert_eq!(variant.bytes, stored.len() as u64);
    }

    // The original is stored untouched, its own XMP included.
    let original = store
        .get(&ingested.stored.original_key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(original, upload);

    // A second upload of the same bytes finds everything in place and says the same.
    let again = store
        .ingest_image_with_provenance(upload.clone(), &ImageLimits::default())
        .await
        .unwrap();
    assert_eq!(again, ingested);
    // The old entry point answers as before for callers that do not need provenance.
    assert_eq!(ingest(&store, upload).await.unwrap(), ingested.stored);
}

async fn a_png_without_metadata_declares_nothing_and_its_variants_carry_nothing(store: TestMedia) {
    let png = encode(&DynamicImage::ImageRgb8(scene(600, 400)), ImageFormat::Png);
    let ingested = store
        .ingest_image_with_provenance(png, &ImageLimits::default())
        .await
        .unwrap();
    assert_eq!(ingested.provenance, Provenance::none());
    for variant in &ingested.stored.variants {
        let carried = variant_provenance(&store, variant).await;
        assert_eq!(carried, Provenance::none(), "{}", variant.key);
    }
}

async fn metadata_does_not_rescue_a_truncated_file_or_a_bomb(store: TestMedia) {
    let whole = with_xmp_source_type(&jpeg(800, 600), AI_GENERATED);
    let refused = store
        .ingest_image_with_provenance(whole.slice(..whole.len() / 2), &ImageLimits::default())
        .await
        .unwrap_err();
    assert!(matches!(refused, MediaError::Broken(_)), "{refused:?}");

    let refused = store
        .ingest_image_with_provenance(png_claiming(100_000, 100_000), &ImageLimits::default())
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            MediaError::TooWide { .. } | MediaError::TooManyPixels { .. }
        ),
        "{refused:?}"
    );
    assert!(store.keys().await.is_empty(), "nothing stored");
}

async fn unreadable_metadata_is_a_warning_not_a_refusal(store: TestMedia) {
    let upload = with_xmp_source_type(&jpeg(300, 200), "<not closed");
    let ingested = store
        .ingest_image_with_provenance(upload, &ImageLimits::default())
        .await
        .unwrap();
    assert_eq!(ingested.provenance.source_type, None);
    assert_eq!(ingested.provenance.origin, Origin::None);
    assert_eq!(
        ingested.provenance.warnings.len(),
        1,
        "{:?}",
        ingested.provenance.warnings
    );
    assert!(ingested.provenance.warnings[0].contains("not well-formed"));
    assert_eq!(ingested.stored.variants.len(), 2);
}
