//! The end of a host's life and of a simulation: what they hold is let go.
//!
//! A closed loop drops its callbacks, timers and tasks, but a transport
//! outlives it when its protocol holds it (a binding's protocol objects
//! hold their transport's wrapper, a cycle no collector sees through). A
//! crashed host or a closed simulation runs nothing any more, so its
//! transports are abandoned: socket closed, protocol forgotten, with no
//! `connection_lost`.

use super::{Core, Simulation};
use crate::EventLoop;

/// Closes `lp` for good (a crash, the simulation's close).
pub(super) fn end_life(lp: &EventLoop) {
    let _ = lp.close();
    lp.abandon_transports();
}

impl Simulation {
    /// Ends the simulation: every host's loop is closed (its callbacks,
    /// timers and tasks dropped), its connections abandoned and the hosts'
    /// programs forgotten. The trace, stats and decisions stay readable;
    /// [`step`](Self::step) then runs nothing. Dropping the last clone of a
    /// simulation does the same.
    pub fn close(&self) {
        self.core.close();
    }

    /// Whether [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.core.closed.get()
    }
}

impl Core {
    pub(super) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let loops: Vec<EventLoop> = {
            let mut w = self.world.borrow_mut();
            w.hosts
                .iter_mut()
                .filter_map(|hs| {
                    hs.program = None;
                    hs.lp.clone()
                })
                .collect()
        };
        let crashed = self.crashed_running.borrow_mut().take();
        // Outside the borrows: closing drops callbacks, which may call back in.
        for lp in loops.iter().chain(crashed.iter()) {
            lp.set_exception_handler(None);
            if lp.is_running() {
                // Ended by the step that runs it (`run_host`).
                continue;
            }
            end_life(lp);
        }
        // What the hosts' sockets were doing is of no more use: only the
        // trace, stats and decisions stay readable.
        self.world.borrow_mut().clear_network();
        *self.queue.borrow_mut() = Default::default();
    }
}

impl Drop for Core {
    fn drop(&mut self) {
        self.close();
    }
}
