//! The contract check of the instance suites: a response is validated against the schema the
//! instance's OpenAPI document (`graph_olap_instance::endpoints::document`) gives for its
//! operation and status — the success schema, or the error envelope for any other status; a
//! request no operation serves must be answered with the error envelope.
//!
//! The matching and validation are `graph_olap_server_kit::contract`'s; this module holds the
//! instance's policy. Does not own the document (the instance crate) nor its checked-in copy
//! (`tests/openapi.rs`).

#![allow(dead_code)] // each suite uses part of it

use std::sync::OnceLock;

use graph_olap_server_kit::contract::Contract;
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The generated document with its validators, built once per test binary.
pub fn contract() -> &'static Contract {
    static CONTRACT: OnceLock<Contract> = OnceLock::new();
    CONTRACT.get_or_init(|| Contract::new(graph_olap_instance::endpoints::document()))
}

/// The generated document.
pub fn doc() -> &'static Value {
    contract().doc()
}

/// The problems of `body` against the schema of its operation and status (empty when it
/// conforms); a request no operation serves must be answered with the error envelope.
pub fn problems(method: &Method, path: &str, status: StatusCode, body: &Value) -> Vec<String> {
    let c = contract();
    match c.template_of(method, path) {
        None => c.envelope_problems(body),
        Some(template) => match c.response_schema(method, &template, status) {
            Some(schema) => c.problems_against(&schema, body),
            None => vec![format!("{status} is not a JSON answer of {template}")],
        },
    }
}

/// Sends `request`, checks the JSON answer against the document and returns its status and
/// body; panics with the operation and the problems when it does not conform.
pub async fn checked(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let (client, request) = request.build_split();
    let request = request.expect("a valid request");
    let (method, path) = (request.method().clone(), request.url().path().to_string());
    let response = client.execute(request).await.expect("the instance answers");
    let status = response.status();
    let body: Value = response.json().await.expect("a JSON answer");
    let found = problems(&method, &path, status, &body);
    assert!(
        found.is_empty(),
        "{method} {path} answered {status} with a body the OpenAPI document does not allow:\n{}\nbody: {body}",
        found.join("\n")
    );
    (status, body)
}
