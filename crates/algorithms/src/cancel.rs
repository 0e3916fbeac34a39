//! Cooperative cancellation and time budgets for kernels.
//!
//! Owns [`Cancel`], the cheap handle every kernel checks between iterations (or every few thousand
//! nodes of a long sequential sweep) so that the instance server can enforce `timeout_ms` and
//! `DELETE /algo/executions/{id}`. It does not own threads or timers: nothing is interrupted
//! preemptively, a kernel simply returns [`Interrupted`] at its next check.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Why a kernel stopped before finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Interrupted {
    /// [`Cancel::cancel`] was called (e.g. the execution was deleted).
    #[error("the computation was cancelled")]
    Cancelled,
    /// The deadline given to [`Cancel::with_timeout`] / [`Cancel::with_deadline`] passed.
    #[error("the computation exceeded its time budget")]
    TimedOut,
}

/// A shareable cancellation flag plus an optional deadline.
///
/// Cloning is cheap (one `Arc`); all clones observe the same flag, so the server keeps one clone
/// to call [`Cancel::cancel`] while the kernel holds another.
#[derive(Debug, Clone, Default)]
pub struct Cancel {
    flag: Arc<AtomicBool>,
    deadline: Option<Instant>,
}

impl Cancel {
    /// A handle that is never cancelled and has no deadline (tests, benchmarks).
    pub fn never() -> Self {
        Self::default()
    }

    /// A handle that times out `timeout` from now.
    pub fn with_timeout(timeout: Duration) -> Self {
        Self::with_deadline(Instant::now() + timeout)
    }

    /// A handle that times out at `deadline`.
    pub fn with_deadline(deadline: Instant) -> Self {
        Self {
            flag: Arc::default(),
            deadline: Some(deadline),
        }
    }

    /// Requests cancellation; every clone of this handle reports [`Interrupted::Cancelled`] from
    /// its next [`Cancel::check`].
    pub fn cancel(&self) {
        self.flag.store(true, Ordering::Relaxed);
    }

    /// The deadline, if any: lets a caller give the same budget to work that is not a kernel
    /// (e.g. the query that projects the graph).
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Whether [`Cancel::cancel`] has been called.
    pub fn is_cancelled(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }

    /// Returns an error if the computation should stop now. Cheap enough to call once per
    /// iteration or once per source node.
    pub fn check(&self) -> Result<(), Interrupted> {
        if self.is_cancelled() {
            return Err(Interrupted::Cancelled);
        }
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Interrupted::TimedOut),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancel_is_shared_between_clones() {
        let a = Cancel::never();
        let b = a.clone();
        assert_eq!(b.check(), Ok(()));
        a.cancel();
        assert_eq!(b.check(), Err(Interrupted::Cancelled));
    }

    #[test]
    fn past_deadline_times_out() {
        let c = Cancel::with_deadline(Instant::now() - Duration::from_millis(1));
        assert_eq!(c.check(), Err(Interrupted::TimedOut));
    }
}
