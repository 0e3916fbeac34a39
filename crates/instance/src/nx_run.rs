//! One execution of a NetworkX function in the worker: from the projection to the execution's
//! `result` and the atomic write-back of node results.
//!
//! Owns: handing the projection to `nx_worker` (edges in ascending order, so NetworkX sees a
//! deterministic adjacency order), mapping worker errors onto execution error codes, and turning
//! the worker's result into write-back columns (`node_values`, `partition`) or `result.value`.
//! Does not own: the lock, the execution record, the projection, nor the engine's write-back.

use graph_olap_algorithms::{Cancel, Interrupted};
use graph_olap_engine::{GraphEngine, WriteBack, WriteValues};
use serde_json::{Map, Value, json};

use crate::algo::JobFailure;
use crate::nx_catalogue::NxFunction;
use crate::nx_worker::{
    self, Column, MAX_RESULT_BYTES, RunRequest, WorkerConfig, WorkerError, WorkerResult,
};
use crate::projection::Projection;

/// What the worker runs for one execution.
#[derive(Debug, Clone)]
pub struct WorkerJob {
    /// The catalogue entry.
    pub function: NxFunction,
    /// The parameters exactly as the caller sent them (NetworkX applies its own defaults).
    pub parameters: Map<String, Value>,
    /// Interpreter, directory and memory bound.
    pub config: WorkerConfig,
    /// The execution id (names the job directory).
    pub job_id: String,
}

impl WorkerJob {
    /// Runs the function on `projection`; with a `property`, node results are written back
    /// (several columns, e.g. HITS hubs and authorities, as `property_0`, `property_1`, …),
    /// otherwise they come back in `result.value` keyed by `_id`.
    pub(crate) fn run(
        &self,
        engine: &dyn GraphEngine,
        mut projection: Projection,
        property: Option<&str>,
        cancel: &Cancel,
    ) -> Result<(Value, u64), JobFailure> {
        projection.edges.sort_unstable();
        let request = RunRequest {
            module: &self.function.module,
            function: &self.function.function,
            parameters: &self.parameters,
            nodes: &projection.global_of_local,
            edges: &projection.edges,
        };
        let output =
            nx_worker::run(&self.config, &self.job_id, &request, cancel).map_err(failure)?;
        let nodes = &projection.global_of_local;
        let mut result = Map::new();
        result.insert("implementation".into(), json!("networkx"));
        let columns: Vec<WriteValues> = match output {
            WorkerResult::NodeValues { columns, summary } => {
                result.extend(summary);
                result.insert("result_kind".into(), json!("node_values"));
                if property.is_none() {
                    let values: Vec<Value> =
                        columns.iter().map(|c| by_id(nodes, &c.values)).collect();
                    let value = if values.len() == 1 {
                        values.into_iter().next().unwrap_or_default()
                    } else {
                        Value::Array(values)
                    };
                    insert_bounded(&mut result, value);
                    Vec::new()
                } else {
                    columns.iter().map(write_values).collect::<Result<_, _>>()?
                }
            }
            WorkerResult::Partition {
                membership,
                summary,
            } => {
                result.extend(summary);
                result.insert("result_kind".into(), json!("partition"));
                if property.is_none() {
                    let values: Vec<Value> = membership.iter().map(|m| json!(m)).collect();
                    insert_bounded(&mut result, by_id(nodes, &values));
                    Vec::new()
                } else {
                    vec![WriteValues::Int64(membership)]
                }
            }
            WorkerResult::Scalar { value, summary } => {
                result.extend(summary);
                result.insert("result_kind".into(), json!("scalar"));
                result.insert("value".into(), value);
                Vec::new()
            }
            WorkerResult::Json {
                value,
                truncated,
                summary,
            } => {
                result.extend(summary);
                result.insert("result_kind".into(), json!("json"));
                result.insert("value".into(), value);
                result.insert("truncated".into(), json!(truncated));
                Vec::new()
            }
        };
        let (Some(property), false) = (property, columns.is_empty()) else {
            return Ok((Value::Object(result), 0));
        };
        let names: Vec<String> = if columns.len() == 1 {
            vec![property.to_string()]
        } else {
            (0..columns.len())
                .map(|i| format!("{property}_{i}"))
                .collect()
        };
        if cancel.is_cancelled() {
            return Err(JobFailure::cancelled());
        }
        let mut updated = 0;
        for (name, values) in names.iter().zip(columns) {
            let written = engine
                .write_back(&WriteBack {
                    property: name.clone(),
                    labels: projection.labels.clone(),
                    node_ids: projection.global_of_local.clone(),
                    values,
                })
                .map_err(|e| JobFailure::failed(e.to_string()))?;
            updated = updated.max(written);
        }
        result.insert("properties".into(), json!(names));
        Ok((Value::Object(result), updated))
    }
}

/// Worker errors as execution failures; NetworkX's own errors keep their class and message and
/// are described in `result.error`.
fn failure(e: WorkerError) -> JobFailure {
    match e {
        WorkerError::Interrupted(Interrupted::Cancelled) => JobFailure::cancelled(),
        WorkerError::Interrupted(Interrupted::TimedOut) => JobFailure::timed_out(),
        WorkerError::Python {
            error_type,
            kind,
            message,
        } => JobFailure {
            message: format!("{error_type}: {message}"),
            detail: Some(json!({"error": {"type": error_type, "kind": kind, "message": message}})),
            ..JobFailure::failed(String::new())
        },
        other => JobFailure::failed(other.to_string()),
    }
}

fn write_values(column: &Column) -> Result<WriteValues, JobFailure> {
    let values = &column.values;
    Ok(match column.ty.as_str() {
        "DOUBLE" => WriteValues::Double(values.iter().map(Value::as_f64).collect()),
        "INT64" => WriteValues::Int64(values.iter().map(Value::as_i64).collect()),
        "BOOL" => WriteValues::Bool(values.iter().map(Value::as_bool).collect()),
        other => {
            return Err(JobFailure::failed(format!(
                "the NetworkX worker returned a column of unknown type {other}"
            )));
        }
    })
}

/// `{"<_id>": value}` for the nodes that have a value.
fn by_id(nodes: &[u32], values: &[Value]) -> Value {
    let map: Map<String, Value> = nodes
        .iter()
        .zip(values)
        .filter(|(_, v)| !v.is_null())
        .map(|(n, v)| (n.to_string(), v.clone()))
        .collect();
    Value::Object(map)
}

/// Inserts `value` as `result.value`, cut to [`MAX_RESULT_BYTES`] of JSON (`truncated`).
fn insert_bounded(result: &mut Map<String, Value>, value: Value) {
    let mut truncated = false;
    let value = match value {
        Value::Object(map) if value_len(&map) > MAX_RESULT_BYTES => {
            truncated = true;
            let mut kept = Map::new();
            let mut size = 2;
            for (k, v) in map {
                size += k.len() + 4 + v.to_string().len();
                if size > MAX_RESULT_BYTES {
                    break;
                }
                kept.insert(k, v);
            }
            Value::Object(kept)
        }
        other => other,
    };
    result.insert("value".into(), value);
    result.insert("truncated".into(), json!(truncated));
}

fn value_len(map: &Map<String, Value>) -> usize {
    serde_json::to_vec(map).map_or(usize::MAX, |v| v.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_values_without_a_property_are_keyed_by_id_and_bounded() {
        let nodes: Vec<u32> = (0..200_000).collect();
        let values: Vec<Value> = nodes.iter().map(|n| json!(f64::from(*n) * 1.5)).collect();
        let mut result = Map::new();
        insert_bounded(&mut result, by_id(&nodes, &values));
        assert_eq!(result["truncated"], true);
        assert!(serde_json::to_vec(&result["value"]).unwrap().len() <= MAX_RESULT_BYTES);
        assert_eq!(result["value"]["3"], 4.5);
        let mut small = Map::new();
        insert_bounded(&mut small, by_id(&[5, 9], &[json!(1), Value::Null]));
        assert_eq!(small["value"], json!({"5": 1}));
        assert_eq!(small["truncated"], false);
    }
}
