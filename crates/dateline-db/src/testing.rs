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
    let (admin, schema) = postgres_schema().await;
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

/// The URL of a new, empty database of `kind` for tests that open databases by URL (backup and
/// restore): a SQLite file in `folder` (not created), or a fresh PostgreSQL schema, named in the
/// URL's `options` (libpq's `-c search_path=…`).
pub async fn empty_database_url(kind: BackendKind, folder: &std::path::Path) -> String {
    match kind {
        BackendKind::Sqlite => format!("sqlite://{}", folder.join("dateline.sqlite").display()),
        BackendKind::Postgres => {
            let (_, schema) = postgres_schema().await;
            let url = postgres_server_url();
            let joiner = if url.contains('?') { '&' } else { '?' };
            format!("{url}{joiner}options=-c%20search_path%3D{schema}")
        }
    }
}

fn postgres_server_url() -> String {
    std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{POSTGRES_URL_VAR} is not set: the store tests run on PostgreSQL too. \
             Run `scripts/test`, which starts a throwaway PostgreSQL server, or point \
             {POSTGRES_URL_VAR} at a server you may create schemas on."
        )
    })
}

/// A new, empty schema on the test server, and the server's connection options.
async fn postgres_schema() -> (PgConnectOptions, String) {
    let url = postgres_server_url();
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
    (admin, schema)
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

/// A staff account named `name` (its address `name@dateline.test`, lower-cased), of `role`,
/// writing under the byline `author_id`, with no password: the member a test acts as.
pub async fn staff_member(
    store: &Store,
    name: &str,
    role: dateline_core::Role,
    author_id: Option<i64>,
) -> dateline_core::StaffMember {
    store
        .people()
        .create_staff(
            &crate::NewStaff {
                email: format!("{}@dateline.test", name.to_lowercase()),
                display_name: name.to_owned(),
                role,
                password_hash: None,
                author_id,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("staff member")
}

/// A picture in the library as `uploader` added it, with its alt text and nothing else (no
/// file behind it: for tests of what the library records, not of what it serves).
pub async fn library_picture(store: &Store, uploader: &crate::Actor) -> crate::LibraryImage {
    store
        .library()
        .add(
            &crate::ImageInput {
                original_key: "originals/picture.jpg".into(),
                original_mime: "image/jpeg".into(),
                width: 800,
                height: 600,
                alt: "A square".into(),
                caption: None,
                credit: None,
                source_type: None,
                variants: Vec::new(),
            },
            &crate::SourceTypeOrigin::None,
            uploader,
            jiff::Timestamp::now(),
        )
        .await
        .expect("library picture")
}

/// A "Politics" section and an author "Ada": what a test needs before it can write an article.
/// Returns their ids.
pub async fn politics_desk(store: &Store) -> (i64, i64) {
    let section = store
        .site()
        .create_section(
            &crate::SectionInput {
                slug: "politics".into(),
                name: "Politics".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("section");
    let author = store
        .people()
        .create_author(
            &crate::AuthorInput {
                slug: "ada".into(),
                name: "Ada".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    (section.id, author.id)
}

/// An article `slug` ("The {slug} story") in `section_id` by `author_id`, in `status`, with no
/// tags and a one-word body: what a test of the workflow or the jobs writes.
pub fn story(
    section_id: i64,
    author_id: i64,
    slug: &str,
    status: dateline_core::ArticleStatus,
    first_published_at: Option<jiff::Timestamp>,
) -> crate::ArticleInput {
    crate::ArticleInput {
        section_id,
        slug: slug.into(),
        headline: format!("The {slug} story"),
        standfirst: String::new(),
        body: "Body.".into(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: vec![author_id],
        tags: Vec::new(),
        language: "en".into(),
        comments_open: true,
        status,
        first_published_at,
        updated_at: None,
    }
}

/// A published article on a new [`politics_desk`], for tests that need one story (narration,
/// jobs) and nothing else of the newsroom.
pub async fn published_article(store: &Store, body: &str) -> (i64, crate::ArticleInput) {
    let (section_id, author_id) = politics_desk(store).await;
    let input = crate::ArticleInput {
        headline: "Vote delayed".into(),
        standfirst: "Senators want more time.".into(),
        body: body.into(),
        ..story(
            section_id,
            author_id,
            "vote-delayed",
            dateline_core::ArticleStatus::Published,
            None,
        )
    };
    let id = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .expect("article")
        .id;
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

/// A new, empty database on the PostgreSQL server of `DATELINE_TEST_POSTGRES_URL`, for tests
/// that hand a URL to another process (a real `dateline` binary), where a schema on the search
/// path would not carry over. Returns its URL. Left for the throwaway cluster to vanish with.
pub async fn fresh_postgres_database(name_hint: &str) -> String {
    let url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
        panic!("{POSTGRES_URL_VAR} is not set: run `scripts/test`, which starts PostgreSQL")
    });
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let hint: String = name_hint
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(30)
        .collect();
    let database = format!(
        "{hint}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
    .to_lowercase();
    let admin = PgConnectOptions::from_str(&url).expect("valid PostgreSQL URL");
    let mut connection = sqlx::ConnectOptions::connect(&admin)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::Executor::execute(
        &mut connection,
        sqlx::AssertSqlSafe(format!("CREATE DATABASE {database}")),
    )
    .await
    .expect("create a test database");
    let (server, _) = url
        .split_once('?')
        .map_or((url.as_str(), ""), |(server, query)| (server, query));
    let (base, _) = server.rsplit_once('/').expect("a database name in the URL");
    format!("{base}/{database}")
}
