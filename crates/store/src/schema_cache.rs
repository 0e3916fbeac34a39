//! The persisted warehouse metadata cache: one document replaced atomically on every refresh,
//! so the schema browser survives restarts and never serves a half-written cache.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// The stored cache and the outcome of its last refresh.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedSchema {
    /// The metadata document (catalogs → schemas → tables → columns).
    pub payload: serde_json::Value,
    /// When it was last refreshed.
    pub refreshed_at: Option<DateTime<Utc>>,
    /// `success`, `partial` or `failed`.
    pub status: String,
    /// Duration of the last refresh.
    pub duration_ms: Option<i64>,
    /// Error of the last refresh, if any.
    pub error: Option<String>,
}

/// Loads the cache, if a refresh ever ran.
pub async fn load(conn: &mut AnyConnection) -> Result<Option<CachedSchema>, StoreError> {
    let row = sqlx::query(
        "SELECT payload, refreshed_at, status, duration_ms, error FROM schema_cache WHERE id = 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| {
        let text: String = r.try_get("payload")?;
        Ok(CachedSchema {
            payload: serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                column: "schema_cache.payload",
                message: e.to_string(),
            })?,
            refreshed_at: r
                .try_get::<Option<i64>, _>("refreshed_at")?
                .map(from_millis),
            status: r.try_get("status")?,
            duration_ms: r.try_get("duration_ms")?,
            error: r.try_get("error")?,
        })
    })
    .transpose()
}

/// Replaces the cache with a new document in one statement.
pub async fn store(conn: &mut AnyConnection, cache: &CachedSchema) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO schema_cache (id, payload, refreshed_at, status, duration_ms, error) VALUES (1, $1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET payload = excluded.payload, refreshed_at = excluded.refreshed_at, status = excluded.status, duration_ms = excluded.duration_ms, error = excluded.error",
    );
    sqlx::query(q)
        .bind(cache.payload.to_string())
        .bind(cache.refreshed_at.map(to_millis))
        .bind(&cache.status)
        .bind(cache.duration_ms)
        .bind(&cache.error)
        .execute(conn)
        .await?;
    Ok(())
}
