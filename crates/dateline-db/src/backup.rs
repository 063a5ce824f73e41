//! What `dateline backup` and `dateline restore` ask of the database: a consistent snapshot of
//! a site that keeps serving, and loading a snapshot into an empty database.
//!
//! - **SQLite**: `VACUUM INTO` a new file. It runs as one read transaction, so in WAL mode the
//!   copy is a consistent snapshot while writers carry on, and the result is a complete,
//!   compacted database file with no WAL beside it. SQLite's online backup API would do the
//!   same page by page, but restarts whenever a writer commits (a busy site may never finish)
//!   and is only reachable through unsafe FFI, which this workspace forbids.
//! - **PostgreSQL**: Dateline's own dump, one JSON object per row (`row_to_json`), every table
//!   read in one `REPEATABLE READ READ ONLY` transaction, so all tables come from the same
//!   snapshot. No `pg_dump` of a matching version has to be installed on the node, the rows
//!   stream through the archive with their SHA-256 like every other entry, and loading them
//!   back is one transaction: an interrupted restore leaves the database as empty as it was.
//!
//! A snapshot restores into the backend it came from. Moving between backends would need a
//! mapping for every column type (BYTEA and BLOB, BOOLEAN and INTEGER, arrays, the full-text
//! index that only PostgreSQL has), which is an export's job, not a backup's.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{Postgres, Row};

use crate::{Backend, BackendKind, DbError, Result, Store};

/// The table sqlx keeps its applied migrations in; a restore recreates it by migrating.
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// Tables the database's own triggers derive from other tables (migration 0023's per-month
/// sitemap totals). A PostgreSQL dump leaves them out: loading the rows they are derived from
/// fills them again, and loading them as well would count everything twice.
const DERIVED_TABLES: &[&str] = &["sitemap_months"];

/// Rows sent to PostgreSQL in one `INSERT`: big enough to amortise the round trip, small enough
/// that a batch of large rows (article bodies, revisions) stays a few megabytes.
const LOAD_BATCH_ROWS: usize = 500;
const LOAD_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// The storage keys rows point at, read with `$conn` (a pool or a connection of either
/// backend). Every column that holds a storage key is named here; the `storage_keys_are_all_known`
/// test fails when a new `*_key` column appears that this does not read.
macro_rules! referenced_objects {
    ($conn:expr) => {{
        let mut keys = BTreeSet::new();
        let images: Vec<(String, String)> =
            sqlx::query_as("SELECT original_key, variants FROM images")
                .fetch_all($conn)
                .await?;
        for (original, variants) in images {
            keys.insert(original);
            let variants: Vec<VariantKey> = serde_json::from_str(&variants)
                .map_err(|e| DbError::Archive(format!("an image's variants do not parse: {e}")))?;
            keys.extend(variants.into_iter().map(|variant| variant.key));
        }
        let audio: Vec<(Option<String>, Option<String>, Option<String>)> =
            sqlx::query_as("SELECT mp3_key, opus_key, timings_key FROM article_audio")
                .fetch_all($conn)
                .await?;
        for (mp3, opus, timings) in audio {
            keys.extend([mp3, opus, timings].into_iter().flatten());
        }
        let attachments: Vec<String> = sqlx::query_scalar("SELECT object_key FROM tip_attachments")
            .fetch_all($conn)
            .await?;
        keys.extend(attachments);
        keys
    }};
}

/// What a snapshot holds, read from the snapshot itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub backend: BackendKind,
    /// The newest migration applied to the snapshot.
    pub schema_version: i64,
    /// Rows per table (sqlx's migrations table left out).
    pub rows: BTreeMap<String, u64>,
    /// The storage keys the snapshot's rows point at: pictures and their variants, narration
    /// audio, tip attachments. A consistent archive holds every one of them.
    pub referenced_objects: BTreeSet<String>,
}

/// One PostgreSQL table of a dump: a file of JSON lines, the first line a [`TableHeader`], then
/// one `row_to_json` object per row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDump {
    pub table: String,
    pub file: PathBuf,
    pub rows: u64,
}

/// The first line of a table's dump: what the rows are, so a restore checks them against the
/// table it loads into instead of trusting the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableHeader {
    pub table: String,
    pub columns: Vec<String>,
    /// Identity and serial columns with their sequence's state, so ids are never handed out
    /// twice after a restore (the sequence may be ahead of the largest id: rolled-back inserts
    /// and deleted rows still used up their numbers).
    #[serde(default)]
    pub sequences: Vec<SequenceState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequenceState {
    pub column: String,
    pub last_value: i64,
    pub is_called: bool,
}

/// The area handle: `store.backup()`.
pub struct Backup<'a> {
    store: &'a Store,
}

impl Store {
    pub fn backup(&self) -> Backup<'_> {
        Backup { store: self }
    }
}

impl Backup<'_> {
    /// SQLite: writes a consistent copy of the live database to `into` (which must not exist)
    /// with `VACUUM INTO`, and reads what the copy holds.
    pub async fn copy_sqlite(&self, into: &Path) -> Result<Snapshot> {
        let Backend::Sqlite { reader, .. } = &self.store.backend else {
            return Err(DbError::Archive(
                "a file copy is for SQLite; PostgreSQL is dumped table by table".into(),
            ));
        };
        let target = into
            .to_str()
            .ok_or_else(|| DbError::Archive(format!("{} is not a UTF-8 path", into.display())))?;
        // A read-only connection is enough: VACUUM INTO only reads the source.
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(reader)
            .await?;
        inspect_sqlite_file(into).await
    }

    /// PostgreSQL: writes every table of the current schema to `<folder>/<table>.jsonl` from one
    /// `REPEATABLE READ READ ONLY` transaction, and says what the snapshot holds.
    pub async fn dump_postgres(&self, folder: &Path) -> Result<(Snapshot, Vec<TableDump>)> {
        let Backend::Postgres(pool) = &self.store.backend else {
            return Err(DbError::Archive(
                "a table dump is for PostgreSQL; SQLite is copied whole".into(),
            ));
        };
        let mut tx = pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .await?;
        let schema_version = postgres_schema_version(&mut tx).await?;
        let tables = postgres_tables(&mut tx).await?;
        let mut dumps = Vec::with_capacity(tables.len());
        let mut rows = BTreeMap::new();
        for table in tables {
            let header = TableHeader {
                columns: postgres_columns(&mut tx, &table).await?,
                sequences: postgres_sequences(&mut tx, &table).await?,
                table: table.clone(),
            };
            let file = folder.join(format!("{table}.jsonl"));
            let mut out = std::io::BufWriter::new(create_new(&file)?);
            writeln!(out, "{}", json_line(&header)?).map_err(|e| io_error(&file, &e))?;
            let select = format!("SELECT row_to_json(t)::text FROM {} t", quoted(&table));
            let mut lines =
                sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(select)).fetch(&mut *tx);
            let mut count = 0u64;
            while let Some(line) = lines.try_next().await? {
                writeln!(out, "{line}").map_err(|e| io_error(&file, &e))?;
                count += 1;
            }
            drop(lines);
            out.flush().map_err(|e| io_error(&file, &e))?;
            out.get_ref().sync_all().map_err(|e| io_error(&file, &e))?;
            rows.insert(table.clone(), count);
            dumps.push(TableDump {
                table,
                file,
                rows: count,
            });
        }
        let referenced_objects = referenced_objects!(&mut *tx);
        tx.commit().await?;
        Ok((
            Snapshot {
                backend: BackendKind::Postgres,
                schema_version,
                rows,
                referenced_objects,
            },
            dumps,
        ))
    }
}

#[derive(Deserialize)]
struct VariantKey {
    key: String,
}

/// Checks a SQLite database file (a fresh snapshot, or one about to be restored) and reads what
/// it holds. A file that fails SQLite's `integrity_check` is refused.
pub async fn inspect_sqlite_file(path: &Path) -> Result<Snapshot> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await?;
    let snapshot = async {
        let problems: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&pool)
            .await?;
        if problems != ["ok"] {
            return Err(DbError::Archive(format!(
                "the database file fails SQLite's integrity check: {}",
                problems.join("; ")
            )));
        }
        let schema_version = sqlx::query_scalar::<_, Option<i64>>(
            "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&pool)
        .await?
        .unwrap_or(0);
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_schema WHERE type = 'table' \
             AND name NOT LIKE 'sqlite_%' AND name <> $1 ORDER BY name",
        )
        .bind(MIGRATIONS_TABLE)
        .fetch_all(&pool)
        .await?;
        let mut rows = BTreeMap::new();
        for table in tables {
            let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {}",
                quoted(&table)
            )))
            .fetch_one(&pool)
            .await?;
            rows.insert(table, count as u64);
        }
        let referenced_objects = referenced_objects!(&pool);
        Ok(Snapshot {
            backend: BackendKind::Sqlite,
            schema_version,
            rows,
            referenced_objects,
        })
    }
    .await;
    pool.close().await;
    snapshot
}

/// The newest schema version this build knows for `backend`.
pub fn latest_schema_version(backend: BackendKind) -> i64 {
    let migrator = match backend {
        BackendKind::Sqlite => &crate::SQLITE_MIGRATIONS,
        BackendKind::Postgres => &crate::POSTGRES_MIGRATIONS,
    };
    migrator.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The backend a database URL names.
pub fn backend_of(url: &str) -> Result<BackendKind> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(BackendKind::Postgres)
    } else if url.starts_with("sqlite:") {
        Ok(BackendKind::Sqlite)
    } else {
        Err(DbError::Invalid(format!(
            "database URL must start with sqlite: or postgres:// (got {})",
            crate::redact_url(url)
        )))
    }
}

/// The file a `sqlite:` URL names.
pub fn sqlite_file(url: &str) -> Result<PathBuf> {
    let options = SqliteConnectOptions::from_str(url)?;
    Ok(options.get_filename().to_path_buf())
}

/// What already lives in the database `url` names, if anything: `None` when it is empty (a
/// SQLite file that does not exist or is empty; a PostgreSQL schema without tables). A restore
/// only ever fills an empty database.
pub async fn existing_contents(url: &str) -> Result<Option<String>> {
    match backend_of(url)? {
        BackendKind::Sqlite => {
            let file = sqlite_file(url)?;
            let mut found = Vec::new();
            for suffix in ["", "-wal", "-journal"] {
                let mut name = file.clone().into_os_string();
                name.push(suffix);
                let path = PathBuf::from(name);
                if std::fs::metadata(&path).is_ok_and(|meta| meta.len() > 0) {
                    found.push(path.display().to_string());
                }
            }
            Ok((!found.is_empty()).then(|| format!("the database file {}", found.join(", "))))
        }
        BackendKind::Postgres => {
            let pool = PgPoolOptions::new()
                .max_connections(1)
                .connect_with(PgConnectOptions::from_str(url)?)
                .await?;
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT relname::text FROM pg_class \
                 WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') \
                 ORDER BY relname",
            )
            .fetch_all(&pool)
            .await?;
            pool.close().await;
            Ok(describe_tables(&tables))
        }
    }
}

fn describe_tables(tables: &[String]) -> Option<String> {
    match tables {
        [] => None,
        [one] => Some(format!("the table {one}")),
        many => Some(format!(
            "{} tables ({}{})",
            many.len(),
            many.iter()
                .take(5)
                .map(String::as_str)
                .collect::<Vec<_>>()
                .join(", "),
            if many.len() > 5 { ", …" } else { "" }
        )),
    }
}

/// Loads a PostgreSQL dump into an empty database in one transaction: the schema is migrated
/// to the dump's version inside it, the rows go in table by table, and nothing is visible (or
/// left behind) unless [`PostgresLoad::commit`] succeeds.
pub struct PostgresLoad {
    pool: sqlx::PgPool,
    tx: Option<sqlx::Transaction<'static, Postgres>>,
    /// The columns of every table the migrations made, in table order.
    tables: BTreeMap<String, Vec<String>>,
    /// Foreign keys as the migrations declared them, put back before commit.
    foreign_keys: Vec<ForeignKey>,
    loading: Option<TableHeader>,
    batch: Vec<String>,
    batch_bytes: usize,
    loaded: BTreeMap<String, u64>,
    sequences: Vec<(String, SequenceState)>,
}

struct ForeignKey {
    table: String,
    name: String,
    deferrable: bool,
    deferred: bool,
}

impl PostgresLoad {
    /// Connects, refuses a database that has tables, and migrates it to `schema_version` inside
    /// the load's transaction.
    pub async fn begin(url: &str, schema_version: i64) -> Result<Self> {
        let latest = latest_schema_version(BackendKind::Postgres);
        if schema_version > latest {
            return Err(DbError::Archive(format!(
                "the archive's schema version is {schema_version}; this build knows up to \
                 {latest}: restore it with a newer dateline"
            )));
        }
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(PgConnectOptions::from_str(url)?)
            .await?;
        let mut tx = pool.begin().await?;
        let existing: Vec<String> = sqlx::query_scalar(
            "SELECT relname::text FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace AND relkind IN ('r', 'p') \
             ORDER BY relname",
        )
        .fetch_all(&mut *tx)
        .await?;
        if let Some(found) = describe_tables(&existing) {
            return Err(DbError::Archive(format!(
                "the database is not empty ({found}): a restore only fills an empty database"
            )));
        }
        // Migrations run on the transaction's connection, each in a savepoint: the schema
        // appears together with the rows, or not at all.
        crate::POSTGRES_MIGRATIONS
            .run_to(schema_version, &mut *tx)
            .await?;
        if postgres_schema_version(&mut tx).await? != schema_version {
            return Err(DbError::Archive(format!(
                "this build has no migration {schema_version}: the archive comes from a \
                 different line of Dateline"
            )));
        }
        let mut tables = BTreeMap::new();
        for table in postgres_tables(&mut tx).await? {
            let columns = postgres_columns(&mut tx, &table).await?;
            tables.insert(table, columns);
        }
        // Migrations seed some rows (settings, the change log's head); the dump has them too.
        if !tables.is_empty() {
            let all = tables
                .keys()
                .map(|t| quoted(t))
                .collect::<Vec<_>>()
                .join(", ");
            sqlx::query(sqlx::AssertSqlSafe(format!("TRUNCATE {all}")))
                .execute(&mut *tx)
                .await?;
        }
        // Rows refer to each other in cycles (an author's photo is an image uploaded by staff
        // who write as that author), so no table order satisfies every foreign key while
        // loading. They are checked once, at the end, instead: deferred for this transaction.
        let foreign_keys: Vec<ForeignKey> = sqlx::query(
            "SELECT c.conrelid::regclass::text AS table_name, c.conname::text AS name, \
                    c.condeferrable, c.condeferred \
             FROM pg_constraint c \
             WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace \
             ORDER BY 1, 2",
        )
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|row| ForeignKey {
            table: row.get("table_name"),
            name: row.get("name"),
            deferrable: row.get("condeferrable"),
            deferred: row.get("condeferred"),
        })
        .collect();
        for key in &foreign_keys {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {} ALTER CONSTRAINT {} DEFERRABLE INITIALLY DEFERRED",
                key.table,
                quoted(&key.name)
            )))
            .execute(&mut *tx)
            .await?;
        }
        Ok(PostgresLoad {
            pool,
            tx: Some(tx),
            tables,
            foreign_keys,
            loading: None,
            batch: Vec::new(),
            batch_bytes: 0,
            loaded: BTreeMap::new(),
            sequences: Vec::new(),
        })
    }

    /// Starts the table a dump's first line names. The table must exist at this schema version
    /// with exactly the dump's columns, and must not have been loaded already.
    pub async fn start_table(&mut self, header_line: &str) -> Result<()> {
        self.finish_table().await?;
        let header: TableHeader = serde_json::from_str(header_line)
            .map_err(|e| DbError::Archive(format!("a table dump's header does not parse: {e}")))?;
        let Some(columns) = self.tables.get(&header.table) else {
            return Err(DbError::Archive(format!(
                "the archive has a table {:?} this schema version does not have",
                header.table
            )));
        };
        if *columns != header.columns {
            return Err(DbError::Archive(format!(
                "the table {} has the columns ({}) here, the archive's rows have ({})",
                header.table,
                columns.join(", "),
                header.columns.join(", ")
            )));
        }
        for sequence in &header.sequences {
            if !columns.contains(&sequence.column) {
                return Err(DbError::Archive(format!(
                    "the archive names a sequence on {}.{}, which does not exist",
                    header.table, sequence.column
                )));
            }
        }
        if self.loaded.contains_key(&header.table) {
            return Err(DbError::Archive(format!(
                "the archive holds the table {} twice",
                header.table
            )));
        }
        self.loaded.insert(header.table.clone(), 0);
        self.sequences.extend(
            header
                .sequences
                .iter()
                .map(|sequence| (header.table.clone(), sequence.clone())),
        );
        self.loading = Some(header);
        Ok(())
    }

    /// One row of the table started last: a JSON object as `row_to_json` wrote it.
    pub async fn row(&mut self, line: String) -> Result<()> {
        if self.loading.is_none() {
            return Err(DbError::Archive(
                "a row comes before its table's header".into(),
            ));
        }
        self.batch_bytes += line.len();
        self.batch.push(line);
        if self.batch.len() >= LOAD_BATCH_ROWS || self.batch_bytes >= LOAD_BATCH_BYTES {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let (Some(header), Some(tx)) = (&self.loading, self.tx.as_mut()) else {
            return Ok(());
        };
        if self.batch.is_empty() {
            return Ok(());
        }
        let mut array = String::with_capacity(self.batch_bytes + self.batch.len() + 2);
        array.push('[');
        array.push_str(&self.batch.join(","));
        array.push(']');
        // The table name was checked against the catalog in `start_table`; the rows travel as
        // one bound JSON parameter, never as SQL text.
        let table = quoted(&header.table);
        let inserted = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO {table} OVERRIDING SYSTEM VALUE \
             SELECT * FROM json_populate_recordset(NULL::{table}, $1::json)"
        )))
        .bind(array)
        .execute(&mut **tx)
        .await
        .map_err(|error| {
            DbError::Archive(format!("loading rows into {}: {error}", header.table))
        })?;
        *self.loaded.entry(header.table.clone()).or_default() += inserted.rows_affected();
        self.batch.clear();
        self.batch_bytes = 0;
        Ok(())
    }

    async fn finish_table(&mut self) -> Result<()> {
        self.flush().await?;
        self.loading = None;
        Ok(())
    }

    /// Checks every foreign key, puts the constraints back as the migrations made them, sets the
    /// sequences, compares the rows per table with `expected` and commits.
    pub async fn commit(mut self, expected: &BTreeMap<String, u64>) -> Result<()> {
        self.finish_table().await?;
        if self.loaded != *expected {
            return Err(DbError::Archive(format!(
                "rows loaded per table {:?} differ from the archive's manifest {:?}",
                self.loaded, expected
            )));
        }
        let missing: Vec<&String> = self
            .tables
            .keys()
            .filter(|table| !self.loaded.contains_key(*table))
            .collect();
        if !missing.is_empty() {
            return Err(DbError::Archive(format!(
                "the archive has no rows for the tables {missing:?}"
            )));
        }
        let Some(mut tx) = self.tx.take() else {
            return Err(DbError::Archive("the load was already committed".into()));
        };
        sqlx::query("SET CONSTRAINTS ALL IMMEDIATE")
            .execute(&mut *tx)
            .await
            .map_err(|error| {
                DbError::Archive(format!("the archive's rows do not fit together: {error}"))
            })?;
        for key in &self.foreign_keys {
            let mode = match (key.deferrable, key.deferred) {
                (false, _) => "NOT DEFERRABLE",
                (true, false) => "DEFERRABLE INITIALLY IMMEDIATE",
                (true, true) => "DEFERRABLE INITIALLY DEFERRED",
            };
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "ALTER TABLE {} ALTER CONSTRAINT {} {mode}",
                key.table,
                quoted(&key.name)
            )))
            .execute(&mut *tx)
            .await?;
        }
        for (table, sequence) in &self.sequences {
            sqlx::query("SELECT setval(pg_get_serial_sequence(quote_ident($1), $2), $3, $4)")
                .bind(table)
                .bind(&sequence.column)
                .bind(sequence.last_value)
                .bind(sequence.is_called)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.pool.close().await;
        Ok(())
    }
}

async fn postgres_schema_version(tx: &mut sqlx::PgConnection) -> Result<i64> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM _sqlx_migrations WHERE success",
    )
    .fetch_one(tx)
    .await?
    .unwrap_or(0))
}

/// Dateline's tables in the current schema, by name, but for those the triggers derive.
async fn postgres_tables(tx: &mut sqlx::PgConnection) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT relname::text FROM pg_class \
         WHERE relnamespace = current_schema()::regnamespace AND relkind = 'r' AND relname <> $1 \
         AND relname <> ALL($2) ORDER BY relname",
    )
    .bind(MIGRATIONS_TABLE)
    .bind(DERIVED_TABLES)
    .fetch_all(tx)
    .await?)
}

async fn postgres_columns(tx: &mut sqlx::PgConnection, table: &str) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_attribute a \
         JOIN pg_class c ON c.oid = a.attrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 \
           AND a.attnum > 0 AND NOT a.attisdropped \
         ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(tx)
    .await?)
}

async fn postgres_sequences(
    tx: &mut sqlx::PgConnection,
    table: &str,
) -> Result<Vec<SequenceState>> {
    let owned: Vec<(String, String)> = sqlx::query_as(
        "SELECT a.attname::text, pg_get_serial_sequence(quote_ident(c.relname), a.attname) \
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid \
         WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = $1 \
           AND a.attnum > 0 AND NOT a.attisdropped \
           AND pg_get_serial_sequence(quote_ident(c.relname), a.attname) IS NOT NULL \
         ORDER BY a.attnum",
    )
    .bind(table)
    .fetch_all(&mut *tx)
    .await?;
    let mut sequences = Vec::with_capacity(owned.len());
    for (column, sequence) in owned {
        // The name comes from the catalog, already quoted and qualified by PostgreSQL.
        let (last_value, is_called): (i64, bool) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT last_value, is_called FROM {sequence}"
        )))
        .fetch_one(&mut *tx)
        .await?;
        sequences.push(SequenceState {
            column,
            last_value,
            is_called,
        });
    }
    Ok(sequences)
}

/// An identifier as SQL text. Names come from the catalog (or were checked against it), so
/// quoting is for names that are keywords, not a defence against input.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn json_line(header: &TableHeader) -> Result<String> {
    serde_json::to_string(header).map_err(|e| DbError::Archive(format!("table header: {e}")))
}

fn create_new(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| io_error(path, &e))
}

fn io_error(path: &Path, error: &std::io::Error) -> DbError {
    DbError::Archive(format!("{}: {error}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns named `*_key` that are not storage keys (lookup digests, dedup keys, public keys).
    const NOT_STORAGE_KEYS: &[&str] = &[
        "codename_key",
        "counter_key",
        "dedup_key",
        "proof_key",
        "public_key",
        "reply_public_key",
    ];
    /// The columns named `*_key` that hold storage keys, all read by `referenced_objects!`.
    const STORAGE_KEY_COLUMNS: &[&str] = &[
        "original_key",
        "mp3_key",
        "opus_key",
        "timings_key",
        "object_key",
    ];

    /// A new column that holds a storage key must be read by `referenced_objects!`, or a backup
    /// could leave out objects the database points at without noticing.
    #[tokio::test]
    async fn storage_keys_are_all_known() {
        let store = crate::testing::sqlite().await;
        let Backend::Sqlite { reader, .. } = &store.backend else {
            unreachable!("a SQLite test store");
        };
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT p.name FROM sqlite_schema s, pragma_table_info(s.name) p \
             WHERE s.type = 'table' AND p.name LIKE '%\\_key' ESCAPE '\\' ORDER BY 1",
        )
        .fetch_all(reader)
        .await
        .expect("columns");
        assert!(columns.contains(&"original_key".to_owned()), "{columns:?}");
        for column in &columns {
            assert!(
                STORAGE_KEY_COLUMNS.contains(&column.as_str())
                    || NOT_STORAGE_KEYS.contains(&column.as_str()),
                "{column} is a new *_key column: if it holds a storage key, read it in \
                 referenced_objects! and list it in STORAGE_KEY_COLUMNS, else in NOT_STORAGE_KEYS"
            );
        }
    }
}
