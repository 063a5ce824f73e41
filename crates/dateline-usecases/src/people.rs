//! The newsroom's people: staff accounts created, their roles changed, disabled and enabled,
//! one-time set-password links issued and used, and one's own password changed — from the
//! newsroom's admin pages and the command line (`dateline user …`).
//!
//! Who may: [`Action::ManageUsers`] (admins); the command line acts as the system. An admin
//! does not change their own role or disable themselves, and the store keeps one enabled admin
//! in the same transaction as the change.

use dateline_core::staff::{check_account, check_password};
use dateline_core::{Action, PasswordRefusal, PeopleRefusal, Refusal, Refusals, Role, StaffMember};
use dateline_db::{DbError, NewStaff};
use jiff::{SignedDuration, Timestamp};

use crate::{Actor, Context, Passwords, UseCaseError};

/// Long enough to reach someone over a weekend; short enough that an old email is harmless.
pub const PASSWORD_LINK_VALID_FOR: SignedDuration = SignedDuration::from_hours(72);

/// A new account as the admin gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountDraft {
    pub email: String,
    pub display_name: String,
    /// As the form and the command line name it: `contributor`, `author`, `editor`, `admin`.
    pub role: String,
    /// The byline they write under, by its slug; blank for none.
    pub author_slug: String,
    /// argon2id PHC string, when the account starts with a password (the command line); else
    /// they set one through a link.
    pub password_hash: Option<String>,
}

/// Creates a staff account; every problem with `draft` is reported at once.
pub async fn create_account(
    ctx: &Context,
    actor: &Actor,
    draft: &AccountDraft,
    now: Timestamp,
) -> Result<StaffMember, UseCaseError> {
    actor.require(Action::ManageUsers, false)?;
    let mut refused: Vec<Refusal> = check_account(&draft.email, &draft.display_name)
        .into_iter()
        .map(Refusal::from)
        .collect();
    let role = Role::parse(draft.role.trim());
    if role.is_none() {
        refused.push(PeopleRefusal::RoleUnknown.into());
    }
    let author_id = match draft.author_slug.trim() {
        "" => None,
        slug => match ctx.store.people().author_by_slug(slug).await? {
            Some(author) => Some(author.id),
            None => {
                refused.push(PeopleRefusal::BylineUnknown.into());
                None
            }
        },
    };
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let input = NewStaff {
        email: draft.email.clone(),
        display_name: draft.display_name.clone(),
        role: role.ok_or(UseCaseError::refused(PeopleRefusal::RoleUnknown))?,
        password_hash: draft.password_hash.clone(),
        author_id,
    };
    match ctx
        .store
        .people()
        .create_staff_as(&actor.audit(), &input, now)
        .await
    {
        Err(DbError::Duplicate(_)) => Err(UseCaseError::refused(PeopleRefusal::EmailTaken)),
        other => Ok(other?),
    }
}

/// Refuses a change of one's own account (`OwnAccount`).
fn not_self(actor: &Actor, id: i64) -> Result<(), UseCaseError> {
    match actor {
        Actor::Staff { member, .. } if member.id == id => {
            Err(UseCaseError::refused(PeopleRefusal::OwnAccount))
        }
        _ => Ok(()),
    }
}

/// Gives account `id` the role `role` (as the form names it).
pub async fn change_role(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    role: &str,
    now: Timestamp,
) -> Result<StaffMember, UseCaseError> {
    actor.require(Action::ManageUsers, false)?;
    not_self(actor, id)?;
    let role = Role::parse(role.trim()).ok_or(UseCaseError::refused(PeopleRefusal::RoleUnknown))?;
    Ok(ctx
        .store
        .people()
        .set_staff_role(id, role, &actor.audit(), now)
        .await?)
}

/// Disables account `id` (signing it out everywhere), or enables it again.
pub async fn set_disabled(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    disabled: bool,
    now: Timestamp,
) -> Result<StaffMember, UseCaseError> {
    actor.require(Action::ManageUsers, false)?;
    not_self(actor, id)?;
    Ok(ctx
        .store
        .people()
        .set_staff_disabled(id, disabled, &actor.audit(), now)
        .await?)
}

/// Records a one-time set-password link for account `id`, valid for
/// [`PASSWORD_LINK_VALID_FOR`] and replacing earlier ones. The token itself exists only in
/// the link the caller makes; the store keeps `token_digest`.
pub async fn issue_password_link(
    ctx: &Context,
    actor: &Actor,
    id: i64,
    token_digest: &str,
    now: Timestamp,
) -> Result<StaffMember, UseCaseError> {
    actor.require(Action::ManageUsers, false)?;
    let member = ctx.store.people().staff_by_id(id).await?;
    ctx.store
        .sessions()
        .create_password_link(
            id,
            token_digest,
            now + PASSWORD_LINK_VALID_FOR,
            &actor.audit(),
            now,
        )
        .await?;
    Ok(member)
}

/// A new password, typed twice.
#[derive(Clone, Default)]
pub struct NewPassword {
    pub password: String,
    pub confirm: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(…)")
    }
}

/// What is wrong with `new` as the password of the account `email`.
fn check_new(new: &NewPassword, email: &str) -> Option<Refusal> {
    match check_password(&new.password, email) {
        Err(refusal) => Some(refusal.into()),
        Ok(()) if new.password != new.confirm => Some(PasswordRefusal::Mismatch.into()),
        Ok(()) => None,
    }
}

/// `actor` changes their own password, giving the current one first. Their other sessions end
/// (`keep_session`, the one they are in, stays), and so does any set-password link still in a
/// mailbox, which would undo the change.
pub async fn change_own_password(
    ctx: &Context,
    actor: &Actor,
    current: String,
    new: &NewPassword,
    keep_session: Option<i64>,
    passwords: &impl Passwords,
    now: Timestamp,
) -> Result<(), UseCaseError> {
    actor.require(Action::ChangeOwnPassword, true)?;
    let Actor::Staff { member, .. } = actor else {
        // The platform has no password of its own.
        return Err(UseCaseError::NotPermitted {
            action: Action::ChangeOwnPassword,
            role: None,
        });
    };
    let stored = ctx.store.people().staff_password_hash(member.id).await?;
    let mut refused: Vec<Refusal> = Vec::new();
    if !passwords.verify(current, stored).await? {
        refused.push(PasswordRefusal::CurrentWrong.into());
    }
    refused.extend(check_new(new, &member.email));
    if let Some(refusals) = Refusals::from_list(refused) {
        return Err(UseCaseError::Refused(refusals));
    }
    let hash = passwords.hash(new.password.clone()).await?;
    Ok(ctx
        .store
        .people()
        .change_staff_password(member.id, &hash, keep_session, &actor.audit(), now)
        .await?)
}

/// The account whose one-time link has the digest `token_digest` sets its password. The link
/// is the credential: there is no one signed in. A link used, expired or unknown, or of a
/// disabled account, is [`UseCaseError::NotFound`]; a good one is used up, and every session
/// of the account ends.
pub async fn set_password_with_link(
    ctx: &Context,
    token_digest: &str,
    new: &NewPassword,
    passwords: &impl Passwords,
    now: Timestamp,
) -> Result<StaffMember, UseCaseError> {
    let member = ctx
        .store
        .sessions()
        .password_link_staff(token_digest, now)
        .await?
        .ok_or(UseCaseError::NotFound)?;
    if let Some(refusal) = check_new(new, &member.email) {
        return Err(UseCaseError::refused(refusal));
    }
    let hash = passwords.hash(new.password.clone()).await?;
    Ok(ctx
        .store
        .sessions()
        .use_password_link(token_digest, &hash, now)
        .await?)
}
