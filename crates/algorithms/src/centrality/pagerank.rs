//! PageRank and personalized PageRank.
//!
//! Reference: Page, Brin, Motwani, Winograd, "The PageRank Citation Ranking" (1999); semantics and
//! convergence test follow NetworkX `pagerank(G, alpha, personalization, max_iter, tol)`
//! (`_pagerank_scipy`): uniform start, dangling mass redistributed by the personalization vector,
//! stop when the L1 change is below `n * tol`. Pull-based over the incoming adjacency in a
//! degree-bucketed layout ([`crate::pull`]), so every node's new score is one ordered sum and the
//! result is identical at any thread count.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;
use crate::par::CHUNK;

/// PageRank settings.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRankConfig {
    /// Damping factor (`alpha` in NetworkX), in `(0, 1)`.
    pub damping: f64,
    /// Maximum number of power iterations.
    pub max_iterations: usize,
    /// Convergence tolerance per node (the L1 change must fall below `n * tolerance`).
    pub tolerance: f64,
    /// Teleport distribution (personalized PageRank); normalised to sum 1. `None` = uniform.
    pub personalization: Option<Vec<f64>>,
}

impl Default for PageRankConfig {
    fn default() -> Self {
        Self {
            damping: 0.85,
            max_iterations: 100,
            tolerance: 1e-6,
            personalization: None,
        }
    }
}

/// PageRank scores plus how the iteration ended.
#[derive(Debug, Clone, PartialEq)]
pub struct PageRankResult {
    /// Score per node, summing to 1.
    pub scores: Vec<f64>,
    /// Iterations performed.
    pub iterations: usize,
    /// Whether the tolerance was reached within `max_iterations`.
    pub converged: bool,
}

/// Runs PageRank on `g` (edge weights are used when present; undirected graphs count each edge
/// in both directions).
pub fn pagerank(
    g: &Csr,
    cfg: &PageRankConfig,
    cancel: &Cancel,
) -> Result<PageRankResult, Interrupted> {
    let n = g.node_count();
    if n == 0 {
        return Ok(PageRankResult {
            scores: Vec::new(),
            iterations: 0,
            converged: true,
        });
    }
    let out = g.out_adj();
    // Iterate in the layout's ids (nodes grouped by in-degree, see `pull`); back at the end. The
    // layout is built once per graph.
    let layout = g.pull_layout();
    // The teleport distribution: the normalised personalization, or uniform (a constant, so the
    // iterations do not read a vector of equal values).
    let personal: Option<Vec<f64>> = match &cfg.personalization {
        Some(p) if p.len() == n && p.iter().sum::<f64>() > 0.0 => {
            let s: f64 = p.iter().sum();
            Some(layout.per_node(|v| p[v as usize] / s))
        }
        _ => None,
    };
    // Inverse out-strength; 0 marks a dangling node.
    let inv_out: Vec<f64> = layout.per_node(|u| {
        let s = match out.weights(u) {
            Some(w) => w.iter().sum::<f64>(),
            None => out.degree(u) as f64,
        };
        if s != 0.0 { 1.0 / s } else { 0.0 }
    });
    let alpha = cfg.damping;
    let mut x = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    // Each node's outgoing share (so the pull reads one array per neighbour) and the mass of the
    // dangling nodes, for the current scores.
    let mut contrib = vec![0.0; n];
    let (_, mut dangling) = shares(&x, &x, &inv_out, &mut contrib);
    let uniform = 1.0 / n as f64;
    for it in 1..=cfg.max_iterations {
        cancel.check()?;
        match &personal {
            Some(p) => layout.pull(&contrib, &mut next, |v, s| {
                alpha * (s + dangling * p[v]) + (1.0 - alpha) * p[v]
            }),
            None => layout.pull(&contrib, &mut next, |_, s| {
                alpha * (s + dangling * uniform) + (1.0 - alpha) * uniform
            }),
        }
        let (err, next_dangling) = shares(&next, &x, &inv_out, &mut contrib);
        dangling = next_dangling;
        std::mem::swap(&mut x, &mut next);
        if err < n as f64 * cfg.tolerance {
            return Ok(PageRankResult {
                scores: layout.to_graph(&x),
                iterations: it,
                converged: true,
            });
        }
    }
    Ok(PageRankResult {
        scores: layout.to_graph(&x),
        iterations: cfg.max_iterations,
        converged: false,
    })
}

/// One pass over new scores: returns their L1 change from `old` and the dangling nodes' mass, and
/// writes every node's outgoing share into `contrib`. Partial sums over fixed chunks, combined in
/// order, keep both sums identical at any thread count.
fn shares(new: &[f64], old: &[f64], inv_out: &[f64], contrib: &mut [f64]) -> (f64, f64) {
    let partial: Vec<(f64, f64)> = contrib
        .par_chunks_mut(CHUNK)
        .zip(
            new.par_chunks(CHUNK)
                .zip(old.par_chunks(CHUNK))
                .zip(inv_out.par_chunks(CHUNK)),
        )
        .map(|(contrib, ((new, old), inv_out))| {
            let (mut err, mut dangling) = (0.0, 0.0);
            for (((slot, &v), &before), &w) in contrib.iter_mut().zip(new).zip(old).zip(inv_out) {
                err += (v - before).abs();
                if w == 0.0 {
                    dangling += v;
                }
                *slot = v * w;
            }
            (err, dangling)
        })
        .collect();
    partial
        .iter()
        .fold((0.0, 0.0), |(e, d), &(pe, pd)| (e + pe, d + pd))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn symmetric_cycle_is_uniform() {
        let g = Csr::directed(3, &[(0, 1), (1, 2), (2, 0)], None, BuildOptions::SIMPLE).unwrap();
        let r = pagerank(&g, &PageRankConfig::default(), &Cancel::never()).unwrap();
        assert!(r.converged);
        for s in r.scores {
            assert!((s - 1.0 / 3.0).abs() < 1e-12);
        }
    }

    #[test]
    fn personalization_pulls_mass_to_the_seed() {
        let g = Csr::directed(
            3,
            &[(0, 1), (1, 2), (2, 0), (2, 1)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let cfg = PageRankConfig {
            personalization: Some(vec![1.0, 0.0, 0.0]),
            ..Default::default()
        };
        let r = pagerank(&g, &cfg, &Cancel::never()).unwrap();
        let sum: f64 = r.scores.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9);
        assert!(r.scores[0] > 0.15);
    }

    #[test]
    fn cancelled_run_stops() {
        let g = Csr::directed(2, &[(0, 1)], None, BuildOptions::SIMPLE).unwrap();
        let c = Cancel::never();
        c.cancel();
        assert_eq!(
            pagerank(&g, &PageRankConfig::default(), &c),
            Err(Interrupted::Cancelled)
        );
    }
}
