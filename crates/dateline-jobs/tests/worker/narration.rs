//! The narrate job with the fallback voice (no neural assets): real espeak-ng, LAME and libopus,
//! files in a real media folder, on both backends.

use std::sync::Arc;

use dateline_audio::pipeline::Timings;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, ArticleInput, AudioStatus, Store};
use dateline_jobs::narration::{
    EngineProvider, NarrationOutcome, narrate_article, narration_worker,
};
use dateline_storage::MediaStore;

dateline_db::both_backends!(
    publishing_gets_fallback_audio_from_the_narration_worker,
    an_edit_to_one_paragraph_resynthesises_only_that_paragraph,
);

const BODY: &str = "The Senate delayed the vote until Thursday.\n\n\
The president called the delay regrettable.\n\n\
Markets barely moved on the news.";

async fn published(store: &Store) -> (i64, ArticleInput) {
    dateline_db::testing::published_article(store, BODY).await
}

fn media() -> (tempfile::TempDir, MediaStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = MediaStore::local(dir.path()).expect("media");
    (dir, media)
}

async fn publishing_gets_fallback_audio_from_the_narration_worker(store: TestStore) {
    let (_dir, media) = media();
    let (id, _) = published(&store).await;
    let worker = narration_worker(
        store.store.clone(),
        media.clone(),
        EngineProvider::fallback_only(),
        "test",
    );
    assert!(
        worker.run_once().await.expect("runs"),
        "publishing queued a narration"
    );
    assert!(!worker.run_once().await.expect("runs"), "and only one");

    let audio = store.article_audio(id).await.expect("reads").expect("row");
    assert_eq!(audio.status, AudioStatus::Fallback);
    let files = audio.playable().expect("playable").clone();
    assert!(files.is_fallback);
    assert!(files.voice.starts_with("espeak-ng/"));
    assert_eq!(
        (
            audio.run.synthesised_paragraphs,
            audio.run.reused_paragraphs
        ),
        (5, 0)
    );
    let mp3 = media
        .get(&files.mp3_key)
        .await
        .expect("reads")
        .expect("mp3 stored");
    assert_eq!(mp3.len() as i64, files.mp3_bytes);
    assert!(mp3.starts_with(b"ID3") || mp3[0] == 0xFF, "an MP3 file");
    let opus = media
        .get(&files.opus_key)
        .await
        .expect("reads")
        .expect("opus stored");
    assert_eq!(opus.len() as i64, files.opus_bytes);
    assert!(opus.starts_with(b"OggS"));
    let timings: Timings = serde_json::from_slice(
        &media
            .get(&files.timings_key)
            .await
            .expect("reads")
            .expect("timings stored"),
    )
    .expect("timings JSON");
    assert_eq!(timings.sentences.len(), 5);
    assert_eq!(timings.sentences[0].text, "Vote delayed");
    assert_eq!(
        (timings.duration * 1000.0).round() as i64,
        files.duration_ms
    );
    // 48 kb/s: the MP3's size says how long it is.
    let mp3_seconds = files.mp3_bytes as f64 / 6_000.0;
    assert!(
        (mp3_seconds - timings.duration).abs() < 1.0,
        "{mp3_seconds} vs {}",
        timings.duration
    );
    // Names follow content: the files are immutable.
    assert!(files.mp3_key.starts_with("audio/") && files.mp3_key.ends_with(".mp3"));
    assert_eq!(files.mp3_key.len(), "audio/".len() + 64 + ".mp3".len());
}

async fn an_edit_to_one_paragraph_resynthesises_only_that_paragraph(store: TestStore) {
    let (_dir, media) = media();
    let engines = EngineProvider::fallback_only();
    let (id, mut input) = published(&store).await;
    let first = narrate_article(&store, &media, &engines, id)
        .await
        .expect("narrates");
    let NarrationOutcome::Narrated {
        files: first_files,
        run,
    } = first
    else {
        panic!("expected a narration, got {first:?}");
    };
    assert_eq!((run.synthesised_paragraphs, run.reused_paragraphs), (5, 0));

    let editor = Actor::system("test editor");
    let version = store
        .article(id)
        .await
        .expect("reads")
        .expect("article")
        .version;
    input.body = BODY.replace("regrettable", "deeply regrettable");
    store
        .save_article(id, version, &input, &editor)
        .await
        .expect("saves");
    let second = narrate_article(&store, &media, &engines, id)
        .await
        .expect("narrates");
    let NarrationOutcome::Narrated { files, run } = second else {
        panic!("expected a narration, got {second:?}");
    };
    assert_eq!((run.synthesised_paragraphs, run.reused_paragraphs), (1, 4));
    assert_ne!(files.mp3_key, first_files.mp3_key);
    assert!(files.duration_ms > first_files.duration_ms);
    let stored = store.article_audio(id).await.expect("reads").expect("row");
    assert_eq!(stored.run, run);

    // A save that leaves the spoken text alone keeps the audio.
    let version = store
        .article(id)
        .await
        .expect("reads")
        .expect("article")
        .version;
    input.comments_open = false;
    store
        .save_article(id, version, &input, &editor)
        .await
        .expect("saves");
    let third = narrate_article(&store, &media, &engines, id)
        .await
        .expect("runs");
    assert_eq!(third, NarrationOutcome::Unchanged);
    assert_eq!(
        store
            .article_audio(id)
            .await
            .expect("reads")
            .expect("row")
            .playable(),
        Some(&files)
    );

    // Opted out: nothing to do, and nothing offered.
    store
        .set_narration_opt_out(id, true, &editor)
        .await
        .expect("opts out");
    let skipped = narrate_article(&store, &media, &Arc::clone(&engines), id)
        .await
        .expect("runs");
    assert_eq!(skipped, NarrationOutcome::Skipped);
}
