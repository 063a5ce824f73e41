//! What an operator watches (issue 14), through the front door (`dateline_web::service`) on
//! both backends: `/metrics` read back with a Prometheus text-format parser, the access log's
//! lines, and `/readyz` while the node drains.

// These are plain `async fn`s the backend macro wraps, which `allow-unwrap-in-tests` does not see.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Body;
use dateline_core::JobKind;
use dateline_db::NewJob;
use dateline_db::testing::TestStore;
use dateline_storage::MediaStore;
use dateline_web::{AccessLog, AppState, CacheFirst, WebConfig};
use http::{Request, StatusCode, header};
use prometheus_parse::{Scrape, Value};
use tower::ServiceExt;

use super::{Answer, newsroom};

dateline_db::both_backends!(
    metrics_parse_and_their_counters_move_with_requests,
    metrics_need_the_token_on_the_main_listener_and_are_absent_without_one,
    the_access_log_keeps_no_tip_senders_address_or_agent_and_no_search_terms,
    readyz_answers_503_once_the_node_drains_while_healthz_stays_alive,
);

const TOKEN: &str = "a-long-enough-metrics-token-for-tests";

struct Node {
    state: AppState,
    service: CacheFirst,
    _media: tempfile::TempDir,
}

async fn node(store: &TestStore, metrics_token: Option<&str>) -> Node {
    let folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(folder.path()).unwrap();
    let state = AppState::new(
        store.store.clone(),
        media,
        WebConfig {
            base_url: "https://news.example".to_owned(),
            metrics_token: metrics_token.map(str::to_owned),
            ..WebConfig::default()
        },
    )
    .await
    .unwrap();
    Node {
        service: dateline_web::service(state.clone()),
        state,
        _media: folder,
    }
}

/// Through the front door, from a reader's address.
async fn send(service: &CacheFirst, mut request: Request<Body>) -> Answer {
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [192, 0, 2, 44],
            51000,
        ))));
    super::edge::send(service, request).await
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn scrape(node: &Node) -> Scrape {
    let request = Request::get("/metrics")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}"))
        .body(Body::empty())
        .unwrap();
    let answer = send(&node.service, request).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        answer.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    Scrape::parse(answer.body.lines().map(|line| Ok(line.to_owned()))).unwrap()
}

/// The value of `metric` with these labels (0 when the series is not there yet).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == metric
                && labels
                    .iter()
                    .all(|(name, value)| sample.labels.get(name) == Some(*value))
        })
        .map_or(0.0, |sample| match &sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
            Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            Value::Summary(_) => f64::NAN,
        })
}

async fn metrics_parse_and_their_counters_move_with_requests(store: TestStore) {
    newsroom(&store).await;
    let node = node(&store, Some(TOKEN)).await;
    let before = scrape(&node).await;
    let article = [("route", "article"), ("status", "2xx")];
    let requests = "dateline_http_requests_total";

    // A miss, then a hit, then a 404 of the same route class.
    assert_eq!(
        send(&node.service, get("/politics/budget-vote"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        send(&node.service, get("/politics/budget-vote"))
            .await
            .status,
        StatusCode::OK
    );
    send(&node.service, get("/politics/no-such-story")).await;
    // Jobs: one due an hour ago and waiting, one for tomorrow.
    let mut waiting = NewJob::at(
        JobKind::Maintenance.name(),
        serde_json::Value::Null,
        jiff::Timestamp::now(),
    );
    waiting.run_at = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1);
    store
        .jobs()
        .enqueue(&waiting, jiff::Timestamp::now())
        .await
        .unwrap();
    let mut later = NewJob::at(
        JobKind::Maintenance.name(),
        serde_json::Value::Null,
        jiff::Timestamp::now(),
    );
    later.run_at = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24);
    store
        .jobs()
        .enqueue(&later, jiff::Timestamp::now())
        .await
        .unwrap();
    // What a narration worker (another process) records.
    store.narration().add_time(120_000, 30_000).await.unwrap();

    let after = scrape(&node).await;
    assert_eq!(
        value(&after, requests, &article) - value(&before, requests, &article),
        2.0
    );
    assert_eq!(
        value(&after, requests, &[("route", "article"), ("status", "4xx")])
            - value(
                &before,
                requests,
                &[("route", "article"), ("status", "4xx")]
            ),
        1.0
    );
    assert_eq!(
        value(&after, "dateline_page_cache_hits_total", &[])
            - value(&before, "dateline_page_cache_hits_total", &[]),
        1.0
    );
    assert!(
        value(&after, "dateline_page_cache_misses_total", &[])
            > value(&before, "dateline_page_cache_misses_total", &[])
    );
    assert!(value(&after, "dateline_page_cache_bytes", &[]) > 0.0);
    assert!(value(&after, "dateline_page_cache_pages", &[]) >= 1.0);
    assert!(
        value(
            &after,
            "dateline_http_request_duration_seconds",
            &[("route", "article")]
        ) >= 3.0,
        "every answer is in the latency histogram"
    );
    // The scrape itself was counted (by the first scrape, which the second sees).
    assert!(
        value(
            &after,
            requests,
            &[("route", "operations"), ("status", "2xx")]
        ) >= 1.0
    );

    let maintenance = [("kind", JobKind::Maintenance.name())];
    assert_eq!(value(&after, "dateline_jobs_waiting", &maintenance), 1.0);
    assert_eq!(value(&after, "dateline_jobs_scheduled", &maintenance), 1.0);
    let age = value(
        &after,
        "dateline_jobs_oldest_waiting_age_seconds",
        &maintenance,
    );
    assert!((3590.0..3700.0).contains(&age), "{age}");

    assert_eq!(
        value(&after, "dateline_narration_audio_seconds_total", &[])
            - value(&before, "dateline_narration_audio_seconds_total", &[]),
        120.0
    );
    assert_eq!(
        value(&after, "dateline_narration_last_real_time_factor", &[]),
        0.25
    );
    let pools: f64 = after
        .samples
        .iter()
        .filter(|s| s.metric == "dateline_db_pool_max_connections")
        .map(|s| {
            value(
                &after,
                &s.metric,
                &[("pool", s.labels.get("pool").unwrap())],
            )
        })
        .sum();
    assert!(pools >= 1.0, "the pools are reported");
    assert!(value(&after, "dateline_process_resident_memory_bytes", &[]) > 1_000_000.0);
    assert_eq!(value(&after, "dateline_draining", &[]), 0.0);
    // A made-up path is one more request of a known class, never a new label value.
    for n in 0..20 {
        send(&node.service, get(&format!("/made/up/path/{n}"))).await;
    }
    let routes: std::collections::HashSet<String> = scrape(&node)
        .await
        .samples
        .iter()
        .filter(|s| s.metric == requests)
        .filter_map(|s| s.labels.get("route").map(str::to_owned))
        .collect();
    let expected: std::collections::HashSet<String> =
        ["article", "operations", "other"].map(str::to_owned).into();
    assert_eq!(routes, expected);
}

async fn metrics_need_the_token_on_the_main_listener_and_are_absent_without_one(store: TestStore) {
    let guarded = node(&store, Some(TOKEN)).await;
    let anonymous = send(&guarded.service, get("/metrics")).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers[header::WWW_AUTHENTICATE], "Bearer");
    assert!(!anonymous.body.contains("dateline_"));
    let wrong = Request::get("/metrics")
        .header(header::AUTHORIZATION, format!("Bearer {TOKEN}x"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&guarded.service, wrong).await.status,
        StatusCode::UNAUTHORIZED
    );
    let open = node(&store, None).await;
    let answer = send(&open.service, get("/metrics")).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(!answer.body.contains("dateline_"));
    // The metrics listener's router needs no token: its address is the operator's secret.
    let private = dateline_web::metrics_router(open.state.clone());
    let response = private.oneshot(get("/metrics")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

/// A writer the test reads back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    async fn lines(&self, at_least: usize) -> Vec<serde_json::Value> {
        for _ in 0..200 {
            let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect();
            if lines.len() >= at_least {
                return lines;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the access log did not get {at_least} lines");
    }
}

async fn the_access_log_keeps_no_tip_senders_address_or_agent_and_no_search_terms(
    store: TestStore,
) {
    newsroom(&store).await;
    let captured = Captured::default();
    let node = node(&store, None).await;
    let state = node
        .state
        .clone()
        .with_access_log(AccessLog::to_writer(Box::new(captured.clone())).unwrap());
    let service = dateline_web::service(state);
    let agent = "Mozilla/5.0 (SourceLaptop) Firefox/140.0";
    let with_agent = |uri: &str| {
        Request::get(uri)
            .header(header::USER_AGENT, agent)
            .body(Body::empty())
            .unwrap()
    };
    send(&service, with_agent("/politics/budget-vote")).await;
    send(&service, with_agent("/politics/budget-vote?utm_source=x")).await;
    send(&service, with_agent("/tips/new?article=1")).await;
    send(&service, with_agent("/search?q=whistleblower+name")).await;
    send(&service, with_agent("/readers/magic/one-time-secret")).await;

    let lines = captured.lines(5).await;
    let text = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for secret in [
        "whistleblower",
        "utm_source",
        "article=1",
        "one-time-secret",
    ] {
        assert!(!text.contains(secret), "{secret} in the log: {text}");
    }
    let (miss, hit, tip, search, link) = (&lines[0], &lines[1], &lines[2], &lines[3], &lines[4]);
    assert_eq!(miss["route"], "article");
    assert_eq!(miss["method"], "GET");
    assert_eq!(miss["status"], 200);
    assert_eq!(miss["cache"], "miss");
    assert_eq!(hit["cache"], "hit");
    assert_eq!(hit["path"], "/politics/budget-vote");
    assert!(hit["bytes"].as_u64().unwrap() > 500);
    assert!(hit["duration_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(hit["client"], "192.0.2.44");
    assert_eq!(hit["user_agent"], agent);
    assert_eq!(tip["route"], "tips");
    assert_eq!(tip["path"], "/tips/new");
    assert!(tip.get("client").is_none(), "{tip}");
    assert!(tip.get("user_agent").is_none(), "{tip}");
    assert_eq!(search["path"], "/search");
    assert_eq!(search["cache"], "none");
    assert_eq!(link["path"], "/readers/magic/…");
}

async fn readyz_answers_503_once_the_node_drains_while_healthz_stays_alive(store: TestStore) {
    let node = node(&store, None).await;
    let ready = send(&node.service, get("/readyz")).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    assert_eq!(ready.headers[header::CACHE_CONTROL], "no-store");
    let verdict: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(verdict["ready"], true);

    node.state.start_draining();
    let draining = send(&node.service, get("/readyz")).await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    let verdict: serde_json::Value = serde_json::from_str(&draining.body).unwrap();
    assert_eq!(verdict["ready"], false);
    assert!(verdict["reason"].as_str().unwrap().contains("draining"));
    assert_eq!(
        send(&node.service, get("/healthz")).await.status,
        StatusCode::OK
    );
    // The metrics listener says the same.
    let private = dateline_web::metrics_router(node.state.clone());
    let response = private.oneshot(get("/readyz")).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}
