//! Bellman-Ford single-source shortest paths with negative weights.
//!
//! Reference: Bellman (1958), Ford (1956), queue-based (SPFA) relaxation; NetworkX
//! `single_source_bellman_ford(G, source, weight)` and `negative_edge_cycle`. A node relaxed `n`
//! times proves a negative cycle reachable from the source.

use std::collections::VecDeque;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::dijkstra::{ShortestPaths, for_each_weighted};

/// Why Bellman-Ford could not produce distances.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BellmanFordError {
    /// A negative cycle is reachable from the source.
    #[error("a negative-weight cycle is reachable from the source")]
    NegativeCycle,
    /// Cancelled or timed out.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// Bellman-Ford from `source` following `direction`.
pub fn bellman_ford(
    g: &Csr,
    source: u32,
    direction: Direction,
    cancel: &Cancel,
) -> Result<ShortestPaths, BellmanFordError> {
    let n = g.node_count();
    let mut distance = vec![f64::INFINITY; n];
    let mut predecessor = vec![u32::MAX; n];
    if source as usize >= n {
        return Ok(ShortestPaths {
            distance,
            predecessor,
        });
    }
    let mut count = vec![0usize; n];
    let mut queued = vec![false; n];
    let mut q = VecDeque::from([source]);
    distance[source as usize] = 0.0;
    queued[source as usize] = true;
    let mut pops = 0usize;
    while let Some(u) = q.pop_front() {
        pops += 1;
        if pops.is_multiple_of(65_536) {
            cancel.check()?;
        }
        queued[u as usize] = false;
        count[u as usize] += 1;
        if count[u as usize] > n {
            return Err(BellmanFordError::NegativeCycle);
        }
        let du = distance[u as usize];
        let mut negative_loop = false;
        for_each_weighted(g, u, direction, |v, w| {
            let nd = du + w;
            if nd < distance[v as usize] {
                if v == u {
                    negative_loop = true;
                    return;
                }
                distance[v as usize] = nd;
                predecessor[v as usize] = u;
                if !queued[v as usize] {
                    queued[v as usize] = true;
                    q.push_back(v);
                }
            }
        });
        if negative_loop {
            return Err(BellmanFordError::NegativeCycle);
        }
    }
    Ok(ShortestPaths {
        distance,
        predecessor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn negative_edges_and_cycles() {
        let g = Csr::directed(
            3,
            &[(0, 1), (1, 2), (0, 2)],
            Some(&[4.0, -2.0, 3.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let r = bellman_ford(&g, 0, Direction::Out, &Cancel::never()).unwrap();
        assert_eq!(r.distance, vec![0.0, 4.0, 2.0]);
        let c = Csr::directed(
            2,
            &[(0, 1), (1, 0)],
            Some(&[1.0, -2.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        assert_eq!(
            bellman_ford(&c, 0, Direction::Out, &Cancel::never()),
            Err(BellmanFordError::NegativeCycle)
        );
    }
}
