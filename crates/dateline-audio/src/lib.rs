//! Narration: turns an article's spoken paragraphs into audio a reader can play.
//!
//! A [`SpeechEngine`] speaks one sentence at a time (the espeak-ng fallback here; the neural voice
//! plugs in behind the same trait). The [`pipeline`] caches audio per paragraph so an edit only
//! re-synthesises what changed, joins sentences with natural pauses and records when each one is
//! read. [`mp3`] and [`opus`] encode the result: MP3 is the canonical file (podcast apps, every
//! browser), Ogg Opus the smaller one for browsers that take it.

pub mod espeak;
pub mod mp3;
pub mod ogg;
pub mod opus;
pub mod pipeline;
pub mod resample;
pub mod wav;

use dateline_core::narration::Lexicon;

/// The pipeline's sample rate: the neural voice's native rate, one Opus supports directly and
/// MPEG-2 Layer III encodes at 48 kb/s.
pub const PIPELINE_SAMPLE_RATE: u32 = 24_000;

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("the speech engine is not available: {0}")]
    EngineUnavailable(String),
    #[error("the speech engine failed: {0}")]
    Engine(String),
    #[error("not a WAV file we can read: {0}")]
    Wav(String),
    #[error("encoding failed: {0}")]
    Encoding(String),
    #[error("audio cache entry is damaged: {0}")]
    Cache(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// A voice that speaks one sentence at a time.
pub trait SpeechEngine: Send + Sync {
    /// Names the engine, its model and voice: part of the audio cache key, so changing any of them
    /// re-synthesises.
    fn identity(&self) -> String;
    /// The fallback voice (espeak-ng): shown as such in the newsroom and replaced when a better
    /// engine becomes available.
    fn is_fallback(&self) -> bool;
    /// The rate of the samples [`SpeechEngine::speak`] returns.
    fn sample_rate(&self) -> u32;
    /// Mono samples in [-1, 1]. The engine applies the lexicon itself: text preparation leaves
    /// words as written.
    fn speak(&self, sentence: &str, lexicon: &Lexicon) -> Result<Vec<f32>, AudioError>;
}

/// The words of a sentence as the lexicon is keyed (letters, digits, apostrophes and hyphens),
/// with their byte ranges so an engine can substitute pronunciations in place.
pub fn lexicon_words(sentence: &str) -> impl Iterator<Item = (std::ops::Range<usize>, &str)> {
    let is_word_char = |c: char| c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
    let mut rest = sentence.char_indices().peekable();
    std::iter::from_fn(move || {
        while let Some(&(_, c)) = rest.peek() {
            if is_word_char(c) {
                break;
            }
            rest.next();
        }
        let (start, _) = *rest.peek()?;
        let mut end = start;
        while let Some(&(i, c)) = rest.peek() {
            if !is_word_char(c) {
                break;
            }
            end = i + c.len_utf8();
            rest.next();
        }
        let word = sentence[start..end].trim_matches(|c| c == '\'' || c == '’' || c == '-');
        let offset = sentence[start..end].find(word).unwrap_or(0);
        Some((start + offset..start + offset + word.len(), word))
    })
    .filter(|(_, word)| !word.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_words_keeps_names_and_drops_punctuation() {
        let words: Vec<&str> = lexicon_words("“Petro’s plan,” said Jaramillo — in Bogotá.")
            .map(|(_, w)| w)
            .collect();
        assert_eq!(
            words,
            ["Petro’s", "plan", "said", "Jaramillo", "in", "Bogotá"]
        );
        let sentence = "Ask Petro.";
        let (range, word) = lexicon_words(sentence).nth(1).expect("two words");
        assert_eq!(&sentence[range], word);
    }
}
