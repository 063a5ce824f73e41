//! The Admin API's endpoints under `/api/v1/admin`: write, schedule, publish, unpublish and
//! correct articles, and upload pictures — as a bearer token ([`ApiCaller`]), with the same
//! [`dateline_core::permits`] check and the same optimistic lock as the newsroom pages.
//!
//! Choices a client can rely on:
//! - JSON in and out; no cookies are read, so there is no CSRF to defend against, and no CORS:
//!   these answers are for servers and scripts, never for another site's pages.
//! - An article is "one's own" when the token's account started it (saved its first revision) or
//!   writes under a byline (its author profile) that is on the article's byline — the one rule
//!   the newsroom pages use too (`Articles::owned_by`). A new draft with no `authors` gets
//!   the account's own byline.
//! - Reading an article in any status is `UseRevisions` (its working copy is its newest
//!   revision); editing is `EditDraft` while it is a draft or in review, `EditPublished` after.
//! - `PUT` replaces the fields it names and keeps the others; it needs the `version` the client
//!   read: a stale one is a 409 whose error carries the current version and article.
//! - Checks run in this order: token (401), article exists (404), permission (403), body
//!   (400 unreadable, 422 invalid with per-field messages), workflow (409).
//! - Images are uploaded as the raw body (`Content-Type: image/jpeg|png|webp|gif`), with `alt`,
//!   `caption`, `credit` and `source_type` as query parameters.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use dateline_core::{Action, ArticlePage, ArticleStatus, paths};
use dateline_storage::{ImageLimits, MediaError, Origin};
use dateline_usecases::UseCaseError;
use dateline_usecases::articles::{
    self, ArticleChanges, AuthorChoice, PublishTime, SectionChoice, edit_action,
};
use dateline_usecases::library::{self, ImageWords, SourceTypeFrom};
use http::StatusCode;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, LOCATION};
use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::admin_api::ApiCaller;
use crate::{AppState, WebError};

/// The largest JSON body read: an article's Markdown with plenty of room.
pub(crate) const MAX_JSON_BYTES: usize = 2 * 1024 * 1024;
/// The upload formats, as `Content-Type` names them.
const IMAGE_TYPES: [&str; 4] = ["image/jpeg", "image/png", "image/webp", "image/gif"];

// ----- Shapes -----

/// An article as the newsroom sees it, in any status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminArticle {
    pub id: i64,
    /// `draft`, `in_review`, `scheduled`, `published` or `unpublished`.
    pub status: String,
    /// The optimistic-lock token: send it back with the next `PUT`.
    pub version: i64,
    pub section: AdminSection,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    /// Markdown.
    pub body: String,
    pub dateline_place: Option<String>,
    pub hero_image_id: Option<i64>,
    /// The byline, in order.
    pub authors: Vec<AdminAuthor>,
    pub tags: Vec<String>,
    /// BCP 47 language tag.
    pub language: String,
    pub comments_open: bool,
    /// When a scheduled article goes out (RFC 3339).
    #[schema(format = DateTime)]
    pub scheduled_for: Option<String>,
    #[schema(format = DateTime)]
    pub first_published_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Where readers find it once published.
    #[schema(format = "uri")]
    pub url: String,
    /// Something the client should know about what it asked for (a local time that happens twice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminSection {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminAuthor {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// The editable fields of an article. On create, `section` and `headline` are required and the
/// rest have defaults; on update, `version` is required and a field left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleFields {
    /// Update only, and required there: the `version` of the article as the client last read
    /// it (the optimistic lock). Leave it out on create.
    pub version: Option<i64>,
    /// The section's slug.
    pub section: Option<String>,
    pub headline: Option<String>,
    /// Defaults to a slug made from the headline on create.
    pub slug: Option<String>,
    pub standfirst: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub dateline_place: Option<Option<String>>,
    /// An image id from `POST /api/v1/admin/images`; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub hero_image_id: Option<Option<i64>>,
    /// Author slugs, in byline order. On create, defaults to the token's own byline.
    pub authors: Option<Vec<String>>,
    pub tags: Option<Vec<String>>,
    /// BCP 47; defaults to the site's language.
    pub language: Option<String>,
    pub comments_open: Option<bool>,
}

impl ArticleFields {
    /// The fields as the article use cases take them.
    fn changes(self) -> ArticleChanges {
        ArticleChanges {
            section: self.section.map(|slug| match slug.trim() {
                "" => SectionChoice::Blank,
                slug => SectionChoice::Slug(slug.to_owned()),
            }),
            headline: self.headline,
            slug: self.slug,
            standfirst: self.standfirst,
            body: self.body,
            dateline_place: self.dateline_place,
            hero_image: self.hero_image_id,
            authors: self
                .authors
                .map(|slugs| slugs.into_iter().map(AuthorChoice::Slug).collect()),
            tags: self.tags,
            language: self.language,
            comments_open: self.comments_open,
        }
    }
}

/// When to publish: exactly one of `publish_at` (an instant) or `local_time` (wall-clock time in
/// the newsroom's time zone, from the site settings).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// RFC 3339, e.g. `2026-03-08T12:00:00Z`.
    #[schema(format = DateTime)]
    pub publish_at: Option<String>,
    /// `YYYY-MM-DDTHH:MM[:SS]` in the newsroom's zone; a time the clocks skip is refused, a time
    /// they pass twice means the first.
    pub local_time: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteRequest {
    /// `correction`, `clarification` or `update`.
    #[schema(pattern = "^(correction|clarification|update)$")]
    pub kind: String,
    /// Plain text, at most 2,000 characters.
    #[schema(pattern = "\\S", max_length = 2000)]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminNote {
    pub id: i64,
    pub article_id: i64,
    pub kind: String,
    pub text: String,
    #[schema(format = DateTime)]
    pub published_at: String,
}

/// Query parameters of an image upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImageQuery {
    /// Required: what the picture shows, for readers who cannot see it.
    #[param(required = true, pattern = "\\S", max_length = 1000)]
    pub alt: Option<String>,
    #[param(max_length = 1000)]
    pub caption: Option<String>,
    #[param(max_length = 1000)]
    pub credit: Option<String>,
    /// IPTC digital source type (URI or code, e.g. `digitalCapture`); defaults to what the file
    /// declares.
    pub source_type: Option<String>,
}

/// An uploaded picture and what its own metadata said about how it was made.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminImage {
    pub id: i64,
    pub original_mime: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// The IPTC digital source type stored with the picture, as its URI.
    #[schema(format = "uri")]
    pub digital_source_type: Option<String>,
    /// `request` (the `source_type` parameter), `file` (the file's metadata) or `none`.
    pub source_type_from: String,
    pub provenance: ProvenanceFinding,
    pub variants: Vec<AdminImageVariant>,
}

/// What the file's metadata declared (C2PA manifest or XMP).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvenanceFinding {
    /// `c2pa`, `xmp` or `none`.
    pub origin: String,
    /// The value exactly as the file declares it.
    pub declared: Option<String>,
    /// For people, e.g. "from C2PA manifest, signed by …".
    pub explanation: String,
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminImageVariant {
    #[schema(format = "uri")]
    pub url: String,
    /// `jpeg` or `webp`.
    pub format: String,
    pub width: u32,
    pub height: u32,
}

/// The account a token acts as and the role it has now.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhoAmI {
    pub token: TokenInfo,
    pub acting_as: StaffInfo,
    /// The token's role capped by its creator's current role.
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StaffInfo {
    pub id: i64,
    pub display_name: String,
    pub role: String,
}

/// Every error of the Admin API: the Content API's shape, with details where they help.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminApiError {
    pub error: AdminErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminErrorDetail {
    /// Stable and machine-readable, e.g. `unauthorized`, `forbidden`, `invalid`, `conflict`.
    pub code: String,
    /// For people.
    pub message: String,
    /// `invalid`: a message per field name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
    /// `conflict`: the article's version now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_version: Option<i64>,
    /// `conflict`: the article as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Box<AdminArticle>>,
}

/// Tells "left out" (`None`) from "set to null" (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// ----- Errors -----

/// What an endpoint answers; a failure is written as [`AdminApiError`] by the API's layer
/// (`crate::error`).
pub(super) type Answer = Result<Response, WebError>;

// ----- Reading the request -----

pub(super) fn parse_id(id: &str) -> Result<i64, WebError> {
    let digits = id.strip_prefix('-').unwrap_or(id);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WebError::BadRequest {
            code: "invalid_id",
            message: "the id must be an integer".to_owned(),
        });
    }
    id.parse().map_err(|_| WebError::NotFound)
}

/// Reads a JSON body of at most [`MAX_JSON_BYTES`]: unreadable JSON is a 400, JSON of the wrong
/// shape (a missing or unknown field, a wrong type) a 422.
pub(super) async fn json_body<T: DeserializeOwned>(
    headers: &HeaderMap,
    body: Body,
) -> Result<T, WebError> {
    let is_json = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(WebError::UnsupportedMediaType);
    }
    let bytes = axum::body::to_bytes(body, MAX_JSON_BYTES)
        .await
        .map_err(|_| {
            WebError::TooLarge(format!(
                "the body is larger than {} MB",
                MAX_JSON_BYTES / 1024 / 1024
            ))
        })?;
    serde_json::from_slice(&bytes).map_err(|error| {
        if error.is_data() {
            WebError::Invalid {
                message: error.to_string(),
                fields: BTreeMap::new(),
            }
        } else {
            WebError::BadRequest {
                code: "invalid_json",
                message: error.to_string(),
            }
        }
    })
}

async fn load_page(state: &AppState, id: i64) -> Result<ArticlePage, WebError> {
    state
        .store()
        .articles()
        .article_page(id)
        .await?
        .ok_or(WebError::NotFound)
}

fn admin_article(state: &AppState, page: &ArticlePage) -> AdminArticle {
    let article = &page.article;
    AdminArticle {
        id: article.id,
        status: article.status.as_str().to_owned(),
        version: article.version,
        section: AdminSection {
            id: page.section.id,
            slug: page.section.slug.clone(),
            name: page.section.name.clone(),
        },
        slug: article.slug.clone(),
        headline: article.headline.clone(),
        standfirst: article.standfirst.clone(),
        body: article.body.clone(),
        dateline_place: article.dateline_place.clone(),
        hero_image_id: article.hero_image_id,
        authors: page
            .authors
            .iter()
            .map(|a| AdminAuthor {
                id: a.id,
                slug: a.slug.clone(),
                name: a.name.clone(),
            })
            .collect(),
        tags: page.tags.iter().map(|t| t.name.clone()).collect(),
        language: article.language.clone(),
        comments_open: article.comments_open,
        scheduled_for: article.scheduled_for.map(|t| t.to_string()),
        first_published_at: article.first_published_at.map(|t| t.to_string()),
        updated_at: article.updated_at.to_string(),
        url: format!(
            "{}{}",
            state.config().base_url,
            paths::article(&page.section.slug, &article.slug)
        ),
        notice: None,
    }
}

async fn article_answer(
    state: &AppState,
    id: i64,
    status: StatusCode,
    notice: Option<String>,
) -> Answer {
    let page = load_page(state, id).await?;
    let mut article = admin_article(state, &page);
    article.notice = notice;
    let mut response = (status, Json(article)).into_response();
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/api/v1/admin/articles/{id}").parse()
    {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// The token, the account it acts as, and the role it has now.
#[utoipa::path(
    get,
    path = "/api/v1/admin/whoami",
    operation_id = "adminWhoAmI",
    tag = "admin",
    security(("bearerAuth" = [])),
    responses(
        (status = 200, description = "Who the token acts as", body = WhoAmI),
        (status = 401, description = "No valid token", body = AdminApiError),
    )
)]
pub async fn whoami(caller: ApiCaller) -> Answer {
    caller.require(Action::UseNewsroom, false)?;
    Ok(Json(WhoAmI {
        token: TokenInfo {
            id: caller.token.id,
            name: caller.token.name.clone(),
            role: caller.token.role.as_str().to_owned(),
        },
        acting_as: StaffInfo {
            id: caller.acting_as.id,
            display_name: caller.acting_as.display_name.clone(),
            role: caller.acting_as.role.as_str().to_owned(),
        },
        role: caller.role().as_str().to_owned(),
    })
    .into_response())
}

/// Starts a draft. Without `authors`, the byline is the token's own.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles",
    operation_id = "adminCreateArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    request_body = ArticleFields,
    responses(
        (status = 201, description = "The new draft", body = AdminArticle),
        (status = 400, description = "The body is not JSON", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not write this draft", body = AdminApiError),
        (status = 413, description = "The body is too large", body = AdminApiError),
        (status = 415, description = "The body is not application/json", body = AdminApiError),
        (status = 422, description = "Invalid fields", body = AdminApiError),
    )
)]
pub async fn create_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    caller.require(Action::CreateDraft, false)?;
    let fields: ArticleFields = json_body(&headers, body).await?;
    if fields.version.is_some() {
        return Err(WebError::field(
            "version",
            "a new article has no version yet: leave it out",
        ));
    }
    let article = articles::create(
        state.ctx(),
        &caller.as_actor(),
        fields.changes(),
        ArticleStatus::Draft,
        Timestamp::now(),
    )
    .await?;
    article_answer(&state, article.id, StatusCode::CREATED, None).await
}

/// One article in any status, with its `version`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/articles/{id}",
    operation_id = "adminGetArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    responses(
        (status = 200, description = "The article", body = AdminArticle),
        (status = 400, description = "The id is not a number", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not read this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
    )
)]
pub async fn get_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    let id = parse_id(&id)?;
    let (page, _) = articles::permitted(state.ctx(), &caller.as_actor(), id, |_| {
        Action::UseRevisions
    })
    .await?;
    Ok(Json(admin_article(&state, &page)).into_response())
}

/// Saves a new revision. Fields left out keep their value; `version` must be the current one.
#[utoipa::path(
    put,
    path = "/api/v1/admin/articles/{id}",
    operation_id = "adminUpdateArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    request_body = ArticleFields,
    responses(
        (status = 200, description = "The saved article", body = AdminArticle),
        (status = 400, description = "The id or body cannot be read", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not edit this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "Someone saved first: `current_version` and `current` say what is there now", body = AdminApiError),
        (status = 413, description = "The body is too large", body = AdminApiError),
        (status = 415, description = "The body is not application/json", body = AdminApiError),
        (status = 422, description = "Invalid fields", body = AdminApiError),
    )
)]
pub async fn update_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let actor = caller.as_actor();
    // Who may edit is answered before the body is read.
    let (page, _) = articles::permitted(state.ctx(), &actor, id, |page| {
        edit_action(page.article.status)
    })
    .await?;
    let fields: ArticleFields = json_body(&headers, body).await?;
    let Some(version) = fields.version else {
        return Err(WebError::field(
            "version",
            "required: the version of the article you read, for the optimistic lock",
        ));
    };
    if version != page.article.version {
        return Err(conflict(&state, &page));
    }
    match articles::save(
        state.ctx(),
        &actor,
        id,
        version,
        fields.changes(),
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => article_answer(&state, id, StatusCode::OK, None).await,
        Err(UseCaseError::Conflict { .. }) => {
            // Saved by someone else between our read and our write.
            let page = load_page(&state, id).await?;
            Err(conflict(&state, &page))
        }
        Err(error) => Err(error.into()),
    }
}

fn conflict(state: &AppState, page: &ArticlePage) -> WebError {
    WebError::StaleArticle {
        current: Box::new(admin_article(state, page)),
    }
}

/// Runs a workflow step on article `id`.
async fn step(caller: &ApiCaller, state: &AppState, id: &str, to: ArticleStatus) -> Answer {
    let id = parse_id(id)?;
    articles::change_status(state.ctx(), &caller.as_actor(), id, to, Timestamp::now()).await?;
    article_answer(state, id, StatusCode::OK, None).await
}

/// Moves a draft to review.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/submit",
    operation_id = "adminSubmitArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    responses(
        (status = 200, description = "The article, now in review", body = AdminArticle),
        (status = 400, description = "The id is not a number", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not submit this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "Not possible from its status (`illegal_transition`)", body = AdminApiError),
    )
)]
pub async fn submit_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    step(&caller, &state, &id, ArticleStatus::InReview).await
}

/// Publishes now.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/publish",
    operation_id = "adminPublishArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    responses(
        (status = 200, description = "The published article", body = AdminArticle),
        (status = 400, description = "The id is not a number", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not publish this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "Not possible from its status (`illegal_transition`) or under embargo (`embargoed`)", body = AdminApiError),
        (status = 422, description = "The article cannot go out as it is (no byline)", body = AdminApiError),
    )
)]
pub async fn publish_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    step(&caller, &state, &id, ArticleStatus::Published).await
}

/// Takes a published article off the site.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/unpublish",
    operation_id = "adminUnpublishArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    responses(
        (status = 200, description = "The unpublished article", body = AdminArticle),
        (status = 400, description = "The id is not a number", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not unpublish this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "It is not published (`illegal_transition`)", body = AdminApiError),
    )
)]
pub async fn unpublish_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    step(&caller, &state, &id, ArticleStatus::Unpublished).await
}

/// Schedules publication (the embargo) at an instant or at a local time in the newsroom's zone.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/schedule",
    operation_id = "adminScheduleArticle",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    request_body = ScheduleRequest,
    responses(
        (status = 200, description = "The scheduled article", body = AdminArticle),
        (status = 400, description = "The id or body cannot be read", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not schedule this article", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "Not possible from its status (`illegal_transition`)", body = AdminApiError),
        (status = 413, description = "The body is too large", body = AdminApiError),
        (status = 415, description = "The body is not application/json", body = AdminApiError),
        (status = 422, description = "No time, both times, a past time or a local time the clocks skip", body = AdminApiError),
    )
)]
pub async fn schedule_article(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let actor = caller.as_actor();
    articles::permitted(state.ctx(), &actor, id, |_| Action::Schedule).await?;
    let request: ScheduleRequest = json_body(&headers, body).await?;
    let (when, field) = match (request.publish_at, request.local_time) {
        (Some(instant), None) => match instant.parse::<Timestamp>() {
            Ok(at) if instant.contains(['T', 't']) => (PublishTime::At(at), "publish_at"),
            _ => {
                return Err(WebError::field(
                    "publish_at",
                    "an RFC 3339 date-time with offset, e.g. 2026-03-08T12:00:00Z",
                ));
            }
        },
        (None, Some(local)) => (PublishTime::Local(local), "local_time"),
        (Some(_), Some(_)) => {
            return Err(WebError::Invalid {
                message: "give publish_at or local_time, not both".to_owned(),
                fields: BTreeMap::from([
                    (
                        "publish_at".to_owned(),
                        "give this or local_time".to_owned(),
                    ),
                    (
                        "local_time".to_owned(),
                        "give this or publish_at".to_owned(),
                    ),
                ]),
            });
        }
        (None, None) => {
            return Err(WebError::field(
                "publish_at",
                "required: publish_at (RFC 3339) or local_time (in the newsroom's zone)",
            ));
        }
    };
    let scheduled = articles::schedule(state.ctx(), &actor, id, when, Timestamp::now())
        .await
        .map_err(|error| match error {
            // The time was given as `local_time` or `publish_at`: name the one sent.
            UseCaseError::Refused(refusals) => {
                WebError::refused_as(
                    &refusals,
                    |name| if name == "publish_at" { field } else { name },
                )
            }
            other => other.into(),
        })?;
    article_answer(&state, id, StatusCode::OK, scheduled.notice).await
}

/// Adds a correction, clarification or update to a published article.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/notes",
    operation_id = "adminAddArticleNote",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    request_body = NoteRequest,
    responses(
        (status = 201, description = "The note, now on the article", body = AdminNote),
        (status = 400, description = "The id or body cannot be read", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not add notes", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 409, description = "The article is not published (`not_published`): edit it instead", body = AdminApiError),
        (status = 413, description = "The body is too large", body = AdminApiError),
        (status = 415, description = "The body is not application/json", body = AdminApiError),
        (status = 422, description = "Unknown kind or empty or too long text", body = AdminApiError),
    )
)]
pub async fn add_note(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let actor = caller.as_actor();
    articles::permitted(state.ctx(), &actor, id, |_| Action::AddUpdateNote).await?;
    let request: NoteRequest = json_body(&headers, body).await?;
    let note = articles::add_note(
        state.ctx(),
        &actor,
        id,
        &request.kind,
        &request.text,
        None,
        Timestamp::now(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(AdminNote {
            id: note.id,
            article_id: note.article_id,
            kind: note.kind.as_str().to_owned(),
            text: note.text,
            published_at: note.published_at.to_string(),
        }),
    )
        .into_response())
}

/// Uploads a picture to the library: the file is the body.
#[utoipa::path(
    post,
    path = "/api/v1/admin/images",
    operation_id = "adminUploadImage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(ImageQuery),
    request_body(
        description = "The picture's bytes (at most 25 MB, 50 megapixels).",
        content(
            ([u8] = "image/jpeg"),
            ([u8] = "image/png"),
            ([u8] = "image/webp"),
            ([u8] = "image/gif"),
        )
    ),
    responses(
        (status = 201, description = "The stored picture", body = AdminImage),
        (status = 400, description = "Unknown or repeated query parameter", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not upload", body = AdminApiError),
        (status = 413, description = "The file is larger than the limit", body = AdminApiError),
        (status = 415, description = "The body is not a JPEG, PNG, WebP or GIF", body = AdminApiError),
        (status = 422, description = "No alt text, an unknown source type, or a broken or oversized picture", body = AdminApiError),
    )
)]
pub async fn upload_image(
    caller: ApiCaller,
    State(state): State<AppState>,
    query: Result<Query<ImageQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    caller.require(Action::UploadImages, false)?;
    let Ok(Query(query)) = query else {
        return Err(WebError::BadRequest {
            code: "invalid_query",
            message: "known parameters: alt, caption, credit, source_type".to_owned(),
        });
    };
    let declared = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if !declared.is_some_and(|v| IMAGE_TYPES.contains(&v.as_str())) {
        return Err(WebError::UnsupportedMediaType);
    }
    let limits = ImageLimits::default();
    let too_large = || {
        WebError::TooLarge(
            MediaError::TooLarge {
                bytes: limits.max_bytes + 1,
                max: limits.max_bytes,
            }
            .to_string(),
        )
    };
    let announced = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if announced.is_some_and(|length| length > limits.max_bytes) {
        return Err(too_large());
    }
    let bytes: Bytes = axum::body::to_bytes(body, limits.max_bytes)
        .await
        .map_err(|_| too_large())?;
    let words = ImageWords {
        alt: query.alt.unwrap_or_default(),
        caption: query.caption.unwrap_or_default(),
        credit: query.credit.unwrap_or_default(),
        source_type: query.source_type.unwrap_or_default(),
    };
    let uploaded = library::upload(
        state.ctx(),
        &caller.as_actor(),
        bytes,
        &words,
        &limits,
        None,
        Timestamp::now(),
    )
    .await
    .map_err(|error| match error {
        UseCaseError::Refused(refusals) if refusals.codes().contains(&"file_too_large") => {
            WebError::TooLarge(refusals.to_string())
        }
        other => WebError::from(other),
    })?;
    let image = &uploaded.image.image;
    let from = match uploaded.source_type_from {
        SourceTypeFrom::Uploader => "request",
        SourceTypeFrom::File => "file",
        SourceTypeFrom::Nobody => "none",
    };
    let provenance = &uploaded.provenance;
    let base = &state.config().base_url;
    let answer = AdminImage {
        id: image.id,
        original_mime: image.original_mime.clone(),
        width: image.width,
        height: image.height,
        alt: image.alt.clone(),
        caption: image.caption.clone(),
        credit: image.credit.clone(),
        digital_source_type: image.source_type.map(|t| t.uri().to_owned()),
        source_type_from: from.to_owned(),
        provenance: ProvenanceFinding {
            origin: match provenance.origin {
                Origin::C2pa { .. } => "c2pa",
                Origin::Xmp => "xmp",
                Origin::None => "none",
            }
            .to_owned(),
            declared: provenance.declared.clone(),
            explanation: provenance.explanation(),
            warnings: provenance.warnings.clone(),
        },
        variants: image
            .variants
            .iter()
            .map(|v| AdminImageVariant {
                url: format!("{base}{}", paths::media(&v.key)),
                format: v.format.clone(),
                width: v.width,
                height: v.height,
            })
            .collect(),
    };
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}
