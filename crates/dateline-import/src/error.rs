//! Why an export file is refused. A refused file plans nothing: the whole file is read and checked
//! before the writer sees a single item, so nothing is half-imported.

use std::fmt;

/// Where in the file the problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// 1-based line and column (in bytes) of an XML or JSON text.
    Text { line: u64, column: u64 },
    /// A path into a JSON document: `db[0].data.posts[3].title`.
    JsonPath(String),
    /// The file as a whole (empty, unreadable).
    File,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text { line, column } => write!(f, "line {line}, column {column}"),
            Self::JsonPath(path) => write!(f, "at {path}"),
            Self::File => f.write_str("in the file"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("could not read the export: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not well-formed XML or JSON (truncated, broken markup, wrong encoding).
    #[error("the export is not valid {format} {location}: {message}")]
    Malformed {
        format: &'static str,
        location: Location,
        message: String,
    },
    /// The file is well-formed but is not the kind of export asked for.
    #[error("this is not a {expected} export ({location}): {found}")]
    WrongKind {
        expected: &'static str,
        location: Location,
        found: String,
    },
}

impl ImportError {
    pub fn location(&self) -> Option<&Location> {
        match self {
            Self::Io(_) => None,
            Self::Malformed { location, .. } | Self::WrongKind { location, .. } => Some(location),
        }
    }
}
