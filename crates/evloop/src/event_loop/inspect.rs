//! Read-only views of a loop's queues, for tools that show what a loop
//! is about to do (the simulation's `host_state`, a playground's panel).
//! Nothing here changes the loop or runs a callback.

use super::{EventLoop, Ready};

impl EventLoop {
    /// Inspection: the labels of the callbacks in the ready queue, in the
    /// order they will run, cancelled ones left out. Only what is queued
    /// now: due timers and socket events join the queue at the start of
    /// the next iteration.
    pub fn ready_labels(&self) -> Vec<String> {
        self.inner
            .ready
            .borrow()
            .iter()
            .filter_map(|r| match r {
                Ready::Local(h) => (!h.cancelled()).then(|| h.label().to_string()),
                Ready::Remote(h) => (!h.cancelled()).then(|| "call_soon_threadsafe callback".to_string()),
            })
            .collect()
    }

    /// Inspection: the scheduled timers that are not cancelled, as
    /// `(when, label)`, in the order they will run (by `when`, ties in
    /// scheduling order).
    pub fn timer_labels(&self) -> Vec<(f64, String)> {
        self.inner.timers.borrow().live()
    }
}
