//! Revisions: what an article looked like after one save, and a word-level comparison of two of
//! them that the newsroom shows as insertions and deletions.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use similar::{ChangeTag, TextDiff};

/// Every field a journalist edits, as saved. Ids point at sections, authors and images; the
/// newsroom resolves them to names when it shows a revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticleSnapshot {
    pub section_id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub dateline_place: Option<String>,
    pub hero_image_id: Option<i64>,
    /// Byline order.
    pub author_ids: Vec<i64>,
    pub tags: Vec<String>,
    pub language: String,
    pub comments_open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffOp {
    Same,
    Inserted,
    Deleted,
}

/// A run of text that is the same in both, or only in the newer (inserted) or older (deleted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffSpan {
    pub op: DiffOp,
    pub text: String,
}

/// One text field compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// `headline`, `standfirst`, `body`, …
    pub field: &'static str,
    pub label: &'static str,
    pub changed: bool,
    pub spans: Vec<DiffSpan>,
}

/// Two revisions compared: the text fields word by word, the rest by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionDiff {
    pub fields: Vec<FieldDiff>,
    /// Labels of the non-text fields that differ ("Section", "Authors", …).
    pub other_changes: Vec<&'static str>,
}

impl RevisionDiff {
    pub fn is_empty(&self) -> bool {
        self.other_changes.is_empty() && self.fields.iter().all(|f| !f.changed)
    }
}

/// A long body compared against a rewritten one must not hold a request for seconds: after this
/// the diff settles for a coarser (still correct) answer.
const DIFF_TIME_LIMIT: Duration = Duration::from_millis(250);

/// Compares `old` with `new` word by word (whitespace is kept, so the spans rebuild both texts).
pub fn diff_words(old: &str, new: &str) -> Vec<DiffSpan> {
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME_LIMIT)
        .diff_words(old, new);
    let mut spans: Vec<DiffSpan> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => DiffOp::Same,
            ChangeTag::Insert => DiffOp::Inserted,
            ChangeTag::Delete => DiffOp::Deleted,
        };
        let text = change.value();
        match spans.last_mut() {
            Some(last) if last.op == op => last.text.push_str(text),
            _ => spans.push(DiffSpan {
                op,
                text: text.to_owned(),
            }),
        }
    }
    spans
}

fn field(field: &'static str, label: &'static str, old: &str, new: &str) -> FieldDiff {
    FieldDiff {
        field,
        label,
        changed: old != new,
        spans: diff_words(old, new),
    }
}

/// Compares two revisions of one article, `old` first.
pub fn compare(old: &ArticleSnapshot, new: &ArticleSnapshot) -> RevisionDiff {
    let place = |s: &ArticleSnapshot| s.dateline_place.clone().unwrap_or_default();
    let fields = vec![
        field("headline", "Headline", &old.headline, &new.headline),
        field("standfirst", "Standfirst", &old.standfirst, &new.standfirst),
        field("body", "Body", &old.body, &new.body),
        field("dateline_place", "Dateline", &place(old), &place(new)),
        field("slug", "Slug", &old.slug, &new.slug),
        field("tags", "Tags", &old.tags.join(", "), &new.tags.join(", ")),
    ];
    let mut other_changes = Vec::new();
    for (changed, label) in [
        (old.section_id != new.section_id, "Section"),
        (old.author_ids != new.author_ids, "Authors"),
        (old.hero_image_id != new.hero_image_id, "Hero image"),
        (old.language != new.language, "Language"),
        (old.comments_open != new.comments_open, "Comments"),
    ] {
        if changed {
            other_changes.push(label);
        }
    }
    RevisionDiff {
        fields,
        other_changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuild(spans: &[DiffSpan], keep: DiffOp) -> String {
        spans
            .iter()
            .filter(|s| s.op == DiffOp::Same || s.op == keep)
            .map(|s| s.text.as_str())
            .collect()
    }

    #[test]
    fn a_changed_word_is_one_deletion_and_one_insertion() {
        let spans = diff_words(
            "The minister resigned on Monday.",
            "The minister resigned on Tuesday.",
        );
        assert_eq!(
            spans,
            vec![
                DiffSpan {
                    op: DiffOp::Same,
                    text: "The minister resigned on ".to_owned()
                },
                DiffSpan {
                    op: DiffOp::Deleted,
                    text: "Monday.".to_owned()
                },
                DiffSpan {
                    op: DiffOp::Inserted,
                    text: "Tuesday.".to_owned()
                },
            ]
        );
    }

    #[test]
    fn spans_rebuild_both_texts_exactly() {
        let old = "Petro was invited.\n\nThe visit is set for February.";
        let new = "Gustavo Petro was invited to Washington.\n\nThe visit is set for March.";
        let spans = diff_words(old, new);
        assert_eq!(rebuild(&spans, DiffOp::Deleted), old);
        assert_eq!(rebuild(&spans, DiffOp::Inserted), new);
        // Neighbouring spans never share an operation: the UI draws one mark per run.
        assert!(spans.windows(2).all(|pair| pair[0].op != pair[1].op));
    }

    #[test]
    fn identical_texts_have_no_changes() {
        assert_eq!(
            diff_words("same words", "same words"),
            vec![DiffSpan {
                op: DiffOp::Same,
                text: "same words".to_owned()
            }]
        );
        assert!(diff_words("", "").is_empty());
    }

    #[test]
    fn comparing_revisions_names_every_changed_field() {
        let old = ArticleSnapshot {
            section_id: 1,
            slug: "petro".to_owned(),
            headline: "Petro invited".to_owned(),
            standfirst: "A visit.".to_owned(),
            body: "Body.".to_owned(),
            dateline_place: Some("Bogotá".to_owned()),
            hero_image_id: None,
            author_ids: vec![1, 2],
            tags: vec!["Colombia".to_owned()],
            language: "en".to_owned(),
            comments_open: true,
        };
        assert!(compare(&old, &old).is_empty());
        let new = ArticleSnapshot {
            headline: "Petro invited to the White House".to_owned(),
            author_ids: vec![2, 1],
            comments_open: false,
            ..old.clone()
        };
        let diff = compare(&old, &new);
        assert!(!diff.is_empty());
        let changed: Vec<&str> = diff
            .fields
            .iter()
            .filter(|f| f.changed)
            .map(|f| f.field)
            .collect();
        assert_eq!(changed, vec!["headline"]);
        assert_eq!(diff.other_changes, vec!["Authors", "Comments"]);
    }
}
