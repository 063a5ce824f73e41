//! Two people, one story (issue 17, item 7), as the nodes share it: opening an article in the
//! editor takes a place among its open editors, counted over every node, and closing it gives
//! the place back.
//!
//! The node's heartbeat that keeps its editors' places alive, and its look at the other nodes'
//! editors, are not here: they are the node's bookkeeping of its own connections, not a change
//! anyone makes (nothing to permit, nothing of the site changes), so `dateline-web`'s
//! `newsroom/presence.rs` calls the store for them directly.

use dateline_db::{EditorAdmission, OpenEditor, PresenceLimits};
use jiff::Timestamp;

use crate::articles::{edit_action, permitted};
use crate::{Actor, Context, UseCaseError};

/// `actor` opens article `article_id` in the editor, in the tab `tab` of a browser connected to
/// `node`. Whoever may edit the article may open it (the edit form's rule); then the article and
/// the person may have at most `limits` tabs open on all nodes together, those of a node that
/// died not counted. The same tab opening again takes its own place back. Returns the tab's
/// record, to close it with, and whether it was let in.
pub async fn open(
    ctx: &Context,
    actor: &Actor,
    node: &str,
    article_id: i64,
    tab: &str,
    limits: PresenceLimits,
    now: Timestamp,
) -> Result<(OpenEditor, EditorAdmission), UseCaseError> {
    let (page, _) = permitted(ctx, actor, article_id, |page| {
        edit_action(page.article.status)
    })
    .await?;
    // The platform edits without a browser: nobody to tell colleagues about.
    let Some(owner) = actor.owner() else {
        return Err(UseCaseError::NotPermitted {
            action: edit_action(page.article.status),
            role: None,
        });
    };
    let editor = OpenEditor {
        article_id,
        tab: tab.to_owned(),
        staff_id: owner.staff_id,
    };
    let admission = ctx
        .store
        .presence()
        .open(node, &editor, limits, now)
        .await?;
    Ok((editor, admission))
}

/// The tab `editor` that `node` let in has closed: its place is free.
pub async fn close(ctx: &Context, node: &str, editor: &OpenEditor) -> Result<(), UseCaseError> {
    Ok(ctx.store.presence().close(node, editor).await?)
}
