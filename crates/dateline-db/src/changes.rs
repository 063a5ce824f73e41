//! The `changes` log: every write appends one row, in the same transaction, naming the cache tags
//! it touched. Each node follows the log to drop exactly the cached pages a change affects,
//! whichever node made the change.

use crate::{Changes, Result, on_reader};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub id: i64,
    pub kind: String,
    pub entity_id: Option<i64>,
    pub cache_tags: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct ChangeRow {
    id: i64,
    kind: String,
    entity_id: Option<i64>,
    cache_tags: String,
}

/// Appends a change made at `$now` inside the caller's transaction `$tx`.
macro_rules! record_change {
    ($tx:expr, $now:expr, $kind:expr, $entity:expr, $tags:expr) => {{
        let now: jiff::Timestamp = $now;
        let tags: &[String] = &$tags;
        // Appends one at a time, each holding this row until it commits, so changes become
        // visible in id order and a follower's cursor never passes one still in flight.
        sqlx::query("UPDATE change_log_head SET appends = appends + 1 WHERE only_row = 1")
            .execute(&mut *$tx)
            .await?;
        sqlx::query(
            "INSERT INTO changes (kind, entity_id, cache_tags, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind($kind)
        .bind($entity)
        .bind(tags.join(" "))
        .bind($crate::to_micros(now))
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use record_change;

impl Changes<'_> {
    /// Changes after `after_id`, oldest first, at most `limit`.
    pub async fn since(self, after_id: i64, limit: i64) -> Result<Vec<Change>> {
        let rows: Vec<ChangeRow> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, kind, entity_id, cache_tags FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(after_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| Change {
                id: row.id,
                kind: row.kind,
                entity_id: row.entity_id,
                cache_tags: row
                    .cache_tags
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect(),
            })
            .collect())
    }

    /// Deletes changes older than `before`, always keeping the newest so ids never restart.
    pub async fn prune(self, before: jiff::Timestamp) -> Result<u64> {
        let done = crate::on_writer!(self.store, pool => {
            sqlx::query(
                "DELETE FROM changes WHERE created_at < $1 AND id < (SELECT MAX(id) FROM changes)",
            )
            .bind(crate::to_micros(before))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(done)
    }

    /// The newest change id (0 on an empty log): where a starting node begins following.
    pub async fn latest_id(self) -> Result<i64> {
        let id: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT MAX(id) FROM changes").fetch_one(pool).await?
        });
        Ok(id.unwrap_or(0))
    }
}
