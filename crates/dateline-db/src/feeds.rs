//! What feeds carry: the latest published articles of a list, with their full text and tags, so
//! a feed reader can show the whole story (RSS `content:encoded`, Atom `content`, JSON Feed
//! `content_html`) without a second request per article.

use std::collections::HashMap;

use dateline_core::{StorySummary, Tag};
use jiff::Timestamp;

use crate::catalog::placeholders;
use crate::rows::TagRow;
use crate::{Result, Store, StoryFilter, on_reader};

/// One feed entry: the story card's fields plus what only a feed needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedArticle {
    pub story: StorySummary,
    /// Markdown, as written; the web layer renders it.
    pub body: String,
    pub language: String,
    pub tags: Vec<Tag>,
}

#[derive(sqlx::FromRow)]
struct BodyRow {
    id: i64,
    body: String,
    language: String,
}

#[derive(sqlx::FromRow)]
struct ArticleTagRow {
    article_id: i64,
    #[sqlx(flatten)]
    tag: TagRow,
}

impl Store {
    /// The `limit` latest articles of a list at `now`, newest first, for a feed.
    pub async fn feed_articles(
        &self,
        filter: StoryFilter,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<FeedArticle>> {
        let stories = self.stories(filter, now, limit, &[]).await?;
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = stories.iter().map(|s| s.id).collect();
        let in_list = placeholders(1, ids.len());
        let body_sql = format!("SELECT id, body, language FROM articles WHERE id IN ({in_list})");
        let tag_sql = format!(
            "SELECT x.article_id, t.id, t.slug, t.name FROM article_tags x \
             JOIN tags t ON t.id = x.tag_id WHERE x.article_id IN ({in_list}) \
             ORDER BY x.article_id, t.name"
        );
        let (bodies, tags): (Vec<BodyRow>, Vec<ArticleTagRow>) = on_reader!(self, pool => {
            let mut body_query = sqlx::query_as(sqlx::AssertSqlSafe(body_sql));
            let mut tag_query = sqlx::query_as(sqlx::AssertSqlSafe(tag_sql));
            for id in &ids {
                body_query = body_query.bind(*id);
                tag_query = tag_query.bind(*id);
            }
            (body_query.fetch_all(pool).await?, tag_query.fetch_all(pool).await?)
        });
        let mut bodies: HashMap<i64, BodyRow> = bodies.into_iter().map(|b| (b.id, b)).collect();
        let mut tags_by_article: HashMap<i64, Vec<Tag>> = HashMap::new();
        for row in tags {
            tags_by_article
                .entry(row.article_id)
                .or_default()
                .push(Tag::from(row.tag));
        }
        Ok(stories
            .into_iter()
            // An article deleted between the two reads has no body row: leave it out.
            .filter_map(|story| {
                let body = bodies.remove(&story.id)?;
                Some(FeedArticle {
                    tags: tags_by_article.remove(&story.id).unwrap_or_default(),
                    body: body.body,
                    language: body.language,
                    story,
                })
            })
            .collect())
    }
}
