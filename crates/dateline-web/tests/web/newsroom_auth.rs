//! The newsroom's front door: signing in and out, lockout, CSRF, the role matrix over every
//! newsroom route and Admin API route, set-password links, API tokens and response headers — on
//! both backends. The site is configured on `https://news.example`, so cookies are `Secure`.

use std::collections::HashMap;

use axum::Router;
use axum::body::Body;
use dateline_core::{Action, Role, StaffMember, permits};
use dateline_db::testing::TestStore;
use dateline_db::{Actor, NewStaff, Store};
use dateline_web::newsroom::secrets;
use http::{Request, StatusCode, header};
use tower::ServiceExt;

use super::{Answer, site};

pub(crate) const ORIGIN: &str = "https://news.example";
pub(crate) const PASSWORD: &str = "correct horse battery staple";
const SESSION: &str = "__Host-dateline_session";

/// A browser: keeps cookies, sends the site's Origin on forms unless told otherwise.
pub(crate) struct Browser {
    app: Router,
    pub(super) cookies: HashMap<String, String>,
}

impl Browser {
    pub(crate) fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookies: HashMap::new(),
        }
    }

    /// The `Cookie` header this browser sends.
    pub(crate) fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Starts a request whose answer is a stream (server-sent events): status and body as they come.
    pub(crate) async fn open(&self, uri: &str) -> http::Response<Body> {
        let request = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::HOST, "news.example")
            .body(Body::empty())
            .expect("request");
        self.app.clone().oneshot(request).await.expect("response")
    }

    pub(crate) async fn send(&mut self, request: http::request::Builder, body: Body) -> Answer {
        let cookie = self.cookie_header();
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(header::COOKIE, cookie)
        };
        let response = self
            .app
            .clone()
            .oneshot(request.body(body).expect("request"))
            .await
            .expect("response");
        for set in response.headers().get_all(header::SET_COOKIE) {
            let text = set.to_str().expect("cookie");
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').expect("name=value");
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
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

    pub(crate) async fn get(&mut self, uri: &str) -> Answer {
        self.send(Request::get(uri), Body::empty()).await
    }

    /// Posts a form the way a browser would from our own page: with the page's token.
    pub(crate) async fn submit(
        &mut self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> Answer {
        let token = csrf_in(&self.get(page).await.body);
        let mut all = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all, &[("origin", ORIGIN)]).await
    }

    pub(crate) async fn post_raw(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Answer {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", urlencode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::post(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "news.example");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request, Body::from(body)).await
    }

    pub(crate) async fn sign_in(&mut self, email: &str, password: &str) -> Answer {
        self.submit(
            "/newsroom/login",
            "/newsroom/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub(crate) fn csrf_in(html: &str) -> String {
    let start = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("a form token in {html}"))
        + r#"name="csrf" value=""#.len();
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

pub(crate) fn input_value(html: &str, id: &str) -> String {
    let at = html
        .find(&format!(r#"id="{id}""#))
        .unwrap_or_else(|| panic!("#{id} in {html}"));
    let start = at + html[at..].find(r#"value=""#).expect("value") + 7;
    html[start..start + html[start..].find('"').expect("end")].to_owned()
}

pub(crate) async fn staff(
    store: &Store,
    email: &str,
    role: Role,
    password: Option<&str>,
) -> StaffMember {
    store
        .create_staff(
            &NewStaff {
                email: email.to_owned(),
                display_name: format!("{role} person"),
                role,
                password_hash: password.map(|p| secrets::hash_password(p).expect("hash")),
                author_id: None,
            },
            jiff::Timestamp::now(),
        )
        .await
        .expect("staff")
}

fn assert_private(answer: &Answer) {
    assert_eq!(answer.headers[header::CACHE_CONTROL], "private, no-store");
    assert!(
        answer.headers["x-robots-tag"]
            .to_str()
            .expect("robots")
            .contains("noindex")
    );
    let csp = answer.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .expect("csp");
    assert!(
        csp.starts_with("default-src 'none'"),
        "the newsroom's own CSP: {csp}"
    );
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(answer.headers[header::REFERRER_POLICY], "same-origin");
}

async fn signing_in_and_out(store: TestStore) {
    let editor = staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut browser = Browser::new(&site.app);

    let anonymous = browser.get("/newsroom/users").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.headers[header::LOCATION],
        "/newsroom/login?next=%2Fnewsroom%2Fusers"
    );
    let form = browser.get("/newsroom/login").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_private(&form);
    assert!(
        form.body
            .contains(r#"<meta name="robots" content="noindex, nofollow">"#)
    );
    assert!(
        !form.body.contains("style=\""),
        "no inline styles under the CSP"
    );

    // Wrong password and unknown email: the same status and words; the email is kept.
    let wrong = browser.sign_in("ed@example.org", "not the password!").await;
    let unknown = browser.sign_in("nobody@example.org", PASSWORD).await;
    for (answer, email) in [(&wrong, "ed@example.org"), (&unknown, "nobody@example.org")] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert!(
            answer.body.contains("That email and password do not match"),
            "{}",
            answer.body
        );
        assert_eq!(input_value(&answer.body, "email"), email);
        assert!(
            !answer.body.contains(PASSWORD),
            "the password is never shown"
        );
    }

    let signed_in = browser.sign_in("ED@example.org", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(signed_in.headers[header::LOCATION], "/newsroom");
    let cookie = signed_in
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().expect("cookie").to_owned())
        .find(|c| c.starts_with(SESSION))
        .expect("session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(cookie.contains(attribute), "{cookie} has {attribute}");
    }
    let token = browser.cookies[SESSION].clone();
    assert_eq!(token.len(), 64);

    let dashboard = browser.get("/newsroom").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert_private(&dashboard);
    assert!(dashboard.body.contains(&editor.display_name));
    assert!(
        !dashboard.body.contains(r#"href="/newsroom/users""#),
        "an editor is not shown the users page"
    );

    let out = browser.submit("/newsroom", "/newsroom/logout", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!browser.cookies.contains_key(SESSION), "cookie cleared");
    // The old token no longer opens anything, even if replayed.
    browser.cookies.insert(SESSION.to_owned(), token);
    assert_eq!(browser.get("/newsroom").await.status, StatusCode::SEE_OTHER);
}

async fn repeated_failures_lock_the_account(store: TestStore) {
    let editor = staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut browser = Browser::new(&site.app);
    for _ in 0..5 {
        let answer = browser.sign_in("ed@example.org", "wrong password!!").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    let throttle = site
        .state
        .store()
        .login_throttle(editor.id)
        .await
        .expect("throttle");
    assert!(throttle.is_locked(jiff::Timestamp::now()));
    let locked = browser.sign_in("ed@example.org", PASSWORD).await;
    assert_eq!(
        locked.status,
        StatusCode::UNAUTHORIZED,
        "the right password is refused while locked"
    );
    assert!(locked.body.contains("That email and password do not match"));
    assert!(!browser.cookies.contains_key(SESSION));

    // One client failing across many accounts hits the per-client limit (kept in memory).
    let mut guesser = Browser::new(&site.app);
    let mut limited = None;
    for n in 0..25 {
        let answer = guesser
            .sign_in(&format!("guess{n}@example.org"), "wrong password!!")
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(n);
            assert!(
                answer
                    .body
                    .contains("Too many failed sign-ins from your network")
            );
            break;
        }
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    }
    // Six failures came from this client already (the test clients share one unknown address).
    assert_eq!(limited, Some(14), "20 failures per client, then refused");
}

async fn forms_need_the_token_and_our_origin(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut browser = Browser::new(&site.app);
    assert_eq!(
        browser.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let token = csrf_in(&browser.get("/newsroom/password").await.body);
    let change = |csrf: &str| {
        vec![
            ("csrf", csrf.to_owned()),
            ("current", "wrong".to_owned()),
            ("new_password", "short".to_owned()),
            ("confirm", "short".to_owned()),
        ]
    };
    let as_refs =
        |fields: &[(&'static str, String)]| -> Vec<(&'static str, String)> { fields.to_vec() };
    type Case = (
        &'static str,
        Vec<(&'static str, String)>,
        Vec<(&'static str, &'static str)>,
    );
    let cases: Vec<Case> = vec![
        (
            "no token",
            as_refs(&change("")[1..]),
            vec![("origin", ORIGIN)],
        ),
        (
            "wrong token",
            change(&"0".repeat(64)),
            vec![("origin", ORIGIN)],
        ),
        (
            "other origin",
            change(&token),
            vec![("origin", "https://evil.example")],
        ),
        (
            "other referer",
            change(&token),
            vec![("referer", "https://evil.example/newsroom")],
        ),
        ("no origin at all", change(&token), vec![]),
    ];
    for (case, fields, headers) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = browser
            .post_raw("/newsroom/password", &fields, &headers)
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{case}");
        assert!(answer.body.contains("<h1>Not allowed</h1>"), "{case}");
        assert_private(&answer);
    }
    // The same form from our own page goes through (and fails on its content, not on CSRF).
    let fields = change(&token);
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let ok = browser
        .post_raw(
            "/newsroom/password",
            &fields,
            &[("referer", "https://news.example/newsroom/password")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(ok.body.contains("This is not your current password."));
    assert!(ok.body.contains("Use at least 12 characters"));
    // Signing in is protected too (login CSRF).
    let mut stranger = Browser::new(&site.app);
    let forged = stranger
        .post_raw(
            "/newsroom/login",
            &[("email", "ed@example.org"), ("password", PASSWORD)],
            &[("origin", ORIGIN)],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

/// Every newsroom route and Admin API route, for every role, against the core table.
async fn every_role_gets_exactly_what_the_table_allows(store: TestStore) {
    let target = staff(&store, "target@example.org", Role::Contributor, None).await;
    let mut accounts = Vec::new();
    for role in Role::ALL {
        let email = format!("{role}@example.org");
        accounts.push((role, staff(&store, &email, role, Some(PASSWORD)).await));
    }
    let admin = accounts
        .iter()
        .find(|(role, _)| *role == Role::Admin)
        .map(|(_, m)| m.clone())
        .expect("admin");
    let site = site(store).await;
    let target_path = |action: &str| format!("/newsroom/users/{}/{action}", target.id);
    // A picture nobody in the matrix uploaded: editing it is editing someone else's work.
    let picture = site
        .state
        .store()
        .insert_image(&dateline_db::ImageInput {
            original_key: "originals/matrix.jpg".to_owned(),
            original_mime: "image/jpeg".to_owned(),
            width: 10,
            height: 10,
            alt: "Matrix".to_owned(),
            caption: None,
            credit: None,
            source_type: None,
            variants: Vec::new(),
        })
        .await
        .expect("image");
    type Route = (
        &'static str,
        String,
        Vec<(&'static str, &'static str)>,
        Action,
    );
    let pages: Vec<Route> = vec![
        ("GET", "/newsroom".into(), vec![], Action::UseNewsroom),
        (
            "GET",
            "/newsroom/password".into(),
            vec![],
            Action::ChangeOwnPassword,
        ),
        ("GET", "/newsroom/users".into(), vec![], Action::ManageUsers),
        (
            "GET",
            "/newsroom/users/new".into(),
            vec![],
            Action::ManageUsers,
        ),
        (
            "POST",
            "/newsroom/users/new".into(),
            vec![("email", ""), ("display_name", ""), ("role", "author")],
            Action::ManageUsers,
        ),
        (
            "POST",
            target_path("role"),
            vec![("role", "contributor")],
            Action::ManageUsers,
        ),
        ("POST", target_path("disable"), vec![], Action::ManageUsers),
        ("POST", target_path("enable"), vec![], Action::ManageUsers),
        (
            "POST",
            target_path("password-link"),
            vec![],
            Action::ManageUsers,
        ),
        (
            "GET",
            "/newsroom/audit".into(),
            vec![],
            Action::ViewAuditLog,
        ),
        (
            "GET",
            "/newsroom/tokens".into(),
            vec![],
            Action::ManageApiTokens,
        ),
        (
            "POST",
            "/newsroom/tokens".into(),
            vec![("name", "matrix"), ("role", "contributor")],
            Action::ManageApiTokens,
        ),
        (
            "POST",
            "/newsroom/tokens/999999/revoke".into(),
            vec![],
            Action::ManageApiTokens,
        ),
        (
            "GET",
            "/newsroom/images".into(),
            vec![],
            Action::UseNewsroom,
        ),
        (
            "GET",
            "/newsroom/images/new".into(),
            vec![],
            Action::UploadImages,
        ),
        (
            "POST",
            format!("/newsroom/images/{}", picture.id),
            vec![("alt", "Matrix, described")],
            Action::EditImage,
        ),
        (
            "GET",
            "/newsroom/sections".into(),
            vec![],
            Action::ManageSections,
        ),
        (
            "POST",
            "/newsroom/sections".into(),
            vec![("name", "")],
            Action::ManageSections,
        ),
        (
            "GET",
            "/newsroom/authors".into(),
            vec![],
            Action::UseNewsroom,
        ),
        (
            "POST",
            "/newsroom/authors".into(),
            vec![("name", "")],
            Action::EditAuthorProfile,
        ),
        (
            "GET",
            "/newsroom/settings".into(),
            vec![],
            Action::ManageSettings,
        ),
        (
            "POST",
            "/newsroom/settings".into(),
            vec![("name", "")],
            Action::ManageSettings,
        ),
        (
            "GET",
            "/newsroom/comments".into(),
            vec![],
            Action::ModerateComments,
        ),
        (
            "POST",
            "/newsroom/comments/999999/decision".into(),
            vec![("decision", "approve")],
            Action::ModerateComments,
        ),
        (
            "GET",
            "/newsroom/comments/settings".into(),
            vec![],
            Action::ConfigureModeration,
        ),
        (
            "POST",
            "/newsroom/comments/settings".into(),
            vec![("mode", "pre"), ("premoderate_first", "x")],
            Action::ConfigureModeration,
        ),
    ];
    for (role, member) in &accounts {
        let mut browser = Browser::new(&site.app);
        assert_eq!(
            browser.sign_in(&member.email, PASSWORD).await.status,
            StatusCode::SEE_OTHER
        );
        for (method, path, fields, action) in &pages {
            let answer = if *method == "GET" {
                browser.get(path).await
            } else {
                browser.submit("/newsroom", path, fields).await
            };
            let allowed = permits(*role, *action, false);
            if allowed {
                assert!(
                    answer.status.is_success()
                        || answer.status == StatusCode::SEE_OTHER
                        || answer.status == StatusCode::UNPROCESSABLE_ENTITY,
                    "{role} {method} {path}: {} {}",
                    answer.status,
                    answer.body
                );
                assert_ne!(
                    answer
                        .headers
                        .get(header::LOCATION)
                        .map(|l| l.to_str().ok()),
                    Some(Some("/newsroom/login")),
                    "{role} {method} {path}"
                );
            } else {
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {path}"
                );
                assert!(answer.body.contains("does not allow this"), "{role} {path}");
            }
        }
    }

    // Admin API: a token of every role (created by the admin) on every route.
    let api_routes = [("/api/v1/admin/whoami", Action::UseNewsroom)];
    for role in Role::ALL {
        let secret = format!("dlt_matrix_{role}");
        site.state
            .store()
            .create_api_token(
                &format!("{role} token"),
                role,
                &secrets::token_digest(&secret),
                &Actor::staff(admin.id, "admin"),
                jiff::Timestamp::now(),
            )
            .await
            .expect("token");
        for (path, action) in api_routes {
            let answer = api_get(&site.app, path, Some(&secret)).await;
            let expected = if permits(role, action, false) {
                StatusCode::OK
            } else {
                StatusCode::FORBIDDEN
            };
            assert_eq!(answer.status, expected, "{role} token {path}");
        }
    }

    // A token never acts above its creator's current role: demoting the creator demotes it.
    let editor = accounts
        .iter()
        .find(|(role, _)| *role == Role::Editor)
        .map(|(_, m)| m.clone())
        .expect("editor");
    let secret = "dlt_editor_made";
    let now = jiff::Timestamp::now();
    let store = site.state.store();
    store
        .create_api_token(
            "desk",
            Role::Editor,
            &secrets::token_digest(secret),
            &Actor::staff(editor.id, "editor"),
            now,
        )
        .await
        .expect("token");
    store
        .set_staff_role(
            editor.id,
            Role::Contributor,
            &Actor::staff(admin.id, "admin"),
            now,
        )
        .await
        .expect("demote");
    let answer = api_get(&site.app, "/api/v1/admin/whoami", Some(secret)).await;
    let json: serde_json::Value = serde_json::from_str(&answer.body).expect("json");
    assert_eq!(json["token"]["role"], "editor");
    assert_eq!(json["role"], "contributor");
}

async fn api_get(app: &Router, uri: &str, token: Option<&str>) -> Answer {
    let mut request = Request::get(uri);
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let mut browser = Browser::new(app);
    browser.send(request, Body::empty()).await
}

async fn set_password_links_work_once_and_expire(store: TestStore) {
    staff(&store, "boss@example.org", Role::Admin, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut admin = Browser::new(&site.app);
    admin.sign_in("boss@example.org", PASSWORD).await;

    // Creating a user re-shows what was typed when something is wrong.
    let taken = admin
        .submit(
            "/newsroom/users/new",
            "/newsroom/users/new",
            &[
                ("email", "boss@example.org"),
                ("display_name", "Second Boss"),
                ("role", "editor"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken
            .body
            .contains("Someone already has an account with this email.")
    );
    assert_eq!(input_value(&taken.body, "display_name"), "Second Boss");
    assert!(taken.body.contains(r#"<option value="editor" selected>"#));

    let created = admin
        .submit(
            "/newsroom/users/new",
            "/newsroom/users/new",
            &[
                ("email", "new@example.org"),
                ("display_name", "New Writer"),
                ("role", "author"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let link = input_value(&created.body, "link");
    assert!(
        link.starts_with("https://news.example/newsroom/set-password/"),
        "{link}"
    );
    let path = link.trim_start_matches(ORIGIN).to_owned();

    let mut newcomer = Browser::new(&site.app);
    let form = newcomer.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("new@example.org"));
    let weak = newcomer
        .submit(
            &path,
            &path,
            &[
                ("new_password", "new@example.org"),
                ("confirm", "new@example.org"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("cannot be your email address"));
    let chosen = "a long and quiet river";
    let done = newcomer
        .submit(
            &path,
            &path,
            &[("new_password", chosen), ("confirm", chosen)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        done.headers[header::LOCATION],
        "/newsroom/login?done=password"
    );
    assert_eq!(
        newcomer.get(&path).await.status,
        StatusCode::NOT_FOUND,
        "single use"
    );
    assert_eq!(
        newcomer.sign_in("new@example.org", chosen).await.status,
        StatusCode::SEE_OTHER
    );

    // An expired link is gone.
    let member = site
        .state
        .store()
        .staff_by_email("new@example.org")
        .await
        .expect("member");
    let now = jiff::Timestamp::now();
    let token = secrets::new_token().expect("token");
    site.state
        .store()
        .create_password_link(
            member.id,
            &secrets::token_digest(&token),
            now - jiff::SignedDuration::from_secs(1),
            &Actor::system("test"),
            now - jiff::SignedDuration::from_hours(73),
        )
        .await
        .expect("link");
    let expired = newcomer
        .get(&format!("/newsroom/set-password/{token}"))
        .await;
    assert_eq!(expired.status, StatusCode::NOT_FOUND);
    assert!(expired.body.contains("expired or was already used"));

    // The admin's actions are in the audit log page.
    let audit = admin.get("/newsroom/audit").await;
    assert_eq!(audit.status, StatusCode::OK);
    assert!(audit.body.contains("staff.create"));
    assert!(audit.body.contains("staff.password_link"));
    assert!(audit.body.contains("staff.password"));
}

async fn api_tokens_authenticate_until_revoked(store: TestStore) {
    staff(&store, "boss@example.org", Role::Admin, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut admin = Browser::new(&site.app);
    admin.sign_in("boss@example.org", PASSWORD).await;
    let created = admin
        .submit(
            "/newsroom/tokens",
            "/newsroom/tokens",
            &[("name", "Wire importer"), ("role", "editor")],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let secret = input_value(&created.body, "secret");
    assert!(secret.starts_with("dlt_") && secret.len() == 68, "{secret}");
    assert!(
        !admin.get("/newsroom/tokens").await.body.contains(&secret),
        "the secret is shown once"
    );

    let whoami = api_get(&site.app, "/api/v1/admin/whoami", Some(&secret)).await;
    assert_eq!(whoami.status, StatusCode::OK);
    assert_private(&whoami);
    let json: serde_json::Value = serde_json::from_str(&whoami.body).expect("json");
    assert_eq!(json["token"]["name"], "Wire importer");
    assert_eq!(json["role"], "editor");
    assert_eq!(json["acting_as"]["role"], "admin");

    for token in [None, Some("dlt_0000"), Some("")] {
        let refused = api_get(&site.app, "/api/v1/admin/whoami", token).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(refused.headers.contains_key(header::WWW_AUTHENTICATE));
    }
    let id = site.state.store().api_tokens().await.expect("tokens")[0].id;
    let revoked = admin
        .submit(
            "/newsroom/tokens",
            &format!("/newsroom/tokens/{id}/revoke"),
            &[],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::SEE_OTHER);
    assert_eq!(
        api_get(&site.app, "/api/v1/admin/whoami", Some(&secret))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

dateline_db::both_backends!(
    signing_in_and_out,
    repeated_failures_lock_the_account,
    forms_need_the_token_and_our_origin,
    every_role_gets_exactly_what_the_table_allows,
    set_password_links_work_once_and_expire,
    api_tokens_authenticate_until_revoked,
);
