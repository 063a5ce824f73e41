//! Admin API tokens: created and revoked by admins ([`Action::ManageApiTokens`]).
//!
//! A token acts as the staff member who created it, with a role no higher than theirs (and
//! capped again by their role at every use, `Actor::api_token`), and it expires: a credential
//! that never has to be renewed is one nobody notices has leaked.

use dateline_core::staff::check_token_name;
use dateline_core::{Action, Refusal, Refusals, Role, TokenRefusal};
use dateline_db::ApiToken;
use jiff::{SignedDuration, Timestamp};

use crate::{Actor, Context, UseCaseError};

/// The lifetimes a new token may have, in days: the newsroom offers these and nothing else.
pub const LIFETIMES_DAYS: [i64; 5] = [7, 30, 90, 180, 365];

/// The lifetime when none is chosen, in days (the store's `API_TOKEN_DEFAULT_LIFETIME`).
pub fn default_lifetime_days() -> i64 {
    dateline_db::API_TOKEN_DEFAULT_LIFETIME.as_hours() / 24
}

/// A new token as the admin gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenDraft {
    /// Says what uses it, e.g. "wire importer".
    pub name: String,
    /// As the form names it: `contributor` … `admin`.
    pub role: String,
    /// One of [`LIFETIMES_DAYS`]; blank for [`default_lifetime_days`].
    pub expires_in_days: String,
}

/// Creates a token acting as `actor`. The secret exists only in what the caller hands out; the
/// store keeps `secret_digest`. Every problem with `draft` is reported at once.
pub async fn create(
    ctx: &Context,
    actor: &Actor,
    draft: &TokenDraft,
    secret_digest: &str,
    now: Timestamp,
) -> Result<ApiToken, UseCaseError> {
    actor.require(Action::ManageApiTokens, false)?;
    // A token acts as a person; the platform has no account for it to act as.
    let Some(actor_role) = actor.role() else {
        return Err(UseCaseError::NotPermitted {
            action: Action::ManageApiTokens,
            role: None,
        });
    };
    let mut refused: Vec<Refusal> = Vec::new();
    if let Err(refusal) = check_token_name(&draft.name) {
        refused.push(refusal.into());
    }
    let role = Role::parse(draft.role.trim()).filter(|role| *role <= actor_role);
    if role.is_none() {
        refused.push(TokenRefusal::RoleAboveYours.into());
    }
    let days = match draft.expires_in_days.trim() {
        "" => Some(default_lifetime_days()),
        typed => typed
            .parse::<i64>()
            .ok()
            .filter(|days| LIFETIMES_DAYS.contains(days)),
    };
    if days.is_none() {
        refused.push(TokenRefusal::LifetimeUnknown.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let (Some(role), Some(days)) = (role, days) else {
        return Err(UseCaseError::refused(TokenRefusal::LifetimeUnknown));
    };
    let expires_at = now + SignedDuration::from_hours(24 * days);
    Ok(ctx
        .store
        .sessions()
        .create_api_token(
            draft.name.trim(),
            role,
            secret_digest,
            expires_at,
            &actor.audit(),
            now,
        )
        .await?)
}

/// Revokes token `id`: it opens nothing from now on. A token revoked already, or none with
/// that id, is [`UseCaseError::NotFound`].
pub async fn revoke(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ManageApiTokens, false)?;
    Ok(ctx
        .store
        .sessions()
        .revoke_api_token(id, &actor.audit(), now)
        .await?)
}
