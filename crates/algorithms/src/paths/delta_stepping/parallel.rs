//! Δ-stepping on several threads: rounds over a shared frontier, per-thread bins.
//!
//! A round relaxes the current frontier in parallel tasks of [`TASK`] nodes. Each worker thread
//! owns one [`Bins`] for the whole run (no per-round allocation) and queues there every node it
//! improves; after its task it keeps relaxing the nodes it queued for the current bucket while
//! they are at most [`FUSE`] (bucket fusion: most rounds of a bucket are small, and a round is a
//! synchronisation of every thread). Between rounds the smallest bucket queued anywhere becomes
//! current and every thread's list for it is concatenated into the next frontier.

use std::sync::Mutex;

use rayon::prelude::*;

use super::bins::Bins;
use super::{Dist, Edges, Width};
use crate::cancel::{Cancel, Interrupted};

/// Frontier entries per parallel task.
const TASK: usize = 64;
/// Largest batch of current-bucket nodes a thread relaxes itself rather than leaving for the next
/// round.
const FUSE: usize = 1024;

/// Distances from `source` (one of the `n` nodes).
pub(super) fn run<E: Edges>(
    edges: &E,
    n: usize,
    source: u32,
    width: Width,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let dist: Vec<<E::D as Dist>::Atomic> = (0..n)
        .into_par_iter()
        .map(|v| {
            if v == source as usize {
                E::D::ZERO.cell()
            } else {
                E::D::INF.cell()
            }
        })
        .collect();
    let bucket_of = |v: u32| width.bucket(E::D::load(&dist[v as usize]));
    // One bins per worker thread (indexed by the thread's index in the pool); the mutex is only
    // ever taken by its own thread during a round and by the coordinator between rounds.
    let threads = rayon::current_num_threads().max(1);
    let bins: Vec<Mutex<Bins>> = (0..threads)
        .map(|_| Mutex::new(Bins::new(width.slots)))
        .collect();
    let mut frontier = vec![source];
    let mut cur = 0u64;
    loop {
        cancel.check()?;
        frontier.par_chunks(TASK).for_each(|chunk| {
            let me = rayon::current_thread_index().unwrap_or(0) % threads;
            let mut mine = lock(&bins[me]);
            for &u in chunk {
                relax(edges, &dist, width, cur, u, &mut mine);
            }
            // Bucket fusion.
            loop {
                let len = mine.len_of(cur);
                if len == 0 || len > FUSE {
                    break;
                }
                let list = mine.take(cur);
                for &u in &list {
                    relax(edges, &dist, width, cur, u, &mut mine);
                }
                mine.recycle(list);
            }
        });
        // The next bucket: the smallest queued anywhere (overflow entries moved into the ring
        // first once it is within reach).
        let mut next = None;
        loop {
            let b = bins.iter().filter_map(|b| lock(b).next(cur)).min();
            let Some(b) = b else { break };
            let moved = bins
                .iter()
                .fold(false, |m, x| lock(x).refill(b, bucket_of) | m);
            cur = b;
            if !moved {
                next = Some(b);
                break;
            }
        }
        let Some(b) = next else { break };
        frontier.clear();
        for x in &bins {
            let mut x = lock(x);
            let list = x.take(b);
            frontier.extend_from_slice(&list);
            x.recycle(list);
        }
    }
    Ok(dist
        .into_par_iter()
        .map(|d| E::D::into_inner(d).to_f64())
        .collect())
}

/// Locks one thread's bins; a poisoned lock (a panic in a relaxation) still holds valid bins.
fn lock(m: &Mutex<Bins>) -> std::sync::MutexGuard<'_, Bins> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Relaxes the edges of `u` if it still belongs to bucket `cur`, queueing improved nodes in `bins`.
#[inline]
fn relax<E: Edges>(
    edges: &E,
    dist: &[<E::D as Dist>::Atomic],
    width: Width,
    cur: u64,
    u: u32,
    bins: &mut Bins,
) {
    let du = E::D::load(&dist[u as usize]);
    // Stale: `u` improved into an earlier bucket and was relaxed there.
    if width.bucket(du) != cur {
        return;
    }
    edges.each(u, |v, w| {
        let nd = du.plus(w);
        let slot = &dist[v as usize];
        if nd < E::D::load(slot) && nd.lower(slot) {
            bins.push(cur, width.bucket(nd), v);
        }
    });
}
