//! `create_server` and `create_unix_server` (reference §4.2–§4.5).

use std::rc::Rc;

use super::{ProtocolFactory, Server};
use crate::error::{Error, Result};
use crate::net::Family;
use crate::selector::Fd;
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
    pub sock: Option<Fd>,
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
            flags: crate::net::AI_PASSIVE,
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
    pub sock: Option<Fd>,
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
            let network = lp.network();
            let listeners = if host.is_some() || port.is_some() {
                if opts.sock.is_some() {
                    return Err(Error::Value("host/port and sock can not be specified at the same time".into()));
                }
                network.bind(&lp, host, port, &opts).await?
            } else {
                let Some(fd) = opts.sock else {
                    return Err(Error::Value("Neither host/port nor sock were specified".into()));
                };
                vec![network.adopt_listener(fd, false, false)?]
            };
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
            let network = lp.network();
            let listener = match (path, opts.sock) {
                (Some(_), Some(_)) => {
                    return Err(Error::Value("path and sock can not be specified at the same time".into()))
                }
                (None, None) => return Err(Error::Value("path was not specified, and no sock specified".into())),
                (None, Some(fd)) => network.adopt_listener(fd, true, opts.cleanup_socket)?,
                (Some(path), None) => network.bind_unix(&path, opts.cleanup_socket)?,
            };
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
