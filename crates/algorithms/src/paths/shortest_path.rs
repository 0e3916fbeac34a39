//! Shortest path between two nodes, returning the path itself.
//!
//! Reference: API.md §10.11 and NetworkX `shortest_path(G, source, target, weight)`. Unweighted:
//! BFS limited to `max_depth` hops; among equally short paths the lexicographically smallest
//! sequence of node ids is returned (distances to the target are computed backwards, then the walk
//! from the source always takes the smallest neighbour that is one hop closer). Weighted: Dijkstra
//! with cost.

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::bfs::{UNREACHED, bfs};
use crate::paths::dijkstra::dijkstra;

/// The path found between two nodes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PathResult {
    /// Whether a path exists (within `max_depth`).
    pub found: bool,
    /// Nodes from source to target (empty when not found).
    pub path: Vec<u32>,
    /// Number of edges (`None` when not found).
    pub length: Option<usize>,
    /// Sum of edge weights (equals `length` when unweighted; `None` when not found).
    pub cost: Option<f64>,
}

impl PathResult {
    fn not_found() -> Self {
        Self {
            found: false,
            path: Vec::new(),
            length: None,
            cost: None,
        }
    }
}

fn reverse(direction: Direction) -> Direction {
    match direction {
        Direction::Out => Direction::In,
        Direction::In => Direction::Out,
        Direction::Both => Direction::Both,
    }
}

/// Unweighted shortest path from `source` to `target` within `max_depth` hops following
/// `direction`; lexicographically smallest among the shortest.
pub fn shortest_path(
    g: &Csr,
    source: u32,
    target: u32,
    max_depth: Option<u32>,
    direction: Direction,
    cancel: &Cancel,
) -> Result<PathResult, Interrupted> {
    let n = g.n();
    if source >= n || target >= n {
        return Ok(PathResult::not_found());
    }
    let to_target = bfs(g, target, reverse(direction), max_depth, cancel)?.distance;
    let d = to_target[source as usize];
    if d == UNREACHED {
        return Ok(PathResult::not_found());
    }
    let mut path = vec![source];
    let mut v = source;
    while v != target {
        let want = to_target[v as usize] - 1;
        let mut best = u32::MAX;
        g.for_each_neighbor(v, direction, |u| {
            if to_target[u as usize] == want && u < best {
                best = u;
            }
        });
        path.push(best);
        v = best;
    }
    Ok(PathResult {
        found: true,
        length: Some(d as usize),
        cost: Some(f64::from(d)),
        path,
    })
}

/// Minimum-cost path (Dijkstra over edge weights, 1 when unweighted).
pub fn cheapest_path(
    g: &Csr,
    source: u32,
    target: u32,
    direction: Direction,
    cancel: &Cancel,
) -> Result<PathResult, Interrupted> {
    if source >= g.n() || target >= g.n() {
        return Ok(PathResult::not_found());
    }
    let r = dijkstra(g, source, Some(target), direction, cancel)?;
    Ok(match r.path_to(target) {
        Some(path) => PathResult {
            found: true,
            length: Some(path.len() - 1),
            cost: Some(r.distance[target as usize]),
            path,
        },
        None => PathResult::not_found(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn lexicographically_smallest_of_equal_paths() {
        // 0 -> {3, 1} -> 4 ; 0 -> 2 -> 4 : the smallest is 0,1,4.
        let g = Csr::directed(
            5,
            &[(0, 3), (0, 2), (0, 1), (3, 4), (2, 4), (1, 4)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let c = Cancel::never();
        let p = shortest_path(&g, 0, 4, Some(10), Direction::Out, &c).unwrap();
        assert_eq!(p.path, vec![0, 1, 4]);
        assert_eq!(p.length, Some(2));
        assert!(
            !shortest_path(&g, 0, 4, Some(1), Direction::Out, &c)
                .unwrap()
                .found
        );
        assert!(
            !shortest_path(&g, 4, 0, None, Direction::Out, &c)
                .unwrap()
                .found
        );
        assert_eq!(
            shortest_path(&g, 4, 0, None, Direction::Both, &c)
                .unwrap()
                .path,
            vec![4, 1, 0]
        );
        assert_eq!(
            shortest_path(&g, 2, 2, None, Direction::Out, &c)
                .unwrap()
                .length,
            Some(0)
        );
    }

    #[test]
    fn cheapest_path_reports_cost() {
        let g = Csr::directed(
            3,
            &[(0, 1), (1, 2), (0, 2)],
            Some(&[1.0, 1.0, 5.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let p = cheapest_path(&g, 0, 2, Direction::Out, &Cancel::never()).unwrap();
        assert_eq!(
            (p.path, p.length, p.cost),
            (vec![0, 1, 2], Some(2), Some(2.0))
        );
    }
}
