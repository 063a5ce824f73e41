//! Escaping and highlighting for the result page: everything from an article is text, only our
//! own `<mark>` is markup.

use std::collections::BTreeSet;

use tantivy::tokenizer::TextAnalyzer;

use crate::SearchHit;

/// Length of the body snippet on the results page.
pub(crate) const SNIPPET_CHARS: usize = 220;

pub(crate) const MARK_OPEN: &str = "<mark>";
pub(crate) const MARK_CLOSE: &str = "</mark>";

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Finds the words of a text whose analysed form is one of the searched terms.
///
/// Stemming is most of the cost of analysis, and a results page analyses the bodies of all its
/// hits: words are only folded and lowercased, and stemmed only when they start with the first
/// letter of a term (the English stemmer rewrites endings, never a first letter).
pub(crate) struct Marker<'t> {
    terms: &'t BTreeSet<String>,
    initials: BTreeSet<char>,
    words: TextAnalyzer,
    stemmer: TextAnalyzer,
}

impl<'t> Marker<'t> {
    pub(crate) fn new(terms: &'t BTreeSet<String>) -> Self {
        Self {
            terms,
            initials: terms
                .iter()
                .filter_map(|term| term.chars().next())
                .collect(),
            words: crate::tantivy_index::unstemmed_analyzer(),
            stemmer: crate::tantivy_index::stemmer(),
        }
    }

    /// Byte ranges and terms of the matching words of `text`, in order, until `keep_going` says
    /// stop (given the match so far and the next word's offset).
    fn matches(
        &mut self,
        text: &str,
        mut keep_going: impl FnMut(&[(usize, usize, &'t str)], usize) -> bool,
    ) -> Vec<(usize, usize, &'t str)> {
        let mut found = Vec::new();
        let mut stream = self.words.token_stream(text);
        while let Some(token) = stream.next() {
            if !keep_going(&found, token.offset_from) {
                break;
            }
            let Some(first) = token.text.chars().next() else {
                continue;
            };
            if !self.initials.contains(&first) {
                continue;
            }
            let mut stemmed = self.stemmer.token_stream(&token.text);
            let Some(stem) = stemmed.next() else {
                continue;
            };
            if let Some(term) = self.terms.get(&stem.text) {
                found.push((token.offset_from, token.offset_to, term.as_str()));
            }
        }
        found
    }

    /// The whole of `text`, escaped, with every matching word marked: for headlines, which are
    /// short enough to show whole.
    pub(crate) fn highlight_all(&mut self, text: &str) -> String {
        let found = self.matches(text, |_, _| true);
        let mut out = String::with_capacity(text.len() + 16);
        let mut done = 0;
        for (from, to, _) in found {
            let (Some(before), Some(word)) = (text.get(done..from), text.get(from..to)) else {
                continue;
            };
            out.push_str(&escape(before));
            out.push_str(MARK_OPEN);
            out.push_str(&escape(word));
            out.push_str(MARK_CLOSE);
            done = to;
        }
        out.push_str(&escape(text.get(done..).unwrap_or_default()));
        out
    }

    /// The passage of `text` of at most `max_chars` characters holding the most different
    /// terms, escaped, matches marked, with an ellipsis where it was cut; `None` when no term is
    /// in `text`. Both indexes use it, so their snippets read the same.
    pub(crate) fn snippet(&mut self, text: &str, max_chars: usize) -> Option<String> {
        let matches = self.matches(text, |found, offset| {
            found
                .first()
                .is_none_or(|(first, _, _)| offset <= first + SNIPPET_SCAN_WINDOWS * max_chars)
        });
        // The window starting at each match, scored by the different terms it holds; the
        // first best.
        let mut best: Option<(usize, usize)> = None;
        for (i, (start, _, _)) in matches.iter().enumerate() {
            let window_end = start + max_chars;
            let distinct: BTreeSet<&str> = matches[i..]
                .iter()
                .take_while(|(at, _, _)| *at < window_end)
                .map(|(_, _, term)| *term)
                .collect();
            if best.is_none_or(|(_, most)| distinct.len() > most) {
                best = Some((*start, distinct.len()));
            }
        }
        let (first_match, _) = best?;
        // Start at the sentence the match is in when that is close, so the passage reads
        // naturally.
        let before = &text[..first_match];
        let start = before
            .rfind(['.', '!', '?', '\n'])
            .map(|at| at + 1)
            .filter(|at| first_match - at <= max_chars / 4)
            .unwrap_or(first_match);
        let start = if before[..start].trim().is_empty() {
            0
        } else {
            start
        };
        let passage = text[start..].trim_start();
        let (body, cut) = match passage.char_indices().nth(max_chars) {
            Some((at, _)) => {
                let head = &passage[..at];
                (
                    head.rfind(char::is_whitespace)
                        .map_or(head, |space| &head[..space])
                        .trim_end(),
                    true,
                )
            }
            None => (passage.trim_end(), false),
        };
        let mut out = String::with_capacity(body.len() + 32);
        if start > 0 {
            out.push('…');
        }
        out.push_str(&self.highlight_all(body));
        if cut {
            out.push('…');
        }
        Some(out)
    }
}

/// The stored text of a hit, as the results page shows it.
pub(crate) struct ArticleText<'a> {
    pub headline: &'a str,
    pub standfirst: &'a str,
    pub body: &'a str,
}

/// A result as the page shows it: the whole headline, and the body passage with the most matched
/// words; when nothing matched in the body, the standfirst (the best summary), or else the body's
/// opening.
pub(crate) fn search_hit(
    article_id: i64,
    score: f32,
    marker: &mut Marker<'_>,
    text: ArticleText<'_>,
) -> SearchHit {
    let snippet_html = marker.snippet(text.body, SNIPPET_CHARS).unwrap_or_else(|| {
        if text.standfirst.trim().is_empty() {
            lead(text.body, SNIPPET_CHARS)
        } else {
            marker.highlight_all(text.standfirst)
        }
    });
    SearchHit {
        article_id,
        score,
        headline_html: marker.highlight_all(text.headline),
        snippet_html,
    }
}

/// How far past the first match a snippet keeps looking for a passage with more of the words:
/// bounds the work on a long body, where the first few mentions are the telling ones anyway.
const SNIPPET_SCAN_WINDOWS: usize = 8;

/// At most `max_chars` characters of `text`, cut at a word boundary, escaped, with an ellipsis
/// when cut: the snippet when nothing in the body matched.
pub(crate) fn lead(text: &str, max_chars: usize) -> String {
    let text = text.trim();
    let Some((cut, _)) = text.char_indices().nth(max_chars) else {
        return escape(text);
    };
    let head = &text[..cut];
    let head = head
        .rfind(char::is_whitespace)
        .map_or(head, |space| &head[..space]);
    format!("{}…", escape(head.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
    }

    fn terms(words: &[&str]) -> BTreeSet<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn snippet_shows_the_passage_with_most_words_marked_and_escaped() {
        let text = "Rain fell. Farmers <b>wait</b>. Later, in a long aside about nothing in \
                    particular, farmers spoke of rain and coffee prices.";
        // The later passage holds both words.
        assert_eq!(
            Marker::new(&terms(&["farmer", "coffe"]))
                .snippet(text, 60)
                .as_deref(),
            Some("…<mark>farmers</mark> spoke of rain and <mark>coffee</mark> prices.")
        );
        // The first mention, from the start of its sentence, cut at a word.
        assert_eq!(
            Marker::new(&terms(&["farmer"]))
                .snippet(text, 40)
                .as_deref(),
            Some("…<mark>Farmers</mark> &lt;b&gt;wait&lt;/b&gt;. Later, in a long…")
        );
        assert_eq!(
            Marker::new(&terms(&["rain"]))
                .snippet("Rain fell on farms.", 40)
                .as_deref(),
            Some("<mark>Rain</mark> fell on farms.")
        );
        assert_eq!(Marker::new(&terms(&["metro"])).snippet(text, 40), None);
    }

    #[test]
    fn stemming_words_apart_gives_the_analysers_words() {
        use crate::tantivy_index::{analyzer, stemmer, unstemmed_analyzer};
        let text = "Dying yachts: Bogotá's cities happily generalised ½ Über-relations \
                    skies, news; Ⅻ ﬁnance AEROBICS ys y";
        let collect = |analyzer: &mut TextAnalyzer| {
            let mut words = Vec::new();
            let mut stream = analyzer.token_stream(text);
            while let Some(token) = stream.next() {
                words.push(token.text.clone());
            }
            words
        };
        let mut stemmer = stemmer();
        let apart: Vec<String> = collect(&mut unstemmed_analyzer())
            .iter()
            .map(|word| {
                let mut stream = stemmer.token_stream(word);
                let stem = stream.next().map(|token| token.text.clone());
                // The first letter survives stemming: what `Marker` relies on.
                assert_eq!(
                    stem.as_deref().and_then(|s| s.chars().next()),
                    word.chars().next()
                );
                stem.unwrap_or_default()
            })
            .collect();
        assert_eq!(apart, collect(&mut analyzer()));
    }

    #[test]
    fn lead_cuts_at_a_word() {
        assert_eq!(lead("short", 10), "short");
        assert_eq!(lead("one two three", 9), "one two…");
        assert_eq!(lead("a <b> c d", 7), "a &lt;b&gt;…");
    }
}
