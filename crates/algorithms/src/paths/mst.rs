//! Minimum spanning forest.
//!
//! Reference: Kruskal (1956); NetworkX `minimum_spanning_edges(G, algorithm="kruskal")` on the
//! undirected view. Edges are sorted by `(weight, u, v)` (parallel sort), so the forest is unique
//! even with equal weights. Self-loops never join a forest.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;

/// A spanning forest.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanningForest {
    /// Chosen edges `(u, v, weight)` with `u < v`, in the order Kruskal took them.
    pub edges: Vec<(u32, u32, f64)>,
    /// Sum of chosen weights.
    pub total_weight: f64,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let p = parent[x as usize];
        parent[x as usize] = parent[p as usize];
        x = p;
    }
    x
}

/// Minimum spanning forest of `g` (directed graphs are treated as undirected; weight 1 when
/// unweighted).
pub fn minimum_spanning_forest(g: &Csr, cancel: &Cancel) -> Result<SpanningForest, Interrupted> {
    let mut edges: Vec<(f64, u32, u32)> = (0..g.n())
        .into_par_iter()
        .flat_map_iter(|u| {
            let nb = g.out_neighbors(u);
            let ws = g.out_adj().weights(u);
            nb.iter()
                .enumerate()
                .filter(move |&(_, &v)| v != u)
                .map(move |(i, &v)| (ws.map_or(1.0, |w| w[i]), u.min(v), u.max(v)))
                .collect::<Vec<_>>()
        })
        .collect();
    edges.par_sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let mut parent: Vec<u32> = (0..g.n()).collect();
    let mut out = Vec::new();
    let mut total = 0.0;
    for (i, &(w, u, v)) in edges.iter().enumerate() {
        if i % 65_536 == 0 {
            cancel.check()?;
        }
        let (ru, rv) = (find(&mut parent, u), find(&mut parent, v));
        if ru != rv {
            parent[ru.max(rv) as usize] = ru.min(rv);
            out.push((u, v, w));
            total += w;
        }
    }
    Ok(SpanningForest {
        edges: out,
        total_weight: total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn square_with_diagonal() {
        let e = [(0, 1), (1, 2), (2, 3), (3, 0), (0, 2), (4, 4)];
        let g = Csr::undirected(
            5,
            &e,
            Some(&[1.0, 2.0, 1.0, 3.0, 1.5, 0.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let f = minimum_spanning_forest(&g, &Cancel::never()).unwrap();
        assert_eq!(f.edges.len(), 3);
        assert_eq!(f.total_weight, 3.5);
    }
}
