//! Sections (slugs, order, renames) and the site settings.

use dateline_core::{SiteSettings, paths};
use dateline_db::DbError;
use dateline_db::testing::TestStore;

use crate::support::{section, section_input};

dateline_db::both_backends!(
    sections_are_listed_in_position_order,
    reserved_and_invalid_section_slugs_are_refused,
    a_taken_section_slug_is_a_duplicate,
    a_renamed_section_is_found_by_its_old_slugs,
    settings_default_until_saved_then_round_trip,
);

async fn sections_are_listed_in_position_order(store: TestStore) {
    let world = section(&store, "world", 2).await;
    let climate = section(&store, "climate", 3).await;
    let politics = section(&store, "politics", 1).await;
    // Equal positions fall back to the name, not the order of creation.
    let business = section(&store, "business", 3).await;

    let listed = store.site().sections().await.unwrap();
    assert_eq!(listed, vec![politics.clone(), world, business, climate]);

    assert_eq!(politics.slug, "politics");
    assert_eq!(politics.name, "Politics");
    assert_eq!(politics.description, "All about politics.");
    assert_eq!(politics.position, 1);
    assert_eq!(
        store.site().section_by_slug("politics").await.unwrap(),
        Some(politics)
    );
    assert_eq!(store.site().section_by_slug("sport").await.unwrap(), None);
}

async fn reserved_and_invalid_section_slugs_are_refused(store: TestStore) {
    for reserved in paths::RESERVED_SECTION_SLUGS {
        let error = store
            .site()
            .create_section(&section_input(reserved, 1), jiff::Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(error, DbError::Refused(_)),
            "{reserved}: {error:?}"
        );
    }
    for invalid in [
        "",
        "Politics",
        "two words",
        "double--hyphen",
        "-leading",
        "trailing-",
        "café",
        "a/b",
    ] {
        let error = store
            .site()
            .create_section(&section_input(invalid, 1), jiff::Timestamp::now())
            .await
            .unwrap_err();
        assert!(
            matches!(error, DbError::Refused(_)),
            "{invalid:?}: {error:?}"
        );
    }
    let mut nameless = section_input("politics", 1);
    nameless.name = "  ".to_owned();
    let error = store
        .site()
        .create_section(&nameless, jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Refused(_)), "{error:?}");

    // Renaming is held to the same rules.
    let politics = section(&store, "politics", 1).await;
    let change_before = store.changes().latest_id().await.unwrap();
    for refused in ["search", "Not A Slug"] {
        let error = store
            .site()
            .update_section(
                politics.id,
                &section_input(refused, 1),
                jiff::Timestamp::now(),
            )
            .await
            .unwrap_err();
        assert!(matches!(error, DbError::Refused(_)), "{refused}: {error:?}");
    }

    assert_eq!(store.site().sections().await.unwrap(), vec![politics]);
    assert_eq!(store.changes().latest_id().await.unwrap(), change_before);
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        None
    );
}

async fn a_taken_section_slug_is_a_duplicate(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let world = section(&store, "world", 2).await;
    let change_before = store.changes().latest_id().await.unwrap();

    let error = store
        .site()
        .create_section(&section_input("politics", 5), jiff::Timestamp::now())
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");

    let error = store
        .site()
        .update_section(
            world.id,
            &section_input("politics", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::Duplicate(_)), "{error:?}");

    // Nothing half-written: no new section, no rename, no redirect, no change.
    assert_eq!(
        store.site().sections().await.unwrap(),
        vec![politics, world]
    );
    assert_eq!(
        store.site().section_by_old_slug("world").await.unwrap(),
        None
    );
    assert_eq!(store.changes().latest_id().await.unwrap(), change_before);
}

async fn a_renamed_section_is_found_by_its_old_slugs(store: TestStore) {
    let politics = section(&store, "politics", 1).await;

    let government = store
        .site()
        .update_section(
            politics.id,
            &section_input("government", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(government.id, politics.id);
    assert_eq!(government.slug, "government");
    assert_eq!(
        store.site().section_by_slug("politics").await.unwrap(),
        None
    );
    assert_eq!(
        store.site().section_by_slug("government").await.unwrap(),
        Some(government.clone())
    );
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        Some(government)
    );

    // A second rename: both old slugs lead to the newest.
    let civics = store
        .site()
        .update_section(
            politics.id,
            &section_input("civics", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        Some(civics.clone())
    );
    assert_eq!(
        store
            .site()
            .section_by_old_slug("government")
            .await
            .unwrap(),
        Some(civics)
    );

    // Taking a former slug back makes it live again rather than a redirect to itself.
    let back = store
        .site()
        .update_section(
            politics.id,
            &section_input("politics", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        None
    );
    assert_eq!(
        store.site().section_by_old_slug("civics").await.unwrap(),
        Some(back.clone())
    );
    assert_eq!(
        store.site().section_by_slug("politics").await.unwrap(),
        Some(back)
    );

    // Saving without changing the slug leaves no redirect behind.
    let mut renamed = section_input("politics", 4);
    renamed.name = "Politics & Power".to_owned();
    let saved = store
        .site()
        .update_section(politics.id, &renamed, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(saved.name, "Politics & Power");
    assert_eq!(saved.position, 4);
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        None
    );

    let error = store
        .site()
        .update_section(
            9_999,
            &section_input("elsewhere", 1),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DbError::NotFound), "{error:?}");
}

async fn settings_default_until_saved_then_round_trip(store: TestStore) {
    assert_eq!(
        store.site().settings().await.unwrap(),
        SiteSettings::default()
    );

    let courier = SiteSettings {
        name: "The Dateline Courier".to_owned(),
        tagline: "Independent reporting from every dateline, carefully checked.".to_owned(),
        language: "en".to_owned(),
        time_zone: "America/New_York".to_owned(),
        corrections_policy_url: Some("https://courier.example/corrections-policy".to_owned()),
        ethics_policy_url: Some("/about/ethics".to_owned()),
        ai_policy_url: None,
        logo_image_id: Some(7),
    };
    store
        .site()
        .save_settings(&courier, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(store.site().settings().await.unwrap(), courier);

    // Saving again replaces, it does not add a second row.
    let renamed = SiteSettings {
        name: "Le Courrier".to_owned(),
        language: "fr".to_owned(),
        time_zone: "Europe/Paris".to_owned(),
        ..courier
    };
    store
        .site()
        .save_settings(&renamed, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(store.site().settings().await.unwrap(), renamed);

    // A typo in the zone or a policy link that is not a web address loses nothing saved.
    let typo = SiteSettings {
        time_zone: "Europe/Pariss".to_owned(),
        ..renamed.clone()
    };
    assert!(matches!(
        store
            .site()
            .save_settings(&typo, jiff::Timestamp::now())
            .await,
        Err(dateline_db::DbError::Refused(_))
    ));
    let bad_link = SiteSettings {
        corrections_policy_url: Some("javascript:alert(1)".to_owned()),
        ..renamed.clone()
    };
    assert!(
        store
            .site()
            .save_settings(&bad_link, jiff::Timestamp::now())
            .await
            .is_err()
    );
    assert_eq!(store.site().settings().await.unwrap(), renamed);
}
