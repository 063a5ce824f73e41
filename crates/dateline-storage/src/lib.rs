//! Dateline's media: bytes in an object store (a local folder by default, S3-compatible storage
//! when scaled out) and the responsive image variants the public pages serve.
//!
//! The surface is deliberately small: [`MediaStore::put`] and [`MediaStore::get`] for any bytes,
//! and [`MediaStore::ingest_image`] for an uploaded picture, which checks it, stores the original
//! untouched and writes resized JPEG and WebP variants beside it under content-addressed keys.

mod copy;
mod error;
mod ingest;
mod s3;
#[cfg(feature = "testing")]
pub mod testing;
mod upload;

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use object_store::local::LocalFileSystem;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};

pub use copy::{Copied, StoredObject};
pub use dateline_provenance::{DigitalSourceType, Origin, Provenance};
pub use error::MediaError;
pub use s3::{S3Bucket, redact_storage_url};
pub use upload::ObjectUpload;

/// Widths of the responsive variants, in CSS pixels at 1x: a phone column, a tablet or 2x phone,
/// and a wide desktop hero. Never upscaled: widths above the original are skipped, and an original
/// narrower than the smallest width gets one variant at its own width.
pub const VARIANT_WIDTHS: &[u32] = &[480, 960, 1600];

/// What an upload may be. Checked before any pixel is decoded, so a small file that claims to be
/// enormous (a decompression bomb) is refused without allocating for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest accepted file, in bytes.
    pub max_bytes: usize,
    /// Largest accepted width × height.
    pub max_pixels: u64,
    /// Longest accepted side, in pixels.
    pub max_dimension: u32,
}

impl Default for ImageLimits {
    /// 25 MB, 50 megapixels, 12,000 pixels a side: room for a full-resolution frame from a current
    /// professional camera (45–50 Mpx), while a decoded 8-bit RGBA picture stays under 200 MB.
    fn default() -> Self {
        ImageLimits {
            max_bytes: 25_000_000,
            max_pixels: 50_000_000,
            max_dimension: 12_000,
        }
    }
}

/// An ingested picture: where the original went and which variants exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredImage {
    /// Key of the uploaded bytes, stored unchanged (metadata included).
    pub original_key: String,
    /// MIME type of the original, from its content rather than its file name.
    pub original_mime: &'static str,
    /// Width as displayed, after the EXIF orientation is applied.
    pub width: u32,
    /// Height as displayed, after the EXIF orientation is applied.
    pub height: u32,
    /// Ordered by width, then JPEG before WebP.
    pub variants: Vec<ImageVariant>,
}

impl StoredImage {
    /// The variants as the store records them (the format by name).
    pub fn recorded_variants(&self) -> Vec<dateline_core::ImageVariant> {
        self.variants
            .iter()
            .map(|variant| dateline_core::ImageVariant {
                key: variant.key.clone(),
                format: variant.format.name().to_owned(),
                width: variant.width,
                height: variant.height,
            })
            .collect()
    }
}

/// An ingested picture together with what its own metadata says about how it was made, for the
/// newsroom's upload form to pre-fill and explain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngestedImage {
    pub stored: StoredImage,
    pub provenance: Provenance,
}

/// One resized, re-encoded copy of a picture. Variants carry no metadata (no EXIF, no GPS), so
/// they are what public pages should serve; the one exception is the original's IPTC digital
/// source type, written back as XMP so a copy saved from the site still declares it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageVariant {
    pub key: String,
    pub format: VariantFormat,
    pub width: u32,
    pub height: u32,
    /// Size of the stored object in bytes.
    pub bytes: u64,
}

/// The encodings variants are written in: JPEG for every browser, WebP for the smaller file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VariantFormat {
    Jpeg,
    Webp,
}

impl VariantFormat {
    /// The MIME type for `Content-Type` and `<source type>`.
    pub fn mime(self) -> &'static str {
        match self {
            VariantFormat::Jpeg => "image/jpeg",
            VariantFormat::Webp => "image/webp",
        }
    }

    /// The name the store records ("jpeg" or "webp").
    pub fn name(self) -> &'static str {
        match self {
            VariantFormat::Jpeg => "jpeg",
            VariantFormat::Webp => "webp",
        }
    }

    /// The file extension used in keys, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            VariantFormat::Jpeg => "jpg",
            VariantFormat::Webp => "webp",
        }
    }
}

/// An object being read: its whole size, the bytes this read covers, and those bytes in chunks.
pub struct MediaStream {
    pub size: u64,
    pub range: std::ops::Range<u64>,
    pub chunks: futures_util::stream::BoxStream<'static, Result<Bytes, MediaError>>,
}

impl std::fmt::Debug for MediaStream {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("MediaStream")
            .field("size", &self.size)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

/// Media storage: a handle to one object store, cheap to clone and share between requests.
#[derive(Debug, Clone)]
pub struct MediaStore {
    objects: Arc<dyn ObjectStore>,
    /// Whether objects carry user metadata (S3's `x-amz-meta-*`); a local folder has none.
    keeps_metadata: bool,
}

impl MediaStore {
    /// Storage in a local folder, created if missing: the zero-configuration default. Writes
    /// are flushed to disk (file and folder) before they are reported done, so an object an
    /// answer promised (a tip's attachment) survives a power cut.
    pub fn local(root: &Path) -> Result<Self, MediaError> {
        std::fs::create_dir_all(root).map_err(|error| {
            MediaError::Storage(format!("cannot create {}: {error}", root.display()))
        })?;
        let objects = LocalFileSystem::new_with_prefix(root)?.with_fsync(true);
        Ok(Self::with_object_store(Arc::new(objects)))
    }

    /// Storage on any object store, e.g. S3 built by the binary from its configuration.
    pub fn with_object_store(objects: Arc<dyn ObjectStore>) -> Self {
        MediaStore {
            objects,
            keeps_metadata: false,
        }
    }

    /// Stores `bytes` under `key`, replacing what was there. The write is atomic: readers see
    /// the old object or the new one, never a part.
    pub async fn put(&self, key: &str, bytes: Bytes) -> Result<(), MediaError> {
        let path = object_path(key)?;
        self.objects.put(&path, PutPayload::from(bytes)).await?;
        Ok(())
    }

    /// Deletes the object under `key`; deleting what is not there is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), MediaError> {
        let path = object_path(key)?;
        match self.objects.delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }

    /// The bytes stored under `key`, or `None` if there is no such object.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, MediaError> {
        let path = object_path(key)?;
        match self.objects.get(&path).await {
            Ok(result) => Ok(Some(result.bytes().await?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The size in bytes of the object under `key`, or `None` if there is no such object.
    pub async fn size(&self, key: &str) -> Result<Option<u64>, MediaError> {
        let path = object_path(key)?;
        match self.objects.head(&path).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The object under `key` (or the bytes `range` of it), read as the consumer takes the
    /// chunks: memory per reader stays at a chunk or two, however large the object. `range` must
    /// lie within the object ([`Self::size`] says where it ends).
    pub async fn stream(
        &self,
        key: &str,
        range: Option<std::ops::Range<u64>>,
    ) -> Result<Option<MediaStream>, MediaError> {
        use futures_util::{StreamExt, TryStreamExt};
        let path = object_path(key)?;
        let options = object_store::GetOptions {
            range: range.map(object_store::GetRange::Bounded),
            ..Default::default()
        };
        match self.objects.get_opts(&path, options).await {
            Ok(result) => Ok(Some(MediaStream {
                size: result.meta.size,
                range: result.range.clone(),
                chunks: result.into_stream().map_err(MediaError::from).boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// Checks an uploaded picture against `limits`, stores the original and its variants, and
    /// says where they are.
    ///
    /// Keys derive from the SHA-256 of the original bytes, so ingesting the same file twice
    /// writes nothing new and returns the same answer; when every object already exists the
    /// pixels are not even decoded.
    pub async fn ingest_image(
        &self,
        original: Bytes,
        limits: &ImageLimits,
    ) -> Result<StoredImage, MediaError> {
        Ok(self
            .ingest_image_with_provenance(original, limits)
            .await?
            .stored)
    }

    /// [`Self::ingest_image`], also saying what the original's metadata declares about how it
    /// was made (C2PA manifest or XMP, see [`dateline_provenance::read_provenance`]). Unreadable
    /// metadata never refuses an upload; it shows up in [`Provenance::warnings`].
    pub async fn ingest_image_with_provenance(
        &self,
        original: Bytes,
        limits: &ImageLimits,
    ) -> Result<IngestedImage, MediaError> {
        let limits = *limits;
        let upload = original.clone();
        // Hashing 25 MB, parsing headers and reading the C2PA manifest is CPU work: off the async
        // workers.
        let plan = blocking(move || ingest::plan(&upload, &limits)).await??;

        if let Some(stored) = self.already_stored(&plan).await? {
            return Ok(IngestedImage {
                stored,
                provenance: plan.provenance,
            });
        }

        let encode_plan = plan.clone();
        let upload = original.clone();
        let encoded = blocking(move || ingest::encode_variants(&upload, &encode_plan)).await??;

        let (variants, contents): (Vec<ImageVariant>, Vec<Bytes>) = encoded.into_iter().unzip();
        let writes = variants
            .iter()
            .zip(contents)
            .map(|(variant, bytes)| self.put(&variant.key, bytes))
            .chain([self.put(&plan.original_key, original)]);
        futures_util::future::try_join_all(writes).await?;

        Ok(IngestedImage {
            stored: plan.stored(variants),
            provenance: plan.provenance,
        })
    }

    /// The answer for an upload whose objects are all in place already, with sizes read back
    /// from the store; `None` if anything is missing (say, a crash halfway through a first try).
    async fn already_stored(&self, plan: &ingest::Plan) -> Result<Option<StoredImage>, MediaError> {
        let mut variants = Vec::with_capacity(plan.variants.len());
        for planned in &plan.variants {
            match self.objects.head(&object_path(&planned.key)?).await {
                Ok(meta) => variants.push(ImageVariant {
                    bytes: meta.size,
                    ..planned.clone()
                }),
                Err(object_store::Error::NotFound { .. }) => return Ok(None),
                Err(error) => return Err(error.into()),
            }
        }
        match self.objects.head(&object_path(&plan.original_key)?).await {
            Ok(_) => Ok(Some(plan.stored(variants))),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }

    /// The object store underneath, for whole-site copies that must see every object exactly as
    /// stored (`dateline backup`: listing, streamed reads, multipart writes).
    pub fn object_store(&self) -> Arc<dyn ObjectStore> {
        Arc::clone(&self.objects)
    }
}

/// Turns a key into an object path, refusing anything that could escape the store's root or
/// would be ambiguous in a URL: empty segments, `.`/`..`, backslashes, control characters.
fn object_path(key: &str) -> Result<object_store::path::Path, MediaError> {
    let invalid = || MediaError::InvalidKey(key.to_owned());
    let safe = !key.is_empty()
        && key.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        });
    if !safe {
        return Err(invalid());
    }
    object_store::path::Path::parse(key).map_err(|_| invalid())
}

/// Runs CPU-heavy work on tokio's blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, MediaError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| MediaError::Processing(format!("worker stopped: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_must_be_plain_relative_paths() {
        for good in ["a", "images/ab/abcdef/w480.webp", "audio/x-1_2.mp3"] {
            assert!(object_path(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "/abs",
            "trailing/",
            "a//b",
            "../etc/passwd",
            "a/./b",
            "a\\b",
            "sp ace",
            "q?x",
            "é",
        ] {
            assert!(
                matches!(object_path(bad), Err(MediaError::InvalidKey(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn variant_formats_name_their_mime_and_extension() {
        assert_eq!(VariantFormat::Jpeg.mime(), "image/jpeg");
        assert_eq!(VariantFormat::Webp.mime(), "image/webp");
        assert_eq!(VariantFormat::Jpeg.extension(), "jpg");
        assert_eq!(VariantFormat::Webp.extension(), "webp");
    }
}
