//! What an operator's Prometheus scrapes (issue 14), in the Prometheus text format 0.0.4.
//!
//! Requests are counted by *route class* (`route_class`), never by raw path, so a client making
//! up addresses cannot grow the label set: it has at most `ROUTE_CLASSES × 5` members. Counters
//! that the request path moves are atomics; everything read from elsewhere (the job queue, the
//! narration worker's totals, the pools, the process's memory) is sampled when scraped, one
//! scrape at a time, with one query per source.
//!
//! `/metrics` is served on its own listen address (`metrics_listen`), on the main listener
//! behind a bearer token (`metrics_token`), or both; with neither, nowhere.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use sha2::{Digest, Sha256};

use crate::{AppState, WebError};

/// What a request's answer came from, for the access log and the cache counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheResult {
    /// Answered from the page cache (or the theme's precompressed assets).
    Hit,
    /// A cacheable page that had to be rendered.
    Miss,
    /// Not a cacheable page (a form, the newsroom, search, media…).
    None,
}

impl CacheResult {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hit => "hit",
            Self::Miss => "miss",
            Self::None => "none",
        }
    }
}

/// The family of routes a path belongs to: the `route` label of every request metric and the
/// access log's `route` field. A fixed, small set whatever the path.
pub fn route_class(path: &str) -> &'static str {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or("");
    let rest = segments.filter(|segment| !segment.is_empty()).count();
    match first {
        "" => "front",
        "healthz" | "readyz" | "metrics" => "operations",
        "static" | "robots.txt" | "favicon.ico" => "static",
        "media" => "media",
        "audio" => "audio",
        "feeds" => "feeds",
        "sitemap.xml" | "sitemaps" => "sitemaps",
        "search" => "search",
        "api" if path.starts_with("/api/v1/admin") => "admin_api",
        "api" => "api",
        "newsroom" => "newsroom",
        "tips" => "tips",
        "discussion" => "discussion",
        "readers" => "readers",
        "live" => "live",
        "authors" | "tags" | "corrections" => "lists",
        _ if rest == 0 => "section",
        _ if rest == 1 => "article",
        _ => "other",
    }
}

/// Latency buckets, in seconds: a cache hit answers in tens of microseconds, a render in
/// milliseconds, an upload in seconds.
const LATENCY_BUCKETS: [f64; 14] = [
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: &'static str,
    status: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

/// The node's metrics. One per site; cheap to update from any thread.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Family<RouteLabels, Histogram, fn() -> Histogram>,
    cache_hits: Counter,
    cache_misses: Counter,
    search_seconds: Histogram,
    access_log_dropped: Counter,
    sample: Arc<Sampled>,
    /// One scrape at a time: a second scraper waits instead of doubling the queries.
    scraping: tokio::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dateline");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by route class and status class",
            requests.clone(),
        );
        let durations: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its answer's head, by route class",
            durations.clone(),
        );
        let cache_hits = Counter::default();
        registry.register(
            "page_cache_hits",
            "Requests answered from the page cache",
            cache_hits.clone(),
        );
        let cache_misses = Counter::default();
        registry.register(
            "page_cache_misses",
            "Cacheable pages that had to be rendered",
            cache_misses.clone(),
        );
        let search_seconds = latency_histogram();
        registry.register(
            "search_duration_seconds",
            "Time a reader's search took in the index",
            search_seconds.clone(),
        );
        let access_log_dropped = Counter::default();
        registry.register(
            "access_log_dropped_lines",
            "Access log lines lost because the log could not keep up",
            access_log_dropped.clone(),
        );
        let sample = Arc::new(Sampled::default());
        registry.register_collector(Box::new(Arc::clone(&sample)));
        Self {
            registry,
            requests,
            durations,
            cache_hits,
            cache_misses,
            search_seconds,
            access_log_dropped,
            sample,
            scraping: tokio::sync::Mutex::new(()),
        }
    }

    /// Counts one answered request.
    pub fn observe(
        &self,
        route: &'static str,
        status: StatusCode,
        cache: CacheResult,
        took: Duration,
    ) {
        let status = match status.as_u16() {
            100..=199 => "1xx",
            200..=299 => "2xx",
            300..=399 => "3xx",
            400..=499 => "4xx",
            _ => "5xx",
        };
        self.requests
            .get_or_create(&RequestLabels { route, status })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route })
            .observe(took.as_secs_f64());
        match cache {
            CacheResult::Hit => {
                self.cache_hits.inc();
            }
            CacheResult::Miss => {
                self.cache_misses.inc();
            }
            CacheResult::None => {}
        }
    }

    pub fn observe_search(&self, took: Duration) {
        self.search_seconds.observe(took.as_secs_f64());
    }

    pub(crate) fn access_log_dropped(&self) {
        self.access_log_dropped.inc();
    }

    /// Samples what lives elsewhere and writes every metric out.
    pub async fn render(&self, state: &AppState) -> Result<String, WebError> {
        let _one_at_a_time = self.scraping.lock().await;
        let store = state.store();
        let queues = store.jobs().queue_depths(jiff::Timestamp::now()).await?;
        let narration = store.narration().totals().await?;
        let cache = state.cache();
        let memory = process_memory();
        let sample = Sample {
            queues,
            narration,
            pools: store.pool_use(),
            memory,
            cache_bytes: cache.bytes() as u64,
            cache_max_bytes: cache.max_bytes() as u64,
            cache_pages: cache.len() as u64,
            cache_evictions: cache.evictions(),
            uncached_in_flight: state.uncached_in_flight() as u64,
            draining: state.is_draining(),
        };
        *self.sample.latest.lock().unwrap_or_else(|e| e.into_inner()) = sample;
        let mut text = String::with_capacity(16 * 1024);
        prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry)
            .map_err(|_| WebError::Internal("could not write the metrics".to_owned()))?;
        Ok(text)
    }
}

/// What a scrape read from the database, the cache and `/proc`.
#[derive(Debug, Default)]
struct Sample {
    queues: Vec<dateline_db::QueueDepth>,
    narration: dateline_db::NarrationTotals,
    pools: Vec<dateline_db::PoolUse>,
    memory: ProcessMemory,
    cache_bytes: u64,
    cache_max_bytes: u64,
    cache_pages: u64,
    cache_evictions: u64,
    uncached_in_flight: u64,
    draining: bool,
}

#[derive(Debug, Default)]
struct Sampled {
    latest: Mutex<Sample>,
}

/// Writes one metric without labels.
fn single(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    metric: &impl EncodeMetric,
) -> Result<(), std::fmt::Error> {
    metric.encode(encoder.encode_descriptor(name, help, None, metric.metric_type())?)
}

/// Writes one metric with one value per label set.
fn labelled<L: EncodeLabelSet, M: EncodeMetric>(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    kind: prometheus_client::metrics::MetricType,
    values: impl IntoIterator<Item = (L, M)>,
) -> Result<(), std::fmt::Error> {
    let mut family = encoder.encode_descriptor(name, help, None, kind)?;
    for (labels, value) in values {
        value.encode(family.encode_family(&labels)?)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    pool: &'static str,
}

impl Collector for Sampled {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use prometheus_client::metrics::MetricType::Gauge as G;
        let sample = self.latest.lock().unwrap_or_else(|e| e.into_inner());
        let by_kind = |pick: fn(&dateline_db::QueueDepth) -> i64| {
            sample.queues.iter().map(move |queue| {
                let labels = KindLabels {
                    kind: queue.kind.clone(),
                };
                (labels, ConstGauge::new(pick(queue)))
            })
        };
        let e = &mut encoder;
        labelled(
            e,
            "jobs_waiting",
            "Jobs due and waiting for a worker, by kind",
            G,
            by_kind(|q| q.waiting),
        )?;
        labelled(
            e,
            "jobs_scheduled",
            "Jobs queued for a later time (scheduled publications, retries), by kind",
            G,
            by_kind(|q| q.scheduled),
        )?;
        labelled(
            e,
            "jobs_running",
            "Jobs claimed by a worker, by kind",
            G,
            by_kind(|q| q.running),
        )?;
        labelled(
            e,
            "jobs_oldest_waiting_age_seconds",
            "How long the longest-waiting due job has waited, by kind",
            G,
            sample.queues.iter().map(|queue| {
                let labels = KindLabels {
                    kind: queue.kind.clone(),
                };
                (labels, ConstGauge::new(queue.oldest_waiting_seconds))
            }),
        )?;
        let narration = sample.narration;
        single(
            e,
            "narrations",
            "Narrations synthesised by the workers",
            &ConstCounter::new(narration.narrations.max(0) as u64),
        )?;
        single(
            e,
            "narration_audio_seconds",
            "Seconds of audio the narration workers produced",
            &ConstCounter::new(narration.audio_ms.max(0) as f64 / 1000.0),
        )?;
        single(
            e,
            "narration_synthesis_seconds",
            "Seconds the narration workers spent synthesising and encoding",
            &ConstCounter::new(narration.synthesis_ms.max(0) as f64 / 1000.0),
        )?;
        if let (Some(audio), Some(synthesis)) =
            (narration.last_audio_ms, narration.last_synthesis_ms)
            && audio > 0
        {
            single(
                e,
                "narration_last_real_time_factor",
                "Synthesis time over audio length of the latest narration (under 1: faster than \
                 real time)",
                &ConstGauge::new(synthesis as f64 / audio as f64),
            )?;
        }
        let pools = |pick: fn(&dateline_db::PoolUse) -> u32| {
            sample.pools.iter().map(move |pool| {
                (
                    PoolLabels { pool: pool.pool },
                    ConstGauge::new(i64::from(pick(pool))),
                )
            })
        };
        labelled(
            e,
            "db_pool_in_use_connections",
            "Database connections running a query",
            G,
            pools(|p| p.open.saturating_sub(p.idle)),
        )?;
        labelled(
            e,
            "db_pool_idle_connections",
            "Database connections open and idle",
            G,
            pools(|p| p.idle),
        )?;
        labelled(
            e,
            "db_pool_max_connections",
            "Database connections the pool may open",
            G,
            pools(|p| p.max),
        )?;
        single(
            e,
            "page_cache_bytes",
            "Bytes the page cache holds (every encoding)",
            &ConstGauge::new(sample.cache_bytes),
        )?;
        single(
            e,
            "page_cache_max_bytes",
            "The page cache's byte budget (page_cache_mb)",
            &ConstGauge::new(sample.cache_max_bytes),
        )?;
        single(
            e,
            "page_cache_pages",
            "Pages in the page cache",
            &ConstGauge::new(sample.cache_pages),
        )?;
        single(
            e,
            "page_cache_evictions",
            "Pages the byte budget pushed out of the page cache",
            &ConstCounter::new(sample.cache_evictions),
        )?;
        single(
            e,
            "uncached_requests_in_flight",
            "Uncached public requests being worked on (of max_uncached_requests)",
            &ConstGauge::new(sample.uncached_in_flight),
        )?;
        single(
            e,
            "draining",
            "1 while the node shuts down (readyz answers 503)",
            &ConstGauge::new(i64::from(sample.draining)),
        )?;
        if let Some(rss) = sample.memory.resident_bytes {
            single(
                e,
                "process_resident_memory_bytes",
                "This process's resident memory (VmRSS)",
                &ConstGauge::new(rss),
            )?;
        }
        if let Some(peak) = sample.memory.peak_resident_bytes {
            single(
                e,
                "process_peak_resident_memory_bytes",
                "This process's highest resident memory (VmHWM)",
                &ConstGauge::new(peak),
            )?;
        }
        Ok(())
    }
}

/// This process's memory as the kernel counts it (proc(5), `/proc/self/status`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct ProcessMemory {
    resident_bytes: Option<u64>,
    peak_resident_bytes: Option<u64>,
}

fn process_memory() -> ProcessMemory {
    std::fs::read_to_string("/proc/self/status")
        .map(|status| parse_status(&status))
        .unwrap_or_default()
}

fn parse_status(status: &str) -> ProcessMemory {
    let kilobytes = |field: &str| {
        status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|rest| rest.trim().strip_suffix("kB"))
            .and_then(|number| number.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    ProcessMemory {
        resident_bytes: kilobytes("VmRSS:"),
        peak_resident_bytes: kilobytes("VmHWM:"),
    }
}

/// `GET /metrics`. On the main listener it answers only with `Authorization: Bearer <token>`
/// (RFC 6750); without a configured token it is not there at all. The metrics listener
/// (`metrics_router`) needs no token: the operator keeps that address private.
pub async fn scrape(State(state): State<AppState>, request: Request) -> Result<Response, WebError> {
    let Some(expected) = state.config().metrics_token.as_deref() else {
        return Err(WebError::NotFound);
    };
    let offered = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or("");
    // Digests of equal length compared in full: how long the comparison takes says nothing
    // about how much of the token was right.
    let matches = Sha256::digest(offered.as_bytes())
        .iter()
        .zip(Sha256::digest(expected.as_bytes()).iter())
        .fold(0u8, |differ, (a, b)| differ | (a ^ b))
        == 0;
    if !matches {
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
            "a bearer token is needed\n",
        )
            .into_response());
    }
    exposition(&state).await
}

/// `GET /metrics` on the metrics listener.
pub async fn scrape_private(State(state): State<AppState>) -> Result<Response, WebError> {
    exposition(&state).await
}

async fn exposition(state: &AppState) -> Result<Response, WebError> {
    let text = state.metrics().render(state).await?;
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static(
                    prometheus_client::encoding::prometheus_text::CONTENT_TYPE,
                ),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response())
}

/// A JSON answer saying whether the node is ready and why (`/readyz`).
pub(crate) fn json_reason(status: StatusCode, ready: bool, reason: &str) -> Response {
    let body = serde_json::json!({ "ready": ready, "reason": reason }).to_string() + "\n";
    (
        status,
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/json")),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_path_falls_in_a_small_fixed_set_of_route_classes() {
        let cases = [
            ("/", "front"),
            ("/politics", "section"),
            ("/politics/", "section"),
            ("/politics/budget-vote", "article"),
            ("/politics/budget-vote/extra", "other"),
            ("/static/site.abc.css", "static"),
            ("/api/v1/articles", "api"),
            ("/api/v1/admin/articles", "admin_api"),
            ("/tips", "tips"),
            ("/tips/follow-up", "tips"),
            ("/search", "search"),
            ("/readyz", "operations"),
            ("/authors/ana", "lists"),
        ];
        for (path, class) in cases {
            assert_eq!(route_class(path), class, "{path}");
        }
    }

    #[test]
    fn reads_resident_memory_from_proc_status() {
        let status = "Name:\tdateline\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\nThreads:\t4\n";
        assert_eq!(
            parse_status(status),
            ProcessMemory {
                resident_bytes: Some(10 * 1024 * 1024),
                peak_resident_bytes: Some(20 * 1024 * 1024),
            }
        );
        assert!(process_memory().resident_bytes.is_some_and(|rss| rss > 0));
    }
}
