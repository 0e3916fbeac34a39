//! `/api/snapshots…` and `/api/mappings/{id}/snapshots` (API.md §5.3–5.4): list, get,
//! progress, retry, delete. Snapshots are created implicitly with instances.

use axum::extract::{Path, State};
use axum::response::Response;
use graph_olap_api::SnapshotStatus;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::snapshots::{self, Snapshot, SnapshotFilter};
use graph_olap_store::{export_jobs, mappings};
use serde_json::json;

use crate::auth::Caller;
use crate::http::input::{QueryParams, finish, path_id};
use crate::http::respond;
use crate::http::routes::status_filter;
use crate::services::snapshots::{self as snapshot_service, delete_snapshot};
use crate::state::AppState;

async fn load(state: &AppState, raw: &str) -> ApiResult<Snapshot> {
    let id = path_id("snapshot_id", raw)?;
    snapshots::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", id))
}

async fn list_with(
    state: &AppState,
    caller: &Caller,
    q: &QueryParams,
    mut filter: SnapshotFilter,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 50, 100);
    let (sort_by, desc) = q.sort(&mut errors, snapshots::SORT_KEYS, "created_at");
    if filter.mapping_id.is_none() {
        filter.mapping_id = q.int("mapping_id", &mut errors, 1, i64::MAX);
    }
    filter.mapping_version = q.int("mapping_version", &mut errors, 1, i64::MAX);
    filter.owner = q.text("owner").map(|o| {
        if o.eq_ignore_ascii_case("me") {
            caller.username.clone()
        } else {
            o.to_ascii_lowercase()
        }
    });
    filter.status =
        status_filter(q, "status", SnapshotStatus::ALL, &mut errors).unwrap_or_default();
    filter.search = q.search(&mut errors);
    filter.created_after = q.timestamp("created_after", &mut errors);
    filter.created_before = q.timestamp("created_before", &mut errors);
    finish(errors)?;
    let (items, total) = snapshots::list(
        &mut *state.store.read().await?,
        &filter,
        sort_by,
        desc,
        offset,
        limit,
    )
    .await?;
    Ok(respond::page(items, total, offset, limit))
}

/// `GET /api/snapshots`
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    q: QueryParams,
) -> ApiResult<Response> {
    list_with(&state, &caller, &q, SnapshotFilter::default()).await
}

/// `GET /api/mappings/{mapping_id}/snapshots`
pub async fn list_for_mapping(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    q: QueryParams,
) -> ApiResult<Response> {
    let id = path_id("mapping_id", &id)?;
    if mappings::get(&mut *state.store.read().await?, id)
        .await?
        .is_none()
    {
        return Err(ApiError::not_found("mapping", id));
    }
    list_with(
        &state,
        &caller,
        &q,
        SnapshotFilter {
            mapping_id: Some(id),
            ..Default::default()
        },
    )
    .await
}

/// `GET /api/snapshots/{snapshot_id}`
pub async fn get(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    Ok(respond::ok(load(&state, &id).await?))
}

/// `GET /api/snapshots/{snapshot_id}/progress`
pub async fn progress(
    State(state): State<AppState>,
    _caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let snapshot = load(&state, &id).await?;
    let jobs = export_jobs::for_snapshot(&mut *state.store.read().await?, snapshot.id).await?;
    Ok(respond::ok(snapshot_service::progress(
        &snapshot,
        &jobs,
        state.now(),
    )))
}

/// `POST /api/snapshots/{snapshot_id}/retry`
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let snapshot = load(&state, &id).await?;
    caller.require_owner(&snapshot.owner_username, "snapshot", snapshot.id)?;
    let mut tx = state.store.write().await?;
    crate::services::platform_config::ensure_not_in_maintenance(&mut tx).await?;
    let mut snapshot = snapshots::get_for_update(&mut tx, snapshot.id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", snapshot.id))?;
    if !matches!(
        snapshot.status,
        SnapshotStatus::Failed | SnapshotStatus::Cancelled
    ) {
        return Err(ApiError::invalid_state(
            "snapshot",
            snapshot.id,
            snapshot.status,
            &["failed", "cancelled"],
            "not_retryable",
            format!(
                "Snapshot {} is {}; only failed or cancelled snapshots can be retried",
                snapshot.id, snapshot.status
            ),
        ));
    }
    let now = state.now();
    snapshot_service::reset_for_retry(&mut tx, &mut snapshot, now).await?;
    snapshot_service::audit_snapshot(
        &mut tx,
        &caller.username,
        "snapshot.retry",
        snapshot.id,
        json!({}),
        &graph_olap_server_kit::request_id::current(),
        now,
    )
    .await?;
    let fresh = snapshots::get(&mut tx, snapshot.id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", snapshot.id))?;
    tx.commit().await?;
    Ok(respond::accepted(fresh))
}

/// `DELETE /api/snapshots/{snapshot_id}`
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = path_id("snapshot_id", &id)?;
    delete_snapshot(&state, &caller, id).await?;
    Ok(respond::ok(graph_olap_api::body::common::Deleted {
        id,
        deleted: true,
    }))
}
