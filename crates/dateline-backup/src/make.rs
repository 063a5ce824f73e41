//! Making an archive: snapshot the database, list and checksum what the archive will hold,
//! write the manifest, then stream every entry into one compressed tar.

use std::collections::BTreeSet;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::write::GzEncoder;
use futures_util::TryStreamExt;
use tokio::runtime::Handle;

use crate::manifest::{
    Counts, DATA, Entry, FORMAT, FORMAT_VERSION, MANIFEST, MANIFEST_DIGEST, Manifest, OBJECTS,
    SQLITE_FILE,
};
use crate::stream::{FileSink, Measured, ObjectReader, ObjectSink, Tally, hash_file};
use crate::{
    BackupError, LEFT_OUT_OF_DATA, Objects, OnProgress, Progress, Result, Step, WORK_PREFIX,
    backend_name, blocking, open_site_database,
};

/// A running site, as a backup reads it.
#[derive(Clone)]
pub struct Site {
    pub database_url: String,
    pub data_dir: PathBuf,
    /// Where the site keeps media, audio and tips ciphertext: its local folder or its bucket.
    pub objects: Objects,
}

/// Where the archive goes.
pub enum Destination {
    /// A file, which must not exist yet.
    File(PathBuf),
    /// An object in a bucket, under this key; `shown` names it for the operator.
    Object {
        objects: Objects,
        key: String,
        shown: String,
    },
}

#[derive(Debug, Clone)]
pub struct BackupReport {
    pub manifest: Manifest,
    /// Where the archive went, for the operator.
    pub location: String,
    /// The archive's size, compressed.
    pub archive_bytes: u64,
}

/// The name a backup made now is given: sorts by time, says what it is.
pub fn archive_name(now: jiff::Timestamp) -> String {
    format!("dateline-backup-{}.tar.gz", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// What one entry is read from while the archive is written.
enum Source {
    File(PathBuf),
    Object(String),
}

struct Planned {
    entry: Entry,
    source: Source,
}

/// Backs up a site that keeps serving: see the crate documentation for what is consistent and
/// why. `progress` is called from worker threads.
pub async fn backup(
    site: &Site,
    destination: Destination,
    progress: OnProgress,
) -> Result<BackupReport> {
    let created_at = jiff::Timestamp::now();
    let store = open_site_database(&site.database_url).await?;
    std::fs::create_dir_all(&site.data_dir)
        .map_err(|e| BackupError::io(format!("opening {}", site.data_dir.display()), e))?;
    // The work folder lives beside the database's data so the copy lands on a disk with room
    // for it; it is never archived itself (WORK_PREFIX), and goes when this function returns.
    let work = tempfile::Builder::new()
        .prefix(WORK_PREFIX)
        .tempdir_in(&site.data_dir)
        .map_err(|e| BackupError::io("creating a work folder", e))?;

    (progress)(Progress {
        step: Step::Snapshot,
        done: 0,
        total: 0,
    });
    let backend = store.backend_kind();
    let mut planned_database = Vec::new();
    let snapshot = match backend {
        dateline_db::BackendKind::Sqlite => {
            let copy = work.path().join("dateline.sqlite");
            let snapshot = store.backup().copy_sqlite(&copy).await?;
            planned_database.push((SQLITE_FILE.to_owned(), copy));
            snapshot
        }
        dateline_db::BackendKind::Postgres => {
            let (snapshot, dumps) = store.backup().dump_postgres(work.path()).await?;
            for dump in dumps {
                planned_database.push((format!("database/{}.jsonl", dump.table), dump.file));
            }
            snapshot
        }
    };
    store.close().await;

    // Listed after the snapshot: every object the snapshot refers to was complete before it
    // was taken (rows name an object only once it is stored), so it is in this listing unless
    // it has been deleted since.
    let listed: Vec<(String, u64)> = site
        .objects
        .list(None)
        .map_ok(|meta| (meta.location.to_string(), meta.size))
        .try_collect()
        .await?;
    let listed: Vec<(String, u64)> = listed
        .into_iter()
        .filter(|(key, _)| !key.starts_with(dateline_core::narration::PARAGRAPH_CACHE_PREFIX))
        .collect();
    let listed_keys: BTreeSet<&str> = listed.iter().map(|(key, _)| key.as_str()).collect();
    let missing_objects: Vec<String> = snapshot
        .referenced_objects
        .iter()
        .filter(|key| !listed_keys.contains(key.as_str()))
        .cloned()
        .collect();
    if !missing_objects.is_empty() {
        tracing::warn!(
            missing = missing_objects.len(),
            first = %missing_objects[0],
            "the database refers to objects storage does not have; the archive records them"
        );
    }
    let data_files = data_files(&site.data_dir, &site.database_url)?;

    let handle = Handle::current();
    let objects = site.objects.clone();
    let data_dir = site.data_dir.clone();
    let schema_version = snapshot.schema_version;
    let rows = snapshot.rows.clone();
    let checksum_progress = progress.clone();
    // Every byte is read once here for the manifest and once more as it is written, where it is
    // checked against the manifest: an object rewritten in between fails the backup rather
    // than making an archive that lies about itself.
    let planned = blocking(move || {
        let total = planned_database
            .iter()
            .map(|(_, path)| file_size(path))
            .chain(
                data_files
                    .iter()
                    .map(|relative| file_size(&data_dir.join(relative))),
            )
            .chain(listed.iter().map(|(_, size)| *size))
            .sum();
        let mut tally = Tally::new(checksum_progress, Step::Checksums, total);
        let mut planned = Vec::new();
        for (path, file) in planned_database {
            let (size, sha256) = hash_file(&file, &mut tally)?;
            planned.push(Planned {
                entry: Entry { path, size, sha256 },
                source: Source::File(file),
            });
        }
        for relative in data_files {
            let file = data_dir.join(&relative);
            let (size, sha256) = hash_file(&file, &mut tally)?;
            planned.push(Planned {
                entry: Entry {
                    path: format!("{DATA}{relative}"),
                    size,
                    sha256,
                },
                source: Source::File(file),
            });
        }
        for (key, size) in listed {
            // Deleted since the listing (a tip's attachment purged, say): left out.
            let Some(reader) = ObjectReader::open(&handle, &objects, &key)? else {
                continue;
            };
            let mut measured = Measured::new(reader, size, Some(&mut tally));
            io::copy(&mut measured, &mut io::sink()).map_err(|e| changed(&key, &e))?;
            let sha256 = measured.finish().map_err(|e| changed(&key, &e))?;
            planned.push(Planned {
                entry: Entry {
                    path: format!("{OBJECTS}{key}"),
                    size,
                    sha256,
                },
                source: Source::Object(key),
            });
        }
        tally.finish();
        Ok(planned)
    })
    .await?;

    let counts = Counts {
        rows,
        objects: planned
            .iter()
            .filter(|p| matches!(p.source, Source::Object(_)))
            .count() as u64,
        object_bytes: planned
            .iter()
            .filter(|p| matches!(p.source, Source::Object(_)))
            .map(|p| p.entry.size)
            .sum(),
        data_files: planned
            .iter()
            .filter(|p| p.entry.path.starts_with(DATA))
            .count() as u64,
        missing_objects,
    };
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        format_version: FORMAT_VERSION,
        dateline_version: env!("CARGO_PKG_VERSION").to_owned(),
        created_at,
        backend: backend_name(backend).to_owned(),
        schema_version,
        counts,
        entries: planned.iter().map(|p| p.entry.clone()).collect(),
    };

    let handle = Handle::current();
    let objects = site.objects.clone();
    let written_manifest = manifest.clone();
    let (location, archive_bytes) = blocking(move || {
        let (sink, location) = match destination {
            Destination::File(path) => (
                Sink::File(FileSink::create(&path)?, 0),
                path.display().to_string(),
            ),
            Destination::Object {
                objects,
                key,
                shown,
            } => (
                Sink::Object(ObjectSink::start(&handle, &objects, &key)?, 0),
                shown,
            ),
        };
        let total = planned.iter().map(|p| p.entry.size).sum();
        let mut tally = Tally::new(progress, Step::Writing, total);
        let mut tar = tar::Builder::new(GzEncoder::new(sink, Compression::default()));
        let written = write_entries(
            &mut tar,
            &written_manifest,
            &planned,
            &handle,
            &objects,
            &mut tally,
        );
        let finished = tar.into_inner().and_then(GzEncoder::finish);
        match (written, finished) {
            (Ok(()), Ok(sink)) => {
                let bytes = sink.finish()?;
                tally.finish();
                Ok((location, bytes))
            }
            (Err(error), Ok(sink)) => {
                sink.abandon();
                Err(error)
            }
            (Ok(()), Err(error)) => Err(BackupError::io("writing the archive", error)),
            (Err(error), Err(_)) => Err(error),
        }
    })
    .await?;
    drop(work);
    Ok(BackupReport {
        manifest,
        location,
        archive_bytes,
    })
}

fn write_entries<W: Write>(
    tar: &mut tar::Builder<W>,
    manifest: &Manifest,
    planned: &[Planned],
    handle: &Handle,
    objects: &Objects,
    tally: &mut Tally,
) -> Result<()> {
    let manifest_bytes = serde_json::to_vec_pretty(manifest)
        .map_err(|e| BackupError::io("writing the manifest", io::Error::other(e)))?;
    let digest = format!("{}\n", crate::manifest::sha256_hex(&manifest_bytes));
    append(
        tar,
        MANIFEST,
        manifest_bytes.len() as u64,
        &mut &manifest_bytes[..],
    )?;
    append(
        tar,
        MANIFEST_DIGEST,
        digest.len() as u64,
        &mut digest.as_bytes(),
    )?;
    for item in planned {
        let entry = &item.entry;
        let reader: Box<dyn Read> = match &item.source {
            Source::File(path) => Box::new(std::fs::File::open(path).map_err(|e| {
                BackupError::Changed(format!(
                    "{} went away during the backup ({e})",
                    path.display()
                ))
            })?),
            Source::Object(key) => match ObjectReader::open(handle, objects, key)? {
                Some(reader) => Box::new(reader),
                None => {
                    return Err(BackupError::Changed(format!(
                        "the object {key} was deleted during the backup"
                    )));
                }
            },
        };
        let mut measured = Measured::new(reader, entry.size, Some(&mut *tally));
        let mut header = header(entry.size);
        tar.append_data(&mut header, &entry.path, &mut measured)
            .map_err(|e| changed(&entry.path, &e))?;
        let sha256 = measured.finish().map_err(|e| changed(&entry.path, &e))?;
        if sha256 != entry.sha256 {
            return Err(BackupError::Changed(format!(
                "{} changed during the backup",
                entry.path
            )));
        }
    }
    Ok(())
}

fn append<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &str,
    size: u64,
    content: &mut dyn Read,
) -> Result<()> {
    tar.append_data(&mut header(size), path, content)
        .map_err(|e| BackupError::io("writing the archive", e))
}

/// A plain file's header, owner-only and undated, so archives differ only where sites do.
fn header(size: u64) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o600);
    header.set_mtime(0);
    header
}

fn changed(what: &str, error: &io::Error) -> BackupError {
    BackupError::Changed(format!("{what} changed while it was read ({error})"))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The data folder's own files, relative to it, in a stable order: everything but what
/// [`LEFT_OUT_OF_DATA`] names, the live database's files (archived from the snapshot) and this
/// tool's own work.
fn data_files(data_dir: &Path, database_url: &str) -> Result<Vec<String>> {
    let database = match dateline_db::backup::backend_of(database_url)? {
        dateline_db::BackendKind::Sqlite => Some(dateline_db::backup::sqlite_file(database_url)?),
        dateline_db::BackendKind::Postgres => None,
    };
    let database_names: Vec<std::ffi::OsString> = database
        .iter()
        .filter(|file| same_folder(file, data_dir))
        .filter_map(|file| file.file_name())
        .flat_map(|name| {
            ["", "-wal", "-shm", "-journal"].map(|suffix| {
                let mut name = name.to_owned();
                name.push(suffix);
                name
            })
        })
        .collect();
    let mut found = Vec::new();
    let mut folders = vec![PathBuf::new()];
    while let Some(relative) = folders.pop() {
        let folder = data_dir.join(&relative);
        let listing = std::fs::read_dir(&folder)
            .map_err(|e| BackupError::io(format!("reading {}", folder.display()), e))?;
        for item in listing {
            let item =
                item.map_err(|e| BackupError::io(format!("reading {}", folder.display()), e))?;
            let name = item.file_name();
            let top = relative.as_os_str().is_empty();
            let name_text = name.to_string_lossy();
            if name_text.starts_with(WORK_PREFIX)
                || (top && LEFT_OUT_OF_DATA.contains(&name_text.as_ref()))
                || (top && database_names.contains(&name))
            {
                continue;
            }
            let path = relative.join(&name);
            let kind = item
                .file_type()
                .map_err(|e| BackupError::io(format!("reading {}", path.display()), e))?;
            if kind.is_dir() {
                folders.push(path);
            } else if kind.is_file() {
                let text = path.to_str().ok_or_else(|| {
                    BackupError::Refused(format!(
                        "{} in the data folder has a name that is not UTF-8",
                        path.display()
                    ))
                })?;
                found.push(text.to_owned());
            }
            // Symbolic links and sockets are not the site's data.
        }
    }
    found.sort();
    Ok(found)
}

fn same_folder(file: &Path, folder: &Path) -> bool {
    let parent = file.parent().unwrap_or(Path::new(""));
    match (parent.canonicalize(), folder.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => parent == folder,
    }
}

/// Where the archive is being written, counting the compressed bytes.
enum Sink {
    File(FileSink, u64),
    Object(ObjectSink, u64),
}

impl Sink {
    /// Makes the archive appear under its name, whole; returns its size.
    fn finish(self) -> Result<u64> {
        match self {
            Sink::File(file, bytes) => file.finish().map(|()| bytes),
            Sink::Object(object, bytes) => object.finish().map(|()| bytes),
        }
    }
}

impl Sink {
    /// Leaves nothing under the archive's name: a failed backup is not mistaken for one.
    fn abandon(self) {
        match self {
            Sink::File(file, _) => file.abandon(),
            Sink::Object(object, _) => object.abandon(),
        }
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (written, count) = match self {
            Sink::File(file, count) => (file.write(buf)?, count),
            Sink::Object(object, count) => (object.write(buf)?, count),
        };
        *count += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::File(file, _) => file.flush(),
            Sink::Object(object, _) => object.flush(),
        }
    }
}
