//! FastRP node embeddings.
//!
//! Reference: Chen, Sultan, Tian, Chen, Skiena, "Fast and Accurate Network Embeddings via Very
//! Sparse Random Projection" (2019). The very sparse random projection (entries `±sqrt(s)` with
//! probability `1/(2s)`, `s = 3`) is a pure function of `(seed, node, dimension)`, and each
//! propagation step is a pull over the (degree-normalised) neighbourhood, so embeddings are
//! identical for a seed at any thread count.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::par::mix3;

/// FastRP settings.
#[derive(Debug, Clone, PartialEq)]
pub struct FastRpConfig {
    /// Embedding dimension.
    pub dimension: usize,
    /// Weight of each propagation step (its length is the number of iterations).
    pub iteration_weights: Vec<f64>,
    /// Exponent β of the degree normalisation `d^β` applied to the initial projection.
    pub normalization_strength: f64,
    /// Neighbourhood followed (`Both` = undirected).
    pub direction: Direction,
    /// Seed of the random projection.
    pub seed: u64,
}

impl Default for FastRpConfig {
    fn default() -> Self {
        Self {
            dimension: 64,
            iteration_weights: vec![0.0, 1.0, 1.0],
            normalization_strength: 0.0,
            direction: Direction::Both,
            seed: 0,
        }
    }
}

fn normalise(row: &mut [f64]) {
    let norm = row.iter().map(|x| x * x).sum::<f64>().sqrt();
    if norm > 0.0 {
        row.iter_mut().for_each(|x| *x /= norm);
    }
}

/// Embeds every node; returns `n` rows of `dimension` values (row-major).
pub fn fastrp(g: &Csr, cfg: &FastRpConfig, cancel: &Cancel) -> Result<Vec<Vec<f64>>, Interrupted> {
    let d = cfg.dimension;
    let s = 3.0f64;
    let scale = s.sqrt();
    let degree = |v: u32| {
        let mut k = 0usize;
        g.for_each_neighbor(v, cfg.direction, |_| k += 1);
        k
    };
    let mut cur: Vec<Vec<f64>> = (0..g.n())
        .into_par_iter()
        .map(|v| {
            let dn = (degree(v).max(1) as f64).powf(cfg.normalization_strength);
            (0..d)
                .map(|j| {
                    let r = mix3(cfg.seed, u64::from(v), j as u64) % 6;
                    match r {
                        0 => scale * dn,
                        1 => -scale * dn,
                        _ => 0.0,
                    }
                })
                .collect()
        })
        .collect();
    let mut out: Vec<Vec<f64>> = vec![vec![0.0; d]; g.node_count()];
    for &w in &cfg.iteration_weights {
        cancel.check()?;
        let next: Vec<Vec<f64>> = (0..g.n())
            .into_par_iter()
            .map(|v| {
                let mut row = vec![0.0; d];
                let k = degree(v);
                if k > 0 {
                    g.for_each_neighbor(v, cfg.direction, |u| {
                        for (r, x) in row.iter_mut().zip(&cur[u as usize]) {
                            *r += x;
                        }
                    });
                    let inv = 1.0 / k as f64;
                    row.iter_mut().for_each(|x| *x *= inv);
                }
                normalise(&mut row);
                row
            })
            .collect();
        out.par_iter_mut()
            .zip(&next)
            .for_each(|(o, r)| o.iter_mut().zip(r).for_each(|(a, b)| *a += w * b));
        cur = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn seeded_and_structural() {
        let e = [(0, 1), (1, 2), (2, 0), (3, 4)];
        let g = Csr::undirected(5, &e, None, BuildOptions::SIMPLE).unwrap();
        let cfg = FastRpConfig {
            dimension: 16,
            ..Default::default()
        };
        let a = fastrp(&g, &cfg, &Cancel::never()).unwrap();
        assert_eq!(a, fastrp(&g, &cfg, &Cancel::never()).unwrap());
        let b = fastrp(&g, &FastRpConfig { seed: 1, ..cfg }, &Cancel::never()).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 5);
        assert!(a[0].iter().any(|&x| x != 0.0));
    }
}
