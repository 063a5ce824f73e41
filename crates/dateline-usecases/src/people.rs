//! The newsroom's people: staff accounts created, their roles changed, disabled and enabled,
//! and one-time set-password links issued — from the newsroom's admin pages and the command
//! line (`dateline user …`).
//!
//! Who may: [`Action::ManageUsers`] (admins); the command line acts as the system. An admin
//! does not change their own role or disable themselves, and the store keeps one enabled admin
//! in the same transaction as the change.

use dateline_core::staff::check_account;
use dateline_core::{Action, PeopleRefusal, Refusal, Refusals, Role, StaffMember};
use dateline_db::{DbError, NewStaff};
use jiff::{SignedDuration, Timestamp};

use crate::{Actor, Context, UseCaseError};

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
        slug => match ctx.store.author_by_slug(slug).await? {
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
    match ctx.store.create_staff_as(&actor.audit(), &input, now).await {
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
    let member = ctx.store.staff_by_id(id).await?;
    ctx.store
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
