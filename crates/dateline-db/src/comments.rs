//! Comments and their moderation. Every write runs in one transaction that checks the rules of
//! `dateline_core::comments` against the current state, writes, appends to the changes log when
//! what readers see changes (the `discussion:<article>` cache tag) and, for every moderation
//! decision, to the audit log.

use std::collections::{HashMap, HashSet};

use dateline_core::cache_tags;
use dateline_core::comments::{
    CommentError, CommentStanding, CommentStatus, Commenter, ModerationMode, ModerationSettings,
    ModeratorDecision, REPEAT_WINDOW, ReaderStatus, ReportReason, Submission, Verdict, Viewer,
    WordLists, check_body, decide, is_repeat, may_see, render_comment_html, within_edit_window,
};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::audit::record_audit;
use crate::changes::record_change;
use crate::readers::reader_in_tx;
use crate::{
    Actor, AuditEntry, Comments, DbError, Result, from_micros, on_reader, on_writer, to_micros,
};

/// Who writes a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommentAuthor {
    Reader(i64),
    /// A staff member replying in the newsroom's name: shown with a staff badge, never queued.
    Staff(i64),
}

#[derive(Debug, Clone)]
pub struct NewComment {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub author: CommentAuthor,
    pub body: String,
}

/// A stored comment with its author's current name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Comment {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    /// The thread's top-level comment (its own id when it is one).
    pub root_id: i64,
    pub depth: i64,
    pub reader_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub author_name: String,
    pub body: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub featured: bool,
    pub queue_reason: Option<String>,
    pub reject_reason: Option<String>,
    pub report_count: i64,
    pub created_at: Timestamp,
    pub edited_at: Option<Timestamp>,
}

impl Comment {
    pub fn is_staff(&self) -> bool {
        self.staff_id.is_some()
    }
}

#[derive(sqlx::FromRow)]
struct CommentRow {
    id: i64,
    article_id: i64,
    parent_id: Option<i64>,
    root_id: i64,
    depth: i64,
    reader_id: Option<i64>,
    staff_id: Option<i64>,
    author_name: String,
    body: String,
    body_html: String,
    status: String,
    featured: bool,
    queue_reason: Option<String>,
    reject_reason: Option<String>,
    report_count: i64,
    created_at: i64,
    edited_at: Option<i64>,
}

impl TryFrom<CommentRow> for Comment {
    type Error = DbError;

    fn try_from(row: CommentRow) -> Result<Self> {
        Ok(Comment {
            id: row.id,
            article_id: row.article_id,
            parent_id: row.parent_id,
            root_id: row.root_id,
            depth: row.depth,
            reader_id: row.reader_id,
            staff_id: row.staff_id,
            author_name: row.author_name,
            body: row.body,
            body_html: row.body_html,
            status: CommentStatus::parse(&row.status).ok_or_else(|| {
                DbError::Invalid(format!("unknown comment status {:?}", row.status))
            })?,
            featured: row.featured,
            queue_reason: row.queue_reason,
            reject_reason: row.reject_reason,
            report_count: row.report_count,
            created_at: from_micros(row.created_at),
            edited_at: row.edited_at.map(from_micros),
        })
    }
}

const COMMENT_SELECT: &str = "SELECT c.id, c.article_id, c.parent_id, \
     COALESCE(c.root_id, c.id) AS root_id, c.depth, c.reader_id, c.staff_id, \
     COALESCE(r.display_name, s.display_name, '') AS author_name, c.body, c.body_html, c.status, \
     c.featured, c.queue_reason, c.reject_reason, c.report_count, c.created_at, c.edited_at \
     FROM comments c LEFT JOIN readers r ON r.id = c.reader_id \
     LEFT JOIN staff s ON s.id = c.staff_id";

/// [`may_see`] for [`Viewer::Public`] as an SQL condition on the comment aliased `alias`: approved,
/// on a published article. Every query that shows comments or counts them to readers filters
/// with it, so the pages, threads, counts and the live count follow the same rule as
/// [`Comments::visible`] (the store tests check that the two agree).
fn shown_to_all(alias: &str) -> String {
    format!(
        "{alias}.status = 'approved' AND EXISTS (SELECT 1 FROM articles pa \
         WHERE pa.id = {alias}.article_id AND pa.status = 'published')"
    )
}

/// Loads one comment in `$tx`.
macro_rules! comment_in_tx {
    ($tx:expr, $id:expr) => {{
        let row: CommentRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{COMMENT_SELECT} WHERE c.id = $1"
        )))
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        Comment::try_from(row)?
    }};
}

/// Loads the site's moderation settings in `$tx` (or from a pool).
macro_rules! settings_from {
    ($executor:expr) => {{
        let row: SettingsRow = sqlx::query_as(
            "SELECT mode, premoderate_first, banned_words, suspect_words, premoderate_links, \
             auto_close_days FROM comment_settings WHERE only_row = 1",
        )
        .fetch_one($executor)
        .await?;
        ModerationSettings::from(row)
    }};
}

/// Moves a reader's approved count with a comment entering or leaving the approved state, in `$tx`.
macro_rules! count_approval {
    ($tx:expr, $comment:expr, $before:expr, $after:expr) => {{
        let comment: &Comment = &$comment;
        let delta: i64 = match ($before == CommentStatus::Approved, $after == CommentStatus::Approved) {
            (false, true) => 1,
            (true, false) => -1,
            _ => 0,
        };
        if let (Some(reader_id), true) = (comment.reader_id, delta != 0) {
            sqlx::query(
                "UPDATE readers SET approved_count = \
                 CASE WHEN approved_count + $1 < 0 THEN 0 ELSE approved_count + $1 END WHERE id = $2",
            )
            .bind(delta)
            .bind(reader_id)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Notes in the changes log that an article's discussion, as readers see it, changed.
macro_rules! discussion_changed {
    ($tx:expr, $now:expr, $article_id:expr) => {{
        let article_id: i64 = $article_id;
        record_change!(
            $tx,
            $now,
            "discussion",
            Some(article_id),
            vec![cache_tags::discussion(article_id)]
        );
    }};
}

#[derive(sqlx::FromRow)]
struct SettingsRow {
    mode: String,
    premoderate_first: i64,
    banned_words: String,
    suspect_words: String,
    premoderate_links: bool,
    auto_close_days: Option<i64>,
}

impl From<SettingsRow> for ModerationSettings {
    fn from(row: SettingsRow) -> Self {
        let lines = |text: &str| {
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(str::to_owned)
                .collect()
        };
        ModerationSettings {
            mode: ModerationMode::parse(&row.mode).unwrap_or_default(),
            premoderate_first: u32::try_from(row.premoderate_first).unwrap_or(0),
            banned_words: lines(&row.banned_words),
            suspect_words: lines(&row.suspect_words),
            premoderate_links: row.premoderate_links,
            auto_close_days: row
                .auto_close_days
                .and_then(|days| u32::try_from(days).ok()),
        }
    }
}

/// Which moderation queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    Pending,
    /// Shown or waiting comments with reports no moderator has acted on.
    Reported,
    Approved,
    Rejected,
}

impl Queue {
    pub const ALL: [Queue; 4] = [
        Queue::Pending,
        Queue::Reported,
        Queue::Approved,
        Queue::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Queue::Pending => "pending",
            Queue::Reported => "reported",
            Queue::Approved => "approved",
            Queue::Rejected => "rejected",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|queue| queue.as_str() == text)
    }
}

/// A comment in a moderation queue, with what a moderator needs beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueuedComment {
    pub comment: Comment,
    pub article_headline: String,
    pub reader: Option<ReaderStanding>,
    /// Open reports: reason and detail.
    pub reports: Vec<(ReportReason, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReaderStanding {
    pub status: ReaderStatus,
    pub always_premoderate: bool,
    pub approved_count: i64,
}

/// How a discussion is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiscussionSort {
    #[default]
    Oldest,
    Newest,
    /// Editors' picks only, newest first, without their threads.
    Featured,
}

impl DiscussionSort {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "oldest" => Some(DiscussionSort::Oldest),
            "newest" => Some(DiscussionSort::Newest),
            "featured" => Some(DiscussionSort::Featured),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DiscussionSort::Oldest => "oldest",
            DiscussionSort::Newest => "newest",
            DiscussionSort::Featured => "featured",
        }
    }
}

/// One page of an article's discussion: threads in order, each as its comments depth-first.
/// Deleted comments appear (as tombstones) only where a shown reply hangs from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiscussionPage {
    pub threads: Vec<Vec<Comment>>,
    /// How many top-level entries (threads, or featured comments) there are in all.
    pub total_entries: i64,
    /// Approved comments on the article: the count shown to readers and in JSON-LD.
    pub approved_count: i64,
}

/// An article's discussion rules beside the site's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ArticleDiscussion {
    pub comments_open: bool,
    pub mode: Option<ModerationMode>,
    pub keep_open: bool,
}

/// The actor the automatic rules act as in the audit log.
pub const MODERATION_RULES_ACTOR: &str = "moderation rules";

impl Comments<'_> {
    // ----- settings -----

    pub async fn settings(self) -> Result<ModerationSettings> {
        Ok(on_reader!(self.store, pool => settings_from!(pool)))
    }

    /// Saves the site's moderation settings, as `usecases::comments::save_rules` checked them;
    /// recorded in the audit log.
    pub async fn save_settings(
        self,
        settings: &ModerationSettings,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        let join = |words: &[String]| {
            words
                .iter()
                .map(|word| word.trim())
                .filter(|word| !word.is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        };
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE comment_settings SET mode = $1, premoderate_first = $2, banned_words = $3, \
                 suspect_words = $4, premoderate_links = $5, auto_close_days = $6 WHERE only_row = 1",
            )
            .bind(settings.mode.as_str())
            .bind(i64::from(settings.premoderate_first))
            .bind(join(&settings.banned_words))
            .bind(join(&settings.suspect_words))
            .bind(settings.premoderate_links)
            .bind(settings.auto_close_days.map(i64::from))
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, now, AuditEntry {
                actor: actor.clone(),
                action: "comments.settings".to_owned(),
                subject_kind: "settings".to_owned(),
                subject_id: None,
                detail: format!(
                    "{}-moderation, first {} pre-moderated, {} banned and {} suspect words, links {}, auto-close {}",
                    settings.mode.as_str(),
                    settings.premoderate_first,
                    settings.banned_words.len(),
                    settings.suspect_words.len(),
                    if settings.premoderate_links { "pre-moderated" } else { "allowed" },
                    settings.auto_close_days.map_or_else(|| "never".to_owned(), |days| format!("after {days} days")),
                ),
            });
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn article_discussion(self, article_id: i64) -> Result<ArticleDiscussion> {
        let row: (bool, Option<String>, Option<bool>) = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT a.comments_open, d.mode, d.keep_open FROM articles a \
                 LEFT JOIN article_discussions d ON d.article_id = a.id WHERE a.id = $1",
            )
            .bind(article_id)
            .fetch_one(pool)
            .await?
        });
        Ok(ArticleDiscussion {
            comments_open: row.0,
            mode: row.1.as_deref().and_then(ModerationMode::parse),
            keep_open: row.2.unwrap_or(false),
        })
    }

    /// Gives an article its own moderation mode (`None`: the site's).
    pub async fn set_article_comment_mode(
        self,
        article_id: i64,
        mode: Option<ModerationMode>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO article_discussions (article_id, mode) VALUES ($1, $2) \
                 ON CONFLICT (article_id) DO UPDATE SET mode = excluded.mode",
            )
            .bind(article_id)
            .bind(mode.map(ModerationMode::as_str))
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "article.comments_mode", "article", article_id,
                mode.map_or("site default", ModerationMode::as_str).to_owned()));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Opens or closes comments on an article by hand. Reopening by hand also keeps the
    /// automatic closing away from it.
    pub async fn set_article_comments_open(
        self,
        article_id: i64,
        open: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE articles SET comments_open = $1 WHERE id = $2 AND comments_open <> $1")
                .bind(open)
                .bind(article_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(());
            }
            sqlx::query(
                "INSERT INTO article_discussions (article_id, keep_open) VALUES ($1, $2) \
                 ON CONFLICT (article_id) DO UPDATE SET keep_open = excluded.keep_open",
            )
            .bind(article_id)
            .bind(open)
            .execute(&mut *tx)
            .await?;
            record_change!(tx, now, "article", Some(article_id), [cache_tags::article(article_id), cache_tags::discussion(article_id)]);
            let action = if open { "article.comments_open" } else { "article.comments_close" };
            record_audit!(tx, now, AuditEntry::about(actor, action, "article", article_id, "by hand"));
            tx.commit().await?;
        });
        Ok(())
    }

    /// Closes comments on published articles older than the site's auto-close age (except
    /// those an editor reopened by hand); returns the articles closed.
    pub async fn close_stale_discussions(self, now: Timestamp) -> Result<Vec<i64>> {
        let settings = self.settings().await?;
        let Some(days) = settings.auto_close_days else {
            return Ok(Vec::new());
        };
        let cutoff = now - SignedDuration::from_hours(24 * i64::from(days));
        let actor = Actor::system(MODERATION_RULES_ACTOR);
        let closed = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT a.id FROM articles a LEFT JOIN article_discussions d ON d.article_id = a.id \
                 WHERE a.status = 'published' AND a.comments_open AND a.first_published_at < $1 \
                 AND (d.keep_open IS NULL OR NOT d.keep_open) ORDER BY a.id",
            )
            .bind(to_micros(cutoff))
            .fetch_all(&mut *tx)
            .await?;
            for &id in &ids {
                sqlx::query("UPDATE articles SET comments_open = $1 WHERE id = $2")
                    .bind(false)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                record_change!(tx, now, "article", Some(id), [cache_tags::article(id), cache_tags::discussion(id)]);
                record_audit!(tx, now, AuditEntry::about(&actor, "article.comments_close", "article", id, format!("automatically, {days} days after publication")));
            }
            tx.commit().await?;
            ids
        });
        Ok(closed)
    }

    // ----- writing -----

    /// Posts a comment after every rule has had its say: the article must be published with
    /// comments open, the parent shown, the author verified and in good standing, the body not a
    /// repeat; then the moderation rules decide whether it is shown, queued or rejected.
    pub async fn post(self, input: &NewComment, now: Timestamp) -> Result<Comment> {
        let body = check_body(&input.body)?.to_owned();
        let body_html = render_comment_html(&body);
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let article: Option<(String, bool, Option<String>)> = sqlx::query_as(
                "SELECT a.status, a.comments_open, d.mode FROM articles a \
                 LEFT JOIN article_discussions d ON d.article_id = a.id WHERE a.id = $1",
            )
            .bind(input.article_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status, open, article_mode)) = article else {
                return Err(DbError::NotFound);
            };
            if status != "published" || !open {
                return Err(CommentError::Closed.into());
            }
            let (root_id, depth) = match input.parent_id {
                None => (None, 0),
                Some(parent_id) => {
                    let parent = comment_in_tx!(tx, parent_id);
                    if parent.article_id != input.article_id || parent.status != CommentStatus::Approved {
                        return Err(CommentError::ParentNotShown.into());
                    }
                    (Some(parent.root_id), parent.depth + 1)
                }
            };
            let (commenter, reader_id, staff_id) = match input.author {
                CommentAuthor::Reader(id) => {
                    let reader = reader_in_tx!(tx, id);
                    if reader.deleted_at.is_some() {
                        return Err(DbError::NotFound);
                    }
                    if reader.verified_at.is_none() {
                        return Err(CommentError::Unverified.into());
                    }
                    let commenter = reader.commenter();
                    commenter.may_post(now)?;
                    let recent: Vec<String> = sqlx::query_scalar(
                        "SELECT body FROM comments WHERE reader_id = $1 AND created_at > $2 \
                         AND status <> 'deleted' ORDER BY id DESC LIMIT 50",
                    )
                    .bind(id)
                    .bind(to_micros(now - REPEAT_WINDOW))
                    .fetch_all(&mut *tx)
                    .await?;
                    if is_repeat(&body, recent.iter().map(String::as_str)) {
                        return Err(CommentError::RepeatPost.into());
                    }
                    (commenter, Some(id), None)
                }
                CommentAuthor::Staff(id) => (
                    Commenter {
                        status: ReaderStatus::Active,
                        suspended_until: None,
                        always_premoderate: false,
                        approved_count: 0,
                        is_staff: true,
                    },
                    None,
                    Some(id),
                ),
            };
            let settings = settings_from!(&mut *tx);
            let verdict = decide(
                &settings,
                &WordLists::new(&settings),
                Submission {
                    body: &body,
                    commenter: &commenter,
                    article_mode: article_mode.as_deref().and_then(ModerationMode::parse),
                },
            );
            let (status, queue_reason, reject_reason) = match &verdict {
                Verdict::Publish => (CommentStatus::Approved, None, None),
                Verdict::Queue(reason) => (CommentStatus::Pending, Some(reason.to_string()), None),
                Verdict::Reject(word) => (CommentStatus::Rejected, None, Some(format!("banned word “{word}”"))),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO comments (article_id, parent_id, root_id, depth, reader_id, staff_id, \
                 body, body_html, status, queue_reason, reject_reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            )
            .bind(input.article_id)
            .bind(input.parent_id)
            .bind(root_id)
            .bind(depth)
            .bind(reader_id)
            .bind(staff_id)
            .bind(&body)
            .bind(&body_html)
            .bind(status.as_str())
            .bind(&queue_reason)
            .bind(&reject_reason)
            .bind(to_micros(now))
            .fetch_one(&mut *tx)
            .await?;
            let comment = comment_in_tx!(tx, id);
            if status == CommentStatus::Approved {
                count_approval!(tx, comment, CommentStatus::Pending, status);
                discussion_changed!(tx, now, input.article_id);
            }
            if let Some(reason) = &reject_reason {
                record_audit!(tx, now, AuditEntry::about(&Actor::system(MODERATION_RULES_ACTOR), "comment.reject", "comment", id, reason.clone()));
            }
            tx.commit().await?;
            Ok(comment)
        })
    }

    /// The author changes their comment within the edit window. The rules look at it again: an
    /// edit can put a shown comment back in the queue, or reject it.
    pub async fn edit(
        self,
        id: i64,
        reader_id: i64,
        body: &str,
        now: Timestamp,
    ) -> Result<Comment> {
        let body = check_body(body)?.to_owned();
        let body_html = render_comment_html(&body);
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = comment_in_tx!(tx, id);
            if before.reader_id != Some(reader_id) {
                return Err(DbError::NotFound);
            }
            match before.status {
                CommentStatus::Deleted => return Err(CommentError::Deleted.into()),
                CommentStatus::Rejected => return Err(CommentError::Rejected.into()),
                CommentStatus::Pending | CommentStatus::Approved => {}
            }
            if !within_edit_window(before.created_at, now) {
                return Err(CommentError::EditWindowPassed.into());
            }
            let reader = reader_in_tx!(tx, reader_id);
            let commenter = reader.commenter();
            commenter.may_post(now)?;
            let article_mode: Option<String> = sqlx::query_scalar(
                "SELECT mode FROM article_discussions WHERE article_id = $1",
            )
            .bind(before.article_id)
            .fetch_optional(&mut *tx)
            .await?
            .flatten();
            let settings = settings_from!(&mut *tx);
            // Who the author is was judged when the comment first went up: an edit of a shown
            // comment is judged on its content (words, links, the mode), not held again because
            // its author is still new.
            let commenter = if before.status == CommentStatus::Approved {
                Commenter {
                    approved_count: commenter.approved_count.max(i64::from(settings.premoderate_first)),
                    ..commenter
                }
            } else {
                commenter
            };
            let verdict = decide(
                &settings,
                &WordLists::new(&settings),
                Submission {
                    body: &body,
                    commenter: &commenter,
                    article_mode: article_mode.as_deref().and_then(ModerationMode::parse),
                },
            );
            let (status, queue_reason, reject_reason) = match verdict {
                Verdict::Publish => (before.status, before.queue_reason.clone(), None),
                Verdict::Queue(reason) => (CommentStatus::Pending, Some(reason.to_string()), None),
                Verdict::Reject(word) => (CommentStatus::Rejected, None, Some(format!("banned word “{word}”"))),
            };
            sqlx::query(
                "UPDATE comments SET body = $1, body_html = $2, status = $3, queue_reason = $4, \
                 reject_reason = $5, edited_at = $6, featured = featured AND $7 WHERE id = $8",
            )
            .bind(&body)
            .bind(&body_html)
            .bind(status.as_str())
            .bind(&queue_reason)
            .bind(&reject_reason)
            .bind(to_micros(now))
            .bind(status == CommentStatus::Approved)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            count_approval!(tx, before, before.status, status);
            if before.status == CommentStatus::Approved || status == CommentStatus::Approved {
                discussion_changed!(tx, now, before.article_id);
            }
            if let Some(reason) = &reject_reason {
                record_audit!(tx, now, AuditEntry::about(&Actor::system(MODERATION_RULES_ACTOR), "comment.reject", "comment", id, format!("{reason} (after an edit)")));
            }
            let comment = comment_in_tx!(tx, id);
            tx.commit().await?;
            Ok(comment)
        })
    }

    /// The author takes their comment back: it becomes a tombstone (its replies keep their place).
    pub async fn delete_own(self, id: i64, reader_id: i64, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = comment_in_tx!(tx, id);
            if before.reader_id != Some(reader_id) {
                return Err(DbError::NotFound);
            }
            if before.status == CommentStatus::Deleted {
                return Ok(());
            }
            sqlx::query(
                "UPDATE comments SET status = 'deleted', body = '', body_html = '', featured = $1, \
                 edited_at = $2 WHERE id = $3",
            )
            .bind(false)
            .bind(to_micros(now))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            count_approval!(tx, before, before.status, CommentStatus::Deleted);
            if before.status == CommentStatus::Approved {
                discussion_changed!(tx, now, before.article_id);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// A reader reports a shown comment. Reporting the same comment twice counts once.
    pub async fn report(
        self,
        comment_id: i64,
        reader_id: i64,
        reason: ReportReason,
        detail: &str,
        now: Timestamp,
    ) -> Result<()> {
        let detail: String = detail.trim().chars().take(500).collect();
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let comment = comment_in_tx!(tx, comment_id);
            if comment.status != CommentStatus::Approved {
                return Err(DbError::NotFound);
            }
            if comment.reader_id == Some(reader_id) {
                return Err(CommentError::OwnReport.into());
            }
            let added = sqlx::query(
                "INSERT INTO comment_reports (comment_id, reader_id, reason, detail, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (comment_id, reader_id) DO NOTHING",
            )
            .bind(comment_id)
            .bind(reader_id)
            .bind(reason.as_str())
            .bind(&detail)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if added > 0 {
                sqlx::query("UPDATE comments SET report_count = report_count + 1 WHERE id = $1")
                    .bind(comment_id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    // ----- moderation -----

    /// Approves or rejects a comment (with a reason for a rejection); open reports on it are
    /// resolved by the decision. Recorded in the audit log.
    pub async fn moderate(
        self,
        id: i64,
        decision: ModeratorDecision,
        reason: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Comment> {
        let reason = reason.trim();
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = comment_in_tx!(tx, id);
            let status = before.status.moderate(decision)?;
            let reject_reason = (status == CommentStatus::Rejected)
                .then(|| if reason.is_empty() { "rejected by a moderator".to_owned() } else { reason.to_owned() });
            sqlx::query(
                "UPDATE comments SET status = $1, reject_reason = $2, moderated_at = $3, \
                 moderated_by_staff_id = $4, featured = featured AND $5 WHERE id = $6",
            )
            .bind(status.as_str())
            .bind(&reject_reason)
            .bind(to_micros(now))
            .bind(actor.staff_id)
            .bind(status == CommentStatus::Approved)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE comment_reports SET resolved_at = $1 WHERE comment_id = $2 AND resolved_at IS NULL")
                .bind(to_micros(now))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            count_approval!(tx, before, before.status, status);
            if before.status == CommentStatus::Approved || status == CommentStatus::Approved {
                discussion_changed!(tx, now, before.article_id);
            }
            let (action, detail) = match decision {
                ModeratorDecision::Approve => ("comment.approve", format!("comment by {} approved", before.author_name)),
                ModeratorDecision::Reject => ("comment.reject", format!("comment by {}: {}", before.author_name, reject_reason.as_deref().unwrap_or_default())),
            };
            record_audit!(tx, now, AuditEntry::about(actor, action, "comment", id, detail));
            let comment = comment_in_tx!(tx, id);
            tx.commit().await?;
            Ok(comment)
        })
    }

    /// Makes an approved comment an editor's pick (shown in the Featured tab), or not.
    pub async fn set_featured(
        self,
        id: i64,
        featured: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = comment_in_tx!(tx, id);
            if before.status != CommentStatus::Approved {
                return Err(DbError::Refused(dateline_core::ModerationRefusal::FeatureNeedsApproved.into()));
            }
            if before.featured == featured {
                return Ok(());
            }
            sqlx::query("UPDATE comments SET featured = $1 WHERE id = $2")
                .bind(featured)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            discussion_changed!(tx, now, before.article_id);
            let action = if featured { "comment.feature" } else { "comment.unfeature" };
            record_audit!(tx, now, AuditEntry::about(actor, action, "comment", id, format!("comment by {}", before.author_name)));
            tx.commit().await?;
        });
        Ok(())
    }

    /// A moderation queue, newest first; `before_id` pages back.
    pub async fn moderation_queue(
        self,
        queue: Queue,
        before_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<QueuedComment>> {
        let condition = match queue {
            Queue::Pending => "c.status = 'pending'",
            Queue::Approved => "c.status = 'approved'",
            Queue::Rejected => "c.status = 'rejected'",
            Queue::Reported => {
                "c.status IN ('pending', 'approved') AND EXISTS (SELECT 1 FROM comment_reports cr \
                 WHERE cr.comment_id = c.id AND cr.resolved_at IS NULL)"
            }
        };
        let sql =
            format!("{COMMENT_SELECT} WHERE {condition} AND c.id < $1 ORDER BY c.id DESC LIMIT $2");
        type Extra = (i64, String, Option<String>, Option<bool>, Option<i64>);
        let (rows, extras, reports) = on_reader!(self.store, pool => {
            let rows: Vec<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
            let extras: Vec<Extra> = if ids.is_empty() { Vec::new() } else {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT c.id, a.headline, r.status, r.always_premoderate, r.approved_count \
                     FROM comments c JOIN articles a ON a.id = c.article_id \
                     LEFT JOIN readers r ON r.id = c.reader_id WHERE c.id IN ({})",
                    placeholders(ids.len())
                )))
                .bind_all(&ids)
                .fetch_all(pool)
                .await?
            };
            let reports: Vec<(i64, String, String)> = if ids.is_empty() { Vec::new() } else {
                sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT comment_id, reason, detail FROM comment_reports \
                     WHERE resolved_at IS NULL AND comment_id IN ({}) ORDER BY id",
                    placeholders(ids.len())
                )))
                .bind_all(&ids)
                .fetch_all(pool)
                .await?
            };
            (rows, extras, reports)
        });
        let mut extras: HashMap<i64, Extra> =
            extras.into_iter().map(|extra| (extra.0, extra)).collect();
        let mut reports_by: HashMap<i64, Vec<(ReportReason, String)>> = HashMap::new();
        for (comment_id, reason, detail) in reports {
            if let Some(reason) = ReportReason::parse(&reason) {
                reports_by
                    .entry(comment_id)
                    .or_default()
                    .push((reason, detail));
            }
        }
        rows.into_iter()
            .map(|row| {
                let comment = Comment::try_from(row)?;
                let (_, headline, status, always, approved) =
                    extras.remove(&comment.id).unwrap_or_default();
                let reader = match (
                    status.as_deref().and_then(ReaderStatus::parse),
                    always,
                    approved,
                ) {
                    (Some(status), Some(always_premoderate), Some(approved_count)) => {
                        Some(ReaderStanding {
                            status,
                            always_premoderate,
                            approved_count,
                        })
                    }
                    _ => None,
                };
                Ok(QueuedComment {
                    reports: reports_by.remove(&comment.id).unwrap_or_default(),
                    comment,
                    article_headline: headline,
                    reader,
                })
            })
            .collect()
    }

    /// How many comments wait in each queue, for the newsroom's menu and tabs.
    pub async fn moderation_counts(self) -> Result<HashMap<Queue, i64>> {
        let (pending, reported): (i64, i64) = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM comments WHERE status = 'pending'), \
                 (SELECT COUNT(DISTINCT cr.comment_id) FROM comment_reports cr \
                  JOIN comments c ON c.id = cr.comment_id \
                  WHERE cr.resolved_at IS NULL AND c.status IN ('pending', 'approved'))",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(HashMap::from([
            (Queue::Pending, pending),
            (Queue::Reported, reported),
        ]))
    }

    // ----- reading -----

    /// One comment whatever its status or article: for the newsroom. Anything a reader sees
    /// goes through [`Comments::visible`].
    pub async fn by_id(self, id: i64) -> Result<Comment> {
        let row: CommentRow = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{COMMENT_SELECT} WHERE c.id = $1")))
                .bind(id)
                .fetch_one(pool)
                .await?
        });
        row.try_into()
    }

    /// One comment, if `viewer` may see it ([`may_see`]); a hidden comment is
    /// [`DbError::NotFound`], exactly like one that does not exist, so no answer tells them apart.
    pub async fn visible(self, id: i64, viewer: Viewer) -> Result<Comment> {
        let (row, article_published): (Option<CommentRow>, bool) = on_reader!(self.store, pool => {
            let row: Option<CommentRow> =
                sqlx::query_as(sqlx::AssertSqlSafe(format!("{COMMENT_SELECT} WHERE c.id = $1")))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
            let published: bool = match &row {
                Some(row) => sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM articles WHERE id = $1 AND status = 'published')",
                )
                .bind(row.article_id)
                .fetch_one(pool)
                .await?,
                None => false,
            };
            (row, published)
        });
        let comment = Comment::try_from(row.ok_or(DbError::NotFound)?)?;
        let standing = CommentStanding {
            status: comment.status,
            reader_id: comment.reader_id,
            article_published,
        };
        if may_see(viewer, standing) {
            Ok(comment)
        } else {
            Err(DbError::NotFound)
        }
    }

    /// Approved comments per article, for the counts on article pages and cards.
    pub async fn approved_counts(self, article_ids: &[i64]) -> Result<HashMap<i64, i64>> {
        if article_ids.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT c.article_id, COUNT(*) FROM comments c WHERE {} \
             AND c.article_id IN ({}) GROUP BY c.article_id",
            shown_to_all("c"),
            placeholders(article_ids.len())
        );
        let rows: Vec<(i64, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind_all(article_ids).fetch_all(pool).await?
        });
        Ok(rows.into_iter().collect())
    }

    /// The ids of the newest `limit` comments of `article_id` every reader sees, newest first,
    /// or `None` when readers cannot see the article (not published): what the live comment
    /// count of every open page of the article is counted from.
    pub async fn newest_shown_ids(self, article_id: i64, limit: i64) -> Result<Option<Vec<i64>>> {
        Ok(on_reader!(self.store, pool => {
            let published: Option<bool> = sqlx::query_scalar(
                "SELECT status = 'published' FROM articles WHERE id = $1",
            )
            .bind(article_id)
            .fetch_optional(pool)
            .await?;
            if published != Some(true) {
                None
            } else {
                Some(
                    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                        "SELECT c.id FROM comments c WHERE c.article_id = $1 AND {} \
                         ORDER BY c.id DESC LIMIT $2",
                        shown_to_all("c")
                    )))
                    .bind(article_id)
                    .bind(limit)
                    .fetch_all(pool)
                    .await?,
                )
            }
        }))
    }

    /// One page of an article's discussion as every reader sees it (no one's pending comments).
    pub async fn discussion_page(
        self,
        article_id: i64,
        sort: DiscussionSort,
        offset: i64,
        limit: i64,
    ) -> Result<DiscussionPage> {
        let shown = shown_to_all("c");
        // A top-level comment heads a thread when it is shown, or deleted with a shown reply.
        let shown_root = format!(
            "c.article_id = $1 AND c.parent_id IS NULL AND (({shown}) \
             OR (c.status = 'deleted' AND EXISTS (SELECT 1 FROM comments x \
                 WHERE x.root_id = c.id AND {})))",
            shown_to_all("x")
        );
        let (entries_sql, total_sql) = match sort {
            DiscussionSort::Featured => (
                format!(
                    "{COMMENT_SELECT} WHERE c.article_id = $1 AND {shown} AND c.featured \
                         ORDER BY c.created_at DESC, c.id DESC LIMIT $2 OFFSET $3"
                ),
                format!(
                    "SELECT COUNT(*) FROM comments c WHERE c.article_id = $1 AND {shown} AND c.featured"
                ),
            ),
            DiscussionSort::Oldest | DiscussionSort::Newest => {
                let order = if sort == DiscussionSort::Oldest {
                    "ASC"
                } else {
                    "DESC"
                };
                (
                    format!(
                        "{COMMENT_SELECT} WHERE {shown_root} ORDER BY c.created_at {order}, c.id {order} LIMIT $2 OFFSET $3"
                    ),
                    format!("SELECT COUNT(*) FROM comments c WHERE {shown_root}"),
                )
            }
        };
        let (entries, total, approved_count) = on_reader!(self.store, pool => {
            let entries: Vec<CommentRow> = sqlx::query_as(sqlx::AssertSqlSafe(entries_sql))
                .bind(article_id)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?;
            let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(total_sql))
                .bind(article_id)
                .fetch_one(pool)
                .await?;
            let approved: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM comments c WHERE c.article_id = $1 AND {shown}"
            )))
            .bind(article_id)
            .fetch_one(pool)
            .await?;
            (entries, total, approved)
        });
        let entries: Vec<Comment> = entries
            .into_iter()
            .map(Comment::try_from)
            .collect::<Result<_>>()?;
        let threads = if sort == DiscussionSort::Featured {
            entries.into_iter().map(|comment| vec![comment]).collect()
        } else {
            let roots: Vec<i64> = entries.iter().map(|comment| comment.id).collect();
            let replies = self.thread_replies(&roots).await?;
            entries
                .into_iter()
                .map(|root| shown_thread(root, &replies))
                .collect()
        };
        Ok(DiscussionPage {
            threads,
            total_entries: total,
            approved_count,
        })
    }

    /// A comment and every shown reply under it, depth-first: the page a deep thread continues on.
    pub async fn thread(self, id: i64) -> Result<Vec<Comment>> {
        // A tombstone may head a thread page; any other head must be one everybody may see.
        let head = match self.visible(id, Viewer::Public).await {
            Err(DbError::NotFound) => self
                .visible(id, Viewer::Staff)
                .await
                .ok()
                .filter(|head| head.status == CommentStatus::Deleted)
                .ok_or(DbError::NotFound)?,
            found => found?,
        };
        let replies = self.thread_replies(&[head.root_id]).await?;
        let thread = shown_thread(head, &replies);
        if thread
            .iter()
            .all(|comment| comment.status != CommentStatus::Approved)
        {
            return Err(DbError::NotFound);
        }
        Ok(thread)
    }

    /// A reader's own comments on an article that others do not see yet (waiting or rejected),
    /// for the reader's uncached view of the discussion.
    pub async fn unshown_of_reader(self, article_id: i64, reader_id: i64) -> Result<Vec<Comment>> {
        let rows: Vec<CommentRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "{COMMENT_SELECT} WHERE c.article_id = $1 AND c.reader_id = $2 \
                 AND c.status IN ('pending', 'rejected') AND EXISTS (SELECT 1 FROM articles pa \
                 WHERE pa.id = c.article_id AND pa.status = 'published') ORDER BY c.id"
            )))
            .bind(article_id)
            .bind(reader_id)
            .fetch_all(pool)
            .await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    /// Replies (shown or tombstones) in the threads headed by `roots`, oldest first.
    async fn thread_replies(self, roots: &[i64]) -> Result<Vec<Comment>> {
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{COMMENT_SELECT} WHERE c.root_id IN ({}) AND (({}) OR c.status = 'deleted') \
             ORDER BY c.created_at, c.id",
            placeholders(roots.len()),
            shown_to_all("c")
        );
        let rows: Vec<CommentRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind_all(roots).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }
}

/// `head` and its shown descendants among `replies`, depth-first, oldest first at each level;
/// a deleted comment stays (as a tombstone) only when a shown reply hangs from it.
fn shown_thread(head: Comment, replies: &[Comment]) -> Vec<Comment> {
    let mut children: HashMap<i64, Vec<&Comment>> = HashMap::new();
    for reply in replies {
        if let Some(parent) = reply.parent_id {
            children.entry(parent).or_default().push(reply);
        }
    }
    // Which comments have a shown comment at or below them.
    fn keeps(
        id: i64,
        status: CommentStatus,
        children: &HashMap<i64, Vec<&Comment>>,
        kept: &mut HashSet<i64>,
    ) -> bool {
        let mut any = status == CommentStatus::Approved;
        for child in children.get(&id).into_iter().flatten() {
            any |= keeps(child.id, child.status, children, kept);
        }
        if any {
            kept.insert(id);
        }
        any
    }
    let mut kept = HashSet::new();
    keeps(head.id, head.status, &children, &mut kept);
    let mut thread = Vec::new();
    fn walk(
        comment: &Comment,
        children: &HashMap<i64, Vec<&Comment>>,
        kept: &HashSet<i64>,
        out: &mut Vec<Comment>,
    ) {
        if !kept.contains(&comment.id) {
            return;
        }
        out.push(comment.clone());
        for child in children.get(&comment.id).into_iter().flatten() {
            walk(child, children, kept, out);
        }
    }
    walk(&head, &children, &kept, &mut thread);
    thread
}

/// `$1, $2, …, $n` for an `IN (…)` list.
fn placeholders(count: usize) -> String {
    (1..=count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Binds every id of a list, in order.
trait BindAll<'q> {
    fn bind_all(self, ids: &'q [i64]) -> Self;
}

impl<'q, DB, O> BindAll<'q> for sqlx::query::QueryAs<'q, DB, O, <DB as sqlx::Database>::Arguments>
where
    DB: sqlx::Database,
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_all(mut self, ids: &'q [i64]) -> Self {
        for id in ids {
            self = self.bind(*id);
        }
        self
    }
}
