//! Static pages in the newsroom: the list, the form to write one, publish and unpublish, delete,
//! preview. Every write goes through `dateline_usecases::pages`; editors and admins manage pages.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, PageStatus, StaticPage};
use dateline_usecases::UseCaseError;
use dateline_usecases::pages::{self, PageChanges};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::articles::Zone;
use super::{Csrf, CurrentStaff, WebError, field_errors, render};
use crate::AppState;

/// The page form as typed: kept whole when something is refused.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PageForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    position: String,
    /// The version the writer started from (the optimistic lock).
    #[serde(default)]
    version: String,
}

impl PageForm {
    fn of(page: &StaticPage) -> Self {
        Self {
            title: page.title.clone(),
            slug: page.slug.clone(),
            description: page.description.clone(),
            body: page.body.clone(),
            position: page.position.to_string(),
            version: page.version.to_string(),
        }
    }

    /// The changes for the use case, or the form's own errors (the order is not a number).
    fn changes(&self) -> Result<PageChanges, Map<String, Value>> {
        let position = match self.position.trim() {
            "" => Ok(0),
            typed => typed.parse::<i32>(),
        };
        let Ok(position) = position else {
            let mut errors = Map::new();
            errors.insert(
                "position".into(),
                "The order is a whole number; lower comes first.".into(),
            );
            return Err(errors);
        };
        Ok(PageChanges {
            title: Some(self.title.clone()),
            slug: Some(self.slug.clone()),
            description: Some(self.description.clone()),
            body: Some(self.body.clone()),
            position: Some(position),
        })
    }
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<u8>,
    #[serde(default)]
    deleted: Option<u8>,
}

pub async fn list(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ManagePages)?;
    let zone = Zone::load(&state).await?;
    let pages: Vec<Value> = state
        .store()
        .static_pages()
        .all()
        .await?
        .iter()
        .map(|page| {
            json!({
                "id": page.id,
                "title": page.title,
                "path": page.path(),
                "status": page.status.as_str(),
                "position": page.position,
                "updated": zone.display(page.updated_at),
            })
        })
        .collect();
    render(
        &state,
        Some(&staff),
        &csrf,
        "newsroom/pages.html",
        StatusCode::OK,
        json!({
            "pages": pages,
            "notice": query.deleted.map(|_| "Deleted."),
        }),
    )
    .await
}

/// The edit form; `page` is `None` for a new one.
async fn form_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    page: Option<&StaticPage>,
    form: &PageForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let zone = Zone::load(state).await?;
    let (page_view, revisions) = match page {
        Some(page) => {
            let revisions: Vec<Value> = state
                .store()
                .static_pages()
                .revisions(page.id)
                .await?
                .iter()
                .map(|revision| {
                    json!({
                        "number": revision.number,
                        "saved_at": zone.display(revision.saved_at),
                        "saved_by": revision.saved_by,
                        "title": revision.title,
                    })
                })
                .collect();
            let view = json!({
                "id": page.id,
                "status": page.status.as_str(),
                "published": page.status == PageStatus::Published,
                "path": page.path(),
                "updated": zone.display(page.updated_at),
            });
            (Some(view), revisions)
        }
        None => (None, Vec::new()),
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/page_edit.html",
        status,
        json!({
            "page": page_view,
            "revisions": revisions,
            "form": form,
            "errors": errors,
            "notice": notice,
            "action": match page {
                Some(page) => format!("/newsroom/pages/{}", page.id),
                None => "/newsroom/pages/new".to_owned(),
            },
        }),
    )
    .await
}

pub async fn new_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
) -> Result<Response, WebError> {
    staff.require(Action::ManagePages)?;
    form_page(
        &state,
        &staff,
        &csrf,
        None,
        &PageForm::default(),
        Map::new(),
        None,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<PageForm>,
) -> Result<Response, WebError> {
    staff.require(Action::ManagePages)?;
    let changes = match form.changes() {
        Ok(changes) => changes,
        Err(errors) => return form_page(&state, &staff, &csrf, None, &form, errors, None).await,
    };
    match pages::create(state.ctx(), &staff.as_actor(), changes, Timestamp::now()).await {
        Ok(page) => {
            Ok(Redirect::to(&format!("/newsroom/pages/{}?saved=1", page.id)).into_response())
        }
        Err(error) => {
            let errors = field_errors(error, "form")?;
            form_page(&state, &staff, &csrf, None, &form, errors, None).await
        }
    }
}

async fn load(state: &AppState, staff: &CurrentStaff, id: i64) -> Result<StaticPage, WebError> {
    Ok(pages::permitted(state.ctx(), &staff.as_actor(), id).await?)
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let page = load(&state, &staff, id).await?;
    let notice = query.saved.map(|_| "Saved.");
    form_page(
        &state,
        &staff,
        &csrf,
        Some(&page),
        &PageForm::of(&page),
        Map::new(),
        notice,
    )
    .await
}

pub async fn save(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(mut form): Form<PageForm>,
) -> Result<Response, WebError> {
    let page = load(&state, &staff, id).await?;
    let changes = match form.changes() {
        Ok(changes) => changes,
        Err(errors) => {
            return form_page(&state, &staff, &csrf, Some(&page), &form, errors, None).await;
        }
    };
    let expected = form.version.trim().parse().unwrap_or(page.version);
    let saved = pages::update(
        state.ctx(),
        &staff.as_actor(),
        id,
        expected,
        changes,
        Timestamp::now(),
    )
    .await;
    match saved {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/pages/{id}?saved=1")).into_response()),
        Err(UseCaseError::Conflict { current_version }) => {
            // What was typed stays in the form; saving again replaces the other version with it.
            let mut errors = Map::new();
            errors.insert(
                "form".into(),
                "Someone else saved this page since you opened it. Your text is below; compare \
                 it with the revisions and save again to replace theirs."
                    .into(),
            );
            form.version = current_version.to_string();
            form_page(&state, &staff, &csrf, Some(&page), &form, errors, None).await
        }
        Err(error) => {
            let errors = field_errors(error, "form")?;
            form_page(&state, &staff, &csrf, Some(&page), &form, errors, None).await
        }
    }
}

#[derive(Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    to: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<StatusForm>,
) -> Result<Response, WebError> {
    let actor = staff.as_actor();
    let now = Timestamp::now();
    let changed = match PageStatus::parse(&form.to) {
        Some(PageStatus::Published) => pages::publish(state.ctx(), &actor, id, now).await,
        Some(PageStatus::Draft) => pages::unpublish(state.ctx(), &actor, id, now).await,
        None => {
            return Err(WebError::bad_request("to must be published or draft"));
        }
    };
    match changed {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/pages/{id}?saved=1")).into_response()),
        Err(error) => {
            let errors = field_errors(error, "form")?;
            let page = load(&state, &staff, id).await?;
            form_page(
                &state,
                &staff,
                &csrf,
                Some(&page),
                &PageForm::of(&page),
                errors,
                None,
            )
            .await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    pages::delete(state.ctx(), &staff.as_actor(), id, Timestamp::now()).await?;
    Ok(Redirect::to("/newsroom/pages?deleted=1").into_response())
}

/// The page as readers see it (or will, once published), never cached.
pub async fn preview(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let page = load(&state, &staff, id).await?;
    crate::public::static_pages::render(&state, &page, crate::public::static_pages::Mode::Preview)
        .await
}
