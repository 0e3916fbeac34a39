//! The graph an algorithm runs on (API.md §10.9 scoping): either the nodes of some labels with
//! the edges of some types between them, or — on `/networkx` — the source/target pairs that a
//! read-only `subgraph_query` returns.
//!
//! Owns: turning either scope into dense local node ids, an edge list over them and the labels
//! that receive the write-back; running the subgraph query under the execution's time budget and
//! cancellation. Does not own: the kernels, the CSR or the write-back itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use graph_olap_algorithms::Cancel;
use graph_olap_engine::{
    CancelToken, GraphEngine, GraphValue, LabelRange, QueryErrorKind, QueryRequest,
};

/// Most rows a `subgraph_query` may return: every row is held in memory while the graph is
/// built (about 100 bytes each), so ten million rows stay near one GiB.
pub const MAX_SUBGRAPH_ROWS: usize = 10_000_000;

/// Which part of the graph an execution projects.
#[derive(Debug, Clone)]
pub enum Scope {
    /// Nodes of `labels` (empty = all) and edges of `types` (empty = all) between them.
    Labels {
        /// Node labels in scope.
        labels: Vec<String>,
        /// Relationship types in scope.
        types: Vec<String>,
    },
    /// The rows of a read-only Cypher statement: column 1 the source, column 2 the target, each a
    /// node or a node `_id`; a null on one side keeps the other as an isolated node.
    Subgraph {
        /// The statement, already through the read-only gate once at request time.
        query: String,
    },
}

/// A projected graph in local ids `0 .. global_of_local.len()`.
#[derive(Debug, Clone, Default)]
pub struct Projection {
    /// The node `_id` of each local id, ascending.
    pub global_of_local: Vec<u32>,
    /// Directed edges between local ids (parallel edges and self-loops kept).
    pub edges: Vec<(u32, u32)>,
    /// Labels with at least one node in the projection (definition order): they receive the
    /// write-back, and their nodes outside the projection keep their values.
    pub labels: Vec<String>,
}

/// Why a projection could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProjectionError {
    /// The execution was cancelled while the projection was being built.
    #[error("cancelled by request")]
    Cancelled,
    /// The execution's time budget ran out while the projection was being built.
    #[error("the algorithm exceeded its timeout while projecting the graph")]
    TimedOut,
    /// The engine failed or the subgraph query's result is not a graph.
    #[error("{0}")]
    Failed(String),
}

impl Scope {
    /// Builds the projection from the engine.
    pub fn project(
        &self,
        engine: &dyn GraphEngine,
        cancel: &Cancel,
    ) -> Result<Projection, ProjectionError> {
        let projection = match self {
            Scope::Labels { labels, types } => from_labels(engine, labels, types)?,
            Scope::Subgraph { query } => from_query(engine, query, cancel)?,
        };
        if projection.global_of_local.is_empty() {
            return Err(ProjectionError::Failed(match self {
                Scope::Labels { .. } => "The projection is empty: no nodes in scope".into(),
                Scope::Subgraph { .. } => {
                    "The projection is empty: subgraph_query returned no nodes".into()
                }
            }));
        }
        Ok(projection)
    }
}

fn from_labels(
    engine: &dyn GraphEngine,
    labels: &[String],
    types: &[String],
) -> Result<Projection, ProjectionError> {
    let topo = engine
        .topology(labels, types)
        .map_err(|e| ProjectionError::Failed(e.to_string()))?;
    let mut local_of_global = vec![u32::MAX; topo.node_count() as usize];
    let mut global_of_local = Vec::new();
    for r in &topo.labels {
        for g in r.first_id..r.first_id + r.count {
            local_of_global[g as usize] = local_id(global_of_local.len())?;
            global_of_local.push(g);
        }
    }
    let local = |g: u32| {
        local_of_global
            .get(g as usize)
            .copied()
            .filter(|l| *l != u32::MAX)
    };
    let mut edges = Vec::new();
    for list in &topo.edges {
        for (s, d) in list.src.iter().zip(&list.dst) {
            if let (Some(a), Some(b)) = (local(*s), local(*d)) {
                edges.push((a, b));
            }
        }
    }
    let labels = topo.labels.into_iter().map(|r| r.label).collect();
    Ok(Projection {
        global_of_local,
        edges,
        labels,
    })
}

fn local_id(index: usize) -> Result<u32, ProjectionError> {
    u32::try_from(index).map_err(|_| {
        ProjectionError::Failed("the graph has too many nodes for one projection".into())
    })
}

fn from_query(
    engine: &dyn GraphEngine,
    query: &str,
    cancel: &Cancel,
) -> Result<Projection, ProjectionError> {
    cancel.check().map_err(|_| interrupted(cancel))?;
    let ranges = engine.node_ranges();
    let node_count = ranges.last().map_or(0, |r| r.first_id + r.count);
    let timeout = cancel.deadline().map_or(Duration::from_secs(3600), |d| {
        d.saturating_duration_since(Instant::now())
    });
    let request = QueryRequest {
        query: query.to_string(),
        parameters: serde_json::Map::new(),
        timeout: timeout.max(Duration::from_millis(1)),
        max_rows: MAX_SUBGRAPH_ROWS,
    };
    let output = with_bridged_cancel(cancel, |token| engine.query(&request, token)).map_err(
        |e| match e.kind {
            QueryErrorKind::Timeout { .. } => ProjectionError::TimedOut,
            QueryErrorKind::Cancelled => ProjectionError::Cancelled,
            _ => ProjectionError::Failed(format!("subgraph_query failed: {}", e.message)),
        },
    )?;
    if output.truncated {
        return Err(ProjectionError::Failed(format!(
            "subgraph_query returned more than {MAX_SUBGRAPH_ROWS} rows; narrow it or use a label/edge-type scope on /algo"
        )));
    }
    if output.columns.len() < 2 {
        return Err(ProjectionError::Failed(format!(
            "subgraph_query must return at least two columns (source, target); it returned {}",
            output.columns.len()
        )));
    }
    let mut pairs: Vec<(Option<u32>, Option<u32>)> = Vec::with_capacity(output.rows.len());
    for row in &output.rows {
        pairs.push((
            node_id(&row[0], node_count, &output.columns[0])?,
            node_id(&row[1], node_count, &output.columns[1])?,
        ));
    }
    drop(output);
    let mut local_of_global = vec![u32::MAX; node_count as usize];
    for (a, b) in &pairs {
        for g in a.iter().chain(b.iter()) {
            local_of_global[*g as usize] = 0;
        }
    }
    let mut global_of_local = Vec::new();
    for (g, slot) in local_of_global.iter_mut().enumerate() {
        if *slot == 0 {
            *slot = local_id(global_of_local.len())?;
            global_of_local.push(g as u32);
        }
    }
    let edges = pairs
        .iter()
        .filter_map(|(a, b)| {
            Some((
                local_of_global[(*a)? as usize],
                local_of_global[(*b)? as usize],
            ))
        })
        .collect();
    let labels = labels_present(&ranges, &global_of_local);
    Ok(Projection {
        global_of_local,
        edges,
        labels,
    })
}

/// The node `_id` in one cell of the subgraph query: a node, an integer `_id`, or null.
fn node_id(
    value: &GraphValue,
    node_count: u32,
    column: &str,
) -> Result<Option<u32>, ProjectionError> {
    let id = match value {
        GraphValue::Null => return Ok(None),
        GraphValue::Node(n) => n.id,
        GraphValue::Int(i, _) => *i,
        other => {
            return Err(ProjectionError::Failed(format!(
                "subgraph_query column '{column}' must hold nodes or node ids (id(n)), not {}",
                other.type_name()
            )));
        }
    };
    u32::try_from(id)
        .ok()
        .filter(|g| *g < node_count)
        .map(Some)
        .ok_or_else(|| {
            ProjectionError::Failed(format!(
                "subgraph_query column '{column}' holds {id}, which is not a node id of this graph"
            ))
        })
}

fn labels_present(ranges: &[LabelRange], sorted_ids: &[u32]) -> Vec<String> {
    ranges
        .iter()
        .filter(|r| {
            let start = sorted_ids.partition_point(|g| *g < r.first_id);
            sorted_ids
                .get(start)
                .is_some_and(|g| *g < r.first_id + r.count)
        })
        .map(|r| r.label.clone())
        .collect()
}

fn interrupted(cancel: &Cancel) -> ProjectionError {
    if cancel.is_cancelled() {
        ProjectionError::Cancelled
    } else {
        ProjectionError::TimedOut
    }
}

/// Runs `f` with an engine cancel token that fires when the execution's [`Cancel`] does, so
/// `DELETE /algo/executions/{id}` also interrupts a running subgraph query.
fn with_bridged_cancel<T>(cancel: &Cancel, f: impl FnOnce(&CancelToken) -> T) -> T {
    let token = CancelToken::new();
    let done = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (token, done, cancel) = (token.clone(), Arc::clone(&done), cancel.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if cancel.is_cancelled() {
                    token.cancel();
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let out = f(&token);
    done.store(true, Ordering::Relaxed);
    let _ = watcher.join();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(label: &str, first_id: u32, count: u32) -> LabelRange {
        LabelRange {
            label: label.into(),
            first_id,
            count,
        }
    }

    #[test]
    fn only_labels_with_projected_nodes_receive_the_write_back() {
        let ranges = [range("A", 0, 3), range("B", 3, 0), range("C", 3, 2)];
        assert_eq!(labels_present(&ranges, &[1, 4]), vec!["A", "C"]);
        assert_eq!(labels_present(&ranges, &[3]), vec!["C"]);
        assert!(labels_present(&ranges, &[]).is_empty());
    }

    #[test]
    fn cells_must_be_nodes_or_node_ids_of_this_graph() {
        assert_eq!(node_id(&GraphValue::Int(2, 64), 3, "a"), Ok(Some(2)));
        assert_eq!(node_id(&GraphValue::Null, 3, "a"), Ok(None));
        let Err(ProjectionError::Failed(m)) = node_id(&GraphValue::Int(3, 64), 3, "b") else {
            panic!()
        };
        assert!(m.contains("'b' holds 3"), "{m}");
        let Err(ProjectionError::Failed(m)) = node_id(&GraphValue::String("x".into()), 3, "a")
        else {
            panic!()
        };
        assert!(m.contains("nodes or node ids"), "{m}");
        assert!(node_id(&GraphValue::Int(-1, 64), 3, "a").is_err());
    }
}
