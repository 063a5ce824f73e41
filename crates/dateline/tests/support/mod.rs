//! What the tests of the real binary share: a site with its own data folder and database, the
//! `dateline` process serving it, and plain HTTP requests to it.

#![allow(dead_code)] // each test file uses its own part of it

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dateline_db::{NewReader, ReaderLinkPurpose, SessionLimits, Store};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The binary under test: this build's, or `DATELINE_BIN` (say, the release build).
pub fn binary() -> PathBuf {
    std::env::var_os("DATELINE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_dateline")))
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// One site under test: its data folder, database and the server process while it runs.
pub struct Site {
    pub folder: tempfile::TempDir,
    pub database_url: String,
    pub port: u16,
    pub server: Option<Child>,
    /// More settings for every command, as environment variables.
    pub env: Vec<(String, String)>,
}

impl Site {
    /// A site on `database_url` with a fresh data folder, not yet serving.
    pub fn new(database_url: String) -> Self {
        Self {
            folder: tempfile::tempdir().expect("a data folder"),
            database_url,
            port: free_port(),
            server: None,
            env: Vec::new(),
        }
    }

    /// `dateline ARGS --data-dir …` on this site's database, with the neural voice off.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .args(args)
            .arg("--data-dir")
            .arg(self.folder.path().join("data"))
            .env("DATELINE_DATABASE_URL", &self.database_url)
            .env("DATELINE_NEURAL_VOICE", "off")
            .env_remove("DATELINE_STORAGE_URL")
            .envs(self.env.iter().map(|(key, value)| (key, value)));
        command
    }

    pub fn run(&self, args: &[&str]) -> String {
        let output = self.command(args).output().expect("run dateline");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "dateline {args:?} failed:\n{text}");
        text
    }

    pub async fn start(&mut self, log: &str) {
        let log = std::fs::File::create(self.folder.path().join(log)).expect("log file");
        let listen = format!("127.0.0.1:{}", self.port);
        let mut command = self.command(&["serve", "--no-demo", "--listen", &listen]);
        command
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log));
        self.server = Some(command.spawn().expect("start dateline serve"));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Ok((200, _)) = request(self.port, "GET", "/healthz", &[], b"").await {
                return;
            }
            if let Some(status) = self
                .server
                .as_mut()
                .and_then(|s| s.try_wait().ok().flatten())
            {
                panic!("dateline serve exited with {status}:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "no /healthz:\n{}", self.log());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    pub fn kill(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGKILL: no drain, no flush, nothing the process could still do.
            server.kill().expect("kill -9");
            server.wait().expect("reaped");
        }
    }

    pub fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            let _ = Command::new("kill").arg(server.id().to_string()).status();
            let deadline = Instant::now() + Duration::from_secs(20);
            while server.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = server.kill();
            let _ = server.wait();
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_dir(self.folder.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|entry| entry.path().extension().is_some_and(|e| e == "log"))
            .map(|entry| std::fs::read_to_string(entry.path()).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n---\n")
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A plain HTTP/1.1 exchange on a fresh connection: the status and the body. An error is a
/// request that got no answer (the server was killed under it).
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| std::io::Error::other("no answer within 30 s"))??;
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    Ok((status, body.to_owned()))
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A signed-in, verified reader: the session cookie's token and the form token.
pub struct ReaderSession {
    pub id: i64,
    pub token: String,
    pub csrf: String,
}

pub async fn readers(store: &Store, count: usize) -> Vec<ReaderSession> {
    let now = Timestamp::now();
    let mut sessions = Vec::new();
    for n in 0..count {
        let reader = store
            .people()
            .create_reader(
                &NewReader {
                    email: format!("durable{n}@readers.example"),
                    display_name: format!("Durable reader {n}"),
                    password_hash: "!".into(),
                },
                now,
            )
            .await
            .expect("reader");
        let link = format!("verify-{n}-{}", now.as_nanosecond());
        store
            .sessions()
            .create_reader_link(
                reader.id,
                &digest(&link),
                ReaderLinkPurpose::Verify,
                SignedDuration::from_hours(1),
                now,
            )
            .await
            .expect("link");
        store
            .sessions()
            .use_reader_link(&digest(&link), ReaderLinkPurpose::Verify, now)
            .await
            .expect("verified");
        let token = format!("session-{n}-{}", now.as_nanosecond());
        let csrf = format!("csrf-{n}-{}", now.as_nanosecond());
        let limits = SessionLimits {
            lifetime: SignedDuration::from_hours(24),
            idle_timeout: SignedDuration::from_hours(24),
        };
        store
            .sessions()
            .create_reader_session(reader.id, &digest(&token), &csrf, limits, now)
            .await
            .expect("session");
        sessions.push(ReaderSession {
            id: reader.id,
            token,
            csrf,
        });
    }
    sessions
}

/// The processes whose parent is `pid` (Linux: /proc/PID/task/*/children).
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|text| {
            text.split_whitespace()
                .filter_map(|pid| pid.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Waits for `check` to give a value, failing the test after `timeout`.
pub async fn until<T>(
    what: &str,
    timeout: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A published story long enough that the narration worker is still reading it seconds later
/// (`/politics/vote-delayed`); its id.
pub async fn long_story(store: &Store) -> i64 {
    let body = (1..=40)
        .map(|n| format!("Paragraph {n} of the council's long evening, read aloud in full."))
        .collect::<Vec<_>>()
        .join("\n\n");
    dateline_db::testing::published_article(store, &body)
        .await
        .0
}

/// Waits until the serving `site`'s narration worker child is reading `article_id`; its pid.
pub async fn worker_reading(site: &Site, store: &Store, article_id: i64) -> u32 {
    let serve = site.server.as_ref().expect("serving").id();
    let worker = until(
        "the narration worker",
        Duration::from_secs(60),
        async || children(serve).first().copied(),
    )
    .await;
    until(
        "the worker reading the article",
        Duration::from_secs(60),
        async || {
            let audio = store
                .narration()
                .article_audio(article_id)
                .await
                .ok()
                .flatten()?;
            (audio.status == dateline_db::AudioStatus::Generating).then_some(())
        },
    )
    .await;
    worker
}

/// The tip form of the site on `port`: the form's `action` (with its token) and the token.
pub async fn tip_form(port: u16) -> std::io::Result<(String, String)> {
    let (status, form) = request(port, "GET", "/tips", &[], b"").await?;
    if status != 200 {
        return Err(std::io::Error::other(format!(
            "the tip form answered {status}"
        )));
    }
    let action = form
        .split("action=\"")
        .find(|rest| rest.starts_with("/tips?token="))
        .and_then(|rest| rest.split('"').next())
        .ok_or_else(|| std::io::Error::other("no tip form on the page"))?
        .replace("&amp;", "&");
    let token = action
        .trim_start_matches("/tips?token=")
        .split('&')
        .next()
        .unwrap_or_default();
    let token = percent_encoding::percent_decode_str(token)
        .decode_utf8()
        .map_err(std::io::Error::other)?
        .into_owned();
    Ok((action, token))
}

/// Sends a tip with `message` through the form at `action` (from [`tip_form`]), with a proof
/// of work `nonce` when given: the status and the page.
pub async fn send_tip(
    port: u16,
    action: &str,
    message: &str,
    nonce: Option<&str>,
) -> std::io::Result<(u16, String)> {
    const BOUNDARY: &str = "dateline-test-boundary-7d1f";
    let mut body = String::new();
    for (name, value) in [("kind", "tip"), ("message", message)] {
        body.push_str(&format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!("--{BOUNDARY}--\r\n"));
    let target = match nonce {
        Some(nonce) => format!("{action}&pow={nonce}"),
        None => action.to_owned(),
    };
    request(
        port,
        "POST",
        &target,
        &[
            ("Origin", format!("http://127.0.0.1:{port}")),
            (
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ),
        ],
        body.as_bytes(),
    )
    .await
}
