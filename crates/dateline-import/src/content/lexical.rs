//! Ghost 5+ stores posts as Lexical JSON: a tree of block nodes (paragraph, heading, quote, list)
//! holding text nodes whose `format` is a bit set, plus Ghost's cards as nodes of their own.

use serde_json::Value;

use super::Conversion;
use super::cards;
use super::markdown::{Block, Inline, body_heading_level};

/// Lexical's text format bits (lexical `TextFormatType`).
const BOLD: u64 = 1;
const ITALIC: u64 = 1 << 1;
const STRIKETHROUGH: u64 = 1 << 2;
const CODE: u64 = 1 << 4;
const SUBSCRIPT: u64 = 1 << 5;
const SUPERSCRIPT: u64 = 1 << 6;

/// Deeper nodes are ignored (serde_json already stops at 128 levels of JSON).
const MAX_DEPTH: usize = 48;

pub(crate) fn blocks(
    document: &str,
    conversion: &mut Conversion,
) -> Result<Vec<Block>, serde_json::Error> {
    let value: Value = serde_json::from_str(document)?;
    let children = value
        .pointer("/root/children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    Ok(block_nodes(children, conversion, 0))
}

fn children(node: &Value) -> &[Value] {
    node.get("children")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

fn kind(node: &Value) -> &str {
    node.get("type").and_then(Value::as_str).unwrap_or("")
}

fn block_nodes(nodes: &[Value], conversion: &mut Conversion, depth: usize) -> Vec<Block> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let mut blocks = Vec::new();
    for node in nodes {
        match kind(node) {
            "paragraph" => blocks.push(Block::Paragraph(inline_nodes(children(node), depth))),
            "heading" | "extended-heading" => {
                let level = node
                    .get("tag")
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix('h'))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(2);
                blocks.push(Block::Heading(
                    body_heading_level(level),
                    inline_nodes(children(node), depth),
                ));
            }
            "quote" | "extended-quote" | "aside" => {
                blocks.push(Block::Quote(vec![Block::Paragraph(inline_nodes(
                    children(node),
                    depth,
                ))]))
            }
            "list" => blocks.push(list(node, depth)),
            // Cards: payload fields sit on the node itself.
            card => blocks.extend(cards::card(card, node, conversion)),
        }
    }
    blocks
}

fn list(node: &Value, depth: usize) -> Block {
    let ordered = node.get("listType").and_then(Value::as_str) == Some("number");
    let start = node.get("start").and_then(Value::as_u64).unwrap_or(1);
    let mut items: Vec<Vec<Block>> = Vec::new();
    for item in children(node) {
        let (lists, inlines): (Vec<&Value>, Vec<&Value>) =
            children(item).iter().partition(|c| kind(c) == "list");
        let nested: Vec<Block> = lists.into_iter().map(|l| list(l, depth + 1)).collect();
        if inlines.is_empty() && !nested.is_empty() {
            // Lexical nests a list as an item of its own that holds only the list.
            match items.last_mut() {
                Some(previous) => previous.extend(nested),
                None => items.push(nested),
            }
            continue;
        }
        let inlines: Vec<Value> = inlines.into_iter().cloned().collect();
        let mut blocks = vec![Block::Paragraph(inline_nodes(&inlines, depth + 1))];
        blocks.extend(nested);
        items.push(blocks);
    }
    Block::List {
        ordered,
        start,
        items,
    }
}

fn inline_nodes(nodes: &[Value], depth: usize) -> Vec<Inline> {
    if depth > MAX_DEPTH {
        return Vec::new();
    }
    let mut out = Vec::new();
    for node in nodes {
        match kind(node) {
            "text" | "extended-text" | "hashtag" | "tab" => {
                let text = node.get("text").and_then(Value::as_str).unwrap_or("");
                let format = node.get("format").and_then(Value::as_u64).unwrap_or(0);
                out.push(formatted(text, format));
            }
            "linebreak" => out.push(Inline::Break),
            "link" | "autolink" => out.push(Inline::Link {
                href: node
                    .get("url")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                title: node
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                children: inline_nodes(children(node), depth + 1),
            }),
            _ => out.extend(inline_nodes(children(node), depth + 1)),
        }
    }
    out
}

fn formatted(text: &str, format: u64) -> Inline {
    let mut inline = if format & CODE != 0 {
        Inline::Code(text.to_owned())
    } else {
        Inline::Text(text.to_owned())
    };
    if format & SUBSCRIPT != 0 {
        inline = Inline::Script {
            tag: "sub",
            children: vec![inline],
        };
    }
    if format & SUPERSCRIPT != 0 {
        inline = Inline::Script {
            tag: "sup",
            children: vec![inline],
        };
    }
    if format & STRIKETHROUGH != 0 {
        inline = Inline::Strike(vec![inline]);
    }
    if format & ITALIC != 0 {
        inline = Inline::Emphasis(vec![inline]);
    }
    if format & BOLD != 0 {
        inline = Inline::Strong(vec![inline]);
    }
    inline
}

#[cfg(test)]
mod tests {
    use crate::content::lexical_to_markdown;

    #[test]
    fn reads_text_formats_lists_and_cards() {
        let doc = r#"{"root":{"children":[
            {"type":"heading","tag":"h1","children":[{"type":"extended-text","text":"Title","format":0}]},
            {"type":"paragraph","children":[
                {"type":"text","text":"Bold","format":1},{"type":"text","text":" and ","format":0},
                {"type":"link","url":"https://example.org","children":[{"type":"text","text":"link","format":2}]}]},
            {"type":"list","listType":"number","start":1,"children":[
                {"type":"listitem","children":[{"type":"text","text":"one","format":0}]},
                {"type":"listitem","children":[{"type":"list","listType":"bullet","children":[
                    {"type":"listitem","children":[{"type":"text","text":"inner","format":0}]}]}]}]},
            {"type":"codeblock","language":"js","code":"let a = 1;"},
            {"type":"embed","url":"https://youtube.com/watch?v=1","embedType":"video"}
        ]}}"#;
        let out = lexical_to_markdown(doc).expect("valid");
        assert_eq!(
            out.markdown,
            "## Title\n\n**Bold** and [*link*](https://example.org)\n\n1. one\n   - inner\n\n```js\nlet a = 1;\n```\n\n*\\[Embedded video from youtube.com not imported\\]* [https://youtube.com/watch?v=1](https://youtube.com/watch?v=1)"
        );
        assert_eq!(out.notes.len(), 1);
    }
}
