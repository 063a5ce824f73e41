//! Authentication for the Admin API (`/api/v1/admin/*`): a bearer token created by an admin,
//! acting as that admin's account with the token's role — never above the account's current role.

use axum::Json;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use dateline_core::{Action, Role, StaffMember, permits};
use dateline_db::{Actor, ApiToken};
use http::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use jiff::Timestamp;
use serde_json::json;

use super::secrets;
use crate::AppState;

/// The caller of an Admin API endpoint. Take it as an extractor; then call
/// [`ApiCaller::require`] with the action the endpoint performs.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub token: ApiToken,
    /// The account the token acts as (its creator); audit entries name this person.
    pub acting_as: StaffMember,
}

impl ApiCaller {
    /// The role the token may use now: its own, capped by its creator's current role, so that
    /// demoting someone demotes their tokens too.
    pub fn role(&self) -> Role {
        self.token.role.min(self.acting_as.role)
    }

    pub fn may(&self, action: Action, owns_subject: bool) -> bool {
        permits(self.role(), action, owns_subject)
    }

    /// A JSON 403 unless the token may take `action`.
    pub fn require(&self, action: Action, owns_subject: bool) -> Result<(), ApiAuthError> {
        if self.may(action, owns_subject) {
            Ok(())
        } else {
            Err(ApiAuthError::Forbidden(self.role()))
        }
    }

    /// The token as the use cases know it: its account, with the token's capped role.
    pub fn as_actor(&self) -> dateline_usecases::Actor {
        dateline_usecases::Actor::api_token(
            self.acting_as.clone(),
            self.token.role,
            &self.token.name,
        )
    }

    pub fn actor(&self) -> Actor {
        Actor::staff(
            self.acting_as.id,
            format!(
                "{} (API token {})",
                self.acting_as.display_name, self.token.name
            ),
        )
    }
}

/// Why an Admin API request was refused, as the Content API's `{"error": {code, message}}`.
#[derive(Debug)]
pub enum ApiAuthError {
    /// No token, an unknown one, or a revoked one: 401 with `WWW-Authenticate: Bearer`
    /// (RFC 6750 §3).
    Unauthorized,
    Forbidden(Role),
    Internal,
}

impl IntoResponse for ApiAuthError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Send a valid API token: Authorization: Bearer <token>.".to_owned(),
            ),
            Self::Forbidden(role) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("A token with the role {role} may not do this."),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Something went wrong on our side.".to_owned(),
            ),
        };
        let mut response = (
            status,
            Json(json!({ "error": { "code": code, "message": message } })),
        )
            .into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"dateline-admin\""),
            );
        }
        response
    }
}

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiAuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, token) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
            })
            .filter(|token| !token.is_empty() && token.len() <= 256)
            .ok_or(ApiAuthError::Unauthorized)?;
        match state
            .store()
            .api_token_by_secret(&secrets::token_digest(secret), Timestamp::now())
            .await
        {
            Ok(Some((token, acting_as))) => Ok(ApiCaller { token, acting_as }),
            Ok(None) => Err(ApiAuthError::Unauthorized),
            Err(error) => {
                tracing::error!(%error, "could not check an API token");
                Err(ApiAuthError::Internal)
            }
        }
    }
}
