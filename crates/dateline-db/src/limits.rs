//! Counts of limits that must hold across nodes (`store.limits()`): one row per limit key,
//! counted in fixed windows of the caller's length, one UPSERT per counted attempt. The callers
//! keep an in-memory fast path that refuses early; this is the count every node agrees on.

use jiff::{SignedDuration, Timestamp};

use crate::{Result, Store, on_reader, on_writer, to_micros};

/// The shared limit counters (`store.limits()`).
pub struct Limits<'a> {
    store: &'a Store,
}

impl Store {
    pub fn limits(&self) -> Limits<'_> {
        Limits { store: self }
    }
}

/// The start of the fixed window of length `window` that `now` falls in (windows are aligned on
/// the Unix epoch, so every node agrees on them).
pub fn window_start(now: Timestamp, window: SignedDuration) -> i64 {
    let micros = to_micros(now);
    let length = i64::try_from(window.as_micros()).unwrap_or(i64::MAX).max(1);
    micros - micros.rem_euclid(length)
}

impl Limits<'_> {
    /// Counts one hit on `key` in the window of length `window` that `now` falls in; returns
    /// the hits of that window so far, this one included.
    pub async fn hit(&self, key: &str, window: SignedDuration, now: Timestamp) -> Result<i64> {
        let start = window_start(now, window);
        // A row of an earlier window starts again at one: counting and the reset are one
        // statement, so two nodes hitting the same key at once never lose a count.
        Ok(on_writer!(self.store, pool => {
            sqlx::query_scalar(
                "INSERT INTO limit_counters (counter_key, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (counter_key) DO UPDATE SET \
                 hits = CASE WHEN limit_counters.window_start = excluded.window_start \
                        THEN limit_counters.hits + 1 ELSE 1 END, \
                 window_start = excluded.window_start \
                 RETURNING hits",
            )
            .bind(key)
            .bind(start)
            .fetch_one(pool)
            .await?
        }))
    }

    /// The hits on `key` in the current window, without counting one.
    pub async fn hits(&self, key: &str, window: SignedDuration, now: Timestamp) -> Result<i64> {
        let start = window_start(now, window);
        let hits: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT hits FROM limit_counters WHERE counter_key = $1 AND window_start = $2",
            )
            .bind(key)
            .bind(start)
            .fetch_optional(pool)
            .await?
        });
        Ok(hits.unwrap_or(0))
    }

    /// Deletes the counters whose window started before `before`; returns how many.
    pub async fn forget_before(&self, before: Timestamp) -> Result<u64> {
        Ok(on_writer!(self.store, pool => {
            sqlx::query("DELETE FROM limit_counters WHERE window_start < $1")
                .bind(to_micros(before))
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }
}
