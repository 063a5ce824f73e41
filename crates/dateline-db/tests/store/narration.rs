//! Narration's rows: the job queued with the change that calls for it, finished audio replacing
//! the old only when complete, opt-out, the lexicon and voices.

use dateline_core::ArticleStatus;
use dateline_core::JobKind;
use dateline_core::cache_tags;
use dateline_core::narration::Pronunciation;
use dateline_db::testing::TestStore;
use dateline_db::{Actor, AudioFiles, AudioStatus, NarrationRun, Store};
use jiff::Timestamp;
use std::time::Duration;

use crate::support::{article_input, author, section, tag_set};

dateline_db::both_backends!(
    publishing_queues_one_narration_and_edits_while_waiting_join_it,
    drafts_are_not_narrated,
    finished_audio_replaces_the_old_and_drops_the_cached_page,
    opting_out_hides_the_player_and_stops_narration,
    the_lexicon_keeps_one_entry_per_word,
    the_section_voice_overrides_the_site_voice,
    fallback_audio_can_be_queued_again_in_bulk,
    a_hurried_narration_runs_first,
    a_new_voice_reads_the_newest_first_also_what_was_waiting,
);

fn editor() -> Actor {
    Actor::system("test editor")
}

async fn narrate_jobs(store: &Store) -> Vec<serde_json::Value> {
    let mut payloads = Vec::new();
    while let Some(job) = store
        .jobs()
        .claim(
            "test",
            &[JobKind::NarrateArticle.name()],
            Duration::from_secs(60),
            Timestamp::now(),
        )
        .await
        .unwrap()
    {
        payloads.push(job.payload);
        store
            .jobs()
            .complete(job.id, jiff::Timestamp::now())
            .await
            .unwrap();
    }
    payloads
}

async fn published_article(store: &Store, slug: &str) -> i64 {
    let politics = match store.site().section_by_slug("politics").await.unwrap() {
        Some(s) => s,
        None => section(store, "politics", 1).await,
    };
    let writer = author(store, &format!("writer-{slug}")).await;
    store
        .articles()
        .create(
            &article_input(politics.id, slug, &[writer.id]),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap()
        .id
}

fn files(key: &str, fallback: bool) -> AudioFiles {
    AudioFiles {
        voice: if fallback {
            "espeak-ng/1.51/en-us"
        } else {
            "kokoro/af_heart"
        }
        .to_owned(),
        is_fallback: fallback,
        duration_ms: 61_500,
        mp3_key: format!("audio/{key}.mp3"),
        mp3_bytes: 369_000,
        opus_key: format!("audio/{key}.opus"),
        opus_bytes: 190_000,
        timings_key: format!("audio/{key}.json"),
    }
}

fn run(hash: &str) -> NarrationRun {
    NarrationRun {
        text_hash: hash.to_owned(),
        synthesised_paragraphs: 4,
        reused_paragraphs: 1,
    }
}

async fn publishing_queues_one_narration_and_edits_while_waiting_join_it(store: TestStore) {
    let id = published_article(&store, "vote-delayed").await;
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::Queued);
    assert!(audio.playable().is_none());
    let article = store.articles().by_id(id).await.unwrap().unwrap();
    let mut edit = article_input(article.section_id, "vote-delayed", &[]);
    edit.author_ids = store
        .articles()
        .article_page(id)
        .await
        .unwrap()
        .unwrap()
        .authors
        .iter()
        .map(|a| a.id)
        .collect();
    edit.body = "An edited body.".to_owned();
    store
        .articles()
        .save(
            id,
            article.version,
            &edit,
            &editor(),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    let jobs = narrate_jobs(&store).await;
    assert_eq!(jobs, vec![serde_json::json!({ "article_id": id })]);
    // Once that job has started, the next edit queues the next narration.
    let article = store.articles().by_id(id).await.unwrap().unwrap();
    edit.body = "Edited again.".to_owned();
    store
        .articles()
        .save(
            id,
            article.version,
            &edit,
            &editor(),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(narrate_jobs(&store).await.len(), 1);
}

async fn drafts_are_not_narrated(store: TestStore) {
    let politics = section(&store, "politics", 1).await;
    let writer = author(&store, "writer").await;
    let mut input = article_input(politics.id, "draft", &[writer.id]);
    input.status = ArticleStatus::Draft;
    let id = store
        .articles()
        .create(&input, jiff::Timestamp::now())
        .await
        .unwrap()
        .id;
    assert!(store.narration().article_audio(id).await.unwrap().is_none());
    assert!(
        !store
            .narration()
            .queue(id, &editor(), Timestamp::now())
            .await
            .unwrap()
    );
    assert!(narrate_jobs(&store).await.is_empty());
    store
        .articles()
        .transition(id, ArticleStatus::Published, &editor(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(narrate_jobs(&store).await.len(), 1);
}

async fn finished_audio_replaces_the_old_and_drops_the_cached_page(store: TestStore) {
    let id = published_article(&store, "vote-delayed").await;
    assert!(
        !store
            .narration()
            .queue(id, &editor(), Timestamp::now())
            .await
            .unwrap(),
        "already waiting"
    );
    narrate_jobs(&store).await;
    store
        .narration()
        .start(id, jiff::Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store
            .narration()
            .article_audio(id)
            .await
            .unwrap()
            .unwrap()
            .status,
        AudioStatus::Generating
    );
    let before = store.changes().latest_id().await.unwrap();
    store
        .narration()
        .finish(id, &files("a1", true), &run("h1"), jiff::Timestamp::now())
        .await
        .unwrap();
    let changes = store.changes().since(before, 10).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert!(tag_set(&changes[0]).contains(&cache_tags::article(id)));
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::Fallback);
    assert_eq!(audio.playable(), Some(&files("a1", true)));
    assert_eq!(audio.run, run("h1"));

    // A new narration that fails keeps the old audio playing and says why.
    assert!(
        store
            .narration()
            .queue(id, &editor(), Timestamp::now())
            .await
            .unwrap()
    );
    store
        .narration()
        .fail(id, "espeak-ng exited with 1", jiff::Timestamp::now())
        .await
        .unwrap();
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::Failed);
    assert_eq!(audio.reason.as_deref(), Some("espeak-ng exited with 1"));
    assert_eq!(audio.playable(), Some(&files("a1", true)));

    store
        .narration()
        .finish(id, &files("a2", false), &run("h2"), jiff::Timestamp::now())
        .await
        .unwrap();
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::Ready);
    assert_eq!(audio.reason, None);
    assert_eq!(audio.playable().unwrap().mp3_key, "audio/a2.mp3");
    let listed = store
        .narration()
        .article_audio_for(&[id, id + 1000])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].article_id, id);
}

async fn opting_out_hides_the_player_and_stops_narration(store: TestStore) {
    let id = published_article(&store, "vote-delayed").await;
    narrate_jobs(&store).await;
    store
        .narration()
        .finish(id, &files("a1", false), &run("h1"), jiff::Timestamp::now())
        .await
        .unwrap();
    store
        .narration()
        .set_opt_out(id, true, &editor(), Timestamp::now())
        .await
        .unwrap();
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::OptedOut);
    assert!(audio.playable().is_none());
    assert!(
        !store
            .narration()
            .queue(id, &editor(), Timestamp::now())
            .await
            .unwrap()
    );
    assert!(
        store
            .narration()
            .article(id)
            .await
            .unwrap()
            .unwrap()
            .opted_out
    );
    let audit = store.audit().for_subject("article", id).await.unwrap();
    assert!(audit.iter().any(|e| e.action == "article.audio_opt_out"));

    store
        .narration()
        .set_opt_out(id, false, &editor(), Timestamp::now())
        .await
        .unwrap();
    let audio = store.narration().article_audio(id).await.unwrap().unwrap();
    assert_eq!(audio.status, AudioStatus::Queued);
    assert!(audio.playable().is_some());
    assert_eq!(narrate_jobs(&store).await.len(), 1);
    assert!(
        store
            .narration()
            .set_opt_out(id + 1000, true, &editor(), Timestamp::now())
            .await
            .is_err()
    );
}

async fn the_lexicon_keeps_one_entry_per_word(store: TestStore) {
    let say = |t: &str| Pronunciation::Respelling(t.to_owned());
    store
        .narration()
        .save_pronunciation("Petro", &say("PEE-troh"), &editor(), Timestamp::now())
        .await
        .unwrap();
    store
        .narration()
        .save_pronunciation("petro", &say("PEH-troh"), &editor(), Timestamp::now())
        .await
        .unwrap();
    store
        .narration()
        .save_pronunciation(
            "Jaramillo",
            &Pronunciation::Ipa("/xaɾaˈmiʝo/".into()),
            &editor(),
            Timestamp::now(),
        )
        .await
        .unwrap();
    let entries = store.narration().pronunciations().await.unwrap();
    assert_eq!(
        entries,
        vec![
            (
                "jaramillo".to_owned(),
                Pronunciation::Ipa("xaɾaˈmiʝo".into())
            ),
            ("petro".to_owned(), say("PEH-troh")),
        ]
    );
    let lexicon = store.narration().lexicon().await.unwrap();
    assert_eq!(lexicon.get("PETRO"), Some(&say("PEH-troh")));
    store
        .narration()
        .delete_pronunciation("Petro", &editor(), Timestamp::now())
        .await
        .unwrap();
    assert!(
        store
            .narration()
            .delete_pronunciation("Petro", &editor(), Timestamp::now())
            .await
            .is_err()
    );
    assert_eq!(store.narration().pronunciations().await.unwrap().len(), 1);
}

async fn the_section_voice_overrides_the_site_voice(store: TestStore) {
    let id = published_article(&store, "vote-delayed").await;
    assert_eq!(store.narration().site_voice().await.unwrap(), "en-us");
    assert_eq!(
        store.narration().article(id).await.unwrap().unwrap().voice,
        "en-us"
    );
    store
        .narration()
        .set_site_voice("en-gb", &editor(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store.narration().article(id).await.unwrap().unwrap().voice,
        "en-gb"
    );
    let section_id = store
        .articles()
        .by_id(id)
        .await
        .unwrap()
        .unwrap()
        .section_id;
    store
        .narration()
        .set_section_voice(section_id, Some("en-us"), &editor(), Timestamp::now())
        .await
        .unwrap();
    let article = store.narration().article(id).await.unwrap().unwrap();
    assert_eq!(article.voice, "en-us");
    assert!(article.published);
    assert_eq!(article.headline, "Headline of vote-delayed");
    store
        .narration()
        .set_section_voice(section_id, None, &editor(), Timestamp::now())
        .await
        .unwrap();
    assert_eq!(
        store.narration().article(id).await.unwrap().unwrap().voice,
        "en-gb"
    );
}

async fn fallback_audio_can_be_queued_again_in_bulk(store: TestStore) {
    let fallback = published_article(&store, "fallback").await;
    let neural = published_article(&store, "neural").await;
    narrate_jobs(&store).await;
    store
        .narration()
        .finish(
            fallback,
            &files("f", true),
            &run("h"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    store
        .narration()
        .finish(
            neural,
            &files("n", false),
            &run("h"),
            jiff::Timestamp::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .narration()
            .queue_all(true, jiff::Timestamp::now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        narrate_jobs(&store).await,
        vec![serde_json::json!({ "article_id": fallback })]
    );
    assert_eq!(
        store
            .narration()
            .queue_all(false, jiff::Timestamp::now())
            .await
            .unwrap(),
        2
    );
    let progress = store.narration().progress().await.unwrap();
    assert_eq!(progress, vec![("queued".to_owned(), 2)]);
}

async fn a_hurried_narration_runs_first(store: TestStore) {
    let first = published_article(&store, "first").await;
    let lead = published_article(&store, "lead").await;
    assert!(store.narration().hurry(lead).await.unwrap());
    assert_eq!(
        narrate_jobs(&store).await,
        vec![
            serde_json::json!({ "article_id": lead }),
            serde_json::json!({ "article_id": first }),
        ]
    );
    assert!(
        !store.narration().hurry(lead).await.unwrap(),
        "nothing waiting"
    );
}

async fn a_new_voice_reads_the_newest_first_also_what_was_waiting(store: TestStore) {
    // Queued on publication, oldest first, as a fresh start with the fallback voice leaves them.
    let oldest = published_article(&store, "oldest").await;
    let middle = published_article(&store, "middle").await;
    let newest = published_article(&store, "newest").await;
    assert_eq!(
        store
            .narration()
            .queue_all(false, jiff::Timestamp::now())
            .await
            .unwrap(),
        0,
        "all waiting already"
    );
    assert_eq!(
        narrate_jobs(&store).await,
        vec![
            serde_json::json!({ "article_id": newest }),
            serde_json::json!({ "article_id": middle }),
            serde_json::json!({ "article_id": oldest }),
        ]
    );
}
