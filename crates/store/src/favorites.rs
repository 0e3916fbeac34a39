//! Per-user favorites of mappings, snapshots and instances (API.md §3.11, §6.2).
//! Removed together with their resource by [`remove_for_resource`].

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// A stored favorite (resource details are joined in by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FavoriteRow {
    /// `mapping`, `snapshot` or `instance`.
    pub resource_type: String,
    /// Resource id.
    pub resource_id: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
}

/// Adds a favorite; a duplicate is a unique violation.
pub async fn insert(
    conn: &mut AnyConnection,
    username: &str,
    resource_type: &str,
    resource_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO favorites (username, resource_type, resource_id, created_at) VALUES ($1, $2, $3, $4)",
    );
    sqlx::query(q)
        .bind(username)
        .bind(resource_type)
        .bind(resource_id)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The user's favorites, newest first, optionally of one type.
pub async fn list(
    conn: &mut AnyConnection,
    username: &str,
    resource_type: Option<&str>,
) -> Result<Vec<FavoriteRow>, StoreError> {
    let q = sql(
        conn,
        "SELECT resource_type, resource_id, created_at FROM favorites WHERE username = $1 AND ($2 = '' OR resource_type = $2) ORDER BY created_at DESC, resource_type, resource_id DESC",
    );
    let rows = sqlx::query(q)
        .bind(username)
        .bind(resource_type.unwrap_or(""))
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(FavoriteRow {
                resource_type: r.try_get("resource_type")?,
                resource_id: r.try_get("resource_id")?,
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .collect()
}

/// Removes one favorite of the user; `false` if it was not there.
pub async fn remove(
    conn: &mut AnyConnection,
    username: &str,
    resource_type: &str,
    resource_id: i64,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "DELETE FROM favorites WHERE username = $1 AND resource_type = $2 AND resource_id = $3",
    );
    Ok(sqlx::query(q)
        .bind(username)
        .bind(resource_type)
        .bind(resource_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// Removes every user's favorite of a resource (cascade on delete).
pub async fn remove_for_resource(
    conn: &mut AnyConnection,
    resource_type: &str,
    resource_id: i64,
) -> Result<u64, StoreError> {
    let q = sql(
        conn,
        "DELETE FROM favorites WHERE resource_type = $1 AND resource_id = $2",
    );
    Ok(sqlx::query(q)
        .bind(resource_type)
        .bind(resource_id)
        .execute(conn)
        .await?
        .rows_affected())
}
