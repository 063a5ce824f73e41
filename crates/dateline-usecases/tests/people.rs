//! Staff accounts' use cases: only admins manage people, every problem with a new account is
//! named at once, no one changes their own account, and one enabled admin always remains.

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use dateline_core::{Action, Role};
use dateline_db::testing::TestStore;
use dateline_db::{AuthorInput, NewStaff};
use dateline_db::{ReaderLinkPurpose, SessionLimits};
use dateline_storage::MediaStore;
use dateline_usecases::people::{self, AccountDraft, NewPassword};
use dateline_usecases::readers::{self, ReaderDraft, SignedUp};
use dateline_usecases::{Actor, Context, Passwords, UseCaseError, sessions};
use jiff::Timestamp;

dateline_db::both_backends!(
    people_bad_accounts_are_refused_all_at_once,
    people_only_admins_manage_and_never_their_own_account,
    people_a_password_changes_only_with_the_current_one_and_ends_other_sessions,
    people_a_set_password_link_works_once,
    people_sessions_only_for_enabled_accounts,
    people_readers_sign_up_verify_sign_in_rename_and_leave,
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
        .people()
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
    assert_eq!(ctx.store.people().staff_members().await.unwrap().len(), 1);

    let byline = ctx
        .store
        .people()
        .create_author(
            &AuthorInput {
                slug: "ana-ruiz".into(),
                name: "Ana Ruiz".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
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
            .people()
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

/// Hashing as a door would do it, without argon2id's cost (that lives in `dateline-web`, and
/// its tests sign in for real): a "hash" that names its password, and a door that can be full.
struct Door {
    busy: bool,
}

impl Passwords for Door {
    async fn hash(&self, password: String) -> Result<String, UseCaseError> {
        if self.busy {
            return Err(UseCaseError::Busy);
        }
        Ok(format!("hashed:{password}"))
    }

    async fn verify(&self, password: String, stored: Option<String>) -> Result<bool, UseCaseError> {
        if self.busy {
            return Err(UseCaseError::Busy);
        }
        Ok(stored == Some(format!("hashed:{password}")))
    }
}

const OPEN: Door = Door { busy: false };

fn twice(password: &str, confirm: &str) -> NewPassword {
    NewPassword {
        password: password.into(),
        confirm: confirm.into(),
    }
}

/// The password hash the store keeps for account `id`.
async fn hash_of(ctx: &Context, id: i64) -> Option<String> {
    ctx.store.people().staff_password_hash(id).await.unwrap()
}

/// Whether the staff session with the token digest `token` is live.
async fn live(ctx: &Context, token: &str) -> bool {
    ctx.store
        .sessions()
        .session(token, LIMITS, now())
        .await
        .unwrap()
        .is_some()
}

const LIMITS: SessionLimits = SessionLimits {
    lifetime: jiff::SignedDuration::from_hours(12),
    idle_timeout: jiff::SignedDuration::from_hours(2),
};

async fn people_a_password_changes_only_with_the_current_one_and_ends_other_sessions(
    store: TestStore,
) {
    let (ctx, _media, admin) = newsroom(&store).await;
    let mut ana = draft("ana@dateline.test", "Ana", "author", "");
    ana.password_hash = Some("hashed:old correct horse".into());
    let ana = people::create_account(&ctx, &admin, &ana, now())
        .await
        .unwrap();
    let here = sessions::start(&ctx, &ana, "here", "csrf1", LIMITS, now())
        .await
        .unwrap();
    sessions::start(&ctx, &ana, "laptop", "csrf2", LIMITS, now())
        .await
        .unwrap();
    let as_ana = Actor::staff(ana.clone());

    let change = |current: &str, new: NewPassword, door: &'static Door| {
        let (ctx, as_ana) = (ctx.clone(), as_ana.clone());
        let current = current.to_owned();
        async move {
            people::change_own_password(&ctx, &as_ana, current, &new, Some(here), door, now()).await
        }
    };
    assert_eq!(
        codes(change("wrong", twice("short", "short"), &OPEN).await),
        ["current_password_wrong", "password_too_short"]
    );
    assert_eq!(
        codes(change("old correct horse", twice("ana@dateline.test", "x"), &OPEN).await),
        ["password_is_email"]
    );
    assert_eq!(
        codes(
            change(
                "old correct horse",
                twice("new battery staple", "new battery stapl"),
                &OPEN
            )
            .await
        ),
        ["passwords_differ"]
    );
    const FULL: Door = Door { busy: true };
    assert!(matches!(
        change(
            "old correct horse",
            twice("new battery staple", "new battery staple"),
            &FULL
        )
        .await,
        Err(UseCaseError::Busy)
    ));
    assert_eq!(
        hash_of(&ctx, ana.id).await.as_deref(),
        Some("hashed:old correct horse"),
        "nothing changed"
    );

    change(
        "old correct horse",
        twice("new battery staple", "new battery staple"),
        &OPEN,
    )
    .await
    .unwrap();
    assert_eq!(
        hash_of(&ctx, ana.id).await.as_deref(),
        Some("hashed:new battery staple")
    );
    assert!(live(&ctx, "here").await);
    assert!(
        !live(&ctx, "laptop").await,
        "the other device is signed out"
    );
    let audit = ctx
        .store
        .audit()
        .for_subject("staff", ana.id)
        .await
        .unwrap();
    assert_eq!(
        audit.last().map(|e| e.action.as_str()),
        Some("staff.password")
    );
    assert!(matches!(
        people::change_own_password(
            &ctx,
            &Actor::system("cli"),
            "x".into(),
            &twice("new battery staple", "new battery staple"),
            None,
            &OPEN,
            now()
        )
        .await,
        Err(UseCaseError::NotPermitted { .. })
    ));
}

async fn people_a_set_password_link_works_once(store: TestStore) {
    let (ctx, _media, admin) = newsroom(&store).await;
    let ana = people::create_account(
        &ctx,
        &admin,
        &draft("ana@dateline.test", "Ana", "author", ""),
        now(),
    )
    .await
    .unwrap();
    people::issue_password_link(&ctx, &admin, ana.id, "link-digest", now())
        .await
        .unwrap();
    sessions::start(&ctx, &ana, "old", "csrf", LIMITS, now())
        .await
        .unwrap();
    let set = |digest: &'static str, password: &str, confirm: &str| {
        let (ctx, new) = (ctx.clone(), twice(password, confirm));
        async move { people::set_password_with_link(&ctx, digest, &new, &OPEN, now()).await }
    };
    assert_eq!(
        codes(set("link-digest", "correct horse", "correct horsf").await),
        ["passwords_differ"]
    );
    assert!(matches!(
        set("another-digest", "correct horse", "correct horse").await,
        Err(UseCaseError::NotFound)
    ));
    let done = set("link-digest", "correct horse", "correct horse")
        .await
        .unwrap();
    assert_eq!(done.id, ana.id);
    assert_eq!(
        hash_of(&ctx, ana.id).await.as_deref(),
        Some("hashed:correct horse")
    );
    assert!(!live(&ctx, "old").await);
    assert!(
        matches!(
            set("link-digest", "other horse battery", "other horse battery").await,
            Err(UseCaseError::NotFound)
        ),
        "used once"
    );
}

async fn people_sessions_only_for_enabled_accounts(store: TestStore) {
    let (ctx, _media, admin) = newsroom(&store).await;
    let ana = people::create_account(
        &ctx,
        &admin,
        &draft("ana@dateline.test", "Ana", "author", ""),
        now(),
    )
    .await
    .unwrap();
    let id = sessions::start(&ctx, &ana, "tab", "csrf", LIMITS, now())
        .await
        .unwrap();
    let later = now() + jiff::SignedDuration::from_mins(90);
    sessions::touch(&ctx, id, later).await.unwrap();
    let idle_limit = later + jiff::SignedDuration::from_mins(119);
    assert!(
        ctx.store
            .sessions()
            .session("tab", LIMITS, idle_limit)
            .await
            .unwrap()
            .is_some(),
        "idle time counts from the touch"
    );
    sessions::end(&ctx, "tab", later).await.unwrap();
    assert!(
        ctx.store
            .sessions()
            .session("tab", LIMITS, later)
            .await
            .unwrap()
            .is_none()
    );
    sessions::end(&ctx, "tab", later).await.unwrap();

    let disabled = people::set_disabled(&ctx, &admin, ana.id, true, now())
        .await
        .unwrap();
    assert!(matches!(
        sessions::start(&ctx, &disabled, "again", "csrf", LIMITS, now()).await,
        Err(UseCaseError::NotPermitted { .. })
    ));
}

async fn people_readers_sign_up_verify_sign_in_rename_and_leave(store: TestStore) {
    let (ctx, _media, _admin) = newsroom(&store).await;
    let lia = |email: &str, name: &str, password: &str| ReaderDraft {
        email: email.into(),
        display_name: name.into(),
        password: password.into(),
    };
    let refused =
        readers::sign_up(&ctx, &lia("lia at home", "L", "lia at home"), &OPEN, now()).await;
    let Err(UseCaseError::Refused(refusals)) = &refused else {
        panic!("{refused:?}");
    };
    let fields: Vec<&str> = refusals
        .iter()
        .filter_map(|r| r.field())
        .map(dateline_core::Field::as_str)
        .collect();
    assert_eq!(fields, ["email", "display_name", "new_password"]);
    const FULL: Door = Door { busy: true };
    assert!(matches!(
        readers::sign_up(
            &ctx,
            &lia("lia@readers.example", "Lia", "a long passphrase"),
            &FULL,
            now()
        )
        .await,
        Err(UseCaseError::Busy)
    ));
    assert!(
        ctx.store
            .people()
            .reader_by_email("lia@readers.example")
            .await
            .unwrap()
            .is_none()
    );

    let SignedUp::New(reader) = readers::sign_up(
        &ctx,
        &lia("Lia@Readers.example", "Lia", "a long passphrase"),
        &OPEN,
        now(),
    )
    .await
    .unwrap() else {
        panic!("a new account");
    };
    assert!(matches!(
        readers::sign_up(
            &ctx,
            &lia("lia@readers.example", "Other", "another passphrase"),
            &OPEN,
            now()
        )
        .await
        .unwrap(),
        SignedUp::AddressTaken
    ));

    // A verification link, used once; a verified address gets no more of them.
    assert!(
        readers::issue_link(&ctx, &reader, ReaderLinkPurpose::Verify, "verify-1", now())
            .await
            .unwrap()
    );
    assert!(matches!(
        readers::use_link(&ctx, "verify-1", ReaderLinkPurpose::SignIn, now()).await,
        Err(UseCaseError::NotFound)
    ));
    let verified = readers::use_link(&ctx, "verify-1", ReaderLinkPurpose::Verify, now())
        .await
        .unwrap();
    assert!(verified.verified_at.is_some());
    assert!(
        !readers::issue_link(
            &ctx,
            &verified,
            ReaderLinkPurpose::Verify,
            "verify-2",
            now()
        )
        .await
        .unwrap()
    );
    readers::issue_link(&ctx, &verified, ReaderLinkPurpose::SignIn, "magic", now())
        .await
        .unwrap();
    let late = now() + readers::SIGN_IN_LINK_VALID_FOR;
    assert!(matches!(
        readers::use_link(&ctx, "magic", ReaderLinkPurpose::SignIn, late).await,
        Err(UseCaseError::NotFound)
    ));

    let reader_limits = SessionLimits {
        lifetime: jiff::SignedDuration::from_hours(24 * 30),
        idle_timeout: jiff::SignedDuration::from_hours(24 * 7),
    };
    readers::start_session(&ctx, &verified, "tab", "csrf", reader_limits, now())
        .await
        .unwrap();
    assert!(
        ctx.store
            .sessions()
            .reader_session("tab", reader_limits, now())
            .await
            .unwrap()
            .is_some()
    );

    assert_eq!(
        codes(readers::rename(&ctx, &verified, "\u{202E}evil", jiff::Timestamp::now()).await),
        ["display_name_characters"]
    );
    let renamed = readers::rename(&ctx, &verified, "  Lia   M. ", jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(renamed.display_name, "Lia M.");

    assert_eq!(
        codes(readers::delete_account(&ctx, &renamed, false, now()).await),
        ["deletion_not_confirmed"]
    );
    readers::delete_account(&ctx, &renamed, true, now())
        .await
        .unwrap();
    assert!(
        ctx.store
            .sessions()
            .reader_session("tab", reader_limits, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ctx.store
            .people()
            .reader_by_email("lia@readers.example")
            .await
            .unwrap()
            .is_none()
    );
    let gone = ctx.store.people().reader_by_id(renamed.id).await.unwrap();
    assert!(matches!(
        readers::start_session(&ctx, &gone, "again", "csrf", reader_limits, now()).await,
        Err(UseCaseError::NotFound)
    ));
}
