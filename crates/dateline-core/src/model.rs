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

    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::InReview,
        Self::Scheduled,
        Self::Published,
        Self::Unpublished,
    ];

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// How the newsroom says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in review",
            Self::Scheduled => "scheduled",
            Self::Published => "published",
            Self::Unpublished => "unpublished",
        }
    }
}

impl std::fmt::Display for ArticleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
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
    /// When a scheduled article goes out (its embargo); `None` unless scheduled.
    pub scheduled_for: Option<Timestamp>,
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
    /// Live coverage (`crate::live`): a stream of entries instead of a finished story.
    /// Articles saved before live coverage existed load as stories.
    #[serde(default)]
    pub live: Option<crate::live::Coverage>,
}

/// Everything the article page shows about one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArticlePage {
    pub article: Article,
    pub section: Section,
    pub authors: Vec<Author>,
    pub tags: Vec<Tag>,
    pub hero: Option<Image>,
    /// Corrections, clarifications and updates, newest first.
    pub notes: Vec<crate::notes::ArticleNote>,
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
// Settings saved before a field existed still load, with that field's default.
#[serde(default)]
pub struct SiteSettings {
    pub name: String,
    pub tagline: String,
    pub language: String,
    /// IANA zone in which dates are shown and schedules are read, e.g. "America/New_York".
    pub time_zone: String,
    /// The page that says how the newsroom corrects its mistakes (schema.org `correctionsPolicy`).
    pub corrections_policy_url: Option<String>,
    /// The newsroom's ethics code (schema.org `ethicsPolicy` and `publishingPrinciples`).
    pub ethics_policy_url: Option<String>,
    /// How the newsroom does and does not use AI (no schema.org property; linked for readers).
    pub ai_policy_url: Option<String>,
    /// A picture from the image library for the masthead and the publisher's logo in JSON-LD;
    /// the theme's own logo when none.
    pub logo_image_id: Option<i64>,
}

impl SiteSettings {
    /// Everything that would make a broken page, at once: no name, an unknown time zone, a
    /// language that is no BCP 47 tag, a policy link that is not a web address or a path on
    /// the site. Whether the logo is in the library is the store's to say.
    pub fn check(&self) -> Vec<crate::SettingsRefusal> {
        use crate::{Field, SettingsRefusal};
        let mut refused = Vec::new();
        if self.name.trim().is_empty() {
            refused.push(SettingsRefusal::NameMissing);
        }
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            refused.push(SettingsRefusal::TimeZoneUnknown {
                zone: self.time_zone.clone(),
            });
        }
        let language_ok = !self.language.is_empty()
            && self.language.len() <= crate::refusal::limits::LANGUAGE_CHARS
            && self
                .language
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !language_ok {
            refused.push(SettingsRefusal::LanguageInvalid);
        }
        for (field, what, url) in [
            (
                Field::CorrectionsPolicy,
                "corrections policy",
                &self.corrections_policy_url,
            ),
            (
                Field::EthicsPolicy,
                "ethics policy",
                &self.ethics_policy_url,
            ),
            (Field::AiPolicy, "AI-use policy", &self.ai_policy_url),
        ] {
            let Some(url) = url else { continue };
            let web_or_site = url.starts_with("https://")
                || url.starts_with("http://")
                || (url.starts_with('/') && !url.starts_with("//"));
            if !web_or_site || url.chars().any(char::is_whitespace) {
                refused.push(SettingsRefusal::PolicyLinkInvalid { field, what });
            }
        }
        refused
    }
}

impl Default for SiteSettings {
    fn default() -> Self {
        Self {
            name: "Dateline".to_owned(),
            tagline: "Independent journalism".to_owned(),
            language: "en".to_owned(),
            time_zone: "UTC".to_owned(),
            corrections_policy_url: None,
            ethics_policy_url: None,
            ai_policy_url: None,
            logo_image_id: None,
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
    /// The public log of corrections.
    pub const CORRECTIONS: &str = "/corrections";
    /// A live article's event stream: readers hear of new entries here.
    pub fn live_events(article_id: i64) -> String {
        format!("/live/{article_id}/events")
    }
    /// The entries of a live article newer than `entry_id` (0: all of its newest page), as a
    /// fragment of the page the reader's script adds on "show".
    pub fn live_entries_after(article_id: i64, entry_id: i64) -> String {
        format!("/live/{article_id}/after/{entry_id}")
    }
    /// Finds an entry's page: redirects to the page that shows it, at its anchor.
    pub fn live_entry(article_id: i64, entry_id: i64) -> String {
        format!("/live/{article_id}/entries/{entry_id}")
    }
    /// A static page lives at the top of the site, beside the sections (which take precedence).
    pub fn page(page_slug: &str) -> String {
        format!("/{page_slug}")
    }
    pub fn corrections_feed(file: &str) -> String {
        format!("/corrections/{file}")
    }

    /// First path segments that belong to the application, so no section may take them.
    pub const RESERVED_SECTION_SLUGS: &[&str] = &[
        "a",
        "api",
        "audio",
        "authors",
        "corrections",
        "discussion",
        "feeds",
        "healthz",
        "live",
        "media",
        "metrics",
        "newsroom",
        "readers",
        "readyz",
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
    /// The approved comments shown (and counted) with one article.
    pub fn discussion(article_id: i64) -> String {
        format!("discussion:{article_id}")
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
    /// The site-wide corrections log and its feeds.
    pub const CORRECTIONS_LIST: &str = "list:corrections";
    /// A live article's entries: its pages and fragments, and the cards of the front page and
    /// its section page that show its latest entry. An entry changes only these.
    pub fn live(article_id: i64) -> String {
        format!("live:{article_id}")
    }
    /// Key events of live coverage as feed items: the feeds that carry them.
    pub const KEY_EVENTS_LIST: &str = "list:key-events";
    /// A static page.
    pub fn page(id: i64) -> String {
        format!("page:{id}")
    }
    /// Which pages are published, under what titles and addresses, in what order: the footer
    /// of every page and the pages' sitemap.
    pub const PAGES_LIST: &str = "list:pages";
}

#[cfg(test)]
mod tests {

    #[test]
    fn reader_routes_are_reserved_from_sections() {
        for route in [
            "readers",
            "discussion",
            "tips",
            "audio",
            "feeds",
            "search",
            "corrections",
        ] {
            assert!(
                paths::RESERVED_SECTION_SLUGS.contains(&route),
                "a section called {route} would shadow /{route}"
            );
        }
    }

    use super::*;

    #[test]
    fn settings_refuse_unknown_zones_and_odd_policy_links() {
        let good = SiteSettings {
            time_zone: "America/Bogota".to_owned(),
            corrections_policy_url: Some("/about/corrections".to_owned()),
            ethics_policy_url: Some("https://news.example/ethics".to_owned()),
            ..SiteSettings::default()
        };
        assert_eq!(good.check(), []);
        for bad in [
            SiteSettings {
                time_zone: "Mars/Olympus".to_owned(),
                ..good.clone()
            },
            SiteSettings {
                ai_policy_url: Some("javascript:alert(1)".to_owned()),
                ..good.clone()
            },
            SiteSettings {
                corrections_policy_url: Some("//elsewhere.example/x".to_owned()),
                ..good.clone()
            },
            SiteSettings {
                ethics_policy_url: Some("/our ethics".to_owned()),
                ..good.clone()
            },
        ] {
            assert_eq!(bad.check().len(), 1, "{bad:?}");
        }
    }

    #[test]
    fn settings_saved_before_the_policy_links_still_load() {
        let old: SiteSettings = serde_json::from_str(
            r#"{"name":"Courier","tagline":"News","language":"en","time_zone":"UTC"}"#,
        )
        .expect("old settings load");
        assert_eq!(old.name, "Courier");
        assert_eq!(old.corrections_policy_url, None);
    }
}
