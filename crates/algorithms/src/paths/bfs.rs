//! Breadth-first search.
//!
//! Reference: NetworkX `single_source_shortest_path_length(G, source, cutoff)` /
//! `bfs_tree`. Owns unweighted distances, BFS order and parents from one source, plus a scratch
//! variant reused by the all-sources kernels (closeness, harmonic, bounded APSP) so that each
//! thread allocates its buffers once.

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};

/// Distance value for nodes that were not reached.
pub const UNREACHED: u32 = u32::MAX;

/// Result of one BFS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BfsResult {
    /// Hop distance from the source, [`UNREACHED`] if not reached (within `max_depth`).
    pub distance: Vec<u32>,
    /// BFS parent (first discoverer, scanning neighbours in ascending id), [`UNREACHED`] for the
    /// source and unreached nodes.
    pub parent: Vec<u32>,
    /// Nodes in the order they were visited, starting with the source.
    pub order: Vec<u32>,
}

/// BFS from `source` following `direction`, stopping at `max_depth` hops when given.
pub fn bfs(
    g: &Csr,
    source: u32,
    direction: Direction,
    max_depth: Option<u32>,
    cancel: &Cancel,
) -> Result<BfsResult, Interrupted> {
    let n = g.node_count();
    let mut distance = vec![UNREACHED; n];
    let mut parent = vec![UNREACHED; n];
    let mut order = Vec::new();
    if (source as usize) >= n {
        return Ok(BfsResult {
            distance,
            parent,
            order,
        });
    }
    distance[source as usize] = 0;
    order.push(source);
    let mut head = 0;
    while head < order.len() {
        if head % 65_536 == 0 {
            cancel.check()?;
        }
        let u = order[head];
        head += 1;
        let du = distance[u as usize];
        if max_depth.is_some_and(|m| du >= m) {
            continue;
        }
        g.for_each_neighbor(u, direction, |v| {
            if distance[v as usize] == UNREACHED {
                distance[v as usize] = du + 1;
                parent[v as usize] = u;
                order.push(v);
            }
        });
    }
    Ok(BfsResult {
        distance,
        parent,
        order,
    })
}

/// Reusable BFS buffers for kernels that run one BFS per source.
#[derive(Debug, Clone)]
pub struct BfsScratch {
    /// Distances of the last run ([`UNREACHED`] elsewhere).
    pub distance: Vec<u32>,
    /// Visit order of the last run.
    pub order: Vec<u32>,
}

impl BfsScratch {
    /// Buffers for a graph of `n` nodes.
    pub fn new(n: usize) -> Self {
        Self {
            distance: vec![UNREACHED; n],
            order: Vec::new(),
        }
    }

    /// Runs a BFS from `source`, first resetting what the previous run touched.
    pub fn run(&mut self, g: &Csr, source: u32, direction: Direction, max_depth: Option<u32>) {
        for &v in &self.order {
            self.distance[v as usize] = UNREACHED;
        }
        self.order.clear();
        self.distance[source as usize] = 0;
        self.order.push(source);
        let mut head = 0;
        while head < self.order.len() {
            let u = self.order[head];
            head += 1;
            let du = self.distance[u as usize];
            if max_depth.is_some_and(|m| du >= m) {
                continue;
            }
            let (distance, order) = (&mut self.distance, &mut self.order);
            g.for_each_neighbor(u, direction, |v| {
                if distance[v as usize] == UNREACHED {
                    distance[v as usize] = du + 1;
                    order.push(v);
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn directions_and_depth() {
        let g = Csr::directed(4, &[(0, 1), (1, 2), (3, 2)], None, BuildOptions::SIMPLE).unwrap();
        let c = Cancel::never();
        assert_eq!(
            bfs(&g, 0, Direction::Out, None, &c).unwrap().distance,
            vec![0, 1, 2, UNREACHED]
        );
        assert_eq!(
            bfs(&g, 0, Direction::Both, None, &c).unwrap().distance,
            vec![0, 1, 2, 3]
        );
        assert_eq!(
            bfs(&g, 2, Direction::In, Some(1), &c).unwrap().order,
            vec![2, 1, 3]
        );
        let mut s = BfsScratch::new(4);
        s.run(&g, 0, Direction::Both, Some(2));
        assert_eq!(s.distance, vec![0, 1, 2, UNREACHED]);
        s.run(&g, 3, Direction::Out, None);
        assert_eq!(s.distance, vec![UNREACHED, UNREACHED, 1, 0]);
    }
}
