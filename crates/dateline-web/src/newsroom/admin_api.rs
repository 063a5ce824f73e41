//! Authentication for the Admin API (`/api/v1/admin/*`): a bearer token created by an admin,
//! acting as that admin's account with the token's role — never above the account's current role.

use axum::extract::FromRequestParts;
use dateline_core::{Action, Role, StaffMember, permits};
use dateline_db::{Actor, ApiToken};
use http::header::AUTHORIZATION;
use http::request::Parts;
use jiff::Timestamp;

use super::secrets;
use crate::{AppState, WebError};

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

    /// A 403 unless the token may take `action`.
    pub fn require(&self, action: Action, owns_subject: bool) -> Result<(), WebError> {
        if self.may(action, owns_subject) {
            Ok(())
        } else {
            Err(WebError::NotPermitted {
                role: Some(self.role()),
            })
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

impl FromRequestParts<AppState> for ApiCaller {
    /// No token, an unknown one or a revoked one: [`WebError::Unauthorized`].
    type Rejection = WebError;

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
            .ok_or(WebError::Unauthorized)?;
        match state
            .store()
            .sessions()
            .api_token_by_secret(&secrets::token_digest(secret), Timestamp::now())
            .await
        {
            Ok(Some((token, acting_as))) => Ok(ApiCaller { token, acting_as }),
            Ok(None) => Err(WebError::Unauthorized),
            Err(error) => Err(WebError::from(error)),
        }
    }
}
