//! The scale curve's figures and their tables: one table per size as it finishes, then every
//! size's steps together, how each step grew against the relationship count, and the instance's
//! peak memory against the control plane's estimate.
//!
//! Owns the figures' shape and their printing; does not measure anything (`steps`).

use std::time::Duration;

/// Step names, in the order they run (the growth table follows it).
pub const STEP_NAMES: [&str; 8] = [
    "generate warehouse",
    "export → snapshot",
    "instance load",
    "engine alone: load",
    "1-hop query",
    "3-hop query",
    "PageRank + write-back",
    "WCC + write-back",
];

/// One measured step.
#[derive(Debug, Clone)]
pub struct Step {
    /// One of [`STEP_NAMES`].
    pub name: &'static str,
    /// Its wall time.
    pub time: Duration,
    /// Throughput where one applies: (value, unit).
    pub throughput: Option<(f64, &'static str)>,
    /// The process doing the step.
    pub process: &'static str,
    /// Its peak resident memory during the step, KiB.
    pub peak_kb: u64,
    /// Anything else worth reading (latency percentiles, ratios, counts).
    pub detail: String,
}

/// Why a size stopped.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The step that failed.
    pub step: &'static str,
    /// What happened.
    pub reason: String,
}

/// Everything measured at one size.
#[derive(Debug, Clone)]
pub struct SizeRun {
    /// The target, as given (`10M`).
    pub label: String,
    /// The demo scale generated.
    pub scale: u32,
    /// Relationships: the target until the snapshot reports the real count.
    pub edges: u64,
    /// Nodes (0 until the snapshot is ready).
    pub nodes: u64,
    /// The steps that finished.
    pub steps: Vec<Step>,
    /// The control plane's memory estimate for the snapshot, bytes.
    pub estimate_bytes: Option<u64>,
    /// The instance's `memory_gb`.
    pub memory_gb: Option<u64>,
    /// The instance's largest peak over all its steps, KiB.
    pub instance_peak_kb: u64,
    /// The least available memory seen on the machine during the size, MiB.
    pub least_available_mb: u64,
    /// Where it stopped, if it did.
    pub failure: Option<Failure>,
}

impl SizeRun {
    /// A size about to run.
    pub fn new(label: String, scale: u32, edges: u64) -> SizeRun {
        SizeRun {
            label,
            scale,
            edges,
            nodes: 0,
            steps: Vec::new(),
            estimate_bytes: None,
            memory_gb: None,
            instance_peak_kb: 0,
            least_available_mb: u64::MAX,
            failure: None,
        }
    }

    fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// A duration for a table: milliseconds below 10 s, seconds above.
fn time(d: Duration) -> String {
    if d < Duration::from_secs(10) {
        format!("{:.0} ms", d.as_secs_f64() * 1000.0)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

fn rate((value, unit): (f64, &str)) -> String {
    if value >= 1e6 {
        format!("{:.2} M {unit}", value / 1e6)
    } else if value >= 1e3 {
        format!("{:.1} K {unit}", value / 1e3)
    } else {
        format!("{value:.1} {unit}")
    }
}

fn print_steps_header() {
    println!("| size | step | time | throughput | peak RSS | process | detail |");
    println!("|---|---|---|---|---|---|---|");
}

fn print_steps(run: &SizeRun) {
    for s in &run.steps {
        println!(
            "| {} | {} | {} | {} | {:.0} MB | {} | {} |",
            run.label,
            s.name,
            time(s.time),
            s.throughput.map(rate).unwrap_or_else(|| "—".into()),
            mb(s.peak_kb),
            s.process,
            s.detail
        );
    }
    if let Some(f) = &run.failure {
        println!(
            "| {} | {} | **failed** | | | | {} |",
            run.label, f.step, f.reason
        );
    }
}

/// The table of one size, printed as soon as it finished (or stopped).
pub fn print_size(run: &SizeRun) {
    println!(
        "\n{} relationships (demo scale {}): {} nodes, {} relationships; least available memory {:.1} GB",
        run.label,
        run.scale,
        run.nodes,
        run.edges,
        run.least_available_mb as f64 / 1024.0
    );
    print_steps_header();
    print_steps(run);
}

/// Every size together, the growth of each step, and memory against the estimate.
pub fn print_summary(runs: &[SizeRun]) {
    println!("\n## all sizes");
    print_steps_header();
    for run in runs {
        print_steps(run);
    }

    if runs.len() > 1 {
        println!(
            "\n## growth: time ratio between consecutive sizes ÷ relationship ratio (1.00 = linear)"
        );
        let pairs: Vec<(&SizeRun, &SizeRun)> = runs.windows(2).map(|w| (&w[0], &w[1])).collect();
        let header: Vec<String> = pairs
            .iter()
            .map(|(a, b)| format!("{} → {}", a.label, b.label))
            .collect();
        println!("| step | {} |", header.join(" | "));
        println!("|---|{}", "---|".repeat(pairs.len()));
        for name in STEP_NAMES {
            let cells: Vec<String> = pairs
                .iter()
                .map(|(a, b)| match (a.step(name), b.step(name)) {
                    (Some(x), Some(y)) if x.time > Duration::ZERO => {
                        let grew = y.time.as_secs_f64() / x.time.as_secs_f64();
                        let edges = b.edges as f64 / a.edges.max(1) as f64;
                        format!("{:.2}", grew / edges)
                    }
                    _ => "—".into(),
                })
                .collect();
            println!("| {name} | {} |", cells.join(" | "));
        }
    }

    println!("\n## instance peak memory against the control plane's estimate (target ±25 %)");
    println!(
        "| size | nodes | relationships | estimate | memory_gb | instance peak | peak ÷ estimate |"
    );
    println!("|---|---|---|---|---|---|---|");
    for run in runs {
        let Some(estimate) = run.estimate_bytes else {
            continue;
        };
        let peak_bytes = run.instance_peak_kb * 1024;
        println!(
            "| {} | {} | {} | {:.2} GB | {} | {:.2} GB | {} |",
            run.label,
            run.nodes,
            run.edges,
            estimate as f64 / 1e9,
            run.memory_gb.map_or("—".into(), |g| g.to_string()),
            peak_bytes as f64 / 1e9,
            if peak_bytes > 0 {
                format!("{:.2}", peak_bytes as f64 / estimate as f64)
            } else {
                "—".into()
            }
        );
    }
    match runs.iter().find_map(|r| r.failure.as_ref().map(|f| (r, f))) {
        Some((run, f)) => println!(
            "\nstopped at {} relationships (demo scale {}), step '{}': {}",
            run.label, run.scale, f.step, f.reason
        ),
        None => println!("\nevery size ran every step"),
    }
}
