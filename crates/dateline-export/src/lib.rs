//! Leaving Dateline, and coming back: the open export format of `docs/export-format.md`.
//!
//! - [`export`] writes a site into a folder: one JSON-lines file per table of
//!   `dateline_db::export::TABLES`, the media objects the rows name under `media/`, and a
//!   `manifest.json` with the format version, the lines per file and every file's SHA-256,
//!   written last (a folder without a manifest is an export that did not finish).
//! - [`verify`] checks a folder against its manifest; [`import`] verifies first, then loads
//!   everything into an empty site through `dateline_usecases::site_import`, in one transaction.
//! - [`wxr`] writes WordPress eXtended RSS 1.2 for a newsroom that leaves for WordPress.
//!
//! Unlike `dateline-backup` (an archive of this installation for this installation), the
//! export is for other software: plain files, documented field by field, no database dialect.

mod json;
mod manifest;
mod read;
mod write;
pub mod wxr;

pub use manifest::{FORMAT, FileEntry, Manifest, VERSION};
pub use read::{ImportReport, import, verify};
pub use write::{ExportOptions, ExportReport, export};

/// Why an export or an import stopped. Messages are for the operator at the command line and
/// say which file (and line) is at fault.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// The folder is not an export this build can read, or it does not match its manifest.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] dateline_db::DbError),
    #[error(transparent)]
    Media(#[from] dateline_storage::MediaError),
    #[error(transparent)]
    UseCase(#[from] dateline_usecases::UseCaseError),
}

impl ExportError {
    fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ExportError::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

/// Where an object of media storage goes in an export, refusing keys that would leave the
/// folder (`..`, absolute paths): an export file names them, and it is input like any other.
fn media_path(key: &str) -> Result<String, ExportError> {
    let safe = !key.is_empty()
        && !key.starts_with('/')
        && !key.contains('\\')
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if safe {
        Ok(format!("media/{key}"))
    } else {
        Err(ExportError::Invalid(format!(
            "the object key {key:?} is not a plain relative path"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_paths_stay_inside_the_folder() {
        assert_eq!(
            media_path("images/ab/cd.jpg").expect("plain"),
            "media/images/ab/cd.jpg"
        );
        for bad in [
            "../etc/passwd",
            "/etc/passwd",
            "images/../../x",
            "a//b",
            "",
            "a\\b",
        ] {
            assert!(media_path(bad).is_err(), "{bad}");
        }
    }
}
