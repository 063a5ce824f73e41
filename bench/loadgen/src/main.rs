//! The load of `bench/abuse.sh`, as an attacker with a fast client would send it.
//!
//! ```text
//! loadgen capacity BASE SERVER_PID PLAN        closed loop: CONCURRENCY clients over the uncached
//!                                              mix; how many requests/s the node completes
//! loadgen overload BASE SERVER_PID PLAN RATE   open loop at RATE requests/s over the same mix,
//!                                              while PAGE_FETCHERS readers load the cached article
//! ```
//!
//! Each prints one JSON object. The mix is searches, discussion pages (never cached), comment
//! posts by signed-in readers and tip posts, as `bench/abuse.sh`'s PLAN file describes them.
//!
//! Why not a script: a JavaScript client spends more CPU per request than the server spends
//! refusing it, so at ten times the node's capacity it measured its own queue, not the server.
//! Here the generator runs on one thread (the machine keeps a core for the server), every request
//! goes out on its own connection with `Connection: close` (what a flood does), and the readers
//! run on a thread of their own, so their latency is the server's and not the generator's.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The longest one request may take before it counts as an error (the server's own limits end
/// anything slower well before).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the overload waits, after its last request went out, for the answers still due.
const DRAIN: Duration = Duration::from_secs(30);

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: loadgen capacity|overload BASE SERVER_PID PLAN [RATE]";
    let (mode, base, pid, plan) = match args.as_slice() {
        [mode, base, pid, plan, ..] => (mode.as_str(), base, pid.parse::<u32>()?, plan),
        _ => return Err(usage.into()),
    };
    let target = Arc::new(Target::new(base, plan)?);
    let settings = Settings::from_env();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let result = match mode {
        "capacity" => runtime.block_on(capacity(target, &settings)),
        "overload" => {
            let rate: f64 = args.get(4).ok_or(usage)?.parse()?;
            runtime.block_on(overload(target, &settings, pid, rate))
        }
        other => return Err(format!("unknown mode {other} ({usage})").into()),
    };
    println!("{result}");
    Ok(())
}

struct Settings {
    mix: Vec<Kind>,
    seconds: u64,
    concurrency: usize,
    page_fetchers: usize,
    max_in_flight: usize,
}

impl Settings {
    fn from_env() -> Self {
        let number = |name: &str, default: u64| {
            std::env::var(name)
                .ok()
                .and_then(|value| value.parse().ok())
                .unwrap_or(default)
        };
        // MIX=search,miss narrows the load to some kinds, to see what each costs.
        let mix: Vec<Kind> = match std::env::var("MIX") {
            Ok(kinds) => MIX
                .into_iter()
                .filter(|kind| kinds.split(',').any(|name| name.trim() == kind.name()))
                .collect(),
            Err(_) => MIX.to_vec(),
        };
        Self {
            mix: if mix.is_empty() { MIX.to_vec() } else { mix },
            seconds: number("SECONDS_TO_RUN", 30),
            concurrency: number("CONCURRENCY", 16) as usize,
            page_fetchers: number("PAGE_FETCHERS", 4) as usize,
            max_in_flight: number("MAX_IN_FLIGHT", 4000) as usize,
        }
    }
}

/// The server and what the plan says to send it.
struct Target {
    address: SocketAddr,
    host: String,
    origin: String,
    article_path: String,
    article_id: u64,
    article_ids: Vec<u64>,
    words: Vec<String>,
    /// Signed-in readers: (session token, form token).
    sessions: Vec<(String, String)>,
    tip_action: String,
    /// The tip form's hidden fields and the kind it offers first, as the page serves them.
    tip_fields: Vec<(String, String)>,
    accepted_comments: PathBuf,
    accepted_tips: PathBuf,
    counter: AtomicU64,
}

impl Target {
    fn new(base: &str, plan_file: &str) -> Result<Self, Failure> {
        let host = base
            .strip_prefix("http://")
            .ok_or("BASE must be http://HOST:PORT")?
            .trim_end_matches('/')
            .to_owned();
        let plan: Value = serde_json::from_str(&std::fs::read_to_string(plan_file)?)?;
        let text = |key: &str| -> Result<String, Failure> {
            Ok(plan[key].as_str().ok_or(format!("plan: {key}"))?.to_owned())
        };
        let pairs = |value: &Value| -> Vec<(String, String)> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|pair| {
                    Some((
                        pair.get(0)?.as_str()?.to_owned(),
                        pair.get(1)?.as_str()?.to_owned(),
                    ))
                })
                .collect()
        };
        let sessions = pairs(&plan["sessions"]);
        let article_ids: Vec<u64> = plan["article_ids"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_u64)
            .collect();
        let words: Vec<String> = plan["words"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|word| word.as_str().map(str::to_owned))
            .collect();
        if sessions.is_empty() || article_ids.is_empty() || words.is_empty() {
            return Err("plan: sessions, article_ids and words must not be empty".into());
        }
        Ok(Self {
            address: host.parse()?,
            origin: format!("http://{host}"),
            host,
            article_path: text("article_path")?,
            article_id: plan["article_id"].as_u64().ok_or("plan: article_id")?,
            article_ids,
            words,
            sessions,
            tip_action: text("tip_action")?,
            tip_fields: pairs(&plan["tip_fields"]),
            accepted_comments: text("accepted_comments")?.into(),
            accepted_tips: text("accepted_tips")?.into(),
            counter: AtomicU64::new(0),
        })
    }

    fn next(&self) -> u64 {
        self.counter.fetch_add(1, Ordering::Relaxed)
    }

    fn pick<'a, T>(&self, list: &'a [T]) -> &'a T {
        &list[(self.next() as usize).wrapping_mul(2_654_435_761) % list.len()]
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Search,
    Miss,
    Comment,
    Tip,
}

/// Two searches, two uncached pages, a comment and a tip: the work a node cannot cache.
const MIX: [Kind; 6] = [
    Kind::Search,
    Kind::Search,
    Kind::Miss,
    Kind::Miss,
    Kind::Comment,
    Kind::Tip,
];

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Search => "search",
            Kind::Miss => "miss",
            Kind::Comment => "comment",
            Kind::Tip => "tip",
        }
    }
}

/// An answer: its status and body (de-chunked).
struct Answer {
    status: u16,
    body: Vec<u8>,
}

/// One request on a connection of its own, read to the end.
async fn exchange(target: &Target, request: Vec<u8>) -> Result<Answer, Failure> {
    let mut stream = TcpStream::connect(target.address).await?;
    stream.set_nodelay(true)?;
    stream.write_all(&request).await?;
    let mut raw = Vec::with_capacity(16 * 1024);
    stream.read_to_end(&mut raw).await?;
    parse_answer(&raw)
}

fn parse_answer(raw: &[u8]) -> Result<Answer, Failure> {
    let head_end = raw
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or("answer without a complete head")?;
    let head = std::str::from_utf8(&raw[..head_end])?;
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or("answer without a status")?;
    let body = &raw[head_end + 4..];
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)?
    } else {
        body.to_vec()
    };
    Ok(Answer { status, body })
}

/// The body of a chunked answer (RFC 9112 §7.1), extensions and trailers ignored.
fn dechunk(mut rest: &[u8]) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = std::str::from_utf8(&rest[..line_end])?;
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(rest.get(..size).ok_or("truncated chunk")?);
        rest = rest.get(size + 2..).ok_or("truncated chunk")?;
    }
}

fn request(
    target: &Target,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<u8> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nUser-Agent: dateline-loadgen\r\n",
        target.host
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if method != "GET" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn encoded(text: &str) -> String {
    utf8_percent_encode(text, NON_ALPHANUMERIC).to_string()
}

fn append_line(file: &PathBuf, line: &str) {
    if let Ok(mut file) = OpenOptions::new().append(true).create(true).open(file) {
        let _ = writeln!(file, "{line}");
    }
}

/// Sends one request of `kind`; comments and tips that were accepted are appended to the plan's
/// files, as the kill -9 check of `bench/durability.sh` does with its own.
async fn send(target: &Target, kind: Kind) -> Result<u16, Failure> {
    let n = target.next();
    match kind {
        Kind::Search => {
            let words = format!(
                "{} {}",
                target.pick(&target.words),
                target.pick(&target.words)
            );
            let path = format!("/search?q={}&n={n}", encoded(&words));
            Ok(exchange(target, request(target, "GET", &path, &[], b""))
                .await?
                .status)
        }
        Kind::Miss => {
            let path = format!(
                "/discussion/{}?sort=newest",
                target.pick(&target.article_ids)
            );
            Ok(exchange(target, request(target, "GET", &path, &[], b""))
                .await?
                .status)
        }
        Kind::Comment => {
            let (session, csrf) = &target.sessions[n as usize % target.sessions.len()];
            let text = format!("Load comment {n}: under load.");
            let body = format!("csrf={}&body={}", encoded(csrf), encoded(&text));
            let cookie = format!("dateline_reader={session}");
            let headers = [
                ("Cookie", cookie.as_str()),
                ("Origin", target.origin.as_str()),
                ("Accept", "application/json"),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ];
            let path = format!("/discussion/{}/comments", target.article_id);
            let answer = exchange(
                target,
                request(target, "POST", &path, &headers, body.as_bytes()),
            )
            .await?;
            if answer.status == 201 {
                let id = serde_json::from_slice::<Value>(&answer.body)
                    .ok()
                    .and_then(|json| json["id"].as_u64())
                    .unwrap_or(0);
                append_line(&target.accepted_comments, &format!("{id}\t{text}"));
            }
            Ok(answer.status)
        }
        Kind::Tip => {
            const BOUNDARY: &str = "dateline-loadgen-boundary";
            let message = format!("Load tip {n}");
            let mut body = String::new();
            let fields = target
                .tip_fields
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str()))
                .chain([("message", message.as_str()), ("contact", "")]);
            for (name, value) in fields {
                body.push_str(&format!(
                    "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                ));
            }
            body.push_str(&format!("--{BOUNDARY}--\r\n"));
            let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
            let headers = [
                ("Origin", target.origin.as_str()),
                ("Content-Type", content_type.as_str()),
            ];
            let answer = exchange(
                target,
                request(
                    target,
                    "POST",
                    &target.tip_action,
                    &headers,
                    body.as_bytes(),
                ),
            )
            .await?;
            if matches!(answer.status, 200 | 201 | 303) {
                append_line(&target.accepted_tips, &message);
            }
            Ok(answer.status)
        }
    }
}

/// What the requests got: statuses by kind, and latencies of refusals (503/429) and the rest.
#[derive(Default)]
struct Tally {
    statuses: BTreeMap<String, u64>,
    refused_ms: Vec<f64>,
    /// The same refusals by kind, so a slow tail can be traced to the path that answers it.
    refused_ms_by_kind: BTreeMap<&'static str, Vec<f64>>,
    admitted_ms: Vec<f64>,
    errors: u64,
}

impl Tally {
    fn record(&mut self, kind: Kind, outcome: &Result<u16, Failure>, took: Duration) {
        let ms = took.as_secs_f64() * 1000.0;
        match outcome {
            Ok(status) => {
                *self
                    .statuses
                    .entry(format!("{} {status}", kind.name()))
                    .or_default() += 1;
                if matches!(status, 503 | 429) {
                    self.refused_ms.push(ms);
                    self.refused_ms_by_kind
                        .entry(kind.name())
                        .or_default()
                        .push(ms);
                } else {
                    self.admitted_ms.push(ms);
                }
            }
            Err(_) => self.errors += 1,
        }
    }
}

async fn timed(target: &Target, kind: Kind, tally: &Mutex<Tally>) -> Option<u16> {
    let started = Instant::now();
    let outcome = match tokio::time::timeout(REQUEST_TIMEOUT, send(target, kind)).await {
        Ok(outcome) => outcome,
        Err(_) => Err("timed out".into()),
    };
    let status = outcome.as_ref().ok().copied();
    tally
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .record(kind, &outcome, started.elapsed());
    status
}

fn percentiles(mut values: Vec<f64>) -> Value {
    values.sort_by(f64::total_cmp);
    let at = |p: f64| -> Value {
        if values.is_empty() {
            return Value::Null;
        }
        let index = ((p / 100.0) * values.len() as f64) as usize;
        json!((values[index.min(values.len() - 1)] * 100.0).round() / 100.0)
    };
    json!({ "count": values.len(), "p50": at(50.0), "p90": at(90.0), "p99": at(99.0), "max": at(100.0) })
}

async fn capacity(target: Arc<Target>, settings: &Settings) -> Value {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let deadline = Instant::now() + Duration::from_secs(settings.seconds);
    let completed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..settings.concurrency)
        .map(|worker| {
            let (target, tally, completed) = (
                Arc::clone(&target),
                Arc::clone(&tally),
                Arc::clone(&completed),
            );
            let mix = settings.mix.clone();
            tokio::spawn(async move {
                let mut turn = worker;
                while Instant::now() < deadline {
                    let status = timed(&target, mix[turn % mix.len()], &tally).await;
                    turn += 1;
                    if status.is_some_and(|status| !matches!(status, 503 | 429)) {
                        completed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    let completed = completed.load(Ordering::Relaxed);
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    json!({
        "mode": "capacity",
        "seconds": settings.seconds,
        "concurrency": settings.concurrency,
        "completed": completed,
        "per_second": completed as f64 / settings.seconds as f64,
        "statuses": tally.statuses,
        "errors": tally.errors,
        "admitted_ms": percentiles(tally.admitted_ms),
    })
}

async fn overload(target: Arc<Target>, settings: &Settings, pid: u32, rate: f64) -> Value {
    let memory = MemorySampler::start(pid);
    let duration = Duration::from_secs(settings.seconds);
    let readers = readers(Arc::clone(&target), settings.page_fetchers, duration);
    let tally = Arc::new(Mutex::new(Tally::default()));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let (mut issued, mut sent, mut not_sent) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    // Open loop: requests go out on schedule whatever the answers do, as an attacker's would.
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    while started.elapsed() < duration {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while issued < due {
            issued += 1;
            if in_flight.load(Ordering::Relaxed) >= settings.max_in_flight {
                not_sent += 1;
                continue;
            }
            sent += 1;
            in_flight.fetch_add(1, Ordering::Relaxed);
            let (target, tally, in_flight) = (
                Arc::clone(&target),
                Arc::clone(&tally),
                Arc::clone(&in_flight),
            );
            let kind = settings.mix[issued as usize % settings.mix.len()];
            tokio::spawn(async move {
                timed(&target, kind, &tally).await;
                in_flight.fetch_sub(1, Ordering::Relaxed);
            });
        }
    }
    let sending_took = started.elapsed().as_secs_f64();
    let drain_until = Instant::now() + DRAIN;
    while in_flight.load(Ordering::Relaxed) > 0 && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (article_ms, article_failures) = readers.join().unwrap_or_default();
    let memory = memory.stop().await;
    let tally = std::mem::take(&mut *tally.lock().unwrap_or_else(|e| e.into_inner()));
    json!({
        "mode": "overload",
        "seconds": settings.seconds,
        "offered_per_second": rate,
        "sent": sent,
        "sent_per_second": sent as f64 / sending_took,
        "not_sent_in_flight_cap": not_sent,
        "statuses": tally.statuses,
        "errors": tally.errors,
        "excess_ms": percentiles(tally.refused_ms),
        "excess_ms_by_kind": tally
            .refused_ms_by_kind
            .into_iter()
            .map(|(kind, ms)| (kind, percentiles(ms)))
            .collect::<BTreeMap<_, _>>(),
        "admitted_ms": percentiles(tally.admitted_ms),
        "article_ms": percentiles(article_ms),
        "article_failures": article_failures,
        "rss_before_mb": memory.before_mb,
        "rss_peak_mb": memory.peak_mb,
        "rss_after_mb": memory.after_mb,
        "growth_mb": memory.peak_mb - memory.before_mb,
    })
}

/// Readers loading the cached article one after another, on a thread and runtime of their own:
/// the latencies they see are the server's, not the generator's queue.
fn readers(
    target: Arc<Target>,
    count: usize,
    duration: Duration,
) -> std::thread::JoinHandle<(Vec<f64>, u64)> {
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return (Vec::new(), 1);
        };
        runtime.block_on(async move {
            let deadline = Instant::now() + duration;
            let readers: Vec<_> = (0..count)
                .map(|_| {
                    let target = Arc::clone(&target);
                    tokio::spawn(async move {
                        let (mut times, mut failures) = (Vec::new(), 0u64);
                        let page = request(
                            &target,
                            "GET",
                            &target.article_path,
                            &[("Accept-Encoding", "gzip")],
                            b"",
                        );
                        while Instant::now() < deadline {
                            let started = Instant::now();
                            match exchange(&target, page.clone()).await {
                                Ok(answer) if answer.status == 200 => {}
                                _ => failures += 1,
                            }
                            times.push(started.elapsed().as_secs_f64() * 1000.0);
                        }
                        (times, failures)
                    })
                })
                .collect();
            let (mut all, mut failures) = (Vec::new(), 0);
            for reader in readers {
                if let Ok((times, failed)) = reader.await {
                    all.extend(times);
                    failures += failed;
                }
            }
            (all, failures)
        })
    })
}

/// The server's resident memory, from /proc, sampled every 250 ms.
struct MemorySampler {
    before_kb: u64,
    peak_kb: Arc<AtomicU64>,
    pid: u32,
    sampler: tokio::task::JoinHandle<()>,
}

struct Memory {
    before_mb: f64,
    peak_mb: f64,
    after_mb: f64,
}

fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

impl MemorySampler {
    fn start(pid: u32) -> Self {
        let before_kb = rss_kb(pid).unwrap_or(0);
        let peak_kb = Arc::new(AtomicU64::new(before_kb));
        let peak = Arc::clone(&peak_kb);
        let sampler = tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            loop {
                every.tick().await;
                if let Some(now) = rss_kb(pid) {
                    peak.fetch_max(now, Ordering::Relaxed);
                }
            }
        });
        Self {
            before_kb,
            peak_kb,
            pid,
            sampler,
        }
    }

    async fn stop(self) -> Memory {
        self.sampler.abort();
        let after_kb = rss_kb(self.pid).unwrap_or(0);
        let peak_kb = self.peak_kb.load(Ordering::Relaxed).max(after_kb);
        let mb = |kb: u64| kb as f64 / 1024.0;
        Memory {
            before_mb: mb(self.before_kb),
            peak_mb: mb(peak_kb),
            after_mb: mb(after_kb),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_chunked_answer_and_a_sized_one() {
        let chunked = b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{\"id\r\n5\r\n\":42}\r\n0\r\n\r\n";
        let answer = parse_answer(chunked).expect("chunked answer");
        assert_eq!(answer.status, 201);
        assert_eq!(answer.body, b"{\"id\":42}");
        let sized = b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\n\r\nbusy";
        let answer = parse_answer(sized).expect("sized answer");
        assert_eq!(
            (answer.status, answer.body.as_slice()),
            (503, b"busy".as_slice())
        );
        assert!(parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 4").is_err());
        assert!(dechunk(b"ff\r\nshort").is_err());
    }
}
