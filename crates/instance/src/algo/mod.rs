//! Algorithm endpoints of the instance API (§10.7–§10.12): catalogues, runs, the lock, the
//! execution registry, status, history and cancellation.
//!
//! Owns: request validation of the scope (labels, types, `result_property`), the single
//! instance-wide lock, the registry of the last 100 executions, running a catalogue entry on a
//! CSR built from the engine's topology in a blocking task, and writing results back through the
//! engine's atomic write-back; on `/networkx`, choosing between a native kernel and the NetworkX
//! worker (native first; the worker for names we have no kernel for, and for parameters our
//! kernel does not support). Does not own: the catalogue, parameter validation or the kernels
//! (`graph-olap-algorithms`), the worker and its catalogue (`nx_worker`, `nx_catalogue`,
//! `nx_run`), the projection of the graph (`projection`), nor the engine.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use graph_olap_algorithms::catalogue::{
    self, AlgorithmInfo, AlgorithmType, Category, GraphViews, OutputValues, ParamErrorReason,
    ResultKind, RunError,
};
use graph_olap_algorithms::{Cancel, Csr, Interrupted};
use graph_olap_api::instance::LockInfo;
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_engine::{GraphEngine, WriteBack, WriteValues};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::auth::Caller;
use crate::nx_catalogue::{self, NxCatalogue, NxFunction};
use crate::nx_run::WorkerJob;
use crate::nx_worker::{WorkerConfig, WorkerError};
use crate::projection::{ProjectionError, Scope};
use crate::routes::{parse_body, require_ready};
use crate::state::AppState;
use graph_olap_server_kit::ApiError;

/// Executions kept in the history.
pub const HISTORY: usize = 100;

/// One algorithm execution (§10.9 `AlgorithmExecution`).
#[derive(Debug, Clone)]
pub struct Execution {
    id: String,
    name: String,
    algorithm_type: AlgorithmType,
    status: &'static str,
    user_name: String,
    node_labels: Vec<String>,
    edge_types: Vec<String>,
    result_property: Option<String>,
    write_back: bool,
    parameters: Map<String, Value>,
    started_at: DateTime<Utc>,
    started: Instant,
    completed_at: Option<DateTime<Utc>>,
    duration_ms: Option<u64>,
    nodes_updated: Option<u64>,
    result: Option<Value>,
    error_code: Option<&'static str>,
    error_message: Option<String>,
    cancel: Cancel,
}

impl Execution {
    fn to_json(&self) -> Value {
        let single = |v: &Vec<String>| {
            if v.len() == 1 {
                json!(v[0])
            } else {
                Value::Null
            }
        };
        let elapsed = self
            .duration_ms
            .unwrap_or_else(|| u64::try_from(self.started.elapsed().as_millis()).unwrap_or(0));
        json!({
            "execution_id": self.id,
            "algorithm_name": self.name,
            "algorithm_type": type_name(self.algorithm_type),
            "status": self.status,
            "user_name": self.user_name,
            "node_label": single(&self.node_labels),
            "edge_type": single(&self.edge_types),
            "node_labels": self.node_labels,
            "edge_types": self.edge_types,
            "result_property": self.result_property,
            "write_back": self.write_back,
            "parameters": self.parameters,
            "started_at": graph_olap_api::time::format_ts(&self.started_at),
            "completed_at": self.completed_at.as_ref().map(graph_olap_api::time::format_ts),
            "elapsed_ms": elapsed,
            "duration_ms": self.duration_ms,
            "nodes_updated": self.nodes_updated,
            "result": self.result,
            "error_code": self.error_code,
            "error_message": self.error_message,
        })
    }
}

/// The lock, the execution history and the NetworkX worker's catalogue.
#[derive(Debug, Default)]
pub struct Registry {
    lock: Mutex<Option<String>>,
    executions: Mutex<VecDeque<Execution>>,
    networkx: nx_catalogue::CatalogueCache,
}

/// How the NetworkX worker runs on this instance (interpreter, directory, memory bound).
fn worker_config(state: &AppState) -> WorkerConfig {
    WorkerConfig::from_env(
        &state.config.data_dir,
        state.boot.get().and_then(|b| b.memory_gb),
    )
}

/// The worker's catalogue, listed once per instance (in a blocking task).
async fn worker_catalogue(state: &Arc<AppState>) -> Result<Arc<NxCatalogue>, WorkerError> {
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || state.algorithms.networkx.get(&worker_config(&state)))
        .await
        .map_err(|e| WorkerError::Protocol(e.to_string()))?
}

fn worker_unavailable(e: &WorkerError) -> ApiError {
    tracing::warn!(error = %e, "NetworkX worker unavailable");
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        format!("The NetworkX worker is unavailable: {e}"),
    )
}

impl Registry {
    fn with<T>(&self, id: &str, f: impl FnOnce(&mut Execution) -> T) -> Option<T> {
        let mut list = self.executions.lock().ok()?;
        list.iter_mut().find(|e| e.id == id).map(f)
    }

    fn release(&self, id: &str) {
        if let Ok(mut lock) = self.lock.lock()
            && lock.as_deref() == Some(id)
        {
            *lock = None;
        }
    }

    /// Cancels every running execution (`INSTANCE_STOPPING`), e.g. on shutdown.
    pub fn stop_all(&self) {
        if let Ok(mut list) = self.executions.lock() {
            for e in list.iter_mut().filter(|e| e.status == "running") {
                e.cancel.cancel();
                finish(
                    e,
                    "cancelled",
                    Some("INSTANCE_STOPPING"),
                    Some("The instance is stopping".into()),
                );
            }
        }
        if let Ok(mut lock) = self.lock.lock() {
            *lock = None;
        }
    }
}

fn type_name(t: AlgorithmType) -> &'static str {
    match t {
        AlgorithmType::Native => "native",
        AlgorithmType::Networkx => "networkx",
    }
}

fn finish(
    e: &mut Execution,
    status: &'static str,
    code: Option<&'static str>,
    message: Option<String>,
) {
    e.status = status;
    e.error_code = code;
    e.error_message = message;
    e.completed_at = Some(Utc::now());
    e.duration_ms = Some(u64::try_from(e.started.elapsed().as_millis()).unwrap_or(0));
}

/// The lock as shown by `/lock` and `/status`.
pub fn lock_info(state: &AppState) -> LockInfo {
    let holder = state.algorithms.lock.lock().ok().and_then(|l| l.clone());
    let Some(id) = holder else {
        return LockInfo::default();
    };
    state
        .algorithms
        .with(&id, |e| LockInfo {
            locked: true,
            holder_id: Some(e.user_name.clone()),
            holder_username: Some(e.user_name.clone()),
            algorithm_name: Some(e.name.clone()),
            algorithm_type: Some(type_name(e.algorithm_type).into()),
            execution_id: Some(e.id.clone()),
            acquired_at: Some(e.started_at),
        })
        .unwrap_or_default()
}

/// Routes of both namespaces.
pub fn routes() -> Router<Arc<AppState>> {
    let mut router = Router::new().route("/algo/shortest_path", post(shortest_path));
    for ns in ["algo", "networkx"] {
        router = router
            .route(&format!("/{ns}/algorithms"), get(list))
            .route(&format!("/{ns}/algorithms/{{name}}"), get(describe))
            .route(&format!("/{ns}/executions"), get(executions))
            .route(
                &format!("/{ns}/executions/{{execution_id}}"),
                delete(cancel),
            )
            .route(&format!("/{ns}/status/{{execution_id}}"), get(status))
            .route(&format!("/{ns}/{{name}}"), post(start));
    }
    router
}

fn namespace(headers_path: &str) -> AlgorithmType {
    if headers_path.starts_with("/networkx") {
        AlgorithmType::Networkx
    } else {
        AlgorithmType::Native
    }
}

fn not_found(name: &str, t: AlgorithmType) -> ApiError {
    let error = ApiError::new(
        ErrorCode::AlgorithmNotFound,
        format!("Algorithm '{name}' not found"),
    )
    .detail("algorithm_name", name)
    .detail("algorithm_type", type_name(t));
    match catalogue::NETWORKX_UNAVAILABLE
        .iter()
        .find(|(n, _)| *n == name)
    {
        Some((_, reason)) if t == AlgorithmType::Networkx => error.detail("reason", *reason),
        _ => error,
    }
}

/// What a request runs: one of our kernels, or a NetworkX function in the worker.
enum Entry {
    Native(&'static AlgorithmInfo),
    Worker(Box<NxFunction>),
}

/// Validated parameters of an [`Entry`].
enum EntryParams {
    Native(catalogue::ValidatedParams),
    /// The effective parameters (for the record) and the ones sent (for the call).
    Worker(Map<String, Value>, Map<String, Value>),
}

impl Entry {
    fn name(&self) -> &str {
        match self {
            Entry::Native(info) => info.name,
            Entry::Worker(f) => &f.name,
        }
    }

    fn default_timeout_ms(&self) -> u64 {
        match self {
            Entry::Native(info) => info.default_timeout_ms,
            Entry::Worker(_) => nx_catalogue::WORKER_TIMEOUT_MS,
        }
    }

    /// Whether a run writes back: native per catalogue; in the worker whenever a
    /// `result_property` is given (the result's shape decides what is written).
    fn writes_back(&self, requested: bool, property: Option<&String>) -> bool {
        requested
            && match self {
                Entry::Native(info) => info.supports_write_back,
                Entry::Worker(_) => property.is_some(),
            }
    }

    fn validate(&self, given: &Value) -> Result<EntryParams, Vec<FieldError>> {
        match self {
            Entry::Native(info) => catalogue::validate(info, given)
                .map(EntryParams::Native)
                .map_err(|e| {
                    vec![FieldError::new(
                        e.field.clone(),
                        param_reason(e.reason),
                        e.message.clone(),
                    )]
                }),
            Entry::Worker(f) => f.validate(given).map(|effective| {
                EntryParams::Worker(effective, given.as_object().cloned().unwrap_or_default())
            }),
        }
    }
}

/// Resolves `name`: a native kernel first; on `/networkx` the worker when we have no kernel of
/// that name, or when our kernel refuses a parameter that the NetworkX function takes.
async fn resolve(
    state: &Arc<AppState>,
    t: AlgorithmType,
    name: &str,
    parameters: &Value,
) -> Result<Entry, ApiError> {
    let native = catalogue::find(t, name);
    if t == AlgorithmType::Native {
        return native.map(Entry::Native).ok_or_else(|| not_found(name, t));
    }
    if let Some(info) = native {
        let unsupported = matches!(
            catalogue::validate(info, parameters),
            Err(e) if e.reason == ParamErrorReason::Unknown
        );
        if unsupported
            && let Ok(worker) = worker_catalogue(state).await
            && let Some(f) = worker.find(name)
            && f.validate(parameters).is_ok()
        {
            return Ok(Entry::Worker(Box::new(f.clone())));
        }
        return Ok(Entry::Native(info));
    }
    let worker = worker_catalogue(state)
        .await
        .map_err(|e| worker_unavailable(&e))?;
    worker
        .find(name)
        .map(|f| Entry::Worker(Box::new(f.clone())))
        .ok_or_else(|| not_found(name, t))
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    category: Option<String>,
    search: Option<String>,
}

async fn list(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    uri: axum::http::Uri,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    let category = match q.category.as_deref() {
        None => None,
        Some(c) => Some(serde_json::from_value::<Category>(json!(c)).map_err(|_| {
            ApiError::validation(vec![FieldError::new(
                "query.category",
                "enum",
                format!("unknown category '{c}'"),
            )])
        })?),
    };
    let t = namespace(uri.path());
    if t == AlgorithmType::Networkx {
        let worker = worker_catalogue(&state).await;
        let items = nx_catalogue::merged(worker.as_deref().ok(), category, q.search.as_deref());
        let mut body = json!({"algorithms": items, "total_count": items.len()});
        match worker {
            Ok(w) => body["networkx_version"] = json!(w.networkx_version),
            Err(e) => body["worker_error"] = json!(worker_unavailable(&e).message),
        }
        return Ok(axum::Json(body));
    }
    let items: Vec<Value> = catalogue::list(t, category, q.search.as_deref())
        .into_iter()
        .map(nx_catalogue::native_info)
        .collect();
    Ok(axum::Json(
        json!({"algorithms": items, "total_count": items.len()}),
    ))
}

async fn describe(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    uri: axum::http::Uri,
    Path(name): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    let t = namespace(uri.path());
    if let Some(info) = catalogue::find(t, &name) {
        return Ok(axum::Json(nx_catalogue::native_info(info)));
    }
    if t == AlgorithmType::Native {
        return Err(not_found(&name, t));
    }
    let worker = worker_catalogue(&state)
        .await
        .map_err(|e| worker_unavailable(&e))?;
    worker
        .find(&name)
        .map(|f| axum::Json(f.info()))
        .ok_or_else(|| not_found(&name, t))
}

#[derive(Debug, Deserialize)]
struct ExecutionsQuery {
    status: Option<String>,
    algorithm_type: Option<String>,
    limit: Option<String>,
}

async fn executions(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Query(q): Query<ExecutionsQuery>,
) -> Result<axum::Json<Value>, ApiError> {
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
    let matching: Vec<Value> = list
        .iter()
        .rev()
        .filter(|e| q.status.as_deref().is_none_or(|s| s == e.status))
        .filter(|e| {
            q.algorithm_type
                .as_deref()
                .is_none_or(|t| t == type_name(e.algorithm_type))
        })
        .map(Execution::to_json)
        .collect();
    let total = matching.len();
    Ok(axum::Json(
        json!({"executions": matching.into_iter().take(limit).collect::<Vec<_>>(), "total_count": total}),
    ))
}

fn unknown_execution(id: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("Execution {id} not found"))
        .detail("resource_type", "execution")
        .detail("resource_id", id)
}

async fn status(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    state
        .algorithms
        .with(&id, |e| e.to_json())
        .map(axum::Json)
        .ok_or_else(|| unknown_execution(&id))
}

async fn cancel(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Value>, ApiError> {
    require_ready(&state)?;
    let outcome = state
        .algorithms
        .with(&id, |e| {
            if e.status != "running" {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    "The execution has already finished",
                )
                .detail("resource_type", "execution")
                .detail("resource_id", e.id.clone())
                .detail("current_state", e.status)
                .detail("required_state", json!(["running"])));
            }
            e.cancel.cancel();
            finish(
                e,
                "cancelled",
                Some("CANCELLED"),
                Some("Cancelled by request".into()),
            );
            Ok(e.to_json())
        })
        .ok_or_else(|| unknown_execution(&id))??;
    state.algorithms.release(&id);
    Ok(axum::Json(outcome))
}

#[derive(Debug, Default, Deserialize)]
struct RunBody {
    node_label: Option<String>,
    node_labels: Option<Vec<String>>,
    edge_type: Option<String>,
    edge_types: Option<Vec<String>>,
    result_property: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    write_back: Option<bool>,
    timeout_ms: Option<u64>,
    subgraph_query: Option<String>,
}

fn param_reason(r: ParamErrorReason) -> &'static str {
    match r {
        ParamErrorReason::NotAnObject | ParamErrorReason::WrongType => "type",
        ParamErrorReason::Unknown => "unknown",
        ParamErrorReason::Missing => "required",
        ParamErrorReason::OutOfRange => "out_of_range",
        ParamErrorReason::NotAllowed => "enum",
        ParamErrorReason::Duplicate => "duplicate",
    }
}

fn identifier_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

async fn start(
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
    let body: RunBody = if body.is_empty() {
        RunBody::default()
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

    let mut errors = Vec::new();
    if body.node_label.is_some() && body.node_labels.is_some() {
        errors.push(FieldError::new(
            "node_labels",
            "duplicate",
            "give node_label or node_labels, not both",
        ));
    }
    if body.edge_type.is_some() && body.edge_types.is_some() {
        errors.push(FieldError::new(
            "edge_types",
            "duplicate",
            "give edge_type or edge_types, not both",
        ));
    }
    let labels: Vec<String> = body
        .node_labels
        .clone()
        .or_else(|| body.node_label.clone().map(|l| vec![l]))
        .unwrap_or_default();
    let types: Vec<String> = body
        .edge_types
        .clone()
        .or_else(|| body.edge_type.clone().map(|l| vec![l]))
        .unwrap_or_default();
    for l in &labels {
        if !boot.node_definitions.iter().any(|n| &n.label == l) {
            errors.push(FieldError::new(
                "node_label",
                "unknown_reference",
                format!("unknown label '{l}'"),
            ));
        }
    }
    for ty in &types {
        if !boot.edge_definitions.iter().any(|e| &e.edge_type == ty) {
            errors.push(FieldError::new(
                "edge_type",
                "unknown_reference",
                format!("unknown edge type '{ty}'"),
            ));
        }
    }
    let scope = match &body.subgraph_query {
        Some(query) => {
            if let Some(e) = subgraph_query_error(t, query, !labels.is_empty() || !types.is_empty())
            {
                errors.push(e);
            }
            Scope::Subgraph {
                query: query.clone(),
            }
        }
        None => Scope::Labels {
            labels: labels.clone(),
            types: types.clone(),
        },
    };
    let write_back = entry.writes_back(
        body.write_back.unwrap_or(true),
        body.result_property.as_ref(),
    );
    // Labels whose mapped properties `result_property` must not collide with (all of them for a
    // subgraph query: which labels it reaches is known only once it has run).
    let scope_labels: Vec<String> = if labels.is_empty() {
        boot.node_definitions
            .iter()
            .map(|n| n.label.clone())
            .collect()
    } else {
        labels.clone()
    };
    if matches!(scope, Scope::Labels { .. })
        && errors.is_empty()
        && scope_labels
            .iter()
            .all(|l| boot.node_counts.as_ref().and_then(|c| c.get(l)) == Some(&0))
    {
        errors.push(FieldError::new(
            if labels.is_empty() {
                "node_labels"
            } else {
                "node_label"
            },
            "empty_projection",
            "the labels in scope have no nodes: the projection is empty",
        ));
    }
    if write_back {
        match &body.result_property {
            None => errors.push(FieldError::new(
                "result_property",
                "required",
                "result_property is required when writing back",
            )),
            Some(p) if !identifier_ok(p) => errors.push(FieldError::new(
                "result_property",
                "pattern",
                "result_property must match ^[A-Za-z][A-Za-z0-9_]*$",
            )),
            Some(p) if graph_olap_api::mapping::is_reserved_name(p) => {
                errors.push(FieldError::new(
                    "result_property",
                    "reserved_word",
                    format!("'{p}' is a reserved word"),
                ))
            }
            Some(p) => {
                for n in boot
                    .node_definitions
                    .iter()
                    .filter(|n| scope_labels.contains(&n.label))
                {
                    if n.primary_key.name.eq_ignore_ascii_case(p)
                        || n.properties.iter().any(|q| q.name.eq_ignore_ascii_case(p))
                    {
                        errors.push(FieldError::new(
                            "result_property",
                            "conflict",
                            format!("'{p}' is a mapping property of {}", n.label),
                        ));
                    }
                }
            }
        }
    }
    if let Some(ms) = body.timeout_ms
        && !(1_000..=7_200_000).contains(&ms)
    {
        errors.push(FieldError::new(
            "timeout_ms",
            "out_of_range",
            "timeout_ms must be between 1000 and 7200000",
        ));
    }
    let params = match entry.validate(&given) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let params = params.ok_or_else(|| ApiError::internal("parameters missing after validation"))?;
    let recorded_parameters = match &params {
        EntryParams::Native(p) => p.as_map().clone(),
        EntryParams::Worker(effective, _) => effective.clone(),
    };
    let entry_name = entry.name().to_string();
    let timeout = Duration::from_millis(body.timeout_ms.unwrap_or(entry.default_timeout_ms()));

    let id = uuid::Uuid::new_v4().to_string();
    let kind = match (entry, params) {
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
    {
        let mut lock = state.algorithms.lock.lock().map_err(ApiError::internal)?;
        if let Some(holder) = lock.clone() {
            // `lock_info` takes the lock again: release it first.
            drop(lock);
            let info = lock_info(&state);
            return Err(ApiError::new(
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
            ));
        }
        *lock = Some(id.clone());
    }
    let cancel = Cancel::with_timeout(timeout);
    let execution = Execution {
        id: id.clone(),
        name: entry_name,
        algorithm_type: t,
        status: "running",
        user_name: caller.username().to_string(),
        node_labels: labels.clone(),
        edge_types: types.clone(),
        result_property: if write_back {
            body.result_property.clone()
        } else {
            body.result_property.clone().filter(|_| false)
        },
        write_back,
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
    let snapshot = execution.to_json();
    if let Ok(mut list) = state.algorithms.executions.lock() {
        list.push_back(execution);
        while list.len() > HISTORY {
            list.pop_front();
        }
    }
    state.report_activity("algorithm");

    let job = Job {
        kind,
        scope,
        property: body.result_property.clone(),
        write_back,
        cancel,
    };
    let worker_state = Arc::clone(&state);
    let worker_id = id.clone();
    tokio::spawn(async move {
        let outcome = tokio::task::spawn_blocking(move || job.run(engine.as_ref())).await;
        let outcome = outcome.unwrap_or_else(|e| Err(JobFailure::failed(e.to_string())));
        worker_state.algorithms.with(&worker_id, |e| {
            if e.status != "running" {
                return;
            }
            match outcome {
                Ok((result, updated)) => {
                    e.result = Some(result);
                    e.nodes_updated = Some(updated);
                    finish(e, "completed", None, None);
                }
                Err(f) if f.code == "CANCELLED" => {
                    finish(e, "cancelled", Some(f.code), Some(f.message))
                }
                Err(f) => {
                    e.result = f.detail;
                    finish(e, "failed", Some(f.code), Some(f.message))
                }
            }
        });
        worker_state.algorithms.release(&worker_id);
        worker_state.report_activity("algorithm");
    });
    Ok((StatusCode::ACCEPTED, axum::Json(snapshot)).into_response())
}

/// Why an execution ended without completing.
#[derive(Debug, Clone)]
pub(crate) struct JobFailure {
    /// `ALGORITHM_FAILED` | `ALGORITHM_TIMEOUT` | `CANCELLED`.
    pub(crate) code: &'static str,
    /// `error_message`.
    pub(crate) message: String,
    /// Kept as the execution's `result` (e.g. the NetworkX exception).
    pub(crate) detail: Option<Value>,
}

impl JobFailure {
    pub(crate) fn failed(message: String) -> Self {
        Self {
            code: "ALGORITHM_FAILED",
            message,
            detail: None,
        }
    }

    pub(crate) fn cancelled() -> Self {
        Self {
            code: "CANCELLED",
            message: "Cancelled by request".into(),
            detail: None,
        }
    }

    pub(crate) fn timed_out() -> Self {
        Self {
            code: "ALGORITHM_TIMEOUT",
            message: "The algorithm exceeded its timeout".into(),
            detail: None,
        }
    }
}

type JobError = JobFailure;

enum JobKind {
    Native {
        info: &'static AlgorithmInfo,
        params: catalogue::ValidatedParams,
    },
    Worker(Box<WorkerJob>),
}

struct Job {
    kind: JobKind,
    scope: Scope,
    property: Option<String>,
    write_back: bool,
    cancel: Cancel,
}

impl Job {
    /// Projects the scope, runs the kernel on its CSR and writes back; returns (`result`, nodes
    /// written).
    fn run(self, engine: &dyn GraphEngine) -> Result<(Value, u64), JobError> {
        let failed = JobFailure::failed;
        let projection = self
            .scope
            .project(engine, &self.cancel)
            .map_err(|e| match e {
                ProjectionError::Cancelled => JobFailure::cancelled(),
                ProjectionError::TimedOut => JobFailure {
                    message: e.to_string(),
                    ..JobFailure::timed_out()
                },
                ProjectionError::Failed(m) => failed(m),
            })?;
        let (info, params) = match &self.kind {
            JobKind::Native { info, params } => (*info, params),
            JobKind::Worker(job) => {
                let property = self.property.as_deref().filter(|_| self.write_back);
                return job.run(engine, projection, property, &self.cancel);
            }
        };
        let global_of_local = projection.global_of_local;
        let n =
            u32::try_from(global_of_local.len()).map_err(|_| failed("graph too large".into()))?;
        let csr = Csr::directed(
            n,
            &projection.edges,
            None,
            graph_olap_algorithms::BuildOptions::MULTI,
        )
        .map_err(|e| failed(e.to_string()))?;
        drop(projection.edges);
        let views = GraphViews::new(csr);
        let output = catalogue::run(info, params, &views, &self.cancel).map_err(|e| match e {
            RunError::Interrupted(Interrupted::Cancelled) => JobFailure::cancelled(),
            RunError::Interrupted(Interrupted::TimedOut) => JobFailure::timed_out(),
            RunError::Failed { reason } => failed(reason),
        })?;
        let mut result = Value::Object(output.summary.clone());
        let values = match output.values {
            OutputValues::Float(v) => Some(WriteValues::Double(v.into_iter().map(Some).collect())),
            OutputValues::Int(v) => Some(WriteValues::Int64(v.into_iter().map(Some).collect())),
            OutputValues::Bool(v) => Some(WriteValues::Bool(v.into_iter().map(Some).collect())),
            OutputValues::Partition(p) => {
                let ids: Vec<Option<i64>> = if info.algorithm_type == AlgorithmType::Networkx {
                    p.dense_indices()
                        .into_iter()
                        .map(|i| Some(i64::from(i)))
                        .collect()
                } else {
                    p.membership
                        .iter()
                        .map(|m| Some(i64::from(global_of_local[*m as usize])))
                        .collect()
                };
                Some(WriteValues::Int64(ids))
            }
            OutputValues::Scalar(v) | OutputValues::Json(v) => {
                if let Value::Object(m) = &mut result {
                    m.insert("value".into(), v);
                }
                None
            }
            OutputValues::Path(p) => {
                if let Value::Object(m) = &mut result {
                    m.insert("value".into(), json!(format!("{p:?}")));
                }
                None
            }
        };
        let mut updated = 0;
        if let (true, Some(values), Some(property)) = (self.write_back, values, self.property) {
            if info.result_kind == ResultKind::Scalar {
                return Ok((result, 0));
            }
            if self.cancel.is_cancelled() {
                return Err(JobFailure::cancelled());
            }
            updated = engine
                .write_back(&WriteBack {
                    property,
                    labels: projection.labels,
                    node_ids: global_of_local,
                    values,
                })
                .map_err(|e| failed(e.to_string()))?;
        }
        Ok((result, updated))
    }
}

/// Checks a `subgraph_query` at request time: `/networkx` only, not combined with a label/type
/// scope, and through the same read-only gate as `/query` (§10.6).
fn subgraph_query_error(t: AlgorithmType, query: &str, has_scope: bool) -> Option<FieldError> {
    use graph_olap_engine::QueryErrorKind;
    use graph_olap_engine::dialect::Dialect;
    let field = "subgraph_query";
    if t != AlgorithmType::Networkx {
        return Some(FieldError::new(
            field,
            "not_allowed",
            "subgraph_query is accepted on /networkx/{name} only",
        ));
    }
    if has_scope {
        return Some(FieldError::new(
            field,
            "conflict",
            "give subgraph_query or a node_label/edge_type scope, not both",
        ));
    }
    if query.trim().is_empty() {
        return Some(FieldError::new(
            field,
            "required",
            "subgraph_query is empty",
        ));
    }
    let error = graph_olap_engine::dialect::prepare(query, Dialect::Kuzu).err()?;
    let (reason, message) = match error.kind {
        QueryErrorKind::Syntax { .. } => (
            "syntax",
            format!("subgraph_query does not parse: {}", error.message),
        ),
        QueryErrorKind::Unsupported { feature } if feature == "multiple_statements" => (
            "multiple_statements",
            "subgraph_query must be one statement".to_string(),
        ),
        QueryErrorKind::ReadOnlyViolation {
            clause,
            line,
            column,
        } => (
            "read_only_violation",
            format!("subgraph_query must be read-only: {clause} at line {line}, column {column}"),
        ),
        _ => (
            "unsupported",
            format!(
                "subgraph_query uses an unsupported feature: {}",
                error.message
            ),
        ),
    };
    Some(FieldError::new(field, reason, message))
}

/// `POST /algo/shortest_path` request (§10.11).
#[derive(Debug, Deserialize)]
struct ShortestPathBody {
    source_id: Option<Value>,
    target_id: Option<Value>,
    source_label: Option<String>,
    target_label: Option<String>,
    relationship_types: Option<Vec<String>>,
    max_depth: Option<u32>,
    direction: Option<String>,
    timeout_ms: Option<u64>,
}

fn run_query(
    engine: &dyn GraphEngine,
    query: &str,
    params: Value,
) -> Result<graph_olap_engine::QueryOutput, ApiError> {
    let request = graph_olap_engine::QueryRequest {
        query: query.to_string(),
        parameters: match params {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        timeout: Duration::from_secs(60),
        max_rows: 10_000,
    };
    engine
        .query(&request, &graph_olap_engine::CancelToken::new())
        .map_err(crate::error::query_error)
}

/// Finds the `_id`s of nodes whose primary key equals `key` in the candidate labels.
fn find_nodes(
    engine: &dyn GraphEngine,
    boot: &graph_olap_api::instance::InstanceBootstrap,
    label: Option<&str>,
    key: &Value,
) -> Result<Vec<(String, i64)>, ApiError> {
    let mut found = Vec::new();
    for n in boot
        .node_definitions
        .iter()
        .filter(|n| label.is_none_or(|l| l == n.label))
    {
        let numeric = matches!(
            n.primary_key.ty,
            graph_olap_api::PropertyType::Scalar(
                graph_olap_api::ScalarType::Int64
                    | graph_olap_api::ScalarType::Int32
                    | graph_olap_api::ScalarType::Int16
                    | graph_olap_api::ScalarType::Int8
            )
        );
        let value = match (numeric, key) {
            (true, Value::Number(v)) => json!(v),
            (true, Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) => json!(i),
                Err(_) => continue,
            },
            (false, Value::String(s)) => json!(s),
            (false, Value::Number(v)) => json!(v.to_string()),
            _ => continue,
        };
        let q = format!(
            "MATCH (n:`{}`) WHERE n.`{}` = $key RETURN id(n)",
            n.label.replace('`', "``"),
            n.primary_key.name.replace('`', "``")
        );
        let out = run_query(engine, &q, json!({"key": value}))?;
        for row in out.rows {
            if let Some(id) = row[0].to_json().as_i64() {
                found.push((n.label.clone(), id));
            }
        }
    }
    Ok(found)
}

async fn shortest_path(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<Value>, ApiError> {
    let engine = require_ready(&state)?;
    let body: ShortestPathBody = parse_body(&headers, &body)?;
    let boot = state
        .boot
        .get()
        .ok_or_else(|| crate::error::not_ready(state.config.instance_id, "loading"))?
        .clone();
    let mut errors = Vec::new();
    let valid_key =
        |v: &Option<Value>| matches!(v, Some(Value::String(_)) | Some(Value::Number(_)));
    if !valid_key(&body.source_id) {
        errors.push(FieldError::new(
            "source_id",
            "required",
            "source_id (string or integer) is required",
        ));
    }
    if !valid_key(&body.target_id) {
        errors.push(FieldError::new(
            "target_id",
            "required",
            "target_id (string or integer) is required",
        ));
    }
    let max_depth = body.max_depth.unwrap_or(10);
    if !(1..=50).contains(&max_depth) {
        errors.push(FieldError::new(
            "max_depth",
            "out_of_range",
            "max_depth must be between 1 and 50",
        ));
    }
    let direction = match body.direction.as_deref().unwrap_or("both") {
        "both" => graph_olap_algorithms::Direction::Both,
        "outgoing" => graph_olap_algorithms::Direction::Out,
        _ => {
            errors.push(FieldError::new(
                "direction",
                "enum",
                "direction must be 'both' or 'outgoing'",
            ));
            graph_olap_algorithms::Direction::Both
        }
    };
    let timeout_ms = body.timeout_ms.unwrap_or(60_000);
    if !(1_000..=300_000).contains(&timeout_ms) {
        errors.push(FieldError::new(
            "timeout_ms",
            "out_of_range",
            "timeout_ms must be between 1000 and 300000",
        ));
    }
    for (field, label) in [
        ("source_label", &body.source_label),
        ("target_label", &body.target_label),
    ] {
        if let Some(l) = label
            && !boot.node_definitions.iter().any(|n| &n.label == l)
        {
            errors.push(FieldError::new(
                field,
                "unknown_reference",
                format!("unknown label '{l}'"),
            ));
        }
    }
    let types = body.relationship_types.clone().unwrap_or_default();
    for t in &types {
        if !boot.edge_definitions.iter().any(|e| &e.edge_type == t) {
            errors.push(FieldError::new(
                "relationship_types",
                "unknown_reference",
                format!("unknown edge type '{t}'"),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let (source_key, target_key) = (
        body.source_id.clone().unwrap_or_default(),
        body.target_id.clone().unwrap_or_default(),
    );
    let started_at = Utc::now();
    let started = Instant::now();
    let worker_engine = Arc::clone(&engine);
    let outcome = tokio::task::spawn_blocking(move || -> Result<Value, ApiError> {
        let engine = worker_engine.as_ref();
        let resolve = |which: &str, label: Option<&str>, key: &Value| -> Result<i64, ApiError> {
            let found = find_nodes(engine, &boot, label, key)?;
            match found.len() {
                0 => Err(ApiError::new(
                    ErrorCode::NotFound,
                    format!("No {which} node with key {key}"),
                )
                .detail("resource_type", "node")
                .detail("resource_id", key.clone())
                .detail("which", which)),
                1 => Ok(found[0].1),
                _ => Err(ApiError::validation(vec![FieldError::new(
                    format!("{which}_id"),
                    "ambiguous_node",
                    format!("{key} matches nodes of several labels; give {which}_label"),
                )])),
            }
        };
        let source = resolve("source", body.source_label.as_deref(), &source_key)?;
        let target = resolve("target", body.target_label.as_deref(), &target_key)?;
        let topo = engine.topology(&[], &types).map_err(ApiError::internal)?;
        let edges: Vec<(u32, u32)> = topo
            .edges
            .iter()
            .flat_map(|l| l.src.iter().copied().zip(l.dst.iter().copied()))
            .collect();
        let csr = Csr::directed(
            topo.node_count(),
            &edges,
            None,
            graph_olap_algorithms::BuildOptions::MULTI,
        )
        .map_err(ApiError::internal)?;
        let cancel = Cancel::with_timeout(Duration::from_millis(timeout_ms));
        let to_u32 = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        let found = graph_olap_algorithms::paths::shortest_path::shortest_path(
            &csr,
            to_u32(source),
            to_u32(target),
            Some(max_depth),
            direction,
            &cancel,
        )
        .map_err(|_| {
            ApiError::new(
                ErrorCode::AlgorithmTimeout,
                "shortest_path exceeded its timeout",
            )
            .detail("timeout_ms", timeout_ms)
        })?;
        let mut nodes = Vec::new();
        let mut keys = Vec::new();
        let mut located: Vec<(String, u32)> = Vec::new();
        // How a node is found by its dense `_id`: Ryugraph's `id()` is an internal (table,
        // offset) pair, so the offset within the label is compared; FalkorDB's `id()` is the
        // dense `_id` itself.
        let dense_ids = engine.wrapper_type() == "falkordb";
        let by_id = |var: &str, param: &str| {
            if dense_ids {
                format!("id({var}) = ${param}")
            } else {
                format!("offset(id({var})) = ${param}")
            }
        };
        for id in &found.path {
            let label = topo.label_of(*id).unwrap_or_default().to_string();
            let first = topo
                .labels
                .iter()
                .find(|r| r.label == label)
                .map_or(0, |r| r.first_id);
            let pk = boot
                .node_definitions
                .iter()
                .find(|n| n.label == label)
                .map(|n| n.primary_key.name.clone())
                .unwrap_or_default();
            let q = format!(
                "MATCH (n:`{}`) WHERE {} RETURN n, n.`{}`",
                label.replace('`', "``"),
                by_id("n", "o"),
                pk.replace('`', "``")
            );
            let key = if dense_ids { *id } else { id - first };
            let out = run_query(engine, &q, json!({"o": key}))?;
            located.push((label.clone(), key));
            if let Some(row) = out.rows.first() {
                nodes.push(row[0].to_json());
                keys.push(row[1].to_json());
            }
        }
        let mut rels = Vec::new();
        for pair in located.windows(2) {
            let ((la, oa), (lb, ob)) = (&pair[0], &pair[1]);
            let mut hit = None;
            for (from, to, x, y) in [(la, lb, oa, ob), (lb, la, ob, oa)] {
                let typed = if types.is_empty() {
                    String::new()
                } else {
                    format!(
                        ":{}",
                        types
                            .iter()
                            .map(|t| format!("`{}`", t.replace('`', "``")))
                            .collect::<Vec<_>>()
                            .join("|")
                    )
                };
                let q = format!(
                    "MATCH (a:`{}`)-[r{typed}]->(b:`{}`) WHERE {} AND {} RETURN r LIMIT 1",
                    from.replace('`', "``"),
                    to.replace('`', "``"),
                    by_id("a", "x"),
                    by_id("b", "y")
                );
                let out = run_query(engine, &q, json!({"x": x, "y": y}))?;
                if let Some(row) = out.rows.first() {
                    hit = Some(row[0].to_json());
                    break;
                }
                if direction != graph_olap_algorithms::Direction::Both {
                    break;
                }
            }
            rels.extend(hit);
        }
        Ok(json!({
            "found": found.found,
            "length": found.length,
            "source_id": source_key,
            "target_id": target_key,
            "path": keys,
            "nodes": nodes,
            "relationships": rels,
        }))
    })
    .await
    .map_err(ApiError::internal)??;
    let execution = Execution {
        id: uuid::Uuid::new_v4().to_string(),
        name: "shortest_path".into(),
        algorithm_type: AlgorithmType::Native,
        status: "completed",
        user_name: caller.username().to_string(),
        node_labels: Vec::new(),
        edge_types: Vec::new(),
        result_property: None,
        write_back: false,
        parameters: Map::new(),
        started_at,
        started,
        completed_at: Some(Utc::now()),
        duration_ms: Some(u64::try_from(started.elapsed().as_millis()).unwrap_or(0)),
        nodes_updated: Some(0),
        result: Some(outcome),
        error_code: None,
        error_message: None,
        cancel: Cancel::never(),
    };
    let body = execution.to_json();
    if let Ok(mut list) = state.algorithms.executions.lock() {
        list.push_back(execution);
        while list.len() > HISTORY {
            list.pop_front();
        }
    }
    state.report_activity("algorithm");
    Ok(axum::Json(body))
}
