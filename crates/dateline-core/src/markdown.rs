//! Article bodies are written in Markdown (CommonMark plus tables, footnotes and strikethrough) and
//! shown as HTML that went through an allow-list sanitiser, so even a compromised newsroom account
//! cannot put a script on a public page.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

use crate::reading_time;

fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "figcaption",
        "figure",
        "h2",
        "h3",
        "h4",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .add_tag_attributes("img", ["src", "alt", "width", "height", "loading"])
        .add_tag_attributes("a", ["href", "title"])
        .add_tag_attributes("th", ["align"])
        .add_tag_attributes("td", ["align"])
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer"));
    builder
});

/// Renders article Markdown to sanitised HTML.
pub fn render_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, options());
    let mut html = String::with_capacity(markdown.len() + markdown.len() / 4);
    pulldown_cmark::html::push_html(&mut html, parser);
    SANITIZER.clean(&html).to_string()
}

/// The words of a Markdown text without its markup, paragraphs separated by blank lines.
pub fn plain_text(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                text.push_str("\n\n")
            }
            _ => {}
        }
    }
    text.trim_end().to_owned()
}

/// Words and pictures in a body, the inputs of the reading-time rule.
pub fn body_stats(markdown: &str) -> BodyStats {
    let mut stats = BodyStats::default();
    // Alt text is for readers who cannot see the picture; the others spend picture time on it.
    let mut inside_image = 0usize;
    for event in Parser::new_ext(markdown, options()) {
        match event {
            Event::Text(t) | Event::Code(t) if inside_image == 0 => {
                stats.words += reading_time::count_words(&t)
            }
            Event::Start(Tag::Image { .. }) => {
                stats.images += 1;
                inside_image += 1;
            }
            Event::End(TagEnd::Image) => inside_image = inside_image.saturating_sub(1),
            // A picture placed from the library is a <figure> with an <img> (the editor writes
            // them so); readers spend picture time on it as on a Markdown image.
            Event::Html(html) | Event::InlineHtml(html) => {
                stats.images += html.matches("<img").count()
            }
            _ => {}
        }
    }
    stats
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BodyStats {
    pub words: usize,
    pub images: usize,
}

/// Reading time of an article: its body plus its hero picture.
pub fn article_reading_minutes(body: &str, has_hero_image: bool) -> u32 {
    let stats = body_stats(body);
    reading_time::reading_minutes(stats.words, stats.images + usize::from(has_hero_image))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_paragraphs_and_emphasis() {
        let html = render_html("First *para*.\n\nSecond with [a link](https://example.org).");
        assert!(html.contains("<p>First <em>para</em>.</p>"), "{html}");
        assert!(
            html.contains(r#"<a href="https://example.org" rel="noopener noreferrer">a link</a>"#),
            "{html}"
        );
    }

    #[test]
    fn strips_scripts_handlers_and_javascript_urls() {
        let html = render_html(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<svg onload=alert(1)></svg>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        assert!(!html.contains("<svg"), "{html}");
    }

    #[test]
    fn plain_text_drops_markup() {
        let text = plain_text("## Heading\n\nSome **bold** `code`.\n\n- one\n- two");
        assert_eq!(text, "Heading\n\nSome bold code.\n\none\n\ntwo");
    }

    #[test]
    fn counts_figures_placed_from_the_library() {
        let stats = body_stats(
            "Words here.\n\n<figure><img src=\"/media/a.jpg\" alt=\"A harbour\" width=\"960\" height=\"640\"><figcaption>Boats <small>Photo: Ana</small></figcaption></figure>\n\nMore words.",
        );
        assert_eq!(
            stats,
            BodyStats {
                words: 4,
                images: 1
            }
        );
    }

    #[test]
    fn counts_images_in_body() {
        let stats = body_stats("Words here.\n\n![alt](/media/x.jpg)\n\nMore words.");
        assert_eq!(
            stats,
            BodyStats {
                words: 4,
                images: 1
            }
        );
    }
}
