//! A real `graph-olap up` process for black-box tests: started on port 0 in a temporary data
//! directory, found through `DATA_DIR/url`, driven over HTTP with development identities, and
//! stopped with SIGTERM (or killed, for fault tests).

#![allow(dead_code)]

pub mod fault_proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

/// The analyst persona who owns the seeded demo mappings.
pub const ALICE: &str = "analyst_alice@e2e.local";
/// A second analyst.
pub const BOB: &str = "analyst_bob@e2e.local";
/// The ops persona.
pub const OPS: &str = "ops_dave@e2e.local";

/// One `graph-olap up` process.
pub struct Platform {
    /// Base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// Its data directory.
    pub data_dir: PathBuf,
    child: Option<Child>,
    client: Client,
}

/// Extra environment for the platform process: short background-job intervals so fault tests
/// see reconciliation within seconds.
fn fast_jobs() -> Vec<(&'static str, &'static str)> {
    vec![
        ("GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS", "2"),
        ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "5"),
        ("RUST_LOG", "info"),
    ]
}

impl Platform {
    /// Starts `graph-olap up` on `data_dir` and waits until it serves `/health`.
    pub async fn start(data_dir: &Path) -> Platform {
        Platform::start_with(data_dir, &[]).await
    }

    /// [`Platform::start`] with extra `up` arguments (e.g. `--warehouse-dir DIR`).
    pub async fn start_with(data_dir: &Path, extra_args: &[&str]) -> Platform {
        Platform::start_env(data_dir, extra_args, &[]).await
    }

    /// [`Platform::start_with`] with extra environment for the process (e.g. the crash hook).
    /// Listens on a free port unless `extra_args` has `--listen`.
    pub async fn start_env(data_dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Platform {
        let _ = std::fs::remove_file(data_dir.join("url"));
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("up.log"))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_graph-olap"));
        command
            .args(["up", "--data-dir"])
            .arg(data_dir)
            .args(extra_args)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in fast_jobs().into_iter().chain(env.iter().copied()) {
            command.env(k, v);
        }
        if !extra_args.contains(&"--listen") {
            command.args(["--listen", "127.0.0.1:0"]);
        }
        let child = command.spawn().expect("spawn graph-olap up");
        let mut platform = Platform {
            url: String::new(),
            data_dir: data_dir.to_path_buf(),
            child: Some(child),
            client: Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(status) = platform.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "graph-olap up exited with {status} before it was ready:\n{}",
                    platform.log_tail()
                );
            }
            if let Ok(text) = std::fs::read_to_string(data_dir.join("url"))
                && !text.trim().is_empty()
            {
                platform.url = text.trim().to_string();
                if platform
                    .client
                    .get(format!("{}/health", platform.url))
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success())
                {
                    return platform;
                }
            }
            assert!(
                Instant::now() < deadline,
                "graph-olap up not ready after 180 s:\n{}",
                platform.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Starts `graph-olap serve` (a production-style control-plane replica) listening on
    /// 127.0.0.1:`port` with `env` (database, warehouse, storage, runtime directory …), logging
    /// to `data_dir/up.log`, and waits until it serves `/health`.
    pub async fn start_serve(data_dir: &Path, port: u16, env: &[(String, String)]) -> Platform {
        std::fs::create_dir_all(data_dir).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data_dir.join("up.log"))
            .unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_graph-olap"));
        command
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        for (k, v) in env {
            command.env(k, v);
        }
        let child = command.spawn().expect("spawn graph-olap serve");
        let mut platform = Platform {
            url: format!("http://127.0.0.1:{port}"),
            data_dir: data_dir.to_path_buf(),
            child: Some(child),
            client: Client::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = platform.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "graph-olap serve exited with {status} before it was ready:\n{}",
                    platform.log_tail()
                );
            }
            let health = platform
                .client
                .get(format!("{}/health", platform.url))
                .send();
            if health.await.is_ok_and(|r| r.status().is_success()) {
                return platform;
            }
            assert!(
                Instant::now() < deadline,
                "graph-olap serve not ready after 120 s:\n{}",
                platform.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// The last lines of the platform's log (for assertion messages).
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.data_dir.join("up.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }

    /// Sends a request as `user` (development identity) to a path of the control plane, or to an
    /// absolute URL (instance proxy).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.url)
        };
        let mut request = self.client.request(method, url).header("X-Username", user);
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

    /// [`Platform::call`] that returns a transport error instead of panicking (a request to a
    /// process that dies while answering).
    pub async fn try_call(
        &self,
        method: Method,
        path: &str,
        user: &str,
        body: Option<Value>,
    ) -> Result<(StatusCode, Value), reqwest::Error> {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.url)
        };
        let mut request = self.client.request(method, url).header("X-Username", user);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await?;
        let status = response.status();
        let text = response.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// The id of the seeded mapping called `name`.
    pub async fn mapping_id(&self, name: &str) -> i64 {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/api/mappings?search={name}"),
                ALICE,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no mapping {name}: {body}"))["id"]
            .as_i64()
            .unwrap()
    }

    /// Creates an instance from a mapping as `user`; returns the response.
    pub async fn create_from_mapping(
        &self,
        user: &str,
        mapping_id: i64,
        name: &str,
    ) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/instances/from-mapping",
            user,
            Some(json!({"mapping_id": mapping_id, "name": name})),
        )
        .await
    }

    /// Polls an instance until `want` (or a terminal status that is not `want`); returns it.
    pub async fn wait_for_status(&self, id: i64, want: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, body) = self
                .call(Method::GET, &format!("/api/instances/{id}"), OPS, None)
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let current = body["data"]["status"].as_str().unwrap().to_string();
            if current == want {
                return body["data"].clone();
            }
            let terminal = matches!(current.as_str(), "failed" | "terminated");
            assert!(
                !terminal,
                "instance {id} is {current}, expected {want}: {}\n{}",
                body["data"],
                self.log_tail()
            );
            assert!(
                Instant::now() < deadline,
                "instance {id} still {current} after {timeout:?} (wanted {want}): {}\n{}",
                body["data"],
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// The instance's reported load progress (`GET /api/instances/{id}/progress`'s `data`).
    pub async fn progress(&self, id: i64) -> Value {
        let (status, body) = self
            .call(
                Method::GET,
                &format!("/api/instances/{id}/progress"),
                ALICE,
                None,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["data"].clone()
    }

    /// Runs Cypher through the proxy at `instance_url` as `user`; returns the flat result.
    pub async fn query(&self, instance_url: &str, user: &str, cypher: &str) -> Value {
        let (status, body) = self
            .call(
                Method::POST,
                &format!("{instance_url}/query"),
                user,
                Some(json!({"query": cypher})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{cypher}: {body}");
        body
    }

    /// The single integer a `RETURN count(…)` query produces.
    pub async fn count(&self, instance_url: &str, cypher: &str) -> i64 {
        let body = self.query(instance_url, ALICE, cypher).await;
        body["rows"][0][0]
            .as_i64()
            .unwrap_or_else(|| panic!("{cypher}: {body}"))
    }

    /// The runtime's unit record of an instance (pid, port) as written by the local runtime.
    pub fn unit_record(&self, pod_name: &str) -> Value {
        let path = self
            .data_dir
            .join("instances")
            .join("units")
            .join(format!("{pod_name}.json"));
        serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
        )
        .unwrap()
    }

    /// Stops the platform with SIGTERM and waits for it to exit; returns whether it exited cleanly.
    pub fn stop(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return true;
        };
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(child.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Waits up to `timeout` for the platform process to end by itself; returns the signal that
    /// ended it (`None` for a normal exit), or panics with the log if it is still running.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        use std::os::unix::process::ExitStatusExt;
        let child = self
            .child
            .as_mut()
            .expect("the platform process was already reaped");
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.signal();
            }
            assert!(
                Instant::now() < deadline,
                "graph-olap up still running after {timeout:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The platform process's id (`None` once it was stopped or killed).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the platform process is still running.
    pub fn running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| c.try_wait().unwrap().is_none())
    }

    /// Kills the platform process with SIGKILL (its instance servers keep running).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn process_alive(pid: i64) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
pub fn port_open(port: i64) -> bool {
    std::net::TcpStream::connect_timeout(
        &format!("127.0.0.1:{port}").parse().unwrap(),
        Duration::from_millis(500),
    )
    .is_ok()
}

/// Runs `SELECT COUNT(*)` over a mapping definition's SQL on the embedded warehouse.
pub async fn warehouse_count(warehouse_dir: &Path, sql: &str) -> i64 {
    let warehouse = graph_olap_warehouse::connect(&warehouse_dir.display().to_string())
        .await
        .unwrap();
    let stream = warehouse
        .query(&format!("SELECT COUNT(*) AS n FROM ({sql}) AS t"))
        .await
        .unwrap();
    let batches = stream.collect().await.unwrap();
    let column = batches[0].column(0);
    arrow::array::cast::as_primitive_array::<arrow::datatypes::Int64Type>(column).value(0)
}

/// A free loopback port (bound and released; good enough for a test's own processes).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The environment of `graph-olap serve` replicas sharing one database, warehouse, object store
/// (`root/snapshots`) and runtime directory (`root/instances`): embedded export worker, job
/// intervals of `interval` seconds (lifecycle 5 s, schema cache hourly), JSON logs with the job
/// records [`job_runs`] reads, development identities for `users` (`name:role`).
pub fn replica_env(
    root: &Path,
    database_url: &str,
    warehouse_url: &str,
    users: &[String],
    interval: i64,
) -> Vec<(String, String)> {
    [
        ("GRAPH_OLAP_DATABASE_URL", database_url.to_string()),
        ("GRAPH_OLAP_WAREHOUSE_URL", warehouse_url.to_string()),
        (
            "GRAPH_OLAP_STORAGE_ROOT",
            format!("file://{}", root.join("snapshots").display()),
        ),
        (
            "GRAPH_OLAP_INSTANCES_DIR",
            root.join("instances").display().to_string(),
        ),
        ("GRAPH_OLAP_AUTH_MODE", "dev".into()),
        ("GRAPH_OLAP_DEV_SEED_USERS", users.join(",")),
        (
            "GRAPH_OLAP_INTERNAL_API_KEY",
            "replicas-test-internal-key-0123456789abcdef".into(),
        ),
        ("GRAPH_OLAP_EMBEDDED_WORKER", "true".into()),
        ("GRAPH_OLAP_PRESTAGED_SNAPSHOTS", "false".into()),
        (
            "GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS",
            interval.to_string(),
        ),
        (
            "GRAPH_OLAP_EXPORT_RECONCILIATION_INTERVAL_SECONDS",
            interval.to_string(),
        ),
        ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "5".into()),
        ("GRAPH_OLAP_SCHEMA_CACHE_INTERVAL_SECONDS", "3600".into()),
        ("GRAPH_OLAP_LOG_FORMAT", "json".into()),
        (
            "GRAPH_OLAP_LOG",
            "info,sqlx=warn,graph_olap_control_plane::jobs=debug".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// One background-job run read from a replica's JSON log.
#[derive(Debug, Clone)]
pub struct JobRun {
    /// The replica's name in the test.
    pub replica: &'static str,
    /// The job.
    pub job: String,
    /// When it started (end minus its duration).
    pub started: DateTime<Utc>,
    /// When it finished.
    pub finished: DateTime<Utc>,
}

/// Every `background job finished` record of a replica's log.
pub fn job_runs(replica: &'static str, log: &Path) -> Vec<JobRun> {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|v| v["fields"]["message"] == "background job finished")
        .map(|v| {
            let finished: DateTime<Utc> = v["timestamp"].as_str().unwrap().parse().unwrap();
            let ms = v["fields"]["ms"].as_i64().unwrap();
            JobRun {
                replica,
                job: v["fields"]["job"].as_str().unwrap().to_string(),
                started: finished - chrono::Duration::milliseconds(ms),
                finished,
            }
        })
        .collect()
}

/// Reads the job runs of every replica's log and asserts that no job ever ran on two replicas
/// at once and that the periodic jobs at `interval` seconds (`reconciliation`,
/// `export_reconciliation`) ran once per interval in total over `window` (from, to) — at most
/// `slack` runs more (accepted triggers, start-up runs), at least half as many. Only runs started
/// within the window are counted: replicas still running when the logs are read may have started
/// more since. Returns the runs by job for further checks.
pub fn check_job_runs(
    logs: &[(&'static str, &Path)],
    window: (DateTime<Utc>, DateTime<Utc>),
    interval: i64,
    slack: f64,
) -> BTreeMap<String, Vec<JobRun>> {
    let elapsed = (window.1 - window.0).num_milliseconds() as f64 / 1000.0;
    let runs: Vec<JobRun> = logs
        .iter()
        .flat_map(|(replica, log)| job_runs(replica, log))
        .collect();
    for (replica, _) in logs {
        assert!(
            runs.iter().any(|r| r.replica == *replica),
            "no job ran on replica {replica}"
        );
    }
    let mut by_job: BTreeMap<String, Vec<JobRun>> = BTreeMap::new();
    for run in runs {
        by_job.entry(run.job.clone()).or_default().push(run);
    }
    for (job, runs) in &mut by_job {
        runs.sort_by_key(|r| r.started);
        for pair in runs.windows(2) {
            // Log timestamps and durations are rounded to the millisecond.
            let gap = (pair[1].started - pair[0].finished).num_milliseconds();
            assert!(
                gap >= -2,
                "{job} overlapped: {:?} then {:?}",
                pair[0],
                pair[1]
            );
        }
    }
    for job in ["reconciliation", "export_reconciliation"] {
        let runs = by_job.get(job).map_or(0, |runs| {
            runs.iter().filter(|r| r.started <= window.1).count()
        }) as f64;
        let intervals = elapsed / interval as f64;
        assert!(
            runs <= intervals + slack,
            "{job} ran {runs} times in {elapsed:.0} s at one run per {interval} s (slack {slack}): once per replica, not once per interval"
        );
        assert!(
            runs >= intervals / 2.0,
            "{job} ran only {runs} times in {elapsed:.0} s (interval {interval} s)"
        );
    }
    by_job
}
