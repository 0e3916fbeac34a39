//! The contract check of the harness: every response a suite receives is validated against the
//! schema the OpenAPI document gives for its operation and status (the success schema, or the
//! error envelope for any other status), so every suite also checks that the handlers answer
//! what `graph_olap_control_plane::http::openapi::document()` promises.
//!
//! The matching and validation are `graph_olap_server_kit::contract`'s; this module holds the
//! control plane's policy (a successful request no operation serves is a proxied call and is not
//! checked; plain-text answers are not JSON). Does not own the document (the control plane) nor
//! its checked-in copy (`tests/openapi.rs`).

use std::sync::OnceLock;

use graph_olap_control_plane::http::openapi::document;
use graph_olap_server_kit::contract::Contract;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The generated document with its validators, built once per test binary.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::new(document()))
}

/// The generated document.
pub fn doc() -> &'static Value {
    contract().doc()
}

/// The problems of `body` against the schema of its operation and status; empty when it
/// conforms or when the request matches no operation and succeeded (a proxied call).
pub fn problems(method: &Method, path: &str, status: StatusCode, body: &Value) -> Vec<String> {
    let c = contract();
    let Some(template) = c.template_of(method, path) else {
        return match status.is_success() {
            true => Vec::new(),
            false => c.envelope_problems(body),
        };
    };
    match c.response_schema(method, &template, status) {
        Some(schema) => c.problems_against(&schema, body),
        None => Vec::new(),
    }
}

/// Panics when `body` does not conform (see [`problems`]).
pub fn check(method: &Method, path: &str, status: StatusCode, body: &Value) {
    let problems = problems(method, path, status, body);
    assert!(
        problems.is_empty(),
        "{method} {path} answered {status} with a body the OpenAPI document does not allow:\n{}\nbody: {body}",
        problems.join("\n")
    );
}
