//! The `narrate` job: an article's spoken text to MP3, Ogg Opus and sentence timings in object
//! storage, re-synthesising only the paragraphs that changed.
//!
//! Synthesis and encoding run on one thread of their own at the lowest CPU priority (nice 19,
//! inherited by the espeak-ng and lame processes it starts), so page serving always comes first.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use dateline_audio::espeak::{EspeakEngine, EspeakVoice};
use dateline_audio::pipeline::{ParagraphAudio, Timings, narrate, paragraph_key};
use dateline_audio::{AudioError, SpeechEngine, mp3, opus};
use dateline_core::JobKind;
use dateline_core::narration::{
    KeyEventSource, Lexicon, NarrationSource, SpokenEnglish, spoken_live_paragraphs_in,
};
use dateline_db::{AudioFiles, NarrationArticle, NarrationRun, Store};
use dateline_storage::MediaStore;
use jiff::Timestamp;
use sha2::{Digest, Sha256};

use crate::Worker;

/// Voices better than the fallback (the neural voice), once their assets are installed.
pub trait NeuralVoices: Send + Sync {
    /// The engine for a newsroom voice (`en-us`, `en-gb`, see `dateline_db::NARRATION_VOICES`).
    fn engine(&self, voice: &str) -> Result<Arc<dyn SpeechEngine>, AudioError>;
}

/// Chooses the engine for each job: the neural voice when it is available, else espeak-ng.
#[derive(Default)]
pub struct EngineProvider {
    neural: RwLock<Option<Arc<dyn NeuralVoices>>>,
}

impl EngineProvider {
    /// Fallback only, until [`EngineProvider::set_neural`].
    pub fn fallback_only() -> Arc<Self> {
        Arc::new(Self::default())
    }

    pub fn has_neural(&self) -> bool {
        self.neural.read().map(|n| n.is_some()).unwrap_or(false)
    }

    pub fn engine(&self, voice: &str) -> Result<Arc<dyn SpeechEngine>, AudioError> {
        let neural = self.neural.read().ok().and_then(|n| n.clone());
        if let Some(neural) = neural {
            match neural.engine(voice) {
                Ok(engine) => return Ok(engine),
                Err(error) => {
                    tracing::warn!(%error, voice, "neural voice unavailable; narrating with the fallback")
                }
            }
        }
        Ok(Arc::new(EspeakEngine::new(EspeakVoice::for_language(
            voice,
        ))?))
    }

    /// Makes the neural voice available to the next jobs, and queues every article that has
    /// fallback audio to be narrated again; returns how many were queued.
    pub async fn set_neural(
        &self,
        store: &Store,
        voices: Arc<dyn NeuralVoices>,
    ) -> anyhow::Result<usize> {
        if let Ok(mut neural) = self.neural.write() {
            *neural = Some(voices);
        }
        requeue_fallback_audio(store).await
    }
}

/// Queues the articles whose audio came from the fallback voice, when a better engine has come.
pub async fn requeue_fallback_audio(store: &Store) -> anyhow::Result<usize> {
    let queued = store.narration().queue_all(true, Timestamp::now()).await?;
    if queued > 0 {
        tracing::info!(
            articles = queued,
            "fallback narrations queued for the better voice"
        );
    }
    Ok(queued)
}

/// What one narration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NarrationOutcome {
    /// Not published, opted out or gone: nothing to narrate.
    Skipped,
    /// The spoken text, voice and lexicon are what the current audio was made from.
    Unchanged,
    Narrated {
        files: AudioFiles,
        run: NarrationRun,
    },
}

/// A worker that runs only narration: one job at a time, so at most one synthesis thread (and
/// its encoder) is busy, next to the main worker whose jobs it never delays.
/// The name the narration worker of process `name` holds its jobs under.
pub fn queue_name(name: &str) -> String {
    format!("{name}-narration")
}

pub fn narration_worker(
    store: Store,
    media: MediaStore,
    engines: Arc<EngineProvider>,
    name: &str,
) -> Worker {
    let mut worker = Worker::dedicated(store.clone(), queue_name(name));
    worker.register(JobKind::NarrateArticle, move |job| {
        let store = store.clone();
        let media = media.clone();
        let engines = Arc::clone(&engines);
        async move {
            let article_id = job.payload["article_id"]
                .as_i64()
                .ok_or_else(|| anyhow::anyhow!("narrate job without an article_id"))?;
            narrate_article(&store, &media, &engines, article_id)
                .await
                .map(|_| ())
        }
    });
    worker
}

/// Narrates one article now (the job's body; also the CLI's and tests' entry point).
pub async fn narrate_article(
    store: &Store,
    media: &MediaStore,
    engines: &EngineProvider,
    article_id: i64,
) -> anyhow::Result<NarrationOutcome> {
    let Some(article) = store.narration().article(article_id).await? else {
        return Ok(NarrationOutcome::Skipped);
    };
    if !article.published || article.opted_out {
        return Ok(NarrationOutcome::Skipped);
    }
    // Synthesis takes minutes: each step is stamped when it happens, as the newsroom shows it.
    store
        .narration()
        .start(article_id, Timestamp::now())
        .await?;
    match narrate_published(store, media, engines, &article).await {
        Ok(outcome) => Ok(outcome),
        Err(error) => {
            let reason = format!("{error:#}");
            store
                .narration()
                .fail(article_id, &reason, Timestamp::now())
                .await?;
            Err(error)
        }
    }
}

async fn narrate_published(
    store: &Store,
    media: &MediaStore,
    engines: &EngineProvider,
    article: &NarrationArticle,
) -> anyhow::Result<NarrationOutcome> {
    let engine = engines.engine(&article.voice)?;
    let lexicon = store.narration().lexicon().await?;
    // Live coverage is read as its summary and key events (a story has none): every change to
    // a key event queues this job again, an ordinary entry never does.
    let key_events = store.live().key_events(article.id).await?;
    let key_events: Vec<KeyEventSource<'_>> = key_events
        .iter()
        .map(|entry| KeyEventSource {
            headline: entry.headline.as_deref(),
            body_markdown: &entry.body,
        })
        .collect();
    let paragraphs = spoken_live_paragraphs_in(
        &NarrationSource {
            headline: &article.headline,
            standfirst: article.standfirst.as_deref(),
            body_markdown: &article.body,
        },
        &key_events,
        SpokenEnglish::for_language(&article.voice),
    );
    let identity = engine.identity();
    let keys: Vec<String> = paragraphs
        .iter()
        .map(|p| paragraph_key(p, &identity, &lexicon))
        .collect();
    let text_hash = hex::encode(Sha256::digest(keys.join("\n")));

    let current = store.narration().article_audio(article.id).await?;
    if let Some(audio) = &current
        && let Some(files) = &audio.files
        && audio.run.text_hash == text_hash
    {
        let run = NarrationRun {
            text_hash,
            synthesised_paragraphs: 0,
            reused_paragraphs: keys.len() as i64,
        };
        store
            .narration()
            .finish(article.id, files, &run, Timestamp::now())
            .await?;
        return Ok(NarrationOutcome::Unchanged);
    }

    let mut cached = HashMap::new();
    for key in &keys {
        if let Some(bytes) = media.get(&paragraph_cache_key(key)).await? {
            match ParagraphAudio::from_bytes(&bytes) {
                Ok(audio) => {
                    cached.insert(key.clone(), audio);
                }
                Err(error) => {
                    tracing::warn!(%error, key, "damaged paragraph audio; synthesising again")
                }
            }
        }
    }

    let title = article.headline.clone();
    let started = std::time::Instant::now();
    let encoded = on_idle_thread(move || {
        encode_narration(engine.as_ref(), &paragraphs, &lexicon, &cached, &title)
    })
    .await??;
    let synthesis_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);

    for (key, audio) in &encoded.fresh {
        media
            .put(&paragraph_cache_key(key), Bytes::from(audio.to_bytes()))
            .await?;
    }
    let mp3_key = content_key(&encoded.mp3, "mp3");
    let opus_key = content_key(&encoded.opus, "opus");
    let timings_json = serde_json::to_vec(&encoded.timings)?;
    let timings_key = content_key(&timings_json, "json");
    let files = AudioFiles {
        voice: encoded.identity.clone(),
        is_fallback: encoded.is_fallback,
        duration_ms: (encoded.timings.duration * 1000.0).round() as i64,
        mp3_bytes: encoded.mp3.len() as i64,
        opus_bytes: encoded.opus.len() as i64,
        mp3_key,
        opus_key,
        timings_key,
    };
    media.put(&files.mp3_key, Bytes::from(encoded.mp3)).await?;
    media
        .put(&files.opus_key, Bytes::from(encoded.opus))
        .await?;
    media
        .put(&files.timings_key, Bytes::from(timings_json))
        .await?;
    let run = NarrationRun {
        text_hash,
        synthesised_paragraphs: encoded.synthesised as i64,
        reused_paragraphs: encoded.reused as i64,
    };
    store
        .narration()
        .finish(article.id, &files, &run, Timestamp::now())
        .await?;
    // For `/metrics` (seconds narrated, real-time factor): the audio is already the reader's,
    // so a failure here only costs a sample.
    if let Err(error) = store
        .narration()
        .add_time(files.duration_ms, synthesis_ms)
        .await
    {
        tracing::warn!(%error, "could not record the narration's timing");
    }
    tracing::info!(
        article = article.id,
        seconds = encoded.timings.duration,
        synthesised = run.synthesised_paragraphs,
        reused = run.reused_paragraphs,
        voice = files.voice,
        synthesis_ms,
        "article narrated"
    );
    Ok(NarrationOutcome::Narrated { files, run })
}

struct EncodedNarration {
    identity: String,
    is_fallback: bool,
    mp3: Vec<u8>,
    opus: Vec<u8>,
    timings: Timings,
    synthesised: usize,
    reused: usize,
    fresh: Vec<(String, ParagraphAudio)>,
}

fn encode_narration(
    engine: &dyn SpeechEngine,
    paragraphs: &[dateline_core::narration::SpokenParagraph],
    lexicon: &Lexicon,
    cached: &HashMap<String, ParagraphAudio>,
    title: &str,
) -> Result<EncodedNarration, AudioError> {
    let narration = narrate(engine, paragraphs, lexicon, cached)?;
    let tags = mp3::Mp3Tags {
        title: Some(title.to_owned()),
        artist: None,
    };
    let mp3 = mp3::encode(&narration.samples, &tags)?;
    // Any serial number will do for a single-stream file; one from the title keeps files
    // reproducible, so the same narration gets the same content-addressed name.
    let serial = Sha256::digest(title.as_bytes())
        .iter()
        .take(4)
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    let opus = opus::encode(&narration.samples, &[("title", title)], serial)?;
    Ok(EncodedNarration {
        identity: engine.identity(),
        is_fallback: engine.is_fallback(),
        mp3,
        opus,
        timings: narration.timings,
        synthesised: narration.synthesised,
        reused: narration.reused,
        fresh: narration.fresh,
    })
}

/// Runs CPU-heavy work on a fresh thread at idle priority and waits for it without blocking the
/// async runtime.
async fn on_idle_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let (done, result) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("narration".to_owned())
        .spawn(move || {
            lower_this_threads_priority();
            let _ = done.send(work());
        })?;
    Ok(result.await?)
}

/// Nice 19, inherited by the espeak-ng and lame processes the thread starts. Not `SCHED_IDLE`:
/// on a machine kept busy by other work, idle threads can wait indefinitely, and "never an
/// article without audio" needs narration to progress, slowly, under any load.
fn lower_this_threads_priority() {
    use thread_priority::{ThreadPriority, set_current_thread_priority};
    if let Err(error) = set_current_thread_priority(ThreadPriority::Min) {
        tracing::warn!(?error, "could not lower the narration thread's priority");
    }
}

fn paragraph_cache_key(key: &str) -> String {
    format!(
        "{}{key}.pcm",
        dateline_core::narration::PARAGRAPH_CACHE_PREFIX
    )
}

/// Files are named by their content: a CDN and browsers may cache them forever.
fn content_key(bytes: &[u8], extension: &str) -> String {
    format!("audio/{}.{extension}", hex::encode(Sha256::digest(bytes)))
}
