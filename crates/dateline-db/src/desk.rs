//! The newsroom's article desk: every article whatever its status, filtered the way an editor
//! looks for work, and the one rule of whose work an article is.

use dateline_core::{ArticleStatus, AuthorRef};
use jiff::Timestamp;
use serde::Serialize;

use crate::catalog::placeholders;
use crate::rows::BylineRow;
use crate::{Articles, Library, Result, from_micros, on_reader};

/// What the article list is narrowed to. Every field left `None` widens it.
#[derive(Debug, Clone, Default)]
pub struct DeskFilter {
    pub status: Option<ArticleStatus>,
    pub section_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Case-insensitive part of the headline.
    pub headline_contains: Option<String>,
    /// Only this staff member's own work (see [`Articles::owned_by`]).
    pub owned_by: Option<Owner>,
}

/// A staff member as far as ownership goes: their account and their linked author profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub staff_id: i64,
    pub author_id: Option<i64>,
}

/// One line of the newsroom's article list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeskArticle {
    pub id: i64,
    pub headline: String,
    pub status: ArticleStatus,
    pub section_name: String,
    pub updated_at: Timestamp,
    pub scheduled_for: Option<Timestamp>,
    pub authors: Vec<AuthorRef>,
}

#[derive(sqlx::FromRow)]
struct DeskRow {
    id: i64,
    headline: String,
    status: String,
    section_name: String,
    updated_at: i64,
    scheduled_for: Option<i64>,
}

/// A picture to offer as a hero image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ImageChoice {
    pub id: i64,
    pub alt: String,
}

/// The shared condition: positions `$1`–`$6` are the filter's, always bound (NULL = no filter).
const DESK_CONDITION: &str = "($1 IS NULL OR a.status = $1) \
     AND ($2 IS NULL OR a.section_id = $2) \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM article_authors f \
          WHERE f.article_id = a.id AND f.author_id = $3)) \
     AND ($4 IS NULL OR LOWER(a.headline) LIKE $4 ESCAPE '\\') \
     AND ($5 IS NULL OR EXISTS (SELECT 1 FROM article_revisions r \
          WHERE r.article_id = a.id AND r.number = 1 AND r.saved_by_staff_id = $5) \
          OR EXISTS (SELECT 1 FROM article_authors o \
          WHERE o.article_id = a.id AND o.author_id = $6))";

/// `LIKE` pattern for "contains `text`", with the pattern characters taken literally.
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.trim().to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

macro_rules! bind_desk_filter {
    ($query:expr, $filter:expr) => {{
        let filter: &DeskFilter = $filter;
        $query
            .bind(filter.status.map(|s| s.as_str().to_owned()))
            .bind(filter.section_id)
            .bind(filter.author_id)
            .bind(
                filter
                    .headline_contains
                    .as_deref()
                    .filter(|t| !t.trim().is_empty())
                    .map(contains_pattern),
            )
            .bind(filter.owned_by.map(|o| o.staff_id))
            .bind(filter.owned_by.and_then(|o| o.author_id))
    }};
}

impl Articles<'_> {
    /// Articles in any status for the newsroom's list, most recently changed first.
    pub async fn desk(
        self,
        filter: &DeskFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<DeskArticle>> {
        let sql = format!(
            "SELECT a.id, a.headline, a.status, s.name AS section_name, a.updated_at, \
             a.scheduled_for FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE {DESK_CONDITION} ORDER BY a.updated_at DESC, a.id DESC LIMIT $7 OFFSET $8"
        );
        let rows: Vec<DeskRow> = on_reader!(self.store, pool => {
            bind_desk_filter!(sqlx::query_as(sqlx::AssertSqlSafe(sql)), filter)
                .bind(limit)
                .bind(offset)
                .fetch_all(pool)
                .await?
        });
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let sql = format!(
            "SELECT aa.article_id, au.id, au.slug, au.name FROM article_authors aa \
             JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN ({}) \
             ORDER BY aa.article_id, aa.position",
            placeholders(1, ids.len())
        );
        let bylines: Vec<BylineRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in &ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|row| DeskArticle {
                authors: bylines
                    .iter()
                    .filter(|b| b.article_id == row.id)
                    .map(|b| AuthorRef {
                        id: b.id,
                        slug: b.slug.clone(),
                        name: b.name.clone(),
                    })
                    .collect(),
                id: row.id,
                headline: row.headline,
                status: ArticleStatus::parse(&row.status).unwrap_or(ArticleStatus::Draft),
                section_name: row.section_name,
                updated_at: from_micros(row.updated_at),
                scheduled_for: row.scheduled_for.map(from_micros),
            })
            .collect())
    }

    /// How many articles [`Articles::desk`] would list without a limit.
    pub async fn count_desk(self, filter: &DeskFilter) -> Result<i64> {
        let sql = format!("SELECT COUNT(*) FROM articles a WHERE {DESK_CONDITION}");
        let count: i64 = on_reader!(self.store, pool => {
            bind_desk_filter!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql)), filter)
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }

    /// Whether an article is `owner`'s own work: they started it (saved its first revision) or
    /// their author profile is on its byline. The newsroom and its list use this one rule.
    pub async fn owned_by(self, article_id: i64, owner: Owner) -> Result<bool> {
        let owns: i64 = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM articles a WHERE a.id = $1 AND (\
                 EXISTS (SELECT 1 FROM article_revisions r WHERE r.article_id = a.id \
                 AND r.number = 1 AND r.saved_by_staff_id = $2) \
                 OR EXISTS (SELECT 1 FROM article_authors o WHERE o.article_id = a.id \
                 AND o.author_id = $3))",
            )
            .bind(article_id)
            .bind(owner.staff_id)
            .bind(owner.author_id)
            .fetch_one(pool)
            .await?
        });
        Ok(owns > 0)
    }
}

impl Library<'_> {
    /// The newest pictures in the library, to choose a hero image from.
    pub async fn recent_images(self, limit: i64) -> Result<Vec<ImageChoice>> {
        let rows: Vec<ImageChoice> = on_reader!(self.store, pool => {
            sqlx::query_as("SELECT id, alt FROM images ORDER BY id DESC LIMIT $1")
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows)
    }
}
