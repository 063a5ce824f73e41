//! What the search index is built from: published articles with their bylines, section and tags,
//! read in id order so a full reindex can walk the archive in batches, and stories loaded back by
//! id for the results page and the "Related" list.

use std::collections::HashMap;

use dateline_core::StorySummary;
use jiff::Timestamp;

use crate::catalog::placeholders;
use crate::lists::StoryFilter;
use crate::rows::StoryRow;
use crate::{Public, Result, Search, from_micros, on_reader};

/// One published article as the search index needs it. The body is Markdown; the indexer makes
/// plain text of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSource {
    pub article_id: i64,
    pub headline: String,
    pub standfirst: String,
    pub body_markdown: String,
    /// Byline order: (display name, slug).
    pub authors: Vec<(String, String)>,
    pub section_name: String,
    pub section_slug: String,
    pub tags: Vec<String>,
    pub first_published_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct SourceRow {
    id: i64,
    headline: String,
    standfirst: String,
    body: String,
    first_published_at: i64,
    section_slug: String,
    section_name: String,
}

/// (article id, author name, author slug)
type BylineOf = (i64, String, String);
/// (article id, tag name)
type TagOf = (i64, String);

/// `status || ''` instead of `status`: these reads pick articles by id, and without it SQLite's
/// planner walks the status index (every published article, ~14 ms at 100,000) instead of the
/// primary key (microseconds). PostgreSQL plans both forms the same.
const SOURCE_SELECT: &str = "SELECT a.id, a.headline, a.standfirst, a.body, a.first_published_at, \
     s.slug AS section_slug, s.name AS section_name FROM articles a \
     JOIN sections s ON s.id = a.section_id WHERE a.status || '' = 'published'";

impl Search<'_> {
    /// Published articles with an id above `after_id`, lowest id first, at most `limit`: one
    /// batch of a full reindex (pass the last id of a batch to get the next).
    pub async fn sources_after(self, after_id: i64, limit: i64) -> Result<Vec<SearchSource>> {
        let sql = format!("{SOURCE_SELECT} AND a.id > $1 ORDER BY a.id LIMIT $2");
        let rows: Vec<SourceRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        self.complete_sources(rows).await
    }

    /// The published ones among `ids`; an id missing from the answer is not (or no longer)
    /// published and belongs out of the index.
    pub async fn sources_for(self, ids: &[i64]) -> Result<Vec<SearchSource>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "{SOURCE_SELECT} AND a.id IN ({}) ORDER BY a.id",
            placeholders(1, ids.len())
        );
        let rows: Vec<SourceRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        self.complete_sources(rows).await
    }

    /// Ids of every article (any status) in a section or by an author: what to re-read when the
    /// section's or author's name changes.
    pub async fn article_ids_for(self, filter: StoryFilter) -> Result<Vec<i64>> {
        let sql = match filter {
            StoryFilter::All => "SELECT id FROM articles ORDER BY id",
            StoryFilter::Section(_) => "SELECT id FROM articles WHERE section_id = $1 ORDER BY id",
            StoryFilter::Author(_) => {
                "SELECT article_id FROM article_authors WHERE author_id = $1 ORDER BY article_id"
            }
            StoryFilter::Tag(_) => {
                "SELECT article_id FROM article_tags WHERE tag_id = $1 ORDER BY article_id"
            }
        };
        let value = match filter {
            StoryFilter::All => None,
            StoryFilter::Section(id) | StoryFilter::Author(id) | StoryFilter::Tag(id) => Some(id),
        };
        let ids: Vec<i64> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_scalar(sql);
            if let Some(value) = value {
                query = query.bind(value);
            }
            query.fetch_all(pool).await?
        });
        Ok(ids)
    }

    /// The oldest change still in the log (0 when empty): a follower whose cursor is older than
    /// this has missed pruned changes and must rebuild instead of catching up.
    pub async fn earliest_change_id(self) -> Result<i64> {
        let id: Option<i64> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT MIN(id) FROM changes").fetch_one(pool).await?
        });
        Ok(id.unwrap_or(0))
    }

    async fn complete_sources(self, rows: Vec<SourceRow>) -> Result<Vec<SearchSource>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
        let byline_sql = format!(
            "SELECT aa.article_id, au.name, au.slug FROM article_authors aa \
             JOIN authors au ON au.id = aa.author_id WHERE aa.article_id IN ({}) \
             ORDER BY aa.article_id, aa.position",
            placeholders(1, ids.len())
        );
        let tag_sql = format!(
            "SELECT art.article_id, t.name FROM article_tags art JOIN tags t ON t.id = art.tag_id \
             WHERE art.article_id IN ({}) ORDER BY art.article_id, t.name",
            placeholders(1, ids.len())
        );
        let (bylines, tags): (Vec<BylineOf>, Vec<TagOf>) = on_reader!(self.store, pool => {
            let mut byline_query = sqlx::query_as(sqlx::AssertSqlSafe(byline_sql));
            let mut tag_query = sqlx::query_as(sqlx::AssertSqlSafe(tag_sql));
            for id in &ids {
                byline_query = byline_query.bind(*id);
                tag_query = tag_query.bind(*id);
            }
            (
                byline_query.fetch_all(pool).await?,
                tag_query.fetch_all(pool).await?,
            )
        });
        let mut authors: HashMap<i64, Vec<(String, String)>> = HashMap::new();
        for (article_id, name, slug) in bylines {
            authors.entry(article_id).or_default().push((name, slug));
        }
        let mut tag_names: HashMap<i64, Vec<String>> = HashMap::new();
        for (article_id, name) in tags {
            tag_names.entry(article_id).or_default().push(name);
        }
        Ok(rows
            .into_iter()
            .map(|row| SearchSource {
                authors: authors.remove(&row.id).unwrap_or_default(),
                tags: tag_names.remove(&row.id).unwrap_or_default(),
                article_id: row.id,
                headline: row.headline,
                standfirst: row.standfirst,
                body_markdown: row.body,
                section_name: row.section_name,
                section_slug: row.section_slug,
                first_published_at: from_micros(row.first_published_at),
            })
            .collect())
    }
}

/// Story cards are the public read model's; the search index asks for them by id too.
impl Public<'_> {
    /// Published stories in the order of `ids` (search results, related lists); ids that are not
    /// published are left out.
    pub async fn stories_by_ids(self, ids: &[i64]) -> Result<Vec<StorySummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT a.id, a.slug, a.headline, a.standfirst, a.first_published_at, a.updated_at, \
             a.reading_minutes, a.hero_image_id, s.id AS section_id, s.slug AS section_slug, \
             s.name AS section_name FROM articles a JOIN sections s ON s.id = a.section_id \
             WHERE a.status || '' = 'published' AND a.id IN ({})",
            placeholders(1, ids.len())
        );
        let rows: Vec<StoryRow> = on_reader!(self.store, pool => {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(pool).await?
        });
        let mut stories: HashMap<i64, StorySummary> = self
            .store
            .articles()
            .attach_bylines_and_pictures(rows)
            .await?
            .into_iter()
            .map(|story| (story.id, story))
            .collect();
        Ok(ids.iter().filter_map(|id| stories.remove(id)).collect())
    }
}
