//! `dateline export --to DIR`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use dateline_db::Store;
use dateline_db::export::{Part, TABLES};
use dateline_storage::MediaStore;
use sha2::{Digest, Sha256};

use crate::json::{object_keys, row_line};
use crate::manifest::{FORMAT, FileEntry, Manifest, VERSION};
use crate::{ExportError, media_path};

/// Rows read from the database at a time: memory stays at one batch whatever the site's size.
const BATCH_ROWS: usize = 500;

#[derive(Debug, Clone, Default)]
pub struct ExportOptions {
    /// Leave out narration audio (rows and files); the importing site narrates again.
    pub no_audio: bool,
    /// The site's public address, recorded in the manifest.
    pub site_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ExportReport {
    pub manifest: Manifest,
    pub folder: PathBuf,
}

/// A file being written with its digest and line count kept as it goes.
struct HashedFile {
    path: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
    hash: Sha256,
    bytes: u64,
    lines: u64,
}

impl HashedFile {
    fn create(path: PathBuf) -> Result<Self, ExportError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ExportError::io(parent, e))?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| ExportError::io(&path, e))?;
        Ok(HashedFile {
            out: std::io::BufWriter::new(file),
            path,
            hash: Sha256::new(),
            bytes: 0,
            lines: 0,
        })
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), ExportError> {
        self.out
            .write_all(bytes)
            .map_err(|e| ExportError::io(&self.path, e))?;
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn line(&mut self, line: &str) -> Result<(), ExportError> {
        self.write(line.as_bytes())?;
        self.write(b"\n")?;
        self.lines += 1;
        Ok(())
    }

    /// Flushes to disk and says what was written.
    fn finish(mut self, lines: bool) -> Result<FileEntry, ExportError> {
        self.out
            .flush()
            .map_err(|e| ExportError::io(&self.path, e))?;
        self.out
            .get_ref()
            .sync_all()
            .map_err(|e| ExportError::io(&self.path, e))?;
        Ok(FileEntry {
            bytes: self.bytes,
            sha256: hex::encode(self.hash.finalize()),
            lines: lines.then_some(self.lines),
        })
    }
}

/// Writes the whole site into `folder` (created; it must be missing or empty). `progress` hears
/// each table's name and rows as it is done.
pub async fn export(
    store: &Store,
    media: &MediaStore,
    folder: &Path,
    options: &ExportOptions,
    mut progress: impl FnMut(&str, u64),
) -> Result<ExportReport, ExportError> {
    let exported_at = jiff::Timestamp::now();
    prepare_folder(folder)?;
    let mut files = BTreeMap::new();
    let mut tables = BTreeMap::new();
    let mut objects = BTreeSet::new();
    let mut snapshot = store.export_snapshot().await?;
    let schema = snapshot.schema_version().await?;
    for table in TABLES {
        if table.part == Part::Audio && options.no_audio {
            continue;
        }
        let mut file = HashedFile::create(folder.join(table.file()))?;
        let mut last = None;
        loop {
            let batch = snapshot.rows(table, last.as_deref(), BATCH_ROWS).await?;
            if batch.is_empty() {
                break;
            }
            for row in &batch {
                file.line(&row_line(table, row)?)?;
                objects.extend(object_keys(table, row)?);
            }
            last = batch.into_iter().next_back();
        }
        let entry = file.finish(true)?;
        progress(table.name, entry.lines.unwrap_or(0));
        tables.insert(table.name.to_owned(), entry.lines.unwrap_or(0));
        files.insert(table.file(), entry);
    }
    snapshot.finish().await?;

    let mut missing_objects = Vec::new();
    let mut copied = 0;
    for key in objects {
        let path = media_path(&key)?;
        match media.get(&key).await? {
            Some(bytes) => {
                let mut file = HashedFile::create(folder.join(&path))?;
                file.write(&bytes)?;
                files.insert(path, file.finish(false)?);
                copied += 1;
            }
            None => missing_objects.push(key),
        }
    }
    progress("media", copied);

    let manifest = Manifest {
        format: FORMAT.to_owned(),
        version: VERSION,
        exported_at,
        dateline_version: env!("CARGO_PKG_VERSION").to_owned(),
        schema,
        site_url: options.site_url.clone(),
        audio: !options.no_audio,
        tables,
        files,
        missing_objects,
        // Every kind of the format has its file in this build (static pages included).
        pending: Vec::new(),
    };
    write_manifest(folder, &manifest)?;
    Ok(ExportReport {
        manifest,
        folder: folder.to_owned(),
    })
}

fn prepare_folder(folder: &Path) -> Result<(), ExportError> {
    std::fs::create_dir_all(folder).map_err(|e| ExportError::io(folder, e))?;
    let mut entries = std::fs::read_dir(folder).map_err(|e| ExportError::io(folder, e))?;
    if entries.next().is_some() {
        return Err(ExportError::Invalid(format!(
            "{} is not empty: an export goes into a new or empty folder",
            folder.display()
        )));
    }
    Ok(())
}

/// The manifest goes last, and atomically: a folder with a manifest is a finished export.
fn write_manifest(folder: &Path, manifest: &Manifest) -> Result<(), ExportError> {
    let text = serde_json::to_string_pretty(manifest)
        .map_err(|e| ExportError::Invalid(format!("manifest: {e}")))?;
    let partial = folder.join("manifest.json.partial");
    let mut file = HashedFile::create(partial.clone())?;
    file.write(text.as_bytes())?;
    file.write(b"\n")?;
    file.finish(false)?;
    let target = folder.join("manifest.json");
    std::fs::rename(&partial, &target).map_err(|e| ExportError::io(&target, e))?;
    Ok(())
}
