//! `dateline backup --to s3://…`: the archive goes into a bucket as one multipart upload, and
//! what `download` brings back from the bucket (as `dateline restore s3://…` does) verifies and
//! restores like a file.

use std::sync::Arc;

use dateline_backup::{Destination, Site, Target, TargetObjects};
use dateline_db::{BackendKind, Store};
use dateline_storage::MediaStore;
use dateline_storage::testing::SeaweedFs;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_archive_written_to_a_bucket_restores() {
    let origin = tempfile::tempdir().expect("folder");
    let data_dir = origin.path().join("data");
    std::fs::create_dir_all(&data_dir).expect("data folder");
    let database_url =
        dateline_db::testing::empty_database_url(BackendKind::Sqlite, &data_dir).await;
    let store = Store::open(&database_url).await.expect("open");
    let (article_id, _) = dateline_db::testing::published_article(&store, "A story.").await;
    store.close().await;
    let media = MediaStore::local(&data_dir.join("media")).expect("media");
    // Larger than one upload part, so the archive is sent in several (incompressible bytes).
    let picture: Vec<u8> = (0..10_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    media
        .put("images/big.bin", picture.clone().into())
        .await
        .expect("object");

    let bucket = SeaweedFs::start().await;
    let key = "backups/site.tar.gz";
    let report = dateline_backup::backup(
        &Site {
            database_url,
            data_dir,
            objects: media.object_store(),
        },
        Destination::Object {
            objects: bucket.store().object_store(),
            key: key.to_owned(),
            shown: "the test bucket".to_owned(),
        },
        Arc::new(|_| {}),
    )
    .await
    .expect("backup into the bucket");
    assert_eq!(report.manifest.counts.objects, 1);
    let file = origin.path().join("from-bucket.tar.gz");
    let missing = dateline_backup::download(
        &bucket.store().object_store(),
        "backups/none.tar.gz",
        &file,
        Arc::new(|_| {}),
    )
    .await
    .expect_err("no such archive");
    assert!(
        missing
            .to_string()
            .contains("no archive under backups/none.tar.gz"),
        "{missing}"
    );
    assert!(!file.exists() && !origin.path().join("from-bucket.tar.gz.partial").exists());
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let progress = {
        let seen = seen.clone();
        Arc::new(move |p: dateline_backup::Progress| seen.lock().expect("lock").push(p))
    };
    let downloaded =
        dateline_backup::download(&bucket.store().object_store(), key, &file, progress)
            .await
            .expect("download");
    assert_eq!(downloaded, report.archive_bytes);
    assert_eq!(
        std::fs::metadata(&file).expect("file").len(),
        report.archive_bytes
    );
    let last = *seen.lock().expect("lock").last().expect("progress");
    assert_eq!(
        (last.step, last.done, last.total),
        (dateline_backup::Step::Downloading, downloaded, downloaded)
    );
    dateline_backup::download(&bucket.store().object_store(), key, &file, Arc::new(|_| {}))
        .await
        .expect_err("an existing file is never replaced");

    let fresh = tempfile::tempdir().expect("folder");
    let restored_dir = fresh.path().join("data");
    let restored_url =
        dateline_db::testing::empty_database_url(BackendKind::Sqlite, &restored_dir).await;
    std::fs::create_dir_all(restored_dir.join("media")).expect("media folder");
    let restored_media = MediaStore::local(&restored_dir.join("media")).expect("media");
    dateline_backup::restore(
        &file,
        &Target {
            database_url: restored_url.clone(),
            data_dir: restored_dir,
            objects: TargetObjects::Store(restored_media.object_store()),
        },
        Arc::new(|_| {}),
    )
    .await
    .expect("restore");
    let restored = Store::open(&restored_url).await.expect("open restored");
    assert_eq!(
        restored
            .articles()
            .by_id(article_id)
            .await
            .expect("article")
            .expect("restored")
            .headline,
        "Vote delayed"
    );
    assert_eq!(
        restored_media
            .get("images/big.bin")
            .await
            .expect("read")
            .as_deref(),
        Some(&picture[..])
    );
}
