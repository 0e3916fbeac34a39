//! Black-box tests of `/api/config/*` (API.md §7.1, §4.7) and of `Idempotency-Key` (§1.11) over
//! real sockets: a server on 127.0.0.1:0 with SQLite metadata and the embedded demo warehouse.

mod common;

use std::sync::Arc;

use common::{ALICE, BOB, CAROL, DAVE, Db, Env, Reply, Server, Time, reasons};
use graph_olap_control_plane::services::platform_config;
use graph_olap_store::audit;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

// ---------------------------------------------------------------- helpers

async fn server() -> Server {
    Env::demo(Db::Sqlite, Time::System).await.replica().await
}

impl Server {
    async fn mappings_named(&self, name: &str) -> Vec<Value> {
        let (_, list) = self
            .call(
                Method::GET,
                &format!("/api/mappings?search={name}&limit=100"),
                ALICE,
                None,
            )
            .await;
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["name"] == name)
            .cloned()
            .collect()
    }

    async fn config_audit(&self, key: &str) -> Vec<audit::AuditEntry> {
        let filter = audit::AuditFilter {
            resource_type: Some("config".into()),
            resource_id: Some(key.into()),
            ..Default::default()
        };
        audit::query(&mut self.state.store.read().await.unwrap(), &filter, 0, 100)
            .await
            .unwrap()
            .0
    }
}

fn node() -> Value {
    json!({"label": "Customer",
           "sql": "SELECT CAST(psdo_cust_id AS VARCHAR) AS id, MIN(bk_sectr) AS bk_sectr FROM \"default_catalog\".\"default_schema\".bis_acct_dh GROUP BY psdo_cust_id",
           "primary_key": {"name": "id", "type": "STRING"}, "properties": [{"name": "bk_sectr", "type": "STRING"}]})
}

fn has_reason(body: &Value, field: &str, reason: &str) -> bool {
    reasons(body).iter().any(|(f, r)| f == field && r == reason)
}

// ---------------------------------------------------------------- configuration

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_endpoints_are_ops_only() {
    let s = server().await;
    let cases = [
        ("lifecycle", json!({"instance": {"default_ttl": "PT12H"}})),
        ("concurrency", json!({"per_analyst": 5})),
        ("maintenance", json!({"enabled": false})),
        ("export", json!({"max_duration_seconds": 3600})),
    ];
    for (name, body) in cases {
        let path = format!("/api/config/{name}");
        for method in [Method::GET, Method::PUT] {
            let b = (method == Method::PUT).then(|| body.clone());
            let (status, out) = s.call(method.clone(), &path, DAVE, b.clone()).await;
            assert_eq!(status, StatusCode::OK, "ops {method} {path}: {out}");
            assert!(
                out["data"].get("updated_at").is_some() && out["data"].get("updated_by").is_some(),
                "{out}"
            );
            for user in [ALICE, CAROL] {
                let (status, out) = s.call(method.clone(), &path, user, b.clone()).await;
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{user} {method} {path}: {out}"
                );
                assert_eq!(out["error"]["code"], "PERMISSION_DENIED");
                assert_eq!(out["error"]["details"]["required_roles"], json!(["ops"]));
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_updates_are_partial_validated_and_audited() {
    let s = server().await;
    let (_, before) = s
        .call(Method::GET, "/api/config/lifecycle", DAVE, None)
        .await;
    assert_eq!(
        before["data"]["instance"],
        json!({"default_ttl": "PT24H", "default_inactivity": "PT4H", "max_ttl": "P7D"})
    );
    assert_eq!(
        before["data"]["mapping"],
        json!({"default_ttl": null, "default_inactivity": null, "max_ttl": null})
    );
    assert_eq!(before["data"]["updated_at"], Value::Null);

    // Partial: one field of one resource changes, everything else is kept; P1DT12H is accepted.
    let (status, out) = s
        .call(
            Method::PUT,
            "/api/config/lifecycle",
            DAVE,
            Some(json!({"instance": {"default_ttl": "p1dt12h"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["data"]["updated"], true);
    assert_eq!(out["data"]["updated_by"], DAVE);
    assert!(
        out["data"]["updated_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert_eq!(
        out["data"]["instance"],
        json!({"default_ttl": "P1DT12H", "default_inactivity": "PT4H", "max_ttl": "P7D"})
    );
    assert_eq!(out["data"]["snapshot"], before["data"]["snapshot"]);
    let (_, got) = s
        .call(Method::GET, "/api/config/lifecycle", DAVE, None)
        .await;
    assert_eq!(got["data"]["instance"]["default_ttl"], "P1DT12H");
    assert!(
        got["data"].get("updated").is_none(),
        "only the PUT response carries 'updated'"
    );

    // null clears; a mapping max_ttl can be set.
    let (status, out) = s
        .call(
            Method::PUT,
            "/api/config/lifecycle",
            DAVE,
            Some(json!({"snapshot": {"default_inactivity": null}, "mapping": {"max_ttl": "P30D"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(out["data"]["snapshot"]["default_inactivity"], Value::Null);
    assert_eq!(out["data"]["snapshot"]["default_ttl"], "P7D");
    assert_eq!(out["data"]["mapping"]["max_ttl"], "P30D");

    // Every bad value is refused, all problems together, and nothing changes.
    let (_, unchanged) = s
        .call(Method::GET, "/api/config/lifecycle", DAVE, None)
        .await;
    let bad = [
        (
            json!({"instance": {"default_ttl": "1 day"}}),
            "instance.default_ttl",
            "invalid_duration",
        ),
        (
            json!({"instance": {"max_ttl": "P1Y"}}),
            "instance.max_ttl",
            "unsupported_unit",
        ),
        (
            json!({"instance": {"default_ttl": ""}}),
            "instance.default_ttl",
            "invalid_duration",
        ),
        (
            json!({"instance": {"default_ttl": "P8D"}}),
            "instance.default_ttl",
            "default_exceeds_max",
        ),
        (
            json!({"snapshot": {"max_ttl": "P1D"}}),
            "snapshot.default_ttl",
            "default_exceeds_max",
        ),
        (
            json!({"instance": {"default_tll": "PT1H"}}),
            "instance.default_tll",
            "unknown_field",
        ),
        (
            json!({"instances": {"default_ttl": "PT1H"}}),
            "instances",
            "unknown_field",
        ),
        (json!({"instance": "PT1H"}), "instance", "type"),
        (json!({}), "body", "empty_update"),
        (json!({"instance": {}}), "body", "empty_update"),
    ];
    for (body, field, reason) in bad {
        let (status, out) = s
            .call(
                Method::PUT,
                "/api/config/lifecycle",
                DAVE,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
        assert_eq!(out["error"]["code"], "VALIDATION_FAILED");
        assert!(has_reason(&out, field, reason), "{body}: {out}");
    }
    let (_, after) = s
        .call(Method::GET, "/api/config/lifecycle", DAVE, None)
        .await;
    assert_eq!(after["data"], unchanged["data"]);

    // Two successful changes, two audit rows with old and new values.
    let rows = s.config_audit("lifecycle").await;
    assert_eq!(rows.len(), 2);
    let first = rows.last().expect("first change audited");
    assert_eq!(first.details["new"]["instance"]["default_ttl"], "P1DT12H");
    assert_eq!(first.actor, DAVE);
    assert_eq!(first.action, "config.update");
    assert_eq!(first.details["old"]["instance"]["default_ttl"], "PT24H");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_export_and_maintenance_rules() {
    let s = server().await;
    let (status, out) = s
        .call(
            Method::PUT,
            "/api/config/concurrency",
            DAVE,
            Some(json!({"per_analyst": 2, "cluster_total": 20})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{out}");
    assert_eq!(
        (
            out["data"]["per_analyst"].clone(),
            out["data"]["cluster_total"].clone()
        ),
        (json!(2), json!(20))
    );
    let (_, out) = s
        .call(
            Method::PUT,
            "/api/config/concurrency",
            DAVE,
            Some(json!({"cluster_total": 30})),
        )
        .await;
    assert_eq!(
        (
            out["data"]["per_analyst"].clone(),
            out["data"]["cluster_total"].clone()
        ),
        (json!(2), json!(30)),
        "omitted limit kept"
    );
    let limits = platform_config::concurrency(&mut s.state.store.read().await.unwrap())
        .await
        .unwrap();
    assert_eq!((limits.per_analyst, limits.cluster_total), (2, 30));
    let bad = [
        (json!({}), "body", "empty_update"),
        (json!({"per_analyst": 0}), "per_analyst", "out_of_range"),
        (json!({"per_analyst": 101}), "per_analyst", "out_of_range"),
        (
            json!({"cluster_total": 1001}),
            "cluster_total",
            "out_of_range",
        ),
        (json!({"per_analyst": "5"}), "per_analyst", "type"),
        (json!({"per_analyst": null}), "per_analyst", "type"),
        (
            json!({"per_analyst": 40}),
            "per_analyst",
            "per_analyst_exceeds_total",
        ),
        (
            json!({"cluster_total": 1}),
            "cluster_total",
            "per_analyst_exceeds_total",
        ),
        (json!({"per_analyst": 3, "max": 4}), "max", "unknown_field"),
    ];
    for (body, field, reason) in bad {
        let (status, out) = s
            .call(
                Method::PUT,
                "/api/config/concurrency",
                DAVE,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
        assert!(has_reason(&out, field, reason), "{body}: {out}");
    }
    assert_eq!(s.config_audit("concurrency").await.len(), 2);

    for (body, field, reason) in [
        (
            json!({"max_duration_seconds": 59}),
            "max_duration_seconds",
            "out_of_range",
        ),
        (
            json!({"max_duration_seconds": 86_401}),
            "max_duration_seconds",
            "out_of_range",
        ),
        (json!({}), "max_duration_seconds", "required"),
    ] {
        let (status, out) = s
            .call(Method::PUT, "/api/config/export", DAVE, Some(body.clone()))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
        assert!(has_reason(&out, field, reason), "{body}: {out}");
    }
    let (status, out) = s
        .call(
            Method::PUT,
            "/api/config/export",
            DAVE,
            Some(json!({"max_duration_seconds": 7200})),
        )
        .await;
    assert_eq!(
        (status, out["data"]["max_duration_seconds"].clone()),
        (StatusCode::OK, json!(7200))
    );
    assert_eq!(
        platform_config::export_max_duration_seconds(&mut s.state.store.read().await.unwrap())
            .await
            .unwrap(),
        7200
    );
    let rows = s.config_audit("export").await;
    assert_eq!(
        (
            rows[0].details["old"]["max_duration_seconds"].clone(),
            rows[0].details["new"]["max_duration_seconds"].clone()
        ),
        (json!(3600), json!(7200))
    );

    for (body, field, reason) in [
        (json!({"message": "x"}), "enabled", "required"),
        (json!({"enabled": "yes"}), "enabled", "type"),
        (
            json!({"enabled": true, "message": "m".repeat(1001)}),
            "message",
            "too_long",
        ),
    ] {
        let (status, out) = s
            .call(
                Method::PUT,
                "/api/config/maintenance",
                DAVE,
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {out}");
        assert!(has_reason(&out, field, reason), "{body}: {out}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintenance_mode_blocks_creation_through_the_helper() {
    let s = server().await;
    let conn = || async { s.state.store.read().await.unwrap() };
    platform_config::ensure_not_in_maintenance(&mut conn().await)
        .await
        .expect("off by default");
    let (status, on) = s
        .call(
            Method::PUT,
            "/api/config/maintenance",
            DAVE,
            Some(json!({"enabled": true, "message": "upgrade in progress"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{on}");
    assert_eq!(
        (
            on["data"]["enabled"].clone(),
            on["data"]["message"].clone(),
            on["data"]["updated_by"].clone()
        ),
        (json!(true), json!("upgrade in progress"), json!(DAVE))
    );
    let e = platform_config::ensure_not_in_maintenance(&mut conn().await)
        .await
        .unwrap_err();
    assert_eq!(e.code, graph_olap_api::ErrorCode::MaintenanceMode);
    assert_eq!(e.code.http_status(), 503);
    assert_eq!(e.message, "upgrade in progress");
    assert_eq!(e.details["maintenance_message"], "upgrade in progress");
    assert_eq!(e.details["enabled_by"], DAVE);
    assert_eq!(e.details["enabled_at"], on["data"]["updated_at"]);
    // Changing only the message keeps when and by whom it was enabled; the default message applies when empty.
    let (_, again) = s
        .call(
            Method::PUT,
            "/api/config/maintenance",
            DAVE,
            Some(json!({"enabled": true})),
        )
        .await;
    assert_eq!(again["data"]["message"], "");
    let e = platform_config::ensure_not_in_maintenance(&mut conn().await)
        .await
        .unwrap_err();
    assert_eq!(e.message, "The platform is in maintenance mode");
    assert_eq!(e.details["enabled_at"], on["data"]["updated_at"]);
    // Mapping CRUD keeps working during maintenance.
    let (status, _) = s
        .call(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some(json!({"name": "during maintenance", "node_definitions": [node()]})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, off) = s
        .call(
            Method::PUT,
            "/api/config/maintenance",
            DAVE,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(off["data"]["enabled"], false);
    platform_config::ensure_not_in_maintenance(&mut conn().await)
        .await
        .expect("off again");
    let rows = s.config_audit("maintenance").await;
    assert_eq!(rows.len(), 3);
    assert!(
        rows.iter()
            .any(|r| r.details["old"]["enabled"] == false && r.details["new"]["enabled"] == true)
    );
}

// ---------------------------------------------------------------- idempotency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_create_replays_and_refuses_reuse() {
    let s = server().await;
    let body = json!({"name": "idem-create", "node_definitions": [node()]});
    let first = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("key-1"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert!(first.headers.get("idempotent-replayed").is_none());
    let id = first.body["data"]["id"].as_i64().unwrap();

    let replay = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("key-1"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.headers["idempotent-replayed"], "true");
    assert_eq!(replay.headers["location"], format!("/api/mappings/{id}"));
    assert_eq!(replay.body["data"], first.body["data"]);
    assert_eq!(
        replay.body["meta"]["request_id"].as_str(),
        replay.headers["x-request-id"].to_str().ok(),
        "meta follows this request"
    );
    assert_eq!(s.mappings_named("idem-create").await.len(), 1);

    let other = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("key-1"),
            Some(json!({"name": "idem-other", "node_definitions": [node()]})),
        )
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(other.body["error"]["details"]["reason"], "body_mismatch");

    // Keys are per caller: bob's identical request is a new mapping.
    let bob = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            BOB,
            Some("key-1"),
            Some(body.clone()),
        )
        .await;
    assert_eq!(bob.status, StatusCode::CREATED);
    assert!(bob.headers.get("idempotent-replayed").is_none());
    assert_ne!(bob.body["data"]["id"], json!(id));

    // Copy honours keys too.
    let copy1 = s
        .send_keyed(
            Method::POST,
            &format!("/api/mappings/{id}/copy"),
            BOB,
            Some("copy-1"),
            Some(json!({"name": "idem-copy"})),
        )
        .await;
    let copy2 = s
        .send_keyed(
            Method::POST,
            &format!("/api/mappings/{id}/copy"),
            BOB,
            Some("copy-1"),
            Some(json!({"name": "idem-copy"})),
        )
        .await;
    assert_eq!(
        (copy1.status, copy2.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_eq!(copy1.body["data"]["id"], copy2.body["data"]["id"]);
    assert_eq!(copy2.headers["idempotent-replayed"], "true");
    assert_eq!(s.mappings_named("idem-copy").await.len(), 1);

    // Bad keys are refused before anything happens.
    for bad in ["k".repeat(256), "caf\u{e9}".to_string()] {
        let r = s
            .client
            .post(format!("{}/api/mappings", s.url))
            .header("X-Username", ALICE)
            .header("Idempotency-Key", bad.as_bytes())
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let out: Value = r.json().await.unwrap();
        assert_eq!(
            out["error"]["details"]["errors"][0]["field"],
            "header.Idempotency-Key"
        );
    }
    // The permission check still comes first (§1.14).
    let r = s
        .send_keyed(
            Method::PUT,
            "/api/config/export",
            ALICE,
            Some(""),
            Some(json!({"max_duration_seconds": 60})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(s.mappings_named("idem-create").await.len(), 2);
}

/// A create that committed but whose response was never stored (the process died between the
/// two; `crates/cli/tests/crash_matrix.rs` kills a real one there) is answered from the resource
/// its own transaction recorded with the key — also long after the key would count as abandoned —
/// and never made twice. Here the lost response is simulated by clearing it in the database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_whose_response_was_lost_is_answered_from_its_resource() {
    let s = server().await;
    let body = json!({"name": "idem-lost", "node_definitions": [node()]});
    let send = || {
        s.send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("lost-1"),
            Some(body.clone()),
        )
    };
    let first = send().await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let id = first.body["data"]["id"].as_i64().unwrap();
    // The create's transaction named its mapping next to the key.
    let scope = graph_olap_store::idempotency::KeyScope {
        username: ALICE.into(),
        method: "POST".into(),
        path: "/api/mappings".into(),
        key: "lost-1".into(),
    };
    let stored =
        graph_olap_store::idempotency::get(&mut s.state.store.read().await.unwrap(), &scope)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(
        stored.outcome,
        Some(graph_olap_store::idempotency::Outcome {
            kind: "mapping".into(),
            id
        })
    );
    // As after a crash before the response was stored, an hour ago (past the 10-minute
    // abandonment window).
    let an_hour_ago = (chrono::Utc::now() - chrono::Duration::hours(1)).timestamp_millis();
    let mut tx = s.state.store.write().await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE idempotency_keys SET status_code = NULL, response_body = NULL, created_at = {an_hour_ago} WHERE idem_key = 'lost-1'"
    )))
    .execute(&mut *tx)
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let retry = send().await;
    assert_eq!(retry.status, StatusCode::CREATED, "{}", retry.body);
    assert_eq!(retry.headers["idempotent-replayed"], "true");
    assert_eq!(retry.headers["location"], format!("/api/mappings/{id}"));
    assert_eq!(retry.body["data"]["id"], json!(id));
    assert_eq!(retry.body["data"]["name"], "idem-lost");
    assert_eq!(s.mappings_named("idem-lost").await.len(), 1);

    // Once the mapping is deleted, the key answers with a typed conflict, never a second create.
    let (status, _) = s
        .call(Method::DELETE, &format!("/api/mappings/{id}"), ALICE, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let gone = send().await;
    assert_eq!(gone.status, StatusCode::CONFLICT, "{}", gone.body);
    assert_eq!(gone.body["error"]["code"], "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(gone.body["error"]["details"]["reason"], "resource_gone");
    assert!(s.mappings_named("idem-lost").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_requests_are_not_remembered() {
    let s = server().await;
    let bad = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("retry-me"),
            Some(json!({"name": "idem-fail", "ttl": "1 day", "node_definitions": [node()]})),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let again = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("retry-me"),
            Some(json!({"name": "idem-fail", "ttl": "1 day", "node_definitions": [node()]})),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::BAD_REQUEST,
        "a failure is re-evaluated, not replayed"
    );
    assert!(again.headers.get("idempotent-replayed").is_none());
    let fixed = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("retry-me"),
            Some(json!({"name": "idem-fail", "ttl": "P1DT12H", "node_definitions": [node()]})),
        )
        .await;
    assert_eq!(fixed.status, StatusCode::CREATED, "{}", fixed.body);
    assert_eq!(fixed.body["data"]["ttl"], "P1DT12H");
    let missing = s
        .send_keyed(
            Method::POST,
            "/api/mappings/999999/copy",
            ALICE,
            Some("copy-missing"),
            Some(json!({})),
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let (_, m) = s
        .call(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some(json!({"name": "src", "node_definitions": [node()]})),
        )
        .await;
    let mid = m["data"]["id"].as_i64().unwrap();
    // A different path with the same key is a different scope.
    let ok = s
        .send_keyed(
            Method::POST,
            &format!("/api/mappings/{mid}/copy"),
            ALICE,
            Some("copy-missing"),
            Some(json!({})),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_requests_create_one_mapping() {
    let s = Arc::new(server().await);
    let body = json!({"name": "idem-race", "node_definitions": [node()]});
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let s = s.clone();
            let body = body.clone();
            tokio::spawn(async move {
                s.send_keyed(
                    Method::POST,
                    "/api/mappings",
                    ALICE,
                    Some("race-key"),
                    Some(body),
                )
                .await
            })
        })
        .collect();
    let replies: Vec<Reply> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let mut ids = Vec::new();
    for r in &replies {
        match r.status {
            StatusCode::CREATED => ids.push(r.body["data"]["id"].as_i64().unwrap()),
            StatusCode::CONFLICT => assert_eq!(
                r.body["error"]["details"]["reason"], "in_progress",
                "{}",
                r.body
            ),
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(
        ids.len(),
        1,
        "every success carries the one mapping: {ids:?}"
    );
    assert_eq!(
        replies
            .iter()
            .filter(|r| r.status == StatusCode::CREATED
                && r.headers.get("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(s.mappings_named("idem-race").await.len(), 1);
    let late = s
        .send_keyed(
            Method::POST,
            "/api/mappings",
            ALICE,
            Some("race-key"),
            Some(body),
        )
        .await;
    assert_eq!(
        (late.status, late.body["data"]["id"].as_i64()),
        (StatusCode::CREATED, Some(ids[0]))
    );
}
