//! CDN purges (`cdn.purge` jobs): every configured Varnish is told to drop the pages carrying the
//! tags of a batch of the `changes` log, by xkey (varnish-modules), the way each node's page
//! cache drops them. The job queue gives each batch to one node; a CDN that does not answer fails
//! the job, and the queue tries it again later (see `Jobs::fail`), so nothing is lost while
//! Varnish restarts.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use dateline_core::JobKind;
use dateline_db::{Job, Store};
use jiff::Timestamp;

use crate::Worker;

/// How a purge invalidates: `Soft` keeps the old page to serve while the new one is fetched (no
/// reader waits, and a node that is down does not empty the CDN); `Hard` drops it at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PurgeMode {
    #[default]
    Soft,
    Hard,
}

impl PurgeMode {
    /// The request header varnish-modules' xkey reads in `deploy/varnish/dateline.vcl`.
    fn header(self) -> &'static str {
        match self {
            PurgeMode::Soft => "xkey-softpurge",
            PurgeMode::Hard => "xkey-purge",
        }
    }
}

impl std::str::FromStr for PurgeMode {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "soft" => Ok(PurgeMode::Soft),
            "hard" => Ok(PurgeMode::Hard),
            other => Err(format!("cdn_purge “{other}” is not soft or hard")),
        }
    }
}

/// Tags per `PURGE` request are sent in headers of at most this many bytes: Varnish refuses a
/// request header line over `http_req_hdr_len` (8 KiB by default), and a batch of changes can
/// name thousands of tags (a section renamed touches every article in it).
const HEADER_BUDGET: usize = 4 * 1024;
/// A Varnish that has not answered in this long is treated as down; the job is tried again.
const PURGE_TIMEOUT: Duration = Duration::from_secs(5);
/// Changes folded into one purge job.
pub const PURGE_BATCH: i64 = 500;

/// Sends tag purges to every configured Varnish.
#[derive(Clone)]
pub struct CdnPurger {
    client: reqwest::Client,
    urls: Arc<Vec<reqwest::Url>>,
    mode: PurgeMode,
}

impl CdnPurger {
    /// A purger for these Varnish base URLs (`http://10.0.0.5:6081`); the `PURGE` goes to `/`.
    pub fn new(urls: &[String], mode: PurgeMode) -> anyhow::Result<Self> {
        // reqwest is built without a TLS provider of its own (the root Cargo.toml): the
        // workspace's ring one serves an https:// purge URL too.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let urls = urls
            .iter()
            .map(|url| {
                let parsed = reqwest::Url::parse(url)
                    .with_context(|| format!("cdn_purge_urls: “{url}” is not a URL"))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    bail!("cdn_purge_urls: “{url}” must start with http:// or https://");
                }
                Ok(parsed.join("/")?)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let client = reqwest::Client::builder()
            .timeout(PURGE_TIMEOUT)
            .connect_timeout(PURGE_TIMEOUT)
            .build()
            .context("building the CDN purge client")?;
        Ok(Self {
            client,
            urls: Arc::new(urls),
            mode,
        })
    }

    /// Purges `tags` at every CDN; an error names each one that failed. Purging again is
    /// harmless, so a retry sends to all of them again.
    pub async fn purge(&self, tags: &[String]) -> anyhow::Result<()> {
        let method = reqwest::Method::from_bytes(b"PURGE").context("the PURGE method")?;
        let mut failures = Vec::new();
        for url in self.urls.iter() {
            for header in tag_headers(tags) {
                let sent = self
                    .client
                    .request(method.clone(), url.clone())
                    .header(self.mode.header(), header)
                    .send()
                    .await;
                match sent {
                    Ok(answer) if answer.status().is_success() => {}
                    Ok(answer) => {
                        failures.push(format!("{url} answered {}", answer.status()));
                        break;
                    }
                    Err(error) => {
                        failures.push(format!("{url}: {error}"));
                        break;
                    }
                }
            }
        }
        if failures.is_empty() {
            Ok(())
        } else {
            bail!("CDN purge failed: {}", failures.join("; "))
        }
    }

    /// Runs one `cdn.purge` job.
    async fn run(&self, job: Job) -> anyhow::Result<()> {
        let tags: Vec<String> = job
            .payload
            .get("tags")
            .and_then(|tags| serde_json::from_value(tags.clone()).ok())
            .unwrap_or_default();
        self.purge(&tags).await
    }
}

/// `tags` as header values of at most [`HEADER_BUDGET`] bytes each (a tag longer than that on
/// its own gets a header of its own).
fn tag_headers(tags: &[String]) -> Vec<String> {
    let mut headers: Vec<String> = Vec::new();
    for tag in tags {
        match headers.last_mut() {
            Some(last) if last.len() + 1 + tag.len() <= HEADER_BUDGET => {
                last.push(' ');
                last.push_str(tag);
            }
            _ => headers.push(tag.clone()),
        }
    }
    headers
}

impl Worker {
    /// Runs `cdn.purge` jobs with `purger`.
    pub fn purge_cdn(&mut self, purger: CdnPurger) {
        self.register(JobKind::PurgeCdn, move |job| {
            let purger = purger.clone();
            async move { purger.run(job).await }
        });
    }
}

/// Follows the `changes` log for the CDN, forever: when it moved on, queues a purge for the new
/// changes (the node that moves the shared cursor queues it; see `Cdn::queue_purge`) and, after
/// `settle`, runs it at once with `purges` rather than waiting for the worker's next round. The
/// pause lets every node drop the changed pages from its own cache first (they follow the log
/// as often as this does): Varnish must not fetch the old page again from a node that has not.
pub async fn follow_changes(
    store: Store,
    purges: Arc<Worker>,
    interval: Duration,
    settle: Duration,
) {
    let mut seen = 0;
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let latest = match store.changes().latest_id().await {
            Ok(latest) => latest,
            Err(error) => {
                tracing::warn!(%error, "could not follow the changes log for the CDN");
                continue;
            }
        };
        if latest == seen {
            continue;
        }
        match store.cdn().queue_purge(PURGE_BATCH, Timestamp::now()).await {
            Ok(Some(queued)) => {
                tracing::debug!(tags = queued.tags.len(), "CDN purge queued");
                let purges = Arc::clone(&purges);
                tokio::spawn(async move {
                    tokio::time::sleep(settle).await;
                    if let Err(error) = purges.run_once().await {
                        tracing::warn!(error = %format!("{error:#}"), "CDN purge not run");
                    }
                });
                // More may be waiting past this batch: look again next round.
                continue;
            }
            Ok(None) => seen = latest,
            Err(error) => tracing::warn!(%error, "could not queue a CDN purge"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_split_into_headers_varnish_accepts() {
        let tags: Vec<String> = (0..2000).map(|n| format!("article:{n}")).collect();
        let headers = tag_headers(&tags);
        assert!(headers.len() > 1);
        assert!(headers.iter().all(|header| header.len() <= HEADER_BUDGET));
        let back: Vec<String> = headers
            .iter()
            .flat_map(|header| header.split(' '))
            .map(str::to_owned)
            .collect();
        assert_eq!(back, tags);
        assert!(tag_headers(&[]).is_empty());
    }

    #[test]
    fn purge_urls_must_be_http() {
        assert!(CdnPurger::new(&["ftp://varnish".to_owned()], PurgeMode::Soft).is_err());
        assert!(CdnPurger::new(&["not a url".to_owned()], PurgeMode::Soft).is_err());
        assert!(CdnPurger::new(&["http://127.0.0.1:6081".to_owned()], PurgeMode::Hard).is_ok());
        assert_eq!("soft".parse(), Ok(PurgeMode::Soft));
        assert!("purge".parse::<PurgeMode>().is_err());
    }
}
