//! What feeds carry: the latest published articles of a list, with their full text and tags, so
//! a feed reader can show the whole story (RSS `content:encoded`, Atom `content`, JSON Feed
//! `content_html`) without a second request per article. A feed's whole read model (the list,
//! its articles, the key events of its live coverage or the narrations of its podcast) is one
//! store call, [`Public::feed`].

use std::collections::HashMap;

use dateline_core::{Author, Section, SiteSettings, StorySummary, Tag};
use jiff::Timestamp;

use crate::catalog::placeholders;
use crate::rows::TagRow;
use crate::{ArticleAudio, FeedKeyEvent, Public, Result, StoryFilter, on_reader};

/// Which feed, by its list's slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOf<'a> {
    Site,
    Section(&'a str),
    Author(&'a str),
}

/// What a feed carries beside its articles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedItems {
    /// The key events of live coverage in the list, as items of their own.
    KeyEvents,
    /// The articles' narrations: a podcast's episodes.
    Episodes,
}

/// The list a feed follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedHead {
    Site,
    Section(Section),
    Author(Author),
}

/// Everything a feed shows.
#[derive(Debug, Clone)]
pub struct FeedPage {
    pub settings: SiteSettings,
    pub head: FeedHead,
    /// The latest articles of the list, newest first.
    pub articles: Vec<FeedArticle>,
    /// With [`FeedItems::KeyEvents`]: newest first, at most the feed's length.
    pub key_events: Vec<FeedKeyEvent>,
    /// With [`FeedItems::Episodes`]: the narrations of those articles that have one.
    pub audio: Vec<ArticleAudio>,
}

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

impl Public<'_> {
    /// The feed of a list at `now`, `limit` articles long (and as many key events at most);
    /// `None` when no list has the slug.
    pub async fn feed(
        self,
        of: FeedOf<'_>,
        items: FeedItems,
        now: Timestamp,
        limit: i64,
    ) -> Result<Option<FeedPage>> {
        let (head, filter) = match of {
            FeedOf::Site => (FeedHead::Site, StoryFilter::All),
            FeedOf::Section(slug) => match self.store.site().section_by_slug(slug).await? {
                Some(section) => {
                    let filter = StoryFilter::Section(section.id);
                    (FeedHead::Section(section), filter)
                }
                None => return Ok(None),
            },
            FeedOf::Author(slug) => match self.store.people().author_by_slug(slug).await? {
                Some(author) => {
                    let filter = StoryFilter::Author(author.id);
                    (FeedHead::Author(author), filter)
                }
                None => return Ok(None),
            },
        };
        let settings = self.store.site().settings().await?;
        let articles = self.feed_articles(filter, now, limit).await?;
        let (key_events, audio) = match items {
            FeedItems::KeyEvents => (
                self.store.live().feed_key_events(filter, limit).await?,
                Vec::new(),
            ),
            FeedItems::Episodes => {
                let ids: Vec<i64> = articles.iter().map(|a| a.story.id).collect();
                (
                    Vec::new(),
                    self.store.narration().article_audio_for(&ids).await?,
                )
            }
        };
        Ok(Some(FeedPage {
            settings,
            head,
            articles,
            key_events,
            audio,
        }))
    }

    /// The `limit` latest articles of a list at `now`, newest first, for a feed.
    pub async fn feed_articles(
        self,
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
        let (bodies, tags): (Vec<BodyRow>, Vec<ArticleTagRow>) = on_reader!(self.store, pool => {
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
