//! Sitemaps: the index, monthly article sitemaps with images, section and author sitemaps, the
//! Google News sitemap (48 hours, fixed clock) and robots.txt.

use dateline_core::ImageVariant;
use dateline_db::ImageInput;

use super::*;

/// A minimal well-formedness check (XML 1.0): one root, every tag closed in order, attribute and
/// text content free of raw `<` and of `&` outside the five predefined entities.
fn assert_well_formed(xml: &str) {
    let body = xml
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .expect("XML declaration first");
    let mut open: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = body;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start]);
        let end = start + rest[start..].find('>').expect("tag ends");
        let tag = &rest[start + 1..end];
        assert!(!tag.contains('<'), "stray < in {tag}");
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop(), Some(name.trim()), "closing tag out of order");
        } else {
            let self_closing = tag.ends_with('/');
            let name = tag
                .trim_end_matches('/')
                .split_whitespace()
                .next()
                .expect("tag name");
            check_text(&tag[name.len()..]);
            if open.is_empty() {
                roots += 1;
            }
            if !self_closing {
                open.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    check_text(rest);
    assert!(open.is_empty(), "unclosed: {open:?}");
    assert_eq!(roots, 1, "exactly one root element");
}

fn check_text(text: &str) {
    for (at, _) in text.match_indices('&') {
        let entity = &text[at..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|e| entity.starts_with(e)),
            "bare & in {text}"
        );
    }
}

/// The `<loc>` values of a sitemap or sitemap index.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|piece| piece.split_once("</loc>").map(|(loc, _)| loc.to_owned()))
        .collect()
}

fn month_path(at: jiff::Timestamp) -> String {
    format!("/sitemaps/articles-{}.xml", at.strftime("%Y-%m"))
}

async fn xml_page(site: &Site, path: &str) -> String {
    let answer = get(&site.app, path).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}");
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "application/xml; charset=utf-8",
        "{path}"
    );
    assert_well_formed(&answer.body);
    answer.body
}

async fn published_articles_appear_in_their_month_and_unpublished_disappear(store: TestStore) {
    let room = newsroom(&store).await;
    let first = store
        .articles()
        .by_id(room.first)
        .await
        .expect("load")
        .expect("exists");
    let published = first.first_published_at.expect("published");
    let site = site(store).await;

    let index = xml_page(&site, "/sitemap.xml").await;
    assert!(
        index.contains(r#"<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">"#)
    );
    let month = month_path(published);
    let listed = locs(&index);
    for path in [
        month.as_str(),
        "/sitemaps/sections.xml",
        "/sitemaps/authors.xml",
        "/sitemaps/news.xml",
    ] {
        assert!(
            listed.contains(&format!("https://news.example{path}")),
            "index lists {path}: {listed:?}"
        );
    }
    assert!(index.contains("<lastmod>"), "months carry lastmod");

    let sitemap = xml_page(&site, &month).await;
    assert!(sitemap.contains(r#"xmlns:image="http://www.google.com/schemas/sitemap-image/1.1""#));
    assert!(
        locs(&sitemap).contains(&"https://news.example/politics/budget-vote".to_owned()),
        "{sitemap}"
    );
    assert!(sitemap.contains(&format!(
        "<lastmod>{}</lastmod>",
        first.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    )));
    assert!(
        site.state.cache().contains(&month),
        "monthly sitemap is cached"
    );
    assert!(
        site.state.cache().contains("/sitemap.xml"),
        "index is cached"
    );

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
    let after = xml_page(&site, &month).await;
    assert!(
        !after.contains("/politics/budget-vote"),
        "unpublished article left the sitemap"
    );
    assert!(after.contains("/politics/senate-race"));
    let news = xml_page(&site, "/sitemaps/news.xml").await;
    assert!(!news.contains("/politics/budget-vote"));
}

async fn editing_an_article_refreshes_lastmod(store: TestStore) {
    let room = newsroom(&store).await;
    let current = store
        .articles()
        .by_id(room.first)
        .await
        .expect("load")
        .expect("exists");
    let month = month_path(current.first_published_at.expect("published"));
    let site = site(store).await;
    xml_page(&site, &month).await;
    xml_page(&site, "/sitemap.xml").await;

    let mut edit = article(
        room.politics,
        room.author,
        "budget-vote",
        "Budget vote passes narrowly",
        5,
    );
    edit.first_published_at = current.first_published_at;
    let edited = site
        .state
        .store()
        .articles()
        .update(room.first, current.version, &edit, jiff::Timestamp::now())
        .await
        .expect("edit");
    site.state.apply_changes().await.expect("follow changes");
    let lastmod = format!(
        "<lastmod>{}</lastmod>",
        edited.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    );
    assert!(!site.state.cache().contains(&month), "edit drops the month");
    assert!(xml_page(&site, &month).await.contains(&lastmod));
    assert!(xml_page(&site, "/sitemap.xml").await.contains(&lastmod));
}

async fn hero_images_are_the_largest_jpeg(store: TestStore) {
    let room = newsroom(&store).await;
    let variant = |key: &str, format: &str, width| ImageVariant {
        key: key.to_owned(),
        format: format.to_owned(),
        width,
        height: width / 2,
    };
    let image = store
        .library()
        .insert_image(
            &ImageInput {
                original_key: "images/original/ballot.png".into(),
                original_mime: "image/png".into(),
                width: 2400,
                height: 1200,
                alt: "A ballot box".into(),
                caption: None,
                credit: None,
                source_type: None,
                variants: vec![
                    variant("images/ballot-1600.webp", "webp", 1600),
                    variant("images/ballot-1200.jpg", "jpeg", 1200),
                    variant("images/ballot-400.jpg", "jpeg", 400),
                ],
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("image");
    let mut with_picture = article(
        room.world,
        room.author,
        "ballots-counted",
        "Ballots counted",
        2,
    );
    with_picture.hero_image_id = Some(image.id);
    let created = store
        .articles()
        .create(&with_picture, jiff::Timestamp::now())
        .await
        .expect("article");
    let site = site(store).await;
    let sitemap = xml_page(
        &site,
        &month_path(created.first_published_at.expect("published")),
    )
    .await;
    assert!(sitemap.contains("<loc>https://news.example/world/ballots-counted</loc>"));
    assert!(sitemap.contains(
        "<image:image><image:loc>https://news.example/media/images/ballot-1200.jpg</image:loc></image:image>"
    ));
    assert_eq!(
        sitemap.matches("<image:image>").count(),
        1,
        "only pictured articles"
    );
}

async fn news_sitemap_keeps_47_hours_and_drops_49(store: TestStore) {
    let room = newsroom(&store).await;
    let now: jiff::Timestamp = "2030-06-15T12:00:00Z".parse().expect("now");
    for (slug, hours) in [
        ("recent-enough", 47),
        ("too-old", 49),
        ("from-the-future", -1),
    ] {
        let mut input = article(room.world, room.author, slug, slug, 0);
        input.first_published_at = Some(now - jiff::SignedDuration::from_hours(hours));
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .expect("article");
    }
    let window = jiff::SignedDuration::from_hours(48);
    let kept: Vec<String> = store
        .public()
        .news_sitemap_articles(now, window, 1000)
        .await
        .expect("query")
        .into_iter()
        .map(|a| a.slug)
        .collect();
    assert_eq!(kept, ["recent-enough"]);
    let later = now + jiff::SignedDuration::from_hours(2);
    let kept_later = store
        .public()
        .news_sitemap_articles(later, window, 1000)
        .await
        .expect("query");
    assert_eq!(kept_later.len(), 1, "from-the-future is now an hour old");
    assert_eq!(kept_later[0].slug, "from-the-future");
    assert_eq!(
        store
            .public()
            .news_sitemap_articles(now - jiff::SignedDuration::from_hours(1), window, 1)
            .await
            .expect("query")
            .len(),
        1,
        "limit holds"
    );

    // Through HTTP with the real clock: the newsroom's stories (3–5 hours old), newest first,
    // with the publication's name and language from settings.
    let site = site(store).await;
    let news = get(&site.app, "/sitemaps/news.xml").await;
    assert_eq!(news.status, StatusCode::OK);
    assert_eq!(
        news.headers[header::CONTENT_TYPE],
        "application/xml; charset=utf-8"
    );
    assert_well_formed(&news.body);
    assert!(
        news.body
            .contains(r#"xmlns:news="http://www.google.com/schemas/sitemap-news/0.9""#)
    );
    let settings = site
        .state
        .store()
        .site()
        .settings()
        .await
        .expect("settings");
    assert!(news.body.contains(&format!(
        "<news:publication><news:name>{}</news:name><news:language>{}</news:language></news:publication>",
        settings.name, settings.language
    )));
    let order: Vec<String> = locs(&news.body);
    assert_eq!(
        order,
        [
            "https://news.example/world/summit-opens",
            "https://news.example/politics/senate-race",
            "https://news.example/politics/budget-vote",
        ]
    );
    assert!(news.body.contains("<news:title>Summit opens</news:title>"));
    assert!(news.body.contains("<news:publication_date>"));
    assert_eq!(
        news.headers[header::CACHE_CONTROL],
        "public, max-age=300, s-maxage=300"
    );
    assert!(
        !site.state.cache().contains("/sitemaps/news.xml"),
        "time moves the news sitemap: it stays out of the page cache"
    );
    let etag = news.headers[header::ETAG]
        .to_str()
        .expect("etag")
        .to_owned();
    let again = get_with(&site.app, "/sitemaps/news.xml", &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let gzip = get_with(
        &site.app,
        "/sitemaps/news.xml",
        &[("accept-encoding", "gzip")],
    )
    .await;
    assert_eq!(gzip.headers[header::CONTENT_ENCODING], "gzip");
}

async fn section_and_author_sitemaps_list_their_pages(store: TestStore) {
    newsroom(&store).await;
    store
        .people()
        .create_author(
            &AuthorInput {
                slug: "no-bylines-yet".into(),
                name: "New Hire".into(),
                role: "Intern".into(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let site = site(store).await;
    let sections = xml_page(&site, "/sitemaps/sections.xml").await;
    assert_eq!(
        locs(&sections),
        [
            "https://news.example/politics",
            "https://news.example/world"
        ]
    );
    let authors = xml_page(&site, "/sitemaps/authors.xml").await;
    assert_eq!(
        locs(&authors),
        ["https://news.example/authors/ada-reporter"],
        "only authors with a published article"
    );
}

async fn robots_lists_the_index_and_bad_names_are_404(store: TestStore) {
    newsroom(&store).await;
    let site = site(store).await;
    let robots = get(&site.app, "/robots.txt").await;
    assert!(
        robots
            .body
            .lines()
            .any(|line| line == "Sitemap: https://news.example/sitemap.xml"),
        "{}",
        robots.body
    );
    for path in [
        "/sitemaps/articles-1999-01.xml",
        "/sitemaps/articles-2026-13.xml",
        "/sitemaps/articles-2026-11-1.xml",
        "/sitemaps/articles-2026-11-99999999999999999999.xml",
        "/sitemaps/articles-%zz.xml",
        "/sitemaps/nothing.xml",
        "/sitemaps/",
    ] {
        let answer = get(&site.app, path).await;
        assert!(answer.status.is_client_error(), "{path}: {}", answer.status);
    }
}

/// A month of more stories than one file holds is split into parts the index lists, each part
/// holding its share in publication order, and no part past the last.
async fn a_busy_month_is_split_into_parts_of_a_thousand(store: TestStore) {
    let room = newsroom(&store).await;
    let month_start: jiff::Timestamp = "2024-03-01T00:00:00Z".parse().expect("a timestamp");
    let per_file = dateline_web::URLS_PER_SITEMAP;
    for n in 0..=per_file {
        let mut input = article(
            room.world,
            room.author,
            &format!("march-{n}"),
            &format!("March story {n}"),
            0,
        );
        input.first_published_at = Some(month_start + jiff::SignedDuration::from_mins(n + 1));
        input.tags = Vec::new();
        store
            .articles()
            .create(&input, jiff::Timestamp::now())
            .await
            .expect("a March story");
    }
    let site = site(store).await;

    let index = locs(&xml_page(&site, "/sitemap.xml").await);
    let first = "https://news.example/sitemaps/articles-2024-03.xml".to_owned();
    let second = "https://news.example/sitemaps/articles-2024-03-2.xml".to_owned();
    assert!(
        index.contains(&first) && index.contains(&second),
        "{index:?}"
    );
    assert!(
        !index
            .iter()
            .any(|loc| loc.ends_with("articles-2024-03-3.xml")),
        "{index:?}"
    );

    let part_one = locs(&xml_page(&site, "/sitemaps/articles-2024-03.xml").await);
    assert_eq!(part_one.len() as i64, per_file);
    assert_eq!(part_one[0], "https://news.example/world/march-0");
    let part_two = locs(&xml_page(&site, "/sitemaps/articles-2024-03-2.xml").await);
    assert_eq!(
        part_two,
        [format!("https://news.example/world/march-{per_file}")]
    );
    assert_eq!(
        get(&site.app, "/sitemaps/articles-2024-03-3.xml")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

dateline_db::both_backends!(
    published_articles_appear_in_their_month_and_unpublished_disappear,
    editing_an_article_refreshes_lastmod,
    hero_images_are_the_largest_jpeg,
    news_sitemap_keeps_47_hours_and_drops_49,
    section_and_author_sitemaps_list_their_pages,
    robots_lists_the_index_and_bad_names_are_404,
    a_busy_month_is_split_into_parts_of_a_thousand,
);
