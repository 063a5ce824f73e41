//! Test databases: a fresh SQLite file, or a fresh schema on the PostgreSQL server that
//! `scripts/test` starts, for every test. Tests never skip PostgreSQL: without
//! `DATELINE_TEST_POSTGRES_URL` they fail and say how to run them.

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use sqlx::postgres::PgConnectOptions;

use crate::{BackendKind, Store};

/// A store that lives as long as this value (the SQLite folder is removed on drop; PostgreSQL
/// schemas are left for the throwaway cluster to vanish with).
pub struct TestStore {
    pub store: Store,
    _folder: Option<tempfile::TempDir>,
}

impl std::ops::Deref for TestStore {
    type Target = Store;
    fn deref(&self) -> &Store {
        &self.store
    }
}

pub const POSTGRES_URL_VAR: &str = "DATELINE_TEST_POSTGRES_URL";

pub async fn store(kind: BackendKind) -> TestStore {
    match kind {
        BackendKind::Sqlite => sqlite().await,
        BackendKind::Postgres => postgres().await,
    }
}

pub async fn sqlite() -> TestStore {
    let folder = tempfile::tempdir().expect("temporary folder");
    let url = format!(
        "sqlite://{}",
        folder.path().join("dateline.sqlite").display()
    );
    let store = Store::open(&url).await.expect("open SQLite test store");
    TestStore {
        store,
        _folder: Some(folder),
    }
}

pub async fn postgres() -> TestStore {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: the store tests run on PostgreSQL too. \
             Run `scripts/test`, which starts a throwaway PostgreSQL server, or point \
             {POSTGRES_URL_VAR} at a server you may create schemas on."
        )
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let schema = format!(
        "test_{}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now()
            .as_nanosecond()
            .rem_euclid(1_000_000_000)
    );
    let admin = PgConnectOptions::from_str(&url).expect("valid PostgreSQL URL");
    {
        let mut connection = sqlx::ConnectOptions::connect(&admin)
            .await
            .expect("connect to the test PostgreSQL server");
        sqlx::Executor::execute(
            &mut connection,
            sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")),
        )
        .await
        .expect("create test schema");
    }
    let options = admin.options([("search_path", schema.as_str())]);
    let store = Store::open_postgres(options)
        .await
        .expect("open PostgreSQL test store");
    store
        .migrate()
        .await
        .expect("migrate PostgreSQL test schema");
    TestStore {
        store,
        _folder: None,
    }
}

/// Defines one `#[tokio::test]` per backend for an `async fn(TestStore)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::store($crate::BackendKind::Sqlite).await).await;
                }
            )+
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::testing::store($crate::BackendKind::Postgres).await).await;
                }
            )+
        }
    };
}

/// A "Politics" section and an author "Ada": what a test needs before it can write an article.
/// Returns their ids.
pub async fn politics_desk(store: &Store) -> (i64, i64) {
    let section = store
        .create_section(&crate::SectionInput {
            slug: "politics".into(),
            name: "Politics".into(),
            description: String::new(),
            position: 0,
        })
        .await
        .expect("section");
    let author = store
        .create_author(&crate::AuthorInput {
            slug: "ada".into(),
            name: "Ada".into(),
            role: String::new(),
            bio: String::new(),
        })
        .await
        .expect("author");
    (section.id, author.id)
}

/// A published article on a new [`politics_desk`], for tests that need one story (narration,
/// jobs) and nothing else of the newsroom.
pub async fn published_article(store: &Store, body: &str) -> (i64, crate::ArticleInput) {
    let (section_id, author_id) = politics_desk(store).await;
    let input = crate::ArticleInput {
        section_id,
        slug: "vote-delayed".into(),
        headline: "Vote delayed".into(),
        standfirst: "Senators want more time.".into(),
        body: body.into(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: vec![author_id],
        tags: Vec::new(),
        language: "en".into(),
        comments_open: true,
        status: dateline_core::ArticleStatus::Published,
        first_published_at: None,
        updated_at: None,
    };
    let id = store.create_article(&input).await.expect("article").id;
    (id, input)
}

/// The `synchronous` level of a SQLite store's writer connection (None on PostgreSQL): what
/// every write that is not a tip commits under.
pub async fn sqlite_writer_synchronous(store: &Store) -> Option<i64> {
    match &store.backend {
        crate::Backend::Sqlite { writer, .. } => Some(
            sqlx::query_scalar("PRAGMA synchronous")
                .fetch_one(writer)
                .await
                .expect("PRAGMA synchronous"),
        ),
        crate::Backend::Postgres(_) => None,
    }
}
