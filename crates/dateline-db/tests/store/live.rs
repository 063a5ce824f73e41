//! Live coverage's rows: a story becomes live coverage, entries come newest first with the pinned
//! ones above, every write names only the live page's tag (and the key-event feeds when a key
//! event changed), ended coverage is frozen, and the rules the transaction checks write nothing
//! when they refuse.

use std::collections::BTreeSet;
use std::time::Duration;

use dateline_core::live::ENTRIES_PER_PAGE;
use dateline_core::{ArticleStatus, NoteKind, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, DbError, NewEntry, Store, StoryFilter};
use jiff::{SignedDuration, Timestamp};

use crate::support::{article_input, author, base_time, section, tag_set};

dateline_db::both_backends!(
    live_entries_come_newest_first_with_pinned_ones_above,
    live_entry_changes_name_only_the_live_page_and_key_event_feeds,
    live_entries_of_a_story_or_of_ended_coverage_are_refused_and_nothing_is_written,
    live_edit_with_a_stale_version_conflicts_and_keeps_the_newer_text,
    live_pinned_entries_are_limited,
    live_corrections_are_kept_with_the_entry_also_after_the_end,
    live_news_tells_an_open_page_what_it_has_not_seen,
    live_running_coverage_latest_entries_and_key_event_feed_items,
    live_a_draft_starts_its_coverage_when_published,
);

fn desk() -> Actor {
    Actor::system("live desk")
}

fn at(minutes: i64) -> Timestamp {
    base_time() + SignedDuration::from_mins(minutes)
}

fn entry(body: &str) -> NewEntry {
    NewEntry {
        headline: None,
        body: body.to_owned(),
        image_id: None,
        embed_url: None,
        key_event: false,
        pinned: false,
        author_id: None,
    }
}

/// A published story in "politics", turned into live coverage.
async fn live_story(store: &Store, slug: &str) -> i64 {
    let id = story(store, slug).await;
    store.live().start(id, &desk(), at(0)).await.unwrap();
    id
}

async fn story(store: &Store, slug: &str) -> i64 {
    let politics = match store.site().section_by_slug("politics").await.unwrap() {
        Some(s) => s,
        None => section(store, "politics", 1).await,
    };
    let writer = author(store, &format!("writer-{slug}")).await;
    store
        .articles()
        .create(
            &article_input(politics.id, slug, &[writer.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id
}

async fn entry_count(store: &Store, article_id: i64) -> usize {
    store.live().page(article_id, 1).await.unwrap().total as usize
        + store.live().page(article_id, 1).await.unwrap().pinned.len()
}

async fn narrate_jobs(store: &Store) -> usize {
    let mut count = 0;
    while let Some(job) = store
        .jobs()
        .claim(
            "test",
            &[dateline_core::JobKind::NarrateArticle.name()],
            Duration::from_secs(60),
            Timestamp::now(),
        )
        .await
        .unwrap()
    {
        count += 1;
        store
            .jobs()
            .complete(job.id, jiff::Timestamp::now())
            .await
            .unwrap();
    }
    count
}

async fn live_entries_come_newest_first_with_pinned_ones_above(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    let article = store.articles().by_id(id).await.unwrap().unwrap();
    assert!(article.is_live_now());
    assert_eq!(article.coverage_start(), Some(at(0)));

    let live = store.live();
    let mut ids = Vec::new();
    for n in 0..(ENTRIES_PER_PAGE + 2) {
        let posted = live
            .post(id, &entry(&format!("Entry {n}")), &desk(), at(n + 1))
            .await
            .unwrap();
        ids.push(posted.id);
    }
    let pinned = live
        .post(
            id,
            &NewEntry {
                pinned: true,
                headline: Some("What we know".into()),
                ..entry("The call lasted an hour.")
            },
            &desk(),
            at(60),
        )
        .await
        .unwrap();

    let first = live.page(id, 1).await.unwrap();
    assert_eq!(
        first.pinned.iter().map(|e| e.id).collect::<Vec<_>>(),
        [pinned.id]
    );
    assert_eq!(first.entries.len() as i64, ENTRIES_PER_PAGE);
    assert_eq!(first.entries[0].id, *ids.last().unwrap(), "newest first");
    assert_eq!(
        first.entries[0].body,
        format!("Entry {}", ENTRIES_PER_PAGE + 1)
    );
    assert_eq!(first.entries[0].byline.name, "live desk");
    assert_eq!(first.total, ENTRIES_PER_PAGE + 2);
    assert_eq!(first.newest_id, pinned.id);

    let second = live.page(id, 2).await.unwrap();
    assert!(
        second.pinned.is_empty(),
        "pinned entries head the first page only"
    );
    assert_eq!(
        second.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        [ids[1], ids[0]]
    );
    assert_eq!(live.page_of(id, ids[0]).await.unwrap(), Some(2));
    assert_eq!(
        live.page_of(id, *ids.last().unwrap()).await.unwrap(),
        Some(1)
    );
    assert_eq!(live.page_of(id, pinned.id).await.unwrap(), Some(1));

    let other = live_story(&store, "other-story").await;
    assert_eq!(
        live.page_of(other, ids[0]).await.unwrap(),
        None,
        "not its entry"
    );
    assert!(!live.is_entry_of(other, ids[0]).await.unwrap());
    assert!(live.is_entry_of(id, ids[0]).await.unwrap());
}

async fn live_entry_changes_name_only_the_live_page_and_key_event_feeds(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    narrate_jobs(&store).await;
    let live = store.live();
    let before = store.changes().latest_id().await.unwrap();

    let plain = live
        .post(id, &entry("First reactions."), &desk(), at(1))
        .await
        .unwrap();
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].entity_id, Some(id));
    assert_eq!(tag_set(&changes[0]), BTreeSet::from([cache_tags::live(id)]));
    assert_eq!(
        narrate_jobs(&store).await,
        0,
        "narration never reads the stream"
    );

    let before = store.changes().latest_id().await.unwrap();
    live.post(
        id,
        &NewEntry {
            key_event: true,
            ..entry("The White House confirms the call.")
        },
        &desk(),
        at(2),
    )
    .await
    .unwrap();
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(
        tag_set(&changes[0]),
        BTreeSet::from([cache_tags::live(id), cache_tags::KEY_EVENTS_LIST.to_owned()])
    );
    assert_eq!(narrate_jobs(&store).await, 1, "a key event is read aloud");

    let before = store.changes().latest_id().await.unwrap();
    live.set_pinned(plain.id, true, &desk(), at(3))
        .await
        .unwrap();
    live.delete(plain.id, &desk(), at(4)).await.unwrap();
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(changes.len(), 2);
    for change in &changes {
        assert_eq!(tag_set(change), BTreeSet::from([cache_tags::live(id)]));
    }
    assert_eq!(live.entry(plain.id).await.unwrap(), None);
    assert!(matches!(
        live.delete(plain.id, &desk(), at(5)).await,
        Err(DbError::NotFound)
    ));
}

async fn live_entries_of_a_story_or_of_ended_coverage_are_refused_and_nothing_is_written(
    store: TestStore,
) {
    let plain_story = story(&store, "plain-story").await;
    let before = store.changes().latest_id().await.unwrap();
    let refused = store
        .live()
        .post(plain_story, &entry("No."), &desk(), at(1))
        .await;
    match refused {
        Err(DbError::Refused(refusals)) => assert_eq!(refusals.codes(), ["not_live"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(store.changes().latest_id().await.unwrap(), before);
    assert_eq!(entry_count(&store, plain_story).await, 0);

    let id = live_story(&store, "phone-call").await;
    let kept = store
        .live()
        .post(id, &entry("Before the end."), &desk(), at(1))
        .await
        .unwrap();
    let ended = store.live().end(id, &desk(), at(2)).await.unwrap();
    assert_eq!(ended.coverage_end(), Some(at(2)));
    assert!(!ended.is_live_now());

    let before = store.changes().latest_id().await.unwrap();
    let refusal_codes = |result: Result<_, DbError>| match result {
        Err(DbError::Refused(refusals)) => refusals.codes().join(","),
        Err(other) => format!("error {other:?}"),
        Ok(_) => "accepted".to_owned(),
    };
    assert_eq!(
        refusal_codes(
            store
                .live()
                .post(id, &entry("After."), &desk(), at(3))
                .await
                .map(|_| ())
        ),
        "coverage_ended"
    );
    assert_eq!(
        refusal_codes(
            store
                .live()
                .set_pinned(kept.id, true, &desk(), at(3))
                .await
                .map(|_| ())
        ),
        "coverage_ended"
    );
    assert_eq!(
        refusal_codes(store.live().delete(kept.id, &desk(), at(3)).await),
        "coverage_ended"
    );
    assert_eq!(
        refusal_codes(store.live().end(id, &desk(), at(3)).await.map(|_| ())),
        "coverage_ended"
    );
    assert_eq!(
        store.changes().latest_id().await.unwrap(),
        before,
        "nothing half-written"
    );
    assert_eq!(entry_count(&store, id).await, 1);
    assert_eq!(
        store.live().entry(kept.id).await.unwrap().unwrap().version,
        1
    );

    assert!(matches!(
        store
            .live()
            .post(9_999_999, &entry("Nowhere."), &desk(), at(3))
            .await,
        Err(DbError::NotFound)
    ));
}

async fn live_edit_with_a_stale_version_conflicts_and_keeps_the_newer_text(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    let posted = store
        .live()
        .post(id, &entry("Frist draft."), &desk(), at(1))
        .await
        .unwrap();
    let text = |body: &str| dateline_db::EntryText {
        headline: Some("Reactions".into()),
        body: body.to_owned(),
        image_id: None,
        embed_url: Some("https://example.org/statement".into()),
    };
    let edited = store
        .live()
        .edit(
            posted.id,
            posted.version,
            &text("First draft."),
            &desk(),
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(edited.body, "First draft.");
    assert_eq!(edited.headline.as_deref(), Some("Reactions"));
    assert_eq!(edited.updated_at, at(2));
    assert_eq!(
        edited.posted_at,
        at(1),
        "an edit keeps the entry's place in time"
    );
    assert_eq!(edited.version, posted.version + 1);

    let stale = store
        .live()
        .edit(
            posted.id,
            posted.version,
            &text("Overwritten?"),
            &desk(),
            at(3),
        )
        .await;
    assert!(
        matches!(stale, Err(DbError::Conflict { current_version }) if current_version == edited.version),
        "{stale:?}"
    );
    assert_eq!(
        store.live().entry(posted.id).await.unwrap().unwrap().body,
        "First draft."
    );
}

async fn live_pinned_entries_are_limited(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    let max = dateline_core::live::limits::PINNED_ENTRIES as i64;
    for n in 0..max {
        store
            .live()
            .post(
                id,
                &NewEntry {
                    pinned: true,
                    ..entry(&format!("Pinned {n}"))
                },
                &desk(),
                at(n),
            )
            .await
            .unwrap();
    }
    let loose = store
        .live()
        .post(id, &entry("Loose."), &desk(), at(10))
        .await
        .unwrap();
    let before = store.changes().latest_id().await.unwrap();
    for result in [
        store
            .live()
            .post(
                id,
                &NewEntry {
                    pinned: true,
                    ..entry("One too many.")
                },
                &desk(),
                at(11),
            )
            .await
            .map(|_| ()),
        store
            .live()
            .set_pinned(loose.id, true, &desk(), at(11))
            .await
            .map(|_| ()),
    ] {
        match result {
            Err(DbError::Refused(refusals)) => assert_eq!(refusals.codes(), ["too_many_pinned"]),
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    assert_eq!(store.changes().latest_id().await.unwrap(), before);
    assert_eq!(
        store.live().page(id, 1).await.unwrap().pinned.len() as i64,
        max
    );
    assert!(!store.live().entry(loose.id).await.unwrap().unwrap().pinned);
}

async fn live_corrections_are_kept_with_the_entry_also_after_the_end(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    let posted = store
        .live()
        .post(id, &entry("The call lasted two hours."), &desk(), at(1))
        .await
        .unwrap();
    store.live().end(id, &desk(), at(2)).await.unwrap();
    let note = store
        .live()
        .add_note(
            posted.id,
            NoteKind::Correction,
            "The call lasted one hour.",
            &desk(),
            at(3),
        )
        .await
        .unwrap();
    assert_eq!(note.kind, NoteKind::Correction);
    let shown = store.live().page(id, 1).await.unwrap();
    assert_eq!(shown.entries[0].notes, [note]);
    assert_eq!(shown.entries[0].updated_at, at(3));

    match store
        .live()
        .add_note(posted.id, NoteKind::Correction, "   ", &desk(), at(4))
        .await
    {
        Err(DbError::Refused(refusals)) => assert_eq!(refusals.codes().len(), 1),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        store
            .live()
            .entry(posted.id)
            .await
            .unwrap()
            .unwrap()
            .notes
            .len(),
        1
    );
}

async fn live_news_tells_an_open_page_what_it_has_not_seen(store: TestStore) {
    let id = live_story(&store, "phone-call").await;
    let first = store
        .live()
        .post(id, &entry("One."), &desk(), at(1))
        .await
        .unwrap();
    let seen = store.live().news(id, first.id).await.unwrap();
    assert!(seen.newer.is_empty());
    assert!(!seen.ended);

    let second = store
        .live()
        .post(id, &entry("Two."), &desk(), at(2))
        .await
        .unwrap();
    let third = store
        .live()
        .post(id, &entry("Three."), &desk(), at(3))
        .await
        .unwrap();
    let news = store.live().news(id, first.id).await.unwrap();
    assert_eq!(news.newer, [third.id, second.id]);
    assert!(news.revision > seen.revision);

    let (after, _) = store.live().after(id, first.id, 10).await.unwrap();
    assert_eq!(
        after.iter().map(|e| e.id).collect::<Vec<_>>(),
        [third.id, second.id]
    );

    let revision = news.revision;
    store
        .live()
        .delete(second.id, &desk(), at(4))
        .await
        .unwrap();
    let news = store.live().news(id, third.id).await.unwrap();
    assert!(news.newer.is_empty());
    assert!(news.revision > revision, "a deletion changes the page too");

    store.live().end(id, &desk(), at(5)).await.unwrap();
    assert!(store.live().news(id, third.id).await.unwrap().ended);
    assert!(matches!(
        store.live().news(9_999_999, 0).await,
        Err(DbError::NotFound)
    ));
}

async fn live_running_coverage_latest_entries_and_key_event_feed_items(store: TestStore) {
    let running = live_story(&store, "running").await;
    let ended = live_story(&store, "ended").await;
    let plain = story(&store, "plain").await;
    store
        .live()
        .post(running, &entry("Older."), &desk(), at(1))
        .await
        .unwrap();
    let newest = store
        .live()
        .post(
            running,
            &NewEntry {
                key_event: true,
                headline: Some("Statement released".into()),
                ..entry("The White House released a statement.")
            },
            &desk(),
            at(2),
        )
        .await
        .unwrap();
    store
        .live()
        .post(
            ended,
            &NewEntry {
                key_event: true,
                ..entry("Over.")
            },
            &desk(),
            at(3),
        )
        .await
        .unwrap();
    store.live().end(ended, &desk(), at(4)).await.unwrap();

    let ids = [running, ended, plain];
    assert_eq!(store.live().running(&ids).await.unwrap(), [running]);
    let latest = store.live().latest_entries(&ids).await.unwrap();
    assert_eq!(latest.len(), 1);
    assert_eq!(latest[&running].entry_id, newest.id);
    assert_eq!(latest[&running].title, "Statement released");

    let items = store
        .live()
        .feed_key_events(StoryFilter::All, 10)
        .await
        .unwrap();
    assert_eq!(
        items.len(),
        2,
        "key events of ended coverage stay in the feeds"
    );
    assert_eq!(items[0].article.id, ended);
    assert_eq!(items[1].entry.id, newest.id);
    assert_eq!(items[1].language, "en");
    let politics = store
        .site()
        .section_by_slug("politics")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .live()
            .feed_key_events(StoryFilter::Section(politics.id + 1), 10)
            .await
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        store.live().key_events(running).await.unwrap()[0].id,
        newest.id
    );
}

async fn live_a_draft_starts_its_coverage_when_published(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let writer = author(&store, "writer").await;
    let mut input = article_input(politics.id, "breaking", &[writer.id]);
    input.status = ArticleStatus::Draft;
    let id = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id;
    let started = store.live().start(id, &desk(), at(0)).await.unwrap();
    assert!(started.is_live());
    assert!(!started.is_live_now(), "a draft is not live for readers");
    assert_eq!(started.coverage_start(), None);
    match store.live().end(id, &desk(), at(1)).await {
        Err(DbError::Refused(refusals)) => assert_eq!(refusals.codes(), ["coverage_not_started"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(
        store.live().running(&[id]).await.unwrap(),
        Vec::<i64>::new()
    );
}
