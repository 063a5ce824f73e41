//! `manifest.json`: what an export holds, so an import can check every file before it writes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The `format` field of every manifest.
pub const FORMAT: &str = "dateline-export";
/// The version of `docs/export-format.md` this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    pub exported_at: jiff::Timestamp,
    pub dateline_version: String,
    /// The database migration the exporting site was at, for the record.
    pub schema: i64,
    /// The exporting site's public address, when the exporter knew it.
    pub site_url: Option<String>,
    /// Whether narration audio (`article_audio.jsonl` and its files) is in.
    pub audio: bool,
    /// Rows per table (each table's file has exactly this many lines).
    pub tables: BTreeMap<String, u64>,
    /// Every file of the export but this one, by its path in the folder.
    pub files: BTreeMap<String, FileEntry>,
    /// Objects the site's rows named that its storage did not have (it was missing them
    /// before the export): the rows are exported all the same.
    pub missing_objects: Vec<String>,
    /// Kinds this version of the format has a file for but that this site cannot hold yet.
    pub pending: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub bytes: u64,
    /// Lowercase hex SHA-256 of the file.
    pub sha256: String,
    /// Lines of a `.jsonl` file; absent for media.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<u64>,
}
