//! Algorithm endpoints of the instance API (§10.7–§10.12).
//!
//! Owns: the `/algo/*` and `/networkx/*` routes and the lock state shown by `/lock` and
//! `/status`. The algorithm catalogue, parameter validation and kernels belong to the
//! `graph-olap-algorithms` crate, which is not wired into this server yet: the catalogues are
//! empty, every run answers `404 ALGORITHM_NOT_FOUND` with a message saying so, no execution ever
//! exists and the lock is never held. Requests still pass authentication and the readiness check
//! first, in the order §10.9 prescribes.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{delete, get, post};
use graph_olap_api::ErrorCode;
use graph_olap_api::instance::LockInfo;
use serde_json::{Value, json};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::routes::require_ready;
use crate::state::AppState;

/// Routes of both namespaces.
pub fn routes() -> Router<Arc<AppState>> {
    let mut router = Router::new();
    for ns in ["algo", "networkx"] {
        router = router
            .route(&format!("/{ns}/algorithms"), get(catalogue))
            .route(&format!("/{ns}/algorithms/{{name}}"), get(describe))
            .route(&format!("/{ns}/executions"), get(executions))
            .route(&format!("/{ns}/executions/{{execution_id}}"), delete(no_execution))
            .route(&format!("/{ns}/status/{{execution_id}}"), get(no_execution))
            .route(&format!("/{ns}/{{name}}"), post(start));
    }
    router
}

/// The lock: never held while no algorithm runner is wired in.
pub fn lock_info(_state: &AppState) -> LockInfo {
    LockInfo::default()
}

fn not_available(name: &str) -> ApiError {
    ApiError::new(
        ErrorCode::AlgorithmNotFound,
        format!("Algorithm '{name}' is not available: this instance server has no algorithm catalogue yet"),
    )
    .with("algorithm_name", name)
    .with("algorithm_type", Value::Null)
}

async fn catalogue(State(state): State<Arc<AppState>>, Caller(_): Caller) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    Ok(axum::Json(json!({"algorithms": [], "total_count": 0})))
}

async fn describe(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    Err(not_available(&name))
}

async fn start(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    Err(not_available(&name))
}

async fn executions(State(state): State<Arc<AppState>>, Caller(_): Caller) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    Ok(axum::Json(json!({"executions": [], "total_count": 0})))
}

async fn no_execution(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(execution_id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    Err(ApiError::new(ErrorCode::NotFound, format!("Execution {execution_id} not found"))
        .with("resource_type", "execution")
        .with("resource_id", execution_id))
}
