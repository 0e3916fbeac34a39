//! The pending nodes of Δ-stepping, by bucket.
//!
//! Every improvement from a node of the current bucket `cur` lands at most one maximum weight
//! ahead, so the buckets `cur .. cur + slots` are a ring of lists indexed by `bucket % slots`
//! (queueing is one `push`, no map, no allocation once the lists have grown). Nodes further ahead
//! (only when Δ is much smaller than the largest weight) wait in an overflow list and move into
//! the ring when the current bucket comes within reach of them. Entries are node ids only; a
//! node's bucket is read from its distance when it is taken, so an entry whose node has since
//! improved into an earlier bucket is recognised as stale by its caller.

/// Largest ring: beyond this many buckets ahead, entries go to the overflow list.
pub(super) const MAX_SLOTS: usize = 1 << 12;

/// Pending nodes of one thread (or of the serial run).
#[derive(Debug)]
pub(super) struct Bins {
    /// `ring[b % slots]`: nodes queued for bucket `b`, for `b` in `cur .. cur + slots`.
    ring: Vec<Vec<u32>>,
    /// Entries in the ring.
    queued: usize,
    /// Nodes queued `slots` or more buckets ahead of the bucket current when they were queued.
    far: Vec<u32>,
    /// The smallest bucket any `far` entry was queued for (`u64::MAX` when `far` is empty).
    far_min: u64,
    /// An empty list with capacity, swapped in for the list being processed.
    spare: Vec<u32>,
}

impl Bins {
    /// Empty bins with a ring of `slots` lists (a power of two).
    pub(super) fn new(slots: usize) -> Self {
        debug_assert!(slots.is_power_of_two());
        Self {
            ring: (0..slots).map(|_| Vec::new()).collect(),
            queued: 0,
            far: Vec::new(),
            far_min: u64::MAX,
            spare: Vec::new(),
        }
    }

    #[inline]
    fn slot(&self, bucket: u64) -> usize {
        bucket as usize & (self.ring.len() - 1)
    }

    /// Queues `v` for `bucket`, the current bucket being `cur` (`bucket >= cur`).
    #[inline]
    pub(super) fn push(&mut self, cur: u64, bucket: u64, v: u32) {
        if bucket - cur < self.ring.len() as u64 {
            let s = self.slot(bucket);
            self.ring[s].push(v);
            self.queued += 1;
        } else {
            self.far.push(v);
            self.far_min = self.far_min.min(bucket);
        }
    }

    /// Number of nodes queued for `bucket` (which must be within the ring's window).
    #[inline]
    pub(super) fn len_of(&self, bucket: u64) -> usize {
        self.ring[self.slot(bucket)].len()
    }

    /// Takes the nodes queued for `bucket` (leaving an empty list there); hand the list back with
    /// [`Bins::recycle`] to keep its capacity.
    #[inline]
    pub(super) fn take(&mut self, bucket: u64) -> Vec<u32> {
        let s = self.slot(bucket);
        let fresh = std::mem::take(&mut self.spare);
        let list = std::mem::replace(&mut self.ring[s], fresh);
        self.queued -= list.len();
        list
    }

    /// Returns a list taken with [`Bins::take`], once processed, for reuse.
    #[inline]
    pub(super) fn recycle(&mut self, mut list: Vec<u32>) {
        list.clear();
        if list.capacity() > self.spare.capacity() {
            self.spare = list;
        }
    }

    /// The smallest bucket `>= cur` with queued nodes, counting overflow entries by the bucket
    /// they were queued for; `None` when nothing is queued.
    pub(super) fn next(&self, cur: u64) -> Option<u64> {
        if self.queued > 0 {
            let slots = self.ring.len() as u64;
            for b in cur..cur + slots {
                if !self.ring[self.slot(b)].is_empty() {
                    return Some(b.min(self.far_min));
                }
            }
        }
        (!self.far.is_empty()).then_some(self.far_min)
    }

    /// With `cur` the current bucket, moves the overflow entries now within the ring's window into
    /// the ring (their bucket read again through `bucket_of`; entries whose node has moved before
    /// `cur` are stale and dropped). Returns whether any entry moved.
    pub(super) fn refill(&mut self, cur: u64, bucket_of: impl Fn(u32) -> u64) -> bool {
        let slots = self.ring.len() as u64;
        if self.far_min >= cur + slots {
            return false;
        }
        let far = std::mem::take(&mut self.far);
        self.far_min = u64::MAX;
        let mut moved = false;
        for v in far {
            let b = bucket_of(v);
            if b < cur {
                continue;
            }
            moved |= b < cur + slots;
            self.push(cur, b, v);
        }
        moved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_and_overflow_keep_every_entry_in_bucket_order() {
        let mut bins = Bins::new(4);
        // Queued from bucket 0: 1 and 3 fit the ring, 9 and 6 overflow.
        bins.push(0, 1, 10);
        bins.push(0, 3, 30);
        bins.push(0, 9, 90);
        bins.push(0, 6, 60);
        assert_eq!(bins.next(0), Some(1));
        assert_eq!(bins.take(1), vec![10]);
        assert_eq!(bins.next(1), Some(3));
        assert_eq!(bins.len_of(3), 1);
        let l = bins.take(3);
        assert_eq!(l, vec![30]);
        bins.recycle(l);
        // Only overflow entries are left: the next bucket is the smallest queued one.
        assert_eq!(bins.next(3), Some(6));
        // Node 90 has improved to bucket 7 since; node 60 is still at 6.
        let bucket_of = |v: u32| if v == 90 { 7 } else { 6 };
        assert!(bins.refill(6, bucket_of));
        assert_eq!(bins.take(6), vec![60]);
        assert_eq!(bins.next(6), Some(7));
        assert_eq!(bins.take(7), vec![90]);
        assert_eq!(bins.next(7), None);
        // A stale overflow entry (its node now before the current bucket) is dropped.
        bins.push(0, 20, 5);
        assert!(!bins.refill(18, |_| 2));
        assert_eq!(bins.next(18), None);
    }
}
