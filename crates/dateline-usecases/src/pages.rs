//! Static pages: About, Contact, the corrections and ethics policies.
//!
//! Editors and admins manage pages ([`Action::ManagePages`]): a page speaks for the whole
//! newsroom, so there is no "own page" an author or contributor could publish. A page starts as
//! a draft; publishing puts it at `/{slug}` and in the footer of every page, unpublishing takes
//! it off again (a draft is a 404 to readers, and staff preview it in the newsroom).
//!
//! A page's address shares the top of the site with the sections, which win: a page may not take
//! a section's address or one of the site's own routes (`/search`, `/tags`, …), and is refused
//! with a [`PageRefusal`] on its slug.

use dateline_core::pages::{PageFields, check_fields};
use dateline_core::{Action, PageRefusal, PageStatus, Refusal, Refusals, StaticPage};
use dateline_db::{DbError, PageInput};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// A page's editable fields as someone gave them. `None` keeps the current value on a save; on
/// create the title is required and the rest default (the address from the title, no
/// description, an empty text, first in the footer).
#[derive(Debug, Clone, Default)]
pub struct PageChanges {
    pub title: Option<String>,
    /// Blank means "from the title".
    pub slug: Option<String>,
    pub description: Option<String>,
    /// Markdown.
    pub body: Option<String>,
    /// Order among the footer's links: lower comes first.
    pub position: Option<i32>,
}

/// Loads page `id` for someone who may manage pages.
pub async fn permitted(ctx: &Context, actor: &Actor, id: i64) -> Result<StaticPage, UseCaseError> {
    actor.require(Action::ManagePages, false)?;
    ctx.store
        .static_pages()
        .by_id(id)
        .await?
        .ok_or(UseCaseError::NotFound)
}

/// Starts a new page, as a draft.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    fields: PageChanges,
    now: Timestamp,
) -> Result<StaticPage, UseCaseError> {
    actor.require(Action::ManagePages, false)?;
    let checked = check(ctx, None, &fields, None).await?;
    let input = input_of(checked, PageStatus::Draft);
    ctx.store
        .static_pages()
        .create(&input, &actor.audit(), now)
        .await
        .map_err(slug_taken)
}

/// Saves a new revision of page `id`. `expected_version` is the version the writer started
/// from: if someone saved since, nothing is written and the answer is
/// [`UseCaseError::Conflict`]. A save keeps the page's status.
pub async fn update(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    expected_version: i64,
    fields: PageChanges,
    now: Timestamp,
) -> Result<StaticPage, UseCaseError> {
    let page = permitted(ctx, actor, id).await?;
    if page.version != expected_version {
        return Err(UseCaseError::Conflict {
            current_version: page.version,
        });
    }
    let checked = check(ctx, Some(&page), &fields, Some(id)).await?;
    let input = input_of(checked, page.status);
    ctx.store
        .static_pages()
        .save(
            id,
            expected_version,
            &input,
            &actor.audit(),
            "page.save",
            now,
        )
        .await
        .map_err(slug_taken)
}

/// Puts page `id` on the site. Publishing a published page changes nothing.
pub async fn publish(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<StaticPage, UseCaseError> {
    set_status(ctx, actor, id, PageStatus::Published, "page.publish", now).await
}

/// Takes page `id` off the site: readers get a 404, the footer drops its link.
pub async fn unpublish(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<StaticPage, UseCaseError> {
    set_status(ctx, actor, id, PageStatus::Draft, "page.unpublish", now).await
}

/// Deletes page `id` with its revisions. The audit log keeps what it was.
pub async fn delete(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    permitted(ctx, actor, id).await?;
    Ok(ctx
        .store
        .static_pages()
        .delete(id, &actor.audit(), now)
        .await?)
}

async fn set_status(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    status: PageStatus,
    action: &str,
    now: Timestamp,
) -> Result<StaticPage, UseCaseError> {
    let page = permitted(ctx, actor, id).await?;
    if page.status == status {
        return Ok(page);
    }
    // The address was free when the page was saved; a section may have taken it since, and a
    // published page there would be hidden behind it.
    if status == PageStatus::Published {
        address_free(ctx, &page.slug, Some(id)).await?;
    }
    let input = PageInput {
        slug: page.slug.clone(),
        title: page.title.clone(),
        description: page.description.clone(),
        body: page.body.clone(),
        position: page.position,
        status,
        first_published_at: None,
        // Publishing is not an edit of the text: "updated" stays when the words last changed.
        updated_at: Some(page.updated_at),
    };
    Ok(ctx
        .store
        .static_pages()
        .save(id, page.version, &input, &actor.audit(), action, now)
        .await?)
}

/// The page's fields after `changes`, checked: everything wrong is reported at once. `current`
/// is the page as saved (`None` on create); `own_id` the page's id, whose own address is no
/// collision.
pub(crate) async fn check(
    ctx: &Context,
    current: Option<&StaticPage>,
    changes: &PageChanges,
    own_id: Option<i64>,
) -> Result<PageFields, UseCaseError> {
    let pick = |given: &Option<String>, saved: Option<&String>| {
        given.clone().or_else(|| saved.cloned()).unwrap_or_default()
    };
    let title = pick(&changes.title, current.map(|p| &p.title));
    // On create, a slug left out is made from the title, as a blank one is.
    let slug = pick(&changes.slug, current.map(|p| &p.slug));
    let description = pick(&changes.description, current.map(|p| &p.description));
    let body = pick(&changes.body, current.map(|p| &p.body));
    let position = changes
        .position
        .or(current.map(|p| p.position))
        .unwrap_or(0);
    let checked = check_fields(&title, &slug, &description, &body, position);
    let mut refused: Vec<Refusal> = match &checked {
        Ok(_) => Vec::new(),
        Err(refusals) => refusals.iter().cloned().map(Refusal::from).collect(),
    };
    if let Ok(fields) = &checked
        && let Err(error) = address_free(ctx, &fields.slug, own_id).await
    {
        match error {
            UseCaseError::Refused(refusals) => refused.extend(refusals.iter().cloned()),
            other => return Err(other),
        }
    }
    match (Refusals::from_list(refused), checked) {
        (None, Ok(fields)) => Ok(fields),
        (Some(refusals), _) => Err(UseCaseError::Refused(refusals)),
        (None, Err(_)) => Err(UseCaseError::refused(PageRefusal::SlugInvalid)),
    }
}

/// Whether `slug` is free for page `own_id` (or a new page): no section and no other page has it.
pub(crate) async fn address_free(
    ctx: &Context,
    slug: &str,
    own_id: Option<i64>,
) -> Result<(), UseCaseError> {
    if let Some(section) = ctx.store.site().section_by_slug(slug).await? {
        return Err(UseCaseError::refused(PageRefusal::SlugIsSection {
            name: section.name,
        }));
    }
    match ctx.store.static_pages().by_slug(slug).await? {
        Some(other) if Some(other.id) != own_id => {
            Err(UseCaseError::refused(PageRefusal::SlugTaken))
        }
        _ => Ok(()),
    }
}

fn input_of(fields: PageFields, status: PageStatus) -> PageInput {
    PageInput {
        slug: fields.slug,
        title: fields.title,
        description: fields.description,
        body: fields.body,
        position: fields.position,
        status,
        first_published_at: None,
        updated_at: None,
    }
}

/// Two saves racing for one address: the second is told next to the slug.
fn slug_taken(error: DbError) -> UseCaseError {
    match error {
        DbError::Duplicate(_) => UseCaseError::refused(PageRefusal::SlugTaken),
        other => other.into(),
    }
}
