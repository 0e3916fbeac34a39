//! Black-box tests of the control plane over real sockets: a server on 127.0.0.1:0 with SQLite
//! metadata and the embedded warehouse over the generated demo data.

mod common;

use common::{Db, Env, KEY, Server, Time};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

const PERSONAS: [(&str, &str); 3] = [
    ("analyst", "analyst_alice@e2e.local"),
    ("admin", "admin_carol@e2e.local"),
    ("ops", "ops_dave@e2e.local"),
];

async fn server() -> Server {
    Env::demo(Db::Sqlite, Time::System).await.replica().await
}

fn tutorial_node() -> Value {
    json!({"label": "Customer",
           "sql": "SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr FROM \"default_catalog\".\"default_schema\".bis_acct_dh GROUP BY psdo_cust_id",
           "primary_key": {"name": "id", "type": "STRING"}, "properties": [{"name": "bk_sectr", "type": "STRING"}]})
}

fn bulk_dry_run() -> Value {
    json!({"resource_type": "mapping", "filters": {"name_prefix": "no-such-"}, "reason": "permission matrix", "dry_run": true})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permission_matrix_is_enforced_for_every_role() {
    let s = server().await;
    // (method, path, body, allowed roles); resources are created first so ids exist.
    let (_, created) = s
        .call(
            Method::POST,
            "/api/mappings",
            Some(PERSONAS[0].1),
            Some(json!({"name": "m", "node_definitions": [tutorial_node()]})),
        )
        .await;
    let id = created["data"]["id"].as_i64().unwrap();
    let cases: Vec<(Method, String, Option<Value>, &[&str])> = vec![
        (
            Method::GET,
            "/api/mappings".into(),
            None,
            &["analyst", "admin", "ops"],
        ),
        (
            Method::GET,
            format!("/api/mappings/{id}"),
            None,
            &["analyst", "admin", "ops"],
        ),
        (
            Method::GET,
            format!("/api/mappings/{id}/versions"),
            None,
            &["analyst", "admin", "ops"],
        ),
        (
            Method::GET,
            "/api/schema/catalogs".into(),
            None,
            &["analyst", "admin", "ops"],
        ),
        (
            Method::GET,
            "/api/schema/stats".into(),
            None,
            &["admin", "ops"],
        ),
        (Method::GET, "/api/users".into(), None, &["admin", "ops"]),
        (
            Method::POST,
            "/api/users".into(),
            Some(json!({"username": "new_user_x"})),
            &["admin"],
        ),
        (
            Method::GET,
            "/api/users/me".into(),
            None,
            &["analyst", "admin", "ops"],
        ),
        (
            Method::GET,
            "/api/favorites".into(),
            None,
            &["analyst", "admin", "ops"],
        ),
        // API.md §2.6 #2 and #46–#52, and the audit log (docs/ops.md).
        (Method::GET, "/metrics".into(), None, &["ops"]),
        (Method::GET, "/api/cluster/health".into(), None, &["ops"]),
        (Method::GET, "/api/cluster/instances".into(), None, &["ops"]),
        (
            Method::POST,
            "/api/ops/jobs/trigger".into(),
            Some(json!({"job_name": "schema_cache", "reason": "matrix"})),
            &["ops"],
        ),
        (Method::GET, "/api/ops/jobs/status".into(), None, &["ops"]),
        (Method::GET, "/api/ops/state".into(), None, &["ops"]),
        (Method::GET, "/api/ops/export-jobs".into(), None, &["ops"]),
        (
            Method::DELETE,
            "/api/admin/resources/bulk".into(),
            Some(bulk_dry_run()),
            &["admin", "ops"],
        ),
        (
            Method::POST,
            "/api/admin/resources/bulk-delete".into(),
            Some(bulk_dry_run()),
            &["admin", "ops"],
        ),
        (
            Method::GET,
            "/api/audit-log".into(),
            None,
            &["admin", "ops"],
        ),
    ];
    for (method, path, body, allowed) in cases {
        for (role, user) in PERSONAS {
            let (status, body_out) = s
                .call(method.clone(), &path, Some(user), body.clone())
                .await;
            if allowed.contains(&role) {
                assert!(
                    status.is_success() || status == StatusCode::CONFLICT,
                    "{role} {method} {path}: {status} {body_out}"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role} {method} {path}: {body_out}"
                );
                assert_eq!(body_out["error"]["code"], "PERMISSION_DENIED");
            }
        }
        let (status, body_out) = s.call(method.clone(), &path, None, body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "anonymous {method} {path}"
        );
        assert_eq!(
            body_out["error"]["details"]["reason"],
            "missing_credentials"
        );
    }
    // The internal key may scrape /metrics (#2 "or svc"); the OpenAPI document carries the rows.
    let scrape = s
        .client
        .get(format!("{}/metrics", s.url))
        .header("X-Internal-Api-Key", KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(scrape.status(), StatusCode::OK);
    let (_, doc) = s.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc["paths"]["/metrics"]["get"]["x-roles"], json!(["ops"]));
    assert_eq!(
        doc["paths"]["/api/ops/jobs/trigger"]["post"]["x-roles"],
        json!(["ops"])
    );
    assert_eq!(
        doc["paths"]["/api/admin/resources/bulk"]["delete"]["x-roles"],
        json!(["admin", "ops"])
    );
    assert_eq!(
        doc["paths"]["/api/audit-log"]["get"]["x-roles"],
        json!(["admin", "ops"])
    );
    // Ownership: bob may read alice's mapping but not change it; admin may.
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            Some("analyst_bob@e2e.local"),
            Some(json!({"change_description": "x", "name": "y"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            Some(PERSONAS[1].1),
            Some(json!({"change_description": "x", "name": "y"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapping_lifecycle_versions_and_diff() {
    let s = server().await;
    let alice = Some(PERSONAS[0].1);
    let (status, m) = s.call(Method::POST, "/api/mappings", alice, Some(json!({"name": "  Customers  ", "ttl": "P1DT12H", "node_definitions": [tutorial_node()]}))).await;
    assert_eq!(status, StatusCode::CREATED, "{m}");
    assert_eq!(m["data"]["name"], "Customers");
    assert_eq!(m["data"]["ttl"], "P1DT12H");
    let id = m["data"]["id"].as_i64().unwrap();
    // Update with identical definitions creates no version; with a change, version 2.
    let (_, same) = s
        .call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            alice,
            Some(json!({"change_description": "noop", "node_definitions": [tutorial_node()]})),
        )
        .await;
    assert_eq!(same["data"]["current_version"], 1);
    let mut node = tutorial_node();
    node["properties"] = json!([]);
    let (status, v2) = s
        .call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            alice,
            Some(json!({"change_description": "drop sector", "node_definitions": [node]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{v2}");
    assert_eq!(v2["data"]["current_version"], 2);
    let (_, d) = s
        .call(
            Method::GET,
            &format!("/api/mappings/{id}/versions/1/diff/2"),
            alice,
            None,
        )
        .await;
    assert_eq!(d["data"]["summary"]["nodes_modified"], 1);
    assert_eq!(
        d["data"]["changes"]["nodes"][0]["fields_changed"],
        json!(["properties"])
    );
    let (status, e) = s
        .call(
            Method::GET,
            &format!("/api/mappings/{id}/versions/1/diff/1"),
            alice,
            None,
        )
        .await;
    assert_eq!(
        (status, e["error"]["details"]["errors"][0]["reason"].clone()),
        (StatusCode::BAD_REQUEST, json!("same_version"))
    );
    // change_description is required.
    let (status, e) = s
        .call(
            Method::PUT,
            &format!("/api/mappings/{id}"),
            alice,
            Some(json!({"name": "x"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        e["error"]["details"]["errors"][0]["field"],
        "change_description"
    );
    // Copy, then delete.
    let (status, c) = s
        .call(
            Method::POST,
            &format!("/api/mappings/{id}/copy"),
            Some("analyst_bob@e2e.local"),
            Some(json!({"version": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        c["data"]["change_description"],
        format!("Copied from mapping {id} v1")
    );
    let (status, del) = s
        .call(Method::DELETE, &format!("/api/mappings/{id}"), alice, None)
        .await;
    assert_eq!(
        (status, del["data"]["deleted"].clone()),
        (StatusCode::OK, json!(true))
    );
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{id}"), alice, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gets_typed_errors_and_changes_nothing() {
    let s = server().await;
    let alice = Some(PERSONAS[0].1);
    let (_, before) = s.call(Method::GET, "/api/mappings", alice, None).await;
    let total_before = before["meta"]["total"].as_i64().unwrap();
    let bad_bodies = vec![
        (
            json!({"name": "x", "ttl": "1 day", "node_definitions": [tutorial_node()]}),
            "ttl",
            "invalid_duration",
        ),
        (
            json!({"name": "", "node_definitions": [tutorial_node()]}),
            "name",
            "too_short",
        ),
        (
            json!({"name": "a\u{1}b", "node_definitions": [tutorial_node()]}),
            "name",
            "pattern",
        ),
        (
            json!({"name": "x", "node_definitions": []}),
            "node_definitions",
            "too_short",
        ),
        (
            json!({"name": "x", "node_definitions": [{"label": "C", "sql": "SELECT 1 AS wrong", "primary_key": {"name": "id", "type": "STRING"}}]}),
            "node_definitions[0].sql",
            "sql_invalid",
        ),
        (
            json!({"name": "x", "node_definitions": [{"label": "C", "sql": "SELECT * FROM nowhere.at.all", "primary_key": {"name": "id", "type": "STRING"}}]}),
            "node_definitions[0].sql",
            "sql_invalid",
        ),
    ];
    for (body, field, reason) in bad_bodies {
        let (status, e) = s
            .call(Method::POST, "/api/mappings", alice, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {e}");
        assert_eq!(e["error"]["code"], "VALIDATION_FAILED");
        let errors = e["error"]["details"]["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|x| x["field"] == field && x["reason"] == reason),
            "{body}: {e}"
        );
        assert!(
            e["meta"]["request_id"]
                .as_str()
                .is_some_and(|r| !r.is_empty())
        );
    }
    // Malformed JSON, wrong media type, oversize body, bad pagination, unknown route, wrong method.
    let raw = s
        .client
        .post(format!("{}/api/mappings", s.url))
        .header("X-Username", PERSONAS[0].1)
        .header("Content-Type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        raw.json::<Value>().await.unwrap()["error"]["details"]["errors"][0]["reason"],
        "invalid_json"
    );
    let raw = s
        .client
        .post(format!("{}/api/mappings", s.url))
        .header("X-Username", PERSONAS[0].1)
        .header("Content-Type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(
        raw.json::<Value>().await.unwrap()["error"]["details"]["errors"][0]["reason"],
        "unsupported_media_type"
    );
    let big = "x".repeat(11 * 1024 * 1024);
    // A separate client: the server closes the connection after refusing the body.
    let raw = Client::new()
        .post(format!("{}/api/mappings", s.url))
        .header("X-Username", PERSONAS[0].1)
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::PAYLOAD_TOO_LARGE);
    for q in [
        "limit=0",
        "limit=101",
        "offset=-1",
        "sort_by=owner",
        "sort_order=up",
        "created_after=yesterday",
    ] {
        let (status, e) = s
            .call(Method::GET, &format!("/api/mappings?{q}"), alice, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q}: {e}");
    }
    let (status, e) = s.call(Method::GET, "/api/nothing-here", alice, None).await;
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (StatusCode::NOT_FOUND, json!("NOT_FOUND"))
    );
    let raw = s
        .client
        .patch(format!("{}/api/mappings", s.url))
        .header("X-Username", PERSONAS[0].1)
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        raw.headers()
            .get("allow")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("GET")
    );
    let (status, e) = s.call(Method::GET, "/api/mappings/abc", alice, None).await;
    assert_eq!(
        (status, e["error"]["details"]["errors"][0]["field"].clone()),
        (StatusCode::BAD_REQUEST, json!("path.mapping_id"))
    );
    let (_, after) = s.call(Method::GET, "/api/mappings/", alice, None).await;
    assert_eq!(
        after["meta"]["total"].as_i64().unwrap(),
        total_before,
        "nothing was stored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_keys_authenticate_and_revocation_takes_effect() {
    let s = server().await;
    let carol = Some(PERSONAS[1].1);
    let (status, k) = s
        .call(
            Method::POST,
            "/api/users/analyst_bob@e2e.local/api-keys",
            carol,
            Some(json!({"name": "nb"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let key = k["data"]["key"].as_str().unwrap().to_string();
    let me = s
        .client
        .get(format!("{}/api/users/me", s.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(me["data"]["username"], "analyst_bob@e2e.local");
    assert_eq!(me["data"]["auth_method"], "api_key");
    let key_id = k["data"]["id"].as_str().unwrap();
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/users/analyst_bob@e2e.local/api-keys/{key_id}"),
            carol,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let resp = s
        .client
        .get(format!("{}/api/users/me", s.url))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["details"]["reason"],
        "revoked_key"
    );
    let resp = s
        .client
        .get(format!("{}/api/users/me", s.url))
        .bearer_auth("gok_nope")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    // Deactivated users are refused.
    let (status, _) = s
        .call(
            Method::DELETE,
            "/api/users/analyst_bob@e2e.local",
            carol,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, e) = s
        .call(
            Method::GET,
            "/api/users/me",
            Some("analyst_bob@e2e.local"),
            None,
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (StatusCode::FORBIDDEN, json!("USER_DISABLED"))
    );
    // The last admin cannot be demoted.
    let (status, e) = s
        .call(
            Method::PUT,
            "/api/users/admin_carol@e2e.local/role",
            carol,
            Some(json!({"role": "analyst"})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["details"]["reason"].clone()),
        (StatusCode::CONFLICT, json!("last_admin"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_browser_and_favorites() {
    let s = server().await;
    let alice = Some(PERSONAS[0].1);
    let (_, tables) = s
        .call(
            Method::GET,
            "/api/schema/catalogs/demo/schemas/bank/tables",
            alice,
            None,
        )
        .await;
    let names: Vec<&str> = tables["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["table_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["account_holders", "accounts", "customers", "transfers"]
    );
    let (_, cols) = s
        .call(
            Method::GET,
            "/api/schema/search/columns?q=CUSTOMER_",
            alice,
            None,
        )
        .await;
    assert!(
        cols["data"].as_array().unwrap().len() >= 2,
        "customer_id in customers and account_holders: {cols}"
    );
    let (status, _) = s
        .call(
            Method::GET,
            "/api/schema/catalogs/nope/schemas",
            alice,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = s
        .call(Method::GET, "/api/schema/search/tables", alice, None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, ms) = s
        .call(Method::GET, "/api/mappings?search=tutorial", alice, None)
        .await;
    let _ = ms;
    let (_, m) = s
        .call(
            Method::POST,
            "/api/mappings",
            alice,
            Some(json!({"name": "fav", "node_definitions": [tutorial_node()]})),
        )
        .await;
    let id = m["data"]["id"].as_i64().unwrap();
    let (status, _) = s
        .call(
            Method::POST,
            "/api/favorites",
            alice,
            Some(json!({"resource_type": "mapping", "resource_id": id})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, e) = s
        .call(
            Method::POST,
            "/api/favorites",
            alice,
            Some(json!({"resource_type": "mapping", "resource_id": id})),
        )
        .await;
    assert_eq!(
        (status, e["error"]["code"].clone()),
        (StatusCode::CONFLICT, json!("ALREADY_EXISTS"))
    );
    s.call(Method::DELETE, &format!("/api/mappings/{id}"), alice, None)
        .await;
    let (_, favs) = s.call(Method::GET, "/api/favorites", alice, None).await;
    assert_eq!(
        favs["data"],
        json!([]),
        "favorites are removed with their resource"
    );
    let (status, _) = s
        .call(
            Method::DELETE,
            &format!("/api/favorites/mapping/{id}"),
            alice,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
