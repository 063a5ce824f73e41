//! One table of bad input, sent through both front doors of every article use case: the
//! newsroom form (signed in as a browser) and the Admin API (a bearer token of the same
//! person). Both must refuse it, with the same status and the same words for the same field.
//! Then the byline attack from the outside review: an author publishing under a colleague's
//! name, by the form and by `PUT`, on create and on update. Then the same table for
//! moderation: the newsroom's moderation forms and the Admin API's moderation endpoints.

use dateline_core::{ArticleStatus, Role};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, AuthorInput, NewStaff, SectionInput, Store};
use dateline_web::newsroom::secrets;
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::newsroom_auth::{Browser, PASSWORD};
use super::{Answer, Site, site};

dateline_db::both_backends!(
    form_and_api_refuse_the_same_input_the_same_way,
    an_author_cannot_publish_under_a_colleagues_byline,
    an_editor_may_put_anyone_on_a_byline,
    moderation_form_and_api_refuse_the_same_input_the_same_way,
);

/// A newsroom with one section, a colleague's byline, and one person (of `role`, writing under
/// a byline of their own) signed in through the form and holding a token.
struct Desk {
    site: Site,
    browser: Browser,
    token: String,
    own_author: (i64, String),
    colleague: (i64, String),
    section: (i64, String),
}

async fn author(store: &Store, slug: &str) -> (i64, String) {
    let author = store
        .people()
        .create_author(
            &AuthorInput {
                slug: slug.to_owned(),
                name: slug.replace('-', " "),
                role: "Reporter".into(),
                bio: String::new(),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("author");
    (author.id, author.slug)
}

async fn desk(store: TestStore, role: Role) -> Desk {
    let section = store
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
    let own_author = author(&store, "own-byline").await;
    let colleague = author(&store, "colleague-byline").await;
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: "writer@news.example".into(),
                display_name: "Writer".into(),
                role,
                password_hash: Some(secrets::hash_password(PASSWORD).expect("hash")),
                author_id: Some(own_author.0),
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("staff");
    let token = format!("dlt_refusals_{role}");
    store
        .sessions()
        .create_api_token(
            "refusals",
            role,
            &secrets::token_digest(&token),
            jiff::Timestamp::now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
            &Actor::staff(member.id, member.display_name.clone()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("token");
    let site = site(store).await;
    let mut browser = Browser::new(&site.app);
    let signed_in = browser.sign_in("writer@news.example", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    Desk {
        site,
        browser,
        token,
        own_author,
        colleague,
        section: (section.id, section.slug),
    }
}

impl Desk {
    async fn api(&self, method: Method, uri: &str, body: Value) -> Answer {
        let request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {}", self.token))
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .expect("request");
        let response = self
            .site
            .app
            .clone()
            .oneshot(request)
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

    /// A draft by this person, through the API; its id and version.
    async fn draft(&self, headline: &str) -> (i64, i64) {
        let created = self
            .api(
                Method::POST,
                "/api/v1/admin/articles",
                json!({ "section": self.section.1, "headline": headline, "body": "Text." }),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        let article: Value = serde_json::from_str(&created.body).expect("json");
        (
            article["id"].as_i64().expect("id"),
            article["version"].as_i64().expect("version"),
        )
    }

    /// The article's form as its edit page shows it, with `changes` laid over it.
    async fn form_fields(&mut self, id: i64, changes: &[(&str, &str)]) -> Vec<(String, String)> {
        let page = self
            .browser
            .get(&format!("/newsroom/articles/{id}/edit"))
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let value = |name: &str| super::newsroom_auth::input_value(&page.body, name);
        let mut fields: Vec<(String, String)> = vec![
            ("headline".into(), value("headline")),
            ("slug".into(), value("slug")),
            ("section_id".into(), self.section.0.to_string()),
            ("author".into(), self.own_author.0.to_string()),
            ("language".into(), value("language")),
            ("expected_version".into(), expected_version(&page.body)),
            ("intent".into(), "save".into()),
        ];
        for (name, new) in changes {
            fields.retain(|(existing, _)| existing != name);
            if !new.is_empty() || *name != "author" {
                fields.push(((*name).to_owned(), (*new).to_owned()));
            }
        }
        fields
    }

    async fn submit(&mut self, page: &str, action: &str, fields: &[(String, String)]) -> Answer {
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.browser.submit(page, action, &borrowed).await
    }
}

fn expected_version(html: &str) -> String {
    let marker = r#"name="expected_version" value=""#;
    let start = html.find(marker).expect("expected_version") + marker.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

/// What the API said about each field, as `(field, message)`.
fn api_fields(answer: &Answer) -> Vec<(String, String)> {
    let error: Value = serde_json::from_str(&answer.body).expect("json error");
    error["error"]["fields"]
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The text a page shows for `message`: HTML-escaped as the templates escape it.
fn escaped(message: &str) -> String {
    message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// What is wrong, the form's fields, the API's fields, and the field both must name.
type Row<'a> = (&'a str, Vec<(&'a str, &'a str)>, Value, &'a str);

async fn form_and_api_refuse_the_same_input_the_same_way(store: TestStore) {
    let mut desk = desk(store, Role::Author).await;
    let long_headline = "h".repeat(301);
    let long_tag = "t".repeat(101);
    let colleague_id = desk.colleague.0.to_string();
    let colleague_slug = desk.colleague.1.clone();
    let table: Vec<Row> = vec![
        (
            "no headline",
            vec![("headline", "  ")],
            json!({ "headline": "  " }),
            "headline",
        ),
        (
            "a headline over the limit",
            vec![("headline", long_headline.as_str())],
            json!({ "headline": long_headline }),
            "headline",
        ),
        (
            "a malformed slug",
            vec![("slug", "Not A Slug")],
            json!({ "slug": "Not A Slug" }),
            "slug",
        ),
        (
            "an unknown section",
            vec![("section_id", "nowhere")],
            json!({ "section": "nowhere" }),
            "section",
        ),
        (
            "an unknown author",
            vec![("author", "no-such-author")],
            json!({ "authors": ["no-such-author"] }),
            "authors",
        ),
        (
            "a colleague on the byline",
            vec![("author", colleague_id.as_str())],
            json!({ "authors": [colleague_slug] }),
            "authors",
        ),
        (
            "a malformed language",
            vec![("language", "en_GB")],
            json!({ "language": "en_GB" }),
            "language",
        ),
        (
            "a tag over the limit",
            vec![("tags", long_tag.as_str())],
            json!({ "tags": [long_tag] }),
            "tags",
        ),
        (
            "a missing hero image",
            vec![("hero_image_id", "999999")],
            json!({ "hero_image_id": 999999 }),
            "hero_image_id",
        ),
    ];
    for (what, form_changes, api_changes, field) in table {
        // Each row on a fresh draft, so one refusal cannot hide behind another.
        let (id, version) = desk.draft(&format!("Draft for {what}")).await;
        let mut body = api_changes.clone();
        body["version"] = json!(version);
        let by_api = desk
            .api(Method::PUT, &format!("/api/v1/admin/articles/{id}"), body)
            .await;
        assert_eq!(
            by_api.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API, {what}: {}",
            by_api.body
        );
        let api_messages = api_fields(&by_api);
        let (_, message) = api_messages
            .iter()
            .find(|(name, _)| name == field)
            .unwrap_or_else(|| panic!("API, {what}: no message for {field} in {}", by_api.body));

        let page = format!("/newsroom/articles/{id}/edit");
        let fields = desk.form_fields(id, &form_changes).await;
        let by_form = desk.submit(&page, &page, &fields).await;
        assert_eq!(
            by_form.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "form, {what}"
        );
        assert!(
            by_form.body.contains(&escaped(message)),
            "form, {what}: the page should say “{message}” as the API does"
        );

        // The same on create, where both doors start from nothing.
        let mut create = api_changes.clone();
        create["section"] = create
            .get("section")
            .cloned()
            .unwrap_or(json!(desk.section.1));
        if create.get("headline").is_none() {
            create["headline"] = json!(format!("New for {what}"));
        }
        let created = desk
            .api(Method::POST, "/api/v1/admin/articles", create)
            .await;
        assert_eq!(
            created.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "API create, {what}: {}",
            created.body
        );
        assert!(
            api_fields(&created)
                .iter()
                .any(|(name, m)| name == field && m == message),
            "API create, {what}: {}",
            created.body
        );
        let mut new_form: Vec<(String, String)> = vec![
            ("headline".into(), format!("New for {what}")),
            ("section_id".into(), desk.section.0.to_string()),
            ("author".into(), desk.own_author.0.to_string()),
            ("language".into(), "en".into()),
            ("intent".into(), "save".into()),
        ];
        for (name, value) in &form_changes {
            new_form.retain(|(existing, _)| existing != name);
            new_form.push(((*name).to_owned(), (*value).to_owned()));
        }
        let by_new_form = desk
            .submit(
                "/newsroom/articles/new",
                "/newsroom/articles/new",
                &new_form,
            )
            .await;
        assert_eq!(
            by_new_form.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "form create, {what}"
        );
        assert!(
            by_new_form.body.contains(&escaped(message)),
            "form create, {what}: “{message}”"
        );
    }

    // Workflow refusals: the same 409-class answer by both doors' status codes.
    let (id, _) = desk.draft("Never published").await;
    let by_api = desk
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/unpublish"),
            json!({}),
        )
        .await;
    assert_eq!(by_api.status, StatusCode::CONFLICT, "{}", by_api.body);
    let api_error: Value = serde_json::from_str(&by_api.body).expect("json");
    assert_eq!(api_error["error"]["code"], "illegal_transition");
    let message = api_error["error"]["message"]
        .as_str()
        .expect("message")
        .to_owned();
    let page = format!("/newsroom/articles/{id}/edit");
    let by_form = desk
        .submit(
            &page,
            &format!("/newsroom/articles/{id}/status"),
            &[("to".into(), "unpublished".into())],
        )
        .await;
    assert!(
        by_form.body.contains(&escaped(&message)),
        "form: “{message}” in {}",
        by_form.body
    );

    // A note on a draft, and a note with no text: refused alike.
    let by_api = desk
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/notes"),
            json!({ "kind": "correction", "text": " " }),
        )
        .await;
    assert!(by_api.status.is_client_error(), "{}", by_api.body);
}

/// The confirmed attack: an author writes a story with only a colleague on the byline and
/// publishes it, or moves an own story onto a colleague's byline with `PUT`.
async fn an_author_cannot_publish_under_a_colleagues_byline(store: TestStore) {
    let mut desk = desk(store, Role::Author).await;
    let colleague_slug = desk.colleague.1.clone();
    let colleague_id = desk.colleague.0.to_string();

    // Create by API with only the colleague.
    let created = desk
        .api(
            Method::POST,
            "/api/v1/admin/articles",
            json!({ "section": desk.section.1, "headline": "Forged", "authors": [colleague_slug] }),
        )
        .await;
    assert_eq!(
        created.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        created.body
    );
    assert_eq!(api_fields(&created)[0].0, "authors");

    // Create by the form with only the colleague.
    let section = desk.section.0.to_string();
    let fields: Vec<(String, String)> = vec![
        ("headline".into(), "Forged by form".into()),
        ("section_id".into(), section),
        ("author".into(), colleague_id.clone()),
        ("language".into(), "en".into()),
        ("body".into(), "Typed words survive.".into()),
        ("intent".into(), "save".into()),
    ];
    let by_form = desk
        .submit("/newsroom/articles/new", "/newsroom/articles/new", &fields)
        .await;
    assert_eq!(by_form.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        by_form.body.contains("Typed words survive."),
        "the form keeps what was typed"
    );

    // Update: an own draft moved onto the colleague's byline, by PUT and by the form.
    let (id, version) = desk.draft("Own story").await;
    let moved = desk
        .api(
            Method::PUT,
            &format!("/api/v1/admin/articles/{id}"),
            json!({ "version": version, "authors": [desk.colleague.1] }),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.body
    );
    let added = desk
        .api(
            Method::PUT,
            &format!("/api/v1/admin/articles/{id}"),
            json!({ "version": version, "authors": [desk.own_author.1, desk.colleague.1] }),
        )
        .await;
    assert_eq!(
        added.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "adding a colleague is the desk's: {}",
        added.body
    );
    let page = format!("/newsroom/articles/{id}/edit");
    let fields = desk.form_fields(id, &[("author", &colleague_id)]).await;
    let by_form = desk.submit(&page, &page, &fields).await;
    assert_eq!(by_form.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Nothing was written: the story still carries the author's own byline, and it publishes
    // under that name only.
    let published = desk
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let article: Value = serde_json::from_str(&published.body).expect("json");
    assert_eq!(article["status"], ArticleStatus::Published.as_str());
    let byline: Vec<&str> = article["authors"]
        .as_array()
        .expect("authors")
        .iter()
        .filter_map(|a| a["slug"].as_str())
        .collect();
    assert_eq!(byline, [desk.own_author.1.as_str()]);
}

async fn an_editor_may_put_anyone_on_a_byline(store: TestStore) {
    let desk = desk(store, Role::Editor).await;
    let created = desk
        .api(
            Method::POST,
            "/api/v1/admin/articles",
            json!({ "section": desk.section.1, "headline": "Wire copy", "authors": [desk.colleague.1] }),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let article: Value = serde_json::from_str(&created.body).expect("json");
    let id = article["id"].as_i64().expect("id");
    let published = desk
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
}

/// A comment by a verified reader on a freshly published story of `desk`; its article, its id
/// and the reader's. The store's own moderation rules leave it pending (a new commenter).
async fn pending_comment(desk: &Desk) -> (i64, i64, i64) {
    let (article_id, _) = desk.draft("Under discussion").await;
    let published = desk
        .api(
            Method::POST,
            &format!("/api/v1/admin/articles/{article_id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    let store = desk.site.state.store();
    let now = jiff::Timestamp::now();
    let reader = store
        .people()
        .create_reader(
            &dateline_db::NewReader {
                email: "lia@readers.example".into(),
                display_name: "Lia".into(),
                password_hash: secrets::hash_password(PASSWORD).expect("hash"),
            },
            now,
        )
        .await
        .expect("reader");
    let purpose = dateline_db::ReaderLinkPurpose::Verify;
    store
        .sessions()
        .create_reader_link(
            reader.id,
            "verify-lia",
            purpose,
            jiff::SignedDuration::from_hours(1),
            now,
        )
        .await
        .expect("link");
    store
        .sessions()
        .use_reader_link("verify-lia", purpose, now)
        .await
        .expect("verified");
    store
        .comments()
        .save_settings(
            &dateline_core::comments::ModerationSettings {
                mode: dateline_core::comments::ModerationMode::Pre,
                premoderate_first: 0,
                banned_words: Vec::new(),
                suspect_words: Vec::new(),
                premoderate_links: false,
                auto_close_days: None,
            },
            &Actor::system("test"),
            now,
        )
        .await
        .expect("rules");
    let comment = store
        .comments()
        .post(
            &dateline_db::NewComment {
                article_id,
                parent_id: None,
                author: dateline_db::CommentAuthor::Reader(reader.id),
                body: "Waiting for the desk.".into(),
            },
            now,
        )
        .await
        .expect("comment");
    assert_eq!(comment.status.as_str(), "pending");
    (article_id, comment.id, reader.id)
}

/// What is wrong; the form's action and fields; the API's method, path and body; the field both
/// must name (`None`: a refusal about the comment's state, a 409 with its code on the API).
type ModerationRow<'a> = (
    &'a str,
    String,
    Vec<(&'a str, &'a str)>,
    Method,
    String,
    Value,
    Option<&'a str>,
);

async fn moderation_form_and_api_refuse_the_same_input_the_same_way(store: TestStore) {
    let mut desk = desk(store, Role::Editor).await;
    let (article, comment, reader) = pending_comment(&desk).await;
    let rules = |changes: &[(&'static str, &'static str)]| {
        let mut fields = vec![
            ("mode", "post"),
            ("premoderate_first", "0"),
            ("auto_close_days", ""),
        ];
        for (name, value) in changes {
            fields.retain(|(existing, _)| existing != name);
            fields.push((name, value));
        }
        fields
    };
    let table: Vec<ModerationRow> = vec![
        (
            "an unknown decision",
            format!("/newsroom/comments/{comment}/decision"),
            vec![("decision", "maybe"), ("queue", "pending")],
            Method::POST,
            format!("/api/v1/admin/comments/{comment}/decision"),
            json!({ "decision": "maybe" }),
            Some("decision"),
        ),
        (
            "an empty reply in the newsroom's name",
            format!("/newsroom/comments/{comment}/reply"),
            vec![("body", "  "), ("queue", "pending")],
            Method::POST,
            format!("/api/v1/admin/comments/{comment}/replies"),
            json!({ "body": "  " }),
            Some("body"),
        ),
        (
            "featuring a comment readers cannot see",
            format!("/newsroom/comments/{comment}/feature"),
            vec![("featured", "yes"), ("queue", "pending")],
            Method::POST,
            format!("/api/v1/admin/comments/{comment}/feature"),
            json!({ "featured": true }),
            None,
        ),
        (
            "an unknown standing",
            format!("/newsroom/readers/{reader}/standing"),
            vec![("standing", "exiled"), ("queue", "pending")],
            Method::POST,
            format!("/api/v1/admin/readers/{reader}/standing"),
            json!({ "standing": "exiled" }),
            Some("standing"),
        ),
        (
            "a suspension over the longest",
            format!("/newsroom/readers/{reader}/standing"),
            vec![
                ("standing", "suspended"),
                ("days", "999"),
                ("queue", "pending"),
            ],
            Method::POST,
            format!("/api/v1/admin/readers/{reader}/standing"),
            json!({ "standing": "suspended", "days": 999 }),
            Some("days"),
        ),
        (
            "an unknown moderation mode for an article",
            format!("/newsroom/articles/{article}/discussion"),
            vec![("mode", "sometimes"), ("queue", "pending")],
            Method::POST,
            format!("/api/v1/admin/articles/{article}/discussion"),
            json!({ "mode": "sometimes" }),
            Some("mode"),
        ),
        (
            "an unknown site mode",
            "/newsroom/comments/settings".to_owned(),
            rules(&[("mode", "sometimes")]),
            Method::PUT,
            "/api/v1/admin/comment-rules".to_owned(),
            json!({ "mode": "sometimes", "premoderate_first": 0 }),
            Some("mode"),
        ),
        (
            "a word where a number goes",
            "/newsroom/comments/settings".to_owned(),
            rules(&[("premoderate_first", "lots")]),
            Method::PUT,
            "/api/v1/admin/comment-rules".to_owned(),
            json!({ "mode": "post", "premoderate_first": "lots" }),
            Some("premoderate_first"),
        ),
        (
            "too many first comments held",
            "/newsroom/comments/settings".to_owned(),
            rules(&[("premoderate_first", "5000")]),
            Method::PUT,
            "/api/v1/admin/comment-rules".to_owned(),
            json!({ "mode": "post", "premoderate_first": 5000 }),
            Some("premoderate_first"),
        ),
        (
            "closing after no days",
            "/newsroom/comments/settings".to_owned(),
            rules(&[("auto_close_days", "0")]),
            Method::PUT,
            "/api/v1/admin/comment-rules".to_owned(),
            json!({ "mode": "post", "premoderate_first": 0, "auto_close_days": 0 }),
            Some("auto_close_days"),
        ),
    ];
    let rules_before = desk
        .site
        .state
        .store()
        .comments()
        .settings()
        .await
        .expect("rules");
    for (what, action, form, method, path, body, field) in table {
        let by_api = desk.api(method, &path, body).await;
        let error: Value = serde_json::from_str(&by_api.body).expect("json error");
        let message = match field {
            Some(field) => {
                assert_eq!(
                    by_api.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "API, {what}: {}",
                    by_api.body
                );
                api_fields(&by_api)
                    .into_iter()
                    .find(|(name, _)| name == field)
                    .unwrap_or_else(|| panic!("API, {what}: no {field} in {}", by_api.body))
                    .1
            }
            None => {
                assert_eq!(
                    by_api.status,
                    StatusCode::CONFLICT,
                    "API, {what}: {}",
                    by_api.body
                );
                error["error"]["message"]
                    .as_str()
                    .expect("message")
                    .to_owned()
            }
        };
        let page = if action.ends_with("/settings") {
            action.clone()
        } else {
            "/newsroom/comments".to_owned()
        };
        let by_form = desk.browser.submit(&page, &action, &form).await;
        assert_eq!(
            by_form.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "form, {what}: {}",
            by_form.body
        );
        assert!(
            by_form.body.contains(&escaped(&message)),
            "form, {what}: the page should say “{message}” as the API does"
        );
    }

    // Nothing was written by either door.
    let store = desk.site.state.store();
    let after = store.comments().by_id(comment).await.expect("comment");
    assert_eq!(after.status.as_str(), "pending");
    assert!(!after.featured);
    assert_eq!(
        store.comments().settings().await.expect("rules"),
        rules_before
    );
    let lia = store.people().reader_by_id(reader).await.expect("reader");
    assert_eq!(lia.status.as_str(), "active");
    assert_eq!(
        store
            .comments()
            .article_discussion(article)
            .await
            .expect("discussion")
            .mode,
        None
    );
}
