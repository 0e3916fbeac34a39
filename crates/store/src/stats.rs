//! Aggregate counts over instances, snapshots and export jobs, for the ops views (API.md §3.14,
//! §3.15) and the database-backed gauges of `/metrics` (§5.2).
//!
//! Owns only read-only `GROUP BY` queries; which statuses exist and how the counts are presented
//! (every enum value present, zero-filled) is the control plane's business.

use std::collections::BTreeMap;

use sqlx::{AnyConnection, Row};

use crate::db::sql;
use crate::error::StoreError;

/// A table whose rows carry a `status` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusTable {
    /// `instances`.
    Instances,
    /// `snapshots`.
    Snapshots,
    /// `export_jobs`.
    ExportJobs,
}

impl StatusTable {
    fn name(self) -> &'static str {
        match self {
            StatusTable::Instances => "instances",
            StatusTable::Snapshots => "snapshots",
            StatusTable::ExportJobs => "export_jobs",
        }
    }
}

/// Number of rows per status (statuses without rows are absent).
pub async fn count_by_status(
    conn: &mut AnyConnection,
    table: StatusTable,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT status, COUNT(*) AS n FROM {} GROUP BY status",
            table.name()
        ),
    );
    let rows = sqlx::query(q).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
        .collect()
}

/// Non-terminated instances per owner, largest count first, then by username.
pub async fn instances_by_owner(
    conn: &mut AnyConnection,
) -> Result<Vec<(String, i64)>, StoreError> {
    let q = sql(
        conn,
        "SELECT owner_username, COUNT(*) AS n FROM instances WHERE status <> 'terminated' GROUP BY owner_username ORDER BY n DESC, owner_username ASC",
    );
    let rows = sqlx::query(q).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("owner_username")?, r.try_get("n")?)))
        .collect()
}

/// Non-terminated instances per engine selector (`wrapper_type`).
pub async fn instances_by_wrapper_type(
    conn: &mut AnyConnection,
) -> Result<BTreeMap<String, i64>, StoreError> {
    let q = sql(
        conn,
        "SELECT wrapper_type, COUNT(*) AS n FROM instances WHERE status <> 'terminated' GROUP BY wrapper_type",
    );
    let rows = sqlx::query(q).fetch_all(conn).await?;
    rows.iter()
        .map(|r| Ok((r.try_get("wrapper_type")?, r.try_get("n")?)))
        .collect()
}

/// Instances in `starting`/`running` without a runtime unit (a diagnostic that should be 0).
pub async fn instances_without_unit(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let q = sql(
        conn,
        "SELECT COUNT(*) FROM instances WHERE status IN ('starting', 'running') AND pod_name IS NULL",
    );
    Ok(sqlx::query_scalar(q).fetch_one(conn).await?)
}
