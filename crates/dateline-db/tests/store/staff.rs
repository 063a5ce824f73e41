//! Staff accounts: creation, lookup by case-insensitive email, and password hashes kept apart.

use dateline_core::Role;
use dateline_db::testing::TestStore;
use dateline_db::{DbError, NewStaff};
use jiff::Timestamp;

dateline_db::both_backends!(
    staff_accounts_round_trip_and_emails_ignore_case,
    a_taken_email_is_a_duplicate_and_bad_input_is_refused,
    password_hashes_are_set_and_read_apart_from_the_account,
    the_audit_log_appends_and_pages_newest_first,
);

fn new_staff(email: &str, role: Role) -> NewStaff {
    NewStaff {
        email: email.to_owned(),
        display_name: "Ana Pérez".to_owned(),
        role,
        password_hash: None,
        author_id: None,
    }
}

async fn staff_accounts_round_trip_and_emails_ignore_case(store: TestStore) {
    let now = Timestamp::from_second(1_790_000_000).unwrap();
    let created = store
        .people()
        .create_staff(&new_staff("  Ana@Example.ORG ", Role::Editor), now)
        .await
        .unwrap();
    assert_eq!(created.email, "ana@example.org");
    assert_eq!(created.role, Role::Editor);
    assert_eq!(created.created_at, now);
    assert_eq!(created.disabled_at, None);

    assert_eq!(
        store.people().staff_by_id(created.id).await.unwrap(),
        created
    );
    assert_eq!(
        store
            .people()
            .staff_by_email("ANA@example.org")
            .await
            .unwrap(),
        created
    );
    assert!(matches!(
        store.people().staff_by_email("nobody@example.org").await,
        Err(DbError::NotFound)
    ));
    assert_eq!(store.people().staff_members().await.unwrap(), vec![created]);
}

async fn a_taken_email_is_a_duplicate_and_bad_input_is_refused(store: TestStore) {
    let now = Timestamp::now();
    store
        .people()
        .create_staff(&new_staff("ana@example.org", Role::Author), now)
        .await
        .unwrap();
    let again = store
        .people()
        .create_staff(&new_staff("ANA@example.org", Role::Admin), now)
        .await;
    assert!(matches!(again, Err(DbError::Duplicate(_))), "{again:?}");

    for email in [
        "",
        "ana",
        "ana@localhost",
        "a na@example.org",
        "@example.org",
    ] {
        let refused = store
            .people()
            .create_staff(&new_staff(email, Role::Author), now)
            .await;
        let Err(DbError::Refused(refusals)) = &refused else {
            panic!("{email:?}: {refused:?}");
        };
        assert_eq!(
            refusals.first().field(),
            Some(dateline_core::Field::Email),
            "{email:?}"
        );
    }
    let mut nameless = new_staff("bo@example.org", Role::Author);
    nameless.display_name = "   ".to_owned();
    let refused = store.people().create_staff(&nameless, now).await;
    let Err(DbError::Refused(refusals)) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        refusals.first().field(),
        Some(dateline_core::Field::DisplayName)
    );
}

async fn password_hashes_are_set_and_read_apart_from_the_account(store: TestStore) {
    let member = store
        .people()
        .create_staff(
            &new_staff("ana@example.org", Role::Contributor),
            Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.people().staff_password_hash(member.id).await.unwrap(),
        None
    );
    store
        .people()
        .set_staff_password_hash(member.id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
        .await
        .unwrap();
    assert_eq!(
        store
            .people()
            .staff_password_hash(member.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA")
    );
    assert!(matches!(
        store
            .people()
            .set_staff_password_hash(member.id + 1000, "x")
            .await,
        Err(DbError::NotFound)
    ));
}

async fn the_audit_log_appends_and_pages_newest_first(store: TestStore) {
    use dateline_db::{Actor, AuditEntry};

    let admin = store
        .people()
        .create_staff(
            &new_staff("admin@example.org", Role::Admin),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let start = Timestamp::from_second(1_790_000_000).unwrap();
    for (index, action) in ["staff.create", "staff.role", "article.publish"]
        .iter()
        .enumerate()
    {
        let entry = AuditEntry {
            actor: Actor::staff(admin.id, "Ana Pérez"),
            action: (*action).to_owned(),
            subject_kind: if index < 2 { "staff" } else { "article" }.to_owned(),
            subject_id: Some(7),
            detail: format!("step {index}"),
        };
        store
            .audit()
            .append(
                &entry,
                start + jiff::SignedDuration::from_secs(index as i64),
            )
            .await
            .unwrap();
    }
    let newest = store.audit().log(None, 2).await.unwrap();
    let actions: Vec<&str> = newest.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(actions, ["article.publish", "staff.role"]);
    assert_eq!(newest[0].actor, Actor::staff(admin.id, "Ana Pérez"));
    assert_eq!(newest[0].at, start + jiff::SignedDuration::from_secs(2));
    let older = store.audit().log(Some(newest[1].id), 10).await.unwrap();
    assert_eq!(older.len(), 1);
    assert_eq!(older[0].action, "staff.create");
    assert_eq!(older[0].detail, "step 0");

    let about_staff = store.audit().for_subject("staff", 7).await.unwrap();
    assert_eq!(about_staff.len(), 2);
    assert_eq!(about_staff[0].action, "staff.create");
}
