//! Narration asked for and set up: a reader's first listen to an archive story (which the
//! narration budget leaves unread until someone wants it), the operator's `dateline narrate
//! --archive`, an article's audio regenerated or opted out from its editor
//! ([`Action::NarrateArticle`], authors on their own stories), and the desk's voices,
//! pronunciation lexicon and regenerate-all ([`Action::ManageNarration`]).

use dateline_core::narration::{Pronunciation, check_pronunciation, check_voice};
use dateline_core::{Action, ArticleStatus, Refusal, Refusals};
use jiff::Timestamp;

use crate::{Actor, Context, UseCaseError};

/// What a reader's request for audio came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FirstListen {
    /// The story's narration is queued (or already was, or done): back to `path`.
    Asked { path: String },
    /// The node's limit on such requests said no; nothing was queued.
    Limited,
}

/// A reader asks for the audio of the story `article_id`. Anyone may, signed in or not, for a
/// story anyone may read: any other id is [`UseCaseError::NotFound`], as its page is, and does
/// not count against `within_limit` (the node's limit on these requests, asked once the story
/// is known to be public). Queues one narration at most: none when the story has audio or is
/// waiting for it already.
pub async fn request_first_listen(
    ctx: &Context,
    article_id: i64,
    within_limit: impl FnOnce() -> bool,
    now: Timestamp,
) -> Result<FirstListen, UseCaseError> {
    let page = ctx
        .store
        .articles()
        .article_page(article_id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    if page.article.status != ArticleStatus::Published {
        return Err(UseCaseError::NotFound);
    }
    if !within_limit() {
        return Ok(FirstListen::Limited);
    }
    ctx.store
        .narration()
        .queue_first_listen(article_id, now)
        .await?;
    Ok(FirstListen::Asked {
        path: dateline_core::paths::article(&page.section.slug, &page.article.slug),
    })
}

/// Queues every archive story without narration, newest first (`dateline narrate --archive`),
/// telling `progress` how far it is (queued so far, of how many); the ids queued. It spends the
/// site's narration time, so it is the platform's or an editor's who may change settings.
pub async fn queue_archive(
    ctx: &Context,
    actor: &Actor,
    progress: impl FnMut(usize, usize),
    now: Timestamp,
) -> Result<Vec<i64>, UseCaseError> {
    actor.require(Action::ManageSettings, false)?;
    Ok(ctx.store.narration().queue_archive(progress, now).await?)
}

/// Takes the archive stories that wait for a first narration nobody asked for out of the
/// queue, as the budget judges them at `now`; how many. A history replayed at its own times
/// (the demo loader's) queued each story when it was new; this leaves the queue as a site
/// running all along would have it. Like [`queue_archive`], it decides how the site's
/// narration time is spent: the platform's, or an editor's who may change settings.
pub async fn release_archive(
    ctx: &Context,
    actor: &Actor,
    now: Timestamp,
) -> Result<usize, UseCaseError> {
    actor.require(Action::ManageSettings, false)?;
    Ok(ctx
        .store
        .narration()
        .release_archive(&actor.audit(), now)
        .await?)
}

/// Article `id`, for someone who may manage its narration: its authors (from author up), or
/// an editor.
async fn narratable(ctx: &Context, actor: &Actor, id: i64) -> Result<(), UseCaseError> {
    ctx.store
        .articles()
        .by_id(id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    let own = match actor.owner() {
        Some(owner) => ctx.store.articles().owned_by(id, owner).await?,
        None => false,
    };
    actor.require(Action::NarrateArticle, own)
}

/// Queues article `id`'s narration again (the changed paragraphs are spoken anew); false when
/// nothing was queued: not published, opted out, or waiting already.
pub async fn regenerate(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<bool, UseCaseError> {
    narratable(ctx, actor, id).await?;
    Ok(ctx.store.narration().queue(id, &actor.audit(), now).await?)
}

/// Takes article `id`'s audio off the site (`opted_out`), or brings narration back, queued.
pub async fn set_opt_out(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    opted_out: bool,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    narratable(ctx, actor, id).await?;
    Ok(ctx
        .store
        .narration()
        .set_opt_out(id, opted_out, &actor.audit(), now)
        .await?)
}

/// Sets the voice the site is read in, one of `dateline_core::narration::NARRATION_VOICES`.
pub async fn set_site_voice(
    ctx: &Context,
    actor: &Actor,
    voice: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ManageNarration, false)?;
    check_voice(voice).map_err(UseCaseError::refused)?;
    Ok(ctx
        .store
        .narration()
        .set_site_voice(voice, &actor.audit(), now)
        .await?)
}

/// Sets section `id`'s voice; `None` (or blank) follows the site's.
pub async fn set_section_voice(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    voice: Option<&str>,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ManageNarration, false)?;
    let voice = voice.map(str::trim).filter(|voice| !voice.is_empty());
    if let Some(voice) = voice {
        check_voice(voice).map_err(UseCaseError::refused)?;
    }
    Ok(ctx
        .store
        .narration()
        .set_section_voice(id, voice, &actor.audit(), now)
        .await?)
}

/// Adds or replaces how the narrator says `word`. Articles using it are read anew when they
/// next change or are regenerated.
pub async fn save_pronunciation(
    ctx: &Context,
    actor: &Actor,
    word: &str,
    pronunciation: &Pronunciation,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ManageNarration, false)?;
    let refused: Vec<Refusal> = check_pronunciation(word, pronunciation)
        .into_iter()
        .map(Refusal::from)
        .collect();
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    Ok(ctx
        .store
        .narration()
        .save_pronunciation(word, pronunciation, &actor.audit(), now)
        .await?)
}

/// Forgets how the narrator says `word`; a word not in the lexicon is
/// [`UseCaseError::NotFound`].
pub async fn delete_pronunciation(
    ctx: &Context,
    actor: &Actor,
    word: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ManageNarration, false)?;
    Ok(ctx
        .store
        .narration()
        .delete_pronunciation(word, &actor.audit(), now)
        .await?)
}

/// Queues every published article that is not archive again (after a lexicon or voice change);
/// how many were queued.
pub async fn regenerate_all(
    ctx: &Context,
    actor: &Actor,
    now: Timestamp,
) -> Result<usize, UseCaseError> {
    actor.require(Action::ManageNarration, false)?;
    Ok(ctx
        .store
        .narration()
        .regenerate_all(&actor.audit(), now)
        .await?)
}
