//! Weakly connected components.
//!
//! Reference: concurrent union-find ("link by index", Shiloach–Vishkin style hooking of the larger
//! root under the smaller one, with path halving); NetworkX `connected_components` /
//! `weakly_connected_components` / `number_connected_components`. Because a larger root is always
//! hooked under a smaller one, every root is its component's smallest node id: the result is
//! canonical whatever the thread interleaving.

use std::sync::atomic::{AtomicU32, Ordering};

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;

/// Components of a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Components {
    /// Per node, the smallest node id of its component.
    pub component: Vec<u32>,
    /// Number of components.
    pub count: usize,
}

/// The root of `x`'s tree, halving the path on the way (each node passed is re-pointed at its
/// grandparent; a failed exchange only means another thread shortened it first).
fn find(parent: &[AtomicU32], mut x: u32) -> u32 {
    loop {
        let p = parent[x as usize].load(Ordering::Relaxed);
        if p == x {
            return x;
        }
        let gp = parent[p as usize].load(Ordering::Relaxed);
        if gp != p {
            let _ = parent[x as usize].compare_exchange_weak(
                p,
                gp,
                Ordering::Relaxed,
                Ordering::Relaxed,
            );
        }
        x = gp;
    }
}

/// Joins the trees of `a` and `b` through their roots (the larger root is hooked under the
/// smaller), compressing the paths walked. Used where chains can be long.
fn union(parent: &[AtomicU32], a: u32, b: u32) {
    let (mut a, mut b) = (a, b);
    loop {
        a = find(parent, a);
        b = find(parent, b);
        if a == b {
            return;
        }
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        if parent[hi as usize]
            .compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            return;
        }
    }
}

/// Joins the trees of `a` and `b` without walking to the roots, where chains are short (right
/// after a [`compress`]). Every parent is smaller than its child, so the larger of the two
/// current nodes is the one that can still climb: it climbs (two steps at a time) until the two
/// meet (already joined), it hangs under the smaller one, or it is a root and is hooked under the
/// smaller one (any node of the other tree will do: the ordering is kept). No writes but the
/// hook.
fn climb_link(parent: &[AtomicU32], a: u32, b: u32) {
    let (mut a, mut b) = (a, b);
    while a != b {
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        let up = parent[hi as usize].load(Ordering::Relaxed);
        if up == lo {
            return;
        }
        if up == hi {
            match parent[hi as usize].compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return,
                // Another thread hooked `hi` meanwhile: climb from where it now hangs.
                Err(now) => (a, b) = (now, lo),
            }
        } else {
            (a, b) = (parent[up as usize].load(Ordering::Relaxed), lo);
        }
    }
}

/// Out-neighbours per node linked before the giant component is identified (Afforest's
/// neighbour sampling).
const SAMPLED: usize = 2;

/// Weakly connected components (edge direction ignored).
///
/// Afforest (Sutton, Ben-Nun, Barak, 2018): every node is first linked to its first [`SAMPLED`]
/// out-neighbours, which on real-world graphs already gathers most nodes into one giant
/// component; that component is identified from a fixed sample of nodes, and then only the
/// nodes outside it link their remaining edges — through both their out- and in-lists, so an
/// edge with an endpoint outside the giant component is always seen from that endpoint, and an
/// edge inside it needs no work. The labels are canonical (smallest member) whatever the order.
pub fn wcc(g: &Csr, cancel: &Cancel) -> Result<Components, Interrupted> {
    let n = g.n();
    let parent: Vec<AtomicU32> = (0..n).into_par_iter().map(AtomicU32::new).collect();
    // One round per sampled neighbour, each followed by a compression (short chains for the next
    // round; every node straight at its root for the giant-component test below).
    for round in 0..SAMPLED {
        for_each_node(n, cancel, |u| {
            if let Some(&v) = g.out_neighbors(u).get(round)
                && v != u
            {
                climb_link(&parent, u, v);
            }
        })?;
        compress(&parent);
    }
    let giant = most_frequent_root(&parent);
    for_each_node(n, cancel, |u| {
        if Some(parent[u as usize].load(Ordering::Relaxed)) == giant {
            return;
        }
        for &v in g.out_neighbors(u).iter().skip(SAMPLED) {
            if v != u {
                union(&parent, u, v);
            }
        }
        if g.is_directed() {
            for &v in g.in_neighbors(u) {
                if v != u {
                    union(&parent, u, v);
                }
            }
        }
    })?;
    // Every root is its component's smallest id (roots are hooked under smaller roots), so once
    // every node points at its root, the parents are the labels.
    let count = compress(&parent);
    // Same size and alignment: collected in place, no second vector.
    let component: Vec<u32> = parent.into_iter().map(AtomicU32::into_inner).collect();
    Ok(Components { component, count })
}

/// Points every node at the root of its tree (no union runs concurrently): each node follows
/// its chain to the node that is its own parent. Other threads only ever shorten the chains
/// this one walks (every store is a node's root), so each node ends at its root. Returns the
/// number of roots, i.e. of trees.
fn compress(parent: &[AtomicU32]) -> usize {
    parent
        .par_iter()
        .with_min_len(1 << 14)
        .enumerate()
        .filter(|&(v, slot)| {
            let mut p = slot.load(Ordering::Relaxed);
            loop {
                let gp = parent[p as usize].load(Ordering::Relaxed);
                if gp == p {
                    break;
                }
                p = gp;
            }
            slot.store(p, Ordering::Relaxed);
            p as usize == v
        })
        .count()
}

/// Runs `f` on every node in parallel chunks, checking for cancellation between chunks.
fn for_each_node(n: u32, cancel: &Cancel, f: impl Fn(u32) + Sync) -> Result<(), Interrupted> {
    const STEP: u32 = 1 << 14;
    (0..n.div_ceil(STEP)).into_par_iter().try_for_each(|c| {
        cancel.check()?;
        (c * STEP..((c + 1) * STEP).min(n)).for_each(&f);
        Ok(())
    })
}

/// The root shared by most of 1 024 evenly spaced nodes (ties: the smallest root), or `None` for
/// an empty graph. Only a shortcut: any answer gives the same components.
fn most_frequent_root(parent: &[AtomicU32]) -> Option<u32> {
    let n = parent.len();
    let samples = n.min(1024);
    let mut roots: Vec<u32> = (0..samples)
        .map(|i| find(parent, (i * n / samples) as u32))
        .collect();
    roots.sort_unstable();
    roots
        .chunk_by(|a, b| a == b)
        .max_by(|a, b| a.len().cmp(&b.len()).then(b[0].cmp(&a[0])))
        .map(|run| run[0])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn components_are_labelled_by_smallest_member() {
        let g = Csr::directed(
            6,
            &[(5, 2), (2, 4), (3, 1), (0, 0)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        let c = wcc(&g, &Cancel::never()).unwrap();
        assert_eq!(c.component, vec![0, 1, 2, 1, 2, 2]);
        assert_eq!(c.count, 3);
    }

    #[test]
    fn parallel_labels_equal_a_serial_union_find_on_random_graphs() {
        use crate::generate::{rmat, uniform};
        // A plain sequential union-find over every edge, labels = smallest member.
        fn serial(g: &Csr) -> Vec<u32> {
            let n = g.node_count();
            let mut p: Vec<u32> = (0..n as u32).collect();
            fn root(p: &[u32], mut x: u32) -> u32 {
                while p[x as usize] != x {
                    x = p[x as usize];
                }
                x
            }
            for (u, v) in g.edge_list() {
                let (a, b) = (root(&p, u), root(&p, v));
                let (hi, lo) = if a > b { (a, b) } else { (b, a) };
                p[hi as usize] = lo;
            }
            (0..n as u32).map(|v| root(&p, v)).collect()
        }
        let r = rmat(12, 6_000, 3);
        let u = uniform(5_000, 3_000, 9);
        for list in [r, u] {
            let g = Csr::directed(list.n, &list.edges, None, BuildOptions::MULTI).unwrap();
            let want = serial(&g);
            for threads in [1, 3] {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                let got = pool.install(|| wcc(&g, &Cancel::never()).unwrap());
                assert_eq!(got.component, want);
                let roots = want.iter().enumerate().filter(|&(v, &c)| c as usize == v);
                assert_eq!(got.count, roots.count());
            }
        }
        let empty = Csr::directed(0, &[], None, BuildOptions::MULTI).unwrap();
        assert_eq!(wcc(&empty, &Cancel::never()).unwrap().count, 0);
    }

    #[test]
    fn long_chains_in_scrambled_order_resolve_to_their_smallest_member() {
        // Two paths whose ids are scrambled (a multiplicative permutation), so that linking hooks
        // deep trees under each other in every order; plus a path listed from its far end.
        let n = 20_000u32;
        let scramble = |i: u32| (i as u64 * 7_919 % n as u64) as u32;
        let mut edges: Vec<(u32, u32)> = (0..n / 2 - 1)
            .map(|i| (scramble(i + 1), scramble(i)))
            .collect();
        edges.extend((n / 2..n - 1).map(|i| (scramble(i), scramble(i + 1))));
        let g = Csr::directed(n, &edges, None, BuildOptions::MULTI).unwrap();
        let first = (0..n / 2).map(scramble).min().unwrap();
        let second = (n / 2..n).map(scramble).min().unwrap();
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let c = pool.install(|| wcc(&g, &Cancel::never()).unwrap());
            assert_eq!(c.count, 2);
            assert!((0..n / 2).all(|i| c.component[scramble(i) as usize] == first));
            assert!((n / 2..n).all(|i| c.component[scramble(i) as usize] == second));
        }
    }

    #[test]
    fn edges_beyond_the_sample_join_small_components_in_both_directions() {
        // A star out of 0: nodes 3..20 are reached only through their in-lists. A separate
        // 20 → 21 ← 22. Node 23's out-list is [24, 24, 25]: its link to 25 (in the star) is its
        // third out-edge, beyond the sample.
        let mut edges: Vec<(u32, u32)> = (1..20).map(|v| (0, v)).collect();
        edges.extend([(20, 21), (22, 21), (23, 24), (23, 24), (23, 25), (0, 25)]);
        let g = Csr::directed(26, &edges, None, BuildOptions::MULTI).unwrap();
        let c = wcc(&g, &Cancel::never()).unwrap();
        assert_eq!(c.count, 2);
        assert!((0..20).chain([23, 24, 25]).all(|v| c.component[v] == 0));
        assert!([20, 21, 22].iter().all(|&v| c.component[v] == 20));
        let u = g.to_undirected(BuildOptions::MULTI);
        assert_eq!(wcc(&u, &Cancel::never()).unwrap(), c);
    }
}
