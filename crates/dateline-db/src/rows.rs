//! Row shapes as both backends return them, and their conversion into the domain types.

use dateline_core::provenance::DigitalSourceType;
use dateline_core::{
    Article, ArticleStatus, Author, AuthorRef, Image, ImageVariant, Section, SectionRef, Tag,
};

use crate::from_micros;

#[derive(sqlx::FromRow)]
pub(crate) struct SectionRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i64,
}

impl From<SectionRow> for Section {
    fn from(row: SectionRow) -> Self {
        Section {
            id: row.id,
            slug: row.slug,
            name: row.name,
            description: row.description,
            position: i32::try_from(row.position).unwrap_or(i32::MAX),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AuthorRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub role: String,
    pub bio: String,
}

impl From<AuthorRow> for Author {
    fn from(row: AuthorRow) -> Self {
        Author {
            id: row.id,
            slug: row.slug,
            name: row.name,
            role: row.role,
            bio: row.bio,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TagRow {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl From<TagRow> for Tag {
    fn from(row: TagRow) -> Self {
        Tag {
            id: row.id,
            slug: row.slug,
            name: row.name,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ImageRow {
    pub id: i64,
    pub original_key: String,
    pub original_mime: String,
    pub width: i64,
    pub height: i64,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    pub source_type: Option<String>,
    pub variants: String,
}

impl From<ImageRow> for Image {
    fn from(row: ImageRow) -> Self {
        let variants: Vec<ImageVariant> = serde_json::from_str(&row.variants).unwrap_or_default();
        Image {
            id: row.id,
            original_key: row.original_key,
            original_mime: row.original_mime,
            width: u32::try_from(row.width).unwrap_or(0),
            height: u32::try_from(row.height).unwrap_or(0),
            alt: row.alt,
            caption: row.caption,
            credit: row.credit,
            source_type: row
                .source_type
                .as_deref()
                .and_then(DigitalSourceType::from_uri_or_code),
            variants,
        }
    }
}

pub(crate) const ARTICLE_COLUMNS: &str = "a.id, a.section_id, a.slug, a.headline, a.standfirst, \
     a.body, a.dateline_place, a.status, a.first_published_at, a.updated_at, a.created_at, \
     a.hero_image_id, a.comments_open, a.language, a.reading_minutes, a.version, a.scheduled_for, \
     a.kind, a.coverage_started_at, a.coverage_ended_at";

#[derive(sqlx::FromRow)]
pub(crate) struct ArticleRow {
    pub id: i64,
    pub section_id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub body: String,
    pub dateline_place: Option<String>,
    pub status: String,
    pub first_published_at: Option<i64>,
    pub updated_at: i64,
    pub created_at: i64,
    pub hero_image_id: Option<i64>,
    pub comments_open: bool,
    pub language: String,
    pub reading_minutes: i64,
    pub version: i64,
    pub scheduled_for: Option<i64>,
    /// `story` or `live`.
    pub kind: String,
    pub coverage_started_at: Option<i64>,
    pub coverage_ended_at: Option<i64>,
}

impl From<ArticleRow> for Article {
    fn from(row: ArticleRow) -> Self {
        Article {
            id: row.id,
            section_id: row.section_id,
            slug: row.slug,
            headline: row.headline,
            standfirst: row.standfirst,
            body: row.body,
            dateline_place: row.dateline_place,
            // The CHECK constraint admits only known statuses.
            status: ArticleStatus::parse(&row.status).unwrap_or(ArticleStatus::Draft),
            scheduled_for: row.scheduled_for.map(from_micros),
            first_published_at: row.first_published_at.map(from_micros),
            updated_at: from_micros(row.updated_at),
            created_at: from_micros(row.created_at),
            hero_image_id: row.hero_image_id,
            comments_open: row.comments_open,
            language: row.language,
            reading_minutes: u32::try_from(row.reading_minutes).unwrap_or(1),
            version: row.version,
            live: (row.kind == crate::live::LIVE_KIND).then(|| dateline_core::Coverage {
                started_at: row.coverage_started_at.map(from_micros),
                ended_at: row.coverage_ended_at.map(from_micros),
            }),
        }
    }
}

/// One line of a story list, before its authors and picture are attached.
#[derive(sqlx::FromRow)]
pub(crate) struct StoryRow {
    pub id: i64,
    pub slug: String,
    pub headline: String,
    pub standfirst: String,
    pub first_published_at: i64,
    pub updated_at: i64,
    pub reading_minutes: i64,
    pub hero_image_id: Option<i64>,
    pub section_id: i64,
    pub section_slug: String,
    pub section_name: String,
}

impl StoryRow {
    pub fn section_ref(&self) -> SectionRef {
        SectionRef {
            id: self.section_id,
            slug: self.section_slug.clone(),
            name: self.section_name.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct BylineRow {
    pub article_id: i64,
    pub id: i64,
    pub slug: String,
    pub name: String,
}

impl BylineRow {
    pub fn author_ref(self) -> AuthorRef {
        AuthorRef {
            id: self.id,
            slug: self.slug,
            name: self.name,
        }
    }
}
