//! The scale curve's steps at one size, each timed and its process's peak memory read: the
//! demo generator, `up` exporting `bank-graph`, the instance loading the snapshot, queries and
//! algorithms through the proxy, and the engine alone loading the same files.
//!
//! Owns driving the platform and measuring it; does not own printing (`report`) nor the knobs.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_control_plane::services::sizing::{SnapshotFigures, estimate_bytes};
use graph_olap_instance::startup::GraphSize;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::Knobs;
use crate::common::{ALICE, OPS, Platform};
use crate::report::{Failure, SizeRun, Step};
use crate::support::engine_child::{EngineJob, LoadMode, engine_load_fresh_process};
use crate::support::procfs::{MemoryFloor, reset_peak, rss_and_peak_kb};
use crate::support::{ms, percentile};

/// How often a running step is polled (and the memory floor checked).
const POLL: Duration = Duration::from_millis(250);

/// The 1-hop query: a customer's accounts.
const ONE_HOP: &str =
    "MATCH (c:Customer {customer_id: $id})-[:HOLDS]->(a:Account) RETURN a.account_no, a.status";
/// The 3-hop query: accounts three transfers away from one account.
const THREE_HOP: &str = "MATCH (a:Account {account_id: $id})-[:TRANSFER]->(:Account)-[:TRANSFER]->(:Account)-[:TRANSFER]->(d:Account) RETURN count(DISTINCT d)";

/// PageRank's parameters: the same work at every size, 20 iterations (the default maximum), with a
/// tolerance no graph reaches. With the default tolerance the iteration count fell as the graph
/// grew (5, 3, 1 at 1 M, 10 M, 70 M relationships), so the growth compared unequal work.
fn pagerank_fixed_work() -> Value {
    json!({"max_iterations": PAGERANK_ITERATIONS, "tolerance": 1e-300})
}

/// PageRank iterations at every size.
const PAGERANK_ITERATIONS: u64 = 20;

/// Customers and accounts per unit of demo scale (DEMO.md), for query parameters.
const CUSTOMERS_PER_SCALE: i64 = 1_000;
const ACCOUNTS_PER_SCALE: i64 = 1_500;

type StepResult<T> = Result<T, Failure>;

fn fail(step: &'static str, reason: impl Into<String>) -> Failure {
    Failure {
        step,
        reason: reason.into(),
    }
}

/// The peak resident memory of `pid` since its last reset, KiB (0 once it has exited).
fn peak_kb(pid: u32) -> u64 {
    rss_and_peak_kb(pid).map_or(0, |(_, peak)| peak)
}

/// An RFC 3339 field of a JSON object.
fn timestamp(v: &Value, key: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    chrono::DateTime::parse_from_rfc3339(v[key].as_str()?).ok()
}

/// The sum of a `{name: count}` object.
fn total(v: &Value) -> u64 {
    v.as_object()
        .map(|m| m.values().filter_map(Value::as_u64).sum())
        .unwrap_or(0)
}

/// Runs every step at one size, recording figures in `run`; stops at the first failure.
pub async fn run_size(knobs: &Knobs, run: &mut SizeRun) -> StepResult<()> {
    let root = match &knobs.dir {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .map_err(|e| fail("generate warehouse", format!("temporary directory: {e}")))?;
    let mut floor = MemoryFloor::new(knobs.min_available_mb);
    let outcome = run_steps(knobs, run, root.path(), &mut floor).await;
    run.least_available_mb = floor.least_mb;
    outcome
}

async fn run_steps(
    knobs: &Knobs,
    run: &mut SizeRun,
    root: &Path,
    floor: &mut MemoryFloor,
) -> StepResult<()> {
    let warehouse = root.join("warehouse");
    run.steps
        .push(generate(run.scale, &warehouse, floor, knobs.step_timeout).await?);

    let platform = Platform::start_env(
        &root.join("data"),
        &["--warehouse-dir", warehouse.to_str().expect("utf-8 path")],
        &[
            ("GRAPH_OLAP_RECONCILIATION_INTERVAL_SECONDS", "60"),
            ("GRAPH_OLAP_LIFECYCLE_INTERVAL_SECONDS", "60"),
            ("GRAPH_OLAP_INSTANCE_STARTUP_TIMEOUT", "PT3H"),
            ("RUST_LOG", "warn"),
            ("GRAPH_OLAP_LOG", "warn"),
        ],
    )
    .await;
    let up_pid = platform.pid().expect("up is running");

    let loaded = export_and_load(knobs, run, &platform, up_pid, floor).await;
    let instance = match loaded {
        Ok(i) => i,
        Err(f) => return Err(with_log(f, &platform)),
    };
    let measured = async {
        queries(knobs, run, &instance, floor).await?;
        for (name, algorithm, property, parameters) in [
            (
                "PageRank + write-back",
                "pagerank",
                "scale_pr",
                pagerank_fixed_work(),
            ),
            ("WCC + write-back", "wcc", "scale_wcc", json!({})),
        ] {
            let step = algorithm_step(
                knobs, run, &platform, &instance, floor, name, algorithm, property, parameters,
            )
            .await?;
            run.steps.push(step);
        }
        Ok::<(), Failure>(())
    }
    .await;
    if let Err(f) = measured {
        return Err(with_log(f, &platform));
    }

    // The engine alone after the instance has stopped, so the two never share the machine.
    platform
        .call(
            Method::DELETE,
            &format!("/api/instances/{}", instance.id),
            ALICE,
            None,
        )
        .await;
    platform
        .wait_for_status(instance.id, "terminated", Duration::from_secs(600))
        .await;
    if knobs.engine_baseline {
        let step = engine_alone(run, &instance, root).await?;
        run.steps.push(step);
    }
    drop(platform);
    Ok(())
}

/// Prints the end of the platform's log next to a failure of a step it ran.
fn with_log(f: Failure, platform: &Platform) -> Failure {
    eprintln!(
        "{} failed; the platform's log before it:\n{}",
        f.step,
        platform.log_tail()
    );
    f
}

/// `graph-olap demo generate --scale S --out DIR` in a child process, polled for its peak.
async fn generate(
    scale: u32,
    out: &Path,
    floor: &mut MemoryFloor,
    timeout: Duration,
) -> StepResult<Step> {
    const STEP: &str = "generate warehouse";
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_graph-olap"))
        .args(["demo", "generate", "--scale", &scale.to_string(), "--out"])
        .arg(out)
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| fail(STEP, format!("spawn the generator: {e}")))?;
    let pid = child.id();
    let mut peak = 0;
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| fail(STEP, e.to_string()))? {
            break status;
        }
        peak = peak.max(peak_kb(pid));
        if let Err(left) = floor.check(Some(pid)) {
            let _ = child.wait();
            return Err(fail(
                STEP,
                format!(
                    "out of memory: {left} MB available, generator killed at {} MB",
                    peak / 1024
                ),
            ));
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            return Err(fail(STEP, format!("not done after {timeout:?}")));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let time = started.elapsed();
    if !status.success() {
        return Err(fail(STEP, format!("the generator exited with {status}")));
    }
    let summary = graph_olap_demo::existing(out)
        .ok()
        .flatten()
        .ok_or_else(|| fail(STEP, "no demo manifest after generation"))?;
    let rows: u64 = summary.tables.iter().map(|t| t.rows).sum();
    Ok(Step {
        name: STEP,
        time,
        throughput: Some((rows as f64 / time.as_secs_f64(), "rows/s")),
        process: "generator",
        peak_kb: peak,
        detail: format!("{rows} rows over {} tables", summary.tables.len()),
    })
}

/// The running instance the later steps use.
pub struct Instance {
    id: i64,
    url: String,
    pid: u32,
    cpu_cores: u32,
    memory_gb: Option<u32>,
    snapshot_dir: PathBuf,
    nodes: Vec<NodeDefinition>,
    edges: Vec<EdgeDefinition>,
    graph: GraphSize,
    load_time: Duration,
    load_peak_kb: u64,
}

async fn get(platform: &Platform, path: &str) -> Result<Value, String> {
    let (status, body) = platform
        .try_call(Method::GET, path, OPS, None)
        .await
        .map_err(|e| format!("GET {path}: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("GET {path}: {status} {body}"));
    }
    Ok(body["data"].clone())
}

/// `bank-graph` exported (request → snapshot ready) and loaded (snapshot ready → instance
/// running), timed by the control plane's own timestamps.
async fn export_and_load(
    knobs: &Knobs,
    run: &mut SizeRun,
    platform: &Platform,
    up_pid: u32,
    floor: &mut MemoryFloor,
) -> StepResult<Instance> {
    const EXPORT: &str = "export → snapshot";
    const LOAD: &str = "instance load";
    let mapping_id = platform
        .mapping_id(graph_olap_demo::BANK_MAPPING_NAME)
        .await;
    reset_peak(up_pid);
    let began = Instant::now();
    let (status, created) = platform
        .create_from_mapping(ALICE, mapping_id, "scale-curve")
        .await;
    if status != StatusCode::CREATED {
        return Err(fail(EXPORT, format!("create refused: {status} {created}")));
    }
    let id = created["data"]["id"].as_i64().expect("instance id");
    let instance_path = format!("/api/instances/{id}");

    // Export: until the snapshot is ready.
    let snapshot = loop {
        let instance = get(platform, &instance_path)
            .await
            .map_err(|e| fail(EXPORT, e))?;
        if let Some(sid) = instance["snapshot_id"].as_i64() {
            let s = get(platform, &format!("/api/snapshots/{sid}"))
                .await
                .map_err(|e| fail(EXPORT, e))?;
            match s["status"].as_str() {
                Some("ready") => break s,
                Some(other @ ("failed" | "cancelled")) => {
                    return Err(fail(
                        EXPORT,
                        format!("snapshot {other}: {}", s["error_message"]),
                    ));
                }
                _ => {}
            }
        }
        if instance["status"] == "failed" {
            return Err(fail(
                EXPORT,
                format!("instance failed: {}", instance["error_message"]),
            ));
        }
        if let Err(left) = floor.check(Some(up_pid)) {
            return Err(fail(
                EXPORT,
                format!(
                    "out of memory: {left} MB available, `up` killed at {} MB",
                    peak_kb(up_pid) / 1024
                ),
            ));
        }
        if began.elapsed() > knobs.step_timeout {
            return Err(fail(
                EXPORT,
                format!("not done after {:?}", knobs.step_timeout),
            ));
        }
        tokio::time::sleep(POLL).await;
    };
    let export_peak = peak_kb(up_pid);
    reset_peak(up_pid);
    let export_time = match (
        timestamp(&snapshot, "ready_at"),
        timestamp(&snapshot, "created_at"),
    ) {
        (Some(ready), Some(created)) => (ready - created).to_std().unwrap_or_default(),
        _ => began.elapsed(),
    };
    let nodes = total(&snapshot["node_counts"]);
    let edges = total(&snapshot["edge_counts"]);
    let bytes = snapshot["size_bytes"].as_u64().unwrap_or(0);
    run.nodes = nodes;
    run.edges = edges;
    run.estimate_bytes = Some(estimate_bytes(SnapshotFigures {
        parquet_bytes: bytes,
        nodes,
        edges,
    }));
    run.steps.push(Step {
        name: EXPORT,
        time: export_time,
        throughput: Some(((nodes + edges) as f64 / export_time.as_secs_f64(), "rows/s")),
        process: "up (control plane + export worker)",
        peak_kb: export_peak,
        detail: format!(
            "{} rows, {:.0} MB Parquet",
            nodes + edges,
            bytes as f64 / 1e6
        ),
    });

    // Load: until the instance is running.
    let mut pid = None;
    let running = loop {
        let instance = get(platform, &instance_path)
            .await
            .map_err(|e| fail(LOAD, e))?;
        if pid.is_none()
            && let Some(pod) = instance["pod_name"].as_str()
        {
            let unit = platform
                .data_dir
                .join("instances")
                .join("units")
                .join(format!("{pod}.json"));
            pid = std::fs::read_to_string(unit)
                .ok()
                .and_then(|t| serde_json::from_str::<Value>(&t).ok())
                .and_then(|u| u["pid"].as_u64())
                .map(|p| p as u32);
        }
        match instance["status"].as_str() {
            Some("running") => break instance,
            Some(s @ ("failed" | "terminated")) => {
                let gone = pid.is_some_and(|p| rss_and_peak_kb(p).is_none());
                return Err(fail(
                    LOAD,
                    format!(
                        "instance {s}: {} {}{}",
                        instance["error_code"],
                        instance["error_message"],
                        if gone { " (its process is gone)" } else { "" }
                    ),
                ));
            }
            _ => {}
        }
        let peak = pid.map_or(0, peak_kb);
        if let Err(left) = floor.check(pid) {
            return Err(fail(
                LOAD,
                format!(
                    "out of memory: {left} MB available, instance killed at {} MB",
                    peak / 1024
                ),
            ));
        }
        if began.elapsed() > knobs.step_timeout {
            return Err(fail(
                LOAD,
                format!("not running after {:?}", knobs.step_timeout),
            ));
        }
        tokio::time::sleep(POLL).await;
    };
    let pid = pid.ok_or_else(|| fail(LOAD, "no unit record with the instance's pid"))?;
    let load_peak = peak_kb(pid);
    let up_during_load = peak_kb(up_pid);
    let load_time = match (
        timestamp(&running, "started_at"),
        timestamp(&snapshot, "ready_at"),
    ) {
        (Some(started), Some(ready)) => (started - ready).to_std().unwrap_or_default(),
        _ => return Err(fail(LOAD, format!("no timestamps: {running}"))),
    };
    run.memory_gb = running["memory_gb"].as_u64();
    run.instance_peak_kb = load_peak;
    run.steps.push(Step {
        name: LOAD,
        time: load_time,
        throughput: Some(((nodes + edges) as f64 / load_time.as_secs_f64(), "rows/s")),
        process: "instance",
        peak_kb: load_peak,
        detail: format!(
            "memory_gb {}; `up` peak meanwhile {:.0} MB",
            running["memory_gb"],
            up_during_load as f64 / 1024.0
        ),
    });

    let snapshot_dir = PathBuf::from(
        snapshot["storage_path"]
            .as_str()
            .and_then(|p| p.strip_prefix("file://"))
            .ok_or_else(|| fail(LOAD, "the snapshot is not on local storage"))?,
    );
    let version = get(
        platform,
        &format!(
            "/api/mappings/{mapping_id}/versions/{}",
            running["mapping_version"]
        ),
    )
    .await
    .map_err(|e| fail(LOAD, e))?;
    Ok(Instance {
        id,
        url: running["instance_url"]
            .as_str()
            .expect("instance_url")
            .to_string(),
        pid,
        cpu_cores: running["cpu_cores"].as_u64().unwrap_or(1) as u32,
        memory_gb: running["memory_gb"].as_u64().map(|g| g as u32),
        snapshot_dir,
        nodes: serde_json::from_value(version["node_definitions"].clone()).expect("nodes"),
        edges: serde_json::from_value(version["edge_definitions"].clone()).expect("edges"),
        graph: GraphSize { nodes, edges },
        load_time,
        load_peak_kb: load_peak,
    })
}

/// One Cypher query through the proxy; its rows.
async fn query(
    client: &reqwest::Client,
    instance: &Instance,
    cypher: &str,
    parameters: Value,
) -> Result<Value, String> {
    let response = client
        .post(format!("{}/query", instance.url))
        .header("X-Username", ALICE)
        .json(&json!({"query": cypher, "parameters": parameters, "timeout_ms": 600_000}))
        .send()
        .await
        .map_err(|e| format!("query: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("query body: {e}"))?;
    if status != StatusCode::OK {
        return Err(format!("query {status}: {body}"));
    }
    Ok(body["rows"].clone())
}

/// The 1-hop and 3-hop queries, sequentially over ids spread evenly through the graph.
async fn queries(
    knobs: &Knobs,
    run: &mut SizeRun,
    instance: &Instance,
    floor: &mut MemoryFloor,
) -> StepResult<()> {
    let client = reqwest::Client::new();
    let scale = i64::from(run.scale);
    for (name, cypher, count, population) in [
        (
            "1-hop query",
            ONE_HOP,
            knobs.one_hop_queries,
            CUSTOMERS_PER_SCALE * scale,
        ),
        (
            "3-hop query",
            THREE_HOP,
            knobs.three_hop_queries,
            ACCOUNTS_PER_SCALE * scale,
        ),
    ] {
        // One warm-up query, as an analyst's first query would not be the one measured.
        query(&client, instance, cypher, json!({"id": 1}))
            .await
            .map_err(|e| fail(name, e))?;
        reset_peak(instance.pid);
        let began = Instant::now();
        let mut latencies = Vec::with_capacity(count);
        let mut rows = 0usize;
        for i in 0..count as i64 {
            let id = 1 + (i * 7919 + 13) % population;
            let started = Instant::now();
            let result = query(&client, instance, cypher, json!({"id": id}))
                .await
                .map_err(|e| fail(name, e))?;
            latencies.push(started.elapsed());
            rows += result.as_array().map_or(0, Vec::len);
            floor.check(Some(instance.pid)).map_err(|left| {
                fail(
                    name,
                    format!("out of memory: {left} MB available, instance killed"),
                )
            })?;
        }
        let time = began.elapsed();
        latencies.sort();
        let peak = peak_kb(instance.pid);
        run.instance_peak_kb = run.instance_peak_kb.max(peak);
        run.steps.push(Step {
            name,
            time,
            throughput: Some((count as f64 / time.as_secs_f64(), "queries/s")),
            process: "instance",
            peak_kb: peak,
            detail: format!(
                "{count} queries, p50 {:.2} ms, p99 {:.2} ms, {rows} rows",
                ms(percentile(&latencies, 0.5)),
                ms(percentile(&latencies, 0.99))
            ),
        });
    }
    Ok(())
}

/// Runs a native algorithm over the whole graph with write-back, timed by its execution record,
/// and checks that every node got the property.
#[allow(clippy::too_many_arguments)]
async fn algorithm_step(
    knobs: &Knobs,
    run: &mut SizeRun,
    platform: &Platform,
    instance: &Instance,
    floor: &mut MemoryFloor,
    name: &'static str,
    algorithm: &str,
    property: &str,
    parameters: Value,
) -> StepResult<Step> {
    let fixed_iterations = parameters.get("max_iterations").and_then(Value::as_u64);
    reset_peak(instance.pid);
    let began = Instant::now();
    let (status, started) = platform
        .try_call(
            Method::POST,
            &format!("{}/algo/{algorithm}", instance.url),
            ALICE,
            Some(json!({
                "result_property": property,
                "write_back": true,
                "timeout_ms": 7_200_000,
                "parameters": parameters,
            })),
        )
        .await
        .map_err(|e| fail(name, e.to_string()))?;
    if status != StatusCode::ACCEPTED {
        return Err(fail(name, format!("start refused: {status} {started}")));
    }
    let execution = started["execution_id"]
        .as_str()
        .expect("execution_id")
        .to_string();
    let done = loop {
        let (_, s) = platform
            .try_call(
                Method::GET,
                &format!("{}/algo/status/{execution}", instance.url),
                ALICE,
                None,
            )
            .await
            .map_err(|e| fail(name, format!("status: {e}")))?;
        match s["status"].as_str() {
            Some("completed") => break s,
            Some("running") => {}
            _ => {
                return Err(fail(
                    name,
                    format!(
                        "{}: {} {}",
                        s["status"], s["error_code"], s["error_message"]
                    ),
                ));
            }
        }
        floor.check(Some(instance.pid)).map_err(|left| {
            fail(
                name,
                format!(
                    "out of memory: {left} MB available, instance killed at {} MB",
                    peak_kb(instance.pid) / 1024
                ),
            )
        })?;
        if began.elapsed() > knobs.step_timeout {
            return Err(fail(
                name,
                format!("not done after {:?}", knobs.step_timeout),
            ));
        }
        tokio::time::sleep(POLL).await;
    };
    let peak = peak_kb(instance.pid);
    run.instance_peak_kb = run.instance_peak_kb.max(peak);
    let time = done["duration_ms"]
        .as_u64()
        .map_or_else(|| began.elapsed(), Duration::from_millis);
    let updated = done["nodes_updated"].as_u64().unwrap_or(0);
    let client = reqwest::Client::new();
    let written = query(
        &client,
        instance,
        &format!("MATCH (n) WHERE n.{property} IS NOT NULL RETURN count(n)"),
        json!({}),
    )
    .await
    .map_err(|e| fail(name, format!("write-back check: {e}")))?[0][0]
        .as_u64()
        .unwrap_or(0);
    if written != run.nodes || updated != run.nodes {
        return Err(fail(
            name,
            format!(
                "write-back incomplete: {updated} nodes updated, {written} carry `{property}`, the graph has {}",
                run.nodes
            ),
        ));
    }
    let summary = &done["result"];
    let iterations = summary["iterations"].as_u64();
    if fixed_iterations.is_some() && iterations != fixed_iterations {
        return Err(fail(
            name,
            format!("ran {iterations:?} iterations, asked for {fixed_iterations:?}"),
        ));
    }
    Ok(Step {
        name,
        time,
        throughput: Some((run.edges as f64 / time.as_secs_f64(), "edges/s")),
        process: "instance",
        peak_kb: peak,
        detail: format!(
            "{written} nodes written back (checked); wall {:.1} s; {}",
            began.elapsed().as_secs_f64(),
            short_summary(summary)
        ),
    })
}

/// The scalar fields of an algorithm's result summary and its phase timings, for the detail
/// column: `iterations 20, converged false; projection 812 ms, graph_build 95 ms, …`.
fn short_summary(result: &Value) -> String {
    let scalars = |v: &Value, unit: &str| {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(_, v)| v.is_number() || v.is_boolean())
                    .map(|(k, v)| format!("{k} {v}{unit}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default()
    };
    let source = result.get("summary").unwrap_or(result);
    let timings = result
        .get("timings_ms")
        .map_or(String::new(), |t| format!("; {}", scalars(t, " ms")));
    format!("{}{timings}", scalars(source, ""))
}

/// The engine alone loading the same Parquet files in a new process, sized as the instance.
async fn engine_alone(run: &SizeRun, instance: &Instance, root: &Path) -> StepResult<Step> {
    const STEP: &str = "engine alone: load";
    let job = EngineJob {
        snapshot_dir: instance.snapshot_dir.clone(),
        nodes: instance.nodes.clone(),
        edges: instance.edges.clone(),
        db: root.join("engine-alone-db"),
        cpu_cores: instance.cpu_cores,
        memory_gb: instance.memory_gb,
        graph: Some(instance.graph),
        mode: LoadMode::AsInstance,
    };
    let fresh = tokio::task::spawn_blocking(move || engine_load_fresh_process(&job))
        .await
        .expect("engine-alone thread")
        .map_err(|e| fail(STEP, e))?;
    let rows = run.nodes + run.edges;
    Ok(Step {
        name: STEP,
        time: fresh.elapsed,
        throughput: Some((rows as f64 / fresh.elapsed.as_secs_f64(), "rows/s")),
        process: "engine alone (new process)",
        peak_kb: fresh.peak_kb,
        detail: format!(
            "instance load ÷ this: time {:.2}, peak memory {:.2} (its own COPY {:.1} s)",
            instance.load_time.as_secs_f64() / fresh.elapsed.as_secs_f64(),
            instance.load_peak_kb as f64 / fresh.peak_kb.max(1) as f64,
            fresh.load.as_secs_f64()
        ),
    })
}
