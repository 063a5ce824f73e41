//! Reader accounts, the commenters: signing up, the one-time links that verify an address or
//! sign in, sessions, a new display name, and deleting the account.
//!
//! A reader acts only on their own account: the door passes the [`Reader`] its session (or a
//! link) proved, never an id someone typed. Sending the emails and the limits per client
//! address are the door's; hashing is too, behind [`Passwords`].

use dateline_core::comments::check_display_name;
use dateline_core::staff::{check_password, plausible_email};
use dateline_core::{ReaderRefusal, Refusal, Refusals};
use dateline_db::{DbError, NewReader, Reader, ReaderLinkPurpose, SessionLimits};
use jiff::{SignedDuration, Timestamp};

use crate::{Context, Passwords, UseCaseError};

/// How long a link confirming an address works: long enough for a weekend.
pub const VERIFY_LINK_VALID_FOR: SignedDuration = SignedDuration::from_hours(48);
/// How long an emailed sign-in link works: it is as good as the password.
pub const SIGN_IN_LINK_VALID_FOR: SignedDuration = SignedDuration::from_mins(20);

/// A new account as typed.
#[derive(Clone, Default)]
pub struct ReaderDraft {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

impl std::fmt::Debug for ReaderDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderDraft")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .finish_non_exhaustive()
    }
}

/// What a sign-up came to. The door answers both the same way, after the same work, so the
/// form says nothing about which addresses have accounts; the owner learns which by email.
#[derive(Debug, Clone)]
pub enum SignedUp {
    /// A new, unverified account: send it the link that confirms the address.
    New(Reader),
    /// The address has an account already: tell its owner.
    AddressTaken,
}

/// Creates an unverified account; every problem with `draft` is reported at once, before any
/// password is hashed.
pub async fn sign_up(
    ctx: &Context,
    draft: &ReaderDraft,
    passwords: &impl Passwords,
    now: Timestamp,
) -> Result<SignedUp, UseCaseError> {
    let mut refused: Vec<Refusal> = Vec::new();
    if !plausible_email(&draft.email) {
        refused.push(ReaderRefusal::EmailInvalid.into());
    }
    if let Err(refusal) = check_display_name(&draft.display_name) {
        refused.push(refusal.into());
    }
    if let Err(refusal) = check_password(&draft.password, &draft.email) {
        refused.push(refusal.into());
    }
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let password_hash = passwords.hash(draft.password.clone()).await?;
    let input = NewReader {
        email: draft.email.clone(),
        display_name: draft.display_name.clone(),
        password_hash,
    };
    match ctx.store.people().create_reader(&input, now).await {
        Ok(reader) => Ok(SignedUp::New(reader)),
        Err(DbError::Duplicate(_)) => Ok(SignedUp::AddressTaken),
        Err(error) => Err(error.into()),
    }
}

/// Records a one-time link for `reader` whose token has the digest `token_digest`, valid for
/// its purpose's time and replacing the earlier unused ones; the door puts the token in an
/// email. Asking for a verification link when the address is verified changes nothing
/// (`false`).
pub async fn issue_link(
    ctx: &Context,
    reader: &Reader,
    purpose: ReaderLinkPurpose,
    token_digest: &str,
    now: Timestamp,
) -> Result<bool, UseCaseError> {
    let valid_for = match purpose {
        ReaderLinkPurpose::Verify if reader.verified_at.is_some() => return Ok(false),
        ReaderLinkPurpose::Verify => VERIFY_LINK_VALID_FOR,
        ReaderLinkPurpose::SignIn => SIGN_IN_LINK_VALID_FOR,
    };
    ctx.store
        .sessions()
        .create_reader_link(reader.id, token_digest, purpose, valid_for, now)
        .await?;
    Ok(true)
}

/// Uses a link once. Either purpose proves the reader owns the address, so both verify it; a
/// link used, expired, of the other purpose or of a deleted account is
/// [`UseCaseError::NotFound`]. The door signs the reader in after a sign-in link.
pub async fn use_link(
    ctx: &Context,
    token_digest: &str,
    purpose: ReaderLinkPurpose,
    now: Timestamp,
) -> Result<Reader, UseCaseError> {
    Ok(ctx
        .store
        .sessions()
        .use_reader_link(token_digest, purpose, now)
        .await?)
}

/// Starts a session for `reader`, whom the door has just signed in (password or link).
pub async fn start_session(
    ctx: &Context,
    reader: &Reader,
    token_digest: &str,
    csrf_token: &str,
    limits: SessionLimits,
    now: Timestamp,
) -> Result<i64, UseCaseError> {
    if reader.deleted_at.is_some() {
        return Err(UseCaseError::NotFound);
    }
    Ok(ctx
        .store
        .sessions()
        .create_reader_session(reader.id, token_digest, csrf_token, limits, now)
        .await?)
}

/// Notes that session `id` was used at `now`: its idle timeout counts from here.
pub async fn touch_session(ctx: &Context, id: i64, now: Timestamp) -> Result<(), UseCaseError> {
    Ok(ctx.store.sessions().touch_reader_session(id, now).await?)
}

/// Ends the session whose token has the digest `token_digest` (sign-out).
pub async fn end_session(
    ctx: &Context,
    token_digest: &str,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    Ok(ctx
        .store
        .sessions()
        .revoke_reader_session(token_digest, now)
        .await?)
}

/// Changes the name on all of `reader`'s comments (it is not copied onto each).
pub async fn rename(
    ctx: &Context,
    reader: &Reader,
    display_name: &str,
    now: Timestamp,
) -> Result<Reader, UseCaseError> {
    let name = check_display_name(display_name).map_err(UseCaseError::refused)?;
    Ok(ctx
        .store
        .people()
        .rename_reader(reader.id, &name, now)
        .await?)
}

/// Deletes `reader`'s account, when they confirmed it: their comments become tombstones
/// (replies keep their place), their reports and sessions go, nothing personal stays.
pub async fn delete_account(
    ctx: &Context,
    reader: &Reader,
    confirmed: bool,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    if !confirmed {
        return Err(UseCaseError::refused(ReaderRefusal::DeletionNotConfirmed));
    }
    Ok(ctx.store.people().delete_reader(reader.id, now).await?)
}
