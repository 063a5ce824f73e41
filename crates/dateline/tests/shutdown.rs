//! A clean shutdown (issue 14): a real `dateline serve` gets SIGTERM while readers' comments are
//! still arriving, slowly, and while its narration worker is reading an article. `/readyz` (on
//! the metrics listener) turns 503 at once; every request already accepted is answered and its
//! comment stored once; the worker child is stopped and the job it held is neither lost nor left
//! held: after a restart the article is narrated, once. On SQLite and PostgreSQL.

use std::time::{Duration, Instant};

use dateline_db::{AudioStatus, Store};
use support::{
    ReaderSession, Site, free_port, long_story, readers, request, until, worker_reading,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

mod support;

/// Comments in flight when SIGTERM comes.
const SLOW_POSTS: usize = 3;
/// How long each of them pauses in the middle of its body: well inside the 10 s grace.
const PAUSE: Duration = Duration::from_secs(8);

/// Posts a comment whose body arrives in two halves [`PAUSE`] apart; `sent_half` is told once the
/// server has the head and the first half. Returns the status answered (an error: cut off).
async fn slow_comment(
    port: u16,
    article_id: i64,
    reader: &ReaderSession,
    marker: &str,
    sent_half: tokio::sync::oneshot::Sender<()>,
) -> std::io::Result<u16> {
    let body = format!("csrf={}&body={marker}+posted+during+shutdown", reader.csrf);
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await?;
    let head = format!(
        "POST /discussion/{article_id}/comments HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
         Connection: close\r\nCookie: dateline_reader={}\r\nOrigin: http://127.0.0.1:{port}\r\n\
         Accept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: {}\r\n\r\n",
        reader.token,
        body.len()
    );
    let (first, second) = body.as_bytes().split_at(body.len() / 2);
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(first).await?;
    stream.flush().await?;
    let _ = sent_half.send(());
    tokio::time::sleep(PAUSE).await;
    stream.write_all(second).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    String::from_utf8_lossy(&answer)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

async fn sigterm_finishes_what_was_accepted(database_url: String) {
    let store = Store::open(&database_url).await.expect("the site's store");
    let article_id = long_story(&store).await;
    let sessions = readers(&store, SLOW_POSTS).await;

    let mut site = Site::new(database_url);
    let metrics_port = free_port();
    site.env.push((
        "DATELINE_METRICS_LISTEN".to_owned(),
        format!("127.0.0.1:{metrics_port}"),
    ));
    site.start("first.log").await;
    let serve = site.server.as_ref().expect("serving").id();
    let worker = worker_reading(&site, &store, article_id).await;
    let (status, _) = request(metrics_port, "GET", "/readyz", &[], b"")
        .await
        .expect("readyz answers");
    assert_eq!(status, 200, "ready before the signal");

    let port = site.port;
    let mut posts = Vec::new();
    let mut halves = Vec::new();
    for (n, reader) in sessions.into_iter().enumerate() {
        let (sent_half, half_sent) = tokio::sync::oneshot::channel();
        halves.push(half_sent);
        posts.push(tokio::spawn(async move {
            let marker = format!("in-flight-{n}");
            let status = slow_comment(port, article_id, &reader, &marker, sent_half).await;
            (reader.id, marker, status)
        }));
    }
    for half in halves {
        half.await.expect("a post under way");
    }
    let signalled = std::process::Command::new("kill")
        .args(["-TERM", &serve.to_string()])
        .status()
        .expect("kill -TERM");
    assert!(signalled.success());

    // While the slow posts hold the drain open, the node says it is not ready. The drain lasts
    // as long as the posts pause; on a loaded machine the signal's handling alone once took more
    // than 2 s, so the whole pause is allowed, and a miss shows what the node said and logged.
    let deadline = Instant::now() + PAUSE;
    let mut last_answer;
    loop {
        match request(metrics_port, "GET", "/readyz", &[], b"").await {
            Ok((503, body)) if body.contains("draining") => break,
            Ok((status, body)) => last_answer = format!("{status} {body}"),
            Err(error) => last_answer = format!("no answer: {error}"),
        }
        assert!(
            Instant::now() < deadline,
            "readyz did not answer 503 while draining within {PAUSE:?}; last: {last_answer}\n{}",
            site.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut stored_markers = Vec::new();
    for post in posts {
        let (reader, marker, status) = post.await.expect("a poster ran to its end");
        let status = status.unwrap_or_else(|error| {
            panic!(
                "an accepted comment was cut off by the shutdown: {error}\n{}",
                site.log()
            )
        });
        assert_eq!(
            status, 201,
            "the comment posted during the drain is answered"
        );
        stored_markers.push((reader, marker));
    }
    let mut server = site.server.take().expect("the server");
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = server.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "serve did not stop:\n{}",
            site.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        exit.success(),
        "serve stopped cleanly: {exit}\n{}",
        site.log()
    );
    assert!(
        !std::path::Path::new(&format!("/proc/{worker}")).exists(),
        "the narration worker stopped with serve"
    );
    let jobs = store.jobs().counts().await.expect("job counts");
    assert!(
        !jobs
            .iter()
            .any(|(state, count)| state == "running" && *count > 0),
        "no job is left held after the shutdown: {jobs:?}"
    );

    // After a restart the article is narrated, and only once.
    site.start("second.log").await;
    until(
        "the article narrated after the restart",
        Duration::from_secs(240),
        async || {
            let audio = store
                .narration()
                .article_audio(article_id)
                .await
                .ok()
                .flatten()?;
            matches!(audio.status, AudioStatus::Ready | AudioStatus::Fallback).then_some(())
        },
    )
    .await;
    site.stop();
    let totals = store.narration().totals().await.expect("narration totals");
    assert_eq!(
        totals.narrations, 1,
        "the article was synthesised once, not again after the restart"
    );
    let depths = store
        .jobs()
        .queue_depths(jiff::Timestamp::now())
        .await
        .expect("queue");
    assert!(
        depths.iter().all(|q| q.running == 0),
        "nothing left held: {depths:?}"
    );
    for (reader, marker) in stored_markers {
        let export = store
            .people()
            .reader_export(reader)
            .await
            .expect("the comments");
        let stored = export
            .comments
            .iter()
            .filter(|comment| comment.body.starts_with(&marker))
            .count();
        assert_eq!(stored, 1, "comment {marker} stored once");
    }
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_sigterm_under_load_cuts_nothing_off_and_loses_no_job() {
    let folder = tempfile::tempdir().expect("a folder for the database");
    let url = format!(
        "sqlite://{}",
        folder.path().join("dateline.sqlite").display()
    );
    sigterm_finishes_what_was_accepted(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_sigterm_under_load_cuts_nothing_off_and_loses_no_job() {
    let url = dateline_db::testing::fresh_postgres_database("shutdown").await;
    sigterm_finishes_what_was_accepted(url).await;
}
