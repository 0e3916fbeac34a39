//! Instances and their event history (API.md §3.8, §3.10, §4.3).
//!
//! Rows are read into [`InstanceRow`] and written back with [`save`] inside the caller's write
//! transaction; the state machine lives in the control plane.

use chrono::{DateTime, Utc};
use graph_olap_api::InstanceStatus;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::{Dialect, dialect_of, sql};
use crate::error::StoreError;
use crate::mappings::status_list;
use crate::snapshots::{active_instance_statuses, opt_ts};
use crate::{Bind, bind_all, bind_all_rows};

/// Every column of an instance plus the names joined from its mapping and snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceRow {
    /// Instance id.
    pub id: i64,
    /// Snapshot it was (or will be) loaded from.
    pub snapshot_id: i64,
    /// Mapping of the snapshot.
    pub mapping_id: i64,
    /// Version of the snapshot.
    pub mapping_version: i64,
    /// Current mapping name (`None` once the mapping is deleted).
    pub mapping_name: Option<String>,
    /// Snapshot name (`None` once deleted).
    pub snapshot_name: Option<String>,
    /// Owner.
    pub owner_username: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Engine selector echoed back (`ryugraph` | `falkordb`).
    pub wrapper_type: String,
    /// Lifecycle status (§4.3).
    pub status: InstanceStatus,
    /// Random slug of the proxy URL.
    pub url_slug: String,
    /// Where the proxy reaches the instance server.
    pub internal_url: Option<String>,
    /// Runtime unit name.
    pub pod_name: Option<String>,
    /// CPU cores.
    pub cpu_cores: i64,
    /// Memory (GiB) once sized.
    pub memory_gb: Option<i64>,
    /// Failure code.
    pub error_code: Option<String>,
    /// Failure message.
    pub error_message: Option<String>,
    /// Instance-side trace of a startup failure.
    pub stack_trace: Option<String>,
    /// TTL (ISO 8601).
    pub ttl: Option<String>,
    /// Inactivity timeout (ISO 8601).
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last data-plane activity.
    pub last_activity_at: Option<DateTime<Utc>>,
    /// First time running.
    pub started_at: Option<DateTime<Utc>>,
    /// Termination time.
    pub terminated_at: Option<DateTime<Utc>>,
    /// Why it was terminated.
    pub termination_reason: Option<String>,
    /// Last reported memory use.
    pub memory_usage_bytes: Option<i64>,
    /// Last reported disk use.
    pub disk_usage_bytes: Option<i64>,
    /// Load statistics (JSON) once running.
    pub graph_stats: Option<Value>,
    /// Instance-reported progress (JSON `{phase, steps, current_step, …}`).
    pub progress: Option<Value>,
    /// When the control plane asked the unit to stop.
    pub stop_requested_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "i.id, i.snapshot_id, i.mapping_id, i.mapping_version, m.name AS mapping_name, s.name AS snapshot_name, i.owner_username, i.name, i.description, i.wrapper_type, i.status, i.url_slug, i.internal_url, i.pod_name, i.cpu_cores, i.memory_gb, i.error_code, i.error_message, i.stack_trace, i.ttl, i.inactivity_timeout, i.expires_at, i.last_activity_at, i.started_at, i.terminated_at, i.termination_reason, i.memory_usage_bytes, i.disk_usage_bytes, i.graph_stats, i.progress, i.stop_requested_at, i.created_at, i.updated_at";
const FROM: &str = "instances i LEFT JOIN mappings m ON m.id = i.mapping_id LEFT JOIN snapshots s ON s.id = i.snapshot_id";

fn json(row: &sqlx::any::AnyRow, column: &'static str) -> Result<Option<Value>, StoreError> {
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

fn from_row(row: &sqlx::any::AnyRow) -> Result<InstanceRow, StoreError> {
    Ok(InstanceRow {
        id: row.try_get("id")?,
        snapshot_id: row.try_get("snapshot_id")?,
        mapping_id: row.try_get("mapping_id")?,
        mapping_version: row.try_get("mapping_version")?,
        mapping_name: row.try_get("mapping_name")?,
        snapshot_name: row.try_get("snapshot_name")?,
        owner_username: row.try_get("owner_username")?,
        name: row.try_get("name")?,
        description: row.try_get("description")?,
        wrapper_type: row.try_get("wrapper_type")?,
        status: crate::decode_status(row, "status")?,
        url_slug: row.try_get("url_slug")?,
        internal_url: row.try_get("internal_url")?,
        pod_name: row.try_get("pod_name")?,
        cpu_cores: row.try_get("cpu_cores")?,
        memory_gb: row.try_get("memory_gb")?,
        error_code: row.try_get("error_code")?,
        error_message: row.try_get("error_message")?,
        stack_trace: row.try_get("stack_trace")?,
        ttl: row.try_get("ttl")?,
        inactivity_timeout: row.try_get("inactivity_timeout")?,
        expires_at: opt_ts(row, "expires_at")?,
        last_activity_at: opt_ts(row, "last_activity_at")?,
        started_at: opt_ts(row, "started_at")?,
        terminated_at: opt_ts(row, "terminated_at")?,
        termination_reason: row.try_get("termination_reason")?,
        memory_usage_bytes: row.try_get("memory_usage_bytes")?,
        disk_usage_bytes: row.try_get("disk_usage_bytes")?,
        graph_stats: json(row, "instances.graph_stats")?,
        progress: json(row, "instances.progress")?,
        stop_requested_at: opt_ts(row, "stop_requested_at")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

/// Inserts an instance; `row.id` and the joined names are ignored. Returns the new id.
pub async fn insert(conn: &mut AnyConnection, row: &InstanceRow) -> Result<i64, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO instances (snapshot_id, mapping_id, mapping_version, owner_username, name, description, wrapper_type, status, url_slug, cpu_cores, memory_gb, ttl, inactivity_timeout, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id",
    );
    Ok(sqlx::query_scalar(q)
        .bind(row.snapshot_id)
        .bind(row.mapping_id)
        .bind(row.mapping_version)
        .bind(row.owner_username.clone())
        .bind(row.name.clone())
        .bind(row.description.clone())
        .bind(row.wrapper_type.clone())
        .bind(row.status.as_str())
        .bind(row.url_slug.clone())
        .bind(row.cpu_cores)
        .bind(row.memory_gb)
        .bind(row.ttl.clone())
        .bind(row.inactivity_timeout.clone())
        .bind(row.expires_at.map(to_millis))
        .bind(to_millis(row.created_at))
        .fetch_one(conn)
        .await?)
}

/// Reads one instance.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<InstanceRow>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE i.id = $1"),
    );
    sqlx::query(q)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Reads one instance by its proxy slug.
pub async fn get_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> Result<Option<InstanceRow>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {COLUMNS} FROM {FROM} WHERE i.url_slug = $1"),
    );
    sqlx::query(q)
        .bind(slug)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Reads one instance, locking its row on PostgreSQL until the transaction ends.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<InstanceRow>, StoreError> {
    if dialect_of(conn) == Dialect::Postgres {
        let q = sql(conn, "SELECT id FROM instances WHERE id = $1 FOR UPDATE");
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

/// Filters of instance lists.
#[derive(Debug, Clone, Default)]
pub struct InstanceFilter {
    /// Only instances of this snapshot.
    pub snapshot_id: Option<i64>,
    /// Only instances of this mapping.
    pub mapping_id: Option<i64>,
    /// Only this owner.
    pub owner: Option<String>,
    /// Only these statuses.
    pub status: Vec<InstanceStatus>,
    /// Include `terminated` when no status filter names it.
    pub include_terminated: bool,
    /// Case-insensitive substring of name or description.
    pub search: Option<String>,
    /// Created at or after.
    pub created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub created_before: Option<DateTime<Utc>>,
}

/// Sort keys of instance lists.
pub const SORT_KEYS: &[&str] = &[
    "created_at",
    "updated_at",
    "name",
    "status",
    "expires_at",
    "last_activity_at",
];

/// Lists instances, returning the page and the total count.
pub async fn list(
    conn: &mut AnyConnection,
    filter: &InstanceFilter,
    sort_by: &str,
    desc: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<InstanceRow>, i64), StoreError> {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    let next = |b: Bind, binds: &mut Vec<Bind>| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(id) = filter.snapshot_id {
        clauses.push(format!(
            "i.snapshot_id = {}",
            next(Bind::Int(id), &mut binds)
        ));
    }
    if let Some(id) = filter.mapping_id {
        clauses.push(format!(
            "i.mapping_id = {}",
            next(Bind::Int(id), &mut binds)
        ));
    }
    if let Some(o) = &filter.owner {
        clauses.push(format!(
            "i.owner_username = {}",
            next(Bind::Text(o.clone()), &mut binds)
        ));
    }
    if !filter.status.is_empty() {
        let list: Vec<String> = filter
            .status
            .iter()
            .map(|s| next(Bind::Text(s.as_str().into()), &mut binds))
            .collect();
        clauses.push(format!("i.status IN ({})", list.join(", ")));
    } else if !filter.include_terminated {
        clauses.push("i.status <> 'terminated'".to_string());
    }
    if let Some(text) = &filter.search {
        let p = next(Bind::Text(crate::like_pattern(text)), &mut binds);
        clauses.push(format!("(LOWER(i.name) LIKE {p} ESCAPE '\\' OR LOWER(COALESCE(i.description, '')) LIKE {p} ESCAPE '\\')"));
    }
    if let Some(t) = filter.created_after {
        clauses.push(format!(
            "i.created_at >= {}",
            next(Bind::Int(to_millis(t)), &mut binds)
        ));
    }
    if let Some(t) = filter.created_before {
        clauses.push(format!(
            "i.created_at < {}",
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
        &format!("SELECT COUNT(*) FROM instances i WHERE {where_sql}"),
    );
    let total: i64 = bind_all(sqlx::query_scalar(count_q), &binds)
        .fetch_one(&mut *conn)
        .await?;
    let page_q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM {FROM} WHERE {where_sql} ORDER BY i.{column} {direction}, i.id {direction} LIMIT {limit} OFFSET {offset}"
        ),
    );
    let rows = bind_all_rows(sqlx::query(page_q), &binds)
        .fetch_all(conn)
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}

/// Ids of instances in one of `statuses`, oldest first (for background passes).
pub async fn ids_with_status(
    conn: &mut AnyConnection,
    statuses: &[InstanceStatus],
) -> Result<Vec<i64>, StoreError> {
    let list = status_list(statuses.iter().map(|s| s.as_str()));
    let q = sql(
        conn,
        &format!("SELECT id FROM instances WHERE status IN {list} ORDER BY id"),
    );
    Ok(sqlx::query_scalar(q).fetch_all(conn).await?)
}

/// Active instances (§4.1) in total and of `owner`.
pub async fn active_counts(
    conn: &mut AnyConnection,
    owner: &str,
) -> Result<(i64, i64), StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN owner_username = $1 THEN 1 ELSE 0 END), 0) AS own FROM instances WHERE status IN {}",
            active_instance_statuses()
        ),
    );
    let row = sqlx::query(q).bind(owner).fetch_one(conn).await?;
    Ok((row.try_get("total")?, row.try_get("own")?))
}

/// Takes the serial lock that makes the concurrency check and the insert atomic (§4.6): a row
/// lock on PostgreSQL; SQLite's single writer already serialises write transactions.
pub async fn lock_quota(conn: &mut AnyConnection) -> Result<(), StoreError> {
    if dialect_of(conn) == Dialect::Postgres {
        let q = sql(
            conn,
            "SELECT name FROM serial_locks WHERE name = 'instance_quota' FOR UPDATE",
        );
        sqlx::query(q).fetch_optional(conn).await?;
    }
    Ok(())
}

/// Writes every mutable field of `row` back.
pub async fn save(conn: &mut AnyConnection, row: &InstanceRow) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE instances SET name = $1, description = $2, status = $3, internal_url = $4, pod_name = $5, cpu_cores = $6, memory_gb = $7, error_code = $8, error_message = $9, stack_trace = $10, ttl = $11, inactivity_timeout = $12, expires_at = $13, last_activity_at = $14, started_at = $15, terminated_at = $16, termination_reason = $17, memory_usage_bytes = $18, disk_usage_bytes = $19, graph_stats = $20, progress = $21, stop_requested_at = $22, updated_at = $23 WHERE id = $24",
    );
    sqlx::query(q)
        .bind(row.name.clone())
        .bind(row.description.clone())
        .bind(row.status.as_str())
        .bind(row.internal_url.clone())
        .bind(row.pod_name.clone())
        .bind(row.cpu_cores)
        .bind(row.memory_gb)
        .bind(row.error_code.clone())
        .bind(row.error_message.clone())
        .bind(row.stack_trace.clone())
        .bind(row.ttl.clone())
        .bind(row.inactivity_timeout.clone())
        .bind(row.expires_at.map(to_millis))
        .bind(row.last_activity_at.map(to_millis))
        .bind(row.started_at.map(to_millis))
        .bind(row.terminated_at.map(to_millis))
        .bind(row.termination_reason.clone())
        .bind(row.memory_usage_bytes)
        .bind(row.disk_usage_bytes)
        .bind(row.graph_stats.as_ref().map(Value::to_string))
        .bind(row.progress.as_ref().map(Value::to_string))
        .bind(row.stop_requested_at.map(to_millis))
        .bind(to_millis(row.updated_at))
        .bind(row.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes an instance record and its events (purge after retention).
pub async fn purge(conn: &mut AnyConnection, id: i64) -> Result<(), StoreError> {
    for stmt in [
        "DELETE FROM instance_events WHERE instance_id = $1",
        "DELETE FROM favorites WHERE resource_type = 'instance' AND resource_id = $1",
        "DELETE FROM instances WHERE id = $1",
    ] {
        let q = sql(conn, stmt);
        sqlx::query(q).bind(id).execute(&mut *conn).await?;
    }
    Ok(())
}

/// One entry of an instance's history (§3.10).
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceEvent {
    /// Event id.
    pub id: i64,
    /// Instance.
    pub instance_id: i64,
    /// Event type (§3.10 list).
    pub event_type: String,
    /// Username or `system`.
    pub actor: String,
    /// Event-specific details.
    pub details: Value,
    /// When it happened.
    pub created_at: DateTime<Utc>,
}

/// Appends an event.
pub async fn add_event(
    conn: &mut AnyConnection,
    instance_id: i64,
    event_type: &str,
    actor: &str,
    details: &Value,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO instance_events (instance_id, event_type, actor, details, created_at) VALUES ($1, $2, $3, $4, $5)",
    );
    sqlx::query(q)
        .bind(instance_id)
        .bind(event_type)
        .bind(actor)
        .bind(details.to_string())
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// Events of an instance, newest first, optionally only some types; returns the page and total.
pub async fn events(
    conn: &mut AnyConnection,
    instance_id: i64,
    types: &[String],
    offset: i64,
    limit: i64,
) -> Result<(Vec<InstanceEvent>, i64), StoreError> {
    let mut binds = vec![Bind::Int(instance_id)];
    let mut where_sql = "instance_id = $1".to_string();
    if !types.is_empty() {
        let list: Vec<String> = types
            .iter()
            .map(|t| {
                binds.push(Bind::Text(t.clone()));
                format!("${}", binds.len())
            })
            .collect();
        where_sql.push_str(&format!(" AND event_type IN ({})", list.join(", ")));
    }
    let count_q = sql(
        conn,
        &format!("SELECT COUNT(*) FROM instance_events WHERE {where_sql}"),
    );
    let total: i64 = bind_all(sqlx::query_scalar(count_q), &binds)
        .fetch_one(&mut *conn)
        .await?;
    let q = sql(
        conn,
        &format!(
            "SELECT id, instance_id, event_type, actor, details, created_at FROM instance_events WHERE {where_sql} ORDER BY id DESC LIMIT {limit} OFFSET {offset}"
        ),
    );
    let rows = bind_all_rows(sqlx::query(q), &binds)
        .fetch_all(conn)
        .await?;
    let items = rows
        .iter()
        .map(|r| {
            Ok(InstanceEvent {
                id: r.try_get("id")?,
                instance_id: r.try_get("instance_id")?,
                event_type: r.try_get("event_type")?,
                actor: r.try_get("actor")?,
                details: serde_json::from_str(&r.try_get::<String, _>("details")?).map_err(
                    |e| StoreError::Corrupt {
                        column: "instance_events.details",
                        message: e.to_string(),
                    },
                )?,
                created_at: from_millis(r.try_get("created_at")?),
            })
        })
        .collect::<Result<_, StoreError>>()?;
    Ok((items, total))
}
