//! The readable blocks of an article body: what a listener should hear, in order.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

/// Put on a line of its own (a blank line before and after) to keep the blocks that follow out of
/// the audio, up to [`NOT_FOR_AUDIO_END`]: a table described in words elsewhere, a list of links,
/// a correction note read better on the page. They are HTML comments, so the page shows nothing.
pub const NOT_FOR_AUDIO_START: &str = "<!-- audio:off -->";
pub const NOT_FOR_AUDIO_END: &str = "<!-- audio:on -->";

fn marker(html: &str, wanted: &str) -> bool {
    let squeeze = |s: &str| s.split_whitespace().collect::<String>();
    squeeze(html).contains(&squeeze(wanted))
}

/// Paragraphs, headings, quotes and list items, as plain text. Skipped: pictures and the
/// paragraph they stand in (its other text is their caption), code blocks, tables, raw HTML (embeds,
/// figures with captions) and footnote definitions. Inline code is read: removing it would break
/// the sentence around it.
pub(crate) fn spoken_blocks(markdown: &str) -> Vec<String> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut blocks = Vec::new();
    let mut current = String::new();
    let mut has_picture = false;
    let mut skipping_depth = 0usize;
    let mut audio_off = false;
    for event in Parser::new_ext(markdown, options) {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                if marker(&html, NOT_FOR_AUDIO_START) {
                    audio_off = true;
                } else if marker(&html, NOT_FOR_AUDIO_END) {
                    audio_off = false;
                }
            }
            Event::Start(
                Tag::CodeBlock(_) | Tag::Table(_) | Tag::FootnoteDefinition(_) | Tag::HtmlBlock,
            ) => {
                skipping_depth += 1;
            }
            Event::End(
                TagEnd::CodeBlock | TagEnd::Table | TagEnd::FootnoteDefinition | TagEnd::HtmlBlock,
            ) => {
                skipping_depth = skipping_depth.saturating_sub(1);
            }
            Event::Start(Tag::Image { .. }) => {
                has_picture = true;
                skipping_depth += 1;
            }
            Event::End(TagEnd::Image) => skipping_depth = skipping_depth.saturating_sub(1),
            _ if skipping_depth > 0 || audio_off => {}
            Event::Text(text) | Event::Code(text) => current.push_str(&text),
            Event::SoftBreak | Event::HardBreak => current.push(' '),
            // A list item's own paragraph ends it; a tight list item has none.
            Event::End(TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item) => {
                let text = std::mem::take(&mut current);
                let text = text.trim();
                if !has_picture && !text.is_empty() {
                    blocks.push(text.to_string());
                }
                has_picture = false;
            }
            Event::Start(Tag::Item) => {
                // Text before a nested list belongs to the outer item.
                let text = std::mem::take(&mut current);
                if !text.trim().is_empty() {
                    blocks.push(text.trim().to_string());
                }
            }
            _ => {}
        }
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_a_listener_should_hear() {
        let body = "\
## What happened

The talks *resumed* on [Monday](https://example.com).

![Protesters in Bogota](bogota.jpg)
*Protesters in Bogota on Sunday. Photo: Ana Ruiz*

```
let x = 1;
```

<iframe src=\"https://video.example/embed\"></iframe>

<figure><img src=\"a.jpg\" alt=\"\"><figcaption>A caption</figcaption></figure>

| Party | Seats |
|---|---|
| A | 10 |

<!-- audio:off -->

Related: [Earlier coverage](https://example.com/earlier)

<!-- audio:on -->

> “We will talk,” he said.

- First point
- Second point

Run `dateline serve` to start.";
        assert_eq!(
            spoken_blocks(body),
            vec![
                "What happened",
                "The talks resumed on Monday.",
                "“We will talk,” he said.",
                "First point",
                "Second point",
                "Run dateline serve to start.",
            ]
        );
    }
}
