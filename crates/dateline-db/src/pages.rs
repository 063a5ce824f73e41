//! Static pages (About, Contact, the policies): writing them with a revision, an audit entry and
//! the change log in one transaction, and reading them for the public site, the newsroom and
//! exports (all pages, or one by id).
//!
//! A change drops the page's own cached copy (`page:{id}`) and, when the page is or was
//! published, every page's footer and the pages' sitemap (`list:pages`).

use dateline_core::{PageLink, PageStatus, StaticPage, cache_tags, paths};
use jiff::Timestamp;

use crate::audit::record_audit;
use crate::changes::record_change;
use crate::imports::{old_path_key, remember_source};
use crate::{
    Actor, AuditEntry, DbError, Result, StaticPages, from_micros, on_reader, on_writer, to_micros,
};

/// What the newsroom (or an import, or the demo loader) writes. The use case has checked it
/// (`dateline_core::pages::check_fields`, the address against sections and the site's routes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageInput {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub body: String,
    pub position: i32,
    pub status: PageStatus,
    /// When a published page first went out (defaults to now). Imports keep the old site's.
    pub first_published_at: Option<Timestamp>,
    /// When the text last changed (defaults to now).
    pub updated_at: Option<Timestamp>,
}

/// One saved version of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRevision {
    pub number: i64,
    pub saved_at: Timestamp,
    pub saved_by: String,
    pub title: String,
    pub slug: String,
    pub description: String,
    pub body: String,
}

#[derive(sqlx::FromRow)]
struct PageRow {
    id: i64,
    slug: String,
    title: String,
    description: String,
    body: String,
    status: String,
    position: i64,
    first_published_at: Option<i64>,
    updated_at: i64,
    created_at: i64,
    version: i64,
}

impl From<PageRow> for StaticPage {
    fn from(row: PageRow) -> Self {
        StaticPage {
            id: row.id,
            slug: row.slug,
            title: row.title,
            description: row.description,
            body: row.body,
            status: PageStatus::parse(&row.status).unwrap_or(PageStatus::Draft),
            position: i32::try_from(row.position).unwrap_or(i32::MAX),
            first_published_at: row.first_published_at.map(from_micros),
            updated_at: from_micros(row.updated_at),
            created_at: from_micros(row.created_at),
            version: row.version,
        }
    }
}

const PAGE_COLUMNS: &str = "id, slug, title, description, body, status, position, \
     first_published_at, updated_at, created_at, version";

/// The pages' footer order: position, then title, then age.
const FOOTER_ORDER: &str = "ORDER BY position, title, id";

/// What a change to a page in `before` → `after` status drops from the caches.
fn change_tags(id: i64, before: Option<PageStatus>, after: Option<PageStatus>) -> Vec<String> {
    let mut tags = vec![cache_tags::page(id)];
    if before == Some(PageStatus::Published) || after == Some(PageStatus::Published) {
        tags.push(cache_tags::PAGES_LIST.to_owned());
    }
    tags
}

/// Appends revision `$number` of page `$id` as `$input` saved by `$actor`.
macro_rules! write_page_revision {
    ($tx:expr, $id:expr, $version:expr, $input:expr, $actor:expr, $now:expr) => {{
        let input: &PageInput = $input;
        let actor: &Actor = $actor;
        let number: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM page_revisions WHERE page_id = $1",
        )
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        sqlx::query(
            "INSERT INTO page_revisions (page_id, number, page_version, saved_at, \
             saved_by_staff_id, saved_by_name, title, slug, description, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($id)
        .bind(number)
        .bind($version)
        .bind(to_micros($now))
        .bind(actor.staff_id)
        .bind(&actor.name)
        .bind(&input.title)
        .bind(&input.slug)
        .bind(&input.description)
        .bind(&input.body)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl StaticPages<'_> {
    /// Every page, in any status, in footer order: for the newsroom's list and for exports.
    pub async fn all(self) -> Result<Vec<StaticPage>> {
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages {FOOTER_ORDER}");
        let rows: Vec<PageRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// One page, in any status.
    pub async fn by_id(self, id: i64) -> Result<Option<StaticPage>> {
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE id = $1");
        let row: Option<PageRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// The page with this address, in any status.
    pub async fn by_slug(self, slug: &str) -> Result<Option<StaticPage>> {
        let sql = format!("SELECT {PAGE_COLUMNS} FROM pages WHERE slug = $1");
        let row: Option<PageRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(slug).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// The published page readers reach at `/{slug}`; a draft is not there for them.
    pub async fn published_at(self, slug: &str) -> Result<Option<StaticPage>> {
        Ok(self
            .by_slug(slug)
            .await?
            .filter(|page| page.status == PageStatus::Published))
    }

    /// The published pages' links, in footer order.
    pub async fn published_links(self) -> Result<Vec<PageLink>> {
        let sql =
            format!("SELECT id, slug, title FROM pages WHERE status = 'published' {FOOTER_ORDER}");
        let rows: Vec<(i64, String, String)> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, slug, title)| PageLink { id, slug, title })
            .collect())
    }

    /// A page's saved versions, newest first.
    pub async fn revisions(self, id: i64) -> Result<Vec<PageRevision>> {
        type Row = (i64, i64, String, String, String, String, String);
        let rows: Vec<Row> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT number, saved_at, saved_by_name, title, slug, description, body \
                 FROM page_revisions WHERE page_id = $1 ORDER BY number DESC",
            )
            .bind(id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(number, saved_at, saved_by, title, slug, description, body)| PageRevision {
                    number,
                    saved_at: from_micros(saved_at),
                    saved_by,
                    title,
                    slug,
                    description,
                    body,
                },
            )
            .collect())
    }

    /// Writes a new page, its first revision by `actor`, and the audit entry.
    pub async fn create(
        self,
        input: &PageInput,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<StaticPage> {
        self.insert_page(input, actor, None, now).await
    }

    /// Writes a new page; with `source` (an import item's id) it is remembered as what that
    /// item became, in the same transaction.
    pub(crate) async fn insert_page(
        self,
        input: &PageInput,
        actor: &Actor,
        source: Option<&str>,
        now: Timestamp,
    ) -> Result<StaticPage> {
        let first_published_at = match input.status {
            PageStatus::Published => Some(input.first_published_at.unwrap_or(now)),
            PageStatus::Draft => input.first_published_at,
        };
        let updated_at = input.updated_at.or(first_published_at).unwrap_or(now);
        let id: i64 = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO pages (slug, title, description, body, status, position, \
                 first_published_at, updated_at, created_at, version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1) RETURNING id",
            )
            .bind(&input.slug)
            .bind(&input.title)
            .bind(&input.description)
            .bind(&input.body)
            .bind(input.status.as_str())
            .bind(i64::from(input.position))
            .bind(first_published_at.map(to_micros))
            .bind(to_micros(updated_at))
            .bind(to_micros(now.min(updated_at)))
            .fetch_one(&mut *tx)
            .await?;
            write_page_revision!(tx, id, 1_i64, input, actor, now);
            record_audit!(tx, now, AuditEntry::about(actor, "page.create", "page", id, format!(
                "“{}” at {} ({})", input.title, paths::page(&input.slug), input.status
            )));
            record_change!(tx, now, "page", Some(id), change_tags(id, None, Some(input.status)));
            if let Some(source) = source {
                remember_source!(tx, source, "page", id, now);
            }
            tx.commit().await?;
            id
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Saves a new version of page `id` as `input` says, status included, as a new revision by
    /// `actor`. `expected_version` is the version the writer started from: if someone saved in
    /// between, nothing is written and `Conflict` carries the current version. A published
    /// page that moves leaves its old address behind as a redirect.
    pub async fn save(
        self,
        id: i64,
        expected_version: i64,
        input: &PageInput,
        actor: &Actor,
        action: &str,
        now: Timestamp,
    ) -> Result<StaticPage> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let current: Option<(i64, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT version, slug, status, first_published_at FROM pages WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((version, old_slug, old_status, old_first_published)) = current else {
                return Err(DbError::NotFound);
            };
            if version != expected_version {
                return Err(DbError::Conflict { current_version: version });
            }
            let before = PageStatus::parse(&old_status);
            let first_published_at = match (old_first_published, input.status) {
                (Some(first), _) => Some(first),
                (None, PageStatus::Published) => {
                    Some(to_micros(input.first_published_at.unwrap_or(now)))
                }
                (None, PageStatus::Draft) => input.first_published_at.map(to_micros),
            };
            let updated = sqlx::query(
                "UPDATE pages SET slug = $1, title = $2, description = $3, body = $4, \
                 status = $5, position = $6, first_published_at = $7, updated_at = $8, \
                 version = version + 1 WHERE id = $9 AND version = $10",
            )
            .bind(&input.slug)
            .bind(&input.title)
            .bind(&input.description)
            .bind(&input.body)
            .bind(input.status.as_str())
            .bind(i64::from(input.position))
            .bind(first_published_at)
            .bind(to_micros(input.updated_at.unwrap_or(now)))
            .bind(id)
            .bind(expected_version)
            .execute(&mut *tx)
            .await?;
            if updated.rows_affected() == 0 {
                // Another save committed between our read and our write (PostgreSQL runs them
                // side by side): the version no longer matches.
                let current_version: i64 =
                    sqlx::query_scalar("SELECT version FROM pages WHERE id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                return Err(DbError::Conflict { current_version });
            }
            if old_slug != input.slug
                && before == Some(PageStatus::Published)
                && let Some(old_path) = old_path_key(&paths::page(&old_slug))
            {
                // The redirect names the page, not the address, so it follows later moves.
                sqlx::query(
                    "INSERT INTO redirects (old_path, target_kind, target_id, created_at) \
                     VALUES ($1, 'page', $2, $3) ON CONFLICT (old_path) DO UPDATE SET \
                     target_kind = excluded.target_kind, target_id = excluded.target_id",
                )
                .bind(&old_path)
                .bind(id)
                .bind(to_micros(now))
                .execute(&mut *tx)
                .await?;
            }
            write_page_revision!(tx, id, expected_version + 1, input, actor, now);
            let detail = if before == Some(input.status) {
                format!("“{}” at {}", input.title, paths::page(&input.slug))
            } else {
                format!(
                    "“{}” at {}: {} → {}",
                    input.title,
                    paths::page(&input.slug),
                    before.map_or("?", PageStatus::as_str),
                    input.status
                )
            };
            record_audit!(tx, now, AuditEntry::about(actor, action, "page", id, detail));
            record_change!(tx, now, "page", Some(id), change_tags(id, before, Some(input.status)));
            tx.commit().await?;
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    /// Deletes page `id` and its revisions; old addresses that led to it lead nowhere now.
    pub async fn delete(self, id: i64, actor: &Actor, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let found: Option<(String, String, String)> =
                sqlx::query_as("SELECT title, slug, status FROM pages WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((title, slug, status)) = found else {
                return Err(DbError::NotFound);
            };
            sqlx::query("DELETE FROM redirects WHERE target_kind = 'page' AND target_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM pages WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "page.delete", "page", id, format!(
                "“{title}” at {}", paths::page(&slug)
            )));
            record_change!(tx, now, "page", Some(id), change_tags(id, PageStatus::parse(&status), None));
            tx.commit().await?;
        });
        Ok(())
    }
}
