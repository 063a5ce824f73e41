//! Dateline's HTTP side: the public pages readers see, served from a page cache.
//!
//! Handlers stay short — parse, load one view model from the store, render — and everything about
//! caching, compression, validators and security headers happens in one place (`serve`).

mod api;
mod cache;
mod error;
mod feeds;
pub mod newsroom;
mod public;
mod search;
mod serve;
mod sitemaps;
mod theme;
mod tips;
mod views;
mod xml;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use dateline_db::Store;
use dateline_storage::MediaStore;

pub use cache::{CachedPage, PageCache};
pub use error::WebError;
pub use newsroom::{ApiCaller, Csrf, CurrentStaff, NewsroomError};
pub use public::{LiveFeeds, LogMail, ReaderMail, ReaderMessage, SmtpMail};
pub use search::{SearchCursor, SiteSearch, SyncReport};
pub use theme::{Theme, ThemeError};

/// What the web layer needs to know from the operator's configuration.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Absolute base URL for canonical links and metadata, without a trailing slash.
    pub base_url: String,
    /// A folder whose files override the embedded theme's.
    pub theme_folder: Option<PathBuf>,
    /// Memory the page cache may use.
    pub page_cache_bytes: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".to_owned(),
            theme_folder: None,
            page_cache_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Shared by every request; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    /// The use cases every write goes through.
    usecases: dateline_usecases::Context,
    store: Store,
    media: MediaStore,
    theme: Theme,
    cache: PageCache,
    config: WebConfig,
    /// Absent only where a test builds a site without search.
    search: std::sync::OnceLock<Arc<SiteSearch>>,
    newsroom: newsroom::NewsroomState,
    /// Who has which article open in the editor on this node.
    presence: newsroom::presence::Presence,
    tips: tips::TipsState,
    readers: public::readers::ReaderState,
    /// Live coverage's event streams: one poller per followed article.
    live_feeds: public::LiveFeeds,
    /// The last change of the `changes` log this node has applied to its cache.
    applied_change: tokio::sync::Mutex<i64>,
}

impl AppState {
    pub async fn new(store: Store, media: MediaStore, config: WebConfig) -> Result<Self, WebError> {
        let theme = Theme::load(config.theme_folder.as_deref())?;
        let latest = store.latest_change_id().await?;
        let live_feeds = public::LiveFeeds::for_node(store.clone());
        Ok(Self {
            inner: Arc::new(Inner {
                usecases: dateline_usecases::Context::new(store.clone(), media.clone()),
                cache: PageCache::new(config.page_cache_bytes),
                store,
                media,
                theme,
                config,
                search: std::sync::OnceLock::new(),
                newsroom: newsroom::NewsroomState::new(),
                presence: newsroom::presence::Presence::new(),
                tips: tips::TipsState::new(),
                readers: public::readers::ReaderState::new(),
                live_feeds,
                applied_change: tokio::sync::Mutex::new(latest),
            }),
        })
    }

    /// Live coverage's event streams on this node.
    pub fn live_feeds(&self) -> &public::LiveFeeds {
        &self.inner.live_feeds
    }

    /// What the use cases need; every handler that changes something passes it on.
    pub fn ctx(&self) -> &dateline_usecases::Context {
        &self.inner.usecases
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
    pub fn media(&self) -> &MediaStore {
        &self.inner.media
    }
    pub fn theme(&self) -> &Theme {
        &self.inner.theme
    }
    pub fn cache(&self) -> &PageCache {
        &self.inner.cache
    }
    pub fn config(&self) -> &WebConfig {
        &self.inner.config
    }
    pub fn search(&self) -> Option<&Arc<SiteSearch>> {
        self.inner.search.get()
    }

    /// The same site with `search` behind `/search`, the search API and "Related" lists. A
    /// site gets its search once; a second call changes nothing.
    pub fn with_search(self, search: Arc<SiteSearch>) -> Self {
        if self.inner.search.set(search).is_err() {
            tracing::warn!("the site already has a search index; keeping the first");
        }
        self
    }

    pub(crate) fn newsroom(&self) -> &newsroom::NewsroomState {
        &self.inner.newsroom
    }

    pub(crate) fn presence(&self) -> &newsroom::presence::Presence {
        &self.inner.presence
    }

    pub(crate) fn tips(&self) -> &tips::TipsState {
        &self.inner.tips
    }

    pub(crate) fn readers(&self) -> &public::readers::ReaderState {
        &self.inner.readers
    }

    /// Sends reader emails (verification and sign-in links) through `mail` instead of the log.
    pub fn with_reader_mail(self, mail: Arc<dyn ReaderMail>) -> Self {
        self.inner.readers.set_mail(mail);
        self
    }

    /// Applies new entries of the `changes` log to this node's page cache; returns how many.
    pub async fn apply_changes(&self) -> Result<usize, WebError> {
        let mut applied = self.inner.applied_change.lock().await;
        let mut count = 0;
        let mut articles = Vec::new();
        loop {
            let changes = self.store().changes_since(*applied, 500).await?;
            let Some(last) = changes.last() else {
                break;
            };
            *applied = last.id;
            for change in &changes {
                self.cache().invalidate(&change.cache_tags);
                if change.kind == "article" {
                    articles.extend(change.entity_id);
                }
            }
            count += changes.len();
        }
        drop(applied);
        // Editors with a changed article open hear of it (one read per watched article).
        newsroom::presence::announce_saves(self, articles).await?;
        Ok(count)
    }

    /// Follows the `changes` log forever, so a change made on any node reaches this node's cache
    /// within `interval`.
    pub async fn follow_changes(self, interval: Duration) {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.apply_changes().await {
                tracing::warn!(%error, "could not follow the changes log");
            }
        }
    }
}

impl AppState {
    /// Brings this node's search index up to date with the `changes` log. After a rebuild the
    /// cached pages with a "Related" list are dropped, since any of those lists may change.
    pub async fn sync_search(&self) -> Result<SyncReport, WebError> {
        let Some(search) = self.search() else {
            return Ok(SyncReport::default());
        };
        let report = search.sync(self.store()).await?;
        if report.rebuilt {
            self.cache()
                .invalidate(&[dateline_core::cache_tags::RELATED_LISTS]);
        }
        Ok(report)
    }

    /// Keeps the search index current, every `interval`, forever. A per-node index is synced
    /// here; a shared one is synced by whichever node's worker takes the `search.sync` job this
    /// loop enqueues when the log has moved on (one waiting job at a time).
    pub async fn follow_search(self, interval: Duration) {
        let Some(search) = self.search().cloned() else {
            return;
        };
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let outcome = if search.is_shared() {
                self.enqueue_search_sync(&search).await
            } else {
                self.sync_search().await.map(|report| {
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

    async fn enqueue_search_sync(&self, search: &SiteSearch) -> Result<(), WebError> {
        if search.is_behind(self.store()).await? {
            let kind = dateline_core::JobKind::SyncSearch;
            let mut job = dateline_db::NewJob::now(kind.name(), serde_json::Value::Null);
            job.dedup_key = Some(kind.dedup_key(None));
            self.store().enqueue(&job).await?;
        }
        Ok(())
    }
}

/// The site as the server runs it: cached pages are answered before routing, everything else
/// goes to the router (`router`).
pub fn service(state: AppState) -> CacheFirst {
    CacheFirst {
        inner: router(state.clone()),
        state,
    }
}

/// Answers page-cache hits without touching the router: a hit is a hash lookup and a few header
/// inserts, which is what lets one node keep up with nginx serving static files.
#[derive(Clone)]
pub struct CacheFirst {
    state: AppState,
    inner: Router,
}

impl tower::Service<axum::extract::Request> for CacheFirst {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Either<
        std::future::Ready<Result<Self::Response, Self::Error>>,
        <Router as tower::Service<axum::extract::Request>>::Future,
    >;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower::Service::<axum::extract::Request>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, request: axum::extract::Request) -> Self::Future {
        // `/?p=123` is an imported site's old address, not the front page: the router decides.
        if public::names_an_old_item(request.uri()) {
            return futures_util::future::Either::Right(self.inner.call(request));
        }
        match serve::from_cache(&self.state, &request) {
            Some(response) => futures_util::future::Either::Left(std::future::ready(Ok(response))),
            None => futures_util::future::Either::Right(self.inner.call(request)),
        }
    }
}

/// The whole site as one router.
pub fn router(state: AppState) -> Router {
    public::routes()
        .merge(feeds::routes())
        .merge(sitemaps::routes())
        .merge(api::routes())
        .merge(newsroom::routes(state.clone()))
        .merge(public::reader_routes(state.clone()))
        .fallback(public::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            serve::cached_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            public::old_addresses,
        ))
        .with_state(state)
}
