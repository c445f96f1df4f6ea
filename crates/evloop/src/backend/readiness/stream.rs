//! A transport's I/O on readiness (asyncio's `_SelectorSocketTransport`):
//! a reader while reading, a writer while the buffer holds bytes, and the
//! non-blocking `recv`/`send` when the selector says the socket is ready.

use std::borrow::Cow;
use std::io;

use crate::backend::StreamIo;
use crate::error::{Error, Result};
use crate::selector::Interest;
use crate::transport::read_supply::{read_and_deliver, ReadOutcome, ReadSource, MAX_READ};
use crate::transport::{call_protocol, BufferedProtocol, ReadBuf, Transport};

/// The I/O of a transport on a readiness loop. It keeps no state: the
/// loop's reader and writer registrations are the state.
pub(crate) struct ReadinessIo;

impl StreamIo for ReadinessIo {
    fn start_reading(&self, t: &Transport) {
        // The registration holds the transport, as asyncio's reader handle
        // does; removing it (close, pause) lets an abandoned transport go.
        let t2 = t.clone();
        let result = t.lp().add_io_unchecked(
            t.fd(),
            Interest::READ,
            Cow::Borrowed("Transport._read_ready"),
            Box::new(move || read_ready(&t2)),
        );
        if let Err(e) = result {
            t.fatal_error(e, "Fatal read error on socket transport");
        }
    }

    fn pause_reading(&self, t: &Transport) {
        t.lp().remove_io(t.fd(), Interest::READ);
    }

    fn stop_reading(&self, t: &Transport) {
        t.lp().remove_io(t.fd(), Interest::READ);
    }

    fn start_writing(&self, t: &Transport) {
        let t2 = t.clone();
        let result = t.lp().add_io_unchecked(
            t.fd(),
            Interest::WRITE,
            Cow::Borrowed("Transport._write_ready"),
            Box::new(move || t2.write_ready()),
        );
        if let Err(e) = result {
            t.fatal_error(e, "Fatal write error on socket transport");
        }
    }

    fn stop_writing(&self, t: &Transport) {
        t.lp().remove_io(t.fd(), Interest::WRITE);
    }

    fn abort(&self, t: &Transport) {
        t.lp().remove_io(t.fd(), Interest::WRITE);
        t.lp().remove_io(t.fd(), Interest::READ);
    }

    fn release(&self) {}

    fn in_flight(&self) -> usize {
        0
    }

    fn describe(&self, t: &Transport) -> (&'static str, &'static str, &'static str) {
        let state = |d| if t.lp().io_handle(t.fd(), d).is_some() { "polling" } else { "idle" };
        ("_SelectorSocketTransport", state(Interest::READ), state(Interest::WRITE))
    }
}

/// The socket is readable: one `recv` into the protocol's memory
/// (`transport/read_supply.rs`), handed to the protocol.
fn read_ready(t: &Transport) {
    if t.conn_lost() {
        return;
    }
    let protocol = t.get_protocol();
    if let Some(buffered) = protocol.buffered() {
        return read_ready_into(t, buffered);
    }
    if let ReadOutcome::Eof = read_and_deliver(t, &protocol, MAX_READ, &mut SocketReads(t)) {
        t.read_ready_eof(&protocol);
    }
}

/// The transport's socket as a [`ReadSource`].
struct SocketReads<'a>(&'a Transport);

impl ReadSource for SocketReads<'_> {
    fn read_into(&mut self, buf: &mut ReadBuf<'_>) -> Result<Option<usize>> {
        recv(self.0, buf)
    }
}

/// `BufferedProtocol`: `get_buffer(-1)` before every read, then
/// `buffer_updated(n)`, or `eof_received` on EOF.
fn read_ready_into(t: &Transport, buffered: &dyn BufferedProtocol) {
    let buf = match call_protocol(|| buffered.get_buffer(-1)) {
        Ok(buf) if buf.borrow().is_empty() => {
            let e = Error::Runtime("get_buffer() returned an empty buffer".into());
            return t.fatal_error(e, "Fatal error: protocol.get_buffer() call failed.");
        }
        Ok(buf) => buf,
        Err(e) => return t.fatal_error(e, "Fatal error: protocol.get_buffer() call failed."),
    };
    let n = recv(t, &mut ReadBuf::init(&mut buf.borrow_mut()));
    match n {
        Ok(Some(0)) => t.read_ready_eof(&t.get_protocol()),
        Ok(Some(n)) => {
            if let Err(e) = call_protocol(|| buffered.buffer_updated(n)) {
                t.fatal_error(e, "Fatal error: protocol.buffer_updated() call failed.");
            }
        }
        Ok(None) => {}
        Err(e) => t.fatal_error(e, "Fatal read error on socket transport"),
    }
}

/// One `recv`: `Ok(None)` when it would block. A read shorter than the
/// room it had emptied the socket, which spares the selector a re-check.
fn recv(t: &Transport, buf: &mut ReadBuf<'_>) -> Result<Option<usize>> {
    let room = buf.remaining();
    let result = {
        let sock = t.sock();
        let Some(sock) = sock.as_ref() else { return Ok(None) };
        sock.recv(buf)
    };
    match result {
        Ok(n) => {
            if n > 0 && n < room {
                t.lp().note_drained(t.fd(), Interest::READ);
            }
            Ok(Some(n))
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
            t.lp().note_drained(t.fd(), Interest::READ);
            Ok(None)
        }
        Err(e) if e.kind() == io::ErrorKind::Interrupted => Ok(None),
        Err(e) => Err(Error::os("recv", e)),
    }
}
