//! `/networkx` functions without a native kernel, run in real NetworkX in the instance's worker
//! process: write-back of node results, non-node results, typed errors, timeout and
//! cancellation killing the child, the merged catalogue. Real processes throughout: the
//! instance server over a generated snapshot (stub control plane), the Python worker, and
//! NetworkX run locally on the same graph for the expected values.
//!
//! Needs `python3` (or `GRAPH_OLAP_PYTHON`) with networkx; fails, not skips, without it.

mod common;

use common::{KEY, envelope, write_parquet};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use axum::Json;
use axum::Router;
use axum::routing::{get, patch, post, put};
use graph_olap_api::instance::{ManifestTable, SnapshotManifest};
use graph_olap_instance::{InstanceConfig, Phase, Server};
use serde_json::{Value, json};

/// Two dense groups bridged by 5→6, a tail 10→11, node 12 isolated; a parallel edge (1→2
/// twice) and a self-loop (3→3).
const EDGES: &[(i64, i64)] = &[
    (1, 2),
    (2, 3),
    (3, 1),
    (1, 4),
    (4, 5),
    (5, 1),
    (2, 4),
    (3, 5),
    (1, 2),
    (3, 3),
    (6, 7),
    (7, 8),
    (8, 6),
    (6, 9),
    (9, 10),
    (10, 6),
    (7, 9),
    (8, 10),
    (5, 6),
    (10, 11),
];
const PEOPLE: i64 = 12;

async fn start_stub(bootstrap: Value) -> String {
    let app = Router::new()
        .route(
            "/api/internal/instances/{id}/status",
            patch(|Json(b): Json<Value>| async move {
                envelope(json!({"status": b["status"], "desired_state": "run"}))
            }),
        )
        .route(
            "/api/internal/instances/{id}/mapping",
            get(move || {
                let b = bootstrap.clone();
                async move { envelope(b) }
            }),
        )
        .route(
            "/api/internal/instances/{id}/progress",
            put(|| async { envelope(json!({"progress_percent": 0})) }),
        )
        .route(
            "/api/internal/instances/{id}/activity",
            post(|| async { envelope(json!({"last_activity_at": "2025-01-15T10:30:00.000Z"})) }),
        )
        .route(
            "/api/internal/instances/{id}/metrics",
            put(|| async { envelope(json!({"desired_state": "run"})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// The Person/KNOWS snapshot and its bootstrap.
fn snapshot(root: &Path) -> Value {
    let snap = root.join("snap");
    let table = |kind: &str, name: &str, columns: Vec<(&str, ArrayRef)>| {
        let rel = format!("{kind}/{name}/part-00000.parquet");
        let mut f = write_parquet(&snap.join(&rel), columns);
        f.path = rel;
        ManifestTable {
            name: name.into(),
            row_count: f.row_count,
            files: vec![f],
        }
    };
    let ids: Vec<i64> = (1..=PEOPLE).collect();
    let names: Vec<String> = ids.iter().map(|i| format!("p{i}")).collect();
    let people = table(
        "nodes",
        "Person",
        vec![
            ("person_id", Arc::new(Int64Array::from(ids)) as ArrayRef),
            ("name", Arc::new(StringArray::from(names)) as ArrayRef),
        ],
    );
    let knows = table(
        "edges",
        "KNOWS",
        vec![
            (
                "src",
                Arc::new(Int64Array::from(
                    EDGES.iter().map(|e| e.0).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
            (
                "dst",
                Arc::new(Int64Array::from(
                    EDGES.iter().map(|e| e.1).collect::<Vec<_>>(),
                )) as ArrayRef,
            ),
        ],
    );
    let manifest = SnapshotManifest {
        schema_version: 1,
        snapshot_id: 7,
        mapping_id: 1,
        mapping_version: 1,
        nodes: vec![people.clone()],
        edges: vec![knows.clone()],
        created_at: chrono::Utc::now(),
    };
    std::fs::write(
        snap.join("_manifest.json"),
        serde_json::to_vec(&manifest).unwrap(),
    )
    .unwrap();
    let base = format!("file://{}/", snap.display());
    json!({
        "instance_id": 3, "owner_username": "alice@example.com",
        "snapshot_id": 7, "mapping_id": 1, "mapping_version": 1,
        "storage_path": base, "prestaged": false,
        "node_definitions": [
            {"label": "Person", "sql": "SELECT 1", "primary_key": {"name": "person_id", "type": "INT64"},
             "properties": [{"name": "name", "type": "STRING"}]}],
        "edge_definitions": [
            {"type": "KNOWS", "from_node": "Person", "to_node": "Person", "sql": "SELECT 1",
             "from_key": "src", "to_key": "dst", "properties": []}],
        "node_counts": {"Person": people.row_count},
        "edge_counts": {"KNOWS": knows.row_count},
        "manifest_path": format!("{base}_manifest.json"),
        "cpu_cores": 2, "memory_gb": 4,
        "query_defaults": {"timeout_ms": 60000, "max_rows": 100000, "max_rows_cap": 1000000},
        "auth_mode": "api_key"
    })
}

/// A running instance over the Person/KNOWS snapshot.
struct Instance {
    _dir: tempfile::TempDir,
    server: Server,
    base: String,
    http: reqwest::Client,
}

async fn start() -> Instance {
    let dir = tempfile::tempdir().unwrap();
    let cp_url = start_stub(snapshot(dir.path())).await;
    let server = graph_olap_instance::start(InstanceConfig {
        instance_id: 3,
        control_plane_url: cp_url,
        internal_api_key: KEY.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dir.path().join("data"),
        pod_name: None,
        internal_url: None,
        metrics_interval: Duration::from_secs(3600),
    })
    .await
    .unwrap();
    for _ in 0..600 {
        if matches!(server.state.phase(), Phase::Running | Phase::Failed) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(server.state.phase(), Phase::Running);
    Instance {
        base: format!("http://{}", server.addr),
        _dir: dir,
        server,
        http: reqwest::Client::new(),
    }
}

impl Instance {
    fn auth(&self, r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        r.header("X-Internal-Api-Key", KEY)
            .header("X-Username", "alice@example.com")
            .header("X-User-Role", "analyst")
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let r = self
            .auth(self.http.get(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .auth(self.http.post(format!("{}{path}", self.base)))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    async fn delete(&self, path: &str) -> (u16, Value) {
        let r = self
            .auth(self.http.delete(format!("{}{path}", self.base)))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Starts `name` and waits until it leaves `running`.
    async fn run(&self, name: &str, body: Value) -> Value {
        let (status, started) = self.post(&format!("/networkx/{name}"), body).await;
        assert_eq!(status, 202, "{name}: {started}");
        self.wait(started["execution_id"].as_str().unwrap()).await
    }

    async fn wait(&self, id: &str) -> Value {
        for _ in 0..1200 {
            let (_, e) = self.get(&format!("/networkx/status/{id}")).await;
            if e["status"] != "running" {
                return e;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("execution {id} still running");
    }

    async fn query(&self, cypher: &str) -> Vec<Vec<Value>> {
        let (status, body) = self.post("/query", json!({"query": cypher})).await;
        assert_eq!(status, 200, "{body}");
        body["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().clone())
            .collect()
    }

    /// `person_id` → `_id`.
    async fn ids(&self) -> Vec<(i64, i64)> {
        self.query("MATCH (p:Person) RETURN p.person_id, id(p) ORDER BY p.person_id")
            .await
            .into_iter()
            .map(|r| (r[0].as_i64().unwrap(), r[1].as_i64().unwrap()))
            .collect()
    }
}

fn python() -> String {
    std::env::var("GRAPH_OLAP_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Runs `expr` in local NetworkX on the same graph (`G`, a DiGraph keyed by `_id`) and returns
/// it as JSON.
fn local_networkx(ids: &[(i64, i64)], expr: &str) -> Value {
    let id_of = |pk: i64| ids.iter().find(|(p, _)| *p == pk).unwrap().1;
    let mut edges: Vec<(i64, i64)> = EDGES.iter().map(|(a, b)| (id_of(*a), id_of(*b))).collect();
    edges.sort_unstable();
    let nodes: Vec<i64> = ids.iter().map(|(_, i)| *i).collect();
    let script = format!(
        "import json, networkx as nx\nG = nx.DiGraph()\nG.add_nodes_from({nodes:?})\n\
         G.add_edges_from({edges:?})\nprint(json.dumps({expr}))\n"
    );
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(&script)
        .output()
        .expect("python3 with networkx is required");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * (1.0 + b.abs())
}

/// Worker processes of an execution still alive (their command line names its job directory).
fn worker_processes(execution_id: &str) -> usize {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0;
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(execution_id))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_function_without_a_kernel_runs_in_networkx_and_is_written_back() {
    let inst = start().await;
    let ids = inst.ids().await;
    let done = inst
        .run(
            "load_centrality",
            json!({"node_label": "Person", "result_property": "load"}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["algorithm_type"], "networkx");
    assert_eq!(done["nodes_updated"], PEOPLE);
    assert_eq!(done["result"]["implementation"], "networkx");
    assert_eq!(done["result"]["result_kind"], "node_values");
    let expected = local_networkx(&ids, "nx.load_centrality(G)");
    let rows = inst
        .query("MATCH (p:Person) RETURN id(p), p.load ORDER BY id(p)")
        .await;
    assert_eq!(rows.len() as i64, PEOPLE);
    for r in rows {
        let want = expected[r[0].as_i64().unwrap().to_string()]
            .as_f64()
            .unwrap();
        assert!(close(r[1].as_f64().unwrap(), want), "{r:?} vs {want}");
    }

    // A tuple of per-node dicts (hubs, authorities): one property each, `_0` and `_1`.
    let done = inst
        .run(
            "hits",
            json!({"node_label": "Person", "result_property": "hits", "parameters": {"max_iter": 1000}}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["properties"], json!(["hits_0", "hits_1"]));
    let expected = local_networkx(&ids, "nx.hits(G, max_iter=1000)");
    let rows = inst
        .query("MATCH (p:Person) RETURN id(p), p.hits_0, p.hits_1")
        .await;
    for r in rows {
        let key = r[0].as_i64().unwrap().to_string();
        for (col, i) in [(1, 0), (2, 1)] {
            let want = expected[i][&key].as_f64().unwrap();
            assert!((r[col].as_f64().unwrap() - want).abs() < 1e-6, "{r:?}");
        }
    }

    // Without result_property the per-node values come back keyed by `_id`, nothing written.
    let done = inst
        .run("load_centrality", json!({"node_label": "Person"}))
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["nodes_updated"], 0);
    assert_eq!(
        done["result"]["value"].as_object().unwrap().len() as i64,
        PEOPLE
    );
    inst.server.state.request_shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_that_are_not_per_node_come_back_as_the_execution_result() {
    let inst = start().await;
    let ids = inst.ids().await;
    let id = |pk: i64| ids.iter().find(|(p, _)| *p == pk).unwrap().1;

    let done = inst
        .run(
            "all_pairs_shortest_path_length",
            json!({"parameters": {"cutoff": 2}}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["result_kind"], "json");
    let expected = local_networkx(
        &ids,
        "{str(k): {str(t): d for t, d in v.items()} for k, v in nx.all_pairs_shortest_path_length(G, cutoff=2)}",
    );
    assert_eq!(done["result"]["value"], expected);

    let done = inst
        .run(
            "dijkstra_path",
            json!({"parameters": {"source": id(1), "target": id(11)}}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    let expected = local_networkx(&ids, &format!("nx.dijkstra_path(G, {}, {})", id(1), id(11)));
    assert_eq!(done["result"]["value"], expected);

    // Not implemented for directed graphs: the undirected view is used.
    let done = inst.run("bridges", json!({})).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["graph_treatment"], "undirected");
    let mut got: Vec<Vec<i64>> = serde_json::from_value(done["result"]["value"].clone()).unwrap();
    let mut want: Vec<Vec<i64>> =
        serde_json::from_value(local_networkx(&ids, "list(nx.bridges(G.to_undirected()))"))
            .unwrap();
    for v in got.iter_mut().chain(want.iter_mut()) {
        v.sort_unstable();
    }
    got.sort();
    want.sort();
    assert_eq!(got, want);

    // A native kernel keeps priority (ours computes clustering on the undirected view, as its
    // catalogue entry says); a parameter it does not support sends the call to NetworkX.
    let done = inst.run("average_clustering", json!({})).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["result"]["implementation"].is_null());
    let want = local_networkx(&ids, "nx.average_clustering(G.to_undirected())")
        .as_f64()
        .unwrap();
    let got = done["result"]["value"].as_f64().unwrap();
    assert!(close(got, want), "native {got} vs NetworkX {want}");
    let done = inst
        .run(
            "betweenness_centrality",
            json!({"node_label": "Person", "result_property": "bc", "parameters": {"endpoints": true}}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["implementation"], "networkx");
    let expected = local_networkx(&ids, "nx.betweenness_centrality(G, endpoints=True)");
    for r in inst.query("MATCH (p:Person) RETURN id(p), p.bc").await {
        let want = expected[r[0].as_i64().unwrap().to_string()]
            .as_f64()
            .unwrap();
        assert!(close(r[1].as_f64().unwrap(), want));
    }

    // Partitions are written as community indexes ordered by smallest member.
    let done = inst
        .run(
            "girvan_newman",
            json!({"node_label": "Person", "result_property": "gn", "parameters": {"max_items": 1}}),
        )
        .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["result"]["result_kind"], "partition");
    let rows = inst
        .query("MATCH (p:Person) RETURN p.person_id, p.gn ORDER BY p.person_id")
        .await;
    let community: Vec<i64> = rows.iter().map(|r| r[1].as_i64().unwrap()).collect();
    assert_eq!(community[0], 0);
    assert_eq!(
        community[11],
        *community.iter().max().unwrap(),
        "isolated node last"
    );
    inst.server.state.request_shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_parameters_and_networkx_errors_are_typed() {
    let inst = start().await;
    let (status, body) = inst
        .post(
            "/networkx/load_centrality",
            json!({"parameters": {"normalised": true}}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(
        body["error"]["details"]["errors"][0]["field"],
        "parameters.normalised"
    );
    let (status, body) = inst.post("/networkx/dijkstra_path", json!({})).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = inst.post("/networkx/no_such_function", json!({})).await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "ALGORITHM_NOT_FOUND");

    let done = inst
        .run(
            "dijkstra_path",
            json!({"parameters": {"source": 999_999, "target": 0}}),
        )
        .await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error_code"], "ALGORITHM_FAILED");
    assert_eq!(done["result"]["error"]["type"], "NodeNotFound");
    assert!(
        done["error_message"]
            .as_str()
            .unwrap()
            .starts_with("NodeNotFound:")
    );
    let done = inst
        .run("load_centrality", json!({"parameters": {"cutoff": "abc"}}))
        .await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["result"]["error"]["type"], "TypeError");
    assert_eq!(done["result"]["error"]["kind"], "invalid_argument");
    inst.server.state.request_shutdown();
}

/// `random_reference` with a million rewiring rounds takes minutes.
fn slow_body(timeout_ms: u64) -> Value {
    json!({"timeout_ms": timeout_ms,
           "parameters": {"niter": 1_000_000, "connectivity": false, "seed": 1}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timeout_or_a_cancel_kills_the_worker_and_releases_the_lock() {
    let inst = start().await;
    let done = inst.run("random_reference", slow_body(1000)).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error_code"], "ALGORITHM_TIMEOUT");
    let id = done["execution_id"].as_str().unwrap();
    assert_eq!(worker_processes(id), 0, "the timed-out worker was killed");

    let (status, started) = inst
        .post("/networkx/random_reference", slow_body(600_000))
        .await;
    assert_eq!(status, 202, "{started}");
    let id = started["execution_id"].as_str().unwrap().to_string();
    // Starting Python and importing NetworkX takes seconds on a loaded machine.
    for _ in 0..600 {
        if worker_processes(&id) > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        worker_processes(&id) >= 1,
        "a worker process runs the execution"
    );
    let (status, _) = inst.post("/networkx/hits", json!({})).await;
    assert_eq!(status, 409, "the lock is held while the worker runs");
    let (status, cancelled) = inst.delete(&format!("/networkx/executions/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(cancelled["status"], "cancelled");
    for _ in 0..100 {
        if worker_processes(&id) == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(worker_processes(&id), 0, "the cancelled worker was killed");
    let done = inst.run("density", json!({})).await;
    assert_eq!(done["status"], "completed");
    inst.server.state.request_shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalogue_lists_every_networkx_function_and_where_it_runs() {
    let inst = start().await;
    let (status, all) = inst.get("/networkx/algorithms").await;
    assert_eq!(status, 200, "{all}");
    let list = all["algorithms"].as_array().unwrap();
    assert!(list.len() > 300, "{}", list.len());
    assert_eq!(all["total_count"].as_u64().unwrap() as usize, list.len());
    let entry = |n: &str| list.iter().find(|a| a["name"] == n).cloned().unwrap();
    assert_eq!(entry("pagerank")["implementation"], "native");
    assert_eq!(entry("load_centrality")["implementation"], "networkx");
    assert_eq!(entry("load_centrality")["category"], "centrality");
    for n in [
        "girvan_newman",
        "astar_path",
        "bfs_tree",
        "minimum_spanning_tree",
        "jaccard_coefficient",
        "adamic_adar_index",
        "common_neighbor_centrality",
        "preferential_attachment",
        "single_source_shortest_path",
    ] {
        assert_eq!(entry(n)["type"], "networkx", "{n}");
    }
    let names: Vec<&str> = list.iter().map(|a| a["name"].as_str().unwrap()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);

    let (status, lp) = inst
        .get("/networkx/algorithms?category=link_prediction&search=jaccard")
        .await;
    assert_eq!(status, 200);
    assert_eq!(lp["algorithms"][0]["name"], "jaccard_coefficient");
    let (status, dp) = inst.get("/networkx/algorithms/dijkstra_path").await;
    assert_eq!(status, 200);
    let params: Vec<&str> = dp["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(
        params.starts_with(&["source", "target", "weight"]),
        "{params:?}"
    );
    assert_eq!(dp["parameters"][0]["required"], true);
    assert!(!dp["description"].as_str().unwrap().is_empty());
    let (status, _) = inst.get("/algo/algorithms/load_centrality").await;
    assert_eq!(status, 404, "the native namespace stays native");
    inst.server.state.request_shutdown();
}
