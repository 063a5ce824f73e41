//! `dateline backup` and `dateline restore`: one archive that brings a site back exactly.
//!
//! An archive is one gzip-compressed tar file, written as a stream (to a local file or to object
//! storage) and read as one:
//!
//! ```text
//! manifest.json            what the archive is and the size and SHA-256 of every entry below
//! manifest.json.sha256     the manifest's own SHA-256, so a damaged manifest is noticed too
//! database/…               SQLite: the database file; PostgreSQL: one JSON-lines file per table
//! data/…                   the data folder's own files: per-install secrets such as a tips identity
//! objects/…                every stored object: pictures and their variants, narration audio,
//!                          encrypted tip attachments
//! ```
//!
//! A backup is consistent while the site serves: the database is read from one snapshot (see
//! `dateline_db::backup`), and objects are immutable by key and appear whole or not at all (a
//! local folder renames a finished file into place; S3 shows an object once its upload
//! completes). The archive holds every object the snapshot refers to plus every object that
//! exists when the objects are listed, which comes after the snapshot.
//!
//! A restore reads the whole archive and checks it against its manifest before it writes
//! anything, and only ever fills an empty data folder, database and storage.

mod make;
mod manifest;
mod restore;
mod stream;

use std::sync::Arc;

use dateline_db::{BackendKind, DbError, Store};
use object_store::ObjectStore;

pub use make::{BackupReport, Destination, Site, archive_name, backup};
pub use manifest::{Counts, Entry, FORMAT_VERSION, Manifest};
pub use restore::{RestoreReport, Target, TargetObjects, download, restore, verify};

/// Where a long step stands, in bytes, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub step: Step,
    pub done: u64,
    pub total: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Copying or dumping the database (no byte counts: SQLite copies in one statement).
    Snapshot,
    /// Reading every object and data file once to write the manifest's checksums.
    Checksums,
    /// Writing the archive.
    Writing,
    /// Reading the whole archive against its manifest, before anything is restored.
    Verifying,
    /// Writing the database, the data folder and the objects.
    Restoring,
    /// Copying an archive out of a bucket into a local file, which a restore reads twice.
    Downloading,
}

impl Step {
    /// What the step does, in the words of a progress bar.
    pub fn label(self) -> &'static str {
        match self {
            Step::Snapshot => "copying the database",
            Step::Checksums => "checksumming",
            Step::Writing => "writing the archive",
            Step::Verifying => "verifying",
            Step::Restoring => "restoring",
            Step::Downloading => "downloading",
        }
    }
}

/// Called from worker threads as a step advances.
pub type OnProgress = Arc<dyn Fn(Progress) + Send + Sync>;

/// Objects as the site stores them, shared between threads.
pub type Objects = Arc<dyn ObjectStore>;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The archive is not one this build can trust: damaged, truncated, not a Dateline backup,
    /// or of a newer format. Found before anything was written.
    #[error("the archive cannot be restored: {0}. Nothing was written.")]
    Damaged(String),
    /// The restore would not bring the site back as it was (a target that holds something, a
    /// different database backend, a newer schema). Found before anything was written.
    #[error("{0}. Nothing was written.")]
    Refused(String),
    /// The site changed underneath the backup in a way a retry gets past (an object deleted or
    /// rewritten while the archive was made).
    #[error("{0}; run the backup again")]
    Changed(String),
    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("storage: {0}")]
    Storage(#[from] object_store::Error),
}

impl BackupError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        BackupError::Io {
            context: context.into(),
            source,
        }
    }
}

pub type Result<T, E = BackupError> = std::result::Result<T, E>;

/// The backend's name as the manifest writes it.
pub(crate) fn backend_name(backend: BackendKind) -> &'static str {
    match backend {
        BackendKind::Sqlite => "sqlite",
        BackendKind::Postgres => "postgres",
    }
}

/// Runs blocking work (tar, gzip, files) on tokio's blocking pool; a panic there comes back as
/// an error rather than taking the command down without a word.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        BackupError::io("worker thread", std::io::Error::other(error.to_string()))
    })?
}

/// The store of a database URL, opened as it is (no migration runs on a live site).
pub async fn open_site_database(url: &str) -> Result<Store> {
    Ok(Store::open_existing(url).await?)
}

/// Files and folders of a data folder that are not archived: rebuilt or fetched again by
/// Dateline itself, or archived another way.
pub(crate) const LEFT_OUT_OF_DATA: &[&str] = &[
    // The search index: `serve` rebuilds a missing index from the database.
    "index",
    // The neural voice's assets (about 110 MB): `dateline voices install` fetches them again.
    "voices", // The local object store: archived object by object under objects/.
    "media",
];

/// The prefix of an archive's temporary folders and unfinished files, never archived themselves.
pub(crate) const WORK_PREFIX: &str = ".dateline-backup-";
