//! Brings the neural voice (Kokoro) into `serve`: the site narrates with the espeak-ng fallback
//! from the first minute, installs the neural assets in the background when they are missing,
//! and once the voice loads, narrates again everything the fallback read.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use dateline_audio::{AudioError, SpeechEngine};
use dateline_db::Store;
use dateline_jobs::narration::{EngineProvider, NeuralVoices};
use dateline_kokoro::{KokoroAssets, KokoroVoice, install_assets, installed_assets};

use crate::config::NeuralVoice;

/// `dateline narrate --archive`: queues the archive's narrations with a progress bar, then (with
/// `follow`) shows the workers reading them until none is left waiting. Stopping it with Ctrl-C
/// leaves the rest queued for the workers.
pub async fn narrate_archive(ctx: &dateline_usecases::Context, follow: bool) -> anyhow::Result<()> {
    use anyhow::Context as _;
    let style = |template: &str| {
        indicatif::ProgressStyle::with_template(template)
            .map(|style| style.progress_chars("=> "))
            .context("progress bar template")
    };
    let bar = indicatif::ProgressBar::new(0)
        .with_style(style("{spinner} queueing [{bar:40}] {pos}/{len} stories")?);
    let operator = dateline_usecases::Actor::system("command line");
    let queued = dateline_usecases::narration::queue_archive(
        ctx,
        &operator,
        |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
        jiff::Timestamp::now(),
    )
    .await?;
    let store = &ctx.store;
    bar.finish_and_clear();
    println!("Queued {} archive stories for narration.", queued.len());
    if !follow || queued.is_empty() {
        return Ok(());
    }
    let total = queued.len() as u64;
    let bar = indicatif::ProgressBar::new(total).with_style(style(
        "{spinner} narrating [{bar:40}] {pos}/{len} stories ({per_sec}, {eta} left)",
    )?);
    let kind = dateline_core::JobKind::NarrateArticle.name();
    loop {
        let depths = store.jobs().queue_depths(jiff::Timestamp::now()).await?;
        let left = depths
            .iter()
            .find(|queue| queue.kind == kind)
            .map_or(0, |queue| queue.waiting + queue.running + queue.scheduled);
        bar.set_position(total.saturating_sub(u64::try_from(left).unwrap_or(0)));
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    }
    bar.finish_and_clear();
    println!("The archive is narrated.");
    Ok(())
}

/// The Kokoro voice that reads for a newsroom voice (`dateline_db::NARRATION_VOICES`).
fn kokoro_voice_for(newsroom_voice: &str) -> &'static str {
    match dateline_core::narration::SpokenEnglish::for_language(newsroom_voice) {
        dateline_core::narration::SpokenEnglish::British => "bf_emma",
        dateline_core::narration::SpokenEnglish::American => "af_heart",
    }
}

/// The newsroom's voices spoken by Kokoro. One model is in memory at a time: a second loaded
/// voice would double the worker's memory (about 500 MB each), and sites rarely switch voices.
pub struct KokoroVoices {
    assets: KokoroAssets,
    loaded: Mutex<Option<(&'static str, Arc<KokoroVoice>)>>,
}

impl KokoroVoices {
    pub fn new(assets: KokoroAssets) -> Self {
        Self {
            assets,
            loaded: Mutex::new(None),
        }
    }
}

impl NeuralVoices for KokoroVoices {
    fn engine(&self, voice: &str) -> Result<Arc<dyn SpeechEngine>, AudioError> {
        let wanted = kokoro_voice_for(voice);
        let mut loaded = self
            .loaded
            .lock()
            .map_err(|_| AudioError::EngineUnavailable("the voice cache is poisoned".into()))?;
        if let Some((name, voice)) = loaded.as_ref()
            && *name == wanted
        {
            return Ok(Arc::clone(voice) as Arc<dyn SpeechEngine>);
        }
        // Drop the old model before loading the next, so two never sit in memory together.
        *loaded = None;
        let voice = Arc::new(
            KokoroVoice::load(&self.assets, wanted)
                .map_err(|error| AudioError::EngineUnavailable(error.to_string()))?,
        );
        *loaded = Some((wanted, Arc::clone(&voice)));
        Ok(voice)
    }
}

/// Makes the neural voice available to the narration worker, installing its assets first when
/// `setting` allows it. Runs in the background of `serve`; every failure leaves the fallback voice
/// in charge and says why in the log.
pub async fn bring_in_neural_voice(
    data_dir: PathBuf,
    store: Store,
    engines: Arc<EngineProvider>,
    setting: NeuralVoice,
) {
    if setting == NeuralVoice::Off {
        return;
    }
    let assets = match installed_assets(&data_dir) {
        Some(assets) => assets,
        None if setting == NeuralVoice::Installed => {
            tracing::info!(
                "the neural voice is not installed (dateline voices install); narrating with the fallback voice"
            );
            return;
        }
        None => {
            tracing::info!(
                "installing the neural voice in the background; narrating with the fallback voice meanwhile"
            );
            let folder = data_dir.clone();
            let installed = tokio::task::spawn_blocking(move || {
                install_assets(&folder, &mut |step| {
                    tracing::info!(step = step.step, of = step.steps, "{}", step.message)
                })
            })
            .await;
            match installed {
                Ok(Ok(assets)) => assets,
                Ok(Err(error)) => {
                    tracing::warn!(%error, "could not install the neural voice; narration stays on the fallback voice");
                    return;
                }
                Err(error) => {
                    tracing::warn!(%error, "the neural voice install stopped; narration stays on the fallback voice");
                    return;
                }
            }
        }
    };
    let voices = Arc::new(KokoroVoices::new(assets));
    // Load once before switching: a runtime that cannot load here must not take narration from
    // the fallback voice.
    let probe = Arc::clone(&voices);
    match tokio::task::spawn_blocking(move || probe.engine("en-us").map(|_| ())).await {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            tracing::warn!(%error, "the neural voice does not load; narration stays on the fallback voice");
            return;
        }
        Err(error) => {
            tracing::warn!(%error, "loading the neural voice stopped; narration stays on the fallback voice");
            return;
        }
    }
    match engines.set_neural(&store, voices).await {
        Ok(requeued) => tracing::info!(
            requeued,
            "the neural voice is ready; fallback narrations are queued for it"
        ),
        Err(error) => tracing::warn!(%error, "could not queue the fallback narrations again"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_newsroom_voice_is_read_by_a_kokoro_voice_of_its_accent() {
        assert_eq!(kokoro_voice_for("en-us"), "af_heart");
        assert_eq!(kokoro_voice_for("en-gb"), "bf_emma");
        assert_eq!(kokoro_voice_for("en"), "af_heart");
    }

    /// What `serve` does when the neural voice is installed: it takes over from the fallback
    /// voice, and the article the fallback read is narrated again, by Kokoro.
    #[tokio::test]
    async fn an_installed_neural_voice_takes_over_and_renarrates_what_the_fallback_read() {
        if dateline_kokoro::test_assets().is_none() {
            return;
        }
        let data_dir = std::env::var_os("DATELINE_TEST_VOICE_ASSETS")
            .map(PathBuf::from)
            .expect("set when test_assets() found them");
        let store = dateline_db::testing::sqlite().await;
        let media_dir = tempfile::tempdir().expect("media folder");
        let media = dateline_storage::MediaStore::local(media_dir.path()).expect("media");
        let (id, _) = dateline_db::testing::published_article(
            &store,
            "The Senate delayed the vote until Thursday.",
        )
        .await;
        let engines = EngineProvider::fallback_only();
        dateline_jobs::narration::narrate_article(&store, &media, &engines, id)
            .await
            .expect("fallback narration");
        let before = store
            .narration()
            .article_audio(id)
            .await
            .expect("audio")
            .expect("row");
        assert!(before.files.as_ref().expect("files").is_fallback);

        bring_in_neural_voice(
            data_dir,
            store.store.clone(),
            Arc::clone(&engines),
            NeuralVoice::Installed,
        )
        .await;
        assert!(engines.has_neural());
        let worker = dateline_jobs::narration::narration_worker(
            store.store.clone(),
            media.clone(),
            Arc::clone(&engines),
            "test",
        );
        assert!(
            worker.run_once().await.expect("runs"),
            "the fallback narration was queued again"
        );
        let after = store
            .narration()
            .article_audio(id)
            .await
            .expect("audio")
            .expect("row");
        let files = after.files.expect("files");
        assert!(!files.is_fallback, "now read by {}", files.voice);
        assert!(files.voice.contains("af_heart"), "{}", files.voice);
    }
}
