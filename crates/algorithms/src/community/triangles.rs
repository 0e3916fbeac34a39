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
    let n = g.n();
    let deg: Vec<usize> = (0..n)
        .into_par_iter()
        .map(|v| simple_neighbors(g, v).count())
        .collect();
    let rank = |v: u32| (deg[v as usize], v);
    // Forward lists: neighbours of higher rank, ascending by id.
    let fwd: Vec<Vec<u32>> = (0..n)
        .into_par_iter()
        .map(|v| {
            simple_neighbors(g, v)
                .filter(|&u| rank(u) > rank(v))
                .collect()
        })
        .collect();
    let counts: Vec<AtomicU64> = (0..n).map(|_| AtomicU64::new(0)).collect();
    const STEP: u32 = 4096;
    (0..n.div_ceil(STEP)).into_par_iter().try_for_each(|c| {
        cancel.check()?;
        for v in c * STEP..((c + 1) * STEP).min(n) {
            let a = &fwd[v as usize];
            for &u in a {
                let b = &fwd[u as usize];
                let (mut i, mut j) = (0, 0);
                while i < a.len() && j < b.len() {
                    match a[i].cmp(&b[j]) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            let w = a[i];
                            counts[v as usize].fetch_add(1, Ordering::Relaxed);
                            counts[u as usize].fetch_add(1, Ordering::Relaxed);
                            counts[w as usize].fetch_add(1, Ordering::Relaxed);
                            i += 1;
                            j += 1;
                        }
                    }
                }
            }
        }
        Ok::<(), Interrupted>(())
    })?;
    let per_node: Vec<u64> = counts.into_iter().map(AtomicU64::into_inner).collect();
    let total = per_node.iter().sum::<u64>() / 3;
    Ok(TriangleCount { per_node, total })
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
    }
}
