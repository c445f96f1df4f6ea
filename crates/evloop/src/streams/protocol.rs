//! `StreamReaderProtocol`: the protocol between a transport and a
//! [`StreamReader`], with the flow control `StreamWriter.drain()` waits on
//! (asyncio's `FlowControlMixin`).

use std::cell::{Cell, RefCell};
use std::pin::Pin;
use std::rc::{Rc, Weak};

use super::reader::{StreamReader, WeakReader};
use super::writer::StreamWriter;
use crate::error::{Error, Result};
use crate::exception::ExceptionContext;
use crate::future::Future;
use crate::transport::{Protocol, Transport};
use crate::EventLoop;

/// The per-connection callback of a stream server, as the protocol keeps it.
pub(crate) type ClientConnected = Rc<dyn Fn(StreamReader, StreamWriter) -> Pin<Box<dyn std::future::Future<Output = ()>>>>;

/// Adapts the [`Protocol`] callbacks to a [`StreamReader`] (data, EOF,
/// loss) and tracks `pause_writing`/`resume_writing` for `drain()`.
///
/// Holds the reader weakly, as asyncio does: a reader nobody reads from
/// does not keep the connection alive. A server-side protocol (one with a
/// client-connected callback) holds it strongly until `connection_made`,
/// which starts the callback as a task with the reader and a new writer.
pub struct StreamReaderProtocol {
    lp: EventLoop,
    this: Weak<StreamReaderProtocol>,
    /// Dropped at `connection_lost`.
    reader: RefCell<Option<WeakReader>>,
    strong_reader: RefCell<Option<StreamReader>>,
    /// Taken by `connection_made`, which starts it: the callback may hold
    /// what holds this protocol (a binding's closure, a test's list of
    /// writers), a cycle nothing else would break.
    client_connected: RefCell<Option<ClientConnected>>,
    /// A server's protocol (it had a client-connected callback).
    server_side: bool,
    /// `pause_writing()` was called and `resume_writing()` not yet.
    paused: Cell<bool>,
    drain_waiters: RefCell<Vec<(u64, Future<()>)>>,
    next_waiter: Cell<u64>,
    connection_lost: Cell<bool>,
    /// The transport is TLS: EOF closes the connection (TLS has no
    /// half-close), as asyncio's `_over_ssl`.
    over_ssl: Cell<bool>,
    /// Completes at `connection_lost`: what `wait_closed()` awaits.
    closed: Future<()>,
}

impl StreamReaderProtocol {
    /// A protocol feeding `reader` (a client connection).
    pub fn new(reader: &StreamReader) -> Rc<StreamReaderProtocol> {
        StreamReaderProtocol::build(reader, None)
    }

    /// A protocol feeding `reader` that, once connected, runs
    /// `client_connected(reader, writer)` as a task. If the task panics
    /// ("Unhandled exception in client_connected_cb" goes to the loop's
    /// exception handler) or is cancelled, the transport is closed.
    pub fn with_client_connected<F>(
        reader: &StreamReader,
        client_connected: impl Fn(StreamReader, StreamWriter) -> F + 'static,
    ) -> Rc<StreamReaderProtocol>
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        let cb: ClientConnected = Rc::new(move |r, w| Box::pin(client_connected(r, w)));
        StreamReaderProtocol::build(reader, Some(cb))
    }

    pub(crate) fn build(reader: &StreamReader, client_connected: Option<ClientConnected>) -> Rc<StreamReaderProtocol> {
        let lp = reader.get_loop();
        Rc::new_cyclic(|this| StreamReaderProtocol {
            closed: lp.create_future(),
            lp,
            this: this.clone(),
            reader: RefCell::new(Some(reader.downgrade())),
            strong_reader: RefCell::new(client_connected.is_some().then(|| reader.clone())),
            server_side: client_connected.is_some(),
            client_connected: RefCell::new(client_connected),
            paused: Cell::new(false),
            drain_waiters: RefCell::new(Vec::new()),
            next_waiter: Cell::new(0),
            connection_lost: Cell::new(false),
            over_ssl: Cell::new(false),
        })
    }

    /// Whether this is a server's protocol (it has a client-connected
    /// callback): `StreamWriter.start_tls()` is the server side then.
    pub(crate) fn is_server_side(&self) -> bool {
        self.server_side
    }

    /// `_replace_transport`: `start_tls()` made a new transport.
    pub(crate) fn replace_transport(&self, transport: &Transport) {
        self.over_ssl.set(transport.is_layered());
        if let Some(r) = self.stream_reader() {
            r.replace_transport(transport);
        }
    }

    fn stream_reader(&self) -> Option<StreamReader> {
        self.reader.borrow().as_ref().and_then(WeakReader::upgrade)
    }

    /// The future `wait_closed()` awaits: done at `connection_lost`, with
    /// its error if there was one.
    pub(crate) fn closed(&self) -> Future<()> {
        self.closed.clone()
    }

    /// Whether `pause_writing()` is in effect.
    pub fn is_paused(&self) -> bool {
        self.paused.get()
    }

    /// asyncio's `_drain_helper`: raises `ConnectionResetError('Connection
    /// lost')` once the connection is lost; waits while writing is paused.
    pub(crate) async fn drain_helper(&self) -> Result<()> {
        if self.connection_lost.get() {
            return Err(Error::os_with_message("send", crate::errno::ECONNRESET, "Connection lost"));
        }
        if !self.paused.get() {
            return Ok(());
        }
        let id = self.next_waiter.get();
        self.next_waiter.set(id + 1);
        let waiter = self.lp.create_future::<()>();
        self.drain_waiters.borrow_mut().push((id, waiter.clone()));
        let _remove = RemoveDrainWaiter { protocol: self, id };
        waiter.await
    }

    /// Completes every pending drain waiter.
    fn wake_drain_waiters(&self, exc: Option<&Error>) {
        let waiters: Vec<Future<()>> = self.drain_waiters.borrow().iter().map(|(_, w)| w.clone()).collect();
        for waiter in waiters {
            if !waiter.done() {
                let _ = match exc {
                    None => waiter.set_result(()),
                    Some(e) => waiter.set_exception(e.clone()),
                };
            }
        }
    }

    fn start_client_connected(&self, cb: &ClientConnected, transport: &Transport, reader: Option<StreamReader>) -> Result<()> {
        let this = self.this.upgrade().expect("the protocol is alive while the transport calls it");
        let reader = reader.expect("a server-side protocol keeps its reader until connection_made");
        let writer = StreamWriter::new(transport.clone(), this, Some(reader.clone()));
        let task = self.lp.create_task(cb(reader, writer))?;
        let t = transport.clone();
        let loop_id = self.lp.id();
        task.add_done_callback(move |fut| {
            if fut.cancelled() {
                t.close();
                return;
            }
            if let Ok(Some(exc)) = fut.exception() {
                if let Some(lp) = EventLoop::by_id(loop_id) {
                    lp.call_exception_handler(
                        ExceptionContext::new("Unhandled exception in client_connected_cb")
                            .with_error(exc)
                            .with("transport", format!("{t:?}")),
                    );
                }
                t.close();
            }
        });
        Ok(())
    }
}

impl Protocol for StreamReaderProtocol {
    fn connection_made(&self, transport: &Transport) -> Result<()> {
        self.over_ssl.set(transport.is_layered());
        let reader = self.stream_reader();
        if let Some(r) = &reader {
            r.set_transport(transport);
        }
        let client_connected = self.client_connected.borrow_mut().take();
        let result = match &client_connected {
            Some(cb) => self.start_client_connected(cb, transport, reader),
            None => Ok(()),
        };
        *self.strong_reader.borrow_mut() = None;
        result
    }

    fn data_received(&self, data: &[u8]) -> Result<()> {
        if let Some(r) = self.stream_reader() {
            r.feed_data(data);
        }
        Ok(())
    }

    /// Feeds EOF and keeps the connection half-open (writing stays
    /// possible), except over TLS.
    fn eof_received(&self) -> Result<bool> {
        if let Some(r) = self.stream_reader() {
            r.feed_eof();
        }
        Ok(!self.over_ssl.get())
    }

    fn connection_lost(&self, exc: Option<Error>) -> Result<()> {
        if let Some(r) = self.stream_reader() {
            match &exc {
                None => r.feed_eof(),
                Some(e) => r.set_exception(e.clone()),
            }
        }
        if !self.closed.done() {
            let _ = match &exc {
                None => self.closed.set_result(()),
                Some(e) => self.closed.set_exception(e.clone()),
            };
        }
        // FlowControlMixin.connection_lost: wake the writers if paused.
        self.connection_lost.set(true);
        if self.paused.get() {
            self.wake_drain_waiters(exc.as_ref());
        }
        *self.reader.borrow_mut() = None;
        Ok(())
    }

    fn pause_writing(&self) -> Result<()> {
        debug_assert!(!self.paused.get());
        self.paused.set(true);
        Ok(())
    }

    fn resume_writing(&self) -> Result<()> {
        debug_assert!(self.paused.get());
        self.paused.set(false);
        self.wake_drain_waiters(None);
        Ok(())
    }

    fn describe(&self) -> String {
        "<StreamReaderProtocol>".to_string()
    }
}

/// Removes a drain waiter when its wait ends, also when the waiting
/// `drain()` is dropped (asyncio's `finally: self._drain_waiters.remove`).
struct RemoveDrainWaiter<'a> {
    protocol: &'a StreamReaderProtocol,
    id: u64,
}

impl Drop for RemoveDrainWaiter<'_> {
    fn drop(&mut self) {
        self.protocol.drain_waiters.borrow_mut().retain(|(id, _)| *id != self.id);
    }
}
