//! The access log (issue 14): one JSON line per answered request, to standard output or a file
//! (`access_log` setting), written by a thread of its own so that no request waits on a disk.
//!
//! What it never holds:
//! - a query string, on any route: search terms, form tokens and tracking tags stay out;
//! - the secret in a link's path (`/readers/verify/…`, `/readers/magic/…`,
//!   `/newsroom/set-password/…`);
//! - for the tips pages (`/tips…`), the client's address and user agent: a source must not be
//!   traceable from our logs (issue 12's promise, kept here too).
//!
//! When the writer falls behind by [`BACKLOG`] lines, new lines are dropped and counted
//! (`dateline_access_log_dropped_lines_total`) rather than queued without bound.

use std::io::Write;
use std::net::IpAddr;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

use serde::Serialize;

/// Lines waiting for the writer at most.
const BACKLOG: usize = 16 * 1024;

/// Where the lines go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccessLogTarget {
    Stdout,
    File(std::path::PathBuf),
}

/// The log's sending end; cheap to share between requests.
#[derive(Debug)]
pub struct AccessLog {
    lines: SyncSender<Vec<u8>>,
}

/// One answered request, as the site saw it.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub method: &'a str,
    pub route: &'static str,
    pub path: &'a str,
    pub status: u16,
    /// The body's length when known before it is sent (`None` for a stream of unknown length).
    pub bytes: Option<u64>,
    pub duration: Duration,
    pub cache: &'static str,
    pub client: Option<IpAddr>,
    pub user_agent: Option<&'a str>,
}

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    method: &'a str,
    route: &'static str,
    path: &'a str,
    status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    bytes: Option<u64>,
    duration_ms: f64,
    cache: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client: Option<IpAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<&'a str>,
}

/// Paths whose last segment is a secret (a one-time link's token).
const SECRET_LINKS: [&str; 3] = [
    "/readers/verify/",
    "/readers/magic/",
    "/newsroom/set-password/",
];

/// A user agent longer than this is cut: it is the client's to make up.
const USER_AGENT_CHARS: usize = 256;

impl AccessLog {
    /// Starts the writer thread for `target`.
    pub fn open(target: &AccessLogTarget) -> std::io::Result<Self> {
        let out: Box<dyn Write + Send> = match target {
            AccessLogTarget::Stdout => Box::new(std::io::stdout()),
            AccessLogTarget::File(path) => Box::new(open_append(path)?),
        };
        Self::to_writer(out)
    }

    /// Lines to any writer (tests read them back).
    pub fn to_writer(out: Box<dyn Write + Send>) -> std::io::Result<Self> {
        let (lines, received) = sync_channel(BACKLOG);
        std::thread::Builder::new()
            .name("access-log".to_owned())
            .spawn(move || write_lines(received, out))?;
        Ok(Self { lines })
    }

    /// Queues `entry`'s line; `false` when the writer is behind and the line was dropped.
    pub fn record(&self, entry: &Entry<'_>) -> bool {
        let private = entry.route == "tips";
        let path = loggable_path(entry.path);
        let line = Line {
            time: jiff::Timestamp::now().to_string(),
            method: entry.method,
            route: entry.route,
            path: &path,
            status: entry.status,
            bytes: entry.bytes,
            duration_ms: (entry.duration.as_secs_f64() * 1e6).round() / 1e3,
            cache: entry.cache,
            client: entry.client.filter(|_| !private),
            user_agent: entry.user_agent.filter(|_| !private).map(|agent| {
                match agent.char_indices().nth(USER_AGENT_CHARS) {
                    Some((cut, _)) => &agent[..cut],
                    None => agent,
                }
            }),
        };
        let Ok(mut bytes) = serde_json::to_vec(&line) else {
            return false;
        };
        bytes.push(b'\n');
        match self.lines.try_send(bytes) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// The path as logged: no query (the caller passes the path alone), and a one-time link's
/// token replaced.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    for prefix in SECRET_LINKS {
        if path.starts_with(prefix) && path.len() > prefix.len() {
            return format!("{prefix}…").into();
        }
    }
    path.into()
}

fn open_append(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
}

/// Writes lines as they come, flushing whenever the queue is empty, so a quiet site's log is
/// current and a busy one's is written in large pieces.
fn write_lines(received: Receiver<Vec<u8>>, out: Box<dyn Write + Send>) {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, out);
    while let Ok(line) = received.recv() {
        let mut failed = out.write_all(&line).is_err();
        while let Ok(line) = received.try_recv() {
            failed |= out.write_all(&line).is_err();
        }
        failed |= out.flush().is_err();
        if failed {
            // Said once per batch, on the application log; the site keeps serving.
            tracing::warn!("could not write the access log");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_links_lose_their_token() {
        assert_eq!(loggable_path("/readers/magic/s3cr3t"), "/readers/magic/…");
        assert_eq!(
            loggable_path("/newsroom/set-password/abc"),
            "/newsroom/set-password/…"
        );
        assert_eq!(loggable_path("/politics/budget"), "/politics/budget");
    }
}
