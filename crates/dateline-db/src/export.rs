//! What `dateline export` and `dateline import dateline` ask of the database: the tables of the
//! open export format, read in batches from one consistent snapshot, and loaded back into an
//! empty site in one transaction with their ids kept.
//!
//! The export is table-shaped on purpose: one file per table, one field per column, so the
//! format is as plain as the schema and an importer elsewhere needs no knowledge of Dateline's
//! code. [`TABLES`] is the list of what is exported, in the order a load must go (every
//! reference points at a table earlier in the list, except the [`Table::deferred`] columns);
//! [`NOT_EXPORTED`] names the rest, and a test fails when a migration adds a table or a column
//! that neither list accounts for.
//!
//! Loading is the *restore-style path* of issue 15: rows are inserted as they are, ids and all,
//! so addresses, comment threads and revision numbers stay what they were. It bypasses the use
//! cases' per-item rules on purpose (the rows were valid on the site that exported them); the
//! only caller is `dateline_usecases::restore`, which checks who may do it.

use std::collections::BTreeMap;

use futures_util::TryStreamExt;
use sqlx::Row;

use crate::{Backend, DbError, Result, Store, from_micros, to_micros};

/// How a column is stored and how the export writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A whole number (ids, counts, positions).
    Int,
    /// Text as stored.
    Text,
    /// true or false (INTEGER 0/1 in SQLite, BOOLEAN in PostgreSQL).
    Bool,
    /// A time (microseconds since the epoch in both backends); RFC 3339 in the export.
    Time,
    /// Binary (age ciphertext); base64 in the export.
    Bytes,
    /// Text that holds JSON; embedded as JSON in the export.
    Json,
    /// Text naming an object in media storage; the export carries the object too.
    ObjectKey,
    /// An image's variants, JSON `[{"key": …, …}]`; the export carries every variant's object.
    ImageVariants,
}

impl Kind {
    /// How the value travels between Rust and the database.
    fn storage(self) -> Storage {
        match self {
            Kind::Int => Storage::Int,
            Kind::Time => Storage::Time,
            Kind::Bool => Storage::Bool,
            Kind::Bytes => Storage::Bytes,
            Kind::Text | Kind::Json | Kind::ObjectKey | Kind::ImageVariants => Storage::Text,
        }
    }

    /// The name the format documentation uses.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Int => "integer",
            Kind::Text => "string",
            Kind::Bool => "boolean",
            Kind::Time => "time",
            Kind::Bytes => "base64",
            Kind::Json => "JSON",
            Kind::ObjectKey => "object key",
            Kind::ImageVariants => "image variants",
        }
    }
}

#[derive(Clone, Copy)]
enum Storage {
    Int,
    Time,
    Bool,
    Text,
    Bytes,
}

/// One value of a row, as the store reads and writes it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
    Time(jiff::Timestamp),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind }
}

/// Which exports carry a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Always,
    /// Narration audio (rows and files): left out by `dateline export --no-audio`, after which
    /// the importing site narrates again.
    Audio,
}

/// A table of the export: the file `<name>.jsonl`, one line per row.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The columns the rows are ordered (and read in batches) by: unique together.
    pub key: &'static [&'static str],
    pub columns: &'static [Column],
    /// Columns loaded once every table is in: references that go round in a circle (an
    /// author's photo is an image uploaded by a staff member who writes as that author).
    pub deferred: &'static [&'static str],
    /// Columns deliberately left out of the export, with why (in the documentation).
    pub omitted: &'static [&'static str],
    /// Columns made again on load from others: `comments.body_html` from `body`, so HTML in an
    /// export file never reaches a page without passing the comment sanitiser.
    pub derived: &'static [&'static str],
    /// The id is generated (an identity column in PostgreSQL): loads override it and move the
    /// sequence past the largest id.
    pub identity: bool,
    /// Configuration the migrations seed with defaults: a load replaces those rows, and their
    /// presence does not make a site "not empty".
    pub replaces: bool,
    pub part: Part,
}

impl Table {
    const fn new(
        name: &'static str,
        key: &'static [&'static str],
        columns: &'static [Column],
    ) -> Self {
        Table {
            name,
            key,
            columns,
            deferred: &[],
            omitted: &[],
            derived: &[],
            identity: false,
            replaces: false,
            part: Part::Always,
        }
    }

    const fn with_id(name: &'static str, columns: &'static [Column]) -> Self {
        Table {
            identity: true,
            ..Table::new(name, &["id"], columns)
        }
    }

    pub fn file(&self) -> String {
        format!("{}.jsonl", self.name)
    }

    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|column| column.name == name)
    }

    fn key_indexes(&self) -> Vec<usize> {
        self.key
            .iter()
            .filter_map(|key| self.column_index(key))
            .collect()
    }
}

use Kind::{Bool, Bytes, ImageVariants, Int, Json, ObjectKey, Text, Time};

/// Every exported table, in load order.
pub static TABLES: &[Table] = &[
    Table {
        replaces: true,
        ..Table::new(
            "settings",
            &["key"],
            &[col("key", Text), col("value", Text)],
        )
    },
    Table {
        replaces: true,
        ..Table::new(
            "comment_settings",
            &["only_row"],
            &[
                col("only_row", Int),
                col("mode", Text),
                col("premoderate_first", Int),
                col("banned_words", Text),
                col("suspect_words", Text),
                col("premoderate_links", Bool),
                col("auto_close_days", Int),
            ],
        )
    },
    Table {
        replaces: true,
        ..Table::new(
            "narration_settings",
            &["only_row"],
            &[
                col("only_row", Int),
                col("voice", Text),
                col("archive_days", Int),
            ],
        )
    },
    Table::new(
        "pronunciations",
        &["word"],
        &[
            col("word", Text),
            col("kind", Text),
            col("value", Text),
            col("updated_at", Time),
        ],
    ),
    Table::with_id(
        "sections",
        &[
            col("id", Int),
            col("slug", Text),
            col("name", Text),
            col("description", Text),
            col("position", Int),
            col("narration_voice", Text),
        ],
    ),
    Table::new(
        "section_redirects",
        &["old_slug"],
        &[col("old_slug", Text), col("section_id", Int)],
    ),
    Table::with_id(
        "tags",
        &[col("id", Int), col("slug", Text), col("name", Text)],
    ),
    Table {
        deferred: &["photo_image_id"],
        ..Table::with_id(
            "authors",
            &[
                col("id", Int),
                col("slug", Text),
                col("name", Text),
                col("role", Text),
                col("bio", Text),
                col("photo_image_id", Int),
                col("links", Json),
            ],
        )
    },
    Table {
        omitted: &["password_hash"],
        ..Table::with_id(
            "staff",
            &[
                col("id", Int),
                col("email", Text),
                col("display_name", Text),
                col("role", Text),
                col("author_id", Int),
                col("created_at", Time),
                col("disabled_at", Time),
            ],
        )
    },
    Table::with_id(
        "images",
        &[
            col("id", Int),
            col("original_key", ObjectKey),
            col("original_mime", Text),
            col("width", Int),
            col("height", Int),
            col("alt", Text),
            col("caption", Text),
            col("credit", Text),
            col("source_type", Text),
            col("source_type_origin", Text),
            col("source_type_detail", Text),
            col("variants", ImageVariants),
            col("created_at", Time),
            col("uploaded_by", Int),
            col("updated_by", Int),
            col("updated_at", Time),
        ],
    ),
    Table::with_id(
        "articles",
        &[
            col("id", Int),
            col("section_id", Int),
            col("slug", Text),
            col("kind", Text),
            col("headline", Text),
            col("standfirst", Text),
            col("body", Text),
            col("dateline_place", Text),
            col("status", Text),
            col("scheduled_for", Time),
            col("first_published_at", Time),
            col("updated_at", Time),
            col("created_at", Time),
            col("hero_image_id", Int),
            col("comments_open", Bool),
            col("language", Text),
            col("reading_minutes", Int),
            col("version", Int),
            col("coverage_started_at", Time),
            col("coverage_ended_at", Time),
            col("live_revision", Int),
        ],
    ),
    // `listed_at` is the article's place in the author and tag lists, a copy the database's
    // triggers (migration 0021) make again when the row is loaded after its article.
    Table {
        omitted: &["listed_at"],
        ..Table::new(
            "article_authors",
            &["article_id", "position", "author_id"],
            &[
                col("article_id", Int),
                col("position", Int),
                col("author_id", Int),
            ],
        )
    },
    Table {
        omitted: &["listed_at"],
        ..Table::new(
            "article_tags",
            &["article_id", "tag_id"],
            &[col("article_id", Int), col("tag_id", Int)],
        )
    },
    Table::new(
        "article_redirects",
        &["old_path"],
        &[col("old_path", Text), col("article_id", Int)],
    ),
    Table::new(
        "article_discussions",
        &["article_id"],
        &[
            col("article_id", Int),
            col("mode", Text),
            col("keep_open", Bool),
        ],
    ),
    Table::with_id(
        "article_revisions",
        &[
            col("id", Int),
            col("article_id", Int),
            col("number", Int),
            col("article_version", Int),
            col("saved_at", Time),
            col("saved_by_staff_id", Int),
            col("saved_by_name", Text),
            col("restored_from", Int),
            col("snapshot", Json),
        ],
    ),
    Table::with_id(
        "article_notes",
        &[
            col("id", Int),
            col("article_id", Int),
            col("kind", Text),
            col("body", Text),
            col("published_at", Time),
            col("written_by_staff_id", Int),
            col("written_by_name", Text),
        ],
    ),
    Table::with_id(
        "live_entries",
        &[
            col("id", Int),
            col("article_id", Int),
            col("headline", Text),
            col("body", Text),
            col("image_id", Int),
            col("embed_url", Text),
            col("key_event", Bool),
            col("pinned", Bool),
            col("author_id", Int),
            col("posted_by_staff_id", Int),
            col("posted_by_name", Text),
            col("posted_at", Time),
            col("updated_at", Time),
            col("version", Int),
        ],
    ),
    Table::with_id(
        "live_entry_notes",
        &[
            col("id", Int),
            col("entry_id", Int),
            col("kind", Text),
            col("body", Text),
            col("published_at", Time),
            col("written_by_staff_id", Int),
            col("written_by_name", Text),
        ],
    ),
    Table {
        part: Part::Audio,
        ..Table::new(
            "article_audio",
            &["article_id"],
            &[
                col("article_id", Int),
                col("status", Text),
                col("reason", Text),
                col("opted_out", Bool),
                col("voice", Text),
                col("is_fallback", Bool),
                col("duration_ms", Int),
                col("mp3_key", ObjectKey),
                col("mp3_bytes", Int),
                col("opus_key", ObjectKey),
                col("opus_bytes", Int),
                col("timings_key", ObjectKey),
                col("text_hash", Text),
                col("synthesised_paragraphs", Int),
                col("reused_paragraphs", Int),
                col("updated_at", Time),
            ],
        )
    },
    Table {
        omitted: &["password_hash"],
        ..Table::with_id(
            "readers",
            &[
                col("id", Int),
                col("email", Text),
                col("display_name", Text),
                col("verified_at", Time),
                col("status", Text),
                col("suspended_until", Time),
                col("always_premoderate", Bool),
                col("approved_count", Int),
                col("created_at", Time),
                col("deleted_at", Time),
            ],
        )
    },
    Table {
        derived: &["body_html"],
        ..Table::with_id(
            "comments",
            &[
                col("id", Int),
                col("article_id", Int),
                col("parent_id", Int),
                col("root_id", Int),
                col("depth", Int),
                col("reader_id", Int),
                col("staff_id", Int),
                col("body", Text),
                col("status", Text),
                col("featured", Bool),
                col("queue_reason", Text),
                col("reject_reason", Text),
                col("report_count", Int),
                col("created_at", Time),
                col("edited_at", Time),
                col("moderated_at", Time),
                col("moderated_by_staff_id", Int),
            ],
        )
    },
    Table::with_id(
        "comment_reports",
        &[
            col("id", Int),
            col("comment_id", Int),
            col("reader_id", Int),
            col("reason", Text),
            col("detail", Text),
            col("created_at", Time),
            col("resolved_at", Time),
        ],
    ),
    Table::with_id(
        "pages",
        &[
            col("id", Int),
            col("slug", Text),
            col("title", Text),
            col("description", Text),
            col("body", Text),
            col("status", Text),
            col("position", Int),
            col("first_published_at", Time),
            col("updated_at", Time),
            col("created_at", Time),
            col("version", Int),
        ],
    ),
    Table::with_id(
        "page_revisions",
        &[
            col("id", Int),
            col("page_id", Int),
            col("number", Int),
            col("page_version", Int),
            col("saved_at", Time),
            col("saved_by_staff_id", Int),
            col("saved_by_name", Text),
            col("title", Text),
            col("slug", Text),
            col("description", Text),
            col("body", Text),
        ],
    ),
    Table::new(
        "redirects",
        &["old_path"],
        &[
            col("old_path", Text),
            col("target_kind", Text),
            col("target_id", Int),
            col("created_at", Time),
        ],
    ),
    Table::new(
        "import_sources",
        &["source_id"],
        &[
            col("source_id", Text),
            col("kind", Text),
            col("entity_id", Int),
            col("imported_at", Time),
        ],
    ),
    Table::with_id(
        "audit_log",
        &[
            col("id", Int),
            col("at", Time),
            col("actor_staff_id", Int),
            col("actor_name", Text),
            col("action", Text),
            col("subject_kind", Text),
            col("subject_id", Int),
            col("detail", Text),
        ],
    ),
    Table {
        omitted: &["wrapped_identity"],
        ..Table::with_id(
            "tip_recipients",
            &[
                col("id", Int),
                col("staff_id", Int),
                col("label", Text),
                col("public_key", Text),
                col("kind", Text),
                col("created_at", Time),
                col("retired_at", Time),
            ],
        )
    },
    Table::with_id(
        "tips",
        &[
            col("id", Int),
            col("received_at", Time),
            col("kind", Text),
            col("article_id", Int),
            col("status", Text),
            col("resolution", Text),
            col("resolved_at", Time),
            col("assignee_staff_id", Int),
            col("codename_key", Text),
            col("reply_public_key", Text),
            col("message", Bytes),
            col("contact", Bytes),
            col("correction_note_id", Int),
        ],
    ),
    Table::with_id(
        "tip_attachments",
        &[
            col("id", Int),
            col("tip_id", Int),
            col("position", Int),
            col("object_key", ObjectKey),
            col("description", Bytes),
            col("size", Int),
        ],
    ),
    Table::with_id(
        "tip_messages",
        &[
            col("id", Int),
            col("tip_id", Int),
            col("sent_at", Time),
            col("sender", Text),
            col("staff_id", Int),
            col("body", Bytes),
        ],
    ),
    Table::with_id(
        "tip_notes",
        &[
            col("id", Int),
            col("tip_id", Int),
            col("written_at", Time),
            col("staff_id", Int),
            col("staff_name", Text),
            col("body", Bytes),
        ],
    ),
    Table::with_id(
        "tip_events",
        &[
            col("id", Int),
            col("tip_id", Int),
            col("at", Time),
            col("staff_id", Int),
            col("actor_name", Text),
            col("kind", Text),
            col("detail", Text),
        ],
    ),
];

/// Tables left out of the export: operational state of this installation (the change log, jobs,
/// counters, cursors, the editors open on each node), secrets (sessions, links, tokens, the tips install secret) and the
/// PostgreSQL search index, which the importing site builds again.
pub const NOT_EXPORTED: &[&str] = &[
    "_sqlx_migrations",
    "api_tokens",
    "cdn_purge_cursor",
    "change_log_head",
    "changes",
    "editor_presence",
    "jobs",
    "limit_counters",
    "narration_totals",
    "reader_links",
    "reader_sessions",
    "search_cursor",
    "search_documents",
    "search_lexicon",
    "sign_in_attempts",
    "sitemap_months",
    "staff_login_failures",
    "staff_password_links",
    "staff_sessions",
    "tip_install",
    "tip_spent_proofs",
];

/// The table of the export called `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|table| table.name == name)
}

/// Identifiers as SQL text. Every name comes from [`TABLES`], never from input.
fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// Which rows a read takes: a batch after a key, or every row with one column's value.
enum Filter<'a> {
    After(bool),
    Equal(&'a str),
}

fn select_sql(table: &Table, filter: Filter<'_>, limit: Option<usize>) -> String {
    let columns = table
        .columns
        .iter()
        .map(|column| match column.kind.storage() {
            // PostgreSQL keeps some counts as INTEGER; one width for both backends.
            Storage::Int | Storage::Time => {
                format!("CAST({0} AS BIGINT) AS {0}", quoted(column.name))
            }
            _ => quoted(column.name),
        })
        .collect::<Vec<_>>()
        .join(", ");
    let keys = table
        .key
        .iter()
        .map(|key| quoted(key))
        .collect::<Vec<_>>()
        .join(", ");
    let filter = match filter {
        Filter::After(false) => String::new(),
        Filter::After(true) => {
            let placeholders = (1..=table.key.len())
                .map(|n| format!("${n}"))
                .collect::<Vec<_>>()
                .join(", ");
            format!(" WHERE ({keys}) > ({placeholders})")
        }
        Filter::Equal(column) => format!(" WHERE {} = $1", quoted(column)),
    };
    let limit = limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default();
    format!(
        "SELECT {columns} FROM {}{filter} ORDER BY {keys}{limit}",
        quoted(table.name)
    )
}

/// Reads each column of `$row` by its kind into a [`Value`].
macro_rules! decode_row {
    ($row:expr, $table:expr) => {{
        let mut values = Vec::with_capacity($table.columns.len());
        for (i, column) in $table.columns.iter().enumerate() {
            let value = match column.kind.storage() {
                Storage::Int => $row.try_get::<Option<i64>, _>(i)?.map(Value::Int),
                Storage::Time => $row
                    .try_get::<Option<i64>, _>(i)?
                    .map(|micros| Value::Time(from_micros(micros))),
                Storage::Bool => $row.try_get::<Option<bool>, _>(i)?.map(Value::Bool),
                Storage::Text => $row.try_get::<Option<String>, _>(i)?.map(Value::Text),
                Storage::Bytes => $row.try_get::<Option<Vec<u8>>, _>(i)?.map(Value::Bytes),
            };
            values.push(value.unwrap_or(Value::Null));
        }
        values
    }};
}

/// Binds `$value` to `$query` as a column of `$column`'s kind (NULL typed as the column, which
/// PostgreSQL insists on).
macro_rules! bind_value {
    ($query:expr, $table:expr, $column:expr, $value:expr) => {
        match ($column.kind.storage(), $value) {
            (Storage::Int, Value::Int(v)) => $query.bind(*v),
            (Storage::Int | Storage::Time, Value::Null) => $query.bind(None::<i64>),
            (Storage::Time, Value::Time(at)) => $query.bind(to_micros(*at)),
            (Storage::Bool, Value::Bool(v)) => $query.bind(*v),
            (Storage::Bool, Value::Null) => $query.bind(None::<bool>),
            (Storage::Text, Value::Text(v)) => $query.bind(v.clone()),
            (Storage::Text, Value::Null) => $query.bind(None::<String>),
            (Storage::Bytes, Value::Bytes(v)) => $query.bind(v.clone()),
            (Storage::Bytes, Value::Null) => $query.bind(None::<Vec<u8>>),
            (_, other) => {
                return Err(DbError::Invalid(format!(
                    "{}.{}: {other:?} is not a {}",
                    $table.name,
                    $column.name,
                    $column.kind.name()
                )));
            }
        }
    };
}

/// One consistent view of the whole site for an export: a read transaction (`REPEATABLE READ
/// READ ONLY` in PostgreSQL; in SQLite's WAL mode a read transaction sees one snapshot while
/// writers carry on), read table by table in batches so memory stays flat however large the
/// site.
pub struct ExportSnapshot {
    tx: SnapshotTx,
}

enum SnapshotTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Store {
    /// Opens the snapshot an export reads.
    pub async fn export_snapshot(&self) -> Result<ExportSnapshot> {
        let mut tx = match &self.backend {
            Backend::Sqlite { reader, .. } => SnapshotTx::Sqlite(reader.begin().await?),
            Backend::Postgres(pool) => SnapshotTx::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?,
            ),
        };
        // SQLite takes its snapshot at the first read, not at BEGIN: read now, so every table
        // comes from the same moment.
        match &mut tx {
            SnapshotTx::Sqlite(tx) => {
                sqlx::query("SELECT COUNT(*) FROM sections")
                    .execute(&mut **tx)
                    .await?;
            }
            SnapshotTx::Postgres(_) => {}
        }
        Ok(ExportSnapshot { tx })
    }
}

impl ExportSnapshot {
    /// The newest migration applied to the site.
    pub async fn schema_version(&mut self) -> Result<i64> {
        let sql = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        let version: Option<i64> = match &mut self.tx {
            SnapshotTx::Sqlite(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await?,
            SnapshotTx::Postgres(tx) => sqlx::query_scalar(sql).fetch_one(&mut **tx).await?,
        };
        Ok(version.unwrap_or(0))
    }

    /// Up to `limit` rows of `table` in key order, after the row `after` (the previous batch's
    /// last row) if given. An empty batch means the table is done.
    pub async fn rows(
        &mut self,
        table: &Table,
        after: Option<&[Value]>,
        limit: usize,
    ) -> Result<Vec<Vec<Value>>> {
        let sql = select_sql(table, Filter::After(after.is_some()), Some(limit));
        let after_keys: Vec<(Column, Value)> = match after {
            Some(row) => table
                .key_indexes()
                .into_iter()
                .map(|i| (table.columns[i], row[i].clone()))
                .collect(),
            None => Vec::new(),
        };
        self.read(table, sql, after_keys).await
    }

    /// Every row of `table` whose `column` holds `value`, in key order (an article's bylines,
    /// tags, comments and notes, read one article at a time).
    pub async fn rows_where(
        &mut self,
        table: &Table,
        column: &str,
        value: Value,
    ) -> Result<Vec<Vec<Value>>> {
        let index = table
            .column_index(column)
            .ok_or_else(|| DbError::Invalid(format!("{} has no column {column}", table.name)))?;
        let sql = select_sql(table, Filter::Equal(table.columns[index].name), None);
        self.read(table, sql, vec![(table.columns[index], value)])
            .await
    }

    /// The largest id of `table`, if it has rows.
    pub async fn max_id(&mut self, table: &Table) -> Result<Option<i64>> {
        let sql = format!("SELECT CAST(MAX(id) AS BIGINT) FROM {}", quoted(table.name));
        Ok(match &mut self.tx {
            SnapshotTx::Sqlite(tx) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut **tx)
                    .await?
            }
            SnapshotTx::Postgres(tx) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                    .fetch_one(&mut **tx)
                    .await?
            }
        })
    }

    async fn read(
        &mut self,
        table: &Table,
        sql: String,
        binds: Vec<(Column, Value)>,
    ) -> Result<Vec<Vec<Value>>> {
        let after_keys = binds;
        let mut batch = Vec::new();
        match &mut self.tx {
            SnapshotTx::Sqlite(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (column, value) in &after_keys {
                    query = bind_value!(query, table, column, value);
                }
                let mut rows = query.fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    batch.push(decode_row!(row, table));
                }
            }
            SnapshotTx::Postgres(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (column, value) in &after_keys {
                    query = bind_value!(query, table, column, value);
                }
                let mut rows = query.fetch(&mut **tx);
                while let Some(row) = rows.try_next().await? {
                    batch.push(decode_row!(row, table));
                }
            }
        }
        Ok(batch)
    }

    /// Ends the read transaction.
    pub async fn finish(self) -> Result<()> {
        match self.tx {
            SnapshotTx::Sqlite(tx) => tx.rollback().await?,
            SnapshotTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// Rows going into an empty site, all in one write transaction: nothing is visible until
/// [`ExportLoad::commit`], and a load that is dropped (a bad line, a file that fails its
/// checksum, a process that dies) leaves the site as empty as it was.
pub struct ExportLoad {
    tx: LoadTx,
    /// Per table with deferred columns: the key and deferred values of each row that has any.
    deferred: Vec<DeferredRow>,
    loaded: BTreeMap<&'static str, u64>,
    replaced: Vec<&'static str>,
}

/// A row's deferred columns: its table, its key values, and the values to set.
type DeferredRow = (&'static Table, Vec<Value>, Vec<(Column, Value)>);

enum LoadTx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Store {
    /// Starts a load. Refuses a site that holds anything an export would bring (a section, an
    /// article, a staff account, a reader…): `dateline import dateline` only fills an empty
    /// site, so ids can be kept.
    pub async fn begin_export_load(&self) -> Result<ExportLoad> {
        let mut tx = match &self.backend {
            Backend::Sqlite { writer, .. } => LoadTx::Sqlite(writer.begin().await?),
            Backend::Postgres(pool) => LoadTx::Postgres(pool.begin().await?),
        };
        let mut found = Vec::new();
        for table in TABLES.iter().filter(|table| !table.replaces) {
            let sql = format!("SELECT COUNT(*) FROM {}", quoted(table.name));
            let count: i64 = match &mut tx {
                LoadTx::Sqlite(tx) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
                LoadTx::Postgres(tx) => {
                    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                        .fetch_one(&mut **tx)
                        .await?
                }
            };
            if count > 0 {
                found.push(format!("{count} {}", table.name));
            }
        }
        if !found.is_empty() {
            return Err(DbError::Invalid(format!(
                "this site is not empty (it has {}): an export is only imported into an empty \
                 site, so that ids, addresses and comment threads stay as they were. Point \
                 dateline at a new database and data folder",
                found.join(", ")
            )));
        }
        Ok(ExportLoad {
            tx,
            deferred: Vec::new(),
            loaded: BTreeMap::new(),
            replaced: Vec::new(),
        })
    }
}

/// Rows per INSERT statement: well under both backends' limits on bound parameters.
const INSERT_ROWS: usize = 100;

impl ExportLoad {
    /// Inserts rows of `table` (values in the order of `table.columns`).
    pub async fn insert(&mut self, table: &'static Table, rows: &[Vec<Value>]) -> Result<()> {
        if table.replaces && !self.replaced.contains(&table.name) {
            let sql = format!("DELETE FROM {}", quoted(table.name));
            match &mut self.tx {
                LoadTx::Sqlite(tx) => {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut **tx)
                        .await?;
                }
                LoadTx::Postgres(tx) => {
                    sqlx::query(sqlx::AssertSqlSafe(sql))
                        .execute(&mut **tx)
                        .await?;
                }
            }
            self.replaced.push(table.name);
        }
        let deferred: Vec<usize> = table
            .deferred
            .iter()
            .filter_map(|name| table.column_index(name))
            .collect();
        let mut prepared = Vec::with_capacity(rows.len());
        for row in rows {
            if row.len() != table.columns.len() {
                return Err(DbError::Invalid(format!(
                    "{}: a row has {} values for {} columns",
                    table.name,
                    row.len(),
                    table.columns.len()
                )));
            }
            let mut row = row.clone();
            let mut later = Vec::new();
            for &i in &deferred {
                let value = std::mem::replace(&mut row[i], Value::Null);
                if value != Value::Null {
                    later.push((table.columns[i], value));
                }
            }
            if !later.is_empty() {
                let key: Vec<Value> = table
                    .key_indexes()
                    .into_iter()
                    .map(|i| row[i].clone())
                    .collect();
                self.deferred.push((table, key, later));
            }
            for name in table.derived {
                row.push(derive(table, name, &row)?);
            }
            prepared.push(row);
        }
        let mut columns: Vec<Column> = table.columns.to_vec();
        columns.extend(table.derived.iter().map(|name| col(name, Text)));
        let overriding = self.is_postgres() && table.identity;
        let before = self.loaded.get(table.name).copied().unwrap_or(0);
        for (n, chunk) in prepared.chunks(INSERT_ROWS).enumerate() {
            let sql = insert_sql(overriding, table.name, &columns, chunk.len());
            // A savepoint per statement: when one is refused (a reference to nothing, a
            // duplicate id), PostgreSQL's transaction is still usable to find the row at fault.
            self.raw("SAVEPOINT load_rows").await?;
            let Err(error) = self.run(table, &sql, &columns, chunk).await? else {
                self.raw("RELEASE SAVEPOINT load_rows").await?;
                continue;
            };
            self.raw("ROLLBACK TO SAVEPOINT load_rows").await?;
            let single = insert_sql(overriding, table.name, &columns, 1);
            for (i, row) in chunk.iter().enumerate() {
                if let Err(row_error) = self
                    .run(table, &single, &columns, std::slice::from_ref(row))
                    .await?
                {
                    let line = before + (n * INSERT_ROWS + i) as u64 + 1;
                    return Err(DbError::Invalid(format!(
                        "loading {} line {line}: {row_error}",
                        table.file()
                    )));
                }
            }
            return Err(loading(table, error));
        }
        *self.loaded.entry(table.name).or_default() += rows.len() as u64;
        Ok(())
    }

    fn is_postgres(&self) -> bool {
        matches!(self.tx, LoadTx::Postgres(_))
    }

    /// A statement without values (savepoints) in the load's transaction.
    async fn raw(&mut self, sql: &'static str) -> Result<()> {
        match &mut self.tx {
            LoadTx::Sqlite(tx) => {
                sqlx::query(sql).execute(&mut **tx).await?;
            }
            LoadTx::Postgres(tx) => {
                sqlx::query(sql).execute(&mut **tx).await?;
            }
        }
        Ok(())
    }

    /// Runs `sql` with the values of `rows` bound in order: a value of the wrong kind is an
    /// error of the load (outer), the database's refusal is handed back as it is (inner).
    async fn run(
        &mut self,
        table: &Table,
        sql: &str,
        columns: &[Column],
        rows: &[Vec<Value>],
    ) -> Result<std::result::Result<(), sqlx::Error>> {
        let sql = sql.to_owned();
        Ok(match &mut self.tx {
            LoadTx::Sqlite(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in rows {
                    for (column, value) in columns.iter().zip(row) {
                        query = bind_value!(query, table, column, value);
                    }
                }
                query.execute(&mut **tx).await.map(|_| ())
            }
            LoadTx::Postgres(tx) => {
                let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                for row in rows {
                    for (column, value) in columns.iter().zip(row) {
                        query = bind_value!(query, table, column, value);
                    }
                }
                query.execute(&mut **tx).await.map(|_| ())
            }
        })
    }

    /// Rows loaded so far, per table.
    pub fn loaded(&self) -> &BTreeMap<&'static str, u64> {
        &self.loaded
    }

    /// Writes the deferred columns, once every table is in: after this, only the commit can
    /// fail. A reference that leads nowhere is named by its file and row.
    pub async fn link(&mut self) -> Result<()> {
        for (table, key, values) in std::mem::take(&mut self.deferred) {
            let assignments = values
                .iter()
                .enumerate()
                .map(|(n, (column, _))| format!("{} = ${}", quoted(column.name), n + 1))
                .collect::<Vec<_>>()
                .join(", ");
            let filter = table
                .key
                .iter()
                .enumerate()
                .map(|(n, name)| format!("{} = ${}", quoted(name), values.len() + n + 1))
                .collect::<Vec<_>>()
                .join(" AND ");
            let sql = format!(
                "UPDATE {} SET {assignments} WHERE {filter}",
                quoted(table.name)
            );
            let key_columns: Vec<Column> = table
                .key_indexes()
                .into_iter()
                .map(|i| table.columns[i])
                .collect();
            match &mut self.tx {
                LoadTx::Sqlite(tx) => {
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (column, value) in &values {
                        query = bind_value!(query, table, column, value);
                    }
                    for (column, value) in key_columns.iter().zip(&key) {
                        query = bind_value!(query, table, column, value);
                    }
                    query
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| linking(table, &key, e))?;
                }
                LoadTx::Postgres(tx) => {
                    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for (column, value) in &values {
                        query = bind_value!(query, table, column, value);
                    }
                    for (column, value) in key_columns.iter().zip(&key) {
                        query = bind_value!(query, table, column, value);
                    }
                    query
                        .execute(&mut **tx)
                        .await
                        .map_err(|e| linking(table, &key, e))?;
                }
            }
        }
        Ok(())
    }

    /// Writes what is left of the deferred columns, moves PostgreSQL's id sequences past the
    /// loaded ids, and commits. Foreign keys are checked as rows go in, so a load that reaches
    /// here fits together.
    pub async fn commit(mut self) -> Result<BTreeMap<&'static str, u64>> {
        self.link().await?;
        match self.tx {
            LoadTx::Sqlite(tx) => tx.commit().await?,
            LoadTx::Postgres(mut tx) => {
                for table in TABLES.iter().filter(|table| table.identity) {
                    // The next id handed out comes after the largest loaded one.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', 'id'), MAX(id)) \
                         FROM {1} HAVING MAX(id) IS NOT NULL",
                        table.name,
                        quoted(table.name)
                    )))
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
            }
        }
        Ok(self.loaded)
    }
}

fn insert_sql(overriding: bool, table: &str, columns: &[Column], rows: usize) -> String {
    let names = columns
        .iter()
        .map(|column| quoted(column.name))
        .collect::<Vec<_>>()
        .join(", ");
    let width = columns.len();
    let values = (0..rows)
        .map(|row| {
            let placeholders = (1..=width)
                .map(|n| format!("${}", row * width + n))
                .collect::<Vec<_>>()
                .join(", ");
            format!("({placeholders})")
        })
        .collect::<Vec<_>>()
        .join(", ");
    let overriding = if overriding {
        " OVERRIDING SYSTEM VALUE"
    } else {
        ""
    };
    format!(
        "INSERT INTO {} ({names}){overriding} VALUES {values}",
        quoted(table)
    )
}

/// A derived column's value for `row`.
fn derive(table: &Table, name: &str, row: &[Value]) -> Result<Value> {
    match (table.name, name) {
        ("comments", "body_html") => {
            let body = table
                .column_index("body")
                .and_then(|i| match &row[i] {
                    Value::Text(body) => Some(body.as_str()),
                    _ => None,
                })
                .ok_or_else(|| DbError::Invalid("comments: a comment without a body".into()))?;
            Ok(Value::Text(dateline_core::comments::render_comment_html(
                body,
            )))
        }
        _ => Err(DbError::Invalid(format!(
            "{}.{name}: no rule derives this column",
            table.name
        ))),
    }
}

fn loading(table: &Table, error: sqlx::Error) -> DbError {
    DbError::Invalid(format!("loading {}: {error}", table.file()))
}

/// A deferred reference refused by the database, named by its file and the row's key.
fn linking(table: &Table, key: &[Value], error: sqlx::Error) -> DbError {
    let row = table
        .key
        .iter()
        .zip(key)
        .map(|(name, value)| match value {
            Value::Int(n) => format!("{name} {n}"),
            Value::Text(text) => format!("{name} {text:?}"),
            other => format!("{name} {other:?}"),
        })
        .collect::<Vec<_>>()
        .join(", ");
    DbError::Invalid(format!(
        "loading {} (the row with {row}): {error}",
        table.file()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every table and column of the schema is either exported or deliberately left out: a
    /// migration that adds one must decide which, or a site's data could silently stay behind
    /// on a move.
    async fn schema_is_accounted_for(store: crate::testing::TestStore) {
        let columns: Vec<(String, String)> = match &store.store.backend {
            Backend::Sqlite { reader, .. } => sqlx::query_as(
                "SELECT s.name, p.name FROM sqlite_schema s, pragma_table_info(s.name) p \
                 WHERE s.type = 'table' AND s.name NOT LIKE 'sqlite_%' ORDER BY 1, 2",
            )
            .fetch_all(reader)
            .await
            .expect("columns"),
            Backend::Postgres(pool) => sqlx::query_as(
                "SELECT c.relname::text, a.attname::text FROM pg_attribute a \
                 JOIN pg_class c ON c.oid = a.attrelid \
                 WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' \
                   AND a.attnum > 0 AND NOT a.attisdropped ORDER BY 1, 2",
            )
            .fetch_all(pool)
            .await
            .expect("columns"),
        };
        let mut tables_seen = std::collections::BTreeSet::new();
        for (table_name, column) in &columns {
            tables_seen.insert(table_name.clone());
            if NOT_EXPORTED.contains(&table_name.as_str()) {
                continue;
            }
            let Some(table) = table(table_name) else {
                panic!(
                    "the table {table_name} is neither exported (export::TABLES) nor listed in \
                     export::NOT_EXPORTED: decide, and document it in docs/export-format.md"
                );
            };
            assert!(
                table.column_index(column).is_some()
                    || table.omitted.contains(&column.as_str())
                    || table.derived.contains(&column.as_str()),
                "the column {table_name}.{column} is new: export it, derive it or omit it in \
                 export::TABLES, and document it in docs/export-format.md"
            );
        }
        for table in TABLES {
            assert!(
                tables_seen.contains(table.name),
                "{} is exported but the schema has no such table",
                table.name
            );
            for column in table.columns {
                assert!(
                    columns
                        .iter()
                        .any(|(t, c)| t == table.name && c == column.name),
                    "{}.{} is exported but the schema has no such column",
                    table.name,
                    column.name
                );
            }
            for key in table.key.iter().chain(table.deferred) {
                assert!(table.column_index(key).is_some(), "{}.{key}", table.name);
            }
        }
    }

    /// A row goes out and comes back with every kind of value intact, ids kept, and a load into
    /// a site that has content is refused.
    async fn rows_round_trip(store: crate::testing::TestStore) {
        let (article_id, _) = crate::testing::published_article(&store, "Body.").await;
        let mut snapshot = store.export_snapshot().await.expect("snapshot");
        let articles = table("articles").expect("articles");
        let rows = snapshot.rows(articles, None, 10).await.expect("rows");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0][0], Value::Int(article_id));
        let after = snapshot
            .rows(articles, Some(&rows[0]), 10)
            .await
            .expect("rows");
        assert!(after.is_empty(), "{after:?}");
        snapshot.finish().await.expect("finish");
        match store.begin_export_load().await {
            Err(DbError::Invalid(message)) => assert!(message.contains("not empty"), "{message}"),
            Err(other) => panic!("{other}"),
            Ok(_) => panic!("a site with an article accepted a load"),
        }
    }

    crate::both_backends!(schema_is_accounted_for, rows_round_trip);
}
