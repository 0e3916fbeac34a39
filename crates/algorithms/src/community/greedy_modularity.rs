//! Greedy modularity maximisation (Clauset–Newman–Moore).
//!
//! Reference: Clauset, Newman, Moore, "Finding community structure in very large networks" (2004);
//! NetworkX `greedy_modularity_communities(G, resolution=1)`: start from singletons and repeatedly
//! merge the pair of adjacent communities with the largest modularity gain while the gain is
//! positive. A lazy max-heap over candidate pairs; ties go to the smallest `(i, j)` pair.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::cancel::{Cancel, Interrupted};
use crate::community::louvain::CommunityResult;
use crate::community::modularity::LevelGraph;
use crate::csr::Csr;
use crate::ids::{count_groups, dense_by_min_member, min_member_ids};

#[derive(PartialEq)]
struct Cand {
    dq: f64,
    i: u32,
    j: u32,
}

impl Eq for Cand {}

impl Ord for Cand {
    fn cmp(&self, o: &Self) -> Ordering {
        self.dq
            .total_cmp(&o.dq)
            .then_with(|| (o.i, o.j).cmp(&(self.i, self.j)))
    }
}

impl PartialOrd for Cand {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// Runs CNM greedy modularity on an undirected graph (call on the undirected view).
pub fn greedy_modularity(
    g: &Csr,
    resolution: f64,
    cancel: &Cancel,
) -> Result<CommunityResult, Interrupted> {
    let lg = LevelGraph::from_csr(g);
    let n = lg.len();
    let mut parent: Vec<u32> = (0..n as u32).collect();
    if lg.m == 0.0 {
        return Ok(CommunityResult {
            community: parent,
            count: n,
            modularity: 0.0,
            levels: 0,
        });
    }
    let m2 = 2.0 * lg.m;
    // e[i][j]: fraction of edge ends between communities i and j (each direction); a[i]: degree share.
    let mut e: Vec<HashMap<u32, f64>> = (0..n)
        .map(|v| {
            let (t, w) = lg.row(v);
            t.iter().zip(w).map(|(&u, &x)| (u, x / m2)).collect()
        })
        .collect();
    let mut a: Vec<f64> = lg.strength.iter().map(|s| s / m2).collect();
    let dq = |eij: f64, ai: f64, aj: f64| 2.0 * (eij - resolution * ai * aj);
    let mut heap = BinaryHeap::new();
    for i in 0..n {
        for (&j, &eij) in &e[i] {
            if (i as u32) < j {
                heap.push(Cand {
                    dq: dq(eij, a[i], a[j as usize]),
                    i: i as u32,
                    j,
                });
            }
        }
    }
    let mut alive = vec![true; n];
    let mut pops = 0usize;
    while let Some(Cand { dq: d, i, j }) = heap.pop() {
        pops += 1;
        if pops.is_multiple_of(4096) {
            cancel.check()?;
        }
        let (iu, ju) = (i as usize, j as usize);
        if !alive[iu] || !alive[ju] {
            continue;
        }
        let Some(&eij) = e[iu].get(&j) else { continue };
        let current = dq(eij, a[iu], a[ju]);
        if current != d {
            continue;
        }
        if d <= 0.0 {
            break;
        }
        // Merge i into j (the larger id keeps the community, as NetworkX merges u into v).
        let ei = std::mem::take(&mut e[iu]);
        alive[iu] = false;
        parent[iu] = j;
        for (k, eik) in ei {
            if k == j {
                continue;
            }
            *e[ju].entry(k).or_insert(0.0) += eik;
            let ek = &mut e[k as usize];
            let v = ek.remove(&i).unwrap_or(0.0);
            *ek.entry(j).or_insert(0.0) += v;
        }
        e[ju].remove(&i);
        a[ju] += a[iu];
        a[iu] = 0.0;
        let mut ks: Vec<(u32, f64)> = e[ju].iter().map(|(&k, &x)| (k, x)).collect();
        ks.sort_unstable_by_key(|p| p.0);
        for (k, ejk) in ks {
            let (x, y) = if j < k { (j, k) } else { (k, j) };
            heap.push(Cand {
                dq: dq(ejk, a[ju], a[k as usize]),
                i: x,
                j: y,
            });
        }
    }
    let labels: Vec<u32> = (0..n as u32)
        .map(|v| {
            let mut r = v;
            while parent[r as usize] != r {
                r = parent[r as usize];
            }
            r
        })
        .collect();
    let (dense, _) = dense_by_min_member(&labels);
    let modularity = lg.modularity(&dense, resolution);
    let community = min_member_ids(&labels);
    let count = count_groups(&community);
    Ok(CommunityResult {
        community,
        count,
        modularity,
        levels: 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn two_triangles_with_bridge() {
        let e = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (2, 3)];
        let g = Csr::undirected(6, &e, None, BuildOptions::SIMPLE).unwrap();
        let r = greedy_modularity(&g, 1.0, &Cancel::never()).unwrap();
        assert_eq!(r.community, vec![0, 0, 0, 3, 3, 3]);
    }
}
