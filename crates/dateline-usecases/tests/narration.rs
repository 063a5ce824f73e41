//! Narration asked for through the use cases: a reader's first listen only for a story anyone
//! may read, counted against the node's limit only then; the archive queued only by the
//! platform or someone who may change the site's settings; an article's audio managed by its
//! authors and editors; voices and the lexicon by the desk, checked, each change audited.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;

use dateline_core::narration::Pronunciation;
use dateline_core::{Action, ArticleStatus, Role};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, AudioStatus, NewStaff, Store};
use dateline_storage::MediaStore;
use dateline_usecases::narration::{self, FirstListen};
use dateline_usecases::{Actor, Context, UseCaseError};

dateline_db::both_backends!(
    narration_a_reader_asks_only_for_a_story_anyone_may_read,
    narration_the_archive_is_queued_by_the_platform_or_a_settings_editor,
    narration_an_articles_audio_is_its_authors_and_editors,
    narration_voices_and_the_lexicon_are_the_desks_and_checked,
    narration_archive_stories_nobody_asked_for_are_released_from_the_queue,
);

fn context(store: &TestStore, media: &tempfile::TempDir) -> Context {
    Context::new(
        store.store.clone(),
        MediaStore::local(media.path()).unwrap(),
    )
}

async fn narration_a_reader_asks_only_for_a_story_anyone_may_read(store: TestStore) {
    let media = tempfile::tempdir().unwrap();
    let ctx = context(&store, &media);
    let (published, input) =
        dateline_db::testing::published_article(&ctx.store, "A paragraph.").await;
    let draft = ctx
        .store
        .articles()
        .create(
            &ArticleInput {
                slug: "vote-delayed-draft".into(),
                status: ArticleStatus::Draft,
                ..input
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id;

    let limit_asked = Cell::new(0);
    let within = |answer: bool| {
        let limit_asked = &limit_asked;
        move || {
            limit_asked.set(limit_asked.get() + 1);
            answer
        }
    };
    for hidden in [draft, published + 1000] {
        let asked =
            narration::request_first_listen(&ctx, hidden, within(true), jiff::Timestamp::now())
                .await;
        assert!(
            matches!(asked, Err(UseCaseError::NotFound)),
            "{hidden}: {asked:?}"
        );
    }
    assert_eq!(
        limit_asked.get(),
        0,
        "a story nobody may read costs no request of the limit"
    );

    let limited =
        narration::request_first_listen(&ctx, published, within(false), jiff::Timestamp::now())
            .await
            .unwrap();
    assert_eq!(limited, FirstListen::Limited);
    let asked =
        narration::request_first_listen(&ctx, published, within(true), jiff::Timestamp::now())
            .await
            .unwrap();
    assert_eq!(
        asked,
        FirstListen::Asked {
            path: "/politics/vote-delayed".into()
        }
    );
    assert_eq!(limit_asked.get(), 2);
}

async fn narration_the_archive_is_queued_by_the_platform_or_a_settings_editor(store: TestStore) {
    let media = tempfile::tempdir().unwrap();
    let ctx = context(&store, &media);
    let member = ctx
        .store
        .people()
        .create_staff(
            &NewStaff {
                email: "ada@dateline.test".into(),
                display_name: "Ada".into(),
                role: Role::Author,
                password_hash: None,
                author_id: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let refused = narration::queue_archive(
        &ctx,
        &Actor::staff(member),
        |_, _| {},
        jiff::Timestamp::now(),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(UseCaseError::NotPermitted {
                action: Action::ManageSettings,
                ..
            })
        ),
        "{refused:?}"
    );
    let queued = narration::queue_archive(
        &ctx,
        &Actor::system("test"),
        |_, _| {},
        jiff::Timestamp::now(),
    )
    .await;
    assert!(queued.is_ok(), "{queued:?}");
}

async fn staff(store: &Store, name: &str, role: Role, author_id: Option<i64>) -> Actor {
    Actor::staff(dateline_db::testing::staff_member(store, name, role, author_id).await)
}

fn not_permitted<T: std::fmt::Debug>(result: Result<T, UseCaseError>, action: Action) {
    match result {
        Err(UseCaseError::NotPermitted {
            action: refused, ..
        }) => assert_eq!(refused, action),
        other => panic!("expected {action:?} to be refused, got {other:?}"),
    }
}

async fn narration_an_articles_audio_is_its_authors_and_editors(store: TestStore) {
    let media = tempfile::tempdir().unwrap();
    let ctx = context(&store, &media);
    let now = jiff::Timestamp::now();
    let (id, input) = dateline_db::testing::published_article(&ctx.store, "A paragraph.").await;
    let author = staff(&store, "Ana", Role::Author, Some(input.author_ids[0])).await;
    let colleague = staff(&store, "Carl", Role::Author, None).await;
    let contributor = staff(&store, "Cora", Role::Contributor, Some(input.author_ids[0])).await;
    for someone in [&colleague, &contributor] {
        not_permitted(
            narration::set_opt_out(&ctx, someone, id, true, now).await,
            Action::NarrateArticle,
        );
    }
    assert!(matches!(
        narration::regenerate(&ctx, &author, id + 1000, now).await,
        Err(UseCaseError::NotFound)
    ));

    narration::set_opt_out(&ctx, &author, id, true, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .narration()
            .article_audio(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        AudioStatus::OptedOut
    );
    assert!(
        !narration::regenerate(&ctx, &author, id, now).await.unwrap(),
        "opted out: nothing to queue"
    );
    narration::set_opt_out(&ctx, &author, id, false, now)
        .await
        .unwrap();
    assert_eq!(
        store
            .narration()
            .article_audio(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        AudioStatus::Queued
    );
    let audit = store.audit().for_subject("article", id).await.unwrap();
    let actions: Vec<(&str, &str)> = audit
        .iter()
        .map(|e| (e.action.as_str(), e.actor.name.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("article.audio_opt_out", "Ana"),
            ("article.audio_opt_in", "Ana")
        ]
    );
}

async fn narration_voices_and_the_lexicon_are_the_desks_and_checked(store: TestStore) {
    let media = tempfile::tempdir().unwrap();
    let ctx = context(&store, &media);
    let now = jiff::Timestamp::now();
    let (id, _) = dateline_db::testing::published_article(&ctx.store, "A paragraph.").await;
    let section_id = store
        .articles()
        .by_id(id)
        .await
        .unwrap()
        .unwrap()
        .section_id;
    let author = staff(&store, "Ana", Role::Author, None).await;
    let editor = staff(&store, "Eda", Role::Editor, None).await;
    let say = |text: &str| Pronunciation::Respelling(text.to_owned());
    not_permitted(
        narration::set_site_voice(&ctx, &author, "en-gb", now).await,
        Action::ManageNarration,
    );
    not_permitted(
        narration::save_pronunciation(&ctx, &author, "Petro", &say("PEH-troh"), now).await,
        Action::ManageNarration,
    );
    not_permitted(
        narration::regenerate_all(&ctx, &author, now).await,
        Action::ManageNarration,
    );

    let codes = |result: Result<(), UseCaseError>| match result {
        Err(UseCaseError::Refused(refusals)) => refusals.codes(),
        other => panic!("expected refusals, got {other:?}"),
    };
    assert_eq!(
        codes(narration::set_site_voice(&ctx, &editor, "klingon", now).await),
        ["voice_unknown"]
    );
    assert_eq!(
        codes(narration::set_section_voice(&ctx, &editor, section_id, Some("tlh"), now).await),
        ["voice_unknown"]
    );
    assert_eq!(
        codes(
            narration::save_pronunciation(&ctx, &editor, "two words", &say("PEH <b>"), now).await
        ),
        ["word_not_one", "respelling_letters"]
    );
    assert!(store.narration().pronunciations().await.unwrap().is_empty());

    narration::set_site_voice(&ctx, &editor, "en-gb", now)
        .await
        .unwrap();
    narration::set_section_voice(&ctx, &editor, section_id, Some("en-us"), now)
        .await
        .unwrap();
    assert_eq!(
        store.narration().article(id).await.unwrap().unwrap().voice,
        "en-us"
    );
    narration::set_section_voice(&ctx, &editor, section_id, Some(" "), now)
        .await
        .unwrap();
    assert_eq!(
        store.narration().article(id).await.unwrap().unwrap().voice,
        "en-gb",
        "blank follows the site"
    );
    narration::save_pronunciation(&ctx, &editor, "Petro", &say("PEH-troh"), now)
        .await
        .unwrap();
    narration::delete_pronunciation(&ctx, &editor, "petro", now)
        .await
        .unwrap();
    assert!(matches!(
        narration::delete_pronunciation(&ctx, &editor, "petro", now).await,
        Err(UseCaseError::NotFound)
    ));
    let queued = narration::regenerate_all(&ctx, &editor, now).await.unwrap();
    let entries = store.audit().log(None, 10).await.unwrap();
    let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "narration.site_voice",
            "section.voice",
            "section.voice",
            "lexicon.save",
            "lexicon.delete",
            "narration.regenerate_all"
        ]
    );
    assert_eq!(entries[0].detail, format!("{queued} articles queued"));
}

/// A history replayed at its own times (the demo's) queues each story when it was new;
/// released at `now`, only the stories still fresh and the ones a reader asked for wait.
async fn narration_archive_stories_nobody_asked_for_are_released_from_the_queue(store: TestStore) {
    let media = tempfile::tempdir().unwrap();
    let ctx = context(&store, &media);
    let now = jiff::Timestamp::now();
    let long_ago = now - jiff::SignedDuration::from_hours(24 * 400);
    let (section_id, author_id) = dateline_db::testing::politics_desk(&ctx.store).await;
    let desk = Actor::system("test");
    let publish = async |slug: &str, at: jiff::Timestamp| {
        let draft = dateline_usecases::articles::create(
            &ctx,
            &desk,
            dateline_usecases::articles::ArticleChanges {
                section: Some(dateline_usecases::articles::SectionChoice::Id(section_id)),
                headline: Some(format!("The {slug} story")),
                slug: Some(slug.to_owned()),
                body: Some("A paragraph.".to_owned()),
                authors: Some(vec![dateline_usecases::articles::AuthorChoice::Id(
                    author_id,
                )]),
                ..Default::default()
            },
            ArticleStatus::Draft,
            at,
        )
        .await
        .unwrap();
        dateline_usecases::articles::change_status(
            &ctx,
            &desk,
            draft.id,
            ArticleStatus::Published,
            at,
        )
        .await
        .unwrap()
        .id
    };
    let old = publish("old", long_ago).await;
    let fresh = publish("fresh", now - jiff::SignedDuration::from_hours(2)).await;
    // Imported as archive, then asked for by a reader: queued ahead, and it stays.
    let asked = ctx
        .store
        .articles()
        .create(
            &dateline_db::testing::story(
                section_id,
                author_id,
                "asked",
                ArticleStatus::Published,
                Some(long_ago),
            ),
            now,
        )
        .await
        .unwrap()
        .id;
    assert_eq!(
        ctx.store.jobs().counts().await.unwrap(),
        [("queued".to_owned(), 2)],
        "archive when it came in: not queued"
    );
    narration::request_first_listen(&ctx, asked, || true, now)
        .await
        .unwrap();
    let queued = async |id: i64| {
        ctx.store
            .narration()
            .article_audio(id)
            .await
            .unwrap()
            .map(|audio| audio.status)
    };
    for id in [old, fresh, asked] {
        assert_eq!(queued(id).await, Some(AudioStatus::Queued), "{id}");
    }
    let jobs_before = ctx.store.jobs().counts().await.unwrap();
    assert_eq!(jobs_before, [("queued".to_owned(), 3)]);

    let author = staff(&ctx.store, "Ada", Role::Author, Some(author_id)).await;
    not_permitted(
        narration::release_archive(&ctx, &author, now).await,
        Action::ManageSettings,
    );
    assert_eq!(ctx.store.jobs().counts().await.unwrap(), jobs_before);

    let changes_before = ctx.store.changes().latest_id().await.unwrap();
    let released = narration::release_archive(&ctx, &desk, now).await.unwrap();
    assert_eq!(released, 1);
    assert_eq!(queued(old).await, None, "as if never queued");
    assert_eq!(queued(fresh).await, Some(AudioStatus::Queued));
    assert_eq!(queued(asked).await, Some(AudioStatus::Queued));
    assert_eq!(
        ctx.store.jobs().counts().await.unwrap(),
        [("queued".to_owned(), 2)]
    );
    let changes = ctx.store.changes().since(changes_before, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].cache_tags,
        [dateline_core::cache_tags::article(old)],
        "the page that said \"being prepared\" is dropped from the caches"
    );
    assert_eq!(
        narration::release_archive(&ctx, &desk, now).await.unwrap(),
        0,
        "twice changes nothing"
    );
}
