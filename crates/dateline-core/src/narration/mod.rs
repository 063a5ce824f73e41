//! What a narrator reads aloud: the spoken text of an article, split into paragraphs (the unit the
//! audio cache is keyed by) and sentences (the unit a voice synthesises and the player highlights).
//!
//! This module is the seam between text preparation (normalising news English, the newsroom's
//! pronunciation lexicon) and the audio pipeline. The pipeline only relies on the types and the
//! signatures here.

mod normalise;
mod numbers;
mod sentences;
mod text;

use std::collections::BTreeMap;

use crate::NarrationRefusal;

pub use normalise::normalise;
pub use sentences::split_sentences;
pub use text::{NOT_FOR_AUDIO_END, NOT_FOR_AUDIO_START};

/// Bumped whenever the spoken text for the same article can change (normaliser rules, splitting):
/// it is part of the audio cache key, so a new version re-synthesises what it changes.
pub const NORMALISER_VERSION: u32 = 2;

/// Where the narration pipeline keeps each paragraph's synthesised samples in object storage. It
/// is a cache (raw PCM, several times the size of the published audio): a backup leaves it out
/// and the worker fills it again for the paragraphs it next reads.
pub const PARAGRAPH_CACHE_PREFIX: &str = "audio/paragraphs/";

/// How the newsroom wants one word said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Pronunciation {
    /// IPA, for voices that take phonemes (the neural voice); others fall back to the word.
    Ipa(String),
    /// A respelling in plain letters ("peh-troh"), which every voice can read.
    Respelling(String),
}

/// The voices a newsroom can choose: a dialect each engine maps to one of its own voices.
pub const NARRATION_VOICES: &[(&str, &str)] =
    &[("en-us", "American English"), ("en-gb", "British English")];

const WORD_CHARS: usize = 64;
const PRONUNCIATION_CHARS: usize = 100;

/// Whether `voice` is one of [`NARRATION_VOICES`].
pub fn check_voice(voice: &str) -> Result<(), NarrationRefusal> {
    if NARRATION_VOICES.iter().any(|(code, _)| *code == voice) {
        Ok(())
    } else {
        Err(NarrationRefusal::VoiceUnknown {
            voice: voice.to_owned(),
        })
    }
}

/// A lexicon entry: one word of letters, apostrophes or hyphens, said as a respelling of letters
/// or as IPA. Everything wrong is reported, the word's problem first.
pub fn check_pronunciation(word: &str, pronunciation: &Pronunciation) -> Vec<NarrationRefusal> {
    let mut refused = Vec::new();
    let word = word.trim();
    if word.is_empty() || word.chars().count() > WORD_CHARS {
        refused.push(NarrationRefusal::WordLength { max: WORD_CHARS });
    } else if !word
        .chars()
        .all(|c| c.is_alphabetic() || c == '\'' || c == '’' || c == '-')
    {
        refused.push(NarrationRefusal::WordNotOne);
    }
    match pronunciation {
        Pronunciation::Respelling(text) => {
            let text = text.trim();
            if text.is_empty() || text.chars().count() > PRONUNCIATION_CHARS {
                refused.push(NarrationRefusal::RespellingLength {
                    max: PRONUNCIATION_CHARS,
                });
            } else if !text
                .chars()
                .all(|c| c.is_alphabetic() || matches!(c, '-' | ' ' | '\''))
            {
                refused.push(NarrationRefusal::RespellingLetters);
            }
        }
        Pronunciation::Ipa(text) => {
            let text = text.trim().trim_matches('/');
            if text.is_empty() || text.chars().count() > PRONUNCIATION_CHARS {
                refused.push(NarrationRefusal::IpaLength {
                    max: PRONUNCIATION_CHARS,
                });
            } else if !text.chars().all(|c| c.is_alphabetic() || ipa_mark(c)) {
                refused.push(NarrationRefusal::IpaLetters);
            }
        }
    }
    refused
}

/// IPA letters are Latin, Greek or IPA-extension letters plus stress, length and tie marks;
/// digits and punctuation mean something else was pasted.
fn ipa_mark(c: char) -> bool {
    matches!(
        c,
        'ˈ' | 'ˌ' | 'ː' | 'ˑ' | '.' | ' ' | '‿' | '͡' | '̃' | '̩' | '̯' | 'ʰ' | 'ʲ' | 'ʷ'
    )
}

/// The newsroom's pronunciation lexicon: word (case-insensitive) to pronunciation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lexicon {
    entries: BTreeMap<String, Pronunciation>,
}

impl Lexicon {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn insert(&mut self, word: &str, pronunciation: Pronunciation) {
        self.entries.insert(word.to_lowercase(), pronunciation);
    }

    pub fn get(&self, word: &str) -> Option<&Pronunciation> {
        self.entries.get(&word.to_lowercase())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Pronunciation)> {
        self.entries.iter().map(|(w, p)| (w.as_str(), p))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One paragraph of spoken text: the cache unit. `sentences` are normalised and ready to speak.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpokenParagraph {
    pub sentences: Vec<String>,
}

/// The article as it is read aloud: headline, standfirst, then the body's paragraphs.
pub struct NarrationSource<'a> {
    pub headline: &'a str,
    pub standfirst: Option<&'a str>,
    pub body_markdown: &'a str,
}

/// The reading conventions of the narrator: British English says "per cent", "one hundred and
/// five" and "four pounds fifty"; American English "percent", "one hundred five" and "four dollars
/// and fifty cents". Match it to the voice's accent.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum SpokenEnglish {
    #[default]
    American,
    British,
}

impl SpokenEnglish {
    /// The dialect of a language tag (`en-GB`) or a newsroom voice (`en-gb`); American otherwise.
    pub fn for_language(tag: &str) -> Self {
        let tag = tag.to_ascii_lowercase();
        if tag.starts_with("en-gb") || tag.starts_with("en-uk") {
            SpokenEnglish::British
        } else {
            SpokenEnglish::American
        }
    }
}

/// A spoken sentence longer than this many characters is cut at semicolons or commas (else
/// dashes, else spaces). Kokoro takes at most 510 phoneme tokens at once (English runs about one
/// phoneme per character), but its memory grows with what it speaks in one go: measured with
/// bench/narration.sh, a 300-character sentence peaks the worker at 740 MB, 185 characters at
/// 565 MB, 150 at 490 MB. The cut keeps the worker under the 600 MB the issue allows; news
/// sentences that long read naturally in two breaths anyway.
pub const MAX_SPOKEN_SENTENCE_CHARS: usize = 160;

/// The article's spoken paragraphs in American English (see [`spoken_paragraphs_in`]).
pub fn spoken_paragraphs(source: &NarrationSource<'_>) -> Vec<SpokenParagraph> {
    spoken_paragraphs_in(source, SpokenEnglish::American)
}

/// Splits the article into spoken paragraphs of normalised sentences: the headline, the
/// standfirst, then the body's paragraphs, headings, quotes and list items. Pictures and their
/// captions, code blocks, tables, raw HTML and embeds, and everything between the
/// [`NOT_FOR_AUDIO_START`] and [`NOT_FOR_AUDIO_END`] markers are not read.
pub fn spoken_paragraphs_in(
    source: &NarrationSource<'_>,
    english: SpokenEnglish,
) -> Vec<SpokenParagraph> {
    spoken(source_texts(source), english)
}

/// One key event of live coverage as the narrator reads it: its headline, if it has one, then
/// its text.
pub struct KeyEventSource<'a> {
    pub headline: Option<&'a str>,
    pub body_markdown: &'a str,
}

/// What is read aloud of live coverage: the headline, standfirst and summary (the article's
/// body), then its key events, oldest first so they tell the story in order. The stream of
/// ordinary entries is never read: it changes by the minute and would never finish.
pub fn spoken_live_paragraphs_in(
    source: &NarrationSource<'_>,
    key_events: &[KeyEventSource<'_>],
    english: SpokenEnglish,
) -> Vec<SpokenParagraph> {
    let mut texts = source_texts(source);
    if !key_events.is_empty() {
        texts.push("Key events.".to_owned());
    }
    for event in key_events {
        texts.extend(event.headline.map(str::to_owned));
        texts.extend(text::spoken_blocks(event.body_markdown));
    }
    spoken(texts, english)
}

fn source_texts(source: &NarrationSource<'_>) -> Vec<String> {
    let mut texts: Vec<String> = vec![source.headline.to_string()];
    if let Some(standfirst) = source.standfirst.filter(|s| !s.trim().is_empty()) {
        texts.push(standfirst.to_string());
    }
    texts.extend(text::spoken_blocks(source.body_markdown));
    texts
}

fn spoken(texts: Vec<String>, english: SpokenEnglish) -> Vec<SpokenParagraph> {
    texts
        .iter()
        .map(|text| SpokenParagraph {
            sentences: split_sentences(text)
                .iter()
                .map(|sentence| normalise(sentence, english))
                .filter(|sentence| sentence.chars().any(char::is_alphanumeric))
                .flat_map(|sentence| sentences::split_long(&sentence, MAX_SPOKEN_SENTENCE_CHARS))
                .collect(),
        })
        .filter(|p| !p.sentences.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexicon_entries_are_checked() {
        let say = |t: &str| Pronunciation::Respelling(t.to_owned());
        let ipa = |t: &str| Pronunciation::Ipa(t.to_owned());
        assert_eq!(check_pronunciation("Petro", &say("PEH-troh")), []);
        assert_eq!(check_pronunciation("Jaramillo", &ipa("/xaɾaˈmiʝo/")), []);
        assert_eq!(check_pronunciation("O'Neill", &say("oh NEEL")), []);
        assert_eq!(
            check_pronunciation("two words", &say("x")),
            [NarrationRefusal::WordNotOne]
        );
        assert_eq!(
            check_pronunciation("", &say("  ")),
            [
                NarrationRefusal::WordLength { max: 64 },
                NarrationRefusal::RespellingLength { max: 100 }
            ]
        );
        assert_eq!(
            check_pronunciation("Petro", &say("PEH-troh <script>")),
            [NarrationRefusal::RespellingLetters]
        );
        assert_eq!(
            check_pronunciation("Petro", &ipa("pe1tro")),
            [NarrationRefusal::IpaLetters]
        );
        assert!(check_voice("en-gb").is_ok());
        assert!(check_voice("klingon").is_err());
    }

    #[test]
    fn live_coverage_reads_its_summary_and_key_events_only() {
        let source = NarrationSource {
            headline: "Reactions to the invitation",
            standfirst: Some("Leaders respond."),
            body_markdown: "Petro accepted the call.",
        };
        let events = [
            KeyEventSource {
                headline: Some("Bogotá welcomes the call"),
                body_markdown: "The foreign ministry said it was ready.\n\n![A photo](x.jpg)",
            },
            KeyEventSource {
                headline: None,
                body_markdown: "Caracas objects to the meeting.",
            },
        ];
        let sentences: Vec<String> =
            spoken_live_paragraphs_in(&source, &events, SpokenEnglish::American)
                .into_iter()
                .flat_map(|p| p.sentences)
                .collect();
        assert_eq!(
            sentences,
            vec![
                "Reactions to the invitation",
                "Leaders respond.",
                "Petro accepted the call.",
                "Key events.",
                "Bogotá welcomes the call",
                "The foreign ministry said it was ready.",
                "Caracas objects to the meeting.",
            ],
            "the pictures are not read"
        );
        let none = spoken_live_paragraphs_in(&source, &[], SpokenEnglish::American);
        assert_eq!(none.len(), 3, "no key events: no key events heading");
    }

    #[test]
    fn headline_and_standfirst_come_first_and_images_are_not_read() {
        let source = NarrationSource {
            headline: "Vote delayed",
            standfirst: Some("The count goes on."),
            body_markdown: "First point. Second point.\n\n![A chart](x.png)\n\nLast one.",
        };
        let paragraphs = spoken_paragraphs(&source);
        let sentences: Vec<Vec<&str>> = paragraphs
            .iter()
            .map(|p| p.sentences.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            sentences,
            vec![
                vec!["Vote delayed"],
                vec!["The count goes on."],
                vec!["First point.", "Second point."],
                vec!["Last one."],
            ]
        );
    }

    #[test]
    fn sentences_are_spoken_words_and_long_ones_are_cut_at_commas() {
        let source = NarrationSource {
            headline: "Colombia gets $4.5 billion",
            standfirst: None,
            body_markdown: "Mauricio Jaramillo, Colombia’s deputy foreign minister, warned the U.S. \
                            strike on Venezuela could ripple into a “catastrophe” for the whole of \
                            Latin America, a reminder of how quickly bilateral disputes can become \
                            regional crises when they touch on sovereignty, drug trafficking and \
                            ideological divides. Turnout was 62%.\n\n<!-- audio:off -->\n\nSee also: \
                            our live blog.\n\n<!-- audio:on -->",
        };
        let british = spoken_paragraphs_in(&source, SpokenEnglish::British);
        assert_eq!(
            british[0].sentences,
            vec!["Colombia gets four point five billion dollars"]
        );
        let body = &british[1].sentences;
        assert!(body.len() >= 3, "{body:?}");
        assert!(
            body.iter().all(|s| s.len() <= MAX_SPOKEN_SENTENCE_CHARS),
            "{body:?}"
        );
        assert!(body[0].starts_with("Mauricio Jaramillo, Colombia’s deputy foreign minister,"));
        assert!(body.iter().any(|s| s.contains("the U S strike")));
        assert_eq!(
            body.last().map(String::as_str),
            Some("Turnout was sixty-two per cent.")
        );
        assert_eq!(british.len(), 2, "the not-for-audio block is not read");
        let american = spoken_paragraphs(&source);
        assert_eq!(
            american[1].sentences.last().map(String::as_str),
            Some("Turnout was sixty-two percent.")
        );
    }

    #[test]
    fn lexicon_is_case_insensitive() {
        let mut lexicon = Lexicon::new();
        lexicon.insert("Petro", Pronunciation::Respelling("PEH-troh".into()));
        assert!(lexicon.get("PETRO").is_some());
        assert!(lexicon.get("Petra").is_none());
    }
}
