//! Faults scheduled for a later virtual time ([`Simulation::schedule`]):
//! each is an event of the simulation, taken in time order with the
//! network events and host iterations. On a tie it goes first (scheduled
//! faults in the order they were scheduled), so a fault at `t` is in effect
//! for everything else that happens at `t`.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::fault::Fault;
use super::{OrdF64, Simulation};
use crate::error::{Error, Result};

struct Entry {
    t: OrdF64,
    seq: u64,
    fault: Fault,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.t, self.seq) == (other.t, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.t, self.seq).cmp(&(other.t, other.seq))
    }
}

/// The scheduled faults, earliest (then first scheduled) first.
#[derive(Default)]
pub(crate) struct FaultQueue {
    heap: BinaryHeap<Reverse<Entry>>,
    next_seq: u64,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, t: f64, fault: Fault) {
        self.next_seq += 1;
        self.heap.push(Reverse(Entry { t: OrdF64(t), seq: self.next_seq, fault }));
    }

    pub(crate) fn next_time(&self) -> Option<f64> {
        self.heap.peek().map(|Reverse(e)| e.t.0)
    }

    pub(crate) fn pop(&mut self) -> Option<Fault> {
        self.heap.pop().map(|Reverse(e)| e.fault)
    }
}

impl Simulation {
    /// Applies `fault` at virtual time `at` (>= now), as an event of the
    /// simulation: it counts in [`events`](Self::events), and its `fault`
    /// record is the one [`apply`](Self::apply) writes. Host names are
    /// looked up then, so faults may be scheduled before the hosts exist;
    /// an unknown name makes that step fail with `ValueError`.
    ///
    /// # Errors
    /// `ValueError` for a time in the past or not finite, or a bad value
    /// ([`Fault::validate`]).
    pub fn schedule(&self, at: f64, fault: Fault) -> Result<()> {
        if !at.is_finite() || at < self.now() {
            return Err(Error::Value(format!("schedule() needs a finite time >= now ({}), got {at}", self.now())));
        }
        fault.validate()?;
        self.core.faults.borrow_mut().push(at, fault);
        Ok(())
    }
}
