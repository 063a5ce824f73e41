//! Keeps a search index in step with the store, and the reader-facing searches built on it.
//!
//! The index follows the `changes` log like the page cache does: every node applies the changes
//! after its cursor to its own index (the tantivy default lives in the node's data folder). A
//! change to an article re-reads that article; a change to a section or an author re-reads the
//! articles filed under it, since their names are indexed. The cursor is saved only after the
//! index commits, so a crash re-applies changes (upserts are idempotent) and never skips one.
//!
//! When the cursor is missing, older than the oldest change still in the log (pruned while this
//! node was down), or the index is empty while articles are published, the node rebuilds the
//! whole index instead of catching up.

use std::path::PathBuf;
use std::sync::Arc;

use dateline_core::markdown;
use dateline_db::{SearchSource, Store, StoryFilter};
use dateline_search::{SearchDocument, SearchIndex, SearchQuery, SearchResults};

use crate::WebError;

/// Articles read and indexed per batch during a rebuild.
const REBUILD_BATCH: i64 = 500;
/// Changes read per round while catching up.
const CHANGES_BATCH: i64 = 1_000;

/// Where a node remembers how far along the `changes` log its index is.
#[derive(Debug, Clone)]
pub enum SearchCursor {
    /// A small file beside a per-node index.
    File(PathBuf),
    /// Nothing is kept: every start rebuilds (tests, throwaway indexes).
    Memory,
    /// In the database, for the one index every node shares (PostgreSQL full-text search).
    Shared,
}

/// The search index of this node and its cursor.
pub struct SiteSearch {
    index: Arc<dyn SearchIndex>,
    cursor: SearchCursor,
    in_memory_cursor: std::sync::Mutex<Option<i64>>,
    /// One sync at a time: a rebuild and a catch-up must not interleave their commits.
    sync: tokio::sync::Mutex<()>,
}

/// What a sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SyncReport {
    pub rebuilt: bool,
    pub indexed: usize,
    pub removed: usize,
}

impl SiteSearch {
    pub fn new(index: Arc<dyn SearchIndex>, cursor: SearchCursor) -> Self {
        Self {
            index,
            cursor,
            in_memory_cursor: std::sync::Mutex::new(None),
            sync: tokio::sync::Mutex::new(()),
        }
    }

    pub fn index(&self) -> Arc<dyn SearchIndex> {
        self.index.clone()
    }

    /// Whether every node shares this index (then one job keeps it up to date, not each node).
    pub fn is_shared(&self) -> bool {
        matches!(self.cursor, SearchCursor::Shared)
    }

    /// Whether the `changes` log holds anything this index has not applied yet.
    pub async fn is_behind(&self, store: &Store) -> Result<bool, WebError> {
        let latest = store.changes().latest_id().await?;
        Ok(self
            .load_cursor(store)
            .await?
            .is_none_or(|cursor| cursor < latest))
    }

    /// Runs a reader's search off the async threads.
    pub async fn search(&self, query: SearchQuery) -> Result<SearchResults, WebError> {
        let index = self.index.clone();
        Ok(tokio::task::spawn_blocking(move || index.search(&query)).await??)
    }

    /// Articles like `article_id`, never it nor `exclude`.
    pub async fn related(
        &self,
        article_id: i64,
        limit: usize,
        exclude: Vec<i64>,
    ) -> Result<Vec<i64>, WebError> {
        let index = self.index.clone();
        Ok(
            tokio::task::spawn_blocking(move || index.related(article_id, limit, &exclude))
                .await??,
        )
    }

    /// Rebuilds the index from every published article; readers keep the old index until the
    /// final commit. `progress(done, total)` is called after each batch.
    pub async fn rebuild(
        &self,
        store: &Store,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<usize, WebError> {
        let _one_at_a_time = self.sync.lock().await;
        // Taken before reading, so a change made during the rebuild is applied again afterwards.
        let cursor = store.changes().latest_id().await?;
        let total = usize::try_from(store.articles().stats().await?.published).unwrap_or(0);
        let index = self.index.clone();
        blocking(move || index.clear()).await?;
        let mut done = 0;
        let mut after_id = 0;
        progress(0, total);
        loop {
            let batch = store
                .search()
                .sources_after(after_id, REBUILD_BATCH)
                .await?;
            let Some(last) = batch.last() else {
                break;
            };
            after_id = last.article_id;
            done += batch.len();
            let index = self.index.clone();
            blocking(move || {
                for source in &batch {
                    index.add_new(&document(source))?;
                }
                Ok(())
            })
            .await?;
            progress(done, total.max(done));
        }
        let index = self.index.clone();
        blocking(move || index.commit()).await?;
        self.save_cursor(store, cursor, true).await?;
        Ok(done)
    }

    /// Applies the changes made since the last sync, or rebuilds when catching up is not
    /// possible (see the module documentation).
    pub async fn sync(&self, store: &Store) -> Result<SyncReport, WebError> {
        let cursor = self.load_cursor(store).await?;
        let needs_rebuild = match cursor {
            None => true,
            Some(cursor) => {
                let earliest = store.search().earliest_change_id().await?;
                let index = self.index.clone();
                let empty = blocking(move || index.doc_count()).await? == 0;
                (earliest > 0 && cursor + 1 < earliest)
                    || (empty && store.articles().stats().await?.published > 0)
            }
        };
        if needs_rebuild {
            let indexed = self.rebuild(store, |_, _| {}).await?;
            return Ok(SyncReport {
                rebuilt: true,
                indexed,
                removed: 0,
            });
        }
        let _one_at_a_time = self.sync.lock().await;
        let mut cursor = self.load_cursor(store).await?.unwrap_or(0);
        let mut report = SyncReport::default();
        loop {
            let changes = store.changes().since(cursor, CHANGES_BATCH).await?;
            let Some(last) = changes.last() else {
                break;
            };
            let mut ids = std::collections::BTreeSet::new();
            for change in &changes {
                let Some(entity) = change.entity_id else {
                    continue;
                };
                match change.kind.as_str() {
                    "article" => {
                        ids.insert(entity);
                    }
                    "section" => {
                        ids.extend(
                            store
                                .search()
                                .article_ids_for(StoryFilter::Section(entity))
                                .await?,
                        );
                    }
                    "author" => {
                        ids.extend(
                            store
                                .search()
                                .article_ids_for(StoryFilter::Author(entity))
                                .await?,
                        );
                    }
                    _ => {}
                }
            }
            let ids: Vec<i64> = ids.into_iter().collect();
            for chunk in ids.chunks(REBUILD_BATCH as usize) {
                let sources = store.search().sources_for(chunk).await?;
                let published: std::collections::HashSet<i64> =
                    sources.iter().map(|s| s.article_id).collect();
                let gone: Vec<i64> = chunk
                    .iter()
                    .copied()
                    .filter(|id| !published.contains(id))
                    .collect();
                report.indexed += sources.len();
                report.removed += gone.len();
                let index = self.index.clone();
                blocking(move || {
                    for source in &sources {
                        index.upsert(&document(source))?;
                    }
                    for id in gone {
                        index.remove(id)?;
                    }
                    Ok(())
                })
                .await?;
            }
            let index = self.index.clone();
            blocking(move || index.commit()).await?;
            cursor = last.id;
            self.save_cursor(store, cursor, false).await?;
        }
        Ok(report)
    }

    async fn load_cursor(&self, store: &Store) -> Result<Option<i64>, WebError> {
        match &self.cursor {
            SearchCursor::Shared => Ok(store.search().shared_cursor().await?),
            SearchCursor::Memory => Ok(*self
                .in_memory_cursor
                .lock()
                .map_err(|_| WebError::Internal("search cursor lock poisoned".to_owned()))?),
            SearchCursor::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => Ok(text.trim().parse().ok()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(error) => Err(WebError::Internal(format!(
                    "reading {}: {error}",
                    path.display()
                ))),
            },
        }
    }

    async fn save_cursor(&self, store: &Store, cursor: i64, reset: bool) -> Result<(), WebError> {
        match &self.cursor {
            SearchCursor::Shared => Ok(store.search().advance_shared_cursor(cursor, reset).await?),
            SearchCursor::Memory => {
                *self
                    .in_memory_cursor
                    .lock()
                    .map_err(|_| WebError::Internal("search cursor lock poisoned".to_owned()))? =
                    Some(cursor);
                Ok(())
            }
            SearchCursor::File(path) => {
                // Written beside and renamed over, so a crash leaves the old cursor or the new
                // one, never a torn file.
                let temporary = path.with_extension("tmp");
                std::fs::write(&temporary, format!("{cursor}\n"))
                    .and_then(|()| std::fs::rename(&temporary, path))
                    .map_err(|error| {
                        WebError::Internal(format!("writing {}: {error}", path.display()))
                    })
            }
        }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> dateline_search::Result<T> + Send + 'static,
) -> Result<T, WebError> {
    Ok(tokio::task::spawn_blocking(work).await??)
}

/// Bounds far outside any publication date, inside what every index can represent (tantivy's
/// dates end in 2262): a filter day beyond them means the same as the bound itself.
fn clamp_to_news_era(at: jiff::Timestamp) -> jiff::Timestamp {
    const YEAR_1800: i64 = -5_364_662_400;
    const YEAR_2200: i64 = 7_258_118_400;
    let seconds = at.as_second().clamp(YEAR_1800, YEAR_2200);
    jiff::Timestamp::from_second(seconds).unwrap_or(at)
}

/// The index's view of one published article.
pub fn document(source: &SearchSource) -> SearchDocument {
    SearchDocument {
        article_id: source.article_id,
        headline: source.headline.clone(),
        standfirst: source.standfirst.clone(),
        body_text: markdown::plain_text(&source.body_markdown),
        authors: source
            .authors
            .iter()
            .map(|(name, _)| name.clone())
            .collect(),
        author_slugs: source
            .authors
            .iter()
            .map(|(_, slug)| slug.clone())
            .collect(),
        section: source.section_name.clone(),
        section_slug: source.section_slug.clone(),
        tags: source.tags.clone(),
        first_published_at: source.first_published_at,
    }
}

/// A search as asked for in a URL (`/search?q=…` and `/api/v1/search?q=…`), checked field by
/// field so a form can re-show what was typed with a message next to what was wrong.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SearchParams {
    pub q: String,
    pub section: String,
    pub author: String,
    /// `YYYY-MM-DD`, first day included, in the newsroom's time zone.
    pub from: String,
    /// `YYYY-MM-DD`, last day included.
    pub until: String,
    /// `relevance` (default) or `newest`.
    pub order: String,
}

/// A field that could not be used, and why (shown next to the field).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Longest query text accepted; the engine reads at most [`dateline_search::MAX_QUERY_CHARS`].
pub const MAX_QUERY_PARAM_CHARS: usize = 1_000;

impl SearchParams {
    /// Reads the known parameters; the rest are returned by name for callers that refuse them.
    pub fn from_query(raw: Option<&str>) -> (Self, Vec<(String, String)>) {
        let mut params = Self::default();
        let mut others = Vec::new();
        for (name, value) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let value = value.into_owned();
            match name.as_ref() {
                "q" => params.q = value,
                "section" => params.section = value,
                "author" => params.author = value,
                "from" => params.from = value,
                "until" => params.until = value,
                "order" => params.order = value,
                other => others.push((other.to_owned(), value)),
            }
        }
        (params, others)
    }

    /// The engine's query, or every field that is wrong. Dates are days in `zone`. An end date
    /// before the start date is an error for a person filling a form; for a program it is simply
    /// a range with nothing in it.
    pub fn to_query(
        &self,
        zone: &jiff::tz::TimeZone,
        inverted_range_is_error: bool,
    ) -> Result<SearchQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.q.chars().count() > MAX_QUERY_PARAM_CHARS {
            errors.push(FieldError {
                field: "q",
                message: format!("Search for at most {MAX_QUERY_PARAM_CHARS} characters."),
            });
        }
        let mut slug_field = |field: &'static str, value: &str, what: &str| {
            let value = value.trim();
            if value.is_empty() {
                None
            } else if dateline_core::slug::is_valid_slug(value) {
                Some(value.to_owned())
            } else {
                errors.push(FieldError {
                    field,
                    message: format!("There is no {what} called {value:?}."),
                });
                None
            }
        };
        let section_slug = slug_field("section", &self.section, "section");
        let author_slug = slug_field("author", &self.author, "author");
        let mut day_field = |field: &'static str, value: &str, next_day: bool| {
            let value = value.trim();
            if value.is_empty() {
                return None;
            }
            let day = value
                .parse::<jiff::civil::Date>()
                .ok()
                .filter(|_| value.len() == 10);
            match day {
                // The last day jiff knows has no tomorrow: up to it means no upper bound.
                Some(day) if next_day && day.tomorrow().is_err() => None,
                Some(day) => {
                    let day = if next_day {
                        day.tomorrow().unwrap_or(day)
                    } else {
                        day
                    };
                    day.to_zoned_datetime(zone.clone())
                        .ok()
                        .map(|start| clamp_to_news_era(start.timestamp()))
                }
                None => {
                    errors.push(FieldError {
                        field,
                        message: "Give a date as YYYY-MM-DD, for example 2026-03-31.".to_owned(),
                    });
                    None
                }
            }
        };
        let from = day_field("from", &self.from, false);
        let until = day_field("until", &self.until, true);
        if inverted_range_is_error
            && let (Some(from), Some(until)) = (from, until)
            && until <= from
        {
            errors.push(FieldError {
                field: "until",
                message: "The end date is before the start date.".to_owned(),
            });
        }
        let order = match self.order.trim() {
            "" | "relevance" => dateline_search::SearchOrder::Relevance,
            "newest" => dateline_search::SearchOrder::Newest,
            _ => {
                errors.push(FieldError {
                    field: "order",
                    message: "Order by relevance or newest.".to_owned(),
                });
                dateline_search::SearchOrder::Relevance
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(SearchQuery {
            text: self.q.clone(),
            section_slug,
            author_slug,
            from,
            until,
            order,
            offset: 0,
            limit: 20,
        })
    }

    /// The query string for these parameters on another page (empty fields left out).
    pub fn query_string(&self, page: Option<usize>) -> String {
        let mut out = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("q", &self.q),
            ("section", &self.section),
            ("author", &self.author),
            ("from", &self.from),
            ("until", &self.until),
            ("order", &self.order),
        ] {
            if !value.is_empty() {
                out.append_pair(name, value);
            }
        }
        if let Some(page) = page.filter(|page| *page > 1) {
            out.append_pair("page", &page.to_string());
        }
        out.finish()
    }
}
