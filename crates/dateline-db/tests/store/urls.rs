//! Public article URLs: what is found, what is gone, and every old path that redirects.

use dateline_core::ArticleStatus;
use dateline_db::ArticleLookup;
use dateline_db::testing::TestStore;

use crate::support::{At, article_input, author, image, resolve, section, section_input};

dateline_db::both_backends!(
    a_published_article_is_found_with_its_page,
    drafts_and_unpublished_articles_are_not_found,
    a_slug_change_redirects_the_old_path,
    a_move_to_another_section_redirects_the_old_path,
    a_section_rename_redirects_its_old_paths,
    a_chain_of_renames_redirects_to_the_newest_path,
    going_back_to_an_old_slug_makes_it_live_again,
    a_new_article_may_take_over_an_old_path,
);

/// Saves `article_id` (at its current version) with a new section and slug.
async fn move_article(store: &TestStore, article_id: i64, section_id: i64, slug: &str) {
    let current = store
        .articles()
        .article_page(article_id)
        .await
        .unwrap()
        .unwrap();
    let mut input = article_input(
        section_id,
        slug,
        &current
            .authors
            .iter()
            .map(|author| author.id)
            .collect::<Vec<_>>(),
    );
    input.status = current.article.status;
    store
        .articles()
        .update(
            article_id,
            current.article.version,
            &input,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
}

async fn a_published_article_is_found_with_its_page(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let photo = image(&store, "capitol").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.hero_image_id = Some(photo.id);
    input.tags = vec!["Colombia".to_owned()];
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();

    let lookup = store
        .articles()
        .published_at("politics", "petro-invited")
        .await
        .unwrap();
    let ArticleLookup::Found(page) = lookup else {
        panic!("expected the article, got {lookup:?}");
    };
    assert_eq!(page.article, article);
    assert_eq!(page.section, politics);
    assert_eq!(page.authors, vec![ann]);
    assert_eq!(page.hero, Some(photo));
    assert_eq!(page.tags.len(), 1);
    assert_eq!(
        *page,
        store
            .articles()
            .article_page(article.id)
            .await
            .unwrap()
            .unwrap()
    );

    // Neither half of the path may be wrong.
    assert_eq!(
        resolve(&store, "world", "petro-invited").await,
        At::NotFound
    );
    assert_eq!(resolve(&store, "politics", "petro").await, At::NotFound);
    assert_eq!(
        resolve(&store, "Politics", "petro-invited").await,
        At::NotFound
    );
}

async fn drafts_and_unpublished_articles_are_not_found(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    for status in [
        ArticleStatus::Draft,
        ArticleStatus::InReview,
        ArticleStatus::Scheduled,
    ] {
        let mut input = article_input(
            politics.id,
            status.as_str().replace('_', "-").as_str(),
            &[ann.id],
        );
        input.status = status;
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .unwrap();
        assert_eq!(
            resolve(&store, "politics", &input.slug).await,
            At::NotFound,
            "{status:?}"
        );
    }

    let article = store
        .articles()
        .create(
            &article_input(politics.id, "retracted", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        resolve(&store, "politics", "retracted").await,
        At::Found(article.id)
    );
    store
        .articles()
        .set_status(
            article.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(resolve(&store, "politics", "retracted").await, At::NotFound);

    // An old path of an article that is no longer published does not redirect either.
    move_article(&store, article.id, politics.id, "retracted-again").await;
    assert_eq!(resolve(&store, "politics", "retracted").await, At::NotFound);
    assert_eq!(
        resolve(&store, "politics", "retracted-again").await,
        At::NotFound
    );
    store
        .articles()
        .set_status(article.id, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        resolve(&store, "politics", "retracted").await,
        At::MovedTo("/politics/retracted-again".to_owned())
    );
}

async fn a_slug_change_redirects_the_old_path(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let article = store
        .articles()
        .create(
            &article_input(politics.id, "petro-invted", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    move_article(&store, article.id, politics.id, "petro-invited").await;

    assert_eq!(
        resolve(&store, "politics", "petro-invted").await,
        At::MovedTo("/politics/petro-invited".to_owned())
    );
    assert_eq!(
        resolve(&store, "politics", "petro-invited").await,
        At::Found(article.id)
    );
}

async fn a_move_to_another_section_redirects_the_old_path(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let article = store
        .articles()
        .create(
            &article_input(politics.id, "petro-invited", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    move_article(&store, article.id, world.id, "petro-invited").await;
    assert_eq!(
        resolve(&store, "politics", "petro-invited").await,
        At::MovedTo("/world/petro-invited".to_owned())
    );
    assert_eq!(
        resolve(&store, "world", "petro-invited").await,
        At::Found(article.id)
    );

    // Section and slug at once.
    move_article(&store, article.id, politics.id, "petro-accepts").await;
    assert_eq!(
        resolve(&store, "world", "petro-invited").await,
        At::MovedTo("/politics/petro-accepts".to_owned())
    );
    assert_eq!(
        resolve(&store, "politics", "petro-invited").await,
        At::MovedTo("/politics/petro-accepts".to_owned())
    );
}

async fn a_section_rename_redirects_its_old_paths(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let kept = store
        .articles()
        .create(
            &article_input(politics.id, "petro-invited", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    // Renamed before the section is: its redirect names the section's old slug.
    let early = store
        .articles()
        .create(
            &article_input(politics.id, "early-draft-name", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    move_article(&store, early.id, politics.id, "early").await;

    store
        .site()
        .update_section(
            politics.id,
            &section_input("government", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    assert_eq!(
        resolve(&store, "politics", "petro-invited").await,
        At::MovedTo("/government/petro-invited".to_owned())
    );
    assert_eq!(
        resolve(&store, "government", "petro-invited").await,
        At::Found(kept.id)
    );
    assert_eq!(
        resolve(&store, "politics", "early-draft-name").await,
        At::MovedTo("/government/early".to_owned())
    );
    assert_eq!(
        resolve(&store, "politics", "early").await,
        At::MovedTo("/government/early".to_owned())
    );
    // Renamed after the section is: the old section path still finds it.
    let late = store
        .articles()
        .create(
            &article_input(politics.id, "late-name", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    move_article(&store, late.id, politics.id, "late").await;
    assert_eq!(
        resolve(&store, "politics", "late-name").await,
        At::MovedTo("/government/late".to_owned())
    );
    assert_eq!(
        resolve(&store, "government", "late-name").await,
        At::MovedTo("/government/late".to_owned())
    );
    // An old section path to an article that never existed is still not found.
    assert_eq!(resolve(&store, "politics", "nothing").await, At::NotFound);
}

async fn a_chain_of_renames_redirects_to_the_newest_path(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let ann = author(&store, "ann-lee").await;
    let article = store
        .articles()
        .create(
            &article_input(politics.id, "first", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    move_article(&store, article.id, politics.id, "second").await;
    move_article(&store, article.id, world.id, "third").await;

    for (section_slug, slug) in [("politics", "first"), ("politics", "second")] {
        assert_eq!(
            resolve(&store, section_slug, slug).await,
            At::MovedTo("/world/third".to_owned()),
            "/{section_slug}/{slug}"
        );
    }
    assert_eq!(
        resolve(&store, "world", "third").await,
        At::Found(article.id)
    );

    // The sections are renamed twice too: the oldest path of all still lands on the newest.
    store
        .site()
        .update_section(
            world.id,
            &section_input("international", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    store
        .site()
        .update_section(
            world.id,
            &section_input("global", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    for (section_slug, slug) in [
        ("politics", "first"),
        ("politics", "second"),
        ("world", "third"),
        ("international", "third"),
    ] {
        assert_eq!(
            resolve(&store, section_slug, slug).await,
            At::MovedTo("/global/third".to_owned()),
            "/{section_slug}/{slug}"
        );
    }
}

async fn going_back_to_an_old_slug_makes_it_live_again(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let article = store
        .articles()
        .create(
            &article_input(politics.id, "original", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    move_article(&store, article.id, politics.id, "renamed").await;
    move_article(&store, article.id, politics.id, "original").await;

    assert_eq!(
        resolve(&store, "politics", "original").await,
        At::Found(article.id)
    );
    assert_eq!(
        resolve(&store, "politics", "renamed").await,
        At::MovedTo("/politics/original".to_owned())
    );

    // The same for a section slug given back.
    store
        .site()
        .update_section(
            politics.id,
            &section_input("government", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    store
        .site()
        .update_section(
            politics.id,
            &section_input("politics", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        resolve(&store, "politics", "original").await,
        At::Found(article.id)
    );
    assert_eq!(
        resolve(&store, "government", "original").await,
        At::MovedTo("/politics/original".to_owned())
    );
}

async fn a_new_article_may_take_over_an_old_path(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let old = store
        .articles()
        .create(
            &article_input(politics.id, "summit", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    move_article(&store, old.id, politics.id, "summit-2025").await;
    assert_eq!(
        resolve(&store, "politics", "summit").await,
        At::MovedTo("/politics/summit-2025".to_owned())
    );

    // A live article at a path wins over a redirect from it.
    let new = store
        .articles()
        .create(
            &article_input(politics.id, "summit", &[ann.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        resolve(&store, "politics", "summit").await,
        At::Found(new.id)
    );

    // When the newcomer moves on, the path follows its latest occupant.
    move_article(&store, new.id, politics.id, "summit-2026").await;
    assert_eq!(
        resolve(&store, "politics", "summit").await,
        At::MovedTo("/politics/summit-2026".to_owned())
    );
    assert_eq!(
        resolve(&store, "politics", "summit-2025").await,
        At::Found(old.id)
    );
}
