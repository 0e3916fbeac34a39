//! The catalogue endpoints (§10.7, §10.8): listing and describing the algorithms of a namespace,
//! on `/networkx` merged with the worker's functions.
//!
//! Owns: the query parameters and the bodies of both endpoints. Does not own: the catalogues
//! (`graph-olap-algorithms`, `nx_catalogue`) nor resolving a name for a run (`entry`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use graph_olap_algorithms::catalogue::{self, AlgorithmType, Category};
use graph_olap_api::FieldError;
use graph_olap_api::algorithm::{AlgorithmCatalogue, AlgorithmInfo};
use graph_olap_server_kit::ApiError;
use serde::Deserialize;
use serde_json::json;

use super::entry::{not_found, worker_catalogue, worker_unavailable};
use super::namespace;
use crate::auth::Caller;
use crate::nx_catalogue;
use crate::routes::require_ready;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub(super) struct ListQuery {
    category: Option<String>,
    search: Option<String>,
}

/// `GET /{ns}/algorithms` (§10.7): the catalogue, filtered by category and search text.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    uri: axum::http::Uri,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<AlgorithmCatalogue>, ApiError> {
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
        let (networkx_version, worker_error) = match worker {
            Ok(w) => (Some(w.networkx_version.clone()), None),
            Err(e) => (None, Some(worker_unavailable(&e).message)),
        };
        return Ok(axum::Json(AlgorithmCatalogue {
            total_count: items.len(),
            algorithms: items,
            networkx_version,
            worker_error,
        }));
    }
    let items: Vec<AlgorithmInfo> = catalogue::list(t, category, q.search.as_deref())
        .into_iter()
        .map(nx_catalogue::native_info)
        .collect();
    Ok(axum::Json(AlgorithmCatalogue {
        total_count: items.len(),
        algorithms: items,
        networkx_version: None,
        worker_error: None,
    }))
}

/// `GET /{ns}/algorithms/{name}` (§10.8): one entry with its parameters.
pub(super) async fn describe(
    State(state): State<Arc<AppState>>,
    Caller(_): Caller,
    uri: axum::http::Uri,
    Path(name): Path<String>,
) -> Result<axum::Json<AlgorithmInfo>, ApiError> {
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
