//! An imported WordPress site through the router: its old addresses answer 301, and the hostile
//! markup its export carried is inert on the pages.

use std::io::BufReader;

use dateline_db::testing::TestStore;
use dateline_import::plan::ItemKind;
use dateline_storage::MediaStore;
use dateline_usecases::import::{self, ImportReport};
use dateline_usecases::{Actor, Context};
use http::{StatusCode, header};

use super::{Site, get, site};

/// The hostile fixture of `dateline-import`: a blog under `/news`, one published post with
/// hostile markup at `/news/2024/05/12/привет/` (`?p=5`), one draft (`?p=6`), a flattened
/// category `world/europe`.
async fn imported(store: TestStore) -> (Site, ImportReport) {
    let site = site(store).await;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../dateline-import/tests/fixtures/wordpress-hostile.xml"
    );
    let file = std::fs::File::open(path).expect("fixture");
    let plan = dateline_import::wordpress::read(BufReader::new(file), &Default::default())
        .expect("readable");
    let folder = tempfile::tempdir().expect("media folder");
    let ctx = Context::new(
        site.state.store().clone(),
        MediaStore::local(folder.path()).expect("media"),
    );
    let report = import::run(
        &ctx,
        &Actor::system("import"),
        &plan,
        jiff::Timestamp::now(),
        |_, _| {},
    )
    .await
    .expect("import");
    (site, report)
}

fn new_address(report: &ImportReport, source_id: &str) -> String {
    report
        .items
        .iter()
        .find(|i| i.kind == ItemKind::Article && i.source_id.as_str() == source_id)
        .and_then(|i| i.url.clone())
        .expect("a published article's address")
}

async fn moved(site: &Site, old: &str) -> String {
    let answer = get(&site.app, old).await;
    assert_eq!(answer.status, StatusCode::MOVED_PERMANENTLY, "{old}");
    answer.headers[header::LOCATION]
        .to_str()
        .expect("ascii")
        .to_owned()
}

async fn every_old_permalink_form_answers_301_to_the_right_place(store: TestStore) {
    let (site, report) = imported(store).await;
    let article = new_address(&report, "wordpress:post:5");
    for old in [
        "/news/?p=5",
        "/news/2024/05/12/%d0%bf%d1%80%d0%b8%d0%b2%d0%b5%d1%82/",
        // A browser's escapes are upper case, and the slash may be left off.
        "/news/2024/05/12/%D0%BF%D1%80%D0%B8%D0%B2%D0%B5%D1%82",
    ] {
        assert_eq!(moved(&site, old).await, article, "{old}");
    }
    assert_eq!(get(&site.app, &article).await.status, StatusCode::OK);
    let section = moved(&site, "/news/category/world/europe/").await;
    assert_eq!(
        get(&site.app, &section).await.status,
        StatusCode::OK,
        "{section}"
    );
    assert_eq!(moved(&site, "/news/category/europe/").await, section);
    assert_eq!(moved(&site, "/news/feed/").await, "/feeds/rss.xml");
    assert_eq!(moved(&site, "/news/?feed=rss2").await, "/feeds/rss.xml");
    let author_feed = moved(&site, "/news/category/world/europe/feed/").await;
    assert!(author_feed.starts_with("/feeds/sections/"), "{author_feed}");
    // A draft was never public, and an address nobody had is still not found.
    assert_eq!(
        get(&site.app, "/news/?p=6").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, "/news/2099/01/01/nothing/").await.status,
        StatusCode::NOT_FOUND
    );
    // The site's own pages are never shadowed: the front page with a query nobody imported is
    // the front page.
    assert_eq!(get(&site.app, "/?p=5").await.status, StatusCode::OK);
}

async fn an_old_address_does_not_reveal_an_unpublished_article(store: TestStore) {
    let (site, report) = imported(store).await;
    let article = new_address(&report, "wordpress:post:5");
    assert_eq!(moved(&site, "/news/?p=5").await, article);
    let id = site
        .state
        .store()
        .imports()
        .entity("wordpress:post:5")
        .await
        .expect("lookup")
        .expect("imported");
    site.state
        .store()
        .articles()
        .set_status(
            id,
            dateline_core::ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    assert_eq!(
        get(&site.app, "/news/?p=5").await.status,
        StatusCode::NOT_FOUND
    );
}

async fn hostile_markup_from_the_export_is_inert_on_the_page(store: TestStore) {
    let (site, report) = imported(store).await;
    let article = new_address(&report, "wordpress:post:5");
    let page = get(&site.app, &article).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Ünïcödé ✓ 日本語 text survives."));
    let id = site
        .state
        .store()
        .imports()
        .entity("wordpress:post:5")
        .await
        .expect("lookup")
        .expect("imported");
    let discussion = get(&site.app, &format!("/discussion/{id}")).await;
    assert_eq!(discussion.status, StatusCode::OK);
    assert!(
        discussion.body.contains("First"),
        "the approved comment is shown"
    );
    for body in [&page.body, &discussion.body] {
        let html = body.to_ascii_lowercase();
        for bad in [
            "alert(",
            "javascript:",
            "onerror=",
            "onmouseover=",
            "onclick=",
            "<iframe",
        ] {
            assert!(!html.contains(bad), "{bad} on the page");
        }
    }
}

dateline_db::both_backends!(
    every_old_permalink_form_answers_301_to_the_right_place,
    an_old_address_does_not_reveal_an_unpublished_article,
    hostile_markup_from_the_export_is_inert_on_the_page,
);
