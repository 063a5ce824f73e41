use std::collections::HashMap;

use bytes::Bytes;
use dateline_core::{ArticleStatus, Role};
use dateline_db::Store;
use dateline_storage::{ImageLimits, MediaStore};
use dateline_usecases::articles::{ArticleChanges, AuthorChoice, SectionChoice};
use dateline_usecases::authors::AuthorDraft;
use dateline_usecases::library::ImageWords;
use dateline_usecases::pages::PageChanges;
use dateline_usecases::people::AccountDraft;
use dateline_usecases::site::{SectionDraft, SettingsDraft};
use dateline_usecases::{
    Actor, Context, articles, authors, library, narration, pages, people, site,
};
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
///
/// It is replayed through the use cases as the newsroom would have lived it, as the platform
/// ([`DESK`]) and the demo admin: the site set up before its oldest story, each story written
/// and published at its publication time, then saved, corrected and covered live at the times
/// it says; the discussion under the lead story posted and moderated as it happened. The static
/// pages are published `now`, the date they have always shown.
pub async fn load_newsroom(
    store: &Store,
    media: &MediaStore,
    now: Timestamp,
) -> Result<DemoReport, DemoError> {
    let newsroom = newsroom()?;
    let ctx = Context::new(store.clone(), media.clone());
    let desk = Actor::system(DESK);
    let oldest = newsroom
        .article
        .iter()
        .map(|doc| doc.published_hours_ago)
        .max()
        .unwrap_or(0);
    // The day before the first story: sections, bylines and accounts exist by then.
    let founded = now - SignedDuration::from_hours(oldest + 24);
    site::save_settings(
        &ctx,
        &desk,
        &SettingsDraft {
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
                .map(|page| dateline_core::paths::page(&page.slug))
                .unwrap_or_default(),
            ..SettingsDraft::default()
        },
        founded,
    )
    .await?;
    let mut sections = HashMap::new();
    for (position, doc) in newsroom.section.iter().enumerate() {
        let section = site::create_section(
            &ctx,
            &desk,
            &SectionDraft {
                name: doc.name.clone(),
                slug: doc.slug.clone(),
                description: doc.description.clone(),
                position: position.to_string(),
            },
            founded,
        )
        .await?;
        sections.insert(doc.slug.clone(), section);
    }
    let mut authors = HashMap::new();
    for doc in &newsroom.author {
        let author = authors::create(
            &ctx,
            &desk,
            &AuthorDraft {
                name: doc.name.clone(),
                slug: doc.slug.clone(),
                role: doc.role.clone(),
                bio: doc.bio.clone(),
                ..AuthorDraft::default()
            },
            founded,
        )
        .await?;
        authors.insert(doc.slug.clone(), author.author.id);
    }
    let admin = people::create_account(
        &ctx,
        &desk,
        &AccountDraft {
            email: DEMO_ADMIN_EMAIL.to_owned(),
            display_name: "Demo Editor-in-Chief".to_owned(),
            role: Role::Admin.as_str().to_owned(),
            ..AccountDraft::default()
        },
        founded,
    )
    .await?;
    // One reporter with an account under their byline, so the roles can be tried side by side.
    if let Some(doc) = newsroom.author.first() {
        people::create_account(
            &ctx,
            &desk,
            &AccountDraft {
                email: format!("{}@dateline.example", doc.slug),
                display_name: doc.name.clone(),
                role: Role::Author.as_str().to_owned(),
                author_slug: doc.slug.clone(),
                password_hash: None,
            },
            founded,
        )
        .await?;
    }
    for (position, doc) in newsroom.page.iter().enumerate() {
        let page = pages::create(
            &ctx,
            &desk,
            PageChanges {
                title: Some(doc.title.clone()),
                slug: Some(doc.slug.clone()),
                description: Some(doc.description.clone()),
                body: Some(doc.body.clone()),
                position: Some(i32::try_from(position).unwrap_or(i32::MAX)),
            },
            now,
        )
        .await?;
        pages::publish(&ctx, &desk, page.id, now).await?;
    }
    // Oldest first, so the change log and ids follow publication order like a real newsroom's.
    let mut articles: Vec<(usize, &ArticleDoc)> = newsroom.article.iter().enumerate().collect();
    articles.sort_by_key(|(_, doc)| std::cmp::Reverse(doc.published_hours_ago));
    let published_at = |doc: &ArticleDoc| now - SignedDuration::from_hours(doc.published_hours_ago);
    // Drawing and encoding pictures is the slow part: use every core. Each is uploaded when its
    // story was written.
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    let pictures: Vec<dateline_core::Image> =
        futures_util::stream::iter(articles.iter().map(|(index, doc)| {
            store_picture(&ctx, &doc.image, *index as u64 + 1, published_at(doc))
        }))
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
                authors
                    .get(slug)
                    .copied()
                    .map(AuthorChoice::Id)
                    .ok_or_else(|| {
                        DemoError::Content(format!("{}: unknown author {slug}", doc.slug))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let published = published_at(doc);
        let article = write_and_publish(
            &ctx,
            &desk,
            ArticleChanges {
                section: Some(SectionChoice::Id(section.id)),
                headline: Some(doc.headline.clone()),
                slug: Some(doc.slug.clone()),
                standfirst: Some(doc.standfirst.clone()),
                body: Some(doc.body.trim().to_owned()),
                dateline_place: Some(doc.dateline_place.clone()),
                hero_image: Some(Some(image.id)),
                authors: Some(author_ids),
                tags: Some(doc.tags.clone()),
                language: Some(newsroom.site.language.clone()),
                comments_open: Some(true),
            },
            published,
        )
        .await?;
        crate::history::replay(&ctx, &desk, article.id, doc, &authors, published).await?;
        if index == 0 {
            lead_path = dateline_core::paths::article(&section.slug, &doc.slug);
            lead = Some((article.id, published));
        }
    }
    if let Some((article_id, published)) = lead {
        let editor = Actor::staff(admin.clone());
        crate::discussion::add_discussion(&ctx, article_id, &editor, published).await?;
    }
    // Every story was queued for its voice when it was new; the ones a reader would now find
    // in the archive wait for a first listen, as on a site that ran all along.
    narration::release_archive(&ctx, &desk, now).await?;
    Ok(DemoReport {
        sections: sections.len(),
        authors: authors.len(),
        articles: newsroom.article.len(),
        lead_path,
        admin_id: admin.id,
        admin_email: admin.email,
    })
}

/// Who the platform is in the demo's revisions and audit log.
pub(crate) const DESK: &str = "demo";

/// Writes a story as a draft and publishes it, both at `published`, as a desk does.
pub(crate) async fn write_and_publish(
    ctx: &Context,
    desk: &Actor,
    fields: ArticleChanges,
    published: Timestamp,
) -> Result<dateline_core::Article, DemoError> {
    let draft = articles::create(ctx, desk, fields, ArticleStatus::Draft, published).await?;
    Ok(articles::change_status(ctx, desk, draft.id, ArticleStatus::Published, published).await?)
}

/// Draws a demo picture and uploads it to the library at `at`, as a picture desk would.
pub(crate) async fn store_picture(
    ctx: &Context,
    doc: &PictureDoc,
    seed: u64,
    at: Timestamp,
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
    let uploaded = library::upload(
        ctx,
        &Actor::system(DESK),
        Bytes::from(jpeg),
        &ImageWords {
            alt: doc.alt.clone(),
            caption: doc.caption.clone().unwrap_or_default(),
            credit: doc.credit.clone(),
            source_type: doc.source_type.clone(),
        },
        &ImageLimits::default(),
        None,
        at,
    )
    .await?;
    Ok(uploaded.image.image)
}
