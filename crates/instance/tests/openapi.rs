//! The instance API's OpenAPI document: checked in as `docs/openapi-instance.json` and equal to
//! the one the code generates, complete (every operation has its success response, the error
//! envelope, and a request body where it reads one), and every schema compiles. Real answers are
//! checked against it in `server.rs` (`common::contract::checked`).
//!
//! Refresh the checked-in copy after changing a wire type or the route table with
//! `GRAPH_OLAP_UPDATE_OPENAPI=1 cargo test -p graph-olap-instance --test openapi`.

#[allow(dead_code)] // the suite uses the contract check only
mod common;

use std::path::PathBuf;

use common::contract::{contract, doc, problems};
use graph_olap_instance::endpoints::endpoints;
use graph_olap_server_kit::contract::assert_checked_in;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[test]
fn openapi_document_is_checked_in() {
    assert_checked_in(
        doc(),
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi-instance.json"),
        "GRAPH_OLAP_UPDATE_OPENAPI=1 cargo test -p graph-olap-instance --test openapi",
    );
}

#[test]
fn openapi_every_operation_is_documented_with_responses_and_the_error_envelope() {
    let doc = doc();
    let table = endpoints();
    let documented: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(documented, table.len(), "one operation per endpoint");
    for e in &table {
        let op = &doc["paths"][&e.path][e.method.as_str().to_ascii_lowercase()];
        let responses = op["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|k| k.starts_with('2')),
            "{} {} has no success response",
            e.method,
            e.path
        );
        assert_eq!(
            responses["default"]["content"]["application/json"]["schema"],
            json!({"$ref": "#/components/schemas/ErrorEnvelope"}),
            "{} {}",
            e.method,
            e.path
        );
        if e.method == Method::POST {
            assert!(
                op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                "{} {} reads a body but declares none",
                e.method,
                e.path
            );
        }
        let public = op["security"] == json!([]);
        assert_eq!(public, e.public, "{} {}", e.method, e.path);
    }
    // §10's table, both namespaces.
    for (method, path) in [
        ("get", "/health"),
        ("post", "/query"),
        ("get", "/schema"),
        ("post", "/algo/shortest_path"),
        ("post", "/networkx/{name}"),
        ("delete", "/algo/executions/{execution_id}"),
        ("get", "/networkx/status/{execution_id}"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    let statuses: Vec<&Value> = doc["components"]["schemas"]["ExecutionStatus"]["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["const"])
        .collect();
    assert_eq!(statuses, ["running", "completed", "failed", "cancelled"]);
    let query = &doc["paths"]["/query"]["post"]["responses"]["200"]["content"];
    assert!(query["application/vnd.apache.arrow.stream"].is_object());
}

#[test]
fn openapi_every_schema_compiles() {
    let doc = doc();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for (status, reply) in op["responses"].as_object().unwrap() {
                if let Some(content) = reply["content"].get("application/json") {
                    contract()
                        .compile(&content["schema"])
                        .unwrap_or_else(|err| panic!("{method} {path} {status}: {err}"));
                }
            }
        }
    }
}

#[test]
fn openapi_rejects_bodies_that_break_the_contract() {
    // The check the suites apply is not vacuous: a wrong execution status, a missing field, an
    // error outside the envelope.
    let execution = json!({"execution_id": "e", "algorithm_name": "pagerank",
        "algorithm_type": "native", "status": "finished", "user_name": "a",
        "node_label": null, "edge_type": null, "node_labels": [], "edge_types": [],
        "result_property": null, "write_back": false, "parameters": {},
        "started_at": "2025-01-15T10:30:00.000Z", "completed_at": null, "elapsed_ms": 1,
        "duration_ms": null, "nodes_updated": null, "result": null, "error_code": null,
        "error_message": null});
    let path = "/algo/status/e";
    assert!(!problems(&Method::GET, path, StatusCode::OK, &execution).is_empty());
    let mut fine = execution.clone();
    fine["status"] = json!("running");
    assert!(problems(&Method::GET, path, StatusCode::OK, &fine).is_empty());
    let mut missing = fine.clone();
    missing.as_object_mut().unwrap().remove("user_name");
    assert!(!problems(&Method::GET, path, StatusCode::OK, &missing).is_empty());
    let bare_error = json!({"code": "NOT_FOUND", "message": "x"});
    assert!(!problems(&Method::GET, path, StatusCode::NOT_FOUND, &bare_error).is_empty());
}
