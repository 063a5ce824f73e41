//! The shapes the Content API answers with; their OpenAPI schemas are derived from these types.

use serde::Serialize;
use utoipa::ToSchema;

/// One page of articles.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleList {
    pub data: Vec<ApiArticle>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// A published article. Lists leave out `body_markdown` and `body_html`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiArticle {
    pub id: i64,
    /// The article's canonical page.
    #[schema(format = "uri")]
    pub url: String,
    pub headline: String,
    pub standfirst: String,
    pub section: SectionLink,
    /// The byline, in order.
    pub authors: Vec<AuthorLink>,
    pub tags: Vec<TagLink>,
    pub dateline_place: Option<String>,
    /// BCP 47 language tag.
    pub language: String,
    pub reading_minutes: u32,
    /// RFC 3339; never moves once set.
    #[schema(format = DateTime)]
    pub first_published_at: String,
    /// RFC 3339; when the text readers see last changed.
    #[schema(format = DateTime)]
    pub updated_at: String,
    /// The body as written (Markdown); single-article answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    /// The body as sanitised HTML; single-article answers only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// The lead picture, if any.
    pub image: Option<ApiImage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionLink {
    pub slug: String,
    pub name: String,
    #[schema(format = "uri")]
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorLink {
    pub slug: String,
    pub name: String,
    #[schema(format = "uri")]
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagLink {
    pub slug: String,
    pub name: String,
    #[schema(format = "uri")]
    pub url: String,
}

/// The lead picture: its largest JPEG rendition.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiImage {
    #[schema(format = "uri")]
    pub url: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// IPTC Digital Source Type term, as its full URI.
    #[schema(format = "uri")]
    pub digital_source_type: Option<String>,
    /// The provenance label shown to readers (e.g. for AI-generated pictures), if any.
    pub label: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SectionList {
    pub data: Vec<ApiSection>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiSection {
    pub slug: String,
    pub name: String,
    pub description: String,
    #[schema(format = "uri")]
    pub url: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuthorList {
    pub data: Vec<ApiAuthor>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiAuthor {
    pub slug: String,
    pub name: String,
    /// The job title, e.g. "Political Correspondent".
    pub role: String,
    pub bio: String,
    #[schema(format = "uri")]
    pub url: String,
}

/// Every 4xx and 5xx answer of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiError {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable and machine-readable, e.g. `invalid_cursor`, `unknown_parameter`, `not_found`.
    pub code: String,
    /// For people.
    pub message: String,
}
