//! A small tree of the HTML ammonia hands back. ammonia parses with html5ever (repairing broken
//! markup as browsers do), drops what is not allowed, and serialises the rest in HTML5's regular
//! form: every element but the void ones closed, attributes double-quoted, text escaped with
//! `&amp;`, `&lt;`, `&gt;`, `&quot;` and `&nbsp;`. That regular form is all this reads, so the
//! tree is exactly the cleaned document.

/// An element (with a name) or a text node (without one).
#[derive(Debug, Default, Clone)]
pub(crate) struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn is_text(&self) -> bool {
        self.name.is_empty()
    }

    pub fn attr(&self, wanted: &str) -> Option<String> {
        self.attrs
            .iter()
            .find(|(k, _)| k == wanted)
            .map(|(_, v)| v.clone())
    }
}

/// HTML's void elements (HTML §13.1.2): they have no end tag.
fn is_void(name: &str) -> bool {
    matches!(
        name,
        "area"
            | "base"
            | "br"
            | "col"
            | "embed"
            | "hr"
            | "img"
            | "input"
            | "link"
            | "meta"
            | "param"
            | "source"
            | "track"
            | "wbr"
    )
}

pub(crate) fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let name = &tail[1..e];
            let c = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some('\u{a0}'),
                _ => name
                    .strip_prefix("#x")
                    .or_else(|| name.strip_prefix("#X"))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .or_else(|| name.strip_prefix('#').and_then(|d| d.parse().ok()))
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &tail[e + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_tag(tag: &str) -> (String, Vec<(String, String)>) {
    let name_end = tag
        .find(|c: char| c.is_whitespace() || c == '/')
        .unwrap_or(tag.len());
    let name = tag[..name_end].to_ascii_lowercase();
    let mut attrs = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() && !rest.starts_with('/') {
        let key_end = rest
            .find(|c: char| c == '=' || c.is_whitespace() || c == '/')
            .unwrap_or(rest.len());
        let key = rest[..key_end].to_ascii_lowercase();
        rest = rest[key_end..].trim_start();
        let mut value = String::new();
        if let Some(after) = rest.strip_prefix('=') {
            let after = after.trim_start();
            if let Some(quoted) = after.strip_prefix('"') {
                let close = quoted.find('"').unwrap_or(quoted.len());
                value = unescape(&quoted[..close]);
                rest = quoted.get(close + 1..).unwrap_or("");
            } else {
                let close = after.find(char::is_whitespace).unwrap_or(after.len());
                value = unescape(&after[..close]);
                rest = &after[close..];
            }
        }
        if !key.is_empty() {
            attrs.push((key, value));
        }
        rest = rest.trim_start();
        if key_end == 0 && !rest.is_empty() {
            // Not an attribute character: skip it rather than loop.
            rest = &rest[rest.chars().next().map_or(1, char::len_utf8)..];
        }
    }
    (name, attrs)
}

/// Builds the tree of serialised, cleaned HTML. No recursion: depth costs heap, not stack.
pub(crate) fn parse(html: &str) -> Node {
    let mut stack: Vec<Node> = vec![Node {
        name: "#root".into(),
        ..Node::default()
    }];
    let mut rest = html;
    let push_text = |stack: &mut Vec<Node>, text: &str| {
        if text.is_empty() {
            return;
        }
        if let Some(top) = stack.last_mut() {
            top.children.push(Node {
                text: unescape(text),
                ..Node::default()
            });
        }
    };
    while let Some(at) = rest.find('<') {
        push_text(&mut stack, &rest[..at]);
        let tail = &rest[at + 1..];
        let Some(end) = tail.find('>') else {
            push_text(&mut stack, &rest[at..]);
            rest = "";
            break;
        };
        let tag = &tail[..end];
        rest = &tail[end + 1..];
        if let Some(closing) = tag.strip_prefix('/') {
            let name = closing.trim().to_ascii_lowercase();
            if let Some(open) = stack.iter().rposition(|n| n.name == name) {
                while stack.len() > open.max(1) {
                    if let Some(done) = stack.pop()
                        && let Some(parent) = stack.last_mut()
                    {
                        parent.children.push(done);
                    }
                }
            }
        } else if tag.starts_with('!') || tag.starts_with('?') {
            // Comments and declarations: ammonia strips them; nothing to keep.
        } else {
            let (name, attrs) = parse_tag(tag);
            let node = Node {
                name: name.clone(),
                attrs,
                ..Node::default()
            };
            if is_void(&name) || tag.ends_with('/') {
                if let Some(top) = stack.last_mut() {
                    top.children.push(node);
                }
            } else {
                stack.push(node);
            }
        }
    }
    push_text(&mut stack, rest);
    while stack.len() > 1 {
        if let Some(done) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(done);
        }
    }
    stack.pop().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_serialised_html() {
        let root = parse(
            "<p class=\"a\">x &amp; y<br><img src=\"s?a=1&amp;b=2\" alt=\"&quot;q&quot;\">z</p>tail",
        );
        let p = &root.children[0];
        assert_eq!(p.name, "p");
        assert_eq!(p.attr("class").as_deref(), Some("a"));
        assert_eq!(p.children[0].text, "x & y");
        assert_eq!(p.children[1].name, "br");
        assert_eq!(p.children[2].attr("src").as_deref(), Some("s?a=1&b=2"));
        assert_eq!(p.children[2].attr("alt").as_deref(), Some("\"q\""));
        assert_eq!(p.children[3].text, "z");
        assert_eq!(root.children[1].text, "tail");
    }
}
