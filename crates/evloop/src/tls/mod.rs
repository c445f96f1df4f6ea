//! TLS over rustls (ring), as asyncio's `ssl=` and `start_tls`.
//!
//! The layer sits above a transport, as asyncio's `sslproto.py` does, so
//! it works the same over every back end (selectors, the proactor):
//! - [`context`]: `SSLContext` (Python's `ssl` subset) -> rustls configs;
//! - [`protocol`]: the layer; [`socket_events`]: its side as the socket
//!   transport's protocol;
//! - [`app`]: the transport the application sees (an ordinary
//!   [`Transport`] over the layer);
//! - [`extra_info`]: `peercert`, `cipher`, `sslcontext`, `ssl_object`;
//! - [`error`]: rustls's errors as `SSLError`/`SSLCertVerificationError`;
//! - `sim_crypto`: a simulated host's seeded randomness and virtual clock.
//!
//! See `docs/tls.md` for what maps to Python's `ssl` and what does not.

mod app;
mod context;
mod error;
mod extra_info;
mod protocol;
mod sim_crypto;
mod socket_events;
mod verify;
pub mod x509;

use std::rc::Rc;

pub use context::{Purpose, SslContext, TlsVersion, VerifyMode};
pub use extra_info::{Cipher, PeerCert, SslObject};
pub(crate) use protocol::{LayerOptions, TlsLayer};
pub(crate) use sim_crypto::SimSource;

use crate::error::{Error, Result};
use crate::transport::{Protocol, Transport};
use crate::EventLoop;

/// asyncio's `SSL_HANDSHAKE_TIMEOUT`.
pub const SSL_HANDSHAKE_TIMEOUT: f64 = 60.0;
/// asyncio's `SSL_SHUTDOWN_TIMEOUT`.
pub const SSL_SHUTDOWN_TIMEOUT: f64 = 30.0;

/// The TLS options of `create_server`, `create_connection`, their Unix
/// variants and the stream functions.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// `ssl`: the context; `None` for a plain connection.
    pub ssl: Option<SslContext>,
    /// `server_hostname` (clients): the name sent and checked; by default
    /// the host connected to. `""` sends and checks none.
    pub server_hostname: Option<String>,
    /// `ssl_handshake_timeout` in seconds (default 60).
    pub ssl_handshake_timeout: Option<f64>,
    /// `ssl_shutdown_timeout` in seconds (default 30).
    pub ssl_shutdown_timeout: Option<f64>,
}

/// The options of `start_tls` besides the context.
#[derive(Clone, Debug, Default)]
pub struct StartTlsOptions {
    /// Whether this end is the server.
    pub server_side: bool,
    /// As [`TlsOptions::server_hostname`] (required on a client).
    pub server_hostname: Option<String>,
    /// As [`TlsOptions::ssl_handshake_timeout`].
    pub ssl_handshake_timeout: Option<f64>,
    /// As [`TlsOptions::ssl_shutdown_timeout`].
    pub ssl_shutdown_timeout: Option<f64>,
}

fn timeout(value: Option<f64>, name: &str, default: f64) -> Result<f64> {
    match value {
        None => Ok(default),
        Some(t) if t > 0.0 => Ok(t),
        Some(t) => Err(Error::Value(format!("{name} should be a positive number, got {t}"))),
    }
}

impl TlsOptions {
    /// asyncio's checks of a server's options; and, earlier than asyncio
    /// (which fails each handshake instead), that the context can serve:
    /// a server context with a certificate.
    pub(crate) fn check_server(&self) -> Result<()> {
        let Some(ctx) = &self.ssl else { return self.check_plain() };
        if self.server_hostname.is_some() {
            return Err(Error::Value("server_hostname is only meaningful with ssl on a client".into()));
        }
        layer_options(ctx, true, None, self.ssl_handshake_timeout, self.ssl_shutdown_timeout, true)?;
        ctx.server_config(false)?;
        Ok(())
    }

    fn check_plain(&self) -> Result<()> {
        if self.ssl_handshake_timeout.is_some() {
            return Err(Error::Value("ssl_handshake_timeout is only meaningful with ssl".into()));
        }
        if self.ssl_shutdown_timeout.is_some() {
            return Err(Error::Value("ssl_shutdown_timeout is only meaningful with ssl".into()));
        }
        Ok(())
    }

    /// asyncio's checks of a client's options; the name to check.
    pub(crate) fn check_client(&self, host: Option<&str>) -> Result<Option<String>> {
        if self.ssl.is_none() {
            if self.server_hostname.is_some() {
                return Err(Error::Value("server_hostname is only meaningful with ssl".into()));
            }
            self.check_plain()?;
            return Ok(None);
        }
        match (&self.server_hostname, host) {
            (Some(name), _) => Ok(Some(name.clone())),
            (None, Some(host)) if !host.is_empty() => Ok(Some(host.to_string())),
            _ => Err(Error::Value("You must set server_hostname when using ssl without a host".into())),
        }
    }

    /// The layer between a new connection's socket transport and `protocol`.
    pub(crate) fn layer(
        &self,
        lp: &EventLoop,
        protocol: Rc<dyn Protocol>,
        server_side: bool,
        server_hostname: Option<String>,
        waiter: Option<crate::Future<()>>,
    ) -> Result<Rc<TlsLayer>> {
        let ctx = self.ssl.as_ref().ok_or_else(|| Error::Value("no ssl context".into()))?;
        let opts = layer_options(
            ctx,
            server_side,
            server_hostname,
            self.ssl_handshake_timeout,
            self.ssl_shutdown_timeout,
            true,
        )?;
        TlsLayer::new(lp, ctx, opts, protocol, waiter)
    }
}

fn layer_options(
    ctx: &SslContext,
    server_side: bool,
    server_hostname: Option<String>,
    handshake: Option<f64>,
    shutdown: Option<f64>,
    call_connection_made: bool,
) -> Result<LayerOptions> {
    let handshake_timeout = timeout(handshake, "ssl_handshake_timeout", SSL_HANDSHAKE_TIMEOUT)?;
    let shutdown_timeout = timeout(shutdown, "ssl_shutdown_timeout", SSL_SHUTDOWN_TIMEOUT)?;
    match (server_side, ctx.purpose()) {
        (true, Purpose::Client) => {
            return Err(Error::Value("Server side SSL needs a server SSLContext (PROTOCOL_TLS_SERVER)".into()))
        }
        (false, Purpose::Server) => {
            return Err(Error::Value("Client side SSL needs a client SSLContext (PROTOCOL_TLS_CLIENT)".into()))
        }
        _ => {}
    }
    let server_hostname = server_hostname.unwrap_or_default();
    if !server_side && server_hostname.is_empty() && ctx.check_hostname() {
        return Err(Error::Value("check_hostname requires server_hostname".into()));
    }
    Ok(LayerOptions { server_side, server_hostname, handshake_timeout, shutdown_timeout, call_connection_made })
}

impl EventLoop {
    /// `loop.start_tls(transport, protocol, sslcontext, ...)`: upgrades a
    /// connection to TLS. The transport stops reading, its protocol becomes
    /// the TLS layer, the handshake runs, and the result is a new transport
    /// for `protocol` (whose `connection_made` is not called again); the
    /// old transport must not be used any more.
    ///
    /// # Errors
    /// `TypeError` for a transport that is TLS already; `ValueError` for
    /// bad options; the handshake's `SSLError`, `ConnectionAbortedError`
    /// past `ssl_handshake_timeout` (the transport is closed then).
    pub fn start_tls(
        &self,
        transport: &Transport,
        protocol: Rc<dyn Protocol>,
        sslcontext: &SslContext,
        opts: StartTlsOptions,
    ) -> impl std::future::Future<Output = Result<Transport>> + 'static {
        let lp = self.clone();
        let transport = transport.clone();
        let ctx = sslcontext.clone();
        async move {
            if transport.is_layered() || transport.is_pipe() {
                return Err(Error::Type(format!("transport {transport:?} is not supported by start_tls()")));
            }
            let layer_opts = layer_options(
                &ctx,
                opts.server_side,
                opts.server_hostname,
                opts.ssl_handshake_timeout,
                opts.ssl_shutdown_timeout,
                false,
            )?;
            let waiter = lp.create_future::<()>();
            let layer = TlsLayer::new(&lp, &ctx, layer_opts, protocol, Some(waiter.clone()))?;
            transport.pause_reading();
            transport.set_protocol(layer.clone());
            let (l, t) = (layer.clone(), transport.clone());
            let made = lp.call_soon(move || {
                let _ = l.connection_made(&t);
            })?;
            let t = transport.clone();
            let resumed = lp.call_soon(move || t.resume_reading())?;
            // asyncio closes the transport on any exception of the handshake's
            // wait, a cancellation included (this future dropped).
            let guard = crate::close_guard::CloseUnlessKept::new(transport.clone());
            if let Err(e) = waiter.await {
                made.cancel();
                resumed.cancel();
                drop(guard);
                return Err(e);
            }
            guard.keep();
            layer.app_transport().ok_or_else(|| Error::Runtime("start_tls: the connection was lost".into()))
        }
    }
}

impl crate::StreamWriter {
    /// `StreamWriter.start_tls(sslcontext, ...)`: drains, upgrades the
    /// connection with `loop.start_tls` (the server side when the writer
    /// came from `start_server`), and from then on reads and writes
    /// through TLS. `opts.server_side` is ignored (the writer knows).
    ///
    /// # Errors
    /// As `drain()` and `EventLoop::start_tls`.
    pub fn start_tls(
        &self,
        sslcontext: &SslContext,
        opts: StartTlsOptions,
    ) -> impl std::future::Future<Output = Result<()>> + 'static {
        let w = self.clone();
        let ctx = sslcontext.clone();
        async move {
            let protocol = w.protocol();
            let opts = StartTlsOptions { server_side: protocol.is_server_side(), ..opts };
            w.drain().await?;
            let lp = w.get_loop();
            let transport = lp.start_tls(&w.transport(), protocol as Rc<dyn Protocol>, &ctx, opts).await?;
            w.replace_transport(transport);
            Ok(())
        }
    }
}
