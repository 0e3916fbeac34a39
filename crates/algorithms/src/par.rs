//! Deterministic parallel helpers shared by the kernels.
//!
//! Owns the rules that keep floating-point results identical at any rayon thread count:
//! reductions are cut into fixed-size chunks whose partial results are combined in chunk order,
//! never by rayon's adaptive splitting. Also owns the stateless per-node hash used where a kernel
//! needs "random" choices that must not depend on scheduling.

use rayon::prelude::*;

/// Chunk length for deterministic reductions; fixed so results do not depend on thread count.
pub const CHUNK: usize = 4096;

/// Sums `values` in parallel with a result independent of the number of threads.
pub fn det_sum(values: &[f64]) -> f64 {
    let partial: Vec<f64> = values
        .par_chunks(CHUNK)
        .map(|c| c.iter().sum::<f64>())
        .collect();
    partial.iter().sum()
}

/// Sums `f(i)` for `i in 0..n` in parallel with a result independent of the number of threads.
pub fn det_sum_by<F>(n: usize, f: F) -> f64
where
    F: Fn(usize) -> f64 + Sync,
{
    let chunks = n.div_ceil(CHUNK);
    let partial: Vec<f64> = (0..chunks)
        .into_par_iter()
        .map(|c| {
            let end = ((c + 1) * CHUNK).min(n);
            (c * CHUNK..end).map(&f).sum::<f64>()
        })
        .collect();
    partial.iter().sum()
}

/// SplitMix64 finaliser: a stateless, well-mixed hash of `x`, used for seeded tie-breaking and
/// random projections where the value must depend only on (seed, node, …), not on iteration order.
pub fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Hash of a seed and two values, for per-(node, item) decisions.
pub fn mix3(seed: u64, a: u64, b: u64) -> u64 {
    mix64(mix64(seed ^ mix64(a)) ^ b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_sum_matches_serial_sum_for_exact_values() {
        let v: Vec<f64> = (0..10_000).map(|i| i as f64).collect();
        assert_eq!(det_sum(&v), 49_995_000.0);
        assert_eq!(det_sum_by(10_000, |i| i as f64), 49_995_000.0);
    }

    #[test]
    fn mix_is_deterministic_and_spreads() {
        assert_eq!(mix64(1), mix64(1));
        assert_ne!(mix64(1), mix64(2));
        assert_ne!(mix3(0, 1, 2), mix3(0, 2, 1));
    }
}
