//! The platform-as-code ledger service (issue 20): the rules behind `/api/platform/*`.
//!
//! Owns: the apply lock (taken once, released or force-unlocked only by its exact id), intents
//! (written before a change, completed with the resource record and any approval consumption in
//! one transaction, or retired), import and refresh records, approvals, and an audit entry with
//! the operator's `--as` actor for each. Every ledger write but an approval requires the caller to
//! present the held lock's id, so a force-unlocked, still-running apply cannot write.
//! Does not own: planning, digests or the order of changes (the `platform-as-code` crate).

use graph_olap_api::ErrorCode;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{WriteTx, audit, ledger};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::state::AppState;

/// `409 RESOURCE_LOCKED` naming the holder of the apply lock.
pub fn locked(held: &ledger::Lock) -> ApiError {
    ApiError::new(
        ErrorCode::ResourceLocked,
        format!(
            "Another platform apply holds the lock {} (holder {}, actor {}, since {}); if it crashed, run `graph-olap platform force-unlock {}`",
            held.lock_id,
            held.holder,
            held.actor,
            graph_olap_api::time::format_ts(&held.acquired_at),
            held.lock_id
        ),
    )
    .detail("lock_id", held.lock_id.clone())
    .detail("holder", held.holder.clone())
    .detail("actor", held.actor.clone())
}

fn lock_not_held(lock_id: &str) -> ApiError {
    ApiError::invalid_state(
        "platform_lock",
        lock_id,
        "not_held",
        &["held"],
        "lock_not_held",
        format!("The platform lock {lock_id} is not held (it was released or force-unlocked)"),
    )
}

/// Fails unless `lock_id` is the held apply lock (checked inside the writing transaction).
pub async fn require_lock(tx: &mut WriteTx, lock_id: &str) -> ApiResult<()> {
    match ledger::lock(tx).await? {
        Some(l) if l.lock_id == lock_id => Ok(()),
        _ => Err(lock_not_held(lock_id)),
    }
}

/// Writes an audit row for a ledger action, attributed to the operator's actor.
pub async fn audit_ledger(
    state: &AppState,
    tx: &mut WriteTx,
    caller: &Caller,
    actor: &str,
    action: &str,
    resource_id: Option<String>,
    mut details: Value,
) -> ApiResult<()> {
    if let Some(m) = details.as_object_mut() {
        m.insert("authenticated_as".into(), json!(caller.username));
    }
    let rid = graph_olap_server_kit::request_id::current();
    audit::record(
        tx,
        audit::AuditRecord {
            actor,
            action,
            resource_type: "platform",
            resource_id,
            details,
            request_id: Some(&rid),
        },
        state.now(),
    )
    .await?;
    Ok(())
}

/// Reads a JSON body into `T`, or `400 VALIDATION_FAILED` naming what is wrong.
pub fn parse<T: for<'de> Deserialize<'de>>(body: serde_json::Map<String, Value>) -> ApiResult<T> {
    serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::invalid("body", "type", format!("invalid request body: {e}")))
}

/// Checks an `--as` actor: 1–255 characters without control characters.
pub fn check_actor(actor: &str) -> ApiResult<()> {
    if actor.trim().is_empty() || actor.chars().count() > 255 || actor.chars().any(char::is_control)
    {
        return Err(ApiError::invalid(
            "actor",
            "pattern",
            "actor must be 1–255 characters without control characters",
        ));
    }
    Ok(())
}

/// A fresh random id (ledger locks, intents, approvals).
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}
