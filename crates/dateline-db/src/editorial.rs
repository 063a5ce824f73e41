//! The editorial side of articles: revisions (list, load, compare, restore), workflow steps with
//! their audit entries, scheduled publication, and the notes readers see when a published story
//! changes (corrections, clarifications, updates).

use dateline_core::JobKind;
use dateline_core::notes::check_note_text;
use dateline_core::revisions::{RevisionDiff, compare};
use dateline_core::workflow::{check_schedule, check_transition};
use dateline_core::{
    Article, ArticleNote, ArticleRefusal, ArticleSnapshot, ArticleStatus, CorrectionEntry,
    NoteKind, NoteRefusal, cache_tags,
};
use jiff::Timestamp;
use serde::Serialize;

use crate::articles::{StatusOnSave, change_tags, corrections_list_tag, read_placement};
use crate::audit::{Actor, AuditEntry, record_audit};
use crate::changes::record_change;
use crate::narration::queue_narration;
use crate::{
    ArticleInput, Articles, DbError, Result, from_micros, on_reader, on_writer, to_micros,
};

/// Who publishes a scheduled article: the platform, on the newsroom's behalf.
pub const SCHEDULER_ACTOR: &str = "scheduler";

/// One line of an article's history, without the saved text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionSummary {
    pub number: i64,
    /// The article's version right after this save: the `expected_version` of the next one.
    pub article_version: i64,
    pub saved_at: Timestamp,
    pub saved_by: Actor,
    /// The revision number this save brought back, when it was a restore.
    pub restored_from: Option<i64>,
    pub headline: String,
}

/// One saved version of an article, with every editable field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    pub article_id: i64,
    pub number: i64,
    pub article_version: i64,
    pub saved_at: Timestamp,
    pub saved_by: Actor,
    pub restored_from: Option<i64>,
    pub snapshot: ArticleSnapshot,
}

impl Revision {
    pub fn summary(&self) -> RevisionSummary {
        RevisionSummary {
            number: self.number,
            article_version: self.article_version,
            saved_at: self.saved_at,
            saved_by: self.saved_by.clone(),
            restored_from: self.restored_from,
            headline: self.snapshot.headline.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct RevisionRow {
    article_id: i64,
    number: i64,
    article_version: i64,
    saved_at: i64,
    saved_by_staff_id: Option<i64>,
    saved_by_name: String,
    restored_from: Option<i64>,
    snapshot: String,
}

impl TryFrom<RevisionRow> for Revision {
    type Error = DbError;
    fn try_from(row: RevisionRow) -> Result<Self> {
        let snapshot = serde_json::from_str(&row.snapshot).map_err(|e| {
            DbError::Invalid(format!(
                "revision {} of article {} cannot be read: {e}",
                row.number, row.article_id
            ))
        })?;
        Ok(Revision {
            article_id: row.article_id,
            number: row.number,
            article_version: row.article_version,
            saved_at: from_micros(row.saved_at),
            saved_by: Actor {
                staff_id: row.saved_by_staff_id,
                name: row.saved_by_name,
            },
            restored_from: row.restored_from,
            snapshot,
        })
    }
}

const REVISION_COLUMNS: &str = "article_id, number, article_version, saved_at, \
     saved_by_staff_id, saved_by_name, restored_from, snapshot";

#[derive(sqlx::FromRow)]
struct NoteRow {
    id: i64,
    article_id: i64,
    kind: String,
    body: String,
    published_at: i64,
}

impl From<NoteRow> for ArticleNote {
    fn from(row: NoteRow) -> Self {
        ArticleNote {
            id: row.id,
            article_id: row.article_id,
            // The CHECK constraint admits only known kinds.
            kind: NoteKind::parse(&row.kind).unwrap_or(NoteKind::Update),
            text: row.body,
            published_at: from_micros(row.published_at),
        }
    }
}

#[derive(sqlx::FromRow)]
struct CorrectionRow {
    #[sqlx(flatten)]
    note: NoteRow,
    headline: String,
    section_slug: String,
    section_name: String,
    article_slug: String,
}

/// The audit verb of moving an article to `status`.
fn transition_action(status: ArticleStatus) -> &'static str {
    match status {
        ArticleStatus::Draft => "article.to_draft",
        ArticleStatus::InReview => "article.submit",
        ArticleStatus::Scheduled => "article.schedule",
        ArticleStatus::Published => "article.publish",
        ArticleStatus::Unpublished => "article.unpublish",
    }
}

fn note_action(kind: NoteKind) -> &'static str {
    match kind {
        NoteKind::Correction => "article.correct",
        NoteKind::Clarification => "article.clarify",
        NoteKind::Update => "article.update_note",
    }
}

/// At most `max` characters of `text`, for an audit line.
fn excerpt(text: &str, max: usize) -> String {
    let mut short: String = text.chars().take(max).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// Queues (or moves) the publication job of article `$id` to `$at` inside `$tx`: one waiting
/// job per article, so rescheduling moves it instead of adding a second one.
macro_rules! queue_publication {
    ($tx:expr, $now:expr, $id:expr, $at:expr) => {{
        sqlx::query(
            "INSERT INTO jobs (kind, payload, dedup_key, priority, state, run_at, max_attempts, \
             created_at) VALUES ($1, $2, $3, 10, 'queued', $4, 10, $5) \
             ON CONFLICT (dedup_key) WHERE state = 'queued' \
             DO UPDATE SET run_at = excluded.run_at, payload = excluded.payload",
        )
        .bind(JobKind::PublishDue.name())
        .bind(serde_json::json!({ "article_id": $id }).to_string())
        .bind(JobKind::PublishDue.dedup_key(Some($id)))
        .bind(to_micros($at))
        .bind(to_micros($now))
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Articles<'_> {
    /// An article's revisions, newest first.
    pub async fn revisions(self, article_id: i64) -> Result<Vec<RevisionSummary>> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM article_revisions WHERE article_id = $1 \
             ORDER BY number DESC"
        );
        let rows: Vec<RevisionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(article_id).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|row| Revision::try_from(row).map(|r| r.summary()))
            .collect()
    }

    /// One revision of an article by its number (1 is the first save).
    pub async fn revision(self, article_id: i64, number: i64) -> Result<Option<Revision>> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM article_revisions WHERE article_id = $1 AND number = $2"
        );
        let row: Option<RevisionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(article_id)
                .bind(number)
                .fetch_optional(pool)
                .await?
        });
        row.map(Revision::try_from).transpose()
    }

    /// The newest revision: what the article holds now (the other side of a conflict page).
    pub async fn latest_revision(self, article_id: i64) -> Result<Option<Revision>> {
        let sql = format!(
            "SELECT {REVISION_COLUMNS} FROM article_revisions WHERE article_id = $1 \
             ORDER BY number DESC LIMIT 1"
        );
        let row: Option<RevisionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(article_id).fetch_optional(pool).await?
        });
        row.map(Revision::try_from).transpose()
    }

    /// Revision `old` compared with revision `new` of one article, word by word.
    pub async fn compare_revisions(
        self,
        article_id: i64,
        old: i64,
        new: i64,
    ) -> Result<RevisionDiff> {
        let old = self
            .revision(article_id, old)
            .await?
            .ok_or(DbError::NotFound)?;
        let new = self
            .revision(article_id, new)
            .await?
            .ok_or(DbError::NotFound)?;
        Ok(compare(&old.snapshot, &new.snapshot))
    }

    /// Brings revision `number` back as a new revision by `actor` (history is never rewritten).
    /// The optimistic lock applies as to any save; the status stays what it is.
    pub async fn restore_revision(
        self,
        article_id: i64,
        number: i64,
        expected_version: i64,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Article> {
        let revision = self
            .revision(article_id, number)
            .await?
            .ok_or(DbError::NotFound)?;
        let status = self
            .by_id(article_id)
            .await?
            .ok_or(DbError::NotFound)?
            .status;
        let input = ArticleInput::from_snapshot(revision.snapshot, status);
        self.write_article(
            article_id,
            expected_version,
            &input,
            actor,
            StatusOnSave::Keep,
            Some(number),
            now,
        )
        .await
    }

    /// The one way the newsroom changes an article's status: the workflow rules decide
    /// (`dateline_core::workflow`), publishing sets the first publication time once, public
    /// pages drop what changed, and the audit log records who did it. Scheduling needs a time:
    /// use [`Articles::schedule`].
    pub async fn transition(
        self,
        id: i64,
        to: ArticleStatus,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Article> {
        if to == ArticleStatus::Scheduled {
            return Err(DbError::Invalid(
                "scheduling needs a publication time".to_owned(),
            ));
        }
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            // Takes the row lock first (PostgreSQL), so two nodes publishing the same scheduled
            // article serialise here and the second sees it already published.
            sqlx::query("UPDATE articles SET version = version WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let current: Option<(String, Option<i64>, String)> = sqlx::query_as(
                "SELECT status, scheduled_for, headline FROM articles WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let (status, scheduled_for, headline) = current.ok_or(DbError::NotFound)?;
            let from = ArticleStatus::parse(&status).unwrap_or(ArticleStatus::Draft);
            check_transition(from, to, scheduled_for.map(from_micros), now)?;
            let before = read_placement!(tx, id).ok_or(DbError::NotFound)?;
            if to == ArticleStatus::Published && before.author_ids.is_empty() {
                return Err(DbError::Refused(
                    ArticleRefusal::BylineEmpty { status: to }.into(),
                ));
            }
            let publishing = to == ArticleStatus::Published;
            let now_micros = to_micros(now);
            // Every right-hand side sees the row as it was, so both CASEs test the old
            // first publication time: a first publish also moves "updated" up to it.
            sqlx::query(
                "UPDATE articles SET status = $1, \
                 first_published_at = CASE WHEN $2 AND first_published_at IS NULL THEN $3 \
                 ELSE first_published_at END, \
                 updated_at = CASE WHEN $2 AND first_published_at IS NULL AND updated_at < $3 \
                 THEN $3 ELSE updated_at END, \
                 scheduled_for = NULL, version = version + 1 WHERE id = $4",
            )
            .bind(to.as_str())
            .bind(publishing)
            .bind(now_micros)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let after = read_placement!(tx, id).ok_or(DbError::NotFound)?;
            let mut tags = change_tags(id, Some(&before), &after);
            if before.published != after.published {
                tags.extend(corrections_list_tag!(tx, id));
            }
            record_change!(tx, now, "article", Some(id), tags);
            if publishing {
                let _queued = queue_narration!(tx, now, id);
            }
            let entry = AuditEntry {
                actor: actor.clone(),
                action: transition_action(to).to_owned(),
                subject_kind: "article".to_owned(),
                subject_id: Some(id),
                detail: format!("{from} → {to}: {}", excerpt(&headline, 120)),
            };
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Schedules an article to go out at `publish_at` (its embargo): the status becomes
    /// scheduled and a publication job waits for that time. Rescheduling moves the time.
    /// Resolve a time typed in the newsroom's zone with `workflow::resolve_local_time` first.
    pub async fn schedule(
        self,
        id: i64,
        publish_at: Timestamp,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Article> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE articles SET version = version WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let current: Option<(String, String)> =
                sqlx::query_as("SELECT status, headline FROM articles WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (status, headline) = current.ok_or(DbError::NotFound)?;
            let from = ArticleStatus::parse(&status).unwrap_or(ArticleStatus::Draft);
            check_schedule(from, publish_at, now)?;
            let authors: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM article_authors WHERE article_id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
            if authors == 0 {
                return Err(DbError::Refused(
                    ArticleRefusal::BylineEmpty {
                        status: ArticleStatus::Scheduled,
                    }
                    .into(),
                ));
            }
            sqlx::query(
                "UPDATE articles SET status = 'scheduled', scheduled_for = $1, \
                 version = version + 1 WHERE id = $2",
            )
            .bind(to_micros(publish_at))
            .bind(id)
            .execute(&mut *tx)
            .await?;
            queue_publication!(tx, now, id, publish_at);
            // Not visible yet: only the article's own (newsroom) views change.
            record_change!(
                tx,
                now,
                "article",
                Some(id),
                [cache_tags::article(id), cache_tags::ANY_ARTICLE.to_owned()]
            );
            let entry = AuditEntry {
                actor: actor.clone(),
                action: transition_action(ArticleStatus::Scheduled).to_owned(),
                subject_kind: "article".to_owned(),
                subject_id: Some(id),
                detail: format!("{from} → scheduled for {publish_at}: {}", excerpt(&headline, 120)),
            };
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Publishes every scheduled article whose time has come by `now`, oldest embargo first, and
    /// returns them. Safe to run anywhere, any number of times: an article another node has
    /// just published, or that was taken off the schedule, is skipped. The job handler runs it,
    /// and so does start-up, so after downtime overdue articles go out at once.
    pub async fn publish_due(self, now: Timestamp) -> Result<Vec<Article>> {
        let due: Vec<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT id FROM articles WHERE status = 'scheduled' AND scheduled_for <= $1 \
                 ORDER BY scheduled_for, id",
            )
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        let scheduler = Actor::system(SCHEDULER_ACTOR);
        let mut published = Vec::with_capacity(due.len());
        for id in due {
            match self
                .transition(id, ArticleStatus::Published, &scheduler, now)
                .await
            {
                Ok(article) => published.push(article),
                Err(DbError::Workflow(_) | DbError::NotFound) => {}
                // One article that cannot go out must not hold back the others; it stays
                // scheduled and overdue, where the newsroom sees it.
                Err(DbError::Refused(reason)) => {
                    tracing::warn!(article = id, %reason, "scheduled article could not be published");
                }
                Err(error) => return Err(error),
            }
        }
        Ok(published)
    }

    /// Makes sure every scheduled article has its publication job waiting (a job lost to a
    /// failed run or a restored backup would otherwise leave it unpublished); returns how many.
    pub async fn queue_scheduled_publications(self, now: Timestamp) -> Result<usize> {
        let scheduled: Vec<(i64, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, scheduled_for FROM articles \
                 WHERE status = 'scheduled' AND scheduled_for IS NOT NULL",
            )
            .fetch_all(pool)
            .await?
        });
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            for (id, at) in &scheduled {
                queue_publication!(tx, now, *id, from_micros(*at));
            }
            tx.commit().await?;
        });
        Ok(scheduled.len())
    }

    /// Adds a correction, clarification or update to a published article at `at`. The article's
    /// "updated" time moves to `at` (readers and `dateModified` see the change), its pages and
    /// the corrections log drop from caches, and the audit log records who wrote it.
    pub async fn add_note(
        self,
        article_id: i64,
        kind: NoteKind,
        text: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<ArticleNote> {
        let text = check_note_text(text).map_err(|refusal| DbError::Refused(refusal.into()))?;
        let at_micros = to_micros(at);
        let row: NoteRow = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE articles SET version = version WHERE id = $1")
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
            let current: Option<(String, String)> =
                sqlx::query_as("SELECT status, headline FROM articles WHERE id = $1")
                    .bind(article_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let (status, headline) = current.ok_or(DbError::NotFound)?;
            if status != ArticleStatus::Published.as_str() {
                return Err(DbError::Refused(NoteRefusal::NotPublished.into()));
            }
            let row: NoteRow = sqlx::query_as(
                "INSERT INTO article_notes (article_id, kind, body, published_at, \
                 written_by_staff_id, written_by_name) VALUES ($1, $2, $3, $4, $5, $6) \
                 RETURNING id, article_id, kind, body, published_at",
            )
            .bind(article_id)
            .bind(kind.as_str())
            .bind(text)
            .bind(at_micros)
            .bind(actor.staff_id)
            .bind(&actor.name)
            .fetch_one(&mut *tx)
            .await?;
            // Not a new version: an editor's open form stays valid, the text did not change.
            sqlx::query(
                "UPDATE articles SET updated_at = CASE WHEN updated_at < $1 THEN $1 \
                 ELSE updated_at END WHERE id = $2",
            )
            .bind(at_micros)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
            let mut tags = vec![cache_tags::article(article_id), cache_tags::ANY_ARTICLE.to_owned()];
            if kind == NoteKind::Correction {
                tags.push(cache_tags::CORRECTIONS_LIST.to_owned());
            }
            record_change!(tx, at, "article", Some(article_id), tags);
            let entry = AuditEntry {
                actor: actor.clone(),
                action: note_action(kind).to_owned(),
                subject_kind: "article".to_owned(),
                subject_id: Some(article_id),
                detail: format!(
                    "{} on “{}”: {}",
                    kind.label(),
                    excerpt(&headline, 80),
                    excerpt(text, 160)
                ),
            };
            record_audit!(tx, at, entry);
            tx.commit().await?;
            row
        });
        Ok(row.into())
    }

    /// An article's notes, newest first.
    pub async fn notes(self, article_id: i64) -> Result<Vec<ArticleNote>> {
        let rows: Vec<NoteRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, article_id, kind, body, published_at FROM article_notes \
                 WHERE article_id = $1 ORDER BY published_at DESC, id DESC",
            )
            .bind(article_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(ArticleNote::from).collect())
    }

    /// Corrections on published articles across the site, newest first.
    pub async fn corrections(self, limit: i64, offset: i64) -> Result<Vec<CorrectionEntry>> {
        let rows: Vec<CorrectionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT n.id, n.article_id, n.kind, n.body, n.published_at, a.headline, \
                 s.slug AS section_slug, s.name AS section_name, a.slug AS article_slug FROM article_notes n \
                 JOIN articles a ON a.id = n.article_id JOIN sections s ON s.id = a.section_id \
                 WHERE n.kind = 'correction' AND a.status = 'published' \
                 ORDER BY n.published_at DESC, n.id DESC LIMIT $1 OFFSET $2",
            )
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| CorrectionEntry {
                note: row.note.into(),
                headline: row.headline,
                section_slug: row.section_slug,
                section_name: row.section_name,
                article_slug: row.article_slug,
            })
            .collect())
    }

    /// How many entries [`Articles::corrections`] pages through.
    pub async fn count_corrections(self) -> Result<i64> {
        let count: i64 = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM article_notes n JOIN articles a ON a.id = n.article_id \
                 WHERE n.kind = 'correction' AND a.status = 'published'",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(count)
    }
}
