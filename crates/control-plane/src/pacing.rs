//! Housekeeping paced per process: a chore (purging expired rows, say) that any request may do,
//! but that should run at most once per interval however many requests pass by.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, Utc};

/// When a paced chore last ran in this process; [`Paced::due`] claims the next run.
#[derive(Debug)]
pub struct Paced {
    last_ms: AtomicI64,
}

impl Paced {
    /// A chore that has never run (its first [`Paced::due`] is true).
    pub const fn new() -> Self {
        Paced {
            last_ms: AtomicI64::new(i64::MIN),
        }
    }

    /// Whether the chore should run now: `interval` has passed since its last run, and this
    /// caller — not a concurrent one — claimed the run.
    pub fn due(&self, now: DateTime<Utc>, interval: Duration) -> bool {
        let last = self.last_ms.load(Ordering::Relaxed);
        let now_ms = now.timestamp_millis();
        now_ms.saturating_sub(last) >= interval.num_milliseconds()
            && self
                .last_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

impl Default for Paced {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chore_runs_once_per_interval() {
        let chore = Paced::new();
        let t0 = Utc::now();
        let every = Duration::minutes(10);
        assert!(chore.due(t0, every), "the first call runs it");
        assert!(!chore.due(t0, every));
        assert!(!chore.due(t0 + Duration::minutes(9), every));
        assert!(chore.due(t0 + Duration::minutes(10), every));
        assert!(!chore.due(t0 + Duration::minutes(11), every));
    }
}
