//! A proactor transport's reading (see `stream.rs` for the whole).
//!
//! - **Multishot receive** (`IORING_OP_RECV` + `IORING_RECV_MULTISHOT`
//!   into the ring's provided buffers, `bufring.rs`) for a plain
//!   `Protocol` on a socket: submitted once when reading starts, and again
//!   only when the kernel ends it (EOF, an error, no free buffer, a full
//!   completion queue). Each completion names the buffer the kernel
//!   filled; [`feed`] hands it to `data_received`, and dropping it gives
//!   it back to the kernel.
//! - **One receive at a time** into the transport's own buffer for a
//!   `BufferedProtocol` (`get_buffer(-1)` before each submission, as M3's
//!   sequence wants), a pipe (`read(2)`), a kernel without provided buffer
//!   rings, or once after the ring ran out of buffers (`ENOBUFS`).
//!
//! Flow control: `pause_reading()` asks the kernel to end the multishot
//! receive; what it took from the socket before it ended is kept, in
//! order, with what a single receive in flight brings, and delivered by
//! `resume_reading()` before anything newer. Nothing is lost: data the
//! kernel did not take stays in the socket. A kept piece gives its
//! provided buffer back at once: it stays where it lies when that is a
//! block a binding supplied (never written again), and is copied out of
//! the ring's own memory otherwise.

use std::io;
use std::rc::Rc;

use io_uring::{opcode, types};

use super::bufring::{KeptPiece, BUF_SIZE, GROUP};
use super::stream::{IoState, RECV_SIZE};
use super::{Done, OpBufs};
use crate::error::Error;
use crate::transport::read_supply::{read_and_deliver, Completed, ReadOutcome};
use crate::transport::{call_protocol, BufferedProtocol, ReadBuffer, Transport};

impl IoState {
    /// Starts receiving unless a receive is in flight; first delivers what
    /// completed while paused (through `call_soon`, as asyncio's
    /// `resume_reading`).
    pub(super) fn start_reading(self: &Rc<Self>, t: &Transport) {
        if self.eof.get() || t.conn_lost() {
            return;
        }
        if !self.held.borrow().is_empty() {
            return self.schedule_held(t);
        }
        if self.read_op.get().is_some() {
            // A multishot being cancelled re-arms from its last completion.
            return;
        }
        let protocol = t.get_protocol();
        let single = self.single_once.replace(false);
        if !single && !t.is_pipe() && protocol.buffered().is_none() && self.ring.has_bufring() {
            return self.start_multishot(t);
        }
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

    fn start_multishot(self: &Rc<Self>, t: &Transport) {
        let fd = t.fd();
        let entry = opcode::RecvMulti::new(types::Fd(fd), GROUP).len(BUF_SIZE as u32).build();
        let (t2, io) = (t.clone(), self.clone());
        let on_each: Rc<dyn Fn(Done)> = Rc::new(move |done| io.multishot_done(&t2, done));
        match self.ring.submit_multishot(fd, "Transport._loop_reading", entry, on_each) {
            Ok(token) => {
                self.read_op.set(Some(token));
                self.multishot.set(true);
            }
            Err(e) => t.fatal_error(Error::os("recv", e), "Fatal read error on socket transport"),
        }
    }

    /// `pause_reading()`: a multishot receive is asked to end (what it
    /// brings until then is kept); a single receive in flight is left to
    /// complete (as asyncio's proactor, which would otherwise lose data).
    pub(super) fn pause_reading(&self) {
        if let (Some(token), true, false) = (self.read_op.get(), self.multishot.get(), self.cancelling.get()) {
            self.cancelling.set(true);
            self.ring.request_cancel(token);
        }
    }

    /// `close()`: stop reading now; what was received is dropped.
    pub(super) fn stop_reading(&self) {
        if let Some(token) = self.read_op.take() {
            self.ring.cancel(token);
        }
        self.drop_held();
    }

    /// A completion of the multishot receive.
    fn multishot_done(self: &Rc<Self>, t: &Transport, done: Done) {
        if !done.more() {
            self.read_op.set(None);
            self.multishot.set(false);
            self.cancelling.set(false);
        }
        if t.conn_lost() || t.is_closing() {
            return; // close() was called: dropped, as asyncio does
        }
        match done.res {
            r if r == -libc::ECANCELED => {}
            // Every provided buffer is taken: the ring grows, or when it
            // cannot, one receive goes into our own buffer.
            r if r == -libc::ENOBUFS => {
                if !self.ring.grow_bufring() {
                    self.single_once.set(true);
                }
            }
            _ => self.arrived(t, done),
        }
        self.read_on(t);
    }

    /// A single receive completed.
    fn read_done(self: &Rc<Self>, t: &Transport, done: Done) {
        self.read_op.set(None);
        if t.conn_lost() || t.is_closing() {
            return;
        }
        self.arrived(t, done);
        self.read_on(t);
    }

    /// Delivers a completed receive now, or keeps it (paused, or older
    /// receives still waiting to be delivered).
    fn arrived(self: &Rc<Self>, t: &Transport, done: Done) {
        if t.is_reading() && self.held.borrow().is_empty() {
            self.deliver(t, done);
        } else {
            self.held.borrow_mut().push_back(Held::from(done));
        }
    }

    /// Submits the next receive when reading goes on and none is in flight.
    fn read_on(self: &Rc<Self>, t: &Transport) {
        if t.is_reading() && !t.conn_lost() && self.read_op.get().is_none() {
            self.start_reading(t);
        }
    }

    /// Delivers the kept receives in one callback, then reads on.
    fn schedule_held(self: &Rc<Self>, t: &Transport) {
        if self.delivering.replace(true) {
            return;
        }
        let (t2, io) = (t.clone(), self.clone());
        let _ = t.lp().call_soon_labelled(std::borrow::Cow::Borrowed("Transport._data_received"), move || {
            io.delivering.set(false);
            loop {
                if t2.conn_lost() || t2.is_closing() {
                    io.drop_held();
                    return;
                }
                if !t2.is_reading() {
                    return; // paused again: kept for the next resume
                }
                let Some(held) = io.held.borrow_mut().pop_front() else { break };
                match held {
                    Held::Completion(done) => io.deliver(&t2, done),
                    Held::Piece(piece) => {
                        let result = io.feed_lent(&t2, Completed::new(piece.data(), Some(piece.block())));
                        drop(piece);
                        report(&t2, result);
                    }
                }
            }
            io.read_on(&t2);
        });
    }

    /// Hands one completed receive to the protocol (data, EOF or error).
    fn deliver(self: &Rc<Self>, t: &Transport, done: Done) {
        match done.result() {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(e) => t.fatal_error(Error::os("recv", e), "Fatal read error on socket transport"),
            Ok(0) => {
                self.eof.set(true);
                self.recycle(done.bufs.data);
                t.read_ready_eof(&t.get_protocol());
            }
            Ok(n) => {
                let result = match &done.buf {
                    Some(provided) => self.feed_lent(t, Completed::new(provided.data(), provided.block())),
                    None => self.feed_lent(t, Completed::new(&done.bufs.data[..n.min(done.bufs.data.len())], None)),
                };
                drop(done.buf); // back to the kernel
                self.recycle(done.bufs.data);
                report(t, result);
            }
        }
    }

    /// Hands received bytes to the protocol, with the buffer a
    /// `BufferedProtocol` lent for them if any.
    fn feed_lent(&self, t: &Transport, data: Completed<'_>) -> Result<(), (Error, &'static str)> {
        let lent = self.lent.borrow_mut().take();
        feed(t, lent, data)
    }

    /// What was kept, dropped (outside the borrow: a supplied block's
    /// keeper may be a runtime's handle).
    pub(super) fn drop_held(&self) {
        let held = std::mem::take(&mut *self.held.borrow_mut());
        drop(held);
    }

    fn recycle(&self, buf: Vec<u8>) {
        if buf.capacity() >= RECV_SIZE {
            *self.spare.borrow_mut() = buf;
        }
    }
}

/// A failed delivery, reported once the received memory was let go.
fn report(t: &Transport, result: Result<(), (Error, &'static str)>) {
    if let Err((e, message)) = result {
        t.fatal_error(e, message);
    }
}

/// A receive kept until reading resumes (see the module's comment).
pub(super) enum Held {
    /// Its result (data in its own buffer, EOF or an error).
    Completion(Done),
    /// Its bytes, where the kernel wrote them in a supplied block.
    Piece(KeptPiece),
}

impl From<Done> for Held {
    /// Gives a provided buffer back to the kernel at once: a paused
    /// transport must not hold the ring's buffers.
    fn from(mut done: Done) -> Held {
        let Some(provided) = done.buf.take() else { return Held::Completion(done) };
        if done.res <= 0 {
            // An EOF or an error: its result is all there is to keep.
            return Held::Completion(done);
        }
        match provided.keep() {
            Ok(piece) => Held::Piece(piece),
            Err(copy) => {
                done.bufs.data = copy;
                Held::Completion(done)
            }
        }
    }
}

/// Received bytes into the transport's protocol: `data_received(data)`, or
/// for a `BufferedProtocol` copied into the buffer lent for this receive
/// (or, switched by `set_protocol()` meanwhile, buffers asked for now).
/// Every receive path (provided buffer, own buffer, kept while paused)
/// reaches the protocol here.
pub(super) fn feed(t: &Transport, lent: Option<ReadBuffer>, data: Completed<'_>) -> Result<(), (Error, &'static str)> {
    let protocol = t.get_protocol();
    match protocol.buffered() {
        Some(buffered) => feed_buffered(buffered, lent, data.bytes),
        None => {
            // Through the one read path (`transport/read_supply.rs`), so a
            // protocol that lends memory (Node's JS protocols) gets the bytes
            // there, or takes them where the kernel wrote them; a failure is
            // reported on the way.
            let mut rest = data;
            while let ReadOutcome::Delivered = read_and_deliver(t, &protocol, rest.bytes.len(), &mut rest) {
                if rest.bytes.is_empty() || t.conn_lost() {
                    break;
                }
            }
            Ok(())
        }
    }
}

/// Hands `data` to a `BufferedProtocol`: into the buffer lent for this
/// read, or (the protocol was switched while the read was in flight) into
/// buffers asked for now, as many as it takes.
fn feed_buffered(buffered: &dyn BufferedProtocol, mut lent: Option<ReadBuffer>, mut data: &[u8]) -> Result<(), (Error, &'static str)> {
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
