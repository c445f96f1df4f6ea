//! How long executor work takes on a simulated host: a bindings' simulated
//! `run_in_executor` runs the function when the drawn virtual delay has
//! passed, so the work's completion is an event of the simulation like a
//! message's arrival, replayed exactly from the seed (or a decisions
//! record: the stream is `executor:<host>`).

use super::rng::Rng;
use super::{Core, HostId, Simulation};
use crate::error::Result;

/// The range of the drawn delay, in virtual seconds: from a quick lookup
/// to a slow disk read.
pub const EXECUTOR_DELAY: (f64, f64) = (0.001, 0.05);

impl Simulation {
    /// The next virtual delay of executor work on host `name`, drawn from
    /// the host's executor stream (seeded from the seed and the name only)
    /// in [`EXECUTOR_DELAY`].
    ///
    /// # Errors
    /// `ValueError` for an unknown host.
    pub fn executor_delay(&self, name: &str) -> Result<f64> {
        let h = self.core.world.borrow().lookup(name)?;
        Ok(self.core.executor_delay_of(h))
    }
}

impl Core {
    /// The next draw of host `h`'s executor stream (see
    /// [`Simulation::executor_delay`]); name resolution on a host takes
    /// such a delay too (`resolve.rs`).
    pub(crate) fn executor_delay_of(&self, h: HostId) -> f64 {
        let w = self.world.borrow();
        let name = &w.hosts[h].name;
        let mut streams = self.executors.borrow_mut();
        let stream = streams
            .entry(h)
            .or_insert_with(|| w.ledger.stream(format!("executor:{name}"), Rng::for_executor(w.opts.seed, name)));
        let (lo, hi) = EXECUTOR_DELAY;
        lo + (hi - lo) * stream.next_f64()
    }
}
