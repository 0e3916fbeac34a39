//! Triangle counting.
//!
//! Reference: Schank & Wagner, "Finding, counting and listing all triangles in large graphs" (2005),
//! the forward algorithm over a degree ordering; NetworkX `triangles(G)`. Runs on the undirected
//! view, ignoring self-loops and parallel edges. Per-node counts are integers accumulated with
//! atomics, so the result is exact and thread-count independent.

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;

/// Per-node triangle counts and the number of distinct triangles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriangleCount {
    /// Triangles through each node.
    pub per_node: Vec<u64>,
    /// Distinct triangles in the graph.
    pub total: u64,
}

/// Neighbours of `v` without self-loops or repeats (lists are sorted).
pub(crate) fn simple_neighbors(g: &Csr, v: u32) -> impl Iterator<Item = u32> + '_ {
    let nb = g.out_neighbors(v);
    nb.iter()
        .enumerate()
        .filter(move |&(i, &t)| t != v && (i == 0 || nb[i - 1] != t))
        .map(|(_, &t)| t)
}

/// Counts triangles of an undirected graph (call on the undirected view).
pub fn triangles(g: &Csr, cancel: &Cancel) -> Result<TriangleCount, Interrupted> {
    let counts: Vec<AtomicU64> = (0..g.n())
        .into_par_iter()
        .map(|_| AtomicU64::new(0))
        .collect();
    count::<true>(g, &counts, cancel)?;
    let per_node: Vec<u64> = counts.into_par_iter().map(AtomicU64::into_inner).collect();
    let total = per_node.par_iter().sum::<u64>() / 3;
    Ok(TriangleCount { per_node, total })
}

/// The number of distinct triangles of an undirected graph, without the per-node counts (the
/// same total as [`triangles`], with no per-triangle atomic updates).
pub fn triangle_total(g: &Csr, cancel: &Cancel) -> Result<u64, Interrupted> {
    count::<false>(g, &[], cancel)
}

/// Whether the graph's degrees are skewed enough for the degree ordering to pay: the mean
/// degree well above the median of evenly spaced sample nodes (power-law graphs: a few hubs,
/// whose lists the degree ordering keeps short; on graphs of even degrees, ordering by id does
/// the same work without reading every neighbour's degree).
fn skewed(g: &Csr) -> bool {
    let n = g.n() as usize;
    if n == 0 {
        return false;
    }
    let samples = n.min(1024);
    let mut degrees: Vec<usize> = (0..samples)
        .map(|i| g.out_neighbors((i * n / samples) as u32).len())
        .collect();
    degrees.sort_unstable();
    let median = degrees[samples / 2] as f64;
    let mean = g.out_adj().len() as f64 / n as f64;
    mean > 1.3 * median
}

/// Forward lists as one flat CSR: the neighbours of higher rank, ascending by id. The rank is
/// (degree, id) on skewed graphs, the id alone otherwise (see [`skewed`]); the flag says which.
fn forward_lists(g: &Csr) -> (Vec<usize>, Vec<u32>, bool) {
    let n = g.n();
    let by_degree = skewed(g);
    let deg: Vec<usize> = if by_degree {
        (0..n)
            .into_par_iter()
            .map(|v| simple_neighbors(g, v).count())
            .collect()
    } else {
        Vec::new()
    };
    let rank = |v: u32| (deg.get(v as usize).copied().unwrap_or(0), v);
    let len: Vec<usize> = (0..n)
        .into_par_iter()
        .map(|v| {
            simple_neighbors(g, v)
                .filter(|&u| rank(u) > rank(v))
                .count()
        })
        .collect();
    let mut offsets = Vec::with_capacity(n as usize + 1);
    offsets.push(0usize);
    for l in &len {
        offsets.push(offsets.last().copied().unwrap_or(0) + l);
    }
    let mut targets = vec![0u32; offsets[n as usize]];
    // Fill node blocks in parallel: split the target array at block boundaries.
    const BLOCK: usize = 4096;
    let mut pieces: Vec<(u32, &mut [u32])> = Vec::with_capacity((n as usize).div_ceil(BLOCK));
    let mut rest = targets.as_mut_slice();
    for first in (0..n as usize).step_by(BLOCK) {
        let last = (first + BLOCK).min(n as usize);
        let (head, tail) = rest.split_at_mut(offsets[last] - offsets[first]);
        pieces.push((first as u32, head));
        rest = tail;
    }
    pieces.into_par_iter().for_each(|(first, out)| {
        let last = (first as usize + BLOCK).min(n as usize) as u32;
        let mut slots = out.iter_mut();
        for v in first..last {
            for u in simple_neighbors(g, v).filter(|&u| rank(u) > rank(v)) {
                if let Some(slot) = slots.next() {
                    *slot = u;
                }
            }
        }
    });
    (offsets, targets, !by_degree)
}

/// The forward algorithm; with `PER_NODE`, adds every triangle to its three nodes' `counts`.
/// Returns the number of distinct triangles.
fn count<const PER_NODE: bool>(
    g: &Csr,
    counts: &[AtomicU64],
    cancel: &Cancel,
) -> Result<u64, Interrupted> {
    let n = g.n();
    let (offsets, targets, by_id) = forward_lists(g);
    let fwd = |v: u32| &targets[offsets[v as usize]..offsets[v as usize + 1]];
    const STEP: u32 = 4096;
    (0..n.div_ceil(STEP))
        .into_par_iter()
        .map(|c| {
            cancel.check()?;
            let mut total = 0u64;
            let mut spans: Vec<std::ops::Range<usize>> = Vec::new();
            for v in c * STEP..((c + 1) * STEP).min(n) {
                let list = fwd(v);
                // The lists of `v`'s forward neighbours lie at random places: look them all up
                // (and touch their first entries) before merging, so that the processor waits
                // for those memory reads together rather than one merge after another.
                spans.clear();
                spans.extend(
                    list.iter()
                        .map(|&u| offsets[u as usize]..offsets[u as usize + 1]),
                );
                let touched = spans
                    .iter()
                    .fold(0u32, |t, r| t ^ targets.get(r.start).copied().unwrap_or(0));
                std::hint::black_box(touched);
                for (k, (&u, span)) in list.iter().zip(&spans).enumerate() {
                    // Ranked by id, every node of `u`'s list is above `u`, so only the part of
                    // `v`'s list after `u` can meet it.
                    let a = if by_id { &list[k + 1..] } else { list };
                    let b = &targets[span.clone()];
                    // A branch-free merge: which side advances depends on data the processor
                    // cannot predict, so it is computed rather than branched on.
                    let (mut i, mut j) = (0, 0);
                    while i < a.len() && j < b.len() {
                        let (x, y) = (a[i], b[j]);
                        if PER_NODE && x == y {
                            counts[v as usize].fetch_add(1, Ordering::Relaxed);
                            counts[u as usize].fetch_add(1, Ordering::Relaxed);
                            counts[x as usize].fetch_add(1, Ordering::Relaxed);
                        }
                        total += u64::from(x == y);
                        i += usize::from(x <= y);
                        j += usize::from(y <= x);
                    }
                }
            }
            Ok::<u64, Interrupted>(total)
        })
        .try_reduce(|| 0, |a, b| Ok(a + b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn k4_has_four_triangles() {
        let e = [
            (0, 1),
            (0, 2),
            (0, 3),
            (1, 2),
            (1, 3),
            (2, 3),
            (3, 3),
            (0, 1),
        ];
        let g = Csr::undirected(5, &e, None, BuildOptions::MULTI).unwrap();
        let t = triangles(&g, &Cancel::never()).unwrap();
        assert_eq!(t.per_node, vec![3, 3, 3, 3, 0]);
        assert_eq!(t.total, 4);
        assert_eq!(triangle_total(&g, &Cancel::never()).unwrap(), 4);
    }

    #[test]
    fn totals_match_a_brute_force_count_on_random_graphs() {
        use crate::generate::{rmat, uniform};
        let c = Cancel::never();
        let empty = Csr::undirected(0, &[], None, BuildOptions::MULTI).unwrap();
        assert_eq!(triangle_total(&empty, &c).unwrap(), 0);
        // R-MAT is skewed (counted in degree order), the uniform graph is not (counted in id
        // order): both orders are checked.
        for (list, by_degree) in [(rmat(8, 3_000, 2), true), (uniform(200, 2_000, 5), false)] {
            let g = Csr::undirected(list.n, &list.edges, None, BuildOptions::MULTI).unwrap();
            assert_eq!(skewed(&g), by_degree);
            let adj: Vec<Vec<u32>> = (0..g.n())
                .map(|v| simple_neighbors(&g, v).collect())
                .collect();
            let mut per_node = vec![0u64; g.node_count()];
            let mut want = 0u64;
            for a in 0..g.n() {
                for &b in adj[a as usize].iter().filter(|&&b| b > a) {
                    for &w in adj[b as usize].iter().filter(|&&w| w > b) {
                        if adj[a as usize].binary_search(&w).is_ok() {
                            want += 1;
                            for x in [a, b, w] {
                                per_node[x as usize] += 1;
                            }
                        }
                    }
                }
            }
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                assert_eq!(pool.install(|| triangle_total(&g, &c)).unwrap(), want);
                let t = pool.install(|| triangles(&g, &c)).unwrap();
                assert_eq!((t.total, &t.per_node), (want, &per_node));
            }
        }
    }
}
