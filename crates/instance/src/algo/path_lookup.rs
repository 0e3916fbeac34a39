//! Reading the graph for `shortest_path` through queries: finding a node by its primary key,
//! and reading a path's nodes and relationships back by their dense `_id`s.
//!
//! Owns: those queries and how a node's `_id` is matched on each engine. Does not own: the
//! search itself (`shortest_path`).

use std::time::Duration;

use graph_olap_algorithms::Direction;
use graph_olap_api::instance::InstanceBootstrap;
use graph_olap_api::{ErrorCode, FieldError};
use graph_olap_engine::{GraphEngine, Topology};
use graph_olap_server_kit::ApiError;
use serde_json::{Map, Value, json};

/// The one node with primary key `key` (in `label`, or in any label): `404` when none, `400
/// ambiguous_node` when several labels have it. `which` is `source` or `target`.
pub(super) fn find_node(
    engine: &dyn GraphEngine,
    boot: &InstanceBootstrap,
    which: &str,
    label: Option<&str>,
    key: &Value,
) -> Result<i64, ApiError> {
    let found = find_nodes(engine, boot, label, key)?;
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
}

/// Finds the `_id`s of nodes whose primary key equals `key` in the candidate labels.
fn find_nodes(
    engine: &dyn GraphEngine,
    boot: &InstanceBootstrap,
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

/// Reads a path's nodes and relationships back from the engine by the nodes' dense `_id`s.
pub(super) struct PathReader<'a> {
    pub(super) engine: &'a dyn GraphEngine,
    /// How a node is found by its dense `_id`: Ryugraph's `id()` is an internal (table, offset)
    /// pair, so the offset within the label is compared; FalkorDB's `id()` is the dense `_id`
    /// itself.
    pub(super) dense_ids: bool,
}

impl PathReader<'_> {
    fn by_id(&self, var: &str, param: &str) -> String {
        if self.dense_ids {
            format!("id({var}) = ${param}")
        } else {
            format!("offset(id({var})) = ${param}")
        }
    }

    /// The primary keys and nodes along `path`, and each node's (label, id within the query).
    #[allow(clippy::type_complexity)]
    pub(super) fn nodes(
        &self,
        path: &[u32],
        topo: &Topology,
        boot: &InstanceBootstrap,
    ) -> Result<(Vec<Value>, Vec<Value>, Vec<(String, u32)>), ApiError> {
        let mut nodes = Vec::new();
        let mut keys = Vec::new();
        let mut located: Vec<(String, u32)> = Vec::new();
        for id in path {
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
                self.by_id("n", "o"),
                pk.replace('`', "``")
            );
            let key = if self.dense_ids { *id } else { id - first };
            let out = run_query(self.engine, &q, json!({"o": key}))?;
            located.push((label.clone(), key));
            if let Some(row) = out.rows.first() {
                nodes.push(row[0].to_json());
                keys.push(row[1].to_json());
            }
        }
        Ok((keys, nodes, located))
    }

    /// One relationship between each pair of consecutive nodes, of the types in scope, forward
    /// first and — when the direction is `both` — backward.
    pub(super) fn relationships(
        &self,
        located: &[(String, u32)],
        types: &[String],
        direction: Direction,
    ) -> Result<Vec<Value>, ApiError> {
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
        let mut rels = Vec::new();
        for pair in located.windows(2) {
            let ((la, oa), (lb, ob)) = (&pair[0], &pair[1]);
            let mut hit = None;
            for (from, to, x, y) in [(la, lb, oa, ob), (lb, la, ob, oa)] {
                let q = format!(
                    "MATCH (a:`{}`)-[r{typed}]->(b:`{}`) WHERE {} AND {} RETURN r LIMIT 1",
                    from.replace('`', "``"),
                    to.replace('`', "``"),
                    self.by_id("a", "x"),
                    self.by_id("b", "y")
                );
                let out = run_query(self.engine, &q, json!({"x": x, "y": y}))?;
                if let Some(row) = out.rows.first() {
                    hit = Some(row[0].to_json());
                    break;
                }
                if direction != Direction::Both {
                    break;
                }
            }
            rels.extend(hit);
        }
        Ok(rels)
    }
}

/// Runs one read query with a 60 s timeout and at most 10 000 rows.
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
        .map_err(ApiError::from)
}
