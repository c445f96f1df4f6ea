//! Simulated sockets behind the core's socket traits, and the `Network`
//! of a simulated host: `create_server`, `create_connection` and the
//! stream functions run their shared code over these.
//!
//! Every socket holds the simulation weakly: loops, tasks and transports
//! must not keep it alive, and a socket outliving it reports EBADF.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::io::{self, IoSlice};
use std::rc::{Rc, Weak};

use super::{ConnId, Core, HostId};
use crate::errno::{EAFNOSUPPORT, EBADF, ENOTCONN};
use crate::error::{Error, Result};
use crate::net::network::{LocalFuture, Network};
use crate::net::socket::{ListenSocket, SocketView, StreamSocket};
use crate::net::{Address, TransportSocket, AF_INET};
use crate::selector::Fd;
use crate::net::{ConnectionOptions, Host, ServerOptions};
use crate::EventLoop;

const SOL_SOCKET: i32 = 1;
const SO_REUSEADDR: i32 = 2;
const SO_TYPE: i32 = 3;
const SOCK_STREAM: i32 = 1;
const SOCK_DGRAM: i32 = 2;
const IPPROTO_UDP: i32 = 17;
const IPPROTO_TCP: i32 = 6;
const TCP_NODELAY: i32 = 1;

/// What `TransportSocket` shows of a simulated socket. Simulated sockets
/// call themselves TCP over IPv4 (`AF_INET`, `SOCK_STREAM`,
/// `IPPROTO_TCP`); their addresses are [`Address::Sim`].
pub(crate) struct SimView {
    fd: Cell<Fd>,
    /// `SOCK_STREAM`, or `SOCK_DGRAM` for a datagram socket (UDP).
    kind: i32,
    local: Address,
    peer: Option<Address>,
    options: RefCell<BTreeMap<(i32, i32), i32>>,
}

impl SimView {
    fn new(fd: Fd, local: Address, peer: Option<Address>) -> Rc<SimView> {
        let mut options = BTreeMap::new();
        options.insert((SOL_SOCKET, SO_TYPE), SOCK_STREAM);
        if peer.is_some() {
            options.insert((IPPROTO_TCP, TCP_NODELAY), 1);
        } else {
            options.insert((SOL_SOCKET, SO_REUSEADDR), 1);
        }
        Rc::new(SimView { fd: Cell::new(fd), kind: SOCK_STREAM, local, peer, options: RefCell::new(options) })
    }

    /// The view of a datagram socket (`SOCK_DGRAM`, `IPPROTO_UDP`).
    pub(super) fn datagram(fd: Fd, local: Address, peer: Option<Address>) -> Rc<SimView> {
        let mut options = BTreeMap::new();
        options.insert((SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
        Rc::new(SimView { fd: Cell::new(fd), kind: SOCK_DGRAM, local, peer, options: RefCell::new(options) })
    }

    /// The owner closed the socket.
    pub(super) fn mark_closed(&self) {
        self.fd.set(-1);
    }

    fn open(&self) -> io::Result<()> {
        if self.fd.get() < 0 {
            Err(io::Error::from_raw_os_error(EBADF))
        } else {
            Ok(())
        }
    }
}

impl SocketView for SimView {
    fn fileno(&self) -> Fd {
        self.fd.get()
    }
    fn family(&self) -> i32 {
        AF_INET
    }
    fn socket_type(&self) -> i32 {
        self.kind
    }
    fn proto(&self) -> i32 {
        if self.kind == SOCK_DGRAM { IPPROTO_UDP } else { IPPROTO_TCP }
    }
    fn getsockname(&self) -> io::Result<Address> {
        self.open()?;
        Ok(self.local.clone())
    }
    fn getpeername(&self) -> io::Result<Address> {
        self.open()?;
        self.peer.clone().ok_or_else(|| io::Error::from_raw_os_error(ENOTCONN))
    }
    fn getsockopt(&self, level: i32, option: i32) -> io::Result<i32> {
        self.open()?;
        Ok(self.options.borrow().get(&(level, option)).copied().unwrap_or(0))
    }
    fn setsockopt(&self, level: i32, option: i32, value: i32) -> io::Result<()> {
        self.open()?;
        self.options.borrow_mut().insert((level, option), value);
        Ok(())
    }
}

fn gone() -> io::Error {
    io::Error::from_raw_os_error(EBADF)
}

/// One side of a simulated connection.
pub(crate) struct SimStream {
    core: Weak<Core>,
    conn: ConnId,
    side: usize,
    life: u32,
    fd: Fd,
    view: Rc<SimView>,
}

impl StreamSocket for SimStream {
    fn fd(&self) -> Fd {
        self.fd
    }
    fn view(&self) -> TransportSocket {
        TransportSocket(self.view.clone())
    }
    fn recv(&self, buf: &mut crate::transport::ReadBuf<'_>) -> io::Result<usize> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let r = core.world.borrow_mut().recv(self.conn, self.side, buf);
        r
    }
    fn send(&self, buf: &[u8]) -> io::Result<usize> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let r = core.world.borrow_mut().send_data(self.conn, self.side, buf);
        r
    }
    fn send_vectored(&self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let mut total = 0;
        for b in bufs {
            match self.send(b) {
                Ok(n) => {
                    total += n;
                    if n < b.len() {
                        break;
                    }
                }
                // Report what went out; an error shows again on the next call.
                Err(_) if total > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }
    fn shutdown_write(&self) -> io::Result<()> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let r = core.world.borrow_mut().shutdown_write(self.conn, self.side);
        r
    }
    fn local_addr(&self) -> Option<Address> {
        Some(self.view.local.clone())
    }
    fn peer_addr(&self) -> Option<Address> {
        self.view.peer.clone()
    }
}

impl Drop for SimStream {
    fn drop(&mut self) {
        self.view.fd.set(-1);
        if let Some(core) = self.core.upgrade() {
            core.world.borrow_mut().close_side(self.conn, self.side, self.life);
        }
    }
}

/// A bound port of a simulated host.
pub(crate) struct SimListener {
    core: Weak<Core>,
    host: HostId,
    life: u32,
    port: u16,
    fd: Fd,
    view: Rc<SimView>,
}

impl ListenSocket for SimListener {
    fn fd(&self) -> Fd {
        self.fd
    }
    fn view(&self) -> TransportSocket {
        TransportSocket(self.view.clone())
    }
    fn listen(&self, backlog: i32) -> io::Result<()> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let r = core.world.borrow_mut().listen(self.host, self.life, self.port, backlog);
        r
    }
    fn accept(&self) -> io::Result<(Box<dyn StreamSocket>, Option<Address>)> {
        let core = self.core.upgrade().ok_or_else(gone)?;
        let (conn, fd, local, peer) = core.world.borrow_mut().accept(self.host, self.life, self.port)?;
        let stream = SimStream {
            core: self.core.clone(),
            conn,
            side: 1,
            life: self.life,
            fd,
            view: SimView::new(fd, local, Some(peer.clone())),
        };
        Ok((Box::new(stream), Some(peer)))
    }
}

impl Drop for SimListener {
    fn drop(&mut self) {
        self.view.fd.set(-1);
        if let Some(core) = self.core.upgrade() {
            core.world.borrow_mut().close_listener(self.host, self.life, self.port);
        }
    }
}

/// The network of one life of a simulated host.
pub(crate) struct SimNetwork {
    pub(crate) core: Weak<Core>,
    pub(crate) host: HostId,
    pub(crate) life: u32,
}

pub(super) fn sim_gone() -> Error {
    Error::Runtime("the simulation of this host is gone".into())
}

pub(super) fn no_unix<T>() -> Result<T> {
    Err(Error::os_with_message(
        "socket",
        EAFNOSUPPORT,
        format!("[Errno {EAFNOSUPPORT}] Address family not supported by protocol (simulated hosts have no Unix sockets)"),
    ))
}

fn no_fds<T>() -> Result<T> {
    Err(Error::Value("sock: a simulated host has no file descriptors to adopt".into()))
}

impl Network for SimNetwork {
    fn bind(
        &self,
        _lp: &EventLoop,
        host: Option<Host>,
        port: Option<u16>,
        _opts: &ServerOptions,
    ) -> LocalFuture<Result<Vec<Box<dyn ListenSocket>>>> {
        let (weak, h, life) = (self.core.clone(), self.host, self.life);
        Box::pin(async move {
            let core = weak.upgrade().ok_or_else(sim_gone)?;
            let hosts: Vec<Option<String>> = match host {
                None => vec![None],
                Some(Host::Name(n)) => vec![Some(n)],
                Some(Host::Names(v)) if v.is_empty() => vec![None],
                Some(Host::Names(v)) => v.into_iter().map(Some).collect(),
            };
            let mut w = core.world.borrow_mut();
            if w.hosts[h].crashed || w.hosts[h].life != life {
                return Err(sim_gone());
            }
            let (port, fd) = w.bind(h, &hosts, port.unwrap_or(0))?;
            let local = Address::Sim { host: w.hosts[h].name.to_string(), port };
            drop(w);
            let listener = SimListener { core: weak.clone(), host: h, life, port, fd, view: SimView::new(fd, local, None) };
            Ok(vec![Box::new(listener) as Box<dyn ListenSocket>])
        })
    }

    fn adopt_listener(&self, _fd: Fd, _unix: bool, _cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        no_fds()
    }

    fn bind_unix(&self, _path: &str, _cleanup: bool) -> Result<Box<dyn ListenSocket>> {
        no_unix()
    }

    fn connect(
        &self,
        lp: &EventLoop,
        host: Option<String>,
        port: Option<u16>,
        opts: &ConnectionOptions,
    ) -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        let (weak, h, life, lp, opts) = (self.core.clone(), self.host, self.life, lp.clone(), opts.clone());
        Box::pin(async move {
            let (stream, waiter) = {
                let core = weak.upgrade().ok_or_else(sim_gone)?;
                super::resolve::check_connection_options(&core, h, &opts)?;
                let mut w = core.world.borrow_mut();
                if w.hosts[h].crashed || w.hosts[h].life != life {
                    return Err(sim_gone());
                }
                let waiter = lp.create_future::<()>();
                let (conn, fd, local, peer) = w.connect(h, host.as_deref(), port.unwrap_or(0), waiter.clone())?;
                let view = SimView::new(fd, local, Some(peer));
                (SimStream { core: weak.clone(), conn, side: 0, life, fd, view }, waiter)
            };
            // On failure (or if this task is dropped) the stream closes as it drops.
            waiter.await.map_err(|e| super::resolve::connect_error(e, &opts))?;
            Ok(Box::new(stream) as Box<dyn StreamSocket>)
        })
    }

    fn connect_unix(&self, _lp: &EventLoop, _path: String) -> LocalFuture<Result<Box<dyn StreamSocket>>> {
        Box::pin(async { no_unix() })
    }

    fn adopt_stream(&self, _fd: Fd) -> Result<Box<dyn StreamSocket>> {
        no_fds()
    }

    fn getaddrinfo(&self, lp: &EventLoop, host: Option<String>, port: Option<String>, hints: crate::net::AddrInfoHints)
        -> LocalFuture<Result<Vec<crate::net::AddrInfo>>> {
        Box::pin(super::resolve::getaddrinfo(self.core.clone(), self.host, lp.clone(), host, port, hints))
    }

    fn getnameinfo(&self, lp: &EventLoop, host: String, port: u16, _flags: i32) -> LocalFuture<Result<(String, String)>> {
        Box::pin(super::resolve::getnameinfo(self.core.clone(), self.host, lp.clone(), host, port))
    }

    fn datagram(&self, _lp: &EventLoop, opts: &crate::net::DatagramOptions)
        -> LocalFuture<Result<crate::net::network::Endpoint>> {
        let result = super::datagram_socket::open(&self.core, self.host, self.life, opts);
        Box::pin(async move { result })
    }

    fn tls_source(&self) -> Option<crate::tls::SimSource> {
        super::tls_source::for_host(&self.core, self.host)
    }
}
