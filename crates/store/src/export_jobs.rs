//! Export jobs: one per node label and edge type of a snapshot (API.md §3.16, §4.4).
//!
//! Jobs are read into [`ExportJobRow`] and written back with [`save`] inside the caller's write
//! transaction; [`claimable`] selects claimable rows with `FOR UPDATE SKIP LOCKED` on PostgreSQL,
//! so concurrent claims by several control-plane replicas never hand out the same job.

use chrono::{DateTime, Utc};
use graph_olap_api::export::ExportJobStatus;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::{Dialect, dialect_of, sql};
use crate::error::StoreError;
use crate::snapshots::opt_ts;

/// Every column of an export job.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportJobRow {
    /// Job id.
    pub id: i64,
    /// Snapshot it belongs to.
    pub snapshot_id: i64,
    /// Mapping of the snapshot.
    pub mapping_id: i64,
    /// `node` | `edge`.
    pub job_type: String,
    /// Label or edge type.
    pub entity_name: String,
    /// Position: node jobs first, each group in definition order.
    pub ordinal: i64,
    /// The definition's SQL, verbatim.
    pub sql_text: String,
    /// JSON `[{name, type, role}]` in Parquet column order.
    pub columns: String,
    /// Prefix the files go under.
    pub output_uri: String,
    /// Where the job is in its lifecycle (§4.4).
    pub status: ExportJobStatus,
    /// Claims so far.
    pub attempts: i64,
    /// Claims allowed.
    pub max_attempts: i64,
    /// Worker holding the lease.
    pub claimed_by: Option<String>,
    /// Current lease start.
    pub claimed_at: Option<DateTime<Utc>>,
    /// Current lease token.
    pub lease_token: Option<String>,
    /// Current lease end.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// First claim.
    pub started_at: Option<DateTime<Utc>>,
    /// Hard deadline (`started_at + max duration`).
    pub deadline_at: Option<DateTime<Utc>>,
    /// Earliest next claim.
    pub available_at: DateTime<Utc>,
    /// Completion time.
    pub completed_at: Option<DateTime<Utc>>,
    /// Rows exported.
    pub row_count: Option<i64>,
    /// Bytes exported.
    pub size_bytes: Option<i64>,
    /// JSON list of the files written (relative path, size, rows, sha256).
    pub files: Option<String>,
    /// JSON of what the data-quality checks found (`graph_olap_api::export::JobQuality`).
    pub quality: Option<String>,
    /// Rows written so far (heartbeat progress).
    pub progress_rows: Option<i64>,
    /// Bytes written so far.
    pub progress_bytes: Option<i64>,
    /// Last warehouse query id.
    pub warehouse_query_id: Option<String>,
    /// Error code of the last failure.
    pub error_code: Option<String>,
    /// Error message of the last failure.
    pub error_message: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// Values of a new job (the rest is derived).
#[derive(Debug, Clone)]
pub struct NewExportJob {
    /// `node` | `edge`.
    pub job_type: &'static str,
    /// Label or edge type.
    pub entity_name: String,
    /// The definition's SQL.
    pub sql_text: String,
    /// JSON column contract.
    pub columns: String,
    /// Prefix the files go under.
    pub output_uri: String,
}

const COLUMNS: &str = "id, snapshot_id, mapping_id, job_type, entity_name, ordinal, sql_text, columns, output_uri, status, attempts, max_attempts, claimed_by, claimed_at, lease_token, lease_expires_at, started_at, deadline_at, available_at, completed_at, row_count, size_bytes, files, quality, progress_rows, progress_bytes, warehouse_query_id, error_code, error_message, created_at, updated_at";

fn from_row(row: &sqlx::any::AnyRow) -> Result<ExportJobRow, StoreError> {
    Ok(ExportJobRow {
        id: row.try_get("id")?,
        snapshot_id: row.try_get("snapshot_id")?,
        mapping_id: row.try_get("mapping_id")?,
        job_type: row.try_get("job_type")?,
        entity_name: row.try_get("entity_name")?,
        ordinal: row.try_get("ordinal")?,
        sql_text: row.try_get("sql_text")?,
        columns: row.try_get("columns")?,
        output_uri: row.try_get("output_uri")?,
        status: crate::decode_status(row, "status")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        claimed_by: row.try_get("claimed_by")?,
        claimed_at: opt_ts(row, "claimed_at")?,
        lease_token: row.try_get("lease_token")?,
        lease_expires_at: opt_ts(row, "lease_expires_at")?,
        started_at: opt_ts(row, "started_at")?,
        deadline_at: opt_ts(row, "deadline_at")?,
        available_at: from_millis(row.try_get("available_at")?),
        completed_at: opt_ts(row, "completed_at")?,
        row_count: row.try_get("row_count")?,
        size_bytes: row.try_get("size_bytes")?,
        files: row.try_get("files")?,
        quality: row.try_get("quality")?,
        progress_rows: row.try_get("progress_rows")?,
        progress_bytes: row.try_get("progress_bytes")?,
        warehouse_query_id: row.try_get("warehouse_query_id")?,
        error_code: row.try_get("error_code")?,
        error_message: row.try_get("error_message")?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

/// Inserts the jobs of a new snapshot in order (`ordinal` = position), all `pending` and
/// claimable now.
pub async fn insert_all(
    conn: &mut AnyConnection,
    snapshot_id: i64,
    mapping_id: i64,
    jobs: &[NewExportJob],
    max_attempts: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let text = "INSERT INTO export_jobs (snapshot_id, mapping_id, job_type, entity_name, ordinal, sql_text, columns, output_uri, status, attempts, max_attempts, available_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9, $10, $10, $10)";
    for (i, job) in jobs.iter().enumerate() {
        let q = sql(conn, text);
        sqlx::query(q)
            .bind(snapshot_id)
            .bind(mapping_id)
            .bind(job.job_type)
            .bind(job.entity_name.clone())
            .bind(i as i64)
            .bind(job.sql_text.clone())
            .bind(job.columns.clone())
            .bind(job.output_uri.clone())
            .bind(max_attempts)
            .bind(to_millis(now))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Reads one job.
pub async fn get(conn: &mut AnyConnection, id: i64) -> Result<Option<ExportJobRow>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {COLUMNS} FROM export_jobs WHERE id = $1"),
    );
    sqlx::query(q)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// Reads one job, locking its row on PostgreSQL until the transaction ends.
pub async fn get_for_update(
    conn: &mut AnyConnection,
    id: i64,
) -> Result<Option<ExportJobRow>, StoreError> {
    let suffix = if dialect_of(conn) == Dialect::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let q = sql(
        conn,
        &format!("SELECT {COLUMNS} FROM export_jobs WHERE id = $1{suffix}"),
    );
    sqlx::query(q)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// The jobs of a snapshot in step order.
pub async fn for_snapshot(
    conn: &mut AnyConnection,
    snapshot_id: i64,
) -> Result<Vec<ExportJobRow>, StoreError> {
    let q = sql(
        conn,
        &format!("SELECT {COLUMNS} FROM export_jobs WHERE snapshot_id = $1 ORDER BY ordinal, id"),
    );
    sqlx::query(q)
        .bind(snapshot_id)
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Up to `limit` claimable jobs (`pending`, `available_at ≤ now`), oldest first, locked for the
/// rest of the transaction; rows locked by a concurrent claim are skipped (PostgreSQL). SQLite
/// has a single writer, so the plain select is already exclusive. With `edges_after_nodes`, an
/// edge job is claimable only once every node job of its snapshot is `completed` (the
/// dangling-edge check reads the exported node keys).
pub async fn claimable(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
    edges_after_nodes: bool,
) -> Result<Vec<ExportJobRow>, StoreError> {
    let suffix = if dialect_of(conn) == Dialect::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let gate = if edges_after_nodes {
        " AND (job_type = 'node' OR NOT EXISTS (SELECT 1 FROM export_jobs n WHERE n.snapshot_id = export_jobs.snapshot_id AND n.job_type = 'node' AND n.status <> 'completed'))"
    } else {
        ""
    };
    let q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM export_jobs WHERE status = 'pending' AND available_at <= $1{gate} ORDER BY available_at, id LIMIT {limit}{suffix}"
        ),
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Jobs needing the reconciler's attention at `now`: claimed with an expired lease, or
/// unfinished past their deadline. Locked like [`claimable`].
pub async fn overdue(
    conn: &mut AnyConnection,
    now: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<ExportJobRow>, StoreError> {
    let suffix = if dialect_of(conn) == Dialect::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM export_jobs WHERE (status = 'claimed' AND lease_expires_at < $1) OR (status IN ('pending', 'claimed') AND deadline_at < $1) ORDER BY id LIMIT {limit}{suffix}"
        ),
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .fetch_all(conn)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Number of jobs per status (for the ops views and metrics).
pub async fn count_by_status(conn: &mut AnyConnection) -> Result<Vec<(String, i64)>, StoreError> {
    let q = sql(
        conn,
        "SELECT status, COUNT(*) AS n FROM export_jobs GROUP BY status ORDER BY status",
    );
    let rows = sqlx::query(q).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Jobs filtered by status, newest first (ops view).
pub async fn list(
    conn: &mut AnyConnection,
    status: Option<ExportJobStatus>,
    limit: i64,
) -> Result<Vec<ExportJobRow>, StoreError> {
    let rows = match status {
        Some(s) => {
            let q = sql(
                conn,
                &format!(
                    "SELECT {COLUMNS} FROM export_jobs WHERE status = $1 ORDER BY id DESC LIMIT {limit}"
                ),
            );
            sqlx::query(q).bind(s.as_str()).fetch_all(conn).await?
        }
        None => {
            let q = sql(
                conn,
                &format!("SELECT {COLUMNS} FROM export_jobs ORDER BY id DESC LIMIT {limit}"),
            );
            sqlx::query(q).fetch_all(conn).await?
        }
    };
    rows.iter().map(from_row).collect()
}

/// Writes every mutable field of `job` back.
pub async fn save(conn: &mut AnyConnection, job: &ExportJobRow) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "UPDATE export_jobs SET status = $1, attempts = $2, claimed_by = $3, claimed_at = $4, lease_token = $5, lease_expires_at = $6, started_at = $7, deadline_at = $8, available_at = $9, completed_at = $10, row_count = $11, size_bytes = $12, files = $13, progress_rows = $14, progress_bytes = $15, warehouse_query_id = $16, error_code = $17, error_message = $18, updated_at = $19, quality = $20 WHERE id = $21",
    );
    sqlx::query(q)
        .bind(job.status.as_str())
        .bind(job.attempts)
        .bind(job.claimed_by.clone())
        .bind(job.claimed_at.map(to_millis))
        .bind(job.lease_token.clone())
        .bind(job.lease_expires_at.map(to_millis))
        .bind(job.started_at.map(to_millis))
        .bind(job.deadline_at.map(to_millis))
        .bind(to_millis(job.available_at))
        .bind(job.completed_at.map(to_millis))
        .bind(job.row_count)
        .bind(job.size_bytes)
        .bind(job.files.clone())
        .bind(job.progress_rows)
        .bind(job.progress_bytes)
        .bind(job.warehouse_query_id.clone())
        .bind(job.error_code.clone())
        .bind(job.error_message.clone())
        .bind(to_millis(job.updated_at))
        .bind(job.quality.clone())
        .bind(job.id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A page of jobs for the ops view (API.md §7.3): any of `statuses` (all when empty), optionally
/// one snapshot's, newest first; returns the page and the total number of matches.
pub async fn page(
    conn: &mut AnyConnection,
    statuses: &[String],
    snapshot_id: Option<i64>,
    offset: i64,
    limit: i64,
) -> Result<(Vec<ExportJobRow>, i64), StoreError> {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    if !statuses.is_empty() {
        let list: Vec<String> = statuses
            .iter()
            .map(|s| {
                binds.push(crate::Bind::Text(s.clone()));
                format!("${}", binds.len())
            })
            .collect();
        clauses.push(format!("status IN ({})", list.join(", ")));
    }
    if let Some(id) = snapshot_id {
        binds.push(crate::Bind::Int(id));
        clauses.push(format!("snapshot_id = ${}", binds.len()));
    }
    let where_sql = clauses.join(" AND ");
    let total: i64 = crate::bind_all(
        sqlx::query_scalar(sql(
            conn,
            &format!("SELECT COUNT(*) FROM export_jobs WHERE {where_sql}"),
        )),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await?;
    let q = sql(
        conn,
        &format!(
            "SELECT {COLUMNS} FROM export_jobs WHERE {where_sql} ORDER BY created_at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ),
    );
    let rows = crate::bind_all_rows(sqlx::query(q), &binds)
        .fetch_all(conn)
        .await?;
    Ok((rows.iter().map(from_row).collect::<Result<_, _>>()?, total))
}
