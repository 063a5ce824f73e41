//! The shipped Varnish configuration (`deploy/varnish/dateline.vcl`) in front of a tiny origin
//! that answers the way Dateline's nodes do: what Varnish stores, serves again, purges by tag,
//! and never stores.

#[path = "cdn/varnish.rs"]
mod varnish;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::IntoResponse;

use varnish::{Answer, Varnish, request};

/// Dateline's public page headers (`dateline_web::serve::PAGE_CACHE_CONTROL`): browsers keep a
/// minute, the CDN ten, stale for a day while it refetches.
const PAGE: &str = "public, max-age=60, s-maxage=600, stale-while-revalidate=86400";

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// An origin on a free port that counts what it is asked for and answers by path:
/// `/politics/a` and `/politics/b` are pages tagged with their article and the front, `/static/…`
/// an asset, `/site-wide` a page tagged `site`, `/set-cookie` a page that sets a cookie, `/private` a newsroom page.
struct Origin {
    address: SocketAddr,
    fetched: Arc<Mutex<HashMap<String, u32>>>,
}

impl Origin {
    async fn start() -> Origin {
        let fetched: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
        let counts = Arc::clone(&fetched);
        let app = axum::Router::new().fallback(move |uri: Uri| {
            let counts = Arc::clone(&counts);
            async move {
                let path = uri.path().to_owned();
                let n = {
                    let mut counts = counts.lock().expect("lock");
                    let n = counts.entry(path.clone()).or_default();
                    *n += 1;
                    *n
                };
                let mut headers = HeaderMap::new();
                let (cache_control, tags) = match path.as_str() {
                    "/politics/a" => (PAGE, "article-1 section-politics front"),
                    "/politics/b" => (PAGE, "article-2 section-politics front"),
                    "/private" => ("private, no-store", "newsroom"),
                    // Tagged as a Dateline page every change to the site's lists touches.
                    "/site-wide" => (PAGE, "site"),
                    // Expire in a second; then stale for a minute, or not at all.
                    "/short" => (
                        "public, max-age=0, s-maxage=1, stale-while-revalidate=60",
                        "short",
                    ),
                    "/short-strict" => (
                        "public, max-age=0, s-maxage=1, stale-while-revalidate=0",
                        "short",
                    ),
                    _ => (PAGE, "other"),
                };
                headers.insert(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static(cache_control),
                );
                headers.insert("surrogate-key", HeaderValue::from_static(tags));
                if path == "/set-cookie" {
                    headers.insert(header::SET_COOKIE, HeaderValue::from_static("reader=42"));
                }
                (headers, format!("{path} #{n}")).into_response()
            }
        });
        let listener = tokio::net::TcpListener::bind((LOOPBACK, 0))
            .await
            .expect("bind the origin");
        let address = listener.local_addr().expect("origin address");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Origin { address, fetched }
    }

    fn fetched(&self, path: &str) -> u32 {
        self.fetched
            .lock()
            .expect("lock")
            .get(path)
            .copied()
            .unwrap_or(0)
    }
}

async fn get(varnish: &Varnish, path: &str, headers: &[(&str, &str)]) -> Answer {
    send(varnish, "GET", path, headers, LOOPBACK).await
}

async fn send(
    varnish: &Varnish,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    from: IpAddr,
) -> Answer {
    let address = varnish.address;
    let (method, path) = (method.to_owned(), path.to_owned());
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        request(address, &method, &path, &headers, from)
    })
    .await
    .expect("request thread")
}

async fn cdn() -> (Origin, Varnish) {
    let origin = Origin::start().await;
    let varnish = tokio::task::block_in_place(|| Varnish::start(&[origin.address], &["127.0.0.1"]));
    (origin, varnish)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_is_stored_by_s_maxage_and_served_again_as_a_hit() {
    let (origin, varnish) = cdn().await;
    let first = get(&varnish, "/politics/a", &[]).await;
    assert_eq!(first.status, 200, "{first:?}\n{}", varnish.log());
    assert_eq!(first.header("X-Cache"), Some("MISS"), "{first:?}");
    assert_eq!(first.body, "/politics/a #1");
    let again = get(&varnish, "/politics/a", &[]).await;
    assert_eq!(again.header("X-Cache"), Some("HIT"), "{again:?}");
    assert_eq!(again.body, "/politics/a #1");
    assert!(again.header("Age").is_some(), "{again:?}");
    assert_eq!(
        again.header("xkey"),
        None,
        "the tag copy stays inside Varnish"
    );
    assert_eq!(origin.fetched("/politics/a"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_while_revalidate_says_how_long_an_expired_page_may_still_be_served() {
    let (origin, varnish) = cdn().await;
    for path in ["/short", "/short-strict"] {
        assert_eq!(get(&varnish, path, &[]).await.body, format!("{path} #1"));
    }
    // Past s-maxage (1 s) by a margin; Varnish's own default grace (10 s) would still serve both.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let stale = get(&varnish, "/short", &[]).await;
    assert_eq!(
        stale.body, "/short #1",
        "served stale while refetched: {stale:?}"
    );
    let strict = get(&varnish, "/short-strict", &[]).await;
    assert_eq!(
        strict.body, "/short-strict #2",
        "no grace at all: {strict:?}"
    );
    assert_eq!(origin.fetched("/short-strict"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_soft_purge_refetches_exactly_the_tagged_page() {
    let (origin, varnish) = cdn().await;
    for path in ["/politics/a", "/politics/b", "/static/site.css"] {
        get(&varnish, path, &[]).await;
        assert_eq!(
            get(&varnish, path, &[]).await.header("X-Cache"),
            Some("HIT")
        );
    }

    let purge = send(
        &varnish,
        "PURGE",
        "/",
        &[("xkey-softpurge", "article-1")],
        LOOPBACK,
    )
    .await;
    assert_eq!(purge.status, 200, "{purge:?}");
    assert!(purge.body.contains("Purged 1 objects"), "{}", purge.body);

    // Soft: the stale page is still served while Varnish fetches it again in the background,
    // until the fresh one is stored.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = get(&varnish, "/politics/a", &[]).await;
        if answer.body == "/politics/a #2" {
            assert_eq!(answer.header("X-Cache"), Some("HIT"), "{answer:?}");
            break;
        }
        assert_eq!(answer.body, "/politics/a #1", "{answer:?}");
        assert!(
            Instant::now() < deadline,
            "the soft-purged page was never refetched"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Pages without the tag stay cached, untouched.
    for path in ["/politics/b", "/static/site.css"] {
        let kept = get(&varnish, path, &[]).await;
        assert_eq!(kept.header("X-Cache"), Some("HIT"), "{path}: {kept:?}");
        assert_eq!(origin.fetched(path), 1, "{path}");
    }

    // A hard purge of a shared tag drops every page carrying it at once.
    let purge = send(&varnish, "PURGE", "/", &[("xkey-purge", "front")], LOOPBACK).await;
    assert!(purge.body.contains("Purged 2 objects"), "{}", purge.body);
    let refetched = get(&varnish, "/politics/b", &[]).await;
    assert_eq!(refetched.header("X-Cache"), Some("MISS"), "{refetched:?}");
    assert_eq!(refetched.body, "/politics/b #2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_purgers_may_purge_and_a_purge_must_name_its_tags() {
    let (origin, varnish) = cdn().await;
    get(&varnish, "/politics/a", &[]).await;
    // Another loopback address stands for a reader on the internet.
    let stranger = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    for header in ["xkey-purge", "xkey-softpurge"] {
        let refused = send(
            &varnish,
            "PURGE",
            "/",
            &[(header, "article-1 front")],
            stranger,
        )
        .await;
        assert_eq!(refused.status, 403, "{refused:?}");
    }
    let vague = send(&varnish, "PURGE", "/politics/a", &[], LOOPBACK).await;
    assert_eq!(vague.status, 400, "{vague:?}");
    let still = get(&varnish, "/politics/a", &[]).await;
    assert_eq!(still.header("X-Cache"), Some("HIT"), "{still:?}");
    assert_eq!(origin.fetched("/politics/a"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_with_cookies_or_private_pages_are_never_stored() {
    let (origin, varnish) = cdn().await;
    for path in ["/set-cookie", "/private"] {
        for n in 1..=3 {
            let answer = get(&varnish, path, &[]).await;
            assert_eq!(answer.body, format!("{path} #{n}"), "{answer:?}");
            assert_eq!(answer.header("X-Cache"), Some("PASS"), "{answer:?}");
        }
        assert_eq!(origin.fetched(path), 3, "{path}");
    }
    assert_eq!(
        get(&varnish, "/set-cookie", &[]).await.header("Set-Cookie"),
        Some("reader=42"),
        "each reader gets their own cookie from a node"
    );

    // A signed-in reader's page comes from a node; the cached copy is not theirs to get.
    get(&varnish, "/politics/a", &[]).await;
    let signed_in = get(&varnish, "/politics/a", &[("Cookie", "reader_session=abc")]).await;
    assert_eq!(signed_in.header("X-Cache"), Some("PASS"), "{signed_in:?}");
    assert_eq!(origin.fetched("/politics/a"), 2);
    // Assets are the same for everyone: a cookie does not bypass the cache for them.
    get(&varnish, "/static/site.css", &[]).await;
    let asset = get(
        &varnish,
        "/static/site.css",
        &[("Cookie", "reader_session=abc")],
    )
    .await;
    assert_eq!(asset.header("X-Cache"), Some("HIT"), "{asset:?}");
    assert_eq!(origin.fetched("/static/site.css"), 1);
}

/// Dateline's own purge job (`cdn.purge`, `dateline_jobs::cdn`) against the real Varnish: a job
/// queued while Varnish is down fails and waits in the queue with its tags; once Varnish is
/// back the retry purges exactly those tags at every configured Varnish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_job_waits_out_a_varnish_that_is_down_then_purges_its_tags() {
    use dateline_jobs::cdn::{CdnPurger, PurgeMode};

    let store = dateline_db::testing::sqlite().await;
    // Purging starts at the newest change; this one is the batch.
    assert_eq!(
        store
            .cdn()
            .queue_purge(100, jiff::Timestamp::now())
            .await
            .expect("cursor"),
        None
    );
    dateline_db::testing::politics_desk(&store).await;
    let (origin, varnish) = cdn().await;
    let down = {
        let [port] = dateline_storage::testing::free_ports::<1>();
        format!("http://127.0.0.1:{port}")
    };
    let mut worker = dateline_jobs::Worker::dedicated(store.store.clone(), "purger");
    worker.purge_cdn(
        CdnPurger::new(
            &[format!("http://{}", varnish.address), down],
            PurgeMode::Hard,
        )
        .expect("purger"),
    );
    let queued = store
        .cdn()
        .queue_purge(100, jiff::Timestamp::now())
        .await
        .expect("queued")
        .expect("a batch");
    assert!(queued.tags.contains(&"site".to_owned()), "{queued:?}");
    assert!(worker.run_once().await.expect("ran"), "the job was claimed");
    let counts = store.jobs().counts().await.expect("counts");
    assert_eq!(
        counts,
        vec![("queued".to_owned(), 1)],
        "failed, waiting for its retry: {counts:?}"
    );

    // Varnish is back (every URL answers). The retry's time is brought forward to now, as if
    // its backoff had passed, and the worker runs it: exactly the batch's tags are purged.
    for path in ["/site-wide", "/politics/a"] {
        get(&varnish, path, &[]).await;
        assert_eq!(
            get(&varnish, path, &[]).await.header("X-Cache"),
            Some("HIT")
        );
    }
    let retry = store
        .jobs()
        .claim(
            "backoff",
            &[dateline_core::JobKind::PurgeCdn.name()],
            Duration::from_secs(60),
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2),
        )
        .await
        .expect("claim")
        .expect("the job is still there");
    assert_eq!(retry.payload["tags"], serde_json::json!(queued.tags));
    store
        .jobs()
        .release("backoff", jiff::Timestamp::now())
        .await
        .expect("due now");
    let mut back = dateline_jobs::Worker::dedicated(store.store.clone(), "purger");
    back.purge_cdn(
        CdnPurger::new(&[format!("http://{}", varnish.address)], PurgeMode::Hard).expect("purger"),
    );
    assert!(back.run_once().await.expect("ran"));
    assert_eq!(
        store.jobs().counts().await.expect("counts"),
        vec![("done".to_owned(), 1)]
    );
    assert_eq!(get(&varnish, "/site-wide", &[]).await.body, "/site-wide #2");
    assert_eq!(
        get(&varnish, "/politics/a", &[]).await.body,
        "/politics/a #1"
    );
    assert_eq!(
        origin.fetched("/site-wide"),
        2,
        "fetched again once, after the purge"
    );
}
