//! Louvain community detection.
//!
//! Reference: Blondel, Guillaume, Lambiotte, Lefebvre, "Fast unfolding of communities in large
//! networks" (2008); parameters and stopping rule of NetworkX `louvain_communities(G, resolution=1,
//! threshold=1e-7, max_level=None, seed)`: a level is kept, and the next one attempted, while it
//! improves modularity by more than `threshold`. Local moving is sequential in a seeded random
//! node order (so results depend only on the seed); aggregation runs in parallel per community.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::cancel::{Cancel, Interrupted};
use crate::community::modularity::LevelGraph;
use crate::csr::Csr;
use crate::ids::{dense_by_min_member, min_member_ids};

/// Louvain settings.
#[derive(Debug, Clone, PartialEq)]
pub struct LouvainConfig {
    /// Resolution γ (> 0); below 1 favours larger communities.
    pub resolution: f64,
    /// Minimum modularity gain for another level.
    pub threshold: f64,
    /// Maximum number of levels (phases).
    pub max_levels: usize,
    /// Maximum local-moving sweeps per level.
    pub max_sweeps: usize,
    /// Seed for the node visiting order.
    pub seed: u64,
}

impl Default for LouvainConfig {
    fn default() -> Self {
        Self {
            resolution: 1.0,
            threshold: 1e-7,
            max_levels: usize::MAX,
            max_sweeps: usize::MAX,
            seed: 0,
        }
    }
}

/// A community assignment with its quality.
#[derive(Debug, Clone, PartialEq)]
pub struct CommunityResult {
    /// Per node, the smallest node id of its community.
    pub community: Vec<u32>,
    /// Number of communities.
    pub count: usize,
    /// Modularity of the assignment at the requested resolution.
    pub modularity: f64,
    /// Levels (aggregation phases) performed.
    pub levels: usize,
}

/// Moves single nodes between communities while modularity improves; returns whether any moved.
pub(crate) fn local_moving(
    g: &LevelGraph,
    comm: &mut [u32],
    gamma: f64,
    order: &[u32],
    max_sweeps: usize,
    cancel: &Cancel,
) -> Result<bool, Interrupted> {
    let n = g.len();
    let mut tot = vec![0.0; n];
    for v in 0..n {
        tot[comm[v] as usize] += g.strength[v];
    }
    let mut w_to = vec![0.0; n];
    let mut seen: Vec<u32> = Vec::new();
    let scale = gamma / (2.0 * g.m);
    let mut any = false;
    for _ in 0..max_sweeps {
        cancel.check()?;
        let mut moved = 0usize;
        for (i, &v) in order.iter().enumerate() {
            if i % 65_536 == 65_535 {
                cancel.check()?;
            }
            let v = v as usize;
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
            for &c in &seen {
                w_to[c as usize] = 0.0;
            }
            seen.clear();
            tot[best] += k;
            if best != old {
                comm[v] = best as u32;
                moved += 1;
            }
        }
        if moved == 0 {
            break;
        }
        any = true;
    }
    Ok(any)
}

/// Runs Louvain on an undirected graph (call on the undirected view).
pub fn louvain(
    g: &Csr,
    cfg: &LouvainConfig,
    cancel: &Cancel,
) -> Result<CommunityResult, Interrupted> {
    let base = LevelGraph::from_csr(g);
    let n = base.len();
    let mut node_comm: Vec<u32> = (0..n as u32).collect();
    if base.m == 0.0 {
        return Ok(CommunityResult {
            community: node_comm,
            count: n,
            modularity: 0.0,
            levels: 0,
        });
    }
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut level_graph = base.clone();
    let mut q = base.modularity(&node_comm, cfg.resolution);
    let mut levels = 0;
    while levels < cfg.max_levels {
        let len = level_graph.len();
        let mut comm: Vec<u32> = (0..len as u32).collect();
        let mut order: Vec<u32> = (0..len as u32).collect();
        order.shuffle(&mut rng);
        let moved = local_moving(
            &level_graph,
            &mut comm,
            cfg.resolution,
            &order,
            cfg.max_sweeps,
            cancel,
        )?;
        if !moved {
            break;
        }
        let (dense, k) = dense_by_min_member(&comm);
        for c in node_comm.iter_mut() {
            *c = dense[*c as usize];
        }
        levels += 1;
        let new_q = level_graph.modularity(&dense, cfg.resolution);
        level_graph = level_graph.aggregate(&dense, k);
        if new_q - q <= cfg.threshold {
            q = new_q;
            break;
        }
        q = new_q;
    }
    if levels > 1 {
        // Polish: single-node moves on the original graph can still improve a coarse partition.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.shuffle(&mut rng);
        if local_moving(
            &base,
            &mut node_comm,
            cfg.resolution,
            &order,
            cfg.max_sweeps,
            cancel,
        )? {
            let (dense, _) = dense_by_min_member(&node_comm);
            q = base.modularity(&dense, cfg.resolution);
        }
    }
    let community = min_member_ids(&node_comm);
    let count = crate::ids::count_groups(&community);
    Ok(CommunityResult {
        community,
        count,
        modularity: q,
        levels,
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
        let r = louvain(&g, &LouvainConfig::default(), &Cancel::never()).unwrap();
        assert_eq!(r.community, vec![0, 0, 0, 0, 0, 5, 5, 5, 5, 5]);
        assert_eq!(r.count, 2);
        assert!(r.modularity > 0.4);
    }
}
