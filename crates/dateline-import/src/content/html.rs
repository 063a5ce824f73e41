//! HTML (classic WordPress after `wpautop`, Gutenberg after its comments are read, Ghost's
//! rendered HTML, captions) to [`Block`]s.
//!
//! The HTML is first put through an ammonia allow-list, so whatever is left to convert cannot run
//! code: scripts and styles go with their content, event handlers and `style` attributes go,
//! and links keep only `http`, `https`, `mailto` and relative URLs (`javascript:` and `data:` are
//! removed). html5ever's parser repairs broken markup the way browsers do. Only then is the tree
//! walked into Markdown blocks; what Markdown cannot say becomes an HTML block cleaned again with
//! the narrower allow-list of the public page, or a visible placeholder.

use std::collections::HashSet;
use std::sync::LazyLock;

use super::dom::{self, Node};

use super::Conversion;
use super::markdown::{Block, Inline, body_heading_level, escape_html};
use crate::plan::WarningKind;

/// Our own marker elements: earlier passes (shortcodes, Gutenberg blocks) turn what cannot be
/// imported into these, and they pass the allow-list like any element.
pub(crate) const PLACEHOLDER_TAG: &str = "x-dateline-placeholder";
pub(crate) const GALLERY_TAG: &str = "x-dateline-gallery";

/// Elements deeper than this are read as plain text: a hostile file cannot exhaust the stack.
const MAX_DEPTH: usize = 48;

static IMPORT_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "article",
        "aside",
        "audio",
        "b",
        "big",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "dd",
        "del",
        "details",
        "div",
        "dl",
        "dt",
        "em",
        "embed",
        "figcaption",
        "figure",
        "font",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "i",
        "iframe",
        "img",
        "ins",
        "kbd",
        "li",
        "main",
        "mark",
        "nav",
        "object",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "section",
        "small",
        "source",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
        "video",
        PLACEHOLDER_TAG,
        GALLERY_TAG,
    ]
    .into_iter()
    .collect();
    let mut builder = ammonia::Builder::default();
    builder
        .tags(tags)
        .clean_content_tags(
            [
                "script", "style", "noscript", "template", "title", "textarea",
            ]
            .into_iter()
            .collect(),
        )
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [
                ("a", ["href", "title"].as_slice()),
                ("img", &["src", "alt", "title"]),
                ("iframe", &["src", "title"]),
                ("video", &["src", "poster"]),
                ("audio", &["src"]),
                ("source", &["src"]),
                ("embed", &["src"]),
                ("object", &["data"]),
                ("ol", &["start"]),
                ("td", &["colspan", "rowspan"]),
                ("th", &["colspan", "rowspan"]),
                ("pre", &["class", "lang"]),
                ("code", &["class"]),
                (PLACEHOLDER_TAG, &["data-label", "data-href"]),
            ]
            .into_iter()
            .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
            .collect(),
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(None)
        .strip_comments(true);
    builder
});

/// An HTML block as the public page will keep it: `dateline_core::markdown::render_html` reads a
/// one-line block as CommonMark raw HTML and cleans it with the page's own allow-list, so what is
/// stored is exactly what readers get, from the one list that decides it.
fn page_html(html: &str) -> String {
    let one_block: String = html.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    dateline_core::markdown::render_html(&one_block)
        .trim()
        .to_owned()
}

/// Markup that the allow-list takes out because it could run code: reported per item.
fn looks_hostile(html: &str) -> bool {
    let lower = html.to_ascii_lowercase();
    lower.contains("<script")
        || lower.contains("javascript:")
        || lower.contains("vbscript:")
        || lower.contains("data:text")
        || lower
            .split(|c: char| c.is_whitespace() || c == '/' || c == '"' || c == '\'')
            .any(|word| {
                word.starts_with("on")
                    && word.len() > 3
                    && word[2..].find('=').is_some_and(|eq| {
                        eq > 0 && word[2..2 + eq].chars().all(|c| c.is_ascii_alphabetic())
                    })
            })
}

/// HTML to blocks.
pub(crate) fn blocks(html: &str, conversion: &mut Conversion) -> Vec<Block> {
    if looks_hostile(html) {
        conversion.note(
            WarningKind::UnsafeMarkupRemoved,
            "scripts, event handlers or javascript:/data: links were removed",
        );
    }
    let root = dom::parse(&IMPORT_CLEANER.clean(html).to_string());
    let mut walker = Walker { conversion };
    walker.blocks_of(&root, 0)
}

/// HTML to inline content (a caption, a title).
pub(crate) fn inlines(html: &str, conversion: &mut Conversion) -> Vec<Inline> {
    let root = dom::parse(&IMPORT_CLEANER.clean(html).to_string());
    let mut walker = Walker { conversion };
    walker.inlines_of(&root, 0)
}

/// Plain text of an HTML fragment (titles, excerpts), whitespace collapsed.
pub(crate) fn plain_text(html: &str) -> String {
    let root = dom::parse(&IMPORT_CLEANER.clean(html).to_string());
    let mut text = String::new();
    text_content(&root, &mut text, 0);
    collapse_whitespace(&text).trim().to_owned()
}

fn element_name(node: &Node) -> Option<&str> {
    (!node.is_text()).then_some(node.name.as_str())
}

fn attribute(node: &Node, wanted: &str) -> Option<String> {
    node.attr(wanted)
}

fn text_content(node: &Node, out: &mut String, depth: usize) {
    if node.is_text() {
        out.push_str(&node.text);
        return;
    }
    if depth > MAX_DEPTH * 4 {
        return;
    }
    if node.name == "br" {
        out.push('\n');
    }
    for child in &node.children {
        text_content(child, out, depth + 1);
    }
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() && c != '\u{a0}' {
            space = true;
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    if space {
        out.push(' ');
    }
    out
}

fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "a" | "abbr"
            | "b"
            | "big"
            | "br"
            | "cite"
            | "code"
            | "del"
            | "em"
            | "font"
            | "i"
            | "img"
            | "ins"
            | "kbd"
            | "mark"
            | "q"
            | "s"
            | "samp"
            | "small"
            | "span"
            | "strike"
            | "strong"
            | "sub"
            | "sup"
            | "time"
            | "tt"
            | "u"
            | "var"
    )
}

fn is_embed(name: &str) -> bool {
    matches!(name, "iframe" | "video" | "audio" | "embed" | "object")
}

/// The host part of a URL, for a placeholder's label.
fn host_of(url: &str) -> &str {
    let rest = url.split_once("//").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// Only web links survive into a placeholder.
fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| url.to_owned())
}

struct Walker<'a> {
    conversion: &'a mut Conversion,
}

impl Walker<'_> {
    fn blocks_of(&mut self, node: &Node, depth: usize) -> Vec<Block> {
        let mut blocks = Vec::new();
        let mut run: Vec<Inline> = Vec::new();
        if depth > MAX_DEPTH {
            let mut text = String::new();
            text_content(node, &mut text, 0);
            return vec![Block::Paragraph(vec![Inline::Text(collapse_whitespace(
                &text,
            ))])];
        }
        for child in node.children.iter() {
            match child.is_text() {
                true => run.push(Inline::Text(collapse_whitespace(&child.text))),
                false => {
                    let name = element_name(child).unwrap_or_default().to_owned();
                    if is_inline(&name) {
                        run.extend(self.inline_element(child, &name, depth + 1));
                    } else {
                        flush(&mut run, &mut blocks);
                        self.block_element(child, &name, depth + 1, &mut blocks);
                    }
                }
            }
        }
        flush(&mut run, &mut blocks);
        blocks
    }

    fn block_element(&mut self, node: &Node, name: &str, depth: usize, blocks: &mut Vec<Block>) {
        match name {
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                let level = name[1..].parse().unwrap_or(2);
                blocks.push(Block::Heading(
                    body_heading_level(level),
                    self.inlines_of(node, depth),
                ));
            }
            "blockquote" => blocks.push(Block::Quote(self.blocks_of(node, depth))),
            "ul" | "ol" => blocks.push(self.list(node, name == "ol", depth)),
            "pre" => blocks.push(code_block(node)),
            "hr" => blocks.push(Block::Rule),
            "table" => self.table(node, depth, blocks),
            "figure" => self.figure(node, depth, blocks),
            "dl" => {
                for child in node.children.iter() {
                    match element_name(child) {
                        Some("dt") => blocks.push(Block::Paragraph(vec![Inline::Strong(
                            self.inlines_of(child, depth + 1),
                        )])),
                        Some(_) => blocks.extend(self.blocks_of(child, depth + 1)),
                        None => {}
                    }
                }
            }
            _ if is_embed(name) => blocks.push(self.embed(node, name)),
            PLACEHOLDER_TAG => {
                let label = attribute(node, "data-label").unwrap_or_else(|| "Not imported".into());
                let href = attribute(node, "data-href").and_then(|h| web_url(&h));
                self.conversion
                    .note(WarningKind::Placeholder, format!("placeholder: {label}"));
                blocks.push(Block::Placeholder { label, href });
            }
            GALLERY_TAG => self.gallery(node, blocks),
            // Containers (div, section, p, figcaption out of a figure…): their inline runs are
            // paragraphs of their own.
            _ => blocks.extend(self.blocks_of(node, depth)),
        }
    }

    fn embed(&mut self, node: &Node, name: &str) -> Block {
        let src = attribute(node, "src")
            .or_else(|| attribute(node, "data"))
            .or_else(|| {
                node.children
                    .iter()
                    .find(|c| element_name(c) == Some("source"))
                    .and_then(|c| attribute(c, "src"))
            })
            .and_then(|s| web_url(&s));
        let what = match name {
            "video" => "Video",
            "audio" => "Audio",
            _ => "Embedded content",
        };
        let label = match &src {
            Some(url) => format!("{what} from {} not imported", host_of(url)),
            None => format!("{what} not imported"),
        };
        self.conversion
            .note(WarningKind::Placeholder, format!("placeholder: {label}"));
        Block::Placeholder { label, href: src }
    }

    fn list(&mut self, node: &Node, ordered: bool, depth: usize) -> Block {
        let start = attribute(node, "start")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(1);
        let mut items = Vec::new();
        for child in node.children.iter() {
            match element_name(child) {
                Some("li") => items.push(self.blocks_of(child, depth + 1)),
                Some("ul") | Some("ol") => {
                    // A list directly inside a list (invalid, but common) joins the item before it.
                    let nested = self.list(child, element_name(child) == Some("ol"), depth + 1);
                    match items.last_mut() {
                        Some(item) => item.push(nested),
                        None => items.push(vec![nested]),
                    }
                }
                Some(_) => items.push(self.blocks_of_single(child, depth + 1)),
                None => {}
            }
        }
        Block::List {
            ordered,
            start,
            items,
        }
    }

    fn blocks_of_single(&mut self, node: &Node, depth: usize) -> Vec<Block> {
        let name = element_name(node).unwrap_or_default().to_owned();
        let mut blocks = Vec::new();
        if is_inline(&name) {
            let mut run = self.inline_element(node, &name, depth);
            flush(&mut run, &mut blocks);
        } else {
            self.block_element(node, &name, depth, &mut blocks);
        }
        blocks
    }

    fn figure(&mut self, node: &Node, depth: usize, blocks: &mut Vec<Block>) {
        let children: Vec<Node> = node
            .children
            .iter()
            .filter(|c| element_name(c).is_some())
            .cloned()
            .collect();
        let caption = children
            .iter()
            .find(|c| element_name(c) == Some("figcaption"));
        let content: Vec<&Node> = children
            .iter()
            .filter(|c| element_name(c) != Some("figcaption"))
            .collect();
        // One picture, perhaps linked: a figure with its caption.
        if let [only] = content.as_slice() {
            let (image, link) = match element_name(only) {
                Some("img") => (Some((*only).clone()), None),
                Some("a") => {
                    let inner: Vec<Node> = only
                        .children
                        .iter()
                        .filter(|c| element_name(c).is_some())
                        .cloned()
                        .collect();
                    match inner.as_slice() {
                        [img] if element_name(img) == Some("img") => {
                            (Some(img.clone()), attribute(only, "href"))
                        }
                        _ => (None, None),
                    }
                }
                _ => (None, None),
            };
            if let Some(image) = image {
                let src = attribute(&image, "src").unwrap_or_default();
                self.conversion.image(&src);
                let caption = caption
                    .map(|c| self.inlines_of(c, depth + 1))
                    .unwrap_or_default();
                blocks.push(Block::Figure {
                    src,
                    alt: attribute(&image, "alt").unwrap_or_default(),
                    title: attribute(&image, "title").unwrap_or_default(),
                    link,
                    caption,
                });
                return;
            }
        }
        // Anything else (a table, a quote, an embed with its caption): its parts in order.
        blocks.extend(self.blocks_of(node, depth));
    }

    fn gallery(&mut self, node: &Node, blocks: &mut Vec<Block>) {
        let mut html = String::from("<figure>");
        let mut images = Vec::new();
        collect_images(node, &mut images, 0);
        if images.is_empty() {
            return;
        }
        for (src, alt) in &images {
            self.conversion.image(src);
            html.push_str(&format!(
                "<img src=\"{}\" alt=\"{}\">",
                escape_html(src),
                escape_html(alt)
            ));
        }
        let mut caption = String::new();
        for child in node.children.iter() {
            if element_name(child) == Some("figcaption") {
                text_content(child, &mut caption, 0);
            }
        }
        let caption = collapse_whitespace(&caption);
        if !caption.trim().is_empty() {
            html.push_str(&format!(
                "<figcaption>{}</figcaption>",
                escape_html(caption.trim())
            ));
        }
        html.push_str("</figure>");
        self.conversion.note(
            WarningKind::HtmlBlock,
            format!(
                "gallery of {} pictures kept as an HTML figure",
                images.len()
            ),
        );
        blocks.push(Block::Html(page_html(&html)));
    }

    fn table(&mut self, node: &Node, depth: usize, blocks: &mut Vec<Block>) {
        let mut rows: Vec<Node> = Vec::new();
        let mut caption = None;
        let mut header_rows = 0;
        for child in node.children.iter() {
            match element_name(child) {
                Some("caption") => caption = Some(child.clone()),
                Some("tr") => rows.push(child.clone()),
                Some(section @ ("thead" | "tbody" | "tfoot")) => {
                    for row in child.children.iter() {
                        if element_name(row) == Some("tr") {
                            rows.push(row.clone());
                            if section == "thead" {
                                header_rows += 1;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(caption) = caption {
            let inlines = self.inlines_of(&caption, depth + 1);
            flush(&mut inlines.clone(), blocks);
        }
        let cells = |row: &Node| -> Vec<Node> {
            row.children
                .iter()
                .filter(|c| matches!(element_name(c), Some("td" | "th")))
                .cloned()
                .collect()
        };
        let simple = header_rows <= 1
            && rows.iter().flat_map(&cells).all(|cell| {
                let spans = ["colspan", "rowspan"].iter().any(|a| {
                    attribute(&cell, a)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .is_some_and(|n| n > 1)
                });
                !spans && !has_block_content(&cell, 0)
            });
        if rows.is_empty() {
            return;
        }
        if !simple {
            // Merged cells or blocks inside cells: Markdown's tables cannot say it.
            let html = serialize(node);
            self.conversion.note(
                WarningKind::HtmlBlock,
                "table with merged cells or blocks in cells kept as HTML",
            );
            blocks.push(Block::Html(page_html(&html)));
            return;
        }
        let mut converted: Vec<Vec<Vec<Inline>>> = rows
            .iter()
            .map(|row| {
                cells(row)
                    .iter()
                    .map(|cell| self.inlines_of(cell, depth + 2))
                    .collect()
            })
            .collect();
        let header = converted.remove(0);
        blocks.push(Block::Table {
            header,
            rows: converted,
        });
    }

    fn inlines_of(&mut self, node: &Node, depth: usize) -> Vec<Inline> {
        let mut out = Vec::new();
        if depth > MAX_DEPTH {
            let mut text = String::new();
            text_content(node, &mut text, 0);
            return vec![Inline::Text(collapse_whitespace(&text))];
        }
        for child in node.children.iter() {
            match child.is_text() {
                true => out.push(Inline::Text(collapse_whitespace(&child.text))),
                false => {
                    let name = element_name(child).unwrap_or_default().to_owned();
                    if is_inline(&name) {
                        out.extend(self.inline_element(child, &name, depth + 1));
                    } else if name == "br" {
                        out.push(Inline::Break);
                    } else {
                        // A block inside inline content (a paragraph in a table cell): its text,
                        // set off by spaces.
                        out.push(Inline::Text(" ".into()));
                        out.extend(self.inlines_of(child, depth + 1));
                        out.push(Inline::Text(" ".into()));
                    }
                }
            }
        }
        out
    }

    fn inline_element(&mut self, node: &Node, name: &str, depth: usize) -> Vec<Inline> {
        let children = |walker: &mut Self| walker.inlines_of(node, depth);
        match name {
            "strong" | "b" => vec![Inline::Strong(children(self))],
            "em" | "i" | "cite" | "var" => vec![Inline::Emphasis(children(self))],
            "del" | "s" | "strike" => vec![Inline::Strike(children(self))],
            "code" | "kbd" | "samp" | "tt" => {
                let mut text = String::new();
                text_content(node, &mut text, 0);
                vec![Inline::Code(text)]
            }
            "br" => vec![Inline::Break],
            "img" => {
                let src = attribute(node, "src").unwrap_or_default();
                if src.is_empty() {
                    return Vec::new();
                }
                self.conversion.image(&src);
                vec![Inline::Image {
                    src,
                    alt: attribute(node, "alt").unwrap_or_default(),
                    title: attribute(node, "title").unwrap_or_default(),
                }]
            }
            "a" => {
                let inner = children(self);
                match attribute(node, "href") {
                    // A link inside a link cannot be said: the inner one keeps its words.
                    Some(href) => vec![Inline::Link {
                        href,
                        title: attribute(node, "title").unwrap_or_default(),
                        children: unlink(inner),
                    }],
                    None => inner,
                }
            }
            "sub" => vec![Inline::Script {
                tag: "sub",
                children: children(self),
            }],
            "sup" => vec![Inline::Script {
                tag: "sup",
                children: children(self),
            }],
            "q" => {
                let mut inner = vec![Inline::Text("“".into())];
                inner.extend(children(self));
                inner.push(Inline::Text("”".into()));
                inner
            }
            // span, mark, small, u, abbr, font, time, ins, big: their words.
            _ => children(self),
        }
    }
}

fn unlink(inlines: Vec<Inline>) -> Vec<Inline> {
    inlines
        .into_iter()
        .flat_map(|inline| match inline {
            Inline::Link { children, .. } => unlink(children),
            other => vec![other],
        })
        .collect()
}

fn flush(run: &mut Vec<Inline>, blocks: &mut Vec<Block>) {
    let blank = run.iter().all(|i| match i {
        Inline::Text(t) => t.trim().is_empty(),
        Inline::Break => true,
        _ => false,
    });
    if !blank {
        // Breaks at the edges of a paragraph say nothing.
        while matches!(run.last(), Some(Inline::Break))
            || matches!(run.last(), Some(Inline::Text(t)) if t.trim().is_empty())
        {
            run.pop();
        }
        let first_content = run
            .iter()
            .position(|i| {
                !matches!(i, Inline::Break) && !matches!(i, Inline::Text(t) if t.trim().is_empty())
            })
            .unwrap_or(0);
        blocks.push(Block::Paragraph(run.split_off(first_content)));
    }
    run.clear();
}

fn has_block_content(node: &Node, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return true;
    }
    node.children.iter().any(|child| match element_name(child) {
        Some("p") => has_block_content(child, depth + 1),
        Some(name) if !is_inline(name) => true,
        Some(_) => has_block_content(child, depth + 1),
        None => false,
    })
}

fn collect_images(node: &Node, out: &mut Vec<(String, String)>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    for child in node.children.iter() {
        if element_name(child) == Some("img") {
            if let Some(src) = attribute(child, "src") {
                out.push((src, attribute(child, "alt").unwrap_or_default()));
            }
        } else {
            collect_images(child, out, depth + 1);
        }
    }
}

fn code_block(node: &Node) -> Block {
    let mut text = String::new();
    text_content(node, &mut text, 0);
    let classes = std::iter::once(node.clone())
        .chain(node.children.iter().cloned())
        .filter_map(|n| attribute(&n, "class").or_else(|| attribute(&n, "lang")))
        .collect::<Vec<_>>()
        .join(" ");
    let language = classes
        .split([' ', ';'])
        .find_map(|class| {
            class
                .strip_prefix("language-")
                .or_else(|| class.strip_prefix("lang-"))
        })
        .unwrap_or_else(|| {
            // SyntaxHighlighter's `brush: php` and a bare `lang="php"`.
            classes
                .split_once("brush:")
                .map_or(classes.as_str(), |(_, rest)| rest)
                .split([' ', ';'])
                .find(|w| !w.is_empty() && !w.contains("wp-block") && !w.contains(':'))
                .unwrap_or("")
        })
        .to_owned();
    // A leading newline right after <pre> is not content (HTML §13.2.6.4.7).
    let text = text.strip_prefix('\n').unwrap_or(&text).to_owned();
    Block::Code { language, text }
}

/// Serialises a subtree as HTML, for the page cleaner that follows.
fn serialize(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, &mut out, 0);
    out
}

fn write_node(node: &Node, out: &mut String, depth: usize) {
    if depth > MAX_DEPTH * 2 {
        return;
    }
    if node.is_text() {
        out.push_str(&escape_html(&node.text));
        return;
    }
    let root = node.name.starts_with('#');
    if !root {
        out.push('<');
        out.push_str(&node.name);
        for (key, value) in &node.attrs {
            out.push_str(&format!(" {key}=\"{}\"", escape_html(value)));
        }
        out.push('>');
    }
    for child in &node.children {
        write_node(child, out, depth + 1);
    }
    if !root && !matches!(node.name.as_str(), "br" | "img" | "hr") {
        out.push_str(&format!("</{}>", node.name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::{Conversion, markdown::render};

    fn md(html: &str) -> String {
        let mut conversion = Conversion::default();
        render(&blocks(html, &mut conversion))
    }

    #[test]
    fn converts_the_common_structures() {
        assert_eq!(
            md("<p>Hello <strong>bold</strong> and <em>soft</em></p>"),
            "Hello **bold** and *soft*"
        );
        assert_eq!(md("<h1>Top</h1><h5>Low</h5>"), "## Top\n\n#### Low");
        assert_eq!(
            md("<ul><li>a<ul><li>b</li></ul></li><li>c</li></ul>"),
            "- a\n  - b\n- c"
        );
        assert_eq!(
            md("<ol start=\"3\"><li>x</li><li>y</li></ol>"),
            "3. x\n4. y"
        );
        assert_eq!(
            md("<blockquote><p>q</p><p>r</p></blockquote>"),
            "> q\n>\n> r"
        );
        assert_eq!(
            md(
                "<pre class=\"wp-block-code\"><code class=\"language-rust\">fn x() {}\n</code></pre>"
            ),
            "```rust\nfn x() {}\n```"
        );
        assert_eq!(md("<p>a<br>b</p><hr>"), "a\\\nb\n\n---");
    }

    #[test]
    fn hostile_markup_is_inert() {
        let mut conversion = Conversion::default();
        let out = render(&blocks(
            "<p onclick=\"x()\">Hi<script>alert(1)</script><a href=\"javascript:alert(1)\">link</a><img src=x onerror=alert(1)></p><iframe src=\"javascript:alert(1)\"></iframe>",
            &mut conversion,
        ));
        assert!(!out.contains("alert"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(
            conversion
                .notes
                .iter()
                .any(|n| n.kind == WarningKind::UnsafeMarkupRemoved),
            "{:?}",
            conversion.notes
        );
    }

    #[test]
    fn tables_with_spans_stay_html() {
        let out =
            md("<table><tr><td colspan=\"2\">wide</td></tr><tr><td>a</td><td>b</td></tr></table>");
        assert!(out.starts_with("<table>"), "{out}");
        assert!(!out.contains("\n\n"), "{out}");
        let simple = md(
            "<table><thead><tr><th>h|1</th><th>h2</th></tr></thead><tbody><tr><td>a</td><td><b>b</b></td></tr></tbody></table>",
        );
        assert_eq!(simple, "| h\\|1 | h2 |\n| --- | --- |\n| a | **b** |");
    }
}
