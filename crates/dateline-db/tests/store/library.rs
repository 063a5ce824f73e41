//! The image library: where a source type came from, who set it, search and pages, the audit.

use dateline_core::Role;
use dateline_core::provenance::DigitalSourceType;
use dateline_db::testing::TestStore;
use dateline_db::{
    Actor, AuthorInput, AuthorLink, AuthorProfileInput, DbError, ImageEdit, NewStaff,
    SourceTypeOrigin, Store,
};
use jiff::Timestamp;

use crate::support::{base_time, hours_after_base, image_input};

dateline_db::both_backends!(
    an_upload_keeps_its_origin_uploader_and_audit_entry,
    editing_the_source_type_makes_it_the_editors,
    the_library_pages_newest_first_and_searches_descriptions,
    edits_need_alt_text_and_an_existing_image,
    author_profiles_keep_a_library_photo_and_links,
);

async fn staff_actor(store: &Store, email: &str, name: &str) -> Actor {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: name.to_owned(),
                role: Role::Editor,
                password_hash: None,
                author_id: None,
            },
            base_time(),
        )
        .await
        .unwrap();
    Actor::staff(member.id, member.display_name)
}

async fn an_upload_keeps_its_origin_uploader_and_audit_entry(store: TestStore) {
    let ana = staff_actor(&store, "ana@example.org", "Ana Ruiz").await;
    let origin = SourceTypeOrigin::C2pa("from C2PA manifest, signed by Example Cam".to_owned());
    let added = store
        .library()
        .add(&image_input("signed"), &origin, &ana, base_time())
        .await
        .unwrap();
    assert_eq!(added.source_type_origin, origin);
    assert_eq!(added.uploaded_by, ana.staff_id);
    assert_eq!(added.updated_by, None);
    assert_eq!(added.created_at, base_time());
    assert_eq!(
        added.image.source_type,
        Some(DigitalSourceType::TrainedAlgorithmicMedia)
    );
    assert_eq!(
        store.library().library_image(added.image.id).await.unwrap(),
        Some(added.clone())
    );
    // The public side reads the same row as before.
    assert_eq!(
        store.library().image(added.image.id).await.unwrap(),
        Some(added.image.clone())
    );
    let audit = store
        .audit()
        .for_subject("image", added.image.id)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "image.upload");
    assert_eq!(audit[0].actor, ana);
    assert!(
        audit[0].detail.contains("signed by Example Cam"),
        "{}",
        audit[0].detail
    );

    let mut no_alt = image_input("blank");
    no_alt.alt = "  ".to_owned();
    let refused = store
        .library()
        .add(&no_alt, &SourceTypeOrigin::None, &ana, base_time())
        .await;
    assert!(matches!(refused, Err(DbError::Invalid(_))), "{refused:?}");
}

async fn editing_the_source_type_makes_it_the_editors(store: TestStore) {
    let ana = staff_actor(&store, "ana@example.org", "Ana Ruiz").await;
    let bo = staff_actor(&store, "bo@example.org", "Bo Lind").await;
    let mut input = image_input("xmp");
    input.source_type = Some(DigitalSourceType::DigitalCapture);
    let added = store
        .library()
        .add(&input, &SourceTypeOrigin::Xmp, &ana, base_time())
        .await
        .unwrap();

    // Same source type, new caption: it still came from the file.
    let caption_only = ImageEdit {
        alt: added.image.alt.clone(),
        caption: Some("A new caption".to_owned()),
        credit: added.image.credit.clone(),
        source_type: Some(DigitalSourceType::DigitalCapture),
    };
    let kept = store
        .library()
        .update(added.image.id, &caption_only, &bo, hours_after_base(1))
        .await
        .unwrap();
    assert_eq!(kept.source_type_origin, SourceTypeOrigin::Xmp);
    assert_eq!(kept.image.caption.as_deref(), Some("A new caption"));
    assert_eq!(kept.updated_by, bo.staff_id);
    assert_eq!(kept.updated_at, Some(hours_after_base(1)));

    let changed = ImageEdit {
        source_type: Some(DigitalSourceType::CompositeSynthetic),
        ..caption_only
    };
    let set = store
        .library()
        .update(added.image.id, &changed, &bo, hours_after_base(2))
        .await
        .unwrap();
    assert_eq!(
        set.source_type_origin,
        SourceTypeOrigin::Staff("Bo Lind".to_owned())
    );
    assert_eq!(set.source_type_origin.explanation(), "set by Bo Lind");
    assert_eq!(
        set.image.source_type,
        Some(DigitalSourceType::CompositeSynthetic)
    );
    assert_eq!(set.uploaded_by, ana.staff_id, "the uploader stays");

    let audit = store
        .audit()
        .for_subject("image", added.image.id)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["image.upload", "image.edit", "image.edit"]);
    assert_eq!(audit[1].detail, "caption");
    assert!(
        audit[2]
            .detail
            .contains("source type digitalCapture → compositeSynthetic"),
        "{}",
        audit[2].detail
    );
}

async fn the_library_pages_newest_first_and_searches_descriptions(store: TestStore) {
    let ana = staff_actor(&store, "ana@example.org", "Ana Ruiz").await;
    let mut ids = Vec::new();
    for (n, caption) in ["Harbour at dawn", "Budget_vote 100%", "Harbour cranes"]
        .into_iter()
        .enumerate()
    {
        let mut input = image_input(&format!("pic-{n}"));
        input.caption = Some(caption.to_owned());
        let at = hours_after_base(i64::try_from(n).unwrap());
        let added = store
            .library()
            .add(&input, &SourceTypeOrigin::None, &ana, at)
            .await
            .unwrap();
        ids.push(added.image.id);
    }
    let first = store.library().library_images("", 0, 2).await.unwrap();
    assert_eq!(first.total, 3);
    let first_ids: Vec<i64> = first.images.iter().map(|i| i.image.id).collect();
    assert_eq!(first_ids, [ids[2], ids[1]], "newest first");
    let second = store.library().library_images("", 2, 2).await.unwrap();
    let second_ids: Vec<i64> = second.images.iter().map(|i| i.image.id).collect();
    assert_eq!(second_ids, [ids[0]]);

    let harbour = store
        .library()
        .library_images("HARBOUR", 0, 10)
        .await
        .unwrap();
    assert_eq!(harbour.total, 2, "case-insensitive caption search");
    // LIKE's own characters are taken literally.
    let literal = store
        .library()
        .library_images("_vote 100%", 0, 10)
        .await
        .unwrap();
    assert_eq!(literal.total, 1);
    assert_eq!(literal.images[0].image.id, ids[1]);
    assert_eq!(
        store
            .library()
            .library_images("e%c", 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    // Alt text is searched too (every test image shares this alt text).
    assert_eq!(
        store
            .library()
            .library_images("white house", 0, 10)
            .await
            .unwrap()
            .total,
        3
    );
}

async fn edits_need_alt_text_and_an_existing_image(store: TestStore) {
    let ana = staff_actor(&store, "ana@example.org", "Ana Ruiz").await;
    let added = store
        .library()
        .add(
            &image_input("a"),
            &SourceTypeOrigin::None,
            &ana,
            base_time(),
        )
        .await
        .unwrap();
    let edit = ImageEdit {
        alt: String::new(),
        caption: None,
        credit: None,
        source_type: None,
    };
    let refused = store
        .library()
        .update(added.image.id, &edit, &ana, Timestamp::now())
        .await;
    assert!(matches!(refused, Err(DbError::Invalid(_))), "{refused:?}");
    assert_eq!(
        store.library().library_image(added.image.id).await.unwrap(),
        Some(added),
        "nothing changed"
    );
    let missing = store
        .library()
        .update(
            9_999,
            &ImageEdit {
                alt: "x".to_owned(),
                ..edit
            },
            &ana,
            Timestamp::now(),
        )
        .await;
    assert!(matches!(missing, Err(DbError::NotFound)), "{missing:?}");
    assert_eq!(store.library().library_image(9_999).await.unwrap(), None);
}

async fn author_profiles_keep_a_library_photo_and_links(store: TestStore) {
    let ana = staff_actor(&store, "ana@example.org", "Ana Ruiz").await;
    let photo = store
        .library()
        .add(
            &image_input("portrait"),
            &SourceTypeOrigin::None,
            &ana,
            base_time(),
        )
        .await
        .unwrap();
    let mut input = AuthorProfileInput {
        author: AuthorInput {
            slug: "lucia-mendez".to_owned(),
            name: "Lucía Méndez".to_owned(),
            role: "Climate correspondent".to_owned(),
            bio: "Covers the Andes.".to_owned(),
        },
        photo_image_id: Some(photo.image.id),
        links: vec![AuthorLink {
            label: "Mastodon".to_owned(),
            url: "https://social.example/@lucia".to_owned(),
        }],
    };
    let created = store
        .people()
        .save_author_profile(None, &input, &ana, base_time())
        .await
        .unwrap();
    assert_eq!(created.photo_image_id, Some(photo.image.id));
    assert_eq!(created.links, input.links);
    assert_eq!(
        store
            .people()
            .author_profile_by_slug("lucia-mendez")
            .await
            .unwrap(),
        Some(created.clone())
    );
    // The plain byline reads the same row.
    assert_eq!(
        store.people().author_by_slug("lucia-mendez").await.unwrap(),
        Some(created.author.clone())
    );

    input.photo_image_id = Some(9_999);
    let refused = store
        .people()
        .save_author_profile(Some(created.author.id), &input, &ana, hours_after_base(1))
        .await;
    // The picture can leave the library between the use case's check and the write.
    assert!(matches!(refused, Err(DbError::Refused(_))), "{refused:?}");
    input.photo_image_id = None;
    assert_eq!(
        store
            .people()
            .author_profile(created.author.id)
            .await
            .unwrap(),
        Some(created.clone()),
        "refusals change nothing"
    );

    input.author.role = "Environment editor".to_owned();
    let updated = store
        .people()
        .save_author_profile(Some(created.author.id), &input, &ana, hours_after_base(2))
        .await
        .unwrap();
    assert_eq!(updated.photo_image_id, None);
    assert_eq!(updated.author.role, "Environment editor");
    assert_eq!(
        store.people().author_profiles().await.unwrap(),
        vec![updated]
    );
    let audit = store
        .audit()
        .for_subject("author", created.author.id)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["author.create", "author.update"]);
}
