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

fn find(parent: &[AtomicU32], mut x: u32) -> u32 {
    loop {
        let p = parent[x as usize].load(Ordering::Relaxed);
        if p == x {
            return x;
        }
        let gp = parent[p as usize].load(Ordering::Relaxed);
        if gp != p {
            // Path halving; failure just means someone else already shortened it.
            let _ = parent[x as usize].compare_exchange_weak(p, gp, Ordering::Relaxed, Ordering::Relaxed);
        }
        x = gp;
    }
}

fn union(parent: &[AtomicU32], a: u32, b: u32) {
    let (mut a, mut b) = (a, b);
    loop {
        a = find(parent, a);
        b = find(parent, b);
        if a == b {
            return;
        }
        let (hi, lo) = if a > b { (a, b) } else { (b, a) };
        if parent[hi as usize].compare_exchange(hi, lo, Ordering::AcqRel, Ordering::Relaxed).is_ok() {
            return;
        }
    }
}

/// Weakly connected components (edge direction ignored).
pub fn wcc(g: &Csr, cancel: &Cancel) -> Result<Components, Interrupted> {
    let n = g.n();
    let parent: Vec<AtomicU32> = (0..n).map(AtomicU32::new).collect();
    const STEP: u32 = 1 << 16;
    let chunks = n.div_ceil(STEP);
    (0..chunks).into_par_iter().try_for_each(|c| {
        cancel.check()?;
        for u in c * STEP..((c + 1) * STEP).min(n) {
            for &v in g.out_neighbors(u) {
                if v != u {
                    union(&parent, u, v);
                }
            }
        }
        Ok::<(), Interrupted>(())
    })?;
    let component: Vec<u32> = (0..n).into_par_iter().map(|v| find(&parent, v)).collect();
    let count = component.par_iter().enumerate().filter(|&(v, &c)| v as u32 == c).count();
    Ok(Components { component, count })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn components_are_labelled_by_smallest_member() {
        let g = Csr::directed(6, &[(5, 2), (2, 4), (3, 1), (0, 0)], None, BuildOptions::MULTI).unwrap();
        let c = wcc(&g, &Cancel::never()).unwrap();
        assert_eq!(c.component, vec![0, 1, 2, 1, 2, 2]);
        assert_eq!(c.count, 3);
    }
}
