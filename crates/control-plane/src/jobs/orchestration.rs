//! Background passes over instances (API.md §4.3, §4.5, §4.12): `instance_orchestration`
//! (waiting → starting → scheduled on the runtime), `reconciliation` (runtime units vs. the
//! database) and `lifecycle` (TTL and inactivity expiry, purge after retention). Each pass is
//! idempotent, so a crash mid-pass is repaired by the next one.

use chrono::Duration;
use graph_olap_api::InstanceStatus;
use graph_olap_api::SnapshotStatus;
use graph_olap_runtime::{UnitSpec, UnitState};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::ApiResult;
use graph_olap_store::instances::{self, InstanceRow};
use graph_olap_store::{mappings, snapshots};
use serde_json::json;

use crate::ops::metrics::Expiry;
use crate::services::instances::{self as instance_service, Termination};
use crate::state::AppState;

/// What one orchestration pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrchestrationReport {
    /// Instances whose snapshot became ready.
    pub promoted: usize,
    /// Instances failed because their snapshot failed.
    pub failed: usize,
    /// Runtime units started.
    pub scheduled: usize,
}

/// `instance_orchestration`: moves waiting instances on and schedules runtime units.
pub async fn orchestrate(state: &AppState) -> ApiResult<OrchestrationReport> {
    let mut report = OrchestrationReport::default();
    let waiting = instances::ids_with_status(
        &mut *state.store.read().await?,
        &[InstanceStatus::WaitingForSnapshot],
    )
    .await?;
    for id in waiting {
        let mut tx = state.store.write().await?;
        let now = state.now();
        let Some(mut row) = instances::get_for_update(&mut tx, id).await? else {
            continue;
        };
        if row.status != InstanceStatus::WaitingForSnapshot {
            continue;
        }
        let snapshot = snapshots::get(&mut tx, row.snapshot_id).await?;
        match snapshot.as_ref().map(|s| s.status) {
            Some(SnapshotStatus::Ready) => {
                row.status = InstanceStatus::Starting;
                row.updated_at = now;
                instances::save(&mut tx, &row).await?;
                instance_service::event(
                    &mut tx,
                    id,
                    "snapshot_ready",
                    "system",
                    json!({"snapshot_id": row.snapshot_id}),
                    now,
                )
                .await?;
                report.promoted += 1;
            }
            Some(SnapshotStatus::Failed | SnapshotStatus::Cancelled) | None => {
                let why = snapshot
                    .as_ref()
                    .and_then(|s| s.error_message.clone())
                    .unwrap_or_else(|| "it no longer exists".into());
                let message = format!("Snapshot {} failed: {why}", row.snapshot_id);
                instance_service::event(
                    &mut tx,
                    id,
                    "snapshot_failed",
                    "system",
                    json!({"snapshot_id": row.snapshot_id, "error": why}),
                    now,
                )
                .await?;
                instance_service::mark_failed(
                    &mut tx,
                    &mut row,
                    "SNAPSHOT_FAILED",
                    &message,
                    None,
                    now,
                )
                .await?;
                report.failed += 1;
            }
            _ => {}
        }
        tx.commit().await?;
    }
    let Some(runtime) = state.runtime.clone() else {
        return Ok(report);
    };
    let starting =
        instances::ids_with_status(&mut *state.store.read().await?, &[InstanceStatus::Starting])
            .await?;
    for id in starting {
        let Some(row) = instances::get(&mut *state.store.read().await?, id).await? else {
            continue;
        };
        if row.pod_name.is_some() {
            continue;
        }
        let snapshot = snapshots::get(&mut *state.store.read().await?, row.snapshot_id).await?;
        let figures = snapshot
            .as_ref()
            .map(crate::services::sizing::figures_of)
            .unwrap_or_default();
        let memory_gb = match crate::services::sizing::memory_gb(
            &row.wrapper_type,
            row.memory_gb,
            figures,
            crate::services::sizing::limit_gb(state),
        ) {
            Ok(gb) => gb,
            Err(refused) => {
                // Refuse before starting rather than start an instance that would be killed.
                let mut tx = state.store.write().await?;
                if let Some(mut fresh) = instances::get_for_update(&mut tx, id).await?
                    && fresh.status == InstanceStatus::Starting
                {
                    instance_service::mark_failed(
                        &mut tx,
                        &mut fresh,
                        "STARTUP_FAILED",
                        &format!("Not started: {refused}"),
                        None,
                        state.now(),
                    )
                    .await?;
                }
                tx.commit().await?;
                continue;
            }
        };
        let spec = UnitSpec {
            instance_id: row.id,
            url_slug: row.url_slug.clone(),
            cpu_cores: row.cpu_cores as u32,
            memory_gb: Some(memory_gb as u32),
            wrapper_type: row.wrapper_type.clone(),
            snapshot_path: snapshot.map(|s| s.storage_path),
            snapshot_bytes: Some(figures.parquet_bytes),
            env: vec![
                (
                    "GRAPH_OLAP_CONTROL_PLANE_URL".into(),
                    state.settings.internal_url.clone(),
                ),
                (
                    "GRAPH_OLAP_INTERNAL_API_KEY".into(),
                    state.settings.internal_api_key.clone().unwrap_or_default(),
                ),
            ],
        };
        let started = runtime.start(&spec).await;
        if started.is_ok() {
            crash_point(steps::INSTANCE_UNIT_STARTED);
        }
        let mut tx = state.store.write().await?;
        let now = state.now();
        let Some(mut fresh) = instances::get_for_update(&mut tx, id).await? else {
            continue;
        };
        match started {
            Ok(unit) if fresh.status == InstanceStatus::Starting => {
                fresh.pod_name = Some(unit.name.clone());
                fresh.internal_url = Some(unit.internal_url.clone());
                fresh.memory_gb = Some(memory_gb);
                fresh.updated_at = now;
                instances::save(&mut tx, &fresh).await?;
                instance_service::event(&mut tx, id, "scheduled", "system", json!({"pod_name": unit.name, "memory_gb": memory_gb, "cpu_cores": fresh.cpu_cores}), now).await?;
                tx.commit().await?;
                crash_point(steps::INSTANCE_UNIT_RECORDED);
                report.scheduled += 1;
                continue;
            }
            Ok(unit) => {
                // Terminated while we were starting it: undo.
                tx.commit().await?;
                let _ = runtime.stop(&unit.name, state.settings.stop_grace).await;
                continue;
            }
            Err(e) => {
                instance_service::mark_failed(
                    &mut tx,
                    &mut fresh,
                    "INTERNAL_ERROR",
                    &format!("The runtime could not start the instance: {e}"),
                    None,
                    now,
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    Ok(report)
}

/// What one reconciliation pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconciliationReport {
    /// Instances failed because their unit vanished or exited.
    pub lost: usize,
    /// Stopping instances confirmed terminated.
    pub terminated: usize,
    /// Orphaned units stopped.
    pub orphans_stopped: usize,
    /// Instances failed for exceeding the startup timeout.
    pub timed_out: usize,
}

/// `reconciliation`: compares runtime units with instance records (§4.12).
pub async fn reconcile(state: &AppState) -> ApiResult<ReconciliationReport> {
    let mut report = ReconciliationReport::default();
    let Some(runtime) = state.runtime.clone() else {
        return Ok(report);
    };
    let units = runtime.list().await.map_err(|e| {
        graph_olap_server_kit::error::ApiError::unavailable(
            "compute",
            format!("cannot list runtime units: {e}"),
        )
    })?;
    let ids = instances::ids_with_status(
        &mut *state.store.read().await?,
        &[
            InstanceStatus::Starting,
            InstanceStatus::Running,
            InstanceStatus::Stopping,
        ],
    )
    .await?;
    let mut known_units = std::collections::HashSet::new();
    for id in ids {
        let Some(row) = instances::get(&mut *state.store.read().await?, id).await? else {
            continue;
        };
        let unit = row
            .pod_name
            .as_ref()
            .and_then(|name| units.iter().find(|u| &u.name == name));
        if let Some(u) = unit {
            known_units.insert(u.name.clone());
        }
        let now = state.now();
        match (row.status, unit) {
            (InstanceStatus::Stopping, None) => {
                instance_service::finish_stop(state, id).await?;
                report.terminated += 1;
            }
            (InstanceStatus::Stopping, Some(u)) => {
                let overdue = row.stop_requested_at.is_none_or(|t| {
                    now - t
                        > Duration::from_std(state.settings.stop_grace)
                            .unwrap_or(Duration::seconds(20))
                            * 2
                });
                if overdue || !u.state.is_running() {
                    let _ = runtime
                        .stop(&u.name, std::time::Duration::from_secs(1))
                        .await;
                    instance_service::finish_stop(state, id).await?;
                    report.terminated += 1;
                }
            }
            // Not scheduled yet: only a timeout fails it (never the "lost unit" arm below).
            (InstanceStatus::Starting, None) if row.pod_name.is_none() => {
                let overdue = now - row.updated_at
                    > Duration::from_std(state.settings.startup_timeout)
                        .unwrap_or(Duration::minutes(15));
                if overdue {
                    fail(
                        state,
                        &row,
                        "STARTUP_TIMEOUT",
                        "The instance was not scheduled within the startup timeout",
                    )
                    .await?;
                    report.timed_out += 1;
                }
            }
            (InstanceStatus::Starting | InstanceStatus::Running, None) => {
                fail(
                    state,
                    &row,
                    "UNEXPECTED_TERMINATION",
                    "The instance's process disappeared",
                )
                .await?;
                report.lost += 1;
            }
            (InstanceStatus::Starting | InstanceStatus::Running, Some(u)) => match &u.state {
                UnitState::Exited {
                    code,
                    signal,
                    oom_killed,
                    reason,
                } => {
                    let (code_name, message) = match (*oom_killed, reason) {
                        (true, Some(why)) => (
                            "OOM_KILLED",
                            format!("The instance ran out of memory and was killed: {why}"),
                        ),
                        (true, None) => (
                            "OOM_KILLED",
                            "The instance ran out of memory and was killed".to_string(),
                        ),
                        (false, Some(why)) => (
                            "UNEXPECTED_TERMINATION",
                            format!("The instance's unit stopped: {why}"),
                        ),
                        (false, None) => (
                            "UNEXPECTED_TERMINATION",
                            format!(
                                "The instance's process exited unexpectedly (exit code {code:?}, signal {signal:?}); see its log"
                            ),
                        ),
                    };
                    fail(state, &row, code_name, &message).await?;
                    let _ = runtime
                        .stop(&u.name, std::time::Duration::from_secs(1))
                        .await;
                    report.lost += 1;
                }
                // `updated_at` moves when the unit is scheduled and on every progress report: an
                // instance fails when it makes no progress for the startup timeout.
                _ if row.status == InstanceStatus::Starting
                    && now - row.updated_at
                        > Duration::from_std(state.settings.startup_timeout)
                            .unwrap_or(Duration::minutes(15)) =>
                {
                    fail(
                        state,
                        &row,
                        "STARTUP_TIMEOUT",
                        "The instance made no startup progress within the startup timeout",
                    )
                    .await?;
                    let _ = runtime.stop(&u.name, state.settings.stop_grace).await;
                    report.timed_out += 1;
                }
                // Alive but not started (no node has room for its pod yet): say why in its
                // progress; the runtime fails the unit past its deadline.
                UnitState::Running if row.status == InstanceStatus::Starting => {
                    instance_service::note_pending(state, &row, u.pending_reason.as_deref())
                        .await?;
                }
                _ => {}
            },
            _ => {}
        }
    }
    for u in units.iter().filter(|u| !known_units.contains(&u.name)) {
        tracing::info!(unit = %u.name, instance_id = u.instance_id, "stopping an orphaned runtime unit");
        if runtime
            .stop(&u.name, state.settings.stop_grace)
            .await
            .is_ok()
        {
            report.orphans_stopped += 1;
        }
    }
    Ok(report)
}

async fn fail(state: &AppState, row: &InstanceRow, code: &str, message: &str) -> ApiResult<()> {
    let mut tx = state.store.write().await?;
    if let Some(mut fresh) = instances::get_for_update(&mut tx, row.id).await?
        && matches!(
            fresh.status,
            InstanceStatus::Starting | InstanceStatus::Running
        )
    {
        instance_service::mark_failed(&mut tx, &mut fresh, code, message, None, state.now())
            .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// What one lifecycle pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LifecycleReport {
    /// Instances terminated for TTL or inactivity.
    pub instances_expired: usize,
    /// Snapshots deleted.
    pub snapshots_expired: usize,
    /// Mappings deleted.
    pub mappings_expired: usize,
    /// Terminated instances purged after retention.
    pub purged: usize,
}

/// `lifecycle`: TTL and inactivity expiry of instances, snapshots and mappings, and purge (§4.5).
pub async fn lifecycle(state: &AppState) -> ApiResult<LifecycleReport> {
    let mut report = LifecycleReport::default();
    let now = state.now();
    let ids = instances::ids_with_status(
        &mut *state.store.read().await?,
        &[
            InstanceStatus::WaitingForSnapshot,
            InstanceStatus::Starting,
            InstanceStatus::Running,
            InstanceStatus::Failed,
        ],
    )
    .await?;
    for id in ids {
        let mut tx = state.store.write().await?;
        let Some(mut row) = instances::get_for_update(&mut tx, id).await? else {
            continue;
        };
        let ttl_expired = row.expires_at.is_some_and(|e| e <= now);
        let idle_expired = row.status == InstanceStatus::Running
            && row
                .inactivity_timeout
                .as_deref()
                .and_then(|t| graph_olap_api::IsoDuration::parse(t).ok())
                .is_some_and(|d| {
                    let base = row
                        .last_activity_at
                        .into_iter()
                        .chain(row.started_at)
                        .max()
                        .unwrap_or(row.created_at);
                    base + d.to_chrono() <= now
                });
        let (reason, event, why) = match (ttl_expired, idle_expired) {
            (true, _) => ("ttl_expired", "ttl_expired", Expiry::Ttl),
            (false, true) => (
                "inactivity_timeout",
                "inactivity_expired",
                Expiry::Inactivity,
            ),
            _ => continue,
        };
        instance_service::event(&mut tx, id, event, "system", json!({"expires_at": row.expires_at.as_ref().map(graph_olap_api::time::format_ts), "last_activity_at": row.last_activity_at.as_ref().map(graph_olap_api::time::format_ts)}), now).await?;
        let outcome =
            instance_service::terminate(&mut tx, &mut row, reason, "system", None, now).await?;
        tx.commit().await?;
        crash_point(steps::EXPIRY_STOPPING_COMMITTED);
        if let Termination::StopUnit(unit) = outcome {
            instance_service::stop_unit_in_background(state, id, unit);
        }
        state.metrics.record_instance_expired(why);
        report.instances_expired += 1;
    }
    // Purge terminated instances past retention.
    let retention =
        Duration::from_std(state.settings.instance_retention).unwrap_or(Duration::days(7));
    let terminated = instances::ids_with_status(
        &mut *state.store.read().await?,
        &[InstanceStatus::Terminated],
    )
    .await?;
    for id in terminated {
        let mut tx = state.store.write().await?;
        if let Some(row) = instances::get_for_update(&mut tx, id).await?
            && row.terminated_at.is_some_and(|t| t + retention <= now)
        {
            instances::purge(&mut tx, id).await?;
            report.purged += 1;
        }
        tx.commit().await?;
    }
    // Snapshots past TTL or inactivity, without active instances.
    let ready = snapshots::ids_with_status(
        &mut *state.store.read().await?,
        &[
            SnapshotStatus::Ready,
            SnapshotStatus::Failed,
            SnapshotStatus::Cancelled,
        ],
    )
    .await?;
    for id in ready {
        let mut tx = state.store.write().await?;
        let Some(s) = snapshots::get_for_update(&mut tx, id).await? else {
            continue;
        };
        let ttl_expired = s.expires_at.is_some_and(|e| e <= now);
        let idle_expired = s.status == SnapshotStatus::Ready
            && s.inactivity_timeout
                .as_deref()
                .and_then(|t| graph_olap_api::IsoDuration::parse(t).ok())
                .is_some_and(|d| {
                    let base = s
                        .last_used_at
                        .into_iter()
                        .chain(s.ready_at)
                        .max()
                        .unwrap_or(s.created_at);
                    base + d.to_chrono() <= now
                });
        if (ttl_expired || idle_expired) && s.instance_count == 0 {
            graph_olap_store::favorites::remove_for_resource(&mut tx, "snapshot", id).await?;
            snapshots::delete(&mut tx, id, &s.storage_path, now).await?;
            crate::services::snapshots::audit_snapshot(
                &mut tx,
                "system",
                "snapshot.expired",
                id,
                json!({"reason": if ttl_expired { "ttl_expired" } else { "inactivity_timeout" }}),
                "",
                now,
            )
            .await?;
            tx.commit().await?;
            state.metrics.record_lifecycle_deletion(
                "snapshot",
                if ttl_expired {
                    Expiry::Ttl
                } else {
                    Expiry::Inactivity
                },
            );
            report.snapshots_expired += 1;
            continue;
        }
        tx.commit().await?;
    }
    report.mappings_expired = expire_mappings(state).await?;
    Ok(report)
}

async fn expire_mappings(state: &AppState) -> ApiResult<usize> {
    let now = state.now();
    let candidates = mappings::expiry_candidates(&mut *state.store.read().await?, now).await?;
    let mut expired = 0;
    for id in candidates {
        let mut tx = state.store.write().await?;
        if !mappings::active_instance_ids(&mut tx, id).await?.is_empty() {
            continue;
        }
        let why = match mappings::get(&mut tx, id).await? {
            Some(m) if m.summary.expires_at.is_some_and(|e| e <= now) => Expiry::Ttl,
            Some(_) => Expiry::Inactivity,
            None => continue,
        };
        let cascade = mappings::delete_cascade(&mut tx, id, now).await?;
        for sid in &cascade.snapshot_ids {
            graph_olap_store::favorites::remove_for_resource(&mut tx, "snapshot", *sid).await?;
        }
        graph_olap_store::favorites::remove_for_resource(&mut tx, "mapping", id).await?;
        graph_olap_store::audit::record(
            &mut tx,
            graph_olap_store::audit::AuditRecord {
                actor: "system",
                action: "mapping.expired",
                resource_type: "mapping",
                resource_id: Some(id.to_string()),
                details: json!({"snapshots_deleted": cascade.snapshot_ids, "reason": why.label()}),
                request_id: None,
            },
            now,
        )
        .await?;
        tx.commit().await?;
        state.metrics.record_lifecycle_deletion("mapping", why);
        expired += 1;
    }
    Ok(expired)
}

/// Removes the files of deleted snapshots (queued in `snapshot_file_deletions`); failures stay
/// queued and are retried on the next pass.
pub async fn delete_snapshot_files(state: &AppState) -> ApiResult<usize> {
    let pending = snapshots::pending_file_deletions(&mut *state.store.read().await?, 50).await?;
    let mut done = 0;
    for path in pending {
        let result = crate::services::snapshots::delete_files(&path).await;
        let mut tx = state.store.write().await?;
        snapshots::file_deletion_done(&mut tx, &path, result.as_ref().err().map(String::as_str))
            .await?;
        tx.commit().await?;
        match result {
            Ok(_) => done += 1,
            Err(e) => {
                tracing::warn!(storage_path = %path, error = %e, "deleting snapshot files failed; will retry")
            }
        }
    }
    Ok(done)
}
