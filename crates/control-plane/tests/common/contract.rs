//! The contract check of the harness: every response a suite receives is validated against the
//! schema the OpenAPI document gives for its operation and status (the success schema, or the
//! error envelope for any other status), so every suite also checks that the handlers answer
//! what `graph_olap_control_plane::http::openapi::document()` promises.
//!
//! Owns: finding the operation of a concrete request and validating its body. Does not own the
//! document (the control plane) nor its checked-in copy (`tests/openapi.rs`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use graph_olap_control_plane::http::openapi::document;
use graph_olap_control_plane::http::routes::template_matches;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The generated document, built once per test binary.
pub fn doc() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(document)
}

/// The path template of the document that `path` (without query) is served by: among matching
/// templates the one with the most literal segments (`/api/instances/quota` before
/// `/api/instances/{instance_id}`).
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

/// The JSON schema of the body answered with `status` to `method template`, `None` when the
/// body is not JSON (plain text).
pub fn response_schema(method: &Method, template: &str, status: StatusCode) -> Option<Value> {
    let op = &doc()["paths"][template][method.as_str().to_ascii_lowercase()];
    let responses = &op["responses"];
    let reply = responses
        .get(status.as_str())
        .unwrap_or(&responses["default"]);
    reply["content"]
        .get("application/json")
        .map(|c| c["schema"].clone())
}

type Validators = HashMap<(String, String, u16), std::sync::Arc<jsonschema::Validator>>;

fn validator(schema: &Value, key: (String, String, u16)) -> std::sync::Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<Validators>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(v) = cache.lock().unwrap().get(&key) {
        return v.clone();
    }
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc()["components"],
        "allOf": [schema],
    });
    let compiled = std::sync::Arc::new(
        jsonschema::validator_for(&root)
            .unwrap_or_else(|e| panic!("schema of {key:?} does not compile: {e}")),
    );
    cache.lock().unwrap().insert(key, compiled.clone());
    compiled
}

/// The problems of `body` against the schema of its operation and status; empty when it
/// conforms or when the request matches no operation and succeeded (a proxied call).
pub fn problems(method: &Method, path: &str, status: StatusCode, body: &Value) -> Vec<String> {
    let Some(template) = template_of(method, path) else {
        if status.is_success() {
            return Vec::new();
        }
        let schema = json!({"$ref": "#/components/schemas/ErrorEnvelope"});
        let v = validator(&schema, ("*".into(), "*".into(), 0));
        return v
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect();
    };
    let Some(schema) = response_schema(method, &template, status) else {
        return Vec::new();
    };
    let v = validator(&schema, (method.to_string(), template, status.as_u16()));
    v.iter_errors(body)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect()
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
