//! Dijkstra single-source shortest paths and the single-source dispatcher.
//!
//! Reference: Dijkstra (1959) with a binary heap; NetworkX `single_source_dijkstra(G, source,
//! weight)`. Unweighted graphs use weight 1 per edge. Ties in the heap are broken by node id so
//! predecessors are deterministic. [`sssp`] picks BFS for unweighted graphs and Dijkstra otherwise.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::bfs::{UNREACHED, bfs};

/// Distances and predecessors from one source.
#[derive(Debug, Clone, PartialEq)]
pub struct ShortestPaths {
    /// Distance per node (`f64::INFINITY` when unreachable).
    pub distance: Vec<f64>,
    /// Predecessor on one shortest path (`u32::MAX` for the source and unreachable nodes).
    pub predecessor: Vec<u32>,
}

impl ShortestPaths {
    /// The path `source … target` following predecessors, or `None` if unreachable.
    pub fn path_to(&self, target: u32) -> Option<Vec<u32>> {
        if !self.distance.get(target as usize)?.is_finite() {
            return None;
        }
        let mut p = vec![target];
        let mut v = target;
        while self.predecessor[v as usize] != u32::MAX {
            v = self.predecessor[v as usize];
            p.push(v);
        }
        p.reverse();
        Some(p)
    }
}

/// Weight of the `i`-th entry of `v`'s list in `direction` (1 when unweighted).
#[inline]
pub(crate) fn for_each_weighted(
    g: &Csr,
    v: u32,
    direction: Direction,
    mut f: impl FnMut(u32, f64),
) {
    let mut run = |adj: &crate::csr::Adjacency| {
        let nb = adj.neighbors(v);
        match adj.weights(v) {
            Some(w) => nb.iter().zip(w).for_each(|(&u, &x)| f(u, x)),
            None => nb.iter().for_each(|&u| f(u, 1.0)),
        }
    };
    match (direction, g.is_directed()) {
        (Direction::Out, _) | (_, false) => run(g.out_adj()),
        (Direction::In, true) => run(g.in_adj()),
        (Direction::Both, true) => {
            run(g.out_adj());
            run(g.in_adj());
        }
    }
}

/// Dijkstra from `source`; stops early once `target` (if given) is settled. Negative weights are
/// not supported (use Bellman-Ford).
pub fn dijkstra(
    g: &Csr,
    source: u32,
    target: Option<u32>,
    direction: Direction,
    cancel: &Cancel,
) -> Result<ShortestPaths, Interrupted> {
    let n = g.node_count();
    let mut distance = vec![f64::INFINITY; n];
    let mut predecessor = vec![u32::MAX; n];
    let mut done = vec![false; n];
    if source as usize >= n {
        return Ok(ShortestPaths {
            distance,
            predecessor,
        });
    }
    distance[source as usize] = 0.0;
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((OrdF64(0.0), source)));
    let mut pops = 0usize;
    while let Some(Reverse((OrdF64(d), u))) = heap.pop() {
        pops += 1;
        if pops.is_multiple_of(65_536) {
            cancel.check()?;
        }
        if done[u as usize] {
            continue;
        }
        done[u as usize] = true;
        if Some(u) == target {
            break;
        }
        for_each_weighted(g, u, direction, |v, w| {
            let nd = d + w;
            let vi = v as usize;
            if nd < distance[vi] || (nd == distance[vi] && !done[vi] && u < predecessor[vi]) {
                distance[vi] = nd;
                predecessor[vi] = u;
                heap.push(Reverse((OrdF64(nd), v)));
            }
        });
    }
    Ok(ShortestPaths {
        distance,
        predecessor,
    })
}

/// Single-source shortest paths: BFS hop counts on unweighted graphs, Dijkstra otherwise.
pub fn sssp(
    g: &Csr,
    source: u32,
    direction: Direction,
    cancel: &Cancel,
) -> Result<ShortestPaths, Interrupted> {
    if g.is_weighted() {
        return dijkstra(g, source, None, direction, cancel);
    }
    let b = bfs(g, source, direction, None, cancel)?;
    Ok(ShortestPaths {
        distance: b
            .distance
            .iter()
            .map(|&d| {
                if d == UNREACHED {
                    f64::INFINITY
                } else {
                    f64::from(d)
                }
            })
            .collect(),
        predecessor: b.parent,
    })
}

/// `f64` with a total order, for heaps.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct OrdF64(pub f64);

impl Eq for OrdF64 {}

impl PartialOrd for OrdF64 {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}

impl Ord for OrdF64 {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&o.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn weighted_detour_is_shorter() {
        let g = Csr::directed(
            4,
            &[(0, 1), (1, 2), (0, 2), (2, 3)],
            Some(&[1.0, 1.0, 5.0, 1.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let r = dijkstra(&g, 0, None, Direction::Out, &Cancel::never()).unwrap();
        assert_eq!(r.distance, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(r.path_to(3), Some(vec![0, 1, 2, 3]));
        let u = Csr::directed(3, &[(0, 1)], None, BuildOptions::SIMPLE).unwrap();
        let s = sssp(&u, 0, Direction::Out, &Cancel::never()).unwrap();
        assert_eq!(s.distance, vec![0.0, 1.0, f64::INFINITY]);
        assert_eq!(s.path_to(2), None);
    }
}
