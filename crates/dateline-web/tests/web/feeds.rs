//! Feeds: RSS 2.0, Atom and JSON Feed 1.1 for the site, a section and an author.

use super::*;

/// The nine feed URLs of the test newsroom: site, the Politics section and Ada's.
fn feed_urls() -> Vec<(String, &'static str)> {
    let mut urls = Vec::new();
    for folder in [
        "/feeds",
        "/feeds/sections/politics",
        "/feeds/authors/ada-reporter",
    ] {
        urls.push((
            format!("{folder}/rss.xml"),
            "application/rss+xml; charset=utf-8",
        ));
        urls.push((
            format!("{folder}/atom.xml"),
            "application/atom+xml; charset=utf-8",
        ));
        urls.push((format!("{folder}/feed.json"), "application/feed+json"));
    }
    urls
}

async fn published_articles_appear_in_every_feed(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    for (url, content_type) in feed_urls() {
        let feed = get(&site.app, &url).await;
        assert_eq!(feed.status, StatusCode::OK, "{url}");
        assert_eq!(feed.headers[header::CONTENT_TYPE], content_type, "{url}");
        assert!(feed.headers.contains_key(header::ETAG), "{url}");
        assert!(feed.body.contains("Budget vote passes"), "{url}");
        // Full text, not just the standfirst.
        assert!(feed.body.contains("Another paragraph."), "{url}");
        assert!(
            feed.body
                .contains("https://news.example/politics/budget-vote"),
            "{url}: absolute article URL"
        );
        let in_world = feed.body.contains("Summit opens");
        assert_eq!(in_world, !url.contains("/sections/politics/"), "{url}");
    }
    let rss = get(&site.app, "/feeds/rss.xml").await.body;
    assert!(rss.contains(
        r#"<atom:link href="https://news.example/feeds/rss.xml" rel="self" type="application/rss+xml"/>"#
    ));
    assert!(
        rss.contains(
            r#"<guid isPermaLink="true">https://news.example/politics/budget-vote</guid>"#
        )
    );
    assert!(rss.contains("<dc:creator>Ada Reporter</dc:creator>"));
    assert!(rss.contains("<content:encoded>&lt;p&gt;One paragraph of body text.&lt;/p&gt;"));
    let atom = get(&site.app, "/feeds/sections/politics/atom.xml")
        .await
        .body;
    assert!(atom.contains(r#"<content type="html">"#));
    assert!(atom.contains(r#"<category term="elections" label="Elections"/>"#));
    assert!(atom.contains(
        r#"<link rel="self" type="application/atom+xml" href="https://news.example/feeds/sections/politics/atom.xml"/>"#
    ));
}

async fn json_feed_follows_version_1_1(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    let answer = get(&site.app, "/feeds/authors/ada-reporter/feed.json").await;
    let feed: serde_json::Value = serde_json::from_str(&answer.body).expect("JSON Feed parses");
    assert_eq!(feed["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(
        feed["feed_url"],
        "https://news.example/feeds/authors/ada-reporter/feed.json"
    );
    assert_eq!(
        feed["home_page_url"],
        "https://news.example/authors/ada-reporter"
    );
    let items = feed["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    // Newest first.
    assert_eq!(items[0]["title"], "Summit opens");
    let item = &items[2];
    assert_eq!(item["id"], "https://news.example/politics/budget-vote");
    assert_eq!(item["url"], item["id"]);
    assert_eq!(item["summary"], "Standfirst of Budget vote passes.");
    assert!(
        item["content_html"]
            .as_str()
            .expect("content_html")
            .contains("<p>Another paragraph.</p>")
    );
    assert_eq!(item["authors"][0]["name"], "Ada Reporter");
    assert_eq!(item["tags"], serde_json::json!(["Politics", "Elections"]));
    for field in ["date_published", "date_modified"] {
        let date = item[field].as_str().expect(field);
        date.parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("{field} {date} is not RFC 3339: {e}"));
    }
}

async fn unpublished_articles_leave_the_feeds(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    for (url, _) in feed_urls() {
        assert!(
            get(&site.app, &url)
                .await
                .body
                .contains("Budget vote passes")
        );
    }
    site.state
        .store()
        .articles()
        .set_status(
            room.first,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    site.state.apply_changes().await.expect("follow changes");
    for (url, _) in feed_urls() {
        let feed = get(&site.app, &url).await;
        assert_eq!(feed.status, StatusCode::OK, "{url}");
        assert!(!feed.body.contains("Budget vote passes"), "{url}");
        assert!(feed.body.contains("Senate race tightens"), "{url}");
    }
}

async fn feeds_answer_conditional_requests(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    for (url, _) in feed_urls() {
        let first = get(&site.app, &url).await;
        let etag = first.headers[header::ETAG]
            .to_str()
            .expect("etag")
            .to_owned();
        let again = get_with(&site.app, &url, &[("if-none-match", &etag)]).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{url}");
        assert!(again.body.is_empty());
    }
}

async fn unknown_feeds_are_not_found(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    for url in [
        "/feeds/sections/no-such-section/rss.xml",
        "/feeds/authors/no-such-author/atom.xml",
        "/feeds/sections/politics/feed.xml",
        "/feeds/rss.json",
        "/feeds/sections/politics",
        "/feeds/authors/%00/feed.json",
        "/feeds/sections/Politics/rss.xml",
        "/feeds/sections/%E2%80%AE/atom.xml",
    ] {
        assert_eq!(
            get(&site.app, url).await.status,
            StatusCode::NOT_FOUND,
            "{url}"
        );
    }
    let huge = format!("/feeds/authors/{}/rss.xml", "a".repeat(10_000));
    assert_eq!(get(&site.app, &huge).await.status, StatusCode::NOT_FOUND);
}

async fn renamed_sections_keep_their_subscribers(store: TestStore) {
    let room = newsroom(&store).await;
    store
        .site()
        .update_section(
            room.politics,
            &SectionInput {
                slug: "government".into(),
                name: "Government".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("rename");
    let site = site(store).await;
    let old = get(&site.app, "/feeds/sections/politics/atom.xml").await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(
        old.headers[header::LOCATION],
        "/feeds/sections/government/atom.xml"
    );
    let new = get(&site.app, "/feeds/sections/government/atom.xml").await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(
        new.body
            .contains("https://news.example/government/budget-vote")
    );
}

async fn feeds_escape_text_and_pages_announce_them(store: TestStore) {
    let room = newsroom(&store).await;
    let mut tricky = article(
        room.world,
        room.author,
        "tom-and-jerry",
        "Tom & Jerry <b>]]></b>",
        1,
    );
    tricky.body = "Cats & mice: <script>alert(1)</script> \u{1}".to_owned();
    store
        .articles()
        .create(&tricky, jiff::Timestamp::now())
        .await
        .expect("article");
    let site = site(store).await;
    let rss = get(&site.app, "/feeds/rss.xml").await.body;
    assert!(rss.contains("<title>Tom &amp; Jerry &lt;b&gt;]]&gt;&lt;/b&gt;</title>"));
    assert!(!rss.contains("]]>") && !rss.contains("<script") && !rss.contains('\u{1}'));
    let atom = get(&site.app, "/feeds/atom.xml").await.body;
    assert!(atom.contains("Cats &amp;amp; mice"));

    let front = get(&site.app, "/").await.body;
    assert!(
        front
            .contains(r#"type="application/rss+xml" title="Dateline (RSS)" href="/feeds/rss.xml""#),
        "{front}"
    );
    assert!(front.contains(r#"href="/feeds/feed.json""#));
    assert!(!front.contains("/feeds/sections/"));
    let section = get(&site.app, "/politics").await.body;
    assert!(section.contains(r#"href="/feeds/sections/politics/atom.xml""#));
    let article_page = get(&site.app, "/politics/budget-vote").await.body;
    assert!(article_page.contains(r#"href="/feeds/sections/politics/rss.xml""#));
    let author = get(&site.app, "/authors/ada-reporter").await.body;
    assert!(author.contains(r#"type="application/feed+json" title="Dateline – Ada Reporter (JSON Feed)" href="/feeds/authors/ada-reporter/feed.json""#));
}

dateline_db::both_backends!(
    published_articles_appear_in_every_feed,
    json_feed_follows_version_1_1,
    unpublished_articles_leave_the_feeds,
    feeds_answer_conditional_requests,
    unknown_feeds_are_not_found,
    renamed_sections_keep_their_subscribers,
    feeds_escape_text_and_pages_announce_them,
);
