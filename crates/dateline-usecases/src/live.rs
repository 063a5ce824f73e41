//! Live coverage: turning an article into live coverage, posting, editing, pinning, flagging,
//! deleting and correcting its entries, and ending it.
//!
//! Who may: [`Action::RunLiveCoverage`] on the live article, the publishing rule, because an
//! entry goes out the moment it is posted: an author on live coverage that is their own work
//! (they started it or are on its byline, [`crate::articles::owns`]), an editor on any. The
//! same rule covers every entry of that article, whoever posted it, so colleagues on one
//! story can fix each other's entries. Corrections are an editorial decision, as on articles:
//! [`Action::AddUpdateNote`].
//!
//! Each use case is one store transaction, which appends to the `changes` log the live page's
//! tag only (its cards on the front and section pages carry it too), and the key-event feeds'
//! when a key event is involved.

use dateline_core::live::{EntryText, check_entry};
use dateline_core::{
    Action, Article, ArticleRefusal, EntryNote, LiveEntry, LiveRefusal, NoteKind, NoteRefusal,
    may_change_byline,
};
use dateline_core::{Refusal, Refusals, notes};
use dateline_db::NewEntry;
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// An entry as the journalist gave it: text as typed, flags as ticked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryDraft {
    pub text: EntryText,
    /// A picture from the library.
    pub image_id: Option<i64>,
    pub key_event: bool,
    pub pinned: bool,
}

/// Loads article `article_id` for `actor`, who must be allowed to run its live coverage.
async fn permitted_article(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
) -> Result<Article, UseCaseError> {
    let article = ctx
        .store
        .articles()
        .by_id(article_id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let owns = crate::articles::owns(ctx, actor, article_id).await?;
    actor.require(Action::RunLiveCoverage, owns)?;
    Ok(article)
}

/// Loads entry `entry_id` for `actor`, who must be allowed `action` on its live article.
async fn permitted_entry(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    action: Action,
) -> Result<LiveEntry, UseCaseError> {
    let entry = ctx
        .store
        .live()
        .entry(entry_id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let owns = crate::articles::owns(ctx, actor, entry.article_id).await?;
    actor.require(action, owns)?;
    Ok(entry)
}

/// Checks an entry's text and picture; every problem is reported at once.
async fn checked(
    ctx: &Context,
    text: &EntryText,
    image_id: Option<i64>,
) -> Result<dateline_db::EntryText, UseCaseError> {
    let mut refused: Vec<Refusal> = Vec::new();
    let checked = check_entry(text)
        .map_err(|refusals| refused.extend(refusals.into_iter().map(Refusal::from)))
        .ok();
    if let Some(id) = image_id
        && ctx.store.library().image(id).await?.is_none()
    {
        refused.push(LiveRefusal::ImageUnknown.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let checked = checked.ok_or(UseCaseError::refused(LiveRefusal::BodyMissing))?;
    Ok(dateline_db::EntryText {
        headline: checked.headline,
        body: checked.body,
        image_id,
        embed_url: checked.embed_url,
    })
}

/// Makes article `article_id` live coverage. A published story's coverage starts `now`, a
/// draft's when it is published. Doing it twice changes nothing.
pub async fn start(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    permitted_article(ctx, actor, article_id).await?;
    Ok(ctx
        .store
        .live()
        .start(article_id, &actor.audit(), now)
        .await?)
}

/// Ends the live coverage of `article_id`: the page says so and its entries freeze.
pub async fn end(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    now: Timestamp,
) -> Result<Article, UseCaseError> {
    permitted_article(ctx, actor, article_id).await?;
    Ok(ctx
        .store
        .live()
        .end(article_id, &actor.audit(), now)
        .await?)
}

/// Posts an entry to live article `article_id`, under the actor's own byline (or their name,
/// when they have none).
pub async fn post(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    draft: &EntryDraft,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    let article = permitted_article(ctx, actor, article_id).await?;
    write_entry(ctx, actor, &article, draft, actor.own_author(), now).await
}

/// Posts an entry a colleague filed (a reporter in the field phoning it in to the desk) under
/// their byline, author `author_id`. Whose name goes on it follows the byline rule of articles
/// ([`dateline_core::may_change_byline`]): one's own is free, a colleague's takes an editor.
pub async fn post_filed_by(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    author_id: i64,
    draft: &EntryDraft,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    let article = permitted_article(ctx, actor, article_id).await?;
    if let Some(role) = actor.role()
        && !may_change_byline(role, actor.own_author(), &[], &[author_id])
    {
        return Err(UseCaseError::refused(ArticleRefusal::BylineNeedsEditor));
    }
    if ctx
        .store
        .people()
        .author_profile(author_id)
        .await?
        .is_none()
    {
        return Err(UseCaseError::refused(ArticleRefusal::AuthorUnknown));
    }
    write_entry(ctx, actor, &article, draft, Some(author_id), now).await
}

async fn write_entry(
    ctx: &Context,
    actor: &Actor,
    article: &Article,
    draft: &EntryDraft,
    author_id: Option<i64>,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    if !article.is_live() {
        return Err(UseCaseError::refused(LiveRefusal::NotLive));
    }
    let text = checked(ctx, &draft.text, draft.image_id).await?;
    let entry = NewEntry {
        headline: text.headline,
        body: text.body,
        image_id: text.image_id,
        embed_url: text.embed_url,
        key_event: draft.key_event,
        pinned: draft.pinned,
        author_id,
    };
    Ok(ctx
        .store
        .live()
        .post(article.id, &entry, &actor.audit(), now)
        .await?)
}

/// Replaces the text and picture of entry `entry_id`, which must still be at
/// `expected_version` (else [`UseCaseError::Conflict`] and nothing changes). Its flags change
/// through [`pin`] and [`mark_key_event`].
pub async fn edit(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    expected_version: i64,
    text: &EntryText,
    image_id: Option<i64>,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    permitted_entry(ctx, actor, entry_id, Action::RunLiveCoverage).await?;
    let text = checked(ctx, text, image_id).await?;
    Ok(ctx
        .store
        .live()
        .edit(entry_id, expected_version, &text, &actor.audit(), now)
        .await?)
}

/// Pins entry `entry_id` above the stream, or unpins it.
pub async fn pin(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    pinned: bool,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    permitted_entry(ctx, actor, entry_id, Action::RunLiveCoverage).await?;
    Ok(ctx
        .store
        .live()
        .set_pinned(entry_id, pinned, &actor.audit(), now)
        .await?)
}

/// Marks entry `entry_id` as a key event, or takes the mark off.
pub async fn mark_key_event(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    key_event: bool,
    now: Timestamp,
) -> Result<LiveEntry, UseCaseError> {
    permitted_entry(ctx, actor, entry_id, Action::RunLiveCoverage).await?;
    Ok(ctx
        .store
        .live()
        .set_key_event(entry_id, key_event, &actor.audit(), now)
        .await?)
}

/// Deletes entry `entry_id`; the audit log keeps the start of its text.
pub async fn delete(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    permitted_entry(ctx, actor, entry_id, Action::RunLiveCoverage).await?;
    Ok(ctx
        .store
        .live()
        .delete(entry_id, &actor.audit(), now)
        .await?)
}

/// Adds a correction, clarification or update (`kind` as the form names it) to entry
/// `entry_id`, shown with it like an article's notes; also after coverage ended.
pub async fn correct(
    ctx: &Context,
    actor: &Actor,
    entry_id: i64,
    kind: &str,
    text: &str,
    now: Timestamp,
) -> Result<EntryNote, UseCaseError> {
    permitted_entry(ctx, actor, entry_id, Action::AddUpdateNote).await?;
    let mut refused: Vec<Refusal> = Vec::new();
    let kind = NoteKind::parse(kind);
    if kind.is_none() {
        refused.push(NoteRefusal::KindUnknown.into());
    }
    if let Err(refusal) = notes::check_note_text(text) {
        refused.push(refusal.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let kind = kind.ok_or(UseCaseError::refused(NoteRefusal::KindUnknown))?;
    Ok(ctx
        .store
        .live()
        .add_note(entry_id, kind, text, &actor.audit(), now)
        .await?)
}
