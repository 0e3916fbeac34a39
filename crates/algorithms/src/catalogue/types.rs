//! Catalogue data types, serialised in the shape of API.md's `AlgorithmInfo`.

use serde::Serialize;
use serde_json::Value;

/// Which catalogue an algorithm belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlgorithmType {
    /// `/algo/...`
    Native,
    /// `/networkx/...`
    Networkx,
}

/// Catalogue category (the `category` query filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Node importance.
    Centrality,
    /// Communities and components.
    Community,
    /// Shortest paths.
    Pathfinding,
    /// Node similarity.
    Similarity,
    /// Traversals.
    Traversal,
    /// Clustering coefficients and triangles.
    Clustering,
    /// Link prediction.
    LinkPrediction,
    /// Anything else (density, embeddings).
    Other,
}

/// Declared parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ParamType {
    /// JSON integer.
    #[serde(rename = "int")]
    Int,
    /// JSON number.
    #[serde(rename = "float")]
    Float,
    /// JSON string.
    #[serde(rename = "string")]
    String,
    /// JSON boolean.
    #[serde(rename = "bool")]
    Bool,
    /// Array of integers.
    #[serde(rename = "int[]")]
    IntList,
    /// Array of strings.
    #[serde(rename = "string[]")]
    StringList,
    /// Anything.
    #[serde(rename = "any")]
    Any,
}

/// What a run produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// One value per node (written back).
    NodeValues,
    /// A community per node (written back as INT64).
    Partition,
    /// One number (`result.value`).
    Scalar,
    /// A JSON document (`result.value`).
    Json,
    /// A path.
    Path,
}

/// Property type of written-back values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResultType {
    /// 64-bit float.
    #[serde(rename = "DOUBLE")]
    Double,
    /// 64-bit integer.
    #[serde(rename = "INT64")]
    Int64,
    /// Boolean.
    #[serde(rename = "BOOL")]
    Bool,
}

/// Graph view an algorithm runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GraphTreatment {
    /// Edge direction respected.
    Directed,
    /// The undirected view.
    Undirected,
}

/// One parameter of an algorithm.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// Name as sent in `parameters`.
    pub name: &'static str,
    /// Declared type.
    #[serde(rename = "type")]
    pub param_type: ParamType,
    /// Whether the caller must send it.
    pub required: bool,
    /// Default (JSON `null` when absent means "not set", e.g. exact betweenness).
    pub default: Value,
    /// Human description.
    pub description: &'static str,
    /// Inclusive (or, with `exclusive_minimum`, exclusive) lower bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<f64>,
    /// Inclusive (or, with `exclusive_maximum`, exclusive) upper bound.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<f64>,
    /// Allowed string values.
    #[serde(rename = "enum", skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<&'static str>>,
    /// `minimum` is exclusive (`0 < x`).
    #[serde(skip)]
    pub exclusive_minimum: bool,
    /// `maximum` is exclusive (`x < 1`).
    #[serde(skip)]
    pub exclusive_maximum: bool,
    /// `null` is accepted (meaning the default behaviour).
    #[serde(skip)]
    pub nullable: bool,
    /// Other accepted names (e.g. `k` for `sample_size`).
    #[serde(skip)]
    pub aliases: Vec<&'static str>,
}

/// Which kernel (and which result shape) an entry runs; not serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum Kernel {
    PageRank,
    Betweenness,
    Degree,
    DegreeCentrality,
    InDegreeCentrality,
    OutDegreeCentrality,
    Closeness,
    Harmonic,
    Eigenvector,
    Katz,
    Wcc,
    Scc,
    SccKosaraju,
    ConnectedComponents,
    NumberConnectedComponents,
    NumberStronglyConnectedComponents,
    NumberWeaklyConnectedComponents,
    Louvain,
    Leiden,
    LabelPropagation,
    GreedyModularity,
    KCore,
    TriangleCount,
    LocalClustering,
    SquareClustering,
    AverageClustering,
    Transitivity,
    Density,
    FastRp,
    Similarity,
}

/// One catalogue entry (API.md `AlgorithmInfo`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlgorithmInfo {
    /// Name in the URL (case-sensitive).
    pub name: &'static str,
    /// Human name.
    pub display_name: &'static str,
    /// Catalogue.
    #[serde(rename = "type")]
    pub algorithm_type: AlgorithmType,
    /// Category.
    pub category: Category,
    /// One-line description.
    pub description: &'static str,
    /// Longer description (semantics, reference).
    pub long_description: Option<&'static str>,
    /// Accepted parameters.
    pub parameters: Vec<Param>,
    /// What the per-node value (or result) means.
    pub returns: &'static str,
    /// Result shape.
    pub result_kind: ResultKind,
    /// Written-back property type for `node_values` / `partition`.
    pub result_type: Option<ResultType>,
    /// Graph view used.
    pub graph_treatment: GraphTreatment,
    /// True for `node_values` and `partition`.
    pub supports_write_back: bool,
    /// Default execution timeout.
    pub default_timeout_ms: u64,
    /// Kernel to run.
    #[serde(skip)]
    pub kernel: Kernel,
}

/// Small constructors keeping the catalogue tables readable.
pub(crate) mod build {
    use super::*;

    fn base(
        name: &'static str,
        param_type: ParamType,
        default: Value,
        description: &'static str,
    ) -> Param {
        Param {
            name,
            param_type,
            required: false,
            default,
            description,
            minimum: None,
            maximum: None,
            allowed: None,
            exclusive_minimum: false,
            exclusive_maximum: false,
            nullable: false,
            aliases: Vec::new(),
        }
    }

    /// A float parameter.
    pub fn float(name: &'static str, default: f64, description: &'static str) -> Param {
        base(name, ParamType::Float, default.into(), description)
    }

    /// An integer parameter.
    pub fn int(name: &'static str, default: i64, description: &'static str) -> Param {
        base(name, ParamType::Int, default.into(), description)
    }

    /// An optional integer parameter (default `null`).
    pub fn opt_int(name: &'static str, description: &'static str) -> Param {
        Param {
            nullable: true,
            ..base(name, ParamType::Int, Value::Null, description)
        }
    }

    /// A boolean parameter.
    pub fn boolean(name: &'static str, default: bool, description: &'static str) -> Param {
        base(name, ParamType::Bool, default.into(), description)
    }

    /// A string parameter restricted to `allowed`.
    pub fn choice(
        name: &'static str,
        default: &'static str,
        allowed: &[&'static str],
        description: &'static str,
    ) -> Param {
        Param {
            allowed: Some(allowed.to_vec()),
            ..base(name, ParamType::String, default.into(), description)
        }
    }

    /// Seed parameter (non-negative; `null` accepted and meaning 0 where `nullable`).
    pub fn seed(nullable: bool) -> Param {
        let default = if nullable { Value::Null } else { 0.into() };
        Param {
            minimum: Some(0.0),
            nullable,
            ..base(
                "seed",
                ParamType::Int,
                default,
                "Random seed; identical inputs and seed give identical results (null = 0)",
            )
        }
    }

    impl Param {
        /// Inclusive bounds.
        pub fn range(mut self, min: Option<f64>, max: Option<f64>) -> Self {
            self.minimum = min;
            self.maximum = max;
            self
        }

        /// Exclusive lower bound.
        pub fn above(mut self, min: f64) -> Self {
            self.minimum = Some(min);
            self.exclusive_minimum = true;
            self
        }

        /// Exclusive upper bound.
        pub fn below(mut self, max: f64) -> Self {
            self.maximum = Some(max);
            self.exclusive_maximum = true;
            self
        }

        /// Another accepted name.
        pub fn alias(mut self, alias: &'static str) -> Self {
            self.aliases.push(alias);
            self
        }
    }
}
