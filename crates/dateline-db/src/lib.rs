//! Dateline's store: one API over SQLite (the embedded default) and PostgreSQL (several nodes).
//!
//! The backend is chosen at run time from the database URL. Each backend has its own migration
//! tree; query texts are shared wherever the dialects agree (`$1` placeholders work in both), and
//! split only where they differ. All SQL of the project lives in this crate.
//!
//! `Store` opens, migrates and closes the database; its queries are asked of one area at a time
//! (`store.articles()`, `store.comments()`, …: see `areas.rs`).

mod api;
mod areas;
mod article_read;
mod articles;
mod audit;
mod auth;
pub mod backup;
mod catalog;
mod cdn;
mod changes;
mod comments;
mod desk;
mod editorial;
mod error;
pub mod export;
mod feeds;
mod imports;
mod jobs;
mod library;
mod limits;
mod lists;
mod live;
mod narration;
mod newsroom_desk;
mod operations;
mod pages;
mod presence;
mod profiles;
mod public_pages;
mod readers;
mod rows;
mod search_cursor;
mod search_sources;
mod sitemaps;
mod staff;
pub mod testing;
mod tips;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use api::{ApiArticleQuery, ArchivePosition};
pub use areas::{
    Articles, Audit, Changes, Comments, Jobs, Library, Narration, People, Public, Search, Sessions,
    Site, StaticPages, Tips,
};
pub use article_read::{ArticleRead, ArticleReadLookup, ArticleShown};
pub use articles::{ArticleInput, ArticleLookup, ArticleStats};
pub use audit::{Actor, AuditEntry, AuditRecord};
pub use auth::{
    API_TOKEN_DEFAULT_LIFETIME, API_TOKEN_MAX_LIFETIME, ApiToken, SessionLimits, SignInSide,
    StaffSession,
};
pub use catalog::{AuthorInput, ImageInput, SectionInput};
pub use cdn::{Cdn, QueuedPurge};
pub use changes::Change;
pub use comments::{
    ArticleDiscussion, Comment, CommentAuthor, DiscussionPage, DiscussionSort,
    MODERATION_RULES_ACTOR, NewComment, Queue, QueuedComment, ReaderStanding,
};
pub use desk::{DeskArticle, DeskFilter, ImageChoice, Owner};
pub use editorial::{Revision, RevisionSummary, SCHEDULER_ACTOR};
pub use error::DbError;
pub use feeds::{FeedArticle, FeedHead, FeedItems, FeedOf, FeedPage};
pub use imports::{
    Imported, ImportedComment, ImportedEntry, Imports, MAX_OLD_PATH_BYTES, MovedTo, RedirectTo,
    ThreadPlace, old_path_key,
};
pub use jobs::{Job, JobOutcome, NewJob};
pub use library::{ImageEdit, LibraryImage, LibraryPage, SourceTypeOrigin};
pub use limits::{Limits, window_start};
pub use lists::{StoryFilter, StoryPage};
pub use live::{
    EntryText, FeedKeyEvent, KeyEventRef, LatestEntry, Live, LiveNews, LivePage, NewEntry,
};
pub use narration::{
    ArticleAudio, AudioFiles, AudioStatus, NARRATE_PRIORITY, NARRATION_VOICES, NarrationArticle,
    NarrationRun,
};
pub use newsroom_desk::TagUse;
pub use operations::{NarrationTotals, PoolUse, QueueDepth};
pub use pages::{PageInput, PageRevision};
pub use presence::{EditorAdmission, EditorElsewhere, OpenEditor, Presence, PresenceLimits};
pub use profiles::{AuthorLink, AuthorProfile, AuthorProfileInput};
pub use public_pages::{
    AuthorHead, CardFacts, FrontLayout, FrontPage, ListHead, ListLookup, ListOf, ListPage,
    SectionBlock, SiteFrame,
};
pub use readers::{
    ExportedComment, ExportedReport, NewReader, Reader, ReaderExport, ReaderLinkPurpose,
    ReaderSession, Standing,
};
pub use search_sources::SearchSource;
pub use sitemaps::{SitemapArticle, SitemapMonth, month_range};
pub use staff::{NewStaff, normalise_email};
pub use tips::{
    NewTip, NewTipAttachment, NewTipRecipient, PurgedTips, Tip, TipAction, TipAttachment, TipEvent,
    TipMessage, TipNote, TipRecipient, TipSender,
};

pub type Result<T, E = DbError> = std::result::Result<T, E>;

/// The database handle. Cheap to clone; every clone shares the pools.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
}

#[derive(Clone)]
enum Backend {
    /// SQLite allows one writer at a time: a single-connection writer pool queues writes in our
    /// process instead of failing with SQLITE_BUSY, while readers run in parallel (WAL).
    Sqlite {
        reader: SqlitePool,
        writer: SqlitePool,
    },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to a pool for reading, whatever the backend.
macro_rules! on_reader {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { reader, .. } => {
                let $pool = reader;
                $body
            }
            $crate::Backend::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool that may write.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { writer, .. } => {
                let $pool = writer;
                $body
            }
            $crate::Backend::Postgres(pg) => {
                let $pool = pg;
                $body
            }
        }
    };
}
pub(crate) use {on_reader, on_writer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

/// The migrations of each backend, embedded in the binary.
pub(crate) static SQLITE_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/sqlite");
pub(crate) static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator =
    sqlx::migrate!("./migrations/postgres");

impl Store {
    /// Opens `sqlite://path` (created when missing) or `postgres://…`, and brings the schema up to
    /// date.
    pub async fn open(url: &str) -> Result<Self> {
        let store = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url)?;
            Self::open_postgres(options).await?
        } else if url.starts_with("sqlite:") {
            Self::open_sqlite(url, true).await?
        } else {
            return Err(DbError::Invalid(format!(
                "database URL must start with sqlite: or postgres:// (got {})",
                redact_url(url)
            )));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Opens a database that must exist already, as it is: no file is created and no migration
    /// runs (a backup reads a live site; it must not change its schema as a side effect).
    pub async fn open_existing(url: &str) -> Result<Self> {
        match backup::backend_of(url)? {
            BackendKind::Postgres => Self::open_postgres(PgConnectOptions::from_str(url)?).await,
            BackendKind::Sqlite => Self::open_sqlite(url, false).await,
        }
    }

    /// Opens PostgreSQL with explicit options (tests use this to pick a schema per test).
    pub async fn open_postgres(options: PgConnectOptions) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(Self {
            backend: Backend::Postgres(pool),
        })
    }

    async fn open_sqlite(url: &str, create_if_missing: bool) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(create_if_missing)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true)
            .pragma("temp_store", "memory")
            // SQLite's own default, 2 MB per connection (five here): the system's page cache
            // holds the file anyway. At 16 MB each, one search index rebuild (every article read
            // once) left a node 29 MB larger for good.
            .pragma("cache_size", "-2000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await?;
        // A reader's rows cross from its worker thread to the task in a bounded channel
        // (sqlx: 50 rows). A monthly sitemap reads ~3,000 rows; at 50 the worker stopped and
        // waited for the task sixty times a page, and each wait is a context switch (most of
        // that page's CPU, and far worse on a busy machine). 1,024 rows of a few hundred bytes
        // each is little memory for four readers.
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options.read_only(true).row_buffer_size(1024))
            .await?;
        Ok(Self {
            backend: Backend::Sqlite { reader, writer },
        })
    }

    pub fn backend_kind(&self) -> BackendKind {
        match self.backend {
            Backend::Sqlite { .. } => BackendKind::Sqlite,
            Backend::Postgres(_) => BackendKind::Postgres,
        }
    }

    /// The PostgreSQL pool, for the search index that lives in the same database
    /// (`dateline_search::PostgresIndex`); `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.backend {
            Backend::Sqlite { .. } => None,
            Backend::Postgres(pg) => Some(pg),
        }
    }

    /// Applies pending migrations. Migrations are expand/contract so old and new nodes can run
    /// side by side during a rolling deploy.
    pub async fn migrate(&self) -> Result<()> {
        self.refuse_unknown_schema().await?;
        match &self.backend {
            Backend::Sqlite { writer, .. } => SQLITE_MIGRATIONS.run(writer).await?,
            Backend::Postgres(pg) => POSTGRES_MIGRATIONS.run(pg).await?,
        }
        Ok(())
    }

    /// Refuses a database whose schema a newer release has taken past the migrations this
    /// binary knows: an older node must not write into columns and rules it has never heard of.
    /// (During a rolling deploy the old nodes already running keep going, which is what the
    /// expand/contract rule is for; one that restarts must be the new release.)
    async fn refuse_unknown_schema(&self) -> Result<()> {
        let (migrator, exists_sql) = match &self.backend {
            Backend::Sqlite { .. } => (
                &SQLITE_MIGRATIONS,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
            ),
            Backend::Postgres(_) => (
                &POSTGRES_MIGRATIONS,
                "SELECT COUNT(*) FROM (SELECT to_regclass('_sqlx_migrations') AS t) m \
                 WHERE m.t IS NOT NULL",
            ),
        };
        let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let tables: i64 = on_writer!(self, pool => {
            sqlx::query_scalar(exists_sql).fetch_one(pool).await?
        });
        if tables == 0 {
            return Ok(());
        }
        let applied: Option<i64> = on_writer!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        match applied {
            Some(database) if database > known => Err(DbError::SchemaTooNew { database, known }),
            _ => Ok(()),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { reader, writer } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pg) => pg.close().await,
        }
    }
}

/// A database URL without its password, safe for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Microseconds since the epoch, the storage form of every time in both backends.
pub(crate) fn to_micros(at: jiff::Timestamp) -> i64 {
    at.as_microsecond()
}

pub(crate) fn from_micros(micros: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(micros).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://dateline:hunter2@db.internal/news"),
            "postgres://dateline:***@db.internal/news"
        );
        assert_eq!(
            redact_url("sqlite://data/db.sqlite"),
            "sqlite://data/db.sqlite"
        );
    }
}
