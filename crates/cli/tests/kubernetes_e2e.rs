//! End to end through `GRAPH_OLAP_RUNTIME=kubernetes`: a real `graph-olap serve` process talks
//! to the in-process fake cluster (`graph-olap-kube-fake`) through the real `kube` client; the
//! fake kubelet runs each instance pod's `graph-olap instance` as a local process, and the
//! control plane reaches it by its Service name through the fake's proxy (`http_proxy`), as it
//! would through cluster DNS. Create from mapping → running → Cypher and an algorithm through
//! the proxy → control-plane crash and re-adoption → terminate → pod and Service gone; then
//! OOMKilled, a pod deleted behind our back and a pod no node has room for (its reason in the
//! progress while it waits), each ending `failed` with its cause.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use graph_olap_kube_fake::FakeCluster;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const NS: &str = "graph-olap";
const IMAGE: &str = "graph-olap:e2e";
const KEY: &str = "k8s-e2e-internal-key-0123456789abcdef0123";
const ALICE: &str = "analyst_alice@e2e.local";
const START_TIMEOUT: Duration = Duration::from_secs(300);

struct Serve {
    url: String,
    dir: PathBuf,
    child: Child,
    http: reqwest::Client,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, fake: &FakeCluster, port: u16) -> PathBuf {
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, fake.kubeconfig(NS)).unwrap();
    let config = format!(
        r#"database_url = "sqlite://{db}"
listen = "127.0.0.1:{port}"
warehouse_url = "{warehouse}"
auth_mode = "dev"
internal_api_key = "{KEY}"
public_url = "http://127.0.0.1:{port}"
storage_root = "file://{snapshots}"
embedded_worker = true
runtime = "kubernetes"

[kubernetes]
namespace = "{NS}"
image = "{IMAGE}"
kubeconfig = "{kubeconfig}"
termination_grace_period_seconds = 10
unschedulable_deadline_seconds = 3
internal_key_secret = {{ name = "graph-olap-internal", key = "internal-api-key" }}
labels = {{ team = "e2e" }}
"#,
        db = dir.join("metadata.db").display(),
        warehouse = dir.join("warehouse").display(),
        snapshots = dir.join("snapshots").display(),
        kubeconfig = kubeconfig.display(),
    );
    let path = dir.join("graph-olap.toml");
    std::fs::write(&path, config).unwrap();
    path
}

impl Serve {
    async fn start(dir: &Path, fake: &FakeCluster, port: u16) -> Serve {
        let config = write_config(dir, fake, port);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_graph-olap"))
            .arg("serve")
            .arg("--config")
            .arg(&config)
            .env("GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS", "2")
            .env("GRAPH_OLAP_RUNTIME", "kubernetes")
            // Cluster networking: Service names resolve through the fake's proxy.
            .env("http_proxy", fake.url())
            .env("no_proxy", "127.0.0.1,localhost")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("spawn graph-olap serve");
        let mut serve = Serve {
            url: format!("http://127.0.0.1:{port}"),
            dir: dir.to_path_buf(),
            child,
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = serve.child.try_wait().unwrap() {
                panic!(
                    "graph-olap serve exited with {status}:\n{}",
                    serve.log_tail()
                );
            }
            if serve
                .http
                .get(format!("{}/health", serve.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return serve;
            }
            assert!(
                Instant::now() < deadline,
                "serve not ready:\n{}",
                serve.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        self.call_as(ALICE, method, path, body).await
    }

    async fn call_as(
        &self,
        user: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.url)
        };
        let mut request = self.http.request(method, url).header("X-Username", user);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn instance(&self, id: i64) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/api/instances/{id}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    async fn create(&self, mapping_id: i64, name: &str) -> i64 {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/instances/from-mapping",
                Some(json!({"mapping_id": mapping_id, "name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["data"]["id"].as_i64().unwrap()
    }

    /// Polls until the instance is `want`; panics on another terminal status or the timeout.
    async fn wait_for(&self, id: i64, want: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let row = self.instance(id).await;
            let status = row["status"].as_str().unwrap().to_owned();
            if status == want {
                return row;
            }
            assert!(
                !matches!(status.as_str(), "failed" | "terminated"),
                "instance {id} is {status}, wanted {want}: {row}\n{}",
                self.log_tail()
            );
            assert!(
                Instant::now() < deadline,
                "instance {id} still {status}: {row}\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    async fn query(&self, instance_url: &str, cypher: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("{instance_url}/query"),
                Some(json!({"query": cypher})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cypher}: {body}");
        body
    }
}

async fn eventually(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn create_mapping(serve: &Serve) -> i64 {
    let (name, description, nodes, edges) = graph_olap_demo::tutorial_mapping();
    let (status, body) = serve
        .call(
            Method::POST,
            "/api/mappings",
            Some(json!({"name": name, "description": description,
                "node_definitions": nodes, "edge_definitions": edges})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["data"]["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_run_as_pods_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("warehouse");
    tokio::task::spawn_blocking(move || graph_olap_demo::generate(&warehouse, 1))
        .await
        .unwrap()
        .unwrap();
    let fake =
        FakeCluster::start(NS, &[(IMAGE, Path::new(env!("CARGO_BIN_EXE_graph-olap")))]).await;
    fake.add_secret(NS, "graph-olap-internal", "internal-api-key", KEY);
    let port = free_port();
    let serve = Serve::start(dir.path(), &fake, port).await;
    let (_, health) = serve
        .call_as(
            "ops_dave@e2e.local",
            Method::GET,
            "/api/cluster/health",
            None,
        )
        .await;
    assert_eq!(
        health["data"]["components"]["compute"]["status"], "healthy",
        "{health}"
    );
    let mapping_id = create_mapping(&serve).await;

    // Create from mapping → running, as a pod with its Service.
    let id = serve.create(mapping_id, "k8s-e2e").await;
    let row = serve.wait_for(id, "running", START_TIMEOUT).await;
    let pod_name = row["pod_name"].as_str().unwrap().to_owned();
    let pod = fake.pod(NS, &pod_name).expect("the instance's pod");
    let labels = pod.metadata.labels.clone().unwrap();
    assert_eq!(labels["graph-olap.io/instance-id"], id.to_string());
    assert_eq!(labels["graph-olap.io/wrapper-type"], "ryugraph");
    assert_eq!(labels["team"], "e2e");
    let service = fake.service(NS, &pod_name).expect("the instance's Service");
    assert_eq!(
        service.metadata.owner_references.unwrap()[0].uid,
        pod.metadata.uid.clone().unwrap()
    );
    assert!(
        !serde_json::to_string(&pod).unwrap().contains(KEY),
        "the internal key is inline in the pod"
    );

    // Cypher and an algorithm through the control plane's proxy (→ Service name → pod).
    let instance_url = row["instance_url"].as_str().unwrap().to_owned();
    let customers = serve
        .query(&instance_url, "MATCH (c:Customer) RETURN count(c)")
        .await;
    let n = customers["rows"][0][0].as_i64().unwrap();
    assert!(n > 0, "{customers}");
    let (status, started) = serve
        .call(
            Method::POST,
            &format!("{instance_url}/algo/pagerank"),
            Some(json!({"result_property": "pr"})),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{started}");
    let execution = started["execution_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (_, s) = serve
            .call(
                Method::GET,
                &format!("{instance_url}/algo/status/{execution}"),
                None,
            )
            .await;
        if s["status"] != "running" {
            assert_eq!(s["status"], "completed", "{s}");
            break;
        }
        assert!(Instant::now() < deadline, "pagerank still running: {s}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ranked = serve
        .query(
            &instance_url,
            "MATCH (c:Customer) WHERE c.pr > 0 RETURN count(c)",
        )
        .await;
    assert_eq!(ranked["rows"][0][0].as_i64(), Some(n), "{ranked}");

    // A control-plane crash: the next process re-adopts the running pod.
    drop(serve);
    let serve = Serve::start(dir.path(), &fake, port).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(serve.instance(id).await["status"], "running");
    assert!(
        fake.pod(NS, &pod_name).is_some(),
        "the pod survived the restart"
    );
    let again = serve
        .query(&instance_url, "MATCH (c:Customer) RETURN count(c)")
        .await;
    assert_eq!(again["rows"][0][0].as_i64(), Some(n));

    // Terminate → pod and Service gone.
    let (status, body) = serve
        .call(
            Method::POST,
            &format!("/api/instances/{id}/terminate"),
            Some(json!({"reason": "e2e done"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serve
        .wait_for(id, "terminated", Duration::from_secs(60))
        .await;
    eventually("pod and Service deleted", Duration::from_secs(30), || {
        fake.pod(NS, &pod_name).is_none() && fake.service(NS, &pod_name).is_none()
    })
    .await;

    // OOMKilled → failed with "out of memory" and the limit; the pod is cleaned up.
    let oom = serve.create(mapping_id, "k8s-e2e-oom").await;
    let row = serve.wait_for(oom, "running", START_TIMEOUT).await;
    let oom_pod = row["pod_name"].as_str().unwrap().to_owned();
    assert!(fake.oom_kill(NS, &oom_pod));
    let failed = wait_failed(&serve, oom).await;
    assert_eq!(failed["error_code"], "OOM_KILLED", "{failed}");
    let message = failed["error_message"].as_str().unwrap();
    assert!(
        message.contains("out of memory (limit ") && message.contains("Gi)"),
        "{message}"
    );
    eventually(
        "the OOM-killed pod is deleted",
        Duration::from_secs(30),
        || fake.pod(NS, &oom_pod).is_none(),
    )
    .await;

    // A pod deleted behind our back → failed.
    let lost = serve.create(mapping_id, "k8s-e2e-lost").await;
    let row = serve.wait_for(lost, "running", START_TIMEOUT).await;
    assert!(fake.delete_pod_behind_back(NS, row["pod_name"].as_str().unwrap()));
    let failed = wait_failed(&serve, lost).await;
    assert_eq!(failed["error_code"], "UNEXPECTED_TERMINATION", "{failed}");

    // No node has room (the only node shrinks to 1 GiB; an instance asks for at least 2): the
    // instance waits with the scheduler's message in its progress, then fails with it.
    fake.add_node(graph_olap_kube_fake::DEFAULT_NODE, "8", "1Gi", true);
    let stuck = serve.create(mapping_id, "k8s-e2e-stuck").await;
    let scheduler = "0/1 nodes are available: 1 Insufficient memory. preemption: 0/1 nodes are \
        available: 1 No preemption victims found for incoming pod.";
    let mut waited = Value::Null;
    let deadline = Instant::now() + Duration::from_secs(30);
    while waited["status"] != "failed" && Instant::now() < deadline {
        let (status, body) = serve
            .call(
                Method::GET,
                &format!("/api/instances/{stuck}/progress"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["data"]["steps"][1]["message"].is_string() {
            waited = body["data"].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        waited["steps"][1]["message"],
        format!("waiting for a node with room: {scheduler}"),
        "the wait's reason in the progress: {waited}"
    );
    assert_eq!(waited["steps"][1]["status"], "in_progress");
    let failed = wait_failed(&serve, stuck).await;
    assert_eq!(failed["error_code"], "UNEXPECTED_TERMINATION", "{failed}");
    assert_eq!(
        failed["error_message"],
        format!("The instance's unit stopped: unschedulable for more than 3 s: {scheduler}"),
        "{failed}"
    );
    eventually("no pod is left", Duration::from_secs(30), || {
        fake.pods(NS).is_empty()
    })
    .await;
    assert!(fake.services(NS).is_empty(), "no Service is left");
}

async fn wait_failed(serve: &Serve, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let row = serve.instance(id).await;
        if row["status"] == "failed" {
            return row;
        }
        assert!(
            Instant::now() < deadline,
            "instance {id} not failed: {row}\n{}",
            serve.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn invalid_kubernetes_settings_fail_at_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeCluster::start("elsewhere", &[]).await;
    std::fs::create_dir_all(dir.path().join("warehouse")).unwrap();
    let config = write_config(dir.path(), &fake, free_port());
    // Asynchronously: the fake cluster answers on this test's runtime while `serve` runs.
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_graph-olap"))
        .arg("serve")
        .arg("--config")
        .arg(&config)
        .env("GRAPH_OLAP_WAREHOUSE_URL", dir.path())
        .env("no_proxy", "127.0.0.1,localhost")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(120), run)
        .await
        .expect("serve still running after 120 s: it should refuse the namespace at start-up")
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("kubernetes.namespace") && stderr.contains("graph-olap does not exist"),
        "{stderr}"
    );
}
