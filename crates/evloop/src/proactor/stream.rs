//! A transport's I/O on a proactor (asyncio's `_ProactorSocketTransport`):
//! the protocol contract, the write buffer, flow control and closing are
//! the shared `transport/stream.rs`; this part submits the reads and sends.
//!
//! - **Reading**: one `IORING_OP_RECV` in flight while reading, into a
//!   64 KiB buffer (asyncio's proactor `buffer_size`); its completion
//!   delivers the data (one `data_received` per completion, so at most one
//!   per iteration) and submits the next. A `BufferedProtocol`'s
//!   `get_buffer(-1)` is called before each submission; the kernel reads
//!   into memory of that length, copied into the protocol's buffer on
//!   completion. `pause_reading()` does not cancel a read in flight (as
//!   asyncio's proactor, which would lose data): what it brings is kept and
//!   delivered by `resume_reading()`.
//! - **Writing**: `write()` first tries one non-blocking `send` when
//!   nothing is buffered or in flight (as the selector transport does), so
//!   small writes cost no operation; the rest is moved out of the buffer
//!   into one `IORING_OP_SEND`/`SENDMSG` at a time. Its bytes count in
//!   `get_write_buffer_size()` until it completes; an incomplete send puts
//!   the rest back in front.
//! - **Closing**: `close()` cancels the read; `abort()` and errors cancel
//!   both. The callbacks of cancelled operations never run; their memory is
//!   released when the kernel confirms.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use super::{Done, OpBufs, Ring};
use crate::backend::StreamIo;
use crate::error::Error;
use crate::transport::{call_protocol, ReadBuffer, Transport};

/// Bytes one receive asks for (asyncio's proactor default `buffer_size`).
const RECV_SIZE: usize = 64 * 1024;

/// The I/O of one transport on a proactor loop.
pub(crate) struct ProactorIo(Rc<IoState>);

impl ProactorIo {
    pub(crate) fn new(ring: Rc<Ring>) -> ProactorIo {
        ProactorIo(Rc::new(IoState {
            ring,
            read_op: Cell::new(None),
            write_op: Cell::new(None),
            paused_read: RefCell::new(None),
            lent: RefCell::new(None),
            eof: Cell::new(false),
            spare: RefCell::new(Vec::new()),
        }))
    }
}

impl StreamIo for ProactorIo {
    fn start_reading(&self, t: &Transport) {
        self.0.start_reading(t);
    }
    /// A read in flight is not cancelled (asyncio's proactor would lose
    /// data): what it brings is kept for `resume_reading()`.
    fn pause_reading(&self, _t: &Transport) {}
    fn stop_reading(&self, _t: &Transport) {
        self.0.stop_reading();
    }
    fn start_writing(&self, t: &Transport) {
        self.0.flush(t);
    }
    /// Nothing is waited on: the send in flight completes on its own.
    fn stop_writing(&self, _t: &Transport) {}
    fn abort(&self, _t: &Transport) {
        self.0.cancel_all();
    }
    /// The socket closes: also frees the spare receive buffer (64 KiB),
    /// which a released transport would otherwise keep for as long as
    /// something holds it (in Node, its JavaScript object until a
    /// collection: under churn, hundreds of them).
    fn release(&self) {
        self.0.cancel_all();
        self.0.spare.take();
    }
    fn in_flight(&self) -> usize {
        self.0.sending()
    }
    fn describe(&self, _t: &Transport) -> (&'static str, &'static str, &'static str) {
        let (read, write) = self.0.describe();
        ("_ProactorSocketTransport", read, write)
    }
}

/// The operations one transport has in flight, shared with their
/// completion callbacks.
struct IoState {
    ring: Rc<Ring>,
    /// The receive in flight.
    read_op: Cell<Option<u64>>,
    /// The send in flight and its byte count.
    write_op: Cell<Option<(u64, usize)>>,
    /// A read that completed while reading was paused.
    paused_read: RefCell<Option<Done>>,
    /// The buffer a `BufferedProtocol` lent for the read in flight.
    lent: RefCell<Option<ReadBuffer>>,
    /// EOF was received: no more reads.
    eof: Cell<bool>,
    /// A receive buffer to reuse.
    spare: RefCell<Vec<u8>>,
}

impl IoState {
    /// Bytes of the send in flight.
    fn sending(&self) -> usize {
        self.write_op.get().map_or(0, |(_, n)| n)
    }

    /// For the transport's repr: `(read, write)` states.
    fn describe(&self) -> (&'static str, &'static str) {
        (
            if self.read_op.get().is_some() { "pending" } else { "idle" },
            if self.write_op.get().is_some() { "pending" } else { "idle" },
        )
    }

    // ----- reading -----

    /// Submits a receive unless one is in flight; first delivers a read
    /// that completed while paused (through `call_soon`, as asyncio's
    /// `resume_reading`).
    fn start_reading(self: &Rc<Self>, t: &Transport) {
        if self.read_op.get().is_some() || self.eof.get() || t.conn_lost() {
            return;
        }
        if let Some(done) = self.paused_read.borrow_mut().take() {
            let (t2, io) = (t.clone(), self.clone());
            let _ = t.lp().call_soon_labelled(std::borrow::Cow::Borrowed("Transport._data_received"), move || {
                if t2.is_reading() {
                    io.deliver(&t2, done);
                } else {
                    // Paused again, or closing: keep it (or drop it when closing).
                    *io.paused_read.borrow_mut() = Some(done);
                }
            });
            return;
        }
        let protocol = t.get_protocol();
        let len = match protocol.buffered() {
            Some(buffered) => {
                let buf = match call_protocol(|| buffered.get_buffer(-1)) {
                    Ok(buf) if buf.borrow().is_empty() => {
                        let e = Error::Runtime("get_buffer() returned an empty buffer".into());
                        return t.fatal_error(e, "Fatal error: protocol.get_buffer() call failed.");
                    }
                    Ok(buf) => buf,
                    Err(e) => return t.fatal_error(e, "Fatal error: protocol.get_buffer() call failed."),
                };
                let len = buf.borrow().len();
                *self.lent.borrow_mut() = Some(buf);
                len
            }
            None => {
                *self.lent.borrow_mut() = None;
                RECV_SIZE
            }
        };
        let fd = t.fd();
        let bufs = OpBufs::recv(len, std::mem::take(&mut *self.spare.borrow_mut()));
        let (t2, io) = (t.clone(), self.clone());
        // Pipe transports read with read(2): recv(2) needs a socket.
        let entry = if t.is_pipe() { OpBufs::read_entry } else { OpBufs::recv_entry };
        match self.ring.submit(fd, bufs, "Transport._loop_reading", |b| entry(b, fd), move |done| io.read_done(&t2, done)) {
            Ok(token) => self.read_op.set(Some(token)),
            Err(e) => t.fatal_error(Error::os("recv", e), "Fatal read error on socket transport"),
        }
    }

    /// `close()`: stop reading now.
    fn stop_reading(&self) {
        if let Some(token) = self.read_op.take() {
            self.ring.cancel(token);
        }
        self.paused_read.borrow_mut().take();
    }

    /// Hands a completed read to the protocol, then reads on.
    fn deliver(self: &Rc<Self>, t: &Transport, done: Done) {
        match done.result() {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => self.start_reading(t),
            Err(e) => t.fatal_error(Error::os("recv", e), "Fatal read error on socket transport"),
            Ok(0) => {
                self.eof.set(true);
                self.recycle(done.bufs.data);
                t.read_ready_eof(&t.get_protocol());
            }
            Ok(n) => {
                let protocol = t.get_protocol();
                let lent = self.lent.borrow_mut().take();
                let n = n.min(done.bufs.data.len());
                let result = match protocol.buffered() {
                    Some(buffered) => feed_buffered(buffered, lent, &done.bufs.data[..n]),
                    None => call_protocol(|| protocol.data_received(&done.bufs.data[..n]))
                        .map_err(|e| (e, "Fatal error: protocol.data_received() call failed.")),
                };
                self.recycle(done.bufs.data);
                match result {
                    Err((e, message)) => t.fatal_error(e, message),
                    Ok(()) => {
                        if t.is_reading() {
                            self.start_reading(t);
                        }
                    }
                }
            }
        }
    }

    fn recycle(&self, buf: Vec<u8>) {
        if buf.capacity() >= RECV_SIZE {
            *self.spare.borrow_mut() = buf;
        }
    }

    // ----- writing -----

    /// Submits a send of the buffered bytes unless one is in flight.
    fn flush(self: &Rc<Self>, t: &Transport) {
        if self.write_op.get().is_some() || t.conn_lost() {
            return;
        }
        let chunks = t.write_buffer().take_front();
        let total: usize = chunks.iter().map(Vec::len).sum();
        if total == 0 {
            return;
        }
        let fd = t.fd();
        let (t2, io) = (t.clone(), self.clone());
        let entry = if t.is_pipe() { OpBufs::write_entry } else { OpBufs::send_entry };
        match self.ring.submit(fd, OpBufs::send(chunks), "Transport._loop_writing", |b| entry(b, fd), move |done| io.write_done(&t2, done)) {
            Ok(token) => self.write_op.set(Some((token, total))),
            Err(e) => {
                t.write_buffer().clear();
                t.fatal_error(Error::os("send", e), "Fatal write error on socket transport");
            }
        }
    }

    /// `abort()`, a fatal error, or the socket closing: cancel everything.
    fn cancel_all(&self) {
        if let Some(token) = self.read_op.take() {
            self.ring.cancel(token);
        }
        if let Some((token, _)) = self.write_op.take() {
            self.ring.cancel(token);
        }
        self.paused_read.borrow_mut().take();
        self.lent.borrow_mut().take();
    }

    fn read_done(self: &Rc<Self>, t: &Transport, done: Done) {
        let io = self;
        io.read_op.set(None);
        if t.conn_lost() || t.is_closing() {
            // close() was called: what was read is dropped, as asyncio does.
            return;
        }
        if !t.is_reading() {
            *io.paused_read.borrow_mut() = Some(done);
            return;
        }
        io.deliver(t, done);
    }

    fn write_done(self: &Rc<Self>, t: &Transport, done: Done) {
        let io = self;
        let total = io.sending();
        io.write_op.set(None);
        if t.conn_lost() {
            return;
        }
        let result = done.result();
        let chunks = done.bufs.chunks;
        match result {
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                t.write_buffer().push_front(chunks);
                io.flush(t);
            }
            Err(e) => {
                t.write_buffer().clear();
                t.fatal_error(Error::os("send", e), "Fatal write error on socket transport");
            }
            Ok(n) => {
                if n < total {
                    t.write_buffer().push_front(unsent_rest(chunks, n));
                }
                // Resume the protocol, finish a close or write_eof once empty.
                t.sent();
                if !t.conn_lost() {
                    io.flush(t);
                }
            }
        }
    }
}

/// Hands `data` to a `BufferedProtocol`: into the buffer lent for this
/// read, or (the protocol was switched while the read was in flight) into
/// buffers asked for now, as many as it takes.
fn feed_buffered(
    buffered: &dyn crate::transport::BufferedProtocol,
    mut lent: Option<ReadBuffer>,
    mut data: &[u8],
) -> Result<(), (Error, &'static str)> {
    const GET: &str = "Fatal error: protocol.get_buffer() call failed.";
    while !data.is_empty() {
        let buf = match lent.take() {
            Some(buf) => buf,
            None => match call_protocol(|| buffered.get_buffer(-1)) {
                Ok(buf) if buf.borrow().is_empty() => {
                    return Err((Error::Runtime("get_buffer() returned an empty buffer".into()), GET))
                }
                Ok(buf) => buf,
                Err(e) => return Err((e, GET)),
            },
        };
        let n = {
            let mut b = buf.borrow_mut();
            let n = data.len().min(b.len());
            b[..n].copy_from_slice(&data[..n]);
            n
        };
        call_protocol(|| buffered.buffer_updated(n)).map_err(|e| (e, "Fatal error: protocol.buffer_updated() call failed."))?;
        data = &data[n..];
    }
    Ok(())
}

/// The chunks after the first `sent` bytes.
fn unsent_rest(chunks: Vec<Vec<u8>>, mut sent: usize) -> Vec<Vec<u8>> {
    let mut rest = Vec::new();
    for mut c in chunks {
        if sent >= c.len() {
            sent -= c.len();
            continue;
        }
        if sent > 0 {
            c.drain(..sent);
            sent = 0;
        }
        rest.push(c);
    }
    rest
}
