//! The snapshot state machine (API.md §4.2): creation with its export jobs, finalisation with
//! the manifest, failure and cancellation with their effect on sibling jobs, retry, and the
//! progress view (§3.7). Every function runs inside the caller's write transaction.

use graph_olap_api::SnapshotStatus;
use graph_olap_api::body::snapshots::{ExportStep, SnapshotProgress};
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use graph_olap_api::export::{
    CheckPolicy, ColumnRole, DataQuality, EdgeEndpoints, ExportJobStatus, ExportedFile, JobColumn,
    JobQuality, JobType, NodeFiles, QualityStatus,
};
use graph_olap_api::instance::{
    MANIFEST_SCHEMA_VERSION, ManifestFile, ManifestTable, SnapshotManifest,
};
use graph_olap_api::time::format_ts;
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::export_jobs::{self, ExportJobRow, NewExportJob};
use graph_olap_store::snapshots::{self, NewSnapshot, Snapshot};
use graph_olap_store::{StoreError, audit};
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::services::mapping_rules;
use crate::state::AppState;

/// Claims allowed per export job before it fails (§3.16 `max_attempts`).
pub const MAX_ATTEMPTS: i64 = 3;

/// The export jobs of a mapping version, in step order (nodes first, definition order).
pub fn jobs_for(
    nodes: &[NodeDefinition],
    edges: &[EdgeDefinition],
    storage_path: &str,
) -> Vec<NewExportJob> {
    let column_json =
        |cols: Vec<JobColumn>| serde_json::to_string(&cols).unwrap_or_else(|_| "[]".into());
    let mut jobs = Vec::new();
    for n in nodes {
        let cols = mapping_rules::expected_node_columns(n)
            .into_iter()
            .enumerate()
            .map(|(i, c)| JobColumn {
                name: c.name,
                ty: c.ty,
                role: if i == 0 {
                    ColumnRole::PrimaryKey
                } else {
                    ColumnRole::Property
                },
            })
            .collect();
        jobs.push(NewExportJob {
            job_type: "node",
            entity_name: n.label.clone(),
            sql_text: n.sql.clone(),
            columns: column_json(cols),
            output_uri: format!("{storage_path}nodes/{}/", n.label),
        });
    }
    for e in edges {
        let cols = mapping_rules::expected_edge_columns(e, nodes)
            .into_iter()
            .enumerate()
            .map(|(i, c)| JobColumn {
                name: c.name,
                ty: c.ty,
                role: match i {
                    0 => ColumnRole::FromKey,
                    1 => ColumnRole::ToKey,
                    _ => ColumnRole::Property,
                },
            })
            .collect();
        jobs.push(NewExportJob {
            job_type: "edge",
            entity_name: e.edge_type.clone(),
            sql_text: e.sql.clone(),
            columns: column_json(cols),
            output_uri: format!("{storage_path}edges/{}/", e.edge_type),
        });
    }
    jobs
}

/// Creates a snapshot of one mapping version (lifecycle from the snapshot `limits`) with its export jobs (or directly `ready` when
/// `prestaged`). Returns the snapshot.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut AnyConnection,
    state: &AppState,
    limits: &crate::services::platform_config::ResourceLifecycle,
    owner: &str,
    mapping_id: i64,
    version: &graph_olap_store::mappings::MappingVersion,
    name: &str,
    description: Option<&str>,
    prestaged: bool,
    request_id: &str,
) -> ApiResult<Snapshot> {
    let now = state.now();
    let parse = |t: &Option<String>| {
        t.as_deref()
            .and_then(|t| graph_olap_api::IsoDuration::parse(t).ok())
    };
    let ttl = parse(&limits.default_ttl);
    let name: String = name.chars().take(255).collect();
    let policy = state.settings.quality;
    let quality = if prestaged {
        DataQuality::not_checked(policy)
    } else {
        DataQuality::pending(policy)
    };
    let new = NewSnapshot {
        mapping_id,
        mapping_version: version.version,
        owner_username: owner,
        name: &name,
        description,
        status: if prestaged {
            SnapshotStatus::Ready
        } else {
            SnapshotStatus::Pending
        },
        storage_root: &state.settings.storage_root,
        prestaged,
        data_quality: &quality,
        ttl: ttl.as_ref().map(|t| t.to_string()),
        inactivity_timeout: parse(&limits.default_inactivity).map(|t| t.to_string()),
        expires_at: ttl.map(|t| now + t.to_chrono()),
        now,
    };
    let id = snapshots::insert(tx, &new).await?;
    let snapshot = snapshots::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("snapshot vanished after insert"))?;
    if !prestaged {
        let jobs = jobs_for(
            &version.node_definitions,
            &version.edge_definitions,
            &snapshot.storage_path,
        );
        export_jobs::insert_all(tx, id, mapping_id, &jobs, MAX_ATTEMPTS, now).await?;
    }
    audit_snapshot(tx, owner, "snapshot.create", id, json!({"mapping_id": mapping_id, "mapping_version": version.version, "prestaged": prestaged}), request_id, now).await?;
    Ok(snapshot)
}

/// Writes an audit row about a snapshot.
pub async fn audit_snapshot(
    tx: &mut AnyConnection,
    actor: &str,
    action: &str,
    id: i64,
    details: Value,
    request_id: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let request_id = (!request_id.is_empty()).then_some(request_id);
    audit::record(
        tx,
        audit::AuditRecord {
            actor,
            action,
            resource_type: "snapshot",
            resource_id: Some(id.to_string()),
            details,
            request_id,
        },
        now,
    )
    .await
}

/// Fails a snapshot because of one job: `error_message = "<job_type> '<entity>': <error>"`, and
/// cancels the remaining pending/claimed jobs (§4.2).
pub async fn fail_from_job(
    tx: &mut AnyConnection,
    job: &ExportJobRow,
    error: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, job.snapshot_id).await? else {
        return Ok(());
    };
    if !matches!(
        snapshot.status,
        SnapshotStatus::Pending | SnapshotStatus::Creating
    ) {
        return Ok(());
    }
    snapshot.status = SnapshotStatus::Failed;
    snapshot.error_message = Some(format!("{} '{}': {}", job.job_type, job.entity_name, error));
    snapshot.updated_at = now;
    cancel_jobs(tx, snapshot.id, now).await?;
    let jobs = export_jobs::for_snapshot(tx, snapshot.id).await?;
    rebuild_quality(&mut snapshot, &jobs);
    snapshots::save(tx, &snapshot).await?;
    audit_snapshot(
        tx,
        "system",
        "snapshot.failed",
        snapshot.id,
        json!({"job_id": job.id, "error": snapshot.error_message}),
        "",
        now,
    )
    .await
}

/// Cancels the unfinished jobs of a snapshot (their holders learn it from the next heartbeat).
pub async fn cancel_jobs(
    tx: &mut AnyConnection,
    snapshot_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for mut j in export_jobs::for_snapshot(tx, snapshot_id).await? {
        if matches!(
            j.status,
            ExportJobStatus::Pending | ExportJobStatus::Claimed
        ) {
            j.status = ExportJobStatus::Cancelled;
            j.updated_at = now;
            export_jobs::save(tx, &j).await?;
        }
    }
    Ok(())
}

/// Cancels a `pending`/`creating` snapshot and its jobs (§4.2); other states are left alone.
pub async fn cancel(
    tx: &mut AnyConnection,
    snapshot_id: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, snapshot_id).await? else {
        return Ok(false);
    };
    if !matches!(
        snapshot.status,
        SnapshotStatus::Pending | SnapshotStatus::Creating
    ) {
        return Ok(false);
    }
    snapshot.status = SnapshotStatus::Cancelled;
    snapshot.error_message = Some(reason.to_string());
    snapshot.updated_at = now;
    snapshots::save(tx, &snapshot).await?;
    cancel_jobs(tx, snapshot_id, now).await?;
    Ok(true)
}

/// Resets a `failed`/`cancelled` snapshot and its jobs to `pending` (§4.2 retry).
pub async fn reset_for_retry(
    tx: &mut AnyConnection,
    snapshot: &mut Snapshot,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    snapshot.status = SnapshotStatus::Pending;
    snapshot.error_message = None;
    snapshot.updated_at = now;
    snapshots::save(tx, snapshot).await?;
    for mut j in export_jobs::for_snapshot(tx, snapshot.id).await? {
        if j.status == ExportJobStatus::Completed {
            continue;
        }
        j.status = ExportJobStatus::Pending;
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
        j.quality = None;
        j.updated_at = now;
        export_jobs::save(tx, &j).await?;
    }
    let jobs = export_jobs::for_snapshot(tx, snapshot.id).await?;
    rebuild_quality(snapshot, &jobs);
    snapshots::save(tx, snapshot).await?;
    Ok(())
}

/// Recomputes `data_quality` of a snapshot from what its jobs reported (§3.6 addition, see
/// docs/snapshots.md): findings of completed jobs and of jobs that failed for good; status
/// `failed` when a `fail` policy failed a job, `passed`/`warnings` once every job completed,
/// `pending` otherwise, `not_checked` for pre-staged snapshots.
pub fn rebuild_quality(snapshot: &mut Snapshot, jobs: &[ExportJobRow]) {
    let policy = snapshot.data_quality.policy;
    if snapshot.prestaged {
        snapshot.data_quality = DataQuality::not_checked(policy);
        return;
    }
    let mut quality = DataQuality::pending(policy);
    let mut check_failed = false;
    for j in jobs.iter().filter(|j| {
        matches!(
            j.status,
            ExportJobStatus::Completed | ExportJobStatus::Failed
        )
    }) {
        let Some(found) = j
            .quality
            .as_deref()
            .and_then(|t| serde_json::from_str::<JobQuality>(t).ok())
        else {
            continue;
        };
        let job_type = if j.job_type == "node" {
            JobType::Node
        } else {
            JobType::Edge
        };
        quality.record(job_type, &j.entity_name, &found);
        if j.status == ExportJobStatus::Failed
            && j.error_code.as_deref() == Some("INVALID_DATA")
            && found.has_findings()
        {
            check_failed = true;
        }
    }
    quality.status = if check_failed {
        QualityStatus::Failed
    } else if !jobs.is_empty() && jobs.iter().all(|j| j.status == ExportJobStatus::Completed) {
        if quality.has_findings() {
            QualityStatus::Warnings
        } else {
            QualityStatus::Passed
        }
    } else {
        QualityStatus::Pending
    };
    snapshot.data_quality = quality;
}

/// Rebuilds and saves the `data_quality` of one snapshot (after a job reported).
pub async fn refresh_quality(tx: &mut AnyConnection, snapshot_id: i64) -> Result<(), StoreError> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, snapshot_id).await? else {
        return Ok(());
    };
    let jobs = export_jobs::for_snapshot(tx, snapshot_id).await?;
    let before = snapshot.data_quality.clone();
    rebuild_quality(&mut snapshot, &jobs);
    if snapshot.data_quality != before {
        snapshots::save(tx, &snapshot).await?;
    }
    Ok(())
}

/// The exported node files of the endpoint labels of an edge job, for its dangling-edge check:
/// `None` when the check is off for the snapshot, or when a node job of an endpoint label is not
/// `completed` (then the worker reports the check as not run).
pub async fn edge_endpoints(
    tx: &mut AnyConnection,
    job: &ExportJobRow,
    snapshot: &Snapshot,
) -> Result<Option<EdgeEndpoints>, StoreError> {
    if job.job_type != "edge" || snapshot.data_quality.policy.dangling_edges == CheckPolicy::Off {
        return Ok(None);
    }
    let Some(version) =
        graph_olap_store::mappings::get_version(tx, snapshot.mapping_id, snapshot.mapping_version)
            .await?
    else {
        return Ok(None);
    };
    let Some(edge) = version
        .edge_definitions
        .iter()
        .find(|e| e.edge_type == job.entity_name)
    else {
        return Ok(None);
    };
    let jobs = export_jobs::for_snapshot(tx, snapshot.id).await?;
    let files_of = |label: &str| -> Option<NodeFiles> {
        let node = jobs.iter().find(|j| {
            j.job_type == "node" && j.entity_name == label && j.status == ExportJobStatus::Completed
        })?;
        let files: Vec<ExportedFile> = node
            .files
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .ok()?
            .unwrap_or_default();
        Some(NodeFiles {
            label: label.to_string(),
            output_uri: node.output_uri.clone(),
            files: files.into_iter().map(|f| f.path).collect(),
        })
    };
    match (files_of(&edge.from_node), files_of(&edge.to_node)) {
        (Some(from), Some(to)) => Ok(Some(EdgeEndpoints { from, to })),
        _ => {
            tracing::warn!(job_id = job.id, edge = %job.entity_name, "endpoint node jobs are not completed: the dangling-edge check cannot run");
            Ok(None)
        }
    }
}

/// A snapshot of `mapping_id` version `version` that a new instance can start from instead of
/// exporting again: exported (not pre-staged), `ready`, its TTL and inactivity clocks not run
/// out at `now` (§4.5). Locked for the rest of the transaction.
pub async fn find_reusable(
    tx: &mut AnyConnection,
    mapping_id: i64,
    version: i64,
    now: DateTime<Utc>,
) -> Result<Option<Snapshot>, StoreError> {
    let Some(candidate) = snapshots::newest_ready(tx, mapping_id, version, now).await? else {
        return Ok(None);
    };
    let Some(snapshot) = snapshots::get_for_update(tx, candidate.id).await? else {
        return Ok(None);
    };
    if snapshot.status != SnapshotStatus::Ready || snapshot.expires_at.is_some_and(|t| t <= now) {
        return Ok(None);
    }
    let inactive = snapshot
        .inactivity_timeout
        .as_deref()
        .and_then(|t| graph_olap_api::IsoDuration::parse(t).ok())
        .and_then(|timeout| {
            let base = snapshot
                .last_used_at
                .into_iter()
                .chain(snapshot.ready_at)
                .max()?;
            Some(base + timeout.to_chrono() <= now)
        });
    if inactive == Some(true) {
        return Ok(None);
    }
    Ok(Some(snapshot))
}

/// If every job of the snapshot is `completed`, writes `_manifest.json` and marks the snapshot
/// `ready` with its counts and size (§4.2). Returns whether it became ready. The manifest is
/// written before the status changes, so a `ready` snapshot always has one; a failure leaves
/// the snapshot `creating` for the next reconciliation pass.
pub async fn finalise_if_complete(
    tx: &mut AnyConnection,
    state: &AppState,
    snapshot_id: i64,
) -> ApiResult<bool> {
    let Some(mut snapshot) = snapshots::get_for_update(tx, snapshot_id).await? else {
        return Ok(false);
    };
    if !matches!(
        snapshot.status,
        SnapshotStatus::Pending | SnapshotStatus::Creating
    ) {
        return Ok(false);
    }
    let jobs = export_jobs::for_snapshot(tx, snapshot_id).await?;
    if jobs.is_empty() || jobs.iter().any(|j| j.status != ExportJobStatus::Completed) {
        return Ok(false);
    }
    let now = state.now();
    let mut manifest = SnapshotManifest {
        schema_version: MANIFEST_SCHEMA_VERSION,
        snapshot_id,
        mapping_id: snapshot.mapping_id,
        mapping_version: snapshot.mapping_version,
        nodes: Vec::new(),
        edges: Vec::new(),
        created_at: now,
    };
    let (mut node_counts, mut edge_counts) = (BTreeMap::new(), BTreeMap::new());
    let mut total_bytes = 0i64;
    for j in &jobs {
        let files: Vec<ExportedFile> = j
            .files
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|e| {
                ApiError::internal(format!("export job {} has unreadable files: {e}", j.id))
            })?
            .unwrap_or_default();
        let dir = if j.job_type == "node" {
            "nodes"
        } else {
            "edges"
        };
        let table = ManifestTable {
            name: j.entity_name.clone(),
            row_count: j.row_count.unwrap_or(0) as u64,
            files: files
                .iter()
                .map(|f| ManifestFile {
                    path: format!("{dir}/{}/{}", j.entity_name, f.path),
                    size_bytes: f.size_bytes,
                    row_count: f.row_count,
                    sha256: f.sha256.clone(),
                })
                .collect(),
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
    crash_point(steps::SNAPSHOT_MANIFEST_WRITTEN);
    rebuild_quality(&mut snapshot, &jobs);
    snapshot.status = SnapshotStatus::Ready;
    snapshot.node_counts = Some(node_counts);
    snapshot.edge_counts = Some(edge_counts);
    snapshot.size_bytes = Some(total_bytes);
    snapshot.ready_at = Some(now);
    snapshot.updated_at = now;
    snapshot.error_message = None;
    snapshots::save(tx, &snapshot).await?;
    audit_snapshot(
        tx,
        "system",
        "snapshot.ready",
        snapshot_id,
        json!({"size_bytes": total_bytes, "ready_at": format_ts(&now)}),
        "",
        now,
    )
    .await?;
    state.wake_orchestrator();
    Ok(true)
}

async fn write_manifest(storage_path: &str, manifest: &SnapshotManifest) -> ApiResult<()> {
    graph_olap_storage::write_manifest(storage_path, manifest)
        .await
        .map_err(|e| {
            ApiError::unavailable(
                "object_store",
                format!("cannot write the manifest of {storage_path}: {e}"),
            )
        })
}

/// Removes every object under a snapshot's storage path (file deletion after a delete).
pub async fn delete_files(storage_path: &str) -> Result<usize, String> {
    let (store, prefix) = graph_olap_storage::open_store(storage_path, &Default::default())
        .map_err(|e| e.to_string())?;
    graph_olap_storage::clear_prefix(&store, &prefix)
        .await
        .map_err(|e| e.to_string())
}

/// The progress view of a snapshot (§3.7).
pub fn progress(
    snapshot: &Snapshot,
    jobs: &[ExportJobRow],
    now: DateTime<Utc>,
) -> SnapshotProgress {
    let count = |s: ExportJobStatus| jobs.iter().filter(|j| j.status == s).count();
    let completed = count(ExportJobStatus::Completed);
    let total = jobs.len();
    let steps: Vec<ExportStep> = jobs
        .iter()
        .map(|j| {
            let status = match j.status {
                ExportJobStatus::Claimed => "in_progress",
                other => other.as_str(),
            };
            let dir = if j.job_type == "node" {
                "nodes"
            } else {
                "edges"
            };
            ExportStep {
                name: format!("{dir}/{}", j.entity_name),
                job_type: j.job_type.clone(),
                status: status.to_string(),
                row_count: j.row_count.or(j.progress_rows),
                size_bytes: j.size_bytes.or(j.progress_bytes),
                attempts: j.attempts,
                started_at: j.started_at.as_ref().map(format_ts),
                completed_at: j.completed_at.as_ref().map(format_ts),
                error_message: j.error_message.clone(),
            }
        })
        .collect();
    let current = steps
        .iter()
        .find(|s| s.status == "in_progress")
        .map(|s| s.name.clone());
    let started_at = jobs.iter().filter_map(|j| j.started_at).min();
    let phase = match snapshot.status {
        SnapshotStatus::Ready => "ready",
        SnapshotStatus::Failed => "failed",
        SnapshotStatus::Cancelled => "cancelled",
        _ if started_at.is_none() => "queued",
        _ if total > 0 && completed == total => "finalizing",
        _ => "exporting",
    };
    let percent = if snapshot.status == SnapshotStatus::Ready {
        100
    } else {
        (100 * completed).checked_div(total).unwrap_or(0)
    };
    let remaining = match (started_at, completed) {
        (Some(start), c) if c > 0 && c < total => {
            let elapsed = (now - start).num_seconds().max(0) as usize;
            Some(elapsed * (total - c) / c)
        }
        _ => None,
    };
    SnapshotProgress {
        id: snapshot.id,
        status: snapshot.status,
        phase: phase.to_string(),
        started_at: started_at.as_ref().map(format_ts),
        steps,
        current_step: current,
        progress_percent: percent,
        estimated_remaining_seconds: remaining,
        error_message: snapshot.error_message.clone(),
        jobs_total: total,
        jobs_pending: count(ExportJobStatus::Pending),
        jobs_claimed: count(ExportJobStatus::Claimed),
        jobs_completed: completed,
        jobs_failed: count(ExportJobStatus::Failed),
        jobs_cancelled: count(ExportJobStatus::Cancelled),
    }
}

/// Deletes snapshot `id` for `caller` (owner, admin or ops) unless an active instance uses it
/// (§4.10): cancels its export jobs, removes its favorites, queues its files for removal and
/// audits. The one path behind `DELETE /api/snapshots/{id}` and bulk delete.
pub async fn delete_snapshot(
    state: &AppState,
    caller: &crate::auth::Caller,
    id: i64,
) -> ApiResult<()> {
    let mut tx = state.store.write().await?;
    let snapshot = snapshots::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", id))?;
    caller.require_owner(&snapshot.owner_username, "snapshot", snapshot.id)?;
    if snapshot.instance_count > 0 {
        return Err(ApiError::new(
            graph_olap_api::ErrorCode::ResourceHasDependencies,
            format!(
                "Snapshot {} is used by {} active instance(s); terminate them first",
                snapshot.id, snapshot.instance_count
            ),
        )
        .detail("resource_type", "snapshot")
        .detail("resource_id", snapshot.id)
        .detail("dependent_type", "instance")
        .detail("dependent_count", snapshot.instance_count));
    }
    let now = state.now();
    cancel_jobs(&mut tx, snapshot.id, now).await?;
    graph_olap_store::favorites::remove_for_resource(&mut tx, "snapshot", snapshot.id).await?;
    snapshots::delete(&mut tx, snapshot.id, &snapshot.storage_path, now).await?;
    audit_snapshot(
        &mut tx,
        &caller.username,
        "snapshot.delete",
        snapshot.id,
        json!({"storage_path": snapshot.storage_path}),
        &graph_olap_server_kit::request_id::current(),
        now,
    )
    .await?;
    tx.commit().await?;
    state.wake_orchestrator();
    Ok(())
}
