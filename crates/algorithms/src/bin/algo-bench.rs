//! `algo-bench`: throughput of the hot kernels against NetworkX and igraph on the same graphs.
//!
//! Generates deterministic R-MAT graphs (default 1 M and 10 M edges), builds the CSR, times
//! PageRank (20 iterations), WCC, Louvain and k-sampled betweenness on 1 thread and on all
//! threads, then runs `benches/reference_bench.py` on the same edge list for NetworkX (capped at
//! `--networkx-max-edges`, default 1 M, because NetworkX on 10 M edges takes many minutes) and
//! igraph, and prints one table. Not a test: nothing is asserted.
//!
//! Usage: `algo-bench [--edges 1000000,10000000] [--sources 16] [--networkx-max-edges 1000000]
//! [--no-python]`; `PYTHON` selects the interpreter (default `python3`).

use std::io::{BufWriter, Write};
use std::process::Command;
use std::time::Instant;

use graph_olap_algorithms::centrality::betweenness::{betweenness_with_sources, sample_sources};
use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::community::louvain::{LouvainConfig, louvain};
use graph_olap_algorithms::community::wcc::wcc;
use graph_olap_algorithms::generate::rmat;
use graph_olap_algorithms::{BuildOptions, Cancel, Csr};
use serde_json::Value;

struct Args {
    edges: Vec<usize>,
    sources: usize,
    nx_max: usize,
    python: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        edges: vec![1_000_000, 10_000_000],
        sources: 16,
        nx_max: 1_000_000,
        python: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--edges" => {
                a.edges = value()?
                    .split(',')
                    .map(|s| s.trim().parse().map_err(|e| format!("--edges: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--sources" => a.sources = value()?.parse().map_err(|e| format!("--sources: {e}"))?,
            "--networkx-max-edges" => {
                a.nx_max = value()?
                    .parse()
                    .map_err(|e| format!("--networkx-max-edges: {e}"))?
            }
            "--no-python" => a.python = false,
            other => {
                return Err(format!(
                    "unknown argument {other}; see the doc comment of src/bin/algo-bench.rs"
                ));
            }
        }
    }
    Ok(a)
}

fn time<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

fn in_pool<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        Err(_) => f(),
    }
}

/// Times of the four kernels, in seconds.
fn run_kernels(d: &Csr, u: &Csr, sources: &[u32]) -> [f64; 4] {
    let c = Cancel::never();
    let cfg = PageRankConfig {
        max_iterations: 20,
        tolerance: 0.0,
        ..Default::default()
    };
    let (pr, r) = time(|| pagerank(d, &cfg, &c));
    assert!(r.is_ok_and(|r| r.iterations == 20));
    let (cc, _) = time(|| wcc(d, &c));
    let (lv, _) = time(|| louvain(u, &LouvainConfig::default(), &c));
    let (bc, _) = time(|| betweenness_with_sources(d, sources, true, &c));
    [pr, cc, lv, bc]
}

fn python_reference(d: &Csr, sources: &[u32], with_nx: bool) -> Result<Value, String> {
    let dir = std::env::temp_dir().join(format!("algo-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join("edges.txt");
    {
        let f = std::fs::File::create(&path).map_err(|e| e.to_string())?;
        let mut w = BufWriter::new(f);
        for (u, v) in d.edge_list() {
            writeln!(w, "{u} {v}").map_err(|e| e.to_string())?;
        }
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/reference_bench.py");
    let src: Vec<String> = sources.iter().map(u32::to_string).collect();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(&python);
    cmd.arg(script)
        .arg(&path)
        .arg(d.node_count().to_string())
        .arg(src.join(","));
    if !with_nx {
        cmd.arg("--no-networkx");
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {python}: {e}"))?;
    let _ = std::fs::remove_dir_all(&dir);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn fmt_rate(m: usize, secs: Option<f64>) -> String {
    match secs {
        Some(s) if s > 0.0 => format!("{:>9.2} M/s", m as f64 / s / 1e6),
        _ => format!("{:>13}", "—"),
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("algo-bench: {e}");
            std::process::exit(2);
        }
    };
    let threads = rayon::current_num_threads();
    println!(
        "algo-bench: R-MAT graphs, {threads} threads available; rates are edges/s of the simple directed graph"
    );
    for &m in &args.edges {
        let scale = ((m as f64 / 10.0).log2().round() as u32).clamp(4, 30);
        let (gen_s, list) = time(|| rmat(scale, m, 42));
        let (build_s, multi) =
            time(|| Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI));
        let Ok(multi) = multi else {
            eprintln!("algo-bench: generated graph is invalid");
            std::process::exit(1);
        };
        let bytes_per_edge = multi.memory_bytes() as f64 / multi.edge_count() as f64;
        let d = multi.rebuilt(BuildOptions::SIMPLE);
        let u = d.to_undirected(BuildOptions::SIMPLE);
        let m_simple = d.edge_count();
        let sources = sample_sources(d.node_count(), Some(args.sources), 7);
        println!();
        println!(
            "graph: {m} generated edges, {} nodes, {m_simple} distinct directed edges; generate {gen_s:.2}s, CSR build {build_s:.2}s ({:.1} M edges/s), CSR {bytes_per_edge:.2} bytes/edge (unweighted, both directions)",
            d.node_count(),
            m as f64 / build_s / 1e6
        );
        let one = in_pool(1, || run_kernels(&d, &u, &sources));
        let all = in_pool(threads, || run_kernels(&d, &u, &sources));
        let reference = if args.python {
            match python_reference(&d, &sources, m <= args.nx_max) {
                Ok(v) => Some(v),
                Err(e) => {
                    eprintln!(
                        "algo-bench: reference run failed ({e}); `pip install networkx igraph scipy numpy`"
                    );
                    None
                }
            }
        } else {
            None
        };
        let get = |lib: &str, k: &str| reference.as_ref().and_then(|r| r[lib][k].as_f64());
        println!(
            "{:<22} {:>10} {:>13} {:>10} {:>13} {:>10} {:>13} {:>10} {:>13} {:>9} {:>9}",
            "kernel",
            "ours 1t s",
            "rate",
            "ours Nt s",
            "rate",
            "networkx s",
            "rate",
            "igraph s",
            "rate",
            "vs nx 1t",
            "vs ig 1t"
        );
        let names = [
            "pagerank (20 it)",
            "wcc",
            "louvain",
            &format!("betweenness (k={})", sources.len()),
        ];
        let keys = ["pagerank", "wcc", "louvain", "betweenness"];
        for i in 0..4 {
            let (nx, ig) = (get("networkx", keys[i]), get("igraph", keys[i]));
            let ratio =
                |r: Option<f64>| r.map_or("—".to_string(), |r| format!("{:.1}×", r / one[i]));
            println!(
                "{:<22} {:>10.3} {} {:>10.3} {} {:>10} {} {:>10} {} {:>9} {:>9}",
                names[i],
                one[i],
                fmt_rate(m_simple, Some(one[i])),
                all[i],
                fmt_rate(m_simple, Some(all[i])),
                nx.map_or("skipped".into(), |s| format!("{s:.3}")),
                fmt_rate(m_simple, nx),
                ig.map_or("—".into(), |s| format!("{s:.3}")),
                fmt_rate(m_simple, ig),
                ratio(nx),
                ratio(ig),
            );
        }
        if m > args.nx_max {
            println!(
                "(NetworkX skipped above {} edges; raise --networkx-max-edges to include it)",
                args.nx_max
            );
        }
    }
}
