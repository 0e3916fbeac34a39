//! Instance density (issue 22 item 4): how many tutorial-size instances one `graph-olap up`
//! holds with every one answering a 1-hop query under the p99 bound, and what runs out first.
//! Not a test: nothing is asserted but that the platform works.
//!
//! Starts a real `graph-olap up` over the scale-1 demo warehouse, exports the tutorial mapping
//! (`tutorial-customer-graph`) once, then ramps instances of that snapshot in steps (every
//! instance of a step requested at once, owners spread over analysts because the per-analyst
//! limit tops out at 100). After each step it measures, from `/proc`:
//!
//! * each instance process idle (after its load, once short-lived load threads have exited) and
//!   again after the queries: resident memory (RSS, and PSS — RSS with shared pages divided
//!   among the processes sharing them, which is what the machine actually spends per process —
//!   and its anonymous part), threads and open file descriptors;
//! * the control plane process: RSS, threads, fds, CPU used while everything is idle, and how
//!   long one reconciliation pass over all instances takes (triggered and timed);
//! * 1-hop query latency p50/p99 through the proxy, round-robin over every running instance;
//! * the step's start time (first request to the last instance `running`).
//!
//! Side by side, once: the engine alone holding the same graph in a fresh process, configured
//! as the instance configures it (what an instance costs beyond its graph).
//!
//! It stops when the p99 bound is exceeded, a start fails, or a resource is close to running
//! out (available memory, threads or pids, the control plane's descriptor limit, the cluster
//! limit), and prints which.
//!
//! `cargo bench -p graph-olap-cli --bench density`
//!
//! Knobs: `DENSITY_STEP` (instances per step, default 25), `DENSITY_MAX` (default 300, at most
//! 1000, the largest cluster limit), `DENSITY_P99_MS` (default 50), `DENSITY_QUERIES_PER_INSTANCE`
//! (per step, default 5, at least 1,000 queries a step), `DENSITY_SETTLE_SECONDS` (idle wait
//! before measuring, default 12: tokio's blocking threads retire after 10 s idle),
//! `DENSITY_MIN_AVAILABLE_MB` (stop when the machine has less available, or would have after the
//! next step at the instances' current PSS, default 1024).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::{ALICE, OPS, Platform};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{CancelToken, GraphEngine, QueryRequest};
use graph_olap_instance::startup::{GraphSize, engine_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::procfs::{kb_field, loadavg, mem_available_mb};
use support::{engine_load, env_or, ms, percentile};

/// The largest `cluster_total` the control plane accepts, and the largest `per_analyst`.
const CLUSTER_LIMIT: usize = 1000;
const PER_ANALYST_LIMIT: usize = 100;

/// The 1-hop query of the tutorial graph, parameterised by a customer id.
const ONE_HOP: &str =
    "MATCH (c:Customer {id: $id})-[:SHARES_ACCOUNT]-(o:Customer) RETURN o.id, o.bk_sectr";

/// Environment variable that turns this binary into the engine-alone process: its value is a
/// JSON [`EngineJob`]; the child loads, queries once, prints `loaded`, and waits for its stdin to
/// close so that the parent can read its `/proc` entry while it holds the graph.
const ENGINE_CHILD: &str = "DENSITY_BENCH_ENGINE_JOB";

/// The engine-alone run (see [`ENGINE_CHILD`]).
#[derive(serde::Serialize, serde::Deserialize)]
struct EngineJob {
    snapshot_dir: PathBuf,
    nodes: Vec<NodeDefinition>,
    edges: Vec<EdgeDefinition>,
    db: PathBuf,
    cpu_cores: u32,
    memory_gb: Option<u32>,
    graph: Option<GraphSize>,
    customer_id: String,
}

// ---------------------------------------------------------------------------------------------
// /proc

/// What one process holds, from `/proc/<pid>/{smaps_rollup,status,fd,stat}`.
#[derive(Debug, Clone, Copy, Default)]
struct ProcStats {
    rss_kb: u64,
    pss_kb: u64,
    pss_anon_kb: u64,
    threads: u64,
    fds: u64,
    /// User + system CPU time in clock ticks.
    cpu_ticks: u64,
}

fn proc_stats(pid: u32) -> Option<ProcStats> {
    let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    // Fields after the command: state is index 0, utime 11, stime 12.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(ProcStats {
        rss_kb: kb_field(&rollup, "Rss:"),
        pss_kb: kb_field(&rollup, "Pss:"),
        pss_anon_kb: kb_field(&rollup, "Pss_Anon:"),
        threads: kb_field(&status, "Threads:"),
        fds: std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64),
        cpu_ticks: ticks(11) + ticks(12),
    })
}

/// The parent of a process.
fn parent_pid(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')')
        .next()?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// The most threads (tasks) the machine allows: the smaller of `threads-max` and `pid_max`.
fn task_limit() -> u64 {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| t.trim().parse::<u64>().ok())
            .unwrap_or(u64::MAX)
    };
    read("/proc/sys/kernel/threads-max").min(read("/proc/sys/kernel/pid_max"))
}

/// The soft open-files limit of a process.
fn fd_limit(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/limits"))
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("Max open files"))
                .and_then(|l| l.split_whitespace().nth(3))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(u64::MAX)
}

/// Clock ticks per second of `/proc/<pid>/stat` times: Linux reports them in `USER_HZ`, which is
/// 100 on every architecture's user ABI.
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// Median and maximum of one figure over processes.
fn med_max(values: impl Iterator<Item = u64>) -> (u64, u64) {
    let mut v: Vec<u64> = values.collect();
    if v.is_empty() {
        return (0, 0);
    }
    v.sort_unstable();
    (v[v.len() / 2], v[v.len() - 1])
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

// ---------------------------------------------------------------------------------------------
// the platform side

/// One running instance of the benchmark.
struct Running {
    id: i64,
    owner: String,
    url: String,
    pid: u32,
}

/// The analyst who owns the `n`-th instance (0-based): 100 per analyst, the per-analyst cap.
/// Development identities are provisioned as analysts on first use.
fn owner_of(n: usize) -> String {
    if n < PER_ANALYST_LIMIT {
        ALICE.to_string()
    } else {
        format!("analyst_density{:02}@e2e.local", n / PER_ANALYST_LIMIT)
    }
}

/// Polls until every instance in `ids` is `running` (`Ok`), one fails (`Err` with its error),
/// or `timeout` passes.
async fn wait_all_running(
    p: &Platform,
    ids: &[(i64, String)],
    timeout: Duration,
) -> Result<Vec<Value>, String> {
    let deadline = Instant::now() + timeout;
    let mut done: BTreeMap<i64, Value> = BTreeMap::new();
    loop {
        for (id, _) in ids {
            if done.contains_key(id) {
                continue;
            }
            let (status, body) = p
                .call(Method::GET, &format!("/api/instances/{id}"), OPS, None)
                .await;
            if status != StatusCode::OK {
                return Err(format!("GET instance {id}: {status} {body}"));
            }
            match body["data"]["status"].as_str() {
                Some("running") => {
                    done.insert(*id, body["data"].clone());
                }
                Some(s @ ("failed" | "terminated")) => {
                    return Err(format!(
                        "instance {id} {s}: {} {}",
                        body["data"]["error_code"], body["data"]["error_message"]
                    ));
                }
                _ => {}
            }
        }
        if done.len() == ids.len() {
            return Ok(ids.iter().map(|(id, _)| done[id].clone()).collect());
        }
        if Instant::now() > deadline {
            return Err(format!(
                "{} of {} instances not running after {timeout:?}",
                ids.len() - done.len(),
                ids.len()
            ));
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn query_latencies(
    client: &reqwest::Client,
    instances: &[Running],
    ids: &[String],
    total: usize,
) -> Result<Vec<Duration>, String> {
    let mut out = Vec::with_capacity(total);
    for i in 0..total {
        let instance = &instances[i % instances.len()];
        let id = &ids[(i * 7919) % ids.len()];
        let started = Instant::now();
        let response = client
            .post(format!("{}/query", instance.url))
            .header("X-Username", &instance.owner)
            .json(&json!({"query": ONE_HOP, "parameters": {"id": id}}))
            .send()
            .await
            .map_err(|e| format!("query to instance {}: {e}", instance.id))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| format!("query body of instance {}: {e}", instance.id))?;
        if status != StatusCode::OK {
            return Err(format!(
                "query to instance {}: {status} {}",
                instance.id,
                String::from_utf8_lossy(&body)
            ));
        }
        out.push(started.elapsed());
    }
    Ok(out)
}

/// One step's figures.
struct StepRow {
    instances: usize,
    start_s: f64,
    idle: Vec<ProcStats>,
    after: Vec<ProcStats>,
    p50: Duration,
    p99: Duration,
    cp: ProcStats,
    cp_idle_cpu_pct: f64,
    instances_idle_cpu_pct: f64,
    reconcile_ms: f64,
    available_mb: u64,
    load: f64,
    machine_threads: u64,
}

fn print_rows(rows: &[StepRow], engine: Option<ProcStats>) {
    println!(
        "\n| instances | step start | idle RSS med/max | idle PSS med/max | idle anon PSS med | after-query PSS med/max | threads | fds | sum PSS | 1-hop p50 | p99 | control plane RSS / threads / fds | CP idle CPU | instances idle CPU | reconcile | available | load |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let (rss_med, rss_max) = med_max(r.idle.iter().map(|s| s.rss_kb));
        let (pss_med, pss_max) = med_max(r.idle.iter().map(|s| s.pss_kb));
        let (anon_med, _) = med_max(r.idle.iter().map(|s| s.pss_anon_kb));
        let (apss_med, apss_max) = med_max(r.after.iter().map(|s| s.pss_kb));
        let (threads, _) = med_max(r.idle.iter().map(|s| s.threads));
        let (fds, _) = med_max(r.idle.iter().map(|s| s.fds));
        let sum_pss: u64 = r.after.iter().map(|s| s.pss_kb).sum();
        println!(
            "| {} | {:.1} s | {:.1} / {:.1} MB | {:.1} / {:.1} MB | {:.1} MB | {:.1} / {:.1} MB | {threads} | {fds} | {:.2} GB | {:.2} ms | {:.2} ms | {:.0} MB / {} / {} | {:.1} % | {:.1} % | {:.0} ms | {:.1} GB | {:.1} |",
            r.instances,
            r.start_s,
            mb(rss_med),
            mb(rss_max),
            mb(pss_med),
            mb(pss_max),
            mb(anon_med),
            mb(apss_med),
            mb(apss_max),
            mb(sum_pss) / 1024.0,
            ms(r.p50),
            ms(r.p99),
            mb(r.cp.rss_kb),
            r.cp.threads,
            r.cp.fds,
            r.cp_idle_cpu_pct,
            r.instances_idle_cpu_pct,
            r.reconcile_ms,
            r.available_mb as f64 / 1024.0,
            r.load,
        );
        let _ = r.machine_threads;
    }
    if let (Some(e), Some(last)) = (engine, rows.last()) {
        let (rss_med, _) = med_max(last.idle.iter().map(|s| s.rss_kb));
        let (pss_med, _) = med_max(last.idle.iter().map(|s| s.pss_kb));
        let (anon_med, _) = med_max(last.idle.iter().map(|s| s.pss_anon_kb));
        let (threads, _) = med_max(last.idle.iter().map(|s| s.threads));
        println!(
            "\nside by side, idle, per process: instance (median at {} instances) vs the engine alone holding the same graph in a fresh process",
            last.instances
        );
        println!("| | RSS | PSS | anon PSS | threads |");
        println!("|---|---|---|---|---|");
        println!(
            "| instance server | {:.1} MB | {:.1} MB | {:.1} MB | {threads} |",
            mb(rss_med),
            mb(pss_med),
            mb(anon_med)
        );
        println!(
            "| engine alone | {:.1} MB | {:.1} MB | {:.1} MB | {} |",
            mb(e.rss_kb),
            mb(e.pss_kb),
            mb(e.pss_anon_kb),
            e.threads
        );
        println!(
            "| ratio | {:.2} | {:.2} | {:.2} | |",
            rss_med as f64 / e.rss_kb.max(1) as f64,
            pss_med as f64 / e.pss_kb.max(1) as f64,
            anon_med as f64 / e.pss_anon_kb.max(1) as f64
        );
    }
}

/// The engine alone in a new process holding the instance's graph; its `/proc` figures once
/// loaded and idle for `settle`.
fn engine_alone(job: &EngineJob, settle: Duration) -> Option<ProcStats> {
    use std::io::BufRead;
    let mut child = std::process::Command::new(std::env::current_exe().ok()?)
        .env(ENGINE_CHILD, serde_json::to_string(job).ok()?)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take()?)
        .read_line(&mut line)
        .ok()?;
    let stats = if line.trim() == "loaded" {
        std::thread::sleep(settle);
        proc_stats(child.id())
    } else {
        eprintln!("engine-alone child failed: {line}");
        None
    };
    drop(child.stdin.take());
    let _ = child.wait();
    stats
}

fn engine_child(job: &str) {
    use std::io::Read;
    let job: EngineJob = serde_json::from_str(job).expect("engine job");
    let (_, engine) = engine_load(
        &job.snapshot_dir,
        &job.nodes,
        &job.edges,
        &job.db,
        engine_config(job.cpu_cores, job.memory_gb, job.graph),
    );
    let mut parameters = serde_json::Map::new();
    parameters.insert("id".into(), json!(job.customer_id));
    engine
        .query(
            &QueryRequest {
                query: ONE_HOP.into(),
                parameters,
                timeout: Duration::from_secs(60),
                max_rows: 100_000,
            },
            &CancelToken::new(),
        )
        .expect("engine query");
    println!("loaded");
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    let _ = std::fs::remove_dir_all(&job.db);
}

fn main() {
    if let Ok(job) = std::env::var(ENGINE_CHILD) {
        engine_child(&job);
        return;
    }
    tokio::runtime::Runtime::new()
        .expect("tokio runtime")
        .block_on(run());
}

/// Sends SIGKILL to every instance process the platform left behind (it stops them itself on
/// SIGTERM; this is for a platform that did not finish in time).
fn kill_leftovers(pids: &[u32]) {
    for pid in pids {
        if common::process_alive(i64::from(*pid)) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(*pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

async fn run() {
    let step: usize = env_or("DENSITY_STEP", 25).max(1);
    let max: usize = env_or("DENSITY_MAX", 300).clamp(1, CLUSTER_LIMIT);
    let p99_bound = Duration::from_secs_f64(env_or("DENSITY_P99_MS", 50.0) / 1000.0);
    let per_instance: usize = env_or("DENSITY_QUERIES_PER_INSTANCE", 5);
    let settle = Duration::from_secs(env_or("DENSITY_SETTLE_SECONDS", 12));
    let min_available_mb: u64 = env_or("DENSITY_MIN_AVAILABLE_MB", 1024);
    let start_timeout = Duration::from_secs(env_or("DENSITY_START_TIMEOUT_SECONDS", 900));
    println!(
        "instance density: steps of {step} up to {max} tutorial-size instances, p99 bound {:.0} ms, {} CPUs, {:.1} GB available, load {:.1}",
        ms(p99_bound),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        mem_available_mb() as f64 / 1024.0,
        loadavg().0
    );

    let root = tempfile::tempdir().expect("tempdir");
    // Production job intervals (the test harness shortens them), so the control plane's idle
    // cost is what a deployment pays; reconciliation is triggered and timed after each step.
    let platform = Platform::start_env(
        &root.path().join("data"),
        &[],
        &[
            ("GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS", "60"),
            ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "60"),
            ("RUST_LOG", "warn"),
            ("GRAPH_OLAP_LOG", "warn"),
        ],
    )
    .await;
    let (status, body) = platform
        .call(
            Method::PUT,
            "/api/config/concurrency",
            OPS,
            Some(json!({"cluster_total": CLUSTER_LIMIT, "per_analyst": PER_ANALYST_LIMIT})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The first instance exports the snapshot every other instance starts from.
    let mapping_id = platform
        .mapping_id(graph_olap_demo::TUTORIAL_MAPPING_NAME)
        .await;
    let (status, created) = platform
        .create_from_mapping(ALICE, mapping_id, "density-0")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let first_id = created["data"]["id"].as_i64().unwrap();
    let first = platform
        .wait_for_status(first_id, "running", Duration::from_secs(600))
        .await;
    let snapshot_id = first["snapshot_id"].as_i64().unwrap();
    let first_url = first["instance_url"].as_str().unwrap().to_string();
    let ids: Vec<String> = platform
        .query(
            &first_url,
            ALICE,
            "MATCH (c:Customer)-[:SHARES_ACCOUNT]-(:Customer) RETURN DISTINCT c.id LIMIT 500",
        )
        .await["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .filter_map(|r| r[0].as_str().map(str::to_string))
        .collect();
    assert!(
        !ids.is_empty(),
        "the tutorial graph has connected customers"
    );

    // The engine alone, configured for the same sizing, holding the same graph.
    let (_, snapshot) = platform
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}"),
            ALICE,
            None,
        )
        .await;
    let storage = snapshot["data"]["storage_path"].as_str().unwrap();
    let counts = |key: &str| -> u64 {
        snapshot["data"][key]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    let (_, version) = platform
        .call(
            Method::GET,
            &format!(
                "/api/mappings/{mapping_id}/versions/{}",
                first["mapping_version"]
            ),
            ALICE,
            None,
        )
        .await;
    let job = EngineJob {
        snapshot_dir: PathBuf::from(storage.strip_prefix("file://").expect("local snapshot")),
        nodes: serde_json::from_value(version["data"]["node_definitions"].clone()).unwrap(),
        edges: serde_json::from_value(version["data"]["edge_definitions"].clone()).unwrap(),
        db: root.path().join("engine-alone"),
        cpu_cores: first["cpu_cores"].as_u64().unwrap_or(1) as u32,
        memory_gb: first["memory_gb"].as_u64().map(|gb| gb as u32),
        graph: Some(GraphSize {
            nodes: counts("node_counts"),
            edges: counts("edge_counts"),
        }),
        customer_id: ids[0].clone(),
    };
    let engine = tokio::task::block_in_place(|| engine_alone(&job, settle));
    println!(
        "tutorial snapshot {snapshot_id}: {} nodes, {} edges; instance sizing {} cores, {:?} GB",
        counts("node_counts"),
        counts("edge_counts"),
        job.cpu_cores,
        job.memory_gb
    );

    let client = reqwest::Client::new();
    let mut running: Vec<Running> = vec![Running {
        id: first_id,
        owner: ALICE.to_string(),
        url: first_url,
        pid: platform.unit_record(first["pod_name"].as_str().unwrap())["pid"]
            .as_u64()
            .unwrap() as u32,
    }];
    // The control plane is the instance servers' parent (the local runtime spawns them).
    let cp_pid = parent_pid(running[0].pid).expect("the control plane's pid");
    let mut rows: Vec<StepRow> = Vec::new();
    let stop_reason: String = loop {
        // Ramp: every instance of the step requested at once.
        let target = (running.len() + step).min(max);
        let began = Instant::now();
        let mut requested: Vec<(i64, String)> = Vec::new();
        let mut refused = None;
        for n in running.len()..target {
            let owner = owner_of(n);
            let (status, body) = platform
                .call(
                    Method::POST,
                    "/api/instances",
                    &owner,
                    Some(json!({"snapshot_id": snapshot_id, "name": format!("density-{n}")})),
                )
                .await;
            if status != StatusCode::CREATED {
                refused = Some(format!("create refused: {status} {body}"));
                break;
            }
            requested.push((body["data"]["id"].as_i64().unwrap(), owner));
        }
        if let Some(reason) = refused {
            break reason;
        }
        let started = match wait_all_running(&platform, &requested, start_timeout).await {
            Ok(v) => v,
            Err(reason) => break format!("start failed at {} instances: {reason}", target),
        };
        let start_s = began.elapsed().as_secs_f64();
        for ((id, owner), data) in requested.iter().zip(&started) {
            let pid = platform.unit_record(data["pod_name"].as_str().unwrap())["pid"]
                .as_u64()
                .unwrap() as u32;
            running.push(Running {
                id: *id,
                owner: owner.clone(),
                url: data["instance_url"].as_str().unwrap().to_string(),
                pid,
            });
        }

        // Idle: let load threads retire, then read every process and the idle CPU.
        tokio::time::sleep(settle).await;
        let cpu_before: u64 = running
            .iter()
            .filter_map(|r| proc_stats(r.pid))
            .map(|s| s.cpu_ticks)
            .sum();
        let cp_before = proc_stats(cp_pid).unwrap_or_default();
        let window = Instant::now();
        tokio::time::sleep(Duration::from_secs(5)).await;
        let idle: Vec<ProcStats> = running.iter().filter_map(|r| proc_stats(r.pid)).collect();
        let cp_idle = proc_stats(cp_pid).unwrap_or_default();
        let window_s = window.elapsed().as_secs_f64();
        let cpu_pct = |delta: u64| delta as f64 / CLOCK_TICKS_PER_SECOND / window_s * 100.0;
        let instances_idle_cpu_pct = cpu_pct(
            idle.iter()
                .map(|s| s.cpu_ticks)
                .sum::<u64>()
                .saturating_sub(cpu_before),
        );
        let cp_idle_cpu_pct = cpu_pct(cp_idle.cpu_ticks.saturating_sub(cp_before.cpu_ticks));
        if idle.len() != running.len() {
            break format!(
                "{} of {} instance processes gone",
                running.len() - idle.len(),
                running.len()
            );
        }

        // Reconciliation over every instance, triggered and timed (the trigger is rate-limited:
        // wait out a refusal once).
        let mut reconcile_ms = 0.0;
        let mut trigger_error = None;
        for _ in 0..2 {
            let t = Instant::now();
            let (status, body) = platform
                .call(
                    Method::POST,
                    "/api/ops/jobs/trigger",
                    OPS,
                    Some(json!({"job_name": "reconciliation", "reason": "density benchmark"})),
                )
                .await;
            reconcile_ms = ms(t.elapsed());
            if status.is_success() {
                trigger_error = None;
                break;
            }
            trigger_error = Some(format!("reconciliation trigger failed: {status} {body}"));
            let wait = body["error"]["details"]["retry_after_seconds"]
                .as_u64()
                .unwrap_or(30);
            tokio::time::sleep(Duration::from_secs(wait + 1)).await;
        }
        if let Some(reason) = trigger_error {
            break reason;
        }

        // Queries round-robin over every instance.
        let total = (per_instance * running.len()).max(1000);
        let _ = query_latencies(&client, &running, &ids, running.len()).await;
        let mut latencies = match query_latencies(&client, &running, &ids, total).await {
            Ok(v) => v,
            Err(reason) => break format!("query failed at {} instances: {reason}", running.len()),
        };
        latencies.sort();
        let after: Vec<ProcStats> = running.iter().filter_map(|r| proc_stats(r.pid)).collect();
        let cp = proc_stats(cp_pid).unwrap_or_default();
        let (load, machine_threads) = loadavg();
        let row = StepRow {
            instances: running.len(),
            start_s,
            idle,
            after,
            p50: percentile(&latencies, 0.5),
            p99: percentile(&latencies, 0.99),
            cp,
            cp_idle_cpu_pct,
            instances_idle_cpu_pct,
            reconcile_ms,
            available_mb: mem_available_mb(),
            load,
            machine_threads,
        };
        let (pss_med, _) = med_max(row.idle.iter().map(|s| s.pss_kb));
        println!(
            "{} instances: started in {:.1} s, idle PSS median {:.1} MB, p50 {:.2} ms p99 {:.2} ms, {:.1} GB available, control plane {} threads {} fds, reconcile {:.0} ms, load {:.1}",
            row.instances,
            row.start_s,
            mb(pss_med),
            ms(row.p50),
            ms(row.p99),
            row.available_mb as f64 / 1024.0,
            cp.threads,
            cp.fds,
            reconcile_ms,
            load
        );
        let p99 = row.p99;
        let available = row.available_mb;
        // What the next step would take: as many instances again at the PSS they hold now.
        let per_instance_mb = row.after.iter().map(|s| s.pss_kb).sum::<u64>() as f64
            / 1024.0
            / row.after.len().max(1) as f64;
        let next_need_mb =
            (per_instance_mb * step.min(max.saturating_sub(running.len())) as f64 * 1.1) as u64;
        rows.push(row);

        if p99 > p99_bound {
            break format!(
                "p99 {:.1} ms exceeds the bound of {:.0} ms",
                ms(p99),
                ms(p99_bound)
            );
        }
        if available < min_available_mb {
            break format!("memory: {available} MB available, below {min_available_mb} MB");
        }
        // Stop before a step that would leave less than the floor: without swap, the machine
        // thrashes instead of failing cleanly (seen at 978 instances with 105 MB available).
        if running.len() < max && available < min_available_mb + next_need_mb {
            break format!(
                "memory: {available} MB available; the next step needs about {next_need_mb} MB \
                 and would leave less than {min_available_mb} MB"
            );
        }
        if machine_threads * 10 > task_limit() * 9 {
            break format!(
                "threads: {machine_threads} tasks on the machine, over 90 % of the limit {}",
                task_limit()
            );
        }
        if cp.fds * 10 > fd_limit(cp_pid) * 9 {
            break format!(
                "file descriptors: the control plane holds {} of its {}",
                cp.fds,
                fd_limit(cp_pid)
            );
        }
        if running.len() >= max {
            break format!("reached DENSITY_MAX = {max}");
        }
    };
    println!("\nstopped: {stop_reason}");
    print_rows(&rows, engine);

    let pids: Vec<u32> = running.iter().map(|r| r.pid).collect();
    let mut platform = platform;
    tokio::task::block_in_place(|| platform.stop());
    kill_leftovers(&pids);
}
