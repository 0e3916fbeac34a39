//! The compressed-sparse-row graph every kernel runs on.
//!
//! Owns [`Csr`] (built once, immutable, `u32` node ids `0..n`, contiguous `usize` offsets, one
//! adjacency per direction, optional `f64` weights) and its builders from edge lists. Neighbour
//! lists are sorted by target id, which makes every kernel's iteration order — and so its result —
//! deterministic. Multi-edges and self-loops are kept unless [`BuildOptions`] says otherwise, so
//! that both the native semantics (parallel relationships count) and the NetworkX `DiGraph`/`Graph`
//! semantics (collapsed) can be represented. It does not own the mapping between `_id`s and dense
//! ids: the caller assigns dense ids, ideally in ascending `_id` order so that "smallest member id"
//! and "lexicographically smallest path" mean the same thing in both spaces.

use std::sync::OnceLock;

use rayon::prelude::*;

use crate::paths::delta_stepping::packed::IntegerWeights;
use crate::pull::PullLayout;

/// Errors raised while building a graph from an edge list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GraphError {
    /// An edge names a node id `>= node_count`.
    #[error("edge {index} references node {node}, but the graph has {node_count} nodes")]
    NodeOutOfRange {
        /// Position of the offending edge in the input.
        index: usize,
        /// The out-of-range id.
        node: u32,
        /// Number of nodes declared.
        node_count: u32,
    },
    /// `weights` was given with a length different from `edges`.
    #[error("{weights} weights given for {edges} edges")]
    WeightCount {
        /// Number of edges.
        edges: usize,
        /// Number of weights.
        weights: usize,
    },
    /// A weight is NaN.
    #[error("edge {index} has a NaN weight")]
    NanWeight {
        /// Position of the offending edge.
        index: usize,
    },
}

/// Which edges of a node a kernel follows: its outgoing, incoming, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Incoming edges (predecessors).
    In,
    /// Outgoing edges (successors).
    Out,
    /// Both; on an undirected graph every direction means this.
    Both,
}

/// How an edge list is turned into adjacency lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildOptions {
    /// Collapse parallel edges (same source and target) into one; with weights the minimum is kept.
    pub dedup: bool,
    /// Keep self-loops (`u -> u`).
    pub self_loops: bool,
}

impl BuildOptions {
    /// Everything kept: a multigraph with self-loops (the native projection).
    pub const MULTI: Self = Self {
        dedup: false,
        self_loops: true,
    };
    /// Parallel edges collapsed, self-loops kept: NetworkX `DiGraph` / `Graph` semantics.
    pub const SIMPLE: Self = Self {
        dedup: true,
        self_loops: true,
    };
    /// Parallel edges collapsed and self-loops dropped: a strictly simple graph.
    pub const STRICT: Self = Self {
        dedup: true,
        self_loops: false,
    };
}

/// One direction of adjacency: `targets[offsets[v]..offsets[v + 1]]` are the neighbours of `v`,
/// sorted ascending, with `weights` aligned when present.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjacency {
    offsets: Vec<usize>,
    targets: Vec<u32>,
    weights: Option<Vec<f64>>,
}

impl Adjacency {
    /// Neighbours of `v`, ascending (repeated for parallel edges).
    #[inline]
    pub fn neighbors(&self, v: u32) -> &[u32] {
        let v = v as usize;
        &self.targets[self.offsets[v]..self.offsets[v + 1]]
    }

    /// Weights aligned with [`Adjacency::neighbors`], if the graph is weighted.
    #[inline]
    pub fn weights(&self, v: u32) -> Option<&[f64]> {
        let v = v as usize;
        self.weights
            .as_ref()
            .map(|w| &w[self.offsets[v]..self.offsets[v + 1]])
    }

    /// Every list's targets, concatenated in node order.
    pub(crate) fn targets_all(&self) -> &[u32] {
        &self.targets
    }

    /// Every list's weights, concatenated in node order (`None` when unweighted).
    pub(crate) fn weights_all(&self) -> Option<&[f64]> {
        self.weights.as_deref()
    }

    /// Number of entries in `v`'s list.
    #[inline]
    pub fn degree(&self, v: u32) -> usize {
        let v = v as usize;
        self.offsets[v + 1] - self.offsets[v]
    }

    /// `offsets[v]..offsets[v + 1]` index `v`'s entries (for layouts derived from this one).
    pub(crate) fn offsets(&self) -> &[usize] {
        &self.offsets
    }

    /// Total number of entries.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    fn memory_bytes(&self) -> usize {
        self.offsets.len() * std::mem::size_of::<usize>()
            + self.targets.len() * std::mem::size_of::<u32>()
            + self
                .weights
                .as_ref()
                .map_or(0, |w| w.len() * std::mem::size_of::<f64>())
    }

    /// Builds from `(source, target)` pairs and optional aligned weights (already validated).
    fn build(n: usize, pairs: &[(u32, u32)], weights: Option<&[f64]>, opts: BuildOptions) -> Self {
        let mut counts = vec![0usize; n + 1];
        for &(s, t) in pairs {
            if opts.self_loops || s != t {
                counts[s as usize + 1] += 1;
            }
        }
        for i in 0..n {
            counts[i + 1] += counts[i];
        }
        let offsets = counts;
        let m = offsets[n];
        let mut cursor = offsets.clone();
        match weights {
            None => {
                let mut targets = vec![0u32; m];
                for &(s, t) in pairs {
                    if opts.self_loops || s != t {
                        let c = &mut cursor[s as usize];
                        targets[*c] = t;
                        *c += 1;
                    }
                }
                split_mut(&mut targets, &offsets)
                    .into_par_iter()
                    .for_each(|s| s.sort_unstable());
                let mut adj = Self {
                    offsets,
                    targets,
                    weights: None,
                };
                if opts.dedup {
                    adj.dedup();
                }
                adj
            }
            Some(w) => {
                let mut items = vec![(0u32, 0f64); m];
                for (&(s, t), &wt) in pairs.iter().zip(w) {
                    if opts.self_loops || s != t {
                        let c = &mut cursor[s as usize];
                        items[*c] = (t, wt);
                        *c += 1;
                    }
                }
                split_mut(&mut items, &offsets)
                    .into_par_iter()
                    .for_each(|s| {
                        s.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)))
                    });
                let (targets, weights) = items.into_iter().unzip();
                let mut adj = Self {
                    offsets,
                    targets,
                    weights: Some(weights),
                };
                if opts.dedup {
                    adj.dedup();
                }
                adj
            }
        }
    }

    /// Removes repeated targets within each (sorted) list; the first, i.e. smallest, weight stays.
    fn dedup(&mut self) {
        let n = self.offsets.len() - 1;
        let mut write = 0usize;
        let mut new_offsets = Vec::with_capacity(n + 1);
        new_offsets.push(0);
        for v in 0..n {
            let (start, end) = (self.offsets[v], self.offsets[v + 1]);
            let mut last: Option<u32> = None;
            for i in start..end {
                let t = self.targets[i];
                if last != Some(t) {
                    self.targets[write] = t;
                    if let Some(w) = self.weights.as_mut() {
                        w[write] = w[i];
                    }
                    write += 1;
                    last = Some(t);
                }
            }
            new_offsets.push(write);
        }
        self.targets.truncate(write);
        self.targets.shrink_to_fit();
        if let Some(w) = self.weights.as_mut() {
            w.truncate(write);
            w.shrink_to_fit();
        }
        self.offsets = new_offsets;
    }
}

/// Splits `data` into the per-node slices delimited by `offsets` (for parallel per-list work).
fn split_mut<'a, T>(mut data: &'a mut [T], offsets: &[usize]) -> Vec<&'a mut [T]> {
    let mut out = Vec::with_capacity(offsets.len().saturating_sub(1));
    for w in offsets.windows(2) {
        let (head, tail) = data.split_at_mut(w[1] - w[0]);
        out.push(head);
        data = tail;
    }
    out
}

/// An immutable graph in compressed-sparse-row form.
///
/// Directed graphs keep both the outgoing and the incoming adjacency; undirected graphs keep one
/// symmetric adjacency in which `u`–`v` appears in both lists and a self-loop once, and answer
/// `in_neighbors == out_neighbors`. Weights, when present, are aligned with both directions.
/// The pull layout PageRank iterates over is derived on first use and kept with the graph
/// ([`Csr::pull_layout`]), and so is the integer-weight layout of shortest paths
/// ([`Csr::integer_weights`]).
#[derive(Debug, Clone)]
pub struct Csr {
    n: u32,
    edges: usize,
    self_loops: usize,
    out: Adjacency,
    inc: Option<Adjacency>,
    pull: OnceLock<PullLayout>,
    integer: OnceLock<Option<IntegerWeights>>,
    weight_range: OnceLock<(f64, f64)>,
}

/// Graphs are equal when their adjacency is; whether a derived layout was built does not matter.
impl PartialEq for Csr {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n
            && self.edges == other.edges
            && self.self_loops == other.self_loops
            && self.out == other.out
            && self.inc == other.inc
    }
}

impl Csr {
    fn validate(n: u32, edges: &[(u32, u32)], weights: Option<&[f64]>) -> Result<(), GraphError> {
        if let Some(w) = weights {
            if w.len() != edges.len() {
                return Err(GraphError::WeightCount {
                    edges: edges.len(),
                    weights: w.len(),
                });
            }
            if let Some(index) = w.iter().position(|x| x.is_nan()) {
                return Err(GraphError::NanWeight { index });
            }
        }
        if let Some((index, &(s, t))) = edges
            .iter()
            .enumerate()
            .find(|(_, (s, t))| *s >= n || *t >= n)
        {
            return Err(GraphError::NodeOutOfRange {
                index,
                node: s.max(t),
                node_count: n,
            });
        }
        Ok(())
    }

    /// Builds a directed graph with `n` nodes from `edges` (`source -> target`).
    pub fn directed(
        n: u32,
        edges: &[(u32, u32)],
        weights: Option<&[f64]>,
        opts: BuildOptions,
    ) -> Result<Self, GraphError> {
        Self::validate(n, edges, weights)?;
        let reversed: Vec<(u32, u32)> = edges.par_iter().map(|&(s, t)| (t, s)).collect();
        let (out, inc) = rayon::join(
            || Adjacency::build(n as usize, edges, weights, opts),
            || Adjacency::build(n as usize, &reversed, weights, opts),
        );
        let self_loops = (0..n)
            .into_par_iter()
            .map(|v| out.neighbors(v).iter().filter(|&&t| t == v).count())
            .sum();
        Ok(Self {
            n,
            edges: out.len(),
            self_loops,
            out,
            inc: Some(inc),
            pull: OnceLock::new(),
            integer: OnceLock::new(),
            weight_range: OnceLock::new(),
        })
    }

    /// Builds an undirected graph with `n` nodes from `edges` (each `u`–`v` once, either order).
    pub fn undirected(
        n: u32,
        edges: &[(u32, u32)],
        weights: Option<&[f64]>,
        opts: BuildOptions,
    ) -> Result<Self, GraphError> {
        Self::validate(n, edges, weights)?;
        let mut pairs = Vec::with_capacity(edges.len() * 2);
        let mut ws = weights.map(|_| Vec::with_capacity(edges.len() * 2));
        for (i, &(s, t)) in edges.iter().enumerate() {
            pairs.push((s, t));
            if let (Some(ws), Some(w)) = (ws.as_mut(), weights) {
                ws.push(w[i]);
            }
            if s != t {
                pairs.push((t, s));
                if let (Some(ws), Some(w)) = (ws.as_mut(), weights) {
                    ws.push(w[i]);
                }
            }
        }
        let out = Adjacency::build(n as usize, &pairs, ws.as_deref(), opts);
        let self_loops: usize = (0..n)
            .into_par_iter()
            .map(|v| out.neighbors(v).iter().filter(|&&t| t == v).count())
            .sum();
        let edges = (out.len() - self_loops) / 2 + self_loops;
        Ok(Self {
            n,
            edges,
            self_loops,
            out,
            inc: None,
            pull: OnceLock::new(),
            integer: OnceLock::new(),
            weight_range: OnceLock::new(),
        })
    }

    /// All edges as `(source, target)` (directed: each arc; undirected: each edge once with
    /// `source <= target`), in CSR order.
    pub fn edge_list(&self) -> Vec<(u32, u32)> {
        let mut e = Vec::with_capacity(self.edges);
        for u in 0..self.n {
            for &v in self.out.neighbors(u) {
                if self.is_directed() || u <= v {
                    e.push((u, v));
                }
            }
        }
        e
    }

    /// Edge weights aligned with [`Csr::edge_list`], if weighted.
    fn edge_weights(&self) -> Option<Vec<f64>> {
        self.out.weights.as_ref()?;
        let mut w = Vec::with_capacity(self.edges);
        for u in 0..self.n {
            let ws = self.out.weights(u).unwrap_or(&[]);
            for (&v, &x) in self.out.neighbors(u).iter().zip(ws) {
                if self.is_directed() || u <= v {
                    w.push(x);
                }
            }
        }
        Some(w)
    }

    /// The undirected view: every arc `u -> v` becomes the edge `u`–`v`. With
    /// [`BuildOptions::SIMPLE`] this is NetworkX's `G.to_undirected()` of a `DiGraph`.
    pub fn to_undirected(&self, opts: BuildOptions) -> Self {
        let edges = self.edge_list();
        let w = self.edge_weights();
        // Ids were validated when `self` was built.
        Self::undirected(self.n, &edges, w.as_deref(), opts)
            .unwrap_or_else(|_| unreachable!("validated graph"))
    }

    /// The same graph rebuilt with `opts` (e.g. the simple graph of a multigraph).
    pub fn rebuilt(&self, opts: BuildOptions) -> Self {
        let edges = self.edge_list();
        let w = self.edge_weights();
        let r = if self.is_directed() {
            Self::directed(self.n, &edges, w.as_deref(), opts)
        } else {
            Self::undirected(self.n, &edges, w.as_deref(), opts)
        };
        r.unwrap_or_else(|_| unreachable!("validated graph"))
    }

    /// Number of nodes.
    #[inline]
    pub fn node_count(&self) -> usize {
        self.n as usize
    }

    /// Number of nodes as `u32` (node ids are `0..n`).
    #[inline]
    pub fn n(&self) -> u32 {
        self.n
    }

    /// Number of edges (directed: arcs; undirected: edges, a self-loop counting once).
    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Number of self-loops.
    pub fn self_loop_count(&self) -> usize {
        self.self_loops
    }

    /// Whether this graph is directed.
    #[inline]
    pub fn is_directed(&self) -> bool {
        self.inc.is_some()
    }

    /// Whether edges carry weights.
    pub fn is_weighted(&self) -> bool {
        self.out.weights.is_some()
    }

    /// Outgoing adjacency (the only one for undirected graphs).
    #[inline]
    pub fn out_adj(&self) -> &Adjacency {
        &self.out
    }

    /// Incoming adjacency (the outgoing one for undirected graphs).
    #[inline]
    pub fn in_adj(&self) -> &Adjacency {
        self.inc.as_ref().unwrap_or(&self.out)
    }

    /// Successors of `v` (all neighbours when undirected).
    #[inline]
    pub fn out_neighbors(&self, v: u32) -> &[u32] {
        self.out.neighbors(v)
    }

    /// Predecessors of `v` (all neighbours when undirected).
    #[inline]
    pub fn in_neighbors(&self, v: u32) -> &[u32] {
        self.in_adj().neighbors(v)
    }

    /// Out-degree (list length; a self-loop counts once here).
    #[inline]
    pub fn out_degree(&self, v: u32) -> usize {
        self.out.degree(v)
    }

    /// In-degree (list length).
    #[inline]
    pub fn in_degree(&self, v: u32) -> usize {
        self.in_adj().degree(v)
    }

    /// Calls `f` for every neighbour of `v` in `direction` (for `Both` on a directed graph:
    /// successors then predecessors, so a node may be seen twice).
    #[inline]
    pub fn for_each_neighbor(&self, v: u32, direction: Direction, mut f: impl FnMut(u32)) {
        match (direction, self.is_directed()) {
            (Direction::Out, _) | (_, false) => self.out_neighbors(v).iter().for_each(|&t| f(t)),
            (Direction::In, true) => self.in_neighbors(v).iter().for_each(|&t| f(t)),
            (Direction::Both, true) => {
                self.out_neighbors(v).iter().for_each(|&t| f(t));
                self.in_neighbors(v).iter().for_each(|&t| f(t));
            }
        }
    }

    /// The incoming adjacency in PageRank's degree-bucketed pull layout, built on the first call
    /// and kept with the graph (about 4 bytes per edge more, not counted by
    /// [`Csr::memory_bytes`]), so repeated runs on one loaded graph pay for it once.
    pub fn pull_layout(&self) -> &PullLayout {
        self.pull
            .get_or_init(|| PullLayout::new(self.in_adj(), self.node_count()))
    }

    /// The outgoing adjacency with `u32` weights packed next to their targets, when every weight
    /// is a whole number small enough that no path of fewer than `n` edges reaches `u32::MAX`;
    /// built on the first call and kept with the graph (8 bytes per edge more, not counted by
    /// [`Csr::memory_bytes`]). `None` for unweighted graphs and other weights. Δ-stepping runs on
    /// it with 4-byte distances: half the memory traffic of `f64`, the same exact sums.
    pub fn integer_weights(&self) -> Option<&IntegerWeights> {
        self.integer
            .get_or_init(|| IntegerWeights::new(&self.out, self.node_count()))
            .as_ref()
    }

    /// The smallest edge weight and the largest finite one, `(1, 1)` when unweighted (the
    /// outgoing lists hold every edge). Computed on the first call and kept with the graph:
    /// shortest-path kernels check it on every run (negative weights refused, bucket width).
    pub fn weight_range(&self) -> (f64, f64) {
        *self.weight_range.get_or_init(|| {
            let Some(all) = self.out.weights_all() else {
                return (1.0, 1.0);
            };
            all.par_iter()
                .with_min_len(1 << 14)
                .fold(
                    || (f64::INFINITY, 0f64),
                    |(lo, hi), &w| (lo.min(w), if w.is_finite() { hi.max(w) } else { hi }),
                )
                .reduce(|| (f64::INFINITY, 0.0), |a, b| (a.0.min(b.0), a.1.max(b.1)))
        })
    }

    /// Bytes held by the adjacency arrays (offsets, targets, weights) of all directions.
    pub fn memory_bytes(&self) -> usize {
        self.out.memory_bytes() + self.inc.as_ref().map_or(0, Adjacency::memory_bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directed_multigraph_keeps_parallel_edges_and_loops() {
        let g = Csr::directed(
            4,
            &[(0, 1), (0, 1), (1, 1), (2, 0)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        assert_eq!(g.out_neighbors(0), &[1, 1]);
        assert_eq!(g.in_neighbors(1), &[0, 0, 1]);
        assert_eq!(g.in_neighbors(0), &[2]);
        assert_eq!(g.out_neighbors(3), &[] as &[u32]);
        assert_eq!(g.edge_count(), 4);
        assert_eq!(g.self_loop_count(), 1);
        let s = g.rebuilt(BuildOptions::SIMPLE);
        assert_eq!(s.out_neighbors(0), &[1]);
        assert_eq!(s.edge_count(), 3);
        let strict = g.rebuilt(BuildOptions::STRICT);
        assert_eq!(strict.out_neighbors(1), &[] as &[u32]);
    }

    #[test]
    fn undirected_view_is_symmetric_and_counts_edges_once() {
        let g = Csr::directed(
            3,
            &[(0, 1), (1, 0), (1, 2), (2, 2)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        let u = g.to_undirected(BuildOptions::SIMPLE);
        assert!(!u.is_directed());
        assert_eq!(u.out_neighbors(1), &[0, 2]);
        assert_eq!(u.in_neighbors(2), &[1, 2]);
        assert_eq!(u.edge_count(), 3);
        assert_eq!(u.edge_list(), vec![(0, 1), (1, 2), (2, 2)]);
    }

    #[test]
    fn weights_follow_sorted_targets_and_dedup_keeps_minimum() {
        let g = Csr::directed(
            3,
            &[(0, 2), (0, 1), (0, 2)],
            Some(&[5.0, 1.0, 3.0]),
            BuildOptions::SIMPLE,
        )
        .unwrap();
        assert_eq!(g.out_neighbors(0), &[1, 2]);
        assert_eq!(g.out_adj().weights(0).unwrap(), &[1.0, 3.0]);
        assert_eq!(g.in_adj().weights(2).unwrap(), &[3.0]);
    }

    #[test]
    fn bad_input_is_a_typed_error() {
        assert_eq!(
            Csr::directed(2, &[(0, 2)], None, BuildOptions::MULTI),
            Err(GraphError::NodeOutOfRange {
                index: 0,
                node: 2,
                node_count: 2
            })
        );
        assert!(matches!(
            Csr::directed(2, &[(0, 1)], Some(&[]), BuildOptions::MULTI),
            Err(GraphError::WeightCount { .. })
        ));
    }

    #[test]
    fn unweighted_csr_fits_sixteen_bytes_per_edge() {
        let n = 1000u32;
        let edges: Vec<(u32, u32)> = (0..10_000u32).map(|i| (i % n, (i * 7 + 3) % n)).collect();
        let g = Csr::directed(n, &edges, None, BuildOptions::MULTI).unwrap();
        let per_edge = g.memory_bytes() as f64 / edges.len() as f64;
        assert!(per_edge <= 16.0, "{per_edge} bytes/edge");
    }
}
