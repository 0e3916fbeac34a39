//! The algorithm catalogues as data, their parameter validation, and the dispatcher.
//!
//! Owns the wire-shaped [`AlgorithmInfo`] (API.md §10.8) for the native catalogue (§10.10, plus
//! extras) and the NetworkX-compatible catalogue (§10.12, NetworkX names, parameters and
//! defaults), strict validation of `parameters` objects ([`validate`]), and [`run`], which maps a
//! validated request onto a kernel and returns an [`AlgorithmOutput`]. It does not own HTTP,
//! locking, execution history or write-back; the instance server serialises `AlgorithmInfo`
//! directly and writes the output values.

mod dispatch;
mod native;
mod networkx;
mod params;
mod types;

pub use dispatch::{AlgorithmOutput, GraphViews, OutputValues, Partition, RunError, run};
pub use native::native_catalogue;
pub use networkx::{NETWORKX_UNAVAILABLE, networkx_catalogue};
pub use params::{ParamError, ParamErrorReason, ValidatedParams, validate};
pub use types::{
    AlgorithmInfo, AlgorithmType, Category, GraphTreatment, Kernel, Param, ParamType, ResultKind,
    ResultType,
};

/// The catalogue for `algorithm_type`, sorted by name.
pub fn catalogue(algorithm_type: AlgorithmType) -> &'static [AlgorithmInfo] {
    match algorithm_type {
        AlgorithmType::Native => native_catalogue(),
        AlgorithmType::Networkx => networkx_catalogue(),
    }
}

/// Looks an algorithm up by exact (case-sensitive) name.
pub fn find(algorithm_type: AlgorithmType, name: &str) -> Option<&'static AlgorithmInfo> {
    catalogue(algorithm_type).iter().find(|a| a.name == name)
}

/// Catalogue listing with the `category` and `search` filters of `GET /algo/algorithms`
/// (search: case-insensitive substring of name or description).
pub fn list(
    algorithm_type: AlgorithmType,
    category: Option<Category>,
    search: Option<&str>,
) -> Vec<&'static AlgorithmInfo> {
    let needle = search.map(str::to_lowercase);
    catalogue(algorithm_type)
        .iter()
        .filter(|a| category.is_none_or(|c| a.category == c))
        .filter(|a| {
            needle.as_deref().is_none_or(|s| {
                a.name.to_lowercase().contains(s) || a.description.to_lowercase().contains(s)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
