//! A* shortest path between two nodes.
//!
//! Reference: Hart, Nilsson, Raphael (1968); NetworkX `astar_path(G, source, target, heuristic,
//! weight)`. The heuristic must be admissible (never overestimate) for the result to be optimal;
//! with a zero heuristic this is Dijkstra.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::dijkstra::{OrdF64, for_each_weighted};

/// A path with its cost.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightedPath {
    /// Nodes from source to target.
    pub nodes: Vec<u32>,
    /// Sum of edge weights along the path.
    pub cost: f64,
}

/// A* from `source` to `target`; `None` when unreachable.
pub fn astar(
    g: &Csr,
    source: u32,
    target: u32,
    direction: Direction,
    heuristic: impl Fn(u32) -> f64,
    cancel: &Cancel,
) -> Result<Option<WeightedPath>, Interrupted> {
    let n = g.node_count();
    if source as usize >= n || target as usize >= n {
        return Ok(None);
    }
    let mut g_score = vec![f64::INFINITY; n];
    let mut pred = vec![u32::MAX; n];
    let mut closed = vec![false; n];
    g_score[source as usize] = 0.0;
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((OrdF64(heuristic(source)), source)));
    let mut pops = 0usize;
    while let Some(Reverse((_, u))) = heap.pop() {
        pops += 1;
        if pops.is_multiple_of(65_536) {
            cancel.check()?;
        }
        if closed[u as usize] {
            continue;
        }
        if u == target {
            let mut nodes = vec![u];
            let mut v = u;
            while pred[v as usize] != u32::MAX {
                v = pred[v as usize];
                nodes.push(v);
            }
            nodes.reverse();
            return Ok(Some(WeightedPath {
                nodes,
                cost: g_score[u as usize],
            }));
        }
        closed[u as usize] = true;
        let gu = g_score[u as usize];
        for_each_weighted(g, u, direction, |v, w| {
            let t = gu + w;
            if t < g_score[v as usize] {
                g_score[v as usize] = t;
                pred[v as usize] = u;
                heap.push(Reverse((OrdF64(t + heuristic(v)), v)));
            }
        });
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn grid_path() {
        // 0-1-2 / 3-4-5 grid, unit weights, Manhattan heuristic to node 5.
        let e = [(0, 1), (1, 2), (3, 4), (4, 5), (0, 3), (1, 4), (2, 5)];
        let g = Csr::undirected(6, &e, None, BuildOptions::SIMPLE).unwrap();
        let h = |v: u32| f64::from((2 - v % 3) + (1 - v / 3));
        let p = astar(&g, 0, 5, Direction::Both, h, &Cancel::never())
            .unwrap()
            .unwrap();
        assert_eq!(p.cost, 3.0);
        assert_eq!(p.nodes.len(), 4);
        assert_eq!(
            astar(&g, 0, 5, Direction::Both, |_| 0.0, &Cancel::never())
                .unwrap()
                .unwrap()
                .cost,
            3.0
        );
    }
}
