//! The follower keeps an index in step with the store's `changes` log: it rebuilds when it has
//! no cursor and tells whoever shows results from the index, catches up after that without a
//! rebuild, and asks for a shared index's sync once however often it is asked.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use dateline_db::testing::TestStore;
use dateline_search::follower::{self, SearchCursor, SiteSearch};
use dateline_search::{SearchQuery, TantivyIndex};

dateline_db::both_backends!(
    follower_rebuilds_once_then_catches_up_and_says_when_it_rebuilt,
    follower_asks_for_one_shared_sync_however_often_it_is_asked,
);

fn node() -> Arc<SiteSearch> {
    Arc::new(SiteSearch::new(
        Arc::new(TantivyIndex::in_memory().unwrap()),
        SearchCursor::Memory,
    ))
}

async fn waiting_jobs(store: &TestStore) -> i64 {
    store
        .store
        .jobs()
        .counts()
        .await
        .unwrap()
        .into_iter()
        .filter(|(state, _)| state == "queued")
        .map(|(_, count)| count)
        .sum()
}

async fn follower_rebuilds_once_then_catches_up_and_says_when_it_rebuilt(store: TestStore) {
    let (article_id, _) =
        dateline_db::testing::published_article(&store.store, "The senate delayed the vote.").await;
    let search = node();
    let rebuilds = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&rebuilds);
    search.when_rebuilt(move || {
        counted.fetch_add(1, Ordering::SeqCst);
    });
    assert!(search.is_behind(&store.store).await.unwrap());

    let first = search.sync(&store.store).await.unwrap();
    assert!(first.rebuilt, "no cursor yet: {first:?}");
    assert_eq!(first.indexed, 1);
    assert_eq!(rebuilds.load(Ordering::SeqCst), 1);
    assert!(!search.is_behind(&store.store).await.unwrap());
    let found = search.search(SearchQuery::new("senate")).await.unwrap();
    assert_eq!(found.total, 1);

    // Unpublishing is a change like any other: the follower catches up without rebuilding,
    // and the hook stays quiet.
    store
        .store
        .articles()
        .set_status(
            article_id,
            dateline_core::ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let second = search.sync(&store.store).await.unwrap();
    assert!(!second.rebuilt, "{second:?}");
    assert_eq!(second.removed, 1);
    assert_eq!(rebuilds.load(Ordering::SeqCst), 1);
    let found = search.search(SearchQuery::new("senate")).await.unwrap();
    assert_eq!(found.total, 0);
}

async fn follower_asks_for_one_shared_sync_however_often_it_is_asked(store: TestStore) {
    let search = node();
    let now = jiff::Timestamp::now();
    // Caught up (an empty log): nothing to ask for.
    follower::queue_sync(&search, &store.store, now)
        .await
        .unwrap();
    let before = waiting_jobs(&store).await;
    dateline_db::testing::published_article(&store.store, "The senate delayed the vote.").await;
    let after_publish = waiting_jobs(&store).await;
    for _ in 0..3 {
        follower::queue_sync(&search, &store.store, now)
            .await
            .unwrap();
    }
    let after_asking = waiting_jobs(&store).await;
    assert!(
        after_asking <= after_publish + 1,
        "one sync waits at a time: {before} → {after_publish} → {after_asking}"
    );
    assert!(after_asking > before, "the publish left the index behind");
}
