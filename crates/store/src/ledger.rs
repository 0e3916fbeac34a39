//! The platform-as-code ledger (issue 20): managed resources with the digest last applied, the
//! intents every apply writes before it changes anything, the apply lock, and digest-bound
//! approvals of destructive changes.
//!
//! Owns the rows and their atomic transitions (a lock is taken by one insert, an intent is
//! resolved once, an approval is consumed once). Does not own planning or what a digest covers —
//! that is the `platform-as-code` crate's, the control plane only records.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

use crate::clock::{from_millis, to_millis};
use crate::db::sql;
use crate::error::StoreError;

/// The name of the one apply lock.
pub const APPLY_LOCK: &str = "apply";

/// One managed resource as last applied, imported or refreshed.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Resource {
    /// `mapping/<name>`, `setting/<group>` or `user/<username>`.
    pub resource_key: String,
    /// `mapping`, `setting` or `user`.
    pub kind: String,
    /// The control plane's id of the resource (mapping id), when it has one.
    pub live_id: Option<String>,
    /// Digest of the resource's state as last applied (or imported).
    pub applied_digest: String,
    /// Digest observed by the last refresh.
    pub observed_digest: Option<String>,
    /// `applied` or `drifted`.
    pub status: String,
    /// When it was applied or imported.
    #[serde(with = "graph_olap_api::time::serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub applied_at: DateTime<Utc>,
    /// Who applied it (the `--as` actor).
    pub applied_by: String,
    /// When a refresh last observed it.
    #[serde(with = "graph_olap_api::time::serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub observed_at: Option<DateTime<Utc>>,
}

/// The apply lock as held.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Lock {
    /// The id `force-unlock` needs.
    pub lock_id: String,
    /// Process description of the holder (host, pid).
    pub holder: String,
    /// The actor of the apply holding it.
    pub actor: String,
    /// When it was taken.
    #[serde(with = "graph_olap_api::time::serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub acquired_at: DateTime<Utc>,
}

/// An intent: one change an apply announced before making it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Intent {
    /// Intent id.
    pub id: String,
    /// The lock of the apply that wrote it.
    pub lock_id: String,
    /// Position in its apply (1-based).
    pub step: i64,
    /// Resource it changes.
    pub resource_key: String,
    /// `create`, `update`, `set` or `delete`.
    pub action: String,
    /// The `X-Request-ID` the change is sent with; its audit entry proves it happened.
    pub request_id: String,
    /// What the change is (desired state, digests, approval id).
    pub payload: serde_json::Value,
    /// The `--as` actor.
    pub actor: String,
    /// `pending`, `completed` or `retired`.
    pub status: String,
    /// How it was resolved.
    pub outcome: Option<serde_json::Value>,
    /// When it was written.
    #[serde(with = "graph_olap_api::time::serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub created_at: DateTime<Utc>,
    /// When it was completed or retired.
    #[serde(with = "graph_olap_api::time::serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// An approval of one destructive change.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Approval {
    /// Approval id.
    pub id: String,
    /// Resource it approves changing.
    pub resource_key: String,
    /// The approved action (`delete`).
    pub action: String,
    /// Digest of exactly the planned change; any other change leaves it unusable.
    pub change_digest: String,
    /// Who approved.
    pub approved_by: String,
    /// When.
    #[serde(with = "graph_olap_api::time::serde_ts")]
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub approved_at: DateTime<Utc>,
    /// When an apply used it (kept for audit).
    #[serde(with = "graph_olap_api::time::serde_ts::option")]
    #[schemars(with = "Option<chrono::DateTime<chrono::Utc>>")]
    pub consumed_at: Option<DateTime<Utc>>,
    /// The intent that used it.
    pub consumed_by: Option<String>,
}

fn resource_row(r: &sqlx::any::AnyRow) -> Result<Resource, StoreError> {
    Ok(Resource {
        resource_key: r.try_get("resource_key")?,
        kind: r.try_get("kind")?,
        live_id: r.try_get("live_id")?,
        applied_digest: r.try_get("applied_digest")?,
        observed_digest: r.try_get("observed_digest")?,
        status: r.try_get("status")?,
        applied_at: from_millis(r.try_get("applied_at")?),
        applied_by: r.try_get("applied_by")?,
        observed_at: r.try_get::<Option<i64>, _>("observed_at")?.map(from_millis),
    })
}

fn json_col(text: &str, column: &'static str) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
    })
}

fn intent_row(r: &sqlx::any::AnyRow) -> Result<Intent, StoreError> {
    let outcome: Option<String> = r.try_get("outcome")?;
    Ok(Intent {
        id: r.try_get("id")?,
        lock_id: r.try_get("lock_id")?,
        step: r.try_get("step")?,
        resource_key: r.try_get("resource_key")?,
        action: r.try_get("action")?,
        request_id: r.try_get("request_id")?,
        payload: json_col(
            &r.try_get::<String, _>("payload")?,
            "platform_intents.payload",
        )?,
        actor: r.try_get("actor")?,
        status: r.try_get("status")?,
        outcome: outcome
            .map(|o| json_col(&o, "platform_intents.outcome"))
            .transpose()?,
        created_at: from_millis(r.try_get("created_at")?),
        resolved_at: r.try_get::<Option<i64>, _>("resolved_at")?.map(from_millis),
    })
}

fn approval_row(r: &sqlx::any::AnyRow) -> Result<Approval, StoreError> {
    Ok(Approval {
        id: r.try_get("id")?,
        resource_key: r.try_get("resource_key")?,
        action: r.try_get("action")?,
        change_digest: r.try_get("change_digest")?,
        approved_by: r.try_get("approved_by")?,
        approved_at: from_millis(r.try_get("approved_at")?),
        consumed_at: r.try_get::<Option<i64>, _>("consumed_at")?.map(from_millis),
        consumed_by: r.try_get("consumed_by")?,
    })
}

/// Every managed resource, by key.
pub async fn resources(conn: &mut AnyConnection) -> Result<Vec<Resource>, StoreError> {
    let rows = sqlx::query("SELECT * FROM platform_resources ORDER BY resource_key")
        .fetch_all(conn)
        .await?;
    rows.iter().map(resource_row).collect()
}

/// Inserts or replaces a resource record (after an apply step, or by import).
pub async fn put_resource(conn: &mut AnyConnection, r: &Resource) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_resources (resource_key, kind, live_id, applied_digest, observed_digest, status, applied_at, applied_by, observed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (resource_key) DO UPDATE SET kind = excluded.kind, live_id = excluded.live_id, \
         applied_digest = excluded.applied_digest, observed_digest = excluded.observed_digest, status = excluded.status, applied_at = excluded.applied_at, \
         applied_by = excluded.applied_by, observed_at = excluded.observed_at",
    );
    sqlx::query(q)
        .bind(&r.resource_key)
        .bind(&r.kind)
        .bind(&r.live_id)
        .bind(&r.applied_digest)
        .bind(&r.observed_digest)
        .bind(&r.status)
        .bind(to_millis(r.applied_at))
        .bind(&r.applied_by)
        .bind(r.observed_at.map(to_millis))
        .execute(conn)
        .await?;
    Ok(())
}

/// Removes a resource record (after an applied delete). Returns whether it existed.
pub async fn delete_resource(conn: &mut AnyConnection, key: &str) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "DELETE FROM platform_resources WHERE resource_key = $1",
    );
    Ok(sqlx::query(q)
        .bind(key)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// Records what a refresh observed: the digest and `applied` or `drifted`.
pub async fn observe(
    conn: &mut AnyConnection,
    key: &str,
    observed_digest: Option<&str>,
    status: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE platform_resources SET observed_digest = $1, status = $2, observed_at = $3 WHERE resource_key = $4",
    );
    Ok(sqlx::query(q)
        .bind(observed_digest)
        .bind(status)
        .bind(to_millis(now))
        .bind(key)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// The apply lock, if held.
pub async fn lock(conn: &mut AnyConnection) -> Result<Option<Lock>, StoreError> {
    let q = sql(
        conn,
        "SELECT lock_id, holder, actor, acquired_at FROM platform_locks WHERE name = $1",
    );
    let row = sqlx::query(q).bind(APPLY_LOCK).fetch_optional(conn).await?;
    row.map(|r| {
        Ok(Lock {
            lock_id: r.try_get("lock_id")?,
            holder: r.try_get("holder")?,
            actor: r.try_get("actor")?,
            acquired_at: from_millis(r.try_get("acquired_at")?),
        })
    })
    .transpose()
}

/// Takes the apply lock; `Err(held)` with the current holder when someone has it.
pub async fn acquire(
    conn: &mut AnyConnection,
    lock_id: &str,
    holder: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Result<Lock, Lock>, StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_locks (name, lock_id, holder, actor, acquired_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
    );
    let inserted = sqlx::query(q)
        .bind(APPLY_LOCK)
        .bind(lock_id)
        .bind(holder)
        .bind(actor)
        .bind(to_millis(now))
        .execute(&mut *conn)
        .await?
        .rows_affected()
        > 0;
    let current = lock(conn).await?.ok_or(StoreError::Corrupt {
        column: "platform_locks",
        message: "lock row vanished".into(),
    })?;
    Ok(if inserted { Ok(current) } else { Err(current) })
}

/// Releases the lock if and only if `lock_id` is the held one. Returns whether it was released.
pub async fn release(conn: &mut AnyConnection, lock_id: &str) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "DELETE FROM platform_locks WHERE name = $1 AND lock_id = $2",
    );
    Ok(sqlx::query(q)
        .bind(APPLY_LOCK)
        .bind(lock_id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// What an intent announces.
#[derive(Debug, Clone)]
pub struct NewIntent<'a> {
    /// Intent id.
    pub id: &'a str,
    /// The apply's lock.
    pub lock_id: &'a str,
    /// Step number.
    pub step: i64,
    /// Resource.
    pub resource_key: &'a str,
    /// Action.
    pub action: &'a str,
    /// Request id the change will carry.
    pub request_id: &'a str,
    /// Payload.
    pub payload: &'a serde_json::Value,
    /// Actor.
    pub actor: &'a str,
}

/// Writes a pending intent.
pub async fn insert_intent(
    conn: &mut AnyConnection,
    i: &NewIntent<'_>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_intents (id, lock_id, step, resource_key, action, request_id, payload, actor, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)",
    );
    sqlx::query(q)
        .bind(i.id)
        .bind(i.lock_id)
        .bind(i.step)
        .bind(i.resource_key)
        .bind(i.action)
        .bind(i.request_id)
        .bind(i.payload.to_string())
        .bind(i.actor)
        .bind(to_millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

/// One intent.
pub async fn intent(conn: &mut AnyConnection, id: &str) -> Result<Option<Intent>, StoreError> {
    let q = sql(conn, "SELECT * FROM platform_intents WHERE id = $1");
    let row = sqlx::query(q).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(intent_row).transpose()
}

/// Intents with `status` (`pending`, `completed`, `retired`), oldest first; at most `limit`.
pub async fn intents(
    conn: &mut AnyConnection,
    status: &str,
    limit: i64,
) -> Result<Vec<Intent>, StoreError> {
    let q = sql(
        conn,
        &format!(
            "SELECT * FROM platform_intents WHERE status = $1 ORDER BY created_at, step LIMIT {limit}"
        ),
    );
    let rows = sqlx::query(q).bind(status).fetch_all(conn).await?;
    rows.iter().map(intent_row).collect()
}

/// Moves a pending intent to `completed` or `retired`. Returns false when it was not pending.
pub async fn resolve_intent(
    conn: &mut AnyConnection,
    id: &str,
    status: &str,
    outcome: &serde_json::Value,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE platform_intents SET status = $1, outcome = $2, resolved_at = $3 WHERE id = $4 AND status = 'pending'",
    );
    Ok(sqlx::query(q)
        .bind(status)
        .bind(outcome.to_string())
        .bind(to_millis(now))
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// Records an approval.
pub async fn insert_approval(conn: &mut AnyConnection, a: &Approval) -> Result<(), StoreError> {
    let q = sql(
        conn,
        "INSERT INTO platform_approvals (id, resource_key, action, change_digest, approved_by, approved_at) VALUES ($1, $2, $3, $4, $5, $6)",
    );
    sqlx::query(q)
        .bind(&a.id)
        .bind(&a.resource_key)
        .bind(&a.action)
        .bind(&a.change_digest)
        .bind(&a.approved_by)
        .bind(to_millis(a.approved_at))
        .execute(conn)
        .await?;
    Ok(())
}

/// Every approval, newest first.
pub async fn approvals(conn: &mut AnyConnection) -> Result<Vec<Approval>, StoreError> {
    let rows = sqlx::query("SELECT * FROM platform_approvals ORDER BY approved_at DESC, id DESC")
        .fetch_all(conn)
        .await?;
    rows.iter().map(approval_row).collect()
}

/// One approval.
pub async fn approval(conn: &mut AnyConnection, id: &str) -> Result<Option<Approval>, StoreError> {
    let q = sql(conn, "SELECT * FROM platform_approvals WHERE id = $1");
    let row = sqlx::query(q).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(approval_row).transpose()
}

/// Marks an approval consumed by an intent, once. Returns false when it was already consumed.
pub async fn consume_approval(
    conn: &mut AnyConnection,
    id: &str,
    intent_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let q = sql(
        conn,
        "UPDATE platform_approvals SET consumed_at = $1, consumed_by = $2 WHERE id = $3 AND consumed_at IS NULL",
    );
    Ok(sqlx::query(q)
        .bind(to_millis(now))
        .bind(intent_id)
        .bind(id)
        .execute(conn)
        .await?
        .rows_affected()
        > 0)
}

/// The audit entry written by the request with `request_id`, if that request changed anything:
/// the proof that an intent's change happened (the audit row commits with the change).
pub async fn audit_of_request(
    conn: &mut AnyConnection,
    request_id: &str,
) -> Result<Option<crate::audit::AuditEntry>, StoreError> {
    let q = sql(
        conn,
        "SELECT id, at, actor, action, resource_type, resource_id, details, request_id FROM audit_log WHERE request_id = $1 ORDER BY id LIMIT 1",
    );
    let row = sqlx::query(q).bind(request_id).fetch_optional(conn).await?;
    row.map(|r| {
        Ok(crate::audit::AuditEntry {
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
    .transpose()
}
