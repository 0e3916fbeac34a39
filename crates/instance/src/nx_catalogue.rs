//! The `/networkx` catalogue as served: our native NetworkX-compatible kernels merged with every
//! NetworkX function the worker can run, each entry saying where it runs (`implementation`:
//! `native` | `networkx`).
//!
//! Owns: the worker's function list (parsed once, cached for the life of the instance; a failed
//! listing is not cached so a fixed interpreter is picked up), its `AlgorithmInfo`
//! (`api::algorithm`), the merge (native entries win on equal names), and checking request
//! parameters against a function's signature. Does not own: running anything (`nx_worker`,
//! `algo`) nor the native catalogue (`graph-olap-algorithms`).

use std::sync::{Arc, Mutex};

use graph_olap_algorithms::catalogue::{self, AlgorithmInfo, AlgorithmType, Category};
use graph_olap_api::FieldError;
use graph_olap_api::algorithm::{
    AlgorithmInfo as WireInfo, AlgorithmParameter, AlgorithmType as WireType,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::nx_worker::{self, DEFAULT_MAX_ITEMS, WorkerConfig, WorkerError};

/// Default timeout of functions run by the worker (30 minutes).
pub const WORKER_TIMEOUT_MS: u64 = 30 * 60 * 1000;
/// The reserved parameter bounding generator results.
pub const MAX_ITEMS: &str = "max_items";

/// One parameter of a NetworkX function, as its signature and docstring say.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NxParam {
    /// Keyword name.
    pub name: String,
    /// `int` | `float` | `string` | `bool` | `any` (from the default or the docstring).
    #[serde(rename = "type")]
    pub ty: String,
    /// No default in the signature.
    pub required: bool,
    /// The default (its `repr` when it is not JSON).
    pub default: Value,
    /// First line of its docstring entry.
    pub description: String,
}

/// One function the worker can run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NxFunction {
    /// Catalogue name: the NetworkX name, qualified by its module path when taken.
    pub name: String,
    /// Attribute name in `module`.
    pub function: String,
    /// Defining module, e.g. `networkx.algorithms.centrality.load`.
    pub module: String,
    /// Category from the module path.
    pub category: Category,
    /// First sentence of the docstring.
    pub description: String,
    /// First paragraph of the docstring.
    pub long_description: Option<String>,
    /// Keyword parameters (the graph excluded).
    pub parameters: Vec<NxParam>,
    /// The docstring's `Returns` entry.
    pub returns: String,
    /// Expected result shape (advisory: the actual result decides how it is returned).
    pub result_kind: String,
    /// `undirected` when NetworkX refuses directed graphs for it.
    pub graph_treatment: String,
    /// Takes `**kwargs`: unknown parameter names are passed through.
    pub accepts_kwargs: bool,
}

#[derive(Debug, Deserialize)]
struct Listing {
    networkx_version: String,
    functions: Vec<NxFunction>,
}

/// The worker's functions, sorted by name.
#[derive(Debug, Clone, PartialEq)]
pub struct NxCatalogue {
    /// `networkx.__version__` of the worker's interpreter.
    pub networkx_version: String,
    /// The functions.
    pub functions: Vec<NxFunction>,
}

impl NxCatalogue {
    /// Parses the output of `nx_worker.py catalogue`.
    pub fn parse(bytes: &[u8]) -> Result<Self, WorkerError> {
        let mut listing: Listing = serde_json::from_slice(bytes)
            .map_err(|e| WorkerError::Protocol(format!("catalogue: {e}")))?;
        listing.functions.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Self {
            networkx_version: listing.networkx_version,
            functions: listing.functions,
        })
    }

    /// A function by exact name.
    pub fn find(&self, name: &str) -> Option<&NxFunction> {
        self.functions
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.functions[i])
    }
}

/// The listing, made once per instance on first use.
#[derive(Debug, Default)]
pub struct CatalogueCache {
    loaded: Mutex<Option<Arc<NxCatalogue>>>,
}

impl CatalogueCache {
    /// The cached catalogue, listing it with the worker first if needed (blocking: call from a
    /// blocking task). Concurrent first calls wait for one listing.
    pub fn get(&self, config: &WorkerConfig) -> Result<Arc<NxCatalogue>, WorkerError> {
        let mut slot = self
            .loaded
            .lock()
            .map_err(|_| WorkerError::Protocol("catalogue cache poisoned".into()))?;
        if let Some(c) = slot.as_ref() {
            return Ok(Arc::clone(c));
        }
        let catalogue = Arc::new(NxCatalogue::parse(&nx_worker::list(config)?)?);
        *slot = Some(Arc::clone(&catalogue));
        Ok(catalogue)
    }
}

impl NxFunction {
    /// The `AlgorithmInfo` of API.md §10.8, plus `implementation: "networkx"` and `module`.
    pub fn info(&self) -> WireInfo {
        let write_back = matches!(self.result_kind.as_str(), "node_values" | "partition");
        let mut parameters: Vec<AlgorithmParameter> = self
            .parameters
            .iter()
            .map(|p| AlgorithmParameter {
                name: p.name.clone(),
                param_type: p.ty.clone(),
                required: p.required,
                default: p.default.clone(),
                description: p.description.clone(),
                minimum: None,
                maximum: None,
                allowed: None,
            })
            .collect();
        parameters.push(AlgorithmParameter {
            name: MAX_ITEMS.into(),
            param_type: "int".into(),
            required: false,
            default: json!(DEFAULT_MAX_ITEMS),
            description: "Most items taken from a generator or iterator result".into(),
            minimum: Some(1.into()),
            maximum: Some(1_000_000.into()),
            allowed: None,
        });
        WireInfo {
            name: self.name.clone(),
            display_name: self.function.replace('_', " "),
            algorithm_type: WireType::Networkx,
            category: wire_name(&self.category),
            description: self.description.clone(),
            long_description: self.long_description.clone(),
            parameters,
            returns: self.returns.clone(),
            result_kind: self.result_kind.clone(),
            result_type: (self.result_kind == "partition").then(|| "INT64".to_string()),
            graph_treatment: self.graph_treatment.clone(),
            supports_write_back: write_back,
            default_timeout_ms: WORKER_TIMEOUT_MS,
            implementation: WireType::Networkx,
            module: Some(self.module.clone()),
        }
    }

    /// Checks parameter names against the signature (unknown names, missing required ones,
    /// `max_items`); values are NetworkX's to judge. Returns the effective parameters: the
    /// given ones plus JSON defaults.
    pub fn validate(&self, given: &Value) -> Result<Map<String, Value>, Vec<FieldError>> {
        let Value::Object(given) = given else {
            return Err(vec![FieldError::new(
                "parameters",
                "type",
                "parameters must be a JSON object",
            )]);
        };
        let mut errors = Vec::new();
        for (name, value) in given {
            if name == MAX_ITEMS {
                if !value.as_u64().is_some_and(|n| (1..=1_000_000).contains(&n)) {
                    errors.push(FieldError::new(
                        format!("parameters.{MAX_ITEMS}"),
                        "out_of_range",
                        "max_items must be an integer between 1 and 1000000",
                    ));
                }
            } else if !self.accepts_kwargs && !self.parameters.iter().any(|p| &p.name == name) {
                let known: Vec<&str> = self.parameters.iter().map(|p| p.name.as_str()).collect();
                errors.push(FieldError::new(
                    format!("parameters.{name}"),
                    "unknown",
                    format!(
                        "{} does not take a parameter '{name}' (it takes: {})",
                        self.name,
                        known.join(", ")
                    ),
                ));
            }
        }
        for p in self.parameters.iter().filter(|p| p.required) {
            if !given.contains_key(&p.name) {
                errors.push(FieldError::new(
                    format!("parameters.{}", p.name),
                    "required",
                    format!("{} requires the parameter '{}'", self.name, p.name),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut effective = given.clone();
        for p in self.parameters.iter().filter(|p| !p.required) {
            effective
                .entry(p.name.clone())
                .or_insert_with(|| p.default.clone());
        }
        Ok(effective)
    }
}

/// The wire name of one of the catalogue's enums (its serde spelling).
fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(s)) => s,
        _ => String::new(),
    }
}

/// A native entry's `AlgorithmInfo` with `implementation: "native"`.
pub fn native_info(info: &AlgorithmInfo) -> WireInfo {
    let wire_type = match info.algorithm_type {
        AlgorithmType::Native => WireType::Native,
        AlgorithmType::Networkx => WireType::Networkx,
    };
    WireInfo {
        name: info.name.into(),
        display_name: info.display_name.into(),
        algorithm_type: wire_type,
        category: wire_name(&info.category),
        description: info.description.into(),
        long_description: info.long_description.map(Into::into),
        parameters: info
            .parameters
            .iter()
            .map(|p| AlgorithmParameter {
                name: p.name.into(),
                param_type: wire_name(&p.param_type),
                required: p.required,
                default: p.default.clone(),
                description: p.description.into(),
                minimum: p.minimum.and_then(serde_json::Number::from_f64),
                maximum: p.maximum.and_then(serde_json::Number::from_f64),
                allowed: p
                    .allowed
                    .as_ref()
                    .map(|a| a.iter().map(|s| s.to_string()).collect()),
            })
            .collect(),
        returns: info.returns.into(),
        result_kind: wire_name(&info.result_kind),
        result_type: info.result_type.as_ref().map(wire_name),
        graph_treatment: wire_name(&info.graph_treatment),
        supports_write_back: info.supports_write_back,
        default_timeout_ms: info.default_timeout_ms,
        implementation: WireType::Native,
        module: None,
    }
}

/// The `/networkx/algorithms` listing: native entries, then every worker function whose name
/// is not native, filtered like `catalogue::list` and sorted by name.
pub fn merged(
    worker: Option<&NxCatalogue>,
    category: Option<Category>,
    search: Option<&str>,
) -> Vec<WireInfo> {
    let needle = search.map(str::to_lowercase);
    let matches = |name: &str, description: &str| {
        needle.as_deref().is_none_or(|s| {
            name.to_lowercase().contains(s) || description.to_lowercase().contains(s)
        })
    };
    let native = catalogue::list(AlgorithmType::Networkx, category, search);
    let mut out: Vec<(String, WireInfo)> = native
        .iter()
        .map(|i| (i.name.to_string(), native_info(i)))
        .collect();
    for f in worker.map(|w| w.functions.as_slice()).unwrap_or_default() {
        if catalogue::find(AlgorithmType::Networkx, &f.name).is_some()
            || category.is_some_and(|c| c != f.category)
            || !matches(&f.name, &f.description)
        {
            continue;
        }
        out.push((f.name.clone(), f.info()));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out.into_iter().map(|(_, v)| v).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn function() -> NxFunction {
        NxFunction {
            name: "dijkstra_path".into(),
            function: "dijkstra_path".into(),
            module: "networkx.algorithms.shortest_paths.weighted".into(),
            category: Category::Pathfinding,
            description: "Shortest weighted path.".into(),
            long_description: None,
            parameters: vec![
                NxParam {
                    name: "source".into(),
                    ty: "any".into(),
                    required: true,
                    default: Value::Null,
                    description: String::new(),
                },
                NxParam {
                    name: "weight".into(),
                    ty: "string".into(),
                    required: false,
                    default: json!("weight"),
                    description: String::new(),
                },
            ],
            returns: "path : list".into(),
            result_kind: "json".into(),
            graph_treatment: "directed".into(),
            accepts_kwargs: false,
        }
    }

    #[test]
    fn parameters_are_checked_against_the_signature() {
        let f = function();
        let ok = f.validate(&json!({"source": 1})).unwrap();
        assert_eq!(ok["weight"], "weight");
        let errors = f
            .validate(&json!({"sorce": 1, "max_items": 0}))
            .unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"parameters.sorce"));
        assert!(fields.contains(&"parameters.max_items"));
        assert!(fields.contains(&"parameters.source"));
    }

    #[test]
    fn native_names_win_in_the_merged_listing() {
        let mut pagerank = function();
        pagerank.name = "pagerank".into();
        let worker = NxCatalogue {
            networkx_version: "3".into(),
            functions: vec![function(), pagerank],
        };
        let all = merged(Some(&worker), None, None);
        let pr: Vec<_> = all.iter().filter(|v| v.name == "pagerank").collect();
        assert_eq!(pr.len(), 1);
        assert_eq!(pr[0].implementation, "native");
        let dp = all.iter().find(|v| v.name == "dijkstra_path").unwrap();
        assert_eq!(dp.implementation, "networkx");
        let paths = merged(Some(&worker), Some(Category::Pathfinding), Some("DIJKSTRA"));
        assert_eq!(paths.len(), 1);
    }
}
