//! The narrate job with the fallback voice (no neural assets): real espeak-ng, LAME and libopus,
//! files in a real media folder, on both backends.

use std::sync::Arc;

use dateline_audio::pipeline::Timings;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, ArticleInput, AudioStatus, NewEntry, Store};
use dateline_jobs::narration::{
    EngineProvider, NarrationOutcome, narrate_article, narration_worker,
};
use dateline_storage::MediaStore;

dateline_db::both_backends!(
    publishing_gets_fallback_audio_from_the_narration_worker,
    an_edit_to_one_paragraph_resynthesises_only_that_paragraph,
    live_coverage_is_read_as_its_summary_and_key_events_kept_current,
);

const BODY: &str = "The Senate delayed the vote until Thursday.\n\n\
The president called the delay regrettable.\n\n\
Markets barely moved on the news.";

async fn published(store: &Store) -> (i64, ArticleInput) {
    dateline_db::testing::published_article(store, BODY).await
}

/// Saves `input` over article `id`'s current version.
async fn save(store: &Store, id: i64, input: &ArticleInput, editor: &Actor) {
    let version = store
        .articles()
        .by_id(id)
        .await
        .expect("reads")
        .expect("article")
        .version;
    store
        .articles()
        .save(id, version, input, editor, jiff::Timestamp::now())
        .await
        .expect("saves");
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

    let audio = store
        .narration()
        .article_audio(id)
        .await
        .expect("reads")
        .expect("row");
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
    input.body = BODY.replace("regrettable", "deeply regrettable");
    save(&store, id, &input, &editor).await;
    let second = narrate_article(&store, &media, &engines, id)
        .await
        .expect("narrates");
    let NarrationOutcome::Narrated { files, run } = second else {
        panic!("expected a narration, got {second:?}");
    };
    assert_eq!((run.synthesised_paragraphs, run.reused_paragraphs), (1, 4));
    assert_ne!(files.mp3_key, first_files.mp3_key);
    assert!(files.duration_ms > first_files.duration_ms);
    let stored = store
        .narration()
        .article_audio(id)
        .await
        .expect("reads")
        .expect("row");
    assert_eq!(stored.run, run);

    // A save that leaves the spoken text alone keeps the audio.
    input.comments_open = false;
    save(&store, id, &input, &editor).await;
    let third = narrate_article(&store, &media, &engines, id)
        .await
        .expect("runs");
    assert_eq!(third, NarrationOutcome::Unchanged);
    assert_eq!(
        store
            .narration()
            .article_audio(id)
            .await
            .expect("reads")
            .expect("row")
            .playable(),
        Some(&files)
    );

    // Opted out: nothing to do, and nothing offered.
    store
        .narration()
        .set_opt_out(id, true, &editor, jiff::Timestamp::now())
        .await
        .expect("opts out");
    let skipped = narrate_article(&store, &media, &Arc::clone(&engines), id)
        .await
        .expect("runs");
    assert_eq!(skipped, NarrationOutcome::Skipped);
}

/// The sentences the stored narration of `id` reads, in order.
async fn spoken(store: &Store, media: &MediaStore, id: i64) -> Vec<String> {
    let audio = store
        .narration()
        .article_audio(id)
        .await
        .expect("reads")
        .expect("row");
    let files = audio.playable().expect("playable");
    let timings: Timings = serde_json::from_slice(
        &media
            .get(&files.timings_key)
            .await
            .expect("reads")
            .expect("timings stored"),
    )
    .expect("timings JSON");
    timings.sentences.into_iter().map(|s| s.text).collect()
}

fn entry(headline: Option<&str>, body: &str, key_event: bool) -> NewEntry {
    NewEntry {
        headline: headline.map(str::to_owned),
        body: body.to_owned(),
        image_id: None,
        embed_url: None,
        key_event,
        pinned: false,
        author_id: None,
    }
}

async fn live_coverage_is_read_as_its_summary_and_key_events_kept_current(store: TestStore) {
    let (_dir, media) = media();
    let (id, mut input) = published(&store).await;
    let worker = narration_worker(
        store.store.clone(),
        media.clone(),
        EngineProvider::fallback_only(),
        "test",
    );
    assert!(
        worker.run_once().await.expect("runs"),
        "publishing queued it"
    );
    let desk = Actor::system("live desk");
    let live = store.live();
    let now = jiff::Timestamp::now();
    live.start(id, &desk, now).await.expect("live coverage");
    let plain = live
        .post(
            id,
            &entry(None, "Reporters wait in the corridor.", false),
            &desk,
            now,
        )
        .await
        .expect("posts");
    assert!(
        !worker.run_once().await.expect("runs"),
        "an ordinary entry does not queue the narration: it is never read"
    );
    let key = live
        .post(
            id,
            &entry(
                Some("Vote set for Thursday"),
                "The leader confirmed the date.",
                true,
            ),
            &desk,
            now,
        )
        .await
        .expect("posts");
    assert!(
        worker.run_once().await.expect("runs"),
        "a key event queues it"
    );
    let sentences = spoken(&store, &media, id).await;
    assert_eq!(
        sentences[sentences.len() - 3..],
        [
            "Key events.",
            "Vote set for Thursday",
            "The leader confirmed the date."
        ]
    );
    assert_eq!(sentences[0], "Vote delayed", "the summary first");
    assert!(
        !sentences.iter().any(|s| s.contains("corridor")),
        "{sentences:?}"
    );
    let run = store
        .narration()
        .article_audio(id)
        .await
        .expect("reads")
        .expect("row")
        .run;
    assert_eq!(
        (run.synthesised_paragraphs, run.reused_paragraphs),
        (3, 5),
        "the summary's paragraphs come from the cache"
    );

    // The plain entry becomes a key event, and is read, oldest first.
    live.set_key_event(plain.id, true, &desk, now)
        .await
        .expect("marks");
    assert!(worker.run_once().await.expect("runs"));
    let sentences = spoken(&store, &media, id).await;
    assert_eq!(
        sentences[sentences.len() - 4..],
        [
            "Key events.",
            "Reporters wait in the corridor.",
            "Vote set for Thursday",
            "The leader confirmed the date.",
        ]
    );

    // An edit of a key event's text, its deletion, and the summary's edit: each read again.
    live.edit(
        key.id,
        key.version,
        &dateline_db::EntryText {
            headline: Some("Vote set for Friday".into()),
            body: "The leader moved the date.".into(),
            image_id: None,
            embed_url: None,
        },
        &desk,
        now,
    )
    .await
    .expect("edits");
    assert!(worker.run_once().await.expect("runs"));
    assert!(
        spoken(&store, &media, id)
            .await
            .contains(&"Vote set for Friday".to_owned())
    );
    live.delete(key.id, &desk, now).await.expect("deletes");
    assert!(worker.run_once().await.expect("runs"));
    assert!(
        !spoken(&store, &media, id)
            .await
            .contains(&"Vote set for Friday".to_owned())
    );
    input.body = BODY.replace("Thursday", "Friday");
    save(&store, id, &input, &desk).await;
    assert!(
        worker.run_once().await.expect("runs"),
        "the summary's edit queues it"
    );
    let sentences = spoken(&store, &media, id).await;
    assert_eq!(
        sentences[1..3],
        [
            "Senators want more time.",
            "The Senate delayed the vote until Friday."
        ]
    );
    assert_eq!(
        sentences.last().map(String::as_str),
        Some("Reporters wait in the corridor.")
    );
}
