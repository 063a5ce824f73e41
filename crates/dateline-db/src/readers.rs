//! Reader accounts (commenters), kept apart from staff: a reader can never reach the newsroom.
//! Sessions and one-time links work as the newsroom's do (auth.rs): only SHA-256 digests of the
//! random tokens are stored, and passwords arrive already hashed with argon2id.

use dateline_core::comments::{Commenter, ReaderStatus, check_display_name};
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::audit::record_audit;
use crate::changes::record_change;
use crate::{
    Actor, AuditEntry, DbError, People, Result, SessionLimits, Sessions, from_micros,
    normalise_email, on_reader, on_writer, to_micros,
};

/// A reader account as pages and moderators see it (never the password hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub verified_at: Option<Timestamp>,
    pub status: ReaderStatus,
    pub suspended_until: Option<Timestamp>,
    pub always_premoderate: bool,
    pub approved_count: i64,
    pub created_at: Timestamp,
    pub deleted_at: Option<Timestamp>,
}

impl Reader {
    /// The facts the moderation rules need about this reader.
    pub fn commenter(&self) -> Commenter {
        Commenter {
            status: self.status,
            suspended_until: self.suspended_until,
            always_premoderate: self.always_premoderate,
            approved_count: self.approved_count,
            is_staff: false,
        }
    }
}

/// A new reader account.
#[derive(Debug, Clone)]
pub struct NewReader {
    pub email: String,
    pub display_name: String,
    /// argon2id PHC string.
    pub password_hash: String,
}

/// What a one-time reader link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReaderLinkPurpose {
    /// Proves the address after sign-up.
    Verify,
    /// Signs in without a password ("magic link"); also proves the address.
    SignIn,
}

impl ReaderLinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            ReaderLinkPurpose::Verify => "verify",
            ReaderLinkPurpose::SignIn => "sign_in",
        }
    }
}

/// A signed-in reader's session, as loaded for a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderSession {
    pub id: i64,
    pub reader: Reader,
    pub csrf_token: String,
    pub expires_at: Timestamp,
}

/// A moderator's change to a reader's standing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    Suspended { until: Timestamp },
    Banned,
}

#[derive(sqlx::FromRow)]
pub(crate) struct ReaderRow {
    id: i64,
    email: String,
    display_name: String,
    verified_at: Option<i64>,
    status: String,
    suspended_until: Option<i64>,
    always_premoderate: bool,
    approved_count: i64,
    created_at: i64,
    deleted_at: Option<i64>,
}

pub(crate) const READER_COLUMNS: &str = "id, email, display_name, verified_at, status, \
     suspended_until, always_premoderate, approved_count, created_at, deleted_at";

impl TryFrom<ReaderRow> for Reader {
    type Error = DbError;

    fn try_from(row: ReaderRow) -> Result<Self> {
        Ok(Reader {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            verified_at: row.verified_at.map(from_micros),
            status: ReaderStatus::parse(&row.status).ok_or_else(|| {
                DbError::Invalid(format!("unknown reader status {:?}", row.status))
            })?,
            suspended_until: row.suspended_until.map(from_micros),
            always_premoderate: row.always_premoderate,
            approved_count: row.approved_count,
            created_at: from_micros(row.created_at),
            deleted_at: row.deleted_at.map(from_micros),
        })
    }
}

/// Loads a reader row in `$tx`.
macro_rules! reader_in_tx {
    ($tx:expr, $id:expr) => {{
        let row: $crate::readers::ReaderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {} FROM readers WHERE id = $1",
            $crate::readers::READER_COLUMNS
        )))
        .bind($id)
        .fetch_one(&mut *$tx)
        .await?;
        $crate::readers::Reader::try_from(row)?
    }};
}
pub(crate) use reader_in_tx;

pub(crate) fn check_email(email: &str) -> Result<String> {
    if dateline_core::staff::plausible_email(email) {
        Ok(normalise_email(email))
    } else {
        // Imports read this as "take the comments under an address nobody can claim".
        Err(DbError::Invalid(
            dateline_core::ReaderRefusal::EmailInvalid.to_string(),
        ))
    }
}

/// Everything the platform holds about a reader, for "download my data".
#[derive(Debug, Clone, Serialize)]
pub struct ReaderExport {
    pub account: Reader,
    pub comments: Vec<ExportedComment>,
    pub reports: Vec<ExportedReport>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExportedComment {
    pub id: i64,
    pub article_id: i64,
    pub parent_id: Option<i64>,
    pub body: String,
    pub status: String,
    #[serde(skip)]
    created_at: i64,
    #[serde(skip)]
    edited_at: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExportedReport {
    pub comment_id: i64,
    pub reason: String,
    pub detail: String,
    #[serde(skip)]
    created_at: i64,
}

impl ExportedComment {
    pub fn created_at(&self) -> Timestamp {
        from_micros(self.created_at)
    }
    pub fn edited_at(&self) -> Option<Timestamp> {
        self.edited_at.map(from_micros)
    }
}

impl ExportedReport {
    pub fn created_at(&self) -> Timestamp {
        from_micros(self.created_at)
    }
}

/// The articles where `$reader_id` has approved comments (whose discussions show the reader),
/// in `$tx`.
macro_rules! articles_commented_by {
    ($tx:expr, $reader_id:expr) => {{
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT DISTINCT article_id FROM comments WHERE reader_id = $1 AND status = 'approved'",
        )
        .bind($reader_id)
        .fetch_all(&mut *$tx)
        .await?;
        ids
    }};
}

impl People<'_> {
    /// Creates an unverified reader account. A taken address is [`DbError::Duplicate`].
    pub async fn create_reader(self, input: &NewReader, now: Timestamp) -> Result<Reader> {
        let email = check_email(&input.email)?;
        let name = check_display_name(&input.display_name)
            .map_err(|error| DbError::Invalid(error.to_string()))?;
        let sql = format!(
            "INSERT INTO readers (email, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4) RETURNING {READER_COLUMNS}"
        );
        let row: ReaderRow = on_writer!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(&email)
                .bind(&name)
                .bind(&input.password_hash)
                .bind(to_micros(now))
                .fetch_one(pool)
                .await
                .map_err(|error| match DbError::from(error) {
                    DbError::Duplicate(_) => DbError::Duplicate("that email address".to_owned()),
                    other => other,
                })?
        });
        row.try_into()
    }

    pub async fn reader_by_id(self, id: i64) -> Result<Reader> {
        let sql = format!("SELECT {READER_COLUMNS} FROM readers WHERE id = $1");
        let row: ReaderRow = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_one(pool).await?
        });
        row.try_into()
    }

    /// The live (not deleted) account with this address.
    pub async fn reader_by_email(self, email: &str) -> Result<Option<Reader>> {
        let sql =
            format!("SELECT {READER_COLUMNS} FROM readers WHERE email = $1 AND deleted_at IS NULL");
        let row: Option<ReaderRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(normalise_email(email))
                .fetch_optional(pool)
                .await?
        });
        row.map(TryInto::try_into).transpose()
    }

    /// The stored password hash, for the sign-in check only.
    pub async fn reader_password_hash(self, id: i64) -> Result<Option<String>> {
        let hash: Option<Option<String>> = on_reader!(self.store, pool => {
            sqlx::query_scalar("SELECT password_hash FROM readers WHERE id = $1 AND deleted_at IS NULL")
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(hash.flatten())
    }

    /// Changes the name shown on a reader's comments (all of them: the name is not copied).
    pub async fn rename_reader(
        self,
        id: i64,
        display_name: &str,
        now: Timestamp,
    ) -> Result<Reader> {
        let name = check_display_name(display_name)
            .map_err(|error| DbError::Invalid(error.to_string()))?;
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE readers SET display_name = $1 WHERE id = $2 AND deleted_at IS NULL")
                .bind(&name)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let articles = articles_commented_by!(tx, id);
            for article_id in articles {
                record_change!(tx, now, "discussion", Some(article_id), [dateline_core::cache_tags::discussion(article_id)]);
            }
            tx.commit().await?;
        });
        self.reader_by_id(id).await
    }
}

impl Sessions<'_> {
    // ----- one-time links -----

    /// Records a verification or sign-in link, superseding earlier unused ones of that purpose.
    pub async fn create_reader_link(
        self,
        reader_id: i64,
        token_hash: &str,
        purpose: ReaderLinkPurpose,
        valid_for: SignedDuration,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE reader_links SET used_at = $1 \
                 WHERE reader_id = $2 AND purpose = $3 AND used_at IS NULL",
            )
            .bind(to_micros(now))
            .bind(reader_id)
            .bind(purpose.as_str())
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO reader_links (token_hash, reader_id, purpose, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(token_hash)
            .bind(reader_id)
            .bind(purpose.as_str())
            .bind(to_micros(now))
            .bind(to_micros(now + valid_for))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Uses a link once; either purpose proves the reader owns the address, so both verify it.
    /// A used, expired, unknown or wrong-purpose link is [`DbError::NotFound`].
    pub async fn use_reader_link(
        self,
        token_hash: &str,
        purpose: ReaderLinkPurpose,
        now: Timestamp,
    ) -> Result<Reader> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let reader_id: i64 = sqlx::query_scalar(
                "UPDATE reader_links SET used_at = $1 \
                 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 \
                 RETURNING reader_id",
            )
            .bind(to_micros(now))
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE readers SET verified_at = COALESCE(verified_at, $1) \
                 WHERE id = $2 AND deleted_at IS NULL",
            )
            .bind(to_micros(now))
            .bind(reader_id)
            .execute(&mut *tx)
            .await?;
            let reader = reader_in_tx!(tx, reader_id);
            if reader.deleted_at.is_some() {
                return Err(DbError::NotFound);
            }
            tx.commit().await?;
            Ok(reader)
        })
    }

    // ----- sessions -----

    pub async fn create_reader_session(
        self,
        reader_id: i64,
        token_hash: &str,
        csrf_token: &str,
        limits: SessionLimits,
        now: Timestamp,
    ) -> Result<i64> {
        let id = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO reader_sessions \
                 (token_hash, reader_id, csrf_token, created_at, last_seen_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $4, $5) RETURNING id",
            )
            .bind(token_hash)
            .bind(reader_id)
            .bind(csrf_token)
            .bind(to_micros(now))
            .bind(to_micros(now + limits.lifetime))
            .fetch_one(&mut *tx)
            .await?;
            // Ended sessions are forgotten a day later.
            sqlx::query(
                "DELETE FROM reader_sessions WHERE reader_id = $1 \
                 AND (expires_at < $2 OR revoked_at < $2)",
            )
            .bind(reader_id)
            .bind(to_micros(now - SignedDuration::from_hours(24)))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            id
        });
        Ok(id)
    }

    /// The live session with this token digest, of an account that is not deleted. Banned and
    /// suspended readers keep their sessions: they may still read, download their data and
    /// delete their account.
    pub async fn reader_session(
        self,
        token_hash: &str,
        limits: SessionLimits,
        now: Timestamp,
    ) -> Result<Option<ReaderSession>> {
        let columns = READER_COLUMNS
            .split(", ")
            .map(|column| format!("r.{column}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT s.id AS session_id, s.csrf_token, s.expires_at AS session_expires_at, {columns} \
             FROM reader_sessions s JOIN readers r ON r.id = s.reader_id \
             WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > $2 \
             AND s.last_seen_at > $3 AND r.deleted_at IS NULL"
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            session_id: i64,
            csrf_token: String,
            session_expires_at: i64,
            #[sqlx(flatten)]
            reader: ReaderRow,
        }
        let row: Option<Row> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(token_hash)
                .bind(to_micros(now))
                .bind(to_micros(now - limits.idle_timeout))
                .fetch_optional(pool)
                .await?
        });
        row.map(|row| {
            Ok(ReaderSession {
                id: row.session_id,
                csrf_token: row.csrf_token,
                expires_at: from_micros(row.session_expires_at),
                reader: row.reader.try_into()?,
            })
        })
        .transpose()
    }

    pub async fn touch_reader_session(self, id: i64, now: Timestamp) -> Result<()> {
        self.touch_session_in(crate::auth::SessionTable::Reader, id, now)
            .await
    }

    pub async fn revoke_reader_session(self, token_hash: &str, now: Timestamp) -> Result<()> {
        self.revoke_session_in(crate::auth::SessionTable::Reader, token_hash, now)
            .await
    }
}

impl People<'_> {
    // ----- the reader's own data -----

    /// Everything held about a reader: account, comments (with their text), reports.
    pub async fn reader_export(self, id: i64) -> Result<ReaderExport> {
        let account = self.reader_by_id(id).await?;
        let (comments, reports) = on_reader!(self.store, pool => {
            let comments: Vec<ExportedComment> = sqlx::query_as(
                "SELECT id, article_id, parent_id, body, status, created_at, edited_at \
                 FROM comments WHERE reader_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            let reports: Vec<ExportedReport> = sqlx::query_as(
                "SELECT comment_id, reason, detail, created_at FROM comment_reports \
                 WHERE reader_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(pool)
            .await?;
            (comments, reports)
        });
        Ok(ReaderExport {
            account,
            comments,
            reports,
        })
    }

    /// Deletes a reader's account: their comments become tombstones (replies keep their
    /// place), their reports and sessions go, and the row keeps nothing personal.
    pub async fn delete_reader(self, id: i64, now: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let reader = reader_in_tx!(tx, id);
            if reader.deleted_at.is_some() {
                return Ok(());
            }
            let articles = articles_commented_by!(tx, id);
            let approved: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM comments WHERE reader_id = $1 AND status = 'approved'",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE comments SET status = 'deleted', body = '', body_html = '', featured = $2 \
                 WHERE reader_id = $1",
            )
            .bind(id)
            .bind(false)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM comment_reports WHERE reader_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM reader_sessions WHERE reader_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM reader_links WHERE reader_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE readers SET email = $2, display_name = 'Deleted reader', \
                 password_hash = NULL, deleted_at = $3 WHERE id = $1",
            )
            .bind(id)
            // Unique and never deliverable (RFC 2606 reserves .invalid).
            .bind(format!("deleted-{id}@readers.invalid"))
            .bind(to_micros(now))
            .execute(&mut *tx)
            .await?;
            for article_id in articles {
                record_change!(tx, now, "discussion", Some(article_id), [dateline_core::cache_tags::discussion(article_id)]);
            }
            record_audit!(tx, now, AuditEntry::about(
                &Actor::system("reader"),
                "reader.delete",
                "reader",
                id,
                format!("reader {id} deleted their account ({approved} approved comments made tombstones)"),
            ));
            tx.commit().await?;
        });
        Ok(())
    }

    // ----- moderators' decisions about readers -----

    /// Suspends, bans or reinstates a reader; recorded in the audit log.
    pub async fn set_reader_standing(
        self,
        id: i64,
        standing: Standing,
        reason: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Reader> {
        let (status, until, action) = match standing {
            Standing::Active => (ReaderStatus::Active, None, "reader.reinstate"),
            Standing::Suspended { until } => {
                if until <= now {
                    return Err(DbError::Invalid(
                        "a suspension must end in the future".to_owned(),
                    ));
                }
                (ReaderStatus::Suspended, Some(until), "reader.suspend")
            }
            Standing::Banned => (ReaderStatus::Banned, None, "reader.ban"),
        };
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let reader = reader_in_tx!(tx, id);
            sqlx::query("UPDATE readers SET status = $1, suspended_until = $2 WHERE id = $3")
                .bind(status.as_str())
                .bind(until.map(to_micros))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let detail = match until {
                Some(until) => format!("{} suspended until {until}: {reason}", reader.display_name),
                None => format!("{} → {}: {reason}", reader.display_name, status.as_str()),
            };
            record_audit!(tx, now, AuditEntry::about(actor, action, "reader", id, detail.trim_end_matches(": ").to_owned()));
            tx.commit().await?;
        });
        self.reader_by_id(id).await
    }

    /// Sends everything a reader writes to the queue, or stops doing so.
    pub async fn set_reader_always_premoderate(
        self,
        id: i64,
        always: bool,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Reader> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let reader = reader_in_tx!(tx, id);
            sqlx::query("UPDATE readers SET always_premoderate = $1 WHERE id = $2")
                .bind(always)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            let action = if always { "reader.premoderate" } else { "reader.premoderate_off" };
            record_audit!(tx, now, AuditEntry::about(actor, action, "reader", id, reader.display_name.clone()));
            tx.commit().await?;
        });
        self.reader_by_id(id).await
    }
}
