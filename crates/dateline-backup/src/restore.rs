//! Restoring an archive: read it whole against its manifest, and only then, into targets that
//! are empty, write the database, the data folder's files and the objects.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

use flate2::bufread::GzDecoder;
use futures_util::StreamExt;
use object_store::ObjectStoreExt;
use tokio::runtime::Handle;

use crate::manifest::{
    Kind, MANIFEST, MANIFEST_DIGEST, MAX_MANIFEST_BYTES, Manifest, damaged, sha256_hex,
};
use crate::stream::{
    Counted, FileSink, Measured, ObjectReader, Tally, object_path, put_object, sync_folder_of,
};
use crate::{BackupError, Objects, OnProgress, Result, Step, backend_name, blocking};

/// Where a restore writes: all of it must be empty.
#[derive(Clone)]
pub struct Target {
    pub database_url: String,
    pub data_dir: PathBuf,
    pub objects: TargetObjects,
}

/// Where the objects go.
#[derive(Clone)]
pub enum TargetObjects {
    /// The store the restored site will use (its `<data_dir>/media` folder or its bucket).
    Store(Objects),
}

impl TargetObjects {
    fn store(&self) -> &Objects {
        match self {
            TargetObjects::Store(objects) => objects,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RestoreReport {
    pub manifest: Manifest,
    pub archive_bytes: u64,
}

/// Copies the archive stored under `key` into the file `to` (which must not exist), a part at a
/// time, and returns its size. A restore reads an archive twice (verify, then write), so one in
/// a bucket is brought down first. The file only takes its name once it is whole and synced.
pub async fn download(
    objects: &Objects,
    key: &str,
    to: &Path,
    progress: OnProgress,
) -> Result<u64> {
    let objects = objects.clone();
    let key = key.to_owned();
    let to = to.to_path_buf();
    let handle = Handle::current();
    blocking(move || {
        let size = handle
            .block_on(objects.head(&object_path(&key)?))
            .map_err(|error| match error {
                object_store::Error::NotFound { .. } => {
                    BackupError::Refused(format!("the bucket has no archive under {key}"))
                }
                error => error.into(),
            })?
            .size;
        let mut source = ObjectReader::open(&handle, &objects, &key)?.ok_or_else(|| {
            BackupError::Refused(format!("the archive under {key} went away while read"))
        })?;
        let mut tally = Tally::new(progress, Step::Downloading, size);
        let mut sink = FileSink::create(&to)?;
        let mut buffer = vec![0; 1024 * 1024];
        let mut copied = 0;
        loop {
            let read = match source.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => read,
                Err(error) => {
                    sink.abandon();
                    return Err(BackupError::io(format!("reading {key}"), error));
                }
            };
            if let Err(error) = sink.write_all(&buffer[..read]) {
                sink.abandon();
                return Err(BackupError::io(to.display().to_string(), error));
            }
            copied += read as u64;
            tally.add(read as u64);
        }
        if copied != size {
            sink.abandon();
            return Err(BackupError::Damaged(format!(
                "{key} is {size} bytes and {copied} came down"
            )));
        }
        sink.finish()?;
        tally.finish();
        Ok(size)
    })
    .await
}

/// Reads the whole archive against its manifest and writes nothing: the manifest's own digest,
/// every entry's path, size and SHA-256 in order, nothing missing, nothing extra, and the
/// compressed stream's own checksum at its end.
pub async fn verify(archive: &Path, progress: OnProgress) -> Result<Manifest> {
    let archive = archive.to_path_buf();
    blocking(move || {
        read_archive(
            &archive,
            progress,
            Step::Verifying,
            &mut |_, _, _, _| Ok(()),
        )
    })
    .await
}

/// Restores `archive` into `target`: refuses a target that holds anything, verifies the whole
/// archive, and only then writes.
pub async fn restore(
    archive: &Path,
    target: &Target,
    progress: OnProgress,
) -> Result<RestoreReport> {
    ensure_empty(target).await?;
    let manifest = verify(archive, progress.clone()).await?;
    let backend = dateline_db::backup::backend_of(&target.database_url)?;
    if manifest.backend != backend_name(backend) {
        return Err(BackupError::Refused(format!(
            "the archive is of a {} site and the target database is {}: an archive restores \
             into the backend it came from",
            manifest.backend,
            backend_name(backend)
        )));
    }
    let latest = dateline_db::backup::latest_schema_version(backend);
    if manifest.schema_version > latest {
        return Err(BackupError::Refused(format!(
            "the archive's database is at schema version {}, newer than this dateline knows \
             ({latest}): restore it with the dateline that made it ({}) or a newer one",
            manifest.schema_version, manifest.dateline_version
        )));
    }
    // Checked again: something may have appeared while the archive was verified.
    ensure_empty(target).await?;

    let mut load = match backend {
        dateline_db::BackendKind::Postgres => Some(
            dateline_db::backup::PostgresLoad::begin(&target.database_url, manifest.schema_version)
                .await?,
        ),
        dateline_db::BackendKind::Sqlite => None,
    };
    let sqlite_file = match backend {
        dateline_db::BackendKind::Sqlite => {
            Some(dateline_db::backup::sqlite_file(&target.database_url)?)
        }
        dateline_db::BackendKind::Postgres => None,
    };
    std::fs::create_dir_all(&target.data_dir)
        .map_err(|e| BackupError::io(format!("creating {}", target.data_dir.display()), e))?;

    let handle = Handle::current();
    let archive_path = archive.to_path_buf();
    let objects = target.objects.store().clone();
    let data_dir = target.data_dir.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<TableLine>(64);
    let reader = blocking(move || {
        let mut write =
            |kind: Kind<'_>, path: &str, size: u64, content: &mut dyn Read| -> Result<()> {
                match kind {
                    Kind::SqliteFile => {
                        let file = sqlite_file.as_deref().ok_or_else(|| {
                            damaged("a SQLite database in an archive of another backend")
                        })?;
                        write_file(file, content, path)
                    }
                    Kind::Data(relative) => write_file(&data_dir.join(relative), content, path),
                    Kind::Object(key) => put_object(&handle, &objects, key, size, content),
                    Kind::Table => {
                        let mut lines = BufReader::new(content);
                        let mut first = true;
                        loop {
                            let mut line = String::new();
                            let read = lines
                                .read_line(&mut line)
                                .map_err(|e| BackupError::io(format!("reading {path}"), e))?;
                            if read == 0 {
                                break;
                            }
                            let line = line.trim_end_matches('\n').to_owned();
                            let message = if first {
                                TableLine::Header(line)
                            } else {
                                TableLine::Row(line)
                            };
                            first = false;
                            if tx.blocking_send(message).is_err() {
                                // The loader stopped on an error of its own; it reports it.
                                return Err(BackupError::Refused(
                                    "the database load stopped".into(),
                                ));
                            }
                        }
                        Ok(())
                    }
                }
            };
        let manifest = read_archive(&archive_path, progress, Step::Restoring, &mut write)?;
        drop(tx);
        Ok(manifest)
    });
    let loader = async {
        while let Some(line) = rx.recv().await {
            if let Some(load) = load.as_mut() {
                match line {
                    TableLine::Header(header) => load.start_table(&header).await?,
                    TableLine::Row(row) => load.row(row).await?,
                }
            }
        }
        Ok::<_, BackupError>(())
    };
    let (read, loaded) = tokio::join!(reader, loader);
    // The loader's own error says more than the reader's "stopped".
    loaded?;
    let manifest = read?;
    if let Some(load) = load {
        load.commit(&manifest.counts.rows).await?;
    }
    let archive_bytes = std::fs::metadata(archive)
        .map(|m| m.len())
        .unwrap_or_default();
    Ok(RestoreReport {
        manifest,
        archive_bytes,
    })
}

enum TableLine {
    Header(String),
    Row(String),
}

/// Writes one file of the target (owner-only, synced, renamed into place), creating its folder.
fn write_file(path: &Path, content: &mut dyn Read, entry: &str) -> Result<()> {
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder)
            .map_err(|e| BackupError::io(format!("creating {}", folder.display()), e))?;
    }
    let mut sink = FileSink::create(path)?;
    match io::copy(content, &mut sink) {
        Ok(_) => sink.finish(),
        Err(error) => {
            sink.abandon();
            Err(BackupError::io(format!("restoring {entry}"), error))
        }
    }?;
    sync_folder_of(path)
}

/// What a pass over the archive does with each verified entry: its kind, path, size and bytes.
type UseEntry<'f> = dyn FnMut(Kind<'_>, &str, u64, &mut dyn Read) -> Result<()> + 'f;

/// Reads the archive from the start: the manifest, its digest, then every entry in manifest
/// order, each checked by size and SHA-256 as `use_entry` consumes it; then the end of the tar
/// and of the compressed stream. Any difference is [`BackupError::Damaged`].
fn read_archive(
    path: &Path,
    progress: OnProgress,
    step: Step,
    use_entry: &mut UseEntry<'_>,
) -> Result<Manifest> {
    let file =
        File::open(path).map_err(|e| BackupError::io(format!("opening {}", path.display()), e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or_default();
    let counted = Counted::new(file, Tally::new(progress, step, total));
    let mut archive = tar::Archive::new(GzDecoder::new(BufReader::with_capacity(
        256 * 1024,
        counted,
    )));
    let mut entries = archive.entries().map_err(read_error)?;

    let manifest_bytes = {
        let mut entry = next_entry(&mut entries, MANIFEST)?;
        if entry.header().size().map_err(read_error)? > MAX_MANIFEST_BYTES {
            return Err(damaged(
                "its manifest is larger than any this dateline reads",
            ));
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(read_error)?;
        bytes
    };
    let digest = {
        let mut entry = next_entry(&mut entries, MANIFEST_DIGEST)?;
        let mut text = String::new();
        (&mut entry)
            .take(256)
            .read_to_string(&mut text)
            .map_err(read_error)?;
        text
    };
    if digest.trim() != sha256_hex(&manifest_bytes) {
        return Err(damaged(
            "its manifest does not match the manifest's SHA-256",
        ));
    }
    let manifest = Manifest::parse(&manifest_bytes)?;

    for expected in &manifest.entries {
        let kind = expected.kind()?;
        let entry = next_entry(&mut entries, &expected.path)?;
        let size = entry.header().size().map_err(read_error)?;
        if size != expected.size {
            return Err(damaged(format!(
                "{} is {size} bytes in the archive and {} in its manifest",
                expected.path, expected.size
            )));
        }
        let mut measured = Measured::new(entry, expected.size, None);
        use_entry(kind, &expected.path, expected.size, &mut measured).map_err(
            |error| match error {
                BackupError::Io { source, .. } if is_read_error(&source) => read_error(source),
                other => other,
            },
        )?;
        let sha256 = measured.finish().map_err(read_error)?;
        if sha256 != expected.sha256 {
            return Err(damaged(format!(
                "{} does not match its SHA-256 in the manifest",
                expected.path
            )));
        }
    }
    if let Some(extra) = entries.next() {
        let path = extra
            .ok()
            .and_then(|entry| entry.path().ok().map(|p| p.display().to_string()))
            .unwrap_or_else(|| "an unreadable entry".to_owned());
        return Err(damaged(format!(
            "it holds {path}, which its manifest does not list"
        )));
    }
    // The rest of the tar's end and the gzip trailer, whose CRC-32 and length the decoder checks
    // (RFC 1952 §2.3.1); then nothing may follow.
    let mut decoder = archive.into_inner();
    io::copy(&mut decoder, &mut io::sink()).map_err(read_error)?;
    let mut rest = decoder.into_inner();
    if !rest.fill_buf().map_err(read_error)?.is_empty() {
        return Err(damaged("something follows the end of the archive"));
    }
    rest.get_mut().tally.finish();
    Ok(manifest)
}

fn next_entry<'a, R: Read>(
    entries: &mut tar::Entries<'a, R>,
    expected: &str,
) -> Result<tar::Entry<'a, R>> {
    let entry = match entries.next() {
        None => {
            return Err(damaged(format!(
                "it ends before {expected}: the archive is truncated"
            )));
        }
        Some(entry) => entry.map_err(read_error)?,
    };
    let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
    if path != expected {
        return Err(damaged(format!(
            "it holds {path:?} where its manifest says {expected:?}"
        )));
    }
    if entry.header().entry_type() != tar::EntryType::Regular {
        return Err(damaged(format!("{path} is not a plain file")));
    }
    Ok(entry)
}

/// A read that failed inside the archive: damage or truncation, in the operator's words.
fn read_error(error: io::Error) -> BackupError {
    let detail = match error.kind() {
        io::ErrorKind::UnexpectedEof => format!("it is truncated ({error})"),
        _ => format!("it is damaged ({error})"),
    };
    damaged(detail)
}

fn is_read_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::UnexpectedEof | io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput
    )
}

/// Refuses a target that holds anything: a file in the data folder, a table in the database,
/// an object in the store. Empty folders are fine (a service may create them in advance).
async fn ensure_empty(target: &Target) -> Result<()> {
    if let Some(found) = first_file(&target.data_dir)? {
        return Err(BackupError::Refused(format!(
            "the data folder {} is not empty (it holds {}): a restore only fills an empty folder",
            target.data_dir.display(),
            found.display()
        )));
    }
    if let Some(found) = dateline_db::backup::existing_contents(&target.database_url).await? {
        return Err(BackupError::Refused(format!(
            "the target database is not empty (it has {found}): a restore only fills an empty \
             database"
        )));
    }
    if let Some(object) = target.objects.store().list(None).next().await {
        let object = object?;
        return Err(BackupError::Refused(format!(
            "the target storage is not empty (it holds {}): a restore only fills empty storage",
            object.location
        )));
    }
    Ok(())
}

/// The first file found under `folder`, if any (a missing folder is empty).
fn first_file(folder: &Path) -> Result<Option<PathBuf>> {
    let listing = match std::fs::read_dir(folder) {
        Ok(listing) => listing,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(BackupError::io(
                format!("reading {}", folder.display()),
                error,
            ));
        }
    };
    for item in listing {
        let item = item.map_err(|e| BackupError::io(format!("reading {}", folder.display()), e))?;
        let path = item.path();
        if item.file_type().is_ok_and(|kind| kind.is_dir()) {
            if let Some(found) = first_file(&path)? {
                return Ok(Some(found));
            }
        } else {
            return Ok(Some(path));
        }
    }
    Ok(None)
}
