//! Text to Kokoro phonemes: misaki for English (POS-aware, in the dialect of the voice), the
//! `espeak-ng` command for words misaki does not know, and the newsroom's lexicon on top.

use std::collections::HashMap;
use std::process::Command;
use std::sync::Mutex;

use dateline_core::narration::{Lexicon, Pronunciation};
use misaki_rs::fallback::FallbackError;
use misaki_rs::{Fallback, G2P, Language};

use crate::{KokoroError, SpokenEnglish};

/// Part of every voice identity: bump when the phonemes for the same text can change here.
pub(crate) const G2P_REVISION: &str = "misaki-rs-0.8.0+espeak-ng-cmd+r1";

pub(crate) struct Phonemizer {
    g2p: G2P,
    dialect: SpokenEnglish,
}

impl Phonemizer {
    pub(crate) fn new(dialect: SpokenEnglish) -> Self {
        let language = match dialect {
            SpokenEnglish::American => Language::EnglishUS,
            SpokenEnglish::British => Language::EnglishGB,
        };
        let fallback = EspeakCommand {
            dialect,
            known: Mutex::new(HashMap::new()),
        };
        Self {
            g2p: G2P::with_fallback(language, Some(Box::new(fallback))),
            dialect,
        }
    }

    /// Phonemes for a sentence, with the newsroom's pronunciations for the words it names. misaki
    /// takes a phoneme override as a `[word](/phonemes/)` link, which is how lexicon entries
    /// reach it; brackets in the text itself would read as such links, so they become parentheses.
    pub(crate) fn phonemes(
        &self,
        sentence: &str,
        lexicon: &Lexicon,
    ) -> Result<String, KokoroError> {
        let text: String = sentence
            .chars()
            .map(|c| match c {
                '[' => '(',
                ']' => ')',
                other => other,
            })
            .collect();
        let text = if lexicon.is_empty() {
            text
        } else {
            self.with_lexicon(&text, lexicon)?
        };
        let (phonemes, _) = self
            .g2p
            .g2p(&text)
            .map_err(|e| KokoroError::Phonemes(format!("{sentence:?}: {e}")))?;
        Ok(phonemes)
    }

    fn with_lexicon(&self, text: &str, lexicon: &Lexicon) -> Result<String, KokoroError> {
        let mut out = String::with_capacity(text.len());
        let mut word = String::new();
        for c in text.chars().chain(std::iter::once(' ')) {
            if c.is_alphanumeric() || (matches!(c, '\'' | '’') && !word.is_empty()) {
                word.push(c);
                continue;
            }
            if !word.is_empty() {
                // "Petro's" is said as the entry for "Petro" and a z. misaki would put the
                // apostrophe's subtoken back together with the name and send the whole word to
                // espeak-ng, so the word it sees has none.
                let possessive_stem = word
                    .strip_suffix("'s")
                    .or_else(|| word.strip_suffix("’s"))
                    .filter(|_| lexicon.get(&word).is_none());
                let (entry, written, suffix) = match possessive_stem {
                    Some(stem) => (lexicon.get(stem), format!("{stem}s"), "z"),
                    None => (lexicon.get(&word), word.clone(), ""),
                };
                match entry {
                    Some(pronunciation) => {
                        let phonemes = self.pronunciation(pronunciation)?;
                        out.push_str(&format!("[{written}](/{phonemes}{suffix}/)"));
                    }
                    None => out.push_str(&word),
                }
                word.clear();
            }
            out.push(c);
        }
        out.pop();
        Ok(out)
    }

    fn pronunciation(&self, pronunciation: &Pronunciation) -> Result<String, KokoroError> {
        match pronunciation {
            Pronunciation::Ipa(ipa) => Ok(ipa_to_kokoro(ipa, self.dialect)),
            // A respelling is read as words ("peh troh"), its syllables run together; a syllable
            // in capitals carries the stress, as newsroom respellings write it.
            Pronunciation::Respelling(respelling) => {
                let mut phonemes = String::new();
                for syllable in respelling.split(['-', ' ']).filter(|s| !s.is_empty()) {
                    let stressed = syllable.chars().any(char::is_uppercase)
                        && syllable.chars().all(|c| !c.is_lowercase());
                    let (spoken, _) = self
                        .g2p
                        .g2p(&syllable.to_lowercase())
                        .map_err(|e| KokoroError::Phonemes(format!("{respelling:?}: {e}")))?;
                    let plain: String = spoken
                        .chars()
                        .filter(|c| !matches!(c, 'ˈ' | 'ˌ' | ' '))
                        .collect();
                    if stressed {
                        phonemes.push('ˈ');
                    }
                    phonemes.push_str(&plain);
                }
                Ok(phonemes)
            }
        }
    }
}

/// Words misaki does not know, through the `espeak-ng` command (run as a separate program, so
/// its GPL code is not part of ours). Names repeat in an article: answers are remembered.
struct EspeakCommand {
    dialect: SpokenEnglish,
    known: Mutex<HashMap<String, String>>,
}

impl Fallback for EspeakCommand {
    fn phonemize(&self, word: &str) -> Result<String, FallbackError> {
        if let Some(phonemes) = self
            .known
            .lock()
            .ok()
            .and_then(|known| known.get(word).cloned())
        {
            return Ok(phonemes);
        }
        let voice = match self.dialect {
            SpokenEnglish::American => "en-us",
            SpokenEnglish::British => "en-gb",
        };
        let output = Command::new("espeak-ng")
            .args(["-q", "--ipa", "-v", voice, "--"])
            .arg(word)
            .output()
            .map_err(|e| FallbackError::Espeak {
                word: word.to_string(),
                error: format!("could not run espeak-ng ({e}): apt-get install espeak-ng"),
            })?;
        if !output.status.success() {
            return Err(FallbackError::Espeak {
                word: word.to_string(),
                error: String::from_utf8_lossy(&output.stderr).trim().to_string(),
            });
        }
        let ipa = String::from_utf8_lossy(&output.stdout);
        let phonemes = ipa_to_kokoro(ipa.trim(), self.dialect);
        if phonemes.is_empty() {
            return Err(FallbackError::NoPhonemes {
                word: word.to_string(),
            });
        }
        if let Ok(mut known) = self.known.lock() {
            known.insert(word.to_string(), phonemes.clone());
        }
        Ok(phonemes)
    }
}

/// Standard IPA (espeak-ng's, or a newsroom's) in Kokoro's phoneme alphabet, which writes
/// diphthongs and affricates as single letters (A I O Q W Y ʤ ʧ) and, for American English,
/// has no length marks and an r-coloured vowel instead of ɝ/ɚ.
pub(crate) fn ipa_to_kokoro(ipa: &str, dialect: SpokenEnglish) -> String {
    let american = dialect == SpokenEnglish::American;
    let mut text: String = ipa
        .chars()
        .filter(|c| {
            !matches!(
                c,
                '/' | '[' | ']' | '.' | '\u{0329}' | '\u{032F}' | 'ʲ' | '_'
            )
        })
        .collect();
    let shared: [(&str, &str); 12] = [
        ("dʒ", "ʤ"),
        ("tʃ", "ʧ"),
        ("eɪ", "A"),
        ("aɪ", "I"),
        ("aʊ", "W"),
        ("ɔɪ", "Y"),
        ("oʊ", "O"),
        ("ɝ", "ɜɹ"),
        ("ɚ", "əɹ"),
        ("ɐ", "ə"),
        ("g", "ɡ"),
        ("r", "ɹ"),
    ];
    for (from, to) in shared {
        text = text.replace(from, to);
    }
    let dialectal: [(&str, &str); 3] = if american {
        [("əʊ", "O"), ("ɜː", "ɜɹ"), ("ː", "")]
    } else {
        [("əʊ", "Q"), ("ɜːɹ", "ɜː"), ("", "")]
    };
    for (from, to) in dialectal {
        if !from.is_empty() {
            text = text.replace(from, to);
        }
    }
    text.chars()
        .map(|c| match c {
            'x' | 'ç' => 'k',
            'ɬ' => 'l',
            'e' if american => 'ɛ',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn espeak_ipa_becomes_kokoro_letters_in_each_dialect() {
        assert_eq!(ipa_to_kokoro("pˈɛtɹoʊ", SpokenEnglish::American), "pˈɛtɹO");
        assert_eq!(ipa_to_kokoro("pˈɛtɹəʊ", SpokenEnglish::British), "pˈɛtɹQ");
        assert_eq!(
            ipa_to_kokoro("dʒˌæɹɐmˈɪloʊ", SpokenEnglish::American),
            "ʤˌæɹəmˈɪlO"
        );
        assert_eq!(
            ipa_to_kokoro("ɡʌstˈɑːvoʊ", SpokenEnglish::American),
            "ɡʌstˈɑvO"
        );
        assert_eq!(
            ipa_to_kokoro("ɡʌstˈɑːvəʊ", SpokenEnglish::British),
            "ɡʌstˈɑːvQ"
        );
        assert_eq!(
            ipa_to_kokoro("/ˈpeɪ.tʃɚ/", SpokenEnglish::American),
            "ˈpAʧəɹ"
        );
    }
}
