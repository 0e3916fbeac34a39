//! Semi-synchronous label propagation.
//!
//! Reference: Cordasco & Gargano, "Community detection via semi-synchronous label propagation
//! algorithms" (2010); NetworkX `label_propagation_communities(G)`: nodes are coloured greedily
//! (largest degree first), then colour classes are updated in turn; a node adopts the most frequent
//! label among its neighbours, keeping its own label when that is among the most frequent and
//! otherwise taking the largest (NetworkX) or a seeded pseudo-random one (native). Nodes of one
//! colour are never adjacent, so each class is updated in parallel with the same result as a
//! sequential pass.

use std::collections::HashMap;

use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;
use crate::ids::min_member_ids;
use crate::par::mix3;

/// How ties between equally frequent labels are broken when the current label is not among them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TieBreak {
    /// The largest label (NetworkX).
    Largest,
    /// A pseudo-random label derived from `(seed, node, label)`.
    Seeded(u64),
}

/// Label propagation result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelPropagationResult {
    /// Per node, the smallest node id of its community.
    pub community: Vec<u32>,
    /// Number of communities.
    pub count: usize,
    /// Colour-class sweeps performed.
    pub iterations: usize,
    /// Whether every node ended with a most frequent label.
    pub converged: bool,
}

/// Greedy colouring, largest degree first (NetworkX `greedy_color(G, "largest_first")`), as
/// colour classes in colour order.
fn colour_classes(g: &Csr) -> Vec<Vec<u32>> {
    let n = g.n();
    let degree = |v: u32| g.out_degree(v) + g.out_neighbors(v).iter().filter(|&&t| t == v).count();
    let mut order: Vec<u32> = (0..n).collect();
    order.sort_by_key(|&v| std::cmp::Reverse(degree(v)));
    let mut colour = vec![u32::MAX; n as usize];
    let mut used: Vec<u32> = Vec::new();
    let mut classes: Vec<Vec<u32>> = Vec::new();
    for v in order {
        used.clear();
        for &u in g.out_neighbors(v) {
            if colour[u as usize] != u32::MAX {
                used.push(colour[u as usize]);
            }
        }
        used.sort_unstable();
        used.dedup();
        let c = used
            .iter()
            .enumerate()
            .find(|&(i, &c)| i as u32 != c)
            .map_or(used.len(), |(i, _)| i);
        colour[v as usize] = c as u32;
        if c == classes.len() {
            classes.push(Vec::new());
        }
        classes[c].push(v);
    }
    for c in &mut classes {
        c.sort_unstable();
    }
    classes
}

/// Most frequent neighbour labels of `v` (each distinct neighbour once), or `None` if isolated.
fn best_label(g: &Csr, v: u32, labels: &[u32], tie: TieBreak) -> Option<(u32, bool)> {
    let nb = g.out_neighbors(v);
    if nb.is_empty() {
        return None;
    }
    let mut freq: HashMap<u32, u32> = HashMap::new();
    for (i, &u) in nb.iter().enumerate() {
        if i > 0 && nb[i - 1] == u {
            continue;
        }
        *freq.entry(labels[u as usize]).or_insert(0) += 1;
    }
    let max = freq.values().copied().max().unwrap_or(0);
    let own = labels[v as usize];
    if freq.get(&own) == Some(&max) {
        return Some((own, true));
    }
    let best = freq.iter().filter(|&(_, &f)| f == max).map(|(&l, _)| l);
    let chosen = match tie {
        TieBreak::Largest => best.max(),
        TieBreak::Seeded(seed) => best.min_by_key(|&l| (mix3(seed, u64::from(v), u64::from(l)), l)),
    };
    chosen.map(|l| (l, false))
}

/// Runs label propagation on an undirected graph (call on the undirected view).
pub fn label_propagation(
    g: &Csr,
    max_iterations: usize,
    tie: TieBreak,
    cancel: &Cancel,
) -> Result<LabelPropagationResult, Interrupted> {
    let classes = colour_classes(g);
    let mut labels: Vec<u32> = (0..g.n()).collect();
    let mut iterations = 0;
    let mut converged = false;
    while iterations < max_iterations {
        cancel.check()?;
        let complete = (0..g.n())
            .into_par_iter()
            .all(|v| best_label(g, v, &labels, tie).is_none_or(|(_, keep)| keep));
        if complete {
            converged = true;
            break;
        }
        iterations += 1;
        for class in &classes {
            let updates: Vec<(u32, u32)> = class
                .par_iter()
                .filter_map(|&v| {
                    best_label(g, v, &labels, tie)
                        .filter(|&(_, keep)| !keep)
                        .map(|(l, _)| (v, l))
                })
                .collect();
            for (v, l) in updates {
                labels[v as usize] = l;
            }
        }
    }
    if !converged {
        converged = (0..g.n())
            .into_par_iter()
            .all(|v| best_label(g, v, &labels, tie).is_none_or(|(_, keep)| keep));
    }
    let community = min_member_ids(&labels);
    let count = crate::ids::count_groups(&community);
    Ok(LabelPropagationResult {
        community,
        count,
        iterations,
        converged,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn two_triangles() {
        let e = [(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3)];
        let g = Csr::undirected(7, &e, None, BuildOptions::SIMPLE).unwrap();
        let r = label_propagation(&g, 100, TieBreak::Largest, &Cancel::never()).unwrap();
        assert_eq!(r.community, vec![0, 0, 0, 3, 3, 3, 6]);
        assert!(r.converged);
        let s = label_propagation(&g, 100, TieBreak::Seeded(3), &Cancel::never()).unwrap();
        assert_eq!(s.community, r.community);
    }
}
