//! What a narrator reads aloud: the spoken text of an article, split into paragraphs (the unit the
//! audio cache is keyed by) and sentences (the unit a voice synthesises and the player highlights).
//!
//! This module is the seam between text preparation (normalising news English, the newsroom's
//! pronunciation lexicon) and the audio pipeline. The pipeline only relies on the types and the
//! signatures here.

use std::collections::BTreeMap;

/// Bumped whenever the spoken text for the same article can change (normaliser rules, splitting):
/// it is part of the audio cache key, so a new version re-synthesises what it changes.
pub const NORMALISER_VERSION: u32 = 1;

/// How the newsroom wants one word said.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Pronunciation {
    /// IPA, for voices that take phonemes (the neural voice); others fall back to the word.
    Ipa(String),
    /// A respelling in plain letters ("peh-troh"), which every voice can read.
    Respelling(String),
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

/// Splits the article into spoken paragraphs. Images, captions, code and embeds are not read.
pub fn spoken_paragraphs(source: &NarrationSource<'_>) -> Vec<SpokenParagraph> {
    let mut texts: Vec<String> = vec![source.headline.to_string()];
    if let Some(standfirst) = source.standfirst.filter(|s| !s.trim().is_empty()) {
        texts.push(standfirst.to_string());
    }
    texts.extend(
        source
            .body_markdown
            .split("\n\n")
            .map(|block| block.trim())
            .filter(|block| !block.is_empty() && !block.starts_with('!') && !block.starts_with('<'))
            .map(|block| block.trim_start_matches('#').trim().to_string()),
    );
    texts
        .iter()
        .map(|text| SpokenParagraph {
            sentences: split_sentences(text),
        })
        .filter(|p| !p.sentences.is_empty())
        .collect()
}

/// Splits a paragraph into sentences.
pub fn split_sentences(text: &str) -> Vec<String> {
    let mut sentences = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        if word.ends_with(['.', '!', '?']) {
            sentences.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        sentences.push(current);
    }
    sentences
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn lexicon_is_case_insensitive() {
        let mut lexicon = Lexicon::new();
        lexicon.insert("Petro", Pronunciation::Respelling("PEH-troh".into()));
        assert!(lexicon.get("PETRO").is_some());
        assert!(lexicon.get("Petra").is_none());
    }
}
