//! Objects written piece by piece: an upload of any size goes to storage with memory for one
//! part, and leaves nothing behind unless it is finished.

use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};

use crate::{MediaError, MediaStore, object_path};

/// Bytes buffered before a part is sent: S3's smallest part (every part but the last must be at
/// least 5 MiB), so one size serves the local folder and S3 alike.
const PART_BYTES: usize = 5 * 1024 * 1024;

/// An object being written. [`ObjectUpload::finish`] makes it appear whole (atomically, as
/// [`MediaStore::put`] does); [`ObjectUpload::abort`], or dropping it unfinished, leaves no object.
/// A local folder's staged file is removed when the upload is dropped; S3 drops an unfinished
/// multipart upload by the bucket's lifecycle rule (`AbortIncompleteMultipartUpload`).
pub struct ObjectUpload {
    key: String,
    writer: WriteMultipart,
    written: u64,
}

impl MediaStore {
    /// Starts writing the object `key`.
    pub async fn start_upload(&self, key: &str) -> Result<ObjectUpload, MediaError> {
        let path = object_path(key)?;
        let upload = self.objects.put_multipart(&path).await?;
        Ok(ObjectUpload {
            key: key.to_owned(),
            writer: WriteMultipart::new_with_chunk_size(upload, PART_BYTES),
            written: 0,
        })
    }

    /// Keys of the objects under `prefix` last modified before `before` (Unix seconds): for
    /// sweeping what a crash left between an upload and the row that would have named it.
    pub async fn keys_modified_before(
        &self,
        prefix: &str,
        before: i64,
    ) -> Result<Vec<String>, MediaError> {
        let prefix = object_path(prefix.trim_end_matches('/'))?;
        Ok(self
            .objects
            .list(Some(&prefix))
            .try_filter(|meta| std::future::ready(meta.last_modified.timestamp() < before))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await?)
    }
}

impl ObjectUpload {
    pub fn key(&self) -> &str {
        &self.key
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Appends `bytes`. Waits while a part is still being sent, so at most one part is in
    /// flight and one is being filled, whatever the object's size.
    pub async fn write(&mut self, bytes: Bytes) -> Result<(), MediaError> {
        self.writer.wait_for_capacity(1).await?;
        self.written += bytes.len() as u64;
        self.writer.put(bytes);
        Ok(())
    }

    /// Sends what is left and makes the object appear; returns its size.
    pub async fn finish(self) -> Result<u64, MediaError> {
        self.writer.finish().await?;
        Ok(self.written)
    }

    /// Gives up: nothing of the object stays.
    pub async fn abort(self) -> Result<(), MediaError> {
        self.writer.abort().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(root: &std::path::Path) -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(root).expect("folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                files.extend(files_under(&path));
            } else {
                files.push(path);
            }
        }
        files
    }

    #[tokio::test]
    async fn an_upload_appears_whole_when_finished_and_not_at_all_otherwise() {
        let folder = tempfile::tempdir().expect("folder");
        let media = MediaStore::local(folder.path()).expect("store");
        // More than two parts, in pieces that do not line up with them.
        let piece = Bytes::from(vec![7u8; 999_983]);
        let mut upload = media.start_upload("tips/a.age").await.expect("starts");
        for _ in 0..12 {
            upload.write(piece.clone()).await.expect("writes");
        }
        assert_eq!(
            media.get("tips/a.age").await.expect("reads"),
            None,
            "not before finish"
        );
        assert_eq!(upload.finish().await.expect("finishes"), 12 * 999_983);
        let stored = media
            .get("tips/a.age")
            .await
            .expect("reads")
            .expect("stored");
        assert_eq!(stored.len(), 12 * 999_983);
        assert!(stored.iter().all(|b| *b == 7));

        let mut aborted = media.start_upload("tips/b.age").await.expect("starts");
        aborted.write(piece.clone()).await.expect("writes");
        aborted.abort().await.expect("aborts");
        let mut dropped = media.start_upload("tips/c.age").await.expect("starts");
        dropped.write(piece).await.expect("writes");
        drop(dropped);
        // The staged file of a dropped upload is removed on the blocking pool.
        for _ in 0..100 {
            if files_under(folder.path()).len() == 1 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(
            files_under(folder.path()),
            vec![folder.path().join("tips/a.age")],
            "only the finished object is left"
        );
        let old = media
            .keys_modified_before("tips/", i64::MAX)
            .await
            .expect("lists");
        assert_eq!(old, vec!["tips/a.age".to_owned()]);
        assert!(
            media
                .keys_modified_before("tips/", 0)
                .await
                .expect("lists")
                .is_empty()
        );
    }
}
