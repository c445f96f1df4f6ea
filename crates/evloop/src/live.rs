//! Counts of the core's live objects on this thread: loops, tasks, futures,
//! transports and servers. A simulation that was closed, or dropped, must
//! bring them back to where they were (`tests/sim_free.rs`, and the wasm
//! binding's `liveObjects()`): a count that stays up is a reference cycle
//! that keeps memory, and in the bindings the JavaScript objects behind it.
//!
//! Each counted object holds a [`Counted`] token: made with the object,
//! dropped with it. The cost is one thread-local increment per object.

use std::cell::Cell;

/// What is counted.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    Loop = 0,
    Task = 1,
    Future = 2,
    Transport = 3,
    Server = 4,
}

const KINDS: usize = 5;

thread_local! {
    static COUNTS: [Cell<u64>; KINDS] = const { [const { Cell::new(0) }; KINDS] };
}

/// Held by a counted object: counts it while it lives.
pub(crate) struct Counted(Kind);

impl Counted {
    pub(crate) fn new(kind: Kind) -> Counted {
        let _ = COUNTS.try_with(|c| c[kind as usize].set(c[kind as usize].get() + 1));
        Counted(kind)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        // The thread-local may be gone at thread exit.
        let _ = COUNTS.try_with(|c| c[self.0 as usize].set(c[self.0 as usize].get().saturating_sub(1)));
    }
}

/// The core's live objects on this thread (for leak tests and tools).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveObjects {
    /// Event loops (open or closed) not yet dropped.
    pub loops: u64,
    /// Tasks whose step is still held by their loop.
    pub tasks: u64,
    /// Futures (a task's included).
    pub futures: u64,
    /// Stream transports.
    pub transports: u64,
    /// Servers.
    pub servers: u64,
}

/// The counts now.
pub fn live_objects() -> LiveObjects {
    COUNTS
        .try_with(|c| LiveObjects {
            loops: c[Kind::Loop as usize].get(),
            tasks: c[Kind::Task as usize].get(),
            futures: c[Kind::Future as usize].get(),
            transports: c[Kind::Transport as usize].get(),
            servers: c[Kind::Server as usize].get(),
        })
        .unwrap_or_default()
}
