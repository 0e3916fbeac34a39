//! Running one execution off the async runtime: project the scope, run the kernel on a CSR of
//! the projection (or hand the projection to the NetworkX worker), and write the result back
//! through the engine's atomic write-back.
//!
//! Owns: [`Job`], [`JobFailure`] (why a run ended without completing), and turning a kernel's
//! output into the execution's `result` and the values written back. Does not own: the
//! projection (`projection`), the kernels (`graph-olap-algorithms`), the worker protocol
//! (`nx_run`), nor the execution's record (`registry`).

use std::time::Instant;

use graph_olap_algorithms::catalogue::{
    self, AlgorithmInfo, AlgorithmType, GraphViews, OutputValues, ResultKind, RunError,
};
use graph_olap_algorithms::{Cancel, Csr, Interrupted};
use graph_olap_api::algorithm::ExecutionErrorCode;
use graph_olap_engine::{GraphEngine, WriteBack, WriteValues};
use graph_olap_server_kit::crash::{crash_point, steps};
use serde_json::{Value, json};

use crate::nx_run::WorkerJob;
use crate::projection::{ProjectionError, Scope};

/// Why an execution ended without completing.
#[derive(Debug, Clone)]
pub(crate) struct JobFailure {
    /// The execution's `error_code`.
    pub(crate) code: ExecutionErrorCode,
    /// `error_message`.
    pub(crate) message: String,
    /// Kept as the execution's `result` (e.g. the NetworkX exception).
    pub(crate) detail: Option<Value>,
}

impl JobFailure {
    pub(crate) fn failed(message: String) -> Self {
        Self {
            code: ExecutionErrorCode::AlgorithmFailed,
            message,
            detail: None,
        }
    }

    pub(crate) fn cancelled() -> Self {
        Self {
            code: ExecutionErrorCode::Cancelled,
            message: "Cancelled by request".into(),
            detail: None,
        }
    }

    pub(crate) fn timed_out() -> Self {
        Self {
            code: ExecutionErrorCode::AlgorithmTimeout,
            message: "The algorithm exceeded its timeout".into(),
            detail: None,
        }
    }
}

/// Where a native execution's time went, phase by phase, kept in its `result` as `timings_ms`
/// (`projection`, `graph_build`, `compute`, `write_back`) so a slow run shows which part to look
/// at.
struct PhaseTimings {
    last: Instant,
    phases: serde_json::Map<String, Value>,
}

impl PhaseTimings {
    fn start() -> Self {
        Self {
            last: Instant::now(),
            phases: serde_json::Map::new(),
        }
    }

    /// Ends the phase `name` now; the next one starts.
    fn lap(&mut self, name: &str) {
        let now = Instant::now();
        let ms = u64::try_from(now.duration_since(self.last).as_millis()).unwrap_or(u64::MAX);
        self.phases.insert(name.into(), json!(ms));
        self.last = now;
    }

    /// Adds `timings_ms` to an object `result`.
    fn record(self, result: &mut Value) {
        if let Value::Object(m) = result {
            m.insert("timings_ms".into(), Value::Object(self.phases));
        }
    }
}

/// What a job runs: a catalogue kernel with validated parameters, or a NetworkX call.
pub(super) enum JobKind {
    Native {
        info: &'static AlgorithmInfo,
        params: catalogue::ValidatedParams,
    },
    Worker(Box<WorkerJob>),
}

/// One execution's work, moved into a blocking task.
pub(super) struct Job {
    pub(super) kind: JobKind,
    pub(super) scope: Scope,
    pub(super) property: Option<String>,
    pub(super) write_back: bool,
    pub(super) cancel: Cancel,
}

impl Job {
    /// Projects the scope, runs the kernel on its CSR and writes back; returns (`result`, nodes
    /// written).
    pub(super) fn run(self, engine: &dyn GraphEngine) -> Result<(Value, u64), JobFailure> {
        let failed = JobFailure::failed;
        let mut timings = PhaseTimings::start();
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
        timings.lap("projection");
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
        timings.lap("graph_build");
        let views = GraphViews::new(csr);
        let output = catalogue::run(info, params, &views, &self.cancel).map_err(|e| match e {
            RunError::Interrupted(Interrupted::Cancelled) => JobFailure::cancelled(),
            RunError::Interrupted(Interrupted::TimedOut) => JobFailure::timed_out(),
            RunError::Failed { reason } => failed(reason),
        })?;
        // The graph is not needed for the write-back; its memory goes back before the engine's
        // write transaction takes its own.
        drop(views);
        crash_point(steps::ALGO_COMPUTED);
        timings.lap("compute");
        let mut result = Value::Object(output.summary.clone());
        let values = write_values(output.values, info, &global_of_local, &mut result);
        let mut updated = 0;
        if let (true, Some(values), Some(property)) = (self.write_back, values, self.property) {
            if info.result_kind == ResultKind::Scalar {
                timings.record(&mut result);
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
            crash_point(steps::ALGO_WRITTEN_BACK);
            timings.lap("write_back");
        }
        timings.record(&mut result);
        Ok((result, updated))
    }
}

/// The per-node values a kernel's output writes back, in projection order; `None` for outputs
/// that are not per node (a scalar, JSON or a path), which go into `result.value` instead.
/// Community partitions are written as dense indices on `/networkx` and as the `_id` of each
/// community's representative node on `/algo`.
fn write_values(
    values: OutputValues,
    info: &AlgorithmInfo,
    global_of_local: &[u32],
    result: &mut Value,
) -> Option<WriteValues> {
    match values {
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
            if let Value::Object(m) = result {
                m.insert("value".into(), v);
            }
            None
        }
        OutputValues::Path(p) => {
            if let Value::Object(m) = result {
                m.insert("value".into(), json!(format!("{p:?}")));
            }
            None
        }
    }
}
