//! Instance benchmarks, side by side in one run (not tests — nothing is asserted but success):
//!
//! (a) **cold start**: from a ready snapshot to `running` through the real platform
//!     (`POST /api/instances` → child process → download → schema → `COPY FROM` → report →
//!     probe), next to the engine alone — configured as the instance configures it — creating
//!     the schema and running `COPY FROM` on the same Parquet files in this process. Ratio
//!     target ≤ 1.3. The engine alone is timed twice: loading repeatedly in this process (its
//!     caches and allocator warm after the first run), and in a new process per load, timed
//!     from spawn (what every instance, being a new process, pays). The platform's cold start
//!     is also split into phases from the control plane's records and the instance's reported
//!     steps: until the bootstrap arrived, download beside the schema, the `COPY`s, and from
//!     the last `COPY` to `running`.
//! (b) **query overhead**: p50/p99 of a 1-hop Cypher query through the control plane's proxy
//!     (HTTP client → proxy → instance server → engine → JSON) versus the same query on the
//!     engine in this process. Target ≤ 5 ms added at p50.
//!
//! `cargo bench -p graph-olap-cli --bench instances`
//!
//! Knobs: `INSTANCE_BENCH_SCALES` (demo scales, default `1,100`), `INSTANCE_BENCH_STARTS`
//! (cold starts per scale, default 3), `INSTANCE_BENCH_QUERIES` (queries per side, default 2000).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{ALICE, Platform};
use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{CancelToken, GraphEngine, QueryRequest, RyuEngine};
use graph_olap_instance::startup::{GraphSize, engine_config};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::engine_child::{EngineJob, LoadMode, bench_main, engine_load_fresh_process};
use support::{engine_load, env_or, median, ms, percentile};

struct Prepared {
    platform: Platform,
    snapshot_id: i64,
    snapshot_dir: PathBuf,
    nodes: Vec<NodeDefinition>,
    edges: Vec<EdgeDefinition>,
    rows: i64,
    graph: GraphSize,
}

/// Median cold starts at one scale, by who loads.
struct ColdStart {
    scale: u32,
    rows: i64,
    platform: Duration,
    engine: Duration,
    fresh: Duration,
    copy_primed: Duration,
    copy_unprimed: Duration,
    phases: Phases,
}

/// Where one cold start's recorded time (`started_at − created_at`) went, from the control
/// plane's records and the steps the instance reported (one machine, one clock).
#[derive(Debug, Clone, Copy, Default)]
struct Phases {
    /// Created → the bootstrap arrived: the control plane's records and scheduling, starting the
    /// instance process, its `starting` report and bootstrap request.
    to_bootstrap: Duration,
    /// The download and, beside it, opening the engine and creating the schema.
    download_and_schema: Duration,
    /// The first `COPY` started → the last one finished.
    copies: Duration,
    /// The last `COPY` → `running`: the end of the engine's load after its last `COPY` (the id
    /// space's per-table statements), the last progress report, the running report and the
    /// control plane's readiness probe.
    to_running: Duration,
}

impl Phases {
    /// The medians, phase by phase, of `all`.
    fn median(all: &[Phases]) -> Phases {
        let of = |f: fn(&Phases) -> Duration| median(all.iter().map(f).collect());
        Phases {
            to_bootstrap: of(|p| p.to_bootstrap),
            download_and_schema: of(|p| p.download_and_schema),
            copies: of(|p| p.copies),
            to_running: of(|p| p.to_running),
        }
    }
}

/// A point in time as the control plane records it (RFC 3339).
type Time = chrono::DateTime<chrono::FixedOffset>;

/// The RFC 3339 time `v`; panics on anything else (the bench trusts the control plane's records).
fn time(v: &Value) -> Time {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap_or_else(|| panic!("a time: {v}")))
        .unwrap_or_else(|e| panic!("{v}: {e}"))
}

/// The phases of the running instance `instance` (its record), from its progress steps.
async fn phases(p: &Platform, instance: &Value) -> Phases {
    let progress = p
        .progress(instance["id"].as_i64().expect("instance id"))
        .await;
    let steps = progress["steps"].as_array().expect("steps");
    let step = |name: &str| {
        steps
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no step {name} in {progress}"))
    };
    let loads: Vec<&Value> = steps
        .iter()
        .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with("load:")))
        .collect();
    let first_copy = loads
        .iter()
        .map(|s| time(&s["started_at"]))
        .min()
        .expect("load steps");
    let last_copy = loads
        .iter()
        .map(|s| time(&s["completed_at"]))
        .max()
        .expect("load steps");
    let bootstrap = time(&step("download")["started_at"]);
    let between = |from: Time, to: Time| (to - from).to_std().unwrap_or_default();
    Phases {
        to_bootstrap: between(time(&instance["created_at"]), bootstrap),
        download_and_schema: between(bootstrap, first_copy),
        copies: between(first_copy, last_copy),
        to_running: between(last_copy, time(&instance["started_at"])),
    }
}

/// `graph-olap up` over a demo warehouse of `scale`, with a ready snapshot of `bank-graph`.
async fn prepare(root: &Path, scale: u32) -> Prepared {
    let warehouse = root.join("warehouse");
    let w = warehouse.clone();
    tokio::task::spawn_blocking(move || graph_olap_demo::generate(&w, scale))
        .await
        .unwrap()
        .expect("demo warehouse");
    let platform = Platform::start_with(
        &root.join("data"),
        &["--warehouse-dir", warehouse.to_str().unwrap()],
    )
    .await;
    let mapping_id = platform.mapping_id("bank-graph").await;
    let (status, created) = platform
        .create_from_mapping(ALICE, mapping_id, "bench-export")
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let first = platform
        .wait_for_status(
            created["data"]["id"].as_i64().unwrap(),
            "running",
            Duration::from_secs(3600),
        )
        .await;
    terminate(&platform, first["id"].as_i64().unwrap()).await;
    let snapshot_id = first["snapshot_id"].as_i64().unwrap();
    let (_, snapshot) = platform
        .call(
            Method::GET,
            &format!("/api/snapshots/{snapshot_id}"),
            ALICE,
            None,
        )
        .await;
    let storage = snapshot["data"]["storage_path"].as_str().unwrap();
    let snapshot_dir = PathBuf::from(storage.strip_prefix("file://").expect("local snapshot"));
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
    let nodes: Vec<NodeDefinition> =
        serde_json::from_value(version["data"]["node_definitions"].clone()).unwrap();
    let edges: Vec<EdgeDefinition> =
        serde_json::from_value(version["data"]["edge_definitions"].clone()).unwrap();
    let counts = |key: &str| {
        snapshot["data"][key]
            .as_object()
            .map(|m| m.values().filter_map(Value::as_i64).sum::<i64>())
            .unwrap_or(0)
    };
    let rows = counts("node_counts") + counts("edge_counts");
    let graph = GraphSize {
        nodes: counts("node_counts") as u64,
        edges: counts("edge_counts") as u64,
    };
    Prepared {
        platform,
        snapshot_id,
        snapshot_dir,
        nodes,
        edges,
        rows,
        graph,
    }
}

/// Terminates an instance and waits until its server has exited, so that the next cold start
/// does not share the machine with a shutdown.
async fn terminate(p: &Platform, id: i64) {
    p.call(Method::DELETE, &format!("/api/instances/{id}"), ALICE, None)
        .await;
    p.wait_for_status(id, "terminated", Duration::from_secs(120))
        .await;
}

/// Time from `POST /api/instances` to `running`: the request's round trip plus the control
/// plane's own record of it (`started_at − created_at`, taken when it accepts the running
/// report). Polling only learns that the instance is running; a tight poll would add its own
/// load to the two cores the start-up needs, a loose one its interval to the figure.
async fn cold_start(p: &Platform, snapshot_id: i64, i: usize) -> (Duration, Value) {
    let started = Instant::now();
    let (status, created) = p
        .call(
            Method::POST,
            "/api/instances",
            ALICE,
            Some(json!({"snapshot_id": snapshot_id, "name": format!("bench-cold-{i}")})),
        )
        .await;
    let request = started.elapsed();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["data"]["id"].as_i64().unwrap();
    loop {
        let (_, body) = p
            .call(Method::GET, &format!("/api/instances/{id}"), ALICE, None)
            .await;
        match body["data"]["status"].as_str() {
            Some("running") => {
                let data = &body["data"];
                let recorded = (time(&data["started_at"]) - time(&data["created_at"]))
                    .to_std()
                    .expect("started after created");
                return (request + recorded, body["data"].clone());
            }
            Some("failed" | "terminated") => panic!("cold start failed: {body}\n{}", p.log_tail()),
            _ => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// The 1-hop query, parameterised by a customer id.
const ONE_HOP: &str =
    "MATCH (c:Customer {customer_id: $id})-[:HOLDS]->(a:Account) RETURN a.account_no, a.status";

async fn proxy_latencies(p: &Platform, instance_url: &str, ids: &[i64]) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let started = Instant::now();
        let response = client
            .post(format!("{instance_url}/query"))
            .header("X-Username", ALICE)
            .json(&json!({"query": ONE_HOP, "parameters": {"id": id}}))
            .send()
            .await
            .expect("proxy query");
        assert_eq!(response.status(), StatusCode::OK);
        let _ = response.bytes().await.expect("body");
        out.push(started.elapsed());
    }
    let _ = p;
    out
}

fn engine_latencies(engine: &RyuEngine, ids: &[i64]) -> Vec<Duration> {
    ids.iter()
        .map(|id| {
            let mut parameters = serde_json::Map::new();
            parameters.insert("id".into(), json!(id));
            let request = QueryRequest {
                query: ONE_HOP.into(),
                parameters,
                timeout: Duration::from_secs(60),
                max_rows: 100_000,
            };
            let started = Instant::now();
            engine
                .query(&request, &CancelToken::new())
                .expect("engine query");
            started.elapsed()
        })
        .collect()
}

fn main() {
    bench_main(run);
}

async fn run() {
    let scales: Vec<u32> = std::env::var("INSTANCE_BENCH_SCALES")
        .unwrap_or_else(|_| "1,100".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let starts: usize = env_or("INSTANCE_BENCH_STARTS", 3);
    let queries: usize = env_or("INSTANCE_BENCH_QUERIES", 2000);
    println!(
        "instance benchmarks: scales {scales:?}, {starts} cold starts each, {queries} queries per side"
    );
    let mut cold_rows = Vec::new();
    let mut query_rows = Vec::new();
    for scale in scales {
        let root = tempfile::tempdir().expect("tempdir");
        let prepared = prepare(root.path(), scale).await;
        let mut platform_times = Vec::new();
        let mut platform_phases = Vec::new();
        let mut running = None;
        for i in 0..starts {
            let (elapsed, instance) = cold_start(&prepared.platform, prepared.snapshot_id, i).await;
            platform_times.push(elapsed);
            platform_phases.push(phases(&prepared.platform, &instance).await);
            if i + 1 < starts {
                terminate(&prepared.platform, instance["id"].as_i64().unwrap()).await;
            } else {
                running = Some(instance);
            }
        }
        let sizing = running.as_ref().expect("a running instance");
        let job = EngineJob {
            snapshot_dir: prepared.snapshot_dir.clone(),
            nodes: prepared.nodes.clone(),
            edges: prepared.edges.clone(),
            db: root.path().join("engine-db-child"),
            cpu_cores: sizing["cpu_cores"].as_u64().unwrap_or(1) as u32,
            memory_gb: sizing["memory_gb"].as_u64().map(|gb| gb as u32),
            graph: Some(prepared.graph),
            mode: LoadMode::AsInstance,
        };
        let mut engine_times = Vec::new();
        let mut engine = None;
        for _ in 0..starts {
            let (elapsed, e) = engine_load(
                &job.snapshot_dir,
                &job.nodes,
                &job.edges,
                &root.path().join("engine-db"),
                engine_config(job.cpu_cores, job.memory_gb, job.graph),
            );
            engine_times.push(elapsed);
            engine = Some(e);
        }
        let fresh_times: Vec<Duration> = (0..starts)
            .map(|_| {
                engine_load_fresh_process(&job)
                    .expect("engine alone in a new process")
                    .elapsed
            })
            .collect();
        // The engine's plain job in a new process: one `COPY FROM` per table, with the one-row
        // primer that avoids its slow first COPY into an empty relationship table, and (once, as
        // it can take minutes) without.
        let copy_job = |mode| EngineJob {
            mode,
            ..job.clone()
        };
        let primed_times: Vec<Duration> = (0..starts)
            .map(|_| {
                engine_load_fresh_process(&copy_job(LoadMode::CopyPrimed))
                    .expect("engine COPY in a new process")
                    .elapsed
            })
            .collect();
        let unprimed = engine_load_fresh_process(&copy_job(LoadMode::CopyOnly))
            .expect("engine COPY without primer")
            .elapsed;
        let list = |v: &[Duration]| {
            v.iter()
                .map(|d| format!("{:.0}", ms(*d)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        println!(
            "scale {scale}: cold starts (ms) platform [{}], engine alone in this process [{}], engine alone in a new process [{}], engine COPY only (primed) in a new process [{}], unprimed {:.0}",
            list(&platform_times),
            list(&engine_times),
            list(&fresh_times),
            list(&primed_times),
            ms(unprimed)
        );
        cold_rows.push(ColdStart {
            scale,
            rows: prepared.rows,
            platform: median(platform_times),
            engine: median(engine_times),
            fresh: median(fresh_times),
            copy_primed: median(primed_times),
            copy_unprimed: unprimed,
            phases: Phases::median(&platform_phases),
        });

        let instance = running.expect("a running instance");
        let url = instance["instance_url"].as_str().unwrap().to_string();
        let customers = prepared
            .nodes
            .first()
            .map(|_| 1_000 * i64::from(scale))
            .unwrap_or(1000);
        let ids: Vec<i64> = (0..queries as i64)
            .map(|i| 1 + (i * 7919) % customers)
            .collect();
        let engine = engine.expect("engine");
        // Warm both sides once.
        proxy_latencies(&prepared.platform, &url, &ids[..ids.len().min(100)]).await;
        engine_latencies(&engine, &ids[..ids.len().min(100)]);
        let mut proxied = proxy_latencies(&prepared.platform, &url, &ids).await;
        let e = engine.clone();
        let ids2 = ids.clone();
        let mut direct = tokio::task::spawn_blocking(move || engine_latencies(&e, &ids2))
            .await
            .unwrap();
        proxied.sort();
        direct.sort();
        query_rows.push((
            scale,
            percentile(&proxied, 0.5),
            percentile(&proxied, 0.99),
            percentile(&direct, 0.5),
            percentile(&direct, 0.99),
        ));
        drop(prepared);
    }
    println!("\n(a) cold start, ready snapshot → running (median of {starts})");
    println!(
        "| scale | rows (nodes+edges) | platform | engine as the instance loads, warm process | ratio | same, new process | ratio | engine COPY only, primed, new process | ratio (target ≤ 1.3) | engine COPY only, unprimed |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for c in &cold_rows {
        let ratio = |base: &Duration| c.platform.as_secs_f64() / base.as_secs_f64();
        println!(
            "| {} | {} | {:.0} ms | {:.0} ms | {:.2} | {:.0} ms | {:.2} | {:.0} ms | {:.2} | {:.0} ms |",
            c.scale,
            c.rows,
            ms(c.platform),
            ms(c.engine),
            ratio(&c.engine),
            ms(c.fresh),
            ratio(&c.fresh),
            ms(c.copy_primed),
            ratio(&c.copy_primed),
            ms(c.copy_unprimed),
        );
    }
    println!(
        "\n(a') where the platform's cold start goes (medians; the platform's figure adds the create request's round trip)"
    );
    println!(
        "| scale | created → bootstrap received | download ∥ engine and schema | `COPY`s | last `COPY` → running |"
    );
    println!("|---|---|---|---|---|");
    for c in &cold_rows {
        let p = c.phases;
        println!(
            "| {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.1} ms |",
            c.scale,
            ms(p.to_bootstrap),
            ms(p.download_and_schema),
            ms(p.copies),
            ms(p.to_running),
        );
    }
    println!("\n(b) 1-hop query `{ONE_HOP}`, {queries} sequential queries");
    println!("| scale | proxy p50 | proxy p99 | engine p50 | engine p99 | added p50 |");
    println!("|---|---|---|---|---|---|");
    for (scale, pp50, pp99, ep50, ep99) in &query_rows {
        println!(
            "| {scale} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms |",
            ms(*pp50),
            ms(*pp99),
            ms(*ep50),
            ms(*ep99),
            ms(*pp50) - ms(*ep50)
        );
    }
}
