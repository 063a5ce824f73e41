//! The manifest: the archive's first entry, saying what it holds and how to check every byte.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{BackupError, Result};

/// What the `format` field holds: a manifest from anything else is not read.
pub(crate) const FORMAT: &str = "dateline-backup";
/// Bumped when an archive made now could not be restored by the code that reads version 1.
pub const FORMAT_VERSION: u32 = 1;

pub(crate) const MANIFEST: &str = "manifest.json";
pub(crate) const MANIFEST_DIGEST: &str = "manifest.json.sha256";
pub(crate) const DATABASE: &str = "database/";
pub(crate) const SQLITE_FILE: &str = "database/dateline.sqlite";
pub(crate) const DATA: &str = "data/";
pub(crate) const OBJECTS: &str = "objects/";

/// The largest manifest read: about two million entries. A bigger one is refused before it is
/// held in memory.
pub(crate) const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The Dateline release that made the archive.
    pub dateline_version: String,
    pub created_at: jiff::Timestamp,
    /// `sqlite` or `postgres`: an archive restores into the backend it came from.
    pub backend: String,
    /// The newest database migration the snapshot had.
    pub schema_version: i64,
    pub counts: Counts,
    /// Every entry after the manifest and its digest, in archive order.
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    /// Rows per database table.
    pub rows: BTreeMap<String, u64>,
    pub objects: u64,
    pub object_bytes: u64,
    pub data_files: u64,
    /// Objects the database refers to that storage did not have when the backup ran: a site
    /// that was already missing them is restored exactly as it was, and says so.
    #[serde(default)]
    pub missing_objects: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub size: u64,
    /// Lower-case hex.
    pub sha256: String,
}

/// What an entry is, from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Kind<'a> {
    SqliteFile,
    /// A PostgreSQL table's rows.
    Table,
    /// A file of the data folder, at this path relative to it.
    Data(&'a str),
    /// A stored object under this key.
    Object(&'a str),
}

impl Manifest {
    /// Reads a manifest and checks everything that can be checked without the entries: the
    /// format, the version, and that every path is one a restore may write.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        struct Head {
            format: Option<String>,
            format_version: Option<u32>,
        }
        let head: Head = serde_json::from_slice(bytes)
            .map_err(|e| damaged(format!("its manifest is not valid JSON ({e})")))?;
        if head.format.as_deref() != Some(FORMAT) {
            return Err(damaged(
                "it is not a Dateline backup (no dateline-backup manifest)",
            ));
        }
        match head.format_version {
            Some(FORMAT_VERSION) => {}
            Some(newer) if newer > FORMAT_VERSION => {
                return Err(damaged(format!(
                    "it is in backup format {newer}, newer than this dateline reads \
                     ({FORMAT_VERSION}): restore it with a newer dateline"
                )));
            }
            other => return Err(damaged(format!("unknown backup format {other:?}"))),
        }
        let manifest: Manifest = serde_json::from_slice(bytes)
            .map_err(|e| damaged(format!("its manifest does not parse ({e})")))?;
        if !matches!(manifest.backend.as_str(), "sqlite" | "postgres") {
            return Err(damaged(format!(
                "unknown database backend {:?}",
                manifest.backend
            )));
        }
        let mut seen = std::collections::HashSet::with_capacity(manifest.entries.len());
        for entry in &manifest.entries {
            let kind = entry.kind()?;
            match (&kind, manifest.backend.as_str()) {
                (Kind::SqliteFile, "sqlite") | (Kind::Table, "postgres") => {}
                (Kind::SqliteFile | Kind::Table, backend) => {
                    return Err(damaged(format!(
                        "the entry {} does not belong in a {backend} backup",
                        entry.path
                    )));
                }
                _ => {}
            }
            if entry.sha256.len() != 64 || hex::decode(&entry.sha256).is_err() {
                return Err(damaged(format!(
                    "the entry {} has no valid SHA-256",
                    entry.path
                )));
            }
            if !seen.insert(entry.path.as_str()) {
                return Err(damaged(format!("the entry {} is listed twice", entry.path)));
            }
        }
        Ok(manifest)
    }
}

impl Entry {
    /// What the entry is. Paths a restore would write outside its target (absolute paths, `..`,
    /// empty or odd segments) are refused here, before any entry is read.
    pub(crate) fn kind(&self) -> Result<Kind<'_>> {
        let path = self.path.as_str();
        if path == SQLITE_FILE {
            return Ok(Kind::SqliteFile);
        }
        if let Some(table) = path.strip_prefix(DATABASE)
            && let Some(name) = table.strip_suffix(".jsonl")
            && !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Ok(Kind::Table);
        }
        if let Some(relative) = path.strip_prefix(DATA)
            && is_plain_relative(relative)
        {
            return Ok(Kind::Data(relative));
        }
        if let Some(key) = path.strip_prefix(OBJECTS)
            && is_plain_relative(relative_key(key))
        {
            return Ok(Kind::Object(key));
        }
        Err(damaged(format!(
            "it holds an entry a restore may not write: {path:?}"
        )))
    }
}

/// Object keys are checked like any relative path; this is the identity, named for reading.
fn relative_key(key: &str) -> &str {
    key
}

/// A relative path of plain segments: no empty, `.` or `..` segment, no backslash or control
/// character, nothing absolute.
pub(crate) fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && !segment.chars().any(|c| c.is_control() || c == '\\')
        })
}

/// SHA-256 of `bytes` as lower-case hex, as the manifest writes it.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

pub(crate) fn damaged(detail: impl Into<String>) -> BackupError {
    BackupError::Damaged(detail.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> Entry {
        Entry {
            path: path.to_owned(),
            size: 0,
            sha256: "0".repeat(64),
        }
    }

    #[test]
    fn entries_that_would_escape_the_target_are_refused() {
        for bad in [
            "data/../../etc/passwd",
            "data//x",
            "data/",
            "data/a/./b",
            "objects/../x",
            "objects/a\\b",
            "objects/a\nb",
            "/etc/passwd",
            "database/../x.jsonl",
            "database/Articles.jsonl",
            "elsewhere/x",
        ] {
            assert!(
                matches!(entry(bad).kind(), Err(BackupError::Damaged(_))),
                "{bad}"
            );
        }
        assert_eq!(
            entry("data/demo-tips-identity.txt").kind().ok(),
            Some(Kind::Data("demo-tips-identity.txt"))
        );
        assert_eq!(
            entry("objects/images/ab/cd.jpg").kind().ok(),
            Some(Kind::Object("images/ab/cd.jpg"))
        );
        assert_eq!(
            entry("database/article_tags.jsonl").kind().ok(),
            Some(Kind::Table)
        );
        assert_eq!(entry(SQLITE_FILE).kind().ok(), Some(Kind::SqliteFile));
    }

    #[test]
    fn only_dateline_manifests_of_a_known_format_are_read() {
        let refused = |json: &str| match Manifest::parse(json.as_bytes()) {
            Err(BackupError::Damaged(message)) => message,
            other => panic!("{json}: {other:?}"),
        };
        assert!(refused("not json").contains("not valid JSON"));
        assert!(refused(r#"{"format":"tarball"}"#).contains("not a Dateline backup"));
        assert!(
            refused(r#"{"format":"dateline-backup","format_version":2}"#)
                .contains("restore it with a newer dateline")
        );
    }
}
