//! Atom, RFC 4287: every element the RFC requires (§4.1.1 feed id/title/updated, an author for
//! each entry, §4.1.2 entry id/title/updated), plus `summary`, the full text as `content
//! type="html"`, categories and the alternate and self links.

use std::fmt::Write;

use super::xml::{escape, rfc3339};
use super::{Feed, Format};

pub fn write(feed: &Feed) -> String {
    let mut out = String::with_capacity(4096 + feed.entries.len() * 8192);
    let self_url = feed.self_url(Format::Atom);
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
         <feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\">\n\
         <id>{}</id>\n<title>{}</title>\n<subtitle>{}</subtitle>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n\
         <generator>{}</generator>\n",
        escape(&feed.language),
        // The feed's id must never change (§4.2.6): its own address is stable by design.
        escape(&self_url),
        escape(&feed.title),
        escape(&feed.description),
        rfc3339(feed.updated, &feed.zone),
        escape(&feed.home_url),
        escape(&self_url),
        feed.generator,
    );
    for entry in &feed.entries {
        let _ = write!(
            out,
            "<entry xml:lang=\"{}\">\n<id>{}</id>\n<title>{}</title>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n\
             <published>{}</published>\n<updated>{}</updated>\n",
            escape(&entry.language),
            escape(&entry.url),
            escape(&entry.title),
            escape(&entry.url),
            rfc3339(entry.published, &feed.zone),
            rfc3339(entry.modified, &feed.zone),
        );
        for author in &entry.authors {
            let _ = writeln!(
                out,
                "<author><name>{}</name><uri>{}</uri></author>",
                escape(&author.name),
                escape(&author.url)
            );
        }
        for category in std::iter::once(&entry.section).chain(&entry.tags) {
            let _ = writeln!(
                out,
                "<category term=\"{}\" label=\"{}\"/>",
                escape(&category.slug),
                escape(&category.name)
            );
        }
        if let Some(image) = &entry.image {
            // §4.2.7.2 "enclosure": a related resource, here the hero picture.
            let _ = writeln!(
                out,
                "<link rel=\"enclosure\" type=\"{}\" href=\"{}\"/>",
                image.mime,
                escape(&image.url)
            );
        }
        let _ = write!(
            out,
            "<summary type=\"text\">{}</summary>\n<content type=\"html\">{}</content>\n</entry>\n",
            escape(&entry.summary),
            escape(&entry.content_html),
        );
    }
    out.push_str("</feed>\n");
    out
}
