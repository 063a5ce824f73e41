//! `/search`: what readers find by typing into the box in the masthead.
//!
//! Results depend on every query parameter, so the page never enters the page cache; it is cheap
//! to build (one index lookup, one store read of at most a page of stories).

use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::StatusCode;
use serde::Serialize;
use serde_json::json;

use super::pages::{Frame, absolute};
use crate::search::{FieldError, SearchParams};
use crate::views::{self, CARD_SIZES, PageMeta};
use crate::{AppState, WebError};

const RESULTS_PER_PAGE: usize = 20;

#[derive(Serialize)]
struct ResultView {
    story: views::StoryView,
    headline_html: String,
    snippet_html: String,
}

#[derive(Serialize)]
struct Choice {
    value: String,
    name: String,
    selected: bool,
}

pub async fn search_page(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    let (params, others) = SearchParams::from_query(raw.as_deref());
    let page = others
        .iter()
        .find(|(name, _)| name == "page")
        .map(|(_, value)| {
            value
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=500).contains(p))
        });
    let mut frame = Frame::load(&state).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let page = match page {
        None => 1,
        Some(Some(page)) => page,
        Some(None) => {
            errors.push(FieldError {
                field: "page",
                message: "That page of results does not exist.".to_owned(),
            });
            1
        }
    };
    let query = match params.to_query(&frame.clock.zone, true) {
        Ok(query) => Some(query),
        Err(mut field_errors) => {
            errors.append(&mut field_errors);
            None
        }
    };
    let searched = !params.q.trim().is_empty();
    let mut results = Vec::new();
    let mut total = 0;
    let mut unavailable = false;
    if let (Some(mut query), true, true) = (query, errors.is_empty(), searched) {
        query.offset = (page - 1) * RESULTS_PER_PAGE;
        query.limit = RESULTS_PER_PAGE;
        match state.search() {
            Some(search) => {
                let found = state.timed_search(search, query).await?;
                total = found.total;
                let ids: Vec<i64> = found.hits.iter().map(|hit| hit.article_id).collect();
                let stories = state.store().public().stories_by_ids(&ids).await?;
                let views = frame.stories(&stories, CARD_SIZES);
                for view in views {
                    if let Some(hit) = found.hits.iter().find(|hit| hit.article_id == view.id) {
                        results.push(ResultView {
                            headline_html: hit.headline_html.clone(),
                            snippet_html: hit.snippet_html.clone(),
                            story: view,
                        });
                    }
                }
            }
            None => unavailable = true,
        }
    }
    let pages = total.div_ceil(RESULTS_PER_PAGE).clamp(1, 500);
    let page_url = |n: usize| format!("/search?{}", params.query_string(Some(n)));
    let pagination = json!({
        "page": page,
        "pages": pages,
        "prev_url": (page > 1).then(|| page_url(page - 1)),
        "next_url": (page < pages).then(|| page_url(page + 1)),
    });
    let sections: Vec<Choice> = frame
        .sections
        .iter()
        .map(|section| Choice {
            selected: section.slug == params.section,
            value: section.slug.clone(),
            name: section.name.clone(),
        })
        .collect();
    let authors: Vec<Choice> = state
        .store()
        .people()
        .authors()
        .await?
        .into_iter()
        .map(|author| Choice {
            selected: author.slug == params.author,
            value: author.slug,
            name: author.name,
        })
        .collect();
    let title = if searched {
        format!("Search: {}", params.q.trim())
    } else {
        "Search".to_owned()
    };
    let meta = PageMeta {
        title,
        description: format!("Search the journalism of {}.", frame.settings.name),
        canonical: absolute(&state, "/search"),
        // Result pages are endless and thin: crawlers may follow them but not index them.
        robots: Some("noindex, follow".to_owned()),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let context = frame.context(
        &state,
        None,
        meta,
        Vec::new(),
        None,
        json!({
            "search": {
                "params": params,
                "searched": searched && errors.is_empty(),
                "unavailable": unavailable,
                "total": total,
                "results": results,
                "errors": errors,
                "sections": sections,
                "authors": authors,
                "first": (page - 1) * RESULTS_PER_PAGE + 1,
            },
            "pagination": pagination,
        }),
    );
    let mut response = frame.render_uncached(&state, "search.html", context, status)?;
    if status == StatusCode::OK {
        // Browsers and the CDN (whose key is the whole URL) may reuse results for a minute.
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("public, max-age=60"),
        );
    }
    Ok(response)
}
