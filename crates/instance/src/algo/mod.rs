//! Algorithm endpoints of the instance API (§10.7–§10.12): catalogues, runs, the lock, the
//! execution registry, status, history and cancellation.
//!
//! Owns, one file each: the endpoints of both namespaces in the route table (here), the
//! registry of executions with the single instance-wide lock (`registry`), resolving a name to
//! a native kernel or a NetworkX function (`entry`), the catalogue endpoints (`catalogue`), the
//! execution endpoints (`executions`), validating a run request (`request`), starting it
//! (`run`), running it on a projection and writing back (`job`), and `POST /algo/shortest_path`
//! (`shortest_path`, reading the graph through `path_lookup`). Does not own: the wire types
//! (`graph_olap_api::algorithm`), the catalogue, parameter validation or the kernels
//! (`graph-olap-algorithms`), the worker and its catalogue (`nx_worker`,
//! `nx_catalogue`, `nx_run`), the projection of the graph (`projection`), nor the engine.

use axum::http::Method;
use axum::routing::{delete, get, post};
use graph_olap_algorithms::catalogue::AlgorithmType;
use graph_olap_api::algorithm::{
    AlgorithmCatalogue, AlgorithmExecution, AlgorithmInfo, AlgorithmRunRequest,
    AlgorithmType as WireType, ExecutionList, ExecutionStatus, ShortestPathRequest,
};
use graph_olap_server_kit::openapi::Framing;
use serde_json::json;

use crate::endpoints::Endpoint;

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

/// The algorithm endpoints of both namespaces (§10.7–§10.12), for the route table.
pub(crate) fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    let name_filter = json!({"type": "string"});
    let mut all = vec![
        Endpoint::new::<AlgorithmExecution>(
            M::POST,
            "/algo/shortest_path",
            "algorithms",
            "Shortest path between two nodes, answered synchronously",
            post(shortest_path::shortest_path),
        )
        .takes::<ShortestPathRequest>(true),
    ];
    for ns in ["algo", "networkx"] {
        all.extend([
            Endpoint::new::<AlgorithmCatalogue>(
                M::GET,
                format!("/{ns}/algorithms"),
                "algorithms",
                "The catalogue, filtered by category and search text",
                get(catalogue::list),
            )
            .query("category", name_filter.clone())
            .query("search", name_filter.clone()),
            Endpoint::new::<AlgorithmInfo>(
                M::GET,
                format!("/{ns}/algorithms/{{name}}"),
                "algorithms",
                "One catalogue entry with its parameters",
                get(catalogue::describe),
            ),
            Endpoint::new::<ExecutionList>(
                M::GET,
                format!("/{ns}/executions"),
                "executions",
                "Execution history, newest first (shared by both namespaces)",
                get(executions::executions),
            )
            .query(
                "status",
                json!({"type": "string", "enum": ExecutionStatus::names()}),
            )
            .query(
                "algorithm_type",
                json!({"type": "string", "enum": WireType::names()}),
            )
            .query(
                "limit",
                json!({"type": "integer", "minimum": 1, "maximum": 100}),
            ),
            Endpoint::new::<AlgorithmExecution>(
                M::DELETE,
                format!("/{ns}/executions/{{execution_id}}"),
                "executions",
                "Cancel a running execution",
                delete(executions::cancel),
            ),
            Endpoint::new::<AlgorithmExecution>(
                M::GET,
                format!("/{ns}/status/{{execution_id}}"),
                "executions",
                "One execution's state",
                get(executions::status),
            ),
            Endpoint::new::<AlgorithmExecution>(
                M::POST,
                format!("/{ns}/{{name}}"),
                "algorithms",
                "Start an algorithm; answers the running execution",
                post(run::start),
            )
            .replies::<AlgorithmExecution>(202, Framing::Bare)
            .takes::<AlgorithmRunRequest>(false),
        ]);
    }
    all
}

/// The namespace a request path is in: `/networkx/…` or `/algo/…`.
fn namespace(headers_path: &str) -> AlgorithmType {
    if headers_path.starts_with("/networkx") {
        AlgorithmType::Networkx
    } else {
        AlgorithmType::Native
    }
}

/// The wire form of a namespace.
fn wire_type(t: AlgorithmType) -> WireType {
    match t {
        AlgorithmType::Native => WireType::Native,
        AlgorithmType::Networkx => WireType::Networkx,
    }
}

/// The wire spelling of a namespace.
fn type_name(t: AlgorithmType) -> &'static str {
    wire_type(t).as_str()
}
