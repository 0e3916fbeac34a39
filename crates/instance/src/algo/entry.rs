//! What a request runs: one of our kernels, or a NetworkX function in the worker, chosen by name
//! and — on `/networkx` — by the parameters given (native first; the worker for names we have no
//! kernel for, and for parameters our kernel does not support).
//!
//! Owns: [`Entry`] and its validated parameters, resolving a name, the worker's configuration and
//! catalogue on this instance, and the `ALGORITHM_NOT_FOUND` / worker-unavailable answers. Does
//! not own: the catalogues themselves (`graph-olap-algorithms`, `nx_catalogue`).

use std::sync::Arc;

use graph_olap_algorithms::catalogue::{self, AlgorithmInfo, AlgorithmType, ParamErrorReason};
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_server_kit::ApiError;
use serde_json::{Map, Value};

use super::type_name;
use crate::nx_catalogue::{self, NxCatalogue, NxFunction};
use crate::nx_worker::{WorkerConfig, WorkerError};
use crate::state::AppState;

/// What a request runs: one of our kernels, or a NetworkX function in the worker.
pub(super) enum Entry {
    Native(&'static AlgorithmInfo),
    Worker(Box<NxFunction>),
}

/// Validated parameters of an [`Entry`].
pub(super) enum EntryParams {
    Native(catalogue::ValidatedParams),
    /// The effective parameters (for the record) and the ones sent (for the call).
    Worker(Map<String, Value>, Map<String, Value>),
}

impl Entry {
    /// The algorithm's name.
    pub(super) fn name(&self) -> &str {
        match self {
            Entry::Native(info) => info.name,
            Entry::Worker(f) => &f.name,
        }
    }

    /// The timeout of a run that does not give one.
    pub(super) fn default_timeout_ms(&self) -> u64 {
        match self {
            Entry::Native(info) => info.default_timeout_ms,
            Entry::Worker(_) => nx_catalogue::WORKER_TIMEOUT_MS,
        }
    }

    /// Whether a run writes back: native per catalogue; in the worker whenever a
    /// `result_property` is given (the result's shape decides what is written).
    pub(super) fn writes_back(&self, requested: bool, property: Option<&String>) -> bool {
        requested
            && match self {
                Entry::Native(info) => info.supports_write_back,
                Entry::Worker(_) => property.is_some(),
            }
    }

    /// Validates the request's `parameters` against the entry's.
    pub(super) fn validate(&self, given: &Value) -> Result<EntryParams, Vec<FieldError>> {
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

/// The `details.errors[].reason` token of a parameter problem.
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

/// Resolves `name`: a native kernel first; on `/networkx` the worker when we have no kernel of
/// that name, or when our kernel refuses a parameter that the NetworkX function takes.
pub(super) async fn resolve(
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

/// `404 ALGORITHM_NOT_FOUND`, with the reason when NetworkX has the name but we cannot offer it.
pub(super) fn not_found(name: &str, t: AlgorithmType) -> ApiError {
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

/// How the NetworkX worker runs on this instance (interpreter, directory, memory bound).
pub(super) fn worker_config(state: &AppState) -> WorkerConfig {
    WorkerConfig::from_env(
        &state.config.data_dir,
        state.boot.get().and_then(|b| b.memory_gb),
    )
}

/// The worker's catalogue, listed once per instance (in a blocking task).
pub(super) async fn worker_catalogue(
    state: &Arc<AppState>,
) -> Result<Arc<NxCatalogue>, WorkerError> {
    let state = Arc::clone(state);
    tokio::task::spawn_blocking(move || state.algorithms.networkx.get(&worker_config(&state)))
        .await
        .map_err(|e| WorkerError::Protocol(e.to_string()))?
}

/// `503 SERVICE_UNAVAILABLE` for a worker that cannot be started or listed.
pub(super) fn worker_unavailable(e: &WorkerError) -> ApiError {
    tracing::warn!(error = %e, "NetworkX worker unavailable");
    ApiError::new(
        ErrorCode::ServiceUnavailable,
        format!("The NetworkX worker is unavailable: {e}"),
    )
}
