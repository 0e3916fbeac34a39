//! What the place that runs instances has room for: its nodes' allocatable CPU and memory, what
//! is requested on each, and the runtime's units by phase. The control plane's cluster views
//! (`GET /api/cluster/capacity`, `GET /api/cluster/instances`) report it.
//!
//! The vocabulary is Kubernetes' (pod phases, allocatable vs requested); the local runtime
//! answers in the same terms for the one machine it runs on.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::UnitState;

/// Every unit phase, in lifecycle order (the Kubernetes pod phases).
pub const UNIT_PHASES: [&str; 5] = ["Pending", "Running", "Succeeded", "Failed", "Unknown"];

/// An amount of CPU and memory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resources {
    /// CPU in thousandths of a core.
    pub cpu_millicores: u64,
    /// Memory in bytes.
    pub memory_bytes: u64,
}

impl Resources {
    /// The sum of two amounts (saturating).
    pub fn plus(self, other: Resources) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.saturating_add(other.cpu_millicores),
            memory_bytes: self.memory_bytes.saturating_add(other.memory_bytes),
        }
    }

    /// What is left of `self` after `used`, never below zero.
    pub fn minus(self, used: Resources) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.saturating_sub(used.cpu_millicores),
            memory_bytes: self.memory_bytes.saturating_sub(used.memory_bytes),
        }
    }

    /// The larger of each amount (Kubernetes takes the largest init container's requests).
    pub fn max(self, other: Resources) -> Resources {
        Resources {
            cpu_millicores: self.cpu_millicores.max(other.cpu_millicores),
            memory_bytes: self.memory_bytes.max(other.memory_bytes),
        }
    }
}

/// One node (a Kubernetes node, or the machine of the local runtime).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCapacity {
    /// Node name (the machine's host name for the local runtime).
    pub name: String,
    /// The node's `Ready` condition is true.
    pub ready: bool,
    /// New pods may be scheduled on it (not cordoned).
    pub schedulable: bool,
    /// What the scheduler may hand out on it.
    pub allocatable: Resources,
    /// The requests of the pods counted on it (see [`RequestScope`]).
    pub requested: Resources,
    /// How many pods were counted on it.
    pub pods: usize,
}

/// Whose requests [`NodeCapacity::requested`] adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestScope {
    /// Every non-terminated pod on the node, in every namespace (what the scheduler sees).
    AllPods,
    /// Only this runtime's own units: the cluster refused a cluster-wide pod list, or the local
    /// machine, whose other processes request nothing.
    OwnUnits,
}

/// The runtime's answer to "how full is it".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeCapacity {
    /// The runtime implementation (`"local"`, `"kubernetes"`).
    pub kind: String,
    /// This runtime's units per phase ([`UNIT_PHASES`]; phases without units may be absent).
    pub units_by_phase: BTreeMap<String, usize>,
    /// Every node, by name.
    pub nodes: Vec<NodeCapacity>,
    /// Whose requests the nodes' `requested` counts.
    pub requests_counted: RequestScope,
}

impl UnitState {
    /// The unit's phase in [`UNIT_PHASES`] terms, for runtimes without phases of their own: a
    /// running unit is `Running`, one that exited with code 0 `Succeeded`, any other `Failed`.
    pub fn phase(&self) -> &'static str {
        match self {
            UnitState::Running => "Running",
            UnitState::Exited { code: Some(0), .. } => "Succeeded",
            UnitState::Exited { .. } => "Failed",
        }
    }
}
