//! Parse + gate + translate time per query, over the queries of the SDK test suite (and the
//! issue's examples) in `benches/queries.txt`: p50 / p99 / max of single calls, with and
//! without the graph's schema, and what one parse on the current thread costs.
//!
//! Run: `cargo bench -p graph-olap-cypher` (compiles only this crate; figures in the README).

use std::time::{Duration, Instant};

use graph_olap_cypher::{
    Dialect, Schema, check_read_only, parse, prepare, prepare_with_schema, translate,
};

const ROUNDS: usize = 300;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name:<34} n={:<6} p50={:>7.1} µs  p99={:>7.1} µs  max={:>7.1} µs",
        samples.len(),
        percentile(&samples, 0.50).as_secs_f64() * 1e6,
        percentile(&samples, 0.99).as_secs_f64() * 1e6,
        samples.last().unwrap().as_secs_f64() * 1e6,
    );
}

fn time(samples: &mut Vec<Duration>, f: impl FnOnce()) {
    let t = Instant::now();
    f();
    samples.push(t.elapsed());
}

fn main() {
    let text = include_str!("queries.txt");
    let queries: Vec<&str> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .collect();
    let schema = Schema::default()
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
    for q in &queries {
        if let Err(e) = prepare_with_schema(q, Dialect::Kuzu, &schema) {
            println!("refused: {q}\n  {e}");
        }
    }
    let (mut all, mut with_schema, mut parse_only, mut translate_only) =
        (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        for q in &queries {
            time(&mut all, || drop(prepare(q, Dialect::Kuzu)));
            time(&mut with_schema, || {
                drop(prepare_with_schema(q, Dialect::Kuzu, &schema))
            });
            time(&mut parse_only, || drop(parse(q)));
            let tree = parse(q).unwrap();
            time(&mut translate_only, || {
                let _ = check_read_only(&tree);
                let _ = translate(&tree, Dialect::Kuzu);
            });
        }
    }
    println!("{} queries × {ROUNDS} rounds", queries.len());
    report("prepare (parse+gate+translate)", all);
    report("prepare_with_schema", with_schema);
    report("parse", parse_only);
    report("gate+translate", translate_only);
    let mut spawn = vec![];
    for _ in 0..ROUNDS * 10 {
        time(&mut spawn, || {
            std::thread::scope(|s| {
                let h = std::thread::Builder::new()
                    .stack_size(32 << 20)
                    .spawn_scoped(s, || 1)
                    .unwrap();
                let _ = h.join();
            })
        });
    }
    report("spawn+join a 32 MiB-stack thread", spawn);
}
