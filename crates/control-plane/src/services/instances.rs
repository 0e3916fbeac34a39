//! The instance state machine (API.md §4.3): creation (from a snapshot or from a mapping, with
//! the atomic concurrency check of §4.6), transitions with their events, termination, and the
//! wire rendering of an instance (§3.8) and its progress (§3.9).

use chrono::{DateTime, Utc};
use graph_olap_api::ErrorCode;
use graph_olap_api::body::instances::{Instance, InstanceProgress};
use graph_olap_api::time::format_ts;
use graph_olap_api::{InstanceStatus, SnapshotStatus};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::instances::{self, InstanceRow};
use graph_olap_store::snapshots;
use serde_json::{Value, json};
use sqlx::AnyConnection;

use crate::state::AppState;

/// The public URL of a running instance: `{public_url}/wrapper/{slug}` (§8).
pub fn instance_url(state: &AppState, row: &InstanceRow) -> Option<String> {
    (row.status == InstanceStatus::Running).then(|| {
        format!(
            "{}/wrapper/{}",
            state.settings.public_url.trim_end_matches('/'),
            row.url_slug
        )
    })
}

/// Renders an instance as its wire record (§3.8).
pub fn to_wire(state: &AppState, row: &InstanceRow) -> Instance {
    let inactivity_expires_at = match (&row.inactivity_timeout, row.status) {
        (Some(t), InstanceStatus::Running) => {
            graph_olap_api::IsoDuration::parse(t).ok().and_then(|d| {
                let base = row
                    .last_activity_at
                    .into_iter()
                    .chain(row.started_at)
                    .max()?;
                Some(base + d.to_chrono())
            })
        }
        _ => None,
    };
    Instance {
        id: row.id,
        name: row.name.clone(),
        description: row.description.clone(),
        owner_username: row.owner_username.clone(),
        mapping_id: row.mapping_id,
        mapping_version: row.mapping_version,
        mapping_name: row.mapping_name.clone(),
        snapshot_id: row.snapshot_id,
        snapshot_name: row.snapshot_name.clone(),
        wrapper_type: row.wrapper_type.clone(),
        status: row.status,
        instance_url: instance_url(state, row),
        pod_name: row.pod_name.clone(),
        cpu_cores: row.cpu_cores,
        memory_gb: row.memory_gb,
        error_code: row.error_code.clone(),
        error_message: row.error_message.clone(),
        stack_trace: row.stack_trace.clone(),
        ttl: row.ttl.clone(),
        inactivity_timeout: row.inactivity_timeout.clone(),
        expires_at: row.expires_at.as_ref().map(format_ts),
        inactivity_expires_at: inactivity_expires_at.as_ref().map(format_ts),
        last_activity_at: row.last_activity_at.as_ref().map(format_ts),
        started_at: row.started_at.as_ref().map(format_ts),
        terminated_at: row.terminated_at.as_ref().map(format_ts),
        termination_reason: row.termination_reason.clone(),
        memory_usage_bytes: row.memory_usage_bytes,
        disk_usage_bytes: row.disk_usage_bytes,
        graph_stats: row.graph_stats.clone(),
        created_at: format_ts(&row.created_at),
        updated_at: format_ts(&row.updated_at),
    }
}

/// Appends an event to an instance's history.
pub async fn event(
    tx: &mut AnyConnection,
    id: i64,
    event_type: &str,
    actor: &str,
    details: Value,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    instances::add_event(tx, id, event_type, actor, &details, now).await?;
    Ok(())
}

/// Checks the concurrency `limits` for a new instance of `owner` (§4.6). Call inside the write
/// transaction after [`instances::lock_quota`], so the check and the insert are atomic.
/// Every rejection is counted in `concurrency_limit_rejections_total`.
pub async fn check_quota(
    tx: &mut AnyConnection,
    limits: &crate::services::platform_config::ConcurrencyLimits,
    owner: &str,
    metrics: &crate::ops::metrics::Metrics,
) -> ApiResult<()> {
    let (total, own) = instances::active_counts(tx, owner).await?;
    let rejected = |limit_type: &str, current: i64, max: i64, message: String| {
        metrics.record_concurrency_rejection(limit_type);
        Err(ApiError::new(ErrorCode::ConcurrencyLimitExceeded, message)
            .detail("limit_type", limit_type)
            .detail("current_count", current)
            .detail("max_allowed", max)
            .detail("limit", max)
            .detail("current", current))
    };
    if own >= limits.per_analyst {
        return rejected(
            "per_analyst",
            own,
            limits.per_analyst,
            format!(
                "You already have {own} active instances, the per-analyst limit; terminate one before creating another"
            ),
        );
    }
    if total >= limits.cluster_total {
        return rejected(
            "cluster_total",
            total,
            limits.cluster_total,
            format!(
                "The platform is running {total} active instances, its cluster-wide limit; try again when one has stopped"
            ),
        );
    }
    Ok(())
}

/// Sizing of a new instance (§6.1): CPU cores, optional memory, engine selector.
#[derive(Debug, Clone)]
pub struct Sizing {
    /// 1–8.
    pub cpu_cores: i64,
    /// 2–32, or sized at scheduling.
    pub memory_gb: Option<i64>,
    /// `ryugraph` | `falkordb` (lower case).
    pub wrapper_type: String,
}

/// Fields of a new instance row.
#[derive(Debug, Clone)]
pub struct NewInstance {
    /// Snapshot to load.
    pub snapshot_id: i64,
    /// Mapping of the snapshot.
    pub mapping_id: i64,
    /// Version of the snapshot.
    pub mapping_version: i64,
    /// Owner (the caller).
    pub owner: String,
    /// Display name.
    pub name: String,
    /// Optional description.
    pub description: Option<String>,
    /// `waiting_for_snapshot` or `starting`.
    pub status: InstanceStatus,
    /// Sizing.
    pub sizing: Sizing,
    /// TTL (ISO 8601, normalised).
    pub ttl: Option<String>,
    /// Inactivity timeout.
    pub inactivity_timeout: Option<String>,
    /// `created_at + ttl`.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Inserts an instance with its `created` event; returns the stored row.
pub async fn insert(
    tx: &mut AnyConnection,
    new: NewInstance,
    now: DateTime<Utc>,
) -> ApiResult<InstanceRow> {
    let row = InstanceRow {
        id: 0,
        snapshot_id: new.snapshot_id,
        mapping_id: new.mapping_id,
        mapping_version: new.mapping_version,
        mapping_name: None,
        snapshot_name: None,
        owner_username: new.owner.clone(),
        name: new.name,
        description: new.description,
        wrapper_type: new.sizing.wrapper_type,
        status: new.status,
        url_slug: uuid::Uuid::new_v4().to_string(),
        internal_url: None,
        pod_name: None,
        cpu_cores: new.sizing.cpu_cores,
        memory_gb: new.sizing.memory_gb,
        error_code: None,
        error_message: None,
        stack_trace: None,
        ttl: new.ttl,
        inactivity_timeout: new.inactivity_timeout,
        expires_at: new.expires_at,
        last_activity_at: None,
        started_at: None,
        terminated_at: None,
        termination_reason: None,
        memory_usage_bytes: None,
        disk_usage_bytes: None,
        graph_stats: None,
        progress: None,
        stop_requested_at: None,
        created_at: now,
        updated_at: now,
    };
    let id = instances::insert(tx, &row).await?;
    event(
        tx,
        id,
        "created",
        &new.owner,
        json!({"snapshot_id": new.snapshot_id, "status": new.status}),
        now,
    )
    .await?;
    instances::get(tx, id)
        .await?
        .ok_or_else(|| ApiError::internal("instance vanished after insert"))
}

/// Moves an instance to `failed` with a code and message, recording the event; the caller
/// removes its runtime unit.
pub async fn mark_failed(
    tx: &mut AnyConnection,
    row: &mut InstanceRow,
    code: &str,
    message: &str,
    stack_trace: Option<String>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    row.status = InstanceStatus::Failed;
    row.error_code = Some(code.to_string());
    row.error_message = Some(message.to_string());
    row.stack_trace = stack_trace.map(|t| truncate(&t, 16 * 1024));
    row.internal_url = None;
    row.updated_at = now;
    instances::save(tx, row).await?;
    event(
        tx,
        row.id,
        "failed",
        "system",
        json!({"error_code": code, "error_message": message}),
        now,
    )
    .await
}

/// `graph-olap up` is stopping and takes its instance servers with it: every instance that is
/// `starting` or `running` goes back to `starting` without a runtime unit (event
/// `platform_stopped`), so the next `up` on the same data directory starts it again from its
/// snapshot instead of finding it lost. Returns the units the caller must stop. Algorithm
/// results written into those graphs are gone, like any instance restart.
pub async fn park_for_restart(state: &AppState) -> ApiResult<Vec<String>> {
    let ids = instances::ids_with_status(
        &mut *state.store.read().await?,
        &[InstanceStatus::Starting, InstanceStatus::Running],
    )
    .await?;
    let mut units = Vec::new();
    for id in ids {
        let mut tx = state.store.write().await?;
        let now = state.now();
        if let Some(mut row) = instances::get_for_update(&mut tx, id).await?
            && matches!(
                row.status,
                InstanceStatus::Starting | InstanceStatus::Running
            )
        {
            units.extend(row.pod_name.take());
            row.status = InstanceStatus::Starting;
            row.internal_url = None;
            row.updated_at = now;
            instances::save(&mut tx, &row).await?;
            event(
                &mut tx,
                id,
                "platform_stopped",
                "system",
                json!({"resumes": "when the platform starts again"}),
                now,
            )
            .await?;
        }
        tx.commit().await?;
    }
    Ok(units)
}

/// The next `up`: instances waiting to be scheduled count their startup time from now, so a
/// platform that was stopped for longer than the startup timeout does not fail them.
pub async fn resume_parked(state: &AppState) -> ApiResult<usize> {
    let ids =
        instances::ids_with_status(&mut *state.store.read().await?, &[InstanceStatus::Starting])
            .await?;
    let mut resumed = 0;
    for id in ids {
        let mut tx = state.store.write().await?;
        if let Some(mut row) = instances::get_for_update(&mut tx, id).await?
            && row.status == InstanceStatus::Starting
            && row.pod_name.is_none()
        {
            row.updated_at = state.now();
            instances::save(&mut tx, &row).await?;
            resumed += 1;
        }
        tx.commit().await?;
    }
    Ok(resumed)
}

/// Moves an instance to `terminated`.
pub async fn mark_terminated(
    tx: &mut AnyConnection,
    row: &mut InstanceRow,
    reason: &str,
    actor: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    row.status = InstanceStatus::Terminated;
    row.terminated_at = Some(now);
    row.termination_reason = row.termination_reason.clone().or(Some(reason.to_string()));
    row.internal_url = None;
    row.pod_name = None;
    row.updated_at = now;
    instances::save(tx, row).await?;
    event(
        tx,
        row.id,
        "terminated",
        actor,
        json!({"reason": row.termination_reason}),
        now,
    )
    .await
}

/// Result of a termination request: whether a runtime unit must now be stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Termination {
    /// Nothing to stop (already stopped, or there never was a unit).
    Done,
    /// Stop this unit, then mark the instance terminated.
    StopUnit(String),
}

/// Applies a termination (user request, TTL, inactivity, bulk delete) per §4.3 inside `tx`.
/// Idempotent on `stopping`/`terminated`.
pub async fn terminate(
    tx: &mut AnyConnection,
    row: &mut InstanceRow,
    reason: &str,
    actor: &str,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> ApiResult<Termination> {
    match row.status {
        InstanceStatus::Stopping | InstanceStatus::Terminated => Ok(Termination::Done),
        InstanceStatus::WaitingForSnapshot => {
            event(
                tx,
                row.id,
                "terminate_requested",
                actor,
                json!({"reason": reason, "note": note}),
                now,
            )
            .await?;
            row.termination_reason = Some(reason.to_string());
            mark_terminated(tx, row, reason, actor, now).await?;
            let waiting = instances::list(
                tx,
                &instances::InstanceFilter {
                    snapshot_id: Some(row.snapshot_id),
                    status: vec![InstanceStatus::WaitingForSnapshot],
                    ..Default::default()
                },
                "created_at",
                false,
                0,
                1,
            )
            .await?
            .1;
            if waiting == 0 {
                crate::services::snapshots::cancel(
                    tx,
                    row.snapshot_id,
                    "cancelled: no instance is waiting for it any more",
                    now,
                )
                .await?;
            }
            Ok(Termination::Done)
        }
        InstanceStatus::Failed => {
            event(
                tx,
                row.id,
                "terminate_requested",
                actor,
                json!({"reason": reason, "note": note}),
                now,
            )
            .await?;
            row.termination_reason = Some(reason.to_string());
            mark_terminated(tx, row, reason, actor, now).await?;
            Ok(Termination::Done)
        }
        _ => {
            event(
                tx,
                row.id,
                "terminate_requested",
                actor,
                json!({"reason": reason, "note": note}),
                now,
            )
            .await?;
            row.status = InstanceStatus::Stopping;
            row.termination_reason = Some(reason.to_string());
            row.stop_requested_at = Some(now);
            row.internal_url = None;
            row.updated_at = now;
            instances::save(tx, row).await?;
            Ok(match &row.pod_name {
                Some(unit) => Termination::StopUnit(unit.clone()),
                None => Termination::Done,
            })
        }
    }
}

/// Terminates instance `id` on behalf of `caller` (who must own it, or be admin/ops) with
/// `reason` as its `termination_reason`: the one path behind `POST …/terminate`, `DELETE
/// /api/instances/{id}` and bulk delete. Returns the record after the request took effect.
pub async fn terminate_for(
    state: &AppState,
    caller: &crate::auth::Caller,
    id: i64,
    reason: &str,
    note: Option<&str>,
) -> ApiResult<InstanceRow> {
    let mut tx = state.store.write().await?;
    let mut row = instances::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    caller.require_owner(&row.owner_username, "instance", id)?;
    let outcome = terminate(
        &mut tx,
        &mut row,
        reason,
        &caller.username,
        note,
        state.now(),
    )
    .await?;
    tx.commit().await?;
    crash_point(steps::TERMINATE_STOPPING_COMMITTED);
    if let Termination::StopUnit(unit) = outcome {
        stop_unit_in_background(state, row.id, unit);
    } else if row.status == InstanceStatus::Stopping {
        finish_stop(state, row.id).await?;
        row = instances::get(&mut *state.store.read().await?, id)
            .await?
            .ok_or_else(|| ApiError::not_found("instance", id))?;
    }
    Ok(row)
}

/// Stops a runtime unit in the background and marks the instance `terminated` afterwards; the
/// reconciliation job finishes the work if this process dies first.
pub fn stop_unit_in_background(state: &AppState, instance_id: i64, unit: String) {
    let state = state.clone();
    tokio::spawn(async move {
        if let Some(runtime) = state.runtime.clone()
            && let Err(e) = runtime.stop(&unit, state.settings.stop_grace).await
        {
            tracing::warn!(instance_id, unit = %unit, error = %e, "stopping the runtime unit failed; reconciliation will retry");
            return;
        }
        crash_point(steps::TERMINATE_UNIT_STOPPED);
        if let Err(e) = finish_stop(&state, instance_id).await {
            tracing::warn!(instance_id, error = %e.message, "could not mark the instance terminated; reconciliation will retry");
        }
    });
}

/// Marks a `stopping` instance `terminated` (its unit is gone).
pub async fn finish_stop(state: &AppState, instance_id: i64) -> ApiResult<()> {
    let mut tx = state.store.write().await?;
    if let Some(mut row) = instances::get_for_update(&mut tx, instance_id).await?
        && row.status == InstanceStatus::Stopping
    {
        let reason = row
            .termination_reason
            .clone()
            .unwrap_or_else(|| "user_request".into());
        mark_terminated(&mut tx, &mut row, &reason, "system", state.now()).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// The key under which reconciliation keeps, in an instance's `progress`, why its runtime unit
/// has not started (Kubernetes: the scheduler's message for a pod no node takes). It is only
/// written before the instance server reports progress of its own, which replaces it.
const PENDING_REASON: &str = "pending_reason";

/// Why the instance's unit has not started, as reconciliation last recorded it.
fn pending_reason(row: &InstanceRow) -> Option<&str> {
    row.progress.as_ref()?.get(PENDING_REASON)?.as_str()
}

/// Records (or, with `None`, clears) why a `starting` instance's runtime unit has not started,
/// for its progress view: the `schedule` step stays `in_progress` with that `message`. Leaves
/// the row alone once the instance server has reported progress (it has started), and does not
/// move `updated_at` (the startup timeout counts from the last real progress). Returns whether
/// anything changed.
pub async fn note_pending(
    state: &AppState,
    row: &InstanceRow,
    reason: Option<&str>,
) -> ApiResult<bool> {
    // Checked on the row in hand first: most passes change nothing and take no write lock.
    let changes = |row: &InstanceRow| {
        let ours_or_none = row
            .progress
            .as_ref()
            .is_none_or(|p| p.get(PENDING_REASON).is_some());
        row.status == InstanceStatus::Starting && ours_or_none && pending_reason(row) != reason
    };
    if !changes(row) {
        return Ok(false);
    }
    let mut tx = state.store.write().await?;
    let Some(mut fresh) = instances::get_for_update(&mut tx, row.id).await? else {
        return Ok(false);
    };
    if !changes(&fresh) {
        return Ok(false);
    }
    fresh.progress =
        reason.map(|r| json!({"phase": "pod_scheduled", "steps": [], PENDING_REASON: r}));
    instances::save(&mut tx, &fresh).await?;
    tx.commit().await?;
    Ok(true)
}

/// The progress view of an instance (§3.9): control-plane steps `snapshot` and `schedule`, then
/// the steps the instance reported. While the runtime unit waits (no node has room for its
/// pod), the `schedule` step is `in_progress` with the runtime's `message`.
pub async fn progress(conn: &mut AnyConnection, row: &InstanceRow) -> ApiResult<InstanceProgress> {
    let snapshot = snapshots::get(conn, row.snapshot_id).await?;
    let snapshot_status = snapshot
        .as_ref()
        .map(|s| s.status)
        .unwrap_or(SnapshotStatus::Ready);
    let snapshot_step = match snapshot_status {
        SnapshotStatus::Ready => "completed",
        SnapshotStatus::Failed | SnapshotStatus::Cancelled => "failed",
        SnapshotStatus::Creating => "in_progress",
        _ if row.status == InstanceStatus::WaitingForSnapshot => "in_progress",
        _ => "completed",
    };
    let schedule_step = match row.status {
        InstanceStatus::WaitingForSnapshot => "pending",
        InstanceStatus::Starting if row.pod_name.is_none() || pending_reason(row).is_some() => {
            "in_progress"
        }
        InstanceStatus::Failed
            if row.pod_name.is_none()
                && row.started_at.is_none()
                && snapshot_step == "completed" =>
        {
            "failed"
        }
        _ => "completed",
    };
    let mut steps = vec![
        json!({"name": "snapshot", "status": snapshot_step, "type": null, "row_count": null, "started_at": format_ts(&row.created_at), "completed_at": snapshot.as_ref().and_then(|s| s.ready_at).map(|ready| ready.max(row.created_at)).as_ref().map(format_ts)}),
        json!({"name": "schedule", "status": schedule_step, "type": null, "row_count": null, "started_at": null, "completed_at": null}),
    ];
    if let Some(why) = pending_reason(row).filter(|_| row.status == InstanceStatus::Starting) {
        steps[1]["message"] = json!(why);
    }
    let reported = row.progress.clone().unwrap_or(Value::Null);
    if let Some(list) = reported.get("steps").and_then(Value::as_array) {
        steps.extend(list.iter().cloned());
    }
    let phase = match row.status {
        InstanceStatus::WaitingForSnapshot => "waiting_for_snapshot".to_string(),
        InstanceStatus::Running => "ready".into(),
        InstanceStatus::Stopping => "stopping".into(),
        InstanceStatus::Terminated => "terminated".into(),
        InstanceStatus::Failed => "failed".into(),
        _ => reported
            .get("phase")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| "pod_scheduled".into()),
    };
    let completed = steps.iter().filter(|s| s["status"] == "completed").count();
    let percent = if row.status == InstanceStatus::Running {
        100
    } else {
        100 * completed / steps.len().max(1)
    };
    let current = steps
        .iter()
        .find(|s| s["status"] == "in_progress")
        .and_then(|s| s["name"].as_str().map(str::to_string));
    Ok(InstanceProgress {
        id: row.id,
        status: row.status,
        phase,
        started_at: (row.status != InstanceStatus::WaitingForSnapshot)
            .then(|| format_ts(&row.created_at)),
        steps,
        current_step: current,
        progress_percent: percent,
        estimated_remaining_seconds: reported
            .get("estimated_remaining_seconds")
            .cloned()
            .filter(|v| !v.is_null()),
        error_message: row.error_message.clone(),
    })
}

/// Moves `last_activity_at` forward to `at` (never backwards); returns the stored value.
pub async fn record_activity(
    state: &AppState,
    id: i64,
    at: chrono::DateTime<chrono::Utc>,
) -> ApiResult<Option<chrono::DateTime<chrono::Utc>>> {
    let mut tx = state.store.write().await?;
    let mut row = instances::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    if row.last_activity_at.is_none_or(|l| at > l) {
        row.last_activity_at = Some(at);
        row.updated_at = state.now();
        instances::save(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(row.last_activity_at)
}
