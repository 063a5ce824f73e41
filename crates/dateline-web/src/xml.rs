//! XML text escaping, shared by feeds and sitemaps.

/// Escapes text for XML content and for attribute values in either quote style. `>` is escaped
/// too, so `]]>` can never appear. Characters XML 1.0 forbids (§2.2 `Char`: C0 controls other
/// than tab, line feed and carriage return, and U+FFFE/U+FFFF) are dropped: one stray control
/// character in an article would otherwise make the whole feed unreadable.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c < ' ' || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_forbidden_characters() {
        assert_eq!(
            escape("<p class=\"a\">Tom & Jerry's ]]> \u{1}ok\t</p>"),
            "&lt;p class=&quot;a&quot;&gt;Tom &amp; Jerry&apos;s ]]&gt; ok\t&lt;/p&gt;"
        );
    }
}
