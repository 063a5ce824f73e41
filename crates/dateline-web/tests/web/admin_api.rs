//! The Admin API through the front door, on both backends: the permission matrix (every role ×
//! every endpoint × own and someone else's article, written out as a table), the optimistic
//! lock, revoked tokens, scheduling in the newsroom's zone, uploads of real files, and a
//! correction reaching the public page's JSON-LD.

use std::io::Cursor;

use dateline_core::{ArticleStatus, Role, SiteSettings};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, AuthorInput, NewStaff};
use dateline_web::newsroom::secrets;
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::corrections::json_ld;
use super::{Answer, Site, article, get, newsroom, site};

/// Someone else's byline in every test: the author `newsroom()` creates.
const OTHER_AUTHOR: &str = "ada-reporter";

/// A site with one staff member per role, each writing under a byline of their own and holding
/// a token of their role.
struct Desk {
    site: Site,
    politics: i64,
    other_author: i64,
    /// Per role (in `Role::ALL` order): the token secret, the byline slug and id.
    staff: Vec<(Role, String, String, i64)>,
    /// An article `newsroom()` published, by someone else.
    published_by_other: i64,
}

impl Desk {
    fn token(&self, role: Role) -> &str {
        &self.staff.iter().find(|s| s.0 == role).expect("role").1
    }

    fn byline(&self, role: Role) -> (&str, i64) {
        let found = self.staff.iter().find(|s| s.0 == role).expect("role");
        (&found.2, found.3)
    }
}

async fn desk(store: TestStore) -> Desk {
    let room = newsroom(&store.store).await;
    let mut staff = Vec::new();
    for role in Role::ALL {
        let slug = format!("{role}-writer");
        let author = store
            .store
            .people()
            .create_author(
                &AuthorInput {
                    slug: slug.clone(),
                    name: format!("{role} writer"),
                    role: "Reporter".into(),
                    bio: String::new(),
                },
                jiff::Timestamp::now(),
            )
            .await
            .expect("author");
        let member = store
            .store
            .people()
            .create_staff(
                &NewStaff {
                    email: format!("{role}@news.example"),
                    display_name: format!("{role} person"),
                    role,
                    password_hash: None,
                    author_id: Some(author.id),
                },
                jiff::Timestamp::now(),
            )
            .await
            .expect("staff");
        let secret = format!("dlt_admin_api_{role}");
        store
            .store
            .sessions()
            .create_api_token(
                &format!("{role} script"),
                role,
                &secrets::token_digest(&secret),
                jiff::Timestamp::now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
                &Actor::staff(member.id, member.display_name.clone()),
                jiff::Timestamp::now(),
            )
            .await
            .expect("token");
        staff.push((role, secret, slug, author.id));
    }
    Desk {
        politics: room.politics,
        other_author: room.author,
        published_by_other: room.first,
        staff,
        site: site(store).await,
    }
}

/// Sends a request with a bearer token (if any) and a JSON body (if any).
async fn call(
    site: &Site,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let mut request = Request::builder().method(method).uri(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let body = match body {
        Some(value) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            axum::body::Body::from(value.to_string())
        }
        None => axum::body::Body::empty(),
    };
    send(site, request.body(body).expect("request")).await
}

async fn send(site: &Site, request: Request<axum::body::Body>) -> Answer {
    let response = site.app.clone().oneshot(request).await.expect("response");
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

fn json(answer: &Answer) -> Value {
    serde_json::from_str(&answer.body).unwrap_or_else(|_| panic!("JSON: {}", answer.body))
}

/// An 800 × 600 JPEG with detail at every scale, made here.
fn jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(800, 600, |x, y| {
        let stripe = if (x / 7 + y / 11) % 2 == 0 { 40 } else { 0 };
        image::Rgb([(x * 255 / 800) as u8, (y * 255 / 600) as u8, 120 + stripe])
    });
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(picture)
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .expect("encode");
    out.into_inner()
}

async fn upload(
    site: &Site,
    token: &str,
    query: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Answer {
    let request = Request::post(format!("/api/v1/admin/images?{query}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, content_type)
        .body(axum::body::Body::from(bytes))
        .expect("request");
    send(site, request).await
}

async fn make_article(desk: &Desk, status: ArticleStatus, author: i64, slug: &str) -> i64 {
    let mut input = article(desk.politics, author, slug, &format!("Story {slug}"), 1);
    input.status = status;
    if status != ArticleStatus::Published {
        input.first_published_at = None;
    }
    desk.site
        .state
        .store()
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .expect("article")
        .id
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    WhoAmI,
    Create,
    Read,
    EditDraft,
    EditPublished,
    Submit,
    Publish,
    Schedule,
    Unpublish,
    Note,
    Upload,
}

const ALL: [bool; 4] = [true, true, true, true];
const AUTHOR_UP: [bool; 4] = [false, true, true, true];
const EDITOR_UP: [bool; 4] = [false, false, true, true];

/// Who may call what, for contributor, author, editor and admin: on their own article, then on
/// someone else's. Written out by hand from issue 3's roles, not computed from `permits`.
const MATRIX: &[(Endpoint, [bool; 4], [bool; 4])] = &[
    (Endpoint::WhoAmI, ALL, ALL),
    (Endpoint::Create, ALL, EDITOR_UP),
    (Endpoint::Read, ALL, EDITOR_UP),
    (Endpoint::EditDraft, ALL, EDITOR_UP),
    (Endpoint::EditPublished, AUTHOR_UP, EDITOR_UP),
    (Endpoint::Submit, ALL, EDITOR_UP),
    (Endpoint::Publish, AUTHOR_UP, EDITOR_UP),
    (Endpoint::Schedule, AUTHOR_UP, EDITOR_UP),
    (Endpoint::Unpublish, AUTHOR_UP, EDITOR_UP),
    (Endpoint::Note, EDITOR_UP, EDITOR_UP),
    (Endpoint::Upload, ALL, ALL),
];

async fn every_role_gets_exactly_what_the_matrix_allows(store: TestStore) {
    let desk = desk(store).await;
    let picture = jpeg();
    let tomorrow = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24)).to_string();
    let mut n = 0;
    for (endpoint, own, others) in MATRIX {
        for (index, role) in Role::ALL.into_iter().enumerate() {
            for (mine, expected_allowed) in [(true, own[index]), (false, others[index])] {
                n += 1;
                let token = desk.token(role);
                let (own_slug, own_id) = desk.byline(role);
                let (author_slug, author_id) = if mine {
                    (own_slug, own_id)
                } else {
                    (OTHER_AUTHOR, desk.other_author)
                };
                let status_before = match endpoint {
                    Endpoint::EditPublished | Endpoint::Unpublish | Endpoint::Note => {
                        Some(ArticleStatus::Published)
                    }
                    Endpoint::Read
                    | Endpoint::EditDraft
                    | Endpoint::Submit
                    | Endpoint::Publish
                    | Endpoint::Schedule => Some(ArticleStatus::Draft),
                    _ => None,
                };
                let id = match status_before {
                    Some(status) => {
                        Some(make_article(&desk, status, author_id, &format!("matrix-{n}")).await)
                    }
                    None => None,
                };
                let version = match id {
                    Some(id) => {
                        let article = desk
                            .site
                            .state
                            .store()
                            .articles()
                            .by_id(id)
                            .await
                            .expect("load");
                        Some(article.expect("exists").version)
                    }
                    None => None,
                };
                let at =
                    |suffix: &str| format!("/api/v1/admin/articles/{}{suffix}", id.unwrap_or(0));
                let (answer, success) = match endpoint {
                    Endpoint::WhoAmI => (
                        call(
                            &desk.site,
                            Method::GET,
                            "/api/v1/admin/whoami",
                            Some(token),
                            None,
                        )
                        .await,
                        StatusCode::OK,
                    ),
                    Endpoint::Create => (
                        call(
                            &desk.site,
                            Method::POST,
                            "/api/v1/admin/articles",
                            Some(token),
                            Some(json!({
                                "section": "politics",
                                "headline": format!("Matrix draft {n}"),
                                "authors": [author_slug],
                            })),
                        )
                        .await,
                        StatusCode::CREATED,
                    ),
                    Endpoint::Read => (
                        call(&desk.site, Method::GET, &at(""), Some(token), None).await,
                        StatusCode::OK,
                    ),
                    Endpoint::EditDraft | Endpoint::EditPublished => (
                        call(
                            &desk.site,
                            Method::PUT,
                            &at(""),
                            Some(token),
                            Some(json!({ "version": version, "headline": "Edited by the API" })),
                        )
                        .await,
                        StatusCode::OK,
                    ),
                    Endpoint::Submit | Endpoint::Publish | Endpoint::Unpublish => {
                        let suffix = match endpoint {
                            Endpoint::Submit => "/submit",
                            Endpoint::Publish => "/publish",
                            _ => "/unpublish",
                        };
                        (
                            call(&desk.site, Method::POST, &at(suffix), Some(token), None).await,
                            StatusCode::OK,
                        )
                    }
                    Endpoint::Schedule => (
                        call(
                            &desk.site,
                            Method::POST,
                            &at("/schedule"),
                            Some(token),
                            Some(json!({ "publish_at": tomorrow })),
                        )
                        .await,
                        StatusCode::OK,
                    ),
                    Endpoint::Note => (
                        call(
                            &desk.site,
                            Method::POST,
                            &at("/notes"),
                            Some(token),
                            Some(json!({ "kind": "correction", "text": "A figure was wrong." })),
                        )
                        .await,
                        StatusCode::CREATED,
                    ),
                    Endpoint::Upload => (
                        upload(
                            &desk.site,
                            token,
                            "alt=A%20test%20card",
                            "image/jpeg",
                            picture.clone(),
                        )
                        .await,
                        StatusCode::CREATED,
                    ),
                };
                let case = format!(
                    "{role} {endpoint:?} on {} article",
                    if mine { "own" } else { "someone else's" }
                );
                if expected_allowed {
                    assert_eq!(answer.status, success, "{case}: {}", answer.body);
                } else if matches!(endpoint, Endpoint::Create) {
                    // A new draft under someone else's byline is refused by the byline rule,
                    // next to the `authors` field, as the newsroom form refuses it.
                    assert_eq!(
                        answer.status,
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "{case}: {}",
                        answer.body
                    );
                    assert!(
                        json(&answer)["error"]["fields"]["authors"].is_string(),
                        "{case}: {}",
                        answer.body
                    );
                } else {
                    assert_eq!(
                        answer.status,
                        StatusCode::FORBIDDEN,
                        "{case}: {}",
                        answer.body
                    );
                    assert_eq!(json(&answer)["error"]["code"], "forbidden", "{case}");
                    if let (Some(id), Some(version)) = (id, version) {
                        let after = desk
                            .site
                            .state
                            .store()
                            .articles()
                            .by_id(id)
                            .await
                            .expect("load");
                        assert_eq!(
                            after.expect("exists").version,
                            version,
                            "{case}: a refusal changes nothing"
                        );
                    }
                }
            }
        }
    }
}

async fn a_stale_version_is_a_conflict_and_overwrites_nothing(store: TestStore) {
    let desk = desk(store).await;
    let token = desk.token(Role::Author);
    let created = call(
        &desk.site,
        Method::POST,
        "/api/v1/admin/articles",
        Some(token),
        Some(json!({ "section": "politics", "headline": "Rates held", "body": "First draft." })),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let draft = json(&created);
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["slug"], "rates-held");
    assert_eq!(
        draft["authors"][0]["slug"], "author-writer",
        "own byline by default"
    );
    let id = draft["id"].as_i64().expect("id");
    let read_version = draft["version"].as_i64().expect("version");
    let uri = format!("/api/v1/admin/articles/{id}");
    assert_eq!(
        created.headers[header::LOCATION]
            .to_str()
            .expect("location"),
        uri
    );
    assert_eq!(created.headers[header::CACHE_CONTROL], "private, no-store");

    // Someone saves first…
    let first = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(desk.token(Role::Editor)),
        Some(json!({ "version": read_version, "body": "The editor's version." })),
    )
    .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let now_version = json(&first)["version"].as_i64().expect("version");
    assert!(now_version > read_version);
    assert_eq!(
        json(&first)["headline"],
        "Rates held",
        "unnamed fields kept"
    );

    // …and the save from the old version is refused with what is there now.
    let stale = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(token),
        Some(json!({ "version": read_version, "body": "My late version." })),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let error = &json(&stale)["error"];
    assert_eq!(error["code"], "conflict");
    assert_eq!(error["current_version"], now_version);
    assert_eq!(error["current"]["body"], "The editor's version.");
    let stored = desk
        .site
        .state
        .store()
        .articles()
        .by_id(id)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(stored.body, "The editor's version.");
    assert_eq!(stored.version, now_version);

    // Bad input: field by field, and nothing written.
    let invalid = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(token),
        Some(json!({
            "version": now_version,
            "headline": " ",
            "section": "no-such-section",
            "authors": ["nobody-here"],
            "slug": "Not A Slug",
        })),
    )
    .await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.body
    );
    let error = &json(&invalid)["error"];
    assert_eq!(error["code"], "invalid");
    for field in ["headline", "section", "authors", "slug"] {
        assert!(error["fields"][field].is_string(), "{field}: {error}");
    }
    let missing_version = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(token),
        Some(json!({ "headline": "No version" })),
    )
    .await;
    assert_eq!(missing_version.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&missing_version)["error"]["fields"]["version"].is_string());
    let unknown = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(token),
        Some(json!({ "version": now_version, "headlin": "Typo" })),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(&unknown)["error"]["message"]
            .as_str()
            .expect("message")
            .contains("headlin")
    );
    let not_json = Request::put(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from("{\"version\":"))
        .expect("request");
    assert_eq!(
        send(&desk.site, not_json).await.status,
        StatusCode::BAD_REQUEST
    );
    let huge = call(
        &desk.site,
        Method::PUT,
        &uri,
        Some(token),
        Some(json!({ "version": now_version, "body": "x".repeat(3 * 1024 * 1024) })),
    )
    .await;
    assert_eq!(huge.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(json(&huge)["error"]["code"], "too_large");
    let form = Request::put(&uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("version=1"))
        .expect("request");
    assert_eq!(
        send(&desk.site, form).await.status,
        StatusCode::UNSUPPORTED_MEDIA_TYPE
    );
    let stored_after = desk
        .site
        .state
        .store()
        .articles()
        .by_id(id)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(stored_after.version, now_version, "bad input wrote nothing");

    // Workflow: submitting twice is a conflict with a clear code.
    let submitted = call(
        &desk.site,
        Method::POST,
        &format!("{uri}/submit"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(submitted.status, StatusCode::OK);
    assert_eq!(json(&submitted)["status"], "in_review");
    let again = call(
        &desk.site,
        Method::POST,
        &format!("{uri}/submit"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(json(&again)["error"]["code"], "illegal_transition");
    let missing = call(
        &desk.site,
        Method::GET,
        "/api/v1/admin/articles/999999",
        Some(token),
        None,
    )
    .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(json(&missing)["error"]["code"], "not_found");
}

async fn tokens_are_required_and_revoked_tokens_refused(store: TestStore) {
    let desk = desk(store).await;
    let token = desk.token(Role::Admin);
    let create = json!({ "section": "politics", "headline": "Token check" });
    assert_eq!(
        call(
            &desk.site,
            Method::POST,
            "/api/v1/admin/articles",
            Some(token),
            Some(create.clone())
        )
        .await
        .status,
        StatusCode::CREATED
    );
    let store = desk.site.state.store();
    let tokens = store.sessions().api_tokens().await.expect("tokens");
    let admin_token = tokens
        .iter()
        .find(|t| t.role == Role::Admin)
        .expect("admin token");
    store
        .sessions()
        .revoke_api_token(
            admin_token.id,
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .expect("revoke");
    for secret in [Some(token), None, Some("dlt_not_a_token")] {
        let refused = call(
            &desk.site,
            Method::POST,
            "/api/v1/admin/articles",
            secret,
            Some(create.clone()),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{secret:?}");
        assert_eq!(json(&refused)["error"]["code"], "unauthorized");
        assert!(refused.headers.contains_key(header::WWW_AUTHENTICATE));
        assert_eq!(refused.headers[header::CACHE_CONTROL], "private, no-store");
        assert!(
            !refused.headers.contains_key("access-control-allow-origin"),
            "no CORS on the Admin API"
        );
    }
    let preflight = call(
        &desk.site,
        Method::OPTIONS,
        "/api/v1/admin/articles",
        None,
        None,
    )
    .await;
    assert!(
        !preflight
            .headers
            .contains_key("access-control-allow-origin")
    );
}

async fn scheduling_reads_local_times_in_the_newsroom_zone(store: TestStore) {
    store
        .store
        .site()
        .save_settings(
            &SiteSettings {
                name: "The Dateline".to_owned(),
                time_zone: "America/New_York".to_owned(),
                ..SiteSettings::default()
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("settings");
    let desk = desk(store).await;
    let (_, own) = desk.byline(Role::Author);
    let id = make_article(&desk, ArticleStatus::Draft, own, "summit-embargo").await;
    let token = desk.token(Role::Author);
    let uri = format!("/api/v1/admin/articles/{id}/schedule");
    let schedule = |body: Value| call(&desk.site, Method::POST, &uri, Some(token), Some(body));

    // 10 March 2030: New York's clocks go from 02:00 to 03:00.
    let skipped = schedule(json!({ "local_time": "2030-03-10T02:30" })).await;
    assert_eq!(
        skipped.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        skipped.body
    );
    let message = json(&skipped)["error"]["fields"]["local_time"]
        .as_str()
        .expect("field message")
        .to_owned();
    assert!(
        message.contains("does not exist in America/New_York"),
        "{message}"
    );

    for (body, field) in [
        (json!({}), "publish_at"),
        (
            json!({ "publish_at": "2001-01-01T00:00:00Z" }),
            "publish_at",
        ),
        (json!({ "publish_at": "tomorrow" }), "publish_at"),
        (json!({ "local_time": "soon" }), "local_time"),
        (
            json!({ "publish_at": "2030-01-01T00:00:00Z", "local_time": "2030-01-01T07:00" }),
            "local_time",
        ),
    ] {
        let refused = schedule(body.clone()).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            json(&refused)["error"]["fields"][field].is_string(),
            "{body}: {}",
            refused.body
        );
    }
    let still = desk
        .site
        .state
        .store()
        .articles()
        .by_id(id)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(
        still.status,
        ArticleStatus::Draft,
        "refusals schedule nothing"
    );

    // 07:00 that morning is daylight time, UTC-4.
    let scheduled = schedule(json!({ "local_time": "2030-03-10T07:00" })).await;
    assert_eq!(scheduled.status, StatusCode::OK, "{}", scheduled.body);
    let article = json(&scheduled);
    assert_eq!(article["status"], "scheduled");
    assert_eq!(article["scheduled_for"], "2030-03-10T11:00:00Z");
    assert!(article.get("notice").is_none());

    // 3 November 2030: 01:30 happens twice; the first is taken, and the answer says so.
    let repeated = schedule(json!({ "local_time": "2030-11-03T01:30" })).await;
    assert_eq!(repeated.status, StatusCode::OK, "{}", repeated.body);
    let article = json(&repeated);
    assert_eq!(article["scheduled_for"], "2030-11-03T05:30:00Z");
    assert!(
        article["notice"]
            .as_str()
            .expect("notice")
            .contains("happens twice")
    );

    // Embargoed: publishing now is refused until it is taken off the schedule.
    let early = call(
        &desk.site,
        Method::POST,
        &format!("/api/v1/admin/articles/{id}/publish"),
        Some(token),
        None,
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(json(&early)["error"]["code"], "embargoed");

    // A published article cannot be scheduled.
    let published = schedule_published(&desk, token).await;
    assert_eq!(published.status, StatusCode::CONFLICT);
    assert_eq!(json(&published)["error"]["code"], "illegal_transition");
}

async fn schedule_published(desk: &Desk, token: &str) -> Answer {
    let (_, own) = desk.byline(Role::Author);
    let id = make_article(desk, ArticleStatus::Published, own, "already-out").await;
    call(
        &desk.site,
        Method::POST,
        &format!("/api/v1/admin/articles/{id}/schedule"),
        Some(token),
        Some(json!({ "publish_at": "2030-01-01T00:00:00Z" })),
    )
    .await
}

fn files_under(folder: &std::path::Path) -> usize {
    std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| {
                    let path = entry.path();
                    if path.is_dir() { files_under(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

async fn uploads_store_real_pictures_and_refuse_broken_ones(store: TestStore) {
    let desk = desk(store).await;
    let token = desk.token(Role::Contributor);
    let media = desk.site._media.path().to_owned();
    let whole = jpeg();

    let truncated = upload(
        &desk.site,
        token,
        "alt=A%20cut%20picture",
        "image/jpeg",
        whole[..whole.len() * 6 / 10].to_vec(),
    )
    .await;
    assert_eq!(
        truncated.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        truncated.body
    );
    let reason = json(&truncated)["error"]["fields"]["file"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(reason.contains("damaged or incomplete"), "{reason}");
    let no_alt = upload(&desk.site, token, "caption=x", "image/jpeg", whole.clone()).await;
    assert_eq!(no_alt.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&no_alt)["error"]["fields"]["alt"].is_string());
    let not_an_image = upload(&desk.site, token, "alt=x", "text/plain", whole.clone()).await;
    assert_eq!(not_an_image.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bad_type = upload(
        &desk.site,
        token,
        "alt=x&source_type=painted",
        "image/jpeg",
        whole.clone(),
    )
    .await;
    assert_eq!(bad_type.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&bad_type)["error"]["fields"]["source_type"].is_string());
    let oversized = Request::post("/api/v1/admin/images?alt=x")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "image/jpeg")
        .header(header::CONTENT_LENGTH, "30000000")
        .body(axum::body::Body::from(whole.clone()))
        .expect("request");
    let oversized = send(&desk.site, oversized).await;
    assert_eq!(oversized.status, StatusCode::PAYLOAD_TOO_LARGE);
    let reason = json(&oversized)["error"]["message"]
        .as_str()
        .expect("reason")
        .to_owned();
    assert!(reason.contains("the limit is 25 MB"), "{reason}");
    assert_eq!(
        files_under(&media),
        0,
        "nothing stored for a refused upload"
    );
    assert!(
        desk.site
            .state
            .store()
            .library()
            .image(1)
            .await
            .expect("load")
            .is_none()
    );

    let stored = upload(
        &desk.site,
        token,
        "alt=Delegates%20arrive&caption=At%20the%20summit&credit=Staff&source_type=digitalCapture",
        "image/jpeg",
        whole,
    )
    .await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    let image = json(&stored);
    assert_eq!(image["width"], 800);
    assert_eq!(image["height"], 600);
    assert_eq!(image["original_mime"], "image/jpeg");
    assert_eq!(image["alt"], "Delegates arrive");
    assert_eq!(image["credit"], "Staff");
    assert_eq!(
        image["digital_source_type"],
        "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
    );
    assert_eq!(image["source_type_from"], "request");
    assert_eq!(image["provenance"]["origin"], "none");
    assert_eq!(
        image["provenance"]["explanation"],
        "not declared in the file"
    );
    assert!(!image["variants"].as_array().expect("variants").is_empty());
    assert!(files_under(&media) > 1, "original and variants stored");
    let id = image["id"].as_i64().expect("id");
    let saved = desk
        .site
        .state
        .store()
        .library()
        .image(id)
        .await
        .expect("load")
        .expect("stored");
    assert_eq!(saved.caption.as_deref(), Some("At the summit"));

    // The new picture can lead a draft at once.
    let draft = call(
        &desk.site,
        Method::POST,
        "/api/v1/admin/articles",
        Some(token),
        Some(json!({ "section": "world", "headline": "Summit opens doors", "hero_image_id": id })),
    )
    .await;
    assert_eq!(draft.status, StatusCode::CREATED, "{}", draft.body);
    assert_eq!(json(&draft)["hero_image_id"], id);
    let missing_image = call(
        &desk.site,
        Method::POST,
        "/api/v1/admin/articles",
        Some(token),
        Some(json!({ "section": "world", "headline": "No picture", "hero_image_id": 999_999 })),
    )
    .await;
    assert_eq!(missing_image.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json(&missing_image)["error"]["fields"]["hero_image_id"].is_string());
}

async fn a_correction_through_the_api_reaches_the_json_ld(store: TestStore) {
    let desk = desk(store).await;
    let token = desk.token(Role::Editor);
    let uri = format!("/api/v1/admin/articles/{}/notes", desk.published_by_other);
    let refused = call(
        &desk.site,
        Method::POST,
        &uri,
        Some(token),
        Some(json!({ "kind": "retraction", "text": "" })),
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let fields = &json(&refused)["error"]["fields"];
    assert!(
        fields["kind"].is_string() && fields["text"].is_string(),
        "{fields}"
    );

    let added = call(
        &desk.site,
        Method::POST,
        &uri,
        Some(token),
        Some(json!({ "kind": "correction", "text": "The vote was 52–48, not 58–42." })),
    )
    .await;
    assert_eq!(added.status, StatusCode::CREATED, "{}", added.body);
    assert_eq!(json(&added)["kind"], "correction");
    desk.site
        .state
        .apply_changes()
        .await
        .expect("follow changes");
    let page = get(&desk.site.app, "/politics/budget-vote").await;
    let ld = json_ld(&page.body);
    let corrections = ld["correction"].as_array().expect("correction");
    assert_eq!(corrections.len(), 1);
    assert_eq!(corrections[0]["@type"], "CorrectionComment");
    assert_eq!(corrections[0]["text"], "The vote was 52–48, not 58–42.");

    // Notes are for published articles only.
    let (_, own) = desk.byline(Role::Editor);
    let draft = make_article(&desk, ArticleStatus::Draft, own, "not-out-yet").await;
    let on_draft = call(
        &desk.site,
        Method::POST,
        &format!("/api/v1/admin/articles/{draft}/notes"),
        Some(token),
        Some(json!({ "kind": "update", "text": "More soon." })),
    )
    .await;
    assert_eq!(on_draft.status, StatusCode::CONFLICT);
    assert_eq!(json(&on_draft)["error"]["code"], "not_published");
}

dateline_db::both_backends!(
    every_role_gets_exactly_what_the_matrix_allows,
    a_stale_version_is_a_conflict_and_overwrites_nothing,
    tokens_are_required_and_revoked_tokens_refused,
    scheduling_reads_local_times_in_the_newsroom_zone,
    uploads_store_real_pictures_and_refuse_broken_ones,
    a_correction_through_the_api_reaches_the_json_ld,
);
