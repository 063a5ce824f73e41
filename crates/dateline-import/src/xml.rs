//! Streaming XML for the WXR and Disqus readers: the file is read once, one record (a WordPress
//! `<item>`, a Disqus `<post>`) at a time, so memory holds one record plus the plan, never the
//! whole document. Element names are normalised to the usual prefixes by namespace URI (`wp:`,
//! `content:`, `dsq:`…), so a file that binds WordPress's namespace to another prefix, or an old
//! WXR 1.0 namespace, reads the same.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use crate::error::{ImportError, Location};

/// Records nest no deeper than this below their own element: a WordPress item is three levels
/// deep (`item` > `wp:comment` > `wp:commentmeta` > `wp:meta_key`). The bound keeps a hostile file
/// from building an arbitrarily deep tree.
const MAX_RECORD_DEPTH: usize = 32;

/// One element of a record, with its text and children.
#[derive(Debug, Default, Clone)]
pub(crate) struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
    pub line: u64,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The trimmed text of the first child called `name`, or "".
    pub fn text_of(&self, name: &str) -> &str {
        self.child(name).map_or("", |c| c.text.trim())
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The prefix Dateline uses for a namespace URI, whatever prefix the file chose.
fn prefix_for(uri: &[u8]) -> &'static str {
    let uri = String::from_utf8_lossy(uri);
    let uri = uri.trim_end_matches('/');
    if uri.starts_with("http://wordpress.org/export/")
        || uri.starts_with("https://wordpress.org/export/")
    {
        if uri.ends_with("/excerpt") {
            "excerpt"
        } else {
            "wp"
        }
    } else if uri == "http://purl.org/rss/1.0/modules/content" {
        "content"
    } else if uri == "http://purl.org/dc/elements/1.1" {
        "dc"
    } else if uri == "http://disqus.com/disqus-internals" {
        "dsq"
    } else {
        // The default namespace of Disqus and RSS's own elements read unprefixed.
        ""
    }
}

fn qualified(resolved: &ResolveResult<'_>, local: &[u8]) -> String {
    let local = String::from_utf8_lossy(local);
    let prefix = match resolved {
        ResolveResult::Bound(ns) => prefix_for(ns.as_ref()),
        // An undeclared prefix: keep the name as written rather than guess.
        ResolveResult::Unknown(prefix) => {
            return format!("{}:{local}", String::from_utf8_lossy(prefix));
        }
        ResolveResult::Unbound => "",
    };
    if prefix.is_empty() {
        local.into_owned()
    } else {
        format!("{prefix}:{local}")
    }
}

/// Counts lines as quick-xml consumes the input, so errors and records can say where they are.
struct LineCounter<R> {
    inner: R,
    consumed: u64,
    newlines: u64,
    /// Offsets of the most recent newlines, for placing an error a little behind the cursor.
    recent: VecDeque<u64>,
}

const RECENT_NEWLINES: usize = 4096;

impl<R: BufRead> LineCounter<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            consumed: 0,
            newlines: 0,
            recent: VecDeque::with_capacity(RECENT_NEWLINES),
        }
    }

    /// 1-based line and column of a byte offset at or a little before the cursor.
    fn locate(&self, offset: u64) -> Location {
        let after = self
            .recent
            .iter()
            .rev()
            .take_while(|&&n| n >= offset)
            .count() as u64;
        let line_start = self
            .recent
            .iter()
            .rev()
            .find(|&&n| n < offset)
            .map_or(0, |n| n + 1);
        Location::Text {
            line: self.newlines - after + 1,
            column: offset.saturating_sub(line_start) + 1,
        }
    }
}

impl<R: BufRead> Read for LineCounter<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let available = self.fill_buf()?;
        let n = available.len().min(out.len());
        out[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for LineCounter<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amount: usize) {
        // The buffer is already filled: this returns it without reading.
        if let Ok(buffer) = self.inner.fill_buf() {
            for (i, _) in buffer[..amount.min(buffer.len())]
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == b'\n')
            {
                if self.recent.len() == RECENT_NEWLINES {
                    self.recent.pop_front();
                }
                self.recent.push_back(self.consumed + i as u64);
                self.newlines += 1;
            }
        }
        self.consumed += amount as u64;
        self.inner.consume(amount);
    }
}

fn here<R: BufRead>(reader: &NsReader<LineCounter<R>>) -> u64 {
    match reader.get_ref().locate(reader.buffer_position()) {
        Location::Text { line, .. } => line,
        _ => 0,
    }
}

fn malformed<R: BufRead>(
    reader: &NsReader<LineCounter<R>>,
    offset: u64,
    message: impl Into<String>,
) -> ImportError {
    ImportError::Malformed {
        format: "XML",
        location: reader.get_ref().locate(offset),
        message: message.into(),
    }
}

/// Reads the records at one depth of a document: depth 3 for WXR (`rss` > `channel` > `item`),
/// depth 2 for Disqus (`disqus` > `post`).
pub(crate) struct RecordReader<R: BufRead> {
    reader: NsReader<LineCounter<R>>,
    buffer: Vec<u8>,
    record_depth: usize,
    /// Names and lines of the elements open now, outermost first.
    open: Vec<(String, u64)>,
    building: Vec<Element>,
    root: Option<String>,
    /// Whether the start of the input has been checked to look like XML.
    checked_start: bool,
}

impl<R: BufRead> RecordReader<R> {
    pub fn new(input: R, record_depth: usize) -> Self {
        let mut reader = NsReader::from_reader(LineCounter::new(input));
        let config = reader.config_mut();
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Self {
            reader,
            buffer: Vec::with_capacity(64 * 1024),
            record_depth,
            open: Vec::new(),
            building: Vec::new(),
            root: None,
            checked_start: false,
        }
    }

    /// Refuses, at its first character, a file that cannot be XML: one whose first character
    /// (after a byte order mark and white space) is not `<`. Without this a JSON file would be
    /// read as text to its first `<`, thousands of lines in, and refused there.
    fn check_start(&mut self) -> Result<(), ImportError> {
        self.checked_start = true;
        // What the reader has buffered, not consumed: the XML parser still reads it all.
        let available = self.reader.get_mut().fill_buf()?;
        let text = available.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(available);
        let (mut line, mut column) = (1u64, 1u64);
        for &byte in text {
            match byte {
                b'\n' => {
                    line += 1;
                    column = 1;
                }
                b' ' | b'\t' | b'\r' => column += 1,
                b'<' => return Ok(()),
                other => {
                    let shown = if other.is_ascii_graphic() {
                        format!("`{}`", other as char)
                    } else {
                        format!("byte 0x{other:02x}")
                    };
                    let hint = if matches!(other, b'{' | b'[') {
                        " (a JSON file: Ghost exports are imported with `dateline import ghost`)"
                    } else {
                        ""
                    };
                    return Err(ImportError::Malformed {
                        format: "XML",
                        location: Location::Text { line, column },
                        message: format!(
                            "the file starts with {shown}, not with `<`: it is not XML{hint}"
                        ),
                    });
                }
            }
        }
        // Empty, or white space as far as the buffer goes: the parser says what follows.
        Ok(())
    }

    /// The document element's name once the first record (or the end) has been read.
    pub fn root(&self) -> Option<&str> {
        self.root.as_deref()
    }

    /// The names of the elements that enclose the next record, outermost first.
    pub fn open_path(&self) -> impl Iterator<Item = &str> {
        self.open.iter().map(|(name, _)| name.as_str())
    }

    /// The next complete record, or `None` at the end of a well-formed document.
    pub fn next_record(&mut self) -> Result<Option<Element>, ImportError> {
        if !self.checked_start {
            self.check_start()?;
        }
        loop {
            self.buffer.clear();
            let (resolved, event) = match self.reader.read_resolved_event_into(&mut self.buffer) {
                Ok(pair) => pair,
                Err(error) => {
                    let at = self.reader.error_position();
                    return Err(malformed(&self.reader, at, error.to_string()));
                }
            };
            let is_empty = matches!(event, Event::Empty(_));
            match event {
                Event::Start(start) | Event::Empty(start) => {
                    let name = qualified(&resolved, start.local_name().as_ref());
                    let mut attrs = Vec::new();
                    for attr in start.attributes() {
                        let attr = attr.map_err(|e| {
                            malformed(&self.reader, self.reader.buffer_position(), e.to_string())
                        })?;
                        let (ns, local) = self.reader.resolver().resolve_attribute(attr.key);
                        let key = qualified(&ns, local.as_ref());
                        let value = attr
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(|e| {
                                malformed(
                                    &self.reader,
                                    self.reader.buffer_position(),
                                    e.to_string(),
                                )
                            })?;
                        attrs.push((key, value.into_owned()));
                    }
                    let line = here(&self.reader);
                    if self.open.is_empty() {
                        self.root = Some(name.clone());
                    }
                    let depth = self.open.len() + 1;
                    if depth >= self.record_depth {
                        if self.building.len() >= MAX_RECORD_DEPTH {
                            return Err(malformed(
                                &self.reader,
                                self.reader.buffer_position(),
                                format!("elements nest more than {MAX_RECORD_DEPTH} deep"),
                            ));
                        }
                        self.building.push(Element {
                            name: name.clone(),
                            attrs,
                            line,
                            ..Element::default()
                        });
                    }
                    if is_empty {
                        if let Some(done) = self.close()? {
                            return Ok(Some(done));
                        }
                    } else {
                        self.open.push((name, line));
                    }
                }
                Event::End(_) => {
                    self.open.pop();
                    if let Some(done) = self.close()? {
                        return Ok(Some(done));
                    }
                }
                Event::Text(text) => {
                    if let Some(top) = self.building.last_mut() {
                        let decoded = text.xml10_content().map_err(|e| ImportError::Malformed {
                            format: "XML",
                            location: Location::File,
                            message: e.to_string(),
                        })?;
                        top.text.push_str(&decoded);
                    }
                }
                Event::CData(data) => {
                    if let Some(top) = self.building.last_mut() {
                        let decoded = data.decode().map_err(|e| ImportError::Malformed {
                            format: "XML",
                            location: Location::File,
                            message: e.to_string(),
                        })?;
                        top.text.push_str(&decoded);
                    }
                }
                Event::GeneralRef(reference) => {
                    if let Some(top) = self.building.last_mut() {
                        let name = reference.decode().unwrap_or_default().into_owned();
                        match reference.resolve_char_ref() {
                            Ok(Some(c)) => top.text.push(c),
                            Ok(None) => {
                                match quick_xml::escape::resolve_predefined_entity(&name) {
                                    Some(s) => top.text.push_str(s),
                                    // An HTML entity outside CDATA is not XML, but WordPress
                                    // plugins write them: keep it for the HTML reader.
                                    None => {
                                        top.text.push('&');
                                        top.text.push_str(&name);
                                        top.text.push(';');
                                    }
                                }
                            }
                            Err(e) => {
                                return Err(malformed(
                                    &self.reader,
                                    self.reader.buffer_position(),
                                    e.to_string(),
                                ));
                            }
                        }
                    }
                }
                Event::Eof => {
                    // Name the record being read (an <item>), or the outermost open element.
                    let depth = self.record_depth.min(self.open.len());
                    if let Some((name, line)) = self.open.get(depth.saturating_sub(1)) {
                        return Err(malformed(
                            &self.reader,
                            self.reader.buffer_position(),
                            format!(
                                "the file ends before <{name}> (opened at line {line}) is closed: is it truncated?"
                            ),
                        ));
                    }
                    if self.root.is_none() {
                        return Err(ImportError::Malformed {
                            format: "XML",
                            location: Location::File,
                            message: "the file has no XML element at all".into(),
                        });
                    }
                    return Ok(None);
                }
                Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            }
        }
    }

    /// Ends the element being built; a finished record comes back.
    fn close(&mut self) -> Result<Option<Element>, ImportError> {
        let Some(done) = self.building.pop() else {
            return Ok(None);
        };
        match self.building.last_mut() {
            Some(parent) => {
                parent.children.push(done);
                Ok(None)
            }
            None => Ok(Some(done)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_errors_by_line_and_column() {
        let xml = "<rss>\n<channel>\n  <item><title>x</titel></item>\n</channel></rss>";
        let mut reader = RecordReader::new(xml.as_bytes(), 3);
        let error = reader.next_record().expect_err("mismatched end tag");
        match error.location() {
            Some(Location::Text { line, .. }) => assert_eq!(*line, 3, "{error}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn truncated_file_names_the_open_record() {
        let xml = "<rss>\n<channel>\n<item>\n<title>cut";
        let mut reader = RecordReader::new(xml.as_bytes(), 3);
        let message = reader.next_record().expect_err("truncated").to_string();
        assert!(message.contains("line 4"), "{message}");
        assert!(message.contains("<item> (opened at line 3)"), "{message}");
    }

    #[test]
    fn normalises_namespace_prefixes() {
        let xml = r#"<rss xmlns:w="http://wordpress.org/export/1.0/"><channel><item><w:post_id>7</w:post_id></item></channel></rss>"#;
        let mut reader = RecordReader::new(xml.as_bytes(), 3);
        let item = reader.next_record().expect("read").expect("an item");
        assert_eq!(item.text_of("wp:post_id"), "7");
    }

    #[test]
    fn refuses_runaway_nesting() {
        let xml = format!("<a><b>{}</b></a>", "<c>".repeat(100));
        let mut reader = RecordReader::new(xml.as_bytes(), 2);
        let message = reader.next_record().expect_err("too deep").to_string();
        assert!(message.contains("nest more than"), "{message}");
    }
}
