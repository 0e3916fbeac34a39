//! Parallel direction-optimising breadth-first search: hop distances from one source.
//!
//! Reference: Beamer, Asanović, Patterson, "Direction-Optimizing Breadth-First Search" (SC 2012).
//! Each level is expanded either top-down (the frontier's nodes claim their unvisited neighbours,
//! one atomic compare-and-swap per claim) or bottom-up (every unvisited node looks for a parent
//! among its predecessors in a frontier bitmap and stops at the first one found). Top-down is
//! cheap while the frontier is small; bottom-up wins once the frontier's edges outnumber a
//! fraction (1/[`ALPHA`]) of the edges not yet explored, and top-down takes over again when the
//! frontier shrinks below `n / `[`BETA`] nodes. Both steps are parallel (rayon). Distances are a
//! property of the graph, so the result is the same at any thread count.
//!
//! Owns hop distances only; [`crate::paths::bfs::bfs`] owns BFS order and the deterministic
//! "first discoverer" parents the catalogue reports.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::{Adjacency, Csr, Direction};
use crate::paths::bfs::UNREACHED;

/// Top-down → bottom-up when the frontier's edges exceed the unexplored edges / `ALPHA`.
pub const ALPHA: usize = 15;
/// Bottom-up → top-down when the frontier has fewer than `n / BETA` nodes and is shrinking.
pub const BETA: usize = 18;

/// Nodes per parallel task in the bottom-up step (a multiple of 64: each task owns whole bitmap
/// words).
const BU_TASK: usize = 64 * 64;
/// Frontier entries per parallel task in the top-down step.
const TD_TASK: usize = 256;

/// The lists followed from a node (push) and the lists searched for a parent (pull).
#[derive(Clone, Copy)]
struct Lists<'a> {
    first: &'a Adjacency,
    second: Option<&'a Adjacency>,
}

impl Lists<'_> {
    #[inline]
    fn degree(&self, v: u32) -> usize {
        self.first.degree(v) + self.second.map_or(0, |a| a.degree(v))
    }

    /// The lists' offsets and targets, when there is one list per node (the common case, whose
    /// bottom-up loop reads them directly instead of through the adjacency each time).
    fn single(&self) -> Option<(&[usize], &[u32])> {
        match self.second {
            None => Some((self.first.offsets(), self.first.targets_all())),
            Some(_) => None,
        }
    }

    #[inline]
    fn any(&self, v: u32, mut f: impl FnMut(u32) -> bool) -> bool {
        self.first.neighbors(v).iter().any(|&u| f(u))
            || self
                .second
                .is_some_and(|a| a.neighbors(v).iter().any(|&u| f(u)))
    }

    #[inline]
    fn each(&self, v: u32, mut f: impl FnMut(u32)) {
        self.first.neighbors(v).iter().for_each(|&u| f(u));
        if let Some(a) = self.second {
            a.neighbors(v).iter().for_each(|&u| f(u));
        }
    }
}

/// Hop distance from `source` to every node following `direction`, [`UNREACHED`] where there is
/// no path (and everywhere when `source` is not a node). Equal to
/// `bfs(g, source, direction, None, cancel)?.distance`, computed in parallel.
pub fn bfs_distances(
    g: &Csr,
    source: u32,
    direction: Direction,
    cancel: &Cancel,
) -> Result<Vec<u32>, Interrupted> {
    let n = g.node_count();
    let (push, pull) = match (direction, g.is_directed()) {
        (Direction::Out, _) | (_, false) => (
            Lists {
                first: g.out_adj(),
                second: None,
            },
            Lists {
                first: g.in_adj(),
                second: None,
            },
        ),
        (Direction::In, true) => (
            Lists {
                first: g.in_adj(),
                second: None,
            },
            Lists {
                first: g.out_adj(),
                second: None,
            },
        ),
        (Direction::Both, true) => {
            let both = Lists {
                first: g.out_adj(),
                second: Some(g.in_adj()),
            };
            (both, both)
        }
    };
    let mut depth: Vec<AtomicU32> = (0..n)
        .into_par_iter()
        .map(|_| AtomicU32::new(UNREACHED))
        .collect();
    if (source as usize) >= n {
        return Ok(into_plain(depth));
    }
    depth[source as usize].store(0, Ordering::Relaxed);
    let total_edges: usize = push.first.len() + push.second.map_or(0, Adjacency::len);
    let mut unexplored = total_edges;
    let mut queue = vec![source];
    let mut scout = push.degree(source);
    let mut level = 0u32;
    while !queue.is_empty() {
        cancel.check()?;
        if scout > unexplored / ALPHA {
            // Bottom-up until the frontier is small and shrinking again.
            let words = n.div_ceil(64);
            let mut front = vec![0u64; words];
            queue_to_bitmap(&queue, &mut front);
            let mut next = vec![0u64; words];
            let mut awake = queue.len();
            loop {
                let before = awake;
                awake = bottom_up_step(pull, &mut depth, &front, &mut next, level + 1);
                level += 1;
                std::mem::swap(&mut front, &mut next);
                if awake == 0 || (awake < before && awake <= n / BETA) {
                    break;
                }
                cancel.check()?;
            }
            queue = bitmap_to_queue(&front);
            scout = 1;
        } else {
            unexplored = unexplored.saturating_sub(scout);
            let (next, edges) = top_down_step(push, &depth, &queue, level + 1);
            level += 1;
            queue = next;
            scout = edges;
        }
    }
    Ok(into_plain(depth))
}

/// Claims the unvisited neighbours of the frontier; returns the next frontier and its out-edges.
fn top_down_step(
    push: Lists<'_>,
    depth: &[AtomicU32],
    queue: &[u32],
    next_level: u32,
) -> (Vec<u32>, usize) {
    let parts: Vec<(Vec<u32>, usize)> = queue
        .par_chunks(TD_TASK)
        .map(|chunk| {
            let mut found = Vec::new();
            let mut edges = 0usize;
            for &u in chunk {
                push.each(u, |v| {
                    let slot = &depth[v as usize];
                    if slot.load(Ordering::Relaxed) == UNREACHED
                        && slot
                            .compare_exchange(
                                UNREACHED,
                                next_level,
                                Ordering::Relaxed,
                                Ordering::Relaxed,
                            )
                            .is_ok()
                    {
                        edges += push.degree(v);
                        found.push(v);
                    }
                });
            }
            (found, edges)
        })
        .collect();
    let edges = parts.iter().map(|p| p.1).sum();
    let len = parts.iter().map(|p| p.0.len()).sum();
    let mut next = Vec::with_capacity(len);
    for (part, _) in parts {
        next.extend_from_slice(&part);
    }
    (next, edges)
}

/// Every unvisited node whose predecessor is in `front` joins `next` (cleared first) at
/// `next_level`; returns how many joined.
///
/// Each task owns a block of nodes — their distances and their words of `next` — so it reads
/// and writes them as plain values (no other thread touches them in this step): 64 distances at
/// a time become a mask of the unvisited ones, and only those search their lists.
fn bottom_up_step(
    pull: Lists<'_>,
    depth: &mut [AtomicU32],
    front: &[u64],
    next: &mut [u64],
    next_level: u32,
) -> usize {
    let in_front = |u: u32| front[u as usize / 64] & (1u64 << (u % 64)) != 0;
    let single = pull.single();
    next.par_chunks_mut(BU_TASK / 64)
        .zip(depth.par_chunks_mut(BU_TASK))
        .enumerate()
        .map(|(task, (words, depths))| {
            let mut awake = 0;
            let first = task * BU_TASK;
            for (w, (word, group)) in words.iter_mut().zip(depths.chunks_mut(64)).enumerate() {
                let base = first + w * 64;
                let mut unvisited = group.iter_mut().enumerate().fold(0u64, |m, (b, d)| {
                    m | (u64::from(*d.get_mut() == UNREACHED) << b)
                });
                let mut bits = 0u64;
                while unvisited != 0 {
                    let b = unvisited.trailing_zeros() as usize;
                    unvisited &= unvisited - 1;
                    let v = base + b;
                    let found = match single {
                        Some((offsets, targets)) => targets[offsets[v]..offsets[v + 1]]
                            .iter()
                            .any(|&u| in_front(u)),
                        None => pull.any(v as u32, in_front),
                    };
                    if found {
                        *group[b].get_mut() = next_level;
                        bits |= 1u64 << b;
                        awake += 1;
                    }
                }
                *word = bits;
            }
            awake
        })
        .sum()
}

fn queue_to_bitmap(queue: &[u32], bitmap: &mut [u64]) {
    let atomic: Vec<AtomicU64> = bitmap.iter().map(|_| AtomicU64::new(0)).collect();
    queue.par_chunks(TD_TASK * 16).for_each(|chunk| {
        for &v in chunk {
            atomic[v as usize / 64].fetch_or(1u64 << (v % 64), Ordering::Relaxed);
        }
    });
    bitmap
        .par_iter_mut()
        .zip(atomic.into_par_iter())
        .for_each(|(w, a)| *w = a.into_inner());
}

fn bitmap_to_queue(bitmap: &[u64]) -> Vec<u32> {
    let parts: Vec<Vec<u32>> = bitmap
        .par_chunks(BU_TASK / 64)
        .enumerate()
        .map(|(task, words)| {
            let mut out = Vec::new();
            for (w, &word) in words.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    out.push((task * BU_TASK + w * 64 + b) as u32);
                    bits &= bits - 1;
                }
            }
            out
        })
        .collect();
    parts.concat()
}

fn into_plain(depth: Vec<AtomicU32>) -> Vec<u32> {
    depth.into_par_iter().map(AtomicU32::into_inner).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;
    use crate::generate::{rmat, uniform};
    use crate::paths::bfs::bfs;

    fn pools() -> Vec<rayon::ThreadPool> {
        [1, 3]
            .iter()
            .map(|&t| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(t)
                    .build()
                    .unwrap()
            })
            .collect()
    }

    fn same_as_serial(g: &Csr, sources: &[u32]) {
        let c = Cancel::never();
        for pool in pools() {
            for &s in sources {
                for dir in [Direction::Out, Direction::In, Direction::Both] {
                    let want = bfs(g, s, dir, None, &c).unwrap().distance;
                    let got = pool.install(|| bfs_distances(g, s, dir, &c).unwrap());
                    assert_eq!(got, want, "source {s}, {dir:?}");
                }
            }
        }
    }

    #[test]
    fn equals_the_serial_bfs_on_random_graphs() {
        // R-MAT: skewed, so the bottom-up steps run; uniform: small frontiers, mostly top-down.
        let r = rmat(12, 40_000, 5);
        let d = Csr::directed(r.n, &r.edges, None, BuildOptions::MULTI).unwrap();
        same_as_serial(&d, &[0, 1, 17, 4095]);
        same_as_serial(&d.to_undirected(BuildOptions::SIMPLE), &[3, 900]);
        let u = uniform(3000, 9000, 2);
        let d = Csr::directed(u.n, &u.edges, None, BuildOptions::MULTI).unwrap();
        same_as_serial(&d, &[0, 2999]);
    }

    #[test]
    fn edge_cases() {
        let c = Cancel::never();
        let empty = Csr::directed(0, &[], None, BuildOptions::MULTI).unwrap();
        assert!(
            bfs_distances(&empty, 0, Direction::Out, &c)
                .unwrap()
                .is_empty()
        );
        // Self-loops, an isolated node (4) and an unreachable one (3 reaches 2, not back).
        let g = Csr::directed(
            5,
            &[(0, 0), (0, 1), (1, 1), (1, 2), (3, 2)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        assert_eq!(
            bfs_distances(&g, 0, Direction::Out, &c).unwrap(),
            vec![0, 1, 2, UNREACHED, UNREACHED]
        );
        assert_eq!(
            bfs_distances(&g, 4, Direction::Both, &c).unwrap(),
            vec![UNREACHED, UNREACHED, UNREACHED, UNREACHED, 0]
        );
        assert_eq!(
            bfs_distances(&g, 9, Direction::Out, &c).unwrap(),
            vec![UNREACHED; 5]
        );
        same_as_serial(&g, &[0, 1, 2, 3, 4]);
    }

    #[test]
    fn a_star_switches_to_bottom_up_and_back() {
        // A hub reaching every node, then a long tail: bottom-up for the hub's level, top-down
        // along the path.
        let mut edges: Vec<(u32, u32)> = (1..5000).map(|v| (0, v)).collect();
        edges.extend((5000..5100).map(|v| (v - 1, v)));
        let g = Csr::directed(5100, &edges, None, BuildOptions::MULTI).unwrap();
        same_as_serial(&g, &[0, 4999]);
    }

    #[test]
    fn cancelled_run_stops() {
        let g = Csr::directed(2, &[(0, 1)], None, BuildOptions::MULTI).unwrap();
        let c = Cancel::never();
        c.cancel();
        assert_eq!(
            bfs_distances(&g, 0, Direction::Out, &c),
            Err(Interrupted::Cancelled)
        );
    }
}
