//! Spoken paragraphs to one narration: synthesis sentence by sentence, a cache per paragraph, the
//! pauses between them, and the timings the player highlights sentences by.
//!
//! The cache is the caller's (object storage in the job): [`paragraph_key`] says what to look up,
//! [`narrate`] takes what was found and hands back what it had to synthesise, to be stored.

use std::collections::HashMap;

use dateline_core::narration::{Lexicon, NORMALISER_VERSION, Pronunciation, SpokenParagraph};
use sha2::{Digest, Sha256};

use crate::{AudioError, PIPELINE_SAMPLE_RATE, SpeechEngine, lexicon_words, resample};

/// Silence between sentences of one paragraph, and between paragraphs: what a newsreader leaves.
pub const SENTENCE_PAUSE_SECONDS: f32 = 0.3;
pub const PARAGRAPH_PAUSE_SECONDS: f32 = 0.75;
/// Lead-in before the first word and tail after the last, so players do not clip them.
pub const EDGE_SILENCE_SECONDS: f32 = 0.25;
/// Engines pad sentences with silence of their own; below this level a sample counts as silence.
const SILENCE_THRESHOLD: f32 = 0.01;
/// Peak level the narration is normalised to (−1 dBFS), leaving headroom for the lossy encoders.
const TARGET_PEAK: f32 = 0.89;

/// The audio of one paragraph: each sentence, trimmed of the engine's own silence.
#[derive(Debug, Clone, PartialEq)]
pub struct ParagraphAudio {
    pub sentences: Vec<Vec<f32>>,
}

const CACHE_MAGIC: &[u8; 4] = b"DLNP";
const CACHE_FORMAT: u8 = 1;

impl ParagraphAudio {
    /// A compact cache entry: a small header and 16-bit samples at the pipeline rate.
    pub fn to_bytes(&self) -> Vec<u8> {
        let total: usize = self.sentences.iter().map(Vec::len).sum();
        let mut out = Vec::with_capacity(9 + 4 * self.sentences.len() + 2 * total);
        out.extend_from_slice(CACHE_MAGIC);
        out.push(CACHE_FORMAT);
        out.extend_from_slice(&(self.sentences.len() as u32).to_le_bytes());
        for sentence in &self.sentences {
            out.extend_from_slice(&(sentence.len() as u32).to_le_bytes());
        }
        for sample in self.sentences.iter().flatten() {
            out.extend_from_slice(&crate::wav::to_i16(*sample).to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AudioError> {
        let damaged = |m: &str| AudioError::Cache(m.to_string());
        if bytes.len() < 9 || &bytes[..4] != CACHE_MAGIC || bytes[4] != CACHE_FORMAT {
            return Err(damaged("unknown header"));
        }
        let read_u32 = |at: usize| -> Result<usize, AudioError> {
            bytes
                .get(at..at + 4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
                .ok_or_else(|| damaged("truncated header"))
        };
        let count = read_u32(5)?;
        let lengths = (0..count)
            .map(|i| read_u32(9 + 4 * i))
            .collect::<Result<Vec<_>, _>>()?;
        let mut at = 9 + 4 * count;
        let mut sentences = Vec::with_capacity(count);
        for len in lengths {
            let raw = bytes
                .get(at..at + 2 * len)
                .ok_or_else(|| damaged("truncated samples"))?;
            sentences.push(
                raw.chunks_exact(2)
                    .map(|s| f32::from(i16::from_le_bytes([s[0], s[1]])) / 32767.0)
                    .collect(),
            );
            at += 2 * len;
        }
        if at != bytes.len() {
            return Err(damaged("trailing bytes"));
        }
        Ok(Self { sentences })
    }
}

/// The cache key of one paragraph: its sentences, the engine, the lexicon entries its words use
/// and the normaliser version. Anything else in the lexicon may change without re-synthesis.
pub fn paragraph_key(
    paragraph: &SpokenParagraph,
    engine_identity: &str,
    lexicon: &Lexicon,
) -> String {
    let mut hash = Sha256::new();
    hash.update(b"dateline-paragraph-v1\0");
    hash.update(NORMALISER_VERSION.to_le_bytes());
    hash.update(engine_identity.as_bytes());
    hash.update(b"\0");
    let mut used: Vec<(String, &Pronunciation)> = Vec::new();
    for sentence in &paragraph.sentences {
        hash.update(sentence.as_bytes());
        hash.update(b"\n");
        for (_, word) in lexicon_words(sentence) {
            if let Some(pronunciation) = lexicon.get(word) {
                used.push((word.to_lowercase(), pronunciation));
            }
        }
    }
    used.sort_by(|a, b| a.0.cmp(&b.0));
    used.dedup_by(|a, b| a.0 == b.0);
    for (word, pronunciation) in used {
        hash.update(b"\0");
        hash.update(word.as_bytes());
        match pronunciation {
            Pronunciation::Ipa(ipa) => {
                hash.update(b"=ipa:");
                hash.update(ipa.as_bytes());
            }
            Pronunciation::Respelling(respelling) => {
                hash.update(b"=say:");
                hash.update(respelling.as_bytes());
            }
        }
    }
    hex::encode(hash.finalize())
}

/// When one sentence is read: what the player highlights.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SentenceTiming {
    pub paragraph: usize,
    pub start: f64,
    pub end: f64,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    pub duration: f64,
    pub sentences: Vec<SentenceTiming>,
}

/// A finished narration at [`PIPELINE_SAMPLE_RATE`].
pub struct Narration {
    pub samples: Vec<f32>,
    pub timings: Timings,
    /// Paragraphs the engine spoke this time, and ones taken from the cache.
    pub synthesised: usize,
    pub reused: usize,
    /// Newly synthesised paragraphs, by key, for the caller to cache.
    pub fresh: Vec<(String, ParagraphAudio)>,
}

impl Narration {
    pub fn duration_seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(PIPELINE_SAMPLE_RATE)
    }
}

/// Narrates the paragraphs, synthesising only those whose key is not in `cached`.
pub fn narrate(
    engine: &dyn SpeechEngine,
    paragraphs: &[SpokenParagraph],
    lexicon: &Lexicon,
    cached: &HashMap<String, ParagraphAudio>,
) -> Result<Narration, AudioError> {
    let identity = engine.identity();
    let mut fresh: Vec<(String, ParagraphAudio)> = Vec::new();
    let mut synthesised = 0;
    let mut reused = 0;
    let mut audio_per_paragraph = Vec::with_capacity(paragraphs.len());
    for paragraph in paragraphs {
        let key = paragraph_key(paragraph, &identity, lexicon);
        let found = cached
            .get(&key)
            .or_else(|| fresh.iter().find(|(k, _)| *k == key).map(|(_, a)| a))
            .filter(|audio| audio.sentences.len() == paragraph.sentences.len());
        let audio = match found {
            Some(audio) => {
                reused += 1;
                audio.clone()
            }
            None => {
                synthesised += 1;
                let audio = synthesise(engine, paragraph, lexicon)?;
                fresh.push((key, audio.clone()));
                audio
            }
        };
        audio_per_paragraph.push(audio);
    }
    let (samples, timings) = join(paragraphs, &audio_per_paragraph);
    Ok(Narration {
        samples,
        timings,
        synthesised,
        reused,
        fresh,
    })
}

fn synthesise(
    engine: &dyn SpeechEngine,
    paragraph: &SpokenParagraph,
    lexicon: &Lexicon,
) -> Result<ParagraphAudio, AudioError> {
    let sentences = paragraph
        .sentences
        .iter()
        .map(|sentence| {
            let spoken = engine.speak(sentence, lexicon)?;
            let at_rate = resample::resample(&spoken, engine.sample_rate(), PIPELINE_SAMPLE_RATE);
            Ok(trim_silence(&at_rate).to_vec())
        })
        .collect::<Result<Vec<_>, AudioError>>()?;
    Ok(ParagraphAudio { sentences })
}

/// Cuts leading and trailing silence, keeping 20 ms so consonants are not clipped.
fn trim_silence(samples: &[f32]) -> &[f32] {
    let margin = PIPELINE_SAMPLE_RATE as usize / 50;
    let loud = |s: &f32| s.abs() > SILENCE_THRESHOLD;
    match (
        samples.iter().position(loud),
        samples.iter().rposition(loud),
    ) {
        (Some(first), Some(last)) => {
            &samples[first.saturating_sub(margin)..(last + 1 + margin).min(samples.len())]
        }
        _ => &[],
    }
}

fn silence(seconds: f32) -> usize {
    (seconds * PIPELINE_SAMPLE_RATE as f32).round() as usize
}

fn join(paragraphs: &[SpokenParagraph], audio: &[ParagraphAudio]) -> (Vec<f32>, Timings) {
    let rate = f64::from(PIPELINE_SAMPLE_RATE);
    let mut samples = vec![0.0; silence(EDGE_SILENCE_SECONDS)];
    let mut sentences = Vec::new();
    for (index, (paragraph, paragraph_audio)) in paragraphs.iter().zip(audio).enumerate() {
        if index > 0 {
            samples.resize(samples.len() + silence(PARAGRAPH_PAUSE_SECONDS), 0.0);
        }
        for (position, (text, spoken)) in paragraph
            .sentences
            .iter()
            .zip(&paragraph_audio.sentences)
            .enumerate()
        {
            if position > 0 {
                samples.resize(samples.len() + silence(SENTENCE_PAUSE_SECONDS), 0.0);
            }
            let start = samples.len() as f64 / rate;
            samples.extend_from_slice(spoken);
            sentences.push(SentenceTiming {
                paragraph: index,
                start,
                end: samples.len() as f64 / rate,
                text: text.clone(),
            });
        }
    }
    samples.resize(samples.len() + silence(EDGE_SILENCE_SECONDS), 0.0);
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        let gain = TARGET_PEAK / peak;
        samples.iter_mut().for_each(|s| *s *= gain);
    }
    let duration = samples.len() as f64 / rate;
    (
        samples,
        Timings {
            duration,
            sentences,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_entries_round_trip_and_damage_is_detected() {
        let audio = ParagraphAudio {
            sentences: vec![vec![0.25, -0.5], vec![], vec![1.0]],
        };
        let bytes = audio.to_bytes();
        let back = ParagraphAudio::from_bytes(&bytes).expect("round trip");
        assert_eq!(back.sentences.len(), 3);
        assert!((back.sentences[0][1] + 0.5).abs() < 1e-3);
        assert!(ParagraphAudio::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        assert!(ParagraphAudio::from_bytes(b"RIFF....").is_err());
    }

    #[test]
    fn the_key_follows_text_engine_and_only_the_lexicon_entries_used() {
        let paragraph = SpokenParagraph {
            sentences: vec!["Petro spoke.".into()],
        };
        let mut lexicon = Lexicon::new();
        let plain = paragraph_key(&paragraph, "engine-a", &lexicon);
        lexicon.insert(
            "Jaramillo",
            Pronunciation::Respelling("hah-rah-MEE-yoh".into()),
        );
        assert_eq!(
            plain,
            paragraph_key(&paragraph, "engine-a", &lexicon),
            "unused entry"
        );
        lexicon.insert("petro", Pronunciation::Respelling("PEH-troh".into()));
        let with_petro = paragraph_key(&paragraph, "engine-a", &lexicon);
        assert_ne!(plain, with_petro);
        assert_ne!(with_petro, paragraph_key(&paragraph, "engine-b", &lexicon));
        let edited = SpokenParagraph {
            sentences: vec!["Petro spoke again.".into()],
        };
        assert_ne!(with_petro, paragraph_key(&edited, "engine-a", &lexicon));
    }

    #[test]
    fn trimming_keeps_the_speech_and_a_margin() {
        let mut samples = vec![0.0; 10_000];
        samples[5_000] = 0.5;
        let trimmed = trim_silence(&samples);
        assert_eq!(trimmed.len(), 2 * 480 + 1);
        assert!(trim_silence(&[0.0; 100]).is_empty());
    }
}
