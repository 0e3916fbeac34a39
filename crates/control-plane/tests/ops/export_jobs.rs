//! `/api/ops/export-jobs` (§7.3): the ops view of the export queue, filtered and paginated.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::assert_invalid;
use crate::common::{ALICE, BOB, CAROL, DAVE, Db, Env};

crate::on_both_databases!(export_job_view_filters_and_paginates);

async fn export_job_view_filters_and_paginates(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let tutorial = s.tutorial_mapping(ALICE).await;
    let first = s.instance(ALICE, tutorial, json!({"name": "first"})).await;
    let second = s
        .instance(
            BOB,
            tutorial,
            json!({"name": "second", "snapshot_name": "again"}),
        )
        .await;
    let (_, claimed) = s
        .internal(
            Method::POST,
            "/api/internal/export-jobs/claim",
            json!({"worker_id": "worker-7", "limit": 1}),
        )
        .await;
    let claimed_id = claimed["data"]["jobs"][0]["id"].as_i64().unwrap();

    let r = s
        .send(Method::GET, "/api/ops/export-jobs", Some(DAVE), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let jobs = r.body["data"]["jobs"].as_array().unwrap();
    let snapshots_expected = if first["snapshot_id"] == second["snapshot_id"] {
        2
    } else {
        4
    };
    assert_eq!(jobs.len(), snapshots_expected, "{}", r.body);
    assert_eq!(
        (
            r.body["meta"]["total"].clone(),
            r.body["meta"]["offset"].clone(),
            r.body["meta"]["limit"].clone()
        ),
        (json!(snapshots_expected), json!(0), json!(100))
    );
    let ids: Vec<i64> = jobs.iter().map(|j| j["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    for key in [
        "id",
        "snapshot_id",
        "mapping_id",
        "job_type",
        "entity_type",
        "entity_name",
        "status",
        "attempts",
        "max_attempts",
        "claimed_by",
        "claimed_at",
        "lease_expires_at",
        "started_at",
        "deadline_at",
        "available_at",
        "completed_at",
        "row_count",
        "size_bytes",
        "output_uri",
        "warehouse_query_id",
        "error_code",
        "error_message",
        "created_at",
        "updated_at",
    ] {
        assert!(jobs[0].get(key).is_some(), "{key} missing: {}", jobs[0]);
    }
    let claimed = s
        .data(
            Method::GET,
            "/api/ops/export-jobs?status=claimed",
            DAVE,
            None,
        )
        .await;
    assert_eq!(claimed["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            claimed["jobs"][0]["id"].as_i64(),
            claimed["jobs"][0]["claimed_by"].clone()
        ),
        (Some(claimed_id), json!("worker-7"))
    );
    let both = s
        .send(
            Method::GET,
            "/api/ops/export-jobs?status=pending,claimed&limit=1&offset=1",
            Some(DAVE),
            None,
        )
        .await;
    assert_eq!(both.body["data"]["jobs"].as_array().unwrap().len(), 1);
    assert_eq!(both.body["data"]["jobs"][0]["id"].as_i64(), Some(ids[1]));
    assert_eq!(both.body["meta"]["total"], snapshots_expected);
    let of_first = s
        .data(
            Method::GET,
            &format!("/api/ops/export-jobs?snapshot_id={}", first["snapshot_id"]),
            DAVE,
            None,
        )
        .await;
    assert_eq!(of_first["jobs"].as_array().unwrap().len(), 2);
    assert!(
        of_first["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|j| j["snapshot_id"] == first["snapshot_id"])
    );
    let none = s
        .data(
            Method::GET,
            "/api/ops/export-jobs?status=completed",
            DAVE,
            None,
        )
        .await;
    assert_eq!(none["jobs"], json!([]));
    let big = s
        .send(
            Method::GET,
            "/api/ops/export-jobs?limit=1000",
            Some(DAVE),
            None,
        )
        .await;
    assert_eq!(big.status, StatusCode::OK, "up to 1000 per page");

    let before = s.fingerprint().await;
    for (query, field, reason) in [
        ("limit=0", "query.limit", "out_of_range"),
        ("limit=1001", "query.limit", "out_of_range"),
        ("offset=-1", "query.offset", "out_of_range"),
        ("status=running", "query.status", "enum"),
        ("status=pending,nope", "query.status", "enum"),
        ("snapshot_id=abc", "query.snapshot_id", "type"),
        ("snapshot_id=0", "query.snapshot_id", "out_of_range"),
    ] {
        let (status, e) = s
            .call(
                Method::GET,
                &format!("/api/ops/export-jobs?{query}"),
                DAVE,
                None,
            )
            .await;
        assert_invalid(status, &e, field, reason);
    }
    assert_eq!(s.fingerprint().await, before);
    for user in [ALICE, CAROL] {
        let (status, _) = s
            .call(Method::GET, "/api/ops/export-jobs", user, None)
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}
