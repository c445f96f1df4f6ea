//! The socket transport (asyncio's selector and completion socket
//! transports in one), as a small state machine:
//! open -> closing (close(): flush, then lose) -> lost (connection_lost
//! ran or is queued). `conn_lost` counts how often loss was requested, as
//! in asyncio, and also drives the warnings for writes after loss.
//!
//! The protocol calls, the write buffer, flow control and closing are
//! here (writing and flow control in `write.rs`, closing and losing the
//! connection in `close.rs`); moving the bytes is the loop back end's
//! [`StreamIo`], asked for once per transport.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell, RefMut};
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use super::pipe::Kind;
use super::protocol::Protocol;
use super::write_buffer::{Limits, WriteBuffer};
use crate::backend::StreamIo;
use crate::error::{Error, Result};
use crate::exception::ExceptionContext;
use crate::future::Future;
use crate::net::socket::StreamSocket;
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;
use crate::server::Server;
use crate::task::Panicked;
use crate::EventLoop;

// The transport's jobs past opening and reading, one file each.
mod close;
mod write;

/// From this many writes after the connection was lost on, each one logs a
/// warning (asyncio's `LOG_THRESHOLD_FOR_CONNLOST_WRITES`).
const LOG_THRESHOLD_FOR_CONNLOST_WRITES: u32 = 5;

static NEXT_TRANSPORT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(crate) struct TransportInner {
    _live: crate::live::Counted,
    /// Unique for the process: the server's client table is keyed by it.
    pub(crate) id: u64,
    pub(super) lp: EventLoop,
    /// `None` once `connection_lost` ran and the socket was closed.
    pub(super) sock: RefCell<Option<Box<dyn StreamSocket>>>,
    pub(super) fd: Fd,
    socket_view: TransportSocket,
    pub(super) protocol: RefCell<Rc<dyn Protocol>>,
    /// The server that accepted the connection, detached after loss.
    server: RefCell<Option<Server>>,
    peername: Option<Address>,
    sockname: Option<Address>,
    pub(super) buffer: RefCell<WriteBuffer>,
    limits: Cell<Limits>,
    pub(super) closing: Cell<bool>,
    pub(super) conn_lost: Cell<u32>,
    /// `write_eof()` was called.
    eof: Cell<bool>,
    /// Reading paused by `pause_reading()`.
    paused: Cell<bool>,
    /// `pause_writing()` was called and `resume_writing()` not yet.
    protocol_paused: Cell<bool>,
    /// Moves the bytes: the loop's back end decides how (or a layer, TLS).
    pub(super) io: Box<dyn StreamIo>,
    /// A socket connection, or one of the two pipe transports.
    pub(super) kind: Kind,
    /// Whether this transport owns the fd (registered with the loop as its
    /// transport): a layered one (TLS) shares the fd of the one below.
    owns_fd: bool,
    /// What the socket adds to `get_extra_info` (TLS's keys), kept past
    /// the close as asyncio keeps them.
    extra: Option<Rc<dyn ExtraInfoSource>>,
    /// `loop.sendfile()` on this transport (sendfile.rs).
    pub(super) sendfile: super::sendfile::SendfileState,
}

/// What a layered socket adds to `get_extra_info`.
pub(crate) trait ExtraInfoSource {
    fn extra_info(&self, name: &str) -> Option<ExtraInfo>;
}

/// A connection's transport. Clones are the same transport.
#[derive(Clone)]
pub struct Transport(pub(crate) Rc<TransportInner>);

/// What `get_extra_info` can return.
#[derive(Clone, Debug)]
pub enum ExtraInfo {
    /// `"peername"` / `"sockname"`.
    Address(Address),
    /// `"socket"`.
    Socket(TransportSocket),
    /// `"pipe"` (pipe transports): the pipe's fd, -1 once closed.
    Pipe(Fd),
    /// `"sslcontext"`.
    SslContext(crate::tls::SslContext),
    /// `"ssl_object"`.
    SslObject(crate::tls::SslObject),
    /// `"peercert"`: Python's `getpeercert()` (`None` when the peer sent
    /// no certificate; an empty one when it was not verified).
    PeerCert(Option<crate::tls::PeerCert>),
    /// `"cipher"`: `(name, protocol version, secret bits)`.
    Cipher(Option<crate::tls::Cipher>),
}

impl Transport {
    /// Wraps a connected socket: the server (if any) counts it at once;
    /// `connection_made`, the start of reading and `waiter` follow through
    /// `call_soon`, in that order.
    pub(crate) fn new(
        lp: &EventLoop,
        sock: Box<dyn StreamSocket>,
        protocol: Rc<dyn Protocol>,
        server: Option<Server>,
        peername: Option<Address>,
        waiter: Option<Future<()>>,
    ) -> Result<Transport> {
        Self::with_kind(lp, sock, protocol, server, peername, waiter, Kind::Socket)
    }

    /// [`new`](Self::new) for a socket or a pipe transport.
    pub(super) fn with_kind(
        lp: &EventLoop,
        sock: Box<dyn StreamSocket>,
        protocol: Rc<dyn Protocol>,
        server: Option<Server>,
        peername: Option<Address>,
        waiter: Option<Future<()>>,
        kind: Kind,
    ) -> Result<Transport> {
        let io = lp.backend().stream_io();
        Transport::build(lp, sock, io, protocol, server, peername, waiter, kind, true)
    }

    /// A transport layered over another one's socket (TLS): its own I/O,
    /// no claim on the fd; `connection_made` only if `connection_made`
    /// (`start_tls` keeps the protocol's connection as it was).
    pub(crate) fn layered(
        lp: &EventLoop,
        sock: Box<dyn StreamSocket>,
        io: Box<dyn StreamIo>,
        protocol: Rc<dyn Protocol>,
        waiter: Option<Future<()>>,
        connection_made: bool,
    ) -> Result<Transport> {
        Transport::build(lp, sock, io, protocol, None, None, waiter, Kind::Socket, connection_made)
    }

    #[allow(clippy::too_many_arguments)]
    fn build(
        lp: &EventLoop,
        sock: Box<dyn StreamSocket>,
        io: Box<dyn StreamIo>,
        protocol: Rc<dyn Protocol>,
        server: Option<Server>,
        peername: Option<Address>,
        waiter: Option<Future<()>>,
        kind: Kind,
        connection_made: bool,
    ) -> Result<Transport> {
        let fd = sock.fd();
        let owns_fd = sock.owns_fd();
        let extra = sock.extra_info_source();
        let inner = Rc::new(TransportInner {
            _live: crate::live::Counted::new(crate::live::Kind::Transport),
            id: NEXT_TRANSPORT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            lp: lp.clone(),
            socket_view: sock.view(),
            sockname: sock.local_addr(),
            peername: peername.or_else(|| sock.peer_addr()),
            sock: RefCell::new(Some(sock)),
            fd,
            protocol: RefCell::new(protocol.clone()),
            server: RefCell::new(server.clone()),
            buffer: RefCell::new(WriteBuffer::default()),
            limits: Cell::new(Limits::default()),
            closing: Cell::new(false),
            conn_lost: Cell::new(0),
            eof: Cell::new(false),
            paused: Cell::new(false),
            protocol_paused: Cell::new(false),
            extra,
            io,
            kind,
            owns_fd,
            sendfile: Default::default(),
        });
        let transport = Transport(inner);
        if let Some(server) = &server {
            server.attach(&transport);
        }
        if owns_fd {
            lp.claim_fd(fd, crate::event_loop::FdOwner::Stream(Rc::downgrade(&transport.0)));
        }
        let t = transport.clone();
        if connection_made {
            lp.call_soon_labelled(Cow::Borrowed("Protocol.connection_made"), move || {
            let protocol = t.0.protocol.borrow().clone();
            if let Err(e) = call_protocol(|| protocol.connection_made(&t)) {
                t.0.lp.call_exception_handler(with_payload(
                    ExceptionContext::new("Exception in callback Protocol.connection_made")
                        .with_exception(e.to_string()),
                    &protocol,
                    &e,
                ));
            }
            })?;
        }
        let t = transport.clone();
        lp.call_soon_labelled(Cow::Borrowed("Transport._add_reader"), move || t.start_reading())?;
        if let Some(waiter) = waiter {
            lp.call_soon_labelled(Cow::Borrowed("set_result_unless_cancelled"), move || {
                if !waiter.done() {
                    let _ = waiter.set_result(());
                }
            })?;
        }
        Ok(transport)
    }

    /// Whether this transport is layered over another one (TLS).
    pub fn is_layered(&self) -> bool {
        !self.0.owns_fd
    }

    /// Whether the two are the same transport.
    pub fn ptr_eq(&self, other: &Transport) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    pub(crate) fn downgrade(&self) -> Weak<TransportInner> {
        Rc::downgrade(&self.0)
    }

    /// The loop the transport runs on.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    // ----- extra info -----

    /// `get_extra_info(name)`: `"peername"`, `"sockname"`, `"socket"`;
    /// `None` for other names (the caller applies its default).
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        if self.0.kind != Kind::Socket {
            return self.pipe_extra_info(name);
        }
        match name {
            "peername" => self.0.peername.clone().map(ExtraInfo::Address),
            "sockname" => self.0.sockname.clone().map(ExtraInfo::Address),
            "socket" => Some(ExtraInfo::Socket(self.0.socket_view.clone())),
            _ => self.0.extra.as_ref().and_then(|e| e.extra_info(name)),
        }
    }

    /// The peer's address.
    pub fn peername(&self) -> Option<Address> {
        self.0.peername.clone()
    }

    /// The local address.
    pub fn sockname(&self) -> Option<Address> {
        self.0.sockname.clone()
    }

    /// A view of the socket.
    pub fn socket(&self) -> TransportSocket {
        self.0.socket_view.clone()
    }

    // ----- protocol -----

    /// Swaps the protocol that receives the connection's events.
    pub fn set_protocol(&self, protocol: Rc<dyn Protocol>) {
        *self.0.protocol.borrow_mut() = protocol;
    }

    /// The current protocol.
    pub fn get_protocol(&self) -> Rc<dyn Protocol> {
        self.0.protocol.borrow().clone()
    }

    // ----- reading -----

    /// Whether the transport is reading (not paused, not closing).
    pub fn is_reading(&self) -> bool {
        !self.is_write_pipe() && !self.0.paused.get() && !self.0.closing.get()
    }

    /// Stops reading until `resume_reading()`; idempotent, and a no-op
    /// once closing. Data meanwhile waits in the kernel.
    pub fn pause_reading(&self) {
        if self.0.closing.get() || self.0.paused.get() || self.is_write_pipe() {
            return;
        }
        self.0.paused.set(true);
        self.0.io.pause_reading(self);
    }

    /// Resumes reading; idempotent, and a no-op once closing.
    pub fn resume_reading(&self) {
        if self.0.closing.get() || !self.0.paused.get() {
            return;
        }
        self.0.paused.set(false);
        self.start_reading();
    }

    pub(crate) fn start_reading(&self) {
        if self.is_write_pipe() {
            return self.watch_reader();
        }
        if !self.is_reading() {
            return;
        }
        self.0.io.start_reading(self);
    }

    /// EOF arrived: `eof_received()` decides between half-open and close.
    pub(crate) fn read_ready_eof(&self, protocol: &Rc<dyn Protocol>) {
        if self.0.kind == Kind::ReadPipe {
            return self.read_pipe_eof();
        }
        match call_protocol(|| protocol.eof_received()) {
            Err(e) => self.fatal_error(e, "Fatal error: protocol.eof_received() call failed."),
            // Half-open: stop reading, keep writing possible.
            Ok(true) => self.0.io.pause_reading(self),
            Ok(false) => self.close(),
        }
    }
}

/// Attaches what the protocol wants its binding's handler to get.
fn with_payload(ctx: ExceptionContext, protocol: &Rc<dyn Protocol>, exc: &Error) -> ExceptionContext {
    match protocol.report_payload(exc) {
        Some(payload) => ctx.with_payload(payload),
        None => ctx,
    }
}

/// Calls into the protocol, turning a panic into an error like an `Err`.
pub(crate) fn call_protocol<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(Error::user(Panicked(crate::exception::panic_text(&*payload)))),
    }
}

impl Drop for TransportInner {
    /// A transport dropped without `connection_lost` (abandoned while
    /// paused) must not keep its server "active" forever (gh-114914): it
    /// detaches, and its socket closes.
    fn drop(&mut self) {
        if let Some(server) = self.server.get_mut().take() {
            server.detach(self.id);
        }
        if self.sock.get_mut().is_some() {
            if self.owns_fd {
                self.lp.release_fd(self.fd);
            }
            self.io.release();
        }
    }
}

impl fmt::Debug for Transport {
    /// `<_SelectorSocketTransport fd=6 read=polling write=<idle, bufsize=0>>`;
    /// the class name and the states are the back end's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (class, reading, writing) = self.0.io.describe(self);
        let class = self.0.kind.class_name().unwrap_or(class);
        write!(f, "<{class}")?;
        if self.0.sock.borrow().is_none() {
            return write!(f, " closed>");
        }
        if self.0.closing.get() {
            write!(f, " closing")?;
        }
        write!(f, " fd={} read={reading} write=<{writing}, bufsize={}>>", self.0.fd, self.get_write_buffer_size())
    }
}

/// What the back ends' stream I/O reads and changes.
impl Transport {
    pub(crate) fn lp(&self) -> &EventLoop {
        &self.0.lp
    }
    pub(crate) fn conn_lost(&self) -> bool {
        self.0.conn_lost.get() > 0
    }
    pub(crate) fn fd(&self) -> Fd {
        self.0.fd
    }
    /// A pipe transport: the back end reads and writes with `read`/`write`
    /// rather than `recv`/`send`.
    pub(crate) fn is_pipe(&self) -> bool {
        self.0.kind != Kind::Socket
    }
    /// The socket; `None` once closed.
    pub(crate) fn sock(&self) -> Ref<'_, Option<Box<dyn StreamSocket>>> {
        self.0.sock.borrow()
    }
    /// The bytes waiting to be sent. Not borrowed across protocol calls.
    pub(crate) fn write_buffer(&self) -> RefMut<'_, WriteBuffer> {
        self.0.buffer.borrow_mut()
    }
}
