//! [`SlotUsage`]: how many of an executor's task slots are busy, and the most that ever
//! were at once, so that `--concurrent-tasks` can be seen to hold.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Busy task slots, now and at the peak.
#[derive(Debug, Default)]
pub(crate) struct SlotUsage {
    busy: AtomicUsize,
    peak: AtomicUsize,
}

impl SlotUsage {
    /// Marks a slot busy until the returned guard is dropped.
    pub(crate) fn occupy(self: &Arc<Self>) -> BusySlot {
        let busy = self.busy.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(busy, Ordering::SeqCst);
        BusySlot(Arc::clone(self))
    }

    /// The slots busy now.
    pub(crate) fn busy(&self) -> usize {
        self.busy.load(Ordering::SeqCst)
    }

    /// The most slots ever busy at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }
}

/// A slot in use by a running task.
pub(crate) struct BusySlot(Arc<SlotUsage>);

impl Drop for BusySlot {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peak_remembers_the_most_slots_busy_at_once() {
        let usage = Arc::new(SlotUsage::default());
        let first = usage.occupy();
        let second = usage.occupy();
        drop(first);
        let third = usage.occupy();
        assert_eq!(usage.peak(), 2);
        drop((second, third));
        let _fourth = usage.occupy();
        assert_eq!(usage.peak(), 2);
        assert_eq!(usage.busy(), 1);
    }
}
