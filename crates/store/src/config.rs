//! Platform configuration values (lifecycle, concurrency, maintenance, export) stored as JSON
//! documents under a key, with who changed them and when. Defaults are seeded by the control plane.

use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// A stored configuration document.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigValue {
    /// The JSON document.
    pub value: serde_json::Value,
    /// Last change, `None` for seeded defaults.
    pub updated_at: Option<DateTime<Utc>>,
    /// Who changed it last.
    pub updated_by: Option<String>,
}

/// Reads a configuration document.
pub async fn get(conn: &mut AnyConnection, key: &str) -> Result<Option<ConfigValue>, StoreError> {
    let q = sql(
        conn,
        "SELECT value, updated_at, updated_by FROM platform_config WHERE key = $1",
    );
    let row = sqlx::query(q).bind(key).fetch_optional(conn).await?;
    row.map(|r| {
        let text: String = r.try_get("value")?;
        Ok(ConfigValue {
            value: serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
                column: "platform_config.value",
                message: e.to_string(),
            })?,
            updated_at: r.try_get::<Option<i64>, _>("updated_at")?.map(from_millis),
            updated_by: r.try_get("updated_by")?,
        })
    })
    .transpose()
}

/// Writes the default for `key` unless a value exists.
pub async fn seed(
    conn: &mut AnyConnection,
    key: &str,
    value: &serde_json::Value,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_config (key, value, updated_at, updated_by) VALUES ($1, $2, NULL, NULL) ON CONFLICT (key) DO NOTHING",
    );
    sqlx::query(q)
        .bind(key)
        .bind(value.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

/// Replaces the value of `key`.
pub async fn put(
    conn: &mut AnyConnection,
    key: &str,
    value: &serde_json::Value,
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_config (key, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    );
    sqlx::query(q)
        .bind(key)
        .bind(value.to_string())
        .bind(to_millis(now))
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}
