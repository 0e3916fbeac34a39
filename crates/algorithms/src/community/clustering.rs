//! Clustering coefficients, transitivity and density.
//!
//! References: Watts & Strogatz (1998) for the local clustering coefficient (NetworkX `clustering`,
//! `average_clustering`, `transitivity` on undirected graphs, self-loops ignored); Lind, González &
//! Herrmann (2005) / NetworkX `square_clustering` for square clustering; NetworkX `density`.

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::community::triangles::{simple_neighbors, triangles};
use crate::csr::Csr;

/// Local clustering coefficient `2 T(v) / (d(v) (d(v) - 1))` of an undirected graph.
pub fn clustering(g: &Csr, cancel: &Cancel) -> Result<Vec<f64>, Interrupted> {
    let t = triangles(g, cancel)?;
    Ok((0..g.n())
        .into_par_iter()
        .map(|v| {
            let d = simple_neighbors(g, v).count() as f64;
            if t.per_node[v as usize] == 0 {
                0.0
            } else {
                2.0 * t.per_node[v as usize] as f64 / (d * (d - 1.0))
            }
        })
        .collect())
}

/// Mean of [`clustering`] over all nodes (zeros included); 0 for an empty graph.
pub fn average_clustering(g: &Csr, cancel: &Cancel) -> Result<f64, Interrupted> {
    let c = clustering(g, cancel)?;
    Ok(if c.is_empty() {
        0.0
    } else {
        c.iter().sum::<f64>() / c.len() as f64
    })
}

/// Transitivity `3 × triangles / connected triples` of an undirected graph.
pub fn transitivity(g: &Csr, cancel: &Cancel) -> Result<f64, Interrupted> {
    let t = triangles(g, cancel)?;
    let tri: u64 = t.per_node.iter().map(|x| 2 * x).sum();
    let contri: u64 = (0..g.n())
        .into_par_iter()
        .map(|v| {
            let d = simple_neighbors(g, v).count() as u64;
            d * d.saturating_sub(1)
        })
        .sum();
    Ok(if tri == 0 {
        0.0
    } else {
        tri as f64 / contri as f64
    })
}

/// Square clustering (NetworkX `square_clustering`) of an undirected graph.
pub fn square_clustering(g: &Csr, cancel: &Cancel) -> Result<Vec<f64>, Interrupted> {
    let n = g.node_count();
    let deg: Vec<u64> = (0..g.n())
        .into_par_iter()
        .map(|v| simple_neighbors(g, v).count() as u64)
        .collect();
    (0..g.n())
        .into_par_iter()
        .map_init(
            || (vec![0u64; n], Vec::<u32>::new()),
            |(common, touched), v| {
                if v % 1024 == 0 {
                    cancel.check()?;
                }
                let dv = deg[v as usize];
                if dv < 2 {
                    return Ok(0.0);
                }
                // common[x] = |N(v) ∩ N(x)| for every x ≠ v.
                for u in simple_neighbors(g, v) {
                    for x in simple_neighbors(g, u) {
                        if x != v {
                            if common[x as usize] == 0 {
                                touched.push(x);
                            }
                            common[x as usize] += 1;
                        }
                    }
                }
                let mut uw_degrees = 0u64;
                let mut tri = 0u64;
                for u in simple_neighbors(g, v) {
                    uw_degrees += deg[u as usize] * (dv - 1);
                    tri += common[u as usize];
                }
                let mut squares = 0u64;
                for &x in touched.iter() {
                    let c = common[x as usize];
                    squares += c * (c - 1);
                    common[x as usize] = 0;
                }
                touched.clear();
                squares /= 2;
                let uw_count = dv * (dv - 1);
                let potential = uw_degrees as i64 - uw_count as i64 - tri as i64 - squares as i64;
                Ok(if potential > 0 {
                    squares as f64 / potential as f64
                } else {
                    0.0
                })
            },
        )
        .collect()
}

/// Density: `m / (n (n - 1))` for directed graphs, `2m / (n (n - 1))` for undirected ones
/// (self-loops and parallel edges counted as in the graph); 0 when `n <= 1`.
pub fn density(g: &Csr) -> f64 {
    let n = g.node_count() as f64;
    let m = g.edge_count() as f64;
    if n <= 1.0 {
        return 0.0;
    }
    let d = m / (n * (n - 1.0));
    if g.is_directed() { d } else { 2.0 * d }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn triangle_plus_pendant() {
        let g = Csr::undirected(
            4,
            &[(0, 1), (1, 2), (2, 0), (2, 3)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        let c = Cancel::never();
        assert_eq!(clustering(&g, &c).unwrap(), vec![1.0, 1.0, 1.0 / 3.0, 0.0]);
        assert!((transitivity(&g, &c).unwrap() - 0.6).abs() < 1e-12);
        assert!((density(&g) - 4.0 / 6.0).abs() < 1e-12);
    }

    #[test]
    fn square_cycle() {
        let g = Csr::undirected(
            4,
            &[(0, 1), (1, 2), (2, 3), (3, 0)],
            None,
            BuildOptions::SIMPLE,
        )
        .unwrap();
        assert_eq!(
            square_clustering(&g, &Cancel::never()).unwrap(),
            vec![1.0; 4]
        );
    }
}
