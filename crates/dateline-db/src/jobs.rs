//! The job queue: a table any node can claim work from.
//!
//! A claim takes a lease (`locked_until`); a worker that dies leaves its job to be claimed again
//! when the lease runs out, so every job is idempotent. PostgreSQL claims with
//! `FOR UPDATE SKIP LOCKED` so nodes never wait on each other; SQLite has one writer, so a plain
//! `UPDATE … RETURNING` on the single writer connection is already exclusive.

use std::time::Duration;

use jiff::Timestamp;

use crate::{Backend, DbError, Jobs, Result, on_reader, on_writer, to_micros};

#[derive(Debug, Clone)]
pub struct NewJob {
    pub kind: String,
    pub payload: serde_json::Value,
    /// At most one waiting job per key: enqueueing the same work again is a no-op until it starts.
    pub dedup_key: Option<String>,
    /// Higher runs first.
    pub priority: i32,
    pub run_at: Timestamp,
    pub max_attempts: i32,
}

impl NewJob {
    /// A job due at `run_at`, with the default priority and attempts.
    pub fn at(kind: impl Into<String>, payload: serde_json::Value, run_at: Timestamp) -> Self {
        Self {
            kind: kind.into(),
            payload,
            dedup_key: None,
            priority: 0,
            run_at,
            max_attempts: 5,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub max_attempts: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobOutcome {
    /// Will run again at the given time.
    Retrying { at: Timestamp },
    /// Gave up after the last attempt.
    Failed,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    kind: String,
    payload: String,
    attempts: i64,
    max_attempts: i64,
}

impl From<JobRow> for Job {
    fn from(row: JobRow) -> Self {
        Job {
            id: row.id,
            kind: row.kind,
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            attempts: i32::try_from(row.attempts).unwrap_or(i32::MAX),
            max_attempts: i32::try_from(row.max_attempts).unwrap_or(i32::MAX),
        }
    }
}

/// Which jobs may be claimed at `$1`: waiting and due, or running with an expired lease.
const CLAIMABLE: &str =
    "(state = 'queued' AND run_at <= $1) OR (state = 'running' AND locked_until < $1)";

/// Adds `$job` (a [`NewJob`]) through `$executor` (a pool, or a transaction as `&mut *tx`) at
/// `$now`; evaluates to its id, or `None` when a job with the same key is already waiting.
macro_rules! enqueue_job {
    ($executor:expr, $job:expr, $now:expr) => {{
        let job: &$crate::NewJob = $job;
        let id: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, payload, dedup_key, priority, state, run_at, max_attempts, created_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) \
             ON CONFLICT (dedup_key) WHERE state = 'queued' DO NOTHING RETURNING id",
        )
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(&job.dedup_key)
        .bind(i64::from(job.priority))
        .bind($crate::to_micros(job.run_at))
        .bind(i64::from(job.max_attempts))
        .bind($crate::to_micros($now))
        .fetch_optional($executor)
        .await?;
        id
    }};
}
pub(crate) use enqueue_job;

impl Jobs<'_> {
    /// Adds a job at `now`; returns its id, or `None` when an identical job (same key) is already
    /// waiting.
    pub async fn enqueue(self, job: &NewJob, now: Timestamp) -> Result<Option<i64>> {
        let id: Option<i64> = on_writer!(self.store, pool => enqueue_job!(pool, job, now));
        Ok(id)
    }

    /// Claims the most urgent due job for `worker`, holding it for `lease`.
    pub async fn claim(
        self,
        worker: &str,
        kinds: &[&str],
        lease: Duration,
        now: Timestamp,
    ) -> Result<Option<Job>> {
        let now_micros = to_micros(now);
        let lease_micros = i64::try_from(lease.as_micros()).unwrap_or(i64::MAX);
        let kinds_json =
            serde_json::to_string(kinds).map_err(|e| DbError::Invalid(e.to_string()))?;
        let row: Option<JobRow> = match &self.store.backend {
            Backend::Sqlite { writer, .. } => {
                let sql = format!(
                    "UPDATE jobs SET state = 'running', locked_by = $2, locked_until = $3, \
                     attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE ({CLAIMABLE}) \
                     AND kind IN (SELECT value FROM json_each($4)) \
                     ORDER BY priority DESC, run_at, id LIMIT 1) \
                     RETURNING id, kind, payload, attempts, max_attempts"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(now_micros)
                    .bind(worker)
                    .bind(now_micros.saturating_add(lease_micros))
                    .bind(&kinds_json)
                    .fetch_optional(writer)
                    .await?
            }
            Backend::Postgres(pg) => {
                let sql = format!(
                    "UPDATE jobs SET state = 'running', locked_by = $2, locked_until = $3, \
                     attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE ({CLAIMABLE}) \
                     AND kind IN (SELECT jsonb_array_elements_text($4::jsonb)) \
                     ORDER BY priority DESC, run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
                     RETURNING id, kind, payload, attempts, max_attempts"
                );
                sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(now_micros)
                    .bind(worker)
                    .bind(now_micros.saturating_add(lease_micros))
                    .bind(&kinds_json)
                    .fetch_optional(pg)
                    .await?
            }
        };
        Ok(row.map(Job::from))
    }

    pub async fn complete(self, id: i64, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(
                "UPDATE jobs SET state = 'done', locked_by = NULL, locked_until = NULL, \
                 finished_at = $1 WHERE id = $2",
            )
            .bind(to_micros(now))
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a failed attempt: retried with exponential backoff (30 s, 1 min, 2 min, … capped at
    /// one hour) until `max_attempts`, then marked failed.
    pub async fn fail(self, id: i64, error: &str, now: Timestamp) -> Result<JobOutcome> {
        let (attempts, max_attempts): (i64, i64) = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT attempts, max_attempts FROM jobs WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await?
        });
        let outcome = if attempts >= max_attempts {
            JobOutcome::Failed
        } else {
            let exponent = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
            let delay_seconds = (30_i64 << exponent).min(3600);
            JobOutcome::Retrying {
                at: now
                    .checked_add(jiff::SignedDuration::from_secs(delay_seconds))
                    .unwrap_or(now),
            }
        };
        let (state, run_at) = match outcome {
            JobOutcome::Retrying { at } => ("queued", to_micros(at)),
            JobOutcome::Failed => ("failed", to_micros(now)),
        };
        let truncated: String = error.chars().take(2000).collect();
        let requeued: Result<_, sqlx::Error> = on_writer!(self.store, pool => {
            sqlx::query(
                "UPDATE jobs SET state = $1, run_at = $2, last_error = $3, locked_by = NULL, \
                 locked_until = NULL, finished_at = CASE WHEN $1 = 'failed' THEN $4 ELSE NULL END \
                 WHERE id = $5",
            )
            .bind(state)
            .bind(run_at)
            .bind(&truncated)
            .bind(to_micros(now))
            .bind(id)
            .execute(pool)
            .await
            .map(|_| ())
        });
        match requeued.map_err(DbError::from) {
            Ok(_) => {}
            // The same work was queued again after this attempt started: that waiting job is the
            // retry, so this one ends here.
            Err(DbError::Duplicate(_)) if state == "queued" => {
                on_writer!(self.store, pool => {
                    sqlx::query(
                        "UPDATE jobs SET state = 'failed', last_error = $1, locked_by = NULL, \
                         locked_until = NULL, finished_at = $2 WHERE id = $3",
                    )
                    .bind(&truncated)
                    .bind(to_micros(now))
                    .bind(id)
                    .execute(pool)
                    .await?;
                });
            }
            Err(other) => return Err(other),
        }
        Ok(outcome)
    }

    /// Gives back the jobs `worker` holds, to be claimed again at once: its process ended (a crash,
    /// a kill, a shutdown that could not wait) and whoever saw it end need not wait for the leases
    /// to run out. Returns how many.
    pub async fn release(self, worker: &str, now: Timestamp) -> Result<u64> {
        let released = on_writer!(self.store, pool => {
            sqlx::query(
                "UPDATE jobs SET state = 'queued', locked_by = NULL, locked_until = NULL, \
                 run_at = $1 WHERE state = 'running' AND locked_by = $2",
            )
            .bind(to_micros(now))
            .bind(worker)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(released)
    }

    /// Deletes jobs that finished (done or failed) before `before`; returns how many.
    pub async fn prune_finished(self, before: Timestamp) -> Result<u64> {
        let done = on_writer!(self.store, pool => {
            sqlx::query("DELETE FROM jobs WHERE state IN ('done', 'failed') AND finished_at < $1")
                .bind(to_micros(before))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }

    /// Counts of jobs by state, for the operator's health view and tests.
    pub async fn counts(self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT state, COUNT(*) FROM jobs GROUP BY state ORDER BY state")
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }
}
