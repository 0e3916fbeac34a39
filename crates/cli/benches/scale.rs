//! Scale curve (issue 22 item 3): the whole platform path on generated demo graphs of growing
//! size, with time, throughput and peak memory per step. Not a test: nothing is asserted but
//! that the platform works and that algorithm results were written back.
//!
//! For each size: `graph-olap demo generate` writes the demo warehouse at the scale that gives
//! that many `bank-graph` relationships; a real `graph-olap up` over it exports `bank-graph`
//! (warehouse → export worker → Parquet snapshot) and starts an instance from the snapshot
//! (download → schema → `COPY FROM`); through the control plane's proxy the benchmark then runs
//! a 1-hop and a 3-hop query, PageRank (20 iterations at every size, so each size does the same
//! work per relationship) and WCC with write-back. Each step's figures: its time
//! (the control plane's own timestamps where it has them), throughput where one applies, and
//! the peak resident memory (`VmHWM`, reset before the step) of the process doing it — the
//! generator, `up` (control plane with its embedded export worker), or the instance server.
//! Side by side: the engine alone loading the same Parquet files in a new process, configured
//! as the instance configures it (load time and peak memory ratios), and the control plane's
//! memory estimate for the snapshot against the instance's peak.
//!
//! It stops at the first step that fails, and when the machine's available memory falls below
//! a floor it kills the step's process (before the kernel's OOM killer picks someone else's)
//! and reports that step and size as out of memory.
//!
//! `cargo bench -p graph-olap-cli --bench scale`
//!
//! Knobs: `SCALE_EDGES` (relationship counts, `K`/`M` suffixes, default `1M,10M`),
//! `SCALE_ONE_HOP_QUERIES` (default 200), `SCALE_THREE_HOP_QUERIES` (default 20),
//! `SCALE_ENGINE_BASELINE` (`0` skips the engine-alone load, default `1`),
//! `SCALE_MIN_AVAILABLE_MB` (memory floor, default 1024), `SCALE_STEP_TIMEOUT_SECONDS`
//! (default 10800), `SCALE_DIR` (where the warehouse, snapshot and instance files go, default
//! the system's temporary directory).

#[path = "../tests/common/mod.rs"]
mod common;
mod support;

#[path = "scale/report.rs"]
mod report;
#[path = "scale/steps.rs"]
mod steps;

use std::time::Duration;

use support::engine_child::bench_main;
use support::env_or;
use support::procfs::{loadavg, mem_available_mb};

/// `bank-graph` relationships per unit of demo scale: scale 100 gives 1,225,565 (1,000,000
/// transfers and 225,565 account holders), and both tables grow linearly with the scale.
pub const RELATIONSHIPS_PER_SCALE: f64 = 12_255.65;

/// The benchmark's knobs.
#[derive(Debug, Clone)]
pub struct Knobs {
    /// Target relationship counts, in order.
    pub sizes: Vec<u64>,
    /// 1-hop queries per size.
    pub one_hop_queries: usize,
    /// 3-hop queries per size.
    pub three_hop_queries: usize,
    /// Whether to time the engine alone loading the same files.
    pub engine_baseline: bool,
    /// The memory floor, MiB.
    pub min_available_mb: u64,
    /// Longest any one step may take.
    pub step_timeout: Duration,
    /// Parent directory of each size's files.
    pub dir: Option<std::path::PathBuf>,
}

/// `1M` → 1,000,000; `500K` → 500,000; plain numbers as they are.
fn parse_count(text: &str) -> Option<u64> {
    let t = text.trim();
    let (digits, factor) = match t.chars().last()? {
        'k' | 'K' => (&t[..t.len() - 1], 1_000),
        'm' | 'M' => (&t[..t.len() - 1], 1_000_000),
        'g' | 'G' | 'b' | 'B' => (&t[..t.len() - 1], 1_000_000_000),
        _ => (t, 1),
    };
    digits.trim().parse::<u64>().ok().map(|n| n * factor)
}

/// The demo scale whose `bank-graph` has about `edges` relationships (at least 1).
pub fn scale_for(edges: u64) -> u32 {
    ((edges as f64 / RELATIONSHIPS_PER_SCALE).round() as u32).max(1)
}

/// A relationship count as the size's label (`1M`, `10M`, `250K`).
pub fn size_label(edges: u64) -> String {
    match edges {
        e if e >= 1_000_000 && e % 1_000_000 == 0 => format!("{}M", e / 1_000_000),
        e if e >= 1_000 && e % 1_000 == 0 => format!("{}K", e / 1_000),
        e => e.to_string(),
    }
}

fn knobs() -> Knobs {
    let text = std::env::var("SCALE_EDGES").unwrap_or_else(|_| "1M,10M".into());
    let sizes: Vec<u64> = text.split(',').filter_map(parse_count).collect();
    assert!(
        !sizes.is_empty(),
        "SCALE_EDGES must list relationship counts such as 1M,10M,100M, not '{text}'"
    );
    Knobs {
        sizes,
        one_hop_queries: env_or("SCALE_ONE_HOP_QUERIES", 200usize).max(1),
        three_hop_queries: env_or("SCALE_THREE_HOP_QUERIES", 20usize).max(1),
        engine_baseline: env_or("SCALE_ENGINE_BASELINE", 1u8) != 0,
        min_available_mb: env_or("SCALE_MIN_AVAILABLE_MB", 1024),
        step_timeout: Duration::from_secs(env_or("SCALE_STEP_TIMEOUT_SECONDS", 10_800)),
        dir: std::env::var_os("SCALE_DIR").map(Into::into),
    }
}

fn main() {
    bench_main(run);
}

async fn run() {
    let knobs = knobs();
    let (load, _) = loadavg();
    println!(
        "scale curve: sizes {:?} (demo scales {:?}), {} CPUs, {:.1} GB available, load {load:.1}, {}",
        knobs
            .sizes
            .iter()
            .map(|e| size_label(*e))
            .collect::<Vec<_>>(),
        knobs
            .sizes
            .iter()
            .map(|e| scale_for(*e))
            .collect::<Vec<_>>(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        mem_available_mb() as f64 / 1024.0,
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
    );
    let mut runs = Vec::new();
    for &edges in &knobs.sizes {
        let mut size = report::SizeRun::new(size_label(edges), scale_for(edges), edges);
        let outcome = steps::run_size(&knobs, &mut size).await;
        if let Err(failure) = outcome {
            size.failure = Some(failure);
        }
        report::print_size(&size);
        let failed = size.failure.is_some();
        runs.push(size);
        if failed {
            break;
        }
    }
    report::print_summary(&runs);
}
