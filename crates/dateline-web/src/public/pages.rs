use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use dateline_core::{
    ArticlePage, Image, NoteKind, Section, SiteSettings, StorySummary, cache_tags, jsonld, paging,
    paths, slug,
};
use dateline_db::{
    ArticleLookup, CardFacts, FrontLayout, FrontPage, ListHead, ListLookup, ListOf, ListPage,
    SiteFrame, StoryFilter,
};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};
use jiff::Timestamp;
use serde_json::{Value, json};

use crate::feeds;
use crate::serve::{
    Cacheable, ListPages, NotFoundPage, PAGE_CACHE_CONTROL, list_page as requested_page,
    security_headers,
};
use crate::views::{
    self, AssetsView, CARD_SIZES, Clock, HERO_SIZES, LEAD_SIZES, MetaTag, NavItem, PageMeta,
    SiteView,
};
use crate::{AppState, WebError};

const LIST_PAGE_SIZE: i64 = 20;
const MORE_IN_SECTION: i64 = 5;
const RELATED: usize = 4;
const TOP_STORIES: i64 = 6;
const CORRECTIONS_PAGE_SIZE: i64 = 25;
const STORIES_PER_SECTION_BLOCK: i64 = 4;
/// A library logo is drawn at most this wide in the masthead; Google asks for logos of at least
/// 112 pixels, and the narrowest variant (480) covers both.
const LOGO_WIDTH: u32 = 480;
const LOGO_SIZES: &str = "15rem";

/// Everything every page shows (masthead, navigation, assets), and the tags that come with it.
#[derive(Clone)]
pub(super) struct Frame {
    pub(super) settings: SiteSettings,
    pub(super) sections: Vec<Section>,
    /// The logo chosen in settings, if it is still in the library.
    logo: Option<Image>,
    pub(super) clock: Clock,
    tags: BTreeSet<String>,
    /// Feed autodiscovery links for the head: the site's, plus the page's section or author.
    feeds: Vec<feeds::FeedLink>,
    /// Whether cards show a "Live" badge on running live coverage (front and section pages).
    live_badges: bool,
    /// The published static pages, linked from the footer.
    pages: Vec<dateline_core::PageLink>,
}

/// The frame as this node last loaded it, for the pages answered where no query should run:
/// the refusals the listener gives (`tips::refuse_on_listener`). Dropped by the change that
/// touches what it shows, as the cached pages showing it are (`AppState::apply_changes`).
pub(crate) struct FrameSnapshot {
    /// The frame, and how many changes to it there were; a frame loaded while one happened is
    /// not kept (it may show what the change replaced).
    held: Mutex<(u64, Option<Arc<Frame>>)>,
}

impl FrameSnapshot {
    pub(crate) fn new() -> Self {
        Self {
            held: Mutex::new((0, None)),
        }
    }

    /// A change with `tags` was applied: a frame it may touch is dropped.
    pub(crate) fn changed<S: AsRef<str>>(&self, tags: &[S]) {
        // The site's settings and sections, the footer's pages and the logo, whichever picture
        // it is: what `Frame::load` reads.
        let touches = tags.iter().any(|tag| {
            let tag = tag.as_ref();
            tag == cache_tags::SITE || tag == cache_tags::PAGES_LIST || tag.starts_with("image:")
        });
        if touches {
            let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            held.0 += 1;
            held.1 = None;
        }
    }
}

impl Frame {
    /// The frame of this node's snapshot, if it has one: no query.
    pub(super) fn snapshot(state: &AppState) -> Option<Self> {
        let held = state
            .frame_snapshot()
            .held
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        held.1.as_deref().cloned()
    }

    /// The frame from this node's snapshot, loaded (and kept) when there is none. For pages
    /// that are never cached: a cached page loads its own, so that what it shows and the tags
    /// it is stored under come from one read.
    pub(super) async fn remembered(state: &AppState) -> Result<Self, WebError> {
        let snapshot = state.frame_snapshot();
        let generation = {
            let held = snapshot.held.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(frame) = &held.1 {
                return Ok(Frame::clone(frame));
            }
            held.0
        };
        let frame = Frame::load(state).await?;
        let mut held = snapshot.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.0 == generation {
            held.1 = Some(Arc::new(frame.clone()));
        }
        Ok(frame)
    }

    pub(super) async fn load(state: &AppState) -> Result<Self, WebError> {
        Ok(Self::of(state.store().public().site_frame().await?))
    }

    /// The frame of a page whose read model carried it.
    fn of(site: SiteFrame) -> Self {
        let SiteFrame {
            settings,
            sections,
            pages,
            logo,
        } = site;
        let clock = Clock::for_settings(&settings);
        let mut tags = BTreeSet::from([
            cache_tags::SITE.to_owned(),
            cache_tags::PAGES_LIST.to_owned(),
        ]);
        if let Some(id) = settings.logo_image_id {
            tags.insert(cache_tags::image(id));
        }
        Self {
            feeds: feeds::site_links(&settings),
            settings,
            sections,
            logo,
            clock,
            tags,
            live_badges: false,
            pages,
        }
    }

    /// Adds a tag to what the page shows.
    pub(super) fn tag(&mut self, tag: String) {
        self.tags.insert(tag);
    }

    fn logo_view(&self) -> Option<views::ImageView> {
        self.logo
            .as_ref()
            .map(|image| views::image_view(image, LOGO_SIZES, LOGO_WIDTH))
    }

    fn tag_story(&mut self, story: &StorySummary) {
        self.tags.insert(cache_tags::article(story.id));
        self.tags.insert(cache_tags::section(story.section.id));
        self.tags
            .extend(story.authors.iter().map(|a| cache_tags::author(a.id)));
        if let Some(image) = &story.hero {
            self.tags.insert(cache_tags::image(image.id));
        }
    }

    pub(super) fn stories(
        &mut self,
        stories: &[StorySummary],
        sizes: &'static str,
    ) -> Vec<views::StoryView> {
        stories
            .iter()
            .map(|story| {
                self.tag_story(story);
                views::story_view(story, &self.clock, sizes)
            })
            .collect()
    }

    /// Cards for a list page, with each story's comment count. The page then carries the
    /// stories' discussion tags, so it is dropped when a count can change, just as often as
    /// the article pages themselves and no more.
    pub(super) fn cards(
        &mut self,
        stories: &[StorySummary],
        sizes: &'static str,
        facts: &CardFacts,
    ) -> Vec<views::StoryView> {
        let mut cards = self.stories(stories, sizes);
        for card in &mut cards {
            self.tags.insert(cache_tags::discussion(card.id));
            card.comment_count = facts.comment_counts.get(&card.id).copied().unwrap_or(0);
            // The badge's page is dropped by every entry of the coverage, as the issue asks.
            if self.live_badges && facts.running.contains(&card.id) {
                self.tags.insert(cache_tags::live(card.id));
                card.live = true;
            }
        }
        cards
    }

    /// The context every template gets, plus `extra`.
    pub(super) fn context(
        &self,
        state: &AppState,
        current_section: Option<i64>,
        meta: PageMeta,
        tags_meta: Vec<MetaTag>,
        jsonld: Option<String>,
        extra: Value,
    ) -> Value {
        let base_url = &state.config().base_url;
        let theme = state.theme();
        let logo = self.logo_view();
        let site = SiteView {
            name: self.settings.name.clone(),
            tagline: self.settings.tagline.clone(),
            language: self.settings.language.clone(),
            base_url: base_url.clone(),
            logo_url: match &logo {
                Some(view) => format!("{base_url}{}", view.src),
                None => format!("{base_url}{}", theme.asset_url("logo.svg")),
            },
            logo,
            standards: views::standards_links(&self.settings, &self.pages),
        };
        let nav: Vec<NavItem> = self
            .sections
            .iter()
            .map(|section| NavItem {
                name: section.name.clone(),
                url: paths::section(&section.slug),
                current: Some(section.id) == current_section,
            })
            .collect();
        let mut context = json!({
            "site": site,
            "assets": AssetsView {
                css: theme.asset_url("site.css").to_owned(),
                js: theme.asset_url("site.js").to_owned(),
                favicon: theme.asset_url("favicon.svg").to_owned(),
            },
            "nav": nav,
            "page": meta,
            "meta": tags_meta,
            "jsonld": jsonld,
            "feeds": self.feeds,
        });
        if let (Some(context), Value::Object(extra)) = (context.as_object_mut(), extra) {
            context.extend(extra);
        }
        context
    }

    pub(super) fn render(
        self,
        state: &AppState,
        template: &str,
        context: Value,
        status: StatusCode,
    ) -> Result<Response, WebError> {
        self.render_with(state, template, context, status, true)
    }

    /// For pages that depend on more than the path and `?page=` (search results): never stored
    /// in the page cache, which keys on those alone.
    pub(super) fn render_uncached(
        self,
        state: &AppState,
        template: &str,
        context: Value,
        status: StatusCode,
    ) -> Result<Response, WebError> {
        self.render_with(state, template, context, status, false)
    }

    fn render_with(
        self,
        state: &AppState,
        template: &str,
        context: Value,
        status: StatusCode,
        cacheable: bool,
    ) -> Result<Response, WebError> {
        let html = state.theme().render(
            template,
            minijinja::Value::from(minijinja::value::Serde(&context)),
        )?;
        let mut response = (status, html).into_response();
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        if status == StatusCode::OK && cacheable {
            response.extensions_mut().insert(Cacheable {
                tags: self.tags.into_iter().collect(),
                cache_control: PAGE_CACHE_CONTROL,
            });
        } else {
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            security_headers(response.headers_mut());
        }
        Ok(response)
    }
}

pub(super) fn absolute(state: &AppState, path: &str) -> String {
    format!("{}{path}", state.config().base_url)
}

/// The address of page `n` of the list at `path`.
pub(super) fn page_url(path: &str, n: i64) -> String {
    if n == 1 {
        path.to_owned()
    } else {
        format!("{path}?page={n}")
    }
}

/// The theme's `pagination` context for page `page` of `pages`.
pub(super) fn pagination(path: &str, page: i64, pages: i64) -> Value {
    json!({
        "page": page,
        "pages": pages,
        "prev_url": (page > 1).then(|| page_url(path, page - 1)),
        "next_url": (page < pages).then(|| page_url(path, page + 1)),
    })
}

pub(super) fn website_meta(
    frame: &Frame,
    state: &AppState,
    title: &str,
    description: &str,
    path: &str,
) -> Vec<MetaTag> {
    vec![
        MetaTag::property("og:type", "website"),
        MetaTag::property("og:site_name", frame.settings.name.clone()),
        MetaTag::property("og:title", title),
        MetaTag::property("og:description", description),
        MetaTag::property("og:url", absolute(state, path)),
        MetaTag::name("twitter:card", "summary"),
        MetaTag::name("twitter:title", title),
        MetaTag::name("twitter:description", description),
    ]
}

pub async fn front(State(state): State<AppState>) -> Result<Response, WebError> {
    let FrontPage {
        frame,
        latest,
        sections,
        facts,
    } = state
        .store()
        .public()
        .front_page(
            Timestamp::now(),
            FrontLayout {
                latest: 1 + TOP_STORIES,
                per_section: STORIES_PER_SECTION_BLOCK,
            },
        )
        .await?;
    let mut frame = Frame::of(frame);
    frame.live_badges = true;
    frame.tags.insert(cache_tags::FRONT_LIST.to_owned());
    // Every section's block follows its list, shown or not: a story published there may
    // bring a block back.
    let lists: Vec<String> = frame
        .sections
        .iter()
        .map(|section| cache_tags::section_list(section.id))
        .collect();
    frame.tags.extend(lists);
    let lead = frame
        .cards(latest.get(..1).unwrap_or_default(), LEAD_SIZES, &facts)
        .pop();
    let top = frame.cards(latest.get(1..).unwrap_or_default(), CARD_SIZES, &facts);
    let blocks: Vec<Value> = sections
        .iter()
        .map(|block| {
            json!({
                "section": {
                    "name": block.section.name,
                    "url": paths::section(&block.section.slug),
                },
                "stories": frame.cards(&block.stories, CARD_SIZES, &facts),
            })
        })
        .collect();
    let title = frame.settings.name.clone();
    let description = frame.settings.tagline.clone();
    let meta = PageMeta {
        title: title.clone(),
        description: description.clone(),
        canonical: absolute(&state, "/"),
        robots: None,
    };
    let og = website_meta(&frame, &state, &title, &description, "/");
    let jsonld = jsonld::to_script_json(&json!({
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": title,
        "url": absolute(&state, "/"),
        "publisher": {"@type": "NewsMediaOrganization", "name": frame.settings.name},
    }));
    let context = frame.context(
        &state,
        None,
        meta,
        og,
        Some(jsonld),
        json!({"lead": lead, "top": top, "sections": blocks}),
    );
    frame.render(&state, "front.html", context, StatusCode::OK)
}

pub async fn section(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    if !slug::is_valid_slug(&slug) {
        return not_found_page(&state).await;
    }
    let lookup = match requested_page(query.as_deref()) {
        Some(page) => {
            let list = state
                .store()
                .public()
                .list_page(
                    ListOf::Section(&slug),
                    Timestamp::now(),
                    page,
                    LIST_PAGE_SIZE,
                )
                .await?;
            (list, page)
        }
        // A query that names no page: a section answers 404, a static page ignores it.
        None => match state.store().site().section_by_slug(&slug).await? {
            Some(_) => (ListLookup::NoSuchPage, 1),
            None => (ListLookup::NoSuchList, 1),
        },
    };
    match lookup {
        (ListLookup::Found(list), page) => listing_page(&state, *list, page),
        (ListLookup::NoSuchPage, _) => not_found_page(&state).await,
        (ListLookup::NoSuchList, _) => {
            // Sections and static pages share the top of the site; sections win, and a page
            // may not take a section's address (`dateline_usecases::pages`).
            if let Some(page) = state.store().static_pages().published_at(&slug).await? {
                return super::static_pages::render(
                    &state,
                    &page,
                    super::static_pages::Mode::Public,
                )
                .await;
            }
            if let Some(moved) = state.store().site().section_by_old_slug(&slug).await? {
                return Ok(permanent_redirect(&paths::section(&moved.slug)));
            }
            not_found_page(&state).await
        }
    }
}

/// The author's photo is drawn small beside their name.
const AUTHOR_PHOTO_SIZES: &str = "10rem";

pub async fn author(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    person_or_topic(&state, ListOf::Author(&slug), query.as_deref()).await
}

pub async fn tag(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    person_or_topic(&state, ListOf::Tag(&slug), query.as_deref()).await
}

/// An author or tag page: the list, or the themed 404 for an unknown slug or page.
async fn person_or_topic(
    state: &AppState,
    list: ListOf<'_>,
    query: Option<&str>,
) -> Result<Response, WebError> {
    let (ListOf::Author(slug) | ListOf::Tag(slug) | ListOf::Section(slug)) = list;
    let Some(page) = requested_page(query).filter(|_| slug::is_valid_slug(slug)) else {
        return not_found_page(state).await;
    };
    match state
        .store()
        .public()
        .list_page(list, Timestamp::now(), page, LIST_PAGE_SIZE)
        .await?
    {
        ListLookup::Found(list) => listing_page(state, *list, page),
        ListLookup::NoSuchList | ListLookup::NoSuchPage => not_found_page(state).await,
    }
}

/// What a section, author or tag page lists, and how it introduces the list.
struct Listing {
    path: String,
    current_section: Option<i64>,
    title: String,
    description: String,
    /// The template's `listing` object.
    context: Value,
}

/// How a list page introduces its list, and the cache tags and feeds that come with it.
fn introduce(frame: &mut Frame, head: &ListHead) -> Listing {
    match head {
        ListHead::Section(section) => {
            frame.live_badges = true;
            frame.tags.insert(cache_tags::section(section.id));
            frame.tags.insert(cache_tags::section_list(section.id));
            let section_feeds = feeds::section_links(&frame.settings, &section.slug, &section.name);
            frame.feeds.extend(section_feeds);
            Listing {
                path: paths::section(&section.slug),
                current_section: Some(section.id),
                title: section.name.clone(),
                description: section.description.clone(),
                context: json!({
                    "kind": "section",
                    "heading": section.name,
                    "description": (!section.description.is_empty())
                        .then_some(&section.description),
                }),
            }
        }
        ListHead::Author(head) => {
            let (profile, photo) = (&head.profile, &head.photo);
            let author = &profile.author;
            frame.tags.insert(cache_tags::author(author.id));
            frame.tags.insert(cache_tags::author_list(author.id));
            if let Some(id) = profile.photo_image_id {
                frame.tags.insert(cache_tags::image(id));
            }
            let photo = photo
                .as_ref()
                .map(|image| views::image_view(image, AUTHOR_PHOTO_SIZES, 480));
            let author_feeds = feeds::author_links(&frame.settings, &author.slug, &author.name);
            frame.feeds.extend(author_feeds);
            Listing {
                path: paths::author(&author.slug),
                current_section: None,
                title: author.name.clone(),
                description: if author.role.is_empty() {
                    format!("Stories by {}", author.name)
                } else {
                    format!("{}, {}", author.name, author.role)
                },
                context: json!({
                    "kind": "author",
                    "heading": author.name,
                    "role": (!author.role.is_empty()).then_some(&author.role),
                    "bio": (!author.bio.is_empty()).then_some(&author.bio),
                    "photo": photo,
                    "links": profile.links,
                }),
            }
        }
        ListHead::Tag(tag) => {
            frame.tags.insert(cache_tags::tag(tag.id));
            frame.tags.insert(cache_tags::tag_list(tag.id));
            Listing {
                path: paths::tag(&tag.slug),
                current_section: None,
                title: tag.name.clone(),
                description: format!("Stories about {}", tag.name),
                context: json!({"kind": "tag", "heading": tag.name}),
            }
        }
    }
}

fn listing_page(state: &AppState, list: ListPage, page: i64) -> Result<Response, WebError> {
    let ListPage {
        frame,
        head,
        stories,
        total,
        facts,
    } = list;
    let mut frame = Frame::of(frame);
    let Listing {
        path,
        current_section,
        title,
        description,
        context: listing,
    } = introduce(&mut frame, &head);
    let (path, title, description) = (path.as_str(), title.as_str(), description.as_str());
    let pages = paging::count(total, LIST_PAGE_SIZE);
    let pagination = pagination(path, page, pages);
    // The theme appends the site name.
    let full_title = if page > 1 {
        format!("{title}, page {page}")
    } else {
        title.to_owned()
    };
    let canonical_path = page_url(path, page);
    let meta = PageMeta {
        title: full_title.clone(),
        description: description.to_owned(),
        canonical: absolute(state, &canonical_path),
        robots: None,
    };
    let og = website_meta(&frame, state, &full_title, description, &canonical_path);
    let story_views = frame.cards(&stories, CARD_SIZES, &facts);
    let context = frame.context(
        state,
        current_section,
        meta,
        og,
        None,
        json!({"listing": listing, "stories": story_views, "pagination": pagination}),
    );
    list_of_pages(
        frame.render(state, "listing.html", context, StatusCode::OK),
        pages,
    )
}

/// Marks a rendered list page with the number of pages of its list (see `serve::ListPages`).
fn list_of_pages(rendered: Result<Response, WebError>, pages: i64) -> Result<Response, WebError> {
    let mut response = rendered?;
    response.extensions_mut().insert(ListPages(pages));
    Ok(response)
}

pub async fn article(
    State(state): State<AppState>,
    Path((section_slug, slug)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    // Slugs are checked before they reach the database: PostgreSQL refuses text with a NUL
    // byte, and nothing that is not a slug can name a page.
    if !slug::is_valid_slug(&section_slug) || !slug::is_valid_slug(&slug) {
        return not_found_page(&state).await;
    }
    let page = match state
        .store()
        .articles()
        .published_at(&section_slug, &slug)
        .await?
    {
        ArticleLookup::Found(page) => page,
        ArticleLookup::MovedTo(path) => return Ok(permanent_redirect(&path)),
        ArticleLookup::NotFound => return not_found_page(&state).await,
    };
    // Live coverage has pages of entries; a story has one page whatever the query says.
    let live_page = if page.article.is_live() {
        match requested_page(query.as_deref()) {
            Some(number) => number,
            None => return not_found_page(&state).await,
        }
    } else {
        1
    };
    render_article_at(&state, &page, ArticleMode::Public, live_page).await
}

/// Whether the article page is the public one or the newsroom's preview of unsaved text.
#[derive(Debug, Clone, Copy)]
pub(crate) enum ArticleMode<'a> {
    Public,
    /// Shown with a banner, never indexed, never stored in the page cache. The banner is a form
    /// carrying what was typed (`action`, `fields`) back to the editor, so nothing is lost.
    Preview {
        action: &'a str,
        fields: &'a Value,
    },
}

/// The article page exactly as readers get it; the newsroom's preview renders through here so
/// that what an editor checks is what goes out.
pub(crate) async fn render_article(
    state: &AppState,
    page: &ArticlePage,
    mode: ArticleMode<'_>,
) -> Result<Response, WebError> {
    render_article_at(state, page, mode, 1).await
}

/// The article page, showing page `live_page` of its entries when it is live coverage.
async fn render_article_at(
    state: &AppState,
    page: &ArticlePage,
    mode: ArticleMode<'_>,
    live_page: i64,
) -> Result<Response, WebError> {
    let mut frame = Frame::load(state).await?;
    let more = state
        .store()
        .public()
        .stories(
            StoryFilter::Section(page.section.id),
            Timestamp::now(),
            MORE_IN_SECTION,
            &[page.article.id],
        )
        .await?;
    tag_article(&mut frame, page);
    let live = super::live::block(state, &mut frame, page, live_page).await?;
    if page.article.is_live() && live.is_none() {
        return not_found_page(state).await;
    }
    let section_feeds =
        feeds::section_links(&frame.settings, &page.section.slug, &page.section.name);
    frame.feeds.extend(section_feeds);
    let view = views::article_view(page, &frame.clock, &state.config().base_url);
    let narration = article_audio(state, page.article.id).await;
    let audio = narration
        .as_ref()
        .and_then(|audio| audio.playable().cloned());
    let listen = audio
        .as_ref()
        .map(|files| views::listen_view(files, state.theme().asset_url("listen.js")));
    // No audio yet (an archive story, narrated on its first listen): a button that asks for it.
    let listen_request = match (&audio, &narration, mode) {
        (None, Some(audio), ArticleMode::Public) if audio.opted_out => None,
        (None, narration, ArticleMode::Public) => Some(super::audio::request_view(
            page.article.id,
            narration.as_ref().map(|audio| audio.status),
        )),
        _ => None,
    };
    // The first page of the discussion is part of the cached page; approving a comment drops it.
    frame.tags.insert(cache_tags::discussion(page.article.id));
    let (discussion, comment_count) =
        super::discussion::article_block(state, page, &frame.clock).await?;
    let jsonld = article_jsonld(
        state,
        &frame,
        page,
        &view.url,
        audio.as_ref(),
        comment_count,
        live.as_ref(),
    );
    let meta_tags = article_meta(state, &frame, page, &view);
    let meta = PageMeta {
        title: page.article.headline.clone(),
        description: page.article.standfirst.clone(),
        canonical: view.url.clone(),
        robots: Some(
            match mode {
                ArticleMode::Public => "max-image-preview:large",
                ArticleMode::Preview { .. } => "noindex, nofollow",
            }
            .to_owned(),
        ),
    };
    let share = views::share_links(&view.url, &page.article.headline);
    let more_views = frame.stories(&more, CARD_SIZES);
    let related = related_stories(state, page.article.id, &more).await;
    let related_views = frame.stories(&related, CARD_SIZES);
    let context = frame.context(
        state,
        Some(page.section.id),
        meta,
        meta_tags,
        Some(jsonld),
        json!({
            "article": view,
            "share": share,
            "listen": listen,
            "listen_request": listen_request,
            "more_in_section": more_views,
            "related": related_views,
            "discussion": discussion,
            "live": live.as_ref().map(|live| &live.context),
            "preview": match mode {
                ArticleMode::Public => Value::Null,
                ArticleMode::Preview { action, fields } => {
                    json!({ "action": action, "fields": fields })
                }
            },
        }),
    );
    match mode {
        // A live page is a list of entries: each of its pages is a page of its own to the cache.
        ArticleMode::Public => match &live {
            Some(live) => list_of_pages(
                frame.render(state, "article.html", context, StatusCode::OK),
                live.pages,
            ),
            None => frame.render(state, "article.html", context, StatusCode::OK),
        },
        ArticleMode::Preview { .. } => {
            frame.render_uncached(state, "article.html", context, StatusCode::OK)
        }
    }
}

/// "Related": the stories most like this one by content, leaving out what "More in <Section>"
/// already shows. A page without it beats no page, so an index failure only drops the list.
async fn related_stories(
    state: &AppState,
    article_id: i64,
    more_in_section: &[StorySummary],
) -> Vec<StorySummary> {
    let Some(search) = state.search() else {
        return Vec::new();
    };
    let exclude = more_in_section.iter().map(|story| story.id).collect();
    let ids = match search.related(article_id, RELATED, exclude).await {
        Ok(ids) => ids,
        Err(error) => {
            tracing::warn!(%error, article_id, "could not find related stories");
            return Vec::new();
        }
    };
    match state.store().public().stories_by_ids(&ids).await {
        Ok(stories) => stories,
        Err(error) => {
            tracing::warn!(%error, article_id, "could not load related stories");
            Vec::new()
        }
    }
}

/// `/corrections`: every correction on a published story, newest first, with its feeds.
pub async fn corrections(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, WebError> {
    let Some(page) = requested_page(query.as_deref()) else {
        return not_found_page(&state).await;
    };
    let total = state.store().articles().count_corrections().await?;
    let pages = ((total + CORRECTIONS_PAGE_SIZE - 1) / CORRECTIONS_PAGE_SIZE).max(1);
    if page > pages {
        return not_found_page(&state).await;
    }
    let entries = state
        .store()
        .articles()
        .corrections(CORRECTIONS_PAGE_SIZE, (page - 1) * CORRECTIONS_PAGE_SIZE)
        .await?;
    let mut frame = Frame::load(&state).await?;
    // A new correction, or an unpublished or republished story with corrections, changes the
    // list; an edited headline changes an entry.
    frame.tags.insert(cache_tags::CORRECTIONS_LIST.to_owned());
    for entry in &entries {
        frame
            .tags
            .insert(cache_tags::article(entry.note.article_id));
    }
    let corrections_feeds = feeds::corrections_links(&frame.settings);
    frame.feeds.extend(corrections_feeds);
    let items: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({
                "headline": entry.headline,
                "url": format!("{}#note-{}", entry.article_path(), entry.note.id),
                "text": entry.note.text,
                "time": frame.clock.time(entry.note.published_at),
            })
        })
        .collect();
    let path = paths::CORRECTIONS;
    let title = if page > 1 {
        format!("Corrections, page {page}")
    } else {
        "Corrections".to_owned()
    };
    let description = format!(
        "Every correction {} has made to a published story, newest first.",
        frame.settings.name
    );
    let canonical_path = page_url(path, page);
    let meta = PageMeta {
        title: title.clone(),
        description: description.clone(),
        canonical: absolute(&state, &canonical_path),
        robots: None,
    };
    let og = website_meta(&frame, &state, &title, &description, &canonical_path);
    let context = frame.context(
        &state,
        None,
        meta,
        og,
        None,
        json!({
            "corrections": items,
            "corrections_policy_url": frame.settings.corrections_policy_url,
            "pagination": pagination(path, page, pages),
        }),
    );
    list_of_pages(
        frame.render(&state, "corrections.html", context, StatusCode::OK),
        pages,
    )
}

fn tag_article(frame: &mut Frame, page: &ArticlePage) {
    let tags = &mut frame.tags;
    tags.insert(cache_tags::article(page.article.id));
    tags.insert(cache_tags::section(page.section.id));
    // "More in <Section>" lists the section's latest stories.
    tags.insert(cache_tags::section_list(page.section.id));
    tags.insert(cache_tags::RELATED_LISTS.to_owned());
    tags.extend(page.authors.iter().map(|a| cache_tags::author(a.id)));
    tags.extend(page.tags.iter().map(|t| cache_tags::tag(t.id)));
    if let Some(image) = &page.hero {
        tags.insert(cache_tags::image(image.id));
    }
}

/// The narration readers can play, if there is one. A page without the player beats no page, so
/// a failed read only leaves the player out.
async fn article_audio(state: &AppState, article_id: i64) -> Option<dateline_db::ArticleAudio> {
    match state.store().narration().article_audio(article_id).await {
        Ok(audio) => audio,
        Err(error) => {
            tracing::warn!(%error, article_id, "could not read the article's audio");
            None
        }
    }
}

fn article_jsonld(
    state: &AppState,
    frame: &Frame,
    page: &ArticlePage,
    url: &str,
    audio: Option<&dateline_db::AudioFiles>,
    comment_count: i64,
    live: Option<&super::live::LiveShown>,
) -> String {
    let audio_url = audio.map(|files| absolute(state, &super::audio_url(&files.mp3_key)));
    let base_url = &state.config().base_url;
    let author_urls: Vec<String> = page
        .authors
        .iter()
        .map(|a| absolute(state, &paths::author(&a.slug)))
        .collect();
    let image = page
        .hero
        .as_ref()
        .map(|image| (image, views::image_view(image, HERO_SIZES, 1600)));
    let image_url = image.as_ref().map(|(_, view)| absolute(state, &view.src));
    let (logo_url, logo_width, logo_height) = match frame.logo_view() {
        Some(view) => (absolute(state, &view.src), view.width, view.height),
        None => (
            format!("{base_url}{}", state.theme().asset_url("logo.svg")),
            600,
            60,
        ),
    };
    // Policy pages on the site itself are given as paths in settings; JSON-LD needs URLs.
    let policy_urls = [
        &frame.settings.corrections_policy_url,
        &frame.settings.ethics_policy_url,
    ]
    .map(|url| {
        url.as_ref().map(|url| {
            if url.starts_with('/') {
                absolute(state, url)
            } else {
                url.clone()
            }
        })
    });
    let article = &page.article;
    let document = jsonld::NewsArticleLd {
        url,
        headline: &article.headline,
        description: &article.standfirst,
        section: &page.section.name,
        keywords: page.tags.iter().map(|t| t.name.as_str()).collect(),
        date_published: article.first_published_at.unwrap_or(article.updated_at),
        date_modified: article.updated_at,
        time_zone: &frame.clock.zone,
        language: &article.language,
        word_count: dateline_core::markdown::body_stats(&article.body).words,
        authors: page
            .authors
            .iter()
            .zip(&author_urls)
            .map(|(a, url)| jsonld::PersonLd { name: &a.name, url })
            .collect(),
        images: image
            .iter()
            .zip(&image_url)
            .map(|((image, view), url)| jsonld::ImageLd {
                url,
                width: view.width,
                height: view.height,
                caption: image.caption.as_deref(),
                credit: image.credit.as_deref(),
                source_type: image.source_type,
            })
            .collect(),
        publisher: jsonld::Publisher {
            name: &frame.settings.name,
            url: base_url,
            logo_url: &logo_url,
            logo_width,
            logo_height,
            corrections_policy_url: policy_urls[0].as_deref(),
            ethics_policy_url: policy_urls[1].as_deref(),
        },
        corrections: page
            .notes
            .iter()
            .filter(|n| n.kind == NoteKind::Correction)
            .map(|n| jsonld::CorrectionLd {
                text: &n.text,
                date_published: n.published_at,
            })
            .collect(),
        audio: audio
            .zip(audio_url.as_deref())
            .map(|(files, content_url)| jsonld::AudioLd {
                content_url,
                duration_ms: files.duration_ms,
                size_bytes: files.mp3_bytes,
            }),
    };
    let mut value = match live {
        Some(live) => super::live::jsonld_value(state, document, page, live),
        None => document.to_value(),
    };
    // schema.org CreativeWork.commentCount: the approved comments readers can see.
    if let Some(object) = value.as_object_mut() {
        object.insert("commentCount".to_owned(), json!(comment_count));
    }
    jsonld::to_script_json(&value)
}

fn article_meta(
    state: &AppState,
    frame: &Frame,
    page: &ArticlePage,
    view: &views::ArticleView,
) -> Vec<MetaTag> {
    let article = &page.article;
    let mut tags = vec![
        MetaTag::property("og:type", "article"),
        MetaTag::property("og:site_name", frame.settings.name.clone()),
        MetaTag::property("og:title", article.headline.clone()),
        MetaTag::property("og:description", article.standfirst.clone()),
        MetaTag::property("og:url", view.url.clone()),
        MetaTag::property("og:locale", article.language.replace('-', "_")),
        MetaTag::property("article:published_time", view.published.iso.clone()),
        MetaTag::property(
            "article:modified_time",
            frame.clock.time(article.updated_at).iso,
        ),
        MetaTag::property("article:section", page.section.name.clone()),
    ];
    for author in &page.authors {
        tags.push(MetaTag::property(
            "article:author",
            absolute(state, &paths::author(&author.slug)),
        ));
    }
    for tag in &page.tags {
        tags.push(MetaTag::property("article:tag", tag.name.clone()));
    }
    tags.push(MetaTag::name(
        "twitter:card",
        if view.image.is_some() {
            "summary_large_image"
        } else {
            "summary"
        },
    ));
    tags.push(MetaTag::name("twitter:title", article.headline.clone()));
    tags.push(MetaTag::name(
        "twitter:description",
        article.standfirst.clone(),
    ));
    if let (Some(hero), Some(image)) = (&page.hero, &view.image) {
        let large = views::image_view(hero, HERO_SIZES, 1600);
        let url = absolute(state, &large.src);
        tags.push(MetaTag::property("og:image", url.clone()));
        tags.push(MetaTag::property("og:image:width", large.width.to_string()));
        tags.push(MetaTag::property(
            "og:image:height",
            large.height.to_string(),
        ));
        tags.push(MetaTag::property("og:image:alt", image.alt.clone()));
        tags.push(MetaTag::name("twitter:image", url));
        tags.push(MetaTag::name("twitter:image:alt", image.alt.clone()));
    }
    if let Some(names) = page.authors.first().map(|_| {
        page.authors
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }) {
        tags.push(MetaTag::name("author", names));
    }
    tags
}

pub(super) fn permanent_redirect(path: &str) -> Response {
    // 301, not 308: every crawler and feed reader treats 301 as "update your link".
    let location = HeaderValue::from_str(path).unwrap_or(HeaderValue::from_static("/"));
    (
        StatusCode::MOVED_PERMANENTLY,
        [
            (http::header::LOCATION, location),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
    )
        .into_response()
}

pub async fn robots(State(state): State<AppState>) -> Response {
    let body = format!(
        "# Dateline\nUser-agent: *\nAllow: /\nDisallow: /newsroom\nDisallow: /api/\n\n# Host: {base}\n\
         # The sitemap index (sitemaps.org: a Sitemap line takes an absolute URL).\n\
         Sitemap: {base}/sitemap.xml\n",
        base = state.config().base_url
    );
    let mut response = body.into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response.extensions_mut().insert(Cacheable {
        tags: vec![cache_tags::SITE.to_owned()],
        cache_control: PAGE_CACHE_CONTROL,
    });
    response
}

pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store().changes().latest_id().await {
        Ok(_) => (
            [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
            "ok\n",
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(CACHE_CONTROL, HeaderValue::from_static("no-store"))],
                "database unreachable\n",
            )
                .into_response()
        }
    }
}

/// Picture variants under `/media/images/…`, streamed (`objects`). Keys are content-addressed,
/// so a URL's bytes never change.
pub async fn media(
    State(state): State<AppState>,
    Path(key): Path<String>,
    method: http::Method,
    headers: http::HeaderMap,
) -> Response {
    let Some(content_type) = public_media(&key) else {
        return super::objects::not_found();
    };
    let file = super::objects::PublicFile { key, content_type };
    super::objects::send(&state, &file, &method, &headers).await
}

/// The content type of a stored object readers may fetch by key, or `None` for everything else.
/// Only picture variants are public, by allow-list: originals keep the uploader's metadata (EXIF,
/// possibly GPS; readers get the re-encoded variants), and the rest of storage (tip attachments,
/// the narration's paragraph cache) is never for readers. `key` arrives percent-decoded once; a
/// second layer of encoding leaves a `%`, which no key has. Stored keys are lower case, so
/// `IMAGES/` or `Original.jpg` name nothing public either, on any store.
fn public_media(key: &str) -> Option<&'static str> {
    let well_formed = key.len() < 300
        && key
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'-' | b'_'));
    let file = key.rsplit('/').next().unwrap_or_default();
    let original = file.to_ascii_lowercase().starts_with("original.");
    if !well_formed || !key.starts_with("images/") || original {
        return None;
    }
    match file.rsplit_once('.').map(|(_, extension)| extension) {
        Some("jpg" | "jpeg") => Some("image/jpeg"),
        Some("webp") => Some("image/webp"),
        Some("png") => Some("image/png"),
        Some("gif") => Some("image/gif"),
        Some("avif") => Some("image/avif"),
        _ => None,
    }
}

/// The themed 404 for any path no route claims.
pub async fn not_found(State(state): State<AppState>) -> Response {
    match not_found_page(&state).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// The themed 404. Rendered once and then answered from the page cache (until a publication
/// changes the stories it suggests): asking for pages that do not exist costs a lookup.
pub(super) async fn not_found_page(state: &AppState) -> Result<Response, WebError> {
    if let Some(mut cached) = crate::serve::cached_not_found(state, &http::HeaderMap::new()) {
        // The page-cache middleware answers it again in an encoding the client takes.
        cached.extensions_mut().insert(NotFoundPage);
        return Ok(cached);
    }
    let mut frame = Frame::load(state).await?;
    frame.tags.insert(cache_tags::FRONT_LIST.to_owned());
    let latest = state
        .store()
        .public()
        .stories(StoryFilter::All, Timestamp::now(), 4, &[])
        .await?;
    let suggestions = frame.stories(&latest, CARD_SIZES);
    let meta = PageMeta {
        title: "Page not found".to_owned(),
        description: "This page does not exist or has moved.".to_owned(),
        canonical: absolute(state, "/"),
        robots: Some("noindex".to_owned()),
    };
    let context = frame.context(
        state,
        None,
        meta,
        Vec::new(),
        None,
        json!({"suggestions": suggestions}),
    );
    let tags = frame.tags.iter().cloned().collect();
    let mut response = frame.render(state, "not_found.html", context, StatusCode::NOT_FOUND)?;
    response.extensions_mut().insert(Cacheable {
        tags,
        cache_control: "no-store",
    });
    response.extensions_mut().insert(NotFoundPage);
    Ok(response)
}
