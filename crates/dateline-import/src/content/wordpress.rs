//! WordPress's `post_content` to plain HTML: Gutenberg's block comments are read (embeds, galleries
//! and dynamic blocks become markers the HTML reader knows), shortcodes are expanded or marked,
//! and classic content gets its paragraphs the way WordPress's `wpautop` gives them on display.

use super::Conversion;
use super::html::{GALLERY_TAG, PLACEHOLDER_TAG};
use super::markdown::escape_html;

/// Gutenberg blocks nest (columns > column > group > …); deeper than this is read as HTML.
const MAX_BLOCK_DEPTH: usize = 32;

pub(crate) fn to_html(content: &str, conversion: &mut Conversion) -> String {
    let content = content.replace("\r\n", "\n");
    if content.contains("<!-- wp:") {
        gutenberg(&content, conversion, 0)
    } else {
        classic(&content, conversion)
    }
}

fn classic(content: &str, conversion: &mut Conversion) -> String {
    let expanded = shortcodes(&bare_embeds(content), conversion);
    wpautop(&expanded)
}

fn placeholder(label: &str, href: Option<&str>) -> String {
    let href = href
        .map(|h| format!(" data-href=\"{}\"", escape_html(h)))
        .unwrap_or_default();
    format!(
        "\n\n<{PLACEHOLDER_TAG} data-label=\"{}\"{href}></{PLACEHOLDER_TAG}>\n\n",
        escape_html(label)
    )
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("//").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

fn is_web_url(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://"))
        && !text.contains(char::is_whitespace)
        && !text.contains(['<', '>', '"'])
}

/// A URL alone on its line is an oEmbed on a classic WordPress page (a YouTube video, a tweet).
fn bare_embeds(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.split_inclusive('\n') {
        let trimmed = line.trim();
        if is_web_url(trimmed) {
            out.push_str(&placeholder(
                &format!("Embedded content from {} not imported", host_of(trimmed)),
                Some(trimmed),
            ));
        } else {
            out.push_str(line);
        }
    }
    out
}

/// Reads Gutenberg's serialised blocks (`<!-- wp:name {"attrs"} -->…<!-- /wp:name -->`).
fn gutenberg(content: &str, conversion: &mut Conversion, depth: usize) -> String {
    let mut out = String::with_capacity(content.len());
    let mut rest = content;
    while let Some(start) = rest.find("<!-- wp:") {
        let before = &rest[..start];
        if depth == 0 {
            // Text between top-level blocks is classic content ("freeform").
            if !before.trim().is_empty() {
                out.push_str(&classic(before, conversion));
            }
        } else {
            out.push_str(before);
        }
        let after_open = &rest[start + "<!-- wp:".len()..];
        let Some(close) = after_open.find("-->") else {
            // An unterminated comment: what follows is not block markup.
            out.push_str(&rest[start..]);
            return out;
        };
        let opener = after_open[..close].trim();
        let self_closing = opener.ends_with('/');
        let opener = opener.trim_end_matches('/').trim();
        let (name, attrs) = opener
            .split_once(char::is_whitespace)
            .unwrap_or((opener, ""));
        let attrs: serde_json::Value =
            serde_json::from_str(attrs.trim()).unwrap_or(serde_json::Value::Null);
        let body_start = &after_open[close + 3..];
        if self_closing {
            out.push_str(&block_html(name, &attrs, "", conversion, depth));
            rest = body_start;
            continue;
        }
        let (inner, remainder) = split_block(body_start, name);
        out.push_str(&block_html(name, &attrs, inner, conversion, depth));
        rest = remainder;
    }
    if depth == 0 {
        if !rest.trim().is_empty() {
            out.push_str(&classic(rest, conversion));
        }
    } else {
        out.push_str(rest);
    }
    out
}

/// The inner markup of a block and what follows its closer, minding blocks of the same name
/// nested inside (a group in a group, a list in a list item).
fn split_block<'a>(body: &'a str, name: &str) -> (&'a str, &'a str) {
    let opener = format!("<!-- wp:{name}");
    let closer = format!("<!-- /wp:{name} -->");
    let mut depth = 0usize;
    let mut at = 0;
    loop {
        let next_open = body[at..].find(&opener).map(|i| i + at);
        let next_close = body[at..].find(&closer).map(|i| i + at);
        match (next_open, next_close) {
            (Some(open), Some(close)) if open < close => {
                // Only a real opener of the same name counts (not `wp:list-item` for `wp:list`).
                let tail = &body[open + opener.len()..];
                let is_same = tail.starts_with([' ', '\n', '\t']) || tail.starts_with("-->");
                let self_closing = tail
                    .find("-->")
                    .is_some_and(|end| tail[..end].trim_end().ends_with('/'));
                if is_same && !self_closing {
                    depth += 1;
                }
                at = open + opener.len();
            }
            (_, Some(close)) => {
                if depth == 0 {
                    return (&body[..close], &body[close + closer.len()..]);
                }
                depth -= 1;
                at = close + closer.len();
            }
            (_, None) => return (body, ""),
        }
    }
}

fn block_html(
    name: &str,
    attrs: &serde_json::Value,
    inner: &str,
    conversion: &mut Conversion,
    depth: usize,
) -> String {
    let short = name.strip_prefix("core/").unwrap_or(name);
    let attr = |key: &str| attrs.get(key).and_then(|v| v.as_str()).unwrap_or("");
    if depth > MAX_BLOCK_DEPTH {
        return inner.to_owned();
    }
    match short {
        "more" | "nextpage" | "spacer" => String::new(),
        "embed" | "video-embed" => embed(attr("url"), attr("providerNameSlug"), inner),
        _ if short.starts_with("core-embed/") => {
            embed(attr("url"), short.trim_start_matches("core-embed/"), inner)
        }
        "shortcode" => classic(inner, conversion),
        "freeform" => classic(inner, conversion),
        "html" => inner.to_owned(),
        "gallery" => format!(
            "<{GALLERY_TAG}>{}</{GALLERY_TAG}>",
            gutenberg(inner, conversion, depth + 1)
        ),
        "block" => {
            let reference = attrs.get("ref").map(|r| r.to_string()).unwrap_or_default();
            placeholder(
                &format!("Reusable block {reference} is not in the export"),
                None,
            )
        }
        _ if inner.trim().is_empty() => {
            // A dynamic block (latest posts, archives, a form): WordPress drew it at display time.
            placeholder(&format!("{name} block not imported"), None)
        }
        _ => gutenberg(inner, conversion, depth + 1),
    }
}

fn embed(url: &str, provider: &str, inner: &str) -> String {
    let url = if url.is_empty() {
        // Older embeds keep the URL only in their wrapper's text.
        super::html::plain_text(inner)
    } else {
        url.to_owned()
    };
    let url = url.trim();
    let from = if provider.is_empty() {
        host_of(url).to_owned()
    } else {
        provider.to_owned()
    };
    let label = if from.is_empty() {
        "Embedded content not imported".to_owned()
    } else {
        format!("Embedded content from {from} not imported")
    };
    placeholder(&label, is_web_url(url).then_some(url))
}

/// Shortcodes WordPress and common plugins register; others are recognised by their shape
/// (attributes with `=`, or a closing tag).
const KNOWN_SHORTCODES: &[&str] = &[
    "caption",
    "wp_caption",
    "gallery",
    "embed",
    "audio",
    "video",
    "playlist",
    "contact-form",
    "contact-form-7",
    "youtube",
    "vimeo",
    "soundcloud",
    "twitter",
    "tweet",
    "instagram",
    "googlemaps",
    "slideshow",
    "code",
    "sourcecode",
];

struct Shortcode<'a> {
    name: &'a str,
    attrs: Vec<(String, String)>,
    content: Option<&'a str>,
    /// Bytes the shortcode spans in the text.
    len: usize,
}

fn parse_shortcode(text: &str) -> Option<Shortcode<'_>> {
    let body = text.strip_prefix('[')?;
    let name_len = body
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        .map_or(body.len(), |(i, _)| i);
    let name = &body[..name_len];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    if !body[name_len..].starts_with([' ', '\t', '\n', ']', '/']) {
        return None;
    }
    // The attribute text runs to the first `]` outside quotes.
    let mut quote = None;
    let mut end = None;
    for (i, c) in body[name_len..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, ']') => {
                end = Some(name_len + i);
                break;
            }
            // Attributes are short: a stray `[` in prose is not the start of a shortcode.
            _ if i > 2000 => return None,
            _ => {}
        }
    }
    let end = end?;
    let raw_attrs = body[name_len..end].trim();
    let self_closing = raw_attrs.ends_with('/');
    let attrs = parse_attributes(raw_attrs.trim_end_matches('/'));
    let after = end + 2; // '[' + name + attrs + ']'
    let closer = format!("[/{name}]");
    let (content, len) = match (!self_closing)
        .then(|| text[after..].find(&closer))
        .flatten()
    {
        Some(at) => (Some(&text[after..after + at]), after + at + closer.len()),
        None => (None, after),
    };
    let known = KNOWN_SHORTCODES.contains(&name.to_ascii_lowercase().as_str());
    let shaped = attrs.iter().any(|(k, _)| !k.is_empty()) || content.is_some();
    (known || shaped).then_some(Shortcode {
        name,
        attrs,
        content,
        len,
    })
}

fn parse_attributes(raw: &str) -> Vec<(String, String)> {
    let mut attrs = Vec::new();
    let mut rest = raw.trim();
    while !rest.is_empty() {
        let key_len = rest
            .find(|c: char| c == '=' || c.is_whitespace())
            .unwrap_or(rest.len());
        let key = rest[..key_len].to_owned();
        rest = rest[key_len..].trim_start();
        if let Some(value_part) = rest.strip_prefix('=') {
            let value_part = value_part.trim_start();
            let (value, remaining) = match value_part.chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let inner = &value_part[1..];
                    let close = inner.find(q).unwrap_or(inner.len());
                    (&inner[..close], inner.get(close + 1..).unwrap_or(""))
                }
                _ => {
                    let close = value_part
                        .find(char::is_whitespace)
                        .unwrap_or(value_part.len());
                    (&value_part[..close], &value_part[close..])
                }
            };
            attrs.push((key.to_ascii_lowercase(), value.to_owned()));
            rest = remaining.trim_start();
        } else {
            // A positional value (`[embed]`'s bare URL, `[gallery 1 2]`).
            let value = key.trim_matches(['"', '\'']).to_owned();
            attrs.push((String::new(), value));
        }
    }
    attrs
}

fn shortcodes(text: &str, conversion: &mut Conversion) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('[') {
        out.push_str(&rest[..at]);
        let candidate = &rest[at..];
        // `[[name]]` is WordPress's way to show a shortcode literally.
        if candidate.starts_with("[[")
            && let Some(end) = candidate.find("]]")
        {
            out.push_str(&candidate[1..end + 1]);
            rest = &candidate[end + 2..];
            continue;
        }
        match parse_shortcode(candidate) {
            Some(shortcode) => {
                out.push_str(&expand(&shortcode, conversion));
                rest = &candidate[shortcode.len..];
            }
            None => {
                out.push('[');
                rest = &candidate[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn expand(shortcode: &Shortcode<'_>, conversion: &mut Conversion) -> String {
    let attr = |key: &str| {
        shortcode
            .attrs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    match shortcode.name.to_ascii_lowercase().as_str() {
        "caption" | "wp_caption" => {
            let content = shortcodes(shortcode.content.unwrap_or(""), conversion);
            // The picture (perhaps linked) comes first; the words after it are the caption,
            // unless an old-style `caption="…"` attribute carries them.
            let picture_end = if content.trim_start().starts_with("<a") {
                content.find("</a>").map(|i| i + 4)
            } else {
                content
                    .find("<img")
                    .and_then(|i| content[i..].find('>').map(|j| i + j + 1))
            }
            .unwrap_or(0);
            let (picture, words) = content.split_at(picture_end);
            let caption = attr("caption")
                .map(escape_html)
                .unwrap_or_else(|| words.trim().to_owned());
            format!("\n\n<figure>{picture}<figcaption>{caption}</figcaption></figure>\n\n")
        }
        "embed" => {
            let url = shortcode.content.unwrap_or("").trim();
            embed(url, "", "")
        }
        "code" | "sourcecode" => {
            let language = attr("language").or(attr("lang")).unwrap_or("");
            format!(
                "\n\n<pre><code class=\"language-{}\">{}</code></pre>\n\n",
                escape_html(language),
                escape_html(shortcode.content.unwrap_or(""))
            )
        }
        name => {
            let href = ["src", "url", "mp3", "mp4", "link", ""]
                .iter()
                .filter_map(|k| attr(k))
                .find(|v| is_web_url(v));
            let label = format!("[{name}] shortcode not imported");
            let mut html = placeholder(&label, href);
            // Words an enclosing shortcode wraps are the author's: keep them.
            if let Some(content) = shortcode.content
                && !content.trim().is_empty()
                && !matches!(name, "audio" | "video" | "playlist" | "gallery")
            {
                html.push_str(&shortcodes(content, conversion));
            }
            html
        }
    }
}

/// Block-level elements for `wpautop`: no paragraph is wrapped around them.
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "caption",
    "col",
    "colgroup",
    "dd",
    "details",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "hr",
    "iframe",
    "legend",
    "li",
    "map",
    "math",
    "menu",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    PLACEHOLDER_TAG,
    GALLERY_TAG,
];

fn starts_with_block_tag(chunk: &str) -> bool {
    let Some(tag) = chunk.strip_prefix('<') else {
        return false;
    };
    let tag = tag.strip_prefix('/').unwrap_or(tag);
    let name_len = tag
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .unwrap_or(tag.len());
    BLOCK_TAGS.contains(&tag[..name_len].to_ascii_lowercase().as_str())
}

/// WordPress's automatic paragraphs for classic content: blank lines separate paragraphs and a
/// single newline is a line break, except around and inside block-level markup and `<pre>`.
pub(crate) fn wpautop(text: &str) -> String {
    // Newlines inside tags are spaces, so they never become line breaks.
    let mut flat = String::with_capacity(text.len());
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            '\n' if in_tag => {
                flat.push(' ');
                continue;
            }
            _ => {}
        }
        flat.push(c);
    }
    // Block tags stand on their own lines.
    let mut spaced = String::with_capacity(flat.len() + flat.len() / 8);
    let mut rest = flat.as_str();
    while let Some(at) = rest.find('<') {
        spaced.push_str(&rest[..at]);
        let tag = &rest[at..];
        let end = tag.find('>').map_or(tag.len(), |e| e + 1);
        if starts_with_block_tag(tag) {
            let closing = tag.starts_with("</");
            if !closing {
                spaced.push_str("\n\n");
            }
            spaced.push_str(&tag[..end]);
            if closing {
                spaced.push_str("\n\n");
            }
        } else {
            spaced.push_str(&tag[..end]);
        }
        rest = &tag[end..];
    }
    spaced.push_str(rest);

    let mut out = String::with_capacity(spaced.len() + 64);
    let mut in_pre = 0usize;
    for chunk in spaced.split("\n\n") {
        let trimmed = chunk.trim_matches('\n');
        if trimmed.trim().is_empty() {
            if in_pre > 0 {
                out.push_str("\n\n");
            }
            continue;
        }
        let lower = trimmed.to_ascii_lowercase();
        let opens_pre = lower.matches("<pre").count();
        let closes_pre = lower.matches("</pre>").count();
        if in_pre > 0 || opens_pre > 0 || starts_with_block_tag(trimmed.trim_start()) {
            out.push_str(trimmed);
            out.push('\n');
        } else {
            out.push_str("<p>");
            out.push_str(&trimmed.trim().replace('\n', "<br />\n"));
            out.push_str("</p>\n");
        }
        in_pre = (in_pre + opens_pre).saturating_sub(closes_pre);
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::content::wordpress_to_markdown;
    use crate::plan::WarningKind;

    #[test]
    fn autop_makes_paragraphs_and_breaks() {
        assert_eq!(
            wordpress_to_markdown("First line\nsame paragraph\n\nSecond").markdown,
            "First line\\\nsame paragraph\n\nSecond"
        );
    }

    #[test]
    fn caption_shortcode_becomes_a_figure() {
        let out = wordpress_to_markdown(
            "[caption id=\"attachment_1\" align=\"alignnone\" width=\"300\"]<img src=\"https://example.com/wp-content/uploads/2024/05/a.jpg\" alt=\"A cat\" /> The <em>cat</em>[/caption]",
        );
        assert_eq!(
            out.markdown,
            "<figure><img src=\"https://example.com/wp-content/uploads/2024/05/a.jpg\" alt=\"A cat\"><figcaption>The <em>cat</em></figcaption></figure>"
        );
        assert_eq!(
            out.images,
            vec!["https://example.com/wp-content/uploads/2024/05/a.jpg"]
        );
    }

    #[test]
    fn unknown_shortcodes_and_embeds_become_placeholders() {
        let out = wordpress_to_markdown(
            "Before\n\n[contact-form-7 id=\"5\" title=\"Contact\"]\n\nhttps://www.youtube.com/watch?v=abc\n\n[not a shortcode] stays",
        );
        assert!(
            out.markdown
                .contains("*\\[\\[contact-form-7\\] shortcode not imported\\]*"),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown.contains(
                "[https://www.youtube.com/watch?v=abc](https://www.youtube.com/watch?v=abc)"
            ),
            "{}",
            out.markdown
        );
        assert!(
            out.markdown.contains("\\[not a shortcode\\] stays"),
            "{}",
            out.markdown
        );
        assert_eq!(
            out.notes
                .iter()
                .filter(|n| n.kind == WarningKind::Placeholder)
                .count(),
            2,
            "{:?}",
            out.notes
        );
    }

    #[test]
    fn gutenberg_blocks_read_with_nesting() {
        let out = wordpress_to_markdown(concat!(
            "<!-- wp:heading -->\n<h2>Title</h2>\n<!-- /wp:heading -->\n\n",
            "<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>One</li>\n<!-- /wp:list-item -->\n\n",
            "<!-- wp:list-item -->\n<li>Two<!-- wp:list -->\n<ul><!-- wp:list-item -->\n<li>Inner</li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list --></li>\n<!-- /wp:list-item --></ul>\n<!-- /wp:list -->\n\n",
            "<!-- wp:embed {\"url\":\"https://twitter.com/x/status/1\",\"providerNameSlug\":\"twitter\"} -->\n<figure class=\"wp-block-embed\"><div class=\"wp-block-embed__wrapper\">\nhttps://twitter.com/x/status/1\n</div></figure>\n<!-- /wp:embed -->\n\n",
            "<!-- wp:latest-posts /-->\n\n",
            "<!-- wp:more -->\n<!--more-->\n<!-- /wp:more -->\n\n",
            "<!-- wp:paragraph -->\n<p>End</p>\n<!-- /wp:paragraph -->",
        ));
        assert_eq!(
            out.markdown,
            "## Title\n\n- One\n- Two\n  - Inner\n\n*\\[Embedded content from twitter not imported\\]* [https://twitter.com/x/status/1](https://twitter.com/x/status/1)\n\n*\\[latest-posts block not imported\\]*\n\nEnd"
        );
    }
}
