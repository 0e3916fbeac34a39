//! Parallel Δ-stepping single-source shortest paths: distances from one source.
//!
//! Reference: Meyer & Sanders, "Δ-stepping: a parallelizable shortest path algorithm" (J.
//! Algorithms, 2003). Tentative distances are bucketed by `⌊d / Δ⌋`; the smallest non-empty
//! bucket is processed as one parallel frontier (every node relaxes all its edges, light and
//! heavy alike), nodes improved into that same bucket form the next frontier, and the next bucket
//! starts when it is empty. Improvements are one atomic `fetch_min` on the distance's bits, which
//! for non-negative `f64` order like the values. The result is the least fixed point of
//! `d(v) = min(d(u) + w(u, v))`, the same distances (bit for bit) that
//! [`crate::paths::dijkstra::dijkstra`] computes, at any thread count.
//!
//! Owns distances only; Dijkstra owns predecessors and early exit at a target.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Csr, Direction};
use crate::paths::dijkstra::for_each_weighted;

/// Frontier entries per parallel task.
const TASK: usize = 64;
/// Largest batch of same-bucket nodes a task relaxes itself rather than handing to the next round.
const FUSE: usize = 1024;

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
/// distances, it only moves the balance between parallelism and repeated relaxations. Weights
/// must be non-negative (use Bellman-Ford otherwise).
pub fn delta_stepping(
    g: &Csr,
    source: u32,
    direction: Direction,
    delta: f64,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let n = g.node_count();
    let inf = f64::INFINITY.to_bits();
    let dist: Vec<AtomicU64> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU64::new(inf))
        .collect();
    if (source as usize) < n {
        let delta = if delta > 0.0 && delta.is_finite() {
            delta
        } else {
            1.0
        };
        dist[source as usize].store(0f64.to_bits(), Ordering::Relaxed);
        run(g, &dist, source, direction, delta, cancel)?;
    }
    Ok(dist
        .into_par_iter()
        .map(|d| f64::from_bits(d.into_inner()))
        .collect())
}

fn run(
    g: &Csr,
    dist: &[AtomicU64],
    source: u32,
    direction: Direction,
    delta: f64,
    cancel: &Cancel,
) -> Result<(), Interrupted> {
    let bucket_of = |d: f64| (d / delta) as u64;
    // Bucket → the lists of nodes tasks added to it (not concatenated: the frontier is read
    // list by list).
    let mut buckets: BTreeMap<u64, Vec<Vec<u32>>> = BTreeMap::new();
    buckets.insert(0, vec![vec![source]]);
    while let Some((bucket, lists)) = buckets.pop_first() {
        cancel.check()?;
        let tasks: Vec<&[u32]> = lists.iter().flat_map(|l| l.chunks(TASK)).collect();
        let found: Vec<Found> = tasks
            .into_par_iter()
            .fold(Found::default, |mut local, chunk| {
                let relax = |u: u32, local: &mut Found| {
                    let du = f64::from_bits(dist[u as usize].load(Ordering::Relaxed));
                    // A stale entry: `u` was improved into an earlier bucket and relaxed there.
                    if bucket_of(du) != bucket {
                        return;
                    }
                    for_each_weighted(g, u, direction, |v, w| {
                        let nd = du + w;
                        let slot = &dist[v as usize];
                        if nd < f64::from_bits(slot.load(Ordering::Relaxed)) {
                            let before = slot.fetch_min(nd.to_bits(), Ordering::Relaxed);
                            if nd.to_bits() < before {
                                local.push(bucket_of(nd) - bucket, v);
                            }
                        }
                    });
                };
                for &u in chunk {
                    relax(u, &mut local);
                }
                // Bucket fusion: nodes this task improved into the current bucket are relaxed
                // here at once while there are few of them, instead of waiting for another
                // parallel round (most rounds of a bucket are small).
                while let Some(same) = local.near.first_mut() {
                    if same.is_empty() || same.len() > FUSE {
                        break;
                    }
                    let batch = std::mem::take(same);
                    for &u in &batch {
                        relax(u, &mut local);
                    }
                }
                local
            })
            .collect();
        for local in found {
            for (ahead, nodes) in local.near.into_iter().enumerate() {
                if !nodes.is_empty() {
                    buckets
                        .entry(bucket + ahead as u64)
                        .or_default()
                        .push(nodes);
                }
            }
            for (ahead, nodes) in local.far {
                buckets.entry(bucket + ahead).or_default().push(nodes);
            }
        }
    }
    Ok(())
}

/// Buckets ahead of the current one below which a task's findings are indexed directly.
const NEAR: u64 = 1024;

/// One task's improved nodes, by how many buckets ahead of the current one they landed.
#[derive(Default)]
struct Found {
    /// `near[k]`: nodes `k < NEAR` buckets ahead.
    near: Vec<Vec<u32>>,
    /// Nodes further ahead (only with a Δ much smaller than the weights), by distance ahead.
    far: Vec<(u64, Vec<u32>)>,
}

impl Found {
    #[inline]
    fn push(&mut self, ahead: u64, v: u32) {
        if ahead < NEAR {
            let k = ahead as usize;
            if k >= self.near.len() {
                self.near.resize_with(k + 1, Vec::new);
            }
            self.near[k].push(v);
        } else {
            match self.far.iter_mut().find(|(a, _)| *a == ahead) {
                Some((_, nodes)) => nodes.push(v),
                None => self.far.push((ahead, vec![v])),
            }
        }
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
            Err(Interrupted::Cancelled)
        );
    }
}
