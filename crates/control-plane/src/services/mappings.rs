//! Mappings (API.md §4.1, §4.10): loading, the TTL ceiling every lifecycle change obeys, the
//! audit record of a mapping change, and deletion with its cascade — the one path behind
//! `DELETE /api/mappings/{id}` and bulk delete. Structural rules live in [`super::mapping_rules`],
//! version differences in [`super::diff`].

use graph_olap_api::IsoDuration;
use graph_olap_api::body::mappings::MappingDeleted;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::{audit, favorites, mappings};
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::services::platform_config::ResourceLifecycle;
use crate::state::AppState;

/// The mapping `id`, or `NOT_FOUND`.
pub async fn load(state: &AppState, id: i64) -> ApiResult<mappings::Mapping> {
    mappings::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", id))
}

/// Rejects a TTL above `max_ttl` (or a cleared TTL while `max_ttl` is set) — §4.5.
pub fn check_max_ttl(ttl: Option<&IsoDuration>, limits: &ResourceLifecycle) -> ApiResult<()> {
    if let Some(max_ms) = limits.max_ttl_ms() {
        let max_text = limits.max_ttl.clone().unwrap_or_default();
        let too_long = match ttl {
            Some(t) => t.millis() > max_ms,
            None => true,
        };
        if too_long {
            let message = match ttl {
                Some(t) => format!("ttl {t} exceeds the maximum of {max_text}"),
                None => {
                    format!("ttl cannot be cleared while a maximum TTL of {max_text} is configured")
                }
            };
            return Err(
                ApiError::invalid("ttl", "exceeds_max_ttl", message).detail("max_ttl", max_text)
            );
        }
    }
    Ok(())
}

/// The audit record of a change to mapping `id` by `caller`.
pub(crate) fn audit_rec<'a>(
    caller: &'a Caller,
    action: &'a str,
    id: i64,
    details: Value,
    rid: &'a str,
) -> audit::AuditRecord<'a> {
    audit::AuditRecord {
        actor: &caller.username,
        action,
        resource_type: "mapping",
        resource_id: Some(id.to_string()),
        details,
        request_id: Some(rid),
    }
}

/// Deletes mapping `id` for `caller` (owner, admin or ops) unless an active instance uses it:
/// its versions, snapshots (files queued for removal) and favorites go with it, audited.
pub async fn delete_mapping(
    state: &AppState,
    caller: &Caller,
    id: i64,
) -> ApiResult<MappingDeleted> {
    let current = load(state, id).await?;
    caller.require_owner(&current.summary.owner_username, "mapping", id)?;
    let now = state.now();
    let rid = graph_olap_server_kit::request_id::current();
    let mut tx = state.store.write().await?;
    mappings::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping", id))?;
    let active = mappings::active_instance_ids(&mut tx, id).await?;
    if !active.is_empty() {
        return Err(ApiError::new(
            graph_olap_api::ErrorCode::ResourceHasDependencies,
            format!(
                "Mapping {id} has {} active instance(s); terminate them first",
                active.len()
            ),
        )
        .detail("resource_type", "mapping")
        .detail("resource_id", id)
        .detail("dependent_type", "instance")
        .detail("dependent_count", active.len() as i64)
        .detail(
            "dependent_ids",
            json!(active.iter().take(20).collect::<Vec<_>>()),
        ));
    }
    let cascade = mappings::delete_cascade(&mut tx, id, now).await?;
    favorites::remove_for_resource(&mut tx, "mapping", id).await?;
    for sid in &cascade.snapshot_ids {
        favorites::remove_for_resource(&mut tx, "snapshot", *sid).await?;
    }
    audit::record(&mut tx, audit_rec(caller, "mapping.delete", id, json!({"snapshots_deleted": cascade.snapshot_ids.len(), "instances_terminated": cascade.instances_terminated}), &rid), now).await?;
    tx.commit().await?;
    Ok(MappingDeleted {
        id,
        deleted: true,
        snapshots_deleted: cascade.snapshot_ids.len(),
        instances_terminated: cascade.instances_terminated,
    })
}

/// Validates every non-pre-staged SQL of the definitions against the warehouse (§5.3).
pub async fn validate_sql(
    state: &AppState,
    nodes: &[graph_olap_api::NodeDefinition],
    edges: &[graph_olap_api::EdgeDefinition],
) -> ApiResult<()> {
    if !state.settings.validate_sql {
        return Ok(());
    }
    let mut jobs: Vec<(String, String, Vec<graph_olap_warehouse::ExpectedColumn>)> = Vec::new();
    for (i, n) in nodes.iter().enumerate() {
        if !(state.settings.prestaged_snapshots
            && crate::services::sql_check::references_placeholder(&n.sql))
        {
            jobs.push((
                format!("node_definitions[{i}].sql"),
                n.sql.clone(),
                crate::services::mapping_rules::expected_node_columns(n),
            ));
        }
    }
    for (i, e) in edges.iter().enumerate() {
        if !(state.settings.prestaged_snapshots
            && crate::services::sql_check::references_placeholder(&e.sql))
        {
            jobs.push((
                format!("edge_definitions[{i}].sql"),
                e.sql.clone(),
                crate::services::mapping_rules::expected_edge_columns(e, nodes),
            ));
        }
    }
    let checks = jobs.iter().map(|(_, sql, expected)| {
        graph_olap_warehouse::validate_query(state.warehouse.as_ref(), sql, expected)
    });
    let results = futures::future::join_all(checks).await;
    let mut errors = Vec::new();
    for ((field, _, _), result) in jobs.iter().zip(results) {
        match result {
            Ok(problems) => errors.extend(problems.into_iter().map(|p| {
                graph_olap_api::FieldError::new(field.clone(), "sql_invalid", p.to_string())
            })),
            Err(graph_olap_warehouse::WarehouseError::Unreachable(msg)) => {
                return Err(ApiError::unavailable(
                    "warehouse",
                    format!("The warehouse is unreachable, so the SQL cannot be validated: {msg}"),
                ));
            }
            Err(e) => errors.push(graph_olap_api::FieldError::new(
                field.clone(),
                "sql_invalid",
                e.to_string(),
            )),
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}
