//! `/metrics` (API.md §5.2), `/api/cluster/*` (§7.2) and `/api/ops/*` (§7.3): the scrape,
//! cluster health and instance summary, background-job triggers and status, system state and
//! the export-job view. Ops only (the route table enforces it; `/metrics` also takes the
//! internal key, or nobody's credentials when metrics are public).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use graph_olap_api::export::ExportJobStatus;
use graph_olap_server_kit::error::{ApiError, ApiResult};
use graph_olap_store::export_jobs;

use crate::auth::Caller;
use crate::http::input::{Fields, JsonBody, Need, QueryParams, finish};
use crate::http::respond;
use crate::http::routes::internal::job_to_wire;
use crate::http::routes::status_filter;
use crate::jobs::{self, Job};
use crate::ops::cluster;
use crate::state::AppState;

/// Content type of the Prometheus text format.
pub const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`
pub async fn metrics(State(state): State<AppState>) -> Response {
    let text = crate::ops::scrape::render(&state).await;
    ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text).into_response()
}

/// `GET /api/cluster/health` — always `200`, even when degraded.
pub async fn cluster_health(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(respond::ok(cluster::health(&state).await))
}

/// `GET /api/cluster/instances`
pub async fn cluster_instances(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(respond::ok(cluster::instances(&state).await?))
}

/// `GET /api/cluster/capacity` — nodes' allocatable vs requested CPU and memory, units by phase.
pub async fn cluster_capacity(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(respond::ok(cluster::capacity(&state).await?))
}

/// `POST /api/ops/jobs/trigger` — `202` with a `JobTrigger`, or `429` inside the window.
pub async fn trigger_job(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let mut f = Fields::new(&body, "", &mut errors);
    let name = f.choice("job_name", Need::Required, &Job::TRIGGERABLE);
    let reason = f
        .text("reason", Need::Optional, 1, 500)
        .unwrap_or_else(|| "manual-trigger".into());
    finish(errors)?;
    let job = name
        .as_deref()
        .and_then(Job::parse)
        .ok_or_else(|| ApiError::internal("validated job name missing"))?;
    let accepted = jobs::trigger(&state, job, &caller.username, &reason).await?;
    Ok(respond::accepted(accepted))
}

/// `GET /api/ops/jobs/status` — `{"jobs": [JobStatus…]}` in §4.12 order.
pub async fn job_status(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(respond::ok(graph_olap_api::body::ops::JobStatuses {
        jobs: jobs::status(&state).await?,
    }))
}

/// `GET /api/ops/state`
pub async fn system_state(State(state): State<AppState>) -> ApiResult<Response> {
    Ok(respond::ok(cluster::system_state(&state).await?))
}

/// `GET /api/ops/export-jobs` — newest first, `limit` 1–1000 (default 100), under `data.jobs`.
pub async fn export_jobs(State(state): State<AppState>, q: QueryParams) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (offset, limit) = q.pagination(&mut errors, 100, 1000);
    let statuses: Vec<String> = status_filter(&q, "status", ExportJobStatus::ALL, &mut errors)
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    let snapshot_id = q.int("snapshot_id", &mut errors, 1, i64::MAX);
    finish(errors)?;
    let (rows, total) = export_jobs::page(
        &mut *state.store.read().await?,
        &statuses,
        snapshot_id,
        offset,
        limit,
    )
    .await?;
    let jobs = rows
        .iter()
        .map(job_to_wire)
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(respond::page_under("jobs", jobs, total, offset, limit))
}
