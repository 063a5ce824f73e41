//! The read models of the public pages that list stories: the front page and the section,
//! author and tag pages, each loaded by one store call, plus the frame every public page shows
//! (settings, navigation, footer pages, logo).
//!
//! A page's lists are found first (ids only, each from its own index range, `lists.rs`), and
//! then every story on the page is loaded together, with its comment count and whether it is
//! live coverage running now: one read of each kind per page rather than one per list. The
//! clock is the caller's `now`.

use std::collections::{HashMap, HashSet};

use dateline_core::{Image, PageLink, Section, SiteSettings, StorySummary, Tag};
use jiff::Timestamp;

use crate::lists::Walk;
use crate::{AuthorProfile, Public, Result, StoryFilter};

/// What every public page shows around its content.
#[derive(Debug, Clone)]
pub struct SiteFrame {
    pub settings: SiteSettings,
    /// The navigation, in the newsroom's order.
    pub sections: Vec<Section>,
    /// The published static pages, linked from the footer.
    pub pages: Vec<PageLink>,
    /// The logo chosen in settings, if it is still in the library.
    pub logo: Option<Image>,
}

/// What a story's card shows beside the story itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardFacts {
    /// Approved comments every reader sees, by article id (absent: none).
    pub comment_counts: HashMap<i64, i64>,
    /// The listed articles that are live coverage running now.
    pub running: HashSet<i64>,
}

/// How much the front page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrontLayout {
    /// The lead story and the top stories after it.
    pub latest: i64,
    /// Stories in each section's block, none of them shown above it.
    pub per_section: i64,
}

#[derive(Debug, Clone)]
pub struct FrontPage {
    pub frame: SiteFrame,
    /// The newest stories, newest first: the lead, then the top stories.
    pub latest: Vec<StorySummary>,
    /// One block per section that has stories not shown above, in navigation order.
    pub sections: Vec<SectionBlock>,
    pub facts: CardFacts,
}

#[derive(Debug, Clone)]
pub struct SectionBlock {
    pub section: Section,
    pub stories: Vec<StorySummary>,
}

/// Which list page, by its slug.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListOf<'a> {
    Section(&'a str),
    Author(&'a str),
    Tag(&'a str),
}

/// What a list page says about its list above the stories.
#[derive(Debug, Clone)]
pub enum ListHead {
    Section(Section),
    Author(Box<AuthorHead>),
    Tag(Tag),
}

#[derive(Debug, Clone)]
pub struct AuthorHead {
    pub profile: AuthorProfile,
    /// The profile's photo, if it is still in the library.
    pub photo: Option<Image>,
}

#[derive(Debug, Clone)]
pub struct ListPage {
    pub frame: SiteFrame,
    pub head: ListHead,
    /// This page's stories, newest first.
    pub stories: Vec<StorySummary>,
    /// Stories in the whole list.
    pub total: i64,
    pub facts: CardFacts,
}

#[derive(Debug, Clone)]
pub enum ListLookup {
    Found(Box<ListPage>),
    /// No list has this slug.
    NoSuchList,
    /// The list exists and the page is past its last.
    NoSuchPage,
}

impl Public<'_> {
    /// The frame of every public page.
    pub async fn site_frame(self) -> Result<SiteFrame> {
        let settings = self.store.site().settings().await?;
        let sections = self.store.site().sections().await?;
        let pages = self.store.static_pages().published_links().await?;
        let logo = match settings.logo_image_id {
            Some(id) => self.store.library().image(id).await?,
            None => None,
        };
        Ok(SiteFrame {
            settings,
            sections,
            pages,
            logo,
        })
    }

    /// The front page at `now`: the latest stories, then each section's newest stories that
    /// are not shown above.
    pub async fn front_page(self, now: Timestamp, layout: FrontLayout) -> Result<FrontPage> {
        let frame = self.site_frame().await?;
        let latest = self
            .list_ids(
                StoryFilter::All,
                now,
                Walk::NewestFirst,
                layout.latest,
                0,
                &[],
            )
            .await?;
        let mut shown = latest.clone();
        let mut blocks = Vec::new();
        for section in &frame.sections {
            let ids = self
                .list_ids(
                    StoryFilter::Section(section.id),
                    now,
                    Walk::NewestFirst,
                    layout.per_section,
                    0,
                    &shown,
                )
                .await?;
            if !ids.is_empty() {
                shown.extend(&ids);
                blocks.push((section.clone(), ids));
            }
        }
        let mut stories = self.stories_keyed(&shown).await?;
        let facts = self.card_facts(&shown).await?;
        let take = |stories: &mut HashMap<i64, StorySummary>, ids: &[i64]| -> Vec<StorySummary> {
            ids.iter().filter_map(|id| stories.remove(id)).collect()
        };
        let latest = take(&mut stories, &latest);
        let sections = blocks
            .into_iter()
            .filter_map(|(section, ids)| {
                let stories = take(&mut stories, &ids);
                // A story unpublished between the two reads leaves its block; an emptied block
                // goes, as one found empty would.
                (!stories.is_empty()).then_some(SectionBlock { section, stories })
            })
            .collect();
        Ok(FrontPage {
            frame,
            latest,
            sections,
            facts,
        })
    }

    /// Page `page` (from 1) of a section, author or tag list at `now`, `per_page` stories to a
    /// page, with what the page says about the list and the site's frame.
    pub async fn list_page(
        self,
        list: ListOf<'_>,
        now: Timestamp,
        page: i64,
        per_page: i64,
    ) -> Result<ListLookup> {
        let head = match list {
            ListOf::Section(slug) => self
                .store
                .site()
                .section_by_slug(slug)
                .await?
                .map(ListHead::Section),
            ListOf::Author(slug) => match self.store.people().author_profile_by_slug(slug).await? {
                Some(profile) => {
                    let photo = match profile.photo_image_id {
                        Some(id) => self.store.library().image(id).await?,
                        None => None,
                    };
                    Some(ListHead::Author(Box::new(AuthorHead { profile, photo })))
                }
                None => None,
            },
            ListOf::Tag(slug) => self
                .store
                .site()
                .tag_by_slug(slug)
                .await?
                .map(ListHead::Tag),
        };
        let Some(head) = head else {
            return Ok(ListLookup::NoSuchList);
        };
        let filter = match &head {
            ListHead::Section(section) => StoryFilter::Section(section.id),
            ListHead::Author(head) => StoryFilter::Author(head.profile.author.id),
            ListHead::Tag(tag) => StoryFilter::Tag(tag.id),
        };
        let Some(found) = self.story_page(filter, now, page, per_page).await? else {
            return Ok(ListLookup::NoSuchPage);
        };
        let ids: Vec<i64> = found.stories.iter().map(|story| story.id).collect();
        let facts = self.card_facts(&ids).await?;
        Ok(ListLookup::Found(Box::new(ListPage {
            frame: self.site_frame().await?,
            head,
            stories: found.stories,
            total: found.total,
            facts,
        })))
    }

    /// The comment counts and running live coverage among `ids`.
    async fn card_facts(self, ids: &[i64]) -> Result<CardFacts> {
        Ok(CardFacts {
            comment_counts: self.store.comments().approved_counts(ids).await?,
            running: self.store.live().running(ids).await?.into_iter().collect(),
        })
    }

    async fn stories_keyed(self, ids: &[i64]) -> Result<HashMap<i64, StorySummary>> {
        Ok(self
            .stories_by_ids(ids)
            .await?
            .into_iter()
            .map(|story| (story.id, story))
            .collect())
    }
}
