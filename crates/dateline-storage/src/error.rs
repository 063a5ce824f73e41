//! What can go wrong with media, worded for the person who uploaded it.

/// A media failure. The `Display` text is shown to newsroom staff as is, so it says what happened
/// and what the limit is, in their words; the web layer maps variants to HTTP statuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    /// The upload has more bytes than [`crate::ImageLimits::max_bytes`].
    #[error("The file is {} MB; the limit is {} MB.", megabytes(*bytes as u64), megabytes(*max as u64))]
    TooLarge { bytes: usize, max: usize },

    /// The picture has more pixels than [`crate::ImageLimits::max_pixels`].
    #[error(
        "The image is {} megapixels ({width} × {height}); the limit is {}.",
        megapixels(u64::from(*width) * u64::from(*height)),
        megapixels(*max_pixels)
    )]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },

    /// One side is longer than [`crate::ImageLimits::max_dimension`].
    #[error(
        "The image is {width} × {height} pixels; neither side may be longer than {max} pixels."
    )]
    TooWide { width: u32, height: u32, max: u32 },

    /// Not a JPEG, PNG, WebP or GIF file.
    #[error("This file is not an image we can use: upload a JPEG, PNG, WebP or GIF.")]
    UnsupportedFormat,

    /// The file says it is an image but cannot be read to the end.
    #[error("The image file is damaged or incomplete ({0}). Try exporting or uploading it again.")]
    Broken(String),

    /// A key that is not a safe relative object path.
    #[error("\"{0}\" is not a valid media key.")]
    InvalidKey(String),

    /// The object store failed (disk full, permissions, network to S3).
    #[error("Media storage failed: {0}")]
    Storage(String),

    /// Encoding or a worker thread failed; not the uploader's fault.
    #[error("Processing the image failed: {0}")]
    Processing(String),

    /// A `storage_url` that cannot be used; the text names the URL (secrets hidden) and why.
    #[error("Storage URL {0}")]
    InvalidStorageUrl(String),

    /// A copied object does not read back as it was written (size or SHA-256).
    #[error("The copy of \"{key}\" does not match the original: {detail}")]
    CopyMismatch { key: String, detail: String },
}

impl From<object_store::Error> for MediaError {
    fn from(error: object_store::Error) -> Self {
        MediaError::Storage(error.to_string())
    }
}

/// Decimal megabytes, as file managers and phones show sizes; whole numbers stay whole.
fn megabytes(bytes: u64) -> String {
    one_decimal(bytes, 1_000_000)
}

fn megapixels(pixels: u64) -> String {
    one_decimal(pixels, 1_000_000)
}

fn one_decimal(value: u64, unit: u64) -> String {
    let tenths = value.saturating_mul(10).saturating_add(unit / 2) / unit;
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_a_newsroom_would_say_them() {
        let pixels = MediaError::TooManyPixels {
            width: 10_000,
            height: 8_000,
            max_pixels: 50_000_000,
        };
        assert_eq!(
            pixels.to_string(),
            "The image is 80 megapixels (10000 × 8000); the limit is 50."
        );
        let bytes = MediaError::TooLarge {
            bytes: 30_250_000,
            max: 25_000_000,
        };
        assert_eq!(
            bytes.to_string(),
            "The file is 30.3 MB; the limit is 25 MB."
        );
    }

    #[test]
    fn one_decimal_rounds_and_drops_a_zero_tenth() {
        assert_eq!(one_decimal(0, 1_000_000), "0");
        assert_eq!(one_decimal(1_049_999, 1_000_000), "1");
        assert_eq!(one_decimal(1_050_000, 1_000_000), "1.1");
        assert_eq!(one_decimal(12_345_678, 1_000_000), "12.3");
    }
}
