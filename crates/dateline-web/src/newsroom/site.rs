//! Site management: sections (name, address, description, order) and the site's settings,
//! through `dateline_usecases::site` (which checks, audits and drops the cached pages in one
//! transaction).

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, Section, SiteSettings, paths};
use dateline_usecases::site::{self, SectionDraft, SettingsDraft};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, WebError, field_errors, render};
use crate::AppState;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SectionForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    position: String,
}

impl SectionForm {
    fn of(section: &Section) -> Self {
        SectionForm {
            name: section.name.clone(),
            slug: section.slug.clone(),
            description: section.description.clone(),
            position: section.position.to_string(),
        }
    }

    fn draft(&self) -> SectionDraft {
        SectionDraft {
            name: self.name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            position: self.position.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    saved: Option<u8>,
}

async fn sections_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &SectionForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let sections: Vec<Value> = state
        .store()
        .site()
        .sections()
        .await?
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "name": s.name,
                "slug": s.slug,
                "description": s.description,
                "position": s.position,
                "public_url": paths::section(&s.slug),
            })
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/sections.html",
        status,
        json!({ "sections": sections, "form": form, "errors": errors, "notice": notice }),
    )
    .await
}

pub async fn sections(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageSections)?;
    let notice = query.saved.map(|_| "Saved.");
    sections_page(
        &state,
        &staff,
        &csrf,
        &SectionForm::default(),
        Map::new(),
        notice,
    )
    .await
}

pub async fn create_section(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<SectionForm>,
) -> Result<Response, WebError> {
    match site::create_section(
        state.ctx(),
        &staff.as_actor(),
        &form.draft(),
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/newsroom/sections?saved=1").into_response()),
        Err(error) => {
            let errors = field_errors(error, "name")?;
            sections_page(&state, &staff, &csrf, &form, errors, None).await
        }
    }
}

async fn section_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    section: &Section,
    form: &SectionForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/section_edit.html",
        status,
        json!({
            "section": { "id": section.id, "name": section.name, "slug": section.slug },
            "form": form,
            "errors": errors,
            "notice": notice,
        }),
    )
    .await
}

pub async fn section_form(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    let section = site::permitted_section(state.ctx(), &staff.as_actor(), id).await?;
    let notice = query
        .saved
        .map(|_| "Saved. The old address now redirects here.");
    let form = SectionForm::of(&section);
    section_page(&state, &staff, &csrf, &section, &form, Map::new(), notice).await
}

pub async fn update_section(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Path(id): Path<i64>,
    Form(form): Form<SectionForm>,
) -> Result<Response, WebError> {
    let actor = staff.as_actor();
    match site::update_section(state.ctx(), &actor, id, &form.draft(), Timestamp::now()).await {
        Ok(_) => Ok(Redirect::to(&format!("/newsroom/sections/{id}?saved=1")).into_response()),
        Err(error) => {
            let errors = field_errors(error, "name")?;
            let before = site::permitted_section(state.ctx(), &actor, id).await?;
            section_page(&state, &staff, &csrf, &before, &form, errors, None).await
        }
    }
}

/// How many recent library pictures the logo picker offers.
const LOGO_CHOICES: i64 = 200;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tagline: String,
    #[serde(default)]
    language: String,
    #[serde(default)]
    time_zone: String,
    #[serde(default)]
    corrections_policy_url: String,
    #[serde(default)]
    ethics_policy_url: String,
    #[serde(default)]
    ai_policy_url: String,
    #[serde(default)]
    logo_image_id: String,
}

impl SettingsForm {
    fn of(settings: &SiteSettings) -> Self {
        let draft = SettingsDraft::of(settings);
        SettingsForm {
            name: draft.name,
            tagline: draft.tagline,
            language: draft.language,
            time_zone: draft.time_zone,
            corrections_policy_url: draft.corrections_policy_url,
            ethics_policy_url: draft.ethics_policy_url,
            ai_policy_url: draft.ai_policy_url,
            logo_image_id: draft.logo_image_id,
        }
    }

    fn draft(&self) -> SettingsDraft {
        SettingsDraft {
            name: self.name.clone(),
            tagline: self.tagline.clone(),
            language: self.language.clone(),
            time_zone: self.time_zone.clone(),
            corrections_policy_url: self.corrections_policy_url.clone(),
            ethics_policy_url: self.ethics_policy_url.clone(),
            ai_policy_url: self.ai_policy_url.clone(),
            logo_image_id: self.logo_image_id.clone(),
        }
    }
}

async fn settings_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &SettingsForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, WebError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let logos: Vec<Value> = state
        .store()
        .library()
        .library_images("", 0, LOGO_CHOICES)
        .await?
        .images
        .iter()
        .map(|i| {
            let value = i.image.id.to_string();
            json!({
                "value": value,
                "label": format!("#{} {}", i.image.id, i.image.alt),
                "selected": value == form.logo_image_id.trim(),
            })
        })
        .collect();
    render(
        state,
        Some(staff),
        csrf,
        "newsroom/settings.html",
        status,
        json!({ "form": form, "errors": errors, "notice": notice, "logos": logos }),
    )
    .await
}

pub async fn settings(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Query(query): Query<NoticeQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::ManageSettings)?;
    let current = state.store().site().settings().await?;
    let notice = query.saved.map(|_| "Saved.");
    settings_page(
        &state,
        &staff,
        &csrf,
        &SettingsForm::of(&current),
        Map::new(),
        notice,
    )
    .await
}

pub async fn save_settings(
    State(state): State<AppState>,
    staff: CurrentStaff,
    csrf: Csrf,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    match site::save_settings(
        state.ctx(),
        &staff.as_actor(),
        &form.draft(),
        Timestamp::now(),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/newsroom/settings?saved=1").into_response()),
        Err(error) => {
            let errors = field_errors(error, "name")?;
            settings_page(&state, &staff, &csrf, &form, errors, None).await
        }
    }
}
