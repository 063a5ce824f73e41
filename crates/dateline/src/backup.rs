//! `dateline backup` and `dateline restore`: parse, call `dateline_backup`, show progress, print.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use dateline_backup::{Destination, OnProgress, Site, Step, Target, TargetObjects};
use dateline_storage::{MediaStore, S3Bucket};

use crate::config::{Config, Storage};

/// Archives written to a bucket go under this prefix, beside nothing the site stores.
const BUCKET_PREFIX: &str = "backups/";

/// The site's objects: its media folder or its bucket.
fn site_objects(config: &Config) -> anyhow::Result<dateline_backup::Objects> {
    let media = match &config.storage {
        Storage::Local => MediaStore::local(&config.media_dir())
            .with_context(|| format!("opening media folder {}", config.media_dir().display()))?,
        Storage::S3(bucket) => MediaStore::s3(bucket)?,
    };
    Ok(media.object_store())
}

pub async fn backup(config: &Config, to: Option<&str>) -> anyhow::Result<()> {
    let name = dateline_backup::archive_name(jiff::Timestamp::now());
    let destination = match to {
        Some(url) if url.starts_with("s3://") => {
            let bucket = S3Bucket::from_url(url, |key| std::env::var(key).ok())?;
            let key = format!("{BUCKET_PREFIX}{name}");
            Destination::Object {
                objects: MediaStore::s3(&bucket)?.object_store(),
                shown: format!(
                    "{} key {key} (restore it with `dateline restore s3://{}/{key}?…`, the \
                     bucket's parameters after the ?)",
                    bucket.display_url(),
                    bucket.bucket
                ),
                key,
            }
        }
        Some(path) if Path::new(path).is_dir() => Destination::File(Path::new(path).join(&name)),
        Some(path) => Destination::File(PathBuf::from(path)),
        None => Destination::File(PathBuf::from(&name)),
    };
    let site = Site {
        database_url: config.database_url.clone(),
        data_dir: config.data_dir.clone(),
        objects: site_objects(config)?,
    };
    let started = Instant::now();
    let (bar, progress) = progress_bar()?;
    let report = dateline_backup::backup(&site, destination, progress).await;
    bar.finish_and_clear();
    let report = report?;
    let counts = &report.manifest.counts;
    println!(
        "Backed up {} rows, {} objects ({:.1} MB) and {} data files into {} ({:.1} MB) in {:.1} s.",
        counts.rows.values().sum::<u64>(),
        counts.objects,
        counts.object_bytes as f64 / 1e6,
        counts.data_files,
        report.location,
        report.archive_bytes as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    if !counts.missing_objects.is_empty() {
        println!(
            "Note: the database refers to {} objects storage did not have (the site was missing \
             them before the backup), e.g. {}",
            counts.missing_objects.len(),
            counts.missing_objects[0]
        );
    }
    Ok(())
}

/// `dateline restore SOURCE`: a file, or `s3://BUCKET/KEY?endpoint=…`, which is downloaded
/// beside the data folder first (a restore reads its archive twice) and removed afterwards.
pub async fn restore(config: &Config, source: &str) -> anyhow::Result<()> {
    let Some((bucket_url, key)) = bucket_and_key(source) else {
        return restore_file(config, Path::new(source)).await;
    };
    let bucket = S3Bucket::from_url(&bucket_url, |name| std::env::var(name).ok())?;
    let objects = MediaStore::s3(&bucket)?.object_store();
    let name = key.rsplit('/').next().unwrap_or("archive");
    let beside = config
        .data_dir
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let local = beside.join(format!(".dateline-restore-{name}"));
    let (bar, progress) = progress_bar()?;
    let downloaded = dateline_backup::download(&objects, &key, &local, progress).await;
    bar.finish_and_clear();
    let bytes =
        downloaded.with_context(|| format!("downloading {key} from {}", bucket.display_url()))?;
    println!(
        "Downloaded {key} ({:.1} MB) from {}.",
        bytes as f64 / 1e6,
        bucket.display_url()
    );
    let restored = restore_file(config, &local).await;
    if let Err(error) = std::fs::remove_file(&local) {
        eprintln!(
            "Could not remove the downloaded copy {}: {error}",
            local.display()
        );
    }
    restored
}

/// `s3://BUCKET/KEY?query` as the bucket's URL (`s3://BUCKET?query`) and the key; `None` for
/// anything that is not an `s3://` URL naming a key.
fn bucket_and_key(source: &str) -> Option<(String, String)> {
    let rest = source.strip_prefix("s3://")?;
    let (location, query) = match rest.split_once('?') {
        Some((location, query)) => (location, Some(query)),
        None => (rest, None),
    };
    let (bucket, key) = location.split_once('/')?;
    let key = key.trim_start_matches('/');
    if bucket.is_empty() || key.is_empty() {
        return None;
    }
    let bucket_url = match query {
        Some(query) => format!("s3://{bucket}?{query}"),
        None => format!("s3://{bucket}"),
    };
    Some((bucket_url, key.to_owned()))
}

async fn restore_file(config: &Config, archive: &Path) -> anyhow::Result<()> {
    let target = Target {
        database_url: config.database_url.clone(),
        data_dir: config.data_dir.clone(),
        objects: TargetObjects::Store(site_objects(config)?),
    };
    let started = Instant::now();
    let (bar, progress) = progress_bar()?;
    let report = dateline_backup::restore(archive, &target, progress).await;
    bar.finish_and_clear();
    let report = report?;
    let manifest = &report.manifest;
    println!(
        "Restored the {} backup of {} ({} rows, {} objects, {} data files) into {} in {:.1} s. \
         `dateline serve` rebuilds the search index on its first start.",
        manifest.backend,
        manifest.created_at,
        manifest.counts.rows.values().sum::<u64>(),
        manifest.counts.objects,
        manifest.counts.data_files,
        config.data_dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One bar that each step takes over: its label, its byte count.
fn progress_bar() -> anyhow::Result<(indicatif::ProgressBar, OnProgress)> {
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} {msg:22} [{bar:40}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let shown = bar.clone();
    let last_step = std::sync::Mutex::new(None::<Step>);
    let progress: OnProgress = Arc::new(move |progress| {
        let mut last = last_step.lock().unwrap_or_else(|e| e.into_inner());
        if *last != Some(progress.step) {
            *last = Some(progress.step);
            shown.set_message(progress.step.label());
            shown.reset_elapsed();
        }
        shown.set_length(progress.total);
        shown.set_position(progress.done);
    });
    Ok((bar, progress))
}

#[cfg(test)]
mod tests {
    use super::bucket_and_key;

    #[test]
    fn an_s3_source_splits_into_the_bucket_and_the_key() {
        assert_eq!(
            bucket_and_key(
                "s3://news-backups/backups/dateline-backup-1.tar.gz?endpoint=http://127.0.0.1:9000&region=x"
            ),
            Some((
                "s3://news-backups?endpoint=http://127.0.0.1:9000&region=x".to_owned(),
                "backups/dateline-backup-1.tar.gz".to_owned()
            ))
        );
        assert_eq!(
            bucket_and_key("s3://news-backups/a.tar.gz"),
            Some(("s3://news-backups".to_owned(), "a.tar.gz".to_owned()))
        );
        assert_eq!(
            bucket_and_key("s3://news-backups?endpoint=x"),
            None,
            "no key"
        );
        assert_eq!(bucket_and_key("s3://news-backups/"), None, "no key");
        assert_eq!(bucket_and_key("backups/a.tar.gz"), None, "a file");
    }
}
