//! Writing articles: bylines, tags, reading time, publication time, versions and conflicts.

use std::sync::Arc;

use dateline_core::{ArticleRefusal, ArticleStatus, Refusal, markdown};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleStats, DbError};
use jiff::SignedDuration;
use tokio::sync::Barrier;

use crate::SEED_ARTICLE;
use crate::support::{
    At, article_input, author, base_time, hours_after_base, image, resolve, section, words,
};

dateline_db::both_backends!(
    a_published_article_keeps_its_byline_order,
    tags_are_created_on_first_use_and_shared_by_slug,
    reading_minutes_count_words_and_the_hero_picture,
    the_reference_article_reads_in_three_minutes,
    first_publication_time_is_kept_and_version_increments,
    a_draft_gets_its_publication_time_when_published,
    a_stale_version_is_a_conflict_and_changes_nothing,
    concurrent_saves_from_one_version_let_exactly_one_win,
    invalid_articles_are_refused,
    an_article_slug_is_unique_within_its_section,
);

async fn a_published_article_keeps_its_byline_order(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let cy = author(&store, "cy-diaz").await;
    let photo = image(&store, "capitol").await;

    let mut input = article_input(politics.id, "petro-invited", &[cy.id, ann.id, bo.id]);
    input.hero_image_id = Some(photo.id);
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(article.status, ArticleStatus::Published);
    assert_eq!(article.section_id, politics.id);
    assert_eq!(article.slug, "petro-invited");
    assert_eq!(article.headline, input.headline);
    assert_eq!(article.standfirst, input.standfirst);
    assert_eq!(article.body, input.body);
    assert_eq!(article.dateline_place.as_deref(), Some("Washington"));
    assert_eq!(article.hero_image_id, Some(photo.id));
    assert!(article.comments_open);
    assert_eq!(article.language, "en");
    assert_eq!(article.version, 1);
    let first_published_at = article.first_published_at.unwrap();
    assert_eq!(article.updated_at, first_published_at);
    assert!(article.created_at <= article.updated_at);

    let page = store
        .articles()
        .article_page(article.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.article, article);
    assert_eq!(page.section, politics);
    assert_eq!(page.authors, vec![cy.clone(), ann.clone(), bo.clone()]);
    assert_eq!(page.hero, Some(photo));
    assert!(page.tags.is_empty());

    // A new byline order is stored as given.
    input.author_ids = vec![bo.id, cy.id];
    store
        .articles()
        .update(article.id, article.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    let page = store
        .articles()
        .article_page(article.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.authors, vec![bo, cy]);
    assert_eq!(
        store.articles().stats().await.unwrap(),
        ArticleStats {
            total: 1,
            published: 1
        }
    );
}

async fn tags_are_created_on_first_use_and_shared_by_slug(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    assert_eq!(store.site().tag_by_slug("colombia").await.unwrap(), None);

    let mut first = article_input(politics.id, "petro-invited", &[ann.id]);
    first.tags = [
        "Colombia",
        "United States",
        "colombia",
        " Colombia ",
        "Diplomacy",
        "!!",
    ]
    .map(str::to_owned)
    .to_vec();
    let first = store
        .articles()
        .create(&first, jiff::Timestamp::now())
        .await
        .unwrap();

    let colombia = store.site().tag_by_slug("colombia").await.unwrap().unwrap();
    assert_eq!(colombia.name, "Colombia");
    let united_states = store
        .site()
        .tag_by_slug("united-states")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(united_states.name, "United States");
    let diplomacy = store
        .site()
        .tag_by_slug("diplomacy")
        .await
        .unwrap()
        .unwrap();
    let page = store
        .articles()
        .article_page(first.id)
        .await
        .unwrap()
        .unwrap();
    // Duplicates in the input collapse; a name without a slug is dropped; listed by name.
    assert_eq!(
        page.tags,
        vec![colombia.clone(), diplomacy.clone(), united_states.clone()]
    );

    // A second article shares the existing tags (the first spelling keeps the name).
    let mut second = article_input(politics.id, "trade-talks", &[ann.id]);
    second.tags = ["DIPLOMACY", "Trade"].map(str::to_owned).to_vec();
    let second = store
        .articles()
        .create(&second, jiff::Timestamp::now())
        .await
        .unwrap();
    let trade = store.site().tag_by_slug("trade").await.unwrap().unwrap();
    let page = store
        .articles()
        .article_page(second.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.tags, vec![diplomacy.clone(), trade]);
    assert_eq!(
        store.site().tag_by_slug("diplomacy").await.unwrap(),
        Some(diplomacy)
    );

    // Replacing an article's tags replaces them; the tag itself outlives its last use.
    let mut edit = article_input(politics.id, "petro-invited", &[ann.id]);
    edit.tags = vec!["Colombia".to_owned()];
    store
        .articles()
        .update(first.id, first.version, &edit, jiff::Timestamp::now())
        .await
        .unwrap();
    let page = store
        .articles()
        .article_page(first.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(page.tags, vec![colombia]);
    assert_eq!(
        store.site().tag_by_slug("united-states").await.unwrap(),
        Some(united_states)
    );
}

async fn reading_minutes_count_words_and_the_hero_picture(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let photo = image(&store, "capitol").await;
    let body = words(476);
    assert_eq!(markdown::body_stats(&body).words, 476);

    // 476 words are exactly two minutes; the hero picture's 12 seconds make it three.
    let mut input = article_input(politics.id, "long-read", &[ann.id]);
    input.body = body;
    input.hero_image_id = Some(photo.id);
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(article.reading_minutes, 3);

    input.hero_image_id = None;
    let article = store
        .articles()
        .update(article.id, article.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(article.reading_minutes, 2);

    input.body = "Brief.".to_owned();
    let article = store
        .articles()
        .update(article.id, article.version, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(article.reading_minutes, 1);
}

/// The six paragraphs of the reference article: after the picture's label, before the tip box.
fn reference_body() -> String {
    let mut lines = SEED_ARTICLE.lines();
    lines
        .by_ref()
        .find(|line| line.trim() == "AI-generated illustration")
        .expect("the reference article has the picture label");
    let paragraphs: Vec<&str> = lines
        .take_while(|line| !line.starts_with("Know something we missed?"))
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    assert_eq!(paragraphs.len(), 6, "{paragraphs:#?}");
    paragraphs.join("\n\n")
}

async fn the_reference_article_reads_in_three_minutes(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let james = author(&store, "james-thompson").await;
    let photo = image(&store, "capitol").await;

    let mut input = article_input(
        politics.id,
        "trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation",
        &[james.id],
    );
    input.headline =
        "Trump Invites Colombia’s Gustavo Petro to White House After Confrontation".to_owned();
    input.body = reference_body();
    input.hero_image_id = Some(photo.id);
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(article.reading_minutes, 3);
    assert_eq!(article.body, input.body);
}

async fn first_publication_time_is_kept_and_version_increments(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let published = base_time();

    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.first_published_at = Some(published);
    let v1 = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(v1.version, 1);
    assert_eq!(v1.first_published_at, Some(published));
    assert_eq!(v1.updated_at, published);

    // An edit, even one that claims another publication time, keeps the first one.
    input.headline = "Petro accepts".to_owned();
    input.first_published_at = Some(hours_after_base(5));
    input.updated_at = Some(hours_after_base(3));
    let v2 = store
        .articles()
        .update(v1.id, 1, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.headline, "Petro accepts");
    assert_eq!(v2.first_published_at, Some(published));
    assert_eq!(v2.updated_at, hours_after_base(3));
    assert_eq!(v2.created_at, v1.created_at);

    // Unpublishing and publishing again are saves too, and still keep the first time.
    let v3 = store
        .articles()
        .set_status(v1.id, ArticleStatus::Unpublished, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.status, ArticleStatus::Unpublished);
    assert_eq!(v3.first_published_at, Some(published));
    let v4 = store
        .articles()
        .set_status(v1.id, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(v4.version, 4);
    assert_eq!(v4.first_published_at, Some(published));

    input.first_published_at = None;
    let v5 = store
        .articles()
        .update(v1.id, 4, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(v5.version, 5);
    assert_eq!(v5.first_published_at, Some(published));
    assert_eq!(store.articles().by_id(v1.id).await.unwrap(), Some(v5));
}

async fn a_draft_gets_its_publication_time_when_published(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;

    let mut input = article_input(politics.id, "in-the-works", &[]);
    input.status = ArticleStatus::Draft;
    let draft = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(draft.status, ArticleStatus::Draft);
    assert_eq!(draft.first_published_at, None);

    // Publishing through a save.
    input.author_ids = vec![ann.id];
    input.status = ArticleStatus::Published;
    let before = jiff::Timestamp::now() - SignedDuration::from_secs(1);
    let published = store
        .articles()
        .update(draft.id, 1, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    let first = published.first_published_at.unwrap();
    assert!(first >= before, "{first} is before the save at {before}");
    assert!(first <= jiff::Timestamp::now());

    // Publishing through the status switch.
    let mut other = article_input(politics.id, "another-draft", &[ann.id]);
    other.status = ArticleStatus::InReview;
    let other = store
        .articles()
        .create(&other, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(other.first_published_at, None);
    let other = store
        .articles()
        .set_status(other.id, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(other.status, ArticleStatus::Published);
    assert_eq!(other.version, 2);
    assert!(other.first_published_at.unwrap() >= before);
    assert_eq!(
        store.articles().stats().await.unwrap(),
        ArticleStats {
            total: 2,
            published: 2
        }
    );

    let error = store
        .articles()
        .set_status(9_999, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::NotFound), "{error:?}");
}

async fn a_stale_version_is_a_conflict_and_changes_nothing(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;

    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    let v1 = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    input.headline = "First editor's headline".to_owned();
    let v2 = store
        .articles()
        .update(v1.id, 1, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    let page_before = store.articles().article_page(v1.id).await.unwrap().unwrap();
    let change_before = store.changes().latest_id().await.unwrap();

    // A second editor started from version 1 and changes everything.
    let mut stale = article_input(world.id, "petro-rebuffed", &[bo.id]);
    stale.headline = "Second editor's headline".to_owned();
    stale.tags = vec!["Venezuela".to_owned()];
    stale.status = ArticleStatus::Draft;
    let error = store
        .articles()
        .update(v1.id, 1, &stale, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DbError::Conflict { current_version: 2 }),
        "{error:?}"
    );
    // A version from the future is just as stale.
    let error = store
        .articles()
        .update(v1.id, 7, &stale, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(
        matches!(error, DbError::Conflict { current_version: 2 }),
        "{error:?}"
    );

    assert_eq!(
        store.articles().article_page(v1.id).await.unwrap().unwrap(),
        page_before
    );
    assert_eq!(store.articles().by_id(v1.id).await.unwrap(), Some(v2));
    assert_eq!(store.site().tag_by_slug("venezuela").await.unwrap(), None);
    assert_eq!(store.changes().latest_id().await.unwrap(), change_before);
    assert_eq!(
        resolve(&store, "politics", "petro-invited").await,
        At::Found(v1.id)
    );
    assert_eq!(
        resolve(&store, "world", "petro-rebuffed").await,
        At::NotFound
    );

    let error = store
        .articles()
        .update(9_999, 1, &input, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::NotFound), "{error:?}");
}

/// Optimistic locking must hold when saves really overlap, not only one after another.
///
/// Regression: `articles().update` once checked the version with a plain `SELECT` and then
/// updated without re-checking it, so under PostgreSQL's READ COMMITTED two saves from the same
/// version both passed and both wrote (a lost update). SQLite's single writer hid it.
async fn concurrent_saves_from_one_version_let_exactly_one_win(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;

    const EDITORS: usize = 8;
    // Several rounds, so a race that only sometimes happens shows every time.
    for round in 0..10 {
        let slug = format!("contested-{round}");
        let article = store
            .articles()
            .create(
                &article_input(politics.id, &slug, &[ann.id]),
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        let barrier = Arc::new(Barrier::new(EDITORS));
        let mut saves = Vec::new();
        for editor in 0..EDITORS {
            let store = store.store.clone();
            let barrier = Arc::clone(&barrier);
            let mut input = article_input(politics.id, &slug, &[ann.id]);
            input.headline = format!("Headline by editor {editor}");
            saves.push(tokio::spawn(async move {
                barrier.wait().await;
                store
                    .articles()
                    .update(article.id, 1, &input, jiff::Timestamp::now())
                    .await
            }));
        }
        let mut winners = Vec::new();
        let mut conflicts = Vec::new();
        for save in saves {
            match save.await.unwrap() {
                Ok(saved) => winners.push(saved.headline),
                Err(DbError::Conflict { current_version }) => conflicts.push(current_version),
                Err(other) => panic!("expected a conflict, got {other:?}"),
            }
        }
        let stored = store.articles().by_id(article.id).await.unwrap().unwrap();
        assert_eq!(
            (winners.len(), stored.version),
            (1, 2),
            "round {round}: several saves from version 1 won: {winners:?}; \
             the others saw versions {conflicts:?}"
        );
        assert_eq!(conflicts, vec![2; EDITORS - 1], "round {round}");
        assert_eq!(stored.headline, winners[0]);
    }
}

async fn invalid_articles_are_refused(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;

    let mut no_headline = article_input(politics.id, "untitled", &[ann.id]);
    no_headline.headline = "  ".to_owned();
    let mut bad_slug = article_input(politics.id, "Bad Slug", &[ann.id]);
    bad_slug.status = ArticleStatus::Draft;
    let no_author = article_input(politics.id, "anonymous", &[]);
    let twice = article_input(politics.id, "twice", &[ann.id, ann.id]);
    let expected = [
        ArticleRefusal::HeadlineMissing,
        ArticleRefusal::SlugInvalid,
        ArticleRefusal::BylineEmpty {
            status: ArticleStatus::Published,
        },
        ArticleRefusal::AuthorListedTwice,
    ];
    for (input, refusal) in [no_headline, bad_slug, no_author, twice]
        .into_iter()
        .zip(expected)
    {
        let error = store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .unwrap_err();
        let DbError::Refused(refusals) = &error else {
            panic!("{}: {error:?}", input.slug);
        };
        assert_eq!(
            refusals.first(),
            &Refusal::Article(refusal),
            "{}",
            input.slug
        );
    }
    assert_eq!(store.changes().latest_id().await.unwrap(), 2);
    assert_eq!(store.articles().stats().await.unwrap().total, 0);

    // A draft may wait for its byline; publishing it may not.
    let mut draft = article_input(politics.id, "no-byline-yet", &[]);
    draft.status = ArticleStatus::Draft;
    let draft_article = store
        .articles()
        .create(&draft, jiff::Timestamp::now())
        .await
        .unwrap();
    draft.status = ArticleStatus::Published;
    let error = store
        .articles()
        .update(draft_article.id, 1, &draft, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Refused(_)), "{error:?}");
    assert_eq!(
        store.articles().by_id(draft_article.id).await.unwrap(),
        Some(draft_article)
    );
}

async fn an_article_slug_is_unique_within_its_section(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let first = store
        .articles()
        .create(
            &article_input(politics.id, "summit", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let change_before = store.changes().latest_id().await.unwrap();

    let mut again = article_input(politics.id, "summit", &[ann.id]);
    again.tags = vec!["Orphan".to_owned()];
    let error = store
        .articles()
        .create(&again, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");
    assert_eq!(store.changes().latest_id().await.unwrap(), change_before);
    assert_eq!(store.site().tag_by_slug("orphan").await.unwrap(), None);

    // Another section may use the same slug.
    let elsewhere = store
        .articles()
        .create(
            &article_input(world.id, "summit", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_ne!(elsewhere.id, first.id);

    // Renaming into a taken slug is a duplicate too, and leaves the article as it was.
    let other = store
        .articles()
        .create(
            &article_input(politics.id, "other", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let error = store
        .articles()
        .update(
            other.id,
            other.version,
            &article_input(politics.id, "summit", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");
    assert_eq!(store.articles().by_id(other.id).await.unwrap(), Some(other));
    assert_eq!(
        resolve(&store, "politics", "summit").await,
        At::Found(first.id)
    );
}
