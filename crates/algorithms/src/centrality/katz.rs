//! Katz centrality.
//!
//! Reference: Katz, "A new status index derived from sociometric analysis" (1953); iteration as
//! NetworkX `katz_centrality(G, alpha=0.1, beta=1.0, max_iter=1000, tol=1e-6, normalized=True)`:
//! start at 0, `x ← α Aᵀ x + β`, stop when the L1 change is below `n * tol`, then optionally
//! normalise to unit Euclidean norm.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;
use crate::par::det_sum_by;

/// Katz settings (NetworkX names and defaults).
#[derive(Debug, Clone, PartialEq)]
pub struct KatzConfig {
    /// Attenuation factor; must be below `1 / λ_max` to converge.
    pub alpha: f64,
    /// Weight attributed to every node's immediate neighbourhood.
    pub beta: f64,
    /// Maximum iterations.
    pub max_iter: usize,
    /// Per-node tolerance.
    pub tol: f64,
    /// Normalise the result to unit Euclidean norm.
    pub normalized: bool,
}

impl Default for KatzConfig {
    fn default() -> Self {
        Self {
            alpha: 0.1,
            beta: 1.0,
            max_iter: 1000,
            tol: 1e-6,
            normalized: true,
        }
    }
}

/// Katz centrality result.
#[derive(Debug, Clone, PartialEq)]
pub struct KatzResult {
    /// Score per node.
    pub scores: Vec<f64>,
    /// Iterations performed.
    pub iterations: usize,
    /// Whether the tolerance was reached.
    pub converged: bool,
}

/// Katz centrality of every node (weights used when present).
pub fn katz(g: &Csr, cfg: &KatzConfig, cancel: &Cancel) -> Result<KatzResult, Interrupted> {
    let n = g.node_count();
    let inc = g.in_adj();
    let mut x = vec![0.0; n];
    let mut next = vec![0.0; n];
    for it in 1..=cfg.max_iter {
        cancel.check()?;
        next.par_iter_mut().enumerate().for_each(|(v, slot)| {
            let v32 = v as u32;
            let nb = inc.neighbors(v32);
            let s: f64 = match inc.weights(v32) {
                Some(w) => nb.iter().zip(w).map(|(&u, &wt)| x[u as usize] * wt).sum(),
                None => nb.iter().map(|&u| x[u as usize]).sum(),
            };
            *slot = cfg.alpha * s + cfg.beta;
        });
        let err = det_sum_by(n, |v| (next[v] - x[v]).abs());
        std::mem::swap(&mut x, &mut next);
        if err < n as f64 * cfg.tol {
            if cfg.normalized {
                let norm = det_sum_by(n, |v| x[v] * x[v]).sqrt();
                let s = if norm == 0.0 { 1.0 } else { 1.0 / norm };
                x.par_iter_mut().for_each(|y| *y *= s);
            }
            return Ok(KatzResult {
                scores: x,
                iterations: it,
                converged: true,
            });
        }
    }
    Ok(KatzResult {
        scores: x,
        iterations: cfg.max_iter,
        converged: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn isolated_nodes_get_beta_share() {
        let g = Csr::directed(2, &[], None, BuildOptions::SIMPLE).unwrap();
        let r = katz(
            &g,
            &KatzConfig {
                normalized: false,
                ..Default::default()
            },
            &Cancel::never(),
        )
        .unwrap();
        assert_eq!(r.scores, vec![1.0, 1.0]);
        let r = katz(&g, &KatzConfig::default(), &Cancel::never()).unwrap();
        assert!((r.scores[0] - 1.0 / 2f64.sqrt()).abs() < 1e-15);
    }
}
