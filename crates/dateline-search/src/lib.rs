//! Dateline's search: what readers type into the search box, and the "Related" list beside an
//! article.
//!
//! The engine knows nothing of HTTP or SQL: callers hand it [`SearchDocument`]s (built from
//! published articles only) and ask [`SearchQuery`]s. [`SearchIndex`] is the seam; the embedded
//! default is [`TantivyIndex`], and [`PostgresIndex`] serves several nodes sharing one PostgreSQL
//! database. Every method blocks, so async callers wrap them in `tokio::task::spawn_blocking`.
//!
//! [`follower`] keeps an index in step with the store's `changes` log.
//!
//! Both implementations analyse text with the same analyser and read queries with the same
//! reader query language, so a query finds the same articles on either.

pub mod follower;
mod html;
mod postgres_index;
mod reader_query;
mod tantivy_index;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

pub use postgres_index::PostgresIndex;
pub use reader_query::{MAX_QUERY_CHARS, MAX_QUERY_TERMS};
pub use tantivy_index::TantivyIndex;

/// Most hits one page of results may ask for.
pub const MAX_LIMIT: usize = 100;
/// Deepest a reader may page; beyond it nobody is reading, only crawling.
pub const MAX_OFFSET: usize = 10_000;

/// A word in this many articles or more is taken as spelt the way the reader meant it: its
/// typo tolerance is off. Its neighbours one typo away are other real words ("state" for
/// "stage"), which add noise rather than forgive a typo; and looking them up in every segment
/// was most of the cost of a query on a large archive. A misspelling is rare by nature, so a
/// misspelt word still finds what it meant.
pub const COMMON_WORD_ARTICLES: u64 = 1_000;

/// What the index knows about one published article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchDocument {
    pub article_id: i64,
    pub headline: String,
    pub standfirst: String,
    /// Plain text of the body (`dateline_core::markdown::plain_text`), not Markdown.
    pub body_text: String,
    /// Display names of the byline, for searching by name.
    pub authors: Vec<String>,
    /// Slugs of the byline, for the author filter.
    pub author_slugs: Vec<String>,
    pub section: String,
    pub section_slug: String,
    pub tags: Vec<String>,
    pub first_published_at: Timestamp,
}

/// How results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchOrder {
    /// Best match first (BM25, headline matches weigh more than body matches).
    #[default]
    Relevance,
    /// Most recently first published first.
    Newest,
}

/// A reader's search.
///
/// `text` is the reader's words as typed: words must all match (in any order), `"double
/// quotes"` ask for a phrase, words of five letters or more tolerate one typo. Nothing in it is an
/// operator, so no input can make the search fail.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    pub section_slug: Option<String>,
    pub author_slug: Option<String>,
    /// First published at or after this instant.
    pub from: Option<Timestamp>,
    /// First published strictly before this instant (half-open, so day ranges compose).
    pub until: Option<Timestamp>,
    pub order: SearchOrder,
    pub offset: usize,
    /// Capped at [`MAX_LIMIT`]; zero asks only for the total.
    pub limit: usize,
}

impl SearchQuery {
    /// A first page of 20 results by relevance, without filters.
    pub fn new(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            limit: 20,
            ..Self::default()
        }
    }
}

/// One page of results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    /// How many articles match in all, for pagination.
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// One result. The HTML fields are escaped text with matches wrapped in `<mark>`, safe to render
/// unescaped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    pub article_id: i64,
    /// Relevance score; 0 when ordered by date.
    pub score: f32,
    pub headline_html: String,
    pub snippet_html: String,
}

/// What can go wrong in the index; never caused by what a reader types.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Engine(#[from] tantivy::TantivyError),
    #[error("search index folder {path}: {source}")]
    Folder {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    /// The folder holds an index written by another version of Dateline: delete the folder and
    /// reindex (`dateline reindex`).
    #[error("search index folder {path} holds an index of another schema; delete it and reindex")]
    SchemaChanged { path: std::path::PathBuf },
    /// Another process holds the folder's writer lock: one index folder per node.
    #[error("search index folder {path} is in use by another process")]
    Locked { path: std::path::PathBuf },
    #[error("search index writer was poisoned by a panic in another thread")]
    Poisoned,
    #[error("search index database: {0}")]
    Database(#[from] sqlx::Error),
    /// [`PostgresIndex`] drives its queries from the caller's thread and needs the runtime's own
    /// threads to run the connections meanwhile.
    #[error("the PostgreSQL search index needs a multi-threaded tokio runtime")]
    CurrentThreadRuntime,
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The search engine behind `/search` and the "Related" list.
///
/// Writes ([`upsert`](Self::upsert), [`remove`](Self::remove), [`clear`](Self::clear)) become
/// visible to searches at the next [`commit`](Self::commit), all together: a reindex is `clear`,
/// `upsert` every published article, `commit`, and readers never see a half-empty index.
pub trait SearchIndex: Send + Sync {
    /// Adds the article, replacing any earlier version of it.
    fn upsert(&self, doc: &SearchDocument) -> Result<()>;
    /// Adds an article the index does not hold, as a rebuild after [`SearchIndex::clear`] does.
    /// Tantivy queues a delete with every replacing add and keeps it until the next merge: a
    /// rebuild of 10,000 articles through `upsert` held 10 MB of them and applied each to every
    /// segment.
    fn add_new(&self, doc: &SearchDocument) -> Result<()> {
        self.upsert(doc)
    }
    /// Drops the article (unpublished or deleted); unknown ids are fine.
    fn remove(&self, article_id: i64) -> Result<()>;
    /// Makes the writes so far durable and visible.
    fn commit(&self) -> Result<()>;
    fn search(&self, query: &SearchQuery) -> Result<SearchResults>;
    /// Articles most like `article_id` by content (more-like-this), best first, never the
    /// article itself nor any of `exclude` (e.g. the "More in <Section>" list).
    fn related(&self, article_id: i64, limit: usize, exclude: &[i64]) -> Result<Vec<i64>>;
    /// Drops every article (visible at the next commit).
    fn clear(&self) -> Result<()>;
    /// Articles visible to searches (as of the last commit).
    fn doc_count(&self) -> Result<u64>;
}
