//! Narration runs in a process of its own (issue 14): `serve` starts `dateline worker` as a
//! child; killing that child with SIGKILL in the middle of an article leaves the site serving,
//! a new worker takes over, the article's job is given back at once and run to completion, and
//! the page shows one narration.

use std::time::Duration;

use dateline_db::{AudioStatus, Store};
use support::{Site, children, long_story, request, until, worker_reading};

mod support;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_narration_worker_leaves_the_site_serving_and_the_article_is_narrated_once() {
    let database = tempfile::tempdir().expect("a folder for the database");
    let url = format!(
        "sqlite://{}",
        database.path().join("dateline.sqlite").display()
    );
    let store = Store::open(&url).await.expect("the site's store");
    let article_id = long_story(&store).await;

    let mut site = Site::new(url);
    site.start("serve.log").await;
    let serve = site.server.as_ref().expect("serving").id();
    let first = worker_reading(&site, &store, article_id).await;
    let killed = std::process::Command::new("kill")
        .args(["-9", &first.to_string()])
        .status()
        .expect("kill");
    assert!(killed.success(), "the worker was killed mid-article");

    let (status, _) = request(site.port, "GET", "/healthz", &[], b"")
        .await
        .expect("the site answers");
    assert_eq!(status, 200, "the site keeps serving without its worker");
    let (status, _) = request(site.port, "GET", "/politics/vote-delayed", &[], b"")
        .await
        .expect("the article answers");
    assert_eq!(status, 200);

    let second = until(
        "a new narration worker",
        Duration::from_secs(60),
        async || children(serve).into_iter().find(|&pid| pid != first),
    )
    .await;
    assert_ne!(second, first);
    let audio = until(
        "the article narrated",
        Duration::from_secs(240),
        async || {
            let audio = store
                .narration()
                .article_audio(article_id)
                .await
                .ok()
                .flatten()?;
            matches!(audio.status, AudioStatus::Ready | AudioStatus::Fallback).then_some(audio)
        },
    )
    .await;
    assert!(audio.files.is_some(), "the narration has its audio files");
    // The serving node's own worker may be in the middle of a job of its own (a search sync, the
    // tips sweep), and the new narration worker records the job done just after the audio: so
    // wait for the queue to settle. A job left held by the dead worker would stay held for its
    // whole five-minute lease.
    until(
        "no job left held by the dead worker",
        Duration::from_secs(30),
        async || {
            let jobs = store.jobs().counts().await.ok()?;
            (!jobs
                .iter()
                .any(|(state, count)| state == "running" && *count > 0))
            .then_some(())
        },
    )
    .await;

    let page = until(
        "the page with its player",
        Duration::from_secs(30),
        async || {
            let (_, page) = request(site.port, "GET", "/politics/vote-delayed", &[], b"")
                .await
                .ok()?;
            page.contains(r#"<audio class="listen-audio""#)
                .then_some(page)
        },
    )
    .await;
    assert_eq!(
        page.matches("<audio").count(),
        1,
        "one narration on the page"
    );
    site.stop();
    let log = site.log();
    assert!(
        log.contains("gave the narration worker's jobs back"),
        "the dead worker's job was given back at once, not after its lease:\n{log}"
    );
    until(
        "the worker gone with serve",
        Duration::from_secs(15),
        async || (!std::path::Path::new(&format!("/proc/{second}")).exists()).then_some(()),
    )
    .await;
    store.close().await;
}
