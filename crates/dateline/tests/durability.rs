//! Loses nothing (issue 12): readers post comments and tipsters send tips to a real `dateline
//! serve`, which is killed with SIGKILL in the middle of it and started again. Every comment and
//! every tip that was answered with success must then be stored exactly once, on SQLite and on
//! PostgreSQL; what was cut off mid-request may be there or not, but never twice.
//!
//! `DATELINE_DURABILITY_SECONDS` (default 6) sets how long the posting runs (the kill comes at
//! half of it) and `DATELINE_BIN` runs another binary (say, the release build):
//! `bench/durability.sh` runs this test for 30 s against the release binary.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dateline_db::Store;

use support::{ReaderSession, Site, readers, request, send_tip, tip_form};

mod support;

const READERS: usize = 12;
const TIPSTERS: usize = 2;

fn posting_time() -> Duration {
    let seconds = std::env::var("DATELINE_DURABILITY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6u64);
    Duration::from_secs(seconds.max(2))
}

/// What the posters were told: marker → how many success answers it got.
#[derive(Default)]
struct Acknowledged {
    comments: HashMap<String, u32>,
    tips: HashMap<String, u32>,
    failed_requests: u32,
}

async fn post_comments(
    port: u16,
    article_id: i64,
    reader: ReaderSession,
    until: Instant,
    seen: Arc<Mutex<Acknowledged>>,
) {
    let mut n = 0;
    while Instant::now() < until {
        let marker = format!("durable-comment-{}-{n}", reader.id);
        n += 1;
        let body = format!("csrf={}&body={marker}+kept+through+a+crash", reader.csrf);
        let answer = request(
            port,
            "POST",
            &format!("/discussion/{article_id}/comments"),
            &[
                ("Cookie", format!("dateline_reader={}", reader.token)),
                ("Origin", format!("http://127.0.0.1:{port}")),
                ("Accept", "application/json".into()),
                ("Content-Type", "application/x-www-form-urlencoded".into()),
            ],
            body.as_bytes(),
        )
        .await;
        match answer {
            Ok((201, _)) => {
                *seen
                    .lock()
                    .expect("lock")
                    .comments
                    .entry(marker)
                    .or_default() += 1;
            }
            // The reader's own limit: wait as a person would.
            Ok((429, _)) => tokio::time::sleep(Duration::from_millis(500)).await,
            Ok((status, body)) => panic!("a comment was answered {status}: {body}"),
            Err(_) => {
                seen.lock().expect("lock").failed_requests += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn send_tips(port: u16, tipster: usize, until: Instant, seen: Arc<Mutex<Acknowledged>>) {
    let mut n = 0;
    while Instant::now() < until {
        // Each tip on a fresh form: its token is good for one proof of work.
        let Ok((action, token)) = tip_form(port).await else {
            seen.lock().expect("lock").failed_requests += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
            continue;
        };
        let nonce = dateline_tips::solve_proof_of_work(&token);
        let marker = format!("durable-tip-{tipster}-{n}");
        n += 1;
        let message = format!("{marker}: the ledger was changed");
        let answer = send_tip(port, &action, &message, Some(&nonce)).await;
        match answer {
            Ok((200, page)) if page.contains("your tip was received") => {
                *seen.lock().expect("lock").tips.entry(marker).or_default() += 1;
            }
            Ok((429 | 503, _)) => tokio::time::sleep(Duration::from_millis(500)).await,
            Ok((status, page)) => panic!("a tip was answered {status}: {page}"),
            Err(_) => {
                seen.lock().expect("lock").failed_requests += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// Every file under `folder`, as text.
fn all_text(folder: &Path) -> String {
    let mut text = String::new();
    let mut pending = vec![folder.to_path_buf()];
    while let Some(path) = pending.pop() {
        if path.is_dir() {
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("folder")
                    .flatten()
                    .map(|e| e.path()),
            );
        } else {
            text.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
            text.push('\n');
        }
    }
    text
}

async fn acknowledged_writes_survive_a_kill(database_url: String) {
    let mut site = Site::new(database_url);
    let identity = site.folder.path().join("tips-identity.txt");
    site.run(&[
        "tips",
        "keygen",
        "--recovery",
        "durability",
        "--output",
        identity.to_str().expect("path"),
    ]);
    site.start("first.log").await;

    let store = Store::open(&site.database_url)
        .await
        .expect("the site's store");
    let (article_id, _) =
        dateline_db::testing::published_article(&store, "The council met.\n\nIt voted.").await;
    let sessions = readers(&store, READERS).await;
    let reader_ids: Vec<i64> = sessions.iter().map(|reader| reader.id).collect();
    store.close().await;

    let time = posting_time();
    let until = Instant::now() + time;
    let seen = Arc::new(Mutex::new(Acknowledged::default()));
    let mut posters = Vec::new();
    for reader in sessions {
        posters.push(tokio::spawn(post_comments(
            site.port,
            article_id,
            reader,
            until,
            Arc::clone(&seen),
        )));
    }
    for tipster in 0..TIPSTERS {
        posters.push(tokio::spawn(send_tips(
            site.port,
            tipster,
            until,
            Arc::clone(&seen),
        )));
    }
    tokio::time::sleep(time / 2).await;
    site.kill();
    for poster in posters {
        poster.await.expect("a poster ran to its end");
    }
    site.start("second.log").await;
    site.stop();

    let seen = std::mem::take(&mut *seen.lock().expect("lock"));
    assert!(
        !seen.comments.is_empty() && !seen.tips.is_empty(),
        "something was acknowledged before the kill: {} comments, {} tips",
        seen.comments.len(),
        seen.tips.len()
    );
    assert!(
        seen.failed_requests > 0,
        "the kill cut requests off (else it proved nothing)"
    );

    // Comments: each acknowledged one is stored exactly once.
    let store = Store::open(&site.database_url)
        .await
        .expect("the site's store");
    let mut stored: HashMap<String, u32> = HashMap::new();
    for &reader in &reader_ids {
        let export = store
            .people()
            .reader_export(reader)
            .await
            .expect("the reader's comments");
        for comment in export.comments {
            let marker = comment
                .body
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_owned();
            *stored.entry(marker).or_default() += 1;
        }
    }
    store.close().await;
    for marker in seen.comments.keys() {
        assert_eq!(stored.get(marker), Some(&1), "comment {marker}");
    }
    assert!(
        stored.values().all(|&n| n == 1),
        "no comment is stored twice"
    );

    // Tips: decrypted with the recovery identity, each acknowledged one is there once.
    let out = site.folder.path().join("exported-tips");
    site.run(&[
        "tips",
        "export",
        "--identity",
        identity.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ]);
    let exported = all_text(&out);
    for marker in seen.tips.keys() {
        assert_eq!(
            exported.matches(&format!("{marker}:")).count(),
            1,
            "tip {marker}"
        );
    }
    eprintln!(
        "durability: {} comments and {} tips acknowledged over {} s, the server killed at {} s \
         ({} requests cut off); all stored exactly once after the restart",
        seen.comments.len(),
        seen.tips.len(),
        time.as_secs(),
        time.as_secs() / 2,
        seen.failed_requests
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_loses_no_acknowledged_comment_or_tip_to_kill_9() {
    let folder = tempfile::tempdir().expect("a folder for the database");
    let url = format!(
        "sqlite://{}",
        folder.path().join("dateline.sqlite").display()
    );
    acknowledged_writes_survive_a_kill(url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_loses_no_acknowledged_comment_or_tip_to_kill_9() {
    let url = dateline_db::testing::fresh_postgres_database("durability").await;
    acknowledged_writes_survive_a_kill(url).await;
}
