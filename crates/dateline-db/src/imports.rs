//! What an import from WordPress, Ghost or Disqus wrote: each item is remembered by its stable
//! id in the old system (`import_sources`), in the same transaction as the item itself, so a
//! second run of the same export updates what the first wrote and never writes it twice; and the
//! old site's addresses (`redirects`), answered with 301 by the web crate.

use dateline_core::comments::{CommentStatus, MAX_THREAD_DEPTH};
use dateline_core::{ArticleSnapshot, ArticleStatus, cache_tags, slug};
use jiff::Timestamp;

use crate::audit::{Actor, record_audit};
use crate::catalog::check_slug;
use crate::changes::record_change;
use crate::staff::{check_staff_input, normalise_email};
use crate::{ArticleInput, AuthorInput, DbError, NewStaff, PageInput, Result, SectionInput, Store};
use crate::{on_reader, on_writer, to_micros};

/// The store's import side: `store.imports()`.
pub struct Imports<'a> {
    store: &'a Store,
}

impl Store {
    pub fn imports(&self) -> Imports<'_> {
        Imports { store: self }
    }
}

/// What an imported item became this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    Created(i64),
    /// Imported before, and changed since: written again.
    Updated(i64),
    /// Imported before (or already on the site, as with a reader's address) and the same.
    Unchanged(i64),
}

impl Imported {
    pub fn id(self) -> i64 {
        match self {
            Self::Created(id) | Self::Updated(id) | Self::Unchanged(id) => id,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created(_) => "created",
            Self::Updated(_) => "updated",
            Self::Unchanged(_) => "unchanged",
        }
    }
}

/// Where an imported comment sits in its discussion: what a reply to it needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThreadPlace {
    pub article_id: i64,
    pub root_id: Option<i64>,
    pub depth: i64,
}

/// A comment as the old system had it. Its reader and parent are already imported.
#[derive(Debug, Clone)]
pub struct ImportedComment {
    pub article_id: i64,
    pub parent_id: Option<i64>,
    /// Where the parent sits, when this run wrote it: spares a read per reply.
    pub parent_place: Option<ThreadPlace>,
    pub reader_id: i64,
    /// Checked with `dateline_core::comments::check_body` by the caller.
    pub body: String,
    pub status: CommentStatus,
    /// Why a comment the old system held as spam is rejected.
    pub reject_reason: Option<String>,
    pub created_at: Timestamp,
}

/// An entry of live coverage as the old site posted it. Its article is already imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEntry {
    pub headline: Option<String>,
    /// Markdown, checked with `dateline_core::live::check_entry` by the caller.
    pub body: String,
    pub key_event: bool,
    /// The byline it went out under, when it is one of this site's authors.
    pub author_id: Option<i64>,
    /// The name the old site showed it under.
    pub posted_by_name: String,
    pub posted_at: Timestamp,
}

/// Where an old address points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectTo {
    Article(i64),
    Section(i64),
    Tag(i64),
    Author(i64),
    SiteFeed,
    SectionFeed(i64),
    AuthorFeed(i64),
    Page(i64),
}

impl RedirectTo {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Self::Article(id) => ("article", Some(id)),
            Self::Section(id) => ("section", Some(id)),
            Self::Tag(id) => ("tag", Some(id)),
            Self::Author(id) => ("author", Some(id)),
            Self::SiteFeed => ("site_feed", None),
            Self::SectionFeed(id) => ("section_feed", Some(id)),
            Self::AuthorFeed(id) => ("author_feed", Some(id)),
            Self::Page(id) => ("page", Some(id)),
        }
    }
}

/// Where an old address leads now, by slugs; the web crate makes the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MovedTo {
    Article {
        section: String,
        slug: String,
    },
    Section(String),
    Tag(String),
    Author(String),
    SiteFeed,
    SectionFeed(String),
    AuthorFeed(String),
    /// A static page, by its slug.
    Page(String),
}

/// The longest old address kept or looked up; real permalinks are far shorter, and a lookup
/// of anything longer is answered "not found" without a query.
pub const MAX_OLD_PATH_BYTES: usize = 2_000;

/// Records in `$tx` that the import item `$source` became entity `$id` of `$kind`.
macro_rules! remember_source {
    ($tx:expr, $source:expr, $kind:expr, $id:expr, $now:expr) => {{
        sqlx::query(
            "INSERT INTO import_sources (source_id, kind, entity_id, imported_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (source_id) DO UPDATE SET \
             kind = excluded.kind, entity_id = excluded.entity_id, imported_at = excluded.imported_at",
        )
        .bind($source)
        .bind($kind)
        .bind($id)
        .bind(to_micros($now))
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use remember_source;

/// The entity an import item became, in `$tx`.
macro_rules! source_in_tx {
    ($tx:expr, $source:expr) => {{
        let found: Option<i64> =
            sqlx::query_scalar("SELECT entity_id FROM import_sources WHERE source_id = $1")
                .bind($source)
                .fetch_optional(&mut *$tx)
                .await?;
        found
    }};
}

/// A slug not yet taken in `$table`: `$wanted`, else `$wanted-2`, `-3`…
macro_rules! free_slug {
    ($tx:expr, $table:literal, $wanted:expr) => {{
        let wanted: &str = $wanted;
        let mut candidate = wanted.to_owned();
        let mut n = 2;
        loop {
            let taken: Option<i64> =
                sqlx::query_scalar(concat!("SELECT id FROM ", $table, " WHERE slug = $1"))
                    .bind(&candidate)
                    .fetch_optional(&mut *$tx)
                    .await?;
            if taken.is_none() {
                break candidate;
            }
            candidate = format!("{wanted}-{n}");
            n += 1;
        }
    }};
}

impl Imports<'_> {
    /// What the import item `source_id` became, if it was imported before.
    pub async fn entity(&self, source_id: &str) -> Result<Option<i64>> {
        Ok(on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT entity_id FROM import_sources WHERE source_id = $1")
                .bind(source_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// A section: created, or updated when imported before. A section of the site that already
    /// has the slug is taken as the same one (a category "Politics" files into "Politics").
    pub async fn section(
        &self,
        source_id: &str,
        input: &SectionInput,
        now: Timestamp,
    ) -> Result<Imported> {
        input.validate()?;
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let existing = match source_in_tx!(tx, source_id) {
                Some(id) => Some((id, true)),
                None => sqlx::query_scalar::<_, i64>("SELECT id FROM sections WHERE slug = $1")
                    .bind(&input.slug)
                    .fetch_optional(&mut *tx)
                    .await?
                    .map(|id| (id, false)),
            };
            let outcome = match existing {
                Some((id, imported_before)) => {
                    let changed = if imported_before {
                        sqlx::query(
                            "UPDATE sections SET name = $1, description = $2 WHERE id = $3 \
                             AND (name <> $1 OR description <> $2)",
                        )
                        .bind(&input.name)
                        .bind(&input.description)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected()
                            > 0
                    } else {
                        false
                    };
                    if changed {
                        record_change!(tx, now, "section", Some(id), [cache_tags::SITE.to_owned(), cache_tags::section(id)]);
                        Imported::Updated(id)
                    } else {
                        Imported::Unchanged(id)
                    }
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO sections (slug, name, description, position) \
                         VALUES ($1, $2, $3, $4) RETURNING id",
                    )
                    .bind(&input.slug)
                    .bind(&input.name)
                    .bind(&input.description)
                    .bind(i64::from(input.position))
                    .fetch_one(&mut *tx)
                    .await?;
                    record_change!(tx, now, "section", Some(id), [cache_tags::SITE.to_owned()]);
                    Imported::Created(id)
                }
            };
            remember_source!(tx, source_id, "section", outcome.id(), now);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// An author profile, and with `staff` a staff account for it that is created disabled (an
    /// admin invites the person later). The profile's slug gets a number when another author
    /// already has it: the old site's writer is not taken for someone on this one. An address
    /// a staff member already signs in with gets no second account.
    pub async fn author(
        &self,
        source_id: &str,
        input: &AuthorInput,
        staff: Option<&NewStaff>,
        now: Timestamp,
    ) -> Result<Imported> {
        check_slug(&input.slug)?;
        if let Some(staff) = staff {
            check_staff_input(staff)?;
        }
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let outcome = match source_in_tx!(tx, source_id) {
                Some(id) => {
                    let changed = sqlx::query(
                        "UPDATE authors SET name = $1, bio = $2 WHERE id = $3 \
                         AND (name <> $1 OR bio <> $2)",
                    )
                    .bind(&input.name)
                    .bind(&input.bio)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0;
                    if changed {
                        record_change!(tx, now, "author", Some(id), [cache_tags::author(id)]);
                        Imported::Updated(id)
                    } else {
                        Imported::Unchanged(id)
                    }
                }
                None => {
                    let slug = free_slug!(tx, "authors", &input.slug);
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO authors (slug, name, role, bio) VALUES ($1, $2, $3, $4) \
                         RETURNING id",
                    )
                    .bind(&slug)
                    .bind(&input.name)
                    .bind(&input.role)
                    .bind(&input.bio)
                    .fetch_one(&mut *tx)
                    .await?;
                    record_change!(tx, now, "author", Some(id), [cache_tags::author(id)]);
                    Imported::Created(id)
                }
            };
            if let Some(staff) = staff {
                let email = normalise_email(&staff.email);
                let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM staff WHERE email = $1")
                    .bind(&email)
                    .fetch_optional(&mut *tx)
                    .await?;
                if taken.is_none() {
                    sqlx::query(
                        "INSERT INTO staff (email, display_name, role, password_hash, author_id, \
                         created_at, disabled_at) VALUES ($1, $2, $3, NULL, $4, $5, $5)",
                    )
                    .bind(&email)
                    .bind(staff.display_name.trim())
                    .bind(staff.role.as_str())
                    .bind(outcome.id())
                    .bind(to_micros(now))
                    .execute(&mut *tx)
                    .await?;
                }
            }
            remember_source!(tx, source_id, "author", outcome.id(), now);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// A reader profile for someone who commented on the old site. It has no password and its
    /// address is not verified, so nobody can sign in as it until the address's owner claims it
    /// with an emailed sign-in link. A reader already registered with the address is the same
    /// person and is taken as is.
    pub async fn reader(
        &self,
        source_id: &str,
        email: &str,
        display_name: &str,
        now: Timestamp,
    ) -> Result<Imported> {
        let email = crate::readers::check_email(email)?;
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let outcome = match source_in_tx!(tx, source_id) {
                Some(id) => Imported::Unchanged(id),
                None => {
                    let existing: Option<i64> =
                        sqlx::query_scalar("SELECT id FROM readers WHERE email = $1")
                            .bind(&email)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match existing {
                        Some(id) => Imported::Unchanged(id),
                        None => Imported::Created(
                            sqlx::query_scalar(
                                "INSERT INTO readers (email, display_name, password_hash, created_at) \
                                 VALUES ($1, $2, NULL, $3) RETURNING id",
                            )
                            .bind(&email)
                            .bind(display_name)
                            .bind(to_micros(now))
                            .fetch_one(&mut *tx)
                            .await?,
                        ),
                    }
                }
            };
            remember_source!(tx, source_id, "reader", outcome.id(), now);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// An article with the status and dates it had on the old site, its first revision saved by
    /// `actor`; a scheduled one is written as a draft for the caller to schedule. Imported before: saved again as a new revision when anything differs, left alone
    /// otherwise.
    pub async fn article(
        &self,
        source_id: &str,
        input: &ArticleInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Imported> {
        let Some(id) = self.entity(source_id).await? else {
            // Scheduling is a workflow step of its own (`Articles::schedule`), after this.
            let mut input = input.clone();
            if input.status == ArticleStatus::Scheduled {
                input.status = ArticleStatus::Draft;
            }
            let article = self
                .store
                .articles()
                .insert_article(&input, actor, Some(source_id), now)
                .await?;
            return Ok(Imported::Created(article.id));
        };
        let Some(page) = self.store.articles().article_page(id).await? else {
            // The newsroom deleted it since: that decision stands.
            return Err(DbError::NotFound);
        };
        let mut current = ArticleSnapshot {
            section_id: page.article.section_id,
            slug: page.article.slug.clone(),
            headline: page.article.headline.clone(),
            standfirst: page.article.standfirst.clone(),
            body: page.article.body.clone(),
            dateline_place: page.article.dateline_place.clone(),
            hero_image_id: page.article.hero_image_id,
            author_ids: page.authors.iter().map(|a| a.id).collect(),
            tags: page.tags.iter().map(|t| t.name.clone()).collect(),
            language: page.article.language.clone(),
            comments_open: page.article.comments_open,
        };
        let same_status = page.article.status == input.status
            // A scheduled article's status is the scheduler's to set.
            || input.status == ArticleStatus::Scheduled;
        // Tags are a set, stored by slug under the name they were first written with.
        let mut wanted = input.snapshot();
        for snapshot in [&mut current, &mut wanted] {
            let mut slugs: Vec<String> = snapshot.tags.iter().map(|t| slug::slugify(t)).collect();
            slugs.sort_unstable();
            slugs.dedup();
            snapshot.tags = slugs;
        }
        if current == wanted && same_status {
            return Ok(Imported::Unchanged(id));
        }
        let mut input = input.clone();
        if input.status == ArticleStatus::Scheduled {
            input.status = page.article.status;
        }
        self.store
            .articles()
            .write_article(
                id,
                page.article.version,
                &input,
                actor,
                crate::articles::StatusOnSave::AsGiven,
                None,
                now,
            )
            .await?;
        Ok(Imported::Updated(id))
    }

    /// A static page with the status and dates it had on the old site, its first revision saved
    /// by `actor`. Imported before: saved again as a new revision when its text, address or
    /// status differ, left alone otherwise; its place in the footer is the newsroom's and stays.
    pub async fn page(
        &self,
        source_id: &str,
        input: &PageInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Imported> {
        let Some(id) = self.entity(source_id).await? else {
            let page = self
                .store
                .static_pages()
                .insert_page(input, actor, Some(source_id), now)
                .await?;
            return Ok(Imported::Created(page.id));
        };
        let Some(current) = self.store.static_pages().by_id(id).await? else {
            // The newsroom deleted it since: that decision stands.
            return Err(DbError::NotFound);
        };
        if (
            &current.slug,
            &current.title,
            &current.description,
            &current.body,
            current.status,
        ) == (
            &input.slug,
            &input.title,
            &input.description,
            &input.body,
            input.status,
        ) {
            return Ok(Imported::Unchanged(id));
        }
        let input = PageInput {
            position: current.position,
            ..input.clone()
        };
        self.store
            .static_pages()
            .save(id, current.version, &input, actor, "page.import", now)
            .await?;
        Ok(Imported::Updated(id))
    }

    /// A picture the caller has stored (`MediaStore::ingest_image_with_provenance`), added to
    /// the library and remembered as `source_id`. A picture imported before keeps its library
    /// id (heroes, entries and bodies that show it follow) and is brought up to date with the
    /// export: its file when the old site's file changed, and its words (alt text, caption,
    /// credit) unless the newsroom has edited them since, which makes them the newsroom's. A
    /// source type someone on the staff chose stays theirs whatever the new file declares.
    pub async fn image(
        &self,
        source_id: &str,
        input: &crate::ImageInput,
        origin: &crate::SourceTypeOrigin,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Imported> {
        let current = match self.entity(source_id).await? {
            Some(id) => self.store.library().library_image(id).await?,
            None => None,
        };
        let Some(current) = current else {
            let image = self
                .store
                .library()
                .insert_library_image(input, origin, actor, now, Some(source_id))
                .await?;
            return Ok(Imported::Created(image.image.id));
        };
        let id = current.image.id;
        let before = &current.image;
        let file_changed = before.original_key != input.original_key;
        // `updated_at` is set by the newsroom's edits only (`Library::update`); an
        // import's update leaves it alone, so the next run can tell the two apart.
        let words_are_the_newsrooms = current.updated_at.is_some();
        let words_changed = !words_are_the_newsrooms
            && (before.alt != input.alt
                || before.caption != input.caption
                || before.credit != input.credit);
        if !file_changed && !words_changed {
            return Ok(Imported::Unchanged(id));
        }
        let staff_chose_type = matches!(
            current.source_type_origin,
            crate::SourceTypeOrigin::Staff(_)
        );
        let (source_type, origin) = if file_changed && !staff_chose_type {
            (input.source_type, origin.clone())
        } else {
            (before.source_type, current.source_type_origin.clone())
        };
        let (origin_kind, origin_detail) = origin.parts();
        let (alt, caption, credit) = if words_changed {
            (&input.alt, &input.caption, &input.credit)
        } else {
            (&before.alt, &before.caption, &before.credit)
        };
        let (original_key, original_mime, width, height, variants) = if file_changed {
            (
                input.original_key.as_str(),
                input.original_mime.as_str(),
                input.width,
                input.height,
                input.variants.as_slice(),
            )
        } else {
            (
                before.original_key.as_str(),
                before.original_mime.as_str(),
                before.width,
                before.height,
                before.variants.as_slice(),
            )
        };
        let variants = serde_json::to_string(variants)
            .map_err(|e| DbError::Invalid(format!("variants: {e}")))?;
        let mut changed = Vec::new();
        if file_changed {
            changed.push(format!(
                "file replaced ({width} × {height} {original_mime})"
            ));
        }
        if words_changed {
            for (what, differs) in [
                ("alt text", before.alt != input.alt),
                ("caption", before.caption != input.caption),
                ("credit", before.credit != input.credit),
            ] {
                if differs {
                    changed.push(what.to_owned());
                }
            }
        }
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE images SET original_key = $1, original_mime = $2, width = $3, \
                 height = $4, variants = $5, alt = $6, caption = $7, credit = $8, \
                 source_type = $9, source_type_origin = $10, source_type_detail = $11 \
                 WHERE id = $12",
            )
            .bind(original_key)
            .bind(original_mime)
            .bind(i64::from(width))
            .bind(i64::from(height))
            .bind(&variants)
            .bind(alt)
            .bind(caption)
            .bind(credit)
            .bind(source_type.map(|t| t.uri()))
            .bind(origin_kind)
            .bind(origin_detail)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, now, crate::AuditEntry::about(actor, "image.import", "image", id, format!(
                "brought up to date with the export: {}", changed.join(", "))));
            record_change!(tx, now, "image", Some(id), [cache_tags::image(id)]);
            remember_source!(tx, source_id, "image", id, now);
            tx.commit().await?;
        });
        Ok(Imported::Updated(id))
    }

    /// Makes the imported article `article_id` live coverage as the old site ran it: from its
    /// first publication, over at `ended_at` when the old site's coverage was over. Coverage the
    /// newsroom has ended since stays ended. Whether anything changed.
    pub async fn live_coverage(
        &self,
        article_id: i64,
        ended_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<bool> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT kind, coverage_ended_at FROM articles WHERE id = $1",
            )
            .bind(article_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((kind, ended)) = current else {
                return Err(DbError::NotFound);
            };
            // Never reopened: coverage the newsroom (or an earlier run) ended stays ended.
            let wanted = ended.or(ended_at.map(to_micros));
            if kind == crate::live::LIVE_KIND && wanted == ended {
                return Ok(false);
            }
            sqlx::query(
                "UPDATE articles SET kind = $1, coverage_ended_at = $2, \
                 live_revision = live_revision + 1 WHERE id = $3",
            )
            .bind(crate::live::LIVE_KIND)
            .bind(wanted)
            .bind(article_id)
            .execute(&mut *tx)
            .await?;
            record_change!(
                tx,
                now,
                "article",
                Some(article_id),
                crate::live::coverage_tags(article_id)
            );
            tx.commit().await?;
            Ok(true)
        })
    }

    /// An entry of the imported live article `article_id`, with the time and name the old site
    /// posted it under. Imported before: its text, byline and key-event mark follow the export;
    /// an entry the newsroom deleted since stays deleted.
    pub async fn live_entry(
        &self,
        source_id: &str,
        article_id: i64,
        entry: &ImportedEntry,
        now: Timestamp,
    ) -> Result<Imported> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let outcome = match source_in_tx!(tx, source_id) {
                Some(id) => {
                    let current: Option<(Option<String>, String, bool, Option<i64>)> =
                        sqlx::query_as(
                            "SELECT headline, body, key_event, author_id FROM live_entries \
                             WHERE id = $1",
                        )
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    let Some(current) = current else {
                        return Err(DbError::NotFound);
                    };
                    let was_key_event = current.2;
                    if current
                        == (
                            entry.headline.clone(),
                            entry.body.clone(),
                            entry.key_event,
                            entry.author_id,
                        )
                    {
                        tx.commit().await?;
                        return Ok(Imported::Unchanged(id));
                    }
                    sqlx::query(
                        "UPDATE live_entries SET headline = $1, body = $2, key_event = $3, \
                         author_id = $4, updated_at = $5, version = version + 1 WHERE id = $6",
                    )
                    .bind(&entry.headline)
                    .bind(&entry.body)
                    .bind(entry.key_event)
                    .bind(entry.author_id)
                    .bind(to_micros(now))
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    record_change!(tx, now, crate::live::CHANGE_KIND, Some(article_id),
                        crate::live::entry_tags(article_id, entry.key_event || was_key_event));
                    Imported::Updated(id)
                }
                None => {
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO live_entries (article_id, headline, body, image_id, \
                         embed_url, key_event, pinned, author_id, posted_by_staff_id, \
                         posted_by_name, posted_at, updated_at, version) \
                         VALUES ($1, $2, $3, NULL, NULL, $4, FALSE, $5, NULL, $6, $7, $7, 1) \
                         RETURNING id",
                    )
                    .bind(article_id)
                    .bind(&entry.headline)
                    .bind(&entry.body)
                    .bind(entry.key_event)
                    .bind(entry.author_id)
                    .bind(&entry.posted_by_name)
                    .bind(to_micros(entry.posted_at))
                    .fetch_one(&mut *tx)
                    .await?;
                    record_change!(tx, now, crate::live::CHANGE_KIND, Some(article_id),
                        crate::live::entry_tags(article_id, entry.key_event));
                    Imported::Created(id)
                }
            };
            sqlx::query("UPDATE articles SET live_revision = live_revision + 1 WHERE id = $1")
                .bind(article_id)
                .execute(&mut *tx)
                .await?;
            remember_source!(tx, source_id, "live_entry", outcome.id(), now);
            tx.commit().await?;
            Ok(outcome)
        })
    }

    /// A comment with its old state and time, threaded under its parent. Replies deeper than
    /// the discussion shows hang from the deepest ancestor it does show.
    /// Answers where a comment it wrote sits, for its replies.
    pub async fn comment(
        &self,
        source_id: &str,
        input: &ImportedComment,
        now: Timestamp,
    ) -> Result<(Imported, Option<ThreadPlace>)> {
        let body_html = dateline_core::comments::render_comment_html(&input.body);
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            if let Some(id) = source_in_tx!(tx, source_id) {
                let changed = sqlx::query(
                    "UPDATE comments SET body = $1, body_html = $2 WHERE id = $3 AND body <> $1",
                )
                .bind(&input.body)
                .bind(&body_html)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                if changed {
                    record_change!(tx, now, "discussion", Some(input.article_id), [cache_tags::discussion(input.article_id)]);
                }
                tx.commit().await?;
                let outcome = if changed { Imported::Updated(id) } else { Imported::Unchanged(id) };
                return Ok((outcome, None));
            }
            let mut parent_id = input.parent_id;
            let mut placement: Option<(i64, Option<i64>, Option<i64>, i64)> = None;
            // The parent as this run wrote it, when it has room for a reply: no need to read it.
            if let (Some(id), Some(place)) = (parent_id, input.parent_place)
                && place.article_id == input.article_id
                && usize::try_from(place.depth).unwrap_or(usize::MAX) < MAX_THREAD_DEPTH
            {
                placement = Some((place.article_id, None, place.root_id, place.depth));
                parent_id = Some(id);
            }
            while let Some(id) = parent_id.filter(|_| placement.is_none()) {
                let parent: (i64, Option<i64>, Option<i64>, i64) = sqlx::query_as(
                    "SELECT article_id, parent_id, root_id, depth FROM comments WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
                if parent.0 != input.article_id {
                    return Err(DbError::Invalid("the reply's parent is under another article".to_owned()));
                }
                if usize::try_from(parent.3).unwrap_or(usize::MAX) < MAX_THREAD_DEPTH {
                    placement = Some(parent);
                    break;
                }
                parent_id = parent.1;
            }
            let (root_id, depth) = match (parent_id, placement) {
                (Some(id), Some((_, _, root, depth))) => (Some(root.unwrap_or(id)), depth + 1),
                _ => (None, 0),
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO comments (article_id, parent_id, root_id, depth, reader_id, body, \
                 body_html, status, reject_reason, created_at, moderated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            )
            .bind(input.article_id)
            .bind(parent_id)
            .bind(root_id)
            .bind(depth)
            .bind(input.reader_id)
            .bind(&input.body)
            .bind(&body_html)
            .bind(input.status.as_str())
            .bind(&input.reject_reason)
            .bind(to_micros(input.created_at))
            .fetch_one(&mut *tx)
            .await?;
            if input.status == CommentStatus::Approved {
                sqlx::query("UPDATE readers SET approved_count = approved_count + 1 WHERE id = $1")
                    .bind(input.reader_id)
                    .execute(&mut *tx)
                    .await?;
                record_change!(tx, now, "discussion", Some(input.article_id), [cache_tags::discussion(input.article_id)]);
            }
            remember_source!(tx, source_id, "comment", id, now);
            tx.commit().await?;
            let place = ThreadPlace { article_id: input.article_id, root_id, depth };
            Ok((Imported::Created(id), Some(place)))
        })
    }

    /// The old addresses `redirects` answer 301 to where each points, from now on, written
    /// together: an export has three or more per post, and one transaction each would be most
    /// of an import's time. Each address is checked first ([`old_path_key`]), so an address
    /// that cannot be kept fails alone and refuses the batch before anything is written; the
    /// caller then writes the others one by one. An address given twice keeps the last.
    pub async fn redirects(&self, redirects: &[(&str, RedirectTo)], now: Timestamp) -> Result<()> {
        let mut rows: Vec<(String, &'static str, Option<i64>)> =
            Vec::with_capacity(redirects.len());
        let mut at: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for (old_path, to) in redirects {
            let key = old_path_key(old_path)
                .ok_or_else(|| DbError::Invalid(format!("{old_path:?} is not a path")))?;
            let (kind, id) = to.parts();
            match at.get(&key) {
                Some(&i) => rows[i] = (key, kind, id),
                None => {
                    at.insert(key.clone(), rows.len());
                    rows.push((key, kind, id));
                }
            }
        }
        // Rows per statement: well under both backends' limits on bound parameters.
        const PER_STATEMENT: usize = 200;
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            for chunk in rows.chunks(PER_STATEMENT) {
                let values = (0..chunk.len())
                    .map(|n| format!("(${}, ${}, ${}, ${})", 4 * n + 1, 4 * n + 2, 4 * n + 3, 4 * n + 4))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!(
                    "INSERT INTO redirects (old_path, target_kind, target_id, created_at) \
                     VALUES {values} ON CONFLICT (old_path) DO UPDATE SET \
                     target_kind = excluded.target_kind, target_id = excluded.target_id"
                );
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (key, kind, id) in chunk {
                    query = query.bind(key).bind(*kind).bind(*id).bind(to_micros(now));
                }
                query.execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The old address `old_path` (see [`old_path_key`]) answers 301 to `to` from now on.
    pub async fn redirect(&self, old_path: &str, to: RedirectTo, now: Timestamp) -> Result<()> {
        let key = old_path_key(old_path)
            .ok_or_else(|| DbError::Invalid(format!("{old_path:?} is not a path")))?;
        let (kind, id) = to.parts();
        on_writer!(self.store, pool => {
            sqlx::query(
                "INSERT INTO redirects (old_path, target_kind, target_id, created_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (old_path) DO UPDATE SET \
                 target_kind = excluded.target_kind, target_id = excluded.target_id",
            )
            .bind(&key)
            .bind(kind)
            .bind(id)
            .bind(to_micros(now))
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// How many imported items of each kind are on the site (an item the newsroom deleted since
    /// is not counted).
    pub async fn counts(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        let rows: Vec<(String, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT s.kind, COUNT(*) FROM import_sources s WHERE                  (s.kind = 'article' AND EXISTS (SELECT 1 FROM articles t WHERE t.id = s.entity_id))                  OR (s.kind = 'comment' AND EXISTS (SELECT 1 FROM comments t WHERE t.id = s.entity_id))                  OR (s.kind = 'reader' AND EXISTS (SELECT 1 FROM readers t WHERE t.id = s.entity_id))                  OR (s.kind = 'author' AND EXISTS (SELECT 1 FROM authors t WHERE t.id = s.entity_id))                  OR (s.kind = 'section' AND EXISTS (SELECT 1 FROM sections t WHERE t.id = s.entity_id))                  OR (s.kind = 'page' AND EXISTS (SELECT 1 FROM pages t WHERE t.id = s.entity_id))                  OR (s.kind = 'image' AND EXISTS (SELECT 1 FROM images t WHERE t.id = s.entity_id))                  OR (s.kind = 'live_entry' AND EXISTS (SELECT 1 FROM live_entries t WHERE t.id = s.entity_id))                  GROUP BY s.kind",
            )
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().collect())
    }

    /// How many old addresses are kept.
    pub async fn redirect_count(&self) -> Result<i64> {
        Ok(on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM redirects")
                .fetch_one(pool)
                .await?
        }))
    }

    /// Where the old address `old_path` (path and query, as requested) leads now. An article
    /// that is not published leads nowhere: a redirect must not reveal its address.
    pub async fn moved_to(&self, old_path: &str) -> Result<Option<MovedTo>> {
        let Some(key) = old_path_key(old_path) else {
            return Ok(None);
        };
        on_reader!(self.store, pool => {
            let target: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT target_kind, target_id FROM redirects WHERE old_path = $1",
            )
            .bind(&key)
            .fetch_optional(pool)
            .await?;
            let Some((kind, id)) = target else {
                return Ok(None);
            };
            let id = id.unwrap_or(0);
            let slug_of = |sql: &'static str| async move {
                let slug: Option<String> =
                    sqlx::query_scalar(sql).bind(id).fetch_optional(pool).await?;
                Result::<_, DbError>::Ok(slug)
            };
            Ok(match kind.as_str() {
                "article" => {
                    let found: Option<(String, String)> = sqlx::query_as(
                        "SELECT s.slug, a.slug FROM articles a JOIN sections s ON s.id = a.section_id \
                         WHERE a.id = $1 AND a.status = 'published'",
                    )
                    .bind(id)
                    .fetch_optional(pool)
                    .await?;
                    found.map(|(section, slug)| MovedTo::Article { section, slug })
                }
                "section" => slug_of("SELECT slug FROM sections WHERE id = $1").await?.map(MovedTo::Section),
                "section_feed" => slug_of("SELECT slug FROM sections WHERE id = $1").await?.map(MovedTo::SectionFeed),
                "tag" => slug_of("SELECT slug FROM tags WHERE id = $1").await?.map(MovedTo::Tag),
                "author" => slug_of("SELECT slug FROM authors WHERE id = $1").await?.map(MovedTo::Author),
                "author_feed" => slug_of("SELECT slug FROM authors WHERE id = $1").await?.map(MovedTo::AuthorFeed),
                // Like an article, a page that is not published leads nowhere.
                "page" => slug_of("SELECT slug FROM pages WHERE id = $1 AND status = 'published'")
                    .await?
                    .map(MovedTo::Page),
                "site_feed" => Some(MovedTo::SiteFeed),
                _ => None,
            })
        })
    }

    /// The id of the tag named `name` (tags are made by the articles that use them).
    pub async fn tag_named(&self, name: &str) -> Result<Option<i64>> {
        let tag_slug = slug::slugify(name.trim());
        Ok(on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT id FROM tags WHERE slug = $1")
                .bind(&tag_slug)
                .fetch_optional(pool)
                .await?
        }))
    }
}

/// How an old address is kept and looked up: percent-decoded (WordPress writes `%e6%97%a5`
/// where a browser may send `%E6%97%A5`), without the trailing slash WordPress puts on every
/// permalink (a visitor may leave it off), query kept (`/?p=123`). `None` for what is no path.
pub fn old_path_key(old_path: &str) -> Option<String> {
    if old_path.len() > MAX_OLD_PATH_BYTES || !old_path.starts_with('/') {
        return None;
    }
    let (path, query) = match old_path.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (old_path, None),
    };
    let path = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
    let trimmed = path.trim_end_matches('/');
    let path = if trimmed.is_empty() { "/" } else { trimmed };
    Some(match query.filter(|q| !q.is_empty()) {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::old_path_key;

    #[test]
    fn old_addresses_match_with_or_without_slash_and_in_either_case_of_escape() {
        assert_eq!(
            old_path_key("/2024/05/12/slug/").as_deref(),
            Some("/2024/05/12/slug")
        );
        assert_eq!(old_path_key("/?p=123").as_deref(), Some("/?p=123"));
        assert_eq!(old_path_key("/feed/").as_deref(), Some("/feed"));
        assert_eq!(old_path_key("/").as_deref(), Some("/"));
        assert_eq!(old_path_key("/%e6%97%a5/"), old_path_key("/%E6%97%A5"));
        assert_eq!(old_path_key("https://evil.example/"), None);
        assert_eq!(old_path_key(&format!("/{}", "a".repeat(3_000))), None);
    }
}
