//! The clock is the caller's: every time the store writes is the `now` it was handed, never a
//! reading of its own. Each test writes "at" a moment far from the machine's clock and reads back
//! exactly that moment, so a `Timestamp::now()` inside a query would fail it.

use std::time::Duration;

use dateline_core::ArticleStatus;
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, NewJob};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;

use crate::support::{article_input, author, section_input};

dateline_db::both_backends!(
    a_change_is_logged_at_the_callers_time,
    an_article_is_written_at_the_callers_time,
    a_job_waits_for_its_time_and_ends_at_the_callers_time,
    a_narration_is_stamped_at_the_callers_time,
);

/// 2001-09-09 01:46:40 UTC: long before any machine running these tests.
fn far_past() -> Timestamp {
    Timestamp::from_second(1_000_000_000).unwrap()
}

/// 2100-01-01 00:00 UTC: long after.
fn far_future() -> Timestamp {
    Timestamp::from_second(4_102_444_800).unwrap()
}

const ONE_MICROSECOND: SignedDuration = SignedDuration::from_micros(1);

async fn a_change_is_logged_at_the_callers_time(store: TestStore) {
    let then = far_past();
    store
        .site()
        .create_section(&section_input("politics", 0), then)
        .await
        .unwrap();
    store
        .site()
        .create_section(&section_input("business", 1), then)
        .await
        .unwrap();
    assert_eq!(store.changes().latest_id().await.unwrap(), 2);
    // Pruning drops what is strictly older than its bound and always keeps the newest change:
    // with both changes at `then`, nothing goes at `then` and exactly the first goes a
    // microsecond later. Changes stamped by the machine's clock would survive both.
    assert_eq!(store.changes().prune(then).await.unwrap(), 0);
    assert_eq!(
        store.changes().prune(then + ONE_MICROSECOND).await.unwrap(),
        1
    );
    let left = store.changes().since(0, 10).await.unwrap();
    assert_eq!(left.iter().map(|c| c.id).collect::<Vec<_>>(), vec![2]);
}

async fn an_article_is_written_at_the_callers_time(store: TestStore) {
    let section = store
        .site()
        .create_section(&section_input("politics", 0), far_past())
        .await
        .unwrap();
    let ada = author(&store, "ada").await;
    let draft = ArticleInput {
        status: ArticleStatus::Draft,
        ..article_input(section.id, "vote-delayed", &[ada.id])
    };
    let written = store.articles().create(&draft, far_future()).await.unwrap();
    assert_eq!(written.created_at, far_future());
    assert_eq!(written.updated_at, far_future());

    let later = far_future() + SignedDuration::from_hours(1);
    let saved = store
        .articles()
        .update(written.id, written.version, &draft, later)
        .await
        .unwrap();
    assert_eq!(saved.created_at, far_future());
    assert_eq!(saved.updated_at, later);
}

async fn a_job_waits_for_its_time_and_ends_at_the_callers_time(store: TestStore) {
    let due = far_future();
    let job = NewJob::at("clock.test", json!({}), due);
    let id = store
        .jobs()
        .enqueue(&job, far_past())
        .await
        .unwrap()
        .unwrap();
    let lease = Duration::from_secs(60);
    let kinds = ["clock.test"];
    // Due in 2100: not claimable a second before, whatever the machine's clock says.
    let early = due - SignedDuration::from_secs(1);
    assert!(
        store
            .jobs()
            .claim("node", &kinds, lease, early)
            .await
            .unwrap()
            .is_none()
    );
    let claimed = store
        .jobs()
        .claim("node", &kinds, lease, due)
        .await
        .unwrap();
    assert_eq!(claimed.map(|job| job.id), Some(id));

    let finished = due + SignedDuration::from_secs(5);
    store.jobs().complete(id, finished).await.unwrap();
    // Finished jobs are pruned when they ended strictly before the bound: exactly at `finished`.
    assert_eq!(store.jobs().prune_finished(finished).await.unwrap(), 0);
    assert_eq!(
        store
            .jobs()
            .prune_finished(finished + ONE_MICROSECOND)
            .await
            .unwrap(),
        1
    );
}

async fn a_narration_is_stamped_at_the_callers_time(store: TestStore) {
    let (article_id, _) = dateline_db::testing::published_article(&store, "One paragraph.").await;
    store
        .narration()
        .start(article_id, far_past())
        .await
        .unwrap();
    let audio = store
        .narration()
        .article_audio(article_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audio.updated_at, far_past());

    store
        .narration()
        .fail(article_id, "no voice", far_future())
        .await
        .unwrap();
    let audio = store
        .narration()
        .article_audio(article_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(audio.updated_at, far_future());
}
