//! Dateline's use cases: every change a person or program makes is one function here.
//!
//! A use case takes the [`Context`] (the store and media), the [`Actor`] who acts, what they
//! gave, and `now`; it validates, checks permission with [`dateline_core::permits`], writes in
//! one store transaction (which appends to the `changes` log and queues the jobs the change
//! needs) and answers with the outcome or a [`UseCaseError`]. The newsroom's forms, the Admin
//! API, the command line, background jobs and importers all call these same functions, so a
//! rule holds whichever door a change comes through.
//!
//! Adding a use case: a function in the module of its area, `pub async fn verb(ctx, actor, …,
//! now) -> Result<Outcome, UseCaseError>`; refusals are typed in `dateline_core::refusal`;
//! permission first for what the actor may not even see, validation next, then the write.

pub mod articles;
pub mod authors;
pub mod comments;
pub mod import;
pub mod library;
pub mod live;
pub mod narration;
pub mod pages;
pub mod people;
pub mod presence;
pub mod readers;
pub mod sessions;
pub mod site;
pub mod site_import;
pub mod tips;
pub mod tokens;

use dateline_core::{Action, Refusal, Refusals, Role, StaffMember, permits};
use dateline_db::{DbError, Owner, Store};
use dateline_storage::{MediaError, MediaStore};

/// What use cases work with. Cheap to clone.
#[derive(Clone)]
pub struct Context {
    pub store: Store,
    pub media: MediaStore,
}

impl Context {
    pub fn new(store: Store, media: MediaStore) -> Self {
        Self { store, media }
    }
}

/// Who makes a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// A staff member, in the newsroom or through an Admin API token (whose role may be lower
    /// than its creator's).
    Staff {
        member: StaffMember,
        /// The role that applies now: the account's, or a token's capped by its account's.
        role: Role,
        /// How the audit log names them, e.g. "Ana Ruiz (API token deploy-bot)".
        label: String,
    },
    /// The platform itself: the scheduler, an import, the demo loader, the command line. It is
    /// trusted with every action; only code the operator runs acts as the system.
    System(String),
}

impl Actor {
    pub fn staff(member: StaffMember) -> Self {
        Self::Staff {
            role: member.role,
            label: member.display_name.clone(),
            member,
        }
    }

    /// A token acts with its own role capped by its creator's current role, so demoting someone
    /// demotes their tokens too.
    pub fn api_token(member: StaffMember, token_role: Role, token_name: &str) -> Self {
        Self::Staff {
            role: token_role.min(member.role),
            label: format!("{} (API token {token_name})", member.display_name),
            member,
        }
    }

    pub fn system(name: impl Into<String>) -> Self {
        Self::System(name.into())
    }

    /// Whether this actor may take `action`; `owns_subject` as in [`dateline_core::permits`].
    pub fn may(&self, action: Action, owns_subject: bool) -> bool {
        match self {
            Self::Staff { role, .. } => permits(*role, action, owns_subject),
            Self::System(_) => true,
        }
    }

    pub fn require(&self, action: Action, owns_subject: bool) -> Result<(), UseCaseError> {
        if self.may(action, owns_subject) {
            Ok(())
        } else {
            Err(UseCaseError::NotPermitted {
                action,
                role: self.role(),
            })
        }
    }

    pub fn role(&self) -> Option<Role> {
        match self {
            Self::Staff { role, .. } => Some(*role),
            Self::System(_) => None,
        }
    }

    /// The byline this actor writes under.
    pub fn own_author(&self) -> Option<i64> {
        match self {
            Self::Staff { member, .. } => member.author_id,
            Self::System(_) => None,
        }
    }

    /// Whose work "one's own" is, for [`dateline_db::Articles::owned_by`].
    pub fn owner(&self) -> Option<Owner> {
        match self {
            Self::Staff { member, .. } => Some(Owner {
                staff_id: member.id,
                author_id: member.author_id,
            }),
            Self::System(_) => None,
        }
    }

    /// How revisions and the audit log record this actor.
    pub fn audit(&self) -> dateline_db::Actor {
        match self {
            Self::Staff { member, label, .. } => dateline_db::Actor::staff(member.id, label),
            Self::System(name) => dateline_db::Actor::system(name),
        }
    }
}

/// Password hashing as the door that asks provides it. argon2id is slow and memory-hungry by
/// design, so each door runs it off the async threads within its own bound on concurrent
/// hashes, and answers [`UseCaseError::Busy`] when none comes free in time.
pub trait Passwords: Sync {
    /// An argon2id PHC string for `password`, with a fresh salt.
    fn hash(
        &self,
        password: String,
    ) -> impl std::future::Future<Output = Result<String, UseCaseError>> + Send;

    /// Whether `password` matches the PHC string `stored`; `None` (no password set) never
    /// matches, after the same work, so the answer's time says nothing of which it was.
    fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> impl std::future::Future<Output = Result<bool, UseCaseError>> + Send;
}

/// Why a use case did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum UseCaseError {
    /// What was given breaks a rule; each refusal names its field.
    #[error("{0}")]
    Refused(Refusals),
    #[error("{} may not {action:?}", role.map_or("the platform", Role::as_str))]
    NotPermitted { action: Action, role: Option<Role> },
    #[error("not found")]
    NotFound,
    /// Someone saved a newer version first (optimistic locking).
    #[error("changed by someone else (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error(transparent)]
    Store(DbError),
    #[error(transparent)]
    Media(#[from] MediaError),
    /// The tips' cryptography failed (a key that does not parse, randomness unavailable): never
    /// the person's doing.
    #[error("tips cryptography: {0}")]
    Crypto(String),
    /// The door's bound on slow work (password hashing) stayed full: nothing was done, and the
    /// same request shortly will do.
    #[error("too busy to do this now; try again in a moment")]
    Busy,
    /// Slow work the door did for the use case failed (hashing); nothing was written.
    #[error("{0}")]
    Failed(String),
}

impl UseCaseError {
    pub fn refused(refusal: impl Into<Refusal>) -> Self {
        Self::Refused(Refusals::from(refusal.into()))
    }

    /// The refusals, if that is why.
    pub fn refusals(&self) -> Option<&Refusals> {
        match self {
            Self::Refused(refusals) => Some(refusals),
            _ => None,
        }
    }
}

impl From<DbError> for UseCaseError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound => Self::NotFound,
            DbError::Conflict { current_version } => Self::Conflict { current_version },
            DbError::Refused(refusals) => Self::Refused(refusals),
            DbError::Workflow(refusal) => Self::refused(refusal),
            DbError::Comment(refusal) => Self::refused(refusal),
            other => Self::Store(other),
        }
    }
}

impl From<Refusals> for UseCaseError {
    fn from(refusals: Refusals) -> Self {
        Self::Refused(refusals)
    }
}
