//! The registry of algorithm executions: the last [`HISTORY`] runs with their state, the single
//! instance-wide lock held by the running one, and the NetworkX worker's catalogue cache.
//!
//! Owns: an execution's record and its wire form (§10.9, `api::algorithm::AlgorithmExecution`),
//! finishing a record, taking and releasing the lock, stopping every run. Does not own:
//! deciding what runs (`request`, `run`) or running it (`job`).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use chrono::{DateTime, Utc};
use graph_olap_algorithms::Cancel;
use graph_olap_algorithms::catalogue::AlgorithmType;
use graph_olap_api::algorithm::{AlgorithmExecution, ExecutionErrorCode, ExecutionStatus};
use graph_olap_api::instance::LockInfo;
use serde_json::{Map, Value};

use super::{type_name, wire_type};
use crate::nx_catalogue;
use crate::state::AppState;

/// Executions kept in the history.
pub const HISTORY: usize = 100;

/// One algorithm execution (§10.9 `AlgorithmExecution`).
#[derive(Debug, Clone)]
pub struct Execution {
    pub(super) id: String,
    pub(super) name: String,
    pub(super) algorithm_type: AlgorithmType,
    pub(super) status: ExecutionStatus,
    pub(super) user_name: String,
    pub(super) node_labels: Vec<String>,
    pub(super) edge_types: Vec<String>,
    pub(super) result_property: Option<String>,
    pub(super) write_back: bool,
    pub(super) parameters: Map<String, Value>,
    pub(super) started_at: DateTime<Utc>,
    pub(super) started: Instant,
    pub(super) completed_at: Option<DateTime<Utc>>,
    pub(super) duration_ms: Option<u64>,
    pub(super) nodes_updated: Option<u64>,
    pub(super) result: Option<Value>,
    pub(super) error_code: Option<ExecutionErrorCode>,
    pub(super) error_message: Option<String>,
    pub(super) cancel: Cancel,
}

impl Execution {
    /// The record as the API shows it.
    pub(super) fn to_wire(&self) -> AlgorithmExecution {
        let single = |v: &Vec<String>| (v.len() == 1).then(|| v[0].clone());
        let elapsed = self
            .duration_ms
            .unwrap_or_else(|| u64::try_from(self.started.elapsed().as_millis()).unwrap_or(0));
        AlgorithmExecution {
            execution_id: self.id.clone(),
            algorithm_name: self.name.clone(),
            algorithm_type: wire_type(self.algorithm_type),
            status: self.status,
            user_name: self.user_name.clone(),
            node_label: single(&self.node_labels),
            edge_type: single(&self.edge_types),
            node_labels: self.node_labels.clone(),
            edge_types: self.edge_types.clone(),
            result_property: self.result_property.clone(),
            write_back: self.write_back,
            parameters: self.parameters.clone(),
            started_at: self.started_at,
            completed_at: self.completed_at,
            elapsed_ms: elapsed,
            duration_ms: self.duration_ms,
            nodes_updated: self.nodes_updated,
            result: self.result.clone(),
            error_code: self.error_code,
            error_message: self.error_message.clone(),
        }
    }

    /// Ends the execution with `status` and, for a failure, its code and message.
    pub(super) fn finish(
        &mut self,
        status: ExecutionStatus,
        code: Option<ExecutionErrorCode>,
        message: Option<String>,
    ) {
        self.status = status;
        self.error_code = code;
        self.error_message = message;
        self.completed_at = Some(Utc::now());
        self.duration_ms = Some(u64::try_from(self.started.elapsed().as_millis()).unwrap_or(0));
    }
}

/// The lock, the execution history and the NetworkX worker's catalogue.
#[derive(Debug, Default)]
pub struct Registry {
    lock: Mutex<Option<String>>,
    pub(super) executions: Mutex<VecDeque<Execution>>,
    pub(super) networkx: nx_catalogue::CatalogueCache,
}

impl Registry {
    /// Applies `f` to the execution `id`, if it is still in the history.
    pub(super) fn with<T>(&self, id: &str, f: impl FnOnce(&mut Execution) -> T) -> Option<T> {
        let mut list = self.executions.lock().ok()?;
        list.iter_mut().find(|e| e.id == id).map(f)
    }

    /// Adds an execution to the history, forgetting the oldest beyond [`HISTORY`].
    pub(super) fn record(&self, execution: Execution) {
        if let Ok(mut list) = self.executions.lock() {
            list.push_back(execution);
            while list.len() > HISTORY {
                list.pop_front();
            }
        }
    }

    /// Takes the lock for execution `id`; `Ok(Some(holder))` when another execution holds it.
    pub(super) fn try_lock(&self, id: &str) -> Result<Option<String>, String> {
        let mut lock = self.lock.lock().map_err(|e| e.to_string())?;
        if let Some(holder) = lock.clone() {
            return Ok(Some(holder));
        }
        *lock = Some(id.to_string());
        Ok(None)
    }

    /// Releases the lock if execution `id` holds it.
    pub(super) fn release(&self, id: &str) {
        if let Ok(mut lock) = self.lock.lock()
            && lock.as_deref() == Some(id)
        {
            *lock = None;
        }
    }

    /// Cancels every running execution (`INSTANCE_STOPPING`), e.g. on shutdown.
    pub fn stop_all(&self) {
        if let Ok(mut list) = self.executions.lock() {
            for e in list
                .iter_mut()
                .filter(|e| e.status == ExecutionStatus::Running)
            {
                e.cancel.cancel();
                e.finish(
                    ExecutionStatus::Cancelled,
                    Some(ExecutionErrorCode::InstanceStopping),
                    Some("The instance is stopping".into()),
                );
            }
        }
        if let Ok(mut lock) = self.lock.lock() {
            *lock = None;
        }
    }
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
