//! `ProactorEventLoop`: the same [`EventLoop`] on a completion back end,
//! io_uring (Linux). See `docs/proactor.md`.
//!
//! The ring takes the selector's place: `select(timeout)` submits the
//! queued operations and waits for completions, and the completed
//! operations' callbacks are the iteration's I/O events
//! ([`Selector::take_completions`]). Everything else — the ready queue,
//! the timer heap, `run_once`'s phases, servers, transports, streams — is
//! the shared code; only the points where I/O is started differ:
//! - accepting ([`accept`], a `server::AcceptDriver`),
//! - reading and writing a transport ([`transport`]),
//! - connecting ([`connect`]).
//!
//! `add_reader`/`add_writer` are supported too, through one-shot
//! `IORING_OP_POLL_ADD`s re-armed at every `select` (level-triggered).

pub(crate) mod accept;
pub(crate) mod connect;
mod ring;
pub(crate) mod transport;

use std::io;
use std::rc::Rc;
use std::sync::Arc;

pub(crate) use ring::{Done, OpBufs, Ring};

use crate::error::Result;
use crate::net::network::{LocalFuture, Network};
use crate::net::os::OsNetwork;
use crate::net::socket::{ListenSocket, StreamSocket};
use crate::selector::{Completion, Event, Fd, Interest, Selector, Wake};
use crate::server::{Host, ServerOptions};
use crate::transport::ConnectionOptions;
use crate::EventLoop;

/// The ring in the loop's selector slot.
struct ProactorSelector(Rc<Ring>);

impl Selector for ProactorSelector {
    fn name(&self) -> &'static str {
        "io_uring"
    }
    fn register(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        self.0.poll_register(fd, interest)
    }
    fn modify(&mut self, fd: Fd, interest: Interest) -> io::Result<()> {
        self.0.poll_modify(fd, interest)
    }
    fn unregister(&mut self, fd: Fd) -> io::Result<()> {
        self.0.poll_unregister(fd)
    }
    fn select(&mut self, timeout: Option<f64>, events: &mut Vec<Event>) -> io::Result<()> {
        self.0.select(timeout, events)
    }
    fn has_pending(&self) -> bool {
        self.0.has_pending()
    }
    fn waker(&self) -> Arc<dyn Wake> {
        self.0.waker()
    }
    fn pollable_fd(&self) -> Option<Fd> {
        Some(self.0.notify_fd())
    }
    fn take_completions(&mut self, out: &mut Vec<Completion>) {
        self.0.take_completions(out);
    }
}

impl Drop for ProactorSelector {
    /// `loop.close()`: every operation is cancelled and its memory released.
    fn drop(&mut self) {
        self.0.close();
    }
}

/// OS sockets, connected through the ring.
pub(crate) struct ProactorNetwork(pub(crate) Rc<Ring>);

impl Network for ProactorNetwork {
    fn bind(&self, lp: &EventLoop, host: Option<Host>, port: Option<u16>, opts: &ServerOptions)
        -> LocalFuture<Result<Vec<Box<dyn ListenSocket>>>> {
        OsNetwork.bind(lp, host, port, opts)
    }
    fn adopt_listener(&self, fd: Fd, unix: bool, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        OsNetwork.adopt_listener(fd, unix, cleanup)
    }
    fn bind_unix(&self, path: &str, cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        OsNetwork.bind_unix(path, cleanup)
    }
    fn connect(&self, lp: &EventLoop, host: Option<String>, port: Option<u16>, opts: &ConnectionOptions)
        -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        OsNetwork.connect(lp, host, port, opts)
    }
    fn connect_unix(&self, lp: &EventLoop, path: String) -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        OsNetwork.connect_unix(lp, path)
    }
    fn adopt_stream(&self, fd: Fd) -> Result<Box<dyn StreamSocket>> {
        OsNetwork.adopt_stream(fd)
    }
    fn proactor(&self) -> Option<Rc<Ring>> {
        Some(self.0.clone())
    }
}

/// Sets up a ring, or says why io_uring cannot be used.
pub(crate) fn open() -> Result<(Box<dyn Selector>, Rc<dyn Network>)> {
    let ring = Rc::new(Ring::new()?);
    Ok((Box::new(ProactorSelector(ring.clone())), Rc::new(ProactorNetwork(ring))))
}

impl EventLoop {
    /// asyncio's `ProactorEventLoop`, on io_uring: accepting, receiving,
    /// sending and connecting are operations submitted to the kernel, whose
    /// completions run the callbacks. Same scheduling, servers, transports
    /// and streams as a `SelectorEventLoop`.
    ///
    /// # Errors
    /// An `OSError` that says why io_uring cannot be used here (for example
    /// `[Errno 38] io_uring is not available: io_uring_setup() failed: ...`
    /// under a seccomp filter). There is no silent fallback to a selector.
    pub fn proactor() -> Result<EventLoop> {
        let (selector, network) = open()?;
        Ok(EventLoop::from_parts(selector, Rc::new(crate::clock::MonotonicClock), network))
    }

    /// The ring of a proactor loop.
    pub(crate) fn ring(&self) -> Option<Rc<Ring>> {
        self.network().proactor()
    }

    /// Whether this loop is a `ProactorEventLoop`.
    pub fn is_proactor(&self) -> bool {
        self.ring().is_some()
    }

    /// Operations the proactor has in flight (0 on other loops): the
    /// memory the kernel may still use. For tests and leak checks.
    pub fn proactor_in_flight(&self) -> usize {
        self.ring().map_or(0, |r| r.in_flight())
    }
}
