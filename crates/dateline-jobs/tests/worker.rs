//! The worker against a real store, on both backends.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dateline_db::NewJob;
use dateline_db::testing::TestStore;
use dateline_jobs::Worker;

async fn runs_registered_jobs_and_retries_failures(store: TestStore) {
    let ran = Arc::new(AtomicUsize::new(0));
    let mut worker = Worker::new(store.store.clone(), "test-worker");
    let counter = Arc::clone(&ran);
    worker.register("count", move |job| {
        let counter = Arc::clone(&counter);
        async move {
            assert_eq!(job.payload["n"], 7);
            counter.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    });
    worker.register("flaky", |_job| async {
        anyhow::bail!("upstream unavailable")
    });
    worker.register("panics", |_job| async { panic!("handler bug") });

    store
        .enqueue(&NewJob::now("count", serde_json::json!({"n": 7})))
        .await
        .expect("enqueue");
    store
        .enqueue(&NewJob::now("flaky", serde_json::json!({})))
        .await
        .expect("enqueue");
    store
        .enqueue(&NewJob::now("panics", serde_json::json!({})))
        .await
        .expect("enqueue");
    store
        .enqueue(&NewJob::now("unregistered", serde_json::json!({})))
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
    let counts = store.job_counts().await.expect("counts");
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
    let worker = Worker::new(store.store.clone(), "maintenance-worker");
    let mut job = NewJob::now(dateline_jobs::MAINTENANCE, serde_json::json!({}));
    job.dedup_key = Some(dateline_jobs::MAINTENANCE.to_owned());
    store.enqueue(&job).await.expect("enqueue");
    for slug in ["politics", "world"] {
        store
            .create_section(&dateline_db::SectionInput {
                slug: slug.into(),
                name: slug.into(),
                description: String::new(),
                position: 0,
            })
            .await
            .expect("section");
    }
    let head = store.latest_change_id().await.expect("head");
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1);
    let removed = store.prune_changes(later).await.expect("prune");
    assert_eq!(removed, 1, "all but the newest change go");
    assert_eq!(
        store.latest_change_id().await.expect("head"),
        head,
        "ids never restart"
    );
    assert!(worker.run_once().await.expect("run"));
    let counts = store.job_counts().await.expect("counts");
    assert!(
        counts.iter().any(|(state, n)| state == "done" && *n == 1),
        "{counts:?}"
    );
}

dateline_db::both_backends!(
    runs_registered_jobs_and_retries_failures,
    maintenance_prunes_old_rows_but_keeps_the_log_head,
);
