//! The newsroom's audit log: append-only, written in the same transaction as the change it
//! describes so the log and the data never disagree.

use jiff::Timestamp;
use serde::Serialize;

use crate::{Audit, Result, from_micros, on_reader, on_writer};

/// Who acted. Kept by id and by name: the name as it was then is what the log shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Actor {
    pub staff_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn staff(staff_id: i64, name: impl Into<String>) -> Self {
        Self {
            staff_id: Some(staff_id),
            name: name.into(),
        }
    }

    /// The platform itself (the scheduler publishing an article, the command line).
    pub fn system(name: impl Into<String>) -> Self {
        Self {
            staff_id: None,
            name: name.into(),
        }
    }
}

/// One entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub actor: Actor,
    /// A dotted verb, e.g. `article.publish`, `article.correct`, `staff.role`.
    pub action: String,
    /// What was acted on: `article`, `staff`, `section`, `settings`, `api_token`…
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    /// A short human-readable account ("role editor → admin"); never a secret.
    pub detail: String,
}

impl AuditEntry {
    /// An entry about one thing: `subject_kind` and its id.
    pub fn about(
        actor: &Actor,
        action: &str,
        subject_kind: &str,
        subject_id: i64,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            actor: actor.clone(),
            action: action.to_owned(),
            subject_kind: subject_kind.to_owned(),
            subject_id: Some(subject_id),
            detail: detail.into(),
        }
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditRecord {
    pub id: i64,
    pub at: Timestamp,
    pub actor: Actor,
    pub action: String,
    pub subject_kind: String,
    pub subject_id: Option<i64>,
    pub detail: String,
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    actor_staff_id: Option<i64>,
    actor_name: String,
    action: String,
    subject_kind: String,
    subject_id: Option<i64>,
    detail: String,
}

impl From<AuditRow> for AuditRecord {
    fn from(row: AuditRow) -> Self {
        AuditRecord {
            id: row.id,
            at: from_micros(row.at),
            actor: Actor {
                staff_id: row.actor_staff_id,
                name: row.actor_name,
            },
            action: row.action,
            subject_kind: row.subject_kind,
            subject_id: row.subject_id,
            detail: row.detail,
        }
    }
}

/// Appends `$entry` (an [`AuditEntry`]) at `$at` inside the caller's transaction `$tx`.
macro_rules! record_audit {
    ($tx:expr, $at:expr, $entry:expr) => {{
        let entry: &$crate::AuditEntry = &$entry;
        sqlx::query(
            "INSERT INTO audit_log (at, actor_staff_id, actor_name, action, subject_kind, \
             subject_id, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($crate::to_micros($at))
        .bind(entry.actor.staff_id)
        .bind(&entry.actor.name)
        .bind(&entry.action)
        .bind(&entry.subject_kind)
        .bind(entry.subject_id)
        .bind(&entry.detail)
        .execute(&mut *$tx)
        .await?;
    }};
}
// The modules that publish, correct and manage staff append in their own transactions.
#[allow(unused_imports)]
pub(crate) use record_audit;

const AUDIT_COLUMNS: &str =
    "id, at, actor_staff_id, actor_name, action, subject_kind, subject_id, detail";

impl Audit<'_> {
    /// Appends one entry on its own, for actions that change nothing else in the database.
    pub async fn append(self, entry: &AuditEntry, at: Timestamp) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            record_audit!(tx, at, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Newest first; `before_id` pages back through older entries.
    pub async fn log(self, before_id: Option<i64>, limit: i64) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<AuditRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(before_id.unwrap_or(i64::MAX))
                .bind(limit)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Everything done to one subject, oldest first.
    pub async fn for_subject(
        self,
        subject_kind: &str,
        subject_id: i64,
    ) -> Result<Vec<AuditRecord>> {
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE subject_kind = $1 AND subject_id = $2 \
             ORDER BY id"
        );
        let rows: Vec<AuditRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(subject_kind)
                .bind(subject_id)
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }
}
