//! Narration's rows: each article's audio and where its next narration stands, the newsroom's
//! pronunciation lexicon, and the voice chosen for the site and per section.

use dateline_core::narration::{Lexicon, Pronunciation};
use dateline_core::{JobKind, cache_tags};
use jiff::Timestamp;

use crate::audit::{Actor, AuditEntry, record_audit};
use crate::changes::record_change;
use crate::{DbError, Narration, Result, from_micros, on_reader, on_writer, to_micros};

/// Below the site's own jobs: narration waits for publishing, never the other way round.
pub const NARRATE_PRIORITY: i64 = -5;

/// The narration budget (issue 14): an article is *archive* when it was imported, or when it
/// has not changed for `narration_settings.archive_days` days. Archive articles are not narrated
/// as they are written or when a better voice arrives, only when a reader asks for their audio
/// or the operator runs `dateline narrate --archive`: an imported archive of 100,000 stories
/// must not keep a core busy for days. `now` is the placeholder of the time, in microseconds.
pub(crate) fn not_archive(now: &str) -> String {
    format!(
        "NOT EXISTS (SELECT 1 FROM import_sources s WHERE s.kind = 'article' \
         AND s.entity_id = a.id) AND a.updated_at >= CAST({now} AS BIGINT) - \
         (SELECT CAST(ns.archive_days AS BIGINT) * 86400000000 FROM narration_settings ns \
         WHERE ns.only_row = 1)"
    )
}

/// Archive articles too: a person asked for this one (the newsroom's "regenerate", a reader's
/// first listen, `dateline narrate --archive`).
pub(crate) const ANY_AGE: &str = "TRUE";

/// Queues the narration of article `$id` inside `$tx` when it is published, not opted out and
/// not archive ([`not_archive`], or the condition given, [`ANY_AGE`]): one waiting job per
/// article, so a burst of edits narrates once. The audio readers hear stays until the new
/// narration is complete.
macro_rules! queue_narration {
    ($tx:expr, $now:expr, $id:expr) => {
        $crate::narration::queue_narration!($tx, $now, $id, &$crate::narration::not_archive("$5"))
    };
    ($tx:expr, $now:expr, $id:expr, $budget:expr) => {{
        let id: i64 = $id;
        let now = $crate::to_micros($now);
        let budget: &str = $budget;
        let sql = format!(
            "INSERT INTO jobs (kind, payload, dedup_key, priority, state, run_at, max_attempts, \
             created_at) SELECT $1, $2, $3, CAST($4 AS BIGINT), 'queued', CAST($5 AS BIGINT), 5, \
             CAST($5 AS BIGINT) FROM articles a WHERE a.id = $6 AND a.status = 'published' \
             AND NOT EXISTS (SELECT 1 FROM article_audio au WHERE au.article_id = $6 AND au.opted_out) \
             AND {budget} \
             ON CONFLICT (dedup_key) WHERE state = 'queued' DO NOTHING"
        );
        let queued = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(dateline_core::JobKind::NarrateArticle.name())
        .bind(serde_json::json!({ "article_id": id }).to_string())
        .bind(dateline_core::JobKind::NarrateArticle.dedup_key(Some(id)))
        .bind($crate::narration::NARRATE_PRIORITY)
        .bind(now)
        .bind(id)
        .execute(&mut *$tx)
        .await?
        .rows_affected();
        if queued > 0 {
            sqlx::query(
                "INSERT INTO article_audio (article_id, status, updated_at) VALUES ($1, 'queued', $2) \
                 ON CONFLICT (article_id) DO UPDATE SET status = 'queued', reason = NULL, \
                 updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        }
        queued > 0
    }};
}
pub(crate) use queue_narration;

/// Where an article's narration stands, as the newsroom shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioStatus {
    Queued,
    Generating,
    /// Narrated by the neural voice.
    Ready,
    /// Narrated by the fallback voice: playable, to be replaced when the neural voice is there.
    Fallback,
    Failed,
    OptedOut,
}

impl AudioStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AudioStatus::Queued => "queued",
            AudioStatus::Generating => "generating",
            AudioStatus::Ready => "ready",
            AudioStatus::Fallback => "fallback",
            AudioStatus::Failed => "failed",
            AudioStatus::OptedOut => "opted_out",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "queued" => AudioStatus::Queued,
            "generating" => AudioStatus::Generating,
            "ready" => AudioStatus::Ready,
            "fallback" => AudioStatus::Fallback,
            "failed" => AudioStatus::Failed,
            "opted_out" => AudioStatus::OptedOut,
            _ => return None,
        })
    }
}

/// The finished files of one narration, all in object storage under content-addressed keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AudioFiles {
    pub voice: String,
    pub is_fallback: bool,
    pub duration_ms: i64,
    pub mp3_key: String,
    pub mp3_bytes: i64,
    pub opus_key: String,
    pub opus_bytes: i64,
    pub timings_key: String,
}

/// One narration's bookkeeping, stored with its files: what it was made from and how much of it
/// the paragraph cache supplied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NarrationRun {
    pub text_hash: String,
    pub synthesised_paragraphs: i64,
    pub reused_paragraphs: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleAudio {
    pub article_id: i64,
    pub status: AudioStatus,
    pub reason: Option<String>,
    pub opted_out: bool,
    /// The audio readers hear now, if any (it stays while a new narration is made).
    pub files: Option<AudioFiles>,
    pub run: NarrationRun,
    pub updated_at: Timestamp,
}

impl ArticleAudio {
    /// What the public page offers: the current files, unless the newsroom opted out.
    pub fn playable(&self) -> Option<&AudioFiles> {
        self.files.as_ref().filter(|_| !self.opted_out)
    }
}

#[derive(sqlx::FromRow)]
struct AudioRow {
    article_id: i64,
    status: String,
    reason: Option<String>,
    opted_out: bool,
    voice: Option<String>,
    is_fallback: bool,
    duration_ms: Option<i64>,
    mp3_key: Option<String>,
    mp3_bytes: Option<i64>,
    opus_key: Option<String>,
    opus_bytes: Option<i64>,
    timings_key: Option<String>,
    text_hash: Option<String>,
    synthesised_paragraphs: i64,
    reused_paragraphs: i64,
    updated_at: i64,
}

const AUDIO_COLUMNS: &str = "article_id, status, reason, opted_out, voice, is_fallback, \
    duration_ms, mp3_key, mp3_bytes, opus_key, opus_bytes, timings_key, text_hash, \
    synthesised_paragraphs, reused_paragraphs, updated_at";

impl From<AudioRow> for ArticleAudio {
    fn from(row: AudioRow) -> Self {
        let files = match (
            row.voice,
            row.duration_ms,
            row.mp3_key,
            row.opus_key,
            row.timings_key,
        ) {
            (Some(voice), Some(duration_ms), Some(mp3_key), Some(opus_key), Some(timings_key)) => {
                Some(AudioFiles {
                    voice,
                    is_fallback: row.is_fallback,
                    duration_ms,
                    mp3_key,
                    mp3_bytes: row.mp3_bytes.unwrap_or(0),
                    opus_key,
                    opus_bytes: row.opus_bytes.unwrap_or(0),
                    timings_key,
                })
            }
            _ => None,
        };
        ArticleAudio {
            article_id: row.article_id,
            status: AudioStatus::parse(&row.status).unwrap_or(AudioStatus::Queued),
            reason: row.reason,
            opted_out: row.opted_out,
            files,
            run: NarrationRun {
                text_hash: row.text_hash.unwrap_or_default(),
                synthesised_paragraphs: row.synthesised_paragraphs,
                reused_paragraphs: row.reused_paragraphs,
            },
            updated_at: from_micros(row.updated_at),
        }
    }
}

/// What the narration job reads about one article.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NarrationArticle {
    pub id: i64,
    pub headline: String,
    pub standfirst: Option<String>,
    pub body: String,
    pub language: String,
    pub published: bool,
    pub opted_out: bool,
    /// The section's voice, else the site's.
    pub voice: String,
}

pub use dateline_core::narration::NARRATION_VOICES;

impl Narration<'_> {
    /// The article as the narration job reads it, with the voice that applies.
    pub async fn article(self, article_id: i64) -> Result<Option<NarrationArticle>> {
        let row: Option<NarrationArticle> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT a.id, a.headline, a.standfirst, a.body, a.language, \
                 (a.status = 'published') AS published, \
                 COALESCE(au.opted_out, FALSE) AS opted_out, \
                 COALESCE(s.narration_voice, ns.voice) AS voice \
                 FROM articles a JOIN sections s ON s.id = a.section_id \
                 CROSS JOIN narration_settings ns \
                 LEFT JOIN article_audio au ON au.article_id = a.id WHERE a.id = $1",
            )
            .bind(article_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row)
    }

    pub async fn article_audio(self, article_id: i64) -> Result<Option<ArticleAudio>> {
        let sql = format!("SELECT {AUDIO_COLUMNS} FROM article_audio WHERE article_id = $1");
        let row: Option<AudioRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(article_id)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(ArticleAudio::from))
    }

    /// The audio rows of several articles (a newsroom list), by article.
    pub async fn article_audio_for(self, article_ids: &[i64]) -> Result<Vec<ArticleAudio>> {
        if article_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids =
            serde_json::to_string(article_ids).map_err(|e| DbError::Invalid(e.to_string()))?;
        let rows: Vec<AudioRow> = match &self.store.backend {
            crate::Backend::Sqlite { reader, .. } => {
                let sql = format!(
                    "SELECT {AUDIO_COLUMNS} FROM article_audio WHERE article_id IN \
                     (SELECT value FROM json_each($1))"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&ids)
                    .fetch_all(reader)
                    .await?
            }
            crate::Backend::Postgres(pg) => {
                let sql = format!(
                    "SELECT {AUDIO_COLUMNS} FROM article_audio WHERE article_id IN \
                     (SELECT jsonb_array_elements_text($1::jsonb)::BIGINT)"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(&ids)
                    .fetch_all(pg)
                    .await?
            }
        };
        Ok(rows.into_iter().map(ArticleAudio::from).collect())
    }

    /// Queues article `article_id`'s narration (the newsroom's "regenerate"); false when it is
    /// not published, opted out, or already waiting.
    pub async fn queue(self, article_id: i64, actor: &Actor, now: Timestamp) -> Result<bool> {
        let queued = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let queued = queue_narration!(tx, now, article_id, ANY_AGE);
            if queued {
                let entry = AuditEntry::about(actor, "article.audio_regenerate", "article", article_id, "");
                record_audit!(tx, now, entry);
            }
            tx.commit().await?;
            queued
        });
        Ok(queued)
    }

    /// Queues every published article (`only_fallback`: those with fallback audio, when a
    /// better voice has become available); returns how many were queued. They are read newest
    /// first (the front page's lead is the newest story), also those that were waiting already
    /// in the order they were queued in: a new voice reaches what readers open first.
    ///
    /// Archive articles (`not_archive`) are left to their first listener and `dateline narrate
    /// --archive`.
    pub async fn queue_all(self, only_fallback: bool, now: Timestamp) -> Result<usize> {
        let sql = format!(
            "SELECT a.id FROM articles a LEFT JOIN article_audio au ON au.article_id = a.id \
             WHERE a.status = 'published' AND COALESCE(au.opted_out, FALSE) = FALSE \
             AND ($1 = FALSE OR au.is_fallback = TRUE) AND {} \
             ORDER BY a.first_published_at DESC, a.id DESC",
            not_archive("$2")
        );
        let ids: Vec<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(only_fallback)
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        let mut queued = 0;
        let start = to_micros(now);
        for (place, id) in (0i64..).zip(ids) {
            let one = on_writer!(self.store, pool => {
                let mut tx = pool.begin().await?;
                let one = queue_narration!(tx, now, id);
                // Claims go by priority, then `run_at`: one microsecond per place in line.
                sqlx::query("UPDATE jobs SET run_at = $1 WHERE dedup_key = $2 AND state = 'queued'")
                    .bind(start.saturating_add(place))
                    .bind(JobKind::NarrateArticle.dedup_key(Some(id)))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                one
            });
            queued += usize::from(one);
        }
        Ok(queued)
    }

    /// The newsroom's "regenerate all": [`Narration::queue_all`] of every published
    /// article, then the audit entry with how many were queued. Each article is queued in a
    /// transaction of its own, so the one SQLite writer is never held for the whole archive;
    /// queueing is idempotent, so an entry missing after a crash halfway loses no work.
    pub async fn regenerate_all(self, actor: &Actor, now: Timestamp) -> Result<usize> {
        let queued = self.queue_all(false, now).await?;
        let entry = AuditEntry {
            actor: actor.clone(),
            action: "narration.regenerate_all".to_owned(),
            subject_kind: "settings".to_owned(),
            subject_id: None,
            detail: format!("{queued} articles queued"),
        };
        self.store.audit().append(&entry, now).await?;
        Ok(queued)
    }

    /// Queues every archive article that has no narration yet (`dateline narrate --archive`),
    /// newest first, telling `progress` (queued so far, of how many) after each batch; returns
    /// the ids queued, to follow.
    pub async fn queue_archive(
        self,
        mut progress: impl FnMut(usize, usize),
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        let ids: Vec<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT a.id FROM articles a LEFT JOIN article_audio au ON au.article_id = a.id \
                 WHERE a.status = 'published' AND COALESCE(au.opted_out, FALSE) = FALSE \
                 AND au.mp3_key IS NULL \
                 ORDER BY a.first_published_at DESC, a.id DESC",
            )
            .fetch_all(pool)
            .await?
        });
        let total = ids.len();
        let mut queued = Vec::new();
        let start = to_micros(now);
        let mut places = 0i64..;
        // A transaction per batch: one per article would keep SQLite's writer for minutes.
        for batch in ids.chunks(500) {
            on_writer!(self.store, pool => {
                let mut tx = pool.begin().await?;
                for (place, &id) in places.by_ref().zip(batch) {
                    if queue_narration!(tx, now, id, ANY_AGE) {
                        // Newest first: one microsecond per place in line.
                        sqlx::query("UPDATE jobs SET run_at = $1 WHERE dedup_key = $2 AND state = 'queued'")
                            .bind(start.saturating_add(place))
                            .bind(JobKind::NarrateArticle.dedup_key(Some(id)))
                            .execute(&mut *tx)
                            .await?;
                        queued.push(id);
                    }
                }
                tx.commit().await?;
            });
            progress(queued.len(), total);
        }
        Ok(queued)
    }

    /// Takes out of the queue the stories that are archive at `now` and still wait for their
    /// first narration, which nobody asked for: the reverse of [`Narration::queue_archive`].
    /// A history replayed at its own times (the demo's, published years back) queues every story
    /// when it was new; judged at `now` most are archive, and the site should spend no voice on
    /// them until a reader asks. A reader's first listen (queued ahead, `queue_first_listen`)
    /// stays. Each batch drops the pages that said "being prepared" from the caches; the count
    /// released is audited. Returns how many.
    pub async fn release_archive(self, actor: &Actor, now: Timestamp) -> Result<usize> {
        let sql = format!(
            "SELECT a.id FROM articles a JOIN article_audio au ON au.article_id = a.id \
             WHERE au.status = 'queued' AND au.mp3_key IS NULL AND NOT ({})",
            not_archive("$1")
        );
        let ids: Vec<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(to_micros(now))
                .fetch_all(pool)
                .await?
        });
        let mut released = 0usize;
        // A transaction per batch, as `queue_archive` writes them, to leave SQLite's writer free.
        for batch in ids.chunks(500) {
            on_writer!(self.store, pool => {
                let mut tx = pool.begin().await?;
                let mut tags = Vec::new();
                for &id in batch {
                    let dropped = sqlx::query(
                        "DELETE FROM jobs WHERE dedup_key = $1 AND state = 'queued' \
                         AND priority <= $2",
                    )
                    .bind(JobKind::NarrateArticle.dedup_key(Some(id)))
                    .bind(NARRATE_PRIORITY)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                    if dropped > 0 {
                        sqlx::query(
                            "DELETE FROM article_audio WHERE article_id = $1 AND mp3_key IS NULL",
                        )
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                        tags.push(cache_tags::article(id));
                    }
                }
                if !tags.is_empty() {
                    released += tags.len();
                    record_change!(tx, now, "article_audio", None::<i64>, tags);
                }
                tx.commit().await?;
            });
        }
        if released > 0 {
            let entry = AuditEntry {
                actor: actor.clone(),
                action: "narration.release_archive".to_owned(),
                subject_kind: "settings".to_owned(),
                subject_id: None,
                detail: format!("{released} archive articles left the queue"),
            };
            self.store.audit().append(&entry, now).await?;
        }
        Ok(released)
    }

    /// Queues a reader's first listen to an article without audio, archive or not: one waiting
    /// job at most (the dedup key); `false` when it is not published, opted out, already
    /// narrated or already waiting.
    pub async fn queue_first_listen(self, article_id: i64, now: Timestamp) -> Result<bool> {
        let queued = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let has_audio: Option<Option<String>> = sqlx::query_scalar(
                "SELECT mp3_key FROM article_audio WHERE article_id = $1",
            )
            .bind(article_id)
            .fetch_optional(&mut *tx)
            .await?;
            let queued = if has_audio.flatten().is_some() {
                false
            } else {
                queue_narration!(tx, now, article_id, ANY_AGE)
            };
            if queued {
                // A reader is waiting for it: ahead of the stories nobody has asked for yet
                // (still behind the site's own jobs), as `narration().hurry` does for the lead.
                sqlx::query("UPDATE jobs SET priority = $1 WHERE dedup_key = $2 AND state = 'queued'")
                    .bind(NARRATE_PRIORITY + 1)
                    .bind(JobKind::NarrateArticle.dedup_key(Some(article_id)))
                    .execute(&mut *tx)
                    .await?;
                // The page says "being prepared" instead of offering the button again.
                record_change!(tx, now, "article_audio", Some(article_id), [cache_tags::article(article_id)]);
            }
            tx.commit().await?;
            queued
        });
        Ok(queued)
    }

    /// Sets how old an unchanged article must be to count as archive (`narration_archive_days`).
    pub async fn set_archive_days(self, days: u32) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query("UPDATE narration_settings SET archive_days = $1 WHERE only_row = 1")
                .bind(i64::from(days))
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Moves article `article_id`'s waiting narration ahead of the others (the demo's lead story
    /// on a first start, so the page everyone opens first has its audio soonest).
    pub async fn hurry(self, article_id: i64) -> Result<bool> {
        let moved = on_writer!(self.store, pool => {
            sqlx::query(
                "UPDATE jobs SET priority = $1 WHERE dedup_key = $2 AND state = 'queued'",
            )
            .bind(NARRATE_PRIORITY + 1)
            .bind(JobKind::NarrateArticle.dedup_key(Some(article_id)))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(moved > 0)
    }

    /// Marks a narration as started; the claim of its job already made it exclusive.
    pub async fn start(self, article_id: i64, now: Timestamp) -> Result<()> {
        self.set_audio_status(article_id, AudioStatus::Generating, None, now)
            .await
    }

    pub async fn fail(self, article_id: i64, reason: &str, now: Timestamp) -> Result<()> {
        let reason: String = reason.chars().take(500).collect();
        self.set_audio_status(article_id, AudioStatus::Failed, Some(&reason), now)
            .await
    }

    async fn set_audio_status(
        self,
        article_id: i64,
        status: AudioStatus,
        reason: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(
                "INSERT INTO article_audio (article_id, status, reason, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (article_id) DO UPDATE SET \
                 status = CASE WHEN article_audio.opted_out THEN 'opted_out' ELSE excluded.status END, \
                 reason = excluded.reason, updated_at = excluded.updated_at",
            )
            .bind(article_id)
            .bind(status.as_str())
            .bind(reason)
            .bind(to_micros(now))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Makes a finished narration the one readers hear, and drops the cached pages that show it.
    pub async fn finish(
        self,
        article_id: i64,
        files: &AudioFiles,
        run: &NarrationRun,
        now: Timestamp,
    ) -> Result<()> {
        let status = if files.is_fallback {
            AudioStatus::Fallback
        } else {
            AudioStatus::Ready
        };
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO article_audio (article_id, status, voice, is_fallback, duration_ms, \
                 mp3_key, mp3_bytes, opus_key, opus_bytes, timings_key, text_hash, \
                 synthesised_paragraphs, reused_paragraphs, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (article_id) DO UPDATE SET \
                 status = CASE WHEN article_audio.opted_out THEN 'opted_out' ELSE excluded.status END, \
                 reason = NULL, voice = excluded.voice, is_fallback = excluded.is_fallback, \
                 duration_ms = excluded.duration_ms, mp3_key = excluded.mp3_key, \
                 mp3_bytes = excluded.mp3_bytes, opus_key = excluded.opus_key, \
                 opus_bytes = excluded.opus_bytes, timings_key = excluded.timings_key, \
                 text_hash = excluded.text_hash, \
                 synthesised_paragraphs = excluded.synthesised_paragraphs, \
                 reused_paragraphs = excluded.reused_paragraphs, updated_at = excluded.updated_at",
            )
            .bind(article_id)
            .bind(status.as_str())
            .bind(&files.voice)
            .bind(files.is_fallback)
            .bind(files.duration_ms)
            .bind(&files.mp3_key)
            .bind(files.mp3_bytes)
            .bind(&files.opus_key)
            .bind(files.opus_bytes)
            .bind(&files.timings_key)
            .bind(&run.text_hash)
            .bind(run.synthesised_paragraphs)
            .bind(run.reused_paragraphs)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
            record_change!(tx, now, "article_audio", Some(article_id), [cache_tags::article(article_id)]);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Turns narration off (the player disappears) or back on (a narration is queued).
    pub async fn set_opt_out(
        self,
        article_id: i64,
        opted_out: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM articles WHERE id = $1")
                .bind(article_id)
                .fetch_optional(&mut *tx)
                .await?;
            exists.ok_or(DbError::NotFound)?;
            let status = if opted_out { AudioStatus::OptedOut } else { AudioStatus::Queued };
            sqlx::query(
                "INSERT INTO article_audio (article_id, status, opted_out, updated_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (article_id) DO UPDATE SET \
                 status = excluded.status, opted_out = excluded.opted_out, reason = NULL, \
                 updated_at = excluded.updated_at",
            )
            .bind(article_id)
            .bind(status.as_str())
            .bind(opted_out)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
            if !opted_out {
                let _queued = queue_narration!(tx, now, article_id);
            }
            record_change!(tx, now, "article_audio", Some(article_id), [cache_tags::article(article_id)]);
            let action = if opted_out { "article.audio_opt_out" } else { "article.audio_opt_in" };
            let entry = AuditEntry::about(actor, action, "article", article_id, "");
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// How many published articles stand where: the backfill's progress.
    pub async fn progress(self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT COALESCE(au.status, 'none'), COUNT(*) FROM articles a \
                 LEFT JOIN article_audio au ON au.article_id = a.id \
                 WHERE a.status = 'published' GROUP BY COALESCE(au.status, 'none') ORDER BY 1",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }

    /// The lexicon, every entry.
    pub async fn lexicon(self) -> Result<Lexicon> {
        let mut lexicon = Lexicon::new();
        for (word, pronunciation) in self.pronunciations().await? {
            lexicon.insert(&word, pronunciation);
        }
        Ok(lexicon)
    }

    /// Lexicon entries in word order.
    pub async fn pronunciations(self) -> Result<Vec<(String, Pronunciation)>> {
        let rows: Vec<(String, String, String)> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT word, kind, value FROM pronunciations ORDER BY word")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(word, kind, value)| {
                let pronunciation = if kind == "ipa" {
                    Pronunciation::Ipa(value)
                } else {
                    Pronunciation::Respelling(value)
                };
                (word, pronunciation)
            })
            .collect())
    }

    /// Adds or replaces a lexicon entry (`dateline_core::narration::check_pronunciation` says
    /// what an entry may be). Articles using the word are re-narrated when they next change or
    /// on "regenerate": the paragraph cache key includes the entries a paragraph uses.
    pub async fn save_pronunciation(
        self,
        word: &str,
        pronunciation: &Pronunciation,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        let word = word.trim().to_lowercase();
        let (kind, value) = match pronunciation {
            Pronunciation::Ipa(ipa) => ("ipa", ipa.trim().trim_matches('/').to_owned()),
            Pronunciation::Respelling(text) => ("respelling", text.trim().to_owned()),
        };
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO pronunciations (word, kind, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (word) DO UPDATE SET kind = excluded.kind, value = excluded.value, \
                 updated_at = excluded.updated_at",
            )
            .bind(&word)
            .bind(kind)
            .bind(&value)
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
            let entry = AuditEntry {
                actor: actor.clone(),
                action: "lexicon.save".to_owned(),
                subject_kind: "pronunciation".to_owned(),
                subject_id: None,
                detail: format!("{word} → {kind}: {value}"),
            };
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn delete_pronunciation(
        self,
        word: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        let word = word.trim().to_lowercase();
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let deleted = sqlx::query("DELETE FROM pronunciations WHERE word = $1")
                .bind(&word)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if deleted == 0 {
                return Err(DbError::NotFound);
            }
            let entry = AuditEntry {
                actor: actor.clone(),
                action: "lexicon.delete".to_owned(),
                subject_kind: "pronunciation".to_owned(),
                subject_id: None,
                detail: word.clone(),
            };
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    pub async fn site_voice(self) -> Result<String> {
        let voice: String = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT voice FROM narration_settings WHERE only_row = 1")
                .fetch_one(pool)
                .await?
        });
        Ok(voice)
    }

    /// Sets the site's voice, one of `NARRATION_VOICES`.
    pub async fn set_site_voice(self, voice: &str, actor: &Actor, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE narration_settings SET voice = $1 WHERE only_row = 1")
                .bind(voice)
                .execute(&mut *tx)
                .await?;
            let entry = AuditEntry {
                actor: actor.clone(),
                action: "narration.site_voice".to_owned(),
                subject_kind: "settings".to_owned(),
                subject_id: None,
                detail: voice.to_owned(),
            };
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Sets a section's voice; `None` follows the site's.
    pub async fn set_section_voice(
        self,
        section_id: i64,
        voice: Option<&str>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE sections SET narration_voice = $1 WHERE id = $2")
                .bind(voice)
                .bind(section_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 0 {
                return Err(DbError::NotFound);
            }
            let entry = AuditEntry::about(actor, "section.voice", "section", section_id, voice.unwrap_or("site"));
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Each section's own voice (`None`: the site's), by section id.
    pub async fn section_voices(self) -> Result<Vec<(i64, Option<String>)>> {
        let rows: Vec<(i64, Option<String>)> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT id, narration_voice FROM sections ORDER BY position, id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }
}
