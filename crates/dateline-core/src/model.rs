//! The newsroom's nouns. Times are UTC `jiff::Timestamp`s; they are shown in the site's time zone.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::provenance::DigitalSourceType;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i32,
}

/// A staff writer's public profile, shown in bylines and on the author page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub id: i64,
    pub slug: String,
    pub name: String,
    /// The job title shown under the name, e.g. "Political Correspondent".
    pub role: String,
    pub bio: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// One stored rendition of an image (the original is kept separately, untouched).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageVariant {
    pub key: String,
    /// "jpeg" or "webp".
    pub format: String,
    pub width: u32,
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub id: i64,
    pub original_key: String,
    pub original_mime: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub source_type: Option<DigitalSourceType>,
    pub variants: Vec<ImageVariant>,
}

impl Image {
    /// Variants of one format, narrowest first.
    pub fn variants_of(&self, format: &str) -> Vec<&ImageVariant> {
        let mut found: Vec<&ImageVariant> = self
            .variants
            .iter()
            .filter(|v| v.format == format)
            .collect();
        found.sort_by_key(|v| v.width);
        found
    }

    /// The label readers see under the picture, derived from its provenance so it cannot drift.
    pub fn provenance_label(&self) -> Option<&'static str> {
        self.source_type.and_then(|t| t.reader_label())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ArticleStatus {
    Draft,
    InReview,
    Scheduled,
    Published,
    Unpublished,
}

impl ArticleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in_review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Draft,
            Self::InReview,
            Self::Scheduled,
            Self::Published,
            Self::Unpublished,
        ]
        .into_iter()
        .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub id: i64,
    pub section_id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    /// Markdown, as written in the newsroom.
    pub body: String,
    pub dateline_place: Option<String>,
    pub status: ArticleStatus,
    /// When readers first could see it; never moves once set, so "Published" stays honest.
    pub first_published_at: Option<Timestamp>,
    /// When the text readers see last changed ("Updated …", `dateModified`).
    pub updated_at: Timestamp,
    pub created_at: Timestamp,
    pub hero_image_id: Option<i64>,
    pub comments_open: bool,
    pub language: String,
    pub reading_minutes: u32,
    /// Bumped on every save; the optimistic-lock token and part of every cache key.
    pub version: i64,
}

/// Everything the article page shows about one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePage {
    pub article: Article,
    pub section: Section,
    pub authors: Vec<Author>,
    pub tags: Vec<Tag>,
    pub hero: Option<Image>,
}

/// The short reference to a story that lists, cards and "More in …" use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorySummary {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub section: SectionRef,
    pub authors: Vec<AuthorRef>,
    pub first_published_at: Timestamp,
    pub updated_at: Timestamp,
    pub reading_minutes: u32,
    pub hero: Option<Image>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorRef {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// Site-wide settings the pages and metadata need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteSettings {
    pub name: String,
    pub tagline: String,
    pub language: String,
    /// IANA zone in which dates are shown and schedules are read, e.g. "America/New_York".
    pub time_zone: String,
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            name: "Dateline".to_owned(),
            tagline: "Independent journalism".to_owned(),
            language: "en".to_owned(),
            time_zone: "UTC".to_owned(),
        }
    }
}

/// URL paths are derived here, in one place, so pages, feeds, JSON-LD and redirects agree.
pub mod paths {
    pub fn article(section_slug: &str, article_slug: &str) -> String {
        format!("/{section_slug}/{article_slug}")
    }
    pub fn section(section_slug: &str) -> String {
        format!("/{section_slug}")
    }
    pub fn author(author_slug: &str) -> String {
        format!("/authors/{author_slug}")
    }
    pub fn tag(tag_slug: &str) -> String {
        format!("/tags/{tag_slug}")
    }
    pub fn media(key: &str) -> String {
        format!("/media/{key}")
    }

    /// First path segments that belong to the application, so no section may take them.
    pub const RESERVED_SECTION_SLUGS: &[&str] = &[
        "a",
        "api",
        "authors",
        "corrections",
        "feeds",
        "healthz",
        "media",
        "metrics",
        "newsroom",
        "robots.txt",
        "search",
        "sitemap.xml",
        "sitemaps",
        "static",
        "tags",
        "tips",
        "favicon.ico",
    ];
}

/// Names of the things a cached page shows, shared by the page cache (which tags what it stores,
/// and sends them as `Surrogate-Key` to a CDN) and the store (which names what a change touched).
/// A change drops exactly the pages that carry one of its tags.
pub mod cache_tags {
    /// The site name, settings and section navigation: on every page.
    pub const SITE: &str = "site";
    /// Membership and order of the front page's lists.
    pub const FRONT_LIST: &str = "list:front";
    /// Any change to any article. For documents that list the whole archive (sitemaps), where
    /// one tag per article would make a `Surrogate-Key` header of megabytes.
    pub const ANY_ARTICLE: &str = "articles";
    /// Pages with a "Related" list chosen by the search index: dropped when a node rebuilds its
    /// index, since any of those lists may then change (on a first start, they were empty).
    pub const RELATED_LISTS: &str = "related";

    pub fn article(id: i64) -> String {
        format!("article:{id}")
    }
    pub fn section(id: i64) -> String {
        format!("section:{id}")
    }
    pub fn author(id: i64) -> String {
        format!("author:{id}")
    }
    pub fn tag(id: i64) -> String {
        format!("tag:{id}")
    }
    pub fn image(id: i64) -> String {
        format!("image:{id}")
    }
    /// Which articles a section's lists hold, and in what order.
    pub fn section_list(id: i64) -> String {
        format!("list:section:{id}")
    }
    pub fn author_list(id: i64) -> String {
        format!("list:author:{id}")
    }
    pub fn tag_list(id: i64) -> String {
        format!("list:tag:{id}")
    }
}
