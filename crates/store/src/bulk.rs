//! Selection of the resources an admin bulk delete would affect (API.md §7.4).
//!
//! Owns only the matching query; the safety rules (filters required, match cap, expected count)
//! and the per-resource deletion live in the control plane. Terminated instances never match.

use chrono::{DateTime, Utc};

use crate::clock::to_millis;
use crate::db::sql;
use crate::error::StoreError;
use crate::{Bind, bind_all};

/// The kind of resource a bulk delete targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkTarget {
    /// Instances (terminated, not deleted).
    Instance,
    /// Snapshots.
    Snapshot,
    /// Mappings (no status column: a status filter is the caller's error).
    Mapping,
}

impl BulkTarget {
    fn table(self) -> &'static str {
        match self {
            BulkTarget::Instance => "instances",
            BulkTarget::Snapshot => "snapshots",
            BulkTarget::Mapping => "mappings",
        }
    }
}

/// The filters of a bulk delete; `None` means "not filtered on".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkFilter {
    /// Case-sensitive prefix of `name`.
    pub name_prefix: Option<String>,
    /// Exact owner (already lower-cased).
    pub owner: Option<String>,
    /// Only resources created strictly before this instant.
    pub created_before: Option<DateTime<Utc>>,
    /// Exact status (instances and snapshots only).
    pub status: Option<String>,
}

/// Ids of the matching resources, ascending, at most `cap` of them, with the total match count.
pub async fn matching(
    conn: &mut sqlx::AnyConnection,
    target: BulkTarget,
    filter: &BulkFilter,
    cap: i64,
) -> Result<(Vec<i64>, i64), StoreError> {
    let mut clauses = vec!["1 = 1".to_string()];
    let mut binds = Vec::new();
    let mut next = |b: Bind| {
        binds.push(b);
        format!("${}", binds.len())
    };
    if let Some(prefix) = &filter.name_prefix {
        // substr compares characters exactly on both databases (LIKE ignores case on SQLite).
        let len = prefix.chars().count();
        clauses.push(format!(
            "substr(name, 1, {len}) = {}",
            next(Bind::Text(prefix.clone()))
        ));
    }
    if let Some(owner) = &filter.owner {
        clauses.push(format!(
            "owner_username = {}",
            next(Bind::Text(owner.clone()))
        ));
    }
    if let Some(t) = filter.created_before {
        clauses.push(format!("created_at < {}", next(Bind::Int(to_millis(t)))));
    }
    if let Some(status) = &filter.status {
        clauses.push(format!("status = {}", next(Bind::Text(status.clone()))));
    }
    if target == BulkTarget::Instance {
        clauses.push("status <> 'terminated'".to_string());
    }
    let where_sql = clauses.join(" AND ");
    let table = target.table();
    let total: i64 = bind_all(
        sqlx::query_scalar(sql(
            conn,
            &format!("SELECT COUNT(*) FROM {table} WHERE {where_sql}"),
        )),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await?;
    let ids: Vec<i64> = bind_all(
        sqlx::query_scalar(sql(
            conn,
            &format!("SELECT id FROM {table} WHERE {where_sql} ORDER BY id LIMIT {cap}"),
        )),
        &binds,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok((ids, total))
}
