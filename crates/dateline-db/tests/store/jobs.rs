//! The job queue: claiming, leases, deduplication, priorities, retries and concurrent workers.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use dateline_db::testing::TestStore;
use dateline_db::{JobOutcome, NewJob, Store};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio::sync::Barrier;

use crate::support::base_time;

dateline_db::both_backends!(
    a_job_is_enqueued_claimed_and_completed,
    a_dedup_key_allows_one_waiting_job,
    higher_priority_runs_first_then_the_earliest,
    a_job_due_later_is_not_claimed_before_its_time,
    workers_claim_only_the_kinds_they_handle,
    an_expired_lease_lets_another_worker_reclaim,
    a_failed_job_backs_off_then_gives_up,
    backoff_doubles_up_to_an_hour,
    concurrent_claims_never_hand_out_a_job_twice,
    a_retry_while_the_same_work_waits_is_not_an_error,
);

const LEASE: Duration = Duration::from_secs(60);

fn job_at(kind: &str, n: i64, run_at: Timestamp) -> NewJob {
    NewJob::at(kind, json!({ "n": n }), run_at)
}

async fn counts(store: &Store) -> Vec<(String, i64)> {
    store.jobs().counts().await.unwrap()
}

fn count(state: &str, n: i64) -> (String, i64) {
    (state.to_owned(), n)
}

async fn a_job_is_enqueued_claimed_and_completed(store: TestStore) {
    let t = base_time();
    let payload = json!({ "image": 7, "formats": ["webp", "jpeg"], "note": "ünïcode" });
    let job = NewJob::at("resize", payload.clone(), t);
    let id = store
        .jobs()
        .enqueue(&job, jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(counts(&store).await, vec![count("queued", 1)]);

    let claimed = store
        .jobs()
        .claim("node-a", &["resize"], LEASE, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    assert_eq!(claimed.kind, "resize");
    assert_eq!(claimed.payload, payload);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.max_attempts, 5);
    assert_eq!(counts(&store).await, vec![count("running", 1)]);

    // Held by its lease: nobody else gets it meanwhile.
    let again = store
        .jobs()
        .claim(
            "node-b",
            &["resize"],
            LEASE,
            t + SignedDuration::from_secs(59),
        )
        .await
        .unwrap();
    assert_eq!(again, None);

    store
        .jobs()
        .complete(id, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(counts(&store).await, vec![count("done", 1)]);
    // Done is done, however long anyone waits.
    let later = t + SignedDuration::from_hours(48);
    assert_eq!(
        store
            .jobs()
            .claim("node-b", &["resize"], LEASE, later)
            .await
            .unwrap(),
        None
    );
}

async fn a_dedup_key_allows_one_waiting_job(store: TestStore) {
    let t = base_time();
    let sitemap = |n| NewJob {
        dedup_key: Some("sitemap".to_owned()),
        ..job_at("sitemap", n, t)
    };

    let first = store
        .jobs()
        .enqueue(&sitemap(1), jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(first.is_some());
    assert_eq!(
        store
            .jobs()
            .enqueue(&sitemap(2), jiff::Timestamp::now())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .jobs()
            .enqueue(&sitemap(3), jiff::Timestamp::now())
            .await
            .unwrap(),
        None
    );
    // Another key, or no key, is other work.
    let other = NewJob {
        dedup_key: Some("feeds".to_owned()),
        ..job_at("sitemap", 4, t)
    };
    assert!(
        store
            .jobs()
            .enqueue(&other, jiff::Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .jobs()
            .enqueue(&job_at("sitemap", 5, t), jiff::Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .jobs()
            .enqueue(&job_at("sitemap", 6, t), jiff::Timestamp::now())
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(counts(&store).await, vec![count("queued", 4)]);

    // Once the waiting one has started, the same work may be queued again (the change that asked
    // for it may have come after the worker read its input), but only once.
    let claimed = store
        .jobs()
        .claim("node-a", &["sitemap"], LEASE, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(claimed.id), first);
    assert_eq!(claimed.payload, json!({ "n": 1 }));
    let second = store
        .jobs()
        .enqueue(&sitemap(7), jiff::Timestamp::now())
        .await
        .unwrap();
    assert!(second.is_some());
    assert_ne!(second, first);
    assert_eq!(
        store
            .jobs()
            .enqueue(&sitemap(8), jiff::Timestamp::now())
            .await
            .unwrap(),
        None
    );

    store
        .jobs()
        .complete(claimed.id, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .jobs()
            .enqueue(&sitemap(9), jiff::Timestamp::now())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        counts(&store).await,
        vec![count("done", 1), count("queued", 4)]
    );
}

async fn higher_priority_runs_first_then_the_earliest(store: TestStore) {
    let t = base_time();
    let with_priority = |n: i64, priority: i32, minutes: i64| NewJob {
        priority,
        ..job_at("index", n, t + SignedDuration::from_mins(minutes))
    };
    let mut ids = std::collections::HashMap::new();
    for (n, priority, minutes) in [
        (1, 0, 0),
        (2, 10, 3),
        (3, 5, 0),
        (4, 10, 1),
        (5, -1, 0),
        (6, 0, 0),
    ] {
        let id = store
            .jobs()
            .enqueue(&with_priority(n, priority, minutes), jiff::Timestamp::now())
            .await
            .unwrap()
            .unwrap();
        ids.insert(n, id);
    }

    let now = t + SignedDuration::from_mins(10);
    let mut order = Vec::new();
    while let Some(job) = store
        .jobs()
        .claim("node-a", &["index"], LEASE, now)
        .await
        .unwrap()
    {
        order.push(job.payload["n"].as_i64().unwrap());
    }
    // Priority 10 (earlier run_at first), then 5, then the two 0s in the order queued, then -1.
    assert_eq!(order, vec![4, 2, 3, 1, 6, 5]);
    assert!(ids[&1] < ids[&6]);
}

async fn a_job_due_later_is_not_claimed_before_its_time(store: TestStore) {
    let t = base_time();
    let due = t + SignedDuration::from_hours(1);
    let id = store
        .jobs()
        .enqueue(&job_at("newsletter", 1, due), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();

    for early in [t, due - SignedDuration::from_secs(1)] {
        let claimed = store
            .jobs()
            .claim("node-a", &["newsletter"], LEASE, early)
            .await
            .unwrap();
        assert_eq!(claimed, None, "claimed at {early}");
    }
    let claimed = store
        .jobs()
        .claim("node-a", &["newsletter"], LEASE, due)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
}

async fn workers_claim_only_the_kinds_they_handle(store: TestStore) {
    let t = base_time();
    let resize = store
        .jobs()
        .enqueue(&job_at("resize", 1, t), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    let email = store
        .jobs()
        .enqueue(&job_at("email", 2, t), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();

    let claim = async |kinds: &[&str]| {
        store
            .jobs()
            .claim("node-a", kinds, LEASE, t)
            .await
            .unwrap()
            .map(|job| job.id)
    };
    assert_eq!(claim(&[]).await, None);
    assert_eq!(claim(&["search-index"]).await, None);
    assert_eq!(claim(&["email"]).await, Some(email));
    assert_eq!(claim(&["email"]).await, None);
    assert_eq!(
        claim(&["search-index", "email", "resize"]).await,
        Some(resize)
    );
    assert_eq!(claim(&["search-index", "email", "resize"]).await, None);
}

async fn an_expired_lease_lets_another_worker_reclaim(store: TestStore) {
    let t = base_time();
    let id = store
        .jobs()
        .enqueue(&job_at("resize", 1, t), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    let lease = Duration::from_secs(30);

    let first = store
        .jobs()
        .claim("node-a", &["resize"], lease, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.attempts), (id, 1));

    // node-a is still within its lease at +10 s and exactly at +30 s.
    for during in [10, 30] {
        let claimed = store
            .jobs()
            .claim(
                "node-b",
                &["resize"],
                lease,
                t + SignedDuration::from_secs(during),
            )
            .await
            .unwrap();
        assert_eq!(claimed, None, "+{during} s");
    }

    // node-a died: after the lease, node-b takes the job over, as another attempt.
    let after = t + SignedDuration::from_secs(31);
    let second = store
        .jobs()
        .claim("node-b", &["resize"], lease, after)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((second.id, second.attempts), (id, 2));
    // And now node-b holds a fresh lease.
    let third = store
        .jobs()
        .claim(
            "node-c",
            &["resize"],
            lease,
            after + SignedDuration::from_secs(20),
        )
        .await
        .unwrap();
    assert_eq!(third, None);

    store
        .jobs()
        .complete(id, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(counts(&store).await, vec![count("done", 1)]);
}

async fn a_failed_job_backs_off_then_gives_up(store: TestStore) {
    let t = base_time();
    let id = store
        .jobs()
        .enqueue(
            &NewJob {
                max_attempts: 3,
                ..job_at("webmention", 1, t)
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .unwrap();

    // Attempt 1 fails: back in 30 s.
    let job = store
        .jobs()
        .claim("node-a", &["webmention"], LEASE, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.attempts, job.max_attempts), (1, 3));
    let outcome = store
        .jobs()
        .fail(id, "connection refused", t)
        .await
        .unwrap();
    let retry_at = t + SignedDuration::from_secs(30);
    assert_eq!(outcome, JobOutcome::Retrying { at: retry_at });
    assert_eq!(counts(&store).await, vec![count("queued", 1)]);
    let early = retry_at - SignedDuration::from_secs(1);
    assert_eq!(
        store
            .jobs()
            .claim("node-a", &["webmention"], LEASE, early)
            .await
            .unwrap(),
        None
    );

    // Attempt 2 fails: back in 60 s.
    let job = store
        .jobs()
        .claim("node-b", &["webmention"], LEASE, retry_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((job.id, job.attempts), (id, 2));
    let t2 = retry_at + SignedDuration::from_secs(5);
    let outcome = store.jobs().fail(id, "timeout", t2).await.unwrap();
    let retry_at = t2 + SignedDuration::from_secs(60);
    assert_eq!(outcome, JobOutcome::Retrying { at: retry_at });

    // Attempt 3 is the last.
    let job = store
        .jobs()
        .claim("node-a", &["webmention"], LEASE, retry_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(job.attempts, 3);
    let outcome = store
        .jobs()
        .fail(id, &"x".repeat(10_000), retry_at)
        .await
        .unwrap();
    assert_eq!(outcome, JobOutcome::Failed);
    assert_eq!(counts(&store).await, vec![count("failed", 1)]);
    let much_later = retry_at + SignedDuration::from_hours(24 * 30);
    assert_eq!(
        store
            .jobs()
            .claim("node-a", &["webmention"], LEASE, much_later)
            .await
            .unwrap(),
        None
    );
}

async fn backoff_doubles_up_to_an_hour(store: TestStore) {
    let mut now = base_time();
    let id = store
        .jobs()
        .enqueue(
            &NewJob {
                max_attempts: 10,
                ..job_at("webmention", 1, now)
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .unwrap();

    let mut delays = Vec::new();
    loop {
        let job = store
            .jobs()
            .claim("node-a", &["webmention"], LEASE, now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.id, id);
        match store.jobs().fail(id, "still failing", now).await.unwrap() {
            JobOutcome::Retrying { at } => {
                delays.push(at.duration_since(now).as_secs());
                now = at;
            }
            JobOutcome::Failed => break,
        }
    }
    assert_eq!(delays, vec![30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

async fn concurrent_claims_never_hand_out_a_job_twice(store: TestStore) {
    const JOBS: i64 = 50;
    const WORKERS: usize = 8;
    let t = base_time();
    let mut enqueued = BTreeSet::new();
    for n in 0..JOBS {
        enqueued.insert(
            store
                .jobs()
                .enqueue(&job_at("resize", n, t), jiff::Timestamp::now())
                .await
                .unwrap()
                .unwrap(),
        );
    }

    let barrier = Arc::new(Barrier::new(WORKERS));
    let mut workers = Vec::new();
    for worker in 0..WORKERS {
        let store = store.store.clone();
        let barrier = Arc::clone(&barrier);
        workers.push(tokio::spawn(async move {
            let name = format!("node-{worker}");
            barrier.wait().await;
            let mut claimed = Vec::new();
            while let Some(job) = store
                .jobs()
                .claim(&name, &["resize"], Duration::from_secs(600), t)
                .await
                .unwrap()
            {
                assert_eq!(job.attempts, 1, "job {} was claimed before", job.id);
                claimed.push(job.id);
            }
            claimed
        }));
    }

    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: BTreeSet<i64> = all.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        all.len(),
        "a job was handed out twice: {all:?}"
    );
    assert_eq!(distinct, enqueued);
    assert_eq!(counts(&store).await, vec![count("running", JOBS)]);
}

/// A job with a dedup key fails while the same work was queued again after it started (which
/// `enqueue` allows on purpose). The waiting job already covers the retry.
///
/// Regression: `jobs().fail` once put the job back to `queued`, which broke the partial unique
/// index `jobs_waiting_dedup`: it returned `DbError::Duplicate`, left the job `running`, lost the
/// error text, and the job ran again with no backoff once its lease ran out.
async fn a_retry_while_the_same_work_waits_is_not_an_error(store: TestStore) {
    let t = base_time();
    let sitemap = |n| NewJob {
        dedup_key: Some("sitemap".to_owned()),
        ..job_at("sitemap", n, t)
    };
    let first = store
        .jobs()
        .enqueue(&sitemap(1), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();
    let claimed = store
        .jobs()
        .claim("node-a", &["sitemap"], LEASE, t)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, first);
    let waiting = store
        .jobs()
        .enqueue(&sitemap(2), jiff::Timestamp::now())
        .await
        .unwrap()
        .unwrap();

    let outcome = store.jobs().fail(first, "storage unavailable", t).await;
    assert!(outcome.is_ok(), "fail_job: {outcome:?}");
    assert_eq!(
        counts(&store)
            .await
            .iter()
            .find(|(state, _)| state == "running"),
        None
    );

    // Only the waiting job runs the work again, once.
    let much_later = t + SignedDuration::from_hours(2);
    let next = store
        .jobs()
        .claim("node-b", &["sitemap"], LEASE, much_later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(next.id, waiting);
    assert_eq!(
        store
            .jobs()
            .claim("node-b", &["sitemap"], LEASE, much_later)
            .await
            .unwrap(),
        None
    );
}
