//! Where the loop's time comes from.
//!
//! asyncio's `loop.time()` is the monotonic clock in float seconds with an
//! unspecified epoch. The loop asks a [`Clock`] instead of the OS so the same
//! scheduling code runs on virtual time in the simulation.

use std::cell::Cell;
use std::rc::Rc;

/// A source of monotonic time in seconds.
pub trait Clock {
    /// Seconds since an arbitrary, fixed epoch; never decreases.
    fn now(&self) -> f64;
    /// The clock's resolution in seconds. A timer counts as due when
    /// `when < now + resolution` (asyncio's `_clock_resolution`).
    fn resolution(&self) -> f64;
    /// Moves virtual time forward by `seconds`; real clocks ignore it.
    /// Selectors on virtual time call it instead of sleeping.
    fn advance(&self, _seconds: f64) {}
}

/// `CLOCK_MONOTONIC`, as `time.monotonic()` reads it.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Default, Clone, Copy)]
pub struct MonotonicClock;

#[cfg(not(target_arch = "wasm32"))]
impl Clock for MonotonicClock {
    fn now(&self) -> f64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: `ts` is a valid, writable timespec; CLOCK_MONOTONIC always exists on Linux.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }

    fn resolution(&self) -> f64 {
        let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: as above.
        unsafe { libc::clock_getres(libc::CLOCK_MONOTONIC, &mut ts) };
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    }
}

/// Virtual time: it stands still until a selector advances it, so a one-hour
/// `call_later` completes at once in real time.
#[derive(Debug, Default, Clone)]
pub struct VirtualClock {
    now: Rc<Cell<f64>>,
}

impl VirtualClock {
    /// A clock at virtual time 0.
    pub fn new() -> VirtualClock {
        VirtualClock::default()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> f64 {
        self.now.get()
    }

    /// Virtual time has no granularity beyond the float itself.
    fn resolution(&self) -> f64 {
        1e-9
    }

    fn advance(&self, seconds: f64) {
        if seconds > 0.0 {
            self.now.set(self.now.get() + seconds);
        }
    }
}
