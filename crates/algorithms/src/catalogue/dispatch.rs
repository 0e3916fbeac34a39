//! Runs a validated catalogue request on the right graph view and kernel.

use std::sync::OnceLock;

use serde_json::{Map, Value, json};

use crate::cancel::{Cancel, Interrupted};
use crate::catalogue::params::ValidatedParams;
use crate::catalogue::types::{AlgorithmInfo, AlgorithmType, GraphTreatment, Kernel};
use crate::centrality::{betweenness, closeness, degree, eigenvector, harmonic, katz, pagerank};
use crate::community::{
    clustering, greedy_modularity, kcore, label_propagation, leiden, louvain, scc, triangles, wcc,
};
use crate::csr::{BuildOptions, Csr, Direction};
use crate::paths::shortest_path::PathResult;
use crate::{fastrp, ids, similarity};

/// The graph an instance runs algorithms on, with lazily built (and then cached) views.
///
/// Build it once per loaded snapshot from the directed multigraph of relationships in scope and
/// share it (`&GraphViews` is `Sync`); each view is built at most once.
#[derive(Debug)]
pub struct GraphViews {
    multi: Csr,
    simple: OnceLock<Csr>,
    undirected: OnceLock<Csr>,
}

impl GraphViews {
    /// Wraps the graph as loaded (directed, parallel relationships and self-loops kept).
    pub fn new(graph: Csr) -> Self {
        Self {
            multi: graph,
            simple: OnceLock::new(),
            undirected: OnceLock::new(),
        }
    }

    /// The graph as loaded.
    pub fn multi(&self) -> &Csr {
        &self.multi
    }

    /// Directed, parallel edges collapsed, self-loops kept (a NetworkX `DiGraph`).
    pub fn directed(&self) -> &Csr {
        self.simple
            .get_or_init(|| self.multi.rebuilt(BuildOptions::SIMPLE))
    }

    /// Undirected, parallel edges collapsed, self-loops kept (NetworkX `G.to_undirected()`).
    pub fn undirected(&self) -> &Csr {
        self.undirected
            .get_or_init(|| self.multi.to_undirected(BuildOptions::SIMPLE))
    }

    /// Node count.
    pub fn node_count(&self) -> usize {
        self.multi.node_count()
    }
}

/// A partition: for every node the smallest node id of its community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// Smallest member (dense) id per node — the native community id once mapped to `_id`.
    pub membership: Vec<u32>,
    /// Number of communities.
    pub count: usize,
}

impl Partition {
    fn from_membership(membership: Vec<u32>) -> Self {
        let count = ids::count_groups(&membership);
        Self { membership, count }
    }

    /// Community index `0..count` ordered by smallest member (NetworkX-compatible write-back).
    pub fn dense_indices(&self) -> Vec<u32> {
        ids::dense_by_min_member(&self.membership).0
    }

    /// Member lists ordered by smallest member.
    pub fn groups(&self) -> Vec<Vec<u32>> {
        ids::groups(&self.membership)
    }
}

/// Per-node or whole-graph values produced by a run.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputValues {
    /// One float per node (`DOUBLE`).
    Float(Vec<f64>),
    /// One integer per node (`INT64`).
    Int(Vec<i64>),
    /// One boolean per node (`BOOL`).
    Bool(Vec<bool>),
    /// Communities (`INT64`: smallest member `_id` natively, index for NetworkX).
    Partition(Partition),
    /// A single value (`result.value`).
    Scalar(Value),
    /// A JSON document (`result.value`).
    Json(Value),
    /// A path.
    Path(PathResult),
}

/// What [`run`] returns: the values and the execution's `result` summary.
#[derive(Debug, Clone, PartialEq)]
pub struct AlgorithmOutput {
    /// The values (to write back, or to return for scalar/json/path kinds).
    pub values: OutputValues,
    /// Summary object for `AlgorithmExecution.result`, e.g. `{"iterations": 20, "converged": true}`.
    pub summary: Map<String, Value>,
}

/// Why a run did not produce output.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RunError {
    /// Cancelled or timed out (→ `CANCELLED` / `ALGORITHM_TIMEOUT`).
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// The algorithm failed (→ `ALGORITHM_FAILED`), e.g. power iteration did not converge.
    #[error("{reason}")]
    Failed {
        /// Human explanation.
        reason: String,
    },
}

fn failed(reason: impl Into<String>) -> RunError {
    RunError::Failed {
        reason: reason.into(),
    }
}

fn summary(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn out(values: OutputValues, s: Value) -> AlgorithmOutput {
    AlgorithmOutput {
        values,
        summary: summary(s),
    }
}

fn not_converged(name: &str, iterations: usize) -> RunError {
    failed(format!(
        "{name}: power iteration failed to converge within {iterations} iterations"
    ))
}

/// Runs `info` with validated `params` on `graph`, checking `cancel` between iterations.
pub fn run(
    info: &AlgorithmInfo,
    params: &ValidatedParams,
    graph: &GraphViews,
    cancel: &Cancel,
) -> Result<AlgorithmOutput, RunError> {
    let nx = info.algorithm_type == AlgorithmType::Networkx;
    let g = match info.graph_treatment {
        GraphTreatment::Directed => graph.directed(),
        GraphTreatment::Undirected => graph.undirected(),
    };
    let p = params;
    Ok(match info.kernel {
        Kernel::PageRank => {
            let cfg = if nx {
                pagerank::PageRankConfig {
                    damping: p.f64_or("alpha", 0.85),
                    max_iterations: p.usize_or("max_iter", 100),
                    tolerance: p.f64_or("tol", 1e-6),
                    personalization: None,
                }
            } else {
                pagerank::PageRankConfig {
                    damping: p.f64_or("damping_factor", 0.85),
                    max_iterations: p.usize_or("max_iterations", 20),
                    tolerance: p.f64_or("tolerance", 1e-7),
                    personalization: None,
                }
            };
            let r = pagerank::pagerank(g, &cfg, cancel)?;
            if nx && !r.converged {
                return Err(not_converged("pagerank", cfg.max_iterations));
            }
            out(
                OutputValues::Float(r.scores),
                json!({"iterations": r.iterations, "converged": r.converged}),
            )
        }
        Kernel::Betweenness => {
            let k = if nx {
                p.opt_usize("k")
            } else {
                p.opt_usize("sample_size")
            };
            let cfg = betweenness::BetweennessConfig {
                normalized: p.bool_or("normalized", true),
                k,
                seed: p.seed(),
            };
            let r = betweenness::betweenness(g, &cfg, cancel)?;
            let sampled = k.map_or(g.node_count(), |k| k.min(g.node_count()));
            out(
                OutputValues::Float(r),
                json!({"sources": sampled, "exact": sampled == g.node_count()}),
            )
        }
        Kernel::Degree => {
            let dir = match p.str_or("direction", "both") {
                "in" => Direction::In,
                "out" => Direction::Out,
                _ => Direction::Both,
            };
            // Native degree counts relationships: the multigraph as loaded.
            let d = degree::degree(graph.multi(), dir);
            let max = d.iter().copied().max().unwrap_or(0);
            out(OutputValues::Int(d), json!({"max_degree": max}))
        }
        Kernel::DegreeCentrality => out(
            OutputValues::Float(degree::degree_centrality(g, Direction::Both)),
            json!({}),
        ),
        Kernel::InDegreeCentrality => out(
            OutputValues::Float(degree::degree_centrality(g, Direction::In)),
            json!({}),
        ),
        Kernel::OutDegreeCentrality => out(
            OutputValues::Float(degree::degree_centrality(g, Direction::Out)),
            json!({}),
        ),
        Kernel::Closeness => out(
            OutputValues::Float(closeness::closeness(
                g,
                p.bool_or("wf_improved", true),
                cancel,
            )?),
            json!({}),
        ),
        Kernel::Harmonic => out(
            OutputValues::Float(harmonic::harmonic(g, cancel)?),
            json!({}),
        ),
        Kernel::Eigenvector => {
            let (max_iter, tol) = if nx {
                (p.usize_or("max_iter", 100), p.f64_or("tol", 1e-6))
            } else {
                (
                    p.usize_or("max_iterations", 100),
                    p.f64_or("tolerance", 1e-6),
                )
            };
            if g.node_count() == 0 {
                return Err(failed(
                    "eigenvector centrality is undefined for an empty graph",
                ));
            }
            let r = eigenvector::eigenvector(g, max_iter, tol, cancel)?;
            if nx && !r.converged {
                return Err(not_converged("eigenvector_centrality", max_iter));
            }
            out(
                OutputValues::Float(r.scores),
                json!({"iterations": r.iterations, "converged": r.converged}),
            )
        }
        Kernel::Katz => {
            let cfg = katz::KatzConfig {
                alpha: p.f64_or("alpha", 0.1),
                beta: p.f64_or("beta", 1.0),
                max_iter: if nx {
                    p.usize_or("max_iter", 1000)
                } else {
                    p.usize_or("max_iterations", 1000)
                },
                tol: if nx {
                    p.f64_or("tol", 1e-6)
                } else {
                    p.f64_or("tolerance", 1e-6)
                },
                normalized: p.bool_or("normalized", true),
            };
            let r = katz::katz(g, &cfg, cancel)?;
            if !r.converged {
                return Err(not_converged("katz_centrality", cfg.max_iter));
            }
            out(
                OutputValues::Float(r.scores),
                json!({"iterations": r.iterations, "converged": r.converged}),
            )
        }
        Kernel::Wcc | Kernel::ConnectedComponents => {
            let c = wcc::wcc(g, cancel)?;
            out(
                OutputValues::Partition(Partition {
                    membership: c.component,
                    count: c.count,
                }),
                json!({"components": c.count}),
            )
        }
        Kernel::Scc => {
            let c = scc::scc_tarjan(g, cancel)?;
            out(
                OutputValues::Partition(Partition {
                    membership: c.component,
                    count: c.count,
                }),
                json!({"components": c.count}),
            )
        }
        Kernel::SccKosaraju => {
            let c = scc::scc_kosaraju(g, cancel)?;
            out(
                OutputValues::Partition(Partition {
                    membership: c.component,
                    count: c.count,
                }),
                json!({"components": c.count}),
            )
        }
        Kernel::NumberConnectedComponents | Kernel::NumberWeaklyConnectedComponents => {
            let c = wcc::wcc(g, cancel)?.count;
            out(OutputValues::Scalar(c.into()), json!({"value": c}))
        }
        Kernel::NumberStronglyConnectedComponents => {
            let c = scc::scc_tarjan(g, cancel)?.count;
            out(OutputValues::Scalar(c.into()), json!({"value": c}))
        }
        Kernel::Louvain => {
            let cfg = if nx {
                louvain::LouvainConfig {
                    resolution: p.f64_or("resolution", 1.0),
                    threshold: p.f64_or("threshold", 1e-7),
                    max_levels: p.opt_usize("max_level").unwrap_or(usize::MAX),
                    max_sweeps: usize::MAX,
                    seed: p.seed(),
                }
            } else {
                louvain::LouvainConfig {
                    resolution: p.f64_or("resolution", 1.0),
                    threshold: 1e-7,
                    max_levels: p.usize_or("max_phases", 20),
                    max_sweeps: p.usize_or("max_iterations", 20),
                    seed: p.seed(),
                }
            };
            let r = louvain::louvain(g, &cfg, cancel)?;
            out(
                OutputValues::Partition(Partition::from_membership(r.community)),
                json!({"communities": r.count, "modularity": r.modularity, "levels": r.levels}),
            )
        }
        Kernel::Leiden => {
            let cfg = leiden::LeidenConfig {
                resolution: p.f64_or("resolution", 1.0),
                max_levels: p.usize_or("max_iterations", 10),
                seed: p.seed(),
            };
            let r = leiden::leiden(g, &cfg, cancel)?;
            out(
                OutputValues::Partition(Partition::from_membership(r.community)),
                json!({"communities": r.count, "modularity": r.modularity, "iterations": r.levels}),
            )
        }
        Kernel::LabelPropagation => {
            let (max, tie) = if nx {
                (usize::MAX, label_propagation::TieBreak::Largest)
            } else {
                (
                    p.usize_or("max_iterations", 100),
                    label_propagation::TieBreak::Seeded(p.seed()),
                )
            };
            let r = label_propagation::label_propagation(g, max, tie, cancel)?;
            out(
                OutputValues::Partition(Partition::from_membership(r.community)),
                json!({"communities": r.count, "iterations": r.iterations, "converged": r.converged}),
            )
        }
        Kernel::GreedyModularity => {
            let r = greedy_modularity::greedy_modularity(g, p.f64_or("resolution", 1.0), cancel)?;
            out(
                OutputValues::Partition(Partition::from_membership(r.community)),
                json!({"communities": r.count, "modularity": r.modularity}),
            )
        }
        Kernel::KCore => {
            let c = kcore::core_number(g, cancel)?;
            let max = c.iter().copied().max().unwrap_or(0);
            out(OutputValues::Int(c), json!({"max_k": max}))
        }
        Kernel::TriangleCount => {
            let t = triangles::triangles(g, cancel)?;
            let per: Vec<i64> = t
                .per_node
                .iter()
                .map(|&x| i64::try_from(x).unwrap_or(i64::MAX))
                .collect();
            out(OutputValues::Int(per), json!({"triangles": t.total}))
        }
        Kernel::LocalClustering => {
            let c = clustering::clustering(g, cancel)?;
            let avg = if c.is_empty() {
                0.0
            } else {
                c.iter().sum::<f64>() / c.len() as f64
            };
            out(OutputValues::Float(c), json!({"average": avg}))
        }
        Kernel::SquareClustering => out(
            OutputValues::Float(clustering::square_clustering(g, cancel)?),
            json!({}),
        ),
        Kernel::AverageClustering => {
            let v = clustering::average_clustering(g, cancel)?;
            out(OutputValues::Scalar(v.into()), json!({"value": v}))
        }
        Kernel::Transitivity => {
            let v = clustering::transitivity(g, cancel)?;
            out(OutputValues::Scalar(v.into()), json!({"value": v}))
        }
        Kernel::Density => {
            let v = clustering::density(g);
            out(OutputValues::Scalar(v.into()), json!({"value": v}))
        }
        Kernel::FastRp => {
            let iterations = p.usize_or("iterations", 3);
            let cfg = fastrp::FastRpConfig {
                dimension: p.usize_or("embedding_dimension", 64),
                iteration_weights: (0..iterations)
                    .map(|i| if i == 0 { 0.0 } else { 1.0 })
                    .collect(),
                normalization_strength: p.f64_or("normalization_strength", 0.0),
                direction: Direction::Both,
                seed: p.seed(),
            };
            let e = fastrp::fastrp(g, &cfg, cancel)?;
            out(
                OutputValues::Json(json!(e)),
                json!({"dimension": cfg.dimension, "nodes": e.len()}),
            )
        }
        Kernel::Similarity => {
            let metric: similarity::Metric = serde_json::from_value(p.get("metric").clone())
                .unwrap_or(similarity::Metric::Jaccard);
            let cfg = similarity::TopKConfig {
                k: p.usize_or("top_k", 10),
                exclude_neighbors: p.bool_or("exclude_neighbors", false),
                min_score: 0.0,
            };
            let t = similarity::top_k(g, metric, &cfg, cancel)?;
            let pairs: usize = t.iter().map(Vec::len).sum();
            let doc: Vec<Value> = t
                .iter()
                .map(|row| Value::Array(row.iter().map(|&(v, s)| json!([v, s])).collect()))
                .collect();
            out(
                OutputValues::Json(Value::Array(doc)),
                json!({"pairs": pairs}),
            )
        }
    })
}
