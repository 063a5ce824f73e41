//! Static pages through the front doors: the newsroom's form, the Admin API and the public
//! site. A draft is a 404 to readers and a preview to staff; a published page answers at
//! `/{slug}` with the site's header and footer, is linked from every page's footer and listed
//! in the sitemap; both doors refuse a section's address with the same words.

use dateline_core::Role;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, NewStaff, Store};
use dateline_web::newsroom::secrets;
use http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use super::newsroom_auth::{Browser, PASSWORD};
use super::newsroom_editor::{desk, writer};
use super::{Answer, get, site};

dateline_db::both_backends!(
    a_page_goes_from_draft_to_the_site_and_off_it_again,
    form_and_api_refuse_a_sections_address_alike,
);

fn location(answer: &Answer) -> String {
    answer.headers[header::LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

async fn a_page_goes_from_draft_to_the_site_and_off_it_again(store: TestStore) {
    desk(&store).await;
    let store_handle = store.store.clone();
    let site = site(store).await;
    let (mut editor, _) = writer(&store_handle, &site.app, "Eda Editor", Role::Editor).await;
    let (mut author, _) = writer(&store_handle, &site.app, "Abe Author", Role::Author).await;
    assert_eq!(
        author.get("/newsroom/pages").await.status,
        StatusCode::FORBIDDEN
    );

    let list = editor.get("/newsroom/pages").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("Write a new page"));
    let created = editor
        .submit(
            "/newsroom/pages/new",
            "/newsroom/pages/new",
            &[
                ("title", "Ethics policy"),
                ("slug", ""),
                ("description", ""),
                (
                    "body",
                    "We **never** pay sources.\n\n<script>alert(1)</script>\n\n\
                     [x](javascript:alert(2)) <img src=x onerror=alert(3)>",
                ),
                ("position", "2"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let edit = location(&created);
    let id: i64 = edit
        .trim_start_matches("/newsroom/pages/")
        .split('?')
        .next()
        .and_then(|id| id.parse().ok())
        .expect("page id");

    // A draft: not for readers, a preview for staff.
    assert_eq!(
        get(&site.app, "/ethics-policy").await.status,
        StatusCode::NOT_FOUND
    );
    let preview = editor.get(&format!("/newsroom/pages/{id}/preview")).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert!(preview.body.contains("Preview"));
    assert!(
        preview
            .body
            .contains(r#"<meta name="robots" content="noindex, nofollow">"#)
    );
    assert!(preview.body.contains("<strong>never</strong>"));

    let published = editor
        .submit(
            &edit,
            &format!("/newsroom/pages/{id}/status"),
            &[("to", "published")],
        )
        .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        published.body
    );
    site.state.apply_changes().await.expect("follow changes");

    let page = get(&site.app, "/ethics-policy").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body
            .contains("<h1 class=\"headline\">Ethics policy</h1>")
    );
    assert!(page.body.contains("<strong>never</strong>"));
    assert!(
        page.body
            .contains(r#"<link rel="canonical" href="https://news.example/ethics-policy">"#)
    );
    assert!(
        page.body
            .contains(r#"<meta name="description" content="We never pay sources."#),
        "the description is the start of the text"
    );
    assert!(
        page.body.contains(r#"href="/politics""#),
        "the site's header"
    );
    // What the old site or a careless paste could smuggle in is inert.
    for hostile in ["<script>alert", "javascript:", "onerror"] {
        assert!(!page.body.contains(hostile), "{hostile} in the page");
    }
    // Every page's footer links it; the sitemap lists it.
    let section = get(&site.app, "/politics").await;
    assert!(
        section
            .body
            .contains(r#"<a href="/ethics-policy">Ethics policy</a>"#)
    );
    let index = get(&site.app, "/sitemap.xml").await;
    assert!(
        index
            .body
            .contains("https://news.example/sitemaps/pages.xml")
    );
    let pages_map = get(&site.app, "/sitemaps/pages.xml").await;
    assert_eq!(pages_map.status, StatusCode::OK);
    assert!(
        pages_map
            .body
            .contains("<loc>https://news.example/ethics-policy</loc>")
    );

    // Off the site again: the cached copies go with it.
    let unpublished = editor
        .submit(
            &edit,
            &format!("/newsroom/pages/{id}/status"),
            &[("to", "draft")],
        )
        .await;
    assert_eq!(unpublished.status, StatusCode::SEE_OTHER);
    site.state.apply_changes().await.expect("follow changes");
    assert_eq!(
        get(&site.app, "/ethics-policy").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(
        !get(&site.app, "/politics")
            .await
            .body
            .contains("/ethics-policy")
    );
    assert_eq!(
        get(&site.app, "/sitemaps/pages.xml").await.status,
        StatusCode::NOT_FOUND
    );

    // A save that is refused keeps what was typed, the message beside its field.
    let refused = editor
        .submit(
            &edit,
            &edit,
            &[
                ("title", "Ethics policy, revised"),
                ("slug", "world"),
                ("body", "New words."),
                ("position", "2"),
            ],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused
            .body
            .contains("The section “World” has this address")
    );
    assert!(refused.body.contains(r#"value="Ethics policy, revised""#));
    assert!(refused.body.contains("New words."));
}

/// An editor with a token, signed in.
async fn editor_with_token(store: &Store, app: &axum::Router) -> (Browser, String) {
    let member = store
        .people()
        .create_staff(
            &NewStaff {
                email: "pages@news.example".into(),
                display_name: "Pages Editor".into(),
                role: Role::Editor,
                password_hash: Some(secrets::hash_password(PASSWORD).expect("hash")),
                author_id: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("staff");
    let token = "dlt_pages_editor".to_owned();
    store
        .sessions()
        .create_api_token(
            "pages",
            Role::Editor,
            &secrets::token_digest(&token),
            jiff::Timestamp::now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
            &Actor::staff(member.id, member.display_name.clone()),
            jiff::Timestamp::now(),
        )
        .await
        .expect("token");
    let mut browser = Browser::new(app);
    let signed_in = browser.sign_in("pages@news.example", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    (browser, token)
}

async fn api(app: &axum::Router, token: &str, method: Method, uri: &str, body: Value) -> Answer {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    let response = app.clone().oneshot(request).await.expect("response");
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

async fn form_and_api_refuse_a_sections_address_alike(store: TestStore) {
    desk(&store).await;
    let store_handle = store.store.clone();
    let site = site(store).await;
    let (mut browser, token) = editor_with_token(&store_handle, &site.app).await;

    let by_api = api(
        &site.app,
        &token,
        Method::POST,
        "/api/v1/admin/pages",
        json!({ "title": "Politics", "body": "Not a section." }),
    )
    .await;
    assert_eq!(
        by_api.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        by_api.body
    );
    let error: Value = serde_json::from_str(&by_api.body).expect("json");
    let api_message = error["error"]["fields"]["slug"]
        .as_str()
        .expect("a message for the slug")
        .to_owned();
    let by_form = browser
        .submit(
            "/newsroom/pages/new",
            "/newsroom/pages/new",
            &[("title", "Politics"), ("body", "Not a section.")],
        )
        .await;
    assert_eq!(by_form.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        by_form.body.contains(&api_message),
        "the form says {api_message:?} too"
    );

    // The API's whole round: create, read, update with the lock, publish, unpublish, delete.
    let created = api(
        &site.app,
        &token,
        Method::POST,
        "/api/v1/admin/pages",
        json!({ "title": "About", "body": "Who we are." }),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let page: Value = serde_json::from_str(&created.body).expect("json");
    let id = page["id"].as_i64().expect("id");
    assert_eq!(page["status"], "draft");
    assert_eq!(page["url"], "https://news.example/about");
    let uri = format!("/api/v1/admin/pages/{id}");
    let stale = api(
        &site.app,
        &token,
        Method::PUT,
        &uri,
        json!({ "version": 99, "body": "x" }),
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let saved = api(
        &site.app,
        &token,
        Method::PUT,
        &uri,
        json!({ "version": page["version"], "body": "Who we are, and why." }),
    )
    .await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    let published = api(
        &site.app,
        &token,
        Method::POST,
        &format!("{uri}/publish"),
        json!({}),
    )
    .await;
    assert_eq!(published.status, StatusCode::OK, "{}", published.body);
    site.state.apply_changes().await.expect("follow changes");
    let public = get(&site.app, "/about").await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(public.body.contains("Who we are, and why."));
    let deleted = api(&site.app, &token, Method::DELETE, &uri, json!({})).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.body);
    site.state.apply_changes().await.expect("follow changes");
    assert_eq!(get(&site.app, "/about").await.status, StatusCode::NOT_FOUND);
    let gone = api(&site.app, &token, Method::GET, &uri, json!({})).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
}
