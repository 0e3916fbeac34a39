//! Several control planes on one PostgreSQL (issue 18, item 4): two real `graph-olap serve`
//! processes share one metadata database, one object store, one warehouse and one runtime
//! directory (the local stand-in for a cluster), and are driven concurrently.
//!
//! Checked: the per-analyst and cluster-wide instance limits hold across replicas under
//! concurrent creates; a manual trigger is accepted once per job whichever replica receives it;
//! every instance is scheduled exactly once; any replica proxies to any instance; a replica
//! killed with SIGKILL loses nothing (its instances are terminated through the other replica and
//! it restarts into a consistent state); and, from both replicas' JSON logs, no background job
//! ever ran on two replicas at once, and periodic jobs ran once per interval, not once per
//! replica per interval.
//!
//! Needs PostgreSQL (`GRAPH_OLAP_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`) and `psql` (installed by `scripts/test`).

mod common;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::Platform;
use futures::future::join_all;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const OPS: &str = "ops_dave@e2e.local";
const ANALYSTS: [&str; 3] = [
    "analyst_ann@replicas.local",
    "analyst_ben@replicas.local",
    "analyst_cat@replicas.local",
];
const PER_ANALYST: usize = 2;
const CLUSTER_TOTAL: usize = 4;
/// Interval of the two periodic jobs whose run counts are checked.
const FAST_INTERVAL_SECONDS: i64 = 2;

/// The environment both replicas share: the demo warehouse as files under `root`.
fn shared_env(root: &Path, database_url: &str) -> Vec<(String, String)> {
    let mut users = vec![format!("{OPS}:ops")];
    users.extend(ANALYSTS.iter().map(|a| format!("{a}:analyst")));
    common::replica_env(
        root,
        database_url,
        &root.join("warehouse").display().to_string(),
        &users,
        FAST_INTERVAL_SECONDS,
    )
}

async fn create_mapping(p: &Platform, owner: &str) -> i64 {
    let (name, description, nodes, edges) = graph_olap_demo::tutorial_mapping();
    let body = json!({
        "name": name,
        "description": description,
        "node_definitions": nodes,
        "edge_definitions": edges,
    });
    let (status, reply) = p
        .call(Method::POST, "/api/mappings", owner, Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{reply}");
    reply["data"]["id"].as_i64().unwrap()
}

async fn events_of(p: &Platform, id: i64) -> Vec<String> {
    let (status, body) = p
        .call(
            Method::GET,
            &format!("/api/instances/{id}/events?limit=100"),
            OPS,
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_control_planes_share_limits_jobs_and_instances() {
    let root = tempfile::tempdir().unwrap();
    let warehouse = root.path().join("warehouse");
    tokio::task::spawn_blocking(move || graph_olap_demo::generate(&warehouse, 1))
        .await
        .unwrap()
        .unwrap();
    let schema = graph_olap_store::testing::PrivateSchema::create("replicas").await;
    let env = shared_env(root.path(), &schema.url);
    let started_at = Utc::now();
    let (port_a, port_b) = (common::free_port(), common::free_port());
    let dir_a = root.path().join("replica-a");
    let dir_b = root.path().join("replica-b");
    let a = Platform::start_serve(&dir_a, port_a, &env).await;
    let mut b = Platform::start_serve(&dir_b, port_b, &env).await;

    // Limits set through one replica bind the other.
    let (status, body) = b
        .call(
            Method::PUT,
            "/api/config/concurrency",
            OPS,
            Some(json!({"per_analyst": PER_ANALYST, "cluster_total": CLUSTER_TOTAL})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mapping_id = create_mapping(&a, ANALYSTS[0]).await;

    // Every analyst asks for three instances at once, alternating replicas; while they do, ops
    // triggers every triggerable job on both replicas at the same moment.
    let (ra, rb) = (&a, &b);
    let creates = ANALYSTS
        .iter()
        .flat_map(|analyst| (0..3).map(move |k| (*analyst, if k % 2 == 0 { ra } else { rb }, k)));
    let create_calls = join_all(creates.map(|(analyst, p, k)| async move {
        let body = json!({"mapping_id": mapping_id, "name": format!("{analyst}-{k}")});
        let reply = p
            .call(
                Method::POST,
                "/api/instances/from-mapping",
                analyst,
                Some(body),
            )
            .await;
        (analyst, std::ptr::eq(p, ra), reply)
    }));
    let jobs = [
        "reconciliation",
        "lifecycle",
        "export_reconciliation",
        "schema_cache",
    ];
    let trigger_calls = join_all(jobs.iter().flat_map(|job| {
        [ra, rb].map(|p| async move {
            let body = json!({"job_name": job, "reason": "replicas test"});
            let (status, reply) = p
                .call(Method::POST, "/api/ops/jobs/trigger", OPS, Some(body))
                .await;
            (*job, status, reply)
        })
    }));
    let (created, triggered) = tokio::join!(create_calls, trigger_calls);

    let mut accepted: Vec<(i64, &str, bool)> = Vec::new();
    let mut per_analyst: HashMap<&str, usize> = HashMap::new();
    for (analyst, via_a, (status, body)) in &created {
        match *status {
            StatusCode::CREATED | StatusCode::ACCEPTED => {
                accepted.push((body["data"]["id"].as_i64().unwrap(), *analyst, *via_a));
                *per_analyst.entry(analyst).or_default() += 1;
            }
            _ => assert_eq!(
                body["error"]["code"], "CONCURRENCY_LIMIT_EXCEEDED",
                "{analyst}: {status} {body}"
            ),
        }
    }
    assert_eq!(
        accepted.len(),
        CLUSTER_TOTAL,
        "the cluster-wide limit admits exactly {CLUSTER_TOTAL} of 9 concurrent creates: {created:?}"
    );
    for (analyst, n) in &per_analyst {
        assert!(
            *n <= PER_ANALYST,
            "{analyst} got {n} instances (limit {PER_ANALYST})"
        );
    }
    let mut trigger_outcomes: BTreeMap<&str, Vec<StatusCode>> = BTreeMap::new();
    for (job, status, reply) in &triggered {
        assert!(
            *status == StatusCode::ACCEPTED || *status == StatusCode::TOO_MANY_REQUESTS,
            "{job}: {status} {reply}"
        );
        trigger_outcomes.entry(job).or_default().push(*status);
    }
    for (job, outcomes) in &trigger_outcomes {
        let accepted = outcomes
            .iter()
            .filter(|s| **s == StatusCode::ACCEPTED)
            .count();
        assert_eq!(
            accepted, 1,
            "{job}: one trigger per window across replicas: {outcomes:?}"
        );
    }

    // Every admitted instance runs, answers through the replica that did not create it, and
    // was scheduled exactly once.
    let mut node_counts = Vec::new();
    for (id, owner, via_a) in &accepted {
        let other = if *via_a { &b } else { &a };
        let running = other
            .wait_for_status(*id, "running", Duration::from_secs(240))
            .await;
        let url = running["instance_url"].as_str().unwrap().to_string();
        let url = url.replace(if *via_a { &a.url } else { &b.url }, &other.url);
        let body = other
            .query(&url, owner, "MATCH (n) RETURN count(n) AS nodes")
            .await;
        node_counts.push(body["rows"][0][0].as_i64().unwrap());
        let scheduled = events_of(&a, *id)
            .await
            .iter()
            .filter(|e| *e == "scheduled")
            .count();
        assert_eq!(scheduled, 1, "instance {id} scheduled {scheduled} times");
    }
    assert!(
        node_counts[0] > 0 && node_counts.iter().all(|n| *n == node_counts[0]),
        "{node_counts:?}"
    );
    let units = std::fs::read_dir(root.path().join("instances").join("units"))
        .unwrap()
        .count();
    assert_eq!(
        units, CLUSTER_TOTAL,
        "one runtime unit per admitted instance"
    );

    // Replica B dies without warning; replica A terminates everything, including the instances
    // B started, and B comes back into a consistent state.
    b.kill();
    let pids: Vec<i64> = std::fs::read_dir(root.path().join("instances").join("units"))
        .unwrap()
        .map(|e| {
            let record: Value =
                serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap()).unwrap();
            record["pid"].as_i64().unwrap()
        })
        .collect();
    for (id, owner, _) in &accepted {
        let (status, body) = a
            .call(
                Method::POST,
                &format!("/api/instances/{id}/terminate"),
                owner,
                None,
            )
            .await;
        assert!(status.is_success(), "terminate {id}: {status} {body}");
    }
    for (id, _, _) in &accepted {
        a.wait_for_status(*id, "terminated", Duration::from_secs(120))
            .await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while pids.iter().any(|pid| common::process_alive(*pid)) {
        assert!(
            Instant::now() < deadline,
            "instance servers outlived termination: {pids:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let b = Platform::start_serve(&dir_b, port_b, &env).await;
    let (status, state) = b.call(Method::GET, "/api/ops/state", OPS, None).await;
    assert_eq!(status, StatusCode::OK, "{state}");
    let by_status = &state["data"]["instances"]["by_status"];
    for s in ["waiting_for_snapshot", "starting", "running", "stopping"] {
        assert_eq!(
            by_status[s], 0,
            "no instance left {s} after the crash: {state}"
        );
    }
    assert_eq!(by_status["terminated"], CLUSTER_TOTAL as i64, "{state}");
    // More intervals with both replicas up, so the job-run check below covers both and the
    // fixed extras (one accepted trigger, the start-up runs of three processes) stay small
    // against what running once per replica per interval would add.
    tokio::time::sleep(Duration::from_secs(8 * FAST_INTERVAL_SECONDS as u64)).await;
    let window = (started_at, Utc::now());
    drop(b);
    drop(a);

    // Jobs: never on two replicas at once; periodic ones once per interval in total (the
    // slack covers one accepted trigger and the start-up runs of three processes).
    let by_job = common::check_job_runs(
        &[("a", &dir_a.join("up.log")), ("b", &dir_b.join("up.log"))],
        window,
        FAST_INTERVAL_SECONDS,
        5.0,
    );
    let schema_runs = by_job.get("schema_cache").map_or(0, Vec::len);
    assert!(
        (1..=4).contains(&schema_runs),
        "schema_cache (hourly) ran {schema_runs} times: at most once per process start (three) and once for the trigger"
    );
}
