//! `POST /algo/shortest_path` (§10.11): the shortest path between two nodes given by primary
//! key, answered synchronously with the path's keys, nodes and relationships, and recorded as a
//! completed execution.
//!
//! Owns: the request's validation (its shape: `api::algorithm`), and running the kernel on the
//! topology. Does not own: the queries that find the nodes and read the path back (`path_lookup`), the kernel
//! (`graph-olap-algorithms`) nor the registry (`registry`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use chrono::Utc;
use graph_olap_algorithms::catalogue::AlgorithmType;
use graph_olap_algorithms::{Cancel, Csr, Direction};
use graph_olap_api::algorithm::{
    AlgorithmExecution, ExecutionStatus, ShortestPathRequest as ShortestPathBody,
    ShortestPathResult,
};
use graph_olap_api::instance::InstanceBootstrap;
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_engine::GraphEngine;
use graph_olap_server_kit::ApiError;
use serde_json::{Map, Value};

use super::path_lookup::{PathReader, find_node};
use super::registry::Execution;
use crate::auth::Caller;
use crate::routes::{parse_body, require_ready};
use crate::state::AppState;

/// A validated request.
struct Search {
    source_key: Value,
    target_key: Value,
    source_label: Option<String>,
    target_label: Option<String>,
    /// Edge types followed (empty: all).
    types: Vec<String>,
    max_depth: u32,
    direction: Direction,
    timeout_ms: u64,
}

/// `POST /algo/shortest_path`: finds the path and records it as a completed execution.
pub(super) async fn shortest_path(
    State(state): State<Arc<AppState>>,
    Caller(caller): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<axum::Json<AlgorithmExecution>, ApiError> {
    let engine = require_ready(&state)?;
    let body: ShortestPathBody = parse_body(&headers, &body)?;
    let boot = state
        .boot
        .get()
        .ok_or_else(|| crate::error::not_ready(state.config.instance_id, "loading"))?
        .clone();
    let search = validate(body, &boot)?;
    let started_at = Utc::now();
    let started = Instant::now();
    let outcome = tokio::task::spawn_blocking(move || search.run(engine.as_ref(), &boot))
        .await
        .map_err(ApiError::internal)??;
    let execution = Execution {
        id: uuid::Uuid::new_v4().to_string(),
        name: "shortest_path".into(),
        algorithm_type: AlgorithmType::Native,
        status: ExecutionStatus::Completed,
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
        result: Some(serde_json::to_value(outcome).map_err(ApiError::internal)?),
        error_code: None,
        error_message: None,
        cancel: Cancel::never(),
    };
    let body = execution.to_wire();
    state.algorithms.record(execution);
    state.report_activity("algorithm");
    Ok(axum::Json(body))
}

/// Checks every field against §10.11 and the mapping, reporting all problems at once.
fn validate(body: ShortestPathBody, boot: &InstanceBootstrap) -> Result<Search, ApiError> {
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
        "both" => Direction::Both,
        "outgoing" => Direction::Out,
        _ => {
            errors.push(FieldError::new(
                "direction",
                "enum",
                "direction must be 'both' or 'outgoing'",
            ));
            Direction::Both
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
    Ok(Search {
        source_key: body.source_id.unwrap_or_default(),
        target_key: body.target_id.unwrap_or_default(),
        source_label: body.source_label,
        target_label: body.target_label,
        types,
        max_depth,
        direction,
        timeout_ms,
    })
}

impl Search {
    /// Finds both nodes, runs the kernel on the topology of the edge types in scope, and reads
    /// the path back.
    fn run(
        self,
        engine: &dyn GraphEngine,
        boot: &InstanceBootstrap,
    ) -> Result<ShortestPathResult, ApiError> {
        let source = find_node(
            engine,
            boot,
            "source",
            self.source_label.as_deref(),
            &self.source_key,
        )?;
        let target = find_node(
            engine,
            boot,
            "target",
            self.target_label.as_deref(),
            &self.target_key,
        )?;
        let topo = engine
            .topology(&[], &self.types)
            .map_err(ApiError::internal)?;
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
        let cancel = Cancel::with_timeout(Duration::from_millis(self.timeout_ms));
        let to_u32 = |v: i64| u32::try_from(v).unwrap_or(u32::MAX);
        let found = graph_olap_algorithms::paths::shortest_path::shortest_path(
            &csr,
            to_u32(source),
            to_u32(target),
            Some(self.max_depth),
            self.direction,
            &cancel,
        )
        .map_err(|_| {
            ApiError::new(
                ErrorCode::AlgorithmTimeout,
                "shortest_path exceeded its timeout",
            )
            .detail("timeout_ms", self.timeout_ms)
        })?;
        let reader = PathReader {
            engine,
            dense_ids: engine.wrapper_type() == "falkordb",
        };
        let (keys, nodes, located) = reader.nodes(&found.path, &topo, boot)?;
        let rels = reader.relationships(&located, &self.types, self.direction)?;
        Ok(ShortestPathResult {
            found: found.found,
            length: found.length.and_then(|l| u64::try_from(l).ok()),
            source_id: self.source_key,
            target_id: self.target_key,
            path: keys,
            nodes,
            relationships: rels,
        })
    }
}
