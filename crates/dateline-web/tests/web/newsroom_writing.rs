//! The writing tools' server side (issue 17), through the front door: two editors told of each
//! other and of a save over server-sent events, on one node and across two, the tag type-ahead,
//! and the dashboard each role sees — on both backends.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use dateline_core::{Role, TipKind};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, NewTip};
use dateline_web::AppState;
use futures_util::StreamExt;
use http::StatusCode;
use jiff::{SignedDuration, Timestamp};

use super::newsroom_auth::Browser;
use super::newsroom_editor::{desk, edit_fields, post, write, writer};
use super::{another_node_with_state, site};

dateline_db::both_backends!(
    two_editors_hear_of_each_other_and_of_a_save,
    a_disabled_editors_open_tab_hears_nothing_more,
    editors_on_two_nodes_hear_of_each_other_until_one_leaves_or_its_node_dies,
    presence_follows_the_edit_rule_and_stays_bounded,
    tags_are_offered_most_used_first,
    the_dashboard_shows_each_role_what_waits_for_it,
);

/// Reads a server-sent-events body until `want` appears in it (or fails after five seconds).
struct Events {
    body: axum::body::BodyDataStream,
    seen: String,
}

impl Events {
    async fn open(browser: &Browser, uri: &str) -> Self {
        let response = browser.open(uri).await;
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            body: response.into_body().into_data_stream(),
            seen: String::new(),
        }
    }

    /// The next whole event (SSE events end with a blank line), if one arrives within `wait`.
    async fn next_within(&mut self, wait: Duration) -> Option<String> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.seen.find("\n\n") {
                let event = self.seen[..end].to_owned();
                self.seen.drain(..end + 2);
                return Some(event);
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()?
                .expect("the stream goes on")
                .expect("a chunk");
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The first whole event (SSE events end with a blank line) that contains `want`; it and
    /// every event before it are consumed.
    async fn until(&mut self, want: &str) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let mut consumed = 0;
            let mut found = None;
            for event in self.seen.split_inclusive("\n\n") {
                if !event.ends_with("\n\n") {
                    break;
                }
                consumed += event.len();
                if event.contains(want) {
                    found = Some(event.trim_end().to_owned());
                    break;
                }
            }
            if let Some(event) = found {
                self.seen.drain(..consumed);
                return event;
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .unwrap_or_else(|_| panic!("no {want:?} within 5 s; got {:?}", self.seen))
                .expect("the stream goes on")
                .expect("a chunk");
            self.seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
}

async fn two_editors_hear_of_each_other_and_of_a_save(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (mut elena, _) = writer(&db, &site.app, "Elena Vasquez", Role::Editor).await;
    let id = write(
        &mut ana,
        room.politics,
        ana_author,
        "Ferry trial",
        "First words.",
    )
    .await;
    let opened_at = db.articles().by_id(id).await.unwrap().unwrap().version;

    let mut anas = Events::open(&ana, &format!("/newsroom/articles/{id}/presence?tab=ana1")).await;
    let first = anas.until("event: editors").await;
    assert!(
        first.contains("Ana Editor") && !first.contains("Elena"),
        "{first}"
    );

    let mut elenas = Events::open(
        &elena,
        &format!("/newsroom/articles/{id}/presence?tab=elena1"),
    )
    .await;
    // Ana is told at once that Elena opened it; Elena sees Ana already there.
    let joined = anas.until("Elena Vasquez").await;
    assert!(joined.contains(r#""tab":"elena1""#), "{joined}");
    let both = elenas.until("event: editors").await;
    assert!(
        both.contains("Ana Editor") && both.contains("Elena Vasquez"),
        "{both}"
    );

    // Elena saves; the node follows the changes log (as `serve` does twice a second) and Ana's
    // tab hears who saved which version.
    let edit_url = format!("/newsroom/articles/{id}/edit");
    let saved = post(
        &mut elena,
        &edit_url,
        &edit_url,
        &edit_fields(
            opened_at,
            room.politics,
            ana_author,
            "Ferry trial",
            "Elena's words.",
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    site.state.apply_changes().await.unwrap();
    let news = anas.until("event: saved").await;
    let data: serde_json::Value =
        serde_json::from_str(news.split("data: ").nth(1).unwrap().trim()).unwrap();
    assert_eq!(data["by"], "Elena Vasquez");
    assert_eq!(data["version"], opened_at + 1, "{data}");
    assert_eq!(data["revision"], 2);
    assert_eq!(data["previous_revision"], 1);

    // Elena closes her tab: Ana is told she is alone again.
    drop(elenas);
    let alone = anas.until("event: editors").await;
    assert!(
        alone.contains("Ana Editor") && !alone.contains("Elena"),
        "{alone}"
    );
}

/// The attack: an editor disabled while their tab was open went on hearing who opened the article
/// and who saved which version, and stayed listed as editing it.
async fn a_disabled_editors_open_tab_hears_nothing_more(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (elena, _) = writer(&db, &site.app, "Elena Vasquez", Role::Editor).await;
    let id = write(&mut ana, room.politics, ana_author, "Ferry trial", "First.").await;
    let opened_at = db.articles().by_id(id).await.unwrap().unwrap().version;
    let mut anas = Events::open(&ana, &format!("/newsroom/articles/{id}/presence?tab=ana1")).await;
    anas.until("event: editors").await;
    let mut elenas = Events::open(
        &elena,
        &format!("/newsroom/articles/{id}/presence?tab=elena1"),
    )
    .await;
    elenas.until("event: editors").await;
    anas.until("Elena Vasquez").await;

    let elena_id = db
        .people()
        .staff_by_email("elena-vasquez@example.org")
        .await
        .unwrap()
        .id;
    db.people()
        .set_staff_disabled(elena_id, true, &Actor::system("test"), Timestamp::now())
        .await
        .unwrap();
    let edit_url = format!("/newsroom/articles/{id}/edit");
    let saved = post(
        &mut ana,
        &edit_url,
        &edit_url,
        &edit_fields(
            opened_at,
            room.politics,
            ana_author,
            "Ferry trial",
            "Second.",
        ),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    site.state.apply_changes().await.unwrap();
    anas.until("event: saved").await;
    // Elena's stream ends without a word of the save, and Ana is told she left.
    let mut heard = String::new();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = elenas.body.next().await {
            heard.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    })
    .await;
    assert!(ended.is_ok(), "the disabled editor's stream ends");
    assert!(!heard.contains("event: saved"), "{heard}");
    let alone = anas.until("event: editors").await;
    assert!(!alone.contains("Elena"), "{alone}");
}

/// Runs `node`'s presence heartbeat at `at` (as `serve` does every second) until `events` gets
/// an `editors` event that `want` accepts, and returns it.
async fn heartbeat_until(
    node: &AppState,
    at: Timestamp,
    events: &mut Events,
    want: impl Fn(&str) -> bool,
) -> String {
    let mut seen = Vec::new();
    for _ in 0..50 {
        node.sync_presence(at).await.unwrap();
        while let Some(event) = events.next_within(Duration::from_millis(100)).await {
            if event.contains("event: editors") && want(&event) {
                return event;
            }
            seen.push(event);
        }
    }
    panic!("not told within 5 s; got {seen:?}");
}

/// Issue 16 and 17: behind a CDN, Ana's and Elena's event streams land on different nodes. Each
/// is told of the other within a heartbeat (and at once when opening second), of a save on the
/// other node, of the other leaving, and of the other's node dying.
async fn editors_on_two_nodes_hear_of_each_other_until_one_leaves_or_its_node_dies(
    store: TestStore,
) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (node_b, node_b_app) = another_node_with_state(&site).await;
    let node_a = site.state.clone();
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (mut elena, _) = writer(&db, &node_b_app, "Elena Vasquez", Role::Editor).await;
    let id = write(
        &mut ana,
        room.politics,
        ana_author,
        "Ferry trial",
        "First words.",
    )
    .await;
    let opened_at = db.articles().by_id(id).await.unwrap().unwrap().version;
    let presence = format!("/newsroom/articles/{id}/presence");

    let mut anas = Events::open(&ana, &format!("{presence}?tab=ana1")).await;
    let first = anas.until("event: editors").await;
    assert!(
        first.contains("Ana Editor") && !first.contains("Elena"),
        "{first}"
    );

    // Elena opens the story on node B: she is warned at once that Ana is in it.
    let mut elenas = Events::open(&elena, &format!("{presence}?tab=elena1")).await;
    let both = elenas.until("event: editors").await;
    assert!(
        both.contains("Ana Editor") && both.contains("Elena Vasquez"),
        "{both}"
    );
    // Node A's next heartbeat tells Ana.
    let now = Timestamp::now();
    let joined = heartbeat_until(&node_a, now, &mut anas, |e| e.contains("Elena Vasquez")).await;
    assert!(joined.contains(r#""tab":"elena1""#), "{joined}");
    // Another heartbeat with nothing new tells nobody.
    node_a.sync_presence(now).await.unwrap();
    assert_eq!(anas.next_within(Duration::from_millis(200)).await, None);

    // Elena saves on node B; node A follows the changes log and Ana hears of it.
    let edit_url = format!("/newsroom/articles/{id}/edit");
    let fields = edit_fields(
        opened_at,
        room.politics,
        ana_author,
        "Ferry trial",
        "Elena's.",
    );
    let saved = post(&mut elena, &edit_url, &edit_url, &fields).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    node_a.apply_changes().await.unwrap();
    let news = anas.until("event: saved").await;
    assert!(news.contains(r#""by":"Elena Vasquez""#), "{news}");

    // Elena closes her tab: Ana is told within a heartbeat that she is alone again.
    drop(elenas);
    heartbeat_until(&node_a, now, &mut anas, |e| !e.contains("Elena")).await;

    // Elena comes back, then node B dies (its heartbeat stops, her stream never closes): five
    // heartbeats later, node A no longer counts her.
    let mut back = Events::open(&elena, &format!("{presence}?tab=elena2")).await;
    back.until("Ana Editor").await;
    heartbeat_until(&node_a, now, &mut anas, |e| e.contains("elena2")).await;
    let later = now + SignedDuration::from_secs(6);
    let alone = heartbeat_until(&node_a, later, &mut anas, |e| !e.contains("Elena")).await;
    assert!(alone.contains("Ana Editor"), "{alone}");
    // Had node B kept beating, she would still be there.
    node_b.sync_presence(later).await.unwrap();
    heartbeat_until(&node_a, later, &mut anas, |e| e.contains("elena2")).await;
    // And node B's tab hears of Ana leaving through the same heartbeat.
    drop(anas);
    let left = heartbeat_until(&node_b, later, &mut back, |e| !e.contains("Ana")).await;
    assert!(left.contains("Elena Vasquez"), "{left}");
}

async fn presence_follows_the_edit_rule_and_stays_bounded(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (casey, _) = writer(&db, &site.app, "Casey Contributor", Role::Contributor).await;
    let id = write(&mut ana, room.politics, ana_author, "Ana's draft", "Words.").await;

    // A contributor may not edit someone else's draft, so may not watch it either.
    let refused = casey
        .open(&format!("/newsroom/articles/{id}/presence?tab=c1"))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Signed out: no stream at all.
    let stranger = Browser::new(&site.app);
    let anonymous = stranger
        .open(&format!("/newsroom/articles/{id}/presence?tab=x1"))
        .await;
    assert_ne!(anonymous.status(), StatusCode::OK);
    // A tab name is a short word, checked before anything is kept.
    for bad in ["", "has%20space", &"a".repeat(33)] {
        let answer = ana
            .open(&format!("/newsroom/articles/{id}/presence?tab={bad}"))
            .await;
        assert_eq!(answer.status(), StatusCode::BAD_REQUEST, "tab {bad:?}");
    }
    assert_eq!(
        ana.open("/newsroom/articles/999999/presence?tab=a")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    // One person cannot hold more than a dozen editors open, on all nodes together.
    let (_, node_b) = another_node_with_state(&site).await;
    let mut ana_on_b = Browser::new(&node_b);
    ana_on_b.cookies = ana.cookies.clone();
    let mut open = Vec::new();
    for n in 0..12 {
        let browser = if n % 2 == 0 { &ana } else { &ana_on_b };
        let response = browser
            .open(&format!("/newsroom/articles/{id}/presence?tab=t{n}"))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "tab {n}");
        open.push(response);
    }
    for browser in [&ana, &ana_on_b] {
        let thirteenth = browser
            .open(&format!("/newsroom/articles/{id}/presence?tab=t12"))
            .await;
        assert_eq!(thirteenth.status(), StatusCode::TOO_MANY_REQUESTS);
    }
    // Closing tabs frees their places (on each node at once, in the database a moment later).
    open.clear();
    let mut again = StatusCode::TOO_MANY_REQUESTS;
    for _ in 0..50 {
        let response = ana_on_b
            .open(&format!("/newsroom/articles/{id}/presence?tab=t13"))
            .await;
        again = response.status();
        if again == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(again, StatusCode::OK);
}

async fn tags_are_offered_most_used_first(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    // `write` tags each story "Budget, Parliament"; one more story adds "Budget Office".
    write(&mut ana, room.politics, author, "One", "Words.").await;
    write(&mut ana, room.world, author, "Two", "Words.").await;
    let third = write(&mut ana, room.world, author, "Three", "Words.").await;
    let edit_url = format!("/newsroom/articles/{third}/edit");
    let version = db.articles().by_id(third).await.unwrap().unwrap().version;
    let mut fields = edit_fields(version, room.world, author, "Three", "Words.");
    fields.retain(|(k, _)| k != "tags");
    fields.push(("tags".into(), "Budget Office".into()));
    assert_eq!(
        post(&mut ana, &edit_url, &edit_url, &fields).await.status,
        StatusCode::SEE_OTHER
    );

    let found = ana.get("/newsroom/tags?q=bud").await;
    assert_eq!(found.status, StatusCode::OK);
    let answer: serde_json::Value = serde_json::from_str(&found.body).unwrap();
    let names: Vec<(&str, i64)> = answer["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap(), t["articles"].as_i64().unwrap()))
        .collect();
    assert_eq!(names, vec![("Budget", 2), ("Budget Office", 1)]);
    // Pattern characters are taken literally; an empty query offers the most used.
    let literal = ana.get("/newsroom/tags?q=%25").await;
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&literal.body).unwrap()["tags"],
        serde_json::json!([])
    );
    let any = ana.get("/newsroom/tags").await;
    let any: serde_json::Value = serde_json::from_str(&any.body).unwrap();
    assert_eq!(any["tags"][0]["name"], "Budget");
    // Nobody signed out learns the newsroom's tags.
    let mut stranger = Browser::new(&site.app);
    let anonymous = stranger.get("/newsroom/tags?q=bud").await;
    assert_ne!(anonymous.status, StatusCode::OK);
    assert!(!anonymous.body.contains("Budget"));
}

async fn the_dashboard_shows_each_role_what_waits_for_it(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (mut casey, casey_author) =
        writer(&db, &site.app, "Casey Contributor", Role::Contributor).await;

    let anas_draft = write(
        &mut ana,
        room.politics,
        ana_author,
        "Ana's own draft",
        "Words.",
    )
    .await;
    let caseys = write(
        &mut casey,
        room.politics,
        casey_author,
        "Casey's story",
        "Words.",
    )
    .await;
    let submitted = casey
        .submit(
            &format!("/newsroom/articles/{caseys}/edit"),
            &format!("/newsroom/articles/{caseys}/status"),
            &[("to", "in_review")],
        )
        .await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    // Scheduled for an hour from now: today, unless the test runs in the newsroom's last hour.
    let soon = write(&mut ana, room.world, ana_author, "Going out soon", "Words.").await;
    let in_an_hour = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(60);
    db.articles()
        .schedule(
            soon,
            in_an_hour,
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    db.tips()
        .create(
            &NewTip {
                kind: TipKind::Tip,
                article_id: None,
                reply_public_key: "age1test".into(),
                message: b"ciphertext".to_vec(),
                contact: None,
                codename_key: "k1".into(),
                attachments: Vec::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();

    let page = ana.get("/newsroom").await;
    assert_eq!(page.status, StatusCode::OK);
    let body = &page.body;
    let section = |heading: &str| {
        let at = body
            .find(heading)
            .unwrap_or_else(|| panic!("{heading} in {body}"));
        let end = body[at..].find("</section>").unwrap();
        body[at..at + end].to_owned()
    };
    assert!(
        section("My drafts").contains("Ana&#39;s own draft"),
        "{body}"
    );
    assert!(
        !section("My drafts").contains("Casey"),
        "another's draft is not mine"
    );
    assert!(
        section("Waiting for review").contains("Casey&#39;s story"),
        "{body}"
    );
    let today = section("Scheduled today");
    let tomorrow_already = in_an_hour.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
        != jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date();
    assert_eq!(
        today.contains("Going out soon"),
        !tomorrow_already,
        "{today}"
    );
    assert!(body.contains(&format!("/newsroom/articles/{anas_draft}/edit")));
    // An editor moderates comments and triages tips: both counts are there.
    assert!(body.contains("comments waiting for moderation"), "{body}");
    assert!(body.contains("<strong>1</strong> unread tip<"), "{body}");

    // A contributor sees their own work, and nothing about comments or tips.
    let theirs = casey.get("/newsroom").await;
    assert_eq!(theirs.status, StatusCode::OK);
    assert!(
        theirs.body.contains("Yours waiting for review"),
        "{}",
        theirs.body
    );
    assert!(theirs.body.contains("Casey&#39;s story"));
    assert!(!theirs.body.contains("Ana&#39;s own draft"));
    assert!(!theirs.body.contains("unread tip"));
    assert!(!theirs.body.contains("waiting for moderation"));
}
