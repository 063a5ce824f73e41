//! Feeds for feed readers and partners: RSS 2.0, Atom (RFC 4287) and JSON Feed 1.1, for the whole
//! site, each section and each author — the latest published articles with their full text, and
//! the key events of live coverage as items of their own.
//!
//! Every feed is one cached page: it carries the cache tags of its list and of each article it
//! shows, so an edit or an unpublish drops it, and ETag / `If-None-Match` come from `serve`.
//! The three formats are written from one `Feed` model, so they cannot disagree.

mod atom;
mod json;
mod podcast;
mod rss;
mod xml;

use std::collections::BTreeSet;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dateline_core::{Image, SiteSettings, cache_tags, live, markdown, paths};
use dateline_db::{FeedArticle, FeedHead, FeedItems, FeedKeyEvent, FeedOf, FeedPage};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, StatusCode};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

use crate::serve::{Cacheable, PAGE_CACHE_CONTROL};
use crate::views::{self, HERO_SIZES};
use crate::{AppState, WebError};

/// How many articles a feed carries: enough for a reader that polls a few times a day to miss
/// nothing, small enough to stay a quick download with full text.
const FEED_LENGTH: i64 = 50;

/// The width of the hero image variant a feed points at (readers show it large).
const FEED_IMAGE_WIDTH: u32 = 1200;

pub const RSS_CONTENT_TYPE: &str = "application/rss+xml; charset=utf-8";
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";
/// JSON Feed 1.1 §"Suggestions for Publishers": `application/feed+json` (JSON is always UTF-8).
pub const JSON_FEED_CONTENT_TYPE: &str = "application/feed+json";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/feeds/{file}", get(site_feed))
        .route("/feeds/sections/{slug}/{file}", get(section_feed))
        .route("/feeds/authors/{slug}/{file}", get(author_feed))
        .route("/feeds/corrections/{file}", get(corrections_feed))
}

/// The three formats, each at a fixed file name under a feed's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    fn from_file(file: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.file() == file)
    }
    fn file(self) -> &'static str {
        match self {
            Self::Rss => "rss.xml",
            Self::Atom => "atom.xml",
            Self::Json => "feed.json",
        }
    }
    /// The media type for `<link rel="alternate" type=…>` autodiscovery.
    fn media_type(self) -> &'static str {
        match self {
            Self::Rss => "application/rss+xml",
            Self::Atom => "application/atom+xml",
            Self::Json => "application/feed+json",
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Self::Rss => RSS_CONTENT_TYPE,
            Self::Atom => ATOM_CONTENT_TYPE,
            Self::Json => JSON_FEED_CONTENT_TYPE,
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::Rss => "RSS",
            Self::Atom => "Atom",
            Self::Json => "JSON Feed",
        }
    }
}

/// Which list a feed follows; its folder is `/feeds`, `/feeds/sections/{slug}` or
/// `/feeds/authors/{slug}` (not `/{section}/rss.xml`: that is the article route's shape).
fn folder(scope: Scope<'_>) -> String {
    match scope {
        Scope::Site => "/feeds".to_owned(),
        Scope::Section(slug) => format!("/feeds/sections/{slug}"),
        Scope::Author(slug) => format!("/feeds/authors/{slug}"),
        Scope::Corrections => "/feeds/corrections".to_owned(),
    }
}

/// The RSS feed of `scope`: where an imported site's old feed addresses lead.
pub(crate) fn rss_path(scope: Scope<'_>) -> String {
    format!("{}/{}", folder(scope), Format::Rss.file())
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Site,
    Section(&'a str),
    Author(&'a str),
    Corrections,
}

/// One `<link rel="alternate">` of a page's head (the `feeds` list of the theme's context).
#[derive(Debug, Clone, Serialize)]
pub struct FeedLink {
    #[serde(rename = "type")]
    pub media_type: &'static str,
    pub title: String,
    pub url: String,
}

fn links(scope: Scope<'_>, title: &str) -> Vec<FeedLink> {
    let folder = folder(scope);
    Format::ALL
        .into_iter()
        .map(|format| FeedLink {
            media_type: format.media_type(),
            title: format!("{title} ({})", format.label()),
            url: format!("{folder}/{}", format.file()),
        })
        .collect()
}

/// The site's feeds, announced on every page.
pub fn site_links(settings: &SiteSettings) -> Vec<FeedLink> {
    links(Scope::Site, &settings.name)
}

/// A section's feeds, announced on its page and its articles.
pub fn section_links(settings: &SiteSettings, section_slug: &str, name: &str) -> Vec<FeedLink> {
    links(
        Scope::Section(section_slug),
        &format!("{} – {name}", settings.name),
    )
}

/// An author's feeds, announced on the author page.
pub fn author_links(settings: &SiteSettings, author_slug: &str, name: &str) -> Vec<FeedLink> {
    links(
        Scope::Author(author_slug),
        &format!("{} – {name}", settings.name),
    )
}

/// The corrections log's feeds, announced on `/corrections`.
pub fn corrections_links(settings: &SiteSettings) -> Vec<FeedLink> {
    links(
        Scope::Corrections,
        &format!("{} – Corrections", settings.name),
    )
}

/// What all three formats are written from. URLs are absolute: feeds are read away from the site.
struct Feed {
    title: String,
    description: String,
    language: String,
    /// The HTML page of the list.
    home_url: String,
    /// This feed's folder, absolute; each format's own URL is `{folder}/{file}`.
    folder_url: String,
    updated: Timestamp,
    zone: TimeZone,
    generator: &'static str,
    entries: Vec<Entry>,
}

impl Feed {
    fn self_url(&self, format: Format) -> String {
        format!("{}/{}", self.folder_url, format.file())
    }
}

struct Entry {
    url: String,
    title: String,
    summary: String,
    content_html: String,
    published: Timestamp,
    modified: Timestamp,
    authors: Vec<Person>,
    section: Category,
    tags: Vec<Category>,
    image: Option<FeedImage>,
    language: String,
}

struct Person {
    name: String,
    url: String,
}

struct Category {
    slug: String,
    name: String,
}

struct FeedImage {
    url: String,
    mime: &'static str,
    width: u32,
    height: u32,
    alt: String,
    caption: Option<String>,
    /// The provenance label readers see on the page ("AI-generated illustration").
    label: Option<&'static str>,
}

pub async fn site_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let format = Format::from_file(&file);
    if format.is_none() && file != PODCAST_FILE {
        return Err(WebError::NotFound);
    }
    let page = list_feed_page(&state, FeedOf::Site, format).await?;
    // The site's list always exists.
    let page = page.ok_or(WebError::NotFound)?;
    respond(&state, page, format)
}

pub async fn section_feed(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let format = Format::from_file(&file);
    if format.is_none() && file != PODCAST_FILE {
        return Err(WebError::NotFound);
    }
    known_shape(&slug)?;
    match list_feed_page(&state, FeedOf::Section(&slug), format).await? {
        Some(page) => respond(&state, page, format),
        // A renamed section keeps its subscribers (RSS readers follow a 301 and update the URL).
        None => match state.store().site().section_by_old_slug(&slug).await? {
            Some(moved) => Ok(moved_permanently(&format!(
                "{}/{}",
                folder(Scope::Section(&moved.slug)),
                format.map_or(PODCAST_FILE, Format::file)
            ))),
            None => Err(WebError::NotFound),
        },
    }
}

pub async fn author_feed(
    State(state): State<AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let format = Format::from_file(&file).ok_or(WebError::NotFound)?;
    known_shape(&slug)?;
    let page = list_feed_page(&state, FeedOf::Author(&slug), Some(format))
        .await?
        .ok_or(WebError::NotFound)?;
    respond(&state, page, Some(format))
}

/// A list's feed read model: with key events for the three formats, with narrations for the
/// podcast (`format` `None`).
async fn list_feed_page(
    state: &AppState,
    of: FeedOf<'_>,
    format: Option<Format>,
) -> Result<Option<FeedPage>, WebError> {
    let items = match format {
        Some(_) => FeedItems::KeyEvents,
        None => FeedItems::Episodes,
    };
    Ok(state
        .store()
        .public()
        .feed(of, items, Timestamp::now(), FEED_LENGTH)
        .await?)
}

/// The latest corrections, newest first: one entry per correction, linking to the note on its
/// article (so two corrections to one story are two entries with their own ids).
pub async fn corrections_feed(
    State(state): State<AppState>,
    Path(file): Path<String>,
) -> Result<Response, WebError> {
    let format = Format::from_file(&file).ok_or(WebError::NotFound)?;
    let settings = state.store().site().settings().await?;
    let corrections = state.store().articles().corrections(FEED_LENGTH, 0).await?;
    let mut tags = BTreeSet::from([
        cache_tags::SITE.to_owned(),
        cache_tags::CORRECTIONS_LIST.to_owned(),
    ]);
    tags.extend(
        corrections
            .iter()
            .map(|c| cache_tags::article(c.note.article_id)),
    );
    let base_url = &state.config().base_url;
    let publisher = Person {
        name: settings.name.clone(),
        url: base_url.clone(),
    };
    let entries: Vec<Entry> = corrections
        .iter()
        .map(|c| {
            let url = format!("{base_url}{}#note-{}", c.article_path(), c.note.id);
            Entry {
                content_html: format!(
                    "<p>{}</p><p><a href=\"{}\">{}</a></p>",
                    xml::escape(&c.note.text),
                    xml::escape(&url),
                    xml::escape(&c.headline)
                ),
                title: format!("Correction: {}", c.headline),
                summary: c.note.text.clone(),
                url,
                published: c.note.published_at,
                modified: c.note.published_at,
                authors: vec![Person {
                    name: publisher.name.clone(),
                    url: publisher.url.clone(),
                }],
                section: Category {
                    slug: c.section_slug.clone(),
                    name: c.section_name.clone(),
                },
                tags: Vec::new(),
                image: None,
                language: settings.language.clone(),
            }
        })
        .collect();
    let feed = Feed {
        updated: entries
            .iter()
            .map(|e| e.modified)
            .max()
            .unwrap_or_else(Timestamp::now),
        title: format!("{} – Corrections", settings.name),
        description: format!(
            "Every correction {} has made to a published story, newest first",
            settings.name
        ),
        language: settings.language.clone(),
        home_url: format!("{base_url}{}", paths::CORRECTIONS),
        folder_url: format!("{base_url}{}", folder(Scope::Corrections)),
        zone: TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC),
        generator: "Dateline",
        entries,
    };
    Ok(feed_response(&feed, format, tags))
}

/// Slugs are lowercase words and hyphens: anything else names nothing, and is answered 404
/// before it reaches the database (PostgreSQL rejects a NUL byte in text with an error).
fn known_shape(slug: &str) -> Result<(), WebError> {
    if slug.len() <= 200 && dateline_core::slug::is_valid_slug(slug) {
        Ok(())
    } else {
        Err(WebError::NotFound)
    }
}

/// A feed's list and how to describe it.
struct List<'a> {
    scope: Scope<'a>,
    title: String,
    description: String,
    home_path: String,
    /// Cache tags of the list itself (which articles it holds, and its own name).
    tags: Vec<String>,
}

impl<'a> List<'a> {
    fn of(head: &'a FeedHead, settings: &SiteSettings) -> Self {
        match head {
            FeedHead::Site => List {
                scope: Scope::Site,
                title: settings.name.clone(),
                description: settings.tagline.clone(),
                home_path: "/".to_owned(),
                // The site feed lists what the front page lists: every published article,
                // newest first.
                tags: vec![cache_tags::FRONT_LIST.to_owned()],
            },
            FeedHead::Section(section) => List {
                scope: Scope::Section(&section.slug),
                title: format!("{} – {}", settings.name, section.name),
                description: if section.description.is_empty() {
                    format!("The latest from {} in {}", settings.name, section.name)
                } else {
                    section.description.clone()
                },
                home_path: paths::section(&section.slug),
                tags: vec![
                    cache_tags::section(section.id),
                    cache_tags::section_list(section.id),
                ],
            },
            FeedHead::Author(author) => List {
                scope: Scope::Author(&author.slug),
                title: format!("{} – {}", settings.name, author.name),
                description: format!("Stories by {} for {}", author.name, settings.name),
                home_path: paths::author(&author.slug),
                tags: vec![
                    cache_tags::author(author.id),
                    cache_tags::author_list(author.id),
                ],
            },
        }
    }
}

/// A list's podcast: the same articles, those with narration, as episodes (MP3 enclosures).
const PODCAST_FILE: &str = "podcast.xml";

/// The feed in `format`, or the podcast for `None`.
fn respond(state: &AppState, page: FeedPage, format: Option<Format>) -> Result<Response, WebError> {
    let list = List::of(&page.head, &page.settings);
    let Some(format) = format else {
        return Ok(respond_podcast(state, &page, list));
    };
    let (mut feed, mut tags) = list_feed(state, &page.settings, list, &page.articles);
    add_key_events(
        &mut feed,
        &mut tags,
        &state.config().base_url,
        &page.key_events,
    );
    Ok(feed_response(&feed, format, tags))
}

/// Live coverage's key events join a feed as items of their own, between the articles by date:
/// a subscriber hears of "the White House confirms the call" when it happens, not only of the
/// live page once. The feed then follows every key event (`list:key-events`: marked, unmarked,
/// edited, deleted, corrected), and each live article's own tag (its headline, its end). A
/// plain entry touches neither, so it does not drop the feeds.
fn add_key_events(
    feed: &mut Feed,
    tags: &mut BTreeSet<String>,
    base_url: &str,
    key_events: &[FeedKeyEvent],
) {
    tags.insert(cache_tags::KEY_EVENTS_LIST.to_owned());
    for key_event in key_events {
        let story = &key_event.article;
        tags.insert(cache_tags::article(story.id));
        tags.insert(cache_tags::section(story.section.id));
        if let Some(author) = &key_event.entry.byline.author {
            tags.insert(cache_tags::author(author.id));
        }
        feed.entries.push(key_event_entry(base_url, key_event));
    }
    // Newest first, as a feed reader expects; the feed keeps its length.
    feed.entries
        .sort_by_key(|entry| std::cmp::Reverse(entry.published));
    feed.entries.truncate(FEED_LENGTH as usize);
    if let Some(newest) = feed.entries.iter().map(|e| e.modified).max() {
        feed.updated = newest;
    }
}

/// A key event as a feed item: its own address (the entry's permalink, which finds the page
/// that shows it), its own title and dates, the entry's text and its corrections.
fn key_event_entry(base_url: &str, key_event: &FeedKeyEvent) -> Entry {
    let entry = &key_event.entry;
    let story = &key_event.article;
    let live_url = format!(
        "{base_url}{}",
        paths::article(&story.section.slug, &story.slug)
    );
    let mut content_html = absolute_links(base_url, &markdown::render_html(&entry.body));
    for note in &entry.notes {
        content_html.push_str(&format!(
            "<p><strong>{}</strong> {}</p>",
            xml::escape(note.kind.label()),
            xml::escape(&note.text)
        ));
    }
    content_html.push_str(&format!(
        "<p><a href=\"{}\">{}</a></p>",
        xml::escape(&live_url),
        xml::escape(&story.headline)
    ));
    Entry {
        url: format!("{base_url}{}", paths::live_entry(story.id, entry.id)),
        // The event first (it is the news), then the coverage it belongs to.
        title: format!("{} – {}", live::entry_title(entry), story.headline),
        summary: markdown::plain_text(&entry.body),
        content_html,
        published: entry.posted_at,
        modified: entry.updated_at.max(entry.posted_at),
        authors: vec![Person {
            name: entry.byline.name.clone(),
            url: entry.byline.author.as_ref().map_or_else(
                || live_url.clone(),
                |a| format!("{base_url}{}", paths::author(&a.slug)),
            ),
        }],
        section: Category {
            slug: story.section.slug.clone(),
            name: story.section.name.clone(),
        },
        tags: Vec::new(),
        image: None,
        language: key_event.language.clone(),
    }
}

fn respond_podcast(state: &AppState, page: &FeedPage, list: List<'_>) -> Response {
    let narrated: Vec<(FeedArticle, dateline_db::AudioFiles)> = page
        .articles
        .iter()
        .filter_map(|article| {
            let files = page
                .audio
                .iter()
                .find(|a| a.article_id == article.story.id)
                .and_then(|a| a.playable().cloned())?;
            Some((article.clone(), files))
        })
        .collect();
    let (with_audio, files): (Vec<FeedArticle>, Vec<dateline_db::AudioFiles>) =
        narrated.into_iter().unzip();
    let (feed, tags) = list_feed(state, &page.settings, list, &with_audio);
    let base_url = &state.config().base_url;
    let artwork = format!("{base_url}{}", state.theme().asset_url("logo.svg"));
    let body = podcast::write(&feed, &files, base_url, &artwork);
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(RSS_CONTENT_TYPE));
    response.extensions_mut().insert(Cacheable {
        tags: tags.into_iter().collect(),
        cache_control: PAGE_CACHE_CONTROL,
    });
    response
}

/// The feed model of a list's articles, and the cache tags of everything it shows.
fn list_feed(
    state: &AppState,
    settings: &SiteSettings,
    list: List<'_>,
    articles: &[FeedArticle],
) -> (Feed, BTreeSet<String>) {
    let mut tags: BTreeSet<String> = list.tags.iter().cloned().collect();
    tags.insert(cache_tags::SITE.to_owned());
    for article in articles {
        tag_article(&mut tags, article);
    }
    let base_url = &state.config().base_url;
    let entries: Vec<Entry> = articles.iter().map(|a| entry(base_url, a)).collect();
    let feed = Feed {
        updated: entries
            .iter()
            .map(|e| e.modified)
            .max()
            .unwrap_or_else(Timestamp::now),
        title: list.title,
        description: list.description,
        language: settings.language.clone(),
        home_url: format!("{base_url}{}", list.home_path),
        folder_url: format!("{base_url}{}", folder(list.scope)),
        zone: TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC),
        generator: "Dateline",
        entries,
    };
    (feed, tags)
}

/// `feed` written in `format`, cacheable under `tags`.
fn feed_response(feed: &Feed, format: Format, tags: BTreeSet<String>) -> Response {
    let body = match format {
        Format::Rss => rss::write(feed),
        Format::Atom => atom::write(feed),
        Format::Json => json::write(feed),
    };
    let mut response = body.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response.extensions_mut().insert(Cacheable {
        tags: tags.into_iter().collect(),
        cache_control: PAGE_CACHE_CONTROL,
    });
    response
}

/// What an entry shows: the article, its section, byline, picture and tags.
fn tag_article(tags: &mut BTreeSet<String>, article: &FeedArticle) {
    let story = &article.story;
    tags.insert(cache_tags::article(story.id));
    tags.insert(cache_tags::section(story.section.id));
    tags.extend(story.authors.iter().map(|a| cache_tags::author(a.id)));
    tags.extend(article.tags.iter().map(|t| cache_tags::tag(t.id)));
    if let Some(image) = &story.hero {
        tags.insert(cache_tags::image(image.id));
    }
}

fn entry(base_url: &str, article: &FeedArticle) -> Entry {
    let story = &article.story;
    let image = story.hero.as_ref().map(|hero| feed_image(base_url, hero));
    let mut content_html = String::new();
    // Readers show `content` instead of the page, so the hero picture goes in front of the text.
    if let Some(image) = &image {
        content_html.push_str(&format!(
            "<figure><img src=\"{}\" width=\"{}\" height=\"{}\" alt=\"{}\">",
            xml::escape(&image.url),
            image.width,
            image.height,
            xml::escape(&image.alt)
        ));
        // Feed readers show the picture without the page around it: its provenance label
        // travels with it, as on the page.
        let caption: Vec<&str> = image
            .caption
            .as_deref()
            .into_iter()
            .chain(image.label)
            .collect();
        if !caption.is_empty() {
            content_html.push_str(&format!(
                "<figcaption>{}</figcaption>",
                xml::escape(&caption.join(" — "))
            ));
        }
        content_html.push_str("</figure>");
    }
    content_html.push_str(&absolute_links(
        base_url,
        &markdown::render_html(&article.body),
    ));
    Entry {
        url: format!(
            "{base_url}{}",
            paths::article(&story.section.slug, &story.slug)
        ),
        title: story.headline.clone(),
        summary: story.standfirst.clone(),
        content_html,
        published: story.first_published_at,
        modified: story.updated_at.max(story.first_published_at),
        authors: story
            .authors
            .iter()
            .map(|a| Person {
                name: a.name.clone(),
                url: format!("{base_url}{}", paths::author(&a.slug)),
            })
            .collect(),
        section: Category {
            slug: story.section.slug.clone(),
            name: story.section.name.clone(),
        },
        tags: article
            .tags
            .iter()
            .map(|t| Category {
                slug: t.slug.clone(),
                name: t.name.clone(),
            })
            .collect(),
        image,
        language: article.language.clone(),
    }
}

fn feed_image(base_url: &str, image: &Image) -> FeedImage {
    let view = views::image_view(image, HERO_SIZES, FEED_IMAGE_WIDTH);
    let mime = if image.variants_of("jpeg").is_empty() {
        match image.original_mime.as_str() {
            "image/png" => "image/png",
            "image/webp" => "image/webp",
            "image/gif" => "image/gif",
            _ => "image/jpeg",
        }
    } else {
        "image/jpeg"
    };
    FeedImage {
        url: format!("{base_url}{}", view.src),
        mime,
        width: view.width,
        height: view.height,
        alt: view.alt,
        caption: view.caption,
        label: view.label,
    }
}

/// Feed readers show the text away from the site and resolve relative links inconsistently
/// (RSS 2.0 has no base URL at all), so root-relative `href` and `src` become absolute.
/// Protocol-relative (`//host`) and absolute URLs are left alone.
fn absolute_links(base_url: &str, html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(at) = find_link_attribute(rest) {
        let (before, after) = rest.split_at(at.end);
        out.push_str(before);
        if after.starts_with('/') && !after.starts_with("//") {
            out.push_str(base_url);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// The position just after the next ` href="` or ` src="` in `html`.
fn find_link_attribute(html: &str) -> Option<std::ops::Range<usize>> {
    [" href=\"", " src=\""]
        .into_iter()
        .filter_map(|needle| html.find(needle).map(|at| at..at + needle.len()))
        .min_by_key(|range| range.start)
}

fn moved_permanently(path: &str) -> Response {
    let location =
        HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/feeds/rss.xml"));
    (
        StatusCode::MOVED_PERMANENTLY,
        [
            (LOCATION, location),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_relative_links_become_absolute() {
        let html = r#"<p><a href="/politics/x">a</a> <a href="https://o.example/">b</a> <a href="//cdn.example/y">c</a><img src="/media/i.jpg" alt=""></p>"#;
        assert_eq!(
            absolute_links("https://news.example", html),
            r#"<p><a href="https://news.example/politics/x">a</a> <a href="https://o.example/">b</a> <a href="//cdn.example/y">c</a><img src="https://news.example/media/i.jpg" alt=""></p>"#
        );
    }

    #[test]
    fn feed_files_are_fixed_names() {
        assert_eq!(Format::from_file("rss.xml"), Some(Format::Rss));
        assert_eq!(Format::from_file("atom.xml"), Some(Format::Atom));
        assert_eq!(Format::from_file("feed.json"), Some(Format::Json));
        assert_eq!(Format::from_file("feed.xml"), None);
        let links = links(Scope::Section("politics"), "Daily – Politics");
        assert_eq!(links[0].url, "/feeds/sections/politics/rss.xml");
        assert_eq!(links[2].title, "Daily – Politics (JSON Feed)");
    }
}
