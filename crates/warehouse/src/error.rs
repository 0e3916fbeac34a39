//! The one error type every connector returns.
//!
//! Owns the classification of warehouse failures (unreachable, invalid SQL, runtime failure …)
//! that callers turn into HTTP statuses or job outcomes. Does not own that mapping itself: the
//! control plane decides that `Unreachable` is a 503 and `InvalidSql` a 400 `sql_invalid`.

use arrow::error::ArrowError;

/// A failure talking to, or inside, a warehouse.
#[derive(Debug, thiserror::Error)]
pub enum WarehouseError {
    /// The warehouse could not be reached or refused the connection (network, auth, server down).
    /// The control plane answers 503 `SERVICE_UNAVAILABLE` (`service: "warehouse"`).
    #[error("warehouse unreachable: {0}")]
    Unreachable(String),
    /// The statement was rejected by the warehouse while planning it (syntax error, unknown table
    /// or column, type error). Holds the warehouse's own message; the control plane answers 400
    /// `VALIDATION_FAILED` with reason `sql_invalid`.
    #[error("{0}")]
    InvalidSql(String),
    /// A valid statement failed while running (division by zero, cast failure, query killed …).
    #[error("query failed: {0}")]
    Execution(String),
    /// The warehouse returned something this client does not understand (protocol violation,
    /// unsupported column type).
    #[error("unexpected warehouse response: {0}")]
    Protocol(String),
    /// The connection string or configuration is wrong; nothing was contacted.
    #[error("invalid warehouse configuration: {0}")]
    Config(String),
    /// The query was cancelled by the caller.
    #[error("query cancelled")]
    Cancelled,
}

impl WarehouseError {
    /// Whether this failure means the warehouse itself is unavailable (rather than the query
    /// being at fault) — callers retry these later.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, WarehouseError::Unreachable(_))
    }
}

impl From<ArrowError> for WarehouseError {
    fn from(e: ArrowError) -> Self {
        WarehouseError::Execution(e.to_string())
    }
}
