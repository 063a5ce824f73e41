//! Staff sessions in the newsroom: started once the sign-in door has checked the password
//! (within its limits on guessing, which are that door's, in `dateline-web`), noted as used,
//! and ended at sign-out. The session token itself exists only in the cookie; the store keeps
//! its digest.

use dateline_core::{Action, StaffMember, permits};
use dateline_db::SessionLimits;
use jiff::Timestamp;

use crate::{Context, UseCaseError};

/// Starts a session for `member`, whose password the door has just checked; its id. A disabled
/// account, or one whose role may not open the newsroom, gets none.
pub async fn start(
    ctx: &Context,
    member: &StaffMember,
    token_digest: &str,
    csrf_token: &str,
    limits: SessionLimits,
    now: Timestamp,
) -> Result<i64, UseCaseError> {
    if member.disabled_at.is_some() || !permits(member.role, Action::UseNewsroom, true) {
        return Err(UseCaseError::NotPermitted {
            action: Action::UseNewsroom,
            role: Some(member.role),
        });
    }
    Ok(ctx
        .store
        .sessions()
        .create_session(member.id, token_digest, csrf_token, limits, now)
        .await?)
}

/// Notes that session `id` was used at `now`: its idle timeout counts from here.
pub async fn touch(ctx: &Context, id: i64, now: Timestamp) -> Result<(), UseCaseError> {
    Ok(ctx.store.sessions().touch_session(id, now).await?)
}

/// Ends the session whose token has the digest `token_digest` (sign-out). Ending one that is
/// over already changes nothing.
pub async fn end(ctx: &Context, token_digest: &str, now: Timestamp) -> Result<(), UseCaseError> {
    Ok(ctx
        .store
        .sessions()
        .revoke_session(token_digest, now)
        .await?)
}
