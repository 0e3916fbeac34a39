//! Harmonic centrality.
//!
//! Reference: Boldi & Vigna, "Axioms for Centrality" (2014); NetworkX `harmonic_centrality(G)`:
//! `Σ_{v≠u} 1 / d(v, u)` using distances *to* `u` on directed graphs. One BFS per node in
//! parallel, each node's sum computed in BFS order, so thread-count independent.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::bfs::BfsScratch;

/// Harmonic centrality of every node.
pub fn harmonic(g: &Csr, cancel: &Cancel) -> Result<Vec<f64>, Interrupted> {
    let n = g.node_count();
    (0..g.n())
        .into_par_iter()
        .map_init(
            || BfsScratch::new(n),
            |s, u| {
                if u % 256 == 0 {
                    cancel.check()?;
                }
                s.run(g, u, Direction::In, None);
                Ok(s.order[1..]
                    .iter()
                    .map(|&v| 1.0 / f64::from(s.distance[v as usize]))
                    .sum())
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn star_center_is_highest() {
        let g = Csr::undirected(4, &[(0, 1), (0, 2), (0, 3)], None, BuildOptions::SIMPLE).unwrap();
        let h = harmonic(&g, &Cancel::never()).unwrap();
        assert_eq!(h[0], 3.0);
        assert_eq!(h[1], 1.0 + 0.5 + 0.5);
    }
}
