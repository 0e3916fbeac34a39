//! `POST /{ns}/{name}` (§10.9): starting an execution — resolve, validate, take the lock, record
//! the execution, and run the job in a blocking task that finishes the record and releases the
//! lock. Answers `202` with the running execution.
//!
//! Owns: the order of those steps and the `RESOURCE_LOCKED` answer. Does not own: validation
//! (`request`), the work itself (`job`) nor the registry (`registry`).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use graph_olap_algorithms::Cancel;
use graph_olap_algorithms::catalogue::AlgorithmType;
use graph_olap_api::ErrorCode;
use graph_olap_api::algorithm::{AlgorithmRunRequest, ExecutionErrorCode, ExecutionStatus};
use graph_olap_engine::GraphEngine;
use graph_olap_server_kit::ApiError;
use graph_olap_server_kit::crash::{crash_point, steps};
use serde_json::json;

use super::entry::{Entry, EntryParams, resolve, worker_config};
use super::job::{Job, JobFailure, JobKind};
use super::namespace;
use super::registry::{Execution, lock_info};
use super::request::plan;
use crate::auth::Caller;
use crate::nx_run::WorkerJob;
use crate::routes::{parse_body, require_ready};
use crate::state::AppState;

/// `POST /{ns}/{name}`: validates the request and starts the execution.
pub(super) async fn start(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    uri: axum::http::Uri,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let engine = require_ready(&state)?;
    let t = namespace(uri.path());
    // Unknown names are 404 before the body is read; the parameters only matter for a native
    // `/networkx` name (a parameter our kernel lacks sends the call to NetworkX).
    let mut entry = resolve(&state, t, &name, &json!({})).await?;
    let body: AlgorithmRunRequest = if body.is_empty() {
        AlgorithmRunRequest::default()
    } else {
        parse_body(&headers, &body)?
    };
    let given = body.parameters.clone().unwrap_or_else(|| json!({}));
    if t == AlgorithmType::Networkx && matches!(entry, Entry::Native(_)) {
        entry = resolve(&state, t, &name, &given).await?;
    }
    let boot = state
        .boot
        .get()
        .ok_or_else(|| crate::error::not_ready(state.config.instance_id, "loading"))?;
    let plan = plan(&entry, &body, &given, boot, t)?;
    let recorded_parameters = match &plan.params {
        EntryParams::Native(p) => p.as_map().clone(),
        EntryParams::Worker(effective, _) => effective.clone(),
    };
    let entry_name = entry.name().to_string();

    let id = uuid::Uuid::new_v4().to_string();
    let kind = match (entry, plan.params) {
        (Entry::Native(info), EntryParams::Native(params)) => JobKind::Native { info, params },
        (Entry::Worker(function), EntryParams::Worker(_, parameters)) => {
            JobKind::Worker(Box::new(WorkerJob {
                function: *function,
                parameters,
                config: worker_config(&state),
                job_id: id.clone(),
            }))
        }
        _ => return Err(ApiError::internal("parameters of another entry")),
    };
    if let Some(holder) = state.algorithms.try_lock(&id).map_err(ApiError::internal)? {
        return Err(locked(&state, holder));
    }
    let cancel = Cancel::with_timeout(plan.timeout);
    let execution = Execution {
        id: id.clone(),
        name: entry_name,
        algorithm_type: t,
        status: ExecutionStatus::Running,
        user_name: caller.username().to_string(),
        node_labels: plan.labels,
        edge_types: plan.types,
        result_property: body.result_property.clone().filter(|_| plan.write_back),
        write_back: plan.write_back,
        parameters: recorded_parameters,
        started_at: Utc::now(),
        started: Instant::now(),
        completed_at: None,
        duration_ms: None,
        nodes_updated: None,
        result: None,
        error_code: None,
        error_message: None,
        cancel: cancel.clone(),
    };
    let snapshot = execution.to_wire();
    state.algorithms.record(execution);
    crash_point(steps::ALGO_LOCKED);
    state.report_activity("algorithm");

    let job = Job {
        kind,
        scope: plan.scope,
        property: body.result_property.clone(),
        write_back: plan.write_back,
        cancel,
    };
    spawn(state, engine, id, job);
    Ok((StatusCode::ACCEPTED, axum::Json(snapshot)).into_response())
}

/// `409 RESOURCE_LOCKED` naming the execution that holds the lock.
fn locked(state: &AppState, holder: String) -> ApiError {
    let info = lock_info(state);
    ApiError::new(
        ErrorCode::ResourceLocked,
        "Another algorithm is running on this instance",
    )
    .detail("holder_username", info.holder_username.unwrap_or_default())
    .detail("algorithm_name", info.algorithm_name.unwrap_or_default())
    .detail("execution_id", holder)
    .detail(
        "acquired_at",
        info.acquired_at
            .as_ref()
            .map(graph_olap_api::time::format_ts),
    )
}

/// Runs `job` in a blocking task, then finishes execution `id` (unless it was cancelled
/// meanwhile) and releases the lock.
fn spawn(state: Arc<AppState>, engine: Arc<dyn GraphEngine>, id: String, job: Job) {
    tokio::spawn(async move {
        let outcome = tokio::task::spawn_blocking(move || job.run(engine.as_ref())).await;
        let outcome = outcome.unwrap_or_else(|e| Err(JobFailure::failed(e.to_string())));
        state.algorithms.with(&id, |e| {
            if e.status != ExecutionStatus::Running {
                return;
            }
            match outcome {
                Ok((result, updated)) => {
                    e.result = Some(result);
                    e.nodes_updated = Some(updated);
                    e.finish(ExecutionStatus::Completed, None, None);
                }
                Err(f) if f.code == ExecutionErrorCode::Cancelled => {
                    e.finish(ExecutionStatus::Cancelled, Some(f.code), Some(f.message))
                }
                Err(f) => {
                    e.result = f.detail;
                    e.finish(ExecutionStatus::Failed, Some(f.code), Some(f.message))
                }
            }
        });
        state.algorithms.release(&id);
        state.report_activity("algorithm");
    });
}
