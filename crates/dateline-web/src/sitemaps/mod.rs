//! Sitemaps (https://www.sitemaps.org/protocol.html): an index at `/sitemap.xml` naming one
//! article sitemap per month, the section and author listing pages, the static pages, and a
//! Google News sitemap of the last 48 hours. `robots.txt` points crawlers at the index.

mod xml;

use std::collections::BTreeSet;
use std::io::Write;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use dateline_core::{cache_tags, paths};
use dateline_db::{SitemapMonth, month_range};
use http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_NONE_MATCH, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::serve::{
    Cacheable, Encoding, PAGE_CACHE_CONTROL, etag_matches, negotiate, security_headers,
};
use crate::{AppState, WebError};

const XML_CONTENT_TYPE: &str = "application/xml; charset=utf-8";

/// URLs per monthly sitemap file. sitemaps.org allows 50,000, but a file is rendered on a
/// cache miss, and at a busy newsroom's ~2,800 stories a month one file took 42 ms at p99 to
/// build (`bench/pages.sh`, 100,000 articles); a thousand keeps every file a small, quick
/// miss. A busier month is split into `articles-YYYY-MM.xml`, `articles-YYYY-MM-2.xml`, …
pub const URLS_PER_SITEMAP: i64 = 1_000;

/// Google News sitemap rules: only articles published in the last two days, at most 1,000.
pub const NEWS_WINDOW: SignedDuration = SignedDuration::from_hours(48);
pub const NEWS_LIMIT: i64 = 1_000;

/// The news sitemap changes as time passes, not only when content changes (an article leaves it
/// 48 hours after publication, with no change in the log to drop a cached copy). So it is never
/// put in the page cache, which has no expiry; it is built per request (one indexed query of at
/// most 1,000 rows) and CDNs and browsers may keep it five minutes.
const NEWS_CACHE_CONTROL: &str = "public, max-age=300, s-maxage=300";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sitemap.xml", get(index))
        .route("/sitemaps/{file}", get(sitemap))
}

fn xml_response(body: String, tags: BTreeSet<String>) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    response.extensions_mut().insert(Cacheable {
        tags: tags.into_iter().collect(),
        cache_control: PAGE_CACHE_CONTROL,
    });
    response
}

fn month_file(year: i16, month: i8, part: i64) -> String {
    if part == 1 {
        format!("/sitemaps/articles-{year:04}-{month:02}.xml")
    } else {
        format!("/sitemaps/articles-{year:04}-{month:02}-{part}.xml")
    }
}

fn parts_of(month: &SitemapMonth) -> i64 {
    ((month.articles + URLS_PER_SITEMAP - 1) / URLS_PER_SITEMAP).max(1)
}

async fn index(State(state): State<AppState>) -> Result<Response, WebError> {
    let store = state.store();
    let months = store.public().sitemap_months(Timestamp::now()).await?;
    let mut entries = Vec::new();
    for month in &months {
        // The parts of a split month share the month's newest update: a little early for the
        // parts that did not change, never late for the one that did.
        for part in 1..=parts_of(month) {
            entries.push(xml::IndexEntry {
                path: month_file(month.year, month.month, part),
                last_modified: Some(month.last_modified),
            });
        }
    }
    let mut files = vec![
        "/sitemaps/sections.xml",
        "/sitemaps/authors.xml",
        "/sitemaps/news.xml",
    ];
    // Only with a published page: an empty `urlset` is not valid against sitemap.xsd.
    if !store.static_pages().published_links().await?.is_empty() {
        files.push("/sitemaps/pages.xml");
    }
    for path in files {
        entries.push(xml::IndexEntry {
            path: path.to_owned(),
            last_modified: None,
        });
    }
    // Which months exist follows publishing (`list:front`); each month's `lastmod` follows any
    // article edit (`articles`): one tag per article would not fit in a `Surrogate-Key` header.
    let tags = BTreeSet::from([
        cache_tags::SITE.to_owned(),
        cache_tags::FRONT_LIST.to_owned(),
        cache_tags::ANY_ARTICLE.to_owned(),
        cache_tags::PAGES_LIST.to_owned(),
    ]);
    Ok(xml_response(
        xml::index(&state.config().base_url, &entries),
        tags,
    ))
}

/// Which monthly file a name asks for: `articles-YYYY-MM.xml` is part 1, `articles-YYYY-MM-N.xml`
/// part N ≥ 2. Only the canonical spelling is accepted, so one sitemap has one URL.
fn parse_month_file(name: &str) -> Option<(i16, i8, i64)> {
    let stem = name.strip_prefix("articles-")?.strip_suffix(".xml")?;
    let mut pieces = stem.split('-');
    let (year, month) = (pieces.next()?, pieces.next()?);
    let part = match pieces.next() {
        None => 1,
        Some(part) => {
            let n: i64 = part.parse().ok()?;
            if n < 2 || n.to_string() != part {
                return None;
            }
            n
        }
    };
    if pieces.next().is_some()
        || year.len() != 4
        || month.len() != 2
        || !year
            .bytes()
            .chain(month.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let (year, month): (i16, i8) = (year.parse().ok()?, month.parse().ok()?);
    month_range(year, month)?;
    Some((year, month, part))
}

async fn sitemap(
    State(state): State<AppState>,
    Path(file): Path<String>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    match file.as_str() {
        "sections.xml" => sections(&state).await,
        "authors.xml" => authors(&state).await,
        "pages.xml" => static_pages(&state).await,
        "news.xml" => {
            let body = news(&state, Timestamp::now()).await?;
            Ok(uncached_xml(body, &method, &headers))
        }
        other => match parse_month_file(other) {
            Some((year, month, part)) => articles(&state, year, month, part).await,
            None => Err(WebError::NotFound),
        },
    }
}

async fn articles(state: &AppState, year: i16, month: i8, part: i64) -> Result<Response, WebError> {
    let month = month_range(year, month).ok_or(WebError::NotFound)?;
    let articles = state
        .store()
        .public()
        .sitemap_articles(
            month,
            Timestamp::now(),
            URLS_PER_SITEMAP,
            (part - 1).saturating_mul(URLS_PER_SITEMAP),
        )
        .await?;
    // A month without articles (or a part past the last) has no sitemap: an empty `urlset` is
    // not valid against sitemap.xsd, which requires at least one `url`.
    if articles.is_empty() {
        return Err(WebError::NotFound);
    }
    // Up to a thousand articles: the umbrella tag, not one tag each (see `index`).
    let tags = BTreeSet::from([
        cache_tags::SITE.to_owned(),
        cache_tags::FRONT_LIST.to_owned(),
        cache_tags::ANY_ARTICLE.to_owned(),
    ]);
    Ok(xml_response(
        xml::articles(&state.config().base_url, &articles),
        tags,
    ))
}

/// The published static pages (About, the policies).
async fn static_pages(state: &AppState) -> Result<Response, WebError> {
    let pages = state.store().static_pages().published_links().await?;
    if pages.is_empty() {
        return Err(WebError::NotFound);
    }
    let paths: Vec<String> = pages.iter().map(|p| paths::page(&p.slug)).collect();
    Ok(xml_response(
        xml::pages(&state.config().base_url, paths.iter().map(String::as_str)),
        BTreeSet::from([cache_tags::PAGES_LIST.to_owned()]),
    ))
}

async fn sections(state: &AppState) -> Result<Response, WebError> {
    // Creating, renaming or moving a section changes the navigation, which is tagged `site`.
    let sections = state.store().site().sections().await?;
    let paths: Vec<String> = sections.iter().map(|s| paths::section(&s.slug)).collect();
    Ok(xml_response(
        xml::pages(&state.config().base_url, paths.iter().map(String::as_str)),
        BTreeSet::from([cache_tags::SITE.to_owned()]),
    ))
}

async fn authors(state: &AppState) -> Result<Response, WebError> {
    // Only authors with a published article: who that is changes with publishing (`list:front`),
    // and an author's slug with their profile (`author:{id}`).
    let authors = state
        .store()
        .public()
        .sitemap_authors(Timestamp::now())
        .await?;
    let mut tags = BTreeSet::from([
        cache_tags::SITE.to_owned(),
        cache_tags::FRONT_LIST.to_owned(),
    ]);
    tags.extend(authors.iter().map(|a| cache_tags::author(a.id)));
    let paths: Vec<String> = authors.iter().map(|a| paths::author(&a.slug)).collect();
    Ok(xml_response(
        xml::pages(&state.config().base_url, paths.iter().map(String::as_str)),
        tags,
    ))
}

/// The Google News sitemap as of `now`: the seam where tests fix the clock.
async fn news(state: &AppState, now: Timestamp) -> Result<String, WebError> {
    let store = state.store();
    let settings = store.site().settings().await?;
    let articles = store
        .public()
        .news_sitemap_articles(now, NEWS_WINDOW, NEWS_LIMIT)
        .await?;
    Ok(xml::news(&state.config().base_url, &settings, &articles))
}

/// An XML response outside the page cache, still with a strong ETag (RFC 9110 §8.8.3), 304 on
/// a match, and gzip when accepted (fast level: it is compressed on every request).
fn uncached_xml(body: String, method: &Method, headers: &HeaderMap) -> Response {
    let body = Bytes::from(body);
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..12]));
    let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"0\""));
    let matches = etag_matches(headers.get(IF_NONE_MATCH), &etag);
    let mut response = Response::new(axum::body::Body::empty());
    let out = response.headers_mut();
    out.insert(ETAG, etag);
    out.insert(CACHE_CONTROL, HeaderValue::from_static(NEWS_CACHE_CONTROL));
    out.insert(VARY, HeaderValue::from_static("accept-encoding"));
    security_headers(out);
    if matches {
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        return response;
    }
    let (bytes, coding) = match negotiate(headers) {
        Encoding::Gzip | Encoding::Brotli => match gzip_fast(&body) {
            Some(compressed) => (compressed, Some("gzip")),
            None => (body, None),
        },
        Encoding::Identity => (body, None),
    };
    let out = response.headers_mut();
    out.insert(CONTENT_TYPE, HeaderValue::from_static(XML_CONTENT_TYPE));
    out.insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    if let Some(coding) = coding {
        out.insert(CONTENT_ENCODING, HeaderValue::from_static(coding));
    }
    if method != Method::HEAD {
        *response.body_mut() = axum::body::Body::from(bytes);
    }
    response
}

fn gzip_fast(body: &[u8]) -> Option<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_file_names_round_trip_and_reject_variants() {
        assert_eq!(
            parse_month_file("articles-2026-11.xml"),
            Some((2026, 11, 1))
        );
        assert_eq!(
            parse_month_file("articles-2026-11-2.xml"),
            Some((2026, 11, 2))
        );
        assert_eq!(month_file(2026, 1, 1), "/sitemaps/articles-2026-01.xml");
        assert_eq!(month_file(2026, 1, 3), "/sitemaps/articles-2026-01-3.xml");
        for bad in [
            "articles-2026-13.xml",
            "articles-2026-1.xml",
            "articles-2026-11-1.xml",
            "articles-2026-11-02.xml",
            "articles-2026-11-x.xml",
            "articles-2026-11-2-3.xml",
            "articles-+026-11.xml",
            "articles-2026-11",
            "news.xml.gz",
            "articles-99999999999999999999-11.xml",
        ] {
            assert_eq!(parse_month_file(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_month_past_a_thousand_is_split() {
        let month = |articles| SitemapMonth {
            year: 2026,
            month: 11,
            articles,
            last_modified: Timestamp::UNIX_EPOCH,
        };
        assert_eq!(parts_of(&month(1)), 1);
        assert_eq!(parts_of(&month(1_000)), 1);
        assert_eq!(parts_of(&month(1_001)), 2);
        assert_eq!(parts_of(&month(3_000)), 3);
    }
}
