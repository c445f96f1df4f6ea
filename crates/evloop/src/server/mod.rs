//! asyncio's `Server` (reference §5), with its bookkeeping exactly:
//!
//! ```text
//! NOT_SERVING --start_serving()--> SERVING --close()--> CLOSED --last client detached--> DRAINED
//!      \_____________________________close()__________________/   (CLOSED and DRAINED
//!                                                                   together when no clients)
//! ```
//! - `listeners` is `None` once closed: closing is one-way and releases
//!   the listening sockets at once.
//! - `clients` holds every accepted connection from its transport's
//!   creation until its `connection_lost` returned (or it was dropped).
//! - `waiters` is `None` once drained: the drained transition happens
//!   exactly once, at the later of `close()` and the last detach, and
//!   resolves every `wait_closed()` registered before it; later calls
//!   return at once.
//! - `serve_forever()` owns at most one future, which `close()` cancels.
//!
//! See `docs/server.md` for the decisions where CPython is buggy.

pub(crate) mod accept;
mod create;

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::{Rc, Weak};

use crate::backend::AcceptDriver;
use crate::error::{Error, Result};
use crate::future::Future;
use crate::net::socket::{ListenSocket, StreamSocket};
use crate::net::{Address, TransportSocket};
use crate::transport::{Protocol, Transport, TransportInner};
use crate::EventLoop;


/// Makes the protocol of each accepted connection.
pub type ProtocolFactory = Rc<dyn Fn() -> Result<Rc<dyn Protocol>>>;

/// Puts a layer between each accepted connection and its protocol (TLS):
/// returns the protocol the socket transport drives.
pub(crate) type ConnectionLayer = Rc<dyn Fn(&EventLoop, Rc<dyn Protocol>) -> Result<Rc<dyn Protocol>>>;

pub(crate) struct ServerInner {
    _live: crate::live::Counted,
    lp: EventLoop,
    /// `None` once closed.
    listeners: RefCell<Option<Vec<Box<dyn ListenSocket>>>>,
    /// Accepted connections not yet detached, by transport id (ordered, so
    /// `close_clients` visits them in accept order).
    clients: RefCell<BTreeMap<u64, Weak<TransportInner>>>,
    /// `None` once drained.
    waiters: RefCell<Option<Vec<Future<()>>>>,
    serving: Cell<bool>,
    serving_forever: RefCell<Option<Future<()>>>,
    /// `None` once closed: a binding's factory often refers to the
    /// server's own wrapper, a cycle its garbage collector cannot see.
    factory: RefCell<Option<ProtocolFactory>>,
    backlog: i32,
    /// The layer of every accepted connection (TLS), if any.
    layer: RefCell<Option<ConnectionLayer>>,
    /// How connections are accepted: the loop's back end decides.
    driver: Box<dyn AcceptDriver>,
}

/// A listening server. Clones are the same server.
#[derive(Clone)]
pub struct Server(pub(crate) Rc<ServerInner>);

impl Server {
    pub(crate) fn new(lp: &EventLoop, listeners: Vec<Box<dyn ListenSocket>>, factory: ProtocolFactory, backlog: i32) -> Server {
        let server = Server(Rc::new(ServerInner {
            _live: crate::live::Counted::new(crate::live::Kind::Server),
            lp: lp.clone(),
            listeners: RefCell::new(Some(listeners)),
            clients: RefCell::new(BTreeMap::new()),
            waiters: RefCell::new(Some(Vec::new())),
            serving: Cell::new(false),
            serving_forever: RefCell::new(None),
            factory: RefCell::new(Some(factory)),
            backlog,
            layer: RefCell::new(None),
            driver: lp.backend().accept_driver(),
        }));
        lp.claim_server(Rc::downgrade(&server.0));
        server
    }

    /// Its loop is closing: stops accepting and closes the listening
    /// sockets, as `close()` does, but runs nothing (a pending
    /// `serve_forever()` stays pending: nothing runs any more).
    pub(crate) fn release_at_loop_close(&self) {
        let Some(listeners) = self.0.listeners.borrow_mut().take() else { return };
        for l in &listeners {
            self.0.driver.stop(self, l.fd());
        }
        drop(listeners);
        self.0.factory.borrow_mut().take();
        self.0.serving.set(false);
        // Completing the inner future drops its done callback, which would
        // otherwise keep the server and the returned future in a cycle; on a
        // closed loop nothing is scheduled, so the returned future stays pending.
        let forever = self.0.serving_forever.borrow_mut().take();
        if let Some(fut) = forever {
            fut.cancel_now(None);
        }
    }

    pub(crate) fn set_layer(&self, layer: ConnectionLayer) {
        *self.0.layer.borrow_mut() = Some(layer);
    }

    pub(crate) fn layer(&self) -> Option<ConnectionLayer> {
        self.0.layer.borrow().clone()
    }

    /// The loop the server runs on.
    pub fn get_loop(&self) -> EventLoop {
        self.0.lp.clone()
    }

    /// Whether the server accepts connections.
    pub fn is_serving(&self) -> bool {
        self.0.serving.get()
    }

    /// Whether `close()` was called.
    pub fn is_closed(&self) -> bool {
        self.0.listeners.borrow().is_none()
    }

    /// A new list of new views of the listening sockets; empty once closed.
    pub fn sockets(&self) -> Vec<TransportSocket> {
        match &*self.0.listeners.borrow() {
            Some(listeners) => listeners.iter().map(|l| l.view()).collect(),
            None => Vec::new(),
        }
    }

    /// Number of accepted connections not yet lost.
    pub fn client_count(&self) -> usize {
        self.0.clients.borrow().len()
    }

    /// Starts listening (`listen(backlog)`) and accepting, synchronously.
    pub(crate) fn start_serving_now(&self) -> Result<()> {
        if self.is_serving() {
            return Ok(());
        }
        let listeners = self.0.listeners.borrow();
        let Some(listeners) = listeners.as_ref() else {
            return Err(Error::Runtime(format!("server {self:?} is closed")));
        };
        self.0.serving.set(true);
        for l in listeners {
            l.listen(self.0.backlog).map_err(|e| Error::os("listen", e))?;
        }
        for l in listeners {
            accept::start_accepting(self, l.fd());
        }
        Ok(())
    }

    /// `await server.start_serving()`: listen and accept now; the future
    /// completes one iteration later. Idempotent.
    ///
    /// # Errors
    /// `RuntimeError('server <Server sockets=()> is closed')` (CPython
    /// raises an accidental `TypeError` here; reference §11);
    /// the `listen()` error.
    pub fn start_serving(&self) -> Result<Future<()>> {
        self.start_serving_now()?;
        self.0.lp.sleep(0.0)
    }

    /// Stops accepting and closes the listening sockets now. Accepted
    /// connections stay open. Idempotent.
    pub fn close(&self) {
        let Some(listeners) = self.0.listeners.borrow_mut().take() else { return };
        for l in &listeners {
            self.0.driver.stop(self, l.fd());
        }
        drop(listeners);
        self.0.factory.borrow_mut().take();
        self.0.serving.set(false);
        let forever = self.0.serving_forever.borrow_mut().take();
        if let Some(fut) = forever {
            fut.cancel(None);
        }
        if self.0.clients.borrow().is_empty() {
            self.wakeup();
        }
    }

    /// Closes every current connection gracefully (buffers flushed).
    pub fn close_clients(&self) {
        for t in self.client_snapshot() {
            t.close();
        }
    }

    /// Aborts every current connection (buffers dropped).
    pub fn abort_clients(&self) {
        for t in self.client_snapshot() {
            t.abort();
        }
    }

    fn client_snapshot(&self) -> Vec<Transport> {
        self.0.clients.borrow().values().filter_map(Weak::upgrade).map(Transport).collect()
    }

    /// Completes once the server is closed **and** the last connection's
    /// `connection_lost` returned (3.12.1+); at once when already drained.
    pub fn wait_closed(&self) -> Future<()> {
        let fut = self.0.lp.create_future();
        let mut waiters = self.0.waiters.borrow_mut();
        match waiters.as_mut() {
            Some(w) => w.push(fut.clone()),
            None => {
                let _ = fut.set_result(());
            }
        }
        fut
    }

    /// Serves until cancelled: cancelling the returned future (or `close()`)
    /// closes the server, waits for `wait_closed()`, and only then completes
    /// the future as cancelled — as asyncio's `serve_forever()` task does.
    ///
    /// # Errors
    /// `RuntimeError('server ... is already being awaited on serve_forever()')`;
    /// `RuntimeError('server ... is closed')`.
    pub fn serve_forever(&self) -> Result<Future<()>> {
        if self.0.serving_forever.borrow().is_some() {
            return Err(Error::Runtime(format!("server {self:?} is already being awaited on serve_forever()")));
        }
        if self.is_closed() {
            return Err(Error::Runtime(format!("server {self:?} is closed")));
        }
        self.start_serving_now()?;
        let forever = self.0.lp.create_future::<()>();
        *self.0.serving_forever.borrow_mut() = Some(forever.clone());
        let outer = self.0.lp.create_future::<()>();
        let to_cancel = forever.clone();
        outer.set_cancel_hook(Box::new(move || {
            to_cancel.cancel(None);
        }));
        let (server, done) = (self.clone(), outer.clone());
        forever.add_done_callback(move |_| {
            server.close();
            let closed = server.wait_closed();
            let finish = move || {
                done.cancel_now(None);
            };
            if closed.done() {
                finish();
            } else {
                closed.add_done_callback(move |_| finish());
            }
        });
        Ok(outer)
    }

    /// `async with server` exit: `close()`, then `wait_closed()`.
    pub fn close_and_wait(&self) -> Future<()> {
        self.close();
        self.wait_closed()
    }

    pub(crate) fn attach(&self, transport: &Transport) {
        self.0.clients.borrow_mut().insert(transport.0.id, transport.downgrade());
    }

    /// Called once a client's `connection_lost` returned (or it was dropped).
    pub(crate) fn detach(&self, transport_id: u64) {
        let now_empty = {
            let mut clients = self.0.clients.borrow_mut();
            clients.remove(&transport_id);
            clients.is_empty()
        };
        if now_empty && self.is_closed() {
            self.wakeup();
        }
    }

    /// Drained: resolves the waiters exactly once (idempotent: gh-109564).
    fn wakeup(&self) {
        let Some(waiters) = self.0.waiters.borrow_mut().take() else { return };
        for w in waiters {
            if !w.done() {
                let _ = w.set_result(());
            }
        }
    }

    /// The protocol factory; `None` once closed.
    pub(crate) fn factory(&self) -> Option<ProtocolFactory> {
        self.0.factory.borrow().clone()
    }

    pub(crate) fn backlog(&self) -> i32 {
        self.0.backlog
    }

    /// One `accept()` on the listening socket `fd`; `None` if the server
    /// no longer listens on it.
    pub(crate) fn accept_on(&self, fd: crate::selector::Fd) -> Option<std::io::Result<(Box<dyn StreamSocket>, Option<Address>)>> {
        let listeners = self.0.listeners.borrow();
        let l = listeners.as_ref()?.iter().find(|l| l.fd() == fd)?;
        Some(l.accept())
    }

    pub(crate) fn listening_fd_open(&self, fd: crate::selector::Fd) -> bool {
        self.0.listeners.borrow().as_ref().is_some_and(|ls| ls.iter().any(|l| l.fd() == fd))
    }

    pub(crate) fn label(&self) -> Cow<'static, str> {
        Cow::Borrowed("Server._accept_connection")
    }
}

impl fmt::Debug for Server {
    /// `<Server sockets=(<TransportSocket ...>,)>`, `<Server sockets=()>` once closed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sockets = self.sockets();
        let items: Vec<String> = sockets.iter().map(|s| format!("{s:?}")).collect();
        match items.len() {
            0 => write!(f, "<Server sockets=()>"),
            1 => write!(f, "<Server sockets=({},)>", items[0]),
            _ => write!(f, "<Server sockets=({})>", items.join(", ")),
        }
    }
}
