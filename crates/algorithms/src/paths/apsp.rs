//! Bounded all-pairs shortest path lengths.
//!
//! Reference: NetworkX `all_pairs_shortest_path_length(G, cutoff)` (unweighted) and
//! `all_pairs_dijkstra_path_length(G, cutoff)` (weighted). One search per source in parallel;
//! each source's row is independent, so results are thread-count independent. Bounded by hop
//! depth / cost and by a caller-given cap on the number of reported pairs so memory stays finite.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::bfs::BfsScratch;
use crate::paths::dijkstra::dijkstra;

/// Errors of [`all_pairs`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApspError {
    /// The result would exceed `max_pairs`.
    #[error("more than {max_pairs} reachable pairs; lower the cutoff")]
    TooManyPairs {
        /// The cap that was exceeded.
        max_pairs: usize,
    },
    /// Cancelled or timed out.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// For every source, the `(target, distance)` pairs within `cutoff` (hops when unweighted, cost
/// when weighted), sorted by target; the source itself is included at distance 0.
pub fn all_pairs(
    g: &Csr,
    cutoff: Option<f64>,
    direction: Direction,
    max_pairs: usize,
    cancel: &Cancel,
) -> Result<Vec<Vec<(u32, f64)>>, ApspError> {
    let n = g.node_count();
    let rows: Vec<Vec<(u32, f64)>> = (0..g.n())
        .into_par_iter()
        .map_init(
            || BfsScratch::new(n),
            |s, u| -> Result<Vec<(u32, f64)>, Interrupted> {
                if u % 256 == 0 {
                    cancel.check()?;
                }
                let mut row: Vec<(u32, f64)> = if g.is_weighted() {
                    let r = dijkstra(g, u, None, direction, cancel)?;
                    r.distance
                        .iter()
                        .enumerate()
                        .filter(|&(_, &d)| d.is_finite() && cutoff.is_none_or(|c| d <= c))
                        .map(|(v, &d)| (v as u32, d))
                        .collect()
                } else {
                    let depth =
                        cutoff.map(|c| c.max(0.0).floor().min(f64::from(u32::MAX - 1)) as u32);
                    s.run(g, u, direction, depth);
                    s.order
                        .iter()
                        .map(|&v| (v, f64::from(s.distance[v as usize])))
                        .collect()
                };
                row.sort_unstable_by_key(|p| p.0);
                Ok(row)
            },
        )
        .collect::<Result<_, _>>()?;
    if rows.iter().map(Vec::len).sum::<usize>() > max_pairs {
        return Err(ApspError::TooManyPairs { max_pairs });
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn cutoff_limits_rows() {
        let g = Csr::directed(3, &[(0, 1), (1, 2)], None, BuildOptions::SIMPLE).unwrap();
        let r = all_pairs(&g, Some(1.0), Direction::Out, 100, &Cancel::never()).unwrap();
        assert_eq!(r[0], vec![(0, 0.0), (1, 1.0)]);
        assert_eq!(r[2], vec![(2, 0.0)]);
        assert!(matches!(
            all_pairs(&g, None, Direction::Out, 2, &Cancel::never()),
            Err(ApspError::TooManyPairs { .. })
        ));
    }
}
