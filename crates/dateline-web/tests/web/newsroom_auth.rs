//! The newsroom's front door: signing in and out, lockout, CSRF, the role matrix over every
//! newsroom route and Admin API route, set-password links, API tokens and response headers — on
//! both backends. The site is configured on `https://news.example`, so cookies are `Secure`.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
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
    /// The address the listener sees it connect from (none: the address tests share).
    client: Option<SocketAddr>,
}

impl Browser {
    pub(crate) fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookies: HashMap::new(),
            client: None,
        }
    }

    /// A browser connecting from `address`, as `axum::serve` with connect info reports it.
    pub(crate) fn at(app: &Router, address: &str) -> Self {
        Self {
            client: Some(SocketAddr::new(address.parse().expect("address"), 50_000)),
            ..Self::new(app)
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
        let request = match self.client {
            Some(address) => request.extension(ConnectInfo(address)),
            None => request,
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
        .people()
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

/// The attack from issue 12: 40 wrong passwords at once, from one address. Each is counted before
/// its password is hashed, so at most the per-account allowance is hashed and the rest are told
/// to wait (429, with `Retry-After`), the email they typed kept in the form.
async fn a_burst_of_bad_sign_ins_is_refused_before_hashing(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let token_page = Browser::at(&site.app, "198.51.100.7")
        .get("/newsroom/login")
        .await;
    let burst: Vec<_> = (0..40)
        .map(|_| {
            let mut browser = Browser::at(&site.app, "198.51.100.7");
            tokio::spawn(async move { browser.sign_in("ed@example.org", "wrong password!!").await })
        })
        .collect();
    let mut refused = 0;
    let mut failed = 0;
    for answer in burst {
        let answer = answer.await.expect("task");
        match answer.status {
            StatusCode::TOO_MANY_REQUESTS => {
                refused += 1;
                assert!(answer.headers.contains_key(header::RETRY_AFTER));
                assert!(
                    answer.body.contains("Too many sign-in attempts"),
                    "{}",
                    answer.body
                );
                assert_eq!(input_value(&answer.body, "email"), "ed@example.org");
            }
            StatusCode::UNAUTHORIZED => failed += 1,
            other => panic!("unexpected {other}: {}", answer.body),
        }
    }
    assert_eq!(token_page.status, StatusCode::OK);
    assert_eq!(
        failed, 10,
        "only the per-account allowance reached the hash"
    );
    assert_eq!(refused, 30);
    // The right password from that address waits too: the guesser cannot tell it apart.
    let mut guesser = Browser::at(&site.app, "198.51.100.7");
    assert_eq!(
        guesser.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// One address failing across many accounts meets the per-address limit; the owner of an
/// account under attack, at their own address, still signs in: nobody is locked out at will.
async fn a_victim_signs_in_from_their_own_address(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    // The editor has signed in from the office before.
    let mut office = Browser::at(&site.app, "192.0.2.10");
    assert_eq!(
        office.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // One guesser: ten tries at the account, then refused; guessing elsewhere, refused once the
    // address has had its 30.
    let mut guesser = Browser::at(&site.app, "203.0.113.66");
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(
            guesser
                .sign_in("ed@example.org", "wrong password!!")
                .await
                .status,
        );
    }
    assert_eq!(statuses[..10], [StatusCode::UNAUTHORIZED; 10]);
    assert_eq!(statuses[10..], [StatusCode::TOO_MANY_REQUESTS; 2]);
    let mut spread = Vec::new();
    for n in 0..20 {
        let answer = guesser
            .sign_in(&format!("guess{n}@example.org"), "wrong password!!")
            .await;
        spread.push(answer.status);
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(answer.body.contains("from your network"), "{}", answer.body);
        }
    }
    assert_eq!(
        spread
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED)
            .count(),
        18,
        "30 attempts per address in all"
    );
    // Meanwhile the editor, at home, signs in as usual.
    let mut home = Browser::at(&site.app, "192.0.2.77");
    assert_eq!(
        home.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Guessing from many addresses at once passes the account's ceiling (100 an hour, counted
    // in the database): new addresses are then refused, while the office, where the editor
    // signed in before, still gets in.
    let mut ceiling_hit = false;
    for net in 0..11 {
        let mut bot = Browser::at(&site.app, &format!("203.0.113.{}", 100 + net));
        for _ in 0..10 {
            let status = bot
                .sign_in("ed@example.org", "wrong password!!")
                .await
                .status;
            ceiling_hit |= status == StatusCode::TOO_MANY_REQUESTS;
        }
    }
    assert!(ceiling_hit, "the account's ceiling held");
    let mut stranger = Browser::at(&site.app, "198.51.100.200");
    assert_eq!(
        stranger.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let mut office = Browser::at(&site.app, "192.0.2.10");
    assert_eq!(
        office.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

/// An address with no account meets exactly what an address with one meets, attempt after
/// attempt: the same statuses, the same words, no growing delay that tells them apart.
async fn unknown_accounts_get_the_same_answers(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut answers: Vec<Vec<(StatusCode, String)>> = Vec::new();
    for (address, email) in [
        ("192.0.2.1", "ed@example.org"),
        ("192.0.2.2", "nobody@example.org"),
    ] {
        let mut browser = Browser::at(&site.app, address);
        let mut seen = Vec::new();
        for _ in 0..12 {
            let answer = browser.sign_in(email, "wrong password!!").await;
            let token = csrf_in(&answer.body);
            let body = answer.body.replace(email, "EMAIL").replace(&token, "TOKEN");
            seen.push((answer.status, body));
        }
        answers.push(seen);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[0][0].0, StatusCode::UNAUTHORIZED);
    assert_eq!(answers[0][11].0, StatusCode::TOO_MANY_REQUESTS);
}

/// Readers and staff have separate limits: readers failing from the same address (behind one
/// proxy, say) never lock an editor out.
async fn reader_failures_do_not_lock_staff(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    let mut reader = Browser::at(&site.app, "192.0.2.50");
    let mut refused = 0;
    for n in 0..40 {
        let answer = reader
            .submit(
                "/readers/sign-in",
                "/readers/sign-in",
                &[
                    ("email", &format!("reader{}@example.org", n % 4)),
                    ("password", "wrong password!!"),
                ],
            )
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        } else {
            assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        }
    }
    assert_eq!(refused, 10, "the readers' door has its own limit");
    let mut editor = Browser::at(&site.app, "192.0.2.50");
    assert_eq!(
        editor.sign_in("ed@example.org", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
}

/// An editor who signed in from an address signs in again from it (another browser, another tab)
/// as often as they like: the limit on one account from one address counts guesses, and they
/// know the password. Guesses at it from elsewhere are still limited.
async fn signing_in_again_is_not_guessing(store: TestStore) {
    staff(&store, "ed@example.org", Role::Editor, Some(PASSWORD)).await;
    let site = site(store).await;
    for n in 0..15 {
        let mut browser = Browser::at(&site.app, "192.0.2.60");
        assert_eq!(
            browser.sign_in("ed@example.org", PASSWORD).await.status,
            StatusCode::SEE_OTHER,
            "sign-in {n} from the editor's own address"
        );
    }
    let mut guesser = Browser::at(&site.app, "198.51.100.7");
    let mut refused = 0;
    for _ in 0..15 {
        let answer = guesser
            .submit(
                "/newsroom/login",
                "/newsroom/login",
                &[
                    ("email", "ed@example.org"),
                    ("password", "not the password!"),
                ],
            )
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        }
    }
    assert!(refused > 0, "guesses from another address are limited");
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
        .library()
        .insert_image(
            &dateline_db::ImageInput {
                original_key: "originals/matrix.jpg".to_owned(),
                original_mime: "image/jpeg".to_owned(),
                width: 10,
                height: 10,
                alt: "Matrix".to_owned(),
                caption: None,
                credit: None,
                source_type: None,
                variants: Vec::new(),
            },
            jiff::Timestamp::now(),
        )
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
            .sessions()
            .create_api_token(
                &format!("{role} token"),
                role,
                &secrets::token_digest(&secret),
                jiff::Timestamp::now() + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
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
        .sessions()
        .create_api_token(
            "desk",
            Role::Editor,
            &secrets::token_digest(secret),
            now + dateline_db::API_TOKEN_DEFAULT_LIFETIME,
            &Actor::staff(editor.id, "editor"),
            now,
        )
        .await
        .expect("token");
    store
        .people()
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

    // Changing one's password kills a set-password link still lying in a mailbox.
    let member = site
        .state
        .store()
        .people()
        .staff_by_email("new@example.org")
        .await
        .expect("member");
    let forgotten = secrets::new_token().expect("token");
    site.state
        .store()
        .sessions()
        .create_password_link(
            member.id,
            &secrets::token_digest(&forgotten),
            jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72),
            &Actor::system("test"),
            jiff::Timestamp::now(),
        )
        .await
        .expect("link");
    let forgotten = format!("/newsroom/set-password/{forgotten}");
    assert_eq!(newcomer.get(&forgotten).await.status, StatusCode::OK);
    let changed = newcomer
        .submit(
            "/newsroom/password",
            "/newsroom/password",
            &[
                ("current", chosen),
                ("new_password", "a longer and quieter river"),
                ("confirm", "a longer and quieter river"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    assert_eq!(newcomer.get(&forgotten).await.status, StatusCode::NOT_FOUND);

    // An expired link is gone.
    let member = site
        .state
        .store()
        .people()
        .staff_by_email("new@example.org")
        .await
        .expect("member");
    let now = jiff::Timestamp::now();
    let token = secrets::new_token().expect("token");
    site.state
        .store()
        .sessions()
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
    // Every token expires: 90 days unless its creator chose otherwise, shown in the list, and
    // checked on every use.
    let listed = admin.get("/newsroom/tokens").await;
    assert!(
        listed.body.contains("<th scope=\"col\">Expires</th>"),
        "{}",
        listed.body
    );
    let token = &site
        .state
        .store()
        .sessions()
        .api_tokens()
        .await
        .expect("tokens")[0];
    assert_eq!(
        token.expires_at.duration_since(token.created_at),
        dateline_db::API_TOKEN_DEFAULT_LIFETIME
    );
    let week = admin
        .submit(
            "/newsroom/tokens",
            "/newsroom/tokens",
            &[
                ("name", "Short job"),
                ("role", "author"),
                ("expires_in_days", "7"),
            ],
        )
        .await;
    assert_eq!(week.status, StatusCode::OK);
    let short = &site
        .state
        .store()
        .sessions()
        .api_tokens()
        .await
        .expect("tokens")[0];
    assert_eq!(
        short.expires_at.duration_since(short.created_at),
        jiff::SignedDuration::from_hours(7 * 24)
    );
    let forever = admin
        .submit(
            "/newsroom/tokens",
            "/newsroom/tokens",
            &[
                ("name", "Forever"),
                ("role", "author"),
                ("expires_in_days", "100000"),
            ],
        )
        .await;
    assert_eq!(forever.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(forever.body.contains("at most a year"), "{}", forever.body);
    assert_eq!(
        input_value(&forever.body, "name"),
        "Forever",
        "what was typed is kept"
    );
    let boss = site
        .state
        .store()
        .people()
        .staff_by_email("boss@example.org")
        .await
        .expect("boss");
    let long_ago = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(48);
    let old_secret = "dlt_an-old-token";
    site.state
        .store()
        .sessions()
        .create_api_token(
            "Old job",
            Role::Editor,
            &secrets::token_digest(old_secret),
            long_ago + jiff::SignedDuration::from_hours(24),
            &Actor::staff(boss.id, "boss"),
            long_ago,
        )
        .await
        .expect("token");
    let expired = api_get(&site.app, "/api/v1/admin/whoami", Some(old_secret)).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert!(
        admin
            .get("/newsroom/tokens")
            .await
            .body
            .contains(">expired<")
    );

    let id = site
        .state
        .store()
        .sessions()
        .api_tokens()
        .await
        .expect("tokens")
        .into_iter()
        .find(|token| token.name == "Wire importer")
        .expect("the first token")
        .id;
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
    a_burst_of_bad_sign_ins_is_refused_before_hashing,
    a_victim_signs_in_from_their_own_address,
    unknown_accounts_get_the_same_answers,
    reader_failures_do_not_lock_staff,
    signing_in_again_is_not_guessing,
    forms_need_the_token_and_our_origin,
    every_role_gets_exactly_what_the_table_allows,
    set_password_links_work_once_and_expire,
    api_tokens_authenticate_until_revoked,
);
