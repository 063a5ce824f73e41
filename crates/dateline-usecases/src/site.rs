//! The site itself: its sections (name, address, description, order) and its settings (name,
//! tagline, language, time zone, policy links, logo). Admins manage both
//! ([`Action::ManageSections`], [`Action::ManageSettings`]); each change is written with its
//! audit entry and the `changes` row that drops the cached pages, in one transaction.

use dateline_core::{
    Action, Refusal, Refusals, Section, SectionRefusal, SettingsRefusal, SiteSettings, paths, slug,
};
use dateline_db::{DbError, SectionInput};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// A section as someone typed it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SectionDraft {
    pub name: String,
    /// Blank means "from the name".
    pub slug: String,
    pub description: String,
    /// Its place in the navigation, a whole number (lower first); blank for 0.
    pub position: String,
}

/// Adds a section.
pub async fn create_section(
    ctx: &Context,
    actor: &Actor,
    draft: &SectionDraft,
    now: Timestamp,
) -> Result<Section, UseCaseError> {
    actor.require(Action::ManageSections, false)?;
    let input = check_section(ctx, draft, None).await?;
    ctx.store
        .site()
        .create_section_as(&input, &actor.audit(), now)
        .await
        .map_err(section_slug_taken)
}

/// Changes section `id`. A new address leaves the old one redirecting to it.
pub async fn update_section(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    draft: &SectionDraft,
    now: Timestamp,
) -> Result<Section, UseCaseError> {
    let before = permitted_section(ctx, actor, id).await?;
    let input = check_section(ctx, draft, Some(&before)).await?;
    ctx.store
        .site()
        .update_section_as(id, &input, &actor.audit(), now)
        .await
        .map_err(section_slug_taken)
}

/// Section `id`, for someone who may manage sections.
pub async fn permitted_section(
    ctx: &Context,
    actor: &Actor,
    id: i64,
) -> Result<Section, UseCaseError> {
    actor.require(Action::ManageSections, false)?;
    ctx.store
        .site()
        .sections()
        .await?
        .into_iter()
        .find(|section| section.id == id)
        .ok_or(UseCaseError::NotFound)
}

/// The section the store saves, or everything wrong with `draft` at once. `current` is the
/// section as saved (`None` on create): keeping its own address is no collision.
async fn check_section(
    ctx: &Context,
    draft: &SectionDraft,
    current: Option<&Section>,
) -> Result<SectionInput, UseCaseError> {
    let mut refused: Vec<Refusal> = Vec::new();
    let name = draft.name.trim();
    if name.is_empty() {
        refused.push(SectionRefusal::NameMissing.into());
    }
    let slug = match draft.slug.trim() {
        "" => slug::slugify(name),
        typed => typed.to_owned(),
    };
    if draft.slug.trim().is_empty() && slug.is_empty() {
        if !name.is_empty() {
            refused.push(SectionRefusal::SlugUnusable.into());
        }
    } else if !slug::is_valid_slug(&slug) {
        refused.push(SectionRefusal::SlugInvalid.into());
    } else if paths::RESERVED_SECTION_SLUGS.contains(&slug.as_str()) {
        refused.push(SectionRefusal::SlugReserved { slug: slug.clone() }.into());
    } else if current.is_none_or(|section| section.slug != slug)
        && let Some(page) = ctx.store.static_pages().by_slug(&slug).await?
    {
        refused.push(SectionRefusal::SlugIsPage { title: page.title }.into());
    }
    let position = match draft.position.trim() {
        "" => Some(0),
        typed => typed.parse::<i32>().ok(),
    };
    if position.is_none() {
        refused.push(SectionRefusal::PositionInvalid.into());
    }
    match (Refusals::from_list(refused), position) {
        (None, Some(position)) => Ok(SectionInput {
            slug,
            name: name.to_owned(),
            description: draft.description.trim().to_owned(),
            position,
        }),
        (Some(refusals), _) => Err(UseCaseError::Refused(refusals)),
        (None, None) => Err(UseCaseError::refused(SectionRefusal::PositionInvalid)),
    }
}

/// Two saves racing for one address: the second is told next to the slug.
fn section_slug_taken(error: DbError) -> UseCaseError {
    match error {
        DbError::Duplicate(_) => UseCaseError::refused(SectionRefusal::SlugTaken),
        other => other.into(),
    }
}

/// The settings as someone typed them; blank policy links and logo mean none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsDraft {
    pub name: String,
    pub tagline: String,
    /// A BCP 47 tag: `en`, `es`, `pt-BR`.
    pub language: String,
    /// An IANA zone, e.g. `America/Bogota`.
    pub time_zone: String,
    pub corrections_policy_url: String,
    pub ethics_policy_url: String,
    pub ai_policy_url: String,
    /// A library picture's id.
    pub logo_image_id: String,
}

impl SettingsDraft {
    /// The form filled with what is saved.
    pub fn of(settings: &SiteSettings) -> Self {
        Self {
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
}

/// Saves the site's settings; every problem is reported at once.
pub async fn save_settings(
    ctx: &Context,
    actor: &Actor,
    draft: &SettingsDraft,
    now: Timestamp,
) -> Result<SiteSettings, UseCaseError> {
    actor.require(Action::ManageSettings, false)?;
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
    let mut settings = SiteSettings {
        name: draft.name.trim().to_owned(),
        tagline: draft.tagline.trim().to_owned(),
        language: draft.language.trim().to_owned(),
        time_zone: draft.time_zone.trim().to_owned(),
        corrections_policy_url: optional(&draft.corrections_policy_url),
        ethics_policy_url: optional(&draft.ethics_policy_url),
        ai_policy_url: optional(&draft.ai_policy_url),
        logo_image_id: None,
    };
    let mut refused: Vec<Refusal> = settings.check().into_iter().map(Refusal::from).collect();
    if let Some(typed) = optional(&draft.logo_image_id) {
        match typed.parse::<i64>() {
            Ok(id) if ctx.store.library().image(id).await?.is_some() => {
                settings.logo_image_id = Some(id)
            }
            _ => refused.push(SettingsRefusal::LogoUnknown.into()),
        }
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    ctx.store
        .site()
        .save_settings_as(&settings, &actor.audit(), now)
        .await?;
    Ok(settings)
}
