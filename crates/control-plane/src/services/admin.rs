//! Admin bulk delete (API.md §7.4): the request's safety rules, in the contract's order, and the
//! per-resource processing through the same code paths as the single-resource endpoints.
//!
//! Safety rules: filters present with at least one non-null value → matches ≤ [`MAX_MATCHES`]
//! → `expected_count` equals the match count (checked in dry runs too) → a dry run stops here.
//! Then every match is processed on its own (instances terminated with `termination_reason =
//! bulk_delete`; snapshots and mappings deleted under the dependency rules); a failure is
//! recorded against its id and never stops the others. A real run is audited as one record.
//!
//! Unknown keys inside `filters` are refused (reason `unknown_field`) instead of ignored: a
//! misspelt filter must never widen what a destructive call matches.

use std::collections::BTreeMap;

use graph_olap_api::ops::{BulkDeleteError, BulkDeleteResult};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::audit;
use graph_olap_store::bulk::{self, BulkFilter, BulkTarget};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::state::AppState;

/// Most resources one call may affect.
pub const MAX_MATCHES: i64 = 100;
/// Resource types a bulk delete accepts.
pub const RESOURCE_TYPES: [&str; 3] = ["instance", "snapshot", "mapping"];
/// Keys of `filters`.
pub const FILTER_KEYS: [&str; 4] = ["name_prefix", "created_by", "older_than_hours", "status"];

/// A validated bulk-delete request (the handler reads it from the body).
#[derive(Debug, Clone)]
pub struct BulkRequest {
    /// What to delete.
    pub target: BulkTarget,
    /// Its wire name.
    pub resource_type: &'static str,
    /// The effective filters (`created_by: "me"` resolved, age turned into a cut-off).
    pub filter: BulkFilter,
    /// The filters as sent, for the audit record.
    pub filters_sent: Value,
    /// Why (audited).
    pub reason: String,
    /// The count the caller expects to match.
    pub expected_count: Option<i64>,
    /// Report only.
    pub dry_run: bool,
}

/// Applies the safety rules and, unless it is a dry run, processes every match.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    req: &BulkRequest,
) -> ApiResult<BulkDeleteResult> {
    let (ids, total) = bulk::matching(
        &mut *state.store.read().await?,
        req.target,
        &req.filter,
        MAX_MATCHES + 1,
    )
    .await?;
    if total > MAX_MATCHES {
        return Err(ApiError::invalid("filters", "too_many_matches", format!("The filters match {total} {}s; at most {MAX_MATCHES} can be deleted in one call — narrow the filters", req.resource_type)).detail("matched_count", total));
    }
    if let Some(expected) = req.expected_count
        && expected != total
    {
        return Err(ApiError::invalid("expected_count", "count_mismatch", format!("expected_count is {expected} but the filters match {total} {}(s); nothing was deleted", req.resource_type)).detail("matched_count", total));
    }
    let mut result = BulkDeleteResult {
        dry_run: req.dry_run,
        resource_type: req.resource_type.into(),
        matched_count: ids.len(),
        matched_ids: ids.clone(),
        deleted_count: 0,
        deleted_ids: Vec::new(),
        failed_ids: Vec::new(),
        errors: BTreeMap::new(),
    };
    if req.dry_run {
        return Ok(result);
    }
    for id in ids {
        match delete_one(state, caller, req, id).await {
            Ok(()) => {
                result.deleted_ids.push(id);
                if result.deleted_ids.len() == 1 {
                    crash_point(steps::BULK_DELETE_FIRST_DONE);
                }
            }
            Err(e) => {
                result.failed_ids.push(id);
                result.errors.insert(
                    id.to_string(),
                    BulkDeleteError {
                        code: e.code,
                        message: e.message,
                        details: e.details,
                    },
                );
            }
        }
    }
    result.deleted_count = result.deleted_ids.len();
    crash_point(steps::BULK_DELETE_ALL_DONE);
    audit_run(state, caller, req, &result).await?;
    Ok(result)
}

async fn delete_one(
    state: &AppState,
    caller: &Caller,
    req: &BulkRequest,
    id: i64,
) -> ApiResult<()> {
    match req.target {
        BulkTarget::Instance => crate::services::instances::terminate_for(
            state,
            caller,
            id,
            "bulk_delete",
            Some(&req.reason),
        )
        .await
        .map(drop),
        BulkTarget::Snapshot => {
            crate::services::snapshots::delete_snapshot(state, caller, id).await
        }
        BulkTarget::Mapping => crate::services::mappings::delete_mapping(state, caller, id)
            .await
            .map(drop),
    }
}

async fn audit_run(
    state: &AppState,
    caller: &Caller,
    req: &BulkRequest,
    result: &BulkDeleteResult,
) -> ApiResult<()> {
    let rid = graph_olap_server_kit::request_id::current();
    let details = json!({
        "reason": req.reason, "filters": req.filters_sent, "expected_count": req.expected_count,
        "matched_ids": result.matched_ids, "deleted_ids": result.deleted_ids, "failed_ids": result.failed_ids,
    });
    let mut tx = state.store.write().await?;
    let record = audit::AuditRecord {
        actor: &caller.username,
        action: "bulk.delete",
        resource_type: req.resource_type,
        resource_id: None,
        details,
        request_id: Some(&rid),
    };
    audit::record(&mut tx, record, state.now()).await?;
    tx.commit().await?;
    Ok(())
}
