//! Snapshots: immutable Parquet exports of one mapping version (API.md §3.6, §4.2).
//!
//! Rows are read into [`Snapshot`] (which serialises as the wire record) and written back with
//! [`save`] inside the caller's write transaction; the state machine lives in the control plane.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use graph_olap_api::SnapshotStatus;
use graph_olap_api::export::{DataQuality, QualityPolicy};
use graph_olap_api::time::serde_ts;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::{Dialect, dialect_of, sql};
use crate::error::StoreError;
use crate::{Bind, bind_all, bind_all_rows};

pub use crate::mappings::active_instance_statuses;
use crate::mappings::status_list;

/// A snapshot with the derived fields of the wire record.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Snapshot {
    /// Snapshot id.
    pub id: i64,
    /// Mapping exported.
    pub mapping_id: i64,
    /// Exact version exported.
    pub mapping_version: i64,
    /// Current name of the mapping (derived).
    pub mapping_name: Option<String>,
    /// Whose request created it.
    pub owner_username: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// `pending` | `creating` | `ready` | `failed` | `cancelled`.
    pub status: SnapshotStatus,
    /// URI prefix ending in `/`.
    pub storage_path: String,
    /// Data uploaded by the user instead of exported (§4.11).
    pub prestaged: bool,
    /// Total Parquet bytes once ready.
    pub size_bytes: Option<i64>,
    /// Rows per label once ready.
    pub node_counts: Option<BTreeMap<String, i64>>,
    /// Rows per edge type once ready.
    pub edge_counts: Option<BTreeMap<String, i64>>,
    /// What the export-time data-quality checks found (always present).
    pub data_quality: DataQuality,
    /// Why it failed or was cancelled.
    pub error_message: Option<String>,
    /// Lifecycle TTL (ISO 8601).
    pub ttl: Option<String>,
    /// Inactivity timeout (ISO 8601).
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Last instance start from it.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Active instances using it (derived).
    pub instance_count: i64,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Last change.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: DateTime<Utc>,
    /// When it became ready.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub ready_at: Option<DateTime<Utc>>,
}

/// Values of a new snapshot row.
#[derive(Debug, Clone)]
pub struct NewSnapshot<'a> {
    /// Mapping exported.
    pub mapping_id: i64,
    /// Version exported.
    pub mapping_version: i64,
    /// Creator.
    pub owner_username: &'a str,
    /// Display name.
    pub name: &'a str,
    /// Optional description.
    pub description: Option<&'a str>,
    /// Initial status (`pending`, or `ready` when pre-staged).
    pub status: SnapshotStatus,
    /// Object-store root without trailing slash; the id-bearing path is derived from it.
    pub storage_root: &'a str,
    /// Pre-staged (§4.11).
    pub prestaged: bool,
    /// Initial data-quality record (its policy is the one the export runs under).
    pub data_quality: &'a DataQuality,
    /// TTL (ISO 8601).
    pub ttl: Option<String>,
    /// Inactivity timeout.
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    pub expires_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub now: DateTime<Utc>,
}

const COLUMNS: &str = "s.id, s.mapping_id, s.mapping_version, m.name AS mapping_name, s.owner_username, s.name, s.description, s.status, s.storage_path, s.prestaged, s.size_bytes, s.node_counts, s.edge_counts, s.quality, s.error_message, s.ttl, s.inactivity_timeout, s.expires_at, s.last_used_at, s.created_at, s.updated_at, s.ready_at";

fn instance_count_sql() -> String {
    format!(
        "(SELECT COUNT(*) FROM instances i WHERE i.snapshot_id = s.id AND i.status IN {}) AS instance_count",
        active_instance_statuses()
    )
}

pub(crate) fn opt_ts(
    row: &sqlx::any::AnyRow,
    column: &str,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_millis))
}

fn counts(
    row: &sqlx::any::AnyRow,
    column: &'static str,
) -> Result<Option<BTreeMap<String, i64>>, StoreError> {
    // `column` is `table.column` for error reports; the row knows the bare column name.
    let name = column.rsplit('.').next().unwrap_or(column);
    row.try_get::<Option<String>, _>(name)?
        .map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Corrupt {
                column,
                message: e.to_string(),
            })
        })
        .transpose()
}

fn quality(row: &sqlx::any::AnyRow, prestaged: bool) -> Result<DataQuality, StoreError> {
    match row.try_get::<Option<String>, _>("quality")? {
        Some(text) => serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            column: "snapshots.quality",
            message: e.to_string(),
        }),
        None if prestaged => Ok(DataQuality::not_checked(QualityPolicy::default())),
        None => Ok(DataQuality::pending(QualityPolicy::default())),
    }
}

fn from_row(row: &sqlx::any::AnyRow) -> Result<Snapshot, StoreError> {
    let prestaged = row.try_get::<i64, _>("prestaged")? != 0;
    Ok(Snapshot {
        id: row.try_get("id")?,
        mapping_id: row.try_get("mapping_id")?,
        mapping_version: row.try_get("mapping_version")?,
        mapping_name: row.try_get("mapping_name")?,
        owner_username: row.try_get("owner_username")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        status: crate::decode_status(row, "status")?,
        storage_path: row.try_get("storage_path")?,
        prestaged,
        size_bytes: row.try_get("size_bytes")?,
        node_counts: counts(row, "snapshots.node_counts")?,
        edge_counts: counts(row, "snapshots.edge_counts")?,
        data_quality: quality(row, prestaged)?,
        error_message: row.try_get("error_message")?,
        ttl: row.try_get("ttl")?,
        inactivity_timeout: row.try_get("inactivity_timeout")?,
        expires_at: opt_ts(row, "expires_at")?,
        last_used_at: opt_ts(row, "last_used_at")?,
        instance_count: row.try_get("instance_count")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        ready_at: opt_ts(row, "ready_at")?,
    })
}

/// Inserts a snapshot and sets its `storage_path` to
/// `{root}/{owner}/{mapping_id}/v{version}/{id}/` (§4.2). Returns the new id.
pub async fn insert(conn: &mut AnyConnection, new: &NewSnapshot<'_>) -> Result<i64, StoreError> {
    let now = to_millis(new.now);
    let quality = serde_json::to_string(new.data_quality).map_err(|e| StoreError::Corrupt {
        column: "snapshots.quality",
        message: e.to_string(),
    })?;
    let q = sql(
        conn,
        "INSERT INTO snapshots (mapping_id, mapping_version, owner_username, name, description, status, storage_path, prestaged, ttl, inactivity_timeout, expires_at, created_at, updated_at, ready_at, quality) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $9, $10, $11, $11, $12, $13) RETURNING id",
    );
    let id: i64 = sqlx::query_scalar(q)
        .bind(new.mapping_id)
        .bind(new.mapping_version)
        .bind(new.owner_username)
        .bind(new.name)
        .bind(new.description)
        .bind(new.status.as_str())
        .bind(new.prestaged as i64)
        .bind(new.ttl.clone())
        .bind(new.inactivity_timeout.clone())
        .bind(new.expires_at.map(to_millis))
        .bind(now)
        .bind((new.status == SnapshotStatus::Ready).then_some(now))
        .bind(quality)
        .fetch_one(&mut *conn)
        .await?;
    let path = format!(
        "{}/{}/{}/v{}/{}/",
        new.storage_root.trim_end_matches('/'),
        new.owner_username,
        new.mapping_id,
        new.mapping_version,
        id
    );
    let q = sql(conn, "UPDATE snapshots SET storage_path = $1 WHERE id = $2");
    sqlx::query(q).bind(path).bind(id).execute(conn).await?;
    Ok(id)
}

/// Reads one snapshot.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Snapshot>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS}, {} FROM snapshots s LEFT JOIN mappings m ON m.id = s.mapping_id WHERE s.id = $1",
            instance_count_sql()
        ),
    );
    sqlx::query(q)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Reads one snapshot, locking its row on PostgreSQL until the transaction ends.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<Snapshot>, StoreError> {
    if dialect_of(conn) == Dialect::Postgres {
        let q = sql(conn, "SELECT id FROM snapshots WHERE id = $1 FOR UPDATE");
        if sqlx::query(q)
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .is_none()
        {
            return Ok(None);
        }
    }
    get(conn, id).await
}

/// Filters of `GET /api/snapshots` and `GET /api/mappings/{id}/snapshots`.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    /// Only this mapping.
    pub mapping_id: Option<i64>,
    /// Only this version.
    pub mapping_version: Option<i64>,
    /// Only this owner.
    pub owner: Option<String>,
    /// Only these statuses.
    pub status: Vec<SnapshotStatus>,
    /// Case-insensitive substring of name or description.
    pub search: Option<String>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// Sort keys of snapshot lists.
pub const SORT_KEYS: &[&str] = &["created_at", "name", "status", "size_bytes"];

/// Lists snapshots, returning the page and the total count.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &SnapshotFilter,
    sort_by: &str,
    desc: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<Snapshot>, i64), StoreError> {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(id) = filter.mapping_id {
        clauses.push(format!(
            "s.mapping_id = {}",
            next(Bind::Int(id), &mut binds)
        ));
    }
    if let Some(v) = filter.mapping_version {
        clauses.push(format!(
            "s.mapping_version = {}",
            next(Bind::Int(v), &mut binds)
        ));
    }
    if let Some(o) = &filter.owner {
        clauses.push(format!(
            "s.owner_username = {}",
            next(Bind::Text(o.clone()), &mut binds)
        ));
    }
    if !filter.status.is_empty() {
        let list: Vec<String> = filter
            .status
            .iter()
            .map(|s| next(Bind::Text(s.as_str().into()), &mut binds))
            .collect();
        clauses.push(format!("s.status IN ({})", list.join(", ")));
    }
    if let Some(text) = &filter.search {
        let p = next(Bind::Text(crate::like_pattern(text)), &mut binds);
        clauses.push(format!("(LOWER(s.name) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(s.description, '')) LIKE {p} ESCAPE '\\')"));
    }
    if let Some(t) = filter.created_after {
        clauses.push(format!(
            "s.created_at >= {}",
            next(Bind::Int(to_millis(t)), &mut binds)
        ));
    }
    if let Some(t) = filter.created_before {
        clauses.push(format!(
            "s.created_at < {}",
            next(Bind::Int(to_millis(t)), &mut binds)
        ));
    }
    let column = if SORT_KEYS.contains(&sort_by) {
        sort_by
    } else {
        "created_at"
    };
    let direction = if desc { "DESC" } else { "ASC" };
    let where_sql = clauses.join(" AND ");
    let count_q = sql(
        conn,
        &format!("SELECT COUNT(*) FROM snapshots s WHERE {where_sql}"),
    );
    let total: i64 = bind_all(sqlx::query_scalar(count_q), &binds)
        .fetch_one(&mut *conn)
        .await?;
    let page_q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS}, {} FROM snapshots s LEFT JOIN mappings m ON m.id = s.mapping_id WHERE {where_sql} ORDER BY s.{column} {direction}, s.id {direction} LIMIT {limit} OFFSET {offset}",
            instance_count_sql()
        ),
    );
    let rows = bind_all_rows(sqlx::query(page_q), &binds)
        .fetch_all(conn)
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Writes the mutable fields of `s` back (status, counts, sizes, errors, lifecycle, timestamps).
pub async fn save(conn: &mut AnyConnection, s: &Snapshot) -> Result<(), StoreError> {
    let quality = serde_json::to_string(&s.data_quality).map_err(|e| StoreError::Corrupt {
        column: "snapshots.quality",
        message: e.to_string(),
    })?;
    let q = sql(
        conn,
        "UPDATE snapshots SET status = $1, size_bytes = $2, node_counts = $3, edge_counts = $4, error_message = $5, ttl = $6, inactivity_timeout = $7, expires_at = $8, last_used_at = $9, updated_at = $10, ready_at = $11, quality = $12 WHERE id = $13",
    );
    sqlx::query(q)
        .bind(s.status.as_str())
        .bind(s.size_bytes)
        .bind(
            s.node_counts
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default()),
        )
        .bind(
            s.edge_counts
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default()),
        )
        .bind(s.error_message.clone())
        .bind(s.ttl.clone())
        .bind(s.inactivity_timeout.clone())
        .bind(s.expires_at.map(to_millis))
        .bind(s.last_used_at.map(to_millis))
        .bind(to_millis(s.updated_at))
        .bind(s.ready_at.map(to_millis))
        .bind(quality)
        .bind(s.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a snapshot row and its export jobs, and queues its files for removal.
pub async fn delete(
    conn: &mut AnyConnection,
    id: i64,
    storage_path: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for stmt in [
        "DELETE FROM export_jobs WHERE snapshot_id = $1",
        "DELETE FROM snapshots WHERE id = $1",
    ] {
        let q = sql(conn, stmt);
        sqlx::query(q).bind(id).execute(&mut *conn).await?;
    }
    let q = sql(
        conn,
        "INSERT INTO snapshot_file_deletions (storage_path, requested_at) VALUES ($1, $2) ON CONFLICT (storage_path) DO NOTHING",
    );
    sqlx::query(q)
        .bind(storage_path)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// The newest exported (not pre-staged) `ready` snapshot of one mapping version whose TTL has
/// not passed at `now`, if any; the caller checks the inactivity clock and locks the row.
pub async fn newest_ready(
    conn: &mut AnyConnection,
    mapping_id: i64,
    mapping_version: i64,
    now: DateTime<Utc>,
) -> Result<Option<Snapshot>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS}, {} FROM snapshots s LEFT JOIN mappings m ON m.id = s.mapping_id WHERE s.mapping_id = $1 AND s.mapping_version = $2 AND s.status = 'ready' AND s.prestaged = 0 AND (s.expires_at IS NULL OR s.expires_at > $3) ORDER BY s.ready_at DESC, s.id DESC LIMIT 1",
            instance_count_sql()
        ),
    );
    sqlx::query(q)
        .bind(mapping_id)
        .bind(mapping_version)
        .bind(to_millis(now))
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Ids of snapshots in one of `statuses`, oldest first (for background passes).
pub async fn ids_with_status(
    conn: &mut AnyConnection,
    statuses: &[SnapshotStatus],
) -> Result<Vec<i64>, StoreError> {
    let list = status_list(statuses.iter().map(|s| s.as_str()));
    let q = sql(
        conn,
        &format!("SELECT id FROM snapshots WHERE status IN {list} ORDER BY id"),
    );
    Ok(sqlx::query_scalar(q).fetch_all(conn).await?)
}

/// Pending file deletions (storage paths), oldest first.
pub async fn pending_file_deletions(
    conn: &mut AnyConnection,
    limit: i64,
) -> Result<Vec<String>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT storage_path FROM snapshot_file_deletions ORDER BY requested_at LIMIT {limit}"
        ),
    );
    Ok(sqlx::query_scalar(q).fetch_all(conn).await?)
}

/// Records the outcome of a file deletion attempt: done removes the row, failure counts it.
pub async fn file_deletion_done(
    conn: &mut AnyConnection,
    storage_path: &str,
    error: Option<&str>,
) -> Result<(), StoreError> {
    let q = match error {
        None => sql(
            conn,
            "DELETE FROM snapshot_file_deletions WHERE storage_path = $1",
        ),
        Some(_) => sql(
            conn,
            "UPDATE snapshot_file_deletions SET attempts = attempts + 1, last_error = $2 WHERE storage_path = $1",
        ),
    };
    let mut query = sqlx::query(q).bind(storage_path);
    if let Some(e) = error {
        query = query.bind(e);
    }
    query.execute(conn).await?;
    Ok(())
}
