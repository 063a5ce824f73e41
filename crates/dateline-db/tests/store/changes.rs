//! The changes log: one entry per write, naming exactly the cache tags the write touched.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use dateline_core::{ArticleStatus, SiteSettings, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, Store};

use crate::support::{
    article_and_lists, article_input, author, author_input, image, image_input, section,
    section_input, tag_set,
};

dateline_db::both_backends!(
    every_write_appends_one_change_in_order,
    changes_since_pages_through_the_log,
    a_headline_edit_of_a_published_article_names_only_the_article,
    publishing_and_unpublishing_name_the_article_and_its_lists,
    moving_a_published_article_names_both_sections,
    byline_and_tag_edits_name_the_old_and_new_lists,
    draft_edits_name_only_the_article,
    a_follower_never_misses_a_change_under_concurrent_writes,
);

/// Checks that exactly one change was logged after `before` and returns its id.
async fn expect_one_change(
    store: &Store,
    before: i64,
    kind: &str,
    entity_id: Option<i64>,
    tags: BTreeSet<String>,
) -> i64 {
    let changes = store.changes().since(before, 100).await.unwrap();
    assert_eq!(changes.len(), 1, "{changes:#?}");
    let change = &changes[0];
    assert_eq!(change.kind, kind);
    assert_eq!(change.entity_id, entity_id);
    assert_eq!(tag_set(change), tags, "{kind} {entity_id:?}");
    assert_eq!(store.changes().latest_id().await.unwrap(), change.id);
    change.id
}

fn tags<const N: usize>(names: [String; N]) -> BTreeSet<String> {
    names.into_iter().collect()
}

/// Looks up the ids of tags by slug.
async fn tag_ids(store: &Store, slugs: &[&str]) -> Vec<i64> {
    let mut ids = Vec::new();
    for slug in slugs {
        ids.push(store.site().tag_by_slug(slug).await.unwrap().unwrap().id);
    }
    ids
}

async fn every_write_appends_one_change_in_order(store: TestStore) {
    assert_eq!(store.changes().latest_id().await.unwrap(), 0);
    let site = || cache_tags::SITE.to_owned();
    let mut ids = Vec::new();

    let mut mark = 0;
    store
        .site()
        .save_settings(&SiteSettings::default(), jiff::Timestamp::now())
        .await
        .unwrap();
    mark = expect_one_change(&store, mark, "settings", None, tags([site()])).await;
    ids.push(mark);

    let politics = section(&store, "politics", 1).await;
    mark = expect_one_change(&store, mark, "section", Some(politics.id), tags([site()])).await;
    ids.push(mark);

    store
        .site()
        .update_section(
            politics.id,
            &section_input("government", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let renamed = tags([
        site(),
        cache_tags::section(politics.id),
        cache_tags::section_list(politics.id),
    ]);
    mark = expect_one_change(&store, mark, "section", Some(politics.id), renamed).await;
    ids.push(mark);

    let ann = author(&store, "ann-lee").await;
    let ann_tags = tags([cache_tags::author(ann.id)]);
    mark = expect_one_change(&store, mark, "author", Some(ann.id), ann_tags.clone()).await;
    ids.push(mark);
    store
        .people()
        .update_author(
            ann.id,
            &author_input("ann-lee-smith"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    mark = expect_one_change(&store, mark, "author", Some(ann.id), ann_tags).await;
    ids.push(mark);

    let photo = store
        .library()
        .insert_image(&image_input("capitol"), jiff::Timestamp::now())
        .await
        .unwrap();
    let photo_tags = tags([cache_tags::image(photo.id)]);
    mark = expect_one_change(&store, mark, "image", Some(photo.id), photo_tags).await;
    ids.push(mark);

    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let colombia = tag_ids(&store, &["colombia"]).await;
    let lists = article_and_lists(article.id, &[politics.id], &[ann.id], &colombia);
    mark = expect_one_change(&store, mark, "article", Some(article.id), lists.clone()).await;
    ids.push(mark);

    input.headline = "A sharper headline".to_owned();
    store
        .articles()
        .update(article.id, 1, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    let only_article = tags([
        cache_tags::article(article.id),
        cache_tags::ANY_ARTICLE.to_owned(),
    ]);
    mark = expect_one_change(&store, mark, "article", Some(article.id), only_article).await;
    ids.push(mark);

    store
        .articles()
        .set_status(
            article.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    mark = expect_one_change(&store, mark, "article", Some(article.id), lists).await;
    ids.push(mark);

    // The whole log, oldest first, one entry per write.
    let log = store.changes().since(0, 100).await.unwrap();
    assert_eq!(log.iter().map(|change| change.id).collect::<Vec<_>>(), ids);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    assert_eq!(
        log.iter()
            .map(|change| change.kind.as_str())
            .collect::<Vec<_>>(),
        [
            "settings", "section", "section", "author", "author", "image", "article", "article",
            "article"
        ]
    );
    assert_eq!(store.changes().latest_id().await.unwrap(), mark);
}

async fn changes_since_pages_through_the_log(store: TestStore) {
    for slug in ["politics", "world", "business", "climate", "culture"] {
        section(&store, slug, 1).await;
    }
    let all = store.changes().since(0, 100).await.unwrap();
    assert_eq!(all.len(), 5);
    let sections = store.site().sections().await.unwrap();
    let mut section_ids: Vec<i64> = sections.iter().map(|s| s.id).collect();
    section_ids.sort_unstable();
    assert_eq!(
        all.iter().map(|c| c.entity_id.unwrap()).collect::<Vec<_>>(),
        section_ids
    );

    let first_page = store.changes().since(0, 2).await.unwrap();
    assert_eq!(first_page, all[..2]);
    let second_page = store.changes().since(first_page[1].id, 2).await.unwrap();
    assert_eq!(second_page, all[2..4]);
    let last_page = store.changes().since(second_page[1].id, 2).await.unwrap();
    assert_eq!(last_page, all[4..]);
    assert!(
        store
            .changes()
            .since(all[4].id, 2)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.changes().latest_id().await.unwrap(), all[4].id);
}

async fn a_headline_edit_of_a_published_article_names_only_the_article(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let photo = image(&store, "capitol").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned(), "Diplomacy".to_owned()];
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let only_article = tags([
        cache_tags::article(article.id),
        cache_tags::ANY_ARTICLE.to_owned(),
    ]);

    let edits: [fn(&mut ArticleInput); 5] = [
        |input| input.headline = "Petro accepts Trump's invitation".to_owned(),
        |input| input.standfirst = "A new standfirst.".to_owned(),
        |input| input.body = "A rewritten body.".to_owned(),
        |input| input.comments_open = false,
        // Saving with nothing changed still names the article (its version moved).
        |_| {},
    ];
    let mut version = article.version;
    for edit in edits {
        edit(&mut input);
        let mark = store.changes().latest_id().await.unwrap();
        version = store
            .articles()
            .update(article.id, version, &input, jiff::Timestamp::now())
            .await
            .unwrap()
            .version;
        expect_one_change(
            &store,
            mark,
            "article",
            Some(article.id),
            only_article.clone(),
        )
        .await;
    }

    // A new hero picture changes the page and the cards, not which lists hold the story.
    input.hero_image_id = Some(photo.id);
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(article.id, version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    expect_one_change(&store, mark, "article", Some(article.id), only_article).await;
}

async fn publishing_and_unpublishing_name_the_article_and_its_lists(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id, bo.id]);
    input.tags = vec!["Colombia".to_owned(), "Diplomacy".to_owned()];
    input.status = ArticleStatus::Draft;

    // Created as a draft: no list can show it yet.
    let mark = store.changes().latest_id().await.unwrap();
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let only_article = tags([
        cache_tags::article(article.id),
        cache_tags::ANY_ARTICLE.to_owned(),
    ]);
    expect_one_change(&store, mark, "article", Some(article.id), only_article).await;

    let topic_ids = tag_ids(&store, &["colombia", "diplomacy"]).await;
    let lists = article_and_lists(article.id, &[politics.id], &[ann.id, bo.id], &topic_ids);

    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .set_status(article.id, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap();
    expect_one_change(&store, mark, "article", Some(article.id), lists.clone()).await;

    let mark = store.changes().latest_id().await.unwrap();
    let unpublished = store
        .articles()
        .set_status(
            article.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    expect_one_change(&store, mark, "article", Some(article.id), lists.clone()).await;

    // Publishing through a save names the same lists.
    input.status = ArticleStatus::Published;
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(
            article.id,
            unpublished.version,
            &input,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    expect_one_change(&store, mark, "article", Some(article.id), lists).await;

    // So does creating an article published.
    let mut second = article_input(politics.id, "trade-talks", &[bo.id]);
    second.tags = vec!["Trade".to_owned()];
    let mark = store.changes().latest_id().await.unwrap();
    let second = store
        .articles()
        .create(&second, jiff::Timestamp::now())
        .await
        .unwrap();
    let trade = tag_ids(&store, &["trade"]).await;
    expect_one_change(
        &store,
        mark,
        "article",
        Some(second.id),
        article_and_lists(second.id, &[politics.id], &[bo.id], &trade),
    )
    .await;
}

async fn moving_a_published_article_names_both_sections(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let colombia = tag_ids(&store, &["colombia"]).await;

    input.section_id = world.id;
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(article.id, article.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    expect_one_change(
        &store,
        mark,
        "article",
        Some(article.id),
        article_and_lists(article.id, &[politics.id, world.id], &[ann.id], &colombia),
    )
    .await;
}

async fn byline_and_tag_edits_name_the_old_and_new_lists(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();

    input.author_ids = vec![bo.id];
    input.tags = vec!["Trade".to_owned()];
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(article.id, article.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    let change = store.changes().since(mark, 10).await.unwrap().remove(0);
    let named = tag_set(&change);
    let old_and_new = [
        cache_tags::article(article.id),
        cache_tags::ANY_ARTICLE.to_owned(),
        cache_tags::author_list(ann.id),
        cache_tags::author_list(bo.id),
    ]
    .into_iter()
    .chain(
        tag_ids(&store, &["colombia", "trade"])
            .await
            .into_iter()
            .map(cache_tags::tag_list),
    );
    for tag in old_and_new {
        assert!(named.contains(&tag), "{tag} missing from {named:?}");
    }
}

async fn draft_edits_name_only_the_article(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let mut input = article_input(politics.id, "in-the-works", &[ann.id]);
    input.status = ArticleStatus::Draft;
    let draft = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let only_article = tags([
        cache_tags::article(draft.id),
        cache_tags::ANY_ARTICLE.to_owned(),
    ]);

    let edits: [fn(&mut ArticleInput); 4] = [
        |input| input.headline = "Working title".to_owned(),
        |input| input.tags = vec!["Colombia".to_owned()],
        |input| input.slug = "better-slug".to_owned(),
        |input| input.status = ArticleStatus::InReview,
    ];
    let mut version = draft.version;
    for edit in edits {
        edit(&mut input);
        let mark = store.changes().latest_id().await.unwrap();
        version = store
            .articles()
            .update(draft.id, version, &input, jiff::Timestamp::now())
            .await
            .unwrap()
            .version;
        expect_one_change(
            &store,
            mark,
            "article",
            Some(draft.id),
            only_article.clone(),
        )
        .await;
    }
    input.section_id = world.id;
    input.author_ids = vec![bo.id, ann.id];
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(draft.id, version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    expect_one_change(
        &store,
        mark,
        "article",
        Some(draft.id),
        only_article.clone(),
    )
    .await;

    // An unpublished article is just as invisible.
    let published = store
        .articles()
        .create(
            &article_input(politics.id, "retracted", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let retracted = store
        .articles()
        .set_status(
            published.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let mut edit = article_input(world.id, "retracted", &[bo.id]);
    edit.status = ArticleStatus::Unpublished;
    let mark = store.changes().latest_id().await.unwrap();
    store
        .articles()
        .update(
            published.id,
            retracted.version,
            &edit,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    expect_one_change(
        &store,
        mark,
        "article",
        Some(published.id),
        tags([
            cache_tags::article(published.id),
            cache_tags::ANY_ARTICLE.to_owned(),
        ]),
    )
    .await;
}

/// A node follows the log with `changes().since(last id it applied)` (`AppState::apply_changes` in
/// dateline-web); that only works if a change never becomes visible after a change with a higher
/// id did.
///
/// Regression: on PostgreSQL ids come from an identity sequence at INSERT time while
/// transactions commit in any order, so a follower that read id 11 before id 10 committed once
/// moved its cursor past 10 and never saw it (that change's pages stayed stale on that node).
/// SQLite commits in id order.
async fn a_follower_never_misses_a_change_under_concurrent_writes(store: TestStore) {
    const WRITERS: usize = 6;
    const WRITES: usize = 40;
    let done = Arc::new(AtomicBool::new(false));
    let follower = {
        let store = store.store.clone();
        let done = Arc::clone(&done);
        tokio::spawn(async move {
            let mut cursor = 0;
            let mut seen = BTreeSet::new();
            loop {
                // Read the flag first: a batch read after the writers finished sees everything.
                let finished = done.load(Ordering::SeqCst);
                for change in store.changes().since(cursor, 1000).await.unwrap() {
                    cursor = change.id;
                    seen.insert(change.id);
                }
                if finished {
                    return seen;
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let store = store.store.clone();
        writers.push(tokio::spawn(async move {
            for n in 0..WRITES {
                let slug = format!("writer-{writer}-{n}");
                store
                    .people()
                    .create_author(&author_input(&slug), jiff::Timestamp::now())
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let seen = follower.await.unwrap();

    let logged: BTreeSet<i64> = store
        .changes()
        .since(0, 10_000)
        .await
        .unwrap()
        .iter()
        .map(|change| change.id)
        .collect();
    assert_eq!(logged.len(), WRITERS * WRITES);
    let missed: Vec<&i64> = logged.difference(&seen).collect();
    assert!(
        missed.is_empty(),
        "the follower never saw {} of {} changes: {missed:?}",
        missed.len(),
        logged.len()
    );
}
