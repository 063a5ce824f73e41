//! Staff accounts' use cases: only admins manage people, every problem with a new account is
//! named at once, no one changes their own account, and one enabled admin always remains.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use dateline_core::{Action, Role};
use dateline_db::testing::TestStore;
use dateline_db::{AuthorInput, NewStaff};
use dateline_storage::MediaStore;
use dateline_usecases::people::{self, AccountDraft};
use dateline_usecases::{Actor, Context, UseCaseError};
use jiff::Timestamp;

dateline_db::both_backends!(
    people_bad_accounts_are_refused_all_at_once,
    people_only_admins_manage_and_never_their_own_account,
);

fn now() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

async fn newsroom(store: &TestStore) -> (Context, tempfile::TempDir, Actor) {
    let media = tempfile::tempdir().unwrap();
    let ctx = Context::new(
        store.store.clone(),
        MediaStore::local(media.path()).unwrap(),
    );
    let admin = ctx
        .store
        .create_staff(
            &NewStaff {
                email: "admin@dateline.test".into(),
                display_name: "Admin".into(),
                role: Role::Admin,
                password_hash: None,
                author_id: None,
            },
            now(),
        )
        .await
        .unwrap();
    (ctx, media, Actor::staff(admin))
}

fn draft(email: &str, name: &str, role: &str, author_slug: &str) -> AccountDraft {
    AccountDraft {
        email: email.into(),
        display_name: name.into(),
        role: role.into(),
        author_slug: author_slug.into(),
        password_hash: None,
    }
}

fn codes(result: Result<impl std::fmt::Debug, UseCaseError>) -> Vec<&'static str> {
    match result {
        Err(UseCaseError::Refused(refusals)) => refusals.codes(),
        other => panic!("expected refusals, got {other:?}"),
    }
}

async fn people_bad_accounts_are_refused_all_at_once(store: TestStore) {
    let (ctx, _media, admin) = newsroom(&store).await;
    let bad = draft("not an address", "  ", "chief", "nobody");
    assert_eq!(
        codes(people::create_account(&ctx, &admin, &bad, now()).await),
        [
            "email_invalid",
            "display_name_length",
            "role_unknown",
            "byline_unknown"
        ]
    );
    assert_eq!(ctx.store.staff_members().await.unwrap().len(), 1);

    let byline = ctx
        .store
        .create_author(&AuthorInput {
            slug: "ana-ruiz".into(),
            name: "Ana Ruiz".into(),
            role: String::new(),
            bio: String::new(),
        })
        .await
        .unwrap();
    let ana = people::create_account(
        &ctx,
        &admin,
        &draft("ana@dateline.test", "Ana Ruiz", "author", "ana-ruiz"),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(ana.role, Role::Author);
    assert_eq!(ana.author_id, Some(byline.id));
    assert_eq!(
        codes(
            people::create_account(
                &ctx,
                &admin,
                &draft("ANA@dateline.test", "Another Ana", "editor", ""),
                now(),
            )
            .await
        ),
        ["email_taken"]
    );
}

async fn people_only_admins_manage_and_never_their_own_account(store: TestStore) {
    let (ctx, _media, admin) = newsroom(&store).await;
    let editor = people::create_account(
        &ctx,
        &admin,
        &draft("ed@dateline.test", "Ed", "editor", ""),
        now(),
    )
    .await
    .unwrap();
    let as_editor = Actor::staff(editor.clone());
    for result in [
        people::create_account(
            &ctx,
            &as_editor,
            &draft("x@dateline.test", "X", "admin", ""),
            now(),
        )
        .await,
        people::change_role(&ctx, &as_editor, editor.id, "admin", now()).await,
        people::set_disabled(&ctx, &as_editor, editor.id, true, now()).await,
        people::issue_password_link(&ctx, &as_editor, editor.id, "digest", now()).await,
    ] {
        assert!(
            matches!(
                result,
                Err(UseCaseError::NotPermitted {
                    action: Action::ManageUsers,
                    role: Some(Role::Editor)
                })
            ),
            "{result:?}"
        );
    }

    // The admin changes others, never themselves; an unknown role is refused.
    let Actor::Staff { member, .. } = &admin else {
        panic!("staff")
    };
    let own_id = member.id;
    assert_eq!(
        codes(people::change_role(&ctx, &admin, own_id, "editor", now()).await),
        ["own_account"]
    );
    assert_eq!(
        codes(people::set_disabled(&ctx, &admin, own_id, true, now()).await),
        ["own_account"]
    );
    assert_eq!(
        codes(people::change_role(&ctx, &admin, editor.id, "chief", now()).await),
        ["role_unknown"]
    );
    let promoted = people::change_role(&ctx, &admin, editor.id, "admin", now())
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Admin);

    // The command line may do anything, but not leave the newsroom without an admin.
    let cli = Actor::system("command line");
    people::set_disabled(&ctx, &cli, own_id, true, now())
        .await
        .unwrap();
    assert_eq!(
        codes(people::set_disabled(&ctx, &cli, editor.id, true, now()).await),
        ["last_admin"]
    );
    assert!(
        ctx.store
            .staff_by_id(editor.id)
            .await
            .unwrap()
            .disabled_at
            .is_none()
    );
    let linked = people::issue_password_link(&ctx, &cli, editor.id, "digest-of-token", now())
        .await
        .unwrap();
    assert_eq!(linked.id, editor.id);
}
