//! `dateline demo --articles N`: plausible bulk for benchmarks, written and published through the
//! same use cases as real articles, each at its own publication time. Text is recombined from the demo newsroom's own paragraphs, so it reads
//! like news and has realistic lengths; a small set of pictures is shared, as wire photos are.

use dateline_db::{Store, StoryFilter};
use dateline_storage::MediaStore;
use dateline_usecases::articles::{ArticleChanges, AuthorChoice, SectionChoice};
use dateline_usecases::{Actor, Context, narration};
use futures_util::StreamExt;
use jiff::{SignedDuration, Timestamp};

use crate::DemoError;
use crate::newsroom::{DESK, newsroom, store_picture, write_and_publish};

const SHARED_PICTURES: usize = 8;

/// How many generated stories are written at once (`dateline demo --articles`).
const STORIES_IN_FLIGHT: usize = 4;

/// Adds `count` generated, published articles spread over the existing sections and authors and
/// over the past three years. Loads the demo newsroom first if the store is empty. `progress` is
/// called with the number written so far.
pub async fn add_generated_articles(
    store: &Store,
    media: &MediaStore,
    count: usize,
    mut progress: impl FnMut(usize),
) -> Result<usize, DemoError> {
    let now = Timestamp::now();
    if crate::store_is_empty(store).await? {
        crate::load_newsroom(store, media, now).await?;
    }
    let newsroom = newsroom()?;
    let sections = store.site().sections().await?;
    let authors = store.people().authors().await?;
    if sections.is_empty() || authors.is_empty() {
        return Err(DemoError::Content(
            "generated articles need at least one section and one author".to_owned(),
        ));
    }
    let ctx = Context::new(store.clone(), media.clone());
    let desk = Actor::system(DESK);
    // Three years, in seconds, never later than an hour before now so demo leads stay on top.
    let span: usize = 3 * 365 * 24 * 3600;
    // The wire photos were in the library before the oldest story used one.
    let library_filled = now - SignedDuration::from_secs(span as i64 + 3600);
    let mut pictures = Vec::with_capacity(SHARED_PICTURES);
    for (index, doc) in newsroom.article.iter().take(SHARED_PICTURES).enumerate() {
        pictures
            .push(store_picture(&ctx, &doc.image, 10_000 + index as u64, library_filled).await?);
    }
    let paragraphs: Vec<&str> = newsroom
        .article
        .iter()
        .flat_map(|doc| doc.body.split("\n\n"))
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.starts_with('#') && !p.starts_with('-'))
        .collect();
    let headlines: Vec<&str> = newsroom
        .article
        .iter()
        .map(|d| d.headline.as_str())
        .collect();
    let standfirsts: Vec<&str> = newsroom
        .article
        .iter()
        .map(|d| d.standfirst.as_str())
        .collect();
    let tags: Vec<&str> = newsroom
        .article
        .iter()
        .flat_map(|d| d.tags.iter().map(String::as_str))
        .collect();
    let first_number = store.public().count_stories(StoryFilter::All, now).await? as usize + 1;
    let mut random = SplitMix(0x5eed_0000 + first_number as u64);
    // Drawn in order, so the same store gets the same bulk.
    let stories = (0..count).map(|n| {
        let number = first_number + n;
        let headline = format!("{} ({})", headlines[random.below(headlines.len())], number);
        let body_len = 4 + random.below(4);
        let body = (0..body_len)
            .map(|_| paragraphs[random.below(paragraphs.len())])
            .collect::<Vec<_>>()
            .join("\n\n");
        let section = &sections[random.below(sections.len())];
        let author = &authors[random.below(authors.len())];
        let picture = &pictures[random.below(pictures.len())];
        let age = 3600 + random.below(span) as i64;
        let published = now - SignedDuration::from_secs(age);
        let standfirst = standfirsts[random.below(standfirsts.len())].to_owned();
        let tags = vec![
            tags[random.below(tags.len())].to_owned(),
            tags[random.below(tags.len())].to_owned(),
        ];
        let fields = ArticleChanges {
            section: Some(SectionChoice::Id(section.id)),
            headline: Some(headline),
            // From the headline, as the newsroom's form makes it.
            slug: None,
            standfirst: Some(standfirst),
            body: Some(body),
            dateline_place: None,
            hero_image: Some(Some(picture.id)),
            authors: Some(vec![AuthorChoice::Id(author.id)]),
            tags: Some(tags),
            language: Some("en".to_owned()),
            comments_open: Some(true),
        };
        (fields, published)
    });
    // A few stories in flight: one's checks read while another's transaction holds the writer,
    // so the use cases' reads cost little time of their own.
    let mut written = futures_util::stream::iter(stories)
        .map(|(fields, published)| write_and_publish(&ctx, &desk, fields, published))
        .buffer_unordered(STORIES_IN_FLIGHT);
    let mut done = 0;
    while let Some(story) = written.next().await {
        story?;
        done += 1;
        if done % 1000 == 0 || done == count {
            progress(done);
        }
    }
    drop(written);
    // Each story was queued for its voice when it was new; most are archive now.
    narration::release_archive(&ctx, &desk, now).await?;
    Ok(count)
}

/// A small, fast, seedable generator (SplitMix64): reproducible bulk without a dependency.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }
}
