//! One Kokoro voice: the model in an ONNX Runtime session, the voice's style table, and the G2P
//! for its dialect.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use dateline_core::narration::Lexicon;
use ort::session::Session;
use ort::value::Tensor;

use crate::assets::{ENGLISH_VOICES, KokoroAssets, read_style_table};
use crate::g2p::{G2P_REVISION, Phonemizer};
use crate::{KokoroError, STYLE_ROWS, STYLE_WIDTH, SpokenEnglish, VoiceInfo, voice_info};

/// Kokoro's context is 512 tokens, two of which are the padding around the phonemes.
const MAX_PHONEME_TOKENS: usize = STYLE_ROWS;
const SAMPLE_RATE: u32 = 24_000;
/// Narration runs in a worker process of its own, niced, and uses at most one core (issue 14):
/// the others serve pages. Slower narration is the price; reading order keeps the front first.
const INTRA_OP_THREADS: usize = 1;

/// The ONNX Runtime library is loaded once per process; every session uses that one.
static RUNTIME: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

fn runtime(assets: &KokoroAssets) -> Result<ort::environment::Environment, KokoroError> {
    RUNTIME
        .get_or_init(|| {
            ort::init_from(assets.runtime())
                .map_err(|e| format!("loading {}: {e}", assets.runtime().display()))?
                .with_name("dateline-narration")
                .build()
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(KokoroError::Runtime)
}

/// A loaded voice. `Send + Sync`: share one per voice (in an `Arc`) between threads; calls to
/// [`KokoroVoice::speak`] take turns on the session, which already uses two threads itself.
pub struct KokoroVoice {
    info: VoiceInfo,
    session: Mutex<Session>,
    styles: Vec<f32>,
    vocab: HashMap<char, i64>,
    phonemizer: Phonemizer,
    identity: String,
}

impl KokoroVoice {
    /// Loads the model and the voice `voice` (`af_heart`, `bf_emma`, … see [`crate::voices`]).
    pub fn load(assets: &KokoroAssets, voice: &str) -> Result<Self, KokoroError> {
        let (id, name, voice_sha) = ENGLISH_VOICES
            .iter()
            .find(|(id, _, _)| *id == voice)
            .ok_or_else(|| KokoroError::UnknownVoice(voice.to_string()))?;
        let info =
            voice_info(id, name).ok_or_else(|| KokoroError::UnknownVoice(voice.to_string()))?;
        let styles = read_style_table(&assets.voice(id))?;
        let vocab = read_vocab(assets)?;
        let environment = runtime(assets)?;
        let runtime_error = |e: ort::Error<_>| KokoroError::Runtime(e.to_string());
        let session = Session::builder(&environment)
            .map_err(|e| KokoroError::Runtime(e.to_string()))?
            .with_intra_threads(INTRA_OP_THREADS)
            .map_err(runtime_error)?
            .with_inter_threads(1)
            .map_err(runtime_error)?
            // Spinning threads would burn the cores page serving needs between our runs.
            .with_intra_op_spinning(false)
            .map_err(runtime_error)?
            .commit_from_file(assets.model())
            .map_err(|e| KokoroError::Runtime(format!("{}: {e}", assets.model().display())))?;
        let identity = format!(
            "kokoro-82m-int8:{}/{id}:{}/{G2P_REVISION}",
            &assets.model_sha256()[..16],
            &voice_sha[..16]
        );
        Ok(Self {
            phonemizer: Phonemizer::new(info.dialect),
            info,
            session: Mutex::new(session),
            styles,
            vocab,
            identity,
        })
    }

    pub fn sample_rate() -> u32 {
        SAMPLE_RATE
    }

    /// Stable for the same model, voice and G2P: part of the audio cache key.
    pub fn identity(&self) -> String {
        self.identity.clone()
    }

    pub fn info(&self) -> &VoiceInfo {
        &self.info
    }

    pub fn dialect(&self) -> SpokenEnglish {
        self.info.dialect
    }

    /// Kokoro phonemes for one sentence, as the voice will say it (for tests and for a newsroom
    /// checking a lexicon entry).
    pub fn phonemes(&self, sentence: &str, lexicon: &Lexicon) -> Result<String, KokoroError> {
        self.phonemizer.phonemes(sentence, lexicon)
    }

    /// Speaks one sentence: mono f32 PCM at [`KokoroVoice::sample_rate`]. Looks words up in the
    /// lexicon itself. A sentence longer than the model's context is spoken in pieces cut at
    /// punctuation (else at a word), joined without a gap.
    pub fn speak(&self, sentence: &str, lexicon: &Lexicon) -> Result<Vec<f32>, KokoroError> {
        let phonemes = self.phonemes(sentence, lexicon)?;
        let tokens: Vec<(char, i64)> = phonemes
            .chars()
            .filter_map(|c| self.vocab.get(&c).map(|id| (c, *id)))
            .collect();
        let mut audio = Vec::new();
        for piece in split_tokens(&tokens, MAX_PHONEME_TOKENS) {
            if piece.iter().all(|(c, _)| *c == ' ') {
                continue;
            }
            let ids: Vec<i64> = piece.iter().map(|(_, id)| *id).collect();
            audio.extend(self.infer(&ids)?);
        }
        Ok(audio)
    }

    fn infer(&self, ids: &[i64]) -> Result<Vec<f32>, KokoroError> {
        let mut padded = Vec::with_capacity(ids.len() + 2);
        padded.push(0);
        padded.extend_from_slice(ids);
        padded.push(0);
        // The style row is picked by the phoneme count: each row was fitted for inputs that long.
        let row = ids.len().min(STYLE_ROWS - 1);
        let style = self.styles[row * STYLE_WIDTH..(row + 1) * STYLE_WIDTH].to_vec();
        let runtime_error = |e: ort::Error| KokoroError::Runtime(e.to_string());
        let input_ids =
            Tensor::from_array(([1usize, padded.len()], padded)).map_err(runtime_error)?;
        let style = Tensor::from_array(([1usize, STYLE_WIDTH], style)).map_err(runtime_error)?;
        let speed = Tensor::from_array(([1usize], vec![1.0f32])).map_err(runtime_error)?;
        let mut session = self
            .session
            .lock()
            .map_err(|_| KokoroError::Runtime("an earlier synthesis panicked".into()))?;
        let outputs = session
            .run(ort::inputs![
                "tokens" => input_ids,
                "style" => style,
                "speed" => speed,
            ])
            .map_err(runtime_error)?;
        let (_, samples) = outputs["audio"]
            .try_extract_tensor::<f32>()
            .map_err(runtime_error)?;
        Ok(samples.to_vec())
    }
}

fn read_vocab(assets: &KokoroAssets) -> Result<HashMap<char, i64>, KokoroError> {
    let path = assets.vocab();
    let text = std::fs::read_to_string(&path).map_err(|e| KokoroError::io(&path, e))?;
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| KokoroError::Install(format!("{}: {e}", path.display())))?;
    let map = json
        .get("vocab")
        .and_then(|v| v.as_object())
        .ok_or_else(|| KokoroError::Install(format!("{}: no \"vocab\" object", path.display())))?;
    let mut vocab = HashMap::new();
    for (symbol, id) in map {
        if let (Some(c), Some(id)) = (symbol.chars().next(), id.as_i64()) {
            vocab.insert(c, id);
        }
    }
    Ok(vocab)
}

/// Cuts a token sequence into pieces of at most `limit`: after the last clause punctuation that
/// fits, else after the last space, else hard at the limit.
fn split_tokens(tokens: &[(char, i64)], limit: usize) -> Vec<&[(char, i64)]> {
    let mut pieces = Vec::new();
    let mut rest = tokens;
    while rest.len() > limit {
        let window = &rest[..limit];
        let cut = window
            .iter()
            .rposition(|(c, _)| matches!(c, ',' | ';' | ':' | '.' | '!' | '?' | '—' | '…'))
            .or_else(|| window.iter().rposition(|(c, _)| *c == ' '))
            .map_or(limit, |at| at + 1);
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<(char, i64)> {
        text.chars().map(|c| (c, 1)).collect()
    }

    fn texts(pieces: Vec<&[(char, i64)]>) -> Vec<String> {
        pieces
            .iter()
            .map(|p| p.iter().map(|(c, _)| *c).collect())
            .collect()
    }

    #[test]
    fn a_voice_can_be_shared_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<KokoroVoice>();
    }

    #[test]
    fn long_phoneme_runs_are_cut_at_punctuation_then_spaces() {
        assert_eq!(
            texts(split_tokens(&tokens("ab, cd ef"), 6)),
            ["ab,", " cd ef"]
        );
        assert_eq!(
            texts(split_tokens(&tokens("abc def ghi"), 8)),
            ["abc def ", "ghi"]
        );
        assert_eq!(
            texts(split_tokens(&tokens("abcdefgh"), 3)),
            ["abc", "def", "gh"]
        );
        assert_eq!(texts(split_tokens(&tokens("short"), 510)), ["short"]);
    }
}
