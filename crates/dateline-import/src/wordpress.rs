//! WordPress eXtended RSS (WXR 1.0–1.2, Tools → Export) to a [`Plan`].
//!
//! The file is streamed: channel-level records (authors, categories, tags) and items (posts,
//! pages, attachments with their comments and postmeta) are read one at a time and bodies are
//! converted as they come, so memory holds Markdown, not the export's HTML.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::BufRead;

use dateline_core::model::ArticleStatus;
use dateline_core::slug::slugify;
use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};

use crate::Options;
use crate::content::{self, Converted};
use crate::error::{ImportError, Location};
use crate::plan::{
    Article, Author, Body, Comment, CommentState, Hero, Image, ItemKind, LiveCoverage, LiveEntry,
    NotImported, Page, Plan, Redirect, RedirectTarget, Section, Source, SourceId, Tag, WarningKind,
};
use crate::threads::{self, Readers};
use crate::xml::{Element, RecordReader};

const SOURCE: Source = Source::Wordpress;

fn id(kind: &str, value: &str) -> SourceId {
    SourceId::new(SOURCE, kind, value)
}

struct RawCategory {
    term_id: String,
    nicename: String,
    parent: String,
    name: String,
    description: String,
}

struct RawComment {
    id: String,
    author: String,
    email: String,
    url: String,
    local: Option<DateTime>,
    gmt: Option<DateTime>,
    content: String,
    approved: String,
    kind: String,
    parent: String,
    /// Liveblog's key-event mark (`liveblog_key_entry` comment meta).
    key_entry: bool,
}

impl RawComment {
    /// An entry of live coverage rather than a reader's comment: WordPress.com VIP's Liveblog
    /// plugin keeps entries as comments of its own type and state.
    fn is_live_entry(&self) -> bool {
        self.kind == "liveblog" || self.approved == "liveblog"
    }
}

struct RawItem {
    id: String,
    title: String,
    link: String,
    creator: String,
    post_type: String,
    status: String,
    slug: String,
    parent: String,
    local: Option<DateTime>,
    gmt: Option<DateTime>,
    modified_local: Option<DateTime>,
    modified_gmt: Option<DateTime>,
    comment_status: String,
    body: Converted,
    excerpt: String,
    attachment_url: String,
    /// (domain, nicename, name) in file order.
    terms: Vec<(String, String, String)>,
    meta: Vec<(String, String)>,
    comments: Vec<RawComment>,
}

impl RawItem {
    fn meta(&self, key: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// WordPress writes `0000-00-00 00:00:00` for "no date" (a draft's GMT time).
fn parse_date(text: &str) -> Option<DateTime> {
    let text = text.trim();
    if text.is_empty() || text.starts_with("0000") {
        return None;
    }
    text.replacen(' ', "T", 1).parse().ok()
}

fn read_item(item: &Element) -> RawItem {
    // wp_insert_post's defaults for what an item leaves out.
    let kind = match item.text_of("wp:post_type") {
        "" => "post".to_owned(),
        kind => kind.to_owned(),
    };
    let raw_content = item
        .child("content:encoded")
        .map_or("", |c| c.text.as_str());
    // Attachments' content is a description, not a body worth converting.
    let body = if matches!(kind.as_str(), "post" | "page") {
        content::wordpress_to_markdown(raw_content)
    } else {
        Converted {
            markdown: raw_content.trim().to_owned(),
            ..Converted::default()
        }
    };
    RawItem {
        id: [
            item.text_of("wp:post_id"),
            item.text_of("guid"),
            item.text_of("link"),
        ]
        .into_iter()
        .find(|v| !v.is_empty())
        .unwrap_or("")
        .to_owned(),
        title: item.text_of("title").to_owned(),
        link: item.text_of("link").to_owned(),
        creator: login(item.text_of("dc:creator")),
        post_type: kind,
        status: match item.text_of("wp:status") {
            "" => "draft".to_owned(),
            status => status.to_owned(),
        },
        slug: item.text_of("wp:post_name").to_owned(),
        parent: item.text_of("wp:post_parent").to_owned(),
        local: parse_date(item.text_of("wp:post_date")),
        gmt: parse_date(item.text_of("wp:post_date_gmt")),
        modified_local: parse_date(item.text_of("wp:post_modified")),
        modified_gmt: parse_date(item.text_of("wp:post_modified_gmt")),
        comment_status: item.text_of("wp:comment_status").to_owned(),
        body,
        excerpt: item.text_of("excerpt:encoded").to_owned(),
        attachment_url: item.text_of("wp:attachment_url").to_owned(),
        terms: item
            .children_named("category")
            .map(|c| {
                (
                    c.attr("domain").unwrap_or("category").to_owned(),
                    c.attr("nicename").unwrap_or("").to_owned(),
                    c.text.trim().to_owned(),
                )
            })
            .collect(),
        meta: item
            .children_named("wp:postmeta")
            .map(|m| {
                (
                    m.text_of("wp:meta_key").to_owned(),
                    m.child("wp:meta_value")
                        .map_or("", |v| v.text.as_str())
                        .to_owned(),
                )
            })
            .collect(),
        comments: item
            .children_named("wp:comment")
            .map(|c| RawComment {
                id: c.text_of("wp:comment_id").to_owned(),
                author: c.text_of("wp:comment_author").to_owned(),
                email: c.text_of("wp:comment_author_email").to_owned(),
                url: c.text_of("wp:comment_author_url").to_owned(),
                local: parse_date(c.text_of("wp:comment_date")),
                gmt: parse_date(c.text_of("wp:comment_date_gmt")),
                content: c
                    .child("wp:comment_content")
                    .map_or("", |v| v.text.as_str())
                    .to_owned(),
                approved: c.text_of("wp:comment_approved").to_owned(),
                kind: c.text_of("wp:comment_type").to_owned(),
                parent: c.text_of("wp:comment_parent").to_owned(),
                key_entry: c.children_named("wp:commentmeta").any(|m| {
                    m.text_of("wp:meta_key") == "liveblog_key_entry"
                        && m.text_of("wp:meta_value").trim() == "true"
                }),
            })
            .collect(),
    }
}

struct RawAuthor {
    id: String,
    login: String,
    email: String,
    display_name: String,
    first: String,
    last: String,
}

/// Everything the stream gives, before the plan is drawn.
#[derive(Default)]
struct Export {
    title: String,
    link: String,
    base_blog_url: String,
    version: String,
    authors: Vec<RawAuthor>,
    categories: Vec<RawCategory>,
    tags: Vec<(String, String, String)>,
    terms: usize,
    items: Vec<RawItem>,
}

/// Reads a WXR file.
pub fn read<R: BufRead>(input: R, options: &Options) -> Result<Plan, ImportError> {
    let mut reader = RecordReader::new(input, 3);
    let mut export = Export::default();
    let mut checked_kind = false;
    while let Some(record) = reader.next_record()? {
        if !checked_kind {
            let path: Vec<&str> = reader.open_path().collect();
            if path != ["rss", "channel"] {
                let found = reader.root().unwrap_or("nothing");
                return Err(ImportError::WrongKind {
                    expected: "WordPress (WXR)",
                    location: Location::Text {
                        line: record.line,
                        column: 1,
                    },
                    found: format!("the document is <{found}>, not an RSS channel"),
                });
            }
            checked_kind = true;
        }
        match record.name.as_str() {
            "title" => export.title = record.text.trim().to_owned(),
            "link" => export.link = record.text.trim().to_owned(),
            "wp:base_blog_url" => export.base_blog_url = record.text.trim().to_owned(),
            "wp:wxr_version" => export.version = record.text.trim().to_owned(),
            "wp:author" => export.authors.push(RawAuthor {
                id: record.text_of("wp:author_id").to_owned(),
                login: login(record.text_of("wp:author_login")),
                email: record.text_of("wp:author_email").to_owned(),
                display_name: record.text_of("wp:author_display_name").to_owned(),
                first: record.text_of("wp:author_first_name").to_owned(),
                last: record.text_of("wp:author_last_name").to_owned(),
            }),
            "wp:category" => export.categories.push(RawCategory {
                term_id: record.text_of("wp:term_id").to_owned(),
                nicename: record.text_of("wp:category_nicename").to_owned(),
                parent: record.text_of("wp:category_parent").to_owned(),
                name: record.text_of("wp:cat_name").to_owned(),
                description: record.text_of("wp:category_description").to_owned(),
            }),
            "wp:tag" => export.tags.push((
                record.text_of("wp:term_id").to_owned(),
                record.text_of("wp:tag_slug").to_owned(),
                record.text_of("wp:tag_name").to_owned(),
            )),
            "wp:term" => export.terms += 1,
            "item" => export.items.push(read_item(&record)),
            _ => {}
        }
    }
    if !checked_kind
        || (export.version.is_empty()
            && !export.items.iter().any(|i| {
                !i.creator.is_empty()
                    || !i.status.is_empty() && i.post_type != "post"
                    || !i.comments.is_empty()
            }))
    {
        return Err(ImportError::WrongKind {
            expected: "WordPress (WXR)",
            location: Location::File,
            found: format!(
                "no <wp:wxr_version> in a <{}> document",
                reader.root().unwrap_or("?")
            ),
        });
    }
    Ok(plan(export, options))
}

/// A login as WordPress's `sanitize_user` keeps it (letters, digits, space, `_ . - @`): stray
/// characters in a file (`>themereviewteam`) do not make a second author.
fn login(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '_' | '.' | '-' | '@'))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// WordPress's `user_nicename` for a login, which its author URLs use.
fn nicename(login: &str) -> String {
    login
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            'a'..='z' | '0'..='9' | '_' | '-' => Some(c),
            ' ' => Some('-'),
            _ => None,
        })
        .collect()
}

/// The path (and query) of a URL, relative to its host.
pub(crate) fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(at) if url.contains("://") => rest[at..].split('#').next().unwrap_or("/").to_owned(),
        None if url.contains("://") => "/".to_owned(),
        _ => url.to_owned(),
    }
}

/// Percent-decoding for slugs WordPress stored encoded (`%e6%97%a5`).
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Dateline slug for an item: its WordPress slug, else its title, else its kind and id.
fn slug_for(raw_slug: &str, title: &str, kind: &str, source_id: &str) -> String {
    [slugify(&percent_decode(raw_slug)), slugify(title)]
        .into_iter()
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| format!("{kind}-{source_id}"))
}

/// The offset the site's local times have from GMT, as most published items show it.
fn inferred_offset(items: &[RawItem]) -> Option<Offset> {
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for item in items {
        if let (Some(local), Some(gmt)) = (item.local, item.gmt) {
            let Ok(span) = local.since(gmt) else { continue };
            let Ok(seconds) = span.total(jiff::Unit::Second) else {
                continue;
            };
            *seen.entry(seconds as i64).or_default() += 1;
        }
    }
    let (seconds, _) = seen.into_iter().max_by_key(|(s, n)| (*n, -s.abs()))?;
    Offset::from_seconds(i32::try_from(seconds).ok()?).ok()
}

struct Clock {
    zone: TimeZone,
}

impl Clock {
    /// GMT when WordPress has it, else the local time in the site's zone.
    fn at(&self, local: Option<DateTime>, gmt: Option<DateTime>) -> Option<Timestamp> {
        if let Some(gmt) = gmt {
            return TimeZone::UTC.to_timestamp(gmt).ok();
        }
        local.and_then(|l| self.zone.to_timestamp(l).ok())
    }
}

/// A picture's credit from WordPress's serialised `_wp_attachment_metadata` (its `image_meta`
/// keeps the IPTC credit WordPress read from the file).
fn php_string_field(serialized: &str, key: &str) -> Option<String> {
    let marker = format!("s:{}:\"{key}\";s:", key.len());
    let at = serialized.find(&marker)? + marker.len();
    let rest = &serialized[at..];
    let colon = rest.find(':')?;
    let len: usize = rest[..colon].parse().ok()?;
    let value = rest.get(colon + 2..colon + 2 + len)?;
    (!value.trim().is_empty()).then(|| value.to_owned())
}

/// The file under `wp-content/uploads` a URL points at.
fn uploads_file(url: &str) -> Option<String> {
    let (_, file) = url.split_once("/wp-content/uploads/")?;
    let file = file.split(['?', '#']).next().unwrap_or(file);
    (!file.is_empty()).then(|| percent_decode(file))
}

/// `photo-1024x768.jpg` → `photo.jpg`: WordPress serves resized copies beside the original.
fn without_size_suffix(url: &str) -> String {
    let (stem, ext) = match url.rfind('.') {
        Some(dot) if !url[dot..].contains('/') => (&url[..dot], &url[dot..]),
        _ => (url, ""),
    };
    if let Some(dash) = stem.rfind('-') {
        let size = &stem[dash + 1..];
        if let Some((w, h)) = size.split_once('x')
            && !w.is_empty()
            && !h.is_empty()
            && w.chars().chain(h.chars()).all(|c| c.is_ascii_digit())
        {
            return format!("{}{ext}", &stem[..dash]);
        }
    }
    url.to_owned()
}

fn plan(export: Export, options: &Options) -> Plan {
    let mut plan = Plan::new(SOURCE);
    let site_url = if export.base_blog_url.is_empty() {
        export.link.clone()
    } else {
        export.base_blog_url.clone()
    };
    let base = path_of(&site_url).trim_end_matches('/').to_owned();
    let inferred = inferred_offset(&export.items);
    let zone = match (&options.time_zone, inferred) {
        (Some(zone), _) => zone.clone(),
        (None, Some(offset)) => {
            plan.report.warn(
                WarningKind::TimeZone,
                None,
                format!("the site's offset from UTC was taken as {offset} from the published items' local and GMT dates; drafts' times assume it"),
            );
            TimeZone::fixed(offset)
        }
        (None, None) => {
            plan.report.warn(
                WarningKind::TimeZone,
                None,
                "nothing says the site's time zone: local times without a GMT time are read as UTC",
            );
            TimeZone::UTC
        }
    };
    plan.site = crate::plan::Site {
        title: export.title.clone(),
        url: site_url,
        utc_offset: inferred.map(|o| o.to_string()),
        format: format!("WXR {}", export.version),
    };
    let clock = Clock { zone };

    // Authors, by login.
    let mut author_ids: HashMap<String, SourceId> = HashMap::new();
    let mut author_numbers: HashMap<String, String> = HashMap::new();
    for raw in &export.authors {
        let source_id = id("author", &raw.login);
        let full = format!("{} {}", raw.first, raw.last);
        let name = [raw.display_name.trim(), full.trim(), raw.login.trim()]
            .into_iter()
            .find(|n| !n.is_empty())
            .unwrap_or("Unknown");
        let name = content::plain_text(name);
        plan.report.planned(ItemKind::Author, &source_id, &name);
        author_ids.insert(raw.login.clone(), source_id.clone());
        if !raw.id.is_empty() {
            author_numbers.insert(raw.login.clone(), raw.id.clone());
        }
        plan.authors.push(Author {
            source_id,
            slug: slug_for(&nicename(&raw.login), &name, "author", &raw.login),
            name,
            email: threads::email(&raw.email),
            bio: String::new(),
            website: None,
            photo: None,
        });
    }

    // Attachments first: heroes and body pictures refer to them.
    let mut attachments: HashMap<String, usize> = HashMap::new();
    let mut attachment_by_url: HashMap<String, SourceId> = HashMap::new();
    for item in export.items.iter().filter(|i| i.post_type == "attachment") {
        let source_id = id("attachment", &item.id);
        let file = item
            .meta("_wp_attached_file")
            .map(str::to_owned)
            .or_else(|| uploads_file(&item.attachment_url));
        let is_picture = [file.as_deref().unwrap_or(""), item.attachment_url.as_str()]
            .iter()
            .any(|f| {
                let lower = f.to_ascii_lowercase();
                [
                    ".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif", ".heic", ".tif", ".tiff",
                    ".bmp",
                ]
                .iter()
                .any(|ext| lower.ends_with(ext))
            });
        let title = content::plain_text(&item.title);
        if !is_picture {
            plan.report.skipped(
                ItemKind::Image,
                &source_id,
                &title,
                format!("not a picture ({})", item.attachment_url),
            );
            continue;
        }
        plan.report.planned(ItemKind::Image, &source_id, &title);
        let caption = content::plain_text(&item.excerpt);
        let credit = item
            .meta("_wp_attachment_metadata")
            .and_then(|m| php_string_field(m, "credit"));
        attachments.insert(item.id.clone(), plan.images.len());
        attachment_by_url.insert(without_size_suffix(&item.attachment_url), source_id.clone());
        plan.images.push(Image {
            source_id,
            url: item.attachment_url.clone(),
            file,
            alt: item
                .meta("_wp_attachment_image_alt")
                .unwrap_or("")
                .trim()
                .to_owned(),
            caption: (!caption.is_empty()).then_some(caption),
            credit,
            title,
        });
    }

    // Categories: the first on an article is its section, the others are tags.
    let categories: HashMap<&str, &RawCategory> = export
        .categories
        .iter()
        .map(|c| (c.nicename.as_str(), c))
        .collect();
    let mut first_categories: BTreeSet<String> = BTreeSet::new();
    let mut other_categories: BTreeSet<String> = BTreeSet::new();
    let mut used_tags: BTreeSet<String> = BTreeSet::new();
    let mut item_names: HashMap<(String, String), String> = HashMap::new();
    for item in export.items.iter().filter(|i| i.post_type == "post") {
        let mut first = true;
        for (domain, nicename, name) in &item.terms {
            item_names
                .entry((domain.clone(), nicename.clone()))
                .or_insert_with(|| name.clone());
            match domain.as_str() {
                "category" if first => {
                    first_categories.insert(nicename.clone());
                    first = false;
                }
                "category" => {
                    other_categories.insert(nicename.clone());
                }
                "post_tag" => {
                    used_tags.insert(nicename.clone());
                }
                _ => {}
            }
        }
    }
    let ancestors = |nicename: &str| -> Vec<&RawCategory> {
        let mut chain = Vec::new();
        let mut current = categories
            .get(nicename)
            .map(|c| c.parent.as_str())
            .unwrap_or("");
        while let Some(parent) = categories.get(current) {
            if chain.len() > 32
                || chain
                    .iter()
                    .any(|c: &&RawCategory| c.nicename == parent.nicename)
            {
                break;
            }
            chain.push(*parent);
            current = parent.parent.as_str();
        }
        chain.reverse();
        chain
    };
    let category_path = |nicename: &str| -> String {
        let mut parts: Vec<&str> = ancestors(nicename)
            .iter()
            .map(|c| c.nicename.as_str())
            .collect();
        parts.push(nicename);
        parts.join("/")
    };
    let mut declared: Vec<(String, String, String, String)> = export
        .categories
        .iter()
        .map(|c| {
            (
                c.nicename.clone(),
                c.name.clone(),
                c.description.clone(),
                c.term_id.clone(),
            )
        })
        .collect();
    // Categories an item names that the channel did not declare.
    for nicename in first_categories.iter().chain(&other_categories) {
        if !categories.contains_key(nicename.as_str()) {
            let name = item_names
                .get(&("category".to_owned(), nicename.clone()))
                .cloned()
                .unwrap_or_else(|| nicename.clone());
            declared.push((nicename.clone(), name, String::new(), String::new()));
        }
    }
    let mut section_ids: HashMap<String, SourceId> = HashMap::new();
    let mut tag_ids: HashMap<(String, String), SourceId> = HashMap::new();
    for (nicename, name, description, term_id) in &declared {
        let name = content::plain_text(name);
        let is_section = first_categories.contains(nicename);
        let is_tag = other_categories.contains(nicename);
        let chain = ancestors(nicename);
        let path = category_path(nicename);
        if is_section {
            let source_id = id("category", nicename);
            plan.report.planned(ItemKind::Section, &source_id, &name);
            plan.sections.push(Section {
                source_id: source_id.clone(),
                slug: slug_for(nicename, &name, "section", nicename),
                name: name.clone(),
                description: content::plain_text(description),
                flattened_from: chain.iter().map(|c| content::plain_text(&c.name)).collect(),
            });
            section_ids.insert(nicename.clone(), source_id.clone());
            for from in [
                format!("{base}/category/{path}/"),
                format!("{base}/category/{nicename}/"),
            ] {
                plan.redirects.push(Redirect {
                    from,
                    to: RedirectTarget::Section(source_id.clone()),
                });
            }
            if !term_id.is_empty() {
                plan.redirects.push(Redirect {
                    from: format!("{base}/?cat={term_id}"),
                    to: RedirectTarget::Section(source_id.clone()),
                });
            }
            plan.redirects.push(Redirect {
                from: format!("{base}/category/{path}/feed/"),
                to: RedirectTarget::SectionFeed(source_id.clone()),
            });
        }
        if !chain.is_empty() && (is_section || is_tag) {
            let became = match (is_section, is_tag) {
                (true, true) => "a top-level section and a tag",
                (true, false) => "a top-level section",
                _ => "a tag",
            };
            plan.report.warn(
                WarningKind::FlattenedCategory,
                Some(&id("category", nicename)),
                format!("category {path} became {became}: Dateline's sections do not nest"),
            );
        }
        if is_tag {
            let source_id = id("category-tag", nicename);
            plan.report.planned(ItemKind::Tag, &source_id, &name);
            plan.tags.push(Tag {
                source_id: source_id.clone(),
                slug: slug_for(nicename, &name, "tag", nicename),
                name: name.clone(),
            });
            tag_ids.insert(("category".into(), nicename.clone()), source_id.clone());
            if !is_section {
                for from in [
                    format!("{base}/category/{path}/"),
                    format!("{base}/category/{nicename}/"),
                ] {
                    plan.redirects.push(Redirect {
                        from,
                        to: RedirectTarget::Tag(source_id.clone()),
                    });
                }
                plan.redirects.push(Redirect {
                    from: format!("{base}/category/{path}/feed/"),
                    to: RedirectTarget::TagFeed(source_id.clone()),
                });
            }
        }
        if !is_section && !is_tag {
            plan.report.skipped(
                ItemKind::Section,
                &id("category", nicename),
                &name,
                "no post is filed under this category",
            );
        }
    }
    let mut declared_tags: Vec<(String, String, String)> = export.tags.clone();
    for nicename in &used_tags {
        if !declared_tags.iter().any(|(_, slug, _)| slug == nicename) {
            let name = item_names
                .get(&("post_tag".to_owned(), nicename.clone()))
                .cloned()
                .unwrap_or_else(|| nicename.clone());
            declared_tags.push((String::new(), nicename.clone(), name));
        }
    }
    for (_, slug, name) in &declared_tags {
        let source_id = id("tag", slug);
        let name = content::plain_text(name);
        if !used_tags.contains(slug) {
            plan.report
                .skipped(ItemKind::Tag, &source_id, &name, "no post has this tag");
            continue;
        }
        plan.report.planned(ItemKind::Tag, &source_id, &name);
        plan.tags.push(Tag {
            source_id: source_id.clone(),
            slug: slug_for(slug, &name, "tag", slug),
            name,
        });
        tag_ids.insert(("post_tag".into(), slug.clone()), source_id.clone());
        plan.redirects.push(Redirect {
            from: format!("{base}/tag/{slug}/"),
            to: RedirectTarget::Tag(source_id.clone()),
        });
        plan.redirects.push(Redirect {
            from: format!("{base}/?tag={slug}"),
            to: RedirectTarget::Tag(source_id.clone()),
        });
        plan.redirects.push(Redirect {
            from: format!("{base}/tag/{slug}/feed/"),
            to: RedirectTarget::TagFeed(source_id.clone()),
        });
    }

    // Posts, pages and everything else.
    let mut readers = Readers::default();
    let mut missing_authors: BTreeMap<String, SourceId> = BTreeMap::new();
    for item in &export.items {
        let title = content::plain_text(&item.title);
        let skip_comments = |plan: &mut Plan| {
            for raw in &item.comments {
                let (kind, what) = comment_kind(raw);
                plan.report.skipped(
                    kind,
                    &id(what, &raw.id),
                    &raw.author,
                    "its post is not imported",
                );
            }
        };
        match item.post_type.as_str() {
            "attachment" => continue,
            "post" | "page" => {}
            other => {
                let reason = match other {
                    "nav_menu_item" => "a navigation menu item, not content".to_owned(),
                    "revision" => "an earlier revision; the current text is imported".to_owned(),
                    "wp_block" => {
                        "a reusable block; where it is used, a placeholder shows".to_owned()
                    }
                    other
                        if other.starts_with("wp_")
                            || other == "custom_css"
                            || other == "customize_changeset"
                            || other == "oembed_cache" =>
                    {
                        format!("WordPress {other}, not content")
                    }
                    other => format!("custom post type {other} is not imported"),
                };
                plan.report
                    .skipped(ItemKind::Other, &id(other, &item.id), &title, reason);
                skip_comments(&mut plan);
                continue;
            }
        }
        let is_post = item.post_type == "post";
        let kind = if is_post {
            ItemKind::Article
        } else {
            ItemKind::Page
        };
        let source_id = id(&item.post_type, &item.id);
        let status = match item.status.as_str() {
            "publish" => ArticleStatus::Published,
            "draft" => ArticleStatus::Draft,
            "pending" => ArticleStatus::InReview,
            "future" => ArticleStatus::Scheduled,
            "private" => ArticleStatus::Unpublished,
            "auto-draft" => {
                plan.report.skipped(
                    kind,
                    &source_id,
                    &title,
                    "an auto-draft WordPress created and nobody saved",
                );
                skip_comments(&mut plan);
                continue;
            }
            "trash" => {
                plan.report
                    .skipped(kind, &source_id, &title, "in the trash");
                skip_comments(&mut plan);
                continue;
            }
            other => {
                plan.report.skipped(
                    kind,
                    &source_id,
                    &title,
                    format!("unknown status {other:?}"),
                );
                skip_comments(&mut plan);
                continue;
            }
        };
        let headline = if title.is_empty() {
            plan.report.warn(
                WarningKind::Unreadable,
                Some(&source_id),
                "no title: headed \"Untitled\"",
            );
            "Untitled".to_owned()
        } else {
            title.clone()
        };
        for note in &item.body.notes {
            plan.report
                .warn(note.kind, Some(&source_id), note.message.clone());
        }
        let body = Body {
            markdown: item.body.markdown.clone(),
            images: item
                .body
                .images
                .iter()
                .map(|url| body_image(url, &attachment_by_url, &mut plan))
                .collect(),
            image_urls: item.body.images.clone(),
        };
        let published_at = clock.at(item.local, item.gmt);
        let updated_at = clock.at(item.modified_local, item.modified_gmt);
        let slug = slug_for(&item.slug, &title, &item.post_type, &item.id);
        let is_public = status == ArticleStatus::Published;
        if is_public {
            let mut froms = vec![format!("{base}/?p={}", item.id)];
            if !is_post {
                froms.push(format!("{base}/?page_id={}", item.id));
            }
            let link = path_of(&item.link);
            if !link.is_empty() && !link.contains('?') {
                froms.push(link.clone());
                if is_post {
                    froms.push(format!("{}/feed/", link.trim_end_matches('/')));
                }
            }
            let to = if is_post {
                RedirectTarget::Article(source_id.clone())
            } else {
                RedirectTarget::Page(source_id.clone())
            };
            for from in froms {
                plan.redirects.push(Redirect {
                    from,
                    to: to.clone(),
                });
            }
        }
        plan.report.planned(kind, &source_id, &headline);
        let old_url = (!item.link.is_empty()).then(|| item.link.clone());
        if !is_post {
            plan.pages.push(Page {
                source_id,
                title: headline,
                slug,
                status,
                published_at,
                updated_at,
                body,
                parent: (!item.parent.is_empty() && item.parent != "0")
                    .then(|| id("page", &item.parent)),
                old_url,
            });
            continue;
        }

        // Bylines: Co-Authors Plus lists them as `author` terms; otherwise the post's creator.
        let co_authors: Vec<&str> = item
            .terms
            .iter()
            .filter(|(domain, _, _)| domain == "author")
            .map(|(_, nicename, name)| {
                let login = nicename.strip_prefix("cap-").unwrap_or(nicename);
                if login.is_empty() {
                    name.as_str()
                } else {
                    login
                }
            })
            .collect();
        let logins: Vec<&str> = if co_authors.is_empty() {
            vec![item.creator.as_str()]
        } else {
            co_authors
        };
        let mut authors = Vec::new();
        for login in logins.into_iter().filter(|l| !l.is_empty()) {
            let known = author_ids.get(login).cloned();
            let author = known.unwrap_or_else(|| {
                missing_authors
                    .entry(login.to_owned())
                    .or_insert_with(|| id("author", login))
                    .clone()
            });
            if !authors.contains(&author) {
                authors.push(author);
            }
        }
        let mut section = None;
        let mut tags = Vec::new();
        for (domain, nicename, _) in &item.terms {
            match domain.as_str() {
                "category" if section.is_none() => section = section_ids.get(nicename).cloned(),
                "category" | "post_tag" => {
                    if let Some(tag) = tag_ids.get(&(domain.clone(), nicename.clone()))
                        && !tags.contains(tag)
                    {
                        tags.push(tag.clone());
                    }
                }
                _ => {}
            }
        }
        let hero =
            item.meta("_thumbnail_id")
                .and_then(|thumbnail| match attachments.get(thumbnail) {
                    Some(&i) => {
                        let image = &plan.images[i];
                        Some(Hero {
                            image: image.source_id.clone(),
                            alt: image.alt.clone(),
                            caption: image.caption.clone(),
                            credit: image.credit.clone(),
                        })
                    }
                    None => {
                        plan.report.warn(
                            WarningKind::MissingImage,
                            Some(&source_id),
                            format!(
                                "its featured image (attachment {thumbnail}) is not in the export"
                            ),
                        );
                        None
                    }
                });
        let mut comments = Vec::new();
        let mut entries = Vec::new();
        for raw in &item.comments {
            if raw.is_live_entry() {
                let entry = live_entry(raw, &clock, &attachment_by_url, &mut plan);
                plan.report
                    .planned(ItemKind::LiveEntry, &entry.source_id, &entry.author_name);
                entries.push(entry);
                continue;
            }
            let comment_id = id("comment", &raw.id);
            if matches!(raw.kind.as_str(), "pingback" | "trackback" | "pings") {
                plan.report.skipped(
                    ItemKind::Comment,
                    &comment_id,
                    &raw.author,
                    format!("a {}, not a reader's comment", raw.kind),
                );
                continue;
            }
            let state = match raw.approved.as_str() {
                "1" | "approve" | "approved" => CommentState::Approved,
                "spam" => CommentState::Spam,
                "trash" | "post-trashed" => CommentState::Trash,
                _ => CommentState::Pending,
            };
            let email = threads::email(&raw.email);
            let url = raw.url.trim();
            let url =
                (url.starts_with("http://") || url.starts_with("https://")).then(|| url.to_owned());
            let name = if raw.author.trim().is_empty() {
                "Anonymous"
            } else {
                raw.author.trim()
            };
            let reader = readers.reader_for(SOURCE, name, email.as_deref(), url.as_deref());
            let converted = content::comment_to_markdown(&raw.content);
            plan.report.planned(ItemKind::Comment, &comment_id, name);
            comments.push(Comment {
                source_id: comment_id,
                parent: (!raw.parent.is_empty() && raw.parent != "0")
                    .then(|| id("comment", &raw.parent)),
                reader,
                author_name: name.to_owned(),
                author_email: email,
                author_url: url,
                posted_at: clock.at(raw.local, raw.gmt),
                body_markdown: converted.markdown,
                state,
            });
        }
        let comments = threads::order(comments, &mut plan.report);
        let live = match item.meta("liveblog") {
            Some(state @ ("enable" | "archive")) => {
                entries.sort_by_key(|e: &LiveEntry| e.posted_at);
                Some(LiveCoverage {
                    ended: state == "archive",
                    entries,
                })
            }
            // Entries of a post no longer run live: still its live coverage, over.
            _ if !entries.is_empty() => {
                entries.sort_by_key(|e: &LiveEntry| e.posted_at);
                Some(LiveCoverage {
                    ended: true,
                    entries,
                })
            }
            _ => None,
        };
        plan.articles.push(Article {
            source_id,
            headline,
            slug,
            status,
            published_at,
            updated_at,
            created_at: published_at,
            standfirst: content::plain_text(&item.excerpt),
            body,
            section,
            authors,
            tags,
            hero,
            comments_open: item.comment_status == "open",
            comments,
            old_url,
            live,
        });
    }
    // Comments on pages are not imported: Dateline's pages have no discussion.
    for item in export.items.iter().filter(|i| i.post_type == "page") {
        for raw in &item.comments {
            let (kind, what) = comment_kind(raw);
            plan.report.skipped(
                kind,
                &id(what, &raw.id),
                &raw.author,
                "on a page; pages have no discussion",
            );
        }
    }
    for (login, source_id) in missing_authors {
        plan.report.planned(ItemKind::Author, &source_id, &login);
        plan.authors.push(Author {
            source_id,
            slug: slug_for(&nicename(&login), &login, "author", &login),
            name: login,
            email: None,
            bio: String::new(),
            website: None,
            photo: None,
        });
    }
    for author in &plan.authors {
        let login = author
            .source_id
            .as_str()
            .rsplit_once(":")
            .map_or("", |(_, l)| l)
            .to_owned();
        let nice = nicename(&login);
        plan.redirects.push(Redirect {
            from: format!("{base}/author/{nice}/"),
            to: RedirectTarget::Author(author.source_id.clone()),
        });
        plan.redirects.push(Redirect {
            from: format!("{base}/author/{nice}/feed/"),
            to: RedirectTarget::AuthorFeed(author.source_id.clone()),
        });
        if let Some(number) = author_numbers.get(&login) {
            plan.redirects.push(Redirect {
                from: format!("{base}/?author={number}"),
                to: RedirectTarget::Author(author.source_id.clone()),
            });
        }
    }
    for from in [
        "/feed/",
        "/feed/rss2/",
        "/feed/rss/",
        "/feed/atom/",
        "/feed/rdf/",
        "/?feed=rss2",
        "/?feed=atom",
        "/?feed=rss",
    ] {
        plan.redirects.push(Redirect {
            from: format!("{base}{from}"),
            to: RedirectTarget::SiteFeed,
        });
    }
    for reader in &readers.list {
        plan.report
            .planned(ItemKind::Reader, &reader.source_id, &reader.name);
    }
    plan.readers = readers.list;
    if export.terms > 0 {
        plan.report.not_imported.push(NotImported {
            kind: "custom taxonomy terms".into(),
            count: export.terms,
        });
    }
    finish_redirects(&mut plan);
    plan
}

/// What a comment of the export is to the report: a reader's comment or a live entry.
fn comment_kind(raw: &RawComment) -> (ItemKind, &'static str) {
    if raw.is_live_entry() {
        (ItemKind::LiveEntry, "live-entry")
    } else {
        (ItemKind::Comment, "comment")
    }
}

/// A Liveblog entry: its HTML converted like a post's body; a heading it opens with is its
/// headline.
fn live_entry(
    raw: &RawComment,
    clock: &Clock,
    attachment_by_url: &HashMap<String, SourceId>,
    plan: &mut Plan,
) -> LiveEntry {
    let source_id = id("live-entry", &raw.id);
    let converted = content::wordpress_to_markdown(&raw.content);
    for note in &converted.notes {
        plan.report
            .warn(note.kind, Some(&source_id), note.message.clone());
    }
    let (headline, markdown) = split_headline(&converted.markdown);
    let body = Body {
        images: converted
            .images
            .iter()
            .map(|url| body_image(url, attachment_by_url, plan))
            .collect(),
        image_urls: converted.images.clone(),
        markdown,
    };
    let author = raw.author.trim();
    LiveEntry {
        source_id,
        author_name: if author.is_empty() {
            "Staff".to_owned()
        } else {
            author.to_owned()
        },
        posted_at: clock.at(raw.local, raw.gmt),
        headline,
        body,
        key_event: raw.key_entry,
    }
}

/// `### Headline\n\nText` → (`Headline`, `Text`): Markdown that opens with a heading.
fn split_headline(markdown: &str) -> (Option<String>, String) {
    let trimmed = markdown.trim_start();
    let Some(first) = trimmed.lines().next() else {
        return (None, String::new());
    };
    let hashes = first.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) && first[hashes..].starts_with(' ') {
        let headline = first[hashes..].trim().to_owned();
        let rest = trimmed[first.len()..].trim_start().to_owned();
        if !headline.is_empty() {
            return (Some(headline), rest);
        }
    }
    (None, markdown.to_owned())
}

fn body_image(
    url: &str,
    attachment_by_url: &HashMap<String, SourceId>,
    plan: &mut Plan,
) -> SourceId {
    if let Some(found) = attachment_by_url.get(&without_size_suffix(url)) {
        return found.clone();
    }
    let source_id = id("image-url", url);
    if !plan.images.iter().any(|i| i.source_id == source_id) {
        plan.report.planned(ItemKind::Image, &source_id, url);
        plan.images.push(Image {
            source_id: source_id.clone(),
            url: url.to_owned(),
            file: uploads_file(url),
            alt: String::new(),
            caption: None,
            credit: None,
            title: String::new(),
        });
    }
    source_id
}

/// One redirect per old path; the first claim wins and a conflict is reported.
pub(crate) fn finish_redirects(plan: &mut Plan) {
    let mut seen: HashMap<String, RedirectTarget> = HashMap::new();
    let mut kept = Vec::with_capacity(plan.redirects.len());
    for redirect in std::mem::take(&mut plan.redirects) {
        match seen.get(&redirect.from) {
            Some(existing) if *existing != redirect.to => plan.report.warn(
                WarningKind::Unreadable,
                None,
                format!(
                    "{} could lead to two places; it goes to the first",
                    redirect.from
                ),
            ),
            Some(_) => {}
            None => {
                seen.insert(redirect.from.clone(), redirect.to.clone());
                kept.push(redirect);
            }
        }
    }
    for redirect in &kept {
        let source_id = SourceId(format!("redirect:{}", redirect.from));
        plan.report
            .planned(ItemKind::Redirect, &source_id, &redirect.from);
    }
    plan.redirects = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_paths() {
        assert_eq!(
            without_size_suffix("https://x/wp-content/uploads/2024/05/cat-1024x768.jpg"),
            "https://x/wp-content/uploads/2024/05/cat.jpg"
        );
        assert_eq!(
            without_size_suffix("https://x/a-b.jpg"),
            "https://x/a-b.jpg"
        );
        assert_eq!(
            uploads_file("https://x/wp-content/uploads/2024/05/caf%C3%A9.jpg?v=1").as_deref(),
            Some("2024/05/café.jpg")
        );
        assert_eq!(
            path_of("https://example.com/blog/2024/05/12/slug/"),
            "/blog/2024/05/12/slug/"
        );
        assert_eq!(path_of("https://example.com"), "/");
        assert_eq!(nicename("John.Doe@x"), "johndoex");
    }

    #[test]
    fn reads_the_credit_from_attachment_metadata() {
        let meta = r#"a:5:{s:5:"width";i:10;s:10:"image_meta";a:2:{s:6:"credit";s:9:"AP Photos";s:7:"caption";s:0:"";}}"#;
        assert_eq!(
            php_string_field(meta, "credit").as_deref(),
            Some("AP Photos")
        );
        assert_eq!(php_string_field(meta, "caption"), None);
    }
}
