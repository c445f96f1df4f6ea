//! The loop's timers: a min-heap keyed by `(when, sequence)` with asyncio's
//! lazy removal of cancelled timers.
//!
//! Ties on `when` run in scheduling order (FIFO). asyncio's heap is not
//! stable and leaves that order unspecified; FIFO is allowed and makes the
//! simulated loop deterministic (reference §2.5.4, §10.8).

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::rc::Rc;

use crate::handle::TimerHandle;

/// Below this many timers the heap is never rebuilt: popping cancelled
/// timers off the top is cheaper (asyncio's `_MIN_SCHEDULED_TIMER_HANDLES`).
const MIN_SCHEDULED_TIMER_HANDLES: usize = 100;

/// Rebuild the heap once more than this fraction of it is cancelled timers,
/// so memory stays bounded when most timers are cancelled
/// (asyncio's `_MIN_CANCELLED_TIMER_HANDLES_FRACTION`).
const MIN_CANCELLED_TIMER_HANDLES_FRACTION: f64 = 0.5;

struct Entry {
    when: f64,
    seq: u64,
    timer: TimerHandle,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Entry) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Entry) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest first.
    fn cmp(&self, other: &Entry) -> Ordering {
        other.when.total_cmp(&self.when).then(other.seq.cmp(&self.seq))
    }
}

/// Timers not yet due.
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    next_seq: u64,
    /// Cancelled timers still inside `heap`; shared with every `TimerHandle`
    /// so `cancel()` can count itself.
    cancelled: Rc<Cell<usize>>,
}

impl TimerHeap {
    pub(crate) fn new() -> TimerHeap {
        TimerHeap { heap: BinaryHeap::new(), next_seq: 0, cancelled: Rc::new(Cell::new(0)) }
    }

    pub(crate) fn push(&mut self, when: f64, f: impl FnOnce() + 'static, label: Cow<'static, str>) -> TimerHandle {
        let timer = TimerHandle::new(f, label, when, self.cancelled.clone());
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { when, seq, timer: timer.clone() });
        timer
    }

    pub(crate) fn len(&self) -> usize {
        self.heap.len()
    }

    pub(crate) fn cancelled_count(&self) -> usize {
        self.cancelled.get()
    }

    /// Step (a) of an iteration: drop cancelled timers, either all at once
    /// (when they are the majority of a large heap) or only from the top.
    pub(crate) fn purge_cancelled(&mut self) {
        let n = self.heap.len();
        let cancelled = self.cancelled.get();
        if n > MIN_SCHEDULED_TIMER_HANDLES
            && cancelled as f64 / n as f64 > MIN_CANCELLED_TIMER_HANDLES_FRACTION
        {
            let entries = std::mem::take(&mut self.heap).into_vec();
            let live: Vec<Entry> = entries
                .into_iter()
                .filter(|e| {
                    if e.timer.cancelled() {
                        e.timer.unschedule();
                        false
                    } else {
                        true
                    }
                })
                .collect();
            self.heap = BinaryHeap::from(live);
            self.cancelled.set(0);
        } else {
            while self.heap.peek().is_some_and(|e| e.timer.cancelled()) {
                let e = self.heap.pop().expect("peeked");
                e.timer.unschedule();
                self.cancelled.set(self.cancelled.get() - 1);
            }
        }
    }

    /// The deadline of the earliest timer, cancelled or not.
    pub(crate) fn next_when(&self) -> Option<f64> {
        self.heap.peek().map(|e| e.when)
    }

    /// Step (c): pops every timer with `when < end`, in order.
    pub(crate) fn pop_due(&mut self, end: f64, mut sink: impl FnMut(TimerHandle)) {
        while self.heap.peek().is_some_and(|e| e.when < end) {
            let e = self.heap.pop().expect("peeked");
            if e.timer.unschedule() {
                self.cancelled.set(self.cancelled.get() - 1);
            }
            sink(e.timer);
        }
    }

    /// The timers not cancelled, as `(when, label)` in the order they
    /// will run (`(when, seq)`): for inspection, the heap is unchanged.
    pub(crate) fn live(&self) -> Vec<(f64, String)> {
        let mut live: Vec<&Entry> = self.heap.iter().filter(|e| !e.timer.cancelled()).collect();
        live.sort_by(|a, b| b.cmp(a));
        live.into_iter().map(|e| (e.when, e.timer.handle().label().to_string())).collect()
    }

    /// Empties the heap without running anything (`close()`); the timers
    /// are returned so the caller can drop them outside any borrow.
    pub(crate) fn drain(&mut self) -> Vec<TimerHandle> {
        self.cancelled.set(0);
        self.heap
            .drain()
            .map(|e| {
                e.timer.unschedule();
                e.timer
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noop() -> impl FnOnce() + 'static {
        || ()
    }

    fn due(heap: &mut TimerHeap, end: f64) -> Vec<f64> {
        let mut out = vec![];
        heap.pop_due(end, |t| out.push(t.when()));
        out
    }

    #[test]
    fn pops_in_deadline_then_fifo_order() {
        let mut h = TimerHeap::new();
        let a = h.push(2.0, noop(), "a".into());
        let b = h.push(1.0, noop(), "b".into());
        let c = h.push(2.0, noop(), "c".into());
        let mut order = vec![];
        h.pop_due(3.0, |t| order.push(t));
        assert!(order[0].handle().ptr_eq(b.handle()));
        assert!(order[1].handle().ptr_eq(a.handle()));
        assert!(order[2].handle().ptr_eq(c.handle()));
    }

    #[test]
    fn due_means_strictly_before_end() {
        let mut h = TimerHeap::new();
        h.push(1.0, noop(), "a".into());
        assert!(due(&mut h, 1.0).is_empty());
        assert_eq!(due(&mut h, 1.0 + 1e-9), vec![1.0]);
    }

    #[test]
    fn lazy_purge_only_at_the_top() {
        let mut h = TimerHeap::new();
        let first = h.push(10.0, noop(), "a".into());
        h.push(20.0, noop(), "b".into());
        first.cancel();
        assert_eq!(h.cancelled_count(), 1);
        h.purge_cancelled();
        assert_eq!((h.len(), h.cancelled_count()), (1, 0));
        assert_eq!(h.next_when(), Some(20.0));
    }

    #[test]
    fn bulk_purge_needs_over_100_timers_and_over_half_cancelled() {
        let mut h = TimerHeap::new();
        let mut timers = vec![];
        for i in 0..100 {
            timers.push(h.push(100.0 - i as f64, noop(), "t".into()));
        }
        // 50 cancelled of 100, at the back of the heap: no purge.
        for t in timers.iter().take(50) {
            t.cancel();
        }
        h.purge_cancelled();
        assert_eq!((h.len(), h.cancelled_count()), (100, 50));
        let extra = [h.push(500.0, noop(), "x".into()), h.push(501.0, noop(), "y".into())];
        extra.iter().for_each(TimerHandle::cancel);
        h.purge_cancelled();
        assert_eq!((h.len(), h.cancelled_count()), (50, 0));
    }
}
