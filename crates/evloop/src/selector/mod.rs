//! Selectors: the readiness back ends a loop is built on.
//!
//! Every back end provides the same contract, asyncio's `selectors` module
//! as `BaseSelectorEventLoop` uses it:
//! - one registration per fd, whose interest is changed with `modify`;
//! - `select(timeout)` reports readiness **level-triggered**: an fd that is
//!   still ready is reported again on the next call (mio is edge-triggered,
//!   so [`mio::MioSelector`] re-checks what it reported last time);
//! - a timeout is seconds as a float: `None` blocks, `0` polls, positive
//!   timeouts are rounded **up** to the back end's granularity so the loop
//!   never wakes before a deadline and spins;
//! - `EINTR` is an empty result, not an error;
//! - a [`Wake`] that makes a blocked `select` return, from any thread.
//!
//! | back end | module | where |
//! |---|---|---|
//! | mio (epoll/kqueue), the default | `mio` | not wasm |
//! | `poll(2)` | `poll` | Unix |
//! | `select(2)` | `select` | Unix |
//! | virtual time, no I/O | `virtual_time` | everywhere |

use std::io;
use std::sync::Arc;

#[cfg(not(target_arch = "wasm32"))]
pub mod mio;
#[cfg(not(target_arch = "wasm32"))]
pub mod poll;
#[cfg(not(target_arch = "wasm32"))]
pub mod select;
#[cfg(not(target_arch = "wasm32"))]
mod self_pipe;
pub mod virtual_time;

/// A file descriptor number (or, for simulated back ends, a socket id).
pub type Fd = i32;

/// Which directions an fd is watched (or found ready) for.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Interest(u8);

impl Interest {
    /// No direction.
    pub const NONE: Interest = Interest(0);
    /// `EVENT_READ`.
    pub const READ: Interest = Interest(1);
    /// `EVENT_WRITE`.
    pub const WRITE: Interest = Interest(2);
    /// Both directions.
    pub const BOTH: Interest = Interest(3);

    /// Whether every direction of `other` is in `self`.
    pub fn contains(self, other: Interest) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }
    /// Whether no direction is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The directions in either.
    pub fn union(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
    /// The directions in both.
    pub fn intersect(self, other: Interest) -> Interest {
        Interest(self.0 & other.0)
    }
    /// The directions of `self` that are not in `other`.
    pub fn without(self, other: Interest) -> Interest {
        Interest(self.0 & !other.0)
    }
}

/// One readiness report from `select`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Event {
    /// The registered fd.
    pub fd: Fd,
    /// The directions it is ready for, within its registered interest.
    pub ready: Interest,
}

/// Wakes a selector blocked in `select` (the self-pipe of asyncio).
pub trait Wake: Send + Sync {
    /// Makes the current or next `select` return promptly.
    fn wake(&self) -> io::Result<()>;
}

/// A readiness back end. See the module docs for the contract.
pub trait Selector {
    /// The mechanism in use: `"epoll"`, `"kqueue"`, `"poll"`, `"select"`, `"virtual"`.
    fn name(&self) -> &'static str;
    /// Starts watching `fd`. Registering an fd twice is an error.
    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()>;
    /// Changes the interest of a registered fd.
    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()>;
    /// Stops watching `fd`.
    fn unregister(&mut self, fd: Fd) -> io::Result<()>;
    /// Waits up to `timeout` seconds and appends the ready fds to `events`.
    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()>;
    /// Whether `select` would report events without waiting, although the
    /// OS has nothing new (level-triggered re-checks still to do).
    fn has_pending(&self) -> bool {
        false
    }
    /// The owner of `fd` saw it drained for `direction` (a read returned
    /// less than asked, or `WouldBlock`): an edge-triggered back end can
    /// skip its level-triggered re-check, since new data makes a new edge.
    fn note_drained(&mut self, _fd: Fd, _direction: Interest) {}
    /// The waker other threads use.
    fn waker(&self) -> Arc<dyn Wake>;
    /// An fd that becomes readable whenever `select` has something to
    /// report, so another loop (Node's libuv) can watch the whole selector.
    fn pollable_fd(&self) -> Option<Fd> {
        None
    }
    /// The fd other threads' wake-ups make readable (the self-pipe's read
    /// end), for selectors without a [`pollable_fd`](Self::pollable_fd):
    /// a driver that waits on the selector's behalf watches it too.
    fn wake_fd(&self) -> Option<Fd> {
        None
    }
    /// Completion back ends (the proactor): moves the callbacks of the
    /// operations that completed during the last `select` to `out`, in
    /// completion order. The loop queues them with the reader/writer
    /// callbacks of the same `select`: completions are its I/O events.
    fn take_completions(&mut self, _out: &mut Vec<Completion>) {}
}

/// The callback of a completed operation, with the label that names it in
/// reports (`Exception in callback <label>`).
pub struct Completion {
    /// Names the callback.
    pub label: &'static str,
    /// Runs in the loop's ready batch, like any other callback.
    pub callback: Box<dyn FnOnce()>,
}

/// Which selector a `SelectorEventLoop` is built on.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub enum SelectorKind {
    /// The most efficient one available: mio (epoll on Linux, kqueue on BSD/macOS).
    #[default]
    Default,
    /// mio, explicitly (`"epoll"` or `"kqueue"`, whichever the OS has).
    Epoll,
    /// `poll(2)`, as `selectors.PollSelector`.
    Poll,
    /// `select(2)`, as `selectors.SelectSelector` (fds below `FD_SETSIZE` only).
    Select,
}

impl SelectorKind {
    /// Parses the names the bindings accept.
    pub fn from_name(name: &str) -> Option<SelectorKind> {
        match name {
            "default" => Some(SelectorKind::Default),
            "epoll" | "kqueue" | "mio" => Some(SelectorKind::Epoll),
            "poll" => Some(SelectorKind::Poll),
            "select" => Some(SelectorKind::Select),
            _ => None,
        }
    }
}

/// Opens the OS selector of `kind`.
#[cfg(not(target_arch = "wasm32"))]
pub fn open(kind: SelectorKind) -> io::Result<Box<dyn Selector>> {
    Ok(match kind {
        SelectorKind::Default | SelectorKind::Epoll => Box::new(mio::MioSelector::new()?),
        SelectorKind::Poll => Box::new(poll::PollSelector::new()?),
        SelectorKind::Select => Box::new(select::SelectSelector::new()?),
    })
}
