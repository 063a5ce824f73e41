//! WordPress eXtended RSS 1.2 (`dateline export --wxr FILE`): what a newsroom takes to
//! WordPress's Tools → Import.
//!
//! - Articles are posts: the body rendered to HTML as readers see it, with the article's
//!   corrections and updates after it; status, dates (local in the site's time zone and GMT),
//!   slug, standfirst as the excerpt, comments open or closed.
//! - The section is the post's first category (the same rule Dateline's importer reads back),
//!   tags are tags, bylines are the first author as `dc:creator` and every author as a
//!   Co-Authors Plus `author` term.
//! - Pictures are attachments, referenced by the URL of their largest public variant (WordPress
//!   downloads them from the old site), with alt text, caption and credit; a hero is the post's
//!   `_thumbnail_id`.
//! - Comments keep their threading (`wp:comment_parent`), author, time and state.
//! - Live coverage is written the way WordPress.com VIP's Liveblog plugin keeps it: the post has
//!   the `liveblog` meta (`enable`, or `archive` once the coverage ended) and every entry is a
//!   comment of type and state `liveblog`, its headline, picture, embed and corrections in its
//!   HTML, a key event marked with the `liveblog_key_entry` comment meta. Without the plugin
//!   WordPress keeps the entries and shows none of them; Dateline's importer reads them back as
//!   entries.
//! - Static pages are pages (`wp:post_type` `page`), in their footer order (`wp:menu_order`).
//!
//! Revisions, tips, readers' accounts and settings have no WordPress equivalent and stay out.
//! Every item is read from one snapshot, an article at a time.

use std::collections::HashMap;
use std::io::Write;

use dateline_db::Store;
use dateline_db::export::{Table, Value, table};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::ExportError;

const BATCH_ROWS: usize = 500;

/// What a WXR file holds, by kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WxrCounts {
    pub posts: u64,
    pub categories: u64,
    pub tags: u64,
    pub authors: u64,
    pub comments: u64,
    pub attachments: u64,
    pub pages: u64,
    /// Live coverage entries, as Liveblog comments.
    pub live_entries: u64,
}

fn tables(name: &str) -> Result<&'static Table, ExportError> {
    table(name).ok_or_else(|| ExportError::Invalid(format!("no exported table {name}")))
}

static NULL: Value = Value::Null;

/// A row with its table, read by column name.
struct Row<'a> {
    table: &'a Table,
    values: &'a [Value],
}

impl<'a> Row<'a> {
    fn new(table: &'a Table, values: &'a [Value]) -> Self {
        Row { table, values }
    }

    fn value(&self, name: &str) -> &'a Value {
        self.table
            .column_index(name)
            .and_then(|i| self.values.get(i))
            .unwrap_or(&NULL)
    }

    fn text(&self, name: &str) -> &'a str {
        match self.value(name) {
            Value::Text(text) => text,
            _ => "",
        }
    }

    fn int(&self, name: &str) -> Option<i64> {
        match self.value(name) {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    fn time(&self, name: &str) -> Option<Timestamp> {
        match self.value(name) {
            Value::Time(at) => Some(*at),
            _ => None,
        }
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.value(name), Value::Bool(true))
    }
}

/// Text as CDATA; a `]]>` inside is split across two sections so the text cannot close it.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

/// Text for an element or attribute.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// WordPress's `Y-m-d H:i:s`, in `zone`; its "no date" for none.
fn wp_date(at: Option<Timestamp>, zone: &TimeZone) -> String {
    match at {
        Some(at) => at
            .to_zoned_datetime(zone.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        None => "0000-00-00 00:00:00".to_owned(),
    }
}

struct Out<'w, W: Write> {
    out: &'w mut W,
}

impl<W: Write> Out<'_, W> {
    fn line(&mut self, text: &str) -> Result<(), ExportError> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.write_all(b"\n"))
            .map_err(|e| ExportError::Io {
                path: "the WXR file".into(),
                source: e,
            })
    }
}

/// Writes the site as WXR 1.2 to `out`; `base_url` makes the links absolute.
pub async fn write<W: Write>(
    store: &Store,
    base_url: &str,
    out: &mut W,
) -> Result<WxrCounts, ExportError> {
    let base = base_url.trim_end_matches('/');
    let settings = store.site().settings().await?;
    let zone = TimeZone::get(&settings.time_zone).unwrap_or(TimeZone::UTC);
    let utc = TimeZone::UTC;
    let mut counts = WxrCounts::default();
    let mut out = Out { out };
    let mut snapshot = store.export_snapshot().await?;

    let sections_table = tables("sections")?;
    let tags_table = tables("tags")?;
    let authors_table = tables("authors")?;
    let staff_table = tables("staff")?;
    let images_table = tables("images")?;
    let articles_table = tables("articles")?;
    let bylines_table = tables("article_authors")?;
    let article_tags_table = tables("article_tags")?;
    let notes_table = tables("article_notes")?;
    let comments_table = tables("comments")?;
    let readers_table = tables("readers")?;
    let entries_table = tables("live_entries")?;
    let entry_notes_table = tables("live_entry_notes")?;
    let pages_table = tables("pages")?;

    // The small kinds whole: a newsroom has tens of sections and hundreds of authors and tags.
    let sections = all_rows(&mut snapshot, sections_table).await?;
    let tags = all_rows(&mut snapshot, tags_table).await?;
    let authors = all_rows(&mut snapshot, authors_table).await?;
    let staff = all_rows(&mut snapshot, staff_table).await?;
    let section_by_id: HashMap<i64, Row<'_>> = sections
        .iter()
        .map(|values| Row::new(sections_table, values))
        .filter_map(|row| Some((row.int("id")?, row)))
        .collect();
    let tag_by_id: HashMap<i64, Row<'_>> = tags
        .iter()
        .map(|values| Row::new(tags_table, values))
        .filter_map(|row| Some((row.int("id")?, row)))
        .collect();
    let author_by_id: HashMap<i64, Row<'_>> = authors
        .iter()
        .map(|values| Row::new(authors_table, values))
        .filter_map(|row| Some((row.int("id")?, row)))
        .collect();
    let staff_name: HashMap<i64, String> = staff
        .iter()
        .map(|values| Row::new(staff_table, values))
        .filter_map(|row| Some((row.int("id")?, row.text("display_name").to_owned())))
        .collect();
    // Staff email per author, for `wp:author_email` (WordPress matches users by it).
    let author_email: HashMap<i64, String> = staff
        .iter()
        .map(|values| Row::new(staff_table, values))
        .filter_map(|row| Some((row.int("author_id")?, row.text("email").to_owned())))
        .collect();
    // Attachments, pages and posts share WordPress's post ids: pictures come after the
    // articles, pages after the pictures. Live entries are comments, after the comments.
    let attachment_offset = snapshot.max_id(articles_table).await?.unwrap_or(0);
    let page_offset = attachment_offset + snapshot.max_id(images_table).await?.unwrap_or(0);
    let entry_offset = snapshot.max_id(comments_table).await?.unwrap_or(0);
    // Each picture's address and alt text, for the live entries that show one.
    let mut picture_of: HashMap<i64, (String, String)> = HashMap::new();

    out.line(r#"<?xml version="1.0" encoding="UTF-8" ?>"#)?;
    out.line(concat!(
        r#"<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" "#,
        r#"xmlns:content="http://purl.org/rss/1.0/modules/content/" "#,
        r#"xmlns:wfw="http://wellformedweb.org/CommentAPI/" "#,
        r#"xmlns:dc="http://purl.org/dc/elements/1.1/" "#,
        r#"xmlns:wp="http://wordpress.org/export/1.2/">"#
    ))?;
    out.line("<channel>")?;
    out.line(&format!("\t<title>{}</title>", escaped(&settings.name)))?;
    out.line(&format!("\t<link>{}</link>", escaped(base)))?;
    out.line(&format!(
        "\t<description>{}</description>",
        escaped(&settings.tagline)
    ))?;
    out.line(&format!(
        "\t<pubDate>{}</pubDate>",
        Timestamp::now().strftime("%a, %d %b %Y %H:%M:%S +0000")
    ))?;
    out.line(&format!(
        "\t<language>{}</language>",
        escaped(&settings.language)
    ))?;
    out.line("\t<wp:wxr_version>1.2</wp:wxr_version>")?;
    out.line(&format!(
        "\t<wp:base_site_url>{0}</wp:base_site_url>\n\t<wp:base_blog_url>{0}</wp:base_blog_url>",
        escaped(base)
    ))?;

    for values in &authors {
        let author = Row::new(authors_table, values);
        let id = author.int("id").unwrap_or(0);
        out.line(&format!(
            "\t<wp:author><wp:author_id>{id}</wp:author_id><wp:author_login>{}</wp:author_login>\
             <wp:author_email>{}</wp:author_email><wp:author_display_name>{}</wp:author_display_name>\
             <wp:author_first_name>{}</wp:author_first_name><wp:author_last_name>{}</wp:author_last_name></wp:author>",
            cdata(author.text("slug")),
            cdata(author_email.get(&id).map_or("", String::as_str)),
            cdata(author.text("name")),
            cdata(""),
            cdata("")
        ))?;
        counts.authors += 1;
    }
    for values in &sections {
        let section = Row::new(sections_table, values);
        out.line(&format!(
            "\t<wp:category><wp:term_id>{}</wp:term_id><wp:category_nicename>{}</wp:category_nicename>\
             <wp:category_parent>{}</wp:category_parent><wp:cat_name>{}</wp:cat_name>\
             <wp:category_description>{}</wp:category_description></wp:category>",
            section.int("id").unwrap_or(0),
            cdata(section.text("slug")),
            cdata(""),
            cdata(section.text("name")),
            cdata(section.text("description"))
        ))?;
        counts.categories += 1;
    }
    for values in &tags {
        let tag = Row::new(tags_table, values);
        out.line(&format!(
            "\t<wp:tag><wp:term_id>{}</wp:term_id><wp:tag_slug>{}</wp:tag_slug>\
             <wp:tag_name>{}</wp:tag_name></wp:tag>",
            // Term ids are one space in WordPress; tags after sections.
            tag.int("id").unwrap_or(0) + section_by_id.keys().max().copied().unwrap_or(0),
            cdata(tag.text("slug")),
            cdata(tag.text("name"))
        ))?;
        counts.tags += 1;
    }

    // Pictures, in batches.
    let mut last = None;
    loop {
        let batch = snapshot
            .rows(images_table, last.as_deref(), BATCH_ROWS)
            .await?;
        if batch.is_empty() {
            break;
        }
        for values in &batch {
            let image = Row::new(images_table, values);
            let Some(id) = image.int("id") else { continue };
            let url = largest_variant(image.text("variants"))
                .map(|key| format!("{base}/media/{key}"))
                .unwrap_or_default();
            picture_of.insert(id, (url.clone(), image.text("alt").to_owned()));
            let created = image.time("created_at");
            let name = url
                .rsplit('/')
                .next()
                .unwrap_or("")
                .split('.')
                .next()
                .unwrap_or("");
            out.line("\t<item>")?;
            out.line(&format!(
                "\t\t<title>{}</title>\n\t\t<link>{1}</link>\n\t\t<guid isPermaLink=\"false\">{1}</guid>",
                escaped(image.text("alt")),
                escaped(&url)
            ))?;
            out.line(&format!(
                "\t\t<description></description>\n\t\t<content:encoded>{}</content:encoded>\n\t\t<excerpt:encoded>{}</excerpt:encoded>",
                cdata(""),
                cdata(image.text("caption"))
            ))?;
            out.line(&format!(
                "\t\t<wp:post_id>{}</wp:post_id><wp:post_date>{}</wp:post_date><wp:post_date_gmt>{}</wp:post_date_gmt>\
                 <wp:comment_status>closed</wp:comment_status><wp:ping_status>closed</wp:ping_status>\
                 <wp:post_name>{}</wp:post_name><wp:status>inherit</wp:status><wp:post_parent>0</wp:post_parent>\
                 <wp:menu_order>0</wp:menu_order><wp:post_type>attachment</wp:post_type><wp:post_password></wp:post_password>\
                 <wp:is_sticky>0</wp:is_sticky><wp:attachment_url>{}</wp:attachment_url>",
                attachment_offset + id,
                wp_date(created, &zone),
                wp_date(created, &utc),
                cdata(name),
                escaped(&url)
            ))?;
            out.line(&postmeta("_wp_attachment_image_alt", image.text("alt")))?;
            let credit = image.text("credit");
            if !credit.is_empty() {
                // The shape WordPress keeps the IPTC credit in (`image_meta` of the metadata).
                out.line(&postmeta(
                    "_wp_attachment_metadata",
                    &format!(
                        "a:1:{{s:10:\"image_meta\";a:1:{{s:6:\"credit\";s:{}:\"{credit}\";}}}}",
                        credit.len()
                    ),
                ))?;
            }
            out.line("\t</item>")?;
            counts.attachments += 1;
        }
        last = batch.into_iter().next_back();
    }

    // Articles, in batches; each one's bylines, tags, notes and comments read with it.
    let mut readers: HashMap<i64, (String, String)> = HashMap::new();
    let mut last = None;
    loop {
        let batch = snapshot
            .rows(articles_table, last.as_deref(), BATCH_ROWS)
            .await?;
        if batch.is_empty() {
            break;
        }
        for values in &batch {
            let article = Row::new(articles_table, values);
            let Some(id) = article.int("id") else {
                continue;
            };
            let section = article
                .int("section_id")
                .and_then(|s| section_by_id.get(&s));
            let section_slug = section.map_or("", |s| s.text("slug"));
            let link = format!("{base}/{section_slug}/{}", article.text("slug"));
            let status = match article.text("status") {
                "published" => "publish",
                "in_review" => "pending",
                "scheduled" => "future",
                "unpublished" => "private",
                _ => "draft",
            };
            let published = article
                .time("first_published_at")
                .or(article.time("scheduled_for"));
            let bylines = snapshot
                .rows_where(bylines_table, "article_id", Value::Int(id))
                .await?;
            let byline_authors: Vec<&Row<'_>> = bylines
                .iter()
                .filter_map(|values| Row::new(bylines_table, values).int("author_id"))
                .filter_map(|author| author_by_id.get(&author))
                .collect();
            let article_tags = snapshot
                .rows_where(article_tags_table, "article_id", Value::Int(id))
                .await?;
            let notes = snapshot
                .rows_where(notes_table, "article_id", Value::Int(id))
                .await?;
            let comments = snapshot
                .rows_where(comments_table, "article_id", Value::Int(id))
                .await?;

            let mut body = dateline_core::markdown::render_html(article.text("body"));
            let notes: Vec<Row<'_>> = notes.iter().map(|v| Row::new(notes_table, v)).collect();
            body.push_str(&notes_html(&notes, &zone));

            out.line("\t<item>")?;
            out.line(&format!(
                "\t\t<title>{}</title>\n\t\t<link>{1}</link>\n\t\t<guid isPermaLink=\"false\">{1}</guid>",
                escaped(article.text("headline")),
                escaped(&link)
            ))?;
            out.line(&format!(
                "\t\t<dc:creator>{}</dc:creator>",
                cdata(byline_authors.first().map_or("", |a| a.text("slug")))
            ))?;
            out.line(&format!(
                "\t\t<description></description>\n\t\t<content:encoded>{}</content:encoded>\n\t\t<excerpt:encoded>{}</excerpt:encoded>",
                cdata(&body),
                cdata(article.text("standfirst"))
            ))?;
            out.line(&format!(
                "\t\t<wp:post_id>{id}</wp:post_id><wp:post_date>{}</wp:post_date><wp:post_date_gmt>{}</wp:post_date_gmt>\
                 <wp:post_modified>{}</wp:post_modified><wp:post_modified_gmt>{}</wp:post_modified_gmt>\
                 <wp:comment_status>{}</wp:comment_status><wp:ping_status>closed</wp:ping_status>\
                 <wp:post_name>{}</wp:post_name><wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>\
                 <wp:menu_order>0</wp:menu_order><wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>\
                 <wp:is_sticky>0</wp:is_sticky>",
                wp_date(published, &zone),
                // WordPress leaves a draft's GMT date empty.
                wp_date(if status == "draft" { None } else { published }, &utc),
                wp_date(article.time("updated_at"), &zone),
                wp_date(article.time("updated_at"), &utc),
                if article.flag("comments_open") { "open" } else { "closed" },
                cdata(article.text("slug"))
            ))?;
            if let Some(section) = section {
                out.line(&format!(
                    "\t\t<category domain=\"category\" nicename=\"{}\">{}</category>",
                    escaped(section.text("slug")),
                    cdata(section.text("name"))
                ))?;
            }
            for values in &article_tags {
                if let Some(tag) = Row::new(article_tags_table, values)
                    .int("tag_id")
                    .and_then(|t| tag_by_id.get(&t))
                {
                    out.line(&format!(
                        "\t\t<category domain=\"post_tag\" nicename=\"{}\">{}</category>",
                        escaped(tag.text("slug")),
                        cdata(tag.text("name"))
                    ))?;
                }
            }
            if byline_authors.len() > 1 {
                // Co-Authors Plus, which Dateline's importer and many newsrooms' WordPress read.
                for author in &byline_authors {
                    out.line(&format!(
                        "\t\t<category domain=\"author\" nicename=\"cap-{}\">{}</category>",
                        escaped(author.text("slug")),
                        cdata(author.text("name"))
                    ))?;
                }
            }
            if let Some(hero) = article.int("hero_image_id") {
                out.line(&postmeta(
                    "_thumbnail_id",
                    &(attachment_offset + hero).to_string(),
                ))?;
            }
            for values in &comments {
                let comment = Row::new(comments_table, values);
                let approved = match comment.text("status") {
                    "approved" => "1",
                    "pending" => "0",
                    "rejected" => "spam",
                    _ => "trash",
                };
                let (name, email) = match (comment.int("reader_id"), comment.int("staff_id")) {
                    (Some(reader), _) => match readers.get(&reader) {
                        Some(known) => known.clone(),
                        None => {
                            let found = snapshot
                                .rows_where(readers_table, "id", Value::Int(reader))
                                .await?;
                            let named = found
                                .first()
                                .map(|values| {
                                    let row = Row::new(readers_table, values);
                                    (
                                        row.text("display_name").to_owned(),
                                        row.text("email").to_owned(),
                                    )
                                })
                                .unwrap_or_default();
                            readers.insert(reader, named.clone());
                            named
                        }
                    },
                    (None, Some(staff)) => (
                        staff_name.get(&staff).cloned().unwrap_or_default(),
                        String::new(),
                    ),
                    (None, None) => (String::new(), String::new()),
                };
                let created = comment.time("created_at");
                out.line(&format!(
                    "\t\t<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{}</wp:comment_author>\
                     <wp:comment_author_email>{}</wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>\
                     <wp:comment_author_IP></wp:comment_author_IP><wp:comment_date>{}</wp:comment_date>\
                     <wp:comment_date_gmt>{}</wp:comment_date_gmt><wp:comment_content>{}</wp:comment_content>\
                     <wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>comment</wp:comment_type>\
                     <wp:comment_parent>{}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id></wp:comment>",
                    comment.int("id").unwrap_or(0),
                    cdata(&name),
                    cdata(&email),
                    wp_date(created, &zone),
                    wp_date(created, &utc),
                    cdata(&dateline_core::comments::render_comment_html(comment.text("body"))),
                    comment.int("parent_id").unwrap_or(0)
                ))?;
                counts.comments += 1;
            }
            if article.text("kind") == "live" {
                let ended = article.time("coverage_ended_at").is_some();
                out.line(&postmeta(
                    "liveblog",
                    if ended { "archive" } else { "enable" },
                ))?;
                let entries = snapshot
                    .rows_where(entries_table, "article_id", Value::Int(id))
                    .await?;
                for values in &entries {
                    let entry = Row::new(entries_table, values);
                    let Some(entry_id) = entry.int("id") else {
                        continue;
                    };
                    let notes = snapshot
                        .rows_where(entry_notes_table, "entry_id", Value::Int(entry_id))
                        .await?;
                    let notes: Vec<Row<'_>> = notes
                        .iter()
                        .map(|v| Row::new(entry_notes_table, v))
                        .collect();
                    let byline = entry
                        .int("author_id")
                        .and_then(|author| author_by_id.get(&author))
                        .map_or(entry.text("posted_by_name"), |author| author.text("name"));
                    let picture = entry.int("image_id").and_then(|i| picture_of.get(&i));
                    let posted = entry.time("posted_at");
                    out.line(&format!(
                        "\t\t<wp:comment><wp:comment_id>{}</wp:comment_id><wp:comment_author>{}</wp:comment_author>\
                         <wp:comment_author_email></wp:comment_author_email><wp:comment_author_url></wp:comment_author_url>\
                         <wp:comment_author_IP></wp:comment_author_IP><wp:comment_date>{}</wp:comment_date>\
                         <wp:comment_date_gmt>{}</wp:comment_date_gmt><wp:comment_content>{}</wp:comment_content>\
                         <wp:comment_approved>liveblog</wp:comment_approved><wp:comment_type>liveblog</wp:comment_type>\
                         <wp:comment_parent>0</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>{}</wp:comment>",
                        entry_offset + entry_id,
                        cdata(byline),
                        wp_date(posted, &zone),
                        wp_date(posted, &utc),
                        cdata(&entry_html(&entry, picture, &notes, &zone)),
                        if entry.flag("key_event") {
                            // The Liveblog plugin's key-event mark.
                            "<wp:commentmeta><wp:meta_key>liveblog_key_entry</wp:meta_key>\
                             <wp:meta_value>true</wp:meta_value></wp:commentmeta>"
                        } else {
                            ""
                        }
                    ))?;
                    counts.live_entries += 1;
                }
            }
            out.line("\t</item>")?;
            counts.posts += 1;
        }
        last = batch.into_iter().next_back();
    }
    // Static pages, in batches.
    let mut last = None;
    loop {
        let batch = snapshot
            .rows(pages_table, last.as_deref(), BATCH_ROWS)
            .await?;
        if batch.is_empty() {
            break;
        }
        for values in &batch {
            let page = Row::new(pages_table, values);
            let Some(id) = page.int("id") else { continue };
            let link = format!("{base}/{}", page.text("slug"));
            let status = if page.text("status") == "published" {
                "publish"
            } else {
                "draft"
            };
            let published = page.time("first_published_at");
            out.line("\t<item>")?;
            out.line(&format!(
                "\t\t<title>{}</title>\n\t\t<link>{1}</link>\n\t\t<guid isPermaLink=\"false\">{1}</guid>",
                escaped(page.text("title")),
                escaped(&link)
            ))?;
            out.line(&format!(
                "\t\t<dc:creator>{}</dc:creator>\n\t\t<description></description>\n\t\t<content:encoded>{}</content:encoded>\n\t\t<excerpt:encoded>{}</excerpt:encoded>",
                cdata(""),
                cdata(&dateline_core::markdown::render_html(page.text("body"))),
                cdata(page.text("description"))
            ))?;
            out.line(&format!(
                "\t\t<wp:post_id>{}</wp:post_id><wp:post_date>{}</wp:post_date><wp:post_date_gmt>{}</wp:post_date_gmt>\
                 <wp:post_modified>{}</wp:post_modified><wp:post_modified_gmt>{}</wp:post_modified_gmt>\
                 <wp:comment_status>closed</wp:comment_status><wp:ping_status>closed</wp:ping_status>\
                 <wp:post_name>{}</wp:post_name><wp:status>{status}</wp:status><wp:post_parent>0</wp:post_parent>\
                 <wp:menu_order>{}</wp:menu_order><wp:post_type>page</wp:post_type><wp:post_password></wp:post_password>\
                 <wp:is_sticky>0</wp:is_sticky>",
                page_offset + id,
                wp_date(published.or(page.time("created_at")), &zone),
                wp_date(if status == "draft" { None } else { published }, &utc),
                wp_date(page.time("updated_at"), &zone),
                wp_date(page.time("updated_at"), &utc),
                cdata(page.text("slug")),
                page.int("position").unwrap_or(0)
            ))?;
            out.line("\t</item>")?;
            counts.pages += 1;
        }
        last = batch.into_iter().next_back();
    }
    snapshot.finish().await?;
    out.line("</channel>\n</rss>")?;
    Ok(counts)
}

async fn all_rows(
    snapshot: &mut dateline_db::export::ExportSnapshot,
    table: &Table,
) -> Result<Vec<Vec<Value>>, ExportError> {
    let mut rows = Vec::new();
    loop {
        let batch = snapshot
            .rows(table, rows.last().map(Vec::as_slice), BATCH_ROWS)
            .await?;
        if batch.is_empty() {
            return Ok(rows);
        }
        rows.extend(batch);
    }
}

/// A live entry as the Liveblog plugin shows one: its HTML, with the headline, picture and
/// embed Dateline keeps beside the text, and its corrections after it.
fn entry_html(
    entry: &Row<'_>,
    picture: Option<&(String, String)>,
    notes: &[Row<'_>],
    zone: &TimeZone,
) -> String {
    let mut html = String::new();
    let headline = entry.text("headline");
    if !headline.is_empty() {
        html.push_str(&format!("<h3>{}</h3>\n", escaped(headline)));
    }
    html.push_str(&dateline_core::markdown::render_html(entry.text("body")));
    if let Some((url, alt)) = picture
        && !url.is_empty()
    {
        html.push_str(&format!(
            "\n<p><img src=\"{}\" alt=\"{}\"></p>",
            escaped(url),
            escaped(alt)
        ));
    }
    let embed = entry.text("embed_url");
    if !embed.is_empty() {
        // A URL alone on its line is what WordPress turns into an embed (oEmbed).
        html.push_str(&format!("\n\n{}\n", escaped(embed)));
    }
    html.push_str(&notes_html(notes, zone));
    html
}

/// Corrections and updates, oldest first, as a closing block of the text they belong to.
fn notes_html(notes: &[Row<'_>], zone: &TimeZone) -> String {
    if notes.is_empty() {
        return String::new();
    }
    let mut notes: Vec<&Row<'_>> = notes.iter().collect();
    notes.sort_by_key(|note| note.time("published_at"));
    let mut html = String::from("\n<h2>Corrections and updates</h2>\n");
    for note in notes {
        html.push_str(&format!(
            "<p><strong>{} ({})</strong>: {}</p>\n",
            escaped(&capitalised(note.text("kind"))),
            note.time("published_at")
                .map(|at| at
                    .to_zoned_datetime(zone.clone())
                    .strftime("%Y-%m-%d %H:%M %Z")
                    .to_string())
                .unwrap_or_default(),
            escaped(note.text("body"))
        ));
    }
    html
}

fn postmeta(key: &str, value: &str) -> String {
    format!(
        "\t\t<wp:postmeta><wp:meta_key>{}</wp:meta_key><wp:meta_value>{}</wp:meta_value></wp:postmeta>",
        cdata(key),
        cdata(value)
    )
}

/// The key of an image's widest JPEG variant (the one every browser shows).
fn largest_variant(variants: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Variant {
        key: String,
        format: String,
        width: u32,
    }
    let variants: Vec<Variant> = serde_json::from_str(variants).ok()?;
    variants
        .into_iter()
        .filter(|variant| variant.format == "jpeg")
        .max_by_key(|variant| variant.width)
        .map(|variant| variant.key)
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cdata_cannot_be_closed_early() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
        assert_eq!(
            escaped("<a href=\"x\">&'\u{1}"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }
}
