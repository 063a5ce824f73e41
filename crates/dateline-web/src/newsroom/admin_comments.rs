//! The Admin API's moderation endpoints: decide on a comment, feature it, reply in the
//! newsroom's name, set a reader's standing, open, close or set the mode of an article's
//! discussion, and replace the site's moderation rules. Each calls the use case the newsroom's
//! moderation pages call (`dateline_usecases::comments`), so both refuse the same input with
//! the same words; errors are the Admin API's ([`WebError`] as the API writes it).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use dateline_core::comments::ModerationSettings;
use dateline_db::{Comment, Reader};
use dateline_usecases::comments::{self, RulesDraft};
use http::StatusCode;
use http::header::HeaderMap;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::admin_api::ApiCaller;
use super::admin_endpoints::{AdminApiError, Answer, json_body, parse_id};
use crate::{AppState, WebError};

/// A comment as the desk sees it, in any status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminComment {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    /// `pending`, `approved`, `rejected` or `deleted`.
    pub status: String,
    pub author_name: String,
    /// Whether the newsroom wrote it.
    pub staff: bool,
    /// Markdown as written.
    pub body: String,
    pub featured: bool,
}

impl From<Comment> for AdminComment {
    fn from(comment: Comment) -> Self {
        Self {
            id: comment.id,
            article_id: comment.article_id,
            parent_id: comment.parent_id,
            status: comment.status.as_str().to_owned(),
            staff: comment.is_staff(),
            author_name: comment.author_name,
            body: comment.body,
            featured: comment.featured,
        }
    }
}

/// A reader as moderation leaves them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminReader {
    pub id: i64,
    pub display_name: String,
    /// `active`, `suspended` or `banned`.
    pub status: String,
    #[schema(format = DateTime)]
    pub suspended_until: Option<String>,
    /// Everything they write waits for a moderator.
    pub always_premoderate: bool,
}

impl From<Reader> for AdminReader {
    fn from(reader: Reader) -> Self {
        Self {
            id: reader.id,
            status: reader.status.as_str().to_owned(),
            suspended_until: reader.suspended_until.map(|t| t.to_string()),
            always_premoderate: reader.always_premoderate,
            display_name: reader.display_name,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    /// `approve` or `reject`.
    pub decision: String,
    /// Why a comment is rejected, for the queue.
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeatureRequest {
    pub featured: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    /// Markdown, at most 5,000 characters.
    pub body: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandingRequest {
    /// `active`, `suspended`, `banned`, `premoderate` or `trust`.
    pub standing: String,
    /// A suspension's length, 1 to 365 days (7 when left out).
    pub days: Option<i64>,
    #[serde(default)]
    pub reason: String,
}

/// Exactly one of `open` and `mode`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscussionRequest {
    /// Open or close the comments by hand.
    pub open: Option<bool>,
    /// `pre`, `post`, or `site` for the site's own mode.
    pub mode: Option<String>,
}

/// The site's moderation rules. Numbers may be sent as JSON numbers or as text, and are
/// checked as the newsroom's form checks what is typed there.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesRequest {
    /// `pre` or `post`.
    pub mode: String,
    /// How many of a reader's first comments wait for a moderator (0 to 1,000).
    #[schema(value_type = i64)]
    pub premoderate_first: Value,
    #[serde(default)]
    pub banned_words: Vec<String>,
    #[serde(default)]
    pub suspect_words: Vec<String>,
    #[serde(default)]
    pub premoderate_links: bool,
    /// Close comments this many days after first publication (1 to 3,650); `null` never.
    #[serde(default)]
    #[schema(value_type = Option<i64>)]
    pub auto_close_days: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdminRules {
    pub mode: String,
    pub premoderate_first: u32,
    pub banned_words: Vec<String>,
    pub suspect_words: Vec<String>,
    pub premoderate_links: bool,
    pub auto_close_days: Option<u32>,
}

impl From<ModerationSettings> for AdminRules {
    fn from(rules: ModerationSettings) -> Self {
        Self {
            mode: rules.mode.as_str().to_owned(),
            premoderate_first: rules.premoderate_first,
            banned_words: rules.banned_words,
            suspect_words: rules.suspect_words,
            premoderate_links: rules.premoderate_links,
            auto_close_days: rules.auto_close_days,
        }
    }
}

/// A number as the use case reads typed text: a JSON number or string as it is, `null` blank.
fn typed(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Approves or rejects a comment.
#[utoipa::path(
    post,
    path = "/api/v1/admin/comments/{id}/decision",
    operation_id = "adminModerateComment",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The comment's id.")),
    request_body = DecisionRequest,
    responses(
        (status = 200, description = "The comment after the decision", body = AdminComment),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not moderate", body = AdminApiError),
        (status = 404, description = "No comment has this id", body = AdminApiError),
        (status = 409, description = "The author deleted it (`comment_deleted`)", body = AdminApiError),
        (status = 422, description = "An unknown decision", body = AdminApiError),
    )
)]
pub async fn decide(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let request: DecisionRequest = json_body(&headers, body).await?;
    let comment = comments::moderate(
        state.ctx(),
        &caller.as_actor(),
        id,
        &request.decision,
        &request.reason,
        Timestamp::now(),
    )
    .await?;
    Ok(Json(AdminComment::from(comment)).into_response())
}

/// Makes a shown comment an editor's pick, or not.
#[utoipa::path(
    post,
    path = "/api/v1/admin/comments/{id}/feature",
    operation_id = "adminFeatureComment",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The comment's id.")),
    request_body = FeatureRequest,
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not moderate", body = AdminApiError),
        (status = 404, description = "No comment has this id", body = AdminApiError),
        (status = 409, description = "It is not shown (`feature_needs_approved`)", body = AdminApiError),
    )
)]
pub async fn feature(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let request: FeatureRequest = json_body(&headers, body).await?;
    comments::feature(
        state.ctx(),
        &caller.as_actor(),
        id,
        request.featured,
        Timestamp::now(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replies to a comment in the newsroom's name (the token's account), shown at once.
#[utoipa::path(
    post,
    path = "/api/v1/admin/comments/{id}/replies",
    operation_id = "adminReplyToComment",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The comment answered.")),
    request_body = ReplyRequest,
    responses(
        (status = 201, description = "The reply", body = AdminComment),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not moderate", body = AdminApiError),
        (status = 404, description = "No comment has this id", body = AdminApiError),
        (status = 409, description = "Comments are closed, or the comment is not shown", body = AdminApiError),
        (status = 422, description = "An empty or too long body", body = AdminApiError),
    )
)]
pub async fn reply(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let request: ReplyRequest = json_body(&headers, body).await?;
    let reply = comments::reply_as_staff(
        state.ctx(),
        &caller.as_actor(),
        id,
        &request.body,
        Timestamp::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(AdminComment::from(reply))).into_response())
}

/// Reinstates, suspends or bans a reader, or sends everything they write to the queue.
#[utoipa::path(
    post,
    path = "/api/v1/admin/readers/{id}/standing",
    operation_id = "adminSetReaderStanding",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The reader's id.")),
    request_body = StandingRequest,
    responses(
        (status = 200, description = "The reader now", body = AdminReader),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not moderate", body = AdminApiError),
        (status = 404, description = "No reader has this id", body = AdminApiError),
        (status = 422, description = "An unknown standing or a suspension out of range", body = AdminApiError),
    )
)]
pub async fn standing(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let request: StandingRequest = json_body(&headers, body).await?;
    let reader = comments::set_standing(
        state.ctx(),
        &caller.as_actor(),
        id,
        &request.standing,
        request.days,
        &request.reason,
        Timestamp::now(),
    )
    .await?;
    state.readers().forget_reader(id);
    Ok(Json(AdminReader::from(reader)).into_response())
}

/// Opens or closes an article's comments by hand, or gives it its own moderation mode.
#[utoipa::path(
    post,
    path = "/api/v1/admin/articles/{id}/discussion",
    operation_id = "adminSetArticleDiscussion",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The article's id.")),
    request_body = DiscussionRequest,
    responses(
        (status = 204, description = "Done"),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not moderate", body = AdminApiError),
        (status = 404, description = "No article has this id", body = AdminApiError),
        (status = 422, description = "Neither or both of open and mode, or an unknown mode", body = AdminApiError),
    )
)]
pub async fn discussion(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let request: DiscussionRequest = json_body(&headers, body).await?;
    let actor = caller.as_actor();
    let now = Timestamp::now();
    match (request.open, request.mode) {
        (Some(open), None) => comments::open_discussion(state.ctx(), &actor, id, open, now).await?,
        (None, Some(mode)) => {
            comments::set_discussion_mode(state.ctx(), &actor, id, &mode, now).await?;
        }
        _ => {
            return Err(WebError::Invalid {
                message: "give open or mode, one of them".to_owned(),
                fields: [
                    ("open".to_owned(), "give this or mode".to_owned()),
                    ("mode".to_owned(), "give this or open".to_owned()),
                ]
                .into(),
            });
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replaces the site's moderation rules.
#[utoipa::path(
    put,
    path = "/api/v1/admin/comment-rules",
    operation_id = "adminSaveCommentRules",
    tag = "admin",
    security(("bearerAuth" = [])),
    request_body = RulesRequest,
    responses(
        (status = 200, description = "The rules now", body = AdminRules),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "The token may not set the rules", body = AdminApiError),
        (status = 422, description = "An unknown mode or a number out of range", body = AdminApiError),
    )
)]
pub async fn save_rules(
    caller: ApiCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let request: RulesRequest = json_body(&headers, body).await?;
    let draft = RulesDraft {
        mode: request.mode,
        premoderate_first: typed(&request.premoderate_first),
        banned_words: request.banned_words,
        suspect_words: request.suspect_words,
        premoderate_links: request.premoderate_links,
        auto_close_days: typed(&request.auto_close_days),
    };
    let rules =
        comments::save_rules(state.ctx(), &caller.as_actor(), &draft, Timestamp::now()).await?;
    Ok(Json(AdminRules::from(rules)).into_response())
}
