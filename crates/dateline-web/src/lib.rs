//! Dateline's HTTP side: the public pages readers see, served from a page cache.
//!
//! Handlers stay short — parse, load one view model from the store, render — and everything about
//! caching, compression, validators and security headers happens in one place (`serve`).

mod access_log;
mod api;
mod cache;
mod client;
mod error;
mod feeds;
mod limits;
mod live;
pub mod metrics;
pub mod newsroom;
mod public;
mod readiness;
mod search;
mod serve;
mod server;
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
use dateline_search::follower::SiteSearch;
use dateline_storage::MediaStore;

pub use access_log::{AccessLog, AccessLogTarget};
pub use cache::{CachedPage, Effort, PageCache};
pub use client::{Client, ProxyHeaders, TrustedProxies};
pub use error::WebError;
pub use limits::BodyLimits;
pub use metrics::Metrics;
pub use newsroom::presence::HEARTBEAT as PRESENCE_HEARTBEAT;
pub use newsroom::{ApiCaller, Csrf, CurrentStaff};
pub use public::{LogMail, ReaderMail, ReaderMessage, SmtpMail};
pub use server::{ListenerLimits, Site, bind, serve};
pub use sitemaps::URLS_PER_SITEMAP;
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
    /// The reverse proxies whose forwarding headers are believed (see `client`).
    pub trusted_proxies: TrustedProxies,
    /// Uncached public requests (misses, searches, posts) worked on at once; past it they are
    /// answered 503 at once (see `limits`).
    pub max_uncached_requests: usize,
    /// Live event streams (`/discussion/{id}/events`) open at once on this node.
    pub max_event_streams: usize,
    /// Event streams (live coverage and the discussion's count together) one client address
    /// may hold open on this node (see `live::ClientStreams`).
    pub max_event_streams_per_client: usize,
    /// With a token, `/metrics` on the main listener answers requests bearing it; without,
    /// metrics are only on the metrics listener (`metrics_router`), if there is one.
    pub metrics_token: Option<String>,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            base_url: "http://127.0.0.1:8080".to_owned(),
            theme_folder: None,
            page_cache_bytes: 32 * 1024 * 1024,
            trusted_proxies: TrustedProxies::default(),
            max_uncached_requests: 64,
            max_event_streams: 4096,
            // A reader's page holds two; an office or a carrier's NAT puts many readers behind
            // one address.
            max_event_streams_per_client: 64,
            metrics_token: None,
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
    cache: Arc<PageCache>,
    /// Recompresses cached pages at the best levels in the background.
    polisher: cache::Polisher,
    /// Compressions of misses running on the blocking pool, at most one per core.
    compressing: tokio::sync::Semaphore,
    /// Slots for uncached work (load shedding).
    capacity: limits::Capacity,
    /// Live comment counts, one query per article and interval for all its readers.
    live_comments: live::LiveHub<Option<Arc<[i64]>>>,
    /// The masthead and navigation every page shows, for pages rendered without a query.
    frame: public::FrameSnapshot,
    config: WebConfig,
    /// Absent only where a test builds a site without search.
    search: std::sync::OnceLock<Arc<SiteSearch>>,
    newsroom: newsroom::NewsroomState,
    /// Who has which article open in the editor, on this node and (as last seen) elsewhere.
    presence: newsroom::presence::Presence,
    tips: tips::TipsState,
    readers: public::readers::ReaderState,
    /// Live coverage's event streams: one poller per followed article.
    live_feeds: live::LiveHub<public::LiveSnapshot>,
    /// Each client's share of the event streams above.
    client_streams: live::ClientStreams,
    /// The last change of the `changes` log this node has applied to its cache.
    applied_change: tokio::sync::Mutex<i64>,
    metrics: Metrics,
    access_log: std::sync::OnceLock<AccessLog>,
    readiness: readiness::Readiness,
    /// Archive narrations readers asked for, per node (`public::audio`).
    first_listens: governor::DefaultDirectRateLimiter,
}

impl AppState {
    pub async fn new(store: Store, media: MediaStore, config: WebConfig) -> Result<Self, WebError> {
        let theme = Theme::load(config.theme_folder.as_deref())?;
        let latest = store.changes().latest_id().await?;
        let live_feeds = public::live_coverage_news(store.clone(), config.max_event_streams);
        let client_streams = live::ClientStreams::new(config.max_event_streams_per_client);
        let cache = Arc::new(PageCache::new(config.page_cache_bytes));
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self {
            inner: Arc::new(Inner {
                polisher: cache::Polisher::start(Arc::clone(&cache)),
                cache,
                compressing: tokio::sync::Semaphore::new(cores),
                capacity: limits::Capacity::new(config.max_uncached_requests),
                live_comments: public::live_comment_counts(store.clone(), config.max_event_streams),
                frame: public::FrameSnapshot::new(),
                usecases: dateline_usecases::Context::new(store.clone(), media.clone()),
                store,
                media,
                theme,
                config,
                search: std::sync::OnceLock::new(),
                newsroom: newsroom::NewsroomState::new(),
                presence: newsroom::presence::Presence::new()?,
                tips: tips::TipsState::new(),
                readers: public::readers::ReaderState::new(),
                live_feeds,
                client_streams,
                applied_change: tokio::sync::Mutex::new(latest),
                metrics: Metrics::new(),
                access_log: std::sync::OnceLock::new(),
                readiness: readiness::Readiness::default(),
                first_listens: public::first_listen_limiter(),
            }),
        })
    }

    /// Live coverage's event streams on this node.
    pub(crate) fn live_feeds(&self) -> &live::LiveHub<public::LiveSnapshot> {
        &self.inner.live_feeds
    }

    /// Articles whose live coverage this node's readers follow now (one poller each).
    pub fn live_coverage_followed(&self) -> usize {
        self.inner.live_feeds.topics()
    }

    /// An event stream for the client of a request with these `extensions`, or `None` when it
    /// already holds as many as a client may.
    pub(crate) fn client_stream(
        &self,
        extensions: &http::Extensions,
    ) -> Option<live::ClientStream> {
        self.inner
            .client_streams
            .take(newsroom::client_address(extensions))
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

    /// Runs CPU-heavy `work` (compressing a page) on the blocking pool, at most one per core at
    /// a time, so that the threads answering cache hits never wait behind it.
    pub(crate) async fn compress<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let _permit = self.inner.compressing.acquire().await.ok()?;
        tokio::task::spawn_blocking(work).await.ok()
    }

    /// Asks for the page stored under `key` to be recompressed at the best levels.
    pub(crate) fn polish(&self, key: String, page: Arc<CachedPage>) {
        self.inner.polisher.polish(key, page);
    }

    pub(crate) fn capacity(&self) -> &limits::Capacity {
        &self.inner.capacity
    }

    pub(crate) fn live_comments(&self) -> &live::LiveHub<Option<Arc<[i64]>>> {
        &self.inner.live_comments
    }

    pub(crate) fn frame_snapshot(&self) -> &public::FrameSnapshot {
        &self.inner.frame
    }

    /// Uncached public requests being worked on right now (of `max_uncached_requests`).
    pub fn uncached_in_flight(&self) -> usize {
        self.inner.capacity.public_in_use()
    }

    /// Takes one of the slots uncached public work needs and holds it until the guard is dropped
    /// (`None`: all taken), as a render that takes long would. The tests fill the node with it.
    #[doc(hidden)]
    pub fn hold_uncached_slot(&self) -> Option<impl Drop + use<>> {
        self.inner
            .capacity
            .admit(&http::Method::GET, "/")
            .ok()
            .flatten()
    }

    /// Articles (and page versions) whose live comment counts are being followed right now.
    pub fn live_topics(&self) -> usize {
        self.inner.live_comments.topics()
    }

    /// The same site with `search` behind `/search`, the search API and "Related" lists. A
    /// site gets its search once; a second call changes nothing.
    pub fn with_search(self, search: Arc<SiteSearch>) -> Self {
        // After a rebuild any "Related" list may change, whoever rebuilt (the follower, the
        // `search.sync` job, `dateline reindex`). Weak: the index must not keep the site alive.
        let site = Arc::downgrade(&self.inner);
        search.when_rebuilt(move || {
            if let Some(inner) = site.upgrade() {
                inner
                    .cache
                    .invalidate(&[dateline_core::cache_tags::RELATED_LISTS]);
            }
        });
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

    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Writes a line per answered request to `log` (see `access_log`). Set once.
    pub fn with_access_log(self, log: AccessLog) -> Self {
        if self.inner.access_log.set(log).is_err() {
            tracing::warn!("the site already has an access log; keeping the first");
        }
        self
    }

    pub(crate) fn access_log(&self) -> Option<&AccessLog> {
        self.inner.access_log.get()
    }

    /// The node is shutting down: `/readyz` answers 503 from now on, so load balancers stop
    /// sending it new requests while those in flight finish.
    pub fn start_draining(&self) {
        self.inner.readiness.start_draining();
    }

    pub fn is_draining(&self) -> bool {
        self.inner.readiness.is_draining()
    }

    pub(crate) fn first_listens(&self) -> &governor::DefaultDirectRateLimiter {
        &self.inner.first_listens
    }

    pub(crate) fn readiness(&self) -> &readiness::Readiness {
        &self.inner.readiness
    }

    /// A reader's search, timed for `/metrics`.
    pub(crate) async fn timed_search(
        &self,
        search: &SiteSearch,
        query: dateline_search::SearchQuery,
    ) -> Result<dateline_search::SearchResults, WebError> {
        let started = std::time::Instant::now();
        let found = search.search(query).await;
        self.metrics().observe_search(started.elapsed());
        Ok(found?)
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
            let changes = self.store().changes().since(*applied, 500).await?;
            let Some(last) = changes.last() else {
                break;
            };
            *applied = last.id;
            for change in &changes {
                self.cache().invalidate(&change.cache_tags);
                self.frame_snapshot().changed(&change.cache_tags);
                self.live_comments().changed(&change.cache_tags);
                self.live_feeds().changed(&change.cache_tags);
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
    /// One heartbeat of the editors' presence at `now`: this node's open editors are marked
    /// alive in the database, and its tabs are told who has the same articles open on other
    /// nodes (see `newsroom::presence`).
    pub async fn sync_presence(&self, now: jiff::Timestamp) -> Result<(), WebError> {
        newsroom::presence::sync(self, now).await
    }

    /// Keeps the editors' presence shared with the other nodes, every
    /// [`PRESENCE_HEARTBEAT`], forever.
    pub async fn follow_presence(self) {
        let mut ticker = tokio::time::interval(PRESENCE_HEARTBEAT);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(error) = self.sync_presence(jiff::Timestamp::now()).await {
                tracing::warn!(%error, "could not share who is editing with the other nodes");
            }
        }
    }
}

/// The site as the server runs it: cached pages are answered before routing, everything else
/// goes to the router (`router`) if the node has room for it.
pub fn service(state: AppState) -> CacheFirst {
    CacheFirst {
        inner: router(state.clone()),
        state,
        work: None,
    }
}

/// [`service`], with the router's work (everything but cache hits and refusals) run on `work`,
/// a runtime of its own. Under a flood the listener's threads then only accept, answer hits and
/// refuse: a refusal waits for the system's scheduler, not behind the renders and queries ahead
/// of it in one run queue (`bench/abuse.sh` measured waits of seconds that way).
pub fn service_on(state: AppState, work: tokio::runtime::Handle) -> CacheFirst {
    CacheFirst {
        work: Some(work),
        ..service(state)
    }
}

/// Answers page-cache hits without touching the router: a hit is a hash lookup and a few header
/// inserts, which is what lets one node keep up with nginx serving static files. Before that the
/// client is resolved (address, TLS; see `client`), and after a miss the router's work is
/// admitted or shed (`limits`).
#[derive(Clone)]
pub struct CacheFirst {
    state: AppState,
    inner: Router,
    work: Option<tokio::runtime::Handle>,
}

type Answer = Result<axum::response::Response, std::convert::Infallible>;
type Working = std::pin::Pin<Box<dyn std::future::Future<Output = Answer> + Send>>;

impl CacheFirst {
    /// The router's work for one request, on the work runtime when there is one.
    fn at_work(&self, work: impl std::future::Future<Output = Answer> + Send + 'static) -> Working {
        on_runtime(self.work.as_ref(), work)
    }

    /// A request whose admission is decided where the connection is served, before any of its
    /// work is queued for the work runtime: `admission` reads what it must and checks the
    /// limits it can from memory, and gives the request with its slot, or the refusal, which
    /// is answered at once. The admitted request's work then runs on the work runtime.
    fn admitted_on_listener<Admission, Admitting>(
        &self,
        request: axum::extract::Request,
        client: Client,
        observed: Observed,
        admission: Admission,
    ) -> Working
    where
        Admission: FnOnce(AppState, axum::extract::Request) -> Admitting + Send + 'static,
        Admitting: std::future::Future<Output = Result<Admitted, axum::response::Response>>
            + Send
            + 'static,
    {
        let state = self.state.clone();
        let mut inner = self.inner.clone();
        let work = self.work.clone();
        Box::pin(async move {
            let (request, slot) = match admission(state.clone(), request).await {
                Ok(admitted) => admitted,
                Err(mut refused) => {
                    serve::security_headers(refused.headers_mut());
                    serve::transport_headers(&mut refused, client);
                    observed.finish(&state, &refused, metrics::CacheResult::None);
                    return Ok(refused);
                }
            };
            let answer = tower::Service::call(&mut inner, request);
            let working = async move {
                let response = answer.await;
                drop(slot);
                response
            };
            let mut response = on_runtime(work.as_ref(), working).await?;
            serve::transport_headers(&mut response, client);
            observed.finish_routed(&state, &response);
            Ok(response)
        })
    }
}

/// A request admitted on the listener, with the slot its work holds (if its lane has slots).
type Admitted = (
    axum::extract::Request,
    Option<tokio::sync::OwnedSemaphorePermit>,
);

/// `work` on `runtime` when there is one, else where it is awaited.
fn on_runtime(
    runtime: Option<&tokio::runtime::Handle>,
    work: impl std::future::Future<Output = Answer> + Send + 'static,
) -> Working {
    let Some(runtime) = runtime else {
        return Box::pin(work);
    };
    let running = runtime.spawn(work);
    Box::pin(async move {
        running.await.unwrap_or_else(|failed| {
            tracing::error!(error = %failed, "a request's work ended without an answer");
            Ok(axum::response::IntoResponse::into_response(
                WebError::Internal(failed.to_string()),
            ))
        })
    })
}

impl tower::Service<axum::extract::Request> for CacheFirst {
    type Response = axum::response::Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::Either<std::future::Ready<Answer>, Working>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        tower::Service::<axum::extract::Request>::poll_ready(&mut self.inner, cx)
    }

    fn call(&mut self, mut request: axum::extract::Request) -> Self::Future {
        use futures_util::future::Either;
        let config = self.state.config();
        let peer = request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let client = config.trusted_proxies.resolve(
            peer,
            request.headers(),
            config.base_url.starts_with("https://"),
        );
        let observed = Observed::start(&self.state, &request, client);
        // `/?p=123` is an imported site's old address, not the front page: the router decides.
        if !public::names_an_old_item(request.uri())
            && let Some(mut response) = serve::from_cache(&self.state, &request)
        {
            serve::transport_headers(&mut response, client);
            observed.finish(&self.state, &response, metrics::CacheResult::Hit);
            return Either::Left(std::future::ready(Ok(response)));
        }
        request.extensions_mut().insert(client);
        let state = self.state.clone();
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let reading = method == http::Method::GET || method == http::Method::HEAD;
        if reading && state.cache().was_dropped(&path) {
            // A page readers had until a change dropped it: its render comes first, once.
            let mut inner = self.inner.clone();
            return Either::Right(self.at_work(async move {
                let mut response = match rerender(&state, &mut inner, request).await {
                    Ok(response) => response,
                    Err(limits::Full) => shed(),
                };
                serve::transport_headers(&mut response, client);
                observed.finish_routed(&state, &response);
                Ok(response)
            }));
        }
        if limits::is_reader_form(&method, &path) {
            // A reader's form arrives on the listener: past capacity it is refused here, not
            // after waiting for a turn on the work runtime that capacity is measured by. Its
            // body first, then the limits decided in memory (a reader's comment allowance),
            // then a slot: a refusal never takes one.
            return Either::Right(self.admitted_on_listener(
                request,
                client,
                observed,
                |state, request| async move {
                    let request = limits::read_form(request).await?;
                    let request = public::allowance_on_listener(&state, request)
                        .map_err(public::too_fast_on_listener)?;
                    let (request, slot) =
                        limits::admit_form(&state, request).map_err(|limits::Full| shed())?;
                    Ok((request, Some(slot)))
                },
            ));
        }
        if public::is_tip_submission(&method, &path) {
            // The tips limits this node knows from memory refuse a tip here, before it takes
            // one of the tips' slots or waits for a turn on the work runtime.
            return Either::Right(self.admitted_on_listener(
                request,
                client,
                observed,
                |state, request| async move {
                    let request = public::refuse_tip_on_listener(&state, request).await?;
                    let method = request.method().clone();
                    let path = request.uri().path().to_owned();
                    let slot = state
                        .capacity()
                        .admit(&method, &path)
                        .map_err(|limits::Full| shed())?;
                    Ok((request, slot))
                },
            ));
        }
        let slot = match state.capacity().admit(&method, &path) {
            Ok(slot) => slot,
            Err(limits::Full) => {
                let mut busy = shed();
                serve::transport_headers(&mut busy, client);
                observed.finish(&state, &busy, metrics::CacheResult::None);
                return Either::Left(std::future::ready(Ok(busy)));
            }
        };
        let answer = self.inner.call(request);
        Either::Right(self.at_work(async move {
            let mut response = answer.await?;
            drop(slot);
            serve::transport_headers(&mut response, client);
            observed.finish_routed(&state, &response);
            Ok(response)
        }))
    }
}

/// One request on its way through the site, for `/metrics` and the access log.
struct Observed {
    started: std::time::Instant,
    route: &'static str,
    /// What the access log needs, copied only when there is one.
    logged: Option<Logged>,
}

struct Logged {
    method: http::Method,
    /// The path alone: a query never reaches the log.
    path: String,
    user_agent: Option<http::HeaderValue>,
    client: std::net::IpAddr,
}

impl Observed {
    fn start(state: &AppState, request: &axum::extract::Request, client: Client) -> Self {
        let path = request.uri().path();
        Self {
            started: std::time::Instant::now(),
            route: metrics::route_class(path),
            logged: state.access_log().map(|_| Logged {
                method: request.method().clone(),
                path: path.to_owned(),
                user_agent: request.headers().get(http::header::USER_AGENT).cloned(),
                client: client.address,
            }),
        }
    }

    /// An answer from the router: the page cache middleware marked what it did.
    fn finish_routed(self, state: &AppState, response: &axum::response::Response) {
        let cache = response
            .extensions()
            .get::<metrics::CacheResult>()
            .copied()
            .unwrap_or(metrics::CacheResult::None);
        self.finish(state, response, cache);
    }

    fn finish(
        self,
        state: &AppState,
        response: &axum::response::Response,
        cache: metrics::CacheResult,
    ) {
        let took = self.started.elapsed();
        state
            .metrics()
            .observe(self.route, response.status(), cache, took);
        let (Some(log), Some(logged)) = (state.access_log(), self.logged) else {
            return;
        };
        use axum::body::HttpBody;
        let entry = access_log::Entry {
            method: logged.method.as_str(),
            route: self.route,
            path: &logged.path,
            status: response.status().as_u16(),
            bytes: response.body().size_hint().exact(),
            duration: took,
            cache: cache.as_str(),
            client: Some(logged.client),
            user_agent: logged
                .user_agent
                .as_ref()
                .and_then(|agent| agent.to_str().ok()),
        };
        if !log.record(&entry) {
            state.metrics().access_log_dropped();
        }
    }
}

/// Answers a reader of a page a change dropped from the cache. The first reader renders it on a
/// re-render slot; those who come meanwhile wait for that render and are answered from the
/// cache. Once rendered (stored or not: an unpublished article is not stored) the page is no
/// longer "dropped", so a page that cannot be cached goes the ordinary way after one render
/// instead of making its readers queue.
async fn rerender(
    state: &AppState,
    inner: &mut Router,
    request: axum::extract::Request,
) -> Result<axum::response::Response, limits::Full> {
    let path = request.uri().path().to_owned();
    let capacity = state.capacity();
    let _turn = capacity.turn_to_render(&path).await?;
    if let Some(rendered_meanwhile) = serve::from_cache(state, &request) {
        return Ok(rendered_meanwhile);
    }
    let _slot = if state.cache().was_dropped(&path) {
        Some(capacity.rerender_slot()?)
    } else {
        capacity.admit(request.method(), &path)?
    };
    let Ok(response) = tower::Service::call(inner, request).await;
    state.cache().forget_dropped(&path);
    Ok(response)
}

/// The 503 of a node that is full, with the headers every answer carries.
fn shed() -> axum::response::Response {
    let mut busy = limits::busy();
    serve::security_headers(busy.headers_mut());
    busy
}

/// What the metrics listener (`metrics_listen`) serves: `/metrics` without a token, and the
/// health and readiness checks, on an address the operator keeps private.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(metrics::scrape_private))
        .route("/readyz", axum::routing::get(readiness::readyz))
        .with_state(state)
}

/// The whole site as one router. Every group of routes has body limits of its own (`limits`);
/// the tips routes set theirs, since they take large uploads.
pub fn router(state: AppState) -> Router {
    let public = BodyLimits::READER_FORMS.apply(limits::admitted_after_body(
        state.clone(),
        public::routes()
            .merge(feeds::routes())
            .merge(sitemaps::routes())
            .merge(api::routes())
            .merge(public::reader_routes(state.clone())),
    ));
    let newsroom = BodyLimits::newsroom().apply(limits::newsroom_admitted(
        state.clone(),
        newsroom::routes(state.clone()),
    ));
    public
        .merge(newsroom)
        .merge(public::tip_routes())
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

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::{ConnectInfo, Request};
    use tower::ServiceExt;

    /// The client every limit keys on is resolved before routing, from the socket and (behind a
    /// trusted proxy) the forwarding header, and `newsroom::client_address` reads it.
    #[tokio::test]
    async fn every_limit_sees_the_client_a_trusted_proxy_named() {
        let store = dateline_db::testing::store(dateline_db::BackendKind::Sqlite).await;
        let folder = tempfile::tempdir().expect("media folder");
        let media = MediaStore::local(folder.path()).expect("media");
        let config = WebConfig {
            trusted_proxies: TrustedProxies::parse("10.0.0.0/8", ProxyHeaders::XForwarded)
                .expect("proxies"),
            ..WebConfig::default()
        };
        let state = AppState::new(store.store.clone(), media, config)
            .await
            .expect("state");
        let site = CacheFirst {
            state,
            inner: Router::new().route(
                "/who",
                axum::routing::get(|request: Request| async move {
                    newsroom::client_address(request.extensions()).to_string()
                }),
            ),
            // The router's work on a runtime handle of its own, as `dateline serve` runs it.
            work: Some(tokio::runtime::Handle::current()),
        };
        let ask = |peer: &str, forwarded: &'static str| {
            let mut request = Request::get("/who")
                .header("x-forwarded-for", forwarded)
                .body(axum::body::Body::empty())
                .expect("request");
            request.extensions_mut().insert(ConnectInfo(
                peer.parse::<std::net::SocketAddr>().expect("peer"),
            ));
            let site = site.clone();
            async move {
                let response = site.oneshot(request).await.expect("answer");
                let body = axum::body::to_bytes(response.into_body(), 1024)
                    .await
                    .expect("body");
                String::from_utf8_lossy(&body).into_owned()
            }
        };
        assert_eq!(ask("10.0.0.5:4000", "203.0.113.7").await, "203.0.113.7");
        assert_eq!(
            ask("10.0.0.5:4000", "198.51.100.1, 203.0.113.7, 10.0.0.9").await,
            "203.0.113.7"
        );
        assert_eq!(ask("192.0.2.1:4000", "203.0.113.7").await, "192.0.2.1");
    }
}
