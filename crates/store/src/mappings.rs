//! Mappings and their immutable versions (API.md §3.1–3.3).
//!
//! Version numbers are allocated by incrementing `mappings.current_version` inside the caller's
//! write transaction; the row update serialises concurrent updates of one mapping on PostgreSQL
//! (row lock) and SQLite (single writer), so versions stay dense and unique.

use chrono::{DateTime, Utc};
use graph_olap_api::time::serde_ts;
use graph_olap_api::{EdgeDefinition, InstanceStatus, NodeDefinition};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// List item of `GET /api/mappings` (a mapping without its definitions).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MappingSummary {
    /// Mapping id.
    pub id: i64,
    /// Creator; never changes.
    pub owner_username: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// Latest version number.
    pub current_version: i64,
    /// Number of node definitions in the current version.
    pub node_count: i64,
    /// Number of edge definitions in the current version.
    pub edge_type_count: i64,
    /// Lifecycle TTL of the mapping itself.
    pub ttl: Option<String>,
    /// Inactivity timeout.
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub expires_at: Option<DateTime<Utc>>,
    /// Last time a snapshot or instance was created from it.
    #[serde(with = "serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Last header or version change.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub updated_at: DateTime<Utc>,
}

/// A mapping with its current version's definitions.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Mapping {
    /// Header fields.
    #[serde(flatten)]
    pub summary: MappingSummary,
    /// Node definitions of the current version.
    pub node_definitions: Vec<NodeDefinition>,
    /// Edge definitions of the current version.
    pub edge_definitions: Vec<EdgeDefinition>,
    /// Change description of the current version (`null` for version 1).
    pub change_description: Option<String>,
    /// When the current version was created.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub version_created_at: DateTime<Utc>,
    /// Who created the current version.
    pub version_created_by: String,
}

/// One immutable version.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MappingVersion {
    /// Mapping id.
    pub mapping_id: i64,
    /// Version number.
    pub version: i64,
    /// Why it was created.
    pub change_description: Option<String>,
    /// Node definitions.
    pub node_definitions: Vec<NodeDefinition>,
    /// Edge definitions.
    pub edge_definitions: Vec<EdgeDefinition>,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Author.
    pub created_by: String,
}

/// List item of `GET /api/mappings/{id}/versions`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MappingVersionSummary {
    /// Mapping id.
    pub mapping_id: i64,
    /// Version number.
    pub version: i64,
    /// Why it was created.
    pub change_description: Option<String>,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Author.
    pub created_by: String,
    /// Node definitions in this version.
    pub node_count: i64,
    /// Edge definitions in this version.
    pub edge_type_count: i64,
    /// Snapshots taken of this version.
    pub snapshot_count: i64,
}

const SUMMARY_COLUMNS: &str = "m.id, m.owner_username, m.name, m.description, m.current_version, m.ttl, m.inactivity_timeout, m.expires_at, m.last_used_at, m.created_at, m.updated_at, v.node_definitions, v.edge_definitions, v.change_description, v.created_at AS version_created_at, v.created_by AS version_created_by";

fn parse_defs<T: serde::de::DeserializeOwned>(
    text: &str,
    column: &'static str,
) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
    })
}

fn mapping_from_row(row: &sqlx::any::AnyRow) -> Result<Mapping, StoreError> {
    let nodes: Vec<NodeDefinition> = parse_defs(
        &row.try_get::<String, _>("node_definitions")?,
        "mapping_versions.node_definitions",
    )?;
    let edges: Vec<EdgeDefinition> = parse_defs(
        &row.try_get::<String, _>("edge_definitions")?,
        "mapping_versions.edge_definitions",
    )?;
    Ok(Mapping {
        summary: MappingSummary {
            id: row.try_get("id")?,
            owner_username: row.try_get("owner_username")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            current_version: row.try_get("current_version")?,
            node_count: nodes.len() as i64,
            edge_type_count: edges.len() as i64,
            ttl: row.try_get("ttl")?,
            inactivity_timeout: row.try_get("inactivity_timeout")?,
            expires_at: row
                .try_get::<Option<i64>, _>("expires_at")?
                .map(from_millis),
            last_used_at: row
                .try_get::<Option<i64>, _>("last_used_at")?
                .map(from_millis),
            created_at: from_millis(row.try_get("created_at")?),
            updated_at: from_millis(row.try_get("updated_at")?),
        },
        node_definitions: nodes,
        edge_definitions: edges,
        change_description: row.try_get("change_description")?,
        version_created_at: from_millis(row.try_get("version_created_at")?),
        version_created_by: row.try_get("version_created_by")?,
    })
}

/// Everything needed to create a mapping and its version 1.
#[derive(Debug, Clone)]
pub struct NewMapping {
    /// Owner and author of version 1.
    pub owner_username: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Validated TTL text.
    pub ttl: Option<String>,
    /// Validated inactivity timeout text.
    pub inactivity_timeout: Option<String>,
    /// Precomputed `created_at + ttl`.
    pub expires_at: Option<DateTime<Utc>>,
    /// Definitions of version 1.
    pub node_definitions: Vec<NodeDefinition>,
    /// Definitions of version 1.
    pub edge_definitions: Vec<EdgeDefinition>,
    /// Change description of version 1 (null except for copies).
    pub change_description: Option<String>,
}

/// Inserts a mapping and its first version; returns the new id.
pub async fn insert(
    conn: &mut AnyConnection,
    new: &NewMapping,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO mappings (owner_username, name, description, current_version, ttl, inactivity_timeout, expires_at, created_at, updated_at) VALUES ($1, $2, $3, 1, $4, $5, $6, $7, $7) RETURNING id",
    );
    let id: i64 = sqlx::query_scalar(q)
        .bind(&new.owner_username)
        .bind(&new.name)
        .bind(&new.description)
        .bind(&new.ttl)
        .bind(&new.inactivity_timeout)
        .bind(new.expires_at.map(to_millis))
        .bind(to_millis(now))
        .fetch_one(&mut *conn)
        .await?;
    insert_version(
        conn,
        id,
        1,
        new.change_description.as_deref(),
        &new.node_definitions,
        &new.edge_definitions,
        &new.owner_username,
        now,
    )
    .await?;
    Ok(id)
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    conn: &mut AnyConnection,
    mapping_id: i64,
    version: i64,
    change_description: Option<&str>,
    nodes: &[NodeDefinition],
    edges: &[EdgeDefinition],
    by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO mapping_versions (mapping_id, version, change_description, node_definitions, edge_definitions, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    sqlx::query(q)
        .bind(mapping_id)
        .bind(version)
        .bind(change_description)
        .bind(serde_json::to_string(nodes).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(edges).unwrap_or_else(|_| "[]".into()))
        .bind(to_millis(now))
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

/// Allocates the next version number and stores the version (call inside a write transaction).
pub async fn add_version(
    conn: &mut AnyConnection,
    mapping_id: i64,
    change_description: &str,
    nodes: &[NodeDefinition],
    edges: &[EdgeDefinition],
    by: &str,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let q = sql(
        conn,
        "UPDATE mappings SET current_version = current_version + 1, updated_at = $1 WHERE id = $2 RETURNING current_version",
    );
    let version: i64 = sqlx::query_scalar(q)
        .bind(to_millis(now))
        .bind(mapping_id)
        .fetch_one(&mut *conn)
        .await?;
    insert_version(
        conn,
        mapping_id,
        version,
        Some(change_description),
        nodes,
        edges,
        by,
        now,
    )
    .await?;
    Ok(version)
}

/// Locks the mapping row for the rest of the transaction (PostgreSQL) and returns its current state.
///
/// The lock is taken on the header row alone before reading: locking through the version join
/// would let PostgreSQL re-evaluate the join after a concurrent version bump and drop the row.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<Mapping>, StoreError> {
    if crate::db::dialect_of(conn) == crate::Dialect::Postgres {
        let q = sql(conn, "SELECT id FROM mappings WHERE id = $1 FOR UPDATE");
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

/// Reads a mapping with its current version.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<Mapping>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS} FROM mappings m JOIN mapping_versions v ON v.mapping_id = m.id AND v.version = m.current_version WHERE m.id = $1"
        ),
    );
    let row = sqlx::query(q).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(mapping_from_row).transpose()
}

/// Finds mappings by exact name (newest first), e.g. the seeded tutorial mapping.
pub async fn find_by_name(conn: &mut AnyConnection, name: &str) -> Result<Vec<i64>, StoreError> {
    let q = sql(
        conn,
        "SELECT id FROM mappings WHERE name = $1 ORDER BY id DESC",
    );
    Ok(sqlx::query_scalar(q).bind(name).fetch_all(conn).await?)
}

/// Header changes; `None` = unchanged, `Some(None)` = cleared.
#[derive(Debug, Clone, Default)]
pub struct HeaderUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<Option<String>>,
    /// New TTL text.
    pub ttl: Option<Option<String>>,
    /// New inactivity text.
    pub inactivity_timeout: Option<Option<String>>,
    /// Recomputed expiry (set together with `ttl`).
    pub expires_at: Option<Option<DateTime<Utc>>>,
}

impl HeaderUpdate {
    /// Whether anything is to change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.ttl.is_none()
            && self.inactivity_timeout.is_none()
    }
}

/// Applies header changes (call inside a write transaction after [`get_for_update`]).
pub async fn update_header(
    conn: &mut AnyConnection,
    current: &MappingSummary,
    change: &HeaderUpdate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE mappings SET name = $1, description = $2, ttl = $3, inactivity_timeout = $4, expires_at = $5, updated_at = $6 WHERE id = $7",
    );
    sqlx::query(q)
        .bind(change.name.clone().unwrap_or_else(|| current.name.clone()))
        .bind(
            change
                .description
                .clone()
                .unwrap_or_else(|| current.description.clone()),
        )
        .bind(change.ttl.clone().unwrap_or_else(|| current.ttl.clone()))
        .bind(
            change
                .inactivity_timeout
                .clone()
                .unwrap_or_else(|| current.inactivity_timeout.clone()),
        )
        .bind(
            change
                .expires_at
                .unwrap_or(current.expires_at)
                .map(to_millis),
        )
        .bind(to_millis(now))
        .bind(current.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters and order of the mappings list.
#[derive(Debug, Clone, Default)]
pub struct MappingFilter {
    /// Exact owner (lower-cased).
    pub owner: Option<String>,
    /// Substring of name or description.
    pub search: Option<String>,
    /// Inclusive lower bound on `created_at`.
    pub created_after: Option<DateTime<Utc>>,
    /// Inclusive upper bound on `created_at`.
    pub created_before: Option<DateTime<Utc>>,
}

/// Sortable columns of the mappings list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MappingSort {
    /// By name.
    Name,
    /// By creation (default).
    CreatedAt,
    /// By last change.
    UpdatedAt,
    /// By version count.
    CurrentVersion,
}

impl MappingSort {
    /// Accepted `sort_by` values.
    pub const NAMES: &'static [&'static str] =
        &["name", "created_at", "updated_at", "current_version"];

    /// Parses a `sort_by` value.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "name" => Self::Name,
            "created_at" => Self::CreatedAt,
            "updated_at" => Self::UpdatedAt,
            "current_version" => Self::CurrentVersion,
            _ => return None,
        })
    }

    fn column(self) -> &'static str {
        match self {
            Self::Name => "m.name",
            Self::CreatedAt => "m.created_at",
            Self::UpdatedAt => "m.updated_at",
            Self::CurrentVersion => "m.current_version",
        }
    }
}

/// Lists mappings with the total number of matches; ordering is total (sort key, then id).
pub async fn list(
    conn: &mut AnyConnection,
    filter: &MappingFilter,
    sort: MappingSort,
    descending: bool,
    offset: i64,
    limit: i64,
) -> Result<(Vec<MappingSummary>, i64), StoreError> {
    let mut clauses = Vec::new();
    let mut binds: Vec<crate::Bind> = Vec::new();
    if let Some(owner) = &filter.owner {
        binds.push(crate::Bind::Text(owner.clone()));
        clauses.push(format!("m.owner_username = ${}", binds.len()));
    }
    if let Some(search) = &filter.search {
        binds.push(crate::Bind::Text(crate::like_pattern(search)));
        let n = binds.len();
        clauses.push(format!("(LOWER(m.name) LIKE ${n} ESCAPE '\\' OR LOWER(COALESCE(m.description, '')) LIKE ${n} ESCAPE '\\')"));
    }
    if let Some(after) = filter.created_after {
        binds.push(crate::Bind::Int(to_millis(after)));
        clauses.push(format!("m.created_at >= ${}", binds.len()));
    }
    if let Some(before) = filter.created_before {
        binds.push(crate::Bind::Int(to_millis(before)));
        clauses.push(format!("m.created_at <= ${}", binds.len()));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total: i64 = crate::bind_all(
        sqlx::query_scalar(sql(
            conn,
            &format!("SELECT COUNT(*) FROM mappings m {where_sql}"),
        )),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await?;
    let dir = if descending { "DESC" } else { "ASC" };
    let q = sql(
        conn,
        &format!(
            "SELECT {SUMMARY_COLUMNS} FROM mappings m JOIN mapping_versions v ON v.mapping_id = m.id AND v.version = m.current_version {where_sql} ORDER BY {} {dir}, m.id {dir} LIMIT {limit} OFFSET {offset}",
            sort.column()
        ),
    );
    let rows = crate::bind_all_rows(sqlx::query(q), &binds)
        .fetch_all(&mut *conn)
        .await?;
    let items = rows
        .iter()
        .map(|r| mapping_from_row(r).map(|m| m.summary))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

/// Versions of a mapping, newest first, with the total count.
pub async fn list_versions(
    conn: &mut AnyConnection,
    mapping_id: i64,
    offset: i64,
    limit: i64,
) -> Result<(Vec<MappingVersionSummary>, i64), StoreError> {
    let total: i64 = sqlx::query_scalar(sql(
        conn,
        "SELECT COUNT(*) FROM mapping_versions WHERE mapping_id = $1",
    ))
    .bind(mapping_id)
    .fetch_one(&mut *conn)
    .await?;
    let q = sql(
        conn,
        &format!(
            "SELECT v.mapping_id, v.version, v.change_description, v.created_at, v.created_by, v.node_definitions, v.edge_definitions, (SELECT COUNT(*) FROM snapshots s WHERE s.mapping_id = v.mapping_id AND s.mapping_version = v.version) AS snapshot_count FROM mapping_versions v WHERE v.mapping_id = $1 ORDER BY v.version DESC LIMIT {limit} OFFSET {offset}"
        ),
    );
    let rows = sqlx::query(q)
        .bind(mapping_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let nodes: Vec<serde_json::Value> = parse_defs(
            &row.try_get::<String, _>("node_definitions")?,
            "mapping_versions.node_definitions",
        )?;
        let edges: Vec<serde_json::Value> = parse_defs(
            &row.try_get::<String, _>("edge_definitions")?,
            "mapping_versions.edge_definitions",
        )?;
        out.push(MappingVersionSummary {
            mapping_id: row.try_get("mapping_id")?,
            version: row.try_get("version")?,
            change_description: row.try_get("change_description")?,
            created_at: from_millis(row.try_get("created_at")?),
            created_by: row.try_get("created_by")?,
            node_count: nodes.len() as i64,
            edge_type_count: edges.len() as i64,
            snapshot_count: row.try_get("snapshot_count")?,
        });
    }
    Ok((out, total))
}

/// One version of a mapping.
pub async fn get_version(
    conn: &mut AnyConnection,
    mapping_id: i64,
    version: i64,
) -> Result<Option<MappingVersion>, StoreError> {
    let q = sql(
        conn,
        "SELECT mapping_id, version, change_description, node_definitions, edge_definitions, created_at, created_by FROM mapping_versions WHERE mapping_id = $1 AND version = $2",
    );
    let row = sqlx::query(q)
        .bind(mapping_id)
        .bind(version)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(MappingVersion {
            mapping_id: row.try_get("mapping_id")?,
            version: row.try_get("version")?,
            change_description: row.try_get("change_description")?,
            node_definitions: parse_defs(
                &row.try_get::<String, _>("node_definitions")?,
                "mapping_versions.node_definitions",
            )?,
            edge_definitions: parse_defs(
                &row.try_get::<String, _>("edge_definitions")?,
                "mapping_versions.edge_definitions",
            )?,
            created_at: from_millis(row.try_get("created_at")?),
            created_by: row.try_get("created_by")?,
        })
    })
    .transpose()
}

/// Deletes a mapping and (by cascade) its versions.
pub async fn delete(conn: &mut AnyConnection, id: i64) -> Result<bool, StoreError> {
    let q = sql(conn, "DELETE FROM mapping_versions WHERE mapping_id = $1");
    sqlx::query(q).bind(id).execute(&mut *conn).await?;
    let q = sql(conn, "DELETE FROM mappings WHERE id = $1");
    Ok(sqlx::query(q).bind(id).execute(conn).await?.rows_affected() > 0)
}

/// Records that a snapshot or instance was created from the mapping.
pub async fn touch_used(
    conn: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(conn, "UPDATE mappings SET last_used_at = $1 WHERE id = $2");
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The SQL list `('waiting_for_snapshot', …)` of the active instance statuses (API.md §4.1,
/// [`InstanceStatus::ACTIVE`]).
pub fn active_instance_statuses() -> String {
    status_list(InstanceStatus::ACTIVE.iter().map(|s| s.as_str()))
}

/// `('a', 'b')` for an SQL `IN`: wire names of a status type, which never contain quotes.
pub(crate) fn status_list<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.into_iter().map(|n| format!("'{n}'")).collect();
    format!("({})", quoted.join(", "))
}

/// Ids of active instances created from any snapshot of the mapping.
pub async fn active_instance_ids(
    conn: &mut AnyConnection,
    mapping_id: i64,
) -> Result<Vec<i64>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT id FROM instances WHERE mapping_id = $1 AND status IN {} ORDER BY id",
            active_instance_statuses()
        ),
    );
    Ok(sqlx::query_scalar(q)
        .bind(mapping_id)
        .fetch_all(conn)
        .await?)
}

/// What a mapping delete removed.
#[derive(Debug, Clone, Default)]
pub struct DeleteCascade {
    /// Snapshots deleted.
    pub snapshot_ids: Vec<i64>,
    /// Failed instances moved to `terminated`.
    pub instances_terminated: i64,
}

/// Deletes a mapping with its versions and snapshots (export jobs cancelled and removed, files
/// queued for deletion) and terminates its failed instances (§4.9). Call after checking that no
/// active instance depends on it, inside the same write transaction.
pub async fn delete_cascade(
    conn: &mut AnyConnection,
    id: i64,
    now: DateTime<Utc>,
) -> Result<DeleteCascade, StoreError> {
    let snapshot_rows = sqlx::query(sql(
        conn,
        "SELECT id, storage_path FROM snapshots WHERE mapping_id = $1",
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = DeleteCascade::default();
    for row in &snapshot_rows {
        let sid: i64 = row.try_get("id")?;
        let path: String = row.try_get("storage_path")?;
        sqlx::query(sql(conn, "DELETE FROM export_jobs WHERE snapshot_id = $1"))
            .bind(sid)
            .execute(&mut *conn)
            .await?;
        sqlx::query(sql(conn, "INSERT INTO snapshot_file_deletions (storage_path, requested_at, attempts) VALUES ($1, $2, 0) ON CONFLICT (storage_path) DO NOTHING"))
            .bind(&path)
            .bind(to_millis(now))
            .execute(&mut *conn)
            .await?;
        out.snapshot_ids.push(sid);
    }
    sqlx::query(sql(conn, "DELETE FROM snapshots WHERE mapping_id = $1"))
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let failed: Vec<i64> = sqlx::query_scalar(sql(
        conn,
        "SELECT id FROM instances WHERE mapping_id = $1 AND status = 'failed'",
    ))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    for iid in &failed {
        sqlx::query(sql(conn, "UPDATE instances SET status = 'terminated', terminated_at = $1, termination_reason = 'mapping_deleted', updated_at = $1 WHERE id = $2"))
            .bind(to_millis(now))
            .bind(iid)
            .execute(&mut *conn)
            .await?;
        sqlx::query(sql(conn, "INSERT INTO instance_events (instance_id, event_type, actor, details, created_at) VALUES ($1, 'terminated', 'system', $2, $3)"))
            .bind(iid)
            .bind(r#"{"reason":"mapping_deleted"}"#)
            .bind(to_millis(now))
            .execute(&mut *conn)
            .await?;
    }
    out.instances_terminated = failed.len() as i64;
    delete(conn, id).await?;
    Ok(out)
}

/// A snapshot node of the mapping tree (§3.5).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TreeSnapshot {
    /// Snapshot id.
    pub id: i64,
    /// Snapshot name.
    pub name: String,
    /// Snapshot status.
    pub status: String,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// Parquet bytes when ready.
    pub size_bytes: Option<i64>,
    /// Non-terminated instances using it.
    pub instance_count: i64,
    /// Those instances (empty when not requested).
    pub instances: Vec<TreeInstance>,
    /// Version the snapshot was taken of (not serialised; used for grouping).
    #[serde(skip)]
    pub mapping_version: i64,
}

/// An instance node of the mapping tree.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TreeInstance {
    /// Instance id.
    pub id: i64,
    /// Instance name.
    pub name: String,
    /// Instance status.
    pub status: String,
    /// Owner.
    pub owner_username: String,
    /// Creation time.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
}

/// Snapshots of a mapping (optionally filtered by status) with their non-terminated instances.
pub async fn tree(
    conn: &mut AnyConnection,
    mapping_id: i64,
    statuses: Option<&[graph_olap_api::SnapshotStatus]>,
    include_instances: bool,
) -> Result<Vec<TreeSnapshot>, StoreError> {
    let rows = sqlx::query(sql(conn, "SELECT id, name, status, created_at, size_bytes, mapping_version FROM snapshots WHERE mapping_id = $1 ORDER BY created_at DESC, id DESC"))
        .bind(mapping_id)
        .fetch_all(&mut *conn)
        .await?;
    let mut out = Vec::new();
    for r in &rows {
        let status: String = r.try_get("status")?;
        if statuses.is_some_and(|s| !s.iter().any(|x| x.as_str() == status)) {
            continue;
        }
        let sid: i64 = r.try_get("id")?;
        let inst_rows = sqlx::query(sql(conn, "SELECT id, name, status, owner_username, created_at FROM instances WHERE snapshot_id = $1 AND status <> 'terminated' ORDER BY created_at DESC, id DESC"))
            .bind(sid)
            .fetch_all(&mut *conn)
            .await?;
        let instances = inst_rows
            .iter()
            .map(|i| {
                Ok(TreeInstance {
                    id: i.try_get("id")?,
                    name: i.try_get("name")?,
                    status: i.try_get("status")?,
                    owner_username: i.try_get("owner_username")?,
                    created_at: from_millis(i.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.push(TreeSnapshot {
            id: sid,
            name: r.try_get("name")?,
            status,
            created_at: from_millis(r.try_get("created_at")?),
            size_bytes: r.try_get("size_bytes")?,
            instance_count: instances.len() as i64,
            instances: if include_instances {
                instances
            } else {
                Vec::new()
            },
            mapping_version: r.try_get("mapping_version")?,
        });
    }
    Ok(out)
}

/// Mappings whose TTL or inactivity deadline has passed at `now` (§4.5), oldest first.
pub async fn expiry_candidates(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, StoreError> {
    let q = sql(
        conn,
        "SELECT id, inactivity_timeout, last_used_at, updated_at, expires_at FROM mappings WHERE expires_at IS NOT NULL OR inactivity_timeout IS NOT NULL ORDER BY id",
    );
    let rows = sqlx::query(q).fetch_all(conn).await?;
    let now_ms = to_millis(now);
    let mut out = Vec::new();
    for r in rows {
        let expires: Option<i64> = r.try_get("expires_at")?;
        let idle: Option<String> = r.try_get("inactivity_timeout")?;
        let base = r
            .try_get::<Option<i64>, _>("last_used_at")?
            .unwrap_or(0)
            .max(r.try_get("updated_at")?);
        let idle_deadline = idle
            .as_deref()
            .and_then(|t| graph_olap_api::IsoDuration::parse(t).ok())
            .map(|d| base + d.millis() as i64);
        if expires.is_some_and(|e| e <= now_ms) || idle_deadline.is_some_and(|d| d <= now_ms) {
            out.push(r.try_get("id")?);
        }
    }
    Ok(out)
}
