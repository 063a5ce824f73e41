//! What the editor's type-aheads ask for as a writer types: the newsroom's existing tags, most
//! used first (`GET /newsroom/tags?q=…`, JSON).

use axum::Json;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use dateline_core::Action;
use serde::Deserialize;
use serde_json::json;

use super::{CurrentStaff, WebError};
use crate::AppState;

/// Suggestions one answer offers; a type-ahead shows fewer.
const TAG_SUGGESTIONS: i64 = 12;
/// Longer input matches no tag; it is cut before it reaches the store.
const QUERY_MAX_CHARS: usize = 100;

#[derive(Deserialize, Default)]
pub struct TagQuery {
    #[serde(default)]
    q: String,
}

pub async fn tags(
    State(state): State<AppState>,
    staff: CurrentStaff,
    Query(query): Query<TagQuery>,
) -> Result<Response, WebError> {
    staff.require(Action::CreateDraft)?;
    let text: String = query.q.trim().chars().take(QUERY_MAX_CHARS).collect();
    let tags = state
        .store()
        .articles()
        .tag_suggestions(&text, TAG_SUGGESTIONS)
        .await?;
    Ok(Json(json!({ "tags": tags })).into_response())
}
