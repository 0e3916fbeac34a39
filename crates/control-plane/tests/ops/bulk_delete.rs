//! `DELETE /api/admin/resources/bulk` (§7.4): unsafe requests refused without change, each
//! match processed on its own.

use graph_olap_store::audit;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{ALICE, BOB, CAROL, DAVE, Db, Env, reasons};
use crate::{assert_invalid, prestaged_node};

crate::on_both_databases!(
    bulk_delete_refuses_unsafe_requests_and_changes_nothing,
    bulk_delete_processes_each_match_independently,
);

async fn bulk_delete_refuses_unsafe_requests_and_changes_nothing(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "tmp-mapping").await;
    for i in 0..2 {
        s.instance(ALICE, staged, json!({"name": format!("tmp-{i}")}))
            .await;
    }
    let before = s.fingerprint().await;
    let del = async |body: Value| {
        let r = s
            .send(
                Method::DELETE,
                "/api/admin/resources/bulk",
                Some(CAROL),
                Some(body),
            )
            .await;
        (r.status, r.body)
    };
    let cases = [
        (
            json!({"resource_type": "instance", "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": null, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {}, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": null, "created_by": null, "older_than_hours": null, "status": null}, "reason": "x"}),
            "filters",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": "tmp-", "reason": "x"}),
            "filters",
            "type",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefx": "tmp-"}, "reason": "x"}),
            "filters.name_prefx",
            "unknown_field",
        ),
        (
            json!({"resource_type": "mapping", "filters": {"status": "ready"}, "reason": "x"}),
            "filters.status",
            "not_allowed",
        ),
        (
            json!({"resource_type": "instance", "filters": {"status": "ready"}, "reason": "x"}),
            "filters.status",
            "enum",
        ),
        (
            json!({"resource_type": "snapshot", "filters": {"status": "running"}, "reason": "x"}),
            "filters.status",
            "enum",
        ),
        (
            json!({"resource_type": "user", "filters": {"name_prefix": "tmp-"}, "reason": "x"}),
            "resource_type",
            "enum",
        ),
        (
            json!({"filters": {"name_prefix": "tmp-"}, "reason": "x"}),
            "resource_type",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}}),
            "reason",
            "required",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": ""}),
            "reason",
            "too_short",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": ""}, "reason": "x"}),
            "filters.name_prefix",
            "too_short",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": 0}, "reason": "x"}),
            "filters.older_than_hours",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": 87_601}, "reason": "x"}),
            "filters.older_than_hours",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"older_than_hours": "2h"}, "reason": "x"}),
            "filters.older_than_hours",
            "type",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "expected_count": -1}),
            "expected_count",
            "out_of_range",
        ),
        (
            json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "dry_run": "yes"}),
            "dry_run",
            "type",
        ),
    ];
    for (body, field, reason) in cases {
        let (status, e) = del(body.clone()).await;
        assert_invalid(status, &e, field, reason);
    }
    // Every problem is reported together.
    let (status, e) =
        del(json!({"resource_type": "mapping", "filters": {"status": "x", "bogus": 1}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let found = reasons(&e);
    for expected in [
        ("reason", "required"),
        ("filters.bogus", "unknown_field"),
        ("filters.status", "not_allowed"),
    ] {
        assert!(
            found
                .iter()
                .any(|(f, r)| (f.as_str(), r.as_str()) == expected),
            "{expected:?} in {e}"
        );
    }
    // A wrong expected_count is refused, in a dry run too, naming both numbers.
    for dry_run in [true, false] {
        let (status, e) = del(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x", "expected_count": 3, "dry_run": dry_run})).await;
        assert_invalid(status, &e, "expected_count", "count_mismatch");
        let message = e["error"]["details"]["errors"][0]["message"]
            .as_str()
            .unwrap();
        assert!(message.contains('3') && message.contains('2'), "{message}");
    }
    // Bad durations elsewhere on the same platform: typed errors, nothing stored.
    for (ttl, reason) in [
        ("P1Y", "unsupported_unit"),
        ("PT0S", "out_of_range"),
        ("1 day", "invalid_duration"),
        ("P1DT", "invalid_duration"),
    ] {
        let (status, e) = s
            .call(
                Method::POST,
                "/api/instances/from-mapping",
                ALICE,
                Some(json!({"mapping_id": staged, "name": "bad", "ttl": ttl})),
            )
            .await;
        assert_invalid(status, &e, "ttl", reason);
        let (status, e) = s
            .call(
                Method::PUT,
                "/api/config/lifecycle",
                DAVE,
                Some(json!({"snapshot": {"default_inactivity": ttl}})),
            )
            .await;
        assert_invalid(status, &e, "snapshot.default_inactivity", reason);
    }
    assert_eq!(
        s.fingerprint().await,
        before,
        "refused requests changed nothing"
    );
    // Analysts may not bulk delete at all.
    let r = s.send(Method::DELETE, "/api/admin/resources/bulk", Some(ALICE), Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-"}, "reason": "x"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A dry run reports what would be affected and changes nothing.
    let dry = s.data(Method::POST, "/api/admin/resources/bulk-delete", DAVE, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": "ANALYST_ALICE@e2e.local"}, "reason": "check", "expected_count": 2, "dry_run": true}))).await;
    assert_eq!(
        (
            dry["dry_run"].clone(),
            dry["matched_count"].clone(),
            dry["deleted_count"].clone()
        ),
        (json!(true), json!(2), json!(0))
    );
    assert_eq!(
        (
            dry["deleted_ids"].clone(),
            dry["failed_ids"].clone(),
            dry["errors"].clone()
        ),
        (json!([]), json!([]), json!({}))
    );
    assert_eq!(dry["matched_ids"].as_array().unwrap().len(), 2);

    // 101 matches is too many, even as a dry run.
    for i in 0..100 {
        s.mapping(
            BOB,
            json!({"name": format!("bulk-{i:03}"), "node_definitions": [prestaged_node()]}),
        )
        .await;
    }
    s.mapping(
        BOB,
        json!({"name": "bulk-extra", "node_definitions": [prestaged_node()]}),
    )
    .await;
    let before_many = s.fingerprint().await;
    for dry_run in [true, false] {
        let (status, e) = del(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "too many", "dry_run": dry_run})).await;
        assert_invalid(status, &e, "filters", "too_many_matches");
        assert!(
            e["error"]["details"]["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("101"),
            "{e}"
        );
    }
    assert_eq!(s.fingerprint().await, before_many, "nothing changed");
    let exactly = s.data(Method::POST, "/api/admin/resources/bulk-delete", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-0"}, "reason": "hundred", "dry_run": true}))).await;
    assert_eq!(exactly["matched_count"], 100, "100 is allowed");

    let after = s.fingerprint().await;
    assert_eq!(
        (&after["instances"], &after["snapshots"], &after["jobs"]),
        (&before["instances"], &before["snapshots"], &before["jobs"]),
        "no instance or snapshot was touched"
    );
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("bulk.".into()),
            ..Default::default()
        })
        .await;
    assert!(
        audited.is_empty(),
        "refused requests and dry runs are not audited: {audited:?}"
    );
}

async fn bulk_delete_processes_each_match_independently(db: Db) {
    let env = Env::new(db).await;
    let s = env.replica().await;
    let staged = s.prestaged_mapping(ALICE, "bulk-staged").await;
    let other = s.prestaged_mapping(BOB, "bulk-other").await;
    let mut tmp = Vec::new();
    for i in 0..3 {
        tmp.push(
            s.instance(ALICE, staged, json!({"name": format!("tmp-{i}")}))
                .await,
        );
    }
    let keep = s.instance(ALICE, staged, json!({"name": "keep"})).await;
    let bobs = s.instance(BOB, other, json!({"name": "tmp-bob"})).await;

    // Instances: terminated through the normal path with termination_reason bulk_delete.
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": "me"}, "reason": "nobody"}))).await;
    assert_eq!(r["matched_count"], 0, "created_by me is the admin: {r}");
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": ALICE, "status": "starting"}, "reason": "cleanup after test run", "expected_count": 3}))).await;
    let tmp_ids: Vec<i64> = tmp.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    assert_eq!(r["matched_ids"], json!(tmp_ids));
    assert_eq!(
        (
            r["deleted_count"].clone(),
            r["deleted_ids"].clone(),
            r["failed_ids"].clone(),
            r["dry_run"].clone()
        ),
        (json!(3), json!(tmp_ids), json!([]), json!(false))
    );
    for id in &tmp_ids {
        let inst = s
            .data(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        assert_eq!(inst["termination_reason"], "bulk_delete", "{inst}");
        assert!(
            matches!(inst["status"].as_str(), Some("stopping" | "terminated")),
            "{inst}"
        );
        let events = s
            .data(
                Method::GET,
                &format!("/api/instances/{id}/events?event_type=terminate_requested"),
                ALICE,
                None,
            )
            .await;
        assert_eq!(events[0]["actor"], CAROL);
        assert_eq!(events[0]["details"]["note"], "cleanup after test run");
    }
    for untouched in [&keep, &bobs] {
        assert_eq!(
            s.data(
                Method::GET,
                &format!("/api/instances/{}", untouched["id"]),
                ALICE,
                None
            )
            .await["status"],
            "starting"
        );
    }
    // Terminated instances never match again.
    let again = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"name_prefix": "tmp-", "created_by": ALICE}, "reason": "again", "dry_run": true}))).await;
    assert_eq!(again["matched_count"], 0, "{again}");

    // Snapshots: the ones still used by an active instance fail with their own error; the rest go.
    let r = s.data(Method::POST, "/api/admin/resources/bulk-delete", DAVE, Some(json!({"resource_type": "snapshot", "filters": {"created_by": ALICE, "status": "ready"}, "reason": "free storage"}))).await;
    assert_eq!(r["matched_count"], 4, "{r}");
    assert_eq!(r["failed_ids"], json!([keep["snapshot_id"]]));
    let error = &r["errors"][keep["snapshot_id"].to_string()];
    assert_eq!(error["code"], "RESOURCE_HAS_DEPENDENCIES", "{r}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("active instance")
    );
    let deleted: Vec<Value> = tmp.iter().map(|i| i["snapshot_id"].clone()).collect();
    assert_eq!(r["deleted_ids"], json!(deleted));
    assert_eq!(r["deleted_count"], 3);
    for id in &deleted {
        let (status, _) = s
            .call(Method::GET, &format!("/api/snapshots/{id}"), ALICE, None)
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }

    // Mappings: the one with an active instance is refused, the other is deleted.
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "end of project", "expected_count": 2}))).await;
    assert_eq!(
        r["failed_ids"].as_array().unwrap().len(),
        2,
        "both have an active instance: {r}"
    );
    s.data(
        Method::POST,
        &format!("/api/instances/{}/terminate", bobs["id"]),
        BOB,
        None,
    )
    .await;
    let r = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "mapping", "filters": {"name_prefix": "bulk-"}, "reason": "end of project"}))).await;
    assert_eq!(
        (r["deleted_ids"].clone(), r["failed_ids"].clone()),
        (json!([other]), json!([staged])),
        "{r}"
    );
    assert_eq!(
        r["errors"][staged.to_string()]["code"],
        "RESOURCE_HAS_DEPENDENCIES"
    );
    let (status, _) = s
        .call(Method::GET, &format!("/api/mappings/{other}"), BOB, None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Age filter: nothing is older than an hour yet; two hours later everything is.
    let young = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"older_than_hours": 1}, "reason": "old", "dry_run": true}))).await;
    assert_eq!(young["matched_count"], 0);
    s.advance(chrono::Duration::hours(2));
    let old = s.data(Method::DELETE, "/api/admin/resources/bulk", CAROL, Some(json!({"resource_type": "instance", "filters": {"older_than_hours": 1}, "reason": "old", "dry_run": true}))).await;
    assert_eq!(old["matched_ids"], json!([keep["id"]]), "{old}");

    // Each real run is one audit record with the caller, reason, filters and ids.
    let audited = s
        .audit(audit::AuditFilter {
            action: Some("bulk.delete".into()),
            ..Default::default()
        })
        .await;
    assert_eq!(audited.len(), 5, "{audited:?}");
    let first = audited.last().unwrap();
    assert_eq!(
        (first.actor.as_str(), first.resource_type.as_str()),
        (CAROL, "instance")
    );
    assert_eq!(first.details["reason"], "nobody");
    let terminate_run = &audited[audited.len() - 2];
    assert_eq!(
        terminate_run.details["filters"],
        json!({"name_prefix": "tmp-", "created_by": ALICE, "status": "starting"})
    );
    assert_eq!(terminate_run.details["deleted_ids"], json!(tmp_ids));
    assert_eq!(terminate_run.details["expected_count"], 3);
}
