//! Validating a run request (`POST /{ns}/{name}`, §10.9) against the instance's mapping: the
//! scope (labels and edge types, or a `subgraph_query`), whether and where the result is written
//! back, the timeout and the entry's parameters — every problem reported at once.
//!
//! Owns: [`RunPlan`] and the rules behind it (the body's shape is
//! `api::algorithm::AlgorithmRunRequest`). Does not own: resolving the name (`entry`) nor
//! starting the run (`run`).

use std::time::Duration;

use graph_olap_algorithms::catalogue::AlgorithmType;
use graph_olap_api::FieldError;
use graph_olap_api::algorithm::AlgorithmRunRequest as RunBody;
use graph_olap_api::instance::InstanceBootstrap;
use graph_olap_server_kit::ApiError;
use serde_json::Value;

use super::entry::{Entry, EntryParams};
use crate::projection::Scope;

/// A validated run request.
pub(super) struct RunPlan {
    /// Node labels in scope (empty: all).
    pub(super) labels: Vec<String>,
    /// Edge types in scope (empty: all).
    pub(super) types: Vec<String>,
    /// What is projected.
    pub(super) scope: Scope,
    /// Whether the result is written back (into `result_property`).
    pub(super) write_back: bool,
    /// The entry's validated parameters.
    pub(super) params: EntryParams,
    /// The run's timeout.
    pub(super) timeout: Duration,
}

/// Validates `body` (whose `parameters` are `given`) for `entry` in namespace `t`.
pub(super) fn plan(
    entry: &Entry,
    body: &RunBody,
    given: &Value,
    boot: &InstanceBootstrap,
    t: AlgorithmType,
) -> Result<RunPlan, ApiError> {
    let (labels, types, mut errors) = scope_names(body, boot);
    let scope = match &body.subgraph_query {
        Some(query) => {
            if let Some(e) = subgraph_query_error(t, query, !labels.is_empty() || !types.is_empty())
            {
                errors.push(e);
            }
            Scope::Subgraph {
                query: query.clone(),
            }
        }
        None => Scope::Labels {
            labels: labels.clone(),
            types: types.clone(),
        },
    };
    let write_back = entry.writes_back(
        body.write_back.unwrap_or(true),
        body.result_property.as_ref(),
    );
    // Labels whose mapped properties `result_property` must not collide with (all of them for a
    // subgraph query: which labels it reaches is known only once it has run).
    let scope_labels: Vec<String> = if labels.is_empty() {
        boot.node_definitions
            .iter()
            .map(|n| n.label.clone())
            .collect()
    } else {
        labels.clone()
    };
    if matches!(scope, Scope::Labels { .. })
        && errors.is_empty()
        && scope_labels
            .iter()
            .all(|l| boot.node_counts.as_ref().and_then(|c| c.get(l)) == Some(&0))
    {
        errors.push(FieldError::new(
            if labels.is_empty() {
                "node_labels"
            } else {
                "node_label"
            },
            "empty_projection",
            "the labels in scope have no nodes: the projection is empty",
        ));
    }
    if write_back {
        errors.extend(result_property_errors(
            body.result_property.as_deref(),
            boot,
            &scope_labels,
        ));
    }
    if let Some(ms) = body.timeout_ms
        && !(1_000..=7_200_000).contains(&ms)
    {
        errors.push(FieldError::new(
            "timeout_ms",
            "out_of_range",
            "timeout_ms must be between 1000 and 7200000",
        ));
    }
    let params = match entry.validate(given) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if !errors.is_empty() {
        return Err(ApiError::validation(errors));
    }
    let params = params.ok_or_else(|| ApiError::internal("parameters missing after validation"))?;
    Ok(RunPlan {
        labels,
        types,
        scope,
        write_back,
        params,
        timeout: Duration::from_millis(body.timeout_ms.unwrap_or(entry.default_timeout_ms())),
    })
}

/// The labels and edge types named by the body (singular or plural form, not both), each
/// checked against the mapping.
fn scope_names(
    body: &RunBody,
    boot: &InstanceBootstrap,
) -> (Vec<String>, Vec<String>, Vec<FieldError>) {
    let mut errors = Vec::new();
    if body.node_label.is_some() && body.node_labels.is_some() {
        errors.push(FieldError::new(
            "node_labels",
            "duplicate",
            "give node_label or node_labels, not both",
        ));
    }
    if body.edge_type.is_some() && body.edge_types.is_some() {
        errors.push(FieldError::new(
            "edge_types",
            "duplicate",
            "give edge_type or edge_types, not both",
        ));
    }
    let labels: Vec<String> = body
        .node_labels
        .clone()
        .or_else(|| body.node_label.clone().map(|l| vec![l]))
        .unwrap_or_default();
    let types: Vec<String> = body
        .edge_types
        .clone()
        .or_else(|| body.edge_type.clone().map(|l| vec![l]))
        .unwrap_or_default();
    for l in &labels {
        if !boot.node_definitions.iter().any(|n| &n.label == l) {
            errors.push(FieldError::new(
                "node_label",
                "unknown_reference",
                format!("unknown label '{l}'"),
            ));
        }
    }
    for ty in &types {
        if !boot.edge_definitions.iter().any(|e| &e.edge_type == ty) {
            errors.push(FieldError::new(
                "edge_type",
                "unknown_reference",
                format!("unknown edge type '{ty}'"),
            ));
        }
    }
    (labels, types, errors)
}

/// Problems of the `result_property` of a run that writes back: required, an identifier, not a
/// reserved word, and no mapped property of a label in scope.
fn result_property_errors(
    property: Option<&str>,
    boot: &InstanceBootstrap,
    scope_labels: &[String],
) -> Vec<FieldError> {
    let Some(p) = property else {
        return vec![FieldError::new(
            "result_property",
            "required",
            "result_property is required when writing back",
        )];
    };
    if !identifier_ok(p) {
        return vec![FieldError::new(
            "result_property",
            "pattern",
            "result_property must match ^[A-Za-z][A-Za-z0-9_]*$",
        )];
    }
    if graph_olap_api::mapping::is_reserved_name(p) {
        return vec![FieldError::new(
            "result_property",
            "reserved_word",
            format!("'{p}' is a reserved word"),
        )];
    }
    boot.node_definitions
        .iter()
        .filter(|n| scope_labels.contains(&n.label))
        .filter(|n| {
            n.primary_key.name.eq_ignore_ascii_case(p)
                || n.properties.iter().any(|q| q.name.eq_ignore_ascii_case(p))
        })
        .map(|n| {
            FieldError::new(
                "result_property",
                "conflict",
                format!("'{p}' is a mapping property of {}", n.label),
            )
        })
        .collect()
}

/// Whether `name` is a property identifier: `^[A-Za-z][A-Za-z0-9_]*$`, at most 64 characters.
fn identifier_ok(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 64
}

/// Checks a `subgraph_query` at request time: `/networkx` only, not combined with a label/type
/// scope, and through the same read-only gate as `/query` (§10.6).
fn subgraph_query_error(t: AlgorithmType, query: &str, has_scope: bool) -> Option<FieldError> {
    use graph_olap_engine::QueryErrorKind;
    use graph_olap_engine::dialect::Dialect;
    let field = "subgraph_query";
    if t != AlgorithmType::Networkx {
        return Some(FieldError::new(
            field,
            "not_allowed",
            "subgraph_query is accepted on /networkx/{name} only",
        ));
    }
    if has_scope {
        return Some(FieldError::new(
            field,
            "conflict",
            "give subgraph_query or a node_label/edge_type scope, not both",
        ));
    }
    if query.trim().is_empty() {
        return Some(FieldError::new(
            field,
            "required",
            "subgraph_query is empty",
        ));
    }
    let error = graph_olap_engine::dialect::prepare(query, Dialect::Kuzu).err()?;
    let (reason, message) = match error.kind {
        QueryErrorKind::Syntax { .. } => (
            "syntax",
            format!("subgraph_query does not parse: {}", error.message),
        ),
        QueryErrorKind::Unsupported { feature } if feature == "multiple_statements" => (
            "multiple_statements",
            "subgraph_query must be one statement".to_string(),
        ),
        QueryErrorKind::ReadOnlyViolation {
            clause,
            line,
            column,
        } => (
            "read_only_violation",
            format!("subgraph_query must be read-only: {clause} at line {line}, column {column}"),
        ),
        _ => (
            "unsupported",
            format!(
                "subgraph_query uses an unsupported feature: {}",
                error.message
            ),
        ),
    };
    Some(FieldError::new(field, reason, message))
}
