//! The Admin API's static pages under `/api/v1/admin/pages`: the same use cases
//! (`dateline_usecases::pages`) and the same refusals as the newsroom's page form. Pages are
//! managed by editors and admins (`Action::ManagePages`); the checks run in the articles'
//! order: token (401), page exists (404), permission (403), body (400/422), state (409).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use dateline_core::{Action, StaticPage};
use dateline_usecases::pages::{self, PageChanges};
use http::StatusCode;
use http::header::{HeaderMap, LOCATION};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::admin_api::ApiCaller;
use super::admin_endpoints::{AdminApiError, Answer, json_body, parse_id};
use crate::{AppState, WebError};

/// A static page as the newsroom sees it, in any status.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPage {
    pub id: i64,
    /// `draft` or `published`.
    pub status: String,
    /// The optimistic-lock token: send it back with the next `PUT`.
    pub version: i64,
    pub slug: String,
    pub title: String,
    pub description: String,
    /// Markdown.
    pub body: String,
    /// Order among the footer's links: lower comes first.
    pub position: i32,
    #[schema(format = DateTime)]
    pub first_published_at: Option<String>,
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// Where readers find it once published.
    #[schema(format = "uri")]
    pub url: String,
}

/// A page's editable fields. On create, `title` is required; on update, `version` is required
/// and a field left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PageFields {
    /// Update only, and required there.
    pub version: Option<i64>,
    pub title: Option<String>,
    /// Defaults to a slug made from the title.
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    pub position: Option<i32>,
}

impl PageFields {
    fn changes(self) -> PageChanges {
        PageChanges {
            title: self.title,
            slug: self.slug,
            description: self.description,
            body: self.body,
            position: self.position,
        }
    }
}

fn admin_page(state: &AppState, page: &StaticPage) -> AdminPage {
    AdminPage {
        id: page.id,
        status: page.status.as_str().to_owned(),
        version: page.version,
        slug: page.slug.clone(),
        title: page.title.clone(),
        description: page.description.clone(),
        body: page.body.clone(),
        position: page.position,
        first_published_at: page.first_published_at.map(|t| t.to_string()),
        updated_at: page.updated_at.to_string(),
        url: format!("{}{}", state.config().base_url, page.path()),
    }
}

fn answer(state: &AppState, page: &StaticPage, status: StatusCode) -> Answer {
    let mut response = (status, Json(admin_page(state, page))).into_response();
    if status == StatusCode::CREATED
        && let Ok(location) = format!("/api/v1/admin/pages/{}", page.id).parse()
    {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

/// Starts a page, as a draft.
#[utoipa::path(
    post,
    path = "/api/v1/admin/pages",
    operation_id = "adminCreatePage",
    tag = "admin",
    security(("bearerAuth" = [])),
    request_body = PageFields,
    responses(
        (status = 201, description = "The new draft page", body = AdminPage),
        (status = 400, description = "The body is not JSON", body = AdminApiError),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 415, description = "The body is not application/json", body = AdminApiError),
        (status = 422, description = "Invalid fields (the address of a section or of the site's own pages, among others)", body = AdminApiError),
    )
)]
pub async fn create_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    caller.require(Action::ManagePages, false)?;
    let fields: PageFields = json_body(&headers, body).await?;
    if fields.version.is_some() {
        return Err(WebError::field(
            "version",
            "a new page has no version yet: leave it out",
        ));
    }
    let page = pages::create(
        state.ctx(),
        &caller.as_actor(),
        fields.changes(),
        Timestamp::now(),
    )
    .await?;
    answer(&state, &page, StatusCode::CREATED)
}

/// One page in any status, with its `version`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/pages/{id}",
    operation_id = "adminGetPage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The page's id.")),
    responses(
        (status = 200, description = "The page", body = AdminPage),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 404, description = "No page has this id", body = AdminApiError),
    )
)]
pub async fn get_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    let id = parse_id(&id)?;
    let page = pages::permitted(state.ctx(), &caller.as_actor(), id).await?;
    answer(&state, &page, StatusCode::OK)
}

/// Saves a new revision. Fields left out keep their value; `version` must be the current one.
#[utoipa::path(
    put,
    path = "/api/v1/admin/pages/{id}",
    operation_id = "adminUpdatePage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The page's id.")),
    request_body = PageFields,
    responses(
        (status = 200, description = "The saved page", body = AdminPage),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 404, description = "No page has this id", body = AdminApiError),
        (status = 409, description = "Someone saved first", body = AdminApiError),
        (status = 422, description = "Invalid fields", body = AdminApiError),
    )
)]
pub async fn update_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Answer {
    let id = parse_id(&id)?;
    let actor = caller.as_actor();
    // Who may edit is answered before the body is read.
    pages::permitted(state.ctx(), &actor, id).await?;
    let fields: PageFields = json_body(&headers, body).await?;
    let Some(version) = fields.version else {
        return Err(WebError::field(
            "version",
            "required: the version of the page you read, for the optimistic lock",
        ));
    };
    let page = pages::update(
        state.ctx(),
        &actor,
        id,
        version,
        fields.changes(),
        Timestamp::now(),
    )
    .await?;
    answer(&state, &page, StatusCode::OK)
}

/// Puts the page on the site at `/{slug}` and in the footer.
#[utoipa::path(
    post,
    path = "/api/v1/admin/pages/{id}/publish",
    operation_id = "adminPublishPage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The page's id.")),
    responses(
        (status = 200, description = "The published page", body = AdminPage),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 404, description = "No page has this id", body = AdminApiError),
        (status = 422, description = "A section has taken the page's address since", body = AdminApiError),
    )
)]
pub async fn publish_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    let id = parse_id(&id)?;
    let page = pages::publish(state.ctx(), &caller.as_actor(), id, Timestamp::now()).await?;
    answer(&state, &page, StatusCode::OK)
}

/// Takes the page off the site; it is a draft again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/pages/{id}/unpublish",
    operation_id = "adminUnpublishPage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The page's id.")),
    responses(
        (status = 200, description = "The page, a draft again", body = AdminPage),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 404, description = "No page has this id", body = AdminApiError),
    )
)]
pub async fn unpublish_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    let id = parse_id(&id)?;
    let page = pages::unpublish(state.ctx(), &caller.as_actor(), id, Timestamp::now()).await?;
    answer(&state, &page, StatusCode::OK)
}

/// Deletes the page and its revisions.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/pages/{id}",
    operation_id = "adminDeletePage",
    tag = "admin",
    security(("bearerAuth" = [])),
    params(("id" = i64, Path, description = "The page's id.")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid token", body = AdminApiError),
        (status = 403, description = "Only editors and admins manage pages", body = AdminApiError),
        (status = 404, description = "No page has this id", body = AdminApiError),
    )
)]
pub async fn delete_page(
    caller: ApiCaller,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Answer {
    let id = parse_id(&id)?;
    pages::delete(state.ctx(), &caller.as_actor(), id, Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
