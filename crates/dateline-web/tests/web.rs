//! Handler tests through the front door (`tower::ServiceExt::oneshot`), on SQLite and PostgreSQL.

#[path = "web/admin_api.rs"]
mod admin_api;
#[path = "web/api.rs"]
mod api;
#[path = "web/corrections.rs"]
mod corrections;
#[path = "web/discussion.rs"]
mod discussion;
#[path = "web/edge.rs"]
mod edge;
#[path = "web/feeds.rs"]
mod feeds;
#[path = "web/imported.rs"]
mod imported;
#[path = "web/listen.rs"]
mod listen;
#[path = "web/listener.rs"]
mod listener;
#[path = "web/live.rs"]
mod live;
#[path = "web/newsroom_auth.rs"]
mod newsroom_auth;
#[path = "web/newsroom_editor.rs"]
mod newsroom_editor;
#[path = "web/newsroom_library.rs"]
mod newsroom_library;
#[path = "web/newsroom_narration.rs"]
mod newsroom_narration;
#[path = "web/newsroom_site.rs"]
mod newsroom_site;
#[path = "web/newsroom_writing.rs"]
mod newsroom_writing;
#[path = "web/operations.rs"]
mod operations;
#[path = "web/refusals.rs"]
mod refusals;
#[path = "web/search.rs"]
mod search;
#[path = "web/sitemaps.rs"]
mod sitemaps;
#[path = "web/static_pages.rs"]
mod static_pages;
#[path = "web/tips.rs"]
mod tips;
#[path = "web/tips_inbox.rs"]
mod tips_inbox;

use axum::Router;
use axum::body::Body;
use dateline_core::{ArticleStatus, paths};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, AuthorInput, SectionInput, Store};
use dateline_storage::MediaStore;
use dateline_web::{AppState, WebConfig};
use http::{Request, StatusCode, header};
use tower::ServiceExt;

struct Site {
    state: AppState,
    app: Router,
    _media: tempfile::TempDir,
    _store: TestStore,
}

/// One node's state over `store` and the media folder `media`, as every test site is configured.
async fn node_state(store: &dateline_db::Store, media: &std::path::Path) -> AppState {
    AppState::new(
        store.clone(),
        MediaStore::local(media).expect("media store"),
        WebConfig {
            base_url: "https://news.example".to_owned(),
            ..WebConfig::default()
        },
    )
    .await
    .expect("app state")
}

async fn site(store: TestStore) -> Site {
    let media_folder = tempfile::tempdir().expect("media folder");
    let state = node_state(&store.store, media_folder.path()).await;
    Site {
        app: dateline_web::router(state.clone()),
        state,
        _media: media_folder,
        _store: store,
    }
}

/// Another node of the same site: its own `AppState` (memory, page cache, limits' fast paths)
/// on the same database and storage.
async fn another_node(site: &Site) -> Router {
    another_node_with_state(site).await.1
}

/// [`another_node`], with its state, for the tests that drive its background work by hand.
async fn another_node_with_state(site: &Site) -> (AppState, Router) {
    let state = node_state(site.state.store(), site._media.path()).await;
    (state.clone(), dateline_web::router(state))
}

struct Answer {
    status: StatusCode,
    headers: http::HeaderMap,
    body: String,
}

async fn get_with(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Answer {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("body");
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

async fn get(app: &Router, uri: &str) -> Answer {
    get_with(app, uri, &[]).await
}

/// Two sections, one author, three published articles: two in Politics, one in World.
struct Newsroom {
    politics: i64,
    world: i64,
    author: i64,
    first: i64,
}

fn article(
    section_id: i64,
    author: i64,
    slug: &str,
    headline: &str,
    hours_ago: i64,
) -> ArticleInput {
    ArticleInput {
        section_id,
        slug: slug.to_owned(),
        headline: headline.to_owned(),
        standfirst: format!("Standfirst of {headline}."),
        body: "One paragraph of body text.\n\nAnother paragraph.".to_owned(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: vec![author],
        tags: vec!["Elections".to_owned()],
        language: "en".to_owned(),
        comments_open: true,
        status: ArticleStatus::Published,
        first_published_at: Some(
            jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours_ago),
        ),
        updated_at: None,
    }
}

async fn newsroom(store: &Store) -> Newsroom {
    let politics = store
        .site()
        .create_section(
            &SectionInput {
                slug: "politics".into(),
                name: "Politics".into(),
                description: "Government and elections.".into(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("section");
    let world = store
        .site()
        .create_section(
            &SectionInput {
                slug: "world".into(),
                name: "World".into(),
                description: String::new(),
                position: 1,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("section");
    let author = store
        .people()
        .create_author(
            &AuthorInput {
                slug: "ada-reporter".into(),
                name: "Ada Reporter".into(),
                role: "Correspondent".into(),
                bio: "Ada covers everything.".into(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let first = store
        .articles()
        .create(
            &article(
                politics.id,
                author.id,
                "budget-vote",
                "Budget vote passes",
                5,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    store
        .articles()
        .create(
            &article(
                politics.id,
                author.id,
                "senate-race",
                "Senate race tightens",
                4,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    store
        .articles()
        .create(
            &article(world.id, author.id, "summit-opens", "Summit opens", 3),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    Newsroom {
        politics: politics.id,
        world: world.id,
        author: author.id,
        first: first.id,
    }
}

async fn article_page_has_metadata_and_headers(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let page = get(&site.app, "/politics/budget-vote").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Budget vote passes"));
    assert!(
        page.body.contains(r#"href="/authors/ada-reporter""#),
        "byline links to author"
    );
    assert!(page.body.contains("1 min read"));
    assert!(page.body.contains(r#""@type":"NewsArticle""#));
    assert!(page.body.contains(r#"property="og:title""#));
    assert!(
        page.body
            .contains(r#"rel="canonical" href="https://news.example/politics/budget-vote""#)
    );
    for network in [
        "x", "facebook", "linkedin", "whatsapp", "bluesky", "threads", "reddit", "telegram",
        "email",
    ] {
        assert!(
            page.body.contains(&format!(r#"data-network="{network}""#)),
            "share {network}"
        );
    }
    assert!(
        page.body.contains("Senate race tightens"),
        "More in Politics lists the other story"
    );
    assert!(
        !page.body.contains("Summit opens"),
        "World story is not in More in Politics"
    );
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    let keys = page.headers["surrogate-key"].to_str().expect("keys");
    assert!(keys.contains(&format!("article:{}", room.first)));
    assert!(
        page.headers[header::CACHE_CONTROL]
            .to_str()
            .expect("cc")
            .contains("s-maxage")
    );
    let etag = page.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();

    let again = get_with(
        &site.app,
        "/politics/budget-vote",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());

    let gzip = get_with(
        &site.app,
        "/politics/budget-vote",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(gzip.headers[header::VARY], "accept-encoding");
    let brotli = get_with(
        &site.app,
        "/politics/budget-vote",
        &[("accept-encoding", "gzip, br")],
    )
    .await;
    assert_eq!(brotli.headers[header::CONTENT_ENCODING], "br");

    let head = site
        .app
        .clone()
        .oneshot(
            Request::head("/politics/budget-vote")
                .body(Body::empty())
                .expect("req"),
        )
        .await
        .expect("response");
    assert_eq!(head.status(), StatusCode::OK);
    let length: usize = head.headers()[header::CONTENT_LENGTH]
        .to_str()
        .expect("len")
        .parse()
        .expect("n");
    assert_eq!(length, page.body.len());
    let bytes = axum::body::to_bytes(head.into_body(), usize::MAX)
        .await
        .expect("body");
    assert!(bytes.is_empty(), "HEAD has no body");
}

async fn editing_an_article_drops_exactly_the_pages_that_show_it(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let watched = [
        "/politics/budget-vote",
        "/politics/senate-race",
        "/world/summit-opens",
        "/politics",
        "/world",
        "/",
        "/authors/ada-reporter",
    ];
    for path in watched {
        assert_eq!(get(&site.app, path).await.status, StatusCode::OK, "{path}");
        assert!(site.state.cache().contains(path), "{path} cached");
    }
    let current = site
        .state
        .store()
        .articles()
        .by_id(room.first)
        .await
        .expect("load")
        .expect("exists");
    let mut edit = article(
        room.politics,
        room.author,
        "budget-vote",
        "Budget vote passes narrowly",
        5,
    );
    edit.first_published_at = current.first_published_at;
    site.state
        .store()
        .articles()
        .update(room.first, current.version, &edit, jiff::Timestamp::now())
        .await
        .expect("edit");
    site.state.apply_changes().await.expect("follow changes");

    for path in [
        "/politics/budget-vote",
        "/politics/senate-race",
        "/politics",
        "/",
        "/authors/ada-reporter",
    ] {
        assert!(
            !site.state.cache().contains(path),
            "{path} shows the article and was dropped"
        );
        assert!(
            get(&site.app, path)
                .await
                .body
                .contains("Budget vote passes narrowly"),
            "{path}"
        );
    }
    assert!(
        site.state.cache().contains("/world/summit-opens"),
        "unrelated article stays cached"
    );
    assert!(
        site.state.cache().contains("/world"),
        "unrelated section stays cached"
    );
}

async fn moving_an_article_redirects_its_old_urls(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let current = site
        .state
        .store()
        .articles()
        .by_id(room.first)
        .await
        .expect("load")
        .expect("exists");
    let mut edit = article(
        room.world,
        room.author,
        "budget-vote-abroad",
        "Budget vote passes",
        5,
    );
    edit.first_published_at = current.first_published_at;
    site.state
        .store()
        .articles()
        .update(room.first, current.version, &edit, jiff::Timestamp::now())
        .await
        .expect("edit");
    let old = get(&site.app, "/politics/budget-vote").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.headers[header::LOCATION], "/world/budget-vote-abroad");
    assert_eq!(
        get(&site.app, "/world/budget-vote-abroad").await.status,
        StatusCode::OK
    );

    let section = site
        .state
        .store()
        .site()
        .section_by_slug("politics")
        .await
        .expect("q")
        .expect("s");
    site.state
        .store()
        .site()
        .update_section(
            section.id,
            &SectionInput {
                slug: "government".into(),
                name: "Government".into(),
                description: section.description.clone(),
                position: section.position,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("rename section");
    let old_section = get(&site.app, "/politics").await;
    assert_eq!(old_section.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old_section.headers[header::LOCATION], "/government");
    let old_article = get(&site.app, "/politics/senate-race").await;
    assert_eq!(old_article.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        old_article.headers[header::LOCATION],
        paths::article("government", "senate-race")
    );
}

async fn bad_input_never_fails_the_server(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    let missing = get(&site.app, "/no-such-page/at-all/here").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<html"), "themed 404");
    assert_eq!(
        get(&site.app, "/politics/no-such-story").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/nowhere").await.status,
        StatusCode::NOT_FOUND
    );
    for nul in [
        "/%00",
        "/politics/%00",
        "/authors/a%00b",
        "/tags/%00",
        "/politics/a%00",
    ] {
        assert_eq!(
            get(&site.app, nul).await.status,
            StatusCode::NOT_FOUND,
            "{nul}"
        );
    }
    let malformed = get(&site.app, "/%zz/%C3%28").await;
    assert!(malformed.status.is_client_error(), "{}", malformed.status);
    assert_eq!(
        get(&site.app, "/politics?page=abc").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/politics?page=0").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/politics?page=99").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/politics?utm_source=mail&x=%zz")
            .await
            .status,
        StatusCode::OK
    );
    let huge = "x".repeat(16 * 1024);
    assert_eq!(
        get_with(&site.app, "/", &[("x-huge", &huge)]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&site.app, "/media/../../etc/passwd").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/media/images/none.jpg").await.status,
        StatusCode::NOT_FOUND
    );
    let robots = get(&site.app, "/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.body.contains("User-agent: *"));
    assert_eq!(get(&site.app, "/healthz").await.status, StatusCode::OK);
}

/// 25 more stories in World ("Dispatch 0" the newest): two pages of it.
async fn long_world_section(store: &Store, room: &Newsroom) {
    for n in 0..25 {
        store
            .articles()
            .create(
                &article(
                    room.world,
                    room.author,
                    &format!("dispatch-{n}"),
                    &format!("Dispatch {n}"),
                    10 + n,
                ),
                jiff::Timestamp::now(),
            )
            .await
            .expect("article");
    }
}

async fn listing_pages_paginate(store: TestStore) {
    let room = newsroom(&store).await;
    long_world_section(&store, &room).await;
    let site = site(store).await;
    let first = get(&site.app, "/world").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(first.body.contains("Dispatch 0"));
    assert!(first.body.contains(r#"rel="next""#));
    let second = get(&site.app, "/world?page=2").await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("Dispatch 24"));
    assert!(!second.body.contains("Dispatch 0<"));
    assert!(second.body.contains(r#"rel="prev""#));
    let tag = get(&site.app, "/tags/elections").await;
    assert_eq!(tag.status, StatusCode::OK);
    assert!(tag.body.contains("Budget vote passes"));
    let author = get(&site.app, "/authors/ada-reporter").await;
    assert!(author.body.contains("Ada covers everything."));
    // Author and tag lists page the same way: every dispatch once across their two pages, then
    // nothing past the last.
    for list in ["/authors/ada-reporter", "/tags/elections"] {
        let first = get(&site.app, list).await;
        let second = get(&site.app, &format!("{list}?page=2")).await;
        assert_eq!(second.status, StatusCode::OK, "{list}");
        assert!(second.body.contains("Page 2 of 2"), "{list}");
        for n in 0..25 {
            let card = format!("Dispatch {n}<");
            let shown = [&first.body, &second.body]
                .iter()
                .filter(|body| body.contains(&card))
                .count();
            assert_eq!(shown, 1, "{list}: {card}");
        }
        for past in ["?page=3", "?page=100000", "?page=02", "?page=-1"] {
            assert_eq!(
                get(&site.app, &format!("{list}{past}")).await.status,
                StatusCode::NOT_FOUND,
                "{list}{past}"
            );
        }
    }
}

/// The demo newsroom's lead is the reference article, complete.
async fn reference_article_from_the_demo(store: TestStore) {
    let site = site(store).await;
    let report = dateline_demo::load_newsroom(
        site.state.store(),
        site.state.media(),
        jiff::Timestamp::now(),
    )
    .await
    .expect("demo loads");
    assert!(report.articles >= 30);
    // The demo admin ships without a password (a one-time link is printed on first start).
    assert_eq!(report.admin_email, dateline_demo::DEMO_ADMIN_EMAIL);
    assert_eq!(
        site.state
            .store()
            .people()
            .staff_password_hash(report.admin_id)
            .await
            .expect("hash"),
        None
    );
    let path = "/politics/trump-invites-colombias-gustavo-petro-to-white-house-after-confrontation";
    assert_eq!(report.lead_path, path);
    let page = get(&site.app, path).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = &page.body;
    assert!(
        html.contains("Trump Invites Colombia’s Gustavo Petro to White House After Confrontation")
    );
    assert!(
        html.contains("3 min read"),
        "reading time of the reference article"
    );
    assert!(html.contains("AI-generated illustration"));
    assert!(html.contains("James Thompson"));
    assert!(html.contains("srcset="));
    assert!(html.contains("image/webp"));
    assert!(html.contains("trainedAlgorithmicMedia"));
    assert!(html.contains(r#"More in <a href="/politics">Politics</a>"#));
    // The demo's static pages: linked from every footer (the corrections policy under the name
    // the settings give it), and the policy named in the article's JSON-LD.
    assert!(html.contains(r#"<a href="/about">About the Courier</a>"#));
    assert!(html.contains(r#"<a href="/corrections-policy">Corrections policy</a>"#));
    assert!(html.contains(r#""correctionsPolicy":"https://news.example/corrections-policy""#));
    for page in ["/about", "/corrections-policy"] {
        let answer = get(&site.app, page).await;
        assert_eq!(answer.status, StatusCode::OK, "{page}");
    }
    // The demo discussion: threaded, an editor's pick, a reply from the newsroom.
    assert!(html.contains("(5 comments)"), "the demo discussion");
    assert!(html.contains("Editor’s pick"));
    assert!(html.contains(r#"<span class="comment-badge">Staff</span>"#));
    assert!(html.contains("comment-depth-2"));
    assert!(html.contains(r#""commentCount":5"#));
    let front = get(&site.app, "/").await;
    let lead_at = front.body.find(path).expect("front links the lead");
    let others = front.body.find("/world/").unwrap_or(usize::MAX);
    assert!(
        lead_at < others,
        "the front page leads with the reference article"
    );
    // Every picture on the page is served by us.
    let src_start = html.find("/media/images/").expect("an image URL");
    let src_end = src_start + html[src_start..].find(['"', ' ']).expect("end");
    let image = get(&site.app, &html[src_start..src_end]).await;
    assert_eq!(image.status, StatusCode::OK);
    assert!(
        image.headers[header::CACHE_CONTROL]
            .to_str()
            .expect("cc")
            .contains("immutable")
    );

    // Live coverage of the reactions, ended: a dozen entries, two key events at the top.
    let reactions = get(
        &site.app,
        "/world/reactions-to-trumps-invitation-to-petro-live",
    )
    .await;
    assert_eq!(reactions.status, StatusCode::OK);
    assert!(reactions.body.contains("Live coverage has ended"));
    assert!(!reactions.body.contains("data-live-events"));
    assert_eq!(
        reactions.body.matches(r#"<li class="live-entry"#).count(),
        13
    );
    let key_events = &reactions.body[reactions.body.find("live-key-events").expect("key events")..];
    let key_events = &key_events[..key_events.find("</nav>").expect("end of the list")];
    assert_eq!(key_events.matches("<li>").count(), 2);
    assert!(key_events.contains("An invitation to Washington, but no date"));
    // And one still running: its page listens for new entries, the front page badges it.
    let count = get(&site.app, "/politics/brennan-falls-votes-live-results").await;
    assert_eq!(count.status, StatusCode::OK);
    assert!(count.body.contains("data-live-events"));
    assert!(count.body.contains("Polls are closed"));
    assert!(front.body.contains(r#"class="live-badge""#));
}

dateline_db::both_backends!(
    article_page_has_metadata_and_headers,
    editing_an_article_drops_exactly_the_pages_that_show_it,
    moving_an_article_redirects_its_old_urls,
    bad_input_never_fails_the_server,
    listing_pages_paginate,
    reference_article_from_the_demo,
);
