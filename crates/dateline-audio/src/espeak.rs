//! The fallback voice: the `espeak-ng` program, run as a separate process (it is GPL; Dateline is
//! MIT/Apache and links none of it). Robotic next to the neural voice but always there, so no
//! article goes without audio while the neural assets are missing.

use std::io::{Read, Write};
use std::process::{Command, Stdio};

use dateline_core::narration::{Lexicon, Pronunciation, SpokenEnglish};

use crate::{AudioError, PIPELINE_SAMPLE_RATE, SpeechEngine, lexicon_words, resample, wav};

/// The English voices espeak-ng ships that a newsroom would pick between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EspeakVoice {
    AmericanEnglish,
    BritishEnglish,
}

impl EspeakVoice {
    /// espeak-ng's name for the voice.
    pub fn code(self) -> &'static str {
        match self {
            EspeakVoice::AmericanEnglish => "en-us",
            EspeakVoice::BritishEnglish => "en-gb",
        }
    }

    /// Picks the dialect from a language tag such as `en-GB`; American English otherwise.
    pub fn for_language(tag: &str) -> Self {
        match SpokenEnglish::for_language(tag) {
            SpokenEnglish::British => EspeakVoice::BritishEnglish,
            SpokenEnglish::American => EspeakVoice::AmericanEnglish,
        }
    }
}

/// News is read a little slower than espeak-ng's default 175 words per minute.
const WORDS_PER_MINUTE: u32 = 160;

pub struct EspeakEngine {
    program: String,
    voice: EspeakVoice,
    version: String,
}

impl EspeakEngine {
    /// Finds `espeak-ng` on the PATH; an error says it is not installed.
    pub fn new(voice: EspeakVoice) -> Result<Self, AudioError> {
        Self::with_program("espeak-ng", voice)
    }

    pub fn with_program(program: &str, voice: EspeakVoice) -> Result<Self, AudioError> {
        let output = Command::new(program)
            .arg("--version")
            .stdin(Stdio::null())
            .output()
            .map_err(|e| AudioError::EngineUnavailable(format!("{program}: {e}")))?;
        if !output.status.success() {
            return Err(AudioError::EngineUnavailable(format!(
                "{program} --version exited with {}",
                output.status
            )));
        }
        // "eSpeak NG text-to-speech: 1.51  Data at: …": the version is the word after the colon.
        let text = String::from_utf8_lossy(&output.stdout);
        let version = text
            .split(':')
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or("unknown")
            .to_string();
        Ok(Self {
            program: program.to_string(),
            voice,
            version,
        })
    }

    /// The sentence as espeak-ng should read it: respellings from the lexicon in place of words.
    /// IPA entries are for voices that take phonemes; espeak-ng reads those words as written.
    pub fn respelled(sentence: &str, lexicon: &Lexicon) -> String {
        let mut out = String::with_capacity(sentence.len());
        let mut last = 0;
        for (range, word) in lexicon_words(sentence) {
            if let Some(Pronunciation::Respelling(respelling)) = lexicon.get(word) {
                out.push_str(&sentence[last..range.start]);
                // Hyphens in respellings mark syllables; espeak-ng would read them as "minus".
                out.push_str(&respelling.replace('-', ""));
                last = range.end;
            }
        }
        out.push_str(&sentence[last..]);
        // One line on stdin is one utterance; control characters have no place in it.
        out.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect()
    }
}

impl SpeechEngine for EspeakEngine {
    fn identity(&self) -> String {
        format!(
            "espeak-ng/{}/{}/{}wpm",
            self.version,
            self.voice.code(),
            WORDS_PER_MINUTE
        )
    }

    fn is_fallback(&self) -> bool {
        true
    }

    fn sample_rate(&self) -> u32 {
        PIPELINE_SAMPLE_RATE
    }

    fn speak(&self, sentence: &str, lexicon: &Lexicon) -> Result<Vec<f32>, AudioError> {
        let text = Self::respelled(sentence, lexicon);
        // Text goes in on stdin, never as an argument: a sentence starting with "-" is not a flag.
        let mut child = Command::new(&self.program)
            .args(["--stdin", "--stdout", "-v", self.voice.code()])
            .args(["-s", &WORDS_PER_MINUTE.to_string()])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| AudioError::EngineUnavailable(format!("{}: {e}", self.program)))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| AudioError::Engine("no stdin".into()))?;
        let mut stdout = child
            .stdout
            .take()
            .ok_or_else(|| AudioError::Engine("no stdout".into()))?;
        // Write and read at once: a long sentence's audio fills the pipe before espeak-ng has
        // read all its input.
        let (written, wav_bytes) = std::thread::scope(|scope| {
            let writer = scope.spawn(move || {
                stdin.write_all(text.as_bytes())?;
                stdin.write_all(b"\n")
            });
            let mut bytes = Vec::new();
            let read = stdout.read_to_end(&mut bytes).map(|_| bytes);
            let written = writer
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("writer panicked")));
            (written, read)
        });
        let output = child.wait_with_output()?;
        if !output.status.success() {
            return Err(AudioError::Engine(format!(
                "espeak-ng exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        written?;
        let pcm = wav::parse(&wav_bytes?)?;
        Ok(resample::resample(
            &pcm.samples,
            pcm.sample_rate,
            PIPELINE_SAMPLE_RATE,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn respellings_replace_whole_words_only() {
        let mut lexicon = Lexicon::new();
        lexicon.insert("Petro", Pronunciation::Respelling("PEH-troh".into()));
        lexicon.insert("Jaramillo", Pronunciation::Ipa("xaɾaˈmiʝo".into()));
        assert_eq!(
            EspeakEngine::respelled("Petro met Petrova and Jaramillo.", &lexicon),
            "PEHtroh met Petrova and Jaramillo."
        );
    }

    #[test]
    fn dialect_follows_the_language_tag() {
        assert_eq!(
            EspeakVoice::for_language("en-GB"),
            EspeakVoice::BritishEnglish
        );
        assert_eq!(
            EspeakVoice::for_language("en"),
            EspeakVoice::AmericanEnglish
        );
    }

    #[test]
    fn a_missing_program_is_reported_as_unavailable() {
        let err =
            EspeakEngine::with_program("/nonexistent/espeak-ng", EspeakVoice::AmericanEnglish)
                .err()
                .expect("missing program");
        assert!(matches!(err, AudioError::EngineUnavailable(_)));
    }
}
