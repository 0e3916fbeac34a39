//! The snapshot state machine (API.md §4.2): creation with its export jobs, finalisation with
//! the manifest, failure and cancellation with their effect on sibling jobs, retry, and the
//! progress view (§3.7). Every function runs inside the caller's write transaction.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use graph_olap_api::instance::{MANIFEST_SCHEMA_VERSION, ManifestFile, ManifestTable, SnapshotManifest};
use graph_olap_api::time::format_ts;
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_store::export_jobs::{self, ExportJobRow, NewExportJob};
use graph_olap_store::snapshots::{self, NewSnapshot, Snapshot};
use graph_olap_store::{StoreError, audit};
use graph_olap_api::export::{ColumnRole, ExportedFile, JobColumn};
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::error::{ApiError, ApiResult};
use crate::mapping_rules;
use crate::state::AppState;

/// Claims allowed per export job before it fails (§3.16 `max_attempts`).
pub const MAX_ATTEMPTS: i64 = 3;

/// The export jobs of a mapping version, in step order (nodes first, definition order).
pub fn jobs_for(nodes: &[NodeDefinition], edges: &[EdgeDefinition], storage_path: &str) -> Vec<NewExportJob> {
    let column_json = |cols: Vec<JobColumn>| serde_json::to_string(&cols).unwrap_or_else(|_| "[]".into());
    let mut jobs = Vec::new();
    for n in nodes {
        let cols = mapping_rules::expected_node_columns(n)
            .into_iter()
            .enumerate()
            .map(|(i, c)| JobColumn { name: c.name, ty: c.ty, role: if i == 0 { ColumnRole::PrimaryKey } else { ColumnRole::Property } })
            .collect();
        jobs.push(NewExportJob { job_type: "node", entity_name: n.label.clone(), sql_text: n.sql.clone(), columns: column_json(cols), output_uri: format!("{storage_path}nodes/{}/", n.label) });
    }
    for e in edges {
        let cols = mapping_rules::expected_edge_columns(e, nodes)
            .into_iter()
            .enumerate()
            .map(|(i, c)| JobColumn { name: c.name, ty: c.ty, role: match i { 0 => ColumnRole::FromKey, 1 => ColumnRole::ToKey, _ => ColumnRole::Property } })
            .collect();
        jobs.push(NewExportJob { job_type: "edge", entity_name: e.edge_type.clone(), sql_text: e.sql.clone(), columns: column_json(cols), output_uri: format!("{storage_path}edges/{}/", e.edge_type) });
    }
    jobs
}

/// Creates a snapshot of one mapping version (lifecycle from the snapshot `limits`) with its export jobs (or directly `ready` when
/// `prestaged`). Returns the snapshot.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut AnyConnection,
    state: &AppState,
    limits: &crate::platform_config::ResourceLifecycle,
    owner: &str,
    mapping_id: i64,
    version: &graph_olap_store::mappings::MappingVersion,
    name: &str,
    description: Option<&str>,
    prestaged: bool,
    request_id: &str,
) -> ApiResult<Snapshot> {
    let now = state.now();
    let parse = |t: &Option<String>| t.as_deref().and_then(|t| graph_olap_api::IsoDuration::parse(t).ok());
    let ttl = parse(&limits.default_ttl);
    let name: String = name.chars().take(255).collect();
    let new = NewSnapshot {
        mapping_id,
        mapping_version: version.version,
        owner_username: owner,
        name: &name,
        description,
        status: if prestaged { "ready" } else { "pending" },
        storage_root: &state.settings.storage_root,
        prestaged,
        ttl: ttl.as_ref().map(|t| t.to_string()),
        inactivity_timeout: parse(&limits.default_inactivity).map(|t| t.to_string()),
        expires_at: ttl.map(|t| now + t.to_chrono()),
        now,
    };
    let id = snapshots::insert(tx, &new).await?;
    let snapshot = snapshots::get(tx, id).await?.ok_or_else(|| ApiError::internal("snapshot vanished after insert"))?;
    if !prestaged {
        let jobs = jobs_for(&version.node_definitions, &version.edge_definitions, &snapshot.storage_path);
        export_jobs::insert_all(tx, id, mapping_id, &jobs, MAX_ATTEMPTS, now).await?;
    }
    audit_snapshot(tx, owner, "snapshot.create", id, json!({"mapping_id": mapping_id, "mapping_version": version.version, "prestaged": prestaged}), request_id, now).await?;
    Ok(snapshot)
}

/// Writes an audit row about a snapshot.
pub async fn audit_snapshot(tx: &mut AnyConnection, actor: &str, action: &str, id: i64, details: Value, request_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let request_id = (!request_id.is_empty()).then_some(request_id);
    audit::record(tx, audit::AuditRecord { actor, action, resource_type: "snapshot", resource_id: Some(id.to_string()), details, request_id }, now).await
}

/// Fails a snapshot because of one job: `error_message = "<job_type> '<entity>': <error>"`, and
/// cancels the remaining pending/claimed jobs (§4.2).
pub async fn fail_from_job(tx: &mut AnyConnection, job: &ExportJobRow, error: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, job.snapshot_id).await? else { return Ok(()) };
    if !matches!(snapshot.status.as_str(), "pending" | "creating") {
        return Ok(());
    }
    snapshot.status = "failed".into();
    snapshot.error_message = Some(format!("{} '{}': {}", job.job_type, job.entity_name, error));
    snapshot.updated_at = now;
    snapshots::save(tx, &snapshot).await?;
    cancel_jobs(tx, snapshot.id, now).await?;
    audit_snapshot(tx, "system", "snapshot.failed", snapshot.id, json!({"job_id": job.id, "error": snapshot.error_message}), "", now).await
}

/// Cancels the unfinished jobs of a snapshot (their holders learn it from the next heartbeat).
pub async fn cancel_jobs(tx: &mut AnyConnection, snapshot_id: i64, now: DateTime<Utc>) -> Result<(), StoreError> {
    for mut j in export_jobs::for_snapshot(tx, snapshot_id).await? {
        if matches!(j.status.as_str(), "pending" | "claimed") {
            j.status = "cancelled".into();
            j.updated_at = now;
            export_jobs::save(tx, &j).await?;
        }
    }
    Ok(())
}

/// Cancels a `pending`/`creating` snapshot and its jobs (§4.2); other states are left alone.
pub async fn cancel(tx: &mut AnyConnection, snapshot_id: i64, reason: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, snapshot_id).await? else { return Ok(false) };
    if !matches!(snapshot.status.as_str(), "pending" | "creating") {
        return Ok(false);
    }
    snapshot.status = "cancelled".into();
    snapshot.error_message = Some(reason.to_string());
    snapshot.updated_at = now;
    snapshots::save(tx, &snapshot).await?;
    cancel_jobs(tx, snapshot_id, now).await?;
    Ok(true)
}

/// Resets a `failed`/`cancelled` snapshot and its jobs to `pending` (§4.2 retry).
pub async fn reset_for_retry(tx: &mut AnyConnection, snapshot: &mut Snapshot, now: DateTime<Utc>) -> Result<(), StoreError> {
    snapshot.status = "pending".into();
    snapshot.error_message = None;
    snapshot.updated_at = now;
    snapshots::save(tx, snapshot).await?;
    for mut j in export_jobs::for_snapshot(tx, snapshot.id).await? {
        if j.status == "completed" {
            continue;
        }
        j.status = "pending".into();
        j.attempts = 0;
        j.started_at = None;
        j.deadline_at = None;
        j.available_at = now;
        j.lease_token = None;
        j.lease_expires_at = None;
        j.claimed_by = None;
        j.claimed_at = None;
        j.error_code = None;
        j.error_message = None;
        j.progress_rows = None;
        j.progress_bytes = None;
        j.updated_at = now;
        export_jobs::save(tx, &j).await?;
    }
    Ok(())
}

/// If every job of the snapshot is `completed`, writes `_manifest.json` and marks the snapshot
/// `ready` with its counts and size (§4.2). Returns whether it became ready. The manifest is
/// written before the status changes, so a `ready` snapshot always has one; a failure leaves
/// the snapshot `creating` for the next reconciliation pass.
pub async fn finalise_if_complete(tx: &mut AnyConnection, state: &AppState, snapshot_id: i64) -> ApiResult<bool> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, snapshot_id).await? else { return Ok(false) };
    if !matches!(snapshot.status.as_str(), "pending" | "creating") {
        return Ok(false);
    }
    let jobs = export_jobs::for_snapshot(tx, snapshot_id).await?;
    if jobs.is_empty() || jobs.iter().any(|j| j.status != "completed") {
        return Ok(false);
    }
    let now = state.now();
    let mut manifest = SnapshotManifest { schema_version: MANIFEST_SCHEMA_VERSION, snapshot_id, mapping_id: snapshot.mapping_id, mapping_version: snapshot.mapping_version, nodes: Vec::new(), edges: Vec::new(), created_at: now };
    let (mut node_counts, mut edge_counts) = (BTreeMap::new(), BTreeMap::new());
    let mut total_bytes = 0i64;
    for j in &jobs {
        let files: Vec<ExportedFile> = j.files.as_deref().map(serde_json::from_str).transpose().map_err(|e| ApiError::internal(format!("export job {} has unreadable files: {e}", j.id)))?.unwrap_or_default();
        let dir = if j.job_type == "node" { "nodes" } else { "edges" };
        let table = ManifestTable {
            name: j.entity_name.clone(),
            row_count: j.row_count.unwrap_or(0) as u64,
            files: files.iter().map(|f| ManifestFile { path: format!("{dir}/{}/{}", j.entity_name, f.path), size_bytes: f.size_bytes, row_count: f.row_count, sha256: f.sha256.clone() }).collect(),
        };
        total_bytes += j.size_bytes.unwrap_or(0);
        if j.job_type == "node" {
            node_counts.insert(j.entity_name.clone(), j.row_count.unwrap_or(0));
            manifest.nodes.push(table);
        } else {
            edge_counts.insert(j.entity_name.clone(), j.row_count.unwrap_or(0));
            manifest.edges.push(table);
        }
    }
    write_manifest(&snapshot.storage_path, &manifest).await?;
    snapshot.status = "ready".into();
    snapshot.node_counts = Some(node_counts);
    snapshot.edge_counts = Some(edge_counts);
    snapshot.size_bytes = Some(total_bytes);
    snapshot.ready_at = Some(now);
    snapshot.updated_at = now;
    snapshot.error_message = None;
    snapshots::save(tx, &snapshot).await?;
    audit_snapshot(tx, "system", "snapshot.ready", snapshot_id, json!({"size_bytes": total_bytes, "ready_at": format_ts(&now)}), "", now).await?;
    state.wake_orchestrator();
    Ok(true)
}

async fn write_manifest(storage_path: &str, manifest: &SnapshotManifest) -> ApiResult<()> {
    let body = serde_json::to_vec_pretty(manifest).map_err(|e| ApiError::internal(e.to_string()))?;
    let (store, prefix) = graph_olap_export::storage::open_store(storage_path, &Default::default()).map_err(|e| ApiError::unavailable("object_store", format!("cannot open {storage_path}: {e}")))?;
    let path = prefix.clone().join("_manifest.json");
    object_store::ObjectStoreExt::put(store.as_ref(), &path, body.into()).await.map_err(|e| ApiError::unavailable("object_store", format!("cannot write the manifest of {storage_path}: {e}")))?;
    Ok(())
}

/// Removes every object under a snapshot's storage path (file deletion after a delete).
pub async fn delete_files(storage_path: &str) -> Result<usize, String> {
    let (store, prefix) = graph_olap_export::storage::open_store(storage_path, &Default::default()).map_err(|e| e.to_string())?;
    graph_olap_export::storage::clear_prefix(&store, &prefix).await.map_err(|e| e.to_string())
}

/// The progress view of a snapshot (§3.7).
pub fn progress(snapshot: &Snapshot, jobs: &[ExportJobRow], now: DateTime<Utc>) -> Value {
    let count = |s: &str| jobs.iter().filter(|j| j.status == s).count();
    let completed = count("completed");
    let total = jobs.len();
    let steps: Vec<Value> = jobs
        .iter()
        .map(|j| {
            let status = match j.status.as_str() {
                "claimed" => "in_progress",
                other => other,
            };
            let dir = if j.job_type == "node" { "nodes" } else { "edges" };
            json!({
                "name": format!("{dir}/{}", j.entity_name),
                "type": j.job_type,
                "status": status,
                "row_count": j.row_count.or(j.progress_rows),
                "size_bytes": j.size_bytes.or(j.progress_bytes),
                "attempts": j.attempts,
                "started_at": j.started_at.as_ref().map(format_ts),
                "completed_at": j.completed_at.as_ref().map(format_ts),
                "error_message": j.error_message,
            })
        })
        .collect();
    let current = steps.iter().find(|s| s["status"] == "in_progress").map(|s| s["name"].clone());
    let started_at = jobs.iter().filter_map(|j| j.started_at).min();
    let phase = match snapshot.status.as_str() {
        "ready" => "ready",
        "failed" => "failed",
        "cancelled" => "cancelled",
        _ if started_at.is_none() => "queued",
        _ if total > 0 && completed == total => "finalizing",
        _ => "exporting",
    };
    let percent = if snapshot.status == "ready" { 100 } else if total == 0 { 0 } else { 100 * completed / total };
    let remaining = match (started_at, completed) {
        (Some(start), c) if c > 0 && c < total => {
            let elapsed = (now - start).num_seconds().max(0) as usize;
            Some(elapsed * (total - c) / c)
        }
        _ => None,
    };
    json!({
        "id": snapshot.id,
        "status": snapshot.status,
        "phase": phase,
        "started_at": started_at.as_ref().map(format_ts),
        "steps": steps,
        "current_step": current,
        "progress_percent": percent,
        "estimated_remaining_seconds": remaining,
        "error_message": snapshot.error_message,
        "jobs_total": total,
        "jobs_pending": count("pending"),
        "jobs_claimed": count("claimed"),
        "jobs_completed": completed,
        "jobs_failed": count("failed"),
        "jobs_cancelled": count("cancelled"),
    })
}
