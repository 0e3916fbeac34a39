//! Data-quality checks at export and snapshot reuse, end to end: a real control plane on a
//! socket (SQLite), the real export worker in-process, DataFusion over CSV files written by the
//! test, Parquet files in a real directory.

mod common;
mod export_support;

use std::sync::Arc;

use common::{ALICE, OPS};
use export_support::{csv, start};
use graph_olap_api::export::{CheckPolicy, QualityPolicy};
use graph_olap_warehouse::Warehouse;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// People 1..=10 with id 4 twice (11 rows); `knows` has 10 edges, two of them to people who do not
/// exist (98, 99) and one from a NULL-free but unknown person (77 → 1).
async fn lake() -> (tempfile::TempDir, Arc<dyn Warehouse>) {
    let dir = tempfile::tempdir().unwrap();
    let mut people = String::from("id,name\n");
    for i in 1..=10 {
        people.push_str(&format!("{i},person {i}\n"));
    }
    people.push_str("4,again four\n");
    csv(dir.path(), "lake.g.people", &people);
    csv(
        dir.path(),
        "lake.g.knows",
        "src,dst\n1,2\n2,3\n3,4\n4,5\n5,6\n6,98\n7,99\n77,1\n8,9\n9,10\n",
    );
    let wh = graph_olap_warehouse::connect(&dir.path().display().to_string())
        .await
        .unwrap();
    (dir, wh)
}

fn person(sql: &str) -> Value {
    json!([{"label": "Person", "sql": sql, "primary_key": {"name": "id", "type": "INT64"}, "properties": [{"name": "name", "type": "STRING"}]}])
}

fn knows() -> Value {
    json!([{"type": "KNOWS", "from_node": "Person", "to_node": "Person", "sql": "SELECT src, dst FROM lake.g.knows", "from_key": "src", "to_key": "dst", "properties": []}])
}

const PEOPLE: &str = "SELECT id, name FROM lake.g.people";

/// Counts the rows in every Parquet part file under `dir` by their footers' sizes (the manifest
/// is checked separately): returns the part file names.
fn part_files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_and_dangling_edges_are_reported_and_left_out_by_default() {
    let (_lake, wh) = lake().await;
    let plane = start(wh.clone(), |_| {}).await;
    let mapping = plane
        .mapping("quality graph", person(PEOPLE), knows())
        .await;
    let (status, instance) = plane.create_from_mapping(mapping, "q1").await;
    assert_eq!(status, StatusCode::CREATED, "{instance}");
    let snapshot_id = instance["data"]["snapshot_id"].as_i64().unwrap();
    let pending = plane.snapshot(snapshot_id).await;
    assert_eq!(
        pending["data_quality"]["status"], "pending",
        "always present: {pending}"
    );
    assert_eq!(
        pending["data_quality"]["policy"],
        json!({"null_keys": "fail", "duplicate_keys": "report", "dangling_edges": "report"})
    );

    let snapshot = plane.export_with_worker(wh, snapshot_id).await;
    assert_eq!(snapshot["status"], "ready", "{snapshot}");
    assert_eq!(
        snapshot["node_counts"]["Person"], 10,
        "the second id 4 is left out: {snapshot}"
    );
    assert_eq!(
        snapshot["edge_counts"]["KNOWS"], 7,
        "three dangling edges are left out: {snapshot}"
    );
    let q = &snapshot["data_quality"];
    assert_eq!(q["status"], "warnings", "{q}");
    assert_eq!(
        (
            q["duplicate_keys"].as_u64(),
            q["dangling_edges"].as_u64(),
            q["null_keys"].as_u64()
        ),
        (Some(1), Some(3), Some(0))
    );
    let people = &q["nodes"]["Person"];
    assert_eq!(
        (
            people["rows_read"].as_u64(),
            people["rows_written"].as_u64(),
            people["duplicate_keys"].as_u64()
        ),
        (Some(11), Some(10), Some(1))
    );
    assert!(
        people["examples"][0]
            .as_str()
            .unwrap()
            .contains("'id' = '4'"),
        "{people}"
    );
    let edges = &q["edges"]["KNOWS"];
    assert_eq!(edges["endpoints_checked"], true);
    assert_eq!(
        (
            edges["rows_read"].as_u64(),
            edges["dangling_from"].as_u64(),
            edges["dangling_to"].as_u64()
        ),
        (Some(10), Some(1), Some(2))
    );
    assert!(
        edges["examples"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .contains("'99' is not an exported Person")),
        "{edges}"
    );

    // The files hold exactly what the counts say (manifest row counts match).
    let storage = snapshot["storage_path"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(format!("{storage}_manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["nodes"][0]["row_count"], 10);
    assert_eq!(manifest["edges"][0]["row_count"], 7);
    assert!(!part_files(&std::path::Path::new(&storage).join("edges/KNOWS")).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_policies_fail_the_snapshot_with_the_counts_and_null_keys_fail_by_default() {
    let (_lake, wh) = lake().await;
    // Dangling edges configured to fail.
    let plane = start(wh.clone(), |s| {
        s.quality = QualityPolicy {
            dangling_edges: CheckPolicy::Fail,
            ..QualityPolicy::default()
        }
    })
    .await;
    let mapping = plane.mapping("strict graph", person(PEOPLE), knows()).await;
    let (_, instance) = plane.create_from_mapping(mapping, "strict").await;
    let snapshot_id = instance["data"]["snapshot_id"].as_i64().unwrap();
    let snapshot = plane.export_with_worker(wh.clone(), snapshot_id).await;
    assert_eq!(snapshot["status"], "failed", "{snapshot}");
    let message = snapshot["error_message"].as_str().unwrap();
    assert!(
        message.starts_with("edge 'KNOWS': invalid data: 3 dangling edge(s)"),
        "{message}"
    );
    assert_eq!(snapshot["data_quality"]["status"], "failed");
    assert_eq!(
        snapshot["data_quality"]["edges"]["KNOWS"]["dangling_edges"],
        3
    );
    assert_eq!(
        snapshot["data_quality"]["nodes"]["Person"]["duplicate_keys"], 1,
        "the node job completed under report"
    );

    // NULL primary keys fail by default (§3.2), with every NULL counted.
    let plane = start(wh.clone(), |_| {}).await;
    let nulls = "SELECT CASE WHEN id % 3 = 0 THEN NULL ELSE id END AS id, name FROM lake.g.people";
    let mapping = plane.mapping("null graph", person(nulls), json!([])).await;
    let (_, instance) = plane.create_from_mapping(mapping, "nulls").await;
    let snapshot_id = instance["data"]["snapshot_id"].as_i64().unwrap();
    let snapshot = plane.export_with_worker(wh, snapshot_id).await;
    assert_eq!(snapshot["status"], "failed", "{snapshot}");
    let message = snapshot["error_message"].as_str().unwrap();
    assert!(
        message.contains("3 row(s) with a NULL key (primary key 'id')"),
        "{message}"
    );
    assert_eq!(snapshot["data_quality"]["status"], "failed");
    assert_eq!(snapshot["data_quality"]["null_keys"], 3);
    let storage = snapshot["storage_path"]
        .as_str()
        .unwrap()
        .trim_start_matches("file://")
        .to_string();
    assert!(
        part_files(&std::path::Path::new(&storage).join("nodes/Person")).is_empty(),
        "no files of a failed job remain"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_snapshot_of_the_same_version_is_reused_and_instances_start_directly() {
    let (_lake, wh) = lake().await;
    let plane = start(wh.clone(), |_| {}).await;
    let mapping = plane.mapping("reuse graph", person(PEOPLE), knows()).await;
    let (_, first) = plane.create_from_mapping(mapping, "first").await;
    assert_eq!(first["data"]["status"], "waiting_for_snapshot");
    let snapshot_id = first["data"]["snapshot_id"].as_i64().unwrap();
    assert_eq!(
        plane.export_with_worker(wh.clone(), snapshot_id).await["status"],
        "ready"
    );

    plane.clock.advance(chrono::Duration::seconds(5));
    let (status, second) = plane.create_from_mapping(mapping, "second").await;
    assert_eq!(status, StatusCode::CREATED, "{second}");
    assert_eq!(second["data"]["status"], "starting", "no export: {second}");
    assert_eq!(second["data"]["snapshot_id"].as_i64(), Some(snapshot_id));
    // The other create shape reuses it too.
    let (status, third) = plane
        .call(
            Method::POST,
            "/api/instances",
            ALICE,
            Some(json!({"mapping_id": mapping, "name": "third"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{third}");
    assert_eq!(
        (
            third["data"]["status"].as_str(),
            third["data"]["snapshot_id"].as_i64()
        ),
        (Some("starting"), Some(snapshot_id))
    );
    let (_, list) = plane
        .call(
            Method::GET,
            &format!("/api/mappings/{mapping}/snapshots"),
            ALICE,
            None,
        )
        .await;
    assert_eq!(
        list["meta"]["total"], 1,
        "one snapshot, exported once: {list}"
    );
    let snapshot = plane.snapshot(snapshot_id).await;
    assert_eq!(snapshot["instance_count"], 3);
    assert!(
        snapshot["last_used_at"].as_str().unwrap() > snapshot["ready_at"].as_str().unwrap(),
        "{snapshot}"
    );
    assert_eq!(
        plane.progress(snapshot_id).await["jobs_total"],
        2,
        "no new export jobs"
    );

    // The concurrency limit and maintenance mode apply to reuse as to any creation.
    let (status, _) = plane
        .call(
            Method::PUT,
            "/api/config/concurrency",
            OPS,
            Some(json!({"per_analyst": 3})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = plane.create_from_mapping(mapping, "fourth").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("CONCURRENCY_LIMIT_EXCEEDED")),
        "{refused}"
    );
    let (status, _) = plane
        .call(
            Method::PUT,
            "/api/config/concurrency",
            OPS,
            Some(json!({"per_analyst": 10})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = plane
        .call(
            Method::PUT,
            "/api/config/maintenance",
            OPS,
            Some(json!({"enabled": true, "message": "upgrade"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = plane.create_from_mapping(mapping, "fifth").await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("MAINTENANCE_MODE"))
    );
    let (status, _) = plane
        .call(
            Method::PUT,
            "/api/config/maintenance",
            OPS,
            Some(json!({"enabled": false})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // A new version exports again.
    let (status, updated) = plane
        .call(Method::PUT, &format!("/api/mappings/{mapping}"), ALICE, Some(json!({"change_description": "only people", "node_definitions": person(PEOPLE), "edge_definitions": []})))
        .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    let (_, v2) = plane.create_from_mapping(mapping, "v2").await;
    assert_eq!(v2["data"]["status"], "waiting_for_snapshot", "{v2}");
    assert_ne!(v2["data"]["snapshot_id"].as_i64(), Some(snapshot_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reuse_can_be_turned_off_and_expired_snapshots_are_not_reused() {
    let (_lake, wh) = lake().await;
    let plane = start(wh.clone(), |s| s.snapshot_reuse = false).await;
    let mapping = plane.mapping("no reuse", person(PEOPLE), json!([])).await;
    let (_, first) = plane.create_from_mapping(mapping, "a").await;
    let first_snapshot = first["data"]["snapshot_id"].as_i64().unwrap();
    assert_eq!(
        plane.export_with_worker(wh.clone(), first_snapshot).await["status"],
        "ready"
    );
    let (_, second) = plane.create_from_mapping(mapping, "b").await;
    assert_eq!(second["data"]["status"], "waiting_for_snapshot");
    assert_ne!(second["data"]["snapshot_id"].as_i64(), Some(first_snapshot));

    // With reuse on, a snapshot past its TTL is not reused.
    let plane = start(wh.clone(), |_| {}).await;
    let (status, body) = plane
        .call(
            Method::PUT,
            "/api/config/lifecycle",
            OPS,
            Some(json!({"snapshot": {"default_ttl": "PT1H"}})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mapping = plane.mapping("ttl reuse", person(PEOPLE), json!([])).await;
    let (_, first) = plane.create_from_mapping(mapping, "a").await;
    let first_snapshot = first["data"]["snapshot_id"].as_i64().unwrap();
    assert_eq!(
        plane.export_with_worker(wh.clone(), first_snapshot).await["status"],
        "ready"
    );
    let (_, reused) = plane.create_from_mapping(mapping, "b").await;
    assert_eq!(
        reused["data"]["snapshot_id"].as_i64(),
        Some(first_snapshot),
        "within its TTL: {reused}"
    );
    plane.clock.advance(chrono::Duration::hours(2));
    let (_, fresh) = plane.create_from_mapping(mapping, "c").await;
    assert_eq!(fresh["data"]["status"], "waiting_for_snapshot", "{fresh}");
    assert_ne!(fresh["data"]["snapshot_id"].as_i64(), Some(first_snapshot));
}
