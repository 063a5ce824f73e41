//! Author profiles: byline, role, bio, a photo from the library and links. A staff member edits
//! the profile their account writes under; admins edit and create any.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, paths, slug};
use dateline_db::{AuthorInput, AuthorLink, AuthorProfile, AuthorProfileInput, DbError};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, NewsroomError, render};
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

    fn check(&self) -> Result<AuthorProfileInput, Map<String, Value>> {
        let mut errors = Map::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.insert("name".into(), "Give the author's name.".into());
        }
        let slug = match self.slug.trim() {
            "" => slug::slugify(name),
            typed => typed.to_owned(),
        };
        if !slug.is_empty() && !slug::is_valid_slug(&slug) {
            errors.insert(
                "slug".into(),
                "Use lowercase letters, digits and single hyphens.".into(),
            );
        }
        let photo_image_id = match self.photo_image_id.trim() {
            "" => None,
            typed => match typed.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert("photo_image_id".into(), "Choose a picture.".into());
                    None
                }
            },
        };
        let mut links = Vec::new();
        for line in self.links.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let (label, url) = match line.rsplit_once(char::is_whitespace) {
                Some((label, url)) => (label.trim().to_owned(), url.to_owned()),
                None => (host_of(line).unwrap_or_default(), line.to_owned()),
            };
            let web = url.starts_with("https://") || url.starts_with("http://");
            if !web || label.is_empty() {
                errors.insert(
                    "links".into(),
                    format!(
                        "“{line}” is not a link: put a label, a space, then an address starting \
                         with https://."
                    )
                    .into(),
                );
                break;
            }
            links.push(AuthorLink { label, url });
        }
        if errors.is_empty() {
            Ok(AuthorProfileInput {
                author: AuthorInput {
                    slug,
                    name: name.to_owned(),
                    role: self.role.trim().to_owned(),
                    bio: self.bio.trim().to_owned(),
                },
                photo_image_id,
                links,
            })
        } else {
            Err(errors)
        }
    }
}

fn host_of(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let host = rest.split(['/', '?', '#']).next()?;
    (!host.is_empty()).then(|| host.trim_start_matches("www.").to_owned())
}

fn store_error(error: DbError) -> Result<Map<String, Value>, NewsroomError> {
    let mut errors = Map::new();
    match error {
        DbError::Duplicate(_) => {
            errors.insert(
                "slug".into(),
                "Another author already has this address.".into(),
            );
        }
        DbError::Invalid(message) if message.contains("photo") => {
            errors.insert("photo_image_id".into(), message.into());
        }
        DbError::Invalid(message) => {
            errors.insert("name".into(), message.into());
        }
        other => return Err(other.into()),
    }
    Ok(errors)
}

fn owns(staff: &CurrentStaff, author_id: i64) -> bool {
    staff.member.author_id == Some(author_id)
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<u8>,
}

async fn photo_choices(state: &AppState, selected: &str) -> Result<Vec<Value>, NewsroomError> {
    Ok(state
        .store()
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
) -> Result<Response, NewsroomError> {
    let authors: Vec<Value> = state
        .store()
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
) -> Result<Response, NewsroomError> {
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
) -> Result<Response, NewsroomError> {
    staff.require_on(Action::EditAuthorProfile, false)?;
    let input = match form.check() {
        Ok(input) => input,
        Err(errors) => return authors_page(&state, &staff, &csrf, &form, errors, None).await,
    };
    match state
        .store()
        .save_author_profile(None, &input, &staff.actor(), Timestamp::now())
        .await
    {
        Ok(_) => Ok(Redirect::to("/newsroom/authors?saved=1").into_response()),
        Err(error) => {
            let errors = store_error(error)?;
            authors_page(&state, &staff, &csrf, &form, errors, None).await
        }
    }
}

async fn load(state: &AppState, id: i64) -> Result<AuthorProfile, NewsroomError> {
    state
        .store()
        .author_profile(id)
        .await?
        .ok_or(NewsroomError::Web(crate::WebError::NotFound))
}

async fn author_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    profile: &AuthorProfile,
    form: &AuthorForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, NewsroomError> {
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
) -> Result<Response, NewsroomError> {
    let profile = load(&state, id).await?;
    staff.require_on(Action::EditAuthorProfile, owns(&staff, id))?;
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
) -> Result<Response, NewsroomError> {
    let profile = load(&state, id).await?;
    staff.require_on(Action::EditAuthorProfile, owns(&staff, id))?;
    let input = match form.check() {
        Ok(input) => input,
        Err(errors) => {
            return author_page(&state, &staff, &csrf, &profile, &form, errors, None).await;
        }
    };
    match state
        .store()
        .save_author_profile(Some(id), &input, &staff.actor(), Timestamp::now())
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/authors/{id}?saved=1")).into_response()),
        Err(error) => {
            let errors = store_error(error)?;
            author_page(&state, &staff, &csrf, &profile, &form, errors, None).await
        }
    }
}
