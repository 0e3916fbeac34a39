//! The translator's cost next to the engine's own: for each query of the SDK test suite
//! (`crates/cypher/benches/queries.txt`), `dialect::prepare_with_schema` (parse, gate, translate)
//! against the engine compiling the translated text (`EXPLAIN`: parse, bind, plan, no
//! execution) on a graph with the SDK's schema. Ignored by default (it measures, it does not
//! check); run with
//! `cargo test --workspace --test dialect_bench -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use graph_olap_api::{EdgeDefinition, NodeDefinition};
use graph_olap_engine::{GraphEngine, QueryRequest, RyuConfig, RyuEngine};
use serde_json::json;

fn percentiles(mut v: Vec<Duration>) -> String {
    v.sort();
    let at = |p: f64| v[((v.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1e6;
    format!("p50={:>7.1} µs  p99={:>7.1} µs", at(0.5), at(0.99))
}

#[test]
#[ignore = "benchmark; run with --ignored --nocapture"]
fn translation_next_to_the_engines_own_prepare() {
    let dir = tempfile::tempdir().unwrap();
    let config = RyuConfig {
        readers: 1,
        buffer_pool_bytes: 256 << 20,
        max_db_bytes: 1 << 32,
        ..RyuConfig::default()
    };
    let engine = RyuEngine::open(&dir.path().join("db"), config).unwrap();
    let props = |names: &[(&str, &str)]| {
        names
            .iter()
            .map(|(n, t)| json!({"name": n, "type": t}))
            .collect::<Vec<_>>()
    };
    let customer: NodeDefinition =
        serde_json::from_value(json!({"label": "Customer", "sql": "SELECT 1",
        "primary_key": {"name": "id", "type": "STRING"},
        "properties": props(&[("bk_sectr", "STRING"), ("account_count", "INT64"), ("pr", "DOUBLE"),
            ("orig_pr", "DOUBLE"), ("orig_dc", "DOUBLE"), ("nx_sub_degree", "DOUBLE")])}))
        .unwrap();
    let account: NodeDefinition =
        serde_json::from_value(json!({"label": "Account", "sql": "SELECT 1",
        "primary_key": {"name": "id", "type": "STRING"}, "properties": []}))
        .unwrap();
    let shares: EdgeDefinition = serde_json::from_value(json!({"type": "SHARES_ACCOUNT", "from_node": "Customer",
        "to_node": "Customer", "sql": "SELECT 1", "from_key": "a", "to_key": "b", "properties": []})).unwrap();
    engine
        .create_schema(&[customer, account], &[shares])
        .unwrap();
    let schema = graph_olap_cypher::Schema::default()
        .with_node(
            "Customer",
            [
                ("id", "STRING"),
                ("bk_sectr", "STRING"),
                ("account_count", "INT64"),
                ("pr", "DOUBLE"),
                ("orig_pr", "DOUBLE"),
                ("orig_dc", "DOUBLE"),
                ("nx_sub_degree", "DOUBLE"),
            ],
        )
        .with_node("Account", [("id", "STRING")])
        .with_relationship("SHARES_ACCOUNT", []);
    let text = include_str!("../../cypher/benches/queries.txt");
    let queries: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .collect();
    let params = json!({"id": "C-1", "s": "retail", "key": "C-1", "x": "C-1", "y": "C-2"})
        .as_object()
        .cloned()
        .unwrap();
    let request = |q: &str| QueryRequest {
        query: q.into(),
        parameters: params.clone(),
        timeout: Duration::from_secs(10),
        max_rows: 10,
    };
    let (mut ours, mut theirs, mut round_trip) = (vec![], vec![], vec![]);
    for round in 0..30 {
        for q in &queries {
            let t = Instant::now();
            let statement = graph_olap_engine::dialect::prepare_with_schema(
                q,
                graph_olap_cypher::Dialect::Kuzu,
                &schema,
            )
            .unwrap();
            ours.push(t.elapsed());
            let t = Instant::now();
            let r = engine.query_ungated(&request(&format!("EXPLAIN {}", statement.text)));
            theirs.push(t.elapsed());
            if round == 0
                && let Err(e) = r
            {
                println!("engine refused {}: {}", statement.text, e.message);
            }
            let t = Instant::now();
            engine.query_ungated(&request("RETURN 1")).unwrap();
            round_trip.push(t.elapsed());
        }
    }
    println!(
        "{} queries × 30 rounds (unoptimised test build for the translator; the engine is built -O3)",
        queries.len()
    );
    println!(
        "translator: parse + gate + translate      {}",
        percentiles(ours)
    );
    println!(
        "engine: EXPLAIN of the translated text    {}",
        percentiles(theirs)
    );
    println!(
        "engine: RETURN 1 round trip (baseline)    {}",
        percentiles(round_trip)
    );
}
