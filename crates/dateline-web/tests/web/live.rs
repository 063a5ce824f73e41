//! Live coverage through the front doors: the reader's page (entries newest first, key events,
//! permalinks, pages and a refresh link without JavaScript, `LiveBlogPosting`), the fragment of
//! new entries, the "Live" badge, and the newsroom's live desk (refusals keep what was typed,
//! an author posts only on their own live coverage).

// The workspace denies `unwrap` outside tests; these are plain `async fn`s the macro wraps.
#![allow(clippy::unwrap_used)]

use axum::body::Body;
use dateline_core::{ArticleStatus, Role, cache_tags, paths};
use dateline_db::testing::TestStore;
use dateline_db::{ArticleInput, AuthorInput, NewStaff, SectionInput, Store};
use dateline_usecases::Actor;
use dateline_usecases::live::{self, EntryDraft};
use dateline_web::newsroom::secrets;
use futures_util::StreamExt;
use http::{Request, StatusCode};
use jiff::Timestamp;
use tower::ServiceExt;

use super::newsroom_auth::{Browser, PASSWORD};
use super::{get, site};

dateline_db::both_backends!(
    live_page_lists_entries_newest_first_with_pages_permalinks_and_json_ld,
    live_badge_shows_while_coverage_runs_and_the_page_says_when_it_ended,
    live_fragment_of_new_entries_and_its_visibility,
    live_fragment_answers_only_the_plain_spelling_of_its_numbers,
    live_fragment_is_only_for_pages_a_few_entries_behind,
    live_hostile_entry_text_renders_inert,
    live_desk_refusal_keeps_what_was_typed_and_writes_nothing,
    live_an_author_cannot_post_on_a_colleagues_live_article,
    live_stream_tells_open_pages_of_new_entries_and_of_the_end,
    live_stream_closes_when_its_article_is_unpublished,
    live_feeds_carry_the_coverage_and_each_key_event_as_its_own_item,
    live_coverage_stays_in_the_news_sitemap_while_it_runs,
);

struct Coverage {
    article_id: i64,
    path: String,
}

/// A published live article in World by Ada, with her newsroom account (an author) and Ben's.
async fn coverage(store: &Store) -> Coverage {
    let world = store
        .site()
        .create_section(
            &SectionInput {
                slug: "world".into(),
                name: "World".into(),
                description: String::new(),
                position: 0,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let mut bylines = Vec::new();
    for name in ["Ada", "Ben"] {
        let author = store
            .people()
            .create_author(
                &AuthorInput {
                    slug: name.to_lowercase(),
                    name: format!("{name} Reporter"),
                    role: String::new(),
                    bio: String::new(),
                },
                jiff::Timestamp::now(),
            )
            .await
            .unwrap();
        store
            .people()
            .create_staff(
                &NewStaff {
                    email: format!("{}@news.example", name.to_lowercase()),
                    display_name: format!("{name} Reporter"),
                    role: Role::Author,
                    password_hash: Some(secrets::hash_password(PASSWORD).unwrap()),
                    author_id: Some(author.id),
                },
                Timestamp::now(),
            )
            .await
            .unwrap();
        bylines.push(author.id);
    }
    let article = store
        .articles()
        .create(
            &ArticleInput {
                section_id: world.id,
                slug: "the-phone-call".into(),
                headline: "The phone call: live".into(),
                standfirst: "Reactions as they come.".into(),
                body: "What we know so far.".into(),
                dateline_place: None,
                hero_image_id: None,
                author_ids: vec![bylines[0]],
                tags: Vec::new(),
                language: "en".into(),
                comments_open: true,
                status: ArticleStatus::Published,
                first_published_at: None,
                updated_at: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    Coverage {
        article_id: article.id,
        path: paths::article("world", "the-phone-call"),
    }
}

fn desk() -> Actor {
    Actor::system("live desk")
}

fn draft(headline: &str, body: &str) -> EntryDraft {
    EntryDraft {
        text: dateline_core::live::EntryText {
            headline: headline.to_owned(),
            body: body.to_owned(),
            embed_url: String::new(),
        },
        ..EntryDraft::default()
    }
}

async fn live_page_lists_entries_newest_first_with_pages_permalinks_and_json_ld(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..22 {
        let mut entry = draft("", &format!("Update number {n}."));
        entry.key_event = n == 3;
        ids.push(
            live::post(ctx, &desk(), room.article_id, &entry, Timestamp::now())
                .await
                .unwrap()
                .id,
        );
    }
    let page = get(&site.app, &room.path).await;
    assert_eq!(page.status, StatusCode::OK);
    let newest = page.body.find("Update number 21.").expect("newest entry");
    let older = page.body.find("Update number 2.").expect("an older entry");
    assert!(newest < older, "newest first");
    assert!(!page.body.contains("Update number 1."), "on page 2");
    assert!(page.body.contains(&format!(r#"id="entry-{}""#, ids[21])));
    assert!(page.body.contains("Refresh for the latest updates"));
    assert!(page.body.contains(r#"href="/world/the-phone-call?page=2""#));
    // The key event is listed at the top, linking to its entry wherever it is.
    assert!(page.body.contains(&format!(
        r#"href="{}""#,
        paths::live_entry(room.article_id, ids[3])
    )));
    let keys = page.headers["surrogate-key"].to_str().unwrap();
    assert!(
        keys.split(' ')
            .any(|k| k == cache_tags::live(room.article_id))
    );
    // LiveBlogPosting with Google's required and recommended fields.
    let start = page.body.find("application/ld+json").unwrap();
    let script = &page.body[start..];
    let json_text = &script[script.find('>').unwrap() + 1..script.find("</script>").unwrap()];
    let ld: serde_json::Value = serde_json::from_str(json_text).unwrap();
    assert_eq!(ld["@type"], "LiveBlogPosting");
    for field in [
        "coverageStartTime",
        "coverageEndTime",
        "headline",
        "datePublished",
    ] {
        assert!(ld[field].is_string(), "{field} in {ld}");
    }
    let updates = ld["liveBlogUpdate"].as_array().unwrap();
    assert_eq!(updates.len(), 20);
    assert_eq!(updates[0]["@type"], "BlogPosting");
    assert_eq!(
        updates[0]["url"],
        format!(
            "https://news.example/world/the-phone-call#entry-{}",
            ids[21]
        )
    );
    assert!(updates[0]["datePublished"].is_string());

    let second = get(&site.app, &format!("{}?page=2", room.path)).await;
    assert_eq!(second.status, StatusCode::OK);
    assert!(second.body.contains("Update number 1."));
    assert!(second.body.contains("Update number 0."));
    assert_eq!(
        get(&site.app, &format!("{}?page=3", room.path))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, &format!("{}?page=x", room.path))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let found = get(&site.app, &paths::live_entry(room.article_id, ids[0])).await;
    assert_eq!(found.status, StatusCode::SEE_OTHER);
    assert_eq!(
        found.headers["location"],
        format!("/world/the-phone-call?page=2#entry-{}", ids[0]).as_str()
    );
    let found = get(&site.app, &paths::live_entry(room.article_id, ids[21])).await;
    assert_eq!(
        found.headers["location"],
        format!("/world/the-phone-call#entry-{}", ids[21]).as_str()
    );
    assert_eq!(
        get(&site.app, &paths::live_entry(room.article_id, 9_999_999))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn live_badge_shows_while_coverage_runs_and_the_page_says_when_it_ended(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    let badge = r#"class="live-badge""#;
    assert!(!get(&site.app, "/").await.body.contains(badge));
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "First."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    site.state.apply_changes().await.unwrap();
    for list in ["/", "/world"] {
        let page = get(&site.app, list).await;
        assert!(page.body.contains(badge), "{list} shows the badge");
        let keys = page.headers["surrogate-key"].to_str().unwrap();
        assert!(
            keys.split(' ')
                .any(|k| k == cache_tags::live(room.article_id))
        );
    }
    assert!(!get(&site.app, "/authors/ada").await.body.contains(badge));
    live::end(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    site.state.apply_changes().await.unwrap();
    assert!(!get(&site.app, "/").await.body.contains(badge));
    let page = get(&site.app, &room.path).await;
    assert!(page.body.contains("Live coverage has ended"));
    assert!(!page.body.contains("Refresh for the latest updates"));
    assert!(
        !page.body.contains("data-live-events"),
        "a frozen page listens to nothing"
    );
}

/// Every spelling of the fragment's numbers (`037`, `+37`) reached the same entries and was a
/// page cache entry of its own: a render per request, and real pages evicted.
async fn live_fragment_answers_only_the_plain_spelling_of_its_numbers(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let mut entries = Vec::new();
    for body in ["Seen.", "New one."] {
        let entry = live::post(
            ctx,
            &desk(),
            room.article_id,
            &draft("", body),
            Timestamp::now(),
        )
        .await
        .unwrap();
        entries.push(entry.id);
    }
    let (article, first) = (room.article_id, entries[0]);
    let plain = get(&site.app, &paths::live_entries_after(article, first)).await;
    assert_eq!(plain.status, StatusCode::OK);
    assert!(plain.body.contains("New one."));
    // The 404 page is cached once, whoever asks first.
    assert_eq!(
        get(&site.app, "/no-such-section").await.status,
        StatusCode::NOT_FOUND
    );
    let stored = site.state.cache().insertions();
    for spelt in [
        format!("/live/0{article}/after/{first}"),
        format!("/live/{article}/after/0{first}"),
        format!("/live/+{article}/after/{first}"),
        format!("/live/{article}/after/+{first}"),
        format!("/live/{article}/after/%2B{first}"),
        format!("/live/{article}/after/-0"),
    ] {
        let answer = get(&site.app, &spelt).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{spelt}");
        assert!(!answer.body.contains("New one."), "{spelt}");
    }
    assert_eq!(
        site.state.cache().insertions(),
        stored,
        "no spelling was rendered and stored"
    );
}

/// The attack: every entry of a long live blog was a fragment address of its own, each a render
/// of up to a hundred entries into the page cache; walking them all pushed the site's real pages
/// out. A page further behind than the fragment can bring up to date is told to reload instead.
async fn live_fragment_is_only_for_pages_a_few_entries_behind(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let mut entries = Vec::new();
    for n in 0..dateline_db::LiveNews::MAX_NEWER + 2 {
        let entry = live::post(
            ctx,
            &desk(),
            room.article_id,
            &draft("", &format!("Entry {n}.")),
            Timestamp::now(),
        )
        .await
        .unwrap();
        entries.push(entry.id);
    }
    assert_eq!(
        get(&site.app, "/no-such-section").await.status,
        StatusCode::NOT_FOUND
    );
    let stored = site.state.cache().insertions();
    let too_far = get(
        &site.app,
        &paths::live_entries_after(room.article_id, entries[0]),
    )
    .await;
    assert_eq!(too_far.status, StatusCode::NOT_FOUND, "101 entries behind");
    assert_eq!(
        site.state.cache().insertions(),
        stored,
        "nothing rendered and stored"
    );
    let near = get(
        &site.app,
        &paths::live_entries_after(room.article_id, entries[1]),
    )
    .await;
    assert_eq!(near.status, StatusCode::OK, "100 entries behind");
    assert!(near.body.contains("Entry 101."));
    assert!(!near.body.contains("Entry 1."));
}

async fn live_fragment_of_new_entries_and_its_visibility(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let first = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "Seen."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let second = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "New one."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let page = get(&site.app, &room.path).await;
    assert!(page.body.contains(&format!(
        r#"data-live-after="{}""#,
        paths::live_entries_after(room.article_id, second.id)
    )));
    let fragment = get(
        &site.app,
        &paths::live_entries_after(room.article_id, first.id),
    )
    .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(fragment.body.contains("New one."));
    assert!(!fragment.body.contains("Seen."));
    assert!(!fragment.body.contains("<html"), "a fragment, not a page");

    // Another article's entry, an unpublished article: nothing.
    assert_eq!(
        get(
            &site.app,
            &paths::live_entries_after(room.article_id + 1, first.id)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    site.state
        .store()
        .articles()
        .set_status(
            room.article_id,
            ArticleStatus::Unpublished,
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    site.state.apply_changes().await.unwrap();
    assert_eq!(
        get(
            &site.app,
            &paths::live_entries_after(room.article_id, first.id)
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&site.app, &paths::live_entry(room.article_id, first.id))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

async fn live_hostile_entry_text_renders_inert(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft(
            "<script>alert('headline')</script>",
            "<img src=x onerror=alert(1)> [click](javascript:alert(2)) <iframe src=https://evil.example></iframe>",
        ),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let mut embed = draft("", "Embed.");
    embed.text.embed_url = r#"https://x.example/"onmouseover="alert(3)"#.into();
    assert!(
        live::post(ctx, &desk(), room.article_id, &embed, Timestamp::now())
            .await
            .is_err()
    );
    for uri in [
        room.path.clone(),
        paths::live_entries_after(room.article_id, 0),
    ] {
        let page = get(&site.app, &uri).await;
        assert_eq!(page.status, StatusCode::OK);
        let html = without_json_ld(&page.body);
        assert!(!html.contains("<script>alert"), "{uri}");
        assert!(!html.contains("onerror"), "{uri}");
        assert!(!html.contains("javascript:"), "{uri}");
        assert!(!html.contains("<iframe"), "{uri}");
        assert!(!html.contains("onmouseover"), "{uri}");
    }
    let page = get(&site.app, &room.path).await;
    assert!(
        page.body.contains("&lt;script&gt;alert("),
        "the headline shown as text"
    );
    // In the JSON-LD the text stays text: nothing in it can close the script element.
    let ld = &page.body[page.body.find("application/ld+json").unwrap()..];
    let ld = &ld[ld.find('>').unwrap() + 1..ld.find("</script>").unwrap()];
    assert!(!ld.contains('<'));
}

async fn live_desk_refusal_keeps_what_was_typed_and_writes_nothing(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    live::start(site.state.ctx(), &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let mut ada = Browser::new(&site.app);
    ada.sign_in("ada@news.example", PASSWORD).await;
    let desk_path = format!("/newsroom/articles/{}/live", room.article_id);
    let action = format!("{desk_path}/entries");
    let typed_headline = "A headline\nthat breaks";
    let refused = ada
        .submit(
            &desk_path,
            &action,
            &[
                ("headline", typed_headline),
                ("body", "   "),
                ("embed_url", "ftp://files.example/statement"),
                ("key_event", "1"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains(r#"value="A headline"#),
        "the headline as typed"
    );
    assert!(refused.body.contains("files.example"), "the embed as typed");
    assert!(
        refused
            .body
            .contains("Write the entry: its text cannot be empty.")
    );
    assert!(
        refused
            .body
            .contains("An embed is a web address starting with https:")
    );
    assert!(
        refused
            .body
            .contains(r#"name="key_event" value="1" checked"#)
    );
    let stored = site
        .state
        .store()
        .live()
        .page(room.article_id, 1)
        .await
        .unwrap();
    assert!(stored.entries.is_empty() && stored.pinned.is_empty());

    let posted = ada
        .submit(
            &desk_path,
            &action,
            &[("headline", ""), ("body", "The call is over.")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let stored = site
        .state
        .store()
        .live()
        .page(room.article_id, 1)
        .await
        .unwrap();
    assert_eq!(stored.entries[0].body, "The call is over.");
    assert_eq!(stored.entries[0].byline.name, "Ada Reporter");
    let entry_id = stored.entries[0].id;

    // An edit that someone else overtook keeps the typed text and the newer entry.
    live::edit(
        site.state.ctx(),
        &desk(),
        entry_id,
        1,
        &dateline_core::live::EntryText {
            body: "The call is over, officials say.".into(),
            ..Default::default()
        },
        None,
        Timestamp::now(),
    )
    .await
    .unwrap();
    let overtaken = ada
        .submit(
            &desk_path,
            &format!("/newsroom/live/entries/{entry_id}/edit"),
            &[("version", "1"), ("body", "My late rewrite.")],
        )
        .await;
    assert_eq!(overtaken.status, StatusCode::CONFLICT);
    assert!(overtaken.body.contains("My late rewrite."));
    let kept = site
        .state
        .store()
        .live()
        .entry(entry_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.body, "The call is over, officials say.");
}

async fn live_an_author_cannot_post_on_a_colleagues_live_article(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    live::start(site.state.ctx(), &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let entry = live::post(
        site.state.ctx(),
        &desk(),
        room.article_id,
        &draft("", "Desk entry."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let mut ben = Browser::new(&site.app);
    ben.sign_in("ben@news.example", PASSWORD).await;
    let desk_path = format!("/newsroom/articles/{}/live", room.article_id);
    assert_eq!(ben.get(&desk_path).await.status, StatusCode::FORBIDDEN);
    // Forms as Ben's browser would send them, with his own valid token from another page.
    let attempts = [
        (
            format!("{desk_path}/entries"),
            vec![("body", "Ben's entry.")],
        ),
        (
            format!("/newsroom/live/entries/{}/edit", entry.id),
            vec![("version", "1"), ("body", "Ben's rewrite.")],
        ),
        (
            format!("/newsroom/live/entries/{}/pin", entry.id),
            vec![("on", "1")],
        ),
        (
            format!("/newsroom/live/entries/{}/delete", entry.id),
            vec![],
        ),
        (
            format!("/newsroom/articles/{}/coverage/end", room.article_id),
            vec![],
        ),
    ];
    for (action, fields) in attempts {
        let answer = ben.submit("/newsroom", &action, &fields).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
    }
    let kept = site
        .state
        .store()
        .live()
        .entry(entry.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((kept.body.as_str(), kept.pinned), ("Desk entry.", false));
    let stored = site
        .state
        .store()
        .live()
        .page(room.article_id, 1)
        .await
        .unwrap();
    assert_eq!(stored.entries.len(), 1);
    assert!(
        site.state
            .store()
            .articles()
            .by_id(room.article_id)
            .await
            .unwrap()
            .unwrap()
            .is_live_now()
    );

    let mut ada = Browser::new(&site.app);
    ada.sign_in("ada@news.example", PASSWORD).await;
    assert_eq!(ada.get(&desk_path).await.status, StatusCode::OK);
    let posted = ada
        .submit(
            &desk_path,
            &format!("{desk_path}/entries"),
            &[("body", "Ada's entry.")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
}

/// Reads the event stream until `wanted` has arrived (a guard, not a timing: a broken stream
/// fails the test instead of hanging it).
async fn read_until(body: &mut axum::body::BodyDataStream, seen: &mut String, wanted: &str) {
    let wait = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while !seen.contains(wanted) {
            match body.next().await {
                Some(Ok(bytes)) => seen.push_str(&String::from_utf8_lossy(&bytes)),
                other => panic!("the stream ended before {wanted:?}: {other:?}, after {seen:?}"),
            }
        }
    });
    wait.await
        .unwrap_or_else(|_| panic!("no {wanted:?} in {seen:?}"));
}

/// The attack: a stream opened while the article was published went on naming the entries
/// posted after it was unpublished, which no reader may see.
async fn live_stream_closes_when_its_article_is_unpublished(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let response = site
        .app
        .clone()
        .oneshot(
            Request::get(format!("{}?after=0", paths::live_events(room.article_id)))
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut body = response.into_body().into_data_stream();
    site.state
        .store()
        .articles()
        .set_status(
            room.article_id,
            ArticleStatus::Unpublished,
            Timestamp::now(),
        )
        .await
        .unwrap();
    let hidden = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "Not for readers."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let mut seen = String::new();
    let closed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(chunk) = body.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    });
    closed.await.expect("the stream closes");
    assert!(
        !seen.contains(&hidden.id.to_string()),
        "no word of the hidden entry: {seen}"
    );
}

async fn live_stream_tells_open_pages_of_new_entries_and_of_the_end(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    let first = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "Shown."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let open = |after: i64| {
        site.app.clone().oneshot(
            Request::get(format!(
                "{}?after={after}",
                paths::live_events(room.article_id)
            ))
            .body(Body::empty())
            .unwrap(),
        )
    };
    let response = open(first.id).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body().into_data_stream();
    // A second reader of the same article shares the first one's poller.
    let other = open(first.id).await.unwrap();
    assert_eq!(site.state.live_coverage_followed(), 1);

    let second = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "New."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let third = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "Newer."),
        Timestamp::now(),
    )
    .await
    .unwrap();
    let mut seen = String::new();
    read_until(
        &mut body,
        &mut seen,
        &format!("event: entries\ndata: {},{}\n", third.id, second.id),
    )
    .await;
    assert!(
        !seen.contains(&format!("{},", first.id)),
        "the page shows that one"
    );

    live::end(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    read_until(&mut body, &mut seen, "event: ended").await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Some(chunk) = body.next().await {
            chunk.unwrap();
        }
    });
    closed.await.expect("the stream closes once coverage ended");
    drop(other);

    // Only live coverage has a stream.
    for id in [9_999_999] {
        let answer = get(&site.app, &format!("{}?after=0", paths::live_events(id))).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
}

/// The page without its JSON-LD, whose text is data, escaped for a script element.
fn without_json_ld(html: &str) -> String {
    match html.find(r#"<script type="application/ld+json">"#) {
        Some(start) => {
            let end = start + html[start..].find("</script>").unwrap();
            format!("{}{}", &html[..start], &html[end..])
        }
        None => html.to_owned(),
    }
}

/// The nine feeds the live article is in: the site's, World's and Ada's (its byline).
fn live_feed_urls() -> Vec<String> {
    let mut urls = Vec::new();
    for folder in ["/feeds", "/feeds/sections/world", "/feeds/authors/ada"] {
        for file in ["rss.xml", "atom.xml", "feed.json"] {
            urls.push(format!("{folder}/{file}"));
        }
    }
    urls
}

async fn live_feeds_carry_the_coverage_and_each_key_event_as_its_own_item(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    let started = Timestamp::now();
    live::start(ctx, &desk(), room.article_id, started)
        .await
        .unwrap();
    let plain = live::post(
        ctx,
        &desk(),
        room.article_id,
        &draft("", "Reporters gather outside the West Wing."),
        started + jiff::SignedDuration::from_mins(5),
    )
    .await
    .unwrap();
    let mut key = draft(
        "White House confirms the call",
        "The press office says the call lasted forty minutes. <img src=x onerror=alert(1)> \\<script\\>alert(2)\\</script\\>",
    );
    key.key_event = true;
    let key_posted = started + jiff::SignedDuration::from_mins(10);
    let key = live::post(ctx, &desk(), room.article_id, &key, key_posted)
        .await
        .unwrap();
    site.state.apply_changes().await.unwrap();
    let key_url = format!(
        "https://news.example{}",
        paths::live_entry(room.article_id, key.id)
    );
    let plain_url = format!(
        "https://news.example{}",
        paths::live_entry(room.article_id, plain.id)
    );
    for url in live_feed_urls() {
        let feed = get(&site.app, &url).await;
        assert_eq!(feed.status, StatusCode::OK, "{url}");
        // The live article itself, and its key event as an item of its own.
        assert!(
            ["<", "\""].iter().any(|end| feed
                .body
                .contains(&format!("https://news.example/world/the-phone-call{end}"))),
            "{url}: the live article"
        );
        assert!(feed.body.contains(&key_url), "{url}: the key event");
        assert!(
            feed.body
                .contains("White House confirms the call – The phone call: live"),
            "{url}"
        );
        assert!(!feed.body.contains(&plain_url), "{url}: not a plain entry");
        assert!(!feed.body.contains("onerror"), "{url}: inert");
        // The typed `<script>` stays text wherever a reader takes HTML (RSS `description` and
        // `content:encoded`, Atom `content`, JSON Feed `content_html`); only Atom's
        // `type="text"` summary and JSON Feed's `summary` are plain text.
        let html_fields: Vec<String> = if url.ends_with(".json") {
            let json: serde_json::Value = serde_json::from_str(&feed.body).unwrap();
            json["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["content_html"].as_str().unwrap().to_owned())
                .collect()
        } else {
            feed.body
                .split("<summary type=\"text\">")
                .map(|part| {
                    part.split_once("</summary>")
                        .map_or(part, |(_, rest)| rest)
                        .to_owned()
                })
                .collect()
        };
        for html in html_fields {
            let decoded = if url.ends_with(".json") {
                html
            } else {
                html.replace("&lt;", "<")
                    .replace("&gt;", ">")
                    .replace("&amp;", "&")
            };
            assert!(!decoded.contains("<script"), "{url}: {decoded}");
        }
        // A key event drops the feeds; a plain entry (only `live:`) does not.
        let keys: Vec<&str> = feed.headers["surrogate-key"]
            .to_str()
            .unwrap()
            .split(' ')
            .collect();
        assert!(keys.contains(&cache_tags::KEY_EVENTS_LIST), "{url}");
        assert!(
            !keys.contains(&cache_tags::live(room.article_id).as_str()),
            "{url}"
        );
    }
    // The item has its own date: when the key event was posted, not the article.
    let json: serde_json::Value =
        serde_json::from_str(&get(&site.app, "/feeds/feed.json").await.body).unwrap();
    let items = json["items"].as_array().unwrap();
    let item = items.iter().find(|i| i["id"] == key_url.as_str()).unwrap();
    let published: Timestamp = item["date_published"].as_str().unwrap().parse().unwrap();
    assert_eq!(published.as_second(), key_posted.as_second());
    assert_eq!(item["authors"][0]["name"], "live desk");
    assert_eq!(items[0]["id"], key_url.as_str(), "the newest item first");

    // Marking the plain entry a key event drops the (cached) feeds: it is there at once.
    live::mark_key_event(ctx, &desk(), plain.id, true, Timestamp::now())
        .await
        .unwrap();
    site.state.apply_changes().await.unwrap();
    for url in live_feed_urls() {
        let feed = get(&site.app, &url).await;
        assert!(feed.body.contains(&plain_url), "{url}: the new key event");
    }
    // Its correction too.
    live::correct(
        ctx,
        &desk(),
        key.id,
        "correction",
        "The call lasted thirty minutes.",
        Timestamp::now(),
    )
    .await
    .unwrap();
    site.state.apply_changes().await.unwrap();
    let rss = get(&site.app, "/feeds/rss.xml").await.body;
    assert!(rss.contains("The call lasted thirty minutes."));
    // Taking the mark off takes the item out.
    live::mark_key_event(ctx, &desk(), key.id, false, Timestamp::now())
        .await
        .unwrap();
    site.state.apply_changes().await.unwrap();
    assert!(
        !get(&site.app, "/feeds/atom.xml")
            .await
            .body
            .contains(&key_url)
    );
    // The podcast is narration only: no key events.
    assert!(
        !get(&site.app, "/feeds/podcast.xml")
            .await
            .body
            .contains(&plain_url)
    );
}

async fn live_coverage_stays_in_the_news_sitemap_while_it_runs(store: TestStore) {
    let room = coverage(&store).await;
    let site = site(store).await;
    let ctx = site.state.ctx();
    let news = get(&site.app, "/sitemaps/news.xml").await;
    assert!(
        news.body
            .contains("<loc>https://news.example/world/the-phone-call</loc>"),
        "{}",
        news.body
    );
    let window = jiff::SignedDuration::from_hours(48);
    let days = |n: i64| Timestamp::now() + jiff::SignedDuration::from_hours(24 * n);
    let listed = |articles: Vec<dateline_db::SitemapArticle>| {
        articles.iter().any(|a| a.id == room.article_id)
    };
    // A story leaves after 48 hours.
    assert!(!listed(
        site.state
            .store()
            .public()
            .news_sitemap_articles(days(3), window, 1000)
            .await
            .unwrap()
    ));
    // Live coverage stays while it runs, and 48 hours after it ended.
    live::start(ctx, &desk(), room.article_id, Timestamp::now())
        .await
        .unwrap();
    for day in [3, 10] {
        assert!(listed(
            site.state
                .store()
                .public()
                .news_sitemap_articles(days(day), window, 1000)
                .await
                .unwrap()
        ));
    }
    live::end(ctx, &desk(), room.article_id, days(4))
        .await
        .unwrap();
    assert!(listed(
        site.state
            .store()
            .public()
            .news_sitemap_articles(days(5), window, 1000)
            .await
            .unwrap()
    ));
    assert!(!listed(
        site.state
            .store()
            .public()
            .news_sitemap_articles(days(7), window, 1000)
            .await
            .unwrap()
    ));
}
