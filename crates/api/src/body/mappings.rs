//! Bodies of `/api/mappings…` (API.md §3.1–3.5, §5.3) that are not store rows.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::duration::IsoDuration;
use crate::mapping::{EdgeDefinition, NodeDefinition};

/// `POST /api/mappings`: a new mapping and its version 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CreateMapping {
    /// Display name.
    pub name: String,
    /// Optional description.
    #[serde(default)]
    pub description: Option<String>,
    /// Lifecycle TTL (default: the platform's mapping default).
    #[serde(default)]
    pub ttl: Option<IsoDuration>,
    /// Inactivity timeout.
    #[serde(default)]
    pub inactivity_timeout: Option<IsoDuration>,
    /// At least one node definition.
    pub node_definitions: Vec<NodeDefinition>,
    /// Edge definitions between the nodes.
    #[serde(default)]
    pub edge_definitions: Option<Vec<EdgeDefinition>>,
}

/// `PUT /api/mappings/{id}`: header changes and/or new definitions (a new version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateMapping {
    /// Why it changes (recorded on the new version).
    pub change_description: String,
    /// New display name.
    #[serde(default)]
    pub name: Option<String>,
    /// New description (`null` clears it).
    #[serde(default)]
    pub description: Option<String>,
    /// New TTL (`null` clears it).
    #[serde(default)]
    pub ttl: Option<IsoDuration>,
    /// New inactivity timeout (`null` clears it).
    #[serde(default)]
    pub inactivity_timeout: Option<IsoDuration>,
    /// Optimistic check: the version the caller read.
    #[serde(default)]
    pub expected_version: Option<i64>,
    /// New node definitions (absent: unchanged).
    #[serde(default)]
    pub node_definitions: Option<Vec<NodeDefinition>>,
    /// New edge definitions (absent: unchanged; `null`: none).
    #[serde(default)]
    pub edge_definitions: Option<Vec<EdgeDefinition>>,
}

/// `POST /api/mappings/{id}/copy`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CopyMapping {
    /// Name of the copy (default `Copy of <name>`).
    #[serde(default)]
    pub name: Option<String>,
    /// Version to copy (default: the current one).
    #[serde(default)]
    pub version: Option<i64>,
}

/// `PUT /api/mappings/{id}/lifecycle` and `PUT /api/instances/{id}/lifecycle`: at least one field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SetLifecycle {
    /// New TTL (`null` clears it).
    #[serde(default)]
    pub ttl: Option<IsoDuration>,
    /// New inactivity timeout (`null` clears it).
    #[serde(default)]
    pub inactivity_timeout: Option<IsoDuration>,
}

/// `DELETE /api/mappings/{id}`: what the cascade removed (§4.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct MappingDeleted {
    /// The mapping's id.
    pub id: i64,
    /// Always `true`.
    pub deleted: bool,
    /// Snapshots deleted with it.
    pub snapshots_deleted: usize,
    /// Instances terminated with it.
    pub instances_terminated: i64,
}

/// Counts of a [`MappingDiff`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiffSummary {
    /// Labels only in the second version.
    pub nodes_added: usize,
    /// Labels only in the first version.
    pub nodes_removed: usize,
    /// Labels in both whose definitions differ.
    pub nodes_modified: usize,
    /// Edge types only in the second version.
    pub edges_added: usize,
    /// Edge types only in the first version.
    pub edges_removed: usize,
    /// Edge types in both whose definitions differ.
    pub edges_modified: usize,
}

/// One changed definition of a [`MappingDiff`]; `label` (nodes) or `type` (edges) names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DefinitionChange {
    /// `added`, `removed` or `modified`.
    pub change_type: String,
    /// Changed top-level keys for `modified`, else `null`.
    pub fields_changed: Option<Vec<String>>,
    /// Definition before (`null` when added).
    pub from: Option<serde_json::Value>,
    /// Definition after (`null` when removed).
    pub to: Option<serde_json::Value>,
    /// `{"label": …}` or `{"type": …}`.
    #[serde(flatten)]
    pub key: serde_json::Map<String, serde_json::Value>,
}

/// The changed definitions of a [`MappingDiff`], added then removed then modified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct DiffChanges {
    /// Node definitions.
    pub nodes: Vec<DefinitionChange>,
    /// Edge definitions.
    pub edges: Vec<DefinitionChange>,
}

/// Field-level difference of two versions' definitions (§3.4).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MappingDiff {
    /// The mapping.
    pub mapping_id: i64,
    /// Version compared from (0 for proposed definitions against the current version).
    pub from_version: i64,
    /// Version compared to.
    pub to_version: i64,
    /// Counts.
    pub summary: DiffSummary,
    /// The changes.
    pub changes: DiffChanges,
}

/// Totals of a mapping tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TreeTotals {
    /// Versions of the mapping.
    pub version_count: usize,
    /// Snapshots listed.
    pub snapshot_count: usize,
    /// Non-terminated instances of those snapshots.
    pub instance_count: i64,
}
