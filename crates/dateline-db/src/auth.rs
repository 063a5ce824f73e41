//! Signing in to the newsroom: sessions, sign-in attempts, one-time set-password links, Admin
//! API tokens, and the staff changes that must be audited (role, disable, password).
//!
//! Secrets never reach this module: callers pass the SHA-256 digest of a random token (sessions,
//! links, API tokens) or an argon2id PHC string (passwords). Every change to who may do what is
//! written to the audit log in the same transaction.

use dateline_core::{Role, StaffMember, TokenRefusal};
use jiff::{SignedDuration, Timestamp};

use crate::audit::record_audit;
use crate::staff::{STAFF_COLUMNS, StaffRow};
use crate::{
    Actor, AuditEntry, DbError, NewStaff, People, Result, Sessions, on_reader, on_writer, to_micros,
};

/// A signed-in staff member's session, as loaded for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSession {
    pub id: i64,
    pub staff: StaffMember,
    pub csrf_token: String,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How long sessions live: an absolute limit from sign-in, and an idle limit since the last
/// request.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub lifetime: SignedDuration,
    pub idle_timeout: SignedDuration,
}

/// Whose sign-in form an attempt came through: staff and readers are counted apart, so a flood
/// at the readers' door never closes the newsroom's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignInSide {
    Staff,
    Reader,
}

impl SignInSide {
    fn as_str(self) -> &'static str {
        match self {
            SignInSide::Staff => "staff",
            SignInSide::Reader => "reader",
        }
    }
}

/// How long an Admin API token lives when its creator does not choose.
pub const API_TOKEN_DEFAULT_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 90);
/// The longest an Admin API token may live: a credential that never has to be renewed is one
/// nobody notices has leaked.
pub const API_TOKEN_MAX_LIFETIME: SignedDuration = SignedDuration::from_hours(24 * 366);

/// An Admin API token, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_by: i64,
    pub created_by_name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
    /// After this the token no longer opens anything.
    pub expires_at: Timestamp,
}

impl ApiToken {
    /// Whether the token opens the Admin API at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    session_id: i64,
    csrf_token: String,
    session_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    staff: StaffRow,
}

#[derive(sqlx::FromRow)]
struct ApiTokenRow {
    id: i64,
    name: String,
    role: String,
    created_by: i64,
    created_by_name: String,
    created_at: i64,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    expires_at: i64,
}

impl TryFrom<ApiTokenRow> for ApiToken {
    type Error = DbError;

    fn try_from(row: ApiTokenRow) -> Result<Self> {
        Ok(ApiToken {
            id: row.id,
            name: row.name,
            role: parse_role(&row.role)?,
            created_by: row.created_by,
            created_by_name: row.created_by_name,
            created_at: crate::from_micros(row.created_at),
            last_used_at: row.last_used_at.map(crate::from_micros),
            revoked_at: row.revoked_at.map(crate::from_micros),
            expires_at: crate::from_micros(row.expires_at),
        })
    }
}

fn refused(refusal: TokenRefusal) -> DbError {
    DbError::Refused(refusal.into())
}

fn parse_role(text: &str) -> Result<Role> {
    Role::parse(text).ok_or_else(|| DbError::Invalid(format!("unknown staff role {text:?}")))
}

/// A token made by a node on the release before expiry existed has none stored: it lives the
/// default lifetime from its creation.
fn api_token_columns() -> String {
    format!(
        "t.id, t.name, t.role, t.created_by, s.display_name AS created_by_name, \
         t.created_at, t.last_used_at, t.revoked_at, \
         COALESCE(t.expires_at, t.created_at + {}) AS expires_at",
        API_TOKEN_DEFAULT_LIFETIME.as_micros()
    )
}

/// Revokes every live session of `$staff_id` except `$keep` (an `Option<i64>`), in `$tx`.
macro_rules! revoke_sessions {
    ($tx:expr, $staff_id:expr, $keep:expr, $now:expr) => {
        sqlx::query(
            "UPDATE staff_sessions SET revoked_at = $1 \
             WHERE staff_id = $2 AND revoked_at IS NULL AND id <> $3",
        )
        .bind(to_micros($now))
        .bind($staff_id)
        .bind($keep.unwrap_or(-1))
        .execute(&mut *$tx)
        .await?
    };
}

/// Marks every unused set-password link of `$staff_id` as used, in `$tx`.
macro_rules! revoke_password_links {
    ($tx:expr, $staff_id:expr, $now:expr) => {
        sqlx::query(
            "UPDATE staff_password_links SET used_at = $1 \
             WHERE staff_id = $2 AND used_at IS NULL",
        )
        .bind(to_micros($now))
        .bind($staff_id)
        .execute(&mut *$tx)
        .await?
    };
}

/// Loads a staff row in `$tx`, for changes that check the account's current state first.
macro_rules! staff_in_tx {
    ($tx:expr, $id:expr) => {{
        let row: StaffRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {STAFF_COLUMNS} FROM staff WHERE id = $1"
        )))
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        StaffMember::try_from(row)?
    }};
}

/// Refuses a change that would leave the newsroom without an enabled admin, in `$tx`.
macro_rules! keep_one_admin {
    ($tx:expr, $staff:expr) => {{
        let staff: &StaffMember = &$staff;
        if staff.role == Role::Admin && staff.disabled_at.is_none() {
            let others: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM staff \
                 WHERE role = 'admin' AND disabled_at IS NULL AND id <> $1",
            )
            .bind(staff.id)
            .fetch_one(&mut *$tx)
            .await?;
            if others == 0 {
                return Err(DbError::Refused(
                    dateline_core::PeopleRefusal::LastAdmin.into(),
                ));
            }
        }
    }};
}

impl People<'_> {
    /// Creates a staff account and records who created it.
    pub async fn create_staff_as(
        self,
        actor: &Actor,
        input: &NewStaff,
        now: Timestamp,
    ) -> Result<StaffMember> {
        crate::staff::check_staff_input(input)?;
        let sql = format!(
            "INSERT INTO staff (email, display_name, role, password_hash, author_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING {STAFF_COLUMNS}"
        );
        let staff = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let row: StaffRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(crate::normalise_email(&input.email))
                .bind(input.display_name.trim())
                .bind(input.role.as_str())
                .bind(&input.password_hash)
                .bind(input.author_id)
                .bind(to_micros(now))
                .fetch_one(&mut *tx)
                .await?;
            let staff = StaffMember::try_from(row)?;
            record_audit!(tx, now, AuditEntry::about(actor, "staff.create", "staff", staff.id, format!("{} <{}> as {}", staff.display_name, staff.email, staff.role)));
            tx.commit().await?;
            staff
        });
        Ok(staff)
    }

    /// Changes a staff member's role; the last enabled admin cannot be demoted.
    pub async fn set_staff_role(
        self,
        id: i64,
        role: Role,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<StaffMember> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = staff_in_tx!(tx, id);
            if before.role == role {
                return Ok(before);
            }
            if role != Role::Admin {
                keep_one_admin!(tx, before);
            }
            sqlx::query("UPDATE staff SET role = $1 WHERE id = $2")
                .bind(role.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "staff.role", "staff", id, format!("{}: role {} → {}", before.display_name, before.role, role)));
            tx.commit().await?;
        });
        self.staff_by_id(id).await
    }

    /// Disables (signing out everywhere) or re-enables an account; the last enabled admin cannot
    /// be disabled.
    pub async fn set_staff_disabled(
        self,
        id: i64,
        disabled: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<StaffMember> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before = staff_in_tx!(tx, id);
            if before.disabled_at.is_some() == disabled {
                return Ok(before);
            }
            if disabled {
                keep_one_admin!(tx, before);
                revoke_sessions!(tx, id, None::<i64>, now);
            }
            sqlx::query("UPDATE staff SET disabled_at = $1 WHERE id = $2")
                .bind(disabled.then(|| to_micros(now)))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            record_audit!(tx, now, AuditEntry {
                actor: actor.clone(),
                action: if disabled { "staff.disable" } else { "staff.enable" }.to_owned(),
                subject_kind: "staff".to_owned(),
                subject_id: Some(id),
                detail: before.display_name.clone(),
            });
            tx.commit().await?;
        });
        self.staff_by_id(id).await
    }

    /// Sets a new password hash, signs the account out everywhere except `keep_session`, clears
    /// failed sign-ins, and records it.
    pub async fn change_staff_password(
        self,
        id: i64,
        password_hash: &str,
        keep_session: Option<i64>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let staff = staff_in_tx!(tx, id);
            sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            revoke_sessions!(tx, id, keep_session, now);
            // A set-password link still lying in someone's mailbox would undo this change.
            revoke_password_links!(tx, id, now);
            record_audit!(tx, now, AuditEntry::about(actor, "staff.password", "staff", id, format!("{}: password set", staff.display_name)));
            tx.commit().await?;
        });
        Ok(())
    }
}

impl Sessions<'_> {
    // ----- sessions -----

    /// Starts a session; returns its id.
    pub async fn create_session(
        self,
        staff_id: i64,
        token_hash: &str,
        csrf_token: &str,
        limits: SessionLimits,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO staff_sessions \
                 (token_hash, staff_id, csrf_token, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            )
            .bind(token_hash)
            .bind(staff_id)
            .bind(csrf_token)
            .bind(to_micros(now))
            .bind(to_micros(now + limits.lifetime))
            .fetch_one(&mut *tx)
            .await?;
            // Old sessions are kept for a day after they end, then forgotten.
            sqlx::query(
                "DELETE FROM staff_sessions WHERE staff_id = $1 \
                 AND (expires_at < $2 OR revoked_at < $2)",
            )
            .bind(staff_id)
            .bind(to_micros(now - SignedDuration::from_hours(24)))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The live session with this token digest: not revoked, not expired, not idle too long, of
    /// an enabled account.
    pub async fn session(
        self,
        token_hash: &str,
        limits: SessionLimits,
        now: Timestamp,
    ) -> Result<Option<StaffSession>> {
        let sql = format!(
            "SELECT ss.id AS session_id, ss.csrf_token, ss.created_at AS session_created_at, \
             ss.last_seen_at, ss.expires_at, {} \
             FROM staff_sessions ss JOIN staff ON staff.id = ss.staff_id \
             WHERE ss.token_hash = $1 AND ss.revoked_at IS NULL AND ss.expires_at > $2 \
             AND ss.last_seen_at > $3 AND staff.disabled_at IS NULL",
            qualified_staff_columns()
        );
        let row: Option<SessionRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .bind(to_micros(now))
                .bind(to_micros(now - limits.idle_timeout))
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            Ok(StaffSession {
                id: row.session_id,
                csrf_token: row.csrf_token,
                created_at: crate::from_micros(row.session_created_at),
                last_seen_at: crate::from_micros(row.last_seen_at),
                expires_at: crate::from_micros(row.expires_at),
                staff: row.staff.try_into()?,
            })
        })
        .transpose()
    }

    /// Marks a session as used now (the idle timeout counts from here).
    pub async fn touch_session(self, id: i64, now: Timestamp) -> Result<()> {
        self.touch_session_in(SessionTable::Staff, id, now).await
    }

    /// Ends one session (sign-out).
    pub async fn revoke_session(self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.revoke_session_in(SessionTable::Staff, token_hash, now)
            .await
    }

    pub(crate) async fn touch_session_in(
        self,
        table: SessionTable,
        id: i64,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(table.touch_sql())
                .bind(to_micros(now))
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub(crate) async fn revoke_session_in(
        self,
        table: SessionTable,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query(table.revoke_sql())
                .bind(to_micros(now))
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    // ----- sign-in attempts -----

    /// Counts one sign-in attempt at the account named by `account_digest` (the digest of the
    /// email as typed) and returns how many there were in the current `window`, this one
    /// included. Called before the password is checked, in one statement, so attempts made at
    /// once on several nodes all add up; windows that ended are forgotten on the way.
    pub async fn count_sign_in_attempt(
        self,
        side: SignInSide,
        account_digest: &str,
        window: SignedDuration,
        now: Timestamp,
    ) -> Result<i64> {
        let window_start = to_micros(now - window);
        Ok(on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM sign_in_attempts WHERE window_started_at < $1")
                .bind(window_start)
                .execute(&mut *tx)
                .await?;
            let attempts: i64 = sqlx::query_scalar(
                "INSERT INTO sign_in_attempts (side, account_digest, attempts, window_started_at) \
                 VALUES ($1, $2, 1, $3) \
                 ON CONFLICT (side, account_digest) DO UPDATE SET \
                   attempts = CASE WHEN sign_in_attempts.window_started_at < $4 THEN 1 \
                                   ELSE sign_in_attempts.attempts + 1 END, \
                   window_started_at = CASE WHEN sign_in_attempts.window_started_at < $4 THEN $3 \
                                            ELSE sign_in_attempts.window_started_at END \
                 RETURNING attempts",
            )
            .bind(side.as_str())
            .bind(account_digest)
            .bind(to_micros(now))
            .bind(window_start)
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            attempts
        }))
    }

    // ----- one-time set-password links -----

    /// Records a set-password link (superseding any earlier unused one for the account).
    pub async fn create_password_link(
        self,
        staff_id: i64,
        token_hash: &str,
        expires_at: Timestamp,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let staff = staff_in_tx!(tx, staff_id);
            revoke_password_links!(tx, staff_id, now);
            sqlx::query(
                "INSERT INTO staff_password_links \
                 (token_hash, staff_id, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(staff_id)
            .bind(actor.staff_id)
            .bind(to_micros(now))
            .bind(to_micros(expires_at))
            .execute(&mut *tx)
            .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "staff.password_link", "staff", staff_id, format!("{}: set-password link issued", staff.display_name)));
            tx.commit().await?;
        });
        Ok(())
    }

    /// The account a still-usable link belongs to.
    pub async fn password_link_staff(
        self,
        token_hash: &str,
        now: Timestamp,
    ) -> Result<Option<StaffMember>> {
        let sql = format!(
            "SELECT {} FROM staff_password_links l JOIN staff ON staff.id = l.staff_id \
             WHERE l.token_hash = $1 AND l.used_at IS NULL AND l.expires_at > $2 \
             AND staff.disabled_at IS NULL",
            qualified_staff_columns()
        );
        let row: Option<StaffRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .bind(to_micros(now))
                .fetch_optional(pool)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// Uses a link once: sets the password, signs the account out everywhere, records it.
    /// A used, expired or unknown link is [`DbError::NotFound`].
    pub async fn use_password_link(
        self,
        token_hash: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<StaffMember> {
        let staff = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let staff_id: i64 = sqlx::query_scalar(
                "UPDATE staff_password_links SET used_at = $1 \
                 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING staff_id",
            )
            .bind(to_micros(now))
            .bind(token_hash)
            .fetch_one(&mut *tx)
            .await?;
            let staff = staff_in_tx!(tx, staff_id);
            if staff.disabled_at.is_some() {
                return Err(DbError::NotFound);
            }
            sqlx::query("UPDATE staff SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
            revoke_sessions!(tx, staff_id, None::<i64>, now);
            record_audit!(tx, now, AuditEntry {
                actor: Actor::staff(staff.id, staff.display_name.clone()),
                action: "staff.password".to_owned(),
                subject_kind: "staff".to_owned(),
                subject_id: Some(staff_id),
                detail: format!("{}: password set through a one-time link", staff.display_name),
            });
            tx.commit().await?;
            staff
        });
        Ok(staff)
    }

    // ----- Admin API tokens -----

    /// Creates a token acting as `actor` (a staff member) with at most that person's role, for
    /// at most [`API_TOKEN_MAX_LIFETIME`].
    pub async fn create_api_token(
        self,
        name: &str,
        role: Role,
        secret_hash: &str,
        expires_at: Timestamp,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<ApiToken> {
        let name = name.trim();
        dateline_core::staff::check_token_name(name).map_err(refused)?;
        if expires_at <= now || expires_at > now + API_TOKEN_MAX_LIFETIME {
            return Err(refused(TokenRefusal::LifetimeUnknown));
        }
        let creator_id = actor
            .staff_id
            .ok_or_else(|| DbError::Invalid("an API token acts as a staff member".to_owned()))?;
        let id = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let creator = staff_in_tx!(tx, creator_id);
            if role > creator.role {
                return Err(refused(TokenRefusal::RoleAboveYours));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (name, role, secret_hash, created_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(name)
            .bind(role.as_str())
            .bind(secret_hash)
            .bind(creator_id)
            .bind(to_micros(now))
            .bind(to_micros(expires_at))
            .fetch_one(&mut *tx)
            .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "api_token.create", "api_token", id, format!("{name} ({role}), expires {}", expires_at.strftime("%Y-%m-%d"))));
            tx.commit().await?;
            id
        });
        self.api_tokens()
            .await?
            .into_iter()
            .find(|token| token.id == id)
            .ok_or(DbError::NotFound)
    }

    /// Every token, newest first, revoked ones included.
    pub async fn api_tokens(self) -> Result<Vec<ApiToken>> {
        let sql = format!(
            "SELECT {} FROM api_tokens t JOIN staff s ON s.id = t.created_by \
             ORDER BY t.id DESC",
            api_token_columns()
        );
        let rows: Vec<ApiTokenRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        rows.into_iter().map(TryInto::try_into).collect()
    }

    pub async fn revoke_api_token(self, id: i64, actor: &Actor, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let name: String = sqlx::query_scalar(
                "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL \
                 RETURNING name",
            )
            .bind(to_micros(now))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            record_audit!(tx, now, AuditEntry::about(actor, "api_token.revoke", "api_token", id, name));
            tx.commit().await?;
        });
        Ok(())
    }

    /// The live token (not revoked, not expired) with this secret digest and the enabled account
    /// it acts as; notes the use (at most once a minute, so a busy client does not turn every
    /// read into a write).
    pub async fn api_token_by_secret(
        self,
        secret_hash: &str,
        now: Timestamp,
    ) -> Result<Option<(ApiToken, StaffMember)>> {
        let sql = format!(
            "SELECT {} FROM api_tokens t JOIN staff s ON s.id = t.created_by \
             WHERE t.secret_hash = $1 AND t.revoked_at IS NULL AND s.disabled_at IS NULL",
            api_token_columns()
        );
        let row: Option<ApiTokenRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(secret_hash)
                .fetch_optional(pool)
                .await?
        });
        let Some(row) = row else {
            return Ok(None);
        };
        let token = ApiToken::try_from(row)?;
        if !token.is_live(now) {
            return Ok(None);
        }
        let stale = token
            .last_used_at
            .is_none_or(|at| now.duration_since(at) > SignedDuration::from_secs(60));
        if stale {
            on_writer!(self.store, pool => {
                sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
                    .bind(to_micros(now))
                    .bind(token.id)
                    .execute(pool)
                    .await?;
            });
        }
        let staff = self.store.people().staff_by_id(token.created_by).await?;
        Ok(Some((token, staff)))
    }
}

fn qualified_staff_columns() -> String {
    STAFF_COLUMNS
        .split(", ")
        .map(|column| format!("staff.{column}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Staff and reader sessions live in two tables of the same shape, kept apart so a reader's
/// session can never be mistaken for a newsroom one.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SessionTable {
    Staff,
    Reader,
}

impl SessionTable {
    fn touch_sql(self) -> &'static str {
        match self {
            SessionTable::Staff => "UPDATE staff_sessions SET last_seen_at = $1 WHERE id = $2",
            SessionTable::Reader => "UPDATE reader_sessions SET last_seen_at = $1 WHERE id = $2",
        }
    }

    fn revoke_sql(self) -> &'static str {
        match self {
            SessionTable::Staff => {
                "UPDATE staff_sessions SET revoked_at = $1 \
                 WHERE token_hash = $2 AND revoked_at IS NULL"
            }
            SessionTable::Reader => {
                "UPDATE reader_sessions SET revoked_at = $1 \
                 WHERE token_hash = $2 AND revoked_at IS NULL"
            }
        }
    }
}
