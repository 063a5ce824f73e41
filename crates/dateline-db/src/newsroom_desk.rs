//! What the newsroom's writing tools and dashboard ask for besides the article desk: tags to
//! offer as a writer types, and the counts the dashboard shows.

use dateline_core::TipStatus;
use serde::Serialize;

use crate::{Articles, Result, Tips, on_reader};

/// A tag the newsroom already uses, and on how many stories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct TagUse {
    pub name: String,
    pub slug: String,
    pub articles: i64,
}

impl Articles<'_> {
    /// Existing tags whose name contains `text` (any case), most used first: what the editor's
    /// tag field offers before a new tag. An empty `text` gives the most used tags.
    pub async fn tag_suggestions(self, text: &str, limit: i64) -> Result<Vec<TagUse>> {
        let pattern = crate::desk::contains_pattern(text);
        let rows: Vec<TagUse> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT t.name, t.slug, COUNT(at.article_id) AS articles FROM tags t \
                 LEFT JOIN article_tags at ON at.tag_id = t.id \
                 WHERE LOWER(t.name) LIKE $1 ESCAPE '\\' \
                 GROUP BY t.id, t.name, t.slug ORDER BY COUNT(at.article_id) DESC, t.name LIMIT $2",
            )
            .bind(pattern)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(rows)
    }
}

impl Tips<'_> {
    /// How many tips have `status` (the dashboard's "unread tips" are the new ones).
    pub async fn count(self, status: TipStatus) -> Result<i64> {
        let count: i64 = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM tips WHERE status = $1")
                .bind(status.as_str())
                .fetch_one(pool)
                .await?
        });
        Ok(count)
    }
}
