//! The worker against a real store, on both backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dateline_core::JobKind;
use dateline_db::NewJob;
use dateline_db::testing::TestStore;
use dateline_jobs::Worker;
use dateline_storage::MediaStore;
use dateline_usecases::Context;

/// The use cases' context over `store`, its media in a folder of its own (kept as long as the
/// returned guard lives).
fn context(store: &dateline_db::Store) -> (Context, tempfile::TempDir) {
    let folder = tempfile::tempdir().expect("a media folder");
    let media = MediaStore::local(folder.path()).expect("media store");
    (Context::new(store.clone(), media), folder)
}

async fn runs_registered_jobs_and_retries_failures(store: TestStore) {
    let ran = Arc::new(AtomicUsize::new(0));
    // Three real kinds stand in for a job that works, one that fails and one that panics.
    let (count, flaky, panics) = (
        JobKind::SyncSearch,
        JobKind::PurgeTips,
        JobKind::CloseStaleDiscussions,
    );
    let mut worker = Worker::dedicated(store.store.clone(), "test-worker");
    let counter = Arc::clone(&ran);
    worker.register(count, move |job| {
        let counter = Arc::clone(&counter);
        async move {
            assert_eq!(job.payload["n"], 7);
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    worker.register(flaky, |_job| async {
        anyhow::bail!("upstream unavailable")
    });
    worker.register(panics, |_job| async { panic!("handler bug") });

    store
        .jobs()
        .enqueue(
            &NewJob::at(
                count.name(),
                serde_json::json!({"n": 7}),
                jiff::Timestamp::now(),
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    store
        .jobs()
        .enqueue(
            &NewJob::at(flaky.name(), serde_json::json!({}), jiff::Timestamp::now()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    store
        .jobs()
        .enqueue(
            &NewJob::at(panics.name(), serde_json::json!({}), jiff::Timestamp::now()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    store
        .jobs()
        .enqueue(
            &NewJob::at(
                "unregistered",
                serde_json::json!({}),
                jiff::Timestamp::now(),
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");

    let mut runs = 0;
    while worker.run_once().await.expect("worker") {
        runs += 1;
        assert!(runs < 10, "the worker keeps finding work");
    }
    assert_eq!(
        runs, 3,
        "the three registered jobs ran; the unknown kind was left alone"
    );
    assert_eq!(ran.load(Ordering::SeqCst), 1);
    let counts = store.jobs().counts().await.expect("counts");
    let count_of = |state: &str| {
        counts
            .iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| *n)
    };
    assert_eq!(count_of("done"), 1);
    // The failing and the panicking job wait for their retry; the unknown kind waits untouched.
    assert_eq!(count_of("queued"), 3);
    assert_eq!(count_of("running"), 0);
}

async fn maintenance_prunes_old_rows_but_keeps_the_log_head(store: TestStore) {
    let (ctx, _media) = context(&store.store);
    let worker = Worker::new(ctx, "maintenance-worker");
    let mut job = NewJob::at(
        JobKind::Maintenance.name(),
        serde_json::json!({}),
        jiff::Timestamp::now(),
    );
    job.dedup_key = Some(JobKind::Maintenance.dedup_key(None));
    store
        .jobs()
        .enqueue(&job, jiff::Timestamp::now())
        .await
        .expect("enqueue");
    for slug in ["politics", "world"] {
        store
            .site()
            .create_section(
                &dateline_db::SectionInput {
                    slug: slug.into(),
                    name: slug.into(),
                    description: String::new(),
                    position: 0,
                },
                jiff::Timestamp::now(),
            )
            .await
            .expect("section");
    }
    let head = store.changes().latest_id().await.expect("head");
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let removed = store.changes().prune(later).await.expect("prune");
    assert_eq!(removed, 1, "all but the newest change go");
    assert_eq!(
        store.changes().latest_id().await.expect("head"),
        head,
        "ids never restart"
    );
    assert!(worker.run_once().await.expect("run"));
    let counts = store.jobs().counts().await.expect("counts");
    assert!(
        counts.iter().any(|(state, n)| state == "done" && *n == 1),
        "{counts:?}"
    );
}

/// The server was down while two articles' publication times passed: start-up publishes them at
/// once, and the worker's jobs for them afterwards find nothing left to do (exactly once).
async fn overdue_scheduled_articles_publish_at_start_up_exactly_once(store: TestStore) {
    use dateline_core::ArticleStatus;
    use jiff::{SignedDuration, Timestamp};

    let (section_id, author_id) = dateline_db::testing::politics_desk(&store).await;
    let editor = dateline_db::Actor::system("test editor");
    let yesterday = Timestamp::now() - SignedDuration::from_hours(24);
    let mut ids = Vec::new();
    for (slug, hours_after_yesterday) in [("early", 2), ("late", 20), ("tomorrow", 48)] {
        let article = store
            .articles()
            .create(
                &dateline_db::testing::story(
                    section_id,
                    author_id,
                    slug,
                    ArticleStatus::Draft,
                    None,
                ),
                jiff::Timestamp::now(),
            )
            .await
            .expect("draft");
        let at = yesterday + SignedDuration::from_hours(hours_after_yesterday);
        store
            .articles()
            .schedule(article.id, at, &editor, yesterday)
            .await
            .expect("schedule");
        ids.push(article.id);
    }

    // Start-up, before any worker has run.
    let (ctx, _media) = context(&store.store);
    let published = dateline_jobs::publish_scheduled(&ctx, Timestamp::now())
        .await
        .expect("catch up");
    assert_eq!(published, 2);
    for id in &ids[..2] {
        let article = store
            .articles()
            .by_id(*id)
            .await
            .expect("read")
            .expect("exists");
        assert_eq!(article.status, ArticleStatus::Published);
    }
    assert_eq!(
        store
            .articles()
            .by_id(ids[2])
            .await
            .expect("read")
            .expect("exists")
            .status,
        ArticleStatus::Scheduled
    );

    // Then the worker drains the overdue jobs: nothing is published twice.
    let (ctx, _media) = context(&store.store);
    let worker = Worker::new(ctx, "catch-up-worker");
    while worker.run_once().await.expect("run") {}
    for id in &ids {
        let publishes = store
            .audit()
            .for_subject("article", *id)
            .await
            .expect("audit")
            .into_iter()
            .filter(|entry| entry.action == "article.publish")
            .count();
        assert_eq!(publishes, usize::from(*id != ids[2]), "article {id}");
    }
    // The future one still waits for its own job; the two published wait for their narration.
    let queued: i64 = store
        .jobs()
        .counts()
        .await
        .expect("counts")
        .into_iter()
        .find(|(state, _)| state == "queued")
        .map(|(_, n)| n)
        .unwrap_or(0);
    assert_eq!(queued, 3);
}

dateline_db::both_backends!(
    overdue_scheduled_articles_publish_at_start_up_exactly_once,
    runs_registered_jobs_and_retries_failures,
    maintenance_prunes_old_rows_but_keeps_the_log_head,
    retention_deletes_old_resolved_tips_and_their_files,
    the_sweep_removes_uploads_that_never_became_tips,
    discussions_close_automatically_n_days_after_publication,
    a_stopped_worker_finishes_or_gives_back_the_job_in_hand,
);

/// Tips resolved longer ago than the retention are deleted with their attachment files; newer
/// and open tips stay, and so do their files.
async fn retention_deletes_old_resolved_tips_and_their_files(store: TestStore) {
    use dateline_core::{TipKind, TipResolution, TipStatus};
    use dateline_db::{Actor, NewTip, NewTipAttachment};
    let folder = tempfile::tempdir().expect("media folder");
    let media = dateline_storage::MediaStore::local(folder.path()).expect("media");
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    let desk = Actor::system("desk");
    let mut ids = Vec::new();
    for name in ["old", "recent", "open"] {
        let key = format!("tips/{name}.age");
        media
            .put(&key, bytes::Bytes::from_static(b"ciphertext"))
            .await
            .expect("put");
        let tip = store
            .tips()
            .create(
                &NewTip {
                    kind: TipKind::Tip,
                    article_id: None,
                    codename_key: name.to_owned(),
                    reply_public_key: "age1reply".to_owned(),
                    message: b"ciphertext".to_vec(),
                    contact: None,
                    attachments: vec![NewTipAttachment {
                        object_key: key,
                        description: b"ciphertext".to_vec(),
                        size: 10,
                    }],
                },
                now - day * 100,
            )
            .await
            .expect("tip");
        ids.push(tip.id);
    }
    store
        .tips()
        .set_status(
            ids[0],
            TipStatus::Resolved,
            Some(TipResolution::NoAction),
            &desk,
            now - day * 91,
        )
        .await
        .expect("resolve");
    store
        .tips()
        .set_status(
            ids[1],
            TipStatus::Resolved,
            Some(TipResolution::FollowUpStory),
            &desk,
            now - day * 10,
        )
        .await
        .expect("resolve");
    let purged = dateline_jobs::purge_resolved_tips(&store, &media, now - day * 90, now)
        .await
        .expect("purge");
    assert_eq!(purged.tips, 1);
    assert!(store.tips().by_id(ids[0]).await.expect("read").is_none());
    assert!(!folder.path().join("tips/old.age").exists());
    for (id, name) in [(ids[1], "recent"), (ids[2], "open")] {
        assert!(store.tips().by_id(id).await.expect("read").is_some());
        assert!(folder.path().join(format!("tips/{name}.age")).exists());
    }
}

/// A node killed between storing a tip's file and committing its row leaves an object no tip
/// names; the hourly sweep deletes it once it is a day old, and forgets expired spent proofs.
async fn the_sweep_removes_uploads_that_never_became_tips(store: TestStore) {
    use dateline_core::TipKind;
    use dateline_db::{NewTip, NewTipAttachment};
    let folder = tempfile::tempdir().expect("media folder");
    let media = dateline_storage::MediaStore::local(folder.path()).expect("media");
    let now = jiff::Timestamp::now();
    for name in ["tip", "left-over", "being-received"] {
        media
            .put(
                &format!("tips/{name}.age"),
                bytes::Bytes::from_static(b"ciphertext"),
            )
            .await
            .expect("put");
    }
    let two_days_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(48 * 3600);
    for name in ["tip", "left-over"] {
        std::fs::File::options()
            .write(true)
            .open(folder.path().join(format!("tips/{name}.age")))
            .and_then(|file| file.set_modified(two_days_ago))
            .expect("age the file");
    }
    store
        .tips()
        .create(
            &NewTip {
                kind: TipKind::Tip,
                article_id: None,
                codename_key: "k".to_owned(),
                reply_public_key: "age1reply".to_owned(),
                message: b"ciphertext".to_vec(),
                contact: None,
                attachments: vec![NewTipAttachment {
                    object_key: "tips/tip.age".to_owned(),
                    description: b"ciphertext".to_vec(),
                    size: 10,
                }],
            },
            now,
        )
        .await
        .expect("tip");
    let hour = jiff::SignedDuration::from_hours(1);
    assert!(
        store
            .tips()
            .spend_proof(&[1; 32], now - hour, now - hour * 7)
            .await
            .expect("spend")
    );
    assert!(
        store
            .tips()
            .spend_proof(&[2; 32], now + hour, now)
            .await
            .expect("spend")
    );

    let swept = dateline_jobs::sweep_tip_leftovers(&store, &media, now)
        .await
        .expect("sweep");
    assert_eq!(swept.objects, vec!["tips/left-over.age".to_owned()]);
    assert_eq!(swept.spent_proofs, 1);
    assert!(!folder.path().join("tips/left-over.age").exists());
    assert!(
        folder.path().join("tips/tip.age").exists(),
        "a tip's file stays"
    );
    assert!(
        folder.path().join("tips/being-received.age").exists(),
        "a fresh upload may still become a tip"
    );
    assert!(
        !store
            .tips()
            .spend_proof(&[2; 32], now + hour, now)
            .await
            .expect("spend")
    );
}

#[path = "worker/narration.rs"]
mod narration;

/// The hourly job closes comments on articles published longer ago than the site's setting.
async fn discussions_close_automatically_n_days_after_publication(store: TestStore) {
    use jiff::{SignedDuration, Timestamp};

    let (section_id, author_id) = dateline_db::testing::politics_desk(&store).await;
    let mut ids = Vec::new();
    for (slug, days_ago) in [("old", 20), ("recent", 2)] {
        let article = store
            .articles()
            .create(
                &dateline_db::testing::story(
                    section_id,
                    author_id,
                    slug,
                    dateline_core::ArticleStatus::Published,
                    Some(Timestamp::now() - SignedDuration::from_hours(24 * days_ago)),
                ),
                jiff::Timestamp::now(),
            )
            .await
            .expect("article");
        ids.push(article.id);
    }
    let mut rules = store.comments().settings().await.expect("settings");
    rules.auto_close_days = Some(14);
    store
        .comments()
        .save_settings(
            &rules,
            &dateline_db::Actor::system("test"),
            Timestamp::now(),
        )
        .await
        .expect("save");
    let (ctx, _media) = context(&store.store);
    let worker = Worker::new(ctx, "closing-worker");
    store
        .jobs()
        .enqueue(
            &NewJob::at(
                JobKind::CloseStaleDiscussions.name(),
                serde_json::json!({}),
                jiff::Timestamp::now(),
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("enqueue");
    while worker.run_once().await.expect("run") {}
    let open = |id| {
        let store = &store;
        async move {
            store
                .comments()
                .article_discussion(id)
                .await
                .expect("discussion")
                .comments_open
        }
    };
    assert!(!open(ids[0]).await, "twenty days old: closed");
    assert!(open(ids[1]).await, "two days old: still open");
}

/// A shutdown stops the worker: it takes no new job, the job in hand finishes within the grace,
/// and one that cannot is cut off and goes straight back to the queue, not left held until its
/// lease runs out.
async fn a_stopped_worker_finishes_or_gives_back_the_job_in_hand(store: TestStore) {
    use std::time::Duration;

    let count_of = async |state: &str| {
        store
            .jobs()
            .counts()
            .await
            .expect("counts")
            .into_iter()
            .find(|(s, _)| s == state)
            .map_or(0, |(_, n)| n)
    };
    let enqueue = async |kind: JobKind| {
        store
            .jobs()
            .enqueue(
                &NewJob::at(kind.name(), serde_json::json!({}), jiff::Timestamp::now()),
                jiff::Timestamp::now(),
            )
            .await
            .expect("enqueue")
    };
    let started = Arc::new(tokio::sync::Notify::new());

    // A job that needs a moment finishes inside the grace, and nothing else is taken.
    let mut worker = Worker::dedicated(store.store.clone(), "quick-worker")
        .with_idle_wait(Duration::from_millis(20));
    let begun = Arc::clone(&started);
    worker.register(JobKind::SyncSearch, move |_job| {
        let begun = Arc::clone(&begun);
        async move {
            begun.notify_one();
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(())
        }
    });
    enqueue(JobKind::SyncSearch).await;
    let running = worker.start();
    started.notified().await;
    enqueue(JobKind::SyncSearch).await;
    assert_eq!(running.stop(Duration::from_secs(10)).await, 0);
    assert_eq!(count_of("done").await, 1, "the job in hand finished");
    assert_eq!(count_of("running").await, 0);
    assert_eq!(count_of("queued").await, 1, "no new job was taken");

    // A job that outlasts the grace is cut off and given back, ready to run again now.
    let mut worker = Worker::dedicated(store.store.clone(), "stuck-worker");
    let begun = Arc::clone(&started);
    worker.register(JobKind::SyncSearch, move |_job| {
        let begun = Arc::clone(&begun);
        async move {
            begun.notify_one();
            std::future::pending::<()>().await;
            Ok(())
        }
    });
    let running = worker.start();
    started.notified().await;
    assert_eq!(running.stop(Duration::from_millis(200)).await, 1);
    assert_eq!(count_of("running").await, 0, "nothing is left held");
    let next = store
        .jobs()
        .claim(
            "next-start",
            &[JobKind::SyncSearch.name()],
            Duration::from_secs(60),
            jiff::Timestamp::now(),
        )
        .await
        .expect("claim");
    assert!(next.is_some(), "the cut-off job is claimable at once");
}
