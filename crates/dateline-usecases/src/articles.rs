//! Articles: writing them, the editorial workflow, revisions, and the notes a published story
//! gets when it changes.
//!
//! Whose work an article is follows one rule (`Articles::owned_by`): the staff member
//! started it or their author profile is on its byline. Whose *name* it carries follows another
//! ([`dateline_core::may_change_byline`]): an author adds or removes only their own byline.

use dateline_core::refusal::limits;
use dateline_core::workflow::{parse_local_date_time, resolve_local_time};
use dateline_core::{
    Action, Article, ArticleNote, ArticlePage, ArticleRefusal, ArticleStatus, NoteKind,
    NoteRefusal, Refusal, Refusals, TipKind, TipResolution, TipStatus, may_change_byline, notes,
    slug,
};
use dateline_db::{ArticleInput, DbError};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// Which section: the newsroom form names it by id, the Admin API by slug.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SectionChoice {
    Id(i64),
    Slug(String),
    /// Nothing chosen.
    Blank,
}

impl SectionChoice {
    /// What a form field holds: a number is an id, anything else a slug, nothing is blank.
    pub fn from_form(text: &str) -> Self {
        let text = text.trim();
        if text.is_empty() {
            Self::Blank
        } else if let Ok(id) = text.parse() {
            Self::Id(id)
        } else {
            Self::Slug(text.to_owned())
        }
    }
}

/// Who is on the byline: by id (the form) or by slug (the Admin API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorChoice {
    Id(i64),
    Slug(String),
}

impl AuthorChoice {
    pub fn from_form(text: &str) -> Self {
        let text = text.trim();
        match text.parse() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Slug(text.to_owned()),
        }
    }
}

/// An article's editable fields as someone gave them. `None` keeps the current value on a save;
/// on create it takes the default (the site's language, comments open, the actor's own byline)
/// or, for the section and headline, is refused as missing.
#[derive(Debug, Clone, Default)]
pub struct ArticleChanges {
    pub section: Option<SectionChoice>,
    pub headline: Option<String>,
    /// Blank means "from the headline".
    pub slug: Option<String>,
    pub standfirst: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// `Some(None)` clears it.
    pub dateline_place: Option<Option<String>>,
    /// `Some(None)` clears it.
    pub hero_image: Option<Option<i64>>,
    /// In byline order.
    pub authors: Option<Vec<AuthorChoice>>,
    pub tags: Option<Vec<String>>,
    /// BCP 47.
    pub language: Option<String>,
    pub comments_open: Option<bool>,
}

/// The permission editing an article in `status` needs.
pub fn edit_action(status: ArticleStatus) -> Action {
    match status {
        ArticleStatus::Draft | ArticleStatus::InReview => Action::EditDraft,
        _ => Action::EditPublished,
    }
}

/// The permission moving an article from `from` to `to` needs.
pub fn transition_action(from: ArticleStatus, to: ArticleStatus) -> Action {
    match to {
        ArticleStatus::InReview => Action::SubmitForReview,
        ArticleStatus::Published => Action::Publish,
        ArticleStatus::Unpublished => Action::Unpublish,
        ArticleStatus::Scheduled => Action::Schedule,
        ArticleStatus::Draft => match from {
            // Whoever may submit may take it back.
            ArticleStatus::InReview => Action::SubmitForReview,
            ArticleStatus::Scheduled => Action::Schedule,
            _ => Action::EditPublished,
        },
    }
}

/// Whether the article is the actor's own work (the platform's is everyone's).
pub async fn owns(ctx: &Context, actor: &Actor, article_id: i64) -> Result<bool, UseCaseError> {
    match actor.owner() {
        Some(owner) => Ok(ctx.store.articles().owned_by(article_id, owner).await?),
        None => Ok(true),
    }
}

/// Loads an article for `actor`, who must be allowed `action` on it (which may depend on the
/// article as it stands). Says whether it is the actor's own.
pub async fn permitted(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    action: impl FnOnce(&ArticlePage) -> Action,
) -> Result<(ArticlePage, bool), UseCaseError> {
    let page = ctx
        .store
        .articles()
        .article_page(id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let owns = owns(ctx, actor, id).await?;
    actor.require(action(&page), owns)?;
    Ok((page, owns))
}

/// Starts a new article: a draft (or in review) whose first revision is the actor's.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    mut fields: ArticleChanges,
    status: ArticleStatus,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    actor.require(Action::CreateDraft, true)?;
    if !matches!(status, ArticleStatus::Draft | ArticleStatus::InReview) {
        return Err(UseCaseError::refused(ArticleRefusal::NewArticleStatus {
            status,
        }));
    }
    if status == ArticleStatus::InReview {
        actor.require(Action::SubmitForReview, true)?;
    }
    if fields.authors.is_none() {
        fields.authors = Some(
            actor
                .own_author()
                .map(AuthorChoice::Id)
                .into_iter()
                .collect(),
        );
    }
    // The site's language is only the default: a writer who names one spares the read.
    let language = match &fields.language {
        Some(_) => String::new(),
        None => ctx.store.site().settings().await?.language,
    };
    let base = ArticleInput {
        section_id: 0,
        slug: String::new(),
        headline: String::new(),
        standfirst: String::new(),
        body: String::new(),
        dateline_place: None,
        hero_image_id: None,
        author_ids: Vec::new(),
        tags: Vec::new(),
        language,
        comments_open: true,
        status,
        first_published_at: None,
        updated_at: None,
    };
    let input = merge(ctx, actor, fields, base, &[], true).await?;
    ctx.store
        .articles()
        .create_as(&input, &actor.audit(), now)
        .await
        .map_err(slug_taken)
}

/// Saves a new revision of article `id`. `expected_version` is the version the writer started
/// from: if someone saved since, nothing is written and the answer is
/// [`UseCaseError::Conflict`]. A save never changes the status: that is [`change_status`].
pub async fn save(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    fields: ArticleChanges,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    let (page, _) = permitted(ctx, actor, id, |page| edit_action(page.article.status)).await?;
    if page.article.version != expected_version {
        return Err(UseCaseError::Conflict {
            current_version: page.article.version,
        });
    }
    let before: Vec<i64> = page.authors.iter().map(|a| a.id).collect();
    let input = merge(ctx, actor, fields, input_of(&page), &before, false).await?;
    ctx.store
        .articles()
        .save(id, expected_version, &input, &actor.audit(), now)
        .await
        .map_err(slug_taken)
}

/// Moves article `id` to `to` (submit, publish, unpublish, back to draft). Scheduling needs a
/// time: [`schedule`].
pub async fn change_status(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    to: ArticleStatus,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    // Only the status decides who may: the article alone, not the whole page `permitted` loads
    // (a bulk import or the demo publishes thousands in a row).
    let article = ctx
        .store
        .articles()
        .by_id(id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let owns = owns(ctx, actor, id).await?;
    actor.require(transition_action(article.status, to), owns)?;
    if to == ArticleStatus::Scheduled {
        return Err(UseCaseError::refused(
            dateline_core::workflow::WorkflowError::Illegal {
                from: article.status,
                to,
            },
        ));
    }
    Ok(ctx
        .store
        .articles()
        .transition(id, to, &actor.audit(), now)
        .await?)
}

/// When a scheduled article goes out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublishTime {
    /// An instant, as the Admin API's `publish_at` gives it.
    At(Timestamp),
    /// Wall-clock time typed in the newsroom's time zone (`YYYY-MM-DDTHH:MM`).
    Local(String),
}

/// A scheduled article, and what its writer should know about the time they chose (a local time
/// the clocks pass twice).
#[derive(Debug, Clone)]
pub struct Scheduled {
    pub article: Article,
    pub notice: Option<String>,
}

/// Schedules article `id` to be published at `when` (its embargo); rescheduling moves the time.
pub async fn schedule(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    when: PublishTime,
    now: Timestamp,
) -> Result<Scheduled, UseCaseError> {
    permitted(ctx, actor, id, |_| Action::Schedule).await?;
    let (at, notice) = match when {
        PublishTime::At(at) => (at, None),
        PublishTime::Local(text) => {
            let zone = ctx.store.site().settings().await?.time_zone;
            let resolved = parse_local_date_time(&text)
                .and_then(|local| resolve_local_time(local, &zone))
                .map_err(UseCaseError::refused)?;
            (resolved.at, resolved.notice())
        }
    };
    let article = ctx
        .store
        .articles()
        .schedule(id, at, &actor.audit(), now)
        .await?;
    Ok(Scheduled { article, notice })
}

/// Brings revision `number` back as a new revision (history is never rewritten). The same
/// rules as a save apply, the byline's among them.
pub async fn restore_revision(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    number: i64,
    expected_version: i64,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    let (page, owns) = permitted(ctx, actor, id, |_| Action::UseRevisions).await?;
    actor.require(edit_action(page.article.status), owns)?;
    let revision = ctx
        .store
        .articles()
        .revision(id, number)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let before: Vec<i64> = page.authors.iter().map(|a| a.id).collect();
    check_byline(actor, &before, &revision.snapshot.author_ids)?;
    ctx.store
        .articles()
        .restore_revision(id, number, expected_version, &actor.audit(), now)
        .await
        .map_err(slug_taken)
}

/// Adds a correction, clarification or update note to a published article. When it answers a
/// reader's correction request (`from_tip`) and the actor may triage tips, the tip is linked to
/// the correction and resolved.
pub async fn add_note(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    kind: &str,
    text: &str,
    from_tip: Option<i64>,
    now: Timestamp,
) -> Result<ArticleNote, UseCaseError> {
    let (page, _) = permitted(ctx, actor, id, |_| Action::AddUpdateNote).await?;
    let mut refused = Vec::new();
    let kind = NoteKind::parse(kind);
    if kind.is_none() {
        refused.push(NoteRefusal::KindUnknown.into());
    }
    if let Err(refusal) = notes::check_note_text(text) {
        refused.push(refusal.into());
    }
    if page.article.status != ArticleStatus::Published {
        refused.push(NoteRefusal::NotPublished.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let Some(kind) = kind else {
        return Err(UseCaseError::refused(NoteRefusal::KindUnknown));
    };
    let note = ctx
        .store
        .articles()
        .add_note(id, kind, text, &actor.audit(), now)
        .await?;
    if kind == NoteKind::Correction
        && let Some(tip) = correction_request(ctx, actor, from_tip, id).await?
    {
        ctx.store
            .tips()
            .link_correction(tip, note.id, &actor.audit(), now)
            .await?;
        ctx.store
            .tips()
            .set_status(
                tip,
                TipStatus::Resolved,
                Some(TipResolution::CorrectionPublished),
                &actor.audit(),
                now,
            )
            .await?;
    }
    Ok(note)
}

/// The tip `tip` if it is a correction request about article `article_id` that the actor may
/// handle and that has no correction yet.
pub async fn correction_request(
    ctx: &Context,
    actor: &Actor,
    tip: Option<i64>,
    article_id: i64,
) -> Result<Option<i64>, UseCaseError> {
    let Some(tip_id) = tip.filter(|_| actor.may(Action::TriageTips, false)) else {
        return Ok(None);
    };
    Ok(ctx.store.tips().by_id(tip_id).await?.and_then(|tip| {
        (tip.kind == TipKind::Correction
            && tip.article_id == Some(article_id)
            && tip.correction_note_id.is_none())
        .then_some(tip.id)
    }))
}

/// The scheduler: publishes every scheduled article whose time has come.
pub async fn publish_due(ctx: &Context, now: Timestamp) -> Result<Vec<Article>, UseCaseError> {
    Ok(ctx.store.articles().publish_due(now).await?)
}

/// The fields of a saved article as a save would write them back unchanged.
pub fn input_of(page: &ArticlePage) -> ArticleInput {
    let article = &page.article;
    ArticleInput {
        section_id: article.section_id,
        slug: article.slug.clone(),
        headline: article.headline.clone(),
        standfirst: article.standfirst.clone(),
        body: article.body.clone(),
        dateline_place: article.dateline_place.clone(),
        hero_image_id: article.hero_image_id,
        author_ids: page.authors.iter().map(|a| a.id).collect(),
        tags: page.tags.iter().map(|t| t.name.clone()).collect(),
        language: article.language.clone(),
        comments_open: article.comments_open,
        status: article.status,
        first_published_at: None,
        updated_at: None,
    }
}

fn check_byline(actor: &Actor, before: &[i64], after: &[i64]) -> Result<(), UseCaseError> {
    match actor.role() {
        Some(role) if !may_change_byline(role, actor.own_author(), before, after) => {
            Err(UseCaseError::refused(ArticleRefusal::BylineNeedsEditor))
        }
        _ => Ok(()),
    }
}

/// The one unique value a person types is the address: say so next to it.
fn slug_taken(error: DbError) -> UseCaseError {
    match error {
        DbError::Duplicate(_) => UseCaseError::refused(ArticleRefusal::SlugTaken),
        other => other.into(),
    }
}

/// Checks `fields` and lays them over `input`; every problem found is reported at once.
pub(crate) async fn merge(
    ctx: &Context,
    actor: &Actor,
    fields: ArticleChanges,
    mut input: ArticleInput,
    byline_before: &[i64],
    creating: bool,
) -> Result<ArticleInput, UseCaseError> {
    let store = &ctx.store;
    let mut refused: Vec<Refusal> = Vec::new();
    let mut refuse = |refusal: ArticleRefusal| refused.push(refusal.into());

    match fields.headline.as_deref().map(str::trim) {
        Some("") => refuse(ArticleRefusal::HeadlineMissing),
        Some(headline) if headline.chars().count() > limits::HEADLINE_CHARS => {
            refuse(ArticleRefusal::HeadlineTooLong {
                max: limits::HEADLINE_CHARS,
            });
        }
        Some(headline) => input.headline = headline.to_owned(),
        None if creating => refuse(ArticleRefusal::HeadlineMissing),
        None => {}
    }
    match fields.slug.as_deref().map(str::trim) {
        Some(candidate) if !candidate.is_empty() => {
            if slug::is_valid_slug(candidate) {
                input.slug = candidate.to_owned();
            } else {
                refuse(ArticleRefusal::SlugInvalid);
            }
        }
        // Blank, or left out of a new article: made from the headline.
        Some(_) | None if creating || fields.slug.is_some() => {
            input.slug = slug::slugify(&input.headline);
            if input.slug.is_empty() && !input.headline.is_empty() {
                refuse(ArticleRefusal::SlugUnusable);
            }
        }
        _ => {}
    }
    match fields.section {
        Some(SectionChoice::Blank) => refuse(ArticleRefusal::SectionMissing),
        Some(choice) => {
            let sections = store.site().sections().await?;
            let found = sections.iter().find(|section| match &choice {
                SectionChoice::Id(id) => section.id == *id,
                SectionChoice::Slug(slug) => section.slug == *slug,
                SectionChoice::Blank => false,
            });
            match found {
                Some(section) => input.section_id = section.id,
                None => refuse(ArticleRefusal::SectionUnknown),
            }
        }
        None if creating => refuse(ArticleRefusal::SectionMissing),
        None => {}
    }
    if let Some(standfirst) = fields.standfirst {
        let standfirst = standfirst.trim();
        if standfirst.chars().count() > limits::STANDFIRST_CHARS {
            refuse(ArticleRefusal::StandfirstTooLong {
                max: limits::STANDFIRST_CHARS,
            });
        }
        input.standfirst = standfirst.to_owned();
    }
    if let Some(body) = fields.body {
        if body.chars().count() > limits::BODY_CHARS {
            refuse(ArticleRefusal::BodyTooLong {
                max: limits::BODY_CHARS,
            });
        }
        input.body = body;
    }
    if let Some(place) = fields.dateline_place {
        let place = place.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
        if place
            .as_ref()
            .is_some_and(|p| p.chars().count() > limits::PLACE_CHARS)
        {
            refuse(ArticleRefusal::PlaceTooLong {
                max: limits::PLACE_CHARS,
            });
        }
        input.dateline_place = place;
    }
    if let Some(hero) = fields.hero_image {
        if let Some(image_id) = hero
            && store.library().image(image_id).await?.is_none()
        {
            refuse(ArticleRefusal::HeroImageUnknown);
        }
        input.hero_image_id = hero;
    }
    if let Some(choices) = fields.authors {
        let known = store.people().authors().await?;
        let mut ids = Vec::with_capacity(choices.len());
        for choice in &choices {
            let found = known.iter().find(|author| match choice {
                AuthorChoice::Id(id) => author.id == *id,
                AuthorChoice::Slug(slug) => author.slug == *slug,
            });
            match found {
                Some(author) if ids.contains(&author.id) => {
                    refuse(ArticleRefusal::AuthorListedTwice);
                }
                Some(author) => ids.push(author.id),
                None => refuse(ArticleRefusal::AuthorUnknown),
            }
        }
        input.author_ids = ids;
    }
    if let Some(tags) = fields.tags {
        let tags: Vec<String> = tags
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if tags.len() > limits::TAGS {
            refuse(ArticleRefusal::TooManyTags { max: limits::TAGS });
        }
        if tags.iter().any(|t| t.chars().count() > limits::TAG_CHARS) {
            refuse(ArticleRefusal::TagTooLong {
                max: limits::TAG_CHARS,
            });
        }
        input.tags = tags;
    }
    if let Some(language) = fields.language {
        let language = language.trim();
        if !well_formed_language(language) {
            refuse(ArticleRefusal::LanguageInvalid);
        }
        input.language = language.to_owned();
    }
    if let Some(open) = fields.comments_open {
        input.comments_open = open;
    }
    if input.author_ids.is_empty()
        && matches!(
            input.status,
            ArticleStatus::Published | ArticleStatus::Scheduled
        )
    {
        refuse(ArticleRefusal::BylineEmpty {
            status: input.status,
        });
    }
    if let Err(error) = check_byline(actor, byline_before, &input.author_ids) {
        let UseCaseError::Refused(refusals) = error else {
            return Err(error);
        };
        refused.extend(refusals.iter().cloned());
    }
    match Refusals::from_list(refused) {
        Some(refusals) => Err(UseCaseError::Refused(refusals)),
        None => Ok(input),
    }
}

/// A BCP 47 tag's shape (RFC 5646 §2.1): alphanumeric subtags joined by hyphens. Whether the
/// language exists is not ours to judge.
fn well_formed_language(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= limits::LANGUAGE_CHARS
        && tag
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_are_checked_for_shape_only() {
        for good in ["en", "es-CO", "zh-Hant-TW", "x-klingon"] {
            assert!(well_formed_language(good), "{good}");
        }
        for bad in [
            "",
            "en_GB",
            "en--GB",
            "-en",
            "en-",
            "français",
            &"a".repeat(36),
        ] {
            assert!(!well_formed_language(bad), "{bad}");
        }
    }

    #[test]
    fn form_choices_read_ids_slugs_and_blanks() {
        assert_eq!(SectionChoice::from_form(" 12 "), SectionChoice::Id(12));
        assert_eq!(
            SectionChoice::from_form("politics"),
            SectionChoice::Slug("politics".into())
        );
        assert_eq!(SectionChoice::from_form("  "), SectionChoice::Blank);
        assert_eq!(AuthorChoice::from_form("3"), AuthorChoice::Id(3));
    }
}
