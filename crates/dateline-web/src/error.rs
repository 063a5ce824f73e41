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
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// What was sent breaks a rule; the message says which (a form handler that can show the
    /// form again does so itself).
    #[error("{0}")]
    Refused(dateline_core::Refusals),
    /// Someone saved a newer version first.
    #[error("changed by someone else (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error("{0}")]
    Internal(String),
    /// A bound on slow work (password hashing) stayed full: retry shortly.
    #[error("busy")]
    Busy,
}

impl From<dateline_usecases::UseCaseError> for WebError {
    fn from(error: dateline_usecases::UseCaseError) -> Self {
        use dateline_usecases::UseCaseError as E;
        match error {
            E::Refused(refusals) => Self::Refused(refusals),
            E::NotFound => Self::NotFound,
            E::Conflict { current_version } => Self::Conflict { current_version },
            E::Store(error) => Self::Store(error),
            E::Media(error) => Self::Media(error),
            E::NotPermitted { .. } => Self::Forbidden(error.to_string()),
            E::Crypto(error) => Self::Internal(error),
            E::Busy => Self::Busy,
            E::Failed(cause) => Self::Internal(cause),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        match self {
            // Handlers render the themed 404 themselves; this is the bare fallback.
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found").into_response(),
            Self::BadRequest(message) => (StatusCode::BAD_REQUEST, message).into_response(),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed").into_response(),
            Self::Refused(refusals) => {
                (StatusCode::UNPROCESSABLE_ENTITY, refusals.to_string()).into_response()
            }
            Self::Conflict { .. } => (StatusCode::CONFLICT, self.to_string()).into_response(),
            // RFC 9110 §15.6.4 and §10.2.3: come back in a few seconds.
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                [(http::header::RETRY_AFTER, "5")],
                "We are very busy right now. Try again in a moment.",
            )
                .into_response(),
            Self::Store(dateline_db::DbError::NotFound) => {
                (StatusCode::NOT_FOUND, "Not found").into_response()
            }
            other => {
                // The one place a failed request is logged, with every cause under it (a
                // database error's driver message, an I/O error's errno).
                tracing::error!(error = %with_causes(&other), "request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Something went wrong on our side. Please try again in a moment.",
                )
                    .into_response()
            }
        }
    }
}

/// A use case's refusals beside the form fields they concern, as a form shows them (a message
/// about the whole form goes under `whole_form`); any other error goes back to the handler.
pub(crate) fn field_errors(
    error: dateline_usecases::UseCaseError,
    whole_form: &'static str,
) -> Result<serde_json::Map<String, serde_json::Value>, dateline_usecases::UseCaseError> {
    match error {
        dateline_usecases::UseCaseError::Refused(refusals) => Ok(refusals
            .by_field()
            .into_iter()
            .map(|(field, message)| {
                (
                    field
                        .map_or(whole_form, dateline_core::Field::as_str)
                        .to_owned(),
                    serde_json::Value::from(message),
                )
            })
            .collect()),
        other => Err(other),
    }
}

/// `error: its cause: its cause's cause…`, skipping a cause whose words the error already
/// shows (`#[error(transparent)]` and `{0}` repeat them).
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut next = error.source();
    while let Some(cause) = next {
        let words = cause.to_string();
        if !text.contains(&words) {
            text.push_str(": ");
            text.push_str(&words);
        }
        next = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_error_carries_its_causes_once() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "disk says no");
        let media = dateline_storage::MediaError::Storage("cannot write audio/x.mp3".to_owned());
        let error = WebError::Media(media);
        assert_eq!(
            with_causes(&error),
            "Media storage failed: cannot write audio/x.mp3"
        );
        #[derive(Debug, thiserror::Error)]
        #[error("writing the page")]
        struct Outer(#[source] std::io::Error);
        assert_eq!(with_causes(&Outer(io)), "writing the page: disk says no");
    }
}
