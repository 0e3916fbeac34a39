//! Closeness centrality.
//!
//! Reference: Freeman (1979); Wasserman & Faust (1994) for the `wf_improved` scaling; semantics of
//! NetworkX `closeness_centrality(G, wf_improved=True)` — for directed graphs the *incoming*
//! distance (from every other node to `u`) is used. One BFS per node, in parallel; each node's
//! value depends only on its own BFS, so results are thread-count independent.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::bfs::BfsScratch;

/// Closeness of every node: `(r - 1) / Σ d(v, u)` over the `r` nodes reaching `u` (itself
/// included), scaled by `(r - 1) / (n - 1)` when `wf_improved`; 0 when nothing reaches `u`.
pub fn closeness(g: &Csr, wf_improved: bool, cancel: &Cancel) -> Result<Vec<f64>, Interrupted> {
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
                let tot: u64 = s
                    .order
                    .iter()
                    .map(|&v| u64::from(s.distance[v as usize]))
                    .sum();
                let reach = s.order.len() as f64;
                if tot > 0 && n > 1 {
                    let mut c = (reach - 1.0) / tot as f64;
                    if wf_improved {
                        c *= (reach - 1.0) / (n as f64 - 1.0);
                    }
                    Ok(c)
                } else {
                    Ok(0.0)
                }
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn path_graph() {
        let g = Csr::undirected(3, &[(0, 1), (1, 2)], None, BuildOptions::SIMPLE).unwrap();
        let c = closeness(&g, true, &Cancel::never()).unwrap();
        assert_eq!(c, vec![2.0 / 3.0, 1.0, 2.0 / 3.0]);
    }
}
