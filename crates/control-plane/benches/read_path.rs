//! Read-path benchmark of the control plane: requests/s and p50/p99 latency of `GET /api/mappings`
//! (first page, 50 of 1,000 mappings) at 32 concurrent clients, on SQLite and on PostgreSQL, side
//! by side. Not a test: it asserts nothing but that every request succeeds.
//!
//! `cargo bench -p graph-olap-control-plane --bench read_path`
//!
//! Each database gets a fresh store (a temporary SQLite file; a private PostgreSQL schema on
//! `GRAPH_OLAP_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1:5432/test`, dropped
//! afterwards), the real control plane on a loopback socket in this process, 1,000 mappings
//! seeded through the store, and clients authenticating with a Bearer API key like production
//! clients. Knobs: `READ_PATH_SECONDS` (measured seconds per database, default 10),
//! `READ_PATH_WARMUP_SECONDS` (default 2), `READ_PATH_CLIENTS` (default 32), `READ_PATH_MAPPINGS`
//! (default 1000), `READ_PATH_DATABASES` (`sqlite,postgres`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use graph_olap_api::{NodeDefinition, PropertyDef, PropertyType};
use graph_olap_control_plane::{AppState, Settings};
use graph_olap_store::{Store, mappings};

const USER: &str = "analyst_alice@e2e.local";

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Knobs {
    seconds: u64,
    warmup: u64,
    clients: usize,
    mappings: usize,
}

/// Result of one database's run.
struct Figures {
    database: &'static str,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    p50: Duration,
    p99: Duration,
}

impl Figures {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
}

fn node(i: usize) -> NodeDefinition {
    NodeDefinition {
        label: "Customer".into(),
        sql: format!(
            "SELECT CAST(id AS VARCHAR) AS id, name FROM default_catalog.default_schema.customers_{i}"
        ),
        primary_key: PropertyDef {
            name: "id".into(),
            ty: PropertyType::parse("STRING").expect("type"),
        },
        properties: vec![PropertyDef {
            name: "name".into(),
            ty: PropertyType::parse("STRING").expect("type"),
        }],
    }
}

async fn seed(store: &Store, n: usize) {
    let mut tx = store.write().await.expect("write");
    let now = Utc::now();
    for i in 0..n {
        let new = mappings::NewMapping {
            owner_username: USER.into(),
            name: format!("bench mapping {i:04}"),
            description: Some("read-path benchmark".into()),
            ttl: None,
            inactivity_timeout: None,
            expires_at: None,
            node_definitions: vec![node(i)],
            edge_definitions: vec![],
            change_description: None,
        };
        mappings::insert(
            &mut tx,
            &new,
            now + chrono::Duration::milliseconds(i as i64),
        )
        .await
        .expect("seed mapping");
    }
    tx.commit().await.expect("commit seed");
}

/// Starts the control plane on `store`; returns its URL, an API key and the state.
async fn serve(store: Store, warehouse_dir: &std::path::Path) -> (String, String, AppState) {
    let warehouse = graph_olap_warehouse::connect(&warehouse_dir.display().to_string())
        .await
        .expect("warehouse");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let settings = Settings::development(url.clone(), "file:///tmp/none".into(), "k".repeat(40));
    let state = graph_olap_control_plane::start(
        store,
        warehouse,
        settings,
        Arc::new(graph_olap_store::SystemClock),
    )
    .await
    .expect("start");
    let key =
        graph_olap_control_plane::services::users::issue_user_key(&state, USER, "bench", "system")
            .await
            .expect("api key");
    let app = graph_olap_control_plane::app(state.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, key, state)
}

/// Drives `clients` concurrent clients until `until`; returns per-request latencies and error count.
async fn drive(url: &str, key: &str, clients: usize, until: Instant) -> (Vec<Duration>, usize) {
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = reqwest::Client::new();
            let target = format!("{url}/api/mappings");
            let auth = format!("Bearer {key}");
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0;
                while Instant::now() < until {
                    let start = Instant::now();
                    let ok = match client
                        .get(&target)
                        .header("Authorization", &auth)
                        .send()
                        .await
                    {
                        Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                        _ => false,
                    };
                    if ok {
                        latencies.push(start.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in futures::future::join_all(tasks).await {
        let (l, e) = t.expect("client task");
        all.extend(l);
        errors += e;
    }
    (all, errors)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

async fn run(database: &'static str, store: Store, knobs: &Knobs) -> Figures {
    let warehouse_dir = tempfile::tempdir().expect("tempdir");
    seed(&store, knobs.mappings).await;
    let (url, key, state) = serve(store, warehouse_dir.path()).await;
    let probe: serde_json::Value = reqwest::Client::new()
        .get(format!("{url}/api/mappings?limit=1"))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .expect("probe")
        .json()
        .await
        .expect("probe body");
    assert_eq!(
        probe["meta"]["total"].as_u64(),
        Some(knobs.mappings as u64),
        "seeded mappings visible: {probe}"
    );
    drive(
        &url,
        &key,
        knobs.clients,
        Instant::now() + Duration::from_secs(knobs.warmup),
    )
    .await;
    let start = Instant::now();
    let (mut latencies, errors) = drive(
        &url,
        &key,
        knobs.clients,
        start + Duration::from_secs(knobs.seconds),
    )
    .await;
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    state.store.close().await;
    Figures {
        database,
        requests: latencies.len(),
        errors,
        elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
    }
}

async fn sqlite(knobs: &Knobs) -> Figures {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::connect(&format!(
        "sqlite://{}",
        dir.path().join("meta.db").display()
    ))
    .await
    .expect("sqlite store");
    run("sqlite", store, knobs).await
}

async fn postgres(knobs: &Knobs) -> Figures {
    let schema = graph_olap_store::testing::PrivateSchema::create("bench").await;
    let store = Store::connect(&schema.url).await.expect("postgres store");
    let figures = run("postgres", store, knobs).await;
    schema.drop_all().await;
    figures
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo bench` passes `--bench`; this harness takes no arguments.
    let knobs = Knobs {
        seconds: env_or("READ_PATH_SECONDS", 10),
        warmup: env_or("READ_PATH_WARMUP_SECONDS", 2),
        clients: env_or("READ_PATH_CLIENTS", 32),
        mappings: env_or("READ_PATH_MAPPINGS", 1000),
    };
    let databases =
        std::env::var("READ_PATH_DATABASES").unwrap_or_else(|_| "sqlite,postgres".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let results: Vec<Figures> = runtime.block_on(async {
        let mut out = Vec::new();
        for db in databases.split(',').map(str::trim) {
            match db {
                "sqlite" => out.push(sqlite(&knobs).await),
                "postgres" => out.push(postgres(&knobs).await),
                other => {
                    panic!("READ_PATH_DATABASES: unknown database '{other}' (use sqlite,postgres)")
                }
            }
        }
        out
    });
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    println!();
    println!(
        "GET /api/mappings (first page of 50, {} mappings), {} concurrent clients, {} s per database after {} s warm-up, {cores} cores, server in-process",
        knobs.mappings, knobs.clients, knobs.seconds, knobs.warmup
    );
    println!(
        "{:<10} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "database", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for f in &results {
        println!(
            "{:<10} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>7}",
            f.database,
            f.requests,
            f.rps(),
            ms(f.p50),
            ms(f.p99),
            f.errors
        );
    }
    if let (Some(s), Some(p)) = (
        results.iter().find(|f| f.database == "sqlite"),
        results.iter().find(|f| f.database == "postgres"),
    ) {
        println!(
            "ratio sqlite/postgres: {:.2}x req/s, {:.2}x p50, {:.2}x p99",
            s.rps() / p.rps(),
            ms(s.p50) / ms(p.p50),
            ms(s.p99) / ms(p.p99)
        );
    }
}
