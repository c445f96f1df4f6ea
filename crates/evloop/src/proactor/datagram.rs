//! A datagram transport's I/O on a proactor (asyncio's
//! `_ProactorDatagramTransport`): the protocol calls, the buffer and its
//! accounting, flow control and closing are the shared
//! `datagram/transport.rs`; this part submits the receives and sends.
//!
//! - **Receiving**: one `IORING_OP_RECVMSG` in flight while reading, into a
//!   256 KiB buffer with room for the sender's address; each completion
//!   delivers one datagram (or an error: an ICMP error on a connected
//!   endpoint completes it with `ECONNREFUSED`, for `error_received`) and
//!   submits the next.
//! - **Sending**: `sendto()` first tries one non-blocking `sendto` (shared
//!   code), so a datagram the socket takes at once costs no operation; the
//!   buffered ones go as one `IORING_OP_SENDMSG` at a time, counted in
//!   `get_write_buffer_size()` (with the per-datagram overhead) until it
//!   completes. The send is `MSG_DONTWAIT`: when the socket cannot take it,
//!   it completes with `EAGAIN`, the datagram goes back in front and an
//!   `IORING_OP_POLL_ADD` waits until the socket is writable. Left to the
//!   kernel's own retry, a datagram to a full `AF_UNIX` peer was sent
//!   empty (the first attempt had consumed the data), which the tests
//!   caught.
//! - **Closing**: `close()` cancels the receive; `abort()` and the socket
//!   closing cancel both.

use std::cell::{Cell, RefCell};
use std::io;
use std::rc::Rc;

use super::{Done, OpBufs, Ring};
use crate::backend::DatagramIo;
use crate::datagram::DatagramTransport;
use crate::error::Error;
use crate::net::os::datagram::to_sockaddr;

/// The largest datagram received (asyncio's `max_size`).
const RECV_SIZE: usize = 256 * 1024;

/// The I/O of one datagram transport on a proactor loop.
pub(crate) struct ProactorDatagramIo(Rc<State>);

struct State {
    ring: Rc<Ring>,
    read_op: Cell<Option<u64>>,
    /// The send in flight and what it counts in the buffer size.
    write_op: Cell<Option<(u64, usize)>>,
    /// The wait for writability after a send met a full socket.
    waiting: Cell<Option<u64>>,
    /// A receive buffer to reuse.
    spare: RefCell<Vec<u8>>,
}

impl ProactorDatagramIo {
    pub(crate) fn new(ring: Rc<Ring>) -> ProactorDatagramIo {
        ProactorDatagramIo(Rc::new(State {
            ring,
            read_op: Cell::new(None),
            write_op: Cell::new(None),
            waiting: Cell::new(None),
            spare: RefCell::new(Vec::new()),
        }))
    }
}

impl DatagramIo for ProactorDatagramIo {
    fn start_reading(&self, t: &DatagramTransport) {
        self.0.receive(t);
    }
    fn stop_reading(&self, _t: &DatagramTransport) {
        if let Some(token) = self.0.read_op.take() {
            self.0.ring.cancel(token);
        }
    }
    fn start_writing(&self, t: &DatagramTransport) {
        self.0.flush(t);
    }
    /// The send in flight completes on its own.
    fn stop_writing(&self, _t: &DatagramTransport) {}
    fn abort(&self, _t: &DatagramTransport) {
        self.0.cancel_all();
    }
    /// The socket closes: also frees the spare receive buffer (256 KiB),
    /// as the stream transport's does.
    fn release(&self) {
        self.0.cancel_all();
        self.0.spare.take();
    }
    fn in_flight(&self) -> usize {
        self.0.write_op.get().map_or(0, |(_, n)| n)
    }
    fn describe(&self, _t: &DatagramTransport) -> (&'static str, &'static str, &'static str) {
        let state = |pending: bool| if pending { "pending" } else { "idle" };
        let writing = self.0.write_op.get().is_some() || self.0.waiting.get().is_some();
        ("_ProactorDatagramTransport", state(self.0.read_op.get().is_some()), state(writing))
    }
}

impl State {
    fn receive(self: &Rc<Self>, t: &DatagramTransport) {
        if self.read_op.get().is_some() || t.conn_lost() || t.is_closing() {
            return;
        }
        let fd = t.fd();
        let bufs = OpBufs::recv_datagram(RECV_SIZE, std::mem::take(&mut *self.spare.borrow_mut()));
        let (t2, st) = (t.clone(), self.clone());
        let submitted = self.ring.submit(
            fd,
            bufs,
            "_ProactorDatagramTransport._loop_reading",
            |b| b.recvmsg_entry(fd),
            move |done| st.received(&t2, done),
        );
        match submitted {
            Ok(token) => self.read_op.set(Some(token)),
            Err(e) => t.fatal_error(Error::os("recvmsg", e), "Fatal read error on datagram transport"),
        }
    }

    fn received(self: &Rc<Self>, t: &DatagramTransport, done: Done) {
        self.read_op.set(None);
        if t.conn_lost() || t.is_closing() {
            return;
        }
        match done.result() {
            Err(e) if e.raw_os_error() == Some(libc::ECANCELED) => return,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(e) => t.deliver_error(Error::os("recvmsg", e)),
            Ok(n) => {
                let n = n.min(done.bufs.data.len());
                t.deliver(&done.bufs.data[..n], done.bufs.datagram_sender());
            }
        }
        let data = done.bufs.data;
        if data.capacity() >= RECV_SIZE {
            *self.spare.borrow_mut() = data;
        }
        self.receive(t);
    }

    /// Submits the oldest buffered datagram unless a send is in flight.
    fn flush(self: &Rc<Self>, t: &DatagramTransport) {
        if self.write_op.get().is_some() || self.waiting.get().is_some() || t.conn_lost() {
            return;
        }
        let Some((data, addr)) = t.take_next() else { return };
        let to = match t.destination(addr.as_ref()).map(to_sockaddr) {
            None => None,
            Some(Ok(a)) => Some(a),
            Some(Err(e)) => {
                t.error_during_send(Error::os("sendmsg", e));
                return self.after_send(t);
            }
        };
        let counted = data.len() + crate::datagram::HEADER_SIZE;
        let fd = t.fd();
        let (t2, st) = (t.clone(), self.clone());
        let submitted = self.ring.submit(
            fd,
            OpBufs::send_datagram(data, to.as_ref()),
            "_ProactorDatagramTransport._loop_writing",
            |b| b.sendmsg_entry(fd),
            move |done| st.sent(&t2, done, addr),
        );
        match submitted {
            Ok(token) => self.write_op.set(Some((token, counted))),
            Err(e) => t.fatal_error(Error::os("sendmsg", e), "Fatal write error on datagram transport"),
        }
    }

    fn sent(self: &Rc<Self>, t: &DatagramTransport, mut done: Done, addr: Option<crate::net::Address>) {
        self.write_op.set(None);
        if t.conn_lost() {
            return;
        }
        match done.result() {
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {
                let data = done.bufs.chunks.pop().unwrap_or_default();
                t.put_back((data, addr));
                return self.wait_writable(t);
            }
            Err(e) => t.error_during_send(Error::os("sendmsg", e)),
            Ok(_) => {}
        }
        self.after_send(t);
    }

    /// The socket is full: send on once it is writable.
    fn wait_writable(self: &Rc<Self>, t: &DatagramTransport) {
        let fd = t.fd();
        let (t2, st) = (t.clone(), self.clone());
        let submitted = self.ring.submit(
            fd,
            OpBufs::default(),
            "_ProactorDatagramTransport._loop_writing",
            |b| b.pollout_entry(fd),
            move |_| {
                st.waiting.set(None);
                if !t2.conn_lost() {
                    st.flush(&t2);
                }
            },
        );
        match submitted {
            Ok(token) => self.waiting.set(Some(token)),
            Err(e) => t.fatal_error(Error::os("poll", e), "Fatal write error on datagram transport"),
        }
    }

    fn after_send(self: &Rc<Self>, t: &DatagramTransport) {
        // Resume the protocol, finish a close once nothing is left.
        t.drained();
        if !t.conn_lost() {
            self.flush(t);
        }
    }

    fn cancel_all(&self) {
        if let Some(token) = self.read_op.take() {
            self.ring.cancel(token);
        }
        if let Some((token, _)) = self.write_op.take() {
            self.ring.cancel(token);
        }
        if let Some(token) = self.waiting.take() {
            self.ring.cancel(token);
        }
    }
}
