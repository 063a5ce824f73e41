//! The discussion: readers posting, editing, deleting and reporting their comments, and the
//! desk moderating them — decisions, editor's picks, readers' standing, replies in the
//! newsroom's name, an article's discussion opened, closed or given its own mode, and the site's
//! moderation rules.
//!
//! Who may: moderation is [`Action::ModerateComments`], the site's rules
//! [`Action::ConfigureModeration`]. A reader acts on comments they may see, by the one rule
//! ([`dateline_core::comments::may_see`], applied by [`dateline_db::Comments::visible`]): a comment
//! hidden from them is [`UseCaseError::NotFound`], exactly like one that does not exist. The
//! store's transaction checks again what can change between the check and the write (the
//! article closing, the reader being banned) and records the audit entry and the `changes` row
//! of the discussion's pages.

use dateline_core::comments::{
    AUTO_CLOSE_DAYS_MAX, CommentError, CommentStatus, ModerationMode, ModerationSettings,
    ModeratorDecision, PREMODERATE_FIRST_MAX, ReportReason, SUSPENSION_DAYS_DEFAULT,
    SUSPENSION_DAYS_MAX, Viewer,
};
use dateline_core::{Action, ModerationRefusal, Refusal, Refusals};
use dateline_db::{Comment, CommentAuthor, NewComment, Reader, Standing};
use jiff::{SignedDuration, Timestamp};

use crate::{Actor, Context, UseCaseError};

// ----- readers -----

/// A comment `reader` may see, whatever article it is on.
async fn visible_to(ctx: &Context, reader: &Reader, id: i64) -> Result<Comment, UseCaseError> {
    Ok(ctx
        .store
        .comments()
        .visible(id, Viewer::Reader(reader.id))
        .await?)
}

/// The comment a reply answers, from the id as sent (`asked`, blank for none): one `reader` may
/// see, on `article_id`, and shown — only those take replies. Anything else is refused as
/// [`CommentError::ParentNotShown`], which says nothing of whether it exists. A door that quotes
/// the comment answered (the discussion page) asks this to show it.
pub async fn reply_target(
    ctx: &Context,
    reader: &Reader,
    article_id: i64,
    asked: Option<&str>,
) -> Result<Option<Comment>, UseCaseError> {
    let Some(asked) = asked.map(str::trim).filter(|asked| !asked.is_empty()) else {
        return Ok(None);
    };
    let not_shown = || UseCaseError::refused(CommentError::ParentNotShown);
    let id: i64 = asked.parse().map_err(|_| not_shown())?;
    match visible_to(ctx, reader, id).await {
        Ok(parent)
            if parent.article_id == article_id && parent.status == CommentStatus::Approved =>
        {
            Ok(Some(parent))
        }
        Ok(_) | Err(UseCaseError::NotFound) => Err(not_shown()),
        Err(error) => Err(error),
    }
}

/// Whether `reader` may post at all now (not banned, not suspended). [`post`] asks it first; a
/// door that spends a reader's posting allowance asks it before, so a banned reader hears that
/// and not "too fast".
pub fn may_post(reader: &Reader, now: Timestamp) -> Result<(), UseCaseError> {
    reader
        .commenter()
        .may_post(now)
        .map_err(UseCaseError::refused)
}

/// `reader` posts `body` under article `article_id`, in reply to `parent` (the id as sent, blank
/// for a new thread). The moderation rules decide in the same transaction whether it is shown,
/// queued or rejected: the answer's status says which.
pub async fn post(
    ctx: &Context,
    reader: &Reader,
    article_id: i64,
    parent: Option<&str>,
    body: &str,
    now: Timestamp,
) -> Result<Comment, UseCaseError> {
    may_post(reader, now)?;
    let parent = reply_target(ctx, reader, article_id, parent).await?;
    Ok(ctx
        .store
        .comments()
        .post(
            &NewComment {
                article_id,
                parent_id: parent.map(|parent| parent.id),
                author: CommentAuthor::Reader(reader.id),
                body: body.to_owned(),
            },
            now,
        )
        .await?)
}

/// `reader` changes their comment `id` within the edit window; the rules judge it again.
pub async fn edit(
    ctx: &Context,
    reader: &Reader,
    id: i64,
    body: &str,
    now: Timestamp,
) -> Result<Comment, UseCaseError> {
    visible_to(ctx, reader, id).await?;
    Ok(ctx.store.comments().edit(id, reader.id, body, now).await?)
}

/// `reader` takes their comment `id` back; it stays as a tombstone where replies hang from it.
pub async fn delete(
    ctx: &Context,
    reader: &Reader,
    id: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    visible_to(ctx, reader, id).await?;
    Ok(ctx.store.comments().delete_own(id, reader.id, now).await?)
}

/// `reader` reports comment `id` for `reason` (as the form names it), with what they add.
pub async fn report(
    ctx: &Context,
    reader: &Reader,
    id: i64,
    reason: &str,
    detail: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    visible_to(ctx, reader, id).await?;
    let reason = ReportReason::parse(reason).ok_or(UseCaseError::refused(
        ModerationRefusal::ReportReasonMissing,
    ))?;
    Ok(ctx
        .store
        .comments()
        .report(id, reader.id, reason, detail, now)
        .await?)
}

// ----- the desk -----

/// Approves or rejects comment `id`; `decision` as the form names it (`approve`, `reject`), the
/// `reason` shown in the queue for a rejection.
pub async fn moderate(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    decision: &str,
    reason: &str,
    now: Timestamp,
) -> Result<Comment, UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    let decision = match decision.trim() {
        "approve" => ModeratorDecision::Approve,
        "reject" => ModeratorDecision::Reject,
        _ => return Err(UseCaseError::refused(ModerationRefusal::DecisionUnknown)),
    };
    Ok(ctx
        .store
        .comments()
        .moderate(id, decision, reason, &actor.audit(), now)
        .await?)
}

/// Makes shown comment `id` an editor's pick, or not.
pub async fn feature(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    featured: bool,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    Ok(ctx
        .store
        .comments()
        .set_featured(id, featured, &actor.audit(), now)
        .await?)
}

/// A reply to comment `id` in the newsroom's name: shown with a staff badge, never queued.
pub async fn reply_as_staff(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    body: &str,
    now: Timestamp,
) -> Result<Comment, UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    let Actor::Staff { member, .. } = actor else {
        // A reply speaks for a person at the desk; the platform has no voice in a discussion.
        return Err(UseCaseError::NotPermitted {
            action: Action::ModerateComments,
            role: None,
        });
    };
    let parent = ctx.store.comments().by_id(id).await?;
    Ok(ctx
        .store
        .comments()
        .post(
            &NewComment {
                article_id: parent.article_id,
                parent_id: Some(parent.id),
                author: CommentAuthor::Staff(member.id),
                body: body.to_owned(),
            },
            now,
        )
        .await?)
}

/// What a moderator makes of a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandingChoice {
    Active,
    /// For `days` (1 to [`SUSPENSION_DAYS_MAX`]; [`SUSPENSION_DAYS_DEFAULT`] when not given).
    Suspended {
        days: Option<i64>,
    },
    Banned,
    /// Everything they write waits for a moderator.
    Premoderated,
    /// The end of that.
    Trusted,
}

impl StandingChoice {
    /// The choice as the form and the API name it; `days` only matters to a suspension.
    pub fn parse(name: &str, days: Option<i64>) -> Option<Self> {
        Some(match name.trim() {
            "active" => Self::Active,
            "suspended" => Self::Suspended { days },
            "banned" => Self::Banned,
            "premoderate" => Self::Premoderated,
            "trust" => Self::Trusted,
            _ => return None,
        })
    }
}

/// Sets reader `reader_id`'s standing: `standing` as the form and the API name it (`active`,
/// `suspended`, `banned`, `premoderate`, `trust`), `days` for a suspension.
pub async fn set_standing(
    ctx: &Context,
    actor: &Actor,
    reader_id: i64,
    standing: &str,
    days: Option<i64>,
    reason: &str,
    now: Timestamp,
) -> Result<Reader, UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    let choice = StandingChoice::parse(standing, days)
        .ok_or(UseCaseError::refused(ModerationRefusal::StandingUnknown))?;
    let audit = actor.audit();
    let standing = match choice {
        StandingChoice::Active => Standing::Active,
        StandingChoice::Banned => Standing::Banned,
        StandingChoice::Suspended { days } => {
            let days = days.unwrap_or(i64::from(SUSPENSION_DAYS_DEFAULT));
            if !(1..=i64::from(SUSPENSION_DAYS_MAX)).contains(&days) {
                return Err(UseCaseError::refused(ModerationRefusal::SuspensionDays {
                    max: SUSPENSION_DAYS_MAX,
                }));
            }
            Standing::Suspended {
                until: now + SignedDuration::from_hours(24 * days),
            }
        }
        StandingChoice::Premoderated | StandingChoice::Trusted => {
            let always = choice == StandingChoice::Premoderated;
            return Ok(ctx
                .store
                .people()
                .set_reader_always_premoderate(reader_id, always, &audit, now)
                .await?);
        }
    };
    Ok(ctx
        .store
        .people()
        .set_reader_standing(reader_id, standing, reason.trim(), &audit, now)
        .await?)
}

/// The article a discussion change is about; its absence is [`UseCaseError::NotFound`].
async fn article_exists(ctx: &Context, article_id: i64) -> Result<(), UseCaseError> {
    ctx.store
        .articles()
        .by_id(article_id)
        .await?
        .map(|_| ())
        .ok_or(UseCaseError::NotFound)
}

/// Opens or closes article `article_id`'s comments by hand (reopening keeps the automatic
/// closing away from it).
pub async fn open_discussion(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    open: bool,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    article_exists(ctx, article_id).await?;
    Ok(ctx
        .store
        .comments()
        .set_article_comments_open(article_id, open, &actor.audit(), now)
        .await?)
}

/// Gives article `article_id` its own moderation mode (`pre`, `post`), or the site's (`site`).
pub async fn set_discussion_mode(
    ctx: &Context,
    actor: &Actor,
    article_id: i64,
    mode: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ModerateComments, false)?;
    let mode = match mode.trim() {
        "site" => None,
        other => Some(
            ModerationMode::parse(other)
                .ok_or(UseCaseError::refused(ModerationRefusal::ModeUnknown))?,
        ),
    };
    article_exists(ctx, article_id).await?;
    Ok(ctx
        .store
        .comments()
        .set_article_comment_mode(article_id, mode, &actor.audit(), now)
        .await?)
}

/// The site's moderation rules as a person gave them: numbers as typed, so every door refuses
/// the same text with the same words.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RulesDraft {
    /// `pre` or `post`.
    pub mode: String,
    /// How many of a reader's first comments wait for a moderator.
    pub premoderate_first: String,
    pub banned_words: Vec<String>,
    pub suspect_words: Vec<String>,
    pub premoderate_links: bool,
    /// Days after first publication; blank keeps comments open.
    pub auto_close_days: String,
}

/// Checks `draft`; every problem is reported at once.
fn checked_rules(draft: &RulesDraft) -> Result<ModerationSettings, UseCaseError> {
    let mut refused: Vec<Refusal> = Vec::new();
    let mode = ModerationMode::parse(draft.mode.trim());
    if mode.is_none() {
        refused.push(ModerationRefusal::ModeUnknown.into());
    }
    let premoderate_first = match draft.premoderate_first.trim().parse::<u32>() {
        Ok(count) if count <= PREMODERATE_FIRST_MAX => count,
        Ok(_) => {
            refused.push(
                ModerationRefusal::PremoderateFirstTooMany {
                    max: PREMODERATE_FIRST_MAX,
                }
                .into(),
            );
            0
        }
        Err(_) => {
            refused.push(ModerationRefusal::PremoderateFirstInvalid.into());
            0
        }
    };
    let auto_close_days = match draft.auto_close_days.trim() {
        "" => None,
        text => match text.parse::<u32>() {
            Ok(days) if (1..=AUTO_CLOSE_DAYS_MAX).contains(&days) => Some(days),
            Ok(_) => {
                refused.push(
                    ModerationRefusal::AutoCloseDaysRange {
                        max: AUTO_CLOSE_DAYS_MAX,
                    }
                    .into(),
                );
                None
            }
            Err(_) => {
                refused.push(ModerationRefusal::AutoCloseDaysInvalid.into());
                None
            }
        },
    };
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let words = |list: &[String]| -> Vec<String> {
        list.iter()
            .map(|word| word.trim())
            .filter(|word| !word.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(ModerationSettings {
        mode: mode.ok_or(UseCaseError::refused(ModerationRefusal::ModeUnknown))?,
        premoderate_first,
        banned_words: words(&draft.banned_words),
        suspect_words: words(&draft.suspect_words),
        premoderate_links: draft.premoderate_links,
        auto_close_days,
    })
}

/// Replaces the site's moderation rules.
pub async fn save_rules(
    ctx: &Context,
    actor: &Actor,
    draft: &RulesDraft,
    now: Timestamp,
) -> Result<ModerationSettings, UseCaseError> {
    actor.require(Action::ConfigureModeration, false)?;
    let settings = checked_rules(draft)?;
    ctx.store
        .comments()
        .save_settings(&settings, &actor.audit(), now)
        .await?;
    Ok(settings)
}
