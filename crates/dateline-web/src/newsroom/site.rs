//! Site management: sections (name, address, description, order) and the site's settings. Every
//! change is audited; the store functions record the change that drops cached public pages.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use dateline_core::{Action, Section, SiteSettings, paths, slug};
use dateline_db::{AuditEntry, DbError, SectionInput};
use http::StatusCode;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Csrf, CurrentStaff, NewsroomError, render};
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

    /// The store's input, or the errors to show next to each field.
    fn check(&self) -> Result<SectionInput, Map<String, Value>> {
        let mut errors = Map::new();
        let name = self.name.trim();
        if name.is_empty() {
            errors.insert("name".into(), "Give the section a name.".into());
        }
        // An empty address is made from the name, as people expect of a new section.
        let slug = match self.slug.trim() {
            "" => slug::slugify(name),
            typed => typed.to_owned(),
        };
        if !slug.is_empty() && !slug::is_valid_slug(&slug) {
            errors.insert(
                "slug".into(),
                "Use lowercase letters, digits and single hyphens.".into(),
            );
        } else if paths::RESERVED_SECTION_SLUGS.contains(&slug.as_str()) {
            errors.insert(
                "slug".into(),
                format!("“{slug}” is reserved for the site's own pages.").into(),
            );
        }
        let position = match self.position.trim() {
            "" => Ok(0),
            typed => typed.parse::<i32>(),
        };
        if position.is_err() {
            errors.insert(
                "position".into(),
                "The order is a whole number; lower comes first.".into(),
            );
        }
        match (errors.is_empty(), position) {
            (true, Ok(position)) => Ok(SectionInput {
                slug,
                name: name.to_owned(),
                description: self.description.trim().to_owned(),
                position,
            }),
            _ => Err(errors),
        }
    }
}

/// A section at a static page's address would hide the page (sections answer `/{slug}` first).
async fn page_has_address(
    state: &AppState,
    slug: &str,
) -> Result<Option<Map<String, Value>>, NewsroomError> {
    Ok(state.store().page_by_slug(slug).await?.map(|page| {
        let mut errors = Map::new();
        errors.insert(
            "slug".into(),
            format!(
                "The page “{}” has this address; choose another one.",
                page.title
            )
            .into(),
        );
        errors
    }))
}

/// Moves a store refusal next to the field it is about.
fn section_error(error: DbError) -> Result<Map<String, Value>, NewsroomError> {
    let mut errors = Map::new();
    match error {
        DbError::Duplicate(_) => {
            errors.insert(
                "slug".into(),
                "Another section already has this address.".into(),
            );
        }
        DbError::Invalid(message) => {
            errors.insert("slug".into(), message.into());
        }
        other => return Err(other.into()),
    }
    Ok(errors)
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
) -> Result<Response, NewsroomError> {
    let sections: Vec<Value> = state
        .store()
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
) -> Result<Response, NewsroomError> {
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageSections)?;
    let input = match form.check() {
        Ok(input) => input,
        Err(errors) => return sections_page(&state, &staff, &csrf, &form, errors, None).await,
    };
    if let Some(errors) = page_has_address(&state, &input.slug).await? {
        return sections_page(&state, &staff, &csrf, &form, errors, None).await;
    }
    match state.store().create_section(&input).await {
        Ok(section) => {
            audit(
                &state,
                &staff,
                "section.create",
                section.id,
                format!("“{}” at /{}", section.name, section.slug),
            )
            .await?;
            Ok(Redirect::to("/newsroom/sections?saved=1").into_response())
        }
        Err(error) => {
            let errors = section_error(error)?;
            sections_page(&state, &staff, &csrf, &form, errors, None).await
        }
    }
}

async fn audit(
    state: &AppState,
    staff: &CurrentStaff,
    action: &str,
    subject_id: i64,
    detail: String,
) -> Result<(), NewsroomError> {
    let (kind, _) = action.split_once('.').unwrap_or((action, ""));
    state
        .store()
        .append_audit(
            &AuditEntry {
                actor: staff.actor(),
                action: action.to_owned(),
                subject_kind: kind.to_owned(),
                subject_id: Some(subject_id),
                detail,
            },
            Timestamp::now(),
        )
        .await?;
    Ok(())
}

async fn section_by_id(state: &AppState, id: i64) -> Result<Section, NewsroomError> {
    state
        .store()
        .sections()
        .await?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or(NewsroomError::Web(crate::WebError::NotFound))
}

async fn section_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    section: &Section,
    form: &SectionForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, NewsroomError> {
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageSections)?;
    let section = section_by_id(&state, id).await?;
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageSections)?;
    let before = section_by_id(&state, id).await?;
    let input = match form.check() {
        Ok(input) => input,
        Err(errors) => {
            return section_page(&state, &staff, &csrf, &before, &form, errors, None).await;
        }
    };
    if input.slug != before.slug
        && let Some(errors) = page_has_address(&state, &input.slug).await?
    {
        return section_page(&state, &staff, &csrf, &before, &form, errors, None).await;
    }
    match state.store().update_section(id, &input).await {
        Ok(after) => {
            let mut changed = Vec::new();
            if before.name != after.name {
                changed.push(format!("name “{}” → “{}”", before.name, after.name));
            }
            if before.slug != after.slug {
                changed.push(format!(
                    "address /{} → /{} (old address redirects)",
                    before.slug, after.slug
                ));
            }
            if before.description != after.description {
                changed.push("description".to_owned());
            }
            if before.position != after.position {
                changed.push(format!("order {} → {}", before.position, after.position));
            }
            let detail = if changed.is_empty() {
                "saved unchanged".to_owned()
            } else {
                changed.join("; ")
            };
            audit(&state, &staff, "section.update", id, detail).await?;
            Ok(Redirect::to(&format!("/newsroom/sections/{id}?saved=1")).into_response())
        }
        Err(error) => {
            let errors = section_error(error)?;
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

fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl SettingsForm {
    fn of(settings: &SiteSettings) -> Self {
        SettingsForm {
            name: settings.name.clone(),
            tagline: settings.tagline.clone(),
            language: settings.language.clone(),
            time_zone: settings.time_zone.clone(),
            corrections_policy_url: settings.corrections_policy_url.clone().unwrap_or_default(),
            ethics_policy_url: settings.ethics_policy_url.clone().unwrap_or_default(),
            ai_policy_url: settings.ai_policy_url.clone().unwrap_or_default(),
            logo_image_id: settings
                .logo_image_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        }
    }

    /// The settings, or the errors per field. Each field is checked on its own so that every
    /// mistake is shown at once, next to its field.
    fn check(&self) -> Result<SiteSettings, Map<String, Value>> {
        let settings = SiteSettings {
            name: self.name.trim().to_owned(),
            tagline: self.tagline.trim().to_owned(),
            language: self.language.trim().to_owned(),
            time_zone: self.time_zone.trim().to_owned(),
            corrections_policy_url: optional(&self.corrections_policy_url),
            ethics_policy_url: optional(&self.ethics_policy_url),
            ai_policy_url: optional(&self.ai_policy_url),
            logo_image_id: None,
        };
        let mut errors = Map::new();
        let base = SiteSettings {
            name: "x".to_owned(),
            time_zone: "UTC".to_owned(),
            corrections_policy_url: None,
            ethics_policy_url: None,
            ai_policy_url: None,
            ..settings.clone()
        };
        let probes: [(&str, SiteSettings); 5] = [
            (
                "name",
                SiteSettings {
                    name: settings.name.clone(),
                    ..base.clone()
                },
            ),
            (
                "time_zone",
                SiteSettings {
                    time_zone: settings.time_zone.clone(),
                    ..base.clone()
                },
            ),
            (
                "corrections_policy_url",
                SiteSettings {
                    corrections_policy_url: settings.corrections_policy_url.clone(),
                    ..base.clone()
                },
            ),
            (
                "ethics_policy_url",
                SiteSettings {
                    ethics_policy_url: settings.ethics_policy_url.clone(),
                    ..base.clone()
                },
            ),
            (
                "ai_policy_url",
                SiteSettings {
                    ai_policy_url: settings.ai_policy_url.clone(),
                    ..base.clone()
                },
            ),
        ];
        for (field, probe) in probes {
            if let Err(message) = probe.validate() {
                errors.insert(field.into(), capitalise(&message).into());
            }
        }
        let language_ok = !settings.language.is_empty()
            && settings.language.len() <= 35
            && settings
                .language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !language_ok {
            errors.insert(
                "language".into(),
                "Use a language tag such as en, es or pt-BR.".into(),
            );
        }
        let logo_image_id = match self.logo_image_id.trim() {
            "" => None,
            typed => match typed.parse::<i64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.insert("logo_image_id".into(), "Choose a picture.".into());
                    None
                }
            },
        };
        if errors.is_empty() {
            Ok(SiteSettings {
                logo_image_id,
                ..settings
            })
        } else {
            Err(errors)
        }
    }
}

fn capitalise(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

async fn settings_page(
    state: &AppState,
    staff: &CurrentStaff,
    csrf: &Csrf,
    form: &SettingsForm,
    errors: Map<String, Value>,
    notice: Option<&str>,
) -> Result<Response, NewsroomError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let logos: Vec<Value> = state
        .store()
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageSettings)?;
    let current = state.store().settings().await?;
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
) -> Result<Response, NewsroomError> {
    staff.require(Action::ManageSettings)?;
    let settings = match form.check() {
        Ok(settings) => settings,
        Err(errors) => return settings_page(&state, &staff, &csrf, &form, errors, None).await,
    };
    if let Some(id) = settings.logo_image_id
        && state.store().image(id).await?.is_none()
    {
        let mut errors = Map::new();
        errors.insert(
            "logo_image_id".into(),
            "That picture is no longer in the library.".into(),
        );
        return settings_page(&state, &staff, &csrf, &form, errors, None).await;
    }
    let before = state.store().settings().await?;
    state.store().save_settings(&settings).await?;
    let mut changed = Vec::new();
    let mut note = |what: &str, old: &str, new: &str| {
        if old != new {
            changed.push(format!("{what} “{old}” → “{new}”"));
        }
    };
    note("name", &before.name, &settings.name);
    note("tagline", &before.tagline, &settings.tagline);
    note("language", &before.language, &settings.language);
    note("time zone", &before.time_zone, &settings.time_zone);
    let url = |u: &Option<String>| u.clone().unwrap_or_default();
    note(
        "corrections policy",
        &url(&before.corrections_policy_url),
        &url(&settings.corrections_policy_url),
    );
    note(
        "ethics policy",
        &url(&before.ethics_policy_url),
        &url(&settings.ethics_policy_url),
    );
    note(
        "AI-use policy",
        &url(&before.ai_policy_url),
        &url(&settings.ai_policy_url),
    );
    let logo = |id: Option<i64>| id.map(|id| format!("image {id}")).unwrap_or_default();
    note(
        "logo",
        &logo(before.logo_image_id),
        &logo(settings.logo_image_id),
    );
    let detail = if changed.is_empty() {
        "saved unchanged".to_owned()
    } else {
        changed.join("; ")
    };
    state
        .store()
        .append_audit(
            &AuditEntry {
                actor: staff.actor(),
                action: "settings.update".to_owned(),
                subject_kind: "settings".to_owned(),
                subject_id: None,
                detail,
            },
            Timestamp::now(),
        )
        .await?;
    Ok(Redirect::to("/newsroom/settings?saved=1").into_response())
}
