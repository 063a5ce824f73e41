//! Author profiles: byline, role, bio, a photo from the library and links. A staff member edits
//! the profile their account writes under; admins edit and create any
//! (`dateline_usecases::authors` decides, checks and saves).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, paths};
use dateline_db::AuthorProfile;
use dateline_usecases::authors::{self, AuthorDraft};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, WebError, field_errors, render};
use crate::AppState;

/// How many recent library pictures the photo picker offers.
const PHOTO_CHOICES: i64 = 200;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    bio: String,
    #[serde(default)]
    photo_image_id: String,
    /// One link a line: a label, then the address (`Mastodon https://…`); a bare address is
    /// labelled with its host.
    #[serde(default)]
    links: String,
}

impl AuthorForm {
    fn of(profile: &AuthorProfile) -> Self {
        AuthorForm {
            name: profile.author.name.clone(),
            slug: profile.author.slug.clone(),
            role: profile.author.role.clone(),
            bio: profile.author.bio.clone(),
            photo_image_id: profile
                .photo_image_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            links: profile
                .links
                .iter()
                .map(|l| format!("{} {}", l.label, l.url))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    fn draft(&self) -> AuthorDraft {
        AuthorDraft {
            name: self.name.clone(),
            slug: self.slug.clone(),
            role: self.role.clone(),
            bio: self.bio.clone(),
            photo_image_id: self.photo_image_id.clone(),
            links: self.links.clone(),
        }
    }
}

fn owns(staff: &CurrentStaff, author_id: i64) -> bool {
    staff.member.author_id == Some(author_id)
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<u8>,
}

async fn photo_choices(state: &AppState, selected: &str) -> Result<Vec<Value>, WebError> {
    Ok(state
        .store()
        .library()
        .library_images("", 0, PHOTO_CHOICES)
        .await?
        .images
        .iter()
        .map(|i| {
            let value = i.image.id.to_string();
            json!({
                "value": value,
                "label": format!("#{} {}", i.image.id, i.image.alt),
                "selected": value == selected,
            })
        })
        .collect())
}

async fn authors_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &AuthorForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let authors: Vec<Value> = state
        .store()
        .people()
        .author_profiles()
        .await?
        .iter()
        .map(|p| {
            json!({
                "id": p.author.id,
                "name": p.author.name,
                "role": p.author.role,
                "public_url": paths::author(&p.author.slug),
                "editable": staff.may(Action::EditAuthorProfile, owns(staff, p.author.id)),
            })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let may_create = staff.may(Action::EditAuthorProfile, false);
    let photos = if may_create {
        photo_choices(state, &form.photo_image_id).await?
    } else {
        Vec::new()
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/authors.html",
        status,
        json!({
            "authors": authors,
            "may_create": may_create,
            "form": form,
            "errors": errors,
            "notice": notice,
            "photos": photos,
        }),
    )
    .await
}

pub async fn list(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::UseNewsroom)?;
    let notice = query.saved.map(|_| "Saved.");
    authors_page(
        &state,
        &staff,
        &csrf,
        &AuthorForm::default(),
        Map::new(),
        notice,
    )
    .await
}

pub async fn create(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<AuthorForm>,
) -> Result<Response, WebError> {
    match authors::create(
        state.ctx(),
        &staff.as_actor(),
        &form.draft(),
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/newsroom/authors?saved=1").into_response()),
        Err(error) => {
            let errors = field_errors(error, "name")?;
            authors_page(&state, &staff, &csrf, &form, errors, None).await
        }
    }
}

async fn author_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    profile: &AuthorProfile,
    form: &AuthorForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let photos = photo_choices(state, &form.photo_image_id).await?;
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/author_edit.html",
        status,
        json!({
            "author": {
                "id": profile.author.id,
                "name": profile.author.name,
                "public_url": paths::author(&profile.author.slug),
            },
            "form": form,
            "errors": errors,
            "notice": notice,
            "photos": photos,
        }),
    )
    .await
}

pub async fn edit_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let profile = authors::permitted(state.ctx(), &staff.as_actor(), id).await?;
    let notice = query.saved.map(|_| "Saved.");
    let form = AuthorForm::of(&profile);
    author_page(&state, &staff, &csrf, &profile, &form, Map::new(), notice).await
}

pub async fn save(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<AuthorForm>,
) -> Result<Response, WebError> {
    let actor = staff.as_actor();
    match authors::update(state.ctx(), &actor, id, &form.draft(), Timestamp::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/authors/{id}?saved=1")).into_response()),
        Err(error) => {
            let errors = field_errors(error, "name")?;
            let profile = authors::permitted(state.ctx(), &actor, id).await?;
            author_page(&state, &staff, &csrf, &profile, &form, errors, None).await
        }
    }
}
