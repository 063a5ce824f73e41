//! The Content API (`/api/v1`): lists, filters, cursor pagination over the whole archive, bad
//! input as JSON 4xx, validators, CORS and the OpenAPI document — on both backends.

use std::collections::BTreeSet;

use axum::Router;
use axum::body::Body;
use dateline_core::ArticleStatus;
use dateline_db::testing::TestStore;
use http::{Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt;

use super::{Answer, article, get, get_with, newsroom, site};

fn json(answer: &Answer) -> Value {
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "application/json",
        "{}",
        answer.body
    );
    serde_json::from_str(&answer.body).expect("JSON body")
}

fn headlines(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| a["headline"].as_str().expect("headline").to_owned())
        .collect()
}

async fn list(app: &Router, uri: &str) -> Value {
    let answer = get(app, uri).await;
    assert_eq!(answer.status, StatusCode::OK, "{uri}: {}", answer.body);
    json(&answer)
}

async fn lists_and_filters_published_articles(store: TestStore) {
    let room = newsroom(&store).await;
    let mut draft = article(room.world, room.author, "draft-piece", "Draft piece", 1);
    draft.status = ArticleStatus::Draft;
    draft.first_published_at = None;
    store
        .articles()
        .create(&draft, jiff::Timestamp::now())
        .await
        .expect("draft");
    let pulled = store
        .articles()
        .create(
            &article(room.world, room.author, "pulled", "Pulled story", 2),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    store
        .articles()
        .set_status(
            pulled.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    let site = site(store).await;

    let all = get(&site.app, "/api/v1/articles").await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.headers["access-control-allow-origin"], "*");
    assert!(all.headers.contains_key(header::ETAG));
    assert!(
        all.headers[header::CACHE_CONTROL]
            .to_str()
            .expect("cc")
            .contains("public")
    );
    let all = json(&all);
    assert_eq!(
        headlines(&all),
        ["Summit opens", "Senate race tightens", "Budget vote passes"]
    );
    assert_eq!(all["next_cursor"], Value::Null);
    let first = &all["data"][2];
    assert_eq!(
        first["url"], "https://news.example/politics/budget-vote",
        "{first}"
    );
    assert_eq!(first["section"]["slug"], "politics");
    assert_eq!(first["authors"][0]["slug"], "ada-reporter");
    assert_eq!(first["tags"][0]["slug"], "elections");
    assert!(first.get("body_html").is_none(), "lists carry no body");

    let politics = list(&site.app, "/api/v1/articles?section=politics").await;
    assert_eq!(
        headlines(&politics),
        ["Senate race tightens", "Budget vote passes"]
    );
    let by_author = list(&site.app, "/api/v1/articles?author=ada-reporter&limit=2").await;
    assert_eq!(headlines(&by_author).len(), 2);
    assert!(by_author["next_cursor"].is_string());
    let tagged = list(&site.app, "/api/v1/articles?tag=elections&section=world").await;
    assert_eq!(headlines(&tagged), ["Summit opens"]);
    // Unknown slugs name nothing: an empty list, not an error.
    for uri in [
        "/api/v1/articles?section=no-such-section",
        "/api/v1/articles?author=nobody",
        "/api/v1/articles?tag=no-such-tag",
        "/api/v1/articles?updated_since=2999-01-01T00:00:00Z",
    ] {
        let empty = list(&site.app, uri).await;
        assert_eq!(headlines(&empty), Vec::<String>::new(), "{uri}");
        assert_eq!(empty["next_cursor"], Value::Null);
    }
    let recent = list(
        &site.app,
        "/api/v1/articles?updated_since=2000-01-01T00:00:00%2B02:00",
    )
    .await;
    assert_eq!(headlines(&recent).len(), 3);
    // RFC 3339 allows lowercase `t` and `z`, a leap second and any number of fraction digits.
    let leap = list(
        &site.app,
        "/api/v1/articles?updated_since=1998-12-31t23:59:60.123456789012z",
    )
    .await;
    assert_eq!(headlines(&leap).len(), 3);

    let sections = list(&site.app, "/api/v1/sections").await;
    assert_eq!(sections["data"][0]["slug"], "politics");
    assert_eq!(sections["data"][0]["url"], "https://news.example/politics");
    let authors = list(&site.app, "/api/v1/authors").await;
    assert_eq!(authors["data"][0]["role"], "Correspondent");
    assert_eq!(
        authors["data"][0]["url"],
        "https://news.example/authors/ada-reporter"
    );
}

async fn cursor_walks_the_whole_archive_once(store: TestStore) {
    let room = newsroom(&store).await;
    // Several articles share one publication time: the id breaks the tie, so none is lost or
    // repeated at a page boundary.
    let same_time = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30);
    for n in 0..23 {
        let mut input = article(
            room.world,
            room.author,
            &format!("wire-{n}"),
            &format!("Wire {n}"),
            6 + n,
        );
        if n % 3 == 0 {
            input.first_published_at = Some(same_time);
        }
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .expect("article");
    }
    let site = site(store).await;
    let expected: BTreeSet<i64> = {
        let page = list(&site.app, "/api/v1/articles?limit=100").await;
        page["data"]
            .as_array()
            .expect("data")
            .iter()
            .map(|a| a["id"].as_i64().expect("id"))
            .collect()
    };
    assert_eq!(expected.len(), 26);

    let mut seen = Vec::new();
    let mut uri = "/api/v1/articles?limit=4".to_owned();
    let mut pages = 0;
    loop {
        let page = list(&site.app, &uri).await;
        seen.extend(
            page["data"]
                .as_array()
                .expect("data")
                .iter()
                .map(|a| a["id"].as_i64().expect("id")),
        );
        pages += 1;
        if pages == 2 {
            // Publishing while a client walks the archive moves nothing under its cursor.
            site.state
                .store()
                .articles()
                .create(
                    &article(room.world, room.author, "breaking", "Breaking", 0),
                    jiff::Timestamp::now(),
                )
                .await
                .expect("article");
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => uri = format!("/api/v1/articles?limit=4&cursor={cursor}"),
            None => break,
        }
        assert!(pages < 20, "the walk does not end");
    }
    assert_eq!(pages, 7);
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "an article came twice: {seen:?}");
    assert_eq!(unique, expected);
}

async fn bad_input_is_a_json_4xx(store: TestStore) {
    let room = newsroom(&store).await;
    let pulled = store
        .articles()
        .create(
            &article(room.world, room.author, "pulled", "Pulled story", 2),
            jiff::Timestamp::now(),
        )
        .await
        .expect("article");
    store
        .articles()
        .set_status(
            pulled.id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    let site = site(store).await;
    for (uri, code) in [
        ("/api/v1/articles?cursor=zzz", "invalid_cursor"),
        (
            "/api/v1/articles?cursor=0123456789ABCDEF0123456789abcdef",
            "invalid_cursor",
        ),
        ("/api/v1/articles?limit=0", "invalid_limit"),
        ("/api/v1/articles?limit=101", "invalid_limit"),
        ("/api/v1/articles?limit=ten", "invalid_limit"),
        (
            "/api/v1/articles?limit=99999999999999999999",
            "invalid_limit",
        ),
        ("/api/v1/articles?q=budget", "unknown_parameter"),
        ("/api/v1/articles?section=Not%20A%20Slug", "invalid_slug"),
        ("/api/v1/articles?section=", "invalid_slug"),
        (
            "/api/v1/articles?updated_since=yesterday",
            "invalid_updated_since",
        ),
        (
            "/api/v1/articles?updated_since=2025-13-01T00:00:00Z",
            "invalid_updated_since",
        ),
        ("/api/v1/articles?limit=5&limit=6", "duplicate_parameter"),
        ("/api/v1/articles/budget", "invalid_id"),
        ("/api/v1/sections?page=2", "unknown_parameter"),
        ("/api/v1/authors?x=1", "unknown_parameter"),
        (
            "/api/v1/articles?updated_since=2025-01-01T00:00:00",
            "invalid_updated_since",
        ),
        (
            "/api/v1/articles?updated_since=2025-01-01%2000:00:00Z",
            "invalid_updated_since",
        ),
    ] {
        let answer = get(&site.app, uri).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{uri}");
        assert_eq!(json(&answer)["error"]["code"], code, "{uri}");
        assert_eq!(answer.headers["access-control-allow-origin"], "*");
    }
    for uri in [
        "/api/v1/articles/999999".to_owned(),
        "/api/v1/no-such-endpoint".to_owned(),
        "/api/v1/articles/-1".to_owned(),
        format!("/api/v1/articles/{}", pulled.id),
    ] {
        let answer = get(&site.app, &uri).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(json(&answer)["error"]["code"], "not_found");
    }
}

async fn article_answer_is_complete_and_revalidates(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let uri = format!("/api/v1/articles/{}", room.first);
    let answer = get(&site.app, &uri).await;
    assert_eq!(answer.status, StatusCode::OK);
    let body = json(&answer);
    assert_eq!(body["id"], room.first);
    assert_eq!(body["headline"], "Budget vote passes");
    assert_eq!(body["section"]["url"], "https://news.example/politics");
    assert_eq!(body["language"], "en");
    assert!(body["reading_minutes"].as_u64().expect("minutes") >= 1);
    assert!(
        body["body_html"]
            .as_str()
            .expect("html")
            .contains("<p>One paragraph of body text.</p>")
    );
    assert!(
        body["body_markdown"]
            .as_str()
            .expect("md")
            .contains("Another")
    );
    let published = body["first_published_at"].as_str().expect("time");
    assert!(published.parse::<jiff::Timestamp>().is_ok(), "{published}");
    assert_eq!(body["image"], Value::Null);

    let etag = answer.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let again = get_with(&site.app, &uri, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.headers[header::ETAG], etag.as_str());
    let list = get(&site.app, "/api/v1/articles?limit=2").await;
    let list_etag = list.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let list_again = get_with(
        &site.app,
        "/api/v1/articles?limit=2",
        &[("if-none-match", &format!("\"other\", W/{list_etag}"))],
    )
    .await;
    assert_eq!(list_again.status, StatusCode::NOT_MODIFIED);
    // Another query is another answer, with another validator.
    let other = get_with(
        &site.app,
        "/api/v1/articles?limit=1",
        &[("if-none-match", &list_etag)],
    )
    .await;
    assert_eq!(other.status, StatusCode::OK);

    let preflight = site
        .app
        .clone()
        .oneshot(
            Request::options("/api/v1/articles")
                .header("origin", "https://partner.example")
                .header("access-control-request-method", "GET")
                .header("access-control-request-headers", "if-none-match")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .expect("methods")
            .contains("GET")
    );
}

async fn openapi_document_lists_the_paths(store: TestStore) {
    let site = site(store).await;
    let answer = get(&site.app, "/api/v1/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["access-control-allow-origin"], "*");
    let doc = json(&answer);
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/api/v1/admin/comments/{id}/decision",
            "/api/v1/admin/comments/{id}/feature",
            "/api/v1/admin/comments/{id}/replies",
            "/api/v1/admin/readers/{id}/standing",
            "/api/v1/admin/articles/{id}/discussion",
            "/api/v1/admin/comment-rules",
            "/api/v1/articles",
            "/api/v1/articles/{id}",
            "/api/v1/sections",
            "/api/v1/authors",
            "/api/v1/search",
            "/api/v1/admin/whoami",
            "/api/v1/admin/articles",
            "/api/v1/admin/articles/{id}",
            "/api/v1/admin/articles/{id}/submit",
            "/api/v1/admin/articles/{id}/publish",
            "/api/v1/admin/articles/{id}/unpublish",
            "/api/v1/admin/articles/{id}/schedule",
            "/api/v1/admin/articles/{id}/notes",
            "/api/v1/admin/images",
            "/api/v1/admin/pages",
            "/api/v1/admin/pages/{id}",
            "/api/v1/admin/pages/{id}/publish",
            "/api/v1/admin/pages/{id}/unpublish",
        ])
    );
    // Every admin operation needs the bearer token the document describes.
    assert_eq!(
        doc["components"]["securitySchemes"]["bearerAuth"]["scheme"],
        "bearer"
    );
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let secured = operation["security"][0].get("bearerAuth").is_some();
            assert_eq!(
                secured,
                path.starts_with("/api/v1/admin/"),
                "{method} {path}"
            );
        }
    }
    let params: Vec<&str> = doc["paths"]["/api/v1/articles"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .map(|p| p["name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        params,
        [
            "section",
            "author",
            "tag",
            "updated_since",
            "limit",
            "cursor"
        ]
    );
    assert!(doc["components"]["schemas"]["ApiArticle"].is_object());
}

dateline_db::both_backends!(
    lists_and_filters_published_articles,
    cursor_walks_the_whole_archive_once,
    bad_input_is_a_json_4xx,
    article_answer_is_complete_and_revalidates,
    openapi_document_lists_the_paths,
);
