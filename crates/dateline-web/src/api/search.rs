//! `/api/v1/search`: the reader search for programs, with the same query language and filters
//! as the `/search` page.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use dateline_core::{ArticleStatus, cache_tags};
use http::HeaderMap;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiArticle, api_article, bad_request, json_answer, parse_integer, slug_value};
use crate::search::SearchParams;
use crate::views::Clock;
use crate::{AppState, WebError};

const DEFAULT_LIMIT: usize = 20;

/// One page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResultList {
    /// How many published articles match in all.
    pub total: u64,
    pub data: Vec<SearchResult>,
    /// Pass as `offset` for the next page; `null` on the last page (or past 10,000 results).
    pub next_offset: Option<u64>,
}

/// One matching article. The HTML fields are escaped text in which the matched words are
/// wrapped in `<mark>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub article: ApiArticle,
    /// Relevance; 0 when ordered by date.
    pub score: f32,
    pub headline_html: String,
    pub snippet_html: String,
}

/// Published articles matching a reader's words.
#[utoipa::path(
    get,
    path = "/api/v1/search",
    operation_id = "searchArticles",
    params(
        ("q" = String, Query, max_length = 1000,
            description = "The words to find; all must match, in any order. \"Quoted words\" \
                           must appear as a phrase; words of five letters or more also match \
                           with one typo. Nothing is an operator. Blank finds nothing."),
        ("section" = Option<String>, Query, description = "Only articles in the section with this slug.",
            pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 96),
        ("author" = Option<String>, Query, description = "Only articles by the author with this slug.",
            pattern = r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 96),
        ("from" = Option<String>, Query, format = Date,
            description = "Only articles first published on or after this day (newsroom time zone)."),
        ("until" = Option<String>, Query, format = Date,
            description = "Only articles first published on or before this day (newsroom time zone)."),
        ("order" = Option<String>, Query, pattern = "^(relevance|newest)$",
            description = "`relevance` (default) or `newest`."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100,
            description = "Results per page, 1 to 100 (default 20)."),
        ("offset" = Option<i64>, Query, minimum = 0, maximum = 10000,
            description = "Results to skip (default 0)."),
    ),
    responses(
        (status = 200, description = "One page of results", body = SearchResultList),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 400, description = "Invalid parameter", body = super::ApiError),
        (status = 503, description = "Search is not available on this server", body = super::ApiError),
    )
)]
pub async fn search_articles(
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
    let mut params = SearchParams::default();
    let mut limit = DEFAULT_LIMIT;
    let mut offset = 0;
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        if seen.contains(&name.as_str()) {
            return Err(bad_request(
                "duplicate_parameter",
                format!("the parameter `{name}` is given more than once"),
            ));
        }
        seen.push(name);
        match name.as_str() {
            "q" => params.q = value.clone(),
            "section" => params.section = slug_value(name, value)?,
            "author" => params.author = slug_value(name, value)?,
            // The newsroom's HTML form sends empty fields for "any"; an API client leaves the
            // parameter out, and an empty one matches neither the format nor the pattern.
            "from" | "until" | "order" if value.is_empty() => {
                return Err(bad_request(
                    "empty_parameter",
                    format!("`{name}` is empty: leave it out or give a value"),
                ));
            }
            "from" => params.from = value.clone(),
            "until" => params.until = value.clone(),
            "order" => params.order = value.clone(),
            "limit" => match parse_integer(value) {
                Some(n @ 1..=100) => limit = n as usize,
                _ => {
                    return Err(bad_request(
                        "invalid_limit",
                        "`limit` must be an integer from 1 to 100",
                    ));
                }
            },
            "offset" => match parse_integer(value) {
                Some(n @ 0..=10_000) => offset = n as usize,
                _ => {
                    return Err(bad_request(
                        "invalid_offset",
                        "`offset` must be an integer from 0 to 10000",
                    ));
                }
            },
            _ => {
                return Err(bad_request(
                    "unknown_parameter",
                    format!(
                        "unknown parameter `{name}`; known: q, section, author, from, until, \
                         order, limit, offset"
                    ),
                ));
            }
        }
    }
    if !seen.contains(&"q") {
        return Err(bad_request(
            "missing_q",
            "`q` is required: the words to search for",
        ));
    }
    let settings = state.store().site().settings().await?;
    let zone = Clock::for_settings(&settings).zone;
    let mut query = match params.to_query(&zone, false) {
        Ok(query) => query,
        Err(errors) => {
            let message = errors
                .iter()
                .map(|e| format!("`{}`: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join(" ");
            return Err(bad_request("invalid_parameter", message));
        }
    };
    query.limit = limit;
    query.offset = offset;
    let Some(search) = state.search() else {
        return Err(WebError::SearchUnavailable);
    };
    let found = state.timed_search(search, query).await?;
    let mut data = Vec::with_capacity(found.hits.len());
    let mut tags = vec![cache_tags::FRONT_LIST.to_owned()];
    for hit in &found.hits {
        // Unpublished since the index last caught up: leave it out.
        if let Some(page) = state
            .store()
            .articles()
            .article_page(hit.article_id)
            .await?
            && page.article.status == ArticleStatus::Published
        {
            tags.push(cache_tags::article(hit.article_id));
            data.push(SearchResult {
                article: api_article(&state, &page, false),
                score: hit.score,
                headline_html: hit.headline_html.clone(),
                snippet_html: hit.snippet_html.clone(),
            });
        }
    }
    let next = offset + found.hits.len();
    let next_offset =
        (next < found.total && next <= 10_000 && !found.hits.is_empty()).then_some(next as u64);
    json_answer(
        &headers,
        &SearchResultList {
            total: found.total as u64,
            data,
            next_offset,
        },
        &tags,
    )
}
