//! Seeded sampling helpers shared by the table generators: weighted choices, a normal variate,
//! heavy-tailed ranks and dates.
//!
//! Owns how randomness is drawn (one ChaCha stream per table, so tables do not depend on each
//! other's draws). Does not own what the tables contain.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The seed of every demo warehouse.
pub const SEED: u64 = 0x6752_4150_485f_4f4c; // "gRAPH_OL"

/// A generator for one table: the demo seed, on the table's own stream.
pub(crate) fn table_rng(stream: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(SEED);
    rng.set_stream(stream);
    rng
}

/// Picks an item with probability proportional to its weight.
pub(crate) fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut pick = rng.random_range(0..total);
    for (item, weight) in items {
        if pick < *weight {
            return item;
        }
        pick -= weight;
    }
    &items[items.len() - 1].0
}

/// A standard normal variate (Box–Muller).
pub(crate) fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = 1.0 - rng.random::<f64>(); // (0, 1]
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A rank in `0..n` concentrated on small ranks (about a fifth of draws land in the top 1 %),
/// giving hubs when ranks index a shuffled list.
pub(crate) fn heavy_rank(rng: &mut impl Rng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((n as f64) * u.powi(3)).floor().min((n - 1) as f64) as usize
}

/// Shuffles `items` in place (Fisher–Yates), deterministic for a given generator state.
pub(crate) fn shuffle<T>(rng: &mut impl Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

/// Days since 1970-01-01 of a calendar date.
pub(crate) fn epoch_days(year: i32, month: u32, day: u32) -> i32 {
    let date = chrono::NaiveDate::from_ymd_opt(year, month, day).expect("valid date");
    (date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date")).num_days() as i32
}
