//! The audit log: one row per mutation (who, what, when, details). Written in the same
//! transaction as the change it records, so the log never disagrees with the data.

use chrono::{DateTime, Utc};
use graph_olap_api::time::serde_ts;
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct AuditEntry {
    /// Sequence number.
    pub id: i64,
    /// When.
    #[serde(with = "serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub at: DateTime<Utc>,
    /// Username or `system`.
    pub actor: String,
    /// Verb, e.g. `mapping.create`.
    pub action: String,
    /// Resource kind, e.g. `mapping`.
    pub resource_type: String,
    /// Resource id or name, when there is one.
    pub resource_id: Option<String>,
    /// Structured details (old/new values, reasons).
    pub details: serde_json::Value,
    /// Request that caused it.
    pub request_id: Option<String>,
}

/// What to record.
#[derive(Debug, Clone)]
pub struct AuditRecord<'a> {
    /// Username or `system`.
    pub actor: &'a str,
    /// Verb, e.g. `mapping.update`.
    pub action: &'a str,
    /// Resource kind.
    pub resource_type: &'a str,
    /// Resource id or name.
    pub resource_id: Option<String>,
    /// Structured details.
    pub details: serde_json::Value,
    /// Request id.
    pub request_id: Option<&'a str>,
}

/// Appends a record.
pub async fn record(
    conn: &mut AnyConnection,
    rec: AuditRecord<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO audit_log (at, actor, action, resource_type, resource_id, details, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    );
    sqlx::query(q)
        .bind(to_millis(now))
        .bind(rec.actor)
        .bind(rec.action)
        .bind(rec.resource_type)
        .bind(rec.resource_id)
        .bind(rec.details.to_string())
        .bind(rec.request_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Filters of the audit query.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Exact actor (usernames are stored lower-cased).
    pub actor: Option<String>,
    /// Exact resource type.
    pub resource_type: Option<String>,
    /// Exact resource id.
    pub resource_id: Option<String>,
    /// Literal action prefix, e.g. `mapping.` (every mapping action) or `mapping.delete`.
    pub action: Option<String>,
    /// Inclusive lower time bound.
    pub since: Option<DateTime<Utc>>,
    /// Inclusive upper time bound.
    pub until: Option<DateTime<Utc>>,
}

/// Newest-first page of records with the total count.
pub async fn query(
    conn: &mut AnyConnection,
    f: &AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<(Vec<AuditEntry>, i64), StoreError> {
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    let mut push = |clause: &str, bind: crate::Bind| {
        binds.push(bind);
        clauses.push(clause.replace('#', &format!("${}", binds.len())));
    };
    if let Some(a) = &f.actor {
        push("actor = #", crate::Bind::Text(a.clone()));
    }
    if let Some(t) = &f.resource_type {
        push("resource_type = #", crate::Bind::Text(t.clone()));
    }
    if let Some(i) = &f.resource_id {
        push("resource_id = #", crate::Bind::Text(i.clone()));
    }
    if let Some(a) = &f.action {
        // A literal prefix: substr, unlike LIKE, gives `_` and `%` no special meaning.
        push(
            &format!("substr(action, 1, {}) = #", a.chars().count()),
            crate::Bind::Text(a.clone()),
        );
    }
    if let Some(s) = f.since {
        push("at >= #", crate::Bind::Int(to_millis(s)));
    }
    if let Some(u) = f.until {
        push("at <= #", crate::Bind::Int(to_millis(u)));
    }
    let where_sql = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    let total: i64 = crate::bind_all(
        sqlx::query_scalar(sql(
            conn,
            &format!("SELECT COUNT(*) FROM audit_log {where_sql}"),
        )),
        &binds,
    )
    .fetch_one(&mut *conn)
    .await?;
    let q = sql(
        conn,
        &format!(
            "SELECT id, at, actor, action, resource_type, resource_id, details, request_id FROM audit_log {where_sql} ORDER BY at DESC, id DESC LIMIT {limit} OFFSET {offset}"
        ),
    );
    let rows = crate::bind_all_rows(sqlx::query(q), &binds)
        .fetch_all(&mut *conn)
        .await?;
    let entries = rows
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                id: r.try_get("id")?,
                at: from_millis(r.try_get("at")?),
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                resource_type: r.try_get("resource_type")?,
                resource_id: r.try_get("resource_id")?,
                details: serde_json::from_str(&r.try_get::<String, _>("details")?)
                    .unwrap_or(serde_json::Value::Null),
                request_id: r.try_get("request_id")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((entries, total))
}
