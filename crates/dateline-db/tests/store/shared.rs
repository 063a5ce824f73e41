//! What several nodes share through the database: the CDN purge cursor (one purge job per batch
//! of changes, whoever queues it), limit counters (no count lost between nodes), the editors open
//! on each node, and the schema version a node refuses to run against.

use std::collections::BTreeSet;

use dateline_core::JobKind;
use dateline_core::Role;
use dateline_db::testing::TestStore;
use dateline_db::{
    BackendKind, DbError, EditorAdmission, NewStaff, OpenEditor, PresenceLimits, Store,
};
use jiff::SignedDuration;

use crate::support::{base_time, section};

dateline_db::both_backends!(
    a_batch_of_changes_is_queued_for_purging_once_whoever_asks,
    purging_starts_at_the_newest_change_and_batches_are_bounded,
    limit_counters_lose_no_hit_between_nodes_and_restart_each_window,
    an_editor_open_on_one_node_is_seen_from_the_others_until_closed_or_expired,
    open_editors_are_bounded_over_every_node,
);

async fn purge_jobs(store: &Store) -> Vec<serde_json::Value> {
    let mut found = Vec::new();
    let worker = "test";
    while let Some(job) = store
        .jobs()
        .claim(
            worker,
            &[JobKind::PurgeCdn.name()],
            std::time::Duration::from_secs(60),
            jiff::Timestamp::now() + SignedDuration::from_hours(1),
        )
        .await
        .unwrap()
    {
        found.push(job.payload.clone());
        store
            .jobs()
            .complete(job.id, jiff::Timestamp::now())
            .await
            .unwrap();
    }
    found
}

async fn a_batch_of_changes_is_queued_for_purging_once_whoever_asks(store: TestStore) {
    let now = base_time();
    // The first call places the cursor: nothing before it is purged.
    assert_eq!(store.cdn().queue_purge(100, now).await.unwrap(), None);
    section(&store, "politics", 1).await;
    section(&store, "business", 2).await;
    let latest = store.changes().latest_id().await.unwrap();
    let expected: BTreeSet<String> = store
        .changes()
        .since(0, 100)
        .await
        .unwrap()
        .into_iter()
        .flat_map(|change| change.cache_tags)
        .collect();
    assert!(expected.contains("site"), "{expected:?}");
    // Four nodes follow the log at the same moment: one of them queues the batch.
    let mut asking = Vec::new();
    for _ in 0..4 {
        let node = store.store.clone();
        asking.push(tokio::spawn(async move {
            node.cdn().queue_purge(100, now).await.unwrap()
        }));
    }
    let mut queued = Vec::new();
    for ask in asking {
        queued.extend(ask.await.unwrap());
    }
    assert_eq!(queued.len(), 1, "{queued:?}");
    let purge = &queued[0];
    assert_eq!(purge.through_change, latest);
    assert_eq!(
        purge.tags.iter().cloned().collect::<BTreeSet<_>>(),
        expected
    );
    let jobs = purge_jobs(&store).await;
    assert_eq!(jobs.len(), 1, "{jobs:?}");
    assert_eq!(jobs[0]["through_change"], latest);
    assert_eq!(
        jobs[0]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|tag| tag.as_str().unwrap().to_owned())
            .collect::<BTreeSet<_>>(),
        expected
    );
    assert_eq!(store.cdn().queue_purge(100, now).await.unwrap(), None);
}

async fn purging_starts_at_the_newest_change_and_batches_are_bounded(store: TestStore) {
    let now = base_time();
    section(&store, "politics", 1).await;
    assert_eq!(
        store.cdn().queue_purge(100, now).await.unwrap(),
        None,
        "what changed before purging was switched on is not purged"
    );
    for (n, slug) in ["a-section", "b-section", "c-section"].iter().enumerate() {
        section(&store, slug, i32::try_from(n).unwrap() + 2).await;
    }
    let first = store.cdn().queue_purge(2, now).await.unwrap().unwrap();
    let second = store.cdn().queue_purge(2, now).await.unwrap().unwrap();
    assert!(second.through_change > first.through_change);
    assert_eq!(
        second.through_change,
        store.changes().latest_id().await.unwrap()
    );
    assert_eq!(store.cdn().queue_purge(2, now).await.unwrap(), None);
    assert_eq!(purge_jobs(&store).await.len(), 2);
}

async fn limit_counters_lose_no_hit_between_nodes_and_restart_each_window(store: TestStore) {
    let window = SignedDuration::from_hours(1);
    let now = base_time();
    let limits = store.limits();
    assert_eq!(limits.hits("tips:site", window, now).await.unwrap(), 0);
    assert_eq!(limits.hit("tips:site", window, now).await.unwrap(), 1);
    assert_eq!(limits.hit("tips:site", window, now).await.unwrap(), 2);
    assert_eq!(limits.hits("tips:site", window, now).await.unwrap(), 2);
    assert_eq!(limits.hits("tips:other", window, now).await.unwrap(), 0);
    // Twenty hits at once, as from several nodes: each is counted.
    let mut hitting = Vec::new();
    for _ in 0..20 {
        let node = store.store.clone();
        hitting.push(tokio::spawn(async move {
            node.limits().hit("guesses", window, now).await.unwrap()
        }));
    }
    let mut seen = BTreeSet::new();
    for hit in hitting {
        seen.insert(hit.await.unwrap());
    }
    assert_eq!(seen, (1..=20).collect::<BTreeSet<i64>>());
    // The next window starts again at one; the old window's count is no longer read.
    let later = now + window;
    assert_eq!(limits.hits("tips:site", window, later).await.unwrap(), 0);
    assert_eq!(limits.hit("tips:site", window, later).await.unwrap(), 1);
    assert_eq!(limits.forget_before(later).await.unwrap(), 1, "guesses");
    assert_eq!(limits.hits("guesses", window, now).await.unwrap(), 0);
    assert_eq!(limits.hits("tips:site", window, later).await.unwrap(), 1);
}

async fn staff_member(store: &Store, name: &str) -> i64 {
    store
        .people()
        .create_staff(
            &NewStaff {
                email: format!("{}@example.org", name.to_lowercase()),
                display_name: name.to_owned(),
                role: Role::Editor,
                password_hash: None,
                author_id: None,
            },
            base_time(),
        )
        .await
        .unwrap()
        .id
}

fn tab(article_id: i64, tab: &str, staff_id: i64) -> OpenEditor {
    OpenEditor {
        article_id,
        tab: tab.to_owned(),
        staff_id,
    }
}

/// (article, tab, name) of what `node` sees elsewhere of `articles` at `seen_since`.
async fn seen_from(
    store: &Store,
    node: &str,
    articles: &[i64],
    seen_since: jiff::Timestamp,
) -> Vec<(i64, String, String)> {
    store
        .presence()
        .elsewhere(node, articles, seen_since, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.article_id, e.tab, e.name))
        .collect()
}

const ROOMY: PresenceLimits = PresenceLimits {
    per_article: 24,
    per_person: 12,
    expires_after: SignedDuration::from_secs(5),
};

async fn an_editor_open_on_one_node_is_seen_from_the_others_until_closed_or_expired(
    store: TestStore,
) {
    let ana = staff_member(&store, "Ana").await;
    let elena = staff_member(&store, "Elena").await;
    let presence = store.presence();
    let now = base_time();
    let expiry = SignedDuration::from_secs(5);
    let admitted = presence
        .open("node-a", &tab(7, "ana1", ana), ROOMY, now)
        .await
        .unwrap();
    assert_eq!(admitted, EditorAdmission::Admitted);
    presence
        .open("node-b", &tab(7, "elena1", elena), ROOMY, now)
        .await
        .unwrap();
    presence
        .open("node-b", &tab(8, "elena2", elena), ROOMY, now)
        .await
        .unwrap();

    // Each node sees the others' editors of the articles it asks about, never its own.
    let ana_row = (7, "ana1".to_owned(), "Ana".to_owned());
    let elena_row = (7, "elena1".to_owned(), "Elena".to_owned());
    assert_eq!(
        seen_from(&store, "node-b", &[7], now - expiry).await,
        std::slice::from_ref(&ana_row)
    );
    assert_eq!(
        seen_from(&store, "node-a", &[7], now - expiry).await,
        std::slice::from_ref(&elena_row)
    );
    assert_eq!(
        seen_from(&store, "node-c", &[7, 8, 9], now - expiry).await,
        [
            ana_row.clone(),
            elena_row.clone(),
            (8, "elena2".to_owned(), "Elena".to_owned())
        ]
    );
    assert!(seen_from(&store, "node-c", &[], now).await.is_empty());

    // Closed: gone for everyone.
    presence
        .close("node-b", &tab(8, "elena2", elena))
        .await
        .unwrap();
    assert!(
        seen_from(&store, "node-a", &[8], now - expiry)
            .await
            .is_empty()
    );

    // Node A keeps beating; node B stops (it died): five seconds on, only Ana is there.
    let later = now + SignedDuration::from_secs(6);
    assert_eq!(
        presence
            .heartbeat("node-a", &[tab(7, "ana1", ana)], later)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        seen_from(&store, "node-c", &[7], later - expiry).await,
        std::slice::from_ref(&ana_row)
    );

    // Maintenance deleted Ana's row while node A stalled: its next heartbeat writes it again.
    assert_eq!(presence.forget_before(later + expiry).await.unwrap(), 2);
    assert!(seen_from(&store, "node-c", &[7], later).await.is_empty());
    let much_later = later + SignedDuration::from_mins(1);
    presence
        .heartbeat("node-a", &[tab(7, "ana1", ana)], much_later)
        .await
        .unwrap();
    assert_eq!(
        seen_from(&store, "node-c", &[7], much_later - expiry).await,
        [ana_row]
    );
    assert_eq!(
        presence.heartbeat("node-a", &[], much_later).await.unwrap(),
        0
    );
}

async fn open_editors_are_bounded_over_every_node(store: TestStore) {
    let people = [
        staff_member(&store, "Ana").await,
        staff_member(&store, "Elena").await,
        staff_member(&store, "Priya").await,
    ];
    let now = base_time();
    let tight = PresenceLimits {
        per_article: 2,
        per_person: 2,
        expires_after: SignedDuration::from_secs(5),
    };
    let open = |node: &'static str, editor: OpenEditor, at: jiff::Timestamp| {
        let store = store.store.clone();
        async move {
            store
                .presence()
                .open(node, &editor, tight, at)
                .await
                .unwrap()
        }
    };
    assert_eq!(
        open("a", tab(1, "t1", people[0]), now).await,
        EditorAdmission::Admitted
    );
    assert_eq!(
        open("b", tab(1, "t2", people[1]), now).await,
        EditorAdmission::Admitted
    );
    assert_eq!(
        open("c", tab(1, "t3", people[2]), now).await,
        EditorAdmission::ArticleFull
    );
    // The same tab opening again replaces itself.
    assert_eq!(
        open("a", tab(1, "t1", people[0]), now).await,
        EditorAdmission::Admitted
    );
    // A person's tabs are counted on every node.
    assert_eq!(
        open("b", tab(2, "t4", people[0]), now).await,
        EditorAdmission::Admitted
    );
    assert_eq!(
        open("c", tab(3, "t5", people[0]), now).await,
        EditorAdmission::PersonFull
    );
    // The rows of a node that stopped beating no longer take places.
    let later = now + SignedDuration::from_secs(10);
    assert_eq!(
        open("c", tab(3, "t5", people[0]), later).await,
        EditorAdmission::Admitted
    );
    assert_eq!(
        open("c", tab(1, "t3", people[2]), later).await,
        EditorAdmission::Admitted
    );

    // Eight tabs of different people opening at the same moment on four nodes: exactly two
    // places on a fresh story.
    let article_of_two = PresenceLimits {
        per_article: 2,
        per_person: 12,
        expires_after: SignedDuration::from_secs(5),
    };
    let mut opening = Vec::new();
    for n in 0..8 {
        let store = store.store.clone();
        let node = ["a", "b", "c", "d"][n % 4];
        let editor = tab(9, &format!("r{n}"), people[n % 3]);
        opening.push(tokio::spawn(async move {
            store
                .presence()
                .open(node, &editor, article_of_two, now)
                .await
                .unwrap()
        }));
    }
    let mut admitted = 0;
    for answer in opening {
        if answer.await.unwrap() == EditorAdmission::Admitted {
            admitted += 1;
        }
    }
    assert_eq!(admitted, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_a_node_refuses_a_schema_newer_than_it_knows() {
    a_node_refuses_a_schema_newer_than_it_knows(BackendKind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_node_refuses_a_schema_newer_than_it_knows() {
    a_node_refuses_a_schema_newer_than_it_knows(BackendKind::Postgres).await;
}

async fn a_node_refuses_a_schema_newer_than_it_knows(kind: BackendKind) {
    let folder = tempfile::tempdir().unwrap();
    let url = dateline_db::testing::empty_database_url(kind, folder.path()).await;
    let store = Store::open(&url).await.unwrap();
    store.close().await;
    // A newer release's migration, as it would have recorded it.
    const NEWER: &str = "INSERT INTO _sqlx_migrations (version, description, success, \
                         checksum, execution_time) VALUES (9999, 'from the future', true, ";
    match kind {
        BackendKind::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("{NEWER}X'00', 1)")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        BackendKind::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("{NEWER}'\\x00'::bytea, 1)")))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
    let refused = Store::open(&url).await.err().expect("refused");
    assert!(
        matches!(
            refused,
            DbError::SchemaTooNew {
                database: 9999,
                known
            } if known >= 18
        ),
        "{refused:?}"
    );
    let message = refused.to_string();
    assert!(
        message.contains("9999") && message.contains("newer release"),
        "{message}"
    );
}
