//! Betweenness centrality: exact and source-sampled.
//!
//! Reference: Brandes, "A Faster Algorithm for Betweenness Centrality" (2001); Brandes & Pich (2007)
//! for source sampling. Semantics (including `_rescale` with `endpoints=False`) follow NetworkX
//! `betweenness_centrality(G, k, normalized, seed)`. Sources are processed in fixed blocks whose
//! partial sums are added in block order, so results are identical at any thread count.

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;

/// Sources per block; fixed (not derived from the thread count) for determinism.
const BLOCK: usize = 16;

/// Betweenness settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BetweennessConfig {
    /// Divide by the number of ordered pairs (`(n-1)(n-2)`, sampled adjustment with `k`).
    pub normalized: bool,
    /// Number of sampled sources (`None` = exact: all nodes).
    pub k: Option<usize>,
    /// Seed for choosing the sampled sources.
    pub seed: u64,
}

/// The `k` sources a sampled run with `seed` uses (sorted), or all nodes when `k` is `None` or
/// `k >= n`.
pub fn sample_sources(n: usize, k: Option<usize>, seed: u64) -> Vec<u32> {
    match k {
        Some(k) if k < n => {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let mut s: Vec<u32> = sample(&mut rng, n, k)
                .into_iter()
                .map(|i| i as u32)
                .collect();
            s.sort_unstable();
            s
        }
        _ => (0..n as u32).collect(),
    }
}

/// Betweenness centrality of every node.
pub fn betweenness(
    g: &Csr,
    cfg: &BetweennessConfig,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let n = g.node_count();
    let sampled = cfg.k.filter(|&k| k < n);
    let sources = sample_sources(n, cfg.k, cfg.seed);
    let mut bc = betweenness_from_sources(g, &sources, cancel)?;
    rescale(
        &mut bc,
        g.is_directed(),
        cfg.normalized,
        sampled.map(|_| sources.as_slice()),
    );
    Ok(bc)
}

/// Betweenness estimated from the given source sample, rescaled like NetworkX does for a
/// `k`-sample of exactly these sources (lets callers and tests choose the sample).
pub fn betweenness_with_sources(
    g: &Csr,
    sources: &[u32],
    normalized: bool,
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let mut bc = betweenness_from_sources(g, sources, cancel)?;
    let sampled = (sources.len() < g.node_count()).then_some(sources);
    rescale(&mut bc, g.is_directed(), normalized, sampled);
    Ok(bc)
}

/// Raw (unscaled) Brandes dependency sums from the given sources.
pub fn betweenness_from_sources(
    g: &Csr,
    sources: &[u32],
    cancel: &Cancel,
) -> Result<Vec<f64>, Interrupted> {
    let n = g.node_count();
    let mut total = vec![0.0; n];
    let blocks: Vec<&[u32]> = sources.chunks(BLOCK).collect();
    let wave = rayon::current_num_threads().max(1) * 2;
    for group in blocks.chunks(wave) {
        cancel.check()?;
        let partials: Vec<Vec<f64>> = group
            .par_iter()
            .map(|block| {
                let mut st = Brandes::new(n);
                let mut acc = vec![0.0; n];
                for &s in *block {
                    if cancel.is_cancelled() {
                        break;
                    }
                    st.accumulate(g, s, &mut acc);
                }
                acc
            })
            .collect();
        cancel.check()?;
        for p in partials {
            for (t, x) in total.iter_mut().zip(p) {
                *t += x;
            }
        }
    }
    Ok(total)
}

/// Per-thread Brandes state (allocated once per block).
struct Brandes {
    sigma: Vec<f64>,
    dist: Vec<i64>,
    delta: Vec<f64>,
    stack: Vec<u32>,
}

impl Brandes {
    fn new(n: usize) -> Self {
        Self {
            sigma: vec![0.0; n],
            dist: vec![-1; n],
            delta: vec![0.0; n],
            stack: Vec::new(),
        }
    }

    fn accumulate(&mut self, g: &Csr, s: u32, acc: &mut [f64]) {
        for &v in &self.stack {
            let v = v as usize;
            self.sigma[v] = 0.0;
            self.dist[v] = -1;
            self.delta[v] = 0.0;
        }
        self.stack.clear();
        self.sigma[s as usize] = 1.0;
        self.dist[s as usize] = 0;
        self.stack.push(s);
        let mut head = 0;
        while head < self.stack.len() {
            let v = self.stack[head];
            head += 1;
            let dv = self.dist[v as usize];
            let sv = self.sigma[v as usize];
            for &w in g.out_neighbors(v) {
                let wi = w as usize;
                if self.dist[wi] < 0 {
                    self.dist[wi] = dv + 1;
                    self.stack.push(w);
                }
                if self.dist[wi] == dv + 1 {
                    self.sigma[wi] += sv;
                }
            }
        }
        // Predecessors are recovered from the incoming adjacency: v precedes w iff d(v) = d(w) - 1.
        for &w in self.stack.iter().rev() {
            let wi = w as usize;
            let coeff = (1.0 + self.delta[wi]) / self.sigma[wi];
            let dw = self.dist[wi];
            for &v in g.in_neighbors(w) {
                let vi = v as usize;
                if self.dist[vi] == dw - 1 && dw > 0 {
                    self.delta[vi] += self.sigma[vi] * coeff;
                }
            }
            if w != s {
                acc[wi] += self.delta[wi];
            }
        }
    }
}

/// NetworkX `_rescale` with `endpoints=False`.
fn rescale(bc: &mut [f64], directed: bool, normalized: bool, sampled: Option<&[u32]>) {
    let n = bc.len();
    if n < 3 {
        return;
    }
    let big_n = (n - 1) as f64;
    let correction = if directed { 1.0 } else { 2.0 };
    match sampled {
        None => {
            let scale = if normalized {
                1.0 / (big_n * (big_n - 1.0))
            } else {
                1.0 / correction
            };
            if scale != 1.0 {
                bc.iter_mut().for_each(|x| *x *= scale);
            }
        }
        Some(src) => {
            let k = src.len() as f64;
            let (s_src, s_non) = if normalized {
                (
                    if k > 1.0 {
                        1.0 / ((k - 1.0) * (big_n - 1.0))
                    } else {
                        f64::NAN
                    },
                    1.0 / (k * (big_n - 1.0)),
                )
            } else {
                (
                    if k > 1.0 {
                        big_n / ((k - 1.0) * correction)
                    } else {
                        f64::NAN
                    },
                    big_n / (k * correction),
                )
            };
            let mut is_src = vec![false; n];
            for &s in src {
                is_src[s as usize] = true;
            }
            for (v, x) in bc.iter_mut().enumerate() {
                *x *= if is_src[v] { s_src } else { s_non };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::BuildOptions;

    #[test]
    fn path_middle_node() {
        let g = Csr::undirected(3, &[(0, 1), (1, 2)], None, BuildOptions::SIMPLE).unwrap();
        let b = betweenness(
            &g,
            &BetweennessConfig {
                normalized: false,
                ..Default::default()
            },
            &Cancel::never(),
        )
        .unwrap();
        assert_eq!(b, vec![0.0, 1.0, 0.0]);
        let b = betweenness(
            &g,
            &BetweennessConfig {
                normalized: true,
                ..Default::default()
            },
            &Cancel::never(),
        )
        .unwrap();
        assert_eq!(b, vec![0.0, 1.0, 0.0]);
    }

    #[test]
    fn sampling_is_seeded() {
        assert_eq!(
            sample_sources(100, Some(10), 7),
            sample_sources(100, Some(10), 7)
        );
        assert_ne!(
            sample_sources(100, Some(10), 7),
            sample_sources(100, Some(10), 8)
        );
        assert_eq!(sample_sources(5, Some(10), 7), vec![0, 1, 2, 3, 4]);
    }
}
