//! The execution endpoints (§10.9, §10.10, §10.12): the history, one execution's status, and
//! cancelling a running one.
//!
//! Owns: their query parameters and answers. Does not own: the registry (`registry`) nor
//! starting executions (`run`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use graph_olap_api::algorithm::{
    AlgorithmExecution, ExecutionErrorCode, ExecutionList, ExecutionStatus,
};
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_server_kit::ApiError;
use serde::Deserialize;
use serde_json::json;

use super::registry::Execution;
use super::type_name;
use crate::auth::Caller;
use crate::routes::require_ready;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct ExecutionsQuery {
    status: Option<String>,
    algorithm_type: Option<String>,
    limit: Option<String>,
}

/// `GET /{ns}/executions` (§10.10): the newest executions first, filtered by status and type.
pub(super) async fn executions(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Query(q): Query<ExecutionsQuery>,
) -> Result<axum::Json<ExecutionList>, ApiError> {
    require_ready(&state)?;
    let limit = match q.limit.as_deref() {
        None => 20,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=100).contains(l))
            .ok_or_else(|| {
                ApiError::validation(vec![FieldError::new(
                    "query.limit",
                    "out_of_range",
                    "limit must be between 1 and 100",
                )])
            })?,
    };
    let list = state
        .algorithms
        .executions
        .lock()
        .map_err(ApiError::internal)?;
    let matching: Vec<AlgorithmExecution> = list
        .iter()
        .rev()
        .filter(|e| q.status.as_deref().is_none_or(|s| e.status == s))
        .filter(|e| {
            q.algorithm_type
                .as_deref()
                .is_none_or(|t| t == type_name(e.algorithm_type))
        })
        .map(Execution::to_wire)
        .collect();
    let total = matching.len();
    Ok(axum::Json(ExecutionList {
        executions: matching.into_iter().take(limit).collect(),
        total_count: total,
    }))
}

/// `404 NOT_FOUND` for an execution no longer (or never) in the history.
fn unknown_execution(id: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("Execution {id} not found"))
        .detail("resource_type", "execution")
        .detail("resource_id", id)
}

/// `GET /{ns}/status/{execution_id}` (§10.9).
pub(super) async fn status(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AlgorithmExecution>, ApiError> {
    require_ready(&state)?;
    state
        .algorithms
        .with(&id, |e| e.to_wire())
        .map(axum::Json)
        .ok_or_else(|| unknown_execution(&id))
}

/// `DELETE /{ns}/executions/{execution_id}` (§10.12): cancels a running execution.
pub(super) async fn cancel(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<AlgorithmExecution>, ApiError> {
    require_ready(&state)?;
    let outcome = state
        .algorithms
        .with(&id, |e| {
            if e.status != ExecutionStatus::Running {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "The execution has already finished",
                )
                .detail("resource_type", "execution")
                .detail("resource_id", e.id.clone())
                .detail("current_state", e.status.as_str())
                .detail("required_state", json!(["running"])));
            }
            e.cancel.cancel();
            e.finish(
                ExecutionStatus::Cancelled,
                Some(ExecutionErrorCode::Cancelled),
                Some("Cancelled by request".into()),
            );
            Ok(e.to_wire())
        })
        .ok_or_else(|| unknown_execution(&id))??;
    state.algorithms.release(&id);
    Ok(axum::Json(outcome))
}
