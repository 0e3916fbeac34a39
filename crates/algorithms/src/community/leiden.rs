//! Leiden community detection.
//!
//! Reference: Traag, Waltman, van Eck, "From Louvain to Leiden: guaranteeing well-connected
//! communities" (2019), with the modularity quality function (igraph
//! `community_leiden(objective_function="modularity")`). Fast local moving uses a queue; the
//! refinement merges singletons greedily (the θ → 0 limit of the paper's randomised merge) into
//! well-connected sub-communities; aggregation uses the refined partition with the unrefined one as
//! the starting assignment. All sequential choices follow a seeded node order.

use std::collections::VecDeque;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::cancel::{Cancel, Interrupted};
use crate::community::louvain::CommunityResult;
use crate::community::modularity::LevelGraph;
use crate::csr::Csr;
use crate::ids::{dense_by_min_member, min_member_ids};

/// Leiden settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LeidenConfig {
    /// Resolution γ (> 0).
    pub resolution: f64,
    /// Maximum number of move/refine/aggregate rounds.
    pub max_levels: usize,
    /// Seed for node orders.
    pub seed: u64,
}

impl Default for LeidenConfig {
    fn default() -> Self {
        Self {
            resolution: 1.0,
            max_levels: 50,
            seed: 0,
        }
    }
}

/// Queue-based local moving; communities may also be emptied into fresh singletons.
fn fast_local_moving(
    g: &LevelGraph,
    comm: &mut [u32],
    gamma: f64,
    rng: &mut ChaCha8Rng,
    cancel: &Cancel,
) -> Result<(), Interrupted> {
    let n = g.len();
    let mut tot = vec![0.0; n];
    let mut size = vec![0usize; n];
    for v in 0..n {
        tot[comm[v] as usize] += g.strength[v];
        size[comm[v] as usize] += 1;
    }
    let mut free: Vec<u32> = (0..n as u32).filter(|&c| size[c as usize] == 0).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut queue: VecDeque<u32> = order.into_iter().collect();
    let mut queued = vec![true; n];
    let mut w_to = vec![0.0; n];
    let mut seen: Vec<u32> = Vec::new();
    let scale = gamma / (2.0 * g.m);
    let mut pops = 0usize;
    while let Some(v) = queue.pop_front() {
        pops += 1;
        if pops.is_multiple_of(65_536) {
            cancel.check()?;
        }
        let v = v as usize;
        queued[v] = false;
        let old = comm[v] as usize;
        let k = g.strength[v];
        let (t, w) = g.row(v);
        for (&u, &x) in t.iter().zip(w) {
            let c = comm[u as usize];
            if w_to[c as usize] == 0.0 {
                seen.push(c);
            }
            w_to[c as usize] += x;
        }
        tot[old] -= k;
        size[old] -= 1;
        let mut best = old;
        let mut best_gain = w_to[old] - scale * tot[old] * k;
        for &c in &seen {
            let c = c as usize;
            let gain = w_to[c] - scale * tot[c] * k;
            if gain > best_gain {
                best_gain = gain;
                best = c;
            }
        }
        if best_gain < 0.0 && size[old] > 0 {
            // Alone is better: move to an empty community.
            if let Some(e) = free.pop() {
                best = e as usize;
            }
        }
        for &c in &seen {
            w_to[c as usize] = 0.0;
        }
        seen.clear();
        tot[best] += k;
        size[best] += 1;
        if size[old] == 0 && old != best {
            free.push(old as u32);
        }
        if best != old {
            comm[v] = best as u32;
            for &u in t {
                let ui = u as usize;
                if !queued[ui] && comm[ui] as usize != best {
                    queued[ui] = true;
                    queue.push_back(u);
                }
            }
        }
    }
    Ok(())
}

/// Refines each community of `comm` into well-connected sub-communities.
fn refine(g: &LevelGraph, comm: &[u32], gamma: f64, rng: &mut ChaCha8Rng) -> Vec<u32> {
    let n = g.len();
    let scale = gamma / (2.0 * g.m);
    let mut ref_c: Vec<u32> = (0..n as u32).collect();
    let mut ref_tot: Vec<f64> = g.strength.clone();
    let mut ref_size = vec![1usize; n];
    let mut comm_tot = vec![0.0; n];
    for v in 0..n {
        comm_tot[comm[v] as usize] += g.strength[v];
    }
    // ext[r]: weight from refined community r to the rest of its community.
    let mut ext: Vec<f64> = (0..n)
        .map(|v| {
            let (t, w) = g.row(v);
            t.iter()
                .zip(w)
                .filter(|(u, _)| comm[**u as usize] == comm[v])
                .map(|(_, x)| x)
                .sum()
        })
        .collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(rng);
    let mut w_to = vec![0.0; n];
    let mut seen: Vec<u32> = Vec::new();
    for &v in &order {
        let v = v as usize;
        if ref_size[ref_c[v] as usize] != 1 {
            continue;
        }
        let c = comm[v] as usize;
        let k = g.strength[v];
        if ext[v] < scale * k * (comm_tot[c] - k) {
            continue;
        }
        let (t, w) = g.row(v);
        for (&u, &x) in t.iter().zip(w) {
            if comm[u as usize] as usize != c {
                continue;
            }
            let r = ref_c[u as usize];
            if w_to[r as usize] == 0.0 {
                seen.push(r);
            }
            w_to[r as usize] += x;
        }
        let mut best = v;
        let mut best_gain = 0.0;
        for &r in &seen {
            let r = r as usize;
            if r == v || ext[r] < scale * ref_tot[r] * (comm_tot[c] - ref_tot[r]) {
                continue;
            }
            let gain = w_to[r] - scale * k * ref_tot[r];
            if gain > best_gain {
                best_gain = gain;
                best = r;
            }
        }
        if best != v {
            ext[best] = ext[best] + ext[v] - 2.0 * w_to[best];
            ref_tot[best] += k;
            ref_size[best] += 1;
            ref_size[v] = 0;
            ref_c[v] = best as u32;
        }
        for &r in &seen {
            w_to[r as usize] = 0.0;
        }
        seen.clear();
    }
    ref_c
}

/// One Leiden run (move, refine, aggregate until stable) starting from `initial` on `base`.
fn leiden_pass(
    base: &LevelGraph,
    initial: &[u32],
    cfg: &LeidenConfig,
    rng: &mut ChaCha8Rng,
    cancel: &Cancel,
) -> Result<Vec<u32>, Interrupted> {
    let n = base.len();
    // node_agg[v]: aggregate node holding original node v.
    let mut node_agg: Vec<u32> = (0..n as u32).collect();
    let mut level_graph = base.clone();
    let mut comm: Vec<u32> = initial.to_vec();
    let mut levels = 0;
    loop {
        cancel.check()?;
        fast_local_moving(&level_graph, &mut comm, cfg.resolution, rng, cancel)?;
        let (dense, k) = dense_by_min_member(&comm);
        levels += 1;
        if k == level_graph.len() || levels >= cfg.max_levels {
            comm = dense;
            break;
        }
        let refined = refine(&level_graph, &dense, cfg.resolution, rng);
        let (rdense, rk) = dense_by_min_member(&refined);
        let mut next_comm = vec![0u32; rk];
        for v in 0..level_graph.len() {
            next_comm[rdense[v] as usize] = dense[v];
        }
        for a in node_agg.iter_mut() {
            *a = rdense[*a as usize];
        }
        level_graph = level_graph.aggregate(&rdense, rk);
        comm = next_comm;
    }
    Ok(node_agg.iter().map(|&a| comm[a as usize]).collect())
}

/// Runs Leiden on an undirected graph (call on the undirected view). Like igraph with
/// `n_iterations=-1`, passes are repeated from the previous partition until it stops changing
/// (at most `max_levels` passes).
pub fn leiden(
    g: &Csr,
    cfg: &LeidenConfig,
    cancel: &Cancel,
) -> Result<CommunityResult, Interrupted> {
    let base = LevelGraph::from_csr(g);
    let n = base.len();
    if base.m == 0.0 {
        return Ok(CommunityResult {
            community: (0..n as u32).collect(),
            count: n,
            modularity: 0.0,
            levels: 0,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut comm: Vec<u32> = (0..n as u32).collect();
    let mut passes = 0;
    while passes < cfg.max_levels {
        passes += 1;
        let next = min_member_ids(&leiden_pass(&base, &comm, cfg, &mut rng, cancel)?);
        let same = next == comm;
        comm = next;
        if same {
            break;
        }
    }
    let (dense, _) = dense_by_min_member(&comm);
    let modularity = base.modularity(&dense, cfg.resolution);
    let count = crate::ids::count_groups(&comm);
    Ok(CommunityResult {
        community: comm,
        count,
        modularity,
        levels: passes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn finds_two_cliques() {
        let mut e = Vec::new();
        for a in 0..5u32 {
            for b in a + 1..5 {
                e.push((a, b));
                e.push((a + 5, b + 5));
            }
        }
        e.push((4, 5));
        let g = Csr::undirected(10, &e, None, BuildOptions::SIMPLE).unwrap();
        let r = leiden(&g, &LeidenConfig::default(), &Cancel::never()).unwrap();
        assert_eq!(r.community, vec![0, 0, 0, 0, 0, 5, 5, 5, 5, 5]);
        assert!(r.modularity > 0.4);
    }
}
