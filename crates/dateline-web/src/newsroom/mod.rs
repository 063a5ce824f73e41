//! What staff see: the newsroom under `/newsroom`, and the staff side of the API under
//! `/api/v1/admin`.
//!
//! Every newsroom request passes through [`guard`]: it loads the session from its cookie, refuses
//! unsafe requests from another origin or without the synchronizer token (CSRF), and marks every
//! answer private, uncacheable and unindexed. Handlers then take a [`CurrentStaff`] (which sends
//! anonymous visitors to the sign-in page) and call [`CurrentStaff::require`] with the [`Action`]
//! they perform — the same [`dateline_core::permits`] check the Admin API uses through
//! [`ApiCaller`].
//!
//! Adding a newsroom page: write a handler taking `CurrentStaff` (and `Csrf` if it shows a form),
//! call `staff.require(Action::…)?`, render with [`render`] (template under
//! `themes/default/templates/newsroom/`, registered in `theme.rs`), and add its route in [`routes`].
//! It fails with a [`WebError`], as every handler does: `guard` writes a refusal (403) as the
//! themed page that says why; the Admin API's routes answer the same errors as JSON.
//! Forms are ordinary `application/x-www-form-urlencoded` POSTs with `<input type="hidden"
//! name="csrf" value="{{ csrf }}">`; multipart forms put that field first.

mod admin;
mod admin_api;
pub(crate) mod admin_comments;
pub(crate) mod admin_endpoints;
pub(crate) mod admin_pages;
mod articles;
mod authors;
mod comments;
mod dashboard;
mod library;
mod live;
mod lookup;
mod narration;
mod pages;
pub(crate) mod presence;
pub mod secrets;
mod session;
pub(crate) mod sign_in;
mod site;
mod static_pages;
mod tips;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use dateline_core::Action;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, COOKIE, HOST, ORIGIN, REFERER, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Value, json};

use crate::error::Door;
pub(crate) use crate::error::field_errors;
use crate::{AppState, WebError};
pub use admin::{PASSWORD_LINK_VALID_FOR, issue_password_link};
pub use admin_api::ApiCaller;
pub use library::{UploadFields, upload_body_limit};
pub use session::{Csrf, CurrentStaff};

/// Answers about people and their sessions are for that browser only, never for a shared cache.
pub const PRIVATE_NO_STORE: &str = "private, no-store";

const X_ROBOTS_TAG: HeaderName = HeaderName::from_static("x-robots-tag");

/// Stricter than the public pages': nothing but our own files, no framing, forms only to us.
const NEWSROOM_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; font-src 'self'; connect-src 'self'; media-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

pub fn routes(state: AppState) -> Router<AppState> {
    let pages = Router::new()
        .route("/newsroom", get(dashboard::dashboard))
        .route("/newsroom/login", get(pages::login_form).post(pages::login))
        .route("/newsroom/logout", post(pages::logout))
        .route(
            "/newsroom/password",
            get(pages::password_form).post(pages::change_password),
        )
        .route(
            "/newsroom/set-password/{token}",
            get(pages::set_password_form).post(pages::set_password),
        )
        .route("/newsroom/articles", get(articles::list))
        .route(
            "/newsroom/articles/new",
            get(articles::new_form).post(articles::create),
        )
        .route(
            "/newsroom/articles/preview-body",
            post(articles::preview_body),
        )
        .route(
            "/newsroom/articles/{id}/edit",
            get(articles::edit_form).post(articles::save),
        )
        .route("/newsroom/articles/{id}/presence", get(presence::events))
        .route("/newsroom/tags", get(lookup::tags))
        .route(
            "/newsroom/articles/{id}/status",
            post(articles::change_status),
        )
        .route("/newsroom/articles/{id}/schedule", post(articles::schedule))
        .route("/newsroom/articles/{id}/notes", post(articles::add_note))
        .route("/newsroom/articles/{id}/live", get(live::desk))
        .route(
            "/newsroom/articles/{id}/live/entries",
            post(live::post_entry),
        )
        .route(
            "/newsroom/articles/{id}/coverage/{what}",
            post(live::coverage),
        )
        .route("/newsroom/live/entries/{id}/edit", post(live::edit_entry))
        .route("/newsroom/live/entries/{id}/pin", post(live::pin_entry))
        .route(
            "/newsroom/live/entries/{id}/key-event",
            post(live::key_event_entry),
        )
        .route(
            "/newsroom/live/entries/{id}/delete",
            post(live::delete_entry),
        )
        .route(
            "/newsroom/live/entries/{id}/correct",
            post(live::correct_entry),
        )
        .route(
            "/newsroom/articles/{id}/audio",
            post(narration::article_audio),
        )
        .route("/newsroom/narration", get(narration::settings))
        .route("/newsroom/narration/voice", post(narration::site_voice))
        .route(
            "/newsroom/narration/sections/{id}/voice",
            post(narration::section_voice),
        )
        .route(
            "/newsroom/narration/lexicon",
            post(narration::save_pronunciation),
        )
        .route(
            "/newsroom/narration/lexicon/delete",
            post(narration::delete_pronunciation),
        )
        .route(
            "/newsroom/narration/regenerate-all",
            post(narration::regenerate_all),
        )
        .route(
            "/newsroom/articles/{id}/revisions",
            get(articles::revisions),
        )
        .route(
            "/newsroom/articles/{id}/revisions/{number}/restore",
            post(articles::restore),
        )
        .route("/newsroom/users", get(admin::users))
        .route(
            "/newsroom/users/new",
            get(admin::new_user_form).post(admin::create_user),
        )
        .route("/newsroom/users/{id}/role", post(admin::change_role))
        .route("/newsroom/users/{id}/disable", post(admin::disable))
        .route("/newsroom/users/{id}/enable", post(admin::enable))
        .route(
            "/newsroom/users/{id}/password-link",
            post(admin::password_link),
        )
        .route("/newsroom/audit", get(admin::audit))
        .route(
            "/newsroom/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/newsroom/tokens/{id}/revoke", post(admin::revoke_token))
        .route(
            "/newsroom/images",
            get(library::list)
                .post(library::upload)
                .layer(axum::extract::DefaultBodyLimit::max(upload_body_limit())),
        )
        .route("/newsroom/images/new", get(library::new_form))
        .route(
            "/newsroom/images/{id}",
            get(library::edit_form).post(library::save),
        )
        .route(
            "/newsroom/sections",
            get(site::sections).post(site::create_section),
        )
        .route(
            "/newsroom/sections/{id}",
            get(site::section_form).post(site::update_section),
        )
        .route("/newsroom/pages", get(static_pages::list))
        .route(
            "/newsroom/pages/new",
            get(static_pages::new_form).post(static_pages::create),
        )
        .route(
            "/newsroom/pages/{id}",
            get(static_pages::edit_form).post(static_pages::save),
        )
        .route(
            "/newsroom/pages/{id}/status",
            post(static_pages::change_status),
        )
        .route("/newsroom/pages/{id}/delete", post(static_pages::delete))
        .route("/newsroom/pages/{id}/preview", get(static_pages::preview))
        .route(
            "/newsroom/authors",
            get(authors::list).post(authors::create),
        )
        .route(
            "/newsroom/authors/{id}",
            get(authors::edit_form).post(authors::save),
        )
        .route(
            "/newsroom/settings",
            get(site::settings).post(site::save_settings),
        )
        .route("/newsroom/tips", get(tips::inbox))
        .route("/newsroom/tips/unlock", post(tips::unlock))
        .route("/newsroom/tips/lock", post(tips::lock))
        .route("/newsroom/tips/delete-spam", post(tips::delete_spam))
        .route("/newsroom/tips/{id}", get(tips::show))
        .route("/newsroom/tips/{id}/reply", post(tips::reply))
        .route("/newsroom/tips/{id}/notes", post(tips::add_note))
        .route("/newsroom/tips/{id}/status", post(tips::change_status))
        .route("/newsroom/tips/{id}/assign", post(tips::assign))
        .route(
            "/newsroom/tips/{id}/attachments/{attachment_id}",
            get(tips::download),
        )
        .route("/newsroom/comments", get(comments::queue))
        .route(
            "/newsroom/comments/settings",
            get(comments::settings_form).post(comments::save_settings),
        )
        .route("/newsroom/comments/{id}/decision", post(comments::decide))
        .route("/newsroom/comments/{id}/feature", post(comments::feature))
        .route("/newsroom/comments/{id}/reply", post(comments::staff_reply))
        .route("/newsroom/readers/{id}/standing", post(comments::standing))
        .route(
            "/newsroom/articles/{id}/discussion",
            post(comments::article_discussion),
        );
    // No CORS on purpose: these answers are for servers and scripts, not other sites' pages.
    let api = Router::new()
        .route("/api/v1/admin/whoami", get(admin_endpoints::whoami))
        .route(
            "/api/v1/admin/articles",
            post(admin_endpoints::create_article),
        )
        .route(
            "/api/v1/admin/articles/{id}",
            get(admin_endpoints::get_article).put(admin_endpoints::update_article),
        )
        .route(
            "/api/v1/admin/articles/{id}/submit",
            post(admin_endpoints::submit_article),
        )
        .route(
            "/api/v1/admin/articles/{id}/publish",
            post(admin_endpoints::publish_article),
        )
        .route(
            "/api/v1/admin/articles/{id}/unpublish",
            post(admin_endpoints::unpublish_article),
        )
        .route(
            "/api/v1/admin/articles/{id}/schedule",
            post(admin_endpoints::schedule_article),
        )
        .route(
            "/api/v1/admin/articles/{id}/notes",
            post(admin_endpoints::add_note),
        )
        .route("/api/v1/admin/images", post(admin_endpoints::upload_image))
        .route("/api/v1/admin/pages", post(admin_pages::create_page))
        .route(
            "/api/v1/admin/pages/{id}",
            get(admin_pages::get_page)
                .put(admin_pages::update_page)
                .delete(admin_pages::delete_page),
        )
        .route(
            "/api/v1/admin/pages/{id}/publish",
            post(admin_pages::publish_page),
        )
        .route(
            "/api/v1/admin/pages/{id}/unpublish",
            post(admin_pages::unpublish_page),
        )
        .route(
            "/api/v1/admin/comments/{id}/decision",
            post(admin_comments::decide),
        )
        .route(
            "/api/v1/admin/comments/{id}/feature",
            post(admin_comments::feature),
        )
        .route(
            "/api/v1/admin/comments/{id}/replies",
            post(admin_comments::reply),
        )
        .route(
            "/api/v1/admin/readers/{id}/standing",
            post(admin_comments::standing),
        )
        .route(
            "/api/v1/admin/articles/{id}/discussion",
            post(admin_comments::discussion),
        )
        .route(
            "/api/v1/admin/comment-rules",
            put(admin_comments::save_rules),
        )
        .layer(axum::middleware::from_fn(crate::error::api_answers))
        .layer(axum::middleware::from_fn(private_answers));
    pages
        .layer(axum::middleware::from_fn_with_state(state, guard))
        .merge(api)
}

/// In-memory state of the newsroom on this node: its sign-in limits ([`sign_in`]).
pub(crate) struct NewsroomState {
    sign_in: sign_in::SignInLimits,
}

impl NewsroomState {
    pub(crate) fn new() -> Self {
        Self {
            sign_in: sign_in::SignInLimits::new(dateline_db::SignInSide::Staff),
        }
    }

    /// The newsroom door's sign-in limits (staff only: readers have their own).
    pub(crate) fn sign_in(&self) -> &sign_in::SignInLimits {
        &self.sign_in
    }
}

/// The client's address: as resolved once per request from the socket and, behind trusted
/// proxies, their forwarding headers (`crate::client`); else the socket's peer; unknown when the
/// server runs without either (handler tests), and then every such request shares one limit.
pub(crate) fn client_address(request_headers_extensions: &http::Extensions) -> IpAddr {
    if let Some(client) = request_headers_extensions.get::<crate::Client>() {
        return client.address;
    }
    request_headers_extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip())
        .unwrap_or(IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED))
}

/// Whether a request comes from staff: a live session, or on the Admin API a valid token. The
/// edge (`limits`) lets staff take a slot before their body arrives, and no one else.
pub(crate) async fn from_staff(state: &AppState, parts: &mut http::request::Parts) -> bool {
    use axum::extract::FromRequestParts;
    if parts.uri.path().starts_with("/api/v1/admin/") {
        ApiCaller::from_request_parts(parts, state).await.is_ok()
    } else {
        matches!(session::load(state, &parts.headers).await, Ok(Some(_)))
    }
}

/// Renders a newsroom template with what every newsroom page shows: the site, the assets, the
/// signed-in staff member and what they may open, and the form token.
pub(crate) async fn render(
    state: &AppState,
    staff: Option<&CurrentStaff>,
    csrf: &Csrf,
    template: &str,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let settings = state.store().site().settings().await?;
    let theme = state.theme();
    let mut context = json!({
        "site": {
            "name": settings.name,
            "language": settings.language,
            "base_url": state.config().base_url,
        },
        "assets": {
            "css": theme.asset_url("site.css"),
            "newsroom_css": theme.asset_url("newsroom.css"),
            "editor_css": theme.asset_url("newsroom-editor.css"),
            "js": theme.asset_url("site.js"),
            "favicon": theme.asset_url("favicon.svg"),
        },
        "csrf": csrf.0,
        "staff": staff.map(|s| json!({
            "id": s.member.id,
            "display_name": s.member.display_name,
            "email": s.member.email,
            "role": s.member.role,
        })),
        "menu": staff.map(menu).unwrap_or_default(),
    });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    let html = theme.render(
        template,
        minijinja::Value::from(minijinja::value::Serde(&context)),
    )?;
    let mut response = (status, html).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    Ok(response)
}

/// The newsroom's sections this staff member may open, for the dashboard and the header.
fn menu(staff: &CurrentStaff) -> Vec<Value> {
    [
        ("Dashboard", "/newsroom", Action::UseNewsroom),
        ("Articles", "/newsroom/articles", Action::CreateDraft),
        ("Images", "/newsroom/images", Action::UploadImages),
        ("Comments", "/newsroom/comments", Action::ModerateComments),
        ("Authors", "/newsroom/authors", Action::UseNewsroom),
        ("Tips", "/newsroom/tips", Action::TriageTips),
        ("Pages", "/newsroom/pages", Action::ManagePages),
        ("Sections", "/newsroom/sections", Action::ManageSections),
        ("Narration", "/newsroom/narration", Action::ManageNarration),
        ("Settings", "/newsroom/settings", Action::ManageSettings),
        ("Users", "/newsroom/users", Action::ManageUsers),
        ("API tokens", "/newsroom/tokens", Action::ManageApiTokens),
        ("Audit log", "/newsroom/audit", Action::ViewAuditLog),
        (
            "Change password",
            "/newsroom/password",
            Action::ChangeOwnPassword,
        ),
    ]
    .into_iter()
    .filter(|(_, _, action)| staff.may(*action, false))
    .map(|(name, url, _)| json!({ "name": name, "url": url }))
    .collect()
}

/// Headers every newsroom answer carries (pages and the Admin API alike).
fn private_headers(headers: &mut HeaderMap) {
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE_NO_STORE));
    headers.insert(X_ROBOTS_TAG, HeaderValue::from_static("noindex, nofollow"));
    headers.insert(
        http::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(NEWSROOM_CSP),
    );
    headers.insert(
        http::header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
}

async fn private_answers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    private_headers(response.headers_mut());
    response
}

/// Requests that change something.
pub(crate) fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The biggest form body read whole to find its token (article bodies fit with room to spare).
const MAX_FORM_BYTES: usize = 2 * 1024 * 1024;
/// How much of a multipart body is read to find the token in its first part.
const MULTIPART_PEEK_BYTES: usize = 8 * 1024;

/// Middleware for every `/newsroom` route: session, CSRF, private headers, refusal pages.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let session = match session::load(&state, &parts.headers).await {
        Ok(session) => session,
        Err(error) => return error.into_response(),
    };
    let (csrf, new_csrf_cookie) = match session::form_token(&state, &parts.headers, &session) {
        Ok(pair) => pair,
        Err(error) => return WebError::from(error).into_response(),
    };
    let body = if is_unsafe(&parts.method) {
        if let Err(message) = check_origin(&state, &parts.headers) {
            return finish(&state, &session, &csrf, forbidden(message)).await;
        }
        match check_form_token(&parts.headers, body, &csrf.0).await {
            Ok(body) => body,
            Err(message) => return finish(&state, &session, &csrf, forbidden(message)).await,
        }
    } else {
        body
    };
    if let Some(current) = &session {
        parts.extensions.insert(current.clone());
    }
    parts.extensions.insert(csrf.clone());
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(cookie) = new_csrf_cookie {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    finish(&state, &session, &csrf, response).await
}

fn forbidden(message: String) -> Response {
    WebError::Forbidden(message).into_response()
}

/// Writes a failure as the newsroom answers it: a refusal (403) as the themed page that says
/// why, with the header and menu of every newsroom page; anything else as the site does.
async fn finish(
    state: &AppState,
    session: &Option<CurrentStaff>,
    csrf: &Csrf,
    response: Response,
) -> Response {
    let refusal = crate::error::Failure::of(&response).and_then(|failure| {
        let answer = failure.answer(Door::Newsroom);
        (answer.status == StatusCode::FORBIDDEN).then(|| answer.message.into_owned())
    });
    let mut response = match refusal {
        Some(message) => {
            let headers = response.headers().clone();
            let page = render(
                state,
                session.as_ref(),
                csrf,
                "newsroom/forbidden.html",
                StatusCode::FORBIDDEN,
                json!({ "message": message }),
            )
            .await;
            let mut page = page.unwrap_or_else(IntoResponse::into_response);
            for (name, value) in &headers {
                if name == SET_COOKIE {
                    page.headers_mut().append(name, value.clone());
                }
            }
            page
        }
        None => response,
    };
    private_headers(response.headers_mut());
    response
}

/// The origin a form must come from: the configured public URL's, or the one the browser
/// addressed (the `Host` it sent), which a page on another site cannot choose.
pub(crate) fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), String> {
    let base = origin_of(&state.config().base_url);
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    let allowed = |origin: &str| {
        Some(origin) == base.as_deref()
            || host.is_some_and(|host| {
                origin == format!("http://{host}") || origin == format!("https://{host}")
            })
    };
    let sent = headers
        .get(ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|origin| *origin != "null")
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get(REFERER)
                .and_then(|v| v.to_str().ok())
                .and_then(origin_of)
        });
    match sent {
        Some(origin) if allowed(&origin) => Ok(()),
        Some(origin) => Err(format!(
            "This form was sent from {origin}, which is not this site. If you followed a \
             link from elsewhere, open this site directly and try again."
        )),
        None => Err(
            "Your browser did not say where this form came from, so it was not accepted. \
             Reload the page and try again."
                .to_owned(),
        ),
    }
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

const TOKEN_MISSING: &str = "This form has expired or did not come from this site. \
     Go back, reload the page and send it again.";

/// Finds the synchronizer token (an `X-CSRF-Token` header, the `csrf` field of a form, or the
/// first part of a multipart body) and compares it with the expected one; gives the body back
/// intact.
pub(crate) async fn check_form_token(
    headers: &HeaderMap,
    body: Body,
    expected: &str,
) -> Result<Body, String> {
    if let Some(sent) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if secrets::same_secret(sent, expected) {
            Ok(body)
        } else {
            Err(TOKEN_MISSING.to_owned())
        };
    }
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| "This form is too large to send.".to_owned())?;
        let sent = form_urlencoded_field(&bytes, "csrf");
        return match sent {
            Some(sent) if secrets::same_secret(&sent, expected) => Ok(Body::from(bytes)),
            _ => Err(TOKEN_MISSING.to_owned()),
        };
    }
    if content_type.starts_with("multipart/form-data") {
        let (prefix, rest) = peek(body, MULTIPART_PEEK_BYTES).await?;
        return match first_multipart_field(&prefix, "csrf") {
            Some(sent) if secrets::same_secret(&sent, expected) => {
                let prefix = futures_util::stream::once(async move {
                    Ok::<_, axum::Error>(bytes::Bytes::from(prefix))
                });
                use futures_util::StreamExt;
                Ok(Body::from_stream(prefix.chain(rest.into_data_stream())))
            }
            _ => Err(TOKEN_MISSING.to_owned()),
        };
    }
    Err(TOKEN_MISSING.to_owned())
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let text = std::str::from_utf8(pair).ok()?;
        let (key, value) = text.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// Reads at least `limit` bytes of `body` (or all of it), returning them and the rest.
async fn peek(body: Body, limit: usize) -> Result<(Vec<u8>, Body), String> {
    use http_body_util_lite::next_frame;
    let mut body = body;
    let mut prefix = Vec::new();
    while prefix.len() < limit {
        match next_frame(&mut body).await {
            Some(Ok(bytes)) => prefix.extend_from_slice(&bytes),
            Some(Err(_)) => return Err("The upload was interrupted.".to_owned()),
            None => break,
        }
    }
    Ok((prefix, body))
}

/// The first part of a multipart body, if it is the field `name` (RFC 7578).
fn first_multipart_field(prefix: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(prefix);
    let first_line_end = text.find("\r\n")?;
    let boundary = &text[..first_line_end];
    let part = &text[first_line_end + 2..];
    let (part_headers, rest) = part.split_once("\r\n\r\n")?;
    let disposition = format!("name=\"{name}\"");
    if !part_headers
        .to_ascii_lowercase()
        .contains("content-disposition")
        || !part_headers.contains(&disposition)
    {
        return None;
    }
    let value = rest.split(&format!("\r\n{boundary}")).next()?;
    Some(value.to_owned())
}

/// Reading one data frame of an axum body without another dependency.
mod http_body_util_lite {
    use axum::body::Body;
    use futures_util::StreamExt;

    pub async fn next_frame(body: &mut Body) -> Option<Result<bytes::Bytes, axum::Error>> {
        let taken = std::mem::take(body);
        let mut stream = taken.into_data_stream();
        let next = stream.next().await;
        *body = Body::from_stream(stream);
        next
    }
}

/// Cookie attributes: `Secure` (and the `__Host-` prefix, RFC 6265bis §4.1.3.2) when the site is
/// served over HTTPS.
fn cookie_name(state: &AppState, name: &str) -> String {
    if secure(state) {
        format!("__Host-{name}")
    } else {
        name.to_owned()
    }
}

fn secure(state: &AppState) -> bool {
    state.config().base_url.starts_with("https://")
}

pub(crate) fn cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> HeaderValue {
    let mut text = format!(
        "{}={value}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(state, name)
    );
    if let Some(seconds) = max_age {
        text.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure(state) {
        text.push_str("; Secure");
    }
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub(crate) fn read_cookie(state: &AppState, headers: &HeaderMap, name: &str) -> Option<String> {
    let name = cookie_name(state, name);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_and_form_fields() {
        assert_eq!(
            origin_of("https://news.example/newsroom/login?x=1").as_deref(),
            Some("https://news.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("nonsense"), None);
        assert_eq!(
            form_urlencoded_field(b"email=a%40b.org&csrf=abc+d", "csrf").as_deref(),
            Some("abc d")
        );
        assert_eq!(form_urlencoded_field(b"email=a", "csrf"), None);
        let multipart =
            b"--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ntok123\r\n--XyZ\r\n";
        assert_eq!(
            first_multipart_field(multipart, "csrf").as_deref(),
            Some("tok123")
        );
        let other = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n--XyZ--";
        assert_eq!(first_multipart_field(other, "csrf"), None);
    }
}
