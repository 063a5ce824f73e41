//! Narration asked for: a reader's first listen to an archive story (which the narration budget
//! leaves unread until someone wants it), and the operator's `dateline narrate --archive`.

use dateline_core::{Action, ArticleStatus};

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
) -> Result<FirstListen, UseCaseError> {
    let page = ctx
        .store
        .article_page(article_id)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    if page.article.status != ArticleStatus::Published {
        return Err(UseCaseError::NotFound);
    }
    if !within_limit() {
        return Ok(FirstListen::Limited);
    }
    ctx.store.queue_first_listen(article_id).await?;
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
) -> Result<Vec<i64>, UseCaseError> {
    actor.require(Action::ManageSettings, false)?;
    Ok(ctx.store.queue_archive_narration(progress).await?)
}
