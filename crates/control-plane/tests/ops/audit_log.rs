//! `/api/audit-log` (docs/ops.md): filters and pagination.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::assert_invalid;
use crate::common::{ALICE, CAROL, DAVE, Db, Env};

crate::on_both_databases!(audit_log_is_filtered_and_paginated);

async fn audit_log_is_filtered_and_paginated(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let t0 = s.state.now();
    let m = s.prestaged_mapping(ALICE, "audited").await;
    s.advance(chrono::Duration::minutes(5));
    s.data(
        Method::PUT,
        "/api/config/concurrency",
        DAVE,
        Some(json!({"per_analyst": 7})),
    )
    .await;
    s.data(
        Method::PUT,
        "/api/config/export",
        DAVE,
        Some(json!({"max_duration_seconds": 600})),
    )
    .await;
    s.advance(chrono::Duration::minutes(5));
    s.data(Method::DELETE, &format!("/api/mappings/{m}"), ALICE, None)
        .await;

    for user in [CAROL, DAVE] {
        let r = s
            .send(Method::GET, "/api/audit-log", Some(user), None)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{user}: {}", r.body);
        assert!(r.body["meta"]["total"].as_i64().unwrap() >= 4);
        assert_eq!(
            (
                r.body["meta"]["offset"].clone(),
                r.body["meta"]["limit"].clone()
            ),
            (json!(0), json!(50))
        );
    }
    let (status, _) = s.call(Method::GET, "/api/audit-log", ALICE, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let mine = s
        .send(
            Method::GET,
            &format!(
                "/api/audit-log?username={}&resource_type=mapping",
                ALICE.to_uppercase()
            ),
            Some(CAROL),
            None,
        )
        .await;
    let entries = mine.body["data"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["mapping.delete", "mapping.create"],
        "newest first: {}",
        mine.body
    );
    assert_eq!(entries[0]["resource_id"], m.to_string());
    assert_eq!(entries[0]["username"], ALICE);
    for key in [
        "id",
        "created_at",
        "username",
        "action",
        "resource_type",
        "resource_id",
        "details",
        "request_id",
    ] {
        assert!(entries[0].get(key).is_some(), "{key}");
    }
    assert!(
        entries[0]["request_id"]
            .as_str()
            .is_some_and(|r| !r.is_empty())
    );

    let config = s
        .data(Method::GET, "/api/audit-log?action=config.", CAROL, None)
        .await;
    let ids: Vec<&str> = config
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["export", "concurrency"]);
    assert_eq!(config[1]["details"]["new"]["per_analyst"], 7);
    let one = s
        .data(
            Method::GET,
            "/api/audit-log?resource_type=config&resource_id=concurrency",
            CAROL,
            None,
        )
        .await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    // `_` in an action is literal, not a wildcard.
    let none = s
        .data(Method::GET, "/api/audit-log?action=mapping_", CAROL, None)
        .await;
    assert_eq!(none, json!([]));

    // Time bounds are inclusive; dates mean midnight UTC.
    let window = format!(
        "created_after={}&created_before={}",
        graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(5))),
        graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(5)))
    );
    let middle = s
        .data(
            Method::GET,
            &format!("/api/audit-log?{}", window.replace('+', "%2B")),
            CAROL,
            None,
        )
        .await;
    assert_eq!(middle.as_array().unwrap().len(), 2, "{middle}");
    let later = s
        .data(
            Method::GET,
            &format!(
                "/api/audit-log?created_after={}",
                graph_olap_api::time::format_ts(&(t0 + chrono::Duration::minutes(6)))
            ),
            CAROL,
            None,
        )
        .await;
    assert_eq!(
        later
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["mapping.delete"]
    );

    let page = s
        .send(
            Method::GET,
            "/api/audit-log?limit=1&offset=1&resource_type=config",
            Some(CAROL),
            None,
        )
        .await;
    assert_eq!(page.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(page.body["data"][0]["resource_id"], "concurrency");
    assert_eq!(page.body["meta"]["total"], 2);

    let before = s.fingerprint().await;
    for (query, field, reason) in [
        ("limit=0", "query.limit", "out_of_range"),
        ("limit=101", "query.limit", "out_of_range"),
        ("offset=x", "query.offset", "type"),
        (
            "created_after=yesterday",
            "query.created_after",
            "invalid_timestamp",
        ),
        (
            "created_before=2025-13-01",
            "query.created_before",
            "invalid_timestamp",
        ),
        ("username=", "query.username", "too_short"),
    ] {
        let (status, e) = s
            .call(Method::GET, &format!("/api/audit-log?{query}"), CAROL, None)
            .await;
        assert_invalid(status, &e, field, reason);
    }
    assert_eq!(s.fingerprint().await, before);
}
