//! How long executor work takes on a simulated host: a bindings' simulated
//! `run_in_executor` runs the function when the drawn virtual delay has
//! passed, so the work's completion is an event of the simulation like a
//! message's arrival, replayed exactly from the seed (or a decisions
//! record: the stream is `executor:<host>`).

use super::rng::Rng;
use super::Simulation;
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
        let w = self.core.world.borrow();
        let h = w.lookup(name)?;
        let mut streams = self.core.executors.borrow_mut();
        let stream = streams
            .entry(h)
            .or_insert_with(|| w.ledger.stream(format!("executor:{name}"), Rng::for_executor(w.opts.seed, name)));
        let (lo, hi) = EXECUTOR_DELAY;
        Ok(lo + (hi - lo) * stream.next_f64())
    }
}
