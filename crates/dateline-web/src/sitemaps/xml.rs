//! Sitemap documents as text: the sitemaps.org 0.9 index and URL sets, with Google's image
//! (`image:image`) and news (`news:news`) extensions. Pure functions of what they list, so the
//! handlers stay short and the output is easy to test.

use std::fmt::Write;

use dateline_core::{SiteSettings, paths};
use dateline_db::SitemapArticle;
use jiff::Timestamp;

use crate::xml::escape;

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const IMAGE_NS: &str = "http://www.google.com/schemas/sitemap-image/1.1";
const NEWS_NS: &str = "http://www.google.com/schemas/sitemap-news/0.9";

/// One `<sitemap>` of the index.
pub struct IndexEntry {
    pub path: String,
    pub last_modified: Option<Timestamp>,
}

/// W3C Datetime (https://www.w3.org/TR/NOTE-datetime) to the second, in UTC, which both
/// sitemaps.org `lastmod` and Google's `news:publication_date` accept.
pub fn w3c_datetime(at: Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

pub fn index(base_url: &str, entries: &[IndexEntry]) -> String {
    let mut xml = format!("{XML_DECLARATION}<sitemapindex xmlns=\"{SITEMAP_NS}\">\n");
    for entry in entries {
        let _ = write!(
            xml,
            "<sitemap><loc>{}</loc>",
            escape(&format!("{base_url}{}", entry.path))
        );
        if let Some(at) = entry.last_modified {
            let _ = write!(xml, "<lastmod>{}</lastmod>", w3c_datetime(at));
        }
        xml.push_str("</sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

fn article_url(base_url: &str, article: &SitemapArticle) -> String {
    escape(&format!(
        "{base_url}{}",
        paths::article(&article.section_slug, &article.slug)
    ))
}

/// A monthly article sitemap: each article with its last change and its hero picture, as the
/// largest JPEG we store (Google Images indexes JPEG everywhere; WebP is an extra for browsers).
pub fn articles(base_url: &str, articles: &[SitemapArticle]) -> String {
    let mut xml =
        format!("{XML_DECLARATION}<urlset xmlns=\"{SITEMAP_NS}\" xmlns:image=\"{IMAGE_NS}\">\n");
    for article in articles {
        let _ = write!(
            xml,
            "<url><loc>{}</loc><lastmod>{}</lastmod>",
            article_url(base_url, article),
            w3c_datetime(article.updated_at)
        );
        if let Some(largest) = article
            .hero
            .as_ref()
            .and_then(|hero| hero.variants_of("jpeg").last().copied())
        {
            let _ = write!(
                xml,
                "<image:image><image:loc>{}</image:loc></image:image>",
                escape(&format!("{base_url}{}", paths::media(&largest.key)))
            );
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// A plain URL set (listing pages: sections, authors).
pub fn pages<'a>(base_url: &str, paths: impl IntoIterator<Item = &'a str>) -> String {
    let mut xml = format!("{XML_DECLARATION}<urlset xmlns=\"{SITEMAP_NS}\">\n");
    for path in paths {
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc></url>",
            escape(&format!("{base_url}{path}"))
        );
    }
    xml.push_str("</urlset>\n");
    xml
}

/// Google News sitemap (https://developers.google.com/search/docs/crawling-indexing/sitemaps/news-sitemap):
/// the publication's name and language, and each article's first publication time and title.
pub fn news(base_url: &str, settings: &SiteSettings, articles: &[SitemapArticle]) -> String {
    let name = escape(&settings.name);
    let language = news_language(&settings.language);
    let mut xml =
        format!("{XML_DECLARATION}<urlset xmlns=\"{SITEMAP_NS}\" xmlns:news=\"{NEWS_NS}\">\n");
    for article in articles {
        let _ = writeln!(
            xml,
            "<url><loc>{}</loc><news:news><news:publication><news:name>{name}</news:name>\
             <news:language>{language}</news:language></news:publication>\
             <news:publication_date>{}</news:publication_date>\
             <news:title>{}</news:title></news:news></url>",
            article_url(base_url, article),
            w3c_datetime(article.first_published_at),
            escape(&article.headline)
        );
    }
    xml.push_str("</urlset>\n");
    xml
}

/// Google News wants an ISO 639 code of two or three letters, except `zh-cn` and `zh-tw` for
/// Chinese; settings hold a BCP 47 tag (`en-GB`, `zh-Hant`). `und` (ISO 639-2 "undetermined")
/// when the setting has no usable language subtag.
pub fn news_language(tag: &str) -> String {
    let tag = tag.trim().to_ascii_lowercase().replace('_', "-");
    let mut subtags = tag.split('-');
    let primary = subtags.next().unwrap_or("");
    if primary == "zh" {
        let traditional = tag
            .split('-')
            .any(|s| matches!(s, "tw" | "hant" | "hk" | "mo"));
        return if traditional { "zh-tw" } else { "zh-cn" }.to_owned();
    }
    if (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase()) {
        primary.to_owned()
    } else {
        "und".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_settings_languages_to_google_news_codes() {
        assert_eq!(news_language("en"), "en");
        assert_eq!(news_language("en-GB"), "en");
        assert_eq!(news_language("zh-Hant"), "zh-tw");
        assert_eq!(news_language("zh"), "zh-cn");
        assert_eq!(news_language("fil"), "fil");
        assert_eq!(news_language(""), "und");
        assert_eq!(news_language("english"), "und");
    }

    #[test]
    fn datetimes_are_w3c_to_the_second() {
        let at: Timestamp = "2026-11-26T10:05:31.123456Z".parse().expect("time");
        assert_eq!(w3c_datetime(at), "2026-11-26T10:05:31Z");
    }
}
