//! A selector with no I/O on a virtual clock: waiting is jumping ahead.
//!
//! `select(timeout)` advances the clock by `timeout` instead of sleeping,
//! so a one-hour timer fires at once in real time. Waiting with no timeout
//! would wait forever (nothing can ever become ready), so it is an error
//! rather than a hang.

use std::io;
use std::sync::Arc;

use super::{Event, Fd, Selector, Wake};
use crate::clock::{Clock, VirtualClock};

/// The selector of a loop that only has callbacks and timers.
pub struct VirtualSelector {
    clock: VirtualClock,
}

impl VirtualSelector {
    /// A selector that advances `clock`.
    pub fn new(clock: VirtualClock) -> VirtualSelector {
        VirtualSelector { clock }
    }
}

/// Nothing blocks on virtual time, so there is nothing to wake.
struct NoWake;

impl Wake for NoWake {
    fn wake(&self) -> io::Result<()> {
        Ok(())
    }
}

fn unsupported() -> io::Error {
    io::Error::new(io::ErrorKind::Unsupported, "a virtual-time loop has no file descriptors")
}

impl Selector for VirtualSelector {
    fn name(&self) -> &'static str {
        "virtual"
    }

    fn register(&mut self, _fd: Fd, _interest: super::Interest) -> io::Result<()> {
        Err(unsupported())
    }

    fn modify(&mut self, _fd: Fd, _interest: super::Interest) -> io::Result<()> {
        Err(unsupported())
    }

    fn unregister(&mut self, _fd: Fd) -> io::Result<()> {
        Err(unsupported())
    }

    fn select(&mut self, timeout: Option<f64>, _events: &mut Vec<Event>) -> io::Result<()> {
        match timeout {
            Some(t) => {
                self.clock.advance(t);
                Ok(())
            }
            None => Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the loop would wait forever: nothing is scheduled on virtual time",
            )),
        }
    }

    fn waker(&self) -> Arc<dyn Wake> {
        Arc::new(NoWake)
    }
}
