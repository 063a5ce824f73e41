//! One document model and one Markdown writer for every source format: HTML (classic and
//! Gutenberg), Lexical and Mobiledoc all become [`Block`]s, and this module alone decides how a
//! block is spelled in the CommonMark (plus tables and strikethrough) that `dateline-core`'s
//! renderer reads. Where CommonMark's delimiter rules would misread emphasis (a run that starts or
//! ends with punctuation, or touches another `*`), the inline HTML the renderer allows
//! (`<strong>`, `<em>`, `<del>`) is written instead.

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Inline {
    Text(String),
    Strong(Vec<Inline>),
    Emphasis(Vec<Inline>),
    Strike(Vec<Inline>),
    Code(String),
    Link {
        href: String,
        title: String,
        children: Vec<Inline>,
    },
    Image {
        src: String,
        alt: String,
        title: String,
    },
    Break,
    /// `sub` or `sup`, which Markdown cannot say and the renderer allows as HTML.
    Script {
        tag: &'static str,
        children: Vec<Inline>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Block {
    Paragraph(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    Quote(Vec<Block>),
    List {
        ordered: bool,
        start: u64,
        items: Vec<Vec<Block>>,
    },
    Code {
        language: String,
        text: String,
    },
    Rule,
    Figure {
        src: String,
        alt: String,
        title: String,
        link: Option<String>,
        caption: Vec<Inline>,
    },
    Table {
        header: Vec<Vec<Inline>>,
        rows: Vec<Vec<Vec<Inline>>>,
    },
    /// Sanitised HTML that Markdown cannot say, on lines without blank ones so CommonMark reads
    /// it as one HTML block (CommonMark 0.31 §4.6, start condition 6).
    Html(String),
    /// Something that is not imported, shown to the reader as such.
    Placeholder {
        label: String,
        href: Option<String>,
    },
    /// Markdown written by hand in the source (Ghost's Markdown card), kept as it is.
    Markdown(String),
}

/// Headings in a body sit under the article's headline (the page's only `h1`) and the renderer
/// allows `h2`–`h4`: levels outside are brought inside.
pub(crate) fn body_heading_level(level: u8) -> u8 {
    level.clamp(2, 4)
}

pub(crate) fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    write_blocks(blocks, &mut out);
    out
}

fn write_blocks(blocks: &[Block], out: &mut String) {
    let mut previous_list: Option<(bool, bool)> = None;
    for block in blocks {
        let mut alternate = false;
        if let Block::List { ordered, .. } = block {
            // Two lists in a row would merge into one; a different marker keeps them apart
            // (CommonMark §5.3: changing the bullet or delimiter starts a new list).
            if let Some((was_ordered, was_alternate)) = previous_list
                && was_ordered == *ordered
            {
                alternate = !was_alternate;
            }
        }
        let text = block_markdown(block, alternate);
        if text.trim().is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&text);
        previous_list = match block {
            Block::List { ordered, .. } => Some((*ordered, alternate)),
            _ => None,
        };
    }
}

fn block_markdown(block: &Block, alternate_marker: bool) -> String {
    match block {
        Block::Paragraph(inlines) => paragraph(inlines),
        Block::Heading(level, inlines) => {
            let mut text = inline_markdown(inlines, Context::Heading);
            text = text.trim().to_owned();
            if text.is_empty() {
                return String::new();
            }
            if text.ends_with('#') {
                // A trailing run of `#` would be read as the closing sequence.
                text.insert(text.len() - 1, '\\');
            }
            format!("{} {text}", "#".repeat(usize::from(*level)))
        }
        Block::Quote(children) => {
            let inner = render(children);
            prefix_lines(&inner, "> ", ">")
        }
        Block::List {
            ordered,
            start,
            items,
        } => list(*ordered, *start, items, alternate_marker),
        Block::Code { language, text } => code_block(language, text),
        Block::Rule => "---".to_owned(),
        Block::Figure {
            src,
            alt,
            title,
            link,
            caption,
        } => figure(src, alt, title, link.as_deref(), caption),
        Block::Table { header, rows } => table(header, rows),
        Block::Html(html) => html_block(html),
        Block::Placeholder { label, href } => {
            let mut inlines = vec![Inline::Emphasis(vec![Inline::Text(format!("[{label}]"))])];
            if let Some(href) = href {
                inlines.push(Inline::Text(" ".into()));
                inlines.push(Inline::Link {
                    href: href.clone(),
                    title: String::new(),
                    children: vec![Inline::Text(href.clone())],
                });
            }
            paragraph(&inlines)
        }
        Block::Markdown(text) => text.trim().to_owned(),
    }
}

fn prefix_lines(text: &str, prefix: &str, empty_prefix: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                empty_prefix.to_owned()
            } else {
                format!("{prefix}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn list(ordered: bool, start: u64, items: &[Vec<Block>], alternate: bool) -> String {
    // A tight list (no blank lines) when every item is at most one paragraph followed by lists.
    let tight = items.iter().all(|item| {
        item.iter().enumerate().all(|(i, b)| match b {
            Block::Paragraph(_) => i == 0,
            Block::List { .. } => true,
            _ => false,
        })
    });
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let marker = if ordered {
            format!("{}{} ", start + i as u64, if alternate { ")" } else { "." })
        } else {
            (if alternate { "* " } else { "- " }).to_owned()
        };
        let body = if tight {
            item.iter()
                .map(|b| block_markdown(b, false))
                .filter(|s| !s.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            render(item)
        };
        let indent = " ".repeat(marker.len());
        let mut lines = body.lines();
        let mut text = match lines.next() {
            Some(first) => format!("{marker}{first}"),
            None => marker.trim_end().to_owned(),
        };
        for line in lines {
            text.push('\n');
            if !line.is_empty() {
                text.push_str(&indent);
                text.push_str(line);
            }
        }
        out.push(text);
    }
    out.join(if tight { "\n" } else { "\n\n" })
}

fn code_block(language: &str, text: &str) -> String {
    let longest = longest_run(text, '`');
    let fence = "`".repeat(longest.max(2) + 1);
    let language: String = language
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '.'))
        .collect();
    let body = text.trim_end_matches('\n');
    format!("{fence}{language}\n{body}\n{fence}")
}

fn longest_run(text: &str, wanted: char) -> usize {
    let mut longest = 0;
    let mut current = 0;
    for c in text.chars() {
        if c == wanted {
            current += 1;
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    longest
}

fn figure(src: &str, alt: &str, title: &str, link: Option<&str>, caption: &[Inline]) -> String {
    let image = Inline::Image {
        src: src.to_owned(),
        alt: alt.to_owned(),
        title: title.to_owned(),
    };
    let has_caption = !inline_markdown(caption, Context::Paragraph)
        .trim()
        .is_empty();
    if !has_caption {
        let inline = match link {
            Some(href) => Inline::Link {
                href: href.to_owned(),
                title: String::new(),
                children: vec![image],
            },
            None => image,
        };
        return paragraph(&[inline]);
    }
    // Markdown has no caption: the renderer's allow-list keeps figure and figcaption.
    let mut img = format!(
        "<img src=\"{}\" alt=\"{}\"",
        escape_html(src),
        escape_html(alt)
    );
    if !title.is_empty() {
        img.push_str(&format!(" title=\"{}\"", escape_html(title)));
    }
    img.push('>');
    if let Some(href) = link {
        img = format!("<a href=\"{}\">{img}</a>", escape_html(href));
    }
    html_block(&format!(
        "<figure>{img}<figcaption>{}</figcaption></figure>",
        inline_html(caption)
    ))
}

fn table(header: &[Vec<Inline>], rows: &[Vec<Vec<Inline>>]) -> String {
    let columns = rows
        .iter()
        .map(Vec::len)
        .chain(std::iter::once(header.len()))
        .max()
        .unwrap_or(0)
        .max(1);
    let row_text = |cells: &[Vec<Inline>]| {
        let mut line = String::from("|");
        for i in 0..columns {
            let cell = cells
                .get(i)
                .map(|c| inline_markdown(c, Context::TableCell))
                .unwrap_or_default();
            line.push(' ');
            line.push_str(cell.trim());
            line.push_str(" |");
        }
        line
    };
    let mut lines = vec![row_text(header)];
    lines.push(format!("|{}", " --- |".repeat(columns)));
    for row in rows {
        lines.push(row_text(row));
    }
    lines.join("\n")
}

fn html_block(html: &str) -> String {
    html.lines()
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
}

fn paragraph(inlines: &[Inline]) -> String {
    let text = inline_markdown(inlines, Context::Paragraph);
    text.lines()
        .map(|line| escape_line_start(line.trim()))
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Characters that would start a block construct at the beginning of a line.
fn escape_line_start(line: &str) -> String {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 9 {
        let rest = &line[digits..];
        if rest.starts_with(['.', ')']) && (rest.len() == 1 || rest[1..].starts_with(' ')) {
            return format!("{}\\{rest}", &line[..digits]);
        }
    }
    if line.starts_with(['#', '>', '-', '+', '=']) {
        return format!("\\{line}");
    }
    line.to_owned()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Paragraph,
    Heading,
    TableCell,
}

fn inline_markdown(inlines: &[Inline], context: Context) -> String {
    let mut out = String::new();
    for (i, inline) in inlines.iter().enumerate() {
        let next = inlines.get(i + 1);
        let next_is_bracket = matches!(next, Some(Inline::Link { .. } | Inline::Image { .. }));
        let next_char = next.and_then(first_char);
        write_inline(inline, context, &mut out, next_is_bracket, next_char);
    }
    out
}

/// The first character an inline will write, near enough for CommonMark's flanking rules.
fn first_char(inline: &Inline) -> Option<char> {
    match inline {
        Inline::Text(text) => text.chars().next().map(|c| match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~' => '\\',
            '\n' | '\r' | '\t' => ' ',
            c => c,
        }),
        Inline::Strong(_) | Inline::Emphasis(_) => Some('*'),
        Inline::Strike(_) => Some('~'),
        Inline::Code(_) => Some('`'),
        Inline::Link { .. } => Some('['),
        Inline::Image { .. } => Some('!'),
        Inline::Break => Some('\\'),
        Inline::Script { .. } => Some('<'),
    }
}

fn is_punctuation(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace()
}

fn write_inline(
    inline: &Inline,
    context: Context,
    out: &mut String,
    next_is_bracket: bool,
    next_char: Option<char>,
) {
    match inline {
        Inline::Text(text) => escape_text(text, context, out, next_is_bracket),
        Inline::Strong(children) => delimited(children, context, out, next_char, "**", "strong"),
        Inline::Emphasis(children) => delimited(children, context, out, next_char, "*", "em"),
        Inline::Strike(children) => delimited(children, context, out, next_char, "~~", "del"),
        Inline::Code(code) => {
            if code.is_empty() {
                return;
            }
            let ticks = "`".repeat(longest_run(code, '`') + 1);
            let code = code.replace('\n', " ");
            let pad = if code.starts_with('`') || code.ends_with('`') {
                " "
            } else {
                ""
            };
            out.push_str(&format!("{ticks}{pad}{code}{pad}{ticks}"));
        }
        Inline::Link {
            href,
            title,
            children,
        } => {
            let text = inline_markdown(children, context);
            if href.is_empty() {
                out.push_str(&text);
                return;
            }
            let text = if text.trim().is_empty() {
                let mut escaped = String::new();
                escape_text(href, context, &mut escaped, false);
                escaped
            } else {
                text
            };
            out.push('[');
            out.push_str(&text);
            out.push_str("](");
            out.push_str(&destination(href));
            write_title(title, out);
            out.push(')');
        }
        Inline::Image { src, alt, title } => {
            out.push_str("![");
            let mut escaped = String::new();
            escape_text(alt, context, &mut escaped, false);
            out.push_str(&escaped.replace('\n', " "));
            out.push_str("](");
            out.push_str(&destination(src));
            write_title(title, out);
            out.push(')');
        }
        Inline::Break => match context {
            Context::Paragraph => out.push_str("\\\n"),
            Context::Heading => out.push(' '),
            Context::TableCell => out.push_str("<br>"),
        },
        Inline::Script { tag, children } => {
            let inner = inline_markdown(children, context);
            if !inner.trim().is_empty() {
                out.push_str(&format!("<{tag}>{inner}</{tag}>"));
            }
        }
    }
}

fn write_title(title: &str, out: &mut String) {
    if !title.is_empty() {
        out.push_str(" \"");
        for c in title.chars() {
            if matches!(c, '"' | '\\') {
                out.push('\\');
            }
            out.push(if c == '\n' { ' ' } else { c });
        }
        out.push('"');
    }
}

/// A link destination: plain when it has no spaces, controls or unbalanced parentheses,
/// otherwise in angle brackets (CommonMark §6.3).
fn destination(url: &str) -> String {
    let mut depth = 0i32;
    let mut balanced = true;
    for c in url.chars() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    balanced = false;
                }
            }
            _ => {}
        }
    }
    let plain = balanced
        && depth == 0
        && !url.is_empty()
        && !url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>');
    if plain {
        url.replace('\\', "%5C")
    } else {
        let mut escaped = String::from("<");
        for c in url.chars() {
            match c {
                '<' => escaped.push_str("%3C"),
                '>' => escaped.push_str("%3E"),
                '\n' | '\r' => escaped.push_str("%20"),
                '\\' => escaped.push_str("%5C"),
                c => escaped.push(c),
            }
        }
        escaped.push('>');
        escaped
    }
}

/// Emphasis with `*` where CommonMark will read it back as such (§6.2: the opening run must be
/// left-flanking and the closing one right-flanking), otherwise the HTML the renderer allows.
fn delimited(
    children: &[Inline],
    context: Context,
    out: &mut String,
    next_char: Option<char>,
    marker: &str,
    tag: &str,
) {
    let inner = inline_markdown(children, context);
    let trimmed = inner.trim();
    if trimmed.is_empty() {
        out.push_str(&inner);
        return;
    }
    let leading = &inner[..inner.len() - inner.trim_start().len()];
    let trailing = &inner[inner.trim_end().len()..];
    out.push_str(leading);
    let first = trimmed.chars().next().unwrap_or(' ');
    let last = trimmed.chars().next_back().unwrap_or(' ');
    let before = out.chars().next_back();
    let after = if trailing.is_empty() {
        next_char
    } else {
        Some(' ')
    };
    let opens =
        !is_punctuation(first) || before.is_none_or(|c| c.is_whitespace() || is_punctuation(c));
    let closes =
        !is_punctuation(last) || after.is_none_or(|c| c.is_whitespace() || is_punctuation(c));
    let touches_marker =
        out.ends_with(['*', '~', '\\']) || after.is_some_and(|c| c == '*' || c == '~');
    if opens && closes && !touches_marker && !trimmed.contains('\n') {
        out.push_str(&format!("{marker}{trimmed}{marker}"));
    } else {
        out.push_str(&format!("<{tag}>{trimmed}</{tag}>"));
    }
    out.push_str(trailing);
}

fn escape_text(text: &str, context: Context, out: &mut String, next_is_bracket: bool) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '|' if context == Context::TableCell => out.push_str("\\|"),
            '!' => {
                // `!` before `[` would turn a following link into an image.
                let next = chars.peek();
                if next == Some(&'[') || (next.is_none() && next_is_bracket) {
                    out.push('\\');
                }
                out.push('!');
            }
            '&' => {
                // Only where it could start an entity (`&amp;`, `&#1;`), so "AT&T" stays as it is.
                if chars
                    .peek()
                    .is_none_or(|n| n.is_ascii_alphanumeric() || *n == '#')
                {
                    out.push('\\');
                }
                out.push('&');
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
}

pub(crate) fn escape_html(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// Inline content as HTML, for captions inside an HTML figure.
fn inline_html(inlines: &[Inline]) -> String {
    let mut out = String::new();
    for inline in inlines {
        match inline {
            Inline::Text(text) => out.push_str(&escape_html(text)),
            Inline::Strong(c) => out.push_str(&format!("<strong>{}</strong>", inline_html(c))),
            Inline::Emphasis(c) => out.push_str(&format!("<em>{}</em>", inline_html(c))),
            Inline::Strike(c) => out.push_str(&format!("<del>{}</del>", inline_html(c))),
            Inline::Code(code) => out.push_str(&format!("<code>{}</code>", escape_html(code))),
            Inline::Link {
                href,
                title,
                children,
            } => {
                out.push_str(&format!("<a href=\"{}\"", escape_html(href)));
                if !title.is_empty() {
                    out.push_str(&format!(" title=\"{}\"", escape_html(title)));
                }
                out.push_str(&format!(">{}</a>", inline_html(children)));
            }
            Inline::Image { src, alt, .. } => out.push_str(&format!(
                "<img src=\"{}\" alt=\"{}\">",
                escape_html(src),
                escape_html(alt)
            )),
            Inline::Break => out.push_str("<br>"),
            Inline::Script { tag, children } => {
                out.push_str(&format!("<{tag}>{}</{tag}>", inline_html(children)))
            }
        }
    }
    out.replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.to_owned())
    }

    #[test]
    fn escapes_what_would_become_markup() {
        let md = render(&[Block::Paragraph(vec![text(
            "1. Not a list, *not emphasis*, <b>not html</b> & [not a link]",
        )])]);
        assert_eq!(
            md,
            "1\\. Not a list, \\*not emphasis\\*, \\<b>not html\\</b> & \\[not a link\\]"
        );
    }

    #[test]
    fn emphasis_touching_punctuation_falls_back_to_html() {
        let md = render(&[Block::Paragraph(vec![
            Inline::Strong(vec![text("\"Quoted\"")]),
            text("word "),
            Inline::Emphasis(vec![text("fine")]),
        ])]);
        assert_eq!(md, "<strong>\"Quoted\"</strong>word *fine*");
    }

    #[test]
    fn adjacent_lists_stay_apart() {
        let item = |s: &str| vec![Block::Paragraph(vec![text(s)])];
        let list = |s: &str| Block::List {
            ordered: false,
            start: 1,
            items: vec![item(s)],
        };
        assert_eq!(render(&[list("a"), list("b")]), "- a\n\n* b");
    }
}
