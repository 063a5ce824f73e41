//! `dateline demo --articles N`: plausible bulk for benchmarks, written and published through the
//! same use cases as real articles, each at its own publication time. Text is recombined from the demo newsroom's own paragraphs, so it reads
//! like news and has realistic lengths; a small set of pictures is shared, as wire photos are.

use dateline_db::{Store, StoryFilter};
use dateline_storage::MediaStore;
use dateline_usecases::articles::{ArticleChanges, AuthorChoice, SectionChoice};
use dateline_usecases::{Actor, Context, narration};
use jiff::{SignedDuration, Timestamp};

use crate::DemoError;
use crate::newsroom::{DESK, newsroom, store_picture, write_and_publish};

const SHARED_PICTURES: usize = 8;

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
    for n in 0..count {
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
        let tags = vec![
            tags[random.below(tags.len())].to_owned(),
            tags[random.below(tags.len())].to_owned(),
        ];
        write_and_publish(
            &ctx,
            &desk,
            ArticleChanges {
                section: Some(SectionChoice::Id(section.id)),
                standfirst: Some(standfirsts[random.below(standfirsts.len())].to_owned()),
                headline: Some(headline),
                // From the headline, as the newsroom's form makes it.
                slug: None,
                body: Some(body),
                dateline_place: None,
                hero_image: Some(Some(picture.id)),
                authors: Some(vec![AuthorChoice::Id(author.id)]),
                tags: Some(tags),
                language: Some("en".to_owned()),
                comments_open: Some(true),
            },
            published,
        )
        .await?;
        if (n + 1) % 1000 == 0 || n + 1 == count {
            progress(n + 1);
        }
    }
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
