//! Keeps a search index in step with the store (`SiteSearch`), and the `search.sync` job that
//! does it for an index every node shares.
//!
//! The index follows the `changes` log like the page cache does: every node applies the changes
//! after its cursor to its own index (the tantivy default lives in the node's data folder). A
//! change to an article re-reads that article; a change to a section or an author re-reads the
//! articles filed under it, since their names are indexed. The cursor is saved only after the
//! index commits, so a crash re-applies changes (upserts are idempotent) and never skips one.
//!
//! When the cursor is missing, older than the oldest change still in the log (pruned while this
//! node was down), or the index is empty while articles are published, the node rebuilds the
//! whole index instead of catching up. Whoever shows results built from the index (the page
//! cache's "Related" lists) hears of a rebuild through [`SiteSearch::when_rebuilt`].

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use dateline_core::markdown;
use dateline_db::{DbError, SearchSource, Store, StoryFilter};

use crate::{SearchDocument, SearchError, SearchIndex, SearchQuery, SearchResults};

/// What keeping the index in step can fail on; never caused by what a reader types.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    #[error(transparent)]
    Store(#[from] DbError),
    #[error(transparent)]
    Index(#[from] SearchError),
    #[error("search work stopped: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("search cursor {path}: {source}")]
    Cursor {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("search cursor lock poisoned by a panic in another thread")]
    Poisoned,
}

type Result<T, E = FollowError> = std::result::Result<T, E>;

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
    /// Told after each rebuild: results built from the old index may differ now.
    rebuilt: OnceLock<Box<dyn Fn() + Send + Sync>>,
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
            rebuilt: OnceLock::new(),
        }
    }

    /// Calls `hook` after every rebuild, whoever started it (the follower, the `search.sync`
    /// job, `dateline reindex`). One hook per index; a second is ignored.
    pub fn when_rebuilt(&self, hook: impl Fn() + Send + Sync + 'static) {
        let _ = self.rebuilt.set(Box::new(hook));
    }

    pub fn index(&self) -> Arc<dyn SearchIndex> {
        self.index.clone()
    }

    /// Whether every node shares this index (then one job keeps it up to date, not each node).
    pub fn is_shared(&self) -> bool {
        matches!(self.cursor, SearchCursor::Shared)
    }

    /// Whether the `changes` log holds anything this index has not applied yet.
    pub async fn is_behind(&self, store: &Store) -> Result<bool> {
        let latest = store.changes().latest_id().await?;
        Ok(self
            .load_cursor(store)
            .await?
            .is_none_or(|cursor| cursor < latest))
    }

    /// Runs a reader's search off the async threads.
    pub async fn search(&self, query: SearchQuery) -> Result<SearchResults> {
        let index = self.index.clone();
        Ok(tokio::task::spawn_blocking(move || index.search(&query)).await??)
    }

    /// Articles like `article_id`, never it nor `exclude`.
    pub async fn related(
        &self,
        article_id: i64,
        limit: usize,
        exclude: Vec<i64>,
    ) -> Result<Vec<i64>> {
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
    ) -> Result<usize> {
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
        if let Some(hook) = self.rebuilt.get() {
            hook();
        }
        Ok(done)
    }

    /// Applies the changes made since the last sync, or rebuilds when catching up is not
    /// possible (see the module documentation).
    pub async fn sync(&self, store: &Store) -> Result<SyncReport> {
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

    async fn load_cursor(&self, store: &Store) -> Result<Option<i64>> {
        match &self.cursor {
            SearchCursor::Shared => Ok(store.search().shared_cursor().await?),
            SearchCursor::Memory => Ok(*self
                .in_memory_cursor
                .lock()
                .map_err(|_| FollowError::Poisoned)?),
            SearchCursor::File(path) => match std::fs::read_to_string(path) {
                Ok(text) => Ok(text.trim().parse().ok()),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(source) => Err(FollowError::Cursor {
                    path: path.clone(),
                    source,
                }),
            },
        }
    }

    async fn save_cursor(&self, store: &Store, cursor: i64, reset: bool) -> Result<()> {
        match &self.cursor {
            SearchCursor::Shared => Ok(store.search().advance_shared_cursor(cursor, reset).await?),
            SearchCursor::Memory => {
                *self
                    .in_memory_cursor
                    .lock()
                    .map_err(|_| FollowError::Poisoned)? = Some(cursor);
                Ok(())
            }
            SearchCursor::File(path) => {
                // Written beside and renamed over, so a crash leaves the old cursor or the new
                // one, never a torn file.
                let temporary = path.with_extension("tmp");
                std::fs::write(&temporary, format!("{cursor}\n"))
                    .and_then(|()| std::fs::rename(&temporary, path))
                    .map_err(|source| FollowError::Cursor {
                        path: path.clone(),
                        source,
                    })
            }
        }
    }
}

/// Keeps `search` current, every `interval`, forever. A per-node index is synced here; an index
/// every node shares is synced by whichever node's worker takes the `search.sync` job this loop
/// queues when the log has moved on (one waiting job at a time, see [`queue_sync`]).
pub async fn follow(search: Arc<SiteSearch>, store: Store, interval: Duration) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let outcome = if search.is_shared() {
            queue_sync(&search, &store, jiff::Timestamp::now()).await
        } else {
            search.sync(&store).await.map(|report| {
                if report.rebuilt {
                    tracing::info!(articles = report.indexed, "search index rebuilt");
                }
            })
        };
        if let Err(error) = outcome {
            tracing::warn!(%error, "could not update the search index");
        }
    }
}

/// Queues the `search.sync` job when the shared index is behind the `changes` log; the job's
/// dedup key keeps one waiting at a time however many nodes ask.
pub async fn queue_sync(search: &SiteSearch, store: &Store, now: jiff::Timestamp) -> Result<()> {
    if search.is_behind(store).await? {
        let kind = dateline_core::JobKind::SyncSearch;
        let mut job = dateline_db::NewJob::at(kind.name(), serde_json::Value::Null, now);
        job.dedup_key = Some(kind.dedup_key(None));
        store.jobs().enqueue(&job, now).await?;
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> crate::Result<T> + Send + 'static,
) -> Result<T> {
    Ok(tokio::task::spawn_blocking(work).await??)
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
