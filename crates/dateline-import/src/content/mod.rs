//! Bodies: every source format becomes the Markdown Dateline's renderer reads.
//!
//! `dateline_core::markdown::render_html` passes raw HTML in Markdown through pulldown-cmark and
//! then cleans the whole page fragment with its ammonia allow-list (no script, iframe, style,
//! event handler or `javascript:` URL survives). Imported HTML blocks are cleaned here with a
//! narrower list before they are stored, and again by that renderer on every page, so they stay
//! inert even if an editor later changes them.

pub(crate) mod cards;
pub(crate) mod dom;
pub(crate) mod html;
pub(crate) mod lexical;
pub(crate) mod markdown;
pub(crate) mod mobiledoc;
pub(crate) mod wordpress;

use crate::plan::WarningKind;

/// Something a conversion could not carry over as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub kind: WarningKind,
    pub message: String,
}

/// What converting one body found along the way.
#[derive(Debug, Default)]
pub(crate) struct Conversion {
    pub notes: Vec<Note>,
    /// Picture URLs the body shows, in order, each once.
    pub images: Vec<String>,
}

impl Conversion {
    pub fn note(&mut self, kind: WarningKind, message: impl Into<String>) {
        let message = message.into();
        if !self
            .notes
            .iter()
            .any(|n| n.kind == kind && n.message == message)
        {
            self.notes.push(Note { kind, message });
        }
    }

    pub fn image(&mut self, url: &str) {
        if !url.is_empty() && !self.images.iter().any(|u| u == url) {
            self.images.push(url.to_owned());
        }
    }
}

/// A converted body.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Converted {
    pub markdown: String,
    pub images: Vec<String>,
    pub notes: Vec<Note>,
}

fn finish(blocks: &[markdown::Block], conversion: Conversion) -> Converted {
    Converted {
        markdown: markdown::render(blocks),
        images: conversion.images,
        notes: conversion.notes,
    }
}

/// HTML (Ghost's rendered `html`, a Disqus message, an HTML card) to Markdown.
pub fn html_to_markdown(html: &str) -> Converted {
    let mut conversion = Conversion::default();
    let blocks = html::blocks(html, &mut conversion);
    finish(&blocks, conversion)
}

/// A WordPress `post_content`: Gutenberg block markup or classic HTML with shortcodes and
/// paragraphs left to `wpautop`.
pub fn wordpress_to_markdown(content: &str) -> Converted {
    let mut conversion = Conversion::default();
    let html = wordpress::to_html(content, &mut conversion);
    let blocks = html::blocks(&html, &mut conversion);
    finish(&blocks, conversion)
}

/// A Ghost Lexical document (the `lexical` column, itself JSON).
pub fn lexical_to_markdown(document: &str) -> Result<Converted, serde_json::Error> {
    let mut conversion = Conversion::default();
    let blocks = lexical::blocks(document, &mut conversion)?;
    Ok(finish(&blocks, conversion))
}

/// A Ghost Mobiledoc document (the `mobiledoc` column, itself JSON).
pub fn mobiledoc_to_markdown(document: &str) -> Result<Converted, serde_json::Error> {
    let mut conversion = Conversion::default();
    let blocks = mobiledoc::blocks(document, &mut conversion)?;
    Ok(finish(&blocks, conversion))
}

/// Plain text of an HTML fragment (a title, an excerpt).
pub fn plain_text(html: &str) -> String {
    html::plain_text(html)
}

/// A comment as WordPress stores it: text with a little HTML, paragraphs left to `wpautop`.
pub fn comment_to_markdown(text: &str) -> Converted {
    let mut conversion = Conversion::default();
    let html = wordpress::wpautop(&text.replace("\r\n", "\n"));
    let blocks = html::blocks(&html, &mut conversion);
    finish(&blocks, conversion)
}
