//! A datagram transport's I/O on readiness (asyncio's
//! `_SelectorDatagramTransport`): a reader that takes one datagram per
//! readiness, and a writer while datagrams are buffered.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io;

use crate::backend::DatagramIo;
use crate::datagram::DatagramTransport;
use crate::error::Error;
use crate::selector::Interest;

/// The largest datagram read (asyncio's `max_size`, 256 KiB).
const MAX_READ: usize = 256 * 1024;

thread_local! {
    /// One receive buffer per thread, lent to the transport being read.
    static READ_BUF: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Stateless: the loop's reader and writer registrations are the state.
pub(crate) struct ReadinessDatagramIo;

impl DatagramIo for ReadinessDatagramIo {
    fn start_reading(&self, t: &DatagramTransport) {
        let t2 = t.clone();
        let result = t.lp().add_io_unchecked(
            t.fd(),
            Interest::READ,
            Cow::Borrowed("_SelectorDatagramTransport._read_ready"),
            Box::new(move || read_ready(&t2)),
        );
        if let Err(e) = result {
            t.fatal_error(e, "Fatal read error on datagram transport");
        }
    }

    fn stop_reading(&self, t: &DatagramTransport) {
        t.lp().remove_io(t.fd(), Interest::READ);
    }

    fn start_writing(&self, t: &DatagramTransport) {
        let t2 = t.clone();
        let result = t.lp().add_io_unchecked(
            t.fd(),
            Interest::WRITE,
            Cow::Borrowed("_SelectorDatagramTransport._sendto_ready"),
            Box::new(move || t2.send_buffered()),
        );
        if let Err(e) = result {
            t.fatal_error(e, "Fatal write error on datagram transport");
        }
    }

    fn stop_writing(&self, t: &DatagramTransport) {
        t.lp().remove_io(t.fd(), Interest::WRITE);
    }

    fn abort(&self, t: &DatagramTransport) {
        t.lp().remove_io(t.fd(), Interest::WRITE);
        t.lp().remove_io(t.fd(), Interest::READ);
    }

    fn release(&self) {}

    fn in_flight(&self) -> usize {
        0
    }

    fn describe(&self, t: &DatagramTransport) -> (&'static str, &'static str, &'static str) {
        let state = |d| if t.lp().io_handle(t.fd(), d).is_some() { "polling" } else { "idle" };
        ("_SelectorDatagramTransport", state(Interest::READ), state(Interest::WRITE))
    }
}

/// The socket is readable: one `recvfrom`, handed to the protocol; an OS
/// error (an ICMP error on a connected socket) goes to `error_received`.
fn read_ready(t: &DatagramTransport) {
    if t.conn_lost() {
        return;
    }
    let mut buf = READ_BUF.with(|b| b.borrow_mut().take()).unwrap_or_else(|| vec![0; MAX_READ]);
    let result = {
        let sock = t.sock();
        match sock.as_ref() {
            Some(s) => s.recv_from(&mut buf),
            None => Err(io::Error::from(io::ErrorKind::WouldBlock)),
        }
    };
    match result {
        Ok((n, addr)) => t.deliver(&buf[..n], addr),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => t.lp().note_drained(t.fd(), Interest::READ),
        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
        Err(e) => t.deliver_error(Error::os("recvfrom", e)),
    }
    READ_BUF.with(|b| *b.borrow_mut() = Some(buf));
}
