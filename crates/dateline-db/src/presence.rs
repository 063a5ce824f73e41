//! Who has an article open in the editor, across nodes (`store.presence()`). Each node keeps the
//! editors connected to it in memory and copies them here under its own name: a row when a tab
//! opens, gone when it closes, all of the node's rows refreshed by its heartbeat. Other nodes
//! read the rows of the articles their own tabs have open, one query for all of them; a row
//! whose heartbeat stopped (its node died) counts as gone once it is older than the caller's
//! `seen_since`, and maintenance deletes it.
//!
//! Nothing here changes the site: no audit entry, no `changes` row, not exported. Opening and
//! closing are a person's actions (`dateline_usecases::presence`); the heartbeat and the read
//! are the node's own bookkeeping.

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::{Backend, DbError, Result, Store, on_reader, on_writer, to_micros};

/// The key of the PostgreSQL advisory lock that makes tabs opening on several nodes at once take
/// turns, so the limits hold exactly ("presence" in ASCII). Opening a tab is a person's click,
/// rare enough for one lock for the whole site.
const OPENING_LOCK: i64 = 0x7072_6573_656e_6365;

/// One browser tab with one article open, on the node that writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenEditor {
    pub article_id: i64,
    /// The tab's own short name (letters and digits), unique per article on its node.
    pub tab: String,
    pub staff_id: i64,
}

/// An editor connected to another node, with the name colleagues are shown.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EditorElsewhere {
    pub article_id: i64,
    pub tab: String,
    pub staff_id: i64,
    pub name: String,
}

/// How many tabs may be open, counted over every node, and how long a tab counts without its
/// node's heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PresenceLimits {
    pub per_article: usize,
    pub per_person: usize,
    /// A row last seen longer ago than this is of a node that died: it takes no place.
    pub expires_after: SignedDuration,
}

/// Whether a tab was let in, and if not, which limit was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditorAdmission {
    Admitted,
    ArticleFull,
    PersonFull,
}

/// The open editors of every node (`store.presence()`).
pub struct Presence<'a> {
    store: &'a Store,
}

impl Store {
    pub fn presence(&self) -> Presence<'_> {
        Presence { store: self }
    }
}

fn count(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

impl Presence<'_> {
    /// Records that `editor` opened the article on `node`, unless the article or the person
    /// already has as many tabs open as `limits` allow on all nodes together (expired rows do
    /// not count). The same tab opening again replaces its row.
    pub async fn open(
        &self,
        node: &str,
        editor: &OpenEditor,
        limits: PresenceLimits,
        now: Timestamp,
    ) -> Result<EditorAdmission> {
        // SQLite has one writer connection, which already makes openings take turns.
        let lock = match &self.store.backend {
            Backend::Sqlite { .. } => None,
            Backend::Postgres(_) => Some("SELECT pg_advisory_xact_lock($1)"),
        };
        let seen_since = to_micros(now - limits.expires_after);
        Ok(on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            if let Some(lock) = lock {
                sqlx::query(lock).bind(OPENING_LOCK).execute(&mut *tx).await?;
            }
            let (on_article, of_person): (i64, i64) = sqlx::query_as(
                "SELECT \
                   COUNT(CASE WHEN article_id = $3 THEN 1 END), \
                   COUNT(CASE WHEN staff_id = $4 THEN 1 END) \
                 FROM editor_presence \
                 WHERE (article_id = $3 OR staff_id = $4) AND last_seen >= $5 \
                   AND NOT (node = $1 AND article_id = $3 AND tab = $2)",
            )
            .bind(node)
            .bind(&editor.tab)
            .bind(editor.article_id)
            .bind(editor.staff_id)
            .bind(seen_since)
            .fetch_one(&mut *tx)
            .await?;
            if on_article >= count(limits.per_article) {
                EditorAdmission::ArticleFull
            } else if of_person >= count(limits.per_person) {
                EditorAdmission::PersonFull
            } else {
                sqlx::query(
                    "INSERT INTO editor_presence (node, article_id, tab, staff_id, last_seen) \
                     VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (node, article_id, tab) DO UPDATE SET \
                     staff_id = excluded.staff_id, last_seen = excluded.last_seen",
                )
                .bind(node)
                .bind(editor.article_id)
                .bind(&editor.tab)
                .bind(editor.staff_id)
                .bind(to_micros(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                EditorAdmission::Admitted
            }
        }))
    }

    /// The tab closed.
    pub async fn close(&self, node: &str, editor: &OpenEditor) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(
                "DELETE FROM editor_presence \
                 WHERE node = $1 AND article_id = $2 AND tab = $3 AND staff_id = $4",
            )
            .bind(node)
            .bind(editor.article_id)
            .bind(&editor.tab)
            .bind(editor.staff_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// `node` is alive with `editors` open: their rows are marked seen `now`, and written again
    /// if they went missing (a node that stalled past maintenance, a tab that reopened while its
    /// old connection's close was on its way), in one statement. A row of `node` not among
    /// `editors` (its close was lost) is left to expire. Returns the rows written.
    pub async fn heartbeat(
        &self,
        node: &str,
        editors: &[OpenEditor],
        now: Timestamp,
    ) -> Result<u64> {
        if editors.is_empty() {
            return Ok(0);
        }
        let rows = serde_json::to_string(editors).map_err(|e| DbError::Invalid(e.to_string()))?;
        let sql = match &self.store.backend {
            Backend::Sqlite { .. } => {
                "INSERT INTO editor_presence (node, article_id, tab, staff_id, last_seen) \
                 SELECT $1, json_extract(value, '$.article_id'), json_extract(value, '$.tab'), \
                        json_extract(value, '$.staff_id'), $3 \
                 FROM json_each($2) WHERE true \
                 ON CONFLICT (node, article_id, tab) DO UPDATE SET \
                 staff_id = excluded.staff_id, last_seen = excluded.last_seen"
            }
            Backend::Postgres(_) => {
                "INSERT INTO editor_presence (node, article_id, tab, staff_id, last_seen) \
                 SELECT $1, e.article_id, e.tab, e.staff_id, $3 \
                 FROM jsonb_to_recordset($2::jsonb) AS e(article_id BIGINT, tab TEXT, staff_id BIGINT) \
                 ON CONFLICT (node, article_id, tab) DO UPDATE SET \
                 staff_id = excluded.staff_id, last_seen = excluded.last_seen"
            }
        };
        Ok(on_writer!(self.store, pool => {
            sqlx::query(sql)
                .bind(node)
                .bind(&rows)
                .bind(to_micros(now))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// The editors other nodes than `node` have connected to any of `article_ids`, seen since
    /// `seen_since`, by article then tab: one query for all of them, at most `max_rows` rows.
    pub async fn elsewhere(
        &self,
        node: &str,
        article_ids: &[i64],
        seen_since: Timestamp,
        max_rows: usize,
    ) -> Result<Vec<EditorElsewhere>> {
        if article_ids.is_empty() {
            return Ok(Vec::new());
        }
        let ids =
            serde_json::to_string(article_ids).map_err(|e| DbError::Invalid(e.to_string()))?;
        let listed = match &self.store.backend {
            Backend::Sqlite { .. } => "SELECT value FROM json_each($2)",
            Backend::Postgres(_) => "SELECT jsonb_array_elements_text($2::jsonb)::BIGINT",
        };
        let sql = format!(
            "SELECT p.article_id, p.tab, p.staff_id, s.display_name AS name \
             FROM editor_presence p JOIN staff s ON s.id = p.staff_id \
             WHERE p.article_id IN ({listed}) AND p.node <> $1 AND p.last_seen >= $3 \
             ORDER BY p.article_id, p.tab LIMIT $4"
        );
        Ok(on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(node)
                .bind(&ids)
                .bind(to_micros(seen_since))
                .bind(count(max_rows))
                .fetch_all(pool)
                .await?
        }))
    }

    /// Deletes the rows last seen before `before` (of nodes that stopped without closing their
    /// tabs); returns how many.
    pub async fn forget_before(&self, before: Timestamp) -> Result<u64> {
        Ok(on_writer!(self.store, pool => {
            sqlx::query("DELETE FROM editor_presence WHERE last_seen < $1")
                .bind(to_micros(before))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
