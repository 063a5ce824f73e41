//! `dateline storage migrate --to s3://…`: copies a site's local media folder (pictures, narration,
//! the paragraph cache, tips ciphertext) into an S3 bucket, every object verified, and says what
//! to change in the configuration afterwards.
//!
//! Objects are content-addressed or written once, so the copy can run while the site serves:
//! whatever is uploaded meanwhile is caught by running it again after the switch, which skips
//! every object already there and equal.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, bail};
use dateline_storage::{Copied, MediaStore, S3Bucket, StoredObject};
use futures_util::{StreamExt, TryStreamExt};

/// Objects copied at once: S3 requests are latency-bound, so a few in flight keep the link busy;
/// large objects are already sent a few parts at a time.
const COPIES_IN_FLIGHT: usize = 8;

/// Keys of failed copies listed at the end; the rest are counted.
const FAILURES_SHOWN: usize = 20;

/// What a migration did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Migration {
    /// Objects written and read back equal.
    pub copied: u64,
    pub copied_bytes: u64,
    /// Objects already in the bucket, equal: not written again.
    pub already_there: u64,
    /// Keys that could not be copied, with why.
    pub failed: Vec<(String, String)>,
}

/// Copies every object of `source` into `target`, `progress` told the bytes done after each
/// object (and the total first). One failure does not stop the others: they are all reported.
pub async fn copy_all(
    source: &MediaStore,
    target: &MediaStore,
    progress: &(dyn Fn(Progress) + Sync),
) -> anyhow::Result<Migration> {
    let objects: Vec<StoredObject> = source
        .objects()
        .try_collect()
        .await
        .context("listing the local media folder")?;
    let total_bytes = objects.iter().map(|object| object.size).sum();
    progress(Progress::Start {
        objects: objects.len() as u64,
        bytes: total_bytes,
    });
    let mut copies = futures_util::stream::iter(&objects)
        .map(|object| async move { (object, target.copy_from(source, object).await) })
        .buffer_unordered(COPIES_IN_FLIGHT);
    let mut migration = Migration::default();
    while let Some((object, copied)) = copies.next().await {
        match copied {
            Ok(Copied::Written) => {
                migration.copied += 1;
                migration.copied_bytes += object.size;
            }
            Ok(Copied::AlreadyThere) => migration.already_there += 1,
            Err(error) => migration
                .failed
                .push((object.key.clone(), error.to_string())),
        }
        progress(Progress::Done { bytes: object.size });
    }
    Ok(migration)
}

/// What [`copy_all`] reports as it goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    Start { objects: u64, bytes: u64 },
    Done { bytes: u64 },
}

/// The command: from the local folder `media_dir` to the bucket `to`, with a progress bar and
/// the next steps.
pub async fn migrate(media_dir: &Path, to: &str, currently_s3: bool) -> anyhow::Result<()> {
    if !media_dir.is_dir() {
        bail!(
            "there is no local media folder at {}: nothing to migrate (is --data-dir right?)",
            media_dir.display()
        );
    }
    let bucket = S3Bucket::from_url(to, |key| std::env::var(key).ok())?;
    let source = MediaStore::local(media_dir)?;
    let target = MediaStore::s3(&bucket)?;
    target.check_reachable().await.with_context(|| {
        format!(
            "the bucket {} does not answer (is it created, and are the keys right?)",
            bucket.display_url()
        )
    })?;
    println!(
        "Copying {} into {} …",
        media_dir.display(),
        bucket.display_url()
    );
    let started = Instant::now();
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} copying [{bar:40}] {bytes}/{total_bytes} ({binary_bytes_per_sec}, {eta} left) {msg}",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let objects_done = std::sync::atomic::AtomicU64::new(0);
    let objects_total = std::sync::atomic::AtomicU64::new(0);
    let migration = copy_all(&source, &target, &|step| match step {
        Progress::Start { objects, bytes } => {
            objects_total.store(objects, std::sync::atomic::Ordering::Relaxed);
            bar.set_length(bytes);
        }
        Progress::Done { bytes } => {
            let done = objects_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            let total = objects_total.load(std::sync::atomic::Ordering::Relaxed);
            bar.inc(bytes);
            bar.set_message(format!("{done}/{total} objects"));
        }
    })
    .await?;
    bar.finish_and_clear();
    println!("{}", summary(&migration, started.elapsed().as_secs_f64()));
    if !migration.failed.is_empty() {
        for (key, why) in migration.failed.iter().take(FAILURES_SHOWN) {
            eprintln!("  {key}: {why}");
        }
        if migration.failed.len() > FAILURES_SHOWN {
            eprintln!("  … and {} more", migration.failed.len() - FAILURES_SHOWN);
        }
        bail!(
            "{} objects were not copied (above); run the same command again to retry them",
            migration.failed.len()
        );
    }
    println!(
        "{}",
        next_steps(
            &bucket,
            media_dir,
            currently_s3,
            to.contains("secret_access_key=")
        )
    );
    Ok(())
}

fn summary(migration: &Migration, seconds: f64) -> String {
    format!(
        "Copied {} objects ({:.1} MB) in {seconds:.1} s, each read back with the same size and \
         SHA-256; {} were in the bucket already, equal, and were left as they were.",
        migration.copied,
        migration.copied_bytes as f64 / 1e6,
        migration.already_there
    )
}

/// What to change afterwards: the one setting, without the secret.
fn next_steps(
    bucket: &S3Bucket,
    media_dir: &Path,
    currently_s3: bool,
    keys_in_url: bool,
) -> String {
    let url = bucket.display_url();
    let keys = if keys_in_url {
        "add access_key_id=…&secret_access_key=… to that URL as you gave them here, or set"
    } else {
        "with the keys in"
    };
    let switch = if currently_s3 {
        "This site already reads from S3 (storage_url is set).".to_owned()
    } else {
        format!(
            "Next, point every node at the bucket and restart it:\n  \
             storage_url = \"{url}\"   (dateline.toml), or DATELINE_STORAGE_URL=\"{url}\"\n  \
             {keys} AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY."
        )
    };
    format!(
        "{switch}\nThen run this command once more: it copies only what was uploaded meanwhile. \
         {} is left untouched; remove it once the site runs from the bucket.",
        media_dir.display()
    )
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use dateline_storage::ImageLimits;
    use dateline_storage::testing::SeaweedFs;

    use super::*;

    /// A small photo with detail, so its variants are real JPEG and WebP files.
    fn photo() -> Bytes {
        let picture = image::RgbImage::from_fn(900, 600, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
        });
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(picture)
            .write_to(&mut out, image::ImageFormat::Jpeg)
            .expect("encode");
        Bytes::from(out.into_inner())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_local_site_moves_to_s3_byte_identical_and_a_second_run_copies_nothing() {
        let folder = tempfile::tempdir().expect("folder");
        let media_dir = folder.path().join("media");
        let local = MediaStore::local(&media_dir).expect("local store");
        let picture = local
            .ingest_image(photo(), &ImageLimits::default())
            .await
            .expect("picture");
        // Narration (bigger than one multipart part), its paragraph cache, a tip's ciphertext.
        let episode: Vec<u8> = (0..9_000_000u32).map(|i| (i % 241) as u8).collect();
        let identity = dateline_tips::generate_identity("migration test", "today");
        let recipients =
            dateline_tips::Recipients::parse([identity.public_key.as_str()]).expect("recipients");
        let tip = dateline_tips::encrypt(&recipients, b"The ledger is in the basement.")
            .expect("encrypt a tip");
        let mut site = vec![
            ("audio/episode.mp3".to_owned(), Bytes::from(episode)),
            (
                "audio/paragraphs/p.pcm".to_owned(),
                Bytes::from_static(b"pcm"),
            ),
            ("tips/1/tip.age".to_owned(), Bytes::from(tip)),
        ];
        for (key, bytes) in &site {
            local.put(key, bytes.clone()).await.expect("put");
        }
        for key in std::iter::once(&picture.original_key)
            .chain(picture.variants.iter().map(|variant| &variant.key))
        {
            let bytes = local.get(key).await.expect("read").expect("stored");
            site.push((key.clone(), bytes));
        }

        let server = SeaweedFs::start().await;
        let bucket = server.store();
        let seen = std::sync::Mutex::new(Vec::new());
        let first = copy_all(&local, &bucket, &|step| {
            seen.lock().expect("lock").push(step);
        })
        .await
        .expect("migrate");
        assert_eq!(first.copied, site.len() as u64, "{first:?}");
        assert_eq!(first.already_there, 0);
        assert!(first.failed.is_empty(), "{:?}", first.failed);
        let total: u64 = site.iter().map(|(_, bytes)| bytes.len() as u64).sum();
        assert_eq!(first.copied_bytes, total);
        let seen = seen.into_inner().expect("lock");
        assert_eq!(
            seen[0],
            Progress::Start {
                objects: site.len() as u64,
                bytes: total
            }
        );
        assert_eq!(seen.len(), site.len() + 1);
        for (key, bytes) in &site {
            let copy = bucket.get(key).await.expect("read").expect("copied");
            assert_eq!(&copy, bytes, "{key}");
        }

        let second = copy_all(&local, &bucket, &|_| {}).await.expect("again");
        assert_eq!(second.copied, 0, "{second:?}");
        assert_eq!(second.already_there, site.len() as u64);

        let message = summary(&first, 1.0);
        assert!(
            message.starts_with(&format!("Copied {} objects", site.len())),
            "{message}"
        );
        let bucket_url = S3Bucket::from_url(&server.storage_url(), |_| None).expect("url");
        let steps = next_steps(&bucket_url, &media_dir, false, true);
        assert!(
            steps.contains(
                "storage_url = \"s3://dateline-test?region=us-east-1&endpoint=http://127.0.0.1:"
            ),
            "{steps}"
        );
        assert!(!steps.contains("dateline-test-secret"), "{steps}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_bucket_is_refused_before_copying() {
        let folder = tempfile::tempdir().expect("folder");
        let media_dir = folder.path().join("media");
        MediaStore::local(&media_dir).expect("local store");
        let mut server = SeaweedFs::start().await;
        let url = server.storage_url();
        server.kill();
        let error = migrate(&media_dir, &url, false)
            .await
            .expect_err("no bucket, no copy");
        let message = format!("{error:#}");
        assert!(message.contains("does not answer"), "{message}");
        assert!(!message.contains("dateline-test-secret"), "{message}");
    }
}
