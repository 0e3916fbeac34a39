//! The OpenAPI document: checked in as `docs/openapi.json` and equal to the one the code
//! generates, complete (every operation has its success responses, the error envelope, and a
//! request body where it reads one), every schema compiles, and real responses of a representative
//! set of operations conform (every other suite checks its own responses the same way, through
//! the harness).
//!
//! Refresh the checked-in copy after changing a wire type or the route table with
//! `GRAPH_OLAP_UPDATE_OPENAPI=1 cargo test -p graph-olap-control-plane --test openapi`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use common::contract::{contract, doc, problems};
use common::{ALICE, CAROL, Db, Env, KEY, OPS, Time};
use graph_olap_control_plane::http::routes::endpoints;
use graph_olap_server_kit::contract::assert_checked_in;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[test]
fn openapi_document_is_checked_in() {
    assert_checked_in(
        doc(),
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json"),
        "GRAPH_OLAP_UPDATE_OPENAPI=1 cargo test -p graph-olap-control-plane --test openapi",
    );
}

#[test]
fn openapi_every_operation_has_responses_and_the_error_envelope() {
    let doc = doc();
    for e in endpoints() {
        let op = &doc["paths"][e.path][e.method.as_str().to_ascii_lowercase()];
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
        if e.request.is_some() {
            assert!(
                op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                "{} {}",
                e.method,
                e.path
            );
        }
    }
    // The error envelope names the closed set of codes (API.md §1.13).
    let schemas = &doc["components"]["schemas"];
    let codes = schemas["ErrorCode"]["enum"].as_array().unwrap();
    assert!(codes.contains(&json!("VALIDATION_FAILED")));
    assert!(codes.contains(&json!("INTERNAL_ERROR")));
    assert_eq!(
        schemas["ErrorEnvelope"]["required"],
        json!(["error", "meta"])
    );
}

#[test]
fn openapi_creates_link_to_the_operations_on_what_they_made() {
    let doc = doc();
    let links =
        |path: &str| -> Value { doc["paths"][path]["post"]["responses"]["201"]["links"].clone() };
    // Create → get → update → delete, and the nested reads, from the new mapping's id.
    let mapping = links("/api/mappings");
    for op in [
        "get_api_mappings__mapping_id",
        "put_api_mappings__mapping_id",
        "delete_api_mappings__mapping_id",
        "get_api_mappings__mapping_id__versions__version",
    ] {
        assert_eq!(mapping[op]["operationId"], op, "{mapping}");
    }
    assert_eq!(
        mapping["get_api_mappings__mapping_id__versions__from_version__diff__to_version"]["parameters"],
        json!({"mapping_id": "$response.body#/data/id",
               "from_version": "$response.body#/data/current_version",
               "to_version": "$response.body#/data/current_version"})
    );
    // A key's owner comes from the create's own path.
    assert_eq!(
        links("/api/users/{username}/api-keys")["delete_api_users__username__api_keys__key_id"]["parameters"],
        json!({"username": "$request.path.username", "key_id": "$response.body#/data/id"})
    );
    // Every link names an operation of the document and fills each of its path parameters.
    let mut ids = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            ids.insert(
                op["operationId"].as_str().unwrap().to_string(),
                path.clone(),
            );
        }
    }
    let mut count = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for response in op["responses"].as_object().unwrap().values() {
                for link in response["links"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|l| l.1)
                {
                    let target = &ids[link["operationId"].as_str().unwrap()];
                    let wanted: BTreeSet<&str> = target
                        .split('/')
                        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                        .collect();
                    let given: BTreeSet<&str> = link["parameters"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    assert_eq!(given, wanted, "{target}: {link}");
                    count += 1;
                }
            }
        }
    }
    assert!(count >= 30, "only {count} links");
}

#[test]
fn openapi_every_body_that_reads_json_declares_it() {
    // Each handler that takes a JSON body declares its schema: an operation whose handler
    // reads `JsonBody` but declares none would leave the SDK and the fuzzer blind.
    let doc = doc();
    let with_body: Vec<String> = endpoints()
        .iter()
        .filter(|e| e.request.is_some())
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    for m in ["post", "put", "patch"] {
        for (path, item) in doc["paths"].as_object().unwrap() {
            if let Some(op) = item.get(m) {
                let key = format!("{} {path}", m.to_ascii_uppercase());
                let exempt = [
                    "POST /api/snapshots/{snapshot_id}/retry",
                    "POST /api/schema/admin/refresh",
                ];
                if !exempt.contains(&key.as_str()) {
                    assert!(
                        op.get("requestBody").is_some() && with_body.contains(&key),
                        "{key} declares no request body"
                    );
                }
            }
        }
    }
}

#[test]
fn openapi_every_schema_compiles_and_refs_resolve() {
    for e in endpoints() {
        for status in [StatusCode::OK, StatusCode::CREATED, StatusCode::ACCEPTED] {
            if let Some(schema) = contract().response_schema(&e.method, e.path, status) {
                contract()
                    .compile(&schema)
                    .unwrap_or_else(|err| panic!("{} {} {status}: {err}", e.method, e.path));
            }
        }
    }
}

#[test]
fn openapi_rejects_a_body_that_breaks_the_contract() {
    // The check the harness applies to every response is not vacuous.
    let bad = json!({"data": {"id": "not-a-number"}, "meta": {"request_id": "r"}});
    let found = problems(&Method::GET, "/api/mappings/1", StatusCode::OK, &bad);
    assert!(!found.is_empty());
    let bad_error =
        json!({"error": {"code": "NO_SUCH_CODE", "message": "x"}, "meta": {"request_id": "r"}});
    assert!(
        !problems(
            &Method::GET,
            "/api/mappings/1",
            StatusCode::NOT_FOUND,
            &bad_error
        )
        .is_empty()
    );
}

/// Real responses of a representative set of operations: every resource, list and item,
/// created (201), accepted (202) and errors, each validated by the harness as it arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_real_responses_conform() {
    let env = Env::demo(Db::Sqlite, Time::Manual).await;
    let s = env.replica().await;
    let mapping = json!({
        "name": "contract", "description": "orders by customer",
        "node_definitions": [{"label": "Customer",
            "sql": "SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr FROM \"default_catalog\".\"default_schema\".bis_acct_dh GROUP BY psdo_cust_id",
            "primary_key": {"name": "id", "type": "STRING"},
            "properties": [{"name": "bk_sectr", "type": "STRING"}]}],
        "edge_definitions": [],
    });
    let (status, created) = s
        .call(Method::POST, "/api/mappings", ALICE, Some(mapping))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_i64().unwrap();
    let calls: Vec<(Method, String, &str, Option<Value>)> = vec![
        (Method::GET, "/health".into(), ALICE, None),
        (Method::GET, "/ready".into(), ALICE, None),
        (Method::GET, "/api/mappings".into(), ALICE, None),
        (Method::GET, format!("/api/mappings/{id}"), ALICE, None),
        (
            Method::PUT,
            format!("/api/mappings/{id}"),
            ALICE,
            Some(json!({"change_description": "rename", "name": "contract 2"})),
        ),
        (
            Method::GET,
            format!("/api/mappings/{id}/versions"),
            ALICE,
            None,
        ),
        (
            Method::GET,
            format!("/api/mappings/{id}/versions/1"),
            ALICE,
            None,
        ),
        (Method::GET, format!("/api/mappings/{id}/tree"), ALICE, None),
        (
            Method::POST,
            format!("/api/mappings/{id}/copy"),
            ALICE,
            None,
        ),
        (
            Method::GET,
            format!("/api/mappings/{id}/snapshots"),
            ALICE,
            None,
        ),
        (
            Method::POST,
            "/api/instances/from-mapping".into(),
            ALICE,
            Some(json!({"mapping_id": id, "name": "contract instance"})),
        ),
        (Method::GET, "/api/instances".into(), ALICE, None),
        (Method::GET, "/api/instances/quota".into(), ALICE, None),
        (Method::GET, "/api/snapshots".into(), ALICE, None),
        (
            Method::POST,
            "/api/favorites".into(),
            ALICE,
            Some(json!({"resource_type": "mapping", "resource_id": id})),
        ),
        (Method::GET, "/api/favorites".into(), ALICE, None),
        (Method::GET, "/api/users/me".into(), ALICE, None),
        (Method::GET, "/api/users".into(), CAROL, None),
        (
            Method::GET,
            format!("/api/users/{ALICE}/api-keys"),
            ALICE,
            None,
        ),
        (
            Method::POST,
            format!("/api/users/{ALICE}/api-keys"),
            ALICE,
            Some(json!({"name": "contract"})),
        ),
        (Method::GET, "/api/schema/catalogs".into(), ALICE, None),
        (
            Method::GET,
            "/api/schema/search/tables?q=cust".into(),
            ALICE,
            None,
        ),
        (
            Method::GET,
            "/api/schema/search/columns?q=cust".into(),
            ALICE,
            None,
        ),
        (Method::GET, "/api/schema/stats".into(), CAROL, None),
        (Method::GET, "/api/config/lifecycle".into(), OPS, None),
        (
            Method::PUT,
            "/api/config/concurrency".into(),
            OPS,
            Some(json!({"per_analyst": 7})),
        ),
        (Method::GET, "/api/config/maintenance".into(), OPS, None),
        (Method::GET, "/api/config/export".into(), OPS, None),
        (Method::GET, "/api/cluster/instances".into(), OPS, None),
        (Method::GET, "/api/ops/state".into(), OPS, None),
        (Method::GET, "/api/ops/jobs/status".into(), OPS, None),
        (Method::GET, "/api/ops/export-jobs".into(), OPS, None),
        (Method::GET, "/api/audit-log".into(), CAROL, None),
        (Method::GET, "/api/platform/ledger".into(), CAROL, None),
        // Errors: validation, not found, permission, method not allowed.
        (
            Method::POST,
            "/api/mappings".into(),
            ALICE,
            Some(json!({"name": ""})),
        ),
        (Method::GET, "/api/mappings/999999".into(), ALICE, None),
        (Method::GET, "/api/users".into(), ALICE, None),
        (Method::PATCH, "/api/mappings".into(), ALICE, None),
    ];
    let mut statuses = Vec::new();
    for (method, path, user, body) in calls {
        // `call` validates the body against the document (common::contract) and panics with
        // the operation and the problems when it does not conform.
        let (status, reply) = s.call(method.clone(), &path, user, body).await;
        statuses.push(status.as_u16());
        assert!(reply.is_object(), "{method} {path}: {reply}");
    }
    for expected in [200, 201, 400, 403, 404, 405] {
        assert!(
            statuses.contains(&expected),
            "no {expected} among {statuses:?}"
        );
    }
    // The internal API, with the service key.
    let (status, claim) = s
        .internal(
            Method::POST,
            "/api/internal/export-jobs/claim",
            json!({"worker_id": "contract", "limit": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{claim} (key {KEY})");
}
