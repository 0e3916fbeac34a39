//! Eigenvector centrality.
//!
//! Reference: Bonacich (1987); power iteration on `A + I` exactly as NetworkX
//! `eigenvector_centrality(G, max_iter=100, tol=1e-6)`: start uniform, `x ← (A + I)ᵀ x`,
//! normalise to unit Euclidean norm, stop when the L1 change is below `n * tol`. Scores flow
//! along edge direction (a node is central when central nodes point to it).

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;
use crate::par::det_sum_by;

/// Eigenvector centrality result.
#[derive(Debug, Clone, PartialEq)]
pub struct EigenvectorResult {
    /// Score per node (unit Euclidean norm).
    pub scores: Vec<f64>,
    /// Iterations performed.
    pub iterations: usize,
    /// Whether the tolerance was reached (NetworkX raises `PowerIterationFailedConvergence` if not).
    pub converged: bool,
}

/// Power iteration for eigenvector centrality (weights used when present).
pub fn eigenvector(
    g: &Csr,
    max_iter: usize,
    tol: f64,
    cancel: &Cancel,
) -> Result<EigenvectorResult, Interrupted> {
    let n = g.node_count();
    let inc = g.in_adj();
    let mut x = vec![1.0 / n as f64; n];
    let mut next = vec![0.0; n];
    for it in 1..=max_iter {
        cancel.check()?;
        next.par_iter_mut().enumerate().for_each(|(v, slot)| {
            let v32 = v as u32;
            let nb = inc.neighbors(v32);
            let s: f64 = match inc.weights(v32) {
                Some(w) => nb.iter().zip(w).map(|(&u, &wt)| x[u as usize] * wt).sum(),
                None => nb.iter().map(|&u| x[u as usize]).sum(),
            };
            *slot = x[v] + s;
        });
        let norm = det_sum_by(n, |v| next[v] * next[v]).sqrt();
        let norm = if norm == 0.0 { 1.0 } else { norm };
        next.par_iter_mut().for_each(|y| *y /= norm);
        let err = det_sum_by(n, |v| (next[v] - x[v]).abs());
        std::mem::swap(&mut x, &mut next);
        if err < n as f64 * tol {
            return Ok(EigenvectorResult {
                scores: x,
                iterations: it,
                converged: true,
            });
        }
    }
    Ok(EigenvectorResult {
        scores: x,
        iterations: max_iter,
        converged: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn star_center_dominates() {
        let g = Csr::undirected(4, &[(0, 1), (0, 2), (0, 3)], None, BuildOptions::SIMPLE).unwrap();
        let r = eigenvector(&g, 100, 1e-6, &Cancel::never()).unwrap();
        assert!(r.converged);
        assert!(r.scores[0] > r.scores[1]);
        let norm: f64 = r.scores.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-12);
    }
}
