//! The read model of an article page (`store.public().article(…)`): the story and everything
//! the page shows from the store around it, in one call, so the handler renders what it was
//! given. What the search index adds ("Related") is the index's to say.

use dateline_core::{ArticlePage, StorySummary};
use jiff::Timestamp;

use crate::{
    ArticleAudio, ArticleLookup, DiscussionPage, DiscussionSort, LivePage, Public, Result,
    SiteFrame, StoryFilter,
};

/// How much of each list an article page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArticleShown {
    /// Stories in "More in <Section>".
    pub more_in_section: i64,
    /// Threads of the discussion's first page (oldest first), part of the cached page.
    pub discussion_threads: i64,
    /// The page of entries shown when the article is live coverage (from 1).
    pub live_page: i64,
}

/// An article page as readers see it, from the store.
#[derive(Debug, Clone)]
pub struct ArticleRead {
    pub frame: SiteFrame,
    pub page: ArticlePage,
    /// The section's newest other stories.
    pub more_in_section: Vec<StorySummary>,
    /// Its narration, in whatever state it is.
    pub audio: Option<ArticleAudio>,
    /// The first page of the discussion.
    pub discussion: DiscussionPage,
    /// Live coverage's page of entries; `None` for a story.
    pub live: Option<LivePage>,
}

/// What an article's address leads to.
#[derive(Debug, Clone)]
pub enum ArticleReadLookup {
    Found(Box<ArticleRead>),
    /// The article lives at another path now: answer 301.
    MovedTo(String),
    NotFound,
}

impl Public<'_> {
    /// The published article at `/{section_slug}/{article_slug}` with all its page shows, at
    /// `now`.
    pub async fn article(
        self,
        section_slug: &str,
        article_slug: &str,
        shown: ArticleShown,
        now: Timestamp,
    ) -> Result<ArticleReadLookup> {
        Ok(
            match self
                .store
                .articles()
                .published_at(section_slug, article_slug)
                .await?
            {
                ArticleLookup::Found(page) => {
                    ArticleReadLookup::Found(Box::new(self.around(*page, shown, now).await?))
                }
                ArticleLookup::MovedTo(path) => ArticleReadLookup::MovedTo(path),
                ArticleLookup::NotFound => ArticleReadLookup::NotFound,
            },
        )
    }

    /// Everything an article page shows around `page`, which need not be stored as it is: the
    /// newsroom's preview of unsaved text renders through here too.
    pub async fn around(
        self,
        page: ArticlePage,
        shown: ArticleShown,
        now: Timestamp,
    ) -> Result<ArticleRead> {
        let article_id = page.article.id;
        let frame = self.site_frame().await?;
        let more_in_section = self
            .stories(
                StoryFilter::Section(page.section.id),
                now,
                shown.more_in_section,
                &[article_id],
            )
            .await?;
        let audio = self.store.narration().article_audio(article_id).await?;
        let discussion = self
            .store
            .comments()
            .discussion_page(
                article_id,
                DiscussionSort::Oldest,
                0,
                shown.discussion_threads,
            )
            .await?;
        let live = if page.article.is_live() {
            Some(self.store.live().page(article_id, shown.live_page).await?)
        } else {
            None
        };
        Ok(ArticleRead {
            frame,
            page,
            more_in_section,
            audio,
            discussion,
            live,
        })
    }
}
