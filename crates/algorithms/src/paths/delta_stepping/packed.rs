//! The outgoing adjacency of a graph with whole-number weights, packed for shortest paths.
//!
//! Why: Δ-stepping's time goes into one random read of the target's distance per edge. With
//! whole-number weights whose every simple path (and one edge more) sums below `u32::MAX`, distances fit in a `u32`
//! (exactly: the `f64` sums of such integers are exact too), which halves the distance array, and
//! each edge's target and weight sit side by side in one `u64` instead of two arrays.

use rayon::prelude::*;

use crate::csr::Adjacency;

/// Targets and `u32` weights of the outgoing lists, one `u64` per edge (target in the low half),
/// aligned with the adjacency's offsets. Built by [`crate::Csr::integer_weights`].
#[derive(Debug, Clone)]
pub struct IntegerWeights {
    offsets: Vec<usize>,
    edges: Vec<u64>,
}

impl IntegerWeights {
    /// The packed lists of `out` (an `n`-node adjacency), or `None` when it is unweighted or a
    /// weight is not a whole number, or `n` times the largest weight reaches `u32::MAX` (the
    /// "unreached" mark; a tentative distance is a simple path of fewer than `n` edges, plus one
    /// edge when relaxed).
    pub(crate) fn new(out: &Adjacency, n: usize) -> Option<Self> {
        let all = out.weights_all()?;
        let integral = |w: f64| w >= 0.0 && w.fract() == 0.0 && w <= f64::from(u32::MAX);
        let max = all
            .par_iter()
            .with_min_len(1 << 14)
            .map(|&w| if integral(w) { w } else { f64::NAN })
            .reduce(
                || 0.0,
                |a, b| {
                    if a.is_nan() || b.is_nan() {
                        f64::NAN
                    } else {
                        a.max(b)
                    }
                },
            );
        if max.is_nan() || max * n as f64 >= f64::from(u32::MAX) {
            return None;
        }
        let targets = out.targets_all();
        let edges = targets
            .par_iter()
            .zip(all.par_iter())
            .with_min_len(1 << 14)
            .map(|(&t, &w)| u64::from(t) | (u64::from(w as u32) << 32))
            .collect();
        Some(Self {
            offsets: out.offsets().to_vec(),
            edges,
        })
    }

    /// `(target, weight)` of every outgoing edge of `u`.
    #[inline]
    pub(super) fn each(&self, u: u32, mut f: impl FnMut(u32, u32)) {
        let u = u as usize;
        for &e in &self.edges[self.offsets[u]..self.offsets[u + 1]] {
            f(e as u32, (e >> 32) as u32);
        }
    }

    /// Bytes held.
    pub fn memory_bytes(&self) -> usize {
        self.offsets.len() * std::mem::size_of::<usize>() + self.edges.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use crate::csr::{BuildOptions, Csr};

    #[test]
    fn packs_only_small_whole_weights() {
        let e = [(0, 1), (1, 2), (0, 2)];
        let g = Csr::directed(3, &e, Some(&[3.0, 0.0, 7.0]), BuildOptions::SIMPLE).unwrap();
        let p = g.integer_weights().expect("whole weights");
        let mut seen = Vec::new();
        p.each(0, |t, w| seen.push((t, w)));
        assert_eq!(seen, vec![(1, 3), (2, 7)]);
        for w in [[3.0, 0.5, 7.0], [3.0, -1.0, 7.0], [3.0, 3e9, 7.0]] {
            let g = Csr::directed(3, &e, Some(&w), BuildOptions::SIMPLE).unwrap();
            assert!(g.integer_weights().is_none(), "{w:?}");
        }
        let g = Csr::directed(3, &e, None, BuildOptions::SIMPLE).unwrap();
        assert!(g.integer_weights().is_none());
    }
}
