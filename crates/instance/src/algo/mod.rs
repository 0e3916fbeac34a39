//! Algorithm endpoints of the instance API (§10.7–§10.12): catalogues, runs, the lock, the
//! execution registry, status, history and cancellation.
//!
//! Owns, one file each: the routes and namespaces (here), the registry of executions with the
//! single instance-wide lock (`registry`), resolving a name to a native kernel or a NetworkX
//! function (`entry`), the catalogue endpoints (`catalogue`), the execution endpoints
//! (`executions`), validating a run request (`request`), starting it (`run`), running it on a
//! projection and writing back (`job`), and `POST /algo/shortest_path` (`shortest_path`,
//! reading the graph through `path_lookup`). Does not own: the catalogue, parameter validation
//! or the kernels (`graph-olap-algorithms`), the worker and its catalogue (`nx_worker`,
//! `nx_catalogue`, `nx_run`), the projection of the graph (`projection`), nor the engine.

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};
use graph_olap_algorithms::catalogue::AlgorithmType;

use crate::state::AppState;

mod catalogue;
mod entry;
mod executions;
mod job;
mod path_lookup;
mod registry;
mod request;
mod run;
mod shortest_path;

pub(crate) use job::JobFailure;
pub use registry::{HISTORY, Registry, lock_info};

/// Routes of both namespaces.
pub fn routes() -> Router<Arc<AppState>> {
    let mut router = Router::new().route("/algo/shortest_path", post(shortest_path::shortest_path));
    for ns in ["algo", "networkx"] {
        router = router
            .route(&format!("/{ns}/algorithms"), get(catalogue::list))
            .route(
                &format!("/{ns}/algorithms/{{name}}"),
                get(catalogue::describe),
            )
            .route(&format!("/{ns}/executions"), get(executions::executions))
            .route(
                &format!("/{ns}/executions/{{execution_id}}"),
                delete(executions::cancel),
            )
            .route(
                &format!("/{ns}/status/{{execution_id}}"),
                get(executions::status),
            )
            .route(&format!("/{ns}/{{name}}"), post(run::start));
    }
    router
}

/// The namespace a request path is in: `/networkx/…` or `/algo/…`.
fn namespace(headers_path: &str) -> AlgorithmType {
    if headers_path.starts_with("/networkx") {
        AlgorithmType::Networkx
    } else {
        AlgorithmType::Native
    }
}

/// The wire spelling of a namespace.
fn type_name(t: AlgorithmType) -> &'static str {
    match t {
        AlgorithmType::Native => "native",
        AlgorithmType::Networkx => "networkx",
    }
}
