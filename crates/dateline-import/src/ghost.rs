//! Ghost's JSON export (Settings → Labs → Export, Ghost 2.x through 6.x) to a [`Plan`].
//!
//! The export is one JSON document, `{"db": [{"meta": …, "data": {"posts": […], …}}]}` (very old
//! ones drop the `db` wrapper). It is read whole: serde_json says the line and column of a syntax
//! error, and every value read afterwards knows its JSON path, so a wrong type is reported as
//! `db[0].data.posts[3].title`.

use std::collections::{BTreeSet, HashMap};
use std::io::Read;

use dateline_core::model::ArticleStatus;
use dateline_core::slug::slugify;
use jiff::Timestamp;
use serde_json::Value;

use crate::content::{self, Converted};
use crate::error::{ImportError, Location};
use crate::plan::{
    Article, Author, Body, Hero, Image, ItemKind, NotImported, Page, Plan, Redirect,
    RedirectTarget, Section, Site, Source, SourceId, Tag, WarningKind,
};

const SOURCE: Source = Source::Ghost;

fn id(kind: &str, value: &str) -> SourceId {
    SourceId::new(SOURCE, kind, value)
}

/// A value and where it is in the document.
#[derive(Clone, Copy)]
struct At<'a> {
    value: &'a Value,
    path: &'a str,
}

fn wrong(path: &str, expected: &str, found: &Value) -> ImportError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ImportError::Malformed {
        format: "Ghost JSON",
        location: Location::JsonPath(path.to_owned()),
        message: format!("expected {expected}, found {found}"),
    }
}

impl<'a> At<'a> {
    fn field(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    /// A string field; absent and null read as `None`, numbers as their digits (old ids).
    fn text(&self, key: &str) -> Result<Option<String>, ImportError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(wrong(&format!("{}.{key}", self.path), "a string", other)),
        }
    }

    fn text_or_empty(&self, key: &str) -> Result<String, ImportError> {
        Ok(self.text(key)?.unwrap_or_default())
    }

    /// A timestamp: ISO 8601 text, or milliseconds since 1970 in old exports.
    fn time(&self, key: &str) -> Result<Option<Timestamp>, ImportError> {
        match self.field(key) {
            None => Ok(None),
            Some(Value::String(s)) => {
                s.parse::<Timestamp>()
                    .map(Some)
                    .map_err(|e| ImportError::Malformed {
                        format: "Ghost JSON",
                        location: Location::JsonPath(format!("{}.{key}", self.path)),
                        message: format!("{s:?} is not a date: {e}"),
                    })
            }
            Some(Value::Number(n)) => Ok(n
                .as_i64()
                .and_then(|ms| Timestamp::from_millisecond(ms).ok())),
            Some(other) => Err(wrong(&format!("{}.{key}", self.path), "a date", other)),
        }
    }

    fn truthy(&self, key: &str) -> bool {
        match self.field(key) {
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => s == "1" || s == "true",
            _ => false,
        }
    }

    fn rows(&self, key: &str) -> Result<Vec<(String, &'a Value)>, ImportError> {
        match self.field(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(rows)) => Ok(rows
                .iter()
                .enumerate()
                .map(|(i, row)| (format!("{}.{key}[{i}]", self.path), row))
                .collect()),
            Some(other) => Err(wrong(&format!("{}.{key}", self.path), "an array", other)),
        }
    }
}

fn rows_of<'a>(data: At<'a>, key: &str) -> Result<Vec<(String, &'a Value)>, ImportError> {
    let rows = data.rows(key)?;
    for (path, row) in &rows {
        if !row.is_object() {
            return Err(wrong(path, "an object", row));
        }
    }
    Ok(rows)
}

/// The file under `content/images` a Ghost image URL names (`__GHOST_URL__/content/images/…`,
/// resized copies under `size/w600/` included).
fn content_file(url: &str) -> Option<String> {
    let (_, file) = url.split_once("/content/images/")?;
    let file = file.split(['?', '#']).next().unwrap_or(file);
    let file = match file.strip_prefix("size/") {
        Some(sized) => sized.split_once('/').map_or(sized, |(_, rest)| rest),
        None => file,
    };
    (!file.is_empty()).then(|| file.to_owned())
}

/// Ghost writes `__GHOST_URL__` for its own address since 4.0; on Dateline it is the site root.
fn site_relative(url: &str) -> String {
    url.replace("__GHOST_URL__", "")
}

/// Reads a Ghost JSON export.
pub fn read<R: Read>(input: R) -> Result<Plan, ImportError> {
    let document: Value = serde_json::from_reader(input).map_err(|e| {
        if e.is_eof() && e.line() == 1 && e.column() == 0 {
            return ImportError::Malformed {
                format: "JSON",
                location: Location::File,
                message: "the file is empty".into(),
            };
        }
        ImportError::Malformed {
            format: "JSON",
            // serde_json counts a position at the start of a line as column 0.
            location: Location::Text {
                line: e.line() as u64,
                column: (e.column() as u64).max(1),
            },
            message: e.to_string(),
        }
    })?;
    let (export, path) = match document.get("db") {
        Some(Value::Array(dbs)) => match dbs.first() {
            Some(first) => (first, "db[0]"),
            None => {
                return Err(ImportError::WrongKind {
                    expected: "Ghost",
                    location: Location::JsonPath("db".into()),
                    found: "db is an empty array".into(),
                });
            }
        },
        Some(other) => return Err(wrong("db", "an array", other)),
        None if document.get("data").is_some() => (&document, "$"),
        None => {
            let keys = match &document {
                Value::Object(map) => map.keys().take(5).cloned().collect::<Vec<_>>().join(", "),
                _ => "not an object".into(),
            };
            return Err(ImportError::WrongKind {
                expected: "Ghost",
                location: Location::JsonPath("$".into()),
                found: format!("no db[0].data in the document (it has: {keys})"),
            });
        }
    };
    let data_path = format!("{path}.data");
    let data = match export.get("data") {
        Some(value @ Value::Object(_)) => At {
            value,
            path: &data_path,
        },
        Some(other) => return Err(wrong(&data_path, "an object", other)),
        None => {
            return Err(ImportError::WrongKind {
                expected: "Ghost",
                location: Location::JsonPath(path.into()),
                found: "no data object".into(),
            });
        }
    };
    if data.field("posts").is_none() {
        return Err(ImportError::WrongKind {
            expected: "Ghost",
            location: Location::JsonPath(data_path.clone()),
            found: "no posts array".into(),
        });
    }
    let meta_path = format!("{path}.meta");
    let meta = At {
        value: export.get("meta").unwrap_or(&Value::Null),
        path: &meta_path,
    };
    let version = meta.text("version")?.unwrap_or_else(|| "unknown".into());
    plan(data, &version)
}

struct GhostTag {
    name: String,
    slug: String,
    description: String,
    internal: bool,
}

fn plan(data: At<'_>, version: &str) -> Result<Plan, ImportError> {
    let mut plan = Plan::new(SOURCE);
    let mut site = Site {
        format: format!("Ghost {version}"),
        ..Site::default()
    };
    for (path, row) in rows_of(data, "settings")? {
        let row = At {
            value: row,
            path: &path,
        };
        match row.text("key")?.as_deref() {
            Some("title") => site.title = row.text_or_empty("value")?,
            Some("timezone") => site.utc_offset = row.text("value")?,
            _ => {}
        }
    }
    plan.site = site;

    // Authors.
    let mut authors: HashMap<String, SourceId> = HashMap::new();
    for (path, row) in rows_of(data, "users")? {
        let row = At {
            value: row,
            path: &path,
        };
        let key = row.text_or_empty("id")?;
        let source_id = id("user", &key);
        let name = row.text_or_empty("name")?;
        let slug = row.text_or_empty("slug")?;
        plan.report.planned(ItemKind::Author, &source_id, &name);
        let photo = row
            .text("profile_image")?
            .filter(|u| !u.is_empty())
            .map(|url| image(&mut plan, &url, "", None));
        for (from, to) in [
            (
                format!("/author/{slug}/"),
                RedirectTarget::Author(source_id.clone()),
            ),
            (
                format!("/author/{slug}/rss/"),
                RedirectTarget::AuthorFeed(source_id.clone()),
            ),
        ] {
            plan.redirects.push(Redirect { from, to });
        }
        plan.authors.push(Author {
            source_id: source_id.clone(),
            slug: [slugify(&slug), slugify(&name)]
                .into_iter()
                .find(|s| !s.is_empty())
                .unwrap_or_else(|| format!("author-{key}")),
            name,
            email: row.text("email")?.filter(|e| e.contains('@')),
            bio: row.text_or_empty("bio")?,
            website: row.text("website")?,
            photo,
        });
        authors.insert(key, source_id);
    }

    // Tags, and which posts carry them in which order.
    let mut tags: HashMap<String, GhostTag> = HashMap::new();
    let mut tag_order: Vec<String> = Vec::new();
    for (path, row) in rows_of(data, "tags")? {
        let row = At {
            value: row,
            path: &path,
        };
        let key = row.text_or_empty("id")?;
        let name = row.text_or_empty("name")?;
        let internal =
            name.starts_with('#') || row.text("visibility")?.as_deref() == Some("internal");
        tag_order.push(key.clone());
        tags.insert(
            key,
            GhostTag {
                slug: row.text_or_empty("slug")?,
                description: row.text_or_empty("description")?,
                name,
                internal,
            },
        );
    }
    let mut post_tags: HashMap<String, Vec<(i64, usize, String)>> = HashMap::new();
    for (i, (path, row)) in rows_of(data, "posts_tags")?.into_iter().enumerate() {
        let row = At {
            value: row,
            path: &path,
        };
        let order = row.field("sort_order").and_then(Value::as_i64).unwrap_or(0);
        post_tags
            .entry(row.text_or_empty("post_id")?)
            .or_default()
            .push((order, i, row.text_or_empty("tag_id")?));
    }
    for list in post_tags.values_mut() {
        list.sort();
    }
    let mut post_authors: HashMap<String, Vec<(i64, usize, String)>> = HashMap::new();
    for (i, (path, row)) in rows_of(data, "posts_authors")?.into_iter().enumerate() {
        let row = At {
            value: row,
            path: &path,
        };
        let order = row.field("sort_order").and_then(Value::as_i64).unwrap_or(0);
        post_authors
            .entry(row.text_or_empty("post_id")?)
            .or_default()
            .push((order, i, row.text_or_empty("author_id")?));
    }
    for list in post_authors.values_mut() {
        list.sort();
    }
    let mut posts_meta: HashMap<String, (String, String)> = HashMap::new();
    for (path, row) in rows_of(data, "posts_meta")? {
        let row = At {
            value: row,
            path: &path,
        };
        posts_meta.insert(
            row.text_or_empty("post_id")?,
            (
                row.text_or_empty("feature_image_alt")?,
                row.text_or_empty("feature_image_caption")?,
            ),
        );
    }

    // The primary tag (the first public one) is the section; the others are tags.
    let posts = rows_of(data, "posts")?;
    let mut primary: BTreeSet<String> = BTreeSet::new();
    let mut secondary: BTreeSet<String> = BTreeSet::new();
    for (path, row) in &posts {
        let row = At { value: row, path };
        let key = row.text_or_empty("id")?;
        let mut first = true;
        for (_, _, tag) in post_tags.get(&key).into_iter().flatten() {
            if tags.get(tag).is_some_and(|t| !t.internal) {
                if first {
                    primary.insert(tag.clone());
                    first = false;
                } else {
                    secondary.insert(tag.clone());
                }
            }
        }
    }
    let mut section_ids = HashMap::new();
    let mut tag_ids = HashMap::new();
    for key in &tag_order {
        let Some(tag) = tags.get(key) else { continue };
        let slug = [slugify(&tag.slug), slugify(&tag.name)]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| format!("tag-{key}"));
        if tag.internal {
            plan.report.skipped(
                ItemKind::Tag,
                &id("tag", key),
                &tag.name,
                "an internal #tag",
            );
            continue;
        }
        if primary.contains(key) {
            let source_id = id("tag", key);
            plan.report
                .planned(ItemKind::Section, &source_id, &tag.name);
            plan.sections.push(Section {
                source_id: source_id.clone(),
                name: tag.name.clone(),
                slug: slug.clone(),
                description: tag.description.clone(),
                flattened_from: Vec::new(),
            });
            plan.redirects.push(Redirect {
                from: format!("/tag/{}/", tag.slug),
                to: RedirectTarget::Section(source_id.clone()),
            });
            plan.redirects.push(Redirect {
                from: format!("/tag/{}/rss/", tag.slug),
                to: RedirectTarget::SectionFeed(source_id.clone()),
            });
            section_ids.insert(key.clone(), source_id);
        }
        if secondary.contains(key) {
            let source_id = id("tag-tag", key);
            plan.report.planned(ItemKind::Tag, &source_id, &tag.name);
            plan.tags.push(Tag {
                source_id: source_id.clone(),
                name: tag.name.clone(),
                slug,
            });
            if !primary.contains(key) {
                plan.redirects.push(Redirect {
                    from: format!("/tag/{}/", tag.slug),
                    to: RedirectTarget::Tag(source_id.clone()),
                });
                plan.redirects.push(Redirect {
                    from: format!("/tag/{}/rss/", tag.slug),
                    to: RedirectTarget::TagFeed(source_id.clone()),
                });
            }
            tag_ids.insert(key.clone(), source_id);
        }
        if !primary.contains(key) && !secondary.contains(key) {
            plan.report.skipped(
                ItemKind::Tag,
                &id("tag", key),
                &tag.name,
                "no post has this tag",
            );
        }
    }

    for (path, row) in &posts {
        let row = At { value: row, path };
        let key = row.text_or_empty("id")?;
        let title = row.text_or_empty("title")?;
        let is_page = row.text("type")?.as_deref() == Some("page") || row.truthy("page");
        let kind = if is_page {
            ItemKind::Page
        } else {
            ItemKind::Article
        };
        let source_id = id(if is_page { "page" } else { "post" }, &key);
        let status = match row.text("status")?.as_deref() {
            Some("published") => ArticleStatus::Published,
            Some("draft") => ArticleStatus::Draft,
            Some("scheduled") => ArticleStatus::Scheduled,
            // Sent as a newsletter only: never on the web.
            Some("sent") => ArticleStatus::Unpublished,
            other => {
                plan.report.skipped(
                    kind,
                    &source_id,
                    &title,
                    format!("unknown status {other:?}"),
                );
                continue;
            }
        };
        if !matches!(row.text("visibility")?.as_deref(), None | Some("public")) {
            plan.report.warn(WarningKind::Unreadable, Some(&source_id), "for members only in Ghost; Dateline has no paywall, it will be public when published");
        }
        let converted = body(row, &source_id, &mut plan)?;
        for note in &converted.notes {
            plan.report
                .warn(note.kind, Some(&source_id), note.message.clone());
        }
        let images = converted
            .images
            .iter()
            .map(|url| image(&mut plan, url, "", None))
            .collect();
        let body = Body {
            markdown: site_relative(&converted.markdown),
            images,
            image_urls: converted
                .images
                .iter()
                .map(|url| site_relative(url))
                .collect(),
        };
        let slug_text = row.text_or_empty("slug")?;
        let slug = [slugify(&slug_text), slugify(&title)]
            .into_iter()
            .find(|s| !s.is_empty())
            .unwrap_or_else(|| format!("post-{key}"));
        let published_at = row.time("published_at")?;
        let updated_at = row.time("updated_at")?;
        if status == ArticleStatus::Published {
            let to = if is_page {
                RedirectTarget::Page(source_id.clone())
            } else {
                RedirectTarget::Article(source_id.clone())
            };
            plan.redirects.push(Redirect {
                from: format!("/{slug_text}/"),
                to: to.clone(),
            });
            plan.redirects.push(Redirect {
                from: format!("/{slug_text}/amp/"),
                to,
            });
        }
        plan.report.planned(kind, &source_id, &title);
        if is_page {
            plan.pages.push(Page {
                source_id,
                title,
                slug,
                status,
                published_at,
                updated_at,
                body,
                parent: None,
                old_url: None,
            });
            continue;
        }
        let mut bylines: Vec<SourceId> = post_authors
            .get(&key)
            .into_iter()
            .flatten()
            .filter_map(|(_, _, author)| authors.get(author).cloned())
            .collect();
        if bylines.is_empty()
            && let Some(author) = row
                .text("author_id")?
                .and_then(|a| authors.get(&a).cloned())
        {
            bylines.push(author);
        }
        let mut section = None;
        let mut article_tags = Vec::new();
        for (_, _, tag) in post_tags.get(&key).into_iter().flatten() {
            if section.is_none()
                && let Some(s) = section_ids.get(tag)
            {
                section = Some(s.clone());
                continue;
            }
            if let Some(t) = tag_ids.get(tag)
                && !article_tags.contains(t)
            {
                article_tags.push(t.clone());
            }
        }
        let (alt, caption) = posts_meta.get(&key).cloned().unwrap_or_default();
        let alt = if alt.is_empty() {
            row.text_or_empty("feature_image_alt")?
        } else {
            alt
        };
        let caption = if caption.is_empty() {
            row.text_or_empty("feature_image_caption")?
        } else {
            caption
        };
        let caption = content::plain_text(&caption);
        let hero = match row.text("feature_image")?.filter(|u| !u.is_empty()) {
            Some(url) => {
                let caption = (!caption.is_empty()).then_some(caption);
                let image = image(&mut plan, &url, &alt, caption.clone());
                Some(Hero {
                    image,
                    alt,
                    caption,
                    credit: None,
                })
            }
            None => None,
        };
        plan.articles.push(Article {
            source_id,
            headline: title,
            slug,
            status,
            published_at,
            updated_at,
            created_at: row.time("created_at")?,
            standfirst: row.text_or_empty("custom_excerpt")?,
            body,
            section,
            authors: bylines,
            tags: article_tags,
            hero,
            comments_open: true,
            comments: Vec::new(),
            old_url: None,
            live: None,
        });
    }
    plan.redirects.push(Redirect {
        from: "/rss/".into(),
        to: RedirectTarget::SiteFeed,
    });
    for kind in [
        "members",
        "newsletters",
        "settings",
        "labels",
        "products",
        "offers",
        "snippets",
        "emails",
        "comments",
        "stripe_products",
        "members_stripe_customers",
    ] {
        if let Some(Value::Array(rows)) = data.field(kind) {
            plan.report.not_imported.push(NotImported {
                kind: kind.to_owned(),
                count: rows.len(),
            });
        }
    }
    crate::wordpress::finish_redirects(&mut plan);
    Ok(plan)
}

/// The body in the richest form the export has: Lexical, then Mobiledoc, then HTML.
fn body(row: At<'_>, source_id: &SourceId, plan: &mut Plan) -> Result<Converted, ImportError> {
    if let Some(lexical) = row.text("lexical")? {
        match content::lexical_to_markdown(&lexical) {
            Ok(converted) => return Ok(converted),
            Err(e) => plan.report.warn(
                WarningKind::Unreadable,
                Some(source_id),
                format!("its Lexical document could not be read ({e}); its HTML was used"),
            ),
        }
    }
    if let Some(mobiledoc) = row.text("mobiledoc")? {
        match content::mobiledoc_to_markdown(&mobiledoc) {
            Ok(converted) => return Ok(converted),
            Err(e) => plan.report.warn(
                WarningKind::Unreadable,
                Some(source_id),
                format!("its Mobiledoc document could not be read ({e}); its HTML was used"),
            ),
        }
    }
    Ok(content::html_to_markdown(&row.text_or_empty("html")?))
}

fn image(plan: &mut Plan, url: &str, alt: &str, caption: Option<String>) -> SourceId {
    let url = site_relative(url);
    let file = content_file(&url);
    let source_id = id("image", file.as_deref().unwrap_or(&url));
    match plan.images.iter_mut().find(|i| i.source_id == source_id) {
        Some(existing) => {
            if existing.alt.is_empty() {
                existing.alt = alt.to_owned();
            }
            if existing.caption.is_none() {
                existing.caption = caption;
            }
        }
        None => {
            plan.report.planned(ItemKind::Image, &source_id, &url);
            plan.images.push(Image {
                source_id: source_id.clone(),
                url,
                file,
                alt: alt.to_owned(),
                caption,
                credit: None,
                title: String::new(),
            });
        }
    }
    source_id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_under_content_images() {
        assert_eq!(
            content_file("__GHOST_URL__/content/images/2021/05/a.jpg").as_deref(),
            Some("2021/05/a.jpg")
        );
        assert_eq!(
            content_file("https://x.com/content/images/size/w600/2021/05/a.jpg").as_deref(),
            Some("2021/05/a.jpg")
        );
        assert_eq!(content_file("https://images.unsplash.com/photo"), None);
    }
}
