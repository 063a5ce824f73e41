//! Live coverage's use cases: who may run whose coverage, every rule refused at once with
//! nothing written, and each change one entry in the `changes` log naming the live page only.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use dateline_core::live::EntryText;
use dateline_core::{Action, ArticleStatus, Role, cache_tags};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, AuthorInput, NewStaff, SectionInput, Store};
use dateline_storage::MediaStore;
use dateline_usecases::live::{self, EntryDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::Timestamp;

dateline_db::both_backends!(
    live_an_author_runs_their_own_coverage_but_not_a_colleagues,
    live_an_editor_runs_any_coverage_and_corrects_entries,
    live_bad_entries_are_refused_all_at_once_and_nothing_is_written,
    live_each_change_is_one_logged_change_naming_the_live_page,
    live_a_story_takes_no_entries,
    live_an_entry_filed_by_a_colleague_goes_out_under_their_byline_from_an_editor,
);

struct Newsroom {
    ctx: Context,
    /// Holds the SQLite file (or PostgreSQL schema) for the test's length.
    _store: TestStore,
    _media: tempfile::TempDir,
    article_id: i64,
    /// Ada: an author on the live article's byline.
    ada: Actor,
    /// Ben: an author, not on it.
    ben: Actor,
    /// Cleo: an editor.
    cleo: Actor,
}

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

async fn staff(store: &Store, name: &str, role: Role, with_byline: bool) -> Actor {
    let author_id = if with_byline {
        Some(
            store
                .people()
                .create_author(
                    &AuthorInput {
                        slug: name.to_lowercase(),
                        name: name.to_owned(),
                        role: String::new(),
                        bio: String::new(),
                    },
                    jiff::Timestamp::now(),
                )
                .await
                .unwrap()
                .id,
        )
    } else {
        None
    };
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: format!("{}@dateline.test", name.to_lowercase()),
                display_name: name.to_owned(),
                role,
                password_hash: None,
                author_id,
            },
            now(),
        )
        .await
        .unwrap();
    Actor::staff(member)
}

/// A published live article by Ada, and the newsroom around it.
async fn newsroom(store: TestStore) -> Newsroom {
    let test_store = store;
    let store = test_store.store.clone();
    let media_folder = tempfile::tempdir().unwrap();
    let ctx = Context::new(
        store.clone(),
        MediaStore::local(media_folder.path()).unwrap(),
    );
    let ada = staff(&store, "Ada", Role::Author, true).await;
    let ben = staff(&store, "Ben", Role::Author, true).await;
    let cleo = staff(&store, "Cleo", Role::Editor, false).await;
    let section = store
        .site()
        .create_section(
            &SectionInput {
                slug: "world".into(),
                name: "World".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let article_id = store
        .articles()
        .create(
            &ArticleInput {
                section_id: section.id,
                slug: "the-phone-call".into(),
                headline: "The phone call, live".into(),
                standfirst: "Reactions as they come.".into(),
                body: "Summary.".into(),
                dateline_place: None,
                hero_image_id: None,
                author_ids: vec![ada.own_author().unwrap()],
                tags: Vec::new(),
                language: "en".into(),
                comments_open: true,
                status: ArticleStatus::Published,
                first_published_at: None,
                updated_at: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id;
    live::start(&ctx, &ada, article_id, now()).await.unwrap();
    Newsroom {
        ctx,
        _store: test_store,
        _media: media_folder,
        article_id,
        ada,
        ben,
        cleo,
    }
}

fn draft(body: &str) -> EntryDraft {
    EntryDraft {
        text: EntryText {
            headline: String::new(),
            body: body.to_owned(),
            embed_url: String::new(),
        },
        ..EntryDraft::default()
    }
}

fn not_permitted(result: Result<impl std::fmt::Debug, UseCaseError>) {
    match result {
        Err(UseCaseError::NotPermitted { action, role }) => {
            assert!(
                matches!(action, Action::RunLiveCoverage | Action::AddUpdateNote),
                "{action:?}"
            );
            assert_eq!(role, Some(Role::Author));
        }
        other => panic!("expected NotPermitted, got {other:?}"),
    }
}

async fn live_an_author_runs_their_own_coverage_but_not_a_colleagues(store: TestStore) {
    let n = newsroom(store).await;
    let posted = live::post(&n.ctx, &n.ada, n.article_id, &draft("Ada's first."), now())
        .await
        .unwrap();
    assert_eq!(posted.byline.name, "Ada");
    assert_eq!(posted.byline.author.as_ref().unwrap().slug, "ada");

    let before = n.ctx.store.changes().latest_id().await.unwrap();
    not_permitted(live::post(&n.ctx, &n.ben, n.article_id, &draft("Ben's."), now()).await);
    let text = EntryText {
        body: "Ben rewrote it.".into(),
        ..EntryText::default()
    };
    not_permitted(live::edit(&n.ctx, &n.ben, posted.id, 1, &text, None, now()).await);
    not_permitted(live::pin(&n.ctx, &n.ben, posted.id, true, now()).await);
    not_permitted(live::mark_key_event(&n.ctx, &n.ben, posted.id, true, now()).await);
    not_permitted(live::delete(&n.ctx, &n.ben, posted.id, now()).await);
    not_permitted(live::end(&n.ctx, &n.ben, n.article_id, now()).await);
    not_permitted(live::start(&n.ctx, &n.ben, n.article_id, now()).await);
    // Corrections are the desk's, also on one's own coverage.
    not_permitted(live::correct(&n.ctx, &n.ada, posted.id, "correction", "Fixed.", now()).await);
    assert_eq!(n.ctx.store.changes().latest_id().await.unwrap(), before);
    let kept = n.ctx.store.live().entry(posted.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.body.as_str(), kept.pinned, kept.version),
        ("Ada's first.", false, 1)
    );

    let edited = live::edit(&n.ctx, &n.ada, posted.id, 1, &text, None, now())
        .await
        .unwrap();
    assert_eq!(edited.body, "Ben rewrote it.");
    live::end(&n.ctx, &n.ada, n.article_id, now())
        .await
        .unwrap();
}

async fn live_an_editor_runs_any_coverage_and_corrects_entries(store: TestStore) {
    let n = newsroom(store).await;
    let ada_entry = live::post(&n.ctx, &n.ada, n.article_id, &draft("Two hours."), now())
        .await
        .unwrap();
    let cleo_entry = live::post(&n.ctx, &n.cleo, n.article_id, &draft("Desk note."), now())
        .await
        .unwrap();
    assert_eq!(
        cleo_entry.byline.name, "Cleo",
        "no byline: the poster's name"
    );
    assert!(cleo_entry.byline.author.is_none());
    live::pin(&n.ctx, &n.cleo, ada_entry.id, true, now())
        .await
        .unwrap();
    live::mark_key_event(&n.ctx, &n.cleo, ada_entry.id, true, now())
        .await
        .unwrap();
    live::end(&n.ctx, &n.cleo, n.article_id, now())
        .await
        .unwrap();
    let note = live::correct(
        &n.ctx,
        &n.cleo,
        ada_entry.id,
        "correction",
        "One hour.",
        now(),
    )
    .await
    .unwrap();
    let entry = n
        .ctx
        .store
        .live()
        .entry(ada_entry.id)
        .await
        .unwrap()
        .unwrap();
    assert!(entry.pinned && entry.key_event);
    assert_eq!(entry.notes, [note]);
    match live::delete(&n.ctx, &n.cleo, cleo_entry.id, now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(refusals.codes(), ["coverage_ended"]),
        other => panic!("ended coverage is frozen, got {other:?}"),
    }
}

async fn live_bad_entries_are_refused_all_at_once_and_nothing_is_written(store: TestStore) {
    let n = newsroom(store).await;
    let before = n.ctx.store.changes().latest_id().await.unwrap();
    let bad = EntryDraft {
        text: EntryText {
            headline: "Two\nlines".into(),
            body: "   ".into(),
            embed_url: "javascript:alert(1)".into(),
        },
        image_id: Some(9_999_999),
        ..EntryDraft::default()
    };
    match live::post(&n.ctx, &n.ada, n.article_id, &bad, now()).await {
        Err(UseCaseError::Refused(refusals)) => {
            let codes: BTreeSet<_> = refusals.codes().into_iter().collect();
            assert_eq!(codes.len(), 4, "{codes:?}");
            assert!(refusals.by_field().iter().all(|(field, _)| field.is_some()));
        }
        other => panic!("expected refusals, got {other:?}"),
    }
    let posted = live::post(&n.ctx, &n.ada, n.article_id, &draft("Fine."), now())
        .await
        .unwrap();
    match live::edit(&n.ctx, &n.ada, posted.id, 1, &bad.text, None, now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(refusals.codes().len(), 3),
        other => panic!("expected refusals, got {other:?}"),
    }
    match live::correct(&n.ctx, &n.cleo, posted.id, "retraction", " ", now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(refusals.codes().len(), 2),
        other => panic!("expected refusals, got {other:?}"),
    }
    let after_post = n.ctx.store.changes().latest_id().await.unwrap();
    assert_eq!(
        n.ctx.store.changes().since(before, 10).await.unwrap().len(),
        1,
        "only the good post was written"
    );
    assert_eq!(n.ctx.store.changes().latest_id().await.unwrap(), after_post);
    let kept = n.ctx.store.live().entry(posted.id).await.unwrap().unwrap();
    assert_eq!(
        (kept.body.as_str(), kept.version, kept.notes.len()),
        ("Fine.", 1, 0)
    );
    assert!(matches!(
        live::edit(&n.ctx, &n.ada, 9_999_999, 1, &draft("x").text, None, now()).await,
        Err(UseCaseError::NotFound)
    ));
}

async fn live_each_change_is_one_logged_change_naming_the_live_page(store: TestStore) {
    let n = newsroom(store).await;
    let live_page = BTreeSet::from([cache_tags::live(n.article_id)]);
    let with_key_events = BTreeSet::from([
        cache_tags::live(n.article_id),
        cache_tags::KEY_EVENTS_LIST.to_owned(),
    ]);
    let before = n.ctx.store.changes().latest_id().await.unwrap();
    let entry = live::post(&n.ctx, &n.ada, n.article_id, &draft("One."), now())
        .await
        .unwrap();
    let text = EntryText {
        body: "One, edited.".into(),
        ..EntryText::default()
    };
    live::edit(&n.ctx, &n.ada, entry.id, entry.version, &text, None, now())
        .await
        .unwrap();
    live::pin(&n.ctx, &n.ada, entry.id, true, now())
        .await
        .unwrap();
    live::mark_key_event(&n.ctx, &n.ada, entry.id, true, now())
        .await
        .unwrap();
    live::correct(
        &n.ctx,
        &n.cleo,
        entry.id,
        "clarification",
        "Said at noon.",
        now(),
    )
    .await
    .unwrap();
    live::delete(&n.ctx, &n.ada, entry.id, now()).await.unwrap();
    let changes = n.ctx.store.changes().since(before, 20).await.unwrap();
    let tags: Vec<BTreeSet<String>> = changes
        .iter()
        .map(|c| c.cache_tags.iter().cloned().collect())
        .collect();
    assert_eq!(
        tags,
        [
            live_page.clone(),
            live_page.clone(),
            live_page,
            with_key_events.clone(),
            with_key_events.clone(),
            with_key_events,
        ]
    );
    assert!(changes.iter().all(|c| c.entity_id == Some(n.article_id)));
}

async fn live_a_story_takes_no_entries(store: TestStore) {
    let n = newsroom(store).await;
    let story = n
        .ctx
        .store
        .articles()
        .by_id(n.article_id)
        .await
        .unwrap()
        .unwrap();
    let other = n
        .ctx
        .store
        .articles()
        .create(
            &ArticleInput {
                section_id: story.section_id,
                slug: "a-story".into(),
                headline: "A story".into(),
                standfirst: String::new(),
                body: "Text.".into(),
                dateline_place: None,
                hero_image_id: None,
                author_ids: vec![n.ada.own_author().unwrap()],
                tags: Vec::new(),
                language: "en".into(),
                comments_open: true,
                status: ArticleStatus::Published,
                first_published_at: None,
                updated_at: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    match live::post(&n.ctx, &n.ada, other.id, &draft("Nope."), now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(refusals.codes(), ["not_live"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(matches!(
        live::post(&n.ctx, &n.ada, 9_999_999, &draft("Nowhere."), now()).await,
        Err(UseCaseError::NotFound)
    ));
}

async fn live_an_entry_filed_by_a_colleague_goes_out_under_their_byline_from_an_editor(
    store: TestStore,
) {
    let n = newsroom(store).await;
    let ada = n.ada.own_author().unwrap();
    let ben = n.ben.own_author().unwrap();
    let before = n.ctx.store.changes().latest_id().await.unwrap();
    // Ada runs this coverage, but may not put a colleague's name on what she posts.
    match live::post_filed_by(&n.ctx, &n.ada, n.article_id, ben, &draft("Ben's."), now()).await {
        Err(UseCaseError::Refused(refusals)) => {
            assert_eq!(refusals.codes(), ["byline_needs_editor"]);
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    match live::post_filed_by(&n.ctx, &n.cleo, n.article_id, 9_999_999, &draft("?"), now()).await {
        Err(UseCaseError::Refused(refusals)) => assert_eq!(refusals.codes(), ["author_unknown"]),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(n.ctx.store.changes().latest_id().await.unwrap(), before);

    let own = live::post_filed_by(&n.ctx, &n.ada, n.article_id, ada, &draft("Mine."), now())
        .await
        .unwrap();
    assert_eq!(own.byline.author.as_ref().unwrap().slug, "ada");
    let filed = live::post_filed_by(
        &n.ctx,
        &n.cleo,
        n.article_id,
        ben,
        &draft("Phoned in."),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(filed.byline.name, "Ben");
    assert_eq!(filed.byline.author.as_ref().unwrap().slug, "ben");
    // The platform (the demo loader, an import) files for anyone.
    let system = live::post_filed_by(
        &n.ctx,
        &Actor::system("demo"),
        n.article_id,
        ben,
        &draft("From the wire desk."),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(system.byline.author.as_ref().unwrap().slug, "ben");
}
