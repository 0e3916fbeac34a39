//! Snapshots and the export queue end to end: a real control plane on a socket (SQLite), the
//! real export worker writing Parquet into a real directory, and the lease/deadline/retry rules
//! driven with a manual clock through the internal API.

mod common;

use std::time::Duration;

use common::{ALICE, BOB, Db, Env, KEY, OPS};
use graph_olap_control_plane::jobs::{Job, run_job};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A control plane on a manual clock with the tutorial mapping created by alice.
struct Server {
    plane: common::Server,
    mapping_id: i64,
}

impl std::ops::Deref for Server {
    type Target = common::Server;

    fn deref(&self) -> &common::Server {
        &self.plane
    }
}

async fn server() -> Server {
    let plane = Env::new(Db::Sqlite)
        .await
        .replica_with(
            // These tests claim node and edge jobs together; the dangling-edge check would hold
            // edge jobs back until the node jobs completed (docs/snapshots.md).
            |settings| settings.quality.dangling_edges = graph_olap_api::export::CheckPolicy::Off,
            None,
        )
        .await;
    let (name, description, nodes, edges) = graph_olap_demo::tutorial_mapping();
    let (status, body) = plane.call(Method::POST, "/api/mappings", Some(ALICE), Some(json!({"name": name, "description": description, "node_definitions": nodes, "edge_definitions": edges}))).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    Server {
        mapping_id: body["data"]["id"].as_i64().unwrap(),
        plane,
    }
}

impl Server {
    async fn create_instance(&self, user: &str, name: &str) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/instances/from-mapping",
            Some(user),
            Some(json!({"mapping_id": self.mapping_id, "name": name})),
        )
        .await
    }

    async fn claim(&self, worker: &str, limit: u32) -> Vec<Value> {
        let (status, body) = self
            .internal(
                Method::POST,
                "/api/internal/export-jobs/claim",
                json!({"worker_id": worker, "limit": limit}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]["jobs"].as_array().unwrap().clone()
    }

    /// Runs a real export worker until the snapshot is ready or failed; returns the snapshot and
    /// the worker's summary.
    async fn export(&self, snapshot_id: i64) -> (Value, graph_olap_export::RunSummary) {
        let mut config = graph_olap_export::WorkerConfig::new(
            self.url.clone(),
            KEY,
            self.state.warehouse.clone(),
        );
        config.wait_seconds = 1;
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(graph_olap_export::run(config, async move {
            let _ = stop_rx.await;
        }));
        let mut snapshot = Value::Null;
        for _ in 0..240 {
            let (_, body) = self
                .call(
                    Method::GET,
                    &format!("/api/snapshots/{snapshot_id}"),
                    Some(ALICE),
                    None,
                )
                .await;
            snapshot = body["data"].clone();
            if snapshot["status"] == "ready" || snapshot["status"] == "failed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let _ = stop_tx.send(());
        (snapshot, worker.await.unwrap())
    }

    fn advance(&self, secs: i64) {
        self.clock.advance(chrono::Duration::seconds(secs));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_worker_exports_a_snapshot_that_becomes_ready_with_a_manifest() {
    let s = server().await;
    let (status, inst) = s.create_instance(ALICE, "first graph").await;
    assert_eq!(status, StatusCode::CREATED, "{inst}");
    assert_eq!(inst["data"]["status"], "waiting_for_snapshot");
    let snapshot_id = inst["data"]["snapshot_id"].as_i64().unwrap();
    let (_, progress) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}/progress"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(progress["data"]["phase"], "queued");
    assert_eq!(
        progress["data"]["jobs_total"], 2,
        "one job per node label and edge type: {progress}"
    );

    let (snapshot, summary) = s.export(snapshot_id).await;
    assert_eq!(snapshot["status"], "ready", "{snapshot}");
    assert_eq!(summary.completed, 2);
    let customers = snapshot["node_counts"]["Customer"].as_i64().unwrap();
    assert!(customers > 0, "{snapshot}");
    assert!(snapshot["size_bytes"].as_i64().unwrap() > 0);

    // The manifest lists every file with rows and sizes that match the files on disk.
    let storage_path = snapshot["storage_path"].as_str().unwrap();
    let root = std::path::PathBuf::from(storage_path.strip_prefix("file://").unwrap());
    let manifest: graph_olap_api::instance::SnapshotManifest =
        serde_json::from_slice(&std::fs::read(root.join("_manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest.snapshot_id, snapshot_id);
    assert_eq!(manifest.nodes.len(), 1);
    assert_eq!(manifest.nodes[0].row_count as i64, customers);
    for table in manifest.nodes.iter().chain(&manifest.edges) {
        assert!(!table.files.is_empty(), "{table:?}");
        for f in &table.files {
            let meta = std::fs::metadata(root.join(&f.path)).unwrap();
            assert_eq!(meta.len(), f.size_bytes, "{}", f.path);
        }
    }
    let (_, progress) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}/progress"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(progress["data"]["phase"], "ready");
    assert_eq!(progress["data"]["progress_percent"], 100);
    assert_eq!(progress["data"]["steps"][0]["name"], "nodes/Customer");

    // Orchestration moves the waiting instance on (no runtime here: it stays unscheduled).
    run_job(&s.state, Job::InstanceOrchestration).await.unwrap();
    let id = inst["data"]["id"].as_i64().unwrap();
    let (_, got) = s
        .call(
            Method::GET,
            &format!("/api/instances/{id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(got["data"]["status"], "starting", "{got}");
    let (_, events) = s
        .call(
            Method::GET,
            &format!("/api/instances/{id}/events"),
            Some(ALICE),
            None,
        )
        .await;
    let types: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["snapshot_ready", "created"]);

    // Deleting the snapshot is refused while the instance is active, then removes the files.
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/snapshots/{snapshot_id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"]["code"], "RESOURCE_HAS_DEPENDENCIES");
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/instances/{id}/terminate"),
            Some(ALICE),
            Some(json!({"reason": "done"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/snapshots/{snapshot_id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    run_job(&s.state, Job::ExportReconciliation).await.unwrap();
    assert!(
        !root.join("_manifest.json").exists(),
        "files are removed after the delete"
    );
    let (status, _) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_lease_returns_the_job_to_the_queue_with_backoff() {
    let s = server().await;
    s.create_instance(ALICE, "g").await;
    let jobs = s.claim("worker-a", 1).await;
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    let (id, token) = (
        job["id"].as_i64().unwrap(),
        job["lease_token"].as_str().unwrap().to_string(),
    );
    assert_eq!(job["attempt"], 1);
    assert_eq!(job["column_names"][0], "id");
    // A heartbeat with the right token extends the lease; a wrong token is refused.
    let (status, hb) = s.internal(Method::POST, &format!("/api/internal/export-jobs/{id}/heartbeat"), json!({"lease_token": token, "progress": {"rows_written": 10, "bytes_written": 100, "files_written": 0}})).await;
    assert_eq!(status, StatusCode::OK, "{hb}");
    assert_eq!(hb["data"]["cancel"], false);
    let (status, body) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{id}/heartbeat"),
            json!({"lease_token": "not-the-token"}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("LEASE_EXPIRED"))
    );

    // The worker dies: the lease runs out and reconciliation requeues the job with a 10 s backoff.
    s.advance(121);
    run_job(&s.state, Job::ExportReconciliation).await.unwrap();
    let (_, got) = s
        .internal(
            Method::GET,
            &format!("/api/internal/export-jobs/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(got["data"]["status"], "pending", "{got}");
    assert_eq!(got["data"]["error_code"], "LEASE_EXPIRED");
    let (status, body) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{id}/complete"),
            json!({"lease_token": token, "row_count": 0, "size_bytes": 0, "files": []}),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("LEASE_EXPIRED")),
        "the old holder cannot complete"
    );
    let others: Vec<Value> = s.claim("worker-b", 10).await;
    assert!(
        others.iter().all(|j| j["id"].as_i64() != Some(id)),
        "not claimable during the backoff"
    );
    s.advance(11);
    let again = s.claim("worker-b", 10).await;
    let reclaimed = again
        .iter()
        .find(|j| j["id"].as_i64() == Some(id))
        .expect("claimable after the backoff");
    assert_eq!(reclaimed["attempt"], 2);
    assert_eq!(reclaimed["claimed_by"], "worker-b");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_past_its_deadline_fails_the_snapshot_and_its_waiting_instance() {
    let s = server().await;
    let (status, _) = s
        .call(
            Method::PUT,
            "/api/config/export",
            Some(OPS),
            Some(json!({"max_duration_seconds": 60})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, inst) = s.create_instance(ALICE, "g").await;
    let snapshot_id = inst["data"]["snapshot_id"].as_i64().unwrap();
    let jobs = s.claim("w", 10).await;
    assert_eq!(jobs.len(), 2);
    let (id, token) = (
        jobs[0]["id"].as_i64().unwrap(),
        jobs[0]["lease_token"].as_str().unwrap().to_string(),
    );
    s.advance(61);
    let (status, hb) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{id}/heartbeat"),
            json!({"lease_token": token}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(hb["data"]["cancel"], true, "the worker must abort: {hb}");
    let (_, job) = s
        .internal(
            Method::GET,
            &format!("/api/internal/export-jobs/{id}"),
            json!({}),
        )
        .await;
    assert_eq!(job["data"]["status"], "failed");
    assert_eq!(job["data"]["error_code"], "EXPORT_TIMEOUT");
    let (_, snap) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(snap["data"]["status"], "failed");
    assert!(
        snap["data"]["error_message"]
            .as_str()
            .unwrap()
            .contains("maximum duration of 60 s"),
        "{snap}"
    );
    let sibling = jobs[1]["id"].as_i64().unwrap();
    let (_, sib) = s
        .internal(
            Method::GET,
            &format!("/api/internal/export-jobs/{sibling}"),
            json!({}),
        )
        .await;
    assert_eq!(sib["data"]["status"], "cancelled", "siblings are cancelled");
    let (status, late) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{id}/complete"),
            json!({"lease_token": token, "row_count": 0, "size_bytes": 0, "files": []}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{late}");

    run_job(&s.state, Job::InstanceOrchestration).await.unwrap();
    let iid = inst["data"]["id"].as_i64().unwrap();
    let (_, got) = s
        .call(
            Method::GET,
            &format!("/api/instances/{iid}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(got["data"]["status"], "failed");
    assert_eq!(got["data"]["error_code"], "SNAPSHOT_FAILED");

    // Retry resets the jobs; someone else's snapshot cannot be retried by Bob.
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/snapshots/{snapshot_id}/retry"),
            Some(BOB),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, retried) = s
        .call(
            Method::POST,
            &format!("/api/snapshots/{snapshot_id}/retry"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{retried}");
    assert_eq!(retried["data"]["status"], "pending");
    let (_, progress) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}/progress"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(progress["data"]["jobs_pending"], 2, "{progress}");
    let (status, _) = s
        .call(
            Method::POST,
            &format!("/api/snapshots/{snapshot_id}/retry"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a pending snapshot cannot be retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_non_retryable_failure_fails_the_snapshot_with_the_job_name() {
    let s = server().await;
    let (_, inst) = s.create_instance(ALICE, "g").await;
    let snapshot_id = inst["data"]["snapshot_id"].as_i64().unwrap();
    let jobs = s.claim("w", 10).await;
    let (id, token) = (
        jobs[0]["id"].as_i64().unwrap(),
        jobs[0]["lease_token"].as_str().unwrap().to_string(),
    );
    let (status, body) = s.internal(Method::POST, &format!("/api/internal/export-jobs/{id}/fail"), json!({"lease_token": token, "error_code": "INVALID_DATA", "error_message": "column id is null in row 3", "retryable": false})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["status"], "failed");
    let (_, snap) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(
        snap["data"]["error_message"],
        "node 'Customer': column id is null in row 3"
    );
    let other = &jobs[1];
    let (_, hb) = s
        .internal(
            Method::POST,
            &format!("/api/internal/export-jobs/{}/heartbeat", other["id"]),
            json!({"lease_token": other["lease_token"]}),
        )
        .await;
    assert_eq!(hb["data"]["cancel"], true);
    // A retryable failure goes back to the queue instead.
    let (_, inst2) = s.create_instance(ALICE, "g2").await;
    let jobs = s.claim("w", 10).await;
    let job = jobs
        .iter()
        .find(|j| j["snapshot_id"] == inst2["data"]["snapshot_id"])
        .unwrap();
    let (_, body) = s.internal(Method::POST, &format!("/api/internal/export-jobs/{}/fail", job["id"]), json!({"lease_token": job["lease_token"], "error_code": "WAREHOUSE_ERROR", "error_message": "connection reset"})).await;
    assert_eq!(body["data"]["status"], "pending", "{body}");
    assert_eq!(body["data"]["attempts"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quotas_and_maintenance_guard_instance_creation_atomically() {
    let s = server().await;
    let (status, _) = s
        .call(
            Method::PUT,
            "/api/config/concurrency",
            Some(OPS),
            Some(json!({"per_analyst": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Five concurrent creations by one analyst: exactly two succeed.
    let attempts = (0..5).map(|i| s.create_instance(ALICE, if i % 2 == 0 { "a" } else { "b" }));
    let results = futures::future::join_all(attempts).await;
    let ok = results
        .iter()
        .filter(|(st, _)| *st == StatusCode::CREATED)
        .count();
    assert_eq!(ok, 2, "{results:?}");
    let refused = results
        .iter()
        .find(|(st, _)| *st == StatusCode::CONFLICT)
        .unwrap();
    assert_eq!(refused.1["error"]["code"], "CONCURRENCY_LIMIT_EXCEEDED");
    assert_eq!(refused.1["error"]["details"]["limit_type"], "per_analyst");
    let (_, quota) = s
        .call(Method::GET, "/api/instances/quota", Some(ALICE), None)
        .await;
    assert_eq!(quota["data"]["active_instances"], 2);
    assert_eq!(quota["data"]["available_slots"], 0);
    let (_, snaps) = s
        .call(
            Method::GET,
            &format!("/api/mappings/{}/snapshots", s.mapping_id),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(
        snaps["meta"]["total"], 2,
        "refused creations left no snapshot behind: {snaps}"
    );

    let (status, _) = s
        .call(
            Method::PUT,
            "/api/config/maintenance",
            Some(OPS),
            Some(json!({"enabled": true, "message": "upgrading"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = s.create_instance(BOB, "x").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["error"]["code"], "MAINTENANCE_MODE");
    assert_eq!(body["error"]["message"], "upgrading");
    let (status, _) = s.call(Method::GET, "/api/instances", Some(BOB), None).await;
    assert_eq!(status, StatusCode::OK, "reads keep working");

    // Terminating a waiting instance cancels its snapshot.
    let first = results
        .iter()
        .find(|(st, _)| *st == StatusCode::CREATED)
        .unwrap();
    let id = first.1["data"]["id"].as_i64().unwrap();
    let (status, body) = s
        .call(
            Method::DELETE,
            &format!("/api/instances/{id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"]["status"], "terminated");
    assert_eq!(body["data"]["termination_reason"], "user_request");
    let (_, snap) = s
        .call(
            Method::GET,
            &format!("/api/snapshots/{}", first.1["data"]["snapshot_id"]),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(snap["data"]["status"], "cancelled");
    let _ = &s.env.dir;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_lifecycle_changes_are_validated_and_recorded() {
    let s = server().await;
    let (_, inst) = s.create_instance(ALICE, "g").await;
    let id = inst["data"]["id"].as_i64().unwrap();
    assert_eq!(
        inst["data"]["ttl"], "PT24H",
        "default TTL from the lifecycle configuration: {inst}"
    );
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/instances/{id}/lifecycle"),
            Some(ALICE),
            Some(json!({"ttl": "1 day"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/instances/{id}/lifecycle"),
            Some(ALICE),
            Some(json!({"ttl": "P8D"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["details"]["max_ttl"], "P7D");
    let (status, body) = s
        .call(
            Method::PUT,
            &format!("/api/instances/{id}/lifecycle"),
            Some(ALICE),
            Some(json!({"ttl": "P1DT12H"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = s
        .call(
            Method::POST,
            &format!("/api/instances/{id}/extend"),
            Some(ALICE),
            Some(json!({"hours": 24})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["data"]["ttl"], "P2DT12H");
    let (status, body) = s
        .call(
            Method::POST,
            &format!("/api/instances/{id}/extend"),
            Some(ALICE),
            Some(json!({"hours": 168})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["details"]["max_ttl"], "P7D");
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/instances/{id}"),
            Some(BOB),
            Some(json!({"name": "mine now"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = s
        .call(
            Method::PUT,
            &format!("/api/instances/{id}/cpu"),
            Some(ALICE),
            Some(json!({"cpu_cores": 2})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "resizing needs a running instance"
    );
    let (_, events) = s
        .call(
            Method::GET,
            &format!("/api/instances/{id}/events?event_type=ttl_extended,lifecycle_updated"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(events["meta"]["total"], 2, "{events}");

    // The lifecycle job expires it once its TTL has passed.
    s.advance(3 * 86_400);
    run_job(&s.state, Job::Lifecycle).await.unwrap();
    let (_, got) = s
        .call(
            Method::GET,
            &format!("/api/instances/{id}"),
            Some(ALICE),
            None,
        )
        .await;
    assert_eq!(got["data"]["status"], "terminated");
    assert_eq!(got["data"]["termination_reason"], "ttl_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_are_sized_from_the_snapshot_and_refused_when_they_would_not_fit() {
    let s = server().await;
    let (_, first) = s.create_instance(ALICE, "sizing").await;
    let snapshot_id = first["data"]["snapshot_id"].as_i64().unwrap();
    let (snapshot, _) = s.export(snapshot_id).await;
    assert_eq!(snapshot["status"], "ready", "{snapshot}");
    s.call(
        Method::DELETE,
        &format!("/api/instances/{}", first["data"]["id"]),
        Some(ALICE),
        None,
    )
    .await;

    // A small snapshot gets the §6.1 default, ceil(2 + 3 × size in GiB) = 3.
    let (status, small) = s
        .call(
            Method::POST,
            "/api/instances",
            Some(ALICE),
            Some(json!({"snapshot_id": snapshot_id, "name": "small"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{small}");
    assert_eq!(small["data"]["memory_gb"], 3, "{small}");
    let (_, progress) = s
        .call(
            Method::GET,
            &format!("/api/instances/{}/progress", small["data"]["id"]),
            Some(ALICE),
            None,
        )
        .await;
    let step = &progress["data"]["steps"][0];
    assert_eq!(
        (step["name"].as_str(), step["status"].as_str()),
        (Some("snapshot"), Some("completed")),
        "{progress}"
    );
    assert!(
        step["started_at"].as_str() <= step["completed_at"].as_str(),
        "an already ready snapshot completes the step at creation: {step}"
    );
    s.call(
        Method::DELETE,
        &format!("/api/instances/{}", small["data"]["id"]),
        Some(ALICE),
        None,
    )
    .await;

    // Pretend the snapshot holds 4 GiB of Parquet: the estimate is 9 GiB (2 × 4 GiB and the base).
    let store = s.state.store.clone();
    let grow = |bytes: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.write().await.unwrap();
            let mut row = graph_olap_store::snapshots::get_for_update(&mut tx, snapshot_id)
                .await
                .unwrap()
                .unwrap();
            row.size_bytes = Some(bytes);
            graph_olap_store::snapshots::save(&mut tx, &row)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    grow(4 << 30).await;
    let count = || async {
        s.call(
            Method::GET,
            "/api/instances?include_terminated=true",
            Some(ALICE),
            None,
        )
        .await
        .1["meta"]["total"]
            .as_i64()
            .unwrap()
    };
    let before = count().await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/instances",
            Some(ALICE),
            Some(json!({"snapshot_id": snapshot_id, "name": "tight", "memory_gb": 8})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let error = &body["error"]["details"]["errors"][0];
    assert_eq!(
        (error["field"].as_str(), error["reason"].as_str()),
        (Some("memory_gb"), Some("below_memory_estimate")),
        "{body}"
    );
    assert!(
        error["message"].as_str().unwrap().contains("9 GiB"),
        "{body}"
    );
    assert_eq!(body["error"]["details"]["estimated_memory_gb"], 9);
    let (status, sized) = s
        .call(
            Method::POST,
            "/api/instances",
            Some(ALICE),
            Some(json!({"snapshot_id": snapshot_id, "name": "sized"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{sized}");
    assert_eq!(
        sized["data"]["memory_gb"], 14,
        "the §6.1 default ceil(2 + 3 × 4) when it covers the estimate: {sized}"
    );
    s.call(
        Method::DELETE,
        &format!("/api/instances/{}", sized["data"]["id"]),
        Some(ALICE),
        None,
    )
    .await;

    // 40 GiB of Parquet cannot fit any instance: refused, nothing created.
    grow(40 << 30).await;
    let before_huge = count().await;
    let (status, body) = s
        .call(
            Method::POST,
            "/api/instances",
            Some(ALICE),
            Some(json!({"snapshot_id": snapshot_id, "name": "huge"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["details"]["errors"][0]["reason"], "exceeds_memory_limit",
        "{body}"
    );
    assert_eq!(body["error"]["details"]["memory_limit_gb"], 32);
    assert_eq!(
        count().await,
        before_huge,
        "a refused create stores nothing"
    );
    assert_eq!(before + 1, before_huge, "only the sized instance was added");

    // Reusing the snapshot from its mapping is sized (and refused) the same way.
    let (status, body) = s
        .call(
            Method::POST,
            "/api/instances/from-mapping",
            Some(ALICE),
            Some(json!({"mapping_id": s.mapping_id, "name": "reuse-huge"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(
        body["error"]["details"]["errors"][0]["reason"], "exceeds_memory_limit",
        "{body}"
    );
    assert_eq!(count().await, before_huge);
}
