//! Byte plumbing between the archive (tar and gzip, which are synchronous) and the object store
//! and database (asynchronous): readers that hash and count what passes, and writers that put
//! what they are given into a file or an object. All of it runs on a blocking thread, which may
//! wait for the async runtime with [`Handle::block_on`].

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use object_store::{ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::runtime::Handle;

use crate::{BackupError, Objects, OnProgress, Progress, Result, Step};

/// Objects up to this size are written with one request; larger ones in parts of this size, so
/// memory stays at a few parts whatever the object (S3's smallest part is 5 MiB).
pub(crate) const PART_BYTES: usize = 8 * 1024 * 1024;
/// Parts in flight at once: one being sent while the next fills.
const PARTS_IN_FLIGHT: usize = 2;
/// Progress is reported at most once per this many bytes.
const REPORT_EVERY: u64 = 1024 * 1024;

/// Counts bytes for one step's progress bar.
pub(crate) struct Tally {
    progress: OnProgress,
    step: Step,
    total: u64,
    done: u64,
    reported: u64,
}

impl Tally {
    pub(crate) fn new(progress: OnProgress, step: Step, total: u64) -> Self {
        (progress)(Progress {
            step,
            done: 0,
            total,
        });
        Tally {
            progress,
            step,
            total,
            done: 0,
            reported: 0,
        }
    }

    pub(crate) fn add(&mut self, bytes: u64) {
        self.done += bytes;
        if self.done - self.reported >= REPORT_EVERY {
            self.report();
        }
    }

    pub(crate) fn finish(&mut self) {
        self.done = self.done.max(self.total);
        self.report();
    }

    fn report(&mut self) {
        self.reported = self.done;
        (self.progress)(Progress {
            step: self.step,
            done: self.done,
            total: self.total,
        });
    }
}

/// Reads exactly `expected` bytes from `inner`, hashing them: fewer is an error (a truncated
/// source), and so is more (the source grew since it was measured).
pub(crate) struct Measured<'t, R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    expected: u64,
    tally: Option<&'t mut Tally>,
}

impl<'t, R: Read> Measured<'t, R> {
    pub(crate) fn new(inner: R, expected: u64, tally: Option<&'t mut Tally>) -> Self {
        Measured {
            inner,
            hasher: Sha256::new(),
            read: 0,
            expected,
            tally,
        }
    }

    /// Reads what is left (nothing, when the consumer read it all), checks that the source ends
    /// where expected, and gives the SHA-256 of the bytes as lower-case hex.
    pub(crate) fn finish(mut self) -> io::Result<String> {
        io::copy(&mut self, &mut io::sink())?;
        let mut probe = [0u8; 1];
        if self.inner.read(&mut probe)? != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("longer than the {} bytes expected", self.expected),
            ));
        }
        Ok(hex::encode(self.hasher.finalize()))
    }
}

impl<R: Read> Read for Measured<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.expected - self.read;
        if left == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..want])?;
        if got == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "ends after {} of the {} bytes expected",
                    self.read, self.expected
                ),
            ));
        }
        self.hasher.update(&buf[..got]);
        self.read += got as u64;
        if let Some(tally) = self.tally.as_deref_mut() {
            tally.add(got as u64);
        }
        Ok(got)
    }
}

/// Counts the bytes read through it into a [`Tally`]: the compressed side of an archive, for
/// a progress bar that matches the file's size.
pub(crate) struct Counted<R> {
    inner: R,
    pub(crate) tally: Tally,
}

impl<R> Counted<R> {
    pub(crate) fn new(inner: R, tally: Tally) -> Self {
        Counted { inner, tally }
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let got = self.inner.read(buf)?;
        self.tally.add(got as u64);
        Ok(got)
    }
}

/// A stored object as a [`Read`], for a blocking thread.
pub(crate) struct ObjectReader {
    handle: Handle,
    chunks: BoxStream<'static, object_store::Result<Bytes>>,
    chunk: Bytes,
}

impl ObjectReader {
    /// The object under `key`, or `None` when there is none (any more).
    pub(crate) fn open(handle: &Handle, objects: &Objects, key: &str) -> Result<Option<Self>> {
        let path = object_path(key)?;
        match handle.block_on(objects.get(&path)) {
            Ok(found) => Ok(Some(ObjectReader {
                handle: handle.clone(),
                chunks: found.into_stream(),
                chunk: Bytes::new(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(error) => Err(error.into()),
        }
    }
}

impl Read for ObjectReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.handle.block_on(self.chunks.next()) {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(error)) => return Err(io::Error::other(error)),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk[..n]);
        self.chunk = self.chunk.slice(n..);
        Ok(n)
    }
}

/// Puts `size` bytes read from `content` under `key`: one request for a small object, a
/// multipart upload for a large one (aborted on failure, so no half object ever appears).
pub(crate) fn put_object(
    handle: &Handle,
    objects: &Objects,
    key: &str,
    size: u64,
    content: &mut dyn Read,
) -> Result<()> {
    let path = object_path(key)?;
    if size <= PART_BYTES as u64 {
        let mut bytes = Vec::with_capacity(size as usize);
        content
            .read_to_end(&mut bytes)
            .map_err(|e| BackupError::io(format!("reading {key} from the archive"), e))?;
        handle.block_on(objects.put(&path, PutPayload::from(bytes)))?;
        return Ok(());
    }
    let upload = handle.block_on(objects.put_multipart(&path))?;
    let mut sink = ObjectSink {
        handle: handle.clone(),
        upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
    };
    match io::copy(content, &mut sink) {
        Ok(_) => sink.finish(),
        Err(error) => {
            sink.abandon();
            Err(BackupError::io(format!("writing {key}"), error))
        }
    }
}

/// A multipart upload as a [`Write`]: the archive itself on its way into a bucket, or a large
/// object being restored.
pub(crate) struct ObjectSink {
    handle: Handle,
    upload: Option<WriteMultipart>,
}

impl ObjectSink {
    pub(crate) fn start(handle: &Handle, objects: &Objects, key: &str) -> Result<Self> {
        let upload = handle.block_on(objects.put_multipart(&object_path(key)?))?;
        Ok(ObjectSink {
            handle: handle.clone(),
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART_BYTES)),
        })
    }

    /// Completes the upload: only now does the object appear.
    pub(crate) fn finish(mut self) -> Result<()> {
        if let Some(upload) = self.upload.take() {
            self.handle.block_on(upload.finish())?;
        }
        Ok(())
    }

    /// Drops the parts sent so far; the object never appears.
    pub(crate) fn abandon(mut self) {
        if let Some(upload) = self.upload.take()
            && let Err(error) = self.handle.block_on(upload.abort())
        {
            tracing::warn!(%error, "could not abort an unfinished upload");
        }
    }
}

impl Write for ObjectSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(upload) = self.upload.as_mut() else {
            return Err(io::Error::other("the upload is already finished"));
        };
        self.handle
            .block_on(upload.wait_for_capacity(PARTS_IN_FLIGHT))
            .map_err(io::Error::other)?;
        upload.write(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A file written under a temporary name beside its final one, which it only takes once
/// everything is on disk: a crash leaves a `.partial` file, never a file that looks finished.
pub(crate) struct FileSink {
    file: io::BufWriter<File>,
    partial: PathBuf,
    target: PathBuf,
}

impl FileSink {
    pub(crate) fn create(target: &Path) -> Result<Self> {
        let mut name = target.as_os_str().to_owned();
        name.push(".partial");
        let partial = PathBuf::from(name);
        let file = create_private(&partial)?;
        Ok(FileSink {
            file: io::BufWriter::with_capacity(1024 * 1024, file),
            partial,
            target: target.to_path_buf(),
        })
    }

    /// Flushes, syncs, and renames into place (refusing to replace a file that appeared
    /// meanwhile), then syncs the folder so the name survives a crash too.
    pub(crate) fn finish(self) -> Result<()> {
        let file = self
            .file
            .into_inner()
            .map_err(|e| BackupError::io(self.partial.display().to_string(), e.into_error()))?;
        file.sync_all()
            .map_err(|e| BackupError::io(self.partial.display().to_string(), e))?;
        drop(file);
        if self.target.exists() {
            let _ = std::fs::remove_file(&self.partial);
            return Err(BackupError::Refused(format!(
                "{} appeared while the backup ran; it was left alone",
                self.target.display()
            )));
        }
        std::fs::rename(&self.partial, &self.target)
            .map_err(|e| BackupError::io(self.target.display().to_string(), e))?;
        sync_folder_of(&self.target)
    }

    pub(crate) fn abandon(self) {
        drop(self.file);
        let _ = std::fs::remove_file(&self.partial);
    }
}

impl Write for FileSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Creates a new file readable by its owner only: archives and restored secrets hold what an
/// attacker wants most (password hashes, the tips install secret, identity files).
pub(crate) fn create_private(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .map_err(|e| BackupError::io(format!("creating {}", path.display()), e))
}

/// Syncs the folder holding `path`, so a file just renamed or created there keeps its name
/// after a crash (POSIX leaves directory entries to the folder's own fsync).
pub(crate) fn sync_folder_of(path: &Path) -> Result<()> {
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(folder)
        .and_then(|folder| folder.sync_all())
        .map_err(|e| BackupError::io(format!("syncing {}", folder.display()), e))
}

pub(crate) fn object_path(key: &str) -> Result<object_store::path::Path> {
    object_store::path::Path::parse(key)
        .map_err(|e| BackupError::Damaged(format!("{key:?} is not a valid storage key ({e})")))
}

/// Size and SHA-256 (hex) of a local file.
pub(crate) fn hash_file(path: &Path, tally: &mut Tally) -> Result<(u64, String)> {
    let mut file =
        File::open(path).map_err(|e| BackupError::io(format!("reading {}", path.display()), e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| BackupError::io(format!("reading {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        tally.add(n as u64);
    }
    Ok((size, hex::encode(hasher.finalize())))
}
