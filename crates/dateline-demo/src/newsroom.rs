use std::collections::HashMap;

use bytes::Bytes;
use dateline_core::provenance::DigitalSourceType;
use dateline_core::{ArticleStatus, NoteKind, PageStatus, Role, SiteSettings};
use dateline_db::{
    Actor, ArticleInput, AuthorInput, ImageInput, NewStaff, PageInput, SectionInput, Store,
};
use dateline_storage::{ImageLimits, MediaStore};
use futures_util::{StreamExt, TryStreamExt};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;

use crate::live::LiveDoc;
use crate::{DemoError, art};

const NEWSROOM_TOML: &str = include_str!("../demo/newsroom.toml");

/// Demo pictures are drawn at this size: wide enough for every variant width.
pub(crate) const PICTURE_WIDTH: u32 = 1600;
pub(crate) const PICTURE_HEIGHT: u32 = 900;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Newsroom {
    pub site: SiteDoc,
    pub section: Vec<SectionDoc>,
    pub author: Vec<AuthorDoc>,
    pub article: Vec<ArticleDoc>,
    /// Static pages, published, linked from the footer in this order.
    #[serde(default)]
    pub page: Vec<PageDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageDoc {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Markdown.
    pub body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SiteDoc {
    pub name: String,
    pub tagline: String,
    pub language: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SectionDoc {
    pub slug: String,
    pub name: String,
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct AuthorDoc {
    pub slug: String,
    pub name: String,
    pub role: String,
    pub bio: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArticleDoc {
    pub slug: String,
    pub section: String,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    pub published_hours_ago: i64,
    pub updated_hours_after: Option<i64>,
    pub dateline_place: Option<String>,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub image: PictureDoc,
    /// Corrections, clarifications and updates published after the article.
    #[serde(default)]
    pub note: Vec<NoteDoc>,
    /// Live coverage: the article's entries and whether it has ended.
    pub live: Option<LiveDoc>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoteDoc {
    /// "correction", "clarification" or "update".
    pub kind: String,
    /// Hours after publication.
    pub hours_after: i64,
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PictureDoc {
    pub alt: String,
    pub caption: Option<String>,
    pub credit: String,
    pub source_type: String,
    pub motif: String,
    pub palette: Vec<String>,
}

pub(crate) fn newsroom() -> Result<Newsroom, DemoError> {
    toml::from_str(NEWSROOM_TOML).map_err(|e| DemoError::Content(e.to_string()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoReport {
    pub sections: usize,
    pub authors: usize,
    pub articles: usize,
    pub lead_path: String,
    /// The demo's admin account. It has no password: `dateline serve` prints a one-time link to
    /// set one, so no known password ever ships.
    pub admin_id: i64,
    pub admin_email: String,
}

pub const DEMO_ADMIN_EMAIL: &str = "editor@dateline.example";

/// The newsroom's time zone in the demo: shown dates and schedules use it.
const DEMO_TIME_ZONE: &str = "America/New_York";

/// The demo page the site settings name as the corrections policy.
const CORRECTIONS_POLICY_SLUG: &str = "corrections-policy";

/// Loads the demo newsroom into an empty store, with times relative to `now`.
pub async fn load_newsroom(
    store: &Store,
    media: &MediaStore,
    now: Timestamp,
) -> Result<DemoReport, DemoError> {
    let newsroom = newsroom()?;
    store
        .site()
        .save_settings(
            &SiteSettings {
                name: newsroom.site.name.clone(),
                tagline: newsroom.site.tagline.clone(),
                language: newsroom.site.language.clone(),
                time_zone: DEMO_TIME_ZONE.to_owned(),
                // The demo's own policy page (below): articles name it in their JSON-LD and the
                // corrections log links it.
                corrections_policy_url: newsroom
                    .page
                    .iter()
                    .find(|page| page.slug == CORRECTIONS_POLICY_SLUG)
                    .map(|page| dateline_core::paths::page(&page.slug)),
                ..SiteSettings::default()
            },
            now,
        )
        .await?;
    for (position, doc) in newsroom.page.iter().enumerate() {
        store
            .static_pages()
            .create(
                &PageInput {
                    slug: doc.slug.clone(),
                    title: doc.title.clone(),
                    description: doc.description.clone(),
                    body: doc.body.clone(),
                    position: i32::try_from(position).unwrap_or(i32::MAX),
                    status: PageStatus::Published,
                    first_published_at: None,
                    updated_at: None,
                },
                &Actor::system("demo"),
                now,
            )
            .await?;
    }
    let mut sections = HashMap::new();
    for (position, doc) in newsroom.section.iter().enumerate() {
        let section = store
            .site()
            .create_section(
                &SectionInput {
                    slug: doc.slug.clone(),
                    name: doc.name.clone(),
                    description: doc.description.clone(),
                    position: i32::try_from(position).unwrap_or(i32::MAX),
                },
                now,
            )
            .await?;
        sections.insert(doc.slug.clone(), section);
    }
    let mut authors = HashMap::new();
    for doc in &newsroom.author {
        let author = store
            .people()
            .create_author(
                &AuthorInput {
                    slug: doc.slug.clone(),
                    name: doc.name.clone(),
                    role: doc.role.clone(),
                    bio: doc.bio.clone(),
                },
                now,
            )
            .await?;
        authors.insert(doc.slug.clone(), author.id);
    }
    let admin = store
        .people()
        .create_staff_as(
            &Actor::system("demo"),
            &NewStaff {
                email: DEMO_ADMIN_EMAIL.to_owned(),
                display_name: "Demo Editor-in-Chief".to_owned(),
                role: Role::Admin,
                password_hash: None,
                author_id: None,
            },
            now,
        )
        .await?;
    // One reporter with an account under their byline, so the roles can be tried side by side.
    if let Some(doc) = newsroom.author.first() {
        store
            .people()
            .create_staff_as(
                &Actor::system("demo"),
                &NewStaff {
                    email: format!("{}@dateline.example", doc.slug),
                    display_name: doc.name.clone(),
                    role: Role::Author,
                    password_hash: None,
                    author_id: authors.get(&doc.slug).copied(),
                },
                now,
            )
            .await?;
    }
    // Oldest first, so the change log and ids follow publication order like a real newsroom's.
    let mut articles: Vec<(usize, &ArticleDoc)> = newsroom.article.iter().enumerate().collect();
    articles.sort_by_key(|(_, doc)| std::cmp::Reverse(doc.published_hours_ago));
    // Drawing and encoding pictures is the slow part: use every core.
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pictures: Vec<dateline_core::Image> = futures_util::stream::iter(
        articles
            .iter()
            .map(|(index, doc)| store_picture(store, media, &doc.image, *index as u64 + 1, now)),
    )
    .buffered(parallel)
    .try_collect()
    .await?;
    let mut lead_path = String::new();
    let mut lead = None;
    for ((index, doc), image) in articles.into_iter().zip(pictures) {
        let section = sections.get(&doc.section).ok_or_else(|| {
            DemoError::Content(format!("{}: unknown section {}", doc.slug, doc.section))
        })?;
        let author_ids = doc
            .authors
            .iter()
            .map(|slug| {
                authors.get(slug).copied().ok_or_else(|| {
                    DemoError::Content(format!("{}: unknown author {slug}", doc.slug))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let published = now - SignedDuration::from_hours(doc.published_hours_ago);
        let updated = doc
            .updated_hours_after
            .map(|hours| published + SignedDuration::from_hours(hours));
        let article = store
            .articles()
            .create(
                &ArticleInput {
                    section_id: section.id,
                    slug: doc.slug.clone(),
                    headline: doc.headline.clone(),
                    standfirst: doc.standfirst.clone(),
                    body: doc.body.trim().to_owned(),
                    dateline_place: doc.dateline_place.clone(),
                    hero_image_id: Some(image.id),
                    author_ids,
                    tags: doc.tags.clone(),
                    language: newsroom.site.language.clone(),
                    comments_open: true,
                    status: ArticleStatus::Published,
                    first_published_at: Some(published),
                    updated_at: updated,
                },
                now,
            )
            .await?;
        for note in &doc.note {
            let kind = NoteKind::parse(&note.kind).ok_or_else(|| {
                DemoError::Content(format!("{}: unknown note kind {}", doc.slug, note.kind))
            })?;
            store
                .articles()
                .add_note(
                    article.id,
                    kind,
                    &note.text,
                    &Actor::system("demo"),
                    published + SignedDuration::from_hours(note.hours_after),
                )
                .await?;
        }
        if let Some(live) = &doc.live {
            crate::live::add_coverage(store, article.id, &doc.slug, live, &authors, published)
                .await?;
        }
        if index == 0 {
            lead_path = dateline_core::paths::article(&section.slug, &doc.slug);
            lead = Some((article.id, published));
        }
    }
    if let Some((article_id, published)) = lead {
        let editor = Actor::staff(admin.id, admin.display_name.clone());
        crate::discussion::add_discussion(store, article_id, admin.id, &editor, published).await?;
    }
    Ok(DemoReport {
        sections: sections.len(),
        authors: authors.len(),
        articles: newsroom.article.len(),
        lead_path,
        admin_id: admin.id,
        admin_email: admin.email,
    })
}

/// Draws a demo picture, ingests it like an upload and records it with its provenance.
pub(crate) async fn store_picture(
    store: &Store,
    media: &MediaStore,
    doc: &PictureDoc,
    seed: u64,
    now: Timestamp,
) -> Result<dateline_core::Image, DemoError> {
    let motif: art::Motif = doc
        .motif
        .parse()
        .map_err(|_| DemoError::Content(format!("unknown motif {}", doc.motif)))?;
    let palette: Vec<[u8; 3]> = doc
        .palette
        .iter()
        .map(|hex| {
            art::parse_hex_color(hex).ok_or_else(|| DemoError::Content(format!("bad colour {hex}")))
        })
        .collect::<Result<_, _>>()?;
    let jpeg = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let picture = art::illustration(motif, &palette, seed, PICTURE_WIDTH, PICTURE_HEIGHT);
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 92)
            .encode_image(&picture)
            .map_err(|e| e.to_string())?;
        Ok(jpeg)
    })
    .await
    .map_err(|e| DemoError::Picture(e.to_string()))?
    .map_err(DemoError::Picture)?;
    let stored = media
        .ingest_image(Bytes::from(jpeg), &ImageLimits::default())
        .await?;
    let source_type = DigitalSourceType::from_uri_or_code(&doc.source_type).ok_or_else(|| {
        DemoError::Content(format!("unknown digital source type {}", doc.source_type))
    })?;
    let image = store
        .library()
        .insert_image(
            &ImageInput {
                original_key: stored.original_key.clone(),
                original_mime: stored.original_mime.to_owned(),
                width: stored.width,
                height: stored.height,
                alt: doc.alt.clone(),
                caption: doc.caption.clone(),
                credit: Some(doc.credit.clone()),
                source_type: Some(source_type),
                variants: stored.recorded_variants(),
            },
            now,
        )
        .await?;
    Ok(image)
}
