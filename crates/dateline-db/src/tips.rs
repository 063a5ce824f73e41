//! Tips: ciphertext and the least metadata the desk needs. Nothing here can read a tip; the
//! contents are age ciphertext made before they reach the store (`dateline-tips`). Every staff
//! action on a tip is written to the tip's history and the audit log in one transaction.

use dateline_core::{TipKind, TipResolution, TipStatus};
use jiff::Timestamp;

use crate::audit::record_audit;
use crate::{
    Actor, AuditEntry, DbError, Result, Tips, from_micros, on_reader, on_writer, to_micros,
};

/// A public key tips are encrypted to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipRecipient {
    pub id: i64,
    pub staff_id: Option<i64>,
    pub label: String,
    pub public_key: String,
    /// An offline key kept for recovery, rather than an editor's.
    pub recovery: bool,
    /// The editor's identity file, age-encrypted with their passphrase, if they keep one here.
    pub wrapped_identity: Option<Vec<u8>>,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTipRecipient {
    pub staff_id: Option<i64>,
    pub label: String,
    pub public_key: String,
    pub recovery: bool,
    pub wrapped_identity: Option<Vec<u8>>,
}

/// A tip as it arrives: everything the tipster wrote already encrypted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTip {
    pub kind: TipKind,
    pub article_id: Option<i64>,
    pub codename_key: String,
    pub reply_public_key: String,
    pub message: Vec<u8>,
    pub contact: Option<Vec<u8>>,
    /// Attachments whose ciphertext is already in object storage.
    pub attachments: Vec<NewTipAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTipAttachment {
    pub object_key: String,
    /// Ciphertext of the original file name and media type.
    pub description: Vec<u8>,
    pub size: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tip {
    pub id: i64,
    pub received_at: Timestamp,
    pub kind: TipKind,
    pub article_id: Option<i64>,
    pub status: TipStatus,
    pub resolution: Option<TipResolution>,
    pub resolved_at: Option<Timestamp>,
    pub assignee_staff_id: Option<i64>,
    pub reply_public_key: String,
    pub message: Vec<u8>,
    pub contact: Option<Vec<u8>>,
    pub correction_note_id: Option<i64>,
    pub attachment_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipAttachment {
    pub id: i64,
    pub tip_id: i64,
    pub position: i64,
    pub object_key: String,
    pub description: Vec<u8>,
    pub size: i64,
}

/// Who wrote a message of a tip's conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TipSender {
    Source,
    Newsroom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipMessage {
    pub id: i64,
    pub sent_at: Timestamp,
    pub sender: TipSender,
    pub staff_id: Option<i64>,
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipNote {
    pub id: i64,
    pub written_at: Timestamp,
    pub staff_id: Option<i64>,
    pub staff_name: String,
    pub body: Vec<u8>,
}

/// One line of a tip's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipEvent {
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    pub actor_name: String,
    /// `status`, `assigned`, `viewed`, `downloaded`, `replied`, `note`, `follow_up`,
    /// `correction`.
    pub kind: String,
    pub detail: String,
}

/// A staff action on a tip, for its history and the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipAction<'a> {
    pub kind: &'a str,
    pub detail: String,
}

/// What a purge removed; the caller deletes these objects from storage.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgedTips {
    pub tips: usize,
    pub object_keys: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct TipRow {
    id: i64,
    received_at: i64,
    kind: String,
    article_id: Option<i64>,
    status: String,
    resolution: Option<String>,
    resolved_at: Option<i64>,
    assignee_staff_id: Option<i64>,
    reply_public_key: String,
    message: Vec<u8>,
    contact: Option<Vec<u8>>,
    correction_note_id: Option<i64>,
    attachment_count: i64,
}

impl From<TipRow> for Tip {
    fn from(row: TipRow) -> Self {
        Tip {
            id: row.id,
            received_at: from_micros(row.received_at),
            kind: TipKind::parse(&row.kind).unwrap_or(TipKind::Other),
            article_id: row.article_id,
            status: TipStatus::parse(&row.status).unwrap_or(TipStatus::New),
            resolution: row.resolution.as_deref().and_then(TipResolution::parse),
            resolved_at: row.resolved_at.map(from_micros),
            assignee_staff_id: row.assignee_staff_id,
            reply_public_key: row.reply_public_key,
            message: row.message,
            contact: row.contact,
            correction_note_id: row.correction_note_id,
            attachment_count: row.attachment_count,
        }
    }
}

const TIP_COLUMNS: &str = "id, received_at, kind, article_id, status, resolution, resolved_at, \
     assignee_staff_id, reply_public_key, message, contact, correction_note_id, \
     (SELECT COUNT(*) FROM tip_attachments a WHERE a.tip_id = tips.id) AS attachment_count";

#[derive(sqlx::FromRow)]
struct RecipientRow {
    id: i64,
    staff_id: Option<i64>,
    label: String,
    public_key: String,
    kind: String,
    wrapped_identity: Option<Vec<u8>>,
    created_at: i64,
}

impl From<RecipientRow> for TipRecipient {
    fn from(row: RecipientRow) -> Self {
        TipRecipient {
            id: row.id,
            staff_id: row.staff_id,
            label: row.label,
            public_key: row.public_key,
            recovery: row.kind == "recovery",
            wrapped_identity: row.wrapped_identity,
            created_at: from_micros(row.created_at),
        }
    }
}

const RECIPIENT_COLUMNS: &str =
    "id, staff_id, label, public_key, kind, wrapped_identity, created_at";

/// Appends a line to a tip's history and the same action to the audit log, in `$tx`.
macro_rules! record_tip_action {
    ($tx:expr, $tip_id:expr, $at:expr, $actor:expr, $action:expr) => {{
        let actor: &$crate::Actor = $actor;
        let action: &TipAction<'_> = &$action;
        sqlx::query(
            "INSERT INTO tip_events (tip_id, at, staff_id, actor_name, kind, detail) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($tip_id)
        .bind(to_micros($at))
        .bind(actor.staff_id)
        .bind(&actor.name)
        .bind(action.kind)
        .bind(&action.detail)
        .execute(&mut *$tx)
        .await?;
        let entry = AuditEntry::about(
            actor,
            &format!("tip.{}", action.kind),
            "tip",
            $tip_id,
            action.detail.clone(),
        );
        record_audit!($tx, $at, entry);
    }};
}

/// Fails with `NotFound` inside `$tx` unless tip `$id` exists.
macro_rules! ensure_tip {
    ($tx:expr, $id:expr) => {{
        let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM tips WHERE id = $1")
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await?;
        if exists.is_none() {
            return Err(DbError::NotFound);
        }
    }};
}

/// Runs `$body` in a transaction `$tx` on the writer and commits it durably, whatever the
/// database's default: a tip or follow-up acknowledged to its sender must survive a power cut.
/// On SQLite the one writer connection is held for the whole sequence and switched to
/// `synchronous = FULL` for this commit only (in WAL mode NORMAL may lose the last commits on
/// power loss; <https://sqlite.org/pragma.html#pragma_synchronous>), and the setting is read back
/// inside the transaction, so a commit never happens under anything weaker. On PostgreSQL
/// `SET LOCAL synchronous_commit = on` holds even where an operator turned it off server-wide.
/// `$body` may return early with `?`; the transaction then rolls back.
macro_rules! durable_transaction {
    ($store:expr, $tx:ident => $body:expr) => {{
        match &$store.backend {
            $crate::Backend::Sqlite { writer, .. } => {
                let mut connection = writer.acquire().await?;
                sqlx::query("PRAGMA synchronous = FULL")
                    .execute(&mut *connection)
                    .await?;
                let outcome = async {
                    let mut $tx = sqlx::Connection::begin(&mut *connection).await?;
                    let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
                        .fetch_one(&mut *$tx)
                        .await?;
                    if level < SQLITE_SYNCHRONOUS_FULL {
                        return Err(DbError::NotDurable(level));
                    }
                    let value = $body;
                    $tx.commit().await?;
                    Ok::<_, DbError>(value)
                }
                .await;
                // The other writes of this connection go back to NORMAL; if that fails they stay
                // at FULL, which is only slower, and the committed tip must not be reported as
                // a failure.
                if let Err(error) = sqlx::query("PRAGMA synchronous = NORMAL")
                    .execute(&mut *connection)
                    .await
                {
                    tracing::warn!(%error, "the writer stays at synchronous = FULL");
                }
                outcome?
            }
            $crate::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                sqlx::query("SET LOCAL synchronous_commit = on")
                    .execute(&mut *$tx)
                    .await?;
                let value = $body;
                $tx.commit().await?;
                value
            }
        }
    }};
}

/// `PRAGMA synchronous` reads FULL as 2 (EXTRA is 3).
const SQLITE_SYNCHRONOUS_FULL: i64 = 2;

/// The name a tipster appears under in a tip's history.
const SOURCE_NAME: &str = "Source";

impl Tips<'_> {
    /// This installation's secret for codename hashes and form tokens; made on first use by
    /// whichever node gets there first.
    pub async fn install_secret(self, fresh: &[u8]) -> Result<Vec<u8>> {
        on_writer!(self.store, pool => {
            sqlx::query(
                "INSERT INTO tip_install (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
            )
            .bind(fresh)
            .execute(pool)
            .await?;
            let secret: Vec<u8> = sqlx::query_scalar("SELECT secret FROM tip_install WHERE id = 1")
                .fetch_one(pool)
                .await?;
            Ok(secret)
        })
    }

    /// Keeps (or with `None` forgets) the tips identities newsroom session `session_id` unlocked,
    /// sealed for that session (`dateline_tips::seal_for_session`), so every node can open them
    /// for its editor.
    pub async fn seal_for_session(self, session_id: i64, sealed: Option<&[u8]>) -> Result<()> {
        on_writer!(self.store, pool => {
            sqlx::query("UPDATE staff_sessions SET tips_unlocked = $1 WHERE id = $2")
                .bind(sealed)
                .bind(session_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Keeps the tips identities newsroom session `session_id` unlocked, sealed for it, with the
    /// audit entry that says so, in one transaction.
    pub async fn unlock_for_session(
        self,
        session_id: i64,
        sealed: &[u8],
        entry: &AuditEntry,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE staff_sessions SET tips_unlocked = $1 WHERE id = $2")
                .bind(sealed)
                .bind(session_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if updated == 0 {
                return Err(DbError::NotFound);
            }
            record_audit!(tx, now, entry);
            tx.commit().await?;
        });
        Ok(())
    }

    /// The sealed identities of session `session_id`, if it unlocked any and is not revoked.
    pub async fn sealed_for_session(self, session_id: i64) -> Result<Option<Vec<u8>>> {
        let sealed: Option<Option<Vec<u8>>> = on_reader!(self.store, pool => {
            sqlx::query_scalar(
                "SELECT tips_unlocked FROM staff_sessions WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(session_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(sealed.flatten())
    }

    /// Registers a key tips will be encrypted to. An editor has one key at a time: a new one
    /// retires the old (tips already encrypted to it still need the old identity file).
    pub async fn add_recipient(
        self,
        recipient: &NewTipRecipient,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<TipRecipient> {
        let id: i64 = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            if let Some(staff_id) = recipient.staff_id {
                sqlx::query(
                    "UPDATE tip_recipients SET retired_at = $1 \
                     WHERE staff_id = $2 AND retired_at IS NULL",
                )
                .bind(to_micros(now))
                .bind(staff_id)
                .execute(&mut *tx)
                .await?;
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tip_recipients (staff_id, label, public_key, kind, \
                 wrapped_identity, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            )
            .bind(recipient.staff_id)
            .bind(&recipient.label)
            .bind(&recipient.public_key)
            .bind(if recipient.recovery { "recovery" } else { "editor" })
            .bind(&recipient.wrapped_identity)
            .bind(to_micros(now))
            .fetch_one(&mut *tx)
            .await?;
            let entry = AuditEntry::about(
                actor,
                "tips.key_registered",
                "tip_recipient",
                id,
                format!(
                    "{} key for {}: {}",
                    if recipient.recovery { "recovery" } else { "editor" },
                    recipient.label,
                    recipient.public_key
                ),
            );
            record_audit!(tx, now, entry);
            tx.commit().await?;
            id
        });
        self.recipients()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(DbError::NotFound)
    }

    /// The keys new tips are encrypted to.
    pub async fn recipients(self) -> Result<Vec<TipRecipient>> {
        let sql = format!(
            "SELECT {RECIPIENT_COLUMNS} FROM tip_recipients WHERE retired_at IS NULL ORDER BY id"
        );
        let rows: Vec<RecipientRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Every key a staff member ever had, newest first: their wrapped identities open tips
    /// encrypted before a new key was made.
    pub async fn recipients_of(self, staff_id: i64) -> Result<Vec<TipRecipient>> {
        let sql = format!(
            "SELECT {RECIPIENT_COLUMNS} FROM tip_recipients WHERE staff_id = $1 ORDER BY id DESC"
        );
        let rows: Vec<RecipientRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(staff_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Stores a tip with its attachments in one durable transaction.
    pub async fn create(self, tip: &NewTip, now: Timestamp) -> Result<Tip> {
        let id: i64 = durable_transaction!(self.store, tx => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO tips (received_at, kind, article_id, codename_key, \
                 reply_public_key, message, contact) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id",
            )
            .bind(to_micros(now))
            .bind(tip.kind.as_str())
            .bind(tip.article_id)
            .bind(&tip.codename_key)
            .bind(&tip.reply_public_key)
            .bind(&tip.message)
            .bind(&tip.contact)
            .fetch_one(&mut *tx)
            .await?;
            for (position, attachment) in tip.attachments.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO tip_attachments (tip_id, position, object_key, description, \
                     size) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(position as i64)
                .bind(&attachment.object_key)
                .bind(&attachment.description)
                .bind(attachment.size)
                .execute(&mut *tx)
                .await?;
            }
            id
        });
        self.by_id(id).await?.ok_or(DbError::NotFound)
    }

    pub async fn by_id(self, id: i64) -> Result<Option<Tip>> {
        let sql = format!("SELECT {TIP_COLUMNS} FROM tips WHERE id = $1");
        let row: Option<TipRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
        });
        Ok(row.map(Into::into))
    }

    /// The tip a codename opens, found by the codename's lookup key.
    pub async fn by_codename_key(self, codename_key: &str) -> Result<Option<Tip>> {
        let sql = format!("SELECT {TIP_COLUMNS} FROM tips WHERE codename_key = $1");
        let row: Option<TipRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(codename_key)
                .fetch_optional(pool)
                .await?
        });
        Ok(row.map(Into::into))
    }

    /// The inbox, newest first; `status` narrows it.
    pub async fn list(self, status: Option<TipStatus>) -> Result<Vec<Tip>> {
        let sql = format!(
            "SELECT {TIP_COLUMNS} FROM tips WHERE ($1 IS NULL OR status = $1) \
             ORDER BY received_at DESC, id DESC"
        );
        let rows: Vec<TipRow> = on_reader!(self.store, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(status.map(TipStatus::as_str))
                .fetch_all(pool)
                .await?
        });
        Ok(rows.into_iter().map(Into::into).collect())
    }

    pub async fn attachments(self, tip_id: i64) -> Result<Vec<TipAttachment>> {
        let rows: Vec<(i64, i64, i64, String, Vec<u8>, i64)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, tip_id, position, object_key, description, size \
                 FROM tip_attachments WHERE tip_id = $1 ORDER BY position",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, tip_id, position, object_key, description, size)| TipAttachment {
                    id,
                    tip_id,
                    position,
                    object_key,
                    description,
                    size,
                },
            )
            .collect())
    }

    /// The conversation with the tipster, oldest first.
    pub async fn messages(self, tip_id: i64) -> Result<Vec<TipMessage>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            sent_at: i64,
            sender: String,
            staff_id: Option<i64>,
            body: Vec<u8>,
        }
        let rows: Vec<Row> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, sent_at, sender, staff_id, body FROM tip_messages \
                 WHERE tip_id = $1 ORDER BY id",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| TipMessage {
                id: row.id,
                sent_at: from_micros(row.sent_at),
                sender: if row.sender == "source" {
                    TipSender::Source
                } else {
                    TipSender::Newsroom
                },
                staff_id: row.staff_id,
                body: row.body,
            })
            .collect())
    }

    pub async fn notes(self, tip_id: i64) -> Result<Vec<TipNote>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: i64,
            written_at: i64,
            staff_id: Option<i64>,
            staff_name: String,
            body: Vec<u8>,
        }
        let rows: Vec<Row> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT id, written_at, staff_id, staff_name, body FROM tip_notes \
                 WHERE tip_id = $1 ORDER BY id",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|row| TipNote {
                id: row.id,
                written_at: from_micros(row.written_at),
                staff_id: row.staff_id,
                staff_name: row.staff_name,
                body: row.body,
            })
            .collect())
    }

    /// A tip's history, oldest first.
    pub async fn events(self, tip_id: i64) -> Result<Vec<TipEvent>> {
        let rows: Vec<(i64, Option<i64>, String, String, String)> = on_reader!(self.store, pool => {
            sqlx::query_as(
                "SELECT at, staff_id, actor_name, kind, detail FROM tip_events \
                 WHERE tip_id = $1 ORDER BY id",
            )
            .bind(tip_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, staff_id, actor_name, kind, detail)| TipEvent {
                at: from_micros(at),
                staff_id,
                actor_name,
                kind,
                detail,
            })
            .collect())
    }

    /// Notes that a staff member viewed a tip or downloaded an attachment (history + audit).
    pub async fn record_access(
        self,
        tip_id: i64,
        action: TipAction<'_>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            ensure_tip!(tx, tip_id);
            record_tip_action!(tx, tip_id, now, actor, action);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Adds to the conversation: a newsroom reply (with its staff member) or a follow-up from
    /// the tipster (`actor` is `None`).
    pub async fn add_message(
        self,
        tip_id: i64,
        body: &[u8],
        actor: Option<&Actor>,
        now: Timestamp,
    ) -> Result<()> {
        durable_transaction!(self.store, tx => {
            ensure_tip!(tx, tip_id);
            sqlx::query(
                "INSERT INTO tip_messages (tip_id, sent_at, sender, staff_id, body) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(tip_id)
            .bind(to_micros(now))
            .bind(if actor.is_some() { "newsroom" } else { "source" })
            .bind(actor.and_then(|a| a.staff_id))
            .bind(body)
            .execute(&mut *tx)
            .await?;
            match actor {
                Some(actor) => {
                    let action = TipAction { kind: "replied", detail: "replied to the source".to_owned() };
                    record_tip_action!(tx, tip_id, now, actor, action);
                }
                None => {
                    sqlx::query(
                        "INSERT INTO tip_events (tip_id, at, staff_id, actor_name, kind, detail) \
                         VALUES ($1, $2, NULL, $3, 'follow_up', 'the source wrote again')",
                    )
                    .bind(tip_id)
                    .bind(to_micros(now))
                    .bind(SOURCE_NAME)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        });
        Ok(())
    }

    /// An internal note, encrypted to the newsroom only.
    pub async fn add_note(
        self,
        tip_id: i64,
        body: &[u8],
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            ensure_tip!(tx, tip_id);
            sqlx::query(
                "INSERT INTO tip_notes (tip_id, written_at, staff_id, staff_name, body) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(tip_id)
            .bind(to_micros(now))
            .bind(actor.staff_id)
            .bind(&actor.name)
            .bind(body)
            .execute(&mut *tx)
            .await?;
            let action = TipAction { kind: "note", detail: "added an internal note".to_owned() };
            record_tip_action!(tx, tip_id, now, actor, action);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Moves a tip through triage. Resolving needs a resolution; other statuses clear it.
    pub async fn set_status(
        self,
        tip_id: i64,
        status: TipStatus,
        resolution: Option<TipResolution>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<Tip> {
        let resolution = match (status, resolution) {
            (TipStatus::Resolved, None) => {
                return Err(DbError::Invalid("say how the tip was resolved".to_owned()));
            }
            (TipStatus::Resolved, resolution) => resolution,
            (_, _) => None,
        };
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let before: Option<String> = sqlx::query_scalar("SELECT status FROM tips WHERE id = $1")
                .bind(tip_id)
                .fetch_optional(&mut *tx)
                .await?;
            let before = before
                .as_deref()
                .and_then(TipStatus::parse)
                .ok_or(DbError::NotFound)?;
            sqlx::query(
                "UPDATE tips SET status = $1, resolution = $2, resolved_at = $3 WHERE id = $4",
            )
            .bind(status.as_str())
            .bind(resolution.map(TipResolution::as_str))
            .bind((status == TipStatus::Resolved).then(|| to_micros(now)))
            .bind(tip_id)
            .execute(&mut *tx)
            .await?;
            let detail = match resolution {
                Some(resolution) => format!("{before} → {status} ({resolution})"),
                None => format!("{before} → {status}"),
            };
            let action = TipAction { kind: "status", detail };
            record_tip_action!(tx, tip_id, now, actor, action);
            tx.commit().await?;
        });
        self.by_id(tip_id).await?.ok_or(DbError::NotFound)
    }

    /// Assigns a tip to a staff member (with their name for the history), or to nobody.
    pub async fn assign(
        self,
        tip_id: i64,
        assignee: Option<(i64, &str)>,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            ensure_tip!(tx, tip_id);
            sqlx::query("UPDATE tips SET assignee_staff_id = $1 WHERE id = $2")
                .bind(assignee.map(|(id, _)| id))
                .bind(tip_id)
                .execute(&mut *tx)
                .await?;
            let detail = match assignee {
                Some((_, name)) => format!("assigned to {name}"),
                None => "unassigned".to_owned(),
            };
            let action = TipAction { kind: "assigned", detail };
            record_tip_action!(tx, tip_id, now, actor, action);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Links a tip to the correction published from it.
    pub async fn link_correction(
        self,
        tip_id: i64,
        note_id: i64,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<()> {
        on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            ensure_tip!(tx, tip_id);
            sqlx::query("UPDATE tips SET correction_note_id = $1 WHERE id = $2")
                .bind(note_id)
                .bind(tip_id)
                .execute(&mut *tx)
                .await?;
            let action = TipAction {
                kind: "correction",
                detail: format!("correction note {note_id} published from this tip"),
            };
            record_tip_action!(tx, tip_id, now, actor, action);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Spends a proof of work (see `dateline_tips::spent_proof_key`) until `expires_at`: true
    /// the first time, false for a replay, on whichever node. A key whose earlier spending has
    /// expired is spent again.
    pub async fn spend_proof(
        self,
        proof_key: &[u8; 32],
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool> {
        let inserted = on_writer!(self.store, pool => {
            sqlx::query(
                "INSERT INTO tip_spent_proofs (proof_key, expires_at) VALUES ($1, $2) \
                 ON CONFLICT (proof_key) DO UPDATE SET expires_at = excluded.expires_at \
                 WHERE tip_spent_proofs.expires_at <= $3",
            )
            .bind(&proof_key[..])
            .bind(to_micros(expires_at))
            .bind(to_micros(now))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(inserted == 1)
    }

    /// Forgets spent proofs whose tokens have expired; returns how many.
    pub async fn forget_spent_proofs(self, now: Timestamp) -> Result<u64> {
        let deleted = on_writer!(self.store, pool => {
            sqlx::query("DELETE FROM tip_spent_proofs WHERE expires_at <= $1")
                .bind(to_micros(now))
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(deleted)
    }

    /// Which of `object_keys` belong to a stored tip's attachment (the others are leftovers of
    /// uploads that never became a tip).
    pub async fn known_attachment_keys(
        self,
        object_keys: &[String],
    ) -> Result<std::collections::HashSet<String>> {
        let mut known = std::collections::HashSet::new();
        for key in object_keys {
            let found: Option<String> = on_reader!(self.store, pool => {
                sqlx::query_scalar("SELECT object_key FROM tip_attachments WHERE object_key = $1")
                    .bind(key)
                    .fetch_optional(pool)
                    .await?
            });
            known.extend(found);
        }
        Ok(known)
    }

    /// Deletes resolved tips resolved before `resolved_before`, with their history, notes and
    /// messages; returns the attachment objects to delete from storage.
    pub async fn purge_resolved(
        self,
        resolved_before: Timestamp,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<PurgedTips> {
        self.delete_tips_where(
            "status = 'resolved' AND resolved_at < $1",
            Some(to_micros(resolved_before)),
            "tips.purged",
            actor,
            now,
        )
        .await
    }

    /// Deletes every tip resolved as spam, at once.
    pub async fn delete_spam(self, actor: &Actor, now: Timestamp) -> Result<PurgedTips> {
        self.delete_tips_where(
            "status = 'resolved' AND resolution = 'spam'",
            None,
            "tips.spam_deleted",
            actor,
            now,
        )
        .await
    }

    async fn delete_tips_where(
        self,
        condition: &str,
        bound: Option<i64>,
        audit_action: &str,
        actor: &Actor,
        now: Timestamp,
    ) -> Result<PurgedTips> {
        let select_ids = format!("SELECT id FROM tips WHERE {condition}");
        let purged = on_writer!(self.store, pool => {
            let mut tx = pool.begin().await?;
            let mut query = sqlx::query_scalar(sqlx::AssertSqlSafe(select_ids));
            if let Some(bound) = bound {
                query = query.bind(bound);
            }
            let ids: Vec<i64> = query.fetch_all(&mut *tx).await?;
            let mut purged = PurgedTips::default();
            for id in &ids {
                let keys: Vec<String> = sqlx::query_scalar(
                    "SELECT object_key FROM tip_attachments WHERE tip_id = $1",
                )
                .bind(id)
                .fetch_all(&mut *tx)
                .await?;
                purged.object_keys.extend(keys);
                sqlx::query("DELETE FROM tips WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                purged.tips += 1;
            }
            if purged.tips > 0 {
                let entry = AuditEntry {
                    actor: actor.clone(),
                    action: audit_action.to_owned(),
                    subject_kind: "tip".to_owned(),
                    subject_id: None,
                    detail: format!(
                        "{} tips and {} attachments deleted",
                        purged.tips,
                        purged.object_keys.len()
                    ),
                };
                record_audit!(tx, now, entry);
            }
            tx.commit().await?;
            purged
        });
        Ok(purged)
    }
}
