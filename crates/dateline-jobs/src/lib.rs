//! Background work: a worker claims jobs from the store's queue and runs the handler registered
//! for their kind. Any number of nodes may run workers against one database; leases make a dead
//! worker's job claimable again, so handlers must be idempotent.

pub mod cdn;
pub mod narration;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use dateline_core::JobKind;
use dateline_db::{Actor, Job, JobOutcome, NewJob, PurgedTips, Store};
use dateline_storage::MediaStore;
use dateline_usecases::Context;
use jiff::Timestamp;

type HandlerFuture = Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>;
type Handler = Arc<dyn Fn(Job) -> HandlerFuture + Send + Sync>;

/// How long finished jobs and applied changes are kept (a node that was down longer than this
/// starts with an empty page cache anyway).
pub const RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);

pub struct Worker {
    /// Whether this worker purges old tips (see [`Worker::purge_tips`]).
    purges_tips: bool,
    store: Store,
    name: String,
    handlers: HashMap<String, Handler>,
    lease: Duration,
    idle_wait: Duration,
}

impl Worker {
    /// A worker for the general queue: maintenance, scheduled publication and the other
    /// platform jobs. `ctx` is the use cases' context: the scheduler publishes through them.
    pub fn new(ctx: Context, name: impl Into<String>) -> Self {
        let mut worker = Self::dedicated(ctx.store.clone(), name);
        let ctx = Arc::new(ctx);
        let maintaining = Arc::clone(&ctx);
        worker.register(JobKind::Maintenance, move |_job| {
            let ctx = Arc::clone(&maintaining);
            async move { run_maintenance(&ctx).await }
        });
        worker.register(JobKind::PublishDue, move |_job| {
            let ctx = Arc::clone(&ctx);
            // Whichever article the job was queued for, everything due goes out: a job that
            // was delayed must not leave an earlier embargo waiting.
            async move { publish_scheduled(&ctx, Timestamp::now()).await.map(|_| ()) }
        });
        let store = worker.store.clone();
        worker.register(JobKind::CloseStaleDiscussions, move |_job| {
            let store = store.clone();
            async move {
                let closed = store
                    .comments()
                    .close_stale_discussions(Timestamp::now())
                    .await?;
                if !closed.is_empty() {
                    tracing::info!(articles = ?closed, "comments closed automatically");
                }
                Ok(())
            }
        });
        worker
    }

    /// Purges tips resolved more than `keep` ago, every hour: their rows, history and
    /// conversation, and their attachment objects in `media`; and sweeps what submissions
    /// left behind (see [`sweep_tip_leftovers`]).
    pub fn purge_tips(&mut self, media: MediaStore, keep: Duration) {
        let store = self.store.clone();
        self.purges_tips = true;
        self.register(JobKind::PurgeTips, move |_job| {
            let (store, media) = (store.clone(), media.clone());
            async move {
                let cutoff = Timestamp::now() - jiff::SignedDuration::try_from(keep)?;
                purge_resolved_tips(&store, &media, cutoff, Timestamp::now()).await?;
                sweep_tip_leftovers(&store, &media, Timestamp::now()).await?;
                Ok(())
            }
        });
    }

    /// A worker with no jobs of its own, for one kind of work kept apart from the rest (the
    /// narration worker): register its handlers.
    pub fn dedicated(store: Store, name: impl Into<String>) -> Self {
        Self {
            purges_tips: false,
            store,
            name: name.into(),
            handlers: HashMap::new(),
            lease: Duration::from_secs(300),
            idle_wait: Duration::from_secs(1),
        }
    }

    pub fn with_idle_wait(mut self, wait: Duration) -> Self {
        self.idle_wait = wait;
        self
    }

    pub fn register<F, Fut>(&mut self, kind: JobKind, handler: F)
    where
        F: Fn(Job) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |job| Box::pin(handler(job)));
        for name in std::iter::once(kind.name()).chain(kind.former_names().iter().copied()) {
            self.handlers.insert(name.to_owned(), Arc::clone(&handler));
        }
    }

    /// Claims and runs one due job; `Ok(false)` when there was none.
    pub async fn run_once(&self) -> anyhow::Result<bool> {
        let kinds: Vec<&str> = self.handlers.keys().map(String::as_str).collect();
        let Some(job) = self
            .store
            .jobs()
            .claim(&self.name, &kinds, self.lease, Timestamp::now())
            .await?
        else {
            return Ok(false);
        };
        let Some(handler) = self.handlers.get(&job.kind).cloned() else {
            // Claimed only kinds we registered; defensive all the same.
            self.store
                .jobs()
                .fail(job.id, "no handler for this kind", Timestamp::now())
                .await?;
            return Ok(true);
        };
        let id = job.id;
        let kind = job.kind.clone();
        // A panicking handler must not take the worker down with it.
        let result = tokio::spawn(handler(job)).await;
        let error = match result {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(format!("{error:#}")),
            Err(join_error) => Some(format!("handler panicked: {join_error}")),
        };
        // Read after the handler: a job's end (and its retry's backoff) counts from when it
        // finished, not from when it was claimed.
        let finished_at = Timestamp::now();
        match error {
            None => self.store.jobs().complete(id, finished_at).await?,
            Some(error) => match self.store.jobs().fail(id, &error, finished_at).await? {
                JobOutcome::Retrying { at } => {
                    tracing::warn!(job = id, kind, %error, retry_at = %at, "job failed; will retry")
                }
                JobOutcome::Failed => {
                    tracing::error!(job = id, kind, %error, "job failed for the last time")
                }
            },
        }
        Ok(true)
    }

    /// Runs until the process ends. Errors talking to the store are logged and retried.
    pub async fn run(self) {
        let (_never, stop) = tokio::sync::watch::channel(false);
        self.run_until(stop).await;
    }

    /// Runs until `stop` turns true. A job in progress is finished first, so a shutdown loses no
    /// work (whoever stops the process may cut that short, then release the job:
    /// `Jobs::release`).
    pub async fn run_until(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        // Only the worker that does maintenance schedules it.
        let maintains = self.handlers.contains_key(JobKind::Maintenance.name());
        if maintains {
            schedule_maintenance(&self.store, self.purges_tips, Timestamp::now()).await;
        }
        let mut last_maintenance = tokio::time::Instant::now();
        while !*stop.borrow() {
            let pause = match self.run_once().await {
                Ok(true) => None,
                Ok(false) => Some(self.idle_wait),
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "job queue unavailable");
                    Some(self.idle_wait * 5)
                }
            };
            if let Some(pause) = pause {
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    // A dropped sender can never say stop: keep working.
                    changed = stop.changed() => if changed.is_err() {
                        tokio::time::sleep(pause).await;
                    },
                }
            }
            if maintains && last_maintenance.elapsed() > Duration::from_secs(3600) {
                schedule_maintenance(&self.store, self.purges_tips, Timestamp::now()).await;
                last_maintenance = tokio::time::Instant::now();
            }
        }
        tracing::info!(worker = self.name, "worker stopped");
    }
}

/// A worker running in the background, started by [`Worker::start`], that can be stopped.
pub struct RunningWorker {
    store: Store,
    name: String,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Runs the worker in the background until [`RunningWorker::stop`].
    pub fn start(self) -> RunningWorker {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (store, name) = (self.store.clone(), self.name.clone());
        RunningWorker {
            store,
            name,
            stop,
            task: tokio::spawn(self.run_until(stopped)),
        }
    }
}

impl RunningWorker {
    /// Tells the worker to take no more jobs; it finishes the one in hand meanwhile. Cheap to
    /// call as soon as a shutdown begins, before [`RunningWorker::stop`].
    pub fn stop_taking_jobs(&self) -> StopTakingJobs {
        StopTakingJobs(self.stop.clone())
    }

    /// Stops the worker: no more jobs are taken, the one in hand may finish within `grace`, and
    /// whatever this worker still holds then goes back to the queue at once, for another node or
    /// the next start, instead of waiting out its lease. Returns how many jobs went back.
    pub async fn stop(self, grace: Duration) -> u64 {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(grace, self.task).await.is_err() {
            tracing::warn!(worker = self.name, "the job in hand did not finish in time");
            abort.abort();
        }
        match self
            .store
            .jobs()
            .release(&self.name, Timestamp::now())
            .await
        {
            Ok(0) => 0,
            Ok(jobs) => {
                tracing::info!(
                    jobs,
                    worker = self.name,
                    "gave unfinished jobs back to the queue"
                );
                jobs
            }
            Err(error) => {
                tracing::warn!(%error, worker = self.name, "could not give jobs back to the queue");
                0
            }
        }
    }
}

/// Says stop to a [`RunningWorker`] from elsewhere (a shutdown signal's handler).
#[derive(Clone)]
pub struct StopTakingJobs(tokio::sync::watch::Sender<bool>);

impl StopTakingJobs {
    pub fn now(&self) {
        let _ = self.0.send(true);
    }
}

/// Publishes every scheduled article due by `now` and makes sure the rest have their job
/// waiting; returns how many were published. The worker runs it for each scheduled-publish job,
/// and the server runs it once at start-up, so articles whose time passed while no node was
/// running go out at once instead of being missed.
pub async fn publish_scheduled(ctx: &Context, now: Timestamp) -> anyhow::Result<usize> {
    let published = dateline_usecases::articles::publish_due(ctx, now).await?;
    for article in &published {
        tracing::info!(
            article = article.id,
            headline = article.headline,
            "scheduled article published"
        );
    }
    ctx.store
        .articles()
        .queue_scheduled_publications(now)
        .await?;
    Ok(published.len())
}

async fn schedule_maintenance(store: &Store, purges_tips: bool, now: Timestamp) {
    let kinds: &[JobKind] = if purges_tips {
        &[JobKind::Maintenance, JobKind::PurgeTips]
    } else {
        &[JobKind::Maintenance]
    };
    for &kind in kinds {
        let mut job = NewJob::at(kind.name(), serde_json::json!({}), now);
        job.dedup_key = Some(kind.dedup_key(None));
        job.priority = -10;
        if let Err(error) = store.jobs().enqueue(&job, now).await {
            tracing::warn!(%error, kind = kind.name(), "could not schedule maintenance");
        }
    }
    // Hourly is precise enough for "N days after publication", and one job per sweep (deduplicated
    // by key) however many nodes run workers.
    let kind = JobKind::CloseStaleDiscussions;
    let mut close = NewJob::at(kind.name(), serde_json::json!({}), now);
    close.dedup_key = Some(kind.dedup_key(None));
    close.priority = -5;
    if let Err(error) = store.jobs().enqueue(&close, now).await {
        tracing::warn!(%error, "could not schedule closing stale discussions");
    }
}

/// Deletes tips resolved before `resolved_before` for good: the rows in one transaction, then
/// the attachment objects. An object that could not be deleted is logged by its key (a random
/// name) and left for an operator; the tip it belonged to is gone either way.
pub async fn purge_resolved_tips(
    store: &Store,
    media: &MediaStore,
    resolved_before: Timestamp,
    now: Timestamp,
) -> anyhow::Result<PurgedTips> {
    let purged = store
        .tips()
        .purge_resolved(resolved_before, &Actor::system("tips retention"), now)
        .await?;
    for key in &purged.object_keys {
        if let Err(error) = media.delete(key).await {
            tracing::warn!(%error, key, "could not delete a purged tip attachment");
        }
    }
    if purged.tips > 0 {
        tracing::info!(
            tips = purged.tips,
            attachments = purged.object_keys.len(),
            "purged resolved tips"
        );
    }
    Ok(purged)
}

/// How old an attachment object without a tip must be before the sweep deletes it: far longer
/// than the slowest upload the tip form accepts (about an hour), so a tip being received is
/// never touched.
pub const TIP_LEFTOVER_AGE: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// What [`sweep_tip_leftovers`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweptTips {
    /// Attachment objects no tip names: the node stopped (a crash, kill -9) between storing a
    /// file and committing the tip's row.
    pub objects: Vec<String>,
    /// Spent proofs of work whose form tokens have expired.
    pub spent_proofs: u64,
}

/// Deletes what tip submissions leave behind when a node stops halfway, and forgets spent
/// proofs of work once their tokens expired. A submission refused or failed while the node runs
/// cleans up after itself; this is for the rest.
pub async fn sweep_tip_leftovers(
    store: &Store,
    media: &MediaStore,
    now: Timestamp,
) -> anyhow::Result<SweptTips> {
    let spent_proofs = store.tips().forget_spent_proofs(now).await?;
    let old = media
        .keys_modified_before(
            dateline_core::tips::TIP_ATTACHMENT_PREFIX,
            (now - TIP_LEFTOVER_AGE).as_second(),
        )
        .await?;
    let known = store.tips().known_attachment_keys(&old).await?;
    let mut objects = Vec::new();
    for key in old.into_iter().filter(|key| !known.contains(key)) {
        match media.delete(&key).await {
            Ok(()) => objects.push(key),
            Err(error) => tracing::warn!(%error, key, "could not delete a tip upload leftover"),
        }
    }
    if !objects.is_empty() {
        tracing::info!(
            objects = objects.len(),
            "deleted tip uploads that never became a tip"
        );
    }
    Ok(SweptTips {
        objects,
        spent_proofs,
    })
}

async fn run_maintenance(ctx: &Context) -> anyhow::Result<()> {
    let store = &ctx.store;
    let cutoff = Timestamp::now() - jiff::SignedDuration::try_from(RETENTION)?;
    let changes = store.changes().prune(cutoff).await?;
    let jobs = store.jobs().prune_finished(cutoff).await?;
    // Limit windows are an hour at most; a day back keeps every window still counting.
    let counters = store
        .limits()
        .forget_before(Timestamp::now() - jiff::SignedDuration::from_hours(24))
        .await?;
    // Editors a node left behind when it stopped: ignored after seconds, deleted here.
    let editors = store
        .presence()
        .forget_before(Timestamp::now() - jiff::SignedDuration::from_mins(10))
        .await?;
    tracing::info!(
        changes,
        jobs,
        counters,
        editors,
        "maintenance pruned old rows"
    );
    // A publication job that failed for good (the database was away through all its retries)
    // would leave its article waiting until the next restart: the hourly sweep catches it.
    publish_scheduled(ctx, Timestamp::now()).await?;
    Ok(())
}
