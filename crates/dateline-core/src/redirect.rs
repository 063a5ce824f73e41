//! Where a form may send someone afterwards (`next=`).
//!
//! `next` comes from the address bar, so it is attacker-chosen. Browsers are lenient with what
//! follows `Location:`: they drop tabs and newlines (WHATWG URL Standard, "basic URL parser"),
//! read `\` as `/` in http(s) URLs, and take `//host` as another site (a scheme-relative URL,
//! RFC 3986 §4.2). So nothing is stripped or repaired here: a `next` is taken exactly as it is, or
//! refused.

use percent_encoding::percent_decode_str;

/// The longest `next` taken; a real path on this site is far shorter.
const MAX_NEXT_BYTES: usize = 2_000;
/// How many layers of percent-encoding are looked through (`%252f` is `%2f` is `/`).
const DECODE_LAYERS: usize = 3;

/// `next` when it is a path on this site: one `/` followed by anything but another `/` or a
/// `\`, with no whitespace, control character or backslash anywhere — in the text as sent and
/// after every layer of percent-decoding. Anything else is `None`, and the caller uses its own
/// default.
pub fn local_path(next: &str) -> Option<&str> {
    if next.len() > MAX_NEXT_BYTES {
        return None;
    }
    let mut layer = std::borrow::Cow::Borrowed(next);
    for _ in 0..=DECODE_LAYERS {
        if !plainly_local(&layer) {
            return None;
        }
        let decoded = percent_decode_str(&layer).decode_utf8().ok()?.into_owned();
        if decoded == layer {
            return Some(next);
        }
        layer = std::borrow::Cow::Owned(decoded);
    }
    // Still changing after that many layers: nobody encodes a real path like this.
    None
}

fn plainly_local(path: &str) -> bool {
    let mut chars = path.chars();
    chars.next() == Some('/')
        && !matches!(chars.next(), Some('/' | '\\'))
        && !path
            .chars()
            .any(|c| c == '\\' || c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_on_this_site() {
        for good in [
            "/",
            "/readers/account",
            "/discussion/12?sort=newest&page=2#comment-4",
            "/newsroom/articles?q=budget+vote&page=2",
            "/politics/caf%C3%A9",
        ] {
            assert_eq!(local_path(good), Some(good), "{good}");
        }
        for bad in [
            "",
            "readers/account",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/%09/evil.example",
            "%2f%2fevil.example",
            "/%2f%2fevil.example",
            "/%2F%2Fevil.example",
            "/%5cevil.example",
            "/%252f%252fevil.example",
            "/%25252f%25252fevil.example",
            "https://evil.example",
            "https:evil.example",
            "javascript:alert(1)",
            "/\nLocation: https://evil.example",
            "/%0d%0aSet-Cookie:%20x=1",
            "/ /evil.example",
            "/a b",
            "/newsroom/articles?q=budget%20vote",
            "/a\u{3000}b",
            "/a\u{7f}",
            "/\u{0}",
            "/%ff",
            " /readers/account",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path(&format!("/{}", "a".repeat(2_000))), None);
    }
}
