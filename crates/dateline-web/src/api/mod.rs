//! The public, read-only Content API under `/api/v1`: published articles, sections and authors as
//! JSON, with an OpenAPI 3.1 document generated from these handlers (utoipa), so the routes and
//! the spec cannot drift apart.
//!
//! Choices a client can rely on:
//! - Lists of articles are in archive order (first publication, newest first; ties by id) and
//!   paginate by an opaque cursor (keyset pagination): walking `next_cursor` until it is `null`
//!   returns every published article exactly once, even while new ones are published (they sort
//!   before every cursor already handed out).
//! - A filter slug that names no section, author or tag gives an empty list (200), not a 404: the
//!   answer to "articles in X" is "none", and a client need not tell the two cases apart.
//! - Bad input (unknown parameter, malformed value, invalid cursor, limit out of range) is a 400
//!   with `{"error": {"code", "message"}}`; an unknown or unpublished article is a 404 in the same
//!   shape.
//! - Every answer carries a strong ETag over its body (RFC 9110 §8.8.3) and honours
//!   `If-None-Match` with 304, and allows any origin to read it (CORS, Fetch standard).
//!
//! Why these answers do not go through the page cache (`Cacheable`): its key is the path plus
//! `?page=`, while lists here depend on every query parameter; and a cache hit is rebuilt from the
//! stored page without the CORS headers. The CDN in front caches them instead (`Cache-Control`),
//! and `Surrogate-Key` lets a change purge it as it purges pages.

mod schema;
mod search;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dateline_core::{ArticlePage, ArticleStatus, cache_tags, markdown, paths};
use dateline_db::{ApiArticleQuery, ArchivePosition};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::OpenApi;

use crate::error::{Failure, in_api_shape};
use crate::newsroom::admin_comments;
use crate::newsroom::admin_endpoints as admin;
use crate::newsroom::admin_pages;
use crate::{AppState, WebError};
pub use schema::*;

/// Browsers revalidate after a minute (a cheap 304); a CDN keeps answers five minutes and may
/// serve them stale while it refetches or while the origin is down.
const API_CACHE_CONTROL: &str =
    "public, max-age=60, s-maxage=300, stale-while-revalidate=3600, stale-if-error=86400";

const DEFAULT_LIMIT: i64 = 20;
const MAX_LIMIT: i64 = 100;

/// The OpenAPI 3.1 document: every path and schema below, collected from the handlers.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Dateline Content API",
        version = "1.0.0",
        description = "Read-only access to the published articles, sections and authors of a \
                       Dateline newsroom. Lists paginate by an opaque cursor; unknown filter \
                       slugs give an empty list. Under /api/v1/admin, the Admin API writes, \
                       schedules, publishes and corrects articles, manages static pages, \
                       uploads images and moderates the discussion with a bearer token an admin \
                       creates in the newsroom."
    ),
    modifiers(&BearerAuth),
    paths(
        list_articles,
        get_article,
        list_sections,
        list_authors,
        search::search_articles,
        admin::whoami,
        admin::create_article,
        admin::get_article,
        admin::update_article,
        admin::submit_article,
        admin::publish_article,
        admin::unpublish_article,
        admin::schedule_article,
        admin::add_note,
        admin::upload_image,
        admin_pages::create_page,
        admin_pages::get_page,
        admin_pages::update_page,
        admin_pages::publish_page,
        admin_pages::unpublish_page,
        admin_pages::delete_page,
        admin_comments::decide,
        admin_comments::feature,
        admin_comments::reply,
        admin_comments::standing,
        admin_comments::discussion,
        admin_comments::save_rules
    ),
    components(schemas(
        ArticleList,
        ApiArticle,
        SectionLink,
        AuthorLink,
        TagLink,
        ApiImage,
        SectionList,
        ApiSection,
        AuthorList,
        ApiAuthor,
        ApiError,
        ErrorDetail,
        search::SearchResultList,
        search::SearchResult,
        admin::AdminArticle,
        admin::AdminSection,
        admin::AdminAuthor,
        admin::ArticleFields,
        admin::ScheduleRequest,
        admin::NoteRequest,
        admin::AdminNote,
        admin::AdminImage,
        admin::ProvenanceFinding,
        admin::AdminImageVariant,
        admin::WhoAmI,
        admin::TokenInfo,
        admin::StaffInfo,
        admin::AdminApiError,
        admin::AdminErrorDetail,
        admin_pages::AdminPage,
        admin_pages::PageFields,
        admin_comments::AdminComment,
        admin_comments::AdminReader,
        admin_comments::DecisionRequest,
        admin_comments::FeatureRequest,
        admin_comments::ReplyRequest,
        admin_comments::StandingRequest,
        admin_comments::DiscussionRequest,
        admin_comments::RulesRequest,
        admin_comments::AdminRules
    ))
)]
pub struct ApiDoc;

/// The Admin API's `bearerAuth` scheme (RFC 6750): the token from the newsroom's token page.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme = SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An Admin API token, created by an admin under /newsroom/tokens.",
                ))
                .build(),
        );
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme("bearerAuth", scheme);
        raw_image_bodies(openapi);
    }
}

/// The image upload's body is the file itself: a binary string of its media type (OpenAPI 3.1
/// `contentMediaType`), which the handler attribute cannot say.
fn raw_image_bodies(openapi: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    let body = openapi
        .paths
        .paths
        .get_mut("/api/v1/admin/images")
        .and_then(|item| item.post.as_mut())
        .and_then(|operation| operation.request_body.as_mut());
    if let Some(RefOr::T(body)) = body {
        for (media_type, content) in &mut body.content {
            if let RefOr::T(content) = content {
                content.schema = Some(RefOr::T(Schema::Object(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .content_media_type(media_type.clone())
                        .build(),
                )));
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/articles", get(list_articles).options(preflight))
        .route("/api/v1/articles/{id}", get(get_article).options(preflight))
        .route("/api/v1/sections", get(list_sections).options(preflight))
        .route(
            "/api/v1/search",
            get(search::search_articles).options(preflight),
        )
        .route("/api/v1/authors", get(list_authors).options(preflight))
        .route("/api/v1/openapi.json", get(openapi).options(preflight))
        // Unknown API paths answer in the API's error shape, not with the site's HTML 404.
        .route("/api/v1/{*rest}", get(unknown_endpoint).options(preflight))
        .layer(axum::middleware::from_fn(errors))
}

/// A failure answers in the API's shape ([`crate::error`]), like any answer here readable from
/// any origin, and never kept by a cache.
async fn errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    if Failure::of(&response).is_none() {
        return response;
    }
    let mut response = in_api_shape(response);
    let headers = response.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    cors(headers);
    response
}

async fn unknown_endpoint() -> WebError {
    WebError::NoSuch("no such endpoint; see /api/v1/openapi.json")
}

/// Published articles, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/articles",
    operation_id = "listArticles",
    params(
        ("section" = Option<String>, Query, description = "Only articles in the section with this slug.",
            pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 96),
        ("author" = Option<String>, Query, description = "Only articles by the author with this slug.",
            pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 96),
        ("tag" = Option<String>, Query, description = "Only articles with the tag with this slug.",
            pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 96),
        ("updated_since" = Option<String>, Query, format = DateTime,
            description = "Only articles whose text changed at or after this time (RFC 3339)."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100,
            description = "Articles per page, 1 to 100 (default 20)."),
        ("cursor" = Option<String>, Query, pattern = "^[0-9a-f]{32}$",
            description = "The `next_cursor` of the previous page; opaque."),
    ),
    responses(
        (status = 200, description = "One page of articles", body = ArticleList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Invalid parameter", body = ApiError),
    )
)]
async fn list_articles(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, WebError> {
    let Ok(Query(pairs)) = query else {
        return Err(bad_request(
            "invalid_query",
            "the query string could not be read",
        ));
    };
    let (query, limit) = parse_list_query(&pairs)?;
    let positions = state.store().articles().api_positions(&query).await?;
    let mut data = Vec::new();
    let mut tags = vec![cache_tags::FRONT_LIST.to_owned()];
    let page_size = usize::try_from(limit).unwrap_or(0);
    for position in positions.iter().take(page_size) {
        // Unpublished between the two reads: leave it out.
        if let Some(page) = state.store().articles().article_page(position.id).await?
            && page.article.status == ArticleStatus::Published
        {
            tags.push(cache_tags::article(page.article.id));
            data.push(api_article(&state, &page, false));
        }
    }
    // The store was asked for one more than a page: if it came, another page follows, and it
    // starts after the last position of this one.
    let next_cursor = if positions.len() > page_size {
        positions
            .get(page_size.saturating_sub(1))
            .map(|p| encode_cursor(*p))
    } else {
        None
    };
    json_answer(&headers, &ArticleList { data, next_cursor }, &tags)
}

/// One published article, with its body.
#[utoipa::path(
    get,
    path = "/api/v1/articles/{id}",
    operation_id = "getArticle",
    params(("id" = i64, Path, description = "The article's id.")),
    responses(
        (status = 200, description = "The article", body = ApiArticle),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "The id is not a number", body = ApiError),
        (status = 404, description = "No published article has this id", body = ApiError),
    )
)]
async fn get_article(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let Some(id) = parse_integer(&id) else {
        return Err(bad_request(
            "invalid_id",
            "the article id must be an integer",
        ));
    };
    match state.store().articles().article_page(id).await? {
        Some(page) if page.article.status == ArticleStatus::Published => {
            let tags = [cache_tags::article(id)];
            json_answer(&headers, &api_article(&state, &page, true), &tags)
        }
        _ => Err(WebError::NoSuch("no published article has this id")),
    }
}

/// Every section, in navigation order.
#[utoipa::path(
    get,
    path = "/api/v1/sections",
    operation_id = "listSections",
    responses(
        (status = 200, description = "All sections", body = SectionList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Invalid parameter", body = ApiError),
    )
)]
async fn list_sections(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, WebError> {
    no_parameters(query)?;
    let base = &state.config().base_url;
    let data = state
        .store()
        .site()
        .sections()
        .await?
        .into_iter()
        .map(|s| ApiSection {
            url: format!("{base}{}", paths::section(&s.slug)),
            slug: s.slug,
            name: s.name,
            description: s.description,
        })
        .collect();
    json_answer(
        &headers,
        &SectionList { data },
        &[cache_tags::SITE.to_owned()],
    )
}

/// Every author with a public profile.
#[utoipa::path(
    get,
    path = "/api/v1/authors",
    operation_id = "listAuthors",
    responses(
        (status = 200, description = "All authors", body = AuthorList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Invalid parameter", body = ApiError),
    )
)]
async fn list_authors(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<Response, WebError> {
    no_parameters(query)?;
    let base = &state.config().base_url;
    let authors = state.store().people().authors().await?;
    let tags: Vec<String> = std::iter::once(cache_tags::SITE.to_owned())
        .chain(authors.iter().map(|a| cache_tags::author(a.id)))
        .collect();
    let data = authors
        .into_iter()
        .map(|a| ApiAuthor {
            url: format!("{base}{}", paths::author(&a.slug)),
            slug: a.slug,
            name: a.name,
            role: a.role,
            bio: a.bio,
        })
        .collect();
    json_answer(&headers, &AuthorList { data }, &tags)
}

/// The OpenAPI 3.1 document of this API.
async fn openapi(headers: HeaderMap) -> Result<Response, WebError> {
    json_answer(&headers, &ApiDoc::openapi(), &[])
}

/// Answers a CORS preflight (Fetch standard, "CORS protocol"): any origin may GET and HEAD, with
/// any request header (a client revalidating sends `If-None-Match`, which is not safelisted).
async fn preflight() -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    cors(headers);
    headers.insert(
        HeaderName::from_static("access-control-allow-methods"),
        HeaderValue::from_static("GET, HEAD, OPTIONS"),
    );
    headers.insert(
        HeaderName::from_static("access-control-allow-headers"),
        HeaderValue::from_static("*"),
    );
    headers.insert(
        HeaderName::from_static("access-control-max-age"),
        HeaderValue::from_static("86400"),
    );
    response
}

fn cors(headers: &mut HeaderMap) {
    headers.insert(
        HeaderName::from_static("access-control-allow-origin"),
        HeaderValue::from_static("*"),
    );
    // Without this a script may not read the validator to send it back.
    headers.insert(
        HeaderName::from_static("access-control-expose-headers"),
        HeaderValue::from_static("ETag"),
    );
}

fn parse_list_query(pairs: &[(String, String)]) -> Result<(ApiArticleQuery, i64), WebError> {
    let mut query = ApiArticleQuery::default();
    let mut limit: Option<i64> = None;
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in pairs {
        if seen.contains(&name.as_str()) {
            return Err(bad_request(
                "duplicate_parameter",
                format!("the parameter `{name}` is given more than once"),
            ));
        }
        seen.push(name);
        match name.as_str() {
            "section" => query.section = Some(slug_value(name, value)?),
            "author" => query.author = Some(slug_value(name, value)?),
            "tag" => query.tag = Some(slug_value(name, value)?),
            "updated_since" => {
                let Some(at) = parse_rfc3339(value) else {
                    return Err(bad_request(
                        "invalid_updated_since",
                        "`updated_since` must be an RFC 3339 date-time, e.g. 2025-01-31T12:00:00Z",
                    ));
                };
                query.updated_since = Some(at);
            }
            "limit" => match parse_integer(value) {
                Some(n) if (1..=MAX_LIMIT).contains(&n) => limit = Some(n),
                _ => {
                    return Err(bad_request(
                        "invalid_limit",
                        "`limit` must be an integer from 1 to 100",
                    ));
                }
            },
            "cursor" => {
                let Some(position) = decode_cursor(value) else {
                    return Err(bad_request(
                        "invalid_cursor",
                        "`cursor` must be a `next_cursor` value from an earlier answer",
                    ));
                };
                query.after = Some(position);
            }
            _ => {
                return Err(bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown parameter `{name}`; known: section, author, tag, \
                         updated_since, limit, cursor"
                    ),
                ));
            }
        }
    }
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    // One more than the page tells whether another page follows.
    query.limit = limit + 1;
    Ok((query, limit))
}

fn no_parameters(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Result<(), WebError> {
    match query {
        Ok(Query(pairs)) => match pairs.first() {
            None => Ok(()),
            Some((name, _)) => Err(bad_request(
                "unknown_parameter",
                format!("unknown parameter `{name}`; this list takes none"),
            )),
        },
        Err(_) => Err(bad_request(
            "invalid_query",
            "the query string could not be read",
        )),
    }
}

fn slug_value(name: &str, value: &str) -> Result<String, WebError> {
    if dateline_core::slug::is_valid_slug(value) {
        Ok(value.to_owned())
    } else {
        Err(bad_request(
            "invalid_slug",
            format!("`{name}` must be a slug: lowercase letters, digits and single hyphens"),
        ))
    }
}

/// A plain decimal integer: digits with an optional leading minus, nothing else.
fn parse_integer(value: &str) -> Option<i64> {
    let digits = value.strip_prefix('-').unwrap_or(value);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

/// RFC 3339 §5.6 `date-time`, strictly: `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`, where `T` and
/// `Z` may be lowercase. A leap second (`:60`) is read as the second before it.
fn parse_rfc3339(value: &str) -> Option<jiff::Timestamp> {
    let bytes = value.as_bytes();
    let digit = |i: usize| bytes.get(i).is_some_and(u8::is_ascii_digit);
    let at = |i: usize, c: u8| bytes.get(i).is_some_and(|b| b.eq_ignore_ascii_case(&c));
    let fixed = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18]
        .into_iter()
        .all(digit)
        && at(4, b'-')
        && at(7, b'-')
        && at(10, b'T')
        && at(13, b':')
        && at(16, b':');
    if !fixed {
        return None;
    }
    let mut end = 19;
    if at(end, b'.') {
        end += 1;
        let start = end;
        while digit(end) {
            end += 1;
        }
        if end == start {
            return None;
        }
    }
    let offset = &value[end..];
    let offset_ok = offset.eq_ignore_ascii_case("z")
        || (offset.len() == 6
            && (offset.starts_with('+') || offset.starts_with('-'))
            && [1, 2, 4, 5].into_iter().all(|i| digit(end + i))
            && at(end + 3, b':'));
    if !offset_ok {
        return None;
    }
    let mut normal = value.to_ascii_uppercase();
    if &normal[17..19] == "60" {
        normal.replace_range(17..19, "59");
    }
    // Fractions beyond nanoseconds carry nothing a timestamp can hold.
    if end > 29 {
        normal.replace_range(29..end, "");
    }
    normal.parse::<jiff::Timestamp>().ok()
}

/// Cursor: the last position of the page as 32 lowercase hex digits (two 64-bit numbers). Every
/// such string is a valid position, so the spec's pattern describes exactly what is accepted.
fn encode_cursor(position: ArchivePosition) -> String {
    format!(
        "{:016x}{:016x}",
        position.first_published_at_micros.cast_unsigned(),
        position.id.cast_unsigned()
    )
}

fn decode_cursor(value: &str) -> Option<ArchivePosition> {
    if value.len() != 32
        || !value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    {
        return None;
    }
    let at = u64::from_str_radix(&value[..16], 16).ok()?;
    let id = u64::from_str_radix(&value[16..], 16).ok()?;
    Some(ArchivePosition {
        first_published_at_micros: at.cast_signed(),
        id: id.cast_signed(),
    })
}

fn api_article(state: &AppState, page: &ArticlePage, with_body: bool) -> ApiArticle {
    let base = &state.config().base_url;
    let article = &page.article;
    ApiArticle {
        id: article.id,
        url: format!(
            "{base}{}",
            paths::article(&page.section.slug, &article.slug)
        ),
        headline: article.headline.clone(),
        standfirst: article.standfirst.clone(),
        section: SectionLink {
            slug: page.section.slug.clone(),
            name: page.section.name.clone(),
            url: format!("{base}{}", paths::section(&page.section.slug)),
        },
        authors: page
            .authors
            .iter()
            .map(|a| AuthorLink {
                slug: a.slug.clone(),
                name: a.name.clone(),
                url: format!("{base}{}", paths::author(&a.slug)),
            })
            .collect(),
        tags: page
            .tags
            .iter()
            .map(|t| TagLink {
                slug: t.slug.clone(),
                name: t.name.clone(),
                url: format!("{base}{}", paths::tag(&t.slug)),
            })
            .collect(),
        dateline_place: article.dateline_place.clone(),
        language: article.language.clone(),
        reading_minutes: article.reading_minutes,
        first_published_at: article
            .first_published_at
            .unwrap_or(article.updated_at)
            .to_string(),
        updated_at: article.updated_at.to_string(),
        body_markdown: with_body.then(|| article.body.clone()),
        body_html: with_body.then(|| markdown::render_html(&article.body)),
        image: page.hero.as_ref().map(|image| {
            let jpeg = image.variants_of("jpeg");
            let (key, width, height) = match jpeg.last() {
                Some(v) => (v.key.as_str(), v.width, v.height),
                None => (image.original_key.as_str(), image.width, image.height),
            };
            ApiImage {
                url: format!("{base}{}", paths::media(key)),
                width,
                height,
                alt: image.alt.clone(),
                caption: image.caption.clone(),
                credit: image.credit.clone(),
                digital_source_type: image.source_type.map(|t| t.uri().to_owned()),
                label: image.provenance_label().map(str::to_owned),
            }
        }),
    }
}

/// Serialises `value`, with a strong ETag over the bytes; 304 when the client already has them.
fn json_answer(
    request: &HeaderMap,
    value: &impl Serialize,
    tags: &[String],
) -> Result<Response, WebError> {
    let body = serde_json::to_vec(value)
        .map_err(|error| WebError::Internal(format!("serialising an API answer: {error}")))?;
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let matches = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|list| {
            list.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == "*" || t == etag)
        });
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = body.into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(API_CACHE_CONTROL));
    if !tags.is_empty()
        && let Ok(value) = HeaderValue::from_str(&tags.join(" "))
    {
        headers.insert(HeaderName::from_static("surrogate-key"), value);
    }
    cors(headers);
    Ok(response)
}

fn bad_request(code: &'static str, message: impl Into<String>) -> WebError {
    WebError::BadRequest {
        code,
        message: message.into(),
    }
}
