//! Ghost 1–4 stores posts as Mobiledoc 0.3 JSON: sections of markers, where each marker opens
//! some markups (`b`, `a` with attributes) and closes a number of them, plus cards and atoms.

use serde_json::Value;

use super::Conversion;
use super::cards;
use super::markdown::{Block, Inline, body_heading_level};

const MARKUP_SECTION: u64 = 1;
const IMAGE_SECTION: u64 = 2;
const LIST_SECTION: u64 = 3;
const CARD_SECTION: u64 = 10;

pub(crate) fn blocks(
    document: &str,
    conversion: &mut Conversion,
) -> Result<Vec<Block>, serde_json::Error> {
    let doc: Value = serde_json::from_str(document)?;
    let empty = Vec::new();
    let list = |key: &str| doc.get(key).and_then(Value::as_array).unwrap_or(&empty);
    let (markups, atoms, cards_list) = (list("markups"), list("atoms"), list("cards"));
    let mut blocks = Vec::new();
    for section in list("sections") {
        let Some(parts) = section.as_array() else {
            continue;
        };
        let kind = parts.first().and_then(Value::as_u64).unwrap_or(0);
        let tag = parts
            .get(1)
            .and_then(Value::as_str)
            .unwrap_or("p")
            .to_ascii_lowercase();
        match kind {
            MARKUP_SECTION => {
                let inlines = markers(parts.get(2), markups, atoms);
                blocks.push(match tag.as_str() {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        Block::Heading(body_heading_level(tag[1..].parse().unwrap_or(2)), inlines)
                    }
                    "blockquote" | "aside" | "pull-quote" => {
                        Block::Quote(vec![Block::Paragraph(inlines)])
                    }
                    _ => Block::Paragraph(inlines),
                });
            }
            IMAGE_SECTION => {
                let payload = serde_json::json!({ "src": parts.get(1).and_then(Value::as_str).unwrap_or("") });
                blocks.extend(cards::card("image", &payload, conversion));
            }
            LIST_SECTION => {
                let items = parts
                    .get(2)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|item| vec![Block::Paragraph(markers(Some(item), markups, atoms))])
                    .collect();
                blocks.push(Block::List {
                    ordered: tag == "ol",
                    start: 1,
                    items,
                });
            }
            CARD_SECTION => {
                let index = parts.get(1).and_then(Value::as_u64).unwrap_or(u64::MAX);
                if let Some(card) = usize::try_from(index).ok().and_then(|i| cards_list.get(i)) {
                    let name = card.get(0).and_then(Value::as_str).unwrap_or("");
                    let payload = card.get(1).cloned().unwrap_or(Value::Null);
                    blocks.extend(cards::card(name, &payload, conversion));
                }
            }
            _ => {}
        }
    }
    Ok(blocks)
}

/// Builds the inline tree of one section's markers.
fn markers(markers: Option<&Value>, markups: &[Value], atoms: &[Value]) -> Vec<Inline> {
    // Each open markup is a frame collecting its children; the bottom frame is the section.
    let mut frames: Vec<(Option<&Value>, Vec<Inline>)> = vec![(None, Vec::new())];
    for marker in markers.and_then(Value::as_array).into_iter().flatten() {
        let Some(parts) = marker.as_array() else {
            continue;
        };
        let is_atom = parts.first().and_then(Value::as_u64) == Some(1);
        for open in parts.get(1).and_then(Value::as_array).into_iter().flatten() {
            let markup = open
                .as_u64()
                .and_then(|i| markups.get(usize::try_from(i).ok()?));
            frames.push((markup, Vec::new()));
        }
        let value = parts.get(3);
        let inline = if is_atom {
            let atom = value
                .and_then(Value::as_u64)
                .and_then(|i| atoms.get(usize::try_from(i).ok()?));
            match atom.and_then(|a| a.get(0)).and_then(Value::as_str) {
                Some("soft-return") => Inline::Break,
                _ => Inline::Text(
                    atom.and_then(|a| a.get(1))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned(),
                ),
            }
        } else {
            Inline::Text(value.and_then(Value::as_str).unwrap_or("").to_owned())
        };
        if let Some((_, top)) = frames.last_mut() {
            top.push(inline);
        }
        let closes = parts.get(2).and_then(Value::as_u64).unwrap_or(0);
        for _ in 0..closes {
            close(&mut frames);
        }
    }
    while frames.len() > 1 {
        close(&mut frames);
    }
    frames.pop().map(|(_, inlines)| inlines).unwrap_or_default()
}

fn close(frames: &mut Vec<(Option<&Value>, Vec<Inline>)>) {
    if frames.len() < 2 {
        return;
    }
    let Some((markup, children)) = frames.pop() else {
        return;
    };
    let tag = markup
        .and_then(|m| m.get(0))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    let attr = |name: &str| -> String {
        let attrs = markup.and_then(|m| m.get(1)).and_then(Value::as_array);
        attrs
            .and_then(|a| {
                a.chunks(2)
                    .find(|pair| pair.first().and_then(Value::as_str) == Some(name))
                    .and_then(|pair| pair.get(1))
                    .and_then(Value::as_str)
            })
            .unwrap_or("")
            .to_owned()
    };
    let wrapped = match tag.as_str() {
        "b" | "strong" => vec![Inline::Strong(children)],
        "i" | "em" => vec![Inline::Emphasis(children)],
        "s" | "strike" | "del" => vec![Inline::Strike(children)],
        "code" => {
            let text = children
                .iter()
                .map(|c| match c {
                    Inline::Text(t) => t.as_str(),
                    _ => "",
                })
                .collect();
            vec![Inline::Code(text)]
        }
        "a" => vec![Inline::Link {
            href: attr("href"),
            title: attr("title"),
            children,
        }],
        "sub" => vec![Inline::Script {
            tag: "sub",
            children,
        }],
        "sup" => vec![Inline::Script {
            tag: "sup",
            children,
        }],
        _ => children,
    };
    if let Some((_, parent)) = frames.last_mut() {
        parent.extend(wrapped);
    }
}

#[cfg(test)]
mod tests {
    use crate::content::mobiledoc_to_markdown;

    #[test]
    fn reads_markers_and_cards() {
        let doc = r#"{"version":"0.3.1","atoms":[["soft-return","",{}]],
            "cards":[["hr",{}],["markdown",{"markdown":"*kept*"}],["image",{"src":"/content/images/2019/01/a.jpg","alt":"A","caption":"Cap <b>bold</b>"}]],
            "markups":[["b"],["a",["href","https://ghost.org"]]],
            "sections":[[1,"h2",[[0,[],0,"Head"]]],[1,"p",[[0,[0],0,"bold "],[0,[1],2,"link"],[0,[],0," after"],[1,[],0,0],[0,[],0,"next"]]],
                [3,"ul",[[[0,[],0,"a"]],[[0,[],0,"b"]]]],[10,0],[10,1],[10,2]]}"#;
        let out = mobiledoc_to_markdown(doc).expect("valid");
        assert_eq!(
            out.markdown,
            "## Head\n\n**bold [link](https://ghost.org)** after\\\nnext\n\n- a\n- b\n\n---\n\n*kept*\n\n<figure><img src=\"/content/images/2019/01/a.jpg\" alt=\"A\"><figcaption>Cap <strong>bold</strong></figcaption></figure>"
        );
        assert_eq!(out.images, vec!["/content/images/2019/01/a.jpg"]);
    }
}
