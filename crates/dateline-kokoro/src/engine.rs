//! Kokoro as one of the narration pipeline's speech engines, beside the espeak-ng fallback.

use dateline_audio::{AudioError, SpeechEngine};
use dateline_core::narration::Lexicon;

use crate::KokoroVoice;

impl SpeechEngine for KokoroVoice {
    fn identity(&self) -> String {
        KokoroVoice::identity(self)
    }

    fn is_fallback(&self) -> bool {
        false
    }

    fn sample_rate(&self) -> u32 {
        KokoroVoice::sample_rate()
    }

    fn speak(&self, sentence: &str, lexicon: &Lexicon) -> Result<Vec<f32>, AudioError> {
        KokoroVoice::speak(self, sentence, lexicon)
            .map_err(|error| AudioError::Engine(error.to_string()))
    }
}
