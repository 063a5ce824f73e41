//! Reader accounts: sign up, verify, sign in (password or emailed link), sign out, profile,
//! download my data, delete my account; and what every reader page shares — the reader's session
//! cookie, the form token, the per-address and per-reader limits.
//!
//! Readers are not staff: their sessions live in their own table and cookie, so a reader session
//! can never open the newsroom. The form token is the newsroom's synchronizer-token pattern
//! (`newsroom::check_origin`, `newsroom::check_form_token`), bound to the reader's session, or
//! for visitors not signed in to a double-submit cookie.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::Form;
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::comments::{COMMENT_RATE, PostAllowance};
use dateline_core::redirect::local_path;
use dateline_db::{DbError, Reader, ReaderLinkPurpose, SessionLimits, SignInSide};
use dateline_usecases::UseCaseError;
use dateline_usecases::readers::{self, ReaderDraft, SignedUp};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE, SET_COOKIE};
use http::request::Parts;
use http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Value, json};

use super::pages::{Frame, absolute};
use crate::error::field_errors;
use crate::newsroom::sign_in::{AddressLimit, Attempt, Refusal, SignInLimits};
use crate::newsroom::{
    PRIVATE_NO_STORE, check_form_token, check_origin, client_address, cookie, is_unsafe,
    read_cookie, secrets,
};
use crate::views::PageMeta;
use crate::{AppState, WebError};

const SESSION_COOKIE: &str = "dateline_reader";
const ANONYMOUS_FORM_COOKIE: &str = "dateline_reader_form";

/// Readers stay signed in for a month, or a week without a visit.
pub const READER_SESSION_LIMITS: SessionLimits = SessionLimits {
    lifetime: SignedDuration::from_hours(24 * 30),
    idle_timeout: SignedDuration::from_hours(24 * 7),
};
const TOUCH_EVERY: SignedDuration = SignedDuration::from_mins(10);

/// Accounts one address may create, and emailed links it may ask for: a burst enough for a
/// household or an office behind one address, then a trickle (5 and 10 an hour) too slow for a
/// script.
const SIGN_UPS_PER_ADDRESS: u32 = 5;
const SIGN_UP_EVERY: Duration = Duration::from_secs(12 * 60);
const LINKS_PER_ADDRESS: u32 = 10;
const LINK_EVERY: Duration = Duration::from_secs(6 * 60);

/// The comment allowance counted across nodes: what one node's allowance lets through in a
/// minute (the burst, then one every `COMMENT_RATE.every`), for all nodes together.
const COMMENT_WINDOW: SignedDuration = SignedDuration::from_mins(1);
const COMMENTS_PER_WINDOW: i64 = COMMENT_RATE.burst as i64 + 60 / COMMENT_RATE.every.as_secs();

const X_ROBOTS_TAG: HeaderName = HeaderName::from_static("x-robots-tag");

/// An email to a reader.
#[derive(Debug, Clone)]
pub struct ReaderMessage {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Where reader emails go: SMTP when the operator configured it, otherwise the log.
pub trait ReaderMail: Send + Sync {
    fn send<'a>(
        &'a self,
        message: ReaderMessage,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// Without SMTP, the operator reads the message (and its one-time link) in the log and passes it
/// on. Only links are ever in these messages, never a password.
pub struct LogMail;

impl ReaderMail for LogMail {
    fn send<'a>(
        &'a self,
        message: ReaderMessage,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            tracing::info!(
                to = %message.to,
                subject = %message.subject,
                text = %message.text,
                "reader email (no SMTP server configured: pass this on to the reader)"
            );
            Ok(())
        })
    }
}

/// Per-node memory of the reader side: posting allowances and per-address limits. Addresses
/// are personal data, so they are kept in memory only, and only for the window they count in.
pub(crate) struct ReaderState {
    allowances: Mutex<HashMap<i64, Allowance>>,
    /// Which reader a session cookie belongs to, as this node last found it in the database:
    /// the listener's fast path for the comment allowance (`discussion::allowance_on_listener`),
    /// which must not wait for the database to know whose allowance a post takes.
    known_sessions: Mutex<HashMap<String, KnownSession>>,
    sign_ups: AddressLimit,
    links: AddressLimit,
    mail: OnceLock<Arc<dyn ReaderMail>>,
    sign_in: SignInLimits,
}

/// A reader's comment allowance on this node.
struct Allowance {
    /// This node's token bucket, exact.
    here: PostAllowance,
    /// Until when the count across nodes (in the database) is known to be spent: once one post
    /// found it so, the others of that window are refused without asking again.
    spent_everywhere_until: Option<Timestamp>,
}

impl Allowance {
    fn forgettable(&self, now: Timestamp) -> bool {
        self.here.is_full(COMMENT_RATE, now)
            && self.spent_everywhere_until.is_none_or(|until| until <= now)
    }
}

struct KnownSession {
    reader_id: i64,
    /// Forgotten after this, so a session ended on another node stops being recognised here.
    until: Timestamp,
}

/// Entries each of the maps above holds at most; past it, what can be forgotten without changing
/// an answer is.
const REMEMBERED_READERS: usize = 100_000;

impl ReaderState {
    pub(crate) fn new() -> Self {
        Self {
            allowances: Mutex::new(HashMap::new()),
            known_sessions: Mutex::new(HashMap::new()),
            sign_ups: AddressLimit::new(SIGN_UPS_PER_ADDRESS, SIGN_UP_EVERY),
            links: AddressLimit::new(LINKS_PER_ADDRESS, LINK_EVERY),
            mail: OnceLock::new(),
            sign_in: SignInLimits::new(SignInSide::Reader),
        }
    }

    /// The readers' door's sign-in limits, apart from the newsroom's: readers failing to sign
    /// in never lock staff out.
    pub(crate) fn sign_in(&self) -> &SignInLimits {
        &self.sign_in
    }

    pub(crate) fn set_mail(&self, mail: Arc<dyn ReaderMail>) {
        if self.mail.set(mail).is_err() {
            tracing::warn!("reader email is already configured; keeping the first");
        }
    }

    fn mail(&self) -> Arc<dyn ReaderMail> {
        self.mail.get_or_init(|| Arc::new(LogMail)).clone()
    }

    /// Remembers that the session with cookie digest `digest` is reader `reader_id`'s.
    fn learn_session(&self, digest: String, reader_id: i64, now: Timestamp) {
        let Ok(mut sessions) = self.known_sessions.lock() else {
            return;
        };
        if sessions.len() >= REMEMBERED_READERS {
            sessions.retain(|_, session| session.until > now);
            if sessions.len() >= REMEMBERED_READERS {
                sessions.clear();
            }
        }
        sessions.insert(
            digest,
            KnownSession {
                reader_id,
                until: now + TOUCH_EVERY,
            },
        );
    }

    fn forget_session(&self, digest: &str) {
        if let Ok(mut sessions) = self.known_sessions.lock() {
            sessions.remove(digest);
        }
    }

    pub(crate) fn forget_reader(&self, reader_id: i64) {
        if let Ok(mut sessions) = self.known_sessions.lock() {
            sessions.retain(|_, session| session.reader_id != reader_id);
        }
    }

    /// The reader whose session cookie `headers` carry, if this node has seen that session in
    /// the database lately. Never asks the database: a session not known here is `None`.
    pub(crate) fn known_reader(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        now: Timestamp,
    ) -> Option<i64> {
        let token = read_cookie(state, headers, SESSION_COOKIE)?;
        let sessions = self.known_sessions.lock().ok()?;
        sessions
            .get(&secrets::token_digest(&token))
            .filter(|session| session.until > now)
            .map(|session| session.reader_id)
    }

    /// Takes one post from the reader's allowance as this node knows it, without the database:
    /// the one place the allowance is decided in memory, on the listener as in the handler.
    /// `Err` is how long to wait.
    pub(crate) fn take_post_here(
        &self,
        reader_id: i64,
        now: Timestamp,
    ) -> Result<(), SignedDuration> {
        let Ok(mut allowances) = self.allowances.lock() else {
            return Ok(());
        };
        if allowances.len() > REMEMBERED_READERS {
            // A full allowance is what a forgotten reader starts with: forgetting them is exact.
            allowances.retain(|_, allowance| !allowance.forgettable(now));
        }
        let allowance = allowances.entry(reader_id).or_insert_with(|| Allowance {
            here: PostAllowance::full(COMMENT_RATE, now),
            spent_everywhere_until: None,
        });
        if let Some(until) = allowance
            .spent_everywhere_until
            .filter(|until| *until > now)
        {
            return Err(until.duration_since(now));
        }
        allowance.here.take(COMMENT_RATE, now)
    }

    /// Returns a post [`Self::take_post_here`] took for an attempt refused before it was posted.
    pub(crate) fn give_back_post(&self, reader_id: i64, now: Timestamp) {
        if let Ok(mut allowances) = self.allowances.lock()
            && let Some(allowance) = allowances.get_mut(&reader_id)
        {
            allowance.here.give_back(COMMENT_RATE, now);
        }
    }

    /// Takes one post from the reader's allowance; `Ok(Err(_))` is how long to wait. This
    /// node's allowance (the exact token bucket) refuses first, without a database round trip
    /// (on the listener already, when it knew the reader: `taken_on_listener`); then the
    /// reader's posts on every node this minute are counted in the database, so spreading posts
    /// over several nodes gains nothing.
    pub(crate) async fn take_post(
        &self,
        store: &dateline_db::Store,
        reader_id: i64,
        taken_on_listener: Option<&super::discussion::ListenerAllowance>,
        now: Timestamp,
    ) -> Result<Result<(), SignedDuration>, WebError> {
        let here = match taken_on_listener.and_then(|taken| taken.decided_for(reader_id)) {
            Some(decided) => decided,
            None => self.take_post_here(reader_id, now),
        };
        if let Err(wait) = here {
            return Ok(Err(wait));
        }
        let key = format!("comments.posts:reader:{reader_id}");
        let posts = store.limits().hit(&key, COMMENT_WINDOW, now).await?;
        if posts > COMMENTS_PER_WINDOW {
            let window_ends = dateline_db::window_start(now, COMMENT_WINDOW)
                + i64::try_from(COMMENT_WINDOW.as_micros()).unwrap_or(i64::MAX);
            let until = Timestamp::from_microsecond(window_ends).unwrap_or(now);
            if let Ok(mut allowances) = self.allowances.lock()
                && let Some(allowance) = allowances.get_mut(&reader_id)
            {
                allowance.spent_everywhere_until = Some(until);
            }
            return Ok(Err(until.duration_since(now)));
        }
        Ok(Ok(()))
    }
}

/// The signed-in reader, when there is one.
#[derive(Debug, Clone)]
pub struct CurrentReader {
    pub reader: Reader,
    csrf_token: String,
}

/// The form token of this request's forms.
#[derive(Debug, Clone)]
pub struct ReaderCsrf(pub String);

impl FromRequestParts<AppState> for ReaderCsrf {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, WebError> {
        parts
            .extensions
            .get::<ReaderCsrf>()
            .cloned()
            .ok_or_else(|| WebError::Internal("reader page without the reader guard".to_owned()))
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for CurrentReader {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<CurrentReader>().cloned())
    }
}

/// Middleware for every reader route: session, form token (checked with the origin on every
/// request that changes something), and private, unindexed answers.
pub(crate) async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let session = match load(&state, &parts.headers).await {
        Ok(session) => session,
        Err(error) => return error.into_response(),
    };
    let mut new_form_cookie = None;
    // The live comment count's event stream shows no form: reading an article must not leave a
    // cookie behind (the tip pages promise none).
    let may_set_form_cookie = !parts.uri.path().ends_with("/events");
    let csrf = match &session {
        Some(current) => current.csrf_token.clone(),
        None => match read_cookie(&state, &parts.headers, ANONYMOUS_FORM_COOKIE)
            .filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            Some(token) => token,
            None => match secrets::new_token() {
                Ok(token) => {
                    if may_set_form_cookie {
                        new_form_cookie = Some(cookie(&state, ANONYMOUS_FORM_COOKIE, &token, None));
                    }
                    token
                }
                Err(error) => return WebError::Internal(error.to_string()).into_response(),
            },
        },
    };
    let body = if is_unsafe(&parts.method) {
        let checked = match check_origin(&state, &parts.headers) {
            Ok(()) => check_form_token(&parts.headers, body, &csrf).await,
            Err(message) => Err(message),
        };
        match checked {
            Ok(body) => body,
            Err(message) => {
                let page =
                    message_page(&state, "Form not accepted", &message, StatusCode::FORBIDDEN)
                        .await;
                return private(page.unwrap_or_else(IntoResponse::into_response));
            }
        }
    } else {
        body
    };
    if let Some(current) = session {
        parts.extensions.insert(current);
    }
    parts.extensions.insert(ReaderCsrf(csrf));
    let mut response = next.run(Request::from_parts(parts, body)).await;
    if let Some(cookie) = new_form_cookie {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    private(response)
}

pub(crate) fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(PRIVATE_NO_STORE));
    headers.insert(X_ROBOTS_TAG, HeaderValue::from_static("noindex, nofollow"));
    response
}

async fn load(state: &AppState, headers: &HeaderMap) -> Result<Option<CurrentReader>, WebError> {
    let Some(token) = read_cookie(state, headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = Timestamp::now();
    let digest = secrets::token_digest(&token);
    let Some(session) = state
        .store()
        .sessions()
        .reader_session(&digest, READER_SESSION_LIMITS, now)
        .await?
    else {
        state.readers().forget_session(&digest);
        return Ok(None);
    };
    // Only a reader who may post is remembered for the listener's allowance: a banned or
    // suspended one must reach the handler, to be told their standing rather than a rate.
    if dateline_usecases::comments::may_post(&session.reader, now).is_ok() {
        state
            .readers()
            .learn_session(digest, session.reader.id, now);
    } else {
        state.readers().forget_session(&digest);
    }
    if now.duration_since(session.expires_at - READER_SESSION_LIMITS.lifetime) > TOUCH_EVERY {
        readers::touch_session(state.ctx(), session.id, now).await?;
    }
    Ok(Some(CurrentReader {
        reader: session.reader,
        csrf_token: session.csrf_token,
    }))
}

/// Starts a session: a new token in the cookie, its digest in the database; clears the
/// anonymous form cookie.
async fn start_session(state: &AppState, reader: &Reader, to: &str) -> Result<Response, WebError> {
    let token = secrets::new_token().map_err(|e| WebError::Internal(e.to_string()))?;
    let csrf = secrets::new_token().map_err(|e| WebError::Internal(e.to_string()))?;
    readers::start_session(
        state.ctx(),
        reader,
        &secrets::token_digest(&token),
        &csrf,
        READER_SESSION_LIMITS,
        Timestamp::now(),
    )
    .await?;
    let mut response = Redirect::to(safe_next(to)).into_response();
    let headers = response.headers_mut();
    headers.append(
        SET_COOKIE,
        cookie(
            state,
            SESSION_COOKIE,
            &token,
            Some(READER_SESSION_LIMITS.lifetime.as_secs()),
        ),
    );
    headers.append(
        SET_COOKIE,
        cookie(state, ANONYMOUS_FORM_COOKIE, "", Some(0)),
    );
    Ok(response)
}

/// Only paths on this site ([`local_path`]), so no form can be used to send readers elsewhere.
pub(crate) fn safe_next(next: &str) -> &str {
    local_path(next).unwrap_or("/readers/account")
}

/// Renders a reader page (never cached: it shows this reader's state).
pub(crate) async fn reader_page(
    state: &AppState,
    template: &str,
    title: &str,
    path: &str,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let frame = Frame::load(state).await?;
    let meta = PageMeta {
        title: title.to_owned(),
        description: String::new(),
        canonical: absolute(state, path),
        robots: Some("noindex, nofollow".to_owned()),
    };
    let context = frame.context(state, None, meta, Vec::new(), None, extra);
    frame.render_uncached(state, template, context, status)
}

async fn message_page(
    state: &AppState,
    title: &str,
    message: &str,
    status: StatusCode,
) -> Result<Response, WebError> {
    reader_page(
        state,
        "readers/message.html",
        title,
        "/readers/account",
        status,
        json!({ "heading": title, "message": message }),
    )
    .await
}

fn reader_json(current: Option<&CurrentReader>) -> Value {
    current.map_or(Value::Null, |current| {
        json!({
            "id": current.reader.id,
            "display_name": current.reader.display_name,
            "email": current.reader.email,
            "verified": current.reader.verified_at.is_some(),
        })
    })
}

/// Sends a one-time link; failures go to the log (the page says the same either way, so it
/// reveals nothing about which addresses have accounts).
async fn send_link(
    state: &AppState,
    reader: &Reader,
    purpose: ReaderLinkPurpose,
) -> Result<(), WebError> {
    let token = secrets::new_token().map_err(|e| WebError::Internal(e.to_string()))?;
    let (path, subject, intro) = match purpose {
        ReaderLinkPurpose::Verify => (
            "verify",
            "Confirm your email address",
            "Confirm your email address to start commenting:",
        ),
        ReaderLinkPurpose::SignIn => (
            "magic",
            "Your sign-in link",
            "Follow this link within 20 minutes to sign in:",
        ),
    };
    let issued = readers::issue_link(
        state.ctx(),
        reader,
        purpose,
        &secrets::token_digest(&token),
        Timestamp::now(),
    )
    .await?;
    if !issued {
        return Ok(());
    }
    let settings = state.store().site().settings().await?;
    let link = absolute(state, &format!("/readers/{path}/{token}"));
    let message = ReaderMessage {
        to: reader.email.clone(),
        subject: format!("{subject} – {}", settings.name),
        text: format!(
            "Hello {},\n\n{intro}\n{link}\n\nIf you did not ask for this, ignore this email.\n",
            reader.display_name
        ),
    };
    if let Err(error) = state.readers().mail().send(message).await {
        tracing::warn!(%error, reader = reader.id, "could not send a reader email");
    }
    Ok(())
}

// ----- sign up and verify -----

#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct SignUpForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn sign_up_form(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    if current.is_some() {
        return Ok(Redirect::to(safe_next(&query.next)).into_response());
    }
    reader_page(
        &state,
        "readers/sign_up.html",
        "Create a reader account",
        "/readers/sign-up",
        StatusCode::OK,
        json!({ "csrf": csrf, "next": safe_next(&query.next), "form": { "email": "", "display_name": "" }, "errors": {} }),
    )
    .await
}

pub async fn sign_up(
    State(state): State<AppState>,
    extensions: Extensions,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(form): Form<SignUpForm>,
) -> Result<Response, WebError> {
    let again = |errors: Value, status: StatusCode| {
        reader_page(
            &state,
            "readers/sign_up.html",
            "Create a reader account",
            "/readers/sign-up",
            status,
            json!({
                "csrf": csrf,
                "next": safe_next(&form.next),
                "form": { "email": form.email.trim(), "display_name": form.display_name },
                "errors": errors,
            }),
        )
    };
    if !state.readers().sign_ups.allows(client_address(&extensions)) {
        return again(
            json!({ "form": "Too many accounts were created from your network in the last hour. Try again later." }),
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    let draft = ReaderDraft {
        email: form.email.clone(),
        display_name: form.display_name.clone(),
        password: form.password.clone(),
    };
    let signed_up = readers::sign_up(
        state.ctx(),
        &draft,
        state.readers().sign_in(),
        Timestamp::now(),
    )
    .await;
    // A new account and an address that has one already get the same answer, after the same
    // work (a hash, a write, an email): only the owner of the address, reading their mail,
    // learns which it was.
    match signed_up {
        Ok(SignedUp::New(reader)) => send_link(&state, &reader, ReaderLinkPurpose::Verify).await?,
        Ok(SignedUp::AddressTaken) => send_already_registered(&state, &form.email).await?,
        Err(UseCaseError::Busy) => {
            let page = again(
                json!({ "form": Refusal::Busy.message() }),
                Refusal::Busy.status(),
            )
            .await?;
            return Ok(Refusal::Busy.mark(page));
        }
        Err(error) => {
            let mut errors = field_errors(error, "form")?;
            // This form asks for the password once, as `password`.
            if let Some(problem) = errors.remove("new_password") {
                errors.insert("password".to_owned(), problem);
            }
            return again(Value::Object(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    }
    reader_page(
        &state,
        "readers/message.html",
        "Check your email",
        "/readers/sign-up",
        StatusCode::OK,
        json!({
            "heading": "Check your email",
            "message": format!(
                "We sent a message to {}. Follow the link in it to confirm your address, then sign in to join the discussion.",
                form.email.trim()
            ),
            "sign_in_url": format!("/readers/sign-in?next={}", percent(safe_next(&form.next))),
        }),
    )
    .await
}

/// Someone signed up with an address that has an account: its owner hears so by email, with the
/// way back in, and the person at the form sees nothing different.
async fn send_already_registered(state: &AppState, email: &str) -> Result<(), WebError> {
    let Some(reader) = state.store().people().reader_by_email(email).await? else {
        // The address belongs to a deleted account: nobody to tell.
        return Ok(());
    };
    let settings = state.store().site().settings().await?;
    let message = ReaderMessage {
        to: reader.email.clone(),
        subject: format!("You already have an account – {}", settings.name),
        text: format!(
            "Hello {},\n\nSomeone, perhaps you, tried to create an account with this address, \
             but you already have one. Sign in here, or ask there for a sign-in link if you \
             forgot your password:\n{}\n\nIf it was not you, ignore this email: nothing has \
             changed.\n",
            reader.display_name,
            absolute(state, "/readers/sign-in")
        ),
    };
    if let Err(error) = state.readers().mail().send(message).await {
        tracing::warn!(%error, reader = reader.id, "could not send a reader email");
    }
    Ok(())
}

fn percent(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Following the verification link confirms the address. A link scanner following it first
/// does no harm: confirming is all it does, it signs no one in.
pub async fn verify(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match readers::use_link(
        state.ctx(),
        &secrets::token_digest(&token),
        ReaderLinkPurpose::Verify,
        Timestamp::now(),
    )
    .await
    {
        Ok(_) if current.is_some() => Ok(Redirect::to("/readers/account?verified=1").into_response()),
        Ok(_) => message_page(
            &state,
            "Email address confirmed",
            "Thank you: your address is confirmed. Sign in to join the discussion.",
            StatusCode::OK,
        )
        .await,
        Err(UseCaseError::NotFound) => message_page(
            &state,
            "Link not valid",
            "This link was used already or has expired. Sign in and ask for a new one from your account page.",
            StatusCode::NOT_FOUND,
        )
        .await,
        Err(error) => Err(error.into()),
    }
}

pub async fn resend_verification(
    State(state): State<AppState>,
    extensions: Extensions,
    current: Option<CurrentReader>,
) -> Result<Response, WebError> {
    let Some(current) = current else {
        return Ok(Redirect::to("/readers/sign-in").into_response());
    };
    // The use case sends nothing to a verified address; the limit counts only real requests.
    if current.reader.verified_at.is_none()
        && state.readers().links.allows(client_address(&extensions))
    {
        send_link(&state, &current.reader, ReaderLinkPurpose::Verify).await?;
    }
    Ok(Redirect::to("/readers/account?sent=1").into_response())
}

// ----- sign in and out -----

#[derive(Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct LinkForm {
    #[serde(default)]
    email: String,
}

pub async fn sign_in_form(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Query(query): Query<NextQuery>,
) -> Result<Response, WebError> {
    if current.is_some() {
        return Ok(Redirect::to(safe_next(&query.next)).into_response());
    }
    sign_in_page(
        &state,
        &csrf,
        safe_next(&query.next),
        "",
        None,
        None,
        StatusCode::OK,
    )
    .await
}

async fn sign_in_page(
    state: &AppState,
    csrf: &str,
    next: &str,
    email: &str,
    error: Option<&str>,
    notice: Option<&str>,
    status: StatusCode,
) -> Result<Response, WebError> {
    reader_page(
        state,
        "readers/sign_in.html",
        "Sign in",
        "/readers/sign-in",
        status,
        json!({ "csrf": csrf, "next": next, "email": email, "error": error, "notice": notice }),
    )
    .await
}

pub async fn sign_in(
    State(state): State<AppState>,
    extensions: Extensions,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(form): Form<SignInForm>,
) -> Result<Response, WebError> {
    let limits = state.readers().sign_in();
    let next = safe_next(&form.next).to_owned();
    let store = state.store();
    let find = async {
        let Some(reader) = (match store.people().reader_by_email(&form.email).await {
            Ok(reader) => reader,
            Err(DbError::Invalid(_)) => None,
            Err(error) => return Err(error),
        }) else {
            return Ok(None);
        };
        let hash = store.people().reader_password_hash(reader.id).await?;
        Ok(Some((reader, hash)))
    };
    let attempt = limits
        .attempt(
            store,
            client_address(&extensions),
            &form.email,
            form.password.clone(),
            find,
        )
        .await?;
    let refusal = match attempt {
        Attempt::SignedIn(reader) => return start_session(&state, &reader, &next).await,
        Attempt::Failed => None,
        Attempt::Refused(refusal) => Some(refusal),
    };
    let page = sign_in_page(
        &state,
        &csrf,
        &next,
        form.email.trim(),
        Some(refusal.map_or(
            "That email and password do not match an account.",
            Refusal::message,
        )),
        None,
        refusal.map_or(StatusCode::UNAUTHORIZED, Refusal::status),
    )
    .await?;
    Ok(match refusal {
        Some(refusal) => refusal.mark(page),
        None => page,
    })
}

/// Emails a sign-in link when the address has an account; the answer is the same either way.
pub async fn request_link(
    State(state): State<AppState>,
    extensions: Extensions,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(form): Form<LinkForm>,
) -> Result<Response, WebError> {
    if !state.readers().links.allows(client_address(&extensions)) {
        return sign_in_page(
            &state,
            &csrf,
            "/readers/account",
            form.email.trim(),
            Some("Too many sign-in links were asked for from your network. Try again in an hour."),
            None,
            StatusCode::TOO_MANY_REQUESTS,
        )
        .await;
    }
    if let Ok(Some(reader)) = state.store().people().reader_by_email(&form.email).await {
        send_link(&state, &reader, ReaderLinkPurpose::SignIn).await?;
    }
    sign_in_page(
        &state,
        &csrf,
        "/readers/account",
        form.email.trim(),
        None,
        Some("If that address has an account, a sign-in link is on its way. It works once, for 20 minutes."),
        StatusCode::OK,
    )
    .await
}

/// The emailed sign-in link shows a button rather than signing in on a GET: mail scanners
/// that follow links must not end up with the reader's session.
pub async fn magic_form(
    State(state): State<AppState>,
    ReaderCsrf(csrf): ReaderCsrf,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    reader_page(
        &state,
        "readers/magic.html",
        "Sign in",
        "/readers/sign-in",
        StatusCode::OK,
        json!({ "csrf": csrf, "token": token }),
    )
    .await
}

pub async fn magic_sign_in(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, WebError> {
    match readers::use_link(
        state.ctx(),
        &secrets::token_digest(&token),
        ReaderLinkPurpose::SignIn,
        Timestamp::now(),
    )
    .await
    {
        Ok(reader) => start_session(&state, &reader, "/readers/account").await,
        Err(UseCaseError::NotFound) => message_page(
            &state,
            "Link not valid",
            "This sign-in link was used already or has expired. Ask for a new one on the sign-in page.",
            StatusCode::NOT_FOUND,
        )
        .await,
        Err(error) => Err(error.into()),
    }
}

pub async fn sign_out(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    if let Some(token) = read_cookie(&state, &headers, SESSION_COOKIE) {
        let digest = secrets::token_digest(&token);
        readers::end_session(state.ctx(), &digest, Timestamp::now()).await?;
        state.readers().forget_session(&digest);
    }
    let mut response = Redirect::to("/readers/sign-in").into_response();
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", Some(0)));
    Ok(response)
}

// ----- the account -----

#[derive(Deserialize, Default)]
pub struct AccountQuery {
    #[serde(default)]
    welcome: Option<String>,
    #[serde(default)]
    verified: Option<String>,
    #[serde(default)]
    sent: Option<String>,
    #[serde(default)]
    next: String,
}

#[derive(Deserialize)]
pub struct RenameForm {
    #[serde(default)]
    display_name: String,
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

fn sign_in_first() -> Response {
    Redirect::to("/readers/sign-in?next=/readers/account").into_response()
}

async fn account_page(
    state: &AppState,
    current: &CurrentReader,
    csrf: &str,
    status: StatusCode,
    extra: Value,
) -> Result<Response, WebError> {
    let mut context = json!({
        "csrf": csrf,
        "reader": reader_json(Some(current)),
        "form": { "display_name": current.reader.display_name },
        "errors": {},
    });
    if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
        context.extend(extra);
    }
    reader_page(
        state,
        "readers/account.html",
        "Your account",
        "/readers/account",
        status,
        context,
    )
    .await
}

pub async fn account(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Query(query): Query<AccountQuery>,
) -> Result<Response, WebError> {
    let Some(current) = current else {
        return Ok(sign_in_first());
    };
    let notice = if query.welcome.is_some() {
        Some(
            "Welcome! We sent you a link to confirm your email address; follow it to start commenting.",
        )
    } else if query.verified.is_some() {
        Some("Your email address is confirmed.")
    } else if query.sent.is_some() {
        Some("We sent you a new confirmation link.")
    } else {
        None
    };
    let next = (!query.next.is_empty()).then(|| safe_next(&query.next).to_owned());
    account_page(
        &state,
        &current,
        &csrf,
        StatusCode::OK,
        json!({ "notice": notice, "next": next }),
    )
    .await
}

pub async fn rename(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(form): Form<RenameForm>,
) -> Result<Response, WebError> {
    let Some(current) = current else {
        return Ok(sign_in_first());
    };
    match readers::rename(
        state.ctx(),
        &current.reader,
        &form.display_name,
        Timestamp::now(),
    )
    .await
    {
        Ok(reader) => {
            let current = CurrentReader { reader, ..current };
            account_page(
                &state,
                &current,
                &csrf,
                StatusCode::OK,
                json!({ "notice": "Your display name is changed." }),
            )
            .await
        }
        Err(error) => {
            let errors = field_errors(error, "display_name")?;
            account_page(
                &state,
                &current,
                &csrf,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "form": { "display_name": form.display_name }, "errors": errors }),
            )
            .await
        }
    }
}

/// Everything held about the reader, as a JSON file (GDPR Art. 20, data portability).
pub async fn download_data(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
) -> Result<Response, WebError> {
    let Some(current) = current else {
        return Ok(sign_in_first());
    };
    let export = state
        .store()
        .people()
        .reader_export(current.reader.id)
        .await?;
    let comments: Vec<Value> = export
        .comments
        .iter()
        .map(|comment| {
            json!({
                "id": comment.id,
                "article_id": comment.article_id,
                "parent_id": comment.parent_id,
                "body": comment.body,
                "status": comment.status,
                "created_at": comment.created_at(),
                "edited_at": comment.edited_at(),
            })
        })
        .collect();
    let reports: Vec<Value> = export
        .reports
        .iter()
        .map(|report| {
            json!({
                "comment_id": report.comment_id,
                "reason": report.reason,
                "detail": report.detail,
                "created_at": report.created_at(),
            })
        })
        .collect();
    let account = &export.account;
    let document = json!({
        "account": {
            "email": account.email,
            "display_name": account.display_name,
            "created_at": account.created_at,
            "verified_at": account.verified_at,
            "status": account.status,
        },
        "comments": comments,
        "reports": reports,
    });
    let body =
        serde_json::to_vec_pretty(&document).map_err(|e| WebError::Internal(e.to_string()))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"my-comments.json\""),
    );
    Ok(response)
}

pub async fn delete_account(
    State(state): State<AppState>,
    current: Option<CurrentReader>,
    ReaderCsrf(csrf): ReaderCsrf,
    Form(form): Form<DeleteForm>,
) -> Result<Response, WebError> {
    let Some(current) = current else {
        return Ok(sign_in_first());
    };
    let deleted = readers::delete_account(
        state.ctx(),
        &current.reader,
        form.confirm == "yes",
        Timestamp::now(),
    )
    .await;
    if let Err(error) = deleted {
        let errors = field_errors(error, "confirm")?;
        return account_page(
            &state,
            &current,
            &csrf,
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "errors": errors }),
        )
        .await;
    }
    state.readers().forget_reader(current.reader.id);
    let mut response = message_page(
        &state,
        "Account deleted",
        "Your account is deleted. Your comments now show as deleted; replies to them stay in place.",
        StatusCode::OK,
    )
    .await?;
    response
        .headers_mut()
        .append(SET_COOKIE, cookie(&state, SESSION_COOKIE, "", Some(0)));
    Ok(response)
}

pub(crate) fn reader_view(current: Option<&CurrentReader>) -> Value {
    reader_json(current)
}
