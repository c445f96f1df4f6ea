//! The loop's timers: a priority queue keyed by `(when, sequence)` with
//! asyncio's lazy removal of cancelled timers.
//!
//! Ties on `when` run in scheduling order (FIFO). asyncio's heap is not
//! stable and leaves that order unspecified; FIFO is allowed and makes the
//! simulated loop deterministic (reference §2.5.4, §10.8).
//!
//! # Why a heap *and* sorted runs
//!
//! A binary heap pays a root-to-leaf walk per pop, and over a large heap
//! every level is a cache miss: with a million timers `BinaryHeap::pop` was
//! the loop's top cost. Large numbers of timers come in bursts, though, and
//! a burst is cheaper to sort once and then pop front to back. So:
//!
//! * the first few timers pushed in an iteration (`DIRECT`; all of them in
//!   the common case) go into a binary `heap`, where a push is O(1) on
//!   average and timers cancelled before they are due never cost a pop;
//! * the rest of a burst is appended to an unsorted *inbox* (O(1)), which
//!   tracks its minimum. Nothing else happens until a timer in the inbox is
//!   needed (it is due, or it is a cancelled timer at the top). Then a small
//!   inbox also goes into the heap;
//! * a large inbox (`BULK` or more) is sorted at once into a *run*, a
//!   `VecDeque` in `(when, seq)` order popped sequentially in memory. Runs
//!   are merged like a binary counter (a new run absorbs the previous one
//!   while that is not more than twice its size), so they stay few;
//! * the earliest timer is the least of the heap's top, the run heads and
//!   the inbox minimum. A run's stretch that precedes all other candidates
//!   is popped without looking at them again.
//!
//! Every comparison is on `(when, seq)`, so wherever two timers are kept,
//! they come out in that order, ties FIFO.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::rc::Rc;

use crate::handle::TimerHandle;

/// Below this many timers the heap is never rebuilt: popping cancelled
/// timers off the top is cheaper (asyncio's `_MIN_SCHEDULED_TIMER_HANDLES`).
const MIN_SCHEDULED_TIMER_HANDLES: usize = 100;

/// Rebuild the heap once more than this fraction of it is cancelled timers,
/// so memory stays bounded when most timers are cancelled
/// (asyncio's `_MIN_CANCELLED_TIMER_HANDLES_FRACTION`).
const MIN_CANCELLED_TIMER_HANDLES_FRACTION: f64 = 0.5;

/// The first this many timers pushed in an iteration go straight into the
/// heap: a loop that schedules a few timers per iteration then works on the
/// heap alone, as before runs existed. Only a burst goes to the inbox.
const DIRECT: usize = 32;

/// An inbox this large is sorted into a run rather than pushed into the
/// heap: sorting is cheaper per timer, and a run pops without cache misses.
/// Smaller under Miri (which only runs the tests), so the tests that need
/// runs (several times `BULK` timers) take seconds there, not many minutes.
const BULK: usize = if cfg!(miri) { 64 } else { 1024 };

/// Runs drained by pops no longer follow the merge rule's size ratio, so
/// their number is also capped.
const MAX_RUNS: usize = 32;

type Key = (f64, u64);

/// Strict `(when, seq)` order; `total_cmp` as the heap always used (NaN
/// never gets in: `call_at` rejects it).
fn order(a: Key, b: Key) -> Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

fn before(a: Key, b: Key) -> bool {
    order(a, b) == Ordering::Less
}

struct Entry {
    when: f64,
    seq: u64,
    timer: TimerHandle,
}

impl Entry {
    fn key(&self) -> Key {
        (self.when, self.seq)
    }
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
        order(other.key(), self.key())
    }
}

/// Where the earliest timer is.
#[derive(Clone, Copy)]
enum Top {
    Heap,
    Run(usize),
    Inbox,
}

/// Timers not yet due.
pub(crate) struct TimerHeap {
    heap: BinaryHeap<Entry>,
    /// Sorted runs; none is empty. Newest last, for the merge rule.
    runs: Vec<VecDeque<Entry>>,
    /// Timers pushed since the inbox was last emptied, in push (seq) order.
    inbox: Vec<Entry>,
    /// Index of the inbox's earliest timer (meaningless while it is empty).
    inbox_min: usize,
    /// Timers in `heap`, `runs` and `inbox`.
    len: usize,
    /// Timers pushed since the last `pop_due` (about, one loop iteration).
    burst: usize,
    next_seq: u64,
    /// Cancelled timers still inside; shared with every `TimerHandle` so
    /// `cancel()` can count itself.
    cancelled: Rc<Cell<usize>>,
}

impl TimerHeap {
    pub(crate) fn new() -> TimerHeap {
        TimerHeap {
            heap: BinaryHeap::new(),
            runs: Vec::new(),
            inbox: Vec::new(),
            inbox_min: 0,
            len: 0,
            burst: 0,
            next_seq: 0,
            cancelled: Rc::new(Cell::new(0)),
        }
    }

    pub(crate) fn push(&mut self, when: f64, f: impl FnOnce() + 'static, label: Cow<'static, str>) -> TimerHandle {
        let timer = TimerHandle::new(f, label, when, self.cancelled.clone());
        let seq = self.next_seq;
        self.next_seq += 1;
        self.len += 1;
        self.burst += 1;
        if self.burst <= DIRECT {
            self.heap.push(Entry { when, seq, timer: timer.clone() });
            return timer;
        }
        // On a tie the older minimum stays: it has the smaller seq.
        if self.inbox.is_empty() || when.total_cmp(&self.inbox[self.inbox_min].when) == Ordering::Less {
            self.inbox_min = self.inbox.len();
        }
        self.inbox.push(Entry { when, seq, timer: timer.clone() });
        timer
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn cancelled_count(&self) -> usize {
        self.cancelled.get()
    }

    /// Step (a) of an iteration: drop cancelled timers, either all at once
    /// (when they are the majority of a large heap) or only from the top.
    pub(crate) fn purge_cancelled(&mut self) {
        let n = self.len;
        let cancelled = self.cancelled.get();
        if n > MIN_SCHEDULED_TIMER_HANDLES
            && cancelled as f64 / n as f64 > MIN_CANCELLED_TIMER_HANDLES_FRACTION
        {
            let live = |e: &Entry| {
                if e.timer.cancelled() {
                    e.timer.unschedule();
                    false
                } else {
                    true
                }
            };
            // Filtering keeps runs sorted and the inbox in push order.
            self.heap.retain(live);
            self.inbox.retain(live);
            for run in &mut self.runs {
                run.retain(live);
            }
            self.runs.retain(|r| !r.is_empty());
            self.inbox_min = (0..self.inbox.len())
                .min_by(|&a, &b| self.inbox[a].when.total_cmp(&self.inbox[b].when)) // first of equals: smallest seq
                .unwrap_or(0);
            self.len = self.heap.len() + self.inbox.len() + self.runs.iter().map(VecDeque::len).sum::<usize>();
            self.cancelled.set(0);
            return;
        }
        while let Some(top) = self.top() {
            let e = match top {
                Top::Heap if self.heap.peek().expect("top").timer.cancelled() => self.heap.pop().expect("top"),
                Top::Run(i) if self.runs[i][0].timer.cancelled() => self.pop_run_front(i),
                Top::Inbox if self.inbox[self.inbox_min].timer.cancelled() => {
                    self.flush_inbox();
                    continue;
                }
                _ => break,
            };
            self.len -= 1;
            e.timer.unschedule();
            self.cancelled.set(self.cancelled.get() - 1);
        }
    }

    /// The deadline of the earliest timer, cancelled or not.
    pub(crate) fn next_when(&self) -> Option<f64> {
        Some(match self.top()? {
            Top::Heap => self.heap.peek().expect("top").when,
            Top::Run(i) => self.runs[i][0].when,
            Top::Inbox => self.inbox[self.inbox_min].when,
        })
    }

    /// Step (c): pops every timer with `when < end`, in order.
    pub(crate) fn pop_due(&mut self, end: f64, mut sink: impl FnMut(TimerHandle)) {
        self.burst = 0;
        if !self.inbox.is_empty() && self.inbox[self.inbox_min].when < end {
            self.flush_inbox();
        }
        if self.runs.is_empty() {
            // The common case of a few timers: only the heap.
            while self.heap.peek().is_some_and(|e| e.when < end) {
                let e = self.heap.pop().expect("peeked");
                self.len -= 1;
                emit(e, &self.cancelled, &mut sink);
            }
            return;
        }
        // Each round pops, from the source holding the earliest timer, every
        // due timer that precedes the best of the other sources.
        loop {
            let (best_run, second_run) = self.best_runs();
            let heap_key = self.heap.peek().map(Entry::key);
            let run_key = best_run.map(|i| self.runs[i][0].key());
            let (from_heap, bound) = match (heap_key, run_key) {
                (None, None) => break,
                (Some(_), None) => (true, None),
                (Some(h), Some(r)) if before(h, r) => (true, Some(r)),
                (h, Some(_)) => (false, [h, second_run].into_iter().flatten().min_by(|&a, &b| order(a, b))),
            };
            let precedes = |e: &Entry| e.when < end && bound.is_none_or(|b| before(e.key(), b));
            let mut popped = 0;
            if from_heap {
                while self.heap.peek().is_some_and(precedes) {
                    let e = self.heap.pop().expect("peeked");
                    popped += 1;
                    emit(e, &self.cancelled, &mut sink);
                }
            } else {
                let i = best_run.expect("a run is best");
                let run = &mut self.runs[i];
                while run.front().is_some_and(precedes) {
                    let e = run.pop_front().expect("peeked");
                    popped += 1;
                    emit(e, &self.cancelled, &mut sink);
                }
                if run.is_empty() {
                    self.runs.remove(i);
                }
            }
            self.len -= popped;
            if popped == 0 {
                // The earliest timer is not due.
                break;
            }
        }
    }

    /// The timers not cancelled, as `(when, label)` in the order they
    /// will run (`(when, seq)`): for inspection, the heap is unchanged.
    pub(crate) fn live(&self) -> Vec<(f64, String)> {
        let all = self.heap.iter().chain(self.runs.iter().flatten()).chain(self.inbox.iter());
        let mut live: Vec<&Entry> = all.filter(|e| !e.timer.cancelled()).collect();
        live.sort_by(|a, b| b.cmp(a));
        live.into_iter().map(|e| (e.when, e.timer.handle().label().to_string())).collect()
    }

    /// Empties the heap without running anything (`close()`); the timers
    /// are returned so the caller can drop them outside any borrow.
    pub(crate) fn drain(&mut self) -> Vec<TimerHandle> {
        self.cancelled.set(0);
        self.len = 0;
        let runs = std::mem::take(&mut self.runs);
        self.heap
            .drain()
            .chain(runs.into_iter().flatten())
            .chain(self.inbox.drain(..))
            .map(|e| {
                e.timer.unschedule();
                e.timer
            })
            .collect()
    }

    /// Where the earliest timer is.
    fn top(&self) -> Option<Top> {
        if self.runs.is_empty() && self.inbox.is_empty() {
            // The common case of a few timers: only the heap.
            return self.heap.peek().map(|_| Top::Heap);
        }
        let mut top: Option<(Top, Key)> = self.heap.peek().map(|e| (Top::Heap, e.key()));
        let run = self.best_runs().0.map(|i| (Top::Run(i), self.runs[i][0].key()));
        let inbox = self.inbox.get(self.inbox_min).map(|e| (Top::Inbox, e.key()));
        for c in [run, inbox].into_iter().flatten() {
            if top.is_none_or(|(_, k)| before(c.1, k)) {
                top = Some(c);
            }
        }
        top.map(|(t, _)| t)
    }

    /// The run with the earliest head, and the next-earliest run head.
    fn best_runs(&self) -> (Option<usize>, Option<Key>) {
        let mut best: Option<(usize, Key)> = None;
        let mut second: Option<Key> = None;
        for (i, run) in self.runs.iter().enumerate() {
            let k = run[0].key();
            match best {
                Some((_, b)) if !before(k, b) => {
                    if second.is_none_or(|s| before(k, s)) {
                        second = Some(k);
                    }
                }
                _ => {
                    second = best.map(|(_, b)| b);
                    best = Some((i, k));
                }
            }
        }
        (best.map(|(i, _)| i), second)
    }

    fn pop_run_front(&mut self, i: usize) -> Entry {
        let e = self.runs[i].pop_front().expect("runs are never empty");
        if self.runs[i].is_empty() {
            self.runs.remove(i);
        }
        e
    }

    /// Moves the inbox into the heap, or, if large, into a new run.
    fn flush_inbox(&mut self) {
        if self.inbox.len() < BULK {
            self.heap.extend(self.inbox.drain(..));
            return;
        }
        let mut run = std::mem::take(&mut self.inbox);
        // In place, so no scratch buffer to fault in; seqs are unique, so
        // an unstable sort on (when, seq) is exact.
        run.sort_unstable_by(|a, b| order(a.key(), b.key()));
        let mut run = VecDeque::from(run);
        // Binary-counter merging: sizes at least double from newest to
        // oldest, so there are O(log n) runs.
        while self.runs.last().is_some_and(|last| last.len() <= 2 * run.len()) {
            run = merge(self.runs.pop().expect("checked"), run);
        }
        self.runs.push(run);
        if self.runs.len() > MAX_RUNS {
            // Pops shrank old runs below newer ones: merge the two smallest.
            let mut by_len: Vec<usize> = (0..self.runs.len()).collect();
            by_len.sort_by_key(|&i| self.runs[i].len());
            let (hi, lo) = (by_len[0].max(by_len[1]), by_len[0].min(by_len[1]));
            let (a, b) = (self.runs.remove(hi), self.runs.remove(lo));
            self.runs.push(merge(a, b));
        }
    }
}

/// Hands a popped timer to the sink, marking it out of the heap.
fn emit(e: Entry, cancelled: &Cell<usize>, sink: &mut impl FnMut(TimerHandle)) {
    if e.timer.unschedule() {
        cancelled.set(cancelled.get() - 1);
    }
    sink(e.timer);
}

/// Merges two sorted runs into one.
fn merge(mut a: VecDeque<Entry>, mut b: VecDeque<Entry>) -> VecDeque<Entry> {
    let mut out = VecDeque::with_capacity(a.len() + b.len());
    while let (Some(x), Some(y)) = (a.front(), b.front()) {
        let e = if before(x.key(), y.key()) { a.pop_front() } else { b.pop_front() };
        out.push_back(e.expect("peeked"));
    }
    out.extend(a);
    out.extend(b);
    out
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
    fn live_lists_heap_runs_and_inbox_in_order() {
        let mut h = TimerHeap::new();
        // A burst large enough to leave timers in the heap, in a sorted run
        // (once one of them is needed) and in the inbox.
        let n = 3 * BULK as u32 - 72;
        let at_zero = (0..n).filter(|i| (i * 7919) % 1000 == 0).count();
        for i in 0..n {
            h.push(f64::from((i * 7919) % 1000), noop(), format!("t{i}").into());
        }
        let cancelled = h.push(0.5, noop(), "cancelled".into());
        cancelled.cancel();
        assert_eq!(due(&mut h, 1.0).len(), at_zero + 1); // when 0.0, and the cancelled one
        for i in 0..40 {
            h.push(2000.0 + f64::from(i), noop(), format!("late{i}").into());
        }
        let live = h.live();
        assert_eq!(live.len(), n as usize - at_zero + 40);
        assert!(live.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(live.last().map(|(w, l)| (*w, l.as_str())), Some((2039.0, "late39")));
        assert!(live.iter().all(|(_, l)| l != "cancelled"));
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
    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }
    }

    /// The reference: every timer still inside, popped by a full sort on
    /// `(when, seq)`, with asyncio's purge rule spelled out.
    #[derive(Default)]
    struct Model {
        inside: Vec<(f64, u64, TimerHandle)>,
        seq: u64,
    }
    impl Model {
        fn push(&mut self, t: TimerHandle) {
            self.inside.push((t.when(), self.seq, t));
            self.seq += 1;
        }
        fn sort(&mut self) {
            self.inside.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        }
        fn cancelled(&self) -> usize {
            self.inside.iter().filter(|e| e.2.cancelled()).count()
        }
        fn purge(&mut self) {
            let n = self.inside.len();
            if n > 100 && self.cancelled() as f64 / n as f64 > 0.5 {
                self.inside.retain(|e| !e.2.cancelled());
            } else {
                self.sort();
                let k = self.inside.iter().take_while(|e| e.2.cancelled()).count();
                self.inside.drain(..k);
            }
        }
        fn pop_due(&mut self, end: f64) -> Vec<TimerHandle> {
            self.sort();
            let k = self.inside.iter().take_while(|e| e.0 < end).count();
            self.inside.drain(..k).map(|e| e.2).collect()
        }
        fn next_when(&mut self) -> Option<f64> {
            self.sort();
            self.inside.first().map(|e| e.0)
        }
    }

    fn same(a: &[TimerHandle], b: &[TimerHandle]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.handle().ptr_eq(y.handle()))
    }

    #[test]
    fn matches_the_reference_model() {
        let (mut most_runs, mut heap_and_runs) = (0, false);
        // Fewer, shorter rounds under Miri (BULK is smaller there too).
        let (rounds, steps) = if cfg!(miri) { (4u64, 120) } else { (30u64, 300) };
        for round in 0..rounds {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (round + 1).wrapping_mul(0x1234_5678_9abc_def1));
            let (mut h, mut m) = (TimerHeap::new(), Model::default());
            let mut all: Vec<TimerHandle> = vec![];
            let mut now = 0.0f64;
            for _ in 0..steps {
                match rng.below(12) {
                    // A few timers, coarse deadlines (many ties), some in the past.
                    0..=3 => {
                        for _ in 0..rng.below(8) {
                            let when = now + (rng.below(20) as f64 - 4.0) * 0.25;
                            let t = h.push(when, noop(), "t".into());
                            m.push(t.clone());
                            all.push(t);
                        }
                    }
                    // A burst, large enough for a run: same-delay stretches,
                    // sawtooths or random deadlines.
                    4 => {
                        let n = BULK as u64 + rng.below(3 * BULK as u64);
                        let (kind, period) = (rng.below(3), 1 + rng.below(300));
                        for i in 0..n {
                            let when = match kind {
                                0 => now + (i / period) as f64 * 0.01,
                                1 => now + (i % period) as f64 * 0.01,
                                _ => now + rng.below(1000) as f64 * 0.01 - 1.0,
                            };
                            let t = h.push(when, noop(), "t".into());
                            m.push(t.clone());
                            all.push(t);
                        }
                    }
                    5..=6 => {
                        for _ in 0..rng.below(all.len() as u64 / 2 + 2) {
                            if !all.is_empty() {
                                all[rng.below(all.len() as u64) as usize].cancel();
                            }
                        }
                    }
                    7..=8 => {
                        h.purge_cancelled();
                        m.purge();
                    }
                    _ => {
                        now += rng.below(40) as f64 * 0.05;
                        let mut got = vec![];
                        h.pop_due(now, |t| got.push(t));
                        assert!(same(&got, &m.pop_due(now)), "round {round}: pop_due({now}) order differs");
                    }
                }
                assert_eq!(h.len(), m.inside.len(), "round {round}");
                assert_eq!(h.cancelled_count(), m.cancelled(), "round {round}");
                assert_eq!(h.next_when().map(f64::to_bits), m.next_when().map(f64::to_bits), "round {round}");
                all.retain(|_| rng.below(50) != 0);
                most_runs = most_runs.max(h.runs.len());
                heap_and_runs |= !h.heap.is_empty() && !h.runs.is_empty();
            }
            let drained = h.drain();
            assert_eq!(drained.len(), m.inside.len());
            assert_eq!((h.len(), h.cancelled_count(), h.next_when()), (0, 0, None));
        }
        // Under Miri the shorter rounds compare every pop with the model but
        // need not reach two runs at once; the normal suites check that they do.
        assert!(cfg!(miri) || (most_runs >= 2 && heap_and_runs), "the model test must exercise merging runs");
    }

    #[test]
    fn ties_stay_fifo_across_heap_inbox_and_runs() {
        let mut h = TimerHeap::new();
        // One iteration's burst: the first go to the heap, the rest make a run.
        let first: Vec<_> = (0..3 * BULK).map(|_| h.push(5.0, noop(), "t".into())).collect();
        h.purge_cancelled();
        let mut got = vec![];
        h.pop_due(1.0, |t| got.push(t));
        assert!(got.is_empty());
        // Next iteration: more at the same deadline, and a second run.
        let second: Vec<_> = (0..2 * BULK).map(|_| h.push(5.0, noop(), "t".into())).collect();
        h.pop_due(6.0, |t| got.push(t));
        let want: Vec<_> = first.into_iter().chain(second).collect();
        assert!(same(&got, &want));
    }

    #[test]
    fn a_same_delay_burst_comes_out_in_order() {
        let mut h = TimerHeap::new();
        let timers: Vec<_> = (0..10 * BULK).map(|i| h.push(i as f64 * 1e-3, noop(), "t".into())).collect();
        assert_eq!(h.next_when(), Some(0.0));
        let mut got = vec![];
        h.pop_due(f64::INFINITY, |t| got.push(t));
        assert!(same(&got, &timers));
    }

    #[test]
    fn a_timer_in_the_past_is_due_first() {
        let mut h = TimerHeap::new();
        for i in 0..3 * BULK {
            h.push(100.0 + i as f64, noop(), "t".into());
        }
        assert!(due(&mut h, 50.0).is_empty());
        let past = h.push(-1.0, noop(), "past".into());
        assert_eq!(h.next_when(), Some(-1.0));
        let mut got = vec![];
        h.pop_due(101.0, |t| got.push(t));
        assert!(got[0].handle().ptr_eq(past.handle()));
        assert_eq!(got.iter().map(TimerHandle::when).collect::<Vec<_>>(), vec![-1.0, 100.0]);
    }

    #[test]
    fn heavy_cancellation_is_purged_in_bulk() {
        let mut h = TimerHeap::new();
        let timers: Vec<_> = (0..5 * BULK).map(|i| h.push((i % 97) as f64, noop(), "t".into())).collect();
        for (i, t) in timers.iter().enumerate() {
            if i % 10 != 0 {
                t.cancel();
            }
        }
        assert_eq!(h.cancelled_count(), timers.len() - timers.len().div_ceil(10));
        h.purge_cancelled();
        assert_eq!((h.len(), h.cancelled_count()), (timers.len().div_ceil(10), 0));
        // A cancel after the purge is not counted: the timer is no longer inside.
        timers[1].cancel();
        assert_eq!(h.cancelled_count(), 0);
        let got = due(&mut h, f64::INFINITY);
        assert!(got.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(got.len(), timers.len().div_ceil(10));
    }
}
