//! The site's edge under attack, through the front door (`dateline_web::service`: page cache
//! first, then load shedding, then the router), on both backends: cache-bypass parameters, bad
//! page numbers, overload, body limits, event streams, streamed media with byte ranges, and who
//! the client is behind a proxy.

// These are plain `async fn`s the backend macro wraps, which `allow-unwrap-in-tests` does not see.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use axum::body::Body;
use dateline_db::testing::TestStore;
use dateline_db::{CommentAuthor, NewComment};
use dateline_storage::MediaStore;
use dateline_web::{AppState, CacheFirst, ProxyHeaders, TrustedProxies, WebConfig};
use futures_util::StreamExt;
use http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::{Answer, article, long_world_section, newsroom};

dateline_db::both_backends!(
    parameters_a_page_does_not_use_neither_split_the_cache_nor_render_it_again,
    spellings_of_one_path_share_its_cache_entry,
    bad_page_numbers_are_404s_answered_from_the_cache,
    a_miss_is_answered_at_once_and_its_encodings_polished_later,
    past_capacity_uncached_work_is_shed_while_cached_pages_are_served,
    past_capacity_a_form_is_refused_without_a_turn_on_the_busy_work_runtime,
    past_their_limits_a_comment_and_a_tip_are_refused_without_a_turn_on_the_busy_work_runtime,
    a_page_a_change_dropped_comes_back_first_and_once_while_the_node_is_full,
    bodies_are_refused_by_their_declared_size_before_they_are_read,
    anonymous_trickles_to_the_newsroom_hold_no_slot_the_editors_need,
    event_streams_need_a_published_article_and_a_free_slot,
    one_client_cannot_take_every_event_stream_of_the_node,
    made_up_points_of_a_discussion_start_no_poll_of_their_own,
    readers_of_one_article_share_one_poll_woken_by_the_changes_log,
    media_and_audio_are_streamed_with_byte_ranges,
    private_objects_are_never_served_however_the_key_is_spelt,
    forwarding_headers_are_believed_only_from_trusted_proxies,
);

struct Edge {
    state: AppState,
    service: CacheFirst,
    _media: tempfile::TempDir,
    store: TestStore,
}

async fn edge(store: TestStore, config: WebConfig) -> Edge {
    let media_folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(media_folder.path()).unwrap();
    let state = AppState::new(store.store.clone(), media, config)
        .await
        .unwrap();
    Edge {
        service: dateline_web::service(state.clone()),
        state,
        _media: media_folder,
        store,
    }
}

fn config() -> WebConfig {
    WebConfig {
        base_url: "https://news.example".to_owned(),
        ..WebConfig::default()
    }
}

pub(super) async fn send(service: &CacheFirst, request: Request<Body>) -> Answer {
    let response = service.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(service: &CacheFirst, uri: &str) -> Answer {
    send(service, Request::get(uri).body(Body::empty()).unwrap()).await
}

async fn get_with(service: &CacheFirst, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    send(service, request.body(Body::empty()).unwrap()).await
}

async fn parameters_a_page_does_not_use_neither_split_the_cache_nor_render_it_again(
    store: TestStore,
) {
    let room = newsroom(&store).await;
    long_world_section(&store, &room).await;
    let edge = edge(store, config()).await;
    let pages = [
        "/feeds/rss.xml",
        "/",
        "/politics/budget-vote",
        "/sitemap.xml",
        "/robots.txt",
        "/world",
    ];
    let mut first_bodies = Vec::new();
    for path in pages {
        let answer = get(&edge.service, path).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}");
        first_bodies.push(answer.body);
    }
    let entries = edge.state.cache().len();
    let stored = edge.state.cache().insertions();
    // The attack from issue 12: a random page number (or any other parameter) on every request.
    for round in 0..20 {
        for (path, first) in pages.iter().zip(&first_bodies) {
            let noise = format!("{path}?page={}{round}&utm_source=x{round}", round * 7919);
            let noise = if *path == "/world" {
                // World is a list: a page parameter is its page; the rest is noise.
                format!("{path}?utm_source=x{round}&cb={round}")
            } else {
                noise
            };
            let answer = get(&edge.service, &noise).await;
            assert_eq!(answer.status, StatusCode::OK, "{noise}");
            assert_eq!(&answer.body, first, "{noise} is the same page");
        }
    }
    assert_eq!(edge.state.cache().len(), entries, "no new cache entries");
    assert_eq!(
        edge.state.cache().insertions(),
        stored,
        "nothing was rendered and stored again"
    );
    // Cold, the first request with a parameter stores the page under its path alone.
    let cold = get(&edge.service, "/feeds/atom.xml?page=99&x=1").await;
    assert_eq!(cold.status, StatusCode::OK);
    assert!(edge.state.cache().contains("/feeds/atom.xml"));
    assert!(!edge.state.cache().contains("/feeds/atom.xml?page=99"));
    // A list keys its pages by number, and only those.
    assert_eq!(
        get(&edge.service, "/world?page=2").await.status,
        StatusCode::OK
    );
    assert!(edge.state.cache().contains("/world?page=2"));
}

/// Escaped letters are the same path to the router (RFC 3986 §6.2.2.2), so each mix of escapes
/// in a slug was a new cache entry and a full render: `/feeds/%72ss.xml` was issue 12's feed
/// attack again, with the page parameter moved into the path.
async fn spellings_of_one_path_share_its_cache_entry(store: TestStore) {
    newsroom(&store).await;
    let edge = edge(store, config()).await;
    let spellings = [
        ("/feeds/rss.xml", "/feeds/%72ss.xml"),
        ("/feeds/rss.xml", "/feeds/%72%73%73%2e%78%6d%6c"),
        ("/politics/budget-vote", "/%70olitics/budget-vote"),
        ("/politics/budget-vote", "/politics/%62udget%2Dvote"),
        ("/politics", "/politic%73"),
    ];
    for (path, _) in spellings {
        assert_eq!(
            get(&edge.service, path).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
    let entries = edge.state.cache().len();
    let stored = edge.state.cache().insertions();
    for (path, spelt) in spellings {
        let answer = get(&edge.service, spelt).await;
        assert_eq!(answer.status, StatusCode::OK, "{spelt}");
        assert_eq!(
            answer.body,
            get(&edge.service, path).await.body,
            "{spelt} is {path}"
        );
    }
    assert_eq!(edge.state.cache().len(), entries, "no new cache entries");
    assert_eq!(
        edge.state.cache().insertions(),
        stored,
        "nothing was rendered and stored again"
    );
    // Cold, an escaped path is stored under its plain spelling.
    let cold = get(&edge.service, "/feeds/%61tom.xml").await;
    assert_eq!(cold.status, StatusCode::OK);
    assert!(edge.state.cache().contains("/feeds/atom.xml"));
    assert!(!edge.state.cache().contains("/feeds/%61tom.xml"));
}

async fn bad_page_numbers_are_404s_answered_from_the_cache(store: TestStore) {
    let room = newsroom(&store).await;
    long_world_section(&store, &room).await;
    let edge = edge(store, config()).await;
    assert_eq!(get(&edge.service, "/world").await.status, StatusCode::OK);
    let missing = get(&edge.service, "/no-such-section").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<html"), "the themed 404");
    let bad = [
        "/world?page=abc",
        "/world?page=0",
        "/world?page=-1",
        "/world?page=3",
        "/world?page=99",
        "/world?page=100001",
        "/world?page=18446744073709551617",
        "/world?page=9223372036854775807",
        "/world?page=01",
        "/world?page=%31",
        "/corrections?page=5",
    ];
    // Warm every path once (`/corrections` itself must be cached to know its page count).
    assert_eq!(
        get(&edge.service, "/corrections").await.status,
        StatusCode::OK
    );
    let stored = edge.state.cache().insertions();
    // No database from here on: what is answered comes from the page cache or not at all.
    edge.store.store.close().await;
    for uri in bad {
        let answer = get_with(&edge.service, uri, &[("accept-encoding", "br")]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store", "{uri}");
        assert!(answer.headers.get(header::ETAG).is_none(), "{uri}");
        assert_eq!(answer.headers[header::CONTENT_ENCODING], "br", "{uri}");
    }
    assert_eq!(get(&edge.service, "/world").await.status, StatusCode::OK);
    assert_eq!(edge.state.cache().insertions(), stored);
}

async fn a_miss_is_answered_at_once_and_its_encodings_polished_later(store: TestStore) {
    newsroom(&store).await;
    let edge = edge(store, config()).await;
    let answer = get_with(
        &edge.service,
        "/politics/budget-vote",
        &[("accept-encoding", "br")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers[header::CONTENT_ENCODING], "br");
    let stored = edge.state.cache().get("/politics/budget-vote").unwrap();
    let best = stored.polished();
    // The low-priority polisher swaps in the best encodings; the validator does not change.
    let mut polished = false;
    for _ in 0..100 {
        let now = edge.state.cache().get("/politics/budget-vote").unwrap();
        if now.brotli == best.brotli && now.gzip == best.gzip {
            assert_eq!(now.etag, stored.etag);
            polished = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(polished, "the page was recompressed at the best levels");
    let again = edge.state.cache().get("/politics/budget-vote").unwrap();
    let mut decoded = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(&again.gzip[..]),
        &mut decoded,
    )
    .unwrap();
    assert_eq!(decoded, again.identity.as_ref());
    // What was answered before the polish is the same page.
    let gzip = get_with(
        &edge.service,
        "/politics/budget-vote",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gzip.headers[header::ETAG], stored.etag);
}

/// A form body that sends nothing until `release` is dropped: a slow client holding its request.
fn held_body() -> (Body, tokio::sync::oneshot::Sender<()>) {
    let (release, released) = tokio::sync::oneshot::channel::<()>();
    let stream = futures_util::stream::once(async move {
        let _ = released.await;
        Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"body=late"))
    });
    (Body::from_stream(stream), release)
}

async fn past_capacity_uncached_work_is_shed_while_cached_pages_are_served(store: TestStore) {
    let room = newsroom(&store).await;
    let edge = edge(
        store,
        WebConfig {
            max_uncached_requests: 1,
            ..config()
        },
    )
    .await;
    assert_eq!(
        get(&edge.service, "/politics/budget-vote").await.status,
        StatusCode::OK
    );
    // A reader trickling a form holds a connection, not the node's only slot.
    let (body, release) = held_body();
    let slow = edge.service.clone().oneshot(
        Request::post(format!("/discussion/{}/comments", room.first))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://news.example")
            .body(body)
            .unwrap(),
    );
    let slow = tokio::spawn(slow);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(edge.state.uncached_in_flight(), 0, "a body on its way");
    assert_eq!(
        get(&edge.service, "/search?q=budget").await.status,
        StatusCode::OK,
        "others' work goes on meanwhile"
    );
    // A long render takes the only slot.
    let render = edge.state.hold_uncached_slot().expect("a free slot");
    assert_eq!(edge.state.uncached_in_flight(), 1);
    let refused = get(&edge.service, "/search?q=budget").await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.headers[header::RETRY_AFTER], "2");
    assert_eq!(refused.headers[header::CACHE_CONTROL], "no-store");
    // Answered while the slot is still held: shed at once, not queued behind it (how fast is
    // bench/abuse.sh's to measure, not a test's).
    for uri in ["/politics/senate-race", "/search?q=vote", "/no-such-page"] {
        assert_eq!(
            get(&edge.service, uri).await.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{uri}"
        );
    }
    // Cached pages, the health check and the newsroom still answer.
    let hit = get(&edge.service, "/politics/budget-vote").await;
    assert_eq!(hit.status, StatusCode::OK);
    assert!(hit.body.contains("Budget vote passes"));
    assert_eq!(get(&edge.service, "/healthz").await.status, StatusCode::OK);
    assert_eq!(
        get(&edge.service, "/newsroom/login").await.status,
        StatusCode::OK
    );
    // The form's body arrives while the node is full: refused at once, asked to come back.
    drop(release);
    let answered = slow.await.unwrap().unwrap();
    assert_eq!(answered.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answered.headers()[header::RETRY_AFTER], "2");
    drop(render);
    assert_eq!(
        get(&edge.service, "/search?q=budget").await.status,
        StatusCode::OK
    );
}

/// A work runtime of one thread, as small as `dateline serve`'s gets, for a test to hold busy.
fn work_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

async fn past_capacity_a_form_is_refused_without_a_turn_on_the_busy_work_runtime(store: TestStore) {
    let room = newsroom(&store).await;
    let media_folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(media_folder.path()).unwrap();
    let state = AppState::new(
        store.store.clone(),
        media,
        WebConfig {
            max_uncached_requests: 1,
            ..config()
        },
    )
    .await
    .unwrap();
    // The work runtime's only thread is stuck, as it is under a flood of admitted work.
    let work = work_runtime();
    let (unstick, stuck) = std::sync::mpsc::channel::<()>();
    work.spawn(async move {
        let _ = stuck.recv();
    });
    let service = dateline_web::service_on(state.clone(), work.handle().clone());
    let render = state.hold_uncached_slot().expect("a free slot");
    let post = Request::post(format!("/discussion/{}/comments", room.first))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://news.example")
        .body(Body::from("body=Past+capacity"))
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(10), service.clone().oneshot(post))
        .await
        .expect("refused while the work runtime is stuck")
        .unwrap();
    assert_eq!(answered.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answered.headers()[header::RETRY_AFTER], "2");
    // Too large a form is refused by its declared length, also without the work runtime.
    let large = Request::post(format!("/discussion/{}/comments", room.first))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, "10000000")
        .body(Body::from("body=x"))
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(10), service.clone().oneshot(large))
        .await
        .expect("refused while the work runtime is stuck")
        .unwrap();
    assert_eq!(answered.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Once the runtime and a slot are free, the same form reaches its handler (which refuses an
    // anonymous comment in its own words, not with the node's 503).
    unstick.send(()).unwrap();
    drop(render);
    let post = Request::post(format!("/discussion/{}/comments", room.first))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://news.example")
        .body(Body::from("body=After"))
        .unwrap();
    let answered = tokio::time::timeout(Duration::from_secs(10), service.oneshot(post))
        .await
        .expect("answered")
        .unwrap();
    assert_ne!(answered.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_ne!(answered.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(state.uncached_in_flight(), 0, "the slot was given back");
    work.shutdown_background();
}

/// A verified reader with a session: the session cookie's token and the session's form token.
async fn reader_session(store: &dateline_db::Store, email: &str) -> (String, String) {
    use dateline_db::{NewReader, ReaderLinkPurpose, SessionLimits};
    use dateline_web::newsroom::secrets::token_digest;
    let now = jiff::Timestamp::now();
    let reader = store
        .people()
        .create_reader(
            &NewReader {
                email: email.to_owned(),
                display_name: "Quick Reader".to_owned(),
                password_hash: "!".to_owned(),
            },
            now,
        )
        .await
        .unwrap();
    let link = format!("verify-{}", reader.id);
    store
        .sessions()
        .create_reader_link(
            reader.id,
            &token_digest(&link),
            ReaderLinkPurpose::Verify,
            jiff::SignedDuration::from_hours(1),
            now,
        )
        .await
        .unwrap();
    store
        .sessions()
        .use_reader_link(&token_digest(&link), ReaderLinkPurpose::Verify, now)
        .await
        .unwrap();
    let (token, csrf) = (
        format!("session-{}", reader.id),
        format!("csrf-{}", reader.id),
    );
    let hours = jiff::SignedDuration::from_hours(24);
    let limits = SessionLimits {
        lifetime: hours,
        idle_timeout: hours,
    };
    store
        .sessions()
        .create_reader_session(reader.id, &token_digest(&token), &csrf, limits, now)
        .await
        .unwrap();
    (token, csrf)
}

/// A comment posted by the reader of `session`, as the page's script sends it (JSON) or as a
/// browser without it does.
fn comment_post(
    article_id: i64,
    session: &(String, String),
    fields: &str,
    json: bool,
) -> Request<Body> {
    let (token, csrf) = session;
    let request = Request::post(format!("/discussion/{article_id}/comments"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, "https://news.example")
        .header(header::COOKIE, format!("__Host-dateline_reader={token}"));
    let request = if json {
        request.header(header::ACCEPT, "application/json")
    } else {
        request
    };
    request
        .body(Body::from(format!("csrf={csrf}&{fields}")))
        .unwrap()
}

/// A tip as the form sends it without JavaScript: its token in the URL, the fields multipart;
/// a correction names its article.
fn tip_post(token: &str, message: &str, article: Option<i64>) -> Request<Body> {
    use super::tips::{BOUNDARY, Part, multipart};
    let article = article.map(|id| id.to_string()).unwrap_or_default();
    let body = multipart(&[
        Part::Text(
            "kind",
            if article.is_empty() {
                "tip"
            } else {
                "correction"
            },
        ),
        Part::Text("message", message),
        Part::Text("article", &article),
    ]);
    Request::post(format!("/tips?token={token}"))
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap()
}

/// The refusals the limits decide from the node's memory come from the listener, like those of
/// capacity: with the work runtime's only thread stuck, a reader past their comment allowance
/// and an address past its tips are still answered 429, in the handler's words and with what
/// was typed. On the way, the allowance is taken once per post (the listener takes it, the
/// handler keeps it) and given back when the post is refused for something else.
async fn past_their_limits_a_comment_and_a_tip_are_refused_without_a_turn_on_the_busy_work_runtime(
    store: TestStore,
) {
    let room = newsroom(&store).await;
    super::tips::register_editor(&store.store).await;
    let session = reader_session(&store.store, "quick@readers.example").await;
    let media_folder = tempfile::tempdir().unwrap();
    let media = MediaStore::local(media_folder.path()).unwrap();
    let state = AppState::new(store.store.clone(), media, config())
        .await
        .unwrap();
    let work = work_runtime();
    let service = dateline_web::service_on(state.clone(), work.handle().clone());
    let answered = |request: Request<Body>| {
        let service = service.clone();
        async move {
            tokio::time::timeout(Duration::from_secs(20), send(&service, request))
                .await
                .expect("answered")
        }
    };

    // Ten tips from one address: its allowance for the hour.
    let form = answered(Request::get("/tips").body(Body::empty()).unwrap()).await;
    let token = super::tips::token_in_action(&form.body);
    for n in 0..10 {
        let sent = answered(tip_post(&token, &format!("Tip {n}"), None)).await;
        assert_eq!(sent.status, StatusCode::OK, "tip {n}: {}", sent.body);
    }
    // The comment allowance is a burst of three. The first post teaches the node whose session
    // it is; a reply to a comment that does not exist is refused after the listener took its
    // post, which goes back; two more posts are taken on the listener and kept by the handler.
    let first = answered(comment_post(room.first, &session, "body=First", true)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let refused = answered(comment_post(
        room.first,
        &session,
        "body=To+nobody&parent_id=999999",
        true,
    ))
    .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    for text in ["Second", "Third"] {
        let posted = answered(comment_post(
            room.first,
            &session,
            &format!("body={text}"),
            true,
        ))
        .await;
        assert_eq!(
            posted.status,
            StatusCode::CREATED,
            "{text}: {}",
            posted.body
        );
    }

    // The work runtime's only thread is now stuck, as under a flood of admitted work.
    let (started, running) = std::sync::mpsc::channel::<()>();
    let (unstick, stuck) = std::sync::mpsc::channel::<()>();
    work.spawn(async move {
        started.send(()).unwrap();
        let _ = stuck.recv();
    });
    running.recv().unwrap();

    let too_fast = answered(comment_post(room.first, &session, "body=Fourth", true)).await;
    assert_eq!(too_fast.status, StatusCode::TOO_MANY_REQUESTS);
    let error: serde_json::Value = serde_json::from_str(&too_fast.body).unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("You are commenting very fast. Wait "),
        "{}",
        too_fast.body
    );
    let wait: u64 = too_fast.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    assert!(
        too_fast.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("no-store")
    );

    let typed = "Eleven & counting";
    let tip = answered(tip_post(&token, typed, None)).await;
    assert_eq!(tip.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        tip.body.contains("Too many attempts from your connection"),
        "{}",
        tip.body
    );
    assert!(
        tip.body.contains("Eleven &amp; counting"),
        "typed text kept"
    );
    assert!(
        tip.body.contains("action=\"/tips?token="),
        "the form again, with a fresh token"
    );
    assert_eq!(tip.headers[header::RETRY_AFTER], "3600");
    assert_eq!(tip.headers[header::CACHE_CONTROL], "no-store");
    assert_eq!(tip.headers[header::REFERRER_POLICY], "no-referrer");
    assert!(tip.headers.get(header::SET_COOKIE).is_none());

    // A browser without the script gets the discussion page with its text: a render, once the
    // work runtime has a turn, decided by the listener (the allowance is not taken again).
    unstick.send(()).unwrap();
    let page = answered(comment_post(
        room.first,
        &session,
        "body=Fifth+in+a+row",
        false,
    ))
    .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        page.body.contains("You are commenting very fast"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">Fifth in a row</textarea>"));
    assert!(page.headers.contains_key(header::RETRY_AFTER));
    // A correction names its article, which the listener does not look up: the refusal it
    // decided is rendered by the handler, with the article and what was typed.
    let correction = answered(tip_post(&token, "The date is wrong", Some(room.first))).await;
    assert_eq!(correction.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(
        correction
            .body
            .contains("Too many attempts from your connection")
    );
    assert!(correction.body.contains("The date is wrong"));
    assert!(
        correction.body.contains("class=\"tips-about\""),
        "{}",
        correction.body
    );
    assert_eq!(correction.headers[header::RETRY_AFTER], "3600");

    assert_eq!(store.store.tips().list(None).await.unwrap().len(), 10);
    let reader = store
        .store
        .people()
        .reader_by_email("quick@readers.example")
        .await
        .unwrap()
        .unwrap();
    let comments = store
        .store
        .people()
        .reader_export(reader.id)
        .await
        .unwrap()
        .comments;
    assert_eq!(comments.len(), 3, "three comments stored, no more");

    // Banned on another node while their allowance here is spent: once this node has seen
    // their session again, their next post is refused for their standing, not for a rate.
    store
        .store
        .people()
        .set_reader_standing(
            reader.id,
            dateline_db::Standing::Banned,
            "abuse",
            &dateline_db::Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let (token, _) = &session;
    let seen = answered(
        Request::get(format!("/discussion/{}", room.first))
            .header(header::COOKIE, format!("__Host-dateline_reader={token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(seen.status, StatusCode::OK);
    let banned = answered(comment_post(room.first, &session, "body=Sixth", true)).await;
    assert_eq!(
        banned.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        banned.body
    );
    assert!(banned.body.contains("may not post"), "{}", banned.body);
    assert_eq!(state.uncached_in_flight(), 0, "every slot was given back");
    work.shutdown_background();
}

async fn a_page_a_change_dropped_comes_back_first_and_once_while_the_node_is_full(
    store: TestStore,
) {
    let room = newsroom(&store).await;
    let pulled = store
        .articles()
        .create(
            &article(room.world, room.author, "pulled", "Pulled story", 2),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let edge = edge(
        store,
        WebConfig {
            max_uncached_requests: 1,
            ..config()
        },
    )
    .await;
    for uri in ["/politics/budget-vote", "/world/pulled"] {
        assert_eq!(
            get(&edge.service, uri).await.status,
            StatusCode::OK,
            "{uri}"
        );
    }
    let _render = edge.state.hold_uncached_slot().expect("a free slot");
    // An edit drops the page readers are reading while the node is full: it is rendered again
    // on a slot of its own, stored, and answered from the cache after that.
    let cache = edge.state.cache();
    let tag = dateline_core::cache_tags::article(room.first);
    assert_eq!(cache.invalidate(&[tag]), 1);
    let again = get(&edge.service, "/politics/budget-vote").await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(again.body.contains("Budget vote passes"));
    assert!(cache.contains("/politics/budget-vote"));
    assert!(!cache.was_dropped("/politics/budget-vote"));
    // A page no change dropped is still shed.
    assert_eq!(
        get(&edge.service, "/world/summit-opens").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    // A page dropped because it was taken down gets its one render (the 404), and is then
    // ordinary uncached work: its readers cannot queue on the re-render slots.
    edge.store
        .articles()
        .set_status(
            pulled.id,
            dateline_core::ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        cache.invalidate(&[dateline_core::cache_tags::article(pulled.id)]),
        1
    );
    assert_eq!(
        get(&edge.service, "/world/pulled").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!cache.was_dropped("/world/pulled"));
    assert_eq!(
        get(&edge.service, "/world/pulled").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

async fn anonymous_trickles_to_the_newsroom_hold_no_slot_the_editors_need(store: TestStore) {
    use super::newsroom_auth::{Browser, PASSWORD, staff};
    let edge = edge(store, config()).await;
    staff(
        &edge.store,
        "ed@example.org",
        dateline_core::Role::Editor,
        Some(PASSWORD),
    )
    .await;
    let mut editor = Browser::new(&dateline_web::router(edge.state.clone()));
    assert_eq!(
        editor.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // More sign-in forms trickling than the newsroom has slots (16).
    let trickles: Vec<_> = (0..24)
        .map(|_| {
            let (body, release) = held_body();
            let request = Request::post("/newsroom/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ORIGIN, "https://news.example")
                .body(body)
                .unwrap();
            (tokio::spawn(edge.service.clone().oneshot(request)), release)
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        get(&edge.service, "/newsroom/login").await.status,
        StatusCode::OK,
        "the newsroom still has room"
    );
    assert_eq!(
        edge.state.uncached_in_flight(),
        0,
        "nor do they hold public slots"
    );
    // Staff send what they need (here a form larger than any reader's) before the body is read;
    // an anonymous client sending as much is refused.
    let padding = "a".repeat(100 * 1024);
    let signed_out = editor
        .submit("/newsroom", "/newsroom/logout", &[("padding", &padding)])
        .await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    let large = send(
        &edge.service,
        Request::post("/newsroom/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://news.example")
            .body(Body::from(format!("padding={padding}")))
            .unwrap(),
    )
    .await;
    assert_eq!(large.status, StatusCode::PAYLOAD_TOO_LARGE);
    for (answer, release) in trickles {
        drop(release);
        assert_ne!(
            answer.await.unwrap().unwrap().status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }
}

async fn bodies_are_refused_by_their_declared_size_before_they_are_read(store: TestStore) {
    let room = newsroom(&store).await;
    let edge = edge(store, config()).await;
    let claims_too_much = |uri: String, length: &str| {
        let (body, release) = held_body();
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, length)
            .header(header::ORIGIN, "https://news.example")
            .body(body)
            .unwrap();
        (request, release)
    };
    // A reader's form: 64 KiB. The body never arrives; the answer comes anyway.
    for uri in [
        format!("/discussion/{}/comments", room.first),
        "/readers/sign-in".to_owned(),
        format!("/discussion/comments/{}/report", room.first),
    ] {
        let (request, _release) = claims_too_much(uri.clone(), "10000000");
        let answer = tokio::time::timeout(Duration::from_secs(5), send(&edge.service, request))
            .await
            .expect("answered without reading the body");
        assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
    }
    // The newsroom takes article forms and pictures: a megabyte is not refused for its size.
    let (request, release) = claims_too_much("/newsroom/login".to_owned(), "1000000");
    drop(release);
    let answer = send(&edge.service, request).await;
    assert_ne!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    // A small comment form is not refused for its size either.
    let small = send(
        &edge.service,
        Request::post(format!("/discussion/{}/comments", room.first))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, "https://news.example")
            .body(Body::from("body=hello"))
            .unwrap(),
    )
    .await;
    assert_ne!(small.status, StatusCode::PAYLOAD_TOO_LARGE);
}

/// Reads server-sent events until one named `name` arrives; its data.
async fn next_event(
    body: &mut (impl futures_util::Stream<Item = Result<bytes::Bytes, axum::Error>> + Unpin),
    name: &str,
) -> String {
    let mut text = String::new();
    let wanted = format!("event: {name}\ndata: ");
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
            .await
            .expect("an event in time")
            .expect("the stream is open")
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
        if let Some(at) = text.find(&wanted) {
            let rest = &text[at + wanted.len()..];
            if let Some(end) = rest.find('\n') {
                return rest[..end].to_owned();
            }
        }
    }
}

async fn open_stream(service: &CacheFirst, uri: &str) -> (StatusCode, axum::body::BodyDataStream) {
    let response = service
        .clone()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    (response.status(), response.into_body().into_data_stream())
}

async fn event_streams_need_a_published_article_and_a_free_slot(store: TestStore) {
    let room = newsroom(&store).await;
    let mut draft = super::article(room.world, room.author, "draft", "A draft", 1);
    draft.status = dateline_core::ArticleStatus::Draft;
    draft.first_published_at = None;
    let draft = store
        .articles()
        .create(&draft, jiff::Timestamp::now())
        .await
        .unwrap();
    let edge = edge(
        store,
        WebConfig {
            max_event_streams: 2,
            ..config()
        },
    )
    .await;
    for missing in [
        "/discussion/999999/events",
        &format!("/discussion/{}/events", draft.id),
    ] {
        let answer = tokio::time::timeout(Duration::from_secs(5), get(&edge.service, missing))
            .await
            .expect("answered, not streamed");
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{missing}");
    }
    let uri = format!("/discussion/{}/events?after=0", room.first);
    let (status, mut first) = open_stream(&edge.service, &uri).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(next_event(&mut first, "count").await, "0");
    let (status, second) = open_stream(&edge.service, &uri).await;
    assert_eq!(status, StatusCode::OK);
    let third = get(&edge.service, &uri).await;
    assert_eq!(
        third.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "past the cap"
    );
    assert!(third.headers.contains_key(header::RETRY_AFTER));
    drop(second);
    let (status, _fourth) = open_stream(&edge.service, &uri).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a closed stream gives its slot back"
    );

    // Live coverage's streams answer to the same setting, with slots of their own.
    dateline_usecases::live::start(
        edge.state.ctx(),
        &dateline_usecases::Actor::system("live desk"),
        room.first,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let live = format!("/live/{}/events?after=0", room.first);
    let (status, _live_first) = open_stream(&edge.service, &live).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _live_second) = open_stream(&edge.service, &live).await;
    assert_eq!(status, StatusCode::OK);
    let past = get(&edge.service, &live).await;
    assert_eq!(
        past.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "max_event_streams holds for live coverage too"
    );
}

/// The attack: one address opened 4,096 live coverage streams, the node's every slot, and every
/// other reader of a live page got 503 in place of its updates.
async fn one_client_cannot_take_every_event_stream_of_the_node(store: TestStore) {
    let room = newsroom(&store).await;
    let edge = edge(
        store,
        WebConfig {
            max_event_streams_per_client: 3,
            ..config()
        },
    )
    .await;
    dateline_usecases::live::start(
        edge.state.ctx(),
        &dateline_usecases::Actor::system("live desk"),
        room.first,
        jiff::Timestamp::now(),
    )
    .await
    .unwrap();
    let open_from = |peer: &'static str, uri: String| {
        let service = edge.service.clone();
        async move {
            let mut request = Request::get(uri).body(Body::empty()).unwrap();
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                peer.parse::<std::net::SocketAddr>().unwrap(),
            ));
            let response = service.oneshot(request).await.unwrap();
            (
                response.status(),
                response.headers().clone(),
                response.into_body(),
            )
        }
    };
    let live = format!("/live/{}/events?after=0", room.first);
    let discussion = format!("/discussion/{}/events?after=0", room.first);
    let attacker = "203.0.113.9:40000";
    let mut held = Vec::new();
    for uri in [&live, &live, &discussion] {
        let (status, _, body) = open_from(attacker, uri.clone()).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        held.push(body);
    }
    for uri in [&live, &discussion] {
        let (status, headers, _) = open_from("203.0.113.9:40001", uri.clone()).await;
        assert_eq!(
            status,
            StatusCode::TOO_MANY_REQUESTS,
            "{uri} past the client's share"
        );
        assert!(headers.contains_key(header::RETRY_AFTER));
    }
    // The same client spelt as IPv6 is the same client; a neighbour is not.
    let (status, _, _) = open_from("[::ffff:203.0.113.9]:40002", live.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let (status, _, _neighbour) = open_from("198.51.100.4:40000", live.clone()).await;
    assert_eq!(status, StatusCode::OK, "another reader still gets updates");
    held.pop();
    let (status, _, _again) = open_from(attacker, live.clone()).await;
    assert_eq!(status, StatusCode::OK, "a closed stream is given back");
}

async fn readers_of_one_article_share_one_poll_woken_by_the_changes_log(store: TestStore) {
    let room = newsroom(&store).await;
    let editor =
        dateline_db::testing::staff_member(&store, "Ed", dateline_core::Role::Editor, None).await;
    let edge = edge(store, config()).await;
    let uri = format!("/discussion/{}/events?after=0", room.first);
    let mut readers = Vec::new();
    for _ in 0..50 {
        let (status, body) = open_stream(&edge.service, &uri).await;
        assert_eq!(status, StatusCode::OK);
        readers.push(body);
    }
    for body in &mut readers {
        assert_eq!(next_event(body, "count").await, "0");
    }
    assert_eq!(edge.state.live_topics(), 1, "fifty readers, one poll");
    // A comment appears; the changes log wakes the poll long before its next round.
    let started = std::time::Instant::now();
    edge.state
        .store()
        .comments()
        .post(
            &NewComment {
                article_id: room.first,
                parent_id: None,
                author: CommentAuthor::Staff(editor.id),
                body: "The newsroom answers.".into(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    edge.state.apply_changes().await.unwrap();
    for body in &mut readers {
        assert_eq!(next_event(body, "count").await, "1");
    }
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "woken by the change, not the 5 s poll"
    );
    drop(readers);
    for _ in 0..200 {
        if edge.state.live_topics() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        edge.state.live_topics(),
        0,
        "the poll ends with its last reader"
    );
}

async fn media_and_audio_are_streamed_with_byte_ranges(store: TestStore) {
    newsroom(&store).await;
    let edge = edge(store, config()).await;
    let bytes: Vec<u8> = (0..3_000_000u32).map(|n| (n % 251) as u8).collect();
    let key = "images/ab/abcdef/w960.jpg";
    edge.state
        .media()
        .put(key, bytes::Bytes::from(bytes.clone()))
        .await
        .unwrap();
    let audio = format!("{}.mp3", "c".repeat(64));
    edge.state
        .media()
        .put(&format!("audio/{audio}"), bytes::Bytes::from(bytes.clone()))
        .await
        .unwrap();
    for uri in [format!("/media/{key}"), format!("/audio/{audio}")] {
        // The whole file arrives in chunks, never as one piece held in memory.
        let response = edge
            .service
            .clone()
            .oneshot(Request::get(&uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_LENGTH], "3000000");
        assert_eq!(response.headers()[header::ACCEPT_RANGES], "bytes");
        let etag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        let mut chunks = response.into_body().into_data_stream();
        let mut received = Vec::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.unwrap();
            assert!(
                chunk.len() <= 64 * 1024,
                "{uri}: a chunk of {} bytes",
                chunk.len()
            );
            received.extend_from_slice(&chunk);
        }
        assert_eq!(received, bytes, "{uri}");

        let range = |spec: &'static str| {
            let (service, uri) = (edge.service.clone(), uri.clone());
            async move { get_with(&service, &uri, &[("range", spec)]).await }
        };
        let first = range("bytes=0-99").await;
        assert_eq!(first.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(first.headers[header::CONTENT_RANGE], "bytes 0-99/3000000");
        assert_eq!(first.headers[header::CONTENT_LENGTH], "100");
        let suffix = range("bytes=-10").await;
        assert_eq!(
            suffix.headers[header::CONTENT_RANGE],
            "bytes 2999990-2999999/3000000"
        );
        let open = range("bytes=2999000-").await;
        assert_eq!(open.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(open.headers[header::CONTENT_LENGTH], "1000");
        let beyond = range("bytes=3000000-").await;
        assert_eq!(beyond.status, StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(beyond.headers[header::CONTENT_RANGE], "bytes */3000000");
        let several = range("bytes=0-1,5-6").await;
        assert_eq!(
            several.status,
            StatusCode::OK,
            "several ranges: the whole file"
        );
        // If-Range: our validator keeps the range, anything else gets the whole file.
        let same = get_with(
            &edge.service,
            &uri,
            &[("range", "bytes=10-19"), ("if-range", &etag)],
        )
        .await;
        assert_eq!(same.status, StatusCode::PARTIAL_CONTENT);
        let stale = get_with(
            &edge.service,
            &uri,
            &[("range", "bytes=10-19"), ("if-range", "\"other\"")],
        )
        .await;
        assert_eq!(stale.status, StatusCode::OK);
        assert_eq!(stale.headers[header::CONTENT_LENGTH], "3000000");
        let revalidated = get_with(&edge.service, &uri, &[("if-none-match", &etag)]).await;
        assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
        let head = send(
            &edge.service,
            Request::head(&uri).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.headers[header::CONTENT_LENGTH], "3000000");
        assert!(head.body.is_empty());
    }
    let part = get_with(
        &edge.service,
        &format!("/media/{key}"),
        &[("range", "bytes=1000-1009")],
    )
    .await;
    assert_eq!(part.status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers[header::CONTENT_LENGTH], "10");
    assert_eq!(
        part.headers[header::CONTENT_RANGE],
        "bytes 1000-1009/3000000"
    );
    assert_eq!(
        get(&edge.service, &format!("/audio/{}.mp3", "d".repeat(64)))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn private_objects_are_never_served_however_the_key_is_spelt(store: TestStore) {
    newsroom(&store).await;
    let edge = edge(store, config()).await;
    let secret = bytes::Bytes::from_static(b"ciphertext for the newsroom");
    for key in [
        "tips/2026/secret.age",
        "TIPS/secret.age",
        "Tips/secret.age",
        "images/ab/abcdef/original.jpg",
        "images/ab/abcdef/ORIGINAL.JPG",
        "images/ab/abcdef/Original.jpg",
        "audio/paragraphs/abc.pcm",
    ] {
        edge.state.media().put(key, secret.clone()).await.unwrap();
    }
    for uri in [
        "/media/tips/2026/secret.age",
        "/media/TIPS/secret.age",
        "/media/Tips/secret.age",
        "/media/%54IPS/secret.age",
        "/media/images/ab/abcdef/original.jpg",
        "/media/images/ab/abcdef/ORIGINAL.JPG",
        "/media/images/ab/abcdef/Original.jpg",
        "/media/images/ab/abcdef/%6Friginal.jpg",
        "/media/images/%2e%2e/tips/2026/secret.age",
        "/media/images/..%2ftips/2026/secret.age",
        "/media/images/%252e%252e/tips/2026/secret.age",
        "/media/images/ab/%2e%2e/%2e%2e/tips/2026/secret.age",
        "/media/images/ab/..%5c..%5ctips/2026/secret.age",
        "/media/audio/paragraphs/abc.pcm",
        "/media/%2e%2e/%2e%2e/etc/passwd",
        "/audio/paragraphs%2fabc.pcm",
    ] {
        let answer = get(&edge.service, uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(!answer.body.contains("ciphertext"), "{uri}");
    }
}

async fn forwarding_headers_are_believed_only_from_trusted_proxies(store: TestStore) {
    newsroom(&store).await;
    let edge = edge(
        store,
        WebConfig {
            // The default public URL: TLS is known only from the proxy.
            base_url: "http://127.0.0.1:8080".to_owned(),
            trusted_proxies: TrustedProxies::parse("127.0.0.1/32", ProxyHeaders::XForwarded)
                .unwrap(),
            ..WebConfig::default()
        },
    )
    .await;
    let from = |peer: &str, headers: &[(&str, &str)]| {
        let mut request = Request::get("/readers/sign-in");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(Body::empty()).unwrap();
        let peer: std::net::SocketAddr = peer.parse().unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
        request
    };
    let claims = [
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
    ];
    let proxied = send(&edge.service, from("127.0.0.1:40000", &claims)).await;
    assert_eq!(proxied.status, StatusCode::OK);
    assert_eq!(
        proxied.headers[header::STRICT_TRANSPORT_SECURITY],
        "max-age=31536000"
    );
    let cookies: Vec<&str> = proxied
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(!cookies.is_empty());
    assert!(
        cookies.iter().all(|c| c.ends_with("; Secure")),
        "{cookies:?}"
    );
    // The same claims from anyone else are ignored.
    let forged = send(&edge.service, from("198.51.100.4:40000", &claims)).await;
    assert!(
        !forged
            .headers
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
    assert!(
        forged
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap().contains("Secure"))
    );
    // Cached pages carry HSTS too.
    let page = |peer: &str| {
        let mut request = Request::get("/politics/budget-vote")
            .header("x-forwarded-proto", "https")
            .body(Body::empty())
            .unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(
            peer.parse::<std::net::SocketAddr>().unwrap(),
        ));
        request
    };
    send(&edge.service, page("127.0.0.1:1")).await;
    let hit = send(&edge.service, page("127.0.0.1:1")).await;
    assert!(hit.headers.contains_key(header::STRICT_TRANSPORT_SECURITY));
    assert!(
        !send(&edge.service, page("192.0.2.1:1"))
            .await
            .headers
            .contains_key(header::STRICT_TRANSPORT_SECURITY)
    );
}

/// The attack: the comment count's poll was keyed by the page's point (`after`), so a client
/// opening streams with made-up `after` values started one count query per value every 5 s.
/// Now every page of an article shares one poll, each stream counting from its own point, and
/// the streams end once the article is not published.
async fn made_up_points_of_a_discussion_start_no_poll_of_their_own(store: TestStore) {
    let room = newsroom(&store).await;
    let editor =
        dateline_db::testing::staff_member(&store, "Ed", dateline_core::Role::Editor, None).await;
    let edge = edge(store, config()).await;
    let mut readers = Vec::new();
    for after in [0, 7, 123_456, i64::MAX] {
        let uri = format!("/discussion/{}/events?after={after}", room.first);
        let (status, body) = open_stream(&edge.service, &uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}");
        readers.push(body);
    }
    for body in &mut readers {
        assert_eq!(next_event(body, "count").await, "0");
    }
    assert_eq!(edge.state.live_topics(), 1, "one poll for every point");

    let comment = edge
        .state
        .store()
        .comments()
        .post(
            &NewComment {
                article_id: room.first,
                parent_id: None,
                author: CommentAuthor::Staff(editor.id),
                body: "The newsroom answers.".into(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    edge.state.apply_changes().await.unwrap();
    // Each page counts from its own point: the new comment is news to a page that shows none.
    assert_eq!(next_event(&mut readers[0], "count").await, "1");
    if comment.id > 7 {
        assert_eq!(next_event(&mut readers[1], "count").await, "1");
    }

    edge.state
        .store()
        .articles()
        .set_status(
            room.first,
            dateline_core::ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    edge.state.apply_changes().await.unwrap();
    for mut body in readers {
        let ended = tokio::time::timeout(Duration::from_secs(15), async {
            while let Some(chunk) = body.next().await {
                chunk.unwrap();
            }
        })
        .await;
        assert!(ended.is_ok(), "the stream of an unpublished article ends");
    }
}
