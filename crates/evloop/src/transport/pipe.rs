//! What asyncio's pipe transports (`_UnixReadPipeTransport`,
//! `_UnixWritePipeTransport`) do differently from a socket connection.
//! They are the same [`Transport`], so the write buffer, flow control and
//! closing are `stream.rs`'s and the back end moves the bytes:
//! - a **read pipe** only reads. At EOF it stops reading, then calls
//!   `eof_received()` (its answer is ignored: a pipe cannot stay half
//!   open) and `connection_lost(None)`, each in its own callback.
//! - a **write pipe** only writes. `write_eof()` is `close()`: flush, then
//!   `connection_lost(None)`. Where the kernel tells (pipes, FIFOs and
//!   sockets) the transport watches the fd for the reader going away: it
//!   closes at once, with `BrokenPipeError` if bytes were still buffered
//!   (they are dropped), else with `None`.

use std::borrow::Cow;
use std::io;

use super::stream::call_protocol;
use super::{ExtraInfo, Transport};
use crate::error::{Error, Result};
use crate::exception::ExceptionContext;
use crate::selector::Interest;

/// Which transport a [`Transport`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A connected stream socket.
    Socket,
    /// `connect_read_pipe`.
    ReadPipe,
    /// `connect_write_pipe`; `watch_reader`: the fd reports its reader
    /// closing (a pipe, FIFO or socket; not a character device).
    WritePipe { watch_reader: bool },
}

impl Kind {
    /// The class name in the transport's repr; `None`: the back end's.
    pub(super) fn class_name(self) -> Option<&'static str> {
        match self {
            Kind::Socket => None,
            Kind::ReadPipe => Some("_UnixReadPipeTransport"),
            Kind::WritePipe { .. } => Some("_UnixWritePipeTransport"),
        }
    }
}

impl Transport {
    pub(super) fn is_write_pipe(&self) -> bool {
        matches!(self.0.kind, Kind::WritePipe { .. })
    }

    /// `write()` and `writelines()` exist on sockets and write pipes only.
    pub(super) fn check_writable(&self, call: &str) -> Result<()> {
        if self.0.kind == Kind::ReadPipe {
            return Err(Error::Runtime(format!("{call}() is not supported by a read pipe transport")));
        }
        Ok(())
    }

    /// `"pipe"`: the fd (-1 once closed); pipes have no addresses.
    pub(super) fn pipe_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        match name {
            "pipe" => Some(ExtraInfo::Pipe(if self.0.sock.borrow().is_some() { self.0.fd } else { -1 })),
            _ => None,
        }
    }

    /// A write pipe's "reading": learn that the reader went away. The
    /// loop's readiness registration works on every back end (a proactor
    /// polls through its ring), so this is one code for all of them.
    pub(super) fn watch_reader(&self) {
        if !matches!(self.0.kind, Kind::WritePipe { watch_reader: true }) || self.0.closing.get() {
            return;
        }
        let t = self.clone();
        let result = self.0.lp.add_io_unchecked(
            self.0.fd,
            Interest::READ,
            Cow::Borrowed("_UnixWritePipeTransport._read_ready"),
            Box::new(move || t.reader_closed()),
        );
        if let Err(e) = result {
            self.fatal_error(e, "Fatal error on pipe transport");
        }
    }

    /// Stops watching for the reader (closing, or the fd is about to go).
    pub(super) fn unwatch_reader(&self) {
        if self.is_write_pipe() {
            self.0.lp.remove_io(self.0.fd, Interest::READ);
        }
    }

    /// The write pipe's fd polled readable or hung up: its reader is gone.
    fn reader_closed(&self) {
        let exc = (self.get_write_buffer_size() > 0)
            .then(|| Error::os("write", io::Error::from_raw_os_error(crate::errno::EPIPE)));
        self.unwatch_reader();
        self.force_close(exc);
    }

    /// A read pipe read EOF: stop reading, then `eof_received()` and
    /// `connection_lost(None)`, each in its own callback.
    pub(super) fn read_pipe_eof(&self) {
        if self.0.closing.get() {
            return;
        }
        self.0.closing.set(true);
        self.0.io.stop_reading(self);
        self.0.conn_lost.set(self.0.conn_lost.get() + 1);
        let t = self.clone();
        let scheduled = self.0.lp.call_soon_labelled(Cow::Borrowed("Protocol.eof_received"), move || {
            let protocol = t.0.protocol.borrow().clone();
            if let Err(e) = call_protocol(|| protocol.eof_received()) {
                t.0.lp.call_exception_handler(
                    ExceptionContext::new("Exception in callback Protocol.eof_received")
                        .with_error(e)
                        .with("protocol", protocol.describe()),
                );
            }
        });
        if scheduled.is_ok() {
            self.schedule_lost(None);
        }
    }
}

impl Transport {
    /// A pipe transport over `end`: `connection_made`, then reading (or,
    /// for a write pipe, watching for the reader), then `waiter`, each
    /// through `call_soon`, as asyncio's pipe transports start.
    pub(crate) fn new_pipe(
        lp: &crate::EventLoop,
        end: Box<dyn crate::net::socket::StreamSocket>,
        protocol: std::rc::Rc<dyn super::Protocol>,
        kind: Kind,
        waiter: Option<crate::Future<()>>,
    ) -> Result<Transport> {
        Transport::with_kind(lp, end, protocol, None, None, waiter, kind)
    }
}
