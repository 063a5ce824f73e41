//! The schema: a fresh store is fully migrated and empty, and migrating again changes nothing.

use dateline_core::SiteSettings;
use dateline_db::testing::TestStore;
use dateline_db::{ArticleStats, NewJob, StoryFilter};

use crate::support::{article_input, author, image, section};

dateline_db::both_backends!(
    fresh_store_has_every_table_and_nothing_in_them,
    migrating_twice_is_a_no_op,
);

async fn fresh_store_has_every_table_and_nothing_in_them(store: TestStore) {
    // Each read touches one table of the migration; a missing table or column fails here.
    assert_eq!(
        store.site().settings().await.unwrap(),
        SiteSettings::default()
    );
    assert!(store.site().sections().await.unwrap().is_empty());
    assert!(
        store
            .site()
            .section_by_old_slug("politics")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.people().authors().await.unwrap().is_empty());
    assert!(
        store
            .site()
            .tag_by_slug("colombia")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .library()
            .images_by_ids(&[1, 2])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.articles().by_id(1).await.unwrap().is_none());
    assert_eq!(
        store.articles().stats().await.unwrap(),
        ArticleStats {
            total: 0,
            published: 0
        }
    );
    assert!(
        store
            .public()
            .stories(StoryFilter::All, jiff::Timestamp::now(), 10, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .public()
            .count_stories(StoryFilter::All, jiff::Timestamp::now())
            .await
            .unwrap(),
        0
    );
    assert_eq!(store.changes().latest_id().await.unwrap(), 0);
    assert!(store.changes().since(0, 10).await.unwrap().is_empty());
    assert!(store.jobs().counts().await.unwrap().is_empty());
}

async fn migrating_twice_is_a_no_op(store: TestStore) {
    // Some data first, so a migration that recreated or emptied a table would show.
    let politics = section(&store, "politics", 1).await;
    let ann = author(&store, "ann-lee").await;
    let photo = image(&store, "capitol").await;
    let mut input = article_input(politics.id, "petro-invited", &[ann.id]);
    input.tags = vec!["Colombia".to_owned()];
    input.hero_image_id = Some(photo.id);
    let article = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    let job = store
        .jobs()
        .enqueue(
            &NewJob::at(
                "resize",
                serde_json::json!({"image": photo.id}),
                jiff::Timestamp::now(),
            ),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert!(job.is_some());
    let latest = store.changes().latest_id().await.unwrap();

    store.migrate().await.unwrap();
    store.migrate().await.unwrap();

    assert_eq!(store.site().sections().await.unwrap(), vec![politics]);
    assert_eq!(store.people().authors().await.unwrap(), vec![ann]);
    assert_eq!(store.library().image(photo.id).await.unwrap(), Some(photo));
    assert_eq!(
        store.articles().by_id(article.id).await.unwrap(),
        Some(article)
    );
    assert!(
        store
            .site()
            .tag_by_slug("colombia")
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        store.jobs().counts().await.unwrap(),
        // The resize job, and the published article's narration.
        vec![("queued".to_owned(), 2)]
    );
    // Migrating is not a write anybody's cache has to hear about.
    assert_eq!(store.changes().latest_id().await.unwrap(), latest);
}
