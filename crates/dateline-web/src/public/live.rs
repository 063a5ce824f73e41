//! Live coverage as readers get it: the stream of entries on the live article's page (newest
//! first, pinned ones above, key events listed at the top, pages of
//! [`ENTRIES_PER_PAGE`] and a refresh link for readers without JavaScript), the fragment of new
//! entries the reader's script adds on "show", and entry permalinks.
//!
//! Everything here is cached like the article page and tagged [`cache_tags::live`], which is
//! the only tag an entry change names (with the front and section pages' cards of it), so an
//! entry drops exactly these pages. What a reader may see follows the article page's rule:
//! published articles only.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dateline_core::live::{ENTRIES_PER_PAGE, embed_host, entry_anchor, entry_title};
use dateline_core::{
    ArticlePage, ArticleStatus, Image, LiveEntry, cache_tags, jsonld, markdown, paths,
};
use dateline_db::{LiveNews, LivePage};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::pages::{Frame, absolute, not_found_page, page_url, pagination};
use crate::serve::{Cacheable, PAGE_CACHE_CONTROL};
use crate::views::{self, Clock};
use crate::{AppState, WebError};

/// An entry's picture is drawn at most the width of the text column.
const ENTRY_IMAGE_SIZES: &str = "(min-width: 48rem) 40rem, 100vw";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/live/{article_id}/after/{entry_id}", get(entries_after))
        .route("/live/{article_id}/entries/{entry_id}", get(permalink))
        .route("/live/{article_id}/events", get(super::live_events::events))
}

/// What the article page shows of live coverage, and what its JSON-LD lists.
pub(super) struct LiveShown {
    pub context: Value,
    pub shown: LivePage,
    /// This page's address: the entries' anchors are on it.
    pub page_url: String,
    /// How many pages of entries there are: the page cache keys the live page by its number.
    pub pages: i64,
}

/// The live block of page `page_number` of `page`'s article, or `None` when it is not live
/// coverage (or the page does not exist: the caller answers 404).
pub(super) fn block(
    state: &AppState,
    frame: &mut Frame,
    page: &ArticlePage,
    page_number: i64,
    shown: Option<LivePage>,
) -> Option<LiveShown> {
    let article = &page.article;
    let shown = shown.filter(|_| article.is_live())?;
    frame.tag(cache_tags::live(article.id));
    let pages = ((shown.total + ENTRIES_PER_PAGE - 1) / ENTRIES_PER_PAGE).max(1);
    if page_number > pages {
        return None;
    }
    for image in &shown.images {
        frame.tag(cache_tags::image(image.id));
    }
    let path = paths::article(&page.section.slug, &article.slug);
    let page_url = page_url(&path, page_number);
    let running = article.is_live_now();
    let entries: Vec<Value> = shown
        .pinned
        .iter()
        .chain(&shown.entries)
        .map(|entry| entry_view(state, entry, &shown.images, &frame.clock, &page_url))
        .collect();
    let key_events: Vec<Value> = shown
        .key_events
        .iter()
        .map(|key| {
            json!({
                "title": key.title,
                "url": paths::live_entry(article.id, key.entry_id),
                "time": frame.clock.time(key.posted_at),
            })
        })
        .collect();
    let context = json!({
        "running": running,
        "ended": article.coverage_end().map(|at| frame.clock.time(at)),
        "started": article.coverage_start().map(|at| frame.clock.time(at)),
        "page": page_number,
        "entries": entries,
        "count": shown.total + shown.pinned.len() as i64,
        "key_events": key_events,
        "refresh_url": format!("{page_url}#live"),
        "events_url": paths::live_events(article.id),
        "after_url": paths::live_entries_after(article.id, shown.newest_id),
        "newest_id": shown.newest_id,
        "pagination": pagination(&path, page_number, pages),
    });
    Some(LiveShown {
        context,
        shown,
        page_url,
        pages,
    })
}

/// One entry as the page and the fragment show it.
fn entry_view(
    state: &AppState,
    entry: &LiveEntry,
    images: &[Image],
    clock: &Clock,
    page_url: &str,
) -> Value {
    let permalink = absolute(state, &paths::live_entry(entry.article_id, entry.id));
    let image = entry
        .image_id
        .and_then(|id| images.iter().find(|image| image.id == id))
        .map(|image| {
            json!({
                "view": views::image_view(image, ENTRY_IMAGE_SIZES, 960),
                "caption": image.caption,
                "credit": image.credit,
            })
        });
    let notes: Vec<Value> = entry
        .notes
        .iter()
        .map(|note| {
            json!({
                "kind": note.kind.as_str(),
                "label": note.kind.label(),
                "text": note.text,
                "time": clock.time(note.published_at),
            })
        })
        .collect();
    json!({
        "id": entry.id,
        "anchor": entry_anchor(entry.id),
        "url": format!("{page_url}#{}", entry_anchor(entry.id)),
        "headline": entry.headline,
        "body_html": markdown::render_html(&entry.body),
        "time": clock.time(entry.posted_at),
        "updated": (entry.updated_at != entry.posted_at).then(|| clock.time(entry.updated_at)),
        "byline": entry.byline.name,
        "author_url": entry.byline.author.as_ref().map(|a| paths::author(&a.slug)),
        "key_event": entry.key_event,
        "pinned": entry.pinned,
        "image": image,
        "embed": entry.embed_url.as_ref().map(|url| json!({"url": url, "host": embed_host(url)})),
        "notes": notes,
        "share": views::share_links(&permalink, &entry_title(entry)),
    })
}

/// The `LiveBlogPosting` of a live page: the article's `NewsArticle` fields plus coverage times
/// and the entries shown, each a `BlogPosting` at its anchor on this page.
pub(super) fn jsonld_value(
    state: &AppState,
    article: jsonld::NewsArticleLd<'_>,
    page: &ArticlePage,
    live: &LiveShown,
) -> Value {
    let entries: Vec<&LiveEntry> = live
        .shown
        .pinned
        .iter()
        .chain(&live.shown.entries)
        .collect();
    let authors: Vec<Vec<(String, String)>> = entries
        .iter()
        .map(|entry| {
            vec![(
                entry.byline.name.clone(),
                entry
                    .byline
                    .author
                    .as_ref()
                    .map(|a| absolute(state, &paths::author(&a.slug)))
                    .unwrap_or_default(),
            )]
        })
        .collect();
    let page_url = absolute(state, &live.page_url);
    let updates = entries
        .iter()
        .zip(&authors)
        .map(|(entry, authors)| jsonld::BlogUpdateLd {
            url: format!("{page_url}#{}", entry_anchor(entry.id)),
            headline: entry_title(entry),
            body: markdown::plain_text(&entry.body),
            date_published: entry.posted_at,
            date_modified: entry.updated_at,
            authors: authors
                .iter()
                .map(|(name, url)| jsonld::PersonLd { name, url })
                .collect(),
            image: None,
            corrections: entry
                .notes
                .iter()
                .filter(|note| note.kind == dateline_core::NoteKind::Correction)
                .map(|note| jsonld::CorrectionLd {
                    text: &note.text,
                    date_published: note.published_at,
                })
                .collect(),
        })
        .collect();
    let article_record = &page.article;
    let start = article_record
        .coverage_start()
        .unwrap_or(article_record.updated_at);
    jsonld::LiveBlogPostingLd {
        article,
        coverage_start: start,
        // While coverage runs, Google asks for the expected end; a day after the latest change
        // is the newsroom's usual horizon, and each entry moves it on.
        coverage_end: article_record.coverage_end().unwrap_or_else(|| {
            article_record.updated_at.max(
                entries
                    .first()
                    .map_or(start, |entry| entry.posted_at.max(start)),
            ) + jiff::SignedDuration::from_hours(24)
        }),
        updates,
    }
    .to_value()
}

/// Loads published live coverage `article_id`, as readers may see it.
async fn published_live(
    state: &AppState,
    article_id: i64,
) -> Result<Option<ArticlePage>, WebError> {
    let page = state.store().articles().article_page(article_id).await?;
    Ok(page
        .filter(|page| page.article.status == ArticleStatus::Published && page.article.is_live()))
}

/// `text` if it is a number written the one way we write it: digits, no sign, no leading zero.
fn plain_number(text: &str) -> Option<i64> {
    let number: i64 = text.parse().ok()?;
    (number >= 0 && number.to_string() == text).then_some(number)
}

/// `/live/{article}/after/{entry}`: the entries newer than `entry` (at most
/// [`LiveNews::MAX_NEWER`], else 404), as the fragment the reader's script puts above the stream.
pub async fn entries_after(
    State(state): State<AppState>,
    Path((article, entry)): Path<(String, String)>,
) -> Result<Response, WebError> {
    // The page cache keys this fragment by its path, so only the one spelling of each number
    // may answer: `037` or `+37` would be another entry and another render.
    let (Some(article_id), Some(entry_id)) = (plain_number(&article), plain_number(&entry)) else {
        return not_found_page(&state).await;
    };
    let Some(page) = published_live(&state, article_id).await? else {
        return not_found_page(&state).await;
    };
    if !state
        .store()
        .live()
        .is_entry_of(article_id, entry_id)
        .await?
    {
        return not_found_page(&state).await;
    }
    let (entries, images) = state
        .store()
        .live()
        .after(article_id, entry_id, LiveNews::MAX_NEWER + 1)
        .await?;
    // A page further behind than one fragment brings up to date is better reloaded (the script
    // says so on a 404). It also bounds the fragments of a live blog, each a page cache entry
    // of up to `MAX_NEWER` entries, to its newest entries: walking the ids of a long blog
    // would otherwise push the site's real pages out of the cache.
    if entries.len() as i64 > LiveNews::MAX_NEWER {
        return not_found_page(&state).await;
    }
    let settings = state.store().site().settings().await?;
    let clock = Clock::for_settings(&settings);
    let path = paths::article(&page.section.slug, &page.article.slug);
    let views: Vec<Value> = entries
        .iter()
        .map(|entry| entry_view(&state, entry, &images, &clock, &path))
        .collect();
    let html = state.theme().render(
        "live_entries.html",
        minijinja::Value::from(minijinja::value::Serde(&json!({
            "entries": views,
            "newest_id": entries.first().map_or(entry_id, |entry| entry.id),
        }))),
    )?;
    let mut response = (StatusCode::OK, html).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let mut tags = vec![
        cache_tags::live(article_id),
        cache_tags::article(article_id),
        cache_tags::SITE.to_owned(),
    ];
    tags.extend(images.iter().map(|image| cache_tags::image(image.id)));
    response.extensions_mut().insert(Cacheable {
        tags,
        cache_control: PAGE_CACHE_CONTROL,
    });
    Ok(response)
}

/// `/live/{article}/entries/{entry}`: sends the reader to the page that shows the entry, at
/// its anchor. Share links use this address, which stays true as newer entries push an entry
/// onto later pages.
pub async fn permalink(
    State(state): State<AppState>,
    Path((article_id, entry_id)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let Some(page) = published_live(&state, article_id).await? else {
        return not_found_page(&state).await;
    };
    let Some(number) = state.store().live().page_of(article_id, entry_id).await? else {
        return not_found_page(&state).await;
    };
    let path = paths::article(&page.section.slug, &page.article.slug);
    let location = format!("{}#{}", page_url(&path, number), entry_anchor(entry_id));
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        LOCATION,
        HeaderValue::from_str(&location).unwrap_or(HeaderValue::from_static("/")),
    );
    // Where an entry is changes with every newer entry.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Ok(response)
}
