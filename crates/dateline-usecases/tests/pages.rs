//! Static pages' use cases: editors and admins manage them, addresses that belong to a section
//! or to the site are refused next to the slug, drafts are not on the site, and every change is
//! a revision, an audit entry and one logged change naming what readers see.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use dateline_core::{PageStatus, Role, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{MovedTo, NewStaff, SectionInput, Store};
use dateline_storage::MediaStore;
use dateline_usecases::pages::{self, PageChanges};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::Timestamp;

dateline_db::both_backends!(
    pages_are_the_desks_to_manage,
    pages_refuse_addresses_that_are_not_theirs_to_take,
    pages_go_on_and_off_the_site_with_revisions_audit_and_changes,
    pages_a_stale_save_conflicts_and_a_move_leaves_a_redirect,
);

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

async fn staff(store: &Store, name: &str, role: Role) -> Actor {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: format!("{}@dateline.test", name.to_lowercase()),
                display_name: name.to_owned(),
                role,
                password_hash: None,
                author_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    Actor::staff(member)
}

fn context(store: &TestStore) -> (Context, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(folder.path()).unwrap();
    (Context::new(store.store.clone(), media), folder)
}

fn about() -> PageChanges {
    PageChanges {
        title: Some("About us".into()),
        body: Some("We **report**.".into()),
        ..PageChanges::default()
    }
}

fn codes(error: UseCaseError) -> Vec<&'static str> {
    match error {
        UseCaseError::Refused(refusals) => refusals.codes(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn pages_are_the_desks_to_manage(store: TestStore) {
    let (ctx, _media) = context(&store);
    for role in [Role::Contributor, Role::Author] {
        let writer = staff(&store, &format!("{role}"), role).await;
        let refused = pages::create(&ctx, &writer, about(), now()).await;
        assert!(
            matches!(refused, Err(UseCaseError::NotPermitted { .. })),
            "{role}: {refused:?}"
        );
    }
    assert!(store.static_pages().all().await.unwrap().is_empty());
    let editor = staff(&store, "Eda", Role::Editor).await;
    let page = pages::create(&ctx, &editor, about(), now()).await.unwrap();
    assert_eq!(
        (page.slug.as_str(), page.status),
        ("about-us", PageStatus::Draft)
    );
    let author = staff(&store, "Abe", Role::Author).await;
    assert!(matches!(
        pages::publish(&ctx, &author, page.id, now()).await,
        Err(UseCaseError::NotPermitted { .. })
    ));
    assert!(matches!(
        pages::delete(&ctx, &author, page.id, now()).await,
        Err(UseCaseError::NotPermitted { .. })
    ));
    let admin = staff(&store, "Ada", Role::Admin).await;
    pages::publish(&ctx, &admin, page.id, now()).await.unwrap();
    pages::delete(&ctx, &admin, page.id, now()).await.unwrap();
    assert!(store.static_pages().by_id(page.id).await.unwrap().is_none());
}

async fn pages_refuse_addresses_that_are_not_theirs_to_take(store: TestStore) {
    let (ctx, _media) = context(&store);
    let editor = staff(&store, "Eda", Role::Editor).await;
    store
        .site()
        .create_section(
            &SectionInput {
                slug: "politics".into(),
                name: "Politics".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let with_slug = |slug: &str| PageChanges {
        slug: Some(slug.into()),
        ..about()
    };
    let section = pages::create(&ctx, &editor, with_slug("politics"), now())
        .await
        .unwrap_err();
    let message = match &section {
        UseCaseError::Refused(refusals) => refusals.to_string(),
        _ => String::new(),
    };
    assert!(message.contains("Politics"), "{message}");
    assert_eq!(codes(section), ["slug_is_section"]);
    for reserved in ["search", "tags", "newsroom", "corrections"] {
        let refused = pages::create(&ctx, &editor, with_slug(reserved), now())
            .await
            .unwrap_err();
        assert_eq!(codes(refused), ["slug_reserved"], "{reserved}");
    }
    // Everything wrong at once, each next to its field.
    let bad = PageChanges {
        title: Some("  ".into()),
        slug: Some("Not A Slug".into()),
        description: Some("d".repeat(301)),
        body: None,
        position: None,
    };
    let refused = pages::create(&ctx, &editor, bad, now()).await.unwrap_err();
    assert_eq!(
        codes(refused),
        ["title_missing", "slug_invalid", "description_too_long"]
    );
    let first = pages::create(&ctx, &editor, about(), now()).await.unwrap();
    let twice = pages::create(&ctx, &editor, about(), now())
        .await
        .unwrap_err();
    assert_eq!(codes(twice), ["slug_taken"]);
    // A page keeps its own address when saved.
    pages::update(&ctx, &editor, first.id, first.version, about(), now())
        .await
        .unwrap();
    assert_eq!(store.static_pages().all().await.unwrap().len(), 1);
}

async fn pages_go_on_and_off_the_site_with_revisions_audit_and_changes(store: TestStore) {
    let (ctx, _media) = context(&store);
    let editor = staff(&store, "Eda", Role::Editor).await;
    let before = store.changes().latest_id().await.unwrap();
    let page = pages::create(&ctx, &editor, about(), now()).await.unwrap();
    // A draft: not on the site, not in the footer; the change names only the page.
    assert!(
        store
            .static_pages()
            .published_at("about-us")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .static_pages()
            .published_links()
            .await
            .unwrap()
            .is_empty()
    );
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].cache_tags, [cache_tags::page(page.id)]);

    let published = pages::publish(&ctx, &editor, page.id, now()).await.unwrap();
    assert_eq!(published.status, PageStatus::Published);
    assert_eq!(published.first_published_at, Some(now()));
    assert_eq!(
        store
            .static_pages()
            .published_at("about-us")
            .await
            .unwrap()
            .map(|p| p.id),
        Some(page.id)
    );
    let links = store.static_pages().published_links().await.unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].title, "About us");
    let after_publish = store.changes().since(before, 10).await.unwrap();
    assert!(
        after_publish[1]
            .cache_tags
            .contains(&cache_tags::PAGES_LIST.to_owned()),
        "publishing drops every footer: {:?}",
        after_publish[1]
    );
    // Publishing again changes nothing.
    pages::publish(&ctx, &editor, page.id, now()).await.unwrap();
    assert_eq!(store.changes().since(before, 10).await.unwrap().len(), 2);

    pages::unpublish(&ctx, &editor, page.id, now())
        .await
        .unwrap();
    assert!(
        store
            .static_pages()
            .published_at("about-us")
            .await
            .unwrap()
            .is_none()
    );
    let republished = pages::publish(&ctx, &editor, page.id, now()).await.unwrap();
    assert_eq!(
        republished.first_published_at,
        Some(now()),
        "first publication is kept"
    );
    assert_eq!(
        store.static_pages().revisions(page.id).await.unwrap().len(),
        4
    );
    let audit: Vec<String> = store
        .audit()
        .for_subject("page", page.id)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    for action in ["page.create", "page.publish", "page.unpublish"] {
        assert!(audit.iter().any(|a| a == action), "{action} in {audit:?}");
    }
    assert!(
        store
            .audit()
            .for_subject("page", page.id)
            .await
            .unwrap()
            .iter()
            .all(|entry| entry.actor.name == "Eda")
    );
}

async fn pages_a_stale_save_conflicts_and_a_move_leaves_a_redirect(store: TestStore) {
    let (ctx, _media) = context(&store);
    let editor = staff(&store, "Eda", Role::Editor).await;
    let page = pages::create(&ctx, &editor, about(), now()).await.unwrap();
    let page = pages::publish(&ctx, &editor, page.id, now()).await.unwrap();
    let moved = pages::update(
        &ctx,
        &editor,
        page.id,
        page.version,
        PageChanges {
            slug: Some("about".into()),
            ..PageChanges::default()
        },
        now(),
    )
    .await
    .unwrap();
    assert_eq!(moved.slug, "about");
    assert_eq!(moved.title, "About us", "fields left out are kept");
    let stale = pages::update(&ctx, &editor, page.id, page.version, about(), now()).await;
    assert!(
        matches!(stale, Err(UseCaseError::Conflict { current_version }) if current_version == moved.version),
        "{stale:?}"
    );
    assert_eq!(
        store.imports().moved_to("/about-us/").await.unwrap(),
        Some(MovedTo::Page("about".into()))
    );
    // An unpublished page's old address leads nowhere, as a draft is nowhere.
    pages::unpublish(&ctx, &editor, page.id, now())
        .await
        .unwrap();
    assert_eq!(store.imports().moved_to("/about-us").await.unwrap(), None);
}
