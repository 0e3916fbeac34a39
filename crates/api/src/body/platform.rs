//! Bodies of `/api/platform/…` (issue 20, the platform-as-code ledger) that do not embed store
//! rows; the ledger records themselves are the store's rows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::mapping::{EdgeDefinition, NodeDefinition};

/// `POST /api/platform/lock/{lock_id}/release`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct LockReleased {
    /// The lock.
    pub lock_id: String,
    /// Always `true`.
    pub released: bool,
    /// Whether another holder's lock was broken.
    pub forced: bool,
}

/// `POST /api/platform/import`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Imported {
    /// Resources recorded.
    pub imported: usize,
}

/// `POST /api/platform/refresh`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Refreshed {
    /// Observations received.
    pub observed: usize,
    /// Keys of the resources now marked drifted.
    pub drifted: Vec<String>,
}

/// `POST /api/platform/mapping-diff`: proposed definitions of a mapping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProposedDefinitions {
    /// The mapping compared against.
    pub mapping_id: i64,
    /// Proposed node definitions.
    pub node_definitions: Vec<NodeDefinition>,
    /// Proposed edge definitions.
    #[serde(default)]
    pub edge_definitions: Option<Vec<EdgeDefinition>>,
}

/// `POST /api/platform/mapping-check`: definitions to validate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Definitions {
    /// Node definitions.
    pub node_definitions: Vec<NodeDefinition>,
    /// Edge definitions.
    #[serde(default)]
    pub edge_definitions: Option<Vec<EdgeDefinition>>,
}

/// The answer of `POST /api/platform/mapping-check`: the definitions as normalised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DefinitionsChecked {
    /// Always `true` (invalid definitions are answered with `VALIDATION_FAILED`).
    pub valid: bool,
    /// When they were checked.
    #[schemars(with = "chrono::DateTime<chrono::Utc>")]
    pub checked_at: String,
    /// Normalised node definitions.
    pub node_definitions: Vec<NodeDefinition>,
    /// Normalised edge definitions.
    pub edge_definitions: Vec<EdgeDefinition>,
}
