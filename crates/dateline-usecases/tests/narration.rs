//! Narration asked for through the use cases: a reader's first listen only for a story anyone
//! may read, counted against the node's limit only then; the archive queued only by the
//! platform or someone who may change the site's settings.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use std::cell::Cell;

use dateline_core::{Action, ArticleStatus, Role};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, NewStaff};
use dateline_storage::MediaStore;
use dateline_usecases::narration::{self, FirstListen};
use dateline_usecases::{Actor, Context, UseCaseError};

dateline_db::both_backends!(
    narration_a_reader_asks_only_for_a_story_anyone_may_read,
    narration_the_archive_is_queued_by_the_platform_or_a_settings_editor,
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
        .create_article(&ArticleInput {
            slug: "vote-delayed-draft".into(),
            status: ArticleStatus::Draft,
            ..input
        })
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
        let asked = narration::request_first_listen(&ctx, hidden, within(true)).await;
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

    let limited = narration::request_first_listen(&ctx, published, within(false))
        .await
        .unwrap();
    assert_eq!(limited, FirstListen::Limited);
    let asked = narration::request_first_listen(&ctx, published, within(true))
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
    let refused = narration::queue_archive(&ctx, &Actor::staff(member), |_, _| {}).await;
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
    let queued = narration::queue_archive(&ctx, &Actor::system("test"), |_, _| {}).await;
    assert!(queued.is_ok(), "{queued:?}");
}
