//! The one place where errors become HTTP answers. Readers see a short message; the cause goes
//! to the log.

use axum::response::{IntoResponse, Response};
use http::StatusCode;

#[derive(Debug, thiserror::Error)]
pub enum WebError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error(transparent)]
    Store(#[from] dateline_db::DbError),
    #[error(transparent)]
    Media(#[from] dateline_storage::MediaError),
    #[error(transparent)]
    Theme(#[from] crate::theme::ThemeError),
    #[error("template: {0}")]
    Render(#[from] minijinja::Error),
    #[error(transparent)]
    Search(#[from] dateline_search::SearchError),
    #[error("background task: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            // Handlers render the themed 404 themselves; this is the bare fallback.
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found").into_response(),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, message).into_response(),
            Self::Store(dateline_db::DbError::NotFound) => {
                (StatusCode::NOT_FOUND, "Not found").into_response()
            }
            other => {
                tracing::error!(error = %other, "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.",
                )
                    .into_response()
            }
        }
    }
}
