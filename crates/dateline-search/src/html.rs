//! Escaping and highlighting for the result page: everything from an article is text, only our
//! own `<mark>` is markup.

use std::collections::BTreeMap;

use tantivy::Score;
use tantivy::tokenizer::TextAnalyzer;

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

/// The whole of `text`, escaped, with every word whose analysed form is in `terms` marked.
///
/// For headlines, which are short enough to show whole (tantivy's snippet generator would cut
/// them to the best fragment).
pub(crate) fn highlight_all(
    analyzer: &mut TextAnalyzer,
    text: &str,
    terms: &BTreeMap<String, Score>,
) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut done = 0;
    let mut stream = analyzer.token_stream(text);
    while let Some(token) = stream.next() {
        if !terms.contains_key(&token.text) || token.offset_from < done {
            continue;
        }
        let (Some(before), Some(word)) = (
            text.get(done..token.offset_from),
            text.get(token.offset_from..token.offset_to),
        ) else {
            continue;
        };
        out.push_str(&escape(before));
        out.push_str(MARK_OPEN);
        out.push_str(&escape(word));
        out.push_str(MARK_CLOSE);
        done = token.offset_to;
    }
    out.push_str(&escape(text.get(done..).unwrap_or_default()));
    out
}

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

    #[test]
    fn lead_cuts_at_a_word() {
        assert_eq!(lead("short", 10), "short");
        assert_eq!(lead("one two three", 9), "one two…");
        assert_eq!(lead("a <b> c d", 7), "a &lt;b&gt;…");
    }
}
