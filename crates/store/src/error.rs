//! Errors of the persistence layer, and how a server answers them.
//!
//! Owns: [`StoreError`] and its classification (unique violation, database unavailable).
//! Does not own: HTTP; the answer is given as a wire body through [`WireError`].

use graph_olap_api::{ErrorBody, ErrorCode, WireError};
use serde_json::{Map, json};

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

    /// Whether the database could not be reached: the pool timed out or is closed, or the
    /// connection failed. Retrying later may succeed.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Database(
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            )
        )
    }
}

impl WireError for StoreError {
    /// `503 SERVICE_UNAVAILABLE` naming the database when it cannot be reached; any other store
    /// failure is unexpected.
    fn error_body(&self) -> Option<ErrorBody> {
        if !self.is_unavailable() {
            return None;
        }
        let mut details = Map::new();
        details.insert("service".into(), json!("database"));
        Some(ErrorBody {
            code: ErrorCode::ServiceUnavailable,
            message: "The metadata database is unavailable; retry shortly".into(),
            details,
        })
    }
}
