//! The loop's back end: what differs between readiness and completion I/O.
//!
//! As CPython's `BaseProactorEventLoop` overrides `_make_socket_transport`,
//! `_start_serving` and `sock_connect` while `selector_events.py` never
//! names the proactor, a loop asks its [`Backend`] for exactly three things
//! and runs the same server, transport and network code above it:
//! - **accept**: an [`AcceptDriver`] per server, which learns of new
//!   connections and hands them to the shared server bookkeeping
//!   (`server::accept::{accepted, accept_error, retry_later}`);
//! - **stream I/O**: a [`StreamIo`] per transport, which moves bytes between
//!   the socket and the shared transport (protocol calls, write buffer, flow
//!   control and closing stay in `transport/stream.rs`);
//! - **connect**: [`Backend::connect`], asyncio's `sock_connect` for an OS
//!   socket (the simulation connects inside its network);
//! - **datagram I/O**: a [`DatagramIo`] per datagram transport, which
//!   receives datagrams and sends the buffered ones (the protocol calls,
//!   the buffer, flow control and closing stay in `datagram/transport.rs`).
//!
//! | back end | module | loops |
//! |---|---|---|
//! | readiness | [`readiness`] | every `SelectorEventLoop` (mio, poll, select), virtual time, the simulation |
//! | completion (io_uring) | `crate::proactor` | `ProactorEventLoop` (Linux) |
//!
//! The back end is a trait object chosen when the loop is built: one
//! virtual call per operation, next to a system call or a ring submission
//! (docs/architecture.md, "The back-end seam", has the measurement).

pub(crate) mod readiness;

#[cfg(not(target_arch = "wasm32"))]
use std::future::Future;
#[cfg(not(target_arch = "wasm32"))]
use std::pin::Pin;

use crate::error::{Error, Result};
use crate::selector::Fd;
use crate::server::Server;
use crate::datagram::DatagramTransport;
use crate::transport::Transport;
#[cfg(not(target_arch = "wasm32"))]
use crate::EventLoop;

/// The outcome of [`Backend::connect`]: `Ok(Err(errno))` when the connect
/// itself failed (the caller words the error, as asyncio's
/// `Connect call failed`), `Err` when the loop could not wait for it.
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type ConnectFuture<'a> = Pin<Box<dyn Future<Output = Result<std::result::Result<(), i32>>> + 'a>>;

/// What a loop's back end provides (see the module docs).
pub(crate) trait Backend {
    /// How the servers of this loop accept connections.
    fn accept_driver(&self) -> Box<dyn AcceptDriver>;
    /// The I/O of one new transport.
    fn stream_io(&self) -> Box<dyn StreamIo>;
    /// The I/O of one new datagram transport.
    fn datagram_io(&self) -> Box<dyn DatagramIo>;
    /// Connects the non-blocking OS socket `sock` to `addr`.
    #[cfg(not(target_arch = "wasm32"))]
    fn connect<'a>(&'a self, lp: &'a EventLoop, sock: &'a socket2::Socket, addr: &'a socket2::SockAddr)
        -> ConnectFuture<'a>;
    /// Whether operations are submitted and complete later (a proactor).
    fn is_completion(&self) -> bool {
        false
    }
    /// Operations the kernel may still be working on (0 for readiness).
    fn in_flight(&self) -> usize {
        0
    }
    /// The kernel writes into no block a `RecvMemory` supplied again.
    fn release_recv_memory(&self) {}
}

/// How a server learns of new connections. Implementations hand what they
/// got to `server::accept::{accepted, accept_error}`, so the bookkeeping,
/// the iteration a protocol is made in and the EMFILE back-off are one code.
pub(crate) trait AcceptDriver {
    /// Starts accepting on the listening socket `fd`.
    ///
    /// # Errors
    /// The error that keeps accepting from starting (the server reports it).
    fn start(&self, server: &Server, fd: Fd) -> Result<()>;
    /// Stops accepting on `fd`; the server closes it right after, and a
    /// connection attempted from then on must be refused.
    fn stop(&self, server: &Server, fd: Fd);
}

/// The I/O of one transport: how bytes get from the socket to the shared
/// transport and back. The transport calls these at the points where
/// asyncio's selector and proactor transports differ.
pub(crate) trait StreamIo {
    /// Starts or resumes delivering data (`connection_made` done,
    /// `resume_reading()`).
    fn start_reading(&self, t: &Transport);
    /// `pause_reading()`, or EOF on a half-open connection: deliver nothing
    /// more for now; a read already under way is kept for later.
    fn pause_reading(&self, t: &Transport);
    /// `close()`: stop reading for good; what is read from now on is dropped.
    fn stop_reading(&self, t: &Transport);
    /// Bytes are buffered: send them when the socket takes them.
    fn start_writing(&self, t: &Transport);
    /// The buffer is empty, or was dropped: stop sending.
    fn stop_writing(&self, t: &Transport);
    /// `abort()` or a fatal error: stop everything now.
    fn abort(&self, t: &Transport);
    /// The socket is about to close: let go of it (also from `Drop`).
    fn release(&self);
    /// Bytes handed to the socket but not yet confirmed sent; they count
    /// in `get_write_buffer_size()`, as asyncio's proactor counts them.
    fn in_flight(&self) -> usize;
    /// Whether `write()` of `len` bytes with nothing buffered tries one
    /// non-blocking `send` at once (every back end), rather than leaving
    /// them to `start_writing` (a proactor's zero-copy send of large writes).
    fn sends_directly(&self, _t: &Transport, _len: usize) -> bool {
        true
    }
    /// For the transport's repr: the class name and the read and write
    /// states (`"polling"`, `"pending"`, `"idle"`).
    fn describe(&self, t: &Transport) -> (&'static str, &'static str, &'static str);
    /// The transport is done (closed and flushed, aborted, or failed) and
    /// would report `connection_lost(exc)`. `Some(exc)` hands it back to do
    /// so (every socket back end); a layer (TLS) that must first finish
    /// below (close_notify, then the socket transport's own loss) keeps it
    /// and returns `None`, then calls `Transport::lower_layer_lost`.
    fn take_loss(&self, _t: &Transport, exc: Option<Error>) -> Option<Option<Error>> {
        Some(exc)
    }
}

/// The I/O of one datagram transport. Sending at once when nothing is
/// buffered is shared code (a non-blocking `sendto`, as both of asyncio's
/// datagram transports start); these are the points where readiness and
/// completion differ.
pub(crate) trait DatagramIo {
    /// `connection_made` is done: start delivering datagrams.
    fn start_reading(&self, t: &DatagramTransport);
    /// `close()`: stop reading for good.
    fn stop_reading(&self, t: &DatagramTransport);
    /// Datagrams are buffered: send them when the socket takes them.
    fn start_writing(&self, t: &DatagramTransport);
    /// The buffer is empty, or was dropped.
    fn stop_writing(&self, t: &DatagramTransport);
    /// `abort()` or a fatal error: stop everything now.
    fn abort(&self, t: &DatagramTransport);
    /// The socket is about to close: let go of it.
    fn release(&self);
    /// Buffer bytes (with the per-datagram overhead) of a send handed to
    /// the kernel and not yet completed.
    fn in_flight(&self) -> usize;
    /// For the transport's repr: the class name, read and write states.
    fn describe(&self, t: &DatagramTransport) -> (&'static str, &'static str, &'static str);
}
