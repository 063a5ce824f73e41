//! Ghost's cards (Koenig): the same payloads whether the post is stored as Mobiledoc
//! (`["image", {...}]`) or Lexical (`{"type": "image", ...}`).

use serde_json::Value;

use super::Conversion;
use super::html;
use super::markdown::{Block, Inline};
use crate::plan::WarningKind;

fn text<'a>(payload: &'a Value, key: &str) -> &'a str {
    payload.get(key).and_then(Value::as_str).unwrap_or("")
}

fn web_url(url: &str) -> Option<String> {
    let lower = url.trim().to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| url.trim().to_owned())
}

fn placeholder(conversion: &mut Conversion, label: String, href: Option<String>) -> Vec<Block> {
    conversion.note(WarningKind::Placeholder, format!("placeholder: {label}"));
    vec![Block::Placeholder { label, href }]
}

/// A card's blocks. `name` is the Mobiledoc card name or the Lexical node type.
pub(crate) fn card(name: &str, payload: &Value, conversion: &mut Conversion) -> Vec<Block> {
    match name {
        "markdown" | "card-markdown" => vec![Block::Markdown(text(payload, "markdown").to_owned())],
        "html" => html::blocks(text(payload, "html"), conversion),
        "image" => {
            let src = text(payload, "src").to_owned();
            if src.is_empty() {
                return Vec::new();
            }
            conversion.image(&src);
            vec![Block::Figure {
                src,
                alt: text(payload, "alt").to_owned(),
                title: text(payload, "title").to_owned(),
                link: web_url(text(payload, "href")),
                caption: html::inlines(text(payload, "caption"), conversion),
            }]
        }
        "hr" | "horizontalrule" => vec![Block::Rule],
        "code" | "codeblock" => vec![Block::Code {
            language: text(payload, "language").to_owned(),
            text: text(payload, "code").to_owned(),
        }],
        "bookmark" => {
            let url = text(payload, "url");
            let title = payload
                .pointer("/metadata/title")
                .and_then(Value::as_str)
                .unwrap_or(url);
            vec![Block::Paragraph(vec![Inline::Link {
                href: url.to_owned(),
                title: String::new(),
                children: vec![Inline::Text(title.to_owned())],
            }])]
        }
        "gallery" => {
            let mut gallery = format!("<{}>", html::GALLERY_TAG);
            for image in payload
                .get("images")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                gallery.push_str(&format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    super::markdown::escape_html(text(image, "src")),
                    super::markdown::escape_html(text(image, "alt"))
                ));
            }
            let caption = text(payload, "caption");
            if !caption.is_empty() {
                gallery.push_str(&format!("<figcaption>{caption}</figcaption>"));
            }
            gallery.push_str(&format!("</{}>", html::GALLERY_TAG));
            html::blocks(&gallery, conversion)
        }
        "callout" => vec![Block::Quote(html::blocks(
            &format!(
                "{} {}",
                text(payload, "calloutEmoji"),
                text(payload, "calloutText")
            ),
            conversion,
        ))],
        "toggle" => {
            let mut blocks = vec![Block::Paragraph(vec![Inline::Strong(html::inlines(
                text(payload, "heading"),
                conversion,
            ))])];
            blocks.extend(html::blocks(text(payload, "content"), conversion));
            blocks
        }
        "button" => vec![Block::Paragraph(vec![Inline::Link {
            href: text(payload, "buttonUrl").to_owned(),
            title: String::new(),
            children: vec![Inline::Text(text(payload, "buttonText").to_owned())],
        }])],
        "header" => {
            let mut blocks = vec![Block::Heading(
                2,
                html::inlines(text(payload, "header"), conversion),
            )];
            let sub = html::inlines(text(payload, "subheader"), conversion);
            if !sub.is_empty() {
                blocks.push(Block::Paragraph(sub));
            }
            blocks
        }
        "embed" => {
            let url = text(payload, "url");
            let kind = [text(payload, "embedType"), text(payload, "type")]
                .into_iter()
                .find(|k| !k.is_empty() && *k != "embed")
                .unwrap_or("content");
            let label = match web_url(url) {
                Some(_) => format!("Embedded {kind} from {} not imported", host_of(url)),
                None => "Embedded content not imported".to_owned(),
            };
            placeholder(conversion, label, web_url(url))
        }
        "video" | "audio" | "file" => {
            let src = text(payload, "src");
            placeholder(conversion, format!("{name} not imported"), web_url(src))
        }
        // Paywall markers and email-only content are not part of the web page.
        "paywall" | "email" | "email-cta" => Vec::new(),
        other => placeholder(conversion, format!("{other} card not imported"), None),
    }
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("//").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}
