//! `ProactorEventLoop`: the same [`EventLoop`] on a completion back end,
//! io_uring (Linux). See `docs/proactor.md`.
//!
//! The ring takes the selector's place: `select(timeout)` submits the
//! queued operations and waits for completions, and the completed
//! operations' callbacks are the iteration's I/O events
//! ([`Selector::take_completions`]). Everything else — the ready queue,
//! the timer heap, `run_once`'s phases, servers, transports, streams — is
//! the shared code; only the points where I/O is started differ:
//! - accepting ([`accept`], a `backend::AcceptDriver`),
//! - reading and writing a transport ([`stream`], a `backend::StreamIo`),
//! - connecting ([`connect`], `backend::Backend::connect`),
//! - a datagram transport's receives and sends ([`datagram`], a
//!   `backend::DatagramIo`).
//!
//! `add_reader`/`add_writer` are supported too, through one-shot
//! `IORING_OP_POLL_ADD`s re-armed at every `select` (level-triggered).

mod accept;
mod bufring;
mod connect;
mod datagram;
mod ring;
mod stream;
mod stream_read;

use std::io;
use std::rc::Rc;
use std::sync::Arc;

use ring::{Done, OpBufs, Ring};

use crate::backend::{AcceptDriver, Backend, ConnectFuture, DatagramIo, StreamIo};
use crate::error::Result;
use crate::net::os::OsNetwork;
use crate::selector::{Completion, Event, Fd, Interest, Selector, Wake};
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

/// The completion back end: accepts, reads, sends and connects are
/// operations on the ring.
struct ProactorBackend(Rc<Ring>);

impl Backend for ProactorBackend {
    fn accept_driver(&self) -> Box<dyn AcceptDriver> {
        Box::new(accept::ProactorAccept::new(self.0.clone()))
    }
    fn stream_io(&self) -> Box<dyn StreamIo> {
        Box::new(stream::ProactorIo::new(self.0.clone()))
    }
    fn datagram_io(&self) -> Box<dyn DatagramIo> {
        Box::new(datagram::ProactorDatagramIo::new(self.0.clone()))
    }
    fn connect<'a>(&'a self, lp: &'a EventLoop, sock: &'a socket2::Socket, addr: &'a socket2::SockAddr) -> ConnectFuture<'a> {
        Box::pin(connect::connect(lp, &self.0, sock, addr))
    }
    fn is_completion(&self) -> bool {
        true
    }
    fn in_flight(&self) -> usize {
        self.0.in_flight()
    }
    fn release_recv_memory(&self) {
        self.0.release_recv_memory();
    }
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
        EventLoop::proactor_with(None)
    }

    /// A `ProactorEventLoop` whose receives land in blocks `memory`
    /// supplies (`transport/recv_memory.rs`): a binding hands its runtime's
    /// memory to the kernel, so the bytes a protocol gets are where the
    /// kernel wrote them. Call [`release_recv_memory`](Self::release_recv_memory)
    /// before that memory is freed behind the loop's back.
    ///
    /// # Errors
    /// As [`proactor`](Self::proactor).
    pub fn proactor_with(memory: Option<Rc<dyn crate::transport::RecvMemory>>) -> Result<EventLoop> {
        let ring = Rc::new(Ring::new(memory)?);
        Ok(EventLoop::from_parts(
            Box::new(ProactorSelector(ring.clone())),
            Rc::new(crate::clock::MonotonicClock),
            Rc::new(OsNetwork),
            Box::new(ProactorBackend(ring)),
        ))
    }
}
