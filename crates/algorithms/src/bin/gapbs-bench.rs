//! `gapbs-bench`: our kernels against the GAP Benchmark Suite (GAPBS) on identical graphs.
//!
//! Generates Kronecker (R-MAT, a = 0.57, b = c = 0.19) and uniform random graphs of `2^scale`
//! nodes and `degree · 2^scale` edges (self-loops and repeated edges removed), writes each once as
//! a GAPBS edge list (`.el`, and `.wel` with integer weights 1–255 for SSSP) and reads that same
//! file on both sides. Then, per thread count, times each kernel on GAPBS (its own binaries,
//! `OMP_NUM_THREADS`, `-n trials`, the "Trial Time" lines) and on ours (a rayon pool of that size,
//! the same number of trials), and prints the medians and the ratio ours / GAPBS. Finally checks
//! the answers against GAPBS's, value by value, using the `dump_*` helpers built from
//! `benches/gapbs_dump.cc` (GAPBS prints only summaries): components (same partition), PageRank
//! (same top 10, small L1 distance; GAPBS is Gauss-Seidel in `f32` without dangling
//! redistribution, ours Jacobi in `f64` with it), BFS depths (GAPBS's parent tree is a BFS tree
//! of our depths, same reach) and ours against our serial BFS, SSSP distances (equal to GAPBS's
//! and to our Dijkstra), betweenness (the same sources; scores scaled by the largest), triangle
//! totals. SSSP uses the same Δ on both sides (`--gapbs-delta`, default 2) unless `--delta` sets
//! ours apart (`--delta default` for [`default_delta`]). Layouts our kernels derive once per loaded
//! graph and keep with it (PageRank's pull layout, SSSP's weight range and packed integer
//! weights) are built before the trials and their time printed with the graph's. Not a test: run
//! it through `benches/gapbs.sh`, which builds GAPBS and the helpers.
//!
//! Usage: `gapbs-bench --gapbs DIR [--scales 20] [--degree 10] [--graphs kron,uniform]
//! [--threads 1,2] [--trials 7] [--sources 16] [--delta D] [--gapbs-delta 2] [--work DIR]
//! [--kernels pr,cc,bfs,sssp,bc,tc]`. Exits 1 when a check fails.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use graph_olap_algorithms::centrality::betweenness::betweenness_from_sources;
use graph_olap_algorithms::centrality::pagerank::{PageRankConfig, pagerank};
use graph_olap_algorithms::community::triangles::triangle_total;
use graph_olap_algorithms::community::wcc::wcc;
use graph_olap_algorithms::generate::{rmat, uniform};
use graph_olap_algorithms::par::mix3;
use graph_olap_algorithms::paths::bfs::{UNREACHED, bfs};
use graph_olap_algorithms::paths::delta_stepping::{default_delta, delta_stepping};
use graph_olap_algorithms::paths::dijkstra::dijkstra;
use graph_olap_algorithms::paths::parallel_bfs::bfs_distances;
use graph_olap_algorithms::{BuildOptions, Cancel, Csr, Direction};
use rayon::prelude::*;

const KERNELS: [&str; 6] = ["pr", "cc", "bfs", "sssp", "bc", "tc"];

struct Args {
    gapbs: PathBuf,
    scales: Vec<u32>,
    degree: usize,
    graphs: Vec<String>,
    threads: Vec<usize>,
    trials: usize,
    sources: usize,
    /// Our Δ: `None` = GAPBS's, `Some(None)` = [`default_delta`], `Some(Some(d))` = `d`.
    delta: Option<Option<f64>>,
    gapbs_delta: u32,
    work: PathBuf,
    kernels: Vec<String>,
}

fn list<T: std::str::FromStr>(flag: &str, v: &str) -> Result<Vec<T>, String> {
    v.split(',')
        .map(|s| {
            s.trim()
                .parse()
                .map_err(|_| format!("{flag}: bad value {s:?}"))
        })
        .collect()
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        gapbs: PathBuf::new(),
        scales: vec![20],
        degree: 10,
        graphs: vec!["kron".into(), "uniform".into()],
        threads: vec![1, 2],
        trials: 7,
        sources: 16,
        delta: None,
        gapbs_delta: 2,
        work: std::env::temp_dir().join("gapbs-bench"),
        kernels: KERNELS.iter().map(|s| s.to_string()).collect(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let bad = |e: std::num::ParseIntError| format!("{flag}: {e}");
        match flag.as_str() {
            "--gapbs" => a.gapbs = value()?.into(),
            "--scales" => a.scales = list(&flag, &value()?)?,
            "--degree" => a.degree = value()?.parse().map_err(bad)?,
            "--graphs" => a.graphs = list(&flag, &value()?)?,
            "--threads" => a.threads = list(&flag, &value()?)?,
            "--trials" => a.trials = value()?.parse().map_err(bad)?,
            "--sources" => a.sources = value()?.parse().map_err(bad)?,
            "--delta" => {
                let v = value()?;
                a.delta = Some(if v == "default" {
                    None
                } else {
                    Some(v.parse().map_err(|e| format!("--delta: {e}"))?)
                });
            }
            "--gapbs-delta" => a.gapbs_delta = value()?.parse().map_err(bad)?,
            "--work" => a.work = value()?.into(),
            "--kernels" => a.kernels = list(&flag, &value()?)?,
            other => {
                return Err(format!(
                    "unknown argument {other}; see the doc comment of src/bin/gapbs-bench.rs"
                ));
            }
        }
    }
    if a.gapbs.as_os_str().is_empty() {
        return Err("--gapbs DIR is required (a built GAPBS tree; see benches/gapbs.sh)".into());
    }
    if let Some(k) = a.kernels.iter().find(|k| !KERNELS.contains(&k.as_str())) {
        return Err(format!("--kernels: unknown kernel {k}"));
    }
    if let Some(g) = a.graphs.iter().find(|g| *g != "kron" && *g != "uniform") {
        return Err(format!("--graphs: unknown graph {g} (kron, uniform)"));
    }
    Ok(a)
}

fn secs<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let t = Instant::now();
    let r = f();
    (t.elapsed().as_secs_f64(), r)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        f64::NAN
    } else {
        v[v.len() / 2]
    }
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| panic!("rayon pool of {threads} threads: {e}"))
}

/// Weight of edge `u -> v` in the `.wel` file: an integer in 1..=255 (as GAPBS's generators use).
fn weight(u: u32, v: u32) -> u32 {
    1 + (mix3(0x5eed, u64::from(u), u64::from(v)) % 255) as u32
}

/// The simple directed edge list of a generated graph: no self-loops, no repeats, sorted.
fn generate(kind: &str, scale: u32, degree: usize) -> Vec<(u32, u32)> {
    let n = 1u32 << scale;
    let m = n as usize * degree;
    let list = if kind == "kron" {
        rmat(scale, m, 42)
    } else {
        uniform(n, m, 42)
    };
    let mut edges: Vec<(u32, u32)> = list.edges.into_par_iter().filter(|(u, v)| u != v).collect();
    edges.par_sort_unstable();
    edges.dedup();
    edges
}

fn write_edge_lists(edges: &[(u32, u32)], el: &Path, wel: &Path) -> std::io::Result<()> {
    let mut a = BufWriter::with_capacity(1 << 20, std::fs::File::create(el)?);
    let mut b = BufWriter::with_capacity(1 << 20, std::fs::File::create(wel)?);
    for &(u, v) in edges {
        writeln!(a, "{u} {v}")?;
        writeln!(b, "{u} {v} {}", weight(u, v))?;
    }
    a.flush()?;
    b.flush()
}

/// Edges and (for `.wel` files) their weights, aligned.
type EdgesAndWeights = (Vec<(u32, u32)>, Vec<f64>);

/// Parses an `.el` / `.wel` file (whitespace-separated integers, one edge per line) in parallel.
fn read_edge_list(path: &Path, weighted: bool) -> std::io::Result<EdgesAndWeights> {
    let bytes = std::fs::read(path)?;
    // Cut at line ends into pieces parsed independently.
    let pieces = 64;
    let mut cuts = vec![0usize];
    for k in 1..pieces {
        let mut at = (bytes.len() * k / pieces).max(*cuts.last().unwrap_or(&0));
        while at < bytes.len() && bytes[at] != b'\n' {
            at += 1;
        }
        cuts.push((at + 1).min(bytes.len()));
    }
    cuts.push(bytes.len());
    let parts: Vec<EdgesAndWeights> = cuts
        .par_windows(2)
        .map(|w| {
            let mut edges = Vec::new();
            let mut weights = Vec::new();
            let mut fields = [0u64; 3];
            let (mut k, mut in_num) = (0usize, false);
            for &c in &bytes[w[0]..w[1]] {
                if c.is_ascii_digit() {
                    if !in_num {
                        in_num = true;
                        if k < 3 {
                            fields[k] = 0;
                        }
                    }
                    if k < 3 {
                        fields[k] = fields[k] * 10 + u64::from(c - b'0');
                    }
                } else {
                    if in_num {
                        k += 1;
                        in_num = false;
                    }
                    if c == b'\n' {
                        if k >= 2 {
                            edges.push((fields[0] as u32, fields[1] as u32));
                            if weighted {
                                weights.push(fields[2] as f64);
                            }
                        }
                        k = 0;
                    }
                }
            }
            if in_num {
                k += 1;
            }
            if k >= 2 {
                edges.push((fields[0] as u32, fields[1] as u32));
                if weighted {
                    weights.push(fields[2] as f64);
                }
            }
            (edges, weights)
        })
        .collect();
    let mut edges = Vec::new();
    let mut weights = Vec::new();
    for (e, w) in parts {
        edges.extend(e);
        weights.extend(w);
    }
    Ok((edges, weights))
}

/// What one GAPBS run printed: its trial times and graph read + build time.
struct GapbsRun {
    trials: Vec<f64>,
    load: f64,
    stdout: String,
}

fn run_gapbs(dir: &Path, bin: &str, args: &[String], threads: usize) -> Result<GapbsRun, String> {
    let exe = dir.join(bin);
    let out = Command::new(&exe)
        .args(args)
        .env("OMP_NUM_THREADS", threads.to_string())
        .output()
        .map_err(|e| {
            format!(
                "{}: {e} (run benches/gapbs.sh to build GAPBS)",
                exe.display()
            )
        })?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "{} {} failed: {}\n{stdout}{}",
            exe.display(),
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let value = |line: &str| {
        line.split(':')
            .nth(1)
            .and_then(|v| v.trim().parse::<f64>().ok())
    };
    let mut trials = Vec::new();
    let mut load = 0.0;
    for line in stdout.lines() {
        if line.starts_with("Trial Time") {
            trials.extend(value(line));
        } else if line.starts_with("Read Time") || line.starts_with("Build Time") {
            load += value(line).unwrap_or(0.0);
        }
    }
    Ok(GapbsRun {
        trials,
        load,
        stdout,
    })
}

/// Runs a `dump_*` helper and returns the raw bytes it wrote.
fn dump(dir: &Path, kernel: &str, args: &[String], work: &Path) -> Result<Vec<u8>, String> {
    let out_file = work.join(format!("dump_{kernel}.bin"));
    let exe = dir.join(format!("dump_{kernel}"));
    let out = Command::new(&exe)
        .args(args)
        .env("GAPBS_DUMP", &out_file)
        .output()
        .map_err(|e| format!("{}: {e} (benches/gapbs.sh builds it)", exe.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}\n{}",
            exe.display(),
            out.status,
            String::from_utf8_lossy(&out.stdout)
        ));
    }
    std::fs::read(&out_file).map_err(|e| format!("{}: {e}", out_file.display()))
}

fn i32s(b: &[u8]) -> Vec<i32> {
    b.chunks_exact(4)
        .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// One row of the timing table.
struct Row {
    graph: String,
    kernel: &'static str,
    threads: usize,
    gapbs: f64,
    ours: f64,
}

/// Collects check outcomes.
#[derive(Default)]
struct Checks {
    failed: usize,
}

impl Checks {
    fn report(&mut self, graph: &str, what: &str, ok: bool, detail: String) {
        if !ok {
            self.failed += 1;
        }
        println!(
            "  {graph:<12} {what:<9} {} {detail}",
            if ok { "ok      " } else { "MISMATCH" }
        );
    }
}

fn ours_trials(threads: usize, trials: usize, mut f: impl FnMut() + Send) -> f64 {
    let p = pool(threads);
    let times: Vec<f64> = (0..trials).map(|_| p.install(|| secs(&mut f).0)).collect();
    median(times)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gapbs-bench: {e}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("gapbs-bench: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(a: &Args) -> Result<usize, String> {
    std::fs::create_dir_all(&a.work).map_err(|e| format!("{}: {e}", a.work.display()))?;
    let cancel = Cancel::never();
    let mut rows: Vec<Row> = Vec::new();
    let mut checks = Checks::default();
    let wants = |k: &str| a.kernels.iter().any(|x| x == k);
    for &scale in &a.scales {
        for kind in &a.graphs {
            let name = format!("{kind}-{scale}");
            let el = a.work.join(format!("{name}.el"));
            let wel = a.work.join(format!("{name}.wel"));
            let (gen_s, edges) = secs(|| generate(kind, scale, a.degree));
            write_edge_lists(&edges, &el, &wel).map_err(|e| format!("writing {name}: {e}"))?;
            drop(edges);
            let el_s = el.display().to_string();
            let wel_s = wel.display().to_string();

            // Ours: read the same files, build the CSRs.
            let (read_s, edges) = secs(|| read_edge_list(&el, false));
            let (edges, _) = edges.map_err(|e| format!("{el_s}: {e}"))?;
            let n = edges
                .iter()
                .map(|&(u, v)| u.max(v))
                .max()
                .map_or(0, |m| m + 1);
            let (build_s, d) = secs(|| Csr::directed(n, &edges, None, BuildOptions::STRICT));
            let d = d.map_err(|e| e.to_string())?;
            let u = Csr::undirected(n, &edges, None, BuildOptions::STRICT)
                .map_err(|e| e.to_string())?;
            drop(edges);
            let (wedges, weights) =
                read_edge_list(&wel, true).map_err(|e| format!("{wel_s}: {e}"))?;
            let w = Csr::directed(n, &wedges, Some(&weights), BuildOptions::STRICT)
                .map_err(|e| e.to_string())?;
            drop((wedges, weights));
            let (layout_s, _) = secs(|| d.pull_layout());
            let (packed_s, packed) = secs(|| {
                w.weight_range();
                w.integer_weights().is_some()
            });
            println!(
                "{name}: {n} nodes, {} directed edges ({} undirected); generated in {gen_s:.2} s; \
                 ours: read {read_s:.2} s + CSR build {build_s:.2} s; once per graph: PageRank \
                 pull layout {layout_s:.3} s, SSSP weight range and integer weights {packed_s:.3} s ({})",
                d.edge_count(),
                u.edge_count(),
                if packed { "used" } else { "not applicable" }
            );

            // The sources GAPBS picks (BFS and SSSP use the first; betweenness `--sources` per
            // trial), and its betweenness answer for the first trial's sources.
            let bc_args: Vec<String> = vec![
                "-f".into(),
                el_s.clone(),
                "-i".into(),
                a.sources.to_string(),
                "-n".into(),
                a.trials.to_string(),
            ];
            let bc_dump = dump(&a.gapbs, "bc", &bc_args, &a.work)?;
            let picked = a.sources * a.trials;
            let sources: Vec<u32> = i32s(&bc_dump[..picked * 4])
                .into_iter()
                .map(|s| s as u32)
                .collect();
            let source = sources[0];
            let delta = match a.delta {
                None => f64::from(a.gapbs_delta),
                Some(None) => default_delta(&w),
                Some(Some(d)) => d,
            };

            let max_threads = a.threads.iter().copied().max().unwrap_or(1);
            let gapbs_load = run_gapbs(
                &a.gapbs,
                "pr",
                &[
                    "-f".into(),
                    el_s.clone(),
                    "-i".into(),
                    "1".into(),
                    "-n".into(),
                    "1".into(),
                ],
                max_threads,
            )?
            .load;
            rows.push(Row {
                graph: name.clone(),
                kernel: "read + build (directed)",
                threads: max_threads,
                gapbs: gapbs_load,
                ours: read_s + build_s,
            });

            for &t in &a.threads {
                let n_s = a.trials.to_string();
                let common = |extra: &[&str]| -> Vec<String> {
                    let mut v: Vec<String> =
                        vec!["-f".into(), el_s.clone(), "-n".into(), n_s.clone()];
                    v.extend(extra.iter().map(|s| s.to_string()));
                    v
                };
                let src_s = source.to_string();
                for kernel in KERNELS {
                    if !wants(kernel) {
                        continue;
                    }
                    let (bin, gargs, label): (&str, Vec<String>, &'static str) = match kernel {
                        "pr" => ("pr", common(&["-i", "20", "-t", "0"]), "PageRank (20 it)"),
                        "cc" => ("cc", common(&[]), "connected components"),
                        "bfs" => ("bfs", common(&["-r", &src_s]), "BFS"),
                        "sssp" => {
                            let mut v = common(&["-r", &src_s, "-d"]);
                            v.push(a.gapbs_delta.to_string());
                            v[1] = wel_s.clone();
                            ("sssp", v, "SSSP")
                        }
                        "bc" => {
                            let mut v = common(&["-i"]);
                            v.push(a.sources.to_string());
                            ("bc", v, "betweenness")
                        }
                        _ => ("tc", common(&["-s"]), "triangle count"),
                    };
                    let g = run_gapbs(&a.gapbs, bin, &gargs, t)?;
                    if g.trials.len() != a.trials {
                        return Err(format!(
                            "{bin}: expected {} trial times, got:\n{}",
                            a.trials, g.stdout
                        ));
                    }
                    let ours = match kernel {
                        "pr" => {
                            let cfg = PageRankConfig {
                                max_iterations: 20,
                                tolerance: 0.0,
                                ..Default::default()
                            };
                            ours_trials(t, a.trials, || {
                                pagerank(&d, &cfg, &cancel).map(drop).unwrap_or(());
                            })
                        }
                        "cc" => ours_trials(t, a.trials, || {
                            wcc(&d, &cancel).map(drop).unwrap_or(());
                        }),
                        "bfs" => ours_trials(t, a.trials, || {
                            bfs_distances(&d, source, Direction::Out, &cancel)
                                .map(drop)
                                .unwrap_or(());
                        }),
                        "sssp" => ours_trials(t, a.trials, || {
                            delta_stepping(&w, source, Direction::Out, delta, &cancel)
                                .map(drop)
                                .unwrap_or(());
                        }),
                        "bc" => {
                            let p = pool(t);
                            let times: Vec<f64> = sources
                                .chunks(a.sources)
                                .map(|s| {
                                    p.install(|| {
                                        secs(|| betweenness_from_sources(&d, s, &cancel)).0
                                    })
                                })
                                .collect();
                            median(times)
                        }
                        _ => ours_trials(t, a.trials, || {
                            triangle_total(&u, &cancel).map(drop).unwrap_or(());
                        }),
                    };
                    rows.push(Row {
                        graph: name.clone(),
                        kernel: label,
                        threads: t,
                        gapbs: median(g.trials),
                        ours,
                    });
                    let r = rows.last().map(|r| (r.gapbs, r.ours)).unwrap_or_default();
                    eprintln!(
                        "  {name} {label} {t} thread(s): GAPBS {:.4} s, ours {:.4} s",
                        r.0, r.1
                    );
                }
            }

            println!("checks against GAPBS ({name}):");
            check_graph(
                a,
                &name,
                &d,
                &u,
                &w,
                source,
                &sources,
                delta,
                &bc_dump,
                &mut checks,
            )?;
        }
    }

    println!();
    println!(
        "| graph | kernel | threads | GAPBS (median of {}) | ours | ours / GAPBS |",
        a.trials
    );
    println!("|---|---|---|---|---|---|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {:.4} s | {:.4} s | {:.2} |",
            r.graph,
            r.kernel,
            r.threads,
            r.gapbs,
            r.ours,
            r.ours / r.gapbs
        );
    }
    println!();
    println!(
        "{} check(s) failed; SSSP Δ: ours {}, GAPBS {}",
        checks.failed,
        match a.delta {
            None => "the same".to_string(),
            Some(None) => "per graph (default_delta)".to_string(),
            Some(Some(d)) => d.to_string(),
        },
        a.gapbs_delta
    );
    Ok(checks.failed)
}

#[allow(clippy::too_many_arguments)]
fn check_graph(
    a: &Args,
    name: &str,
    d: &Csr,
    u: &Csr,
    w: &Csr,
    source: u32,
    sources: &[u32],
    delta: f64,
    bc_dump: &[u8],
    checks: &mut Checks,
) -> Result<(), String> {
    let c = Cancel::never();
    let el = a.work.join(format!("{name}.el")).display().to_string();
    let wel = a.work.join(format!("{name}.wel")).display().to_string();
    let wants = |k: &str| a.kernels.iter().any(|x| x == k);
    let n = d.node_count();
    let one = |v: Vec<&str>| -> Vec<String> {
        let mut x: Vec<String> = vec!["-n".into(), "1".into()];
        x.extend(v.into_iter().map(str::to_string));
        x
    };

    if wants("pr") {
        let theirs = f32s(&dump(
            &a.gapbs,
            "pr",
            &one(vec!["-f", &el, "-i", "20", "-t", "0"]),
            &a.work,
        )?);
        let cfg = PageRankConfig {
            max_iterations: 20,
            tolerance: 0.0,
            ..Default::default()
        };
        let ours = pagerank(d, &cfg, &c).map_err(|e| e.to_string())?.scores;
        let ts: f64 = theirs.iter().map(|&x| f64::from(x)).sum();
        let l1: f64 = ours
            .iter()
            .zip(&theirs)
            .map(|(&o, &t)| (o - f64::from(t) / ts).abs())
            .sum();
        let top = |s: &dyn Fn(usize) -> f64| {
            let mut ids: Vec<usize> = (0..n).collect();
            ids.sort_by(|&x, &y| s(y).total_cmp(&s(x)).then(x.cmp(&y)));
            ids.truncate(10);
            ids
        };
        let (to, tt) = (top(&|v| ours[v]), top(&|v| f64::from(theirs[v])));
        checks.report(
            name,
            "PageRank",
            to == tt && l1 < 0.05,
            format!(
                "top 10 {}; L1 distance of the normalised scores {l1:.2e} (GAPBS: f32, no dangling \
                 redistribution)",
                if to == tt { "identical" } else { "DIFFER" }
            ),
        );
    }
    if wants("cc") {
        let theirs = i32s(&dump(&a.gapbs, "cc", &one(vec!["-f", &el]), &a.work)?);
        let ours = wcc(d, &c).map_err(|e| e.to_string())?;
        // Same partition: the map GAPBS label → our label is a bijection.
        let mut to_ours = std::collections::HashMap::new();
        let mut to_theirs = std::collections::HashMap::new();
        let same = (0..n).all(|v| {
            *to_ours.entry(theirs[v]).or_insert(ours.component[v]) == ours.component[v]
                && *to_theirs.entry(ours.component[v]).or_insert(theirs[v]) == theirs[v]
        });
        checks.report(
            name,
            "CC",
            same && to_ours.len() == ours.count,
            format!(
                "{} components, partition {}",
                ours.count,
                if same { "identical" } else { "DIFFERS" }
            ),
        );
    }
    if wants("bfs") {
        let src = source.to_string();
        let parent = i32s(&dump(
            &a.gapbs,
            "bfs",
            &one(vec!["-f", &el, "-r", &src]),
            &a.work,
        )?);
        let ours = bfs_distances(d, source, Direction::Out, &c).map_err(|e| e.to_string())?;
        let serial = bfs(d, source, Direction::Out, None, &c)
            .map_err(|e| e.to_string())?
            .distance;
        let tree_ok = (0..n).all(|v| {
            let p = parent[v];
            if v as u32 == source {
                return ours[v] == 0;
            }
            if p < 0 {
                return ours[v] == UNREACHED;
            }
            let p = p as u32;
            ours[v] != UNREACHED
                && ours[p as usize] == ours[v] - 1
                && d.out_neighbors(p).binary_search(&(v as u32)).is_ok()
        });
        let reached = ours.iter().filter(|&&x| x != UNREACHED).count();
        checks.report(
            name,
            "BFS",
            tree_ok && ours == serial,
            format!(
                "source {source}: {reached} reached; GAPBS's parent tree {} our depths; ours {} our serial BFS",
                if tree_ok { "fits" } else { "does NOT fit" },
                if ours == serial { "equals" } else { "DIFFERS from" }
            ),
        );
    }
    if wants("sssp") {
        let src = source.to_string();
        let gd = a.gapbs_delta.to_string();
        let theirs = i32s(&dump(
            &a.gapbs,
            "sssp",
            &one(vec!["-f", &wel, "-r", &src, "-d", &gd]),
            &a.work,
        )?);
        let ours =
            delta_stepping(w, source, Direction::Out, delta, &c).map_err(|e| e.to_string())?;
        let dij = dijkstra(w, source, None, Direction::Out, &c)
            .map_err(|e| e.to_string())?
            .distance;
        let inf = i32::MAX / 2;
        let same = (0..n).all(|v| {
            if theirs[v] >= inf {
                ours[v].is_infinite()
            } else {
                ours[v] == f64::from(theirs[v])
            }
        });
        checks.report(
            name,
            "SSSP",
            same && ours == dij,
            format!(
                "source {source}, Δ {delta:.3}: distances {} GAPBS's, {} our Dijkstra",
                if same { "equal" } else { "DIFFER from" },
                if ours == dij { "equal" } else { "DIFFER from" }
            ),
        );
    }
    if wants("bc") {
        let first = &sources[..a.sources];
        let theirs = f32s(&bc_dump[sources.len() * 4..]);
        let ours = betweenness_from_sources(d, first, &c).map_err(|e| e.to_string())?;
        // GAPBS also credits each source with its own dependency and scales by the largest score;
        // compare the other nodes, both scaled by their largest.
        let is_src: std::collections::HashSet<u32> = first.iter().copied().collect();
        let others = || (0..n).filter(|v| !is_src.contains(&(*v as u32)));
        let om = others().map(|v| ours[v]).fold(0.0, f64::max);
        let tm = others().map(|v| f64::from(theirs[v])).fold(0.0, f64::max);
        let diff = others()
            .map(|v| (ours[v] / om - f64::from(theirs[v]) / tm).abs())
            .fold(0.0, f64::max);
        checks.report(
            name,
            "BC",
            diff < 1e-4,
            format!(
                "{} sources: largest difference of the scaled scores {diff:.1e} (GAPBS f32)",
                first.len()
            ),
        );
    }
    if wants("tc") {
        let raw = dump(&a.gapbs, "tc", &one(vec!["-f", &el, "-s"]), &a.work)?;
        let theirs = raw
            .get(..8)
            .map(|b| u64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
            .unwrap_or(u64::MAX);
        let ours = triangle_total(u, &c).map_err(|e| e.to_string())?;
        checks.report(
            name,
            "TC",
            ours == theirs,
            format!("{ours} triangles (GAPBS {theirs})"),
        );
    }
    Ok(())
}
