//! Degree and degree centrality.
//!
//! Reference: NetworkX `degree_centrality`, `in_degree_centrality`, `out_degree_centrality`
//! (degree divided by `n - 1`; all 1 when `n <= 1`) and `G.degree` (a self-loop adds 2 to the total
//! degree of an undirected node and 1 to each of in/out of a directed node).

use rayon::prelude::*;

use crate::csr::Csr;
pub use crate::csr::Direction;

/// Degree of every node. Parallel edges each count; on an undirected graph a self-loop counts 2.
pub fn degree(g: &Csr, direction: Direction) -> Vec<i64> {
    (0..g.n())
        .into_par_iter()
        .map(|v| {
            if !g.is_directed() {
                let loops = g.out_neighbors(v).iter().filter(|&&t| t == v).count();
                return (g.out_degree(v) + loops) as i64;
            }
            match direction {
                Direction::In => g.in_degree(v) as i64,
                Direction::Out => g.out_degree(v) as i64,
                Direction::Both => (g.in_degree(v) + g.out_degree(v)) as i64,
            }
        })
        .collect()
}

/// Degree centrality: [`degree`] divided by `n - 1` (NetworkX semantics).
pub fn degree_centrality(g: &Csr, direction: Direction) -> Vec<f64> {
    let n = g.node_count();
    if n <= 1 {
        return vec![1.0; n];
    }
    let s = 1.0 / (n as f64 - 1.0);
    degree(g, direction)
        .into_iter()
        .map(|d| d as f64 * s)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn directed_and_undirected_degrees() {
        let g = Csr::directed(3, &[(0, 1), (0, 1), (2, 2)], None, BuildOptions::MULTI).unwrap();
        assert_eq!(degree(&g, Direction::Out), vec![2, 0, 1]);
        assert_eq!(degree(&g, Direction::In), vec![0, 2, 1]);
        assert_eq!(degree(&g, Direction::Both), vec![2, 2, 2]);
        let u = g.to_undirected(BuildOptions::SIMPLE);
        assert_eq!(degree(&u, Direction::Both), vec![1, 1, 2]);
        assert_eq!(degree_centrality(&u, Direction::Both), vec![0.5, 0.5, 1.0]);
    }
}
