//! Copying objects from one store to another, verified: what `dateline storage migrate` does to
//! move a site's media, audio, narration cache and tips from its local folder into S3.
//!
//! Each object is hashed at the source, written (in parts when large, so memory stays at a part
//! whatever the size), then read back from the target and compared by size and SHA-256. The
//! hash also goes into the copy's metadata on S3 (`x-amz-meta-sha256`), so running the copy again
//! skips what is there and equal with one HEAD request instead of downloading it.

use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::{
    Attribute, Attributes, GetOptions, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload,
    WriteMultipart,
};
use sha2::{Digest, Sha256};

use crate::{MediaError, MediaStore, object_path};

/// Objects up to this size are copied in one request; larger ones in parts of this size (S3's
/// smallest part is 5 MiB; 8 MiB is what AWS's own tools use).
const PART_BYTES: usize = 8 * 1024 * 1024;

/// Parts in flight at once during a large copy: two keeps the link busy while one is sent, and
/// bounds memory at three parts.
const PARTS_IN_FLIGHT: usize = 2;

/// The metadata name under which a copy records its SHA-256 (hex).
const SHA256_METADATA: &str = "sha256";

/// An object as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub key: String,
    /// Size in bytes.
    pub size: u64,
}

/// What [`MediaStore::copy_from`] did with one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copied {
    /// An equal object (same size and SHA-256) was there already; nothing was written.
    AlreadyThere,
    /// The object was written and read back equal.
    Written,
}

/// Size and SHA-256 of an object's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    size: u64,
    sha256: [u8; 32],
}

impl MediaStore {
    /// Every object in the store, in the order the store lists them (S3 sends pages of 1,000
    /// keys as the stream is read, so a large bucket is never listed into memory at once).
    pub fn objects(&self) -> BoxStream<'static, Result<StoredObject, MediaError>> {
        self.objects
            .list(None)
            .map_ok(|meta| StoredObject {
                key: meta.location.to_string(),
                size: meta.size,
            })
            .map_err(MediaError::from)
            .boxed()
    }

    /// Copies `object` from `source` into this store, unless an equal object is here already,
    /// and checks that the copy reads back with the source's size and SHA-256. A copy that
    /// fails partway leaves no object under the key (a single PUT or an unfinished multipart
    /// upload is never visible); a copy that reads back wrong is an error naming the key, and
    /// copying again replaces it.
    pub async fn copy_from(
        &self,
        source: &MediaStore,
        object: &StoredObject,
    ) -> Result<Copied, MediaError> {
        let key = &object.key;
        let Some(original) = source.fingerprint(key).await? else {
            return Err(vanished(key));
        };
        if self.holds(key, original).await? {
            return Ok(Copied::AlreadyThere);
        }
        let written = if original.size <= PART_BYTES as u64 {
            self.copy_whole(source, key, original).await?
        } else {
            self.copy_in_parts(source, key, original).await?
        };
        if written != original {
            return Err(mismatch(
                key,
                original,
                written,
                "changed at the source while copying",
            ));
        }
        match self.fingerprint(key).await? {
            Some(copy) if copy == original => Ok(Copied::Written),
            Some(copy) => Err(mismatch(
                key,
                original,
                copy,
                "the copy reads back differently",
            )),
            None => Err(MediaError::CopyMismatch {
                key: key.clone(),
                detail: "the copy is missing right after writing it".to_owned(),
            }),
        }
    }

    /// Whether an object equal to `original` is under `key`: by the SHA-256 the copy recorded,
    /// or, where there is none (a local folder, an object put there by other means), by reading
    /// it.
    async fn holds(&self, key: &str, original: Fingerprint) -> Result<bool, MediaError> {
        let head = GetOptions {
            head: true,
            ..GetOptions::default()
        };
        let found = match self.objects.get_opts(&object_path(key)?, head).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(false),
            Err(error) => return Err(error.into()),
        };
        if found.meta.size != original.size {
            return Ok(false);
        }
        let recorded = found
            .attributes
            .get(&Attribute::Metadata(SHA256_METADATA.into()))
            .and_then(|value| hex::decode(value.as_ref()).ok());
        match recorded {
            Some(recorded) => Ok(recorded == original.sha256),
            None => Ok(self.fingerprint(key).await? == Some(original)),
        }
    }

    /// Size and SHA-256 of the object under `key`, read as a stream; `None` if it is missing.
    async fn fingerprint(&self, key: &str) -> Result<Option<Fingerprint>, MediaError> {
        let found = match self.objects.get(&object_path(key)?).await {
            Ok(found) => found,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(error) => return Err(error.into()),
        };
        let mut chunks = found.into_stream();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = chunks.try_next().await? {
            size += chunk.len() as u64;
            hasher.update(&chunk);
        }
        Ok(Some(Fingerprint {
            size,
            sha256: hasher.finalize().into(),
        }))
    }

    /// The attributes a copy carries: its SHA-256, where the store keeps metadata.
    fn copy_attributes(&self, original: Fingerprint) -> Attributes {
        let mut attributes = Attributes::new();
        if self.keeps_metadata {
            attributes.insert(
                Attribute::Metadata(SHA256_METADATA.into()),
                hex::encode(original.sha256).into(),
            );
        }
        attributes
    }

    /// A small object: read whole, written in one request.
    async fn copy_whole(
        &self,
        source: &MediaStore,
        key: &str,
        original: Fingerprint,
    ) -> Result<Fingerprint, MediaError> {
        let Some(bytes) = source.get(key).await? else {
            return Err(vanished(key));
        };
        let read = Fingerprint {
            size: bytes.len() as u64,
            sha256: Sha256::digest(&bytes).into(),
        };
        let options = PutOptions {
            attributes: self.copy_attributes(original),
            ..PutOptions::default()
        };
        self.objects
            .put_opts(&object_path(key)?, PutPayload::from(bytes), options)
            .await?;
        Ok(read)
    }

    /// A large object: streamed from the source into a multipart upload, hashed on the way.
    async fn copy_in_parts(
        &self,
        source: &MediaStore,
        key: &str,
        original: Fingerprint,
    ) -> Result<Fingerprint, MediaError> {
        let path = object_path(key)?;
        let options = PutMultipartOptions {
            attributes: self.copy_attributes(original),
            ..PutMultipartOptions::default()
        };
        let upload = self.objects.put_multipart_opts(&path, options).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        let streamed = async {
            let mut chunks = source.objects.get(&object_path(key)?).await?.into_stream();
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            while let Some(chunk) = chunks.try_next().await? {
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                size += chunk.len() as u64;
                hasher.update(&chunk);
                writer.put(chunk);
            }
            Ok::<_, MediaError>(Fingerprint {
                size,
                sha256: hasher.finalize().into(),
            })
        }
        .await;
        match streamed {
            Ok(read) => {
                writer.finish().await?;
                Ok(read)
            }
            Err(error) => {
                // Tell the store to drop the parts sent so far; the object never appeared.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(%abort, key, "could not abort a failed multipart copy");
                }
                Err(error)
            }
        }
    }
}

fn vanished(key: &str) -> MediaError {
    MediaError::Storage(format!(
        "\"{key}\" disappeared from the source while copying"
    ))
}

fn mismatch(key: &str, expected: Fingerprint, found: Fingerprint, what: &str) -> MediaError {
    MediaError::CopyMismatch {
        key: key.to_owned(),
        detail: format!(
            "{what} ({} bytes, SHA-256 {} expected; {} bytes, SHA-256 {} found)",
            expected.size,
            hex::encode(expected.sha256),
            found.size,
            hex::encode(found.sha256)
        ),
    }
}
