//! Betweenness centrality: exact and source-sampled.
//!
//! Reference: Brandes, "A Faster Algorithm for Betweenness Centrality" (2001); Brandes & Pich (2007)
//! for source sampling. Semantics (including `_rescale` with `endpoints=False`) follow NetworkX
//! `betweenness_centrality(G, k, normalized, seed)`. Sources are processed in blocks whose partial
//! sums are added in block order; the block length depends only on the number of sources (short
//! blocks for few sources, so that even 16 sources spread over every thread), never on the thread
//! count, so results are identical at any thread count.

use std::sync::Mutex;

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::cancel::{Cancel, Interrupted};
use crate::csr::Csr;
use crate::par::CHUNK;
use crate::paths::bfs::UNREACHED;

/// Longest block of sources summed into one partial vector.
const MAX_BLOCK: usize = 16;

/// Sources per block for a run over `sources` sources: one per block up to 64 sources, growing to
/// [`MAX_BLOCK`] by 1 024 (fewer partial vectors to add for exact runs). A function of the source
/// count alone, for determinism.
fn block_len(sources: usize) -> usize {
    (sources / 64).clamp(1, MAX_BLOCK)
}

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
    let blocks: Vec<&[u32]> = sources.chunks(block_len(sources.len())).collect();
    let wave = rayon::current_num_threads().max(1) * 2;
    let pool = Mutex::new(Vec::new());
    for group in blocks.chunks(wave) {
        cancel.check()?;
        let partials: Vec<Vec<f64>> = group
            .par_iter()
            .map_init(
                || Lease::take(&pool, n, g.out_adj().len()),
                |lease, block| {
                    let mut acc = vec![0.0; n];
                    for &s in *block {
                        if cancel.is_cancelled() {
                            break;
                        }
                        lease.state.accumulate(g, s, &mut acc);
                    }
                    acc
                },
            )
            .collect();
        cancel.check()?;
        // Partial vectors are added in block order for every node: the same sums at any
        // thread count.
        total
            .par_chunks_mut(CHUNK)
            .enumerate()
            .for_each(|(c, slots)| {
                for p in &partials {
                    for (t, x) in slots.iter_mut().zip(&p[c * CHUNK..]) {
                        *t += x;
                    }
                }
            });
    }
    Ok(total)
}

/// Per-thread Brandes state, reset between sources by visiting only what the last one reached.
struct Brandes {
    /// Per node: the number of shortest paths σ(v) during the forward pass; once v's dependency
    /// is final in the backward pass, `(1 + δ(v)) / σ(v)` — what v's predecessors add up (σ(v)
    /// is not needed after). One array instead of two keeps each thread's state small (12 bytes
    /// a node with `dist`), so that the threads' states share the cache better.
    value: Vec<f64>,
    /// Hop distances ([`UNREACHED`] when not reached).
    dist: Vec<u32>,
    /// Reached nodes in BFS order.
    stack: Vec<u32>,
    /// One bit per out-list entry: set by the forward pass when the entry leads one hop further
    /// (a shortest-path successor), read and cleared by the backward pass. The backward pass then
    /// touches only successors, in list order, instead of every neighbour's distance — on a
    /// large graph most neighbours sit on the same level or one closer, and each distance read is
    /// a cache miss, while the bits of one list are adjacent (one bit an entry: 2.5 MB a thread
    /// at 20 M entries).
    succ: Vec<u64>,
}

impl Brandes {
    fn new(n: usize, entries: usize) -> Self {
        Self {
            value: vec![0.0; n],
            dist: vec![UNREACHED; n],
            stack: Vec::new(),
            succ: vec![0; entries.div_ceil(64)],
        }
    }

    fn accumulate(&mut self, g: &Csr, s: u32, acc: &mut [f64]) {
        let adj = g.out_adj();
        let (offsets, targets) = (adj.offsets(), adj.targets_all());
        for &v in &self.stack {
            let v = v as usize;
            self.value[v] = 0.0;
            self.dist[v] = UNREACHED;
        }
        self.stack.clear();
        self.value[s as usize] = 1.0;
        self.dist[s as usize] = 0;
        self.stack.push(s);
        let mut head = 0;
        while head < self.stack.len() {
            let v = self.stack[head] as usize;
            head += 1;
            let next = self.dist[v] + 1;
            let sv = self.value[v];
            let (lo, hi) = (offsets[v], offsets[v + 1]);
            for (e, &w) in (lo..hi).zip(&targets[lo..hi]) {
                let wi = w as usize;
                if self.dist[wi] == UNREACHED {
                    self.dist[wi] = next;
                    self.stack.push(w);
                }
                if self.dist[wi] == next {
                    self.value[wi] += sv;
                    self.succ[e / 64] |= 1 << (e % 64);
                }
            }
        }
        // Dependencies in reverse BFS order, each pulled from the node's successors (already
        // final): δ(v) = σ(v) · Σ (1 + δ(w)) / σ(w), summed in list order.
        let Self {
            value, stack, succ, ..
        } = self;
        for &v in stack.iter().rev() {
            let vi = v as usize;
            let sum = take_successors(succ, value, targets, offsets[vi]..offsets[vi + 1]);
            let sigma = value[vi];
            let delta = sigma * sum;
            value[vi] = (1.0 + delta) / sigma;
            if v != s {
                acc[vi] += delta;
            }
        }
    }
}

/// Σ `value[w]` over the successor entries of one list (`list` indexes `targets`), in list
/// order, clearing their bits in `succ` (only this list's: a word may hold the end of the
/// previous list and the start of the next), so that the bitmap is all zero again after the
/// backward pass.
#[inline]
fn take_successors(
    succ: &mut [u64],
    value: &[f64],
    targets: &[u32],
    list: std::ops::Range<usize>,
) -> f64 {
    let (mut e, hi) = (list.start, list.end);
    let mut sum = 0.0;
    while e < hi {
        let (word, bit) = (e / 64, e % 64);
        let len = (hi - e).min(64 - bit);
        let mask = if len == 64 { !0 } else { (1u64 << len) - 1 };
        let mut bits = (succ[word] >> bit) & mask;
        succ[word] &= !(mask << bit);
        while bits != 0 {
            let t = bits.trailing_zeros() as usize;
            sum += value[targets[e + t] as usize];
            bits &= bits - 1;
        }
        e += len;
    }
    sum
}

/// A [`Brandes`] state taken from a shared pool for one parallel task and put back when the
/// task ends, so a run allocates one state per thread rather than one per task.
struct Lease<'a> {
    state: Brandes,
    pool: &'a Mutex<Vec<Brandes>>,
}

impl<'a> Lease<'a> {
    fn take(pool: &'a Mutex<Vec<Brandes>>, n: usize, entries: usize) -> Self {
        let spare = pool.lock().ok().and_then(|mut p| p.pop());
        Self {
            state: spare.unwrap_or_else(|| Brandes::new(n, entries)),
            pool,
        }
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        // An empty state (no allocation) stands in for the one handed back.
        let state = std::mem::replace(&mut self.state, Brandes::new(0, 0));
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(state);
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

    /// Textbook Brandes with explicit predecessor lists, one source after another.
    fn reference(g: &Csr, sources: &[u32]) -> Vec<f64> {
        let n = g.node_count();
        let mut bc = vec![0.0; n];
        for &s in sources {
            let mut sigma = vec![0.0; n];
            let mut dist = vec![-1i64; n];
            let mut preds: Vec<Vec<u32>> = vec![Vec::new(); n];
            let mut order = vec![s];
            sigma[s as usize] = 1.0;
            dist[s as usize] = 0;
            let mut head = 0;
            while head < order.len() {
                let v = order[head];
                head += 1;
                for &w in g.out_neighbors(v) {
                    if dist[w as usize] < 0 {
                        dist[w as usize] = dist[v as usize] + 1;
                        order.push(w);
                    }
                    if dist[w as usize] == dist[v as usize] + 1 {
                        sigma[w as usize] += sigma[v as usize];
                        preds[w as usize].push(v);
                    }
                }
            }
            let mut delta = vec![0.0; n];
            for &w in order.iter().rev() {
                for &v in &preds[w as usize] {
                    delta[v as usize] +=
                        sigma[v as usize] / sigma[w as usize] * (1.0 + delta[w as usize]);
                }
                if w != s {
                    bc[w as usize] += delta[w as usize];
                }
            }
        }
        bc
    }

    #[test]
    fn equals_textbook_brandes_and_is_identical_at_any_thread_count() {
        use crate::generate::{rmat, uniform};
        let c = Cancel::never();
        let r = rmat(9, 3_000, 4);
        let u = uniform(300, 900, 6);
        for (list, opts) in [(r, BuildOptions::MULTI), (u, BuildOptions::SIMPLE)] {
            let d = Csr::directed(list.n, &list.edges, None, opts).unwrap();
            for g in [d.clone(), d.to_undirected(opts)] {
                // 16 sources (one per block), 200 (three per block) and every node.
                let all: Vec<u32> = (0..g.n()).collect();
                for sources in [&all[..16], &all[..200], &all[..]] {
                    let want = reference(&g, sources);
                    let runs: Vec<Vec<f64>> = [1, 3]
                        .iter()
                        .map(|&t| {
                            let pool = rayon::ThreadPoolBuilder::new()
                                .num_threads(t)
                                .build()
                                .unwrap();
                            pool.install(|| betweenness_from_sources(&g, sources, &c).unwrap())
                        })
                        .collect();
                    assert_eq!(runs[0], runs[1], "bit-identical on 1 and 3 threads");
                    for (a, b) in runs[0].iter().zip(&want) {
                        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} vs {b}");
                    }
                }
            }
        }
        // Edge cases: empty graph, isolated nodes, self-loops, unreachable nodes.
        let empty = Csr::directed(0, &[], None, BuildOptions::MULTI).unwrap();
        assert!(
            betweenness_from_sources(&empty, &[], &c)
                .unwrap()
                .is_empty()
        );
        let g = Csr::directed(
            5,
            &[(0, 0), (0, 1), (1, 2), (1, 1), (3, 2)],
            None,
            BuildOptions::MULTI,
        )
        .unwrap();
        let all = [0, 1, 2, 3, 4];
        assert_eq!(
            betweenness_from_sources(&g, &all, &c).unwrap(),
            reference(&g, &all)
        );
        assert_eq!(
            betweenness_from_sources(&g, &all, &c).unwrap(),
            vec![0.0, 1.0, 0.0, 0.0, 0.0]
        );
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
