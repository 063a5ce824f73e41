//! Builders for the things the tests write, and small readers for what they check.

use std::collections::BTreeSet;

use dateline_core::provenance::DigitalSourceType;
use dateline_core::{ArticleStatus, Author, Image, ImageVariant, Section, cache_tags};
use dateline_db::{
    ArticleInput, ArticleLookup, AuthorInput, Change, ImageInput, SectionInput, Store,
};
use jiff::{SignedDuration, Timestamp};

/// A fixed, whole-second moment (2026-01-05 12:00 UTC) so stored times compare exactly.
pub fn base_time() -> Timestamp {
    Timestamp::from_second(1_767_614_400).unwrap()
}

/// A clock reading after every time the tests write (ten years after `base_time()`), for the
/// lists, which show only what is published by the `now` they are given.
pub fn long_after_base() -> Timestamp {
    base_time() + SignedDuration::from_hours(10 * 365 * 24)
}

/// `base_time()` plus `hours`.
pub fn hours_after_base(hours: i64) -> Timestamp {
    base_time() + SignedDuration::from_hours(hours)
}

pub fn section_input(slug: &str, position: i32) -> SectionInput {
    SectionInput {
        slug: slug.to_owned(),
        name: title_case(slug),
        description: format!("All about {slug}."),
        position,
    }
}

pub async fn section(store: &Store, slug: &str, position: i32) -> Section {
    store
        .site()
        .create_section(&section_input(slug, position), jiff::Timestamp::now())
        .await
        .unwrap()
}

pub fn author_input(slug: &str) -> AuthorInput {
    AuthorInput {
        slug: slug.to_owned(),
        name: title_case(slug),
        role: "Correspondent".to_owned(),
        bio: format!("{} reports.", title_case(slug)),
    }
}

pub async fn author(store: &Store, slug: &str) -> Author {
    store
        .people()
        .create_author(&author_input(slug), jiff::Timestamp::now())
        .await
        .unwrap()
}

pub fn image_input(key: &str) -> ImageInput {
    ImageInput {
        original_key: format!("originals/{key}.jpg"),
        original_mime: "image/jpeg".to_owned(),
        width: 2400,
        height: 1600,
        alt: "The White House behind the flags of the United States and Colombia.".to_owned(),
        caption: Some("An illustration of the White House.".to_owned()),
        credit: Some("Illustration: Dateline Studio".to_owned()),
        source_type: Some(DigitalSourceType::TrainedAlgorithmicMedia),
        variants: vec![
            ImageVariant {
                key: format!("variants/{key}-640.webp"),
                format: "webp".to_owned(),
                width: 640,
                height: 427,
            },
            ImageVariant {
                key: format!("variants/{key}-640.jpg"),
                format: "jpeg".to_owned(),
                width: 640,
                height: 427,
            },
        ],
    }
}

pub async fn image(store: &Store, key: &str) -> Image {
    store
        .library()
        .insert_image(&image_input(key), jiff::Timestamp::now())
        .await
        .unwrap()
}

/// A published article with a short body, no picture and no tags, first published "now".
pub fn article_input(section_id: i64, slug: &str, author_ids: &[i64]) -> ArticleInput {
    ArticleInput {
        section_id,
        slug: slug.to_owned(),
        headline: format!("Headline of {slug}"),
        standfirst: format!("Standfirst of {slug}."),
        body: "A short body.\n\nWith two paragraphs.".to_owned(),
        dateline_place: Some("Washington".to_owned()),
        hero_image_id: None,
        author_ids: author_ids.to_vec(),
        tags: Vec::new(),
        language: "en".to_owned(),
        comments_open: true,
        status: ArticleStatus::Published,
        first_published_at: None,
        updated_at: None,
    }
}

/// `count` distinct-looking words in paragraphs of at most 40.
pub fn words(count: usize) -> String {
    let mut body = String::new();
    for n in 0..count {
        if n > 0 {
            body.push_str(if n % 40 == 0 { "\n\n" } else { " " });
        }
        body.push_str(["reporters", "checked", "every", "claim", "twice"][n % 5]);
    }
    body
}

/// Where a public article URL leads, in a form tests can compare.
#[derive(Debug, PartialEq, Eq)]
pub enum At {
    Found(i64),
    MovedTo(String),
    NotFound,
}

pub async fn resolve(store: &Store, section_slug: &str, article_slug: &str) -> At {
    match store
        .articles()
        .published_at(section_slug, article_slug)
        .await
        .unwrap()
    {
        ArticleLookup::Found(page) => At::Found(page.article.id),
        ArticleLookup::MovedTo(path) => At::MovedTo(path),
        ArticleLookup::NotFound => At::NotFound,
    }
}

/// The cache tags of a change as a set, after checking none is named twice.
pub fn tag_set(change: &Change) -> BTreeSet<String> {
    let set: BTreeSet<String> = change.cache_tags.iter().cloned().collect();
    assert_eq!(
        set.len(),
        change.cache_tags.len(),
        "a cache tag is named twice: {:?}",
        change.cache_tags
    );
    set
}

/// The tags a change to a visible article names: the article and every list it sits in.
pub fn article_and_lists(
    article_id: i64,
    section_ids: &[i64],
    author_ids: &[i64],
    tag_ids: &[i64],
) -> BTreeSet<String> {
    let mut tags = BTreeSet::from([
        cache_tags::article(article_id),
        cache_tags::ANY_ARTICLE.to_owned(),
        cache_tags::FRONT_LIST.to_owned(),
    ]);
    tags.extend(section_ids.iter().map(|id| cache_tags::section_list(*id)));
    tags.extend(author_ids.iter().map(|id| cache_tags::author_list(*id)));
    tags.extend(tag_ids.iter().map(|id| cache_tags::tag_list(*id)));
    tags
}

fn title_case(slug: &str) -> String {
    slug.split('-')
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
