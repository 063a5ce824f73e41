//! CDN purges as the `changes` log asks for them: whichever node moves the purge cursor along the
//! log queues one `cdn.purge` job for the changes it passed, in the same transaction, so each
//! change is purged by exactly one job however many nodes follow the log.

use std::collections::BTreeSet;

use dateline_core::JobKind;
use jiff::Timestamp;

use crate::jobs::enqueue_job;
use crate::{NewJob, Result, Store, on_writer};

/// Tries a purge job gets: with the queue's backoff (30 s doubling, at most an hour between
/// tries), about a day of a CDN being unreachable before the job gives up; by then the pages'
/// own `s-maxage` has long replaced them.
const PURGE_ATTEMPTS: i32 = 30;

/// A purge job queued for a batch of changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedPurge {
    pub job_id: i64,
    /// Every cache tag the batch's changes named, once each, sorted.
    pub tags: Vec<String>,
    /// The last change of the batch.
    pub through_change: i64,
}

/// The CDN purge area of the store (`store.cdn()`).
pub struct Cdn<'a> {
    store: &'a Store,
}

impl Store {
    pub fn cdn(&self) -> Cdn<'_> {
        Cdn { store: self }
    }
}

impl Cdn<'_> {
    /// Queues one purge job for the changes after the purge cursor (at most `batch` of them) and
    /// moves the cursor past them, in one transaction; `None` when there was nothing new. The
    /// first call on a site starts the cursor at the newest change: what changed before purges
    /// were switched on is not purged.
    pub async fn queue_purge(&self, batch: i64, now: Timestamp) -> Result<Option<QueuedPurge>> {
        Ok(on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "INSERT INTO cdn_purge_cursor (only_row, through_change) \
                 SELECT 1, COALESCE(MAX(id), 0) FROM changes WHERE true \
                 ON CONFLICT (only_row) DO NOTHING",
            )
            .execute(&mut *tx)
            .await?;
            // A write to the cursor row first: on PostgreSQL it holds the row until commit, so
            // nodes queueing at the same moment take turns and the second finds nothing new.
            let cursor: i64 = sqlx::query_scalar(
                "UPDATE cdn_purge_cursor SET through_change = through_change WHERE only_row = 1 \
                 RETURNING through_change",
            )
            .fetch_one(&mut *tx)
            .await?;
            let changes: Vec<(i64, String)> = sqlx::query_as(
                "SELECT id, cache_tags FROM changes WHERE id > $1 ORDER BY id LIMIT $2",
            )
            .bind(cursor)
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
            match changes.last().map(|(id, _)| *id) {
                None => {
                    // Keeps the cursor a first call placed.
                    tx.commit().await?;
                    None
                }
                Some(through_change) => {
                    let tags: Vec<String> = changes
                        .iter()
                        .flat_map(|(_, tags)| tags.split_whitespace())
                        .map(str::to_owned)
                        .collect::<BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    sqlx::query(
                        "UPDATE cdn_purge_cursor SET through_change = $1 WHERE only_row = 1",
                    )
                    .bind(through_change)
                    .execute(&mut *tx)
                    .await?;
                    let mut job = NewJob::at(
                        JobKind::PurgeCdn.name(),
                        serde_json::json!({ "tags": tags, "through_change": through_change }),
                        now,
                    );
                    job.priority = 20;
                    job.max_attempts = PURGE_ATTEMPTS;
                    let job_id = enqueue_job!(&mut *tx, &job, now);
                    tx.commit().await?;
                    // No dedup key, so the insert always returns its id.
                    job_id.map(|job_id| QueuedPurge { job_id, tags, through_change })
                }
            }
        }))
    }
}
