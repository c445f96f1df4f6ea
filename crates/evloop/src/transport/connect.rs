//! `create_connection` and `create_unix_connection`: the client side of a
//! stream connection.

use std::rc::Rc;

use super::{call_protocol, Protocol, Transport};
use crate::error::{Error, Result};
use crate::net::socket::StreamSocket;
use crate::net::ConnectionOptions;
use crate::selector::Fd;
use crate::EventLoop;

/// A client connection's TLS: the options and the name to check.
pub(crate) type ClientTls = Option<(crate::tls::TlsOptions, Option<String>)>;

fn client_tls(tls: &crate::tls::TlsOptions, host: Option<&str>) -> Result<ClientTls> {
    let name = tls.check_client(host)?;
    Ok(tls.ssl.is_some().then(|| (tls.clone(), name)))
}

/// What a connection's protocol factory returns: an `Rc` of a protocol,
/// of its concrete type (so a binding gets its own type back) or as
/// `Rc<dyn Protocol>`.
pub trait IntoProtocol: Clone + 'static {
    /// The protocol the transport drives.
    fn into_protocol(self) -> Rc<dyn Protocol>;
}

impl<P: Protocol + 'static> IntoProtocol for Rc<P> {
    fn into_protocol(self) -> Rc<dyn Protocol> {
        self
    }
}

impl IntoProtocol for Rc<dyn Protocol> {
    fn into_protocol(self) -> Rc<dyn Protocol> {
        self
    }
}

impl EventLoop {
    /// Opens a TCP connection to `host:port` (trying each resolved address
    /// in turn) and resolves to the transport and protocol once
    /// `connection_made` has run.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments; `gaierror`;
    /// `ConnectionRefusedError` (`[Errno 111] Connect call failed (...)`) and
    /// other connect errors.
    pub fn create_connection(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        host: Option<String>,
        port: Option<u16>,
        opts: ConnectionOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        self.create_connection_with(move || Ok(factory()), host, port, opts)
    }

    /// [`create_connection`](Self::create_connection) with a fallible
    /// factory (bindings, whose factories are foreign code). As asyncio's
    /// `_create_connection_transport`, the factory is called once the
    /// socket is connected; if it fails, the socket is closed and the
    /// connection fails with its error.
    ///
    /// # Errors
    /// As `create_connection`; the factory's error.
    pub fn create_connection_with<P: IntoProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        host: Option<String>,
        port: Option<u16>,
        opts: ConnectionOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, P)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            let tls = client_tls(&opts.tls, host.as_deref())?;
            let network = lp.network();
            let sock = if host.is_some() || port.is_some() {
                if opts.sock.is_some() {
                    return Err(Error::Value("host/port and sock can not be specified at the same time".into()));
                }
                network.connect(&lp, host, port, &opts).await?
            } else {
                let Some(fd) = opts.sock else {
                    return Err(Error::Value("host and port was not specified and no sock specified".into()));
                };
                network.adopt_stream(fd)?
            };
            lp.connection_from_socket(sock, factory, tls, false).await
        }
    }

    /// Opens a Unix stream connection to `path`.
    ///
    /// # Errors
    /// `ValueError` for conflicting or missing arguments; connect errors
    /// (`FileNotFoundError`, `ConnectionRefusedError`).
    pub fn create_unix_connection(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        path: Option<String>,
        sock: Option<Fd>,
    ) -> impl std::future::Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        self.create_unix_connection_with(move || Ok(factory()), path, sock)
    }

    /// [`create_unix_connection`](Self::create_unix_connection) with a
    /// fallible factory, as [`create_connection_with`](Self::create_connection_with).
    ///
    /// # Errors
    /// As `create_unix_connection`; the factory's error.
    pub fn create_unix_connection_with<P: IntoProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        path: Option<String>,
        sock: Option<Fd>,
    ) -> impl std::future::Future<Output = Result<(Transport, P)>> + 'static {
        let opts = crate::UnixConnectionOptions { sock, ..Default::default() };
        self.create_unix_connection_opts(factory, path, opts)
    }

    /// [`create_unix_connection_with`](Self::create_unix_connection_with)
    /// with all of its options (`sock`, and `ssl` with its own).
    ///
    /// # Errors
    /// As `create_unix_connection`; TLS option and handshake errors.
    pub fn create_unix_connection_opts<P: IntoProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        path: Option<String>,
        opts: crate::UnixConnectionOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, P)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            // A Unix path is no host name: TLS needs server_hostname.
            let tls = client_tls(&opts.tls, None)?;
            let network = lp.network();
            let sock = match (path, opts.sock) {
                (Some(_), Some(_)) => {
                    return Err(Error::Value("path and sock can not be specified at the same time".into()))
                }
                (None, None) => return Err(Error::Value("no path and sock were specified".into())),
                (None, Some(fd)) => network.adopt_stream(fd)?,
                (Some(path), None) => network.connect_unix(&lp, path).await?,
            };
            lp.connection_from_socket(sock, factory, tls, false).await
        }
    }

    /// The transport over a connected socket; with `tls`, the TLS layer
    /// (the server's end when `server_side`, `connect_accepted_socket`).
    pub(crate) async fn connection_from_socket<P: IntoProtocol>(
        &self,
        sock: Box<dyn StreamSocket>,
        factory: impl FnOnce() -> Result<P>,
        tls: ClientTls,
        server_side: bool,
    ) -> Result<(Transport, P)> {
        // A failing factory drops `sock`, which closes it.
        let protocol = call_protocol(factory)?;
        let waiter = self.create_future::<()>();
        if let Some((tls, hostname)) = tls {
            // The layer is the socket transport's protocol; the waiter
            // resolves once the handshake made the application's transport.
            let layer = tls.layer(self, protocol.clone().into_protocol(), server_side, hostname, Some(waiter.clone()))?;
            let raw = Transport::new(self, sock, layer.clone(), None, None, None)?;
            // Closed if the handshake fails or this wait is dropped (a cancelled task).
            let guard = crate::close_guard::CloseUnlessKept::new(raw);
            waiter.clone().await?;
            guard.keep();
            let app = layer.app_transport().ok_or_else(|| Error::Runtime("the connection was lost".into()))?;
            return Ok((app, protocol));
        }
        let transport = Transport::new(self, sock, protocol.clone().into_protocol(), None, None, Some(waiter.clone()))?;
        // Closes the half-made connection if this wait fails or is dropped (a cancelled task:
        // asyncio's `except: transport.close(); raise` around the same wait).
        let guard = crate::close_guard::CloseUnlessKept::new(transport);
        waiter.await?;
        Ok((guard.keep(), protocol))
    }
}
