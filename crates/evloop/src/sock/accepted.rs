//! `connect_accepted_socket`: a transport over a socket accepted outside
//! the loop's servers (by `sock_accept`, or another program's listener).

use std::rc::Rc;

use crate::error::Result;
use crate::selector::Fd;
use crate::transport::{IntoProtocol, Protocol, Transport};
use crate::EventLoop;

/// `connect_accepted_socket`'s keyword arguments.
#[derive(Clone, Default)]
pub struct AcceptedSocketOptions {
    /// `ssl`, `ssl_handshake_timeout`, `ssl_shutdown_timeout`: this end is
    /// the TLS server (`server_hostname` must stay `None`).
    pub tls: crate::tls::TlsOptions,
}

impl EventLoop {
    /// asyncio's `connect_accepted_socket`: wraps the connected stream
    /// socket `sock` (owned from now on) in a transport whose protocol
    /// `factory` makes; resolves once `connection_made` ran (with `ssl`,
    /// once the server-side handshake is done).
    ///
    /// # Errors
    /// `ValueError('A Stream Socket was expected, got <socket ...>')` (the
    /// fd is then left open); TLS option errors; the factory's error.
    pub fn connect_accepted_socket(
        &self,
        factory: impl FnOnce() -> Rc<dyn Protocol> + 'static,
        sock: Fd,
        opts: AcceptedSocketOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, Rc<dyn Protocol>)>> + 'static {
        self.connect_accepted_socket_with(move || Ok(factory()), sock, opts)
    }

    /// [`connect_accepted_socket`](Self::connect_accepted_socket) with a
    /// fallible factory (bindings).
    ///
    /// # Errors
    /// As `connect_accepted_socket`.
    pub fn connect_accepted_socket_with<P: IntoProtocol>(
        &self,
        factory: impl FnOnce() -> Result<P> + 'static,
        sock: Fd,
        opts: AcceptedSocketOptions,
    ) -> impl std::future::Future<Output = Result<(Transport, P)>> + 'static {
        let lp = self.clone();
        async move {
            lp.check_open()?;
            opts.tls.check_server()?;
            let tls = opts.tls.ssl.is_some().then(|| (opts.tls.clone(), None));
            let sock = lp.network().adopt_stream(sock)?;
            lp.connection_from_socket(sock, factory, tls, true).await
        }
    }
}
