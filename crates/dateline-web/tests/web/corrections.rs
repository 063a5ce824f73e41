//! Corrections in the open: notes on the article page and in its JSON-LD, the `/corrections`
//! log and its feeds, and the caches dropping when a correction is published.

use dateline_core::{NoteKind, SiteSettings};
use dateline_db::Actor;
use jiff::{SignedDuration, Timestamp};

use super::*;

/// The article's JSON-LD, parsed.
pub(super) fn json_ld(body: &str) -> serde_json::Value {
    let start = body
        .find(r#"<script type="application/ld+json">"#)
        .expect("JSON-LD script")
        + r#"<script type="application/ld+json">"#.len();
    let end = start + body[start..].find("</script>").expect("script end");
    serde_json::from_str(&body[start..end]).expect("valid JSON-LD")
}

async fn correct(store: &Store, article: i64, kind: NoteKind, text: &str, minutes_ago: i64) {
    store
        .articles()
        .add_note(
            article,
            kind,
            text,
            &Actor::system("test"),
            Timestamp::now() - SignedDuration::from_mins(minutes_ago),
        )
        .await
        .expect("note");
}

async fn notes_show_on_the_article_and_in_its_json_ld(store: TestStore) {
    let room = newsroom(&store).await;
    store
        .site()
        .save_settings(
            &SiteSettings {
                name: "The Dateline".to_owned(),
                time_zone: "America/Bogota".to_owned(),
                corrections_policy_url: Some("/about/corrections".to_owned()),
                ethics_policy_url: Some("https://ethics.example/code".to_owned()),
                ..SiteSettings::default()
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("settings");
    let site = site(store).await;
    let before = get(&site.app, "/politics/budget-vote").await;
    assert!(!before.body.contains("article-notes"));
    let ld = json_ld(&before.body);
    assert!(ld.get("correction").is_none());
    let modified_before = ld["dateModified"]
        .as_str()
        .expect("dateModified")
        .to_owned();
    assert_eq!(
        ld["publisher"]["correctionsPolicy"],
        "https://news.example/about/corrections"
    );
    assert_eq!(
        ld["publisher"]["ethicsPolicy"],
        "https://ethics.example/code"
    );

    let store = site.state.store();
    correct(
        store,
        room.first,
        NoteKind::Correction,
        "An earlier version said the vote was <unanimous>.",
        30,
    )
    .await;
    correct(
        store,
        room.first,
        NoteKind::Update,
        "The bill was signed.",
        10,
    )
    .await;
    site.state.apply_changes().await.expect("follow changes");

    let page = get(&site.app, "/politics/budget-vote").await;
    assert_eq!(page.status, StatusCode::OK);
    let notes_at = page.body.find(r#"class="article-notes""#).expect("notes");
    let body_at = page.body.find(r#"class="article-body""#).expect("body");
    assert!(notes_at < body_at, "notes come before the body");
    let update_at = page.body.find("The bill was signed.").expect("update");
    let correction_at = page
        .body
        .find("An earlier version said the vote was &lt;unanimous&gt;.")
        .expect("correction, escaped");
    assert!(update_at < correction_at, "newest first");
    assert!(
        page.body
            .contains(r#"<strong class="note-label">Correction</strong>"#)
    );
    assert!(
        page.body
            .contains(r#"<strong class="note-label">Update</strong>"#)
    );
    assert!(page.body.contains(r#"<time datetime="20"#));
    assert!(
        page.body
            .contains(r#"<a href="/corrections">All corrections</a>"#)
    );

    let ld = json_ld(&page.body);
    let corrections = ld["correction"].as_array().expect("correction array");
    assert_eq!(corrections.len(), 1, "only corrections, not updates");
    assert_eq!(corrections[0]["@type"], "CorrectionComment");
    assert_eq!(
        corrections[0]["text"],
        "An earlier version said the vote was <unanimous>."
    );
    assert!(
        corrections[0]["datePublished"]
            .as_str()
            .expect("date")
            .ends_with("-05:00"),
        "in the newsroom's zone"
    );
    let modified = ld["dateModified"].as_str().expect("dateModified");
    assert!(
        modified > modified_before.as_str(),
        "{modified} after {modified_before}"
    );
}

async fn the_corrections_log_lists_every_correction_newest_first(store: TestStore) {
    let room = newsroom(&store).await;
    let site = site(store).await;
    let empty = get(&site.app, "/corrections").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No corrections have been published."));
    let keys = empty.headers["surrogate-key"]
        .to_str()
        .expect("keys")
        .to_owned();
    assert!(keys.contains("list:corrections"), "{keys}");

    let store = site.state.store();
    let senate = store
        .articles()
        .published_at("politics", "senate-race")
        .await
        .expect("lookup");
    let dateline_db::ArticleLookup::Found(senate) = senate else {
        panic!("senate race is published");
    };
    correct(
        store,
        room.first,
        NoteKind::Correction,
        "Older correction.",
        60,
    )
    .await;
    correct(
        store,
        senate.article.id,
        NoteKind::Correction,
        "Newer correction.",
        5,
    )
    .await;
    correct(
        store,
        senate.article.id,
        NoteKind::Clarification,
        "Not in the log.",
        1,
    )
    .await;
    site.state.apply_changes().await.expect("follow changes");

    let log = get(&site.app, "/corrections").await;
    assert_eq!(log.status, StatusCode::OK);
    let newer = log.body.find("Newer correction.").expect("newer");
    let older = log.body.find("Older correction.").expect("older");
    assert!(newer < older, "newest first");
    assert!(!log.body.contains("Not in the log."));
    assert!(log.body.contains(r#"href="/politics/senate-race#note-"#));
    assert!(log.body.contains(r#"href="/feeds/corrections/rss.xml""#));
    assert_eq!(
        get(&site.app, "/corrections?page=2").await.status,
        StatusCode::NOT_FOUND
    );

    for (file, content_type) in [
        ("rss.xml", "application/rss+xml; charset=utf-8"),
        ("atom.xml", "application/atom+xml; charset=utf-8"),
        ("feed.json", "application/feed+json"),
    ] {
        let feed = get(&site.app, &format!("/feeds/corrections/{file}")).await;
        assert_eq!(feed.status, StatusCode::OK, "{file}");
        assert_eq!(feed.headers[header::CONTENT_TYPE], content_type, "{file}");
        let newer = feed.body.find("Newer correction.").expect("newer");
        let older = feed.body.find("Older correction.").expect("older");
        assert!(newer < older, "{file}: newest first");
        assert!(!feed.body.contains("Not in the log."), "{file}");
        assert!(
            feed.body.contains("Correction: Senate race tightens"),
            "{file}"
        );
    }
    let rss = get(&site.app, "/feeds/corrections/rss.xml").await.body;
    // Two corrections to one story are two items with their own ids.
    assert!(
        rss.contains(r#"<guid isPermaLink="true">https://news.example/politics/budget-vote#note-"#)
    );
    let atom = get(&site.app, "/feeds/corrections/atom.xml").await.body;
    assert!(atom.contains(
        r#"<link rel="self" type="application/atom+xml" href="https://news.example/feeds/corrections/atom.xml"/>"#
    ));
    assert!(
        atom.contains("<author><name>"),
        "Atom needs an author per entry"
    );

    // Unpublishing a corrected story takes its corrections out of the cached log and feeds.
    store
        .articles()
        .set_status(
            room.first,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .expect("unpublish");
    site.state.apply_changes().await.expect("follow changes");
    assert!(
        !get(&site.app, "/corrections")
            .await
            .body
            .contains("Older correction.")
    );
    assert!(
        !get(&site.app, "/feeds/corrections/rss.xml")
            .await
            .body
            .contains("Older correction.")
    );
}

dateline_db::both_backends!(
    notes_show_on_the_article_and_in_its_json_ld,
    the_corrections_log_lists_every_correction_newest_first,
);
