//! The editor through the front door, signed in as real staff: writing, saving, a stale save,
//! revisions, the workflow per role, scheduling in the newsroom's zone, corrections, preview and
//! the form token — on both backends.

use dateline_core::{Action, ArticleStatus, Role, permits};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, ArticleInput, AuthorInput, NewStaff, SectionInput, Store};
use dateline_web::newsroom::secrets;
use http::{StatusCode, header};

use super::newsroom_auth::{Browser, ORIGIN, PASSWORD, csrf_in};
use super::{Answer, get, site};

dateline_db::both_backends!(
    write_save_conflict_and_revisions,
    a_refused_form_shows_everything_typed,
    workflow_buttons_and_steps_follow_the_role,
    scheduling_reads_times_in_the_newsroom_zone,
    a_correction_appears_on_the_public_page,
    every_editor_form_needs_the_token,
    preview_renders_the_body_as_the_public_page_does,
    the_list_filters_and_shows_contributors_their_own_work,
    every_role_on_own_and_others_articles_gets_what_the_table_allows,
);

pub(crate) struct Desk {
    pub(crate) politics: i64,
    pub(crate) world: i64,
}

pub(crate) async fn desk(store: &Store) -> Desk {
    let politics = store
        .site()
        .create_section(
            &SectionInput {
                slug: "politics".into(),
                name: "Politics".into(),
                description: String::new(),
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
    Desk {
        politics: politics.id,
        world: world.id,
    }
}

/// A staff member with their own author profile (their byline), signed in.
pub(crate) async fn writer(
    store: &Store,
    app: &axum::Router,
    name: &str,
    role: Role,
) -> (Browser, i64) {
    let slug = name.to_lowercase().replace(' ', "-");
    let author = store
        .people()
        .create_author(
            &AuthorInput {
                slug: slug.clone(),
                name: name.to_owned(),
                role: "Reporter".into(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let email = format!("{slug}@example.org");
    store
        .people()
        .create_staff(
            &NewStaff {
                email: email.clone(),
                display_name: name.to_owned(),
                role,
                password_hash: Some(secrets::hash_password(PASSWORD).expect("hash")),
                author_id: Some(author.id),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("staff");
    let mut browser = Browser::new(app);
    let signed_in = browser.sign_in(&email, PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    (browser, author.id)
}

fn location(answer: &Answer) -> String {
    answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

/// Creates an article through the form and returns its id.
pub(crate) async fn write(
    browser: &mut Browser,
    section: i64,
    author: i64,
    headline: &str,
    body: &str,
) -> i64 {
    let section = section.to_string();
    let author = author.to_string();
    let created = browser
        .submit(
            "/newsroom/articles/new",
            "/newsroom/articles/new",
            &[
                ("headline", headline),
                ("standfirst", "What happened."),
                ("section_id", &section),
                ("author", &author),
                ("author", ""),
                ("tags", "Budget, Parliament"),
                ("dateline_place", "Bogotá"),
                ("body", body),
                ("hero_image_id", ""),
                ("comments_open", "on"),
                ("language", "en"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let path = location(&created);
    path.trim_start_matches("/newsroom/articles/")
        .split('/')
        .next()
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("an article id in {path}"))
}

/// The fields of an article's edit form as the page shows them, ready to post back.
pub(crate) fn edit_fields(
    store_version: i64,
    section: i64,
    author: i64,
    headline: &str,
    body: &str,
) -> Vec<(String, String)> {
    vec![
        ("headline".into(), headline.into()),
        ("standfirst".into(), "What happened.".into()),
        ("section_id".into(), section.to_string()),
        ("author".into(), author.to_string()),
        ("tags".into(), "Budget".into()),
        ("body".into(), body.into()),
        ("language".into(), "en".into()),
        ("comments_open".into(), "on".into()),
        ("expected_version".into(), store_version.to_string()),
        ("intent".into(), "save".into()),
    ]
}

pub(crate) async fn post(
    browser: &mut Browser,
    page: &str,
    action: &str,
    fields: &[(String, String)],
) -> Answer {
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    browser.submit(page, action, &borrowed).await
}

async fn write_save_conflict_and_revisions(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, ana_author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let (mut ben, _) = writer(&db, &site.app, "Ben Editor", Role::Editor).await;

    let id = write(
        &mut ana,
        room.politics,
        ana_author,
        "Budget vote delayed",
        "The vote was delayed.",
    )
    .await;
    let article = db
        .articles()
        .by_id(id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(article.status, ArticleStatus::Draft);
    assert_eq!(
        article.slug, "budget-vote-delayed",
        "the slug comes from the headline"
    );
    let edit_url = format!("/newsroom/articles/{id}/edit");
    let page = ana.get(&edit_url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(r#"value="Budget vote delayed""#));
    assert!(page.body.contains("Budget, Parliament"));
    let opened_at = article.version;

    // Ben saves first.
    let bens = post(
        &mut ben,
        &edit_url,
        &edit_url,
        &edit_fields(
            opened_at,
            room.politics,
            ana_author,
            "Budget vote delayed again",
            "The vote was delayed twice.",
        ),
    )
    .await;
    assert_eq!(bens.status, StatusCode::SEE_OTHER, "{}", bens.body);

    // Ana saves over the version she opened: refused, her text shown, Ben's kept.
    let anas = post(
        &mut ana,
        &edit_url,
        &edit_url,
        &edit_fields(
            opened_at,
            room.politics,
            ana_author,
            "Budget vote postponed",
            "Ana careful rewrite.",
        ),
    )
    .await;
    assert_eq!(anas.status, StatusCode::CONFLICT);
    assert!(
        anas.body.contains("Ben Editor saved revision 2"),
        "{}",
        anas.body
    );
    assert!(anas.body.contains("Ana careful rewrite."));
    assert!(anas.body.contains(r#"value="Budget vote postponed""#));
    assert!(
        anas.body.contains("The vote was delayed twice."),
        "the saved version is shown"
    );
    let now_saved = db
        .articles()
        .by_id(id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(
        now_saved.headline, "Budget vote delayed again",
        "nothing overwritten"
    );
    let current = now_saved.version.to_string();
    assert!(
        anas.body
            .contains(&format!(r#"name="expected_version" value="{current}""#))
    );

    // Sending her version again from the conflict page puts it on top.
    let again = post(
        &mut ana,
        &edit_url,
        &edit_url,
        &edit_fields(
            now_saved.version,
            room.politics,
            ana_author,
            "Budget vote postponed",
            "Ana careful rewrite.",
        ),
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    assert_eq!(
        db.articles()
            .by_id(id)
            .await
            .expect("read")
            .expect("stored")
            .headline,
        "Budget vote postponed"
    );

    let history_url = format!("/newsroom/articles/{id}/revisions");
    let history = ana.get(&history_url).await;
    assert_eq!(history.status, StatusCode::OK);
    for who in ["Ana Editor", "Ben Editor"] {
        assert!(history.body.contains(who), "{who} in the history");
    }
    let compared = ana.get(&format!("{history_url}?from=1&to=3")).await;
    assert_eq!(compared.status, StatusCode::OK);
    assert!(
        compared.body.contains("<del>delayed</del>"),
        "{}",
        compared.body
    );
    assert!(
        compared.body.contains("<ins>postponed</ins>"),
        "{}",
        compared.body
    );

    let version = db
        .articles()
        .by_id(id)
        .await
        .expect("read")
        .expect("stored")
        .version
        .to_string();
    let stale = post(
        &mut ana,
        &history_url,
        &format!("{history_url}/1/restore"),
        &[("expected_version".into(), "1".into())],
    )
    .await;
    assert_eq!(stale.status, StatusCode::SEE_OTHER);
    assert!(location(&stale).ends_with("stale=1"));
    let restored = post(
        &mut ana,
        &history_url,
        &format!("{history_url}/1/restore"),
        &[("expected_version".into(), version)],
    )
    .await;
    assert_eq!(restored.status, StatusCode::SEE_OTHER, "{}", restored.body);
    let back = db
        .articles()
        .by_id(id)
        .await
        .expect("read")
        .expect("stored");
    assert_eq!(back.headline, "Budget vote delayed");
    let revisions = db.articles().revisions(id).await.expect("revisions");
    assert_eq!(revisions.len(), 4);
    assert_eq!(revisions[0].restored_from, Some(1));
}

async fn a_refused_form_shows_everything_typed(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut ana, author) = writer(&db, &site.app, "Ana Editor", Role::Editor).await;
    let author = author.to_string();
    let world = room.world.to_string();
    let refused = ana
        .submit(
            "/newsroom/articles/new",
            "/newsroom/articles/new",
            &[
                ("headline", "   "),
                ("standfirst", "A standfirst kept"),
                ("section_id", &world),
                ("author", &author),
                ("author", &author),
                ("tags", "Ports, Trade"),
                ("dateline_place", "Cartagena"),
                ("body", "Paragraph one <kept> & typed."),
                ("hero_image_id", "999"),
                ("language", "en"),
                ("intent", "save"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for message in [
        "Write a headline.",
        "An author is listed twice.",
        "That image is not in the library.",
    ] {
        assert!(refused.body.contains(message), "{message}");
    }
    assert!(refused.body.contains(r#"id="headline-error""#));
    for typed in [
        "A standfirst kept",
        "Ports, Trade",
        "Cartagena",
        "Paragraph one &lt;kept&gt; &amp; typed.",
    ] {
        assert!(refused.body.contains(typed), "{typed} shown again");
    }
    assert!(refused.body.contains(&format!(
        r#"<option value="{world}" data-slug="world" selected>World</option>"#
    )));
    assert!(
        !refused.body.contains(r#"name="comments_open" checked"#)
            && !refused.body.contains("comments_open\" checked")
    );
    assert_eq!(
        db.articles().stats().await.expect("stats").total,
        0,
        "nothing saved"
    );
}

async fn status(browser: &mut Browser, id: i64, to: &str) -> Answer {
    let edit = format!("/newsroom/articles/{id}/edit");
    browser
        .submit(
            &edit,
            &format!("/newsroom/articles/{id}/status"),
            &[("to", to)],
        )
        .await
}

async fn workflow_buttons_and_steps_follow_the_role(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut carla, carla_author) =
        writer(&db, &site.app, "Carla Contributor", Role::Contributor).await;
    let (mut aurelio, aurelio_author) =
        writer(&db, &site.app, "Aurelio Author", Role::Author).await;
    let (mut edna, _) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;

    let carlas = write(
        &mut carla,
        room.politics,
        carla_author,
        "Council meets",
        "Text.",
    )
    .await;
    let page = carla
        .get(&format!("/newsroom/articles/{carlas}/edit"))
        .await;
    assert!(page.body.contains("Submit for review"));
    assert!(
        !page.body.contains("Publish now"),
        "a contributor is not offered publishing"
    );
    assert_eq!(
        status(&mut carla, carlas, "published").await.status,
        StatusCode::FORBIDDEN
    );
    let submitted = status(&mut carla, carlas, "in_review").await;
    assert_eq!(
        submitted.status,
        StatusCode::SEE_OTHER,
        "{}",
        submitted.body
    );
    assert_eq!(
        db.articles()
            .by_id(carlas)
            .await
            .expect("ok")
            .expect("ok")
            .status,
        ArticleStatus::InReview
    );

    // An author publishes their own work, not someone else's.
    assert_eq!(
        status(&mut aurelio, carlas, "published").await.status,
        StatusCode::FORBIDDEN
    );
    let aurelios = write(
        &mut aurelio,
        room.politics,
        aurelio_author,
        "Mayor resigns",
        "Text.",
    )
    .await;
    let page = aurelio
        .get(&format!("/newsroom/articles/{aurelios}/edit"))
        .await;
    assert!(page.body.contains("Publish now"));
    assert_eq!(
        status(&mut aurelio, aurelios, "published").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.articles()
            .by_id(aurelios)
            .await
            .expect("ok")
            .expect("ok")
            .status,
        ArticleStatus::Published
    );

    // An editor publishes anyone's, and takes it down again.
    assert_eq!(
        status(&mut edna, carlas, "published").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.articles()
            .by_id(carlas)
            .await
            .expect("ok")
            .expect("ok")
            .status,
        ArticleStatus::Published
    );
    assert_eq!(
        get(&site.app, "/politics/council-meets").await.status,
        StatusCode::OK
    );
    let page = edna.get(&format!("/newsroom/articles/{carlas}/edit")).await;
    assert!(page.body.contains("Unpublish") && !page.body.contains("Submit for review"));
    assert_eq!(
        status(&mut edna, carlas, "unpublished").await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        db.articles()
            .by_id(carlas)
            .await
            .expect("ok")
            .expect("ok")
            .status,
        ArticleStatus::Unpublished
    );
    // Illegal steps are refused with the reason, on the page.
    let illegal = status(&mut edna, carlas, "in_review").await;
    assert_eq!(illegal.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(illegal.body.contains("cannot go from"), "{}", illegal.body);
    // Every step is in the audit log with who did it.
    let audit = db.audit().log(None, 50).await.expect("audit");
    assert!(
        audit
            .iter()
            .any(|e| e.action == "article.publish" && e.actor.name == "Aurelio Author")
    );
    assert!(
        audit
            .iter()
            .any(|e| e.action == "article.unpublish" && e.actor.name == "Edna Editor")
    );
}

async fn scheduling_reads_times_in_the_newsroom_zone(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let mut settings = db.site().settings().await.expect("settings");
    settings.time_zone = "America/New_York".to_owned();
    db.site()
        .save_settings(&settings, jiff::Timestamp::now())
        .await
        .expect("zone");
    let site = site(store).await;
    let (mut edna, author) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;
    let id = write(
        &mut edna,
        room.politics,
        author,
        "Embargoed report",
        "Text.",
    )
    .await;
    let edit = format!("/newsroom/articles/{id}/edit");
    let page = edna.get(&edit).await;
    assert!(page.body.contains("Publish at (America/New_York time)"));
    assert!(page.body.contains(r#"type="datetime-local""#));
    let schedule = format!("/newsroom/articles/{id}/schedule");

    // 02:30 on the night the clocks go forward does not exist in New York.
    let skipped = edna
        .submit(&edit, &schedule, &[("publish_at", "2031-03-09T02:30")])
        .await;
    assert_eq!(skipped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        skipped.body.contains(r#"id="publish_at-error""#),
        "{}",
        skipped.body
    );
    assert!(
        skipped.body.contains(r#"value="2031-03-09T02:30""#),
        "the typed time is kept"
    );
    assert_eq!(
        db.articles()
            .by_id(id)
            .await
            .expect("ok")
            .expect("ok")
            .status,
        ArticleStatus::Draft
    );

    // 01:30 on the night they go back happens twice: the first is taken, and the page says so.
    let twice = edna
        .submit(&edit, &schedule, &[("publish_at", "2031-11-02T01:30")])
        .await;
    assert_eq!(twice.status, StatusCode::OK, "{}", twice.body);
    assert!(twice.body.contains("happens twice"), "{}", twice.body);
    let article = db.articles().by_id(id).await.expect("ok").expect("ok");
    assert_eq!(article.status, ArticleStatus::Scheduled);
    assert_eq!(
        article.scheduled_for,
        Some("2031-11-02T05:30:00Z".parse().expect("ok")),
        "01:30 EDT, the first of the two"
    );

    let summer = edna
        .submit(&edit, &schedule, &[("publish_at", "2031-07-01T09:15")])
        .await;
    assert_eq!(summer.status, StatusCode::OK);
    assert_eq!(
        db.articles()
            .by_id(id)
            .await
            .expect("ok")
            .expect("ok")
            .scheduled_for,
        Some("2031-07-01T13:15:00Z".parse().expect("ok"))
    );
    let page = edna.get(&edit).await;
    assert!(
        page.body.contains(r#"value="2031-07-01T09:15""#),
        "shown in the zone again"
    );
    let past = edna
        .submit(&edit, &schedule, &[("publish_at", "2001-01-01T09:00")])
        .await;
    assert_eq!(past.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_correction_appears_on_the_public_page(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut edna, author) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;
    let (mut aurelio, aurelio_author) =
        writer(&db, &site.app, "Aurelio Author", Role::Author).await;
    let id = write(&mut edna, room.politics, author, "Bridge reopens", "Text.").await;
    let edit = format!("/newsroom/articles/{id}/edit");
    assert!(
        !edna.get(&edit).await.body.contains("Add note"),
        "notes are for published stories"
    );
    assert_eq!(
        status(&mut edna, id, "published").await.status,
        StatusCode::SEE_OTHER
    );
    assert!(edna.get(&edit).await.body.contains("Add note"));

    let notes = format!("/newsroom/articles/{id}/notes");
    let empty = edna
        .submit(&edit, &notes, &[("kind", "correction"), ("text", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains(r#"id="note-error""#));
    let text = "An earlier version gave the wrong date for the reopening.";
    let added = edna
        .submit(&edit, &notes, &[("kind", "correction"), ("text", text)])
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(added.body.contains("Correction added."));
    let public = get(&site.app, "/politics/bridge-reopens").await;
    assert!(public.body.contains(text));
    assert!(public.body.contains("CorrectionComment"));

    // Corrections are an editor's call, even on an author's own story.
    let own = write(
        &mut aurelio,
        room.politics,
        aurelio_author,
        "Ferry delayed",
        "Text.",
    )
    .await;
    assert_eq!(
        status(&mut aurelio, own, "published").await.status,
        StatusCode::SEE_OTHER
    );
    let refused = aurelio
        .submit(
            &format!("/newsroom/articles/{own}/edit"),
            &format!("/newsroom/articles/{own}/notes"),
            &[("kind", "update"), ("text", "More news.")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(db.articles().notes(own).await.expect("ok").is_empty());
}

async fn every_editor_form_needs_the_token(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut edna, author) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;
    let id = write(&mut edna, room.politics, author, "Tokens matter", "Text.").await;
    let version = db
        .articles()
        .by_id(id)
        .await
        .expect("ok")
        .expect("ok")
        .version;
    let fields = edit_fields(version, room.politics, author, "Forged headline", "Forged.");
    let forged: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for action in [
        "/newsroom/articles/new".to_owned(),
        format!("/newsroom/articles/{id}/edit"),
        format!("/newsroom/articles/{id}/status"),
        format!("/newsroom/articles/{id}/schedule"),
        format!("/newsroom/articles/{id}/notes"),
        format!("/newsroom/articles/{id}/revisions/1/restore"),
        "/newsroom/articles/preview-body".to_owned(),
    ] {
        let answer = edna.post_raw(&action, &forged, &[("origin", ORIGIN)]).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{action} without a token"
        );
        let mut with_wrong = vec![("csrf", "not-the-token")];
        with_wrong.extend_from_slice(&forged);
        let answer = edna
            .post_raw(&action, &with_wrong, &[("origin", ORIGIN)])
            .await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{action} with a wrong token"
        );
    }
    let article = db.articles().by_id(id).await.expect("ok").expect("ok");
    assert_eq!(article.headline, "Tokens matter");
    assert_eq!(article.version, version);
    assert_eq!(db.articles().stats().await.expect("ok").total, 1);

    // The script's way: the token in a header.
    let token = csrf_in(
        &edna
            .get(&format!("/newsroom/articles/{id}/edit"))
            .await
            .body,
    );
    let mut autosave = fields.clone();
    autosave.retain(|(k, _)| k != "intent");
    autosave.push(("intent".into(), "autosave".into()));
    let body: Vec<(&str, &str)> = autosave
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let saved = edna
        .post_raw(
            &format!("/newsroom/articles/{id}/edit"),
            &body,
            &[("origin", ORIGIN), ("x-csrf-token", &token)],
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    assert!(
        saved
            .body
            .contains(&format!(r#""version":{}"#, version + 1))
    );
    let stale = edna
        .post_raw(
            &format!("/newsroom/articles/{id}/edit"),
            &body,
            &[("origin", ORIGIN), ("x-csrf-token", &token)],
        )
        .await;
    assert_eq!(
        stale.status,
        StatusCode::CONFLICT,
        "autosave keeps the version lock"
    );
}

/// The article body as a page renders it.
fn article_body(html: &str) -> &str {
    let start = html
        .find(r#"<div class="article-body">"#)
        .expect("article body");
    let end = start + html[start..].find("</div>").expect("end of body");
    &html[start..end]
}

async fn preview_renders_the_body_as_the_public_page_does(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut edna, author) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;
    let body =
        "First **bold** paragraph.\n\n> A quote\n\n- one\n- two\n\n<script>alert(1)</script>";
    let id = write(&mut edna, room.politics, author, "Preview check", body).await;
    assert_eq!(
        status(&mut edna, id, "published").await.status,
        StatusCode::SEE_OTHER
    );
    let public = get(&site.app, "/politics/preview-check").await;
    let edit = format!("/newsroom/articles/{id}/edit");
    let version = db
        .articles()
        .by_id(id)
        .await
        .expect("ok")
        .expect("ok")
        .version;
    let mut fields = edit_fields(version, room.politics, author, "Preview check", body);
    fields.retain(|(k, _)| k != "intent");
    fields.push(("intent".into(), "preview".into()));
    let preview = post(&mut edna, &edit, &edit, &fields).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(article_body(&preview.body), article_body(&public.body));
    assert!(!article_body(&preview.body).contains("<script>"));
    assert!(preview.body.contains("preview-banner"));
    assert!(
        preview
            .body
            .contains(r#"<meta name="robots" content="noindex, nofollow">"#)
    );
    assert_eq!(preview.headers[header::CACHE_CONTROL], "private, no-store");
    assert!(
        preview.body.contains(r#"value="edit""#),
        "a way back to the form"
    );
    assert_eq!(
        db.articles()
            .by_id(id)
            .await
            .expect("ok")
            .expect("ok")
            .version,
        version,
        "a preview saves nothing"
    );

    // Back to editing keeps what was typed.
    let token = csrf_in(&preview.body);
    let mut back = fields.clone();
    back.retain(|(k, _)| k != "intent" && k != "headline");
    back.push(("headline".into(), "Typed but unsaved".into()));
    back.push(("intent".into(), "edit".into()));
    back.insert(0, ("csrf".into(), token.clone()));
    let borrowed: Vec<(&str, &str)> = back.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let form = edna.post_raw(&edit, &borrowed, &[("origin", ORIGIN)]).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains(r#"value="Typed but unsaved""#));

    let fragment = edna
        .post_raw(
            "/newsroom/articles/preview-body",
            &[("body", body)],
            &[("origin", ORIGIN), ("x-csrf-token", &token)],
        )
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    let public_body = article_body(&public.body);
    assert!(
        public_body.contains(fragment.body.trim()),
        "{} in {public_body}",
        fragment.body
    );
}

async fn the_list_filters_and_shows_contributors_their_own_work(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let (mut carla, carla_author) =
        writer(&db, &site.app, "Carla Contributor", Role::Contributor).await;
    let (mut edna, edna_author) = writer(&db, &site.app, "Edna Editor", Role::Editor).await;
    write(
        &mut carla,
        room.politics,
        carla_author,
        "Carla 100% scoop",
        "Text.",
    )
    .await;
    let ednas = write(
        &mut edna,
        room.world,
        edna_author,
        "Edna world story",
        "Text.",
    )
    .await;
    write(
        &mut edna,
        room.politics,
        edna_author,
        "Edna politics story",
        "Text.",
    )
    .await;
    assert_eq!(
        status(&mut edna, ednas, "published").await.status,
        StatusCode::SEE_OTHER
    );

    let all = edna.get("/newsroom/articles").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.body.contains("3 articles"));
    let dashboard = edna.get("/newsroom").await;
    assert!(dashboard.body.contains(r#"href="/newsroom/articles""#));

    let published = edna.get("/newsroom/articles?status=published").await;
    assert!(published.body.contains("Edna world story"));
    assert!(published.body.contains("1 article,"));
    let in_world = edna
        .get(&format!("/newsroom/articles?section={}", room.world))
        .await;
    assert!(in_world.body.contains("1 article,"));
    let by_carla = edna
        .get(&format!("/newsroom/articles?author={carla_author}"))
        .await;
    assert!(by_carla.body.contains("1 article,") && by_carla.body.contains("scoop"));
    let text = edna.get("/newsroom/articles?q=POLITICS").await;
    assert!(text.body.contains("1 article,"));
    let literal = edna.get("/newsroom/articles?q=100%25").await;
    assert!(literal.body.contains("1 article,"), "% is taken literally");

    let own = carla.get("/newsroom/articles").await;
    assert!(own.body.contains("1 article,"), "{}", own.body);
    assert!(
        own.body.contains("scoop")
            && !own.body.contains("Edna world story")
            && !own.body.contains("Edna politics story")
    );
}

/// A fresh article in `status`, started by `actor` with `author` on the byline.
async fn article_in(
    db: &Store,
    section: i64,
    author: i64,
    actor: &Actor,
    status: ArticleStatus,
    slug: &str,
) -> i64 {
    let input = ArticleInput {
        section_id: section,
        slug: slug.to_owned(),
        headline: format!("Headline {slug}"),
        standfirst: String::new(),
        body: "Text.".to_owned(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: vec![author],
        tags: Vec::new(),
        language: "en".to_owned(),
        comments_open: true,
        status: ArticleStatus::Draft,
        first_published_at: None,
        updated_at: None,
    };
    let id = db
        .articles()
        .create_as(&input, actor, jiff::Timestamp::now())
        .await
        .expect("article")
        .id;
    let now = jiff::Timestamp::now();
    if status == ArticleStatus::InReview || status == ArticleStatus::Published {
        db.articles()
            .transition(id, status, actor, now)
            .await
            .expect("status");
    }
    id
}

async fn every_role_on_own_and_others_articles_gets_what_the_table_allows(store: TestStore) {
    let room = desk(&store).await;
    let db = store.store.clone();
    let site = site(store).await;
    let other_author = db
        .people()
        .create_author(
            &AuthorInput {
                slug: "someone-else".into(),
                name: "Someone Else".into(),
                role: String::new(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    let other = Actor::system("someone else");
    let mut n = 0;
    for role in Role::ALL {
        let name = format!("{role} writer");
        let (mut browser, my_author) = writer(&db, &site.app, &name, role).await;
        let me = db
            .people()
            .staff_by_email(&format!("{role}-writer@example.org"))
            .await
            .expect("me");
        let me = Actor::staff(me.id, me.display_name);
        for owns in [true, false] {
            let (author, actor) = if owns {
                (my_author, &me)
            } else {
                (other_author.id, &other)
            };
            let mut fresh = async |status| {
                n += 1;
                article_in(&db, room.politics, author, actor, status, &format!("a{n}")).await
            };
            let draft = fresh(ArticleStatus::Draft).await;
            let in_review = fresh(ArticleStatus::InReview).await;
            let published = fresh(ArticleStatus::Published).await;
            let draft_b = fresh(ArticleStatus::Draft).await;
            let published_b = fresh(ArticleStatus::Published).await;
            let version = db
                .articles()
                .by_id(draft)
                .await
                .expect("ok")
                .expect("ok")
                .version;
            let save = edit_fields(version, room.politics, author, "Changed", "Changed.");
            let mut save: Vec<(String, String)> = save;
            save.push(("slug".into(), format!("changed-{draft}")));
            type Check = (&'static str, String, Vec<(String, String)>, Action);
            let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
            let checks: Vec<Check> = vec![
                (
                    "GET",
                    format!("/newsroom/articles/{draft}/edit"),
                    vec![],
                    Action::EditDraft,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{draft}/edit"),
                    save,
                    Action::EditDraft,
                ),
                (
                    "GET",
                    format!("/newsroom/articles/{published}/edit"),
                    vec![],
                    Action::EditPublished,
                ),
                (
                    "GET",
                    format!("/newsroom/articles/{draft}/revisions"),
                    vec![],
                    Action::UseRevisions,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{draft_b}/status"),
                    vec![pair("to", "in_review")],
                    Action::SubmitForReview,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{in_review}/status"),
                    vec![pair("to", "published")],
                    Action::Publish,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{draft_b}/schedule"),
                    vec![pair("publish_at", "2040-01-01T09:00")],
                    Action::Schedule,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{published}/status"),
                    vec![pair("to", "unpublished")],
                    Action::Unpublish,
                ),
                (
                    "POST",
                    format!("/newsroom/articles/{published_b}/notes"),
                    vec![pair("kind", "update"), pair("text", "More.")],
                    Action::AddUpdateNote,
                ),
            ];
            for (method, path, fields, action) in checks {
                let before = db.audit().log(None, 1).await.expect("audit");
                let answer = if method == "GET" {
                    browser.get(&path).await
                } else {
                    post(&mut browser, "/newsroom/articles", &path, &fields).await
                };
                let whose = if owns { "own" } else { "other's" };
                if permits(role, action, owns) {
                    assert!(
                        answer.status == StatusCode::OK || answer.status == StatusCode::SEE_OTHER,
                        "{role} {method} {path} ({whose}): {} {}",
                        answer.status,
                        answer.body
                    );
                } else {
                    assert_eq!(
                        answer.status,
                        StatusCode::FORBIDDEN,
                        "{role} {method} {path} ({whose})"
                    );
                    assert_eq!(
                        db.audit().log(None, 1).await.expect("audit"),
                        before,
                        "a refusal changes nothing"
                    );
                }
            }
        }
    }
}
