//! `dateline export`: parse, call `dateline_export`, print what was written.

use std::path::Path;

use anyhow::Context as _;
use dateline_db::Store;
use dateline_storage::MediaStore;

use crate::config::Config;

pub async fn run(
    config: &Config,
    store: &Store,
    media: &MediaStore,
    to: Option<&Path>,
    no_audio: bool,
    wxr: Option<&Path>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        to.is_some() || wxr.is_some(),
        "say where to write: --to DIR (Dateline's open format) and/or --wxr FILE (WordPress)"
    );
    if let Some(folder) = to {
        let started = std::time::Instant::now();
        let options = dateline_export::ExportOptions {
            no_audio,
            site_url: Some(config.base_url.clone()),
        };
        let report = dateline_export::export(store, media, folder, &options, |table, rows| {
            println!("{table:<22} {rows:>9}");
        })
        .await
        .with_context(|| format!("exporting into {}", folder.display()))?;
        let manifest = &report.manifest;
        println!(
            "Exported {} rows and {} files ({:.1} MB) into {} in {:.1} s.",
            manifest.tables.values().sum::<u64>(),
            manifest.files.len(),
            manifest.files.values().map(|f| f.bytes).sum::<u64>() as f64 / 1e6,
            folder.display(),
            started.elapsed().as_secs_f64()
        );
        if !manifest.missing_objects.is_empty() {
            println!(
                "Note: the site's rows name {} objects its storage does not have (e.g. {}); \
                 they are listed in the manifest.",
                manifest.missing_objects.len(),
                manifest.missing_objects[0]
            );
        }
    }
    if let Some(file) = wxr {
        let out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(file)
            .with_context(|| format!("creating {} (it must not exist)", file.display()))?;
        let mut out = std::io::BufWriter::new(out);
        let counts = dateline_export::wxr::write(store, &config.base_url, &mut out)
            .await
            .with_context(|| format!("writing {}", file.display()))?;
        std::io::Write::flush(&mut out).with_context(|| format!("writing {}", file.display()))?;
        println!(
            "Wrote {}: {} posts, {} pages, {} categories, {} tags, {} authors, {} comments, \
             {} live coverage entries, {} attachments.",
            file.display(),
            counts.posts,
            counts.pages,
            counts.categories,
            counts.tags,
            counts.authors,
            counts.comments,
            counts.live_entries,
            counts.attachments
        );
    }
    Ok(())
}
