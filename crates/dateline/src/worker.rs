//! Narration in a process of its own (issue 14): `dateline worker` claims narration jobs and
//! brings in the neural voice; `serve` starts one as a child and starts it again when it dies, so
//! the web process never loads a voice model and a crash or a kill -9 of the worker leaves the
//! site serving. On another machine, `dateline worker` runs alone against the shared database
//! and storage (then `narration = "off"` on the web nodes).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dateline_db::Store;
use dateline_jobs::narration::{EngineProvider, narration_worker};
use jiff::Timestamp;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::process::{Child, Command};
use tokio::sync::watch;

use crate::config::{Config, Overrides};

/// How long a worker told to stop may finish the article it is reading before it is killed.
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Restarts back off from one second to a minute while the worker keeps dying young.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const LONGEST_BACKOFF: Duration = Duration::from_secs(60);
/// A worker that ran this long before dying was not crash-looping: the backoff starts over.
const HEALTHY_RUN: Duration = Duration::from_secs(60);

/// `dateline worker`: narrates until SIGTERM or Ctrl-C (finishing the article in progress), or,
/// started by `serve`, until that process is gone.
pub async fn run(
    overrides: &Overrides,
    name: Option<String>,
    with_parent: bool,
) -> anyhow::Result<()> {
    let config = crate::setup(overrides)?;
    let (store, media) = crate::open(&config).await?;
    let name = name.unwrap_or_else(|| format!("{}-{}", crate::hostname(), std::process::id()));
    let engines = EngineProvider::fallback_only();
    tokio::spawn(crate::narrator::bring_in_neural_voice(
        config.data_dir.clone(),
        store.clone(),
        Arc::clone(&engines),
        config.neural_voice,
    ));
    let worker = narration_worker(store.clone(), media, engines, &name);
    let (stop, stopped) = watch::channel(false);
    tokio::spawn(async move {
        tokio::select! {
            () = crate::shutdown_signal() => {}
            () = parent_gone(with_parent) => tracing::info!("the serving process is gone"),
        }
        let _ = stop.send(true);
    });
    tracing::info!(worker = name, "narration worker started");
    worker.run_until(stopped).await;
    store.close().await;
    Ok(())
}

/// Resolves when the process that started this one has ended (its child is then adopted by
/// another): a worker never outlives the `serve` it belongs to, even after a kill -9 of it.
async fn parent_gone(watch_parent: bool) {
    if !watch_parent {
        return std::future::pending().await;
    }
    let parent = std::os::unix::process::parent_id();
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        if std::os::unix::process::parent_id() != parent {
            return;
        }
    }
}

/// The narration worker `serve` keeps running beside it.
pub struct NarrationChild {
    stop: watch::Sender<bool>,
    supervisor: tokio::task::JoinHandle<()>,
}

impl NarrationChild {
    /// Starts `dateline worker` with this node's settings. It gets them the way `serve` got them
    /// (the same configuration file and environment); what came as flags is passed in the
    /// environment, so no secret appears in the process list.
    pub fn start(config: &Config, overrides: &Overrides, store: Store) -> anyhow::Result<Self> {
        let program =
            std::env::current_exe().context("finding this program to start its worker")?;
        let name = format!("{}-{}-child", crate::hostname(), std::process::id());
        let mut environment = vec![
            ("DATELINE_DATA_DIR", config.data_dir.display().to_string()),
            ("DATELINE_DATABASE_URL", config.database_url.clone()),
        ];
        if let Some(path) = &overrides.config {
            environment.push(("DATELINE_CONFIG", path.display().to_string()));
        }
        let (stop, stopped) = watch::channel(false);
        let launch = Launch {
            program,
            name,
            environment,
        };
        let supervisor = tokio::spawn(supervise(launch, store, stopped));
        Ok(Self { stop, supervisor })
    }

    /// Tells the worker to stop, waits for it to finish its article (or kills it after
    /// [`STOP_GRACE`] and gives its job back to the queue).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.supervisor.await;
    }
}

struct Launch {
    program: PathBuf,
    name: String,
    environment: Vec<(&'static str, String)>,
}

impl Launch {
    fn spawn(&self) -> std::io::Result<Child> {
        Command::new(&self.program)
            .arg("worker")
            .arg("--name")
            .arg(&self.name)
            .arg("--with-parent")
            .envs(self.environment.iter().map(|(key, value)| (key, value)))
            .kill_on_drop(true)
            .spawn()
    }
}

async fn supervise(launch: Launch, store: Store, mut stopped: watch::Receiver<bool>) {
    let mut backoff = FIRST_BACKOFF;
    while !*stopped.borrow() {
        let started = Instant::now();
        let mut child = match launch.spawn() {
            Ok(child) => child,
            Err(error) => {
                tracing::error!(%error, "could not start the narration worker");
                wait_or_stop(&mut stopped, backoff).await;
                backoff = (backoff * 2).min(LONGEST_BACKOFF);
                continue;
            }
        };
        tracing::info!(pid = child.id(), "narration worker running");
        tokio::select! {
            status = child.wait() => {
                tracing::warn!(
                    status = ?status.ok(),
                    "the narration worker ended; the site keeps serving, and it starts again"
                );
                release(&store, &launch.name).await;
                if started.elapsed() > HEALTHY_RUN {
                    backoff = FIRST_BACKOFF;
                }
                wait_or_stop(&mut stopped, backoff).await;
                backoff = (backoff * 2).min(LONGEST_BACKOFF);
            }
            _ = stopped.changed() => {
                terminate(&mut child).await;
                release(&store, &launch.name).await;
                return;
            }
        }
    }
}

/// SIGTERM, then the grace period to finish the article in progress, then SIGKILL.
async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id().and_then(|id| i32::try_from(id).ok()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
    if tokio::time::timeout(STOP_GRACE, child.wait())
        .await
        .is_err()
    {
        tracing::warn!("the narration worker did not stop in time; killing it");
        let _ = child.kill().await;
    }
}

/// Gives the dead worker's job back at once instead of after its lease.
async fn release(store: &Store, name: &str) {
    let queue_name = dateline_jobs::narration::queue_name(name);
    match store.jobs().release(&queue_name, Timestamp::now()).await {
        Ok(0) => {}
        Ok(jobs) => tracing::info!(jobs, "gave the narration worker's jobs back to the queue"),
        Err(error) => tracing::warn!(%error, "could not give the narration worker's jobs back"),
    }
}

async fn wait_or_stop(stopped: &mut watch::Receiver<bool>, pause: Duration) {
    tokio::select! {
        () = tokio::time::sleep(pause) => {}
        _ = stopped.changed() => {}
    }
}
