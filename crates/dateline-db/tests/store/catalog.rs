//! Authors and images.

use dateline_core::provenance::DigitalSourceType;
use dateline_db::DbError;
use dateline_db::testing::TestStore;

use crate::support::{author, author_input, image, image_input};

dateline_db::both_backends!(
    authors_are_created_listed_by_name_and_updated,
    an_author_slug_must_be_valid_and_free,
    an_image_needs_alt_text,
    an_image_round_trips_with_variants_and_provenance,
    every_digital_source_type_round_trips,
    images_by_ids_returns_the_ones_that_exist,
);

async fn authors_are_created_listed_by_name_and_updated(store: TestStore) {
    let zoe = author(&store, "zoe-park").await;
    let james = author(&store, "james-thompson").await;
    assert_eq!(james.slug, "james-thompson");
    assert_eq!(james.name, "James Thompson");
    assert_eq!(james.role, "Correspondent");
    assert_eq!(james.bio, "James Thompson reports.");

    assert_eq!(
        store.people().authors().await.unwrap(),
        vec![james.clone(), zoe]
    );
    assert_eq!(
        store
            .people()
            .author_by_slug("james-thompson")
            .await
            .unwrap(),
        Some(james.clone())
    );
    assert_eq!(store.people().author_by_slug("nobody").await.unwrap(), None);

    let mut input = author_input("jim-thompson");
    input.role = "Political Correspondent".to_owned();
    let updated = store
        .people()
        .update_author(james.id, &input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(updated.id, james.id);
    assert_eq!(updated.slug, "jim-thompson");
    assert_eq!(updated.role, "Political Correspondent");
    assert_eq!(
        store.people().author_by_slug("jim-thompson").await.unwrap(),
        Some(updated)
    );
    assert_eq!(
        store
            .people()
            .author_by_slug("james-thompson")
            .await
            .unwrap(),
        None
    );

    let error = store
        .people()
        .update_author(9_999, &input, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::NotFound), "{error:?}");
}

async fn an_author_slug_must_be_valid_and_free(store: TestStore) {
    let ann = author(&store, "ann-lee").await;
    let bo = author(&store, "bo-chen").await;
    let change_before = store.changes().latest_id().await.unwrap();

    for invalid in ["", "Ann Lee", "ann--lee"] {
        let error = store
            .people()
            .create_author(&author_input(invalid), jiff::Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(error, DbError::Invalid(_)),
            "{invalid:?}: {error:?}"
        );
    }
    let error = store
        .people()
        .update_author(ann.id, &author_input("Ann Lee"), jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Invalid(_)), "{error:?}");

    let error = store
        .people()
        .create_author(&author_input("ann-lee"), jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");
    let error = store
        .people()
        .update_author(bo.id, &author_input("ann-lee"), jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");

    assert_eq!(store.people().authors().await.unwrap(), vec![ann, bo]);
    assert_eq!(store.changes().latest_id().await.unwrap(), change_before);
}

async fn an_image_needs_alt_text(store: TestStore) {
    for alt in ["", "   ", "\n\t"] {
        let mut input = image_input("capitol");
        input.alt = alt.to_owned();
        let error = store
            .library()
            .insert_image(&input, jiff::Timestamp::now())
            .await
            .unwrap_err();
        assert!(matches!(error, DbError::Invalid(_)), "{alt:?}: {error:?}");
    }
    assert_eq!(store.changes().latest_id().await.unwrap(), 0);
    assert_eq!(store.library().image(1).await.unwrap(), None);
}

async fn an_image_round_trips_with_variants_and_provenance(store: TestStore) {
    let input = image_input("capitol");
    let stored = store
        .library()
        .insert_image(&input, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(stored.original_key, input.original_key);
    assert_eq!(stored.original_mime, "image/jpeg");
    assert_eq!((stored.width, stored.height), (2400, 1600));
    assert_eq!(stored.alt, input.alt);
    assert_eq!(stored.caption, input.caption);
    assert_eq!(stored.credit, input.credit);
    assert_eq!(
        stored.source_type,
        Some(DigitalSourceType::TrainedAlgorithmicMedia)
    );
    assert_eq!(stored.variants, input.variants);
    assert_eq!(stored.provenance_label(), Some("AI-generated illustration"));
    assert_eq!(
        store.library().image(stored.id).await.unwrap(),
        Some(stored.clone())
    );

    // Optional fields stay absent, not empty.
    let mut bare = image_input("bare");
    bare.caption = None;
    bare.credit = None;
    bare.source_type = None;
    bare.variants = Vec::new();
    let bare = store
        .library()
        .insert_image(&bare, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_ne!(bare.id, stored.id);
    let read = store.library().image(bare.id).await.unwrap().unwrap();
    assert_eq!(read.caption, None);
    assert_eq!(read.credit, None);
    assert_eq!(read.source_type, None);
    assert!(read.variants.is_empty());
}

async fn every_digital_source_type_round_trips(store: TestStore) {
    for (n, source_type) in DigitalSourceType::ALL.iter().enumerate() {
        let mut input = image_input(&format!("picture-{n}"));
        input.source_type = Some(*source_type);
        let stored = store
            .library()
            .insert_image(&input, jiff::Timestamp::now())
            .await
            .unwrap();
        let read = store.library().image(stored.id).await.unwrap().unwrap();
        assert_eq!(
            read.source_type,
            Some(*source_type),
            "{}",
            source_type.code()
        );
    }
}

async fn images_by_ids_returns_the_ones_that_exist(store: TestStore) {
    let first = image(&store, "first").await;
    let second = image(&store, "second").await;
    let third = image(&store, "third").await;

    let mut found = store
        .library()
        .images_by_ids(&[third.id, first.id, 9_999])
        .await
        .unwrap();
    // The order of the result is not part of the contract.
    found.sort_by_key(|image| image.id);
    assert_eq!(found, vec![first.clone(), third.clone()]);

    let mut all = store
        .library()
        .images_by_ids(&[first.id, second.id, third.id])
        .await
        .unwrap();
    all.sort_by_key(|image| image.id);
    assert_eq!(all, vec![first, second, third]);

    assert!(store.library().images_by_ids(&[]).await.unwrap().is_empty());
    assert!(
        store
            .library()
            .images_by_ids(&[9_999])
            .await
            .unwrap()
            .is_empty()
    );
}
