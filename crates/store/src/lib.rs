//! Metadata persistence for the control plane.
//!
//! Owns: connecting to SQLite (embedded) or PostgreSQL (production), the versioned migrations of
//! each dialect, and the repositories — plain async functions over a connection, one module per
//! resource. The same functions and the same SQL serve both databases; the few dialect
//! differences (row locking, advisory locks) are explicit branches on [`Dialect`].
//!
//! Does not own: HTTP, authorisation, or business rules such as limits and state machines — those
//! live in the control plane, which calls these functions inside the transactions it opens.

pub mod clock;
pub mod db;
pub mod error;
pub mod migrate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use db::{Conn, Dialect, Store, WriteTx};
pub use error::StoreError;
/// The database driver error type, re-exported for classification by callers.
pub use sqlx::Error as SqlxError;

pub mod users;

/// Reads a status column into its type; a value outside the type (a corrupted row) is a decode
/// error naming the value, not a panic or a silently wrong status.
pub(crate) fn decode_status<T>(row: &sqlx::any::AnyRow, column: &str) -> Result<T, sqlx::Error>
where
    T: std::str::FromStr<Err = graph_olap_api::UnknownStatus>,
{
    use sqlx::Row;
    let text: String = row.try_get(column)?;
    text.parse().map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_string(),
        source: Box::new(e),
    })
}

/// A `LIKE` pattern matching `text` as a case-insensitive substring, with `%`, `_` and `\` literal.
/// Use with `LOWER(column) LIKE $n ESCAPE '\'`.
pub fn like_pattern(text: &str) -> String {
    let mut out = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}
pub mod mappings;

/// A dynamically bound SQL value, for queries whose filters are assembled at run time.
#[derive(Debug, Clone)]
pub enum Bind {
    /// Text value.
    Text(String),
    /// Integer value.
    Int(i64),
}

/// Binds every value of `binds` to a scalar query, in order.
pub fn bind_all<'q, O>(
    mut query: sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::QueryScalar<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    query
}

/// Binds every value of `binds` to a row query, in order.
pub fn bind_all_rows<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    query
}
pub mod audit;
pub mod auth_failures;
pub mod bulk;
pub mod config;
pub mod export_jobs;
pub mod favorites;
pub mod idempotency;
pub mod instances;
pub mod jobs;
pub mod ledger;
pub mod resources;
pub mod schema_cache;
pub mod snapshots;
pub mod stats;
#[cfg(feature = "test-support")]
pub mod testing;
