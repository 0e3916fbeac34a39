//! The contract check of the instance suites: a response is validated against the schema the
//! instance's OpenAPI document (`graph_olap_instance::endpoints::document`) gives for its
//! operation and status — the success schema, or the error envelope for any other status.
//!
//! Owns: finding the operation of a concrete request and validating its body. Does not own the
//! document (the instance crate) nor its checked-in copy (`tests/openapi.rs`).

#![allow(dead_code)] // each suite uses part of it

use std::sync::OnceLock;

use graph_olap_server_kit::openapi::template_matches;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The generated document, built once per test binary.
pub fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(graph_olap_instance::endpoints::document)
}

/// The template serving `path` (query left out) with `method`: among matching templates the
/// one with the most literal segments (`/algo/shortest_path` before `/algo/{name}`).
pub fn template_of(method: &Method, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let method = method.as_str().to_ascii_lowercase();
    doc()["paths"]
        .as_object()?
        .iter()
        .filter(|(t, item)| template_matches(t, path) && item.get(&method).is_some())
        .max_by_key(|(t, _)| t.split('/').filter(|s| !s.starts_with('{')).count())
        .map(|(t, _)| t.clone())
}

/// The problems of `body` against the schema of its operation and status (empty when it
/// conforms); a request no operation serves must be answered with the error envelope.
pub fn problems(method: &Method, path: &str, status: StatusCode, body: &Value) -> Vec<String> {
    let envelope = json!({"$ref": "#/components/schemas/ErrorEnvelope"});
    let schema = match template_of(method, path) {
        None => envelope,
        Some(template) => {
            let responses =
                &doc()["paths"][&template][method.as_str().to_ascii_lowercase()]["responses"];
            let reply = responses
                .get(status.as_str())
                .unwrap_or(&responses["default"]);
            match reply["content"].get("application/json") {
                Some(content) => content["schema"].clone(),
                None => return vec![format!("{status} is not a JSON answer of {template}")],
            }
        }
    };
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc()["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root)
        .unwrap_or_else(|e| panic!("schema of {method} {path} {status} does not compile: {e}"));
    validator
        .iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
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
