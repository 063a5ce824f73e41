//! The cursor of the search index shared by every node (PostgreSQL full-text search): how far
//! along the `changes` log it is. A per-node index keeps its cursor in its own folder instead.

use crate::{DbError, Result, Search, on_reader, on_writer};

fn only_on_postgres() -> DbError {
    DbError::Invalid("the shared search index lives in PostgreSQL only".to_owned())
}

impl Search<'_> {
    /// `None` until the shared index was first built.
    pub async fn shared_cursor(self) -> Result<Option<i64>> {
        if self.store.postgres_pool().is_none() {
            return Err(only_on_postgres());
        }
        let cursor: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT change_id FROM search_cursor WHERE only_row = 1")
                .fetch_optional(pool)
                .await?
        });
        Ok(cursor)
    }

    /// Moves the cursor to `change_id`, never backwards unless `reset` (a rebuild starts over).
    pub async fn advance_shared_cursor(self, change_id: i64, reset: bool) -> Result<()> {
        if self.store.postgres_pool().is_none() {
            return Err(only_on_postgres());
        }
        let sql = if reset {
            "INSERT INTO search_cursor (only_row, change_id) VALUES (1, $1) \
             ON CONFLICT (only_row) DO UPDATE SET change_id = EXCLUDED.change_id"
        } else {
            "INSERT INTO search_cursor (only_row, change_id) VALUES (1, $1) \
             ON CONFLICT (only_row) DO UPDATE \
             SET change_id = GREATEST(search_cursor.change_id, EXCLUDED.change_id)"
        };
        on_writer!(self.store, pool => {
            sqlx::query(sql).bind(change_id).execute(pool).await?;
        });
        Ok(())
    }
}
