//! Deterministic graph generators for tests and benchmarks.
//!
//! Owns seeded edge-list generators: uniform `G(n, m)` with replacement (so parallel edges and
//! self-loops occur), a planted-partition graph with the awkward cases parity tests need
//! (multi-edges, self-loops, a separate component, isolated nodes), a small bank-like graph, and
//! an R-MAT power-law generator for benchmarks. Same seed, same edges, on every platform.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

/// A generated graph: node count, directed edges, and a positive weight per edge.
#[derive(Debug, Clone, PartialEq)]
pub struct EdgeList {
    /// Number of nodes (ids `0..n`).
    pub n: u32,
    /// Directed edges.
    pub edges: Vec<(u32, u32)>,
    /// A weight in `[1, 10]` per edge.
    pub weights: Vec<f64>,
}

fn weights_for(edges: &[(u32, u32)], seed: u64) -> Vec<f64> {
    edges
        .par_iter()
        .enumerate()
        .map(|(i, _)| 1.0 + (crate::par::mix3(seed, i as u64, 7) % 91) as f64 / 10.0)
        .collect()
}

/// `m` edges drawn uniformly with replacement among `n` nodes.
pub fn uniform(n: u32, m: usize, seed: u64) -> EdgeList {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let edges: Vec<(u32, u32)> = (0..m)
        .map(|_| (rng.random_range(0..n), rng.random_range(0..n)))
        .collect();
    let weights = weights_for(&edges, seed);
    EdgeList { n, edges, weights }
}

/// A planted-partition test graph: `blocks` dense blocks of `block_size` nodes with sparse links
/// between them, a few explicit parallel edges and self-loops, a separate 4-node cycle, and 3
/// isolated nodes at the end.
pub fn planted(blocks: u32, block_size: u32, seed: u64) -> EdgeList {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let core = blocks * block_size;
    let mut edges = Vec::new();
    for u in 0..core {
        for v in 0..core {
            let same = u / block_size == v / block_size;
            let p = if same { 0.25 } else { 0.01 };
            if u != v && rng.random_bool(p) {
                edges.push((u, v));
            }
        }
    }
    for _ in 0..core / 5 {
        let u = rng.random_range(0..core);
        let v = rng.random_range(0..core);
        edges.push((u, v));
        edges.push((u, v));
        edges.push((u, u));
    }
    for i in 0..4 {
        edges.push((core + i, core + (i + 1) % 4));
    }
    edges.push((core + 1, core + 1));
    let n = core + 4 + 3;
    let weights = weights_for(&edges, seed);
    EdgeList { n, edges, weights }
}

/// A small bank-like graph: customers own accounts, accounts transfer money to accounts (heavy
/// tailed: a few hubs) and pay merchants. Node ids: customers, then accounts, then merchants.
pub fn bank_like(customers: u32, seed: u64) -> EdgeList {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let accounts = customers + customers / 2;
    let merchants = (customers / 10).max(2);
    let (a0, m0) = (customers, customers + accounts);
    let mut edges = Vec::new();
    for a in 0..accounts {
        edges.push((a % customers, a0 + a));
    }
    for a in 0..accounts {
        let transfers = rng.random_range(0..4);
        for _ in 0..transfers {
            // Squaring a uniform draw skews transfers towards low ids: hub accounts.
            let x: f64 = rng.random();
            let b = ((x * x) * f64::from(accounts)) as u32;
            edges.push((a0 + a, a0 + b.min(accounts - 1)));
        }
        if rng.random_bool(0.6) {
            edges.push((a0 + a, m0 + rng.random_range(0..merchants)));
        }
    }
    let n = m0 + merchants + 2;
    let weights = weights_for(&edges, seed);
    EdgeList { n, edges, weights }
}

/// R-MAT power-law graph (Chakrabarti, Zhan, Faloutsos 2004) with `2^scale` nodes and `m` edges,
/// partition probabilities (0.57, 0.19, 0.19, 0.05). Generated in parallel from per-edge seeds.
pub fn rmat(scale: u32, m: usize, seed: u64) -> EdgeList {
    let n = 1u32 << scale;
    const BLOCK: usize = 4096;
    let h = |x: u32| (crate::par::mix64(u64::from(x) ^ seed) % u64::from(n)) as u32;
    let edges: Vec<(u32, u32)> = (0..m.div_ceil(BLOCK))
        .into_par_iter()
        .flat_map_iter(|b| {
            // One generator per fixed block of edges: deterministic at any thread count.
            let mut rng = ChaCha8Rng::seed_from_u64(crate::par::mix3(seed, b as u64, 0));
            let len = BLOCK.min(m - b * BLOCK);
            (0..len)
                .map(|_| {
                    let (mut u, mut v) = (0u32, 0u32);
                    for _ in 0..scale {
                        let r: f64 = rng.random();
                        let (bu, bv) = if r < 0.57 {
                            (0, 0)
                        } else if r < 0.76 {
                            (0, 1)
                        } else if r < 0.95 {
                            (1, 0)
                        } else {
                            (1, 1)
                        };
                        u = (u << 1) | bu;
                        v = (v << 1) | bv;
                    }
                    // Scramble ids so hubs are not all at low ids.
                    (h(u), h(v))
                })
                .collect::<Vec<_>>()
        })
        .collect();
    EdgeList {
        n,
        edges,
        weights: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generators_are_deterministic_and_in_range() {
        assert_eq!(uniform(10, 50, 1), uniform(10, 50, 1));
        assert_ne!(uniform(10, 50, 1).edges, uniform(10, 50, 2).edges);
        let p = planted(3, 10, 5);
        assert!(p.edges.iter().all(|&(u, v)| u < p.n && v < p.n));
        assert!(p.edges.iter().any(|&(u, v)| u == v));
        let b = bank_like(50, 3);
        assert!(b.edges.iter().all(|&(u, v)| u < b.n && v < b.n));
        let r = rmat(10, 5000, 9);
        assert_eq!(r, rmat(10, 5000, 9));
        assert!(r.edges.iter().all(|&(u, v)| u < 1024 && v < 1024));
    }
}
