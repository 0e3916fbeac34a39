//! The instance API router (API.md §10): the handlers of health, readiness, status, schema, query
//! and lock, the router built from the route table (`endpoints`), and the error-shape middleware.
//!
//! Owns: request validation, content negotiation (JSON / Arrow IPC), mapping engine results and
//! errors to bodies, activity reports after successful data-plane requests. Does not own:
//! authentication rules (`auth.rs`), the engine, the algorithm runner (`algo.rs`), nor the
//! request-id middleware and `/proc` readings (`graph_olap_server_kit`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use graph_olap_api::instance::{
    HealthBody, InstanceStatusBody, LockBody, QueryBody, QueryResultBody, SchemaBody,
    SchemaEdgeTable, SchemaNodeTable,
};
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_engine::{CancelToken, QueryRequest};
use graph_olap_server_kit::openapi::Framing;
use graph_olap_server_kit::{ApiError, procfs, request_id};
use serde_json::{Map, Value};

use crate::algo;
use crate::auth::Caller;
use crate::endpoints::{ARROW_STREAM, Endpoint};
use crate::state::{AppState, Phase};

/// Largest request body (§1.2).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// The endpoints served here (the algorithm ones are `algo::endpoints`), in §10's order.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        Endpoint::new::<HealthBody>(M::GET, "/health", "health", "Liveness", get(health)).public(),
        Endpoint::new::<HealthBody>(
            M::GET,
            "/ready",
            "health",
            "Readiness: the graph is loaded",
            get(ready),
        )
        .public(),
        Endpoint::new::<Value>(
            M::GET,
            "/openapi.json",
            "health",
            "This OpenAPI document",
            get(openapi_json),
        )
        .public(),
        Endpoint::new::<InstanceStatusBody>(
            M::GET,
            "/status",
            "instance",
            "Instance status, counts and the algorithm lock",
            get(status),
        ),
        Endpoint::new::<SchemaBody>(
            M::GET,
            "/schema",
            "instance",
            "Graph schema with counts",
            get(schema),
        ),
        Endpoint::new::<QueryResultBody>(
            M::POST,
            "/query",
            "query",
            "Read-only Cypher; JSON, or Arrow IPC when `Accept` prefers it",
            post(query),
        )
        .replies::<QueryResultBody>(200, Framing::JsonOr(ARROW_STREAM))
        .takes::<QueryBody>(true),
        Endpoint::new::<LockBody>(
            M::GET,
            "/lock",
            "instance",
            "Algorithm lock state",
            get(lock),
        ),
    ]
}

/// The whole instance API, built from the route table ([`crate::endpoints::endpoints`]).
pub fn router(state: Arc<AppState>) -> Router {
    let mut router: Router<Arc<AppState>> = Router::new();
    for e in crate::endpoints::endpoints() {
        router = router.route(&e.path, e.handler);
    }
    router
        .fallback(|| async {
            ApiError::new(ErrorCode::NotFound, "No such endpoint").detail("resource_type", "route")
        })
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(envelope_errors))
        .layer(middleware::from_fn(request_id::layer))
        .with_state(state)
}

/// Rewrites error responses produced outside our handlers (405, 413, extractor rejections) into
/// the standard envelope.
async fn envelope_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if status.is_success() || is_json {
        return response;
    }
    let allow = response.headers().get(header::ALLOW).cloned();
    let error = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            let allowed: Vec<String> = allow
                .as_ref()
                .and_then(|a| a.to_str().ok())
                .map(|a| a.split(',').map(|m| m.trim().to_string()).collect())
                .unwrap_or_default();
            ApiError::new(ErrorCode::MethodNotAllowed, "Method not allowed")
                .detail("allowed_methods", allowed)
        }
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(ErrorCode::PayloadTooLarge, "Request body too large")
                .detail("max_bytes", MAX_BODY_BYTES)
        }
        StatusCode::NOT_FOUND => ApiError::new(ErrorCode::NotFound, "No such endpoint"),
        s if s.is_client_error() => {
            ApiError::validation(vec![FieldError::new("body", "invalid", "Invalid request")])
        }
        _ => ApiError::new(ErrorCode::InternalError, "An unexpected error occurred"),
    };
    let mut out = error.into_response();
    if let Some(a) = allow {
        out.headers_mut().insert(header::ALLOW, a);
    }
    out
}

async fn openapi_json() -> axum::Json<Value> {
    axum::Json(crate::endpoints::document())
}

async fn health() -> axum::Json<HealthBody> {
    axum::Json(HealthBody {
        status: "healthy".into(),
        timestamp: chrono::Utc::now(),
    })
}

async fn ready(State(state): State<Arc<AppState>>) -> Result<axum::Json<HealthBody>, ApiError> {
    if state.ready_engine().is_some() {
        Ok(axum::Json(HealthBody {
            status: "ready".into(),
            timestamp: chrono::Utc::now(),
        }))
    } else {
        Err(crate::error::not_ready(
            state.config.instance_id,
            state.phase().as_str(),
        ))
    }
}

/// The engine, or `503 INSTANCE_NOT_READY`.
pub fn require_ready(
    state: &AppState,
) -> Result<Arc<dyn graph_olap_engine::GraphEngine>, ApiError> {
    state
        .ready_engine()
        .ok_or_else(|| crate::error::not_ready(state.config.instance_id, state.phase().as_str()))
}

/// Bytes under a directory (best effort).
pub fn dir_size(path: &std::path::Path) -> Option<u64> {
    let mut total = 0;
    let mut stack = vec![path.to_path_buf()];
    while let Some(p) = stack.pop() {
        for entry in std::fs::read_dir(&p).ok()?.flatten() {
            let meta = entry.metadata().ok()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else {
                total += meta.len();
            }
        }
    }
    Some(total)
}

/// Memory and disk usage for `/status` and metrics.
pub fn usage(state: &AppState) -> (Option<u64>, Option<u64>) {
    (
        procfs::resident_memory_bytes(),
        dir_size(&state.config.data_dir),
    )
}

async fn status(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
) -> axum::Json<InstanceStatusBody> {
    let boot = state.boot.get();
    let stats = state.stats.get();
    let (memory, disk) = usage(&state);
    let phase = state.phase();
    axum::Json(InstanceStatusBody {
        status: phase.as_str().into(),
        ready: phase == Phase::Running,
        instance_id: state.config.instance_id,
        snapshot_id: boot.map_or(0, |b| b.snapshot_id),
        mapping_id: boot.map_or(0, |b| b.mapping_id),
        mapping_version: boot.map_or(0, |b| b.mapping_version),
        owner_username: boot.map(|b| b.owner_username.clone()).unwrap_or_default(),
        wrapper_type: match (state.engine.get(), boot) {
            (Some(engine), _) => engine.wrapper_type().to_string(),
            (None, Some(b)) => b.wrapper_type.to_ascii_lowercase(),
            (None, None) => graph_olap_api::instance::default_wrapper_type(),
        },
        capabilities: state
            .engine
            .get()
            .map(|e| e.capabilities().iter().map(|c| c.to_string()).collect())
            .unwrap_or_default(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: state.started_at,
        uptime_seconds: u64::try_from((chrono::Utc::now() - state.started_at).num_seconds())
            .unwrap_or(0),
        node_count: stats.map(|s| s.node_count),
        edge_count: stats.map(|s| s.edge_count),
        node_tables: boot
            .map(|b| b.node_definitions.iter().map(|n| n.label.clone()).collect())
            .unwrap_or_default(),
        edge_tables: boot
            .map(|b| {
                b.edge_definitions
                    .iter()
                    .map(|e| e.edge_type.clone())
                    .collect()
            })
            .unwrap_or_default(),
        memory_usage_bytes: memory,
        disk_usage_bytes: disk,
        active_queries: state.counters.active_queries.load(Ordering::Relaxed),
        lock: algo::lock_info(&state),
    })
}

async fn lock(State(state): State<Arc<AppState>>, Caller(_): Caller) -> axum::Json<LockBody> {
    axum::Json(LockBody {
        lock: algo::lock_info(&state),
    })
}

fn ordered(props: &[(String, String)]) -> Map<String, Value> {
    props
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

async fn schema(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
) -> Result<axum::Json<SchemaBody>, ApiError> {
    let engine = require_ready(&state)?;
    let schema = tokio::task::spawn_blocking(move || engine.schema())
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let node_tables: Vec<SchemaNodeTable> = schema
        .node_tables
        .iter()
        .map(|n| SchemaNodeTable {
            label: n.label.clone(),
            primary_key: n.primary_key.clone(),
            primary_key_type: n.primary_key_type.clone(),
            properties: ordered(&n.properties),
            algorithm_properties: n.algorithm_properties.clone(),
            node_count: n.node_count,
        })
        .collect();
    let edge_tables: Vec<SchemaEdgeTable> = schema
        .edge_tables
        .iter()
        .map(|e| SchemaEdgeTable {
            edge_type: e.edge_type.clone(),
            from_node: e.from_node.clone(),
            to_node: e.to_node.clone(),
            from_key: e.from_key.clone(),
            to_key: e.to_key.clone(),
            properties: ordered(&e.properties),
            edge_count: e.edge_count,
        })
        .collect();
    let body = SchemaBody {
        total_nodes: node_tables.iter().map(|n| n.node_count).sum(),
        total_edges: edge_tables.iter().map(|e| e.edge_count).sum(),
        node_tables,
        edge_tables,
    };
    state.report_activity("schema");
    Ok(axum::Json(body))
}

/// Parses a JSON object body, reporting `invalid_json` / non-object as §1.2 requires.
pub fn parse_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<T, ApiError> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        && !ct
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "unsupported_media_type",
            "Content-Type must be application/json",
        )]));
    }
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::validation(vec![FieldError::new(
            "body",
            "invalid_json",
            format!("Malformed JSON: {e}"),
        )])
    })?;
    if !value.is_object() {
        return Err(ApiError::validation(vec![FieldError::new(
            "body",
            "type",
            "The body must be a JSON object",
        )]));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::validation(vec![FieldError::new("body", "type", e.to_string())]))
}

/// Whether `Accept` prefers Arrow IPC (quality ≥ that of JSON).
pub fn wants_arrow(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let mut arrow_q: Option<f32> = None;
    let mut json_q: f32 = 0.0;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
            })
            .next()
            .unwrap_or(1.0);
        if media == ARROW_STREAM {
            arrow_q = Some(q);
        } else if media == "application/json" || media == "application/*" || media == "*/*" {
            json_q = json_q.max(q);
        }
    }
    arrow_q.is_some_and(|a| a > 0.0 && a >= json_q)
}

/// Cancels the engine query when the handler future is dropped (client went away).
struct CancelOnDrop(CancelToken, bool);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if !self.1 {
            self.0.cancel();
        }
    }
}

struct ActiveGuard<'a>(&'a AppState);

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.0
            .counters
            .active_queries
            .fetch_sub(1, Ordering::Relaxed);
    }
}

async fn query(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let engine = require_ready(&state)?;
    let request: QueryBody = parse_body(&headers, &body)?;
    let defaults = state
        .boot
        .get()
        .map(|b| b.query_defaults)
        .unwrap_or_default();
    let mut errors = Vec::new();
    let chars = request.query.chars().count();
    if chars == 0 || request.query.trim().is_empty() {
        errors.push(FieldError::new(
            "query",
            "too_short",
            "query must not be empty",
        ));
    } else if chars > 100_000 {
        errors.push(FieldError::new(
            "query",
            "too_long",
            "query must be at most 100000 characters",
        ));
    }
    let timeout_ms = request.timeout_ms.unwrap_or(defaults.timeout_ms);
    if !(1_000..=1_800_000).contains(&timeout_ms) {
        errors.push(FieldError::new(
            "timeout_ms",
            "out_of_range",
            "timeout_ms must be between 1000 and 1800000",
        ));
    }
    let max_rows = request.max_rows.unwrap_or(defaults.max_rows);
    if max_rows < 1 || max_rows > defaults.max_rows_cap {
        errors.push(FieldError::new(
            "max_rows",
            "out_of_range",
            format!("max_rows must be between 1 and {}", defaults.max_rows_cap),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let engine_request = QueryRequest {
        query: request.query,
        parameters: request.parameters,
        timeout: Duration::from_millis(timeout_ms),
        max_rows: usize::try_from(max_rows).unwrap_or(usize::MAX),
    };
    let cancel = CancelToken::new();
    let mut guard = CancelOnDrop(cancel.clone(), false);
    state
        .counters
        .active_queries
        .fetch_add(1, Ordering::Relaxed);
    let _active = ActiveGuard(&state);
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || engine.query(&engine_request, &cancel))
        .await
        .map_err(ApiError::internal)?;
    guard.1 = true;
    state.record_query(u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX));
    let output = outcome?;
    state.report_activity("query");
    if wants_arrow(&headers) {
        let bytes = crate::arrow_ipc::encode_stream(&output).map_err(ApiError::internal)?;
        let mut response = (StatusCode::OK, bytes).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ARROW_STREAM));
        h.insert(
            "x-graph-olap-row-count",
            HeaderValue::from(output.rows.len() as u64),
        );
        h.insert(
            "x-graph-olap-execution-time-ms",
            HeaderValue::from(output.execution_time_ms),
        );
        h.insert(
            "x-graph-olap-truncated",
            HeaderValue::from_static(if output.truncated { "true" } else { "false" }),
        );
        return Ok(response);
    }
    let rows: Vec<Vec<Value>> = output
        .rows
        .iter()
        .map(|r| r.iter().map(|v| v.to_json()).collect())
        .collect();
    Ok(axum::Json(QueryResultBody {
        columns: output.columns,
        column_types: output.column_types,
        row_count: rows.len() as u64,
        rows,
        execution_time_ms: output.execution_time_ms,
        truncated: output.truncated,
    })
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        let h = |v: &str| {
            let mut m = HeaderMap::new();
            m.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
            wants_arrow(&m)
        };
        assert!(h(ARROW_STREAM));
        assert!(h(
            "application/json;q=0.5, application/vnd.apache.arrow.stream"
        ));
        assert!(!h(
            "application/json, application/vnd.apache.arrow.stream;q=0.9"
        ));
        assert!(!h("application/json"));
        assert!(!wants_arrow(&HeaderMap::new()));
    }
}
