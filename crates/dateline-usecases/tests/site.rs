//! The site's own things through the use cases: sections and settings (admins', each change
//! audited in its own transaction), author profiles (their writer's and admins'), Admin API
//! tokens (within their creator's role) and the library's descriptions (the uploader's and
//! editors'). Every problem with what was typed is named at once, beside its field.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use dateline_core::{Action, Field, PageStatus, Role};
use dateline_db::testing::{TestStore, library_picture, staff_member};
use dateline_db::{AuthorInput, PageInput, SourceTypeOrigin, Store};
use dateline_storage::MediaStore;
use dateline_usecases::authors::{self, AuthorDraft};
use dateline_usecases::library::{self, ImageWords};
use dateline_usecases::site::{self, SectionDraft, SettingsDraft};
use dateline_usecases::tokens::{self, TokenDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::Timestamp;

dateline_db::both_backends!(
    site_sections_are_checked_at_once_and_audited_with_their_change,
    site_settings_are_checked_at_once_and_audited_with_what_changed,
    site_author_profiles_are_their_writers_and_admins,
    site_api_tokens_stay_within_their_creators_role_and_lifetime,
    site_library_descriptions_are_the_uploaders_and_editors,
);

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

async fn staff(store: &Store, name: &str, role: Role, author_id: Option<i64>) -> Actor {
    Actor::staff(staff_member(store, name, role, author_id).await)
}

fn context(store: &TestStore) -> (Context, tempfile::TempDir) {
    let folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(folder.path()).unwrap();
    (Context::new(store.store.clone(), media), folder)
}

fn codes<T: std::fmt::Debug>(result: Result<T, UseCaseError>) -> Vec<&'static str> {
    match result {
        Err(UseCaseError::Refused(refusals)) => refusals.codes(),
        other => panic!("expected refusals, got {other:?}"),
    }
}

fn not_permitted<T: std::fmt::Debug>(result: Result<T, UseCaseError>, action: Action) {
    match result {
        Err(UseCaseError::NotPermitted {
            action: refused, ..
        }) => assert_eq!(refused, action),
        other => panic!("expected {action:?} to be refused, got {other:?}"),
    }
}

fn section(name: &str, slug: &str, position: &str) -> SectionDraft {
    SectionDraft {
        name: name.into(),
        slug: slug.into(),
        description: String::new(),
        position: position.into(),
    }
}

async fn site_sections_are_checked_at_once_and_audited_with_their_change(store: TestStore) {
    let (ctx, _media) = context(&store);
    let admin = staff(&store, "Ada", Role::Admin, None).await;
    let editor = staff(&store, "Eda", Role::Editor, None).await;
    not_permitted(
        site::create_section(&ctx, &editor, &section("Sport", "", "1"), now()).await,
        Action::ManageSections,
    );
    assert!(store.site().sections().await.unwrap().is_empty());

    assert_eq!(
        codes(
            site::create_section(&ctx, &admin, &section(" ", "Not A Slug", "first"), now()).await
        ),
        ["name_missing", "slug_invalid", "position_invalid"]
    );
    assert_eq!(
        codes(site::create_section(&ctx, &admin, &section("!!!", "", ""), now()).await),
        ["slug_unusable"]
    );
    assert_eq!(
        codes(site::create_section(&ctx, &admin, &section("Search", "", ""), now()).await),
        ["slug_reserved"]
    );
    // A section at a static page's address would hide the page.
    store
        .static_pages()
        .create(
            &PageInput {
                slug: "about".into(),
                title: "About us".into(),
                description: String::new(),
                body: String::new(),
                position: 0,
                status: PageStatus::Published,
                first_published_at: None,
                updated_at: None,
            },
            &admin.audit(),
            now(),
        )
        .await
        .unwrap();
    let refused = site::create_section(&ctx, &admin, &section("About", "", ""), now()).await;
    match &refused {
        Err(UseCaseError::Refused(refusals)) => {
            assert_eq!(refusals.first().field(), Some(Field::Slug));
            assert_eq!(
                refusals.to_string(),
                "The page “About us” has this address; choose another one."
            );
        }
        other => panic!("{other:?}"),
    }

    let before = store.changes().latest_id().await.unwrap();
    let politics = site::create_section(&ctx, &admin, &section("Politics", "", "2"), now())
        .await
        .unwrap();
    assert_eq!((politics.slug.as_str(), politics.position), ("politics", 2));
    assert!(
        store.changes().latest_id().await.unwrap() > before,
        "pages drop"
    );
    assert_eq!(
        codes(
            site::create_section(
                &ctx,
                &admin,
                &section("Politics again", "politics", ""),
                now()
            )
            .await
        ),
        ["slug_taken"]
    );

    let moved = site::update_section(
        &ctx,
        &admin,
        politics.id,
        &section("Power", "power", "2"),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(moved.slug, "power");
    assert_eq!(
        store.site().section_by_old_slug("politics").await.unwrap(),
        Some(moved.clone()),
        "the old address redirects"
    );
    let audit = store
        .audit()
        .for_subject("section", politics.id)
        .await
        .unwrap();
    let entries: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.detail.as_str()))
        .collect();
    assert_eq!(
        entries,
        [
            ("section.create", "“Politics” at /politics"),
            (
                "section.update",
                "name “Politics” → “Power”; address /politics → /power (old address redirects)"
            ),
        ]
    );
    assert_eq!(audit[1].actor.name, "Ada");
    assert!(matches!(
        site::update_section(&ctx, &admin, politics.id + 99, &section("X", "", ""), now()).await,
        Err(UseCaseError::NotFound)
    ));
}

fn settings() -> SettingsDraft {
    SettingsDraft {
        name: "The Courier".into(),
        tagline: "News".into(),
        language: "en".into(),
        time_zone: "America/Bogota".into(),
        ..SettingsDraft::default()
    }
}

async fn site_settings_are_checked_at_once_and_audited_with_what_changed(store: TestStore) {
    let (ctx, _media) = context(&store);
    let admin = staff(&store, "Ada", Role::Admin, None).await;
    let editor = staff(&store, "Eda", Role::Editor, None).await;
    not_permitted(
        site::save_settings(&ctx, &editor, &settings(), now()).await,
        Action::ManageSettings,
    );
    let bad = SettingsDraft {
        name: "  ".into(),
        language: "en GB".into(),
        time_zone: "Mars/Olympus".into(),
        ai_policy_url: "javascript:alert(1)".into(),
        ethics_policy_url: "//elsewhere.example".into(),
        logo_image_id: "404".into(),
        ..settings()
    };
    let refused = site::save_settings(&ctx, &admin, &bad, now()).await;
    let Err(UseCaseError::Refused(refusals)) = &refused else {
        panic!("{refused:?}");
    };
    let fields: Vec<&str> = refusals
        .iter()
        .filter_map(|r| r.field())
        .map(Field::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "name",
            "time_zone",
            "language",
            "ethics_policy_url",
            "ai_policy_url",
            "logo_image_id"
        ]
    );
    assert_eq!(
        store.site().settings().await.unwrap(),
        Default::default(),
        "nothing saved"
    );

    let before = store.changes().latest_id().await.unwrap();
    let saved = site::save_settings(&ctx, &admin, &settings(), now())
        .await
        .unwrap();
    assert_eq!(store.site().settings().await.unwrap(), saved);
    assert!(
        store.changes().latest_id().await.unwrap() > before,
        "pages drop"
    );
    let entry = store.audit().log(None, 1).await.unwrap().remove(0);
    assert_eq!(entry.action, "settings.update");
    assert_eq!(
        entry.detail,
        "name “Dateline” → “The Courier”; tagline “Independent journalism” → “News”; \
         time zone “UTC” → “America/Bogota”"
    );
}

fn profile(name: &str, links: &str) -> AuthorDraft {
    AuthorDraft {
        name: name.into(),
        role: "Reporter".into(),
        links: links.into(),
        ..AuthorDraft::default()
    }
}

async fn site_author_profiles_are_their_writers_and_admins(store: TestStore) {
    let (ctx, _media) = context(&store);
    let own = store
        .people()
        .create_author(
            &AuthorInput {
                slug: "cora".into(),
                name: "Cora".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let contributor = staff(&store, "Cora", Role::Contributor, Some(own.id)).await;
    let admin = staff(&store, "Ada", Role::Admin, None).await;
    not_permitted(
        authors::create(&ctx, &contributor, &profile("New Byline", ""), now()).await,
        Action::EditAuthorProfile,
    );
    let other = authors::create(&ctx, &admin, &profile("Bo Chen", ""), now())
        .await
        .unwrap();
    assert_eq!(other.author.slug, "bo-chen");
    not_permitted(
        authors::update(
            &ctx,
            &contributor,
            other.author.id,
            &profile("Bo", ""),
            now(),
        )
        .await,
        Action::EditAuthorProfile,
    );

    // Their own: every problem at once, and a script address is no link.
    let bad = AuthorDraft {
        slug: "Cora Lee".into(),
        photo_image_id: "12345".into(),
        ..profile(" ", "Site javascript:alert(1)")
    };
    assert_eq!(
        codes(authors::update(&ctx, &contributor, own.id, &bad, now()).await),
        [
            "name_missing",
            "slug_invalid",
            "photo_unknown",
            "link_invalid"
        ]
    );
    assert_eq!(
        codes(
            authors::update(
                &ctx,
                &contributor,
                own.id,
                &AuthorDraft {
                    slug: "bo-chen".into(),
                    ..profile("Cora", "")
                },
                now()
            )
            .await
        ),
        ["slug_taken"]
    );
    let saved = authors::update(
        &ctx,
        &contributor,
        own.id,
        &profile(
            "Cora Lee",
            "Mastodon https://social.example/@cora\nhttps://www.cora.example",
        ),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(saved.author.slug, "cora-lee");
    let labels: Vec<&str> = saved.links.iter().map(|l| l.label.as_str()).collect();
    assert_eq!(labels, ["Mastodon", "cora.example"]);
    let audit = store.audit().for_subject("author", own.id).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.name.as_str()),
        ("author.update", "Cora")
    );
}

fn token(name: &str, role: &str, days: &str) -> TokenDraft {
    TokenDraft {
        name: name.into(),
        role: role.into(),
        expires_in_days: days.into(),
    }
}

async fn site_api_tokens_stay_within_their_creators_role_and_lifetime(store: TestStore) {
    let (ctx, _media) = context(&store);
    let admin = staff(&store, "Ada", Role::Admin, None).await;
    let editor = staff(&store, "Eda", Role::Editor, None).await;
    not_permitted(
        tokens::create(&ctx, &editor, &token("bot", "author", ""), "d0", now()).await,
        Action::ManageApiTokens,
    );
    not_permitted(
        tokens::create(
            &ctx,
            &Actor::system("cli"),
            &token("bot", "author", ""),
            "d0",
            now(),
        )
        .await,
        Action::ManageApiTokens,
    );
    assert_eq!(
        codes(tokens::create(&ctx, &admin, &token(" ", "chief", "1000"), "d0", now()).await),
        [
            "token_name_length",
            "token_role_above_yours",
            "token_lifetime_unknown"
        ]
    );
    // An admin's token with an editor's role is an editor's: it mints no tokens.
    let Actor::Staff { member, .. } = &admin else {
        unreachable!()
    };
    let as_editor_token = Actor::api_token(member.clone(), Role::Editor, "deploy");
    not_permitted(
        tokens::create(
            &ctx,
            &as_editor_token,
            &token("x", "editor", ""),
            "d0",
            now(),
        )
        .await,
        Action::ManageApiTokens,
    );
    assert!(store.sessions().api_tokens().await.unwrap().is_empty());

    let created = tokens::create(&ctx, &admin, &token(" Wire ", "author", "30"), "d1", now())
        .await
        .unwrap();
    assert_eq!(created.name, "Wire");
    assert_eq!(
        created.expires_at,
        now() + jiff::SignedDuration::from_hours(24 * 30)
    );
    let default = tokens::create(&ctx, &admin, &token("Feeds", "editor", ""), "d2", now())
        .await
        .unwrap();
    assert_eq!(
        default.expires_at,
        now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME
    );

    not_permitted(
        tokens::revoke(&ctx, &editor, created.id, now()).await,
        Action::ManageApiTokens,
    );
    tokens::revoke(&ctx, &admin, created.id, now())
        .await
        .unwrap();
    assert!(matches!(
        tokens::revoke(&ctx, &admin, created.id, now()).await,
        Err(UseCaseError::NotFound)
    ));
    assert!(
        store
            .sessions()
            .api_token_by_secret("d1", now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .sessions()
            .api_token_by_secret("d2", now())
            .await
            .unwrap()
            .is_some()
    );
}

async fn site_library_descriptions_are_the_uploaders_and_editors(store: TestStore) {
    let (ctx, _media) = context(&store);
    let uploader = staff(&store, "Cora", Role::Contributor, None).await;
    let colleague = staff(&store, "Carl", Role::Author, None).await;
    let editor = staff(&store, "Eda", Role::Editor, None).await;
    let image = library_picture(&store, &uploader.audit()).await;
    let id = image.image.id;
    let words = |alt: &str, source_type: &str| ImageWords {
        alt: alt.into(),
        caption: " The square at dawn ".into(),
        credit: String::new(),
        source_type: source_type.into(),
    };
    not_permitted(
        library::describe(&ctx, &colleague, id, &words("x", ""), now()).await,
        Action::EditImage,
    );
    assert_eq!(
        codes(library::describe(&ctx, &uploader, id, &words(" ", "painting"), now()).await),
        ["alt_missing", "source_type_unknown"]
    );
    let described = library::describe(&ctx, &uploader, id, &words("Plaza", ""), now())
        .await
        .unwrap();
    assert_eq!(described.image.alt, "Plaza");
    assert_eq!(
        described.image.caption.as_deref(),
        Some("The square at dawn")
    );
    let typed = library::describe(
        &ctx,
        &editor,
        id,
        &words("Plaza", "trainedAlgorithmicMedia"),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        typed.source_type_origin,
        SourceTypeOrigin::Staff("Eda".into()),
        "the editor chose the source type"
    );
    assert!(matches!(
        library::describe(&ctx, &editor, id + 99, &words("x", ""), now()).await,
        Err(UseCaseError::NotFound)
    ));
}
