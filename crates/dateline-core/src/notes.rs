//! Notes a newsroom adds to a published article when it changes what readers were told:
//! a correction (something was wrong), a clarification (something could be misread) or an
//! update (the story moved on). Shown on the page with their time and carried in JSON-LD.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::paths;
use crate::refusal::NoteRefusal;

/// The longest note accepted: a note says what changed, it is not a second article.
pub const NOTE_MAX_CHARS: usize = 2000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    Correction,
    Clarification,
    Update,
}

impl NoteKind {
    pub const ALL: [Self; 3] = [Self::Correction, Self::Clarification, Self::Update];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Correction => "correction",
            Self::Clarification => "clarification",
            Self::Update => "update",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }

    /// The label readers see in front of the note.
    pub fn label(self) -> &'static str {
        match self {
            Self::Correction => "Correction",
            Self::Clarification => "Clarification",
            Self::Update => "Update",
        }
    }
}

/// Checks a note's text before it is stored; returns it trimmed.
pub fn check_note_text(text: &str) -> Result<&str, NoteRefusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NoteRefusal::TextMissing);
    }
    if text.chars().count() > NOTE_MAX_CHARS {
        return Err(NoteRefusal::TextTooLong {
            max: NOTE_MAX_CHARS,
        });
    }
    Ok(text)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleNote {
    pub id: i64,
    pub article_id: i64,
    pub kind: NoteKind,
    /// Plain text, as the editor wrote it (escaped when shown).
    pub text: String,
    pub published_at: Timestamp,
}

/// One line of the site-wide corrections log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionEntry {
    pub note: ArticleNote,
    pub headline: String,
    pub section_slug: String,
    pub section_name: String,
    pub article_slug: String,
}

impl CorrectionEntry {
    pub fn article_path(&self) -> String {
        paths::article(&self.section_slug, &self.article_slug)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_read_as_labels() {
        for kind in NoteKind::ALL {
            assert_eq!(NoteKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(NoteKind::parse("retraction"), None);
        assert_eq!(NoteKind::Clarification.label(), "Clarification");
    }

    #[test]
    fn note_text_is_required_and_bounded() {
        assert_eq!(
            check_note_text("  Fixed the date.  "),
            Ok("Fixed the date.")
        );
        assert!(check_note_text(" \n ").is_err());
        assert!(check_note_text(&"x".repeat(NOTE_MAX_CHARS + 1)).is_err());
        assert!(check_note_text(&"é".repeat(NOTE_MAX_CHARS)).is_ok());
    }
}
