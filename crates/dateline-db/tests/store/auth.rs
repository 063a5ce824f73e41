//! Signing in: sessions with expiry and idle timeout, sign-in attempts counted through the
//! database, single-use set-password links, API tokens that expire, and the audit trail of staff
//! changes.

use dateline_core::{Role, StaffMember};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, DbError, NewStaff, SessionLimits, SignInSide};
use jiff::{SignedDuration, Timestamp};

dateline_db::both_backends!(
    sessions_expire_idle_out_and_end_on_revocation,
    password_change_and_disabling_sign_out_everywhere,
    sign_in_attempts_are_counted_per_side_and_window,
    a_password_change_revokes_every_unused_link,
    password_links_are_single_use_and_expire,
    api_tokens_act_as_their_creator_within_its_role,
    staff_changes_are_audited_and_keep_one_admin,
);

const LIMITS: SessionLimits = SessionLimits {
    lifetime: SignedDuration::from_hours(12),
    idle_timeout: SignedDuration::from_mins(60),
};

fn start() -> Timestamp {
    Timestamp::from_second(1_790_000_000).unwrap()
}

async fn staff(store: &TestStore, email: &str, role: Role) -> StaffMember {
    store
        .people()
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: email.split('@').next().unwrap().to_owned(),
                role,
                password_hash: Some("$argon2id$placeholder".to_owned()),
                author_id: None,
            },
            start(),
        )
        .await
        .unwrap()
}

fn actor(of: &StaffMember) -> Actor {
    Actor::staff(of.id, of.display_name.clone())
}

async fn sessions_expire_idle_out_and_end_on_revocation(store: TestStore) {
    let ana = staff(&store, "ana@example.org", Role::Author).await;
    let t0 = start();
    let id = store
        .sessions()
        .create_session(ana.id, "hash-a", "csrf-a", LIMITS, t0)
        .await
        .unwrap();
    let session = store
        .sessions()
        .session("hash-a", LIMITS, t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(session.id, id);
    assert_eq!(session.staff, ana);
    assert_eq!(session.csrf_token, "csrf-a");
    assert_eq!(session.expires_at, t0 + LIMITS.lifetime);
    assert!(
        store
            .sessions()
            .session("hash-b", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );

    // Idle for longer than the idle timeout: gone; kept alive by use: still there.
    let idle = t0 + SignedDuration::from_mins(61);
    assert!(
        store
            .sessions()
            .session("hash-a", LIMITS, idle)
            .await
            .unwrap()
            .is_none()
    );
    store
        .sessions()
        .touch_session(id, t0 + SignedDuration::from_mins(50))
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .session("hash-a", LIMITS, idle)
            .await
            .unwrap()
            .is_some()
    );

    // Past the absolute lifetime, however busy.
    let late = t0 + SignedDuration::from_hours(12) + SignedDuration::from_secs(1);
    store
        .sessions()
        .touch_session(id, late - SignedDuration::from_secs(5))
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .session("hash-a", LIMITS, late)
            .await
            .unwrap()
            .is_none()
    );

    store
        .sessions()
        .create_session(ana.id, "hash-c", "csrf-c", LIMITS, t0)
        .await
        .unwrap();
    store.sessions().revoke_session("hash-c", t0).await.unwrap();
    assert!(
        store
            .sessions()
            .session("hash-c", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
}

async fn password_change_and_disabling_sign_out_everywhere(store: TestStore) {
    let admin = staff(&store, "boss@example.org", Role::Admin).await;
    let ana = staff(&store, "ana@example.org", Role::Author).await;
    let t0 = start();
    let here = store
        .sessions()
        .create_session(ana.id, "here", "c1", LIMITS, t0)
        .await
        .unwrap();
    store
        .sessions()
        .create_session(ana.id, "phone", "c2", LIMITS, t0)
        .await
        .unwrap();
    store
        .people()
        .change_staff_password(ana.id, "$argon2id$new", Some(here), &actor(&ana), t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .session("here", LIMITS, t0)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .sessions()
            .session("phone", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .people()
            .staff_password_hash(ana.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$new")
    );

    let disabled = store
        .people()
        .set_staff_disabled(ana.id, true, &actor(&admin), t0)
        .await
        .unwrap();
    assert!(disabled.disabled_at.is_some());
    assert!(
        store
            .sessions()
            .session("here", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
    // A new session row for a disabled account never loads either.
    store
        .sessions()
        .create_session(ana.id, "sneaky", "c3", LIMITS, t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .session("sneaky", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
    let enabled = store
        .people()
        .set_staff_disabled(ana.id, false, &actor(&admin), t0)
        .await
        .unwrap();
    assert_eq!(enabled.disabled_at, None);
    assert!(
        store
            .sessions()
            .session("here", LIMITS, t0)
            .await
            .unwrap()
            .is_none(),
        "re-enabling does not bring revoked sessions back"
    );
}

async fn sign_in_attempts_are_counted_per_side_and_window(store: TestStore) {
    let window = SignedDuration::from_hours(1);
    let t0 = start();
    for n in 1..=3 {
        assert_eq!(
            store
                .sessions()
                .count_sign_in_attempt(SignInSide::Staff, "digest-a", window, t0)
                .await
                .unwrap(),
            n
        );
    }
    // Readers and staff are counted apart, and so is every other account name.
    assert_eq!(
        store
            .sessions()
            .count_sign_in_attempt(SignInSide::Reader, "digest-a", window, t0)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .sessions()
            .count_sign_in_attempt(SignInSide::Staff, "digest-b", window, t0)
            .await
            .unwrap(),
        1
    );
    // Within the window the count goes on; once it has passed, it starts again.
    let later = t0 + SignedDuration::from_mins(59);
    assert_eq!(
        store
            .sessions()
            .count_sign_in_attempt(SignInSide::Staff, "digest-a", window, later)
            .await
            .unwrap(),
        4
    );
    let next_window = t0 + SignedDuration::from_mins(61);
    assert_eq!(
        store
            .sessions()
            .count_sign_in_attempt(SignInSide::Staff, "digest-a", window, next_window)
            .await
            .unwrap(),
        1
    );

    // Attempts made at once (as on several nodes) all add up: none is lost to a race.
    let concurrent: Vec<_> = (0..20)
        .map(|_| {
            let store = store.store.clone();
            tokio::spawn(async move {
                store
                    .sessions()
                    .count_sign_in_attempt(SignInSide::Staff, "digest-c", window, t0)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut counts = Vec::new();
    for attempt in concurrent {
        counts.push(attempt.await.unwrap());
    }
    counts.sort_unstable();
    assert_eq!(counts, (1..=20).collect::<Vec<i64>>());
}

async fn a_password_change_revokes_every_unused_link(store: TestStore) {
    let admin = staff(&store, "boss@example.org", Role::Admin).await;
    let ana = staff(&store, "ana@example.org", Role::Author).await;
    let t0 = start();
    let in_a_day = t0 + SignedDuration::from_hours(24);
    store
        .sessions()
        .create_password_link(ana.id, "forgotten-link", in_a_day, &actor(&admin), t0)
        .await
        .unwrap();
    store
        .sessions()
        .create_session(ana.id, "this-device", "c", LIMITS, t0)
        .await
        .unwrap();
    store
        .sessions()
        .create_session(ana.id, "other-device", "c", LIMITS, t0)
        .await
        .unwrap();
    let this_device = store
        .sessions()
        .session("this-device", LIMITS, t0)
        .await
        .unwrap()
        .unwrap();
    store
        .people()
        .change_staff_password(
            ana.id,
            "$argon2id$new",
            Some(this_device.id),
            &actor(&ana),
            t0,
        )
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .password_link_staff("forgotten-link", t0)
            .await
            .unwrap()
            .is_none(),
        "the link in the mailbox no longer sets a password"
    );
    assert!(matches!(
        store
            .sessions()
            .use_password_link("forgotten-link", "$argon2id$attacker", t0)
            .await,
        Err(DbError::NotFound)
    ));
    assert_eq!(
        store
            .people()
            .staff_password_hash(ana.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$new")
    );
    assert!(
        store
            .sessions()
            .session("this-device", LIMITS, t0)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .sessions()
            .session("other-device", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
}

async fn password_links_are_single_use_and_expire(store: TestStore) {
    let admin = staff(&store, "boss@example.org", Role::Admin).await;
    let ana = staff(&store, "ana@example.org", Role::Author).await;
    let t0 = start();
    let in_a_day = t0 + SignedDuration::from_hours(24);
    store
        .sessions()
        .create_session(ana.id, "old-session", "c", LIMITS, t0)
        .await
        .unwrap();
    store
        .sessions()
        .create_password_link(ana.id, "link-1", in_a_day, &actor(&admin), t0)
        .await
        .unwrap();
    assert_eq!(
        store
            .sessions()
            .password_link_staff("link-1", t0)
            .await
            .unwrap()
            .map(|s| s.id),
        Some(ana.id)
    );
    // A second link supersedes the first.
    store
        .sessions()
        .create_password_link(ana.id, "link-2", in_a_day, &actor(&admin), t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .password_link_staff("link-1", t0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .sessions()
            .use_password_link("link-1", "$argon2id$x", t0)
            .await,
        Err(DbError::NotFound)
    ));

    let used = store
        .sessions()
        .use_password_link("link-2", "$argon2id$chosen", t0)
        .await
        .unwrap();
    assert_eq!(used.id, ana.id);
    assert_eq!(
        store
            .people()
            .staff_password_hash(ana.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$chosen")
    );
    assert!(
        store
            .sessions()
            .session("old-session", LIMITS, t0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .sessions()
            .use_password_link("link-2", "$argon2id$again", t0)
            .await,
        Err(DbError::NotFound)
    ));

    store
        .sessions()
        .create_password_link(ana.id, "link-3", in_a_day, &actor(&admin), t0)
        .await
        .unwrap();
    let expired = in_a_day + SignedDuration::from_secs(1);
    assert!(
        store
            .sessions()
            .password_link_staff("link-3", expired)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .sessions()
            .use_password_link("link-3", "$argon2id$late", expired)
            .await,
        Err(DbError::NotFound)
    ));

    let actions: Vec<String> = store
        .audit()
        .for_subject("staff", ana.id)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(
        actions,
        [
            "staff.password_link",
            "staff.password_link",
            "staff.password",
            "staff.password_link"
        ]
    );
}

async fn api_tokens_act_as_their_creator_within_its_role(store: TestStore) {
    let admin = staff(&store, "boss@example.org", Role::Admin).await;
    let editor = staff(&store, "ed@example.org", Role::Editor).await;
    let t0 = start();
    let in_90_days = t0 + dateline_db::API_TOKEN_DEFAULT_LIFETIME;
    let refused = store
        .sessions()
        .create_api_token(
            "too strong",
            Role::Admin,
            "s0",
            in_90_days,
            &actor(&editor),
            t0,
        )
        .await;
    assert!(matches!(refused, Err(DbError::Refused(_))), "{refused:?}");
    assert!(matches!(
        store
            .sessions()
            .create_api_token("  ", Role::Author, "s0", in_90_days, &actor(&editor), t0)
            .await,
        Err(DbError::Refused(_))
    ));

    // An expiry in the past, or more than a year away, is refused.
    for expires in [t0, t0 + SignedDuration::from_hours(24 * 367)] {
        assert!(matches!(
            store
                .sessions()
                .create_api_token("odd", Role::Author, "s0", expires, &actor(&editor), t0)
                .await,
            Err(DbError::Refused(_))
        ));
    }
    let token = store
        .sessions()
        .create_api_token(
            "Wire importer",
            Role::Author,
            "s1",
            in_90_days,
            &actor(&editor),
            t0,
        )
        .await
        .unwrap();
    assert_eq!(token.expires_at, in_90_days);
    assert_eq!(token.name, "Wire importer");
    assert_eq!(token.role, Role::Author);
    assert_eq!(token.created_by, editor.id);
    assert_eq!(token.created_by_name, "ed");
    assert_eq!(token.last_used_at, None);

    let (found, acting) = store
        .sessions()
        .api_token_by_secret("s1", t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, token.id);
    assert_eq!(acting.id, editor.id);
    assert_eq!(
        store.sessions().api_tokens().await.unwrap()[0].last_used_at,
        Some(t0),
        "use is noted"
    );
    assert!(
        store
            .sessions()
            .api_token_by_secret("s2", t0)
            .await
            .unwrap()
            .is_none()
    );
    // Checked on every use: a second past its expiry, the token opens nothing.
    assert!(
        store
            .sessions()
            .api_token_by_secret("s1", in_90_days - SignedDuration::from_secs(1))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .sessions()
            .api_token_by_secret("s1", in_90_days)
            .await
            .unwrap()
            .is_none()
    );

    // The creator's account being disabled stops the token.
    store
        .people()
        .set_staff_disabled(editor.id, true, &actor(&admin), t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .api_token_by_secret("s1", t0)
            .await
            .unwrap()
            .is_none()
    );
    store
        .people()
        .set_staff_disabled(editor.id, false, &actor(&admin), t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .api_token_by_secret("s1", t0)
            .await
            .unwrap()
            .is_some()
    );

    store
        .sessions()
        .revoke_api_token(token.id, &actor(&admin), t0)
        .await
        .unwrap();
    assert!(
        store
            .sessions()
            .api_token_by_secret("s1", t0)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .sessions()
            .revoke_api_token(token.id, &actor(&admin), t0)
            .await,
        Err(DbError::NotFound)
    ));
    assert!(
        store.sessions().api_tokens().await.unwrap()[0]
            .revoked_at
            .is_some()
    );
    let actions: Vec<String> = store
        .audit()
        .for_subject("api_token", token.id)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| entry.action)
        .collect();
    assert_eq!(actions, ["api_token.create", "api_token.revoke"]);
}

async fn staff_changes_are_audited_and_keep_one_admin(store: TestStore) {
    let t0 = start();
    let admin = staff(&store, "boss@example.org", Role::Admin).await;
    let ana = store
        .people()
        .create_staff_as(
            &actor(&admin),
            &NewStaff {
                email: "ana@example.org".to_owned(),
                display_name: "Ana".to_owned(),
                role: Role::Contributor,
                password_hash: None,
                author_id: None,
            },
            t0,
        )
        .await
        .unwrap();
    let promoted = store
        .people()
        .set_staff_role(ana.id, Role::Editor, &actor(&admin), t0)
        .await
        .unwrap();
    assert_eq!(promoted.role, Role::Editor);

    // The only admin can neither be demoted nor disabled.
    for refused in [
        store
            .people()
            .set_staff_role(admin.id, Role::Editor, &actor(&admin), t0)
            .await,
        store
            .people()
            .set_staff_disabled(admin.id, true, &actor(&admin), t0)
            .await,
    ] {
        assert!(matches!(refused, Err(DbError::Refused(_))), "{refused:?}");
    }
    assert_eq!(
        store.people().staff_by_id(admin.id).await.unwrap().role,
        Role::Admin
    );
    store
        .people()
        .set_staff_role(ana.id, Role::Admin, &actor(&admin), t0)
        .await
        .unwrap();
    store
        .people()
        .set_staff_role(admin.id, Role::Editor, &actor(&ana), t0)
        .await
        .unwrap();

    let log = store.audit().for_subject("staff", ana.id).await.unwrap();
    let summary: Vec<(String, String, Option<i64>)> = log
        .iter()
        .map(|e| (e.action.clone(), e.detail.clone(), e.actor.staff_id))
        .collect();
    assert_eq!(
        summary,
        [
            (
                "staff.create".to_owned(),
                "Ana <ana@example.org> as contributor".to_owned(),
                Some(admin.id)
            ),
            (
                "staff.role".to_owned(),
                "Ana: role contributor → editor".to_owned(),
                Some(admin.id)
            ),
            (
                "staff.role".to_owned(),
                "Ana: role editor → admin".to_owned(),
                Some(admin.id)
            ),
        ]
    );
    let boss_log = store.audit().for_subject("staff", admin.id).await.unwrap();
    assert_eq!(
        boss_log.len(),
        1,
        "fixture accounts are created without an entry"
    );
    assert_eq!(boss_log[0].action, "staff.role");
    assert_eq!(boss_log[0].actor.staff_id, Some(ana.id));
}
