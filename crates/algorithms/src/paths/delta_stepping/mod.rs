//! Δ-stepping single-source shortest paths: distances from one source, serial or parallel.
//!
//! Reference: Meyer & Sanders, "Δ-stepping: a parallelizable shortest path algorithm" (J.
//! Algorithms, 2003); bucket fusion from Zhang et al., "Optimizing ordered graph algorithms with
//! GraphIt" (CGO 2020). Tentative distances are bucketed by `⌊d / Δ⌋`; the smallest non-empty
//! bucket is processed (every node relaxes all its edges), nodes improved into that same bucket
//! are processed next, and the next bucket starts when it is empty. A node whose distance moved
//! to an earlier bucket after it was queued is skipped when its old entry comes up.
//!
//! Graphs whose weights are small whole numbers run on [`packed::IntegerWeights`] (kept with
//! the graph): `u32` distances and each edge's target and weight in one word, which halves the
//! memory traffic of the random distance reads that dominate; other graphs use `f64` distances
//! over the graph's own lists. Both give exactly the same distances.
//!
//! Pending nodes wait in [`bins::Bins`]: a ring of lists for the buckets within one maximum
//! weight of the current one (every improvement lands there) and an overflow list beyond it, so
//! that queueing a node is one `Vec::push` and finding the next bucket looks at a few lists.
//!
//! On a one-thread pool the kernel runs [`serial`]: plain loads and stores, no atomics, no
//! rounds. On more threads it runs [`parallel`]: each bucket is one or more rounds over a shared
//! frontier, each thread queues the nodes it improves in its own bins (kept across rounds), and
//! relaxes the ones that land in the current bucket itself while they are few (bucket fusion).
//! Improvements there are one atomic `fetch_min` on the distance's bits, which for non-negative
//! `f64` order like the values.
//!
//! The result is the least fixed point of `d(v) = min(d(u) + w(u, v))`, the same distances (bit
//! for bit) that [`crate::paths::dijkstra::dijkstra`] computes, at any thread count and any Δ.
//! Owns distances only; Dijkstra owns predecessors and early exit at a target.

mod bins;
pub mod packed;
mod parallel;
mod serial;

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::dijkstra::for_each_weighted;
use packed::IntegerWeights;

/// Why Δ-stepping could not produce distances.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum DeltaSteppingError {
    /// An edge has a negative weight (Δ-stepping needs non-negative weights; Bellman-Ford takes
    /// negative ones).
    #[error("edge weight {weight} is negative; delta-stepping needs non-negative weights")]
    NegativeWeight {
        /// The first negative weight found.
        weight: f64,
    },
    /// Cancelled or timed out.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

/// A Δ that suits graphs whose weights are spread evenly over `[min, max]`: the mean weight
/// divided by the mean degree (at least the smallest weight), so that a bucket holds about one
/// hop's worth of progress. 1 for unweighted graphs.
pub fn default_delta(g: &Csr) -> f64 {
    if !g.is_weighted() || g.node_count() == 0 {
        return 1.0;
    }
    let adj = g.out_adj();
    let (sum, count) = (0..g.n())
        .into_par_iter()
        .map(|v| {
            let w = adj.weights(v).unwrap_or(&[]);
            (w.iter().sum::<f64>(), w.len())
        })
        .reduce(|| (0.0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    if count == 0 {
        return 1.0;
    }
    let mean = sum / count as f64;
    let degree = count as f64 / g.node_count() as f64;
    (mean / degree.max(1.0)).max(f64::MIN_POSITIVE)
}

/// Distance from `source` to every node following `direction` (edge weights, 1 when
/// unweighted), `f64::INFINITY` where unreachable (everywhere when `source` is not a node).
///
/// `delta` is the bucket width (see [`default_delta`]); any positive value gives the same
/// distances, it only moves the balance between parallelism and repeated relaxations (a
/// non-positive or non-finite one means 1). A negative weight is refused before any work.
pub fn delta_stepping(
    g: &Csr,
    source: u32,
    direction: Direction,
    delta: f64,
    cancel: &Cancel,
) -> Result<Vec<f64>, DeltaSteppingError> {
    let n = g.node_count();
    if (source as usize) >= n {
        return Ok(vec![f64::INFINITY; n]);
    }
    let delta = if delta > 0.0 && delta.is_finite() {
        delta
    } else {
        1.0
    };
    let (min, max) = g.weight_range();
    if min < 0.0 {
        return Err(DeltaSteppingError::NegativeWeight { weight: min });
    }
    let width = Width::new(delta, max);
    let integer = match (direction, g.is_directed()) {
        (Direction::Out, _) | (_, false) => g.integer_weights(),
        _ => None,
    };
    Ok(match integer {
        Some(packed) => run(packed, g.node_count(), source, width, cancel)?,
        None => run(
            &Lists { g, direction },
            g.node_count(),
            source,
            width,
            cancel,
        )?,
    })
}

/// Serial on a one-thread pool, parallel otherwise.
fn run<E: Edges>(
    edges: &E,
    n: usize,
    source: u32,
    width: Width,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    if rayon::current_num_threads() <= 1 {
        serial::run(edges, n, source, width, cancel)
    } else {
        parallel::run(edges, n, source, width, cancel)
    }
}

/// A distance type: `f64`, or `u32` for whole-number weights.
trait Dist: Copy + PartialOrd + Send + Sync {
    /// Its atomic cell (parallel runs).
    type Atomic: Send + Sync;
    /// The source's distance.
    const ZERO: Self;
    /// "Not reached".
    const INF: Self;
    /// `self + w` (exact for `u32` by the packing condition).
    fn plus(self, w: Self) -> Self;
    /// The value as `f64` (bucket numbers and the result; [`Dist::INF`] is `f64::INFINITY`).
    fn to_f64(self) -> f64;
    /// A cell holding `self`.
    fn cell(self) -> Self::Atomic;
    /// The cell's value.
    fn load(cell: &Self::Atomic) -> Self;
    /// Lowers the cell to `self` if smaller; returns whether it was lowered.
    fn lower(self, cell: &Self::Atomic) -> bool;
    /// The cell's value, consumed.
    fn into_inner(cell: Self::Atomic) -> Self;
}

impl Dist for f64 {
    type Atomic = AtomicU64;
    const ZERO: Self = 0.0;
    const INF: Self = f64::INFINITY;
    #[inline]
    fn plus(self, w: Self) -> Self {
        self + w
    }
    #[inline]
    fn to_f64(self) -> f64 {
        self
    }
    fn cell(self) -> AtomicU64 {
        AtomicU64::new(self.to_bits())
    }
    #[inline]
    fn load(cell: &AtomicU64) -> Self {
        f64::from_bits(cell.load(Ordering::Relaxed))
    }
    // Non-negative `f64` bits order like the values.
    #[inline]
    fn lower(self, cell: &AtomicU64) -> bool {
        self.to_bits() < cell.fetch_min(self.to_bits(), Ordering::Relaxed)
    }
    fn into_inner(cell: AtomicU64) -> Self {
        f64::from_bits(cell.into_inner())
    }
}

impl Dist for u32 {
    type Atomic = AtomicU32;
    const ZERO: Self = 0;
    const INF: Self = u32::MAX;
    #[inline]
    fn plus(self, w: Self) -> Self {
        self + w
    }
    #[inline]
    fn to_f64(self) -> f64 {
        if self == u32::MAX {
            f64::INFINITY
        } else {
            f64::from(self)
        }
    }
    fn cell(self) -> AtomicU32 {
        AtomicU32::new(self)
    }
    #[inline]
    fn load(cell: &AtomicU32) -> Self {
        cell.load(Ordering::Relaxed)
    }
    #[inline]
    fn lower(self, cell: &AtomicU32) -> bool {
        self < cell.fetch_min(self, Ordering::Relaxed)
    }
    fn into_inner(cell: AtomicU32) -> Self {
        cell.into_inner()
    }
}

/// The edges a run relaxes, with weights in its distance type.
trait Edges: Sync {
    /// The distance type.
    type D: Dist;
    /// Calls `f(target, weight)` for every edge followed from `u`.
    fn each(&self, u: u32, f: impl FnMut(u32, Self::D));
}

impl Edges for IntegerWeights {
    type D = u32;
    #[inline]
    fn each(&self, u: u32, f: impl FnMut(u32, u32)) {
        IntegerWeights::each(self, u, f);
    }
}

/// A graph's own lists in one direction, `f64` weights (1 when unweighted).
struct Lists<'a> {
    g: &'a Csr,
    direction: Direction,
}

impl Edges for Lists<'_> {
    type D = f64;
    #[inline]
    fn each(&self, u: u32, f: impl FnMut(u32, f64)) {
        for_each_weighted(self.g, u, self.direction, f);
    }
}

/// The bucket width and the number of buckets one edge can jump.
#[derive(Debug, Clone, Copy)]
struct Width {
    /// `1 / Δ`: a bucket number is `⌊d · inv⌋` (one rounding rule everywhere, so a node's bucket is
    /// a monotone function of its distance).
    inv: f64,
    /// Ring slots: a power of two above the buckets the largest weight spans (at most
    /// [`bins::MAX_SLOTS`]; further jumps go to the overflow list).
    slots: usize,
}

impl Width {
    fn new(delta: f64, max_weight: f64) -> Self {
        let inv = 1.0 / delta;
        let span = (max_weight * inv).ceil();
        let slots = if span.is_finite() && span < bins::MAX_SLOTS as f64 {
            (span as usize + 2).next_power_of_two()
        } else {
            bins::MAX_SLOTS
        };
        Self { inv, slots }
    }

    /// The bucket of distance `d` (saturating for infinity).
    #[inline]
    fn bucket(self, d: impl Dist) -> u64 {
        (d.to_f64() * self.inv) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;
    use crate::generate::{rmat, uniform};
    use crate::paths::dijkstra::dijkstra;

    fn check(g: &Csr, sources: &[u32], deltas: &[f64]) {
        let c = Cancel::never();
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            for &s in sources {
                for dir in [Direction::Out, Direction::In, Direction::Both] {
                    let want = dijkstra(g, s, None, dir, &c).unwrap().distance;
                    for &delta in deltas {
                        let got = pool.install(|| delta_stepping(g, s, dir, delta, &c).unwrap());
                        assert_eq!(got, want, "source {s}, {dir:?}, delta {delta}");
                    }
                }
            }
        }
    }

    #[test]
    fn equals_dijkstra_on_random_weighted_graphs() {
        let u = uniform(2000, 8000, 4);
        let g = Csr::directed(u.n, &u.edges, Some(&u.weights), BuildOptions::MULTI).unwrap();
        check(&g, &[0, 7, 1999], &[0.3, 2.0, default_delta(&g), 1e9]);
        let r = rmat(11, 20_000, 8);
        let w: Vec<f64> = (0..r.edges.len())
            .map(|i| 1.0 + (crate::par::mix64(i as u64) % 255) as f64)
            .collect();
        let g = Csr::directed(r.n, &r.edges, Some(&w), BuildOptions::SIMPLE).unwrap();
        check(&g, &[0, 3], &[1.0, 16.0, default_delta(&g)]);
        check(&g.to_undirected(BuildOptions::SIMPLE), &[5], &[4.0]);
    }

    #[test]
    fn unweighted_graphs_count_hops() {
        let r = rmat(10, 6000, 1);
        let g = Csr::directed(r.n, &r.edges, None, BuildOptions::MULTI).unwrap();
        assert_eq!(default_delta(&g), 1.0);
        check(&g, &[0, 100], &[1.0, 3.0]);
    }

    #[test]
    fn edge_cases() {
        let c = Cancel::never();
        let empty = Csr::directed(0, &[], None, BuildOptions::MULTI).unwrap();
        assert!(
            delta_stepping(&empty, 0, Direction::Out, 1.0, &c)
                .unwrap()
                .is_empty()
        );
        // Self-loops, a zero-weight edge, an isolated node (4), an unreachable one (3).
        let g = Csr::directed(
            5,
            &[(0, 0), (0, 1), (1, 1), (1, 2), (3, 2), (0, 2)],
            Some(&[1.0, 2.0, 0.5, 0.0, 1.0, 5.0]),
            BuildOptions::MULTI,
        )
        .unwrap();
        let inf = f64::INFINITY;
        assert_eq!(
            delta_stepping(&g, 0, Direction::Out, 1.0, &c).unwrap(),
            vec![0.0, 2.0, 2.0, inf, inf]
        );
        assert_eq!(
            delta_stepping(&g, 4, Direction::Out, 1.0, &c).unwrap(),
            vec![inf, inf, inf, inf, 0.0]
        );
        assert_eq!(
            delta_stepping(&g, 7, Direction::Out, 1.0, &c).unwrap(),
            vec![inf; 5]
        );
        // A non-positive Δ falls back to 1 rather than looping.
        assert_eq!(
            delta_stepping(&g, 0, Direction::Out, 0.0, &c).unwrap(),
            vec![0.0, 2.0, 2.0, inf, inf]
        );
        check(&g, &[0, 1, 2, 3, 4], &[0.25, 1.0, 10.0]);
    }

    #[test]
    fn cancelled_run_stops() {
        let g = Csr::directed(2, &[(0, 1)], None, BuildOptions::MULTI).unwrap();
        let c = Cancel::never();
        c.cancel();
        assert_eq!(
            delta_stepping(&g, 0, Direction::Out, 1.0, &c),
            Err(DeltaSteppingError::Interrupted(Interrupted::Cancelled))
        );
    }
}
