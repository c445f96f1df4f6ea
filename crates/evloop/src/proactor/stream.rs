//! A transport's I/O on a proactor (asyncio's `_ProactorSocketTransport`):
//! the protocol contract, the write buffer, flow control and closing are
//! the shared `transport/stream.rs`; this part submits the reads and sends.
//!
//! - **Reading** (`stream_read.rs`): a multishot receive into the ring's
//!   provided buffers for a plain `Protocol`, one receive at a time into
//!   the transport's own buffer otherwise; `pause_reading()` ends the
//!   multishot and keeps what it brought for `resume_reading()`.
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
use std::collections::VecDeque;
use std::io;
use std::rc::Rc;

use super::stream_read::Held;
use super::{Done, OpBufs, Ring};
use crate::backend::StreamIo;
use crate::error::Error;
use crate::transport::{ReadBuffer, Transport};

/// Writes of at least this many bytes to a remote peer go out as one
/// zero-copy send (`IORING_OP_SEND_ZC`) where the kernel has it: below,
/// pinning the pages and the extra notification cost more than the copy
/// they save. Never to a loopback peer: the kernel copies the data on local
/// delivery anyway, and a 100 KiB echo measured 1.4x dearer with it.
const ZC_MIN: usize = 64 * 1024;

/// Zero-copy sends are off: forced on a connection with a small send
/// buffer and a slow reader, one was seen to wait forever for room after
/// many partial sends, and no test here reaches a real network card where
/// they would run. The path stays, switched off, until that is understood.
const SEND_ZC: bool = false;

/// Bytes one receive into the transport's own buffer asks for (asyncio's
/// proactor default `buffer_size`).
pub(super) const RECV_SIZE: usize = 64 * 1024;

/// The I/O of one transport on a proactor loop.
pub(crate) struct ProactorIo(Rc<IoState>);

impl ProactorIo {
    pub(crate) fn new(ring: Rc<Ring>) -> ProactorIo {
        ProactorIo(Rc::new(IoState {
            ring,
            read_op: Cell::new(None),
            multishot: Cell::new(false),
            cancelling: Cell::new(false),
            single_once: Cell::new(false),
            write_op: Cell::new(None),
            held: RefCell::new(VecDeque::new()),
            delivering: Cell::new(false),
            lent: RefCell::new(None),
            eof: Cell::new(false),
            spare: RefCell::new(Vec::new()),
            remote: Cell::new(None),
        }))
    }
}

impl StreamIo for ProactorIo {
    fn start_reading(&self, t: &Transport) {
        self.0.start_reading(t);
    }
    /// Nothing is lost: what the receive in flight brings is kept for
    /// `resume_reading()`.
    fn pause_reading(&self, _t: &Transport) {
        self.0.pause_reading();
    }
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
    /// Large writes to a remote peer wait for a zero-copy send instead of
    /// a copying `send`.
    fn sends_directly(&self, t: &Transport, len: usize) -> bool {
        !self.0.zero_copy(t, len)
    }
    fn describe(&self, _t: &Transport) -> (&'static str, &'static str, &'static str) {
        let (read, write) = self.0.describe();
        ("_ProactorSocketTransport", read, write)
    }
}

/// The operations one transport has in flight, shared with their
/// completion callbacks.
pub(super) struct IoState {
    pub(super) ring: Rc<Ring>,
    /// The receive in flight (multishot or single).
    pub(super) read_op: Cell<Option<u64>>,
    /// Whether `read_op` is a multishot receive.
    pub(super) multishot: Cell<bool>,
    /// `pause_reading()` asked the kernel to end the multishot.
    pub(super) cancelling: Cell<bool>,
    /// The next receive goes into our own buffer (the ring had none free).
    pub(super) single_once: Cell<bool>,
    /// The send in flight and its byte count.
    write_op: Cell<Option<(u64, usize)>>,
    /// Receives that completed while paused (or behind those), in order.
    pub(super) held: RefCell<VecDeque<Held>>,
    /// A callback delivering `held` is scheduled.
    pub(super) delivering: Cell<bool>,
    /// The buffer a `BufferedProtocol` lent for the read in flight.
    pub(super) lent: RefCell<Option<ReadBuffer>>,
    /// EOF was received: no more reads.
    pub(super) eof: Cell<bool>,
    /// A receive buffer to reuse.
    pub(super) spare: RefCell<Vec<u8>>,
    /// Whether the peer is a remote IP address (zero-copy sends pay).
    remote: Cell<Option<bool>>,
}

impl IoState {
    /// Whether `len` bytes go out as a zero-copy send.
    fn zero_copy(&self, t: &Transport, len: usize) -> bool {
        if !SEND_ZC || len < ZC_MIN || !self.ring.has_send_zc() || t.is_pipe() {
            return false;
        }
        let remote = match self.remote.get() {
            Some(r) => r,
            None => {
                let r = matches!(t.peername(), Some(crate::net::Address::Inet(a)) if !a.ip().to_canonical().is_loopback());
                self.remote.set(Some(r));
                r
            }
        };
        remote
    }

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
        let entry = if t.is_pipe() {
            OpBufs::write_entry
        } else if chunks.len() == 1 && self.zero_copy(t, total) {
            OpBufs::send_zc_entry
        } else {
            OpBufs::send_entry
        };
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
        self.drop_held();
        self.lent.borrow_mut().take();
    }

    fn write_done(self: &Rc<Self>, t: &Transport, done: Done) {
        let io = self;
        let total = io.sending();
        io.write_op.set(None);
        if t.conn_lost() {
            return;
        }
        let result = done.result();
        // A zero-copy send's completion carries only what it did not send.
        let zero_copy = done.more();
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
                    t.write_buffer().push_front(if zero_copy { chunks } else { unsent_rest(chunks, n) });
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
