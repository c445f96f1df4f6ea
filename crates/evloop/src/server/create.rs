//! `create_server` and `create_unix_server` (reference §4.2–§4.5).

use std::net::SocketAddr;
use std::os::fd::{FromRawFd, RawFd};
use std::rc::Rc;

use socket2::{Domain, Socket, Type};

use super::{Listener, ProtocolFactory, Server};
use crate::error::{Error, Result};
use crate::net::address::format_list;
use crate::net::resolve::{getaddrinfo, is_numeric};
use crate::net::{Address, Family};
use crate::transport::Protocol;
use crate::EventLoop;

/// The `host` argument: one name or address, or several. `""` means every
/// interface, as `None` does with a port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// One host (`""`: all interfaces).
    Name(String),
    /// Several hosts; the union of their addresses is bound, each once.
    Names(Vec<String>),
}

impl From<&str> for Host {
    fn from(s: &str) -> Host {
        Host::Name(s.to_string())
    }
}

impl From<Vec<&str>> for Host {
    fn from(v: Vec<&str>) -> Host {
        Host::Names(v.into_iter().map(str::to_string).collect())
    }
}

/// Options of `create_server`, with asyncio's defaults.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Address family to resolve for.
    pub family: Family,
    /// `getaddrinfo` flags (default `AI_PASSIVE`).
    pub flags: i32,
    /// A bound stream socket to serve on instead of host/port; the server
    /// takes ownership of the fd.
    pub sock: Option<RawFd>,
    /// `listen()` backlog, and the most accepts per readiness (default 100).
    pub backlog: i32,
    /// `SO_REUSEADDR` (default on, as on POSIX).
    pub reuse_address: Option<bool>,
    /// `SO_REUSEPORT` on IP sockets (default off).
    pub reuse_port: Option<bool>,
    /// `SO_KEEPALIVE` on the listening sockets (default off).
    pub keep_alive: Option<bool>,
    /// Listen at once (default); `false`: bound but not listening until
    /// `start_serving()` or `serve_forever()`.
    pub start_serving: bool,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            family: Family::Unspec,
            flags: libc::AI_PASSIVE,
            sock: None,
            backlog: 100,
            reuse_address: None,
            reuse_port: None,
            keep_alive: None,
            start_serving: true,
        }
    }
}

/// Options of `create_unix_server`.
#[derive(Clone, Debug)]
pub struct UnixServerOptions {
    /// A bound Unix stream socket instead of a path (the server owns it).
    pub sock: Option<RawFd>,
    /// `listen()` backlog (default 100).
    pub backlog: i32,
    /// Listen at once (default true).
    pub start_serving: bool,
    /// Remove the socket file on `close()` if it is still ours (default true).
    pub cleanup_socket: bool,
}

impl Default for UnixServerOptions {
    fn default() -> Self {
        UnixServerOptions { sock: None, backlog: 100, start_serving: true, cleanup_socket: true }
    }
}

/// Resolves one host for binding: numeric hosts and "all interfaces" on
/// the loop's thread, names on the executor.
async fn resolve(lp: &EventLoop, host: Option<String>, port: u16, family: Family, flags: i32) -> Result<Vec<SocketAddr>> {
    match host {
        None => getaddrinfo(None, port, family, flags),
        Some(h) if is_numeric(&h) => getaddrinfo(Some(&h), port, family, flags | libc::AI_NUMERICHOST),
        Some(h) => {
            let name = h.clone();
            let found = lp.run_in_executor(move || getaddrinfo(Some(&name), port, family, flags))?.await??;
            if found.is_empty() {
                return Err(Error::os_with_message("getaddrinfo", 0, format!("getaddrinfo({h:?}) returned empty list")));
            }
            Ok(found)
        }
    }
}

fn domain_of(addr: &SocketAddr) -> Domain {
    if addr.is_ipv4() { Domain::IPV4 } else { Domain::IPV6 }
}

/// Creates and binds one listening socket; `Ok(None)` when the address is
/// not available here (skipped, as since 3.12).
fn bind_one(addr: SocketAddr, opts: &ServerOptions) -> Result<Option<Socket>> {
    let sock = match Socket::new(domain_of(&addr), Type::STREAM, Some(socket2::Protocol::TCP)) {
        Ok(s) => s,
        // asyncio skips families the host cannot create sockets for.
        Err(_) => return Ok(None),
    };
    let setup = || -> std::io::Result<()> {
        if opts.reuse_address.unwrap_or(true) {
            sock.set_reuse_address(true)?;
        }
        if opts.reuse_port.unwrap_or(false) {
            sock.set_reuse_port(true)?;
        }
        if opts.keep_alive.unwrap_or(false) {
            sock.set_keepalive(true)?;
        }
        if addr.is_ipv6() {
            // One socket per family, never dual-stack.
            sock.set_only_v6(true)?;
        }
        Ok(())
    };
    setup().map_err(|e| Error::os("setsockopt", e))?;
    match sock.bind(&addr.into()) {
        Ok(()) => Ok(Some(sock)),
        Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(None),
        Err(e) => {
            let errno = e.raw_os_error().unwrap_or(0);
            let text = Error::os("bind", e).message().to_lowercase();
            let addr = Address::Inet(addr);
            Err(Error::os_with_message(
                "bind",
                errno,
                format!("[Errno {errno}] error while attempting to bind on address {addr}: {text}"),
            ))
        }
    }
}

/// Takes ownership of a caller's socket fd, checking it is a stream socket.
fn adopt_socket(fd: RawFd, expect_unix: bool) -> Result<Socket> {
    if fd < 0 {
        return Err(Error::Value(format!("sock: invalid file descriptor {fd}")));
    }
    let kind = crate::net::transport_socket_type(fd).map_err(|e| Error::os("getsockopt", e))?;
    // SAFETY: the caller hands the fd over to the server (API contract).
    let sock = unsafe { Socket::from_raw_fd(fd) };
    let family = sock.domain().ok();
    if expect_unix && (family != Some(Domain::UNIX) || kind != libc::SOCK_STREAM) {
        let repr = socket_repr(&sock);
        std::mem::forget(sock);
        return Err(Error::Value(format!("A UNIX Domain Stream Socket was expected, got {repr}")));
    }
    if kind != libc::SOCK_STREAM {
        let repr = socket_repr(&sock);
        std::mem::forget(sock);
        return Err(Error::Value(format!("A Stream Socket was expected, got {repr}")));
    }
    Ok(sock)
}

/// `<socket.socket fd=7, family=2, type=2, proto=0, laddr=('0.0.0.0', 0)>`.
fn socket_repr(sock: &Socket) -> String {
    use std::os::fd::AsRawFd;
    let fd = sock.as_raw_fd();
    let get = |opt| crate::net::getsockopt_int(fd, libc::SOL_SOCKET, opt).unwrap_or(0);
    let mut s = format!(
        "<socket.socket fd={fd}, family={}, type={}, proto={}",
        get(libc::SO_DOMAIN),
        get(libc::SO_TYPE),
        get(libc::SO_PROTOCOL)
    );
    if let Some(addr) = sock.local_addr().ok().as_ref().and_then(Address::from_sockaddr) {
        s.push_str(&format!(", laddr={addr}"));
    }
    s.push('>');
    s
}

impl EventLoop {
    /// `create_server(protocol_factory, host, port, ...)`: binds one socket
    /// per resolved address (each with its own ephemeral port for port 0)
    /// and, unless `start_serving` is false, starts serving.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments (asyncio's texts);
    /// `gaierror` when a host does not resolve; `OSError` when binding fails
    /// (`[Errno 98] error while attempting to bind on address (...)`) or no
    /// address could be bound (`could not bind on any address out of [...]`).
    pub fn create_server(
        &self,
        factory: impl Fn() -> Rc<dyn Protocol> + 'static,
        host: Option<Host>,
        port: Option<u16>,
        opts: ServerOptions,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static {
        let factory: ProtocolFactory = Rc::new(move || Ok(factory()));
        self.create_server_with(factory, host, port, opts)
    }

    /// [`create_server`](Self::create_server) with a fallible factory (bindings).
    pub fn create_server_with(
        &self,
        factory: ProtocolFactory,
        host: Option<Host>,
        port: Option<u16>,
        opts: ServerOptions,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            let sockets = if host.is_some() || port.is_some() {
                if opts.sock.is_some() {
                    return Err(Error::Value("host/port and sock can not be specified at the same time".into()));
                }
                let hosts: Vec<Option<String>> = match host {
                    None => vec![None],
                    Some(Host::Name(h)) if h.is_empty() => vec![None],
                    Some(Host::Name(h)) => vec![Some(h)],
                    Some(Host::Names(v)) => v.into_iter().map(|h| (!h.is_empty()).then_some(h)).collect(),
                };
                let port = port.unwrap_or(0);
                let mut addrs: Vec<SocketAddr> = Vec::new();
                for h in hosts {
                    for a in resolve(&lp, h, port, opts.family, opts.flags).await? {
                        // Duplicates (also through different names) bind once.
                        if !addrs.contains(&a) {
                            addrs.push(a);
                        }
                    }
                }
                let mut sockets = Vec::new();
                for addr in &addrs {
                    // On error, the sockets bound so far close as they drop.
                    if let Some(sock) = bind_one(*addr, &opts)? {
                        sockets.push(sock);
                    }
                }
                if sockets.is_empty() {
                    let listed: Vec<Address> = addrs.iter().map(|a| Address::Inet(*a)).collect();
                    return Err(Error::os_with_message(
                        "bind",
                        0,
                        format!("could not bind on any address out of {}", format_list(&listed)),
                    ));
                }
                sockets
            } else {
                let Some(fd) = opts.sock else {
                    return Err(Error::Value("Neither host/port nor sock were specified".into()));
                };
                vec![adopt_socket(fd, false)?]
            };
            let listeners = sockets
                .into_iter()
                .map(|s| s.set_nonblocking(true).map(|_| Listener::new(s)))
                .collect::<std::io::Result<Vec<_>>>()
                .map_err(|e| Error::os("fcntl", e))?;
            let server = Server::new(&lp, listeners, factory, opts.backlog);
            if opts.start_serving {
                server.start_serving_now()?;
                lp.sleep(0.0)?.await?;
            }
            Ok(server)
        }
    }

    /// `create_unix_server(protocol_factory, path, ...)`: a stale socket
    /// file at `path` is replaced; any other file makes it `EADDRINUSE`.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments; `OSError(EADDRINUSE,
    /// "Address '<path>' is already in use")`; other bind errors.
    pub fn create_unix_server(
        &self,
        factory: impl Fn() -> Rc<dyn Protocol> + 'static,
        path: Option<String>,
        opts: UnixServerOptions,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static {
        let factory: ProtocolFactory = Rc::new(move || Ok(factory()));
        self.create_unix_server_with(factory, path, opts)
    }

    /// [`create_unix_server`](Self::create_unix_server) with a fallible factory.
    pub fn create_unix_server_with(
        &self,
        factory: ProtocolFactory,
        path: Option<String>,
        opts: UnixServerOptions,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            let sock = match (path, opts.sock) {
                (Some(_), Some(_)) => {
                    return Err(Error::Value("path and sock can not be specified at the same time".into()))
                }
                (None, None) => return Err(Error::Value("path was not specified, and no sock specified".into())),
                (None, Some(fd)) => adopt_socket(fd, true)?,
                (Some(path), None) => bind_unix(&path)?,
            };
            sock.set_nonblocking(true).map_err(|e| Error::os("fcntl", e))?;
            let mut listener = Listener::new(sock);
            if opts.cleanup_socket {
                listener.record_path_for_cleanup();
            }
            let server = Server::new(&lp, vec![listener], factory, opts.backlog);
            if opts.start_serving {
                server.start_serving_now()?;
                lp.sleep(0.0)?.await?;
            }
            Ok(server)
        }
    }

    pub(crate) fn check_open(&self) -> Result<()> {
        if self.is_closed() {
            Err(Error::loop_closed())
        } else {
            Ok(())
        }
    }
}

fn bind_unix(path: &str) -> Result<Socket> {
    use std::os::unix::fs::FileTypeExt;
    // A stale socket file from an earlier run is replaced (abstract
    // addresses, starting with NUL, have no file).
    if !path.starts_with('\0') {
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.file_type().is_socket() {
                let _ = std::fs::remove_file(path);
            }
        }
    }
    let sock = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(|e| Error::os("socket", e))?;
    let addr = socket2::SockAddr::unix(path).map_err(|e| Error::os("bind", e))?;
    match sock.bind(&addr) {
        Ok(()) => Ok(sock),
        Err(e) if e.raw_os_error() == Some(libc::EADDRINUSE) => Err(Error::os_with_message(
            "bind",
            libc::EADDRINUSE,
            format!("[Errno {}] Address '{path}' is already in use", libc::EADDRINUSE),
        )),
        Err(e) => Err(Error::os("bind", e)),
    }
}
