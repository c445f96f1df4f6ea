//! `StreamWriter`: the write half of a stream (asyncio's `StreamWriter`).

use std::cell::RefCell;
use std::fmt;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::protocol::StreamReaderProtocol;
use super::reader::StreamReader;
use crate::error::Result;
use crate::transport::{ExtraInfo, Transport};
use crate::EventLoop;

struct WriterInner {
    /// Replaced by `start_tls()`.
    transport: RefCell<Transport>,
    protocol: Rc<StreamReaderProtocol>,
    reader: Option<StreamReader>,
    lp: EventLoop,
}

/// Wraps a transport: `write`, `writelines`, `write_eof`, `close`, plus
/// `drain()` (wait for flow control) and `wait_closed()`. Clones are the
/// same writer.
///
/// Dropping the last clone of a writer whose transport is not closing
/// closes it and logs `unclosed <StreamWriter ...>`, as asyncio's
/// `StreamWriter.__del__` does (with a `ResourceWarning`).
#[derive(Clone)]
pub struct StreamWriter(Rc<WriterInner>);

impl StreamWriter {
    /// A writer over `transport`, whose protocol is `protocol`; `reader`'s
    /// exception, if any, makes `drain()` fail.
    pub fn new(transport: Transport, protocol: Rc<StreamReaderProtocol>, reader: Option<StreamReader>) -> StreamWriter {
        let lp = transport.get_loop();
        StreamWriter(Rc::new(WriterInner { transport: RefCell::new(transport), protocol, reader, lp }))
    }

    /// The transport.
    pub fn transport(&self) -> Transport {
        self.0.transport.borrow().clone()
    }

    /// `start_tls()` swapped the transport (the protocol and the reader
    /// follow).
    pub(crate) fn replace_transport(&self, transport: Transport) {
        self.0.protocol.replace_transport(&transport);
        *self.0.transport.borrow_mut() = transport;
    }

    /// The protocol.
    pub fn protocol(&self) -> Rc<StreamReaderProtocol> {
        self.0.protocol.clone()
    }

    /// The loop the writer belongs to.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    /// `transport.write(data)`.
    ///
    /// # Errors
    /// As [`Transport::write`].
    pub fn write(&self, data: &[u8]) -> Result<()> {
        self.transport().write(data)
    }

    /// `transport.writelines(pieces)`.
    ///
    /// # Errors
    /// As [`Transport::writelines`].
    pub fn writelines<'a>(&self, pieces: impl IntoIterator<Item = &'a [u8]>) -> Result<()> {
        self.transport().writelines(pieces)
    }

    /// `transport.write_eof()`.
    pub fn write_eof(&self) {
        self.transport().write_eof()
    }

    /// `transport.can_write_eof()`.
    pub fn can_write_eof(&self) -> bool {
        self.transport().can_write_eof()
    }

    /// `transport.close()`.
    pub fn close(&self) {
        self.transport().close()
    }

    /// `transport.is_closing()`.
    pub fn is_closing(&self) -> bool {
        self.transport().is_closing()
    }

    /// `transport.get_extra_info(name)`.
    pub fn get_extra_info(&self, name: &str) -> Option<ExtraInfo> {
        self.transport().get_extra_info(name)
    }

    /// Completes once the connection is lost (`connection_lost` ran).
    ///
    /// # Errors
    /// The error the connection was lost with, if any.
    pub fn wait_closed(&self) -> impl std::future::Future<Output = Result<()>> + 'static {
        self.0.protocol.closed()
    }

    /// Waits until the write buffer is down to the low-water mark.
    ///
    /// # Errors
    /// The reader's exception if it has one; once the connection is lost
    /// `ConnectionResetError('Connection lost')`; a connection lost with
    /// an error while waiting fails with that error.
    pub fn drain(&self) -> impl std::future::Future<Output = Result<()>> + 'static {
        let w = self.clone();
        async move {
            if let Some(exc) = w.0.reader.as_ref().and_then(StreamReader::exception) {
                return Err(exc);
            }
            if w.transport().is_closing() {
                // Let connection_lost() run first (asyncio's `sleep(0)`), so
                // write(); drain() in a loop sees the connection go.
                YieldNow(false).await;
            }
            w.0.protocol.drain_helper().await
        }
    }
}

/// One bare yield to the loop: asyncio's `await sleep(0)`.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            return Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl WriterInner {
    fn describe(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<StreamWriter transport={:?}", self.transport.borrow())?;
        if let Some(r) = &self.reader {
            write!(f, " reader={r:?}")?;
        }
        write!(f, ">")
    }
}

impl fmt::Debug for StreamWriter {
    /// `<StreamWriter transport=<...> reader=<StreamReader ...>>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

struct Describe<'a>(&'a WriterInner);

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.describe(f)
    }
}

impl Drop for WriterInner {
    /// asyncio's `StreamWriter.__del__`.
    fn drop(&mut self) {
        let transport = self.transport.borrow().clone();
        if transport.is_closing() {
            return;
        }
        if self.lp.is_closed() {
            log::warn!(target: "evloop", "loop is closed");
        } else {
            transport.close();
            log::warn!(target: "evloop", "unclosed {}", Describe(self));
        }
    }
}
