//! The readers' query language, parsed by us rather than by tantivy's `QueryParser`.
//!
//! Readers type words and "quoted phrases" and nothing else: `AND`, `title:foo`, brackets and
//! stray quotes are just text. Parsing our own tiny language from tokens means no input can fail
//! to parse, and capping characters and terms keeps a 10,000-character paste from becoming a
//! 10,000-clause query.

use tantivy::tokenizer::TextAnalyzer;

/// Characters of a query that are read; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 256;
/// Terms (words plus words inside phrases) that are read; the rest are ignored.
pub const MAX_QUERY_TERMS: usize = 16;

/// Words this short are matched exactly: a typo allowance on "Iran" would also find "Iraq".
const MIN_FUZZY_CHARS: usize = 5;

/// Lucene's English stop words (tantivy's list, which it does not export). Dropped from the
/// words a reader types, so "the war in Colombia" means "war Colombia", and so are `AND`, `OR`
/// and `NOT`; kept inside quoted phrases, where they matter.
pub(crate) const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it",
    "no", "not", "of", "on", "or", "such", "that", "the", "their", "then", "there", "these",
    "they", "this", "to", "was", "will", "with",
];

/// A term as indexed (lowercased, folded, stemmed), and whether a typo is allowed in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub term: String,
    pub fuzzy: bool,
}

/// One thing every result must contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Clause {
    Word(Word),
    /// Two or more terms, in this order, next to each other.
    Phrase(Vec<String>),
}

/// Reads what a reader typed into clauses, analysing words with the index's own analyser so the
/// terms match what was indexed. No clauses means nothing to search for.
pub(crate) fn parse(text: &str, analyzer: &mut TextAnalyzer) -> Vec<Clause> {
    let text = match text.char_indices().nth(MAX_QUERY_CHARS) {
        Some((cut, _)) => &text[..cut],
        None => text,
    };
    let segments: Vec<&str> = text.split('"').collect();
    // An odd number of quotes leaves the last one unclosed: what follows it is words.
    let unclosed = segments.len().is_multiple_of(2);
    let mut clauses = Vec::new();
    let mut budget = MAX_QUERY_TERMS;
    for (i, segment) in segments.iter().enumerate() {
        if budget == 0 {
            break;
        }
        let quoted = i % 2 == 1 && !(unclosed && i == segments.len() - 1);
        if quoted {
            let mut terms = Vec::new();
            let mut stream = analyzer.token_stream(segment);
            while let Some(token) = stream.next() {
                if terms.len() == budget {
                    break;
                }
                terms.push(token.text.clone());
            }
            budget -= terms.len();
            match terms.len() {
                0 => {}
                1 => push_unique(
                    &mut clauses,
                    Clause::Word(Word {
                        term: terms.swap_remove(0),
                        fuzzy: false,
                    }),
                ),
                _ => push_unique(&mut clauses, Clause::Phrase(terms)),
            }
        } else {
            let mut stream = analyzer.token_stream(segment);
            while let Some(token) = stream.next() {
                if budget == 0 {
                    break;
                }
                let raw = segment
                    .get(token.offset_from..token.offset_to)
                    .unwrap_or("");
                if STOP_WORDS.iter().any(|stop| raw.eq_ignore_ascii_case(stop)) {
                    continue;
                }
                // Numbers are exact ("2024" is not "2025"), and so are stems that came out short.
                let fuzzy = raw.chars().count() >= MIN_FUZZY_CHARS
                    && raw.chars().all(char::is_alphabetic)
                    && token.text.chars().count() >= MIN_FUZZY_CHARS - 1;
                budget -= 1;
                push_unique(
                    &mut clauses,
                    Clause::Word(Word {
                        term: token.text.clone(),
                        fuzzy,
                    }),
                );
            }
        }
    }
    clauses
}

fn push_unique(clauses: &mut Vec<Clause>, clause: Clause) {
    if !clauses.contains(&clause) {
        clauses.push(clause);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tantivy_index::analyzer;

    fn clauses(text: &str) -> Vec<Clause> {
        parse(text, &mut analyzer())
    }

    fn word(term: &str, fuzzy: bool) -> Clause {
        Clause::Word(Word {
            term: term.to_owned(),
            fuzzy,
        })
    }

    #[test]
    fn words_are_folded_stemmed_and_stop_words_dropped() {
        assert_eq!(
            clauses("The Elections in BOGOTÁ"),
            vec![word("elect", true), word("bogota", true)]
        );
    }

    #[test]
    fn short_words_and_numbers_are_exact() {
        assert_eq!(
            clauses("Iran 20245 oil"),
            vec![
                word("iran", false),
                word("20245", false),
                word("oil", false)
            ]
        );
    }

    #[test]
    fn quotes_make_phrases_and_a_lone_quote_is_ignored() {
        assert_eq!(
            clauses(r#""peace talks" Havana "the"#),
            vec![
                Clause::Phrase(vec!["peac".to_owned(), "talk".to_owned()]),
                word("havana", true),
            ]
        );
        assert_eq!(clauses(r#""farms""#), vec![word("farm", false)]);
    }

    #[test]
    fn operators_are_just_text() {
        assert_eq!(clauses("AND OR NOT ((("), vec![]);
        assert_eq!(
            clauses("title:foo"),
            vec![word("titl", true), word("foo", false)]
        );
        assert_eq!(clauses(""), vec![]);
        assert_eq!(clauses("\"\"\"\""), vec![]);
    }

    #[test]
    fn long_input_is_capped() {
        let text =
            "palabra ".repeat(2_000) + &(0..2_000).map(|i| format!("w{i} ")).collect::<String>();
        let parsed = clauses(&text);
        assert!(parsed.len() <= MAX_QUERY_TERMS);
        let distinct: String = (0..100).map(|i| format!("x{i} ")).collect();
        assert_eq!(clauses(&distinct).len(), MAX_QUERY_TERMS);
    }
}
