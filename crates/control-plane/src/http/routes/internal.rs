//! `/api/internal/…` (API.md §9): the export worker protocol, instance-server reporting and
//! token introspection. Every route requires the internal service key (enforced by the route
//! table); bodies are typed (`graph_olap_api::export`, `graph_olap_api::instance`).

use axum::extract::{Path, State};
use axum::response::Response;
use chrono::Duration;
use graph_olap_api::export::{
    ClaimRequest, ClaimResponse, ClaimedJob, CompleteRequest, ExportJob, FailRequest, HeartbeatAck,
    HeartbeatRequest, JobColumn, WarehouseHints,
};
use graph_olap_api::instance::{
    ActivityReport, DesiredState, InstanceBootstrap, IntrospectRequest, IntrospectResponse,
    MetricsAck, MetricsReport, ProgressReport, QueryDefaults, ReportedStatus, StatusReport,
    StatusReportAck,
};
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_api::{InstanceErrorCode, InstanceStatus};
use graph_olap_server_kit::crash::{crash_point, steps};
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::export_jobs::ExportJobRow;
use graph_olap_store::instances::{self, InstanceRow};
use graph_olap_store::{export_jobs, mappings, snapshots};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::http::input::{JsonBody, finish, path_id};
use crate::http::respond;
use crate::services::export_queue::{self, HeartbeatInput};
use crate::services::instances::{self as instance_service, record_activity};
use crate::state::AppState;

/// Parses an already size-checked JSON object into a typed body, mapping serde's complaint to
/// `VALIDATION_FAILED`.
fn typed<T: DeserializeOwned>(body: serde_json::Map<String, Value>) -> ApiResult<T> {
    serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::invalid("body", "invalid", format!("Invalid request body: {e}")))
}

fn enum_of<T: DeserializeOwned>(text: &str) -> ApiResult<T> {
    serde_json::from_value(Value::String(text.to_string()))
        .map_err(|e| ApiError::internal(format!("stored value '{text}' is not valid: {e}")))
}

/// The wire record of a stored job (§3.16).
pub fn job_to_wire(row: &ExportJobRow) -> ApiResult<ExportJob> {
    let job_type = enum_of(&row.job_type)?;
    Ok(ExportJob {
        id: row.id,
        snapshot_id: row.snapshot_id,
        mapping_id: row.mapping_id,
        job_type,
        entity_type: job_type,
        entity_name: row.entity_name.clone(),
        status: row.status,
        attempts: row.attempts as u32,
        max_attempts: row.max_attempts as u32,
        claimed_by: row.claimed_by.clone(),
        claimed_at: row.claimed_at,
        lease_expires_at: row.lease_expires_at,
        started_at: row.started_at,
        deadline_at: row.deadline_at,
        available_at: row.available_at,
        completed_at: row.completed_at,
        row_count: row.row_count.map(|n| n as u64),
        size_bytes: row.size_bytes.map(|n| n as u64),
        output_uri: row.output_uri.clone(),
        warehouse_query_id: row.warehouse_query_id.clone(),
        error_code: row.error_code.as_deref().map(enum_of).transpose()?,
        error_message: row.error_message.clone(),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn claimed_to_wire(claimed: &export_queue::Claimed) -> ApiResult<ClaimedJob> {
    let row = &claimed.job;
    let columns: Vec<JobColumn> = serde_json::from_str(&row.columns)
        .map_err(|e| ApiError::internal(format!("job {} columns: {e}", row.id)))?;
    Ok(ClaimedJob {
        job: job_to_wire(row)?,
        lease_token: row.lease_token.clone().unwrap_or_default(),
        attempt: row.attempts as u32,
        sql: row.sql_text.clone(),
        column_names: columns.iter().map(|c| c.name.clone()).collect(),
        columns,
        warehouse: WarehouseHints::default(),
        quality: claimed.quality,
        endpoints: claimed.endpoints.clone(),
    })
}

/// `POST /api/internal/export-jobs/claim`
pub async fn claim(State(state): State<AppState>, JsonBody(body): JsonBody) -> ApiResult<Response> {
    let req: ClaimRequest = typed(body)?;
    let mut errors = Vec::new();
    if req.worker_id.is_empty() || req.worker_id.len() > 128 {
        errors.push(FieldError::new(
            "worker_id",
            "length",
            "worker_id must be 1–128 characters",
        ));
    }
    if !(1..=10).contains(&req.limit) {
        errors.push(FieldError::new(
            "limit",
            "range",
            "limit must be between 1 and 10",
        ));
    }
    if !(30..=600).contains(&req.lease_seconds) {
        errors.push(FieldError::new(
            "lease_seconds",
            "range",
            "lease_seconds must be between 30 and 600",
        ));
    }
    if req.wait_seconds > 30 {
        errors.push(FieldError::new(
            "wait_seconds",
            "range",
            "wait_seconds must be between 0 and 30",
        ));
    }
    finish(errors)?;
    let deadline =
        tokio::time::Instant::now() + std::time::Duration::from_secs(req.wait_seconds as u64);
    loop {
        let rows = export_queue::claim(
            &state,
            &req.worker_id,
            req.limit as i64,
            req.lease_seconds as i64,
        )
        .await?;
        if !rows.is_empty() {
            crash_point(steps::EXPORT_CLAIM_COMMITTED);
        }
        if !rows.is_empty() || tokio::time::Instant::now() >= deadline {
            let jobs = rows
                .iter()
                .map(claimed_to_wire)
                .collect::<ApiResult<Vec<_>>>()?;
            return Ok(respond::ok(ClaimResponse { jobs }));
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

/// `POST /api/internal/export-jobs/{job_id}/heartbeat`
pub async fn heartbeat(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("job_id", &id)?;
    let req: HeartbeatRequest = typed(body)?;
    if let Some(s) = req.lease_seconds
        && !(30..=600).contains(&s)
    {
        return Err(ApiError::invalid(
            "lease_seconds",
            "range",
            "lease_seconds must be between 30 and 600",
        ));
    }
    let input = HeartbeatInput {
        lease_seconds: req.lease_seconds.map(i64::from),
        warehouse_query_id: req.warehouse_query_id,
        rows_written: req.progress.map(|p| p.rows_written as i64),
        bytes_written: req.progress.map(|p| p.bytes_written as i64),
    };
    let out = export_queue::heartbeat(&state, id, &req.lease_token, input).await?;
    let now = state.now();
    Ok(respond::ok(HeartbeatAck {
        lease_expires_at: out.lease_expires_at.unwrap_or(now),
        deadline_at: out.deadline_at.unwrap_or(now),
        cancel: out.cancel,
    }))
}

/// `POST /api/internal/export-jobs/{job_id}/complete`
pub async fn complete(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("job_id", &id)?;
    let req: CompleteRequest = typed(body)?;
    let row = export_queue::complete(
        &state,
        id,
        &req.lease_token,
        req.row_count as i64,
        req.size_bytes as i64,
        req.files,
        req.warehouse_query_id,
        req.quality,
    )
    .await?;
    Ok(respond::ok(job_to_wire(&row)?))
}

/// `POST /api/internal/export-jobs/{job_id}/fail`
pub async fn fail(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("job_id", &id)?;
    let req: FailRequest = typed(body)?;
    if req.error_message.is_empty() || req.error_message.chars().count() > 8000 {
        return Err(ApiError::invalid(
            "error_message",
            "length",
            "error_message must be 1–8000 characters",
        ));
    }
    let code = serde_json::to_value(req.error_code)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "OTHER".into());
    let row = export_queue::fail(
        &state,
        id,
        &req.lease_token,
        &code,
        &req.error_message,
        req.retryable,
        req.quality,
    )
    .await?;
    Ok(respond::ok(job_to_wire(&row)?))
}

/// `GET /api/internal/export-jobs/{job_id}`
pub async fn get_job(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let id = path_id("job_id", &id)?;
    let row = export_jobs::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("export_job", id))?;
    Ok(respond::ok(job_to_wire(&row)?))
}

async fn instance(state: &AppState, id: &str) -> ApiResult<InstanceRow> {
    let id = path_id("instance_id", id)?;
    instances::get(&mut *state.store.read().await?, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))
}

/// `GET /api/internal/instances/{instance_id}/mapping` — the instance's bootstrap configuration.
pub async fn bootstrap(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let row = instance(&state, &id).await?;
    if !matches!(
        row.status,
        InstanceStatus::Starting | InstanceStatus::Running
    ) {
        return Err(ApiError::invalid_state(
            "instance",
            row.id,
            row.status,
            &["starting", "running"],
            "not_active",
            format!("Instance {} is {}; it must not load", row.id, row.status),
        ));
    }
    let mut conn = state.store.read().await?;
    let snapshot = snapshots::get(&mut conn, row.snapshot_id)
        .await?
        .ok_or_else(|| ApiError::not_found("snapshot", row.snapshot_id))?;
    let version = mappings::get_version(&mut conn, row.mapping_id, row.mapping_version)
        .await?
        .ok_or_else(|| ApiError::not_found("mapping_version", row.mapping_version))?;
    let to_u64 = |m: Option<std::collections::BTreeMap<String, i64>>| {
        m.map(|m| m.into_iter().map(|(k, v)| (k, v.max(0) as u64)).collect())
    };
    let body = InstanceBootstrap {
        instance_id: row.id,
        owner_username: row.owner_username.clone(),
        snapshot_id: snapshot.id,
        mapping_id: row.mapping_id,
        mapping_version: row.mapping_version,
        storage_path: snapshot.storage_path.clone(),
        prestaged: snapshot.prestaged,
        prestaged_wait_seconds: state.settings.prestaged_wait.as_secs(),
        node_definitions: version.node_definitions,
        edge_definitions: version.edge_definitions,
        node_counts: if snapshot.prestaged {
            None
        } else {
            to_u64(snapshot.node_counts)
        },
        edge_counts: if snapshot.prestaged {
            None
        } else {
            to_u64(snapshot.edge_counts)
        },
        manifest_path: (!snapshot.prestaged).then(|| {
            format!(
                "{}{}",
                snapshot.storage_path,
                graph_olap_storage::MANIFEST_FILE
            )
        }),
        cpu_cores: row.cpu_cores as u32,
        memory_gb: row.memory_gb.map(|m| m as u32),
        query_defaults: QueryDefaults::default(),
        auth_mode: match state.settings.auth_mode {
            crate::AuthMode::Dev => graph_olap_api::instance::AuthMode::Dev,
            crate::AuthMode::ApiKey => graph_olap_api::instance::AuthMode::ApiKey,
        },
        wrapper_type: row.wrapper_type.clone(),
    };
    Ok(respond::ok(body))
}

fn desired(row: &InstanceRow) -> DesiredState {
    if matches!(
        row.status,
        InstanceStatus::Starting | InstanceStatus::Running
    ) {
        DesiredState::Run
    } else {
        DesiredState::Stop
    }
}

fn unexpected_report(row: &InstanceRow, reported: &str) -> ApiError {
    ApiError::invalid_state(
        "instance",
        row.id,
        row.status,
        &["starting", "running"],
        "transition_not_allowed",
        format!(
            "Instance {} is {}; a '{reported}' report is not accepted — shut down",
            row.id, row.status
        ),
    )
}

/// `PATCH /api/internal/instances/{instance_id}/status` — applies a reported status (§9.3).
pub async fn report_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("instance_id", &id)?;
    let report: StatusReport = typed(body)?;
    if let Some(code) = &report.error_code
        && code.parse::<InstanceErrorCode>().is_err()
    {
        return Err(ApiError::invalid(
            "error_code",
            "enum",
            format!(
                "error_code must be one of {}",
                InstanceErrorCode::names().join(", ")
            ),
        ));
    }
    if report
        .error_message
        .as_ref()
        .is_some_and(|m| m.chars().count() > 8000)
    {
        return Err(ApiError::invalid(
            "error_message",
            "length",
            "error_message must be at most 8000 characters",
        ));
    }
    if let Some(progress) = &report.progress {
        finish(progress_errors(progress, "progress."))?;
    }
    // A `running` report needs our own probe of the instance first (outside the transaction).
    if report.status == ReportedStatus::Running {
        let row = instances::get(&mut *state.store.read().await?, id)
            .await?
            .ok_or_else(|| ApiError::not_found("instance", id))?;
        if row.status == InstanceStatus::Starting {
            let url = report
                .internal_url
                .clone()
                .or(row.internal_url.clone())
                .unwrap_or_default();
            let ready = !url.is_empty()
                && state
                    .http
                    .get(format!("{}/ready", url.trim_end_matches('/')))
                    .timeout(std::time::Duration::from_secs(5))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
            if !ready {
                return Err(ApiError::invalid_state(
                    "instance",
                    id,
                    "starting",
                    &["starting"],
                    "not_ready",
                    format!(
                        "The control plane could not confirm {url}/ready; report running again once it answers"
                    ),
                ));
            }
        }
    }
    let mut tx = state.store.write().await?;
    let now = state.now();
    let mut row = instances::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    let mut stop_unit = None;
    // Saved with whatever the report changes below; a report that changes nothing drops it.
    if let Some(progress) = &report.progress {
        row.progress = Some(serde_json::to_value(progress).map_err(ApiError::internal)?);
    }
    match (report.status, row.status) {
        (ReportedStatus::Starting, InstanceStatus::Starting) => {
            row.pod_name = report.pod_name.clone().or(row.pod_name.take());
            row.internal_url = report.internal_url.clone().or(row.internal_url.take());
            row.updated_at = now;
            instances::save(&mut tx, &row).await?;
        }
        (ReportedStatus::Running, InstanceStatus::Starting) => {
            row.status = InstanceStatus::Running;
            row.started_at = row.started_at.or(Some(now));
            row.internal_url = report.internal_url.clone().or(row.internal_url.take());
            row.graph_stats = report
                .graph_stats
                .as_ref()
                .map(|g| serde_json::to_value(g).unwrap_or(Value::Null));
            row.updated_at = now;
            instances::save(&mut tx, &row).await?;
            instance_service::event(
                &mut tx,
                row.id,
                "running",
                "system",
                json!({"graph_stats": row.graph_stats}),
                now,
            )
            .await?;
            state
                .metrics
                .record_instance_startup((now - row.created_at).num_milliseconds() as f64 / 1000.0);
        }
        (ReportedStatus::Running, InstanceStatus::Running)
        | (ReportedStatus::Stopping, InstanceStatus::Stopping) => {}
        (ReportedStatus::Failed, InstanceStatus::Starting | InstanceStatus::Running) => {
            let code = report
                .error_code
                .clone()
                .unwrap_or_else(|| "DATA_LOAD_ERROR".into());
            let message = report
                .error_message
                .clone()
                .unwrap_or_else(|| "The instance reported a failure".into());
            stop_unit = row.pod_name.clone();
            instance_service::mark_failed(
                &mut tx,
                &mut row,
                &code,
                &message,
                report.stack_trace.clone(),
                now,
            )
            .await?;
        }
        // A unit the control plane already detached (parked by `park_for_restart`) saying goodbye.
        (ReportedStatus::Stopping, InstanceStatus::Starting) if row.pod_name.is_none() => {}
        (ReportedStatus::Stopping, InstanceStatus::Starting | InstanceStatus::Running) => {
            stop_unit = row.pod_name.clone();
            instance_service::mark_failed(
                &mut tx,
                &mut row,
                "UNEXPECTED_TERMINATION",
                "The instance shut down without a stop request",
                None,
                now,
            )
            .await?;
        }
        (ReportedStatus::Failed, InstanceStatus::Failed) => {}
        (reported, _) => {
            let name = serde_json::to_value(reported)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            return Err(unexpected_report(&row, &name));
        }
    }
    tx.commit().await?;
    if row.status == InstanceStatus::Running {
        crash_point(steps::INSTANCE_RUNNING_COMMITTED);
    }
    if let (Some(unit), Some(runtime)) = (stop_unit, state.runtime.clone()) {
        let grace = state.settings.stop_grace;
        tokio::spawn(async move {
            if let Err(e) = runtime.stop(&unit, grace).await {
                tracing::warn!(unit = %unit, error = %e, "removing the unit of a failed instance failed; reconciliation will retry");
            }
        });
    }
    Ok(respond::ok(StatusReportAck {
        status: row.status.to_string(),
        desired_state: desired(&row),
    }))
}

/// What is wrong with a progress report (§9.3), its fields named under `prefix` (`""` for the
/// progress endpoint's body, `"progress."` inside a status report).
fn progress_errors(report: &ProgressReport, prefix: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    const PHASES: &[&str] = &[
        "waiting_for_snapshot",
        "pod_scheduled",
        "downloading",
        "loading_schema",
        "loading_data",
        "ready",
        "stopping",
        "terminated",
        "failed",
    ];
    if !PHASES.contains(&report.phase.as_str()) {
        errors.push(FieldError::new(
            format!("{prefix}phase"),
            "enum",
            format!("phase must be one of {}", PHASES.join(", ")),
        ));
    }
    for (i, s) in report.steps.iter().enumerate() {
        if s.name.is_empty() || s.name.chars().count() > 128 {
            errors.push(FieldError::new(
                format!("{prefix}steps[{i}].name"),
                "length",
                "step names are 1–128 characters",
            ));
        }
        if !["pending", "in_progress", "completed", "failed"].contains(&s.status.as_str()) {
            errors.push(FieldError::new(
                format!("{prefix}steps[{i}].status"),
                "enum",
                "status must be pending, in_progress, completed or failed",
            ));
        }
    }
    errors
}

/// `PUT /api/internal/instances/{instance_id}/progress`
pub async fn report_progress(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("instance_id", &id)?;
    let report: ProgressReport = typed(body)?;
    finish(progress_errors(&report, ""))?;
    let mut tx = state.store.write().await?;
    let mut row = instances::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    row.progress = Some(serde_json::to_value(&report).map_err(ApiError::internal)?);
    row.updated_at = state.now();
    instances::save(&mut tx, &row).await?;
    let view = instance_service::progress(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(respond::ok(graph_olap_api::instance::ProgressAck {
        progress_percent: view.progress_percent,
    }))
}

/// `PUT /api/internal/instances/{instance_id}/metrics`
pub async fn report_metrics(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("instance_id", &id)?;
    let report: MetricsReport = typed(body)?;
    let mut tx = state.store.write().await?;
    let mut row = instances::get_for_update(&mut tx, id)
        .await?
        .ok_or_else(|| ApiError::not_found("instance", id))?;
    if report.memory_usage_bytes.is_some() || report.disk_usage_bytes.is_some() {
        row.memory_usage_bytes = report
            .memory_usage_bytes
            .map(|v| v as i64)
            .or(row.memory_usage_bytes);
        row.disk_usage_bytes = report
            .disk_usage_bytes
            .map(|v| v as i64)
            .or(row.disk_usage_bytes);
        row.updated_at = state.now();
        instances::save(&mut tx, &row).await?;
    }
    tx.commit().await?;
    Ok(respond::ok(MetricsAck {
        desired_state: desired(&row),
    }))
}

/// `POST /api/internal/instances/{instance_id}/activity`
pub async fn report_activity(
    State(state): State<AppState>,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let id = path_id("instance_id", &id)?;
    let report: ActivityReport = typed(body)?;
    if !["query", "schema", "algorithm", "other"].contains(&report.kind.as_str()) {
        return Err(ApiError::invalid(
            "kind",
            "enum",
            "kind must be query, schema, algorithm or other",
        ));
    }
    let now = state.now();
    let at = report.at.unwrap_or(now);
    if at > now + Duration::seconds(60) {
        return Err(ApiError::invalid(
            "at",
            "future",
            "at may be at most 60 s in the future",
        ));
    }
    let last = record_activity(&state, id, at).await?;
    Ok(respond::ok(graph_olap_api::instance::ActivityAck {
        last_activity_at: last.as_ref().map(graph_olap_api::time::format_ts),
    }))
}

/// `POST /api/internal/auth/introspect` — resolves a Bearer API key for an instance server.
pub async fn introspect(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let req: IntrospectRequest = typed(body)?;
    let inactive = IntrospectResponse {
        active: false,
        username: None,
        role: None,
        expires_at: None,
    };
    match state
        .keys
        .authenticate(&state, req.token.trim(), state.now())
        .await
    {
        Ok((_, owner)) => {
            match graph_olap_store::users::get(&mut *state.store.read().await?, &owner).await? {
                Some(user) if user.is_active => Ok(respond::ok(IntrospectResponse {
                    active: true,
                    username: Some(user.username),
                    role: Some(user.role),
                    expires_at: None,
                })),
                _ => Ok(respond::ok(inactive)),
            }
        }
        Err(e) if e.code == ErrorCode::Unauthorized => Ok(respond::ok(inactive)),
        Err(e) => Err(e),
    }
}
