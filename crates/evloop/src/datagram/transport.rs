//! The datagram transport (asyncio's `_SelectorDatagramTransport`, and
//! the proactor's, in one): open -> closing (close(): flush the buffered
//! datagrams, then lose) -> lost. Receiving, and sending what had to be
//! buffered, is the back end's [`DatagramIo`]; the protocol calls, the
//! buffer and its accounting, flow control and closing are here.
//!
//! Send buffer accounting is asyncio's: each buffered datagram counts its
//! length plus [`HEADER_SIZE`] bytes, so that empty datagrams also fill the
//! buffer and pause the protocol.

use std::borrow::Cow;
use std::cell::{Cell, Ref, RefCell};
use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::rc::Rc;

use super::DatagramProtocol;
use crate::backend::DatagramIo;
use crate::error::{Error, Result};
use crate::exception::ExceptionContext;
use crate::future::Future;
use crate::net::socket::DatagramSocket;
use crate::net::{Address, TransportSocket};
use crate::selector::Fd;
use crate::transport::{call_protocol, ExtraInfo, Limits};
use crate::EventLoop;

/// What one buffered datagram counts beyond its bytes (asyncio's
/// `_header_size`).
pub(crate) const HEADER_SIZE: usize = 8;

/// From this many sends after the endpoint was lost on, each one logs a
/// warning (asyncio's `LOG_THRESHOLD_FOR_CONNLOST_WRITES`).
const LOG_THRESHOLD_FOR_CONNLOST_WRITES: u32 = 5;

/// A datagram waiting to be sent, and where to (`None`: the connected peer).
pub(crate) type Outgoing = (Vec<u8>, Option<Address>);

pub(crate) struct DatagramInner {
    lp: EventLoop,
    /// `None` once `connection_lost` ran and the socket was closed.
    sock: RefCell<Option<Box<dyn DatagramSocket>>>,
    fd: Fd,
    socket_view: TransportSocket,
    protocol: RefCell<Rc<dyn DatagramProtocol>>,
    /// The default destination (`remote_addr`): `sendto` refuses others.
    address: Option<Address>,
    peername: Option<Address>,
    sockname: Option<Address>,
    buffer: RefCell<VecDeque<Outgoing>>,
    /// Bytes buffered plus `HEADER_SIZE` per datagram.
    buffer_size: Cell<usize>,
    limits: Cell<Limits>,
    closing: Cell<bool>,
    conn_lost: Cell<u32>,
    protocol_paused: Cell<bool>,
    /// `connection_lost` ran (it runs once, whatever schedules it).
    lost: Cell<bool>,
    io: Box<dyn DatagramIo>,
}

/// A datagram endpoint's transport. Clones are the same transport.
#[derive(Clone)]
pub struct DatagramTransport(pub(crate) Rc<DatagramInner>);

impl DatagramTransport {
    /// Wraps a datagram socket: `connection_made`, the start of reading
    /// and `waiter` follow through `call_soon`, in that order.
    pub(crate) fn new(
        lp: &EventLoop,
        sock: Box<dyn DatagramSocket>,
        protocol: Rc<dyn DatagramProtocol>,
        address: Option<Address>,
        waiter: Future<()>,
    ) -> Result<DatagramTransport> {
        let fd = sock.fd();
        let t = DatagramTransport(Rc::new(DatagramInner {
            lp: lp.clone(),
            socket_view: sock.view(),
            sockname: sock.local_addr(),
            peername: sock.peer_addr(),
            sock: RefCell::new(Some(sock)),
            fd,
            protocol: RefCell::new(protocol),
            address,
            buffer: RefCell::new(VecDeque::new()),
            buffer_size: Cell::new(0),
            limits: Cell::new(Limits::default()),
            closing: Cell::new(false),
            conn_lost: Cell::new(0),
            protocol_paused: Cell::new(false),
            lost: Cell::new(false),
            io: lp.backend().datagram_io(),
        }));
        lp.claim_fd(fd, crate::event_loop::FdOwner::Datagram(Rc::downgrade(&t.0)));
        let t2 = t.clone();
        lp.call_soon_labelled(Cow::Borrowed("DatagramProtocol.connection_made"), move || {
            let protocol = t2.get_protocol();
            if let Err(e) = call_protocol(|| protocol.connection_made(&t2)) {
                t2.report(e, "Exception in callback DatagramProtocol.connection_made");
            }
        })?;
        let t2 = t.clone();
        lp.call_soon_labelled(Cow::Borrowed("_SelectorDatagramTransport._add_reader"), move || {
            if !t2.0.closing.get() {
                t2.0.io.start_reading(&t2);
            }
        })?;
        lp.call_soon_labelled(Cow::Borrowed("set_result_unless_cancelled"), move || {
            if !waiter.done() {
                let _ = waiter.set_result(());
            }
        })?;
        Ok(t)
    }

    /// Whether the two are the same transport.
    pub fn ptr_eq(&self, other: &DatagramTransport) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }

    /// The loop the transport runs on.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    /// `get_extra_info(name)`: `"peername"` (a connected endpoint),
    /// `"sockname"`, `"socket"`; `None` otherwise.
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        match name {
            "peername" => self.0.peername.clone().map(ExtraInfo::Address),
            "sockname" => self.0.sockname.clone().map(ExtraInfo::Address),
            "socket" => Some(ExtraInfo::Socket(self.0.socket_view.clone())),
            _ => None,
        }
    }

    /// The local address.
    pub fn sockname(&self) -> Option<Address> {
        self.0.sockname.clone()
    }

    /// The connected peer's address.
    pub fn peername(&self) -> Option<Address> {
        self.0.peername.clone()
    }

    /// A view of the socket.
    pub fn socket(&self) -> TransportSocket {
        self.0.socket_view.clone()
    }

    /// Swaps the protocol that receives the endpoint's events.
    pub fn set_protocol(&self, protocol: Rc<dyn DatagramProtocol>) {
        *self.0.protocol.borrow_mut() = protocol;
    }

    /// The current protocol.
    pub fn get_protocol(&self) -> Rc<dyn DatagramProtocol> {
        self.0.protocol.borrow().clone()
    }

    // ----- sending -----

    /// Sends one datagram (copied; empty ones too) to `addr`, or to the
    /// remote address: at once when nothing is buffered, else after what
    /// is. An OS error goes to `error_received()`, synchronously; sends
    /// after the endpoint was lost are dropped.
    ///
    /// # Errors
    /// `ValueError('Invalid address: must be None or (...)')` for another
    /// address than the endpoint's `remote_addr`; an error that
    /// `error_received()` returned.
    pub fn sendto(&self, data: &[u8], addr: Option<&Address>) -> Result<()> {
        let mut addr = addr.cloned();
        if let Some(remote) = &self.0.address {
            if addr.as_ref().is_some_and(|a| a != remote) {
                return Err(Error::Value(format!("Invalid address: must be None or {remote}")));
            }
            addr = Some(remote.clone());
        }
        if self.0.conn_lost.get() > 0 {
            if self.0.conn_lost.get() >= LOG_THRESHOLD_FOR_CONNLOST_WRITES {
                log::warn!(target: "evloop", "socket.send() raised exception.");
            }
            self.0.conn_lost.set(self.0.conn_lost.get() + 1);
            return Ok(());
        }
        if self.get_write_buffer_size() == 0 {
            let sent = {
                let sock = self.0.sock.borrow();
                sock.as_ref().map(|s| s.send_to(data, self.destination(addr.as_ref())))
            };
            match sent {
                Some(Ok(_)) => return Ok(()),
                Some(Err(e)) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
                Some(Err(e)) => return self.call_error_received(Error::os("sendto", e)),
                None => return Ok(()),
            }
        }
        let was_empty = self.0.buffer.borrow().is_empty();
        self.0.buffer.borrow_mut().push_back((data.to_vec(), addr));
        self.0.buffer_size.set(self.0.buffer_size.get() + data.len() + HEADER_SIZE);
        if was_empty {
            self.0.io.start_writing(self);
        }
        self.maybe_pause_protocol();
        Ok(())
    }

    /// A connected socket sends with `send` (the address was checked).
    pub(crate) fn destination<'a>(&self, addr: Option<&'a Address>) -> Option<&'a Address> {
        if self.0.peername.is_some() {
            None
        } else {
            addr
        }
    }

    /// The socket takes datagrams again: send the buffered ones, in order,
    /// until it would block (a readiness loop's writer, asyncio's
    /// `_sendto_ready`).
    pub(crate) fn send_buffered(&self) {
        while let Some((data, addr)) = self.take_next() {
            let sent = {
                let sock = self.0.sock.borrow();
                sock.as_ref().map(|s| s.send_to(&data, self.destination(addr.as_ref())))
            };
            match sent {
                Some(Err(e)) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                    self.put_back((data, addr));
                    break;
                }
                Some(Err(e)) => {
                    // As asyncio: the writer stays; the next readiness sends on.
                    self.error_during_send(Error::os("sendto", e));
                    return;
                }
                Some(Ok(_)) | None => {}
            }
        }
        self.drained();
    }

    /// Takes the oldest buffered datagram out of the buffer (a completion
    /// back end sends it and counts it as in flight).
    pub(crate) fn take_next(&self) -> Option<Outgoing> {
        let next = self.0.buffer.borrow_mut().pop_front()?;
        self.0.buffer_size.set(self.0.buffer_size.get() - next.0.len() - HEADER_SIZE);
        Some(next)
    }

    /// Puts a datagram the socket did not take back in front.
    pub(crate) fn put_back(&self, item: Outgoing) {
        self.0.buffer_size.set(self.0.buffer_size.get() + item.0.len() + HEADER_SIZE);
        self.0.buffer.borrow_mut().push_front(item);
    }

    /// A buffered send failed: `error_received()`, whose own failure is
    /// reported (nobody called us to hand it to).
    pub(crate) fn error_during_send(&self, exc: Error) {
        if let Err(e) = self.call_error_received(exc) {
            self.report(e, "Exception in callback _SelectorDatagramTransport._sendto_ready()");
        }
    }

    /// After buffered sends: resume the protocol at the low mark; once
    /// nothing is left, stop writing and finish a pending close.
    pub(crate) fn drained(&self) {
        // May append to the buffer.
        self.maybe_resume_protocol();
        if self.get_write_buffer_size() == 0 && self.0.buffer.borrow().is_empty() {
            self.0.io.stop_writing(self);
            if self.0.closing.get() {
                self.call_connection_lost(None);
            }
        }
    }

    /// Buffered bytes (plus `HEADER_SIZE` per datagram), in flight included.
    pub fn get_write_buffer_size(&self) -> usize {
        self.0.buffer_size.get() + self.0.io.in_flight()
    }

    /// `(low, high)`.
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        let l = self.0.limits.get();
        (l.low, l.high)
    }

    /// Sets the water marks (asyncio's defaults for a missing one) and
    /// applies them at once: this may call `pause_writing()`.
    ///
    /// # Errors
    /// `ValueError('high (h) must be >= low (l) must be >= 0')`.
    pub fn set_write_buffer_limits(&self, high: Option<i64>, low: Option<i64>) -> Result<()> {
        self.0.limits.set(Limits::new(high, low)?);
        self.maybe_pause_protocol();
        Ok(())
    }

    fn maybe_pause_protocol(&self) {
        if self.get_write_buffer_size() <= self.0.limits.get().high || self.0.protocol_paused.get() {
            return;
        }
        self.0.protocol_paused.set(true);
        let protocol = self.get_protocol();
        if let Err(e) = call_protocol(|| protocol.pause_writing()) {
            self.report(e, "protocol.pause_writing() failed");
        }
    }

    fn maybe_resume_protocol(&self) {
        if !self.0.protocol_paused.get() || self.get_write_buffer_size() > self.0.limits.get().low {
            return;
        }
        self.0.protocol_paused.set(false);
        let protocol = self.get_protocol();
        if let Err(e) = call_protocol(|| protocol.resume_writing()) {
            self.report(e, "protocol.resume_writing() failed");
        }
    }

    // ----- receiving -----

    /// A datagram arrived. A failing `datagram_received` is reported; the
    /// endpoint stays open (asyncio lets it escape the read callback).
    pub(crate) fn deliver(&self, data: &[u8], addr: Option<Address>) {
        let protocol = self.get_protocol();
        if let Err(e) = call_protocol(|| protocol.datagram_received(data, addr)) {
            self.report(e, "Exception in callback _SelectorDatagramTransport._read_ready()");
        }
    }

    /// A receive failed with an OS error: `error_received`.
    pub(crate) fn deliver_error(&self, exc: Error) {
        if let Err(e) = self.call_error_received(exc) {
            self.report(e, "Exception in callback _SelectorDatagramTransport._read_ready()");
        }
    }

    fn call_error_received(&self, exc: Error) -> Result<()> {
        let protocol = self.get_protocol();
        call_protocol(|| protocol.error_received(exc))
    }

    // ----- closing -----

    /// Whether `close()`/`abort()` was called or the endpoint failed.
    pub fn is_closing(&self) -> bool {
        self.0.closing.get()
    }

    /// Stops receiving now; once the buffered datagrams are sent,
    /// `connection_lost(None)` runs (in the next iteration if none is
    /// buffered). Idempotent.
    pub fn close(&self) {
        if self.0.closing.get() {
            return;
        }
        self.0.closing.set(true);
        self.0.io.stop_reading(self);
        if self.get_write_buffer_size() == 0 {
            self.0.conn_lost.set(self.0.conn_lost.get() + 1);
            self.0.io.stop_writing(self);
            self.schedule_connection_lost(None);
        }
    }

    /// Drops the buffer and closes at once; `connection_lost(None)` follows
    /// in the next iteration.
    pub fn abort(&self) {
        self.force_close(None);
    }

    fn force_close(&self, exc: Option<Error>) {
        if self.0.conn_lost.get() > 0 {
            return;
        }
        self.0.buffer.borrow_mut().clear();
        self.0.buffer_size.set(0);
        self.0.io.abort(self);
        self.0.closing.set(true);
        self.0.conn_lost.set(self.0.conn_lost.get() + 1);
        self.schedule_connection_lost(exc);
    }

    fn schedule_connection_lost(&self, exc: Option<Error>) {
        let t = self.clone();
        let scheduled = self
            .0
            .lp
            .call_soon_labelled(Cow::Borrowed("_SelectorDatagramTransport._call_connection_lost"), move || {
                t.call_connection_lost(exc)
            });
        if scheduled.is_err() {
            self.release();
        }
    }

    /// Reports an error that is not the OS's and closes with it.
    pub(crate) fn fatal_error(&self, exc: Error, message: &str) {
        if !matches!(exc, Error::Os(_)) {
            self.report(exc.clone(), message);
        }
        self.force_close(Some(exc));
    }

    fn report(&self, exc: Error, message: &str) {
        let protocol = self.get_protocol();
        let mut ctx = ExceptionContext::new(message)
            .with_error(exc.clone())
            .with("transport", format!("{self:?}"))
            .with("protocol", protocol.describe());
        if let Some(payload) = protocol.report_payload(&exc) {
            ctx = ctx.with_payload(payload);
        }
        self.0.lp.call_exception_handler(ctx);
    }

    fn call_connection_lost(&self, exc: Option<Error>) {
        if self.0.lost.replace(true) {
            return;
        }
        let protocol = self.get_protocol();
        let result = call_protocol(|| protocol.connection_lost(exc));
        self.release();
        if let Err(e) = result {
            let mut ctx = ExceptionContext::new("Exception in callback _SelectorDatagramTransport._call_connection_lost")
                .with_exception(e.to_string())
                .with("transport", format!("{self:?}"));
            if let Some(payload) = protocol.report_payload(&e) {
                ctx = ctx.with_payload(payload);
            }
            self.0.lp.call_exception_handler(ctx);
        }
    }

    /// At the loop's `close()`: closes the socket with no more protocol
    /// calls (the loop can run nothing more), as a stream transport does.
    pub(crate) fn release_at_loop_close(&self) {
        if self.0.sock.borrow().is_none() {
            return;
        }
        self.0.closing.set(true);
        self.0.buffer.borrow_mut().clear();
        self.0.buffer_size.set(0);
        self.release();
    }

    /// Closes the socket, after `connection_lost` returned.
    fn release(&self) {
        // A protocol that holds its transport would keep both alive.
        *self.0.protocol.borrow_mut() = Rc::new(Released);
        if self.0.conn_lost.get() == 0 {
            self.0.conn_lost.set(1);
        }
        self.0.lp.release_fd(self.0.fd);
        self.0.io.release();
        let sock = self.0.sock.borrow_mut().take();
        drop(sock);
    }
}

/// Stands in for the protocol after `connection_lost`.
struct Released;

impl DatagramProtocol for Released {}

impl Drop for DatagramInner {
    fn drop(&mut self) {
        if self.sock.get_mut().is_some() {
            self.lp.release_fd(self.fd);
            self.io.release();
        }
    }
}

impl fmt::Debug for DatagramTransport {
    /// `<_SelectorDatagramTransport fd=6 read=polling write=<idle, bufsize=0>>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (class, reading, writing) = self.0.io.describe(self);
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

/// What the back ends' datagram I/O reads.
impl DatagramTransport {
    pub(crate) fn lp(&self) -> &EventLoop {
        &self.0.lp
    }
    pub(crate) fn conn_lost(&self) -> bool {
        self.0.conn_lost.get() > 0
    }
    pub(crate) fn fd(&self) -> Fd {
        self.0.fd
    }
    /// The socket; `None` once closed.
    pub(crate) fn sock(&self) -> Ref<'_, Option<Box<dyn DatagramSocket>>> {
        self.0.sock.borrow()
    }
}
