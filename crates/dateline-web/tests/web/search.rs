//! Search through the site: `/search`, `/api/v1/search` and the "Related" list, with the index
//! following the `changes` log — on both backends.

use std::sync::Arc;

use axum::Router;
use dateline_core::ArticleStatus;
use dateline_db::testing::TestStore;
use dateline_db::{AuthorInput, Store};
use dateline_search::TantivyIndex;
use dateline_search::follower::{SearchCursor, SiteSearch};
use http::{StatusCode, header};
use serde_json::Value;

use super::{Newsroom, article, get, newsroom, site};

struct Searchable {
    app: Router,
    search: Arc<SiteSearch>,
    store: Store,
    room: Newsroom,
    _site: super::Site,
}

async fn searchable(store: TestStore) -> Searchable {
    let room = newsroom(&store).await;
    let handle = store.store.clone();
    let site = site(store).await;
    let search = Arc::new(SiteSearch::new(
        Arc::new(TantivyIndex::in_memory().expect("index")),
        SearchCursor::Memory,
    ));
    let state = site.state.clone().with_search(search.clone());
    let report = search.sync(&handle).await.expect("first sync");
    assert!(report.rebuilt, "a node without a cursor rebuilds");
    assert_eq!(report.indexed, 3);
    Searchable {
        app: dateline_web::router(state),
        search,
        store: handle,
        room,
        _site: site,
    }
}

async fn api(app: &Router, query: &str) -> Value {
    let answer = get(app, &format!("/api/v1/search?{query}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body);
    serde_json::from_str(&answer.body).expect("JSON")
}

fn headlines(found: &Value) -> Vec<String> {
    found["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|hit| {
            hit["article"]["headline"]
                .as_str()
                .expect("headline")
                .to_owned()
        })
        .collect()
}

async fn published_articles_are_found_and_unpublished_ones_disappear(store: TestStore) {
    let site = searchable(store).await;
    let found = api(&site.app, "q=budget").await;
    assert_eq!(headlines(&found), ["Budget vote passes"]);
    assert_eq!(found["total"], 1);
    assert!(
        found["data"][0]["headline_html"]
            .as_str()
            .expect("html")
            .contains("<mark>Budget</mark>"),
        "{found}"
    );

    // A new article is found once the index has caught up with the changes log.
    let mut draft = article(
        site.room.world,
        site.room.author,
        "budget-abroad",
        "Budget talks abroad",
        1,
    );
    draft.status = ArticleStatus::Draft;
    draft.first_published_at = None;
    let draft = site
        .store
        .articles()
        .create(&draft, jiff::Timestamp::now())
        .await
        .expect("draft");
    site.search.sync(&site.store).await.expect("sync");
    assert_eq!(
        api(&site.app, "q=budget").await["total"],
        1,
        "drafts are never found"
    );
    site.store
        .articles()
        .set_status(draft.id, ArticleStatus::Published, jiff::Timestamp::now())
        .await
        .expect("publish");
    let report = site.search.sync(&site.store).await.expect("sync");
    assert!(!report.rebuilt);
    assert_eq!(api(&site.app, "q=budget").await["total"], 2);

    site.store
        .articles()
        .set_status(
            site.room.first,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    let report = site.search.sync(&site.store).await.expect("sync");
    assert_eq!(report.removed, 1);
    assert_eq!(
        headlines(&api(&site.app, "q=budget").await),
        ["Budget talks abroad"]
    );

    let page = get(&site.app, "/search?q=budget").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"href="/world/budget-abroad""#));
    assert!(
        !page.body.contains(r#"href="/politics/budget-vote""#),
        "unpublished story on the page"
    );
}

async fn renaming_an_author_reindexes_their_articles(store: TestStore) {
    let site = searchable(store).await;
    assert_eq!(api(&site.app, "q=Rosalind").await["total"], 0);
    site.store
        .people()
        .update_author(
            site.room.author,
            &AuthorInput {
                slug: "ada-reporter".into(),
                name: "Rosalind Reporter".into(),
                role: "Correspondent".into(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("rename");
    let report = site.search.sync(&site.store).await.expect("sync");
    assert_eq!(report.indexed, 3, "every article of the author is re-read");
    assert_eq!(api(&site.app, "q=Rosalind").await["total"], 3);
}

async fn the_search_page_filters_orders_and_paginates(store: TestStore) {
    let site = searchable(store).await;
    for n in 0..23 {
        site.store
            .articles()
            .create(
                &article(
                    site.room.world,
                    site.room.author,
                    &format!("harbour-{n}"),
                    &format!("Harbour report number {n}"),
                    100 + n,
                ),
                jiff::Timestamp::now(),
            )
            .await
            .expect("article");
    }
    site.search.sync(&site.store).await.expect("sync");

    let first = get(&site.app, "/search?q=harbour&order=newest").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("23 stories match; showing 1–20."),
        "{}",
        first.body
    );
    // Newest first: number 0 was published most recently.
    let zero = first
        .body
        .find("Harbour report number 0<")
        .or_else(|| first.body.find("<mark>Harbour</mark> report number 0<"));
    let one = first.body.find("report number 1<");
    assert!(
        zero.is_some() && one.is_some() && zero < one,
        "newest first"
    );
    assert!(
        first
            .body
            .contains(r#"href="/search?q=harbour&amp;order=newest&amp;page=2""#),
        "next page keeps the query"
    );
    assert!(
        first
            .body
            .contains(r#"<meta name="robots" content="noindex, follow">"#)
    );
    let cache = first.headers[header::CACHE_CONTROL].to_str().expect("cc");
    assert_eq!(
        cache, "public, max-age=60",
        "results are never in the page cache"
    );
    assert!(first.headers.get("surrogate-key").is_none());

    let second = get(&site.app, "/search?q=harbour&order=newest&page=2").await;
    assert!(second.body.contains("showing 21–23."), "{}", second.body);

    let politics = get(&site.app, "/search?q=passes&section=politics").await;
    assert!(politics.body.contains(r#"href="/politics/budget-vote""#));
    let world = get(&site.app, "/search?q=passes&section=world").await;
    assert!(world.body.contains("No stories match your search."));
    assert!(
        world.body.contains(r#"<option value="world" selected>"#),
        "the chosen filter stays chosen"
    );

    let api_world = api(&site.app, "q=harbour&section=world&limit=5&offset=20").await;
    assert_eq!(api_world["total"], 23);
    assert_eq!(api_world["data"].as_array().expect("data").len(), 3);
    assert!(api_world["next_offset"].is_null());
    let api_first = api(&site.app, "q=harbour&limit=5").await;
    assert_eq!(api_first["next_offset"], 5);
}

async fn bad_search_input_is_a_clear_answer(store: TestStore) {
    let site = searchable(store).await;
    let page = get(&site.app, "/search?q=budget&from=31-12-2025&order=sideways").await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(
        page.body.contains("Give a date as YYYY-MM-DD"),
        "{}",
        page.body
    );
    assert!(page.body.contains("Order by relevance or newest."));
    assert!(
        page.body.contains(r#"value="31-12-2025""#),
        "what was typed is re-shown"
    );
    assert!(page.body.contains(r#"value="budget""#));

    let inverted = get(
        &site.app,
        "/search?q=budget&from=2026-02-01&until=2026-01-01",
    )
    .await;
    assert_eq!(inverted.status, StatusCode::BAD_REQUEST);
    assert!(
        inverted
            .body
            .contains("The end date is before the start date.")
    );

    for hostile in [
        "%22",
        "%28%29%3A%2A%5C",
        "%00",
        "AND+OR+NOT",
        &"x".repeat(1000),
    ] {
        let page = get(&site.app, &format!("/search?q={hostile}")).await;
        assert_eq!(page.status, StatusCode::OK, "{hostile}");
        let answer = get(&site.app, &format!("/api/v1/search?q={hostile}")).await;
        assert_eq!(answer.status, StatusCode::OK, "{hostile}: {}", answer.body);
    }
    let huge = "x".repeat(1001);
    assert_eq!(
        get(&site.app, &format!("/api/v1/search?q={huge}"))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        get(&site.app, &format!("/search?q={huge}")).await.status,
        StatusCode::BAD_REQUEST
    );
    for bad in [
        "/api/v1/search",
        "/api/v1/search?q=a&q=b",
        "/api/v1/search?q=a&limit=0",
        "/api/v1/search?q=a&offset=10001",
        "/api/v1/search?q=a&section=Not%20A%20Slug",
        "/api/v1/search?q=a&from=2026-13-01",
        "/api/v1/search?q=a&order=&until=",
        "/api/v1/search?q=a&sort=newest",
    ] {
        let answer = get(&site.app, bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        let body: Value = serde_json::from_str(&answer.body).expect("JSON error");
        assert!(body["error"]["message"].as_str().is_some(), "{bad}");
    }
    // For a program an inverted range is a range with nothing in it.
    let empty = api(&site.app, "q=budget&from=2026-02-01&until=2026-01-01").await;
    assert_eq!(empty["total"], 0);
    assert_eq!(api(&site.app, "q=").await["total"], 0);
}

async fn the_article_page_lists_related_stories_outside_its_section(store: TestStore) {
    let site = searchable(store).await;
    let similar = site
        .store
        .articles()
        .create(
            &article(
                site.room.world,
                site.room.author,
                "budget-vote-abroad",
                "Budget vote passes abroad too",
                2,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    site.search.sync(&site.store).await.expect("sync");
    let page = get(&site.app, "/politics/budget-vote").await;
    assert_eq!(page.status, StatusCode::OK);
    let related = page
        .body
        .split(r#"id="related-heading""#)
        .nth(1)
        .expect("a Related list");
    assert!(
        related.contains("Budget vote passes abroad too"),
        "{related}"
    );
    assert!(
        !related.contains(r#"href="/politics/budget-vote""#),
        "never itself"
    );
    assert!(
        !related.contains("Senate race tightens"),
        "not what More in Politics already shows"
    );
    let keys = page.headers["surrogate-key"].to_str().expect("keys");
    assert!(
        keys.contains(&format!("article:{}", similar.id)),
        "the page drops when a related story changes"
    );
}

async fn a_node_rebuilds_when_it_missed_pruned_changes(store: TestStore) {
    let site = searchable(store).await;
    // Simulate a node that was down while the log was pruned past its cursor.
    site.store
        .articles()
        .create(
            &article(
                site.room.world,
                site.room.author,
                "late",
                "Late harbour story",
                1,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    site.store
        .articles()
        .create(
            &article(site.room.world, site.room.author, "later", "Later story", 1),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    site.store
        .changes()
        .prune(jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1))
        .await
        .expect("prune");
    let report = site.search.sync(&site.store).await.expect("sync");
    assert!(report.rebuilt, "{report:?}");
    assert_eq!(api(&site.app, "q=harbour").await["total"], 1);
    assert_eq!(site.search.index().doc_count().expect("count"), 5);
}

async fn a_rebuild_drops_cached_pages_whose_related_list_may_change(store: TestStore) {
    let room = newsroom(&store).await;
    let handle = store.store.clone();
    let site = site(store).await;
    handle
        .articles()
        .create(
            &article(
                room.world,
                room.author,
                "vote-abroad",
                "Budget vote passes abroad",
                2,
            ),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    // The page is first rendered (and cached) before the node has indexed anything.
    let search = Arc::new(SiteSearch::new(
        Arc::new(TantivyIndex::in_memory().expect("index")),
        SearchCursor::Memory,
    ));
    let state = site.state.clone().with_search(search.clone());
    let app = dateline_web::router(state.clone());
    let before = get(&app, "/politics/budget-vote").await;
    assert!(!before.body.contains("related-heading"));
    assert!(
        !get(&app, "/politics/budget-vote")
            .await
            .body
            .contains("related-heading"),
        "cached"
    );

    // The follower rebuilds on its own; the site hears of it and drops its related lists.
    let report = search.sync(state.store()).await.expect("sync");
    assert!(report.rebuilt);
    let after = get(&app, "/politics/budget-vote").await;
    assert!(
        after.body.contains("related-heading"),
        "the cached page was dropped"
    );
    assert!(after.body.contains(r#"href="/world/vote-abroad""#));
}

dateline_db::both_backends!(
    a_rebuild_drops_cached_pages_whose_related_list_may_change,
    published_articles_are_found_and_unpublished_ones_disappear,
    renaming_an_author_reindexes_their_articles,
    the_search_page_filters_orders_and_paginates,
    bad_search_input_is_a_clear_answer,
    the_article_page_lists_related_stories_outside_its_section,
    a_node_rebuilds_when_it_missed_pruned_changes,
);

/// Several nodes sharing one PostgreSQL full-text index: one sync (the `search.sync` job) serves
/// them all, and its cursor lives in the database, so a second node is not behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_share_a_postgres_index_and_its_cursor() {
    let store = dateline_db::testing::postgres().await;
    let room = newsroom(&store).await;
    let handle = store.store.clone();
    let pool = handle.postgres_pool().expect("postgres").clone();
    let shared_index = |pool: sqlx::PgPool| {
        let runtime = tokio::runtime::Handle::current();
        Arc::new(SiteSearch::new(
            Arc::new(dateline_search::PostgresIndex::new(pool, runtime).expect("index")),
            SearchCursor::Shared,
        ))
    };
    let site = site(store).await;
    let first_node = shared_index(pool.clone());
    assert!(first_node.is_shared());
    let state = site.state.clone().with_search(first_node.clone());
    assert!(first_node.is_behind(&handle).await.expect("behind?"));
    let report = first_node.sync(state.store()).await.expect("first sync");
    assert!(report.rebuilt, "no cursor in the database yet");
    assert_eq!(report.indexed, 3);

    let second_node = shared_index(pool);
    assert!(
        !second_node.is_behind(&handle).await.expect("behind?"),
        "the cursor is shared"
    );
    handle
        .articles()
        .create(
            &article(room.world, room.author, "harbour", "Harbour strike ends", 1),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    assert!(second_node.is_behind(&handle).await.expect("behind?"));
    let report = second_node.sync(&handle).await.expect("sync");
    assert!(!report.rebuilt);
    assert_eq!(report.indexed, 1);
    assert!(!first_node.is_behind(&handle).await.expect("behind?"));
    let app = dateline_web::router(state);
    assert_eq!(
        api(&app, "q=harbour").await["total"],
        1,
        "the first node finds it too"
    );

    // The cursor never moves back when a slower node finishes later.
    let cursor = handle
        .search()
        .shared_cursor()
        .await
        .expect("cursor")
        .expect("set");
    handle
        .search()
        .advance_shared_cursor(cursor - 1, false)
        .await
        .expect("advance");
    assert_eq!(
        handle.search().shared_cursor().await.expect("cursor"),
        Some(cursor)
    );
}
