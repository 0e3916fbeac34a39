//! Modularity and the weighted level graph shared by Louvain, Leiden and greedy modularity.
//!
//! Reference: Newman & Girvan (2004); resolution parameter per Reichardt & Bornholdt (2006);
//! NetworkX `community.modularity(G, communities, resolution)`:
//! `Q = Σ_c [ L_c / m − γ (K_c / 2m)² ]` with `L_c` the weight of edges inside `c` (a self-loop
//! counted once) and `K_c` the summed (weighted) degree, where a self-loop adds twice its weight.
//! Owns [`LevelGraph`], a symmetric weighted graph with self-loop weights kept apart, and its
//! aggregation by a community assignment (parallel per community, deterministic order).

use std::collections::HashMap;

use rayon::prelude::*;

use crate::csr::Csr;

/// A symmetric weighted graph whose self-loop weights are kept out of the adjacency.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelGraph {
    pub(crate) offsets: Vec<usize>,
    pub(crate) targets: Vec<u32>,
    pub(crate) weights: Vec<f64>,
    /// Self-loop weight per node (an edge counted once).
    pub(crate) self_w: Vec<f64>,
    /// Weighted degree per node (self-loops twice).
    pub(crate) strength: Vec<f64>,
    /// Total edge weight `m`.
    pub(crate) m: f64,
}

impl LevelGraph {
    /// From an undirected graph: each distinct neighbour pair weighs its edge weight (1 when
    /// unweighted); parallel edges add up.
    pub fn from_csr(g: &Csr) -> Self {
        let n = g.n();
        let rows: Vec<(Vec<u32>, Vec<f64>, f64)> = (0..n)
            .into_par_iter()
            .map(|v| {
                let nb = g.out_neighbors(v);
                let ws = g.out_adj().weights(v);
                let mut t: Vec<u32> = Vec::with_capacity(nb.len());
                let mut w: Vec<f64> = Vec::with_capacity(nb.len());
                let mut selfw = 0.0;
                for (i, &u) in nb.iter().enumerate() {
                    let x = ws.map_or(1.0, |ws| ws[i]);
                    if u == v {
                        selfw += x;
                    } else if t.last() == Some(&u) {
                        if let Some(l) = w.last_mut() {
                            *l += x;
                        }
                    } else {
                        t.push(u);
                        w.push(x);
                    }
                }
                (t, w, selfw)
            })
            .collect();
        Self::from_rows(rows)
    }

    fn from_rows(rows: Vec<(Vec<u32>, Vec<f64>, f64)>) -> Self {
        let mut offsets = Vec::with_capacity(rows.len() + 1);
        offsets.push(0);
        let total: usize = rows.iter().map(|r| r.0.len()).sum();
        let mut targets = Vec::with_capacity(total);
        let mut weights = Vec::with_capacity(total);
        let mut self_w = Vec::with_capacity(rows.len());
        let mut strength = Vec::with_capacity(rows.len());
        for (t, w, s) in rows {
            strength.push(w.iter().sum::<f64>() + 2.0 * s);
            targets.extend_from_slice(&t);
            weights.extend_from_slice(&w);
            self_w.push(s);
            offsets.push(targets.len());
        }
        let m = strength.iter().sum::<f64>() / 2.0;
        Self {
            offsets,
            targets,
            weights,
            self_w,
            strength,
            m,
        }
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.self_w.len()
    }

    /// Whether the graph has no nodes.
    pub fn is_empty(&self) -> bool {
        self.self_w.is_empty()
    }

    /// Neighbours (no self-loop) and weights of `v`.
    #[inline]
    pub(crate) fn row(&self, v: usize) -> (&[u32], &[f64]) {
        let (a, b) = (self.offsets[v], self.offsets[v + 1]);
        (&self.targets[a..b], &self.weights[a..b])
    }

    /// Collapses every community of `comm` (dense ids `0..k`) into one node.
    pub(crate) fn aggregate(&self, comm: &[u32], k: usize) -> Self {
        let mut members: Vec<Vec<u32>> = vec![Vec::new(); k];
        for (v, &c) in comm.iter().enumerate() {
            members[c as usize].push(v as u32);
        }
        let rows: Vec<(Vec<u32>, Vec<f64>, f64)> = members
            .par_iter()
            .enumerate()
            .map(|(c, mem)| {
                let mut acc: HashMap<u32, f64> = HashMap::new();
                let mut selfw = 0.0;
                for &v in mem {
                    selfw += self.self_w[v as usize];
                    let (t, w) = self.row(v as usize);
                    for (&u, &x) in t.iter().zip(w) {
                        let d = comm[u as usize];
                        if d as usize == c {
                            selfw += x / 2.0;
                        } else {
                            *acc.entry(d).or_insert(0.0) += x;
                        }
                    }
                }
                let mut pairs: Vec<(u32, f64)> = acc.into_iter().collect();
                pairs.sort_unstable_by_key(|p| p.0);
                let (t, w) = pairs.into_iter().unzip();
                (t, w, selfw)
            })
            .collect();
        Self::from_rows(rows)
    }

    /// Modularity of `comm` (any labels `< len`) at resolution `gamma`.
    pub fn modularity(&self, comm: &[u32], gamma: f64) -> f64 {
        if self.m == 0.0 {
            return 0.0;
        }
        let n = self.len();
        let mut inside = vec![0.0; n];
        let mut tot = vec![0.0; n];
        for v in 0..n {
            let c = comm[v] as usize;
            tot[c] += self.strength[v];
            inside[c] += self.self_w[v];
            let (t, w) = self.row(v);
            for (&u, &x) in t.iter().zip(w) {
                if comm[u as usize] as usize == c {
                    inside[c] += x / 2.0;
                }
            }
        }
        let m2 = 2.0 * self.m;
        (0..n)
            .map(|c| inside[c] / self.m - gamma * (tot[c] / m2) * (tot[c] / m2))
            .sum()
    }
}

/// Modularity of a node labelling of an undirected graph (NetworkX `modularity` semantics).
pub fn modularity(g: &Csr, labels: &[u32], resolution: f64) -> f64 {
    let (dense, _) = crate::ids::dense_by_min_member(labels);
    LevelGraph::from_csr(g).modularity(&dense, resolution)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn two_triangles_joined_by_a_bridge() {
        let e = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)];
        let g = Csr::undirected(6, &e, None, BuildOptions::SIMPLE).unwrap();
        let q = modularity(&g, &[0, 0, 0, 1, 1, 1], 1.0);
        // L = (3, 3), K = (7, 7), m = 7.
        assert!((q - (6.0 / 7.0 - 2.0 * 0.25)).abs() < 1e-12);
        let lg = LevelGraph::from_csr(&g);
        let agg = lg.aggregate(&[0, 0, 0, 1, 1, 1], 2);
        assert_eq!(agg.self_w, vec![3.0, 3.0]);
        assert_eq!(agg.m, 7.0);
        assert!((agg.modularity(&[0, 1], 1.0) - q).abs() < 1e-12);
    }
}
