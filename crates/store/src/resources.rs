//! Small cross-resource lookups (name, owner, status) used by favorites and the proxy.

use sqlx::{AnyConnection, Row};

use crate::db::sql;
use crate::error::StoreError;

/// Name, owner and status of a snapshot or instance; `None` if it does not exist (or is purged).
pub async fn name_owner_status(
    conn: &mut AnyConnection,
    resource_type: &str,
    id: i64,
) -> Result<Option<(String, Option<String>, Option<String>)>, StoreError> {
    let table = match resource_type {
        "snapshot" => "snapshots",
        "instance" => "instances",
        _ => return Ok(None),
    };
    let q = sql(
        conn,
        &format!("SELECT name, owner_username, status FROM {table} WHERE id = $1"),
    );
    let row = sqlx::query(q).bind(id).fetch_optional(conn).await?;
    row.map(|r| {
        Ok((
            r.try_get("name")?,
            r.try_get("owner_username")?,
            r.try_get("status")?,
        ))
    })
    .transpose()
}
