//! `dateline import dateline DIR`: verify the folder against its manifest, then load it.

use std::collections::BTreeMap;
use std::io::{BufRead, Read};
use std::path::Path;

use dateline_db::export::{Part, TABLES, table as export_table};
use dateline_usecases::{Actor, Context, site_import};
use sha2::{Digest, Sha256};

use crate::json::parse_line;
use crate::manifest::{FORMAT, Manifest, VERSION};
use crate::{ExportError, media_path};

/// Rows handed to the store at a time.
const BATCH_ROWS: usize = 500;

#[derive(Debug, Clone)]
pub struct ImportReport {
    pub manifest: Manifest,
    /// Rows loaded per table.
    pub rows: BTreeMap<String, u64>,
    pub objects: u64,
}

/// Reads `folder`'s manifest and checks every file it lists (size and SHA-256) and that every
/// file the format needs is there. Writes nothing.
pub fn verify(folder: &Path) -> Result<Manifest, ExportError> {
    let manifest_path = folder.join("manifest.json");
    let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ExportError::Invalid(format!(
                "{} has no manifest.json: not a Dateline export, or one that did not finish",
                folder.display()
            ))
        } else {
            ExportError::io(&manifest_path, e)
        }
    })?;
    // The version first, so a newer export is told apart from a damaged one.
    let head: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| ExportError::Invalid(format!("{}: not JSON: {e}", manifest_path.display())))?;
    if head.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(ExportError::Invalid(format!(
            "{} is not a Dateline export manifest (its format is not {FORMAT:?}). A WordPress, \
             Ghost or Disqus export is imported with `dateline import wordpress|ghost|disqus`",
            manifest_path.display()
        )));
    }
    match head.get("version").and_then(|v| v.as_u64()) {
        Some(version) if version == u64::from(VERSION) => {}
        Some(version) if version > u64::from(VERSION) => {
            return Err(ExportError::Invalid(format!(
                "this export is format version {version}; this Dateline reads version {VERSION}: \
                 import it with a newer Dateline"
            )));
        }
        other => {
            return Err(ExportError::Invalid(format!(
                "{}: unknown format version {other:?}",
                manifest_path.display()
            )));
        }
    }
    let manifest: Manifest = serde_json::from_value(head)
        .map_err(|e| ExportError::Invalid(format!("{}: {e}", manifest_path.display())))?;

    for name in manifest.tables.keys() {
        if export_table(name).is_none() {
            return Err(ExportError::Invalid(format!(
                "the export has a table {name:?} this Dateline does not know: import it with the \
                 Dateline that made it, or a newer one"
            )));
        }
    }
    // Exports from builds before static pages listed "pages" as pending and have no page files:
    // they import with no pages.
    let without_pages = manifest.pending.iter().any(|kind| kind == "pages");
    for table in TABLES {
        let pending = without_pages && matches!(table.name, "pages" | "page_revisions");
        let needed = (table.part == Part::Always || manifest.audio) && !pending;
        let entry = manifest.files.get(&table.file());
        match (needed, entry) {
            (true, None) => {
                return Err(ExportError::Invalid(format!(
                    "the manifest lists no {}: the export is incomplete",
                    table.file()
                )));
            }
            (_, Some(entry)) if entry.lines != manifest.tables.get(table.name).copied() => {
                return Err(ExportError::Invalid(format!(
                    "the manifest's line count for {} does not match its row count",
                    table.file()
                )));
            }
            _ => {}
        }
    }
    for (path, entry) in &manifest.files {
        let is_table = path.ends_with(".jsonl") && !path.contains('/');
        if !is_table {
            let key = path.strip_prefix("media/").ok_or_else(|| {
                ExportError::Invalid(format!("the manifest lists {path:?}, outside media/"))
            })?;
            media_path(key)?;
        }
        let file_path = folder.join(path);
        let mut file = std::fs::File::open(&file_path).map_err(|e| {
            ExportError::Invalid(format!(
                "{path} is listed in the manifest but cannot be read: {e}"
            ))
        })?;
        let mut hash = Sha256::new();
        let mut bytes = 0u64;
        let mut lines = 0u64;
        let mut buffer = vec![0; 64 * 1024];
        loop {
            let read = file
                .read(&mut buffer)
                .map_err(|e| ExportError::io(&file_path, e))?;
            if read == 0 {
                break;
            }
            hash.update(&buffer[..read]);
            lines += buffer[..read].iter().filter(|&&b| b == b'\n').count() as u64;
            bytes += read as u64;
        }
        if bytes != entry.bytes || hex::encode(hash.finalize()) != entry.sha256 {
            return Err(ExportError::Invalid(format!(
                "{path} does not match the manifest ({bytes} bytes, the manifest says {}): the \
                 copy is damaged or was changed after the export; nothing was imported",
                entry.bytes
            )));
        }
        if let Some(expected) = entry.lines
            && expected != lines
        {
            return Err(ExportError::Invalid(format!(
                "{path} has {lines} lines, the manifest says {expected}"
            )));
        }
    }
    Ok(manifest)
}

/// Verifies `folder`, then loads it into the (empty) site of `ctx` as `actor`, in one
/// transaction. `progress` hears each table's name and rows as it is done.
pub async fn import(
    ctx: &Context,
    actor: &Actor,
    folder: &Path,
    mut progress: impl FnMut(&str, u64),
) -> Result<ImportReport, ExportError> {
    let manifest = verify(folder)?;
    let mut import = site_import::begin(ctx, actor).await?;
    let mut rows = BTreeMap::new();
    for table in TABLES {
        if !manifest.files.contains_key(&table.file()) {
            continue;
        }
        let path = folder.join(table.file());
        let file = std::fs::File::open(&path).map_err(|e| ExportError::io(&path, e))?;
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut count = 0u64;
        for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
            let line = line.map_err(|e| ExportError::io(&path, e))?;
            let row = parse_line(table, &line).map_err(|problem| {
                ExportError::Invalid(format!(
                    "{} line {}: {problem}; nothing was imported",
                    table.file(),
                    n + 1
                ))
            })?;
            batch.push(row);
            if batch.len() == BATCH_ROWS {
                import.rows(table, &batch).await?;
                count += batch.len() as u64;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            import.rows(table, &batch).await?;
            count += batch.len() as u64;
        }
        progress(table.name, count);
        rows.insert(table.name.to_owned(), count);
    }
    for (table, count) in &rows {
        let expected = manifest.tables.get(table).copied().unwrap_or(0);
        if *count != expected {
            return Err(ExportError::Invalid(format!(
                "{table}.jsonl gave {count} rows, the manifest says {expected}; nothing was \
                 imported"
            )));
        }
    }
    import.rows_done().await?;
    let mut objects = 0;
    for path in manifest.files.keys() {
        let Some(key) = path.strip_prefix("media/") else {
            continue;
        };
        let file_path = folder.join(path);
        let bytes = std::fs::read(&file_path).map_err(|e| ExportError::io(&file_path, e))?;
        import.object(key, bytes).await?;
        objects += 1;
    }
    progress("media", objects);
    import.commit().await?;
    Ok(ImportReport {
        manifest,
        rows,
        objects,
    })
}
