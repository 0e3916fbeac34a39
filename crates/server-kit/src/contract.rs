//! Test support for the servers' OpenAPI documents (feature `test-support`): the checked-in copy
//! compared with the generated document, and answers validated against the document.
//!
//! Owns: the drift check of a checked-in document (and its refresh), finding the operation that
//! serves a concrete request, the schema of an answer's status, and validating a body against it
//! with compiled validators cached per operation and status. Does not own a server's document or
//! the policy for requests no operation serves (the instance API answers them with the error
//! envelope; the control plane also proxies them) — each test harness decides that.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::openapi::template_matches;

/// One server's document with the validators compiled from it so far.
pub struct Contract {
    doc: Value,
    validators: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl Contract {
    /// A contract over a generated OpenAPI document.
    pub fn new(doc: Value) -> Self {
        Contract {
            doc,
            validators: Mutex::new(HashMap::new()),
        }
    }

    /// The document.
    pub fn doc(&self) -> &Value {
        &self.doc
    }

    /// The template serving `path` (query left out) with `method`: among matching templates the
    /// one with the most literal segments (`/api/instances/quota` before `/api/instances/{id}`).
    pub fn template_of(&self, method: &Method, path: &str) -> Option<String> {
        let path = path.split('?').next().unwrap_or(path);
        let method = method.as_str().to_ascii_lowercase();
        self.doc["paths"]
            .as_object()?
            .iter()
            .filter(|(t, item)| template_matches(t, path) && item.get(&method).is_some())
            .max_by_key(|(t, _)| t.split('/').filter(|s| !s.starts_with('{')).count())
            .map(|(t, _)| t.clone())
    }

    /// The JSON schema of the body answered with `status` to `method template` (the status's own
    /// response, else `default`); `None` when that answer is not JSON.
    pub fn response_schema(
        &self,
        method: &Method,
        template: &str,
        status: StatusCode,
    ) -> Option<Value> {
        let responses =
            &self.doc["paths"][template][method.as_str().to_ascii_lowercase()]["responses"];
        let reply = responses
            .get(status.as_str())
            .unwrap_or(&responses["default"]);
        reply["content"]
            .get("application/json")
            .map(|c| c["schema"].clone())
    }

    /// The problems of `body` against `schema` (resolved in the document's components); empty
    /// when it conforms. Panics when the schema does not compile — the document is broken.
    pub fn problems_against(&self, schema: &Value, body: &Value) -> Vec<String> {
        let key = schema.to_string();
        let cached = self
            .validators
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        let validator = cached.unwrap_or_else(|| {
            let compiled = Arc::new(self.compile(schema).unwrap_or_else(|e| panic!("{e}")));
            self.validators
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, compiled.clone());
            compiled
        });
        validator
            .iter_errors(body)
            .map(|e| format!("{e} at {}", e.instance_path))
            .collect()
    }

    /// Compiles `schema` with the document's components, or says why it does not compile.
    pub fn compile(&self, schema: &Value) -> Result<jsonschema::Validator, String> {
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.doc["components"],
            "allOf": [schema],
        });
        jsonschema::validator_for(&root)
            .map_err(|e| format!("schema {schema} does not compile: {e}"))
    }

    /// The problems of an error answer: it must be the error envelope.
    pub fn envelope_problems(&self, body: &Value) -> Vec<String> {
        self.problems_against(&json!({"$ref": "#/components/schemas/ErrorEnvelope"}), body)
    }
}

/// Panics unless the file at `path` holds `doc` as pretty JSON with a final newline; with
/// `GRAPH_OLAP_UPDATE_OPENAPI=1` it writes the file instead. `refresh` is the command that does
/// so, quoted in the failure.
pub fn assert_checked_in(doc: &Value, path: &Path, refresh: &str) {
    let mut generated = serde_json::to_string_pretty(doc).expect("a document is JSON");
    generated.push('\n');
    if std::env::var("GRAPH_OLAP_UPDATE_OPENAPI").as_deref() == Ok("1") {
        std::fs::write(path, &generated).expect("the checked-in document is writable");
        return;
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    if on_disk != generated {
        let first_difference = on_disk
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map(|i| i + 1)
            .unwrap_or(on_disk.lines().count().min(generated.lines().count()) + 1);
        panic!(
            "{} differs from the document the code generates (first at line {first_difference}). \
             If the change to the contract is intended, refresh it with\n  {refresh}\nand commit the file.",
            path.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract() -> Contract {
        Contract::new(json!({
            "paths": {
                "/things/{id}": {"get": {"responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                    "default": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
                }}},
                "/things/special": {"get": {"responses": {"200": {"content": {"text/plain": {}}}}}}
            },
            "components": {"schemas": {
                "Thing": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
                "ErrorEnvelope": {"type": "object", "required": ["error"]}
            }}
        }))
    }

    #[test]
    fn finds_the_most_literal_template_and_its_schemas() {
        let c = contract();
        assert_eq!(
            c.template_of(&Method::GET, "/things/7?x=1").as_deref(),
            Some("/things/{id}")
        );
        assert_eq!(
            c.template_of(&Method::GET, "/things/special").as_deref(),
            Some("/things/special")
        );
        assert_eq!(c.template_of(&Method::POST, "/things/7"), None);
        assert_eq!(
            c.response_schema(&Method::GET, "/things/special", StatusCode::OK),
            None
        );
        let schema = c
            .response_schema(&Method::GET, "/things/{id}", StatusCode::NOT_FOUND)
            .unwrap();
        assert_eq!(
            schema,
            json!({"$ref": "#/components/schemas/ErrorEnvelope"})
        );
    }

    #[test]
    fn validates_bodies_and_reports_what_breaks() {
        let c = contract();
        let thing = c
            .response_schema(&Method::GET, "/things/{id}", StatusCode::OK)
            .unwrap();
        assert!(c.problems_against(&thing, &json!({"id": 1})).is_empty());
        assert_eq!(c.problems_against(&thing, &json!({"id": "x"})).len(), 1);
        assert!(!c.envelope_problems(&json!({"data": 1})).is_empty());
        assert!(
            c.compile(&json!({"$ref": "#/components/schemas/Missing"}))
                .is_err()
        );
    }
}
