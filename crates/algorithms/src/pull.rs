//! A degree-bucketed "pull" layout of the incoming adjacency, for kernels that repeatedly set
//! every node's value from a sum over its in-neighbours (PageRank).
//!
//! Why: over a CSR in node order, each node's list has a different, unpredictable length, so the
//! loop over it mispredicts its exit on nearly every node — and on skewed real-world graphs most
//! lists are short, so that cost, not the memory traffic, dominates an iteration. This layout
//! relabels the nodes so that all nodes with the same small in-degree (1 to [`FIXED_MAX`]) are
//! contiguous: each such run is processed by a loop whose trip count is a compile-time constant.
//! Longer lists follow, summed with four independent accumulators; nodes without incoming edges
//! come last and are never visited by the gather.
//!
//! Values handed to [`PullLayout::pull`] are indexed by the *layout's* ids; [`PullLayout::to_layout`]
//! and [`PullLayout::to_graph`] convert per-node vectors. Every node's sum is computed in one fixed
//! order, independently of how the nodes are split among threads, so results are identical at any
//! thread count.

use std::ops::Range;

use rayon::prelude::*;

use crate::csr::Adjacency;

/// Largest in-degree handled by a fixed-length loop; longer lists use the generic loop.
pub const FIXED_MAX: usize = 8;

/// Nodes per parallel task (fixed, so the split does not depend on the thread count).
const NODES_PER_TASK: usize = 2048;

/// The incoming adjacency relabelled by in-degree class (see the module documentation).
#[derive(Debug, Clone)]
pub struct PullLayout {
    /// `order[layout_id] = graph_id`.
    order: Vec<u32>,
    /// `rank[graph_id] = layout_id`.
    rank: Vec<u32>,
    /// Incoming sources (in layout ids) of every node with incoming edges, in layout order.
    sources: Vec<u32>,
    /// Edge weights aligned with `sources`, if the graph is weighted.
    weights: Option<Vec<f64>>,
    /// `fixed[d - 1]`: the layout ids of the nodes with in-degree `d`, for `d` in `1..=FIXED_MAX`.
    fixed: [Range<usize>; FIXED_MAX],
    /// The layout ids of the nodes with more than `FIXED_MAX` incoming edges.
    long: Range<usize>,
    /// `sources[long_offsets[i]..long_offsets[i + 1]]` are the sources of node `long.start + i`.
    long_offsets: Vec<usize>,
}

impl PullLayout {
    /// Builds the layout of `inc` (the incoming adjacency of an `n`-node graph).
    pub fn new(inc: &Adjacency, n: usize) -> Self {
        // Class of a node: 0..FIXED_MAX for in-degree 1..=FIXED_MAX, FIXED_MAX for longer lists,
        // FIXED_MAX + 1 for none. Layout ids are assigned class by class, ascending graph id within.
        let class = |v: usize| match inc.degree(v as u32) {
            0 => FIXED_MAX + 1,
            d if d <= FIXED_MAX => d - 1,
            _ => FIXED_MAX,
        };
        let mut counts = [0usize; FIXED_MAX + 2];
        for v in 0..n {
            counts[class(v)] += 1;
        }
        let mut starts = [0usize; FIXED_MAX + 2];
        for c in 1..starts.len() {
            starts[c] = starts[c - 1] + counts[c - 1];
        }
        let mut order = vec![0u32; n];
        let mut rank = vec![0u32; n];
        let mut cursor = starts;
        for v in 0..n {
            let slot = &mut cursor[class(v)];
            order[*slot] = v as u32;
            rank[v] = *slot as u32;
            *slot += 1;
        }
        let fixed = std::array::from_fn(|c| starts[c]..starts[c] + counts[c]);
        let long = starts[FIXED_MAX]..starts[FIXED_MAX] + counts[FIXED_MAX];

        // Edge offsets of every node with incoming edges, in layout order.
        let with_edges = starts[FIXED_MAX + 1];
        let mut offsets = Vec::with_capacity(with_edges + 1);
        offsets.push(0usize);
        for &v in &order[..with_edges] {
            offsets.push(offsets.last().copied().unwrap_or(0) + inc.degree(v));
        }
        let m = offsets[with_edges];
        // Sources relabelled in parallel, a fixed block of nodes per task.
        let mut sources = vec![0u32; m];
        let mut blocks: Vec<(&[u32], &mut [u32])> =
            Vec::with_capacity(with_edges.div_ceil(NODES_PER_TASK));
        let mut rest = sources.as_mut_slice();
        for (k, nodes) in order[..with_edges].chunks(NODES_PER_TASK).enumerate() {
            let first = k * NODES_PER_TASK;
            let (head, tail) = rest.split_at_mut(offsets[first + nodes.len()] - offsets[first]);
            blocks.push((nodes, head));
            rest = tail;
        }
        let weighted = n > 0 && inc.weights(0).is_some();
        blocks.into_par_iter().for_each(|(nodes, out)| {
            let mut at = 0;
            for &v in nodes {
                let list = inc.neighbors(v);
                let segment = &mut out[at..at + list.len()];
                for (slot, &u) in segment.iter_mut().zip(list) {
                    *slot = rank[u as usize];
                }
                // Ascending layout ids: each gather walks the value array forwards. (Weighted
                // lists keep graph order, aligned with their weights.)
                if !weighted {
                    segment.sort_unstable();
                }
                at += list.len();
            }
        });
        let weights = weighted.then(|| {
            let mut w = Vec::with_capacity(m);
            for &v in &order[..with_edges] {
                w.extend_from_slice(inc.weights(v).unwrap_or(&[]));
            }
            w
        });
        let long_offsets = offsets[long.start..=long.end].to_vec();
        Self {
            order,
            rank,
            sources,
            weights,
            fixed,
            long,
            long_offsets,
        }
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.order.len()
    }

    /// `f(v)` for every graph node `v`, in layout order (a per-node vector built directly in
    /// layout ids, without building it in graph ids first).
    pub fn per_node(&self, f: impl Fn(u32) -> f64 + Sync) -> Vec<f64> {
        self.order.par_iter().map(|&v| f(v)).collect()
    }

    /// A per-node vector in graph ids, re-indexed by layout ids.
    pub fn to_layout(&self, graph_values: &[f64]) -> Vec<f64> {
        self.order
            .par_iter()
            .map(|&v| graph_values[v as usize])
            .collect()
    }

    /// A per-node vector in layout ids, re-indexed by graph ids.
    pub fn to_graph(&self, layout_values: &[f64]) -> Vec<f64> {
        self.rank
            .par_iter()
            .map(|&i| layout_values[i as usize])
            .collect()
    }

    /// Sets `out[v] = finish(v, Σ values[u] · w(u, v))` over the in-neighbours `u` of every node
    /// `v` (layout ids; `w = 1` when unweighted); nodes without incoming edges get `finish(v, 0)`.
    pub fn pull<F>(&self, values: &[f64], out: &mut [f64], finish: F)
    where
        F: Fn(usize, f64) -> f64 + Sync,
    {
        assert_eq!(out.len(), self.order.len(), "output has one slot per node");
        assert_eq!(
            values.len(),
            self.order.len(),
            "values has one entry per node"
        );
        match self.weights.as_deref() {
            None => self.pull_with::<false, F>(values, &[], out, &finish),
            Some(w) => self.pull_with::<true, F>(values, w, out, &finish),
        }
    }

    fn pull_with<const WEIGHTED: bool, F>(
        &self,
        values: &[f64],
        weights: &[f64],
        out: &mut [f64],
        finish: &F,
    ) where
        F: Fn(usize, f64) -> f64 + Sync,
    {
        let (head, tail) = out.split_at_mut(self.long.end);
        // Fixed-degree classes: node `i` of class `d` has sources at `edge_base + i * d`.
        let mut fixed_out = head;
        let mut edge_base = 0usize;
        let mut tasks: Vec<(usize, usize, usize, &mut [f64])> = Vec::new(); // (degree, first node, first edge, out)
        for (c, range) in self.fixed.iter().enumerate() {
            let d = c + 1;
            let (mine, rest) = fixed_out.split_at_mut(range.len());
            fixed_out = rest;
            for (k, chunk) in mine.chunks_mut(NODES_PER_TASK).enumerate() {
                let first = range.start + k * NODES_PER_TASK;
                tasks.push((d, first, edge_base + k * NODES_PER_TASK * d, chunk));
            }
            edge_base += range.len() * d;
        }
        let long_out = fixed_out;
        rayon::join(
            || {
                tasks
                    .into_par_iter()
                    .for_each(|(d, first, edges, chunk)| match d {
                        1 => fixed::<1, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        2 => fixed::<2, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        3 => fixed::<3, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        4 => fixed::<4, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        5 => fixed::<5, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        6 => fixed::<6, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        7 => fixed::<7, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                        _ => fixed::<FIXED_MAX, WEIGHTED, F>(
                            &self.sources,
                            weights,
                            values,
                            first,
                            edges,
                            chunk,
                            finish,
                        ),
                    })
            },
            || {
                rayon::join(
                    || {
                        long_out
                            .par_chunks_mut(NODES_PER_TASK / 8)
                            .enumerate()
                            .for_each(|(k, chunk)| {
                                let first = k * (NODES_PER_TASK / 8);
                                for (i, slot) in chunk.iter_mut().enumerate() {
                                    let (s, e) = (
                                        self.long_offsets[first + i],
                                        self.long_offsets[first + i + 1],
                                    );
                                    let sum = if WEIGHTED {
                                        self.sources[s..e]
                                            .iter()
                                            .zip(&weights[s..e])
                                            .map(|(&u, &w)| values[u as usize] * w)
                                            .sum()
                                    } else {
                                        gather_sum(&self.sources[s..e], values)
                                    };
                                    *slot = finish(self.long.start + first + i, sum);
                                }
                            })
                    },
                    || {
                        let first = self.long.end;
                        tail.par_chunks_mut(NODES_PER_TASK)
                            .enumerate()
                            .for_each(|(k, chunk)| {
                                for (i, slot) in chunk.iter_mut().enumerate() {
                                    *slot = finish(first + k * NODES_PER_TASK + i, 0.0);
                                }
                            })
                    },
                )
            },
        );
    }
}

/// One task of a fixed in-degree class `D`: node `first + i` pulls the `D` sources at
/// `edges + i * D`.
#[allow(clippy::too_many_arguments)]
fn fixed<const D: usize, const WEIGHTED: bool, F>(
    sources: &[u32],
    weights: &[f64],
    values: &[f64],
    first: usize,
    edges: usize,
    out: &mut [f64],
    finish: &F,
) where
    F: Fn(usize, f64) -> f64,
{
    let sources = &sources[edges..edges + out.len() * D];
    for (i, (slot, src)) in out.iter_mut().zip(sources.chunks_exact(D)).enumerate() {
        let mut sum = 0.0;
        for (j, &u) in src.iter().enumerate() {
            let x = values[u as usize];
            sum += if WEIGHTED {
                x * weights[edges + i * D + j]
            } else {
                x
            };
        }
        *slot = finish(first + i, sum);
    }
}

/// `Σ values[i]` over `indices`, with four independent accumulators so the additions do not
/// wait on each other (long lists are otherwise bound by floating-point add latency).
fn gather_sum(indices: &[u32], values: &[f64]) -> f64 {
    let mut acc = [0.0f64; 4];
    let chunks = indices.chunks_exact(4);
    let rest = chunks.remainder();
    for c in chunks {
        acc[0] += values[c[0] as usize];
        acc[1] += values[c[1] as usize];
        acc[2] += values[c[2] as usize];
        acc[3] += values[c[3] as usize];
    }
    let mut sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for &i in rest {
        sum += values[i as usize];
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{BuildOptions, Csr};
    use crate::generate::rmat;

    /// The plain sum over the graph's in-lists, in graph ids.
    fn reference(g: &Csr, values: &[f64]) -> Vec<f64> {
        (0..g.n())
            .map(|v| match g.in_adj().weights(v) {
                Some(w) => g
                    .in_neighbors(v)
                    .iter()
                    .zip(w)
                    .map(|(&u, &wt)| values[u as usize] * wt)
                    .sum(),
                None => g.in_neighbors(v).iter().map(|&u| values[u as usize]).sum(),
            })
            .collect()
    }

    fn check(g: &Csr) {
        let n = g.node_count();
        let layout = PullLayout::new(g.in_adj(), n);
        let values: Vec<f64> = (0..n).map(|i| 1.0 + (i % 7) as f64 * 0.25).collect();
        let mut out = vec![f64::NAN; n];
        let x = layout.to_layout(&values);
        layout.pull(&x, &mut out, |_, s| s + 0.5);
        let got = layout.to_graph(&out);
        let want = reference(g, &values);
        for v in 0..n {
            assert!(
                (got[v] - (want[v] + 0.5)).abs() < 1e-9 * want[v].abs().max(1.0),
                "node {v}: {} vs {}",
                got[v],
                want[v] + 0.5
            );
        }
    }

    #[test]
    fn sums_match_the_in_lists_for_every_degree_class() {
        // R-MAT: in-degrees 0, 1..=8 and long lists all occur.
        let list = rmat(10, 12_000, 3);
        let g = Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI).unwrap();
        let l = PullLayout::new(g.in_adj(), g.node_count());
        assert!(
            l.fixed.iter().all(|r| !r.is_empty())
                && !l.long.is_empty()
                && l.long.end < g.node_count()
        );
        check(&g);
    }

    #[test]
    fn weighted_sums_multiply_each_source() {
        let edges = [(0, 1), (2, 1), (1, 0), (3, 0), (2, 0), (0, 3)];
        let w = [0.5, 2.0, 1.0, 3.0, 0.25, 4.0];
        let g = Csr::directed(5, &edges, Some(&w), BuildOptions::MULTI).unwrap();
        check(&g);
    }

    #[test]
    fn layout_ids_round_trip() {
        let g = Csr::directed(4, &[(0, 1), (2, 1), (3, 2)], None, BuildOptions::MULTI).unwrap();
        let l = PullLayout::new(g.in_adj(), 4);
        let v = vec![10.0, 11.0, 12.0, 13.0];
        assert_eq!(l.to_graph(&l.to_layout(&v)), v);
        assert_eq!(l.node_count(), 4);
    }

    #[test]
    fn empty_graph_pulls_nothing() {
        let g = Csr::directed(0, &[], None, BuildOptions::MULTI).unwrap();
        let l = PullLayout::new(g.in_adj(), 0);
        let mut out: Vec<f64> = Vec::new();
        l.pull(&[], &mut out, |_, s| s);
        assert!(out.is_empty());
    }
}
