//! Δ-stepping on one thread: the buckets processed in order with plain loads and stores.
//!
//! With no other thread there is nothing to synchronise: distances are a plain vector, an
//! improvement is a compare and a store, and a bucket is emptied list by list until no relaxation
//! lands in it again.

use super::bins::Bins;
use super::{Dist, Edges, Width};
use crate::cancel::{Cancel, Interrupted};

/// Buckets processed between cancellation checks.
const CHECK_EVERY: u64 = 64;

/// Distances from `source` (one of the `n` nodes).
pub(super) fn run<E: Edges>(
    edges: &E,
    n: usize,
    source: u32,
    width: Width,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let mut dist = vec![E::D::INF; n];
    dist[source as usize] = E::D::ZERO;
    let mut bins = Bins::new(width.slots);
    bins.push(0, 0, source);
    let mut cur = 0u64;
    let mut steps = 0u64;
    while let Some(b) = bins.next(cur) {
        cur = b;
        if bins.refill(cur, |v| width.bucket(dist[v as usize])) {
            continue;
        }
        steps += 1;
        if steps.is_multiple_of(CHECK_EVERY) {
            cancel.check()?;
        }
        while bins.len_of(cur) > 0 {
            let list = bins.take(cur);
            for &u in &list {
                let du = dist[u as usize];
                // Stale: `u` improved into an earlier bucket and was relaxed there.
                if width.bucket(du) != cur {
                    continue;
                }
                edges.each(u, |v, w| {
                    let nd = du.plus(w);
                    let slot = &mut dist[v as usize];
                    if nd < *slot {
                        *slot = nd;
                        bins.push(cur, width.bucket(nd), v);
                    }
                });
            }
            bins.recycle(list);
        }
    }
    Ok(dist.into_iter().map(Dist::to_f64).collect())
}
