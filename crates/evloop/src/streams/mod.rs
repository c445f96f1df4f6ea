//! Streams (asyncio's `asyncio/streams.py`, CPython 3.13): `async` reads
//! and flow-controlled writes over the loop's transports.
//!
//! - [`StreamReader`]: buffer + `read`/`readline`/`readexactly`/`readuntil`.
//! - [`StreamReaderProtocol`]: the protocol feeding a reader.
//! - [`StreamWriter`]: the transport's write side plus `drain()` and
//!   `wait_closed()`.
//! - [`Process`]: `create_subprocess_exec`/`_shell`, a child's pipes as streams.
//! - [`EventLoop::open_connection`], [`EventLoop::start_server`] and their
//!   Unix-socket twins.

mod protocol;
mod reader;
#[cfg(target_os = "linux")]
mod subprocess;
mod writer;

use crate::selector::Fd;
use std::rc::Rc;

pub use protocol::StreamReaderProtocol;
pub use reader::{StreamReader, DEFAULT_LIMIT};
pub use writer::StreamWriter;
#[cfg(target_os = "linux")]
pub use subprocess::Process;

use protocol::ClientConnected;
use reader::check_limit;

use crate::error::Result;
use crate::net::{ConnectionOptions, Host, ServerOptions, UnixServerOptions};
use crate::server::Server;
use crate::transport::Protocol;
use crate::EventLoop;

/// The options of a stream call: the reader's `limit` (default
/// [`DEFAULT_LIMIT`], 64 KiB) and the options of the underlying
/// `create_connection`/`create_server` call.
#[derive(Clone, Debug)]
pub struct StreamOptions<O> {
    /// The buffer limit of each [`StreamReader`] (must be > 0).
    pub limit: usize,
    /// Passed on to the transport-level call.
    pub options: O,
}

impl<O: Default> Default for StreamOptions<O> {
    fn default() -> Self {
        StreamOptions { limit: DEFAULT_LIMIT, options: O::default() }
    }
}

impl<O> StreamOptions<O> {
    /// `options` with the default limit.
    pub fn new(options: O) -> Self {
        StreamOptions { limit: DEFAULT_LIMIT, options }
    }

    /// The same options with another limit.
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
}

/// Options of `open_unix_connection` (besides the path).
#[derive(Clone, Debug, Default)]
pub struct UnixConnectionOptions {
    /// A connected Unix stream socket to use instead of a path (owned).
    pub sock: Option<Fd>,
    /// `ssl`, `server_hostname`, `ssl_handshake_timeout`, `ssl_shutdown_timeout`.
    pub tls: crate::tls::TlsOptions,
}

fn client_connected<F>(cb: impl Fn(StreamReader, StreamWriter) -> F + 'static) -> ClientConnected
where
    F: std::future::Future<Output = ()> + 'static,
{
    Rc::new(move |r, w| Box::pin(cb(r, w)))
}

/// The protocol factory of a stream server: a reader and protocol per
/// connection.
fn stream_factory(lp: &EventLoop, limit: usize, cb: ClientConnected) -> impl Fn() -> Rc<dyn Protocol> + 'static {
    let lp = lp.clone();
    move || {
        let reader = StreamReader::unchecked(&lp, limit);
        StreamReaderProtocol::build(&reader, Some(cb.clone())) as Rc<dyn Protocol>
    }
}

impl EventLoop {
    /// `asyncio.open_connection(host, port, limit=..., **kwds)`:
    /// [`create_connection`](Self::create_connection) with a
    /// [`StreamReaderProtocol`], resolving to a reader and a writer.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')`; the errors of `create_connection`.
    pub fn open_connection(
        &self,
        host: Option<String>,
        port: Option<u16>,
        opts: StreamOptions<ConnectionOptions>,
    ) -> impl std::future::Future<Output = Result<(StreamReader, StreamWriter)>> + 'static {
        let lp = self.clone();
        async move {
            let reader = StreamReader::with_limit(&lp, opts.limit)?;
            let protocol = StreamReaderProtocol::new(&reader);
            let p = protocol.clone();
            let (transport, _) = lp.create_connection(move || p as Rc<dyn Protocol>, host, port, opts.options).await?;
            let writer = StreamWriter::new(transport, protocol, Some(reader.clone()));
            Ok((reader, writer))
        }
    }

    /// `asyncio.open_unix_connection(path, limit=..., **kwds)`.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')`; the errors of
    /// `create_unix_connection`.
    pub fn open_unix_connection(
        &self,
        path: Option<String>,
        opts: StreamOptions<UnixConnectionOptions>,
    ) -> impl std::future::Future<Output = Result<(StreamReader, StreamWriter)>> + 'static {
        let lp = self.clone();
        async move {
            let reader = StreamReader::with_limit(&lp, opts.limit)?;
            let protocol = StreamReaderProtocol::new(&reader);
            let p = protocol.clone();
            let (transport, _) =
                lp.create_unix_connection_opts(move || Ok(p as Rc<dyn Protocol>), path, opts.options).await?;
            let writer = StreamWriter::new(transport, protocol, Some(reader.clone()));
            Ok((reader, writer))
        }
    }

    /// `asyncio.start_server(client_connected_cb, host, port, limit=...,
    /// **kwds)`: [`create_server`](Self::create_server) where every
    /// connection gets a reader and a writer and runs
    /// `client_connected(reader, writer)` as a task. A task that panics is
    /// reported ("Unhandled exception in client_connected_cb") and its
    /// connection closed; so is a cancelled one.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')` (checked up front; asyncio
    /// fails each connection instead); the errors of `create_server`.
    pub fn start_server<F>(
        &self,
        client_connected_cb: impl Fn(StreamReader, StreamWriter) -> F + 'static,
        host: Option<Host>,
        port: Option<u16>,
        opts: StreamOptions<ServerOptions>,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        let lp = self.clone();
        let cb = client_connected(client_connected_cb);
        async move {
            check_limit(opts.limit)?;
            let factory = stream_factory(&lp, opts.limit, cb);
            lp.create_server(factory, host, port, opts.options).await
        }
    }

    /// `asyncio.start_unix_server(client_connected_cb, path, limit=..., **kwds)`.
    ///
    /// # Errors
    /// `ValueError('Limit cannot be <= 0')`; the errors of `create_unix_server`.
    pub fn start_unix_server<F>(
        &self,
        client_connected_cb: impl Fn(StreamReader, StreamWriter) -> F + 'static,
        path: Option<String>,
        opts: StreamOptions<UnixServerOptions>,
    ) -> impl std::future::Future<Output = Result<Server>> + 'static
    where
        F: std::future::Future<Output = ()> + 'static,
    {
        let lp = self.clone();
        let cb = client_connected(client_connected_cb);
        async move {
            check_limit(opts.limit)?;
            let factory = stream_factory(&lp, opts.limit, cb);
            lp.create_unix_server(factory, path, opts.options).await
        }
    }
}
