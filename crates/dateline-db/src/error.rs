use thiserror::Error;

#[derive(Debug, Error)]
pub enum DbError {
    #[error("not found")]
    NotFound,
    /// Someone saved a newer version first (optimistic locking).
    #[error("the article was changed by someone else (now at version {current_version})")]
    Conflict { current_version: i64 },
    #[error("{0} is already taken")]
    Duplicate(String),
    #[error("{0}")]
    Invalid(String),
    /// A rule the store checks inside its transaction turned the change away.
    #[error(transparent)]
    Refused(#[from] dateline_core::Refusals),
    /// A status change the editorial workflow does not allow (now, or ever).
    #[error(transparent)]
    Workflow(#[from] dateline_core::workflow::WorkflowError),
    /// A comment or a commenter the discussion rules turn away; the message is for the reader.
    #[error(transparent)]
    Comment(#[from] dateline_core::comments::CommentError),
    #[error("database error: {0}")]
    Sqlx(#[source] sqlx::Error),
    /// A write that must survive a power cut would have committed under a weaker setting.
    #[error("refused to commit: SQLite synchronous is {0}, not FULL")]
    NotDurable(i64),
    /// A backup archive that does not fit this database (`dateline restore`), or a snapshot that
    /// could not be written; the message is for the operator at the command line.
    #[error("{0}")]
    Archive(String),
    /// The database was upgraded by a newer release than this one.
    #[error(
        "the database's schema is at migration {database}, newer than this Dateline knows (up to \
         {known}): a newer release upgraded it. Run that release or a newer one on this node; a \
         node never runs against a schema it does not know"
    )]
    SchemaTooNew { database: i64, known: i64 },
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for DbError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Duplicate(db.constraint().unwrap_or("value").to_owned())
            }
            _ => Self::Sqlx(error),
        }
    }
}
