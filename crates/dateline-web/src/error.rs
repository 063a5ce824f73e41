//! The web's one error type, [`WebError`], and the one place it becomes an HTTP answer.
//!
//! [`WebError::answer`] decides, for every variant, the status, the machine code, the message
//! and the fields. The route decides only how that answer is written:
//! - the public site: the message as plain text (handlers render the themed pages they need,
//!   such as the 404, themselves);
//! - the newsroom (`newsroom::guard`): a 403 as the themed refusal page, the rest as the site;
//! - the Admin and Content APIs (`/api/...`, [`api_answers`]): `{"error": {code, message,
//!   fields?, current_version?, current?}}`.
//!
//! `IntoResponse` writes the site's answer and leaves the error in the response's extensions
//! ([`Failure`]), where the newsroom's and the APIs' layers find it to write theirs. A failure
//! on our side is logged there, once, with its causes; the person who asked sees only a short
//! message.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Field, Refusals, Role};
use dateline_db::DbError;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use serde::Serialize;

use crate::newsroom::admin_endpoints::AdminArticle;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    /// Not found, with what to tell an API client (the Content API's "no published article").
    #[error("{0}")]
    NoSuch(&'static str),
    /// The request cannot be read: `code` is stable for API clients, `message` for people.
    #[error("bad request ({code}): {message}")]
    BadRequest { code: &'static str, message: String },
    /// No valid API token (RFC 6750 §3: 401 with `WWW-Authenticate: Bearer`).
    #[error("no valid API token")]
    Unauthorized,
    /// A newsroom page asked for by someone not signed in: to the sign-in page, and back to
    /// `next` afterwards.
    #[error("sign in first, then {next}")]
    SignInFirst { next: String },
    /// Not allowed, with the words that say why.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The permission rules refused this role (`None`: no role at all) the action.
    #[error("{} may not do this", role.map_or("no role", Role::as_str))]
    NotPermitted { role: Option<Role> },
    /// What was sent breaks a domain rule; each refusal names its field, if it has one.
    #[error("{0}")]
    Refused(Refusals),
    /// What was sent does not have the request's shape (a JSON field of the wrong type, a
    /// missing `version`): a message per field, named as the request names them.
    #[error("{message}")]
    Invalid {
        message: String,
        fields: BTreeMap<String, String>,
    },
    /// Not possible in the state things are in (a workflow step from the wrong status).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// Someone saved a newer version first.
    #[error("changed by someone else (now at version {current_version})")]
    Stale { current_version: i64 },
    /// The Admin API's stale `PUT`: the article as it is now, for the client to merge into.
    #[error("changed by someone else (now at version {})", current.version)]
    StaleArticle { current: Box<AdminArticle> },
    #[error("too large: {0}")]
    TooLarge(String),
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// This server runs without a search index.
    #[error("search is not available")]
    SearchUnavailable,
    /// A bound on slow work (password hashing) stayed full: retry shortly.
    #[error("busy")]
    Busy,
    // Failures on our side: a short message for the person, the cause for the log.
    #[error(transparent)]
    Store(DbError),
    #[error(transparent)]
    Media(#[from] dateline_storage::MediaError),
    #[error(transparent)]
    Theme(#[from] crate::theme::ThemeError),
    #[error("template: {0}")]
    Render(#[from] minijinja::Error),
    #[error(transparent)]
    Search(#[from] dateline_search::SearchError),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Secret(#[from] crate::newsroom::secrets::SecretError),
    #[error("{0}")]
    Internal(String),
}

impl WebError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::BadRequest {
            code: "bad_request",
            message: message.into(),
        }
    }

    /// One field of the request is wrong.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::Invalid {
            message: message.clone(),
            fields: BTreeMap::from([(name.to_owned(), message)]),
        }
    }

    /// A use case's refusals with their fields named by `rename` (for a door whose request
    /// names a field otherwise, as the Admin API's schedule does with `local_time`).
    pub fn refused_as(refusals: &Refusals, rename: impl Fn(&'static str) -> &'static str) -> Self {
        match refusal_fields(refusals, rename) {
            Some(fields) => Self::Invalid {
                message: refusals.to_string(),
                fields,
            },
            None => Self::Conflict {
                code: refusals.first().code(),
                message: refusals.to_string(),
            },
        }
    }

    /// A failure on our side rather than the asker's: what [`WebError::answer`] calls internal.
    fn is_ours(&self) -> bool {
        self.answer(Door::Site).status == StatusCode::INTERNAL_SERVER_ERROR
    }

    /// What this error tells whoever asked through `door`: the one mapping of every variant to
    /// its status, code, message and fields. The door changes some words (an API client is told
    /// about its token, a journalist about their role, a reader nothing of either), never the
    /// status, the code or the fields.
    pub(crate) fn answer(&self, door: Door) -> ErrorAnswer<'_> {
        let api = door == Door::Api;
        let answer = |status, code, message: Cow<'static, str>| ErrorAnswer {
            status,
            code,
            message,
            fields: None,
            current_version: None,
            current: None,
            retry_after: None,
            bearer_challenge: false,
            location: None,
        };
        match self {
            Self::NotFound => answer(
                StatusCode::NOT_FOUND,
                "not_found",
                if api {
                    "nothing has this id"
                } else {
                    "Not found"
                }
                .into(),
            ),
            Self::NoSuch(message) => answer(StatusCode::NOT_FOUND, "not_found", (*message).into()),
            Self::BadRequest { code, message } => {
                answer(StatusCode::BAD_REQUEST, code, message.clone().into())
            }
            Self::Unauthorized => ErrorAnswer {
                bearer_challenge: true,
                ..answer(
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "Send a valid API token: Authorization: Bearer <token>.".into(),
                )
            },
            Self::SignInFirst { next } => {
                let next =
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
                ErrorAnswer {
                    location: Some(format!("/newsroom/login?next={next}")),
                    ..answer(
                        StatusCode::SEE_OTHER,
                        "sign_in_first",
                        "Sign in first.".into(),
                    )
                }
            }
            Self::Forbidden(message) => answer(
                StatusCode::FORBIDDEN,
                "forbidden",
                match door {
                    Door::Site => "Not allowed".into(),
                    Door::Newsroom | Door::Api => message.clone().into(),
                },
            ),
            Self::NotPermitted { role } => answer(
                StatusCode::FORBIDDEN,
                "forbidden",
                match door {
                    Door::Site => "Not allowed".into(),
                    Door::Newsroom => format!(
                        "Your role ({}) does not allow this. Ask an editor or an admin if you \
                         need it.",
                        role.map_or("none", Role::as_str)
                    )
                    .into(),
                    // A token acts with a role of its own, at least a contributor's.
                    Door::Api => format!(
                        "A token with the role {} may not do this.",
                        role.unwrap_or(Role::Contributor)
                    )
                    .into(),
                },
            ),
            // A refusal about no field is about the state of what it concerns: a conflict.
            Self::Refused(refusals) => match refusal_fields(refusals, |name| name) {
                Some(fields) => ErrorAnswer {
                    fields: Some(fields),
                    ..answer(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "invalid",
                        refusals.to_string().into(),
                    )
                },
                None => answer(
                    StatusCode::CONFLICT,
                    refusals.first().code(),
                    refusals.to_string().into(),
                ),
            },
            Self::Invalid { message, fields } => ErrorAnswer {
                fields: Some(fields.clone()),
                ..answer(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid",
                    message.clone().into(),
                )
            },
            Self::Conflict { code, message } => {
                answer(StatusCode::CONFLICT, code, message.clone().into())
            }
            Self::Stale { current_version } => answer(
                StatusCode::CONFLICT,
                "conflict",
                if api {
                    format!(
                        "saved by someone else since you read it (now version {current_version})"
                    )
                } else {
                    format!("changed by someone else (now at version {current_version})")
                }
                .into(),
            ),
            Self::StaleArticle { current } => ErrorAnswer {
                current_version: Some(current.version),
                current: Some(current),
                ..answer(
                    StatusCode::CONFLICT,
                    "conflict",
                    format!(
                        "the article was saved by someone else since you read it (it is at \
                         version {}); nothing was written: merge your change into `current` \
                         and send it with that version",
                        current.version
                    )
                    .into(),
                )
            },
            Self::TooLarge(message) => answer(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                message.clone().into(),
            ),
            Self::UnsupportedMediaType => answer(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body with the Content-Type the endpoint documents".into(),
            ),
            Self::SearchUnavailable => answer(
                StatusCode::SERVICE_UNAVAILABLE,
                "search_unavailable",
                "search is not available on this server".into(),
            ),
            // RFC 9110 §15.6.4 and §10.2.3: come back in a few seconds.
            Self::Busy => ErrorAnswer {
                retry_after: Some("5"),
                ..answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "busy",
                    "We are very busy right now. Try again in a moment.".into(),
                )
            },
            Self::Store(_)
            | Self::Media(_)
            | Self::Theme(_)
            | Self::Render(_)
            | Self::Search(_)
            | Self::Task(_)
            | Self::Secret(_)
            | Self::Internal(_) => answer(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                if api {
                    "something went wrong on our side"
                } else {
                    "Something went wrong on our side. Please try again in a moment."
                }
                .into(),
            ),
        }
    }
}

/// Which kind of route answers: it chooses some words of an answer and how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    /// The public site (and anything not below).
    Site,
    /// The newsroom's pages under `/newsroom`.
    Newsroom,
    /// The Admin and Content APIs under `/api`.
    Api,
}

/// An error as decided by [`WebError::answer`]. Serialised, it is the APIs' `error` object;
/// the field order is the documented one (`AdminErrorDetail`).
#[derive(Debug, Serialize)]
pub(crate) struct ErrorAnswer<'a> {
    #[serde(skip)]
    pub status: StatusCode,
    /// Stable and machine-readable.
    pub code: &'static str,
    /// For people.
    pub message: Cow<'static, str>,
    /// A message per field, as the request names its fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<&'a AdminArticle>,
    /// Seconds, for `Retry-After`.
    #[serde(skip)]
    pub retry_after: Option<&'static str>,
    /// Whether to challenge for a bearer token (`WWW-Authenticate`).
    #[serde(skip)]
    pub bearer_challenge: bool,
    /// Where to go instead (a redirect).
    #[serde(skip)]
    pub location: Option<String>,
}

impl ErrorAnswer<'_> {
    /// As the public site and the newsroom write it: the message as plain text.
    fn as_text(&self) -> Response {
        let mut response = match &self.location {
            Some(location) => Redirect::to(location).into_response(),
            None => (self.status, self.message.to_string()).into_response(),
        };
        self.add_headers(&mut response);
        response
    }

    /// As the APIs write it: `{"error": {…}}`.
    fn as_json(&self) -> Response {
        #[derive(Serialize)]
        struct Envelope<'a> {
            error: &'a ErrorAnswer<'a>,
        }
        let mut response = (self.status, axum::Json(Envelope { error: self })).into_response();
        if let Some(location) = self
            .location
            .as_deref()
            .and_then(|l| HeaderValue::from_str(l).ok())
        {
            response
                .headers_mut()
                .insert(http::header::LOCATION, location);
        }
        self.add_headers(&mut response);
        response
    }

    fn add_headers(&self, response: &mut Response) {
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(seconds));
        }
        if self.bearer_challenge {
            headers.insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dateline-admin\""),
            );
        }
    }
}

/// The error behind a response, for the layer of its route to write it as that route answers.
#[derive(Clone)]
pub(crate) struct Failure(Arc<WebError>);

impl Failure {
    pub(crate) fn of(response: &Response) -> Option<Self> {
        response.extensions().get::<Self>().cloned()
    }

    pub(crate) fn answer(&self, door: Door) -> ErrorAnswer<'_> {
        self.0.answer(door)
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if self.is_ours() {
            // The one place a failed request is logged, with every cause under it (a
            // database error's driver message, an I/O error's errno).
            tracing::error!(error = %with_causes(&self), "request failed");
        }
        let mut response = self.answer(Door::Site).as_text();
        response.extensions_mut().insert(Failure(Arc::new(self)));
        response
    }
}

/// The APIs' layer: a failure answers in the API's JSON shape.
pub(crate) async fn api_answers(request: Request, next: Next) -> Response {
    in_api_shape(next.run(request).await)
}

/// `response`, or if it is a failure, the same failure as the APIs write it (the headers other
/// layers set on it kept).
pub(crate) fn in_api_shape(response: Response) -> Response {
    let Some(failure) = Failure::of(&response) else {
        return response;
    };
    let (parts, _) = response.into_parts();
    let mut json = failure.answer(Door::Api).as_json();
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH && !json.headers().contains_key(name) {
            json.headers_mut().append(name, value.clone());
        }
    }
    json.extensions_mut().extend(parts.extensions);
    json
}

impl From<dateline_search::follower::FollowError> for WebError {
    fn from(error: dateline_search::follower::FollowError) -> Self {
        use dateline_search::follower::FollowError;
        match error {
            FollowError::Store(error) => error.into(),
            FollowError::Index(error) => Self::Search(error),
            FollowError::Task(error) => Self::Task(error),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<DbError> for WebError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => Self::NotFound,
            DbError::Conflict { current_version } => Self::Stale { current_version },
            DbError::Refused(refusals) => Self::Refused(refusals),
            DbError::Workflow(refusal) => Self::Refused(refusal.into()),
            DbError::Comment(refusal) => Self::Refused(refusal.into()),
            // A rule the store checks itself: its words are for people.
            DbError::Invalid(message) => Self::Invalid {
                message,
                fields: BTreeMap::new(),
            },
            DbError::Duplicate(what) if what.contains("slug") => {
                Self::field("slug", "another article in this section has this slug")
            }
            DbError::Duplicate(what) => Self::Invalid {
                message: format!("{what} is already taken"),
                fields: BTreeMap::new(),
            },
            other => Self::Store(other),
        }
    }
}

impl From<Refusals> for WebError {
    fn from(refusals: Refusals) -> Self {
        Self::Refused(refusals)
    }
}

impl From<dateline_usecases::UseCaseError> for WebError {
    fn from(error: dateline_usecases::UseCaseError) -> Self {
        use dateline_usecases::UseCaseError as E;
        match error {
            E::Refused(refusals) => Self::Refused(refusals),
            E::NotFound => Self::NotFound,
            E::Conflict { current_version } => Self::Stale { current_version },
            E::Store(error) => error.into(),
            E::Media(error) => Self::Media(error),
            E::NotPermitted { role, .. } => Self::NotPermitted { role },
            E::Crypto(error) => Self::Internal(error),
            E::Busy => Self::Busy,
            E::Failed(cause) => Self::Internal(cause),
        }
    }
}

/// The refusals' messages by field as the request names the fields (`rename` adjusting a
/// name), or `None` when no refusal concerns a field. A message about no field is left out
/// here: it is in the answer's message.
fn refusal_fields(
    refusals: &Refusals,
    rename: impl Fn(&'static str) -> &'static str,
) -> Option<BTreeMap<String, String>> {
    if refusals.iter().all(|refusal| refusal.field().is_none()) {
        return None;
    }
    Some(
        refusals
            .by_field()
            .into_iter()
            .filter_map(|(field, message)| {
                Some((rename(request_field(field?)).to_owned(), message))
            })
            .collect(),
    )
}

/// The name the newsroom's forms and the Admin API's JSON give a field the use cases refused.
fn request_field(field: Field) -> &'static str {
    match field {
        Field::NoteKind => "kind",
        Field::NoteText => "text",
        other => other.as_str(),
    }
}

/// A use case's refusals beside the form fields they concern, as a form shows them (a message
/// about the whole form goes under `whole_form`); any other error goes back to the handler.
pub(crate) fn field_errors(
    error: dateline_usecases::UseCaseError,
    whole_form: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, dateline_usecases::UseCaseError> {
    match error {
        dateline_usecases::UseCaseError::Refused(refusals) => Ok(refusals
            .by_field()
            .into_iter()
            .map(|(field, message)| {
                (
                    field
                        .map_or(whole_form, dateline_core::Field::as_str)
                        .to_owned(),
                    serde_json::Value::from(message),
                )
            })
            .collect()),
        other => Err(other),
    }
}

/// `error: its cause: its cause's cause…`, skipping a cause whose words the error already
/// shows (`#[error(transparent)]` and `{0}` repeat them).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use dateline_core::ArticleStatus;
    use dateline_core::refusal::{ArticleRefusal, NoteRefusal};
    use dateline_core::workflow::WorkflowError;

    use super::*;
    use crate::newsroom::admin_endpoints::{
        AdminApiError, AdminAuthor, AdminErrorDetail, AdminSection,
    };

    const DOORS: [Door; 3] = [Door::Site, Door::Newsroom, Door::Api];

    fn article(version: i64) -> AdminArticle {
        AdminArticle {
            id: 7,
            status: "draft".to_owned(),
            version,
            section: AdminSection {
                id: 1,
                slug: "politics".to_owned(),
                name: "Politics".to_owned(),
            },
            slug: "budget-vote".to_owned(),
            headline: "Budget vote".to_owned(),
            standfirst: String::new(),
            body: "Text.".to_owned(),
            dateline_place: None,
            hero_image_id: None,
            authors: vec![AdminAuthor {
                id: 2,
                slug: "ana".to_owned(),
                name: "Ana".to_owned(),
            }],
            tags: vec!["budget".to_owned()],
            language: "en".to_owned(),
            comments_open: true,
            scheduled_for: None,
            first_published_at: None,
            updated_at: "2026-03-08T12:00:00Z".to_owned(),
            url: "https://news.example/politics/budget-vote".to_owned(),
            notice: None,
        }
    }

    fn headline_too_long() -> Refusals {
        Refusals::from_list(vec![
            ArticleRefusal::HeadlineTooLong { max: 200 }.into(),
            NoteRefusal::TextMissing.into(),
            ArticleRefusal::NewArticleStatus {
                status: ArticleStatus::Published,
            }
            .into(),
        ])
        .expect("refusals")
    }

    async fn body(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    #[test]
    fn every_variant_has_one_status_and_code_whatever_the_door() {
        use StatusCode as S;
        let table: Vec<(WebError, StatusCode, &str)> = vec![
            (WebError::NotFound, S::NOT_FOUND, "not_found"),
            (
                WebError::NoSuch("no such endpoint"),
                S::NOT_FOUND,
                "not_found",
            ),
            (WebError::bad_request("no"), S::BAD_REQUEST, "bad_request"),
            (
                WebError::BadRequest {
                    code: "invalid_id",
                    message: "the id must be an integer".to_owned(),
                },
                S::BAD_REQUEST,
                "invalid_id",
            ),
            (WebError::Unauthorized, S::UNAUTHORIZED, "unauthorized"),
            (
                WebError::SignInFirst {
                    next: "/newsroom".to_owned(),
                },
                S::SEE_OTHER,
                "sign_in_first",
            ),
            (
                WebError::Forbidden("not from here".to_owned()),
                S::FORBIDDEN,
                "forbidden",
            ),
            (
                WebError::NotPermitted {
                    role: Some(Role::Author),
                },
                S::FORBIDDEN,
                "forbidden",
            ),
            (
                WebError::Refused(headline_too_long()),
                S::UNPROCESSABLE_ENTITY,
                "invalid",
            ),
            (
                WebError::field("version", "required"),
                S::UNPROCESSABLE_ENTITY,
                "invalid",
            ),
            // A refusal about no field is about the state: 409 with the refusal's own code.
            (
                WebError::Refused(Refusals::from(WorkflowError::Illegal {
                    from: ArticleStatus::Draft,
                    to: ArticleStatus::Unpublished,
                })),
                S::CONFLICT,
                "illegal_transition",
            ),
            (
                WebError::Refused(NoteRefusal::NotPublished.into()),
                S::CONFLICT,
                "not_published",
            ),
            (
                WebError::Conflict {
                    code: "embargoed",
                    message: "wait".to_owned(),
                },
                S::CONFLICT,
                "embargoed",
            ),
            (
                WebError::Stale { current_version: 4 },
                S::CONFLICT,
                "conflict",
            ),
            (
                WebError::StaleArticle {
                    current: Box::new(article(4)),
                },
                S::CONFLICT,
                "conflict",
            ),
            (
                WebError::TooLarge("over 2 MB".to_owned()),
                S::PAYLOAD_TOO_LARGE,
                "too_large",
            ),
            (
                WebError::UnsupportedMediaType,
                S::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                WebError::SearchUnavailable,
                S::SERVICE_UNAVAILABLE,
                "search_unavailable",
            ),
            (WebError::Busy, S::SERVICE_UNAVAILABLE, "busy"),
            (
                WebError::Internal("disk full".to_owned()),
                S::INTERNAL_SERVER_ERROR,
                "internal",
            ),
            (
                WebError::Store(DbError::Archive("broken".to_owned())),
                S::INTERNAL_SERVER_ERROR,
                "internal",
            ),
            (
                WebError::Media(dateline_storage::MediaError::Storage("gone".to_owned())),
                S::INTERNAL_SERVER_ERROR,
                "internal",
            ),
            (
                WebError::Render(minijinja::Error::new(
                    minijinja::ErrorKind::UndefinedError,
                    "x",
                )),
                S::INTERNAL_SERVER_ERROR,
                "internal",
            ),
            (
                WebError::Secret(crate::newsroom::secrets::SecretError::Random(
                    "no entropy".to_owned(),
                )),
                S::INTERNAL_SERVER_ERROR,
                "internal",
            ),
        ];
        for (error, status, code) in &table {
            for door in DOORS {
                let answer = error.answer(door);
                assert_eq!(
                    (answer.status, answer.code),
                    (*status, *code),
                    "{error:?} at {door:?}"
                );
            }
            // Only a failure on our side is logged as one.
            assert_eq!(
                error.is_ours(),
                *status == S::INTERNAL_SERVER_ERROR,
                "{error:?}"
            );
        }
    }

    #[test]
    fn the_door_changes_words_not_meaning() {
        let role = WebError::NotPermitted {
            role: Some(Role::Author),
        };
        assert_eq!(role.answer(Door::Site).message, "Not allowed");
        assert_eq!(
            role.answer(Door::Newsroom).message,
            "Your role (author) does not allow this. Ask an editor or an admin if you need it."
        );
        assert_eq!(
            role.answer(Door::Api).message,
            "A token with the role author may not do this."
        );
        let from_elsewhere = WebError::Forbidden("sent from elsewhere".to_owned());
        assert_eq!(from_elsewhere.answer(Door::Site).message, "Not allowed");
        assert_eq!(
            from_elsewhere.answer(Door::Newsroom).message,
            "sent from elsewhere"
        );
        assert_eq!(WebError::NotFound.answer(Door::Site).message, "Not found");
        assert_eq!(
            WebError::NotFound.answer(Door::Api).message,
            "nothing has this id"
        );
    }

    #[tokio::test]
    async fn the_same_refusal_gives_the_same_fields_to_a_form_and_to_the_api() {
        let refusals = headline_too_long();
        let expected = BTreeMap::from([
            (
                "headline".to_owned(),
                "Keep the headline to 200 characters.".to_owned(),
            ),
            // The field as the note form and the API's JSON both name it.
            (
                "text".to_owned(),
                "A note needs text: say what changed.".to_owned(),
            ),
        ]);
        let error = WebError::Refused(refusals.clone());
        for door in DOORS {
            let answer = error.answer(door);
            assert_eq!(answer.fields.as_ref(), Some(&expected), "{door:?}");
            assert_eq!(answer.message, refusals.to_string(), "{door:?}");
        }
        // Written by a newsroom form route: 422 with every message, as text.
        let page = WebError::Refused(refusals.clone()).into_response();
        assert_eq!(page.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body(page).await, refusals.to_string());
        // Written by the API: 422 with the same fields.
        let api = in_api_shape(WebError::Refused(refusals.clone()).into_response());
        assert_eq!(api.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let json: serde_json::Value = serde_json::from_str(&body(api).await).expect("json");
        assert_eq!(json["error"]["code"], "invalid");
        assert_eq!(
            json["error"]["fields"],
            serde_json::to_value(&expected).expect("fields")
        );
    }

    #[tokio::test]
    async fn the_api_answer_is_the_documented_shape_byte_for_byte() {
        let written = in_api_shape(
            WebError::StaleArticle {
                current: Box::new(article(5)),
            }
            .into_response(),
        );
        assert_eq!(
            written
                .headers()
                .get(CONTENT_TYPE)
                .map(HeaderValue::as_bytes),
            Some(&b"application/json"[..])
        );
        let documented = AdminApiError {
            error: AdminErrorDetail {
                code: "conflict".to_owned(),
                message: "the article was saved by someone else since you read it (it is at \
                          version 5); nothing was written: merge your change into `current` \
                          and send it with that version"
                    .to_owned(),
                fields: None,
                current_version: Some(5),
                current: Some(Box::new(article(5))),
            },
        };
        assert_eq!(
            body(written).await,
            serde_json::to_string(&documented).expect("json")
        );
        let written =
            in_api_shape(WebError::NoSuch("no published article has this id").into_response());
        assert_eq!(
            body(written).await,
            r#"{"error":{"code":"not_found","message":"no published article has this id"}}"#
        );
    }

    #[tokio::test]
    async fn headers_go_with_the_answer_on_every_door() {
        let unauthorized = in_api_shape(WebError::Unauthorized.into_response());
        assert_eq!(unauthorized.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            unauthorized.headers().get(WWW_AUTHENTICATE),
            Some(&HeaderValue::from_static("Bearer realm=\"dateline-admin\""))
        );
        for busy in [
            WebError::Busy.into_response(),
            in_api_shape(WebError::Busy.into_response()),
        ] {
            assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(
                busy.headers().get(RETRY_AFTER),
                Some(&HeaderValue::from_static("5"))
            );
        }
        let sign_in = WebError::SignInFirst {
            next: "/newsroom/articles?page=2".to_owned(),
        }
        .into_response();
        assert_eq!(sign_in.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            sign_in.headers().get(http::header::LOCATION),
            Some(&HeaderValue::from_static(
                "/newsroom/login?next=%2Fnewsroom%2Farticles%3Fpage%3D2"
            ))
        );
        // Not a failure: the API's layer leaves it alone.
        let fine = in_api_shape((StatusCode::OK, "fine").into_response());
        assert_eq!(body(fine).await, "fine");
    }

    #[test]
    fn a_logged_error_carries_its_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "disk says no");
        let media = dateline_storage::MediaError::Storage("cannot write audio/x.mp3".to_owned());
        let error = WebError::Media(media);
        assert_eq!(
            with_causes(&error),
            "Media storage failed: cannot write audio/x.mp3"
        );
        #[derive(Debug, thiserror::Error)]
        #[error("writing the page")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(with_causes(&Outer(io)), "writing the page: disk says no");
    }
}
