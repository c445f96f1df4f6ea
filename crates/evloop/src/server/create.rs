//! `create_server` and `create_unix_server` (reference §4.2–§4.5).

use std::rc::Rc;

use super::{ProtocolFactory, Server};
use crate::error::{Error, Result};
use crate::net::{Host, ServerOptions, UnixServerOptions};
use crate::transport::Protocol;
use crate::EventLoop;

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
            opts.tls.check_server()?;
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
            set_tls(&server, &opts.tls);
            if opts.start_serving {
                server.start_serving_now()?;
                yield_once_or_close(&lp, &server).await?;
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
            opts.tls.check_server()?;
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
            set_tls(&server, &opts.tls);
            if opts.start_serving {
                server.start_serving_now()?;
                yield_once_or_close(&lp, &server).await?;
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

/// Every accepted connection of a TLS server gets its layer.
fn set_tls(server: &Server, tls: &crate::tls::TlsOptions) {
    if tls.ssl.is_none() {
        return;
    }
    let tls = tls.clone();
    server.set_layer(Rc::new(move |lp, protocol| {
        let layer = tls.layer(lp, protocol, true, None, None)?;
        Ok(layer as Rc<dyn Protocol>)
    }));
}

/// asyncio's `await sleep(0)` after a server starts serving. If the wait is dropped (its task
/// cancelled) or fails, the server nobody will receive is closed rather than left listening.
async fn yield_once_or_close(lp: &EventLoop, server: &Server) -> Result<()> {
    struct CloseOnDrop<'a>(Option<&'a Server>);
    impl Drop for CloseOnDrop<'_> {
        fn drop(&mut self) {
            if let Some(s) = self.0 {
                s.close();
            }
        }
    }
    let mut guard = CloseOnDrop(Some(server));
    lp.sleep(0.0)?.await?;
    guard.0 = None;
    Ok(())
}
