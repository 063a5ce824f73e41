//! The plan: what an export becomes in Dateline, before anything is written.
//!
//! The writer (issue 15, the writing half) feeds each item to the newsroom's use cases, so imported
//! content obeys the same rules as anything typed by hand. Every item carries a [`SourceId`] that
//! stays the same from one run to the next, so a re-run updates what it imported and never
//! duplicates it. The whole plan, report included, is serialisable: the report file is JSON.

use std::collections::BTreeMap;

use dateline_core::model::ArticleStatus;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// Where an item came from, stable across runs: `wordpress:post:123`, `ghost:post:5f3a…`,
/// `disqus:post:987`. The writer keeps it beside what it created.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceId(pub String);

impl SourceId {
    pub fn new(system: Source, kind: &str, id: &str) -> Self {
        Self(format!("{}:{kind}:{id}", system.as_str()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for SourceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The system an export comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Wordpress,
    Ghost,
    Disqus,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Wordpress => "wordpress",
            Self::Ghost => "ghost",
            Self::Disqus => "disqus",
        }
    }
}

/// Everything one export becomes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub source: Source,
    pub site: Site,
    pub authors: Vec<Author>,
    pub sections: Vec<Section>,
    pub tags: Vec<Tag>,
    pub articles: Vec<Article>,
    pub pages: Vec<Page>,
    pub images: Vec<Image>,
    pub readers: Vec<Reader>,
    /// Disqus only: discussions to attach to articles already on the site, matched by URL.
    pub threads: Vec<Thread>,
    pub redirects: Vec<Redirect>,
    pub report: Report,
    /// The folder the pictures' files are in (`--uploads`, `--content`), once
    /// [`Plan::check_image_files`] has looked there; the writer reads them from it.
    #[serde(skip)]
    pub picture_folder: Option<std::path::PathBuf>,
}

impl Plan {
    /// Checks that every picture's file is in `root` (the `--uploads` or `--content` folder) and
    /// reports those that are not; their articles still import. A file that climbs out of `root`
    /// (`../`) or names an absolute path is treated as missing and its name dropped, so the
    /// writer never reads outside the folder it was given.
    pub fn check_image_files(&mut self, root: &std::path::Path) -> usize {
        self.picture_folder = Some(root.to_path_buf());
        let mut missing = 0;
        for image in &mut self.images {
            let Some(file) = image.file.clone() else {
                continue;
            };
            let inside = std::path::Path::new(&file)
                .components()
                .all(|c| matches!(c, std::path::Component::Normal(_)));
            if !inside {
                image.file = None;
            }
            if !inside || !root.join(&file).is_file() {
                missing += 1;
                self.report.warn(
                    WarningKind::MissingImage,
                    Some(&image.source_id),
                    format!("{file} is not in {}", root.display()),
                );
            }
        }
        missing
    }

    pub(crate) fn new(source: Source) -> Self {
        Self {
            source,
            site: Site::default(),
            authors: Vec::new(),
            sections: Vec::new(),
            tags: Vec::new(),
            articles: Vec::new(),
            pages: Vec::new(),
            images: Vec::new(),
            readers: Vec::new(),
            threads: Vec::new(),
            redirects: Vec::new(),
            report: Report::default(),
            picture_folder: None,
        }
    }
}

/// What the export says about the site itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Site {
    pub title: String,
    /// The old site's address, e.g. `https://example.com/blog`; old paths are relative to its host.
    pub url: String,
    /// The old site's offset from UTC as WordPress's local and GMT dates show it (`+02:00`), or
    /// the zone the operator named. `None` when nothing tells.
    pub utc_offset: Option<String>,
    /// The version of the exporting software or format (`WXR 1.2`, `Ghost 4.1.0`).
    pub format: String,
}

/// A staff writer. Staff accounts are created disabled; an admin invites them later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Author {
    pub source_id: SourceId,
    pub name: String,
    pub slug: String,
    /// The sign-in address the old system had, for the disabled staff account.
    pub email: Option<String>,
    pub bio: String,
    pub website: Option<String>,
    pub photo: Option<SourceId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Section {
    pub source_id: SourceId,
    pub name: String,
    pub slug: String,
    pub description: String,
    /// The category's ancestors, outermost first, when a hierarchy was flattened into it.
    pub flattened_from: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tag {
    pub source_id: SourceId,
    pub name: String,
    pub slug: String,
}

/// A body converted to the Markdown Dateline's renderer reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Body {
    pub markdown: String,
    /// Images the body shows, in order; the writer uploads them and rewrites their URLs.
    pub images: Vec<SourceId>,
    /// Each of `images`' address exactly as the Markdown has it (WordPress may show a resized
    /// copy, `photo-300x200.jpg`, of the attachment `photo.jpg`): what the writer replaces.
    #[serde(default)]
    pub image_urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Article {
    pub source_id: SourceId,
    pub headline: String,
    pub slug: String,
    pub status: ArticleStatus,
    /// First publication (or the scheduled time for a scheduled article).
    pub published_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub created_at: Option<Timestamp>,
    pub standfirst: String,
    pub body: Body,
    pub section: Option<SourceId>,
    /// Bylines in order.
    pub authors: Vec<SourceId>,
    pub tags: Vec<SourceId>,
    pub hero: Option<Hero>,
    pub comments_open: bool,
    /// Parents come before their replies.
    pub comments: Vec<Comment>,
    /// The address the article had on the old site.
    pub old_url: Option<String>,
    /// When the old site ran the post as live coverage: its entries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveCoverage>,
}

/// A post the old site ran as live coverage (WordPress.com VIP's Liveblog plugin: the post's
/// `liveblog` meta, each entry a comment of type `liveblog`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveCoverage {
    /// The coverage was over (`archive`) rather than still taking entries (`enable`).
    pub ended: bool,
    /// Oldest first.
    pub entries: Vec<LiveEntry>,
}

/// One entry of live coverage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveEntry {
    pub source_id: SourceId,
    /// The byline it went out under on the old site.
    pub author_name: String,
    pub posted_at: Option<Timestamp>,
    /// The entry's own headline, when its text opens with one.
    pub headline: Option<String>,
    pub body: Body,
    /// A key event of the coverage (Liveblog's `/key`).
    pub key_event: bool,
}

/// A static page (About, Contact, policies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    pub source_id: SourceId,
    pub title: String,
    pub slug: String,
    pub status: ArticleStatus,
    pub published_at: Option<Timestamp>,
    pub updated_at: Option<Timestamp>,
    pub body: Body,
    /// WordPress pages nest; Dateline's do not: the parent's slug, for the report.
    pub parent: Option<SourceId>,
    pub old_url: Option<String>,
}

/// An article's lead picture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hero {
    pub image: SourceId,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

/// A picture for the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    pub source_id: SourceId,
    /// Where the old site served it.
    pub url: String,
    /// The file relative to `--uploads` (WordPress `wp-content/uploads`) or `--content`
    /// (Ghost `content/images`); `None` for pictures hosted elsewhere.
    pub file: Option<String>,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub title: String,
}

/// Someone who commented. Readers cannot sign in until they claim the address.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reader {
    pub source_id: SourceId,
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
}

/// The state a comment had in the old system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommentState {
    Approved,
    Pending,
    Spam,
    Trash,
    Deleted,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub source_id: SourceId,
    pub parent: Option<SourceId>,
    pub reader: SourceId,
    pub author_name: String,
    pub author_email: Option<String>,
    pub author_url: Option<String>,
    pub posted_at: Option<Timestamp>,
    pub body_markdown: String,
    pub state: CommentState,
}

/// A Disqus discussion, attached to the article whose old address is `url`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thread {
    pub source_id: SourceId,
    /// Disqus's own identifier for the page, when the site set one.
    pub identifier: String,
    pub url: String,
    /// The path of `url`, for matching against the redirects and articles on the site.
    pub path: String,
    pub title: String,
    pub closed: bool,
    /// Parents come before their replies.
    pub comments: Vec<Comment>,
}

/// An old address that answers 301 to its new home.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Redirect {
    /// Path and query as the old site answered it: `/2024/05/12/slug/`, `/?p=123`.
    pub from: String,
    pub to: RedirectTarget,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum RedirectTarget {
    Article(SourceId),
    Page(SourceId),
    Section(SourceId),
    Tag(SourceId),
    Author(SourceId),
    SiteFeed,
    SectionFeed(SourceId),
    TagFeed(SourceId),
    AuthorFeed(SourceId),
}

/// What happened to every item, with counts by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub items: Vec<ItemReport>,
    pub warnings: Vec<Warning>,
    pub counts: BTreeMap<String, Counts>,
    /// What the export has that Dateline does not import (Ghost members, newsletters, settings).
    pub not_imported: Vec<NotImported>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub planned: usize,
    pub skipped: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemReport {
    pub kind: ItemKind,
    pub source_id: SourceId,
    pub title: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reason", rename_all = "snake_case")]
pub enum Outcome {
    Planned,
    Skipped(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Author,
    Section,
    Tag,
    Article,
    Page,
    Image,
    Comment,
    /// An entry of live coverage.
    LiveEntry,
    Reader,
    Thread,
    Redirect,
    /// An export row that is neither (navigation menus, revisions, custom post types).
    Other,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Author => "author",
            Self::Section => "section",
            Self::Tag => "tag",
            Self::Article => "article",
            Self::Page => "page",
            Self::Image => "image",
            Self::Comment => "comment",
            Self::LiveEntry => "live_entry",
            Self::Reader => "reader",
            Self::Thread => "thread",
            Self::Redirect => "redirect",
            Self::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    /// The item it concerns, if one.
    pub item: Option<SourceId>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// Something Markdown cannot say was replaced by a visible placeholder.
    Placeholder,
    /// Something Markdown cannot say was kept as a sanitised HTML block.
    HtmlBlock,
    /// Markup was removed because it could run code or load things (scripts, event handlers,
    /// `javascript:` links).
    UnsafeMarkupRemoved,
    MissingImage,
    FlattenedCategory,
    /// A comment whose parent is not in the export is shown at the top level.
    OrphanComment,
    /// A Disqus thread whose address no article answers to.
    UnmatchedThread,
    /// A value that could not be read was left out (a date, a reference).
    Unreadable,
    /// The site's offset from UTC was inferred, not given.
    TimeZone,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotImported {
    pub kind: String,
    pub count: usize,
}

impl Report {
    pub(crate) fn planned(&mut self, kind: ItemKind, source_id: &SourceId, title: &str) {
        self.record(kind, source_id, title, Outcome::Planned);
    }

    pub(crate) fn skipped(
        &mut self,
        kind: ItemKind,
        source_id: &SourceId,
        title: &str,
        reason: impl Into<String>,
    ) {
        self.record(kind, source_id, title, Outcome::Skipped(reason.into()));
    }

    fn record(&mut self, kind: ItemKind, source_id: &SourceId, title: &str, outcome: Outcome) {
        let counts = self.counts.entry(kind.as_str().to_owned()).or_default();
        match outcome {
            Outcome::Planned => counts.planned += 1,
            Outcome::Skipped(_) => counts.skipped += 1,
        }
        self.items.push(ItemReport {
            kind,
            source_id: source_id.clone(),
            title: title.to_owned(),
            outcome,
        });
    }

    pub(crate) fn warn(
        &mut self,
        kind: WarningKind,
        item: Option<&SourceId>,
        message: impl Into<String>,
    ) {
        self.warnings.push(Warning {
            kind,
            item: item.cloned(),
            message: message.into(),
        });
    }

    /// How many items of a kind the plan holds.
    pub fn planned_count(&self, kind: ItemKind) -> usize {
        self.counts.get(kind.as_str()).map_or(0, |c| c.planned)
    }

    /// How many items of a kind were skipped.
    pub fn skipped_count(&self, kind: ItemKind) -> usize {
        self.counts.get(kind.as_str()).map_or(0, |c| c.skipped)
    }

    /// Warnings of one kind.
    pub fn warnings_of(&self, kind: WarningKind) -> impl Iterator<Item = &Warning> {
        self.warnings.iter().filter(move |w| w.kind == kind)
    }
}
