//! What an operator's monitoring reads from the database (issue 14): the job queue by kind, the
//! narration worker's totals, the pools, and whether the schema is the one this build knows.
//! The worker runs in another process (or on another machine), so what it measured reaches the
//! web node's `/metrics` through the database.

use jiff::Timestamp;

use crate::{Backend, Jobs, Narration, Result, Store, on_reader, on_writer, to_micros};

/// Where the queue of one job kind stands.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueDepth {
    pub kind: String,
    /// Queued and due now (work waiting for a worker).
    pub waiting: i64,
    /// Queued for later: scheduled publications, retries backing off.
    pub scheduled: i64,
    /// Claimed by a worker.
    pub running: i64,
    /// How long the longest-waiting due job has been due (0 when none waits): the number that
    /// says the queue is stuck.
    pub oldest_waiting_seconds: f64,
}

/// Everything the narration workers have produced since the database was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct NarrationTotals {
    /// Narrations that synthesised speech (an unchanged text reuses its audio and is not one).
    pub narrations: i64,
    /// Seconds of audio those produced, in milliseconds.
    pub audio_ms: i64,
    /// Wall-clock time their synthesis and encoding took, in milliseconds.
    pub synthesis_ms: i64,
    /// The latest narration's audio and synthesis time, for its real-time factor.
    pub last_audio_ms: Option<i64>,
    pub last_synthesis_ms: Option<i64>,
}

/// Connections of one pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUse {
    /// `reader`, `writer` (SQLite) or `shared` (PostgreSQL).
    pub pool: &'static str,
    pub open: u32,
    pub idle: u32,
    pub max: u32,
}

impl Jobs<'_> {
    /// The queue by kind, in one query (jobs that are done or failed are not counted).
    pub async fn queue_depths(self, now: Timestamp) -> Result<Vec<QueueDepth>> {
        let rows: Vec<(String, i64, i64, i64, Option<i64>)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT kind, \
                 COUNT(*) FILTER (WHERE state = 'queued' AND run_at <= $1), \
                 COUNT(*) FILTER (WHERE state = 'queued' AND run_at > $1), \
                 COUNT(*) FILTER (WHERE state = 'running'), \
                 MIN(run_at) FILTER (WHERE state = 'queued' AND run_at <= $1) \
                 FROM jobs WHERE state IN ('queued', 'running') GROUP BY kind ORDER BY kind",
            )
            .bind(to_micros(now))
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(kind, waiting, scheduled, running, oldest)| QueueDepth {
                kind,
                waiting,
                scheduled,
                running,
                oldest_waiting_seconds: oldest.map_or(0.0, |due| {
                    (to_micros(now).saturating_sub(due)).max(0) as f64 / 1e6
                }),
            })
            .collect())
    }
}

impl Narration<'_> {
    /// Adds one narration's audio length and synthesis time to the totals.
    pub async fn add_time(self, audio_ms: i64, synthesis_ms: i64) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(
                "UPDATE narration_totals SET narrations = narrations + 1, \
                 audio_ms = audio_ms + $1, synthesis_ms = synthesis_ms + $2, \
                 last_audio_ms = $1, last_synthesis_ms = $2 WHERE only_row = 1",
            )
            .bind(audio_ms.max(0))
            .bind(synthesis_ms.max(0))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    pub async fn totals(self) -> Result<NarrationTotals> {
        let row: Option<NarrationTotals> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT narrations, audio_ms, synthesis_ms, last_audio_ms, last_synthesis_ms \
                 FROM narration_totals WHERE only_row = 1",
            )
            .fetch_optional(pool)
            .await?
        });
        Ok(row.unwrap_or_default())
    }
}

impl Store {
    /// The connection pools as they are now (no query).
    pub fn pool_use(&self) -> Vec<PoolUse> {
        fn of<DB: sqlx::Database>(pool: &'static str, handle: &sqlx::Pool<DB>) -> PoolUse {
            PoolUse {
                pool,
                open: handle.size(),
                idle: u32::try_from(handle.num_idle()).unwrap_or(u32::MAX),
                max: handle.options().get_max_connections(),
            }
        }
        match &self.backend {
            Backend::Sqlite { reader, writer } => vec![of("reader", reader), of("writer", writer)],
            Backend::Postgres(pg) => vec![of("shared", pg)],
        }
    }

    /// Whether the database's schema is exactly the newest this build knows: `Err` when the
    /// database cannot be reached, `Ok(false)` when a migration is missing or the database is
    /// ahead of this binary (a newer node migrated it; this one may not know its tables).
    pub async fn schema_is_current(&self) -> Result<bool> {
        let applied: Option<i64> = on_reader!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(pool)
                .await?
        });
        let known = crate::backup::latest_schema_version(self.backend_kind());
        Ok(applied == Some(known))
    }
}
