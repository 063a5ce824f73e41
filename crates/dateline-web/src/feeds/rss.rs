//! RSS 2.0 (https://www.rssboard.org/rss-specification) with the extensions readers expect:
//! `content:encoded` (RSS 1.0 Content module) for the full text, `dc:creator` (Dublin Core) for
//! bylines, `media:content` (Media RSS) for the hero picture, and `atom:link rel="self"` (the RSS
//! Advisory Board's recommendation) for the feed's own address.

use std::fmt::Write;

use super::xml::{escape, rfc822};
use super::{Feed, Format};

pub fn write(feed: &Feed) -> String {
    let mut out = String::with_capacity(4096 + feed.entries.len() * 8192);
    out.push_str(concat!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n",
        "<rss version=\"2.0\" xmlns:atom=\"http://www.w3.org/2005/Atom\" ",
        "xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" ",
        "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" ",
        "xmlns:media=\"http://search.yahoo.com/mrss/\">\n<channel>\n",
    ));
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        "<title>{}</title>\n<link>{}</link>\n<description>{}</description>\n\
         <language>{}</language>\n<lastBuildDate>{}</lastBuildDate>\n<generator>{}</generator>\n\
         <atom:link href=\"{}\" rel=\"self\" type=\"application/rss+xml\"/>\n",
        escape(&feed.title),
        escape(&feed.home_url),
        escape(&feed.description),
        escape(&feed.language),
        rfc822(feed.updated, &feed.zone),
        feed.generator,
        escape(&feed.self_url(Format::Rss)),
    );
    for entry in &feed.entries {
        let _ = write!(
            out,
            "<item>\n<title>{}</title>\n<link>{}</link>\n\
             <guid isPermaLink=\"true\">{}</guid>\n<pubDate>{}</pubDate>\n\
             <description>{}</description>\n<content:encoded>{}</content:encoded>\n",
            escape(&entry.title),
            escape(&entry.url),
            escape(&entry.url),
            rfc822(entry.published, &feed.zone),
            // RSS 2.0 readers take `description` as entity-encoded HTML: the plain-text summary
            // is escaped as HTML first, so a `<script>` someone typed stays text there too.
            escape(&escape(&entry.summary)),
            escape(&entry.content_html),
        );
        // RSS's own <author> must be an e-mail address; Dublin Core takes a name.
        for author in &entry.authors {
            let _ = writeln!(out, "<dc:creator>{}</dc:creator>", escape(&author.name));
        }
        let categories = std::iter::once(&entry.section).chain(&entry.tags);
        for category in categories {
            let _ = writeln!(out, "<category>{}</category>", escape(&category.name));
        }
        if let Some(image) = &entry.image {
            let _ = writeln!(
                out,
                "<media:content url=\"{}\" type=\"{}\" medium=\"image\" width=\"{}\" height=\"{}\">\
                 <media:description type=\"plain\">{}</media:description></media:content>",
                escape(&image.url),
                image.mime,
                image.width,
                image.height,
                escape(&image.alt),
            );
        }
        out.push_str("</item>\n");
    }
    out.push_str("</channel>\n</rss>\n");
    out
}
