//! Errors of the persistence layer.

/// A failure talking to the metadata database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error or could not be reached.
    #[error("metadata database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored JSON column did not parse; the row was written by an incompatible version.
    #[error("corrupt stored value in {column}: {message}")]
    Corrupt {
        /// Table and column of the value.
        column: &'static str,
        /// What failed to parse.
        message: String,
    },
    /// The database URL names an unsupported scheme.
    #[error("unsupported database URL '{0}': use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    /// A migration failed; the database is left at the previous version.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Migration version number.
        version: i64,
        /// Migration file name.
        name: &'static str,
        /// The database error.
        source: sqlx::Error,
    },
}

impl StoreError {
    /// Whether the error is a unique-constraint violation (e.g. a duplicate favorite or username).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Database(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }
}
